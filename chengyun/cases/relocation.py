"""Moving a case on its detail page: who may, and the move with its reason.

The move itself is services.move (policy, re-locate street/community/grid, timeline entry,
audit); the page adds a required reason, kept on the move's timeline entry and in the audit
log next to the move, in the same transaction.
"""
from __future__ import annotations

from typing import Any

from django.db import transaction

from chengyun.core import audit
from chengyun.core.errors import Invalid
from chengyun.people import policy

from . import services, workflow
from .models import Case

MOVERS = workflow.OPS_DESK | workflow.DISPATCH_DESK | workflow.GRID_WORKERS


def can_move(user: Any, case: Case) -> bool:
    """The policy services.move applies, asked before drawing a draggable marker."""
    return (case.status not in workflow.TERMINAL and policy.principal(user).has(MOVERS)
            and policy.can_write(user, case))


def move_with_reason(user: Any, case: Case, *, lng: Any, lat: Any, crs: str = "wgs84", reason: str = "") -> Case:
    reason = (reason or "").strip()
    if not reason:
        raise Invalid("请填写修改位置的原因", code="missing_reason", detail={"field": "reason"})
    try:
        lng, lat = float(lng), float(lat)
    except (TypeError, ValueError):
        raise Invalid("经纬度必须是数字", code="bad_coordinates", detail={"field": "lng/lat"}) from None
    with transaction.atomic():
        services.move(user, case, lng=lng, lat=lat, crs=crs)
        event = case.events.filter(action="move").order_by("-at", "-id").first()
        event.note = reason[:500]
        event.save(update_fields=["note"])
        audit.action(case, "move_reason", after={"reason": reason[:500], "event": event.pk})
    return case
