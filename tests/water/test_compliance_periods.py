"""River-chief patrol compliance for any past month and year, by the rules in force then, and
the month in progress shown "so far" (issue 17, wave 1)."""
import datetime as dt

import pytest
from django.utils import timezone

from chengyun.core.errors import Invalid
from chengyun.water import services
from chengyun.water.models import ChiefLevel

CN = dt.timezone(dt.timedelta(hours=8))
LONG = [[101.70, 36.50], [101.70, 36.52]]  # 2.2 km


def _patrol(user, reach, start, minutes=40):
    p = services.start_patrol(user, reach=reach, started_at=start)
    return services.finish_patrol(user, p, track={"type": "LineString", "coordinates": LONG}, ended_at=start + dt.timedelta(minutes=minutes))


@pytest.fixture
def ops(make_user):
    return make_user("ops_shift_leader")


def _mine(rows, chief):
    return next(r for r in rows if r.chief == chief)


def test_patrols_count_in_their_china_month_at_the_boundary(water):
    # 23:50 on 31 October and 00:10 on 1 November, China time (15:50 and 16:10 UTC on 31 October).
    _patrol(water.chief_user, water.reach, dt.datetime(2026, 10, 31, 23, 10, tzinfo=CN))
    _patrol(water.chief_user, water.reach, dt.datetime(2026, 11, 1, 0, 10, tzinfo=CN))
    _patrol(water.chief_user, water.reach, dt.datetime(2026, 11, 30, 23, 0, tzinfo=CN))
    assert _mine(services.compliance(2026, 10), water.chief).patrols == 1
    assert _mine(services.compliance(2026, 11), water.chief).patrols == 2
    assert _mine(services.compliance(2026, 9), water.chief).patrols == 0


def test_each_month_is_judged_by_the_rule_in_force_then(water, ops):
    services.set_patrol_rule(ops, ChiefLevel.STREET, patrols_per_month=1, min_duration_min=30, min_distance_m=1000,
                             effective_month=dt.date(2026, 9, 1))
    services.set_patrol_rule(ops, ChiefLevel.STREET, patrols_per_month=2, min_duration_min=60, min_distance_m=1000,
                             effective_month=dt.date(2026, 11, 1))
    for day in (dt.datetime(2026, 10, 5, 9, tzinfo=CN), dt.datetime(2026, 11, 5, 9, tzinfo=CN)):
        _patrol(water.chief_user, water.reach, day, minutes=40)
    october, november = _mine(services.compliance(2026, 10), water.chief), _mine(services.compliance(2026, 11), water.chief)
    assert (october.required, october.valid, october.status) == (1, 1, "compliant")
    assert (november.required, november.valid, november.status) == (2, 0, "not_compliant"), "40 minutes is short under November's rule"
    # August predates every saved rule: the default (街道级每月 3 次).
    assert _mine(services.compliance(2026, 8), water.chief).required == 3
    # The rules table shows the rule as it stands now.
    assert services.patrol_rule(ChiefLevel.STREET).patrols_per_month == 2


def test_a_rule_saved_now_applies_from_this_month_not_to_past_months(water, ops):
    services.set_patrol_rule(ops, ChiefLevel.STREET, patrols_per_month=7, min_duration_min=1, min_distance_m=1)
    today = timezone.localdate()
    assert _mine(services.compliance(today.year, today.month), water.chief).required == 7
    last = today.replace(day=1) - dt.timedelta(days=1)
    assert _mine(services.compliance(last.year, last.month), water.chief).required == 3
    with pytest.raises(Invalid):
        services.set_patrol_rule(ops, ChiefLevel.STREET, patrols_per_month=1, min_duration_min=1, min_distance_m=1,
                                 effective_month=today + dt.timedelta(days=40))


def test_early_in_the_month_a_shortfall_is_in_progress_not_a_failure(water):
    _patrol(water.chief_user, water.reach, dt.datetime(2026, 11, 1, 9, tzinfo=CN))
    second = dt.datetime(2026, 11, 2, 8, tzinfo=CN)
    row = _mine(services.compliance(2026, 11, now=second), water.chief)
    assert (row.valid, row.required, row.compliant, row.in_progress, row.status) == (1, 3, False, True, "in_progress")
    # Once the month is over, the same count is a failure.
    row = _mine(services.compliance(2026, 11, now=dt.datetime(2026, 12, 1, 0, 1, tzinfo=CN)), water.chief)
    assert (row.in_progress, row.status) == (False, "not_compliant")
    # The last minute of the month is still in it.
    assert _mine(services.compliance(2026, 11, now=dt.datetime(2026, 11, 30, 23, 59, tzinfo=CN)), water.chief).in_progress


def test_a_whole_year(water, ops):
    services.set_patrol_rule(ops, ChiefLevel.STREET, patrols_per_month=1, min_duration_min=30, min_distance_m=1000,
                             effective_month=dt.date(2025, 1, 1))
    for month in range(1, 13):
        if month != 6:
            _patrol(water.chief_user, water.reach, dt.datetime(2025, month, 10, 9, tzinfo=CN))
    year = _mine(services.year_compliance(2025), water.chief)
    assert (len(year.months), year.months_judged, year.months_met, year.patrols, year.required) == (12, 12, 11, 11, 12)
    assert year.status == "not_compliant" and year.months[5].status == "not_compliant"
    # The current year: finished months count, the month in progress is shown so far.
    mid = dt.datetime(2025, 3, 2, 10, tzinfo=CN)
    year = _mine(services.year_compliance(2025, now=mid), water.chief)
    assert (len(year.months), year.months_judged, year.months_met, year.in_progress, year.status) == (3, 2, 2, True, "in_progress")


