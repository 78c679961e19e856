"""Every write of the water domain goes through here: policy check, write, audit entry.

Other apps may call ``outfall_by_code`` and ``dry_weather_flow_outfalls`` (see
docs/interfaces); the evaluation hook and the periodic device check call ``raise_alert`` and
``resolve_device_alerts``.
"""
from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from typing import Any, Callable, Sequence

from django.db import IntegrityError, transaction
from django.db.models import Count, Max, Min
from django.utils import timezone

from chengyun.core import audit, current
from chengyun.core.errors import Conflict, Forbidden, Invalid, NotFound
from chengyun.core.stamps import StampedCache
from chengyun.core.uploads import validated_image
from chengyun.geo import services as geo_services
from chengyun.people import policy
from chengyun.people import roles as R

from . import geometry
from .models import (Alert, Camera, ChiefLevel, Outfall, Patrol, PatrolProblem, PatrolRule, RainDay, Reach, RiverChief,
                     Section, Snapshot, WaterBody)
from .rules import rule

SHANGHAI = dt.timezone(dt.timedelta(hours=8))
# The flow factor of HJ 212-2017 Table B.1 (污水, L/s).
FLOW = "w00000"


# ---------------------------------------------------------------- registry

def _require_ops(user: Any, model) -> None:
    if user is not None:
        policy.require_create(user, model, message="只有城运中心可以维护水环境台账")


def _clean_code(code: str, what: str) -> str:
    code = (code or "").strip()
    if not code or len(code) > 32:
        raise Invalid(f"{what}编码不能为空且不超过 32 个字符", code="invalid_code", detail={"field": "code"})
    return code


# A site on the bank of a boundary river may lie a little outside the district's outline;
# it belongs to the nearest grid if that is this close.
SNAP_TOLERANCE_M = 300.0


def _place(lng: float, lat: float) -> dict[str, Any]:
    try:
        lng, lat = float(lng), float(lat)
    except (TypeError, ValueError):
        raise Invalid("经纬度必须是数字", code="invalid_location", detail={"field": "lng/lat"}) from None
    try:
        loc = geo_services.locate(lng, lat)
        return {"lng": lng, "lat": lat, "grid_id": loc.grid.id, "street_id": loc.grid.street_id}
    except geo_services.OutsideDistrict:
        grid = geometry.nearest_grid(lng, lat, SNAP_TOLERANCE_M)
        if grid is None:
            raise
        return {"lng": lng, "lat": lat, "grid_id": grid.id, "street_id": grid.street_id}


def case_point(site: Section | Outfall) -> tuple[float, float]:
    """Where a case about the site is filed: the site itself, or for a bank-side site just
    outside the outline the nearest point inside its grid (cases are located in grids)."""
    return geometry.point_in_grid(site.lng, site.lat, site.grid)


def create_water_body(user: Any, *, code: str, name: str, kind: str, geometry_json: str = "", description: str = "") -> WaterBody:
    _require_ops(user, WaterBody)
    code = _clean_code(code, "水体")
    name = _clean_text(name, "水体名称", "name", 100)
    if kind not in WaterBody.Kind.values:
        raise Invalid(f"水体类型 {kind!r} 无效，应为 river（河流）或 lake（湖泊/水库）", code="invalid_kind", detail={"field": "kind"})
    if WaterBody.objects.filter(code=code).exists():
        raise Conflict(f"水体编码 {code} 已存在", code="duplicate_code")
    with transaction.atomic():
        body = WaterBody.objects.create(code=code, name=name, kind=kind, geometry=geometry.clean_geojson(geometry_json, ("LineString", "MultiLineString", "Polygon", "MultiPolygon")), description=description)
        audit.created(body)
    return body


def appoint_chief(user: Any, *, person, level: str, title: str = "") -> RiverChief:
    """Appoint a person as river chief. A person holds one appointment: an active one is a
    conflict (change it with ``update_chief``); an ended one is renewed."""
    _require_ops(user, RiverChief)
    _check_level(level, "河长")
    title = _clean_text(title, "职务", "title", 60, required=False)
    if not person.active:
        raise Invalid(f"{person.name} 已不在岗，不能任命为河湖长", code="person_inactive", detail={"field": "person"})
    if R.RIVER_CHIEF not in person.role_codes:
        raise Invalid(f"{person.name} 没有“河长”角色，请先在人员管理中授予", code="not_river_chief")
    existing = RiverChief.objects.filter(person=person, active=True).first()
    if existing is not None:
        raise Conflict(f"{person.name} 已是在任的{existing.get_level_display()}河湖长", code="already_appointed")
    with transaction.atomic():
        chief, created = RiverChief.objects.get_or_create(person=person, defaults={"level": level, "title": title})
        if created:
            audit.created(chief)
        else:
            before = audit.snapshot(chief)
            chief.level, chief.title, chief.active = level, title, True
            chief.save()
            audit.updated(chief, before, verb="reappoint")
    return chief


def create_reach(user: Any, *, code: str, name: str, water_body: WaterBody, level: str, chief: RiverChief | None = None,
                 street=None, community=None, geometry_json: str = "") -> Reach:
    _require_ops(user, Reach)
    code = _clean_code(code, "河段")
    name = _clean_text(name, "河段名称", "name", 100)
    _check_level(level, "河段")
    _check_reach_chief(chief, level)
    if Reach.objects.filter(code=code).exists():
        raise Conflict(f"河段编码 {code} 已存在", code="duplicate_code")
    street, community = _reach_place(street, community)
    track = geometry.clean_geojson(geometry_json, ("LineString", "MultiLineString", "Polygon"))
    with transaction.atomic():
        reach = Reach.objects.create(code=code, name=name, water_body=water_body, level=level, chief=chief, street=street,
                                     community=community, geometry=track, length_m=geometry.length_m(track))
        audit.created(reach)
    return reach


def create_section(user: Any, *, code: str, name: str, water_body: WaterBody, lng: float, lat: float, target_class: int,
                   chief: RiverChief | None = None, reach: Reach | None = None) -> Section:
    _require_ops(user, Section)
    code = _clean_code(code, "断面")
    if target_class not in (1, 2, 3, 4, 5):
        raise Invalid("目标水质类别应为 1–5（Ⅰ–Ⅴ类）", code="invalid_target_class", detail={"field": "target_class"})
    if Section.objects.filter(code=code).exists() or Outfall.objects.filter(code=code).exists():
        raise Conflict(f"站点编码 {code} 已存在", code="duplicate_code")
    with transaction.atomic():
        section = Section.objects.create(code=code, name=name, water_body=water_body, target_class=target_class, chief=chief,
                                         reach=reach, **_place(lng, lat))
        audit.created(section)
    return section


