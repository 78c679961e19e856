"""Who is acting, from which request: carried through one request, command or job.

Services read this to stamp audit entries, so that every change made while serving one
request shares one request id, whether it came from a view, an API call, a CLI command or
a background job.
"""
from __future__ import annotations

import contextvars
import uuid
from contextlib import contextmanager
from dataclasses import dataclass, replace
from typing import Any, Iterator


@dataclass(frozen=True)
class Context:
    request_id: str
    user: Any = None  # django.contrib.auth User, or None for the system
    source: str = "system"  # web | api | cli | job | system
    ip: str | None = None


_current: contextvars.ContextVar[Context | None] = contextvars.ContextVar("chengyun_context", default=None)


def new_request_id() -> str:
    return uuid.uuid4().hex


def get() -> Context:
    ctx = _current.get()
    if ctx is None:
        ctx = Context(request_id=new_request_id())
        _current.set(ctx)
    return ctx


def set_user(user: Any) -> None:
    _current.set(replace(get(), user=user))


@contextmanager
def acting(user: Any = None, *, source: str = "system", request_id: str | None = None, ip: str | None = None) -> Iterator[Context]:
    """Run a block as `user` (None = the system) under one request id."""
    token = _current.set(Context(request_id=request_id or new_request_id(), user=user, source=source, ip=ip))
    try:
        yield _current.get()
    finally:
        _current.reset(token)
