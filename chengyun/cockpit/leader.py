""""What needs the leader" (需要领导关注): cases escalated (督办) and still open, decisions of the
consultations still being carried out, and red key tasks with no daily entry for N days
(access.stale_days). Each count is the case list's or the task board's own filter."""
from __future__ import annotations

from django.apps import apps
from django.utils.translation import gettext as _

from chengyun.core.panels import given, list_url, street_code
from chengyun.core.registry import Figure, PanelData, PanelScope

from .access import stale_days

SHOWN = 8


def needs_leader(scope: PanelScope) -> PanelData:
    figures, rows = [], []
    if apps.is_installed("chengyun.cases"):
        from chengyun.cases.api import list_queryset
        from chengyun.cases.filters import CaseFilter

        escalated = {"escalated": True, "status": "open", "street": street_code(scope)}
        cases = list_queryset(scope.user, CaseFilter(**given(escalated)))
        figures.append(Figure(_("督办案件未结"), cases.order_by().count(), _("件"), list_url("cases:list", **escalated), status="red"))
        rows += [{"label": f"{c.number} {c.category.name}", "value": c.get_clock_status_display(), "url": c.get_absolute_url(),
                  "status": {"overdue": "red", "warning": "yellow"}.get(c.clock_status, ""), "group": _("督办案件")}
                 for c in cases.order_by("-escalation_level", "stage_deadline")[:SHOWN]]
    if apps.is_installed("chengyun.supervision"):
        from chengyun.supervision.cockpit import active_tasks

        n = stale_days()
        decisions = {"source": "meeting"}
        stale = {"status": "red", "stale_days": n}
        stale_tasks = active_tasks(scope.user, **stale).select_related("lead_unit")
        figures.append(Figure(_("会议议定事项在办"), active_tasks(scope.user, **decisions).count(), _("项"),
                              list_url("supervision:board", **decisions)))
        figures.append(Figure(_("红色任务 %(days)s 天无进展") % {"days": n}, stale_tasks.count(), _("项"),
                              list_url("supervision:board", **stale), status="red"))
        rows += [{"label": t.title, "value": t.lead_unit.short_name or t.lead_unit.name, "url": t.get_absolute_url(), "status": "red",
                  "group": _("无进展的红色任务")} for t in stale_tasks.order_by("deadline", "code")[:SHOWN]]
    return PanelData(figures=figures, rows=rows)
