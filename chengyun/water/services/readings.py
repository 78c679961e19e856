"""Readings from monitoring devices, judged as a site's: linking a device to a section or an
outfall, the hook monitoring calls after it stores a batch, and judging a site's history again.

``evaluation`` finds the evidence and keeps the aggregates; the alerts it calls for are
raised here, through ``alerts.raise_alert`` (each alert once per batch, every sighting counted).
"""
from __future__ import annotations

import datetime as dt
from collections import defaultdict
from typing import Any, Iterable

from django.db.models import Max, Min

from chengyun.people import policy

from .. import evaluation
from . import overflow
from ..models import Outfall, Section
from .alerts import has_open_device_alert, raise_alert, resolve_device_alerts
from .checks import OPS
from .registry import site_by_code


def link_device(user: Any, mn: str, site: Section | Outfall):
    """Attach a monitoring device to this section or outfall (monitoring keeps the link) and
    judge the history it already has (at most the last 400 days) as this site's."""
    # Imported here: monitoring is an optional app (see WaterConfig.ready).
    from chengyun.monitoring import services as monitoring

    if user is not None:
        policy.require_write(user, site, "只有城运中心可以关联监测设备")
        policy.require_role(user, OPS, "只有城运中心可以关联监测设备")
    device = monitoring.link_device(user, mn, site.SITE_KIND, site.code)
    times = monitoring.readings(mn=mn).aggregate(first=Min("data_time"), last=Max("data_time"))
    if times["first"] is not None:
        start = max(times["first"], times["last"] - dt.timedelta(days=400))
        reevaluate(site, start, times["last"] + dt.timedelta(hours=1))
    return device


def is_linked(device: Any) -> bool:
    """Only devices linked to a section or an outfall are evaluated."""
    return device.site_kind in ("section", "outfall") and bool(device.site_code)


def on_readings_stored(device: Any, readings: list[Any]) -> None:
    """Monitoring's hook after it commits a batch (registered in ``WaterConfig.ready``): the
    device's silent/stale alerts close when it is heard from, then the batch is judged."""
    if not is_linked(device):
        return
    if readings and has_open_device_alert(device.mn):
        heard = [r.received_at for r in readings if r.received_at is not None]
        resolve_device_alerts(device.mn, heard_at=max(heard, default=None) or device.last_seen_at,
                              newest_data=max(r.data_time for r in readings))
    site = site_by_code(device.site_kind, device.site_code)
    if site is None or not site.active:
        return
    evaluate(site, device.mn, readings)


def evaluate(site: Section | Outfall, mn: str, readings: Iterable[Any]) -> None:
    """Judge one device's batch as the site's and raise the alerts it calls for (an overflow at
    a combined outfall also ends its alert, see ``overflow``)."""
    readings = list(readings)
    emit(site, evaluation.evaluate_batch(site, mn, readings))
    if isinstance(site, Outfall):
        overflow.judge(site, mn, readings)


def reevaluate(site: Section | Outfall, start: dt.datetime, end: dt.datetime) -> int:
    """Judge a site's stored history again in one pass (after linking a device to it, or
    changing its target class) and raise the alerts it calls for; see
    ``evaluation.evaluate_history``. Returns the hours rebuilt."""
    hours, events = evaluation.evaluate_history(site, start, end)
    emit(site, events)
    if isinstance(site, Outfall):
        overflow.judge_history(site, start, end)
    return hours


def emit(site: Section | Outfall, events: list[evaluation.Event]) -> None:
    """Raise each alert once per batch with its newest evidence, counting every sighting."""
    grouped: dict[tuple[str, str], list[evaluation.Event]] = defaultdict(list)
    for e in events:
        grouped[e.key].append(e)
    for group in grouped.values():
        group.sort(key=lambda e: e.at)
        last = group[-1]
        raise_alert(site, last.kind, at=last.at, message=last.message, factor=last.factor, value=last.value,
                    threshold=last.threshold, device_mn=last.device_mn, dedup_factor=last.dedup_factor,
                    times=[e.at for e in group])
