"""Every write of research work: policy check, write, audit entry — in one place.

A measure (对策建议) becomes an action item through supervision's services (a key task of source
领导批示 in category 调研成果转化), so it is reported on daily, coloured red-yellow-green and
escalated like any other supervised task; 成果转化 reads its progress from there.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any, Iterable, Sequence

from django.core.files.base import ContentFile
from django.db import transaction
from django.utils.translation import gettext_lazy as _

from chengyun.core import audit, notify
from chengyun.core.errors import Conflict, Invalid
from chengyun.core.uploads import validated_image
from chengyun.geo.models import Community, Compound, Grid, Street, Unit
from chengyun.people import policy
from chengyun.people.lookup import referenced
from chengyun.people.models import Person
from chengyun.supervision import services as supervision
from chengyun.supervision.models import Category, KeyTask

from . import workflow
from .access import RESEARCHERS
from .models import ResearchMeasure, ResearchPhoto, ResearchPlan, ResearchVisit

RESEARCH_CATEGORY = "research"  # seeded by migration 0002; meetings' category if someone removed it


def _text(value: Any, field: str, label: str, *, required: bool = True, limit: int = 0) -> str:
    text = str(value or "").strip()
    if required and not text:
        raise Invalid(f"请填写{label}", code=f"{field}_required", detail={"field": field})
    if limit and len(text) > limit:
        raise Invalid(f"{label}不能超过 {limit} 字", code=f"{field}_too_long", detail={"field": field})
    return text


def _date(value: Any, field: str, label: str) -> dt.date:
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value))
    except ValueError:
        raise Invalid(f"{label}格式有误，应为 YYYY-MM-DD", code=f"bad_{field}", detail={"field": field}) from None


def _next_code(year: int) -> str:
    n = ResearchPlan.objects.filter(code__startswith=f"DY{year}-").count() + 1
    while ResearchPlan.objects.filter(code=f"DY{year}-{n:03d}").exists():
        n += 1
    return f"DY{year}-{n:03d}"


def create_plan(user: Any, *, topic: str, leader: Person, lead_unit: Unit, start_date: Any, end_date: Any,
                team: Iterable[Person] = (), places: str = "", questions: str = "") -> ResearchPlan:
    policy.require_role(user, RESEARCHERS, "只有区领导和城运中心值班长可以制定调研计划")
    topic = _text(topic, "topic", "调研课题", limit=200)
    start, end = _date(start_date, "start_date", "开始日期"), _date(end_date, "end_date", "结束日期")
    if end < start:
        raise Invalid(f"结束日期 {end} 早于开始日期 {start}", code="end_before_start", detail={"field": "end_date"})
    with transaction.atomic():
        plan = ResearchPlan.objects.create(code=_next_code(start.year), topic=topic, leader=leader, lead_unit=lead_unit,
                                           start_date=start, end_date=end, places=str(places or "").strip(),
                                           questions=str(questions or "").strip(),
                                           created_by=user if getattr(user, "is_authenticated", False) else None)
        plan.team.set([p for p in team if p.pk != leader.pk])
        audit.created(plan)
    users = [p.user for p in plan.team.select_related("user") if p.user_id]
    notify.notify(users, f"您已列入调研组：{plan.topic}", body=f"{start}至{end}，带队：{leader.name}", url=plan.get_absolute_url(),
                  kind="research", dedup_key=f"research:team:{plan.pk}")
    return plan


def allowed_actions(user: Any, plan: ResearchPlan) -> list[workflow.Transition]:
    if not policy.can_write(user, plan):
        return []
    return [t for t in workflow.TRANSITIONS.values() if plan.state in t.sources]


def transition(user: Any, plan: ResearchPlan, action: str, *, report_title: str = "", report_summary: str = "",
               report_problems: str = "", on: dt.date | None = None) -> ResearchPlan:
    """Move a plan along the workflow table; 形成报告 carries the report's title and text."""
    t = workflow.TRANSITIONS.get(action)
    if t is None:
        raise Invalid(f"未知的操作：{action}", code="unknown_action", detail={"field": "action"})
    policy.require_write(user, plan, "您无权办理该调研计划")
    if plan.state not in t.sources:
        raise Conflict(f"调研计划当前为“{workflow.label(plan.state)}”，不能{t.label}", code="bad_transition")
    before = audit.snapshot(plan)
    if action == "report":
        if not plan.visits.exists():
            raise Conflict("尚无走访记录，不能形成调研报告", code="no_visits")
        plan.report_title = _text(report_title, "report_title", "调研报告标题", limit=200)
        plan.report_summary = _text(report_summary, "report_summary", "基本情况")
        plan.report_problems = _text(report_problems, "report_problems", "存在问题")
        plan.reported_on = on or supervision.dates.today()
    if action == "conclude":
        open_items = [m for m in plan.measures.select_related("action_task") if m.action_task and m.action_task.state == KeyTask.State.ACTIVE]
        if not plan.measures.exists() or open_items:
            raise Conflict(f"尚有{len(open_items)}项对策建议未落实，不能办结" if open_items else "尚无对策建议，不能办结",
                           code="measures_open")
    plan.state = t.target
    with transaction.atomic():
        plan.save()
        audit.updated(plan, before, verb=action)
    return plan


def _place(model, value: Any, field: str):
    """A street, community, grid or compound by its code (or the record itself); unknown codes are a 422 naming the field."""
    if isinstance(value, model):
        return value
    return referenced(model.objects.all(), value, field=field, lookup="code")


