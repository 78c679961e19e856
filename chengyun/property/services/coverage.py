"""The coverage campaign (老旧小区物业全覆盖): files and their one state table (workflow.py),
and the coverage rate by community and street, on any day.

A compound is covered when its mode is anything but 无物业. The rate on a past day is rebuilt
from the files: a compound with a file was uncovered until the day its file was closed.
"""
from __future__ import annotations

import datetime as dt
from collections import defaultdict
from typing import Any

from django.db import transaction
from django.utils import timezone

from chengyun.core import audit
from chengyun.core.dates import parse_date
from chengyun.core.errors import Conflict, Forbidden, Invalid
from chengyun.people import policy
from chengyun.people.lookup import referenced

from .. import workflow
from ..models import CoverageEvent, CoverageFile
from .access import is_office

NONE = "none"


def _user(actor: Any) -> Any:
    return actor if getattr(actor, "is_authenticated", False) else None


def open_file(user: Any, compound: Any, *, target_date: Any, owner_unit: Any, note: str = "", opened_on: dt.date | None = None) -> CoverageFile:
    """建档立卡 for a compound without property management."""
    from chengyun.geo.models import Compound, Unit

    if not isinstance(compound, Compound):
        compound = referenced(Compound.objects.all(), compound, field="compound", lookup="code", what="小区", optional=False)
    if user is not None and not is_office(user):
        policy.require_create(user, CoverageFile, community_id=compound.community_id, street_id=compound.community.street_id,
                              message="只能为本人负责区域内的小区建档")
    if compound.management_mode != NONE:
        raise Conflict(f"小区“{compound.name}”已有物业管理（{compound.get_management_mode_display()}），无需建档", code="already_covered")
    if CoverageFile.objects.filter(compound=compound).exists():
        raise Conflict(f"小区“{compound.name}”已建档", code="already_filed")
    target = target_date if isinstance(target_date, dt.date) else parse_date(str(target_date or ""), "计划完成日期格式有误（YYYY-MM-DD）",
                                                                              field="target_date")
    opened = opened_on or timezone.localdate()
    if target < opened:
        raise Invalid("计划完成日期不能早于建档日期", code="target_before_opened", detail={"field": "target_date"})
    if not isinstance(owner_unit, Unit):
        owner_unit = referenced(Unit.objects.filter(active=True), owner_unit, field="owner_unit", lookup="code", what="责任单位", optional=False)
    with transaction.atomic():
        n = CoverageFile.objects.count() + 1
        while CoverageFile.objects.filter(number=f"WY{opened.year}{n:04d}").exists():
            n += 1
        f = CoverageFile.objects.create(number=f"WY{opened.year}{n:04d}", compound=compound, street_id=compound.community.street_id,
                                        community_id=compound.community_id, target_date=target, owner_unit=owner_unit, opened_on=opened,
                                        note=str(note or "")[:2000])
        CoverageEvent.objects.create(file=f, action="file", to_state=f.state, on=opened, actor=_user(user), note=str(note or "")[:500])
        audit.created(f)
    return f


def allowed_actions(user: Any, f: CoverageFile) -> list[workflow.Transition]:
    out = []
    for t in workflow.allowed_from(f.state):
        try:
            _check_role(user, f, t)
        except Forbidden:
            continue
        out.append(t)
    return out


def _check_role(user: Any, f: CoverageFile, t: workflow.Transition) -> None:
    if user is None or is_office(user):
        return
    policy.require_write(user, f, "只能处理本人负责区域内的档案")
    if not policy.principal(user).has(t.roles):
        raise Forbidden(f"您的角色不能{t.label}", code="role_not_allowed")


