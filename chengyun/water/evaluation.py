"""Judging readings by GB 3838 and keeping hourly, daily and monthly aggregates.

Monitoring calls ``on_readings_stored(device, readings)`` after it commits a batch. Each
valid reading is judged (factor class, sudden jump, dry-weather flow); the hours the batch
touched are rebuilt from the stored readings, then their days from the hours and their
months from the days — so running the hook twice on the same data changes nothing.
Readings flagged F/M/S/D/C/T/B stay stored and are counted, but never evaluated.
"""
from __future__ import annotations

import datetime as dt
import logging
from collections import defaultdict
from typing import Any, Iterable

from django.db import transaction

from chengyun.standards import gb3838

from . import services
from .models import Aggregate, Alert, Outfall, Section
from .rules import rule
from .services import EXCLUDED_FLAGS, FLOW, SHANGHAI

logger = logging.getLogger("chengyun.water.evaluation")

# Within an hour, the most processed data type wins: an hourly mean (2061) over minute
# means (2051) over real-time values (2011) over grab samples (LAB). Daily data (2031)
# does not make hours.
CN_PRIORITY = {"2061": 0, "2051": 1, "2011": 2, "LAB": 3}
FACTOR_NAMES = {"flow": "流量"}


def factor_key(code: str) -> str:
    """The key a factor is aggregated under: the GB 3838 key if the standard knows it."""
    if code == FLOW:
        return "flow"
    try:
        return gb3838.canonical_key(code)
    except ValueError:
        return code


def factor_name(key: str) -> str:
    info = gb3838.FACTORS.get(key)
    return info.name if info else FACTOR_NAMES.get(key, key)


def standard_value(code: str, value: float) -> float:
    """The value in the GB 3838 unit (µg/L codes become mg/L); other factors unchanged."""
    try:
        return gb3838.to_standard_unit(code, value)
    except ValueError:
        return float(value)


def is_valid(reading: Any) -> bool:
    return reading.value is not None and (reading.flag or "N")[:1] not in EXCLUDED_FLAGS


def judge(body: str, code: str, value: float) -> int | None:
    """The GB 3838 class of one factor value, or None when the standard has no limit for it."""
    key = factor_key(code)
    limit = gb3838.LIMITS[body].get(key)
    return limit.classify(standard_value(code, value)) if limit else None


# ---------------------------------------------------------------- the hook

def on_readings_stored(device: Any, readings: list[Any]) -> None:
    if device.site_kind not in ("section", "outfall") or not device.site_code:
        return
    site = services.site_by_code(device.site_kind, device.site_code)
    if site is None or not site.active:
        return
    evaluate(site, device.mn, readings)


def evaluate(site: Section | Outfall, mn: str, readings: Iterable[Any]) -> None:
    readings = list(readings)
    if not readings:
        return
    valid = [r for r in readings if is_valid(r)]
    _check_jumps(site, mn, valid)
    if isinstance(site, Outfall) and site.kind == Outfall.Kind.RAIN:
        _check_dry_weather_flow(site, mn, valid)
    hours = sorted({floor_hour(r.data_time) for r in readings if r.cn in CN_PRIORITY})
    if hours:
        rebuild(site, hours)


# ---------------------------------------------------------------- alert rules

def _previous_valid(mn: str, cn: str, code: str, before: dt.datetime) -> Any | None:
    from chengyun.monitoring import services as monitoring

    qs = (monitoring.readings(mn=mn, cn=cn, factor=code, end=before).filter(value__isnull=False)
          .exclude(flag__in=sorted(EXCLUDED_FLAGS)).order_by("-data_time"))
    return qs.first()


def jump_floor(body: str, key: str) -> float:
    limit = gb3838.LIMITS[body].get(key)
    if limit is not None and limit.cmp == "le":
        return limit.threshold(3) * float(rule("jump_floor_fraction"))
    return float(rule("jump_floor_other"))


def is_jump(previous: float, current: float, floor: float) -> bool:
    change = abs(current - previous)
    return change >= floor and change >= float(rule("jump_ratio")) * max(abs(previous), floor)


