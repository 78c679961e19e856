"""Parking gaps per community, charging layout (exact = milp, greedy bound), computed indicators."""
from __future__ import annotations

import datetime as dt

import numpy as np
import pytest
from portfolio_support import C11, C12, advance, compound, project

from chengyun.core.errors import Conflict, Invalid
from chengyun.renewal import charging_layout as cl
from chengyun.renewal import project_workflow as pw
from chengyun.renewal import providers
from chengyun.renewal.models import ParkingSupply
from chengyun.renewal.services import charging, parking


@pytest.fixture
def parked(district, units, settings):
    settings.RENEWAL_PARKING_SPACES_PER_HOUSEHOLD = 0.8
    settings.RENEWAL_CHARGER_SHARE_OF_SPACES = 0.1
    a = compound("XA", C11, households=200, built_year=1990)
    compound("XB", C11, households=101, built_year=2010)
    compound("XC", C12, households=50)
    parking.add_supply(None, code="PA", name="XA 小区泊位", kind="compound", compound=a, spaces=100, chargers=4)
    parking.add_supply(None, code="LOT1", name="社区公共停车场", kind="public_lot", community=C11, spaces=60, chargers=0,
                       lng=101.706, lat=36.506)
    return a


def test_gap_per_community_with_configurable_ratio(parked):
    gaps = {g.community: g for g in parking.gaps()}
    g = gaps[C11]
    assert (g.households, g.demand, g.supply, g.gap) == (301, 241, 160, 81)  # ceil(301 × 0.8) = 241
    assert (g.chargers_needed, g.chargers, g.charger_gap) == (25, 4, 21)
    assert gaps[C12].gap == 40 and gaps[C12].supply == 0


def test_parking_project_plans_then_closes_the_gap(parked):
    p = project("parking", community=C11, metrics={"parking_spaces": 50}, lng=101.707, lat=36.507)
    g = {g.community: g for g in parking.gaps()}[C11]
    assert (g.planned, g.after_projects) == (50, 31)
    advance(p, pw.ACCEPTED)
    g = {g.community: g for g in parking.gaps()}[C11]
    assert (g.supply, g.gap, g.planned) == (210, 31, 0)
    assert ParkingSupply.objects.get(project=p).kind == "temporary"


def test_bad_supply_input(parked):
    with pytest.raises(Invalid):
        parking.add_supply(None, code="X1", name="x", kind="compound", community=C11, spaces=10)
    with pytest.raises(Invalid):
        parking.add_supply(None, code="X1", name="x", kind="public_lot", community=C11, spaces=10, chargers=11)
    with pytest.raises(Conflict):
        parking.add_supply(None, code="PA", name="x", kind="public_lot", community=C11, spaces=10)


def test_providers_for_the_health_check(parked):
    gap = providers.get("renewal.parking_space_gap").func(2025, "community")
    assert gap[C11] == 81 and gap[C12] == 40
    assert providers.get("renewal.charger_gap").func(2025, "district")
    assert providers.get("renewal.parking_space_gap").func(2025, "building") == {}
    gas = project("gas", metrics={"main_km": 3}, community=C11)
    project("gas", metrics={"main_km": 1}, community=C12)
    assert providers.get("renewal.old_gas_mains_renewal_rate").func(dt.date.today().year, "district") != {}
    advance(gas, pw.ACCEPTED)
    rate = providers.get("renewal.old_gas_mains_renewal_rate").func(dt.date.today().year, "street")
    assert rate[C11[:9]] == 75.0
    old = project("old_compound", compounds=["XA"])
    assert providers.get("renewal.old_compounds_renewed").func(dt.date.today().year, "community")[C11] == 0
    advance(old, pw.ACCEPTED, representatives=["居民代表甲"])
    assert providers.get("renewal.old_compounds_renewed").func(dt.date.today().year, "community")[C11] == 1
    # XA (1990) and XC (built 1995 by default) are eligible, XB (2010) is not: 1 of 2 renewed.
    assert providers.get("renewal.old_compound_renewal_rate").func(dt.date.today().year, "district") == {"630109": 50.0}


