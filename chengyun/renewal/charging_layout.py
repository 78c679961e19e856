"""Charging-site layout as capacitated maximum coverage (优化布局新能源充电设施).

Given demand points (weight = chargers needed there) and candidate sites (capacity = chargers
a site can take), some of them existing (always open), choose k new sites so that the demand
served within a walking radius is as large as possible. Demand i can be served by site j only
when their distance is ≤ radius; a site serves at most its capacity; a point at most its weight.

    f(S) = max flow  source →(w_i) demand i →(∞, if d_ij ≤ r) site j ∈ S →(c_j) sink

f is monotone submodular (it is the rank of a gammoid weighted by capacities), so:

* ``exact`` solves the MILP with ``scipy.optimize.milp`` (HiGHS): x_ij ≥ 0 served amounts,
  y_j ∈ {0,1}; Σ_j x_ij ≤ w_i; Σ_i x_ij ≤ c_j·y_j; Σ_new y_j ≤ k; existing y_j = 1.
* ``greedy`` opens, k times, the site with the largest exact marginal gain f(S ∪ {j}) − f(S)
  (each a max flow; lazily re-evaluated, Minoux 1978). With the existing sites E fixed,
  g(S) = f(E ∪ S) − f(E) is monotone submodular, so greedy is the classic
  (1 − 1/e)-approximation (Nemhauser, Wolsey & Fisher 1978): OPT ≤ f(E) + g(greedy)/(1 − 1/e).
  Also OPT ≤ f(E) + Σ of the k largest single-site values, and OPT ≤ the demand within reach
  of any site. The smallest of these is ``upper_bound``; the gap is 1 − greedy / upper_bound.

Pure numpy/scipy: no Django. Coordinates are lng/lat degrees, projected locally to metres.
"""
from __future__ import annotations

import math
import time
from dataclasses import dataclass, field
from typing import Sequence

import numpy as np
from scipy import sparse
from scipy.sparse.csgraph import maximum_flow
from scipy.spatial import cKDTree

E_BOUND = 1.0 - 1.0 / math.e
# An instance is "small" for the MILP when it has at most this many (demand, site) pairs
# within the radius and this many candidate sites.
EXACT_MAX_PAIRS = 20000
EXACT_MAX_SITES = 200


@dataclass
class Instance:
    demand_xy: np.ndarray        # (n, 2) metres
    weight: np.ndarray           # (n,) int ≥ 0
    site_xy: np.ndarray          # (m, 2) metres
    capacity: np.ndarray         # (m,) int ≥ 0
    existing: np.ndarray         # (m,) bool
    k: int
    radius_m: float
    pairs: sparse.csr_matrix = field(init=False)   # (m, n) distance+1 within radius (0 = out of reach)

    def __post_init__(self) -> None:
        n, m = len(self.weight), len(self.capacity)
        if m == 0 or n == 0:
            self.pairs = sparse.csr_matrix((m, n))
            return
        tree = cKDTree(self.demand_xy)
        site_tree = cKDTree(self.site_xy)
        dist = site_tree.sparse_distance_matrix(tree, self.radius_m, output_type="coo_matrix")
        # +1 so a point exactly on the site (distance 0) is still a stored entry.
        self.pairs = sparse.csr_matrix((dist.data + 1.0, (dist.row, dist.col)), shape=(m, n))
        self.pairs.sort_indices()


def project(lng: Sequence[float], lat: Sequence[float], lat0: float) -> np.ndarray:
    """lng/lat → local metres (equirectangular around lat0: < 0.1 % error over a district)."""
    r = 6371008.8
    x = np.radians(np.asarray(lng, dtype=float)) * r * math.cos(math.radians(lat0))
    y = np.radians(np.asarray(lat, dtype=float)) * r
    return np.column_stack([x, y]) if len(x) else np.zeros((0, 2))


@dataclass
class Result:
    method: str
    chosen: list[int]
    covered: float
    covered_before: float
    total_demand: float
    reachable_demand: float
    optimum: float | None
    upper_bound: float
    gap: float
    capacity_binding: bool
    seconds: float
    served_by_site: dict[int, float]
    served_per_point: np.ndarray
    served_before_per_point: np.ndarray


