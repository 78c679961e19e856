"""/api/v1/sanitation/: vehicles, tracks (upload, import), coverage, plans, inspections, 示范街."""
from __future__ import annotations

import datetime as dt
import json
from typing import Optional

from django.http import HttpResponse
from ninja import File, Form, Query, Router, Schema
from ninja.files import UploadedFile

from chengyun.core.errors import Invalid
from chengyun.core.pagination import Page, PageParams, paginate
from chengyun.geo.tracks import TrackError
from chengyun.people import policy

from . import services, trackfile
from .filters import CoverageFilter, DemoStreetFilter, InspectionFilter, TrackFilter, VehicleFilter
from .models import DemoStreet, Inspection, ScoreItem, SegmentDay, SweepPlan, Track, Vehicle
from .services import tracks as track_services

router = Router(tags=["环卫保洁"])


class SanitationVehicleOut(Schema):
    code: str
    plate: str
    kind: str
    unit: str
    street: Optional[str]
    active: bool


class SanitationVehicleIn(Schema):
    code: str
    plate: str
    unit: str
    kind: str = "wash_sweeper"
    street: str = ""
    feed_password: str = ""


class SanitationVehiclePatch(Schema):
    plate: Optional[str] = None
    kind: Optional[str] = None
    street: Optional[str] = None
    feed_password: Optional[str] = None
    active: Optional[bool] = None


def _vehicle(v: Vehicle) -> dict:
    return {"code": v.code, "plate": v.plate, "kind": v.kind, "unit": v.unit.code, "street": v.street.code if v.street_id else None, "active": v.active}


@router.get("/vehicles", response=Page[SanitationVehicleOut], summary="机扫车辆")
def vehicles(request, filters: VehicleFilter = Query(...), page: PageParams = Query(...)):
    qs = filters.filter(policy.visible(request.user, Vehicle.objects.select_related("unit", "street")))
    return paginate(qs, page, _vehicle)


@router.post("/vehicles", response={201: SanitationVehicleOut}, summary="登记车辆")
def vehicle_create(request, body: SanitationVehicleIn):
    return 201, _vehicle(services.create_vehicle(request.user, **body.dict()))


@router.patch("/vehicles/{code}", response=SanitationVehicleOut, summary="修改车辆")
def vehicle_update(request, code: str, body: SanitationVehiclePatch):
    v = policy.get_visible(request.user, Vehicle.objects.select_related("unit", "street"), code=code)
    return _vehicle(services.update_vehicle(request.user, v, **body.dict(exclude_unset=True)))


class SanitationTrackOut(Schema):
    vehicle: str
    day: dt.date
    n_points: int
    length_m: float
    started_at: Optional[dt.datetime]
    ended_at: Optional[dt.datetime]
    dropped_count: int
    source: str


class SanitationDroppedOut(Schema):
    index: int
    time: str
    lng: float
    lat: float
    reason: str
    reason_label: str
    speed_mps: Optional[float]


class SanitationImportOut(Schema):
    received: int
    stored: int
    days: list[str]
    dropped_count: int
    dropped_by_reason: dict[str, int]
    dropped: list[SanitationDroppedOut]


class SanitationPointIn(Schema):
    t: str
    lng: float
    lat: float


class SanitationTrackIn(Schema):
    vehicle: str
    points: list[SanitationPointIn]


def _track(t: Track) -> dict:
    return {"vehicle": t.vehicle.code, "day": t.day, "n_points": t.n_points, "length_m": round(t.length_m, 1), "started_at": t.started_at,
            "ended_at": t.ended_at, "dropped_count": t.dropped_count, "source": t.source}


@router.get("/tracks", response=Page[SanitationTrackOut], summary="作业轨迹（每车每日）")
def tracks(request, filters: TrackFilter = Query(...), page: PageParams = Query(...)):
    qs = filters.filter(policy.visible(request.user, Track.objects.select_related("vehicle").defer("points")))
    return paginate(qs, page, _track)


