from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.shortcuts import render

from chengyun.core import audit_display
from chengyun.core.models import AuditEntry
from chengyun.geo.views import filter_from_query

from . import policy
from .filters import AuditFilter, PersonFilter
from .models import Person, Role
from .roles import AUDITOR, SYSADMIN


@login_required
def people(request):
    filters, values = filter_from_query(PersonFilter, request)
    qs = filters.filter(policy.visible(request.user, Person.objects.select_related("unit").prefetch_related("roles", "grids", "streets"))).distinct().order_by("name", "id")
    page = Paginator(qs, 50).get_page(request.GET.get("page"))
    return render(request, "people/list.html", {"page": page, "values": values, "roles": Role.objects.all()})


@login_required
def audit(request):
    policy.require_role(request.user, {AUDITOR, SYSADMIN}, "只有审计员和系统管理员可以查看审计日志")
    filters, values = filter_from_query(AuditFilter, request)
    qs = filters.filter(policy.visible(request.user, AuditEntry.objects.all()))
    page = Paginator(qs, 50).get_page(request.GET.get("page"))
    return render(request, "people/audit.html", {"page": page, "rows": audit_display.rows(page), "values": values,
                                                 "object_types": audit_display.object_types()})


@login_required
def audit_export(request):
    """The filtered audit log as CSV or .xlsx for the auditors (the export is itself audited)."""
    from django.http import HttpResponse

    from chengyun.core import audit as audit_log
    from chengyun.core import auditlog
    from chengyun.core.errors import Invalid

    policy.require_role(request.user, {AUDITOR, SYSADMIN}, "只有审计员和系统管理员可以导出审计日志")
    fmt = request.GET.get("format", "csv")
    if fmt not in ("csv", "xlsx"):
        raise Invalid("format 应为 csv 或 xlsx", code="bad_format")
    filters, values = filter_from_query(AuditFilter, request)
    qs = filters.filter(policy.visible(request.user, AuditEntry.objects.all()))
    data = auditlog.export(qs, fmt)
    audit_log.action(None, "audit_export", otype="core.auditentry", object_repr=fmt, after={"filters": values, "format": fmt})
    ctype = "text/csv; charset=utf-8" if fmt == "csv" else "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    resp = HttpResponse(data, content_type=ctype)
    resp["Content-Disposition"] = f'attachment; filename="audit.{fmt}"'
    return resp
