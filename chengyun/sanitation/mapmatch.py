"""Map-matching vehicle tracks to road segments and the mechanized sweeping they add up to.

No Django: arrays in, arrays and per-segment results out, so the benchmark and the services
run the same code. Positions are projected once to metres (a transverse Mercator centred on
the segments, via pyproj). Each point goes to the nearest segment within a tolerance: the
points are bucketed into 100 m cells, a Shapely 2 STRtree over the segments' straight pieces is
asked once per occupied cell for the pieces within the tolerance of it, and point-to-piece
distances are computed in numpy. Ties (at crossings) go to the lowest segment index, distances
compared to the micrometre, so the answer does not depend on the tree's order — and equals the
naive one-distance-per-point-and-segment loop (``naive_match``), which the tests check.

Coverage uses continuity: consecutive points of one vehicle on the same segment, no more than
``max_gap_s`` apart, form a *run*; a run's extent is the stretch of the segment between its
first and last positions along the line; a short excursion to another segment (the crossing
road's kerb) or an unmatched fix between two runs on the same segment does not end the run.
Per segment and day: ``swept_m`` is the sum of run
extents (repeat passes count again), ``covered_m`` the length of their union, and ``passes``
the runs that cover at least ``pass_fraction`` of the segment.
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
REVERSE_M = 5.0
DEFAULT_BRIDGE_POINTS = 3  # an excursion of up to 3 fixes (15 s at 1 per 5 s) does not end a run


@dataclass(frozen=True)
class SegmentCoverage:
    swept_m: float
    covered_m: float
    passes: int


class SegmentIndex:
    """The segments projected to metres, exploded into straight pieces, with an STRtree over the pieces.

    Matching buckets the points into square cells; the tree is asked once per occupied cell for
    the pieces within the tolerance of it, and the distance from each point to each candidate
    piece is then computed in numpy — no Shapely object per point.
    """

    CELL_M = 100.0

    def __init__(self, ids: Sequence[int], lines: Sequence[Sequence[Sequence[float]]]):
        if len(ids) != len(lines):
            raise ValueError("路段编号与线形数量不一致")
        coords_all = [c for line in lines for c in line]
        lon_0 = float(np.mean([c[0] for c in coords_all])) if coords_all else 0.0
        lat_0 = float(np.mean([c[1] for c in coords_all])) if coords_all else 0.0
        self.transformer = Transformer.from_crs("EPSG:4326", f"+proj=tmerc +lon_0={lon_0:.6f} +lat_0={lat_0:.6f} +k=1 +ellps=GRS80 +units=m",
                                                always_xy=True)
        self.ids = np.asarray(ids, dtype=np.int64)
        # All vertices projected in one call, then cut back into lines.
        sizes = np.asarray([len(line) for line in lines], dtype=np.int64)
        flat = np.asarray([c[:2] for line in lines for c in line], dtype=np.float64).reshape(-1, 2)
        vx, vy = self.transformer.transform(flat[:, 0], flat[:, 1]) if len(flat) else (np.zeros(0), np.zeros(0))
        vx, vy = np.asarray(vx), np.asarray(vy)
        geoms = list(shapely.linestrings(np.column_stack([vx, vy]), indices=np.repeat(np.arange(len(sizes)), sizes))) if len(flat) else []
        last = np.cumsum(sizes) - 1  # a line's last vertex starts no piece
        starts_piece = np.ones(len(vx), dtype=bool)
        starts_piece[last] = False
        ai = np.flatnonzero(starts_piece)
        piece = np.hypot(vx[ai + 1] - vx[ai], vy[ai + 1] - vy[ai])
        owner_all = np.repeat(np.arange(len(sizes)), sizes - 1)
        first_piece = np.concatenate([[0], np.cumsum(sizes - 1)[:-1]]) if len(sizes) else np.zeros(0, np.int64)
        cum = np.cumsum(piece)
        offset_all = cum - piece - np.repeat(np.concatenate([[0.0], cum])[first_piece], sizes - 1)
        ax, ay, bx, by = [vx[ai]], [vy[ai]], [vx[ai + 1]], [vy[ai + 1]]
        owner, offset = [owner_all], [offset_all]
        self.geoms = np.asarray(geoms, dtype=object)
        self.lengths = shapely.length(self.geoms) if len(geoms) else np.zeros(0)
        cat = (lambda parts, dtype=np.float64: np.concatenate(parts).astype(dtype) if parts else np.zeros(0, dtype))
        self.ax, self.ay, self.bx, self.by = cat(ax), cat(ay), cat(bx), cat(by)
        self.owner, self.offset = cat(owner, np.int64), cat(offset)
        self.tree = STRtree(shapely.linestrings(np.stack([np.column_stack([self.ax, self.ay]), np.column_stack([self.bx, self.by])], axis=1))
                            if len(self.ax) else [])

    def project(self, lng: np.ndarray, lat: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        return self.transformer.transform(np.asarray(lng, dtype=np.float64), np.asarray(lat, dtype=np.float64))

    def locate(self, x: np.ndarray, y: np.ndarray, tolerance_m: float = DEFAULT_TOLERANCE_M, chunk: int = 400_000) -> tuple[np.ndarray, np.ndarray]:
        """Per point: the position in ``ids`` of the nearest segment within the tolerance (-1: none) and
        the distance along that segment to the point's foot."""
        x = np.asarray(x, dtype=np.float64)
        y = np.asarray(y, dtype=np.float64)
        n = len(x)
        seg = np.full(n, -1, dtype=np.int64)
        along = np.zeros(n)
        if n == 0 or len(self.ax) == 0:
            return seg, along
        c = self.CELL_M
        cx, cy = np.floor(x / c).astype(np.int64), np.floor(y / c).astype(np.int64)
        keys, inverse = np.unique((cx << 32) + (cy & 0xFFFFFFFF), return_inverse=True)
        inverse = inverse.ravel()
        cells = np.stack([keys >> 32, ((keys & 0xFFFFFFFF) ^ 0x80000000) - 0x80000000], axis=1)  # back to signed cell numbers
        boxes = shapely.box(cells[:, 0] * c - tolerance_m, cells[:, 1] * c - tolerance_m, (cells[:, 0] + 1) * c + tolerance_m,
                            (cells[:, 1] + 1) * c + tolerance_m)
        ci, pj = self.tree.query(boxes)  # candidate pieces per occupied cell
        order = np.argsort(ci, kind="stable")
        ci, pj = ci[order], pj[order]
        counts = np.bincount(ci, minlength=len(cells))
        starts = np.concatenate([[0], np.cumsum(counts)[:-1]])
        n_pieces = len(self.ax)
        micro_tol = int(round(tolerance_m * 1e6))
        if (micro_tol + 1) * n_pieces >= 2**62:
            raise ValueError("路段过多或容差过大：距离与路段序号无法合为一个整数键")
        for lo in range(0, n, chunk):
            hi = min(n, lo + chunk)
            cell = inverse[lo:hi]
            k = counts[cell]
            point = np.repeat(np.arange(lo, hi), k)
            # Indices of each point's candidates: its cell's run in `pj`.
            first = np.repeat(starts[cell] - np.concatenate([[0], np.cumsum(k)[:-1]]), k) + np.arange(k.sum())
            piece = pj[first]
            ax, ay = self.ax[piece], self.ay[piece]
            dx, dy = self.bx[piece] - ax, self.by[piece] - ay
            len2 = dx * dx + dy * dy
            px, py = x[point] - ax, y[point] - ay
            with np.errstate(invalid="ignore", divide="ignore"):
                t = np.where(len2 > 0, np.clip((px * dx + py * dy) / len2, 0.0, 1.0), 0.0)
            d = np.rint(np.hypot(px - t * dx, py - t * dy) * 1e6).astype(np.int64)  # micrometres: ties are ties whatever the rounding
            ok = d <= micro_tol
            point, piece, d = point[ok], piece[ok], d[ok]
            if not len(point):
                continue
            # Pieces are numbered line by line, so the lowest piece is also the lowest segment: one
            # integer (distance, then piece) per candidate, its minimum per point, no sort.
            key = d * n_pieces + piece
            first_of = np.flatnonzero(np.concatenate([[True], point[1:] != point[:-1]]))
            best = np.minimum.reduceat(key, first_of)
            p, chosen = point[first_of], best % n_pieces
            seg[p] = self.owner[chosen]
            along[p] = self.offset[chosen] + self._foot(chosen, x[p], y[p])
        return seg, along

    def _foot(self, piece: np.ndarray, x: np.ndarray, y: np.ndarray) -> np.ndarray:
        """Distance along each piece to the foot of its point (clamped to the piece)."""
        ax, ay = self.ax[piece], self.ay[piece]
        dx, dy = self.bx[piece] - ax, self.by[piece] - ay
        len2 = dx * dx + dy * dy
        with np.errstate(invalid="ignore", divide="ignore"):
            t = np.where(len2 > 0, np.clip(((x - ax) * dx + (y - ay) * dy) / len2, 0.0, 1.0), 0.0)
        return t * np.sqrt(len2)

    def match(self, x: np.ndarray, y: np.ndarray, tolerance_m: float = DEFAULT_TOLERANCE_M) -> np.ndarray:
        return self.locate(x, y, tolerance_m)[0]


