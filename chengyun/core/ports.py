"""The ports the platform listens on: is one free, and what to tell the person starting it when not.

Each listening port is an option of the command that opens it and a ``CHENGYUN_*`` setting
(README, "Settings"), so a second instance on the same host is given other ports. A refusal
names the port, the service and both ways of choosing another, in one line.
"""
from __future__ import annotations

import errno
import socket
from dataclasses import dataclass
from typing import Iterable

from django.utils.translation import gettext as _


#: Exit status of a service that could not listen and has already said so in one line, so that
#: the process supervising it (``chengyun demo``) stops the others without saying it again.
EXIT_PORT_UNAVAILABLE = 3


class PortUnavailable(Exception):
    """A server could not listen on its port; ``__cause__`` is the OSError (EADDRINUSE when taken)."""


@dataclass(frozen=True)
class Listener:
    """One port a service will listen on, and how the person starting it can move it."""

    service: str  # what listens, in the user's words (网站, HJ 212 接收)
    host: str
    port: int
    option: str  # the command-line option that sets it, e.g. --hj212-port
    env: str  # the setting that sets it, e.g. CHENGYUN_HJ212_PORT
    served_by: str = ""  # the service (process) that opens it, for a supervisor to tell who failed

    def taken(self) -> str:
        return _("端口 %(port)s 已被占用（%(service)s）：请用 %(option)s 或 %(env)s 指定其他端口") % self._words()

    def unusable(self, reason: str) -> str:
        return _("无法在 %(host)s:%(port)s 监听（%(service)s）：%(reason)s；请用 %(option)s 或 %(env)s 指定其他端口") % {
            **self._words(), "host": self.host, "reason": reason}

    def _words(self) -> dict[str, object]:
        return {"port": self.port, "service": self.service, "option": self.option, "env": self.env}


def bind_problem(listener: Listener) -> str | None:
    """Why ``listener`` could not listen now (one line), or None when its port is free.

    Binds the way the servers do (SO_REUSEADDR, so a port left in TIME_WAIT by an earlier run
    counts as free) and lets go at once.
    """
    family = socket.AF_INET6 if ":" in listener.host else socket.AF_INET
    try:
        with socket.socket(family, socket.SOCK_STREAM) as probe:
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            probe.bind((listener.host, listener.port))
    except OSError as exc:
        if exc.errno == errno.EADDRINUSE:
            return listener.taken()
        return listener.unusable(exc.strerror or str(exc))
    return None


def clash(listeners: Iterable[Listener]) -> str | None:
    """Two services of one plan given the same port (one line), or None."""
    seen: dict[int, Listener] = {}
    for listener in listeners:
        other = seen.get(listener.port)
        if other is not None:
            return _("端口 %(port)s 同时分配给了%(first)s和%(second)s：请用 %(option)s 或 %(env)s 为%(second)s指定其他端口") % {
                "port": listener.port, "first": other.service, "second": listener.service,
                "option": listener.option, "env": listener.env}
        seen[listener.port] = listener
    return None


def plan_problem(listeners: Iterable[Listener]) -> str | None:
    """The first reason the planned listeners cannot all start (a clash, a taken port), or None."""
    listeners = list(listeners)
    problem = clash(listeners)
    if problem:
        return problem
    for listener in listeners:
        problem = bind_problem(listener)
        if problem:
            return problem
    return None
