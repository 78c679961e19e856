"""Rankings with the month's movement (排名与本月变化): streets by the share of the month's
reported cases closed, units by the share of their month's closed cases closed on time, grids by
the month's reported cases (the hot spots). Movement is the place gained (▲) or lost (▼) against
the month before. Each row links to the case list behind its numbers."""
from __future__ import annotations

import datetime as dt

from django.apps import apps
from django.db.models import Count, Q
from django.utils.translation import gettext as _

from chengyun.core.panels import bounds, given, list_url
from chengyun.core.registry import PanelData, PanelScope

SHOWN = 10


def month_of(day: dt.date) -> tuple[dt.date, dt.date]:
    first = day.replace(day=1)
    following = (first + dt.timedelta(days=32)).replace(day=1)
    return first, following - dt.timedelta(days=1)


def _places(scores: dict[str, float]) -> dict[str, int]:
    ordered = sorted(scores, key=lambda k: (-scores[k], k))
    return {k: i + 1 for i, k in enumerate(ordered)}


def _cases(scope: PanelScope, **params):
    from chengyun.cases.api import list_queryset
    from chengyun.cases.filters import CaseFilter

    return list_queryset(scope.user, CaseFilter(**given(params))).order_by()


def _two_months(field: str, months: tuple[tuple, tuple]):
    """Per-month conditional counts in one pass over both months (the list filters a month at a time)."""
    (a0, a1), (b0, b1) = (bounds(PanelScope(None, s, e)) for s, e in months)
    return {"now": Q(**{f"{field}__gte": a0, f"{field}__lt": a1}), "before": Q(**{f"{field}__gte": b0, f"{field}__lt": b1})}


def _street_rates(scope, months) -> dict[str, dict[str, tuple[int, int]]]:
    (start, end), (prev_start, _prev_end) = months
    when = _two_months("reported_at", months)
    from chengyun.geo.models import Street

    codes = dict(Street.objects.values_list("pk", "code"))
    rows = (_cases(scope, start=prev_start, end=end).values("street_id")
            .annotate(**{f"n_{k}": Count("id", filter=q) for k, q in when.items()},
                      **{f"c_{k}": Count("id", filter=q & Q(status="closed")) for k, q in when.items()}))
    return {k: {codes[r["street_id"]]: (r[f"c_{k}"], r[f"n_{k}"]) for r in rows} for k in when}


def _unit_rates(scope, months) -> dict[str, dict[str, tuple[int, int, str]]]:
    (start, end), (prev_start, _prev_end) = months
    when = _two_months("closed_at", months)
    from chengyun.geo.models import Unit

    units = {pk: (code, short or name) for pk, code, short, name in Unit.objects.values_list("pk", "code", "short_name", "name")}
    rows = (_cases(scope, closed_start=prev_start, closed_end=end).filter(unit__isnull=False).values("unit_id")
            .annotate(**{f"n_{k}": Count("id", filter=q) for k, q in when.items()},
                      **{f"ok_{k}": Count("id", filter=q & Q(was_overdue=False)) for k, q in when.items()}))
    return {k: {units[r["unit_id"]][0]: (r[f"ok_{k}"], r[f"n_{k}"], units[r["unit_id"]][1]) for r in rows} for k in when}


def _grid_counts(scope, months) -> dict[str, dict[str, tuple[int, str]]]:
    (start, end), (prev_start, _prev_end) = months
    when = _two_months("reported_at", months)
    from chengyun.geo.models import Grid

    rows = list(_cases(scope, start=prev_start, end=end).values("grid_id").annotate(**{f"n_{k}": Count("id", filter=q) for k, q in when.items()}))
    grids = {pk: (code, name) for pk, code, name in Grid.objects.filter(pk__in=[r["grid_id"] for r in rows]).values_list("pk", "code", "name")}
    return {k: {grids[r["grid_id"]][0]: (r[f"n_{k}"], grids[r["grid_id"]][1]) for r in rows if r[f"n_{k}"]} for k in when}


def _move(now: dict[str, int], before: dict[str, int], key: str) -> int | None:
    return before[key] - now[key] if key in before else None


def rankings(scope: PanelScope) -> PanelData:
    if not apps.is_installed("chengyun.cases"):
        return PanelData()
    from chengyun.geo.models import Street

    start, end = month_of(scope.end)
    prev_start, prev_end = month_of(start - dt.timedelta(days=1))
    rows: list[dict] = []

    names = dict(Street.objects.values_list("code", "name"))
    months = ((start, end), (prev_start, prev_end))
    rates = _street_rates(scope, months)
    now, before = rates["now"], rates["before"]
    pct = {k: 100.0 * c / n for k, (c, n) in now.items() if n}
    pct_before = {k: 100.0 * c / n for k, (c, n) in before.items() if n}
    places, places_before = _places(pct), _places(pct_before)
    for code in sorted(places, key=places.get)[:SHOWN]:
        rows.append({"label": names.get(code, code), "value": f"{pct[code]:.1f}%", "url": list_url("cases:list", start=start, end=end, street=code),
                     "group": _("街道（当月上报案件结案率）"), "place": places[code], "move": _move(places, places_before, code)})

    units = _unit_rates(scope, months)
    now_u, before_u = units["now"], units["before"]
    pct = {k: 100.0 * ok / n for k, (ok, n, _name) in now_u.items() if n}
    places, places_before = _places(pct), _places({k: 100.0 * ok / n for k, (ok, n, _name) in before_u.items() if n})
    for code in sorted(places, key=places.get)[:SHOWN]:
        rows.append({"label": now_u[code][2], "value": f"{pct[code]:.1f}%",
                     "url": list_url("cases:list", closed_start=start, closed_end=end, unit=code),
                     "group": _("责任单位（当月结案按期率）"), "place": places[code], "move": _move(places, places_before, code)})

    grids = _grid_counts(scope, months)
    now_g, before_g = grids["now"], grids["before"]
    places = _places({k: n for k, (n, _name) in now_g.items()})
    places_before = _places({k: n for k, (n, _name) in before_g.items()})
    for code in sorted(places, key=places.get)[:SHOWN]:
        rows.append({"label": now_g[code][1], "value": now_g[code][0], "url": list_url("cases:list", start=start, end=end, grid=code),
                     "group": _("网格（当月上报最多）"), "place": places[code], "move": _move(places, places_before, code)})
    return PanelData(rows=rows, note=_("%(start)s 至 %(end)s，与上月比较") % {"start": start, "end": end})
