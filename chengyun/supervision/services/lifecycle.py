"""A key task's life and status: the one transition table (销号, 撤销, 重新督办) and the evaluation of
its milestones into green / yellow / red (绿 / 黄 / 红) on a given day.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any, Iterable

from django.db import transaction

from chengyun.core import audit
from chengyun.core.errors import Conflict, Invalid
from chengyun.people import policy
from chengyun.people import roles as R

from .. import config, metrics
from ..models import DailyEntry, KeyTask, Status, StatusHistory
from ..status import Evaluation, MilestoneState, evaluate
from . import dates


@dataclass(frozen=True)
class Transition:
    label: str
    sources: frozenset[str]
    target: str
    roles: frozenset[str]
    note_required: bool = False


WIDE = R.OPS_CENTER | {R.DISTRICT_LEADER, R.SYSADMIN}
A, C, X = KeyTask.State.ACTIVE, KeyTask.State.COMPLETED, KeyTask.State.CANCELLED
# The one table of a key task's life: 推进中 → 已完成 (销号) or 已撤销; either may be reopened.
TRANSITIONS: dict[str, Transition] = {
    "complete": Transition("销号", frozenset({A}), C, WIDE),
    "cancel": Transition("撤销", frozenset({A}), X, WIDE, note_required=True),
    "reopen": Transition("重新督办", frozenset({C, X}), A, WIDE, note_required=True),
}


def allowed_actions(user: Any, task: KeyTask) -> list[tuple[str, str]]:
    p = policy.principal(user)
    return [(k, t.label) for k, t in TRANSITIONS.items() if task.state in t.sources and p.has(t.roles)]


def transition(user: Any, task: KeyTask, action: str, *, note: str = "", on: dt.date | None = None) -> KeyTask:
    t = TRANSITIONS.get(action)
    if t is None:
        raise Invalid(f"未知操作“{action}”", code="unknown_action")
    policy.require_write(user, task)
    policy.require_role(user, t.roles, f"您的角色无权{t.label}")
    if task.state not in t.sources:
        raise Conflict(f"任务当前为“{task.get_state_display()}”，不能{t.label}", code="bad_transition")
    if t.note_required and not note.strip():
        raise Invalid(f"{t.label}需填写说明", code="note_required")
    day = on or dates.today()
    if action == "complete":
        undone = [m.name for m in task.milestones.all() if not m.done_on and m.progress < 100]
        if undone:
            raise Conflict(f"尚有节点未完成：{'、'.join(undone)}", code="milestones_undone")
    before = {"state": task.state}
    with transaction.atomic():
        task.state = t.target
        task.state_note = note.strip()
        task.completed_on = day if t.target == C else None
        if action == "complete":
            # A reported 100% becomes a confirmed completion on销号.
            for m in task.milestones.filter(done_on__isnull=True):
                m.done_on = day
                m.save(update_fields=["done_on"])
        task.save()
        audit.action(task, action, before=before, after={"state": task.state, "note": task.state_note})
        refresh_status(task, day)
    return task


def milestone_states(task: KeyTask, on: dt.date, reports: Iterable[dict] | None = None) -> list[MilestoneState]:
    """The milestones as they stood at the end of `on`, rebuilt from the daily entries, so that
    a past month's report shows that month's status and not today's. `reports`: the task's
    entries' milestone_progress up to `on` in date order, when the caller has loaded them."""
    milestones = list(task.milestones.all())
    reported: dict[int, float] = {}
    if reports is None:
        reports = task.daily_entries.filter(date__lte=on).order_by("date").values_list("milestone_progress", flat=True)
    for progress in reports:
        for key, value in (progress or {}).items():
            reported[int(key)] = float(value)
    states = []
    for m in milestones:
        done = m.done_on is not None and m.done_on <= on
        states.append(MilestoneState(m.name, m.planned_date, float(m.weight), 100.0 if done else reported.get(m.pk, 0.0), done))
    return states


def evaluate_task(task: KeyTask, on: dt.date, reports: Iterable[dict] | None = None) -> Evaluation:
    measured = None
    if task.metric_key:
        measured = metrics.percent(task.metric_key, on, task.metric_street)
    completed = task.state == KeyTask.State.COMPLETED and task.completed_on is not None and task.completed_on <= on
    return evaluate(today=on, start=task.start_date, deadline=task.deadline, milestones=milestone_states(task, on, reports),
                    completed=completed, measured=measured, thresholds=config.thresholds())


def refresh_status(task: KeyTask, on: dt.date | None = None, reports: Iterable[dict] | None = None) -> Evaluation:
    """Re-evaluate the task's 红黄绿 status and record a StatusHistory row when it changes.
    A derived value, not a user's edit: the history is its audit trail."""
    on = on or dates.today()
    result = evaluate_task(task, on, reports)
    previous = task.status if task.status_on else ""
    fields = {"status": result.status, "status_reason": result.reason[:300], "planned_progress": round(result.planned, 1),
              "actual_progress": round(result.actual, 1), "status_on": on}
    KeyTask.objects.filter(pk=task.pk).update(**fields)
    for k, v in fields.items():
        setattr(task, k, v)
    if previous != result.status:
        StatusHistory.objects.create(task=task, on=on, status=result.status, previous=previous, reason=result.reason[:300],
                                     planned_progress=fields["planned_progress"], actual_progress=fields["actual_progress"])
    return result


def refresh_all(on: dt.date | None = None) -> dict[str, int]:
    on = on or dates.today()
    counts = {Status.GREEN: 0, Status.YELLOW: 0, Status.RED: 0}
    # Tasks closed before `on` keep their colour; the others' entries are read in one query.
    tasks = list(KeyTask.objects.exclude(state=KeyTask.State.CANCELLED).exclude(completed_on__lt=on, status_on__isnull=False)
                 .prefetch_related("milestones"))
    reports: dict[int, list[dict]] = {t.pk: [] for t in tasks}
    for task_id, progress in (DailyEntry.objects.filter(date__lte=on, task_id__in=list(reports)).order_by("date", "id")
                              .values_list("task_id", "milestone_progress")):
        reports[task_id].append(progress)
    for task in tasks:
        with transaction.atomic():
            counts[refresh_status(task, on, reports[task.pk]).status] += 1
    return {str(k): v for k, v in counts.items()}


def status_on(task: KeyTask, on: dt.date) -> str:
    """The recorded status on a past date (last change on or before it)."""
    row = task.status_history.filter(on__lte=on).order_by("-on", "-id").first()
    return row.status if row else task.status
