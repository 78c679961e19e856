"""The scheduled side: cut-off and deadline reminders, missing entries flagged, escalations, and the
scheduler's `tick` that runs whatever is due.
"""
from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import transaction
from django.utils import timezone

from chengyun.core.calendar import get_calendar
from chengyun.core.notify import notify
from chengyun.geo.models import Unit
from chengyun.people import roles as R
from chengyun.people.models import Person

from .. import config
from ..models import KeyTask, Milestone, Status
from .daily import missing_entries
from .dates import _local, cutoff_at
from .lifecycle import refresh_all, refresh_status


def unit_users(unit_id: int) -> list[Any]:
    people = Person.objects.filter(unit_id=unit_id, active=True, user__isnull=False, roles__code=R.DEPT_HANDLER).select_related("user")
    return [p.user for p in people.distinct()]


def ops_users() -> list[Any]:
    people = Person.objects.filter(active=True, user__isnull=False, roles__code__in=[R.OPS_SHIFT_LEADER]).select_related("user")
    return [p.user for p in people.distinct()]


def _notify_unit(unit: Unit, title: str, **kwargs: Any) -> int:
    return len(notify(unit_users(unit.pk), title, **kwargs))


def send_cutoff_reminders(day: dt.date) -> int:
    """Before the cut-off: remind each lead unit of the entries it still owes today."""
    sent = 0
    by_unit: dict[int, list[KeyTask]] = {}
    for t in missing_entries(day):
        by_unit.setdefault(t.lead_unit_id, []).append(t)
    cut = config.cutoff().strftime("%H:%M")
    for unit_id, tasks in by_unit.items():
        names = "、".join(t.title for t in tasks[:5]) + (f"等{len(tasks)}项" if len(tasks) > 5 else "")
        sent += len(notify(unit_users(unit_id), f"请于{cut}前报送今日督办任务进展（{len(tasks)}项未报）", body=names,
                           url="/supervision/daily/entry/", level="warning", dedup_key=f"sup:cutoff:{unit_id}:{day}", kind="daily_entry"))
    return sent


def flag_missing(day: dt.date) -> int:
    """After the cut-off: tell the ops center which units have not reported, and the units themselves."""
    missing = missing_entries(day)
    if not missing:
        return 0
    units = sorted({t.lead_unit.short_name or t.lead_unit.name for t in missing})
    sent = len(notify(ops_users(), f"{day.month}月{day.day}日日调度：{len(missing)}项任务未按时报送",
                      body="未报单位：" + "、".join(units), url=f"/supervision/daily/?date={day}", level="warning",
                      dedup_key=f"sup:missing:{day}", kind="daily_entry"))
    for unit_id in {t.lead_unit_id for t in missing}:
        sent += len(notify(unit_users(unit_id), "今日督办任务进展逾时未报", body="请尽快补报，逾时填报将记入月度通报。",
                           url="/supervision/daily/entry/", level="danger", dedup_key=f"sup:late:{unit_id}:{day}", kind="daily_entry"))
    return sent


def remind_deadlines(day: dt.date) -> int:
    """Milestones and deadlines coming up within the configured days: remind the lead unit once each."""
    horizon = day + dt.timedelta(days=config.deadline_remind_days())
    sent = 0
    for t in KeyTask.objects.filter(state=KeyTask.State.ACTIVE, deadline__gte=day, deadline__lte=horizon):
        sent += len(notify(unit_users(t.lead_unit_id), f"督办任务将于{t.deadline}到期：{t.title}", url=t.get_absolute_url(),
                           level="warning", dedup_key=f"sup:deadline:{t.pk}:{t.deadline}", kind="deadline_near"))
    for m in Milestone.objects.filter(task__state=KeyTask.State.ACTIVE, done_on__isnull=True, progress__lt=100,
                                      planned_date__gte=day, planned_date__lte=horizon).select_related("task"):
        sent += len(notify(unit_users(m.task.lead_unit_id), f"节点将于{m.planned_date}到期：{m.task.title}—{m.name}",
                           url=m.task.get_absolute_url(), level="warning", dedup_key=f"sup:milestone:{m.pk}:{m.planned_date}", kind="deadline_near"))
    return sent


def escalate_overdue(day: dt.date) -> int:
    """Overdue (a deadline or milestone passed undone): the responsible leader is told, once per overdue item."""
    sent = 0
    for t in KeyTask.objects.filter(state=KeyTask.State.ACTIVE, status=Status.RED).select_related("responsible_leader__user", "lead_unit"):
        overdue_keys = []
        if t.deadline < day:
            overdue_keys.append(f"deadline:{t.deadline}")
        overdue_keys += [f"m{m.pk}" for m in t.milestones.filter(done_on__isnull=True, progress__lt=100, planned_date__lt=day)]
        if not overdue_keys:
            continue
        leader = t.responsible_leader.user if t.responsible_leader and t.responsible_leader.user_id else None
        recipients = [leader] if leader else ops_users()
        sent += len(notify(recipients, f"督办任务逾期：{t.title}", body=f"牵头单位：{t.lead_unit.name}。{t.status_reason}",
                           url=t.get_absolute_url(), level="danger", dedup_key=f"sup:escalate:{t.pk}:{','.join(overdue_keys)}"[:200], kind="escalation"))
    return sent


def tick(now: dt.datetime | None = None) -> dict[str, Any]:
    """The scheduler's heartbeat (every few minutes): whatever is due at this local time happens
    once — dedup keys and the archive make repeated ticks harmless."""
    moment = _local(now)
    day = moment.date()
    done: dict[str, Any] = {}
    if KeyTask.objects.filter(state=KeyTask.State.ACTIVE).exclude(status_on=day).exists():
        done["refreshed"] = refresh_all(day)
        done["deadline_reminders"] = remind_deadlines(day)
        done["escalations"] = escalate_overdue(day)
    else:
        # A measured target moves with another module's data, not with any write here.
        measured = KeyTask.objects.filter(state=KeyTask.State.ACTIVE).exclude(metric_key="").prefetch_related("milestones")
        for task in measured:
            with transaction.atomic():
                refresh_status(task, day)
        done["measured"] = len(measured)
    if not get_calendar().is_workday(day):
        return done
    cut = cutoff_at(day)
    if moment >= cut - dt.timedelta(minutes=config.remind_minutes()) and moment < cut:
        done["cutoff_reminders"] = send_cutoff_reminders(day)
    if moment >= cut:
        done["missing_flagged"] = flag_missing(day)
    if moment >= timezone.make_aware(dt.datetime.combine(day, config.brief_at())):
        from chengyun.reports import services as reports

        if reports.latest("supervision-daily", day.isoformat()) is None:
            run, _ = reports.generate(None, "supervision-daily", {"date": day.isoformat()})
            done["brief"] = run.pk
            notify(ops_users(), f"{day.month}月{day.day}日日调度简报已生成", url=f"/supervision/daily/brief/?date={day}",
                   dedup_key=f"sup:brief:{day}", kind="report_ready")
    return done