def create_outfall(user: Any, *, code: str, name: str, kind: str, water_body: WaterBody, lng: float, lat: float, unit,
                   reach: Reach | None = None) -> Outfall:
    _require_ops(user, Outfall)
    code = _clean_code(code, "排污口")
    if kind not in Outfall.Kind.values:
        raise Invalid(f"排污口类型 {kind!r} 无效，应为 {'/'.join(Outfall.Kind.values)}", code="invalid_kind", detail={"field": "kind"})
    if Outfall.objects.filter(code=code).exists() or Section.objects.filter(code=code).exists():
        raise Conflict(f"站点编码 {code} 已存在", code="duplicate_code")
    with transaction.atomic():
        outfall = Outfall.objects.create(code=code, name=name, kind=kind, water_body=water_body, unit=unit, reach=reach, **_place(lng, lat))
        audit.created(outfall)
    return outfall


_SITE_FIELDS = {"section": {"name", "target_class", "chief", "reach", "active", "water_body"},
                "outfall": {"name", "kind", "reach", "unit", "active", "water_body"}}


def update_site(user: Any, site: Section | Outfall, *, lng: float | None = None, lat: float | None = None, **changes: Any) -> Section | Outfall:
    """Change a section's or outfall's attributes (those of its kind): an active chief, a reach
    on the site's water body, a non-empty name; a move re-locates it in the grid."""
    if user is not None:
        # A chief reads the sites they answer for (the rule's person path) but the registry is the ops center's.
        _require_registry_admin(user, site)
    unknown = set(changes) - _SITE_FIELDS[site.SITE_KIND]
    if unknown:
        raise Invalid(f"不能修改的字段：{'、'.join(sorted(unknown))}", code="invalid_field")
    if "name" in changes:
        changes["name"] = _clean_text(changes["name"], "站点名称", "name", 100)
    for field in ("water_body", "unit"):
        if field in changes and changes[field] is None:
            raise Invalid(f"{'水体' if field == 'water_body' else '责任单位'}不能为空", code="missing_fields", detail={"field": field})
    chief = changes.get("chief")
    if chief is not None and chief.pk != site.chief_id and not chief.active:
        raise Invalid(f"{chief.person.name} 已不在任，不能担任责任河长", code="chief_not_active", detail={"field": "chief"})
    reach = changes.get("reach")
    body = changes.get("water_body") or site.water_body
    if reach is not None and reach.water_body_id != body.pk:
        raise Invalid(f"河段“{reach.name}”不在{body.name}上", code="reach_not_on_water_body", detail={"field": "reach"})
    if "active" in changes:
        changes["active"] = bool(changes["active"])
    if "target_class" in changes and changes["target_class"] not in (1, 2, 3, 4, 5):
        raise Invalid("目标水质类别应为 1–5（Ⅰ–Ⅴ类）", code="invalid_target_class", detail={"field": "target_class"})
    if "kind" in changes and changes["kind"] not in Outfall.Kind.values:
        raise Invalid(f"排污口类型 {changes['kind']!r} 无效", code="invalid_kind", detail={"field": "kind"})
    with transaction.atomic():
        before = audit.snapshot(site)
        if lng is not None or lat is not None:
            for k, v in _place(lng if lng is not None else site.lng, lat if lat is not None else site.lat).items():
                setattr(site, k, v)
        for k, v in changes.items():
            setattr(site, k, v)
        site.save()
        audit.updated(site, before)
    return site


def link_device(user: Any, mn: str, site: Section | Outfall):
    """Attach a monitoring device to this section or outfall (monitoring keeps the link) and
    judge the history it already has (at most the last 400 days) as this site's."""
    from chengyun.monitoring import services as monitoring

    from . import evaluation

    if user is not None:
        policy.require_write(user, site, "只有城运中心可以关联监测设备")
        policy.require_role(user, R.OPS_CENTER | {R.SYSADMIN}, "只有城运中心可以关联监测设备")
    device = monitoring.link_device(user, mn, site.SITE_KIND, site.code)
    times = monitoring.readings(mn=mn).aggregate(first=Min("data_time"), last=Max("data_time"))
    if times["first"] is not None:
        start = max(times["first"], times["last"] - dt.timedelta(days=400))
        evaluation.reevaluate(site, start, times["last"] + dt.timedelta(hours=1))
    return device


def section_by_code(code: str) -> Section | None:
    return Section.objects.select_related("water_body", "chief__person").filter(code=code).first()


def outfall_by_code(code: str) -> Outfall | None:
    """The outfall registered under `code` (the drainage outfall node carries the same code)."""
    return Outfall.objects.select_related("water_body", "unit", "reach").filter(code=code).first()


def site_by_code(site_kind: str, code: str) -> Section | Outfall | None:
    if site_kind == "section":
        return section_by_code(code)
    if site_kind == "outfall":
        return outfall_by_code(code)
    return None


# ---------------------------------------------------------------- rain days

def set_rain_day(user: Any, date: dt.date, *, rained: bool, precipitation_mm: float | None = None, note: str = "") -> RainDay:
    """Mark a day wet or dry (the ops center keeps this; it decides dry-weather flow)."""
    _require_ops(user, RainDay)
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
        done = _auto_close(alert, f"补录 {date:%Y-%m-%d} 降雨后，告警所涉出流均在降雨日或其后 {lag} 日内，不属旱天出流", "rain_recorded")
        if done is not None:
            closed.append(done)
    return closed


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


# ---------------------------------------------------------------- alerts

# Readings carrying these HJ 212 data flags are kept but not evaluated: F 停运, M 维护,
# S 手工输入, D 故障, C 校准, T 超测量上限, B 通讯异常.
EXCLUDED_FLAGS = frozenset("FMSDCTB")


def _open_key(kind: str, site_kind: str, code: str, factor: str) -> str:
    return f"{kind}:{site_kind}:{code}:{factor}"


