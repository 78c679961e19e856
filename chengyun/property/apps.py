from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

from chengyun.core.registry import CockpitPanel, NavItem


class PropertyConfig(AppConfig):
    name = "chengyun.property"
    label = "property"
    url_prefix = "property"
    verbose_name = _("物业治理")
    api_router = "chengyun.property.api.router"
    api_prefix = "property"
    demo_generator = "chengyun.property.demo.generate"
    demo_order = 66  # after renewal (62), which builds the compound register
    nav = [
        NavItem(_("物业治理"), "property:coverage", order=70, group="governance", children=(
            NavItem(_("物业全覆盖"), "property:coverage", order=1, group="governance"),
            NavItem(_("物业服务企业"), "property:companies", order=2, group="governance"),
            NavItem(_("服务质量考核"), "property:assessments", order=3, group="governance"),
        )),
    ]
    cockpit_panels = [
        CockpitPanel("property.coverage", _("物业全覆盖"), "chengyun.property.cockpit.coverage", order=70),
        CockpitPanel("property.credit", _("物业企业信用"), "chengyun.property.cockpit.credit_panel", order=71),
    ]

    def ready(self) -> None:
        from chengyun.cases import services as case_services
        from chengyun.core.audit_display import register_verbs
        from chengyun.people import policy
        from chengyun.people import roles as R

        from . import models as m, workflow
        from .services import complaints

        # Credit information is public within the platform: everyone signed in reads companies,
        # their projects and records; the property office (services.access) writes them.
        office_kept = policy.Rule(read=R.ALL_ROLES, write=frozenset({R.DEPT_HANDLER}), everyone_reads=True)
        for model in (m.Company, m.ProjectManager, m.Management, m.CreditScheme, m.CreditItem, m.CreditRecord, m.GradeChange,
                      m.Measure, m.AssessmentSheet):
            policy.register(model, office_kept)
        # Assessments and campaign files are the street's and community's, in their area.
        area = {"community": "community_id", "street": "street_id"}
        policy.register(m.Assessment, policy.Rule(read=R.ALL_ROLES, write=workflow.AREA_STAFF, area=area))
        policy.register(m.CoverageFile, policy.Rule(read=R.ALL_ROLES, write=workflow.AREA_STAFF, area=area))
        policy.register(m.CoverageEvent, policy.Rule(read=R.ALL_ROLES, write=workflow.AREA_STAFF,
                                                     area={"community": "file__community_id", "street": "file__street_id"}))
        register_verbs("property.coveragefile", {t.action: t.label for t in workflow.TRANSITIONS.values()})
        register_verbs("property.creditrecord", {"rectify": _("确认整改")})
        register_verbs("property.creditscheme", {"configure": _("调整评价方案")})
        case_services.on_transition(complaints.on_case_transition)
