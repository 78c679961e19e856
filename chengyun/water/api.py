from __future__ import annotations

import datetime as dt
from typing import Any, Literal, Optional

from django.db.models import Count, Q
from django.utils import timezone
from ninja import File, Form, Query, Router, Schema, Status
from ninja.files import UploadedFile
from pydantic import ConfigDict, Field

from chengyun.core.errors import Invalid, NotFound
from chengyun.core.pagination import Page, PageParams, paginate
from chengyun.geo.models import Unit
from chengyun.people import policy
from chengyun.standards import gb3838

from . import queries, services
from .filters import (AlertFilter, CameraFilter, ChiefFilter, OutfallFilter, PatrolFilter, ReachFilter, SectionFilter,
                      WaterBodyFilter)
from .models import Aggregate, Alert, Camera, Outfall, Patrol, RainDay, Reach, RiverChief, Section, WaterBody

router = Router(tags=["水环境"])


# ---------------------------------------------------------------- classification

class ClassifyIn(Schema):
    values: dict[str, Any] = Field(..., description="因子 → 浓度，键为 GB 3838 键（COD、NH3N、TP…）或 HJ 212 编码（w01018…）")
    water_body: str = Field("river", description="river（河流）或 lake（湖泊、水库）")


class ClassifyOut(Schema):
    water_body: str
    water_class: int
    label: str
    quality: str
    limiting: list[str]
    exceedance: dict[str, float]
    factor_classes: dict[str, int]
    ignored: list[str]
    values: dict[str, float]


def classify_values(values: dict[str, Any], water_body: str) -> gb3838.Classification:
    """gb3838.classify with its errors turned into Chinese 422s naming the factor."""
    if water_body not in gb3838.WATER_BODIES:
        raise Invalid(f"水体类型 {water_body!r} 无效，应为 river（河流）或 lake（湖泊、水库）", code="invalid_water_body", detail={"field": "water_body"})
    if not values:
        raise Invalid("请至少提供一个因子的监测值", code="no_values", detail={"field": "values"})
    given_as: dict[str, str] = {}
    for key, value in values.items():
        try:
            canonical = gb3838.canonical_key(key)
        except ValueError:
            raise Invalid(f"未知的水质因子：{key}", code="unknown_factor", detail={"factor": key}) from None
        try:
            gb3838.to_standard_unit(key, value)
        except ValueError:
            raise Invalid(f"因子 {key} 的值 {value!r} 不是有效的非负数值", code="invalid_value", detail={"factor": key, "value": value}) from None
        if canonical in given_as:
            raise Invalid(f"因子 {canonical} 重复给出（{given_as[canonical]} 与 {key}）", code="duplicate_factor",
                          detail={"factor": canonical, "keys": [given_as[canonical], key]})
        given_as[canonical] = key
    if not any(k in gb3838.LIMITS[water_body] for k in given_as):
        body = "河流" if water_body == "river" else "湖泊、水库"
        raise Invalid(f"所给因子（{'、'.join(values)}）均不参与{body}的水质类别评价", code="no_classifiable_factor",
                      detail={"factors": list(values), "water_body": water_body})
    try:
        return gb3838.classify(values, water_body)
    except ValueError as e:  # the checks above mirror classify's; this is only a safety net
        raise Invalid(f"无法评价：{e}", code="cannot_classify") from None


@router.post("/classify", response=ClassifyOut, summary="按 GB 3838-2002 评价水质类别")
def classify(request, body: ClassifyIn):
    return classify_values(body.values, body.water_body).to_dict()


# ---------------------------------------------------------------- registry

class SiteOut(Schema):
    code: str
    name: str
    lng: float
    lat: float
    water_body: str
    water_body_kind: str
    street: str
    grid: str
    reach: Optional[str] = None
    active: bool


class SectionOut(SiteOut):
    target_class: int
    target_label: str
    chief: Optional[str] = None


class OutfallOut(SiteOut):
    kind: str
    kind_label: str
    unit: str
    unit_code: str


def _site(s) -> dict[str, Any]:
    return {"code": s.code, "name": s.name, "lng": s.lng, "lat": s.lat, "water_body": s.water_body.code,
            "water_body_kind": s.water_body.kind, "street": s.street.code, "grid": s.grid.code,
            "reach": s.reach.code if s.reach_id else None, "active": s.active}


def section_out(s: Section) -> dict[str, Any]:
    return {**_site(s), "target_class": s.target_class, "target_label": s.target_label,
            "chief": s.chief.person.name if s.chief_id else None}


def outfall_out(o: Outfall) -> dict[str, Any]:
    return {**_site(o), "kind": o.kind, "kind_label": o.get_kind_display(), "unit": o.unit.name, "unit_code": o.unit.code}


_SITE_RELATED = ("water_body", "street", "grid", "reach")


@router.get("/sections", response=Page[SectionOut], summary="监测断面")
def sections(request, filters: SectionFilter = Query(...), page: PageParams = Query(...)):
    qs = filters.filter(policy.visible(request.user, Section.objects.select_related(*_SITE_RELATED, "chief__person")))
    return paginate(qs.distinct(), page, section_out)


