from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

from chengyun.core.registry import CockpitPanel, NavItem


class RoadsConfig(AppConfig):
    name = "chengyun.roads"
    label = "roads"
    url_prefix = "roads"
    verbose_name = _("道路")
    api_router = "chengyun.roads.api.router"
    demo_generator = "chengyun.roads.demo.generate"
    demo_order = 58
    nav = [NavItem(_("道路塌陷风险"), "roads:risk", order=46, group="drainage")]
    cockpit_panels = [CockpitPanel("roads.collapse", _("道路塌陷风险"), "chengyun.roads.cockpit.collapse_risk", order=45)]

    def ready(self) -> None:
        from chengyun.people import policy
        from chengyun.people import roles as R

        from . import models as m

        # Roads and their hazards are shared knowledge; the maintaining or surveying unit writes.
        policy.register(m.RoadSegment, policy.Rule(read=R.ALL_ROLES, write=frozenset({R.DEPT_HANDLER}), unit="owner_id", everyone_reads=True))
        policy.register(m.HazardSurvey, policy.Rule(read=R.ALL_ROLES, write=frozenset({R.DEPT_HANDLER}), unit="unit_id", everyone_reads=True))
        policy.register(m.SurveyedSegment, policy.Rule(read=R.ALL_ROLES, write=frozenset({R.DEPT_HANDLER}), unit="survey__unit_id", everyone_reads=True))
        policy.register(m.HazardFinding, policy.Rule(read=R.ALL_ROLES, write=frozenset({R.DEPT_HANDLER}), unit="survey__unit_id", everyone_reads=True))

        from chengyun.drainage import services as drainage_services

        from . import services

        drainage_services.register_road_risk(services.pipe_road_risk)
        try:
            from chengyun.supervision import metrics
        except ImportError:  # supervision not installed: the coverage is still on the roads pages
            return
        metrics.register("roads.hazard_survey_coverage", "道路隐患排查覆盖率", services.survey_coverage_metric)
