"""One filter definition per list: the page reads it from the query string, the API from its parameters."""
from __future__ import annotations

from datetime import datetime
from typing import Optional

from ninja import FilterSchema
from pydantic import Field


class SectionFilter(FilterSchema):
    q: Optional[str] = Field(None, q=["name__icontains", "code__icontains"], description="名称或编码包含")
    water_body: Optional[str] = Field(None, q="water_body__code", description="水体编码")
    street: Optional[str] = Field(None, q="street__code", description="街道编码")


class OutfallFilter(FilterSchema):
    q: Optional[str] = Field(None, q=["name__icontains", "code__icontains"], description="名称或编码包含")
    kind: Optional[str] = Field(None, q="kind", description="排污口类型")
    water_body: Optional[str] = Field(None, q="water_body__code", description="受纳水体编码")
    street: Optional[str] = Field(None, q="street__code", description="街道编码")
    unit: Optional[str] = Field(None, q="unit__code", description="责任单位编码")


class AlertFilter(FilterSchema):
    status: Optional[str] = Field(None, q="status", description="状态：new / acknowledged / disposed")
    kind: Optional[str] = Field(None, q="kind", description="告警类型")
    site: Optional[str] = Field(None, q=["section__code", "outfall__code"], description="断面或排污口编码")
    street: Optional[str] = Field(None, q="street__code", description="街道编码")
    start: Optional[datetime] = Field(None, q="last_seen_at__gte", description="最近发现时间起（含）")
    end: Optional[datetime] = Field(None, q="last_seen_at__lt", description="最近发现时间止（不含）")


class PatrolFilter(FilterSchema):
    chief: Optional[int] = Field(None, q="chief_id", description="河湖长编号")
    level: Optional[str] = Field(None, q="chief__level", description="河长层级")
    reach: Optional[str] = Field(None, q="reach__code", description="河段编码")
    start: Optional[datetime] = Field(None, q="started_at__gte", description="开始时间起（含）")
    end: Optional[datetime] = Field(None, q="started_at__lt", description="开始时间止（不含）")