@router.get("/sections/{code}", response=SectionOut, summary="监测断面详情")
def section(request, code: str):
    return section_out(policy.get_visible(request.user, Section.objects.select_related(*_SITE_RELATED, "chief__person"), code=code))


class SectionIn(Schema):
    code: str
    name: str
    water_body: str = Field(..., description="水体编码")
    lng: float
    lat: float
    target_class: int = Field(..., ge=1, le=5)
    chief_person_id: Optional[int] = None
    reach: Optional[str] = None


def referenced(qs, key: Any, what: str, field: str, lookup: str = "code", optional: bool = True, code: str = ""):
    """The record a request names by `lookup` (None when the key is empty and that is allowed),
    or a 422 naming the field: a reference in a body is bad input, not a missing page."""
    if key in (None, "") and optional:
        return None
    found = qs.filter(**{lookup: key}).first() if key not in (None, "") else None
    if found is None:
        raise Invalid(f"{what} {key} 不存在", code=code or f"unknown_{field.removesuffix('_id')}", detail={"field": field})
    return found


def _water_body(code: str) -> WaterBody:
    return referenced(WaterBody.objects, code, "水体", "water_body", optional=False)


def _reach(code: str | None) -> Reach | None:
    return referenced(Reach.objects, code, "河段", "reach")


@router.post("/sections", response={201: SectionOut}, summary="登记监测断面")
def create_section(request, body: SectionIn):
    chief = None
    if body.chief_person_id:
        chief = RiverChief.objects.filter(person_id=body.chief_person_id).first()
        if chief is None:
            raise Invalid("该人员不是河湖长", code="unknown_chief", detail={"field": "chief_person_id"})
    s = services.create_section(request.user, code=body.code, name=body.name, water_body=_water_body(body.water_body), lng=body.lng,
                                lat=body.lat, target_class=body.target_class, chief=chief, reach=_reach(body.reach))
    return Status(201, section_out(Section.objects.select_related(*_SITE_RELATED, "chief__person").get(pk=s.pk)))


@router.get("/outfalls", response=Page[OutfallOut], summary="入河排污口")
def outfalls(request, filters: OutfallFilter = Query(...), page: PageParams = Query(...)):
    qs = filters.filter(policy.visible(request.user, Outfall.objects.select_related(*_SITE_RELATED, "unit")))
    return paginate(qs.distinct(), page, outfall_out)


@router.get("/outfalls/{code}", response=OutfallOut, summary="入河排污口详情")
def outfall(request, code: str):
    return outfall_out(policy.get_visible(request.user, Outfall.objects.select_related(*_SITE_RELATED, "unit"), code=code))


class OutfallIn(Schema):
    code: str
    name: str
    kind: str = Field(..., description="industrial 工业 / wwtp 城镇污水处理厂 / rain 雨水 / combined 合流 / other 其他")
    water_body: str
    lng: float
    lat: float
    unit: str = Field(..., description="责任单位编码")
    reach: Optional[str] = None


@router.post("/outfalls", response={201: OutfallOut}, summary="登记入河排污口")
def create_outfall(request, body: OutfallIn):
    unit = Unit.objects.filter(code=body.unit).first()
    if unit is None:
        raise Invalid(f"责任单位 {body.unit} 不存在", code="unknown_unit", detail={"field": "unit"})
    o = services.create_outfall(request.user, code=body.code, name=body.name, kind=body.kind, water_body=_water_body(body.water_body),
                                lng=body.lng, lat=body.lat, unit=unit, reach=_reach(body.reach))
    return Status(201, outfall_out(Outfall.objects.select_related(*_SITE_RELATED, "unit").get(pk=o.pk)))


@router.get("/map/sections", summary="断面图层（GeoJSON，按最新水质类别着色）")
def map_sections(request):
    return queries.section_features(list(policy.visible(request.user, Section.objects.select_related("water_body").filter(active=True))))


@router.get("/map/outfalls", summary="排污口图层（GeoJSON，按状态着色）")
def map_outfalls(request):
    return queries.outfall_features(list(policy.visible(request.user, Outfall.objects.select_related("water_body", "unit").filter(active=True))))


@router.get("/map/water-bodies", summary="水体（GeoJSON）")
def map_water_bodies(request):
    import json

    return {"type": "FeatureCollection", "features": [
        {"type": "Feature", "geometry": json.loads(b.geometry), "properties": {"code": b.code, "name": b.name, "kind": b.kind}}
        for b in WaterBody.objects.exclude(geometry="")]}


class AggregateOut(Schema):
    start: dt.datetime
    period: str
    means: dict[str, float]
    water_class: Optional[int] = None
    label: str
    limiting: list[str]
    target_class: Optional[int] = None
    compliant: Optional[bool] = None
    excluded: int


def _site_for(request, site_kind: str, code: str):
    model = {"section": Section, "outfall": Outfall}.get(site_kind)
    if model is None:
        raise NotFound()
    return policy.get_visible(request.user, model.objects.select_related("water_body"), code=code)


