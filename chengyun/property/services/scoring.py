"""The credit scheme, credit records and the live grade (services.credit's pure rules applied).

Every record write recomputes the company's score and grade; ``refresh_all`` recomputes every
company once a day, so a record that expires moves the grade the day it expires.
"""
from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import transaction
from django.utils import timezone

from chengyun.core import audit
from chengyun.core.dates import parse_date
from chengyun.core.errors import Conflict, Invalid
from chengyun.people.lookup import referenced

from .. import credit
from ..models import Company, CreditItem, CreditRecord, CreditScheme, GradeChange
from .access import office_unit, require_office

# The default 评分标准 (items): code, kind, name, points, serious, validity days (None: the scheme's).
DEFAULT_ITEMS = (
    ("G01", "good", "获市级及以上物业管理示范项目", 10, False, None),
    ("G02", "good", "获区级表彰或红色物业示范", 5, False, None),
    ("G03", "good", "业主评分优秀（季度考核进入优秀榜）", 4, False, None),
    ("G04", "good", "建立企业党组织并参与社区治理", 6, False, None),
    ("G05", "good", "应急处置、疫情防控等突出贡献", 5, False, None),
    ("B01", "bad", "经核实的业主投诉（物业服务不到位）", 2, False, None),
    ("B02", "bad", "季度考核不合格", 5, False, None),
    ("B03", "bad", "未按规定公示收费和公共收益", 5, False, None),
    ("B04", "bad", "拒不配合主管部门检查或整改", 10, False, None),
    ("B05", "bad", "擅自撤离、弃管项目", 20, True, None),
    ("B06", "bad", "发生安全责任事故", 25, True, None),
)
# Cases inside a managed compound that are the property company's to prevent: waste, piled
# materials, dirty green space, blocked fire lanes.
DEFAULT_COMPLAINT_CATEGORIES = ["0110", "0111", "0117", "0136", "0192", "0193", "0496"]
DEFAULT_COMPLAINT_SOURCES = ["public", "hotline"]


def active_scheme() -> CreditScheme:
    scheme = CreditScheme.objects.filter(active=True).order_by("-id").first()
    return scheme if scheme is not None else _default_scheme()


@transaction.atomic
def _default_scheme() -> CreditScheme:
    scheme = CreditScheme.objects.create(
        name="物业服务企业信用评价（默认）", thresholds=[list(t) for t in credit.DEFAULT_THRESHOLDS],
        red_grades=list(credit.DEFAULT_RED), black_grades=list(credit.DEFAULT_BLACK),
        complaint_categories=DEFAULT_COMPLAINT_CATEGORIES, complaint_sources=DEFAULT_COMPLAINT_SOURCES)
    for code, kind, name, points, serious, days in DEFAULT_ITEMS:
        CreditItem.objects.create(scheme=scheme, code=code, kind=kind, name=name, points=points, serious=serious, validity_days=days)
    scheme.complaint_item = scheme.items.get(code="B01")
    scheme.save(update_fields=["complaint_item"])
    audit.created(scheme)
    return scheme


SCHEME_FIELDS = ("name", "base_max", "good_max", "thresholds", "validity_days", "red_grades", "black_grades",
                 "complaint_categories", "complaint_sources", "complaint_item")


