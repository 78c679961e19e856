"""Pages of the watershed module: the map, a watershed's sheet and charts, soil-erosion projects with
their checks, the joint-control board and an incident's shared timeline. Thin: writes go through services."""
from __future__ import annotations

import datetime as dt
import json
from functools import wraps

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from chengyun.core.errors import DomainError
from chengyun.geo.views import filter_from_query
from chengyun.people import policy

from . import workflow
from .filters import ErosionProjectFilter, JointIncidentFilter
from .models import BoundarySection, DemoTask, ErosionProject, JointEntry, JointIncident, Measure, SupervisionCheck, Watershed
from .services import erosion, exchange, sediment, watersheds


def posts_service(view):
    """A POST's domain error becomes a message and the page is shown again."""
    @wraps(view)
    def wrapper(request, *args, **kwargs):
        try:
            return view(request, *args, **kwargs)
        except DomainError as exc:
            if request.method != "POST":
                raise
            messages.error(request, exc.message)
            return redirect(request.get_full_path())
    return wrapper


def _year(request) -> int:
    try:
        return int(request.GET.get("year") or 0) or dt.date.today().year - 1
    except ValueError:
        return dt.date.today().year - 1


def map_features(user) -> dict:
    """Boundaries, measures, sections and boundary sections as one GeoJSON FeatureCollection."""
    feats = []
    year = dt.date.today().year - 1
    verdicts = {v.watershed.pk: v for v in watersheds.verdicts(year)}
    for w in policy.visible(user, Watershed.objects.all()):
        if w.boundary:
            v = verdicts.get(w.pk)
            feats.append({"type": "Feature", "geometry": json.loads(w.boundary),
                          "properties": {"layer": "watershed", "code": w.code, "name": w.name, "status": v.status if v else "missing",
                                         "label": v.label if v else "", "url": f"/watershed/{w.code}/"}})
    for m in policy.visible(user, Measure.objects.exclude(geometry="").select_related("watershed")):
        feats.append({"type": "Feature", "geometry": json.loads(m.geometry),
                      "properties": {"layer": "measure", "kind": m.kind, "name": f"{m.name}（{m.quantity:g}{m.unit}）"}})
    for s in policy.visible(user, BoundarySection.objects.select_related("neighbour")):
        last = s.readings.first()
        feats.append({"type": "Feature", "geometry": {"type": "Point", "coordinates": [s.lng, s.lat]},
                      "properties": {"layer": "boundary", "code": s.code, "name": s.name, "neighbour": s.neighbour.name,
                                     "compliant": last.compliant if last else None, "url": "/watershed/joint/"}})
    for p in policy.visible(user, ErosionProject.objects.exclude(disturbed_area="")):
        feats.append({"type": "Feature", "geometry": json.loads(p.disturbed_area),
                      "properties": {"layer": "project", "name": p.name, "state": str(workflow.PROJECT_STATES[p.state]), "url": f"/watershed/projects/{p.pk}/"}})
    return {"type": "FeatureCollection", "features": feats}


@login_required
def map_page(request):
    year = _year(request)
    rows = [v for v in watersheds.verdicts(year) if policy.can_read(request.user, v.watershed)]
    return render(request, "watershed/map.html", {"year": year, "verdicts": rows})


@login_required
@posts_service
def watershed_page(request, code: str):
    w = policy.get_visible(request.user, Watershed.objects.select_related("water_body", "outlet"), code=code)
    year = _year(request)
    if request.method == "POST":
        values = {k[2:]: v for k, v in request.POST.items() if k.startswith("v_") and v.strip()}
        watersheds.record_values(request.user, w, int(request.POST.get("year") or year), values)
        messages.success(request, _("已保存指标值"))
        return redirect(f"{request.path}?year={request.POST.get('year') or year}")
    hydro = sediment.yearly(w)
    charts = {"trend": watersheds.trend(w), "hydro": hydro,
              "labels": {"reach": _("目标达成度（%）"), "sediment": _("泥沙输出量（吨）"), "runoff": _("径流量（万立方米）"), "target": _("目标"), "baseline": _("径流基准")}}
    return render(request, "watershed/watershed.html", {
        "w": w, "year": year, "verdict": watersheds.verdict(w, year), "measures": w.measures.all(), "hydro": hydro, "charts": charts,
        "projects": w.projects.all(), "can_write": policy.can_write(request.user, w), "years": range(dt.date.today().year - 5, dt.date.today().year + 1)})


