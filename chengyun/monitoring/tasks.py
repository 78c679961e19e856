"""Periodic housekeeping: raw frames are audit material for a limited time (CHENGYUN_RAW_FRAME_DAYS)."""
from __future__ import annotations

from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from chengyun.core import current


@db_periodic_task(crontab(hour="3", minute="17"))
def purge_raw_frames() -> int:
    from . import services

    with current.acting(None, source="job"):
        return services.purge_raw_frames()