@router.get("/sites/{site_kind}/{code}/aggregates", response=list[AggregateOut], summary="评价汇总（小时/日/月）")
def aggregates(request, site_kind: Literal["section", "outfall"], code: str, period: Literal["hour", "day", "month"] = "day",
               start: Optional[dt.datetime] = None, end: Optional[dt.datetime] = None):
    site = _site_for(request, site_kind, code)
    end = end or timezone.now() + dt.timedelta(hours=1)
    start = start or end - {"hour": dt.timedelta(days=2), "day": dt.timedelta(days=31), "month": dt.timedelta(days=366)}[period]
    if (end - start).days > 400:
        raise Invalid("查询时段不能超过 400 天", code="range_too_long")
    return [{"start": a.start, "period": a.period, "means": a.means, "water_class": a.water_class, "label": a.label, "limiting": a.limiting,
             "target_class": a.target_class, "compliant": a.compliant, "excluded": a.excluded}
            for a in queries.trend(site.SITE_KIND, site.code, period, start, end)]


@router.get("/sites/{site_kind}/{code}/series", summary="因子曲线与 GB 3838 各类限值（图表用）")
def series(request, site_kind: Literal["section", "outfall"], code: str, period: Literal["hour", "day", "month"] = "hour", days: int = Query(7, ge=1, le=400)):
    site = _site_for(request, site_kind, code)
    end = timezone.now() + dt.timedelta(hours=1)
    aggs = queries.trend(site.SITE_KIND, site.code, period, end - dt.timedelta(days=days), end)
    body = site.water_body.gb3838_body if site_kind == "section" else None
    return {"classes": [[a.start.isoformat(), a.water_class] for a in aggs], "target_class": getattr(site, "target_class", None),
            "factors": queries.factor_series(aggs, body)}


class LinkIn(Schema):
    mn: str = Field(..., description="监测设备 MN")


class LinkOut(Schema):
    mn: str
    site_kind: str
    site_code: str
    hours_evaluated: int


@router.post("/sites/{site_kind}/{code}/devices", response=LinkOut, summary="关联监测设备（并评价其已有数据）")
def link_device(request, site_kind: Literal["section", "outfall"], code: str, body: LinkIn):
    site = _site_for(request, site_kind, code)
    device = services.link_device(request.user, body.mn, site)
    hours = Aggregate.objects.filter(site_kind=site.SITE_KIND, site_code=site.code, period=Aggregate.Period.HOUR).count()
    return {"mn": device.mn, "site_kind": device.site_kind, "site_code": device.site_code, "hours_evaluated": hours}


# ---------------------------------------------------------------- alerts

class AlertOut(Schema):
    id: int
    kind: str
    kind_label: str
    status: str
    status_label: str
    site_kind: str
    site_code: str
    site_name: str
    device_mn: str
    factor: str
    value: Optional[float] = None
    threshold: Optional[float] = None
    message: str
    first_seen_at: dt.datetime
    last_seen_at: dt.datetime
    occurrences: int
    disposal_note: str
    case_number: str
    case_url: Optional[str] = None
    task_url: Optional[str] = None
    trace_url: Optional[str] = None
    actions: list[str]


def alert_out(a: Alert, user) -> dict[str, Any]:
    site = a.site
    return {"id": a.pk, "kind": a.kind, "kind_label": a.get_kind_display(), "status": a.status, "status_label": a.get_status_display(),
            "site_kind": a.site_kind, "site_code": site.code, "site_name": site.name, "device_mn": a.device_mn, "factor": a.factor,
            "value": a.value, "threshold": a.threshold, "message": a.message, "first_seen_at": a.first_seen_at, "last_seen_at": a.last_seen_at,
            "occurrences": a.occurrences, "disposal_note": a.disposal_note, "case_number": a.case_number,
            "case_url": f"/cases/{a.case_id}/" if a.case_id else None, "task_url": f"/supervision/tasks/{a.task_id}/" if a.task_id else None,
            "trace_url": services.trace_url(a) or None, "actions": services.allowed_transitions(user, a)}


_ALERT_RELATED = ("section", "outfall", "section__water_body", "outfall__water_body")


@router.get("/alerts", response=Page[AlertOut], summary="水环境告警")
def alerts(request, filters: AlertFilter = Query(...), page: PageParams = Query(...)):
    qs = filters.filter(policy.visible(request.user, Alert.objects.select_related(*_ALERT_RELATED)))
    return paginate(qs, page, lambda a: alert_out(a, request.user))


@router.get("/alerts/{alert_id}", response=AlertOut, summary="告警详情")
def alert(request, alert_id: int):
    return alert_out(policy.get_visible(request.user, Alert.objects.select_related(*_ALERT_RELATED), pk=alert_id), request.user)


class DisposeIn(Schema):
    disposal_note: str


class EscalateIn(Schema):
    to: Literal["case", "task"]
    lead_unit: Optional[str] = Field(None, description="督办牵头单位编码（转督办任务时必填）")
    deadline: Optional[dt.date] = None
    note: str = ""


def _alert(request, alert_id: int) -> Alert:
    return policy.get_visible(request.user, Alert.objects.select_related(*_ALERT_RELATED), pk=alert_id)


@router.post("/alerts/{alert_id}/acknowledge", response=AlertOut, summary="确认告警")
def acknowledge(request, alert_id: int):
    a = services.acknowledge_alert(request.user, _alert(request, alert_id))
    return alert_out(_alert(request, a.pk), request.user)


