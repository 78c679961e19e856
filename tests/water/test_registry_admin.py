"""Registry administration (water bodies, reaches, chiefs, cameras, site edits) through the API
and the pages, the patrol cancel, and form dates that are not calendar dates."""
import datetime as dt

import pytest

from chengyun.core.models import AuditEntry
from chengyun.water import services
from chengyun.water.models import Camera, ChiefLevel, Patrol, Reach, RiverChief, Section, WaterBody

CN = dt.timezone(dt.timedelta(hours=8))
START = dt.datetime(2026, 11, 3, 9, 0, tzinfo=CN)


@pytest.fixture
def ops(make_user):
    return make_user("ops_dispatcher")


@pytest.fixture
def chief_user2(make_user):
    return make_user("river_chief", unit="S01", streets=["630109001"], username="hezhang2")


def _audited(obj, action=None, verb=None):
    qs = AuditEntry.objects.filter(object_type=f"{obj._meta.app_label}.{obj._meta.model_name}", object_id=str(obj.pk))
    if action:
        qs = qs.filter(action=action)
    if verb is not None:
        qs = qs.filter(verb=verb)
    return qs.exists()


# ---------------------------------------------------------------- API

def test_water_body_api(water, ops, api_client):
    c = api_client.as_user(ops)
    r = c.post("water/water-bodies", {"code": "R02", "name": "南川河", "kind": "river",
                                      "geometry": {"type": "LineString", "coordinates": [[101.7, 36.5], [101.7, 36.6]]}})
    assert r.status_code == 201, r.content
    assert r.json()["geometry"]["type"] == "LineString"
    body = WaterBody.objects.get(code="R02")
    assert _audited(body, "create")
    assert c.post("water/water-bodies", {"code": "R02", "name": "重复", "kind": "river"}).status_code == 409
    r = c.post("water/water-bodies", {"code": "R03", "name": "x", "kind": "sea"})
    assert r.status_code == 422 and r.json()["code"] == "invalid_kind" and r.json()["message"]
    assert c.post("water/water-bodies", {"code": "R03", "name": " ", "kind": "river"}).status_code == 422
    r = c.patch("water/water-bodies/R02", {"name": "南川河（城区段）", "kind": "lake"})
    assert r.status_code == 200 and r.json()["kind"] == "lake"
    assert _audited(body, "update")
    assert c.patch("water/water-bodies/R02", {"geometry": {"type": "Point", "coordinates": [1, 2]}}).status_code == 422
    r = c.get("water/water-bodies", {"kind": "river"})
    assert r.status_code == 200 and [b["code"] for b in r.json()["results"]] == ["R01"]
    assert r.json()["results"][0]["reaches"] == 1


def test_registry_writes_are_the_ops_centers(water, make_user, api_client):
    leader = make_user("district_leader")
    c = api_client.as_user(leader)
    assert c.get("water/water-bodies").status_code == 200  # reads: yes
    for method, path, body in [
        ("post", "water/water-bodies", {"code": "R09", "name": "x", "kind": "river"}),
        ("patch", "water/water-bodies/R01", {"name": "x"}),
        ("post", "water/reaches", {"code": "X1", "name": "x", "water_body": "R01", "level": "street"}),
        ("patch", "water/reaches/R01-S1", {"name": "x"}),
        ("post", "water/chiefs", {"person_id": leader.person.pk, "level": "district"}),
        ("patch", f"water/chiefs/{water.chief.pk}", {"title": "x"}),
        ("post", "water/cameras", {"code": "CAM9", "name": "x", "outfall": "PK01"}),
        ("patch", "water/sections/WQ01", {"target_class": 2}),
        ("patch", "water/outfalls/PK01", {"name": "x"}),
    ]:
        r = getattr(c, method)(path, body)
        assert r.status_code == 403, (path, r.content)
        assert r.json()["message"]
    # The chief reads the section they answer for, but may not change it.
    assert api_client.as_user(water.chief_user).patch("water/sections/WQ01", {"target_class": 2}).status_code == 403
    assert Section.objects.get(code="WQ01").target_class == 3


