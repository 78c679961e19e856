"""Matrix declarations for /api/v1/supervision/."""
from __future__ import annotations

import datetime as dt

from matrix import Create, List, Open, Read, Write, by_results
from chengyun.people import policy

TASK, PROJECT, ENTRY = "supervision.KeyTask", "supervision.StalledProject", "supervision.DailyEntry"
SOON = dt.date.today() + dt.timedelta(days=60)


def task(world, scope, state="active"):
    def make():
        from chengyun.supervision import models as m
        from chengyun.supervision import services

        t = services.create_task(None, title=f"矩阵任务 {scope} {state}", source="leader", category=m.Category.objects.filter(active=True).first(),
                                 lead_unit=world.unit(scope), deadline=SOON, start_date=dt.date.today() - dt.timedelta(days=10),
                                 milestones=[("节点一", SOON, 100)])
        if state != "active":
            m.KeyTask.objects.filter(pk=t.pk).update(state=state)
            t.refresh_from_db()
        return t

    return world.once(("task", scope, state), make)


def milestone(world, scope):
    return task(world, scope).milestones.first()


def project(world, scope):
    def make():
        from chengyun.supervision import services

        return services.create_stalled_project(world.users["ops_shift_leader"], name=f"矩阵楼盘 {scope}", developer="某开发公司", lead_unit=world.unit(scope), households=10)

    return world.once(("project", scope), make)


def meeting(world, scope):
    def make():
        from chengyun.supervision import services

        return services.create_meeting(world.users["ops_shift_leader"], date=dt.date.today(), title="周调度会")

    return world.once(("meeting", scope), make)


def decision(world, scope):
    def make():
        from chengyun.supervision import services

        return services.add_decision(world.users["ops_shift_leader"], meeting(world, scope), text=f"议定 {scope}", owner_unit=world.unit(scope), deadline=SOON)

    return world.once(("decision", scope), make)


def entry(world, scope):
    def make():
        from chengyun.supervision import models as m

        t = task(world, scope)
        return m.DailyEntry.objects.create(task=t, unit=t.lead_unit, date=dt.date.today() - dt.timedelta(days=1), work_done="推进中",
                                          submitted_at=dt.datetime.now(dt.timezone.utc))

    return world.once(("entry", scope), make)


def _wide_writers_of(label):
    return lambda: policy.rule_for(_model(label)).wide_write


def _model(label):
    from django.apps import apps

    return apps.get_model(label)


TASK_PATH = lambda t: {"task_id": t.pk}  # noqa: E731
PROJECT_PATH = lambda p: {"project_id": p.pk}  # noqa: E731
DAY = str(dt.date.today())

