"""既有住宅加装电梯, per building unit: owner roster (专有部分 and area), votes tallied with
``standards.owner_vote`` (民法典第278条), 公示 with objections and mediation, permits,
construction, acceptance, special-equipment registration and the subsidy by floors.

The steps run in one declared order (STEPS); a step out of order is 409 and nothing changes.
"""
from __future__ import annotations

import datetime as dt
from decimal import Decimal
from fractions import Fraction
from typing import Any, Iterable, Mapping

from django.conf import settings
from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from chengyun.core import audit
from chengyun.core.errors import Conflict, Invalid
from chengyun.people import policy
from chengyun.standards import owner_vote

from ..models import LiftObjection, LiftOwner, LiftProject
from .access import is_office, require_write

# The lift's stages, derived from what has been recorded (one declared order).
VOTING, PUBLICITY, PERMITS, CONSTRUCTION, ACCEPTANCE, REGISTRATION, IN_USE = (
    "voting", "publicity", "permits", "construction", "acceptance", "registration", "in_use")
STEPS = {
    VOTING: _("意愿征询与表决"),
    PUBLICITY: _("公示"),
    PERMITS: _("规划与施工许可"),
    CONSTRUCTION: _("施工"),
    ACCEPTANCE: _("竣工验收"),
    REGISTRATION: _("特种设备使用登记"),
    IN_USE: _("投入使用"),
}


def stage(lift: LiftProject) -> str:
    if lift.registered_on:
        return IN_USE
    if lift.accepted_on:
        return REGISTRATION
    if lift.construction_started_on:
        return ACCEPTANCE
    if lift.permits_on:
        return CONSTRUCTION
    if lift.publicity_start:
        return PUBLICITY if not _publicity_cleared(lift) else PERMITS
    return VOTING


def publicity_days() -> int:
    return int(getattr(settings, "RENEWAL_LIFT_PUBLICITY_DAYS", 20))


def subsidy_tiers() -> list[tuple[int, Decimal]]:
    """(minimum floors, subsidy in yuan), highest first. Default after 常州's 先建后补:
    ≥ 6 floors 100,000, 5 floors 90,000, ≤ 4 floors 80,000 per lift."""
    tiers = getattr(settings, "RENEWAL_LIFT_SUBSIDY_TIERS", ((6, 100000), (5, 90000), (0, 80000)))
    return sorted(((int(f), Decimal(str(a))) for f, a in tiers), reverse=True)


def subsidy_for(floors: int) -> Decimal:
    for min_floors, amount in subsidy_tiers():
        if floors >= min_floors:
            return amount
    return Decimal(0)


def _require(user: Any, lift: LiftProject, message: str = "您无权办理该加装电梯项目") -> None:
    if user is not None:
        require_write(user, lift, message)


def _next_code() -> str:
    year = dt.date.today().year
    prefix = f"DT{year}-"
    last = LiftProject.objects.filter(code__startswith=prefix).aggregate(m=Max("code"))["m"]
    return f"{prefix}{(int(last.rsplit('-', 1)[1]) + 1) if last else 1:03d}"