def test_chief_appointment_change_and_end(water, ops, chief_user2, make_user, api_client):
    c = api_client.as_user(ops)
    r = c.post("water/chiefs", {"username": "hezhang2", "level": "street", "title": "街道副河长"})
    assert r.status_code == 201, r.content
    new = RiverChief.objects.get(pk=r.json()["id"])
    assert _audited(new, "create")
    assert c.post("water/chiefs", {"person_id": chief_user2.person.pk, "level": "street"}).status_code == 409
    # 422: unknown person, no river-chief role, bad level, neither id nor username.
    assert c.post("water/chiefs", {"username": "nobody", "level": "street"}).json()["code"] == "unknown_person"
    assert c.post("water/chiefs", {"person_id": ops.person.pk, "level": "street"}).json()["code"] == "not_river_chief"
    assert c.post("water/chiefs", {"username": "hezhang2", "level": "province"}).status_code == 422
    assert c.post("water/chiefs", {"level": "street"}).status_code == 422
    assert c.get("water/chiefs", {"level": "street", "active": "true"}).json()["count"] == 2
    # A level change while the chief still owns reaches of the old level is a conflict.
    r = c.patch(f"water/chiefs/{water.chief.pk}", {"level": "district"})
    assert r.status_code == 409 and r.json()["code"] == "chief_has_reaches"
    assert c.patch(f"water/chiefs/{new.pk}", {"title": "街道河长"}).json()["title"] == "街道河长"

    # A patrol under way when the appointment ends is kept and can still be finished.
    p = services.start_patrol(water.chief_user, reach=water.reach, started_at=START)
    r = c.patch(f"water/chiefs/{water.chief.pk}", {"active": False, "successor_id": new.pk})
    assert r.status_code == 200 and r.json()["active"] is False and r.json()["reaches"] == []
    assert _audited(water.chief, "action", "end_appointment")
    water.reach.refresh_from_db(); water.section.refresh_from_db()
    assert water.reach.chief == new and water.section.chief == new
    assert _audited(water.reach, "update", "handover")
    services.finish_patrol(water.chief_user, p, track=[[101.70, 36.50], [101.70, 36.51]], ended_at=START + dt.timedelta(minutes=40))
    assert Patrol.objects.get(pk=p.pk).chief == water.chief
    assert c.patch(f"water/chiefs/{water.chief.pk}", {"active": False}).status_code == 409
    # Without a successor the reaches become vacant.
    r = c.patch(f"water/chiefs/{new.pk}", {"active": False})
    assert r.status_code == 200
    assert Reach.objects.get(code="R01-S1").chief is None
    assert c.get("water/reaches", {"vacant": "true"}).json()["count"] == 1
    # A dismissed chief cannot take a reach; a renewed one can.
    assert c.patch("water/reaches/R01-S1", {"chief_id": new.pk}).json()["code"] == "chief_not_active"
    assert c.patch(f"water/chiefs/{new.pk}", {"active": True}).json()["active"] is True
    assert c.patch("water/reaches/R01-S1", {"chief_id": new.pk}).json()["chief"] == chief_user2.person.name
    # Re-appointing through POST renews an ended appointment.
    r = c.post("water/chiefs", {"person_id": water.chief_user.person.pk, "level": "community"})
    assert r.status_code == 201 and r.json()["id"] == water.chief.pk and r.json()["level"] == "community"


def test_reach_api(water, ops, district, api_client):
    from chengyun.geo.models import Community, Street

    c = api_client.as_user(ops)
    community = Community.objects.filter(street__code="630109002").first()
    r = c.post("water/reaches", {"code": "R01-S2", "name": "北川河第2街道段", "water_body": "R01", "level": "street",
                                 "community": community.code, "geometry": [[101.7, 36.5], [101.7, 36.51]]})
    # A bare coordinate list is not GeoJSON.
    assert r.status_code == 422 and r.json()["code"] == "invalid_geometry"
    r = c.post("water/reaches", {"code": "R01-S2", "name": "北川河第2街道段", "water_body": "R01", "level": "street",
                                 "community": community.code, "geometry": {"type": "LineString", "coordinates": [[101.7, 36.5], [101.7, 36.51]]}})
    assert r.status_code == 201, r.content
    assert r.json()["street"] == "630109002" and r.json()["length_m"] == pytest.approx(1109.9, abs=1)
    assert _audited(Reach.objects.get(code="R01-S2"), "create")
    assert c.post("water/reaches", {"code": "R01-S2", "name": "x", "water_body": "R01", "level": "street"}).status_code == 409
    bad = [
        ({"water_body": "NOPE"}, "unknown_water_body"),
        ({"chief_id": water.chief.pk, "level": "district"}, "level_mismatch"),
        ({"street": "630109001", "community": community.code}, "community_not_in_street"),
        ({"level": "river"}, "invalid_level"),
    ]
    for extra, code in bad:
        r = c.post("water/reaches", {"code": "R01-X", "name": "x", "water_body": "R01", "level": "street", **extra})
        assert (r.status_code, r.json()["code"]) == (422, code), extra
    r = c.patch("water/reaches/R01-S2", {"chief_id": water.chief.pk, "street": "630109001"})
    assert r.status_code == 200 and r.json()["chief_id"] == water.chief.pk
    assert r.json()["street"] == "630109001" and r.json()["community"] is None  # the other street's community is left behind
    r = c.patch("water/reaches/R01-S2", {"chief_id": None})
    assert r.json()["chief"] is None
    assert c.get("water/reaches/R01-S2").json()["geometry"]["type"] == "LineString"
    assert Street.objects.filter(code="630109001").exists()


