"""Every write of the supervision domain: policy check, write, audit entry — in one place.

Views, the API, the Excel import, the CLI and the scheduled jobs call these functions.
"""
from __future__ import annotations

import contextvars
import datetime as dt
import re
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, Iterable, Iterator, Mapping, Sequence

from django.db import transaction
from django.db.models import Max, Q
from django.utils import timezone

from chengyun.core import audit
from chengyun.core.calendar import get_calendar
from chengyun.core.errors import Conflict, Forbidden, Invalid
from chengyun.core.notify import notify
from chengyun.geo.models import Street, Unit
from chengyun.people import policy
from chengyun.people import roles as R
from chengyun.people.models import Person

from . import config, metrics
from .models import (AgendaItem, Category, DailyEntry, Decision, JudicialSupport, KeyTask, Mediation, Meeting, Milestone,
                     ProjectMeasure, StalledProject, Status, StatusHistory, TaskLink)
from .status import Evaluation, MilestoneState, evaluate

MEETING_CATEGORY = "meeting"  # the category of action items made from decisions


_as_of: contextvars.ContextVar[dt.date | None] = contextvars.ContextVar("supervision_as_of", default=None)


def today() -> dt.date:
    """The date status is evaluated for: the local date, or the date set by `as_of`."""
    return _as_of.get() or timezone.localdate()


@contextmanager
def as_of(day: dt.date) -> Iterator[None]:
    """Backfill history (the demo's three months, an import of last quarter's records): within
    the block, writes are evaluated as of `day` instead of the wall-clock date."""
    token = _as_of.set(day)
    try:
        yield
    finally:
        _as_of.reset(token)


def _local(now: dt.datetime | None) -> dt.datetime:
    return timezone.localtime(now or timezone.now())


# -- categories ------------------------------------------------------------------------------

def create_category(user: Any, *, code: str, name: str, order: int = 100) -> Category:
    policy.require_create(user, Category)
    code, name = (code or "").strip(), (name or "").strip()
    if not re.fullmatch(r"[a-z][a-z0-9_]{1,31}", code):
        raise Invalid("类别编码应为小写字母开头的字母、数字或下划线（2-32 位）", code="bad_category_code")
    if not name:
        raise Invalid("请填写类别名称", code="category_name_required")
    if Category.objects.filter(Q(code=code) | Q(name=name)).exists():
        raise Conflict("类别编码或名称已存在", code="category_exists")
    category = Category.objects.create(code=code, name=name, order=order)
    audit.created(category)
    return category


def resolve_category(value: Any) -> Category:
    if isinstance(value, Category):
        return value
    text = str(value or "").strip()
    found = Category.objects.filter(Q(code=text) | Q(name=text), active=True).first()
    if found is None:
        names = "、".join(Category.objects.filter(active=True).values_list("name", flat=True))
        raise Invalid(f"任务类别“{text}”不存在（可选：{names}）", code="unknown_category")
    return found


def resolve_source(value: str) -> str:
    text = str(value or "").strip()
    for code, label in KeyTask.Source.choices:
        if text in (code, str(label)):
            return code
    labels = "、".join(str(label) for _, label in KeyTask.Source.choices)
    raise Invalid(f"任务来源“{text}”无效（可选：{labels}）", code="unknown_source")


# -- tasks -------------------------------------------------------------------------------------

@dataclass(frozen=True)
class MilestoneSpec:
    name: str
    planned_date: dt.date
    weight: int = 1


def _milestone_specs(milestones: Iterable[Any]) -> list[MilestoneSpec]:
    specs = []
    for m in milestones:
        if isinstance(m, MilestoneSpec):
            specs.append(m)
        elif isinstance(m, Mapping):
            specs.append(MilestoneSpec(m["name"], m["planned_date"], int(m.get("weight", 1))))
        else:
            specs.append(MilestoneSpec(*m))
    return specs


def _check_milestone(name: str, planned_date: Any, weight: Any, start: dt.date, deadline: dt.date) -> None:
    if not (name or "").strip():
        raise Invalid("请填写节点名称", code="milestone_name_required")
    if not isinstance(planned_date, dt.date):
        raise Invalid(f"节点“{name}”的计划日期有误", code="bad_milestone_date")
    if planned_date < start or planned_date > deadline:
        raise Invalid(f"节点“{name}”的计划日期 {planned_date} 应在任务起止日期（{start} 至 {deadline}）之内", code="milestone_out_of_range")
    if not isinstance(weight, int) or weight < 1 or weight > 100:
        raise Invalid(f"节点“{name}”的权重应为 1-100 的整数", code="bad_weight")


def _next_code(year: int) -> str:
    prefix = f"DB{year}-"
    last = KeyTask.objects.filter(code__startswith=prefix).aggregate(m=Max("code"))["m"]
    seq = int(last.rsplit("-", 1)[1]) + 1 if last else 1
    return f"{prefix}{seq:03d}"


def _check_metric(metric_key: str) -> None:
    if metric_key and metrics.get(metric_key) is None:
        known = "、".join(m.key for m in metrics.all_metrics()) or "无"
        raise Invalid(f"量化指标“{metric_key}”未注册（已注册：{known}）", code="unknown_metric")


