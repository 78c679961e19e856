"""Pages of the watershed module: the map, a watershed's sheet and charts, soil-erosion projects with
their checks, the joint-control board and an incident's shared timeline. Thin: writes go through services."""
from __future__ import annotations

import datetime as dt
import json

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _l

from chengyun.core import pageforms
from chengyun.core.errors import Invalid
from chengyun.geo.views import filter_from_query
from chengyun.people import policy

from . import workflow
from .filters import ErosionProjectFilter, JointIncidentFilter
from .models import BoundarySection, DemoTask, ErosionProject, ExchangeMessage, Neighbour, JointEntry, JointIncident, Measure, SupervisionCheck, Watershed
from .services import erosion, exchange, sediment, watersheds


# Every form field a service may name, by its label: a refusal re-renders the page naming it.
LABELS = {
    "year": _l("年度"), "kind": _l("类型"), "name": _l("名称"), "quantity": _l("数量"), "unit": _l("单位"), "completed_on": _l("完成日期"),
    "geometry": _l("位置（GeoJSON）"), "file": _l("边界文件"), "boundary": _l("边界"), "outlet": _l("出口断面"), "sediment_t": _l("泥沙输出量（吨）"),
    "runoff_m3": _l("径流量（立方米）"), "start": _l("开始日期"), "end": _l("结束日期"), "section": _l("交界断面"), "at": _l("监测时间"),
    "values": _l("数值"), "checked_on": _l("检查日期"), "inspector": _l("检查人"), "findings": _l("检查发现"), "verdict": _l("结论"),
    "photo": _l("照片"), "deadline": _l("办理期限"), "to": _l("转办方式"), "note": _l("说明"), "plan_number": _l("批复文号"), "action": _l("操作"),
    "text": _l("内容"), "participants": _l("参加人员"), "route": _l("巡查路线"), "on": _l("日期"),
}


def _input_of(field: str) -> str:
    """The indicator sheet's inputs are v_<code>; the reading form's f_<factor>."""
    if field.startswith("values.") and field.count(".") == 1:
        return "v_" + field.split(".", 1)[1]
    return field.split(".")[-1]


posts_service = pageforms.refusals(LABELS, input_of=_input_of)


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
        _watershed_post(request, w)
        return redirect(f"{request.path}?year={request.POST.get('year') or year}")
    hydro = sediment.yearly(w)
    charts = {"trend": watersheds.trend(w), "hydro": hydro,
              "labels": {"reach": _("目标达成度（%）"), "sediment": _("泥沙输出量（吨）"), "runoff": _("径流量（万立方米）"), "target": _("目标"), "baseline": _("径流基准")}}
    verdict = watersheds.verdict(w, year)
    # After a refusal the sheet shows what was typed, not what is stored.
    sheet = [(ln, request.POST.get(f"v_{ln.indicator.code}", ln.value)) for ln in verdict.lines]
    return render(request, "watershed/watershed.html", {
        "w": w, "year": year, "verdict": verdict, "sheet": sheet, "measures": w.measures.all(), "hydro": hydro, "charts": charts,
        "projects": w.projects.all(), "can_write": policy.can_write(request.user, w), "years": range(dt.date.today().year - 5, dt.date.today().year + 1),
        "measure_kinds": Measure.Kind.choices, "today": dt.date.today()})


def _number(value: str):
    """A form's number as typed (the service checks it and names the field)."""
    return (value or "").strip() or None


def _geojson(value: str, field: str):
    text = (value or "").strip()
    if not text:
        return None
    try:
        return json.loads(text)
    except ValueError:
        raise Invalid("应为 GeoJSON", code="bad_geometry", detail={"field": field}) from None


