"""Pages of the renewal portfolio: project list (table, map, Gantt, funding), project detail with
transitions, compounds, lift projects with the vote tally, parking gaps, charging layout, and
the renewal plan .xlsx. Thin: reads through the policy, writes through services."""
from __future__ import annotations

from collections import defaultdict
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import path
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from chengyun.core.errors import DomainError
from chengyun.geo.views import filter_from_query
from chengyun.people import policy

from . import project_types as pt
from . import project_workflow as pw
from .filters_portfolio import CompoundFilter, LiftFilter, RenewalProjectFilter
from .models import LiftProject, ParkingSupply, Project
from .services import access, lifts, parking, participation, portfolio


def _projects(request):
    return access.visible(request.user, Project.objects.select_related("responsible_unit", "street", "community")
                          .prefetch_related("targets", "funding"))


def _filter_options() -> dict[str, Any]:
    from chengyun.geo.models import Street, Unit

    return {"types": [(t.code, t.label) for t in pt.TYPES.values()], "states": list(pw.STATES.items()),
            "streets": Street.objects.order_by("code"), "units": Unit.objects.filter(renewal_projects__isnull=False).distinct().order_by("code"),
            "years": [2026, 2027, 2028]}


@login_required
def projects(request):
    filters, values = filter_from_query(RenewalProjectFilter, request)
    qs = filters.filter(_projects(request)).order_by("code")
    rows = list(qs)
    funding: dict[str, float] = defaultdict(float)
    by_type: dict[str, int] = defaultdict(int)
    for p in rows:
        by_type[p.type] += 1
        for f in p.funding.all():
            funding[f.source] += float(f.amount_wan)
    page = Paginator(rows, 50).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(request, "renewal/portfolio/projects.html", {
        "page": page, "values": values, "count": len(rows), "query": query.urlencode(),
        "funding": [(pt.FUNDING_SOURCES[k], round(funding.get(k, 0.0), 2)) for k in pt.FUNDING_SOURCES],
        "funding_total": round(sum(funding.values()), 2),
        "by_state": [(label, sum(1 for p in rows if p.state == code)) for code, label in pw.STATES.items()],
        "by_type": [(pt.TYPES[k].label, n) for k, n in by_type.items()],
        "can_create": access.is_office(request.user), **_filter_options()})


@login_required
def project_detail(request, pk: int):
    p = access.get_visible(request.user, _projects(request).prefetch_related("compounds", "assets", "progress_reports", "events",
                                                                             "consultations", "supervisors"), pk=pk)
    info = pt.TYPES[p.type]
    return render(request, "renewal/portfolio/project.html", {
        "p": p, "type": info, "state_label": pw.STATES[p.state],
        "metrics": [(pt.METRICS[k].label, p.metrics.get(k), pt.METRICS[k].unit) for k in (*info.required, *info.optional) if k in p.metrics],
        "contents": [(pt.CONTENT_CATEGORIES[pt.CONTENTS[c][0]], pt.CONTENTS[c][1]) for c in p.contents if c in pt.CONTENTS],
        "funding": [(pt.FUNDING_SOURCES[f.source], f) for f in p.funding.all()],
        "actions": portfolio.allowed_actions(request.user, p), "problems": portfolio.linked_problems(p),
        "lifecycle": [(code, pw.STATES[code], i <= pw.stage_index(p.state)) for i, code in enumerate(pw.ORDER)],
        "acceptance": getattr(p, "acceptance", None) if _has_acceptance(p) else None,
        "progress": portfolio.latest_percent(p), "satisfaction": participation.satisfaction_rate(p),
        "stages": pt.CONSULTATION_STAGES, "lifts": p.lifts.select_related("compound"),
    })


def _has_acceptance(p: Project) -> bool:
    from .models import ProjectAcceptance

    return ProjectAcceptance.objects.filter(project=p).exists()


@login_required
@require_POST
def project_action(request, pk: int, action: str):
    p = access.get_visible(request.user, Project.objects.all(), pk=pk)
    reps = [r for r in request.POST.get("representatives", "").replace("，", ",").split(",") if r.strip()]
    try:
        p = portfolio.transition(request.user, p, action, note=request.POST.get("note", ""), representatives=reps,
                                 conclusion=request.POST.get("conclusion", ""))
        messages.success(request, _("项目已进入“%(state)s”阶段") % {"state": pw.STATES[p.state]})
    except DomainError as e:
        messages.error(request, e.message)
    return redirect("renewal:project", pk=pk)


