"""River-chief patrol compliance (巡河达标) for any month or year, by the rules in force then.

A patrol rule applies by whole months: a change saved during a month applies from the first of
that month on (``set_patrol_rule``), and every change is kept as a ``PatrolRuleVersion``. A
month is judged by the version in force on its first day; a month before any rule was saved by
the defaults (``DEFAULT_PATROL_RULES``).

The month in progress is judged "so far": a chief who has not yet made the month's count is
``in_progress`` (进行中), not 未达标 — the month is not over. A year is its months: each
finished month met or not, the month in progress shown so far; the year is met when every
finished month was.
"""
from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from typing import Sequence

from django.db.models import Count
from django.utils import timezone

from chengyun.core.errors import Invalid

from ..evaluation import SHANGHAI
from ..models import ChiefLevel, Patrol, PatrolRule, PatrolRuleVersion, RiverChief

DEFAULT_PATROL_RULES = {
    # 河湖长制 common practice: 区级每月不少于 1 次，街道级每旬 1 次，社区（村）级每周 1 次.
    ChiefLevel.DISTRICT: (1, 30, 1000),
    ChiefLevel.STREET: (3, 30, 1500),
    ChiefLevel.COMMUNITY: (4, 20, 1000),
}

COMPLIANT, IN_PROGRESS, NOT_COMPLIANT = "compliant", "in_progress", "not_compliant"


def default_rule(level: str) -> PatrolRule:
    n, minutes, metres = DEFAULT_PATROL_RULES[level]
    return PatrolRule(level=level, patrols_per_month=n, min_duration_min=minutes, min_distance_m=metres)


def patrol_rule(level: str) -> PatrolRule:
    """The rule as it stands now (the one the rules table shows and edits)."""
    found = PatrolRule.objects.filter(level=level).first()
    return found if found is not None else default_rule(level)


def rules_in_force(month_start: dt.datetime) -> dict[str, PatrolRule]:
    """Each level's rule for the month starting at ``month_start``."""
    rules: dict[str, PatrolRule] = {}
    versions = list(PatrolRuleVersion.objects.all())
    for level in ChiefLevel.values:
        mine = [v for v in versions if v.level == level]
        in_force = max((v for v in mine if v.effective_from <= month_start), key=lambda v: (v.effective_from, v.pk), default=None)
        if in_force is not None:
            rules[level] = PatrolRule(level=level, patrols_per_month=in_force.patrols_per_month,
                                      min_duration_min=in_force.min_duration_min, min_distance_m=in_force.min_distance_m)
        else:
            # No version yet for the level: its stored rule (kept before versions existed) or the default.
            rules[level] = patrol_rule(level) if not mine else default_rule(level)
    return rules


def month_bounds(year: int, month: int) -> tuple[dt.datetime, dt.datetime]:
    start = dt.datetime(year, month, 1, tzinfo=SHANGHAI)
    end = dt.datetime(year + (month == 12), month % 12 + 1, 1, tzinfo=SHANGHAI)
    return start, end


@dataclass
class ComplianceRow:
    chief: RiverChief
    rule: PatrolRule
    patrols: int
    valid: int
    required: int
    distance_m: float
    duration_s: int
    problems: int
    # The month is not over: a shortfall is "so far", not a failure.
    in_progress: bool = False

    @property
    def compliant(self) -> bool:
        return self.valid >= self.required

    @property
    def status(self) -> str:
        return COMPLIANT if self.compliant else IN_PROGRESS if self.in_progress else NOT_COMPLIANT


def _now(now: dt.datetime | None) -> dt.datetime:
    return (now or timezone.now()).astimezone(SHANGHAI)


def compliance(year: int, month: int, chiefs: Sequence[RiverChief] | None = None, *, now: dt.datetime | None = None) -> list[ComplianceRow]:
    """Who patrolled enough in the month: valid patrols (long and far enough) against the level's
    rule in force that month. The month in progress is counted so far (``in_progress``)."""
    start, end = month_bounds(year, month)
    now = _now(now)
    rules = rules_in_force(start)
    chiefs = list(chiefs) if chiefs is not None else list(RiverChief.objects.filter(active=True).select_related("person"))
    by_chief: dict[int, list[Patrol]] = {}
    for p in Patrol.objects.filter(chief__in=chiefs, status=Patrol.Status.FINISHED, started_at__gte=start, started_at__lt=end).annotate(n_problems=Count("problems")):
        by_chief.setdefault(p.chief_id, []).append(p)
    rows = []
    for c in chiefs:
        r = rules[c.level]
        ps = by_chief.get(c.pk, [])
        valid = [p for p in ps if p.duration_s >= r.min_duration_min * 60 and p.distance_m >= r.min_distance_m]
        rows.append(ComplianceRow(c, r, len(ps), len(valid), r.patrols_per_month, sum(p.distance_m for p in ps),
                                  sum(p.duration_s for p in ps), sum(p.n_problems for p in ps), in_progress=now < end))
    order = {NOT_COMPLIANT: 0, IN_PROGRESS: 1, COMPLIANT: 2}
    rows.sort(key=lambda row: (order[row.status], row.chief.level, row.chief.person.name))
    return rows


