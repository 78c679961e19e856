"""Pages of the problem ledger: the list with filters (the API's FilterSchema), a problem's detail
with its remedies, history and actions, and the form for an inspected finding."""
from __future__ import annotations

import datetime as dt

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _

from chengyun.core.errors import Invalid
from chengyun.geo.models import Compound, Street, Unit
from chengyun.geo.views import filter_from_query

from . import checklist, services, workflow
from .filters import ProblemFilter
from .models import Dimension, Problem, ProblemRemedy
from .services import access, ledger
from .views import _years, posts_service


@login_required
def problems(request):
    filters, values = filter_from_query(ProblemFilter, request)
    qs = filters.filter(access.visible(request.user, Problem.objects.select_related(
        "indicator", "community", "street", "responsible_unit", "compound")))
    page = Paginator(qs, 50).get_page(request.GET.get("page"))
    return render(request, "renewal/problems.html", {
        "page": page, "values": values, "states": list(workflow.STATES.items()), "dimensions": Dimension.choices,
        "severities": Problem.Severity.choices, "streets": Street.objects.order_by("code"), "years": _years(),
        "query": request.GET.urlencode()})


def _detail_url(problem: Problem) -> str:
    return reverse("renewal:problem", args=[problem.pk])


@login_required
@posts_service
def problem_detail(request, problem_id: int):
    problem = access.get_visible(request.user, Problem.objects.select_related(
        "indicator", "measurement", "community", "street", "responsible_unit", "compound"), pk=problem_id)
    if request.method == "POST":
        action = request.POST.get("action", "")
        if action in workflow.TRANSITIONS:
            services.transition(request.user, problem, action, note=request.POST.get("note", ""))
            messages.success(request, _("已%(label)s") % {"label": workflow.TRANSITIONS[action].label})
        elif action == "link_project":
            services.link_remedy(request.user, problem, project_key=request.POST.get("project_key", ""))
            messages.success(request, _("已关联整改措施"))
        elif action == "accept":
            remedy = problem.remedies.filter(pk=request.POST.get("remedy")).first()
            if remedy is None:
                raise Invalid(_("整改措施不存在"), code="unknown_remedy")
            services.accept_remedy(request.user, remedy)
            messages.success(request, _("整改已验收，问题转为待复核"))
        elif action == "case":
            case = ledger.to_case(request.user, problem, category_code=request.POST.get("category_code", ""))
            messages.success(request, _("已转为案件 %(number)s") % {"number": case.number})
        elif action == "task":
            task = ledger.to_key_task(request.user, problem)
            messages.success(request, _("已列为督办任务 %(code)s") % {"code": task.code})
        elif action == "photos":
            ledger.add_photos(request.user, problem, request.FILES.getlist("photos"), request.POST.get("caption", ""))
            messages.success(request, _("照片已上传"))
        return redirect(_detail_url(problem))
    actions = services.problems.allowed_actions(request.user, problem)
    remedies = list(problem.remedies.select_related("case", "accepted_by"))
    for r in remedies:
        r.info = services.resolve_project(r.project_key) if r.kind == ProblemRemedy.Kind.PROJECT else None
    return render(request, "renewal/problem_detail.html", {
        "problem": problem, "actions": actions, "remedies": remedies, "events": problem.events.select_related("actor"),
        "photos": problem.photos.all(), "is_office": access.is_office(request.user),
        "can_write": access.is_office(request.user) or _can_write(request.user, problem), "open": problem.state in workflow.OPEN_STATES})


def _can_write(user, problem) -> bool:
    from chengyun.people import policy

    return policy.can_write(user, problem)


@login_required
@posts_service
def finding_new(request):
    if request.method == "POST":
        p = request.POST
        compound = p.get("compound") or None
        lng, lat = p.get("lng"), p.get("lat")
        try:
            lng_f = float(lng) if lng else None
            lat_f = float(lat) if lat else None
        except ValueError:
            raise Invalid(_("坐标应为数字"), code="bad_coordinates") from None
        deadline = dt.date.fromisoformat(p["deadline"]) if p.get("deadline") else None
        problem = ledger.create_finding(request.user, year=int(p.get("year") or dt.date.today().year), problem_type=p.get("problem_type", ""),
                                        description=p.get("description", ""), compound=compound, building=p.get("building", ""),
                                        lng=lng_f, lat=lat_f, severity=p.get("severity") or Problem.Severity.MINOR,
                                        responsible_unit=p.get("responsible_unit") or None, deadline=deadline,
                                        photos=request.FILES.getlist("photos"))
        messages.success(request, _("已登记问题 %(code)s") % {"code": problem.code})
        return redirect(_detail_url(problem))
    return render(request, "renewal/finding_form.html", {
        "categories": checklist.categories(), "compounds": access.visible(request.user, Compound.objects.filter(active=True).order_by("code")),
        "severities": Problem.Severity.choices, "units": Unit.objects.filter(active=True).order_by("kind", "code"),
        "years": _years() or [dt.date.today().year]})
