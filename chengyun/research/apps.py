from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

from chengyun.core.registry import NavItem
from chengyun.people import roles as R

from .access import RESEARCHERS



class ResearchConfig(AppConfig):
    name = "chengyun.research"
    label = "research"
    url_prefix = "research"
    verbose_name = _("调研工作")
    api_router = "chengyun.research.api.router"
    api_prefix = "research"
    demo_generator = "chengyun.research.demo.generate"
    demo_order = 90  # after supervision and renewal: measures become key tasks, visits name compounds
    nav = [NavItem(_("调研工作"), "research:list", order=66, roles=R.DISTRICT_WIDE, group="leader")]

    def ready(self) -> None:
        from chengyun.core.audit_display import register_verbs
        from chengyun.people import policy
        from chengyun.reports import kinds

        from . import models as m
        from . import reporting, workflow

        # Research is the leadership's own work: the district-wide roles read it; the leaders and
        # the ops centre write it, and a team member records visits of their plan.
        policy.register(m.ResearchPlan, policy.Rule(read=R.DISTRICT_WIDE, person=("leader_id", "team"), wide_write=RESEARCHERS, distinct=True))
        for model, path in ((m.ResearchVisit, "plan__"), (m.ResearchMeasure, "plan__"), (m.ResearchPhoto, "visit__plan__")):
            policy.register(model, policy.Rule(read=R.DISTRICT_WIDE, person=(f"{path}leader_id", f"{path}team"), wide_write=RESEARCHERS, distinct=True))
        register_verbs("research.researchplan", {t.action: t.label for t in workflow.TRANSITIONS.values()})
        kinds.register(reporting.RESEARCH_REPORT)
