from __future__ import annotations

import argparse

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import FileResponse, Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from chengyun.core.errors import DomainError
from chengyun.people import policy

from . import kinds, schedules, services
from .models import ReportRun


def _options_of(kind: kinds.ReportKind) -> list[tuple[str, str]]:
    """The options a kind asks for (its CLI arguments: dest and help), so the page offers the same fields."""
    parser = argparse.ArgumentParser(add_help=False)
    kind.add_arguments(parser)
    return [(a.dest, a.help or a.dest) for a in parser._actions if a.dest != "help"]


@login_required
def centre(request):
    """报告中心: every kind, its schedule and last run, and a form to generate any period."""
    if request.method == "POST":
        key = request.POST.get("kind", "")
        try:
            kind = kinds.get(key)
        except LookupError:
            messages.error(request, _("未知的报告类型"))
            return redirect("reports:centre")
        try:
            run, _g = services.generate_for(request.user, key, {dest: request.POST.get(dest, "") for dest, _h in _options_of(kind)})
        except DomainError as exc:
            messages.error(request, exc.message)
            return redirect("reports:centre")
        messages.success(request, _("已生成并归档：%(title)s") % {"title": run.title})
        return redirect(reverse("reports:archive") + f"?kind={key}")
    plans = {p.kind: p for p in schedules.plans()}
    today = timezone.localdate()
    rows = []
    for k in kinds.all_kinds():
        defaults = k.default_options(today) if k.default_options else {}
        plan = plans.get(k.key)
        rows.append({"kind": k, "plan": plan, "when": schedules.describe(plan) if plan else "", "last": ReportRun.objects.filter(kind=k.key).order_by("-generated_at").first(),
                     "fields": [(dest, hint, defaults.get(dest, "")) for dest, hint in _options_of(k)]})
    can_generate = policy.principal(request.user).has(services.GENERATORS)
    return render(request, "reports/centre.html", {"rows": rows, "can_generate": can_generate})


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
