"""Patrols: tracks cleaned with the dropped points reported, coverage per segment, compliance
against the rule in force, findings filed as cases with the reporter's role, and scopes."""
import datetime as dt

import pytest
from streets_support import Y, at, walk

from chengyun.core.errors import Invalid
from chengyun.geo.tracks import TrackPoint

pytestmark = pytest.mark.django_db


def _finish(api_client, user, points):
    r = api_client.as_user(user).post("streets/patrols", {})
    assert r.status_code == 201, r.json()
    pid = r.json()["id"]
    body = {"points": [{"t": p.t.isoformat(), "lng": p.lng, "lat": p.lat} for p in points]}
    return pid, api_client.post(f"streets/patrols/{pid}/track", body)


def test_track_with_jumps_and_late_points_is_cleaned_and_reported(streets, api_client):
    from chengyun.streets.models import Patrol, PatrolCoverage

    points = walk(101.702, 101.712, Y, at(2026, 11, 2, 9))
    points.insert(10, TrackPoint(points[9].t + dt.timedelta(seconds=1), 101.75, 36.6))  # a jump of ~10 km in a second
    points.insert(20, TrackPoint(points[5].t, points[5].lng, points[5].lat))  # delivered late: out of order
    pid, r = _finish(api_client, streets.chief1, points)
    assert r.status_code == 200, r.json()
    body = r.json()
    assert body["points_received"] == 42
    assert sorted((d["index"], d["reason"]) for d in body["dropped"]) == [(10, "speed"), (20, "out_of_order")]
    assert body["dropped"][0]["reason_label"] == "速度超过上限（跳点）"
    patrol = Patrol.objects.get(pk=pid)
    assert len(patrol.track_times) == 40 and patrol.status == "finished"
    assert patrol.distance_m == pytest.approx(894, abs=15)
    cov = PatrolCoverage.objects.get(patrol=patrol, segment=streets.a)
    assert cov.share == pytest.approx(1.0, abs=0.01)
    assert not PatrolCoverage.objects.filter(patrol=patrol, segment=streets.b).exists()


def test_a_track_with_no_two_good_points_is_refused_and_nothing_stored(streets, api_client):
    from chengyun.streets.models import Patrol, PatrolCoverage

    start = at(2026, 11, 2, 9)
    points = [TrackPoint(start, 101.702, Y), TrackPoint(start, 101.703, Y), TrackPoint(start - dt.timedelta(seconds=5), 101.704, Y)]
    pid, r = _finish(api_client, streets.chief1, points)
    assert r.status_code == 422
    assert r.json()["code"] == "track_too_short" and len(r.json()["detail"]["dropped"]) == 2
    assert Patrol.objects.get(pk=pid).status == "ongoing" and not PatrolCoverage.objects.exists()


def test_bad_points_name_the_point(streets, api_client):
    r = api_client.as_user(streets.chief1).post("streets/patrols", {})
    pid = r.json()["id"]
    r = api_client.post(f"streets/patrols/{pid}/track", {"points": [{"lng": 101.7, "lat": Y, "t": "2026-11-02T09:00:00"}]})
    assert r.status_code == 422 and r.json()["code"] == "naive_datetime" and r.json()["detail"]["index"] == 0


def test_gpx_import(streets, api_client):
    from django.core.files.uploadedfile import SimpleUploadedFile

    pts = "".join(f'<trkpt lat="{Y}" lon="{101.702 + k * 0.0005}"><time>2026-11-03T01:{k:02d}:00Z</time></trkpt>' for k in range(21))
    gpx = f'<?xml version="1.0"?><gpx version="1.1" xmlns="http://www.topografix.com/GPX/1/1"><trk><trkseg>{pts}</trkseg></trk></gpx>'
    from django.test import Client

    c = Client()
    c.force_login(streets.chief1)
    r = c.post("/api/v1/streets/patrols/gpx", {"file": SimpleUploadedFile("walk.gpx", gpx.encode(), "application/gpx+xml")})
    assert r.status_code == 201, r.json()
    assert r.json()["segments"][0]["code"] == "RDA" and r.json()["segments"][0]["share"] > 0.95
    bad = c.post("/api/v1/streets/patrols/gpx", {"file": SimpleUploadedFile("bad.gpx", b"<gpx><trk>", "application/gpx+xml")})
    assert bad.status_code == 422 and bad.json()["code"] == "bad_gpx"


def test_finding_becomes_a_case_with_the_reporters_role(streets, api_client):
    from chengyun.cases.models import Case

    r = api_client.as_user(streets.chief1).post("streets/patrols", {})
    pid = r.json()["id"]
    r = api_client.post(f"streets/patrols/{pid}/findings", {"kind": "piling", "description": "人行道堆放建材", "lng": 101.705, "lat": Y})
    assert r.status_code == 201, r.json()
    case = Case.objects.get(number=r.json()["case_number"])
    assert case.source == "street_chief" and case.reporter_id == streets.chief1.pk and case.category.code == "0136"
    assert "人行道堆放建材" in case.description
    r = api_client.post(f"streets/patrols/{pid}/findings", {"kind": "ufo", "description": "x", "lng": 101.705, "lat": Y})
    assert r.status_code == 422 and r.json()["detail"]["field"] == "kind"


