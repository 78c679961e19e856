"""Judging readings by GB 3838 and keeping hourly, daily and monthly aggregates.

Each valid reading is judged (factor class, sudden jump, dry-weather flow); the hours a batch
touched are rebuilt from the stored readings, then their days from the hours and their
months from the days — so judging the same data twice changes nothing. Readings flagged
F/M/S/D/C/T/B stay stored and are counted, but never evaluated.

This module finds the evidence (``Event``) and keeps the aggregates; it raises no alert
itself. ``services.readings`` runs it for monitoring's hook and for a site's history and
hands the events to ``services.alerts.raise_alert`` — so the dependency runs one way:
models ← evaluation ← services.
"""
from __future__ import annotations

import datetime as dt
import logging
from collections import defaultdict
from dataclasses import dataclass
from typing import Any, Iterable

from django.db import transaction

from chengyun.standards import gb3838

from .factors import FLOW, factor_key, factor_name, factor_unit, standard_value  # noqa: F401  (factor_unit: the pages read it from here)
from .models import Aggregate, Alert, Outfall, RainDay, Section
from .rules import rule

logger = logging.getLogger("chengyun.water.evaluation")

SHANGHAI = dt.timezone(dt.timedelta(hours=8))

# Readings carrying these HJ 212 data flags are kept but not evaluated: F 停运, M 维护,
# S 手工输入, D 故障, C 校准, T 超测量上限, B 通讯异常.
EXCLUDED_FLAGS = frozenset("FMSDCTB")

# Within an hour, the most processed data type wins: an hourly mean (2061) over minute
# means (2051) over real-time values (2011) over grab samples (LAB). Daily data (2031)
# does not make hours: it stands in for the factors a day's hours lack (a station that
# reports only daily means is still judged, by the day).
CN_PRIORITY = {"2061": 0, "2051": 1, "2011": 2, "LAB": 3}
DAILY_CN = "2031"
DAILY_PRIORITY = {DAILY_CN: 0}


def is_valid(reading: Any) -> bool:
    return reading.value is not None and (reading.flag or "N")[:1] not in EXCLUDED_FLAGS


def judge(body: str, code: str, value: float) -> int | None:
    """The GB 3838 class of one factor value, or None when the standard has no limit for it."""
    key = factor_key(code)
    limit = gb3838.LIMITS[body].get(key)
    return limit.classify(standard_value(code, value)) if limit else None


# ---------------------------------------------------------------- wet and dry days

def wet_dates(start: dt.date, end: dt.date) -> set[dt.date]:
    """Dates in [start, end] that count as wet: rain days and the lag days after them."""
    lag = int(rule("rain_lag_days"))
    wet: set[dt.date] = set()
    for d in RainDay.objects.filter(date__gte=start - dt.timedelta(days=lag), date__lte=end, rained=True).values_list("date", flat=True):
        for k in range(lag + 1):
            wet.add(d + dt.timedelta(days=k))
    return wet


def is_dry(moment: dt.datetime) -> bool:
    day = moment.astimezone(SHANGHAI).date()
    return day not in wet_dates(day, day)


# ---------------------------------------------------------------- a batch of readings

def evaluate_batch(site: Section | Outfall, mn: str, readings: Iterable[Any]) -> list[Event]:
    """Rebuild the hours (and daily data days) a batch of one device touched and return the
    evidence for alerts it holds: sudden jumps, dry-weather flow, target class exceeded."""
    readings = list(readings)
    if not readings:
        return []
    valid = [r for r in readings if is_valid(r)]
    events = _jump_events(site, mn, valid)
    if isinstance(site, Outfall) and site.kind == Outfall.Kind.RAIN:
        events += _dry_flow_events(site, mn, valid)
    hours = sorted({floor_hour(r.data_time) for r in readings if r.cn in CN_PRIORITY})
    daily = sorted({day_start(r.data_time) for r in readings if r.cn == DAILY_CN})
    if hours or daily:
        judged = {Aggregate.Period.HOUR} | ({Aggregate.Period.DAY} if daily else set())
        events += [_target_event(site, agg) for agg in rebuild(site, hours, days=daily)
                   if agg.period in judged and agg.compliant is False and (agg.period == Aggregate.Period.HOUR or agg.start in daily)]
    return events


