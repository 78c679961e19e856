"""/api/v1/watersheds/: a thin router over services; reads go through the policy."""
from __future__ import annotations

import datetime as dt
from typing import Any, Optional

from ninja import Query, Router, Schema, Status

from chengyun.core.pagination import Page, PageParams, paginate
from chengyun.people import policy

from . import workflow
from .filters import BoundarySectionFilter, ErosionProjectFilter, JointIncidentFilter
from .models import BoundarySection, ErosionProject, Indicator, JointIncident, Watershed
from .services import erosion, exchange, sediment, watersheds

router = Router(tags=["流域治理"])


class WatershedOut(Schema):
    code: str
    name: str
    water_body: Optional[str]
    outlet: Optional[str]
    origin: str
    area_km2: float
    land_use: dict
    sediment_target_t: Optional[float]
    runoff_baseline_m3: Optional[float]
    measures: int


def _ws(w: Watershed) -> dict:
    return {"code": w.code, "name": w.name, "water_body": w.water_body.code if w.water_body_id else None,
            "outlet": w.outlet.code if w.outlet_id else None, "origin": w.origin, "area_km2": w.area_km2, "land_use": w.land_use,
            "sediment_target_t": w.sediment_target_t, "runoff_baseline_m3": w.runoff_baseline_m3, "measures": w.measures.count()}


def _get(request, code: str) -> Watershed:
    return policy.get_visible(request.user, Watershed.objects.select_related("water_body", "outlet"), code=code)


@router.get("/", response=list[WatershedOut], summary="小流域")
def watershed_list(request):
    return [_ws(w) for w in policy.visible(request.user, Watershed.objects.select_related("water_body", "outlet"))]


@router.get("/map", summary="小流域一张图（GeoJSON：边界、措施、断面、交界断面）")
def watershed_map(request):
    from .views import map_features

    return map_features(request.user)


@router.get("/indicators", summary="生态清洁小流域评价指标（目标值与取值范围）")
def indicator_list(request):
    return [{"code": i.code, "name": i.name, "unit": i.unit, "direction": i.direction, "target": i.target, "min_value": i.min_value,
             "max_value": i.max_value} for i in policy.visible(request.user, Indicator.objects.all())]


@router.get("/verdicts", summary="某年度各小流域的评价结论")
def verdict_list(request, year: int):
    return [v.to_dict() for v in watersheds.verdicts(year) if policy.can_read(request.user, v.watershed)]


@router.get("/{code}", response=WatershedOut, summary="小流域详情")
def watershed_detail(request, code: str):
    return _ws(_get(request, code))


class WatershedValuesIn(Schema):
    year: int
    values: dict[str, Any]


@router.post("/{code}/values", summary="填报某年度指标值（超出取值范围时指明字段）")
def watershed_values(request, code: str, payload: WatershedValuesIn):
    w = _get(request, code)
    watersheds.record_values(request.user, w, payload.year, payload.values)
    return watersheds.verdict(w, payload.year).to_dict()


@router.get("/{code}/sheet", summary="评价表：某年度各指标与结论，以及历年趋势")
def watershed_sheet(request, code: str, year: int):
    w = _get(request, code)
    return {**watersheds.verdict(w, year).to_dict(), "trend": watersheds.trend(w)}


@router.get("/{code}/hydro", summary="历年泥沙输出量与径流量（对照目标）")
def watershed_hydro(request, code: str):
    return sediment.yearly(_get(request, code))


class WatershedHydroComputeIn(Schema):
    start: dt.date
    end: dt.date


@router.post("/{code}/hydro/compute", summary="由出口断面悬浮物与流量数据计算日、年泥沙与径流")
def watershed_hydro_compute(request, code: str, payload: WatershedHydroComputeIn):
    records = sediment.compute_from_monitoring(request.user, _get(request, code), payload.start, payload.end)
    return {"records": len(records)}