def test_parse_period():
    now = dt.datetime(2026, 12, 2, 9, tzinfo=CN)
    assert services.parse_period(month="2026-11", now=now) == services.Period(2026, 11)
    assert services.parse_period(year="2025", now=now) == services.Period(2025)
    assert services.parse_period(month="11", year="2026", now=now) == services.Period(2026, 11)
    assert services.parse_period(now=now) == services.Period(2026, 12)
    for bad, code in ((dict(month="2026-13"), "invalid_month"), (dict(month="Nov"), "invalid_month"),
                      (dict(month="2027-01"), "future_period"), (dict(year="2027"), "future_period"), (dict(year="20x6"), "invalid_year")):
        with pytest.raises(Invalid) as e:
            services.parse_period(now=now, **bad)
        assert e.value.code == code


# ---------------------------------------------------------------- API

def test_api_month_and_year(water, api_client, make_user):
    _patrol(water.chief_user, water.reach, dt.datetime(2026, 10, 31, 23, 10, tzinfo=CN))
    _patrol(water.chief_user, water.reach, dt.datetime(2026, 11, 1, 0, 10, tzinfo=CN))
    client = api_client.as_user(make_user("ops_acceptor"))
    rows = client.get("water/compliance", {"month": "2026-11"}).json()
    mine = next(r for r in rows if r["person_id"] == water.chief_user.person.pk)
    assert (mine["period"], mine["patrols"], mine["required"], mine["status"], mine["in_progress"]) == ("2026-11", 1, 3, "not_compliant", False)
    mine = next(r for r in client.get("water/compliance", {"month": "2026-10"}).json() if r["person_id"] == water.chief_user.person.pk)
    assert mine["patrols"] == 1
    # The older year=&month= form still works.
    assert next(r for r in client.get("water/compliance", {"year": 2026, "month": 10}).json()
                if r["person_id"] == water.chief_user.person.pk)["period"] == "2026-10"
    rows = client.get("water/compliance", {"year": "2026"}).json()
    mine = next(r for r in rows if r["person_id"] == water.chief_user.person.pk)
    today = timezone.localdate()
    assert mine["period"] == "2026" and mine["patrols"] == 2 and len(mine["months"]) == (today.month if today.year == 2026 else 12)
    assert [m["month"] for m in mine["months"]][9:11] == ["2026-10", "2026-11"]
    assert mine["months"][10]["valid"] == 1 and mine["months_met"] == 0
    bad = client.get("water/compliance", {"month": "2026-13"})
    assert bad.status_code == 422 and bad.json()["code"] == "invalid_month"
    assert client.get("water/compliance", {"year": str(today.year + 1)}).json()["code"] == "future_period"


def test_api_current_month_is_so_far(water, api_client, make_user):
    today = timezone.localdate()
    _patrol(water.chief_user, water.reach, dt.datetime(today.year, today.month, 1, 0, 30, tzinfo=CN))
    rows = api_client.as_user(make_user("ops_acceptor")).get("water/compliance").json()
    mine = next(r for r in rows if r["person_id"] == water.chief_user.person.pk)
    assert (mine["period"], mine["in_progress"], mine["status"], mine["valid"]) == (f"{today:%Y-%m}", True, "in_progress", 1)


# ---------------------------------------------------------------- pages

@pytest.fixture
def ops_client(client, ops):
    client.force_login(ops)
    return client


def test_compliance_page_month_year_and_so_far(water, ops_client):
    _patrol(water.chief_user, water.reach, dt.datetime(2026, 10, 31, 23, 10, tzinfo=CN))
    html = ops_client.get("/water/compliance/?month=2026-10").content.decode()
    assert "2026 年 10 月巡河达标情况" in html and 'value="2026-10"' in html and 'data-status="not_compliant"' in html
    assert 'data-testid="so-far"' not in html and "?month=2026-09" in html and "?month=2026-11" in html
    html = ops_client.get("/water/compliance/?year=2025").content.decode()
    assert "2025 年巡河达标情况" in html and "0 / 12" in html
    today = timezone.localdate()
    html = ops_client.get("/water/compliance/").content.decode()
    assert 'data-testid="so-far"' in html and "本月至今" in html
    assert 'data-status="in_progress"' in html and 'data-status="not_compliant"' not in html
    html = ops_client.get("/water/compliance/?month=2099-01", follow=True).content.decode()
    assert "尚未开始" in html and f'value="{today:%Y-%m}"' in html


def test_chiefs_page_month_selector(water, ops_client):
    _patrol(water.chief_user, water.reach, dt.datetime(2026, 11, 1, 0, 10, tzinfo=CN))
    html = ops_client.get("/water/chiefs/?month=2026-11").content.decode()
    assert "2026 年 11 月的巡河情况" in html and 'data-testid="month-picker"' in html and "1 / 3" in html
    assert 'data-status="not_compliant"' in html
    html = ops_client.get("/water/chiefs/?month=2026-10").content.decode()
    assert "0 / 3" in html
    html = ops_client.get("/water/chiefs/").content.decode()
    assert 'data-status="in_progress"' in html and "本月至今" in html
    assert ops_client.get("/water/chiefs/?year=2025").url == "/water/compliance/?year=2025"