def cover(index: SegmentIndex, vehicle: np.ndarray, t: np.ndarray, seg: np.ndarray, along: np.ndarray, *,
          max_gap_s: float = DEFAULT_MAX_GAP_S, pass_fraction: float = DEFAULT_PASS_FRACTION,
          bridge_points: int = DEFAULT_BRIDGE_POINTS) -> dict[int, SegmentCoverage]:
    """Coverage per segment position from matched points sorted by (vehicle, time)."""
    n = len(seg)
    if n == 0:
        return {}
    brk = np.ones(n, dtype=bool)
    brk[1:] = (seg[1:] != seg[:-1]) | (vehicle[1:] != vehicle[:-1]) | ((t[1:] - t[:-1]) > max_gap_s)
    brk |= _reversals(brk, along)
    starts = np.flatnonzero(brk)
    ends = np.concatenate([starts[1:], [n]]) - 1
    runs = Runs(seg[starts], vehicle[starts], ends - starts + 1, t[starts], t[ends],
                np.minimum.reduceat(along, starts), np.maximum.reduceat(along, starts))
    return _coverage(index.lengths, runs, max_gap_s, pass_fraction, bridge_points)


def _reversals(brk: np.ndarray, along: np.ndarray) -> np.ndarray:
    """Where a vehicle turns back on its segment (the along-position's direction flips, moves of
    less than REVERSE_M ignored as receiver noise): a new run starts at the point after the turn."""
    n = len(along)
    out = np.zeros(n, dtype=bool)
    if n < 3:
        return out
    d = np.diff(along)
    sig = np.where(np.abs(d) > REVERSE_M, np.sign(d), 0.0)
    run = np.cumsum(brk)
    idx = np.where(sig != 0, np.arange(n - 1), -1)
    last = np.maximum.accumulate(idx)  # the last significant move up to each step
    prev = np.concatenate([[-1], last[:-1]])
    flip = (sig != 0) & (prev >= 0)
    flip[flip] &= (sig[prev[flip]] != sig[flip]) & (run[prev[flip]] == run[1:][flip]) & (run[prev[flip] + 1] == run[1:][flip])
    out[np.flatnonzero(flip)] = True  # the point before the move that turned back is where the new run starts
    return out


