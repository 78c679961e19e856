"""Water's panel on the leader's cockpit: monitoring sections against their target class (the
newest judged hour, as the section list shows it) and the alerts not yet disposed of.

Counts go through the lists' own filters (SectionFilter, AlertFilter) on what the user may see,
and link to those lists with the same parameters."""
from __future__ import annotations

from django.utils.translation import gettext as _

from chengyun.core.panels import given, list_url, street_code
from chengyun.core.registry import Figure, PanelData, PanelScope
from chengyun.people import policy

from . import queries
from .filters import AlertFilter, SectionFilter
from .models import Alert, Section


def _sections(scope: PanelScope, **params):
    return SectionFilter(**given(params)).filter(policy.visible(scope.user, Section.objects.select_related("water_body"))).distinct()


def quality(scope: PanelScope) -> PanelData:
    street = street_code(scope)
    met = {"compliant": True, "street": street}
    unmet = {"compliant": False, "street": street}
    open_alerts = {"open": True, "street": street}
    exceeded = {**open_alerts, "kind": Alert.Kind.TARGET_EXCEEDED.value}
    alerts = policy.visible(scope.user, Alert.objects.all())
    n_unmet = _sections(scope, **unmet).count()
    n_alerts = AlertFilter(**given(open_alerts)).filter(alerts).count()
    figures = [
        Figure(_("断面达标"), _sections(scope, **met).count(), _("个"), list_url("water:sections", **met), status="green"),
        Figure(_("断面未达标"), n_unmet, _("个"), list_url("water:sections", **unmet), status="red" if n_unmet else "green"),
        Figure(_("未处置告警"), n_alerts, _("条"), list_url("water:alerts", **open_alerts), status="yellow" if n_alerts else "green"),
        Figure(_("超目标类别告警"), AlertFilter(**given(exceeded)).filter(alerts).count(), _("条"), list_url("water:alerts", **exceeded)),
    ]
    sections = list(_sections(scope, street=street).order_by("code"))
    latest = queries.latest_aggregates("section", [s.code for s in sections])
    rows, points = [], []
    for s in sections:
        agg = latest.get(s.code)
        status = "" if agg is None else ("green" if agg.compliant else "red")
        rows.append({"label": s.name, "value": f"{agg.label if agg else '—'} / {s.target_label}", "url": f"/water/sections/{s.code}/",
                     "status": status, "group": _("实测类别 / 目标类别")})
        points.append({"lng": s.lng, "lat": s.lat, "label": s.name, "status": status or "grey", "url": f"/water/sections/{s.code}/"})
    rows.sort(key=lambda r: {"red": 0, "": 1, "green": 2}[r["status"]])
    return PanelData(figures=figures, rows=rows, points=points)
