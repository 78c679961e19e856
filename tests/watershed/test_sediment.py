"""Sediment load = SS concentration × flow, integrated by day and year, against a hand-computed day."""
from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

SH = ZoneInfo("Asia/Shanghai")


def test_hourly_load_is_concentration_times_flow():
    from chengyun.watershed.services.sediment import hourly_load

    # 100 mg/L × 500 L/s = 50 000 mg/s; an hour: 180 000 000 mg = 180 kg; 1.8 m³ per second-hour… 500 L/s × 3600 s = 1800 m³.
    assert hourly_load(100, 500) == pytest.approx((180.0, 1800.0))


def test_a_day_by_hand():
    """24 hours: 12 at 100 mg/L × 500 L/s (180 kg, 1800 m³ each), 12 at 40 mg/L × 250 L/s (36 kg, 900 m³ each):
    12 × 180 + 12 × 36 = 2592 kg = 2.592 t; 12 × 1800 + 12 × 900 = 32 400 m³."""
    from chengyun.watershed.services.sediment import day_loads

    start = dt.datetime(2026, 7, 1, 0, tzinfo=SH)
    hours = [(start + dt.timedelta(hours=h), 100.0 if h < 12 else 40.0, 500.0 if h < 12 else 250.0) for h in range(24)]
    (day,) = day_loads(hours, SH)
    assert day.day == dt.date(2026, 7, 1)
    assert day.sediment_t == pytest.approx(2.592)
    assert day.runoff_m3 == pytest.approx(32400)
    assert day.hours == 24


def test_a_gap_takes_the_days_mean_rate_and_hours_without_both_factors_do_not_count():
    from chengyun.watershed.services.sediment import day_loads

    start = dt.datetime(2026, 7, 2, 0, tzinfo=SH)
    hours = [(start + dt.timedelta(hours=h), 100.0, 500.0) for h in range(6)] + [(start + dt.timedelta(hours=7), None, 500.0)]
    (day,) = day_loads(hours, SH)
    assert day.hours == 6
    assert day.sediment_t == pytest.approx(180 * 24 / 1000)


def _device(mn="SS0001", site="DM05"):
    from chengyun.monitoring.models import Device

    return Device.objects.create(mn=mn, password="123456", name="出口站", site_kind="section", site_code=site)


@pytest.mark.django_db
def test_from_monitoring_readings_to_day_and_year(watershed, outlet):
    """The stored readings (HJ 212 w01012 and w00000, hourly CN 2061) give the same day as by hand; flagged hours are left out."""
    from django.utils import timezone

    from chengyun.monitoring.models import Reading
    from chengyun.watershed.models import HydroRecord
    from chengyun.watershed.services import sediment

    device = _device()
    start = dt.datetime(2026, 7, 1, 0, tzinfo=SH)
    rows = []
    for h in range(24):
        at = start + dt.timedelta(hours=h)
        ss, q = (100.0, 500.0) if h < 12 else (40.0, 250.0)
        rows += [Reading(device=device, cn="2061", factor="w01012", data_time=at, value=ss, received_at=timezone.now()),
                 Reading(device=device, cn="2061", factor="w00000", data_time=at, value=q, received_at=timezone.now())]
    # A calibration hour (flag C) the next day is not valid data.
    rows.append(Reading(device=device, cn="2061", factor="w01012", data_time=start + dt.timedelta(days=1), value=9999, flag="C", received_at=timezone.now()))
    Reading.objects.bulk_create(rows)
    watershed.outlet = outlet
    watershed.save()
    sediment.compute_from_monitoring(None, watershed, dt.date(2026, 7, 1), dt.date(2026, 7, 2))
    day = HydroRecord.objects.get(watershed=watershed, period="day")
    assert day.sediment_t == pytest.approx(2.592) and day.runoff_m3 == pytest.approx(32400) and day.source == "monitoring"
    year = HydroRecord.objects.get(watershed=watershed, period="year")
    assert year.start == dt.date(2026, 1, 1) and year.sediment_t == pytest.approx(2.592)
    # Again: idempotent.
    sediment.compute_from_monitoring(None, watershed, dt.date(2026, 7, 1), dt.date(2026, 7, 2))
    assert HydroRecord.objects.filter(watershed=watershed).count() == 2


@pytest.mark.django_db
def test_entered_year_and_the_target(watershed):
    from chengyun.core.errors import Invalid
    from chengyun.watershed.services import sediment

    sediment.enter_year(None, watershed, 2024, sediment_t=1300, runoff_m3=8_500_000)
    sediment.enter_year(None, watershed, 2025, sediment_t=1100, runoff_m3=12_000_000)
    rows = {r["year"]: r for r in sediment.yearly(watershed)}
    assert rows[2024]["sediment_ok"] is False and rows[2024]["runoff_ok"] is True  # 850 万 m³ within 800 ± 20 %
    assert rows[2025]["sediment_ok"] is True and rows[2025]["runoff_ok"] is False  # 1200 万 m³ beyond 960
    with pytest.raises(Invalid) as e:
        sediment.enter_year(None, watershed, 2025, sediment_t=-1, runoff_m3=1)
    assert e.value.detail["field"] == "sediment_t"
