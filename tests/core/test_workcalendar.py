"""Working-time arithmetic.  Holiday facts checked against chinese_calendar 1.11:

2025 Spring Festival: 01-28..02-04 off; 01-26 (Sun) and 02-08 (Sat) are 调休 working days.
2025 National Day + Mid-autumn: 10-01..10-08 off; 09-28 (Sun) and 10-11 (Sat) working.
2024 National Day: 10-01..10-07 off; 09-29 (Sun) and 10-12 (Sat) working.
"""

from __future__ import annotations

import math
import time as clock
from datetime import date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

import chinese_calendar
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from chengyun.core.workcalendar import DEFAULT_WORKING_HOURS, UNITS, WorkCalendar

SH = ZoneInfo("Asia/Shanghai")
CAL = WorkCalendar()


def at(y: int, mo: int, d: int, h: int = 0, mi: int = 0) -> datetime:
    return datetime(y, mo, d, h, mi, tzinfo=SH)


# 2025-03-03 is an ordinary Monday.
MON = (2025, 3, 3)


def mon(h: int, mi: int = 0, plus_days: int = 0) -> datetime:
    return at(*MON, h, mi) + timedelta(days=plus_days)


def test_fixture_dates_match_library():
    assert chinese_calendar.is_workday(date(2025, 3, 3))
    assert chinese_calendar.is_workday(date(2025, 9, 28))  # Sunday 调休
    assert chinese_calendar.is_workday(date(2025, 10, 11))  # Saturday 调休
    assert not any(chinese_calendar.is_workday(date(2025, 10, d)) for d in range(1, 9))
    assert chinese_calendar.is_workday(date(2025, 1, 26)) and chinese_calendar.is_workday(date(2025, 2, 8))
    assert not chinese_calendar.is_workday(date(2025, 9, 27))


# -- is_workday -------------------------------------------------------------

def test_is_workday_uses_library_and_makeup_days():
    assert CAL.is_workday(date(2025, 3, 3))
    assert not CAL.is_workday(date(2025, 3, 8))  # Saturday
    assert CAL.is_workday(date(2025, 9, 28))  # Sunday 调休
    assert not CAL.is_workday(date(2025, 10, 6))  # Monday, Mid-autumn
    assert CAL.is_workday(date(2024, 10, 12))  # Saturday 调休


def test_is_workday_falls_back_to_weekdays_beyond_library_data():
    with pytest.raises(NotImplementedError):
        chinese_calendar.is_workday(date(2035, 1, 1))
    assert CAL.is_workday(date(2035, 1, 1))  # Monday; the real holiday is unknown
    assert not CAL.is_workday(date(2035, 1, 6))  # Saturday


def test_overrides_take_precedence():
    cal = WorkCalendar(overrides={date(2025, 3, 3): False, date(2025, 3, 8): True, date(2035, 1, 1): False})
    assert not cal.is_workday(date(2025, 3, 3))
    assert cal.is_workday(date(2025, 3, 8))
    assert not cal.is_workday(date(2035, 1, 1))
    # Friday 16:00 + 4 work hours now runs into the Saturday made a working day.
    assert cal.add(at(2025, 3, 7, 16), 4, "work_hour") == at(2025, 3, 8, 10)


def test_is_workday_accepts_aware_datetime_as_local_date():
    # 2025-03-02 20:00 UTC is Monday 04:00 in Shanghai.
    assert CAL.is_workday(datetime(2025, 3, 2, 20, tzinfo=timezone.utc))
    with pytest.raises(ValueError):
        CAL.is_workday(datetime(2025, 3, 3, 8))


@pytest.mark.parametrize(
    "overrides",
    [{datetime(2025, 3, 3, tzinfo=SH): False}, {date(2025, 3, 3): 0}, {"2025-03-03": False}],
)
def test_bad_overrides_rejected(overrides):
    with pytest.raises(ValueError):
        WorkCalendar(overrides=overrides)


# -- work_hour / work_day basics ----------------------------------------------

def test_deadline_at_period_end_stays_there():
    assert CAL.add(mon(8), 4, "work_hour") == mon(12)
    assert CAL.add(mon(8), 8, "work_hour") == mon(18)
    assert CAL.add(mon(8), 1, "work_day") == mon(18)