def create_task(user: Any, *, title: str, source: str, category: Any, lead_unit: Unit, deadline: dt.date,
                description: str = "", responsible_leader: Person | None = None, links: Sequence[tuple[str, str]] = (),
                start_date: dt.date | None = None, cooperating_units: Iterable[Unit] = (), milestones: Iterable[Any] = (),
                metric_key: str = "", metric_street: str = "", code: str | None = None) -> KeyTask:
    """Register a key task. `category` is a Category, its code or its name; `source` a code or its
    Chinese label; `milestones` (name, planned_date, weight) tuples; `links` (kind, code) pairs.
    `user` None means the platform itself, e.g. another module escalating its own findings."""
    if user is not None:  # None: the platform itself (another module's automation, a scheduled job)
        policy.require_create(user, KeyTask, unit_id=getattr(lead_unit, "pk", None), message="只有城运中心和区领导可以下达督办任务")
    title = (title or "").strip()
    if not title:
        raise Invalid("请填写任务名称", code="title_required")
    if not isinstance(lead_unit, Unit):
        raise Invalid("请选择牵头单位", code="lead_unit_required")
    if not isinstance(deadline, dt.date):
        raise Invalid("完成时限格式有误", code="bad_deadline")
    start = start_date or today()
    if deadline < start:
        raise Invalid(f"完成时限 {deadline} 早于开始日期 {start}", code="deadline_before_start")
    cat = resolve_category(category)
    src = resolve_source(source)
    specs = _milestone_specs(milestones)
    for s in specs:
        _check_milestone(s.name, s.planned_date, s.weight, start, deadline)
    _check_metric(metric_key)
    if metric_street and not Street.objects.filter(code=metric_street).exists():
        raise Invalid(f"街道编码 {metric_street} 不存在", code="unknown_street")
    with transaction.atomic():
        task = KeyTask(title=title[:200], source=src, category=cat, description=description, lead_unit=lead_unit,
                       responsible_leader=responsible_leader, start_date=start, deadline=deadline,
                       metric_key=metric_key, metric_street=metric_street,
                       created_by=user if getattr(user, "is_authenticated", False) else None)
        if code:
            if KeyTask.objects.filter(code=code).exists():
                raise Conflict(f"任务编号 {code} 已存在", code="task_code_exists")
            task.code = code
        else:
            task.code = _next_code(start.year)
        task.save()
        task.cooperating_units.set([u for u in cooperating_units if u.pk != lead_unit.pk])
        Milestone.objects.bulk_create([Milestone(task=task, name=s.name.strip()[:200], planned_date=s.planned_date, weight=s.weight, order=i)
                                       for i, s in enumerate(specs)])
        for kind, link_code in links:
            _add_link(task, kind, link_code)
        audit.created(task)
        refresh_status(task, today())
    return task


TASK_FIELDS = {"title", "description", "deadline", "start_date", "responsible_leader", "category", "lead_unit",
               "cooperating_units", "metric_key", "metric_street", "source"}


def update_task(user: Any, task: KeyTask, **changes: Any) -> KeyTask:
    policy.require_write(user, task, "只有城运中心和区领导可以修改督办任务")
    unknown = set(changes) - TASK_FIELDS
    if unknown:
        raise Invalid(f"不能修改字段：{'、'.join(sorted(unknown))}", code="bad_field")
    before = audit.snapshot(task)
    with transaction.atomic():
        for name, value in changes.items():
            if name == "category":
                value = resolve_category(value)
            elif name == "source":
                value = resolve_source(value)
            elif name == "metric_key":
                _check_metric(value or "")
                value = value or ""
            elif name == "title":
                value = (value or "").strip()
                if not value:
                    raise Invalid("请填写任务名称", code="title_required")
            elif name == "metric_street":
                value = value or ""
                if value and not Street.objects.filter(code=value).exists():
                    raise Invalid(f"街道编码 {value} 不存在", code="unknown_street")
            if name == "cooperating_units":
                task.cooperating_units.set(value)
            else:
                setattr(task, name, value)
        if task.deadline < task.start_date:
            raise Invalid(f"完成时限 {task.deadline} 早于开始日期 {task.start_date}", code="deadline_before_start")
        outside = [m.name for m in task.milestones.all() if not task.start_date <= m.planned_date <= task.deadline]
        if outside:
            raise Invalid(f"节点“{'”“'.join(outside)}”的计划日期将超出任务起止日期，请先调整节点", code="milestone_out_of_range")
        task.save()
        audit.updated(task, before)
        refresh_status(task, today())
    return task


def add_milestone(user: Any, task: KeyTask, *, name: str, planned_date: dt.date, weight: int = 1) -> Milestone:
    policy.require_write(user, task, "只有城运中心和区领导可以调整任务节点")
    _check_milestone(name, planned_date, weight, task.start_date, task.deadline)
    with transaction.atomic():
        order = (task.milestones.aggregate(m=Max("order"))["m"] or 0) + 1
        milestone = Milestone.objects.create(task=task, name=name.strip()[:200], planned_date=planned_date, weight=weight, order=order)
        audit.created(milestone)
        refresh_status(task, today())
    return milestone


def update_milestone(user: Any, milestone: Milestone, **changes: Any) -> Milestone:
    task = milestone.task
    policy.require_write(user, task, "只有城运中心和区领导可以调整任务节点")
    unknown = set(changes) - {"name", "planned_date", "weight"}
    if unknown:
        raise Invalid(f"不能修改字段：{'、'.join(sorted(unknown))}", code="bad_field")
    before = audit.snapshot(milestone)
    for k, v in changes.items():
        setattr(milestone, k, v)
    _check_milestone(milestone.name, milestone.planned_date, milestone.weight, task.start_date, task.deadline)
    with transaction.atomic():
        milestone.save()
        audit.updated(milestone, before)
        refresh_status(task, today())
    return milestone