class WatershedHydroYearIn(Schema):
    year: int
    sediment_t: float
    runoff_m3: float


@router.post("/{code}/hydro/years", response={201: dict}, summary="填报无监测站小流域的年泥沙与径流")
def watershed_hydro_year(request, code: str, payload: WatershedHydroYearIn):
    r = sediment.enter_year(request.user, _get(request, code), payload.year, sediment_t=payload.sediment_t, runoff_m3=payload.runoff_m3)
    return Status(201, {"year": r.start.year, "sediment_t": r.sediment_t, "runoff_m3": r.runoff_m3})


class WatershedMeasureIn(Schema):
    kind: str
    name: str = ""
    quantity: float
    unit: str = ""
    completed_on: Optional[dt.date] = None
    geometry: Optional[dict] = None


@router.post("/{code}/measures", response={201: dict}, summary="登记治理措施")
def watershed_measure(request, code: str, payload: WatershedMeasureIn):
    m = watersheds.add_measure(request.user, _get(request, code), **payload.dict())
    return Status(201, {"id": m.pk, "kind": m.kind, "name": m.name, "quantity": m.quantity, "unit": m.unit})


class WatershedBoundaryIn(Schema):
    geometry: dict


@router.post("/{code}/boundary", summary="导入小流域边界（GeoJSON）")
def watershed_boundary(request, code: str, payload: WatershedBoundaryIn):
    return _ws(watersheds.set_boundary(request.user, _get(request, code), payload.geometry))


@router.post("/{code}/boundary/derive", summary="按出口断面与排水管网推算集水范围（无地形数据时）")
def watershed_boundary_derive(request, code: str):
    return _ws(watersheds.derive_boundary(request.user, _get(request, code)))


# ---------------------------------------------------------------- soil-erosion projects

class ErosionProjectOut(Schema):
    id: int
    code: str
    name: str
    developer: str
    state: str
    state_label: str
    watershed: Optional[str]
    street: str
    disturbed_ha: float
    plan_number: str
    checks: int


def _project(p: ErosionProject) -> dict:
    return {"id": p.pk, "code": p.code, "name": p.name, "developer": p.developer, "state": p.state, "state_label": str(workflow.PROJECT_STATES[p.state]),
            "watershed": p.watershed.code if p.watershed_id else None, "street": p.street.code, "disturbed_ha": p.disturbed_ha,
            "plan_number": p.plan_number, "checks": p.checks.count()}


def _get_project(request, project_id: int) -> ErosionProject:
    return policy.get_visible(request.user, ErosionProject.objects.select_related("watershed", "street"), pk=project_id)


@router.get("/projects/", response=Page[ErosionProjectOut], summary="生产建设项目（水土保持监督）")
def project_list(request, filters: ErosionProjectFilter = Query(...), page: PageParams = Query(...)):
    qs = filters.filter(policy.visible(request.user, ErosionProject.objects.select_related("watershed", "street")))
    return paginate(qs, page, _project)


class ErosionProjectActionIn(Schema):
    action: str
    note: str = ""
    plan_number: str = ""
    on: Optional[dt.date] = None


@router.post("/projects/{project_id}/actions", response=ErosionProjectOut, summary="项目流转（方案批复、开工、验收、销号）")
def project_action(request, project_id: int, payload: ErosionProjectActionIn):
    p = erosion.transition(request.user, _get_project(request, project_id), payload.action, note=payload.note, on=payload.on,
                           plan_number=payload.plan_number)
    return _project(p)


class ErosionCheckIn(Schema):
    checked_on: dt.date
    inspector: str
    findings: str
    verdict: str


@router.post("/projects/{project_id}/checks", response={201: dict}, summary="登记监督检查")
def project_check(request, project_id: int, payload: ErosionCheckIn):
    c = erosion.record_check(request.user, _get_project(request, project_id), **payload.dict())
    return Status(201, {"id": c.pk, "verdict": c.verdict})


# ---------------------------------------------------------------- joint control

