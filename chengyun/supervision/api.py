"""/api/v1/supervision/: key tasks (with their computed red-yellow-green `status`), milestones,
daily entries, meetings, decisions, stalled projects, and the Excel import."""
from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any, Literal, Optional

from django.utils import timezone
from ninja import File, Query, Router, Schema, Status
from ninja.files import UploadedFile
from pydantic import Field

from chengyun.core.pagination import Page, PageParams, paginate
from chengyun.geo.models import Street, Unit
from chengyun.people import policy
from chengyun.people.lookup import referenced
from chengyun.people.models import Person

from . import importers, metrics, services
from .filters import EntryFilter, ProjectFilter, TaskFilter
from .models import (Category, DailyEntry, Decision, KeyTask, Meeting, Milestone, StalledProject)

router = Router(tags=["督查督办"])


# -- schemas -----------------------------------------------------------------------------------

class UnitRef(Schema):
    code: str
    name: str


class MilestoneOut(Schema):
    id: int
    name: str
    planned_date: dt.date
    weight: int
    progress: int
    done_on: Optional[dt.date]


class TaskLinkOut(Schema):
    kind: str
    code: str
    label: str
    url: str


class TaskOut(Schema):
    id: int
    code: str
    title: str
    source: str
    category: str
    category_name: str
    lead_unit: UnitRef
    responsible_leader: Optional[str]
    start_date: dt.date
    deadline: dt.date
    state: str
    completed_on: Optional[dt.date]
    status: Literal["green", "yellow", "red"]
    status_reason: str
    planned_progress: float
    actual_progress: float
    metric_key: str
    url: str


class TaskDetailOut(TaskOut):
    description: str
    cooperating_units: list[UnitRef]
    milestones: list[MilestoneOut]
    links: list[TaskLinkOut]
    actions: list[str]


def _unit(u: Unit) -> dict:
    return {"code": u.code, "name": u.name}


def task_out(t: KeyTask) -> dict:
    return {
        "id": t.pk, "code": t.code, "title": t.title, "source": t.source, "category": t.category.code, "category_name": t.category.name,
        "lead_unit": _unit(t.lead_unit), "responsible_leader": t.responsible_leader.name if t.responsible_leader else None,
        "start_date": t.start_date, "deadline": t.deadline, "state": t.state, "completed_on": t.completed_on,
        "status": t.status, "status_reason": t.status_reason, "planned_progress": t.planned_progress,
        "actual_progress": t.actual_progress, "metric_key": t.metric_key, "url": t.get_absolute_url(),
    }


def _milestone(m: Milestone) -> dict:
    return {"id": m.pk, "name": m.name, "planned_date": m.planned_date, "weight": m.weight, "progress": m.progress, "done_on": m.done_on}


def task_detail(request, t: KeyTask) -> dict:
    return {**task_out(t), "description": t.description, "cooperating_units": [_unit(u) for u in t.cooperating_units.all()],
            "milestones": [_milestone(m) for m in t.milestones.all()],
            "links": [{"kind": l.kind, "code": l.code, "label": l.label, "url": services.link_url(l)} for l in t.links.all()],
            "actions": [k for k, _ in services.allowed_actions(request.user, t)]}


class MilestoneIn(Schema):
    name: str
    planned_date: dt.date
    weight: int = Field(1, ge=1, le=100)


class KeyTaskIn(Schema):
    title: str
    source: str = Field(description="来源编码或名称：superior/leader/rectification/meeting/checkup")
    category: str = Field(description="类别编码或名称")
    lead_unit: str = Field(description="牵头单位编码")
    deadline: dt.date
    start_date: Optional[dt.date] = None
    description: str = ""
    responsible_leader_id: Optional[int] = None
    cooperating_units: list[str] = []
    milestones: list[MilestoneIn] = []
    links: list[tuple[str, str]] = []
    metric_key: str = ""
    metric_street: str = ""


class TaskPatch(Schema):
    title: Optional[str] = None
    description: Optional[str] = None
    deadline: Optional[dt.date] = None
    start_date: Optional[dt.date] = None
    category: Optional[str] = None
    lead_unit: Optional[str] = None
    responsible_leader_id: Optional[int] = None
    metric_key: Optional[str] = None
    metric_street: Optional[str] = None
    cooperating_units: Optional[list[str]] = None


def _unit_by_code(code: str, field: str) -> Unit:
    return referenced(Unit.objects, code, what="单位编码", field=field, lookup="code", optional=False, code="unknown_unit")


def _person(pk: Optional[int], field: str = "responsible_leader_id") -> Optional[Person]:
    return referenced(Person.objects, pk, what="人员", field=field, code="unknown_person")


