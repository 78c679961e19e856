"""Overflow records (冒溢记录) fed from water's overflow alerts, and entered by hand where
nothing measures.

An ``outfall_overflow`` alert at a water outfall whose code is a node of this network opens a
record at that node (start = the alert's first sighting, the alert's id, evidence); each new
sighting extends it (last overflow time, peak flow, count); the record is closed when the alert
closes — by the system when the flow falls back under the weir, or by a person disposing of it.
Water calls ``on_water_alert`` through ``water.services.on_alert_change`` (registered in
``DrainageConfig.ready``), in the alert's own transaction: the alert and its record are written
together or not at all. Every write is audited.

Overflows nobody measures — a manhole seen spilling on patrol — are entered by hand
(``enter_overflow``, the page and ``POST /api/v1/drainage/overflows``); those records have no alert.
"""
from __future__ import annotations

import datetime as dt
from typing import Any, Sequence

from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from chengyun.core import audit
from chengyun.core.errors import Invalid
from chengyun.people.lookup import referenced
from chengyun.people import policy

from .models import Node, OverflowRecord

SOURCE_ALERT = "水环境溢流告警"
CHINA = dt.timezone(dt.timedelta(hours=8))
OVERFLOW_KIND = "outfall_overflow"  # water's Alert.Kind.OUTFALL_OVERFLOW


def _evidence(alert: Any, record: OverflowRecord | None = None) -> dict[str, Any]:
    return {**(record.evidence if record else {}), "alert_id": alert.pk, "outfall": alert.outfall.code, "device_mn": alert.device_mn,
            "threshold_lps": alert.threshold, "sightings": alert.occurrences, "message": alert.message}


def on_water_alert(alert: Any, verb: str, values: Sequence[float]) -> OverflowRecord | None:
    """Water's alert listener: keep the overflow record of an overflow alert at one of our outfalls."""
    if alert.kind != OVERFLOW_KIND or not alert.outfall_id:
        return None
    node = Node.objects.filter(code=alert.outfall.code).first()
    if node is None:
        return None  # an outfall outside the network (a treatment plant's): nothing to record here
    with transaction.atomic():
        record = OverflowRecord.objects.select_for_update().filter(water_alert_id=alert.pk).first()
        if record is None:
            peak = max(values, default=alert.value)
            record = OverflowRecord.objects.create(
                node=node, occurred_at=alert.first_seen_at, ended_at=alert.last_seen_at, peak_lps=peak, water_alert_id=alert.pk,
                source=SOURCE_ALERT, note=alert.message[:200], evidence=_evidence(alert),
                closed_at=alert.disposed_at if verb == "closed" else None,
            )
            audit.created(record, verb="from_alert")
            return record
        before = audit.snapshot(record)
        if verb == "closed":
            record.closed_at = alert.disposed_at or timezone.now()
            record.evidence = {**record.evidence, "closed_note": alert.disposal_note[:200]}
        else:
            record.ended_at = max(record.ended_at or alert.last_seen_at, alert.last_seen_at)
            record.peak_lps = max([v for v in (record.peak_lps, *values) if v is not None], default=None)
            record.evidence = _evidence(alert, record)
        record.save()
        audit.updated(record, before, verb="close" if verb == "closed" else "extend")
    return record


def feed_from_alerts() -> int:
    """Records for the overflow alerts raised before the network had their outfall (the demo
    judges water's data before it lays the network) or before this feed existed; the peak from
    the stored flow readings. Returns how many were created. Running it again changes nothing."""
    from chengyun.monitoring import services as monitoring
    from chengyun.water.models import Alert

    known = set(OverflowRecord.objects.filter(water_alert_id__isnull=False).values_list("water_alert_id", flat=True))
    created = 0
    for alert in Alert.objects.filter(kind=OVERFLOW_KIND, outfall__isnull=False).select_related("outfall").order_by("first_seen_at", "id"):
        if alert.pk in known:
            continue
        peak = (monitoring.readings(mn=alert.device_mn, factor="w00000", start=alert.first_seen_at,
                                    end=alert.last_seen_at + dt.timedelta(seconds=1))
                .filter(value__isnull=False).aggregate(peak=Max("value"))["peak"]) if alert.device_mn else None
        values = [peak] if peak is not None else []
        if on_water_alert(alert, "closed" if alert.disposed_at else "raised", values) is not None:
            created += 1
    return created


def enter_overflow(user: Any, node_code: str, *, occurred_at: dt.datetime | None, ended_at: dt.datetime | None = None,
                   peak_lps: float | None = None, note: str = "", source: str = "巡查") -> OverflowRecord:
    """An overflow seen where nothing measures it, entered by the network's owner unit (or the
    ops center). It has no alert; ``from_alert`` is false."""
    node = referenced(Node.objects, node_code, what="节点", field="node", lookup="code", optional=False, code="unknown_node")
    if user is not None:
        policy.require_create(user, OverflowRecord, unit_id=node.owner_id, message="只有管网权属单位或城运中心可以登记冒溢")
    if occurred_at is None:
        raise Invalid("请填写发生时间", code="missing_fields", detail={"field": "occurred_at"})
    # A time written without a zone is China time, as on a patrol log.
    occurred_at, ended_at = (t if t is None or timezone.is_aware(t) else t.replace(tzinfo=CHINA) for t in (occurred_at, ended_at))
    if occurred_at > timezone.now() + dt.timedelta(minutes=5):
        raise Invalid("发生时间不能晚于现在", code="invalid_time", detail={"field": "occurred_at"})
    if ended_at is not None and ended_at < occurred_at:
        raise Invalid("结束时间早于发生时间", code="invalid_time", detail={"field": "ended_at"})
    if peak_lps is not None and peak_lps < 0:
        raise Invalid("峰值流量不能为负", code="invalid_value", detail={"field": "peak_lps"})
    note, source = (note or "").strip(), (source or "").strip() or "巡查"
    if len(note) > 200 or len(source) > 30:
        raise Invalid("说明不超过 200 字，来源不超过 30 字", code="too_long", detail={"field": "note" if len(note) > 200 else "source"})
    with transaction.atomic():
        record = OverflowRecord.objects.create(node=node, occurred_at=occurred_at, ended_at=ended_at, peak_lps=peak_lps,
                                               source=source, note=note)
        audit.created(record)
    return record
