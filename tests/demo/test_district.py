"""The demo district: realistic scale, tiled without gaps or overlaps, every role, deterministic."""

import pytest

from chengyun.demo.context import DemoContext
from chengyun.geo import demo as geo_demo
from chengyun.geo import services
from chengyun.geo.models import Community, Grid, Street, Unit
from chengyun.people import demo as people_demo
from chengyun.people import roles as R
from chengyun.people.models import Person

pytestmark = pytest.mark.django_db


def test_demo_district_and_people():
    ctx = DemoContext(log=lambda s: None)
    geo_demo.generate(ctx)  # how long it takes is bench's business, not a unit test's (the brief)
    people_demo.generate(ctx)
    assert Street.objects.count() == 6
    assert 35 <= Community.objects.count() <= 45
    assert Grid.objects.count() >= 400
    assert 35 <= Unit.objects.count() <= 45
    assert Person.objects.count() >= 250
    report = services.validate_tiling()
    assert report.ok, report.problems[:5]
    # Grids of a few hectares each, near 36.6°N 101.8°E.
    areas = [g.area_m2 for g in Grid.objects.all()]
    assert 2e4 < min(areas) and max(areas) < 8e4
    loc = services.locate(101.78, 36.60)
    assert loc.grid.code.startswith(geo_demo.DIVISION)
    # Every role has people, Chinese names, and a demo login.
    for role in R.ALL_ROLES:
        assert Person.objects.filter(roles__code=role).exists(), role
    logins = {p.user.username for p in Person.objects.filter(user__isnull=False).select_related("user")}
    assert {u for u, _, _ in people_demo.DEMO_ACCOUNTS} <= logins
    assert all("\u4e00" <= p.name[0] <= "\u9fff" for p in Person.objects.all())
    # Grid workers have areas (定人定片区) and every grid has someone.
    assert not Grid.objects.filter(people__isnull=True).exists()
    # Running it again changes nothing.
    before = (Grid.objects.count(), Person.objects.count())
    geo_demo.generate(ctx)
    people_demo.generate(ctx)
    assert (Grid.objects.count(), Person.objects.count()) == before


def test_boundaries_are_deterministic():
    a = geo_demo.build_boundaries(DemoContext().rng("geo"))
    b = geo_demo.build_boundaries(DemoContext().rng("geo"))
    assert [f.geometry for f in a["grid"]] == [f.geometry for f in b["grid"]]
    assert [f.properties for f in a["community"]] == [f.properties for f in b["community"]]
