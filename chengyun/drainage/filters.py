"""One filter definition per list: the page reads it from the query string, the API from its parameters."""
from __future__ import annotations

from typing import Optional

from django.db.models import Q
from ninja import FilterSchema
from pydantic import Field


class PipeFilter(FilterSchema):
    q: Optional[str] = Field(None, q=["code__icontains", "road_name__icontains"], description="编号或道路包含")
    type: Optional[str] = Field(None, q="type", description="管道类别 rain/sewage/combined")
    street: Optional[str] = Field(None, q="street__code", description="街道编码")
    material: Optional[str] = Field(None, q="material", description="材质")
    grade_min: Optional[int] = Field(None, q="structural_grade__gte", description="结构性缺陷等级不低于")
    inspected: Optional[bool] = Field(None, description="是否已检测")

    def filter_inspected(self, value: Optional[bool]) -> Q:
        if value is None:
            return Q()
        return Q(inspected_on__isnull=not value)


class NodeFilter(FilterSchema):
    q: Optional[str] = Field(None, q=["code__icontains", "name__icontains"], description="编号或名称包含")
    kind: Optional[str] = Field(None, q="kind", description="节点类型")
    street: Optional[str] = Field(None, q="street__code", description="街道编码")


class MisconnectionFilter(FilterSchema):
    kind: Optional[str] = Field(None, q="kind", description="类型")
    status: Optional[str] = Field(None, q="status", description="状态")
    street: Optional[str] = Field(None, q="street__code", description="街道编码")
