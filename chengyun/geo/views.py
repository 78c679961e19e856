from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.contrib import messages
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from chengyun.core.errors import Invalid

from chengyun.people import policy
from chengyun.people import roles as R

from . import services, uploads
from .filters import UnitFilter
from .models import Unit


def filter_from_query(schema_cls, request):
    """Build a list page's filter from its query string, with the same definition the API uses."""
    values = {k: v for k, v in request.GET.items() if k in schema_cls.model_fields and v != ""}
    try:
        return schema_cls(**values), values
    except Exception:
        return schema_cls(), {}


@login_required
def map_page(request):
    return render(request, "geo/map.html")


@login_required
def units(request):
    filters, values = filter_from_query(UnitFilter, request)
    qs = filters.filter(policy.visible(request.user, Unit.objects.prefetch_related("contacts"))).distinct()
    page = Paginator(qs, 50).get_page(request.GET.get("page"))
    return render(request, "geo/units.html", {"page": page, "values": values, "kinds": Unit.Kind.choices})


@login_required
def unit_detail(request, code: str):
    unit = policy.get_visible(request.user, Unit.objects.prefetch_related("contacts", "streets", "people__roles"), code=code)
    error = None
    if request.method == "POST":
        rows = []
        for i in range(int(request.POST.get("rows", "0") or 0)):
            name, phone = request.POST.get(f"name-{i}", "").strip(), request.POST.get(f"phone-{i}", "").strip()
            if name or phone:
                rows.append({"name": name, "phone": phone, "title": request.POST.get(f"title-{i}", ""), "on_duty": request.POST.get(f"on_duty-{i}") == "on"})
        try:
            services.set_unit_contacts(request.user, unit, rows)
        except Invalid as exc:  # the form is shown again with the reason; 403/404 become error pages
            error = exc.message
        else:
            messages.success(request, _("联系人已保存"))
            return redirect("geo:unit", code=unit.code)
    contacts = list(unit.contacts.all())
    blank_rows = range(len(contacts), len(contacts) + 3)
    return render(request, "geo/unit_detail.html", {"unit": unit, "can_edit": policy.can_write(request.user, unit),
                                                    "contacts": contacts, "blank_rows": blank_rows, "rows": len(contacts) + 3, "error": error})


LEVEL_CHOICES = (("district", _("区")), ("street", _("街道")), ("community", _("社区")), ("grid", _("单元网格")))
ENCODING_CHOICES = (("", _("自动（按编码说明文件，否则 UTF-8）")), ("gbk", "GBK"), ("utf-8", "UTF-8"))


@login_required
def boundary_import(request):
    """Upload boundaries (GeoJSON or a zipped Shapefile): 校验 checks only, 导入 writes all or nothing,
    through the import service `chengyun geo import` uses, so the errors and warnings are the same."""
    policy.require_role(request.user, {R.SYSADMIN}, _("只有系统管理员可以导入边界"))
    report = error = staged = None
    level = request.POST.get("level", "grid")
    encoding = request.POST.get("encoding", "")
    upload = request.FILES.get("file")
    name = upload.name if upload else ""
    if request.method == "POST":
        dry_run = request.POST.get("mode") != "import"
        try:
            if request.POST.get("staged") and not upload:  # import the file checked a moment ago
                [(data, name)] = uploads.take_staged(request, request.POST["staged"])
            else:
                data = uploads.read_upload_bytes(upload)
            features = uploads.read_boundary_upload(data, name, encoding or None)
            report = services.import_boundaries(features, level, dry_run=dry_run, user=request.user)
            if report.ok and dry_run:
                staged = uploads.stage(request, [(data, name)])
        except Invalid as exc:  # the file could not be read at all: nothing was checked or written
            error = exc.message
    status = 422 if error or (report is not None and not report.ok) else 200
    return render(request, "geo/boundary_import.html", {
        "levels": LEVEL_CHOICES, "encodings": ENCODING_CHOICES, "level": level, "encoding": encoding, "report": report,
        "error": error, "file_name": name, "staged": staged, "max_mb": uploads.max_upload_bytes() // (1024 * 1024),
        "errors": uploads.problems(report.errors) if report else [], "level_name": dict(LEVEL_CHOICES).get(level, ""),
    }, status=status)