def update_scheme(user: Any, scheme: CreditScheme, **changes: Any) -> CreditScheme:
    """Configure the scheme; every company is re-graded under the new rules."""
    require_office(user)
    unknown = set(changes) - set(SCHEME_FIELDS)
    if unknown:
        raise Invalid(f"未知的字段：{'、'.join(sorted(unknown))}", code="unknown_field", detail={"fields": sorted(unknown)})
    v = dict(changes)
    if "name" in v:
        v["name"] = str(v["name"] or "").strip()[:100]
        if not v["name"]:
            raise Invalid("请填写方案名称", code="missing_name", detail={"field": "name"})
    for f in ("base_max", "good_max"):
        if f in v:
            try:
                v[f] = float(v[f])
            except (TypeError, ValueError):
                raise Invalid("满分应为数字", code="bad_number", detail={"field": f}) from None
            if not 0 < v[f] <= 200:  # also refuses NaN
                raise Invalid("满分应在 0 到 200 之间", code="bad_number", detail={"field": f})
    if "thresholds" in v:
        try:
            pairs = [(str(g), float(m)) for g, m in v["thresholds"]]
        except (TypeError, ValueError):
            raise Invalid("等级分界应为 [等级, 最低分] 的列表", code="bad_thresholds", detail={"field": "thresholds"}) from None
        names = [g for g, _m in pairs]
        if not pairs or len(set(names)) != len(names) or any(g not in credit.GRADE_ORDER[:-2] for g in names):
            raise Invalid("等级分界只能是 AAA、AA、A、B 各一次", code="bad_thresholds", detail={"field": "thresholds"})
        ordered = sorted(pairs, key=lambda t: credit.GRADE_ORDER.index(t[0]))
        if any(a[1] <= b[1] for a, b in zip(ordered, ordered[1:])):
            raise Invalid("等级越高，最低分应越高", code="bad_thresholds", detail={"field": "thresholds"})
        v["thresholds"] = [list(p) for p in ordered]
    for f in ("red_grades", "black_grades"):
        if f in v:
            bad = [g for g in v[f] or [] if g not in credit.GRADE_ORDER]
            if bad:
                raise Invalid(f"未知的等级：{'、'.join(map(str, bad))}", code="bad_grade", detail={"field": f})
    if set(v.get("red_grades", scheme.red_grades)) & set(v.get("black_grades", scheme.black_grades)):
        raise Invalid("同一等级不能既上红榜又上黑榜", code="boards_overlap", detail={"field": "black_grades"})
    if "validity_days" in v:
        try:
            v["validity_days"] = int(v["validity_days"])
        except (TypeError, ValueError):
            raise Invalid("有效期应为天数", code="bad_number", detail={"field": "validity_days"}) from None
        if not 1 <= v["validity_days"] <= 3650:
            raise Invalid("有效期应在 1 到 3650 天之间", code="bad_number", detail={"field": "validity_days"})
    if "complaint_item" in v and not isinstance(v["complaint_item"], CreditItem):
        v["complaint_item"] = referenced(scheme.items.filter(kind="bad"), v["complaint_item"], field="complaint_item", lookup="code",
                                         what="本方案的不良信用评分项", optional=True)
    for f in ("complaint_categories", "complaint_sources"):
        if f in v:
            v[f] = [str(x).strip() for x in v[f] or [] if str(x).strip()]
    with transaction.atomic():
        audit.save_changes(scheme, v, verb="configure")
        refresh_all(reason="评价方案调整", force=True)
    return scheme


def refresh(company: Company, *, on: dt.date | None = None, reason: str = "", scheme: CreditScheme | None = None) -> Company:
    """Recompute the company's score, grade and board; a change is written to the grade history."""
    scheme = scheme or active_scheme()
    on = on or timezone.localdate()
    entries = [r.entry() for r in company.records.all()]
    total, serious = credit.score(company.base_score, entries, on, base_max=scheme.base_max, good_max=scheme.good_max)
    grade = credit.grade(total, serious, scheme.threshold_pairs())
    board = credit.board(grade, scheme.red_grades, scheme.black_grades)
    if (company.score, company.grade, company.board) != (total, grade, board) or company.graded_on is None:
        changed = (company.score, company.grade) != (total, grade) or not company.grades.exists()
        company.score, company.grade, company.board, company.graded_on = total, grade, board, on
        company.save(update_fields=["score", "grade", "board", "graded_on"])
        if changed:
            GradeChange.objects.create(company=company, on=on, score=total, grade=grade, reason=reason[:200])
    return company


def refresh_all(*, on: dt.date | None = None, reason: str = "有效期届满重算", force: bool = False) -> int:
    """Re-grade every company (records expire with time); once a day unless ``force``."""
    scheme = active_scheme()
    on = on or timezone.localdate()
    if not force and scheme.refreshed_on == on:
        return 0
    n = 0
    for company in Company.objects.prefetch_related("records"):
        refresh(company, on=on, reason=reason, scheme=scheme)
        n += 1
    CreditScheme.objects.filter(pk=scheme.pk).update(refreshed_on=on)
    return n


