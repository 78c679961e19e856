"""The cases module's panel on the leader's cockpit: the day's (or the chosen period's) cases —
reported, closed on time, overdue — by street and by source, drones included.

Each number is counted through the case list's own filter (CaseFilter) on what the user may see,
and its link is that list with the same parameters: the panel and the list cannot disagree."""
from __future__ import annotations

from django.db.models import Count, Q
from django.utils.translation import gettext as _

from chengyun.core.panels import given, list_url, rate, street_code
from chengyun.core.registry import Figure, PanelData, PanelScope
from chengyun.geo.models import Street

from . import workflow
from .api import list_queryset
from .filters import CaseFilter

# Overdue open cases drawn on the district map: the worst first, a screenful at most.
MAP_POINTS = 300


def _qs(scope: PanelScope, **params):
    return list_queryset(scope.user, CaseFilter(**given(params))).order_by()


def today(scope: PanelScope) -> PanelData:
    street = street_code(scope)
    period = {"start": scope.start, "end": scope.end}
    reported = {**period, "street": street}
    closed = {"closed_start": scope.start, "closed_end": scope.end, "street": street}
    on_time = {**closed, "on_time": True}
    overdue = {"status": "open", "clock": "overdue", "street": street}
    drone = {**reported, "source": "drone"}
    # One pass over the period's cases grouped by (street, source) gives the total, the streets and
    # the sources: each is what the list shows for the same period with that street or source.
    streets = list(Street.objects.order_by("code").values_list("pk", "code", "name"))
    street_pk = next((pk for pk, code, _name in streets if code == street), None)
    grouped = list(_qs(scope, **period).values("street_id", "source").annotate(n=Count("id")).values_list("street_id", "source", "n"))
    by_street: dict[int, int] = {}
    by_source: dict[str, int] = {}
    for s_id, source, n in grouped:
        by_street[s_id] = by_street.get(s_id, 0) + n
        if not street or s_id == street_pk:
            by_source[source] = by_source.get(source, 0) + n
    n_reported = sum(by_source.values())
    # One pass for both: on_time is the closed list narrowed by CaseFilter.on_time (was_overdue=False).
    counted = _qs(scope, **closed).aggregate(n=Count("id"), ok=Count("id", filter=Q(was_overdue=False)))
    n_closed, n_on_time = counted["n"], counted["ok"]
    on_time_rate = rate(n_on_time, n_closed)
    figures = [
        Figure(_("上报"), n_reported, _("件"), list_url("cases:list", **reported)),
        Figure(_("结案"), n_closed, _("件"), list_url("cases:list", **closed)),
        Figure(_("按期结案"), n_on_time, _("件"), list_url("cases:list", **on_time),
               status="" if on_time_rate is None else ("green" if on_time_rate >= 90 else "yellow" if on_time_rate >= 75 else "red")),
        Figure(_("超期未结"), _qs(scope, **overdue).count(), _("件"), list_url("cases:list", **overdue), status="red"),
        Figure(_("无人机发现"), by_source.get("drone", 0), _("件"), list_url("cases:list", **drone)),
    ]
    rows = [{"label": name, "value": by_street.get(pk, 0), "url": list_url("cases:list", **period, street=code),
             "group": _("按街道")}
            for pk, code, name in streets if not street or code == street]
    sources = [(code, label) for code, label in workflow.SOURCES.items() if by_source.get(code)]
    rows += [{"label": label, "value": by_source[code], "url": list_url("cases:list", **reported, source=code), "group": _("按来源")}
             for code, label in sources]
    chart = {
        "tooltip": {"trigger": "item"},
        "series": [{"type": "pie", "radius": ["40%", "70%"], "label": {"show": True, "formatter": "{b} {c}"},
                    "data": [{"name": label, "value": by_source[code]} for code, label in sources]}],
    } if sources else None
    points = [{"lng": lng, "lat": lat, "label": number, "status": "red", "url": f"/cases/{pk}/"}
              for pk, number, lng, lat in _qs(scope, **overdue).order_by("stage_deadline")
              .values_list("pk", "number", "lng", "lat")[:MAP_POINTS]]
    note = _("按期结案率 %(rate)s%%") % {"rate": on_time_rate} if on_time_rate is not None else ""
    return PanelData(figures=figures, chart=chart, rows=rows, points=points, note=note)


def open_count(user, **params) -> int:
    """How many cases the case list shows for ``params`` (the role home pages' numbers)."""
    return list_queryset(user, CaseFilter(**given(params))).order_by().count()