def raise_alert(site: Section | Outfall, kind: str, *, at: dt.datetime, message: str, factor: str = "", value: float | None = None,
                threshold: float | None = None, device_mn: str = "", dedup_factor: str | None = None,
                times: Sequence[dt.datetime] = ()) -> Alert:
    """Open an alert, or count a repeat on the open one of the same site, kind and factor.

    ``at`` is the newest evidence; ``times`` all evidence times of this call when a batch
    found several (each one newer than the alert's last sighting counts once). Re-evaluating
    the same evidence changes nothing, so the hook may run twice on the same readings.
    ``dedup_factor`` keys the open alert differently from the factor recorded (a section has
    one open target-class alert whichever factor limits it this hour).
    """
    times = sorted(set(times) | {at})
    key = _open_key(kind, site.SITE_KIND, site.code, factor if dedup_factor is None else dedup_factor)
    with transaction.atomic():
        alert = Alert.objects.select_for_update().filter(open_key=key).first()
        if alert is not None:
            new = sum(t > alert.last_seen_at for t in times)
            if new:
                before = audit.snapshot(alert)
                alert.last_seen_at, alert.occurrences = at, alert.occurrences + new
                alert.value, alert.threshold, alert.message = value, threshold, message[:500]
                alert.save(update_fields=["last_seen_at", "occurrences", "value", "threshold", "message"])
                audit.updated(alert, before, verb="repeat")
            return alert
        fields = dict(kind=kind, grid_id=site.grid_id, street_id=site.street_id, device_mn=device_mn, factor=factor, value=value,
                      threshold=threshold, message=message[:500], first_seen_at=times[0], last_seen_at=at, occurrences=len(times),
                      open_key=key)
        fields["section" if site.SITE_KIND == "section" else "outfall"] = site
        try:
            with transaction.atomic():
                alert = Alert.objects.create(**fields)
        except IntegrityError:
            # A concurrent evaluation opened it first: count on that one.
            return raise_alert(site, kind, at=at, message=message, factor=factor, value=value, threshold=threshold,
                               device_mn=device_mn, dedup_factor=dedup_factor, times=times)
        audit.created(alert)
        if kind in DEVICE_ALERT_KINDS:
            _devices_alerted.bump()
    _notify_new_alert(alert)
    return alert


def _notify_new_alert(alert: Alert) -> None:
    from chengyun.core.notify import notify
    from chengyun.people.models import Person

    recipients = list(Person.objects.filter(active=True, user__isnull=False, roles__code__in=[R.OPS_SHIFT_LEADER]).select_related("user").distinct())
    site = alert.site
    chief = getattr(site, "chief", None) or (site.reach.chief if site.reach_id and site.reach.chief_id else None)
    if chief is not None and chief.person.user_id:
        recipients.append(chief.person)
    users = [p.user for p in recipients if p.user_id]
    if users:
        notify(users, f"水环境告警：{alert.get_kind_display()}（{site.name}）", body=alert.message,
               url=f"/water/alerts/{alert.pk}/", level="warning", dedup_key=f"water.alert:{alert.pk}")


@dataclass(frozen=True)
class Transition:
    label: str
    sources: frozenset[str]
    target: str
    # No roles: nobody may take it by hand, only the system (user None).
    roles: frozenset[str]
    required: tuple[str, ...] = ()
    # Escalations go out once: a second case or task for the same alert would duplicate work.
    once: bool = False
    # The alert kinds it applies to; None: all. `refusal` tells the others why not.
    kinds: frozenset[str] | None = None
    refusal: str = ""

    def applies(self, alert: Alert) -> bool:
        return self.kinds is None or alert.kind in self.kinds


_S = Alert.Status
_HANDLERS = R.OPS_CENTER | frozenset({R.SYSADMIN, R.RIVER_CHIEF, R.STREET_CHIEF, R.DEPT_HANDLER})
_OPS = R.OPS_CENTER | frozenset({R.SYSADMIN})

# Silent and stale devices are conditions the system can see end: when the device reports
# again, the alert closes itself (``resolve_device_alerts``).
DEVICE_ALERT_KINDS = frozenset({Alert.Kind.DEVICE_SILENT, Alert.Kind.DEVICE_STALE})

# The alert lifecycle: new → acknowledged → disposed; escalating hands it to a case or a
# supervision task and leaves it acknowledged until someone closes it with a note.
# A device alert also closes when the device is heard from again, acknowledged or escalated
# alike: the fault it reports is over, and a supervision task keeps its own course (its
# handler reads on the alert why it closed; whoever acknowledged it is notified).
TRANSITIONS: dict[str, Transition] = {
    "acknowledge": Transition("确认", frozenset({_S.NEW}), _S.ACKNOWLEDGED, _HANDLERS),
    "dispose": Transition("处置完毕", frozenset({_S.NEW, _S.ACKNOWLEDGED}), _S.DISPOSED, _HANDLERS, ("disposal_note",)),
    # A silent device is an upkeep matter for the ops center, not a city-management case.
    "to_case": Transition("转为城市管理案件", frozenset({_S.NEW, _S.ACKNOWLEDGED}), _S.ACKNOWLEDGED, _OPS, once=True,
                          kinds=frozenset(Alert.Kind.values) - DEVICE_ALERT_KINDS,
                          refusal="设备离线/停更属于运维问题，请转督办任务而不是城市管理案件"),
    "to_task": Transition("转为督办任务", frozenset({_S.NEW, _S.ACKNOWLEDGED}), _S.ACKNOWLEDGED, _OPS, ("lead_unit", "deadline"), once=True),
    "auto_close": Transition("设备恢复上报，系统自动关闭", frozenset({_S.NEW, _S.ACKNOWLEDGED}), _S.DISPOSED, frozenset(),
                             ("disposal_note",), kinds=DEVICE_ALERT_KINDS),
    # Rain entered after the fact can make every sighting of a dry-weather alert a wet-day flow.
    "rain_recorded": Transition("补录降雨，系统撤销", frozenset({_S.NEW, _S.ACKNOWLEDGED}), _S.DISPOSED, frozenset(),
                                ("disposal_note",), kinds=frozenset({Alert.Kind.DRY_WEATHER_FLOW})),
}


def allowed_transitions(user: Any, alert: Alert) -> list[str]:
    p = policy.principal(user)
    if not policy.can_write(user, alert):
        return []
    return [name for name, t in TRANSITIONS.items()
            if alert.status in t.sources and t.applies(alert) and p.has(t.roles) and not (t.once and (alert.case_number or alert.task_id))]


def _begin(user: Any, alert: Alert, name: str, fields: dict[str, Any]) -> Transition:
    t = TRANSITIONS.get(name)
    if t is None:
        raise Invalid(f"未知操作 {name}", code="unknown_transition")
    if user is not None:
        policy.require_write(user, alert, "您无权处理该告警")
        policy.require_role(user, t.roles, f"您的角色不能执行“{t.label}”")
    if not t.applies(alert):
        raise Conflict(t.refusal or f"{alert.get_kind_display()}告警不能{t.label}", code="bad_transition")
    if alert.status not in t.sources:
        raise Conflict(f"告警当前为“{alert.get_status_display()}”，不能{t.label}", code="bad_transition")
    if t.once and (alert.case_number or alert.task_id):
        where = f"案件 {alert.case_number}" if alert.case_number else f"督办任务 #{alert.task_id}"
        raise Conflict(f"该告警已转为{where}，不能重复转办", code="already_escalated")
    missing = [f for f in t.required if fields.get(f) in (None, "")]
    if missing:
        names = {"disposal_note": "处置说明", "lead_unit": "牵头单位", "deadline": "办理期限"}
        raise Invalid(f"{t.label}需要填写：{'、'.join(names.get(m, m) for m in missing)}", code="missing_fields", detail={"fields": missing})
    return t


