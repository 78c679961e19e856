import datetime as dt

import pytest
from django.utils import timezone

from chengyun.core.errors import Conflict, Forbidden, Invalid
from chengyun.water import services
from chengyun.water.models import Alert

CN = dt.timezone(dt.timedelta(hours=8))

T0 = dt.datetime(2026, 11, 20, 3, 0, tzinfo=CN)


@pytest.fixture
def alert(water, feed):
    feed(water.device, T0, {"w01018": 35.0})
    return Alert.objects.get(kind=Alert.Kind.TARGET_EXCEEDED)


def test_lifecycle_new_acknowledged_disposed(alert, make_user):
    ops = make_user("ops_dispatcher")
    services.acknowledge_alert(ops, alert)
    alert.refresh_from_db()
    assert alert.status == "acknowledged" and alert.acknowledged_by == ops
    with pytest.raises(Invalid, match="处置说明"):
        services.dispose_alert(ops, alert, disposal_note="  ")
    services.dispose_alert(ops, alert, disposal_note="上游企业已停产整改")
    alert.refresh_from_db()
    assert alert.status == "disposed" and alert.open_key is None
    with pytest.raises(Conflict, match="已处置"):
        services.acknowledge_alert(ops, alert)


def test_disposed_alert_lets_a_new_one_open(alert, water, feed, make_user):
    services.dispose_alert(make_user("ops_dispatcher"), alert, disposal_note="已处理")
    feed(water.device, T0 + dt.timedelta(hours=3), {"w01018": 38.0})
    assert Alert.objects.filter(kind=Alert.Kind.TARGET_EXCEEDED).count() == 2


def test_transition_api_409_and_audit(alert, api_client, make_user):
    from chengyun.core.models import AuditEntry

    client = api_client.as_user(make_user("ops_shift_leader"))
    assert client.post(f"water/alerts/{alert.pk}/acknowledge").json()["status"] == "acknowledged"
    r = client.post(f"water/alerts/{alert.pk}/acknowledge")
    assert r.status_code == 409 and "不能确认" in r.json()["message"]
    assert client.post(f"water/alerts/{alert.pk}/dispose", {"disposal_note": ""}).status_code == 422
    assert client.post(f"water/alerts/{alert.pk}/dispose", {"disposal_note": "已核实为仪器漂移"}).json()["status"] == "disposed"
    verbs = list(AuditEntry.objects.filter(object_type="water.alert", object_id=str(alert.pk)).values_list("verb", flat=True))
    assert "acknowledge" in verbs and "dispose" in verbs


def test_river_chief_scope(alert, water, make_user, api_client):
    # The section's chief sees and may acknowledge; a chief of another street sees nothing.
    assert api_client.as_user(water.chief_user).get("water/alerts").json()["count"] == 1
    other = make_user("river_chief", unit="S02", streets=["630109002"])
    assert api_client.as_user(other).get("water/alerts").json()["count"] == 0
    assert api_client.as_user(other).get(f"water/alerts/{alert.pk}").status_code == 404
    assert api_client.as_user(other).get("water/sections/WQ01").status_code == 404
    assert api_client.as_user(water.chief_user).post(f"water/alerts/{alert.pk}/acknowledge").status_code == 200
    # Escalation is the ops center's.
    r = api_client.as_user(water.chief_user).post(f"water/alerts/{alert.pk}/escalate", {"to": "case"})
    assert r.status_code == 403


def test_alert_to_case(alert, make_user, api_client):
    from chengyun.cases.models import Case

    ops = make_user("ops_dispatcher")
    body = api_client.as_user(ops).post(f"water/alerts/{alert.pk}/escalate", {"to": "case", "note": "请水务局核查"}).json()
    case = Case.objects.get(pk=alert.__class__.objects.get(pk=alert.pk).case_id)
    assert body["case_number"] == case.number and body["case_url"] == f"/cases/{case.pk}/" and body["status"] == "acknowledged"
    assert (case.source, case.category.code) == ("sensor", "0126")
    assert case.external_id == f"water.alert:{alert.pk}" and "请水务局核查" in case.description and case.grid.code == "630109001001001"
    r = api_client.as_user(ops).post(f"water/alerts/{alert.pk}/escalate", {"to": "task", "lead_unit": "D01", "deadline": "2030-01-01"})
    assert r.status_code == 409 and "已转为案件" in r.json()["message"]
    assert Case.objects.count() == 1


def test_outfall_alert_becomes_0130_case(water, feed, make_user):
    from chengyun.cases.models import Case

    feed(water.outfall_device, T0, {"w00000": 3.2})
    alert = Alert.objects.get(kind=Alert.Kind.DRY_WEATHER_FLOW)
    services.escalate_alert(make_user("ops_dispatcher"), alert, to="case")
    case = Case.objects.get()
    # The trace link it carries when the outfall is in the drainage network: test_trace_links.
    assert case.category.code == "0130"


