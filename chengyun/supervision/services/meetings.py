"""Meetings (调度会): the week's agenda, minutes, and decisions that become key tasks."""
from __future__ import annotations

import datetime as dt
from typing import Any, Mapping

from django.db import transaction
from django.db.models import Max

from chengyun.core import audit
from chengyun.core.errors import Invalid
from chengyun.geo.models import Unit
from chengyun.people import policy
from chengyun.people.models import Person

from ..models import AgendaItem, DailyEntry, Decision, KeyTask, Meeting, Status
from . import dates
from .dates import week_of
from .keytasks import MilestoneSpec, create_task
from .lifecycle import refresh_all
from .reminders import _notify_unit


MEETING_CATEGORY = "meeting"  # the category of action items made from decisions


def agenda_for(day: dt.date) -> list[dict[str, Any]]:
    """The agenda generated for a consultation on `day`: the red tasks, then the yellow ones,
    then every coordination request of the past seven days on a task not already listed."""
    items: list[dict[str, Any]] = []
    listed: set[int] = set()
    active = KeyTask.objects.filter(state=KeyTask.State.ACTIVE).select_related("lead_unit").order_by("deadline", "code")
    for status in (Status.RED, Status.YELLOW):
        for t in active.filter(status=status):
            requests = list(t.daily_entries.filter(date__gt=day - dt.timedelta(days=7), date__lte=day).exclude(coordination="")
                            .order_by("date").values_list("coordination", flat=True))
            reason = t.status_reason
            if requests:
                reason += "；需协调：" + "；".join(dict.fromkeys(requests))
            items.append({"task": t, "topic": f"{t.title}（{t.lead_unit.short_name or t.lead_unit.name}）", "status": status, "reason": reason})
            listed.add(t.pk)
    coordination = (DailyEntry.objects.filter(date__gt=day - dt.timedelta(days=7), date__lte=day, task__state=KeyTask.State.ACTIVE)
                    .exclude(coordination="").exclude(task_id__in=listed).select_related("task", "task__lead_unit").order_by("task__code", "date"))
    by_task: dict[int, list[DailyEntry]] = {}
    for e in coordination:
        by_task.setdefault(e.task_id, []).append(e)
    for entries in by_task.values():
        t = entries[0].task
        text = "；".join(dict.fromkeys(e.coordination for e in entries))
        items.append({"task": t, "topic": f"{t.title}（{t.lead_unit.short_name or t.lead_unit.name}）协调事项",
                      "status": t.status, "reason": f"需协调：{text}"})
    return items


def create_meeting(user: Any, *, date: dt.date, title: str = "", kind: str = Meeting.Kind.WEEKLY, chair: str = "",
                   attendees: str = "", location: str = "") -> Meeting:
    """Schedule a consultation with its agenda generated from the tasks' current state."""
    policy.require_create(user, Meeting, message="只有城运中心和区领导可以组织会商")
    if kind not in Meeting.Kind.values:
        raise Invalid("会议类型有误", code="bad_kind")
    week_start, week_end = week_of(date)
    # The agenda reads the stored colours: bring them up to date first.
    refresh_all(min(date, dates.today()))
    with transaction.atomic():
        meeting = Meeting.objects.create(
            kind=kind, date=date, week_start=week_start, chair=chair, attendees=attendees, location=location,
            title=title or f"重点任务周会商（{week_start.month}月{week_start.day}日—{week_end.month}月{week_end.day}日）")
        AgendaItem.objects.bulk_create([
            AgendaItem(meeting=meeting, order=i, task=item["task"], topic=item["topic"][:300], reason=item["reason"], status=item["status"])
            for i, item in enumerate(agenda_for(date), start=1)])
        audit.created(meeting)
    return meeting


def add_agenda_item(user: Any, meeting: Meeting, *, topic: str, task: KeyTask | None = None, reason: str = "") -> AgendaItem:
    policy.require_write(user, meeting)
    if not topic.strip():
        raise Invalid("请填写议题", code="topic_required")
    with transaction.atomic():
        order = (meeting.items.aggregate(m=Max("order"))["m"] or 0) + 1
        item = AgendaItem.objects.create(meeting=meeting, order=order, task=task, topic=topic.strip()[:300], reason=reason,
                                         status=task.status if task else "")
        audit.created(item)
    return item


def record_meeting(user: Any, meeting: Meeting, *, chair: str | None = None, attendees: str | None = None,
                   location: str | None = None, summary: str | None = None,
                   discussions: Mapping[int, str] | None = None, held: bool = True) -> Meeting:
    """The meeting record: who chaired and attended, what was said on each item."""
    policy.require_write(user, meeting, "只有城运中心和区领导可以记录会商")
    before = audit.snapshot(meeting)
    items = {i.pk: i for i in meeting.items.all()}
    for item_id in (discussions or {}):
        if int(item_id) not in items:
            raise Invalid(f"议题 {item_id} 不属于该会议", code="bad_item")
    if held and not (chair if chair is not None else meeting.chair).strip():
        raise Invalid("请填写主持人", code="chair_required")
    with transaction.atomic():
        for field, value in (("chair", chair), ("attendees", attendees), ("location", location), ("summary", summary)):
            if value is not None:
                setattr(meeting, field, value.strip())
        meeting.held = held
        meeting.save()
        audit.updated(meeting, before, verb="record_meeting")
        for item_id, text in (discussions or {}).items():
            item = items[int(item_id)]
            if item.discussion != text:
                ib = audit.snapshot(item)
                item.discussion = text.strip()
                item.save(update_fields=["discussion"])
                audit.updated(item, ib)
    return meeting


def add_decision(user: Any, meeting: Meeting, *, text: str, owner_unit: Unit, deadline: dt.date,
                 item: AgendaItem | None = None, related_task: KeyTask | None = None,
                 responsible_leader: Person | None = None) -> Decision:
    """议定事项 → an action item: a key task of source 会议议定 owned by `owner_unit`, tracked,
    reported on daily and coloured red-yellow-green like any other."""
    policy.require_write(user, meeting, "只有城运中心和区领导可以确定议定事项")
    text = (text or "").strip()
    if not text:
        raise Invalid("请填写议定内容", code="text_required")
    if item is not None and item.meeting_id != meeting.pk:
        raise Invalid("议题不属于该会议", code="bad_item")
    if related_task is None and item is not None:
        related_task = item.task
    if deadline < meeting.date:
        raise Invalid(f"完成时限 {deadline} 早于会议日期 {meeting.date}", code="deadline_before_meeting")
    with transaction.atomic():
        action = create_task(
            user, title=text[:200], source=KeyTask.Source.MEETING, category=MEETING_CATEGORY, lead_unit=owner_unit,
            deadline=deadline, start_date=meeting.date, description=f"{meeting.title}议定：{text}",
            responsible_leader=responsible_leader or (related_task.responsible_leader if related_task else None),
            milestones=[MilestoneSpec("落实完成", deadline, 1)],
            links=[("supervision.task", related_task.code)] if related_task else ())
        decision = Decision.objects.create(meeting=meeting, item=item, text=text, owner_unit=owner_unit, deadline=deadline,
                                           action_task=action, related_task=related_task)
        audit.created(decision)
    _notify_unit(owner_unit, f"会商议定事项：{text[:60]}", body=f"{meeting.title}议定，请于{deadline}前落实并每日报送进展。",
                 url=action.get_absolute_url(), dedup_key=f"sup:decision:{decision.pk}", kind="decision_assigned")
    return decision
