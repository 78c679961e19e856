"""Pages of research work: the plans (a new plan for the leaders and the ops centre), a plan with its
visits, report and measures, each written by the form of the service its API operation calls.
A team member who is not district-wide (a department's staff on the team) reaches their plans from
the notification that put them on the team, and records visits there."""
from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _l
from django.utils.translation import pgettext_lazy

from chengyun.core import pageforms
from chengyun.core.errors import Forbidden
from chengyun.geo.models import Community, Street, Unit
from chengyun.people import policy
from chengyun.people import roles as R
from chengyun.people.lookup import referenced
from chengyun.people.models import Person

from . import services, workflow
from .access import RESEARCHERS
from .models import ResearchMeasure, ResearchPlan

LABELS = {
    "topic": _l("调研课题"), "leader": _l("带队领导"), "leader_id": _l("带队领导"), "lead_unit": _l("牵头单位"), "lead_unit_id": _l("牵头单位"),
    "team_ids": _l("调研组成员"), "start_date": _l("开始日期"), "end_date": _l("结束日期"), "places": _l("调研地点"), "questions": _l("调研提纲"),
    "action": _l("操作"), "report_title": _l("调研报告标题"), "report_summary": _l("基本情况"), "report_problems": _l("存在问题"),
    "date": _l("走访日期"), "place": _l("走访地点"), "findings": _l("调研发现"), "people_met": _l("座谈走访对象"),
    "street": pgettext_lazy("行政区划", "街道"), "community": _l("社区（村）"), "grid": _l("网格编码"), "compound": _l("小区编码"),
    "photos": _l("照片"), "text": _l("对策建议"), "outcome": _l("转化方式"), "owner_unit": _l("责任单位"), "owner_unit_id": _l("责任单位"),
    "deadline": _l("完成时限"),
}
posts_service = pageforms.refusals(LABELS)


def _plans(user):
    plans = policy.visible(user, ResearchPlan.objects.select_related("leader", "lead_unit"))
    if not policy.principal(user).has(R.DISTRICT_WIDE) and not plans.exists():
        raise Forbidden(_("您的角色无权查看调研工作"))
    return plans


def _people():
    return Person.objects.filter(user__is_active=True).select_related("unit").order_by("unit__code", "name")


@login_required
@posts_service
def plan_list(request):
    plans = list(_plans(request.user))
    may_plan = policy.principal(request.user).has(RESEARCHERS)
    if request.method == "POST":
        f = request.POST
        leader = referenced(Person.objects.all(), f.get("leader_id"), field="leader_id", optional=False)
        unit = referenced(Unit.objects.all(), f.get("lead_unit_id"), field="lead_unit_id", optional=False)
        team = [referenced(Person.objects.all(), pk, field="team_ids", optional=False) for pk in f.getlist("team_ids")]
        plan = services.create_plan(request.user, topic=f.get("topic", ""), leader=leader, lead_unit=unit, start_date=f.get("start_date"),
                                    end_date=f.get("end_date"), team=team, places=f.get("places", ""), questions=f.get("questions", ""))
        messages.success(request, _("已制定调研计划 %(code)s") % {"code": plan.code})
        return redirect(plan.get_absolute_url())
    return render(request, "research/list.html", {
        "rows": [{"plan": p, "state": workflow.label(p.state), "totals": services.conversion_totals(p)} for p in plans],
        "may_plan": may_plan, "people": _people() if may_plan else [], "units": Unit.objects.order_by("code") if may_plan else [],
        "team_ids": request.POST.getlist("team_ids"),
    })


@login_required
@posts_service
def plan_detail(request, pk: int):
    plan = policy.get_visible(request.user, _plans(request.user).prefetch_related("team"), pk=pk)
    if request.method == "POST":
        f = request.POST
        action = f.get("action", "")
        if action == "visit":
            services.add_visit(request.user, plan, date=f.get("date"), place=f.get("place", ""), findings=f.get("findings", ""),
                               people_met=f.get("people_met", ""), street=f.get("street") or None, community=f.get("community") or None,
                               grid=f.get("grid") or None, compound=f.get("compound") or None, photos=request.FILES.getlist("photos"))
            messages.success(request, _("已记录走访"))
        elif action == "measure":
            unit = referenced(Unit.objects.all(), f.get("owner_unit_id"), field="owner_unit_id", optional=False)
            services.add_measure(request.user, plan, text=f.get("text", ""), outcome=f.get("outcome", ""), owner_unit=unit,
                                 deadline=f.get("deadline"))
            messages.success(request, _("已提出对策建议，转为督办事项"))
        else:
            services.transition(request.user, plan, action, report_title=f.get("report_title", ""),
                                report_summary=f.get("report_summary", ""), report_problems=f.get("report_problems", ""))
        return redirect(plan.get_absolute_url())
    writable = policy.can_write(request.user, plan)
    return render(request, "research/detail.html", {
        "plan": plan, "state": workflow.label(plan.state),
        "visits": plan.visits.select_related("street", "community", "grid", "compound").prefetch_related("photos"),
        "conversions": services.conversions(plan), "totals": services.conversion_totals(plan),
        "actions": [t for t in services.allowed_actions(request.user, plan) if t.action != "report"],
        "can_report": any(t.action == "report" for t in services.allowed_actions(request.user, plan)),
        "can_visit": writable and plan.state in workflow.VISITS_IN, "can_measure": writable and plan.state in workflow.MEASURES_IN,
        "streets": Street.objects.order_by("code"), "communities": Community.objects.select_related("street").order_by("code"),
        "units": Unit.objects.order_by("code"), "outcomes": ResearchMeasure.Outcome.choices,
    })


@login_required
def report_docx(request, pk: int):
    from .reporting import research_docx

    plan = policy.get_visible(request.user, _plans(request.user), pk=pk)
    response = HttpResponse(research_docx(plan), content_type="application/vnd.openxmlformats-officedocument.wordprocessingml.document")
    response["Content-Disposition"] = f'attachment; filename="{plan.code}.docx"'
    return response
