"""/api/v1/villagefund/ — villages, batches, projects (with ``state`` and ``publicity_start`` /
``publicity_end``), payments, returns, the workflow steps as POST projects/{id}/{action}, and
the public disclosure (no sign-in). A thin router: reads through services.access, writes through
services."""
from __future__ import annotations

import datetime as dt
from typing import Any, Optional

from ninja import Query, Router, Schema, Status
from pydantic import Field

from chengyun.core.pagination import Page, PageParams, paginate
from chengyun.people.lookup import referenced

from . import rules
from . import workflow as wf
from .filters import FundProjectFilter, PaymentFilter, ReturnFilter, VillageFilter
from .models import Batch, Objection, Payment, Progress, Project, Village, YearlyReturn
from .services import access
from . import services
from .public import public_rows

router = Router(tags=["村集体经济扶持资金"])


def _num(v: Any) -> float | None:
    return None if v is None else float(v)


def village_out(v: Village) -> dict[str, Any]:
    return {"id": v.id, "name": v.name, "community": v.community.code, "street": v.community.street.code, "organisation": v.organisation,
            "credit_code": v.credit_code, "households": v.households, "population": v.population, "representatives": v.representatives,
            "party_members": v.party_members, "base_income_wan": float(v.base_income_wan)}


def batch_out(b: Batch) -> dict[str, Any]:
    return {"id": b.id, "year": b.year, "name": b.name, "document": b.document, "central_wan": float(b.central_wan),
            "province_wan": float(b.province_wan), "city_wan": float(b.city_wan), "district_wan": float(b.district_wan),
            "total_wan": float(b.total_wan)}


def payment_out(x: Payment) -> dict[str, Any]:
    return {"id": x.id, "project": x.project_id, "paid_on": x.paid_on, "amount_wan": float(x.amount_wan), "kind": x.kind,
            "use": x.use, "use_label": x.use_label, "voucher": x.voucher, "note": x.note}


def return_out(r: YearlyReturn) -> dict[str, Any]:
    return {"id": r.id, "project": r.project_id, "year": r.year, "income_wan": float(r.income_wan), "dividend_wan": float(r.dividend_wan),
            "yield_percent": r.yield_percent, "jobs": r.jobs, "satisfaction": _num(r.satisfaction), "note": r.note}


def project_out(p: Project, *, detail: bool = False) -> dict[str, Any]:
    out = {
        "id": p.id, "code": p.code, "name": p.name, "batch": p.batch_id, "year": p.batch.year, "village": p.village_id,
        "village_name": p.village.name, "model": p.model, "model_label": str(rules.SUPPORT_MODELS[p.model]),
        "state": p.state, "state_label": str(wf.STATES[p.state]), "amount_wan": float(p.amount_wan), "self_funds_wan": float(p.self_funds_wan),
        "expected_return_wan": float(p.expected_return_wan), "period_start": p.period_start, "period_end": p.period_end,
        "guaranteed_rate": _num(p.guaranteed_rate), "guaranteed_years": p.guaranteed_years, "partner": p.partner,
        "approved_on": p.approved_on, "publicity_start": p.publicity_start, "publicity_end": p.publicity_end,
        "accepted_on": p.accepted_on, "stalled": p.stalled, "stalled_reason": p.stalled_reason,
        "paid_wan": float(services.paid_total(p)),
    }
    if detail:
        out["plan"] = p.plan
        out["budget"] = p.budget
        out["meetings"] = [{"kind": m.kind, "held_on": m.held_on, "entitled": m.entitled, "present": m.present, "agree": m.agree,
                            "oppose": m.oppose, "abstain": m.abstain} for m in p.meetings.all()]
        out["decision_problems"] = [{"meeting": x.meeting, "code": x.code, "message": x.message} for x in services.decision_problems(p)]
        out["reviews"] = [{"stage": r.stage, "unit": r.unit.code if r.unit_id else None, "agree": r.agree, "opinion": r.opinion,
                           "reviewer": r.reviewer_name, "reviewed_on": r.reviewed_on, "current": r.current} for r in p.reviews.select_related("unit")]
        out["objections"] = [{"id": o.id, "raised_on": o.raised_on, "content": o.content, "resolved": o.resolved,
                              "resolution": o.resolution, "resolved_on": o.resolved_on} for o in p.objections.all()]
        out["progress"] = [{"id": g.id, "reported_on": g.reported_on, "percent": g.percent, "spent_wan": float(g.spent_wan),
                            "verified": g.verified, "note": g.note} for g in p.progress.all()]
        out["payments"] = [payment_out(x) for x in p.payments.all()]
        out["assets"] = [{"name": a.name, "kind": a.kind, "value_wan": float(a.value_wan), "owner": a.owner, "recorded_on": a.recorded_on}
                         for a in p.assets.all()]
        out["returns"] = [return_out(r) for r in p.returns.all()]
        out["events"] = [{"action": e.action, "from": e.from_state, "to": e.to_state, "on": e.on, "note": e.note} for e in p.events.all()]
    return out


