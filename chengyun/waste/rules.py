"""达标小区: the three rates against configurable thresholds (pure; no Django).

Defaults after 江苏/常州钟楼 2022: 居民知晓率 ≥ 90 %, 参与率 ≥ 80 %, 准确率 ≥ 80 %. A rate equal to its
threshold meets it. A rate that has not been measured does not.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Mapping

DEFAULT_THRESHOLDS = {"awareness": 90.0, "participation": 80.0, "accuracy": 80.0}
RATE_NAMES = {"awareness": "知晓率", "participation": "参与率", "accuracy": "准确率"}
_EPS = 1e-9


@dataclass(frozen=True)
class Assessment:
    compliant: bool
    short: tuple[str, ...]  # rates below (or missing against) their threshold


def assess(rates: Mapping[str, float | None], thresholds: Mapping[str, float] = DEFAULT_THRESHOLDS) -> Assessment:
    short = tuple(k for k, limit in thresholds.items() if rates.get(k) is None or rates[k] < limit - _EPS)
    return Assessment(not short, short)
