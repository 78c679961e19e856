"""A date typed into a form, a query string or a URL: one reading for every page and endpoint.

Each page keeps its own words for a date it cannot read ("会议日期格式有误", "完成时限格式有误"),
so the message is the caller's; the reading (ISO YYYY-MM-DD) and the error's shape are shared.
"""
from __future__ import annotations

import datetime as dt

from .errors import Invalid


def parse_date(text: str | None, message: str, *, field: str | None = None, code: str = "bad_date",
               optional: bool = False) -> dt.date | None:
    """The ISO date `text` names.

    Empty text is None when `optional`. Anything else that is not a date is a 422 ``Invalid``
    with the caller's `message`, code `code` and, when `field` is given, detail {"field": field}.
    """
    if optional and not text:
        return None
    try:
        return dt.date.fromisoformat(text or "")
    except ValueError:
        raise Invalid(message, code=code, detail={"field": field} if field else None) from None