def _finish(user: Any, alert: Alert, name: str, t: Transition, before: dict[str, Any]) -> None:
    now = timezone.now()
    if t.target == _S.ACKNOWLEDGED and alert.acknowledged_at is None:
        alert.acknowledged_at, alert.acknowledged_by = now, user
    if t.target == _S.DISPOSED:
        alert.disposed_at, alert.disposed_by = now, user
        alert.open_key = None  # a later exceedance opens a fresh alert
    alert.status = t.target
    alert.save()
    audit.action(alert, name, before=before, after={k: v for k, v in audit.snapshot(alert).items() if before.get(k) != v})
    if t.target == _S.DISPOSED and alert.kind in DEVICE_ALERT_KINDS:
        _devices_alerted.bump()


def acknowledge_alert(user: Any, alert: Alert) -> Alert:
    with transaction.atomic():
        alert = Alert.objects.select_for_update().get(pk=alert.pk)
        t = _begin(user, alert, "acknowledge", {})
        before = audit.snapshot(alert)
        _finish(user, alert, "acknowledge", t, before)
    return alert


def dispose_alert(user: Any, alert: Alert, *, disposal_note: str) -> Alert:
    with transaction.atomic():
        alert = Alert.objects.select_for_update().get(pk=alert.pk)
        t = _begin(user, alert, "dispose", {"disposal_note": (disposal_note or "").strip()})
        before = audit.snapshot(alert)
        alert.disposal_note = disposal_note.strip()
        _finish(user, alert, "dispose", t, before)
    return alert


# ---------------------------------------------------------------- device alerts closing themselves

def _open_device_alert_mns() -> frozenset[str]:
    return frozenset(Alert.objects.filter(kind__in=DEVICE_ALERT_KINDS, open_key__isnull=False).values_list("device_mn", flat=True))


# The ingest hook asks this for every batch: a memory lookup, with one stamp query every few
# seconds, so only a device that has an open silent/stale alert costs a query on the ingest
# path. Alerts are opened by the periodic job in another process, hence a shared stamp.
_devices_alerted: StampedCache[frozenset[str]] = StampedCache("water.device_alerts", _open_device_alert_mns)


def has_open_device_alert(device_mn: str) -> bool:
    return device_mn in _devices_alerted.get()


def _local(t: dt.datetime) -> str:
    return f"{t.astimezone(SHANGHAI):%Y-%m-%d %H:%M}"


def resolve_device_alerts(device_mn: str, *, heard_at: dt.datetime | None, newest_data: dt.datetime | None,
                          now: dt.datetime | None = None, alerts: Sequence[Alert] | None = None) -> list[Alert]:
    """Close the device's open silent / stale alerts whose condition no longer holds, as the system.

    Silent ends when the device was heard from (``heard_at``) within the silent window; stale
    ends when its newest data time is within the stale window — the same tests that raise them,
    so an alert closed here is not raised again by the next check. ``alerts`` are the device's
    open device alerts if the caller already has them. Returns the alerts closed."""
    now = now or timezone.now()
    silent_ok = heard_at is not None and now - heard_at <= dt.timedelta(minutes=int(rule("silent_minutes")))
    stale_ok = newest_data is not None and now - newest_data <= dt.timedelta(minutes=int(rule("stale_minutes")))
    if not (silent_ok or stale_ok):
        return []
    if alerts is None:
        alerts = list(Alert.objects.filter(kind__in=DEVICE_ALERT_KINDS, device_mn=device_mn, open_key__isnull=False))
    notes = {}
    if silent_ok:
        notes[Alert.Kind.DEVICE_SILENT] = f"设备恢复上报（{_local(heard_at)}），系统自动关闭"
    if stale_ok:
        notes[Alert.Kind.DEVICE_STALE] = f"设备数据恢复更新（最新数据时间 {_local(newest_data)}），系统自动关闭"
    closed = []
    ctx = current.get()
    # The system closes it, whichever request, job or ingest thread noticed: the audit entry
    # must not name a person who merely uploaded data.
    with current.acting(None, source=ctx.source, request_id=ctx.request_id):
        for a in alerts:
            if a.kind in notes:
                done = _auto_close(a, notes[a.kind])
                if done is not None:
                    closed.append(done)
    return closed


def _auto_close(alert: Alert, note: str, name: str = "auto_close") -> Alert | None:
    with transaction.atomic():
        alert = Alert.objects.select_for_update(of=("self",)).select_related("section", "outfall", "acknowledged_by").get(pk=alert.pk)
        t = TRANSITIONS[name]
        if alert.status not in t.sources:
            return None  # someone disposed of it meanwhile
        _begin(None, alert, name, {"disposal_note": note})
        before = audit.snapshot(alert)
        alert.disposal_note = note
        _finish(None, alert, name, t, before)
    if alert.acknowledged_by_id:
        from chengyun.core.notify import notify

        site = alert.site
        notify([alert.acknowledged_by], f"水环境告警已自动关闭：{alert.get_kind_display()}（{site.name}）", body=note,
               url=f"/water/alerts/{alert.pk}/", dedup_key=f"water.alert:{alert.pk}:{name}")
    return alert


def case_category(alert: Alert) -> str:
    """The city-management catalogue item an alert becomes: 0130 for discharges, 0126 for river pollution."""
    if alert.kind in (Alert.Kind.DEVICE_SILENT, Alert.Kind.DEVICE_STALE):
        raise Invalid("设备离线/停更属于运维问题，请转督办任务而不是城市管理案件", code="not_a_case")
    if alert.kind == Alert.Kind.DRY_WEATHER_FLOW or alert.outfall_id:
        return "0130"
    return "0126"


# Whether the drainage network has a node under a code. Drainage is the higher app, so it is
# handed in (``register_network_nodes``); until it is, no outfall offers a trace.
_network_has_node: Callable[[str], bool] | None = None


def register_network_nodes(has_node: Callable[[str], bool] | None) -> None:
    global _network_has_node
    _network_has_node = has_node


def outfall_trace_url(outfall: Outfall) -> str:
    """The drainage network upstream of an outfall: where an illicit discharge comes from.
    Empty when no network node carries the outfall's code (e.g. a treatment plant's outfall):
    a link there would lead to a trace of nothing."""
    if _network_has_node is None or not _network_has_node(outfall.code):
        return ""
    return f"/drainage/trace/?node={outfall.code}&direction=upstream"


def trace_url(alert: Alert) -> str:
    return outfall_trace_url(alert.outfall) if alert.outfall_id else ""