def _tasks(request):
    return policy.visible(request.user, KeyTask.objects.select_related("category", "lead_unit", "responsible_leader"))


def _task(request, task_id: int) -> KeyTask:
    return policy.get_visible(request.user, KeyTask.objects.select_related("category", "lead_unit", "responsible_leader"), pk=task_id)


# -- tasks -------------------------------------------------------------------------------------

@router.get("/tasks", response=Page[TaskOut], summary="重点任务列表")
def list_tasks(request, filters: TaskFilter = Query(...), page: PageParams = Query(...)):
    return paginate(filters.filter(_tasks(request)).order_by("deadline", "code"), page, task_out)


@router.post("/tasks", response={201: TaskDetailOut}, summary="下达重点任务")
def create_task(request, body: KeyTaskIn):
    task = services.create_task(
        request.user, title=body.title, source=body.source, category=body.category, lead_unit=_unit_by_code(body.lead_unit, "lead_unit"),
        deadline=body.deadline, start_date=body.start_date, description=body.description,
        responsible_leader=_person(body.responsible_leader_id), cooperating_units=[_unit_by_code(c, "cooperating_units") for c in body.cooperating_units],
        milestones=[(m.name, m.planned_date, m.weight) for m in body.milestones], links=body.links,
        metric_key=body.metric_key, metric_street=body.metric_street)
    return Status(201, task_detail(request, task))


class TaskImportOut(Schema):
    created: int
    tasks: list[str]


@router.post("/tasks/import", response={201: TaskImportOut}, summary="从 Excel 导入任务清单（全部成功才写入）")
def import_tasks(request, file: UploadedFile = File(...)):
    tasks = importers.import_tasks(request.user, file.read())
    return Status(201, {"created": len(tasks), "tasks": [t.code for t in tasks]})


@router.get("/tasks/{task_id}", response=TaskDetailOut, summary="重点任务详情")
def get_task(request, task_id: int):
    return task_detail(request, _task(request, task_id))


@router.patch("/tasks/{task_id}", response=TaskDetailOut, summary="修改重点任务")
def patch_task(request, task_id: int, body: TaskPatch):
    task = _task(request, task_id)
    changes: dict[str, Any] = {}
    for k, v in body.dict(exclude_unset=True).items():
        if k == "lead_unit":
            changes[k] = _unit_by_code(v, k)
        elif k == "responsible_leader_id":
            changes["responsible_leader"] = _person(v)
        elif k == "cooperating_units":
            changes[k] = [_unit_by_code(c, k) for c in v or []]
        else:
            changes[k] = v
    return task_detail(request, services.update_task(request.user, task, **changes))


class TaskTransitionIn(Schema):
    action: Literal["complete", "cancel", "reopen"]
    note: str = ""


@router.post("/tasks/{task_id}/transitions", response=TaskDetailOut, summary="销号、撤销或重新督办")
def transition(request, task_id: int, body: TaskTransitionIn):
    return task_detail(request, services.transition(request.user, _task(request, task_id), body.action, note=body.note))


@router.get("/tasks/{task_id}/milestones", response=list[MilestoneOut], summary="任务节点")
def list_milestones(request, task_id: int):
    return [_milestone(m) for m in _task(request, task_id).milestones.all()]


@router.post("/tasks/{task_id}/milestones", response={201: MilestoneOut}, summary="增加节点")
def add_milestone(request, task_id: int, body: MilestoneIn):
    m = services.add_milestone(request.user, _task(request, task_id), name=body.name, planned_date=body.planned_date, weight=body.weight)
    return Status(201, _milestone(m))


class MilestonePatch(Schema):
    name: Optional[str] = None
    planned_date: Optional[dt.date] = None
    weight: Optional[int] = Field(None, ge=1, le=100)


def _milestone_obj(request, milestone_id: int) -> Milestone:
    return policy.get_visible(request.user, Milestone.objects.select_related("task"), pk=milestone_id)


@router.patch("/milestones/{milestone_id}", response=MilestoneOut, summary="调整节点")
def patch_milestone(request, milestone_id: int, body: MilestonePatch):
    m = services.update_milestone(request.user, _milestone_obj(request, milestone_id), **body.dict(exclude_unset=True))
    return _milestone(m)


@router.post("/milestones/{milestone_id}/complete", response=MilestoneOut, summary="确认节点完成")
def complete_milestone(request, milestone_id: int):
    return _milestone(services.complete_milestone(request.user, _milestone_obj(request, milestone_id)))


