"""Pages of the village fund: project list and detail (with the steps the reader may take), the
application wizard for village cadres, the review queue, villages, batch ledgers, the yearly
performance table and report, and the public disclosure page (no sign-in). Thin: reads through
services.access, writes through services."""
from __future__ import annotations

import re
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import Count, Q, Sum
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _l
from django.views.decorators.http import require_POST

from chengyun.core import pageforms
from chengyun.core.errors import DomainError, Invalid
from chengyun.geo.views import filter_from_query
from chengyun.people import policy
from chengyun.people import roles as R
from chengyun.people.lookup import referenced

from . import decision, reporting, rules, services
from . import workflow as wf
from .filters import FundProjectFilter, VillageFilter
from .models import Batch, Objection, Payment, Progress, Project, Village
from .public import public_projects
from .services import access, register
from .services import performance as perf


def _projects(request):
    return access.visible(request.user, Project.objects.select_related("batch", "village", "village__community__street"))


def _villages(request):
    return access.visible(request.user, Village.objects.select_related("community", "community__street"))


def _error(request, exc: DomainError) -> None:
    messages.error(request, exc.message)


def _streets(request):
    from chengyun.geo.models import Street

    return Street.objects.filter(pk__in=_villages(request).values("community__street_id")).order_by("code")


@login_required
def projects(request):
    filters, values = filter_from_query(FundProjectFilter, request)
    qs = filters.filter(_projects(request)).order_by("code")
    totals = qs.aggregate(n=Count("id"), amount=Sum("amount_wan"))
    page = Paginator(qs, 50).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(request, "villagefund/projects.html", {
        "page": page, "values": values, "count": totals["n"], "amount": totals["amount"] or 0, "query": query.urlencode(),
        "states": list(wf.STATES.items()), "models": list(rules.SUPPORT_MODELS.items()), "batches": Batch.objects.all(),
        "streets": _streets(request), "can_apply": policy.principal(request.user).has({R.VILLAGE_CADRE}),
    })


@login_required
def project_detail(request, project_id: int):
    p = access.get_visible(request.user, _projects(request), pk=project_id)
    prin = policy.principal(request.user)
    local = policy.can_write(request.user, p)
    return render(request, "villagefund/project.html", {
        "p": p, "actions": services.allowed_actions(request.user, p), "meetings": p.meetings.all(),
        "decision_problems": services.decision_problems(p), "reviews": p.reviews.select_related("unit"),
        "objections": p.objections.all(), "progress": p.progress.all(), "payments": p.payments.all(), "assets": p.assets.all(),
        "returns": p.returns.all(), "events": p.events.select_related("actor"), "paid": services.paid_total(p),
        "verified": services.verified_percent(p), "opinions": services.district_opinions(p), "review_units": rules.review_units(),
        "is_town": local and prin.has({R.STREET_OFFICER}), "is_village": local and prin.has({R.VILLAGE_CADRE}),
        "uses": rules.all_uses(), "forbidden": rules.forbidden_uses(), "kinds": Payment.Kind.choices,
        "states": wf.STATES, "state_index": wf.stage_index(p.state), "order": wf.ORDER, **_kept(request),
    })


# -- refused forms: the page again (4xx), the field named by its label, what was typed kept -------------------