def escalate_alert(user: Any, alert: Alert, *, to: str, lead_unit=None, deadline: dt.date | None = None, note: str = "") -> Alert:
    """Turn an alert into a city-management case (to="case") or a supervision task (to="task")."""
    name = {"case": "to_case", "task": "to_task"}.get(to)
    if name is None:
        raise Invalid("转办去向应为 case（案件）或 task（督办任务）", code="invalid_target", detail={"field": "to"})
    with transaction.atomic():
        alert = Alert.objects.select_for_update(of=("self",)).select_related("section", "outfall", "outfall__unit").get(pk=alert.pk)
        t = _begin(user, alert, name, {"lead_unit": lead_unit, "deadline": deadline})
        before = audit.snapshot(alert)
        site = alert.site
        text = f"【水环境告警】{site.name}（{site.code}）{alert.get_kind_display()}：{alert.message}"
        if note:
            text += f"\n{note}"
        if to == "case":
            from chengyun.cases import services as cases

            url = trace_url(alert)
            lng, lat = case_point(site)
            # The case is the system's sensor report (only the system files "sensor" cases);
            # who escalated it is in this alert's audit trail.
            case = cases.report(
                None, source="sensor", category_code=case_category(alert), lng=lng, lat=lat, description=text,
                address=f"{site.water_body.name} {site.name}", external_id=f"water.alert:{alert.pk}", occurred_at=alert.first_seen_at,
                extra={"water_alert": alert.pk, "site_kind": alert.site_kind, "site_code": site.code, **({"trace_url": url} if url else {})},
            )
            alert.case_id, alert.case_number = case.pk, str(case.number)
        else:
            from chengyun.supervision import services as supervision

            if deadline < timezone.localdate():
                raise Invalid("办理期限不能早于今天", code="invalid_deadline", detail={"field": "deadline"})
            links = [("water.alert", str(alert.pk)), (f"water.{alert.site_kind}", site.code)]
            if alert.case_number:
                links.append(("cases.case", alert.case_number))
            task = supervision.create_task(
                user, title=f"{site.name}{alert.get_kind_display()}督办", source="rectification", category="river",
                lead_unit=lead_unit, deadline=deadline, description=text, links=links,
            )
            alert.task_id = task.pk
        _finish(user, alert, name, t, before)
    return alert


# ---------------------------------------------------------------- patrols

DEFAULT_PATROL_RULES = {
    # 河湖长制 common practice: 区级每月不少于 1 次，街道级每旬 1 次，社区（村）级每周 1 次.
    ChiefLevel.DISTRICT: (1, 30, 1000),
    ChiefLevel.STREET: (3, 30, 1500),
    ChiefLevel.COMMUNITY: (4, 20, 1000),
}


def patrol_rule(level: str) -> PatrolRule:
    found = PatrolRule.objects.filter(level=level).first()
    if found is not None:
        return found
    n, minutes, metres = DEFAULT_PATROL_RULES[level]
    return PatrolRule(level=level, patrols_per_month=n, min_duration_min=minutes, min_distance_m=metres)


def set_patrol_rule(user: Any, level: str, *, patrols_per_month: int, min_duration_min: int, min_distance_m: int) -> PatrolRule:
    _require_ops(user, PatrolRule)
    if level not in ChiefLevel.values:
        raise Invalid(f"河长层级 {level!r} 无效", code="invalid_level", detail={"field": "level"})
    for name, value in (("patrols_per_month", patrols_per_month), ("min_duration_min", min_duration_min), ("min_distance_m", min_distance_m)):
        if not isinstance(value, int) or value < 0:
            raise Invalid(f"{name} 应为非负整数", code="invalid_rule", detail={"field": name})
    with transaction.atomic():
        found = PatrolRule.objects.filter(level=level).first()
        if found is None:
            found = PatrolRule.objects.create(level=level, patrols_per_month=patrols_per_month, min_duration_min=min_duration_min, min_distance_m=min_distance_m)
            audit.created(found)
        else:
            before = audit.snapshot(found)
            found.patrols_per_month, found.min_duration_min, found.min_distance_m = patrols_per_month, min_duration_min, min_distance_m
            found.save()
            audit.updated(found, before)
    return found


def _chief_of(user: Any) -> RiverChief:
    chief = RiverChief.objects.select_related("person").filter(person__user=user, active=True).first() if user is not None else None
    if chief is None:
        raise Forbidden("您不是在任的河湖长，不能记录巡河", code="not_river_chief")
    return chief


def start_patrol(user: Any, *, chief: RiverChief | None = None, reach: Reach | None = None, started_at: dt.datetime | None = None) -> Patrol:
    """Start a patrol: by the chief themself, or entered for a chief without a login by the
    ops center (or the system, user None)."""
    if chief is None:
        chief = _chief_of(user)
    elif user is not None and chief.person.user_id != user.pk:
        policy.require_role(user, _OPS, "只能为自己记录巡河")
    if reach is not None and reach.chief_id != chief.pk:
        raise Forbidden(f"河段“{reach.name}”不由{chief.person.name}负责", code="not_your_reach")
    if Patrol.objects.filter(chief=chief, status=Patrol.Status.ONGOING).exists():
        raise Conflict("该河湖长有一次巡河尚未结束，请先结束它", code="patrol_ongoing")
    with transaction.atomic():
        patrol = Patrol.objects.create(chief=chief, reach=reach, started_at=started_at or timezone.now())
        audit.created(patrol)
    return patrol


def finish_patrol(user: Any, patrol: Patrol, *, track: Any, ended_at: dt.datetime | None = None, note: str = "") -> Patrol:
    """End a patrol with its GPS track (a GeoJSON LineString or a list of [lng, lat]).
    Duration and geodesic distance are computed here, never taken from the client."""
    if user is not None:
        policy.require_write(user, patrol, "只能结束自己的巡河")
    if patrol.status != Patrol.Status.ONGOING:
        raise Conflict("该巡河已结束", code="bad_transition")
    line = geometry.clean_track(track)
    ended_at = ended_at or timezone.now()
    if ended_at < patrol.started_at:
        raise Invalid("结束时间早于开始时间", code="invalid_time", detail={"field": "ended_at"})
    with transaction.atomic():
        before = audit.snapshot(patrol)
        patrol.track = json.dumps(line, separators=(",", ":"))
        patrol.distance_m = round(geometry.length_m(patrol.track), 1)
        patrol.ended_at = ended_at
        patrol.duration_s = int((ended_at - patrol.started_at).total_seconds())
        patrol.note = note
        patrol.status = Patrol.Status.FINISHED
        patrol.save()
        audit.action(patrol, "finish", before=before, after={"distance_m": patrol.distance_m, "duration_s": patrol.duration_s})
    return patrol


