"""Response shapes every API router shares."""
from __future__ import annotations

from typing import Any

from ninja import Schema


class ErrorOut(Schema):
    """The body of every API error (chengyun.core.errors and the handlers in chengyun/api.py).
    An operation that declares its own 4xx shape (an import report) declares this one beside it,
    since a malformed upload is refused with it before any report exists."""

    code: str
    message: str
    detail: Any = None
