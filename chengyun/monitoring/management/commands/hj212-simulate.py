"""`chengyun hj212-simulate`: online monitors for the demo, speaking HJ 212 to hj212-server."""
from __future__ import annotations

import asyncio
import logging
import time

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from chengyun.monitoring.simulation import OUTFALL_FACTORS, SECTION_FACTORS, Profile
from chengyun.monitoring.simulator import SimDevice, Simulator, devices_from_db


class Command(BaseCommand):
    help = "HJ 212 设备模拟器：按日变化规律发送实时数据（2011）和小时数据（2061），偶有超标，演示设备之一离线。"

    def add_arguments(self, parser):
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=settings.HJ212_PORT, help="接收服务端口（默认 CHENGYUN_HJ212_PORT 或 9212）")
        source = parser.add_mutually_exclusive_group(required=True)
        source.add_argument("--devices-from-db", action="store_true", help="模拟数据库中全部启用的在线监测设备")
        source.add_argument("--mn", action="append", help="模拟指定 MN 的设备（可重复）")
        parser.add_argument("--password", default="123456", help="与 --mn 合用：设备密码")
        parser.add_argument("--site-kind", choices=["section", "outfall"], default="section", help="与 --mn 合用：断面或排污口因子")
        parser.add_argument("--interval", type=float, default=30.0, help="实时数据间隔（秒）")
        parser.add_argument("--count", type=int, default=None, help="每台设备发送的实时数据包数（默认不停）")
        parser.add_argument("--start-delay", type=float, default=0.0, help="启动前等待（秒），等接收服务就绪")

    def handle(self, *args, host, port, devices_from_db: bool, mn, password, site_kind, interval, count, start_delay, **options):
        logging.getLogger("chengyun.monitoring").setLevel(logging.INFO)
        if devices_from_db:
            devices = devices_from_db_list()
        else:
            factors = SECTION_FACTORS if site_kind == "section" else OUTFALL_FACTORS
            kind = "section" if site_kind == "section" else "other"
            devices = [SimDevice(m, password, "21" if site_kind == "section" else "32", list(factors), Profile(kind, flow=20.0)) for m in mn]
        if not devices:
            raise CommandError("没有可模拟的设备（数据库中没有启用的在线监测设备）")
        live = sum(not d.silent for d in devices)
        self.stdout.write(f"HJ 212 模拟器：{live} 台设备 → {host}:{port}，每 {interval:g} 秒一包" +
                          (f"；{len(devices) - live} 台离线" if live < len(devices) else ""))
        time.sleep(start_delay)
        simulator = Simulator(host, port, devices, interval=interval, count=count)
        try:
            asyncio.run(simulator.run())
        except KeyboardInterrupt:
            pass
        self.stdout.write(f"模拟器结束：{simulator.stats}")


def devices_from_db_list():
    return devices_from_db()
