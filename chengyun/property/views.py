"""Pages of property governance: the coverage map and campaign board, the filtered lists behind
the cockpit's figures, the company page (grade history, records) and the phone assessment form.
Thin: every write goes through services; a refused write shows the page again (4xx) with the message at
its form naming the field, and what was typed kept."""
from __future__ import annotations

import json

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _l
from django.views.decorators.http import require_http_methods

from chengyun.core import pageforms
from chengyun.core.errors import DomainError, Forbidden, Invalid
from chengyun.geo.models import Compound, Street
from chengyun.geo.views import filter_from_query
from chengyun.people import policy

from . import credit, formviews, services, workflow
from .api import assessments_qs, companies_qs, compounds_qs, files_qs, records_qs
from .filters import PropertyAssessmentFilter, PropertyCompanyFilter, PropertyCompoundFilter, PropertyFileFilter
from .models import Company
from .services import access, assessments as assessment_services, coverage as coverage_services


FILE_LABELS = {"action": _l("操作"), "path": _l("覆盖路径"), "note": _l("说明")}
ASSESS_LABELS = {"compound": _l("小区"), "period": _l("考核期"), "scores": _l("分项得分"), "survey_sample": _l("调查户数"),
                 "survey_phone": _l("其中电话代答户数"), "survey_satisfied": _l("满意户数"), "note": _l("说明")}


def _streets():
    return Street.objects.order_by("code")


@login_required
def coverage_page(request):
    total = coverage_services.district_rate()
    counts = coverage_services.campaign_counts()
    board = {s: [] for s in workflow.STATES}
    for f in access.visible(request.user, files_qs()).order_by("target_date", "number"):
        board[f.state].append(f)
    columns = [{"state": s, "label": label, "files": board[s][:30], "count": len(board[s])} for s, label in workflow.STATES.items()]
    series = coverage_services.series(12)
    return render(request, "property/coverage.html", {
        "total": total, "counts": counts, "columns": columns, "by_street": coverage_services.rates(by="street"),
        "series_json": json.dumps({"days": [r["on"].isoformat() for r in series], "rates": [r["rate"] for r in series]}),
    })


@login_required
def compounds(request):
    filters, values = filter_from_query(PropertyCompoundFilter, request)
    qs = filters.filter(compounds_qs()).order_by("code")
    return render(request, "property/compounds.html", {"page": Paginator(qs, 50).get_page(request.GET.get("page")), "values": values,
                                                       "modes": Compound.ManagementMode.choices, "streets": _streets(),
                                                       "is_office": access.is_office(request.user)})


@login_required
def files(request):
    filters, values = filter_from_query(PropertyFileFilter, request)
    qs = filters.filter(access.visible(request.user, files_qs())).order_by("number")
    return render(request, "property/files.html", {"page": Paginator(qs, 50).get_page(request.GET.get("page")), "values": values,
                                                   "states": list(workflow.STATES.items()), "paths": list(workflow.PATHS.items()),
                                                   "streets": _streets()})


@login_required
@pageforms.refusals(FILE_LABELS, default_form="transition")
def file_detail(request, file_id: int):
    f = access.get_visible(request.user, files_qs(), pk=file_id)
    if request.method == "POST":
        services.transition(request.user, f, request.POST.get("action", ""), path=request.POST.get("path", ""),
                            note=request.POST.get("note", ""))
        messages.success(request, _("已办理"))
        return redirect("property:file", file_id=f.pk)
    return render(request, "property/file_detail.html", {
        "f": f, "events": f.events.select_related("actor"), "actions": coverage_services.allowed_actions(request.user, f),
        "paths": list(workflow.PATHS.items()), "state_label": workflow.STATES[f.state], "path_label": workflow.PATHS.get(f.path, "")})


@login_required
def companies(request):
    filters, values = filter_from_query(PropertyCompanyFilter, request)
    qs = filters.filter(access.visible(request.user, companies_qs())).order_by("-score", "name")
    grades = [(g, credit.GRADE_LABELS[g]) for g in credit.GRADE_ORDER]
    return render(request, "property/companies.html", {"page": Paginator(qs, 50).get_page(request.GET.get("page")), "values": values,
                                                       "grades": grades, "is_office": access.is_office(request.user)})


