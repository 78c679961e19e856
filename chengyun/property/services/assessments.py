"""Quality assessment of managed compounds on the configurable sheet, with the owner survey.

The default sheet normalises the published 130-point 考核细则 to 100 (基础设施维护 23, 安全 15,
服务响应 15, 共建共治 15, 费用公开 8, 居民满意度 24); 居民满意度 is scored from the survey
(satisfied households / sample × the item's maximum), at most 5 % of the sample answered by
phone proxy. Each period ranks the assessed compounds: top 20 % 优秀榜, bottom 20 % 需改进榜;
a compound failing two periods in a row is flagged (the team is to be replaced).
"""
from __future__ import annotations

import datetime as dt
import math
import re
from typing import Any

from django.db import transaction
from django.utils import timezone

from chengyun.core import audit
from chengyun.core.errors import Conflict, Invalid
from chengyun.people import policy
from chengyun.people.lookup import referenced

from ..models import Assessment, AssessmentSheet, Management
from .access import is_office

DEFAULT_ITEMS = [
    {"code": "infrastructure", "name": "基础设施维护", "max": 23},
    {"code": "safety", "name": "安全与秩序", "max": 15},
    {"code": "response", "name": "服务态度与响应", "max": 15},
    {"code": "co_governance", "name": "共建共治与社区活动", "max": 15},
    {"code": "fees", "name": "费用管理与公开", "max": 8},
    {"code": "satisfaction", "name": "居民满意度", "max": 24, "survey": True},
]
PERIOD_RE = re.compile(r"^(\d{4})(Q[1-4]|H[12])$")


def active_sheet() -> AssessmentSheet:
    sheet = AssessmentSheet.objects.filter(active=True).order_by("-id").first()
    if sheet is None:
        sheet = AssessmentSheet.objects.create(name="物业服务质量考核表（默认）", items=DEFAULT_ITEMS)
        audit.created(sheet)
    return sheet


def period_of(day: dt.date, kind: str = AssessmentSheet.Period.QUARTER) -> str:
    if kind == AssessmentSheet.Period.HALF:
        return f"{day.year}H{1 if day.month <= 6 else 2}"
    return f"{day.year}Q{(day.month - 1) // 3 + 1}"


def previous_period(period: str) -> str:
    year, part = int(period[:4]), period[4:]
    n, size = int(part[1]), (4 if part[0] == "Q" else 2)
    return f"{year - 1}{part[0]}{size}" if n == 1 else f"{year}{part[0]}{n - 1}"


def next_period(period: str) -> str:
    year, part = int(period[:4]), period[4:]
    n, size = int(part[1]), (4 if part[0] == "Q" else 2)
    return f"{year + 1}{part[0]}1" if n == size else f"{year}{part[0]}{n + 1}"


def period_start(period: str) -> dt.date:
    year, part = int(period[:4]), period[4:]
    months = 3 if part[0] == "Q" else 6
    return dt.date(year, (int(part[1]) - 1) * months + 1, 1)


def _number(value: Any, field: str, label: str) -> float:
    if isinstance(value, bool):
        value = None
    try:
        out = float(value)
    except (TypeError, ValueError):
        raise Invalid(f"{label}应为数字", code="bad_score", detail={"field": field}) from None
    if math.isnan(out) or math.isinf(out):
        raise Invalid(f"{label}应为数字", code="bad_score", detail={"field": field})
    return out


def _count(value: Any, field: str, label: str) -> int:
    try:
        out = int(value)
    except (TypeError, ValueError):
        raise Invalid(f"{label}应为非负整数", code="bad_survey", detail={"field": field}) from None
    if out < 0 or out > 1_000_000 or out != value and str(out) != str(value).strip():
        raise Invalid(f"{label}应为非负整数", code="bad_survey", detail={"field": field})
    return out


