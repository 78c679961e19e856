"""The pages that write: a segment's chief and team, the frequency rules, zones (drawn or a radius
around a gate), a street policy, a permit application, acting on a permit. Each: success through
the same service as the API, a refusal re-rendered (422) naming the field with nothing stored, and
a role that may not (403, and no button leading there)."""
import datetime as dt
import json

import pytest
from streets_support import Y, page_client as _client, refused as _refused

from chengyun.core.i18n_check import english_words

pytestmark = pytest.mark.django_db


def rect(x0, x1, y0, y1):
    return {"type": "Polygon", "coordinates": [[[x0, y0], [x1, y0], [x1, y1], [x0, y1], [x0, y0]]]}


# ---------------------------------------------------------------- segment chief and team


def test_assign_chief_and_team(streets, make_user):
    from chengyun.streets.models import SegmentAssignment

    new_chief = make_user("street_chief", unit="S01", streets=["630109001"])
    c = _client(streets.chief1)
    page = c.get("/streets/segments/assign/?segment=RDA")
    assert page.status_code == 200 and new_chief.person.name in page.content.decode()
    assert english_words(page.content.decode()) == set()
    today = dt.date.today()
    r = c.post("/streets/segments/assign/", {"segment": "RDA", "chief": new_chief.person.pk, "team": "S01", "valid_from": today.isoformat(), "note": "换岗"})
    assert r.status_code == 302, r.content.decode()[:500]
    now = SegmentAssignment.objects.get(segment__code="RDA", valid_to__isnull=True)
    assert now.chief_id == new_chief.person.pk and now.team.code == "S01" and now.valid_from == today
    before = SegmentAssignment.objects.get(segment__code="RDA", chief=streets.chief1.person)
    assert before.valid_to == today - dt.timedelta(days=1)


def test_assign_refusal_names_the_chief(streets):
    from chengyun.streets.models import SegmentAssignment

    n = SegmentAssignment.objects.count()
    r = _client(streets.chief1).post("/streets/segments/assign/", {"segment": "RDA", "chief": streets.worker1.person.pk, "valid_from": dt.date.today().isoformat()})
    body = _refused(r, "chief", "街长")
    assert "不是在岗的街长" in body
    assert SegmentAssignment.objects.count() == n
    r = _client(streets.chief1).post("/streets/segments/assign/", {"segment": "RDA", "chief": streets.chief1.person.pk, "valid_from": "2019-01-01"})
    _refused(r, "valid_from", "起始日期")


def test_assign_not_for_a_grid_worker_nor_another_street(streets):
    worker = _client(streets.worker1)
    assert worker.get("/streets/segments/assign/").status_code == 403
    assert worker.post("/streets/segments/assign/", {"segment": "RDA", "chief": streets.chief1.person.pk}).status_code == 403
    page = worker.get("/streets/segments/").content.decode()
    assert "/streets/segments/assign/" not in page
    assert "/streets/segments/assign/" in _client(streets.chief1).get("/streets/segments/").content.decode()
    # The chief of street 2 may use the page, but not for a segment of street 1.
    r = _client(streets.chief2).post("/streets/segments/assign/", {"segment": "RDA", "chief": streets.chief2.person.pk, "valid_from": dt.date.today().isoformat()})
    assert r.status_code == 403


# ---------------------------------------------------------------- frequency rules


def test_rules_set_by_the_ops_center(streets):
    from chengyun.streets.models import PatrolRule

    c = _client(streets.ops)
    page = c.get("/streets/rules/")
    assert page.status_code == 200 and english_words(page.content.decode()) == set()
    r = c.post("/streets/rules/", {"kind": "leader", "period": "month", "min_patrols": "4", "min_share": "60", "effective_from": "2026-01-05"})
    assert r.status_code == 302
    rule = PatrolRule.objects.order_by("-id").first()
    assert (rule.kind, rule.period, rule.min_patrols, rule.min_share, rule.effective_from) == ("leader", "month", 4, 0.6, dt.date(2026, 1, 5))