@login_required
@require_http_methods(["GET", "POST"])
def company_detail(request, company_id: int):
    services.refresh_all()
    c = access.get_visible(request.user, Company.objects.all(), pk=company_id)
    error = None
    if request.method == "POST":
        try:
            formviews.company_post(request, c)
        except Forbidden:
            raise
        except DomainError as exc:
            error = formviews.form_error(exc, request.POST.get("form", ""))
            if request.POST.get("form") == "rectify":
                error["record"] = request.POST.get("record", "")
            c.refresh_from_db()
        else:
            return redirect("property:company", company_id=c.pk)
    today = timezone.localdate()
    records = [(r, credit.counts_on(r.entry(), today)) for r in records_qs().filter(company=c)]
    history = list(c.grades.all())
    return render(request, "property/company.html", {
        "c": c, "records": records, "history": history, "grade_label": credit.GRADE_LABELS.get(c.grade, c.grade),
        "projects": c.projects.select_related("compound__community", "manager"), "measures": c.measures.select_related("unit"),
        "managers": c.managers.filter(active=True), "scheme": services.active_scheme(),
        "history_json": json.dumps({"days": [g.on.isoformat() for g in history], "scores": [g.score for g in history],
                                    "grades": [g.grade for g in history]}),
        "error": error, "form": request.POST if error else None, "rectifiable": formviews.serious_open(records),
        **formviews.company_forms_context(request, c),
    }, status=formviews.status_of(error))


@login_required
def assessments(request):
    filters, values = filter_from_query(PropertyAssessmentFilter, request)
    periods = assessment_services.periods()
    period = values.get("period") or (periods[0] if periods else "")
    qs = filters.filter(access.visible(request.user, assessments_qs()))
    ranked = assessment_services.ranking(period, qs) if period else []
    return render(request, "property/assessments.html", {"ranked": ranked, "periods": periods, "period": period, "values": values,
                                                         "streets": _streets(), "sheet": services.active_sheet()})


@login_required
def assess(request):
    """The phone form: pick a compound of one's area, score each item, enter the survey."""
    sheet = services.active_sheet()
    qs = Compound.objects.filter(active=True).exclude(management_mode="none").select_related("community").order_by("code")
    if not access.is_office(request.user):
        p = policy.principal(request.user)
        qs = qs.filter(community_id__in=p.community_ids) if p.has(workflow.AREA_STAFF) else qs.none()
    period = assessment_services.period_of(timezone.localdate(), sheet.period)
    form = {"compound": "", "period": period, "survey_sample": "", "survey_phone": "0", "survey_satisfied": "", "note": ""}
    scores: dict[str, str] = {}
    status = 200
    if request.method == "POST":
        form = {k: request.POST.get(k, "") for k in form}
        scores = {i["code"]: request.POST.get(f"score_{i['code']}", "") for i in sheet.items if not i.get("survey")}
        compound = qs.filter(code=form["compound"]).first()
        try:
            if compound is None:
                raise Invalid(_("请选择本人负责区域内的小区"), code="bad_compound", detail={"field": "compound"})
            a = services.assess(request.user, compound, period=form["period"], scores=scores, survey_sample=form["survey_sample"] or 0,
                                survey_phone=form["survey_phone"] or 0, survey_satisfied=form["survey_satisfied"] or 0, note=form["note"])
            messages.success(request, _("已提交：%(name)s %(period)s 得分 %(total)s") % {"name": compound.name, "period": a.period, "total": a.total})
            return redirect("property:assess")
        except DomainError as exc:
            # The form again with every score as typed, the item at fault named by its name (scores.<code> → score_<code>).
            labels = {**ASSESS_LABELS, **{f"scores.{i['code']}": i["name"] for i in sheet.items}}
            pageforms.remember(request, exc, form="assess", labels=labels,
                               input_of=lambda field: "score_" + field.split(".", 1)[1] if field.startswith("scores.") else field)
            status = exc.status if 400 <= exc.status < 500 else 422
    items = [{**i, "value": scores.get(i["code"], "")} for i in sheet.items]
    return render(request, "property/assess.html", {"sheet": sheet, "items": items, "compounds": qs, "form": form}, status=status)
