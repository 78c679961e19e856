"""Every write of the waste module (policy check, write, audit), and the figures it reports.

Thresholds: settings.WASTE_THRESHOLDS (percent), default rules.DEFAULT_THRESHOLDS. A compound's
rates are its latest survey's awareness and participation and its latest inspection's accuracy
(participation too when it has no survey); ``reassess`` stores them with the verdict, so the list
of compliant compounds is a plain filter. Changing the thresholds: ``reassess_all``.
"""
from __future__ import annotations

import datetime as dt
from collections import defaultdict
from typing import Any, Iterable

from django.conf import settings
from django.db import transaction
from django.db.models import Max

from chengyun.core import audit
from chengyun.core.errors import Conflict, Invalid
from chengyun.geo.models import Community, Compound, Street, Unit
from chengyun.people import policy
from chengyun.people.lookup import referenced

from . import rules
from .models import DemoArea, SortingCheck, SortingCompound, ZeroWasteIndicator, ZeroWasteValue


def thresholds() -> dict[str, float]:
    configured = getattr(settings, "WASTE_THRESHOLDS", None) or {}
    return {k: float(configured.get(k, v)) for k, v in rules.DEFAULT_THRESHOLDS.items()}


def _register(compound: Compound) -> SortingCompound:
    sc = SortingCompound.objects.filter(compound=compound).first()
    if sc is None:
        sc = SortingCompound.objects.create(compound=compound, community_id=compound.community_id, street_id=compound.community.street_id)
    return sc


def reassess(sc: SortingCompound, limits: dict[str, float] | None = None) -> SortingCompound:
    checks = SortingCheck.objects.filter(compound_id=sc.compound_id).order_by("-checked_on", "-id")
    survey = checks.filter(kind=SortingCheck.Kind.SURVEY).first()
    inspection = checks.filter(kind=SortingCheck.Kind.INSPECTION).first()
    rates = {"awareness": survey.rate(survey.aware) if survey else None,
             "participation": (survey.rate(survey.participating) if survey else None),
             "accuracy": inspection.rate(inspection.correct) if inspection else None}
    if rates["participation"] is None and inspection is not None:
        rates["participation"] = inspection.rate(inspection.participating)
    verdict = rules.assess(rates, limits or thresholds())
    dates = [c.checked_on for c in (survey, inspection) if c is not None]
    SortingCompound.objects.filter(pk=sc.pk).update(compliant=verdict.compliant, assessed_on=max(dates) if dates else None, **rates)
    sc.refresh_from_db()
    return sc


def reassess_all() -> int:
    limits = thresholds()
    n = 0
    for sc in SortingCompound.objects.all():
        reassess(sc, limits)
        n += 1
    return n


def _next_code(day: dt.date) -> str:
    stem = f"FL{day:%Y%m}-"
    last = SortingCheck.objects.filter(code__startswith=stem).aggregate(m=Max("code"))["m"]
    return f"{stem}{int(last.rsplit('-', 1)[1]) + 1 if last else 1:05d}"


def _count(value: Any, name: str, label: str, sample: int) -> int | None:
    if value is None or value == "":
        return None
    if isinstance(value, bool) or not isinstance(value, int) and not (isinstance(value, str) and value.strip().isdigit()):
        raise Invalid(f"{label}应为非负整数", code="bad_count", detail={"field": name})
    value = int(value)
    if value < 0 or value > sample:
        raise Invalid(f"{label}（{value}）应在 0 与样本户数（{sample}）之间", code="count_over_sample", detail={"field": name})
    return value


