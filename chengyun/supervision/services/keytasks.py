"""Key tasks (重点任务): categories, creation and edits, milestones and links to other apps' objects."""
from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import Any, Iterable, Mapping, Sequence

from django.db import transaction
from django.db.models import Max, Q

from chengyun.core import audit
from chengyun.core.errors import Conflict, Invalid
from chengyun.geo.models import Street, Unit
from chengyun.people import policy
from chengyun.people.lookup import referenced
from chengyun.people.models import Person

from .. import metrics
from ..models import Category, KeyTask, Milestone, TaskLink
from . import dates
from .lifecycle import refresh_status


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


def _check_metric_street(code: str) -> None:
    """The street a metric is read for is kept as its code; an unknown code is refused, naming the field."""
    referenced(Street.objects, code, what="街道编码", field="metric_street", lookup="code", code="unknown_street")


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
    start = start_date or dates.today()
    if deadline < start:
        raise Invalid(f"完成时限 {deadline} 早于开始日期 {start}", code="deadline_before_start")
    cat = resolve_category(category)
    src = resolve_source(source)
    specs = _milestone_specs(milestones)
    for s in specs:
        _check_milestone(s.name, s.planned_date, s.weight, start, deadline)
    _check_metric(metric_key)
    _check_metric_street(metric_street)
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
        refresh_status(task, dates.today())
    return task


def check_fields(changes: Mapping[str, Any], allowed: set[str]) -> None:
    """An update names only fields it may change (422 bad_field naming the others)."""
    unknown = set(changes) - allowed
    if unknown:
        raise Invalid(f"不能修改字段：{'、'.join(sorted(unknown))}", code="bad_field")


TASK_FIELDS = {"title", "description", "deadline", "start_date", "responsible_leader", "category", "lead_unit",
               "cooperating_units", "metric_key", "metric_street", "source"}


def update_task(user: Any, task: KeyTask, **changes: Any) -> KeyTask:
    policy.require_write(user, task, "只有城运中心和区领导可以修改督办任务")
    check_fields(changes, TASK_FIELDS)
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
                _check_metric_street(value)
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
        refresh_status(task, dates.today())
    return task


def add_milestone(user: Any, task: KeyTask, *, name: str, planned_date: dt.date, weight: int = 1) -> Milestone:
    policy.require_write(user, task, "只有城运中心和区领导可以调整任务节点")
    _check_milestone(name, planned_date, weight, task.start_date, task.deadline)
    with transaction.atomic():
        order = (task.milestones.aggregate(m=Max("order"))["m"] or 0) + 1
        milestone = Milestone.objects.create(task=task, name=name.strip()[:200], planned_date=planned_date, weight=weight, order=order)
        audit.created(milestone)
        refresh_status(task, dates.today())
    return milestone


def update_milestone(user: Any, milestone: Milestone, **changes: Any) -> Milestone:
    task = milestone.task
    policy.require_write(user, task, "只有城运中心和区领导可以调整任务节点")
    check_fields(changes, {"name", "planned_date", "weight"})
    before = audit.snapshot(milestone)
    for k, v in changes.items():
        setattr(milestone, k, v)
    _check_milestone(milestone.name, milestone.planned_date, milestone.weight, task.start_date, task.deadline)
    with transaction.atomic():
        milestone.save()
        audit.updated(milestone, before)
        refresh_status(task, dates.today())
    return milestone


def complete_milestone(user: Any, milestone: Milestone, *, on: dt.date | None = None) -> Milestone:
    """The ops center confirms a milestone done (lead units report percentages in daily entries)."""
    policy.require_write(user, milestone.task, "只有城运中心和区领导可以确认节点完成")
    if milestone.done_on:
        raise Conflict(f"节点“{milestone.name}”已于 {milestone.done_on} 完成", code="milestone_done")
    before = audit.snapshot(milestone)
    with transaction.atomic():
        milestone.done_on, milestone.progress = on or dates.today(), 100
        milestone.save()
        audit.updated(milestone, before, verb="complete_milestone")
        refresh_status(milestone.task, max(milestone.done_on, dates.today()))
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


def get_task(user: Any, pk: Any) -> KeyTask:
    return policy.get_visible(user, KeyTask.objects.select_related("category", "lead_unit", "responsible_leader"), pk=pk)
