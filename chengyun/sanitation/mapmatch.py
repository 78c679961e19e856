"""Map-matching vehicle tracks to road segments and the mechanized sweeping they add up to.

No Django: arrays in, arrays and per-segment results out, so the benchmark and the services
run the same code. Positions are projected once to metres (a transverse Mercator centred on
the segments, via pyproj); every point is matched in one vectorised call to the nearest
segment within a tolerance (Shapely 2 ``STRtree.query_nearest``); ties, which happen at
crossings, go to the lowest segment index so the answer does not depend on the tree's order.

Coverage uses continuity: consecutive points of one vehicle on the same segment, no more than
``max_gap_s`` apart, form a *run*; a run's extent is the stretch of the segment between its
first and last positions along the line (``line_locate_point``). Per segment and day:
``swept_m`` is the sum of run extents (repeat passes count again), ``covered_m`` the length of
their union, and ``passes`` the runs that cover at least ``pass_fraction`` of the segment.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Iterable, Sequence

import numpy as np
import shapely
from pyproj import Transformer
from shapely import STRtree

from chengyun.geo import tracks as geo_tracks

DEFAULT_TOLERANCE_M = 30.0  # half an arterial's width plus a receiver's error
DEFAULT_MAX_GAP_S = 60.0
DEFAULT_PASS_FRACTION = 0.8


@dataclass(frozen=True)
class SegmentCoverage:
    swept_m: float
    covered_m: float
    passes: int


class SegmentIndex:
    """The segments projected to metres with an STRtree over them."""

    def __init__(self, ids: Sequence[int], lines: Sequence[Sequence[Sequence[float]]]):
        if len(ids) != len(lines):
            raise ValueError("路段编号与线形数量不一致")
        coords_all = [c for line in lines for c in line]
        lon_0 = float(np.mean([c[0] for c in coords_all])) if coords_all else 0.0
        lat_0 = float(np.mean([c[1] for c in coords_all])) if coords_all else 0.0
        self.transformer = Transformer.from_crs("EPSG:4326", f"+proj=tmerc +lon_0={lon_0:.6f} +lat_0={lat_0:.6f} +k=1 +ellps=GRS80 +units=m",
                                                always_xy=True)
        self.ids = np.asarray(ids, dtype=np.int64)
        geoms = []
        for line in lines:
            arr = np.asarray(line, dtype=np.float64)
            x, y = self.transformer.transform(arr[:, 0], arr[:, 1])
            geoms.append(shapely.linestrings(np.column_stack([x, y])))
        self.geoms = np.asarray(geoms, dtype=object)
        self.lengths = shapely.length(self.geoms) if len(geoms) else np.zeros(0)
        self.tree = STRtree(self.geoms)

    def project(self, lng: np.ndarray, lat: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        return self.transformer.transform(np.asarray(lng, dtype=np.float64), np.asarray(lat, dtype=np.float64))

    def match(self, x: np.ndarray, y: np.ndarray, tolerance_m: float = DEFAULT_TOLERANCE_M) -> np.ndarray:
        """Per point, the position in ``ids`` of the nearest segment within the tolerance, or -1."""
        n = len(x)
        out = np.full(n, -1, dtype=np.int64)
        if n == 0 or len(self.geoms) == 0:
            return out
        pts = shapely.points(np.asarray(x), np.asarray(y))
        (pi, si), _ = self.tree.query_nearest(pts, max_distance=tolerance_m, return_distance=True, all_matches=True)
        if len(pi):
            # Ties: the lowest segment index wins, whatever order the tree gave them in.
            order = np.lexsort((si, pi))
            pi, si = pi[order], si[order]
            first = np.ones(len(pi), dtype=bool)
            first[1:] = pi[1:] != pi[:-1]
            out[pi[first]] = si[first]
        return out


def cover(index: SegmentIndex, vehicle: np.ndarray, t: np.ndarray, x: np.ndarray, y: np.ndarray, seg: np.ndarray, *,
          max_gap_s: float = DEFAULT_MAX_GAP_S, pass_fraction: float = DEFAULT_PASS_FRACTION) -> dict[int, SegmentCoverage]:
    """Coverage per segment position from matched points sorted by (vehicle, time)."""
    n = len(seg)
    if n == 0:
        return {}
    matched = seg >= 0
    pos = np.zeros(n)
    if matched.any():
        pos[matched] = shapely.line_locate_point(index.geoms[seg[matched]], shapely.points(x[matched], y[matched]))
    brk = np.ones(n, dtype=bool)
    brk[1:] = (seg[1:] != seg[:-1]) | (vehicle[1:] != vehicle[:-1]) | ((t[1:] - t[:-1]) > max_gap_s)
    starts = np.flatnonzero(brk)
    run_seg = seg[starts]
    lo = np.minimum.reduceat(pos, starts)
    hi = np.maximum.reduceat(pos, starts)
    keep = run_seg >= 0
    return _aggregate(index.lengths, run_seg[keep], lo[keep], hi[keep], pass_fraction)


def _aggregate(lengths: np.ndarray, run_seg: np.ndarray, lo: np.ndarray, hi: np.ndarray, pass_fraction: float) -> dict[int, SegmentCoverage]:
    order = np.lexsort((lo, run_seg))
    run_seg, lo, hi = run_seg[order], lo[order], hi[order]
    result: dict[int, SegmentCoverage] = {}
    i, m = 0, len(run_seg)
    while i < m:
        s = int(run_seg[i])
        j = i
        while j < m and run_seg[j] == s:
            j += 1
        length = float(lengths[s])
        ext = np.minimum(hi[i:j] - lo[i:j], length)
        passes = int(np.count_nonzero(ext >= pass_fraction * length - 1e-9)) if length > 0 else 0
        covered, cur_lo, cur_hi = 0.0, None, None
        for a, b in zip(lo[i:j].tolist(), hi[i:j].tolist()):
            if cur_hi is None or a > cur_hi:
                if cur_hi is not None:
                    covered += cur_hi - cur_lo
                cur_lo, cur_hi = a, b
            elif b > cur_hi:
                cur_hi = b
        covered += cur_hi - cur_lo
        result[s] = SegmentCoverage(float(ext.sum()), min(covered, length), passes)
        i = j
    return result


def match_and_cover(index: SegmentIndex, vehicle: np.ndarray, t: np.ndarray, lng: np.ndarray, lat: np.ndarray, *,
                    tolerance_m: float = DEFAULT_TOLERANCE_M, max_gap_s: float = DEFAULT_MAX_GAP_S,
                    pass_fraction: float = DEFAULT_PASS_FRACTION) -> tuple[np.ndarray, dict[int, SegmentCoverage]]:
    """Points sorted by (vehicle, time) → (segment position per point, coverage per segment position)."""
    x, y = index.project(lng, lat)
    seg = index.match(x, y, tolerance_m)
    return seg, cover(index, np.asarray(vehicle), np.asarray(t, dtype=np.float64), x, y, seg, max_gap_s=max_gap_s, pass_fraction=pass_fraction)


# ---------------------------------------------------------------- the naive baseline


def naive_match(index: SegmentIndex, x: Iterable[float], y: Iterable[float], tolerance_m: float = DEFAULT_TOLERANCE_M) -> np.ndarray:
    """One Shapely distance per point and segment: the baseline the benchmark compares against."""
    out = []
    geoms = list(index.geoms)
    for px, py in zip(x, y):
        p = shapely.Point(px, py)
        best, best_d = -1, math.inf
        for k, g in enumerate(geoms):
            d = g.distance(p)
            if d < best_d:
                best, best_d = k, d
        out.append(best if best_d <= tolerance_m else -1)
    return np.asarray(out, dtype=np.int64)


def naive_cover(index: SegmentIndex, vehicle, t, x, y, seg, *, max_gap_s: float = DEFAULT_MAX_GAP_S,
                pass_fraction: float = DEFAULT_PASS_FRACTION) -> dict[int, SegmentCoverage]:
    """Point by point, with a Shapely ``project`` per point: the baseline's coverage."""
    runs: list[tuple[int, float, float]] = []
    cur = None
    prev = None
    for k in range(len(seg)):
        s = int(seg[k])
        if prev is None or s != prev[0] or vehicle[k] != prev[1] or t[k] - prev[2] > max_gap_s:
            if cur is not None and cur[0] >= 0:
                runs.append(tuple(cur))
            cur = [s, math.inf, -math.inf]
        if s >= 0:
            p = index.geoms[s].project(shapely.Point(x[k], y[k]))
            cur[1], cur[2] = min(cur[1], p), max(cur[2], p)
        prev = (s, vehicle[k], t[k])
    if cur is not None and cur[0] >= 0:
        runs.append(tuple(cur))
    if not runs:
        return {}
    arr = np.asarray(runs)
    return _aggregate(index.lengths, arr[:, 0].astype(np.int64), arr[:, 1], arr[:, 2], pass_fraction)


