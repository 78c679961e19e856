"""Pages for the property office's writes that were API-only (issue 12 A): the credit scheme,
registering and editing a company, its credit records (with evidence, issuing department and
validity), 红黑榜 measures, confirming a serious record rectified, project managers, and a
compound's management mode, company and contract.

Every form calls the same services function as the API. A refused submission re-renders the page
with the message and the field it is about (nothing stored); people outside the property office
see no form, and a post of theirs is refused (403).
"""
from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods

from chengyun.core.errors import DomainError, Forbidden, Invalid
from chengyun.geo.models import Compound, Unit

from . import credit, services
from .api import compounds_qs, records_qs
from .models import Company, Measure, ProjectManager
from .services import access

LABELS = {
    # company
    "name": gettext_lazy("名称"), "credit_code": gettext_lazy("统一社会信用代码"), "legal_representative": gettext_lazy("法定代表人"),
    "phone": gettext_lazy("联系电话"), "address": gettext_lazy("注册地址"), "base_score": gettext_lazy("基础信息分"),
    "active": gettext_lazy("在业"), "certificate": gettext_lazy("证书编号"),
    # scheme
    "base_max": gettext_lazy("基础信息分满分"), "good_max": gettext_lazy("优良信用分满分"), "thresholds": gettext_lazy("等级分界"),
    "validity_days": gettext_lazy("有效期（天）"), "red_grades": gettext_lazy("红榜等级"), "black_grades": gettext_lazy("黑榜等级"),
    "complaint_categories": gettext_lazy("计入信用的案件小类"), "complaint_sources": gettext_lazy("计入信用的案件来源"),
    "complaint_item": gettext_lazy("投诉扣分项"),
    # records and measures
    "company": gettext_lazy("物业服务企业"), "item": gettext_lazy("评分项"), "evidence": gettext_lazy("事实与证据"),
    "issued_on": gettext_lazy("认定日期"), "issued_by": gettext_lazy("认定部门"), "compound": gettext_lazy("小区"),
    "points": gettext_lazy("分值"), "on": gettext_lazy("整改完成日期"), "note": gettext_lazy("说明"), "kind": gettext_lazy("措施"),
    "decided_on": gettext_lazy("决定日期"), "unit": gettext_lazy("实施部门"),
    # management
    "mode": gettext_lazy("物业管理方式"), "manager": gettext_lazy("项目经理"), "contract_start": gettext_lazy("合同开始日期"),
    "contract_end": gettext_lazy("合同到期日期"), "fee_per_m2": gettext_lazy("物业费（元/平方米·月）"),
}


def form_error(exc: DomainError, form: str = "") -> dict[str, str]:
    """What the template shows of a refusal: which form, the field (for aria-invalid), its label and the message."""
    detail = exc.detail if isinstance(exc.detail, dict) else {}
    field = str(detail.get("field") or "")
    return {"form": form, "field": field, "label": str(LABELS.get(field, "")), "message": exc.message, "code": exc.code}


def status_of(error: dict | None) -> int:
    if not error:
        return 200
    return 409 if error["code"] in ("not_serious", "already_rectified") else 422


def _require_office(user) -> None:
    if not access.is_office(user):
        raise Forbidden(_("只有住建部门物业管理科可以执行此操作"), code="not_office")


def _posted(request, names) -> dict[str, str]:
    return {n: request.POST.get(n, "").strip() for n in names}


# ---------------------------------------------------------------- the credit scheme


def _scheme_values(request) -> dict[str, Any]:
    post = request.POST
    values: dict[str, Any] = {"name": post.get("name", ""), "base_max": post.get("base_max", ""), "good_max": post.get("good_max", ""),
                              "validity_days": post.get("validity_days", ""), "red_grades": post.getlist("red_grades"),
                              "black_grades": post.getlist("black_grades"), "complaint_sources": post.getlist("complaint_sources"),
                              "complaint_categories": [c for c in post.get("complaint_categories", "").replace("，", ",").replace(",", " ").split() if c],
                              "complaint_item": post.get("complaint_item", "") or None}
    pairs = []
    for g in credit.GRADE_ORDER[:-2]:
        raw = post.get(f"threshold_{g}", "").strip()
        if raw:
            pairs.append([g, raw])
    values["thresholds"] = pairs
    return values