RECORD_LABELS = {
    "content": _l("异议内容"), "objector": _l("异议人"), "raised_on": _l("提出日期"), "resolution": _l("处理结果"),
    "percent": _l("形象进度（%）"), "spent_wan": _l("累计支出（万元）"), "reported_on": _l("报告日期"), "note": _l("说明"),
    "amount_wan": _l("金额（万元）"), "kind": _l("拨付方式"), "use": _l("资金用途"), "voucher": _l("凭证号"), "paid_on": _l("拨付日期"),
    "year": _l("年度"), "income_wan": _l("经营性收入（万元）"), "dividend_wan": _l("分红（万元）"), "jobs": _l("带动就业（人）"),
    "satisfaction": _l("满意度（%）"), "agree": _l("是否同意"), "assets": _l("资产"), "action": _l("操作"),
}
ASSET_INPUTS = {"name": "asset_name", "kind": "asset_kind", "value_wan": "asset_value"}
ASSET_LABELS = {"name": _l("资产名称"), "kind": _l("资产类别"), "value_wan": _l("资产价值（万元）")}
WIZARD_LABELS = {
    "village": _l("村"), "batch": _l("资金批次"), "name": _l("项目名称"), "model": _l("发展模式"), "amount_wan": _l("申请扶持资金（万元）"),
    "partner": _l("合作经营主体"), "period_start": _l("实施期起"), "period_end": _l("实施期止"), "plan": _l("项目实施方案"),
    "self_funds_wan": _l("村集体自筹（万元）"), "expected_return_wan": _l("预期年收益（万元）"), "guaranteed_rate": _l("保底分红率（%）"),
    "guaranteed_years": _l("保底年限"), "budget": _l("预算明细"), "meetings": _l("民主决策记录"),
}
MEETING_COLUMNS = {"kind": _l("会议类型"), "held_on": _l("召开日期"), "entitled": _l("应到人数"), "present": _l("实到人数"),
                   "agree": _l("同意"), "oppose": _l("反对"), "abstain": _l("弃权")}
# The column of a meeting a decision rule is about (decision.Problem.code).
PROBLEM_COLUMNS = {"no_members": "entitled", "present_over_members": "present", "votes_over_present": "agree", "below_quorum": "present",
                   "not_passed": "agree", "missing_meeting": "held_on", "out_of_order": "held_on"}
_ROW = re.compile(r"^(budget|meetings|assets)\[(\d+)\](?:\.(\w+))?$")


class _Labels(Mapping):
    """A page's labels, and a row's field (``budget[1].amount_wan``, ``meetings[2].present``) by its row and column."""

    def __init__(self, labels: Mapping[str, Any]):
        self.labels = labels

    def _row(self, key: str):
        m = _ROW.match(key)
        if not m:
            return None
        what, n, column = m.group(1), int(m.group(2)), m.group(3) or ""
        if what == "budget":
            col = {"item": _("预算科目"), "amount_wan": _("金额（万元）")}.get(column, "")
            return _("预算明细第 %(n)s 行") % {"n": n + 1} + (f" · {col}" if col else "")
        if what == "meetings":
            name = decision.MEETINGS[decision.ORDER[n]] if n < len(decision.ORDER) else _("会议")
            return f"{name} · {MEETING_COLUMNS[column]}" if column in MEETING_COLUMNS else str(name)
        return str(ASSET_LABELS.get(column, self.labels.get("assets", "")))

    def __getitem__(self, key: str):
        row = self._row(key)
        if row is not None:
            return row
        return self.labels[key]

    def __contains__(self, key) -> bool:
        return self._row(str(key)) is not None or key in self.labels

    def __iter__(self):
        return iter(self.labels)

    def __len__(self) -> int:
        return len(self.labels)


def _input_of(exc: DomainError):
    """The name of the input a refusal is about, on the detail page and in the wizard."""
    detail = exc.detail if isinstance(exc.detail, dict) else {}

    def input_of(field: str) -> str:
        m = _ROW.match(field)
        if field == "meetings" and detail.get("problems"):
            first = detail["problems"][0]
            kind = first.get("meeting") or next((k for k in decision.ORDER if str(decision.MEETINGS[k]) in first.get("message", "")), "")
            return f"{kind}_{PROBLEM_COLUMNS.get(first.get('code'), 'held_on')}" if kind else ""
        if m and m.group(1) == "meetings" and int(m.group(2)) < len(decision.ORDER):
            return f"{decision.ORDER[int(m.group(2))]}_{m.group(3) or 'held_on'}"
        if m and m.group(1) == "budget":
            return f"{'item' if m.group(3) == 'item' else 'item_amount'}.{m.group(2)}"
        if m and m.group(1) == "assets":
            return ASSET_INPUTS.get(m.group(3) or "", "asset_name")
        return {"budget": "item_amount", "assets": "asset_name"}.get(field, field.split(".")[-1])
    return input_of


