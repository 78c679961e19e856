"""/api/v1/renewal/: a thin router over services; reads go through the policy (services.access)."""
from __future__ import annotations

import datetime as dt
import json
from typing import Optional

from django.http import HttpResponse
from ninja import File, Form, Query, Router, Schema, Status
from ninja.files import UploadedFile

from chengyun.core.errors import Invalid
from chengyun.core.pagination import Page, PageParams, paginate
from chengyun.geo.models import Unit

from . import checklist, services
from .filters import MeasurementFilter, ProblemFilter
from .models import Indicator, IndicatorSet, Layer, Measurement, Problem, ProblemRemedy
from .services import access, indicators as indicator_services, layers as layer_services, ledger, measurements as measurement_services
from .services import dashboard, verdicts

router = Router(tags=["城市体检"])
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _import_result(report):
    if not report.ok:
        raise Invalid(f"文件有 {len(report.errors)} 处错误，未导入任何数据", code="import_errors",
                      detail={"errors": [e.as_dict() for e in report.errors]})
    return report.to_dict()


# ---------------------------------------------------------------- indicator sets and indicators

class IndicatorSetOut(Schema):
    id: int
    year: int
    name: str
    note: str
    indicators: int


class IndicatorSetIn(Schema):
    year: int
    name: str
    note: str = ""


class NationalIn(Schema):
    year: int
    name: str = "城市体检基础指标"


def _set(s: IndicatorSet) -> dict:
    return {"id": s.id, "year": s.year, "name": s.name, "note": s.note, "indicators": s.indicators.count()}


@router.get("/indicator-sets", response=list[IndicatorSetOut], summary="体检指标体系（按年度）")
def indicator_sets(request):
    return [_set(s) for s in access.visible(request.user, IndicatorSet.objects.all())]


@router.post("/indicator-sets", response={201: IndicatorSetOut}, summary="新建指标体系（城市体检办公室）")
def indicator_set_create(request, payload: IndicatorSetIn):
    return Status(201, _set(indicator_services.create_set(request.user, year=payload.year, name=payload.name, note=payload.note)))


@router.post("/indicator-sets/national", response={201: IndicatorSetOut}, summary="按国家基础指标建立某年度指标体系")
def indicator_set_national(request, payload: NationalIn):
    return Status(201, _set(indicator_services.load_national_set(request.user, payload.year, name=payload.name)))


def _get_set(request, set_id: int) -> IndicatorSet:
    return access.get_visible(request.user, IndicatorSet.objects.all(), pk=set_id)


@router.get("/indicator-sets/{set_id}/export.xlsx", summary="导出指标体系（Excel，可原样导入）")
def indicator_set_export(request, set_id: int):
    s = _get_set(request, set_id)
    resp = HttpResponse(indicator_services.export_xlsx(s), content_type=XLSX)
    resp["Content-Disposition"] = f'attachment; filename="indicators-{s.year}.xlsx"'
    return resp


@router.post("/indicator-sets/{set_id}/import", summary="导入指标（Excel；任一行有错误则全部不导入，错误注明行与列）")
def indicator_set_import(request, set_id: int, file: File[UploadedFile], dry_run: Form[bool] = False):
    return _import_result(indicator_services.import_xlsx(request.user, _get_set(request, set_id), file.read(), dry_run=dry_run))


class IndicatorOut(Schema):
    id: int
    set_id: int
    year: int
    code: str
    dimension: str
    aspect: str
    name: str
    unit: str
    kind: str
    value_kind: str
    direction: str
    source: str
    responsible_unit: Optional[str]
    data_source: str
    target_value: Optional[float]
    computed_by: str


class IndicatorIn(Schema):
    code: str
    dimension: str
    name: str
    aspect: str = ""
    unit: str = ""
    kind: str = "guidance"
    value_kind: str = "count"
    direction: str = "lower"
    source: str = "district"
    department: str = ""
    data_source: str = ""
    target_value: Optional[float] = None
    computed_by: str = ""
    note: str = ""


class IndicatorPatch(Schema):
    target_value: Optional[float] = None
    data_source: Optional[str] = None
    name: Optional[str] = None
    aspect: Optional[str] = None
    unit: Optional[str] = None
    computed_by: Optional[str] = None


def indicator_dict(i: Indicator) -> dict:
    return {"id": i.id, "set_id": i.indicator_set_id, "year": i.indicator_set.year, "code": i.code, "dimension": i.dimension,
            "aspect": i.aspect, "name": i.name, "unit": i.unit, "kind": i.kind, "value_kind": i.value_kind, "direction": i.direction,
            "source": i.source, "responsible_unit": i.responsible_unit.code if i.responsible_unit_id else None,
            "data_source": i.data_source, "target_value": i.target_value, "computed_by": i.computed_by}