def test_one_work_day_is_same_clock_time_next_working_day():
    assert CAL.add(mon(10), 1, "work_day") == mon(10, plus_days=1)
    assert CAL.add(mon(15, 30), 1, "work_day") == mon(15, 30, plus_days=1)


def test_across_lunch_break():
    assert CAL.add(mon(11), 2, "work_hour") == mon(15)
    assert CAL.add(mon(11, 30), 1.5, "work_hour") == mon(15)
    assert CAL.add(mon(11), 1, "work_hour") == mon(12)


@pytest.mark.parametrize(
    ("start", "expected"),
    [
        (mon(7), mon(9)),  # before work
        (mon(12), mon(15)),  # at the start of lunch
        (mon(12, 30), mon(15)),  # during lunch
        (mon(18), mon(9, plus_days=1)),  # at close
        (mon(19), mon(9, plus_days=1)),  # evening
        (mon(23, 59), mon(9, plus_days=1)),
        (at(2025, 3, 8, 10), mon(9, plus_days=7)),  # Saturday
        (at(2025, 3, 9, 10), mon(9, plus_days=7)),  # Sunday
    ],
)
def test_start_outside_working_hours_counts_from_next_period(start, expected):
    assert CAL.add(start, 1, "work_hour") == expected


def test_across_weekend():
    assert CAL.add(at(2025, 3, 7, 16), 4, "work_hour") == at(2025, 3, 10, 10)
    assert CAL.add(at(2025, 3, 7, 10), 1, "work_day") == at(2025, 3, 10, 10)
    assert CAL.add(at(2025, 3, 7, 10), 5, "work_day") == at(2025, 3, 14, 10)


def test_fractional_amounts():
    assert CAL.add(mon(8), 0.5, "work_day") == mon(12)
    assert CAL.add(mon(10), 0.5, "work_day") == mon(16)
    assert CAL.add(mon(8), 0.25, "work_hour") == mon(8, 15)
    assert CAL.add(mon(8), 1 / 3600, "work_hour") == mon(8) + timedelta(seconds=1)


def test_zero_amount_is_start_itself():
    assert CAL.add(mon(10), 0, "work_hour") == mon(10)
    assert CAL.add(mon(20), 0, "work_day") == mon(20)


# -- holidays -----------------------------------------------------------------

def test_national_day_2025():
    # Tue 09-30 16:00: 2 h that day, then 10-01..10-08 off, 6 h on Thu 10-09.
    assert CAL.add(at(2025, 9, 30, 16), 1, "work_day") == at(2025, 10, 9, 16)
    assert CAL.add(at(2025, 10, 3, 10), 1, "work_hour") == at(2025, 10, 9, 9)


def test_makeup_sunday_2025_09_28():
    # Fri 09-26 16:00: 2 h Friday, Saturday off, Sunday 09-28 is a working day.
    assert CAL.add(at(2025, 9, 26, 16), 4, "work_hour") == at(2025, 9, 28, 10)


def test_makeup_saturday_2025_10_11():
    assert CAL.add(at(2025, 10, 10, 16), 4, "work_hour") == at(2025, 10, 11, 10)
    assert CAL.add(at(2025, 10, 10, 10), 1, "work_day") == at(2025, 10, 11, 10)


def test_spring_festival_2025():
    # Mon 01-27 10:00 + 1 work_day: 6 h Monday, 01-28..02-04 off, 2 h Wed 02-05.
    assert CAL.add(at(2025, 1, 27, 10), 1, "work_day") == at(2025, 2, 5, 10)
    # Fri 02-07 16:00 + 4 h: Saturday 02-08 is a 调休 working day.
    assert CAL.add(at(2025, 2, 7, 16), 4, "work_hour") == at(2025, 2, 8, 10)
    # Sat 01-25 is off, Sun 01-26 is a working day.
    assert CAL.add(at(2025, 1, 24, 17), 2, "work_hour") == at(2025, 1, 26, 9)


def test_national_day_2024():
    assert CAL.add(at(2024, 9, 27, 17), 2, "work_hour") == at(2024, 9, 29, 9)
    assert CAL.add(at(2024, 9, 30, 10), 1, "work_day") == at(2024, 10, 8, 10)
    assert CAL.add(at(2024, 10, 11, 10), 1, "work_day") == at(2024, 10, 12, 10)


