"""`chengyun demo`: prepare the demo district and run the whole platform from one command."""
from __future__ import annotations

import os
import sys
import time
from typing import Any

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand
from django.utils.translation import gettext as _

from chengyun.core.ports import plan_problem
from chengyun.core.registry import demo_services, demo_settings
from chengyun.demo.context import DEMO_PASSWORD, DemoContext
from chengyun.demo.generator import generate
from chengyun.demo.processes import Services, planned_listeners


class Command(BaseCommand):
    help = "准备演示区（迁移数据库、生成演示数据和账号），然后运行网站、后台任务和各模块服务；Ctrl-C 全部停止。"

    def add_arguments(self, parser):
        parser.add_argument("--port", type=int, default=settings.WEB_PORT, help="网站端口（默认 8000 或 CHENGYUN_WEB_PORT）")
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--data-dir", default=None, help="数据目录（默认 ./var 或 CHENGYUN_DATA_DIR）")
        parser.add_argument("--prepare-only", action="store_true", help="只准备数据，不启动服务")
        parser.add_argument("--workers", type=int, default=2, help="网站进程数")
        # Each module's ports and addresses (e.g. --hj212-port, --mqtt-url), defaulting to its setting.
        for setting in demo_settings():
            parser.add_argument(setting.option, dest=_dest(setting.setting), type=setting.kind,
                                default=getattr(settings, setting.setting), help=setting.help)

    def handle(self, *args, port: int, host: str, prepare_only: bool, workers: int, **options):
        values = {s.setting: options[_dest(s.setting)] for s in demo_settings()}
        listeners = planned_listeners(host, port, values)
        if not prepare_only:
            # Before anything is prepared or started: a port another instance holds is said in one line.
            problem = plan_problem(listeners)
            if problem:
                self._refuse(problem)
        started = time.monotonic()
        self.stdout.write(f"数据目录：{settings.DATA_DIR}")
        call_command("migrate", interactive=False, verbosity=0)
        generate(DemoContext(log=self.stdout.write))
        self.stdout.write(f"准备完成，用时 {time.monotonic() - started:.1f} 秒")
        if prepare_only:
            return
        self._serve(host, port, workers, values, listeners)

    def _refuse(self, message: str) -> None:
        self.stderr.write(message)
        sys.exit(1)

    def _serve(self, host: str, port: int, workers: int, values: dict[str, Any], listeners) -> None:
        env = dict(os.environ, CHENGYUN_DATA_DIR=str(settings.DATA_DIR), CHENGYUN_DEBUG="1", CHENGYUN_WEB_PORT=str(port))
        # The services (and whatever they start) see the ports chosen for this run.
        env.update({s.env: str(values[s.setting]) for s in demo_settings()})
        if host not in ("127.0.0.1", "localhost", "::1"):
            env.setdefault("CHENGYUN_ALLOWED_HOSTS", "*")
        script = [sys.executable, "-m", "chengyun.cli"]
        by_command = {l_.served_by: l_ for l_ in listeners if l_.served_by}
        services = Services(env, out=self.stdout.write, err=self.stderr.write)

        services.spawn("web", [sys.executable, "-m", "gunicorn", "chengyun.wsgi:application", "--bind", f"{host}:{port}",
                               "--workers", str(workers), "--threads", "4", "--timeout", "120", "--access-logfile", "-",
                               "--preload", "--log-level", "warning"], listener=by_command.get("web"))
        services.spawn("worker", script + ["run_huey", "--quiet"])
        for label, argv in demo_services(values):
            services.spawn(label, script + argv, listener=by_command.get(argv[0]))

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
        self.stdout.write(_("监听端口：%(ports)s") % {"ports": "，".join(f"{l_.service} {l_.port}" for l_ in listeners)})
        self.stdout.write(f"接口文档：{url}api/v1/docs   按 Ctrl-C 停止全部服务。\n")
        status = services.run()
        if status:
            sys.exit(status)


def _dest(setting: str) -> str:
    return f"demo_{setting.lower()}"
