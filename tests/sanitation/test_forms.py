"""The pages' forms for the writes that were API-only (issue 13 §2): each one stores through the
service on success, re-renders naming the field on bad input (nothing stored), and is neither
offered to nor accepted from a role that may not use it."""
import datetime as dt
import re

import numpy as np
import pytest

from chengyun.people import roles as R
from chengyun.sanitation import services
from chengyun.sanitation.models import DemoStreet, MonthlyScore, ScoreItem, SweepPlan, Vehicle

pytestmark = pytest.mark.django_db
KX = 111_320.0 * np.cos(np.radians(36.505))


@pytest.fixture
def roads(units):
    from chengyun.geo.importers import RawFeature
    from chengyun.roads import services as road_services
    from chengyun.roads.models import RoadSegment

    feats = [RawFeature(1, {"code": "R1", "name": "一号路", "class": "主干路"}, {"type": "LineString", "coordinates": [[101.702, 36.505], [101.702 + 600 / KX, 36.505]]}),
             RawFeature(2, {"code": "R2", "name": "二号路", "class": "支路"}, {"type": "LineString", "coordinates": [[101.722, 36.505], [101.722 + 600 / KX, 36.505]]})]
    assert road_services.import_segments(feats, owner_code="D01").ok
    services.ensure_plans()
    return {s.code: s for s in RoadSegment.objects.all()}


@pytest.fixture
def sheet(db):
    services.set_score_item(None, code="road", name="路面保洁", max_score=60, order=1)
    services.set_score_item(None, code="shops", name="门前三包", max_score=40, order=2)


@pytest.fixture
def demo(roads, sheet):
    return services.create_demo_street(None, code="SF1", name="一号路示范街", street=roads["R1"].street.code, segments=["R1"],
                                       since=dt.date(2026, 1, 1), unit="S01", shops=12)


def _err(resp) -> tuple[str, str]:
    """The refusal the page shows: (field, text)."""
    html = resp.content.decode()
    m = re.search(r'id="form-error" data-field="([^"]*)"[^>]*>(.*?)</p>', html, re.S)
    assert m, html[:2000]
    return m.group(1), re.sub(r"<[^>]+>", "", m.group(2))


def _invalid(resp, field: str) -> None:
    assert re.search(rf'name="{re.escape(field)}"[^>]*aria-invalid="true"', resp.content.decode()), field


# ---------------------------------------------------------------- vehicles


def test_a_unit_registers_and_edits_its_vehicle(client, make_user, roads):
    user = make_user(R.DEPT_HANDLER, unit="D02")
    client.force_login(user)
    assert 'id="new-vehicle"' in client.get("/sanitation/tracks/").content.decode()
    resp = client.post("/sanitation/vehicles/new/", {"code": "SV9", "plate": "青A·H0009", "unit": "D02", "kind": "sweeper",
                                                     "street": roads["R1"].street.code})
    assert resp.status_code == 302 and resp["Location"] == "/sanitation/vehicles/SV9/"
    v = Vehicle.objects.get(code="SV9")
    assert (v.plate, v.kind, v.unit.code, v.street_id) == ("青A·H0009", "sweeper", "D02", roads["R1"].street_id)
    resp = client.post("/sanitation/vehicles/SV9/", {"plate": "青A·H0010", "kind": "washer", "street": ""})
    assert resp.status_code == 302
    v.refresh_from_db()
    assert (v.plate, v.kind, v.street_id, v.active) == ("青A·H0010", "washer", None, False)  # the box unticked: out of use


def test_a_bad_vehicle_is_refused_naming_the_field(client, make_user, roads):
    client.force_login(make_user(R.DEPT_HANDLER, unit="D02"))
    resp = client.post("/sanitation/vehicles/new/", {"code": "坏 编号", "plate": "青A·H0009", "unit": "D02", "kind": "sweeper"})
    assert resp.status_code == 422
    field, text = _err(resp)
    assert field == "code" and "车载终端编号" in text and "编号" in text
    _invalid(resp, "code")
    assert 'value="青A·H0009"' in resp.content.decode()  # what was typed stays
    assert not Vehicle.objects.exists()
    # "new" would be a vehicle whose page is the registration form.
    resp = client.post("/sanitation/vehicles/new/", {"code": "NEW", "plate": "青A·H0009", "unit": "D02", "kind": "sweeper"})
    assert resp.status_code == 422 and _err(resp)[0] == "code"
    assert not Vehicle.objects.exists()


