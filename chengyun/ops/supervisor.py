"""Keep a set of long-running processes up: start each, restart one that exits (with a growing
pause so a crash loop does not spin), stop them all on SIGTERM/SIGINT. Used by `chengyun serve`
on a single host; a systemd install gets the same from Restart=always (deploy/systemd/)."""
from __future__ import annotations

import os
import signal
import subprocess
import time
from dataclasses import dataclass, field
from typing import Callable


@dataclass
class Service:
    name: str
    argv: list[str]
    process: subprocess.Popen | None = None
    restarts: int = 0
    started_at: float = 0.0
    next_start: float = 0.0
    history: list[int] = field(default_factory=list)  # exit codes


class Supervisor:
    MAX_PAUSE = 30.0
    # A process that ran this long before exiting starts again at once; a faster crash backs off.
    STABLE_AFTER = 60.0

    def __init__(self, services: list[Service], env: dict[str, str], log: Callable[[str], None]) -> None:
        self.services = services
        self.env = env
        self.log = log
        self.stopping = False

    def _start(self, service: Service) -> None:
        service.process = subprocess.Popen(service.argv, env=self.env, start_new_session=True)
        service.started_at = time.monotonic()

    def run(self) -> int:
        def stop(signum=None, frame=None):
            self.stopping = True

        signal.signal(signal.SIGINT, stop)
        signal.signal(signal.SIGTERM, stop)
        for service in self.services:
            self._start(service)
            self.log(f"已启动 {service.name}（进程 {service.process.pid}）")
        try:
            while not self.stopping:
                now = time.monotonic()
                for service in self.services:
                    if service.process is None:
                        if now >= service.next_start:
                            self._start(service)
                            self.log(f"已重启 {service.name}（第 {service.restarts} 次，进程 {service.process.pid}）")
                        continue
                    code = service.process.poll()
                    if code is None:
                        continue
                    service.history.append(code)
                    service.restarts += 1
                    ran = now - service.started_at
                    pause = 0.0 if ran >= self.STABLE_AFTER else min(self.MAX_PAUSE, 2.0 ** min(service.restarts, 5) / 2)
                    self.log(f"{service.name} 已退出（代码 {code}，运行 {ran:.0f} 秒），{pause:.0f} 秒后重启")
                    service.process = None
                    service.next_start = now + pause
                time.sleep(0.5)
        finally:
            self.stop_all()
        return 0

    def stop_all(self, grace: float = 30.0) -> None:
        running = [s for s in self.services if s.process is not None and s.process.poll() is None]
        for service in running:
            try:
                os.killpg(service.process.pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
        deadline = time.monotonic() + grace
        for service in running:
            try:
                service.process.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                os.killpg(service.process.pid, signal.SIGKILL)
                service.process.wait()
        self.log("已停止全部服务。")
