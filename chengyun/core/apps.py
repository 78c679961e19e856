from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CoreConfig(AppConfig):
    name = "chengyun.core"
    label = "core"
    verbose_name = _("平台基础")
    # Mounted at the API root: /api/v1/health.
    api_router = "chengyun.core.api.router"
    api_prefix = ""
