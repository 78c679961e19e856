"""Supervision settings, each from Django settings or the environment (settings win):

CHENGYUN_SUPERVISION_LAG_POINTS     percentage points of lag tolerated before yellow (10)
CHENGYUN_SUPERVISION_DUE_SOON_DAYS  an undone milestone due within this many days is yellow (3)
CHENGYUN_SUPERVISION_CUTOFF         daily entry cut-off on working days, HH:MM (17:30)
CHENGYUN_SUPERVISION_REMIND_MINUTES reminder this long before the cut-off (60)
CHENGYUN_SUPERVISION_BRIEF_AT       when the evening daily brief is generated, HH:MM (18:00)
CHENGYUN_SUPERVISION_DEADLINE_REMIND_DAYS  remind lead units this many days before a deadline (3)
"""
from __future__ import annotations

import datetime as dt
import os

from django.conf import settings

from .status import Thresholds


def _raw(name: str, default: str) -> str:
    value = getattr(settings, name, None)
    if value is None:
        value = os.environ.get(name, default)
    return str(value)


def thresholds() -> Thresholds:
    return Thresholds(lag_points=float(_raw("CHENGYUN_SUPERVISION_LAG_POINTS", "10")),
                      due_soon_days=int(_raw("CHENGYUN_SUPERVISION_DUE_SOON_DAYS", "3")))


def cutoff() -> dt.time:
    return dt.time.fromisoformat(_raw("CHENGYUN_SUPERVISION_CUTOFF", "17:30"))


def remind_minutes() -> int:
    return int(_raw("CHENGYUN_SUPERVISION_REMIND_MINUTES", "60"))


def brief_at() -> dt.time:
    return dt.time.fromisoformat(_raw("CHENGYUN_SUPERVISION_BRIEF_AT", "18:00"))


def deadline_remind_days() -> int:
    return int(_raw("CHENGYUN_SUPERVISION_DEADLINE_REMIND_DAYS", "3"))
