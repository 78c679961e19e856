"""/api/v1/streets/: segments and their chiefs, patrols with tracks, coverage and compliance, and
the night economy (zones, policies, permits, violations, and the one "allowed now?" check)."""
from __future__ import annotations

import datetime as dt
import json
from typing import Any, Optional

from django.utils import timezone
from ninja import File, Form, Query, Router, Schema, Status
from ninja.files import UploadedFile

from chengyun.core.errors import Invalid
from chengyun.core.pagination import Page, PageParams, paginate
from chengyun.geo import tracks
from chengyun.geo.models import Unit
from chengyun.people import policy
from chengyun.people.lookup import referenced
from chengyun.people.models import Person
from chengyun.roads.models import RoadSegment

from . import permit_workflow as wf
from .filters import StreetsAssignmentFilter, StreetsPatrolFilter, StreetsPermitFilter, StreetsShopFilter, StreetsViolationFilter, StreetsZoneFilter
from .models import ACTIVITIES, NightPolicy, NightZone, Patrol, Permit, SegmentAssignment, Shop, Violation
from .services import compliance, night, patrols, permits, segments

router = Router(tags=["街长制与夜间经济"])


# ---------------------------------------------------------------- segments


class StreetsSegmentOut(Schema):
    code: str
    name: str
    road_class: str
    length_m: float
    street: Optional[str]
    chief_id: int
    chief: str
    team: Optional[str]
    communities: list[str]
    grids: list[str]
    valid_from: dt.date
    valid_to: Optional[dt.date]


def assignment_dict(a: SegmentAssignment) -> dict:
    s = a.segment
    return {"code": s.code, "name": s.name, "road_class": s.road_class, "length_m": round(s.length_m, 1), "street": a.street.code if a.street_id else None,
            "chief_id": a.chief_id, "chief": a.chief.name, "team": a.team.code if a.team_id else None, "communities": a.communities, "grids": a.grids,
            "valid_from": a.valid_from, "valid_to": a.valid_to}


def assignment_queryset(user, filters: StreetsAssignmentFilter, *, history: bool = False):
    qs = SegmentAssignment.objects.select_related("segment", "chief", "team", "street")
    if not history:
        qs = qs.filter(valid_to__isnull=True)
    return filters.filter(policy.visible(user, qs)).order_by("segment__code", "-valid_from")


@router.get("/segments", response=Page[StreetsSegmentOut], summary="路段及其街长、队伍（当前责任；与工作台同一套筛选）")
def segment_list(request, filters: StreetsAssignmentFilter = Query(...), page: PageParams = Query(...)):
    return paginate(assignment_queryset(request.user, filters), page, assignment_dict)


@router.get("/segments/{code}/history", response=list[StreetsSegmentOut], summary="路段责任的历史")
def segment_history(request, code: str):
    qs = policy.visible(request.user, SegmentAssignment.objects.filter(segment__code=code).select_related("segment", "chief", "team", "street"))
    return [assignment_dict(a) for a in qs.order_by("-valid_from", "-id")]


class StreetsAssignIn(Schema):
    chief: int
    team: Optional[str] = None
    valid_from: Optional[dt.date] = None
    note: str = ""


@router.post("/segments/{code}/assign", response={201: StreetsSegmentOut}, summary="指定路段的街长和责任队伍（原责任自前一日终止）")
def segment_assign(request, code: str, payload: StreetsAssignIn):
    segment = referenced(RoadSegment.objects.all(), code, lookup="code", field="code", what="路段", optional=False)
    chief = referenced(Person.objects.all(), payload.chief, field="chief", what="街长", optional=False)
    team = referenced(Unit.objects.all(), payload.team, lookup="code", field="team", what="责任队伍")
    return Status(201, assignment_dict(segments.assign(request.user, segment, chief=chief, team=team, valid_from=payload.valid_from, note=payload.note)))


# ---------------------------------------------------------------- patrols


class StreetsDroppedPoint(Schema):
    index: int
    t: str
    lng: float
    lat: float
    reason: str
    reason_label: str
    speed_mps: Optional[float]


class StreetsPatrolOut(Schema):
    id: int
    kind: str
    status: str
    patroller: str
    street: Optional[str]
    started_at: dt.datetime
    ended_at: Optional[dt.datetime]
    distance_m: float
    points_received: int
    dropped: list[StreetsDroppedPoint]
    segments: list[dict]
    findings: list[dict]


