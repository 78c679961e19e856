"""城管工作例会: the week's agenda from patrol findings, overdue cases and hot spots, held as a
supervision meeting (its minutes and decisions → tracked action items are supervision's)."""
from __future__ import annotations

import datetime as dt
from collections import Counter
from typing import Any

from django.db import transaction

from ..models import PatrolFinding
from .common import SHANGHAI
from .compliance import assignments_in, by_chief, statuses

HOT_SPOTS = 5


def agenda(day: dt.date) -> list[dict[str, str]]:
    """The items of a meeting on ``day`` about the week before it (topic, reason)."""
    from chengyun.cases import workflow as case_flow
    from chengyun.cases.models import Case

    start = day - dt.timedelta(days=7)
    lo = dt.datetime.combine(start, dt.time.min, tzinfo=SHANGHAI)
    hi = dt.datetime.combine(day, dt.time.min, tzinfo=SHANGHAI)
    items: list[dict[str, str]] = []
    findings = PatrolFinding.objects.filter(found_at__gte=lo, found_at__lt=hi)
    kinds = Counter(findings.values_list("kind", flat=True))
    if kinds:
        labels = dict(PatrolFinding.Kind.choices)
        items.append({"topic": f"本周巡街发现问题 {sum(kinds.values())} 件",
                      "reason": "；".join(f"{labels[k]} {n} 件" for k, n in kinds.most_common())})
    overdue = Case.objects.filter(status__in=case_flow.OPEN, clock_status=Case.Clock.OVERDUE)
    by_street = Counter(overdue.values_list("street__name", flat=True))
    if by_street:
        items.append({"topic": f"超期未办结案件 {sum(by_street.values())} 件",
                      "reason": "；".join(f"{s} {n} 件" for s, n in by_street.most_common())})
    hot = Counter(Case.objects.filter(reported_at__gte=lo, reported_at__lt=hi).values_list("grid__name", "grid__community__name"))
    if hot:
        items.append({"topic": "本周案件高发网格", "reason": "；".join(f"{c}{g} {n} 件" for (g, c), n in hot.most_common(HOT_SPOTS))})
    week = statuses(assignments_in(start, day - dt.timedelta(days=1)).filter(valid_to__isnull=True), "week", start)
    behind = [c for c in by_chief(week) if c.behind]
    if behind:
        items.append({"topic": f"未按规定巡街的街长 {len(behind)} 人",
                      "reason": "；".join(f"{c.name}（{len(c.behind)}/{c.segments} 段未达标）" for c in behind[:10])})
    return items


def hold(user: Any, *, day: dt.date, chair: str = "", location: str = ""):
    """Schedule the week's 城管工作例会 in supervision with the generated agenda."""
    from chengyun.supervision.models import Meeting
    from chengyun.supervision.services import meetings

    with transaction.atomic():
        meeting = meetings.create_meeting(user, date=day, kind=Meeting.Kind.SPECIAL, chair=chair, location=location,
                                          title=f"城管工作例会（{day.month}月{day.day}日）")
        for item in agenda(day):
            meetings.add_agenda_item(user, meeting, topic=item["topic"], reason=item["reason"])
    return meeting
