import datetime as dt
import io

import pytest
from support import grid_center

from chengyun.core.errors import Conflict, Forbidden, Invalid
from chengyun.water import geometry, services
from chengyun.water.models import ChiefLevel, Patrol

CN = dt.timezone(dt.timedelta(hours=8))
G1 = "630109001001001"

START = dt.datetime(2026, 11, 3, 9, 0, tzinfo=CN)


def test_geodesic_distance():
    # 0.01° of latitude at 36.5° N is 1109.9 m on the WGS84 ellipsoid; a degree of longitude shrinks by cos(lat).
    assert geometry.line_length_m([[101.70, 36.50], [101.70, 36.51]]) == pytest.approx(1109.9, abs=0.5)
    east = geometry.line_length_m([[101.70, 36.50], [101.71, 36.50]])
    assert east == pytest.approx(895.5, abs=1.0)
    assert geometry.line_length_m([[101.70, 36.50], [101.70, 36.51], [101.71, 36.51]]) == pytest.approx(1109.9 + 895.3, abs=1.5)


@pytest.mark.parametrize("track,fragment", [
    ({"type": "Point", "coordinates": [1, 2]}, "LineString"),
    ([[101.7, 36.5]], "至少需要 2 个点"),
    ([[101.7, 36.5], ["x", 36.5]], "第 2 个点"),
    ([[101.7, 36.5], [200, 36.5]], "超出范围"),
    ("not json", "GeoJSON"),
])
def test_bad_tracks(track, fragment):
    with pytest.raises(Invalid, match=fragment):
        geometry.clean_track(track)


def _patrol(user, reach, minutes, points, start=START):
    p = services.start_patrol(user, reach=reach, started_at=start)
    return services.finish_patrol(user, p, track={"type": "LineString", "coordinates": points}, ended_at=start + dt.timedelta(minutes=minutes))


def test_patrol_computes_duration_and_distance(water):
    p = _patrol(water.chief_user, water.reach, 45, [[101.70, 36.50], [101.70, 36.51], [101.70, 36.52]])
    assert p.duration_s == 2700 and p.distance_m == pytest.approx(2219.8, abs=1.0) and p.status == "finished"
    with pytest.raises(Conflict):
        services.finish_patrol(water.chief_user, p, track=[[101.7, 36.5], [101.7, 36.6]])


def test_only_chiefs_patrol_and_one_at_a_time(water, make_user, api_client):
    with pytest.raises(Forbidden):
        services.start_patrol(make_user("community_grid_worker", grids=[G1]))
    services.start_patrol(water.chief_user, reach=water.reach)
    with pytest.raises(Conflict, match="尚未结束"):
        services.start_patrol(water.chief_user)


def test_patrol_api_round_trip(water, api_client):
    client = api_client.as_user(water.chief_user)
    r = client.post("water/patrols", {"reach": "R01-S1"})
    assert r.status_code == 201, r.content
    pid = r.json()["id"]
    r = client.post(f"water/patrols/{pid}/finish", {"track": [[101.70, 36.50], [101.70, 36.505]], "note": "沿岸步行"})
    assert r.status_code == 200 and r.json()["distance_m"] == pytest.approx(555.0, abs=1.0)
    assert r.json()["track"]["type"] == "LineString"


def test_compliance_counts_only_long_enough_patrols(water, make_user):
    services.set_patrol_rule(make_user("ops_shift_leader"), ChiefLevel.STREET, patrols_per_month=2, min_duration_min=30, min_distance_m=1000,
                             effective_month=dt.date(2026, 11, 1))
    long_track = [[101.70, 36.50], [101.70, 36.51]]  # 1.11 km
    _patrol(water.chief_user, water.reach, 40, long_track)
    _patrol(water.chief_user, water.reach, 20, long_track, start=START + dt.timedelta(days=2))  # too short in time
    _patrol(water.chief_user, water.reach, 40, [[101.70, 36.50], [101.70, 36.505]], start=START + dt.timedelta(days=4))  # too short in distance
    rows = services.compliance(2026, 11)
    row = next(r for r in rows if r.chief == water.chief)
    assert (row.patrols, row.valid, row.required, row.compliant) == (3, 1, 2, False)
    _patrol(water.chief_user, water.reach, 35, long_track, start=START + dt.timedelta(days=6))
    row = next(r for r in services.compliance(2026, 11) if r.chief == water.chief)
    assert (row.valid, row.compliant) == (2, True)
    # Another month is counted on its own.
    assert next(r for r in services.compliance(2026, 10) if r.chief == water.chief).patrols == 0


def test_patrol_rules_are_ops_only(water):
    with pytest.raises(Forbidden):
        services.set_patrol_rule(water.chief_user, ChiefLevel.STREET, patrols_per_month=1, min_duration_min=1, min_distance_m=1)


def test_compliance_api(water, api_client, make_user):
    _patrol(water.chief_user, water.reach, 40, [[101.70, 36.50], [101.70, 36.52]])
    rows = api_client.as_user(make_user("ops_acceptor")).get("water/compliance", {"year": 2026, "month": 11}).json()
    mine = next(r for r in rows if r["person_id"] == water.chief_user.person.pk)
    assert mine["patrols"] == 1 and mine["required"] == 3 and mine["compliant"] is False


def png_bytes() -> bytes:
    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (64, 48), (90, 120, 80)).save(out, "PNG")
    return out.getvalue()


