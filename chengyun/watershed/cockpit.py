"""The leader's cockpit panel: watershed verdicts, boundary-section compliance, joint incidents and
soil-disturbing projects under way. Each figure links to the list whose count equals it."""
from __future__ import annotations

from django.utils.translation import gettext as _

from chengyun.core.registry import Figure, PanelData, PanelScope
from chengyun.people import policy

from . import workflow
from .models import BoundarySection, ErosionProject, JointIncident
from .services import watersheds


def governance(scope: PanelScope) -> PanelData:
    year = scope.end.year - 1  # the sheet is judged on a finished year
    verdicts = [v for v in watersheds.verdicts(year) if policy.can_read(scope.user, v.watershed)]
    met = sum(1 for v in verdicts if v.status == watersheds.MET)
    sections = list(policy.visible(scope.user, BoundarySection.objects.all()))
    latest = [s.readings.first() for s in sections]
    failing = sum(1 for r in latest if r is not None and not r.compliant)
    incidents = policy.visible(scope.user, JointIncident.objects.filter(state__in=workflow.INCIDENT_OPEN)).count()
    active = policy.visible(scope.user, ErosionProject.objects.filter(state__in=workflow.PROJECT_OPEN)).count()
    return PanelData(
        figures=[
            Figure(_("达标小流域"), f"{met}/{len(verdicts)}", url=f"/watershed/?year={year}", status="green" if met == len(verdicts) else "yellow",
                   counted=False),  # a share, not a list's length
            Figure(_("最近超标交界断面"), failing, url="/watershed/joint/", status="red" if failing else "green",
                   counted=False),  # the board shows every boundary section with its latest reading
            Figure(_("处置中联防联控事件"), incidents, url="/watershed/joint/?active=true", status="red" if incidents else "green"),
            Figure(_("在建生产建设项目"), active, url="/watershed/projects/?active=true"),
        ],
        rows=[{"label": v.watershed.name, "value": v.label, "url": f"/watershed/{v.watershed.code}/?year={year}",
               "status": {"met": "green", "unmet": "red"}.get(v.status, "yellow")} for v in verdicts],
        points=[{"lng": s.lng, "lat": s.lat, "label": s.name, "status": "red" if r is not None and not r.compliant else "green",
                 "url": "/watershed/joint/"} for s, r in zip(sections, latest)],
    )