def test_site_patches(water, ops, units, api_client):
    c = api_client.as_user(ops)
    r = c.patch("water/sections/WQ01", {"target_class": 2, "name": "北川河大桥断面", "chief_id": None})
    assert r.status_code == 200, r.content
    assert (r.json()["target_class"], r.json()["chief"], r.json()["name"]) == (2, None, "北川河大桥断面")
    assert _audited(water.section, "update")
    assert c.patch("water/sections/WQ01", {"target_class": 6}).status_code == 422
    assert c.patch("water/sections/WQ01", {"unit": "D01"}).status_code == 422  # a section has no unit
    assert c.patch("water/sections/WQ02", {"reach": "R01-S1"}).json()["code"] == "reach_not_on_water_body"
    r = c.patch("water/outfalls/PK01", {"unit": "D01", "reach": "R01-S1", "active": False, "kind": "combined"})
    assert r.status_code == 200, r.content
    assert (r.json()["unit_code"], r.json()["reach"], r.json()["active"], r.json()["kind"]) == ("D01", "R01-S1", False, "combined")
    assert c.patch("water/outfalls/PK01", {"unit": "NOPE"}).json()["code"] == "unknown_unit"
    assert c.patch("water/outfalls/PK01", {"target_class": 2}).status_code == 422
    assert c.patch("water/outfalls/NOPE", {"name": "x"}).status_code == 404


def test_camera_api(water, ops, make_user, api_client):
    c = api_client.as_user(ops)
    cam_account = make_user("ops_acceptor", username="cam-pk01")
    r = c.post("water/cameras", {"code": "CAM-PK01", "name": "二号排口摄像机", "outfall": "PK01", "account": "cam-pk01"})
    assert r.status_code == 201, r.content
    assert r.json()["account"] == "cam-pk01" and r.json()["active"] is True
    cam = Camera.objects.get(code="CAM-PK01")
    assert _audited(cam, "create")
    assert c.post("water/cameras", {"code": "CAM-PK01", "name": "x", "outfall": "PK01"}).status_code == 409
    assert c.post("water/cameras", {"code": "CAM-2", "name": "x", "outfall": "NOPE"}).json()["code"] == "unknown_outfall"
    assert c.post("water/cameras", {"code": "CAM-2", "name": "x", "outfall": "PK01", "account": "ghost"}).json()["code"] == "unknown_account"
    r = c.patch("water/cameras/CAM-PK01", {"account": None, "active": False})
    assert r.status_code == 200 and r.json()["account"] is None and r.json()["active"] is False
    assert _audited(cam, "update")
    assert c.get("water/cameras", {"outfall": "PK01"}).json()["count"] == 1
    assert cam_account.is_active


# ---------------------------------------------------------------- patrol cancel

def test_cancel_patrol_frees_the_chief_and_is_not_counted(water, make_user, api_client):
    c = api_client.as_user(water.chief_user)
    pid = c.post("water/patrols", {"reach": "R01-S1"}).json()["id"]
    assert c.post("water/patrols", {}).status_code == 409
    # Too few points to finish …
    assert c.post(f"water/patrols/{pid}/finish", {"track": [[101.7, 36.5]]}).status_code == 422
    # … so it is abandoned, with a reason.
    assert c.post(f"water/patrols/{pid}/cancel", {"reason": "  "}).status_code == 422
    r = c.post(f"water/patrols/{pid}/cancel", {"reason": "轨迹点不足，无法结束"})
    assert r.status_code == 200 and r.json()["status"] == "cancelled"
    p = Patrol.objects.get(pk=pid)
    assert p.note == "轨迹点不足，无法结束" and p.ended_at is not None
    assert _audited(p, "action", "cancel")
    assert c.post(f"water/patrols/{pid}/cancel", {"reason": "再次"}).status_code == 409
    assert c.post(f"water/patrols/{pid}/finish", {"track": [[101.7, 36.5], [101.7, 36.51]]}).status_code == 409
    assert c.post("water/patrols", {"reach": "R01-S1"}).status_code == 201  # a new one may start


