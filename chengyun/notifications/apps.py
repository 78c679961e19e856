from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class NotificationsConfig(AppConfig):
    """The notification centre: one inbox per user, preferences by kind and channel, the API.
    The records and notify() live in core, so every app can notify without importing this one."""

    name = "chengyun.notifications"
    label = "notifications"
    verbose_name = _("通知中心")
    api_router = "chengyun.notifications.api.router"
    api_prefix = "notifications"
