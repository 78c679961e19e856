"""Sweeping vehicles and the sweeping plan per segment (grade and passes from CJJ/T 126-2022)."""
from __future__ import annotations

import re
from typing import Any

from django.db import transaction

from chengyun.core import audit
from chengyun.core.errors import Conflict, Invalid
from chengyun.geo.models import Street, Unit
from chengyun.people import policy
from chengyun.people.lookup import referenced
from chengyun.roads.models import RoadSegment
from chengyun.standards import cjjt126

from ..models import SweepPlan, Vehicle

_CODE = re.compile(r"[A-Za-z0-9_-]{2,32}")
VEHICLE_FIELDS = ("plate", "kind", "street", "feed_password", "active")


def _check_kind(kind: str) -> str:
    if kind not in Vehicle.Kind.values:
        raise Invalid(f"车型“{kind}”无效（可选：{'、'.join(Vehicle.Kind.values)}）", code="unknown_kind", detail={"field": "kind"})
    return kind


def create_vehicle(user: Any, *, code: str, plate: str, unit: str, kind: str = Vehicle.Kind.WASH_SWEEPER, street: str = "",
                   feed_password: str = "") -> Vehicle:
    code, plate = (code or "").strip(), (plate or "").strip()
    if not _CODE.fullmatch(code):
        raise Invalid("车载终端编号应为 2-32 位字母、数字、下划线或连字符", code="bad_code", detail={"field": "code"})
    if code.lower() == "new":  # /sanitation/vehicles/new/ is the registration form, not a vehicle's page
        raise Invalid("车载终端编号不能为 new（与登记页面的地址冲突）", code="bad_code", detail={"field": "code"})
    if not plate:
        raise Invalid("请填写车牌号", code="plate_required", detail={"field": "plate"})
    unit_obj = referenced(Unit.objects, unit, field="unit", what="作业单位", lookup="code", optional=False)
    street_obj = referenced(Street.objects, street, field="street", what="街道", lookup="code")
    if user is not None:
        policy.require_create(user, Vehicle, unit_id=unit_obj.pk, street_id=street_obj.pk if street_obj else None,
                              message="只有作业单位可以登记本单位的车辆")
    _check_kind(kind)
    if Vehicle.objects.filter(code=code).exists() or Vehicle.objects.filter(plate=plate).exists():
        raise Conflict(f"车辆 {code} / {plate} 已登记", code="vehicle_exists")
    v = Vehicle.objects.create(code=code, plate=plate, kind=kind, unit=unit_obj, street=street_obj, feed_password=feed_password or "")
    audit.created(v)
    return v


def update_vehicle(user: Any, vehicle: Vehicle, **changes: Any) -> Vehicle:
    if user is not None:
        policy.require_write(user, vehicle)
    unknown = set(changes) - set(VEHICLE_FIELDS)
    if unknown:
        raise Invalid(f"不能修改的字段：{'、'.join(sorted(unknown))}", code="bad_field", detail={"fields": sorted(unknown)})
    values = dict(changes)
    if "kind" in values:
        _check_kind(values["kind"])
    if "street" in values:
        values["street"] = referenced(Street.objects, values["street"], field="street", what="街道", lookup="code")
    if "plate" in values and Vehicle.objects.filter(plate=values["plate"]).exclude(pk=vehicle.pk).exists():
        raise Conflict(f"车牌号 {values['plate']} 已登记", code="vehicle_exists")
    audit.save_changes(vehicle, values)
    return vehicle


def ensure_plans(unit: Unit | None = None) -> int:
    """Give every segment without a plan the default of its road class; the number created."""
    have = set(SweepPlan.objects.values_list("segment_id", flat=True))
    new = []
    for seg in RoadSegment.objects.exclude(pk__in=have).only("id", "road_class", "street_id"):
        grade = cjjt126.grade_for_road_class(seg.road_class)
        new.append(SweepPlan(segment=seg, grade=grade, passes_per_day=cjjt126.FREQUENCIES[grade].mechanized_passes_per_day,
                             unit=unit, street_id=seg.street_id))
    with transaction.atomic():
        SweepPlan.objects.bulk_create(new)
        if new:
            audit.bulk_created(SweepPlan.objects.filter(segment_id__in=[p.segment_id for p in new]), verb="default_plan")
    return len(new)


def set_plan(user: Any, segment_code: str, *, grade: int, passes_per_day: int | None = None) -> SweepPlan:
    seg = referenced(RoadSegment.objects, segment_code, field="segment", what="路段", lookup="code", optional=False)
    if grade not in cjjt126.GRADES:
        raise Invalid("保洁等级应为 1、2 或 3", code="bad_grade", detail={"field": "grade"})
    passes = cjjt126.FREQUENCIES[grade].mechanized_passes_per_day if passes_per_day is None else passes_per_day
    if not isinstance(passes, int) or not 0 <= passes <= 12:
        raise Invalid("计划机扫遍数应为 0-12 的整数", code="bad_passes", detail={"field": "passes_per_day"})
    plan = SweepPlan.objects.filter(segment=seg).first()
    if plan is None:
        if user is not None:
            policy.require_create(user, SweepPlan, street_id=seg.street_id)
        plan = SweepPlan.objects.create(segment=seg, grade=grade, passes_per_day=passes, street_id=seg.street_id)
        audit.created(plan)
        return plan
    if user is not None:
        policy.require_write(user, plan)
    audit.save_changes(plan, {"grade": grade, "passes_per_day": passes})
    return plan
