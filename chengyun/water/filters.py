"""One filter definition per list: the page reads it from the query string, the API from its parameters."""
from __future__ import annotations

from datetime import datetime
from typing import Annotated, Optional

from django.db.models import OuterRef, Q, Subquery
from django.db.models.lookups import Exact
from ninja import FilterLookup, FilterSchema
from pydantic import Field


class SectionFilter(FilterSchema):
    q: Annotated[Optional[str], FilterLookup(["name__icontains", "code__icontains"]), Field(description="名称或编码包含")] = None
    water_body: Annotated[Optional[str], FilterLookup("water_body__code"), Field(description="水体编码")] = None
    street: Annotated[Optional[str], FilterLookup("street__code"), Field(description="街道编码")] = None
    compliant: Optional[bool] = Field(None, description="最新水质类别是否达到目标类别（true 达标 / false 未达标）")

    def filter_compliant(self, value: Optional[bool]) -> Q:
        if value is None:
            return Q()
        from .models import Aggregate

        # The newest judged hour, as queries.latest_aggregates reads it for the list's class column.
        newest = (Aggregate.objects.filter(site_kind="section", site_code=OuterRef("code"), period=Aggregate.Period.HOUR,
                                           water_class__isnull=False).order_by("-start").values("compliant")[:1])
        return Q(Exact(Subquery(newest), value))


class OutfallFilter(FilterSchema):
    q: Annotated[Optional[str], FilterLookup(["name__icontains", "code__icontains"]), Field(description="名称或编码包含")] = None
    kind: Annotated[Optional[str], FilterLookup("kind"), Field(description="排污口类型")] = None
    water_body: Annotated[Optional[str], FilterLookup("water_body__code"), Field(description="受纳水体编码")] = None
    street: Annotated[Optional[str], FilterLookup("street__code"), Field(description="街道编码")] = None
    unit: Annotated[Optional[str], FilterLookup("unit__code"), Field(description="责任单位编码")] = None


class AlertFilter(FilterSchema):
    status: Annotated[Optional[str], FilterLookup("status"), Field(description="状态：new / acknowledged / disposed")] = None
    kind: Annotated[Optional[str], FilterLookup("kind"), Field(description="告警类型")] = None
    site: Annotated[Optional[str], FilterLookup(["section__code", "outfall__code"]), Field(description="断面或排污口编码")] = None
    street: Annotated[Optional[str], FilterLookup("street__code"), Field(description="街道编码")] = None
    start: Annotated[Optional[datetime], FilterLookup("last_seen_at__gte"), Field(description="最近发现时间起（含）")] = None
    end: Annotated[Optional[datetime], FilterLookup("last_seen_at__lt"), Field(description="最近发现时间止（不含）")] = None
    open: Optional[bool] = Field(None, description="true：未处置（新告警与已确认）；false：已处置")

    def filter_open(self, value: Optional[bool]) -> Q:
        if value is None:
            return Q()
        from .models import Alert

        q = Q(status__in=[Alert.Status.NEW, Alert.Status.ACKNOWLEDGED])
        return q if value else ~q


class PatrolFilter(FilterSchema):
    chief: Annotated[Optional[int], FilterLookup("chief_id"), Field(description="河湖长编号")] = None
    level: Annotated[Optional[str], FilterLookup("chief__level"), Field(description="河长层级")] = None
    reach: Annotated[Optional[str], FilterLookup("reach__code"), Field(description="河段编码")] = None
    start: Annotated[Optional[datetime], FilterLookup("started_at__gte"), Field(description="开始时间起（含）")] = None
    end: Annotated[Optional[datetime], FilterLookup("started_at__lt"), Field(description="开始时间止（不含）")] = None


class WaterBodyFilter(FilterSchema):
    q: Annotated[Optional[str], FilterLookup(["name__icontains", "code__icontains"]), Field(description="名称或编码包含")] = None
    kind: Annotated[Optional[str], FilterLookup("kind"), Field(description="类型：river / lake")] = None


class ReachFilter(FilterSchema):
    q: Annotated[Optional[str], FilterLookup(["name__icontains", "code__icontains"]), Field(description="名称或编码包含")] = None
    water_body: Annotated[Optional[str], FilterLookup("water_body__code"), Field(description="水体编码")] = None
    level: Annotated[Optional[str], FilterLookup("level"), Field(description="层级")] = None
    chief: Annotated[Optional[int], FilterLookup("chief_id"), Field(description="河湖长编号")] = None
    vacant: Annotated[Optional[bool], FilterLookup("chief__isnull"), Field(description="true：尚无河湖长")] = None
    street: Annotated[Optional[str], FilterLookup("street__code"), Field(description="街道编码")] = None


class ChiefFilter(FilterSchema):
    q: Annotated[Optional[str], FilterLookup(["person__name__icontains", "title__icontains"]), Field(description="姓名或职务包含")] = None
    level: Annotated[Optional[str], FilterLookup("level"), Field(description="层级")] = None
    active: Annotated[Optional[bool], FilterLookup("active"), Field(description="是否在任")] = None


class CameraFilter(FilterSchema):
    q: Annotated[Optional[str], FilterLookup(["name__icontains", "code__icontains"]), Field(description="名称或编码包含")] = None
    outfall: Annotated[Optional[str], FilterLookup("outfall__code"), Field(description="排污口编码")] = None
    active: Annotated[Optional[bool], FilterLookup("active"), Field(description="是否启用")] = None