def _watershed_post(request, w: Watershed) -> None:
    """The forms of a watershed's page, each the service its API operation calls."""
    f = request.POST
    action = f.get("action") or "values"
    if action == "values":
        year = f.get("year") or ""
        if not year.isdigit():
            raise Invalid("年度应为四位年份", code="bad_year", detail={"field": "year"})
        values = {k[2:]: v for k, v in f.items() if k.startswith("v_") and v.strip()}
        watersheds.record_values(request.user, w, int(year), values)
        messages.success(request, _("已保存指标值"))
    elif action == "measure":
        m = watersheds.add_measure(request.user, w, kind=f.get("kind", ""), name=f.get("name", ""), quantity=_number(f.get("quantity", "")),
                                   unit=f.get("unit", ""), completed_on=pageforms.date(f.get("completed_on"), "completed_on", _("完成日期"), required=False),
                                   geometry=_geojson(f.get("geometry", ""), "geometry"))
        messages.success(request, _("已登记治理措施：%(name)s") % {"name": m.name or m.get_kind_display()})
    elif action == "boundary":
        upload = request.FILES.get("file")
        if upload is None:
            raise Invalid("请选择边界文件（GeoJSON 或压缩的 Shapefile）", code="file_required", detail={"field": "file"})
        watersheds.set_boundary(request.user, w, watersheds.read_boundary_file(upload.name, upload.read()))
        messages.success(request, _("已导入边界"))
    elif action == "derive":
        watersheds.derive_boundary(request.user, w)
        messages.success(request, _("已按出口断面与排水管网推算集水范围"))
    elif action == "hydro_year":
        year = f.get("year") or ""
        if not year.isdigit():
            raise Invalid("年度应为四位年份", code="bad_year", detail={"field": "year"})
        sediment.enter_year(request.user, w, int(year), sediment_t=_number(f.get("sediment_t", "")), runoff_m3=_number(f.get("runoff_m3", "")))
        messages.success(request, _("已填报泥沙与径流"))
    elif action == "hydro_compute":
        start = pageforms.date(f.get("start"), "start", _("开始日期"))
        end = pageforms.date(f.get("end"), "end", _("结束日期"))
        if end < start:
            raise Invalid("结束日期应不早于开始日期", code="bad_range", detail={"field": "end"})
        records = sediment.compute_from_monitoring(request.user, w, start, end)
        messages.success(request, _("已由监测数据计算 %(n)s 条泥沙与径流记录") % {"n": len(records)})
    else:
        raise Invalid(f"未知操作“{action}”", code="bad_action", detail={"field": "action"})


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
            erosion.record_check(request.user, p, checked_on=pageforms.date(request.POST.get("checked_on"), "checked_on", _("检查日期")),
                                 inspector=request.POST.get("inspector", ""), findings=request.POST.get("findings", ""),
                                 verdict=request.POST.get("verdict", ""), photo=request.FILES.get("photo"))
        elif action == "escalate":
            check = policy.get_visible(request.user, SupervisionCheck.objects.all(), pk=request.POST.get("check"), project=p)
            erosion.escalate(request.user, check, to=request.POST.get("to", ""),
                             deadline=pageforms.date(request.POST.get("deadline"), "deadline", _("办理期限"), required=False))
        elif action == "confirm":
            check = policy.get_visible(request.user, SupervisionCheck.objects.all(), pk=request.POST.get("check"), project=p)
            erosion.confirm_candidate(request.user, check, verdict=request.POST.get("verdict", ""), findings=request.POST.get("findings", ""))
        else:
            erosion.transition(request.user, p, action, note=request.POST.get("note", ""), plan_number=request.POST.get("plan_number", ""),
                               on=pageforms.date(request.POST.get("on"), "on", _("日期"), required=False))
        messages.success(request, _("已办理"))
        return redirect(request.path)
    return render(request, "watershed/project.html", {
        "p": p, "state_label": workflow.PROJECT_STATES[p.state], "checks": p.checks.all(), "actions": workflow.allowed(workflow.PROJECT_TRANSITIONS, p.state),
        "verdicts": SupervisionCheck.Verdict.choices, "can_write": policy.can_write(request.user, p),
        "area": p.disturbed_area, "point": json.dumps([p.lng, p.lat]), "today": dt.date.today()})


# The factors a boundary reading form asks for (GB 3838 keys; the API takes any GB 3838 or HJ 212 key).
READING_FACTORS = [("DO", _l("溶解氧（mg/L）")), ("CODMn", _l("高锰酸盐指数（mg/L）")), ("COD", _l("化学需氧量（mg/L）")),
                   ("NH3N", _l("氨氮（mg/L）")), ("TP", _l("总磷（mg/L）"))]


@login_required
@posts_service
def board(request):
    if request.method == "POST":
        s = policy.get_visible(request.user, BoundarySection.objects.select_related("neighbour"), code=request.POST.get("section", ""))
        values = {k: request.POST[f"f_{k}"].strip() for k, _label in READING_FACTORS if request.POST.get(f"f_{k}", "").strip()}
        if not values:
            raise Invalid("请至少填写一项监测值", code="bad_values", detail={"field": "values"})
        r = exchange.record_reading(request.user, s, at=pageforms.datetime(request.POST.get("at"), "at", _("监测时间")), values=values)
        messages.success(request, _("已录入并发送%(neighbour)s：%(verdict)s") % {
            "neighbour": s.neighbour.name, "verdict": _("达标") if r.compliant else _("超标，已按联防联控处理")})
        return redirect(request.path)
    filters, values = filter_from_query(JointIncidentFilter, request)
    incidents = filters.filter(policy.visible(request.user, JointIncident.objects.select_related("section", "neighbour")))
    page = Paginator(incidents, 50).get_page(request.GET.get("page"))
    sections = []
    for s in policy.visible(request.user, BoundarySection.objects.select_related("neighbour")):
        sections.append({"s": s, "last": s.readings.first()})
    # The exchange's health for those who may see its configuration: when each neighbour was last
    # pulled, why the last pull failed, how many of our messages wait for delivery.
    links = [{"n": n, "waiting": n.messages.filter(direction=ExchangeMessage.Direction.OUT, delivered_at__isnull=True).count()}
             for n in policy.visible(request.user, Neighbour.objects.all())]
    return render(request, "watershed/board.html", {"links": links, "page": page, "values": values, "sections": sections,
                                                    "states": list(workflow.INCIDENT_STATES.items()), "state_labels": workflow.INCIDENT_STATES,
                                                    "demo_tasks": DemoTask.objects.filter(year=_year(request)).select_related("responsible_unit"),
                                                    "year": _year(request), "factors": READING_FACTORS,
                                                    "recordable": [r["s"] for r in sections if policy.can_write(request.user, r["s"])]})


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
