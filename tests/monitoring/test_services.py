from __future__ import annotations

from datetime import datetime, timedelta, timezone as dt_timezone

import pytest
from django.utils import timezone

from chengyun.core.errors import Conflict, Forbidden, Invalid, NotFound
from chengyun.core.models import AuditEntry
from chengyun.monitoring import hooks, services
from chengyun.monitoring.models import Device, RawFrame, Reading
from chengyun.people import policy
from chengyun.people import roles as R
from chengyun.standards import hj212

FACTORS = [{"code": "w01018", "unit": "mg/L"}, {"code": "w21003", "unit": "mg/L"}]


def packet(mn="MN0001", pw="pw123456", cn="2011", when=datetime(2026, 11, 25, 10, 0), values=None, flags=None, flag=5):
    values = values or {"w01018": 21.5, "w21003": 0.8}
    field = "Rtd" if cn == "2011" else "Avg"
    factors = {code: {field: v, "Flag": (flags or {}).get(code, "N")} for code, v in values.items()}
    return hj212.parse(hj212.build(st="21", cn=cn, pw=pw, mn=mn, flag=flag, data_time=when, factors=factors))


@pytest.fixture
def ops(make_user):
    return make_user(R.OPS_DISPATCHER)


@pytest.fixture
def device(db):
    return services.create_device(None, mn="MN0001", password="pw123456", st="21", name="一号断面水质站", factors=FACTORS)


def test_create_device_records_audit_and_refuses_duplicate_mn(ops):
    d = services.create_device(ops, mn="MN0009", password="secret01", st="21", name="测试站", factors=["w01018", {"code": "w01001"}])
    assert d.factors == [{"code": "w01018", "unit": "mg/L"}, {"code": "w01001", "unit": ""}]
    assert AuditEntry.objects.filter(object_type="monitoring.device", object_id=str(d.pk), action="create").exists()
    with pytest.raises(Conflict) as exc:
        services.create_device(ops, mn="MN0009", password="x1234567", st="21", name="另一个")
    assert exc.value.code == "mn_exists"


@pytest.mark.parametrize("field,value,code", [
    ("mn", "MN;01", "bad_mn"), ("mn", "", "bad_mn"), ("mn", "M" * 25, "bad_mn"), ("password", "a,b", "bad_password"),
    ("st", "2x", "bad_st"), ("name", " ", "bad_name"), ("factors", [{"code": "w01-018"}], "bad_factors"),
    ("factors", ["w01018", "w01018"], "bad_factors"), ("site_kind", "lake", "bad_site_kind"),
])
def test_create_device_validates_every_field(db, field, value, code):
    args = {"mn": "MN0002", "password": "pw123456", "st": "21", "name": "站", "factors": ()}
    args[field] = value
    with pytest.raises(Invalid) as exc:
        services.create_device(None, **args)
    assert exc.value.code == code
    assert not Device.objects.exists()


def test_only_ops_center_and_sysadmin_register_devices(make_user):
    for role in (R.STREET_CHIEF, R.RIVER_CHIEF, R.DISTRICT_LEADER, R.DEPT_HANDLER):
        with pytest.raises(Forbidden):
            services.create_device(make_user(role), mn=f"X{role}"[:24], password="pw123456", st="21", name="站")
    assert services.create_device(make_user(R.SYSADMIN), mn="SYS1", password="pw123456", st="21", name="站").pk


def test_area_bound_roles_read_devices_and_readings_but_handlers_do_not(make_user, device):
    services.store_packet(device, packet())
    for role in (R.STREET_CHIEF, R.RIVER_CHIEF, R.COMMUNITY_GRID_WORKER, R.DISTRICT_LEADER, R.OPS_ACCEPTOR):
        user = make_user(role)
        assert policy.visible(user, Device.objects.all()).count() == 1
        assert policy.visible(user, Reading.objects.all()).count() == 2
    handler = make_user(R.DEPT_HANDLER, unit="D01")
    assert not policy.visible(handler, Device.objects.all()).exists()
    assert not policy.visible(make_user(R.RIVER_CHIEF), RawFrame.objects.all()).exists()
    assert policy.visible(make_user(R.AUDITOR), RawFrame.objects.all()).count() == 1


def test_link_device_sets_and_clears_the_site(ops, device):
    d = services.link_device(ops, "MN0001", "section", "S01")
    assert (d.site_kind, d.site_code) == ("section", "S01")
    assert AuditEntry.objects.filter(verb="link_device", object_id=str(device.pk)).count() == 1
    d = services.link_device(None, "MN0001", "", "")
    assert (d.site_kind, d.site_code) == ("", "")
    with pytest.raises(NotFound):
        services.link_device(ops, "NOPE", "section", "S01")
    with pytest.raises(Invalid):
        services.link_device(ops, "MN0001", "section", "")


