from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.shortcuts import render

from .models import Dimension, Indicator, IndicatorSet, Problem
from .services import access


@login_required
def dashboard(request):
    sets = list(IndicatorSet.objects.all())
    current = sets[0] if sets else None
    by_dimension = []
    if current is not None:
        inds = list(Indicator.objects.filter(indicator_set=current).select_related("responsible_unit"))
        by_dimension = [(label, [i for i in inds if i.dimension == code]) for code, label in Dimension.choices]
    return render(request, "renewal/dashboard.html", {"sets": sets, "current": current, "by_dimension": by_dimension})


@login_required
def problems(request):
    qs = access.visible(request.user, Problem.objects.select_related("indicator", "community", "responsible_unit"))
    page = Paginator(qs, 50).get_page(request.GET.get("page"))
    return render(request, "renewal/problems.html", {"page": page})
