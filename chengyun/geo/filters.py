"""One filter definition per list: the page reads it from the query string, the API from its parameters."""
from __future__ import annotations

from typing import Optional

from ninja import FilterSchema
from pydantic import Field


class UnitFilter(FilterSchema):
    q: Optional[str] = Field(None, q=["name__icontains", "short_name__icontains", "code__icontains"], description="名称或编码包含")
    kind: Optional[str] = Field(None, q="kind", description="单位类型")
    specialty: Optional[str] = Field(None, q="specialty", description="专业")
    street: Optional[str] = Field(None, q="streets__code", description="负责街道编码")


class GridFilter(FilterSchema):
    street: Optional[str] = Field(None, q="street__code", description="街道编码")
    community: Optional[str] = Field(None, q="community__code", description="社区编码")
