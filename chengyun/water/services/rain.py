"""Rain days and dry-weather flow: the ops center records which days rained; a rain outfall
flowing on a dry day (no rain that day or the lag days before) is a suspected sewage
misconnection or illicit discharge. Rain recorded after the fact withdraws the alerts it explains.
"""
from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import transaction
from django.utils import timezone

from chengyun.core import audit
from chengyun.core.errors import Invalid

from ..evaluation import EXCLUDED_FLAGS, FLOW, SHANGHAI, wet_dates
from ..models import Alert, Outfall, RainDay
from ..rules import rule
from .alerts import auto_close
from .checks import require_ops


def set_rain_day(user: Any, date: dt.date, *, rained: bool, precipitation_mm: float | None = None, note: str = "") -> RainDay:
    """Mark a day wet or dry (the ops center keeps this; it decides dry-weather flow)."""
    require_ops(user, RainDay)
    if precipitation_mm is not None and precipitation_mm < 0:
        raise Invalid("降雨量不能为负数", code="invalid_precipitation", detail={"field": "precipitation_mm"})
    with transaction.atomic():
        day = RainDay.objects.filter(date=date).first()
        if day is None:
            day = RainDay.objects.create(date=date, rained=rained, precipitation_mm=precipitation_mm, note=note)
            audit.created(day)
        else:
            before = audit.snapshot(day)
            day.rained, day.precipitation_mm, day.note = rained, precipitation_mm, note
            day.save()
            audit.updated(day, before)
    if rained:
        withdraw_wet_dry_flow_alerts(date)
    return day


def withdraw_wet_dry_flow_alerts(date: dt.date) -> list[Alert]:
    """Close the open dry-weather-flow alerts that the rain recorded on `date` explains: every
    flow sighted between the alert's first and last sighting now falls on a wet day. An alert
    already turned into a case or a task stays: someone is working on it and decides."""
    from chengyun.monitoring import services as monitoring

    lag = int(rule("rain_lag_days"))
    threshold = float(rule("dry_flow_min_lps"))
    closed = []
    candidates = Alert.objects.filter(kind=Alert.Kind.DRY_WEATHER_FLOW, status__in=[Alert.Status.NEW, Alert.Status.ACKNOWLEDGED],
                                      case_number="", task_id__isnull=True).select_related("outfall")
    for alert in candidates:
        first, last = alert.first_seen_at.astimezone(SHANGHAI).date(), alert.last_seen_at.astimezone(SHANGHAI).date()
        if not (first <= date + dt.timedelta(days=lag) and date <= last):
            continue
        wet = wet_dates(first, last)
        flows = (monitoring.readings(site_kind="outfall", site_code=alert.outfall.code, factor=FLOW, start=alert.first_seen_at,
                                     end=alert.last_seen_at + dt.timedelta(seconds=1))
                 .filter(value__gt=threshold).values_list("data_time", "flag"))
        if any((flag or "N")[:1] not in EXCLUDED_FLAGS and t.astimezone(SHANGHAI).date() not in wet for t, flag in flows):
            continue
        done = auto_close(alert, f"补录 {date:%Y-%m-%d} 降雨后，告警所涉出流均在降雨日或其后 {lag} 日内，不属旱天出流", "rain_recorded")
        if done is not None:
            closed.append(done)
    return closed



def dry_weather_flow_outfalls(since: dt.datetime) -> list[tuple[str, str]]:
    """Rain outfalls with flow on dry days since `since`: [(outfall code, evidence text)]."""
    from chengyun.monitoring import services as monitoring

    threshold = float(rule("dry_flow_min_lps"))
    codes = list(Outfall.objects.filter(kind=Outfall.Kind.RAIN, active=True).values_list("code", flat=True))
    if not codes:
        return []
    wet = wet_dates(since.astimezone(SHANGHAI).date(), timezone.now().astimezone(SHANGHAI).date())
    found: list[tuple[str, str]] = []
    for code in codes:
        rows = (monitoring.readings(site_kind="outfall", site_code=code, factor=FLOW, start=since)
                .filter(value__gt=threshold).order_by("data_time").values_list("data_time", "value", "flag"))
        dry = [(t, v) for t, v, flag in rows if (flag or "N") not in EXCLUDED_FLAGS and t.astimezone(SHANGHAI).date() not in wet]
        if dry:
            peak_t, peak_v = max(dry, key=lambda r: r[1])
            days = sorted({t.astimezone(SHANGHAI).date() for t, _ in dry})
            found.append((code, f"旱天出流 {len(dry)} 次，涉及 {len(days)} 天（{days[0]:%m-%d} 至 {days[-1]:%m-%d}），"
                                f"最大 {peak_v:g} L/s（{peak_t.astimezone(SHANGHAI):%Y-%m-%d %H:%M}），当日及前 {rule('rain_lag_days')} 日无降雨记录"))
    return found