def test_a_bad_vehicle_edit_is_refused_naming_the_field(client, make_user, roads):
    services.create_vehicle(None, code="SV1", plate="青A·H0001", unit="D02")
    client.force_login(make_user(R.DEPT_HANDLER, unit="D02"))
    resp = client.post("/sanitation/vehicles/SV1/", {"plate": "青A·H0002", "kind": "tank", "street": "", "active": "on"})
    assert resp.status_code == 422
    field, text = _err(resp)
    assert field == "kind" and text.startswith("车型") and "tank" in text
    _invalid(resp, "kind")
    resp = client.post("/sanitation/vehicles/SV1/", {"plate": "", "kind": "sweeper", "active": "on"})
    assert _err(resp)[0] == "plate"
    v = Vehicle.objects.get(code="SV1")
    assert (v.plate, v.kind) == ("青A·H0001", "wash_sweeper")


def test_a_role_that_may_not_register_vehicles_sees_no_button_and_is_refused(client, make_user, roads):
    client.force_login(make_user(R.DISTRICT_LEADER))
    assert 'id="new-vehicle"' not in client.get("/sanitation/tracks/").content.decode()
    assert client.post("/sanitation/vehicles/new/", {"code": "SV9", "plate": "P", "unit": "D02"}).status_code == 403
    v = services.create_vehicle(None, code="SV1", plate="青A·H0001", unit="D02")
    page = client.get("/sanitation/vehicles/SV1/")
    assert page.status_code == 200 and 'id="vehicle-form"' not in page.content.decode()
    assert client.post("/sanitation/vehicles/SV1/", {"plate": "X", "kind": "sweeper"}).status_code == 403
    v.refresh_from_db()
    assert v.plate == "青A·H0001" and not Vehicle.objects.filter(code="SV9").exists()


# ---------------------------------------------------------------- the plan


def test_a_handler_adjusts_a_segments_grade_and_passes(client, make_user, roads):
    user = make_user(R.DEPT_HANDLER, unit="D01", streets=[roads["R1"].street.code])
    client.force_login(user)
    listing = client.get("/sanitation/plans/").content.decode()
    assert "/sanitation/plans/R1/" in listing and "/sanitation/plans/R2/" not in listing  # R2 lies in the other street
    resp = client.post("/sanitation/plans/R1/", {"grade": "2", "passes_per_day": "3"})
    assert resp.status_code == 302
    p = SweepPlan.objects.get(segment__code="R1")
    assert (p.grade, p.passes_per_day) == (2, 3)
    assert client.post("/sanitation/plans/R1/", {"grade": "3", "passes_per_day": ""}).status_code == 302
    p.refresh_from_db()
    assert (p.grade, p.passes_per_day) == (3, 1)  # blank passes: the grade's default


def test_a_bad_plan_is_refused_naming_the_field(client, make_user, roads):
    client.force_login(make_user(R.DEPT_HANDLER, unit="D01", streets=[roads["R1"].street.code]))
    resp = client.post("/sanitation/plans/R1/", {"grade": "1", "passes_per_day": "20"})
    assert resp.status_code == 422
    field, text = _err(resp)
    assert field == "passes_per_day" and "计划机扫遍数" in text and "0-12" in text
    _invalid(resp, "passes_per_day")
    resp = client.post("/sanitation/plans/R1/", {"grade": "1", "passes_per_day": "两遍"})
    assert _err(resp)[0] == "passes_per_day" and resp.status_code == 422
    assert SweepPlan.objects.get(segment__code="R1").passes_per_day == 2


def test_a_role_that_may_not_plan_sees_no_form_and_is_refused(client, make_user, roads):
    client.force_login(make_user(R.OPS_DISPATCHER))
    assert "/sanitation/plans/R1/" not in client.get("/sanitation/plans/").content.decode()
    assert 'id="plan-form"' not in client.get("/sanitation/plans/R1/").content.decode()
    assert client.post("/sanitation/plans/R1/", {"grade": "3", "passes_per_day": "0"}).status_code == 403
    assert SweepPlan.objects.get(segment__code="R1").grade == 1


