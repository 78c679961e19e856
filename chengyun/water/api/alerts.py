"""Water alerts: list and read them, and work them through the transitions the user may take
(acknowledge, dispose of, escalate to a case or a supervision task)."""
from __future__ import annotations

import datetime as dt
from typing import Any, Literal, Optional

from ninja import Query, Schema
from pydantic import Field

from chengyun.core.pagination import Page, PageParams, paginate
from chengyun.people import policy

from .. import services
from ..filters import AlertFilter
from ..models import Alert
from .common import router, unit_named


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
    lead_unit = unit_named(body.lead_unit, field="lead_unit", what="单位", optional=True)
    a = services.escalate_alert(request.user, _alert(request, alert_id), to=body.to, lead_unit=lead_unit, deadline=body.deadline, note=body.note)
    return alert_out(_alert(request, a.pk), request.user)
