"""`chengyun serve`: the production layout on one host from one command.

Like `chengyun demo` without demo data and with production settings (the settings refuse
DEBUG and weak keys): migrate, then run gunicorn, the Huey consumer, the HJ 212 receivers and
(when a broker is given) MQTT ingestion, restarting any that exits. Put nginx in front for TLS
and static files (deploy/nginx-chengyun.conf); or run the same processes as systemd units."""
from __future__ import annotations

import os
import shutil
import sys
import tempfile
from pathlib import Path

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand

from chengyun.ops.supervisor import Service, Supervisor


class Command(BaseCommand):
    help = "生产运行：迁移数据库后启动网站（gunicorn）、后台任务（Huey）、HJ 212 接收和 MQTT 接入，进程退出自动重启；Ctrl-C 或 SIGTERM 全部停止。"

    def add_arguments(self, parser):
        parser.add_argument("--host", default="127.0.0.1", help="网站监听地址（默认 127.0.0.1，由 nginx 转发）")
        parser.add_argument("--port", type=int, default=8000)
        parser.add_argument("--workers", type=int, default=max(2, min(8, (os.cpu_count() or 1) * 2)), help="gunicorn 进程数")
        parser.add_argument("--threads", type=int, default=4)
        parser.add_argument("--job-workers", type=int, default=2, help="Huey 工作线程数")
        parser.add_argument("--hj212-host", default="0.0.0.0")
        parser.add_argument("--hj212-port", type=int, default=9212)
        parser.add_argument("--hj212-workers", type=int, default=0, help="HJ 212 接收进程数（0：每核一个，最多 4 个）")
        parser.add_argument("--no-hj212", action="store_true", help="不启动 HJ 212 接收")
        parser.add_argument("--mqtt-url", default=os.environ.get("CHENGYUN_MQTT_URL", ""),
                            help="MQTT 代理地址（默认 CHENGYUN_MQTT_URL；为空则不启动 MQTT 接入）")
        parser.add_argument("--no-migrate", action="store_true", help="启动前不执行数据库迁移")

    def handle(self, *args, **o):
        self.stdout.write(f"数据目录：{settings.DATA_DIR}；数据库：{settings.DATABASES['default']['ENGINE'].rsplit('.', 1)[-1]}；"
                          f"任务队列：{'Redis' if settings.REDIS_URL else 'SQLite'}；模式：{settings.MODE}")
        if not o["no_migrate"]:
            call_command("migrate", interactive=False, verbosity=0)
            self.stdout.write("数据库迁移：已是最新")
        env = dict(os.environ, CHENGYUN_DATA_DIR=str(settings.DATA_DIR))
        env.pop("CHENGYUN_DEBUG", None)
        # Metrics from every gunicorn worker go to memory-mapped files (prometheus_client
        # multiprocess mode). They live in shared memory, as the systemd unit's /run does, never
        # in the data directory: a full data disk must cost a refused write, not a worker killed
        # by SIGBUS when its metrics file cannot grow. One directory per instance (its port).
        shm = Path("/dev/shm")
        metrics_dir = Path(tempfile.mkdtemp(prefix=f"chengyun-metrics-{o['port']}-", dir=shm if shm.is_dir() else None))
        env["PROMETHEUS_MULTIPROC_DIR"] = str(metrics_dir)
        script = [sys.executable, "-m", "chengyun.cli"]
        services = [
            Service("web", [sys.executable, "-m", "gunicorn", "chengyun.wsgi:application", "-c", "python:chengyun.ops.gunicorn_conf",
                            "--bind", f"{o['host']}:{o['port']}", "--workers", str(o["workers"]), "--threads", str(o["threads"]),
                            "--timeout", "120", "--graceful-timeout", "30", "--access-logfile", "-", "--log-level", "warning"]),
            Service("worker", script + ["run_huey", "--workers", str(o["job_workers"]), "--worker-type", "thread"]),
        ]
        if not o["no_hj212"]:
            services.append(Service("hj212", script + ["hj212-server", "--host", o["hj212_host"], "--port", str(o["hj212_port"]),
                                                       "--workers", str(o["hj212_workers"])]))
        if o["mqtt_url"]:
            services.append(Service("mqtt", script + ["mqtt-ingest", "--url", o["mqtt_url"]]))
        self.stdout.write(self.style.SUCCESS(f"城运已启动：http://{o['host']}:{o['port']}/（健康 /healthz，就绪 /readyz，指标 /metrics）"))
        try:
            Supervisor(services, env, log=self.stdout.write).run()
        finally:
            shutil.rmtree(metrics_dir, ignore_errors=True)