def record_check(user: Any, *, compound: str, kind: str, checked_on: dt.date, sample: Any, inspector: str, aware: Any = None,
                 participating: Any = None, correct: Any = None) -> SortingCheck:
    """A survey needs aware and participating households; an inspection the correctly sorting ones."""
    comp = referenced(Compound.objects.select_related("community"), compound, field="compound", what="小区", lookup="code", optional=False)
    if user is not None:
        policy.require_create(user, SortingCheck, community_id=comp.community_id, street_id=comp.community.street_id,
                              message="只能登记本人负责区域内小区的调查")
    if kind not in SortingCheck.Kind.values:
        raise Invalid(f"类型“{kind}”无效（survey 入户调查 / inspection 桶边检查）", code="unknown_kind", detail={"field": "kind"})
    if not isinstance(checked_on, dt.date) or checked_on > dt.date.today():
        raise Invalid("日期有误或晚于今天", code="bad_date", detail={"field": "checked_on"})
    if isinstance(sample, bool) or not isinstance(sample, int) or sample < 1:
        raise Invalid("样本户数应为正整数", code="bad_sample", detail={"field": "sample"})
    aware_n = _count(aware, "aware", "知晓户数", sample)
    part_n = _count(participating, "participating", "参与户数", sample)
    correct_n = _count(correct, "correct", "准确投放户数", sample)
    if kind == SortingCheck.Kind.SURVEY and (aware_n is None or part_n is None):
        raise Invalid("入户调查需填写知晓户数和参与户数", code="survey_incomplete", detail={"field": "aware" if aware_n is None else "participating"})
    if kind == SortingCheck.Kind.INSPECTION and correct_n is None:
        raise Invalid("桶边检查需填写准确投放户数", code="inspection_incomplete", detail={"field": "correct"})
    inspector = (inspector or "").strip()
    if not inspector:
        raise Invalid("请填写调查人", code="inspector_required", detail={"field": "inspector"})
    with transaction.atomic():
        sc = _register(comp)
        check = SortingCheck.objects.create(code=_next_code(checked_on), compound=comp, community_id=comp.community_id,
                                            street_id=comp.community.street_id, kind=kind, checked_on=checked_on, sample=sample,
                                            aware=aware_n, participating=part_n, correct=correct_n, inspector=inspector[:50],
                                            created_by=user if getattr(user, "is_authenticated", False) else None)
        audit.created(check)
        reassess(sc)
    return check


def enrol_compound(user: Any, *, compound: str, sorting_since: dt.date | None = None, demo_area: str = "",
                   joined_area_on: dt.date | None = None) -> SortingCompound:
    """Start sorting in a compound and/or take it into a demonstration area."""
    comp = referenced(Compound.objects.select_related("community"), compound, field="compound", what="小区", lookup="code", optional=False)
    area = referenced(DemoArea.objects, demo_area, field="demo_area", what="示范片区", lookup="code")
    if user is not None:
        policy.require_create(user, SortingCompound, community_id=comp.community_id, street_id=comp.community.street_id)
    if area is not None and joined_area_on is None:
        raise Invalid("请填写纳入片区日期", code="joined_required", detail={"field": "joined_area_on"})
    if area is not None and joined_area_on < area.designated_on:
        raise Invalid(f"纳入日期早于片区命名日期 {area.designated_on}", code="joined_before_area", detail={"field": "joined_area_on"})
    with transaction.atomic():
        sc = _register(comp)
        values: dict[str, Any] = {}
        if sorting_since is not None:
            values["sorting_since"] = sorting_since
        if area is not None:
            values.update(demo_area=area, joined_area_on=joined_area_on)
        audit.save_changes(sc, values, verb="enrol")
    return sc


def create_demo_area(user: Any, *, code: str, name: str, street: str, designated_on: dt.date, level: str = DemoArea.Level.DISTRICT,
                     note: str = "") -> DemoArea:
    street_obj = referenced(Street.objects, street, field="street", what="街道", lookup="code", optional=False)
    if user is not None:
        policy.require_create(user, DemoArea, street_id=street_obj.pk)
    code, name = (code or "").strip(), (name or "").strip()
    if not code or not name:
        raise Invalid("请填写片区编号和名称", code="name_required", detail={"field": "name" if code else "code"})
    if level not in DemoArea.Level.values:
        raise Invalid("级别应为 district 或 city", code="bad_level", detail={"field": "level"})
    if DemoArea.objects.filter(code=code).exists():
        raise Conflict(f"示范片区 {code} 已存在", code="area_exists", detail={"field": "code"})
    area = DemoArea.objects.create(code=code, name=name, street=street_obj, designated_on=designated_on, level=level, note=note[:200])
    audit.created(area)
    return area


# ---------------------------------------------------------------- 无废城市