# ---------------------------------------------------------------- the score sheet


def test_the_administrator_adds_and_edits_score_items(client, make_user, sheet):
    client.force_login(make_user(R.SYSADMIN))
    assert client.post("/sanitation/score-items/", {"code": "green", "name": "绿化带保洁", "max_score": "10", "order": "3", "active": "on"}).status_code == 302
    assert ScoreItem.objects.get(code="green").max_score == 10
    form = client.get("/sanitation/score-items/?code=shops").content.decode()
    assert 'value="门前三包"' in form
    assert client.post("/sanitation/score-items/", {"code": "shops", "name": "门前三包", "max_score": "30", "order": "2"}).status_code == 302
    shops = ScoreItem.objects.get(code="shops")
    assert (shops.max_score, shops.active) == (30, False)


def test_a_bad_score_item_is_refused_naming_the_field(client, make_user, sheet):
    client.force_login(make_user(R.SYSADMIN))
    resp = client.post("/sanitation/score-items/", {"code": "green", "name": "绿化带保洁", "max_score": "150", "active": "on"})
    assert resp.status_code == 422
    field, text = _err(resp)
    assert field == "max_score" and text.startswith("分值") and "1-100" in text
    _invalid(resp, "max_score")
    assert not ScoreItem.objects.filter(code="green").exists()


def test_only_the_administrator_keeps_the_sheet(client, make_user, sheet):
    client.force_login(make_user(R.OPS_SHIFT_LEADER))
    assert 'id="item-form"' not in client.get("/sanitation/score-items/").content.decode()
    assert client.post("/sanitation/score-items/", {"code": "road", "name": "路面", "max_score": "5"}).status_code == 403
    assert ScoreItem.objects.get(code="road").max_score == 60


# ---------------------------------------------------------------- 示范街


def test_a_street_chief_creates_a_demo_street(client, make_user, roads, sheet):
    street = roads["R1"].street.code
    client.force_login(make_user(R.STREET_CHIEF, streets=[street]))
    assert 'id="new-demo-street"' in client.get("/sanitation/demo-streets/").content.decode()
    resp = client.post("/sanitation/demo-streets/new/", {"code": "SF9", "name": "一号路示范街", "street": street, "more_segments": "R1",
                                                         "since": "2026-03-01", "unit": "", "shops": "8"})
    assert resp.status_code == 302 and resp["Location"] == "/sanitation/demo-streets/SF9/"
    d = DemoStreet.objects.get(code="SF9")
    assert [s.code for s in d.segments.all()] == ["R1"] and d.shops == 8 and d.status == "creating"


def test_a_bad_demo_street_is_refused_naming_the_field(client, make_user, roads, sheet):
    street = roads["R1"].street.code
    client.force_login(make_user(R.STREET_CHIEF, streets=[street]))
    resp = client.post("/sanitation/demo-streets/new/", {"code": "SF9", "name": "示范街", "street": street, "more_segments": "R1，R404",
                                                         "since": "2026-03-01"})
    assert resp.status_code == 422
    field, text = _err(resp)
    assert field == "segments" and text.startswith("路段") and "R404" in text
    _invalid(resp, "more_segments")
    resp = client.post("/sanitation/demo-streets/new/", {"code": "SF9", "name": "示范街", "street": street, "more_segments": "R1", "since": "三月"})
    assert _err(resp)[0] == "since"
    assert not DemoStreet.objects.exists()


def test_a_role_that_may_not_create_demo_streets_is_refused(client, make_user, roads, sheet):
    client.force_login(make_user(R.OPS_DISPATCHER))
    assert 'id="new-demo-street"' not in client.get("/sanitation/demo-streets/").content.decode()
    resp = client.post("/sanitation/demo-streets/new/", {"code": "SF9", "name": "示范街", "street": roads["R1"].street.code,
                                                         "more_segments": "R1", "since": "2026-03-01"})
    assert resp.status_code == 403 and not DemoStreet.objects.exists()


