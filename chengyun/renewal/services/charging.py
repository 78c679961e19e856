"""Charging layout from the platform's data or a posted request (charging_layout does the maths).

Demand points, when not given: every active compound with its charger gap (its parking demand
× RENEWAL_CHARGER_SHARE_OF_SPACES minus chargers registered at it) at its centre, and every
public / temporary lot with the chargers its spaces call for minus those it has. Candidate
sites: the ChargingSite register (existing stations stay open; the others are candidates).
"""
from __future__ import annotations

import math
from typing import Any, Iterable, Mapping

import numpy as np
from django.conf import settings
from django.db import transaction

from chengyun.core import audit
from chengyun.core.errors import Conflict, Invalid
from chengyun.people import policy

from .. import charging_layout as cl
from ..models import ChargingSite, ParkingSupply
from .access import is_office
from .parking import charger_share, spaces_per_household

MAX_DEMAND = 20000
MAX_SITES = 2000


def default_radius() -> float:
    return float(getattr(settings, "RENEWAL_CHARGING_WALK_RADIUS_M", 500))


def platform_demand() -> list[dict[str, Any]]:
    from chengyun.geo.models import Compound

    chargers_at: dict[int, int] = {}
    for s in ParkingSupply.objects.filter(compound__isnull=False).values("compound_id", "chargers"):
        chargers_at[s["compound_id"]] = chargers_at.get(s["compound_id"], 0) + s["chargers"]
    out = []
    ratio, share = spaces_per_household(), charger_share()
    for c in Compound.objects.filter(active=True, lng__isnull=False, lat__isnull=False).order_by("code"):
        need = math.ceil(c.households * ratio * share - 1e-9) - chargers_at.get(c.pk, 0)
        if need > 0:
            out.append({"id": f"compound:{c.code}", "name": c.name, "lng": c.lng, "lat": c.lat, "weight": need})
    lots = ParkingSupply.objects.filter(kind__in=[ParkingSupply.Kind.PUBLIC_LOT, ParkingSupply.Kind.TEMPORARY], lng__isnull=False)
    for s in lots.order_by("code"):
        need = math.ceil(s.spaces * share - 1e-9) - s.chargers
        if need > 0:
            out.append({"id": f"lot:{s.code}", "name": s.name, "lng": s.lng, "lat": s.lat, "weight": need})
    return out


def platform_candidates() -> list[dict[str, Any]]:
    return [{"id": s.code, "name": s.name, "lng": s.lng, "lat": s.lat, "capacity": s.capacity, "existing": s.existing}
            for s in ChargingSite.objects.order_by("code")]


def _points(rows: Iterable[Mapping[str, Any]], what: str, value_key: str) -> list[dict[str, Any]]:
    out = []
    for n, row in enumerate(rows, start=1):
        try:
            lng, lat = float(row["lng"]), float(row["lat"])
            value = float(row[value_key])
        except (KeyError, TypeError, ValueError):
            raise Invalid(f"{what}第 {n} 项缺少或写错 lng、lat、{value_key}", code="bad_point", detail={"field": f"{what}[{n}]"}) from None
        if not (-180 <= lng <= 180 and -90 <= lat <= 90) or not math.isfinite(value):
            raise Invalid(f"{what}第 {n} 项的坐标应为经纬度", code="bad_point", detail={"field": f"{what}[{n}]"})
        if value < 0 or value != int(value):
            raise Invalid(f"{what}第 {n} 项的 {value_key} 应为非负整数", code="bad_point", detail={"field": f"{what}[{n}].{value_key}"})
        out.append({**row, "id": str(row.get("id") or n), "lng": lng, "lat": lat, value_key: int(value), "existing": bool(row.get("existing", False))})
    return out


