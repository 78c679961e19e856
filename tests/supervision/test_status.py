"""The red-yellow-green rule at its boundary dates (docs/supervision.md)."""
import datetime as dt

import pytest

from chengyun.supervision.status import GREEN, RED, YELLOW, MilestoneState, Thresholds, evaluate, planned_progress

D = dt.date
START, DEADLINE = D(2026, 3, 1), D(2026, 6, 30)
T = Thresholds(lag_points=10, due_soon_days=3)


def ev(today, milestones, **kw):
    return evaluate(today=today, start=START, deadline=DEADLINE, milestones=milestones, thresholds=T, **kw)


def test_planned_progress_is_linear_between_milestones():
    ms = [MilestoneState("排查", D(2026, 3, 31), 30), MilestoneState("整治", D(2026, 5, 31), 70)]
    assert planned_progress(ms, START, DEADLINE, D(2026, 3, 1)) == 0
    assert planned_progress(ms, START, DEADLINE, D(2026, 3, 31)) == pytest.approx(30)
    # Halfway between 3-31 and 5-31 (61 days): 30 + 70 * 30/61.
    assert planned_progress(ms, START, DEADLINE, D(2026, 4, 30)) == pytest.approx(30 + 70 * 30 / 61)
    assert planned_progress(ms, START, DEADLINE, D(2026, 7, 1)) == pytest.approx(100)


def test_without_milestones_the_plan_runs_from_start_to_deadline():
    assert planned_progress([], START, DEADLINE, D(2026, 3, 1)) == 0
    assert planned_progress([], START, DEADLINE, DEADLINE) == 100


@pytest.mark.parametrize("today,expected", [
    (D(2026, 4, 10), GREEN),   # 5 days before: outside the 3-day window (progress on plan)
    (D(2026, 4, 11), GREEN),   # 4 days before
    (D(2026, 4, 12), YELLOW),  # exactly 3 days before: due soon
    (D(2026, 4, 15), YELLOW),  # on the planned date: due today, not yet late
    (D(2026, 4, 16), RED),     # the day after: overdue
])
def test_milestone_due_and_overdue_boundaries(today, expected):
    # Overall progress measured exactly at plan, so only the date rule decides.
    m_date = D(2026, 4, 15)
    ms = [MilestoneState("a", m_date, 1, progress=90), MilestoneState("b", DEADLINE, 1)]
    plan = planned_progress(ms, START, DEADLINE, today)
    result = ev(today, ms, measured=plan)
    assert result.status == expected, result.reasons


def test_done_milestone_is_never_late():
    ms = [MilestoneState("a", D(2026, 4, 15), 1, done=True), MilestoneState("b", DEADLINE, 1)]
    assert ev(D(2026, 4, 20), ms, measured=60).status == GREEN


@pytest.mark.parametrize("lag,expected", [(9.9, GREEN), (10.0, GREEN), (10.1, YELLOW)])
def test_lag_threshold_is_exclusive(lag, expected):
    today = D(2026, 5, 1)
    ms = [MilestoneState("全部", DEADLINE, 1)]
    plan = planned_progress(ms, START, DEADLINE, today)
    assert ev(today, ms, measured=plan - lag).status == expected


def test_deadline_boundary():
    ms = [MilestoneState("全部", DEADLINE, 1, progress=99)]
    assert ev(DEADLINE, ms).status == YELLOW  # due today
    late = ev(DEADLINE + dt.timedelta(days=1), ms)
    assert late.status == RED
    assert "已超过完成时限" in late.reasons[0] and "1天" in late.reasons[0]


def test_completed_is_green_whatever_the_dates():
    assert ev(D(2026, 8, 1), [MilestoneState("全部", DEADLINE, 1)], completed=True).status == GREEN


def test_thresholds_are_configurable():
    ms = [MilestoneState("a", D(2026, 4, 20), 1, progress=50)]
    today = D(2026, 4, 13)  # 7 days before
    assert evaluate(today=today, start=START, deadline=DEADLINE, milestones=ms, measured=100, thresholds=Thresholds(10, 3)).status == GREEN
    assert evaluate(today=today, start=START, deadline=DEADLINE, milestones=ms, measured=100, thresholds=Thresholds(10, 7)).status == YELLOW