@router.post("/alerts/{alert_id}/dispose", response=AlertOut, summary="处置完毕")
def dispose(request, alert_id: int, body: DisposeIn):
    a = services.dispose_alert(request.user, _alert(request, alert_id), disposal_note=body.disposal_note)
    return alert_out(_alert(request, a.pk), request.user)


@router.post("/alerts/{alert_id}/escalate", response=AlertOut, summary="转为城市管理案件或督办任务")
def escalate(request, alert_id: int, body: EscalateIn):
    lead_unit = None
    if body.lead_unit:
        lead_unit = Unit.objects.filter(code=body.lead_unit).first()
        if lead_unit is None:
            raise Invalid(f"单位 {body.lead_unit} 不存在", code="unknown_unit", detail={"field": "lead_unit"})
    a = services.escalate_alert(request.user, _alert(request, alert_id), to=body.to, lead_unit=lead_unit, deadline=body.deadline, note=body.note)
    return alert_out(_alert(request, a.pk), request.user)


class DryFlowOut(Schema):
    outfall: str
    evidence: str


@router.get("/dry-weather-flow", response=list[DryFlowOut], summary="旱天出流的雨水排口")
def dry_weather_flow(request, since: dt.datetime):
    visible = set(policy.visible(request.user, Outfall.objects.all()).values_list("code", flat=True))
    return [{"outfall": c, "evidence": e} for c, e in services.dry_weather_flow_outfalls(since) if c in visible]


# ---------------------------------------------------------------- rain days

class RainDayIn(Schema):
    rained: bool
    precipitation_mm: Optional[float] = None
    note: str = ""


class RainDayOut(Schema):
    date: dt.date
    rained: bool
    precipitation_mm: Optional[float] = None
    note: str


@router.get("/rain-days", response=list[RainDayOut], summary="降雨记录")
def rain_days(request, start: Optional[dt.date] = None, end: Optional[dt.date] = None):
    qs = RainDay.objects.all()
    if start:
        qs = qs.filter(date__gte=start)
    if end:
        qs = qs.filter(date__lte=end)
    return list(qs[:400])


@router.put("/rain-days/{day}", response=RainDayOut, summary="登记某日有无降雨（城运中心）")
def put_rain_day(request, day: dt.date, body: RainDayIn):
    return services.set_rain_day(request.user, day, rained=body.rained, precipitation_mm=body.precipitation_mm, note=body.note)


# ---------------------------------------------------------------- patrols

class PatrolOut(Schema):
    id: int
    chief: str
    level: str
    reach: Optional[str] = None
    status: str
    started_at: dt.datetime
    ended_at: Optional[dt.datetime] = None
    duration_s: int
    distance_m: float
    problems: int
    track: Optional[dict] = None


def patrol_out(p: Patrol, with_track: bool = False) -> dict[str, Any]:
    import json

    return {"id": p.pk, "chief": p.chief.person.name, "level": p.chief.level, "reach": p.reach.code if p.reach_id else None,
            "status": p.status, "started_at": p.started_at, "ended_at": p.ended_at, "duration_s": p.duration_s, "distance_m": p.distance_m,
            "problems": p.n_problems if hasattr(p, "n_problems") else p.problems.count(),
            "track": json.loads(p.track) if with_track and p.track else None}


@router.get("/patrols", response=Page[PatrolOut], summary="巡河记录")
def patrols(request, filters: PatrolFilter = Query(...), page: PageParams = Query(...)):
    qs = filters.filter(policy.visible(request.user, Patrol.objects.select_related("chief__person", "reach").annotate(n_problems=Count("problems"))))
    return paginate(qs, page, patrol_out)


# Before /patrols/{patrol_id}: the first route whose pattern matches a path wins.
class RecordIn(Schema):
    chief_id: int
    reach: Optional[str] = None
    started_at: dt.datetime
    ended_at: dt.datetime
    track: Any = Field(..., description="GeoJSON LineString，或 [[经度, 纬度], …]")
    note: str = ""


@router.post("/patrols/record", response={201: PatrolOut}, summary="补录巡河记录（城运中心，为未使用手机巡河的河湖长）")
def record_patrol(request, body: RecordIn):
    chief = policy.get_visible(request.user, RiverChief.objects.select_related("person"), pk=body.chief_id)
    p = services.record_patrol(request.user, chief=chief, reach=_reach(body.reach), started_at=body.started_at, ended_at=body.ended_at,
                               track=body.track, note=body.note)
    return Status(201, patrol_out(p, with_track=True))


@router.get("/patrols/{patrol_id}", response=PatrolOut, summary="巡河详情（含轨迹）")
def patrol(request, patrol_id: int):
    return patrol_out(policy.get_visible(request.user, Patrol.objects.select_related("chief__person", "reach"), pk=patrol_id), with_track=True)


class StartIn(Schema):
    reach: Optional[str] = None


@router.post("/patrols", response={201: PatrolOut}, summary="开始巡河")
def start_patrol(request, body: StartIn):
    p = services.start_patrol(request.user, reach=_reach(body.reach))
    return Status(201, patrol_out(p))


class FinishIn(Schema):
    track: Any = Field(..., description="GeoJSON LineString，或 [[经度, 纬度], …]")
    note: str = ""