def create_lift(user: Any, *, compound: Any, building: str, unit_no: str, floors: Any, project: Any = None,
                responsible_unit: Any = None, code: str | None = None) -> LiftProject:
    from chengyun.geo.models import Compound, Unit

    comp = compound if isinstance(compound, Compound) else Compound.objects.filter(code=str(compound)).first()
    if comp is None:
        raise Invalid(f"小区 {compound} 不存在", code="unknown_compound", detail={"field": "compound"})
    unit = responsible_unit if responsible_unit is None or isinstance(responsible_unit, Unit) else Unit.objects.filter(code=str(responsible_unit)).first()
    if user is not None and not is_office(user):
        policy.require_create(user, LiftProject, community_id=comp.community_id, street_id=comp.community.street_id,
                              unit_id=getattr(unit, "pk", None), message="只能为本人负责区域内的住宅登记加装电梯")
    building, unit_no = str(building or "").strip(), str(unit_no or "").strip()
    if not building or not unit_no:
        raise Invalid("请填写楼号和单元", code="missing_unit", detail={"field": "building"})
    try:
        floors_n = int(floors)
    except (TypeError, ValueError):
        raise Invalid("层数应为整数", code="bad_floors", detail={"field": "floors"}) from None
    if not 2 <= floors_n <= 40:
        raise Invalid("层数应在 2—40 之间", code="bad_floors", detail={"field": "floors"})
    if LiftProject.objects.filter(compound=comp, building=building, unit_no=unit_no).exists():
        raise Conflict(f"{comp.name} {building}号楼{unit_no}单元已登记加装电梯", code="duplicate_lift")
    with transaction.atomic():
        lift = LiftProject.objects.create(code=code or _next_code(), compound=comp, building=building[:20], unit_no=unit_no[:20],
                                          floors=floors_n, project=project, responsible_unit=unit)
        audit.created(lift)
    return lift


def set_owners(user: Any, lift: LiftProject, owners: Iterable[Mapping[str, Any]]) -> list[LiftOwner]:
    """Replace the owner roster: one row per exclusive part {part, owner, area_m2[, floor]}.
    Areas must be positive; parts unique. Only while voting; all checked before any write."""
    _require(user, lift)
    if stage(lift) != VOTING:
        raise Conflict("表决已完成，业主名册不能再修改", code="bad_step", detail={"stage": stage(lift)})
    rows, parts = [], set()
    for n, row in enumerate(owners, start=1):
        part = str(row.get("part") or "").strip()
        owner = str(row.get("owner") or "").strip()
        if not part or not owner:
            raise Invalid(f"第 {n} 行缺少房号或业主", code="bad_owner", detail={"row": n, "field": "part" if not part else "owner"})
        if part in parts:
            raise Invalid(f"第 {n} 行房号 {part} 重复", code="duplicate_part", detail={"row": n, "field": "part"})
        parts.add(part)
        try:
            area = owner_vote.exact_area(row.get("area_m2"))
        except ValueError as e:
            raise Invalid(str(e), code="bad_area", detail={"row": n, "field": "area_m2"}) from None
        if area <= 0:
            raise Invalid(f"第 {n} 行业主“{owner}”的专有部分面积应大于 0", code="bad_area", detail={"row": n, "field": "area_m2"})
        floor = row.get("floor")
        rows.append(LiftOwner(lift=lift, part=part[:20], owner=owner[:60], area_m2=Decimal(area.numerator) / Decimal(area.denominator),
                              floor=int(floor) if floor not in (None, "") else None))
    if not rows:
        raise Invalid("业主名册为空", code="no_owners", detail={"field": "owners"})
    with transaction.atomic():
        lift.owners.all().delete()
        made = LiftOwner.objects.bulk_create(rows)
        audit.action(lift, "set_owners", after={"parts": len(rows), "owners": len({r.owner for r in rows})})
        _store_tally(lift)
    return made


def fraction_out(f: Fraction) -> dict[str, Any]:
    return {"fraction": f"{f.numerator}/{f.denominator}", "value": round(float(f), 4)}


def compute_tally(lift: LiftProject) -> dict[str, Any] | None:
    rows = [{"owner": o.owner, "area_m2": o.area_m2, "vote": o.vote} for o in lift.owners.all()]
    if not rows:
        return None
    c = owner_vote.counts(rows)
    t = owner_vote.tally_counts(c)
    out: dict[str, Any] = {k: fraction_out(t[k]) for k in ("participation_area", "participation_owners", "approval_area", "approval_owners")}
    out.update(participation_ok=t["participation_ok"], approved=t["approved"], owners=c["owners"],
               area_m2=round(float(c["area_m2"]), 2), participating_owners=c["participating_owners"],
               participating_area_m2=round(float(c["participating_area_m2"]), 2), agree_owners=c["agree_owners"],
               agree_area_m2=round(float(c["agree_area_m2"]), 2), by_vote=c["by_vote"])
    return out


