"""Pages: task board, task detail with its milestone timeline, the daily entry form, the daily
board and brief, meetings, stalled projects, the Excel import and the monthly summary."""
from __future__ import annotations

import datetime as dt
import functools
from collections import Counter

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from chengyun.core.calendar import get_calendar
from chengyun.core.dates import parse_date
from chengyun.core.errors import DomainError, Forbidden, NotFound
from chengyun.geo.models import Unit
from chengyun.geo.views import filter_from_query
from chengyun.people import policy
from chengyun.people import roles as R
from chengyun.people.lookup import referenced

from . import importers, reporting, services
from .filters import ProjectFilter, TaskFilter
from .models import Category, DailyEntry, KeyTask, Meeting, ProjectMeasure, StalledProject, Status


def page(view):
    """Domain errors on pages: 404/403 as such; anything else on a POST goes back with the message."""
    @functools.wraps(view)
    def wrapper(request, *args, **kwargs):
        try:
            return view(request, *args, **kwargs)
        except NotFound:
            raise Http404() from None
        except Forbidden as exc:
            raise PermissionDenied(exc.message) from None
        except DomainError as exc:
            if request.method != "POST":
                raise
            messages.error(request, exc.message)
            return redirect(request.META.get("HTTP_REFERER") or reverse("supervision:board"))
    return login_required(wrapper)


def _is_wide(user) -> bool:
    return policy.principal(user).has(services.WIDE)


def _day(request) -> dt.date:
    try:
        return dt.date.fromisoformat(request.GET.get("date") or "")
    except ValueError:
        return services.dates.today()


@page
def board(request):
    filters, values = filter_from_query(TaskFilter, request)
    visible = policy.visible(request.user, KeyTask.objects.select_related("category", "lead_unit", "responsible_leader"))
    qs = filters.filter(visible)
    if "state" not in values:
        qs = qs.filter(state=KeyTask.State.ACTIVE)
    counts = Counter(visible.filter(state=KeyTask.State.ACTIVE).values_list("status", flat=True))
    status_rank = {"red": 0, "yellow": 1, "green": 2}
    tasks = sorted(qs, key=lambda t: (status_rank.get(t.status, 3), t.deadline, t.code))
    paged = Paginator(tasks, 50).get_page(request.GET.get("page"))
    return render(request, "supervision/board.html", {
        "page": paged, "values": values, "counts": {s: counts.get(s, 0) for s in ("red", "yellow", "green")},
        "categories": Category.objects.filter(active=True), "statuses": Status.choices, "states": KeyTask.State.choices,
        "units": Unit.objects.filter(lead_tasks__isnull=False).distinct().order_by("kind", "code"),
        "completed": visible.filter(state=KeyTask.State.COMPLETED).count(), "is_wide": _is_wide(request.user),
    })


