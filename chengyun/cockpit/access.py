"""Who reaches the cockpit, and how many days without progress make a red task the leader's."""
from __future__ import annotations

import os

from django.conf import settings

from chengyun.people import roles as R

# The leadership and the ops center watch the big screen; an administrator keeps it running.
VIEWERS = frozenset({R.DISTRICT_LEADER, R.SYSADMIN}) | R.OPS_CENTER


def stale_days() -> int:
    """N of "red key tasks without progress for N days": CHENGYUN_COCKPIT_STALE_DAYS (setting or environment), default 7."""
    raw = getattr(settings, "CHENGYUN_COCKPIT_STALE_DAYS", None) or os.environ.get("CHENGYUN_COCKPIT_STALE_DAYS") or 7
    try:
        return max(1, int(raw))
    except (TypeError, ValueError):
        return 7


def refresh_seconds() -> int:
    """How often the screen refreshes its panels: CHENGYUN_COCKPIT_REFRESH_SECONDS, default 60."""
    raw = getattr(settings, "CHENGYUN_COCKPIT_REFRESH_SECONDS", None) or os.environ.get("CHENGYUN_COCKPIT_REFRESH_SECONDS") or 60
    try:
        return max(10, int(raw))
    except (TypeError, ValueError):
        return 60