def _store_tally(lift: LiftProject) -> None:
    t = compute_tally(lift) or {}
    lift.tally = t
    lift.approved = bool(t.get("approved"))
    lift.voted_at = timezone.now()
    lift.save(update_fields=["tally", "approved", "voted_at"])


def record_votes(user: Any, lift: LiftProject, votes: Iterable[Mapping[str, Any]]) -> dict[str, Any]:
    """Record votes {owner, vote} (one owner's vote applies to all their parts) and re-tally.
    An unknown owner or vote is 422 and nothing is stored."""
    _require(user, lift)
    if stage(lift) != VOTING:
        raise Conflict("已进入公示，表决结果不能再修改", code="bad_step", detail={"stage": stage(lift)})
    roster: dict[str, list[LiftOwner]] = {}
    for o in lift.owners.all():
        roster.setdefault(o.owner, []).append(o)
    if not roster:
        raise Conflict("请先登记业主名册", code="no_owners")
    changes: dict[str, str] = {}
    for n, row in enumerate(votes, start=1):
        owner = str(row.get("owner") or "").strip()
        vote = str(row.get("vote") or "").strip()
        if owner not in roster:
            raise Invalid(f"第 {n} 条表决的业主“{owner}”不在本单元业主名册中", code="unknown_owner", detail={"row": n, "field": "owner"})
        if vote not in owner_vote.VOTES:
            raise Invalid(f"第 {n} 条表决意见“{vote}”无效（应为 {'、'.join(owner_vote.VOTES)} 之一）", code="bad_vote",
                          detail={"row": n, "field": "vote"})
        if "area_m2" in row and row["area_m2"] not in (None, ""):
            try:
                area = owner_vote.exact_area(row["area_m2"])
            except ValueError as e:
                raise Invalid(str(e), code="bad_area", detail={"row": n, "field": "area_m2"}) from None
            registered = sum((Fraction(str(o.area_m2)) for o in roster[owner]), Fraction(0))
            if area <= 0 or area != registered:
                raise Invalid(f"第 {n} 条表决的面积 {row['area_m2']} 与名册登记的 {float(registered)} 平方米不符", code="bad_area",
                              detail={"row": n, "field": "area_m2"})
        if changes.get(owner, vote) != vote:
            raise Invalid(f"业主“{owner}”有两条不同的表决意见", code="conflicting_votes", detail={"row": n, "field": "vote"})
        changes[owner] = vote
    with transaction.atomic():
        for owner, vote in changes.items():
            LiftOwner.objects.filter(lift=lift, owner=owner).update(vote=vote)
        _store_tally(lift)
        audit.action(lift, "record_votes", after={"votes": changes, "tally": lift.tally})
    return lift.tally


def start_publicity(user: Any, lift: LiftProject, *, start: dt.date) -> LiftProject:
    _require(user, lift)
    if stage(lift) != VOTING:
        raise Conflict("已公示过", code="bad_step", detail={"stage": stage(lift)})
    if not lift.approved:
        raise Conflict("业主表决未通过（须双三分之二参与、双四分之三同意），不能公示", code="vote_not_approved", detail={"tally": lift.tally})
    with transaction.atomic():
        before = audit.snapshot(lift)
        lift.publicity_start = start
        lift.publicity_end = start + dt.timedelta(days=publicity_days())
        lift.save(update_fields=["publicity_start", "publicity_end"])
        audit.updated(lift, before, verb="start_publicity")
    return lift


