from __future__ import annotations

import datetime as dt

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from chengyun.core.dates import parse_date
from chengyun.core.errors import DomainError
from chengyun.geo.models import Street, Unit
from chengyun.geo.views import filter_from_query
from chengyun.people import policy
from chengyun.people import roles as R
from chengyun.people.lookup import referenced

from . import services
from .filters import MisconnectionFilter, PipeFilter
from .importers import read_inspection_table, read_network_upload
from .models import Misconnection, Node, Pipe, RenovationPlan, SeparationProject


@login_required
def map_page(request):
    counts = {t: Pipe.objects.filter(type=t).count() for t in Pipe.Type.values}
    grades = {g: Pipe.objects.filter(structural_grade=g).count() for g in (1, 2, 3, 4)}
    return render(request, "drainage/map.html", {"counts": counts, "grades": grades, "mode": "network"})


@login_required
def trace_page(request):
    node = request.GET.get("node", "").strip()
    direction = request.GET.get("direction", "upstream")
    if direction not in ("upstream", "downstream"):
        direction = "upstream"
    outfalls = Node.objects.filter(kind__in=[Node.Kind.OUTFALL, Node.Kind.PLANT]).order_by("code").values_list("code", "name")
    return render(request, "drainage/map.html", {"mode": "trace", "node": node, "direction": direction, "outfalls": outfalls})


@login_required
def pipes(request):
    filters, values = filter_from_query(PipeFilter, request)
    qs = filters.filter(policy.visible(request.user, Pipe.objects.select_related("street", "from_node", "to_node")))
    page = Paginator(qs, 50).get_page(request.GET.get("page"))
    return render(request, "drainage/pipes.html", {"page": page, "values": values, "types": Pipe.Type.choices,
                                                   "streets": Street.objects.order_by("code")})


@login_required
def pipe_detail(request, code: str):
    pipe = policy.get_visible(request.user, Pipe.objects.select_related("street", "from_node", "to_node", "owner"), code=code)
    from chengyun.standards.cjj181 import DEFECT_TYPES

    inspections = list(pipe.inspections.prefetch_related("defects"))
    for i in inspections:
        for d in i.defects.all():
            d.name = DEFECT_TYPES[d.code].name if d.code in DEFECT_TYPES else ""
    return render(request, "drainage/pipe_detail.html", {
        "pipe": pipe, "inspections": inspections,
        "misconnections": pipe.misconnections.all(), "projects": [pp.project for pp in pipe.project_links.select_related("project")],
    })


@login_required
def misconnections(request):
    filters, values = filter_from_query(MisconnectionFilter, request)
    qs = filters.filter(policy.visible(request.user, Misconnection.objects.select_related("pipe", "node", "street")))
    page = Paginator(qs, 30).get_page(request.GET.get("page"))
    can_act = policy.principal(request.user).has({R.SYSADMIN, R.OPS_DISPATCHER, R.OPS_SHIFT_LEADER})
    units = Unit.objects.filter(active=True).order_by("kind", "code") if can_act else []
    return render(request, "drainage/misconnections.html", {
        "page": page, "values": values, "kinds": Misconnection.Kind.choices, "statuses": Misconnection.Status.choices,
        "can_act": can_act, "units": units, "default_deadline": dt.date.today() + dt.timedelta(days=30),
    })


@login_required
@require_POST
def misconnections_detect(request):
    try:
        report = services.detect_misconnections(request.user)
        messages.info(request, f"识别完成：共 {report.found} 处，新增 {report.created} 处。" + " ".join(report.messages))
    except DomainError as exc:
        messages.error(request, exc.message)
    return redirect("drainage:misconnections")


