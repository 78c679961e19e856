from __future__ import annotations

import datetime as dt
import json
from typing import Literal, Optional

from django.db.models import QuerySet
from django.http import HttpResponse
from ninja import Query, Router, Schema, Status

from chengyun.core.pagination import Page, PageParams, paginate
from chengyun.people import policy
from chengyun.people.lookup import referenced

from . import services
from .models import HazardFinding, HazardSurvey, RoadSegment

router = Router(tags=["道路"])


class SegmentOut(Schema):
    code: str
    name: str
    road_class: str
    traffic: str
    width_m: float
    length_m: float
    street: Optional[str]
    risk_score: float
    risk_level: str
    risk_factors: dict


def _narrowed(qs: QuerySet, **lookups: Optional[str]) -> QuerySet:
    """`qs` narrowed by each query parameter the request gave (an absent or empty one narrows nothing)."""
    return qs.filter(**{lookup: value for lookup, value in lookups.items() if value})


def _segment(s: RoadSegment) -> dict:
    return {"code": s.code, "name": s.name, "road_class": s.road_class, "traffic": s.traffic, "width_m": s.width_m,
            "length_m": s.length_m, "street": s.street.code if s.street_id else None, "risk_score": s.risk_score,
            "risk_level": s.risk_level, "risk_factors": s.risk_factors}


@router.get("/segments", response=Page[SegmentOut], summary="道路路段")
def segments(request, street: Optional[str] = None, road_class: Optional[str] = None, q: Optional[str] = None, page: PageParams = Query(...)):
    qs = policy.visible(request.user, RoadSegment.objects.select_related("street"))
    return paginate(_narrowed(qs, street__code=street, road_class=road_class, name__icontains=q), page, _segment)


@router.get("/segments.geojson", summary="路段线形与塌陷风险（GeoJSON）")
def segments_geojson(request):
    services.ensure_risk()
    rows = policy.visible(request.user, RoadSegment.objects.all()).values_list("code", "name", "road_class", "risk_score", "risk_level", "geometry")
    parts = ['{"type":"Feature","geometry":%s,"properties":%s}' % (g, json.dumps({"code": c, "name": n, "class": rc, "risk": r, "level": lv}, ensure_ascii=False))
             for c, n, rc, r, lv, g in rows]
    return HttpResponse('{"type":"FeatureCollection","features":[%s]}' % ",".join(parts), content_type="application/geo+json")


@router.get("/risk", response=Page[SegmentOut], summary="塌陷风险排名（输入变化时自动重算）")
def risk(request, street: Optional[str] = None, level: Optional[str] = None, page: PageParams = Query(...)):
    return paginate(_narrowed(policy.visible(request.user, services.ranked()), street__code=street, risk_level=level), page, _segment)


class FindingOut(Schema):
    code: str
    segment: str
    kind: str
    depth_m: float
    length_m: float
    width_m: float
    height_m: float
    lng: float
    lat: float
    found_on: dt.date
    status: str
    note: str


def _finding(f: HazardFinding) -> dict:
    return {"code": f.code, "segment": f.segment.code, "kind": f.kind, "depth_m": f.depth_m, "length_m": f.length_m, "width_m": f.width_m,
            "height_m": f.height_m, "lng": f.lng, "lat": f.lat, "found_on": f.found_on, "status": f.status, "note": f.note}


@router.get("/findings", response=Page[FindingOut], summary="隐患点（探地雷达）")
def findings(request, segment: Optional[str] = None, kind: Optional[str] = None, status: Optional[str] = None, page: PageParams = Query(...)):
    qs = policy.visible(request.user, HazardFinding.objects.select_related("segment"))
    return paginate(_narrowed(qs, segment__code=segment, kind=kind, status=status), page, _finding)


class FindingIn(Schema):
    survey: Optional[str] = None
    segment: str
    kind: Literal["cavity", "void", "loose"]
    depth_m: float
    length_m: float
    width_m: float
    height_m: float = 0
    lng: float
    lat: float
    found_on: dt.date
    note: str = ""


@router.post("/findings", response={201: FindingOut}, summary="录入隐患点")
def add_finding(request, body: FindingIn):
    # The survey is a reference in the body: unknown (or out of the user's sight) is a 422 naming the field.
    survey = referenced(policy.visible(request.user, HazardSurvey.objects.all()), body.survey, what="隐患排查", field="survey", lookup="code")
    f = services.add_finding(request.user, survey, segment_code=body.segment, kind=body.kind, depth_m=body.depth_m, length_m=body.length_m,
                             width_m=body.width_m, height_m=body.height_m, lng=body.lng, lat=body.lat, found_on=body.found_on, note=body.note)
    return Status(201, _finding(f))


@router.post("/findings/{code}/treat", response=FindingOut, summary="隐患点已处置")
def treat(request, code: str):
    f = policy.get_visible(request.user, HazardFinding.objects.select_related("segment"), code=code)
    return _finding(services.treat_finding(request.user, f))


class SurveyOut(Schema):
    code: str
    name: str
    method: str
    status: str
    started_on: dt.date
    deadline: dt.date
    coverage: dict


@router.get("/surveys", response=Page[SurveyOut], summary="隐患排查及覆盖率")
def surveys(request, as_of: Optional[dt.date] = None, page: PageParams = Query(...)):
    day = as_of or dt.date.today()

    def row(s: HazardSurvey) -> dict:
        cov = services.survey_coverage(day, s)
        return {"code": s.code, "name": s.name, "method": s.method, "status": s.status, "started_on": s.started_on, "deadline": s.deadline,
                "coverage": {k: {"done_m": d, "total_m": t} for k, (d, t) in cov.items()}}

    return paginate(policy.visible(request.user, HazardSurvey.objects.all()), page, row)


class SurveyedIn(Schema):
    segments: list[str]
    surveyed_on: dt.date
    operator: str = ""


@router.post("/surveys/{code}/surveyed", summary="填报已排查路段")
def surveyed(request, code: str, body: SurveyedIn):
    survey = policy.get_visible(request.user, HazardSurvey.objects.all(), code=code)
    n = services.record_surveyed(request.user, survey, body.segments, surveyed_on=body.surveyed_on, operator=body.operator)
    done, total = services.survey_coverage(dt.date.today(), survey)[""]
    return {"added": n, "done_m": done, "total_m": total}


@router.get("/coverage", summary="道路隐患排查覆盖率（按街道，督办指标 roads.hazard_survey_coverage）")
def coverage(request, as_of: Optional[dt.date] = None):
    cov = services.survey_coverage(as_of or dt.date.today())
    return {k: {"done_m": d, "total_m": t, "ratio": round(d / t, 4) if t else 0.0} for k, (d, t) in cov.items()}
