"""Overflow records fed from water's overflow alerts (issue 17, wave 1): an overflow alert at an
outfall of the network opens the record, new sightings extend it, the alert closing closes it;
manual entry stays for overflows nobody measures, and the page and API say which is which."""
import datetime as dt

import pytest
from django.utils import timezone

from chengyun.core.models import AuditEntry
from chengyun.drainage import overflow_feed
from chengyun.drainage.models import Node, OverflowRecord

CN = dt.timezone(dt.timedelta(hours=8))
T0 = dt.datetime(2026, 11, 20, 14, 0, tzinfo=CN)


@pytest.fixture
def cso(network, units):
    """The network's outfall OF-T1 registered in water as a combined-sewer overflow outfall with a flow meter."""
    from chengyun.monitoring import services as monitoring
    from chengyun.water import services as water

    node = Node.objects.get(code="OF-T1")
    river = water.create_water_body(None, code="R01", name="北川河", kind="river")
    outfall = water.create_outfall(None, code="OF-T1", name="测试合流制溢流口", kind="combined", water_body=river,
                                   lng=node.lng, lat=node.lat, unit=units["D02"])
    device = monitoring.create_device(None, mn="CSO0000000000001", password="123456", st="32", name="溢流口流量计",
                                      factors=[{"code": "w00000", "unit": "L/s"}], site_kind="outfall", site_code="OF-T1")
    return outfall, device


def flow(device, when, value):
    from chengyun.monitoring.models import Reading
    from chengyun.water import services as water

    r, _ = Reading.objects.update_or_create(device=device, cn="2061", data_time=when, factor="w00000",
                                            defaults={"value": value, "flag": "N", "received_at": timezone.now()})
    water.on_readings_stored(device, [r])


def _audit(record, verb):
    return AuditEntry.objects.filter(object_type="drainage.overflowrecord", object_id=str(record.pk), verb=verb)


def test_an_overflow_alert_opens_extends_and_closes_the_record(cso):
    from chengyun.water.models import Alert

    outfall, device = cso
    flow(device, T0, 30.0)
    alert = Alert.objects.get(kind=Alert.Kind.OUTFALL_OVERFLOW)
    record = OverflowRecord.objects.get()
    assert (record.node.code, record.occurred_at, record.ended_at, record.peak_lps, record.water_alert_id) == ("OF-T1", T0, T0, 30.0, alert.pk)
    assert record.from_alert and record.is_open and record.alert_url == f"/water/alerts/{alert.pk}/"
    assert record.evidence["device_mn"] == device.mn and record.evidence["threshold_lps"] == 0.5 and "溢流" in record.note
    assert _audit(record, "from_alert").exists()

    flow(device, T0 + dt.timedelta(hours=1), 75.0)
    flow(device, T0 + dt.timedelta(hours=2), 40.0)
    record.refresh_from_db()
    assert (record.ended_at, record.peak_lps, record.evidence["sightings"]) == (T0 + dt.timedelta(hours=2), 75.0, 3)
    assert record.duration_min == 120 and record.is_open
    assert _audit(record, "extend").count() == 2

    flow(device, T0 + dt.timedelta(hours=3), 0.0)  # back under the weir for an hour: the overflow is over
    record.refresh_from_db()
    alert.refresh_from_db()
    assert alert.status == "disposed" and record.closed_at == alert.disposed_at and not record.is_open
    assert record.ended_at == T0 + dt.timedelta(hours=2), "the end is the last overflow seen, not the dry reading"
    assert _audit(record, "close").exists()

    flow(device, T0 + dt.timedelta(days=2), 12.0)  # the next storm: a new alert, a new record
    assert OverflowRecord.objects.count() == 2 and OverflowRecord.objects.filter(closed_at__isnull=True).count() == 1


def test_a_person_disposing_of_the_alert_closes_the_record(cso, make_user):
    from chengyun.water import services as water
    from chengyun.water.models import Alert

    _, device = cso
    flow(device, T0, 30.0)
    water.dispose_alert(make_user("ops_dispatcher"), Alert.objects.get(), disposal_note="现场确认溢流已停止")
    record = OverflowRecord.objects.get()
    assert record.closed_at is not None and record.evidence["closed_note"] == "现场确认溢流已停止"


def test_an_outfall_outside_the_network_records_nothing(cso, units):
    from chengyun.monitoring import services as monitoring
    from chengyun.water import services as water
    from chengyun.water.models import Alert, WaterBody

    node = Node.objects.get(code="OF-T1")
    water.create_outfall(None, code="PK99", name="网外溢流口", kind="combined", water_body=WaterBody.objects.get(),
                         lng=node.lng + 0.0003, lat=node.lat, unit=units["D02"])
    device = monitoring.create_device(None, mn="CSO0000000000099", password="123456", st="32", name="网外流量计",
                                      factors=[{"code": "w00000", "unit": "L/s"}], site_kind="outfall", site_code="PK99")
    flow(device, T0, 30.0)
    assert Alert.objects.filter(outfall__code="PK99").exists() and not OverflowRecord.objects.exists()


