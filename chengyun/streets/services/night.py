"""夜间经济: zones, per-street policies (一街一策) and the one answer to "is this allowed here, now?".

``check`` combines, in this order: the zones the point lies in (a 严禁 zone refuses at once), the
policy whose area holds the point, whether that policy allows the activity at all, the kind of
day (statutory holiday override → tourist-season override → the regular season) and the day's
time windows (a window may run past midnight into the next morning). It returns every rule it
weighed, passed or failed, so the patrol page and a case can cite the one that decided.
"""
from __future__ import annotations

import datetime as dt
import json
import math
from dataclasses import dataclass, field
from typing import Any, Sequence

import chinese_calendar
from django.db import transaction
from shapely.geometry import Point, shape

from chengyun.core import audit
from chengyun.core.calendar import get_calendar
from chengyun.core.errors import Invalid
from chengyun.people import policy
from chengyun.standards import gb3096

from ..models import ACTIVITIES, NightPolicy, NightZone, PolicyWindow
from .common import OPS, SHANGHAI, aware, clean_text

ZONE_RANK = {NightZone.Kind.FORBIDDEN: 0, NightZone.Kind.CONTROLLED: 1, NightZone.Kind.OPEN: 2}


@dataclass(frozen=True)
class RuleResult:
    code: str
    passed: bool
    text: str


@dataclass
class CheckResult:
    allowed: bool
    activity: str
    at: dt.datetime
    zone: NightZone | None = None
    zones: list[NightZone] = field(default_factory=list)
    policy: NightPolicy | None = None
    day_type: str = ""
    windows: list[str] = field(default_factory=list)
    noise: dict | None = None
    rules: list[RuleResult] = field(default_factory=list)

    @property
    def deciding(self) -> RuleResult | None:
        """The first rule that failed (the one a violation cites)."""
        return next((r for r in self.rules if not r.passed), None)


def require_activity(activity: str) -> str:
    if activity not in ACTIVITIES:
        raise Invalid(f"经营活动 {activity!r} 无效（可用：{'、'.join(f'{k}（{v}）' for k, v in ACTIVITIES.items())}）",
                      code="unknown_activity", detail={"field": "activity", "allowed": list(ACTIVITIES)})
    return activity


def is_holiday(day: dt.date) -> bool:
    """A statutory holiday (法定节假日, not an ordinary weekend), unless the district's calendar
    made the day a working day."""
    try:
        on_holiday, name = chinese_calendar.get_holiday_detail(day)
    except NotImplementedError:  # a year the library has no data for: no holiday overrides
        return False
    return bool(on_holiday and name) and not get_calendar().is_workday(day)


def _md(text: str) -> tuple[int, int]:
    m, d = text.split("-")
    return int(m), int(d)


def in_season(p: NightPolicy, day: dt.date) -> bool:
    start, end, here = _md(p.season_start), _md(p.season_end), (day.month, day.day)
    return start <= here <= end if start <= end else (here >= start or here <= end)


def in_tourist_season(p: NightPolicy, day: dt.date) -> bool:
    return bool(p.tourist_start and p.tourist_end and p.tourist_start <= day <= p.tourist_end)


def day_windows(p: NightPolicy, activity: str, day: dt.date, windows: Sequence[PolicyWindow]) -> tuple[str, list[PolicyWindow]]:
    """(day type, the windows that apply on ``day``); day type "" when none does (out of season)."""
    mine = [w for w in windows if w.activity == activity]
    for day_type, applies in ((PolicyWindow.DayType.HOLIDAY, is_holiday(day)), (PolicyWindow.DayType.TOURIST, in_tourist_season(p, day)),
                              (PolicyWindow.DayType.REGULAR, in_season(p, day))):
        found = [w for w in mine if w.day_type == day_type]
        if applies and found:
            return day_type, found
    return "", []


def _crosses_midnight(w: PolicyWindow) -> bool:
    return w.end_minute <= w.start_minute


def _zones_at(pt: Point) -> list[NightZone]:
    return sorted((z for z in NightZone.objects.all() if z.shape.covers(pt)), key=lambda z: (ZONE_RANK[z.kind], z.code))


def _policy_at(pt: Point) -> NightPolicy | None:
    return next((p for p in NightPolicy.objects.filter(active=True).order_by("code") if p.shape.covers(pt)), None)