def add_record(user: Any, company: Company, *, item: Any, evidence: str, issued_on: Any = None, issued_by: Any = None,
               validity_days: Any = None, compound: Any = None, case: Any = None, points: Any = None) -> CreditRecord:
    """Record a good or bad credit record under the active scheme's item."""
    from chengyun.geo.models import Compound, Unit

    require_office(user)
    scheme = active_scheme()
    if not isinstance(item, CreditItem):
        item = referenced(scheme.items.all(), item, field="item", lookup="code", what="本方案的评分项", optional=False)
    elif item.scheme_id != scheme.pk:
        raise Invalid("评分项不属于当前评价方案", code="item_not_in_scheme", detail={"field": "item"})
    evidence = str(evidence or "").strip()
    if not evidence:
        raise Invalid("请填写事实与证据", code="missing_evidence", detail={"field": "evidence"})
    if isinstance(issued_on, dt.date):
        on = issued_on
    else:
        on = parse_date(str(issued_on or ""), "认定日期格式有误（YYYY-MM-DD）", field="issued_on", optional=True) or timezone.localdate()
    if on > timezone.localdate():
        raise Invalid("认定日期不能晚于今天", code="future_date", detail={"field": "issued_on"})
    if points in (None, ""):
        value = item.points
    else:
        try:
            value = float(points)
        except (TypeError, ValueError):
            raise Invalid("分值应为数字", code="bad_points", detail={"field": "points"}) from None
        if not 0 < value <= item.points:
            raise Invalid(f"分值应大于 0 且不超过该项的 {item.points:g} 分", code="points_above_item", detail={"field": "points", "max": item.points})
    days = validity_days if validity_days not in (None, "") else item.validity_days
    if days not in (None, ""):
        try:
            days = int(days)
        except (TypeError, ValueError):
            raise Invalid("有效期应为天数", code="bad_validity", detail={"field": "validity_days"}) from None
        if not 1 <= days <= 3650:
            raise Invalid("有效期应在 1 到 3650 天之间", code="bad_validity", detail={"field": "validity_days"})
    if issued_by is None:
        person = getattr(user, "person", None) if user is not None else None
        issued_by = person.unit if person is not None and person.unit_id else office_unit()
    elif not isinstance(issued_by, Unit):
        issued_by = referenced(Unit.objects.all(), issued_by, field="issued_by", lookup="code", what="认定部门", optional=False)
    if issued_by is None:
        raise Invalid("请填写认定部门", code="missing_issued_by", detail={"field": "issued_by"})
    if compound is not None and not isinstance(compound, Compound):
        compound = referenced(Compound.objects.all(), compound, field="compound", lookup="code", what="小区", optional=True)
    until = credit.valid_until(on, serious=item.serious, validity_days=days, default_days=scheme.validity_days)
    with transaction.atomic():
        record = CreditRecord.objects.create(company=company, item=item, kind=item.kind, points=value, serious=item.serious and item.kind == "bad",
                                             issued_by=issued_by, issued_on=on, valid_until=until, evidence=evidence[:4000], compound=compound,
                                             case=case, created_by=user if getattr(user, "is_authenticated", False) else None)
        audit.created(record)
        refresh(company, reason=f"{item.get_kind_display()}：{item.name}", scheme=scheme)
    return record


def rectify_record(user: Any, record: CreditRecord, *, on: Any = None, note: str = "") -> CreditRecord:
    """A serious bad record stops counting on the day its rectification is confirmed."""
    require_office(user)
    if not record.serious or record.kind != "bad":
        raise Conflict("只有严重失信记录需要确认整改；其他记录按有效期失效", code="not_serious")
    if record.rectified_on is not None:
        raise Conflict("该记录已确认整改", code="already_rectified")
    day = on if isinstance(on, dt.date) else parse_date(str(on or ""), "整改完成日期格式有误（YYYY-MM-DD）", field="on", optional=True)
    day = day or timezone.localdate()
    if day < record.issued_on or day > timezone.localdate():
        raise Invalid("整改完成日期应在认定日期与今天之间", code="bad_rectified_on", detail={"field": "on"})
    with transaction.atomic():
        before = audit.snapshot(record)
        record.rectified_on = day
        if note:
            record.evidence = f"{record.evidence}\n整改：{str(note)[:1000]}"
        record.save(update_fields=["rectified_on", "evidence"])
        audit.updated(record, before, verb="rectify")
        refresh(record.company, reason="严重失信整改完成")
    return record


def rebuild_history(company: Company, *, reason: str = "按记录重建") -> int:
    """Rebuild the company's grade history from its records: the grade on every day a record
    started or stopped counting (records entered late, or imported, get a true history)."""
    scheme = active_scheme()
    today = timezone.localdate()
    records = list(company.records.all())
    days = sorted({d for r in records for d in (r.issued_on, r.valid_until, r.rectified_on) if d is not None and d <= today})
    with transaction.atomic():
        GradeChange.objects.filter(company=company).delete()
        last = None
        for day in days:
            total, serious = credit.score(company.base_score, [r.entry() for r in records], day, base_max=scheme.base_max, good_max=scheme.good_max)
            grade = credit.grade(total, serious, scheme.threshold_pairs())
            if (total, grade) != last:
                GradeChange.objects.create(company=company, on=day, score=total, grade=grade, reason=reason)
                last = (total, grade)
        company.graded_on = None
        refresh(company, on=today, reason=reason, scheme=scheme)
    return company.grades.count()
