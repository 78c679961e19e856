"""/api/v1/property/: compounds, companies, records, assessments, coverage. Thin over services."""
from __future__ import annotations

import datetime as dt
from typing import Any, Optional

from ninja import Query, Router, Schema, Status

from chengyun.core.dates import parse_date
from chengyun.core.errors import NotFound
from chengyun.core.pagination import Page, PageParams, paginate
from chengyun.geo.models import Compound

from . import credit, services, workflow
from .filters import PropertyAssessmentFilter, PropertyCompanyFilter, PropertyCompoundFilter, PropertyFileFilter, PropertyRecordFilter
from .models import Assessment, Company, CoverageFile, CreditRecord
from .services import access, coverage as coverage_services
from .services.scoring import active_scheme, refresh_all

router = Router(tags=["物业治理"])


def _get(request, qs, **lookup):
    return access.get_visible(request.user, qs, **lookup)


def _day(on: Optional[str]) -> Optional[dt.date]:
    from chengyun.core.errors import Invalid

    day = parse_date(on, "日期格式有误（YYYY-MM-DD）", field="on", optional=True)
    if day is not None and not 1990 <= day.year <= 2100:
        raise Invalid("日期应在 1990 年至 2100 年之间", code="bad_date", detail={"field": "on"})
    return day


# ---------------------------------------------------------------- compounds (the register + management)

class PropertyCompoundOut(Schema):
    code: str
    name: str
    community: str
    street: str
    households: int
    built_year: Optional[int]
    mode: str
    mode_label: str
    company_id: Optional[int]
    company: Optional[str]
    manager: Optional[str]
    contract_start: Optional[dt.date]
    contract_end: Optional[dt.date]
    file: Optional[str]
    file_state: Optional[str]


class PropertyManagementIn(Schema):
    mode: Optional[str] = None
    company: Optional[int] = None
    manager: Optional[int] = None
    contract_start: Optional[str] = None
    contract_end: Optional[str] = None
    fee_per_m2: Optional[float] = None


def _compound(c: Compound) -> dict[str, Any]:
    mgmt = getattr(c, "management", None) if hasattr(c, "management") else None
    f = getattr(c, "coverage_file", None) if hasattr(c, "coverage_file") else None
    return {"code": c.code, "name": c.name, "community": c.community.name, "street": c.community.street.name, "households": c.households,
            "built_year": c.built_year, "mode": c.management_mode, "mode_label": c.get_management_mode_display(),
            "company_id": mgmt.company_id if mgmt else None, "company": mgmt.company.name if mgmt and mgmt.company else None,
            "manager": mgmt.manager.name if mgmt and mgmt.manager else None, "contract_start": mgmt.contract_start if mgmt else None,
            "contract_end": mgmt.contract_end if mgmt else None, "file": f.number if f else None, "file_state": f.state if f else None}


def compounds_qs():
    return Compound.objects.filter(active=True).select_related("community__street", "management__company", "management__manager",
                                                                "coverage_file")


@router.get("/compounds", response=Page[PropertyCompoundOut], summary="小区物业管理情况（方式、企业、合同）")
def compound_list(request, filters: Query[PropertyCompoundFilter], page: Query[PageParams]):
    qs = filters.filter(compounds_qs()).order_by("code")
    return paginate(qs, page, _compound)


@router.get("/compounds/{code}", response=PropertyCompoundOut, summary="一个小区的物业管理情况")
def compound_detail(request, code: str):
    return _compound(_get(request, compounds_qs(), code=code))


@router.put("/compounds/{code}/management", response=PropertyCompoundOut, summary="登记小区的物业管理方式、企业和合同（住建部门）")
def compound_management(request, code: str, payload: PropertyManagementIn):
    c = _get(request, compounds_qs(), code=code)
    services.set_management(request.user, c, **payload.dict())
    return _compound(compounds_qs().get(pk=c.pk))


# ---------------------------------------------------------------- companies

class PropertyCompanyOut(Schema):
    id: int
    name: str
    credit_code: str
    legal_representative: str
    phone: str
    base_score: float
    score: float
    grade: str
    grade_label: str
    board: str
    projects: int
    active: bool


class PropertyGradeOut(Schema):
    on: dt.date
    score: float
    grade: str
    reason: str


class PropertyManagerOut(Schema):
    id: int
    name: str
    phone: str
    certificate: str