def test_rules_refusal_names_the_field(streets):
    from chengyun.streets.models import PatrolRule

    n = PatrolRule.objects.count()
    c = _client(streets.ops)
    _refused(c.post("/streets/rules/", {"kind": "leader", "period": "week", "min_patrols": "2", "min_share": "0", "effective_from": "2026-01-05"}),
             "min_share", "一次算走过的最小覆盖比例")
    _refused(c.post("/streets/rules/", {"kind": "leader", "period": "week", "min_patrols": "两次", "min_share": "0.5", "effective_from": "2026-01-05"}),
             "min_patrols", "每个路段最少次数")
    _refused(c.post("/streets/rules/", {"kind": "leader", "period": "year", "min_patrols": "2", "min_share": "0.5", "effective_from": "2026-01-05"}),
             "period", "周期")
    assert PatrolRule.objects.count() == n


def test_rules_not_for_a_street_chief(streets):
    c = _client(streets.chief1)
    assert c.get("/streets/rules/").status_code == 403
    assert c.post("/streets/rules/", {"kind": "leader", "period": "week", "min_patrols": "9", "min_share": "0.5", "effective_from": "2026-01-05"}).status_code == 403
    assert "/streets/rules/" not in c.get("/streets/").content.decode()
    assert "/streets/rules/" in _client(streets.ops).get("/streets/").content.decode()


# ---------------------------------------------------------------- zones


def test_zone_drawn_and_around_a_gate(streets, night):
    from shapely.geometry import Point

    from chengyun.streets.models import NightZone

    c = _client(streets.ops)
    page = c.get("/streets/night/zones/new/")
    assert page.status_code == 200 and english_words(page.content.decode()) == set()
    drawn = rect(101.706, 101.707, Y - 0.0003, Y + 0.0003)
    r = c.post("/streets/night/zones/new/", {"code": "Z9", "name": "医院门前", "kind": "controlled", "shape": "drawn", "geometry": json.dumps(drawn)})
    assert r.status_code == 302
    z = NightZone.objects.get(code="Z9")
    assert json.loads(z.geometry) == drawn and z.kind == "controlled" and z.street is not None
    r = c.post("/streets/night/zones/new/", {"code": "Z10", "name": "二小校门", "kind": "forbidden", "shape": "circle", "lng": "101.71", "lat": str(Y),
                                            "radius_m": "100", "reason": "校门口 100 米"})
    assert r.status_code == 302
    gate = NightZone.objects.get(code="Z10").shape
    assert gate.covers(Point(101.71 + 90 / 89_500, Y)) and not gate.covers(Point(101.71 + 110 / 89_500, Y))


def test_zone_refusals_name_the_field(streets, night):
    from chengyun.streets.models import NightZone

    n = NightZone.objects.count()
    c = _client(streets.ops)
    body = _refused(c.post("/streets/night/zones/new/", {"code": "X1", "name": "重复", "kind": "forbidden", "shape": "drawn",
                                                        "geometry": json.dumps(rect(101.706, 101.707, Y, Y + 0.001))}), "code", "编号")
    assert "已存在" in body
    body = _refused(c.post("/streets/night/zones/new/", {"code": "Z2", "name": "没画", "kind": "forbidden", "shape": "drawn", "geometry": ""}),
                    "geometry", "地图上的范围")
    assert "医院" not in body and 'name="name" maxlength="100" required value="没画"' in body  # what was typed is kept
    _refused(c.post("/streets/night/zones/new/", {"code": "Z3", "name": "太大", "kind": "forbidden", "shape": "circle", "lng": "101.71", "lat": str(Y),
                                                 "radius_m": "9000"}), "radius_m", "半径（米）")
    assert NightZone.objects.count() == n


def test_zone_and_policy_not_for_a_street_chief(streets, night):
    c = _client(streets.chief1)
    assert c.get("/streets/night/zones/new/").status_code == 403
    assert c.get("/streets/night/policies/new/").status_code == 403
    assert c.post("/streets/night/zones/new/", {"code": "Z4", "name": "x", "kind": "open", "geometry": json.dumps(rect(101.7, 101.701, Y, Y + 0.001))}).status_code == 403
    page = c.get("/streets/night/").content.decode()
    assert "/streets/night/zones/new/" not in page and "/streets/night/policies/new/" not in page
    assert "/streets/night/permits/new/" in page
    desk = _client(streets.ops).get("/streets/night/").content.decode()
    assert "/streets/night/zones/new/" in desk and "/streets/night/policies/new/" in desk


# ---------------------------------------------------------------- street policy (一街一策)


