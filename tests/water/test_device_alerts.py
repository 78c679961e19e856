"""Device-silent and device-stale alerts close themselves when the device reports again."""
import datetime as dt

import pytest
from django.utils import timezone

from chengyun.core.errors import Forbidden
from chengyun.core.models import AuditEntry, Notification
from chengyun.monitoring.models import Device
from chengyun.water import services
from chengyun.water.models import Alert
from chengyun.water.tasks import check_devices

CN = dt.timezone(dt.timedelta(hours=8))


@pytest.fixture
def now():
    return timezone.now().replace(microsecond=0)


def _seen(device, when):
    """What ingest does for every stored batch: the device's last-seen time moves."""
    Device.objects.filter(pk=device.pk).update(last_seen_at=when)
    device.refresh_from_db()


@pytest.fixture
def silent(water, feed, now):
    """The outfall flow meter is silent (last heard three hours ago); the lake device is stale
    (heard from, but its newest data is from yesterday); the section device is fine."""
    _seen(water.device, now - dt.timedelta(minutes=10))
    feed(water.device, now - dt.timedelta(minutes=15), {"w01018": 10.0}, cn="2011")
    _seen(water.lake_device, now - dt.timedelta(minutes=5))
    feed(water.lake_device, now - dt.timedelta(days=1), {"w01018": 10.0}, cn="2011")
    _seen(water.outfall_device, now - dt.timedelta(hours=3))
    check_devices(now)
    return Alert.objects.get(kind=Alert.Kind.DEVICE_SILENT, device_mn=water.outfall_device.mn)


def _audit(alert):
    return AuditEntry.objects.get(object_type="water.alert", object_id=str(alert.pk), verb="auto_close")


def test_silent_alert_closes_when_the_device_reports_again(water, feed, silent, now):
    stale = Alert.objects.get(kind=Alert.Kind.DEVICE_STALE)
    back = timezone.now()
    _seen(water.outfall_device, back)
    feed(water.outfall_device, back, {"w00000": 0.2}, cn="2011")

    silent.refresh_from_db()
    assert silent.status == Alert.Status.DISPOSED and silent.open_key is None
    assert silent.disposed_by is None and silent.disposed_at is not None
    assert silent.disposal_note == f"设备恢复上报（{back.astimezone(CN):%Y-%m-%d %H:%M}），系统自动关闭"
    entry = _audit(silent)
    assert entry.actor is None and entry.before["status"] == "new" and entry.after["status"] == "disposed"
    assert entry.after["disposal_note"] == silent.disposal_note
    # Another device's alert is none of this device's business.
    stale.refresh_from_db()
    assert stale.status == Alert.Status.NEW and stale.open_key
    # The next check neither reopens it nor raises anything for the device.
    assert check_devices(now + dt.timedelta(minutes=10)) == [stale.pk]
    assert Alert.objects.filter(device_mn=water.outfall_device.mn, kind__in=services.DEVICE_ALERT_KINDS).count() == 1


def test_an_acknowledged_alert_closes_too_and_the_person_is_told(water, feed, silent, make_user):
    ops = make_user("ops_dispatcher")
    services.acknowledge_alert(ops, silent)
    back = timezone.now()
    _seen(water.outfall_device, back)
    feed(water.outfall_device, back, {"w00000": 0.2}, cn="2011")

    silent.refresh_from_db()
    # The fault is over whoever looked at it; who acknowledged it stays on record.
    assert silent.status == Alert.Status.DISPOSED and silent.acknowledged_by == ops
    assert "系统自动关闭" in silent.disposal_note
    note = Notification.objects.get(recipient=ops, dedup_key=f"water.alert:{silent.pk}:auto_close")
    assert "自动关闭" in note.title and note.url == f"/water/alerts/{silent.pk}/"


def test_an_escalated_alert_closes_and_its_task_stays(water, feed, silent, make_user, units):
    from chengyun.supervision.models import KeyTask

    services.escalate_alert(make_user("ops_dispatcher"), silent, to="task", lead_unit=units["D02"],
                            deadline=timezone.localdate() + dt.timedelta(days=5))
    silent.refresh_from_db()
    task_state = KeyTask.objects.get(pk=silent.task_id).state
    back = timezone.now()
    _seen(water.outfall_device, back)
    feed(water.outfall_device, back, {"w00000": 0.2}, cn="2011")
    silent.refresh_from_db()
    assert silent.status == Alert.Status.DISPOSED
    assert KeyTask.objects.get(pk=silent.task_id).state == task_state