def transition(user: Any, f: CoverageFile, action: str, *, path: str = "", note: str = "", on: dt.date | None = None) -> CoverageFile:
    """Fire one transition of the campaign table; 409 when the file's state does not allow it.

    Closing (销号) writes the path's management mode to the compound register."""
    from chengyun.geo import compounds

    t = workflow.TRANSITIONS.get(action)
    if t is None:
        raise Invalid(f"未知的操作：{action}", code="unknown_action", detail={"action": action})
    if user is not None and not is_office(user) and not policy.can_read(user, f):
        from chengyun.core.errors import NotFound

        raise NotFound()
    f = CoverageFile.objects.select_related("compound").get(pk=f.pk)  # the caller's copy may be an earlier state
    if f.state not in t.sources:
        raise Conflict(f"档案当前状态为“{workflow.STATES[f.state]}”，不能{t.label}", code="bad_transition",
                       detail={"state": f.state, "action": action, "allowed": [x.action for x in workflow.allowed_from(f.state)]})
    _check_role(user, f, t)
    note = str(note or "").strip()
    if t.note_required and not note:
        raise Invalid(f"{t.label}需要填写说明", code="note_required", detail={"field": "note"})
    if t.needs_path and path not in workflow.PATHS:
        raise Invalid("请选择覆盖路径（市场物业、公益物业或自管物业）", code="bad_path", detail={"field": "path", "allowed": list(workflow.PATHS)})
    day = on or timezone.localdate()
    with transaction.atomic():
        f = CoverageFile.objects.select_for_update().get(pk=f.pk)
        if f.state not in t.sources:
            raise Conflict(f"档案当前状态为“{workflow.STATES[f.state]}”，不能{t.label}", code="bad_transition")
        before = f.state
        f.state = t.target
        if t.needs_path:
            f.path = path
        if t.target == workflow.CLOSED:
            f.closed_on = day
            compounds.update_compound(None, f.compound, management_mode=workflow.MODE_OF_PATH[f.path])
        f.save()
        CoverageEvent.objects.create(file=f, action=action, from_state=before, to_state=f.state, on=day, actor=_user(user), note=note[:500])
        audit.action(f, action, before={"state": before}, after={"state": f.state, "path": f.path, "note": note})
    return f


# ---------------------------------------------------------------- the rate


def _rows(street_id: int | None = None):
    from chengyun.geo.models import Compound

    qs = Compound.objects.filter(active=True)
    if street_id:
        qs = qs.filter(community__street_id=street_id)
    return list(qs.values_list("id", "community_id", "community__street_id", "management_mode"))


def _uncovered_on(day: dt.date, street_id: int | None = None) -> set[int]:
    """Compounds without management on ``day``: those without a mode today, plus those whose
    file was closed after ``day``."""
    rows = _rows(street_id)
    out = {cid for cid, _c, _s, mode in rows if mode == NONE}
    later = CoverageFile.objects.filter(closed_on__gt=day).values_list("compound_id", flat=True)
    return out | (set(later) & {r[0] for r in rows})


def rates(day: dt.date | None = None, *, by: str = "street", street_id: int | None = None) -> list[dict[str, Any]]:
    """Coverage by community or street on ``day``: [{code, name, total, covered, rate}]."""
    from chengyun.geo.models import Community, Street

    day = day or timezone.localdate()
    rows = _rows(street_id)
    uncovered = _uncovered_on(day, street_id)
    totals: dict[int, list[int]] = defaultdict(lambda: [0, 0])
    for cid, comm, street, _mode in rows:
        key = comm if by == "community" else street
        totals[key][0] += 1
        totals[key][1] += cid not in uncovered
    model = Community if by == "community" else Street
    names = {o.pk: o for o in model.objects.filter(pk__in=totals)}
    out = []
    for pk, (total, covered) in sorted(totals.items(), key=lambda kv: names[kv[0]].code):
        o = names[pk]
        out.append({"id": pk, "code": o.code, "name": o.name, "total": total, "covered": covered,
                    "rate": round(100 * covered / total, 1) if total else None})
    return out


def district_rate(day: dt.date | None = None, street_id: int | None = None) -> dict[str, Any]:
    day = day or timezone.localdate()
    rows = _rows(street_id)
    uncovered = _uncovered_on(day, street_id)
    total = len(rows)
    covered = total - len(uncovered)
    return {"on": day, "total": total, "covered": covered, "rate": round(100 * covered / total, 1) if total else None}


def series(months: int = 12, *, end: dt.date | None = None, street_id: int | None = None) -> list[dict[str, Any]]:
    """The district rate at each month's end (the last point: today)."""
    end = end or timezone.localdate()
    days = []
    y, m = end.year, end.month
    for _ in range(months - 1):
        y, m = (y, m - 1) if m > 1 else (y - 1, 12)
        nxt = dt.date(y + (m == 12), m % 12 + 1, 1)
        days.append(nxt - dt.timedelta(days=1))
    days = sorted(days) + [end]
    return [district_rate(d, street_id) for d in days]


def campaign_counts(street_id: int | None = None) -> dict[str, int]:
    qs = CoverageFile.objects.all()
    if street_id:
        qs = qs.filter(street_id=street_id)
    counts = {s: 0 for s in workflow.STATES}
    for state in qs.values_list("state", flat=True):
        counts[state] += 1
    return counts
