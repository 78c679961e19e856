from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from chengyun.core.errors import DomainError
from chengyun.people import policy
from chengyun.people import roles as R

from . import services, workflow
from .models import ResearchPlan


def _plans(user):
    policy.require_role(user, R.DISTRICT_WIDE, _("您的角色无权查看调研工作"))
    return policy.visible(user, ResearchPlan.objects.select_related("leader", "lead_unit"))


@login_required
def plan_list(request):
    plans = list(_plans(request.user))
    return render(request, "research/list.html", {
        "rows": [{"plan": p, "state": workflow.label(p.state), "totals": services.conversion_totals(p)} for p in plans],
    })


@login_required
def plan_detail(request, pk: int):
    plan = policy.get_visible(request.user, _plans(request.user).prefetch_related("team"), pk=pk)
    if request.method == "POST":
        try:
            services.transition(request.user, plan, request.POST.get("action", ""), report_title=request.POST.get("report_title", ""),
                                report_summary=request.POST.get("report_summary", ""), report_problems=request.POST.get("report_problems", ""))
        except DomainError as exc:
            messages.error(request, exc.message)
        return redirect(plan.get_absolute_url())
    return render(request, "research/detail.html", {
        "plan": plan, "state": workflow.label(plan.state),
        "visits": plan.visits.select_related("street", "community", "grid", "compound").prefetch_related("photos"),
        "conversions": services.conversions(plan), "totals": services.conversion_totals(plan),
        "actions": [t for t in services.allowed_actions(request.user, plan) if t.action != "report"],
        "can_report": any(t.action == "report" for t in services.allowed_actions(request.user, plan)),
    })


@login_required
def report_docx(request, pk: int):
    from .reporting import research_docx

    plan = policy.get_visible(request.user, _plans(request.user), pk=pk)
    response = HttpResponse(research_docx(plan), content_type="application/vnd.openxmlformats-officedocument.wordprocessingml.document")
    response["Content-Disposition"] = f'attachment; filename="{plan.code}.docx"'
    return response
