"""Roads' panel on the leader's cockpit: road-collapse risk — segments ranked high and medium by
the risk score (cavities found by radar, defective pipes below, leak defects) and the worst few.

Counts are the risk page's rows for the same level and street, and link to that page."""
from __future__ import annotations

from django.utils.translation import gettext as _

from chengyun.core.panels import list_url, street_code
from chengyun.core.registry import Figure, PanelData, PanelScope
from chengyun.people import policy

from . import services
from .models import HazardFinding

WORST = 5


def _ranked(scope: PanelScope, street: str):
    qs = policy.visible(scope.user, services.ranked())
    return qs.filter(street__code=street) if street else qs


def collapse_risk(scope: PanelScope) -> PanelData:
    street = street_code(scope)
    ranked = _ranked(scope, street)
    high, medium = ranked.filter(risk_level="高").count(), ranked.filter(risk_level="中").count()
    figures = [
        Figure(_("高风险路段"), high, _("段"), list_url("roads:risk", level="高", street=street), status="red" if high else "green"),
        Figure(_("中风险路段"), medium, _("段"), list_url("roads:risk", level="中", street=street), status="yellow" if medium else "green"),
    ]
    rows = [{"label": s.name, "value": s.risk_score, "url": f"/roads/segments/{s.code}/", "status": "red" if s.risk_level == "高" else "yellow",
             "group": _("风险最高路段")} for s in ranked.filter(risk_score__gt=0)[:WORST]]
    cavities = policy.visible(scope.user, HazardFinding.objects.filter(status=HazardFinding.Status.OPEN))
    if street:
        cavities = cavities.filter(segment__street__code=street)
    points = [{"lng": lng, "lat": lat, "label": code, "status": "red", "url": f"/roads/findings/{code}/"}
              for code, lng, lat in cavities.values_list("code", "lng", "lat")[:200]]
    return PanelData(figures=figures, rows=rows, points=points)
