from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from chengyun.core.registry import NavItem


class GeoConfig(AppConfig):
    name = "chengyun.geo"
    label = "geo"
    url_prefix = "geo"
    verbose_name = _("区域与责任单位")
    api_router = "chengyun.geo.api.router"
    demo_generator = "chengyun.geo.demo.generate"
    demo_order = 10
    nav = [
        NavItem(_("一张图"), "geo:map", order=10, group="cityops"),
        NavItem(pgettext_lazy("导航", "责任单位"), "geo:units", order=70, group="governance"),
        NavItem(_("边界导入"), "geo:boundary_import", order=95, roles=frozenset({"sysadmin"}), group="system"),
    ]

    def ready(self) -> None:
        from chengyun.people import policy
        from chengyun.people import roles as R

        from .models import Community, Compound, District, Grid, Street, Unit, UnitContact

        boundaries = policy.Rule(read=R.ALL_ROLES, everyone_reads=True)
        for model in (District, Street, Community, Grid):
            policy.register(model, boundaries)
        # Everyone reads the unit directory; a unit's own people keep its address and contacts.
        policy.register(Unit, policy.Rule(read=R.ALL_ROLES, write=R.ALL_ROLES, unit="id", everyone_reads=True))
        policy.register(UnitContact, policy.Rule(read=R.ALL_ROLES, write=R.ALL_ROLES, unit="unit_id", everyone_reads=True))
        # The compound register is reference data everyone reads; the people of its community
        # or street (and administrators) keep it.
        policy.register(Compound, policy.Rule(read=R.ALL_ROLES, write=frozenset({R.STREET_CHIEF, R.COMMUNITY_GRID_WORKER}),
                                              area={"community": "community_id", "street": "community__street_id"},
                                              everyone_reads=True))
