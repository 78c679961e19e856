"""Pages: the device registry (list + registration), device detail, refusals, laboratory upload."""
from __future__ import annotations

from datetime import timedelta

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from chengyun.core.errors import DomainError
from chengyun.geo.views import filter_from_query
from chengyun.people import policy

from . import catalogue, labfile, services
from .filters import DeviceFilter, IngestLogFilter
from .models import Device, IngestLog, RawFrame, Reading
from .rules import DEVICE_MANAGERS, TRAFFIC_READERS


def _is_manager(user) -> bool:
    return policy.principal(user).has(DEVICE_MANAGERS)


def _factors_from_text(text: str) -> list[dict[str, str]]:
    """"w01018 mg/L, w21003" → [{"code": "w01018", "unit": "mg/L"}, {"code": "w21003"}] (one factor per comma or line)."""
    out = []
    for item in text.replace("，", ",").replace("\n", ",").split(","):
        parts = item.split()
        if parts:
            out.append({"code": parts[0], **({"unit": parts[1]} if len(parts) > 1 else {})})
    return out


@login_required
def devices(request):
    policy.require_role(request.user, policy.rule_for(Device).wide_read, _("您无权查看监测设备"))
    form = {}
    if request.method == "POST":
        form = request.POST
        try:
            device = services.create_device(
                request.user, mn=form.get("mn", ""), password=form.get("password", ""), st=form.get("st", ""),
                name=form.get("name", ""), factors=_factors_from_text(form.get("factors", "")),
                site_kind=form.get("site_kind", ""), site_code=form.get("site_code", ""),
            )
        except DomainError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, _("已登记设备 %(mn)s") % {"mn": device.mn})
            return redirect("monitoring:device", mn=device.mn)
    filters, values = filter_from_query(DeviceFilter, request)
    qs = filters.filter(policy.visible(request.user, Device.objects.all()))
    page = Paginator(qs, 50).get_page(request.GET.get("page"))
    silent_after = timezone.now() - timedelta(hours=1)
    return render(request, "monitoring/devices.html", {
        "page": page, "values": values, "form": form, "can_manage": _is_manager(request.user),
        "kinds": Device.Kind.choices, "site_kinds": Device.SiteKind.choices, "silent_after": silent_after,
        "section_factors": "w01001, w01009 mg/L, w01019 mg/L, w21003 mg/L, w21011 mg/L, w01018 mg/L, w01010 ℃, w01014 μS/cm",
    })


@login_required
def device_detail(request, mn: str):
    device = policy.get_visible(request.user, Device.objects.all(), mn=mn)
    manager = _is_manager(request.user)
    if request.method == "POST" and manager:
        action = request.POST.get("action")
        try:
            if action == "link":
                services.link_device(request.user, device.mn, request.POST.get("site_kind", ""), request.POST.get("site_code", ""),
                                     judge_history=True)
            elif action == "update":
                changes = {
                    "name": request.POST.get("name", device.name),
                    "active": request.POST.get("active") == "on",
                    "tolerate_lowercase_crc": request.POST.get("tolerate_lowercase_crc") == "on",
                    "tolerate_swapped_modbus_crc": request.POST.get("tolerate_swapped_modbus_crc") == "on",
                    "factors": _factors_from_text(request.POST.get("factors", "")),
                }
                if request.POST.get("password"):
                    changes["password"] = request.POST["password"]
                services.update_device(request.user, device, **changes)
            messages.success(request, _("已保存"))
        except DomainError as exc:
            messages.error(request, exc.message)
        return redirect("monitoring:device", mn=device.mn)

    latest = []
    codes = list(dict.fromkeys(device.factor_codes + list(
        Reading.objects.filter(device=device).order_by().values_list("factor", flat=True).distinct()[:50])))
    for code in codes:
        r = Reading.objects.filter(device=device, factor=code).order_by("-data_time", "-received_at").first()
        if r is not None:
            latest.append({"code": code, "name": catalogue.factor_name(code), "unit": device.unit_of(code) or catalogue.default_unit(code), "reading": r})
    since = timezone.now() - timedelta(hours=48)
    series: dict[str, list] = {}
    for r in Reading.objects.filter(device=device, data_time__gte=since, cn__in=["2061", "2011"]).order_by("data_time").only(
            "factor", "data_time", "value", "cn", "flag"):
        if r.value is not None:
            series.setdefault(r.factor, []).append([timezone.localtime(r.data_time).isoformat(), r.value, r.cn, r.flag])
    show_traffic = policy.principal(request.user).has(TRAFFIC_READERS)
    frames = list(RawFrame.objects.filter(mn=device.mn)[:50]) if show_traffic else []
    refusals = list(IngestLog.objects.filter(mn=device.mn)[:20]) if show_traffic else []
    return render(request, "monitoring/device_detail.html", {
        "device": device, "latest": latest, "frames": frames, "refusals": refusals, "show_traffic": show_traffic,
        "can_manage": manager, "site_kinds": Device.SiteKind.choices,
        "factors_text": ", ".join(f"{f['code']} {f.get('unit', '')}".strip() for f in device.factors or []),
        "series": {code: {"name": catalogue.factor_name(code), "points": pts} for code, pts in series.items()},
        "retention_days": services.raw_frame_days(),
    })


@login_required
def ingest_log(request):
    policy.require_role(request.user, TRAFFIC_READERS, _("您无权查看接入记录"))
    filters, values = filter_from_query(IngestLogFilter, request)
    qs = filters.filter(policy.visible(request.user, IngestLog.objects.all()))
    page = Paginator(qs, 50).get_page(request.GET.get("page"))
    return render(request, "monitoring/ingest_log.html", {"page": page, "values": values, "reasons": IngestLog.Reason.choices})


@login_required
def lab_upload(request):
    policy.require_role(request.user, DEVICE_MANAGERS, _("只有城运中心或系统管理员可以上传手工监测结果"))
    report = refusal = None
    if request.method == "POST":
        upload = request.FILES.get("file")
        if upload is None:
            messages.error(request, _("请选择文件"))
        else:
            try:
                rows, first = labfile.read(upload.read(), upload.name or "")
                report = services.import_lab_results(request.user, rows, first_row=first)
            except DomainError as exc:
                messages.error(request, exc.message)
            else:
                if report.ok:
                    messages.success(request, _("已入库 %(n)d 条手工监测结果") % {"n": report.stored})
                    return redirect(reverse("monitoring:lab_upload"))
                refusal = report.error()  # the same answer as the API's 422
    return render(request, "monitoring/lab_upload.html", {
        "refusal": refusal, "rows": refusal.detail["rows"] if refusal else [], "template": labfile.TEMPLATE_CSV})
