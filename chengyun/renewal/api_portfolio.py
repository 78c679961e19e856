"""/api/v1/renewal/ — the portfolio half: projects, compounds, lift projects, parking gaps,
charging plan. A thin router over services; reads go through the policy."""
from __future__ import annotations

import datetime as dt
from typing import Any, Optional

from ninja import Query, Router, Schema, Status
from pydantic import Field

from chengyun.core.errors import Invalid, NotFound
from chengyun.core.pagination import Page, PageParams, paginate
from chengyun.people import policy

from . import project_types as pt
from . import project_workflow as pw
from .filters_portfolio import CompoundFilter, LiftFilter, RenewalProjectFilter
from .models import LiftObjection, LiftProject, Problem, Project
from .services import access, charging, lifts, parking, participation, portfolio

router = Router(tags=["城市更新项目库"])


# -- projects --------------------------------------------------------------------------------------

def project_out(p: Project, *, detail: bool = False) -> dict[str, Any]:
    out = {
        "id": p.id, "key": p.key, "code": p.code, "name": p.name, "type": p.type, "type_label": str(pt.TYPES[p.type].label),
        "state": p.state, "state_label": str(pw.STATES[p.state]), "metrics": p.metrics, "contents": p.contents,
        "responsible_unit": p.responsible_unit.code if p.responsible_unit_id else None,
        "street": p.street.code if p.street_id else None, "community": p.community.code if p.community_id else None,
        "start_year": p.start_year, "end_year": p.end_year, "total_investment_wan": float(p.total_investment_wan),
        "lng": p.lng, "lat": p.lat, "supervision_task": p.supervision_task or None,
        "completed_on": p.completed_on, "progress": portfolio.latest_percent(p),
        "targets": [{"year": t.year, "content": t.content, "quantity": t.quantity, "investment_wan": float(t.investment_wan)}
                    for t in p.targets.all()],
        "funding": [{"source": f.source, "source_label": str(pt.FUNDING_SOURCES[f.source]), "year": f.year,
                     "amount_wan": float(f.amount_wan), "secured": f.secured} for f in p.funding.all()],
        "compounds": [c.code for c in p.compounds.all()],
    }
    if detail:
        out["problems"] = [{"code": x.code, "title": x.title, "state": x.state} for x in portfolio.linked_problems(p)]
        out["assets"] = [{"kind": a.kind, "code": a.code, "label": a.label, "length_m": a.length_m} for a in p.assets.all()]
        out["progress_reports"] = [{"reported_on": r.reported_on, "percent": r.percent, "quantity_done": r.quantity_done, "note": r.note}
                                   for r in p.progress_reports.all()]
        out["events"] = [{"action": e.action, "from": e.from_state, "to": e.to_state, "at": e.at, "note": e.note} for e in p.events.all()]
        out["consultations"] = [{"stage": c.stage, "held_on": c.held_on, "households_reached": c.households_reached,
                                 "responses": c.responses, "favourable": c.favourable, "favourable_rate": c.favourable_rate}
                                for c in p.consultations.all()]
        out["supervisors"] = [{"name": s.name, "building": s.building, "appointed_on": s.appointed_on} for s in p.supervisors.all()]
        acc = getattr(p, "acceptance", None) if hasattr(p, "acceptance") else None
        out["acceptance"] = ({"accepted_on": acc.accepted_on, "conclusion": acc.conclusion, "representatives": acc.representatives}
                             if acc else None)
    return out


def _projects(request):
    return access.visible(request.user, Project.objects.select_related("responsible_unit", "street", "community")
                          .prefetch_related("targets", "funding", "compounds", "progress_reports"))


def _project(request, project_id: int) -> Project:
    return access.get_visible(request.user, _projects(request), pk=project_id)


@router.get("/projects", response=Page[dict], summary="城市更新项目库（项目 JSON 含 type、state、年度目标与资金）")
def projects(request, filters: RenewalProjectFilter = Query(...), page: PageParams = Query(...)):
    return paginate(filters.filter(_projects(request)).order_by("code"), page, project_out)


