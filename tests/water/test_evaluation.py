import datetime as dt

from chengyun.water.models import Aggregate, Alert

CN = dt.timezone(dt.timedelta(hours=8))

T0 = dt.datetime(2026, 11, 20, 10, 0, tzinfo=CN)


def agg(code, period, start):
    return Aggregate.objects.get(site_kind="section", site_code=code, period=period, start=start)


def test_hour_class_and_compliance(water, feed):
    feed(water.device, T0, {"w01001": 7.5, "w01009": 6.2, "w01018": 18.0, "w21003": 0.6, "w21011": 0.15})
    hour = agg("WQ01", "hour", T0)
    assert hour.water_class == 3 and hour.compliant is True and hour.limiting == ["COD", "NH3N", "TP"]
    assert hour.means["COD"] == 18.0
    assert not Alert.objects.exists()


def test_flagged_readings_are_kept_but_not_evaluated(water, feed):
    from chengyun.monitoring.models import Reading

    for flag in "FMSDCTB":
        feed(water.device, T0 + dt.timedelta(minutes="FMSDCTB".index(flag) + 1), {"w21003": (9.0, flag)}, cn="2011")
    feed(water.device, T0 + dt.timedelta(minutes=30), {"w21003": 0.3}, cn="2011")
    hour = agg("WQ01", "hour", T0)
    assert hour.means == {"NH3N": 0.3} and hour.excluded == 7 and hour.water_class == 2
    assert Reading.objects.filter(device=water.device).count() == 8
    assert not Alert.objects.filter(kind=Alert.Kind.SUDDEN_JUMP).exists()


def test_daily_data_judges_a_day_that_has_no_hours(water, feed):
    day = T0.replace(hour=0)
    feed(water.device, day, {"w01018": 35.0, "w21003": 0.4}, cn="2031")
    d = agg("WQ01", "day", day)
    assert d.water_class == 5 and d.compliant is False and d.means == {"COD": 35.0, "NH3N": 0.4}
    assert agg("WQ01", "month", day.replace(day=1)).water_class == 5
    assert not Aggregate.objects.filter(period="hour").exists()
    alert = Alert.objects.get(kind=Alert.Kind.TARGET_EXCEEDED)
    assert "日均值为Ⅴ类" in alert.message
    # Where a day has hours, they decide; the daily value fills only the factors they lack.
    feed(water.device, T0, {"w01018": 12.0})
    d = agg("WQ01", "day", day)
    assert d.means == {"COD": 12.0, "NH3N": 0.4} and d.water_class == 2


def test_reevaluate_includes_daily_data(water, feed):
    from chengyun.water import services

    day = T0.replace(hour=0)
    feed(water.device, day, {"w01018": 35.0}, cn="2031")
    Aggregate.objects.all().delete()
    services.reevaluate(water.section, day, day)
    assert agg("WQ01", "day", day).means == {"COD": 35.0}


def test_latest_class_skips_an_hour_with_only_flagged_data(water, feed):
    from chengyun.water import queries

    feed(water.device, T0, {"w01018": 35.0})
    feed(water.device, T0 + dt.timedelta(hours=1), {"w01018": (12.0, "C")})  # a calibration hour
    latest = queries.latest_aggregates("section", ["WQ01"])["WQ01"]
    assert latest.start == T0 and latest.water_class == 5
    props = queries.section_features([water.section])["features"][0]["properties"]
    assert props["label"] == "Ⅴ" and props["at"] == T0.astimezone(dt.timezone.utc).isoformat()


def test_hourly_data_outranks_realtime_in_the_same_hour(water, feed):
    feed(water.device, T0 + dt.timedelta(minutes=5), {"w01018": 35.0}, cn="2011")
    feed(water.device, T0, {"w01018": 16.0}, cn="2061")
    assert agg("WQ01", "hour", T0).means["COD"] == 16.0


def test_lake_and_river_judge_tp_differently(water, feed):
    values = {"w21011": 0.1, "w01018": 10.0}
    feed(water.device, T0, values)
    feed(water.lake_device, T0, values)
    assert agg("WQ01", "hour", T0).water_class == 2
    lake = agg("WQ02", "hour", T0)
    assert lake.water_class == 4 and lake.compliant is False and lake.limiting == ["TP"]