def complete_milestone(user: Any, milestone: Milestone, *, on: dt.date | None = None) -> Milestone:
    """The ops center confirms a milestone done (lead units report percentages in daily entries)."""
    policy.require_write(user, milestone.task, "只有城运中心和区领导可以确认节点完成")
    if milestone.done_on:
        raise Conflict(f"节点“{milestone.name}”已于 {milestone.done_on} 完成", code="milestone_done")
    before = audit.snapshot(milestone)
    with transaction.atomic():
        milestone.done_on, milestone.progress = on or today(), 100
        milestone.save()
        audit.updated(milestone, before, verb="complete_milestone")
        refresh_status(milestone.task, max(milestone.done_on, today()))
    return milestone


def _add_link(task: KeyTask, kind: str, code: str, label: str = "") -> TaskLink:
    kind, code = (kind or "").strip(), str(code or "").strip()
    if not re.fullmatch(r"[a-z_]+\.[a-z_]+", kind):
        raise Invalid(f"关联对象类型“{kind}”应形如 cases.case、drainage.pipe", code="bad_link_kind")
    if not code:
        raise Invalid("请填写关联对象编号", code="link_code_required")
    link, made = TaskLink.objects.get_or_create(task=task, kind=kind, code=code[:100], defaults={"label": label[:200]})
    if made:
        audit.created(link)
    return link


def add_link(user: Any, task: KeyTask, kind: str, code: str, label: str = "") -> TaskLink:
    if user is not None:
        policy.require_write(user, task, "只有城运中心和区领导可以关联对象")
    with transaction.atomic():
        return _add_link(task, kind, code, label)


LINK_URLS = {
    "cases.case": "/cases/?q={code}",
    "drainage.pipe": "/drainage/pipes/{code}/",
    "drainage.node": "/drainage/trace/?node={code}&direction=upstream",
    "water.alert": "/water/alerts/{code}/",
    "water.outfall": "/water/outfalls/{code}/",
    "water.section": "/water/sections/{code}/",
    "roads.segment": "/roads/segments/{code}/",
    "supervision.stalled": "/supervision/projects/{code}/",
    "supervision.task": "/supervision/?q={code}",
}


def link_url(link: TaskLink) -> str:
    pattern = LINK_URLS.get(link.kind)
    return pattern.format(code=link.code) if pattern else ""


# -- task workflow -----------------------------------------------------------------------------

@dataclass(frozen=True)
class Transition:
    label: str
    sources: frozenset[str]
    target: str
    roles: frozenset[str]
    note_required: bool = False


WIDE = R.OPS_CENTER | {R.DISTRICT_LEADER, R.SYSADMIN}
A, C, X = KeyTask.State.ACTIVE, KeyTask.State.COMPLETED, KeyTask.State.CANCELLED
# The one table of a key task's life: 推进中 → 已完成 (销号) or 已撤销; either may be reopened.
TRANSITIONS: dict[str, Transition] = {
    "complete": Transition("销号", frozenset({A}), C, WIDE),
    "cancel": Transition("撤销", frozenset({A}), X, WIDE, note_required=True),
    "reopen": Transition("重新督办", frozenset({C, X}), A, WIDE, note_required=True),
}


def allowed_actions(user: Any, task: KeyTask) -> list[tuple[str, str]]:
    p = policy.principal(user)
    return [(k, t.label) for k, t in TRANSITIONS.items() if task.state in t.sources and p.has(t.roles)]


def transition(user: Any, task: KeyTask, action: str, *, note: str = "", on: dt.date | None = None) -> KeyTask:
    t = TRANSITIONS.get(action)
    if t is None:
        raise Invalid(f"未知操作“{action}”", code="unknown_action")
    policy.require_write(user, task)
    policy.require_role(user, t.roles, f"您的角色无权{t.label}")
    if task.state not in t.sources:
        raise Conflict(f"任务当前为“{task.get_state_display()}”，不能{t.label}", code="bad_transition")
    if t.note_required and not note.strip():
        raise Invalid(f"{t.label}需填写说明", code="note_required")
    day = on or today()
    if action == "complete":
        undone = [m.name for m in task.milestones.all() if not m.done_on and m.progress < 100]
        if undone:
            raise Conflict(f"尚有节点未完成：{'、'.join(undone)}", code="milestones_undone")
    before = {"state": task.state}
    with transaction.atomic():
        task.state = t.target
        task.state_note = note.strip()
        task.completed_on = day if t.target == C else None
        if action == "complete":
            # A reported 100% becomes a confirmed completion on销号.
            for m in task.milestones.filter(done_on__isnull=True):
                m.done_on = day
                m.save(update_fields=["done_on"])
        task.save()
        audit.action(task, action, before=before, after={"state": task.state, "note": task.state_note})
        refresh_status(task, day)
    return task


# -- status ------------------------------------------------------------------------------------

def milestone_states(task: KeyTask, on: dt.date, reports: Iterable[dict] | None = None) -> list[MilestoneState]:
    """The milestones as they stood at the end of `on`, rebuilt from the daily entries, so that
    a past month's report shows that month's status and not today's. `reports`: the task's
    entries' milestone_progress up to `on` in date order, when the caller has loaded them."""
    milestones = list(task.milestones.all())
    reported: dict[int, float] = {}
    if reports is None:
        reports = task.daily_entries.filter(date__lte=on).order_by("date").values_list("milestone_progress", flat=True)
    for progress in reports:
        for key, value in (progress or {}).items():
            reported[int(key)] = float(value)
    states = []
    for m in milestones:
        done = m.done_on is not None and m.done_on <= on
        states.append(MilestoneState(m.name, m.planned_date, float(m.weight), 100.0 if done else reported.get(m.pk, 0.0), done))
    return states