class TargetIn(Schema):
    year: int
    quantity: float = 0
    content: str = ""
    investment_wan: float = 0


class FundingIn(Schema):
    source: str
    year: int
    amount_wan: float
    secured: bool = False
    note: str = ""


class RenewalProjectIn(Schema):
    name: str
    type: str
    start_year: int
    end_year: int
    metrics: dict[str, Any] = Field(default_factory=dict)
    contents: list[str] = Field(default_factory=list)
    description: str = ""
    responsible_unit: Optional[str] = None
    street: Optional[str] = None
    community: Optional[str] = None
    total_investment_wan: float = 0
    lng: Optional[float] = None
    lat: Optional[float] = None
    targets: list[TargetIn] = Field(default_factory=list)
    funding: list[FundingIn] = Field(default_factory=list)
    compounds: list[str] = Field(default_factory=list)


@router.post("/projects", response={201: dict}, summary="登记更新项目（谋划储备）")
def create_project(request, payload: RenewalProjectIn):
    data = payload.dict()
    targets, funding = data.pop("targets"), data.pop("funding")
    p = portfolio.create_project(request.user, targets=targets, funding=funding, **data)
    return Status(201, project_out(Project.objects.get(pk=p.pk), detail=True))


@router.get("/projects/{project_id}", response=dict, summary="更新项目详情")
def project_detail(request, project_id: int):
    return project_out(_project(request, project_id), detail=True)


class ProjectPatch(Schema):
    name: Optional[str] = None
    description: Optional[str] = None
    metrics: Optional[dict[str, Any]] = None
    contents: Optional[list[str]] = None
    responsible_unit: Optional[str] = None
    street: Optional[str] = None
    community: Optional[str] = None
    start_year: Optional[int] = None
    end_year: Optional[int] = None
    total_investment_wan: Optional[float] = None
    lng: Optional[float] = None
    lat: Optional[float] = None


@router.patch("/projects/{project_id}", response=dict, summary="修改更新项目")
def patch_project(request, project_id: int, payload: ProjectPatch):
    p = portfolio.update_project(request.user, _project(request, project_id), **payload.dict(exclude_unset=True))
    return project_out(_project(request, p.pk), detail=True)


@router.put("/projects/{project_id}/targets", response=dict, summary="年度目标（整体替换）")
def put_targets(request, project_id: int, payload: list[TargetIn]):
    p = _project(request, project_id)
    portfolio.set_targets(request.user, p, [t.dict() for t in payload])
    return project_out(_project(request, p.pk))


@router.put("/projects/{project_id}/funding", response=dict, summary="资金来源（整体替换）")
def put_funding(request, project_id: int, payload: list[FundingIn]):
    p = _project(request, project_id)
    portfolio.set_funding(request.user, p, [f.dict() for f in payload])
    return project_out(_project(request, p.pk))


class RenewalProgressIn(Schema):
    percent: int
    reported_on: Optional[dt.date] = None
    quantity_done: float = 0
    invested_wan: float = 0
    note: str = ""


@router.post("/projects/{project_id}/progress", response={201: dict}, summary="报告项目进展")
def post_progress(request, project_id: int, payload: RenewalProgressIn):
    r = portfolio.report_progress(request.user, _project(request, project_id), **payload.dict())
    return Status(201, {"id": r.id, "percent": r.percent, "reported_on": r.reported_on})


class ProblemLinkIn(Schema):
    problem: str = Field(description="问题编号")


@router.post("/projects/{project_id}/problems", response={201: dict}, summary="关联体检问题（作为其整改措施）")
def post_problem(request, project_id: int, payload: ProblemLinkIn):
    p = _project(request, project_id)
    problem = access.get_visible(request.user, Problem.objects.all(), code=payload.problem)
    remedy = portfolio.link_problem(request.user, p, problem)
    problem.refresh_from_db()
    return Status(201, {"problem": problem.code, "state": problem.state, "accepted": remedy.accepted_at is not None})