class HistoryOut(Schema):
    on: dt.date
    status: str
    previous: str
    reason: str
    planned_progress: float
    actual_progress: float


@router.get("/tasks/{task_id}/status-history", response=list[HistoryOut], summary="状态变化记录")
def status_history(request, task_id: int):
    return list(_task(request, task_id).status_history.order_by("on", "id"))


class TaskLinkIn(Schema):
    kind: str
    code: str
    label: str = ""


@router.post("/tasks/{task_id}/links", response={201: TaskLinkOut}, summary="关联案件、项目或设施")
def add_link(request, task_id: int, body: TaskLinkIn):
    link = services.add_link(request.user, _task(request, task_id), body.kind, body.code, body.label)
    return Status(201, {"kind": link.kind, "code": link.code, "label": link.label, "url": services.link_url(link)})


# -- daily entries -----------------------------------------------------------------------------

class EntryOut(Schema):
    id: int
    task_id: int
    task_code: str
    task_title: str
    date: dt.date
    unit: UnitRef
    work_done: str
    problems: str
    coordination: str
    milestone_progress: dict[str, int]
    late: bool
    submitted_at: dt.datetime


def entry_out(e: DailyEntry) -> dict:
    return {"id": e.pk, "task_id": e.task_id, "task_code": e.task.code, "task_title": e.task.title, "date": e.date,
            "unit": _unit(e.unit), "work_done": e.work_done, "problems": e.problems, "coordination": e.coordination,
            "milestone_progress": e.milestone_progress, "late": e.late, "submitted_at": timezone.localtime(e.submitted_at)}


class EntryIn(Schema):
    task_id: int
    work_done: str
    problems: str = ""
    coordination: str = ""
    milestone_progress: dict[str, int] = {}
    date: Optional[dt.date] = None


@router.get("/daily-entries", response=Page[EntryOut], summary="日调度填报")
def list_entries(request, filters: EntryFilter = Query(...), page: PageParams = Query(...)):
    qs = policy.visible(request.user, DailyEntry.objects.select_related("task", "unit"))
    return paginate(filters.filter(qs).order_by("-date", "task__code"), page, entry_out)


@router.post("/daily-entries", response={201: EntryOut}, summary="填报日调度（同一天再次提交即更新）")
def submit_entry(request, body: EntryIn):
    entry = services.submit_daily_entry(request.user, _task(request, body.task_id), work_done=body.work_done, problems=body.problems,
                                        coordination=body.coordination, milestone_progress=body.milestone_progress, date=body.date)
    return Status(201, entry_out(entry))


class MissingOut(Schema):
    date: dt.date
    workday: bool
    past_cutoff: bool
    tasks: list[TaskOut]


@router.get("/daily/missing", response=MissingOut, summary="当日未报任务")
def missing(request, date: Optional[dt.date] = None):
    from chengyun.core.calendar import get_calendar

    day = date or services.dates.today()
    visible = set(_tasks(request).values_list("pk", flat=True))
    tasks = [t for t in services.missing_entries(day) if t.pk in visible]
    return {"date": day, "workday": get_calendar().is_workday(day), "past_cutoff": timezone.now() > services.cutoff_at(day),
            "tasks": [task_out(t) for t in tasks]}


# -- meetings and decisions ----------------------------------------------------------------------

class AgendaItemOut(Schema):
    id: int
    order: int
    task_id: Optional[int]
    topic: str
    reason: str
    status: str
    discussion: str


class DecisionOut(Schema):
    id: int
    meeting_id: int
    text: str
    owner_unit: UnitRef
    deadline: dt.date
    action_task: Optional[TaskOut]
    related_task_id: Optional[int]


def decision_out(d: Decision) -> dict:
    return {"id": d.pk, "meeting_id": d.meeting_id, "text": d.text, "owner_unit": _unit(d.owner_unit), "deadline": d.deadline,
            "action_task": task_out(d.action_task) if d.action_task else None, "related_task_id": d.related_task_id}


class MeetingOut(Schema):
    id: int
    kind: str
    title: str
    date: dt.date
    chair: str
    attendees: str
    location: str
    summary: str
    held: bool


class MeetingDetailOut(MeetingOut):
    items: list[AgendaItemOut]
    decisions: list[DecisionOut]


def meeting_detail(m: Meeting) -> dict:
    return {**MeetingOut.from_orm(m).dict(), "items": list(m.items.all()),
            "decisions": [decision_out(d) for d in m.decisions.select_related("owner_unit", "action_task__category", "action_task__lead_unit")]}


