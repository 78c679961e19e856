"""Helpers for the renewal portfolio tests (importable as `portfolio_support`)."""
from __future__ import annotations

from support import DIVISION

C11 = f"{DIVISION}001001"  # 第1街道第1社区
C12 = f"{DIVISION}001002"
C21 = f"{DIVISION}002001"


def compound(code: str, community: str = C11, *, built_year: int = 1995, households: int = 120, lng: float = 101.705,
             lat: float = 36.505, **fields):
    from chengyun.geo import compounds

    return compounds.create_compound(None, code=code, name=f"{code}小区", community=community, built_year=built_year,
                                     households=households, buildings=6, floor_area_m2=9000, lng=lng, lat=lat, **fields)


def project(type: str = "old_compound", *, unit: str = "D02", community: str = C11, **over):
    from chengyun.renewal.services import portfolio

    metrics = {
        "old_compound": {"households": 120, "buildings": 6, "floor_area_m2": 9000},
        "lift": {"lifts": 1, "households": 12},
        "parking": {"parking_spaces": 80},
        "gas": {"main_km": 3.5},
        "charging": {"chargers": 20},
        "drainage": {"main_km": 2.0},
    }[type]
    values = dict(name=f"测试{type}项目", type=type, start_year=2026, end_year=2028, metrics=metrics, responsible_unit=unit,
                  community=community, targets=[{"year": 2026, "quantity": 1}, {"year": 2027, "quantity": 2}],
                  funding=[{"source": "central_budget", "year": 2026, "amount_wan": 300}, {"source": "residents", "year": 2027, "amount_wan": 20}])
    values.update(over)
    return portfolio.create_project(None, **values)


def advance(p, until: str, **accept_kwargs):
    """Walk a project along the lifecycle as the platform up to state `until`."""
    from chengyun.renewal import project_workflow as pw
    from chengyun.renewal.services import portfolio

    steps = ["approve", "fund", "tender", "start", "accept", "handover"]
    for action in steps:
        if p.state == until:
            break
        kwargs = accept_kwargs if action == "accept" else {}
        p = portfolio.transition(None, p, action, **kwargs)
    assert p.state == until, (p.state, until, pw.STATES)
    return p
