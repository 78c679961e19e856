"""`chengyun demo`: prepare the demo district and run the whole platform from one command."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand

from chengyun.core.registry import demo_services
from chengyun.demo.context import DEMO_PASSWORD, DemoContext
from chengyun.demo.generator import generate


class Command(BaseCommand):
    help = "准备演示区（迁移数据库、生成演示数据和账号），然后运行网站、后台任务和各模块服务；Ctrl-C 全部停止。"

    def add_arguments(self, parser):
        parser.add_argument("--port", type=int, default=8000)
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--data-dir", default=None, help="数据目录（默认 ./var 或 CHENGYUN_DATA_DIR）")
        parser.add_argument("--prepare-only", action="store_true", help="只准备数据，不启动服务")
        parser.add_argument("--workers", type=int, default=2, help="网站进程数")

    def handle(self, *args, port: int, host: str, prepare_only: bool, workers: int, **options):
        started = time.monotonic()
        self.stdout.write(f"数据目录：{settings.DATA_DIR}")
        call_command("migrate", interactive=False, verbosity=0)
        generate(DemoContext(log=self.stdout.write))
        self.stdout.write(f"准备完成，用时 {time.monotonic() - started:.1f} 秒")
        if prepare_only:
            return
        self._serve(host, port, workers)

    def _serve(self, host: str, port: int, workers: int) -> None:
        env = dict(os.environ, CHENGYUN_DATA_DIR=str(settings.DATA_DIR), CHENGYUN_DEBUG="1")
        if host not in ("127.0.0.1", "localhost", "::1"):
            env.setdefault("CHENGYUN_ALLOWED_HOSTS", "*")
        script = [sys.executable, "-m", "chengyun.cli"]
        children: list[tuple[str, subprocess.Popen]] = []

        def spawn(name: str, argv: list[str]) -> None:
            children.append((name, subprocess.Popen(argv, env=env, start_new_session=True)))

        spawn("web", [sys.executable, "-m", "gunicorn", "chengyun.wsgi:application", "--bind", f"{host}:{port}",
                      "--workers", str(workers), "--threads", "4", "--timeout", "120", "--access-logfile", "-", "--preload",
                      "--log-level", "warning"])
        spawn("worker", script + ["run_huey", "--quiet"])
        for label, argv in demo_services():
            spawn(label, script + argv)

        url = f"http://{'127.0.0.1' if host in ('0.0.0.0', '::') else host}:{port}/"
        self.stdout.write(self.style.SUCCESS(f"\n城运演示平台已启动：{url}"))
        self.stdout.write(f"演示账号（密码均为 {DEMO_PASSWORD}）：")
        from chengyun.people.demo import DEMO_ACCOUNTS

        for username, _role, label in DEMO_ACCOUNTS:
            self.stdout.write(f"  {username:<12} {label}")
        # Optional services say whether they were started (e.g. MQTT ingestion needs a broker).
        from django.apps import apps

        for config in apps.get_app_configs():
            for message in getattr(config, "demo_messages", ()) or ():
                self.stdout.write(message)
        self.stdout.write(f"接口文档：{url}api/v1/docs   按 Ctrl-C 停止全部服务。\n")

        stopping = False

        def stop(signum=None, frame=None):
            nonlocal stopping
            stopping = True

        signal.signal(signal.SIGINT, stop)
        signal.signal(signal.SIGTERM, stop)
        try:
            while not stopping:
                for name, proc in children:
                    code = proc.poll()
                    if code is not None:
                        self.stderr.write(f"服务 {name} 已退出（代码 {code}），正在停止全部服务")
                        stopping = True
                        break
                time.sleep(0.5)
        finally:
            self._stop_all(children)

    def _stop_all(self, children) -> None:
        for _, proc in children:
            if proc.poll() is None:
                try:
                    os.killpg(proc.pid, signal.SIGTERM)
                except ProcessLookupError:
                    pass
        deadline = time.monotonic() + 10
        for _, proc in children:
            try:
                proc.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
        self.stdout.write("已停止。")
