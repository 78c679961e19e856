"""Helpers for the street tests: China time and a straight walk along a latitude."""
from __future__ import annotations

import datetime as dt

SHANGHAI = dt.timezone(dt.timedelta(hours=8))
Y = 36.505  # a row of the small district's first grids


def at(y, mo, d, h=0, mi=0):
    return dt.datetime(y, mo, d, h, mi, tzinfo=SHANGHAI)


def walk(x0, x1, y, start, n=40, speed_s=20):
    """A straight walk along latitude y from x0 to x1 in n steps."""
    from chengyun.geo.tracks import TrackPoint

    return [TrackPoint(start + dt.timedelta(seconds=speed_s * k), x0 + (x1 - x0) * k / (n - 1), y) for k in range(n)]
