"""The dates supervision works in: the day status is evaluated for (`today()`, or the day set by
`as_of` when backfilling), the local time of a write, a day's entry cut-off and its week.

Everything calls `dates.today()` through this module, so a test pins the day in one place.
"""
from __future__ import annotations

import contextvars
import datetime as dt
from contextlib import contextmanager
from typing import Iterator

from django.utils import timezone

from .. import config


_as_of: contextvars.ContextVar[dt.date | None] = contextvars.ContextVar("supervision_as_of", default=None)


def today() -> dt.date:
    """The date status is evaluated for: the local date, or the date set by `as_of`."""
    return _as_of.get() or timezone.localdate()


@contextmanager
def as_of(day: dt.date) -> Iterator[None]:
    """Backfill history (the demo's three months, an import of last quarter's records): within
    the block, writes are evaluated as of `day` instead of the wall-clock date."""
    token = _as_of.set(day)
    try:
        yield
    finally:
        _as_of.reset(token)


def _local(now: dt.datetime | None) -> dt.datetime:
    return timezone.localtime(now or timezone.now())


def cutoff_at(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, config.cutoff()))


def week_of(day: dt.date) -> tuple[dt.date, dt.date]:
    start = day - dt.timedelta(days=day.weekday())
    return start, start + dt.timedelta(days=6)
