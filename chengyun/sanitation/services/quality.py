"""Quality inspections graded by CJJ/T 126-2022, and 环卫示范街 scored monthly on the district's sheet.

The score sheet is data (ScoreItem): the district adds, reweighs or retires lines; a month's
score keeps the items as scored then, so history survives a change of sheet. A month passes at
settings.SANITATION_DEMO_PASS_SCORE per cent of the full score (default 90).
"""
from __future__ import annotations

import datetime as dt
import re
from typing import Any, Mapping

from django.conf import settings
from django.db import transaction
from django.db.models import Max

from chengyun.core import audit
from chengyun.core.errors import Conflict, Invalid
from chengyun.geo.models import Street, Unit
from chengyun.people import policy
from chengyun.people.lookup import referenced
from chengyun.roads.models import RoadSegment
from chengyun.standards import cjjt126

from ..models import DemoStreet, Inspection, MonthlyScore, ScoreItem, SweepPlan


def pass_score() -> float:
    return float(getattr(settings, "SANITATION_DEMO_PASS_SCORE", 90))


def _number(value: Any, name: str, label: str, *, optional: bool = False, upper: float | None = None) -> float | None:
    if value in (None, "") and optional:
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise Invalid(f"{label}应为数字", code="bad_number", detail={"field": name}) from None
    if not number >= 0 or number == float("inf"):
        raise Invalid(f"{label}不能为负数", code="bad_number", detail={"field": name})
    if upper is not None and number > upper:
        raise Invalid(f"{label}不能超过 {upper:g}", code="bad_number", detail={"field": name})
    return number


def _next_code(prefix: str, model, day: dt.date) -> str:
    stem = f"{prefix}{day:%Y%m}-"
    last = model.objects.filter(code__startswith=stem).aggregate(m=Max("code"))["m"]
    return f"{stem}{int(last.rsplit('-', 1)[1]) + 1 if last else 1:04d}"


def record_inspection(user: Any, *, segment: str, inspected_on: dt.date, inspector: str, sensory: Any, litter: Any, stain: Any,
                      cleanliness: Any, dust: Any = None, note: str = "") -> Inspection:
    seg = referenced(RoadSegment.objects, segment, field="segment", what="路段", lookup="code", optional=False)
    if user is not None:
        policy.require_create(user, Inspection, street_id=seg.street_id, message="只能检查本人负责街道的路段")
    if not isinstance(inspected_on, dt.date):
        raise Invalid("检查日期有误", code="bad_date", detail={"field": "inspected_on"})
    if inspected_on > dt.date.today():
        raise Invalid("检查日期不能晚于今天", code="future_date", detail={"field": "inspected_on"})
    inspector = (inspector or "").strip()
    if not inspector:
        raise Invalid("请填写检查人", code="inspector_required", detail={"field": "inspector"})
    m = cjjt126.Measurement(sensory=_number(sensory, "sensory", "感观质量", upper=100), litter=_number(litter, "litter", "可见垃圾密度"),
                            stain=_number(stain, "stain", "污渍密度"), cleanliness=_number(cleanliness, "cleanliness", "清洁度", upper=100),
                            dust=_number(dust, "dust", "尘负荷", optional=True))
    plan = SweepPlan.objects.filter(segment=seg).first()
    required = plan.grade if plan else cjjt126.grade_for_road_class(seg.road_class)
    verdict = cjjt126.grade_inspection(m, required)
    with transaction.atomic():
        ins = Inspection.objects.create(code=_next_code("JC", Inspection, inspected_on), segment=seg, street_id=seg.street_id,
                                        inspected_on=inspected_on, inspector=inspector[:50], required_grade=required,
                                        sensory=m.sensory, litter=m.litter, stain=m.stain, cleanliness=m.cleanliness, dust=m.dust,
                                        grade_reached=verdict.grade, meets=verdict.meets_required, failures=list(verdict.failures),
                                        note=(note or "")[:200], created_by=user if getattr(user, "is_authenticated", False) else None)
        audit.created(ins)
    return ins


# ---------------------------------------------------------------- 示范街


def score_sheet() -> list[ScoreItem]:
    return list(ScoreItem.objects.filter(active=True))


def set_score_item(user: Any, *, code: str, name: str, max_score: int, order: int = 100, active: bool = True) -> ScoreItem:
    if user is not None:
        policy.require_create(user, ScoreItem, message="评分表由系统管理员维护")
    code, name = (code or "").strip(), (name or "").strip()
    if not re.fullmatch(r"[a-z][a-z0-9_]{1,31}", code):
        raise Invalid("评分项编码应为小写字母开头的字母、数字或下划线", code="bad_code", detail={"field": "code"})
    if not name:
        raise Invalid("请填写考核内容", code="name_required", detail={"field": "name"})
    if not isinstance(max_score, int) or not 1 <= max_score <= 100:
        raise Invalid("分值应为 1-100 的整数", code="bad_score", detail={"field": "max_score"})
    item = ScoreItem.objects.filter(code=code).first()
    if item is None:
        item = ScoreItem.objects.create(code=code, name=name, max_score=max_score, order=order, active=active)
        audit.created(item)
    else:
        audit.save_changes(item, {"name": name, "max_score": max_score, "order": order, "active": active})
    return item


