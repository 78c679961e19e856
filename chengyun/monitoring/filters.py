"""One filter definition per list: the page reads it from the query string, the API from its parameters."""
from __future__ import annotations

from typing import Annotated, Optional

from ninja import FilterLookup, FilterSchema
from pydantic import Field


class DeviceFilter(FilterSchema):
    q: Annotated[Optional[str], FilterLookup(["mn__icontains", "name__icontains", "site_code__icontains"]), Field(description="MN、名称或站点编码包含")] = None
    kind: Annotated[Optional[str], FilterLookup("kind"), Field(description="设备类型：online 在线监测，manual 手工监测")] = None
    site_kind: Annotated[Optional[str], FilterLookup("site_kind"), Field(description="站点类型：section 断面，outfall 排污口")] = None
    site_code: Annotated[Optional[str], FilterLookup("site_code"), Field(description="站点编码")] = None
    active: Annotated[Optional[bool], FilterLookup("active"), Field(description="是否启用")] = None


class IngestLogFilter(FilterSchema):
    mn: Annotated[Optional[str], FilterLookup("mn"), Field(description="设备编码 MN")] = None
    reason: Annotated[Optional[str], FilterLookup("reason"), Field(description="原因：unknown_mn、wrong_pw、inactive、malformed、bad_time、bad_factor；deviation 为已接受的偏离标准")] = None
    channel: Annotated[Optional[str], FilterLookup("channel"), Field(description="通道：hj212、mqtt、http")] = None