@dataclass
class Runs:
    seg: np.ndarray
    vehicle: np.ndarray
    points: np.ndarray
    t0: np.ndarray
    t1: np.ndarray
    lo: np.ndarray
    hi: np.ndarray


def _coverage(lengths: np.ndarray, r: Runs, max_gap_s: float, pass_fraction: float, bridge_points: int) -> dict[int, SegmentCoverage]:
    """Continuity: a run on A, a short excursion (at most ``bridge_points`` points: the crossing
    road's kerb, an unmatched fix) and A again is one run on A — a vehicle driving through a
    crossing does not leave its road."""
    seg, veh, pts = r.seg.tolist(), r.vehicle.tolist(), r.points.tolist()
    t0, t1, lo, hi = r.t0.tolist(), r.t1.tolist(), r.lo.tolist(), r.hi.tolist()
    out: list[list] = []  # seg, vehicle, points, t0, t1, lo, hi
    for k in range(len(seg)):
        if (len(out) >= 2 and out[-2][0] == seg[k] and seg[k] >= 0 and out[-2][1] == veh[k] == out[-1][1]
                and out[-1][2] <= bridge_points and t0[k] - out[-2][4] <= max_gap_s + bridge_points * max_gap_s):
            out.pop()
            m = out[-1]
            m[2] += pts[k]
            m[4] = t1[k]
            m[5] = min(m[5], lo[k])
            m[6] = max(m[6], hi[k])
        else:
            out.append([seg[k], veh[k], pts[k], t0[k], t1[k], lo[k], hi[k]])
    kept = [m for m in out if m[0] >= 0]
    if not kept:
        return {}
    arr = np.asarray([(m[0], m[5], m[6]) for m in kept])
    return _aggregate(lengths, arr[:, 0].astype(np.int64), arr[:, 1], arr[:, 2], pass_fraction)


