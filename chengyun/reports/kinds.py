"""Report kinds: each app registers the reports it can generate, and `chengyun report <kind>`
offers one subcommand per kind without the command knowing the apps.

An app calls ``register(ReportKind(...))`` in its AppConfig.ready().
"""
from __future__ import annotations

import argparse
from dataclasses import dataclass
from typing import Any, Callable


@dataclass(frozen=True)
class Generated:
    """What a report builder hands back: the files and the period they cover."""

    title: str
    period: str
    docx: bytes | None = None
    xlsx: bytes | None = None
    summary: dict[str, Any] | None = None


@dataclass(frozen=True)
class ReportKind:
    key: str  # the CLI subcommand, e.g. "supervision-monthly"
    label: str
    # add_arguments(parser) declares the kind's own options (e.g. --month YYYY-MM)
    add_arguments: Callable[[argparse.ArgumentParser], None]
    # build(options: dict) -> Generated; raises chengyun.core.errors.Invalid on bad options
    build: Callable[[dict[str, Any]], Generated]
    params: Callable[[dict[str, Any]], dict[str, Any]] = lambda options: {}
    # The options of the period due on a day (the scheduler's and the report centre's default),
    # e.g. yesterday's date for a daily brief, last month for a monthly summary. None: not schedulable.
    default_options: Callable[[Any], dict[str, Any]] | None = None
    # The schedule a kind starts with until someone changes it: "daily HH:MM", "weekly D HH:MM"
    # (D 1 = Monday) or "monthly D HH:MM"; "" = generated only on demand.
    schedule: str = ""
    # Who hears that a scheduled run is ready (role codes).
    audience: frozenset[str] = frozenset()


_kinds: dict[str, ReportKind] = {}


def register(kind: ReportKind) -> None:
    _kinds[kind.key] = kind


def get(key: str) -> ReportKind:
    try:
        return _kinds[key]
    except KeyError:
        raise LookupError(f"unknown report kind {key!r}") from None


def all_kinds() -> list[ReportKind]:
    return sorted(_kinds.values(), key=lambda k: k.key)