class CompoundsIn(Schema):
    compounds: list[str]


@router.post("/projects/{project_id}/compounds", response=dict, summary="关联小区")
def post_compounds(request, project_id: int, payload: CompoundsIn):
    p = _project(request, project_id)
    portfolio.link_compounds(request.user, p, payload.compounds)
    return project_out(_project(request, p.pk))


class AssetIn(Schema):
    kind: str = Field(description="drainage.pipe 或 renewal.feature（图层编码/要素编码）")
    code: str
    label: str = ""


@router.post("/projects/{project_id}/assets", response={201: dict}, summary="关联资产（排水管段、管线图层要素）")
def post_asset(request, project_id: int, payload: AssetIn):
    a = portfolio.link_asset(request.user, _project(request, project_id), **payload.dict())
    return Status(201, {"kind": a.kind, "code": a.code, "length_m": a.length_m})


class RenewalSuperviseIn(Schema):
    deadline: dt.date
    lead_unit: Optional[str] = None


@router.post("/projects/{project_id}/supervise", response={201: dict}, summary="列入督办（创建重点任务）")
def post_supervise(request, project_id: int, payload: RenewalSuperviseIn):
    from chengyun.geo.models import Unit

    unit = None
    if payload.lead_unit:
        unit = Unit.objects.filter(code=payload.lead_unit).first()
        if unit is None:
            raise Invalid(f"单位 {payload.lead_unit} 不存在", code="unknown_unit", detail={"field": "lead_unit"})
    task = portfolio.supervise(request.user, _project(request, project_id), deadline=payload.deadline, lead_unit=unit)
    return Status(201, {"task": task.code, "metric_key": task.metric_key})


class ConsultationIn(Schema):
    stage: str
    held_on: dt.date
    households_reached: int
    responses: int
    favourable: int
    summary: str = ""


@router.post("/projects/{project_id}/consultations", response={201: dict}, summary="三问于民：记录居民征询")
def post_consultation(request, project_id: int, payload: ConsultationIn):
    c = participation.record_consultation(request.user, _project(request, project_id), **payload.dict())
    return Status(201, {"id": c.id, "stage": c.stage, "favourable_rate": c.favourable_rate})


class SupervisorIn(Schema):
    name: str
    appointed_on: dt.date
    phone: str = ""
    building: str = ""


@router.post("/projects/{project_id}/supervisors", response={201: dict}, summary="聘任居民监督员")
def post_supervisor(request, project_id: int, payload: SupervisorIn):
    s = participation.appoint_supervisor(request.user, _project(request, project_id), **payload.dict())
    return Status(201, {"id": s.id, "name": s.name})


class RenewalTransitionIn(Schema):
    note: str = ""
    on: Optional[dt.date] = None
    representatives: list[str] = Field(default_factory=list)
    conclusion: str = ""


@router.post("/projects/{project_id}/{action}",
             summary="项目流转：approve 立项 / fund 资金落实 / tender 招标 / start 开工 / accept 竣工验收 / handover 移交运维 / withdraw 撤出（阶段不允许时 409）")
def project_action(request, project_id: int, action: str, payload: RenewalTransitionIn):
    p = portfolio.transition(request.user, _project(request, project_id), action, **payload.dict())
    return {"id": p.id, "code": p.code, "state": p.state, "state_label": str(pw.STATES[p.state])}


# -- compounds ---------------------------------------------------------------------------------------

def compound_out(c: Any) -> dict[str, Any]:
    return {"code": c.code, "name": c.name, "community": c.community.code, "street": c.community.street.code, "built_year": c.built_year,
            "buildings": c.buildings, "households": c.households, "floor_area_m2": c.floor_area_m2, "management_mode": c.management_mode,
            "eligible_old_compound": participation.is_eligible(c), "lng": c.lng, "lat": c.lat,
            "projects": [p.code for p in c.renewal_projects.all()]}


