import hashlib
from typing import Any, Mapping

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

from chengyun.core.registry import DemoSetting, NavItem
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
    # server, and the MQTT ingester when a broker answers; where they listen and connect is an
    # option of `chengyun demo` and a setting, so two demos can share a host.
    demo_settings = [
        DemoSetting("--hj212-port", "HJ212_PORT", "HJ 212 接收端口（默认 9212 或 CHENGYUN_HJ212_PORT）",
                    service=_("HJ 212 接收"), served_by="hj212-server"),
        DemoSetting("--mqtt-url", "MQTT_URL", "MQTT 代理地址（默认 mqtt://127.0.0.1:1883 或 CHENGYUN_MQTT_URL）", kind=str),
    ]
    # What `chengyun demo` says about the optional services (set when demo_services is read).
    demo_messages: list[str] = []

    def demo_services(self, values: Mapping[str, Any]) -> list[list[str]]:
        """Besides the HJ 212 pair, the MQTT ingester — only when a broker answers at demo start,
        so the demo runs on a fresh machine. Its client id is the data directory's, so two demos
        on one broker keep separate sessions instead of taking each other's over."""
        from django.conf import settings

        port = str(values["HJ212_PORT"])
        services = [
            ["hj212-server", "--host", "127.0.0.1", "--port", port, "--workers", "1", "--port-option=--hj212-port"],
            ["hj212-simulate", "--host", "127.0.0.1", "--port", port, "--devices-from-db", "--interval", "30",
             "--start-delay", "3"],
        ]
        url = str(values["MQTT_URL"]).strip() or "mqtt://127.0.0.1:1883"
        shown = _without_password(url)
        if broker_answers(url):
            services.append(["mqtt-ingest", "--url", url, "--client-id", demo_mqtt_client_id(settings.DATA_DIR)])
            self.demo_messages = [str(_("MQTT 接入：已启动（代理 %(url)s）") % {"url": shown})]
        else:
            self.demo_messages = [str(_("MQTT 接入：代理 %(url)s 无应答，未启动（可用 --mqtt-url 或 CHENGYUN_MQTT_URL 指定代理，或启动 Mosquitto 后重启演示）")
                                      % {"url": shown})]
        return services

    nav = [NavItem(_("监测设备"), "monitoring:devices", order=45, roles=R.DISTRICT_WIDE | R.AREA_BOUND, group="water")]

    def ready(self) -> None:
        from chengyun.core import audit

        from . import rules
        from .models import Device

        rules.register()
        # Device passwords (HJ 212 PW) are secrets: the audit log shows ****** and "changed".
        audit.mask_fields(Device, "password")


def demo_mqtt_client_id(data_dir: Any) -> str:
    """The demo's MQTT client id: one persistent session per data directory."""
    return "chengyun-demo-mqtt-ingest-" + hashlib.sha1(str(data_dir).encode()).hexdigest()[:8]


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