def _projects(request):
    return access.visible(request.user, Project.objects.select_related("batch", "village", "village__community"))


def _project(request, project_id: int) -> Project:
    return access.get_visible(request.user, _projects(request), pk=project_id)


def _villages(request):
    return access.visible(request.user, Village.objects.select_related("community", "community__street"))


# -- public disclosure -------------------------------------------------------------------------------------

@router.get("/public", auth=None, response=list[dict], summary="公示公开：公示中及公示期满的项目（无需登录，不含个人信息）")
def public(request, year: Optional[int] = None):
    return public_rows(year=year)


# -- villages and batches ---------------------------------------------------------------------------------

@router.get("/villages", response=Page[dict], summary="村及村集体经济组织")
def villages(request, filters: VillageFilter = Query(...), page: PageParams = Query(...)):
    return paginate(filters.filter(_villages(request)).order_by("community__code"), page, village_out)


@router.get("/villages/{village_id}", response=dict, summary="村详情")
def village_detail(request, village_id: int):
    return village_out(access.get_visible(request.user, _villages(request), pk=village_id))


class VillageFundVillageIn(Schema):
    community: str
    name: str
    organisation: str
    credit_code: str
    households: int = 0
    population: int = 0
    representatives: int = 0
    party_members: int = 0
    base_income_wan: float = 0


class VillageFundVillagePatch(Schema):
    name: Optional[str] = None
    organisation: Optional[str] = None
    credit_code: Optional[str] = None
    households: Optional[int] = None
    population: Optional[int] = None
    representatives: Optional[int] = None
    party_members: Optional[int] = None
    base_income_wan: Optional[float] = None


@router.post("/villages", response={201: dict}, summary="登记村及村集体经济组织（统一社会信用代码按 GB 32100 校验）")
def create_village(request, payload: VillageFundVillageIn):
    from chengyun.geo.models import Community

    data = payload.dict()
    community = referenced(Community.objects.all(), data.pop("community"), field="community", lookup="code", optional=False)
    v = services.create_village(request.user, community=community, **data)
    return Status(201, village_out(v))


@router.patch("/villages/{village_id}", response=dict, summary="修改村的登记信息")
def patch_village(request, village_id: int, payload: VillageFundVillagePatch):
    v = access.get_visible(request.user, _villages(request), pk=village_id)
    return village_out(services.update_village(request.user, v, **payload.dict(exclude_unset=True)))


@router.get("/batches", response=Page[dict], summary="年度资金批次（中央、省、市、区）")
def batches(request, year: Optional[int] = None, page: PageParams = Query(...)):
    qs = access.visible(request.user, Batch.objects.all())
    return paginate(qs.filter(year=year) if year else qs, page, batch_out)


class VillageFundBatchIn(Schema):
    year: int
    name: str
    document: str = ""
    central_wan: float = 0
    province_wan: float = 0
    city_wan: float = 0
    district_wan: float = 0