class MeetingIn(Schema):
    date: dt.date
    title: str = ""
    kind: Literal["weekly", "special"] = "weekly"
    chair: str = ""
    attendees: str = ""
    location: str = ""


@router.get("/meetings", response=Page[MeetingOut], summary="会商列表")
def list_meetings(request, page: PageParams = Query(...)):
    return paginate(policy.visible(request.user, Meeting.objects.all()), page)


@router.post("/meetings", response={201: MeetingDetailOut}, summary="组织会商（自动生成议题）")
def create_meeting(request, body: MeetingIn):
    m = services.create_meeting(request.user, **body.dict())
    return Status(201, meeting_detail(m))


def _meeting(request, meeting_id: int) -> Meeting:
    return policy.get_visible(request.user, Meeting.objects.all(), pk=meeting_id)


@router.get("/meetings/{meeting_id}", response=MeetingDetailOut, summary="会商详情")
def get_meeting(request, meeting_id: int):
    return meeting_detail(_meeting(request, meeting_id))


class MeetingRecordIn(Schema):
    chair: Optional[str] = None
    attendees: Optional[str] = None
    location: Optional[str] = None
    summary: Optional[str] = None
    discussions: dict[int, str] = {}
    held: bool = True


@router.post("/meetings/{meeting_id}/record", response=MeetingDetailOut, summary="记录会商")
def record_meeting(request, meeting_id: int, body: MeetingRecordIn):
    m = services.record_meeting(request.user, _meeting(request, meeting_id), chair=body.chair, attendees=body.attendees,
                                location=body.location, summary=body.summary, discussions=body.discussions, held=body.held)
    return meeting_detail(m)


class DecisionIn(Schema):
    text: str
    owner_unit: str
    deadline: dt.date
    item_id: Optional[int] = None
    related_task_id: Optional[int] = None


@router.post("/meetings/{meeting_id}/decisions", response={201: DecisionOut}, summary="议定事项（生成督办事项）")
def add_decision(request, meeting_id: int, body: DecisionIn):
    meeting = _meeting(request, meeting_id)
    item = referenced(meeting.items.all(), body.item_id, what="本次会议的议题", field="item_id", code="bad_item")
    related = _task(request, body.related_task_id) if body.related_task_id else None
    d = services.add_decision(request.user, meeting, text=body.text, owner_unit=_unit_by_code(body.owner_unit, "owner_unit"),
                              deadline=body.deadline, item=item, related_task=related)
    return Status(201, decision_out(d))


@router.get("/decisions", response=Page[DecisionOut], summary="议定事项及落实情况")
def list_decisions(request, open_only: bool = False, unit: Optional[str] = None, page: PageParams = Query(...)):
    qs = policy.visible(request.user, Decision.objects.select_related("owner_unit", "action_task__category", "action_task__lead_unit"))
    if open_only:
        qs = qs.filter(action_task__state=KeyTask.State.ACTIVE)
    if unit:
        qs = qs.filter(owner_unit__code=unit)
    return paginate(qs.order_by("-meeting__date", "id"), page, decision_out)


# -- reference -----------------------------------------------------------------------------------

class TaskCategoryOut(Schema):
    code: str
    name: str
    order: int


class CategoryIn(Schema):
    code: str
    name: str
    order: int = 100


@router.get("/categories", response=list[TaskCategoryOut], summary="任务类别")
def categories(request):
    return list(Category.objects.filter(active=True))


@router.post("/categories", response={201: TaskCategoryOut}, summary="增加任务类别")
def create_category(request, body: CategoryIn):
    return Status(201, services.create_category(request.user, code=body.code, name=body.name, order=body.order))


class MetricOut(Schema):
    key: str
    label: str


@router.get("/metrics", response=list[MetricOut], summary="可绑定的量化指标")
def list_metrics(request):
    return [{"key": m.key, "label": m.label} for m in metrics.all_metrics()]


# -- stalled projects ------------------------------------------------------------------------------

class MeasureOut(Schema):
    id: int
    kind: str
    amount: Decimal
    date: dt.date
    note: str


class MediationOut(Schema):
    id: int
    date: dt.date
    parties: str
    outcome: str
    resolved: bool


class JudicialOut(Schema):
    id: int
    date: dt.date
    court: str
    kind: str
    case_number: str
    note: str


class StalledProjectOut(Schema):
    id: int
    name: str
    address: str
    street: Optional[str]
    developer: str
    contractor: str
    households: int
    blockers: list[str]
    blocker_note: str
    funding_gap: Decimal
    stalled_since: Optional[dt.date]
    resumed_on: Optional[dt.date]
    delivered_on: Optional[dt.date]
    lead_unit: UnitRef
    task: Optional[TaskOut]


