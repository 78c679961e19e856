"""Sanitation through services and the API: tracks cleaned and reported, coverage from hand-built
tracks, inspections graded, 示范街 scored; roles and scopes for every write; bad input."""
import datetime as dt
import json

import numpy as np
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from chengyun.core.errors import Conflict, Forbidden, Invalid
from chengyun.people import roles as R
from chengyun.sanitation import services, trackfile
from chengyun.sanitation.models import SegmentDay, Track
from chengyun.sanitation.trackfile import CHINA

pytestmark = pytest.mark.django_db
DAY = dt.date.today() - dt.timedelta(days=1)
KX = 111_320.0 * np.cos(np.radians(36.505))


@pytest.fixture
def roads(units):
    """Two 600 m east-west arterials, one in each street (street 1 at x 101.70-101.72, street 2 beyond)."""
    from chengyun.geo.importers import RawFeature
    from chengyun.roads import services as road_services
    from chengyun.roads.models import RoadSegment

    feats = [RawFeature(1, {"code": "R1", "name": "一号路", "class": "主干路"}, {"type": "LineString", "coordinates": [[101.702, 36.505], [101.702 + 600 / KX, 36.505]]}),
             RawFeature(2, {"code": "R2", "name": "二号路", "class": "支路"}, {"type": "LineString", "coordinates": [[101.722, 36.505], [101.722 + 600 / KX, 36.505]]})]
    assert road_services.import_segments(feats, owner_code="D01").ok
    services.ensure_plans()
    return {s.code: s for s in RoadSegment.objects.all()}


@pytest.fixture
def vehicle(roads, units):
    return services.create_vehicle(None, code="SV1", plate="青A·H0001", unit="D02", street=roads["R1"].street.code, feed_password="pw")


def pass_points(x0=101.702, lat=36.50505, metres=600, step_m=15.0, start=None, back=False):
    n = int(metres / step_m) + 1
    xs = x0 + np.arange(n) * step_m / KX
    if back:
        xs = xs[::-1]
    t0 = (start or dt.datetime.combine(DAY, dt.time(6, 0), CHINA)).timestamp()
    return [trackfile.RawPoint(t0 + 5 * k, float(x), lat) for k, x in enumerate(xs)]


def test_hand_built_tracks_give_the_coverage(vehicle, roads):
    there = pass_points()
    back = pass_points(back=True, start=dt.datetime.combine(DAY, dt.time(6, 30), CHINA))
    report = services.import_points(None, vehicle, there + back)
    assert report.stored == len(there) + len(back) and report.dropped == []
    r1 = SegmentDay.objects.get(day=DAY, segment=roads["R1"])
    assert (r1.planned_passes, r1.passes) == (2, 2)  # 主干路: 一级, 机扫 2 遍
    assert r1.covered_m == pytest.approx(600, abs=20)
    r2 = SegmentDay.objects.get(day=DAY, segment=roads["R2"])
    assert (r2.planned_passes, r2.passes, r2.swept_m) == (1, 0, 0)
    s = services.day_summary(SegmentDay.objects.all(), DAY)
    assert (s.segments, s.met, s.missed) == (2, 1, 1)
    assert s.rate == pytest.approx(round(min(r1.swept_m, 1200) / (1200 + 600) * 100, 1), abs=0.1)


def test_out_of_order_and_jumps_are_dropped_and_reported_never_stored(vehicle):
    pts = pass_points(metres=300)
    bad = list(pts)
    bad.insert(5, trackfile.RawPoint(pts[2].t - 1, pts[2].lng, pts[2].lat))  # earlier than the point before
    bad.insert(12, trackfile.RawPoint(pts[10].t + 2, pts[10].lng + 0.05, pts[10].lat))  # 4 km in 2 s
    report = services.import_points(None, vehicle, bad)
    assert {(d["index"], d["reason"]) for d in report.dropped} == {(5, "out_of_order"), (12, "speed")}
    assert report.stored == len(pts)
    track = Track.objects.get(vehicle=vehicle, day=DAY)
    assert track.n_points == len(pts) and track.dropped_count == 2
    t, x, _ = services.track_points(track)
    assert (np.diff(t) > 0).all() and x.max() < 101.71
    # Sending the same points again: every one is a duplicate or out of order, reported, nothing added.
    again = services.import_points(None, vehicle, pts)
    assert again.stored == 0 and len(again.dropped) == len(pts)


