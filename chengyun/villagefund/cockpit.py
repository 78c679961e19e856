"""The fund's panel on the leader's cockpit: money approved and paid, projects by state, villages
below the income target. Every count's ``url`` is the list page filtered to exactly those
records; the money figures are sums and carry no list."""
from __future__ import annotations

from decimal import Decimal
from urllib.parse import urlencode

from django.db.models import Count, Sum
from django.urls import reverse
from django.utils.translation import gettext as _

from chengyun.core.registry import Figure, PanelData, PanelScope

from . import rules
from . import workflow as wf
from .models import Payment, Project, Village
from .services import access
from .services.performance import villages_below_target


def _url(name: str, **query) -> str:
    query = {k: v for k, v in query.items() if v not in (None, "")}
    return reverse(name) + (f"?{urlencode(query)}" if query else "")


def fund_panel(scope: PanelScope) -> PanelData:
    projects = access.visible(scope.user, Project.objects.all())
    villages = access.visible(scope.user, Village.objects.all())
    street_code = None
    if scope.street_id:
        from chengyun.geo.models import Street

        street_code = Street.objects.filter(pk=scope.street_id).values_list("code", flat=True).first()
        projects = projects.filter(village__community__street_id=scope.street_id)
        villages = villages.filter(community__street_id=scope.street_id)
    approved_qs = projects.filter(state__in=wf.APPROVED_STATES)
    approved = approved_qs.aggregate(s=Sum("amount_wan"))["s"] or Decimal("0")
    paid = Payment.objects.filter(project__in=projects, paid_on__lte=scope.end).aggregate(s=Sum("amount_wan"))["s"] or Decimal("0")
    share = round(float(paid) / float(approved) * 100, 1) if approved else 0.0
    year = scope.end.year - 1  # returns are reported for a completed year
    below = villages_below_target(year, villages)
    stalled = projects.filter(stalled=True)
    figures = [
        Figure(_("已批准项目"), approved_qs.count(), _("个"), _url("villagefund:projects", approved="true", street=street_code)),
        Figure(_("批准扶持资金"), float(approved), _("万元"), _url("villagefund:batches"), counted=False),
        Figure(_("已拨付资金"), float(paid), _("万元"), _url("villagefund:batches"), status="green" if share >= 60 else "yellow", counted=False),
        Figure(_("停滞项目"), stalled.count(), _("个"), _url("villagefund:projects", stalled="true", street=street_code),
               status="red" if stalled.exists() else "green"),
        Figure(_("经营性收入未达标的村"), below.count(), _("个"), _url("villagefund:villages", below_target=year, street=street_code),
               status="yellow" if below.exists() else "green"),
    ]
    by_state = dict(projects.values_list("state").annotate(n=Count("id")))
    rows = [{"label": str(label), "value": by_state.get(code, 0), "url": _url("villagefund:projects", state=code, street=street_code),
             "status": ""} for code, label in wf.STATES.items()]
    chart = {"xAxis": {"type": "category", "data": [str(_("批准")), str(_("已拨付"))]}, "yAxis": {"type": "value", "name": str(_("万元"))},
             "series": [{"type": "bar", "data": [float(approved), float(paid)]}]}
    note = _("资金到位率 %(share)s%%；收入目标：村集体经营性收入不低于 %(target)s 万元（%(year)s 年度）") % {
        "share": share, "target": rules.income_target_wan(), "year": year}
    return PanelData(figures=figures, rows=rows, chart=chart, note=note)