def _policy_post(**over):
    data = {"code": "GL1", "name": "古楼夜市", "kind": "tourist", "geometry": json.dumps(rect(101.714, 101.72, Y - 0.0005, Y + 0.0005)),
            "season_start": "05-01", "season_end": "10-07", "tourist_start": "2026-07-01", "tourist_end": "2026-08-31", "noise_class": "2",
            "min_passage_m": "2.5", "tactile_buffer_m": "0.5", "max_depth_m": "2", "publicity_days": "5", "strikes_to_revoke": "2",
            "w_activity": ["night_market", "night_market", ""], "w_day_type": ["regular", "tourist", "regular"],
            "w_start": ["18:00", "18:00", ""], "w_end": ["22:00", "02:00", ""]}
    data.update(over)
    return data


def test_policy_made_with_its_windows(streets, night):
    from chengyun.streets.models import NightPolicy

    c = _client(streets.ops)
    page = c.get("/streets/night/policies/new/")
    assert page.status_code == 200 and english_words(page.content.decode()) == set()
    assert c.post("/streets/night/policies/new/", _policy_post()).status_code == 302
    p = NightPolicy.objects.get(code="GL1")
    assert (p.season_start, p.season_end, p.tourist_end, p.min_passage_m, p.strikes_to_revoke) == ("05-01", "10-07", dt.date(2026, 8, 31), 2.5, 2)
    assert sorted((w.day_type, w.label) for w in p.windows.all()) == [("regular", "18:00–22:00"), ("tourist", "18:00–02:00")]


def test_policy_refusals_name_the_field(streets, night):
    from chengyun.streets.models import NightPolicy

    c = _client(streets.ops)
    n = NightPolicy.objects.count()
    body = _refused(c.post("/streets/night/policies/new/", _policy_post(w_end=["25:00", "02:00", ""])), "windows", "经营时段")
    assert "第 1 个时段" in body and 'value="25:00"' in body
    _refused(c.post("/streets/night/policies/new/", _policy_post(season_end="13-40")), "season_end", "经营季结束")
    _refused(c.post("/streets/night/policies/new/", _policy_post(tourist_end="")), "tourist_end", "旅游旺季结束")
    assert NightPolicy.objects.count() == n


# ---------------------------------------------------------------- permits


@pytest.fixture
def shop(night):
    from chengyun.streets.services import permits

    return permits.create_shop(None, code="SH1", name="马记牛肉面", lng=101.709, lat=Y + 0.0002, policy_obj=night.bd)


SPOT = rect(101.709, 101.70906, Y + 0.0002, Y + 0.00022)


def _permit_post(**over):
    data = {"shop": "SH1", "policy": "BD1", "season": "2026", "area_m2": "12", "tables": "3", "depth_m": "2.5", "passage_m": "2.5",
            "tactile_m": "", "geometry": json.dumps(SPOT), "note": ""}
    data.update(over)
    return data


def test_permit_application(streets, shop):
    from chengyun.streets.models import Permit

    c = _client(streets.chief1)
    page = c.get("/streets/night/permits/new/")
    assert page.status_code == 200 and "马记牛肉面" in page.content.decode() and english_words(page.content.decode()) == set()
    r = c.post("/streets/night/permits/new/", _permit_post())
    assert r.status_code == 302
    p = Permit.objects.get()
    assert r["Location"] == f"/streets/night/permits/{p.number}/"
    assert (p.state, p.tables, p.season, p.passage_m) == ("applied", 3, 2026, 2.5)


def test_permit_refusals_name_the_field(streets, shop, night):
    from chengyun.streets.models import Permit

    c = _client(streets.chief1)
    body = _refused(c.post("/streets/night/permits/new/", _permit_post(passage_m="1.2")), "passage_m", "保留人行通道（米）")
    assert "2.0 米" in body
    gate = rect(101.7039, 101.7041, Y, Y + 0.0001)  # inside the school gate's 严禁 zone
    body = _refused(c.post("/streets/night/permits/new/", _permit_post(geometry=json.dumps(gate))), "geometry", "地图上的范围")
    assert "湟水路小学门口" in body
    _refused(c.post("/streets/night/permits/new/", _permit_post(tables="三")), "tables", "桌数")
    assert not Permit.objects.exists()


