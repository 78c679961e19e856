"""Street fixtures: two road segments (one in each street of the small district), a street chief
for each with the street office as team, and a night-economy policy with a school gate's 严禁 zone."""
from __future__ import annotations

import datetime as dt
from types import SimpleNamespace

import pytest
from streets_support import Y


@pytest.fixture
def streets(units, make_user):
    from chengyun.geo.importers import RawFeature
    from chengyun.roads import services as roads
    from chengyun.roads.models import RoadSegment
    from chengyun.streets.services import compliance, segments

    report = roads.import_segments([
        RawFeature(1, {"code": "RDA", "name": "湟水路", "class": "主干路"}, {"type": "LineString", "coordinates": [[101.702, Y], [101.712, Y]]}),
        RawFeature(2, {"code": "RDB", "name": "昆仑路", "class": "支路"}, {"type": "LineString", "coordinates": [[101.722, Y], [101.732, Y]]}),
    ], owner_code="D01")
    assert report.ok, report.errors
    a, b = RoadSegment.objects.get(code="RDA"), RoadSegment.objects.get(code="RDB")
    chief1 = make_user("street_chief", unit="S01", streets=["630109001"])
    chief2 = make_user("street_chief", unit="S02", streets=["630109002"])
    worker1 = make_user("community_grid_worker", unit="S01", grids=["630109001001001"])
    ops = make_user("ops_shift_leader")
    since = dt.date(2020, 1, 1)
    compliance.set_rule(None, kind="leader", period="week", min_patrols=1, min_share=0.5, effective_from=since)
    compliance.set_rule(None, kind="team", period="week", min_patrols=2, min_share=0.5, effective_from=since)
    segments.assign(None, a, chief=chief1.person, team=units["S01"], valid_from=since)
    segments.assign(None, b, chief=chief2.person, team=units["S02"], valid_from=since)
    return SimpleNamespace(a=a, b=b, chief1=chief1, chief2=chief2, worker1=worker1, ops=ops, units=units)


@pytest.fixture
def night(units):
    """Policy 湟水路商圈 over x 101.702–101.712 around Y (season 04-10 – 10-31), a school gate's
    100 m 严禁 zone at x 101.704, and a tourist street in street 2 with a window past midnight."""
    from chengyun.streets.services import night as svc

    def rect(x0, x1, y0, y1):
        return {"type": "Polygon", "coordinates": [[[x0, y0], [x1, y0], [x1, y1], [x0, y1], [x0, y0]]]}

    bd = svc.create_policy(None, code="BD1", name="湟水路商圈", kind="business", geometry=rect(101.702, 101.712, Y - 0.0005, Y + 0.0005),
                           season_start="04-10", season_end="10-31", windows=[
                               {"activity": "outdoor_dining", "start": "17:00", "end": "22:30"},
                               {"activity": "outdoor_dining", "day_type": "holiday", "start": "17:00", "end": "24:00"},
                               {"activity": "barbecue", "start": "20:00", "end": "24:00"}])
    ts = svc.create_policy(None, code="TS1", name="昆仑古街", kind="tourist", geometry=rect(101.722, 101.732, Y - 0.0005, Y + 0.0005),
                           tourist_start=dt.date(2026, 7, 1), tourist_end=dt.date(2026, 8, 31), windows=[
                               {"activity": "night_market", "day_type": "tourist", "start": "18:00", "end": "02:00"},
                               {"activity": "night_market", "start": "18:00", "end": "22:00"}])
    school = svc.create_zone(None, code="X1", name="湟水路小学门口", kind="forbidden", geometry=svc.circle(101.704, Y, 100), reason="中小学校门口两侧 100 米")
    return SimpleNamespace(bd=bd, ts=ts, school=school, rect=rect)
