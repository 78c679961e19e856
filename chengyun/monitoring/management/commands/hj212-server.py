"""`chengyun hj212-server`: receive HJ 212 data from online monitors over TCP."""
from __future__ import annotations

import logging
import os
import signal
import subprocess
import sys
import time

from django.core.management.base import BaseCommand

from chengyun.core import current
from chengyun.monitoring.hj212_server import ServerOptions, run


class Command(BaseCommand):
    help = "HJ 212 数据接收服务（TCP）：校验长度与 CRC，核对 MN/密码，入库并按需回复 9014 数据应答。"

    def add_arguments(self, parser):
        parser.add_argument("--host", default="127.0.0.1", help="监听地址（默认 127.0.0.1）")
        parser.add_argument("--port", type=int, default=9212, help="监听端口（默认 9212）")
        parser.add_argument("--workers", type=int, default=1,
                            help="接收进程数（共用同一端口，按连接分担；多核主机上可设为 CPU 核数）")
        parser.add_argument("--max-batch", type=int, default=5000, help="每次写库最多的报文数")
        parser.add_argument("--no-raw", action="store_true", help="不保存原始报文（默认保存，按保留期清理）")
        parser.add_argument("--reuse-port", action="store_true", help="与其他进程共用端口（--workers 内部使用）")

    def handle(self, *args, host: str, port: int, workers: int, max_batch: int, no_raw: bool, reuse_port: bool, **options):
        logging.getLogger("chengyun.monitoring").setLevel(logging.INFO)
        if workers > 1:
            self._supervise(workers, host, port, max_batch, no_raw)
            return
        self.stdout.write(f"HJ 212 接收服务：{host}:{port}")
        with current.acting(None, source="job"):
            run(ServerOptions(host=host, port=port, max_batch=max_batch, keep_raw=not no_raw, reuse_port=reuse_port))

    def _supervise(self, workers: int, host: str, port: int, max_batch: int, no_raw: bool) -> None:
        argv = [sys.executable, "-m", "chengyun.cli", "hj212-server", "--host", host, "--port", str(port),
                "--max-batch", str(max_batch), "--reuse-port"] + (["--no-raw"] if no_raw else [])
        children = [subprocess.Popen(argv, env=os.environ.copy()) for _ in range(workers)]
        self.stdout.write(f"HJ 212 接收服务：{host}:{port}，{workers} 个进程")
        stopping = False

        def stop(signum=None, frame=None):
            nonlocal stopping
            stopping = True

        signal.signal(signal.SIGINT, stop)
        signal.signal(signal.SIGTERM, stop)
        while not stopping and all(c.poll() is None for c in children):
            time.sleep(0.2)
        for c in children:
            if c.poll() is None:
                c.send_signal(signal.SIGTERM)
        for c in children:
            try:
                c.wait(timeout=120)
            except subprocess.TimeoutExpired:
                c.kill()
        if not stopping:
            raise SystemExit("HJ 212 接收进程意外退出")
