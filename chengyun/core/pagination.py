"""limit/offset pagination shared by every list endpoint: {"count", "limit", "offset", "results"}."""
from __future__ import annotations

from typing import Any, Generic, TypeVar

from ninja import Schema
from pydantic import Field

T = TypeVar("T")
MAX_LIMIT = 500
# Past any real list, and inside a 64-bit integer: a larger offset is a 422, not a database error.
MAX_OFFSET = 1_000_000_000


class PageParams(Schema):
    limit: int = Field(50, ge=1, le=MAX_LIMIT, description="每页条数（最多 500）")
    offset: int = Field(0, ge=0, le=MAX_OFFSET, description="跳过的条数")


class Page(Schema, Generic[T]):
    count: int
    limit: int
    offset: int
    results: list[T]


def paginate(qs, page: PageParams, transform=None) -> dict[str, Any]:
    items = list(qs[page.offset: page.offset + page.limit])
    return {
        "count": qs.count(),
        "limit": page.limit,
        "offset": page.offset,
        "results": [transform(i) for i in items] if transform else items,
    }
