from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

from chengyun.core.registry import CockpitPanel, NavItem


class DrainageConfig(AppConfig):
    name = "chengyun.drainage"
    label = "drainage"
    url_prefix = "drainage"
    verbose_name = _("排水管网")
    api_router = "chengyun.drainage.api.router"
    demo_generator = "chengyun.drainage.demo.generate"
    demo_order = 60
    nav = [NavItem(_("排水管网"), "drainage:map", order=45, group="drainage")]
    cockpit_panels = [CockpitPanel("drainage.hazards", _("排水与道路隐患"), "chengyun.drainage.cockpit.hazards", order=40)]

    def ready(self) -> None:
        from chengyun.core.audit_display import register_verbs

        from .services.misconnection import TRANSITIONS

        register_verbs("drainage.misconnection", {k: t.label for k, t in TRANSITIONS.items()})  # the audit page names each transition
        from chengyun.people import policy
        from chengyun.people import roles as R

        from . import models as m

        # The network is reference data everyone reads; the owner unit's handlers keep it.
        network = policy.Rule(read=R.ALL_ROLES, write=frozenset({R.DEPT_HANDLER}), unit="owner_id", everyone_reads=True)
        for model in (m.Node, m.Pipe):
            policy.register(model, network)
        policy.register(m.Source, policy.Rule(read=R.ALL_ROLES, write=frozenset({R.DEPT_HANDLER}), unit="node__owner_id", everyone_reads=True))
        # Overflow records: fed from water's alerts; entered by hand by the owner unit or the ops center.
        policy.register(m.OverflowRecord, policy.Rule(read=R.ALL_ROLES, write=frozenset({R.DEPT_HANDLER}), unit="node__owner_id",
                                                      everyone_reads=True, wide_write=R.OPS_CENTER | {R.SYSADMIN}))
        policy.register(m.Inspection, policy.Rule(read=R.ALL_ROLES, write=frozenset({R.DEPT_HANDLER}), unit="pipe__owner_id", everyone_reads=True))
        # A misconnection is a suspected violation at a place: the area's people and the owner
        # unit see it; the ops center turns it into a case or a supervised task.
        policy.register(m.Misconnection, policy.Rule(
            read=R.AREA_BOUND | R.UNIT_BOUND, write=frozenset(),
            area={"grid": "grid_id", "street": "street_id"}, unit="owner_id",
            wide_write=frozenset({R.SYSADMIN, R.OPS_DISPATCHER, R.OPS_SHIFT_LEADER}),
        ))
        policy.register(m.RenovationPlan, policy.Rule(read=R.UNIT_BOUND, write=frozenset({R.DEPT_HANDLER}), unit="unit_id"))
        policy.register(m.PlanItem, policy.Rule(read=R.UNIT_BOUND, unit="plan__unit_id"))
        policy.register(m.SeparationProject, policy.Rule(
            read=R.ALL_ROLES, write=frozenset({R.DEPT_HANDLER}), unit="unit_id", everyone_reads=True,
        ))
        policy.register(m.ProjectPipe, policy.Rule(read=R.ALL_ROLES, unit="project__unit_id", everyone_reads=True))

        from django.apps import apps

        if apps.is_installed("chengyun.water"):
            from chengyun.water import services as water_services

            def in_network(code: str) -> bool:
                # The in-memory index shared with the traces: a lookup, not a query per outfall.
                from . import index

                return code in index.get_index().node_pos

            # Water offers a trace only for outfalls that are nodes of this network (drainage
            # knows water, water does not know drainage).
            water_services.register_network_nodes(in_network)

            from .overflow_feed import on_water_alert

            # An overflow alert at one of our outfalls opens, extends and closes its overflow record.
            water_services.on_alert_change(on_water_alert)