@login_required
@require_http_methods(["GET", "POST"])
def scheme(request):
    from chengyun.cases.workflow import SOURCES

    can_edit = access.is_office(request.user)
    s = services.active_scheme()
    error = None
    if request.method == "POST":
        _require_office(request.user)
        try:
            services.update_scheme(request.user, s, **_scheme_values(request))
        except Forbidden:
            raise
        except DomainError as exc:
            error = form_error(exc, "scheme")
            s.refresh_from_db()
        else:
            messages.success(request, _("评价方案已调整，全部企业已按新方案重算信用等级"))
            return redirect("property:scheme")
    post = request.POST if error else None
    thresholds = dict(s.threshold_pairs())
    rows = [(g, post.get(f"threshold_{g}", "") if post else thresholds.get(g, "")) for g in credit.GRADE_ORDER[:-2]]
    red = post.getlist("red_grades") if post else s.red_grades
    black = post.getlist("black_grades") if post else s.black_grades
    sources = post.getlist("complaint_sources") if post else s.complaint_sources
    return render(request, "property/scheme.html", {
        "s": s, "can_edit": can_edit, "error": error, "form": post, "thresholds": rows,
        "grades": [(g, credit.GRADE_LABELS[g], g in red, g in black) for g in credit.GRADE_ORDER],
        "sources": [(k, label, k in sources) for k, label in SOURCES.items()],
        "categories": post.get("complaint_categories", "") if post else " ".join(s.complaint_categories),
        "items": s.items.all(), "bad_items": s.items.filter(kind="bad"),
    }, status=status_of(error))


# ---------------------------------------------------------------- companies

COMPANY_FIELDS = ("name", "credit_code", "legal_representative", "phone", "address", "base_score")


@login_required
@require_http_methods(["GET", "POST"])
def company_form(request, company_id: int | None = None):
    _require_office(request.user)
    company = access.get_visible(request.user, Company.objects.all(), pk=company_id) if company_id else None
    error = None
    form = None
    if request.method == "POST":
        form = _posted(request, COMPANY_FIELDS)
        values: dict[str, Any] = {**form, "base_score": form["base_score"] or 0}
        try:
            if company is None:
                company = services.create_company(request.user, **values)
                messages.success(request, _("已登记企业 %(name)s") % {"name": company.name})
            else:
                services.update_company(request.user, company, **values, active=request.POST.get("active") == "on")
                messages.success(request, _("企业信息已保存"))
        except Forbidden:
            raise
        except DomainError as exc:
            error = form_error(exc, "company")
            if company is not None and company.pk:
                company.refresh_from_db()
            else:
                company = None
        else:
            return redirect("property:company", company_id=company.pk)
    elif company is not None:
        form = {f: getattr(company, f) for f in COMPANY_FIELDS}
    return render(request, "property/company_form.html", {"company": company, "form": form, "error": error,
                                                          "base_max": services.active_scheme().base_max}, status=status_of(error))


def _record_values(request) -> dict[str, Any]:
    v = _posted(request, ("item", "evidence", "issued_on", "issued_by", "validity_days", "compound", "points"))
    return {"item": v["item"], "evidence": v["evidence"], "issued_on": v["issued_on"] or None, "issued_by": v["issued_by"] or None,
            "validity_days": v["validity_days"] or None, "compound": v["compound"] or None, "points": v["points"] or None}