@router.post("/patrols/{patrol_id}/finish", response=PatrolOut, summary="结束巡河并提交轨迹")
def finish_patrol(request, patrol_id: int, body: FinishIn):
    p = policy.get_visible(request.user, Patrol.objects.select_related("chief__person", "reach"), pk=patrol_id)
    return patrol_out(services.finish_patrol(request.user, p, track=body.track, note=body.note), with_track=True)


class ProblemOut(Schema):
    id: int
    kind: str
    description: str
    lng: float
    lat: float
    photo: Optional[str] = None
    case_number: str
    case_url: Optional[str] = None


@router.post("/patrols/{patrol_id}/problems", response={201: ProblemOut}, summary="上报巡河发现的问题（自动立案）")
def report_problem(request, patrol_id: int, kind: str = Form(...), description: str = Form(...), lng: float = Form(...), lat: float = Form(...),
                   photo: Optional[UploadedFile] = File(None)):
    p = policy.get_visible(request.user, Patrol.objects.select_related("chief__person", "reach"), pk=patrol_id)
    pr = services.report_problem(request.user, p, kind=kind, description=description, lng=lng, lat=lat, photo=photo)
    return Status(201, {"id": pr.pk, "kind": pr.kind, "description": pr.description, "lng": pr.lng, "lat": pr.lat,
                        "photo": f"/water/problems/{pr.pk}/photo" if pr.photo else None, "case_number": pr.case_number,
                        "case_url": f"/cases/{pr.case_id}/" if pr.case_id else None})


class ComplianceOut(Schema):
    chief: str
    person_id: int
    level: str
    patrols: int
    valid: int
    required: int
    compliant: bool
    distance_km: float
    duration_h: float
    problems: int


@router.get("/compliance", response=list[ComplianceOut], summary="巡河达标情况（按月）")
def compliance(request, year: int = Query(..., ge=2000, le=2100), month: int = Query(..., ge=1, le=12)):
    chiefs = _visible_chiefs(request.user)
    return [{"chief": r.chief.person.name, "person_id": r.chief.person_id, "level": r.chief.level, "patrols": r.patrols, "valid": r.valid,
             "required": r.required, "compliant": r.compliant, "distance_km": round(r.distance_m / 1000, 2),
             "duration_h": round(r.duration_s / 3600, 1), "problems": r.problems} for r in services.compliance(year, month, chiefs)]


def _visible_chiefs(user) -> list[RiverChief]:
    """The chiefs whose patrols the user may see: everyone for the ops center, else the chief
    themself and the chiefs of reaches in their area."""
    from chengyun.people import roles as R

    p = policy.principal(user)
    qs = RiverChief.objects.filter(active=True).select_related("person")
    if p.has(R.DISTRICT_WIDE):
        return list(qs)
    return list(qs.filter(Q(person_id=p.person_id) | Q(reaches__street_id__in=p.street_ids) | Q(reaches__community_id__in=p.community_ids)).distinct())


# ---------------------------------------------------------------- visual monitoring

class SnapshotOut(Schema):
    id: int
    camera: str
    outfall: str
    taken_at: dt.datetime
    url: str


@router.post("/cameras/{code}/snapshots", response={201: SnapshotOut}, summary="上传抓拍（摄像机以其账号的 API 令牌认证）")
def upload_snapshot(request, code: str, image: UploadedFile = File(...), taken_at: Optional[dt.datetime] = Form(None), note: str = Form("")):
    s = services.upload_snapshot(request.user, code, image=image, taken_at=taken_at, note=note)
    return Status(201, {"id": s.pk, "camera": s.camera.code, "outfall": s.outfall.code, "taken_at": s.taken_at, "url": f"/water/snapshots/{s.pk}/image"})


# ---------------------------------------------------------------- registry administration
# Water bodies, reaches, river chiefs and cameras; edits of sections and outfalls. Reads
# follow the policy (the registry is reference data); every write is the ops center's and
# goes through services (policy, write, audit). PATCH changes only the fields given.



def _geometry_text(value: Any) -> str:
    import json

    if value is None or value == "":
        return ""
    return value if isinstance(value, str) else json.dumps(value)


def _geometry_obj(text: str) -> Optional[dict]:
    import json

    return json.loads(text) if text else None


class WaterBodyOut(Schema):
    code: str
    name: str
    kind: str
    kind_label: str
    description: str
    reaches: int
    geometry: Optional[dict] = None


class WaterBodyIn(Schema):
    code: str = Field(..., max_length=32)
    name: str = Field(..., max_length=100)
    kind: str = Field(..., description="river（河流）或 lake（湖泊/水库）")
    geometry: Optional[Any] = Field(None, description="GeoJSON：河流 LineString/MultiLineString，湖库 Polygon/MultiPolygon")
    description: str = ""


class WaterBodyPatch(Schema):
    model_config = ConfigDict(extra="forbid")  # a misspelt field is a 422, not a silent no-op
    name: Optional[str] = Field(None, max_length=100)
    kind: Optional[str] = None
    geometry: Optional[Any] = Field(None, description="GeoJSON；null 或空串清除")
    description: Optional[str] = None


