"""Receivers' heartbeats: ``with beating("hj212-server", "0.0.0.0:9212"):`` around a receiver's
run loop keeps its Heartbeat row fresh from a background thread and marks it stopped on exit."""
from __future__ import annotations

import logging
import os
import socket
import threading
from contextlib import contextmanager

from django.conf import settings
from django.db import close_old_connections, connection
from django.utils import timezone

logger = logging.getLogger("chengyun.ops.heartbeat")


def receiver_name(kind: str, identity: str) -> str:
    return f"{kind} {identity} @{socket.gethostname()}"


def beat(kind: str, identity: str, *, started_at=None, detail: dict | None = None) -> None:
    from .models import Heartbeat

    now = timezone.now()
    Heartbeat.objects.update_or_create(
        name=receiver_name(kind, identity),
        defaults={"kind": kind, "host": socket.gethostname(), "pid": os.getpid(), "beat_at": now, "stopped_at": None,
                  "detail": detail or {}},
        create_defaults={"kind": kind, "host": socket.gethostname(), "pid": os.getpid(), "beat_at": now,
                         "started_at": started_at or now, "detail": detail or {}},
    )


def stopped(kind: str, identity: str) -> None:
    from .models import Heartbeat

    Heartbeat.objects.filter(name=receiver_name(kind, identity), pid=os.getpid()).update(stopped_at=timezone.now())


@contextmanager
def beating(kind: str, identity: str, *, interval: float | None = None, detail: dict | None = None):
    interval = settings.HEARTBEAT_INTERVAL_SECONDS if interval is None else interval
    done = threading.Event()
    started_at = timezone.now()

    def loop() -> None:
        while True:
            try:
                beat(kind, identity, started_at=started_at, detail=detail)
            except Exception:  # a busy or restarting database must not stop the receiver
                logger.warning("heartbeat of %s %s not written", kind, identity, exc_info=True)
                close_old_connections()
            if done.wait(interval):
                break
        connection.close()

    thread = threading.Thread(target=loop, name=f"heartbeat-{kind}", daemon=True)
    thread.start()
    try:
        yield
    finally:
        done.set()
        thread.join(timeout=10)
        try:
            stopped(kind, identity)
        except Exception:
            logger.warning("could not mark %s %s stopped", kind, identity, exc_info=True)
