"""Asking the registered panels (chengyun.core.registry.cockpit_panels) for their data.

The cockpit knows no module: it renders whatever is registered, for the roles each panel names.
A panel that fails shows its error in its own frame; the others still render."""
from __future__ import annotations

import datetime as dt
import logging
import time
from dataclasses import asdict, dataclass, field
from typing import Any

from django.utils import timezone
from django.utils.encoding import force_str
from django.utils.translation import gettext as _

from chengyun.core.errors import Invalid, NotFound
from chengyun.core.registry import CockpitPanel, PanelData, PanelScope, cockpit_panels
from chengyun.people import policy

log = logging.getLogger(__name__)

# A year and a little: the longest period a panel is asked for (a year's data, the benchmark's case).
MAX_DAYS = 400
# Dates a district's records can have (the rankings also read the month before the period).
FIRST_YEAR, LAST_YEAR = 2000, 2100


@dataclass
class PanelResult:
    panel: CockpitPanel
    data: PanelData | None
    error: str = ""
    ms: float = 0.0
    extra: dict[str, Any] = field(default_factory=dict)


def panels_for(user) -> list[CockpitPanel]:
    roles = policy.principal(user).roles
    return [p for p in cockpit_panels() if p.roles is None or roles & p.roles]


def make_scope(user, start: str | None = None, end: str | None = None, street: str | None = None) -> PanelScope:
    """The scope from the query's start, end (ISO dates, today by default) and street code."""
    from chengyun.geo.models import Street

    today = timezone.localdate()

    def day(text: str | None, field_name: str, default: dt.date) -> dt.date:
        if not text:
            return default
        try:
            return dt.date.fromisoformat(text)
        except ValueError:
            raise Invalid(_("日期“%(value)s”格式有误，应为 YYYY-MM-DD") % {"value": text[:20]}, code="bad_date",
                          detail={"field": field_name}) from None

    d_end = day(end, "end", today)
    d_start = day(start, "start", d_end if end else today)
    for value, name in ((d_start, "start"), (d_end, "end")):
        if not FIRST_YEAR <= value.year <= LAST_YEAR:
            raise Invalid(_("日期须在 %(first)s 年至 %(last)s 年之间") % {"first": FIRST_YEAR, "last": LAST_YEAR}, code="bad_date",
                          detail={"field": name})
    if d_start > d_end:
        raise Invalid(_("开始日期不能晚于结束日期"), code="bad_range", detail={"field": "start"})
    if (d_end - d_start).days > MAX_DAYS:
        raise Invalid(_("时间范围不能超过 %(days)s 天") % {"days": MAX_DAYS}, code="range_too_long", detail={"field": "start"})
    street_id = None
    if street:
        street_id = Street.objects.filter(code=street).values_list("pk", flat=True).first()
        if street_id is None:
            raise Invalid(_("街道编码“%(code)s”不存在") % {"code": street[:20]}, code="unknown_street", detail={"field": "street"})
    return PanelScope(user=user, start=d_start, end=d_end, street_id=street_id)


def compute(panel: CockpitPanel, scope: PanelScope) -> PanelResult:
    started = time.perf_counter()
    try:
        data = panel.data(scope)
        error = ""
    except Exception:  # one module's failure must not blank the leader's screen
        log.exception("cockpit panel %s failed", panel.key)
        data, error = None, _("本面板数据暂不可用")
    return PanelResult(panel, data, error, round((time.perf_counter() - started) * 1000, 1))


def collect(scope: PanelScope, key: str | None = None) -> list[PanelResult]:
    panels = panels_for(scope.user)
    if key is not None:
        panels = [p for p in panels if p.key == key]
        if not panels:
            raise NotFound(_("没有该面板：%(key)s") % {"key": key[:40]})
    return [compute(p, scope) for p in panels]


def _plain(value: Any) -> Any:
    """Lazy translations and dates as JSON-ready values, through nested dicts and lists."""
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    if value is None or isinstance(value, (bool, int, float)):
        return value
    return force_str(value)


def as_json(result: PanelResult) -> dict[str, Any]:
    d = result.data
    out = {"key": result.panel.key, "title": force_str(result.panel.title), "order": result.panel.order, "error": result.error,
           "ms": result.ms, "figures": [], "chart": None, "rows": [], "points": [], "note": ""}
    if d is not None:
        out.update(_plain({"figures": [asdict(f) for f in d.figures], "chart": d.chart, "rows": d.rows, "points": d.points, "note": d.note}))
    return out
