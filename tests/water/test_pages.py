import datetime as dt

import pytest

from chengyun.water import services
from chengyun.water.models import Alert

CN = dt.timezone(dt.timedelta(hours=8))


@pytest.fixture
def ops_client(client, make_user):
    user = make_user("ops_shift_leader")
    client.force_login(user)
    return client


def test_pages_render(water, feed, ops_client, make_user):
    feed(water.device, dt.datetime(2026, 11, 20, 8, tzinfo=CN), {"w01018": 35.0, "w21003": 0.3})
    feed(water.outfall_device, dt.datetime(2026, 11, 20, 3, tzinfo=CN), {"w00000": 2.0})
    alert = Alert.objects.filter(section__isnull=False).first()
    p = services.start_patrol(water.chief_user, reach=water.reach, started_at=dt.datetime(2026, 11, 3, 9, tzinfo=CN))
    services.finish_patrol(water.chief_user, p, track=[[101.70, 36.50], [101.70, 36.51]], ended_at=dt.datetime(2026, 11, 3, 10, tzinfo=CN))
    pages = {
        "/water/": "水环境一张图",
        "/water/sections/WQ01/": '<span class="wq wq-5">Ⅴ</span>',  # COD 35 judged on its own
        "/water/outfalls/PK01/": "该排口未接入排水管网，无法溯源",  # no drainage network in this test
        "/water/alerts/": "超目标水质类别",
        f"/water/alerts/{alert.pk}/": "转为城市管理案件",
        "/water/patrols/": "北川河第1街道段",
        f"/water/patrols/{p.pk}/": "track-map",
        "/water/compliance/?year=2026&month=11": "巡河规则",
        "/water/rain/": "降雨记录",
        "/water/sections/?water_body=L01": "水库坝前断面",
        "/water/outfalls/?kind=rain": "二号雨水排口",
        "/water/patrols/new/": "不是在任的河湖长",
    }
    for url, text in pages.items():
        r = ops_client.get(url)
        assert r.status_code == 200, url
        assert text in r.content.decode(), url


def test_alert_page_actions(water, feed, ops_client):
    from chengyun.cases.models import Case

    feed(water.device, dt.datetime(2026, 11, 20, 8, tzinfo=CN), {"w01018": 35.0})
    alert = Alert.objects.get()
    r = ops_client.post(f"/water/alerts/{alert.pk}/", {"action": "acknowledge"}, follow=True)
    assert "已完成：确认" in r.content.decode()
    r = ops_client.post(f"/water/alerts/{alert.pk}/", {"action": "acknowledge"}, follow=True)
    assert "不能确认" in r.content.decode()
    ops_client.post(f"/water/alerts/{alert.pk}/", {"action": "to_case"})
    alert.refresh_from_db()
    assert Case.objects.get(number=alert.case_number).source == "sensor"


def test_chief_mobile_page_and_scope(water, client, make_user):
    client.force_login(water.chief_user)
    r = client.get("/water/patrols/new/")
    assert "开始巡河" in r.content.decode() and "北川河第1街道段" in r.content.decode()
    assert r.context["reach_layer"] == {"type": "FeatureCollection", "features": []}  # the fixture's reach has no geometry
    from chengyun.water import services

    services.update_reach(None, water.reach, geometry_json='{"type": "LineString", "coordinates": [[101.70, 36.50], [101.71, 36.51]]}')
    r = client.get("/water/patrols/new/")
    (feature,) = r.context["reach_layer"]["features"]
    assert feature["properties"]["code"] == "R01-S1" and feature["geometry"]["type"] == "LineString"
    assert 'id="reach-layer"' in r.content.decode()
    other = make_user("river_chief", unit="S02", streets=["630109002"])
    client.force_login(other)
    assert client.get("/water/sections/WQ01/").status_code == 404


def test_rain_and_rule_forms(water, ops_client):
    ops_client.post("/water/rain/", {"date": "2026-11-21", "rained": "1", "precipitation_mm": "3.5"})
    from chengyun.water.models import PatrolRule, RainDay

    assert RainDay.objects.get(date=dt.date(2026, 11, 21)).precipitation_mm == 3.5
    ops_client.post("/water/compliance/?year=2026&month=11", {"level": "street", "patrols_per_month": "5", "min_duration_min": "40", "min_distance_m": "2000"})
    assert PatrolRule.objects.get(level="street").patrols_per_month == 5