def test_the_keeper_names_and_then_revokes_a_demo_street(client, make_user, demo):
    client.force_login(make_user(R.STREET_CHIEF, streets=[demo.street.code]))
    page = client.get("/sanitation/demo-streets/SF1/").content.decode()
    assert 'name="status" value="named"' in page and 'name="status" value="revoked"' in page
    assert client.post("/sanitation/demo-streets/SF1/", {"form": "status", "status": "named"}).status_code == 302
    demo.refresh_from_db()
    assert demo.status == "named"
    page = client.get("/sanitation/demo-streets/SF1/").content.decode()
    assert 'value="named"' not in page and 'value="revoked"' in page
    # A move the table does not allow is refused, naming the status.
    resp = client.post("/sanitation/demo-streets/SF1/", {"form": "status", "status": "creating"})
    field, text = _err(resp)
    assert resp.status_code == 409 and field == "status" and text.startswith("状态") and "已命名" in text
    assert client.post("/sanitation/demo-streets/SF1/", {"form": "status", "status": "revoked"}).status_code == 302
    demo.refresh_from_db()
    assert demo.status == "revoked"


def test_a_role_that_may_not_name_sees_no_buttons_and_is_refused(client, make_user, demo):
    client.force_login(make_user(R.OPS_DISPATCHER))
    assert 'id="status-actions"' not in client.get("/sanitation/demo-streets/SF1/").content.decode()
    assert client.post("/sanitation/demo-streets/SF1/", {"form": "status", "status": "named"}).status_code == 403
    demo.refresh_from_db()
    assert demo.status == "creating"


def test_the_ops_centre_enters_a_months_score(client, make_user, demo):
    client.force_login(make_user(R.OPS_DISPATCHER))
    page = client.get("/sanitation/demo-streets/SF1/").content.decode()
    assert 'id="score-form"' in page
    month = (dt.date.today().replace(day=1) - dt.timedelta(days=1)).strftime("%Y-%m")
    resp = client.post("/sanitation/demo-streets/SF1/", {"form": "score", "month": month, "item_road": "57", "item_shops": "36", "scored_by": "考核组"})
    assert resp.status_code == 302
    s = MonthlyScore.objects.get(demo_street=demo)
    assert (s.month.strftime("%Y-%m"), s.total, s.passed, s.items) == (month, 93.0, True, {"road": 57.0, "shops": 36.0})


def test_a_score_above_an_items_maximum_is_refused_naming_the_item(client, make_user, demo):
    client.force_login(make_user(R.OPS_DISPATCHER))
    month = dt.date.today().strftime("%Y-%m")
    resp = client.post("/sanitation/demo-streets/SF1/", {"form": "score", "month": month, "item_road": "57", "item_shops": "45"})
    assert resp.status_code == 422
    field, text = _err(resp)
    assert field == "items.shops" and text.startswith("门前三包") and "40" in text
    _invalid(resp, "item_shops")
    assert 'value="57"' in resp.content.decode()
    resp = client.post("/sanitation/demo-streets/SF1/", {"form": "score", "month": month, "item_road": "57", "item_shops": ""})
    assert _err(resp)[0] == "items.shops"
    assert not MonthlyScore.objects.exists()


def test_the_keepers_of_a_demo_street_do_not_score_it(client, make_user, demo):
    client.force_login(make_user(R.STREET_CHIEF, streets=[demo.street.code]))
    assert 'id="score-form"' not in client.get("/sanitation/demo-streets/SF1/").content.decode()
    resp = client.post("/sanitation/demo-streets/SF1/", {"form": "score", "month": dt.date.today().strftime("%Y-%m"), "item_road": "50", "item_shops": "30"})
    assert resp.status_code == 403 and not MonthlyScore.objects.exists()