# ---------------------------------------------------------------- alert rules

@dataclass(frozen=True)
class Event:
    """One piece of evidence for an alert; events of the same alert key are raised together."""

    kind: str
    at: dt.datetime
    message: str
    factor: str = ""
    value: float | None = None
    threshold: float | None = None
    device_mn: str = ""
    dedup_factor: str | None = None

    @property
    def key(self) -> tuple[str, str]:
        return self.kind, self.factor if self.dedup_factor is None else self.dedup_factor


def _previous_valid(mn: str, before: dt.datetime) -> dict[tuple[str, str], Any]:
    """The last valid reading of each (cn, factor) of a device in the hours before `before`.

    One query for all factors. A value older than the look-back is no baseline: a change
    across a long gap in the data is not "sudden"."""
    from chengyun.monitoring import services as monitoring

    window = dt.timedelta(hours=int(rule("jump_lookback_hours")))
    found: dict[tuple[str, str], Any] = {}
    qs = (monitoring.readings(mn=mn, start=before - window, end=before).filter(value__isnull=False)
          .exclude(flag__in=sorted(EXCLUDED_FLAGS)).select_related(None).order_by("-data_time").only("cn", "factor", "value", "data_time", "flag"))
    for r in qs.iterator(chunk_size=500):
        found.setdefault((r.cn, r.factor), r)
    return found


def jump_floor(body: str, key: str) -> float:
    limit = gb3838.LIMITS[body].get(key)
    if limit is not None and limit.cmp == "le":
        return limit.threshold(3) * float(rule("jump_floor_fraction"))
    return float(rule("jump_floor_other"))


def is_jump(previous: float, current: float, floor: float) -> bool:
    """A rise or a fall by `jump_ratio` of the lower of the two values (so doubling and halving
    count alike), and by at least `floor`."""
    change = abs(current - previous)
    return change >= floor and change >= float(rule("jump_ratio")) * max(min(abs(previous), abs(current)), floor)


def watched_for_jumps(body: str, code: str) -> bool:
    """Pollutant concentrations and dissolved oxygen. Not flow (rain and production move it by
    design), temperature (a daily swing) or pH (logarithmic: its class says enough)."""
    limit = gb3838.LIMITS[body].get(factor_key(code))
    return limit is not None and limit.cmp in ("le", "ge")


def _jump_events(site, mn: str, valid: list[Any]) -> list[Event]:
    body = site.water_body.gb3838_body
    series: dict[tuple[str, str], list[Any]] = defaultdict(list)
    for r in valid:
        if watched_for_jumps(body, r.factor):
            series[(r.cn, r.factor)].append(r)
    events: list[Event] = []
    if not series:
        return events
    baseline = _previous_valid(mn, min(r.data_time for rows in series.values() for r in rows))
    for (cn, code), rows in series.items():
        rows.sort(key=lambda r: r.data_time)
        prev = baseline.get((cn, code))
        key = factor_key(code)
        floor = jump_floor(body, key)
        for r in rows:
            if prev is not None:
                a, b = standard_value(code, prev.value), standard_value(code, r.value)
                if is_jump(a, b, floor):
                    events.append(Event(
                        Alert.Kind.SUDDEN_JUMP, r.data_time, factor=key, value=b, threshold=a, device_mn=mn,
                        message=f"{factor_name(key)}由 {a:g} 突变为 {b:g}（{r.data_time.astimezone(SHANGHAI):%m-%d %H:%M}，设备 {mn}）",
                    ))
            prev = r
    return events


def _dry_flow_events(outfall: Outfall, mn: str, valid: list[Any]) -> list[Event]:
    threshold = float(rule("dry_flow_min_lps"))
    flows = [r for r in valid if r.factor == FLOW and r.value > threshold]
    if not flows:
        return []
    days = {r.data_time.astimezone(SHANGHAI).date() for r in flows}
    wet = wet_dates(min(days), max(days))
    return [
        Event(Alert.Kind.DRY_WEATHER_FLOW, r.data_time, factor="flow", value=r.value, threshold=threshold, device_mn=mn,
              message=f"雨水排口旱天出流：{r.data_time.astimezone(SHANGHAI):%m-%d %H:%M} 流量 {r.value:g} L/s，"
                      f"当日及前 {rule('rain_lag_days')} 日无降雨记录，疑似污水混接或偷排")
        for r in flows if r.data_time.astimezone(SHANGHAI).date() not in wet
    ]