def check_scores(sheet: AssessmentSheet, scores: dict[str, Any], sample: int, phone: int, satisfied: int) -> dict[str, float]:
    """Every item scored, none above its maximum; the survey item from the survey. Raises Invalid."""
    if not isinstance(scores, dict):
        raise Invalid("分项得分应为 {项目编码: 得分}", code="bad_scores", detail={"field": "scores"})
    items = {i["code"]: i for i in sheet.items}
    unknown = sorted(set(scores) - set(items))
    if unknown:
        raise Invalid(f"考核表中没有这些项目：{'、'.join(unknown)}", code="unknown_item", detail={"field": "scores", "items": unknown})
    if sample < sheet.min_sample:
        raise Invalid(f"满意度调查至少 {sheet.min_sample} 户，实际 {sample} 户", code="sample_too_small",
                      detail={"field": "survey_sample", "min": sheet.min_sample})
    limit = math.floor(sample * sheet.phone_proxy_max + 1e-9)
    if phone > limit:
        raise Invalid(f"电话代答 {phone} 户超过样本的 {sheet.phone_proxy_max:.0%}（最多 {limit} 户）", code="phone_proxy_over_limit",
                      detail={"field": "survey_phone", "max": limit, "rule": "phone_proxy_max"})
    if satisfied > sample:
        raise Invalid("满意户数不能多于调查户数", code="satisfied_above_sample", detail={"field": "survey_satisfied"})
    out: dict[str, float] = {}
    for code, item in items.items():
        maximum = float(item["max"])
        if item.get("survey"):
            if code in scores and scores[code] not in (None, ""):
                raise Invalid(f"“{item['name']}”由满意度调查计算，不能直接填写", code="survey_item_computed", detail={"field": f"scores.{code}"})
            out[code] = round(maximum * satisfied / sample, 1) if sample else 0.0
            continue
        if scores.get(code) in (None, ""):
            raise Invalid(f"请填写“{item['name']}”得分", code="missing_score", detail={"field": f"scores.{code}"})
        value = _number(scores[code], f"scores.{code}", f"“{item['name']}”得分")
        if value < 0:
            raise Invalid(f"“{item['name']}”得分不能为负", code="score_below_zero", detail={"field": f"scores.{code}"})
        if value > maximum:
            raise Invalid(f"“{item['name']}”得分 {value:g} 超过该项满分 {maximum:g}", code="score_above_max",
                          detail={"field": f"scores.{code}", "item": code, "max": maximum, "rule": "item_max"})
        out[code] = round(value, 1)
    return out


def assess(user: Any, compound: Any, *, period: str, scores: dict[str, Any], survey_sample: Any, survey_phone: Any = 0,
           survey_satisfied: Any, note: str = "", assessed_on: dt.date | None = None) -> Assessment:
    """Record one compound's assessment for one period (once; 409 when already assessed)."""
    from chengyun.geo.models import Compound

    if not isinstance(compound, Compound):
        compound = referenced(Compound.objects.select_related("community"), compound, field="compound", lookup="code", what="小区", optional=False)
    if user is not None and not is_office(user):
        policy.require_create(user, Assessment, community_id=compound.community_id, street_id=compound.community.street_id,
                              message="只能考核本人负责区域内的小区")
    sheet = active_sheet()
    period = str(period or "").strip().upper()
    m = PERIOD_RE.match(period)
    expected = "Q" if sheet.period == AssessmentSheet.Period.QUARTER else "H"
    if not m or m.group(2)[0] != expected or not 1990 <= int(m.group(1)) <= 2100:
        raise Invalid(f"考核期格式应为 {'2025Q3' if expected == 'Q' else '2025H1'}", code="bad_period", detail={"field": "period"})
    today = timezone.localdate()
    if period_start(period) > today:
        raise Invalid("不能考核尚未开始的考核期", code="future_period", detail={"field": "period"})
    if compound.management_mode == "none":
        raise Conflict(f"小区“{compound.name}”尚无物业管理，不参加物业服务质量考核", code="not_managed")
    sample = _count(survey_sample, "survey_sample", "调查户数")
    phone = _count(survey_phone or 0, "survey_phone", "电话代答户数")
    satisfied = _count(survey_satisfied, "survey_satisfied", "满意户数")
    checked = check_scores(sheet, scores or {}, sample, phone, satisfied)
    if Assessment.objects.filter(compound=compound, period=period).exists():
        raise Conflict(f"小区“{compound.name}”{period} 已考核", code="already_assessed")
    total = round(sum(checked.values()) * 100 / sheet.total_max, 1) if sheet.total_max else 0.0
    passed = total >= sheet.pass_mark
    mgmt = Management.objects.filter(compound=compound).first()
    with transaction.atomic():
        prev = Assessment.objects.filter(compound=compound, period=previous_period(period)).first()
        a = Assessment.objects.create(
            sheet=sheet, compound=compound, company=mgmt.company if mgmt else None, street_id=compound.community.street_id,
            community_id=compound.community_id, period=period, scores=checked, total=total, passed=passed, survey_sample=sample,
            survey_phone=phone, survey_satisfied=satisfied, flagged=(not passed and prev is not None and not prev.passed),
            assessed_on=assessed_on or today, assessed_by=user if getattr(user, "is_authenticated", False) else None, note=str(note or "")[:2000])
        # Entered out of order: the next period's flag depends on this one too.
        Assessment.objects.filter(compound=compound, period=next_period(period), passed=False).update(flagged=not passed)
        audit.created(a)
    return a


def ranking(period: str, qs=None) -> list[dict[str, Any]]:
    """The period's assessments best first, each with its rank and band (top / bottom 20 %)."""
    sheet = active_sheet()
    rows = list((qs if qs is not None else Assessment.objects.all()).filter(period=period)
                .select_related("compound", "company", "community").order_by("-total", "compound__code"))
    n = len(rows)
    k = max(1, math.floor(n * sheet.rank_share)) if n >= 5 else 0
    out = []
    for i, a in enumerate(rows):
        band = "top" if i < k else ("bottom" if i >= n - k else "")
        out.append({"rank": i + 1, "band": band, "assessment": a})
    return out


def periods() -> list[str]:
    return sorted(set(Assessment.objects.values_list("period", flat=True)), reverse=True)