@router.get("/indicators", response=Page[IndicatorOut], summary="体检指标")
def indicators(request, year: Optional[int] = None, dimension: Optional[str] = None, source: Optional[str] = None,
               page: PageParams = Query(...)):
    qs = access.visible(request.user, Indicator.objects.select_related("indicator_set", "responsible_unit"))
    if year:
        qs = qs.filter(indicator_set__year=year)
    if dimension:
        qs = qs.filter(dimension=dimension)
    if source:
        qs = qs.filter(source=source)
    return paginate(qs, page, indicator_dict)


@router.post("/indicator-sets/{set_id}/indicators", response={201: IndicatorOut}, summary="新增指标（区特色指标）")
def indicator_create(request, set_id: int, payload: IndicatorIn):
    ind = indicator_services.create_indicator(request.user, _get_set(request, set_id), **payload.dict())
    return Status(201, indicator_dict(ind))


@router.patch("/indicators/{indicator_id}", response=IndicatorOut, summary="修改指标（目标值等）")
def indicator_update(request, indicator_id: int, payload: IndicatorPatch):
    ind = access.get_visible(request.user, Indicator.objects.select_related("indicator_set"), pk=indicator_id)
    changes = payload.dict(exclude_unset=True)
    return indicator_dict(indicator_services.update_indicator(request.user, ind, **changes))


# ---------------------------------------------------------------- measurements

class MeasurementOut(Schema):
    id: int
    indicator: str
    indicator_name: str
    year: int
    unit_kind: str
    unit_code: str
    value: float
    origin: str
    previous: Optional[float]
    status: str
    trend: Optional[str]


class MeasurementIn(Schema):
    indicator_id: int
    unit_kind: str
    unit_code: str
    value: float | str
    note: str = ""


class YearIn(Schema):
    year: int


@router.get("/measurements", response=Page[MeasurementOut], summary="指标值（含达标判定与上年对比）")
def measurements(request, filters: MeasurementFilter = Query(...), page: PageParams = Query(...)):
    qs = filters.filter(access.visible(request.user, Measurement.objects.select_related("indicator")))
    qs = qs.order_by("-year", "indicator__order", "unit_kind", "unit_code")
    items = list(qs[page.offset: page.offset + page.limit])
    prev = {}
    for y in {m.year for m in items}:
        prev.update({(y, *k): v for k, v in verdicts.previous_values(y, {m.indicator.code for m in items if m.year == y}).items()})
    results = []
    for m in items:
        p = prev.get((m.year, m.indicator.code, m.unit_kind, m.unit_code))
        v = verdicts.judge(m.indicator.direction, m.indicator.target_value, m.value, p)
        results.append({"id": m.id, "indicator": m.indicator.code, "indicator_name": m.indicator.name, "year": m.year,
                        "unit_kind": m.unit_kind, "unit_code": m.unit_code, "value": m.value, "origin": m.origin,
                        "previous": p, "status": v.status, "trend": v.trend})
    return {"count": qs.count(), "limit": page.limit, "offset": page.offset, "results": results}


@router.post("/measurements", response={201: MeasurementOut}, summary="填报指标值（责任部门）")
def measurement_record(request, payload: MeasurementIn):
    ind = access.get_visible(request.user, Indicator.objects.select_related("indicator_set"), pk=payload.indicator_id)
    m = measurement_services.record(request.user, ind, unit_kind=payload.unit_kind, unit_code=payload.unit_code, value=payload.value, note=payload.note)
    v = verdicts.judge(ind.direction, ind.target_value, m.value)
    return Status(201, {"id": m.id, "indicator": ind.code, "indicator_name": ind.name, "year": m.year, "unit_kind": m.unit_kind,
                        "unit_code": m.unit_code, "value": m.value, "origin": m.origin, "previous": None, "status": v.status, "trend": None})


@router.post("/indicator-sets/{set_id}/measurements/import", summary="导入指标值（Excel：指标编码、单元类型、单元编码、数值、说明）")
def measurement_import(request, set_id: int, file: File[UploadedFile], dry_run: Form[bool] = False):
    return _import_result(measurement_services.import_xlsx(request.user, _get_set(request, set_id), file.read(), dry_run=dry_run))


@router.post("/measurements/compute", summary="按平台数据计算某年度的计算类指标")
def measurement_compute(request, payload: YearIn):
    return {"year": payload.year, "values": measurement_services.compute(request.user, payload.year)}


@router.get("/dashboard", summary="按维度汇总：各指标全区值、目标、判定、上年对比")
def dashboard_data(request, year: int, unit_kind: str = "district"):
    return dashboard.summary(year, unit_kind)


