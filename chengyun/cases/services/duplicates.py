"""Duplicate reports: open cases of the same class within the class's radius and time window."""
from __future__ import annotations

import datetime as dt
import math

from .. import workflow
from ..models import Case, Category


EARTH_M_PER_DEG = 111_320.0


def distance_m(lng1: float, lat1: float, lng2: float, lat2: float) -> float:
    """Equirectangular distance: exact enough at the tens-of-metres scale of duplicate checks."""
    x = math.radians(lng2 - lng1) * math.cos(math.radians((lat1 + lat2) / 2))
    y = math.radians(lat2 - lat1)
    return math.hypot(x, y) * 6_371_008.8


def find_duplicates(category: Category, lng: float, lat: float, at: dt.datetime, *, exclude_id: int | None = None, limit: int = 10) -> list[Case]:
    """Open cases of the same minor class within the class's radius and time window."""
    radius = category.duplicate_radius_m
    dlat = radius / EARTH_M_PER_DEG
    dlng = radius / (EARTH_M_PER_DEG * max(math.cos(math.radians(lat)), 0.01))
    window = dt.timedelta(hours=category.duplicate_window_hours)
    qs = (Case.objects.filter(category=category, status__in=workflow.OPEN, reported_at__gte=at - window, reported_at__lte=at + window,
                              lng__range=(lng - dlng, lng + dlng), lat__range=(lat - dlat, lat + dlat))
          .exclude(pk=exclude_id).order_by("reported_at"))
    found = [c for c in qs[:200] if distance_m(lng, lat, c.lng, c.lat) <= radius]
    found.sort(key=lambda c: distance_m(lng, lat, c.lng, c.lat))
    return found[:limit]