def test_stale_alert_closes_when_fresh_data_arrives(water, feed, silent):
    stale = Alert.objects.get(kind=Alert.Kind.DEVICE_STALE)
    # Yesterday's data sent again does not end the staleness …
    feed(water.lake_device, timezone.now() - dt.timedelta(days=1, hours=1), {"w01018": 11.0}, cn="2011")
    stale.refresh_from_db()
    assert stale.status == Alert.Status.NEW
    # … a current measurement does.
    fresh = timezone.now().replace(second=0, microsecond=0)
    feed(water.lake_device, fresh, {"w01018": 11.0}, cn="2011")
    stale.refresh_from_db()
    assert stale.status == Alert.Status.DISPOSED
    assert stale.disposal_note == f"设备数据恢复更新（最新数据时间 {fresh.astimezone(CN):%Y-%m-%d %H:%M}），系统自动关闭"
    assert _audit(stale).actor is None
    silent.refresh_from_db()
    assert silent.status == Alert.Status.NEW


def test_the_periodic_check_closes_what_the_hook_did_not_see(water, silent, now):
    # The device came back while no hook ran (e.g. its batch's evaluation was lost).
    _seen(water.outfall_device, now + dt.timedelta(minutes=12))
    check_devices(now + dt.timedelta(minutes=15))
    silent.refresh_from_db()
    assert silent.status == Alert.Status.DISPOSED
    assert silent.disposal_note.startswith("设备恢复上报（") and _audit(silent).actor is None


def test_real_ingest_path_closes_the_alert(water, silent, django_capture_on_commit_callbacks):
    from chengyun.monitoring import services as monitoring
    from chengyun.standards import hj212

    when = timezone.now().astimezone(CN).replace(tzinfo=None, second=0, microsecond=0)
    packet = hj212.parse(hj212.build(st="32", cn="2011", pw="123456", mn=water.outfall_device.mn, flag=5, data_time=when,
                                     factors={"w00000": {"Rtd": 0.2, "Flag": "N"}}))
    with django_capture_on_commit_callbacks(execute=True):
        monitoring.store_packet(Device.objects.get(pk=water.outfall_device.pk), packet)
    silent.refresh_from_db()
    assert silent.status == Alert.Status.DISPOSED and "系统自动关闭" in silent.disposal_note


def test_the_ingest_hook_check_is_a_memory_lookup(water, silent, django_assert_num_queries):
    assert services.has_open_device_alert(water.outfall_device.mn)
    with django_assert_num_queries(0):
        assert services.has_open_device_alert(water.outfall_device.mn)
        assert not services.has_open_device_alert(water.device.mn)


def test_nobody_can_take_the_system_transition(water, silent, make_user):
    ops = make_user("ops_shift_leader")
    assert "auto_close" not in services.allowed_transitions(ops, silent)
    with pytest.raises(Forbidden):
        services._begin(ops, silent, "auto_close", {"disposal_note": "手工"})
    # It is declared for device alerts only.
    assert services.TRANSITIONS["auto_close"].kinds == {Alert.Kind.DEVICE_SILENT, Alert.Kind.DEVICE_STALE}


def test_a_hand_disposed_alert_is_left_alone(water, feed, silent, make_user):
    services.dispose_alert(make_user("ops_dispatcher"), silent, disposal_note="已派运维人员更换通信模块")
    back = timezone.now()
    _seen(water.outfall_device, back)
    feed(water.outfall_device, back, {"w00000": 0.2}, cn="2011")
    silent.refresh_from_db()
    assert silent.disposal_note == "已派运维人员更换通信模块"
    assert not AuditEntry.objects.filter(object_type="water.alert", object_id=str(silent.pk), verb="auto_close").exists()


def test_the_alert_page_names_the_system(water, feed, silent, client, make_user):
    back = timezone.now()
    _seen(water.outfall_device, back)
    feed(water.outfall_device, back, {"w00000": 0.2}, cn="2011")
    client.force_login(make_user("ops_shift_leader"))
    page = client.get(f"/water/alerts/{silent.pk}/").content.decode()
    assert "系统" in page and "设备恢复上报（" in page and "None" not in page
