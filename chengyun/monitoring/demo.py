"""The demo district's monitoring devices and 30 days of hourly history.

``DEMO_DEVICES`` is the contract with the water app's demo generator (demo_order 55, after
this one at 50): water creates the sections and outfalls with these ``site_code`` values and
links each device by its ``mn`` (``monitoring.services.link_device``). Keys every entry has:
mn, name, site_kind ("section" | "outfall"), site_code, site_name, water_body, factors.
Sections also carry ``target_class`` (GB 3838 class, 1–5); outfalls ``outfall_kind``
(water's Outfall.Kind: industrial, wwtp, rain, combined, other). ``silent`` marks the device
that stopped reporting three hours before the demo was generated (the simulator does not
revive it); ``dry_weather_flow`` marks the rain outfall that discharges in dry weather.
"""
from __future__ import annotations

from datetime import datetime, timedelta

from django.utils import timezone

from chengyun.demo.context import DemoContext

from .simulation import OUTFALL_FACTORS, SECTION_FACTORS, UNITS, Site, profile_for

HISTORY_DAYS = 30
SILENT_HOURS = 3


def _section(n: int, code: str, site_name: str, water_body: str, target: int, **extra) -> dict:
    return {"mn": f"630109SW{n:04d}", "name": f"{site_name}水质自动监测站", "site_kind": "section", "site_code": code,
            "site_name": site_name, "water_body": water_body, "target_class": target, "st": "21",
            "password": f"sw{n:04d}cy", "factors": list(SECTION_FACTORS), **extra}


def _outfall(n: int, code: str, site_name: str, water_body: str, kind: str, **extra) -> dict:
    return {"mn": f"630109PK{n:04d}", "name": f"{site_name}在线监测", "site_kind": "outfall", "site_code": code,
            "site_name": site_name, "water_body": water_body, "outfall_kind": kind, "st": "32",
            "password": f"pk{n:04d}cy", "factors": list(OUTFALL_FACTORS), **extra}


DEMO_DEVICES: list[dict] = [
    _section(1, "DM01", "湟水河入境断面", "湟水河", 3, pollution=0.75),
    _section(2, "DM02", "湟水河小峡桥断面", "湟水河", 3, pollution=1.05),
    _section(3, "DM03", "湟水河出境断面", "湟水河", 4, pollution=1.45, episode_rate=0.008),
    _section(4, "DM04", "北川河朝阳桥断面", "北川河", 3, pollution=0.9),
    _section(5, "DM05", "北川河入湟口断面", "北川河", 4, pollution=1.6, episode_rate=0.01),
    _section(6, "DM06", "南川河七一桥断面", "南川河", 3, pollution=1.2, silent=True),
    _section(7, "DM07", "南川河入湟口断面", "南川河", 4, pollution=1.9, episode_rate=0.012),
    _section(8, "DM08", "海湖湿地出水断面", "海湖", 3, pollution=0.6),
    _outfall(1, "PK01", "第一污水处理厂排口", "湟水河", "wwtp", flow=260.0, pollution=0.9),
    _outfall(2, "PK02", "第二污水处理厂排口", "湟水河", "wwtp", flow=180.0, pollution=1.1),
    _outfall(3, "PK03", "生物园区工业排口", "湟水河", "industrial", flow=22.0),
    _outfall(4, "PK04", "甘河工业园排口", "北川河", "industrial", flow=35.0, pollution=1.2, episode_rate=0.008),
    _outfall(5, "PK05", "朝阳东路雨水排口", "北川河", "rain"),
    _outfall(6, "PK06", "文汇路雨水排口", "湟水河", "rain", dry_weather_flow=3.2),
    _outfall(7, "PK07", "南川西路雨水排口", "南川河", "rain"),
    # Combined overflows discharge only in storms (episodes): a few overflows a month each.
    _outfall(8, "PK08", "古城台合流制溢流口", "南川河", "combined", flow=12.0, episode_rate=0.006),
    _outfall(9, "PK09", "彩虹路合流制溢流口", "湟水河", "combined", flow=8.0, episode_rate=0.006),
    _outfall(10, "PK10", "海湖宾馆排口", "海湖", "other", flow=4.0, pollution=0.7),
]


def demo_entry(mn: str) -> dict | None:
    return next((e for e in DEMO_DEVICES if e["mn"] == mn), None)


def generate(ctx: DemoContext) -> None:
    from . import services
    from .models import Device, Reading

    if Device.objects.filter(mn__in=[e["mn"] for e in DEMO_DEVICES]).exists():
        ctx.log("监测设备：已存在，跳过")
        return
    rng = ctx.rng("monitoring")
    devices = {}
    for e in DEMO_DEVICES:
        devices[e["mn"]] = services.create_device(
            None, mn=e["mn"], password=e["password"], st=e["st"], name=e["name"],
            factors=[{"code": c, "unit": UNITS[c]} for c in e["factors"]],
        )
    # One vendor's loggers print the CRC in lower case; the device is configured for it.
    services.update_device(None, devices["630109PK0008"], tolerate_lowercase_crc=True)

    now = timezone.localtime().replace(minute=0, second=0, microsecond=0)
    start = now - timedelta(days=HISTORY_DAYS)
    received = timezone.now()
    rows: list[tuple] = []
    last_seen: dict[int, datetime] = {}
    for e in DEMO_DEVICES:
        device = devices[e["mn"]]
        site = Site(profile_for(e), rng)
        end = now - timedelta(hours=SILENT_HOURS) if e.get("silent") else now
        hour = start
        while hour < end:
            naive = hour.replace(tzinfo=None)
            for code, (value, flag) in site.values(e["factors"], naive).items():
                spread = abs(value) * 0.08
                rows.append((device.pk, "2061", code, hour, value, round(max(value - spread, 0), 3), round(value + spread, 3),
                             round(value * 3.6, 2) if code == "w00000" else None, flag, received, "demo"))
            hour += timedelta(hours=1)
        last_seen[device.pk] = end
    services.write_rows(rows)
    for pk, seen in last_seen.items():
        Device.objects.filter(pk=pk).update(last_seen_at=seen)
    ctx.shared["monitoring.devices"] = [e["mn"] for e in DEMO_DEVICES]
    ctx.log(f"监测设备：{len(DEMO_DEVICES)} 台（断面 {sum(e['site_kind'] == 'section' for e in DEMO_DEVICES)}、"
            f"排污口 {sum(e['site_kind'] == 'outfall' for e in DEMO_DEVICES)}），"
            f"{HISTORY_DAYS} 天小时数据 {Reading.objects.count()} 条")
