"""Pages: the sweeping coverage map by day, vehicles and tracks (with what cleaning dropped),
quality inspections and 环卫示范街 with their score history. Thin: writes go through services."""
from __future__ import annotations

import datetime as dt

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _l
from django.views.decorators.http import require_http_methods

from chengyun.core import pageforms
from chengyun.core.errors import DomainError, Forbidden, Invalid
from chengyun.geo.models import Street
from chengyun.geo.tracks import TrackError
from chengyun.geo.views import filter_from_query
from chengyun.people import policy
from chengyun.people import roles as R
from chengyun.standards import cjjt126

from . import formviews, services, trackfile
from .filters import CoverageFilter, DemoStreetFilter, InspectionFilter, TrackFilter
from .models import GRADE_CHOICES, DemoStreet, Inspection, SegmentDay, Track, Vehicle


# The track import and inspection forms: a refusal shows the page again (4xx) naming the field by its label.
TRACK_LABELS = {"vehicle": _l("车辆"), "file": _l("轨迹文件（CSV 或 JSON）"), "points": _l("轨迹文件（CSV 或 JSON）")}
INSPECTION_LABELS = {
    "segment": _l("路段编号"), "inspected_on": _l("检查日期"), "inspector": _l("检查人"), "sensory": _l("感观质量（分）"),
    "litter": _l("可见垃圾（处/1000㎡）"), "stain": _l("污渍（㎡/1000㎡）"), "cleanliness": _l("清洁度（%）"), "dust": _l("尘负荷（g/㎡）"),
    "note": _l("说明"),
}


def _day(request) -> dt.date:
    try:
        return dt.date.fromisoformat(request.GET.get("day", ""))
    except ValueError:
        return dt.date.today() - dt.timedelta(days=1)


@login_required
def coverage(request):
    day = _day(request)
    services.ensure_day(day)
    visible = policy.visible(request.user, SegmentDay.objects.all())
    filters, values = filter_from_query(CoverageFilter, request)
    rows = filters.filter(services.coverage_rows(visible, day)).select_related("segment__sweep_plan")
    page = Paginator(rows, 40).get_page(request.GET.get("page"))
    values = {**values, "day": day.isoformat()}
    return render(request, "sanitation/coverage.html", {
        "day": day, "prev": day - dt.timedelta(days=1), "next": day + dt.timedelta(days=1), "summary": services.day_summary(visible, day),
        "streets": services.street_summary(visible, day), "page": page, "values": values, "all_streets": Street.objects.order_by("code"),
        "grades": GRADE_CHOICES})


@login_required
def tracks(request):
    filters, values = filter_from_query(TrackFilter, request)
    qs = filters.filter(policy.visible(request.user, Track.objects.select_related("vehicle").defer("points")))
    page = Paginator(qs, 40).get_page(request.GET.get("page"))
    vehicles = policy.visible(request.user, Vehicle.objects.select_related("unit", "street"))
    writable = [v for v in vehicles if policy.can_write(request.user, v)]
    return render(request, "sanitation/tracks.html", {"page": page, "values": values, "vehicles": vehicles, "writable": writable,
                                                      "may_register": formviews.may_create(request.user, Vehicle),
                                                      "report": request.session.pop("sanitation_report", None)})


@login_required
@require_http_methods(["POST"])
def track_import(request):
    upload = request.FILES.get("file")
    try:
        if upload is None:
            raise Invalid(_("请选择轨迹文件"), code="file_required", detail={"field": "file"})
        vehicle = policy.get_visible(request.user, Vehicle.objects.all(), code=request.POST.get("vehicle", ""))
        try:
            points = trackfile.parse_file(upload.name, upload.read())
        except TrackError as exc:
            raise Invalid(str(exc), code="bad_track", detail={"field": "file"}) from None
        report = services.import_points(request.user, vehicle, points)
    except DomainError as exc:
        # The tracks page again, the refusal at the import form, the chosen vehicle kept (a browser never keeps a file).
        pageforms.remember(request, exc, form="import", labels=TRACK_LABELS, input_of=lambda field: "file" if field == "points" else field)
        request.method = "GET"
        response = tracks(request)
        response.status_code = exc.status if 400 <= exc.status < 500 else 422
        return response
    request.session["sanitation_report"] = report.as_dict()
    messages.success(request, _("已导入 %(n)d 个点，剔除 %(d)d 个") % {"n": report.stored, "d": len(report.dropped)})
    return redirect("sanitation:tracks")