def water_body_out(b: WaterBody, with_geometry: bool = False) -> dict[str, Any]:
    n = b.n_reaches if hasattr(b, "n_reaches") else b.reaches.count()
    return {"code": b.code, "name": b.name, "kind": b.kind, "kind_label": b.get_kind_display(), "description": b.description,
            "reaches": n, "geometry": _geometry_obj(b.geometry) if with_geometry else None}


def _patch(body: Schema) -> dict[str, Any]:
    return body.model_dump(exclude_unset=True)


@router.get("/water-bodies", response=Page[WaterBodyOut], summary="水体")
def water_bodies(request, filters: WaterBodyFilter = Query(...), page: PageParams = Query(...)):
    qs = filters.filter(policy.visible(request.user, WaterBody.objects.annotate(n_reaches=Count("reaches")).order_by("code")))
    return paginate(qs, page, water_body_out)


@router.post("/water-bodies", response={201: WaterBodyOut}, summary="登记水体（城运中心）")
def create_water_body(request, body: WaterBodyIn):
    b = services.create_water_body(request.user, code=body.code, name=body.name, kind=body.kind, geometry_json=_geometry_text(body.geometry),
                                description=body.description)
    return Status(201, water_body_out(b, with_geometry=True))


@router.get("/water-bodies/{code}", response=WaterBodyOut, summary="水体详情（含几何）")
def water_body(request, code: str):
    return water_body_out(policy.get_visible(request.user, WaterBody.objects.all(), code=code), with_geometry=True)


@router.patch("/water-bodies/{code}", response=WaterBodyOut, summary="修改水体（城运中心）")
def patch_water_body(request, code: str, body: WaterBodyPatch):
    b = policy.get_visible(request.user, WaterBody.objects.all(), code=code)
    changes = _patch(body)
    if "geometry" in changes:
        changes["geometry_json"] = _geometry_text(changes.pop("geometry"))
    return water_body_out(services.update_water_body(request.user, b, **changes), with_geometry=True)


# ---- river chiefs

class ChiefOut(Schema):
    id: int
    person_id: int
    name: str
    username: Optional[str] = None
    phone: str
    level: str
    level_label: str
    title: str
    active: bool
    reaches: list[str]


class ChiefIn(Schema):
    person_id: Optional[int] = Field(None, description="人员编号（与 username 二选一）")
    username: Optional[str] = Field(None, description="人员的登录账号")
    level: str = Field(..., description="district 区级 / street 街道（乡镇）级 / community 社区（村）级")
    title: str = Field("", max_length=60)


class ChiefPatch(Schema):
    model_config = ConfigDict(extra="forbid")  # a misspelt field is a 422, not a silent no-op
    level: Optional[str] = None
    title: Optional[str] = Field(None, max_length=60)
    active: Optional[bool] = Field(None, description="false 结束任职（其河段交给 successor_id 或空缺待任命）；true 重新任命")
    successor_id: Optional[int] = Field(None, description="结束任职时接任其河段与断面的河湖长编号（同一层级）")


_CHIEF_RELATED = ("person__user",)


def chief_out(c: RiverChief) -> dict[str, Any]:
    return {"id": c.pk, "person_id": c.person_id, "name": c.person.name, "username": c.person.user.get_username() if c.person.user_id else None,
            "phone": c.person.phone, "level": c.level, "level_label": c.get_level_display(), "title": c.title, "active": c.active,
            "reaches": [r.code for r in c.reaches.all()]}


def _person(person_id: Optional[int], username: Optional[str]):
    from chengyun.people.models import Person

    if person_id:
        return referenced(Person.objects, person_id, "人员", "person_id", lookup="pk")
    if username:
        return referenced(Person.objects, username, "人员", "username", lookup="user__username", code="unknown_person")
    raise Invalid("请提供人员编号 person_id 或登录账号 username", code="missing_fields", detail={"field": "person_id"})


def _chief(chief_id: Optional[int], field: str = "chief_id") -> Optional[RiverChief]:
    return referenced(RiverChief.objects.select_related("person"), chief_id, "河湖长", field, lookup="pk", code="unknown_chief")


def _chief_qs():
    return RiverChief.objects.select_related(*_CHIEF_RELATED).prefetch_related("reaches")


@router.get("/chiefs", response=Page[ChiefOut], summary="河湖长")
def chiefs(request, filters: ChiefFilter = Query(...), page: PageParams = Query(...)):
    return paginate(filters.filter(policy.visible(request.user, _chief_qs())), page, chief_out)


@router.post("/chiefs", response={201: ChiefOut}, summary="任命河湖长（城运中心）")
def appoint_chief(request, body: ChiefIn):
    c = services.appoint_chief(request.user, person=_person(body.person_id, body.username), level=body.level, title=body.title)
    return Status(201, chief_out(_chief_qs().get(pk=c.pk)))


@router.get("/chiefs/{chief_id}", response=ChiefOut, summary="河湖长详情")
def chief(request, chief_id: int):
    return chief_out(policy.get_visible(request.user, _chief_qs(), pk=chief_id))


@router.patch("/chiefs/{chief_id}", response=ChiefOut, summary="修改层级、职务，或结束任职（城运中心）")
def patch_chief(request, chief_id: int, body: ChiefPatch):
    c = policy.get_visible(request.user, _chief_qs(), pk=chief_id)
    changes = _patch(body)
    successor = _chief(changes.pop("successor_id", None), "successor_id")
    services.update_chief(request.user, c, successor=successor, **changes)
    return chief_out(_chief_qs().get(pk=c.pk))


