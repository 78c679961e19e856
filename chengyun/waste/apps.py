from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

from chengyun.core.registry import CockpitPanel, NavItem


class WasteConfig(AppConfig):
    name = "chengyun.waste"
    label = "waste"
    url_prefix = "waste"
    verbose_name = _("垃圾分类与无废城市")
    api_router = "chengyun.waste.api.router"
    demo_generator = "chengyun.waste.demo.generate"
    demo_order = 66  # after supervision (40): the plant relocation is a key task; after geo's compounds
    nav = [NavItem(_("垃圾分类"), "waste:dashboard", order=53, group="cityops")]
    cockpit_panels = [CockpitPanel("waste.sorting", _("垃圾分类"), "chengyun.waste.cockpit.sorting", order=61)]

    def ready(self) -> None:
        from chengyun.core.audit_display import register_verbs
        from chengyun.people import policy
        from chengyun.people import roles as R

        from . import indicators
        from . import models as m

        area_paths = {"community": "community_id", "street": "street_id"}
        # Surveys and the register are kept where the compound lies: its community's grid workers and the street.
        writers = frozenset({R.COMMUNITY_GRID_WORKER, R.STREET_CHIEF})
        policy.register(m.SortingCompound, policy.Rule(read=R.ALL_ROLES, write=writers, area=area_paths))
        policy.register(m.SortingCheck, policy.Rule(read=R.ALL_ROLES, write=writers, area=area_paths))
        policy.register(m.DemoArea, policy.Rule(read=R.ALL_ROLES, write=frozenset({R.STREET_CHIEF}), area={"street": "street_id"}, everyone_reads=True))
        # The 无废城市 indicators are the district's; the responsible department fills its own.
        policy.register(m.ZeroWasteIndicator, policy.Rule(read=R.ALL_ROLES, write=frozenset({R.DEPT_HANDLER}), unit="unit_id", everyone_reads=True))
        policy.register(m.ZeroWasteValue, policy.Rule(read=R.ALL_ROLES, write=frozenset({R.DEPT_HANDLER}), unit="indicator__unit_id", everyone_reads=True))
        register_verbs("waste.sortingcompound", {"enrol": _("纳入分类或示范片区")})
        indicators.register_providers()