@router.post("/tracks", response=SanitationImportOut, summary="上传轨迹点（清洗后入库，剔除点逐一报告）")
def track_upload(request, body: SanitationTrackIn):
    v = policy.get_visible(request.user, Vehicle.objects.all(), code=body.vehicle)
    try:
        points = trackfile.points_from_objects([p.dict() for p in body.points])
    except TrackError as exc:
        raise Invalid(str(exc), code="bad_track", detail={"field": "points", "where": exc.where}) from None
    return services.import_points(request.user, v, points, source=Track.Source.API).as_dict()


@router.post("/tracks/import", response=SanitationImportOut, summary="导入轨迹文件（CSV/JSON）")
def track_import(request, file: File[UploadedFile], vehicle: Form[str] = ""):
    try:
        rows = trackfile.parse_file(file.name or "", file.read())
    except TrackError as exc:
        raise Invalid(str(exc), code="bad_track", detail={"field": "file", "where": exc.where}) from None
    if vehicle:
        groups = {policy.get_visible(request.user, Vehicle.objects.all(), code=vehicle): rows}
    else:
        codes = {p.vehicle for p in rows}
        if "" in codes:
            raise Invalid("文件没有车辆列，请指定车辆", code="vehicle_required", detail={"field": "vehicle"})
        found = {v.code: v for v in policy.visible(request.user, Vehicle.objects.filter(code__in=codes))}
        groups = track_services.points_for_vehicles(rows, found)
    total = services.ImportReport()
    for v, pts in groups.items():
        r = services.import_points(request.user, v, pts)
        total.received += r.received
        total.stored += r.stored
        total.days = sorted(set(total.days) | set(r.days))
        total.dropped.extend(r.dropped)
    return total.as_dict()


@router.get("/tracks/{vehicle}/{day}.geojson", summary="一辆车一日的轨迹与剔除点（GeoJSON）")
def track_geojson(request, vehicle: str, day: dt.date):
    t = policy.get_visible(request.user, Track.objects.select_related("vehicle"), vehicle__code=vehicle, day=day)
    ts, xs, ys = services.track_points(t)
    feats = [{"type": "Feature", "geometry": {"type": "LineString", "coordinates": [[round(a, 6), round(b, 6)] for a, b in zip(xs.tolist(), ys.tolist())]},
              "properties": {"vehicle": vehicle, "day": str(day), "points": t.n_points}}]
    feats += [{"type": "Feature", "geometry": {"type": "Point", "coordinates": [d["lng"], d["lat"]]}, "properties": {"dropped": d["reason"], "time": d["time"]}}
              for d in t.dropped]
    return HttpResponse(json.dumps({"type": "FeatureCollection", "features": feats}, ensure_ascii=False), content_type="application/geo+json")


class SanitationSummaryOut(Schema):
    day: dt.date
    street: Optional[str] = None
    street_name: str = ""
    segments: int
    met: int
    met_rate: float
    planned_km: float
    swept_km: float
    covered_km: float
    rate: float


def _summary(s, street=None) -> dict:
    return {"day": s.day, "street": street["code"] if street else None, "street_name": street["name"] if street else "", "segments": s.segments,
            "met": s.met, "met_rate": s.met_rate, "planned_km": s.planned_km, "swept_km": s.swept_km, "covered_km": s.covered_km, "rate": s.rate}


class SanitationCoverageOut(Schema):
    district: SanitationSummaryOut
    streets: list[SanitationSummaryOut]


def _day(day: Optional[dt.date]) -> dt.date:
    day = day or dt.date.today() - dt.timedelta(days=1)
    services.ensure_day(day)
    return day


@router.get("/coverage", response=SanitationCoverageOut, summary="机扫覆盖：全区与各街道（km 已扫 / km 计划）")
def coverage(request, day: Optional[dt.date] = None):
    day = _day(day)
    qs = policy.visible(request.user, SegmentDay.objects.all())
    return {"district": _summary(services.day_summary(qs, day)), "streets": [_summary(s, st) for st, s in services.street_summary(qs, day)]}


