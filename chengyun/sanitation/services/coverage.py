"""Mechanized sweeping coverage per segment, street and day, from the day's matched tracks.

A day is recomputed as a whole (every vehicle's track of that day matched against every segment):
a segment swept by two vehicles counts both passes, and the rows are always what the stored
tracks say. Tracks that arrived since (MQTT) mark the day stale; ``ensure_day`` catches up
before a page or the API shows it.
"""
from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from typing import Any

import numpy as np
from django.conf import settings
from django.db import transaction
from django.db.models import Count, F, Max, Q, Sum

from chengyun.roads.models import RoadSegment

from .. import mapmatch, trackcodec
from ..models import SegmentDay, SweepPlan, Track

_index_cache: dict[str, Any] = {}


def _params() -> dict[str, float]:
    return {"tolerance_m": float(getattr(settings, "SANITATION_MATCH_TOLERANCE_M", mapmatch.DEFAULT_TOLERANCE_M)),
            "max_gap_s": float(getattr(settings, "SANITATION_MAX_GAP_S", mapmatch.DEFAULT_MAX_GAP_S)),
            "pass_fraction": float(getattr(settings, "SANITATION_PASS_FRACTION", mapmatch.DEFAULT_PASS_FRACTION))}


def segment_index() -> tuple[mapmatch.SegmentIndex, list[tuple[int, int | None, float]]]:
    """The segments' index (rebuilt when segments were added or removed) and (id, street id, length) per position."""
    sig = str(RoadSegment.objects.aggregate(n=Count("id"), m=Max("id")))
    if _index_cache.get("sig") != sig:
        rows = list(RoadSegment.objects.order_by("id").values_list("id", "street_id", "length_m", "geometry"))
        lines = [json.loads(g)["coordinates"] for _, _, _, g in rows]
        _index_cache.update(sig=sig, index=mapmatch.SegmentIndex([r[0] for r in rows], lines), meta=[(r[0], r[1], r[2]) for r in rows])
    return _index_cache["index"], _index_cache["meta"]


def recompute_day(day: dt.date) -> int:
    """Match the day's tracks and store one row per planned or swept segment; the number of rows."""
    index, meta = segment_index()
    vehicles, ts, xs, ys = [], [], [], []
    for vid, blob in Track.objects.filter(day=day).order_by("vehicle_id").values_list("vehicle_id", "points"):
        t, x, y = trackcodec.decode(blob)
        vehicles.append(np.full(len(t), vid, dtype=np.int64))
        ts.append(t.astype(np.float64))
        xs.append(x)
        ys.append(y)
    cov: dict[int, mapmatch.SegmentCoverage] = {}
    if ts:
        _, cov = mapmatch.match_and_cover(index, np.concatenate(vehicles), np.concatenate(ts), np.concatenate(xs), np.concatenate(ys), **_params())
    plans = dict(SweepPlan.objects.values_list("segment_id", "passes_per_day"))
    rows = []
    for pos, (seg_id, street_id, length) in enumerate(meta):
        c = cov.get(pos)
        planned = plans.get(seg_id, 0)
        if c is None and not planned:
            continue
        rows.append(SegmentDay(segment_id=seg_id, day=day, street_id=street_id, length_m=length, planned_passes=planned,
                               passes=c.passes if c else 0, swept_m=round(c.swept_m, 1) if c else 0.0,
                               covered_m=round(min(c.covered_m, length), 1) if c else 0.0))
    with transaction.atomic():
        SegmentDay.objects.filter(day=day).delete()
        SegmentDay.objects.bulk_create(rows, batch_size=2000)
        Track.objects.filter(day=day, matched=False).update(matched=True)
    return len(rows)


def ensure_day(day: dt.date) -> None:
    stale = Track.objects.filter(day=day, matched=False).exists()
    if stale or (not SegmentDay.objects.filter(day=day).exists() and Track.objects.filter(day=day).exists()):
        recompute_day(day)


@dataclass
class DaySummary:
    day: dt.date
    segments: int
    met: int  # segments whose passes reached the plan
    planned_km: float
    swept_km: float  # swept km counted up to the plan per segment (an extra pass does not make up for a missed segment)
    covered_km: float
    length_km: float

    @property
    def rate(self) -> float:
        return round(self.swept_km / self.planned_km * 100, 1) if self.planned_km else 0.0

    @property
    def missed(self) -> int:
        return self.segments - self.met

    @property
    def met_rate(self) -> float:
        return round(self.met / self.segments * 100, 1) if self.segments else 0.0


def _summary(day: dt.date, rows) -> DaySummary:
    seg = met = 0
    planned = swept = covered = length = 0.0
    for r in rows:
        if not r["planned_passes"]:
            continue
        seg += 1
        met += r["passes"] >= r["planned_passes"]
        p = r["length_m"] * r["planned_passes"]
        planned += p
        swept += min(r["swept_m"], p)
        covered += r["covered_m"]
        length += r["length_m"]
    return DaySummary(day, seg, met, round(planned / 1000, 2), round(swept / 1000, 2), round(covered / 1000, 2), round(length / 1000, 2))


_FIELDS = ("segment_id", "street_id", "length_m", "planned_passes", "passes", "swept_m", "covered_m")


def day_summary(qs, day: dt.date) -> DaySummary:
    """Over the visible rows `qs` (SegmentDay) of `day`."""
    return _summary(day, qs.filter(day=day).values(*_FIELDS))


def street_summary(qs, day: dt.date) -> list[tuple[Any, DaySummary]]:
    from chengyun.geo.models import Street

    rows = list(qs.filter(day=day).values(*_FIELDS))
    names = dict(Street.objects.values_list("id", "name"))
    codes = dict(Street.objects.values_list("id", "code"))
    out = []
    for sid in sorted({r["street_id"] for r in rows}, key=lambda s: codes.get(s, "~")):
        out.append(({"id": sid, "code": codes.get(sid, ""), "name": names.get(sid, "")}, _summary(day, [r for r in rows if r["street_id"] == sid])))
    return out


def coverage_rows(qs, day: dt.date):
    """The day's rows with segment names, worst first (fewest passes against the plan)."""
    return (qs.filter(day=day).select_related("segment", "street")
            .annotate(short=F("planned_passes") - F("passes")).order_by("-short", "segment__code"))


def missed_filter() -> Q:
    return Q(passes__lt=F("planned_passes"))


def swept_total(qs) -> float:
    return float(qs.aggregate(s=Sum("swept_m"))["s"] or 0)