def record_patrol(user: Any, *, chief: RiverChief, started_at: dt.datetime, ended_at: dt.datetime, track: Any,
                  reach: Reach | None = None, note: str = "") -> Patrol:
    """The ops center enters a patrol walked without the phone page (a paper log, a chief with
    no login): started and finished at once, judged by the same rules as any other."""
    if user is not None:
        policy.require_role(user, _OPS, "只有城运中心可以补录巡河记录")
    if not chief.active:
        raise Invalid(f"{chief.person.name} 已不在任", code="chief_not_active", detail={"field": "chief"})
    # A paper log's times are China time.
    started_at, ended_at = (t if timezone.is_aware(t) else t.replace(tzinfo=SHANGHAI) for t in (started_at, ended_at))
    if ended_at > timezone.now():
        raise Invalid("结束时间不能晚于现在", code="invalid_time", detail={"field": "ended_at"})
    with transaction.atomic():
        patrol = start_patrol(None, chief=chief, reach=reach, started_at=started_at)
        patrol = finish_patrol(None, patrol, track=track, ended_at=ended_at, note=note or "城运中心补录")
    return patrol


# 四乱 → 河道违建 / 违采乱堆; water problems → 河道污染 / 乱排污水.
PROBLEM_CATEGORY = {
    PatrolProblem.Kind.ENCROACHMENT: "0181",
    PatrolProblem.Kind.CONSTRUCTION: "0181",
    PatrolProblem.Kind.MINING: "0182",
    PatrolProblem.Kind.DUMPING: "0182",
    PatrolProblem.Kind.POLLUTION: "0126",
    PatrolProblem.Kind.FLOATING: "0126",
    PatrolProblem.Kind.DISCHARGE: "0130",
}


def case_source(chief: RiverChief) -> str:
    """The case source a chief's patrol finding is filed under. The case catalogue has no
    river-chief source: a street-level chief is the street's office (street_chief); the
    others report as community-level field staff (community_grid_worker). "leader" is kept
    for leaders' instructions, which a patrol finding is not."""
    return "street_chief" if chief.level == ChiefLevel.STREET else "community_grid_worker"


# The role cases.report expects of a user filing under each source; a chief without it has
# the system file the case on their behalf (their name and phone stay on the case).
_SOURCE_ROLE = {"street_chief": R.STREET_CHIEF, "community_grid_worker": R.COMMUNITY_GRID_WORKER}


def report_problem(user: Any, patrol: Patrol, *, kind: str, description: str, lng: float, lat: float, photo=None,
                   found_at: dt.datetime | None = None) -> PatrolProblem:
    """Record a problem found on patrol and file it as a city-management case at once."""
    if user is not None:
        policy.require_write(user, patrol, "只能在自己的巡河中上报问题")
    if patrol.status != Patrol.Status.ONGOING:
        raise Conflict("该巡河已结束，不能再添加问题；请在新的巡河中上报，或直接上报案件", code="patrol_not_ongoing")
    if kind not in PatrolProblem.Kind.values:
        raise Invalid(f"问题类型 {kind!r} 无效", code="invalid_kind", detail={"field": "kind"})
    description = (description or "").strip()
    if not description:
        raise Invalid("请描述发现的问题", code="missing_fields", detail={"field": "description"})
    place = _place(lng, lat)
    source = case_source(patrol.chief)
    reporter = user if user is not None and policy.principal(user).has({_SOURCE_ROLE[source]}) else None
    photo_bytes = b""
    if photo is not None:
        photo_bytes, _info = validated_image(photo, field="photo")
    problem = PatrolProblem(patrol=patrol, kind=kind, description=description, lng=place["lng"], lat=place["lat"],
                            grid_id=place["grid_id"], found_at=found_at or timezone.now())
    try:
        return _file_problem(patrol, problem, photo, photo_bytes, source, reporter)
    except BaseException:
        # The rolled-back row leaves its photo behind on disk otherwise.
        if problem.photo:
            problem.photo.storage.delete(problem.photo.name)
        raise


def _file_problem(patrol: Patrol, problem: PatrolProblem, photo, photo_bytes: bytes, source: str, reporter) -> PatrolProblem:
    from chengyun.cases import services as cases

    with transaction.atomic():
        if photo is not None:
            problem.photo.save(getattr(photo, "name", "photo.jpg") or "photo.jpg", photo, save=False)
        problem.save()
        case_lng, case_lat = geometry.point_in_grid(problem.lng, problem.lat, problem.grid)
        case = cases.report(
            reporter, source=source, category_code=PROBLEM_CATEGORY[problem.kind], lng=case_lng, lat=case_lat,
            description=f"【河长巡河】{problem.get_kind_display()}：{problem.description}", reporter_name=patrol.chief.person.name,
            reporter_phone=patrol.chief.person.phone, external_id=f"water.patrol_problem:{problem.pk}", occurred_at=problem.found_at,
            attachments=[photo_bytes] if photo_bytes else (), extra={"patrol": patrol.pk, "reach": patrol.reach.code if patrol.reach_id else ""},
        )
        problem.case_id, problem.case_number = case.pk, str(case.number)
        problem.save(update_fields=["case_id", "case_number"])
        audit.created(problem)
    return problem


@dataclass
class ComplianceRow:
    chief: RiverChief
    rule: PatrolRule
    patrols: int
    valid: int
    required: int
    distance_m: float
    duration_s: int
    problems: int

    @property
    def compliant(self) -> bool:
        return self.valid >= self.required


def month_bounds(year: int, month: int) -> tuple[dt.datetime, dt.datetime]:
    start = dt.datetime(year, month, 1, tzinfo=SHANGHAI)
    end = dt.datetime(year + (month == 12), month % 12 + 1, 1, tzinfo=SHANGHAI)
    return start, end


def compliance(year: int, month: int, chiefs: Sequence[RiverChief] | None = None) -> list[ComplianceRow]:
    """Who patrolled enough in the month: valid patrols (long and far enough) against the level's rule."""
    start, end = month_bounds(year, month)
    rules = {lvl: patrol_rule(lvl) for lvl in ChiefLevel.values}
    chiefs = list(chiefs) if chiefs is not None else list(RiverChief.objects.filter(active=True).select_related("person"))
    by_chief: dict[int, list[Patrol]] = {}
    for p in Patrol.objects.filter(chief__in=chiefs, status=Patrol.Status.FINISHED, started_at__gte=start, started_at__lt=end).annotate(n_problems=Count("problems")):
        by_chief.setdefault(p.chief_id, []).append(p)
    rows = []
    for c in chiefs:
        r = rules[c.level]
        ps = by_chief.get(c.pk, [])
        valid = [p for p in ps if p.duration_s >= r.min_duration_min * 60 and p.distance_m >= r.min_distance_m]
        rows.append(ComplianceRow(c, r, len(ps), len(valid), r.patrols_per_month, sum(p.distance_m for p in ps),
                                  sum(p.duration_s for p in ps), sum(p.n_problems for p in ps)))
    rows.sort(key=lambda row: (row.compliant, row.chief.level, row.chief.person.name))
    return rows