@router.get("/compounds", response=Page[dict], summary="住宅小区（老旧小区改造资格、关联项目）")
def compounds(request, filters: CompoundFilter = Query(...), page: PageParams = Query(...)):
    from chengyun.geo.models import Compound

    qs = policy.visible(request.user, Compound.objects.select_related("community__street").prefetch_related("renewal_projects"))
    return paginate(filters.filter(qs).order_by("code"), page, compound_out)


# -- lift projects -----------------------------------------------------------------------------------

def lift_out(lift: LiftProject, *, detail: bool = False) -> dict[str, Any]:
    out = {"id": lift.id, "code": lift.code, "compound": lift.compound.code, "compound_name": lift.compound.name,
           "building": lift.building, "unit_no": lift.unit_no, "floors": lift.floors, "stage": lifts.stage(lift),
           "stage_label": str(lifts.STEPS[lifts.stage(lift)]), "tally": lift.tally or None, "approved": lift.approved,
           "publicity_start": lift.publicity_start, "publicity_end": lift.publicity_end, "permits_on": lift.permits_on,
           "construction_started_on": lift.construction_started_on, "accepted_on": lift.accepted_on,
           "registration_no": lift.registration_no or None, "registered_on": lift.registered_on,
           "subsidy_yuan": float(lift.subsidy_yuan) if lift.subsidy_yuan is not None else None,
           "project": lift.project.code if lift.project_id else None}
    if detail:
        out["owners"] = [{"part": o.part, "owner": o.owner, "area_m2": float(o.area_m2), "floor": o.floor, "vote": o.vote}
                         for o in lift.owners.all()]
        out["objections"] = [{"id": o.id, "raised_on": o.raised_on, "objector": o.objector, "content": o.content,
                              "mediated_on": o.mediated_on, "mediation": o.mediation, "resolved": o.resolved} for o in lift.objections.all()]
    return out


def _lifts(request):
    return access.visible(request.user, LiftProject.objects.select_related("compound", "project"))


def _lift(request, lift_id: int) -> LiftProject:
    return access.get_visible(request.user, _lifts(request), pk=lift_id)


@router.get("/lift-projects", response=Page[dict], summary="加装电梯项目（含表决计票结果）")
def lift_projects(request, filters: LiftFilter = Query(...), page: PageParams = Query(...)):
    return paginate(filters.filter(_lifts(request)).order_by("code"), page, lift_out)


class LiftIn(Schema):
    compound: str
    building: str
    unit_no: str
    floors: int
    project: Optional[str] = None
    responsible_unit: Optional[str] = None


@router.post("/lift-projects", response={201: dict}, summary="登记加装电梯（按单元）")
def create_lift(request, payload: LiftIn):
    data = payload.dict()
    project = None
    if data.pop("project"):
        project = Project.objects.filter(code=payload.project).first()
        if project is None:
            raise Invalid(f"更新项目 {payload.project} 不存在", code="unknown_project", detail={"field": "project"})
    lift = lifts.create_lift(request.user, project=project, **data)
    return Status(201, lift_out(lift, detail=True))


@router.get("/lift-projects/{lift_id}", response=dict, summary="加装电梯项目详情")
def lift_detail(request, lift_id: int):
    return lift_out(_lift(request, lift_id), detail=True)


class OwnerIn(Schema):
    part: str
    owner: str
    area_m2: Any
    floor: Optional[int] = None


@router.put("/lift-projects/{lift_id}/owners", response=dict, summary="业主名册（专有部分、面积；整体替换）")
def put_owners(request, lift_id: int, payload: list[OwnerIn]):
    lift = _lift(request, lift_id)
    lifts.set_owners(request.user, lift, [o.dict() for o in payload])
    return lift_out(_lift(request, lift_id), detail=True)


class VoteIn(Schema):
    owner: str
    vote: str
    area_m2: Any = None