def patrol_dict(p: Patrol) -> dict:
    return {"id": p.pk, "kind": p.kind, "status": p.status, "patroller": p.patroller.name, "street": p.street.code if p.street_id else None,
            "started_at": p.started_at, "ended_at": p.ended_at, "distance_m": p.distance_m, "points_received": p.points_received,
            "dropped": p.dropped, "segments": [{"code": c.segment.code, "name": c.segment.name, "covered_m": c.covered_m, "share": c.share}
                                               for c in p.coverage.select_related("segment").order_by("segment__code")],
            "findings": [{"id": f.pk, "kind": f.kind, "description": f.description, "case_number": f.case_number} for f in p.findings.all()]}


@router.get("/patrols", response=Page[StreetsPatrolOut], summary="巡街记录（与巡街列表页同一套筛选）")
def patrol_list(request, filters: StreetsPatrolFilter = Query(...), page: PageParams = Query(...)):
    qs = filters.filter(policy.visible(request.user, Patrol.objects.select_related("patroller", "street")))
    return paginate(qs.order_by("-started_at"), page, patrol_dict)


class StreetsPatrolStartIn(Schema):
    kind: Optional[str] = None


@router.post("/patrols", response={201: StreetsPatrolOut}, summary="开始巡街（手机页面）")
def patrol_start(request, payload: StreetsPatrolStartIn):
    return Status(201, patrol_dict(patrols.start(request.user, kind=payload.kind)))


@router.post("/patrols/gpx", response={201: StreetsPatrolOut}, summary="导入 GPX 轨迹为一次巡街")
def patrol_gpx(request, file: File[UploadedFile], kind: Form[Optional[str]] = None):
    data = file.read(20 * 1024 * 1024 + 1)
    if len(data) > 20 * 1024 * 1024:
        raise Invalid("GPX 文件超过 20 MB", code="file_too_large", detail={"field": "file"})
    try:
        points = tracks.parse_gpx(data)
    except tracks.TrackError as exc:
        raise Invalid(str(exc), code="bad_gpx", detail={"field": "file", "where": exc.where}) from None
    return Status(201, patrol_dict(patrols.record(request.user, points=points, kind=kind, source="gpx")))


def _patrol(request, patrol_id: int) -> Patrol:
    return policy.get_visible(request.user, Patrol.objects.select_related("patroller", "street"), pk=patrol_id)


@router.get("/patrols/{patrol_id}", response=StreetsPatrolOut, summary="一次巡街：轨迹里程、剔除的点、覆盖的路段、发现的问题")
def patrol_detail(request, patrol_id: int):
    return patrol_dict(_patrol(request, patrol_id))


@router.get("/patrols/{patrol_id}/track", summary="巡街轨迹（GeoJSON）")
def patrol_track(request, patrol_id: int):
    p = _patrol(request, patrol_id)
    return {"type": "Feature", "geometry": json.loads(p.track) if p.track else None, "properties": {"id": p.pk, "times": p.track_times}}


class StreetsTrackIn(Schema):
    points: list[Any]
    note: str = ""


@router.post("/patrols/{patrol_id}/track", response=StreetsPatrolOut, summary="提交轨迹并结束巡街（倒序和跳点被剔除并逐点报告）")
def patrol_finish(request, patrol_id: int, payload: StreetsTrackIn):
    p = _patrol(request, patrol_id)
    return patrol_dict(patrols.finish(request.user, p, points=patrols.parse_points(payload.points), note=payload.note))


class StreetsFindingIn(Schema):
    kind: str
    description: str
    lng: float
    lat: float
    activity: Optional[str] = None
    shop: Optional[str] = None
    rule: str = ""


class StreetsFindingOut(Schema):
    id: int
    kind: str
    case_number: str
    rule: str = ""
    strikes: Optional[int] = None


@router.post("/patrols/{patrol_id}/findings", response={201: StreetsFindingOut}, summary="巡街中一键上报问题（立案；夜间经营违规引用所违反的规则）")
def patrol_finding(request, patrol_id: int, payload: StreetsFindingIn):
    p = _patrol(request, patrol_id)
    if payload.kind == "night":
        if not payload.activity:
            raise Invalid("夜间经营违规须注明经营活动", code="missing_field", detail={"field": "activity"})
        shop = referenced(Shop.objects.all(), payload.shop, lookup="code", field="shop", what="商户")
        v = permits.report_night_violation(request.user, p, lng=payload.lng, lat=payload.lat, activity=payload.activity,
                                           description=payload.description, shop=shop, rule_code=payload.rule)
        return Status(201, {"id": v.finding_id, "kind": "night", "case_number": v.case_number, "rule": v.rule_text,
                            "strikes": permits.strikes(shop, v.season) if shop else None})
    f = patrols.report_finding(request.user, p, kind=payload.kind, description=payload.description, lng=payload.lng, lat=payload.lat)
    return Status(201, {"id": f.pk, "kind": f.kind, "case_number": f.case_number})