def evaluate_task(task: KeyTask, on: dt.date, reports: Iterable[dict] | None = None) -> Evaluation:
    measured = None
    if task.metric_key:
        measured = metrics.percent(task.metric_key, on, task.metric_street)
    completed = task.state == KeyTask.State.COMPLETED and task.completed_on is not None and task.completed_on <= on
    return evaluate(today=on, start=task.start_date, deadline=task.deadline, milestones=milestone_states(task, on, reports),
                    completed=completed, measured=measured, thresholds=config.thresholds())


def refresh_status(task: KeyTask, on: dt.date | None = None, reports: Iterable[dict] | None = None) -> Evaluation:
    """Re-evaluate the task's 红黄绿 status and record a StatusHistory row when it changes.
    A derived value, not a user's edit: the history is its audit trail."""
    on = on or today()
    result = evaluate_task(task, on, reports)
    previous = task.status if task.status_on else ""
    fields = {"status": result.status, "status_reason": result.reason[:300], "planned_progress": round(result.planned, 1),
              "actual_progress": round(result.actual, 1), "status_on": on}
    KeyTask.objects.filter(pk=task.pk).update(**fields)
    for k, v in fields.items():
        setattr(task, k, v)
    if previous != result.status:
        StatusHistory.objects.create(task=task, on=on, status=result.status, previous=previous, reason=result.reason[:300],
                                     planned_progress=fields["planned_progress"], actual_progress=fields["actual_progress"])
    return result


def refresh_all(on: dt.date | None = None) -> dict[str, int]:
    on = on or today()
    counts = {Status.GREEN: 0, Status.YELLOW: 0, Status.RED: 0}
    # Tasks closed before `on` keep their colour; the others' entries are read in one query.
    tasks = list(KeyTask.objects.exclude(state=KeyTask.State.CANCELLED).exclude(completed_on__lt=on, status_on__isnull=False)
                 .prefetch_related("milestones"))
    reports: dict[int, list[dict]] = {t.pk: [] for t in tasks}
    for task_id, progress in (DailyEntry.objects.filter(date__lte=on, task_id__in=list(reports)).order_by("date", "id")
                              .values_list("task_id", "milestone_progress")):
        reports[task_id].append(progress)
    for task in tasks:
        with transaction.atomic():
            counts[refresh_status(task, on, reports[task.pk]).status] += 1
    return {str(k): v for k, v in counts.items()}


def status_on(task: KeyTask, on: dt.date) -> str:
    """The recorded status on a past date (last change on or before it)."""
    row = task.status_history.filter(on__lte=on).order_by("-on", "-id").first()
    return row.status if row else task.status


# -- daily entries -----------------------------------------------------------------------------

def cutoff_at(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, config.cutoff()))


def tasks_due_entries(day: dt.date):
    """Tasks whose lead unit owes a daily entry for `day`: active and started, on a working day."""
    if not get_calendar().is_workday(day):
        return KeyTask.objects.none()
    # A task closed since then still owed that day's entry (a past day's brief stays true).
    return KeyTask.objects.filter(start_date__lte=day).filter(
        Q(state=KeyTask.State.ACTIVE) | Q(state=KeyTask.State.COMPLETED, completed_on__gte=day))


def submit_daily_entry(user: Any, task: KeyTask, *, work_done: str, problems: str = "", coordination: str = "",
                       milestone_progress: Mapping[Any, Any] | None = None, date: dt.date | None = None,
                       now: dt.datetime | None = None) -> DailyEntry:
    """A lead unit's entry for one task and day; a second submission the same day replaces the
    first. After the cut-off the entry is accepted and marked late."""
    moment = _local(now)
    day = date or moment.date()
    policy.require_create(user, DailyEntry, unit_id=task.lead_unit_id, message="只有牵头单位可以填报该任务的日调度")
    if task.state != KeyTask.State.ACTIVE:
        raise Conflict(f"任务“{task.title}”{task.get_state_display()}，无需填报", code="task_not_active")
    if day > moment.date():
        raise Invalid("不能填报未来日期", code="future_date")
    if day < task.start_date:
        raise Invalid(f"任务自 {task.start_date} 开始，不能填报更早的日期", code="before_start")
    if not (work_done or "").strip():
        raise Invalid("请填写当日工作情况", code="work_done_required")
    progress = _check_progress(task, milestone_progress or {})
    with transaction.atomic():
        entry = DailyEntry.objects.select_for_update().filter(task=task, date=day).first()
        late = moment > cutoff_at(day)
        if entry is not None:
            if not policy.can_write(user, entry):
                raise Forbidden(f"该日进展已由{entry.unit.name}填报，只能由填报单位修改", code="not_own_entry")
            before = audit.snapshot(entry)
            entry.work_done, entry.problems, entry.coordination = work_done.strip(), problems.strip(), coordination.strip()
            entry.milestone_progress = progress
            entry.late = entry.late or late
            entry.submitted_at = moment
            entry.submitted_by = user if getattr(user, "is_authenticated", False) else entry.submitted_by
            entry.save()
            audit.updated(entry, before)
        else:
            entry = DailyEntry.objects.create(task=task, date=day, unit_id=task.lead_unit_id, work_done=work_done.strip(),
                                              problems=problems.strip(), coordination=coordination.strip(),
                                              milestone_progress=progress, late=late, submitted_at=moment,
                                              submitted_by=user if getattr(user, "is_authenticated", False) else None)
            audit.created(entry)
        _apply_progress(task, progress, day)
        refresh_status(task, moment.date())
    return entry


