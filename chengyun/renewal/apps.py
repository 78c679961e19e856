from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

from chengyun.core.registry import CockpitPanel, NavItem


class RenewalConfig(AppConfig):
    name = "chengyun.renewal"
    label = "renewal"
    url_prefix = "renewal"
    verbose_name = _("城市体检与更新")
    api_router = "chengyun.renewal.api.router"
    api_prefix = "renewal"
    demo_generator = "chengyun.renewal.demo.generate"
    demo_order = 62  # after drainage (60): the waterlogging indicator reads its overflow records
    nav = [
        NavItem(_("城市体检"), "renewal:dashboard", order=48, group="renewal"),
    ]
    cockpit_panels = [
        CockpitPanel("renewal.projects", _("更新项目进度与资金"), "chengyun.renewal.cockpit.projects", order=50),
        CockpitPanel("renewal.healthcheck", _("城市体检指标"), "chengyun.renewal.cockpit.healthcheck", order=55),
    ]

    def ready(self) -> None:
        from chengyun.people import policy
        from chengyun.people import roles as R

        from . import models as m
        from .portfolio_setup import register_portfolio_policy; register_portfolio_policy()  # noqa: E702 — the portfolio half

        # Indicator sets and layers are the district's reference data: everyone reads them; the
        # health-check office (services.access) and administrators keep them, a department its own.
        policy.register(m.IndicatorSet, policy.Rule(read=R.ALL_ROLES, everyone_reads=True))
        policy.register(m.Indicator, policy.Rule(read=R.ALL_ROLES, write=frozenset({R.DEPT_HANDLER}), unit="responsible_unit_id", everyone_reads=True))
        # A value is entered by the indicator's responsible department.
        policy.register(m.Measurement, policy.Rule(read=R.ALL_ROLES, write=frozenset({R.DEPT_HANDLER}), unit="indicator__responsible_unit_id",
                                                   everyone_reads=True))
        policy.register(m.Layer, policy.Rule(read=R.ALL_ROLES, write=frozenset({R.DEPT_HANDLER}), unit="unit_id", everyone_reads=True))
        policy.register(m.Feature, policy.Rule(read=R.ALL_ROLES, write=frozenset({R.DEPT_HANDLER}), unit="layer__unit_id", everyone_reads=True))
        # Problems are seen and worked on by the area they lie in and the unit responsible for them.
        problem_writers = frozenset({R.DEPT_HANDLER, R.STREET_CHIEF, R.COMMUNITY_GRID_WORKER, R.OPS_GRID_WORKER})
        policy.register(m.Problem, policy.Rule(read=R.ALL_ROLES, write=problem_writers, area={"community": "community_id", "street": "street_id"},
                                               unit="responsible_unit_id"))
        for model in (m.ProblemRemedy, m.ProblemPhoto, m.ProblemEvent):
            policy.register(model, policy.Rule(read=R.ALL_ROLES, write=problem_writers,
                                               area={"community": "problem__community_id", "street": "problem__street_id"},
                                               unit="problem__responsible_unit_id"))

        from . import builtin_providers

        builtin_providers.register_all()

        from chengyun.reports import kinds

        from . import reporting

        kinds.register(reporting.HEALTH_CHECK)