class PropertyMeasureOut(Schema):
    id: int
    board: str
    kind: str
    kind_label: str
    decided_on: dt.date
    unit: str
    note: str


class PropertyCompanyDetailOut(PropertyCompanyOut):
    grades: list[PropertyGradeOut]
    managers: list[PropertyManagerOut]
    measures: list[PropertyMeasureOut]
    compounds: list[str]


class PropertyCompanyIn(Schema):
    name: str
    credit_code: str
    legal_representative: str = ""
    phone: str = ""
    address: str = ""
    base_score: float = 0


class PropertyCompanyPatch(Schema):
    name: Optional[str] = None
    credit_code: Optional[str] = None
    legal_representative: Optional[str] = None
    phone: Optional[str] = None
    address: Optional[str] = None
    base_score: Optional[float] = None
    active: Optional[bool] = None


class PropertyManagerIn(Schema):
    name: str
    phone: str = ""
    certificate: str = ""


class PropertyMeasureIn(Schema):
    kind: str
    note: str = ""
    decided_on: Optional[str] = None


def _company(c: Company) -> dict[str, Any]:
    return {"id": c.id, "name": c.name, "credit_code": c.credit_code, "legal_representative": c.legal_representative, "phone": c.phone,
            "base_score": c.base_score, "score": c.score, "grade": c.grade, "grade_label": credit.GRADE_LABELS.get(c.grade, c.grade),
            "board": c.board, "projects": getattr(c, "n_projects", None) if hasattr(c, "n_projects") else c.projects.count(), "active": c.active}


def _company_detail(c: Company) -> dict[str, Any]:
    out = _company(c)
    out["grades"] = [{"on": g.on, "score": g.score, "grade": g.grade, "reason": g.reason} for g in c.grades.all()]
    out["managers"] = [{"id": m.id, "name": m.name, "phone": m.phone, "certificate": m.certificate} for m in c.managers.filter(active=True)]
    out["measures"] = [{"id": m.id, "board": m.board, "kind": m.kind, "kind_label": m.get_kind_display(), "decided_on": m.decided_on,
                        "unit": m.unit.name, "note": m.note} for m in c.measures.select_related("unit")]
    out["compounds"] = [p.compound.code for p in c.projects.select_related("compound")]
    return out


def companies_qs():
    from django.db.models import Count

    refresh_all()
    return Company.objects.annotate(n_projects=Count("projects"))


@router.get("/companies", response=Page[PropertyCompanyOut], summary="物业服务企业（信用等级实时计算）")
def company_list(request, filters: Query[PropertyCompanyFilter], page: Query[PageParams]):
    return paginate(filters.filter(access.visible(request.user, companies_qs())).order_by("name"), page, _company)


@router.post("/companies", response={201: PropertyCompanyOut}, summary="登记物业服务企业（统一社会信用代码按 GB 32100 校验）")
def company_create(request, payload: PropertyCompanyIn):
    return Status(201, _company(services.create_company(request.user, **payload.dict())))


@router.get("/companies/{company_id}", response=PropertyCompanyDetailOut, summary="企业详情：等级变化、项目经理、红黑榜措施")
def company_detail(request, company_id: int):
    refresh_all()
    return _company_detail(_get(request, Company.objects.all(), pk=company_id))


@router.patch("/companies/{company_id}", response=PropertyCompanyOut, summary="修改企业信息或基础信息分（住建部门）")
def company_update(request, company_id: int, payload: PropertyCompanyPatch):
    c = _get(request, Company.objects.all(), pk=company_id)
    return _company(services.update_company(request.user, c, **payload.dict(exclude_unset=True)))


@router.post("/companies/{company_id}/managers", response={201: PropertyManagerOut}, summary="登记项目经理")
def manager_create(request, company_id: int, payload: PropertyManagerIn):
    m = services.add_manager(request.user, _get(request, Company.objects.all(), pk=company_id), **payload.dict())
    return Status(201, {"id": m.id, "name": m.name, "phone": m.phone, "certificate": m.certificate})


@router.post("/companies/{company_id}/measures", response={201: PropertyMeasureOut}, summary="记录红黑榜措施（约谈、加密抽查…）")
def measure_create(request, company_id: int, payload: PropertyMeasureIn):
    m = services.record_measure(request.user, _get(request, Company.objects.all(), pk=company_id), **payload.dict())
    return Status(201, {"id": m.id, "board": m.board, "kind": m.kind, "kind_label": m.get_kind_display(), "decided_on": m.decided_on,
                        "unit": m.unit.name, "note": m.note})


