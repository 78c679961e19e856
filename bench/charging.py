"""Charging-site layout benchmark (issue 11, speed).

1. Greedy on 5,000 demand points × 500 candidate sites, k = 50, 500 m walking radius, in a
   6 km district with clustered demand: wall time of chengyun.renewal.charging_layout.solve
   (greedy selection + exact max-flow evaluation of the chosen set + the bound). Target ≤ 2 s.
2. On instances small enough for the MILP (scipy.optimize.milp / HiGHS), greedy's coverage
   divided by the optimum, over several seeds and sizes. Target ≥ 0.95 on every instance.

Pure computation (no database): runs in seconds.

    .venv/bin/python bench/charging.py [--seeds 10] [--repeat 5]
"""
from __future__ import annotations

import argparse
import os
import statistics
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from chengyun.renewal import charging_layout as cl  # noqa: E402

# (demand points, candidates, k, district size m, existing sites, site capacity range): tight
# capacities (sites fill up) and loose ones (overlapping coverage decides), with and without
# existing stations.
SMALL = [
    (300, 40, 5, 3000, 3, (10, 60)), (500, 60, 8, 4000, 4, (10, 60)), (800, 80, 10, 5000, 5, (10, 60)),
    (400, 50, 4, 3000, 0, (100, 400)), (600, 80, 8, 5000, 2, (100, 400)), (800, 100, 10, 6000, 0, (1000, 2000)),
]
BIG = [(10, 60), (200, 600)]


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--seeds", type=int, default=10)
    ap.add_argument("--repeat", type=int, default=5)
    args = ap.parse_args()

    all_times = []
    for caps in BIG:
        times, gaps = [], []
        for r in range(args.repeat):
            inst = cl.random_instance(5000, 500, 50, seed=100 + r, size_m=6000, radius_m=500, existing=20, capacity=caps)
            started = time.perf_counter()
            res = cl.solve(inst, "greedy")
            times.append(time.perf_counter() - started)
            gaps.append(res.gap)
        all_times += times
        print(f"greedy 5000×500, k=50, capacities {caps[0]}–{caps[1]}: median {statistics.median(times):.3f} s, max {max(times):.3f} s "
              f"(target ≤ 2 s: {'met' if max(times) <= 2 else 'MISSED'}); reported gap to the upper bound ≤ {max(gaps):.3f}")
    times = all_times

    ratios, milp_times = [], []
    for n, m, k, size, existing, caps in SMALL:
        for seed in range(args.seeds):
            inst = cl.random_instance(n, m, k, seed=seed, size_m=size, radius_m=500, existing=existing, capacity=caps)
            existing_sites = [int(j) for j in inst.existing.nonzero()[0]]
            chosen, _ = cl.greedy(inst)
            greedy_cov = cl.evaluate(inst, existing_sites + chosen)[0]
            started = time.perf_counter()
            optimum, _ = cl.milp_optimum(inst)
            milp_times.append(time.perf_counter() - started)
            ratios.append(greedy_cov / optimum if optimum else 1.0)
    worst = min(ratios)
    print(f"greedy / optimum over {len(ratios)} MILP-sized instances: min {worst:.4f}, mean {statistics.mean(ratios):.4f} "
          f"(target ≥ 0.95: {'met' if worst >= 0.95 else 'MISSED'}); MILP median {statistics.median(milp_times):.2f} s")
    return 0 if max(times) <= 2 and worst >= 0.95 else 1


if __name__ == "__main__":
    raise SystemExit(main())
