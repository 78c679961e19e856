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
        NavItem(_("人员"), "people:list", order=80, group="system"),
        NavItem(_("审计日志"), "people:audit", order=90, roles=frozenset({roles.AUDITOR, roles.SYSADMIN}), group="system"),
        NavItem(_("安全管理"), "people:security", order=91, roles=frozenset({roles.SECURITY_ADMIN, roles.SYSADMIN}), group="system"),
        NavItem(_("账号安全"), "people:account", order=95, group="system"),
    ]

    def ready(self) -> None:
        from django.contrib.auth.signals import user_logged_in

        from chengyun.core import audit
        from chengyun.core.models import AuditEntry

        from . import sessions, tasks  # noqa: F401  (tasks registers the daily clean-up with Huey)
        from .models import AccountSecurity, ApiToken

        # Every sign-in (the login page, or a test's force_login) gets a tracked server-side session.
        user_logged_in.connect(lambda sender, request, user, **kw: sessions.started(request, user) if request is not None else None,
                               weak=False, dispatch_uid="chengyun.people.sessions.started")
        audit.mask_fields(AccountSecurity, "totp_secret", "recovery_codes")
        audit.mask_fields(ApiToken, "key_hash")

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
            wide_read=roles.DISTRICT_WIDE | {roles.SECURITY_ADMIN},
        ))
        policy.register(AuditEntry, policy.Rule(read=frozenset(), wide_read=frozenset({roles.AUDITOR, roles.SYSADMIN}), wide_write=frozenset()))