# ---------------------------------------------------------------- visual monitoring

def create_camera(user: Any, *, code: str, name: str, outfall: Outfall, account=None, active: bool = True) -> Camera:
    _require_ops(user, Camera)
    code = _clean_code(code, "监控点")
    name = _clean_text(name, "监控点名称", "name", 100)
    _check_camera_account(account)
    if Camera.objects.filter(code=code).exists():
        raise Conflict(f"监控点编码 {code} 已存在", code="duplicate_code")
    with transaction.atomic():
        camera = Camera.objects.create(code=code, name=name, outfall=outfall, account=account, active=bool(active))
        audit.created(camera)
    return camera


ALLOWED_IMAGE_TYPES = {"image/jpeg": "jpg", "image/png": "png"}


def upload_snapshot(user: Any, camera_code: str, *, image, taken_at: dt.datetime | None = None, note: str = "") -> Snapshot:
    """A camera (authenticated with its own account's token) or the ops center stores a snapshot."""
    camera = Camera.objects.select_related("outfall").filter(code=camera_code, active=True).first()
    if camera is None:
        raise NotFound(f"监控点 {camera_code} 不存在或已停用")
    # The camera's own account, the ops center, or the system (user None, e.g. an importer).
    if user is not None and camera.account_id != user.pk and not policy.principal(user).has(_OPS):
        raise Forbidden("该令牌不属于此监控点", code="wrong_device")
    if image is None:
        raise Invalid("缺少图片文件", code="missing_fields", detail={"field": "image"})
    _data, info = validated_image(image, field="image")
    taken_at = taken_at or timezone.now()
    if timezone.is_naive(taken_at):
        raise Invalid("拍摄时间须带时区", code="invalid_time", detail={"field": "taken_at"})
    with transaction.atomic():
        snap = Snapshot(camera=camera, outfall=camera.outfall, taken_at=taken_at, note=note[:200])
        snap.image.save(f"{camera.code}-{taken_at.astimezone(SHANGHAI):%Y%m%d%H%M%S}.{info.extension}", image, save=False)
        snap.save()
        audit.created(snap)
    return snap


# ---------------------------------------------------------------- registry administration
#
# Changing the registry after it was set up, by the ops center: water bodies, reaches, river
# chiefs (appointment, change of level or title, end of appointment) and cameras. Codes never
# change: sites, devices, cases and patrols refer to them.
#
# Ending an appointment (active = False) keeps every patrol of the chief as it is (history;
# an ongoing one may still be finished or cancelled) and hands the chief's reaches and
# sections to a successor of the same level if one is named, otherwise leaves them vacant
# (chief empty, listed as 待任命 on the chiefs page) so a dismissed chief answers for nothing.

_REGISTRY_MESSAGE = "只有城运中心可以维护水环境台账"


def _require_registry_admin(user: Any, obj) -> None:
    if user is not None:
        policy.require_write(user, obj, _REGISTRY_MESSAGE)
        policy.require_role(user, _OPS, _REGISTRY_MESSAGE)


def _clean_text(value: Any, what: str, field: str, max_length: int, *, required: bool = True) -> str:
    value = ("" if value is None else str(value)).strip()
    if (required and not value) or len(value) > max_length:
        need = "不能为空且" if required else ""
        raise Invalid(f"{what}{need}不超过 {max_length} 个字符", code=f"invalid_{field}", detail={"field": field})
    return value


def _check_level(level: str, what: str) -> str:
    if level not in ChiefLevel.values:
        raise Invalid(f"{what}层级 {level!r} 无效，应为 {'/'.join(ChiefLevel.values)}", code="invalid_level", detail={"field": "level"})
    return level


def _check_reach_chief(chief: RiverChief | None, level: str) -> None:
    if chief is None:
        return
    if not chief.active:
        raise Invalid(f"{chief.person.name} 已不在任，不能负责河段", code="chief_not_active", detail={"field": "chief"})
    if chief.level != level:
        raise Invalid(f"{chief} 不是{ChiefLevel(level).label}河长，不能负责该层级河段", code="level_mismatch", detail={"field": "chief"})


def _reach_place(street, community):
    """A community implies its street; both given must agree."""
    if community is None:
        return street, None
    if street is None:
        return community.street, community
    if community.street_id != street.pk:
        raise Invalid(f"社区“{community.name}”不属于街道“{street.name}”", code="community_not_in_street", detail={"field": "community"})
    return street, community


def update_water_body(user: Any, body: WaterBody, **changes: Any) -> WaterBody:
    """Change a water body's name, kind, geometry or description (not its code). A change of
    kind (river ↔ lake) applies to evaluations from now on; ``evaluation.reevaluate`` re-judges history."""
    _require_registry_admin(user, body)
    unknown = set(changes) - {"name", "kind", "geometry_json", "description"}
    if unknown:
        raise Invalid(f"不能修改的字段：{'、'.join(sorted(unknown))}", code="invalid_field")
    with transaction.atomic():
        body = WaterBody.objects.select_for_update().get(pk=body.pk)
        before = audit.snapshot(body)
        if "name" in changes:
            body.name = _clean_text(changes["name"], "水体名称", "name", 100)
        if "kind" in changes:
            if changes["kind"] not in WaterBody.Kind.values:
                raise Invalid(f"水体类型 {changes['kind']!r} 无效，应为 river（河流）或 lake（湖泊/水库）", code="invalid_kind", detail={"field": "kind"})
            body.kind = changes["kind"]
        if "geometry_json" in changes:
            body.geometry = geometry.clean_geojson(changes["geometry_json"] or "", ("LineString", "MultiLineString", "Polygon", "MultiPolygon"))
        if "description" in changes:
            body.description = _clean_text(changes["description"], "说明", "description", 2000, required=False)
        body.save()
        audit.updated(body, before)
    return body


def _end_appointment(chief: RiverChief, successor: RiverChief | None) -> RiverChief:
    if successor is not None:
        if successor.pk == chief.pk:
            raise Invalid("接任的河湖长不能是本人", code="invalid_successor", detail={"field": "successor"})
        if not successor.active:
            raise Invalid(f"{successor.person.name} 已不在任，不能接任", code="chief_not_active", detail={"field": "successor"})
        if successor.level != chief.level:
            raise Invalid(f"接任者应为{chief.get_level_display()}河长（河段层级不变）", code="level_mismatch", detail={"field": "successor"})
    reaches, sections = [], []
    for reach in Reach.objects.select_for_update().filter(chief=chief):
        before = audit.snapshot(reach)
        reach.chief = successor
        reach.save(update_fields=["chief"])
        audit.updated(reach, before, verb="handover" if successor else "vacate")
        reaches.append(reach.code)
    for section in Section.objects.select_for_update().filter(chief=chief):
        before = audit.snapshot(section)
        section.chief = successor
        section.save(update_fields=["chief"])
        audit.updated(section, before, verb="handover" if successor else "vacate")
        sections.append(section.code)
    chief.active = False
    chief.save(update_fields=["active"])
    audit.action(chief, "end_appointment", before={"active": True},
                 after={"active": False, "successor": successor.pk if successor else None, "reaches": reaches, "sections": sections})
    return chief


