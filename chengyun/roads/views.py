from __future__ import annotations

import datetime as dt

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from chengyun.core.errors import DomainError, Forbidden, Invalid
from chengyun.geo.models import Street, Unit
from chengyun.people import policy
from chengyun.people import roles as R

from . import services
from .models import HazardFinding, HazardSurvey, RoadSegment


@login_required
def risk_page(request):
    run = services.ensure_risk()
    qs = policy.visible(request.user, services.ranked())
    street = request.GET.get("street", "")
    if street:
        qs = qs.filter(street__code=street)
    level = request.GET.get("level", "")  # 高/中/低, as the API's ?level= (the cockpit links here)
    if level:
        qs = qs.filter(risk_level=level)
    page = Paginator(qs, 30).get_page(request.GET.get("page"))
    return render(request, "roads/risk.html", {"page": page, "run": run, "values": {"street": street} if street else {},
                                               "streets": Street.objects.order_by("code"),
                                               "may_write_segments": services.may_write_segments(request.user)})


@login_required
def segment_detail(request, code: str):
    seg = policy.get_visible(request.user, RoadSegment.objects.select_related("street"), code=code)
    return render(request, "roads/segment.html", {"seg": seg, "findings": seg.findings.all(), "surveys": seg.surveys.select_related("survey")})


@login_required
def surveys(request):
    today = dt.date.today()
    rows = []
    names = dict(Street.objects.values_list("code", "name"))
    for s in policy.visible(request.user, HazardSurvey.objects.all()):
        cov = services.survey_coverage(today, s)
        streets = [(names.get(k, k), d, t, (d / t * 100 if t else 0)) for k, (d, t) in sorted(cov.items()) if k]
        d, t = cov[""]
        rows.append({"survey": s, "done": d, "total": t, "pct": d / t * 100 if t else 0, "streets": streets,
                     "days_left": (s.deadline - today).days, "findings": s.findings.count()})
    return render(request, "roads/surveys.html", {"rows": rows, "today": today, "can_create": _may_survey(request.user)})


# ---------------------------------------------------------------- survey and finding forms
# A GPR survey (路段、日期、实施单位、方法) and its findings (空洞/脱空/疏松 placed on a map), for the
# surveying unit's people on site (phone-sized) and the ops center; writes go through services.

KIND_CHOICES = HazardFinding.Kind.choices
METHOD_CHOICES = (("GPR", _("探地雷达（GPR）")), ("GPR+钻孔", _("探地雷达 + 钻孔验证")), ("GPR+内窥", _("探地雷达 + 孔内窥视")))


def _may_survey(user) -> bool:
    return policy.principal(user).has({R.SYSADMIN, R.DEPT_HANDLER})


def _writer_units(user):
    p = policy.principal(user)
    qs = Unit.objects.filter(active=True).order_by("kind", "code")
    return qs if p.has({R.SYSADMIN}) else qs.filter(pk=p.unit_id)


def _date(post, name: str, label: str) -> dt.date:
    try:
        return dt.date.fromisoformat(post.get(name, ""))
    except ValueError:
        raise Invalid(_("%(label)s不是有效日期") % {"label": label}, code="bad_date", detail={"field": name}) from None


def _number(post, name: str, label: str, default: float | None = None) -> float:
    raw = post.get(name, "").strip()
    if raw == "" and default is not None:
        return default
    try:
        return float(raw)
    except ValueError:
        raise Invalid(_("%(label)s应为数字") % {"label": label}, code="bad_number", detail={"field": name}) from None


def _unit(post):
    code = post.get("unit", "")
    unit = Unit.objects.filter(code=code).first() if code else None
    if code and unit is None:
        raise Invalid(_("实施单位不存在"), code="unknown_unit", detail={"field": "unit"})
    return unit


@login_required
@require_http_methods(["GET", "POST"])
def survey_new(request):
    if not _may_survey(request.user):
        raise Forbidden(_("只有实施单位人员可以新建排查"))
    error = None
    if request.method == "POST":
        post = request.POST
        try:
            survey = services.create_survey(request.user, code=post.get("code", "").strip(), name=post.get("name", "").strip(),
                                            method=post.get("method", "GPR"), unit=_unit(post),
                                            started_on=_date(post, "started_on", _("开始日期")), deadline=_date(post, "deadline", _("完成期限")))
        except (Invalid, DomainError) as exc:
            if isinstance(exc, Forbidden):
                raise
            error = exc.message
        else:
            messages.success(request, _("已新建排查 %(name)s") % {"name": survey.name})
            return redirect("roads:survey", code=survey.code)
    return render(request, "roads/survey_form.html", {
        "error": error, "form": request.POST, "units": _writer_units(request.user), "methods": METHOD_CHOICES,
        "today": dt.date.today(), "status_choices": HazardSurvey.Status.choices,
    }, status=422 if error else 200)


