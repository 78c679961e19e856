"""Verdicts per indicator and unit: 达标 / 不达标 against the target value, and the trend against
the same unit's value of the previous year (较上年改善 / 恶化 / 持平).

Indicators are paired across years by code, so a 2025 value compares with the 2024 value of
the indicator with the same code in that year's set.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable

from django.utils.translation import gettext_lazy as _

from ..models import Indicator, Measurement

MET, UNMET, NO_TARGET = "met", "unmet", "no_target"
IMPROVED, WORSENED, SAME = "improved", "worsened", "same"
STATUS_LABELS = {MET: _("达标"), UNMET: _("不达标"), NO_TARGET: _("未设目标")}
TREND_LABELS = {IMPROVED: _("较上年改善"), WORSENED: _("较上年恶化"), SAME: _("与上年持平")}
TREND_ARROWS = {IMPROVED: "▲", WORSENED: "▼", SAME: "＝"}
EPS = 1e-9


@dataclass(frozen=True)
class Verdict:
    status: str
    trend: str | None

    @property
    def status_label(self) -> str:
        return str(STATUS_LABELS[self.status])

    @property
    def trend_label(self) -> str:
        return str(TREND_LABELS[self.trend]) if self.trend else ""

    @property
    def arrow(self) -> str:
        return TREND_ARROWS.get(self.trend or "", "")


def judge(direction: str, target: float | None, value: float, previous: float | None = None) -> Verdict:
    lower = direction == Indicator.Direction.LOWER
    if target is None:
        status = NO_TARGET
    elif lower:
        status = MET if value <= target + EPS else UNMET
    else:
        status = MET if value >= target - EPS else UNMET
    trend = None
    if previous is not None:
        if abs(value - previous) <= EPS:
            trend = SAME
        else:
            trend = IMPROVED if (value < previous) == lower else WORSENED
    return Verdict(status, trend)


def fails(indicator: Indicator, value: float) -> bool:
    return judge(indicator.direction, indicator.target_value, value).status == UNMET


def previous_values(year: int, codes: Iterable[str] | None = None, unit_kind: str | None = None) -> dict[tuple[str, str, str], float]:
    qs = Measurement.objects.filter(year=year - 1)
    if codes is not None:
        qs = qs.filter(indicator__code__in=list(codes))
    if unit_kind:
        qs = qs.filter(unit_kind=unit_kind)
    return {(c, k, u): v for c, k, u, v in qs.values_list("indicator__code", "unit_kind", "unit_code", "value")}


@dataclass(frozen=True)
class Row:
    indicator: Indicator
    measurement: Measurement
    previous: float | None
    verdict: Verdict


def evaluate(year: int, *, unit_kind: str | None = None, indicator_code: str | None = None,
             measurements=None) -> list[Row]:
    """Every measurement of the year (optionally one unit kind / indicator) with its verdict."""
    qs = measurements if measurements is not None else Measurement.objects.all()
    qs = qs.filter(year=year).select_related("indicator", "indicator__indicator_set", "indicator__responsible_unit")
    if unit_kind:
        qs = qs.filter(unit_kind=unit_kind)
    if indicator_code:
        qs = qs.filter(indicator__code=indicator_code)
    ms = list(qs.order_by("indicator__order", "indicator__code", "unit_kind", "unit_code"))
    prev = previous_values(year, {m.indicator.code for m in ms}, unit_kind)
    rows = []
    for m in ms:
        p = prev.get((m.indicator.code, m.unit_kind, m.unit_code))
        rows.append(Row(m.indicator, m, p, judge(m.indicator.direction, m.indicator.target_value, m.value, p)))
    return rows