def _timeline(task: KeyTask, milestones) -> dict:
    """Positions (percent of the task's span) for the CSS Gantt-like bar chart."""
    start = task.start_date
    end = max([task.deadline] + [m.planned_date for m in milestones] + [m.done_on for m in milestones if m.done_on])
    span = max((end - start).days, 1)
    today = services.dates.today()

    def pos(d: dt.date) -> float:
        return round(100.0 * min(max((d - start).days, 0), span) / span, 2)

    bars = []
    previous = start
    for m in milestones:
        left = pos(min(previous, m.planned_date))
        bars.append({"m": m, "left": left, "width": max(pos(m.planned_date) - left, 0.8), "done_at": pos(m.done_on) if m.done_on else None,
                     "late": (m.done_on or today) > m.planned_date and not (m.done_on and m.done_on <= m.planned_date)})
        previous = max(previous, m.planned_date)
    months = []
    d = dt.date(start.year, start.month, 1)
    while d <= end:
        if d >= start:
            months.append({"label": f"{d.month}月", "left": pos(d)})
        d = dt.date(d.year + (d.month // 12), d.month % 12 + 1, 1)
    return {"bars": bars, "today": pos(today) if start <= today <= end else None, "deadline": pos(task.deadline), "months": months}


@page
def task_detail(request, pk: int):
    task = services.get_task(request.user, pk)
    milestones = list(task.milestones.all())
    entries = list(policy.visible(request.user, task.daily_entries.select_related("unit", "submitted_by")).order_by("-date")[:60])
    names = {str(m.pk): m.name for m in milestones}
    for e in entries:
        e.progress_list = [(names.get(k, k), v) for k, v in (e.milestone_progress or {}).items()]
    measured = None
    if task.metric_key:
        from . import metrics

        metric = metrics.get(task.metric_key)
        if metric is not None:
            from chengyun.geo.models import Street

            names = dict(Street.objects.values_list("code", "name"))
            today = services.dates.today()
            measured = {"label": metric.label, "rows": []}
            for code in [""] + sorted(names):
                value = metrics.measure(task.metric_key, today, code)
                if value is not None and (code == "" or code in names):
                    done, total = value
                    measured["rows"].append({"name": names.get(code, "全区"), "done": done, "total": total,
                                             "pct": round(100.0 * done / total, 1) if total else None, "scope": code == task.metric_street})
    return render(request, "supervision/task_detail.html", {
        "measured": measured,
        "task": task, "milestones": milestones, "timeline": _timeline(task, milestones), "entries": entries,
        "history": task.status_history.order_by("-on", "-id")[:30],
        "links": [(l, services.link_url(l)) for l in task.links.all()],
        "actions": services.allowed_actions(request.user, task), "can_edit": policy.can_write(request.user, task),
        "can_report": task.state == KeyTask.State.ACTIVE and _can_report(request.user, task),
        "decision": getattr(task, "decision", None), "agenda": task.agenda_items.select_related("meeting").order_by("-meeting__date")[:10],
        "project": getattr(task, "stalled_project", None),
    })


def _can_report(user, task: KeyTask) -> bool:
    p = policy.principal(user)
    return p.has(services.WIDE) or (p.has(R.UNIT_BOUND) and p.unit_id == task.lead_unit_id)


@page
@require_POST
def task_action(request, pk: int):
    task = services.get_task(request.user, pk)
    action = request.POST.get("action", "")
    if action == "complete_milestone":
        m = referenced(task.milestones.all(), request.POST.get("milestone"), what="节点", field="milestone", optional=False)
        services.complete_milestone(request.user, m)
        messages.success(request, f"已确认节点“{m.name}”完成")
    else:
        services.transition(request.user, task, action, note=request.POST.get("note", ""))
        messages.success(request, f"已{services.TRANSITIONS[action].label}：{task.title}")
    return redirect("supervision:task", pk=task.pk)


@page
def daily_entry(request):
    """The form a lead unit fills in each working day: one block per task it leads."""
    day = services.dates.today()
    p = policy.principal(request.user)
    tasks = policy.visible(request.user, KeyTask.objects.filter(state=KeyTask.State.ACTIVE, start_date__lte=day)
                           .select_related("lead_unit", "category").prefetch_related("milestones"))
    if not p.has(services.WIDE):
        tasks = tasks.filter(lead_unit_id=p.unit_id)
    elif request.GET.get("unit"):
        tasks = tasks.filter(lead_unit__code=request.GET["unit"])
    task_id = request.GET.get("task") or request.POST.get("task")
    if task_id:
        tasks = tasks.filter(pk=task_id)
    if request.method == "POST":
        task = services.get_task(request.user, request.POST.get("task"))
        progress = {}
        for m in task.milestones.all():
            raw = request.POST.get(f"m{m.pk}", "").strip()
            if raw != "":
                progress[m.pk] = raw
        services.submit_daily_entry(request.user, task, work_done=request.POST.get("work_done", ""), problems=request.POST.get("problems", ""),
                                    coordination=request.POST.get("coordination", ""), milestone_progress=progress)
        messages.success(request, f"已报送：{task.title}")
        return redirect(request.get_full_path())
    tasks = list(tasks.order_by("lead_unit__code", "code")[:100])
    existing = {e.task_id: e for e in DailyEntry.objects.filter(date=day, task__in=tasks)}
    for t in tasks:
        t.today_entry = existing.get(t.pk)
        reported = (t.today_entry.milestone_progress if t.today_entry else {}) or {}
        t.milestone_rows = [(m, reported.get(str(m.pk), m.progress)) for m in t.milestones.all()]
    cutoff = services.cutoff_at(day)
    return render(request, "supervision/daily_entry.html", {
        "is_wide": p.has(services.WIDE), "unit": request.GET.get("unit", ""),
        "units": Unit.objects.filter(lead_tasks__state=KeyTask.State.ACTIVE).distinct().order_by("kind", "code") if p.has(services.WIDE) else (),
        "tasks": tasks, "day": day, "cutoff": timezone.localtime(cutoff), "past_cutoff": timezone.now() > cutoff,
        "workday": get_calendar().is_workday(day),
    })


@page
def daily_board(request):
    day = _day(request)
    rows = services.daily_board(request.user, day)
    return render(request, "supervision/daily_board.html", {
        "rows": rows, "day": day, "prev": day - dt.timedelta(days=1), "next": day + dt.timedelta(days=1),
        "submitted": sum(1 for r in rows if r.entry), "missing": sum(1 for r in rows if r.missing),
        "late": sum(1 for r in rows if r.entry and r.entry.late), "cutoff": timezone.localtime(services.cutoff_at(day)),
    })


@page
def daily_brief(request):
    day = _day(request)
    from chengyun.reports import services as reports

    brief = reporting.daily_brief(day)
    if request.GET.get("format") == "docx":
        return _docx(reporting.daily_docx(brief), brief.title)
    return render(request, "supervision/brief.html", {"brief": brief, "day": day, "run": reports.latest("supervision-daily", day.isoformat()),
                                                      "prev": day - dt.timedelta(days=1), "next": day + dt.timedelta(days=1)})


def _docx(data: bytes, title: str) -> HttpResponse:
    from urllib.parse import quote

    response = HttpResponse(data, content_type="application/vnd.openxmlformats-officedocument.wordprocessingml.document")
    response["Content-Disposition"] = f"attachment; filename*=UTF-8''{quote(title)}.docx"
    return response


@page
def meetings(request):
    if request.method == "POST":
        day = parse_date(request.POST.get("date"), "会议日期格式有误", field="date")
        m = services.create_meeting(request.user, date=day, chair=request.POST.get("chair", ""), location=request.POST.get("location", ""))
        messages.success(request, f"已生成议程：{len(m.items.all())} 个议题")
        return redirect("supervision:meeting", pk=m.pk)
    qs = policy.visible(request.user, Meeting.objects.all())
    paged = Paginator(qs, 30).get_page(request.GET.get("page"))
    for m in paged:
        m.decision_count = m.decisions.count()
        m.item_count = m.items.count()
    return render(request, "supervision/meetings.html", {"page": paged, "values": {}, "can_create": _is_wide(request.user),
                                                          "today": services.dates.today()})


@page
def meeting_detail(request, pk: int):
    meeting = policy.get_visible(request.user, Meeting.objects.all(), pk=pk)
    if request.method == "POST":
        what = request.POST.get("what")
        if what == "record":
            discussions = {item.pk: request.POST.get(f"item{item.pk}", "") for item in meeting.items.all()}
            services.record_meeting(request.user, meeting, chair=request.POST.get("chair", ""), attendees=request.POST.get("attendees", ""),
                                    location=request.POST.get("location", ""), summary=request.POST.get("summary", ""), discussions=discussions)
            messages.success(request, "会议记录已保存")
        elif what == "decision":
            unit = referenced(Unit.objects, request.POST.get("owner_unit"), what="责任单位", field="owner_unit", lookup="code",
                              code="unknown_unit")
            if unit is None:
                messages.error(request, "请选择责任单位")
                return redirect("supervision:meeting", pk=pk)
            deadline = parse_date(request.POST.get("deadline"), "完成时限格式有误", field="deadline")
            item = referenced(meeting.items.all(), request.POST.get("item"), what="本次会议的议题", field="item", code="bad_item")
            d = services.add_decision(request.user, meeting, text=request.POST.get("text", ""), owner_unit=unit, deadline=deadline, item=item)
            messages.success(request, f"已形成督办事项 {d.action_task.code}")
        return redirect("supervision:meeting", pk=pk)
    return render(request, "supervision/meeting_detail.html", {
        "meeting": meeting, "items": meeting.items.select_related("task", "task__lead_unit"),
        "decisions": meeting.decisions.select_related("owner_unit", "action_task", "item"),
        "can_edit": policy.can_write(request.user, meeting), "units": Unit.objects.filter(active=True).order_by("kind", "code"),
    })


@page
def projects(request):
    filters, values = filter_from_query(ProjectFilter, request)
    qs = filters.filter(policy.visible(request.user, StalledProject.objects.select_related("lead_unit", "street", "task")))
    paged = Paginator(qs.order_by("name"), 50).get_page(request.GET.get("page"))
    return render(request, "supervision/projects.html", {"page": paged, "values": values})


def _post_date(request, name: str, optional: bool = False) -> dt.date | None:
    return parse_date(request.POST.get(name), "日期格式有误", field=name, optional=optional)


@page
def project_detail(request, pk: int):
    project = policy.get_visible(request.user, StalledProject.objects.select_related("lead_unit", "street", "task"), pk=pk)
    if request.method == "POST":
        what, post = request.POST.get("what"), request.POST
        if what == "measure":
            services.add_measure(request.user, project, kind=post.get("kind", ""), amount=post.get("amount") or "0",
                                 date=_post_date(request, "date"), note=post.get("note", ""))
        elif what == "mediation":
            services.add_mediation(request.user, project, date=_post_date(request, "date"), parties=post.get("parties", ""),
                                   outcome=post.get("outcome", ""), resolved=bool(post.get("resolved")))
        elif what == "judicial":
            services.add_judicial_support(request.user, project, date=_post_date(request, "date"), court=post.get("court", ""),
                                          kind=post.get("kind", ""), case_number=post.get("case_number", ""), note=post.get("note", ""))
        elif what == "supervise":
            task = services.supervise_project(request.user, project, deadline=_post_date(request, "deadline"))
            messages.success(request, f"已列入督办：{task.code}")
            return redirect("supervision:task", pk=task.pk)
        messages.success(request, "已保存")
        return redirect("supervision:project", pk=pk)
    return render(request, "supervision/project_detail.html", {
        "p": project, "measures": project.measures.all(), "mediations": project.mediations.all(), "judicial": project.judicial.all(),
        "total": sum(m.amount for m in project.measures.all()), "can_edit": policy.can_write(request.user, project),
        "can_supervise": _is_wide(request.user) and not project.task_id, "measure_kinds": ProjectMeasure.Kind.choices,
    })


@page
def task_new(request):
    """The ops center registers a task by hand (lists of many come in through the Excel import)."""
    policy.require_create(request.user, KeyTask, message="只有城运中心和区领导可以下达督办任务")
    from chengyun.core.errors import Invalid
    from chengyun.people.models import Person

    leaders = Person.objects.filter(roles__code=R.DISTRICT_LEADER, active=True).distinct().order_by("name")
    if request.method == "POST":
        post = request.POST
        unit = referenced(Unit.objects, post.get("lead_unit"), what="牵头单位", field="lead_unit", lookup="code", code="unknown_unit")
        if unit is None:
            raise Invalid("请选择牵头单位", code="lead_unit_required")
        milestones = []
        for n, line in enumerate([l for l in post.get("milestones", "").splitlines() if l.strip()], start=1):
            bits = [b.strip() for b in line.replace("｜", "|").split("|")]
            try:
                milestones.append((bits[0], importers._date(bits[1]), int(bits[2]) if len(bits) > 2 and bits[2] else 1))
            except (IndexError, ValueError):
                raise Invalid(f"第{n}个节点应写作 名称|计划日期|权重", code="bad_milestone") from None
        leader = referenced(leaders, post.get("leader"), what="分管区领导", field="leader")
        cooperating = [referenced(Unit.objects, code, what="协办单位", field="cooperating", lookup="code", code="unknown_unit")
                       for code in post.getlist("cooperating") if code.strip()]
        task = services.create_task(
            request.user, title=post.get("title", ""), source=post.get("source", ""), category=post.get("category", ""), lead_unit=unit,
            deadline=_post_date(request, "deadline"), start_date=_post_date(request, "start_date", optional=True),
            description=post.get("description", ""), responsible_leader=leader, cooperating_units=cooperating, milestones=milestones)
        messages.success(request, f"已下达：{task.code} {task.title}")
        return redirect("supervision:task", pk=task.pk)
    return render(request, "supervision/task_new.html", {
        "sources": KeyTask.Source.choices, "categories": Category.objects.filter(active=True), "leaders": leaders,
        "units": Unit.objects.filter(active=True).order_by("kind", "code"), "today": services.dates.today(),
    })


@page
def import_page(request):
    policy.require_create(request.user, KeyTask, message="只有城运中心和区领导可以导入督办任务")
    if request.GET.get("template"):
        response = HttpResponse(importers.template_workbook(), content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
        response["Content-Disposition"] = "attachment; filename=supervision-tasks-template.xlsx"
        return response
    errors, created = [], []
    if request.method == "POST" and request.FILES.get("file"):
        try:
            created = importers.import_tasks(request.user, request.FILES["file"].read())
            messages.success(request, f"已导入 {len(created)} 项任务")
        except DomainError as exc:
            messages.error(request, exc.message)
            errors = exc.detail if isinstance(exc.detail, list) else []
    return render(request, "supervision/import.html", {"errors": errors, "created": created})


@page
def monthly(request):
    """Generate (and archive) the monthly summary for a month; the archive keeps every run."""
    from chengyun.reports import services as reports

    if request.method == "POST":
        policy.require_role(request.user, services.WIDE, "只有城运中心和区领导可以生成月度总结")
        run, _ = reports.generate(request.user, "supervision-monthly", {"month": request.POST.get("month", "")})
        messages.success(request, f"已生成：{run.title}")
        return redirect(reverse("reports:archive") + "?kind=supervision-monthly")
    today = services.dates.today()
    return render(request, "supervision/monthly.html", {"month": f"{today.year}-{today.month:02d}"})
