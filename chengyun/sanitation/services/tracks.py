"""Storing a vehicle's points: split by (China) day, cleaned against what is stored, reported.

A point that cannot be true — earlier than the last kept one, at the same time, or reached
faster than settings.SANITATION_MAX_SPEED_MPS (default 25 m/s, 90 km/h: a sweeper never does
that; a jump that fast is a bad fix) — is not stored; the report names it with its reason, and
the track keeps the list beside its points.
"""
from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass, field
from typing import Any, Iterable, Sequence

import numpy as np
from django.conf import settings
from django.db import transaction

from chengyun.core import audit
from chengyun.core.errors import Invalid
from chengyun.geo.tracks import DROP_REASONS
from chengyun.people import policy

from .. import mapmatch, trackcodec
from ..models import Track, Vehicle
from ..trackfile import CHINA, RawPoint

KEEP_DROPPED = 500  # per track: the first ones; the count is complete


def max_speed_mps() -> float:
    return float(getattr(settings, "SANITATION_MAX_SPEED_MPS", 25.0))


@dataclass
class ImportReport:
    received: int = 0
    stored: int = 0
    days: list[str] = field(default_factory=list)
    dropped: list[dict] = field(default_factory=list)

    def summary(self) -> dict[str, int]:
        return dict(Counter(d["reason"] for d in self.dropped))

    def as_dict(self) -> dict[str, Any]:
        return {"received": self.received, "stored": self.stored, "days": self.days, "dropped_count": len(self.dropped),
                "dropped_by_reason": self.summary(), "dropped": self.dropped[:KEEP_DROPPED]}


def china_day(ts: float) -> dt.date:
    return dt.datetime.fromtimestamp(ts, CHINA).date()


def track_points(track: Track) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    return trackcodec.decode(track.points)


def _dropped_entry(index: int, t: float, lng: float, lat: float, reason: str, speed: float | None) -> dict:
    return {"index": index, "time": dt.datetime.fromtimestamp(t, CHINA).isoformat(), "lng": lng, "lat": lat, "reason": reason,
            "reason_label": DROP_REASONS.get(reason, reason), "speed_mps": None if speed is None or not np.isfinite(speed) else round(speed, 1)}


def import_points(user: Any, vehicle: Vehicle, points: Sequence[RawPoint], *, source: str = Track.Source.IMPORT,
                  recompute: bool = True) -> ImportReport:
    """Add `points` (in the order received) to the vehicle's day tracks; returns what was kept and dropped."""
    n = len(points)
    return import_arrays(user, vehicle, np.fromiter((p.t for p in points), dtype=np.float64, count=n),
                         np.fromiter((p.lng for p in points), dtype=np.float64, count=n),
                         np.fromiter((p.lat for p in points), dtype=np.float64, count=n), source=source, recompute=recompute)


def import_arrays(user: Any, vehicle: Vehicle, t: np.ndarray, lng: np.ndarray, lat: np.ndarray, *, source: str = Track.Source.IMPORT,
                  recompute: bool = True) -> ImportReport:
    """The same for arrays (epoch seconds, degrees), in the order received."""
    if user is not None:
        policy.require_write(user, vehicle, "只有车辆的作业单位可以上传其轨迹")
    if len(t) == 0:
        raise Invalid("没有轨迹点", code="no_points", detail={"field": "points"})
    report = ImportReport(received=len(t))
    days = _days_of(np.asarray(t, dtype=np.float64))
    limit = max_speed_mps()
    touched: list[dt.date] = []
    with transaction.atomic():
        for ordinal in sorted(set(days.tolist())):
            day = dt.date.fromordinal(int(ordinal))
            idx = np.flatnonzero(days == ordinal)
            new_t, new_x, new_y = t[idx], lng[idx], lat[idx]
            track = Track.objects.select_for_update().filter(vehicle=vehicle, day=day).first()
            if track is not None:
                old_t, old_x, old_y = trackcodec.decode(track.points)
            else:
                old_t, old_x, old_y = np.zeros(0), np.zeros(0), np.zeros(0)
            base = len(old_t)
            # Cleaned together with what is stored: a point older than the stored track's end is out of order.
            all_t = np.concatenate([old_t.astype(np.float64), new_t])
            all_x = np.concatenate([old_x, new_x])
            all_y = np.concatenate([old_y, new_y])
            keep, dropped = mapmatch.clean_arrays(all_t, all_x, all_y, limit)
            keep[:base] = True  # the stored points were clean among themselves
            dropped_here = [_dropped_entry(int(idx[d.index - base]), d.point.t.timestamp(), d.point.lng, d.point.lat, d.reason, d.speed_mps)
                            for d in dropped if d.index >= base]
            report.dropped.extend(dropped_here)
            kept_new = int(keep[base:].sum())
            report.stored += kept_new
            if kept_new == 0 and track is None:
                continue
            kt, kx, ky = all_t[keep], all_x[keep], all_y[keep]
            values = {"points": trackcodec.encode(np.rint(kt).astype(np.int64), kx, ky), "n_points": len(kt),
                      "length_m": float(mapmatch.haversine_m(kx[:-1], ky[:-1], kx[1:], ky[1:]).sum()) if len(kt) > 1 else 0.0,
                      "started_at": dt.datetime.fromtimestamp(float(kt[0]), CHINA), "ended_at": dt.datetime.fromtimestamp(float(kt[-1]), CHINA),
                      "matched": False, "source": source}
            if track is None:
                track = Track.objects.create(vehicle=vehicle, day=day, dropped_count=len(dropped_here), dropped=dropped_here[:KEEP_DROPPED], **values)
            else:
                for k, v in values.items():
                    setattr(track, k, v)
                track.dropped_count += len(dropped_here)
                track.dropped = (track.dropped + dropped_here)[:KEEP_DROPPED]
                track.save()
            audit.action(track, "import_track", after={"received": len(idx), "stored": kept_new, "dropped": dict(Counter(d["reason"] for d in dropped_here)),
                                                       "source": source})
            touched.append(day)
            report.days.append(day.isoformat())
    if recompute:
        from .coverage import recompute_day

        for day in touched:
            recompute_day(day)
    return report


_EPOCH_ORDINAL = dt.date(1970, 1, 1).toordinal()


def _days_of(t: np.ndarray) -> np.ndarray:
    """China dates (as ordinals) of epoch seconds; China keeps UTC+8 all year."""
    return (np.floor((t + 8 * 3600) / 86400).astype(np.int64) + _EPOCH_ORDINAL)


def points_for_vehicles(rows: Iterable[RawPoint], vehicles: dict[str, Vehicle]) -> dict[Vehicle, list[RawPoint]]:
    """A file with a vehicle column, split per vehicle (an unknown code refuses the file, naming it)."""
    out: dict[Vehicle, list[RawPoint]] = {}
    for p in rows:
        v = vehicles.get(p.vehicle)
        if v is None:
            raise Invalid(f"车辆“{p.vehicle}”未登记", code="unknown_vehicle", detail={"field": "vehicle", "value": p.vehicle})
        out.setdefault(v, []).append(p)
    return out