SPEC = {
    "chengyun_supervision_api_list_tasks": List(model=TASK, make=task, found=by_results("code", "code"), query=lambda w, s, o: {"limit": 500}),
    "chengyun_supervision_api_create_task": Create(model=TASK, body=lambda w, s, o: {
        "title": "新任务", "source": "leader", "category": _model("supervision.Category").objects.filter(active=True).first().code,
        "lead_unit": w.unit(s).code, "deadline": str(SOON)}),
    "chengyun_supervision_api_import_tasks": Open(gate=_wide_writers_of(TASK), files=lambda w, s, o: ({"file": _tasks_xlsx()}, {})),
    "chengyun_supervision_api_get_task": Read(model=TASK, make=task, path=TASK_PATH),
    "chengyun_supervision_api_patch_task": Write(model=TASK, make=task, path=TASK_PATH, body=lambda w, s, o: {"description": "补充说明"}),
    "chengyun_supervision_api_transition": Write(model=TASK, make=task, path=TASK_PATH, body=lambda w, s, o: {"action": "cancel", "note": "任务调整"},
                                                 gate=lambda: _lifecycle_roles("cancel")),
    "chengyun_supervision_api_list_milestones": Read(model=TASK, make=task, path=TASK_PATH),
    "chengyun_supervision_api_add_milestone": Write(model=TASK, make=task, path=TASK_PATH,
                                                    body=lambda w, s, o: {"name": "节点二", "planned_date": str(SOON), "weight": 10}),
    "chengyun_supervision_api_patch_milestone": Write(model="supervision.Milestone", make=milestone, path=lambda m: {"milestone_id": m.pk},
                                                      body=lambda w, s, o: {"name": "节点一（调整）"}),
    "chengyun_supervision_api_complete_milestone": Write(model="supervision.Milestone", make=milestone, path=lambda m: {"milestone_id": m.pk}),
    "chengyun_supervision_api_status_history": Read(model=TASK, make=task, path=TASK_PATH),
    "chengyun_supervision_api_add_link": Write(model=TASK, make=task, path=TASK_PATH, body=lambda w, s, o: {"kind": "cases.case", "code": "20260301000123"}),
    "chengyun_supervision_api_list_entries": List(model=ENTRY, make=entry, found=lambda data, e: any(r.get("id") == e.pk for r in data["results"]),
                                                  query=lambda w, s, o: {"limit": 500}),
    # Only the lead unit reports on a task (and the ops centre and leaders for it).
    "chengyun_supervision_api_submit_entry": Create(model=ENTRY, body=lambda w, s, o: {"task_id": task(w, s).pk, "work_done": "今日完成排查"},
                                                    parent=TASK),
    "chengyun_supervision_api_missing": Open(),
    "chengyun_supervision_api_list_meetings": Open(),
    "chengyun_supervision_api_create_meeting": Create(model="supervision.Meeting", body=lambda w, s, o: {"date": DAY}),
    "chengyun_supervision_api_get_meeting": Read(model="supervision.Meeting", make=meeting, path=lambda m: {"meeting_id": m.pk}),
    "chengyun_supervision_api_record_meeting": Write(model="supervision.Meeting", make=meeting, path=lambda m: {"meeting_id": m.pk},
                                                     body=lambda w, s, o: {"chair": "区长", "summary": "会议纪要"}),
    "chengyun_supervision_api_add_decision": Write(model="supervision.Meeting", make=meeting, path=lambda m: {"meeting_id": m.pk},
                                                   body=lambda w, s, o: {"text": "限期整改", "owner_unit": w.unit(s).code, "deadline": str(SOON)}),
    "chengyun_supervision_api_list_decisions": List(model="supervision.Decision", make=decision, found=lambda data, d: any(r.get("id") == d.pk for r in data["results"])),
    "chengyun_supervision_api_categories": Open(),
    "chengyun_supervision_api_create_category": Create(model="supervision.Category", body=lambda w, s, o: {"code": "matrix", "name": "矩阵类别"}),
    "chengyun_supervision_api_list_metrics": Open(),
    "chengyun_supervision_api_list_projects": List(model=PROJECT, make=project, found=by_results("id", "pk"), query=lambda w, s, o: {"limit": 500}),
    "chengyun_supervision_api_create_project": Create(model=PROJECT, body=lambda w, s, o: {"name": "新楼盘", "developer": "某公司", "lead_unit": w.unit(s).code}),
    "chengyun_supervision_api_get_project": Read(model=PROJECT, make=project, path=PROJECT_PATH),
    "chengyun_supervision_api_add_measure": Write(model="supervision.ProjectMeasure", make=project, path=PROJECT_PATH,
                                                  body=lambda w, s, o: {"kind": "special_loan", "amount": "100", "date": DAY}),
    "chengyun_supervision_api_add_mediation": Write(model="supervision.Mediation", make=project, path=PROJECT_PATH,
                                                    body=lambda w, s, o: {"date": DAY, "parties": "业主与开发商", "outcome": "达成一致"}),
    "chengyun_supervision_api_add_judicial": Write(model="supervision.JudicialSupport", make=project, path=PROJECT_PATH,
                                                   body=lambda w, s, o: {"date": DAY, "court": "区法院", "kind": "诉前调解"}),
    # Putting a project under supervision creates a key task: the task's creators only.
    "chengyun_supervision_api_supervise": Write(model=PROJECT, make=project, path=PROJECT_PATH, gate=_wide_writers_of(TASK),
                                                body=lambda w, s, o: {"deadline": str(SOON), "milestones": [{"name": "复工", "planned_date": str(SOON), "weight": 100}]}),
}


def _lifecycle_roles(action):
    from chengyun.supervision.services import lifecycle

    return lifecycle.TRANSITIONS[action].roles


def _readers_of(label):
    rule = policy.rule_for(_model(label))
    return rule.read | rule.wide_write


def _tasks_xlsx():
    import io

    from django.core.files.uploadedfile import SimpleUploadedFile
    from openpyxl import Workbook

    from chengyun.supervision import importers

    category = _model("supervision.Category").objects.filter(active=True).first()
    wb = Workbook()
    ws = wb.active
    ws.append(list(importers.COLUMNS))
    ws.append(["矩阵导入任务", "整改要求", category.name, "D01", str(SOON)] + [""] * (len(importers.COLUMNS) - 5))
    buf = io.BytesIO()
    wb.save(buf)
    return SimpleUploadedFile("tasks.xlsx", buf.getvalue(), "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