class SanitationSegmentDayOut(Schema):
    segment: str
    name: str
    street: Optional[str]
    grade: Optional[int]
    length_m: float
    planned_passes: int
    passes: int
    swept_m: float
    covered_m: float


def _segday(r: SegmentDay) -> dict:
    plan = getattr(r.segment, "sweep_plan", None)
    return {"segment": r.segment.code, "name": r.segment.name, "street": r.street.code if r.street_id else None, "grade": plan.grade if plan else None,
            "length_m": r.length_m, "planned_passes": r.planned_passes, "passes": r.passes, "swept_m": r.swept_m, "covered_m": r.covered_m}


@router.get("/coverage/segments", response=Page[SanitationSegmentDayOut], summary="路段日机扫（遍数对照计划）")
def coverage_segments(request, day: Optional[dt.date] = None, filters: CoverageFilter = Query(...), page: PageParams = Query(...)):
    day = _day(day)
    qs = filters.filter(services.coverage_rows(policy.visible(request.user, SegmentDay.objects.all()), day)).select_related("segment__sweep_plan")
    return paginate(qs, page, _segday)


@router.get("/coverage.geojson", summary="机扫覆盖地图（GeoJSON，按日）")
def coverage_geojson(request, day: Optional[dt.date] = None):
    day = _day(day)
    rows = policy.visible(request.user, SegmentDay.objects.filter(day=day)).values_list(
        "segment__code", "segment__name", "segment__geometry", "planned_passes", "passes", "covered_m", "length_m")
    parts = ['{"type":"Feature","geometry":%s,"properties":%s}' % (g, json.dumps(
        {"code": c, "name": n, "planned": pl, "passes": pa, "covered": round(cv / ln * 100) if ln else 0}, ensure_ascii=False))
        for c, n, g, pl, pa, cv, ln in rows]
    return HttpResponse('{"type":"FeatureCollection","features":[%s]}' % ",".join(parts), content_type="application/geo+json")


class SanitationPlanOut(Schema):
    segment: str
    grade: int
    passes_per_day: int


class SanitationPlanIn(Schema):
    grade: int
    passes_per_day: Optional[int] = None


@router.get("/plans", response=Page[SanitationPlanOut], summary="机扫计划（按 CJJ/T 126-2022 保洁等级）")
def plans(request, grade: Optional[int] = None, page: PageParams = Query(...)):
    qs = policy.visible(request.user, SweepPlan.objects.select_related("segment"))
    if grade:
        qs = qs.filter(grade=grade)
    return paginate(qs, page, lambda p: {"segment": p.segment.code, "grade": p.grade, "passes_per_day": p.passes_per_day})


@router.put("/plans/{segment}", response=SanitationPlanOut, summary="调整路段保洁等级与机扫遍数")
def plan_set(request, segment: str, body: SanitationPlanIn):
    policy.get_visible(request.user, SweepPlan.objects.all(), segment__code=segment)
    p = services.set_plan(request.user, segment, grade=body.grade, passes_per_day=body.passes_per_day)
    return {"segment": segment, "grade": p.grade, "passes_per_day": p.passes_per_day}


class SanitationInspectionOut(Schema):
    code: str
    segment: str
    street: Optional[str]
    inspected_on: dt.date
    inspector: str
    required_grade: int
    sensory: float
    litter: float
    stain: float
    cleanliness: float
    dust: Optional[float]
    grade_reached: Optional[int]
    meets: bool
    failures: list[str]


class SanitationInspectionIn(Schema):
    segment: str
    inspected_on: dt.date
    inspector: str
    sensory: float
    litter: float
    stain: float
    cleanliness: float
    dust: Optional[float] = None
    note: str = ""


def _inspection(i: Inspection) -> dict:
    return {"code": i.code, "segment": i.segment.code, "street": i.street.code if i.street_id else None, "inspected_on": i.inspected_on,
            "inspector": i.inspector, "required_grade": i.required_grade, "sensory": i.sensory, "litter": i.litter, "stain": i.stain,
            "cleanliness": i.cleanliness, "dust": i.dust, "grade_reached": i.grade_reached, "meets": i.meets, "failures": i.failures}


