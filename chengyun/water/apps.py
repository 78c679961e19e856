from django.apps import AppConfig, apps
from django.utils.translation import gettext_lazy as _

from chengyun.core.registry import CockpitPanel, NavItem


class WaterConfig(AppConfig):
    name = "chengyun.water"
    label = "water"
    url_prefix = "water"
    verbose_name = _("水环境")
    api_router = "chengyun.water.api.router"
    demo_generator = "chengyun.water.demo.generate"
    demo_order = 55
    nav = [
        NavItem(_("水环境"), "water:map", order=40, group="water"),
    ]
    cockpit_panels = [CockpitPanel("water.quality", _("水质与告警"), "chengyun.water.cockpit.quality", order=30)]

    def ready(self) -> None:
        from chengyun.core.audit_display import register_verbs

        from .services.alerts import TRANSITIONS

        register_verbs("water.alert", {k: t.label for k, t in TRANSITIONS.items()})  # the audit page names each transition
        from chengyun.people import policy
        from chengyun.people import roles as R

        from . import tasks  # noqa: F401  (registers the periodic device check)
        # Aggregates have no rule of their own: they are only read through a site the user may see.
        from .models import (Alert, Camera, Outfall, Patrol, PatrolProblem, PatrolRule, PatrolRuleVersion, RainDay, Reach,
                             RiverChief, Section, Snapshot, WaterBody)

        ops = R.OPS_CENTER | {R.SYSADMIN}
        reference = policy.Rule(read=R.ALL_ROLES, everyone_reads=True, wide_write=ops)
        for model in (WaterBody, Reach, RiverChief, PatrolRule, PatrolRuleVersion, RainDay):
            policy.register(model, reference)
        # River chiefs see the sites in their area and those they are answerable for; the
        # responsible unit sees its outfalls; the ops center and leadership see everything.
        site_area = {"grid": "grid_id", "community": "grid__community_id", "street": "street_id"}
        policy.register(Section, policy.Rule(read=R.AREA_BOUND | R.UNIT_BOUND, area=site_area,
                                             person=("chief__person_id", "reach__chief__person_id"), wide_write=ops))
        policy.register(Outfall, policy.Rule(read=R.AREA_BOUND | R.UNIT_BOUND, area=site_area, unit="unit_id",
                                             person="reach__chief__person_id", wide_write=ops))
        policy.register(Alert, policy.Rule(
            read=R.AREA_BOUND | R.UNIT_BOUND,
            write=frozenset({R.RIVER_CHIEF, R.STREET_CHIEF, R.DEPT_HANDLER}),
            area=site_area, unit="outfall__unit_id", wide_write=ops,
            # The chief answerable for the site sees and handles its alerts wherever they live:
            # the new-alert notification sends them there.
            person=("section__chief__person_id", "section__reach__chief__person_id", "outfall__reach__chief__person_id"),
        ))
        patrol_area = {"street": "reach__street_id", "community": "reach__community_id"}
        policy.register(Patrol, policy.Rule(read=frozenset({R.RIVER_CHIEF, R.STREET_CHIEF}), area=patrol_area,
                                            person="chief__person_id", wide_write=frozenset({R.SYSADMIN})))
        policy.register(PatrolProblem, policy.Rule(
            read=frozenset({R.RIVER_CHIEF, R.STREET_CHIEF}),
            area={"street": "patrol__reach__street_id", "community": "patrol__reach__community_id"},
            person="patrol__chief__person_id", wide_write=frozenset({R.SYSADMIN}),
        ))
        outfall_area = {"grid": "outfall__grid_id", "street": "outfall__street_id"}
        policy.register(Camera, policy.Rule(read=R.AREA_BOUND | R.UNIT_BOUND, area=outfall_area, unit="outfall__unit_id", wide_write=ops))
        policy.register(Snapshot, policy.Rule(read=R.AREA_BOUND | R.UNIT_BOUND, area=outfall_area, unit="outfall__unit_id", wide_write=ops))

        if apps.is_installed("chengyun.monitoring"):
            from chengyun.monitoring import hooks

            from .services.readings import is_linked, on_readings_stored

            hooks.on_readings_stored(on_readings_stored, wants=is_linked)

        if apps.is_installed("chengyun.monitoring"):
            # Monitoring asks water whether a linked site exists, and hands over a device linked
            # on its own page or API so its history is judged as water's own link does
            # (monitoring does not import water).
            from chengyun.monitoring import hooks as monitoring_hooks

            from . import services as water_services

            def site_of(site_kind: str, site_code: str):
                if site_kind == "section":
                    return water_services.section_by_code(site_code)
                return water_services.outfall_by_code(site_code) if site_kind == "outfall" else None

            def judge_linked(device) -> None:
                site = site_of(device.site_kind, device.site_code)
                if site is not None:
                    water_services.link_device(None, device.mn, site)  # same link again: judges the history

            monitoring_hooks.register_site_resolver(lambda kind, code: site_of(kind, code) is not None)
            monitoring_hooks.on_device_linked(judge_linked)