def test_api_upload_and_import_report_dropped_points(client, make_user, vehicle):
    user = make_user(R.DEPT_HANDLER, unit="D02")
    client.force_login(user)
    pts = [{"t": dt.datetime.fromtimestamp(p.t, CHINA).isoformat(), "lng": p.lng, "lat": p.lat} for p in pass_points(metres=90)]
    pts.append({**pts[-1], "lng": pts[-1]["lng"] + 1})  # a jump of ~90 km in no time
    r = client.post("/api/v1/sanitation/tracks", json.dumps({"vehicle": "SV1", "points": pts}), content_type="application/json")
    assert r.status_code == 200, r.content
    body = r.json()
    assert body["dropped_count"] == 1 and body["dropped"][0]["reason"] in ("speed", "duplicate_time")
    csv = "time,lng,lat\n2026-01-01T06:00:00,101.70,36.50\nnot a time,101.7,36.5\n"
    r = client.post("/api/v1/sanitation/tracks/import", {"file": SimpleUploadedFile("t.csv", csv.encode()), "vehicle": "SV1"})
    assert r.status_code == 422 and "第 3 行" in r.json()["message"] and r.json()["detail"]["field"] == "file"
    r = client.post("/api/v1/sanitation/tracks/import", {"file": SimpleUploadedFile("t.csv", b"a,b\n1,2\n"), "vehicle": "SV1"})
    assert r.status_code == 422 and "表头缺少列" in r.json()["message"]
    other = make_user(R.DEPT_HANDLER, unit="D01")
    client.force_login(other)
    r = client.post("/api/v1/sanitation/tracks", json.dumps({"vehicle": "SV1", "points": pts}), content_type="application/json")
    assert r.status_code == 404  # another company's vehicle is not even visible


def test_inspections_grade_and_roles(roads, make_user):
    seg = roads["R1"]
    chief = make_user(R.STREET_CHIEF, streets=[seg.street.code])
    ins = services.record_inspection(chief, segment="R1", inspected_on=DAY, inspector="街长", sensory=95, litter=3, stain=0, cleanliness=98)
    assert (ins.required_grade, ins.grade_reached, ins.meets) == (1, 1, True)
    ins = services.record_inspection(chief, segment="R1", inspected_on=DAY, inspector="街长", sensory=85, litter=15, stain=0.3, cleanliness=92)
    assert (ins.grade_reached, ins.meets, sorted(ins.failures)) == (2, False, ["cleanliness", "litter", "sensory", "stain"])
    with pytest.raises(Forbidden):
        services.record_inspection(chief, segment="R2", inspected_on=DAY, inspector="街长", sensory=95, litter=1, stain=0, cleanliness=99)
    with pytest.raises(Forbidden):
        services.record_inspection(make_user(R.DEPT_HANDLER, unit="D01"), segment="R1", inspected_on=DAY, inspector="x", sensory=95, litter=1,
                                   stain=0, cleanliness=99)
    with pytest.raises(Invalid) as e:
        services.record_inspection(chief, segment="R1", inspected_on=DAY, inspector="街长", sensory=120, litter=1, stain=0, cleanliness=99)
    assert e.value.detail == {"field": "sensory"}


def test_demo_street_scores_and_status_table(roads, make_user):
    for code, name, m in (("surface", "路面保洁", 60), ("bins", "果皮箱", 40)):
        services.set_score_item(None, code=code, name=name, max_score=m)
    seg = roads["R1"]
    chief = make_user(R.STREET_CHIEF, streets=[seg.street.code])
    ds = services.create_demo_street(chief, code="SF1", name="一号路示范街", street=seg.street.code, segments=["R1"], since=DAY)
    ops = make_user(R.OPS_SHIFT_LEADER)
    month = dt.date.today().replace(day=1)
    s = services.score_month(ops, ds, month=month, items={"surface": 54, "bins": 36})
    assert (s.total, s.full, s.passed) == (90, 100, True)  # exactly the pass score
    s = services.score_month(ops, ds, month=month, items={"surface": 54, "bins": 35.9})
    assert s.passed is False and ds.scores.count() == 1  # corrected, not doubled
    with pytest.raises(Forbidden):
        services.score_month(chief, ds, month=month, items={"surface": 54, "bins": 36})  # not their own assessors
    with pytest.raises(Invalid) as e:
        services.score_month(ops, ds, month=month, items={"surface": 61, "bins": 30})
    assert e.value.detail == {"field": "items.surface"}
    with pytest.raises(Invalid):
        services.score_month(ops, ds, month=month, items={"surface": 50})
    services.set_demo_street_status(chief, ds, "named")
    services.set_demo_street_status(chief, ds, "revoked")
    with pytest.raises(Conflict):
        services.set_demo_street_status(chief, ds, "named")


def test_vehicle_writes_are_the_companys(units, make_user, roads):
    own = make_user(R.DEPT_HANDLER, unit="D02")
    v = services.create_vehicle(own, code="SV9", plate="青A·H0009", unit="D02", street=roads["R1"].street.code)
    with pytest.raises(Forbidden):
        services.create_vehicle(own, code="SV8", plate="青A·H0008", unit="D01")
    with pytest.raises(Forbidden):
        services.update_vehicle(make_user(R.STREET_CHIEF, streets=[roads["R1"].street.code]), v, plate="x")
    services.update_vehicle(own, v, plate="青A·H0010")
    with pytest.raises(Invalid):
        services.update_vehicle(own, v, unit="D01")