@router.get("/inspections", response=Page[SanitationInspectionOut], summary="保洁质量检查")
def inspections(request, filters: InspectionFilter = Query(...), page: PageParams = Query(...)):
    qs = filters.filter(policy.visible(request.user, Inspection.objects.select_related("segment", "street")))
    return paginate(qs, page, _inspection)


@router.post("/inspections", response={201: SanitationInspectionOut}, summary="登记质量检查（按 CJJ/T 126-2022 评定等级）")
def inspection_create(request, body: SanitationInspectionIn):
    return 201, _inspection(services.record_inspection(request.user, **body.dict()))


class SanitationScoreItemOut(Schema):
    code: str
    name: str
    max_score: int
    order: int
    active: bool


class SanitationScoreItemIn(Schema):
    name: str
    max_score: int
    order: int = 100
    active: bool = True


def _item(i: ScoreItem) -> dict:
    return {"code": i.code, "name": i.name, "max_score": i.max_score, "order": i.order, "active": i.active}


@router.get("/score-items", response=list[SanitationScoreItemOut], summary="示范街评分表")
def score_items(request):
    return [_item(i) for i in policy.visible(request.user, ScoreItem.objects.all())]


@router.put("/score-items/{code}", response=SanitationScoreItemOut, summary="新增或修改评分项")
def score_item_set(request, code: str, body: SanitationScoreItemIn):
    return _item(services.set_score_item(request.user, code=code, **body.dict()))


class SanitationScoreOut(Schema):
    month: dt.date
    total: float
    full: float
    passed: bool
    items: dict[str, float]


class SanitationDemoStreetOut(Schema):
    code: str
    name: str
    street: str
    status: str
    length_m: float
    shops: int
    since: dt.date
    segments: list[str]
    scores: list[SanitationScoreOut]


class SanitationDemoStreetIn(Schema):
    code: str
    name: str
    street: str
    segments: list[str]
    since: dt.date
    unit: str = ""
    shops: int = 0


class SanitationStatusIn(Schema):
    status: str


class SanitationScoreIn(Schema):
    month: dt.date
    items: dict[str, float]
    scored_by: str = ""
    note: str = ""


def _demo_street(d: DemoStreet) -> dict:
    return {"code": d.code, "name": d.name, "street": d.street.code, "status": d.status, "length_m": d.length_m, "shops": d.shops, "since": d.since,
            "segments": [s.code for s in d.segments.all()],
            "scores": [{"month": s.month, "total": s.total, "full": s.full, "passed": s.passed, "items": s.items} for s in d.scores.all()]}


@router.get("/demo-streets", response=Page[SanitationDemoStreetOut], summary="环卫示范街及月度评分")
def demo_streets(request, filters: DemoStreetFilter = Query(...), page: PageParams = Query(...)):
    qs = filters.filter(policy.visible(request.user, DemoStreet.objects.select_related("street").prefetch_related("segments", "scores")))
    return paginate(qs, page, _demo_street)


@router.post("/demo-streets", response={201: SanitationDemoStreetOut}, summary="创建示范街")
def demo_street_create(request, body: SanitationDemoStreetIn):
    return 201, _demo_street(services.create_demo_street(request.user, **body.dict()))


def _visible_demo_street(request, code: str) -> DemoStreet:
    return policy.get_visible(request.user, DemoStreet.objects.select_related("street"), code=code)


@router.post("/demo-streets/{code}/status", response=SanitationDemoStreetOut, summary="命名或摘牌")
def demo_street_status(request, code: str, body: SanitationStatusIn):
    return _demo_street(services.set_demo_street_status(request.user, _visible_demo_street(request, code), body.status))


@router.post("/demo-streets/{code}/scores", response={201: SanitationScoreOut}, summary="录入月度评分")
def demo_street_score(request, code: str, body: SanitationScoreIn):
    s = services.score_month(request.user, _visible_demo_street(request, code), **body.dict())
    return 201, {"month": s.month, "total": s.total, "full": s.full, "passed": s.passed, "items": s.items}