def _aggregate(lengths: np.ndarray, run_seg: np.ndarray, lo: np.ndarray, hi: np.ndarray, pass_fraction: float) -> dict[int, SegmentCoverage]:
    order = np.lexsort((lo, run_seg))
    run_seg, lo, hi = run_seg[order], lo[order], hi[order]
    result: dict[int, SegmentCoverage] = {}
    bounds = np.flatnonzero(np.concatenate([[True], run_seg[1:] != run_seg[:-1], [True]]))
    for i, j in zip(bounds[:-1].tolist(), bounds[1:].tolist()):
        s = int(run_seg[i])
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
    return result


def match_and_cover(index: SegmentIndex, vehicle: np.ndarray, t: np.ndarray, lng: np.ndarray, lat: np.ndarray, *,
                    tolerance_m: float = DEFAULT_TOLERANCE_M, max_gap_s: float = DEFAULT_MAX_GAP_S,
                    pass_fraction: float = DEFAULT_PASS_FRACTION, bridge_points: int = DEFAULT_BRIDGE_POINTS) -> tuple[np.ndarray, dict[int, SegmentCoverage]]:
    """Points sorted by (vehicle, time) → (segment position per point, coverage per segment position)."""
    x, y = index.project(lng, lat)
    seg, along = index.locate(x, y, tolerance_m)
    return seg, cover(index, np.asarray(vehicle), np.asarray(t, dtype=np.float64), seg, along, max_gap_s=max_gap_s,
                      pass_fraction=pass_fraction, bridge_points=bridge_points)


# ---------------------------------------------------------------- the naive baseline


def naive_match(index: SegmentIndex, x: Iterable[float], y: Iterable[float], tolerance_m: float = DEFAULT_TOLERANCE_M) -> np.ndarray:
    """One Shapely distance per point and segment: the baseline the benchmark compares against."""
    out = []
    geoms = list(index.geoms)
    for px, py in zip(x, y):
        p = shapely.Point(px, py)
        best, best_d = -1, math.inf
        for k, g in enumerate(geoms):
            d = round(g.distance(p), 6)
            if d < best_d:
                best, best_d = k, d
        out.append(best if best_d <= tolerance_m else -1)
    return np.asarray(out, dtype=np.int64)


def _refit(run: list, pos: list, first: int, stop: int) -> None:
    """A run that lost its last point to the next one: its extent over points first..stop-1."""
    span = pos[first:stop] or [0.0]
    run[5], run[6] = min(span), max(span)


def naive_cover(index: SegmentIndex, vehicle, t, x, y, seg, *, max_gap_s: float = DEFAULT_MAX_GAP_S,
                pass_fraction: float = DEFAULT_PASS_FRACTION, bridge_points: int = DEFAULT_BRIDGE_POINTS) -> dict[int, SegmentCoverage]:
    """Point by point, with a Shapely ``project`` per point: the baseline's coverage."""
    pos = [index.geoms[int(s)].project(shapely.Point(x[k], y[k])) if s >= 0 else 0.0 for k, s in enumerate(seg)]
    runs: list[list] = []
    prev = None
    direction = 0.0  # the current run's last significant direction along the segment
    for k in range(len(seg)):
        s = int(seg[k])
        new = prev is None or s != prev[0] or vehicle[k] != prev[1] or t[k] - prev[2] > max_gap_s
        if new:
            direction = 0.0
        elif k >= 1:
            step = pos[k] - pos[k - 1]
            if abs(step) > REVERSE_M:
                if direction and math.copysign(1.0, step) != direction:
                    # Turned back between k-1 and k: k-1 starts the new run (as the vectorised rule has it).
                    last = runs[-1]
                    last[2] -= 1
                    runs.append([s, vehicle[k], 1, t[k - 1], t[k - 1], pos[k - 1], pos[k - 1]])
                    _refit(last, pos, k - 1 - last[2], k - 1)
                direction = math.copysign(1.0, step)
        if new:
            runs.append([s, vehicle[k], 0, t[k], t[k], math.inf, -math.inf])
        cur = runs[-1]
        cur[2] += 1
        cur[4] = t[k]
        cur[5], cur[6] = min(cur[5], pos[k]), max(cur[6], pos[k])
        prev = (s, vehicle[k], t[k])
    if not runs:
        return {}
    cols = list(zip(*runs))
    r = Runs(*(np.asarray(c) for c in cols))
    return _coverage(index.lengths, r, max_gap_s, pass_fraction, bridge_points)


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
