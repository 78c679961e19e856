"""外摆许可 and violations: application checked against the zones and the street's limits,
street review and publicity (working days), approval and validity through the one state table
(``permit_workflow``); violations counted per shop and season, the configured strike revoking
the season's permit."""
from __future__ import annotations

import datetime as dt
import json
from typing import Any

from django.db import transaction
from django.utils import timezone
from shapely.geometry import shape

from chengyun.core import audit
from chengyun.core.calendar import get_calendar
from chengyun.core.errors import Conflict, Invalid
from chengyun.people import policy
from chengyun.standards import gb32100

from .. import permit_workflow as wf
from ..models import ACTIVITIES, NightPolicy, NightZone, Permit, PermitEvent, Shop, Violation
from .common import SHANGHAI, aware, clean_text, person_of
from .night import _polygon, check, in_season


def create_shop(user: Any, *, code: str, name: str, lng: float, lat: float, address: str = "", credit_code: str = "",
                policy_obj: NightPolicy | None = None) -> Shop:
    """登记商户: placed by its point in a street; the street's staff or the district desk may (the
    rule registered for Shop). The unified social credit code, when given, is checked against
    GB 32100; a shop outside the chosen policy's area is refused."""
    from shapely.geometry import Point

    from chengyun.geo import services as geo

    try:
        location = geo.locate(lng, lat)
    except geo.OutsideDistrict:
        raise Invalid("商户位置不在本区范围内，请在地图上重新选点", code="outside_district", detail={"field": "lng"}) from None
    if user is not None:
        policy.require_create(user, Shop, street_id=location.grid.street_id, message="只能登记本街道的商户")
    code, name = clean_text(code, "code", limit=40), clean_text(name, "name", limit=100)
    if credit_code:
        credit_code = gb32100.normalise(credit_code)
        found = gb32100.problem(credit_code)
        if found is not None:
            raise Invalid(f"统一社会信用代码有误：{found.message}", code="bad_credit_code", detail={"field": "credit_code", "rule": found.code})
    if policy_obj is not None and not policy_obj.shape.covers(Point(location.lng, location.lat)):
        raise Invalid(f"商户不在“{policy_obj.name}”的范围内", code="outside_policy", detail={"field": "policy", "policy": policy_obj.code})
    if Shop.objects.filter(code=code).exists():
        raise Invalid(f"商户编号 {code} 已存在", code="duplicate_code", detail={"field": "code"})
    with transaction.atomic():
        shop = Shop.objects.create(code=code, name=name, lng=location.lng, lat=location.lat, address=(address or "").strip()[:200],
                                   credit_code=credit_code, street_id=location.grid.street_id, policy=policy_obj)
        audit.created(shop)
    return shop


def _next_number(season: int) -> str:
    n = Permit.objects.filter(season=season).count() + 1
    while Permit.objects.filter(number=f"WB{season}-{n:04d}").exists():
        n += 1
    return f"WB{season}-{n:04d}"