# ---------------------------------------------------------------- coverage and compliance


class StreetsCoverageOut(Schema):
    code: str
    name: str
    chief: str
    team: Optional[str]
    length_m: float
    leader_share: float
    team_share: float
    leader_patrols: int
    team_patrols: int
    leader_required: int
    team_required: int
    compliant: bool
    missing: list[str]


@router.get("/coverage", response=list[StreetsCoverageOut], summary="路段巡查覆盖率与达标（本周或本月；与工作台同一套筛选）")
def coverage(request, filters: StreetsAssignmentFilter = Query(...), period: str = "week", day: Optional[dt.date] = None, behind: Optional[bool] = None):
    day = day or timezone.localdate()
    items = compliance.statuses(assignment_queryset(request.user, filters), period, day)
    if behind is not None:
        items = [s for s in items if (not s.compliant) == behind]
    return [{"code": s.assignment.segment.code, "name": s.assignment.segment.name, "chief": s.assignment.chief.name,
             "team": s.assignment.team.code if s.assignment.team_id else None, "length_m": round(s.length_m, 1),
             "leader_share": s.shares["leader"], "team_share": s.shares["team"], "leader_patrols": s.counts["leader"], "team_patrols": s.counts["team"],
             "leader_required": s.required["leader"], "team_required": s.required["team"], "compliant": s.compliant, "missing": s.missing}
            for s in items]


class StreetsRuleIn(Schema):
    kind: str
    period: str
    min_patrols: int
    min_share: float = 0.5
    effective_from: dt.date


@router.post("/rules", response={201: dict}, summary="设置巡查频次规则（自生效日起判定）")
def rule_set(request, payload: StreetsRuleIn):
    r = compliance.set_rule(request.user, **payload.dict())
    return Status(201, {"id": r.pk, "kind": r.kind, "period": r.period, "min_patrols": r.min_patrols, "min_share": r.min_share,
                        "effective_from": str(r.effective_from)})


# ---------------------------------------------------------------- night economy


class StreetsZoneOut(Schema):
    code: str
    name: str
    kind: str
    reason: str
    street: Optional[str]
    geometry: dict


def zone_dict(z: NightZone) -> dict:
    return {"code": z.code, "name": z.name, "kind": z.kind, "reason": z.reason, "street": z.street.code if z.street_id else None,
            "geometry": json.loads(z.geometry)}


@router.get("/night/zones", response=list[StreetsZoneOut], summary="夜间经济管控区（严禁、控制、开放）")
def zone_list(request, filters: StreetsZoneFilter = Query(...)):
    return [zone_dict(z) for z in filters.filter(policy.visible(request.user, NightZone.objects.select_related("street")))]


class StreetsZoneIn(Schema):
    code: str
    name: str
    kind: str
    reason: str = ""
    geometry: Optional[dict] = None
    # Or a circle: e.g. 100 m around a school gate.
    lng: Optional[float] = None
    lat: Optional[float] = None
    radius_m: Optional[float] = None


@router.post("/night/zones", response={201: StreetsZoneOut}, summary="划定管控区（画面，或以出入口为圆心的半径）")
def zone_create(request, payload: StreetsZoneIn):
    geometry = payload.geometry
    if geometry is None:
        if payload.lng is None or payload.lat is None or not payload.radius_m or payload.radius_m <= 0 or payload.radius_m > 5000:
            raise Invalid("请给出范围，或圆心经纬度和半径（0–5000 米）", code="bad_geometry", detail={"field": "geometry"})
        geometry = night.circle(payload.lng, payload.lat, payload.radius_m)
    return Status(201, zone_dict(night.create_zone(request.user, code=payload.code, name=payload.name, kind=payload.kind, reason=payload.reason,
                                                   geometry=geometry)))


class StreetsPolicyOut(Schema):
    code: str
    name: str
    kind: str
    street: Optional[str]
    season_start: str
    season_end: str
    tourist_start: Optional[dt.date]
    tourist_end: Optional[dt.date]
    noise_class: str
    noise_day_db: int
    noise_night_db: int
    min_passage_m: float
    tactile_buffer_m: float
    max_depth_m: float
    publicity_days: int
    strikes_to_revoke: int
    windows: list[dict]
    geometry: dict