def _check_progress(task: KeyTask, progress: Mapping[Any, Any]) -> dict[str, int]:
    milestones = {m.pk: m for m in task.milestones.all()}
    clean: dict[str, int] = {}
    for key, value in progress.items():
        try:
            mid = int(key)
        except (TypeError, ValueError):
            raise Invalid(f"节点编号“{key}”有误", code="bad_milestone") from None
        if mid not in milestones:
            raise Invalid(f"节点 {mid} 不属于该任务", code="bad_milestone")
        try:
            pct = int(value)
        except (TypeError, ValueError):
            raise Invalid(f"节点“{milestones[mid].name}”的进度应为 0-100 的整数", code="bad_progress") from None
        if not 0 <= pct <= 100:
            raise Invalid(f"节点“{milestones[mid].name}”的进度应为 0-100 的整数", code="bad_progress")
        clean[str(mid)] = pct
    return clean


def _apply_progress(task: KeyTask, progress: Mapping[str, int], day: dt.date) -> None:
    for m in task.milestones.filter(pk__in=[int(k) for k in progress]):
        if m.done_on:
            continue
        m.progress = progress[str(m.pk)]
        m.save(update_fields=["progress"])


def missing_entries(day: dt.date) -> list[KeyTask]:
    """Tasks without an entry for `day` (empty on rest days)."""
    submitted = DailyEntry.objects.filter(date=day).values_list("task_id", flat=True)
    return list(tasks_due_entries(day).exclude(pk__in=submitted).select_related("lead_unit", "category"))


@dataclass
class BoardRow:
    task: KeyTask
    entry: DailyEntry | None
    missing: bool  # owed and not in (after the cut-off: flagged)
    overdue: bool  # missing after the cut-off


def daily_board(user: Any, day: dt.date, now: dt.datetime | None = None) -> list[BoardRow]:
    moment = _local(now)
    past_cutoff = moment > cutoff_at(day)
    due = set(tasks_due_entries(day).values_list("pk", flat=True))
    tasks = policy.visible(user, KeyTask.objects.filter(start_date__lte=day)
                           .filter(Q(state=KeyTask.State.ACTIVE) | Q(state=KeyTask.State.COMPLETED, completed_on__gte=day))
                           .select_related("lead_unit", "category").order_by("lead_unit__code", "code"))
    entries = {e.task_id: e for e in DailyEntry.objects.filter(date=day, task__in=tasks)}
    rows = []
    for t in tasks:
        e = entries.get(t.pk)
        missing = e is None and t.pk in due
        rows.append(BoardRow(t, e, missing, missing and past_cutoff))
    return rows


# -- meetings ----------------------------------------------------------------------------------

def week_of(day: dt.date) -> tuple[dt.date, dt.date]:
    start = day - dt.timedelta(days=day.weekday())
    return start, start + dt.timedelta(days=6)


def agenda_for(day: dt.date) -> list[dict[str, Any]]:
    """The agenda generated for a consultation on `day`: the red tasks, then the yellow ones,
    then every coordination request of the past seven days on a task not already listed."""
    items: list[dict[str, Any]] = []
    listed: set[int] = set()
    active = KeyTask.objects.filter(state=KeyTask.State.ACTIVE).select_related("lead_unit").order_by("deadline", "code")
    for status in (Status.RED, Status.YELLOW):
        for t in active.filter(status=status):
            requests = list(t.daily_entries.filter(date__gt=day - dt.timedelta(days=7), date__lte=day).exclude(coordination="")
                            .order_by("date").values_list("coordination", flat=True))
            reason = t.status_reason
            if requests:
                reason += "；需协调：" + "；".join(dict.fromkeys(requests))
            items.append({"task": t, "topic": f"{t.title}（{t.lead_unit.short_name or t.lead_unit.name}）", "status": status, "reason": reason})
            listed.add(t.pk)
    coordination = (DailyEntry.objects.filter(date__gt=day - dt.timedelta(days=7), date__lte=day, task__state=KeyTask.State.ACTIVE)
                    .exclude(coordination="").exclude(task_id__in=listed).select_related("task", "task__lead_unit").order_by("task__code", "date"))
    by_task: dict[int, list[DailyEntry]] = {}
    for e in coordination:
        by_task.setdefault(e.task_id, []).append(e)
    for entries in by_task.values():
        t = entries[0].task
        text = "；".join(dict.fromkeys(e.coordination for e in entries))
        items.append({"task": t, "topic": f"{t.title}（{t.lead_unit.short_name or t.lead_unit.name}）协调事项",
                      "status": t.status, "reason": f"需协调：{text}"})
    return items


