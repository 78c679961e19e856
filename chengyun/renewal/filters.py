"""One filter definition per list, used by the page (geo.views.filter_from_query) and the API alike."""
from __future__ import annotations

from typing import Annotated, Optional

from ninja import FilterLookup, FilterSchema
from pydantic import Field


class ProblemFilter(FilterSchema):
    q: Annotated[Optional[str], FilterLookup(["code__icontains", "title__icontains", "problem_type__icontains"]), Field(description="编号、问题或类型包含")] = None
    year: Annotated[Optional[int], FilterLookup("year"), Field(description="体检年度")] = None
    state: Annotated[Optional[str], FilterLookup("state"), Field(description="状态")] = None
    dimension: Annotated[Optional[str], FilterLookup("indicator__dimension"), Field(description="维度")] = None
    indicator: Annotated[Optional[str], FilterLookup("indicator__code"), Field(description="指标编码")] = None
    origin: Annotated[Optional[str], FilterLookup("origin"), Field(description="来源")] = None
    severity: Annotated[Optional[str], FilterLookup("severity"), Field(description="严重程度")] = None
    problem_type: Annotated[Optional[str], FilterLookup("problem_type"), Field(description="问题类型")] = None
    street: Annotated[Optional[str], FilterLookup("street__code"), Field(description="街道编码")] = None
    community: Annotated[Optional[str], FilterLookup("community__code"), Field(description="社区编码")] = None
    compound: Annotated[Optional[str], FilterLookup("compound__code"), Field(description="小区编码")] = None
    unit: Annotated[Optional[str], FilterLookup("responsible_unit__code"), Field(description="责任单位编码")] = None


class MeasurementFilter(FilterSchema):
    year: Annotated[Optional[int], FilterLookup("year"), Field(description="年度")] = None
    indicator: Annotated[Optional[str], FilterLookup("indicator__code"), Field(description="指标编码")] = None
    dimension: Annotated[Optional[str], FilterLookup("indicator__dimension"), Field(description="维度")] = None
    unit_kind: Annotated[Optional[str], FilterLookup("unit_kind"), Field(description="空间单元类型")] = None
    unit_code: Annotated[Optional[str], FilterLookup("unit_code"), Field(description="空间单元编码")] = None
    origin: Annotated[Optional[str], FilterLookup("origin"), Field(description="填报或计算")] = None