def end_appointment(user: Any, chief: RiverChief, *, successor: RiverChief | None = None) -> RiverChief:
    """End a chief's appointment; their reaches and sections go to `successor` or stay vacant.
    Patrols are untouched (an ongoing one may still be finished or cancelled)."""
    return update_chief(user, chief, active=False, successor=successor)


def update_chief(user: Any, chief: RiverChief, *, level: str | None = None, title: str | None = None, active: bool | None = None,
                 successor: RiverChief | None = None) -> RiverChief:
    """Change a chief's level or title, end the appointment (active False, optionally naming a
    successor for the reaches) or renew an ended one (active True)."""
    _require_registry_admin(user, chief)
    if successor is not None and active is not False:
        raise Invalid("只有结束任职时才能指定接任者", code="invalid_successor", detail={"field": "successor"})
    with transaction.atomic():
        chief = RiverChief.objects.select_for_update(of=("self",)).select_related("person").get(pk=chief.pk)
        before = audit.snapshot(chief)
        renewed = False
        if level is not None and level != chief.level:
            _check_level(level, "河长")
            held = Reach.objects.filter(chief=chief).exclude(level=level).count()
            if held:
                raise Conflict(f"{chief.person.name} 仍负责 {held} 个{chief.get_level_display()}河段，请先把这些河段交给其他河湖长再改层级",
                               code="chief_has_reaches", detail={"reaches": held})
            chief.level = level
        if title is not None:
            chief.title = _clean_text(title, "职务", "title", 60, required=False)
        if active is True and not chief.active:
            if R.RIVER_CHIEF not in chief.person.role_codes:
                raise Invalid(f"{chief.person.name} 没有“河长”角色，请先在人员管理中授予", code="not_river_chief")
            chief.active, renewed = True, True
        chief.save()
        audit.updated(chief, before, verb="reappoint" if renewed else "")
        if active is False:
            if not chief.active:
                raise Conflict(f"{chief.person.name} 的任职已结束", code="already_ended")
            _end_appointment(chief, successor)
    return chief


_REACH_FIELDS = {"name", "level", "chief", "street", "community", "geometry_json"}


def update_reach(user: Any, reach: Reach, **changes: Any) -> Reach:
    """Assign or change a reach's chief (None: vacant), its level, street, community, name or geometry.
    Patrols on the reach keep the chief who walked them."""
    _require_registry_admin(user, reach)
    unknown = set(changes) - _REACH_FIELDS
    if unknown:
        raise Invalid(f"不能修改的字段：{'、'.join(sorted(unknown))}", code="invalid_field")
    with transaction.atomic():
        reach = Reach.objects.select_for_update(of=("self",)).select_related("chief__person", "street", "community").get(pk=reach.pk)
        before = audit.snapshot(reach)
        if "name" in changes:
            reach.name = _clean_text(changes["name"], "河段名称", "name", 100)
        level = _check_level(changes["level"], "河段") if "level" in changes else reach.level
        chief = changes["chief"] if "chief" in changes else reach.chief
        if "chief" in changes or level != reach.level:
            _check_reach_chief(chief, level)
        reach.level, reach.chief = level, chief
        if "street" in changes or "community" in changes:
            street = changes["street"] if "street" in changes else reach.street
            community = changes["community"] if "community" in changes else reach.community
            if "street" in changes and "community" not in changes and community is not None and street is not None and community.street_id != street.pk:
                community = None  # a new street leaves the old street's community behind
            reach.street, reach.community = _reach_place(street, community)
        if "geometry_json" in changes:
            reach.geometry = geometry.clean_geojson(changes["geometry_json"] or "", ("LineString", "MultiLineString", "Polygon"))
            reach.length_m = geometry.length_m(reach.geometry)
        reach.save()
        audit.updated(reach, before)
    return reach


def _check_camera_account(account) -> None:
    if account is not None and not account.is_active:
        raise Invalid(f"账号 {account.get_username()} 已停用", code="account_inactive", detail={"field": "account"})


def update_camera(user: Any, camera: Camera, **changes: Any) -> Camera:
    """Move a camera to another outfall, change the account whose API token uploads its
    snapshots (None: only the ops center may upload), rename it, or switch it on or off.
    Snapshots already taken stay with the outfall they show."""
    _require_registry_admin(user, camera)
    unknown = set(changes) - {"name", "outfall", "account", "active"}
    if unknown:
        raise Invalid(f"不能修改的字段：{'、'.join(sorted(unknown))}", code="invalid_field")
    with transaction.atomic():
        camera = Camera.objects.select_for_update().get(pk=camera.pk)
        before = audit.snapshot(camera)
        if "name" in changes:
            camera.name = _clean_text(changes["name"], "监控点名称", "name", 100)
        if "outfall" in changes:
            if changes["outfall"] is None:
                raise Invalid("监控点必须挂在一个排污口上", code="missing_fields", detail={"field": "outfall"})
            camera.outfall = changes["outfall"]
        if "account" in changes:
            _check_camera_account(changes["account"])
            camera.account = changes["account"]
        if "active" in changes:
            camera.active = bool(changes["active"])
        camera.save()
        audit.updated(camera, before)
    return camera


# ---- patrol cancellation

def cancel_patrol(user: Any, patrol: Patrol, *, reason: str) -> Patrol:
    """Abandon an ongoing patrol (e.g. too few GPS points for a track): it is kept as
    cancelled with the reason, never counts in ``compliance`` (finished only), and the chief may
    start a new one. The chief themself or the ops center may cancel."""
    if user is not None and not policy.can_write(user, patrol):
        if not policy.can_read(user, patrol):
            raise NotFound()
        policy.require_role(user, _OPS, "只能放弃自己的巡河")
    reason = _clean_text(reason, "放弃原因", "reason", 500)
    with transaction.atomic():
        patrol = Patrol.objects.select_for_update().get(pk=patrol.pk)
        if patrol.status != Patrol.Status.ONGOING:
            raise Conflict(f"该巡河{patrol.get_status_display()}，不能放弃", code="bad_transition")
        before = audit.snapshot(patrol)
        patrol.status = Patrol.Status.CANCELLED
        patrol.ended_at = max(timezone.now(), patrol.started_at)
        patrol.note = reason
        patrol.save()
        audit.action(patrol, "cancel", before={"status": before["status"]}, after={"status": patrol.status, "reason": reason})
    return patrol
