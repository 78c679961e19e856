"""One filter definition per list, used by the page (geo.views.filter_from_query) and the API alike."""
from __future__ import annotations

import datetime as dt
from typing import Annotated, Optional

from django.db.models import F, Q
from ninja import FilterLookup, FilterSchema
from pydantic import Field


class VehicleFilter(FilterSchema):
    q: Annotated[Optional[str], FilterLookup(["code__icontains", "plate__icontains"]), Field(description="终端编号或车牌包含")] = None
    unit: Annotated[Optional[str], FilterLookup("unit__code"), Field(description="作业单位编码")] = None
    street: Annotated[Optional[str], FilterLookup("street__code"), Field(description="街道编码")] = None
    kind: Annotated[Optional[str], FilterLookup("kind"), Field(description="车型")] = None


class TrackFilter(FilterSchema):
    day: Annotated[Optional[dt.date], FilterLookup("day"), Field(description="日期")] = None
    vehicle: Annotated[Optional[str], FilterLookup("vehicle__code"), Field(description="车载终端编号")] = None
    with_dropped: Annotated[Optional[bool], Field(description="只看有剔除点的轨迹")] = None

    def filter_with_dropped(self, value: Optional[bool]) -> Q:
        return Q(dropped_count__gt=0) if value else Q()


class CoverageFilter(FilterSchema):
    street: Annotated[Optional[str], FilterLookup("street__code"), Field(description="街道编码")] = None
    grade: Annotated[Optional[int], FilterLookup("segment__sweep_plan__grade"), Field(description="保洁等级")] = None
    missed: Annotated[Optional[bool], Field(description="只看未完成计划遍数的路段")] = None
    q: Annotated[Optional[str], FilterLookup(["segment__code__icontains", "segment__name__icontains"]), Field(description="路段编号或名称包含")] = None

    def filter_missed(self, value: Optional[bool]) -> Q:
        if value is None:
            return Q()
        return Q(passes__lt=F("planned_passes")) if value else Q(planned_passes__gt=0, passes__gte=F("planned_passes"))


class InspectionFilter(FilterSchema):
    street: Annotated[Optional[str], FilterLookup("street__code"), Field(description="街道编码")] = None
    segment: Annotated[Optional[str], FilterLookup("segment__code"), Field(description="路段编号")] = None
    meets: Annotated[Optional[bool], FilterLookup("meets"), Field(description="是否达标")] = None
    since: Annotated[Optional[dt.date], FilterLookup("inspected_on__gte"), Field(description="检查日期起")] = None
    until: Annotated[Optional[dt.date], FilterLookup("inspected_on__lte"), Field(description="检查日期止")] = None


class DemoStreetFilter(FilterSchema):
    street: Annotated[Optional[str], FilterLookup("street__code"), Field(description="街道编码")] = None
    status: Annotated[Optional[str], FilterLookup("status"), Field(description="状态")] = None
    q: Annotated[Optional[str], FilterLookup(["code__icontains", "name__icontains"]), Field(description="编号或名称包含")] = None
