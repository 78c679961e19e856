"""Coverage and compliance per segment and chief over a week or month.

Coverage is the share of an assigned segment walked in the period (the union of every patrol's
covered stretches: two patrols over the same half count as half). Compliance counts the patrols
that walked at least the rule's ``min_share`` of the segment, against the rule in force at the
period's start (a changed rule judges periods from its date on, never before).
"""
from __future__ import annotations

import calendar
import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any, Iterable

from django.db import transaction

from chengyun.core import audit
from chengyun.core.errors import Invalid
from chengyun.people import policy

from .. import coverage as cov
from ..models import Patrol, PatrolCoverage, PatrolRule, SegmentAssignment
from .common import OPS, SHANGHAI

DEFAULT_RULES = {
    # A leader walks each of their segments at least once a week (北京 街巷长 "定期巡街");
    # the team patrols each segment on foot at least three times a week (日巡、周查).
    PatrolRule.Kind.LEADER: (PatrolRule.Period.WEEK, 1, 0.5),
    PatrolRule.Kind.TEAM: (PatrolRule.Period.WEEK, 3, 0.5),
}


def period_bounds(period: str, day: dt.date) -> tuple[dt.date, dt.date]:
    if period == PatrolRule.Period.WEEK:
        start = day - dt.timedelta(days=day.weekday())
        return start, start + dt.timedelta(days=6)
    if period == PatrolRule.Period.MONTH:
        return day.replace(day=1), day.replace(day=calendar.monthrange(day.year, day.month)[1])
    raise Invalid(f"周期 {period!r} 无效（可用：week、month）", code="bad_period", detail={"field": "period"})


@dataclass(frozen=True)
class Rule:
    kind: str
    period: str
    min_patrols: int
    min_share: float


def rule_in_force(kind: str, on: dt.date) -> Rule:
    found = PatrolRule.objects.filter(kind=kind, effective_from__lte=on).order_by("-effective_from", "-id").first()
    if found is not None:
        return Rule(kind, found.period, found.min_patrols, found.min_share)
    period, n, share = DEFAULT_RULES[kind]
    return Rule(kind, period, n, share)


def set_rule(user: Any, *, kind: str, period: str, min_patrols: int, min_share: float = 0.5, effective_from: dt.date) -> PatrolRule:
    if user is not None:
        policy.require_role(user, OPS, "只有城运中心可以设置巡查频次规则")
    if kind not in PatrolRule.Kind.values:
        raise Invalid(f"巡查类型 {kind!r} 无效", code="bad_kind", detail={"field": "kind"})
    period_bounds(period, effective_from)
    if not isinstance(min_patrols, int) or min_patrols < 0:
        raise Invalid("最少次数应为非负整数", code="bad_rule", detail={"field": "min_patrols"})
    if not 0 < min_share <= 1:
        raise Invalid("最小覆盖比例应在 0 到 1 之间", code="bad_rule", detail={"field": "min_share"})
    with transaction.atomic():
        rule = PatrolRule.objects.create(kind=kind, period=period, min_patrols=min_patrols, min_share=min_share, effective_from=effective_from)
        audit.created(rule)
    return rule


@dataclass
class SegmentStatus:
    assignment: SegmentAssignment
    length_m: float
    shares: dict[str, float] = field(default_factory=dict)  # kind → share walked in the period
    counts: dict[str, int] = field(default_factory=dict)  # kind → patrols that walked min_share
    required: dict[str, int] = field(default_factory=dict)

    def ok(self, kind: str) -> bool:
        return self.counts.get(kind, 0) >= self.required.get(kind, 0)

    @property
    def compliant(self) -> bool:
        return all(self.ok(k) for k in self.required)

    @property
    def missing(self) -> list[str]:
        return [k for k in self.required if not self.ok(k)]


def day_window(start: dt.date, end: dt.date) -> tuple[dt.datetime, dt.datetime]:
    return (dt.datetime.combine(start, dt.time.min, tzinfo=SHANGHAI), dt.datetime.combine(end + dt.timedelta(days=1), dt.time.min, tzinfo=SHANGHAI))


def required(rule: Rule, period: str, start: dt.date, end: dt.date) -> int:
    """Patrols a rule asks for in the period: a weekly rule over a month asks for it in every
    whole week of the month; a monthly rule is not judged on a single week."""
    if rule.period == period:
        return rule.min_patrols
    if rule.period == PatrolRule.Period.WEEK:
        return rule.min_patrols * (((end - start).days + 1) // 7)
    return 0


def statuses(assignments: Iterable[SegmentAssignment], period: str, day: dt.date) -> list[SegmentStatus]:
    """Coverage and compliance of each assignment over the week or month containing ``day``."""
    assignments = list(assignments)
    start, end = period_bounds(period, day)
    rules = {k: rule_in_force(k, start) for k in PatrolRule.Kind.values}
    lo, hi = day_window(start, end)
    # The period's patrols first (by their start-time index), then their coverage rows (by the
    # patrol-segment key); the segments are picked in Python — a list of every assigned segment
    # in the SQL made the planner walk the coverage table by segment instead.
    in_period = Patrol.objects.filter(status=Patrol.Status.FINISHED, started_at__gte=lo, started_at__lt=hi).values("pk")
    rows = (PatrolCoverage.objects.filter(patrol_id__in=in_period)
            .values_list("segment_id", "patrol__kind", "patrol__patroller_id", "patrol__team_id", "share", "intervals"))
    wanted = {a.segment_id for a in assignments}
    by_segment: dict[int, list] = defaultdict(list)
    for row in rows:
        if row[0] in wanted:
            by_segment[row[0]].append(row)
    out = []
    for a in assignments:
        length = a.segment.length_m or 1.0
        status = SegmentStatus(a, length, required={k: required(r, period, start, end) for k, r in rules.items()})
        for kind in rules:
            mine = [r for r in by_segment.get(a.segment_id, ()) if r[1] == kind and (
                r[2] == a.chief_id if kind == PatrolRule.Kind.LEADER else (a.team_id is not None and r[3] == a.team_id))]
            status.shares[kind] = round(min(1.0, cov.total(i for r in mine for i in r[5]) / length), 4)
            status.counts[kind] = sum(1 for r in mine if r[4] >= rules[kind].min_share)
        out.append(status)
    return out


def assignments_in(start: dt.date, end: dt.date):
    """Assignments in force at some time in the period."""
    return SegmentAssignment.objects.filter(valid_from__lte=end).exclude(valid_to__lt=start).select_related("segment", "chief", "team", "street")


@dataclass
class ChiefSummary:
    chief_id: int
    name: str
    segments: int = 0
    compliant: int = 0
    leader_share: float = 0.0
    behind: list[str] = field(default_factory=list)

    @property
    def rate(self) -> float:
        return self.compliant / self.segments if self.segments else 1.0


def by_chief(items: Iterable[SegmentStatus]) -> list[ChiefSummary]:
    found: dict[int, ChiefSummary] = {}
    shares: dict[int, list[float]] = defaultdict(list)
    for s in items:
        a = s.assignment
        c = found.setdefault(a.chief_id, ChiefSummary(a.chief_id, a.chief.name))
        c.segments += 1
        if s.ok(PatrolRule.Kind.LEADER):
            c.compliant += 1
        else:
            c.behind.append(a.segment.name)
        shares[a.chief_id].append(s.shares.get(PatrolRule.Kind.LEADER, 0.0))
    for cid, c in found.items():
        c.leader_share = round(sum(shares[cid]) / len(shares[cid]), 4)
    return sorted(found.values(), key=lambda c: (c.rate, c.name))
