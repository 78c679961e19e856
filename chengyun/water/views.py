"""Pages: thin views over the same services and filters the API uses."""
from __future__ import annotations

import datetime as dt
import json

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import Count
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.dateparse import parse_date
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from chengyun.core.errors import DomainError, Invalid
from chengyun.geo.models import Unit
from chengyun.geo.views import filter_from_query
from chengyun.people import policy
from chengyun.people import roles as R
from chengyun.people.lookup import referenced

from chengyun.standards import gb3838

from . import factors, queries, services
from .filters import AlertFilter, OutfallFilter, PatrolFilter, SectionFilter
from .models import Alert, Camera, ChiefLevel, Outfall, Patrol, PatrolProblem, RainDay, Reach, RiverChief, Section, Snapshot, WaterBody


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
@require_http_methods(["GET", "POST"])
def section_detail(request, code: str):
    section = policy.get_visible(request.user, Section.objects.select_related("water_body", "street", "grid", "reach", "chief__person"), code=code)
    if request.method == "POST":
        _edit_site(request, section)
        return redirect("water:section", code=section.code)
    can_edit = _is_ops(request.user)
    now = timezone.now()
    days = queries.trend("section", section.code, "day", now - dt.timedelta(days=31), now)
    months = queries.trend("section", section.code, "month", now - dt.timedelta(days=370), now)
    alerts = policy.visible(request.user, section.alerts.all())[:10]
    return render(request, "water/section_detail.html", {
        "section": section, "days": days[::-1], "months": months[::-1], "latest": _latest_values(section), "alerts": alerts,
        "colours": queries.CLASS_COLOURS, "can_edit": can_edit, "target_choices": [(k, gb3838.LABELS[k]) for k in range(1, 6)],
        "chief_choices": _chief_choices() if can_edit else [],
        "reach_choices": Reach.objects.filter(water_body=section.water_body) if can_edit else [],
    })


@login_required
@require_http_methods(["GET", "POST"])
def outfall_detail(request, code: str):
    outfall = policy.get_visible(request.user, Outfall.objects.select_related("water_body", "street", "grid", "reach", "unit"), code=code)
    if request.method == "POST":
        if request.POST.get("form", "site") == "site":
            _edit_site(request, outfall)
        else:
            _camera_form(request, outfall)
        return redirect("water:outfall", code=outfall.code)
    can_edit = _is_ops(request.user)
    snapshots = policy.visible(request.user, Snapshot.objects.filter(outfall=outfall).select_related("camera"))[:24]
    alerts = list(policy.visible(request.user, outfall.alerts.all())[:10])
    # The outfall's timeline: snapshots and alerts in one stream, newest first.
    timeline = sorted([("snapshot", s.taken_at, s) for s in snapshots] + [("alert", a.last_seen_at, a) for a in alerts],
                      key=lambda t: t[1], reverse=True)
    return render(request, "water/outfall_detail.html", {
        "outfall": outfall, "latest": _latest_values(outfall), "timeline": timeline, "cameras": outfall.cameras.select_related("account"),
        "status": queries.OUTFALL_STATUS[queries.outfall_statuses([outfall])[outfall.code]],
        "trace_url": services.outfall_trace_url(outfall), "can_edit": can_edit, "kinds": Outfall.Kind.choices,
        "reach_choices": Reach.objects.filter(water_body=outfall.water_body) if can_edit else [],
        "units": Unit.objects.filter(active=True).order_by("kind", "code") if can_edit else [],
    })


@login_required
def alerts(request):
    filters, values = filter_from_query(AlertFilter, request)
    qs = filters.filter(policy.visible(request.user, Alert.objects.select_related("section", "outfall", "street")))
    page = Paginator(qs, 50).get_page(request.GET.get("page"))
    return render(request, "water/alerts.html", {"page": page, "values": values, "kinds": Alert.Kind.choices, "statuses": Alert.Status.choices})


