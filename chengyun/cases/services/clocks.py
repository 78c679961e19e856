"""The case clocks: each stage's deadline and warning on the working-time calendar, pauses, and the
periodic refresh that marks cases 预警 / 超期 and tells the people concerned once.

`now()` is the one clock every case write stamps, so a test can move it in one place.
"""
from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from chengyun.core import notify
from chengyun.core.calendar import get_calendar
from chengyun.people import roles as R

from .. import freshness, workflow
from ..models import Case
from .actors import _users_with_roles


SHANGHAI = ZoneInfo("Asia/Shanghai")
WARNING_FRACTION = 0.8


def current_time() -> dt.datetime:
    return timezone.now()


def _stage_limit(case: Case, state: str) -> tuple[float, str] | None:
    if state not in workflow.STAGE_LIMITS:
        return None
    limit = workflow.STAGE_LIMITS[state]
    if limit is None:
        cond = case.condition
        return (cond.limit_amount, cond.limit_unit) if cond else None
    return limit


def _pauses(case: Case) -> list[tuple[dt.datetime, dt.datetime | None]]:
    out = []
    for start, end in case.pauses or []:
        out.append((dt.datetime.fromisoformat(start), dt.datetime.fromisoformat(end) if end else None))
    return out


def _start_stage(case: Case, state: str, at: dt.datetime) -> None:
    limit = _stage_limit(case, state)
    cal = get_calendar()
    case.stage_started_at = at
    if limit is None:
        case.stage_deadline = case.stage_warning_at = None
        case.stage_limit_amount, case.stage_limit_unit = None, ""
        return
    amount, unit = limit
    case.stage_limit_amount, case.stage_limit_unit = amount, unit
    case.stage_deadline = cal.add(at, amount, unit)
    case.stage_warning_at = cal.add(at, amount * WARNING_FRACTION, unit)


def clock_status_at(case: Case, now: dt.datetime) -> str:
    """正常 / 预警 (80% used) / 超期 from the stored instants; a suspended or finished case keeps its status."""
    if case.status in workflow.TERMINAL or case.status == workflow.SUSPENDED:
        return case.clock_status
    status = Case.Clock.NORMAL
    for deadline, warn in ((case.stage_deadline, case.stage_warning_at), (case.overall_deadline if case.status in workflow.WITH_UNIT else None, case.overall_warning_at)):
        if deadline is None:
            continue
        if now > deadline:
            return Case.Clock.OVERDUE
        if warn is not None and now >= warn:
            status = Case.Clock.WARNING
    return status


def _shift_after_pause(deadline: dt.datetime | None, unit: str, pause_start: dt.datetime, pause_end: dt.datetime) -> dt.datetime | None:
    """The time left at the pause's start runs again from its end."""
    if deadline is None or not unit or deadline <= pause_start:
        return deadline
    cal = get_calendar()
    remaining = cal.elapsed(pause_start, deadline, unit)
    return cal.add(pause_end, remaining, unit)


def refresh_clocks(now: dt.datetime | None = None) -> dict[str, int]:
    """Bring every open case's clock status up to date and notify the people concerned once."""
    now = now or current_time()
    changed = {Case.Clock.WARNING: 0, Case.Clock.OVERDUE: 0, Case.Clock.NORMAL: 0}
    open_cases = Case.objects.filter(status__in=workflow.OPEN - {workflow.SUSPENDED}).exclude(stage_deadline=None, overall_deadline=None)
    overdue_q = Q(stage_deadline__lt=now) | Q(status__in=workflow.WITH_UNIT, overall_deadline__lt=now)
    warning_q = (Q(stage_warning_at__lte=now) | Q(status__in=workflow.WITH_UNIT, overall_warning_at__lte=now)) & ~overdue_q
    normal_q = ~overdue_q & ~warning_q
    with transaction.atomic():
        for status, q in ((Case.Clock.OVERDUE, overdue_q), (Case.Clock.WARNING, warning_q), (Case.Clock.NORMAL, normal_q)):
            targets = list(open_cases.filter(q).exclude(clock_status=status).select_related("category", "unit"))
            if not targets:
                continue
            ids = [c.pk for c in targets]
            update = {"clock_status": status}
            if status == Case.Clock.OVERDUE:
                update["was_overdue"] = True
            Case.objects.filter(pk__in=ids).update(**update)
            freshness.changed()
            changed[status] = len(ids)
            if status != Case.Clock.NORMAL:
                for case in targets:
                    case.clock_status = status
                    _notify_clock(case, status)
    return changed


def _notify_clock(case: Case, status: str) -> None:
    word = "已超期" if status == Case.Clock.OVERDUE else "即将到期（已用时 80%）"
    recipients = _people_for_stage(case)
    if status == Case.Clock.OVERDUE:
        recipients += _users_with_roles({R.OPS_SHIFT_LEADER})
    notify.notify(recipients, f"案件 {case.number} {workflow.label(case.status)}环节{word}",
                  body=f"{case.category.name}：{case.description[:80]}", url=case.get_absolute_url(),
                  level="danger" if status == Case.Clock.OVERDUE else "warning",
                  dedup_key=f"case:{case.pk}:{status}:{case.stage_started_at:%Y%m%d%H%M%S}",
                  kind="escalation" if status == Case.Clock.OVERDUE else "deadline_near")


def _people_for_stage(case: Case) -> list[Any]:
    if case.status in workflow.WITH_UNIT and case.unit_id:
        return _users_with_roles({R.DEPT_HANDLER}, person__unit_id=case.unit_id)
    if case.status in (workflow.VERIFYING, workflow.CHECKING):
        return _users_with_roles(workflow.GRID_WORKERS, person__grids=case.grid_id)
    if case.status == workflow.FILED:
        return _users_with_roles(workflow.DISPATCH_DESK)
    return _users_with_roles(workflow.OPS_DESK)