def company_post(request, c: Company) -> None:
    """The company page's forms (record, rectify, measure, manager), each to its service."""
    _require_office(request.user)
    which = request.POST.get("form", "")
    if which == "record":
        r = services.add_record(request.user, c, **_record_values(request))
        messages.success(request, _("已登记信用记录：%(item)s") % {"item": r.item.name})
    elif which == "rectify":
        record = access.get_visible(request.user, records_qs().filter(company=c), pk=request.POST.get("record") or 0)
        services.rectify_record(request.user, record, on=request.POST.get("on", "").strip() or None, note=request.POST.get("note", "").strip())
        messages.success(request, _("已确认整改完成"))
    elif which == "measure":
        m = services.record_measure(request.user, c, kind=request.POST.get("kind", ""), note=request.POST.get("note", "").strip(),
                                    decided_on=request.POST.get("decided_on", "").strip() or None, unit=request.POST.get("unit", "") or None)
        messages.success(request, _("已记录措施：%(kind)s") % {"kind": m.get_kind_display()})
    elif which == "manager":
        m = services.add_manager(request.user, c, **_posted(request, ("name", "phone", "certificate")))
        messages.success(request, _("已登记项目经理 %(name)s") % {"name": m.name})
    else:
        raise Invalid(_("未知的表单"), code="unknown_form", detail={"field": "form"})


def company_forms_context(request, c: Company) -> dict[str, Any]:
    """What the company page needs to offer the office its forms (nothing for anyone else)."""
    if not access.is_office(request.user):
        return {"is_office": False}
    s = services.active_scheme()
    measures = [(k, label) for k, label in Measure.Kind.choices
                if (k in (Measure.Kind.SUPPORT, Measure.Kind.PROMOTION)) == (c.board == "red")] if c.board else []
    return {"is_office": True, "scheme_items": s.items.all(), "units": Unit.objects.filter(active=True).order_by("code"),
            "office_unit": access.office_unit(), "measure_kinds": measures,
            "compound_codes": Compound.objects.filter(active=True).order_by("code").values_list("code", "name")[:3000]}


# ---------------------------------------------------------------- a compound's management


@login_required
@require_http_methods(["GET", "POST"])
def compound_detail(request, code: str):
    c = access.get_visible(request.user, compounds_qs(), code=code)
    is_office = access.is_office(request.user)
    mgmt = getattr(c, "management", None) if hasattr(c, "management") else None
    error = None
    form = None
    if request.method == "POST":
        _require_office(request.user)
        form = _posted(request, ("mode", "company", "manager", "contract_start", "contract_end", "fee_per_m2"))
        try:
            services.set_management(request.user, c, mode=form["mode"] or None, company=form["company"] or None, manager=form["manager"] or None,
                                    contract_start=form["contract_start"] or None, contract_end=form["contract_end"] or None,
                                    fee_per_m2=form["fee_per_m2"] or None)
        except Forbidden:
            raise
        except DomainError as exc:
            error = form_error(exc, "management")
        else:
            messages.success(request, _("已登记 %(name)s 的物业管理情况") % {"name": c.name})
            return redirect("property:compound", code=c.code)
    elif mgmt is not None:
        form = {"mode": c.management_mode, "company": str(mgmt.company_id or ""), "manager": str(mgmt.manager_id or ""),
                "contract_start": mgmt.contract_start.isoformat() if mgmt.contract_start else "",
                "contract_end": mgmt.contract_end.isoformat() if mgmt.contract_end else "",
                "fee_per_m2": "" if mgmt.fee_per_m2 is None else str(mgmt.fee_per_m2)}
    else:
        form = {"mode": c.management_mode}
    companies = Company.objects.filter(active=True).order_by("name") if is_office else []
    managers = ProjectManager.objects.filter(active=True).select_related("company").order_by("company__name", "name") if is_office else []
    return render(request, "property/compound.html", {
        "c": c, "mgmt": mgmt, "is_office": is_office, "error": error, "form": form, "modes": Compound.ManagementMode.choices,
        "companies": companies, "managers": managers,
    }, status=status_of(error))


def serious_open(records) -> set[int]:
    """The records the office may confirm rectified (serious, bad, not yet rectified)."""
    return {r.pk for r, _live in records if r.serious and r.kind == "bad" and r.rectified_on is None}