class ProjectDetailOut(StalledProjectOut):
    measures: list[MeasureOut]
    mediations: list[MediationOut]
    judicial: list[JudicialOut]


def project_out(p: StalledProject) -> dict:
    return {"id": p.pk, "name": p.name, "address": p.address, "street": p.street.code if p.street else None, "developer": p.developer,
            "contractor": p.contractor, "households": p.households, "blockers": p.blockers, "blocker_note": p.blocker_note,
            "funding_gap": p.funding_gap, "stalled_since": p.stalled_since, "resumed_on": p.resumed_on, "delivered_on": p.delivered_on,
            "lead_unit": _unit(p.lead_unit), "task": task_out(p.task) if p.task else None}


def project_detail(p: StalledProject) -> dict:
    return {**project_out(p), "measures": list(p.measures.all()), "mediations": list(p.mediations.all()), "judicial": list(p.judicial.all())}


def _projects(request):
    return policy.visible(request.user, StalledProject.objects.select_related("lead_unit", "street", "task__category", "task__lead_unit"))


def _project(request, project_id: int) -> StalledProject:
    return policy.get_visible(request.user, StalledProject.objects.select_related("lead_unit", "street", "task"), pk=project_id)


class StalledProjectIn(Schema):
    name: str
    developer: str
    lead_unit: str
    households: int = Field(0, ge=0)
    blockers: list[str] = []
    blocker_note: str = ""
    address: str = ""
    street: Optional[str] = None
    contractor: str = ""
    funding_gap: Decimal = Decimal("0")
    stalled_since: Optional[dt.date] = None


@router.get("/projects", response=Page[StalledProjectOut], summary="半拉子工程台账")
def list_projects(request, filters: ProjectFilter = Query(...), page: PageParams = Query(...)):
    return paginate(filters.filter(_projects(request)).order_by("name"), page, project_out)


@router.post("/projects", response={201: ProjectDetailOut}, summary="登记半拉子工程")
def create_project(request, body: StalledProjectIn):
    data = body.dict()
    street = data.pop("street")
    fields = {k: data.pop(k) for k in ("blocker_note", "address", "contractor", "funding_gap", "stalled_since")}
    fields["street"] = referenced(Street.objects, street, what="街道编码", field="street", lookup="code", code="unknown_street")
    p = services.create_stalled_project(request.user, name=data["name"], developer=data["developer"],
                                        lead_unit=_unit_by_code(data["lead_unit"], "lead_unit"), households=data["households"],
                                        blockers=data["blockers"], **fields)
    return Status(201, project_detail(p))


@router.get("/projects/{project_id}", response=ProjectDetailOut, summary="半拉子工程详情")
def get_project(request, project_id: int):
    return project_detail(_project(request, project_id))


class MeasureIn(Schema):
    kind: str
    amount: Decimal = Field(ge=0)
    date: dt.date
    note: str = ""


@router.post("/projects/{project_id}/measures", response={201: MeasureOut}, summary="登记纾困措施")
def add_measure(request, project_id: int, body: MeasureIn):
    return Status(201, services.add_measure(request.user, _project(request, project_id), **body.dict()))


class MediationIn(Schema):
    date: dt.date
    parties: str
    outcome: str
    resolved: bool = False


@router.post("/projects/{project_id}/mediations", response={201: MediationOut}, summary="登记纠纷调解")
def add_mediation(request, project_id: int, body: MediationIn):
    return Status(201, services.add_mediation(request.user, _project(request, project_id), **body.dict()))


class JudicialIn(Schema):
    date: dt.date
    court: str
    kind: str
    case_number: str = ""
    note: str = ""


@router.post("/projects/{project_id}/judicial", response={201: JudicialOut}, summary="登记司法支持")
def add_judicial(request, project_id: int, body: JudicialIn):
    return Status(201, services.add_judicial_support(request.user, _project(request, project_id), **body.dict()))


class SuperviseIn(Schema):
    deadline: dt.date
    milestones: list[MilestoneIn] = []
    responsible_leader_id: Optional[int] = None


@router.post("/projects/{project_id}/supervise", response={201: TaskDetailOut}, summary="列入督办")
def supervise(request, project_id: int, body: SuperviseIn):
    task = services.supervise_project(request.user, _project(request, project_id), deadline=body.deadline,
                                      milestones=[(m.name, m.planned_date, m.weight) for m in body.milestones],
                                      responsible_leader=_person(body.responsible_leader_id))
    return Status(201, task_detail(request, task))
