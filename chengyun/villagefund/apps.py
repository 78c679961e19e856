from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

from chengyun.core.registry import CockpitPanel, NavItem
from chengyun.people import roles as R

# Who uses the fund's pages: the villages and streets, the reviewing departments, the district.
FUND_ROLES = frozenset({R.VILLAGE_CADRE, R.STREET_OFFICER, R.DEPT_HANDLER}) | R.DISTRICT_WIDE


class VillageFundConfig(AppConfig):
    name = "chengyun.villagefund"
    label = "villagefund"
    url_prefix = "villagefund"
    verbose_name = _("村集体经济扶持资金")
    api_router = "chengyun.villagefund.api.router"
    api_prefix = "villagefund"
    demo_generator = "chengyun.villagefund.demo.generate"
    demo_order = 70
    home_page = "chengyun.villagefund.home.home"
    nav = [
        NavItem(_("强村项目"), "villagefund:projects", order=70, roles=FUND_ROLES, group="governance", children=(
            NavItem(_("项目列表"), "villagefund:projects", order=1, roles=FUND_ROLES),
            NavItem(_("审核队列"), "villagefund:queue", order=2, roles=frozenset({R.STREET_OFFICER, R.DEPT_HANDLER, R.SYSADMIN})),
            NavItem(_("申报项目"), "villagefund:apply", order=3, roles=frozenset({R.VILLAGE_CADRE})),
            NavItem(_("资金台账"), "villagefund:batches", order=4, roles=FUND_ROLES),
            NavItem(_("年度绩效"), "villagefund:performance", order=5, roles=FUND_ROLES),
            NavItem(_("公示公开"), "villagefund:public", order=6),
        )),
    ]
    cockpit_panels = [
        CockpitPanel("villagefund.fund", _("村集体经济扶持资金"), "chengyun.villagefund.cockpit.fund_panel", order=70),
    ]

    def ready(self) -> None:
        from chengyun.core.audit_display import register_verbs
        from chengyun.people import policy

        from . import models as m
        from . import workflow as wf

        local = frozenset({R.VILLAGE_CADRE, R.STREET_OFFICER})
        # A village and everything of its projects is seen by its own cadres and its street's
        # officers (a street's responsibility covers its communities); the district's reviewing
        # departments read them all through services.access, the district-wide roles by policy.
        policy.register(m.Village, policy.Rule(read=local, write=local, area={"community": "community_id"}))
        policy.register(m.Batch, policy.Rule(read=R.ALL_ROLES, everyone_reads=True))
        policy.register(m.Project, policy.Rule(read=local, write=local, area={"community": "village__community_id"}))
        for model in (m.Meeting, m.Review, m.Event, m.Objection, m.Progress, m.Payment, m.Asset, m.YearlyReturn):
            policy.register(model, policy.Rule(read=local, write=local, area={"community": "project__village__community_id"}))
        register_verbs("villagefund.project", {t.action: t.label for t in wf.TRANSITIONS.values()})
        register_verbs("villagefund.objection", {"resolve_objection": _("处理公示异议")})
        register_verbs("villagefund.progress", {"verify_progress": _("核实项目进度")})

        from chengyun.reports import kinds

        from . import reporting

        kinds.register(reporting.YEARLY)