def test_store_packet_is_idempotent_and_upserts(device):
    first = services.store_packet(device, packet())
    assert len(first) == 2 and Reading.objects.count() == 2
    services.store_packet(device, packet())  # the device resent after a lost reply
    assert Reading.objects.count() == 2
    services.store_packet(device, packet(values={"w01018": 30.0}))
    assert Reading.objects.get(factor="w01018").value == 30.0
    assert Reading.objects.get(factor="w21003").value == 0.8
    device.refresh_from_db()
    assert device.last_seen_at is not None
    assert RawFrame.objects.filter(device=device).count() == 3


def test_each_data_cn_is_stored_with_its_flags_and_china_time(device):
    when = datetime(2026, 11, 25, 8, 0)
    for cn in ("2011", "2051", "2061", "2031"):
        services.store_packet(device, packet(cn=cn, when=when, flags={"w01018": "M"}))
    assert Reading.objects.count() == 8
    for cn in ("2011", "2051", "2061", "2031"):
        r = Reading.objects.get(cn=cn, factor="w01018")
        assert r.flag == "M" and not r.valid
        assert r.value == 21.5
        assert r.data_time == datetime(2026, 11, 25, 0, 0, tzinfo=dt_timezone.utc)  # 08:00 China = 00:00 UTC
    assert Reading.objects.get(cn="2061", factor="w21003").valid


def test_hour_data_keeps_min_max_and_value_is_avg(device):
    p = hj212.parse(hj212.build(st="32", cn="2061", pw="pw123456", mn="MN0001", data_time=datetime(2026, 11, 25, 9, 0),
                                factors={"w00000": {"Cou": 120.5, "Min": 1.0, "Avg": 2.5, "Max": 4.0, "Flag": "N"}}))
    [r] = services.store_packet(device, p)
    r = Reading.objects.get(pk=r.pk) if r.pk else Reading.objects.get(factor="w00000")
    assert (r.value, r.min, r.max, r.cou) == (2.5, 1.0, 4.0, 120.5)


def test_non_data_commands_store_no_readings(device):
    p = hj212.parse(hj212.build(st="91", cn="9014", pw="pw123456", mn="MN0001", flag=4))
    assert services.store_packet(device, p) == []
    assert not Reading.objects.exists()


def test_store_packets_bulk_with_duplicates_inside_one_batch(device):
    now = timezone.now()
    entries = [services.Incoming(device, packet(when=datetime(2026, 11, 25, 10, i % 30)), now) for i in range(60)]
    stored = services.store_packets(entries)
    assert Reading.objects.count() == 60  # 30 distinct times × 2 factors
    assert [s.count for s in stored] == [120]  # values received
    assert len(stored[0].readings) == 60  # rows stored


def test_prepared_batches_merged_into_one_write_keep_the_later_value_of_a_repeated_key(device):
    # The receiver's store thread merges batches that queued up; a resent packet may sit in
    # both, and PostgreSQL refuses one statement that updates the same row twice.
    now = timezone.now()
    when = datetime(2026, 11, 25, 10, 0)
    def incoming(p):
        return services.Incoming(device, p, now, raw=p.raw)

    first = services.prepare_packets([incoming(packet(when=when, values={"w01018": 1.0, "w21003": 0.1}))])
    second = services.prepare_packets([incoming(packet(when=when, values={"w01018": 2.0, "w21003": 0.2})),
                                       incoming(packet(when=when.replace(minute=1)))])
    first.merge(second)
    assert len(first.rows) == 4 and len(first.raw_frames) == 3
    services.write_packets(first)
    assert sorted(Reading.objects.filter(data_time=services.china_time(when)).values_list("factor", "value")) == [
        ("w01018", 2.0), ("w21003", 0.2)]
    assert Reading.objects.count() == 4
    assert RawFrame.objects.count() == 3


def test_hooks_run_after_commit_and_a_failing_hook_loses_nothing(device, django_capture_on_commit_callbacks):
    seen = []

    def broken(dev, readings):
        raise RuntimeError("evaluation bug")

    def good(dev, readings):
        seen.append((dev.mn, sorted(r.factor for r in readings)))

    hooks.on_readings_stored(broken)
    hooks.on_readings_stored(good)
    try:
        with django_capture_on_commit_callbacks(execute=True):
            services.store_packet(device, packet())
            assert seen == []  # not before the commit
    finally:
        hooks.remove(broken)
        hooks.remove(good)
    assert seen == [("MN0001", ["w01018", "w21003"])]
    assert Reading.objects.count() == 2


