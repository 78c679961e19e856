"""The credit score and grade of a property service company, as pure functions of a scheme and records.

Default scheme (modelled on 《烟台市物业服务企业信用信息管理办法》, 烟建住房〔2022〕13号):
信用得分 = 基础信息分 (at most 80) + 优良信用信息分 (at most 40) − 不良信用信息分; grades AAA ≥ 85,
AA 80–85, A 70–80, B 60–70, C < 60, and 黑名单 while a serious bad record is unrectified. A
record without its own validity counts for one year; a serious bad record counts until it is
rectified. 红榜 / 黑榜 follow the 四川 platform: AA and above red, B and below black.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Iterable

BLACKLIST = "blacklist"
GRADE_LABELS = {"AAA": "AAA", "AA": "AA", "A": "A", "B": "B", "C": "C", BLACKLIST: "黑名单"}
GRADE_ORDER = ("AAA", "AA", "A", "B", "C", BLACKLIST)

DEFAULT_THRESHOLDS = (("AAA", 85.0), ("AA", 80.0), ("A", 70.0), ("B", 60.0))  # below the last: C
DEFAULT_BASE_MAX = 80.0
DEFAULT_GOOD_MAX = 40.0
DEFAULT_VALIDITY_DAYS = 365
DEFAULT_RED = ("AAA", "AA")
DEFAULT_BLACK = ("B", "C", BLACKLIST)


@dataclass(frozen=True)
class Entry:
    """What the score needs of one record."""

    kind: str  # "good" or "bad"
    points: float
    issued_on: dt.date
    valid_until: dt.date | None  # exclusive; None for a serious record (valid until rectified)
    serious: bool = False
    rectified_on: dt.date | None = None
    voided: bool = False


def valid_until(issued_on: dt.date, *, serious: bool, validity_days: int | None, default_days: int = DEFAULT_VALIDITY_DAYS) -> dt.date | None:
    """The first day a record no longer counts; None while a serious record awaits rectification."""
    if serious:
        return None
    return issued_on + dt.timedelta(days=validity_days or default_days)


def counts_on(e: Entry, on: dt.date) -> bool:
    if e.voided or e.issued_on > on:
        return False
    if e.valid_until is None:
        return e.rectified_on is None or on < e.rectified_on
    return on < e.valid_until


def score(base: float, entries: Iterable[Entry], on: dt.date, *, base_max: float = DEFAULT_BASE_MAX,
          good_max: float = DEFAULT_GOOD_MAX) -> tuple[float, bool]:
    """(credit score, has an unrectified serious bad record) on the day ``on``."""
    good = bad = 0.0
    serious = False
    for e in entries:
        if not counts_on(e, on):
            continue
        if e.kind == "good":
            good += e.points
        else:
            bad += e.points
            serious = serious or e.serious
    total = min(max(base, 0.0), base_max) + min(good, good_max) - bad
    return round(total, 2), serious


def grade(total: float, serious: bool = False, thresholds: Iterable[tuple[str, float]] = DEFAULT_THRESHOLDS) -> str:
    """The grade of a score: the first threshold it reaches (thresholds from highest), else C."""
    if serious:
        return BLACKLIST
    for name, minimum in sorted(thresholds, key=lambda t: -t[1]):
        if total >= minimum:
            return name
    return "C"


def board(grade_code: str, red: Iterable[str] = DEFAULT_RED, black: Iterable[str] = DEFAULT_BLACK) -> str:
    """'red', 'black' or '' for a grade."""
    if grade_code in set(red):
        return "red"
    if grade_code in set(black):
        return "black"
    return ""