# -- continuous units -----------------------------------------------------------

def test_urgent_hour_is_continuous_clock():
    assert CAL.add(at(2025, 3, 7, 17), 2, "urgent_hour") == at(2025, 3, 7, 19)
    assert CAL.add(at(2025, 3, 7, 23), 10, "urgent_hour") == at(2025, 3, 8, 9)
    assert CAL.add(at(2025, 10, 1, 3), 0.5, "urgent_hour") == at(2025, 10, 1, 3, 30)


def test_natural_day_is_24h_multiples():
    assert CAL.add(at(2025, 9, 30, 10), 3, "natural_day") == at(2025, 10, 3, 10)
    assert CAL.add(at(2025, 9, 30, 10), 0.5, "natural_day") == at(2025, 9, 30, 22)


# -- pauses (挂账) ---------------------------------------------------------------

def test_closed_pause_is_excluded():
    pauses = [(mon(9), mon(10))]
    assert CAL.add(mon(8), 4, "work_hour", pauses) == mon(15)
    assert CAL.add(mon(8), 2, "urgent_hour", pauses) == mon(11)


def test_pause_outside_working_time_changes_nothing_for_work_units():
    pauses = [(mon(12), mon(14)), (mon(19), mon(7, plus_days=1))]
    assert CAL.add(mon(10), 1, "work_day", pauses) == mon(10, plus_days=1)
    # ...but it does for the continuous clock.
    assert CAL.add(mon(10), 4, "urgent_hour", pauses) == mon(16)


def test_pause_before_start_is_clamped():
    assert CAL.add(mon(10), 1, "work_hour", [(mon(7), mon(11))]) == mon(12)


def test_overlapping_and_unsorted_pauses_merge():
    pauses = [(mon(10), mon(11)), (mon(8, 30), mon(9, 30)), (mon(9), mon(10, 30))]
    # Paused 08:30-11:00 -> 0.5 h before, 1 h after until 12:00, then 14:00.
    assert CAL.add(mon(8), 2, "work_hour", pauses) == mon(14, 30)


def test_open_pause_before_deadline_means_unknown():
    assert CAL.add(mon(8), 4, "work_hour", [(mon(9), None)]) is None
    assert CAL.add(mon(8), 4, "urgent_hour", [(mon(9), None)]) is None
    assert CAL.add(mon(8), 1, "work_hour", [(mon(7), None)]) is None


def test_open_pause_after_deadline_does_not_matter():
    assert CAL.add(mon(8), 4, "work_hour", [(mon(13), None)]) == mon(12)
    assert CAL.add(mon(8), 4, "work_hour", [(mon(12), None)]) == mon(12)


def test_pause_in_other_timezone():
    pauses = [(datetime(2025, 3, 3, 1, tzinfo=timezone.utc), datetime(2025, 3, 3, 2, tzinfo=timezone.utc))]
    assert CAL.add(mon(8), 4, "work_hour", pauses) == mon(15)


def test_invalid_pauses():
    with pytest.raises(ValueError, match="before it starts"):
        CAL.add(mon(8), 1, "work_hour", [(mon(10), mon(9))])
    with pytest.raises(ValueError, match="naive"):
        CAL.add(mon(8), 1, "work_hour", [(datetime(2025, 3, 3, 9), None)])
    with pytest.raises(ValueError, match="pair"):
        CAL.add(mon(8), 1, "work_hour", [(mon(9),)])  # type: ignore[list-item]


# -- elapsed / used_fraction / working_seconds_between -----------------------------

def test_working_seconds_between():
    assert CAL.working_seconds_between(mon(7), mon(19)) == 8 * 3600
    assert CAL.working_seconds_between(mon(11), mon(15)) == 2 * 3600
    assert CAL.working_seconds_between(at(2025, 9, 30, 0), at(2025, 10, 9, 0)) == 8 * 3600
    assert CAL.working_seconds_between(mon(15), mon(11)) == 0
    assert CAL.working_seconds_between(mon(8), mon(12), [(mon(9), None)]) == 3600


