"""One filter definition per list, used by the pages (geo.views.filter_from_query) and the API alike."""
from __future__ import annotations

from datetime import date
from typing import Annotated, Optional

from ninja import FilterLookup, FilterSchema
from pydantic import Field


class StreetsAssignmentFilter(FilterSchema):
    q: Annotated[Optional[str], FilterLookup(["segment__name__icontains", "segment__code__icontains"]), Field(description="路段名称或编号包含")] = None
    street: Annotated[Optional[str], FilterLookup("street__code"), Field(description="街道编码")] = None
    chief: Annotated[Optional[int], FilterLookup("chief_id"), Field(description="街长（人员 id）")] = None
    team: Annotated[Optional[str], FilterLookup("team__code"), Field(description="责任队伍（单位编码）")] = None
    road_class: Annotated[Optional[str], FilterLookup("segment__road_class"), Field(description="道路等级")] = None


class StreetsPatrolFilter(FilterSchema):
    kind: Annotated[Optional[str], FilterLookup("kind"), Field(description="巡查类型：leader 街长巡街 / team 队伍巡查")] = None
    status: Annotated[Optional[str], FilterLookup("status"), Field(description="状态：ongoing / finished")] = None
    street: Annotated[Optional[str], FilterLookup("street__code"), Field(description="街道编码")] = None
    patroller: Annotated[Optional[int], FilterLookup("patroller_id"), Field(description="巡查人（人员 id）")] = None
    start: Annotated[Optional[date], FilterLookup("started_at__date__gte"), Field(description="开始日期起（含）")] = None
    end: Annotated[Optional[date], FilterLookup("started_at__date__lte"), Field(description="开始日期止（含）")] = None
    dropped: Optional[bool] = Field(None, description="有（true）或没有（false）剔除的轨迹点")

    def filter_dropped(self, value):
        from django.db.models import Q

        if value is None:
            return Q()
        return ~Q(dropped=[]) if value else Q(dropped=[])


class StreetsPermitFilter(FilterSchema):
    q: Annotated[Optional[str], FilterLookup(["number__icontains", "shop__name__icontains"]), Field(description="许可编号或店名包含")] = None
    state: Annotated[Optional[str], FilterLookup("state"), Field(description="状态")] = None
    policy: Annotated[Optional[str], FilterLookup("policy__code"), Field(description="一街一策编号")] = None
    street: Annotated[Optional[str], FilterLookup("street__code"), Field(description="街道编码")] = None
    season: Annotated[Optional[int], FilterLookup("season"), Field(description="经营年度")] = None
    shop: Annotated[Optional[str], FilterLookup("shop__code"), Field(description="商户编号")] = None


class StreetsShopFilter(FilterSchema):
    q: Annotated[Optional[str], FilterLookup(["code__icontains", "name__icontains", "credit_code__icontains"]), Field(description="编号、店名或统一社会信用代码包含")] = None
    street: Annotated[Optional[str], FilterLookup("street__code"), Field(description="街道编码")] = None
    policy: Annotated[Optional[str], FilterLookup("policy__code"), Field(description="一街一策编号")] = None


class StreetsViolationFilter(FilterSchema):
    policy: Annotated[Optional[str], FilterLookup("policy__code"), Field(description="一街一策编号")] = None
    street: Annotated[Optional[str], FilterLookup("street__code"), Field(description="街道编码")] = None
    season: Annotated[Optional[int], FilterLookup("season"), Field(description="经营年度")] = None
    shop: Annotated[Optional[str], FilterLookup("shop__code"), Field(description="商户编号")] = None
    rule: Annotated[Optional[str], FilterLookup("rule_code"), Field(description="违反的规则代码")] = None
    activity: Annotated[Optional[str], FilterLookup("activity"), Field(description="经营活动")] = None
    start: Annotated[Optional[date], FilterLookup("found_at__date__gte"), Field(description="发现日期起（含）")] = None
    end: Annotated[Optional[date], FilterLookup("found_at__date__lte"), Field(description="发现日期止（含）")] = None


class StreetsZoneFilter(FilterSchema):
    kind: Annotated[Optional[str], FilterLookup("kind"), Field(description="管控类别：forbidden / controlled / open")] = None
    street: Annotated[Optional[str], FilterLookup("street__code"), Field(description="街道编码")] = None