@dataclass(frozen=True)
class Overflow:
    """One overflow at a combined outfall as a batch (or a history) shows it: the sightings of
    flow over the weir, and when it was seen to be over (None: still spilling, or not known yet)."""

    events: list[Event]
    ended_at: dt.datetime | None


def overflow_episodes(outfall: Outfall, mn: str, valid: list[Any], spilling_since: dt.datetime | None) -> list[Overflow]:
    """The overflows in one device's valid flow readings at a combined outfall, in time order.

    A flow above ``overflow_min_lps`` is a sighting; a flow at or below it at least
    ``overflow_end_minutes`` after the last sighting ends the overflow. ``spilling_since`` is the
    last sighting of the overflow still open before these readings (its end may be in them: an
    episode without sightings)."""
    if outfall.kind != Outfall.Kind.COMBINED:
        return []
    threshold = float(rule("overflow_min_lps"))
    quiet = dt.timedelta(minutes=int(rule("overflow_end_minutes")))
    flows = sorted((r for r in valid if r.factor == FLOW), key=lambda r: r.data_time)
    episodes: list[Overflow] = []
    current: list[Event] = []
    last = spilling_since
    for r in flows:
        if r.value > threshold:
            current.append(Event(
                Alert.Kind.OUTFALL_OVERFLOW, r.data_time, factor="flow", value=r.value, threshold=threshold, device_mn=mn,
                message=f"合流制溢流口溢流：{r.data_time.astimezone(SHANGHAI):%m-%d %H:%M} 流量 {r.value:g} L/s（设备 {mn}）",
            ))
            last = r.data_time if last is None else max(last, r.data_time)
        elif last is not None and r.data_time - last >= quiet:
            episodes.append(Overflow(current, r.data_time))
            current, last = [], None
    if current:
        episodes.append(Overflow(current, None))
    return episodes


def _target_event(section: Section, agg: Aggregate) -> Event:
    names = "、".join(factor_name(k) for k in agg.limiting)
    when = (f"{agg.start.astimezone(SHANGHAI):%m-%d %H}时 小时均值" if agg.period == Aggregate.Period.HOUR
            else f"{agg.start.astimezone(SHANGHAI):%m-%d} 日均值")
    return Event(
        Alert.Kind.TARGET_EXCEEDED, agg.start, factor=agg.limiting[0] if agg.limiting else "", dedup_factor="",
        value=agg.means.get(agg.limiting[0]) if agg.limiting else None, threshold=float(section.target_class),
        message=f"{when}为{gb3838.LABELS[agg.water_class]}类，超过目标{section.target_label}类；定类因子：{names}",
    )


# ---------------------------------------------------------------- aggregates

def floor_hour(t: dt.datetime) -> dt.datetime:
    return t.astimezone(dt.timezone.utc).replace(minute=0, second=0, microsecond=0)


def day_start(t: dt.datetime) -> dt.datetime:
    local = t.astimezone(SHANGHAI)
    return local.replace(hour=0, minute=0, second=0, microsecond=0)


def month_start(t: dt.datetime) -> dt.datetime:
    return day_start(t).replace(day=1)


def next_month(t: dt.datetime) -> dt.datetime:
    return t.replace(year=t.year + (t.month == 12), month=t.month % 12 + 1)


def _hour_readings(site, start: dt.datetime, end: dt.datetime, cn: str | None = None) -> list[tuple[str, str, float | None, str]]:
    from chengyun.monitoring import services as monitoring

    return list(monitoring.readings(site_kind=site.SITE_KIND, site_code=site.code, cn=cn, start=start, end=end)
                .values_list("cn", "factor", "value", "flag"))