@router.get("/choropleth", summary="某指标按社区/街道的分级设色数据（GeoJSON）")
def choropleth(request, year: int, indicator: str, unit_kind: str = "community"):
    return HttpResponse(json.dumps(dashboard.choropleth(year, indicator, unit_kind), ensure_ascii=False), content_type="application/geo+json")


# ---------------------------------------------------------------- problems

class HealthProblemOut(Schema):
    id: int
    code: str
    year: int
    origin: str
    indicator: Optional[str]
    problem_type: str
    title: str
    location_kind: str
    compound: Optional[str]
    building: str
    lng: Optional[float]
    lat: Optional[float]
    community: Optional[str]
    street: Optional[str]
    severity: str
    responsible_unit: Optional[str]
    deadline: Optional[dt.date]
    state: str
    supervision_task: str
    remedies: list[dict]


def problem_dict(p: Problem) -> dict:
    return {"id": p.id, "code": p.code, "year": p.year, "origin": p.origin, "indicator": p.indicator.code if p.indicator_id else None,
            "problem_type": p.problem_type, "title": p.title, "location_kind": p.location_kind,
            "compound": p.compound.code if p.compound_id else None, "building": p.building, "lng": p.lng, "lat": p.lat,
            "community": p.community.code if p.community_id else None, "street": p.street.code if p.street_id else None,
            "severity": p.severity, "responsible_unit": p.responsible_unit.code if p.responsible_unit_id else None,
            "deadline": p.deadline, "state": p.state, "supervision_task": p.supervision_task,
            "remedies": [remedy_dict(r) for r in p.remedies.all()]}


def remedy_dict(r: ProblemRemedy) -> dict:
    return {"id": r.id, "kind": r.kind, "case": r.case.number if r.case_id else None, "project_key": r.project_key,
            "accepted": r.accepted, "accepted_at": r.accepted_at.isoformat() if r.accepted_at else None,
            "returned_at": r.returned_at.isoformat() if r.returned_at else None}


def problem_queryset(user, filters: ProblemFilter):
    qs = Problem.objects.select_related("indicator", "compound", "community", "street", "responsible_unit").prefetch_related("remedies__case")
    return filters.filter(access.visible(user, qs))


@router.get("/problems", response=Page[HealthProblemOut], summary="问题台账（与台账页同一套筛选条件）")
def problems(request, filters: ProblemFilter = Query(...), page: PageParams = Query(...)):
    return paginate(problem_queryset(request.user, filters), page, problem_dict)


class HealthFindingIn(Schema):
    year: int
    problem_type: str
    description: str = ""
    title: str = ""
    compound: Optional[str] = None
    building: str = ""
    lng: Optional[float] = None
    lat: Optional[float] = None
    severity: str = "minor"
    responsible_unit: Optional[str] = None
    deadline: Optional[dt.date] = None
    indicator: Optional[str] = None


@router.post("/problems", response={201: HealthProblemOut}, summary="登记现场发现的问题")
def problem_create(request, payload: HealthFindingIn):
    data = payload.dict()
    data["indicator_code"] = data.pop("indicator")
    return Status(201, problem_dict(ledger.create_finding(request.user, **data)))


@router.post("/problems/generate", summary="由不达标指标值生成问题（幂等）")
def problems_generate(request, payload: YearIn):
    return ledger.generate_from_measurements(request.user, payload.year)


@router.post("/problems/recheck", summary="按该年度指标值复核待复核的问题（达标即销号）")
def problems_recheck(request, payload: YearIn):
    return ledger.recheck_by_measurements(request.user, payload.year)


@router.get("/problem-types", summary="三级问题清单（问题类型及所属指标）")
def problem_types(request):
    return checklist.categories()


def _problem(request, problem_id: int) -> Problem:
    return access.get_visible(request.user, Problem.objects.all(), pk=problem_id)


@router.get("/problems/{problem_id}", response=HealthProblemOut, summary="问题详情")
def problem_detail(request, problem_id: int):
    return problem_dict(_problem(request, problem_id))


class RemedyIn(Schema):
    case_number: Optional[str] = None
    project_key: Optional[str] = None


@router.post("/problems/{problem_id}/remedies", response={201: dict}, summary="关联整改措施（案件编号或更新项目 renewal.project:<id>）")
def problem_link_remedy(request, problem_id: int, payload: RemedyIn):
    from chengyun.cases.models import Case
    from chengyun.people import policy

    problem = _problem(request, problem_id)
    case = None
    if payload.case_number:
        case = policy.visible(request.user, Case.objects.all()).filter(number=payload.case_number).first()
        if case is None:
            raise Invalid(f"案件 {payload.case_number} 不存在", code="unknown_case", detail={"field": "case_number"})
    return Status(201, remedy_dict(services.link_remedy(request.user, problem, case=case, project_key=payload.project_key)))


