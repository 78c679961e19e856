"""`chengyun hj212-server`: receive HJ 212 data from online monitors over TCP."""
from __future__ import annotations

import argparse
import errno
import logging
import sys

from django.conf import settings
from django.core.management.base import BaseCommand
from django.utils.translation import gettext as _

from chengyun.core import current
from chengyun.core.ports import EXIT_PORT_UNAVAILABLE, Listener, PortUnavailable
from chengyun.monitoring.hj212_server import ServerOptions, run
from chengyun.monitoring.hj212_workers import default_workers, supervise
from chengyun.ops.heartbeat import beating


class Command(BaseCommand):
    help = "HJ 212 数据接收服务（TCP）：校验长度与 CRC，核对 MN/密码，入库并按需回复 9014 数据应答。"

    def add_arguments(self, parser):
        parser.add_argument("--host", default="127.0.0.1", help="监听地址（默认 127.0.0.1）")
        parser.add_argument("--port", type=int, default=settings.HJ212_PORT, help="监听端口（默认 CHENGYUN_HJ212_PORT 或 9212）")
        parser.add_argument("--workers", type=int, default=0,
                            help="接收进程数（默认 0：每个 CPU 核一个，最多 4 个；1：单进程）")
        parser.add_argument("--max-batch", type=int, default=5000, help="每次写库最多的报文数")
        parser.add_argument("--no-raw", action="store_true", help="不保存原始报文（默认保存，按保留期清理）")
        parser.add_argument("--handoff-fd", type=int, default=None, help=argparse.SUPPRESS)
        # The option that chose the port, as the person who started it knows it (`chengyun demo`: --hj212-port).
        parser.add_argument("--port-option", default="--port", help=argparse.SUPPRESS)

    def handle(self, *args, host: str, port: int, workers: int, max_batch: int, no_raw: bool, handoff_fd: int | None,
               port_option: str, **options):
        logging.getLogger("chengyun.monitoring").setLevel(logging.INFO)
        workers = workers or default_workers()
        try:
            if workers > 1 and handoff_fd is None:
                self.stdout.write(f"HJ 212 接收服务：{host}:{port}，{workers} 个进程")
                # --host/--port name the service in the workers' heartbeat; only the supervisor listens.
                worker_args = ["--host", host, "--port", str(port), "--max-batch", str(max_batch)] + (["--no-raw"] if no_raw else [])
                status = supervise(workers, host, port, worker_args)
                if status:
                    raise SystemExit("HJ 212 接收进程意外退出")
                return
            if handoff_fd is None:
                self.stdout.write(f"HJ 212 接收服务：{host}:{port}")
            with current.acting(None, source="job"), beating("hj212-server", f"{host}:{port}"):
                run(ServerOptions(host=host, port=port, max_batch=max_batch, keep_raw=not no_raw, handoff_fd=handoff_fd))
        except PortUnavailable as exc:
            # One line naming the port and how to choose another, not a traceback.
            listener = Listener(str(_("HJ 212 接收")), host, port, port_option, "CHENGYUN_HJ212_PORT")
            cause = exc.__cause__
            self.stderr.write(listener.taken() if getattr(cause, "errno", None) == errno.EADDRINUSE
                              else listener.unusable(getattr(cause, "strerror", None) or str(cause)))
            sys.exit(EXIT_PORT_UNAVAILABLE)
