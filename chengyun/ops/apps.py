from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OpsConfig(AppConfig):
    """Running Chengyun in production: hardening middleware, health and readiness, metrics,
    receiver heartbeats, backup and restore, and `chengyun serve`."""

    name = "chengyun.ops"
    label = "ops"
    verbose_name = _("运行维护")
    # /healthz, /readyz and /metrics sit at the site root where probes and Prometheus expect them.
    root_urlconf = "chengyun.ops.urls"

    def ready(self):
        from . import inflight, jobs

        jobs.connect()
        inflight.connect()