def test_day_and_month_roll_up_from_hours(water, feed):
    for h, cod in ((0, 10.0), (1, 30.0)):
        feed(water.device, T0 + dt.timedelta(hours=h), {"w01018": cod})
    day_start = T0.replace(hour=0)
    day = agg("WQ01", "day", day_start)
    assert day.means["COD"] == 20.0 and day.water_class == 3
    month = agg("WQ01", "month", day_start.replace(day=1))
    assert month.means["COD"] == 20.0 and month.sums["COD"] == [20.0, 1]


def test_evaluation_is_idempotent(water, feed):
    values = {"w01018": 35.0, "w21003": 1.2}
    rows = feed(water.device, T0, values)
    before = list(Aggregate.objects.values_list("period", "sums", "water_class"))
    alert = Alert.objects.get(kind=Alert.Kind.TARGET_EXCEEDED)
    from chengyun.water import services

    services.on_readings_stored(water.device, rows)
    services.on_readings_stored(water.device, rows)
    assert list(Aggregate.objects.values_list("period", "sums", "water_class")) == before
    alert.refresh_from_db()
    assert alert.occurrences == 1 and Alert.objects.count() == 1


def test_target_exceeded_alert_counts_repeats_per_hour(water, feed):
    feed(water.device, T0, {"w01018": 35.0})
    feed(water.device, T0 + dt.timedelta(hours=1), {"w01018": 36.0})
    alert = Alert.objects.get(kind=Alert.Kind.TARGET_EXCEEDED)
    assert alert.occurrences == 2 and alert.section == water.section and alert.factor == "COD"
    assert "Ⅴ类" in alert.message and "超过目标Ⅲ类" in alert.message


def test_sudden_jump(water, feed):
    feed(water.device, T0, {"w21003": 0.30})
    feed(water.device, T0 + dt.timedelta(hours=1), {"w21003": 0.35})  # small change: no alert
    assert not Alert.objects.filter(kind=Alert.Kind.SUDDEN_JUMP).exists()
    feed(water.device, T0 + dt.timedelta(hours=2), {"w21003": 1.10})
    jump = Alert.objects.get(kind=Alert.Kind.SUDDEN_JUMP)
    assert jump.factor == "NH3N" and jump.value == 1.1 and jump.threshold == 0.35


def test_tiny_relative_change_below_floor_is_not_a_jump(water, feed):
    # 0.02 → 0.06 mg/L ammonia triples but stays far inside class Ⅰ–Ⅱ.
    feed(water.device, T0, {"w21003": 0.02})
    feed(water.device, T0 + dt.timedelta(hours=1), {"w21003": 0.06})
    assert not Alert.objects.filter(kind=Alert.Kind.SUDDEN_JUMP).exists()


def test_hook_is_wired_to_monitoring_storage(water, django_capture_on_commit_callbacks):
    from chengyun.monitoring import services as monitoring
    from chengyun.standards import hj212

    frame = hj212.build(st="21", cn="2061", pw="123456", mn=water.device.mn, data_time=dt.datetime(2026, 11, 20, 9, 0),
                        factors={"w01018": {"Avg": 12.0, "Flag": "N"}, "w21003": {"Avg": 0.2, "Flag": "N"}})
    with django_capture_on_commit_callbacks(execute=True):
        monitoring.store_packet(water.device, hj212.parse(frame))
    hour = agg("WQ01", "hour", dt.datetime(2026, 11, 20, 9, 0, tzinfo=CN))
    assert hour.water_class == 2 and hour.means == {"COD": 12.0, "NH3N": 0.2}


def test_unlinked_device_is_ignored(water, feed):
    from chengyun.monitoring import services as monitoring

    dev = monitoring.create_device(None, mn="FREE000000000001", password="123456", st="21", name="未关联")
    feed(dev, T0, {"w01018": 50.0})
    assert not Aggregate.objects.exists() and not Alert.objects.exists()


