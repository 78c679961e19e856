"""Sediment and runoff (减少泥沙输出量、保持径流稳定) per watershed, day and year.

Where the outlet section has an online station, the load comes from its hourly readings of
suspended solids (HJ 212 w01012, mg/L) and flow (w00000, L/s): each hour carries
``C × Q × 3600 s`` milligrams and ``Q × 3.6`` cubic metres. A day is the mean hourly rate of its
valid hours × 24 (the integral when all 24 hours are there, the same rate over a gap otherwise);
a year is the sum of its days. Without a station the year is entered.
"""
from __future__ import annotations

import calendar
import datetime as dt
from collections import defaultdict
from dataclasses import dataclass
from typing import Any, Iterable

from zoneinfo import ZoneInfo

from django.db import models, transaction

from chengyun.core import audit
from chengyun.core.errors import Invalid
from chengyun.people import policy

from ..models import HydroRecord, Watershed

SS = "w01012"  # HJ 212-2017 Table B.1 悬浮物, mg/L
FLOW = "w00000"  # HJ 212-2017 Table B.1 污水 (流量), L/s
HOUR_CN = "2061"
VALID_FLAGS = ("", "N")
SHANGHAI = ZoneInfo("Asia/Shanghai")  # a day of the record is a local day


@dataclass(frozen=True)
class DayLoad:
    day: dt.date
    sediment_t: float
    runoff_m3: float
    hours: int


def hourly_load(ss_mg_l: float, flow_l_s: float) -> tuple[float, float]:
    """(sediment kg, runoff m³) carried in one hour at concentration ``ss_mg_l`` and flow ``flow_l_s``."""
    return ss_mg_l * flow_l_s * 3600 / 1e6, flow_l_s * 3600 / 1000


def day_loads(hours: Iterable[tuple[dt.datetime, float, float]], tz: dt.tzinfo) -> list[DayLoad]:
    """(hour start, SS mg/L, flow L/s) → one DayLoad per local day with at least one hour having both."""
    per_day: dict[dt.date, list[tuple[float, float]]] = defaultdict(list)
    for at, ss, q in hours:
        if ss is None or q is None or ss < 0 or q < 0:
            continue
        per_day[at.astimezone(tz).date()].append(hourly_load(ss, q))
    out = []
    for day, loads in sorted(per_day.items()):
        n = len(loads)
        kg = sum(k for k, _ in loads) / n * 24
        m3 = sum(m for _, m in loads) / n * 24
        out.append(DayLoad(day, round(kg / 1000, 6), round(m3, 3), n))
    return out


def _station_hours(section_code: str, start: dt.datetime, end: dt.datetime) -> list[tuple[dt.datetime, float, float]]:
    from django.apps import apps

    if not apps.is_installed("chengyun.monitoring"):
        return []
    from chengyun.monitoring.models import Reading

    rows = (Reading.objects.filter(device__site_kind="section", device__site_code=section_code, cn=HOUR_CN, factor__in=(SS, FLOW),
                                   data_time__gte=start, data_time__lt=end, flag__in=VALID_FLAGS)
            .values_list("data_time", "factor", "value"))
    by_hour: dict[dt.datetime, dict[str, float]] = defaultdict(dict)
    for at, factor, value in rows:
        if value is not None:
            by_hour[at][factor] = value
    return [(at, v.get(SS), v.get(FLOW)) for at, v in sorted(by_hour.items())]


def compute_from_monitoring(user: Any, w: Watershed, start: dt.date, end: dt.date) -> list[HydroRecord]:
    """Rebuild the days [start, end] from the outlet's readings, and the years they fall in; idempotent."""
    if user is not None:
        policy.require_write(user, w, "只有城运中心和系统管理员可以计算泥沙与径流")
    if w.outlet is None:
        raise Invalid("该小流域没有出口断面，泥沙与径流需填报", code="no_station", detail={"field": "outlet"})
    t0 = dt.datetime.combine(start, dt.time(), SHANGHAI)
    t1 = dt.datetime.combine(end + dt.timedelta(days=1), dt.time(), SHANGHAI)
    days = day_loads(_station_hours(w.outlet.code, t0, t1), SHANGHAI)
    out = []
    with transaction.atomic():
        for d in days:
            out.append(_store(w, HydroRecord.Period.DAY, d.day, d.sediment_t, d.runoff_m3, d.hours, HydroRecord.Source.MONITORING))
        for year in sorted({d.day.year for d in days}):
            out.append(_rebuild_year(w, year))
    return out