def create_meeting(user: Any, *, date: dt.date, title: str = "", kind: str = Meeting.Kind.WEEKLY, chair: str = "",
                   attendees: str = "", location: str = "") -> Meeting:
    """Schedule a consultation with its agenda generated from the tasks' current state."""
    policy.require_create(user, Meeting, message="只有城运中心和区领导可以组织会商")
    if kind not in Meeting.Kind.values:
        raise Invalid("会议类型有误", code="bad_kind")
    week_start, week_end = week_of(date)
    # The agenda reads the stored colours: bring them up to date first.
    refresh_all(min(date, today()))
    with transaction.atomic():
        meeting = Meeting.objects.create(
            kind=kind, date=date, week_start=week_start, chair=chair, attendees=attendees, location=location,
            title=title or f"重点任务周会商（{week_start.month}月{week_start.day}日—{week_end.month}月{week_end.day}日）")
        AgendaItem.objects.bulk_create([
            AgendaItem(meeting=meeting, order=i, task=item["task"], topic=item["topic"][:300], reason=item["reason"], status=item["status"])
            for i, item in enumerate(agenda_for(date), start=1)])
        audit.created(meeting)
    return meeting


def add_agenda_item(user: Any, meeting: Meeting, *, topic: str, task: KeyTask | None = None, reason: str = "") -> AgendaItem:
    policy.require_write(user, meeting)
    if not topic.strip():
        raise Invalid("请填写议题", code="topic_required")
    with transaction.atomic():
        order = (meeting.items.aggregate(m=Max("order"))["m"] or 0) + 1
        item = AgendaItem.objects.create(meeting=meeting, order=order, task=task, topic=topic.strip()[:300], reason=reason,
                                         status=task.status if task else "")
        audit.created(item)
    return item


def record_meeting(user: Any, meeting: Meeting, *, chair: str | None = None, attendees: str | None = None,
                   location: str | None = None, summary: str | None = None,
                   discussions: Mapping[int, str] | None = None, held: bool = True) -> Meeting:
    """The meeting record: who chaired and attended, what was said on each item."""
    policy.require_write(user, meeting, "只有城运中心和区领导可以记录会商")
    before = audit.snapshot(meeting)
    items = {i.pk: i for i in meeting.items.all()}
    for item_id in (discussions or {}):
        if int(item_id) not in items:
            raise Invalid(f"议题 {item_id} 不属于该会议", code="bad_item")
    if held and not (chair if chair is not None else meeting.chair).strip():
        raise Invalid("请填写主持人", code="chair_required")
    with transaction.atomic():
        for field, value in (("chair", chair), ("attendees", attendees), ("location", location), ("summary", summary)):
            if value is not None:
                setattr(meeting, field, value.strip())
        meeting.held = held
        meeting.save()
        audit.updated(meeting, before, verb="record_meeting")
        for item_id, text in (discussions or {}).items():
            item = items[int(item_id)]
            if item.discussion != text:
                ib = audit.snapshot(item)
                item.discussion = text.strip()
                item.save(update_fields=["discussion"])
                audit.updated(item, ib)
    return meeting


def add_decision(user: Any, meeting: Meeting, *, text: str, owner_unit: Unit, deadline: dt.date,
                 item: AgendaItem | None = None, related_task: KeyTask | None = None,
                 responsible_leader: Person | None = None) -> Decision:
    """议定事项 → an action item: a key task of source 会议议定 owned by `owner_unit`, tracked,
    reported on daily and coloured red-yellow-green like any other."""
    policy.require_write(user, meeting, "只有城运中心和区领导可以确定议定事项")
    text = (text or "").strip()
    if not text:
        raise Invalid("请填写议定内容", code="text_required")
    if item is not None and item.meeting_id != meeting.pk:
        raise Invalid("议题不属于该会议", code="bad_item")
    if related_task is None and item is not None:
        related_task = item.task
    if deadline < meeting.date:
        raise Invalid(f"完成时限 {deadline} 早于会议日期 {meeting.date}", code="deadline_before_meeting")
    with transaction.atomic():
        action = create_task(
            user, title=text[:200], source=KeyTask.Source.MEETING, category=MEETING_CATEGORY, lead_unit=owner_unit,
            deadline=deadline, start_date=meeting.date, description=f"{meeting.title}议定：{text}",
            responsible_leader=responsible_leader or (related_task.responsible_leader if related_task else None),
            milestones=[MilestoneSpec("落实完成", deadline, 1)],
            links=[("supervision.task", related_task.code)] if related_task else ())
        decision = Decision.objects.create(meeting=meeting, item=item, text=text, owner_unit=owner_unit, deadline=deadline,
                                           action_task=action, related_task=related_task)
        audit.created(decision)
    _notify_unit(owner_unit, f"会商议定事项：{text[:60]}", body=f"{meeting.title}议定，请于{deadline}前落实并每日报送进展。",
                 url=action.get_absolute_url(), dedup_key=f"sup:decision:{decision.pk}")
    return decision


# -- stalled projects --------------------------------------------------------------------------

PROJECT_FIELDS = {"name", "address", "street", "developer", "contractor", "households", "blockers", "blocker_note",
                  "funding_gap", "stalled_since", "resumed_on", "delivered_on"}


def _check_blockers(blockers: Iterable[str]) -> list[str]:
    values = list(blockers)
    bad = [b for b in values if b not in StalledProject.Blocker.values]
    if bad:
        raise Invalid(f"停工原因无效：{'、'.join(bad)}", code="bad_blocker")
    return values