def test_reevaluate_matches_incremental(water, feed):
    from chengyun.water import services

    for h, (cod, nh3) in enumerate(((12.0, 0.2), (25.0, 0.4), (14.0, (2.5, "D")), (13.0, 0.3))):
        feed(water.device, T0 + dt.timedelta(hours=h), {"w01018": cod, "w21003": nh3})
    incremental = sorted(Aggregate.objects.values_list("period", "start", "sums", "water_class", "compliant", "excluded"))
    alerts = sorted(Alert.objects.values_list("kind", "occurrences"))
    Aggregate.objects.all().delete()
    hours = services.reevaluate(water.section, T0 - dt.timedelta(days=1), T0 + dt.timedelta(days=1))
    assert hours == 4
    assert sorted(Aggregate.objects.values_list("period", "start", "sums", "water_class", "compliant", "excluded")) == incremental
    assert sorted(Alert.objects.values_list("kind", "occurrences")) == alerts


def test_linking_a_device_later_judges_its_history(water, api_client, make_user):
    from django.utils import timezone

    from chengyun.monitoring import services as monitoring
    from chengyun.monitoring.models import Reading

    dev = monitoring.create_device(None, mn="LATE000000000001", password="123456", st="21", name="后接入水站")
    for h in range(3):
        Reading.objects.create(device=dev, cn="2061", factor="w01018", data_time=T0 + dt.timedelta(hours=h), value=35.0, flag="N",
                               received_at=timezone.now())
    client = api_client.as_user(make_user("ops_dispatcher"))
    r = client.post("water/sites/section/WQ02/devices", {"mn": dev.mn})
    assert r.status_code == 200 and r.json()["hours_evaluated"] == 3
    assert agg("WQ02", "day", T0.replace(hour=0)).water_class == 5
    alert = Alert.objects.get(kind=Alert.Kind.TARGET_EXCEEDED, section=water.lake_section)
    assert alert.occurrences == 3
    assert api_client.as_user(water.chief_user).post("water/sites/section/WQ02/devices", {"mn": dev.mn}).status_code == 403


def test_no_jump_across_a_long_gap(water, feed):
    feed(water.device, T0, {"w21003": 0.3})
    feed(water.device, T0 + dt.timedelta(hours=7), {"w21003": 1.2})  # nothing in between: no baseline
    assert not Alert.objects.filter(kind=Alert.Kind.SUDDEN_JUMP).exists()
    feed(water.device, T0 + dt.timedelta(hours=8), {"w21003": 0.3})
    assert Alert.objects.filter(kind=Alert.Kind.SUDDEN_JUMP).count() == 1


def test_aggregates_api(water, feed, api_client, make_user):
    feed(water.device, T0, {"w01018": 18.0, "w21003": 0.4})
    client = api_client.as_user(make_user("ops_acceptor"))
    r = client.get("water/sites/section/WQ01/aggregates", {"period": "hour", "start": "2026-11-20T00:00:00+08:00", "end": "2026-11-21T00:00:00+08:00"})
    assert r.status_code == 200
    (hour,) = r.json()
    assert hour["label"] == "Ⅲ" and hour["compliant"] is True and hour["means"] == {"COD": 18.0, "NH3N": 0.4}
    assert client.get("water/sites/section/NOPE/aggregates").status_code == 404


def test_single_reading_judgement():
    from chengyun.water.evaluation import judge

    assert judge("river", "w21011", 0.1) == 2 and judge("lake", "w21011", 0.1) == 4
    assert judge("river", "w20111", 0.1) == 3  # mercury 0.1 µg/L = 0.0001 mg/L: class Ⅲ exactly
    assert judge("river", "w20115", 5.0) == 2  # cadmium 5 µg/L = 0.005 mg/L: the better of classes Ⅱ–Ⅳ
    assert judge("river", "w20120", 50.0) == 3  # lead 50 µg/L = 0.05 mg/L
    assert judge("river", "w00000", 5.0) is None and judge("river", "w21001", 3.0) is None  # flow; TN not for rivers