def add_objection(user: Any, lift: LiftProject, *, objector: str, content: str, raised_on: dt.date) -> LiftObjection:
    _require(user, lift)
    if lift.publicity_start is None or not lift.publicity_start <= raised_on <= lift.publicity_end:
        raise Conflict("异议须在公示期内提出", code="outside_publicity")
    if not str(objector or "").strip() or not str(content or "").strip():
        raise Invalid("请填写异议人和异议内容", code="missing_objection", detail={"field": "content"})
    with transaction.atomic():
        o = LiftObjection.objects.create(lift=lift, objector=str(objector).strip()[:60], content=str(content).strip()[:300], raised_on=raised_on)
        audit.created(o)
    return o


def mediate(user: Any, objection: LiftObjection, *, result: str, resolved: bool, on: dt.date) -> LiftObjection:
    _require(user, objection.lift)
    if not str(result or "").strip():
        raise Invalid("请填写调解结果", code="missing_result", detail={"field": "result"})
    with transaction.atomic():
        before = audit.snapshot(objection)
        objection.mediation, objection.resolved, objection.mediated_on = str(result).strip()[:300], bool(resolved), on
        objection.save()
        audit.updated(objection, before, verb="mediate")
    return objection


def _publicity_cleared(lift: LiftProject, today: dt.date | None = None) -> bool:
    today = today or dt.date.today()
    return (lift.publicity_end is not None and today > lift.publicity_end
            and not lift.objections.filter(resolved=False).exists())


def record_permits(user: Any, lift: LiftProject, *, planning_permit: str, construction_permit: str, on: dt.date) -> LiftProject:
    _require(user, lift)
    if lift.publicity_start is None or lift.permits_on:
        raise Conflict("须在公示结束后、尚未办理许可时登记许可", code="bad_step", detail={"stage": stage(lift)})
    if on <= lift.publicity_end:
        raise Conflict(f"公示期至 {lift.publicity_end}，期满后方可办理许可", code="publicity_not_over")
    if lift.objections.filter(resolved=False).exists():
        raise Conflict("公示期异议尚未调解化解", code="objections_open")
    if not str(planning_permit or "").strip():
        raise Invalid("请填写规划许可证号", code="missing_permit", detail={"field": "planning_permit"})
    return _set(lift, "permits", planning_permit=str(planning_permit).strip()[:60],
                construction_permit=str(construction_permit or "").strip()[:60], permits_on=on)


def _set(lift: LiftProject, verb: str, **values: Any) -> LiftProject:
    with transaction.atomic():
        before = audit.snapshot(lift)
        for k, v in values.items():
            setattr(lift, k, v)
        lift.save(update_fields=list(values))
        audit.updated(lift, before, verb=verb)
    return lift


def start_construction(user: Any, lift: LiftProject, *, on: dt.date) -> LiftProject:
    _require(user, lift)
    if stage(lift) != CONSTRUCTION or on < lift.permits_on:
        raise Conflict("须在取得许可后开工", code="bad_step", detail={"stage": stage(lift)})
    return _set(lift, "start_construction", construction_started_on=on)


def accept(user: Any, lift: LiftProject, *, on: dt.date) -> LiftProject:
    _require(user, lift)
    if stage(lift) != ACCEPTANCE or on < lift.construction_started_on:
        raise Conflict("须在施工后竣工验收", code="bad_step", detail={"stage": stage(lift)})
    return _set(lift, "accept", accepted_on=on, subsidy_yuan=subsidy_for(lift.floors))


def register_equipment(user: Any, lift: LiftProject, *, registration_no: str, on: dt.date) -> LiftProject:
    _require(user, lift)
    if stage(lift) != REGISTRATION or on < lift.accepted_on:
        raise Conflict("须在竣工验收后办理特种设备使用登记", code="bad_step", detail={"stage": stage(lift)})
    if not str(registration_no or "").strip():
        raise Invalid("请填写使用登记证号", code="missing_registration", detail={"field": "registration_no"})
    return _set(lift, "register_equipment", registration_no=str(registration_no).strip()[:60], registered_on=on)