def test_coverage_and_compliance_per_segment_and_chief(streets):
    from chengyun.streets.services import compliance, patrols

    monday = dt.date(2026, 11, 2)
    patrols.record(None, points=walk(101.702, 101.712, Y, at(2026, 11, 3, 9)), patroller=streets.chief1.person, kind="leader")
    # Chief 2 walks only 30 % of their segment: coverage shows it, but it does not count as a patrol.
    patrols.record(None, points=walk(101.722, 101.725, Y, at(2026, 11, 3, 9)), patroller=streets.chief2.person, kind="leader")
    # The team walks segment A once (the rule asks for two).
    patrols.record(None, points=walk(101.702, 101.712, Y, at(2026, 11, 4, 9)), patroller=streets.worker1.person, kind="team")
    items = {s.assignment.segment.code: s for s in compliance.statuses(compliance.assignments_in(monday, monday), "week", monday)}
    a, b = items["RDA"], items["RDB"]
    assert a.shares["leader"] == pytest.approx(1.0, abs=0.01) and a.counts["leader"] == 1 and a.ok("leader")
    assert a.shares["team"] == pytest.approx(1.0, abs=0.01) and a.counts["team"] == 1 and not a.ok("team") and a.missing == ["team"]
    assert 0.3 < b.shares["leader"] < 0.36 and b.counts["leader"] == 0 and not b.ok("leader")
    # The next week nobody walked: both behind.
    later = compliance.statuses(compliance.assignments_in(monday, monday), "week", monday + dt.timedelta(days=7))
    assert all(not s.compliant for s in later)
    # Over the month, a weekly rule asks for once in each whole week (4 in November).
    month = {s.assignment.segment.code: s for s in compliance.statuses(compliance.assignments_in(monday, monday), "month", monday)}
    assert month["RDA"].required["leader"] == 4 and month["RDA"].counts["leader"] == 1
    chiefs = {c.name: c for c in compliance.by_chief(items.values())}
    assert chiefs[streets.chief2.person.name].behind == ["昆仑路"] and chiefs[streets.chief1.person.name].rate == 1


def test_a_changed_rule_judges_from_its_date_on(streets):
    from chengyun.streets.services import compliance, patrols

    patrols.record(None, points=walk(101.702, 101.712, Y, at(2026, 11, 3, 9)), patroller=streets.chief1.person, kind="leader")
    compliance.set_rule(None, kind="leader", period="week", min_patrols=2, min_share=0.5, effective_from=dt.date(2026, 11, 9))
    before = compliance.statuses(compliance.assignments_in(dt.date(2026, 11, 2), dt.date(2026, 11, 2)), "week", dt.date(2026, 11, 2))
    assert before[0].required["leader"] == 1 and before[0].ok("leader")
    after = compliance.statuses(compliance.assignments_in(dt.date(2026, 11, 9), dt.date(2026, 11, 9)), "week", dt.date(2026, 11, 9))
    assert after[0].required["leader"] == 2
    with pytest.raises(Invalid):
        compliance.set_rule(None, kind="leader", period="fortnight", min_patrols=1, effective_from=dt.date(2026, 11, 9))


def test_reassignment_keeps_history(streets, make_user):
    from chengyun.streets.models import SegmentAssignment
    from chengyun.streets.services import segments

    other = make_user("street_chief", unit="S01", streets=["630109001"])
    segments.assign(None, streets.a, chief=other.person, team=streets.units["S01"], valid_from=dt.date(2026, 6, 1))
    rows = list(SegmentAssignment.objects.filter(segment=streets.a).order_by("valid_from"))
    assert [r.chief_id for r in rows] == [streets.chief1.person.pk, other.person.pk]
    assert rows[0].valid_to == dt.date(2026, 5, 31) and rows[1].valid_to is None
    assert rows[1].grids and rows[1].communities == ["630109001001"]
    with pytest.raises(Invalid):
        segments.assign(None, streets.a, chief=streets.worker1.person, valid_from=dt.date(2026, 7, 1))


def test_a_street_chief_sees_their_streets(streets, api_client):
    from chengyun.streets.services import patrols

    r = api_client.as_user(streets.chief1).get("streets/segments")
    assert [s["code"] for s in r.json()["results"]] == ["RDA"]
    r = api_client.as_user(streets.ops).get("streets/segments")
    assert [s["code"] for s in r.json()["results"]] == ["RDA", "RDB"]
    p2 = patrols.record(None, points=walk(101.722, 101.732, Y, at(2026, 11, 3, 9)), patroller=streets.chief2.person, kind="leader")
    assert api_client.as_user(streets.chief1).get(f"streets/patrols/{p2.pk}").status_code == 404
    assert api_client.as_user(streets.chief2).get(f"streets/patrols/{p2.pk}").status_code == 200
    # Assigning another street's segment is forbidden; the ops center may.
    r = api_client.as_user(streets.chief1).post("streets/segments/RDB/assign", {"chief": streets.chief1.person.pk})
    assert r.status_code == 403
    r = api_client.as_user(streets.ops).post("streets/segments/RDB/assign", {"chief": streets.chief1.person.pk, "valid_from": "2026-06-01"})
    assert r.status_code == 201 and r.json()["chief"] == streets.chief1.person.name
    r = api_client.as_user(streets.ops).post("streets/segments/NOPE/assign", {"chief": streets.chief1.person.pk})
    assert r.status_code == 422 and r.json()["detail"]["field"] == "code"
