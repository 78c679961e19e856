"""The ecological-civilization demonstration target sheet (国家生态文明建设示范区): indicators with
targets, actuals and responsible units, feeding the supervision module's key tasks (an unmet
indicator becomes one, once) and the health check where an indicator overlaps one of its own."""
from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import transaction

from chengyun.core import audit
from chengyun.core.errors import Invalid
from chengyun.people import policy

from ..models import DemoTask


def create_task(user: Any, *, code: str, name: str, category: str, unit: str, direction: str, target: Any, year: int,
                responsible_unit, health_indicator: str = "") -> DemoTask:
    """One line of the demonstration target sheet."""
    if user is not None:
        policy.require_create(user, DemoTask, unit_id=responsible_unit.pk, message="只有城运中心和系统管理员可以配置示范区建设指标")
    if direction not in ("at_least", "at_most"):
        raise Invalid("“direction”应为 at_least 或 at_most", code="bad_direction", detail={"field": "direction"})
    try:
        target = float(target)
    except (TypeError, ValueError):
        raise Invalid("“target”目标值应为数字", code="bad_value", detail={"field": "target"}) from None
    if DemoTask.objects.filter(code=code, year=year).exists():
        raise Invalid(f"{year} 年指标 {code} 已存在", code="demotask_exists", detail={"field": "code"})
    with transaction.atomic():
        t = DemoTask.objects.create(code=code, name=name, category=category, unit=unit, direction=direction, target=target, year=year,
                                    responsible_unit=responsible_unit, health_indicator=health_indicator)
        audit.created(t)
    return t


def record_actual(user: Any, task: DemoTask, value: Any) -> DemoTask:
    if user is not None:
        policy.require_write(user, task, "只有责任单位可以填报示范区建设指标")
    try:
        v = float(value)
    except (TypeError, ValueError):
        raise Invalid(f"“{task.name}”的现状值应为数字", code="bad_value", detail={"field": "actual"}) from None
    if v < 0 or v != v:
        raise Invalid(f"“{task.name}”的现状值不能为负数", code="value_out_of_range", detail={"field": "actual"})
    with transaction.atomic():
        audit.save_changes(task, {"actual": v}, verb="demotask.actual")
    return task


def to_key_tasks(user: Any, year: int, *, deadline: dt.date) -> list[str]:
    """Each unmet indicator of the year without a key task gets one, led by its responsible unit."""
    from chengyun.supervision import services as supervision

    made = []
    with transaction.atomic():
        for t in DemoTask.objects.filter(year=year, task_code="").select_related("responsible_unit"):
            if t.met is not False:
                continue
            task = supervision.create_task(user, title=f"生态文明建设示范区：{t.name}达标", source="superior", category="river",
                                           lead_unit=t.responsible_unit, deadline=deadline,
                                           description=f"{t.name}现状 {t.actual:g}{t.unit}，目标 {t.target:g}{t.unit}（{t.get_direction_display()}）",
                                           links=[("watershed.demotask", t.code)])
            audit.save_changes(t, {"task_code": task.code}, verb="demotask.to_task")
            made.append(task.code)
    return made


def metric(as_of: dt.date) -> dict[str, tuple[float, float]]:
    """Supervision metric: (indicators met, indicators with a value) of the year, for the whole district."""
    rows = [t for t in DemoTask.objects.filter(year=as_of.year) if t.actual is not None]
    return {"": (float(sum(1 for t in rows if t.met)), float(len(rows)))} if rows else {}


def health_provider(code: str):
    """A health-check provider giving the demonstration sheet's actual for the district."""
    def provide(year: int, unit_kind: str) -> dict[str, float]:
        if unit_kind != "district":
            return {}
        from chengyun.geo.models import District

        district = District.objects.order_by("code").values_list("code", flat=True).first()
        t = DemoTask.objects.filter(year=year, health_indicator=code).exclude(actual=None).first()
        return {district: t.actual} if t and district else {}
    return provide