def _refused(request, exc: DomainError, page, *args, form: str, labels: Mapping[str, Any]):
    """Show ``page`` again (as its GET) with the refusal at ``form``, with the status of the refusal."""
    pageforms.remember(request, exc, form=form, labels=_Labels(labels), input_of=_input_of(exc))
    request.method = "GET"
    response = page(request, *args)
    response.status_code = exc.status if 400 <= exc.status < 500 else 422
    return response


def _kept(request) -> dict:
    """The detail page's forms: the refused one's values as typed, and which of its inputs is at fault ("form:input")."""
    error = getattr(request, "form_error", None)
    if not error:
        return {"kept": {}, "bad": ""}
    return {"kept": {error["form"]: request.POST}, "bad": f"{error['form']}:{error['input']}", "kept_form": error["form"]}


@login_required
@require_POST
def project_step(request, project_id: int, action: str):
    p = access.get_visible(request.user, _projects(request), pk=project_id)
    agree = {"yes": True, "no": False}.get(request.POST.get("agree", ""))
    assets = []
    if request.POST.get("asset_name") or request.POST.get("asset_value"):
        assets = [{"name": request.POST.get("asset_name"), "kind": request.POST.get("asset_kind", ""), "value_wan": request.POST.get("asset_value")}]
    try:
        services.transition(request.user, p, action, note=request.POST.get("note", ""), on=request.POST.get("on") or None, agree=agree, assets=assets)
    except DomainError as exc:
        return _refused(request, exc, project_detail, p.pk, form=f"step:{action}", labels={**RECORD_LABELS, "note": _l("意见或说明")})
    messages.success(request, _("已办理：%(step)s") % {"step": wf.TRANSITIONS[action].label})
    return redirect("villagefund:project", project_id=p.pk)


@login_required
@require_POST
def project_record(request, project_id: int, what: str):
    """The forms of the detail page: objection, progress, payment, return."""
    p = access.get_visible(request.user, _projects(request), pk=project_id)
    f = request.POST
    form = what
    try:
        if what == "objection":
            services.raise_objection(request.user, p, content=f.get("content", ""), objector=f.get("objector", ""), raised_on=f.get("raised_on") or None)
        elif what == "progress":
            services.report_progress(request.user, p, percent=f.get("percent"), spent_wan=f.get("spent_wan") or 0, note=f.get("note", ""),
                                     reported_on=f.get("reported_on") or None)
        elif what == "payment":
            services.record_payment(request.user, p, amount_wan=f.get("amount_wan"), kind=f.get("kind", ""), use=f.get("use", ""),
                                    voucher=f.get("voucher", ""), paid_on=f.get("paid_on") or None, note=f.get("note", ""))
        elif what == "return":
            services.report_return(request.user, p, year=f.get("year"), income_wan=f.get("income_wan"), dividend_wan=f.get("dividend_wan") or 0,
                                   jobs=f.get("jobs") or 0, satisfaction=f.get("satisfaction") or None, note=f.get("note", ""))
        elif what == "resolve":
            form = f"resolve-{f.get('objection', '')}"
            o = access.get_visible(request.user, Objection.objects.filter(project=p), pk=f.get("objection"))
            services.resolve_objection(request.user, o, resolution=f.get("resolution", ""))
        elif what == "verify":
            form = f"verify-{f.get('progress', '')}"
            g = access.get_visible(request.user, Progress.objects.filter(project=p), pk=f.get("progress"))
            services.verify_progress(request.user, g)
        else:
            return HttpResponse(status=404)
    except DomainError as exc:
        if exc.status == 404:
            raise
        return _refused(request, exc, project_detail, p.pk, form=form, labels=RECORD_LABELS)
    messages.success(request, _("已保存"))
    return redirect("villagefund:project", project_id=p.pk)


# -- the application wizard -------------------------------------------------------------------------------

WIZARD_STEPS = [(1, _l("项目基本信息")), (2, _l("预算与收益")), (3, _l("民主决策记录"))]


def _wizard_context(request, step: int, p: Project | None, **extra):
    return {"step": step, "steps": WIZARD_STEPS, "p": p, "models": list(rules.SUPPORT_MODELS.items()),
            "batches": Batch.objects.all(), "villages": _villages(request), "meeting_kinds": list(decision.MEETINGS.items()),
            "bad": getattr(request, "form_error", {}).get("input", ""), **extra}


