"""One filter definition per list: the pages read it from the query string, the API from its parameters."""
from __future__ import annotations

import datetime as dt
from typing import Optional

from ninja import FilterSchema
from pydantic import Field


class TaskFilter(FilterSchema):
    q: Optional[str] = Field(None, q=["title__icontains", "code__icontains"], description="名称或编号包含")
    category: Optional[str] = Field(None, q="category__code", description="类别编码")
    unit: Optional[str] = Field(None, q="lead_unit__code", description="牵头单位编码")
    status: Optional[str] = Field(None, q="status", description="状态 green/yellow/red")
    state: Optional[str] = Field(None, q="state", description="办理状态 active/completed/cancelled")
    source: Optional[str] = Field(None, q="source", description="来源")


class EntryFilter(FilterSchema):
    date: Optional[dt.date] = Field(None, q="date", description="日期")
    task: Optional[int] = Field(None, q="task_id", description="任务")
    unit: Optional[str] = Field(None, q="unit__code", description="填报单位编码")
    late: Optional[bool] = Field(None, q="late", description="逾时填报")


class ProjectFilter(FilterSchema):
    q: Optional[str] = Field(None, q=["name__icontains", "developer__icontains"], description="项目或开发企业包含")
    unit: Optional[str] = Field(None, q="lead_unit__code", description="牵头单位编码")
    street: Optional[str] = Field(None, q="street__code", description="街道编码")
