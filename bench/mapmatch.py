"""Map-matching and coverage of a city's day of sweeping: 200 vehicles at 1 point / 5 s for 24 h
(~3.5 million points) against 10,000 road segments, with the project's code (sanitation.mapmatch:
cleaning, projection, matching, coverage), against a naive per-point Shapely loop (one distance
per point and segment, one ``project`` per point) measured in the same run on a sample and
extrapolated. The sample's answer (segment per point, coverage per segment) must be the same.
Targets: ≥ 10× the naive loop; the whole day in under a minute.

No database: pure arrays, as the services feed them.

    .venv/bin/python bench/mapmatch.py [--vehicles 200] [--segments 10000] [--naive-sample 300]
"""
from __future__ import annotations

import argparse
import math
import sys
import time

from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # this checkout's chengyun, not an installed one
from chengyun.sanitation import mapmatch as mm  # noqa: E402

LNG0, LAT0 = 101.70, 36.55
KX = 111_320.0 * math.cos(math.radians(LAT0))
KY = 110_950.0
CELL = 200.0  # block size in metres


def lattice(segments: int):
    """A grid of straight blocks: nx × ny cells give about 2·nx·ny segments."""
    side = int(math.sqrt(segments / 2))
    nx, ny = side, segments // (2 * side)
    lines, ends = [], []
    for i in range(nx + 1):
        for j in range(ny):
            lines.append([(LNG0 + i * CELL / KX, LAT0 + j * CELL / KY), (LNG0 + i * CELL / KX, LAT0 + (j + 1) * CELL / KY)])
            ends.append(((i, j), (i, j + 1)))
    for j in range(ny + 1):
        for i in range(nx):
            lines.append([(LNG0 + i * CELL / KX, LAT0 + j * CELL / KY), (LNG0 + (i + 1) * CELL / KX, LAT0 + j * CELL / KY)])
            ends.append(((i, j), (i + 1, j)))
    lines, ends = lines[:segments], ends[:segments]
    return lines, ends, nx, ny


def day_of_tracks(vehicles: int, nx: int, ny: int, seed: int = 1, step_s: float = 5.0, speed: float = 3.5, noise_m: float = 3.0):
    """Each vehicle drives a random walk on the lattice for 24 h; points every `step_s`."""
    rng = np.random.default_rng(seed)
    per_vehicle = int(86_400 / step_s)
    per_block = int(CELL / (speed * step_s))
    legs = per_vehicle // per_block + 1
    vs, xs, ys = [], [], []
    for v in range(vehicles):
        i, j = int(rng.integers(0, nx)), int(rng.integers(0, ny))
        moves = rng.integers(0, 4, legs)
        path = [(i, j)]
        for m in moves:
            di, dj = ((1, 0), (-1, 0), (0, 1), (0, -1))[m]
            if not (0 <= i + di <= nx and 0 <= j + dj <= ny):
                di, dj = -di, -dj
            i, j = i + di, j + dj
            path.append((i, j))
        p = np.asarray(path, dtype=float) * CELL
        f = np.arange(per_block) / per_block
        x = (p[:-1, 0:1] + (p[1:, 0:1] - p[:-1, 0:1]) * f).ravel()[:per_vehicle]
        y = (p[:-1, 1:2] + (p[1:, 1:2] - p[:-1, 1:2]) * f).ravel()[:per_vehicle]
        vs.append(np.full(len(x), v))
        xs.append(x + rng.normal(0, noise_m, len(x)))
        ys.append(y + rng.normal(0, noise_m, len(x)))
    v = np.concatenate(vs)
    t = np.tile(np.arange(per_vehicle) * step_s, vehicles).astype(np.float64)
    x, y = np.concatenate(xs), np.concatenate(ys)
    return v, t, LNG0 + x / KX, LAT0 + y / KY


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--vehicles", type=int, default=200)
    ap.add_argument("--segments", type=int, default=10_000)
    ap.add_argument("--naive-sample", type=int, default=300)
    args = ap.parse_args()

    lines, _ends, nx, ny = lattice(args.segments)
    t0 = time.perf_counter()
    index = mm.SegmentIndex(list(range(len(lines))), lines)
    build = time.perf_counter() - t0
    v, t, lng, lat = day_of_tracks(args.vehicles, nx, ny)
    n = len(t)
    print(f"{len(lines)} 个路段，{args.vehicles} 辆车 × 24 小时 × 每 5 秒 1 点 = {n:,} 个点（{sys.platform}，numpy {np.__version__}）")

    started = time.perf_counter()
    bounds = np.flatnonzero(np.concatenate([[True], v[1:] != v[:-1], [True]]))
    kept = 0
    for a, b in zip(bounds[:-1], bounds[1:]):
        keep, _dropped = mm.clean_arrays(t[a:b] + 1.7e9, lng[a:b], lat[a:b], 25.0)
        kept += int(keep.sum())
    cleaned = time.perf_counter()
    x, y = index.project(lng, lat)
    projected = time.perf_counter()
    seg, along = index.locate(x, y)
    matched = time.perf_counter()
    cov = mm.cover(index, v, t, seg, along)
    covered = time.perf_counter()
    total = covered - started
    print(f"索引构建 {build:.2f} s；清洗 {cleaned - started:.2f} s（保留 {kept:,} 点）；投影 {projected - cleaned:.2f} s；"
          f"匹配 {matched - projected:.2f} s；覆盖统计 {covered - matched:.2f} s")
    print(f"本项目：全日 {total:.1f} s（{n / total:,.0f} 点/秒），匹配率 {(seg >= 0).mean() * 100:.1f}%，"
          f"有机扫路段 {len(cov):,} 个，达到一遍的 {sum(c.passes > 0 for c in cov.values()):,} 个（目标：全日 < 60 s）")

    # The naive loop on a sample: one vehicle's consecutive points (so its coverage can be compared too).
    k = args.naive_sample
    a = int(bounds[0])
    sx, sy, sv, st = x[a:a + k], y[a:a + k], v[a:a + k], t[a:a + k]
    t1 = time.perf_counter()
    naive_seg = mm.naive_match(index, sx, sy)
    naive_cov = mm.naive_cover(index, sv, st, sx, sy, naive_seg)
    naive_s = time.perf_counter() - t1
    fast_seg, fast_along = index.locate(sx, sy)
    fast_cov = mm.cover(index, sv, st, fast_seg, fast_along)
    same_seg = bool((fast_seg == naive_seg).all())
    same_cov = fast_cov.keys() == naive_cov.keys() and all(
        fast_cov[s].passes == naive_cov[s].passes and abs(fast_cov[s].swept_m - naive_cov[s].swept_m) < 1e-6 for s in fast_cov)
    naive_rate = k / naive_s
    naive_day = n / naive_rate
    print(f"朴素 Shapely 循环：{naive_rate:,.0f} 点/秒（{k} 点样本，外推全日 {naive_day:,.0f} s ≈ {naive_day / 3600:.1f} 小时）")
    print(f"样本结果一致：路段 {'是' if same_seg else '否'}，覆盖 {'是' if same_cov else '否'}")
    print(f"比值：本项目 / 朴素循环 = {naive_day / total:,.0f}×（目标 ≥ 10×）")
    if not (same_seg and same_cov):
        sys.exit("样本结果不一致")


if __name__ == "__main__":
    main()