def test_readings_and_latest_values(device):
    services.link_device(None, "MN0001", "section", "S01")
    for hour in range(5):
        services.store_packet(device, packet(cn="2061", when=datetime(2026, 11, 25, hour), values={"w01018": 10.0 + hour, "w21003": 1.0}))
    qs = services.readings(site_kind="section", site_code="S01", factor="w01018", start=datetime(2026, 11, 25, 1), end=datetime(2026, 11, 25, 4))
    assert [r.value for r in qs] == [11.0, 12.0, 13.0]
    assert services.readings(mn="MN0001", cn="2061").count() == 10
    assert services.readings(mn="OTHER").count() == 0
    latest = services.latest_values("section", "S01")
    assert set(latest) == {"w01018", "w21003"}
    assert latest["w01018"].value == 14.0
    assert services.latest_values("section", "NOPE") == {}


def test_purge_raw_frames_keeps_the_retention_period(device):
    services.store_packet(device, packet(), received_at=timezone.now() - timedelta(days=40))
    services.store_packet(device, packet(values={"w01018": 1.0}))
    assert services.purge_raw_frames(days=30) == 1
    assert RawFrame.objects.count() == 1
    assert Reading.objects.count() == 2  # readings are not touched by the purge


def test_check_sender():
    d = Device(mn="A1", password="right", active=True)
    assert services.check_sender(d, "A1", "right") is d
    for dev, pw, reason in ((None, "x", "unknown_mn"), (d, "wrong", "wrong_pw"), (Device(mn="A1", password="p", active=False), "p", "inactive")):
        with pytest.raises(services.Rejected) as exc:
            services.check_sender(dev, "A1", pw)
        assert exc.value.reason == reason


def test_lab_import_all_or_nothing_with_row_errors(ops, device):
    rows = [
        {"site_kind": "section", "site_code": "S01", "factor": "COD", "data_time": "2026-11-20 10:00", "value": "18.2"},
        {"mn": "MN0001", "factor": "w21003", "data_time": "2026-11-20T10:00:00+08:00", "value": 0.61},
        {"mn": "NOPE", "factor": "XX", "data_time": "yesterday", "value": "abc"},
    ]
    report = services.import_lab_results(ops, rows)
    assert not report.ok
    assert {(e["row"], e["field"]) for e in report.errors} == {(3, "mn"), (3, "factor"), (3, "data_time"), (3, "value")}
    assert not Reading.objects.exists() and Device.objects.count() == 1
    report = services.import_lab_results(ops, rows[:2])
    assert report.ok and report.stored == 2
    assert report.devices_created == ["LAB-S-S01"]
    lab = Device.objects.get(mn="LAB-S-S01")
    assert (lab.kind, lab.site_kind, lab.site_code) == ("manual", "section", "S01")
    r = Reading.objects.get(device=lab)
    assert (r.cn, r.factor, r.value, r.source) == ("LAB", "w01018", 18.2, "lab")
    assert r.data_time == datetime(2026, 11, 20, 2, 0, tzinfo=dt_timezone.utc)
    # Uploading the same file again changes nothing.
    assert services.import_lab_results(ops, rows[:2]).ok
    assert Reading.objects.count() == 2 and Device.objects.count() == 2


def test_lab_import_needs_a_manager(make_user, device):
    with pytest.raises(Forbidden):
        services.import_lab_results(make_user(R.RIVER_CHIEF), [])


def test_nightly_purge_task_uses_the_configured_retention(device, settings):
    from chengyun.monitoring.tasks import purge_raw_frames

    services.store_packet(device, packet(), received_at=timezone.now() - timedelta(days=8))
    services.store_packet(device, packet(values={"w01018": 2.0}), received_at=timezone.now() - timedelta(days=3))
    settings.CHENGYUN_RAW_FRAME_DAYS = 7
    purge_raw_frames.call_local()
    assert RawFrame.objects.count() == 1


def test_lab_results_reach_the_hooks_as_saved_readings(ops, device, django_capture_on_commit_callbacks):
    seen = []
    hook = lambda dev, readings: seen.extend((dev.mn, r.factor, r.value, r.pk is not None) for r in readings)  # noqa: E731
    hooks.on_readings_stored(hook)
    try:
        with django_capture_on_commit_callbacks(execute=True):
            services.import_lab_results(ops, [{"mn": "MN0001", "factor": "COD", "data_time": "2026-11-20 10:00", "value": 9}])
    finally:
        hooks.remove(hook)
    assert seen == [("MN0001", "w01018", 9.0, True)]