def test_the_forms_read_in_chinese_and_in_english(client, make_user, demo):
    from chengyun.core.i18n_check import english_words

    services.create_vehicle(None, code="SV1", plate="青A·H0001", unit="D02")
    client.force_login(make_user(R.SYSADMIN))
    urls = ("/sanitation/vehicles/new/", "/sanitation/vehicles/SV1/", "/sanitation/plans/", "/sanitation/plans/R1/", "/sanitation/score-items/",
            "/sanitation/demo-streets/new/", "/sanitation/demo-streets/SF1/", "/sanitation/tracks/", "/sanitation/demo-streets/")
    for url in urls:
        resp = client.get(url, HTTP_ACCEPT_LANGUAGE="zh-hans")
        assert resp.status_code == 200, url
        assert english_words(resp.content.decode()) == set(), url
    resp = client.post("/sanitation/plans/R1/", {"grade": "1", "passes_per_day": "20"}, HTTP_ACCEPT_LANGUAGE="en")
    assert resp.status_code == 422 and _err(resp)[1].startswith("Planned passes per day")  # the field named in English
    assert "Adjust sweeping plan" in client.get("/sanitation/plans/R1/", HTTP_ACCEPT_LANGUAGE="en").content.decode()


# ---------------------------------------------------------------- inspections and the track import (core pageforms)


def _core_error(resp) -> str:
    """The message at the form (core/_form_error.html), tags removed."""
    html = resp.content.decode()
    m = re.search(r'<p class="error" role="alert" data-field="[^"]*">(.*?)</p>', html, re.S)
    assert m, html[:2000]
    return m.group(1)


def _inspection(**extra):
    day = (dt.date.today() - dt.timedelta(days=1)).isoformat()
    return {"segment": "R1", "inspected_on": day, "inspector": "王街长", "sensory": "95", "litter": "3", "stain": "0",
            "cleanliness": "98", "dust": "", "note": "早班后抽查", **extra}


def test_a_refused_inspection_keeps_what_was_typed_and_names_the_field(client, make_user, roads):
    from chengyun.sanitation.models import Inspection

    chief = make_user(R.STREET_CHIEF, streets=[roads["R1"].street.code])
    client.force_login(chief)
    r = client.post("/sanitation/inspections/", _inspection(cleanliness="120"))
    html = r.content.decode()
    assert r.status_code == 422 and "<strong>清洁度（%）</strong>" in _core_error(r)
    _invalid(r, "cleanliness")
    assert 'value="120"' in html and 'value="王街长"' in html and 'value="早班后抽查"' in html and 'name="sensory" inputmode="decimal" required value="95"' in html
    assert "<details open>" in html and not Inspection.objects.exists()
    r = client.post("/sanitation/inspections/", _inspection(inspected_on="2099-01-01"))
    assert r.status_code == 422 and "<strong>检查日期</strong>" in _core_error(r) and 'value="2099-01-01"' in r.content.decode()
    _invalid(r, "inspected_on")
    r = client.post("/sanitation/inspections/", _inspection(segment="R9"))
    assert r.status_code == 422 and "<strong>路段编号</strong>" in _core_error(r) and 'value="R9"' in r.content.decode()
    assert not Inspection.objects.exists()
    r = client.post("/sanitation/inspections/", _inspection())
    assert r.status_code == 302 and Inspection.objects.count() == 1


def test_a_refused_track_import_keeps_the_vehicle_and_names_the_file(client, make_user, roads):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from chengyun.sanitation.models import Track

    services.create_vehicle(None, code="SV1", plate="青A·H0001", unit="D02", street=roads["R1"].street.code, feed_password="pw")
    services.create_vehicle(None, code="SV2", plate="青A·H0002", unit="D02", street=roads["R1"].street.code, feed_password="pw")
    client.force_login(make_user(R.DEPT_HANDLER, unit="D02"))
    bad = "time,lng,lat\n2026-01-01T06:00:00,101.70,36.50\nnot a time,101.7,36.5\n"
    r = client.post("/sanitation/tracks/import/", {"vehicle": "SV2", "file": SimpleUploadedFile("t.csv", bad.encode())})
    html = r.content.decode()
    assert r.status_code == 422 and "<strong>轨迹文件（CSV 或 JSON）</strong>" in _core_error(r) and "第 3 行" in _core_error(r)
    _invalid(r, "file")
    assert '<option value="SV2" selected>' in html and '<option value="SV1">' in html
    r = client.post("/sanitation/tracks/import/", {"vehicle": "SV2"})
    assert r.status_code == 422 and "<strong>轨迹文件（CSV 或 JSON）</strong>" in _core_error(r) and '<option value="SV2" selected>' in r.content.decode()
    assert not Track.objects.exists()
