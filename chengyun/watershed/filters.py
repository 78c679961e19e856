"""One filter definition per list, used by the page (geo.views.filter_from_query) and the API alike."""
from __future__ import annotations

from typing import Annotated, Optional

from django.db.models import Q
from ninja import FilterLookup, FilterSchema
from pydantic import Field

from . import workflow


class ErosionProjectFilter(FilterSchema):
    q: Annotated[Optional[str], FilterLookup(["code__icontains", "name__icontains", "developer__icontains"]), Field(description="编号、名称或建设单位包含")] = None
    state: Annotated[Optional[str], FilterLookup("state"), Field(description="阶段")] = None
    active: Annotated[Optional[bool], Field(description="true：未销号且未验收的在建项目")] = None
    watershed: Annotated[Optional[str], FilterLookup("watershed__code"), Field(description="小流域编码")] = None
    street: Annotated[Optional[str], FilterLookup("street__code"), Field(description="街道编码")] = None

    def filter_active(self, value: Optional[bool]) -> Q:
        if value is None:
            return Q()
        q = Q(state__in=workflow.PROJECT_OPEN)
        return q if value else ~q


class JointIncidentFilter(FilterSchema):
    state: Annotated[Optional[str], FilterLookup("state"), Field(description="状态")] = None
    active: Annotated[Optional[bool], Field(description="true：未办结的事件")] = None
    neighbour: Annotated[Optional[str], FilterLookup("neighbour__code"), Field(description="相邻区县编码")] = None
    section: Annotated[Optional[str], FilterLookup("section__code"), Field(description="交界断面编码")] = None

    def filter_active(self, value: Optional[bool]) -> Q:
        if value is None:
            return Q()
        q = Q(state__in=workflow.INCIDENT_OPEN)
        return q if value else ~q


class BoundarySectionFilter(FilterSchema):
    neighbour: Annotated[Optional[str], FilterLookup("neighbour__code"), Field(description="相邻区县编码")] = None
    upstream: Annotated[Optional[str], FilterLookup("upstream"), Field(description="上下游：neighbour 或 ours")] = None
