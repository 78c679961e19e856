from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from chengyun.core.registry import CockpitPanel, NavItem
from chengyun.people import roles as R


class CasesConfig(AppConfig):
    name = "chengyun.cases"
    label = "cases"
    url_prefix = "cases"
    verbose_name = _("城市管理案件")
    api_router = "chengyun.cases.api.router"
    root_urlconf = "chengyun.cases.open311"
    demo_generator = "chengyun.cases.demo.generate"
    demo_order = 30
    nav = [
        NavItem(pgettext_lazy("导航", "案件"), "cases:list", order=20, group="cityops"),
        NavItem(_("派遣台"), "cases:queue", order=21, roles=R.OPS_CENTER, group="cityops"),
        NavItem(_("待办"), "cases:inbox", order=22, roles=frozenset({R.DEPT_HANDLER, R.COMMUNITY_GRID_WORKER, R.OPS_GRID_WORKER}), group="cityops"),
        NavItem(_("上报"), "cases:report", order=23, group="cityops"),
        NavItem(_("综合评价"), "cases:evaluation", order=24, roles=R.DISTRICT_WIDE, group="cityops"),
    ]
    cockpit_panels = [CockpitPanel("cases.today", _("城市管理案件"), "chengyun.cases.cockpit.today", order=10)]

    def ready(self) -> None:
        from chengyun.core.audit_display import register_verbs

        from . import workflow

        register_verbs("cases.case", workflow.ACTIONS)  # the audit page names each transition
        from . import tasks  # noqa: F401  (registers the periodic clock job with Huey)
        from . import freshness

        freshness.connect()  # the cached list pages follow every write to what they show
        from chengyun.people import policy

        from chengyun.core import audit

        from .models import Attachment, Case, Category, DroneFlight, FilingCondition, Responsibility

        # Reporters' personal information never reaches the audit log in the clear (auditors
        # see that it was set or changed, not what it is).
        audit.mask_fields(Case, "reporter_name", "reporter_phone")

        # Area-bound people see the cases in their area, handlers those of their unit, and a
        # reporter always sees their own; the workflow table decides who may move a case.
        policy.register(Case, policy.Rule(
            read=R.AREA_BOUND | R.UNIT_BOUND,
            write=R.ALL_ROLES,
            area={"grid": "grid_id", "community": "community_id", "street": "street_id"},
            unit="unit_id",
            person="reporter__person",
            wide_write=R.OPS_CENTER | {R.SYSADMIN, R.DISTRICT_LEADER},
        ))
        policy.register(Attachment, policy.Rule(
            read=R.AREA_BOUND | R.UNIT_BOUND,
            write=R.ALL_ROLES,
            area={"grid": "case__grid_id", "community": "case__community_id", "street": "case__street_id"},
            unit="case__unit_id",
            person="case__reporter__person",
            wide_write=R.OPS_CENTER | {R.SYSADMIN},
        ))
        catalogue = policy.Rule(read=R.ALL_ROLES, everyone_reads=True, wide_write=frozenset({R.SYSADMIN}))
        for model in (Category, FilingCondition):
            policy.register(model, catalogue)
        policy.register(Responsibility, policy.Rule(read=R.ALL_ROLES, everyone_reads=True, wide_write=frozenset({R.SYSADMIN, R.OPS_SHIFT_LEADER})))
        policy.register(DroneFlight, policy.Rule(read=frozenset({R.DRONE_OPERATOR}), wide_write=frozenset({R.SYSADMIN, R.DRONE_OPERATOR}), person=None))
