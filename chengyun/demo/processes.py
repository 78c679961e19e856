"""The processes `chengyun demo` runs: where they will listen, and one supervisor for all of them.

Every port the demo listens on is planned before anything starts (``planned_listeners``), so a
port another instance holds is refused in one line naming the option and the setting to use.
A service that dies anyway stops all the others; when it died because its port was taken
meanwhile, that is said in the same one line instead of a traceback.
"""
from __future__ import annotations

import os
import signal
import subprocess
import time
from typing import Any, Callable, Mapping

from django.utils.translation import gettext as _

from chengyun.core.ports import EXIT_PORT_UNAVAILABLE, Listener, bind_problem
from chengyun.core.registry import demo_settings


def planned_listeners(host: str, web_port: int, values: Mapping[str, Any]) -> list[Listener]:
    """The ports a demo with these options listens on: the web server's and each module's."""
    listeners = [Listener(str(_("网站")), host, int(web_port), "--port", "CHENGYUN_WEB_PORT", served_by="web")]
    for setting in demo_settings():
        if setting.listens:
            listeners.append(Listener(str(setting.service), setting.host, int(values[setting.setting]), setting.option,
                                      setting.env, served_by=setting.served_by))
    return listeners


class Services:
    """Child processes started together and stopped together (each in its own process group)."""

    def __init__(self, env: Mapping[str, str], *, out: Callable[[str], Any], err: Callable[[str], Any], poll: float = 0.5) -> None:
        self.env = dict(env)
        self.out, self.err = out, err
        self.poll = poll
        self.children: list[tuple[str, subprocess.Popen, Listener | None]] = []
        self._stopping = False

    def spawn(self, name: str, argv: list[str], *, listener: Listener | None = None) -> subprocess.Popen:
        process = subprocess.Popen(argv, env=self.env, start_new_session=True)
        self.children.append((name, process, listener))
        return process

    def stop(self, signum: Any = None, frame: Any = None) -> None:
        self._stopping = True

    def run(self) -> int:
        """Until Ctrl-C / SIGTERM (0) or a service exiting (1, having said why in one line); stops them all."""
        signal.signal(signal.SIGINT, self.stop)
        signal.signal(signal.SIGTERM, self.stop)
        status = 0
        try:
            while not self._stopping:
                for name, process, listener in self.children:
                    code = process.poll()
                    if code is not None:
                        self._explain(name, code, listener)
                        status = 1
                        self._stopping = True
                        break
                else:
                    time.sleep(self.poll)
        finally:
            self.stop_all()
        return status

    def _explain(self, name: str, code: int, listener: Listener | None) -> None:
        if code == EXIT_PORT_UNAVAILABLE:
            return  # the service said which port and which option in its own line
        problem = bind_problem(listener) if listener is not None else None
        if problem:  # its port is held by someone else: that is why it died
            self.err(problem)
        else:
            self.err(_("服务 %(name)s 已退出（代码 %(code)s），正在停止全部服务") % {"name": name, "code": code})

    def stop_all(self, grace: float = 10.0) -> None:
        for _name, process, _listener in self.children:
            if process.poll() is None:
                try:
                    os.killpg(process.pid, signal.SIGTERM)
                except ProcessLookupError:
                    pass
        deadline = time.monotonic() + grace
        for _name, process, _listener in self.children:
            try:
                process.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                try:
                    os.killpg(process.pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
                process.wait()
        if self.children:
            self.out(_("已停止。"))