def test_alert_to_supervision_task(alert, units, make_user):
    from chengyun.supervision.models import KeyTask

    ops = make_user("ops_dispatcher")
    with pytest.raises(Invalid, match="牵头单位"):
        services.escalate_alert(ops, alert, to="task")
    deadline = timezone.localdate() + dt.timedelta(days=10)
    services.escalate_alert(ops, alert, to="task", lead_unit=units["D01"], deadline=deadline)
    alert.refresh_from_db()
    task = KeyTask.objects.get(pk=alert.task_id)
    assert task.lead_unit == units["D01"] and task.deadline == deadline and task.category.code == "river"
    assert "北川河桥断面" in task.title


def test_device_alert_is_not_a_case(water, make_user):
    from chengyun.cases.models import Case
    from chengyun.water.tasks import check_devices

    check_devices(timezone.now())
    alert = Alert.objects.filter(kind=Alert.Kind.DEVICE_SILENT).first()
    ops = make_user("ops_dispatcher")
    # Not offered on the page, and refused if asked for anyway.
    assert "to_case" not in services.allowed_transitions(ops, alert) and "to_task" in services.allowed_transitions(ops, alert)
    with pytest.raises(Conflict, match="督办任务"):
        services.escalate_alert(ops, alert, to="case")
    assert not Case.objects.exists()


def test_transition_table_is_the_only_gate(alert, make_user):
    handler = make_user("dept_handler", unit="D01")
    # The alert is at a section: a handler's unit has no part in it, so it is invisible.
    from chengyun.core.errors import NotFound

    with pytest.raises(NotFound):
        services.acknowledge_alert(handler, alert)
    leader = make_user("district_leader")
    with pytest.raises(Forbidden):
        services.acknowledge_alert(leader, alert)
    assert set(services.TRANSITIONS) == {"acknowledge", "dispose", "to_case", "to_task", "auto_close", "rain_recorded", "overflow_ended",
                                        "target_changed"}


# ---------------------------------------------------------------- dry-weather flow

def test_dry_weather_flow_on_dry_day_only(water, feed, make_user):
    ops = make_user("ops_acceptor")
    rain_day = T0.date()
    services.set_rain_day(ops, rain_day, rained=True, precipitation_mm=12.5)
    feed(water.outfall_device, T0, {"w00000": 5.0})
    feed(water.outfall_device, T0 + dt.timedelta(days=1), {"w00000": 2.0})  # the lag day still drains
    assert not Alert.objects.filter(kind=Alert.Kind.DRY_WEATHER_FLOW).exists()
    feed(water.outfall_device, T0 + dt.timedelta(days=2), {"w00000": 0.3})  # below the threshold
    assert not Alert.objects.filter(kind=Alert.Kind.DRY_WEATHER_FLOW).exists()
    feed(water.outfall_device, T0 + dt.timedelta(days=3), {"w00000": 1.8})
    alert = Alert.objects.get(kind=Alert.Kind.DRY_WEATHER_FLOW)
    assert alert.outfall == water.outfall and alert.value == 1.8 and "旱天出流" in alert.message


def test_rain_entered_afterwards_withdraws_the_dry_weather_alert(water, feed, make_user):
    ops = make_user("ops_acceptor")
    feed(water.outfall_device, T0, {"w00000": 4.0})
    feed(water.outfall_device, T0 + dt.timedelta(hours=2), {"w00000": 3.0})
    alert = Alert.objects.get(kind=Alert.Kind.DRY_WEATHER_FLOW)
    # Rain on another day explains nothing.
    services.set_rain_day(ops, T0.date() + dt.timedelta(days=3), rained=True)
    alert.refresh_from_db()
    assert alert.status == "new"
    # The ops center records that it rained that day after all: the flow was runoff.
    services.set_rain_day(ops, T0.date(), rained=True, precipitation_mm=8.0)
    alert.refresh_from_db()
    assert alert.status == "disposed" and "补录" in alert.disposal_note and alert.open_key is None
    from chengyun.core.models import AuditEntry

    assert AuditEntry.objects.filter(object_type="water.alert", object_id=str(alert.pk), verb="rain_recorded").exists()


def test_rain_leaves_an_alert_with_a_dry_day_sighting_or_a_case(water, feed, make_user):
    ops = make_user("ops_dispatcher")
    feed(water.outfall_device, T0, {"w00000": 4.0})
    feed(water.outfall_device, T0 + dt.timedelta(days=3), {"w00000": 3.0})  # beyond the lag of a rain on T0
    alert = Alert.objects.get(kind=Alert.Kind.DRY_WEATHER_FLOW)
    services.set_rain_day(ops, T0.date(), rained=True)
    alert.refresh_from_db()
    assert alert.status == "new" and alert.occurrences == 2
    services.set_rain_day(ops, T0.date(), rained=False)
    # Escalated: someone is working on it, and the rain does not close it behind their back.
    services.escalate_alert(ops, alert, to="case")
    services.set_rain_day(ops, T0.date() + dt.timedelta(days=3), rained=True)
    services.set_rain_day(ops, T0.date(), rained=True)
    alert.refresh_from_db()
    assert alert.status == "acknowledged" and alert.case_number


