"""One filter definition per list: the pages read it from the query string, the API from its parameters."""
from __future__ import annotations

import datetime as dt
from typing import Annotated, Optional

from django.db.models import Exists, OuterRef, Q

from ninja import FilterLookup, FilterSchema
from pydantic import Field


class TaskFilter(FilterSchema):
    q: Annotated[Optional[str], FilterLookup(["title__icontains", "code__icontains"]), Field(description="名称或编号包含")] = None
    category: Annotated[Optional[str], FilterLookup("category__code"), Field(description="类别编码")] = None
    unit: Annotated[Optional[str], FilterLookup("lead_unit__code"), Field(description="牵头单位编码")] = None
    status: Annotated[Optional[str], FilterLookup("status"), Field(description="状态 green/yellow/red")] = None
    state: Annotated[Optional[str], FilterLookup("state"), Field(description="办理状态 active/completed/cancelled")] = None
    source: Annotated[Optional[str], FilterLookup("source"), Field(description="来源")] = None
    stale_days: Optional[int] = Field(None, ge=1, le=3650, description="近 N 天没有日调度填报（无进展）")

    def filter_stale_days(self, value: Optional[int]) -> Q:
        if not value:
            return Q()
        from .models import DailyEntry
        from .services import dates

        since = dates.today() - dt.timedelta(days=value)
        return ~Q(Exists(DailyEntry.objects.filter(task_id=OuterRef("pk"), date__gt=since)))


class EntryFilter(FilterSchema):
    date: Annotated[Optional[dt.date], FilterLookup("date"), Field(description="日期")] = None
    task: Annotated[Optional[int], FilterLookup("task_id"), Field(description="任务")] = None
    unit: Annotated[Optional[str], FilterLookup("unit__code"), Field(description="填报单位编码")] = None
    late: Annotated[Optional[bool], FilterLookup("late"), Field(description="逾时填报")] = None


class ProjectFilter(FilterSchema):
    q: Annotated[Optional[str], FilterLookup(["name__icontains", "developer__icontains"]), Field(description="项目或开发企业包含")] = None
    unit: Annotated[Optional[str], FilterLookup("lead_unit__code"), Field(description="牵头单位编码")] = None
    street: Annotated[Optional[str], FilterLookup("street__code"), Field(description="街道编码")] = None
