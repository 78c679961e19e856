"""/api/v1/cases/: list, detail, report, one endpoint per lifecycle transition, imports, catalogue."""
from __future__ import annotations

import datetime as dt
import json
from typing import Any, Optional

from django.http import FileResponse, HttpResponse
from django.utils import timezone
from ninja import File, Form, Query, Router, Schema, Status
from ninja.files import UploadedFile
from pydantic import Field

from chengyun.core import pagecache
from chengyun.core.errors import Invalid
from chengyun.core.pagination import Page, PageParams
from chengyun.geo.models import Unit
from chengyun.people import policy
from chengyun.people.lookup import referenced

from . import evaluation, freshness, privacy, services, standard, workflow
from .filters import CaseFilter
from .models import Attachment, Case, Category

router = Router(tags=["城市管理案件"])


def iso(value: dt.datetime | None) -> str | None:
    return timezone.localtime(value).isoformat() if value else None


LIST_RELATED = ("category", "street", "community", "grid", "unit")


def list_queryset(user, filters: CaseFilter):
    qs = Case.objects.select_related(*LIST_RELATED)
    return filters.filter(policy.visible(user, qs)).order_by("-reported_at", "-id")


def fetch_page(qs, ids: list[int]) -> list[Case]:
    """The page's cases with their related rows, in the order of `ids`."""
    found = Case.objects.select_related(*LIST_RELATED).in_bulk(ids)
    return [found[i] for i in ids if i in found]


def paginate_cases(qs, page: PageParams) -> dict[str, Any]:
    """Two steps: sort and slice ids on the case table's indexes alone, then join the page's rows
    (joining every matching row before sorting is what makes a large list slow)."""
    ids = list(qs.values_list("id", flat=True)[page.offset: page.offset + page.limit])
    return {"count": qs.count(), "limit": page.limit, "offset": page.offset, "results": [case_out(c) for c in fetch_page(qs, ids)]}


class CaseOut(Schema):
    id: int
    number: str
    status: str
    status_label: str
    kind: str
    category_code: str
    category_name: str
    service_code: str
    source: str
    source_label: str
    description: str
    address: str
    lng: float
    lat: float
    street: dict[str, str]
    community: dict[str, str]
    grid: dict[str, str]
    unit: Optional[dict[str, str]]
    reporter_name: str
    reporter_phone: str
    reporter_count: int
    occurred_at: str
    reported_at: str
    stage_deadline: Optional[str]
    overall_deadline: Optional[str]
    clock_status: str
    url: str


def case_out(c: Case) -> dict[str, Any]:
    return {
        "id": c.pk, "number": c.number, "status": c.status, "status_label": c.status_label, "kind": c.category.kind,
        "category_code": c.category.code, "category_name": c.category.name, "service_code": c.category.service_code,
        "source": c.source, "source_label": workflow.SOURCES.get(c.source, c.source), "description": c.description, "address": c.address,
        "lng": c.lng, "lat": c.lat,
        "street": {"code": c.street.code, "name": c.street.name}, "community": {"code": c.community.code, "name": c.community.name},
        "grid": {"code": c.grid.code, "name": c.grid.name},
        "unit": {"code": c.unit.code, "name": c.unit.name} if c.unit_id else None,
        **privacy.reporter_shown(c), "reporter_count": c.reporter_count,
        "occurred_at": iso(c.occurred_at), "reported_at": iso(c.reported_at), "stage_deadline": iso(c.stage_deadline),
        "overall_deadline": iso(c.overall_deadline), "clock_status": c.clock_status, "url": c.get_absolute_url(),
    }


class EventOut(Schema):
    at: str
    action: str
    label: str
    from_status: str
    to_status: str
    actor_name: str
    unit: Optional[str]
    note: str
    data: dict
    on_time: Optional[bool]


class AttachmentOut(Schema):
    id: int
    stage: str
    content_type: str
    size: int
    width: int
    height: int
    gps_lng: Optional[float]
    gps_lat: Optional[float]
    uploaded_at: str
    url: str


