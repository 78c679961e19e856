"""The water router and what several of its parts share: a PATCH body's changed fields, and
the records a request body names (``people.lookup.referenced``: unknown is a 422 naming the field)."""
from __future__ import annotations

from typing import Any, Optional

from ninja import Router, Schema

from chengyun.geo.models import Unit
from chengyun.people.lookup import referenced

from ..models import Reach, RiverChief, WaterBody

router = Router(tags=["水环境"])


def changed_fields(body: Schema) -> dict[str, Any]:
    """The fields a PATCH body sets (an explicit null included)."""
    return body.model_dump(exclude_unset=True)


def water_body_named(code: Optional[str]) -> WaterBody:
    return referenced(WaterBody.objects, code, what="水体", field="water_body", lookup="code", optional=False)


def reach_named(code: Optional[str]) -> Optional[Reach]:
    return referenced(Reach.objects, code, what="河段", field="reach", lookup="code")


def chief_named(chief_id: Optional[int], field: str = "chief_id") -> Optional[RiverChief]:
    return referenced(RiverChief.objects.select_related("person"), chief_id, what="河湖长", field=field, code="unknown_chief")


def unit_named(code: Optional[str], field: str = "unit", what: str = "责任单位", optional: bool = False) -> Optional[Unit]:
    return referenced(Unit.objects, code, what=what, field=field, lookup="code", optional=optional, code="unknown_unit")