@router.post("/batches", response={201: dict}, summary="登记资金批次（区级联审部门）")
def create_batch(request, payload: VillageFundBatchIn):
    return Status(201, batch_out(services.create_batch(request.user, **payload.dict())))


# -- projects ---------------------------------------------------------------------------------------------

@router.get("/projects", response=Page[dict], summary="扶持项目（JSON 含 state、publicity_start、publicity_end）")
def projects(request, filters: FundProjectFilter = Query(...), page: PageParams = Query(...)):
    return paginate(filters.filter(_projects(request)).order_by("code"), page, project_out)


class VillageFundBudgetLineIn(Schema):
    item: str
    amount_wan: float


class VillageFundProjectIn(Schema):
    village: int
    batch: int
    name: str
    model: str
    amount_wan: float
    self_funds_wan: float = 0
    plan: str = ""
    budget: list[VillageFundBudgetLineIn] = Field(default_factory=list)
    expected_return_wan: float = 0
    period_start: Optional[dt.date] = None
    period_end: Optional[dt.date] = None
    guaranteed_rate: Optional[float] = None
    guaranteed_years: Optional[int] = None
    partner: str = ""


class VillageFundProjectPatch(Schema):
    name: Optional[str] = None
    model: Optional[str] = None
    amount_wan: Optional[float] = None
    self_funds_wan: Optional[float] = None
    plan: Optional[str] = None
    budget: Optional[list[VillageFundBudgetLineIn]] = None
    expected_return_wan: Optional[float] = None
    period_start: Optional[dt.date] = None
    period_end: Optional[dt.date] = None
    guaranteed_rate: Optional[float] = None
    guaranteed_years: Optional[int] = None
    partner: Optional[str] = None


@router.post("/projects", response={201: dict}, summary="申报扶持项目（草稿）")
def create_project(request, payload: VillageFundProjectIn):
    data = payload.dict()
    village = referenced(Village.objects.select_related("community"), data.pop("village"), field="village", optional=False)
    batch = referenced(Batch.objects.all(), data.pop("batch"), field="batch", optional=False)
    p = services.create_project(request.user, village=village, batch=batch, **data)
    return Status(201, project_out(Project.objects.get(pk=p.pk), detail=True))


@router.get("/projects/{project_id}", response=dict, summary="扶持项目详情（决策记录、审核、公示、拨付、资产、收益）")
def project_detail(request, project_id: int):
    return project_out(_project(request, project_id), detail=True)


@router.patch("/projects/{project_id}", response=dict, summary="修改申报材料（草稿）")
def patch_project(request, project_id: int, payload: VillageFundProjectPatch):
    p = services.update_project(request.user, _project(request, project_id), **payload.dict(exclude_unset=True))
    return project_out(p, detail=True)


class VillageFundMeetingIn(Schema):
    kind: str = Field(description="committees（村“两委”会）/ party（党员大会）/ representatives（村民代表会议）")
    held_on: dt.date
    entitled: int
    present: int
    agree: int
    oppose: int = 0
    abstain: int = 0


@router.put("/projects/{project_id}/decision", response=dict, summary="登记决策记录（“两委”会→党员大会→村民代表会议）")
def put_decision(request, project_id: int, payload: list[VillageFundMeetingIn]):
    p = _project(request, project_id)
    services.record_decision(request.user, p, [m.dict() for m in payload])
    return project_out(p, detail=True)


class VillageFundObjectionIn(Schema):
    content: str
    objector: str = ""
    raised_on: Optional[dt.date] = None


@router.post("/projects/{project_id}/objections", response={201: dict}, summary="登记公示异议")
def post_objection(request, project_id: int, payload: VillageFundObjectionIn):
    o = services.raise_objection(request.user, _project(request, project_id), **payload.dict())
    return Status(201, {"id": o.id, "project": o.project_id, "raised_on": o.raised_on, "content": o.content, "resolved": o.resolved})


class VillageFundResolutionIn(Schema):
    resolution: str
    resolved_on: Optional[dt.date] = None


