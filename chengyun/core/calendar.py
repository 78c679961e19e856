"""The district's working calendar: chinese-calendar plus administrators' per-date overrides.

Working hours come from settings (CHENGYUN_WORKING_HOURS, default 08:00-12:00,14:00-18:00).
The calendar is cached per process and rebuilt when an override changes (core/stamps.py).
"""
from __future__ import annotations

import datetime as dt
import os
from typing import Any

from django.db import transaction

from . import audit
from .errors import Invalid
from .models import CalendarOverride
from .stamps import StampedCache
from .workcalendar import DEFAULT_WORKING_HOURS, WorkCalendar

STAMP = "core.calendar"


def working_hours_from_env() -> tuple[tuple[dt.time, dt.time], ...]:
    raw = os.environ.get("CHENGYUN_WORKING_HOURS", "")
    if not raw.strip():
        return tuple(DEFAULT_WORKING_HOURS)
    periods = []
    for part in raw.split(","):
        start, end = part.strip().split("-")
        periods.append((dt.time.fromisoformat(start), dt.time.fromisoformat(end)))
    return tuple(periods)


def _build() -> WorkCalendar:
    overrides = dict(CalendarOverride.objects.values_list("date", "is_workday"))
    return WorkCalendar(working_hours=working_hours_from_env(), overrides=overrides)


_cache: StampedCache[WorkCalendar] = StampedCache(STAMP, _build)


def get_calendar() -> WorkCalendar:
    return _cache.get()


def set_override(user: Any, date: dt.date, is_workday: bool | None, note: str = "") -> CalendarOverride | None:
    """Mark a date as working day / rest day (None removes the override). Administrators only."""
    from chengyun.people import policy, roles

    if user is not None:
        policy.require_role(user, {roles.SYSADMIN, roles.OPS_SHIFT_LEADER}, "只有系统管理员或值班长可以调整工作日历")
    if not isinstance(date, dt.date):
        raise Invalid("日期格式有误", code="bad_date")
    with transaction.atomic():
        existing = CalendarOverride.objects.filter(date=date).first()
        if is_workday is None:
            if existing:
                audit.deleted(existing)
                CalendarOverride.objects.filter(pk=existing.pk).delete()
            result = None
        elif existing:
            before = audit.snapshot(existing)
            existing.is_workday, existing.note = is_workday, note
            existing.save()
            audit.updated(existing, before)
            result = existing
        else:
            result = CalendarOverride.objects.create(date=date, is_workday=is_workday, note=note)
            audit.created(result)
        _cache.bump()
    return result
