"""Overflow at a combined-sewer outfall (合流制溢流口), judged from its flow readings.

``evaluation.overflow_episodes`` finds the overflows in a device's readings; here each one
raises (or counts on) the outfall's open overflow alert, and an overflow seen to be over closes
it as the system (transition ``overflow_ended``). One alert is one overflow: the next one
opens a fresh alert. Drainage keeps its overflow records from these alerts through
``alerts.on_alert_change`` (water does not know drainage).
"""
from __future__ import annotations

import datetime as dt
from collections import defaultdict
from typing import Any, Iterable

from chengyun.core import current

from .. import evaluation
from ..evaluation import FLOW, SHANGHAI
from ..models import Alert, Outfall
from ..rules import rule
from .alerts import _open_key, auto_close, raise_alert


def _open_overflow(outfall: Outfall) -> Alert | None:
    return Alert.objects.filter(open_key=_open_key(Alert.Kind.OUTFALL_OVERFLOW, Outfall.SITE_KIND, outfall.code, "flow")).first()


def judge(outfall: Outfall, mn: str, readings: Iterable[Any]) -> list[Alert]:
    """Raise, extend and close the outfall's overflow alerts for one device's readings; returns
    the alerts touched."""
    if outfall.kind != Outfall.Kind.COMBINED:
        return []
    valid = [r for r in readings if evaluation.is_valid(r) and r.factor == FLOW]
    if not valid:
        return []
    open_alert = _open_overflow(outfall)
    touched: list[Alert] = []
    for episode in evaluation.overflow_episodes(outfall, mn, valid, open_alert.last_seen_at if open_alert else None):
        alert = open_alert
        if episode.events:
            last = episode.events[-1]
            alert = raise_alert(outfall, last.kind, at=last.at, message=last.message, factor=last.factor, value=last.value,
                                threshold=last.threshold, device_mn=mn, times=[e.at for e in episode.events],
                                values=[e.value for e in episode.events if e.value is not None])
        if alert is not None and episode.ended_at is not None:
            note = (f"流量回落至 {rule('overflow_min_lps')} L/s 及以下（{episode.ended_at.astimezone(SHANGHAI):%m-%d %H:%M}），"
                    f"溢流结束，系统关闭")
            ctx = current.get()
            # The system closes it, whoever's upload showed the end.
            with current.acting(None, source=ctx.source, request_id=ctx.request_id):
                auto_close(alert, note, name="overflow_ended")
        if alert is not None:
            touched.append(alert)
        open_alert = None
    return touched


def judge_history(outfall: Outfall, start: dt.datetime, end: dt.datetime) -> list[Alert]:
    """The same over a stored history (a device linked, a site re-judged)."""
    from chengyun.monitoring import services as monitoring

    if outfall.kind != Outfall.Kind.COMBINED:
        return []
    by_device: dict[str, list[Any]] = defaultdict(list)
    for r in (monitoring.readings(site_kind=Outfall.SITE_KIND, site_code=outfall.code, start=start, end=end)
              .filter(factor=FLOW).select_related("device").order_by("data_time")):
        by_device[r.device.mn].append(r)
    touched = []
    for mn, rows in by_device.items():
        touched += judge(outfall, mn, rows)
    return touched
