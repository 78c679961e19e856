from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

from chengyun.core.registry import CockpitPanel, NavItem


class StreetsConfig(AppConfig):
    name = "chengyun.streets"
    label = "streets"
    url_prefix = "streets"
    verbose_name = _("街长制与夜间经济")
    api_router = "chengyun.streets.api.router"
    api_prefix = "streets"
    demo_generator = "chengyun.streets.demo.generate"
    demo_order = 64  # after roads (58): every segment gets a chief
    nav = [
        NavItem(_("街长工作台"), "streets:board", order=52, group="cityops"),
        NavItem(_("夜间经济"), "streets:night", order=53, group="cityops"),
    ]
    cockpit_panels = [
        CockpitPanel("streets.patrols", _("街长巡街"), "chengyun.streets.cockpit.patrols", order=52),
        CockpitPanel("streets.night", _("夜间经济"), "chengyun.streets.cockpit.night", order=53),
    ]

    def ready(self) -> None:
        from chengyun.core.audit_display import register_verbs
        from chengyun.people import policy
        from chengyun.people import roles as R

        from . import models as m
        from . import permit_workflow as wf

        street_desk = frozenset({R.SYSADMIN, R.OPS_SHIFT_LEADER, R.OPS_DISPATCHER})  # the district's city-management desk
        street_staff = frozenset({R.STREET_CHIEF, R.DEPT_HANDLER, R.COMMUNITY_GRID_WORKER, R.OPS_GRID_WORKER})
        # Assignments, patrols, shops, permits and violations are seen by the street they lie in
        # (a street chief sees their streets) and by the person they belong to.
        policy.register(m.SegmentAssignment, policy.Rule(read=R.ALL_ROLES, write=frozenset({R.STREET_CHIEF}), area={"street": "street_id"},
                                                         person="chief_id", wide_write=street_desk))
        policy.register(m.PatrolRule, policy.Rule(read=R.ALL_ROLES, everyone_reads=True))
        policy.register(m.Patrol, policy.Rule(read=R.ALL_ROLES, area={"street": "street_id"}, person="patroller_id",
                                              wide_write=frozenset({R.SYSADMIN, R.OPS_SHIFT_LEADER})))
        policy.register(m.PatrolCoverage, policy.Rule(read=R.ALL_ROLES, area={"street": "patrol__street_id"}, person="patrol__patroller_id"))
        policy.register(m.PatrolFinding, policy.Rule(read=R.ALL_ROLES, area={"street": "patrol__street_id"}, person="patrol__patroller_id"))
        for model in (m.NightZone, m.NightPolicy, m.PolicyWindow):
            policy.register(model, policy.Rule(read=R.ALL_ROLES, everyone_reads=True))
        # Shops are registered by the staff of the street they lie in (the street office among them) or the desk.
        policy.register(m.Shop, policy.Rule(read=R.ALL_ROLES, write=street_staff | {R.STREET_OFFICER}, area={"street": "street_id"},
                                            wide_write=street_desk))
        policy.register(m.Permit, policy.Rule(read=R.ALL_ROLES, write=frozenset({R.STREET_CHIEF, R.DEPT_HANDLER}), area={"street": "street_id"},
                                              wide_write=street_desk))
        policy.register(m.PermitEvent, policy.Rule(read=R.ALL_ROLES, area={"street": "permit__street_id"}))
        policy.register(m.Violation, policy.Rule(read=R.ALL_ROLES, area={"street": "street_id"}))
        register_verbs("streets.permit", {t.action: t.label for t in wf.TRANSITIONS.values()} | {"apply": _("申请外摆")})
        register_verbs("streets.segmentassignment", {"close_assignment": _("责任期结束")})
        register_verbs("streets.patrol", {"finish": _("结束巡街")})
