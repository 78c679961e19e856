"""Fixtures for the case tests: the people of one case loop, photos, a helper to file a case."""
from __future__ import annotations

import sys
from pathlib import Path

import pytest

# Test files import their shared helpers by name; with --import-mode=importlib this directory
# is not on sys.path by itself.
sys.path.insert(0, str(Path(__file__).parent))

from cases_helpers import G1, G2, G_OTHER, jpeg_bytes  # noqa: F401


@pytest.fixture(autouse=True)
def seeded_catalogue(request):
    """Transactional tests elsewhere flush the database, data migrations included: reload the seed."""
    marker = request.node.get_closest_marker("django_db")
    if marker is None:
        return
    request.getfixturevalue("transactional_db" if marker.kwargs.get("transaction") else "db")
    from chengyun.cases import services

    services.load_seed_catalogue()


@pytest.fixture
def photo():
    return jpeg_bytes()


@pytest.fixture
def crew(make_user):
    """One person per role of the loop, scoped to street 1 / grid G1 where it matters."""
    from chengyun.people import roles as R

    return {
        "acceptor": make_user(R.OPS_ACCEPTOR),
        "dispatcher": make_user(R.OPS_DISPATCHER),
        "shift": make_user(R.OPS_SHIFT_LEADER),
        "leader": make_user(R.DISTRICT_LEADER),
        "handler": make_user(R.DEPT_HANDLER, unit="D01"),
        "handler2": make_user(R.DEPT_HANDLER, unit="D02"),
        "grid": make_user(R.COMMUNITY_GRID_WORKER, unit="S01", grids=[G1, G2]),
        "grid_other": make_user(R.COMMUNITY_GRID_WORKER, unit="S02", grids=[G_OTHER]),
        "supervisor": make_user(R.OPS_GRID_WORKER, grids=[G1]),
        "chief": make_user(R.STREET_CHIEF, unit="S01", grids=[G1]),
        "drone": make_user(R.DRONE_OPERATOR, streets=["630109001"]),
        "admin": make_user(R.SYSADMIN),
    }


@pytest.fixture
def file_case(crew, units):
    """file_case(source="community_grid_worker", code="0113", kind="event", grid=G1, by=None) -> Case."""
    from support import grid_center

    from chengyun.cases import services

    def make(source="community_grid_worker", code="0113", kind="event", grid=G1, by=None, offset=(0.0, 0.0), **kw):
        user = by if by is not None else {"community_grid_worker": crew["grid"], "street_chief": crew["chief"], "public": crew["handler2"],
                                          "ops_grid_worker": crew["supervisor"], "hotline": crew["acceptor"], "drone": crew["drone"],
                                          "leader": crew["leader"]}.get(source)
        lng, lat = grid_center(grid)
        return services.report(user, source=source, category_code=code, category_kind=kind, lng=lng + offset[0], lat=lat + offset[1],
                               description=kw.pop("description", "路面坑洼，约 1 平方米"), **kw)

    return make