# ---- reaches

class ReachOut(Schema):
    code: str
    name: str
    water_body: str
    water_body_name: str
    level: str
    level_label: str
    chief_id: Optional[int] = None
    chief: Optional[str] = None
    street: Optional[str] = None
    community: Optional[str] = None
    length_m: float
    geometry: Optional[dict] = None


class ReachIn(Schema):
    code: str = Field(..., max_length=32)
    name: str = Field(..., max_length=100)
    water_body: str = Field(..., description="水体编码")
    level: str
    chief_id: Optional[int] = Field(None, description="河湖长编号（须在任且层级相同）")
    street: Optional[str] = Field(None, description="街道编码")
    community: Optional[str] = Field(None, description="社区编码（可推出街道）")
    geometry: Optional[Any] = Field(None, description="GeoJSON LineString/MultiLineString/Polygon")


class ReachPatch(Schema):
    model_config = ConfigDict(extra="forbid")  # a misspelt field is a 422, not a silent no-op
    name: Optional[str] = Field(None, max_length=100)
    level: Optional[str] = None
    chief_id: Optional[int] = Field(None, description="河湖长编号；null 使河段空缺")
    street: Optional[str] = None
    community: Optional[str] = None
    geometry: Optional[Any] = None


_REACH_RELATED = ("water_body", "chief__person", "street", "community")


def reach_out(r: Reach, with_geometry: bool = False) -> dict[str, Any]:
    return {"code": r.code, "name": r.name, "water_body": r.water_body.code, "water_body_name": r.water_body.name, "level": r.level,
            "level_label": r.get_level_display(), "chief_id": r.chief_id, "chief": r.chief.person.name if r.chief_id else None,
            "street": r.street.code if r.street_id else None, "community": r.community.code if r.community_id else None,
            "length_m": round(r.length_m, 1), "geometry": _geometry_obj(r.geometry) if with_geometry else None}


def _street(code: Optional[str]):
    from chengyun.geo.models import Street

    return referenced(Street.objects, code, "街道", "street")


def _community(code: Optional[str]):
    from chengyun.geo.models import Community

    return referenced(Community.objects.select_related("street"), code, "社区", "community")


@router.get("/reaches", response=Page[ReachOut], summary="河段")
def reaches(request, filters: ReachFilter = Query(...), page: PageParams = Query(...)):
    return paginate(filters.filter(policy.visible(request.user, Reach.objects.select_related(*_REACH_RELATED))), page, reach_out)


@router.post("/reaches", response={201: ReachOut}, summary="登记河段（城运中心）")
def create_reach(request, body: ReachIn):
    r = services.create_reach(request.user, code=body.code, name=body.name, water_body=_water_body(body.water_body), level=body.level,
                           chief=_chief(body.chief_id), street=_street(body.street), community=_community(body.community),
                           geometry_json=_geometry_text(body.geometry))
    return Status(201, reach_out(Reach.objects.select_related(*_REACH_RELATED).get(pk=r.pk), with_geometry=True))


@router.get("/reaches/{code}", response=ReachOut, summary="河段详情（含几何）")
def reach(request, code: str):
    return reach_out(policy.get_visible(request.user, Reach.objects.select_related(*_REACH_RELATED), code=code), with_geometry=True)


@router.patch("/reaches/{code}", response=ReachOut, summary="修改河段：指定或更换河湖长、街道、社区、几何（城运中心）")
def patch_reach(request, code: str, body: ReachPatch):
    r = policy.get_visible(request.user, Reach.objects.select_related(*_REACH_RELATED), code=code)
    changes = _patch(body)
    if "chief_id" in changes:
        changes["chief"] = _chief(changes.pop("chief_id"))
    if "street" in changes:
        changes["street"] = _street(changes["street"])
    if "community" in changes:
        changes["community"] = _community(changes["community"])
    if "geometry" in changes:
        changes["geometry_json"] = _geometry_text(changes.pop("geometry"))
    services.update_reach(request.user, r, **changes)
    return reach_out(Reach.objects.select_related(*_REACH_RELATED).get(pk=r.pk), with_geometry=True)


# ---- sections and outfalls

class SitePatch(Schema):
    model_config = ConfigDict(extra="forbid")  # a misspelt field is a 422, not a silent no-op
    name: Optional[str] = Field(None, max_length=100)
    water_body: Optional[str] = Field(None, description="水体编码")
    reach: Optional[str] = Field(None, description="河段编码；null 清除")
    active: Optional[bool] = None
    lng: Optional[float] = None
    lat: Optional[float] = None


class SectionPatch(SitePatch):
    target_class: Optional[int] = Field(None, ge=1, le=5)
    chief_id: Optional[int] = Field(None, description="责任河长（河湖长编号）；null 清除")


class OutfallPatch(SitePatch):
    kind: Optional[str] = None
    unit: Optional[str] = Field(None, description="责任单位编码")