@login_required
@require_POST
def misconnection_action(request, pk: int, action: str):
    m = policy.get_visible(request.user, Misconnection.objects.select_related("pipe", "node"), pk=pk)
    try:
        if action == "case":
            services.misconnection_to_case(request.user, m)
            messages.info(request, f"已立案：{m.case_number}")
        elif action == "task":
            unit = referenced(Unit.objects, request.POST.get("lead_unit"), what="牵头单位", field="lead_unit", lookup="code", code="unknown_unit")
            deadline = parse_date(request.POST.get("deadline"), "日期格式有误", field="deadline", optional=True)
            services.misconnection_to_task(request.user, m, lead_unit=unit, deadline=deadline)
            messages.info(request, "已转督办任务")
        elif action == "dismiss":
            services.dismiss_misconnection(request.user, m, note=request.POST.get("note", ""))
            messages.info(request, "已排除")
        elif action == "reopen":
            services.reopen_misconnection(request.user, m)
        else:
            messages.error(request, "未知操作")
    except DomainError as exc:
        messages.error(request, exc.message)
    return redirect(request.POST.get("next") or "drainage:misconnections")


@login_required
def plans(request):
    if request.method == "POST":
        try:
            weights = {k: float(request.POST[f"w_{k}"]) for k in services.DEFAULT_WEIGHTS if request.POST.get(f"w_{k}", "") != ""}
            plan = services.make_plan(request.user, year=int(request.POST.get("year") or dt.date.today().year + 1),
                                      budget_yuan=float(request.POST.get("budget_wan") or 0) * 10000, weights_override=weights,
                                      name=request.POST.get("name", ""))
            return redirect("drainage:plan", pk=plan.pk)
        except DomainError as exc:
            messages.error(request, exc.message)
        except ValueError:
            messages.error(request, "年度、预算和权重应为数字")
    top = services.priority_scores()[:30]
    projects = [(p, services.project_progress(p)) for p in policy.visible(request.user, SeparationProject.objects.select_related("street"))]
    return render(request, "drainage/plans.html", {
        "plans": policy.visible(request.user, RenovationPlan.objects.all())[:20], "top": top, "weights": services.weights(),
        "factor_names": services.FACTOR_NAMES, "methods": services.METHODS, "projects": projects,
        "next_year": dt.date.today().year + 1,
        "can_plan": policy.principal(request.user).has({R.SYSADMIN, R.DEPT_HANDLER}),
    })


@login_required
def plan_detail(request, pk: int):
    plan = policy.get_visible(request.user, RenovationPlan.objects.all(), pk=pk)
    items = plan.items.select_related("pipe", "pipe__street").order_by("rank")
    return render(request, "drainage/plan_detail.html", {"plan": plan, "items": items, "methods": services.METHODS,
                                                         "factor_names": services.FACTOR_NAMES})


@login_required
def plan_xlsx(request, pk: int):
    plan = policy.get_visible(request.user, RenovationPlan.objects.all(), pk=pk)
    resp = HttpResponse(services.plan_xlsx(plan), content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    resp["Content-Disposition"] = f"attachment; filename=renovation-plan-{plan.year}-{plan.pk}.xlsx"
    return resp


@login_required
def import_page(request):
    """Upload a network file (GeoJSON/CSV) or an inspection report (CSV/Excel); the report of the
    checks is shown whether or not anything was written."""
    report = kind = None
    if request.method == "POST":
        upload = request.FILES.get("file")
        kind = request.POST.get("kind", "network")
        dry_run = bool(request.POST.get("dry_run"))
        try:
            if upload is None:
                messages.error(request, "请选择文件")
            elif kind == "inspections":
                report = services.import_inspections(read_inspection_table(upload.read(), upload.name), user=request.user,
                                                     dry_run=dry_run, source_name=upload.name)
            else:
                report = services.import_network(read_network_upload(upload.read(), upload.name), user=request.user, dry_run=dry_run)
        except DomainError as exc:
            messages.error(request, exc.message)
    status = 422 if report is not None and not report.ok else 200
    return render(request, "drainage/import.html", {"report": report, "kind": kind, "text": report.as_text() if report else ""}, status=status)