def test_chief_answerable_for_a_site_elsewhere_sees_and_handles_its_alerts(water, feed, make_user, api_client):
    from chengyun.water.models import ChiefLevel

    # A district-level chief with no street of their own is named the section's chief.
    district_user = make_user("river_chief", unit="OPS")
    district_chief = services.appoint_chief(None, person=district_user.person, level=ChiefLevel.DISTRICT)
    services.update_site(None, water.section, chief=district_chief)
    feed(water.device, T0, {"w01018": 35.0})
    alert = Alert.objects.get(kind=Alert.Kind.TARGET_EXCEEDED)
    client = api_client.as_user(district_user)
    assert client.get(f"water/alerts/{alert.pk}").status_code == 200  # where the notification links
    assert client.get("water/alerts").json()["count"] == 1
    assert client.post(f"water/alerts/{alert.pk}/acknowledge").json()["status"] == "acknowledged"
    # And the chief of the outfall's reach sees the outfall's alerts.
    services.update_site(None, water.outfall, reach=water.reach)
    feed(water.outfall_device, T0, {"w00000": 4.0})
    chief_client = api_client.as_user(water.chief_user)
    kinds = {a["kind"] for a in chief_client.get("water/alerts").json()["results"]}
    assert "dry_weather_flow" in kinds


def test_dry_weather_flow_outfalls_service(water, feed):
    feed(water.outfall_device, T0, {"w00000": 2.5})
    feed(water.outfall_device, T0 + dt.timedelta(hours=1), {"w00000": (9.9, "D")})  # a faulty reading is no evidence
    found = services.dry_weather_flow_outfalls(T0 - dt.timedelta(days=1))
    assert len(found) == 1
    code, evidence = found[0]
    assert code == "PK01" and "最大 2.5 L/s" in evidence and "1 次" in evidence
    assert services.dry_weather_flow_outfalls(T0 + dt.timedelta(days=1)) == []
    assert services.outfall_by_code("PK01") == water.outfall and services.outfall_by_code("NOPE") is None


def test_rain_days_only_ops_edit(water, make_user, api_client):
    r = api_client.as_user(water.chief_user).put("water/rain-days/2026-11-20", {"rained": True})
    assert r.status_code == 403
    r = api_client.as_user(make_user("ops_shift_leader")).put("water/rain-days/2026-11-20", {"rained": True, "precipitation_mm": 4})
    assert r.status_code == 200 and r.json()["rained"] is True


# ---------------------------------------------------------------- silent / stale devices

def test_silent_and_stale_devices(water, feed):
    from chengyun.monitoring.models import Device
    from chengyun.water.tasks import check_devices

    now = timezone.now().replace(microsecond=0)
    Device.objects.filter(pk=water.device.pk).update(last_seen_at=now - dt.timedelta(minutes=10))
    feed(water.device, now - dt.timedelta(minutes=15), {"w01018": 10.0}, cn="2011")
    # The lake device is heard from, but its newest data is from yesterday: stale.
    Device.objects.filter(pk=water.lake_device.pk).update(last_seen_at=now - dt.timedelta(minutes=5))
    feed(water.lake_device, now - dt.timedelta(days=1), {"w01018": 10.0}, cn="2011")
    # The outfall flow meter was last heard from three hours ago: silent.
    Device.objects.filter(pk=water.outfall_device.pk).update(last_seen_at=now - dt.timedelta(hours=3))
    check_devices(now)
    kinds = {(a.kind, a.device_mn) for a in Alert.objects.filter(kind__in=["device_silent", "device_stale"])}
    assert kinds == {("device_silent", water.outfall_device.mn), ("device_stale", water.lake_device.mn)}
    check_devices(now)  # the same check again changes nothing
    assert Alert.objects.filter(kind__in=["device_silent", "device_stale"]).count() == 2
    check_devices(now + dt.timedelta(minutes=10))
    assert Alert.objects.get(kind="device_silent").occurrences == 2


def test_alert_list_filters_and_pagination(water, feed, api_client, make_user):
    feed(water.device, T0, {"w01018": 35.0})
    feed(water.device, T0 + dt.timedelta(hours=1), {"w01018": 12.0})  # a fall of COD by two thirds: a jump
    feed(water.outfall_device, T0, {"w00000": 2.0})
    client = api_client.as_user(make_user("ops_acceptor"))
    assert client.get("water/alerts").json()["count"] == 3
    assert [a["kind"] for a in client.get("water/alerts", {"kind": "dry_weather_flow"}).json()["results"]] == ["dry_weather_flow"]
    assert client.get("water/alerts", {"site": "WQ01"}).json()["count"] == 2
    assert client.get("water/alerts", {"status": "disposed"}).json()["count"] == 0
    page = client.get("water/alerts", {"limit": 1, "offset": 1}).json()
    assert page["count"] == 3 and len(page["results"]) == 1
    body = client.get("water/alerts", {"site": "PK01"}).json()["results"][0]
    assert body["trace_url"] is None  # no drainage network here (test_trace_links has one)
    assert dt.datetime.fromisoformat(body["last_seen_at"].replace("Z", "+00:00")) == T0  # ISO 8601 with an offset
