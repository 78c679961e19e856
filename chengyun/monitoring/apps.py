import os

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

from chengyun.core.registry import NavItem
from chengyun.people import roles as R


class MonitoringConfig(AppConfig):
    name = "chengyun.monitoring"
    label = "monitoring"
    url_prefix = "monitoring"
    verbose_name = _("在线监测")
    api_router = "chengyun.monitoring.api.router"
    demo_generator = "chengyun.monitoring.demo.generate"
    demo_order = 50
    # `chengyun demo` runs the HJ 212 receiver and a simulator of the demo devices beside the web
    # server; CHENGYUN_HJ212_PORT moves them when two demos share a host.
    _port = os.environ.get("CHENGYUN_HJ212_PORT", "9212")
    demo_services = [
        ["hj212-server", "--host", "127.0.0.1", "--port", _port, "--workers", "1"],
        ["hj212-simulate", "--host", "127.0.0.1", "--port", _port, "--devices-from-db", "--interval", "30", "--start-delay", "3"],
    ]

    nav = [NavItem(_("监测设备"), "monitoring:devices", order=45, roles=R.DISTRICT_WIDE | R.AREA_BOUND)]

    def ready(self) -> None:
        from chengyun.core import audit

        from . import rules
        from .models import Device

        rules.register()
        # Device passwords (HJ 212 PW) are secrets: the audit log shows ****** and "changed".
        audit.mask_fields(Device, "password")