def attachment_out(a: Attachment) -> dict[str, Any]:
    return {"id": a.pk, "stage": a.stage, "content_type": a.content_type, "size": a.size, "width": a.width, "height": a.height,
            "gps_lng": a.gps_lng, "gps_lat": a.gps_lat, "uploaded_at": iso(a.uploaded_at), "url": f"/api/v1/cases/attachments/{a.pk}"}


class CaseDetailOut(CaseOut):
    condition: Optional[dict[str, Any]]
    suggested_unit: Optional[dict[str, str]]
    possible_duplicates: list[str]
    merged_into: Optional[str]
    returned_count: int
    rework_count: int
    postpone_count: int
    escalation_level: int
    pending_request: Optional[dict]
    events: list[EventOut]
    attachments: list[AttachmentOut]
    allowed_actions: list[dict[str, Any]]


def case_detail(user, c: Case) -> dict[str, Any]:
    out = case_out(c)
    out.update({
        "condition": {"id": c.condition.pk, "text": c.condition.text, "limit": c.condition.limit_text, "closing": c.condition.closing_condition} if c.condition_id else None,
        "suggested_unit": {"code": c.suggested_unit.code, "name": c.suggested_unit.name} if c.suggested_unit_id else None,
        "possible_duplicates": c.extra.get("possible_duplicates", []),
        "merged_into": c.merged_into.number if c.merged_into_id else None,
        "returned_count": c.returned_count, "rework_count": c.rework_count, "postpone_count": c.postpone_count,
        "escalation_level": c.escalation_level, "pending_request": c.pending_request,
        "events": [{"at": iso(e.at), "action": e.action, "label": e.label, "from_status": e.from_status, "to_status": e.to_status,
                    "actor_name": e.actor_name, "unit": e.unit.name if e.unit_id else None, "note": e.note, "data": e.data, "on_time": e.on_time}
                   for e in c.events.select_related("unit").order_by("at", "id")],
        "attachments": [attachment_out(a) for a in c.attachments.all()],
        "allowed_actions": [{"action": t.action, "label": t.label, "required": list(t.required)} for t in services.allowed_actions(user, c)],
    })
    return out


def _get_case(request, case_id: int) -> Case:
    return policy.get_visible(request.user, Case.objects.select_related("category", "condition", "street", "community", "grid", "unit", "suggested_unit", "merged_into"), pk=case_id)


# ---------------------------------------------------------------- catalogue


class ConditionOut(Schema):
    id: int
    text: str
    limit_amount: float
    limit_unit: str
    limit: str
    closing_condition: str


class CategoryOut(Schema):
    id: int
    kind: str
    code: str
    service_code: str
    name: str
    major_code: str
    major_name: str
    responsible_specialty: str
    duplicate_radius_m: float
    duplicate_window_hours: float
    conditions: list[ConditionOut]


@router.get("/categories", response=list[CategoryOut], summary="案件类别（部件/事件小类及立案条件）")
def categories(request, kind: Optional[str] = None):
    qs = Category.objects.filter(active=True).prefetch_related("conditions")
    if kind:
        qs = qs.filter(kind=standard.KIND_BY_NAME.get(kind, kind))
    return [{"id": c.pk, "kind": c.kind, "code": c.code, "service_code": c.service_code, "name": c.name, "major_code": c.major_code,
             "major_name": c.major_name, "responsible_specialty": c.responsible_specialty, "duplicate_radius_m": c.duplicate_radius_m,
             "duplicate_window_hours": c.duplicate_window_hours,
             "conditions": [{"id": f.pk, "text": f.text, "limit_amount": f.limit_amount, "limit_unit": f.limit_unit, "limit": f.limit_text,
                             "closing_condition": f.closing_condition} for f in c.conditions.all()]} for c in qs]


@router.get("/categories/export", summary="导出案件类别标准（csv 或 xlsx）")
def categories_export(request, format: str = "csv"):
    if format not in ("csv", "xlsx"):
        raise Invalid("format 应为 csv 或 xlsx", code="bad_format")
    data = services.export_catalogue(format)
    ctype = "text/csv; charset=utf-8" if format == "csv" else "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    resp = HttpResponse(data, content_type=ctype)
    resp["Content-Disposition"] = f'attachment; filename="case-standard.{format}"'
    return resp


