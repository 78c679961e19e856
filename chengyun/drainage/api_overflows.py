"""Overflow records under /api/v1/drainage/overflows: those fed from water's overflow alerts say
so and link their alert; ``POST`` enters one where nothing measures (``overflow_feed``)."""
from __future__ import annotations

import datetime as dt
from typing import Optional

from ninja import Query, Router, Schema, Status
from pydantic import Field

from chengyun.core.pagination import Page, PageParams, paginate
from chengyun.people import policy

from . import overflow_feed
from .models import OverflowRecord

# Mounted on drainage's router by drainage.api (this module must not import it back).
router = Router()


class OverflowOut(Schema):
    id: int
    node: str
    node_kind: str
    occurred_at: dt.datetime
    ended_at: Optional[dt.datetime] = None
    duration_min: Optional[int] = Field(None, description="首次到最后一次发现溢流的分钟数")
    peak_lps: Optional[float] = None
    source: str
    note: str
    from_alert: bool = Field(..., description="由水环境溢流告警自动生成（否则为人工登记）")
    alert_id: Optional[int] = None
    alert_url: Optional[str] = None
    open: bool = Field(..., description="告警尚未关闭：溢流可能仍在持续")
    closed_at: Optional[dt.datetime] = None
    evidence: dict


def overflow_out(r: OverflowRecord) -> dict:
    return {"id": r.pk, "node": r.node.code, "node_kind": r.node.kind, "occurred_at": r.occurred_at, "ended_at": r.ended_at,
            "duration_min": r.duration_min, "peak_lps": r.peak_lps,
            "source": r.source, "note": r.note, "from_alert": r.from_alert, "alert_id": r.water_alert_id,
            "alert_url": r.alert_url or None, "open": r.is_open, "closed_at": r.closed_at, "evidence": r.evidence}


@router.get("/overflows", response=Page[OverflowOut], summary="冒溢记录（含由溢流告警生成的记录及其告警链接）")
def overflows(request, node: Optional[str] = None, from_alert: Optional[bool] = None, page: PageParams = Query(...)):
    qs = policy.visible(request.user, OverflowRecord.objects.select_related("node"))
    if node:
        qs = qs.filter(node__code=node)
    if from_alert is not None:
        qs = qs.filter(water_alert_id__isnull=not from_alert)
    return paginate(qs, page, overflow_out)


@router.get("/overflows/{pk}", response=OverflowOut, summary="冒溢记录详情")
def overflow(request, pk: int):
    return overflow_out(policy.get_visible(request.user, OverflowRecord.objects.select_related("node"), pk=pk))


class OverflowIn(Schema):
    node: str = Field(..., description="节点编码（检查井、排口）")
    occurred_at: dt.datetime
    ended_at: Optional[dt.datetime] = None
    peak_lps: Optional[float] = None
    source: str = Field("巡查", description="发现途径，如 巡查、群众反映")
    note: str = ""


@router.post("/overflows", response={201: OverflowOut}, summary="人工登记冒溢（无监测设备处；有设备的排口由溢流告警自动生成）")
def enter_overflow(request, body: OverflowIn):
    record = overflow_feed.enter_overflow(request.user, body.node, occurred_at=body.occurred_at, ended_at=body.ended_at,
                                          peak_lps=body.peak_lps, note=body.note, source=body.source)
    return Status(201, overflow_out(record))
