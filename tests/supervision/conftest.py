import datetime as dt

import pytest

from chengyun.people import roles as R

# A Tuesday in an ordinary working week.
DAY = dt.date(2026, 3, 10)


@pytest.fixture
def fixed_today(monkeypatch):
    """Pin the supervision services' "today" (status evaluation) to a date of the test's choosing."""
    from chengyun.supervision import services

    state = {"day": DAY}
    monkeypatch.setattr(services.dates, "today", lambda: state["day"])

    def set_day(day):
        state["day"] = day
    return set_day


@pytest.fixture
def ops(make_user):
    return make_user(R.OPS_SHIFT_LEADER, unit="OPS")


@pytest.fixture
def handler_d01(make_user):
    return make_user(R.DEPT_HANDLER, unit="D01")


@pytest.fixture
def handler_d02(make_user):
    return make_user(R.DEPT_HANDLER, unit="D02")


@pytest.fixture
def road_task(ops, units, fixed_today):
    from chengyun.supervision import services

    return services.create_task(
        ops, title="道路塌陷隐患整改", source="整改要求", category="road_collapse", lead_unit=units["D01"],
        start_date=dt.date(2026, 3, 1), deadline=dt.date(2026, 6, 30),
        milestones=[("隐患排查", dt.date(2026, 3, 31), 30), ("隐患整治", dt.date(2026, 5, 31), 60), ("验收销号", dt.date(2026, 6, 30), 10)],
        links=[("cases.case", "20260301000123")])
