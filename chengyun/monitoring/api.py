"""/api/v1/monitoring/: devices, readings, laboratory results, raw frames and refusals."""
from __future__ import annotations

from datetime import datetime
from typing import Any, Literal, Optional, Union

from django.utils import timezone
from ninja import Query, Router, Schema, Status
from pydantic import Field

from chengyun.core.apischema import ErrorOut
from chengyun.core.errors import Invalid
from chengyun.core.pagination import Page, PageParams, paginate
from chengyun.people import policy

from . import catalogue, labfile, services
from .filters import DeviceFilter, IngestLogFilter
from .models import Device, IngestLog, RawFrame, Reading
from .rules import DEVICE_MANAGERS

router = Router(tags=["在线监测"])


def local(dt: datetime | None) -> datetime | None:
    return timezone.localtime(dt) if dt is not None else None


class FactorSchema(Schema):
    code: str = Field(description="HJ 212 因子编码，如 w01018")
    unit: str = Field("", description="单位，默认取 HJ 212 表 B.1 的默认单位")


class FactorOut(FactorSchema):
    name: str


class DeviceIn(Schema):
    mn: str = Field(description="设备唯一标识 MN（≤24 位）")
    password: str = Field(description="访问密码 PW")
    st: str = Field(description="系统编码 ST：21 地表水质量监测，32 地表水体环境污染源")
    name: str
    factors: list[FactorSchema] = Field(default_factory=list)
    kind: Literal["online", "manual"] = "online"
    site_kind: Literal["", "section", "outfall"] = ""
    site_code: str = ""
    tolerate_lowercase_crc: bool = False
    tolerate_swapped_modbus_crc: bool = False
    active: bool = True


class DevicePatch(Schema):
    password: Optional[str] = None
    st: Optional[str] = None
    name: Optional[str] = None
    factors: Optional[list[FactorSchema]] = None
    active: Optional[bool] = None
    tolerate_lowercase_crc: Optional[bool] = None
    tolerate_swapped_modbus_crc: Optional[bool] = None


class DeviceLinkIn(Schema):
    site_kind: Literal["", "section", "outfall"]
    site_code: str = ""


class DeviceOut(Schema):
    mn: str
    name: str
    st: str
    kind: str
    factors: list[FactorOut]
    site_kind: str
    site_code: str
    active: bool
    tolerate_lowercase_crc: bool
    tolerate_swapped_modbus_crc: bool
    last_seen_at: Optional[datetime]
    created_at: datetime
    password: Optional[str] = Field(None, description="仅城运中心和系统管理员可见")


def device_out(d: Device, show_password: bool = False) -> dict[str, Any]:
    return {
        "mn": d.mn, "name": d.name, "st": d.st, "kind": d.kind,
        "factors": [{"code": f["code"], "unit": f.get("unit", ""), "name": catalogue.factor_name(f["code"])} for f in d.factors or []],
        "site_kind": d.site_kind, "site_code": d.site_code, "active": d.active,
        "tolerate_lowercase_crc": d.tolerate_lowercase_crc, "tolerate_swapped_modbus_crc": d.tolerate_swapped_modbus_crc,
        "last_seen_at": local(d.last_seen_at), "created_at": local(d.created_at),
        "password": d.password if show_password else None,
    }


def _is_manager(request) -> bool:
    return policy.principal(request.user).has(DEVICE_MANAGERS)


@router.post("/devices", response={201: DeviceOut}, summary="登记监测设备（MN 已存在时 409）")
def create_device(request, payload: DeviceIn):
    data = payload.dict()
    data["factors"] = [f for f in data["factors"]]
    device = services.create_device(request.user, **data)
    return Status(201, device_out(device, show_password=True))


@router.get("/devices", response=Page[DeviceOut], summary="监测设备列表")
def list_devices(request, filters: DeviceFilter = Query(...), page: PageParams = Query(...)):
    qs = filters.filter(policy.visible(request.user, Device.objects.all()))
    show = _is_manager(request)
    return paginate(qs, page, lambda d: device_out(d, show))


@router.get("/devices/{mn}", response=DeviceOut, summary="监测设备详情")
def device_detail(request, mn: str):
    return device_out(policy.get_visible(request.user, Device.objects.all(), mn=mn), _is_manager(request))


@router.patch("/devices/{mn}", response=DeviceOut, summary="修改监测设备（密码、因子、容错模式、启用）")
def update_device(request, mn: str, payload: DevicePatch):
    device = policy.get_visible(request.user, Device.objects.all(), mn=mn)
    changes = {k: v for k, v in payload.dict().items() if v is not None}
    return device_out(services.update_device(request.user, device, **changes), True)


@router.put("/devices/{mn}/link", response=DeviceOut, summary="关联到断面或排污口（留空则解除）")
def link_device(request, mn: str, payload: DeviceLinkIn):
    policy.get_visible(request.user, Device.objects.all(), mn=mn)
    return device_out(services.link_device(request.user, mn, payload.site_kind, payload.site_code, judge_history=True), True)


class ReadingOut(Schema):
    mn: str
    cn: str
    factor: str
    data_time: datetime
    value: Optional[float]
    min: Optional[float]
    max: Optional[float]
    cou: Optional[float]
    flag: str
    valid: bool = Field(description="标记为 N（正常）时参与评价；F/M/S/D/C/T/B 等保留但不参与评价")
    source: str
    received_at: datetime


