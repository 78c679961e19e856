"""Pages: the waste-sorting dashboard (rates, coverage by community, the demonstration areas'
expansion, 无废城市 indicators, the plant relocation task) and the compound list behind its counts."""
from __future__ import annotations

import datetime as dt

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.shortcuts import render

from chengyun.geo.models import Community, Street
from chengyun.geo.views import filter_from_query
from chengyun.people import policy

from . import rules, services
from .filters import SortingCompoundFilter
from .forms import may_record
from .pages import may
from .models import DemoArea, SortingCompound, ZeroWasteIndicator

PLANT_TASK_CODE = "DB-WTE-RELOCATION"


def _plant_task(user):
    try:
        from chengyun.supervision.models import KeyTask
    except ImportError:  # supervision not installed: the dashboard shows no task
        return None
    return policy.visible(user, KeyTask.objects.filter(code=PLANT_TASK_CODE)).prefetch_related("milestones").first()


@login_required
def dashboard(request):
    today = dt.date.today()
    visible = policy.visible(request.user, SortingCompound.objects.all())
    limits = services.thresholds()
    communities = Community.objects.select_related("street").order_by("code")
    p = policy.principal(request.user)
    if not p.has(policy.rule_for(SortingCompound).wide_read):
        communities = communities.filter(id__in=p.community_ids)
    coverage = services.coverage_by_community(today, communities)
    total = sum(r["compounds"] for r in coverage)
    sorting = sum(r["sorting"] for r in coverage)
    indicators = list(ZeroWasteIndicator.objects.filter(active=True).prefetch_related("values"))
    years = sorted({v.year for i in indicators for v in i.values.all()})[-4:]
    table = [{"indicator": i, "cells": [next((v for v in i.values.all() if v.year == y), None) for y in years]} for i in indicators]
    return render(request, "waste/dashboard.html", {
        "registered": visible.count(), "compliant": visible.filter(compliant=True).count(), "sorting_rate": round(sorting / total * 100, 1) if total else 0,
        "areas": policy.visible(request.user, DemoArea.objects.select_related("street")), "coverage": coverage, "limits": limits,
        "rate_names": rules.RATE_NAMES, "years": years, "table": table, "task": _plant_task(request.user),
        "expansion": services.expansion(24, today), "may": may(request.user)})


@login_required
def compounds(request):
    filters, values = filter_from_query(SortingCompoundFilter, request)
    qs = filters.filter(policy.visible(request.user, SortingCompound.objects.select_related("compound", "community", "street", "demo_area")))
    page = Paginator(qs, 40).get_page(request.GET.get("page"))
    return render(request, "waste/compounds.html", {"page": page, "values": values, "streets": Street.objects.order_by("code"),
                                                    "areas": DemoArea.objects.order_by("code"), "limits": services.thresholds(),
                                                    "may_record": may_record(request.user), "may": may(request.user)})