def create_stalled_project(user: Any, *, name: str, developer: str, lead_unit: Unit, households: int = 0,
                           blockers: Iterable[str] = (), **fields: Any) -> StalledProject:
    policy.require_create(user, StalledProject, unit_id=lead_unit.pk, message="只有城运中心、区领导或牵头单位可以登记项目")
    if not (name or "").strip() or not (developer or "").strip():
        raise Invalid("请填写项目名称和开发企业", code="name_required")
    unknown = set(fields) - PROJECT_FIELDS
    if unknown:
        raise Invalid(f"未知字段：{'、'.join(sorted(unknown))}", code="bad_field")
    if households < 0:
        raise Invalid("涉及户数不能为负", code="bad_households")
    with transaction.atomic():
        project = StalledProject.objects.create(name=name.strip(), developer=developer.strip(), lead_unit=lead_unit,
                                                households=households, blockers=_check_blockers(blockers), **fields)
        audit.created(project)
    return project


def update_stalled_project(user: Any, project: StalledProject, **changes: Any) -> StalledProject:
    policy.require_write(user, project, "只能修改本单位牵头的项目")
    unknown = set(changes) - PROJECT_FIELDS
    if unknown:
        raise Invalid(f"不能修改字段：{'、'.join(sorted(unknown))}", code="bad_field")
    if "blockers" in changes:
        changes["blockers"] = _check_blockers(changes["blockers"])
    before = audit.snapshot(project)
    with transaction.atomic():
        for k, v in changes.items():
            setattr(project, k, v)
        project.save()
        audit.updated(project, before)
    return project


def add_measure(user: Any, project: StalledProject, *, kind: str, amount: Any, date: dt.date, note: str = "") -> ProjectMeasure:
    policy.require_create(user, ProjectMeasure, unit_id=project.lead_unit_id, message="只能为本单位牵头的项目登记措施")
    if kind not in ProjectMeasure.Kind.values:
        raise Invalid("措施类型有误", code="bad_measure_kind")
    try:
        from decimal import Decimal

        value = Decimal(str(amount))
    except Exception:
        raise Invalid("金额格式有误", code="bad_amount") from None
    if value < 0:
        raise Invalid("金额不能为负", code="bad_amount")
    with transaction.atomic():
        measure = ProjectMeasure.objects.create(project=project, kind=kind, amount=value, date=date, note=note)
        audit.created(measure)
    return measure


def add_mediation(user: Any, project: StalledProject, *, date: dt.date, parties: str, outcome: str, resolved: bool = False) -> Mediation:
    policy.require_create(user, Mediation, unit_id=project.lead_unit_id, message="只能为本单位牵头的项目登记调解")
    if not parties.strip() or not outcome.strip():
        raise Invalid("请填写当事方和调解结果", code="mediation_required")
    with transaction.atomic():
        record = Mediation.objects.create(project=project, date=date, parties=parties.strip(), outcome=outcome.strip(), resolved=resolved)
        audit.created(record)
    return record


def add_judicial_support(user: Any, project: StalledProject, *, date: dt.date, court: str, kind: str,
                         case_number: str = "", note: str = "") -> JudicialSupport:
    policy.require_create(user, JudicialSupport, unit_id=project.lead_unit_id, message="只能为本单位牵头的项目登记司法支持")
    if not court.strip() or not kind.strip():
        raise Invalid("请填写法院和司法措施", code="judicial_required")
    with transaction.atomic():
        record = JudicialSupport.objects.create(project=project, date=date, court=court.strip(), kind=kind.strip(),
                                                case_number=case_number.strip(), note=note)
        audit.created(record)
    return record


def supervise_project(user: Any, project: StalledProject, *, deadline: dt.date, milestones: Iterable[Any] = (),
                      responsible_leader: Person | None = None, start_date: dt.date | None = None) -> KeyTask:
    """Put a stalled project under supervision as a key task of category 半拉子工程."""
    if project.task_id:
        raise Conflict(f"项目“{project.name}”已列入督办（{project.task.code}）", code="already_supervised")
    with transaction.atomic():
        task = create_task(user, title=f"{project.name}盘活处置", source=KeyTask.Source.RECTIFICATION, category="stalled",
                           lead_unit=project.lead_unit, deadline=deadline, start_date=start_date,
                           description=f"开发企业：{project.developer}；涉及{project.households}户；{project.blocker_note}",
                           responsible_leader=responsible_leader, milestones=milestones,
                           links=[("supervision.stalled", str(project.pk))])
        before = audit.snapshot(project)
        project.task = task
        project.save(update_fields=["task"])
        audit.updated(project, before, verb="supervise")
    return task


# -- reminders and escalation ------------------------------------------------------------------

def unit_users(unit_id: int) -> list[Any]:
    people = Person.objects.filter(unit_id=unit_id, active=True, user__isnull=False, roles__code=R.DEPT_HANDLER).select_related("user")
    return [p.user for p in people.distinct()]


def ops_users() -> list[Any]:
    people = Person.objects.filter(active=True, user__isnull=False, roles__code__in=[R.OPS_SHIFT_LEADER]).select_related("user")
    return [p.user for p in people.distinct()]


def _notify_unit(unit: Unit, title: str, **kwargs: Any) -> int:
    return len(notify(unit_users(unit.pk), title, **kwargs))


def send_cutoff_reminders(day: dt.date) -> int:
    """Before the cut-off: remind each lead unit of the entries it still owes today."""
    sent = 0
    by_unit: dict[int, list[KeyTask]] = {}
    for t in missing_entries(day):
        by_unit.setdefault(t.lead_unit_id, []).append(t)
    cut = config.cutoff().strftime("%H:%M")
    for unit_id, tasks in by_unit.items():
        names = "、".join(t.title for t in tasks[:5]) + (f"等{len(tasks)}项" if len(tasks) > 5 else "")
        sent += len(notify(unit_users(unit_id), f"请于{cut}前报送今日督办任务进展（{len(tasks)}项未报）", body=names,
                           url="/supervision/daily/entry/", level="warning", dedup_key=f"sup:cutoff:{unit_id}:{day}"))
    return sent