@router.post("/categories/import", summary="导入城市案件类别标准（Excel/CSV；有错误则不导入）")
def categories_import(request, file: File[UploadedFile], dry_run: Form[bool] = False):
    report = services.import_catalogue(request.user, file.read(), file.name or "", dry_run=dry_run)
    if not report.ok:
        raise Invalid(f"文件有 {len(report.errors)} 处错误，未导入任何数据", code="import_errors", detail=report.errors)
    return report.to_dict()


# ---------------------------------------------------------------- list, map, report


@router.get("/", response=Page[CaseOut], summary="案件列表（与列表页同一套筛选条件）")
def case_list(request, filters: CaseFilter = Query(...), page: PageParams = Query(...)):
    qs = list_queryset(request.user, filters)
    # Keyed by the scoped statement (core/pagecache.py): one scope never gets another's rows.
    return pagecache.cached("cases.api.list", freshness.STAMPS, [pagecache.query_key(qs), page.offset, page.limit],
                            lambda: paginate_cases(qs, page))


@router.get("/map", summary="案件点位（GeoJSON，最多 5000 个）")
def case_map(request, filters: CaseFilter = Query(...)):
    rows = list_queryset(request.user, filters).values_list("pk", "number", "lng", "lat", "status", "clock_status", "category__name")[:5000]
    return {"type": "FeatureCollection", "features": [
        {"type": "Feature", "geometry": {"type": "Point", "coordinates": [lng, lat]},
         "properties": {"id": pk, "number": number, "status": status, "status_label": workflow.label(status), "clock": clock, "category": cat}}
        for pk, number, lng, lat, status, clock, cat in rows]}


class ReportIn(Schema):
    source: str = Field(..., description="来源：" + "、".join(f"{k} {v}" for k, v in workflow.SOURCES.items()))
    category_code: str = Field(..., description="小类代码（4 位）")
    category_kind: str = Field("event", description="event 事件 / component 部件")
    lng: float
    lat: float
    crs: str = Field("wgs84", description="wgs84 / cgcs2000 / gcj02 / bd09")
    description: str
    address: str = ""
    reporter_name: str = ""
    reporter_phone: str = ""
    external_id: Optional[str] = None
    occurred_at: Optional[dt.datetime] = None
    extra: Optional[dict] = None
    location_consent: bool = Field(False, description="公众/热线上报：是否同意保留照片中的拍摄位置（EXIF GPS）；不同意则去除")


@router.post("/", response={201: CaseDetailOut}, summary="上报案件")
def case_report(request, body: ReportIn):
    case = services.report(request.user, **body.dict())
    return Status(201, case_detail(request.user, _get_case(request, case.pk)))


class ReporterOut(Schema):
    reporter_name: str
    reporter_phone: str


@router.post("/{int:case_id}/reporter/reveal", response=ReporterOut, summary="查看上报人完整姓名和电话（受理、派遣、值班长；记入审计日志）")
def reporter_reveal(request, case_id: int):
    return privacy.reveal(request.user, _get_case(request, case_id))


@router.get("/{int:case_id}", response=CaseDetailOut, summary="案件详情（含流转记录、照片、当前可执行的操作）")
def case_get(request, case_id: int):
    return case_detail(request.user, _get_case(request, case_id))


@router.get("/{int:case_id}/duplicates", response=list[CaseOut], summary="疑似重复的在办案件")
def case_duplicates(request, case_id: int):
    c = _get_case(request, case_id)
    found = services.find_duplicates(c.category, c.lng, c.lat, c.reported_at, exclude_id=c.pk)
    return [case_out(x) for x in policy.visible(request.user, Case.objects.filter(pk__in=[f.pk for f in found])).select_related("category", "street", "community", "grid", "unit")]


