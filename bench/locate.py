"""Locate 100,000 random points in the demo district: points/s of the STRtree index, against
two baselines measured in the same run on the same points — a naive Shapely loop over every
grid polygon, and GeoPandas sjoin. Targets: ≥ 50× the naive loop, no slower than GeoPandas.

    .venv/bin/python bench/locate.py [--points 100000] [--naive-sample 2000]
"""
from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time

import numpy as np

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "chengyun.settings")
os.environ.setdefault("CHENGYUN_DATA_DIR", tempfile.mkdtemp(prefix="chengyun-bench-"))
import django  # noqa: E402

django.setup()

from shapely.geometry import Point, shape  # noqa: E402

from chengyun.demo.context import DemoContext  # noqa: E402
from chengyun.geo.demo import build_boundaries  # noqa: E402
from chengyun.geo.index import GridInfo, LocateIndex  # noqa: E402


def best_of(fn, repeat: int = 3) -> float:
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return min(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--points", type=int, default=100_000)
    parser.add_argument("--naive-sample", type=int, default=2_000, help="the naive loop is timed on this many points and its rate extrapolated")
    args = parser.parse_args()

    features = build_boundaries(DemoContext().rng("geo"))["grid"]
    geoms = [shape(f.geometry) for f in features]
    infos = [GridInfo(i, f.properties["code"], f.properties["name"], 0, "", "", 0, "", "") for i, f in enumerate(features)]
    index = LocateIndex(infos, geoms)
    minx = min(g.bounds[0] for g in geoms); miny = min(g.bounds[1] for g in geoms)
    maxx = max(g.bounds[2] for g in geoms); maxy = max(g.bounds[3] for g in geoms)
    rng = np.random.default_rng(42)
    lng = rng.uniform(minx, maxx, args.points)
    lat = rng.uniform(miny, maxy, args.points)
    print(f"{len(geoms)} 个单元网格，{args.points} 个随机点（{sys.platform}，numpy {np.__version__}）")

    hits = index.locate_many(lng, lat)
    t_index = best_of(lambda: index.locate_many(lng, lat))
    rate_index = args.points / t_index

    n = min(args.naive_sample, args.points)
    ordered = [geoms[i] for i in range(len(geoms))]

    def naive():
        out = []
        for x, y in zip(lng[:n], lat[:n]):
            p = Point(x, y)
            found = -1
            for i, g in enumerate(ordered):
                if g.covers(p):
                    found = i
                    break
            out.append(found)
        return out

    t_naive = best_of(naive, repeat=1)
    rate_naive = n / t_naive

    import geopandas as gpd

    grid_df = gpd.GeoDataFrame({"code": [f.properties["code"] for f in features]}, geometry=geoms, crs="EPSG:4326")
    points_df = gpd.GeoDataFrame(geometry=gpd.points_from_xy(lng, lat), crs="EPSG:4326")
    t_gpd = best_of(lambda: gpd.sjoin(points_df, grid_df, how="left", predicate="intersects"))
    rate_gpd = args.points / t_gpd

    # Same answers as the naive loop (edges resolve to the lowest code in both).
    naive_codes = [features[i].properties["code"] if i >= 0 else None for i in naive()]
    index_codes = [index.grids[h].code if h >= 0 else None for h in hits[:n]]
    assert naive_codes == index_codes, "index and naive loop disagree"

    print(f"STRtree 索引（本项目）：{rate_index:>12,.0f} 点/秒")
    print(f"朴素 Shapely 循环：    {rate_naive:>12,.0f} 点/秒（{n} 点外推）")
    print(f"GeoPandas sjoin：      {rate_gpd:>12,.0f} 点/秒")
    print(f"比值：索引 / 朴素循环 = {rate_index / rate_naive:,.1f}×（目标 ≥ 50×）")
    print(f"比值：索引 / GeoPandas = {rate_index / rate_gpd:,.2f}×（目标 ≥ 1×）")


if __name__ == "__main__":
    main()