def flag_missing(day: dt.date) -> int:
    """After the cut-off: tell the ops center which units have not reported, and the units themselves."""
    missing = missing_entries(day)
    if not missing:
        return 0
    units = sorted({t.lead_unit.short_name or t.lead_unit.name for t in missing})
    sent = len(notify(ops_users(), f"{day.month}月{day.day}日日调度：{len(missing)}项任务未按时报送",
                      body="未报单位：" + "、".join(units), url=f"/supervision/daily/?date={day}", level="warning",
                      dedup_key=f"sup:missing:{day}"))
    for unit_id in {t.lead_unit_id for t in missing}:
        sent += len(notify(unit_users(unit_id), "今日督办任务进展逾时未报", body="请尽快补报，逾时填报将记入月度通报。",
                           url="/supervision/daily/entry/", level="danger", dedup_key=f"sup:late:{unit_id}:{day}"))
    return sent


def remind_deadlines(day: dt.date) -> int:
    """Milestones and deadlines coming up within the configured days: remind the lead unit once each."""
    horizon = day + dt.timedelta(days=config.deadline_remind_days())
    sent = 0
    for t in KeyTask.objects.filter(state=KeyTask.State.ACTIVE, deadline__gte=day, deadline__lte=horizon):
        sent += len(notify(unit_users(t.lead_unit_id), f"督办任务将于{t.deadline}到期：{t.title}", url=t.get_absolute_url(),
                           level="warning", dedup_key=f"sup:deadline:{t.pk}:{t.deadline}"))
    for m in Milestone.objects.filter(task__state=KeyTask.State.ACTIVE, done_on__isnull=True, progress__lt=100,
                                      planned_date__gte=day, planned_date__lte=horizon).select_related("task"):
        sent += len(notify(unit_users(m.task.lead_unit_id), f"节点将于{m.planned_date}到期：{m.task.title}—{m.name}",
                           url=m.task.get_absolute_url(), level="warning", dedup_key=f"sup:milestone:{m.pk}:{m.planned_date}"))
    return sent


def escalate_overdue(day: dt.date) -> int:
    """Overdue (a deadline or milestone passed undone): the responsible leader is told, once per overdue item."""
    sent = 0
    for t in KeyTask.objects.filter(state=KeyTask.State.ACTIVE, status=Status.RED).select_related("responsible_leader__user", "lead_unit"):
        overdue_keys = []
        if t.deadline < day:
            overdue_keys.append(f"deadline:{t.deadline}")
        overdue_keys += [f"m{m.pk}" for m in t.milestones.filter(done_on__isnull=True, progress__lt=100, planned_date__lt=day)]
        if not overdue_keys:
            continue
        leader = t.responsible_leader.user if t.responsible_leader and t.responsible_leader.user_id else None
        recipients = [leader] if leader else ops_users()
        sent += len(notify(recipients, f"督办任务逾期：{t.title}", body=f"牵头单位：{t.lead_unit.name}。{t.status_reason}",
                           url=t.get_absolute_url(), level="danger", dedup_key=f"sup:escalate:{t.pk}:{','.join(overdue_keys)}"[:200]))
    return sent


def tick(now: dt.datetime | None = None) -> dict[str, Any]:
    """The scheduler's heartbeat (every few minutes): whatever is due at this local time happens
    once — dedup keys and the archive make repeated ticks harmless."""
    moment = _local(now)
    day = moment.date()
    done: dict[str, Any] = {}
    if KeyTask.objects.filter(state=KeyTask.State.ACTIVE).exclude(status_on=day).exists():
        done["refreshed"] = refresh_all(day)
        done["deadline_reminders"] = remind_deadlines(day)
        done["escalations"] = escalate_overdue(day)
    else:
        # A measured target moves with another module's data, not with any write here.
        measured = KeyTask.objects.filter(state=KeyTask.State.ACTIVE).exclude(metric_key="").prefetch_related("milestones")
        for task in measured:
            with transaction.atomic():
                refresh_status(task, day)
        done["measured"] = len(measured)
    if not get_calendar().is_workday(day):
        return done
    cut = cutoff_at(day)
    if moment >= cut - dt.timedelta(minutes=config.remind_minutes()) and moment < cut:
        done["cutoff_reminders"] = send_cutoff_reminders(day)
    if moment >= cut:
        done["missing_flagged"] = flag_missing(day)
    if moment >= timezone.make_aware(dt.datetime.combine(day, config.brief_at())):
        from chengyun.reports import services as reports

        if reports.latest("supervision-daily", day.isoformat()) is None:
            run, _ = reports.generate(None, "supervision-daily", {"date": day.isoformat()})
            done["brief"] = run.pk
            notify(ops_users(), f"{day.month}月{day.day}日日调度简报已生成", url=f"/supervision/daily/brief/?date={day}",
                   dedup_key=f"sup:brief:{day}")
    return done


def get_task(user: Any, pk: Any) -> KeyTask:
    return policy.get_visible(user, KeyTask.objects.select_related("category", "lead_unit", "responsible_leader"), pk=pk)