def test_problem_becomes_case(water, client, settings, tmp_path):
    from chengyun.cases.models import Case

    settings.MEDIA_ROOT = str(tmp_path)
    p = services.start_patrol(water.chief_user, reach=water.reach)
    lng, lat = grid_center(G1)
    client.force_login(water.chief_user)
    photo = io.BytesIO(png_bytes())
    photo.name = "dump.png"
    r = client.post(f"/api/v1/water/patrols/{p.pk}/problems",
                    {"kind": "dumping", "description": "河岸堆放建筑垃圾", "lng": lng, "lat": lat, "photo": photo})
    assert r.status_code == 201, r.content
    body = r.json()
    case = Case.objects.get(number=body["case_number"])
    assert body["photo"] == f"/water/problems/{body['id']}/photo" and body["case_url"] == f"/cases/{case.pk}/"
    photo_response = client.get(body["photo"])
    assert photo_response.status_code == 200 and photo_response["Content-Type"] == "image/png"
    # A street-level chief files as the street (street_chief); 乱堆 is 河道违采、乱堆 (0182). This chief has
    # no street-chief role of their own, so the system files it in their name.
    assert (case.source, case.category.code, case.reporter) == ("street_chief", "0182", None)
    assert case.reporter_name == water.chief_user.person.name and case.attachments.count() == 1


def test_problem_by_chief_who_is_also_street_chief_is_theirs(water, make_user):
    from chengyun.cases.models import Case

    from django.contrib.auth import get_user_model

    water.chief_user.person.roles.add("street_chief")
    user = get_user_model().objects.get(pk=water.chief_user.pk)  # fresh: roles are cached per object
    p = services.start_patrol(user, reach=water.reach)
    lng, lat = grid_center(G1)
    pr = services.report_problem(user, p, kind="pollution", description="水面发黑发臭", lng=lng, lat=lat)
    case = Case.objects.get(pk=pr.case_id)
    assert (case.reporter, case.category.code) == (user, "0126")


def test_ops_center_records_a_paper_patrol(water, api_client, make_user):
    lng, lat = grid_center(G1)
    track = {"type": "LineString", "coordinates": [[lng, lat], [lng + 0.02, lat]]}
    body = {"chief_id": water.chief.pk, "reach": water.reach.code, "started_at": "2026-11-03T09:00:00", "ended_at": "2026-11-03T10:00:00",
            "track": track}
    # The chief cannot enter records this way, the ops center can.
    assert api_client.as_user(water.chief_user).post("water/patrols/record", body).status_code == 403
    client = api_client.as_user(make_user("ops_dispatcher"))
    r = client.post("water/patrols/record", body)
    assert r.status_code == 201, r.content
    p = Patrol.objects.get(pk=r.json()["id"])
    assert p.status == "finished" and p.duration_s == 3600 and p.started_at == START and p.distance_m > 1500
    assert p.note == "城运中心补录"
    row = next(row for row in services.compliance(2026, 11) if row.chief == water.chief)
    assert row.valid == 1
    future = dict(body, started_at="2099-01-01T09:00:00", ended_at="2099-01-01T10:00:00")
    assert client.post("water/patrols/record", future).json()["code"] == "invalid_time"


def test_no_problems_on_a_finished_patrol(water):
    from chengyun.cases.models import Case

    p = services.start_patrol(water.chief_user, reach=water.reach, started_at=START)
    lng, lat = grid_center(G1)
    services.finish_patrol(water.chief_user, p, track=[[lng, lat], [lng + 0.01, lat]], ended_at=START + dt.timedelta(minutes=40))
    with pytest.raises(Conflict, match="已结束"):
        services.report_problem(water.chief_user, p, kind="pollution", description="水面发黑", lng=lng, lat=lat)
    assert not Case.objects.exists()


def test_refused_photo_leaves_no_file(water, settings, tmp_path):
    from chengyun.cases.models import Case
    from chengyun.core.errors import DomainError

    settings.MEDIA_ROOT = str(tmp_path)
    p = services.start_patrol(water.chief_user, reach=water.reach)
    lng, lat = grid_center(G1)
    photo = io.BytesIO(b"\xff\xd8\xff\xe0 not really a jpeg")
    photo.name = "fake.jpg"
    with pytest.raises(DomainError):
        services.report_problem(water.chief_user, p, kind="pollution", description="水面发黑", lng=lng, lat=lat, photo=photo)
    assert not Case.objects.exists()
    assert [f for f in tmp_path.rglob("*") if f.is_file()] == []


def test_case_source_by_level(water):
    from chengyun.water.models import RiverChief

    assert services.case_source(RiverChief(level=ChiefLevel.STREET)) == "street_chief"
    assert services.case_source(RiverChief(level=ChiefLevel.COMMUNITY)) == "community_grid_worker"
    assert services.case_source(RiverChief(level=ChiefLevel.DISTRICT)) == "community_grid_worker"


def test_other_chief_cannot_report_on_my_patrol(water, make_user):
    from chengyun.cases.models import Case
    from chengyun.core.errors import NotFound

    p = services.start_patrol(water.chief_user, reach=water.reach)
    other_user = make_user("river_chief", unit="S02", streets=["630109002"])
    services.appoint_chief(None, person=other_user.person, level=ChiefLevel.STREET)
    lng, lat = grid_center(G1)
    with pytest.raises((NotFound, Forbidden)):
        services.report_problem(other_user, p, kind="pollution", description="水面发黑", lng=lng, lat=lat)
    assert not Case.objects.exists()
    assert Patrol.objects.count() == 1
