"""One filter definition per list: the page reads it from the query string, the API from its parameters."""
from __future__ import annotations

from typing import Annotated, Optional

from django.db.models import Q
from ninja import FilterLookup, FilterSchema
from pydantic import Field


class PipeFilter(FilterSchema):
    q: Annotated[Optional[str], FilterLookup(["code__icontains", "road_name__icontains"]), Field(description="编号或道路包含")] = None
    type: Annotated[Optional[str], FilterLookup("type"), Field(description="管道类别 rain/sewage/combined")] = None
    street: Annotated[Optional[str], FilterLookup("street__code"), Field(description="街道编码")] = None
    material: Annotated[Optional[str], FilterLookup("material"), Field(description="材质")] = None
    grade_min: Annotated[Optional[int], FilterLookup("structural_grade__gte"), Field(description="结构性缺陷等级不低于")] = None
    inspected: Optional[bool] = Field(None, description="是否已检测")

    def filter_inspected(self, value: Optional[bool]) -> Q:
        if value is None:
            return Q()
        return Q(inspected_on__isnull=not value)


class NodeFilter(FilterSchema):
    q: Annotated[Optional[str], FilterLookup(["code__icontains", "name__icontains"]), Field(description="编号或名称包含")] = None
    kind: Annotated[Optional[str], FilterLookup("kind"), Field(description="节点类型")] = None
    street: Annotated[Optional[str], FilterLookup("street__code"), Field(description="街道编码")] = None


class MisconnectionFilter(FilterSchema):
    kind: Annotated[Optional[str], FilterLookup("kind"), Field(description="类型")] = None
    status: Annotated[Optional[str], FilterLookup("status"), Field(description="状态")] = None
    street: Annotated[Optional[str], FilterLookup("street__code"), Field(description="街道编码")] = None