# ---------------------------------------------------------------- cleaning in bulk


def haversine_m(lng1, lat1, lng2, lat2) -> np.ndarray:
    p1, p2 = np.radians(lat1), np.radians(lat2)
    dp, dl = p2 - p1, np.radians(np.asarray(lng2) - np.asarray(lng1))
    a = np.sin(dp / 2) ** 2 + np.cos(p1) * np.cos(p2) * np.sin(dl / 2) ** 2
    return 2 * geo_tracks.EARTH_RADIUS_M * np.arcsin(np.minimum(1.0, np.sqrt(a)))


def clean_arrays(t: np.ndarray, lng: np.ndarray, lat: np.ndarray, max_speed_mps: float) -> tuple[np.ndarray, list[geo_tracks.DroppedPoint]]:
    """``geo.tracks.clean`` for arrays (t in epoch seconds): the kept mask and the dropped points.

    A clean track (the usual case: valid, strictly increasing, every step within the speed
    limit) is recognised in a few vectorised operations; any other falls back to ``clean``
    itself, so the answer is always the same as the point-by-point cleaning.
    """
    t = np.asarray(t, dtype=np.float64)
    lng = np.asarray(lng, dtype=np.float64)
    lat = np.asarray(lat, dtype=np.float64)
    n = len(t)
    if n == 0:
        return np.zeros(0, dtype=bool), []
    valid = (lng >= -180) & (lng <= 180) & (lat >= -90) & (lat <= 90) & ~((lng == 0) & (lat == 0)) & np.isfinite(lng) & np.isfinite(lat)
    if valid.all():
        dt_ = np.diff(t)
        if (dt_ > 0).all():
            speed = haversine_m(lng[:-1], lat[:-1], lng[1:], lat[1:]) / dt_
            if (speed <= max_speed_mps).all():
                return np.ones(n, dtype=bool), []
    from datetime import datetime, timezone

    points = [geo_tracks.TrackPoint(datetime.fromtimestamp(float(a), timezone.utc), float(b), float(c)) for a, b, c in zip(t, lng, lat)]
    cleaned = geo_tracks.clean(points, max_speed_mps)
    keep = np.ones(n, dtype=bool)
    for d in cleaned.dropped:
        keep[d.index] = False
    return keep, cleaned.dropped
