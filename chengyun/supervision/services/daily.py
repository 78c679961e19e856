"""Daily dispatch (日调度): the entries each lead unit submits by the cut-off, and the day's board."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any, Mapping

from django.db import transaction
from django.db.models import Q

from chengyun.core import audit
from chengyun.core.calendar import get_calendar
from chengyun.core.errors import Conflict, Forbidden, Invalid
from chengyun.people import policy

from ..models import DailyEntry, KeyTask
from .dates import _local, cutoff_at
from .lifecycle import refresh_status


def tasks_due_entries(day: dt.date):
    """Tasks whose lead unit owes a daily entry for `day`: active and started, on a working day."""
    if not get_calendar().is_workday(day):
        return KeyTask.objects.none()
    # A task closed since then still owed that day's entry (a past day's brief stays true).
    return KeyTask.objects.filter(start_date__lte=day).filter(
        Q(state=KeyTask.State.ACTIVE) | Q(state=KeyTask.State.COMPLETED, completed_on__gte=day))


def submit_daily_entry(user: Any, task: KeyTask, *, work_done: str, problems: str = "", coordination: str = "",
                       milestone_progress: Mapping[Any, Any] | None = None, date: dt.date | None = None,
                       now: dt.datetime | None = None) -> DailyEntry:
    """A lead unit's entry for one task and day; a second submission the same day replaces the
    first. After the cut-off the entry is accepted and marked late."""
    moment = _local(now)
    day = date or moment.date()
    policy.require_create(user, DailyEntry, unit_id=task.lead_unit_id, message="只有牵头单位可以填报该任务的日调度")
    if task.state != KeyTask.State.ACTIVE:
        raise Conflict(f"任务“{task.title}”{task.get_state_display()}，无需填报", code="task_not_active")
    if day > moment.date():
        raise Invalid("不能填报未来日期", code="future_date")
    if day < task.start_date:
        raise Invalid(f"任务自 {task.start_date} 开始，不能填报更早的日期", code="before_start")
    if not (work_done or "").strip():
        raise Invalid("请填写当日工作情况", code="work_done_required")
    progress = _check_progress(task, milestone_progress or {})
    with transaction.atomic():
        entry = DailyEntry.objects.select_for_update().filter(task=task, date=day).first()
        late = moment > cutoff_at(day)
        if entry is not None:
            if not policy.can_write(user, entry):
                raise Forbidden(f"该日进展已由{entry.unit.name}填报，只能由填报单位修改", code="not_own_entry")
            before = audit.snapshot(entry)
            entry.work_done, entry.problems, entry.coordination = work_done.strip(), problems.strip(), coordination.strip()
            entry.milestone_progress = progress
            entry.late = entry.late or late
            entry.submitted_at = moment
            entry.submitted_by = user if getattr(user, "is_authenticated", False) else entry.submitted_by
            entry.save()
            audit.updated(entry, before)
        else:
            entry = DailyEntry.objects.create(task=task, date=day, unit_id=task.lead_unit_id, work_done=work_done.strip(),
                                              problems=problems.strip(), coordination=coordination.strip(),
                                              milestone_progress=progress, late=late, submitted_at=moment,
                                              submitted_by=user if getattr(user, "is_authenticated", False) else None)
            audit.created(entry)
        _apply_progress(task, progress, day)
        refresh_status(task, moment.date())
    return entry


def _check_progress(task: KeyTask, progress: Mapping[Any, Any]) -> dict[str, int]:
    milestones = {m.pk: m for m in task.milestones.all()}
    clean: dict[str, int] = {}
    for key, value in progress.items():
        try:
            mid = int(key)
        except (TypeError, ValueError):
            raise Invalid(f"节点编号“{key}”有误", code="bad_milestone") from None
        if mid not in milestones:
            raise Invalid(f"节点 {mid} 不属于该任务", code="bad_milestone")
        try:
            pct = int(value)
        except (TypeError, ValueError):
            raise Invalid(f"节点“{milestones[mid].name}”的进度应为 0-100 的整数", code="bad_progress") from None
        if not 0 <= pct <= 100:
            raise Invalid(f"节点“{milestones[mid].name}”的进度应为 0-100 的整数", code="bad_progress")
        clean[str(mid)] = pct
    return clean


def _apply_progress(task: KeyTask, progress: Mapping[str, int], day: dt.date) -> None:
    for m in task.milestones.filter(pk__in=[int(k) for k in progress]):
        if m.done_on:
            continue
        m.progress = progress[str(m.pk)]
        m.save(update_fields=["progress"])


def missing_entries(day: dt.date) -> list[KeyTask]:
    """Tasks without an entry for `day` (empty on rest days)."""
    submitted = DailyEntry.objects.filter(date=day).values_list("task_id", flat=True)
    return list(tasks_due_entries(day).exclude(pk__in=submitted).select_related("lead_unit", "category"))


@dataclass
class BoardRow:
    task: KeyTask
    entry: DailyEntry | None
    missing: bool  # owed and not in (after the cut-off: flagged)
    overdue: bool  # missing after the cut-off


def daily_board(user: Any, day: dt.date, now: dt.datetime | None = None) -> list[BoardRow]:
    moment = _local(now)
    past_cutoff = moment > cutoff_at(day)
    due = set(tasks_due_entries(day).values_list("pk", flat=True))
    tasks = policy.visible(user, KeyTask.objects.filter(start_date__lte=day)
                           .filter(Q(state=KeyTask.State.ACTIVE) | Q(state=KeyTask.State.COMPLETED, completed_on__gte=day))
                           .select_related("lead_unit", "category").order_by("lead_unit__code", "code"))
    entries = {e.task_id: e for e in DailyEntry.objects.filter(date=day, task__in=tasks)}
    rows = []
    for t in tasks:
        e = entries.get(t.pk)
        missing = e is None and t.pk in due
        rows.append(BoardRow(t, e, missing, missing and past_cutoff))
    return rows
