"""Process-local caches of shared reference data, kept honest across processes.

Several processes (web workers, the job worker, ingesters) each keep an in-memory structure
built from the database — the locate index, the drainage graph, the working calendar. When one
process changes the data it bumps a ChangeStamp row; every process compares the stamp (at most
every few seconds, so the hot path stays a memory read) and rebuilds when it moved.
"""
from __future__ import annotations

import threading
import time
from typing import Callable, Generic, TypeVar

T = TypeVar("T")


def version(name: str) -> int:
    from .models import ChangeStamp

    return ChangeStamp.objects.filter(name=name).values_list("version", flat=True).first() or 0


def bump(name: str) -> None:
    from django.db.models import F

    from .models import ChangeStamp

    ChangeStamp.objects.get_or_create(name=name)
    ChangeStamp.objects.filter(name=name).update(version=F("version") + 1)


class StampedCache(Generic[T]):
    def __init__(self, name: str, build: Callable[[], T], check_every_seconds: float = 3.0):
        self.name = name
        self._build = build
        self._check_every = check_every_seconds
        self._lock = threading.Lock()
        self._value: T | None = None
        self._version = -1
        self._checked_at = 0.0

    def get(self) -> T:
        if self._value is not None and time.monotonic() - self._checked_at < self._check_every:
            return self._value
        with self._lock:
            current = version(self.name)
            if self._value is None or current != self._version:
                self._value = self._build()
                self._version = current
            self._checked_at = time.monotonic()
            return self._value

    def invalidate(self) -> None:
        """Forget the value in this process (this process changed the data)."""
        with self._lock:
            self._value = None

    def bump(self) -> None:
        """Tell every process that the data changed."""
        bump(self.name)
        self.invalidate()