def check(lng: float, lat: float, at: dt.datetime, activity: str) -> CheckResult:
    """Is ``activity`` allowed at (lng, lat) at ``at``? One function for the API, the patrol page and case filing."""
    require_activity(activity)
    for name, value in (("lng", lng), ("lat", lat)):
        if not isinstance(value, (int, float)) or not math.isfinite(value):
            raise Invalid(f"{name} 应为有限数", code="bad_coordinate", detail={"field": name})
    if not (-180 <= lng <= 180 and -90 <= lat <= 90):
        raise Invalid("坐标超出范围", code="bad_coordinate", detail={"field": "lng"})
    at = aware(at, "at")
    local = at.astimezone(SHANGHAI)
    pt = Point(lng, lat)
    label = str(ACTIVITIES[activity])
    result = CheckResult(allowed=False, activity=activity, at=at)
    result.zones = _zones_at(pt)
    result.zone = result.zones[0] if result.zones else None
    rules = result.rules
    forbidden = [z for z in result.zones if z.kind == NightZone.Kind.FORBIDDEN]
    if forbidden:
        z = forbidden[0]
        rules.append(RuleResult("zone_forbidden", False, f"位于严禁区域“{z.name}”内（{z.reason or '严禁设摊外摆'}）"))
    else:
        rules.append(RuleResult("zone_forbidden", True, "不在严禁区域内"))
    result.policy = p = _policy_at(pt)
    if p is None:
        rules.append(RuleResult("policy_area", False, "不在任何街区（一街一策）的开放范围内"))
    else:
        rules.append(RuleResult("policy_area", True, f"属于“{p.name}”一街一策范围"))
        windows = list(p.windows.all())
        if not any(w.activity == activity for w in windows):
            rules.append(RuleResult("activity", False, f"“{p.name}”不允许{label}"))
        else:
            rules.append(RuleResult("activity", True, f"“{p.name}”允许{label}"))
            minute = local.hour * 60 + local.minute
            day_type, today = day_windows(p, activity, local.date(), windows)
            _, yesterday = day_windows(p, activity, local.date() - dt.timedelta(days=1), windows)
            result.day_type = day_type
            result.windows = [w.label for w in today]
            open_now = [w for w in today if (w.start_minute <= minute < w.end_minute) or (_crosses_midnight(w) and minute >= w.start_minute)]
            open_now += [w for w in yesterday if _crosses_midnight(w) and minute < w.end_minute]
            kind_label = {PolicyWindow.DayType.HOLIDAY: "法定节假日时段", PolicyWindow.DayType.TOURIST: "旅游旺季时段",
                          PolicyWindow.DayType.REGULAR: "经营季时段"}
            if not day_type and not open_now:
                rules.append(RuleResult("season", False, f"{local:%m月%d日}不在经营季（{p.season_start} 至 {p.season_end}），且无节假日或旅游旺季安排"))
            elif open_now:
                w = open_now[0]
                rules.append(RuleResult("time_window", True, f"{local:%H:%M}在{kind_label[w.day_type]} {w.label} 内"))
            else:
                rules.append(RuleResult("time_window", False, f"{local:%H:%M}不在{kind_label[day_type]}（{'、'.join(result.windows)}）内"))
        row = gb3096.limit(p.noise_class)
        daytime = gb3096.is_daytime(local.time())
        result.noise = {"class": p.noise_class, "label": row.label, "period": "day" if daytime else "night",
                        "limit_db": row.day_db if daytime else row.night_db}
        rules.append(RuleResult("noise", True, f"{row.label}，{'昼间' if daytime else '夜间'}噪声限值 {result.noise['limit_db']} dB(A)（GB 3096-2008）"))
    result.allowed = all(r.passed for r in rules)
    return result


# ------------------------------------------------------------------ zones and policies


def circle(lng: float, lat: float, radius_m: float, sides: int = 48) -> dict:
    """A polygon approximating a circle, e.g. the 100 m around a school gate."""
    kx = 111_320.0 * math.cos(math.radians(lat))
    ring = [[round(lng + radius_m * math.cos(2 * math.pi * k / sides) / kx, 7), round(lat + radius_m * math.sin(2 * math.pi * k / sides) / 111_320.0, 7)]
            for k in range(sides)]
    return {"type": "Polygon", "coordinates": [ring + [ring[0]]]}


def _polygon(geometry: Any, field_name: str = "geometry") -> str:
    try:
        geom = shape(geometry if isinstance(geometry, dict) else json.loads(geometry))
    except Exception:  # noqa: BLE001 — any unreadable geometry is the same error to the user
        raise Invalid("范围不是有效的 GeoJSON", code="bad_geometry", detail={"field": field_name}) from None
    if geom.geom_type not in ("Polygon", "MultiPolygon") or not geom.is_valid or geom.is_empty:
        raise Invalid("范围应为有效的面（Polygon/MultiPolygon）", code="bad_geometry", detail={"field": field_name})
    return json.dumps(geometry if isinstance(geometry, dict) else json.loads(geometry), separators=(",", ":"))


def _street_at(geometry: str):
    from chengyun.geo import services as geo

    c = shape(json.loads(geometry)).representative_point()
    try:
        return geo.locate(c.x, c.y).grid.street_id
    except Exception:  # noqa: BLE001 — a zone drawn outside the district has no street
        return None