def evaluate(inst: Instance, open_sites: Sequence[int]) -> tuple[float, np.ndarray, dict[int, float]]:
    """f(S) exactly by max flow: (served total, served per demand point, served per site)."""
    n = len(inst.weight)
    sites = sorted(set(int(j) for j in open_sites))
    if not sites or n == 0:
        return 0.0, np.zeros(n), {}
    ptr, idx = inst.pairs.indptr, inst.pairs.indices
    # Nodes: 0 source, 1..n demand, n+1..n+len(sites) sites, last sink. Edges built from the
    # sites' rows of the pair matrix directly (no sparse slicing: this runs once per gain).
    cols_pts = [idx[ptr[j]:ptr[j + 1]] for j in sites]
    counts = np.array([len(c) for c in cols_pts])
    point_of_edge = np.concatenate(cols_pts) if counts.sum() else np.zeros(0, dtype=np.int64)
    site_of_edge = np.repeat(np.arange(len(sites)), counts)
    t_node = n + len(sites) + 1
    big = int(inst.weight.sum()) + 1
    rows = np.concatenate([np.zeros(n, dtype=np.int64), 1 + point_of_edge, n + 1 + np.arange(len(sites))])
    cols = np.concatenate([1 + np.arange(n), n + 1 + site_of_edge, np.full(len(sites), t_node)])
    caps = np.concatenate([inst.weight, np.full(len(point_of_edge), big), inst.capacity[sites]]).astype(np.int32)
    graph = sparse.csr_matrix((caps, (rows, cols)), shape=(t_node + 1, t_node + 1))
    flow = maximum_flow(graph, 0, t_node)
    f = flow.flow.tocsr()
    fp, fi, fd = f.indptr, f.indices, f.data
    per_point = np.zeros(n)
    row0 = slice(fp[0], fp[1])
    mask = (fi[row0] >= 1) & (fi[row0] <= n)
    per_point[fi[row0][mask] - 1] = fd[row0][mask]
    per_site: dict[int, float] = {}
    for k, j in enumerate(sites):
        r = n + 1 + k
        seg = slice(fp[r], fp[r + 1])
        hit = fi[seg] == t_node
        per_site[j] = float(fd[seg][hit].sum()) if hit.any() else 0.0
    return float(flow.flow_value), np.maximum(per_point, 0), per_site


def greedy(inst: Instance) -> tuple[list[int], bool]:
    """The k new sites chosen greedily by exact marginal coverage; and whether any site's
    capacity is below the demand it reaches (capacities bind).

    Each step starts from a max flow F of the open sites. For a candidate j, with res_i the
    demand of point i left unserved by F:

    * lower bound h_j = min(c_j, Σ_{i ∈ N_j} res_i) — that flow can be routed straight to j;
    * upper bound u_j = min(c_j, Σ_{i ∈ N_j} res_i + U, last exact gain of j), where U is the
      unserved demand next to saturated open sites: an augmenting path to j that does not
      start in N_j starts at an unserved point of a saturated site (else F was not maximal),
      and gains only shrink as sites open (submodularity);
    * candidates whose upper bound beats the best lower bound are evaluated exactly (one max
      flow each), best bound first, until none can.

    So the site taken has the largest exact marginal gain (the classic greedy), while most
    gains are settled by the bounds: loose capacities make U ≈ 0 (h = u), tight ones make
    the lazy bounds sharp."""
    reach = (inst.pairs > 0).astype(np.float64).tocsr()
    weight = inst.weight.astype(float)
    reachable = reach @ weight
    binding = bool(np.any(inst.capacity < reachable - 1e-9))
    capacity = inst.capacity.astype(float)
    lazy = np.minimum(capacity, reachable)
    available = ~inst.existing.copy()
    opened = [int(j) for j in np.flatnonzero(inst.existing)]
    chosen: list[int] = []
    current, served, per_site = evaluate(inst, opened)
    for _ in range(min(inst.k, int(available.sum()))):
        res = np.maximum(weight - served, 0.0)
        saturated = [j for j in opened if per_site.get(j, 0.0) >= capacity[j] - 1e-9]
        if saturated:
            near_saturated = np.asarray(reach[saturated].sum(axis=0)).ravel() > 0
            spill = float(res[near_saturated].sum())
        else:
            spill = 0.0
        direct = reach @ res
        lower = np.where(available, np.minimum(capacity, direct), -1.0)
        upper = np.where(available, np.minimum(np.minimum(capacity, direct + spill), lazy), -1.0)
        best_j = int(np.argmax(lower))
        best = float(lower[best_j])
        best_flow = None  # the max flow of opened + [best_j] when it was computed
        for j in np.argsort(-upper, kind="stable"):
            j = int(j)
            if upper[j] <= best + 1e-9:
                break
            if upper[j] - lower[j] <= 1e-9:
                gain, flow = float(lower[j]), None
            else:
                flow = evaluate(inst, opened + [j])
                gain = flow[0] - current
                lazy[j] = gain
            if gain > best + 1e-9:
                best, best_j, best_flow = gain, j, flow
        if best <= 1e-9:
            break
        chosen.append(best_j)
        opened.append(best_j)
        available[best_j] = False
        if best_flow is not None:
            current, served, per_site = best_flow
        else:
            # The gain is the direct routing of unserved demand to best_j: F plus that routing
            # is a max flow of the new set, so no new max flow is needed.
            served = served.copy()
            room = capacity[best_j]
            row = inst.pairs.getrow(best_j)
            for i in row.indices[np.argsort(row.data, kind="stable")]:
                if room <= 0:
                    break
                take = min(room, res[i])
                served[i] += take
                room -= take
            per_site = {**per_site, best_j: capacity[best_j] - room}
            current += best
    return chosen, binding


