from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import FileResponse, Http404
from django.shortcuts import render

from chengyun.people import policy

from . import kinds
from .models import ReportRun


@login_required
def archive(request):
    qs = policy.visible(request.user, ReportRun.objects.all())
    kind = request.GET.get("kind", "")
    period = request.GET.get("period", "")
    if kind:
        qs = qs.filter(kind=kind)
    if period:
        qs = qs.filter(period__startswith=period)
    labels = {k.key: k.label for k in kinds.all_kinds()}
    page = Paginator(qs, 50).get_page(request.GET.get("page"))
    return render(request, "reports/archive.html", {
        "page": page, "values": {"kind": kind, "period": period}, "kinds": sorted(labels.items()), "labels": labels,
    })


@login_required
def download(request, pk: int, fmt: str):
    run = policy.get_visible(request.user, ReportRun.objects.all(), pk=pk)
    field = run.docx if fmt == "docx" else run.xlsx if fmt == "xlsx" else None
    if not field:
        raise Http404()
    return FileResponse(field.open("rb"), as_attachment=True, filename=f"{run.title}.{fmt}")
