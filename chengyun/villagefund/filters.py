"""One filter per list, used by the list pages and the API alike."""
from __future__ import annotations

from typing import Annotated, Optional

from django.db.models import Q
from ninja import FilterLookup, FilterSchema
from pydantic import Field

from . import workflow as wf


class FundProjectFilter(FilterSchema):
    q: Annotated[Optional[str], FilterLookup(["name__icontains", "code__icontains", "village__name__icontains"]),
                 Field(description="名称、编号或村名包含")] = None
    state: Annotated[Optional[str], FilterLookup("state"), Field(description="状态编码")] = None
    batch: Annotated[Optional[int], FilterLookup("batch_id"), Field(description="资金批次 id")] = None
    year: Annotated[Optional[int], FilterLookup("batch__year"), Field(description="批次年度")] = None
    village: Annotated[Optional[int], FilterLookup("village_id"), Field(description="村 id")] = None
    street: Annotated[Optional[str], FilterLookup("village__community__street__code"), Field(description="街道编码")] = None
    model: Annotated[Optional[str], FilterLookup("model"), Field(description="发展模式编码")] = None
    stalled: Annotated[Optional[bool], FilterLookup("stalled"), Field(description="停滞")] = None
    approved: Annotated[Optional[bool], Field(description="已批准（批准、公示及以后）")] = None

    def filter_approved(self, value: Optional[bool]) -> Q:
        if value is None:
            return Q()
        q = Q(state__in=wf.APPROVED_STATES)
        return q if value else ~q


class VillageFilter(FilterSchema):
    q: Annotated[Optional[str], FilterLookup(["name__icontains", "organisation__icontains", "credit_code__icontains"]),
                 Field(description="村名、组织名称或信用代码包含")] = None
    street: Annotated[Optional[str], FilterLookup("community__street__code"), Field(description="街道编码")] = None
    below_target: Annotated[Optional[int], Field(description="该年度经营性收入低于目标的村（年度）")] = None

    def filter_below_target(self, value: Optional[int]) -> Q:
        if not value:
            return Q()
        from .services.performance import villages_below_target

        return Q(pk__in=list(villages_below_target(value).values_list("pk", flat=True)))


class PaymentFilter(FilterSchema):
    project: Annotated[Optional[int], FilterLookup("project_id"), Field(description="项目 id")] = None
    batch: Annotated[Optional[int], FilterLookup("project__batch_id"), Field(description="资金批次 id")] = None
    kind: Annotated[Optional[str], FilterLookup("kind"), Field(description="拨付方式")] = None


class ReturnFilter(FilterSchema):
    project: Annotated[Optional[int], FilterLookup("project_id"), Field(description="项目 id")] = None
    year: Annotated[Optional[int], FilterLookup("year"), Field(description="年度")] = None
    village: Annotated[Optional[int], FilterLookup("project__village_id"), Field(description="村 id")] = None