def hour_sums(rows: Iterable[tuple[str, str, float | None, str]],
              priority: dict[str, int] = CN_PRIORITY) -> tuple[dict[str, list[float]], int]:
    """{key: [sum, count]} of the valid values of the best data type per factor, and how many were excluded."""
    best: dict[str, int] = {}
    kept: list[tuple[str, str, float]] = []
    excluded = 0
    for cn, code, value, flag in rows:
        if cn not in priority:
            continue
        if value is None or (flag or "N")[:1] in EXCLUDED_FLAGS:
            excluded += 1
            continue
        key = factor_key(code)
        best[key] = min(best.get(key, 9), priority[cn])
        kept.append((cn, code, value))
    sums: dict[str, list[float]] = {}
    for cn, code, value in kept:
        key = factor_key(code)
        if priority[cn] != best[key]:
            continue
        s = sums.setdefault(key, [0.0, 0])
        s[0] += standard_value(code, value)
        s[1] += 1
    return sums, excluded


def _means(sums: dict[str, list[float]]) -> dict[str, float]:
    return {k: round(s / n, 6) for k, (s, n) in sums.items() if n}


def _classify(site, means: dict[str, float]) -> tuple[int | None, list[str]]:
    if not isinstance(site, Section):
        return None, []
    body = site.water_body.gb3838_body
    values = {k: v for k, v in means.items() if k in gb3838.LIMITS[body]}
    if not values:
        return None, []
    result = gb3838.classify(values, body)
    return result.water_class, list(result.limiting)


def _store(site, period: str, start: dt.datetime, sums: dict[str, list[float]], excluded: int) -> Aggregate | None:
    if not sums and not excluded:
        Aggregate.objects.filter(site_kind=site.SITE_KIND, site_code=site.code, period=period, start=start).delete()
        return None
    fresh = _aggregate(site, period, start, sums, excluded)
    fields = {f: getattr(fresh, f) for f in ("sums", "means", "water_class", "limiting", "target_class", "compliant", "excluded")}
    agg, _ = Aggregate.objects.update_or_create(site_kind=site.SITE_KIND, site_code=site.code, period=period, start=start, defaults=fields)
    return agg


def _roll_up(site, child_period: str, period: str, start: dt.datetime, end: dt.datetime) -> Aggregate | None:
    """A day from its hours (and its daily data), a month from its days: the mean of the children's means."""
    children = list(Aggregate.objects.filter(site_kind=site.SITE_KIND, site_code=site.code, period=child_period, start__gte=start, start__lt=end))
    sums, excluded = _sum_means(children)
    if period == Aggregate.Period.DAY:
        sums, excluded = with_daily_data(sums, excluded, _hour_readings(site, start, end, cn=DAILY_CN))
    return _store(site, period, start, sums, excluded)


def with_daily_data(sums: dict[str, list[float]], excluded: int,
                    daily_rows: Iterable[tuple[str, str, float | None, str]]) -> tuple[dict[str, list[float]], int]:
    """A day's sums from its hours, completed by its daily values (CN 2031) for the factors no hour has."""
    daily, daily_excluded = hour_sums(daily_rows, DAILY_PRIORITY)
    merged = dict(sums)
    for key, s in daily.items():
        merged.setdefault(key, s)
    return merged, excluded + daily_excluded


def rebuild(site: Section | Outfall, hours: Iterable[dt.datetime], days: Iterable[dt.datetime] = ()) -> list[Aggregate]:
    """Recompute the given hours of a site and the days and months that contain them (and the given days)."""
    changed: list[Aggregate] = []
    hours = sorted(set(floor_hour(h) for h in hours))
    with transaction.atomic():
        for h in hours:
            sums, excluded = hour_sums(_hour_readings(site, h, h + dt.timedelta(hours=1)))
            agg = _store(site, Aggregate.Period.HOUR, h, sums, excluded)
            if agg is not None:
                changed.append(agg)
        days = sorted({day_start(h) for h in hours} | {day_start(d) for d in days})
        for d in days:
            agg = _roll_up(site, Aggregate.Period.HOUR, Aggregate.Period.DAY, d, d + dt.timedelta(days=1))
            if agg is not None:
                changed.append(agg)
        for m in sorted({month_start(d) for d in days}):
            agg = _roll_up(site, Aggregate.Period.DAY, Aggregate.Period.MONTH, m, next_month(m))
            if agg is not None:
                changed.append(agg)
    return changed