def test_elapsed_units():
    assert CAL.elapsed(mon(8), mon(12), "work_hour") == 4
    assert CAL.elapsed(mon(8), mon(12), "work_day") == 0.5
    assert CAL.elapsed(mon(8), mon(12), "urgent_hour") == 4
    assert CAL.elapsed(mon(8), mon(8, plus_days=2), "natural_day") == 2
    assert CAL.elapsed(mon(12), mon(8), "work_hour") == 0
    # An open pause counts as paused up to the measuring instant.
    assert CAL.elapsed(mon(8), mon(12), "work_hour", [(mon(10), None)]) == 2


def test_used_fraction_for_early_warning():
    start = at(2025, 9, 30, 10)
    deadline = CAL.add(start, 1, "work_day")
    assert deadline == at(2025, 10, 9, 10)
    # Over the holiday no working time passes, so the fraction stands still.
    assert CAL.used_fraction(start, deadline, at(2025, 9, 30, 18), "work_day") == 0.75
    assert CAL.used_fraction(start, deadline, at(2025, 10, 5, 12), "work_day") == 0.75
    assert CAL.used_fraction(start, deadline, at(2025, 10, 9, 8, 24), "work_day") == pytest.approx(0.8)
    assert CAL.used_fraction(start, deadline, deadline, "work_day") == 1
    assert CAL.used_fraction(start, deadline, at(2025, 10, 9, 12), "work_day") == 1.25
    assert CAL.used_fraction(start, deadline, at(2025, 9, 1), "work_day") == 0


def test_used_fraction_zero_length_limit():
    assert CAL.used_fraction(mon(10), mon(10), mon(9), "work_hour") == 0.0
    assert CAL.used_fraction(mon(10), mon(10), mon(10), "work_hour") == 1.0


# -- validation ------------------------------------------------------------------

def test_naive_datetimes_rejected():
    naive = datetime(2025, 3, 3, 8)
    with pytest.raises(ValueError, match="naive"):
        CAL.add(naive, 1, "work_hour")
    with pytest.raises(ValueError, match="naive"):
        CAL.elapsed(mon(8), naive, "work_hour")
    with pytest.raises(ValueError, match="naive"):
        CAL.working_seconds_between(naive, mon(9))
    with pytest.raises(ValueError, match="naive"):
        CAL.used_fraction(mon(8), mon(12), naive, "work_hour")


@pytest.mark.parametrize("amount", [-1, -0.001, math.nan, math.inf, True, "2", None])
def test_bad_amounts_rejected(amount):
    with pytest.raises(ValueError):
        CAL.add(mon(8), amount, "work_hour")  # type: ignore[arg-type]


@pytest.mark.parametrize("unit", ["hour", "workday", "WORK_HOUR", "", "小时"])
def test_unknown_unit_named(unit):
    with pytest.raises(ValueError, match=f"unknown time-limit unit {unit!r}"):
        CAL.add(mon(8), 1, unit)
    with pytest.raises(ValueError, match="unknown time-limit unit"):
        CAL.elapsed(mon(8), mon(9), unit)


# -- configuration -----------------------------------------------------------------

def test_output_is_aware_in_calendar_zone_even_for_utc_input():
    start = datetime(2025, 3, 3, 0, tzinfo=timezone.utc)  # 08:00 Shanghai
    result = CAL.add(start, 4, "work_hour")
    assert result == mon(12)
    assert result is not None and result.utcoffset() == timedelta(hours=8)
    assert result.tzinfo is not None and str(result.tzinfo) == "Asia/Shanghai"


def test_custom_working_hours_define_work_day_length():
    cal = WorkCalendar(working_hours=[(time(8, 30), time(12)), (time(13, 30), time(17, 30))])
    assert cal.work_day_seconds == 7.5 * 3600
    assert cal.add(mon(8, 30), 1, "work_day") == mon(17, 30)
    assert cal.add(mon(10), 1, "work_day") == mon(10, plus_days=1)
    assert cal.add(mon(12, 15), 1, "work_hour") == mon(14, 30)


def test_explicit_work_day_hours():
    cal = WorkCalendar(working_hours=[(time(9), time(17))], work_day_hours=4)
    assert cal.add(mon(9), 1, "work_day") == mon(13)
    assert cal.add(mon(9), 2.5, "work_day") == mon(11, plus_days=1)


