from __future__ import annotations

import datetime as dt

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from chengyun.core.dates import parse_date
from chengyun.core.errors import DomainError, Invalid
from chengyun.geo.models import Street, Unit
from chengyun.geo.views import filter_from_query
from chengyun.people import policy
from chengyun.people import roles as R
from chengyun.people.lookup import referenced

from . import services
from .filters import MisconnectionFilter, PipeFilter
from .importers import read_inspection_table
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


# Who may import network and inspection files (the page and the sub-menu link ask the same).
IMPORTERS = frozenset({R.SYSADMIN, R.DEPT_HANDLER})


@login_required
def import_page(request):
    """Upload network files (GeoJSON, CSV, zipped Shapefiles; nodes and pipes together) or an
    inspection report (CSV/Excel). 校验 checks only, 导入 writes all or nothing; the report names
    the file, row and field of every error, as `chengyun drainage import` does."""
    from chengyun.geo import uploads as geo_uploads

    from . import uploads

    policy.require_role(request.user, IMPORTERS, "只有系统管理员或排水权属单位人员可以导入管网数据")
    report = error = staged = None
    kind = request.POST.get("kind", "network")
    owner = request.POST.get("owner", "")
    encoding = request.POST.get("encoding", "")
    files = request.FILES.getlist("file")
    names = [f.name for f in files]
    if request.method == "POST":
        dry_run = request.POST.get("mode") == "check" or bool(request.POST.get("dry_run"))
        try:
            if request.POST.get("staged") and not files:  # import the files checked a moment ago
                read = geo_uploads.take_staged(request, request.POST["staged"])
                names = [name for _, name in read]
            else:
                read = [(geo_uploads.read_upload_bytes(f), f.name) for f in files] or [(geo_uploads.read_upload_bytes(None), "")]
            if kind == "inspections":
                if len(read) != 1:
                    raise Invalid("检测成果表一次上传一个文件", code="several_files", detail={"field": "file"})
                data, name = read[0]
                report = services.import_inspections(read_inspection_table(data, name), user=request.user, dry_run=dry_run, source_name=name)
            else:
                features = uploads.read_network_uploads(read, encoding or None)
                report = services.import_network(features, user=request.user, dry_run=dry_run, default_owner=owner or None)
            if report.ok and dry_run:
                staged = geo_uploads.stage(request, read)
        except Invalid as exc:  # a file that cannot be read at all: nothing was checked or written
            error = exc.message
    status = 422 if error or (report is not None and not report.ok) else 200
    is_admin = policy.principal(request.user).has({R.SYSADMIN})
    return render(request, "drainage/import.html", {
        "report": report, "kind": kind, "error": error, "owner": owner, "encoding": encoding, "file_names": names, "staged": staged,
        "summary": report.as_text().splitlines()[0] if report else "", "errors": geo_uploads.problems(report.errors) if report else [],
        "units": Unit.objects.filter(active=True).order_by("kind", "code") if is_admin else [],
        "max_mb": geo_uploads.max_upload_bytes() // (1024 * 1024),
    }, status=status)
