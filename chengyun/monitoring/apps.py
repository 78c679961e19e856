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
    # What `chengyun demo` says about the optional services (set when demo_services is read).
    demo_messages: list[str] = []

    @property
    def demo_services(self) -> list[list[str]]:
        """Besides the HJ 212 pair, the MQTT ingester — only when a broker answers at demo start
        (CHENGYUN_MQTT_URL, default mqtt://127.0.0.1:1883), so the demo runs on a fresh machine."""
        services = [
            ["hj212-server", "--host", "127.0.0.1", "--port", self._port, "--workers", "1"],
            ["hj212-simulate", "--host", "127.0.0.1", "--port", self._port, "--devices-from-db", "--interval", "30",
             "--start-delay", "3"],
        ]
        url = os.environ.get("CHENGYUN_MQTT_URL", "").strip() or "mqtt://127.0.0.1:1883"
        shown = _without_password(url)
        if broker_answers(url):
            services.append(["mqtt-ingest", "--url", url, "--client-id", "chengyun-demo-mqtt-ingest"])
            self.demo_messages = [f"MQTT 接入：已启动（代理 {shown}）"]
        else:
            self.demo_messages = [f"MQTT 接入：代理 {shown} 无应答，未启动（可设置 CHENGYUN_MQTT_URL 或启动 Mosquitto 后重启演示）"]
        return services

    nav = [NavItem(_("监测设备"), "monitoring:devices", order=45, roles=R.DISTRICT_WIDE | R.AREA_BOUND)]

    def ready(self) -> None:
        from chengyun.core import audit

        from . import rules
        from .models import Device

        rules.register()
        # Device passwords (HJ 212 PW) are secrets: the audit log shows ****** and "changed".
        audit.mask_fields(Device, "password")


def _without_password(url: str) -> str:
    from urllib.parse import urlparse

    parsed = urlparse(url)
    if parsed.password:
        return url.replace(f":{parsed.password}@", ":***@", 1)
    return url


def broker_answers(url: str, timeout: float = 0.5) -> bool:
    """Whether something accepts TCP connections at an mqtt:// URL's host and port."""
    import socket
    from urllib.parse import urlparse

    try:
        parsed = urlparse(url)
        host, port = parsed.hostname or "127.0.0.1", parsed.port or 1883
    except ValueError:
        return False
    try:
        socket.create_connection((host, port), timeout).close()
        return True
    except OSError:
        return False
