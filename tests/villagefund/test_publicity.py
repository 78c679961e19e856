"""Publicity end dates: calendar days by default, working days when configured, across weekends
and a public holiday (the working calendar: chinese-calendar plus overrides)."""
from __future__ import annotations

import datetime as dt

import pytest

from chengyun.villagefund import rules


def test_calendar_days_count_the_first_day_and_run_through_weekends():
    # Friday 2026-06-05 + 10 calendar days (day 1 = the 5th) ends on Sunday the 14th.
    assert rules.publicity_end(dt.date(2026, 6, 5), 10, rules.CALENDAR_DAYS) == dt.date(2026, 6, 14)
    assert rules.publicity_end(dt.date(2026, 6, 6), 1, rules.CALENDAR_DAYS) == dt.date(2026, 6, 6)


def test_working_days_skip_weekends():
    weekdays = lambda d: d.weekday() < 5  # noqa: E731
    # Friday the 5th is working day 1; the 8th–12th are 2–6, the 15th–18th are 7–10.
    assert rules.publicity_end(dt.date(2026, 6, 5), 10, rules.WORKING_DAYS, weekdays) == dt.date(2026, 6, 18)
    # Starting on Saturday: the period counts from Monday the 8th and ends on Friday the 19th.
    assert rules.publicity_end(dt.date(2026, 6, 6), 10, rules.WORKING_DAYS, weekdays) == dt.date(2026, 6, 19)
    assert rules.publicity_end(dt.date(2026, 6, 6), 1, rules.WORKING_DAYS, weekdays) == dt.date(2026, 6, 8)


@pytest.mark.django_db
def test_working_days_on_the_district_calendar_skip_the_national_holiday(settings):
    """National Day 2025 (1–8 October off, 28 September and 11 October worked): from Friday 26
    September, ten working days are 26, 28, 29, 30 Sept and 9, 10, 11, 13, 14, 15 October."""
    settings.VILLAGEFUND_PUBLICITY_COUNTS = rules.WORKING_DAYS
    assert rules.publicity_end(dt.date(2025, 9, 26)) == dt.date(2025, 10, 15)


@pytest.mark.django_db
def test_an_override_of_the_calendar_moves_the_end(settings):
    from chengyun.core.calendar import set_override

    settings.VILLAGEFUND_PUBLICITY_COUNTS = rules.WORKING_DAYS
    settings.VILLAGEFUND_PUBLICITY_DAYS = 3
    assert rules.publicity_end(dt.date(2026, 6, 10)) == dt.date(2026, 6, 12)  # Wed, Thu, Fri
    set_override(None, dt.date(2026, 6, 11), False, "停电检修")
    assert rules.publicity_end(dt.date(2026, 6, 10)) == dt.date(2026, 6, 15)  # Wed, Fri, Mon


def test_a_bad_setting_is_refused(settings):
    settings.VILLAGEFUND_PUBLICITY_COUNTS = "lunar"
    with pytest.raises(ValueError):
        rules.publicity_counts()


@pytest.mark.django_db
def test_publishing_sets_the_period_the_project_json_carries(fund, make_project, advance, today, api_client, settings):
    settings.VILLAGEFUND_PUBLICITY_DAYS = 10
    today.set(dt.date(2026, 6, 5))
    p = advance(make_project(), "publicity")
    data = api_client.as_user(fund.cadre).get(f"villagefund/projects/{p.pk}").json()
    assert (data["state"], data["publicity_start"], data["publicity_end"]) == ("publicity", "2026-06-05", "2026-06-14")
