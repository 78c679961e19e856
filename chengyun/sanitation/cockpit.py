"""The sanitation panel of the leader's cockpit: yesterday's mechanized sweeping and the demonstration streets.

Each count links to the filtered list whose count equals it (coverage page ?missed=, 示范街 ?status=).
"""
from __future__ import annotations

import datetime as dt

from django.urls import reverse
from django.utils.translation import gettext as _

from chengyun.core.registry import Figure, PanelData, PanelScope
from chengyun.people import policy

from . import services
from .models import DemoStreet, SegmentDay


def sweeping(scope: PanelScope) -> PanelData:
    day = scope.end - dt.timedelta(days=1) if scope.end >= dt.date.today() else scope.end
    services.ensure_day(day)
    qs = policy.visible(scope.user, SegmentDay.objects.all())
    base = reverse("sanitation:coverage")
    street = ""
    if scope.street_id:
        from chengyun.geo.models import Street

        code = Street.objects.filter(pk=scope.street_id).values_list("code", flat=True).first()
        if code:
            qs = qs.filter(street_id=scope.street_id)
            street = f"&street={code}"
    s = services.day_summary(qs, day)
    named = policy.visible(scope.user, DemoStreet.objects.filter(status=DemoStreet.Status.NAMED))
    if scope.street_id:
        named = named.filter(street_id=scope.street_id)
    status = "green" if s.rate >= 90 else "yellow" if s.rate >= 70 else "red"
    figures = [
        Figure(_("机扫完成率"), s.rate, "%", f"{base}?day={day.isoformat()}{street}", status if s.segments else "", counted=False),
        Figure(_("达到计划遍数的路段"), s.met, _("段"), f"{base}?day={day.isoformat()}&missed=false{street}"),
        Figure(_("未达计划遍数的路段"), s.missed, _("段"), f"{base}?day={day.isoformat()}&missed=true{street}", "red" if s.missed else "green"),
        Figure(_("已命名环卫示范街"), named.count(), _("条"), reverse("sanitation:demo_streets") + "?status=named" + street),
    ]
    rows = [{"label": st["name"] or "—", "value": f"{ss.rate}%", "url": f"{base}?day={day.isoformat()}&street={st['code']}",
             "status": "green" if ss.rate >= 90 else "yellow" if ss.rate >= 70 else "red"}
            for st, ss in services.street_summary(qs, day)]
    return PanelData(figures=figures, rows=rows, note=_("%(day)s 机扫：已扫 %(s)s 公里 / 计划 %(p)s 公里") % {"day": day.isoformat(), "s": s.swept_km, "p": s.planned_km})