def policy_dict(p: NightPolicy) -> dict:
    from chengyun.standards import gb3096

    row = gb3096.limit(p.noise_class)
    return {"code": p.code, "name": p.name, "kind": p.kind, "street": p.street.code if p.street_id else None, "season_start": p.season_start,
            "season_end": p.season_end, "tourist_start": p.tourist_start, "tourist_end": p.tourist_end, "noise_class": p.noise_class,
            "noise_day_db": row.day_db, "noise_night_db": row.night_db, "min_passage_m": p.min_passage_m, "tactile_buffer_m": p.tactile_buffer_m,
            "max_depth_m": p.max_depth_m, "publicity_days": p.publicity_days, "strikes_to_revoke": p.strikes_to_revoke,
            "windows": [{"activity": w.activity, "day_type": w.day_type, "start": w.hhmm(w.start_minute), "end": w.hhmm(w.end_minute)} for w in p.windows.all()],
            "geometry": json.loads(p.geometry)}


@router.get("/night/policies", response=list[StreetsPolicyOut], summary="一街一策（时段、季节、节假日与旅游旺季、限制、噪声类别）")
def policy_list(request):
    return [policy_dict(p) for p in policy.visible(request.user, NightPolicy.objects.select_related("street").prefetch_related("windows"))]


class StreetsPolicyIn(Schema):
    code: str
    name: str
    kind: str
    geometry: dict
    windows: list[dict]
    season_start: str = "01-01"
    season_end: str = "12-31"
    tourist_start: Optional[dt.date] = None
    tourist_end: Optional[dt.date] = None
    noise_class: str = "2"
    min_passage_m: float = 2.0
    tactile_buffer_m: float = 0.5
    max_depth_m: float = 3.0
    publicity_days: int = 7
    strikes_to_revoke: int = 3


@router.post("/night/policies", response={201: StreetsPolicyOut}, summary="制定一街一策")
def policy_create(request, payload: StreetsPolicyIn):
    return Status(201, policy_dict(night.create_policy(request.user, **payload.dict())))


class StreetsShopOut(Schema):
    code: str
    name: str
    credit_code: str
    address: str
    lng: float
    lat: float
    street: Optional[str]
    street_name: Optional[str]
    policy: Optional[str]


def shop_dict(s: Shop) -> dict:
    return {"code": s.code, "name": s.name, "credit_code": s.credit_code, "address": s.address, "lng": s.lng, "lat": s.lat,
            "street": s.street.code if s.street_id else None, "street_name": s.street.name if s.street_id else None,
            "policy": s.policy.code if s.policy_id else None}


@router.get("/night/shops", response=Page[StreetsShopOut], summary="商户（本人范围内可见的；与许可同一套范围）")
def shop_list(request, filters: StreetsShopFilter = Query(...), page: PageParams = Query(...)):
    return paginate(filters.filter(policy.visible(request.user, Shop.objects.select_related("street", "policy"))), page, shop_dict)


class StreetsShopIn(Schema):
    code: str
    name: str
    lng: float
    lat: float
    address: str = ""
    credit_code: str = ""
    policy: Optional[str] = None


@router.post("/night/shops", response={201: StreetsShopOut}, summary="登记商户（本街道工作人员或城运中心；统一社会信用代码按 GB 32100 校验）")
def shop_create(request, payload: StreetsShopIn):
    pol = referenced(NightPolicy.objects.all(), payload.policy, lookup="code", field="policy", what="一街一策")
    return Status(201, shop_dict(permits.create_shop(request.user, code=payload.code, name=payload.name, lng=payload.lng, lat=payload.lat,
                                                     address=payload.address, credit_code=payload.credit_code, policy_obj=pol)))


class StreetsPermitOut(Schema):
    number: str
    shop: str
    shop_name: str
    policy: str
    street: Optional[str]
    state: str
    state_label: str
    season: int
    area_m2: float
    tables: int
    depth_m: float
    passage_m: float
    publicity_until: Optional[dt.date]
    valid_from: Optional[dt.date]
    valid_to: Optional[dt.date]
    geometry: dict
    actions: list[str]


def permit_dict(p: Permit) -> dict:
    return {"number": p.number, "shop": p.shop.code, "shop_name": p.shop.name, "policy": p.policy.code, "street": p.street.code if p.street_id else None,
            "state": p.state, "state_label": str(wf.STATES[p.state]), "season": p.season, "area_m2": p.area_m2, "tables": p.tables,
            "depth_m": p.depth_m, "passage_m": p.passage_m, "publicity_until": p.publicity_until, "valid_from": p.valid_from, "valid_to": p.valid_to,
            "geometry": json.loads(p.geometry), "actions": [t.action for t in wf.allowed_from(p.state)]}


