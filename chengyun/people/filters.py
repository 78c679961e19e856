from __future__ import annotations

from datetime import datetime
from typing import Annotated, Optional

from ninja import FilterLookup, FilterSchema
from pydantic import Field


class PersonFilter(FilterSchema):
    q: Annotated[Optional[str], FilterLookup(["name__icontains", "phone__icontains"]), Field(description="姓名或电话包含")] = None
    role: Annotated[Optional[str], FilterLookup("roles__code"), Field(description="角色编码")] = None
    unit: Annotated[Optional[str], FilterLookup("unit__code"), Field(description="单位编码")] = None
    street: Annotated[Optional[str], FilterLookup(["streets__code", "communities__street__code", "grids__street__code"]), Field(description="负责区域所在街道编码")] = None
    grid: Annotated[Optional[str], FilterLookup("grids__code"), Field(description="负责网格编码")] = None


class AuditFilter(FilterSchema):
    object_type: Annotated[Optional[str], FilterLookup("object_type"), Field(description="对象类型，如 geo.unit")] = None
    object_id: Annotated[Optional[str], FilterLookup("object_id"), Field(description="对象编号")] = None
    actor: Annotated[Optional[str], FilterLookup("actor__username"), Field(description="操作人登录名")] = None
    request_id: Annotated[Optional[str], FilterLookup("request_id"), Field(description="请求编号")] = None
    action: Annotated[Optional[str], FilterLookup("action"), Field(description="动作")] = None
    start: Annotated[Optional[datetime], FilterLookup("at__gte"), Field(description="起始时间（含）")] = None
    end: Annotated[Optional[datetime], FilterLookup("at__lt"), Field(description="结束时间（不含）")] = None
