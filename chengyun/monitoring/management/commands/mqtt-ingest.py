"""`chengyun mqtt-ingest`: receive device data from an MQTT broker (topic scheme in chengyun.monitoring.mqtt_ingest)."""
from __future__ import annotations

import logging

from django.conf import settings
from django.core.management.base import BaseCommand

from chengyun.core import current
from chengyun.monitoring.mqtt_ingest import DATA_TOPIC, FRAME_TOPIC, run
from chengyun.ops.heartbeat import beating


class Command(BaseCommand):
    help = f"MQTT 数据接入：订阅 {DATA_TOPIC}（JSON）与 {FRAME_TOPIC}（HJ 212 报文），QoS 1，持久会话，入库后才确认。"

    def add_arguments(self, parser):
        parser.add_argument("--url", default=settings.MQTT_URL,
                            help="代理地址，如 mqtt://user:pass@127.0.0.1:1883（默认 CHENGYUN_MQTT_URL 或 mqtt://127.0.0.1:1883）")
        parser.add_argument("--client-id", default="chengyun-mqtt-ingest", help="客户端标识（持久会话按它保存离线消息）")

    def handle(self, *args, url: str, client_id: str, **options):
        logging.getLogger("chengyun.monitoring").setLevel(logging.INFO)
        self.stdout.write(f"MQTT 接入：{url}，订阅 {DATA_TOPIC}、{FRAME_TOPIC}")
        with current.acting(None, source="job"), beating("mqtt-ingest", client_id):
            run(url, client_id=client_id)