@dataclass
class YearRow:
    chief: RiverChief
    months: list[ComplianceRow] = field(default_factory=list)  # January … the last month judged
    in_progress: bool = False

    @property
    def finished(self) -> list[ComplianceRow]:
        return [m for m in self.months if not m.in_progress]

    @property
    def months_met(self) -> int:
        return sum(m.compliant for m in self.finished)

    @property
    def months_judged(self) -> int:
        return len(self.finished)

    @property
    def patrols(self) -> int:
        return sum(m.patrols for m in self.months)

    @property
    def valid(self) -> int:
        return sum(m.valid for m in self.months)

    @property
    def required(self) -> int:
        return sum(m.required for m in self.months)

    @property
    def distance_m(self) -> float:
        return sum(m.distance_m for m in self.months)

    @property
    def duration_s(self) -> int:
        return sum(m.duration_s for m in self.months)

    @property
    def problems(self) -> int:
        return sum(m.problems for m in self.months)

    @property
    def compliant(self) -> bool:
        return self.months_met == self.months_judged and (self.months_judged > 0 or all(m.compliant for m in self.months))

    @property
    def status(self) -> str:
        if self.months_met < self.months_judged:
            return NOT_COMPLIANT
        return IN_PROGRESS if self.in_progress else COMPLIANT


def year_compliance(year: int, chiefs: Sequence[RiverChief] | None = None, *, now: dt.datetime | None = None) -> list[YearRow]:
    """Each chief's months of the year (up to the month in progress), each by its own rule."""
    now = _now(now)
    chiefs = list(chiefs) if chiefs is not None else list(RiverChief.objects.filter(active=True).select_related("person"))
    last = 12 if year < now.year else now.month
    rows = {c.pk: YearRow(c, in_progress=year == now.year) for c in chiefs}
    for month in range(1, last + 1):
        for r in compliance(year, month, chiefs, now=now):
            rows[r.chief.pk].months.append(r)
    order = {NOT_COMPLIANT: 0, IN_PROGRESS: 1, COMPLIANT: 2}
    return sorted(rows.values(), key=lambda y: (order[y.status], y.chief.level, y.chief.person.name))


@dataclass(frozen=True)
class Period:
    """A month (``month`` set) or a whole year asked for on a page or the API."""

    year: int
    month: int | None = None

    @property
    def key(self) -> str:
        return f"{self.year}-{self.month:02d}" if self.month else str(self.year)

    def in_progress(self, now: dt.datetime | None = None) -> bool:
        now = _now(now)
        return (self.year, self.month) == (now.year, now.month) if self.month else self.year == now.year


_MONTH = re.compile(r"^(\d{4})-(\d{1,2})$")


def parse_period(*, month: str | None = None, year: str | None = None, now: dt.datetime | None = None) -> Period:
    """``month=YYYY-MM`` for a month, ``year=YYYY`` alone for a whole year (and the older
    ``year=YYYY&month=M``); nothing: the current month. A future period or a malformed one is
    ``Invalid`` naming the field."""
    now = _now(now)
    month, year = (month or "").strip(), (year or "").strip()
    if month:
        m = _MONTH.match(month)
        if m:
            y, mo = int(m.group(1)), int(m.group(2))
        elif month.isdigit() and year.isdigit():
            y, mo = int(year), int(month)
        else:
            raise Invalid("月份应写作 YYYY-MM，如 2026-11", code="invalid_month", detail={"field": "month"})
        if not (2000 <= y <= 2100 and 1 <= mo <= 12):
            raise Invalid("月份应写作 YYYY-MM，如 2026-11", code="invalid_month", detail={"field": "month"})
        if (y, mo) > (now.year, now.month):
            raise Invalid(f"{y} 年 {mo} 月尚未开始", code="future_period", detail={"field": "month"})
        return Period(y, mo)
    if year:
        if not year.isdigit() or not 2000 <= int(year) <= 2100:
            raise Invalid("年份应写作 YYYY，如 2026", code="invalid_year", detail={"field": "year"})
        if int(year) > now.year:
            raise Invalid(f"{year} 年尚未开始", code="future_period", detail={"field": "year"})
        return Period(int(year))
    return Period(now.year, now.month)
