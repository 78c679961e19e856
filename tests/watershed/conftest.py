"""Fixtures of the watershed tests: a neighbour with its exchange account, boundary sections, a
watershed with the indicator sheet."""
from __future__ import annotations

import json

import pytest

from watershed_support import SECRET


@pytest.fixture
def neighbour(db):
    from chengyun.watershed.services import exchange

    n, key = exchange.register_neighbour(None, code="UP", name="上游区", secret=SECRET)
    n.key = key
    return n


@pytest.fixture
def boundary(neighbour):
    from chengyun.watershed.services import exchange

    return exchange.add_boundary_section(None, neighbour, code="JJ01", name="湟水河入境断面", river="湟水河", lng=101.71, lat=36.51,
                                         upstream="neighbour", target_class=3, our_duty="本区负责下游段巡查", their_duty="上游负责入河排污口整治")


@pytest.fixture
def sheet(db):
    from chengyun.watershed.services import watersheds

    return [
        watersheds.create_indicator(None, code="erosion_control", name="水土流失治理度", unit="%", direction="at_least", target=80, max_value=100, order=1),
        watersheds.create_indicator(None, code="forest_cover", name="林草覆盖率", unit="%", direction="at_least", target=45, max_value=100, order=2),
        watersheds.create_indicator(None, code="erosion_modulus", name="土壤侵蚀模数", unit="t/(km²·a)", direction="at_most", target=500, order=3),
    ]


@pytest.fixture
def watershed(db):
    from chengyun.watershed.services import watersheds

    square = {"type": "Polygon", "coordinates": [[[101.70, 36.50], [101.72, 36.50], [101.72, 36.52], [101.70, 36.52], [101.70, 36.50]]]}
    return watersheds.create_watershed(None, code="XLY01", name="北川河小流域", boundary=square, land_use={"林地": 40, "耕地": 30},
                                       sediment_target_t=1200, runoff_baseline_m3=800)


@pytest.fixture
def outlet(district):
    """A water section the watershed drains through (its outlet)."""
    from chengyun.geo.models import Grid
    from chengyun.water.models import Section, WaterBody

    body = WaterBody.objects.create(code="R02", name="北川河", kind="river")
    grid = Grid.objects.order_by("code").first()
    return Section.objects.create(code="DM05", name="北川河入湟口断面", lng=101.705, lat=36.505, grid=grid, street=grid.street, water_body=body, target_class=4)