def test_readings_built_in_memory_follow_the_model_field_order():
    """unsaved_readings() builds Reading objects positionally on the ingest path: the stored
    column order must stay the model's concrete field order."""
    from chengyun.monitoring.models import Reading
    from chengyun.monitoring.services import _COLUMNS

    assert [f.attname for f in Reading._meta.concrete_fields] == ["id", *_COLUMNS]


def test_hook_readings_are_built_only_for_devices_a_callback_wants():
    from types import SimpleNamespace

    from chengyun.monitoring import hooks

    seen, loads = [], []

    def callback(device, readings):
        seen.append((device.mn, len(readings)))

    def load():
        loads.append(1)
        return [object()]

    hooks.on_readings_stored(callback, wants=lambda d: d.site_code != "")
    try:
        hooks.fire_lazy(SimpleNamespace(mn="A", site_code="", site_kind=""), load)
        assert loads == [] and all(mn != "A" for mn, _ in seen)
        hooks.fire_lazy(SimpleNamespace(mn="B", site_code="DM01", site_kind="section"), load)
        assert loads == [1] and ("B", 1) in seen
    finally:
        hooks.remove(callback)


def test_an_unexpected_failure_preparing_one_packet_refuses_only_that_packet(device, monkeypatch):
    other = services.create_device(None, mn="MN0002", password="pw123456", st="21", name="二号站", factors=FACTORS)
    real = services.rows_from_packet

    def flaky(device_id, *args, **kwargs):
        if device_id == other.pk:
            raise RuntimeError("boom")
        return real(device_id, *args, **kwargs)

    monkeypatch.setattr(services, "rows_from_packet", flaky)
    now = timezone.now()
    entries = [services.Incoming(other, packet(mn="MN0002"), now), services.Incoming(device, packet(), now)]
    prepared = services.prepare_packets(entries)
    assert [(i, reason) for i, reason, _ in prepared.refused] == [(0, "malformed")]
    services.write_packets(prepared)
    assert Reading.objects.filter(device=device).count() == 2 and not Reading.objects.filter(device=other).exists()


@pytest.mark.parametrize("when", [datetime(1, 1, 1), datetime(1999, 12, 31, 23), datetime.now() + timedelta(days=2)])
def test_store_packet_refuses_an_absurd_data_time(device, when):
    p = hj212.parse(hj212.build(st="21", cn="2011", pw="pw123456", mn="MN0001", flag=5,
                                cp={"DataTime": f"{when.year:04d}{when:%m%d%H%M%S}"}, factors={"w01018": {"Rtd": 1}}))
    with pytest.raises(services.Rejected) as exc:
        services.store_packet(device, p)
    assert exc.value.reason == "bad_time"
    assert not Reading.objects.exists()


def test_lab_rows_with_an_absurd_time_are_row_errors(ops, device):
    rows = [{"mn": "MN0001", "factor": "COD", "data_time": t, "value": 1} for t in ("0001-01-01 00:00", "2999-01-01 00:00", "1990-05-01")]
    report = services.import_lab_results(ops, rows)
    assert [(e["row"], e["field"]) for e in report.errors] == [(1, "data_time"), (2, "data_time"), (3, "data_time")]
    assert not Reading.objects.exists()


def test_lab_values_of_gb3838_keys_are_in_mg_per_litre_and_stored_in_the_codes_unit(ops, device):
    rows = [{"mn": "MN0001", "factor": key, "data_time": "2026-11-20 10:00", "value": v, **extra} for key, v, extra in [
        ("Hg", "0.0001", {}), ("Se", "0.01", {}), ("Cd", "0.005", {}), ("Cr6", "0.05", {}), ("Pb", "0.05", {}),
        ("COD", "18.2", {}), ("fecal_coliform", "2000", {}), ("w20142", "0.2", {}), ("w20143", "0.003", {"unit": "mg/L"}),
        ("As", "5", {"unit": "μg/L"}),
    ]]
    assert services.import_lab_results(ops, rows).ok
    assert dict(Reading.objects.values_list("factor", "value")) == {
        "w20111": 0.1, "w20128": 10.0, "w20115": 5.0, "w20117": 50.0, "w20120": 50.0, "w01018": 18.2, "w02003": 2000.0,
        "w20142": 0.2, "w20143": 3.0, "w20141": 0.005}