@router.post("/{int:case_id}/attachments", response={201: list[AttachmentOut]}, summary="上传照片（JPEG/PNG/WebP）")
def case_attach(request, case_id: int, files: File[list[UploadedFile]], stage: Form[str] = "report"):
    c = _get_case(request, case_id)
    return Status(201, [attachment_out(a) for a in services.add_attachments(request.user, c, files, stage)])


@router.get("/attachments/{int:attachment_id}", summary="照片原图")
def attachment_file(request, attachment_id: int):
    a = policy.get_visible(request.user, Attachment.objects.all(), pk=attachment_id)
    return FileResponse(a.file.open("rb"), content_type=a.content_type)


class MoveIn(Schema):
    lng: float
    lat: float
    crs: str = "wgs84"
    address: Optional[str] = None


@router.post("/{int:case_id}/move", response=CaseDetailOut, summary="修改案件位置（重新定位街道、社区、网格）")
def case_move(request, case_id: int, body: MoveIn):
    services.move(request.user, _get_case(request, case_id), **body.dict())
    return case_detail(request.user, _get_case(request, case_id))


class TransitionIn(Schema):
    note: Optional[str] = None
    reason: Optional[str] = None
    verified: Optional[bool] = None
    condition_id: Optional[int] = None
    unit_id: Optional[int] = None
    unit_code: Optional[str] = Field(None, description="责任单位编码（可代替 unit_id）")
    amount: Optional[float] = None
    time_unit: Optional[str] = Field(None, description="延期单位：urgent_hour / work_hour / work_day / natural_day")
    target: Optional[str] = Field(None, description="合并到的案件编号")


def _transition_endpoint(t: workflow.Transition):
    def endpoint(request, case_id: int, body: TransitionIn):
        fields = body.dict(exclude_none=True)
        code = fields.pop("unit_code", None)
        if code and "unit_id" not in fields:
            fields["unit_id"] = referenced(Unit.objects, code, what="责任单位", field="unit_code", lookup="code", code="bad_unit").pk
        services.transition(request.user, case_id, t.action, **fields)
        return case_detail(request.user, _get_case(request, case_id))

    endpoint.__name__ = f"case_{t.action}"
    required = "、".join(services.FIELD_NAMES.get(f, f) for f in t.required) or "无"
    roles = "、".join(sorted(t.roles))
    router.post(f"/{{int:case_id}}/{t.action}", response=CaseDetailOut, summary=f"{t.label}",
                description=f"从状态 {', '.join(sorted(t.sources))} 执行“{t.label}”。角色：{roles}。必填：{required}。状态不允许时返回 409。")(endpoint)


for _t in workflow.TRANSITIONS:
    _transition_endpoint(_t)


# ---------------------------------------------------------------- imports


class DetectionIn(Schema):
    id: Optional[str] = None
    lng: float
    lat: float
    crs: str = "wgs84"
    category_code: str
    category_kind: str = "event"
    confidence: Optional[float] = None
    image: Optional[str] = None
    time: Optional[str] = None


@router.post("/drone-flights", summary="无人机巡查结果批量导入（同一架次重复导入不产生变化）")
def drone_import(request):
    try:
        payload = json.loads(request.body or b"{}")
    except ValueError:
        raise Invalid("请求体不是合法的 JSON", code="bad_json") from None
    return services.import_drone_flight(request.user, payload).to_dict()


@router.post("/hotline-imports", summary="12345 热线工单导入（Excel/CSV；有错误则不导入）")
def hotline_import(request, file: File[UploadedFile]):
    rep = services.import_hotline(request.user, file.read(), file.name or "")
    if not rep.ok:
        raise Invalid(f"文件有 {len(rep.errors)} 处错误，未导入任何工单", code="import_errors", detail=rep.errors)
    return rep.to_dict()


# ---------------------------------------------------------------- evaluation


@router.get("/evaluation", summary="综合评价（网格员、责任单位、街道与社区）")
def evaluation_api(request, period: str = "month", start: Optional[dt.date] = None, end: Optional[dt.date] = None):
    policy.require_role(request.user, evaluation.VIEWERS, "您的角色无权查看综合评价")
    p = evaluation.period_bounds(period, start, end)
    return evaluation.evaluate(p).to_dict()
