"""Periodic checks: linked devices that went silent or whose data stopped advancing."""
from __future__ import annotations

import datetime as dt

from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from chengyun.core import current


def check_devices(now: dt.datetime | None = None) -> list[int]:
    """Raise device_silent / device_stale alerts for linked, active devices, and close those of
    devices that report again; returns the ids of the alerts raised."""
    from django.utils import timezone

    from chengyun.monitoring import services as monitoring
    from chengyun.monitoring.models import Device

    from . import services
    from .models import Alert
    from .rules import rule
    from .services import SHANGHAI

    now = now or timezone.now()
    silent_after = dt.timedelta(minutes=int(rule("silent_minutes")))
    stale_after = dt.timedelta(minutes=int(rule("stale_minutes")))
    raised = []
    devices = Device.objects.filter(active=True, site_kind__in=["section", "outfall"]).exclude(site_code="").filter(kind="online")
    open_alerts: dict[str, list[Alert]] = {}
    for a in Alert.objects.filter(kind__in=services.DEVICE_ALERT_KINDS, open_key__isnull=False):
        open_alerts.setdefault(a.device_mn, []).append(a)
    for device in devices:
        site = services.site_by_code(device.site_kind, device.site_code)
        if site is None or not site.active:
            continue
        if device.last_seen_at is None or now - device.last_seen_at > silent_after:
            since = f"自 {device.last_seen_at.astimezone(SHANGHAI):%m-%d %H:%M} 起" if device.last_seen_at else "登记后从未"
            alert = services.raise_alert(
                site, Alert.Kind.DEVICE_SILENT, at=now.replace(second=0, microsecond=0), device_mn=device.mn, dedup_factor=device.mn,
                message=f"设备 {device.mn}（{device.name}）{since}未上报数据，超过 {rule('silent_minutes')} 分钟",
            )
            raised.append(alert.pk)
            continue
        newest = monitoring.readings(mn=device.mn).order_by("-data_time").values_list("data_time", flat=True).first()
        if device.mn in open_alerts:
            services.resolve_device_alerts(device.mn, heard_at=device.last_seen_at, newest_data=newest, now=now,
                                           alerts=open_alerts[device.mn])
        if newest is None or now - newest > stale_after:
            when = f"最新数据时间 {newest.astimezone(SHANGHAI):%m-%d %H:%M}" if newest else "在线但无监测数据"
            alert = services.raise_alert(
                site, Alert.Kind.DEVICE_STALE, at=now.replace(second=0, microsecond=0), device_mn=device.mn, dedup_factor=device.mn,
                message=f"设备 {device.mn}（{device.name}）在线但数据停更：{when}，超过 {rule('stale_minutes')} 分钟",
            )
            raised.append(alert.pk)
    return raised


@db_periodic_task(crontab(minute="*/10"))
def check_devices_job() -> None:
    with current.acting(None, source="job"):
        check_devices()
