"""Small helpers for the modules' cockpit panels (chengyun.core.registry.CockpitPanel): the
filtered list URL behind a number, the scope's days as a query, the street's code.

Kept in core so that every module can build its panel without importing the cockpit."""
from __future__ import annotations

import datetime as dt
from typing import Any
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from django.apps import apps
from django.urls import reverse

from .registry import PanelScope

SH = ZoneInfo("Asia/Shanghai")


def list_url(url_name: str, **query: Any) -> str:
    """The list page ``url_name`` filtered by ``query`` (empty values left out, so the list shows everything)."""
    params = {k: ("true" if v else "false") if isinstance(v, bool) else v for k, v in query.items() if v not in (None, "")}
    base = reverse(url_name)
    return f"{base}?{urlencode(params)}" if params else base


def given(params: dict[str, Any]) -> dict[str, Any]:
    """The parameters a list would read from its query string: empty ones left out (as
    ``geo.views.filter_from_query`` does), so the panel and the list build the same filter."""
    return {k: v for k, v in params.items() if v not in (None, "")}


def street_code(scope: PanelScope) -> str:
    """The code of the scope's street ("" for the whole district): the lists filter by code."""
    if scope.street_id is None:
        return ""
    Street = apps.get_model("geo", "Street")
    return Street.objects.filter(pk=scope.street_id).values_list("code", flat=True).first() or ""


def bounds(scope: PanelScope) -> tuple[dt.datetime, dt.datetime]:
    """The scope's days as [start, end) instants in the district's time zone."""
    return (dt.datetime.combine(scope.start, dt.time.min, SH),
            dt.datetime.combine(scope.end + dt.timedelta(days=1), dt.time.min, SH))


def rate(part: int, whole: int) -> float | None:
    return round(100.0 * part / whole, 1) if whole else None