def create_demo_street(user: Any, *, code: str, name: str, street: str, segments: list[str], since: dt.date, unit: str = "",
                       shops: int = 0) -> DemoStreet:
    street_obj = referenced(Street.objects, street, field="street", what="街道", lookup="code", optional=False)
    unit_obj = referenced(Unit.objects, unit, field="unit", what="责任单位", lookup="code")
    if user is not None:
        policy.require_create(user, DemoStreet, street_id=street_obj.pk, unit_id=unit_obj.pk if unit_obj else None)
    code, name = (code or "").strip(), (name or "").strip()
    if not code or not name:
        raise Invalid("请填写示范街编号和名称", code="name_required", detail={"field": "name" if code else "code"})
    if DemoStreet.objects.filter(code=code).exists():
        raise Conflict(f"示范街 {code} 已存在", code="demo_street_exists")
    segs = [referenced(RoadSegment.objects, s, field="segments", what="路段", lookup="code", optional=False) for s in segments]
    if not segs:
        raise Invalid("请至少选择一个路段", code="segments_required", detail={"field": "segments"})
    with transaction.atomic():
        ds = DemoStreet.objects.create(code=code, name=name[:100], street=street_obj, unit=unit_obj, since=since, shops=max(0, int(shops)),
                                       length_m=round(sum(s.length_m for s in segs), 1))
        ds.segments.set(segs)
        audit.created(ds)
    return ds


# One declared table: which status may follow which (a revoked street is created anew, not revived).
STATUS_MOVES = {DemoStreet.Status.CREATING: {DemoStreet.Status.NAMED, DemoStreet.Status.REVOKED},
                DemoStreet.Status.NAMED: {DemoStreet.Status.REVOKED},
                DemoStreet.Status.REVOKED: set()}


def set_demo_street_status(user: Any, ds: DemoStreet, status: str) -> DemoStreet:
    if user is not None:
        policy.require_write(user, ds)
    if status not in STATUS_MOVES.get(ds.status, set()):
        raise Conflict(f"示范街当前为“{ds.get_status_display()}”，不能改为该状态", code="bad_transition", detail={"status": status})
    audit.save_changes(ds, {"status": status}, verb=f"status_{status}")
    return ds


def score_month(user: Any, ds: DemoStreet, *, month: dt.date, items: Mapping[str, Any], scored_by: str = "", note: str = "") -> MonthlyScore:
    """Record (or correct) the month's score: every active item of the sheet, each within its maximum."""
    if user is not None:
        policy.require_create(user, MonthlyScore, street_id=ds.street_id, message="示范街评分由城运中心考核人员录入")
    if not isinstance(month, dt.date):
        raise Invalid("月份有误", code="bad_month", detail={"field": "month"})
    month = month.replace(day=1)
    if month > dt.date.today():
        raise Invalid("不能为未来月份评分", code="future_month", detail={"field": "month"})
    sheet = score_sheet()
    if not sheet:
        raise Conflict("评分表为空，请先配置评分项", code="empty_sheet")
    known = {i.code for i in sheet}
    unknown = sorted(set(items) - known)
    if unknown:
        raise Invalid(f"评分项不存在：{'、'.join(unknown)}", code="unknown_item", detail={"field": "items", "unknown": unknown})
    scores: dict[str, float] = {}
    for item in sheet:
        if item.code not in items:
            raise Invalid(f"缺少评分项“{item.name}”", code="item_missing", detail={"field": f"items.{item.code}"})
        value = _number(items[item.code], f"items.{item.code}", item.name, upper=item.max_score)
        scores[item.code] = value
    total, full = round(sum(scores.values()), 1), float(sum(i.max_score for i in sheet))
    passed = total >= full * pass_score() / 100 - 1e-9
    with transaction.atomic():
        existing = MonthlyScore.objects.filter(demo_street=ds, month=month).first()
        values = {"items": scores, "total": total, "full": full, "passed": passed, "scored_by": (scored_by or "")[:50], "note": (note or "")[:200]}
        if existing:
            audit.save_changes(existing, values, verb="rescore")
            return existing
        ms = MonthlyScore.objects.create(demo_street=ds, month=month, **values)
        audit.created(ms)
    return ms