@router.post("/objections/{objection_id}/resolve", response=dict, summary="处理公示异议")
def resolve_objection(request, objection_id: int, payload: VillageFundResolutionIn):
    o = access.get_visible(request.user, Objection.objects.all(), pk=objection_id)
    o = services.resolve_objection(request.user, o, **payload.dict())
    return {"id": o.id, "resolved": o.resolved, "resolution": o.resolution, "resolved_on": o.resolved_on}


class VillageFundProgressIn(Schema):
    percent: int
    spent_wan: float = 0
    reported_on: Optional[dt.date] = None
    note: str = ""


@router.post("/projects/{project_id}/progress", response={201: dict}, summary="填报项目进度")
def post_progress(request, project_id: int, payload: VillageFundProgressIn):
    g = services.report_progress(request.user, _project(request, project_id), **payload.dict())
    return Status(201, {"id": g.id, "percent": g.percent, "spent_wan": float(g.spent_wan), "verified": g.verified})


@router.post("/progress/{progress_id}/verify", response=dict, summary="核实项目进度（街道）")
def verify_progress(request, progress_id: int):
    g = services.verify_progress(request.user, access.get_visible(request.user, Progress.objects.all(), pk=progress_id))
    return {"id": g.id, "percent": g.percent, "verified": g.verified, "verified_on": g.verified_on}


class VillageFundPaymentIn(Schema):
    amount_wan: float
    kind: str = Field(description="prepay（预拨）/ progress（按进度拨付）")
    use: str = Field(description="资金用途编码")
    voucher: str
    paid_on: Optional[dt.date] = None
    note: str = ""


@router.post("/projects/{project_id}/payments", response={201: dict}, summary="登记资金拨付（按规则校验，不合规则拒绝并说明原因）")
def post_payment(request, project_id: int, payload: VillageFundPaymentIn):
    return Status(201, payment_out(services.record_payment(request.user, _project(request, project_id), **payload.dict())))


@router.get("/payments", response=Page[dict], summary="资金拨付记录")
def payments(request, filters: PaymentFilter = Query(...), page: PageParams = Query(...)):
    qs = access.visible(request.user, Payment.objects.all())
    return paginate(filters.filter(qs).order_by("paid_on", "id"), page, payment_out)


class VillageFundReturnIn(Schema):
    year: int
    income_wan: float
    dividend_wan: float = 0
    jobs: int = 0
    satisfaction: Optional[float] = None
    note: str = ""


@router.post("/projects/{project_id}/returns", response={201: dict}, summary="填报年度收益（经营性收入、分红）")
def post_return(request, project_id: int, payload: VillageFundReturnIn):
    return Status(201, return_out(services.report_return(request.user, _project(request, project_id), **payload.dict())))


@router.get("/returns", response=Page[dict], summary="年度收益（收益率 = 经营性收入 ÷ 扶持资金）")
def returns(request, filters: ReturnFilter = Query(...), page: PageParams = Query(...)):
    qs = access.visible(request.user, YearlyReturn.objects.select_related("project"))
    return paginate(filters.filter(qs).order_by("project_id", "year"), page, return_out)


class VillageFundAssetIn(Schema):
    name: str
    kind: str = "经营性资产"
    value_wan: float


class VillageFundStepIn(Schema):
    note: str = ""
    on: Optional[dt.date] = None
    agree: Optional[bool] = Field(None, description="联审意见：是否同意")
    assets: list[VillageFundAssetIn] = Field(default_factory=list, description="验收时登记的资产")


@router.post("/projects/{project_id}/{action}", response=dict,
             summary="流程操作：submit、town_approve、town_return、joint_opinion、district_return、approve、publish、start、accept、operate、stall、resume（状态不允许时 409）")
def project_action(request, project_id: int, action: str, payload: VillageFundStepIn):
    p = _project(request, project_id)
    data = payload.dict()
    services.transition(request.user, p, action, note=data.get("note", ""), on=data.get("on"), agree=data.get("agree"),
                        assets=data.get("assets") or [])
    return project_out(Project.objects.get(pk=p.pk), detail=True)