def permit_queryset(user, filters: StreetsPermitFilter):
    return filters.filter(policy.visible(user, Permit.objects.select_related("shop", "policy", "street")))


@router.get("/night/permits", response=Page[StreetsPermitOut], summary="外摆许可（与许可列表页同一套筛选）")
def permit_list(request, filters: StreetsPermitFilter = Query(...), page: PageParams = Query(...)):
    return paginate(permit_queryset(request.user, filters), page, permit_dict)


class StreetsPermitIn(Schema):
    shop: str
    policy: str
    area_m2: float
    tables: int
    depth_m: float
    passage_m: float
    tactile_m: Optional[float] = None
    geometry: dict
    season: Optional[int] = None
    note: str = ""


@router.post("/night/permits", response={201: StreetsPermitOut}, summary="外摆许可申请（与严禁区重叠或超出限制即拒绝并说明）")
def permit_apply(request, payload: StreetsPermitIn):
    shop = referenced(Shop.objects.all(), payload.shop, lookup="code", field="shop", what="商户", optional=False, user=request.user)
    pol = referenced(NightPolicy.objects.all(), payload.policy, lookup="code", field="policy", what="一街一策", optional=False)
    return Status(201, permit_dict(permits.apply(request.user, shop=shop, policy_obj=pol, area_m2=payload.area_m2, tables=payload.tables,
                                                 depth_m=payload.depth_m, passage_m=payload.passage_m, tactile_m=payload.tactile_m,
                                                 geometry=payload.geometry, season=payload.season, note=payload.note)))


class StreetsPermitActionIn(Schema):
    note: str = ""


@router.post("/night/permits/{number}/{action}", response=StreetsPermitOut, summary="办理外摆许可：review 审核公示 / reject / object / approve / revoke")
def permit_action(request, number: str, action: str, payload: StreetsPermitActionIn):
    p = policy.get_visible(request.user, Permit.objects.select_related("shop", "policy", "street"), number=number)
    return permit_dict(permits.transition(request.user, p, action, note=payload.note))


class StreetsViolationOut(Schema):
    id: int
    shop: Optional[str]
    shop_name: Optional[str]
    permit: Optional[str]
    policy: Optional[str]
    activity: str
    rule_code: str
    rule_text: str
    found_at: dt.datetime
    season: int
    case_number: str


@router.get("/night/violations", response=Page[StreetsViolationOut], summary="夜间经营违规（每户按经营季计次）")
def violation_list(request, filters: StreetsViolationFilter = Query(...), page: PageParams = Query(...)):
    qs = filters.filter(policy.visible(request.user, Violation.objects.select_related("shop", "permit", "policy")))
    return paginate(qs, page, lambda v: {"id": v.pk, "shop": v.shop.code if v.shop_id else None, "shop_name": v.shop.name if v.shop_id else None,
                                         "permit": v.permit.number if v.permit_id else None, "policy": v.policy.code if v.policy_id else None,
                                         "activity": v.activity, "rule_code": v.rule_code, "rule_text": v.rule_text, "found_at": v.found_at,
                                         "season": v.season, "case_number": v.case_number})


class StreetsCheckRule(Schema):
    code: str
    passed: bool
    text: str


class StreetsCheckOut(Schema):
    allowed: bool
    activity: str
    activity_label: str
    at: dt.datetime
    zone: Optional[dict]
    policy: Optional[dict]
    day_type: str
    windows: list[str]
    noise: Optional[dict]
    rules: list[StreetsCheckRule]


def check_dict(r: night.CheckResult) -> dict:
    return {"allowed": r.allowed, "activity": r.activity, "activity_label": str(ACTIVITIES[r.activity]), "at": r.at,
            "zone": {"code": r.zone.code, "name": r.zone.name, "kind": r.zone.kind, "reason": r.zone.reason} if r.zone else None,
            "policy": {"code": r.policy.code, "name": r.policy.name} if r.policy else None, "day_type": r.day_type, "windows": r.windows,
            "noise": r.noise, "rules": [{"code": x.code, "passed": x.passed, "text": x.text} for x in r.rules]}


@router.get("/night/check", response=StreetsCheckOut, summary="此处此时是否允许该经营活动（管控区、一街一策、季节与节假日综合判定）")
def night_check(request, lng: float, lat: float, activity: str, at: Optional[dt.datetime] = None):
    return check_dict(night.check(lng, lat, at or timezone.now(), activity))