class BoundarySectionOut(Schema):
    code: str
    name: str
    neighbour: str
    river: str
    upstream: str
    target_class: int
    our_duty: str
    their_duty: str
    latest_class: Optional[int]
    latest_compliant: Optional[bool]


@router.get("/boundary-sections/", response=list[BoundarySectionOut], summary="交界断面（考核目标与责任分工）")
def boundary_sections(request, filters: BoundarySectionFilter = Query(...)):
    out = []
    for s in filters.filter(policy.visible(request.user, BoundarySection.objects.select_related("neighbour"))):
        last = s.readings.first()
        out.append({"code": s.code, "name": s.name, "neighbour": s.neighbour.name, "river": s.river, "upstream": s.upstream,
                    "target_class": s.target_class, "our_duty": s.our_duty, "their_duty": s.their_duty,
                    "latest_class": last.water_class if last else None, "latest_compliant": last.compliant if last else None})
    return out


class BoundaryReadingIn(Schema):
    at: dt.datetime
    values: dict[str, float]


@router.post("/boundary-sections/{code}/readings", response={201: dict}, summary="录入交界断面监测数据（发送相邻区县）")
def boundary_reading(request, code: str, payload: BoundaryReadingIn):
    s = policy.get_visible(request.user, BoundarySection.objects.select_related("neighbour"), code=code)
    r = exchange.record_reading(request.user, s, at=payload.at, values=payload.values)
    return Status(201, {"water_class": r.water_class, "compliant": r.compliant})


class JointIncidentOut(Schema):
    uid: str
    title: str
    section: str
    neighbour: str
    upstream_party: str
    state: str
    state_label: str
    opened_at: dt.datetime
    entries: list[dict]


def _incident(i: JointIncident) -> dict:
    return {"uid": i.uid, "title": i.title, "section": i.section.code, "neighbour": i.neighbour.name, "upstream_party": i.upstream_party,
            "state": i.state, "state_label": str(workflow.INCIDENT_STATES[i.state]), "opened_at": i.opened_at,
            "entries": [{"uid": e.uid, "kind": e.kind, "party": e.party, "ours": e.ours, "at": e.at.isoformat(), "text": e.text,
                         "participants": e.participants, "route": e.route} for e in i.entries.all()]}


def _get_incident(request, uid: str) -> JointIncident:
    return policy.get_visible(request.user, JointIncident.objects.select_related("section", "neighbour"), uid=uid)


@router.get("/incidents/", response=Page[JointIncidentOut], summary="联防联控事件")
def incident_list(request, filters: JointIncidentFilter = Query(...), page: PageParams = Query(...)):
    qs = filters.filter(policy.visible(request.user, JointIncident.objects.select_related("section", "neighbour").prefetch_related("entries")))
    return paginate(qs, page, _incident)


@router.get("/incidents/{uid}", response=JointIncidentOut, summary="联防联控事件详情与共享时间线")
def incident_detail(request, uid: str):
    return _incident(_get_incident(request, uid))


class JointEntryIn(Schema):
    kind: str
    text: str
    participants: str = ""
    route: str = ""


@router.post("/incidents/{uid}/entries", response={201: JointIncidentOut}, summary="记录本方处置措施、联合巡查或情况通报（同步对方）")
def incident_entry(request, uid: str, payload: JointEntryIn):
    inc = _get_incident(request, uid)
    exchange.add_entry(request.user, inc, **payload.dict())
    return Status(201, _incident(_get_incident(request, uid)))


class JointIncidentActionIn(Schema):
    action: str
    note: str = ""


@router.post("/incidents/{uid}/actions", response=JointIncidentOut, summary="事件流转（消除、重新处置、办结；同步对方）")
def incident_action(request, uid: str, payload: JointIncidentActionIn):
    exchange.move_incident(request.user, _get_incident(request, uid), payload.action, note=payload.note)
    return _incident(_get_incident(request, uid))
