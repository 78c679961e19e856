"""One filter definition per list, used by the page (geo.views.filter_from_query) and the API alike."""
from __future__ import annotations

from typing import Annotated, Optional

from ninja import FilterLookup, FilterSchema
from pydantic import Field


class PropertyCompanyFilter(FilterSchema):
    q: Annotated[Optional[str], FilterLookup(["name__icontains", "credit_code__icontains"]), Field(description="名称或信用代码包含")] = None
    grade: Annotated[Optional[str], FilterLookup("grade"), Field(description="信用等级（AAA、AA、A、B、C、blacklist）")] = None
    board: Annotated[Optional[str], FilterLookup("board"), Field(description="红黑榜（red、black）")] = None


class PropertyRecordFilter(FilterSchema):
    company: Annotated[Optional[int], FilterLookup("company_id"), Field(description="企业")] = None
    kind: Annotated[Optional[str], FilterLookup("kind"), Field(description="good 优良 / bad 不良")] = None
    item: Annotated[Optional[str], FilterLookup("item__code"), Field(description="评分项编码")] = None
    serious: Annotated[Optional[bool], FilterLookup("serious"), Field(description="严重失信")] = None


class PropertyCompoundFilter(FilterSchema):
    q: Annotated[Optional[str], FilterLookup(["name__icontains", "code__icontains"]), Field(description="小区名称或编码包含")] = None
    street: Annotated[Optional[str], FilterLookup("community__street__code"), Field(description="街道编码")] = None
    community: Annotated[Optional[str], FilterLookup("community__code"), Field(description="社区编码")] = None
    mode: Annotated[Optional[str], FilterLookup("management_mode"), Field(description="物业管理方式")] = None
    company: Annotated[Optional[int], FilterLookup("management__company_id"), Field(description="物业服务企业")] = None


class PropertyFileFilter(FilterSchema):
    state: Annotated[Optional[str], FilterLookup("state"), Field(description="状态")] = None
    path: Annotated[Optional[str], FilterLookup("path"), Field(description="覆盖路径")] = None
    street: Annotated[Optional[str], FilterLookup("street__code"), Field(description="街道编码")] = None
    community: Annotated[Optional[str], FilterLookup("community__code"), Field(description="社区编码")] = None
    open: Annotated[Optional[bool], FilterLookup("closed_on__isnull"), Field(description="未销号（true）或已销号（false）")] = None


class PropertyAssessmentFilter(FilterSchema):
    period: Annotated[Optional[str], FilterLookup("period"), Field(description="考核期，如 2025Q3")] = None
    street: Annotated[Optional[str], FilterLookup("street__code"), Field(description="街道编码")] = None
    community: Annotated[Optional[str], FilterLookup("community__code"), Field(description="社区编码")] = None
    company: Annotated[Optional[int], FilterLookup("company_id"), Field(description="物业服务企业")] = None
    passed: Annotated[Optional[bool], FilterLookup("passed"), Field(description="合格")] = None
    flagged: Annotated[Optional[bool], FilterLookup("flagged"), Field(description="连续两期不合格")] = None