def _form_date(text: str, label: str, field: str) -> dt.date | None:
    """A date typed into a form: empty is None; "2030-02-30" or "明天" is a Chinese form error, not a 500."""
    text = (text or "").strip()
    if not text:
        return None
    try:
        found = parse_date(text)
    except ValueError:  # well-formed but not a calendar date
        found = None
    if found is None:
        raise Invalid(_("%(label)s“%(value)s”不是有效日期，请按 年-月-日 填写") % {"label": label, "value": text[:20]},
                      code="invalid_date", detail={"field": field})
    return found


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
                deadline = _form_date(request.POST.get("deadline", ""), _("办理期限"), "deadline")
                services.escalate_alert(request.user, alert, to="task", lead_unit=unit, deadline=deadline, note=request.POST.get("note", ""))
            else:
                raise Invalid("未知操作")
            messages.success(request, "已完成：" + services.TRANSITIONS[action].label)
        except DomainError as e:
            messages.error(request, e.message)
        return redirect("water:alert", pk=alert.pk)
    return render(request, "water/alert_detail.html", {
        "alert": alert, "factor_name": factors.factor_name(alert.factor) if alert.factor else "",
        "factor_unit": factors.factor_unit(alert.factor) if alert.factor else "", "actions": services.allowed_transitions(request.user, alert), "trace_url": services.trace_url(alert),
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
    points = [{"lng": pr.lng, "lat": pr.lat, "kind": str(pr.get_kind_display())} for pr in problems]
    return render(request, "water/patrol_detail.html", {"patrol": patrol, "problems": problems, "problem_points": points})


@login_required
def patrol_mobile(request):
    chief = RiverChief.objects.select_related("person").filter(person__user=request.user, active=True).first()
    ongoing = Patrol.objects.filter(chief=chief, status=Patrol.Status.ONGOING).first() if chief else None
    reaches = list(Reach.objects.filter(chief=chief)) if chief else []
    # The chief's reaches are drawn on the patrol map: where to walk, before the first fix.
    reach_layer = {"type": "FeatureCollection", "features": [
        {"type": "Feature", "geometry": json.loads(r.geometry), "properties": {"code": r.code, "name": r.name}}
        for r in reaches if r.geometry]}
    return render(request, "water/patrol_mobile.html", {
        "chief": chief, "reaches": reaches, "reach_layer": reach_layer, "ongoing": ongoing,
        "problem_kinds": PatrolProblem.Kind.choices,
    })


def _period_context(request) -> dict:
    """The month or year a compliance page shows (``?month=YYYY-MM``, ``?year=YYYY``), with
    its neighbours for the picker; a bad or future period shows the current month and says why."""
    try:
        period = services.parse_period(month=request.GET.get("month"), year=request.GET.get("year"))
    except DomainError as e:
        messages.error(request, e.message)
        period = services.parse_period()
    today = timezone.localdate()
    year, month = period.year, period.month or (today.month if period.year == today.year else 12)
    prev_y, prev_m = (year, month - 1) if month > 1 else (year - 1, 12)
    next_y, next_m = (year, month + 1) if month < 12 else (year + 1, 1)
    return {
        "period": period, "today": today, "period_in_progress": period.in_progress(),
        "month_value": f"{year}-{month:02d}", "current_month": f"{today.year}-{today.month:02d}", "current_year": today.year,
        "prev_month": f"{prev_y}-{prev_m:02d}",
        "next_month": f"{next_y}-{next_m:02d}" if (next_y, next_m) <= (today.year, today.month) else "",
    }


@login_required
@require_http_methods(["GET", "POST"])
def compliance(request):
    can_edit = _is_ops(request.user)
    if request.method == "POST":
        try:
            services.set_patrol_rule(request.user, request.POST.get("level", ""), patrols_per_month=int(request.POST.get("patrols_per_month", "")),
                                     min_duration_min=int(request.POST.get("min_duration_min", "")), min_distance_m=int(request.POST.get("min_distance_m", "")))
            messages.success(request, _("巡河规则已保存，自本月起执行"))
        except ValueError:
            messages.error(request, _("巡河规则须填写非负整数"))
        except DomainError as e:
            messages.error(request, e.message)
        query = request.GET.urlencode()
        return redirect(f"{request.path}?{query}" if query else request.path)
    ctx = _period_context(request)
    period = ctx["period"]
    chiefs = queries.visible_chiefs(request.user)
    rows = services.compliance(period.year, period.month, chiefs) if period.month else services.year_compliance(period.year, chiefs)
    return render(request, "water/compliance.html", {
        **ctx, "rows": rows, "year": period.year, "month": period.month, "with_year": True,
        "rules": [services.patrol_rule(lvl) for lvl in ChiefLevel.values], "can_edit": can_edit,
        "done": sum(r.status == "compliant" for r in rows), "pending": sum(r.status == "in_progress" for r in rows),
    })


@login_required
@require_http_methods(["GET", "POST"])
def rain_days(request):
    can_edit = _is_ops(request.user)
    if request.method == "POST":
        try:
            day = _form_date(request.POST.get("date", ""), _("日期"), "date")
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


# ---------------------------------------------------------------- registry administration
# 河湖长, 河段, 水体 pages and the edit forms on section and outfall pages. The forms are shown
# to the ops center only; a POST from anyone else is refused by the policy (403 page).

_OPS = R.OPS_CENTER | {R.SYSADMIN}
_REGISTRY_MESSAGE = "只有城运中心可以维护水环境台账"


def _is_ops(user) -> bool:
    return policy.principal(user).has(_OPS)


def _require_ops_post(request) -> None:
    policy.require_role(request.user, _OPS, _REGISTRY_MESSAGE)


def _pick(model, value, field="pk", related=()):
    """The record a form's select names, None for an empty choice; an unknown value is a form
    error (``people.lookup.referenced``, the same answer the API gives)."""
    return referenced(model.objects.select_related(*related), value, lookup=field)


def _chief_choices():
    return RiverChief.objects.filter(active=True).select_related("person").order_by("level", "person__name")


@login_required
@require_http_methods(["GET", "POST"])
def chiefs(request):
    """河湖长: the chiefs by level with their reaches and patrol compliance; appoint, change, end; new reach."""
    from chengyun.geo.models import Community, Street
    from chengyun.people.models import Person

    can_edit = _is_ops(request.user)
    form: dict = {}
    if request.method == "POST":
        _require_ops_post(request)
        kind = request.POST.get("form")
        post = request.POST
        try:
            if kind == "appoint":
                person = _pick(Person, post.get("person"))
                if person is None:
                    raise Invalid(_("请选择人员"), code="missing_fields")
                c = services.appoint_chief(request.user, person=person, level=post.get("level", ""), title=post.get("title", ""))
                messages.success(request, _("已任命 %(name)s 为%(level)s河湖长") % {"name": c.person.name, "level": c.get_level_display()})
            elif kind == "chief":
                c = _pick(RiverChief, post.get("chief"), related=("person",))
                services.update_chief(request.user, c, level=post.get("level") or None, title=post.get("title", ""))
                messages.success(request, _("%(name)s 的任职信息已保存") % {"name": c.person.name})
            elif kind == "end":
                c = _pick(RiverChief, post.get("chief"), related=("person",))
                services.end_appointment(request.user, c, successor=_pick(RiverChief, post.get("successor"), related=("person",)))
                messages.success(request, _("%(name)s 的任职已结束") % {"name": c.person.name})
            elif kind == "renew":
                c = _pick(RiverChief, post.get("chief"), related=("person",))
                services.update_chief(request.user, c, active=True)
                messages.success(request, _("已重新任命 %(name)s") % {"name": c.person.name})
            elif kind == "reach":
                body = _pick(WaterBody, post.get("water_body"), "code")
                if body is None:
                    raise Invalid(_("请选择水体"), code="missing_fields")
                r = services.create_reach(request.user, code=post.get("code", ""), name=post.get("name", ""), water_body=body,
                                       level=post.get("level", ""), chief=_pick(RiverChief, post.get("chief"), related=("person",)),
                                       street=_pick(Street, post.get("street"), "code"),
                                       community=_pick(Community, post.get("community"), "code", ("street",)),
                                       geometry_json=post.get("geometry", ""))
                messages.success(request, _("已登记河段 %(name)s") % {"name": r.name})
            else:
                raise Invalid(_("未知操作"))
            return redirect("water:chiefs")
        except DomainError as e:
            messages.error(request, e.message)
            form = post
    all_chiefs = list(RiverChief.objects.select_related("person").prefetch_related("reaches__water_body").order_by("level", "person__name"))
    period_ctx = _period_context(request)
    if not period_ctx["period"].month:  # the chiefs page shows one month; a year is the compliance page's
        return redirect(f"{reverse('water:compliance')}?year={period_ctx['period'].year}")
    period = period_ctx["period"]
    compliance = {row.chief.pk: row for row in services.compliance(period.year, period.month, [c for c in all_chiefs if c.active])}
    levels = [(value, label, [(c, compliance.get(c.pk)) for c in all_chiefs if c.active and c.level == value]) for value, label in ChiefLevel.choices]
    appointed = {c.person_id for c in all_chiefs if c.active}
    candidates = Person.objects.filter(active=True, roles__code=R.RIVER_CHIEF).exclude(pk__in=appointed).distinct().order_by("name") if can_edit else []
    return render(request, "water/chiefs.html", {
        "levels": levels, "ended": [c for c in all_chiefs if not c.active], "can_edit": can_edit, "form": form,
        "vacant": Reach.objects.filter(chief__isnull=True).select_related("water_body", "street"),
        "level_choices": ChiefLevel.choices, "candidates": candidates, "active_chiefs": [c for c in all_chiefs if c.active],
        "bodies": WaterBody.objects.all(), "streets": Street.objects.order_by("code") if can_edit else [],
        "communities": Community.objects.select_related("street").order_by("code") if can_edit else [],
        "year": period.year, "month": period.month, **period_ctx,
    })


@login_required
@require_http_methods(["GET", "POST"])
def reach_detail(request, code: str):
    from chengyun.geo.models import Community, Street

    reach = policy.get_visible(request.user, Reach.objects.select_related("water_body", "chief__person", "street", "community"), code=code)
    can_edit = _is_ops(request.user)
    if request.method == "POST":
        _require_ops_post(request)
        post = request.POST
        try:
            changes = {"name": post.get("name", ""), "level": post.get("level", ""),
                       "chief": _pick(RiverChief, post.get("chief"), related=("person",)),
                       "street": _pick(Street, post.get("street"), "code"),
                       "community": _pick(Community, post.get("community"), "code", ("street",))}
            if "geometry" in post and post.get("geometry", "").strip() != reach.geometry:
                changes["geometry_json"] = post.get("geometry", "").strip()
            services.update_reach(request.user, reach, **changes)
            messages.success(request, _("河段已保存"))
        except DomainError as e:
            messages.error(request, e.message)
        return redirect("water:reach", code=reach.code)
    sections = policy.visible(request.user, Section.objects.filter(reach=reach))
    outfalls = policy.visible(request.user, Outfall.objects.filter(reach=reach))
    return render(request, "water/reach_detail.html", {
        "reach": reach, "can_edit": can_edit, "sections": sections, "outfalls": outfalls, "level_choices": ChiefLevel.choices,
        "chief_choices": _chief_choices() if can_edit else [], "streets": Street.objects.order_by("code") if can_edit else [],
        "communities": Community.objects.select_related("street").order_by("code") if can_edit else [],
    })


@login_required
@require_http_methods(["GET", "POST"])
def water_bodies(request):
    from .filters import WaterBodyFilter

    can_edit = _is_ops(request.user)
    form: dict = {}
    if request.method == "POST":
        _require_ops_post(request)
        post = request.POST
        try:
            if post.get("form") == "edit":
                body = _pick(WaterBody, post.get("code"), "code")
                services.update_water_body(request.user, body, name=post.get("name", ""), kind=post.get("kind", ""),
                                           description=post.get("description", ""))
                messages.success(request, _("水体 %(name)s 已保存") % {"name": post.get("name", "")})
            else:
                body = services.create_water_body(request.user, code=post.get("code", ""), name=post.get("name", ""), kind=post.get("kind", ""),
                                               geometry_json=post.get("geometry", "").strip(), description=post.get("description", ""))
                messages.success(request, _("已登记水体 %(name)s") % {"name": body.name})
            return redirect("water:bodies")
        except DomainError as e:
            messages.error(request, e.message)
            form = post
    filters, values = filter_from_query(WaterBodyFilter, request)
    qs = filters.filter(policy.visible(request.user, WaterBody.objects.annotate(n_reaches=Count("reaches", distinct=True)).order_by("code")))
    page = Paginator(qs, 50).get_page(request.GET.get("page"))
    return render(request, "water/water_bodies.html", {"page": page, "values": values, "kinds": WaterBody.Kind.choices,
                                                       "can_edit": can_edit, "form": form})


def _site_form_changes(post, site) -> dict:
    changes = {"name": post.get("name", ""), "active": post.get("active") == "1",
               "reach": _pick(Reach, post.get("reach"), "code")}
    if site.SITE_KIND == "section":
        try:
            changes["target_class"] = int(post.get("target_class", ""))
        except ValueError:
            raise Invalid(_("请选择目标水质类别"), code="invalid_target_class") from None
        changes["chief"] = _pick(RiverChief, post.get("chief"), related=("person",))
    else:
        changes["kind"] = post.get("kind", "")
        changes["unit"] = _pick(Unit, post.get("unit"), "code")
    changes.update(_site_form_position(post, site))
    return changes


def _site_form_position(post, site) -> dict:
    """The position from the edit form's map or inputs, in WGS84 (typed GCJ-02/BD-09 converted);
    only a real move is passed on, so a save of other fields does not re-locate the site."""
    from chengyun.geo import services as geo_services

    if post.get("lng", "") == "" and post.get("lat", "") == "":
        return {}
    try:
        lng, lat = float(post.get("lng", "")), float(post.get("lat", ""))
    except ValueError:
        raise Invalid(_("经度和纬度应为数字"), code="invalid_location", detail={"field": "lng/lat"}) from None
    crs = post.get("crs") or "wgs84"
    if crs not in ("wgs84", "cgcs2000", "gcj02", "bd09"):
        raise Invalid(_("未知的坐标系"), code="invalid_crs", detail={"field": "crs"})
    lng, lat = geo_services.to_wgs84(lng, lat, crs)
    if round(lng, 7) == round(site.lng, 7) and round(lat, 7) == round(site.lat, 7):
        return {}
    return {"lng": lng, "lat": lat}


def _edit_site(request, site) -> None:
    _require_ops_post(request)
    try:
        services.update_site(request.user, site, **_site_form_changes(request.POST, site))
        messages.success(request, _("%(name)s 已保存") % {"name": site.name})
    except DomainError as e:
        messages.error(request, e.message)


def _camera_form(request, outfall) -> None:
    from django.contrib.auth import get_user_model

    _require_ops_post(request)
    post = request.POST
    try:
        account = _pick(get_user_model(), post.get("account"), "username")
        if post.get("form") == "camera":
            camera = services.create_camera(request.user, code=post.get("code", ""), name=post.get("name", ""), outfall=outfall, account=account)
            messages.success(request, _("已登记监控点 %(name)s") % {"name": camera.name})
        else:
            camera = _pick(Camera, post.get("code"), "code")
            if camera is None or camera.outfall_id != outfall.pk:
                raise Invalid(_("请选择本排污口的监控点"), code="unknown_choice")
            services.update_camera(request.user, camera, account=account, active=post.get("active") == "1")
            messages.success(request, _("监控点 %(name)s 已保存") % {"name": camera.name})
    except DomainError as e:
        messages.error(request, e.message)
