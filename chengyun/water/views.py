"""Pages: thin views over the same services and filters the API uses."""
from __future__ import annotations

import datetime as dt

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import Count
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.dateparse import parse_date
from django.views.decorators.http import require_http_methods

from chengyun.core.errors import DomainError, Invalid
from chengyun.geo.models import Unit
from chengyun.geo.views import filter_from_query
from chengyun.people import policy
from chengyun.people import roles as R

from chengyun.standards import gb3838

from . import queries, services
from .api import _visible_chiefs
from .filters import AlertFilter, OutfallFilter, PatrolFilter, SectionFilter
from .models import Alert, ChiefLevel, Outfall, Patrol, PatrolProblem, RainDay, Reach, RiverChief, Section, Snapshot, WaterBody


@login_required
def map_page(request):
    return render(request, "water/map.html", {"colours": queries.CLASS_COLOURS, "statuses": queries.OUTFALL_STATUS})


@login_required
def sections(request):
    filters, values = filter_from_query(SectionFilter, request)
    qs = filters.filter(policy.visible(request.user, Section.objects.select_related("water_body", "street", "chief__person"))).distinct()
    page = Paginator(qs, 50).get_page(request.GET.get("page"))
    latest = queries.latest_aggregates("section", [s.code for s in page])
    rows = [(s, latest.get(s.code)) for s in page]
    return render(request, "water/sections.html", {"page": page, "rows": rows, "values": values, "bodies": WaterBody.objects.all()})


@login_required
def outfalls(request):
    filters, values = filter_from_query(OutfallFilter, request)
    qs = filters.filter(policy.visible(request.user, Outfall.objects.select_related("water_body", "street", "unit"))).distinct()
    page = Paginator(qs, 50).get_page(request.GET.get("page"))
    statuses = queries.outfall_statuses(list(page))
    rows = [(o, queries.OUTFALL_STATUS[statuses[o.code]]) for o in page]
    return render(request, "water/outfalls.html", {"page": page, "rows": rows, "values": values, "kinds": Outfall.Kind.choices,
                                                   "bodies": WaterBody.objects.all()})


def _latest_values(site):
    from chengyun.monitoring import services as monitoring

    from .evaluation import factor_key, factor_name, factor_unit, is_valid, judge, standard_value

    rows = []
    body = site.water_body.gb3838_body
    for code, r in sorted(monitoring.latest_values(site.SITE_KIND, site.code).items()):
        key = factor_key(code)
        # Each reading judged on its own (flagged ones are not); sections only: outfalls carry wastewater.
        cls = judge(body, code, r.value) if site.SITE_KIND == "section" and is_valid(r) else None
        rows.append({"code": code, "name": factor_name(key), "unit": factor_unit(key), "flag": r.flag, "at": r.data_time, "mn": r.device.mn,
                     "value": standard_value(code, r.value) if r.value is not None else None, "water_class": cls,
                     "label": gb3838.LABELS.get(cls, "") if cls else ""})
    return rows


@login_required
def section_detail(request, code: str):
    section = policy.get_visible(request.user, Section.objects.select_related("water_body", "street", "grid", "reach", "chief__person"), code=code)
    now = timezone.now()
    days = queries.trend("section", section.code, "day", now - dt.timedelta(days=31), now)
    months = queries.trend("section", section.code, "month", now - dt.timedelta(days=370), now)
    alerts = policy.visible(request.user, section.alerts.all())[:10]
    return render(request, "water/section_detail.html", {
        "section": section, "days": days[::-1], "months": months[::-1], "latest": _latest_values(section), "alerts": alerts,
        "colours": queries.CLASS_COLOURS,
    })


@login_required
def outfall_detail(request, code: str):
    outfall = policy.get_visible(request.user, Outfall.objects.select_related("water_body", "street", "grid", "reach", "unit"), code=code)
    snapshots = policy.visible(request.user, Snapshot.objects.filter(outfall=outfall).select_related("camera"))[:24]
    alerts = list(policy.visible(request.user, outfall.alerts.all())[:10])
    # The outfall's timeline: snapshots and alerts in one stream, newest first.
    timeline = sorted([("snapshot", s.taken_at, s) for s in snapshots] + [("alert", a.last_seen_at, a) for a in alerts],
                      key=lambda t: t[1], reverse=True)
    return render(request, "water/outfall_detail.html", {
        "outfall": outfall, "latest": _latest_values(outfall), "timeline": timeline, "cameras": outfall.cameras.all(),
        "status": queries.OUTFALL_STATUS[queries.outfall_statuses([outfall])[outfall.code]],
        "trace_url": services.outfall_trace_url(outfall),
    })


@login_required
def alerts(request):
    filters, values = filter_from_query(AlertFilter, request)
    qs = filters.filter(policy.visible(request.user, Alert.objects.select_related("section", "outfall", "street")))
    page = Paginator(qs, 50).get_page(request.GET.get("page"))
    return render(request, "water/alerts.html", {"page": page, "values": values, "kinds": Alert.Kind.choices, "statuses": Alert.Status.choices})


