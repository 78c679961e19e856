"""The leader's cockpit panels: coverage and the campaign, companies by grade and the black board.

Every counted figure links to the list page whose count equals it (the compound list filtered
by mode, the file list by state, the company list by grade or board)."""
from __future__ import annotations

from django.db.models import Count
from django.urls import reverse
from django.utils.translation import gettext as _

from chengyun.core.registry import Figure, PanelData, PanelScope
from chengyun.geo.models import Compound, Street

from . import credit, workflow
from .models import Company, CoverageFile
from .services import coverage as coverage_services
from .services.scoring import refresh_all


def _street_code(scope: PanelScope) -> str:
    if scope.street_id is None:
        return ""
    return Street.objects.filter(pk=scope.street_id).values_list("code", flat=True).first() or ""


def coverage(scope: PanelScope) -> PanelData:
    street = _street_code(scope)
    suffix = f"&street={street}" if street else ""
    rate = coverage_services.district_rate(scope.end, scope.street_id)
    uncovered = Compound.objects.filter(active=True, management_mode="none")
    files = CoverageFile.objects.all()
    if scope.street_id:
        uncovered = uncovered.filter(community__street_id=scope.street_id)
        files = files.filter(street_id=scope.street_id)
    n_open = files.filter(state__in=workflow.OPEN_STATES).count()
    n_closed = files.filter(state=workflow.CLOSED).count()
    n_overdue = files.filter(state__in=workflow.OPEN_STATES, target_date__lt=scope.end).count()
    pct = rate["rate"]
    figures = [
        Figure(_("物业覆盖率"), pct if pct is not None else "—", "%", reverse("property:coverage"),
               "green" if pct is not None and pct >= 95 else ("yellow" if pct is not None and pct >= 80 else "red"), counted=False),
        Figure(_("无物业小区"), uncovered.count(), _("个"), f"{reverse('property:compounds')}?mode=none{suffix}"),
        Figure(_("在办档案"), n_open, _("份"), f"{reverse('property:files')}?open=true{suffix}", "red" if n_overdue else ""),
        Figure(_("已销号"), n_closed, _("份"), f"{reverse('property:files')}?state=closed{suffix}", "green"),
    ]
    series = coverage_services.series(12, end=scope.end, street_id=scope.street_id)
    chart = {"xAxis": {"type": "category", "data": [r["on"].isoformat() for r in series]}, "yAxis": {"type": "value", "min": 0, "max": 100},
             "series": [{"type": "line", "name": _("覆盖率"), "data": [r["rate"] for r in series]}], "tooltip": {"trigger": "axis"}}
    return PanelData(figures=figures, chart=chart)


def credit_panel(scope: PanelScope) -> PanelData:
    refresh_all()
    by_grade = dict(Company.objects.values_list("grade").annotate(n=Count("id")))
    url = reverse("property:companies")
    rows = [{"label": credit.GRADE_LABELS[g] if g != credit.BLACKLIST else _("黑名单"), "value": by_grade.get(g, 0),
             "url": f"{url}?grade={g}", "status": "red" if g in (credit.BLACKLIST, "C") else ""} for g in credit.GRADE_ORDER]
    red = Company.objects.filter(board="red").count()
    black = Company.objects.filter(board="black").count()
    figures = [Figure(_("红榜企业"), red, _("家"), f"{url}?board=red", "green"),
               Figure(_("黑榜企业"), black, _("家"), f"{url}?board=black", "red" if black else "")]
    return PanelData(figures=figures, rows=rows)