def test_permit_application_not_for_a_grid_worker(streets, shop):
    c = _client(streets.worker1)
    assert c.get("/streets/night/permits/new/").status_code == 403
    assert c.post("/streets/night/permits/new/", _permit_post()).status_code == 403
    assert "/streets/night/permits/new/" not in c.get("/streets/night/permits/").content.decode()
    assert "/streets/night/permits/new/" in _client(streets.chief1).get("/streets/night/permits/").content.decode()


def test_permit_actions_shown_only_to_roles_that_may_take_them(streets, shop, night):
    from chengyun.streets.services import permits

    p = permits.apply(None, shop=shop, policy_obj=night.bd, area_m2=12, tables=3, depth_m=2.5, passage_m=2.5, geometry=SPOT)
    url = f"/streets/night/permits/{p.number}/"
    chief = _client(streets.chief1).get(url).content.decode()
    assert 'value="review"' in chief and 'value="reject"' in chief
    desk = _client(streets.ops).get(url).content.decode()
    assert 'value="reject"' in desk and 'value="review"' in desk  # the district desk may take any step, as the service allows
    assert 'name="action"' not in _client(streets.worker1).get(url).content.decode()  # a grid worker sees the permit, no step
    other = _client(streets.chief2).get(url)
    assert other.status_code == 404 or 'name="action"' not in other.content.decode()
    r = _client(streets.chief1).post(url, {"action": "review", "note": "材料齐全"})
    assert r.status_code == 302
    p.refresh_from_db()
    assert p.state == "publicity"
    assert 'value="approve"' in _client(streets.ops).get(url).content.decode()
    assert 'name="action"' not in _client(streets.chief1).get(url).content.decode()  # approving and objecting are the district's
    assert _client(streets.chief1).post(url, {"action": "approve"}).status_code in (302, 403)
    p.refresh_from_db()
    assert p.state == "publicity"


def test_english_form_pages(streets, night):
    en = _client(streets.ops, "en")
    assert "Draw a night-economy control zone" in en.get("/streets/night/zones/new/").content.decode()
    assert "Rules in force" in en.get("/streets/rules/").content.decode()


# ---------------------------------------------------------------- a patrol from a GPX file


def _gpx(n=21):
    pts = "".join(f'<trkpt lat="{Y}" lon="{101.702 + k * 0.0005}"><time>2026-11-03T01:{k:02d}:00Z</time></trkpt>' for k in range(n))
    return f'<?xml version="1.0"?><gpx version="1.1" xmlns="http://www.topografix.com/GPX/1/1"><trk><trkseg>{pts}</trkseg></trk></gpx>'.encode()


def test_gpx_patrol_from_the_page(streets):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from chengyun.streets.models import Patrol

    c = _client(streets.chief1)
    assert "/streets/patrols/gpx/" in c.get("/streets/patrols/").content.decode()
    page = c.get("/streets/patrols/gpx/")
    assert page.status_code == 200 and english_words(page.content.decode()) == set()
    r = c.post("/streets/patrols/gpx/", {"file": SimpleUploadedFile("walk.gpx", _gpx(), "application/gpx+xml"), "kind": "leader"})
    patrol = Patrol.objects.get()
    assert r.status_code == 302 and r["Location"] == f"/streets/patrols/{patrol.pk}/"
    assert (patrol.source, patrol.kind, patrol.patroller_id) == ("gpx", "leader", streets.chief1.person.pk)
    assert patrol.coverage.get(segment__code="RDA").share > 0.95


def test_gpx_refusal_names_the_file(streets):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from chengyun.streets.models import Patrol

    c = _client(streets.chief1)
    _refused(c.post("/streets/patrols/gpx/", {"file": SimpleUploadedFile("bad.gpx", b"<gpx><trk>", "application/gpx+xml")}), "file", "GPX 文件")
    _refused(c.post("/streets/patrols/gpx/", {"file": SimpleUploadedFile("one.gpx", _gpx(1), "application/gpx+xml")}), "points", "GPX 文件")
    assert not Patrol.objects.exists()


def test_gpx_not_for_an_auditor(streets, make_user):
    auditor = _client(make_user("auditor"))
    assert auditor.get("/streets/patrols/gpx/").status_code == 403
    assert "/streets/patrols/gpx/" not in auditor.get("/streets/patrols/").content.decode()