def test_cancelled_patrols_do_not_count(water, make_user):
    services.set_patrol_rule(make_user("ops_shift_leader"), ChiefLevel.STREET, patrols_per_month=1, min_duration_min=0, min_distance_m=0,
                             effective_month=dt.date(2026, 11, 1))
    p = services.start_patrol(water.chief_user, reach=water.reach, started_at=START)
    services.cancel_patrol(water.chief_user, p, reason="GPS 信号差")
    row = next(r for r in services.compliance(2026, 11) if r.chief == water.chief)
    assert (row.patrols, row.compliant) == (0, False)


def test_who_may_cancel(water, make_user, chief_user2, api_client):
    p = services.start_patrol(water.chief_user, reach=water.reach)
    other = services.appoint_chief(None, person=chief_user2.person, level=ChiefLevel.STREET)
    assert other.active
    # Another chief of the same street reads it (area) but may not cancel it.
    r = api_client.as_user(chief_user2).post(f"water/patrols/{p.pk}/cancel", {"reason": "x"})
    assert r.status_code in (403, 404)
    assert api_client.as_user(make_user("district_leader")).post(f"water/patrols/{p.pk}/cancel", {"reason": "x"}).status_code == 403
    r = api_client.as_user(make_user("ops_shift_leader")).post(f"water/patrols/{p.pk}/cancel", {"reason": "河长手机丢失，代为放弃"})
    assert r.status_code == 200


# ---------------------------------------------------------------- pages

@pytest.fixture
def ops_client(client, ops):
    client.force_login(ops)
    return client


def test_chiefs_page_lists_by_level_with_forms_for_ops(water, ops_client, client, make_user):
    r = ops_client.get("/water/chiefs/")
    html = r.content.decode()
    assert r.status_code == 200
    assert "街道（乡镇）级" in html and water.chief_user.person.name in html and "北川河第1街道段" in html
    assert "/water/compliance/" in html and f"/water/patrols/?chief={water.chief.pk}" in html
    assert 'name="form" value="appoint"' in html and 'name="form" value="reach"' in html
    client.force_login(make_user("district_leader"))
    html = client.get("/water/chiefs/").content.decode()
    assert water.chief_user.person.name in html and 'name="form"' not in html


def test_chiefs_page_posts(water, ops_client, chief_user2):
    r = ops_client.post("/water/chiefs/", {"form": "appoint", "person": chief_user2.person.pk, "level": "street", "title": "副河长"}, follow=True)
    assert "已任命" in r.content.decode()
    new = RiverChief.objects.get(person=chief_user2.person)
    r = ops_client.post("/water/chiefs/", {"form": "appoint", "person": chief_user2.person.pk, "level": "street"}, follow=True)
    assert "已是在任" in r.content.decode()
    r = ops_client.post("/water/chiefs/", {"form": "reach", "code": "R01-S9", "name": "北川河试验段", "water_body": "R01", "level": "street",
                                           "chief": new.pk, "street": "630109001"}, follow=True)
    assert "已登记河段" in r.content.decode() and Reach.objects.get(code="R01-S9").chief == new
    r = ops_client.post("/water/reaches/R01-S9/", {"name": "北川河试验段（改）", "level": "street", "chief": "", "street": "630109001",
                                                   "community": "", "geometry": ""}, follow=True)
    assert r.status_code == 200 and Reach.objects.get(code="R01-S9").chief is None
    r = ops_client.post("/water/chiefs/", {"form": "end", "chief": water.chief.pk, "successor": new.pk}, follow=True)
    assert "任职已结束" in r.content.decode()
    assert Reach.objects.get(code="R01-S1").chief == new


