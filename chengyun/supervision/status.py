"""The red-yellow-green rule (红黄绿), in one function. Django-free; docs/supervision.md states it.

Plan: each milestone is planned to advance linearly from the previous milestone's planned date
(the task's start date for the first) to its own planned date; planned progress is the
weighted sum of those fractions. Actual progress is the weighted sum of the milestones'
reported percentages — or, for a task bound to a measurable target, the target's done/total.

    red     a milestone's planned date has passed (planned date < today) and it is not done,
            or the deadline has passed (deadline < today) and the task is not completed;
    yellow  progress lags plan by more than `lag_points` percentage points (planned − actual > lag),
            or an undone milestone is due within `due_soon_days` days (0 ≤ planned date − today ≤ N);
    green   otherwise, and always once the task is completed.

A date "passes" the day after it: on a milestone's planned date the milestone is due, not late.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Sequence

GREEN, YELLOW, RED = "green", "yellow", "red"


@dataclass(frozen=True)
class Thresholds:
    lag_points: float = 10.0  # percentage points of lag tolerated before yellow
    due_soon_days: int = 3


@dataclass(frozen=True)
class MilestoneState:
    name: str
    planned_date: dt.date
    weight: float = 1.0
    progress: float = 0.0  # 0..100
    done: bool = False

    @property
    def is_done(self) -> bool:
        return self.done or self.progress >= 100


@dataclass(frozen=True)
class Evaluation:
    status: str
    reasons: tuple[str, ...] = field(default_factory=tuple)
    planned: float = 0.0  # percent
    actual: float = 0.0  # percent

    @property
    def reason(self) -> str:
        return "；".join(self.reasons)


def _fraction(today: dt.date, begin: dt.date, end: dt.date) -> float:
    if today >= end:
        return 1.0
    if today <= begin:
        return 0.0
    return (today - begin).days / (end - begin).days


def planned_progress(milestones: Sequence[MilestoneState], start: dt.date, deadline: dt.date, today: dt.date) -> float:
    """Percent of the work that should be done by the end of `today`'s plan."""
    if not milestones:
        return 100.0 * _fraction(today, start, deadline)
    total = sum(m.weight for m in milestones) or 1.0
    done = 0.0
    previous = start
    for m in sorted(milestones, key=lambda m: m.planned_date):
        done += m.weight * _fraction(today, min(previous, m.planned_date), m.planned_date)
        previous = max(previous, m.planned_date)
    return 100.0 * done / total


def actual_progress(milestones: Sequence[MilestoneState]) -> float:
    if not milestones:
        return 0.0
    total = sum(m.weight for m in milestones) or 1.0
    return sum(m.weight * (100.0 if m.is_done else min(max(m.progress, 0.0), 100.0)) for m in milestones) / total


def _md(d: dt.date) -> str:
    return f"{d.month}月{d.day}日"


def evaluate(*, today: dt.date, start: dt.date, deadline: dt.date, milestones: Sequence[MilestoneState],
             completed: bool = False, measured: float | None = None, thresholds: Thresholds = Thresholds()) -> Evaluation:
    """Status of a task on `today`. `measured` (0..100) replaces the milestones' reported progress."""
    planned = planned_progress(milestones, start, deadline, today)
    actual = measured if measured is not None else (actual_progress(milestones) if milestones else 0.0)
    if completed:
        return Evaluation(GREEN, ("已完成",), 100.0, 100.0)
    red: list[str] = []
    yellow: list[str] = []
    for m in sorted(milestones, key=lambda m: m.planned_date):
        if m.is_done:
            continue
        days = (m.planned_date - today).days
        if days < 0:
            red.append(f"节点“{m.name}”计划{_md(m.planned_date)}完成，已逾期{-days}天")
        elif days <= thresholds.due_soon_days:
            yellow.append(f"节点“{m.name}”{'今天' if days == 0 else f'{days}天后'}到期，尚未完成")
    if deadline < today:
        red.insert(0, f"已超过完成时限（{_md(deadline)}）{(today - deadline).days}天")
    lag = planned - actual
    if lag > thresholds.lag_points:
        yellow.insert(0, f"进度滞后计划{lag:.0f}个百分点（计划{planned:.0f}%，实际{actual:.0f}%）")
    if red:
        return Evaluation(RED, tuple(red + yellow), planned, actual)
    if yellow:
        return Evaluation(YELLOW, tuple(yellow), planned, actual)
    return Evaluation(GREEN, ("按计划推进",), planned, actual)
