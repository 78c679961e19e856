"""The 三级 problem checklist (具体问题) behind the indicators, shipped as renewal/data/problem_types.json."""
from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path

DATA = Path(__file__).resolve().parent / "data" / "problem_types.json"


@lru_cache(maxsize=1)
def categories() -> list[dict]:
    with open(DATA, encoding="utf-8") as f:
        return json.load(f)["categories"]


def indicator_of(problem_type: str) -> str | None:
    """The indicator code a problem type belongs to, or None for a type not on the checklist."""
    for cat in categories():
        if problem_type in cat["types"]:
            return cat["indicator"]
    return None


def all_types() -> list[str]:
    return [t for cat in categories() for t in cat["types"]]


def types_of(indicator_code: str) -> list[str]:
    return [t for cat in categories() if cat["indicator"] == indicator_code for t in cat["types"]]