def evaluate_history(site: Section | Outfall, start: dt.datetime, end: dt.datetime) -> tuple[int, list[Event]]:
    """Judge a site's stored history again in one pass (``services.reevaluate``: after linking
    a device to it, or changing its target class): rebuilds every hour and day of the local
    days covering [start, end) and the months holding them, and applies the alert rules to
    the valid readings in time order. Returns the hours rebuilt and the alert evidence."""
    from chengyun.monitoring import services as monitoring

    start, end = day_start(start), day_start(end) + dt.timedelta(days=1)
    rows = list(monitoring.readings(site_kind=site.SITE_KIND, site_code=site.code, start=start, end=end)
                .values_list("device__mn", "cn", "factor", "data_time", "value", "flag"))
    by_hour: dict[dt.datetime, list[tuple[str, str, float | None, str]]] = defaultdict(list)
    daily_rows: dict[dt.datetime, list[tuple[str, str, float | None, str]]] = defaultdict(list)
    by_device: dict[str, list[Any]] = defaultdict(list)
    for mn, cn, code, when, value, flag in rows:
        if cn in CN_PRIORITY:
            by_hour[floor_hour(when)].append((cn, code, value, flag))
        elif cn == DAILY_CN:
            daily_rows[day_start(when)].append((cn, code, value, flag))
        by_device[mn].append(_Row(cn, code, when, value, flag))
    hours = [_aggregate(site, Aggregate.Period.HOUR, h, *hour_sums(hour_rows)) for h, hour_rows in sorted(by_hour.items())]
    # Whole days are in this pass, so each day is rolled up here from its hours and daily data.
    per_day: dict[dt.datetime, list[Aggregate]] = {d: [] for d in daily_rows}
    for h in hours:
        per_day.setdefault(day_start(h.start), []).append(h)
    days = [_aggregate(site, Aggregate.Period.DAY, d, *with_daily_data(*_sum_means(children), daily_rows.get(d, ())))
            for d, children in sorted(per_day.items())]
    with transaction.atomic():
        Aggregate.objects.filter(site_kind=site.SITE_KIND, site_code=site.code, period__in=["hour", "day"],
                                 start__gte=start, start__lt=end).delete()
        Aggregate.objects.bulk_create(hours + days, batch_size=1000)
        for m in sorted({month_start(d.start) for d in days}):
            _roll_up(site, Aggregate.Period.DAY, Aggregate.Period.MONTH, m, next_month(m))
    events: list[Event] = []
    for mn, device_rows in by_device.items():
        valid = [r for r in device_rows if is_valid(r)]
        events += _jump_events(site, mn, valid)
        if isinstance(site, Outfall) and site.kind == Outfall.Kind.RAIN:
            events += _dry_flow_events(site, mn, valid)
    events += [_target_event(site, h) for h in hours if h.compliant is False]
    events += [_target_event(site, d) for d in days if d.start in daily_rows and d.compliant is False]
    return len(hours), events


def _sum_means(children: list[Aggregate]) -> tuple[dict[str, list[float]], int]:
    sums: dict[str, list[float]] = {}
    for child in children:
        for key, mean in child.means.items():
            s = sums.setdefault(key, [0.0, 0])
            s[0] += mean
            s[1] += 1
    return sums, sum(c.excluded for c in children)


def _aggregate(site, period: str, start: dt.datetime, sums: dict[str, list[float]], excluded: int) -> Aggregate:
    means = _means(sums)
    water_class, limiting = _classify(site, means)
    target = site.target_class if isinstance(site, Section) else None
    return Aggregate(site_kind=site.SITE_KIND, site_code=site.code, period=period, start=start, sums=sums, means=means,
                     water_class=water_class, limiting=limiting, target_class=target,
                     compliant=(water_class <= target) if (water_class and target) else None, excluded=excluded)


class _Row:
    """A stored reading as the alert rules read it."""

    __slots__ = ("cn", "factor", "data_time", "value", "flag")

    def __init__(self, cn: str, factor: str, data_time: dt.datetime, value: float | None, flag: str):
        self.cn, self.factor, self.data_time, self.value, self.flag = cn, factor, data_time, value, flag
