"""The module's panels for the leader's cockpit. Each figure's ``url`` opens the list page whose
count equals the figure, with the same scope (the user's visibility, the street asked for)."""
from __future__ import annotations

from urllib.parse import urlencode

from django.urls import reverse
from django.utils.translation import gettext as _

from chengyun.core.registry import Figure, PanelData, PanelScope
from chengyun.geo.models import Street
from chengyun.people import policy

from . import permit_workflow as wf
from .models import Patrol, Permit, SegmentAssignment, Violation
from .services import compliance


def _url(name: str, **params) -> str:
    query = urlencode({k: v for k, v in params.items() if v not in (None, "")})
    return reverse(name) + (f"?{query}" if query else "")


def _street_code(scope: PanelScope) -> str:
    if scope.street_id is None:
        return ""
    return Street.objects.filter(pk=scope.street_id).values_list("code", flat=True).first() or ""


def patrols(scope: PanelScope) -> PanelData:
    street = _street_code(scope)
    assignments = policy.visible(scope.user, SegmentAssignment.objects.filter(valid_to__isnull=True).select_related("segment", "chief", "team")
                                 .defer("segment__geometry"))  # the panel draws no lines: 900 GeoJSON strings unread
    if street:
        assignments = assignments.filter(street__code=street)
    day = scope.end
    items = compliance.statuses(assignments, "week", day)
    behind = [s for s in items if not s.compliant]
    lo, hi = compliance.day_window(scope.start, scope.end)  # local days as a time range: the start-time index serves it
    walked = policy.visible(scope.user, Patrol.objects.filter(status=Patrol.Status.FINISHED, started_at__gte=lo, started_at__lt=hi))
    if street:
        walked = walked.filter(street__code=street)
    avg = sum(s.shares.get("leader", 0) for s in items) / len(items) if items else 0
    rate = 1 - len(behind) / len(items) if items else 1
    data = PanelData(figures=[
        Figure(_("责任路段"), len(items), _("段"), _url("streets:segments", street=street, day=day.isoformat())),
        Figure(_("本周未达标路段"), len(behind), _("段"), _url("streets:segments", street=street, behind="1", period="week", day=day.isoformat()),
               status="green" if rate >= 0.9 else ("yellow" if rate >= 0.7 else "red")),
        Figure(_("期间巡街次数"), walked.count(), _("次"), _url("streets:patrols", street=street, status="finished", start=scope.start.isoformat(),
                                                               end=scope.end.isoformat())),
        Figure(_("街长本周平均覆盖率"), round(avg * 100, 1), "%", _url("streets:segments", street=street, day=day.isoformat()), counted=False),
    ])
    for c in compliance.by_chief(items)[:8]:
        if c.behind:
            data.rows.append({"label": c.name, "value": f"{c.compliant}/{c.segments}", "status": "red" if c.rate < 0.5 else "yellow",
                              "url": _url("streets:segments", chief=c.chief_id, behind="1", period="week", day=day.isoformat())})
    return data


def night(scope: PanelScope) -> PanelData:
    street = _street_code(scope)
    season = scope.end.year
    permits = policy.visible(scope.user, Permit.objects.filter(season=season))
    violations = policy.visible(scope.user, Violation.objects.filter(found_at__date__gte=scope.start, found_at__date__lte=scope.end))
    if street:
        permits, violations = permits.filter(street__code=street), violations.filter(street__code=street)
    revoked = permits.filter(state=wf.REVOKED).count()
    data = PanelData(figures=[
        Figure(_("有效外摆许可"), permits.filter(state=wf.APPROVED).count(), _("件"), _url("streets:permits", state=wf.APPROVED, season=season, street=street)),
        Figure(_("公示中"), permits.filter(state=wf.PUBLICITY).count(), _("件"), _url("streets:permits", state=wf.PUBLICITY, season=season, street=street)),
        Figure(_("期间违规"), violations.count(), _("起"), _url("streets:violations", start=scope.start.isoformat(), end=scope.end.isoformat(), street=street),
               status="green" if violations.count() == 0 else "yellow"),
        Figure(_("三次违规撤销"), revoked, _("件"), _url("streets:permits", state=wf.REVOKED, season=season, street=street),
               status="red" if revoked else "green"),
    ])
    for v in violations.select_related("shop")[:200]:
        data.points.append({"lng": v.lng, "lat": v.lat, "label": f"{v.shop.name if v.shop_id else ''} {v.rule_text}", "status": "red", "url": ""})
    return data