def create_indicator(user: Any, *, code: str, name: str, unit_label: str = "", direction: str = "higher", category: str = "", basis: str = "",
                     unit: str = "", order: int = 100) -> ZeroWasteIndicator:
    unit_obj = referenced(Unit.objects, unit, field="unit", what="责任单位", lookup="code")
    if user is not None:
        policy.require_create(user, ZeroWasteIndicator, unit_id=unit_obj.pk if unit_obj else None)
    if direction not in ZeroWasteIndicator.Direction.values:
        raise Invalid("方向应为 higher 或 lower", code="bad_direction", detail={"field": "direction"})
    if not (code or "").strip() or not (name or "").strip():
        raise Invalid("请填写指标编码和名称", code="name_required", detail={"field": "name"})
    if ZeroWasteIndicator.objects.filter(code=code).exists():
        raise Conflict(f"指标 {code} 已存在", code="indicator_exists")
    ind = ZeroWasteIndicator.objects.create(code=code.strip(), name=name.strip(), unit_label=unit_label, direction=direction, category=category,
                                            basis=basis[:200], unit=unit_obj, order=order)
    audit.created(ind)
    return ind


def set_value(user: Any, indicator: ZeroWasteIndicator, *, year: int, target: float | None = None, actual: float | None = None,
              note: str = "") -> ZeroWasteValue:
    if user is not None:
        policy.require_write(user, indicator, "只有指标的责任单位可以填报")
    if not isinstance(year, int) or not 2015 <= year <= dt.date.today().year + 10:
        raise Invalid("年度有误", code="bad_year", detail={"field": "year"})
    for name, v in (("target", target), ("actual", actual)):
        if v is not None and not (v == v and abs(v) < 1e12):
            raise Invalid("数值有误", code="bad_number", detail={"field": name})
    with transaction.atomic():
        value = ZeroWasteValue.objects.filter(indicator=indicator, year=year).first()
        if value is None:
            value = ZeroWasteValue.objects.create(indicator=indicator, year=year, target=target, actual=actual, note=note[:200])
            audit.created(value)
        else:
            changes = {k: v for k, v in (("target", target), ("actual", actual)) if v is not None}
            changes["note"] = note[:200] or value.note
            audit.save_changes(value, changes)
    return value


# ---------------------------------------------------------------- figures


def coverage_by_community(on: dt.date, communities: Iterable[Community] | None = None) -> list[dict[str, Any]]:
    """Per community: active compounds, those sorting by `on`, compliant ones, and the coverage in %."""
    comps = Compound.objects.filter(active=True)
    total: dict[int, int] = defaultdict(int)
    for cid in comps.values_list("community_id", flat=True):
        total[cid] += 1
    sorting: dict[int, int] = defaultdict(int)
    compliant: dict[int, int] = defaultdict(int)
    for cid, since, ok in SortingCompound.objects.filter(compound__active=True).values_list("community_id", "sorting_since", "compliant"):
        if since is not None and since <= on:
            sorting[cid] += 1
        compliant[cid] += ok
    rows = []
    qs = communities if communities is not None else Community.objects.select_related("street").order_by("code")
    for c in qs:
        n = total.get(c.id, 0)
        rows.append({"community": c, "compounds": n, "sorting": sorting.get(c.id, 0), "compliant": compliant.get(c.id, 0),
                     "coverage": round(sorting.get(c.id, 0) / n * 100, 1) if n else None})
    return rows


def expansion(months: int = 24, until: dt.date | None = None) -> list[dict[str, Any]]:
    """Month by month: demonstration areas named and compounds inside them (cumulative)."""
    until = until or dt.date.today()
    areas = list(DemoArea.objects.values_list("designated_on", flat=True))
    joined = list(SortingCompound.objects.exclude(joined_area_on=None).values_list("joined_area_on", flat=True))
    sorting = list(SortingCompound.objects.exclude(sorting_since=None).values_list("sorting_since", flat=True))
    out = []
    y, m = until.year, until.month
    stamps = []
    for _ in range(months):
        stamps.append((y, m))
        y, m = (y, m - 1) if m > 1 else (y - 1, 12)
    for y, m in reversed(stamps):
        end = (dt.date(y + (m == 12), m % 12 + 1, 1)) - dt.timedelta(days=1)
        out.append({"month": f"{y}-{m:02d}", "areas": sum(d <= end for d in areas), "compounds": sum(d <= end for d in joined),
                    "sorting": sum(d <= end for d in sorting)})
    return out