def _budget_rows(request, p: Project) -> list[dict]:
    """Step 2's budget table: after a refusal the lines as typed (blank ones left out, as the service numbers them), else the
    stored ones; three blank lines to add to; each line with the column at fault, if any."""
    error = getattr(request, "form_error", None)
    if error:
        lines = [(i, a) for i, a in zip(request.POST.getlist("item"), request.POST.getlist("item_amount")) if i.strip() or a.strip()]
    else:
        lines = [(line["item"], line["amount_wan"]) for line in p.budget or []]
    bad = error["input"] if error else ""
    rows = []
    for n, (item, amount) in enumerate(lines + [("", "")] * 3):
        rows.append({"item": item, "amount": amount, "bad_item": bad == f"item.{n}",
                     "bad_amount": bad == f"item_amount.{n}" or (bad == "item_amount" and n < len(lines))})
    return rows


@login_required
def apply(request):
    """Step 1: the village, the batch and what the project is; saved as a draft."""
    policy.require_role(request.user, {R.VILLAGE_CADRE, R.SYSADMIN}, _("只有村干部可以申报扶持项目"))
    if request.method == "POST":
        f = request.POST
        try:
            village = referenced(_villages(request), f.get("village"), field="village", optional=False)
            batch = Batch.objects.filter(pk=f.get("batch") or 0).first()
            if batch is None:
                raise Invalid(_("请选择资金批次"), code="missing_batch", detail={"field": "batch"})
            p = services.create_project(request.user, village=village, batch=batch, name=f.get("name", ""), model=f.get("model", ""),
                                        amount_wan=f.get("amount_wan"), plan=f.get("plan", ""), partner=f.get("partner", ""),
                                        period_start=f.get("period_start") or None, period_end=f.get("period_end") or None)
        except DomainError as exc:
            return _refused(request, exc, apply, form="wizard", labels=WIZARD_LABELS)
        return redirect("villagefund:wizard", project_id=p.pk, step=2)
    return render(request, "villagefund/wizard.html", _wizard_context(request, 1, None, form=request.POST))


@login_required
def wizard(request, project_id: int, step: int):
    p = access.get_visible(request.user, _projects(request), pk=project_id)
    if step not in (2, 3):
        return redirect("villagefund:wizard", project_id=p.pk, step=2)
    if request.method == "POST":
        f = request.POST
        try:
            if step == 2:
                items, amounts = f.getlist("item"), f.getlist("item_amount")
                budget = [{"item": i, "amount_wan": a} for i, a in zip(items, amounts) if i.strip() or a.strip()]
                services.update_project(request.user, p, self_funds_wan=f.get("self_funds_wan") or 0, budget=budget,
                                        expected_return_wan=f.get("expected_return_wan") or 0,
                                        guaranteed_rate=f.get("guaranteed_rate") or None, guaranteed_years=f.get("guaranteed_years") or None)
                return redirect("villagefund:wizard", project_id=p.pk, step=3)
            meetings = [{"kind": k, "held_on": f.get(f"{k}_held_on"), "entitled": f.get(f"{k}_entitled"), "present": f.get(f"{k}_present"),
                         "agree": f.get(f"{k}_agree"), "oppose": f.get(f"{k}_oppose") or 0, "abstain": f.get(f"{k}_abstain") or 0}
                        for k in decision.ORDER]
            services.record_decision(request.user, p, meetings)
            if f.get("submit"):
                services.transition(request.user, p, "submit")
                messages.success(request, _("已提交申报，等待镇（街道）初审"))
            else:
                messages.success(request, _("决策记录已保存"))
            return redirect("villagefund:project", project_id=p.pk)
        except DomainError as exc:
            if exc.status == 404:
                raise
            return _refused(request, exc, wizard, project_id, step, form="wizard", labels=WIZARD_LABELS)
    if getattr(request, "form_error", None):
        form = request.POST  # refused: what was typed, not what is stored
    else:
        form = {}
        if step == 2:
            form = {k: getattr(p, k) for k in ("self_funds_wan", "expected_return_wan", "guaranteed_rate", "guaranteed_years")}
        for m in p.meetings.all() if step == 3 else []:
            for k in ("held_on", "entitled", "present", "agree", "oppose", "abstain"):
                form[f"{m.kind}_{k}"] = getattr(m, k)
    return render(request, "villagefund/wizard.html", _wizard_context(request, step, p, form=form, budget_rows=_budget_rows(request, p) if step == 2 else []))