def test_alerts_raised_before_the_network_existed_are_fed_once(cso):
    from chengyun.water.models import Alert

    _, device = cso
    flow(device, T0, 30.0)
    flow(device, T0 + dt.timedelta(hours=1), 90.0)
    flow(device, T0 + dt.timedelta(hours=3), 0.0)
    OverflowRecord.objects.all().delete()  # as if the alert came before the node
    assert overflow_feed.feed_from_alerts() == 1
    record = OverflowRecord.objects.get()
    alert = Alert.objects.get()
    assert (record.water_alert_id, record.peak_lps, record.ended_at, record.closed_at) == (alert.pk, 90.0, T0 + dt.timedelta(hours=1), alert.disposed_at)
    assert overflow_feed.feed_from_alerts() == 0 and OverflowRecord.objects.count() == 1


# ---------------------------------------------------------------- manual entry, API and page

def test_manual_entry_and_the_api_say_where_a_record_came_from(cso, api_client, make_user):
    _, device = cso
    flow(device, T0, 30.0)
    handler = make_user("dept_handler", unit="D02")
    client = api_client.as_user(handler)
    r = client.post("drainage/overflows", {"node": "W1", "occurred_at": "2026-11-19T21:30:00", "peak_lps": 5, "note": "检查井冒溢"})
    assert r.status_code == 201, r.content
    manual = r.json()
    assert manual["from_alert"] is False and manual["alert_url"] is None and manual["occurred_at"].startswith("2026-11-19T21:30:00+08:00")
    assert _audit(OverflowRecord.objects.get(pk=manual["id"]), "").exists()
    rows = client.get("drainage/overflows", {"from_alert": True}).json()["results"]
    assert len(rows) == 1 and rows[0]["from_alert"] and rows[0]["alert_url"].startswith("/water/alerts/") and rows[0]["open"]
    assert client.get(f"drainage/overflows/{manual['id']}").json()["source"] == "巡查"
    # Bad input: 4xx naming the field, nothing written.
    unknown = client.post("drainage/overflows", {"node": "NOPE", "occurred_at": "2026-11-19T21:30:00"})
    assert unknown.status_code == 422 and unknown.json()["code"] == "unknown_node" and unknown.json()["detail"]["field"] == "node"
    bad = client.post("drainage/overflows", {"node": "W1", "occurred_at": "2026-11-19T21:30:00", "ended_at": "2026-11-19T20:00:00"})
    assert bad.status_code == 422 and bad.json()["detail"]["field"] == "ended_at"
    # Another unit's handler may read but not enter.
    other = api_client.as_user(make_user("dept_handler", unit="D01"))
    assert other.post("drainage/overflows", {"node": "W1", "occurred_at": "2026-11-19T21:30:00"}).status_code == 403
    assert OverflowRecord.objects.count() == 2


def test_the_page_links_alert_records_and_takes_manual_entries(cso, client, make_user):
    from chengyun.water.models import Alert

    _, device = cso
    flow(device, T0, 30.0)
    client.force_login(make_user("ops_dispatcher"))
    html = client.get("/drainage/overflows/").content.decode()
    alert = Alert.objects.get()
    assert f'href="/water/alerts/{alert.pk}/"' in html and f"溢流告警 #{alert.pk}" in html and "溢流中" in html
    r = client.post("/drainage/overflows/", {"node": "W2", "occurred_at": "2026-11-18T08:00", "source": "群众反映", "note": "井盖冒水"})
    assert r.status_code == 302
    assert OverflowRecord.objects.get(node__code="W2").water_alert_id is None
    html = client.get("/drainage/overflows/?origin=manual").content.decode()
    assert "人工登记" in html and "群众反映" in html and "溢流告警 #" not in html
    r = client.post("/drainage/overflows/", {"node": "W2", "occurred_at": "", "peak_lps": "x"}, follow=True)
    assert "峰值流量应为数字" in r.content.decode() and OverflowRecord.objects.count() == 2


@pytest.mark.django_db
def test_the_demo_feeds_overflow_records_from_alerts():
    from chengyun.core import current
    from chengyun.demo.context import DemoContext
    from chengyun.drainage import demo as drainage_demo
    from chengyun.geo import demo as geo_demo
    from chengyun.monitoring import demo as monitoring_demo
    from chengyun.people import demo as people_demo
    from chengyun.water import demo as water_demo
    from chengyun.water.models import Alert

    ctx = DemoContext(log=lambda s: None)
    with current.acting(None, source="cli"):
        for generate in (geo_demo.generate, people_demo.generate, monitoring_demo.generate, water_demo.generate, drainage_demo.generate):
            generate(ctx)
    alerts = list(Alert.objects.filter(kind=Alert.Kind.OUTFALL_OVERFLOW).select_related("outfall"))
    assert alerts and {a.outfall.code for a in alerts} == {"PK08", "PK09"}
    fed = OverflowRecord.objects.filter(water_alert_id__isnull=False).select_related("node")
    assert sorted(r.water_alert_id for r in fed) == sorted(a.pk for a in alerts)
    assert all(r.node.code in ("PK08", "PK09") and r.peak_lps > 0.5 and r.ended_at >= r.occurred_at for r in fed)
    # Entered by hand only where nothing measures: manholes.
    manual = OverflowRecord.objects.filter(water_alert_id__isnull=True).select_related("node")
    assert manual and all(r.node.kind == "manhole" for r in manual)