def add_visit(user: Any, plan: ResearchPlan, *, date: Any, place: str, findings: str, people_met: str = "",
              street: Any = None, community: Any = None, grid: Any = None, compound: Any = None,
              photos: Sequence[Any] = ()) -> ResearchVisit:
    policy.require_write(user, plan, "只有调研组成员可以记录走访")
    if plan.state not in workflow.VISITS_IN:
        raise Conflict(f"调研计划当前为“{workflow.label(plan.state)}”，不能记录走访", code="bad_state")
    day = _date(date, "date", "走访日期")
    if not plan.start_date <= day <= plan.end_date:
        raise Invalid(f"走访日期 {day} 不在调研时间 {plan.start_date} 至 {plan.end_date} 内", code="date_outside_plan", detail={"field": "date"})
    place = _text(place, "place", "走访地点", limit=200)
    findings = _text(findings, "findings", "调研发现")
    g, c, s, cp = _place(Grid, grid, "grid"), _place(Community, community, "community"), _place(Street, street, "street"), _place(Compound, compound, "compound")
    if g is not None:
        c = c or g.community
    if c is not None:
        s = s or c.street
    checked = [validated_image(p, field="photos") for p in photos]
    with transaction.atomic():
        visit = ResearchVisit.objects.create(plan=plan, date=day, place=place, findings=findings, people_met=str(people_met or "").strip(),
                                             street=s, community=c, grid=g, compound=cp,
                                             recorded_by=user if getattr(user, "is_authenticated", False) else None)
        for i, (data, info) in enumerate(checked, start=1):
            photo = ResearchPhoto(visit=visit)
            photo.file.save(f"{visit.pk}-{i}-{info.sha256[:12]}.{info.extension}", ContentFile(data), save=False)
            photo.save()
        audit.created(visit)
    return visit


def _category() -> str:
    return RESEARCH_CATEGORY if Category.objects.filter(code=RESEARCH_CATEGORY, active=True).exists() else supervision.MEETING_CATEGORY


def add_measure(user: Any, plan: ResearchPlan, *, text: str, outcome: str, owner_unit: Unit, deadline: Any) -> ResearchMeasure:
    """对策建议 → an action item owned by `owner_unit` with a deadline, tracked by supervision."""
    policy.require_write(user, plan, "您无权为该调研提出对策建议")
    if plan.state not in workflow.MEASURES_IN:
        raise Conflict(f"调研计划当前为“{workflow.label(plan.state)}”，形成调研报告后才能提出对策建议", code="bad_state")
    text = _text(text, "text", "对策建议")
    if outcome not in ResearchMeasure.Outcome.values:
        raise Invalid("转化方式应为 policy（出台政策）、project（实施项目）或 task（工作任务）", code="bad_outcome", detail={"field": "outcome"})
    if not isinstance(owner_unit, Unit):
        raise Invalid("请选择责任单位", code="owner_unit_required", detail={"field": "owner_unit"})
    due = _date(deadline, "deadline", "完成时限")
    start = plan.reported_on or supervision.dates.today()
    if due < start:
        raise Invalid(f"完成时限 {due} 早于报告日期 {start}", code="deadline_before_report", detail={"field": "deadline"})
    with transaction.atomic():
        task = supervision.create_task(
            None, title=text[:200], source=KeyTask.Source.LEADER, category=_category(), lead_unit=owner_unit, deadline=due,
            start_date=start, description=f"调研《{plan.report_title or plan.topic}》对策建议：{text}",
            responsible_leader=plan.leader, milestones=[supervision.MilestoneSpec("落实完成", due, 1)])
        measure = ResearchMeasure.objects.create(plan=plan, text=text, outcome=outcome, owner_unit=owner_unit, deadline=due, action_task=task)
        audit.created(measure)
    notify.notify(supervision.unit_users(owner_unit.pk), f"调研成果转化任务：{text[:60]}", body=f"《{plan.report_title or plan.topic}》，请于{due}前落实。",
                  url=task.get_absolute_url(), kind="decision_assigned", dedup_key=f"research:measure:{measure.pk}")
    return measure


@dataclass
class Conversion:
    """成果转化: one measure, what it became and how far it got."""

    measure: ResearchMeasure
    state: str  # the action item's state label
    status: str  # red / yellow / green / done
    progress: float

    @property
    def outcome_label(self) -> str:
        return self.measure.get_outcome_display()


def conversions(plan: ResearchPlan) -> list[Conversion]:
    rows = []
    for m in plan.measures.select_related("owner_unit", "action_task"):
        t = m.action_task
        if t is None:
            rows.append(Conversion(m, _("未立项"), "", 0.0))
            continue
        done = t.state == KeyTask.State.COMPLETED
        rows.append(Conversion(m, t.get_state_display(), "done" if done else t.status, 100.0 if done else t.actual_progress))
    return rows


def conversion_totals(plan: ResearchPlan) -> dict[str, Any]:
    rows = conversions(plan)
    by_outcome = {o: sum(1 for r in rows if r.measure.outcome == o) for o in ResearchMeasure.Outcome.values}
    done = sum(1 for r in rows if r.status == "done")
    return {"measures": len(rows), "done": done, "by_outcome": by_outcome,
            "progress": round(sum(r.progress for r in rows) / len(rows), 1) if rows else 0.0}