def _store(w, period, start, sediment_t, runoff_m3, hours, source) -> HydroRecord:
    rec, made = HydroRecord.objects.get_or_create(watershed=w, period=period, start=start,
                                                  defaults={"sediment_t": sediment_t, "runoff_m3": runoff_m3, "hours": hours, "source": source})
    if made:
        audit.created(rec)
    elif (rec.sediment_t, rec.runoff_m3, rec.hours, rec.source) != (sediment_t, runoff_m3, hours, source):
        audit.save_changes(rec, {"sediment_t": sediment_t, "runoff_m3": runoff_m3, "hours": hours, "source": source})
    return rec


def _rebuild_year(w: Watershed, year: int) -> HydroRecord:
    days = HydroRecord.objects.filter(watershed=w, period=HydroRecord.Period.DAY, start__year=year)
    sed = round(sum(d.sediment_t for d in days), 6)
    run = round(sum(d.runoff_m3 for d in days), 3)
    return _store(w, HydroRecord.Period.YEAR, dt.date(year, 1, 1), sed, run, sum(d.hours for d in days), HydroRecord.Source.MONITORING)


def enter_year(user: Any, w: Watershed, year: int, *, sediment_t: Any, runoff_m3: Any) -> HydroRecord:
    if user is not None:
        policy.require_write(user, w, "只有城运中心和系统管理员可以填报泥沙与径流")
    values = {}
    for field, label, v in (("sediment_t", "泥沙输出量", sediment_t), ("runoff_m3", "径流量", runoff_m3)):
        try:
            values[field] = float(v)
        except (TypeError, ValueError):
            raise Invalid(f"{label}（{field}）应为数字", code="bad_value", detail={"field": field}) from None
        if not values[field] >= 0:
            raise Invalid(f"{label}（{field}）不能为负数", code="value_out_of_range", detail={"field": field})
    if HydroRecord.objects.filter(watershed=w, period=HydroRecord.Period.DAY, start__year=year, source=HydroRecord.Source.MONITORING).exists():
        raise Invalid(f"{year} 年已有在线监测数据，不能再填报", code="monitored_year", detail={"field": "year"})
    with transaction.atomic():
        return _store(w, HydroRecord.Period.YEAR, dt.date(year, 1, 1), values["sediment_t"], values["runoff_m3"], 0, HydroRecord.Source.ENTERED)


def yearly(w: Watershed) -> list[dict]:
    """Per year: sediment against the target, runoff against the baseline ± tolerance."""
    out = []
    day_counts = dict(HydroRecord.objects.filter(watershed=w, period=HydroRecord.Period.DAY).values_list("start__year")
                      .annotate(n=models.Count("id")).order_by())
    for r in HydroRecord.objects.filter(watershed=w, period=HydroRecord.Period.YEAR).order_by("start"):
        # A year measured on only some of its days is shown, not judged against a yearly target.
        year_days = 366 if calendar.isleap(r.start.year) else 365
        partial = r.source == HydroRecord.Source.MONITORING and day_counts.get(r.start.year, 0) < year_days
        sediment_ok = None if w.sediment_target_t is None or partial else r.sediment_t <= w.sediment_target_t
        runoff_wan = r.runoff_m3 / 10_000
        runoff_ok = None
        if w.runoff_baseline_m3 and not partial:
            runoff_ok = abs(runoff_wan - w.runoff_baseline_m3) <= w.runoff_baseline_m3 * w.runoff_tolerance_pct / 100
        out.append({"year": r.start.year, "partial": partial, "days": day_counts.get(r.start.year, 0), "sediment_t": round(r.sediment_t, 2), "runoff_wan_m3": round(runoff_wan, 2), "source": r.source,
                    "sediment_target_t": w.sediment_target_t, "sediment_ok": sediment_ok, "runoff_baseline_wan_m3": w.runoff_baseline_m3,
                    "runoff_tolerance_pct": w.runoff_tolerance_pct, "runoff_ok": runoff_ok})
    return out