# ---------------------------------------------------------------- credit scheme and records

class PropertyItemOut(Schema):
    code: str
    kind: str
    name: str
    points: float
    serious: bool
    validity_days: Optional[int]


class PropertySchemeOut(Schema):
    id: int
    name: str
    base_max: float
    good_max: float
    thresholds: list[list[Any]]
    validity_days: int
    red_grades: list[str]
    black_grades: list[str]
    complaint_categories: list[str]
    complaint_sources: list[str]
    complaint_item: Optional[str]
    items: list[PropertyItemOut]


class PropertySchemeIn(Schema):
    name: Optional[str] = None
    base_max: Optional[float] = None
    good_max: Optional[float] = None
    thresholds: Optional[list[list[Any]]] = None
    validity_days: Optional[int] = None
    red_grades: Optional[list[str]] = None
    black_grades: Optional[list[str]] = None
    complaint_categories: Optional[list[str]] = None
    complaint_sources: Optional[list[str]] = None
    complaint_item: Optional[str] = None


def _scheme(s) -> dict[str, Any]:
    return {"id": s.id, "name": s.name, "base_max": s.base_max, "good_max": s.good_max, "thresholds": [list(p) for p in s.threshold_pairs()],
            "validity_days": s.validity_days, "red_grades": s.red_grades, "black_grades": s.black_grades,
            "complaint_categories": s.complaint_categories, "complaint_sources": s.complaint_sources,
            "complaint_item": s.complaint_item.code if s.complaint_item else None,
            "items": [{"code": i.code, "kind": i.kind, "name": i.name, "points": i.points, "serious": i.serious, "validity_days": i.validity_days}
                      for i in s.items.all()]}


@router.get("/records/scheme", response=PropertySchemeOut, summary="当前信用评价方案（评分项、等级分界、红黑榜、投诉规则）")
def scheme_detail(request):
    return _scheme(active_scheme())


@router.put("/records/scheme", response=PropertySchemeOut, summary="调整信用评价方案（住建部门；全部企业按新方案重算）")
def scheme_update(request, payload: PropertySchemeIn):
    return _scheme(services.update_scheme(request.user, active_scheme(), **payload.dict(exclude_unset=True)))


class PropertyRecordOut(Schema):
    id: int
    company_id: int
    company: str
    item: str
    item_name: str
    kind: str
    points: float
    serious: bool
    issued_by: str
    issued_on: dt.date
    valid_until: Optional[dt.date]
    rectified_on: Optional[dt.date]
    in_force: bool
    evidence: str
    compound: Optional[str]
    case: Optional[str]


class PropertyRecordIn(Schema):
    company: int
    item: str
    evidence: str
    issued_on: Optional[str] = None
    issued_by: Optional[str] = None
    validity_days: Optional[int] = None
    compound: Optional[str] = None
    points: Optional[float] = None


class PropertyRectifyIn(Schema):
    on: Optional[str] = None
    note: str = ""


def _record(r: CreditRecord, today: dt.date | None = None) -> dict[str, Any]:
    from django.utils import timezone

    return {"id": r.id, "company_id": r.company_id, "company": r.company.name, "item": r.item.code, "item_name": r.item.name, "kind": r.kind,
            "points": r.points, "serious": r.serious, "issued_by": r.issued_by.name, "issued_on": r.issued_on, "valid_until": r.valid_until,
            "rectified_on": r.rectified_on, "in_force": credit.counts_on(r.entry(), today or timezone.localdate()), "evidence": r.evidence,
            "compound": r.compound.code if r.compound else None, "case": r.case.number if r.case else None}


def records_qs():
    return CreditRecord.objects.select_related("company", "item", "issued_by", "compound", "case")


@router.get("/records", response=Page[PropertyRecordOut], summary="信用记录（优良、不良；含证据、认定部门、有效期）")
def record_list(request, filters: Query[PropertyRecordFilter], page: Query[PageParams]):
    return paginate(filters.filter(access.visible(request.user, records_qs())), page, _record)


