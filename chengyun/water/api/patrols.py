"""River-chief patrols: list and read them, start and finish one (with its GPS track), report
a problem found on it (filed as a case at once), enter one afterwards, abandon one, and the
month's compliance per chief."""
from __future__ import annotations

import datetime as dt
import json
from typing import Any, Optional

from django.db.models import Count
from ninja import File, Form, Query, Schema, Status
from ninja.files import UploadedFile
from pydantic import Field

from chengyun.core.errors import Invalid
from chengyun.core.pagination import Page, PageParams, paginate
from chengyun.people import policy
from chengyun.people.lookup import referenced

from .. import queries, services
from ..filters import PatrolFilter
from ..models import Patrol, RiverChief
from .common import reach_named, router


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
    chief = referenced(RiverChief.objects.select_related("person"), body.chief_id, field="chief_id", user=request.user)
    p = services.record_patrol(request.user, chief=chief, reach=reach_named(body.reach), started_at=body.started_at, ended_at=body.ended_at,
                               track=body.track, note=body.note)
    return Status(201, patrol_out(p, with_track=True))


@router.get("/patrols/{patrol_id}", response=PatrolOut, summary="巡河详情（含轨迹）")
def patrol(request, patrol_id: int):
    return patrol_out(policy.get_visible(request.user, Patrol.objects.select_related("chief__person", "reach"), pk=patrol_id), with_track=True)


class StartIn(Schema):
    reach: Optional[str] = None


@router.post("/patrols", response={201: PatrolOut}, summary="开始巡河")
def start_patrol(request, body: StartIn):
    p = services.start_patrol(request.user, reach=reach_named(body.reach))
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


class MonthOut(Schema):
    month: str = Field(..., description="YYYY-MM")
    valid: int
    required: int
    status: str


class ComplianceOut(Schema):
    period: str = Field(..., description="所查期间：YYYY-MM 或 YYYY")
    chief: str
    person_id: int
    level: str
    patrols: int
    valid: int
    required: int
    compliant: bool = Field(..., description="有效次数已达要求（进行中的期间为截至目前）")
    status: str = Field(..., description="compliant 达标 / in_progress 进行中（期间未结束，尚未达到）/ not_compliant 未达标")
    in_progress: bool = Field(..., description="期间尚未结束：数据为截至目前")
    distance_km: float
    duration_h: float
    problems: int
    months_met: Optional[int] = Field(None, description="全年查询：已结束月份中达标的月数")
    months_judged: Optional[int] = Field(None, description="全年查询：已结束的月份数")
    months: Optional[list[MonthOut]] = Field(None, description="全年查询：逐月情况（含进行中的本月）")


def _compliance_out(period: str, r) -> dict:
    return {"period": period, "chief": r.chief.person.name, "person_id": r.chief.person_id, "level": r.chief.level,
            "patrols": r.patrols, "valid": r.valid, "required": r.required, "compliant": r.compliant, "status": r.status,
            "in_progress": r.in_progress, "distance_km": round(r.distance_m / 1000, 2), "duration_h": round(r.duration_s / 3600, 1),
            "problems": r.problems}


@router.get("/compliance", response=list[ComplianceOut],
            summary="巡河达标情况：?month=YYYY-MM 查某月，?year=YYYY 查全年（按当时有效的巡河规则）；不带参数为本月至今")
def compliance(request, month: Optional[str] = None, year: Optional[str] = None):
    period = services.parse_period(month=month, year=year)
    chiefs = queries.visible_chiefs(request.user)
    if period.month:
        return [_compliance_out(period.key, r) for r in services.compliance(period.year, period.month, chiefs)]
    out = []
    for y in services.year_compliance(period.year, chiefs):
        row = _compliance_out(period.key, y)
        row.update(months_met=y.months_met, months_judged=y.months_judged,
                   months=[{"month": f"{period.year}-{k:02d}", "valid": m.valid, "required": m.required, "status": m.status}
                           for k, m in enumerate(y.months, start=1)])
        out.append(row)
    return out


class CancelIn(Schema):
    reason: str = Field(..., description="放弃原因，如“轨迹点不足，无法结束”")


@router.post("/patrols/{patrol_id}/cancel", response=PatrolOut, summary="放弃本次巡河（不计入达标）")
def cancel_patrol(request, patrol_id: int, body: CancelIn):
    p = policy.get_visible(request.user, Patrol.objects.select_related("chief__person", "reach"), pk=patrol_id)
    return patrol_out(services.cancel_patrol(request.user, p, reason=body.reason))
