from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

from chengyun.core.registry import NavItem

from . import roles


class PeopleConfig(AppConfig):
    name = "chengyun.people"
    label = "people"
    url_prefix = "people"
    verbose_name = _("人员与权限")
    api_router = "chengyun.people.api.router"
    demo_generator = "chengyun.people.demo.generate"
    demo_order = 20
    nav = [
        NavItem(_("人员"), "people:list", order=80),
        NavItem(_("审计日志"), "people:audit", order=90, roles=frozenset({roles.AUDITOR, roles.SYSADMIN})),
    ]

    def ready(self) -> None:
        from chengyun.core.models import AuditEntry

        from . import policy
        from .models import Person

        # Area-bound roles see the people of their area and unit; handlers those of their unit;
        # everyone sees and may correct their own record.
        policy.register(Person, policy.Rule(
            read=roles.AREA_BOUND | roles.UNIT_BOUND,
            area={"grid": "grids", "community": "communities", "street": "streets"},
            unit="unit_id",
            person="id",
            distinct=True,
        ))
        policy.register(AuditEntry, policy.Rule(read=frozenset(), wide_read=frozenset({roles.AUDITOR, roles.SYSADMIN}), wide_write=frozenset()))
