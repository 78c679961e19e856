from __future__ import annotations

from datetime import datetime
from typing import Optional

from ninja import FilterSchema
from pydantic import Field


class PersonFilter(FilterSchema):
    q: Optional[str] = Field(None, q=["name__icontains", "phone__icontains"], description="姓名或电话包含")
    role: Optional[str] = Field(None, q="roles__code", description="角色编码")
    unit: Optional[str] = Field(None, q="unit__code", description="单位编码")
    street: Optional[str] = Field(None, q=["streets__code", "communities__street__code", "grids__street__code"], description="负责区域所在街道编码")
    grid: Optional[str] = Field(None, q="grids__code", description="负责网格编码")


class AuditFilter(FilterSchema):
    object_type: Optional[str] = Field(None, q="object_type", description="对象类型，如 geo.unit")
    object_id: Optional[str] = Field(None, q="object_id", description="对象编号")
    actor: Optional[str] = Field(None, q="actor__username", description="操作人登录名")
    request_id: Optional[str] = Field(None, q="request_id", description="请求编号")
    action: Optional[str] = Field(None, q="action", description="动作")
    start: Optional[datetime] = Field(None, q="at__gte", description="起始时间（含）")
    end: Optional[datetime] = Field(None, q="at__lt", description="结束时间（不含）")
