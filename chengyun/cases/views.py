"""Case pages: list (+ map), detail with actions, dispatcher queue, handler inbox, mobile report,
evaluation, catalogue. Every write goes through services; a DomainError becomes a message."""
from __future__ import annotations

import datetime as dt

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import get_template
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from chengyun.core import pagecache
from chengyun.core.calendar import set_override
from chengyun.core.dates import parse_date
from chengyun.core.errors import DomainError, Forbidden, Invalid
from chengyun.core.models import CalendarOverride
from chengyun.core.workcalendar import UNITS
from chengyun.geo.models import Community, Street, Unit
from chengyun.geo.views import filter_from_query
from chengyun.people import policy
from chengyun.people import roles as R
from chengyun.people.lookup import referenced

from . import evaluation, freshness, privacy, relocation, services, standard, workflow
from .api import fetch_page, list_queryset
from .filters import CaseFilter
from .models import Case, Category, Responsibility

ROLE_SOURCE = [  # the mobile page reports under the reporter's own role
    (R.STREET_CHIEF, "street_chief"), (R.COMMUNITY_GRID_WORKER, "community_grid_worker"), (R.OPS_GRID_WORKER, "ops_grid_worker"),
    (R.DRONE_OPERATOR, "drone"), (R.DISTRICT_LEADER, "leader"), (R.OPS_ACCEPTOR, "hotline"),
]


def _filter_context(request):
    return {
        "statuses": list(workflow.STATES.items()),
        "sources": list(workflow.SOURCES.items()),
        "streets": Street.objects.order_by("code"),
        "units": Unit.objects.filter(active=True).order_by("kind", "code"),
        "clocks": Case.Clock.choices,
    }


@login_required
def case_list(request):
    filters, values = filter_from_query(CaseFilter, request)
    qs = list_queryset(request.user, filters)
    query = request.GET.urlencode()

    def build() -> str:
        page = Paginator(qs.values_list("id", flat=True), 50).get_page(request.GET.get("page"))
        page.object_list = fetch_page(None, list(page.object_list))
        return get_template("cases/_list_body.html").render({"page": page, "values": values, "query": query, **_filter_context(request)})

    # The viewer's scope is part of the statement, hence of the key (core/pagecache.py).
    body = pagecache.cached("cases.list", freshness.STAMPS, [pagecache.query_key(qs), query], build)
    return render(request, "cases/list.html", {"body": pagecache.personalise(request, body)})


@login_required
def case_map(request):
    filters, values = filter_from_query(CaseFilter, request)
    return render(request, "cases/map.html", {"values": values, "query": request.GET.urlencode(), **_filter_context(request)})


@login_required
def case_detail(request, pk: int):
    return _detail(request, _visible_case(request, pk))


def _visible_case(request, pk: int) -> Case:
    return policy.get_visible(request.user, Case.objects.select_related("category", "condition", "street", "community", "grid", "unit", "suggested_unit", "merged_into"), pk=pk)


@login_required
@require_POST
def reporter_reveal(request, pk: int):
    """The reporter's full name and phone, shown on this one page; the reveal is audited."""
    case = _visible_case(request, pk)
    return _detail(request, case, revealed=privacy.reveal(request.user, case))


def _detail(request, case: Case, revealed: dict | None = None):
    # The step forward along the main line first, side paths (回退, 延期 …) after it.
    main_line = ["accept", "send_verify", "verify", "file", "dispatch", "sign", "feedback", "check_pass", "close"]
    actions = sorted(services.allowed_actions(request.user, case), key=lambda t: main_line.index(t.action) if t.action in main_line else 99)
    return render(request, "cases/detail.html", {
        "case": case,
        "events": case.events.select_related("unit").order_by("at", "id"),
        "attachments": case.attachments.all(),
        "actions": actions,
        "conditions": case.category.conditions.all(),
        "units": Unit.objects.filter(active=True).order_by("kind", "code"),
        "time_units": [(u, standard.UNIT_NAMES[u]) for u in UNITS],
        "duplicates": services.find_duplicates(case.category, case.lng, case.lat, case.reported_at, exclude_id=case.pk) if case.is_open else [],
        "field_names": services.FIELD_NAMES,
        "can_move": relocation.can_move(request.user, case),
        "reporter": revealed or privacy.reporter_shown(case), "revealed": revealed is not None,
        "can_reveal": privacy.can_reveal(request.user) and bool(case.reporter_phone or case.source in privacy.CITIZEN_SOURCES),
    })


@login_required
@require_POST
def case_move(request, pk: int):
    """Confirm a position dragged on the detail map; 403/404 as a page, other refusals as a message."""
    case = policy.get_visible(request.user, Case.objects.all(), pk=pk)
    try:
        relocation.move_with_reason(request.user, case, lng=request.POST.get("lng"), lat=request.POST.get("lat"),
                                    crs=request.POST.get("crs", "wgs84"), reason=request.POST.get("reason", ""))
    except Forbidden:
        raise
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("位置已修改：%(street)s / %(community)s / %(grid)s") % {
            "street": case.street.name, "community": case.community.name, "grid": case.grid.name})
    return redirect("cases:detail", pk=pk)