def apply(user: Any, *, shop: Shop, policy_obj: NightPolicy, area_m2: float, tables: int, depth_m: float, passage_m: float,
          geometry: Any, tactile_m: float | None = None, season: int | None = None, applied_at: dt.datetime | None = None,
          note: str = "") -> Permit:
    """An application (申请). Refused, with the rule named, when the spot overlaps a 严禁 zone,
    leaves the policy's area, or breaks its passage, tactile-paving or depth limits."""
    if user is not None:
        policy.require_create(user, Permit, street_id=shop.street_id, message="只能为本街道的商户登记外摆申请")
    geom = _polygon(geometry)
    spot = shape(json.loads(geom))
    for z in NightZone.objects.filter(kind=NightZone.Kind.FORBIDDEN):
        if z.shape.intersects(spot):
            raise Invalid(f"外摆位置与严禁区域“{z.name}”重叠，不予受理", code="forbidden_zone",
                          detail={"field": "geometry", "zone": z.code, "zone_name": z.name})
    if not policy_obj.shape.covers(spot):
        raise Invalid(f"外摆位置超出“{policy_obj.name}”的开放范围", code="outside_policy", detail={"field": "geometry", "policy": policy_obj.code})
    checks = [
        ("area_m2", area_m2 > 0, "外摆面积应大于 0"),
        ("tables", isinstance(tables, int) and tables >= 1, "桌数至少为 1"),
        ("passage_m", passage_m >= policy_obj.min_passage_m, f"保留人行通道 {passage_m} 米，少于本街区要求的 {policy_obj.min_passage_m} 米"),
        ("depth_m", 0 < depth_m <= policy_obj.max_depth_m, f"距建筑线进深 {depth_m} 米，超过本街区上限 {policy_obj.max_depth_m} 米"),
    ]
    if tactile_m is not None:
        checks.append(("tactile_m", tactile_m >= policy_obj.tactile_buffer_m, f"距盲道 {tactile_m} 米，少于要求的 {policy_obj.tactile_buffer_m} 米"))
    for field_name, ok, message in checks:
        if not ok:
            raise Invalid(message, code=f"limit_{field_name}", detail={"field": field_name})
    applied_at = aware(applied_at, "applied_at") or timezone.now()
    season = season or applied_at.astimezone(SHANGHAI).year
    if Permit.objects.filter(shop=shop, season=season, state__in=wf.OPEN_STATES | {wf.APPROVED}).exists():
        raise Conflict(f"{shop.name} 本年度已有办理中或有效的外摆许可", code="permit_exists")
    with transaction.atomic():
        permit = Permit.objects.create(number=_next_number(season), shop=shop, policy=policy_obj, street_id=shop.street_id, state=wf.APPLIED,
                                       season=season, area_m2=area_m2, tables=tables, depth_m=depth_m, passage_m=passage_m, tactile_m=tactile_m,
                                       geometry=geom, applied_at=applied_at, note=note[:300])
        PermitEvent.objects.create(permit=permit, action="apply", to_state=wf.APPLIED, at=applied_at, actor_name=_actor(user))
        audit.created(permit, verb="apply")
    return permit


def _actor(user: Any) -> str:
    p = person_of(user)
    return p.name if p else ("系统" if user is None else user.get_username())


def add_working_days(start: dt.date, n: int) -> dt.date:
    """The last day of an n-working-day publicity beginning on ``start`` (or the next working day)."""
    cal = get_calendar()
    day, counted = start, 0
    while True:
        if cal.is_workday(day):
            counted += 1
            if counted >= n:
                return day
        day += dt.timedelta(days=1)


def transition(user: Any, permit: Permit, action: str, *, note: str = "", at: dt.datetime | None = None,
               valid_to: dt.date | None = None) -> Permit:
    t = wf.TRANSITIONS.get(action)
    if t is None or (t.internal and user is not None):
        raise Invalid(f"操作 {action!r} 无效", code="bad_action", detail={"field": "action"})
    if user is not None:
        # The permit's street (or the district desk) may act on it at all; the table says which step.
        policy.require_write(user, permit, "只能办理本街道的外摆许可")
        policy.require_role(user, t.roles | wf.DISTRICT, f"您的角色不能“{t.label}”")
    if permit.state not in t.sources:
        raise Conflict(f"许可处于“{wf.STATES[permit.state]}”，不能“{t.label}”", code="bad_transition")
    if t.note_required and not note.strip():
        raise Invalid("请填写意见或理由", code="note_required", detail={"field": "note"})
    now = aware(at, "at") or timezone.now()
    today = now.astimezone(SHANGHAI).date()
    with transaction.atomic():
        before = audit.snapshot(permit)
        if action == "review":
            permit.publicity_from = today
            permit.publicity_until = add_working_days(today + dt.timedelta(days=1), permit.policy.publicity_days)
        elif action == "approve":
            if today <= permit.publicity_until:
                raise Conflict(f"公示期至 {permit.publicity_until} 止，期满后方可批准", code="publicity_running")
            season_end = dt.date(permit.season, *map(int, permit.policy.season_end.split("-")))
            if season_end < today:
                season_end = dt.date(permit.season + 1, *map(int, permit.policy.season_end.split("-")))
            permit.valid_from, permit.valid_to = today, valid_to or season_end
        from_state = permit.state
        permit.state = t.target
        if note:
            permit.note = note[:300]
        permit.save()
        PermitEvent.objects.create(permit=permit, action=action, from_state=from_state, to_state=t.target, at=now, actor_name=_actor(user), note=note[:300])
        audit.updated(permit, before, verb=action)
    return permit


def expire_due(today: dt.date | None = None) -> int:
    """Move approved permits whose validity ended to 已到期 (run daily)."""
    today = today or timezone.localdate()
    n = 0
    for permit in Permit.objects.filter(state=wf.APPROVED, valid_to__lt=today):
        transition(None, permit, "expire")
        n += 1
    return n