def plan(*, demand: Iterable[Mapping[str, Any]] | None = None, candidates: Iterable[Mapping[str, Any]] | None = None, k: Any = 5,
         radius_m: Any = None, method: str = "auto") -> dict[str, Any]:
    """Choose k new sites; returns chosen sites, coverage before/after, optimum or bound, gap."""
    try:
        k_n = int(k)
        radius = float(radius_m if radius_m not in (None, "") else default_radius())
    except (TypeError, ValueError):
        raise Invalid("k 应为整数，radius_m 应为数字", code="bad_parameter", detail={"field": "k"}) from None
    if k_n < 1 or k_n > 500:
        raise Invalid("k 应在 1—500 之间", code="bad_parameter", detail={"field": "k"})
    if not 50 <= radius <= 5000:
        raise Invalid("步行半径应在 50—5000 米之间", code="bad_parameter", detail={"field": "radius_m"})
    if method not in ("auto", "exact", "greedy"):
        raise Invalid("method 应为 auto、exact 或 greedy", code="bad_parameter", detail={"field": "method"})
    d = _points(platform_demand() if demand is None else demand, "需求点", "weight")
    s = _points(platform_candidates() if candidates is None else candidates, "候选站点", "capacity")
    if len(d) > MAX_DEMAND or len(s) > MAX_SITES:
        raise Invalid(f"需求点不超过 {MAX_DEMAND} 个、候选站点不超过 {MAX_SITES} 个", code="too_large")
    if not d or not s:
        raise Conflict("没有充电需求点或候选站点，无法布局", code="empty_instance")
    lat0 = float(np.mean([p["lat"] for p in d]))
    inst = cl.Instance(cl.project([p["lng"] for p in d], [p["lat"] for p in d], lat0), np.array([p["weight"] for p in d], dtype=np.int64),
                       cl.project([p["lng"] for p in s], [p["lat"] for p in s], lat0), np.array([p["capacity"] for p in s], dtype=np.int64),
                       np.array([p["existing"] for p in s], dtype=bool), k_n, radius)
    if method == "exact" and not cl.is_small(inst):
        raise Invalid(f"实例过大（{inst.pairs.nnz} 个可达点对），精确求解仅用于不超过 {cl.EXACT_MAX_PAIRS} 个点对、{cl.EXACT_MAX_SITES} 个候选站点的实例",
                      code="too_large_for_exact")
    r = cl.solve(inst, method)
    chosen = set(r.chosen)

    def site_out(j: int) -> dict[str, Any]:
        p = s[j]
        return {"id": p["id"], "name": p.get("name", ""), "lng": p["lng"], "lat": p["lat"], "capacity": p["capacity"],
                "existing": p["existing"], "chosen": j in chosen, "served": r.served_by_site.get(j, 0.0)}

    return {
        "method": r.method, "k": k_n, "radius_m": radius,
        "total_demand": r.total_demand, "reachable_demand": r.reachable_demand,
        "covered_before": r.covered_before, "covered_after": r.covered,
        "coverage_before": round(r.covered_before / r.total_demand, 4) if r.total_demand else 0.0,
        "coverage_after": round(r.covered / r.total_demand, 4) if r.total_demand else 0.0,
        "optimum": r.optimum, "upper_bound": r.upper_bound, "gap": round(r.gap, 4),
        "bound": "optimum" if r.optimum is not None else ("1-1/e" if not r.capacity_binding else "top-k"),
        "capacity_binding": r.capacity_binding, "seconds": round(r.seconds, 3),
        "sites": [site_out(j) for j in range(len(s)) if s[j]["existing"] or j in chosen],
        "demand": [{"id": p["id"], "name": p.get("name", ""), "lng": p["lng"], "lat": p["lat"], "weight": p["weight"],
                    "served_before": float(r.served_before_per_point[i]), "served_after": float(r.served_per_point[i])}
                   for i, p in enumerate(d)],
    }


def add_site(user: Any, *, code: str, name: str, lng: Any, lat: Any, capacity: Any, existing: bool = False, community: Any = None) -> ChargingSite:
    from chengyun.geo.models import Community

    comm = None
    if community not in (None, ""):
        comm = community if isinstance(community, Community) else Community.objects.filter(code=str(community)).first()
        if comm is None:
            raise Invalid(f"社区 {community} 不存在", code="unknown_community", detail={"field": "community"})
    if user is not None and not is_office(user):
        policy.require_create(user, ChargingSite, community_id=getattr(comm, "pk", None), street_id=getattr(comm, "street_id", None),
                              message="只能登记本人负责区域内的充电设施点位")
    p = _points([{"id": code, "lng": lng, "lat": lat, "capacity": capacity}], "站点", "capacity")[0]
    code, name = str(code or "").strip(), str(name or "").strip()
    if not code or not name:
        raise Invalid("请填写编号和名称", code="missing_code", detail={"field": "code"})
    if ChargingSite.objects.filter(code=code).exists():
        raise Conflict(f"站点编号 {code} 已存在", code="duplicate_code", detail={"field": "code"})
    with transaction.atomic():
        site = ChargingSite.objects.create(code=code[:32], name=name[:100], community=comm, lng=p["lng"], lat=p["lat"],
                                           capacity=p["capacity"], existing=bool(existing))
        audit.created(site)
    return site