@login_required
@require_POST
def case_act(request, pk: int, action: str):
    fields = {k: v for k, v in request.POST.items() if k in services.FIELD_NAMES and v != ""}
    if "verified" in fields:
        fields["verified"] = fields["verified"] == "1"
    uploads = request.FILES.getlist("photos")
    if uploads:
        fields["attachments"] = uploads
    try:
        case = services.transition(request.user, pk, action, **fields)
    except DomainError as exc:
        messages.error(request, exc.message)
        return redirect("cases:detail", pk=pk)
    messages.success(request, f"已{workflow.BY_ACTION[action].label}：{case.number}")
    nxt = request.POST.get("next")
    return redirect(nxt if nxt and nxt.startswith("/cases/") else case.get_absolute_url())


@login_required
@require_POST
def case_attach(request, pk: int):
    case = policy.get_visible(request.user, Case.objects.all(), pk=pk)
    try:
        services.add_attachments(request.user, case, request.FILES.getlist("photos"), request.POST.get("stage", "report"))
    except DomainError as exc:
        messages.error(request, exc.message)
    return redirect(case.get_absolute_url())


@login_required
def queue(request):
    """The ops desk: to accept/file, to dispatch (with the suggested unit), returned by units."""
    policy.require_role(request.user, workflow.OPS_DESK | workflow.DISPATCH_DESK, "只有城运中心受理、派遣人员可以使用派遣台")
    base = Case.objects.select_related("category", "street", "grid", "suggested_unit", "unit").order_by("reported_at")

    def build() -> str:
        return get_template("cases/_queue_body.html").render({
            "to_dispatch": base.filter(status=workflow.FILED)[:100],
            "to_accept": base.filter(status__in=[workflow.REPORTED, workflow.ACCEPTED])[:100],
            "to_close": base.filter(status=workflow.CHECKED)[:100],
            "pending": base.filter(pending_request__isnull=False).exclude(status__in=workflow.TERMINAL)[:100],
            "counts": {s: Case.objects.filter(status=s).count() for s in (workflow.REPORTED, workflow.ACCEPTED, workflow.FILED, workflow.CHECKED)},
            "units": Unit.objects.filter(active=True).order_by("kind", "code"),
            "csrf_token": pagecache.CSRF_PLACEHOLDER,
        })

    # The desk sees every case (no scope), so everyone who passes the role check above shares it.
    body = pagecache.cached("cases.queue", freshness.STAMPS, [], build)
    return render(request, "cases/queue.html", {"body": pagecache.personalise(request, body)})


@login_required
def inbox(request):
    """A handler's cases (dispatched to their unit) or a grid worker's verify/check tasks."""
    p = policy.principal(request.user)
    qs = Case.objects.select_related("category", "street", "grid", "unit").order_by("stage_deadline", "reported_at")
    tasks = []
    if p.has({R.DEPT_HANDLER}) and p.unit_id:
        tasks.append(("处置任务", qs.filter(unit_id=p.unit_id, status__in=[workflow.DISPATCHED, workflow.HANDLING, workflow.SUSPENDED])[:200]))
    if p.has(workflow.GRID_WORKERS):
        tasks.append(("待核实", qs.filter(grid_id__in=p.grid_ids, status=workflow.VERIFYING)[:200]))
        tasks.append(("待核查", qs.filter(grid_id__in=p.grid_ids, status=workflow.CHECKING)[:200]))
    mine = qs.filter(reporter=request.user).order_by("-reported_at")[:20]
    return render(request, "cases/inbox.html", {"tasks": tasks, "mine": mine})


def _report_source(user) -> str:
    p = policy.principal(user)
    for role, source in ROLE_SOURCE:
        if role in p.roles:
            return source
    return "public"


@login_required
def report_page(request):
    source = _report_source(request.user)
    categories = Category.objects.filter(active=True).order_by("kind", "code")
    if request.method == "POST":
        try:
            try:
                lng, lat = float(request.POST.get("lng", "")), float(request.POST.get("lat", ""))
            except ValueError:
                raise Invalid("请先定位，或在地图上点选问题位置", code="missing_position") from None
            case = services.report(
                request.user, source=request.POST.get("source") or source, category_code=request.POST.get("category_code", ""),
                category_kind=request.POST.get("category_kind", "event"), lng=lng, lat=lat,
                crs=request.POST.get("crs", "wgs84"), description=request.POST.get("description", ""), address=request.POST.get("address", ""),
                reporter_phone=request.POST.get("reporter_phone", ""), attachments=request.FILES.getlist("photos"),
                location_consent=request.POST.get("location_consent") == "1")
        except DomainError as exc:
            return render(request, "cases/report.html", {"categories": categories, "source": source, "error": exc.message, "form": request.POST,
                                                          "source_label": workflow.SOURCES[source]}, status=exc.status)
        messages.success(request, f"已上报，案件编号 {case.number}")
        return redirect(case.get_absolute_url())
    return render(request, "cases/report.html", {"categories": categories, "source": source, "source_label": workflow.SOURCES[source], "form": {}})