@router.post("/records", response={201: PropertyRecordOut}, summary="登记信用记录（住建部门；等级实时重算）")
def record_create(request, payload: PropertyRecordIn):
    company = _get(request, Company.objects.all(), pk=payload.company)
    data = payload.dict(exclude={"company"})
    r = services.add_record(request.user, company, **data)
    return Status(201, _record(records_qs().get(pk=r.pk)))


@router.get("/records/{record_id}", response=PropertyRecordOut, summary="一条信用记录")
def record_detail(request, record_id: int):
    return _record(_get(request, records_qs(), pk=record_id))


@router.post("/records/{record_id}/rectify", response=PropertyRecordOut, summary="确认严重失信记录整改完成")
def record_rectify(request, record_id: int, payload: PropertyRectifyIn):
    r = _get(request, records_qs(), pk=record_id)
    services.rectify_record(request.user, r, on=payload.on, note=payload.note)
    return _record(records_qs().get(pk=r.pk))


# ---------------------------------------------------------------- assessments

class PropertyAssessmentOut(Schema):
    id: int
    compound: str
    compound_name: str
    community: str
    company: Optional[str]
    period: str
    scores: dict[str, float]
    total: float
    passed: bool
    flagged: bool
    survey_sample: int
    survey_phone: int
    survey_satisfied: int
    assessed_on: dt.date


class PropertyAssessmentIn(Schema):
    compound: str
    period: str
    scores: dict[str, Any]
    survey_sample: int
    survey_phone: int = 0
    survey_satisfied: int
    note: str = ""


class PropertyRankOut(Schema):
    rank: int
    band: str
    assessment: PropertyAssessmentOut


class PropertySheetOut(Schema):
    name: str
    period: str
    items: list[dict[str, Any]]
    pass_mark: float
    phone_proxy_max: float
    min_sample: int
    rank_share: float


def _assessment(a: Assessment) -> dict[str, Any]:
    return {"id": a.id, "compound": a.compound.code, "compound_name": a.compound.name, "community": a.community.name,
            "company": a.company.name if a.company else None, "period": a.period, "scores": a.scores, "total": a.total, "passed": a.passed,
            "flagged": a.flagged, "survey_sample": a.survey_sample, "survey_phone": a.survey_phone, "survey_satisfied": a.survey_satisfied,
            "assessed_on": a.assessed_on}


def assessments_qs():
    return Assessment.objects.select_related("compound", "community", "company")


@router.get("/assessments", response=Page[PropertyAssessmentOut], summary="物业服务质量考核")
def assessment_list(request, filters: Query[PropertyAssessmentFilter], page: Query[PageParams]):
    return paginate(filters.filter(access.visible(request.user, assessments_qs())), page, _assessment)


@router.get("/assessments/sheet", response=PropertySheetOut, summary="当前考核表（项目与满分、合格分、调查规则）")
def assessment_sheet(request):
    s = services.active_sheet()
    return {"name": s.name, "period": s.period, "items": s.items, "pass_mark": s.pass_mark, "phone_proxy_max": s.phone_proxy_max,
            "min_sample": s.min_sample, "rank_share": s.rank_share}


@router.get("/assessments/ranking", response=list[PropertyRankOut], summary="某考核期排名（前 20% 优秀榜、后 20% 需改进榜）")
def assessment_ranking(request, period: str):
    rows = services.ranking(period, access.visible(request.user, Assessment.objects.all()))
    return [{"rank": r["rank"], "band": r["band"], "assessment": _assessment(r["assessment"])} for r in rows]


@router.post("/assessments", response={201: PropertyAssessmentOut}, summary="提交考核（街道、社区；分项不得超过满分）")
def assessment_create(request, payload: PropertyAssessmentIn):
    compound = _get(request, Compound.objects.select_related("community"), code=payload.compound)
    a = services.assess(request.user, compound, **payload.dict(exclude={"compound"}))
    return Status(201, _assessment(assessments_qs().get(pk=a.pk)))


@router.get("/assessments/{assessment_id}", response=PropertyAssessmentOut, summary="一次考核")
def assessment_detail(request, assessment_id: int):
    return _assessment(_get(request, assessments_qs(), pk=assessment_id))


# ---------------------------------------------------------------- coverage campaign

class PropertyRateOut(Schema):
    code: str
    name: str
    total: int
    covered: int
    rate: Optional[float]


