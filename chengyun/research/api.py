"""/api/v1/research/: plans, their workflow, visits and measures (对策建议 → action items)."""
from __future__ import annotations

import datetime as dt
from typing import Optional

from ninja import Query, Router, Schema, Status

from chengyun.core.pagination import Page, PageParams, paginate
from chengyun.geo.models import Unit
from chengyun.people import policy
from chengyun.people.lookup import referenced
from chengyun.people.models import Person

from . import services, workflow
from .models import ResearchPlan

router = Router(tags=["调研"])


class ResearchPlanIn(Schema):
    topic: str
    leader_id: int
    lead_unit_id: int
    start_date: dt.date
    end_date: dt.date
    team_ids: list[int] = []
    places: str = ""
    questions: str = ""


class ResearchActionIn(Schema):
    action: str
    report_title: str = ""
    report_summary: str = ""
    report_problems: str = ""


class ResearchVisitIn(Schema):
    date: dt.date
    place: str
    findings: str
    people_met: str = ""
    street: Optional[str] = None
    community: Optional[str] = None
    grid: Optional[str] = None
    compound: Optional[str] = None


class ResearchMeasureIn(Schema):
    text: str
    outcome: str
    owner_unit_id: int
    deadline: dt.date


class ResearchVisitOut(Schema):
    id: int
    date: dt.date
    place: str
    people_met: str
    findings: str
    street: Optional[str]
    community: Optional[str]
    grid: Optional[str]
    compound: Optional[str]
    photos: list[str]


class ResearchMeasureOut(Schema):
    id: int
    text: str
    outcome: str
    outcome_label: str
    owner_unit: str
    deadline: dt.date
    action_task: Optional[str]
    action_url: Optional[str]
    state: str
    status: str
    progress: float


class ResearchPlanOut(Schema):
    id: int
    code: str
    topic: str
    leader: str
    lead_unit: str
    team: list[str]
    start_date: dt.date
    end_date: dt.date
    places: list[str]
    questions: list[str]
    state: str
    state_label: str
    report_title: str
    reported_on: Optional[dt.date]
    actions: list[str]
    conversion: dict


def _plan_out(plan: ResearchPlan, user=None) -> dict:
    return {"id": plan.pk, "code": plan.code, "topic": plan.topic, "leader": plan.leader.name, "lead_unit": plan.lead_unit.name,
            "team": [p.name for p in plan.team.all()], "start_date": plan.start_date, "end_date": plan.end_date,
            "places": plan.place_list, "questions": plan.question_list, "state": plan.state, "state_label": str(workflow.label(plan.state)),
            "report_title": plan.report_title, "reported_on": plan.reported_on,
            "actions": [t.action for t in services.allowed_actions(user, plan)] if user is not None else [],
            "conversion": services.conversion_totals(plan)}


def _visit_out(v) -> dict:
    return {"id": v.pk, "date": v.date, "place": v.place, "people_met": v.people_met, "findings": v.findings,
            "street": v.street.code if v.street_id else None, "community": v.community.code if v.community_id else None,
            "grid": v.grid.code if v.grid_id else None, "compound": v.compound.code if v.compound_id else None,
            "photos": [p.file.url for p in v.photos.all()]}


def _measure_out(r: services.Conversion) -> dict:
    m = r.measure
    return {"id": m.pk, "text": m.text, "outcome": m.outcome, "outcome_label": str(r.outcome_label), "owner_unit": m.owner_unit.name,
            "deadline": m.deadline, "action_task": m.action_task.code if m.action_task else None,
            "action_url": m.action_task.get_absolute_url() if m.action_task else None, "state": str(r.state), "status": r.status,
            "progress": r.progress}


def _plans(user):
    return policy.visible(user, ResearchPlan.objects.select_related("leader", "lead_unit").prefetch_related("team"))


def _get(user, plan_id) -> ResearchPlan:
    return policy.get_visible(user, _plans(user), pk=plan_id)


@router.get("/plans", response=Page[ResearchPlanOut], summary="调研计划")
def plans(request, state: str = "", page: PageParams = Query(...)):
    qs = _plans(request.user)
    if state:
        qs = qs.filter(state=state)
    return paginate(qs, page, _plan_out)


@router.post("/plans", response={201: ResearchPlanOut}, summary="制定调研计划")
def create_plan(request, payload: ResearchPlanIn):
    leader = referenced(Person.objects.all(), payload.leader_id, field="leader_id", optional=False)
    unit = referenced(Unit.objects.all(), payload.lead_unit_id, field="lead_unit_id", optional=False)
    team = [referenced(Person.objects.all(), pk, field="team_ids", optional=False) for pk in payload.team_ids]
    plan = services.create_plan(request.user, topic=payload.topic, leader=leader, lead_unit=unit, start_date=payload.start_date,
                                end_date=payload.end_date, team=team, places=payload.places, questions=payload.questions)
    return Status(201, _plan_out(plan, request.user))


@router.get("/plans/{plan_id}", response=ResearchPlanOut, summary="调研计划详情")
def plan_detail(request, plan_id: int):
    return _plan_out(_get(request.user, plan_id), request.user)


@router.post("/plans/{plan_id}/actions", response=ResearchPlanOut, summary="办理调研计划（开始、形成报告、办结、撤销）")
def plan_action(request, plan_id: int, payload: ResearchActionIn):
    plan = services.transition(request.user, _get(request.user, plan_id), payload.action, report_title=payload.report_title,
                               report_summary=payload.report_summary, report_problems=payload.report_problems)
    return _plan_out(plan, request.user)


@router.get("/plans/{plan_id}/visits", response=list[ResearchVisitOut], summary="走访记录")
def visits(request, plan_id: int):
    plan = _get(request.user, plan_id)
    return [_visit_out(v) for v in plan.visits.select_related("street", "community", "grid", "compound").prefetch_related("photos")]


@router.post("/plans/{plan_id}/visits", response={201: ResearchVisitOut}, summary="记录走访")
def add_visit(request, plan_id: int, payload: ResearchVisitIn):
    visit = services.add_visit(request.user, _get(request.user, plan_id), **payload.dict())
    return Status(201, _visit_out(visit))


@router.get("/plans/{plan_id}/measures", response=list[ResearchMeasureOut], summary="对策建议及成果转化")
def measures(request, plan_id: int):
    return [_measure_out(r) for r in services.conversions(_get(request.user, plan_id))]


@router.post("/plans/{plan_id}/measures", response={201: ResearchMeasureOut}, summary="提出对策建议（转为督办事项）")
def add_measure(request, plan_id: int, payload: ResearchMeasureIn):
    plan = _get(request.user, plan_id)
    unit = referenced(Unit.objects.all(), payload.owner_unit_id, field="owner_unit_id", optional=False)
    m = services.add_measure(request.user, plan, text=payload.text, outcome=payload.outcome, owner_unit=unit, deadline=payload.deadline)
    return Status(201, _measure_out(next(r for r in services.conversions(plan) if r.measure.pk == m.pk)))