def reading_out(r: Reading) -> dict[str, Any]:
    return {"mn": r.device.mn, "cn": r.cn, "factor": r.factor, "data_time": local(r.data_time), "value": r.value,
            "min": r.min, "max": r.max, "cou": r.cou, "flag": r.flag, "valid": r.valid, "source": r.source,
            "received_at": local(r.received_at)}


@router.get("/readings", response=Page[ReadingOut], summary="监测数据（含数据标记）")
def list_readings(request, mn: Optional[str] = None, code: Optional[str] = Query(None, description="因子编码，如 w01018；也可用 GB 3838 项目名，如 COD、NH3N、Hg（含其全部编码）"),
                  start: Optional[datetime] = Query(None, description="起始数据时间（含），无时区按北京时间"),
                  end: Optional[datetime] = Query(None, description="结束数据时间（不含）"),
                  cn: Optional[str] = Query(None, description="2011 实时、2051 分钟、2061 小时、2031 日、LAB 手工"),
                  site_kind: Optional[str] = None, site_code: Optional[str] = None, page: PageParams = Query(...)):
    qs = policy.visible(request.user, services.readings(mn=mn, factor=code, cn=cn, start=start, end=end,
                                                       site_kind=site_kind, site_code=site_code))
    return paginate(qs, page, reading_out)


class LatestOut(Schema):
    factor: str
    name: str
    unit: str
    reading: ReadingOut


@router.get("/latest", response=list[LatestOut], summary="站点各因子的最新值")
def latest(request, site_kind: Literal["section", "outfall"], site_code: str):
    policy.require_role(request.user, policy.rule_for(Reading).wide_read, "您无权查看监测数据")
    out = []
    for code, r in services.latest_values(site_kind, site_code).items():
        out.append({"factor": code, "name": catalogue.factor_name(code), "unit": r.device.unit_of(code) or catalogue.default_unit(code),
                    "reading": reading_out(r)})
    return out


class LabErrorOut(Schema):
    row: int
    field: str
    message: str


class LabImportOut(Schema):
    ok: bool
    total: int
    stored: int
    errors: list[LabErrorOut]
    devices_created: list[str]


class LabRowsOut(Schema):
    rows: list[LabErrorOut]
    total: int


class LabRefusalOut(Schema):
    code: str = Field(description="invalid_rows")
    message: str
    detail: LabRowsOut


@router.post("/lab-results", response={200: LabImportOut, 422: Union[LabRefusalOut, ErrorOut]},
             summary="上传手工监测结果（CSV 或 JSON；全部有效才入库，错误列出行号与字段）",
             openapi_extra={"requestBody": {"content": {
                 "multipart/form-data": {"schema": {"type": "object", "properties": {"file": {"type": "string", "format": "binary"}}}},
                 "application/json": {"schema": {"type": "array", "items": {"type": "object"}}},
             }}})
def upload_lab_results(request):
    upload = request.FILES.get("file")
    if upload is not None:
        rows, first = labfile.read(upload.read(), upload.name or "")
    elif (request.content_type or "").startswith("multipart/"):
        # A form without its file: the stream is already parsed, there is no JSON body to read.
        raise Invalid("请上传文件（file 字段）或在请求体中提交 JSON", code="no_file")
    elif request.body:
        rows, first = labfile.read(request.body, "upload.json" if "json" in (request.content_type or "") else "")
    else:
        raise Invalid("请上传文件（file 字段）或在请求体中提交 JSON", code="no_file")
    report = services.import_lab_results(request.user, rows, first_row=first)
    if not report.ok:
        raise report.error()  # 422 {"code": "invalid_rows", "message", "detail": {"rows": [{row, field, message}]}}
    return Status(200, report.to_dict())


class RawFrameOut(Schema):
    received_at: datetime
    mn: str
    channel: str
    peer: str
    outcome: str
    frame: str


@router.get("/devices/{mn}/frames", response=Page[RawFrameOut], summary="设备原始报文（审计，按保留期清理）")
def device_frames(request, mn: str, page: PageParams = Query(...)):
    device = policy.get_visible(request.user, Device.objects.all(), mn=mn)
    qs = policy.visible(request.user, RawFrame.objects.filter(mn=device.mn))
    return paginate(qs, page, lambda f: {"received_at": local(f.received_at), "mn": f.mn, "channel": f.channel, "peer": f.peer,
                                         "outcome": f.outcome, "frame": f.frame})


class IngestLogOut(Schema):
    at: datetime
    channel: str
    peer: str
    mn: str
    reason: str
    reason_display: str
    detail: str
    frame: str


@router.get("/ingest-log", response=Page[IngestLogOut], summary="接入拒绝记录（未登记 MN、密码错误、报文错误）")
def ingest_log(request, filters: IngestLogFilter = Query(...), page: PageParams = Query(...)):
    qs = filters.filter(policy.visible(request.user, IngestLog.objects.all()))
    return paginate(qs, page, lambda e: {"at": local(e.at), "channel": e.channel, "peer": e.peer, "mn": e.mn, "reason": e.reason,
                                         "reason_display": str(e.get_reason_display()), "detail": e.detail, "frame": e.frame})
