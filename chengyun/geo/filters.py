"""One filter definition per list: the page reads it from the query string, the API from its parameters."""
from __future__ import annotations

from typing import Annotated, Optional

from ninja import FilterLookup, FilterSchema
from pydantic import Field


class UnitFilter(FilterSchema):
    q: Annotated[Optional[str], FilterLookup(["name__icontains", "short_name__icontains", "code__icontains"]), Field(description="名称或编码包含")] = None
    kind: Annotated[Optional[str], FilterLookup("kind"), Field(description="单位类型")] = None
    specialty: Annotated[Optional[str], FilterLookup("specialty"), Field(description="专业")] = None
    street: Annotated[Optional[str], FilterLookup("streets__code"), Field(description="负责街道编码")] = None


class GridFilter(FilterSchema):
    street: Annotated[Optional[str], FilterLookup("street__code"), Field(description="街道编码")] = None
    community: Annotated[Optional[str], FilterLookup("community__code"), Field(description="社区编码")] = None
