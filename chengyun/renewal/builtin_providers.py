"""Indicators the platform computes from its own data, registered into renewal.providers.

- 严重易涝积水点数量 from drainage: a manhole that overflowed (满溢/冒溢 records) at least
  settings.RENEWAL_SEVERE_WATERLOGGING_EVENTS times (default 2) in the year is a severe
  waterlogging point; counted per community, street and the district.
- 未实施物业管理的小区数量 from the compound register (geo.Compound, mode 无物业).
- The spatial coverage indicators (parks, fire stations, middle schools, 15-minute life
  circle) from the renewal layers, per community, street and district (coverage.py).
"""
from __future__ import annotations

import datetime as dt
from collections import Counter
from typing import Iterable

from django.conf import settings
from django.db.models import Count

from . import providers

PER_AREA = ("community", "street", "district")


def _district_code() -> str:
    from chengyun.geo.models import District

    return District.objects.order_by("code").values_list("code", flat=True).first() or ""


def _all_units(unit_kind: str) -> list[str]:
    from chengyun.geo.models import Community, Street

    if unit_kind == "community":
        return list(Community.objects.values_list("code", flat=True))
    if unit_kind == "street":
        return list(Street.objects.values_list("code", flat=True))
    if unit_kind == "district":
        return [c for c in [_district_code()] if c]
    return []


def _count_by_area(rows: Iterable[tuple[str | None, str | None]], unit_kind: str) -> dict[str, float]:
    """rows of (community code, street code) → count per unit of `unit_kind`, zero where none."""
    out: dict[str, float] = {code: 0.0 for code in _all_units(unit_kind)}
    counts: Counter = Counter()
    for community, street in rows:
        if unit_kind == "community" and community:
            counts[community] += 1
        elif unit_kind == "street" and street:
            counts[street] += 1
        elif unit_kind == "district":
            counts[_district_code()] += 1
    for code, n in counts.items():
        if code in out:
            out[code] = float(n)
    return out


def severe_waterlogging_points(year: int, unit_kind: str) -> dict[str, float]:
    if unit_kind not in PER_AREA:
        return {}
    from chengyun.drainage.models import OverflowRecord

    threshold = int(getattr(settings, "RENEWAL_SEVERE_WATERLOGGING_EVENTS", 2))
    start = dt.datetime(year, 1, 1, tzinfo=dt.timezone(dt.timedelta(hours=8)))
    end = dt.datetime(year + 1, 1, 1, tzinfo=dt.timezone(dt.timedelta(hours=8)))
    nodes = (OverflowRecord.objects.filter(occurred_at__gte=start, occurred_at__lt=end)
             .values("node_id", "node__grid__community__code", "node__grid__street__code")
             .annotate(n=Count("id")).filter(n__gte=threshold))
    return _count_by_area(((r["node__grid__community__code"], r["node__grid__street__code"]) for r in nodes), unit_kind)


def compounds_without_management(year: int, unit_kind: str) -> dict[str, float]:
    if unit_kind not in PER_AREA:
        return {}
    from chengyun.geo.models import Compound

    rows = (Compound.objects.filter(active=True, management_mode=Compound.ManagementMode.NONE)
            .values_list("community__code", "community__street__code"))
    return _count_by_area(rows, unit_kind)


def register_all() -> None:
    providers.register("drainage.severe_waterlogging_points", "严重易涝积水点数量（排水管网冒溢记录）", severe_waterlogging_points)
    providers.register("geo.compounds_without_management", "未实施物业管理的小区数量（小区登记）", compounds_without_management)
    from .services.layers import coverage_provider

    providers.register("layers.park_coverage", "公园绿化活动场地服务半径覆盖率（图层计算）", coverage_provider("park"))
    providers.register("layers.fire_station_coverage", "城市消防站服务半径覆盖率（图层计算）", coverage_provider("fire_station"))
    providers.register("layers.middle_school_coverage", "中学服务半径覆盖率（图层计算）", coverage_provider("middle_school"))
    providers.register("layers.life_circle_coverage", "十五分钟生活圈达标率（图层计算）", coverage_provider("life_circle"))