@login_required
def evaluation_page(request):
    policy.require_role(request.user, evaluation.VIEWERS, "您的角色无权查看综合评价")
    kind = request.GET.get("period", "month")

    def date_arg(name):
        try:
            return dt.date.fromisoformat(request.GET[name]) if request.GET.get(name) else None
        except ValueError:
            return None

    try:
        period = evaluation.period_bounds(kind, date_arg("start"), date_arg("end"))
    except DomainError as exc:
        messages.error(request, exc.message)
        period = evaluation.period_bounds("month")
    ev = evaluation.evaluate(period)
    if request.GET.get("format") == "xlsx":
        resp = HttpResponse(evaluation.to_xlsx(ev), content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
        resp["Content-Disposition"] = f'attachment; filename="evaluation-{period.start}-{period.end}.xlsx"'
        return resp
    return render(request, "cases/evaluation.html", {"ev": ev, "kind": kind, "query": request.GET.urlencode(),
                                                     "streets": [a for a in ev.areas if a.level == "street"],
                                                     "communities": [a for a in ev.areas if a.level == "community"]})


@login_required
def catalogue(request):
    if request.method == "POST":
        try:
            upload = request.FILES["file"]
            report = services.import_catalogue(request.user, upload.read(), upload.name, dry_run=bool(request.POST.get("dry_run")))
        except KeyError:
            messages.error(request, "请选择文件")
        except DomainError as exc:
            messages.error(request, exc.message)
        else:
            (messages.success if report.ok else messages.error)(request, report.as_text())
        return redirect("cases:catalogue")
    fmt = request.GET.get("format")
    if fmt in ("csv", "xlsx"):
        resp = HttpResponse(services.export_catalogue(fmt), content_type="text/csv; charset=utf-8" if fmt == "csv" else "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
        resp["Content-Disposition"] = f'attachment; filename="case-standard.{fmt}"'
        return resp
    cats = Category.objects.prefetch_related("conditions").order_by("kind", "code")
    return render(request, "cases/catalogue.html", {"categories": cats, "can_import": R.SYSADMIN in policy.principal(request.user).roles})


@login_required
def calendar_page(request):
    """Administrators' working-calendar overrides (next year's holiday notice, ad-hoc closures)."""
    p = policy.require_role(request.user, {R.SYSADMIN, R.OPS_SHIFT_LEADER}, "只有系统管理员或值班长可以调整工作日历")
    if request.method == "POST":
        choice = request.POST.get("is_workday")
        value = None if choice == "" else choice == "1"
        try:
            day = parse_date(request.POST.get("date"), "日期格式有误，应为 YYYY-MM-DD", field="date")
            set_override(request.user, day, value, request.POST.get("note", "")[:100])
        except DomainError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, f"已更新 {day}")
        return redirect("cases:calendar")
    return render(request, "cases/calendar.html", {"overrides": CalendarOverride.objects.order_by("-date")[:200], "roles": p.roles})


@login_required
def responsibilities(request):
    """The category × area responsibility table behind the dispatch suggestion."""
    can_edit = policy.principal(request.user).has({R.SYSADMIN, R.OPS_SHIFT_LEADER})
    if request.method == "POST":
        try:
            unit = referenced(Unit.objects, request.POST.get("unit"), what="责任单位", field="unit", lookup="code", code="bad_unit")
            if unit is None:
                raise Invalid("请选择责任单位", code="bad_unit")
            code = request.POST.get("category", "").strip()
            category = services.get_category(code[1:] if code[:1].upper() == "B" else code, "component" if code[:1].upper() == "B" else "event") if code else None
            # An unknown street or community is refused: dropped, it would widen the row to the whole district.
            street = referenced(Street.objects, request.POST.get("street"), what="街道", field="street", lookup="code")
            community = referenced(Community.objects.select_related("street"), request.POST.get("community"), what="社区", field="community",
                                   lookup="code")
            if community is not None and street is None:
                street = community.street
            services.set_responsibility(request.user, unit=unit, category=category, street_id=street.pk if street else None,
                                        community_id=community.pk if community else None)
        except DomainError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, "已保存责任分工")
        return redirect("cases:responsibilities")
    rows = Responsibility.objects.select_related("category", "street", "community", "unit").order_by("category__kind", "category__code", "street__code", "community__code")
    return render(request, "cases/responsibilities.html", {"rows": rows, "can_edit": can_edit, "streets": Street.objects.order_by("code"),
                                                           "units": Unit.objects.filter(active=True).order_by("kind", "code")})
