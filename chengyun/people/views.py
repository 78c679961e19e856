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