# -- queue, villages, ledgers, performance -------------------------------------------------------------------

@login_required
def queue(request):
    """What waits for the reader: 初审 for a street, the joint review and publication for a department."""
    qs = _projects(request)
    prin = policy.principal(request.user)
    unit = access.reviewer_unit(request.user)
    waiting = Project.objects.none()
    if unit is not None:
        reviewed = Project.objects.filter(reviews__stage="district", reviews__current=True, reviews__unit=unit)
        waiting = qs.filter(Q(state=wf.JOINT_REVIEW) & ~Q(pk__in=reviewed) | Q(state=wf.APPROVED))
    elif prin.has({R.STREET_OFFICER}):
        waiting = qs.filter(Q(state=wf.SUBMITTED) | Q(state=wf.PUBLICITY, objections__resolved=False) | Q(progress__verified=False,
                                                                                                         state=wf.IMPLEMENTING)).distinct()
    elif prin.has({R.SYSADMIN}):
        waiting = qs.filter(state__in=[wf.SUBMITTED, wf.JOINT_REVIEW, wf.APPROVED])
    return render(request, "villagefund/queue.html", {"rows": waiting.order_by("state", "code"), "unit": unit})


VILLAGE_LABELS = {
    "community": _l("社区（村）"), "name": _l("村名"), "organisation": _l("村集体经济组织名称"), "credit_code": _l("统一社会信用代码"),
    "households": _l("户数"), "population": _l("人口"), "representatives": _l("村民代表人数"), "party_members": _l("党员人数"),
    "base_income_wan": _l("上年集体经营性收入（万元）"),
}
BATCH_LABELS = {
    "year": _l("年度"), "name": _l("批次名称"), "document": _l("下达文号"), "central_wan": _l("中央资金（万元）"),
    "province_wan": _l("省级资金（万元）"), "city_wan": _l("市级资金（万元）"), "district_wan": _l("区级资金（万元）"),
}


def _village_fields():
    return [(name, VILLAGE_LABELS[name], "text" if name in ("name", "organisation", "credit_code") else "number")
            for name in register.VILLAGE_FIELDS]


def _village_values(post) -> dict:
    """The register form's fields as typed (blank numbers left out; the service checks and names them)."""
    values = {}
    for name in register.VILLAGE_FIELDS:
        raw = post.get(name, "").strip()
        if raw or name in ("name", "organisation", "credit_code"):
            values[name] = raw
    return values


def _free_communities(request):
    """Communities the user may register a village on that have none yet."""
    from chengyun.geo.models import Community

    p = policy.principal(request.user)
    qs = Community.objects.select_related("street").filter(village__isnull=True).order_by("code")
    if p.has({R.SYSADMIN}):
        return qs
    if p.has({R.STREET_OFFICER}):
        return qs.filter(pk__in=p.community_ids)
    return qs.none()


@login_required
@pageforms.refusals(VILLAGE_LABELS, default_form="village")
def villages(request):
    free = _free_communities(request)
    if request.method == "POST":
        from chengyun.geo.models import Community

        community = referenced(Community.objects.all(), request.POST.get("community"), field="community", lookup="code", optional=False)
        v = services.create_village(request.user, community=community, **_village_values(request.POST))
        messages.success(request, _("已登记：%(name)s") % {"name": v.name})
        return redirect("villagefund:village", village_id=v.pk)
    filters, values = filter_from_query(VillageFilter, request)
    qs = filters.filter(_villages(request)).annotate(n=Count("projects"), amount=Sum("projects__amount_wan")).order_by("community__code")
    year = values.get("below_target")
    income = perf.village_income(int(year)) if year else {}
    rows = [(v, income.get(v.pk, Decimal("0"))) for v in qs]
    return render(request, "villagefund/villages.html", {"rows": rows, "values": values, "count": len(rows), "streets": _streets(request),
                                                        "target": rules.income_target_wan(), "year": year, "free_communities": free,
                                                        "village_fields": _village_fields(),
                                                        "may_register": free.exists() if policy.principal(request.user).has({R.STREET_OFFICER, R.SYSADMIN}) else False})