@login_required
@require_http_methods(["GET", "POST"])
def alert_detail(request, pk: int):
    alert = policy.get_visible(request.user, Alert.objects.select_related("section__water_body", "outfall__water_body", "outfall__unit", "street", "grid"), pk=pk)
    if request.method == "POST":
        action = request.POST.get("action")
        try:
            if action == "acknowledge":
                services.acknowledge_alert(request.user, alert)
            elif action == "dispose":
                services.dispose_alert(request.user, alert, disposal_note=request.POST.get("disposal_note", ""))
            elif action == "to_case":
                services.escalate_alert(request.user, alert, to="case", note=request.POST.get("note", ""))
            elif action == "to_task":
                unit = Unit.objects.filter(code=request.POST.get("lead_unit", "")).first()
                deadline = parse_date(request.POST.get("deadline", "") or "")
                services.escalate_alert(request.user, alert, to="task", lead_unit=unit, deadline=deadline, note=request.POST.get("note", ""))
            else:
                raise Invalid("未知操作")
            messages.success(request, "已完成：" + services.TRANSITIONS[action].label)
        except DomainError as e:
            messages.error(request, e.message)
        return redirect("water:alert", pk=alert.pk)
    return render(request, "water/alert_detail.html", {
        "alert": alert, "actions": services.allowed_transitions(request.user, alert), "trace_url": services.trace_url(alert),
        "units": Unit.objects.filter(active=True).exclude(kind__in=[Unit.Kind.PROPERTY, Unit.Kind.CONTRACTOR]).order_by("kind", "code"),
        "transitions": services.TRANSITIONS,
    })


@login_required
def patrols(request):
    filters, values = filter_from_query(PatrolFilter, request)
    qs = filters.filter(policy.visible(request.user, Patrol.objects.select_related("chief__person", "reach").annotate(n_problems=Count("problems")))).order_by("-started_at", "-id")
    page = Paginator(qs, 50).get_page(request.GET.get("page"))
    is_chief = RiverChief.objects.filter(person__user=request.user, active=True).exists()
    return render(request, "water/patrols.html", {"page": page, "values": values, "levels": ChiefLevel.choices, "is_chief": is_chief})


@login_required
def patrol_detail(request, pk: int):
    patrol = policy.get_visible(request.user, Patrol.objects.select_related("chief__person", "reach"), pk=pk)
    problems = PatrolProblem.objects.filter(patrol=patrol)
    return render(request, "water/patrol_detail.html", {"patrol": patrol, "problems": problems})


@login_required
def patrol_mobile(request):
    chief = RiverChief.objects.select_related("person").filter(person__user=request.user, active=True).first()
    ongoing = Patrol.objects.filter(chief=chief, status=Patrol.Status.ONGOING).first() if chief else None
    return render(request, "water/patrol_mobile.html", {
        "chief": chief, "reaches": Reach.objects.filter(chief=chief) if chief else [], "ongoing": ongoing,
        "problem_kinds": PatrolProblem.Kind.choices,
    })


@login_required
@require_http_methods(["GET", "POST"])
def compliance(request):
    today = timezone.localdate()
    try:
        year, month = int(request.GET.get("year", today.year)), int(request.GET.get("month", today.month))
        services.month_bounds(year, month)
    except ValueError:
        year, month = today.year, today.month
    can_edit = policy.principal(request.user).has(R.OPS_CENTER | {R.SYSADMIN})
    if request.method == "POST":
        try:
            services.set_patrol_rule(request.user, request.POST.get("level", ""), patrols_per_month=int(request.POST.get("patrols_per_month", "")),
                                     min_duration_min=int(request.POST.get("min_duration_min", "")), min_distance_m=int(request.POST.get("min_distance_m", "")))
            messages.success(request, "巡河规则已保存")
        except ValueError:
            messages.error(request, "巡河规则须填写非负整数")
        except DomainError as e:
            messages.error(request, e.message)
        return redirect(f"{request.path}?year={year}&month={month}")
    rows = services.compliance(year, month, _visible_chiefs(request.user))
    return render(request, "water/compliance.html", {
        "rows": rows, "year": year, "month": month, "rules": [services.patrol_rule(lvl) for lvl in ChiefLevel.values],
        "can_edit": can_edit, "done": sum(r.compliant for r in rows),
    })


@login_required
@require_http_methods(["GET", "POST"])
def rain_days(request):
    can_edit = policy.principal(request.user).has(R.OPS_CENTER | {R.SYSADMIN})
    if request.method == "POST":
        day = parse_date(request.POST.get("date", "") or "")
        try:
            if day is None:
                raise Invalid("请填写日期")
            mm = request.POST.get("precipitation_mm", "").strip()
            services.set_rain_day(request.user, day, rained=request.POST.get("rained") == "1",
                                  precipitation_mm=float(mm) if mm else None, note=request.POST.get("note", ""))
            messages.success(request, f"{day} 的降雨记录已保存")
        except ValueError:
            messages.error(request, "降雨量须为数字")
        except DomainError as e:
            messages.error(request, e.message)
        return redirect("water:rain")
    return render(request, "water/rain_days.html", {"days": RainDay.objects.all()[:90], "can_edit": can_edit, "today": timezone.localdate()})


def _file_response(field):
    from django.http import FileResponse, Http404

    try:
        handle = field.open("rb")
    except (FileNotFoundError, ValueError):
        raise Http404 from None
    response = FileResponse(handle, content_type="image/png" if field.name.lower().endswith(".png") else "image/jpeg")
    response["Cache-Control"] = "private, max-age=3600"
    return response


@login_required
def snapshot_image(request, pk: int):
    """Snapshot images are served only to those who may see the outfall (no public media URL)."""
    return _file_response(policy.get_visible(request.user, Snapshot.objects.all(), pk=pk).image)


@login_required
def problem_photo(request, pk: int):
    problem = policy.get_visible(request.user, PatrolProblem.objects.all(), pk=pk)
    if not problem.photo:
        from django.http import Http404

        raise Http404
    return _file_response(problem.photo)