def _segment_choices(survey, street: str):
    done = set(survey.surveyed.values_list("segment_id", flat=True))
    qs = RoadSegment.objects.select_related("street").order_by("street__code", "name", "code")
    if street:
        qs = qs.filter(street__code=street)
    return [s for s in qs[:400] if s.pk not in done]


@login_required
@require_http_methods(["GET", "POST"])
def survey_detail(request, code: str):
    survey = policy.get_visible(request.user, HazardSurvey.objects.select_related("unit"), code=code)
    can_edit = policy.can_write(request.user, survey)
    if request.method == "POST":
        policy.require_write(request.user, survey, _("只有实施单位人员可以修改排查"))
        post = request.POST
        try:
            if post.get("form") == "surveyed":
                codes = list(dict.fromkeys(post.getlist("segments") + post.get("more_segments", "").replace("，", ",").replace(",", " ").split()))
                if not codes:
                    raise Invalid(_("请选择已排查的路段"), code="missing_fields", detail={"field": "segments"})
                n = services.record_surveyed(request.user, survey, codes, surveyed_on=_date(post, "surveyed_on", _("排查日期")),
                                             operator=post.get("operator", "").strip())
                messages.success(request, _("已填报 %(n)s 个路段") % {"n": n})
            else:
                services.update_survey(request.user, survey, name=post.get("name", ""), method=post.get("method", "GPR"),
                                       status=post.get("status", ""), unit=_unit(post),
                                       started_on=_date(post, "started_on", _("开始日期")), deadline=_date(post, "deadline", _("完成期限")))
                messages.success(request, _("排查已保存"))
        except Forbidden:
            raise
        except DomainError as exc:
            messages.error(request, exc.message)
        return redirect(f"{request.path}?street={post.get('street', '')}" if post.get("form") == "surveyed" else request.path)
    done, total = services.survey_coverage(dt.date.today(), survey)[""]
    street = request.GET.get("street", "")
    return render(request, "roads/survey_detail.html", {
        "survey": survey, "can_edit": can_edit, "done": done, "total": total, "pct": done / total * 100 if total else 0,
        "surveyed": survey.surveyed.select_related("segment").order_by("-surveyed_on", "segment__code"),
        "findings": survey.findings.select_related("segment").order_by("-found_on", "code"),
        "segments": _segment_choices(survey, street) if can_edit else [], "street": street,
        "streets": Street.objects.order_by("code"), "units": _writer_units(request.user) if can_edit else [],
        "methods": METHOD_CHOICES, "status_choices": HazardSurvey.Status.choices, "today": dt.date.today(),
    })


def _finding_values(post) -> dict:
    """The finding form's fields, as the services take them; a position without a segment is
    filed on the nearest road segment."""
    values = {"kind": post.get("kind", ""), "depth_m": _number(post, "depth_m", _("顶板埋深")),
              "length_m": _number(post, "length_m", _("长")), "width_m": _number(post, "width_m", _("宽")),
              "height_m": _number(post, "height_m", _("净高"), default=0.0),
              "found_on": _date(post, "found_on", _("发现日期")), "note": post.get("note", "").strip()}
    if post.get("lng", "") == "" or post.get("lat", "") == "":
        raise Invalid(_("请在地图上点选隐患点位置"), code="missing_location", detail={"field": "lng/lat"})
    values["lng"], values["lat"] = _number(post, "lng", _("经度")), _number(post, "lat", _("纬度"))
    segment = post.get("segment", "").strip()
    if not segment:
        nearest = services.nearest_segment(values["lng"], values["lat"])
        if nearest is None:
            raise Invalid(_("该位置 60 米内没有道路路段，请选择路段或核对位置"), code="no_segment", detail={"field": "segment"})
        segment = nearest.code
    values["segment_code"] = segment
    return values


def _finding_context(request, survey, finding=None, **extra):
    return {"survey": survey, "finding": finding, "kinds": KIND_CHOICES,
            "segment_codes": RoadSegment.objects.order_by("code").values_list("code", "name"),
            "today": dt.date.today(), "form": request.POST if request.method == "POST" else None, **extra}


@login_required
@require_http_methods(["GET", "POST"])
def finding_new(request, code: str):
    survey = policy.get_visible(request.user, HazardSurvey.objects.all(), code=code)
    policy.require_write(request.user, survey, _("只有实施单位人员可以录入隐患点"))
    error = None
    if request.method == "POST":
        try:
            values = _finding_values(request.POST)
            f = services.add_finding(request.user, survey, code=request.POST.get("code", "").strip() or None, **values)
        except Forbidden:
            raise
        except DomainError as exc:
            error = exc.message
        else:
            messages.success(request, _("已录入隐患点 %(code)s") % {"code": f.code})
            return redirect("roads:finding", code=f.code)
    return render(request, "roads/finding_form.html", _finding_context(request, survey, error=error), status=422 if error else 200)