def create_zone(user: Any, *, code: str, name: str, kind: str, geometry: Any, reason: str = "") -> NightZone:
    if user is not None:
        policy.require_role(user, OPS, "只有城运中心可以划定夜间经济管控区")
    if kind not in NightZone.Kind.values:
        raise Invalid(f"管控类别 {kind!r} 无效（可用：forbidden、controlled、open）", code="bad_kind", detail={"field": "kind"})
    code, name = clean_text(code, "code", limit=40), clean_text(name, "name", limit=100)
    if NightZone.objects.filter(code=code).exists():
        raise Invalid(f"编号 {code} 已存在", code="duplicate_code", detail={"field": "code"})
    geom = _polygon(geometry)
    with transaction.atomic():
        zone = NightZone.objects.create(code=code, name=name, kind=kind, reason=reason[:100], geometry=geom, street_id=_street_at(geom))
        audit.created(zone)
    return zone


def _windows(raw: Sequence[dict]) -> list[PolicyWindow]:
    out = []
    for n, w in enumerate(raw):
        activity = require_activity(w.get("activity", ""))
        day_type = w.get("day_type", PolicyWindow.DayType.REGULAR)
        if day_type not in PolicyWindow.DayType.values:
            raise Invalid(f"第 {n + 1} 个时段的适用日 {day_type!r} 无效", code="bad_window", detail={"field": "windows", "index": n})
        try:
            start, end = (_minute(w[k]) for k in ("start", "end"))
        except (KeyError, ValueError):
            raise Invalid(f"第 {n + 1} 个时段的起止时间应为 HH:MM（结束可为 24:00）", code="bad_window", detail={"field": "windows", "index": n}) from None
        if start == end:
            raise Invalid(f"第 {n + 1} 个时段起止相同", code="bad_window", detail={"field": "windows", "index": n})
        out.append(PolicyWindow(activity=activity, day_type=day_type, start_minute=start, end_minute=end))
    return out


def _minute(text: str) -> int:
    h, m = str(text).split(":")
    h, m = int(h), int(m)
    if not (0 <= h <= 24 and 0 <= m < 60) or (h == 24 and m):
        raise ValueError(text)
    return h * 60 + m


def create_policy(user: Any, *, code: str, name: str, kind: str, geometry: Any, windows: Sequence[dict], season_start: str = "01-01",
                  season_end: str = "12-31", tourist_start: dt.date | None = None, tourist_end: dt.date | None = None, noise_class: str = "2",
                  min_passage_m: float = 2.0, tactile_buffer_m: float = 0.5, max_depth_m: float = 3.0, publicity_days: int = 7,
                  strikes_to_revoke: int = 3) -> NightPolicy:
    if user is not None:
        policy.require_role(user, OPS, "只有城运中心可以制定一街一策")
    if kind not in NightPolicy.Kind.values:
        raise Invalid(f"类型 {kind!r} 无效", code="bad_kind", detail={"field": "kind"})
    for f, v in (("season_start", season_start), ("season_end", season_end)):
        try:
            dt.date(2024, *_md(v))
        except (ValueError, TypeError):
            raise Invalid(f"{f} 应为 MM-DD", code="bad_season", detail={"field": f}) from None
    if (tourist_start is None) != (tourist_end is None) or (tourist_start and tourist_end < tourist_start):
        raise Invalid("旅游旺季起止日期有误", code="bad_season", detail={"field": "tourist_end"})
    try:
        gb3096.limit(noise_class)
    except ValueError as exc:
        raise Invalid(str(exc), code="bad_noise_class", detail={"field": "noise_class"}) from None
    for f, v in (("min_passage_m", min_passage_m), ("tactile_buffer_m", tactile_buffer_m), ("max_depth_m", max_depth_m)):
        if not isinstance(v, (int, float)) or v < 0:
            raise Invalid(f"{f} 应为非负数", code="bad_limit", detail={"field": f})
    if strikes_to_revoke < 1:
        raise Invalid("撤销前的违规次数至少为 1", code="bad_limit", detail={"field": "strikes_to_revoke"})
    code, name = clean_text(code, "code", limit=40), clean_text(name, "name", limit=100)
    if NightPolicy.objects.filter(code=code).exists():
        raise Invalid(f"编号 {code} 已存在", code="duplicate_code", detail={"field": "code"})
    geom = _polygon(geometry)
    parsed = _windows(windows)
    with transaction.atomic():
        p = NightPolicy.objects.create(code=code, name=name, kind=kind, geometry=geom, street_id=_street_at(geom), season_start=season_start,
                                       season_end=season_end, tourist_start=tourist_start, tourist_end=tourist_end, noise_class=noise_class,
                                       min_passage_m=min_passage_m, tactile_buffer_m=tactile_buffer_m, max_depth_m=max_depth_m,
                                       publicity_days=publicity_days, strikes_to_revoke=strikes_to_revoke)
        for w in parsed:
            w.policy = p
        PolicyWindow.objects.bulk_create(parsed)
        audit.created(p)
    return p