@login_required
@pageforms.refusals(VILLAGE_LABELS, default_form="village")
def village(request, village_id: int):
    v = access.get_visible(request.user, _villages(request), pk=village_id)
    if request.method == "POST":
        services.update_village(request.user, v, **_village_values(request.POST))
        messages.success(request, _("已保存登记信息"))
        return redirect("villagefund:village", village_id=v.pk)
    current = {name: getattr(v, name) for name in register.VILLAGE_FIELDS}
    return render(request, "villagefund/village.html", {"v": v, "can_write": policy.can_write(request.user, v),
                                                       "village_fields": _village_fields(), "current": current,
                                                       "projects": _projects(request).filter(village=v).order_by("code")})


@login_required
@pageforms.refusals(BATCH_LABELS, default_form="batch")
def batches(request):
    if request.method == "POST":
        f = request.POST
        b = services.create_batch(request.user, year=f.get("year"), name=f.get("name", ""), document=f.get("document", ""),
                                  **{k: f.get(k, "").strip() or 0 for k in ("central_wan", "province_wan", "city_wan", "district_wan")})
        messages.success(request, _("已登记资金批次：%(name)s") % {"name": b.name})
        return redirect("villagefund:ledger", batch_id=b.pk)
    visible = _projects(request)
    rows = [(b, perf.ledger(b, visible)) for b in Batch.objects.all()]
    return render(request, "villagefund/batches.html", {"rows": rows, "may_register": access.is_reviewer(request.user)
                                                       or policy.principal(request.user).has({R.SYSADMIN})})


@login_required
def batch_ledger(request, batch_id: int):
    b = access.get_visible(request.user, Batch.objects.all(), pk=batch_id)
    return render(request, "villagefund/ledger.html", {"b": b, "ledger": perf.ledger(b, _projects(request))})


def _year(request) -> int:
    from django.utils import timezone

    try:
        return int(request.GET.get("year") or timezone.localdate().year - 1)
    except ValueError:
        return timezone.localdate().year - 1


@login_required
def performance(request):
    year = _year(request)
    rows = perf.performance(year, _projects(request))
    years = sorted(set(Batch.objects.values_list("year", flat=True)), reverse=True)
    return render(request, "villagefund/performance.html", {"rows": rows, "year": year, "years": years,
                                                           "below": perf.villages_below_target(year, _villages(request)),
                                                           "target": rules.income_target_wan()})


@login_required
def report_file(request, fmt: str):
    """The yearly report for the district's reviewers and leaders (it covers every village)."""
    prin = policy.principal(request.user)
    if not (access.is_reviewer(request.user) or prin.has(R.DISTRICT_WIDE)):
        return render(request, "core/error.html", {"message": _("年度报告由区级联审部门和区领导查看")}, status=403)
    year = _year(request)
    try:
        if fmt == "docx":
            body, ctype = reporting.build_docx(year), "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
        else:
            body, ctype = reporting.build_xlsx(year), "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    except DomainError as exc:
        _error(request, exc)
        return redirect("villagefund:performance")
    resp = HttpResponse(body, content_type=ctype)
    resp["Content-Disposition"] = f"attachment; filename=village-fund-{year}.{fmt}"
    return resp


def public(request):
    """公示公开: no sign-in, only what is in or past publicity, never a person."""
    try:
        year = int(request.GET.get("year") or 0) or None
    except ValueError:
        year = None
    rows = list(public_projects(year))
    years = sorted(set(Batch.objects.values_list("year", flat=True)), reverse=True)
    return render(request, "villagefund/public.html", {"rows": rows, "year": year, "years": years, "days": rules.publicity_days(),
                                                      "today": services.today()})
