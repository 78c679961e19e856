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
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods

from chengyun.core.errors import DomainError, Forbidden, Invalid
from chengyun.people import policy
from chengyun.people import roles as R

from . import kinds, schedules, services
from .models import ReportRun, ReportSchedule


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
                     "fields": [(dest, hint, defaults.get(dest, "")) for dest, hint in _options_of(k)], "schedulable": k.default_options is not None})
    can_generate = policy.principal(request.user).has(services.GENERATORS)
    return render(request, "reports/centre.html", {"rows": rows, "can_generate": can_generate})


# Field (as schedules.set_schedule names it in detail["field"]) → the label the form shows.
SCHEDULE_LABELS = {"kind": gettext_lazy("报告类型"), "frequency": gettext_lazy("频次"), "day": gettext_lazy("日"), "at": gettext_lazy("时间"),
                   "recipients": gettext_lazy("接收角色"), "enabled": gettext_lazy("启用")}


def _schedulable(key: str) -> kinds.ReportKind:
    try:
        kind = kinds.get(key)
    except LookupError:
        raise Http404() from None
    if kind.default_options is None:
        raise Http404()
    return kind


def _set_from_post(request, key: str, plan) -> None:
    """The schedule form and the centre's pause/resume button, both through schedules.set_schedule."""
    post = request.POST
    if post.get("form") == "toggle":
        if plan is None:
            raise Invalid(_("该报告没有定时计划"), code="no_schedule", detail={"field": "enabled"})
        schedules.set_schedule(request.user, key, frequency=plan.frequency, at=plan.at, day=plan.day, enabled=post.get("enabled") == "true",
                               recipients=plan.recipients)
        return
    raw_day = (post.get("day") or "1").strip()
    try:
        day = int(raw_day)
    except ValueError:
        raise Invalid(_("日应为整数"), code="bad_day", detail={"field": "day"}) from None
    schedules.set_schedule(request.user, key, frequency=post.get("frequency", ""), at=(post.get("at") or "").strip(), day=day,
                           enabled=post.get("enabled") == "on", recipients=post.getlist("recipients"))


@login_required
@require_http_methods(["GET", "POST"])
def schedule(request, key: str):
    """Create, change or pause a kind's schedule (the roles services.GENERATORS, as the API)."""
    kind = _schedulable(key)
    policy.require_role(request.user, services.GENERATORS, _("只有城运中心值班长、调度员和区领导可以设置报告计划"))
    plan = {p.kind: p for p in schedules.plans()}.get(key)
    error = None
    if request.method == "POST":
        try:
            _set_from_post(request, key, plan)
        except Forbidden:
            raise
        except DomainError as exc:
            field = str((exc.detail or {}).get("field", "")) if isinstance(exc.detail, dict) else ""
            error = {"field": field, "label": str(SCHEDULE_LABELS.get(field, "")), "message": exc.message, "code": exc.code}
            if request.POST.get("form") == "toggle":
                messages.error(request, exc.message)
                return redirect("reports:centre")
        else:
            plan = {p.kind: p for p in schedules.plans()}.get(key)
            messages.success(request, _("已保存“%(label)s”的定时计划：%(when)s%(state)s") % {
                "label": kind.label, "when": schedules.describe(plan), "state": "" if plan.enabled else _("（已暂停）")})
            return redirect("reports:centre")
    post = request.POST if error else None
    form = {"enabled": (post.get("enabled") == "on") if post else (plan.enabled if plan else True),
            "frequency": post.get("frequency", "") if post else (plan.frequency if plan else "daily"),
            "day": post.get("day", "") if post else (plan.day if plan else 1),
            "at": post.get("at", "") if post else (plan.at.strftime("%H:%M") if plan else "08:00")}
    chosen = set(post.getlist("recipients")) if post else set(plan.recipients if plan else kind.audience)
    return render(request, "reports/schedule.html", {
        "kind": kind, "plan": plan, "when": schedules.describe(plan) if plan else "", "error": error, "form": form,
        "roles": [(code, name, code in chosen) for code, name in R.ROLE_NAMES.items()],
        "frequencies": ReportSchedule.Frequency.choices, "weekdays": list(enumerate(schedules.WEEKDAYS, start=1)),
    }, status=(409 if error and error["code"] == "not_schedulable" else 422) if error else 200)


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
