"""`chengyun hj212-server`: receive HJ 212 data from online monitors over TCP."""
from __future__ import annotations

from django.core.management.base import BaseCommand

from chengyun.core import current
from chengyun.monitoring.hj212_server import ServerOptions, run


class Command(BaseCommand):
    help = "HJ 212 数据接收服务（TCP）：校验长度与 CRC，核对 MN/密码，入库并按需回复 9014 数据应答。"

    def add_arguments(self, parser):
        parser.add_argument("--host", default="127.0.0.1", help="监听地址（默认 127.0.0.1）")
        parser.add_argument("--port", type=int, default=9212, help="监听端口（默认 9212）")
        parser.add_argument("--max-batch", type=int, default=5000, help="每次写库最多的数据包数")
        parser.add_argument("--no-raw", action="store_true", help="不保存原始报文（默认保存，按保留期清理）")

    def handle(self, *args, host: str, port: int, max_batch: int, no_raw: bool, **options):
        import logging

        logging.getLogger("chengyun.monitoring").setLevel(logging.INFO)
        self.stdout.write(f"HJ 212 接收服务：{host}:{port}")
        with current.acting(None, source="job"):
            run(ServerOptions(host=host, port=port, max_batch=max_batch, keep_raw=not no_raw))