@router.post("/remedies/{remedy_id}/accept", summary="整改验收（问题转为待复核）")
def remedy_accept(request, remedy_id: int):
    remedy = access.get_visible(request.user, ProblemRemedy.objects.select_related("problem"), pk=remedy_id)
    return remedy_dict(services.accept_remedy(request.user, remedy))


@router.post("/problems/{problem_id}/photos", response={201: dict}, summary="上传问题照片")
def problem_photos(request, problem_id: int, files: File[list[UploadedFile]], caption: Form[str] = ""):
    photos = ledger.add_photos(request.user, _problem(request, problem_id), files, caption)
    return Status(201, {"photos": [p.file.url for p in photos]})


class CaseIn(Schema):
    category_code: str
    category_kind: str = "event"
    description: str = ""


@router.post("/problems/{problem_id}/case", response={201: dict}, summary="转为案件（来源：城市体检），并关联为整改措施")
def problem_to_case(request, problem_id: int, payload: CaseIn):
    case = ledger.to_case(request.user, _problem(request, problem_id), category_code=payload.category_code,
                          category_kind=payload.category_kind, description=payload.description)
    return Status(201, {"case": case.number})


class ProblemTaskIn(Schema):
    lead_unit: Optional[str] = None
    deadline: Optional[dt.date] = None
    title: str = ""


@router.post("/problems/{problem_id}/task", response={201: dict}, summary="列为督办任务")
def problem_to_task(request, problem_id: int, payload: ProblemTaskIn):
    lead = None
    if payload.lead_unit:
        lead = Unit.objects.filter(code=payload.lead_unit).first()
        if lead is None:
            raise Invalid(f"单位 {payload.lead_unit} 不存在", code="unknown_unit", detail={"field": "lead_unit"})
    task = ledger.to_key_task(request.user, _problem(request, problem_id), lead_unit=lead, deadline=payload.deadline, title=payload.title)
    return Status(201, {"task": task.code})


class ActionIn(Schema):
    note: str = ""


@router.post("/problems/{problem_id}/{action}", summary="问题流转：start 开始整改 / close 复核销号 / return 复核退回（状态不允许时 409）")
def problem_action(request, problem_id: int, action: str, payload: ActionIn):
    problem = services.transition(request.user, _problem(request, problem_id), action, note=payload.note)
    return {"id": problem.id, "code": problem.code, "state": problem.state}


# ---------------------------------------------------------------- layers

class LayerOut(Schema):
    id: int
    code: str
    name: str
    kind: str
    year: Optional[int]
    unit: Optional[str]
    feature_count: int
    source_name: str


def layer_dict(layer: Layer) -> dict:
    return {"id": layer.id, "code": layer.code, "name": layer.name, "kind": layer.kind, "year": layer.year,
            "unit": layer.unit.code if layer.unit_id else None, "feature_count": layer.feature_count, "source_name": layer.source_name}


@router.get("/layers", response=list[LayerOut], summary="体检图层")
def layers(request):
    return [layer_dict(x) for x in access.visible(request.user, Layer.objects.select_related("unit"))]


@router.post("/layers", summary="上传图层（GeoJSON 或打包的 Shapefile；任一要素有错误则不导入）")
def layer_upload(request, file: File[UploadedFile], code: Form[str], name: Form[str], kind: Form[str], year: Form[Optional[int]] = None,
                 unit: Form[str] = "", dry_run: Form[bool] = False):
    features = layer_services.read_upload(file.name or "", file.read())
    report = layer_services.import_layer(request.user, features, code=code, name=name, kind=kind, year=year, unit=unit or None,
                                         source_name=file.name or "", dry_run=dry_run)
    return _import_result(report)


@router.get("/layers/{code}.geojson", summary="图层要素（GeoJSON）")
def layer_geojson(request, code: str):
    layer = access.get_visible(request.user, Layer.objects.all(), code=code)
    rows = layer.features.values_list("code", "name", "facility_kind", "area_m2", "geometry")
    parts = ['{"type":"Feature","geometry":%s,"properties":%s}' % (g, json.dumps({"code": c, "name": n, "kind": k, "area_m2": a}, ensure_ascii=False))
             for c, n, k, a, g in rows]
    return HttpResponse('{"type":"FeatureCollection","features":[%s]}' % ",".join(parts), content_type="application/geo+json")


@router.get("/coverage", summary="由图层计算的覆盖率（全区，%）：直线距离与路网距离")
def coverage_now(request, method: str = "straight"):
    if method not in ("straight", "network"):
        raise Invalid("method 应为 straight 或 network", code="bad_method", detail={"field": "method"})
    return layer_services.coverage_summary(method)