@pytest.mark.parametrize(
    "hours",
    [
        [],
        [(time(12), time(8))],
        [(time(8), time(12)), (time(11), time(15))],
        [(time(14), time(18)), (time(8), time(12))],
        [("08:00", "12:00")],
    ],
)
def test_bad_working_hours_rejected(hours):
    with pytest.raises(ValueError):
        WorkCalendar(working_hours=hours)


def test_default_working_hours():
    assert DEFAULT_WORKING_HOURS == ((time(8), time(12)), (time(14), time(18)))
    assert CAL.work_day_seconds == 8 * 3600
    assert set(UNITS) == {"urgent_hour", "work_hour", "work_day", "natural_day"}


def test_all_days_closed_fails_loudly(monkeypatch):
    import chengyun.core.workcalendar as wc

    monkeypatch.setattr(wc, "_MAX_WALK_DAYS", 30)
    closed = {date(2025, 3, 1) + timedelta(days=i): False for i in range(60)}
    with pytest.raises(RuntimeError, match="overrides"):
        WorkCalendar(overrides=closed).add(mon(8), 1, "work_hour")


# -- performance ---------------------------------------------------------------------

def test_sixty_work_days_is_fast():
    cal = WorkCalendar()  # cold cache
    t0 = clock.perf_counter()
    deadline = cal.add(at(2025, 9, 1, 9), 60, "work_day")
    elapsed = clock.perf_counter() - t0
    assert elapsed < 0.5  # ~5 ms; walks days, not minutes
    assert deadline is not None
    assert cal.elapsed(at(2025, 9, 1, 9), deadline, "work_day") == pytest.approx(60)


# -- properties ----------------------------------------------------------------------

starts = st.datetimes(
    min_value=datetime(2024, 1, 1), max_value=datetime(2026, 11, 30), timezones=st.just(SH)
).map(lambda d: d.replace(microsecond=0))
amounts = {
    "work_hour": st.floats(min_value=0, max_value=200, allow_nan=False),
    "work_day": st.floats(min_value=0, max_value=60, allow_nan=False),
    "urgent_hour": st.floats(min_value=0, max_value=500, allow_nan=False),
    "natural_day": st.floats(min_value=0, max_value=30, allow_nan=False),
}


@settings(max_examples=150, deadline=None)
@given(st.sampled_from(sorted(amounts)), st.data())
def test_elapsed_inverts_add(unit, data):
    start = data.draw(starts)
    x = data.draw(amounts[unit])
    deadline = CAL.add(start, x, unit)
    assert deadline is not None and deadline >= start
    assert CAL.elapsed(start, deadline, unit) == pytest.approx(x, abs=1e-6)


@settings(max_examples=100, deadline=None)
@given(
    st.sampled_from(["work_hour", "work_day", "urgent_hour"]),
    st.data(),
    st.lists(st.tuples(st.integers(0, 20 * 24 * 60), st.integers(1, 3 * 24 * 60)), max_size=4),
)
def test_elapsed_inverts_add_with_pauses(unit, data, raw_pauses):
    start = data.draw(starts)
    x = data.draw(st.floats(min_value=0, max_value=20, allow_nan=False))
    pauses = [(start + timedelta(minutes=a), start + timedelta(minutes=a + b)) for a, b in raw_pauses]
    deadline = CAL.add(start, x, unit, pauses)
    assert deadline is not None
    assert CAL.elapsed(start, deadline, unit, pauses) == pytest.approx(x, abs=1e-6)
    # The deadline is the earliest such instant: a second earlier, less is used.
    if x > 0:
        assert CAL.elapsed(start, deadline - timedelta(seconds=1), unit, pauses) < x


@settings(max_examples=100, deadline=None)
@given(starts, st.floats(0, 30, allow_nan=False), st.floats(0, 30, allow_nan=False))
def test_add_is_monotonic_in_amount(start, x, y):
    assume(x != y)
    lo, hi = sorted((x, y))
    a = CAL.add(start, lo, "work_hour")
    b = CAL.add(start, hi, "work_hour")
    assert a is not None and b is not None and a <= b