@login_required
def track_detail(request, vehicle: str, day: str):
    try:
        the_day = dt.date.fromisoformat(day)
    except ValueError:
        the_day = None
    track = policy.get_visible(request.user, Track.objects.select_related("vehicle", "vehicle__unit"), vehicle__code=vehicle, day=the_day)
    return render(request, "sanitation/track.html", {"track": track})


def _may_inspect(user) -> bool:
    return policy.principal(user).has({R.STREET_CHIEF, R.OPS_GRID_WORKER, R.SYSADMIN})


@login_required
@require_http_methods(["GET", "POST"])
@pageforms.refusals(INSPECTION_LABELS, default_form="inspection")
def inspections(request):
    if request.method == "POST":
        post = request.POST
        on = pageforms.date(post.get("inspected_on"), "inspected_on", INSPECTION_LABELS["inspected_on"])
        ins = services.record_inspection(request.user, segment=post.get("segment", ""), inspected_on=on, inspector=post.get("inspector", ""),
                                         sensory=post.get("sensory"), litter=post.get("litter"), stain=post.get("stain"),
                                         cleanliness=post.get("cleanliness"), dust=post.get("dust") or None, note=post.get("note", ""))
        messages.success(request, _("已登记检查 %(code)s") % {"code": ins.code})
        return redirect("sanitation:inspections")
    filters, values = filter_from_query(InspectionFilter, request)
    qs = filters.filter(policy.visible(request.user, Inspection.objects.select_related("segment", "street")))
    page = Paginator(qs, 40).get_page(request.GET.get("page"))
    return render(request, "sanitation/inspections.html", {"page": page, "values": values, "streets": Street.objects.order_by("code"),
                                                           "may_inspect": _may_inspect(request.user), "today": dt.date.today(),
                                                           "limits": [(cjjt126.GRADE_NAMES[g], lim) for g, lim in cjjt126.QUALITY_LIMITS.items()]})


@login_required
def demo_streets(request):
    filters, values = filter_from_query(DemoStreetFilter, request)
    qs = filters.filter(policy.visible(request.user, DemoStreet.objects.select_related("street", "unit").prefetch_related("scores")))
    page = Paginator(qs, 30).get_page(request.GET.get("page"))
    months = [(dt.date.today().replace(day=1) - dt.timedelta(days=31 * k)).replace(day=1) for k in range(6, 0, -1)]
    rows = []
    for d in page:
        by_month = {s.month: s for s in d.scores.all()}
        rows.append({"street": d, "scores": [by_month.get(m) for m in months], "latest": max(by_month.values(), key=lambda s: s.month, default=None)})
    return render(request, "sanitation/demo_streets.html", {"page": page, "rows": rows, "months": months, "values": values,
                                                            "statuses": DemoStreet.Status.choices, "streets": Street.objects.order_by("code"),
                                                            "sheet": services.score_sheet(), "pass_score": services.quality.pass_score(),
                                                            "may_create": formviews.may_create(request.user, DemoStreet),
                                                            "may_edit_sheet": formviews.may_create(request.user, formviews.ScoreItem)})


@login_required
@require_http_methods(["GET", "POST"])
def demo_street_detail(request, code: str):
    d = policy.get_visible(request.user, DemoStreet.objects.select_related("street", "unit").prefetch_related("segments"), code=code)
    error = None
    if request.method == "POST":
        try:
            formviews.demo_street_post(request, d)
        except Forbidden:
            raise
        except DomainError as exc:
            error = formviews.form_error(exc)
            d.refresh_from_db()
        else:
            return redirect("sanitation:demo_street", code=d.code)
    scores = list(d.scores.order_by("month"))
    sheet = services.score_sheet()
    return render(request, "sanitation/demo_street.html", {
        "d": d, "scores": scores, "sheet": sheet, "error": error, "form": request.POST if error else None,
        **formviews.demo_street_actions(request, d),
        "chart": {"months": [s.month.strftime("%Y-%m") for s in scores], "totals": [s.total for s in scores]}}, status=formviews.error_status(error))