def milp_optimum(inst: Instance, time_limit: float = 60.0) -> tuple[float, list[int]]:
    from scipy.optimize import Bounds, LinearConstraint, milp

    m, n = len(inst.capacity), len(inst.weight)
    coo = inst.pairs.tocoo()
    p = len(coo.data)
    nv = p + m
    c = np.concatenate([-np.ones(p), np.zeros(m)])
    # Σ_j x_ij ≤ w_i
    a_dem = sparse.csr_matrix((np.ones(p), (coo.col, np.arange(p))), shape=(n, nv))
    # Σ_i x_ij − c_j y_j ≤ 0
    a_cap = sparse.csr_matrix((np.concatenate([np.ones(p), -inst.capacity.astype(float)]),
                               (np.concatenate([coo.row, np.arange(m)]), np.concatenate([np.arange(p), p + np.arange(m)]))), shape=(m, nv))
    new = np.flatnonzero(~inst.existing)
    a_k = sparse.csr_matrix((np.ones(len(new)), (np.zeros(len(new), dtype=int), p + new)), shape=(1, nv))
    constraints = [LinearConstraint(a_dem, -np.inf, inst.weight.astype(float)), LinearConstraint(a_cap, -np.inf, 0.0),
                   LinearConstraint(a_k, 0, inst.k)]
    lb = np.zeros(nv)
    ub = np.concatenate([np.full(p, np.inf), np.ones(m)])
    lb[p + np.flatnonzero(inst.existing)] = 1.0
    integrality = np.concatenate([np.zeros(p), np.ones(m)])
    res = milp(c, constraints=constraints, integrality=integrality, bounds=Bounds(lb, ub),
               options={"time_limit": time_limit, "mip_rel_gap": 0.0})
    if res.x is None:
        raise RuntimeError(f"MILP failed: {res.message}")
    y = res.x[p:]
    chosen = [int(j) for j in new if y[j] > 0.5]
    return -float(res.fun), chosen


def is_small(inst: Instance) -> bool:
    return inst.pairs.nnz <= EXACT_MAX_PAIRS and len(inst.capacity) <= EXACT_MAX_SITES


def solve(inst: Instance, method: str = "auto") -> Result:
    """method: "auto" (exact when small), "exact" or "greedy". The reported coverage is always
    f of the chosen set computed exactly; ``optimum`` is set when the MILP ran."""
    if method not in ("auto", "exact", "greedy"):
        raise ValueError(f"unknown method {method}")
    started = time.perf_counter()
    existing = [int(j) for j in np.flatnonzero(inst.existing)]
    before, before_pts, _ = evaluate(inst, existing)
    reach_any = np.asarray((inst.pairs > 0).sum(axis=0)).ravel() > 0
    reachable = float(inst.weight[reach_any].sum())
    total = float(inst.weight.sum())
    chosen, binding = greedy(inst)
    covered, pts, per_site = evaluate(inst, existing + chosen)
    optimum = None
    used = "greedy"
    if method == "exact" or (method == "auto" and is_small(inst)):
        optimum, opt_chosen = milp_optimum(inst)
        used = "exact"
        opt_cov, opt_pts, opt_site = evaluate(inst, existing + opt_chosen)
        if opt_cov >= covered:
            chosen, covered, pts, per_site = opt_chosen, opt_cov, opt_pts, opt_site
        upper = optimum
    else:
        singles = np.minimum(inst.capacity, (inst.pairs > 0).astype(np.float64) @ inst.weight.astype(float))
        singles[inst.existing] = 0
        # Greedy on f_E(S) = f(E ∪ S) − f(E), monotone submodular: f_E(greedy) ≥ (1 − 1/e) f_E(OPT).
        upper = min(reachable, before + float(np.sort(singles)[::-1][:inst.k].sum()), before + (covered - before) / E_BOUND)
        upper = max(upper, covered)
    gap = 0.0 if upper <= 0 else max(0.0, 1.0 - covered / upper)
    return Result(method=used, chosen=chosen, covered=covered, covered_before=before, total_demand=total, reachable_demand=reachable,
                  optimum=optimum, upper_bound=upper, gap=gap, capacity_binding=binding, seconds=time.perf_counter() - started,
                  served_by_site=per_site, served_per_point=pts, served_before_per_point=before_pts)


def random_instance(n: int, m: int, k: int, *, seed: int = 0, size_m: float = 6000.0, radius_m: float = 500.0,
                    existing: int = 0, capacity: tuple[int, int] = (10, 60)) -> Instance:
    """A synthetic instance (benchmarks, tests): clustered demand in a square district."""
    rng = np.random.default_rng(seed)
    centres = rng.uniform(0, size_m, size=(max(3, n // 200), 2))
    which = rng.integers(0, len(centres), size=n)
    demand = np.clip(centres[which] + rng.normal(0, size_m / 12, size=(n, 2)), 0, size_m)
    weight = rng.integers(1, 6, size=n)
    sites = rng.uniform(0, size_m, size=(m, 2))
    capacity = rng.integers(capacity[0], capacity[1], size=m)
    is_existing = np.zeros(m, dtype=bool)
    is_existing[:existing] = True
    return Instance(demand, weight, sites, capacity, is_existing, k, radius_m)