@login_required
@require_http_methods(["GET", "POST"])
def finding_detail(request, code: str):
    finding = policy.get_visible(request.user, HazardFinding.objects.select_related("segment", "segment__street", "survey"), code=code)
    can_edit = policy.can_write(request.user, finding)
    error = None
    if request.method == "POST":
        policy.require_write(request.user, finding, _("只有实施单位人员可以修改隐患点"))
        try:
            if request.POST.get("form") == "treat":
                services.treat_finding(request.user, finding, note=request.POST.get("note", "").strip())
                messages.success(request, _("已标记为已处置"))
            else:
                services.update_finding(request.user, finding, **_finding_values(request.POST))
                messages.success(request, _("隐患点已保存"))
        except Forbidden:
            raise
        except DomainError as exc:
            error = exc.message
        else:
            return redirect("roads:finding", code=finding.code)
    services.ensure_risk()
    segment = RoadSegment.objects.select_related("street").get(pk=finding.segment_id)
    return render(request, "roads/finding_form.html", _finding_context(
        request, finding.survey, finding, error=error, can_edit=can_edit, segment=segment,
        contribution=services.cavity_factor([finding]) * 100 if finding.status == HazardFinding.Status.OPEN else 0,
    ), status=422 if error else 200)


# ---------------------------------------------------------------- segments: drawn or imported

SEGMENT_LABELS = {"code": _("编号"), "name": _("道路名称"), "road_class": _("道路等级"), "traffic": _("交通等级"), "width_m": _("路幅宽度（米）"),
                  "geometry": _("地图上的线形")}


def _segments_layer(limit: int = 600) -> dict:
    import json

    return {"type": "FeatureCollection", "features": [
        {"type": "Feature", "geometry": json.loads(g), "properties": {"name": f"{n}（{c}）"}}
        for c, n, g in RoadSegment.objects.order_by("code").values_list("code", "name", "geometry")[:limit]]}


@login_required
@require_http_methods(["GET", "POST"])
def segment_new(request):
    """Draw a road segment on the map (services.create_segment: the import's checks, the length in metres on the ellipsoid)."""
    if not services.may_write_segments(request.user):
        raise Forbidden(_("只有系统管理员或道路管养单位可以新建路段"))
    error = None
    if request.method == "POST":
        post = request.POST
        try:
            seg = services.create_segment(request.user, code=post.get("code", ""), name=post.get("name", ""), road_class=post.get("road_class", ""),
                                          traffic=post.get("traffic", "medium"), width_m=post.get("width_m", "").strip() or None,
                                          geometry=post.get("geometry", ""))
        except Forbidden:
            raise
        except DomainError as exc:
            field = str((exc.detail or {}).get("field", "")) if isinstance(exc.detail, dict) else ""
            error = {"field": field, "label": SEGMENT_LABELS.get(field, ""), "message": exc.message}
        else:
            messages.success(request, _("已新建路段 %(name)s，长 %(m)s 米") % {"name": seg.name, "m": seg.length_m})
            return redirect("roads:segment", code=seg.code)
    return render(request, "roads/segment_form.html", {
        "error": error, "form": request.POST if request.method == "POST" else {}, "classes": RoadSegment.RoadClass.choices,
        "traffics": RoadSegment.Traffic.choices, "layers": _segments_layer()}, status=422 if error else 200)


@login_required
@require_http_methods(["GET", "POST"])
def segment_import(request):
    """Upload segments (GeoJSON or a zipped Shapefile): 校验 checks only, 导入 writes all or nothing (services.import_segments)."""
    from chengyun.geo import uploads

    if not services.may_write_segments(request.user):
        raise Forbidden(_("只有系统管理员或道路管养单位可以导入路段"))
    report = error = staged = None
    encoding = request.POST.get("encoding", "")
    upload = request.FILES.get("file")
    name = upload.name if upload else ""
    p = policy.principal(request.user)
    owner = Unit.objects.filter(pk=p.unit_id).first() if p.has({R.DEPT_HANDLER}) and p.unit_id else None
    if request.method == "POST":
        dry_run = request.POST.get("mode") != "import"
        try:
            if request.POST.get("staged") and not upload:
                [(data, name)] = uploads.take_staged(request, request.POST["staged"])
            else:
                data = uploads.read_upload_bytes(upload)
            features = uploads.read_boundary_upload(data, name, encoding or None)
            report = services.import_segments(features, user=request.user, dry_run=dry_run, owner_code=owner.code if owner else None)
            if report.ok and dry_run:
                staged = uploads.stage(request, [(data, name)])
        except Invalid as exc:
            error = exc.message
    status = 422 if error or (report is not None and not report.ok) else 200
    return render(request, "roads/segment_import.html", {
        "report": report, "error": error, "file_name": name, "staged": staged, "encoding": encoding,
        "encodings": (("", _("自动（按编码说明文件，否则 UTF-8）")), ("gbk", "GBK"), ("utf-8", "UTF-8")),
        "max_mb": uploads.max_upload_bytes() // (1024 * 1024), "errors": uploads.problems(report.errors) if report else []}, status=status)