def strikes(shop: Shop, season: int) -> int:
    return Violation.objects.filter(shop=shop, season=season).count()


def record_violation(user: Any, *, lng: float, lat: float, activity: str, found_at: dt.datetime | None = None, shop: Shop | None = None,
                     rule_code: str = "", rule_text: str = "", finding=None, case=None) -> Violation:
    """A violation, citing the rule ``check`` found broken (or, where the check allows the
    activity, the permit limit the patroller saw broken). The shop's count for the season
    reaching the policy's strike limit revokes its permit."""
    found_at = aware(found_at, "found_at") or timezone.now()
    result = check(lng, lat, found_at, activity)
    broken = result.deciding
    if broken is not None:
        rule_code, rule_text = broken.code, broken.text
    elif not rule_code:
        raise Invalid("此处此时允许该经营活动；如违反许可条件（通道、盲道、进深、无证），请写明违反的规则", code="not_a_violation",
                      detail={"field": "rule", "check": [r.text for r in result.rules]})
    elif rule_code not in OBSERVED_RULES:
        raise Invalid(f"规则 {rule_code!r} 无效（可用：{'、'.join(OBSERVED_RULES)}）", code="bad_rule", detail={"field": "rule"})
    else:
        rule_text = rule_text or str(OBSERVED_RULES[rule_code])
    policy_obj = result.policy or (shop.policy if shop else None)
    season = found_at.astimezone(SHANGHAI).year
    permit = Permit.objects.filter(shop=shop, season=season).exclude(state__in=[wf.REJECTED]).order_by("-applied_at").first() if shop else None
    street_id = shop.street_id if shop else (policy_obj.street_id if policy_obj else None)
    with transaction.atomic():
        v = Violation.objects.create(shop=shop, permit=permit, policy=policy_obj, street_id=street_id, finding=finding, activity=activity,
                                     rule_code=rule_code, rule_text=rule_text[:300], found_at=found_at, season=season, lng=lng, lat=lat,
                                     case_id=getattr(case, "pk", None), case_number=str(getattr(case, "number", "") or ""))
        audit.created(v)
        limit = (policy_obj.strikes_to_revoke if policy_obj else 3)
        if permit is not None and permit.state == wf.APPROVED and strikes(shop, season) >= limit:
            transition(None, permit, "revoke", note=f"本经营季违规 {strikes(shop, season)} 次，达到 {limit} 次，撤销当季外摆许可", at=found_at)
    return v


OBSERVED_RULES = {
    "passage": "未保留规定宽度的人行通道",
    "tactile": "占用或贴近盲道",
    "depth": "超出许可进深（越门经营）",
    "no_permit": "无外摆许可",
    "noise": "噪声超过限值（叫卖扰民）",
}


def report_night_violation(user: Any, patrol, *, lng: float, lat: float, activity: str, description: str, shop: Shop | None = None,
                           rule_code: str = "", found_at: dt.datetime | None = None) -> Violation:
    """A violation found on patrol: the check decides which rule is cited, the finding becomes a
    case (through the patrol's finding service) and the violation counts against the shop."""
    from . import patrols

    found_at = aware(found_at, "found_at") or timezone.now()
    result = check(lng, lat, found_at, activity)
    broken = result.deciding
    if broken is None and rule_code not in OBSERVED_RULES:
        raise Invalid("此处此时允许该经营活动；如违反许可条件，请选择违反的规则", code="not_a_violation",
                      detail={"field": "rule", "check": [r.text for r in result.rules]})
    cited = broken.text if broken else OBSERVED_RULES[rule_code]
    label = ACTIVITIES[activity]
    text = f"{shop.name + '：' if shop else ''}{label}违规——{cited}。{description}".strip()
    with transaction.atomic():
        finding = patrols.report_finding(user, patrol, kind="night", description=text, lng=lng, lat=lat, found_at=found_at,
                                         extra={"night_rule": broken.code if broken else rule_code, "shop": shop.code if shop else ""})
        v = record_violation(None, lng=lng, lat=lat, activity=activity, found_at=found_at, shop=shop, rule_code=rule_code, finding=finding)
        v.case_id, v.case_number = finding.case_id, finding.case_number
        v.save(update_fields=["case_id", "case_number"])
    return v


def season_active(permit: Permit, day: dt.date) -> bool:
    return permit.state == wf.APPROVED and permit.valid_from <= day <= permit.valid_to and in_season(permit.policy, day)

