"""Drainage's panel on the leader's cockpit: the network's hazards — pipes with grade Ⅳ
structural defects (CJJ 181), overflows in the period, misconnections waiting for disposal.

Each count is the list page's own query on what the user may see, and links to that list."""
from __future__ import annotations

from django.utils.translation import gettext as _

from chengyun.core.panels import bounds, given, list_url, street_code
from chengyun.core.registry import Figure, PanelData, PanelScope
from chengyun.people import policy

from .filters import MisconnectionFilter, PipeFilter
from .models import Misconnection, OverflowRecord, Pipe

SEVERE_GRADE = 4  # CJJ 181-2012 Ⅳ级: the pipe has failed or is about to


def overflows_in(scope: PanelScope, street: str):
    """What the overflow page lists for the period and street (its start/end/street parameters)."""
    t0, t1 = bounds(scope)
    qs = policy.visible(scope.user, OverflowRecord.objects.all()).filter(occurred_at__gte=t0, occurred_at__lt=t1)
    return qs.filter(node__street__code=street) if street else qs


def hazards(scope: PanelScope) -> PanelData:
    street = street_code(scope)
    severe = {"grade_min": SEVERE_GRADE, "street": street}
    open_mis = {"status": Misconnection.Status.OPEN.value, "street": street}
    period = {"start": scope.start, "end": scope.end, "street": street}
    n_severe = PipeFilter(**given(severe)).filter(policy.visible(scope.user, Pipe.objects.all())).count()
    n_mis = MisconnectionFilter(**given(open_mis)).filter(policy.visible(scope.user, Misconnection.objects.all())).count()
    overflows = overflows_in(scope, street)
    figures = [
        Figure(_("Ⅳ级结构性缺陷管段"), n_severe, _("段"), list_url("drainage:pipes", **severe), status="red" if n_severe else "green"),
        Figure(_("冒溢"), overflows.count(), _("次"), list_url("drainage:overflows", **period)),
        Figure(_("混错接待处置"), n_mis, _("处"), list_url("drainage:misconnections", **open_mis), status="yellow" if n_mis else "green"),
    ]
    points = [{"lng": lng, "lat": lat, "label": code, "status": "yellow", "url": list_url("drainage:overflows", **period)}
              for code, lng, lat in overflows.values_list("node__code", "node__lng", "node__lat")[:100] if lng is not None]
    return PanelData(figures=figures, points=points)