def test_lab_rows_with_an_unknown_or_unconvertible_unit_are_row_errors(ops, device):
    rows = [{"mn": "MN0001", "factor": "Hg", "data_time": "2026-11-20 10:00", "value": 1, "unit": "kg"},
            {"mn": "MN0001", "factor": "w00000", "data_time": "2026-11-20 10:00", "value": 1, "unit": "mg/L"}]
    report = services.import_lab_results(ops, rows)
    assert [(e["row"], e["field"]) for e in report.errors] == [(1, "unit"), (2, "unit")]
    assert "kg" in report.errors[0]["message"]


def test_device_cache_keeps_no_misses_and_follows_the_devices_stamp(db):
    cache = services.DeviceCache(check_every=0)
    assert cache.lookup("LATE0001") is None
    late = services.create_device(None, mn="LATE0001", password="pw123456", st="21", name="迟登记的站")
    assert cache.lookup("LATE0001") == late  # registered after its first packet: accepted at once
    assert cache.lookup("LATE0001").password == "pw123456"
    services.update_device(None, late, password="newpass1", active=False)
    again = cache.lookup("LATE0001")
    assert (again.password, again.active) == ("newpass1", False)


def test_device_cache_checks_the_stamp_at_most_once_a_second(db, django_assert_num_queries):
    import time

    d = services.create_device(None, mn="CACHE001", password="pw123456", st="21", name="站")
    cache = services.DeviceCache()
    cache.lookup("CACHE001")
    services.update_device(None, d, password="changed1")
    with django_assert_num_queries(0):
        assert cache.lookup("CACHE001").password == "pw123456"  # within the second: memory only
    time.sleep(1.05)
    assert cache.lookup("CACHE001").password == "changed1"


def test_devices_cannot_be_linked_to_sites_that_do_not_exist(ops, device, real_sites, units):
    from support import grid_center

    from chengyun.water import services as water

    river = water.create_water_body(None, code="R01", name="北川河", kind="river")
    lng, lat = grid_center("630109001001001")
    water.create_section(None, code="WQ01", name="北川河桥断面", water_body=river, lng=lng, lat=lat, target_class=3)
    for call in (lambda: services.link_device(ops, "MN0001", "section", "NOPE99"),
                 lambda: services.link_device(ops, "MN0001", "outfall", "WQ01"),  # a section's code is no outfall
                 lambda: services.create_device(ops, mn="MN0003", password="pw123456", st="21", name="站",
                                                site_kind="section", site_code="NOPE99")):
        with pytest.raises(Invalid) as exc:
            call()
        assert exc.value.code == "unknown_site" and exc.value.detail["field"] == "site_code"
    assert services.link_device(ops, "MN0001", "section", "WQ01").site_code == "WQ01"
    report = services.import_lab_results(ops, [{"site_kind": "section", "site_code": "NOPE99", "factor": "COD",
                                                "data_time": "2026-11-20 10:00", "value": 1}])
    assert [(e["row"], e["field"]) for e in report.errors] == [(1, "site_code")]
    assert not Device.objects.filter(mn="LAB-S-NOPE99").exists()


def test_linking_from_monitoring_hands_the_device_to_the_linked_hooks_after_the_commit(ops, device, django_capture_on_commit_callbacks):
    seen = []
    hooks.on_device_linked(seen.append)
    try:
        with django_capture_on_commit_callbacks(execute=True):
            services.link_device(ops, "MN0001", "section", "S01")  # as water's own link: no hook
        assert seen == []
        with django_capture_on_commit_callbacks(execute=True):
            services.link_device(ops, "MN0001", "section", "DM01", judge_history=True)
        assert [d.site_code for d in seen] == ["DM01"]
    finally:
        hooks.remove_device_linked(seen.append)


def test_device_passwords_never_reach_the_audit_log(ops):
    d = services.create_device(ops, mn="MN0007", password="secret77", st="21", name="站")
    services.update_device(ops, d, password="other777")
    services.update_device(ops, d, name="改名的站")
    entries = list(AuditEntry.objects.filter(object_type="monitoring.device", object_id=str(d.pk)).order_by("id"))
    assert "secret77" not in str([(e.before, e.after) for e in entries]) and "other777" not in str([(e.before, e.after) for e in entries])
    created, pw_change, rename = entries
    assert created.after["password"] == "******"
    assert (pw_change.before, pw_change.after) == ({"password": "******"}, {"password": {"value": "******", "changed": True}})
    assert "password" not in rename.after and rename.after == {"name": "改名的站"}
