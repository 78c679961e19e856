"""/api/v1/cockpit/: the panel registry's data — every panel the user may see, or one by key —
for a period (start, end: ISO dates, inclusive; today by default) and a street (its code)."""
from __future__ import annotations

from typing import Any, Optional

from ninja import Router, Schema

from chengyun.people import policy

from . import access
from .collect import as_json, collect, make_scope

router = Router(tags=["领导驾驶舱"])


class CockpitFigureOut(Schema):
    label: str
    value: Any
    unit: str
    url: str
    status: str
    counted: bool


class CockpitPanelOut(Schema):
    key: str
    title: str
    order: int
    error: str
    ms: float
    figures: list[CockpitFigureOut]
    chart: Optional[dict]
    rows: list[dict]
    points: list[dict]
    note: str


class CockpitPanelsOut(Schema):
    start: str
    end: str
    street: Optional[str]
    panels: list[CockpitPanelOut]


@router.get("/panels", response=CockpitPanelsOut, summary="驾驶舱面板数据（各模块登记的面板；可按 key 取一个）")
def panels(request, start: Optional[str] = None, end: Optional[str] = None, street: Optional[str] = None, key: Optional[str] = None):
    policy.require_role(request.user, access.VIEWERS, "您的角色无权查看领导驾驶舱")
    scope = make_scope(request.user, start, end, street)
    return {"start": scope.start.isoformat(), "end": scope.end.isoformat(), "street": street or None,
            "panels": [as_json(r) for r in collect(scope, key)]}
