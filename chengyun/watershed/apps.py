from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

from chengyun.core.registry import CockpitPanel, NavItem


class WatershedConfig(AppConfig):
    name = "chengyun.watershed"
    label = "watershed"
    url_prefix = "watershed"
    verbose_name = _("流域治理")
    api_router = "chengyun.watershed.api.router"
    api_prefix = "watersheds"
    extra_api_routers = [("exchange", "chengyun.watershed.api_exchange.router")]
    demo_generator = "chengyun.watershed.demo.generate"
    demo_order = 64  # after water (55), drainage (60) and supervision (40): it builds on their sections, network and tasks
    nav = [
        NavItem(_("流域治理"), "watershed:map", order=41, group="water"),
    ]
    cockpit_panels = [
        CockpitPanel("watershed.governance", _("流域治理与联防联控"), "chengyun.watershed.cockpit.governance", order=45),
    ]

    def ready(self) -> None:
        from chengyun.core.audit_display import register_verbs
        from chengyun.people import policy
        from chengyun.people import roles as R

        from . import models as m
        from . import tasks  # noqa: F401  (registers the exchange's push and periodic pull jobs with Huey)
        from . import workflow

        register_verbs("watershed.erosionproject", {f"project.{k}": t.label for k, t in workflow.PROJECT_TRANSITIONS.items()})
        register_verbs("watershed.jointincident", {f"incident.{k}": t.label for k, t in workflow.INCIDENT_TRANSITIONS.items()})
        register_verbs("watershed.supervisioncheck", {"check.confirm": _("核实无人机发现"), "check.to_case": _("转为案件"), "check.to_task": _("转为督办任务")})
        register_verbs("watershed.watershed", {"boundary.import": _("导入边界"), "boundary.derive": _("推算边界")})
        register_verbs("watershed.neighbour", {"neighbour.link": _("配置对方平台")})
        register_verbs("watershed.demotask", {"demotask.actual": _("填报现状值"), "demotask.to_task": _("转为督办任务")})

        ops = R.OPS_CENTER | {R.SYSADMIN}
        reference = policy.Rule(read=R.ALL_ROLES, everyone_reads=True, wide_write=ops)
        for model in (m.Watershed, m.Measure, m.Indicator, m.IndicatorValue, m.HydroRecord, m.BoundarySection, m.BoundaryReading):
            policy.register(model, reference)
        # The exchange's configuration holds shared secrets: district-wide eyes only, never in the audit log.
        from chengyun.core import audit

        audit.mask_fields(m.Neighbour, "secret", "token")
        policy.register(m.Neighbour, policy.Rule(read=R.DISTRICT_WIDE, wide_write=frozenset({R.SYSADMIN})))
        for model in (m.ExchangeMessage, m.ExchangeRefusal):
            policy.register(model, policy.Rule(read=R.DISTRICT_WIDE, wide_write=frozenset({R.SYSADMIN})))
        # A project is seen by the area it lies in and the unit supervising it, which also works it.
        policy.register(m.ErosionProject, policy.Rule(read=R.AREA_BOUND | R.UNIT_BOUND, write=frozenset({R.DEPT_HANDLER}),
                                                      area={"street": "street_id"}, unit="supervisor_id", wide_write=ops))
        policy.register(m.SupervisionCheck, policy.Rule(read=R.AREA_BOUND | R.UNIT_BOUND, write=frozenset({R.DEPT_HANDLER}),
                                                        area={"street": "project__street_id"}, unit="project__supervisor_id", wide_write=ops))
        # Joint incidents are the district's shared business with its neighbours: everyone reads,
        # river chiefs and departments record actions beside the ops center.
        incident_rule = policy.Rule(read=R.ALL_ROLES, everyone_reads=True, write=frozenset({R.RIVER_CHIEF, R.DEPT_HANDLER}), wide_write=ops)
        policy.register(m.JointIncident, incident_rule)
        policy.register(m.JointEntry, incident_rule)
        policy.register(m.DemoTask, policy.Rule(read=R.ALL_ROLES, everyone_reads=True, write=frozenset({R.DEPT_HANDLER}),
                                                unit="responsible_unit_id", wide_write=ops))

        from chengyun.reports import kinds

        from . import reporting

        kinds.register(reporting.JOINT_MONTHLY)

        from django.apps import apps

        from .services import demotasks

        if apps.is_installed("chengyun.supervision"):
            from chengyun.supervision import metrics

            metrics.register("watershed.demo_tasks", "生态文明建设示范区指标达标数", demotasks.metric)
        if apps.is_installed("chengyun.renewal"):
            from chengyun.renewal import providers

            for code, label in HEALTH_OVERLAPS.items():
                providers.register(f"watershed.{code}", label, demotasks.health_provider(code))
        if apps.is_installed("chengyun.water"):
            from chengyun.water import services as water

            from .services.exchange import on_water_alert

            water.on_alert_change(on_water_alert)


# Demonstration indicators that the health check also measures (its indicator code → label).
HEALTH_OVERLAPS = {"forest_cover": "森林覆盖率（示范区指标）", "water_quality": "地表水水质达到或优于Ⅲ类比例（示范区指标）"}