def test_small_instance_exact_matches_brute_force():
    from itertools import combinations

    inst = cl.random_instance(60, 10, 3, seed=3, size_m=1500, radius_m=400, existing=1)
    r = cl.solve(inst, "exact")
    new = [j for j in range(10) if not inst.existing[j]]
    best = max(cl.evaluate(inst, [0, *combo])[0] for combo in combinations(new, 3))
    assert r.method == "exact" and r.optimum == pytest.approx(best) and r.covered == pytest.approx(best) and r.gap == 0


def test_greedy_bound_is_valid_and_reported():
    inst = cl.random_instance(800, 60, 6, seed=5, size_m=4000)
    g = cl.solve(inst, "greedy")
    e = cl.solve(inst, "exact")
    assert g.method == "greedy" and g.optimum is None
    assert g.covered <= e.optimum + 1e-6 <= g.upper_bound + 1e-6
    assert g.covered / e.optimum >= 0.95
    assert 0 <= g.gap < 1


def test_uncapacitated_greedy_uses_the_1_minus_1_over_e_bound():
    inst = cl.random_instance(300, 30, 4, seed=2, size_m=3000)
    inst.capacity[:] = 10**6
    r = cl.solve(inst, "greedy")
    assert not r.capacity_binding
    assert r.upper_bound <= r.covered / cl.E_BOUND + 1e-9


def test_existing_sites_stay_open_and_before_after_coverage():
    demand = [{"id": "a", "lng": 101.70, "lat": 36.50, "weight": 10}, {"id": "b", "lng": 101.75, "lat": 36.50, "weight": 8}]
    cands = [{"id": "old", "lng": 101.7001, "lat": 36.5001, "capacity": 5, "existing": True},
             {"id": "n1", "lng": 101.7502, "lat": 36.5, "capacity": 20}, {"id": "n2", "lng": 101.70, "lat": 36.5002, "capacity": 20}]
    out = charging.plan(demand=demand, candidates=cands, k=1, radius_m=300)
    assert out["covered_before"] == 5 and out["covered_after"] == 13 and out["method"] == "exact"
    assert {s["id"] for s in out["sites"] if s["chosen"]} == {"n1"}
    out2 = charging.plan(demand=demand, candidates=cands, k=2, radius_m=300)
    assert out2["covered_after"] == 18 and out2["coverage_after"] == 1.0


@pytest.mark.parametrize("kwargs, code", [
    ({"k": 0}, "bad_parameter"), ({"radius_m": 10}, "bad_parameter"), ({"method": "magic"}, "bad_parameter"),
    ({"demand": [{"lng": 500, "lat": 36, "weight": 1}]}, "bad_point"),
    ({"demand": [{"lng": 101, "lat": 36, "weight": -1}]}, "bad_point"),
])
def test_bad_plan_requests(kwargs, code):
    base = {"demand": [{"lng": 101.7, "lat": 36.5, "weight": 3}], "candidates": [{"lng": 101.7, "lat": 36.5, "capacity": 3}], "k": 1}
    with pytest.raises(Invalid) as e:
        charging.plan(**{**base, **kwargs})
    assert e.value.code == code


def test_plan_from_platform_data(parked):
    charging.add_site(None, code="CS1", name="社区停车场充电站", lng=101.7061, lat=36.5061, capacity=20, community=C11)
    charging.add_site(None, code="CS2", name="远处候选", lng=101.80, lat=36.60, capacity=20)
    out = charging.plan(k=1)
    ids = {d["id"] for d in out["demand"]}
    assert "compound:XA" in ids and "lot:LOT1" in ids
    assert [s["id"] for s in out["sites"] if s["chosen"]] == ["CS1"] and out["covered_after"] > 0


def test_random_instance_is_deterministic():
    a, b = cl.random_instance(50, 5, 2, seed=9), cl.random_instance(50, 5, 2, seed=9)
    assert np.array_equal(a.weight, b.weight) and a.pairs.nnz == b.pairs.nnz