class PropertyCoverageOut(Schema):
    on: dt.date
    total: int
    covered: int
    rate: Optional[float]
    by_street: list[PropertyRateOut]
    by_community: list[PropertyRateOut]
    series: list[dict[str, Any]]
    files: dict[str, int]


class PropertyFileOut(Schema):
    id: int
    number: str
    compound: str
    compound_name: str
    community: str
    street: str
    state: str
    state_label: str
    path: str
    target_date: dt.date
    owner_unit: str
    opened_on: dt.date
    closed_on: Optional[dt.date]
    overdue: bool


class PropertyFileIn(Schema):
    compound: str
    target_date: str
    owner_unit: str
    note: str = ""


class PropertyFileActionIn(Schema):
    path: str = ""
    note: str = ""


def _file(f: CoverageFile) -> dict[str, Any]:
    return {"id": f.id, "number": f.number, "compound": f.compound.code, "compound_name": f.compound.name, "community": f.community.name,
            "street": f.street.name, "state": f.state, "state_label": str(workflow.STATES[f.state]), "path": f.path, "target_date": f.target_date,
            "owner_unit": f.owner_unit.name, "opened_on": f.opened_on, "closed_on": f.closed_on, "overdue": f.overdue}


def files_qs():
    return CoverageFile.objects.select_related("compound", "community", "street", "owner_unit")


@router.get("/coverage", response=PropertyCoverageOut, summary="物业覆盖率（全区、街道、社区；逐月）与档案进度")
def coverage(request, on: Optional[str] = None, street: Optional[str] = None):
    from chengyun.geo.models import Street

    day = _day(on)
    street_id = None
    if street:
        s = Street.objects.filter(code=street).first()
        if s is None:
            raise NotFound("街道不存在")
        street_id = s.pk
    total = coverage_services.district_rate(day, street_id)
    return {**total, "by_street": coverage_services.rates(day, by="street", street_id=street_id),
            "by_community": coverage_services.rates(day, by="community", street_id=street_id),
            "series": [{"on": r["on"].isoformat(), "rate": r["rate"]} for r in coverage_services.series(12, end=day, street_id=street_id)],
            "files": coverage_services.campaign_counts(street_id)}


@router.get("/coverage/map", summary="社区物业覆盖率（GeoJSON，供地图分级设色）")
def coverage_map(request, on: Optional[str] = None):
    import json

    from chengyun.geo.models import Community

    day = _day(on)
    rates = {r["id"]: r for r in coverage_services.rates(day, by="community")}
    feats = []
    for c in Community.objects.filter(pk__in=rates).exclude(geometry=""):
        r = rates[c.pk]
        feats.append({"type": "Feature", "geometry": json.loads(c.geometry),
                      "properties": {"code": c.code, "name": c.name, "total": r["total"], "covered": r["covered"], "rate": r["rate"]}})
    points = [{"code": c.code, "name": c.name, "lng": c.lng, "lat": c.lat, "mode": c.management_mode}
              for c in Compound.objects.filter(active=True, lng__isnull=False)]
    return {"type": "FeatureCollection", "features": feats, "compounds": points}


@router.get("/coverage/files", response=Page[PropertyFileOut], summary="建档立卡档案")
def file_list(request, filters: Query[PropertyFileFilter], page: Query[PageParams]):
    return paginate(filters.filter(access.visible(request.user, files_qs())), page, _file)


@router.post("/coverage/files", response={201: PropertyFileOut}, summary="为无物业小区建档立卡（街道、社区）")
def file_create(request, payload: PropertyFileIn):
    compound = _get(request, Compound.objects.select_related("community"), code=payload.compound)
    f = services.open_file(request.user, compound, target_date=payload.target_date, owner_unit=payload.owner_unit, note=payload.note)
    return Status(201, _file(files_qs().get(pk=f.pk)))


@router.get("/coverage/files/{file_id}", response=PropertyFileOut, summary="一份档案")
def file_detail(request, file_id: int):
    return _file(_get(request, files_qs(), pk=file_id))


@router.post("/coverage/files/{file_id}/{action}", response=PropertyFileOut,
             summary="档案流转：choose_path / repath / start / report / return / close（状态不允许时 409）")
def file_action(request, file_id: int, action: str, payload: PropertyFileActionIn):
    f = _get(request, files_qs(), pk=file_id)
    services.transition(request.user, f, action, path=payload.path, note=payload.note)
    return _file(files_qs().get(pk=f.pk))