def _site_changes(body: SitePatch) -> dict[str, Any]:
    changes = _patch(body)
    for key in ("name", "water_body", "target_class", "kind", "unit", "active", "lng", "lat"):
        if key in changes and changes[key] is None:
            raise Invalid(f"{key} 不能为 null", code="invalid_field", detail={"field": key})
    if "water_body" in changes:
        changes["water_body"] = _water_body(changes["water_body"])
    if "reach" in changes:
        changes["reach"] = _reach(changes["reach"])
    if "chief_id" in changes:
        changes["chief"] = _chief(changes.pop("chief_id"))
    if "unit" in changes:
        unit = Unit.objects.filter(code=changes["unit"]).first()
        if unit is None:
            raise Invalid(f"责任单位 {changes['unit']} 不存在", code="unknown_unit", detail={"field": "unit"})
        changes["unit"] = unit
    return changes


@router.patch("/sections/{code}", response=SectionOut, summary="修改监测断面：名称、目标类别、责任河长、河段、启用（城运中心）")
def patch_section(request, code: str, body: SectionPatch):
    s = policy.get_visible(request.user, Section.objects.select_related(*_SITE_RELATED, "chief__person"), code=code)
    services.update_site(request.user, s, **_site_changes(body))
    return section_out(Section.objects.select_related(*_SITE_RELATED, "chief__person").get(pk=s.pk))


@router.patch("/outfalls/{code}", response=OutfallOut, summary="修改入河排污口：名称、类型、河段、责任单位、启用（城运中心）")
def patch_outfall(request, code: str, body: OutfallPatch):
    o = policy.get_visible(request.user, Outfall.objects.select_related(*_SITE_RELATED, "unit"), code=code)
    services.update_site(request.user, o, **_site_changes(body))
    return outfall_out(Outfall.objects.select_related(*_SITE_RELATED, "unit").get(pk=o.pk))


# ---- cameras

class CameraOut(Schema):
    code: str
    name: str
    outfall: str
    outfall_name: str
    account: Optional[str] = None
    active: bool
    snapshots: int


class CameraIn(Schema):
    code: str = Field(..., max_length=32)
    name: str = Field(..., max_length=100)
    outfall: str = Field(..., description="排污口编码")
    account: Optional[str] = Field(None, description="上传抓拍所用 API 令牌的账号（登录名）")
    active: bool = True


class CameraPatch(Schema):
    model_config = ConfigDict(extra="forbid")  # a misspelt field is a 422, not a silent no-op
    name: Optional[str] = Field(None, max_length=100)
    outfall: Optional[str] = None
    account: Optional[str] = Field(None, description="账号登录名；null 解除（只有城运中心能代传）")
    active: Optional[bool] = None


def camera_out(c: Camera) -> dict[str, Any]:
    n = c.n_snapshots if hasattr(c, "n_snapshots") else c.snapshots.count()
    return {"code": c.code, "name": c.name, "outfall": c.outfall.code, "outfall_name": c.outfall.name,
            "account": c.account.get_username() if c.account_id else None, "active": c.active, "snapshots": n}


def _outfall(code: Optional[str]) -> Outfall:
    return referenced(Outfall.objects, code, "排污口", "outfall", optional=False)


def _account(username: Optional[str]):
    from django.contrib.auth import get_user_model

    return referenced(get_user_model().objects, username, "账号", "account", lookup="username")


def _camera_qs():
    return Camera.objects.select_related("outfall", "account").annotate(n_snapshots=Count("snapshots")).order_by("code")


@router.get("/cameras", response=Page[CameraOut], summary="视频监控点")
def cameras(request, filters: CameraFilter = Query(...), page: PageParams = Query(...)):
    return paginate(filters.filter(policy.visible(request.user, _camera_qs())).distinct(), page, camera_out)


@router.post("/cameras", response={201: CameraOut}, summary="登记视频监控点（城运中心）")
def create_camera(request, body: CameraIn):
    c = services.create_camera(request.user, code=body.code, name=body.name, outfall=_outfall(body.outfall), account=_account(body.account),
                            active=body.active)
    return Status(201, camera_out(_camera_qs().get(pk=c.pk)))


@router.patch("/cameras/{code}", response=CameraOut, summary="修改监控点：排污口、抓拍账号、启用（城运中心）")
def patch_camera(request, code: str, body: CameraPatch):
    c = policy.get_visible(request.user, _camera_qs(), code=code)
    changes = _patch(body)
    if "outfall" in changes:
        changes["outfall"] = _outfall(changes["outfall"])
    if "account" in changes:
        changes["account"] = _account(changes["account"])
    if "active" in changes and changes["active"] is None:
        raise Invalid("active 不能为 null", code="invalid_field", detail={"field": "active"})
    services.update_camera(request.user, c, **changes)
    return camera_out(_camera_qs().get(pk=c.pk))


# ---- patrol cancellation

class CancelIn(Schema):
    reason: str = Field(..., description="放弃原因，如“轨迹点不足，无法结束”")


@router.post("/patrols/{patrol_id}/cancel", response=PatrolOut, summary="放弃本次巡河（不计入达标）")
def cancel_patrol(request, patrol_id: int, body: CancelIn):
    p = policy.get_visible(request.user, Patrol.objects.select_related("chief__person", "reach"), pk=patrol_id)
    return patrol_out(services.cancel_patrol(request.user, p, reason=body.reason))