@login_required
def projects(request):
    filters, values = filter_from_query(ErosionProjectFilter, request)
    qs = filters.filter(policy.visible(request.user, ErosionProject.objects.select_related("watershed", "street", "supervisor")))
    page = Paginator(qs, 50).get_page(request.GET.get("page"))
    return render(request, "watershed/projects.html", {"page": page, "values": values, "states": list(workflow.PROJECT_STATES.items()),
                                                       "state_labels": workflow.PROJECT_STATES})


@login_required
@posts_service
def project_page(request, pk: int):
    p = policy.get_visible(request.user, ErosionProject.objects.select_related("watershed", "street", "supervisor"), pk=pk)
    if request.method == "POST":
        action = request.POST.get("action", "")
        if action == "check":
            erosion.record_check(request.user, p, checked_on=dt.date.fromisoformat(request.POST.get("checked_on") or dt.date.today().isoformat()),
                                 inspector=request.POST.get("inspector", ""), findings=request.POST.get("findings", ""),
                                 verdict=request.POST.get("verdict", ""), photo=request.FILES.get("photo"))
        elif action == "escalate":
            check = policy.get_visible(request.user, SupervisionCheck.objects.all(), pk=request.POST.get("check"), project=p)
            deadline = request.POST.get("deadline")
            erosion.escalate(request.user, check, to=request.POST.get("to", ""), deadline=dt.date.fromisoformat(deadline) if deadline else None)
        elif action == "confirm":
            check = policy.get_visible(request.user, SupervisionCheck.objects.all(), pk=request.POST.get("check"), project=p)
            erosion.confirm_candidate(request.user, check, verdict=request.POST.get("verdict", ""), findings=request.POST.get("findings", ""))
        else:
            erosion.transition(request.user, p, action, note=request.POST.get("note", ""), plan_number=request.POST.get("plan_number", ""))
        messages.success(request, _("已办理"))
        return redirect(request.path)
    return render(request, "watershed/project.html", {
        "p": p, "state_label": workflow.PROJECT_STATES[p.state], "checks": p.checks.all(), "actions": workflow.allowed(workflow.PROJECT_TRANSITIONS, p.state),
        "verdicts": SupervisionCheck.Verdict.choices, "can_write": policy.can_write(request.user, p),
        "area": p.disturbed_area, "point": json.dumps([p.lng, p.lat])})


@login_required
def board(request):
    filters, values = filter_from_query(JointIncidentFilter, request)
    incidents = filters.filter(policy.visible(request.user, JointIncident.objects.select_related("section", "neighbour")))
    page = Paginator(incidents, 50).get_page(request.GET.get("page"))
    sections = []
    for s in policy.visible(request.user, BoundarySection.objects.select_related("neighbour")):
        sections.append({"s": s, "last": s.readings.first()})
    return render(request, "watershed/board.html", {"page": page, "values": values, "sections": sections,
                                                    "states": list(workflow.INCIDENT_STATES.items()), "state_labels": workflow.INCIDENT_STATES,
                                                    "demo_tasks": DemoTask.objects.filter(year=_year(request)).select_related("responsible_unit"),
                                                    "year": _year(request)})


@login_required
@posts_service
def incident_page(request, uid: str):
    inc = policy.get_visible(request.user, JointIncident.objects.select_related("section", "neighbour"), uid=uid)
    if request.method == "POST":
        if request.POST.get("action") == "entry":
            exchange.add_entry(request.user, inc, kind=request.POST.get("kind", ""), text=request.POST.get("text", ""),
                               participants=request.POST.get("participants", ""), route=request.POST.get("route", ""))
        else:
            exchange.move_incident(request.user, inc, request.POST.get("action", ""), note=request.POST.get("note", ""))
        messages.success(request, _("已记录并同步对方"))
        return redirect(request.path)
    return render(request, "watershed/incident.html", {
        "inc": inc, "state_label": workflow.INCIDENT_STATES[inc.state], "entries": inc.entries.all(),
        "actions": workflow.allowed(workflow.INCIDENT_TRANSITIONS, inc.state), "kinds": [c for c in JointEntry.Kind.choices if c[0] != "state"],
        "can_write": policy.can_write(request.user, inc)})