@login_required
def plan_xlsx(request):
    """城市更新计划 .xlsx: the filtered projects with yearly targets and funding by source."""
    from chengyun.reports import xlsx

    filters, _values = filter_from_query(RenewalProjectFilter, request)
    rows = list(filters.filter(_projects(request)).order_by("type", "code"))
    years = sorted({t.year for p in rows for t in p.targets.all()} | {2026, 2027, 2028})
    wb = xlsx.new_workbook()
    headers = [_("项目编号"), _("项目名称"), _("项目类型"), _("项目阶段"), _("责任单位"), _("街道"), _("建设规模"), _("计划期"),
               *[_("%(year)s年目标") % {"year": y} for y in years], _("总投资（万元）"), *[str(v) for v in pt.FUNDING_SOURCES.values()]]
    body = []
    for p in rows:
        info = pt.TYPES[p.type]
        main = info.main_metric
        targets = {t.year: t.quantity for t in p.targets.all()}
        funds = defaultdict(float)
        for f in p.funding.all():
            funds[f.source] += float(f.amount_wan)
        body.append([p.code, p.name, str(info.label), str(pw.STATES[p.state]), p.responsible_unit.name if p.responsible_unit_id else "",
                     p.street.name if p.street_id else "", f"{p.metrics.get(main, 0)} {pt.METRICS[main].unit}", f"{p.start_year}—{p.end_year}",
                     *[targets.get(y, "") for y in years], float(p.total_investment_wan), *[round(funds.get(k, 0.0), 2) for k in pt.FUNDING_SOURCES]])
    xlsx.add_table(wb, _("城市更新项目库"), headers, body, caption=_("城市更新计划（%(n)s 个项目）") % {"n": len(body)})
    totals = defaultdict(lambda: defaultdict(float))
    for p in rows:
        for f in p.funding.all():
            totals[f.year][f.source] += float(f.amount_wan)
    xlsx.add_table(wb, _("资金来源"), [_("年度"), *[str(v) for v in pt.FUNDING_SOURCES.values()], _("合计")],
                   [[y, *[round(totals[y][k], 2) for k in pt.FUNDING_SOURCES], round(sum(totals[y].values()), 2)] for y in sorted(totals)])
    response = HttpResponse(xlsx.to_bytes(wb), content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    response["Content-Disposition"] = 'attachment; filename="renewal-plan.xlsx"'
    return response


@login_required
def compounds(request):
    from chengyun.geo.models import Compound

    filters, values = filter_from_query(CompoundFilter, request)
    qs = filters.filter(policy.visible(request.user, Compound.objects.select_related("community__street")
                                       .prefetch_related("renewal_projects"))).order_by("code")
    page = Paginator(qs, 50).get_page(request.GET.get("page"))
    return render(request, "renewal/portfolio/compounds.html", {
        "page": page, "values": values, "built_by": participation.eligible_built_before(),
        "modes": Compound.ManagementMode.choices, "communities": _communities()})


def _communities():
    from chengyun.geo.models import Community

    return Community.objects.order_by("code")


@login_required
def compound_detail(request, code: str):
    from chengyun.geo.models import Compound

    c = policy.get_visible(request.user, Compound.objects.select_related("community__street"), code=code)
    return render(request, "renewal/portfolio/compound.html", {
        "c": c, "eligible": participation.is_eligible(c), "built_by": participation.eligible_built_before(),
        "projects": c.renewal_projects.all().order_by("code"), "lifts": LiftProject.objects.filter(compound=c).order_by("code"),
        "parking": ParkingSupply.objects.filter(compound=c)})


@login_required
def lift_list(request):
    filters, values = filter_from_query(LiftFilter, request)
    qs = filters.filter(access.visible(request.user, LiftProject.objects.select_related("compound"))).order_by("code")
    page = Paginator(qs, 50).get_page(request.GET.get("page"))
    for lift in page:
        lift.stage_label = lifts.STEPS[lifts.stage(lift)]
    return render(request, "renewal/portfolio/lifts.html", {"page": page, "values": values})


@login_required
def lift_detail(request, pk: int):
    lift = access.get_visible(request.user, LiftProject.objects.select_related("compound__community", "project"), pk=pk)
    stage = lifts.stage(lift)
    order = list(lifts.STEPS)
    return render(request, "renewal/portfolio/lift.html", {
        "lift": lift, "stage": lifts.STEPS[stage], "steps": [(label, order.index(k) <= order.index(stage)) for k, label in lifts.STEPS.items()],
        "owners": lift.owners.all(), "objections": lift.objections.all(), "t": lift.tally or None,
        "publicity_days": lifts.publicity_days()})


@login_required
def parking_gaps(request):
    street = request.GET.get("street") or None
    gaps = parking.gaps(street)
    return render(request, "renewal/portfolio/parking.html", {
        "gaps": gaps, "street": street, "streets": _filter_options()["streets"], "ratio": parking.spaces_per_household(),
        "share": parking.charger_share(), "total_gap": sum(g.gap for g in gaps), "total_charger_gap": sum(g.charger_gap for g in gaps)})


@login_required
def charging_page(request):
    from .services.charging import default_radius

    return render(request, "renewal/portfolio/charging.html", {"radius": int(default_radius()), "tile_url": settings.TILE_URL})


urlpatterns = [
    path("projects/", projects, name="projects"),
    path("projects/plan.xlsx", plan_xlsx, name="plan_xlsx"),
    path("projects/<int:pk>/", project_detail, name="project"),
    path("projects/<int:pk>/<str:action>/", project_action, name="project_action"),
    path("compounds/", compounds, name="compounds"),
    path("compounds/<str:code>/", compound_detail, name="compound"),
    path("lifts/", lift_list, name="lifts"),
    path("lifts/<int:pk>/", lift_detail, name="lift"),
    path("parking/", parking_gaps, name="parking"),
    path("charging/", charging_page, name="charging"),
]
