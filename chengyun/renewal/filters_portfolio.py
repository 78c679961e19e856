"""One filter per portfolio list, used by the API and the pages alike."""
from __future__ import annotations

from typing import Annotated, Optional

from django.db.models import Q
from ninja import FilterLookup, FilterSchema
from pydantic import Field


class RenewalProjectFilter(FilterSchema):
    q: Annotated[Optional[str], FilterLookup(["name__icontains", "code__icontains"]), Field(description="名称或编号包含")] = None
    type: Annotated[Optional[str], FilterLookup("type"), Field(description="项目类型编码")] = None
    state: Annotated[Optional[str], FilterLookup("state"), Field(description="项目阶段编码")] = None
    street: Annotated[Optional[str], FilterLookup("street__code"), Field(description="街道编码")] = None
    unit: Annotated[Optional[str], FilterLookup("responsible_unit__code"), Field(description="责任单位编码")] = None
    year: Annotated[Optional[int], Field(description="计划期包含的年度")] = None

    def filter_year(self, value: Optional[int]) -> Q:
        return Q(start_year__lte=value, end_year__gte=value) if value else Q()


class CompoundFilter(FilterSchema):
    q: Annotated[Optional[str], FilterLookup(["name__icontains", "code__icontains", "address__icontains"]), Field(description="名称、编码或地址包含")] = None
    community: Annotated[Optional[str], FilterLookup("community__code"), Field(description="社区编码")] = None
    street: Annotated[Optional[str], FilterLookup("community__street__code"), Field(description="街道编码")] = None
    management_mode: Annotated[Optional[str], FilterLookup("management_mode"), Field(description="物业管理方式")] = None
    built_by: Annotated[Optional[int], FilterLookup("built_year__lte"), Field(description="建成年份不晚于")] = None


class LiftFilter(FilterSchema):
    compound: Annotated[Optional[str], FilterLookup("compound__code"), Field(description="小区编码")] = None
    community: Annotated[Optional[str], FilterLookup("compound__community__code"), Field(description="社区编码")] = None
    approved: Annotated[Optional[bool], FilterLookup("approved"), Field(description="表决通过")] = None