def test_water_body_page(water, ops_client, client, make_user):
    html = ops_client.get("/water/bodies/").content.decode()
    assert "北川河" in html and 'name="code"' in html
    r = ops_client.post("/water/bodies/", {"code": "R05", "name": "沙塘川", "kind": "river", "geometry": "", "description": ""}, follow=True)
    assert WaterBody.objects.filter(code="R05").exists() and "沙塘川" in r.content.decode()
    r = ops_client.post("/water/bodies/", {"code": "R05", "name": "重复", "kind": "river"}, follow=True)
    assert "已存在" in r.content.decode()
    client.force_login(make_user("auditor"))
    html = client.get("/water/bodies/").content.decode()
    assert "北川河" in html and 'name="code"' not in html


def test_site_edit_forms(water, ops_client, client, units):
    html = ops_client.get("/water/sections/WQ01/").content.decode()
    assert 'name="target_class"' in html
    r = ops_client.post("/water/sections/WQ01/", {"name": "北川河桥断面", "target_class": "2", "chief": str(water.chief.pk), "reach": "R01-S1",
                                                  "active": "1"}, follow=True)
    assert r.status_code == 200 and Section.objects.get(code="WQ01").target_class == 2
    html = ops_client.get("/water/outfalls/PK01/").content.decode()
    assert 'name="unit"' in html and 'name="form" value="camera"' in html
    r = ops_client.post("/water/outfalls/PK01/", {"form": "site", "name": "二号雨水排口", "kind": "rain", "unit": "D01", "reach": "", "active": "1"}, follow=True)
    assert "已保存" in r.content.decode()
    r = ops_client.post("/water/outfalls/PK01/", {"form": "camera", "code": "CAM-A", "name": "排口摄像机", "account": ""}, follow=True)
    assert Camera.objects.get(code="CAM-A").outfall == water.outfall
    r = ops_client.post("/water/outfalls/PK01/", {"form": "camera_edit", "code": "CAM-A", "account": "", "active": ""}, follow=True)
    assert Camera.objects.get(code="CAM-A").active is False
    # An inactive outfall is only hidden from the map, not its page; the form keeps its values on error.
    r = ops_client.post("/water/sections/WQ01/", {"name": "", "target_class": "2", "chief": "", "reach": "", "active": "1"}, follow=True)
    assert "不能为空" in r.content.decode()
    client.force_login(water.chief_user)
    html = client.get("/water/sections/WQ01/").content.decode()
    assert 'name="target_class"' not in html
    assert client.post("/water/sections/WQ01/", {"name": "x", "target_class": "1"}).status_code == 403
    assert Section.objects.get(code="WQ01").name == "北川河桥断面"


def test_escalation_deadline_that_is_no_date(water, feed, ops_client):
    from chengyun.water.models import Alert

    feed(water.device, dt.datetime(2026, 11, 20, 8, tzinfo=CN), {"w01018": 35.0})
    alert = Alert.objects.get()
    r = ops_client.post(f"/water/alerts/{alert.pk}/", {"action": "to_task", "lead_unit": "D01", "deadline": "2030-02-30"}, follow=True)
    assert r.status_code == 200
    assert "不是有效日期" in r.content.decode()
    alert.refresh_from_db()
    assert alert.task_id is None
    r = ops_client.post("/water/rain/", {"date": "2026-13-01", "rained": "1"}, follow=True)
    assert r.status_code == 200 and "不是有效日期" in r.content.decode()


def test_mobile_page_offers_cancel(water, client):
    client.force_login(water.chief_user)
    services.start_patrol(water.chief_user, reach=water.reach)
    html = client.get("/water/patrols/new/").content.decode()
    assert 'id="cancel"' in html and "放弃本次巡河" in html


def test_a_form_and_the_api_name_an_unknown_chief_alike(water, ops_client, api_client, ops):
    """Forms and API bodies read the records they name through one helper (people.lookup.referenced)."""
    r = ops_client.post("/water/chiefs/", {"form": "end", "chief": water.chief.pk, "successor": "999999"}, follow=True)
    assert "河湖长 999999 不存在" in r.content.decode() and RiverChief.objects.get(pk=water.chief.pk).active
    r = ops_client.post("/water/chiefs/", {"form": "renew", "chief": "abc"}, follow=True)
    assert r.status_code == 200 and "河湖长 abc 不存在" in r.content.decode()
    r = api_client.as_user(ops).patch(f"water/chiefs/{water.chief.pk}", {"active": False, "successor_id": 999999})
    assert r.status_code == 422
    assert r.json() == {"code": "unknown_chief", "message": "河湖长 999999 不存在", "detail": {"field": "successor_id"}}
