from __future__ import annotations

import datetime as dt

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.shortcuts import render

from chengyun.geo.models import Street
from chengyun.people import policy

from . import services
from .models import HazardSurvey, RoadSegment


@login_required
def risk_page(request):
    run = services.ensure_risk()
    qs = policy.visible(request.user, services.ranked())
    street = request.GET.get("street", "")
    if street:
        qs = qs.filter(street__code=street)
    page = Paginator(qs, 30).get_page(request.GET.get("page"))
    return render(request, "roads/risk.html", {"page": page, "run": run, "values": {"street": street} if street else {},
                                               "streets": Street.objects.order_by("code")})


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
    return render(request, "roads/surveys.html", {"rows": rows, "today": today})