@router.post("/lift-projects/{lift_id}/votes", response=dict, summary="录入表决意见并计票（未知业主、负面积 422，不保存）")
def post_votes(request, lift_id: int, payload: list[VoteIn]):
    lift = _lift(request, lift_id)
    lifts.record_votes(request.user, lift, [v.dict(exclude_none=True) for v in payload])
    return lift_out(_lift(request, lift_id), detail=True)


class ObjectionIn(Schema):
    objector: str
    content: str
    raised_on: dt.date


@router.post("/lift-projects/{lift_id}/objections", response={201: dict}, summary="公示期异议")
def post_objection(request, lift_id: int, payload: ObjectionIn):
    o = lifts.add_objection(request.user, _lift(request, lift_id), **payload.dict())
    return Status(201, {"id": o.id})


class LiftMediationIn(Schema):
    result: str
    resolved: bool
    on: dt.date


@router.post("/lift-objections/{objection_id}/mediate", response=dict, summary="异议调解")
def post_mediation(request, objection_id: int, payload: LiftMediationIn):
    objection = LiftObjection.objects.select_related("lift").filter(pk=objection_id).first()
    if objection is None or not access.visible(request.user, LiftProject.objects.filter(pk=objection.lift_id)).exists():
        raise NotFound()
    o = lifts.mediate(request.user, objection, **payload.dict())
    return {"id": o.id, "resolved": o.resolved}


class LiftStepIn(Schema):
    on: dt.date
    planning_permit: str = ""
    construction_permit: str = ""
    registration_no: str = ""


LIFT_STEPS = {
    "publicity": lambda u, lift, p: lifts.start_publicity(u, lift, start=p.on),
    "permits": lambda u, lift, p: lifts.record_permits(u, lift, planning_permit=p.planning_permit, construction_permit=p.construction_permit, on=p.on),
    "construction": lambda u, lift, p: lifts.start_construction(u, lift, on=p.on),
    "acceptance": lambda u, lift, p: lifts.accept(u, lift, on=p.on),
    "registration": lambda u, lift, p: lifts.register_equipment(u, lift, registration_no=p.registration_no, on=p.on),
}


@router.post("/lift-projects/{lift_id}/{step}",
             summary="加装电梯办理：publicity 公示 / permits 许可 / construction 开工 / acceptance 验收 / registration 使用登记（顺序不符 409）")
def lift_step(request, lift_id: int, step: str, payload: LiftStepIn):
    fn = LIFT_STEPS.get(step)
    if fn is None:
        raise Invalid(f"未知的办理环节：{step}", code="unknown_step", detail={"step": step})
    lift = fn(request.user, _lift(request, lift_id), payload)
    return lift_out(lift)


# -- parking and charging ------------------------------------------------------------------------------

@router.get("/parking-gaps", response=list[dict], summary="停车泊位缺口（按社区：需求、供给、缺口、在建项目、充电桩缺口）")
def parking_gaps(request, street: Optional[str] = None):
    return [g.as_dict() for g in parking.gaps(street)]


class DemandIn(Schema):
    id: Optional[str] = None
    name: str = ""
    lng: float
    lat: float
    weight: int


class CandidateIn(Schema):
    id: Optional[str] = None
    name: str = ""
    lng: float
    lat: float
    capacity: int
    existing: bool = False


class ChargingPlanIn(Schema):
    k: int = 5
    radius_m: Optional[float] = None
    method: str = "auto"
    demand: Optional[list[DemandIn]] = None
    candidates: Optional[list[CandidateIn]] = None


@router.post("/charging-plan", response=dict, summary="充电设施布局：选 k 个站点覆盖步行半径内最多需求（小实例 MILP 精确解，否则贪心并给出上界与差距）")
def charging_plan(request, payload: ChargingPlanIn):
    if not getattr(request.user, "is_authenticated", False):
        raise NotFound()
    return charging.plan(demand=[d.dict() for d in payload.demand] if payload.demand is not None else None,
                         candidates=[c.dict() for c in payload.candidates] if payload.candidates is not None else None,
                         k=payload.k, radius_m=payload.radius_m, method=payload.method)