def _check_jumps(site, mn: str, valid: list[Any]) -> None:
    body = site.water_body.gb3838_body
    series: dict[tuple[str, str], list[Any]] = defaultdict(list)
    for r in valid:
        if r.factor.startswith("w01001"):  # pH is logarithmic: a jump is judged by its class, not its ratio
            continue
        series[(r.cn, r.factor)].append(r)
    for (cn, code), rows in series.items():
        rows.sort(key=lambda r: r.data_time)
        prev = _previous_valid(mn, cn, code, rows[0].data_time)
        key = factor_key(code)
        floor = jump_floor(body, key)
        for r in rows:
            if prev is not None:
                a, b = standard_value(code, prev.value), standard_value(code, r.value)
                if is_jump(a, b, floor):
                    services.raise_alert(
                        site, Alert.Kind.SUDDEN_JUMP, at=r.data_time, factor=key, value=b, threshold=a, device_mn=mn,
                        message=f"{factor_name(key)}由 {a:g} 突变为 {b:g}（{r.data_time.astimezone(SHANGHAI):%m-%d %H:%M}，设备 {mn}）",
                    )
            prev = r


def _check_dry_weather_flow(outfall: Outfall, mn: str, valid: list[Any]) -> None:
    threshold = float(rule("dry_flow_min_lps"))
    flows = [r for r in valid if r.factor == FLOW and r.value > threshold]
    if not flows:
        return
    days = {r.data_time.astimezone(SHANGHAI).date() for r in flows}
    wet = services.wet_dates(min(days), max(days))
    for r in sorted(flows, key=lambda r: r.data_time):
        if r.data_time.astimezone(SHANGHAI).date() in wet:
            continue
        services.raise_alert(
            outfall, Alert.Kind.DRY_WEATHER_FLOW, at=r.data_time, factor="flow", value=r.value, threshold=threshold, device_mn=mn,
            message=f"雨水排口旱天出流：{r.data_time.astimezone(SHANGHAI):%m-%d %H:%M} 流量 {r.value:g} L/s，当日及前 {rule('rain_lag_days')} 日无降雨记录，疑似污水混接或偷排",
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


def _hour_readings(site, start: dt.datetime, end: dt.datetime) -> list[tuple[str, str, float | None, str]]:
    from chengyun.monitoring import services as monitoring

    return list(monitoring.readings(site_kind=site.SITE_KIND, site_code=site.code, start=start, end=end)
                .values_list("cn", "factor", "value", "flag"))


def hour_sums(rows: Iterable[tuple[str, str, float | None, str]]) -> tuple[dict[str, list[float]], int]:
    """{key: [sum, count]} of the valid values of the best data type per factor, and how many were excluded."""
    best: dict[str, int] = {}
    kept: list[tuple[str, str, float]] = []
    excluded = 0
    for cn, code, value, flag in rows:
        if cn not in CN_PRIORITY:
            continue
        if value is None or (flag or "N")[:1] in EXCLUDED_FLAGS:
            excluded += 1
            continue
        key = factor_key(code)
        best[key] = min(best.get(key, 9), CN_PRIORITY[cn])
        kept.append((cn, code, value))
    sums: dict[str, list[float]] = {}
    for cn, code, value in kept:
        key = factor_key(code)
        if CN_PRIORITY[cn] != best[key]:
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
    means = _means(sums)
    water_class, limiting = _classify(site, means)
    target = site.target_class if isinstance(site, Section) else None
    fields = {
        "sums": sums, "means": means, "water_class": water_class, "limiting": limiting, "target_class": target,
        "compliant": (water_class <= target) if (water_class and target) else None, "excluded": excluded,
    }
    if not sums and not excluded:
        Aggregate.objects.filter(site_kind=site.SITE_KIND, site_code=site.code, period=period, start=start).delete()
        return None
    agg, _ = Aggregate.objects.update_or_create(site_kind=site.SITE_KIND, site_code=site.code, period=period, start=start, defaults=fields)
    return agg


def _roll_up(site, child_period: str, period: str, start: dt.datetime, end: dt.datetime) -> Aggregate | None:
    """A day from its hours, a month from its days: the mean of the children's means."""
    sums: dict[str, list[float]] = {}
    excluded = 0
    for child in Aggregate.objects.filter(site_kind=site.SITE_KIND, site_code=site.code, period=child_period, start__gte=start, start__lt=end):
        excluded += child.excluded
        for key, mean in child.means.items():
            s = sums.setdefault(key, [0.0, 0])
            s[0] += mean
            s[1] += 1
    return _store(site, period, start, sums, excluded)


def rebuild(site: Section | Outfall, hours: Iterable[dt.datetime]) -> list[Aggregate]:
    """Recompute the given hours of a site and the days and months that contain them."""
    changed: list[Aggregate] = []
    hours = sorted(set(floor_hour(h) for h in hours))
    with transaction.atomic():
        for h in hours:
            sums, excluded = hour_sums(_hour_readings(site, h, h + dt.timedelta(hours=1)))
            agg = _store(site, Aggregate.Period.HOUR, h, sums, excluded)
            if agg is not None:
                changed.append(agg)
        for d in sorted({day_start(h) for h in hours}):
            agg = _roll_up(site, Aggregate.Period.HOUR, Aggregate.Period.DAY, d, d + dt.timedelta(days=1))
            if agg is not None:
                changed.append(agg)
        for m in sorted({month_start(h) for h in hours}):
            agg = _roll_up(site, Aggregate.Period.DAY, Aggregate.Period.MONTH, m, next_month(m))
            if agg is not None:
                changed.append(agg)
    for agg in changed:
        if agg.period == Aggregate.Period.HOUR and agg.compliant is False:
            _target_alert(site, agg)
    return changed


def _target_alert(section: Section, agg: Aggregate) -> None:
    names = "、".join(factor_name(k) for k in agg.limiting)
    mean = agg.means.get(agg.limiting[0]) if agg.limiting else None
    services.raise_alert(
        section, Alert.Kind.TARGET_EXCEEDED, at=agg.start, factor=agg.limiting[0] if agg.limiting else "", dedup_factor="",
        value=mean, threshold=float(section.target_class),
        message=(f"{agg.start.astimezone(SHANGHAI):%m-%d %H}时 小时均值为{gb3838.LABELS[agg.water_class]}类，"
                 f"超过目标{section.target_label}类；定类因子：{names}"),
    )


def reevaluate(site: Section | Outfall, start: dt.datetime, end: dt.datetime) -> int:
    """Judge a site's stored history again in one pass (after linking a device to it, or
    changing its target class): rebuilds every hour, day and month in [start, end) and
    applies the alert rules to the valid readings in time order. Returns the hours rebuilt."""
    from chengyun.monitoring import services as monitoring

    rows = list(monitoring.readings(site_kind=site.SITE_KIND, site_code=site.code, start=start, end=end)
                .values_list("device__mn", "cn", "factor", "data_time", "value", "flag"))
    by_hour: dict[dt.datetime, list[tuple[str, str, float | None, str]]] = defaultdict(list)
    by_device: dict[str, list[Any]] = defaultdict(list)
    for mn, cn, code, when, value, flag in rows:
        if cn in CN_PRIORITY:
            by_hour[floor_hour(when)].append((cn, code, value, flag))
        by_device[mn].append(_Row(cn, code, when, value, flag))
    target = site.target_class if isinstance(site, Section) else None
    hours: list[Aggregate] = []
    for h, hour_rows in sorted(by_hour.items()):
        sums, excluded = hour_sums(hour_rows)
        means = _means(sums)
        water_class, limiting = _classify(site, means)
        hours.append(Aggregate(site_kind=site.SITE_KIND, site_code=site.code, period=Aggregate.Period.HOUR, start=h, sums=sums, means=means,
                               water_class=water_class, limiting=limiting, target_class=target,
                               compliant=(water_class <= target) if (water_class and target) else None, excluded=excluded))
    with transaction.atomic():
        Aggregate.objects.filter(site_kind=site.SITE_KIND, site_code=site.code, start__gte=floor_hour(start), start__lt=end).delete()
        Aggregate.objects.bulk_create(hours, batch_size=1000)
        for d in sorted({day_start(h.start) for h in hours}):
            _roll_up(site, Aggregate.Period.HOUR, Aggregate.Period.DAY, d, d + dt.timedelta(days=1))
        for m in sorted({month_start(h.start) for h in hours}):
            _roll_up(site, Aggregate.Period.DAY, Aggregate.Period.MONTH, m, next_month(m))
    for mn, device_rows in by_device.items():
        valid = [r for r in device_rows if is_valid(r)]
        _check_jumps(site, mn, valid)
        if isinstance(site, Outfall) and site.kind == Outfall.Kind.RAIN:
            _check_dry_weather_flow(site, mn, valid)
    for agg in hours:
        if agg.compliant is False:
            _target_alert(site, agg)
    return len(hours)


class _Row:
    """A stored reading as the alert rules read it."""

    __slots__ = ("cn", "factor", "data_time", "value", "flag")

    def __init__(self, cn: str, factor: str, data_time: dt.datetime, value: float | None, flag: str):
        self.cn, self.factor, self.data_time, self.value, self.flag = cn, factor, data_time, value, flag
