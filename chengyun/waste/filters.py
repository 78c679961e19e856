"""One filter definition per list, used by the page (geo.views.filter_from_query) and the API alike."""
from __future__ import annotations

import datetime as dt
from typing import Annotated, Optional

from django.db.models import Q
from ninja import FilterLookup, FilterSchema
from pydantic import Field


class SortingCompoundFilter(FilterSchema):
    q: Annotated[Optional[str], FilterLookup(["compound__code__icontains", "compound__name__icontains"]), Field(description="小区编码或名称包含")] = None
    street: Annotated[Optional[str], FilterLookup("street__code"), Field(description="街道编码")] = None
    community: Annotated[Optional[str], FilterLookup("community__code"), Field(description="社区编码")] = None
    compliant: Annotated[Optional[bool], FilterLookup("compliant"), Field(description="是否达标小区")] = None
    demo_area: Annotated[Optional[str], FilterLookup("demo_area__code"), Field(description="示范片区编号")] = None
    sorting: Annotated[Optional[bool], Field(description="是否已实施分类")] = None

    def filter_sorting(self, value: Optional[bool]) -> Q:
        if value is None:
            return Q()
        return Q(sorting_since__isnull=not value)


class CheckFilter(FilterSchema):
    compound: Annotated[Optional[str], FilterLookup("compound__code"), Field(description="小区编码")] = None
    community: Annotated[Optional[str], FilterLookup("community__code"), Field(description="社区编码")] = None
    street: Annotated[Optional[str], FilterLookup("street__code"), Field(description="街道编码")] = None
    kind: Annotated[Optional[str], FilterLookup("kind"), Field(description="survey 入户调查 / inspection 桶边检查")] = None
    since: Annotated[Optional[dt.date], FilterLookup("checked_on__gte"), Field(description="日期起")] = None
