"""Soil and water conservation supervision (水土保持监督) of production and construction projects.

A project moves through ``workflow.PROJECT_TRANSITIONS``; checks record what inspectors find;
a violation becomes a city-management case (on-site disposal) or a supervision key task
(rectification by the developer's authority); drone detections of bare earth or spoil inside a
project's disturbed area become candidate findings to confirm on site.
"""
from __future__ import annotations

import datetime as dt
import json
from typing import Any

from django.db import transaction
from shapely.geometry import Point, mapping, shape

from chengyun.core import audit
from chengyun.core.errors import Conflict, Invalid
from chengyun.people import policy
from chengyun.people import roles as R

from .. import workflow
from ..models import ErosionProject, SupervisionCheck

# Drone detection classes that mean exposed soil or spoil (the national catalogue's event codes;
# the component catalogue reuses the numbers for other things): 积存垃圾渣土 and 施工废弃料.
DRONE_CATEGORIES = ("0111", "0305")
CASE_CATEGORY = "0305"  # 施工废弃料: what an on-site violation is filed as
SUPERVISORS = frozenset({R.DEPT_HANDLER}) | R.OPS_CENTER | {R.SYSADMIN}
_HA_PER_DEG2 = 111.32 * 0.8025 * 110.95 * 100


def create_project(user: Any, *, code: str, name: str, developer: str, street, supervisor, lng: float, lat: float,
                   disturbed_area: Any = None, watershed=None) -> ErosionProject:
    if user is not None:
        policy.require_create(user, ErosionProject, street_id=street.pk, unit_id=supervisor.pk, message="您无权登记该生产建设项目")
    for field, v in (("code", code), ("name", name), ("developer", developer)):
        if not (v or "").strip():
            raise Invalid(f"请填写“{field}”", code="field_required", detail={"field": field})
    if ErosionProject.objects.filter(code=code).exists():
        raise Invalid(f"项目编号 {code} 已存在", code="project_exists", detail={"field": "code"})
    geom, ha = _area(disturbed_area)
    with transaction.atomic():
        p = ErosionProject.objects.create(code=code.strip(), name=name.strip(), developer=developer.strip(), street=street, supervisor=supervisor,
                                          lng=float(lng), lat=float(lat), disturbed_area=geom, disturbed_ha=ha, watershed=watershed,
                                          state=workflow.REGISTERED)
        audit.created(p)
    return p


def _area(value: Any) -> tuple[str, float]:
    if not value:
        return "", 0.0
    try:
        s = shape(json.loads(value) if isinstance(value, str) else value)
    except Exception:
        raise Invalid("“disturbed_area”应为 GeoJSON 面", code="bad_geometry", detail={"field": "disturbed_area"}) from None
    if s.geom_type not in ("Polygon", "MultiPolygon"):
        raise Invalid("“disturbed_area”应为面", code="bad_geometry", detail={"field": "disturbed_area"})
    return json.dumps(mapping(s)), round(s.area * _HA_PER_DEG2, 2)


def transition(user: Any, project: ErosionProject, action: str, *, note: str = "", on: dt.date | None = None,
               plan_number: str = "") -> ErosionProject:
    t = workflow.PROJECT_TRANSITIONS.get(action)
    if t is None:
        raise Invalid(f"未知操作“{action}”", code="bad_action", detail={"field": "action", "allowed": list(workflow.PROJECT_TRANSITIONS)})
    if user is not None:
        policy.require_write(user, project, "只有监管单位可以办理该项目")
    with transaction.atomic():
        project = ErosionProject.objects.select_for_update().get(pk=project.pk)
        if project.state not in t.sources:
            raise Conflict(f"项目处于“{workflow.PROJECT_STATES[project.state]}”，不能{t.label}", code="bad_state",
                           detail={"state": project.state, "action": action})
        if t.note_required and not note.strip():
            raise Invalid(f"{t.label}须填写意见", code="note_required", detail={"field": "note"})
        on = on or dt.date.today()
        values: dict[str, Any] = {"state": t.target}
        if action == "approve_plan":
            if not plan_number.strip():
                raise Invalid("请填写水土保持方案批复文号", code="plan_number_required", detail={"field": "plan_number"})
            values.update(plan_number=plan_number.strip()[:60], plan_approved_on=on)
        elif action == "start":
            values["started_on"] = on
        elif action in ("accept", "reject"):
            open_violations = project.checks.filter(verdict=SupervisionCheck.Verdict.VIOLATION, case_number="", task_code="").exists()
            if action == "accept" and open_violations:
                raise Conflict("尚有违法违规问题未转办处理，不能通过验收", code="open_violations")
            values["acceptance_note"] = note.strip()
            if action == "accept":
                values["accepted_on"] = on
        audit.save_changes(project, values, verb=f"project.{action}")
    return project


def record_check(user: Any, project: ErosionProject, *, checked_on: dt.date, inspector: str, findings: str, verdict: str,
                 photo=None) -> SupervisionCheck:
    if user is not None:
        policy.require_write(user, project, "只有监管单位可以登记监督检查")
    if project.state in (workflow.CLOSED,):
        raise Conflict("项目已销号，不再检查", code="bad_state")
    if verdict not in SupervisionCheck.Verdict.values:
        raise Invalid("“verdict”应为 compliant、rectify 或 violation", code="bad_verdict", detail={"field": "verdict"})
    if not (findings or "").strip():
        raise Invalid("请填写检查发现", code="findings_required", detail={"field": "findings"})
    with transaction.atomic():
        c = SupervisionCheck(project=project, checked_on=checked_on, inspector=(inspector or "").strip()[:60] or "监管单位",
                             findings=findings.strip(), verdict=verdict)
        if photo is not None:
            c.photo.save(getattr(photo, "name", "check.jpg"), photo, save=False)
        c.save()
        audit.created(c)
    return c


def confirm_candidate(user: Any, check: SupervisionCheck, *, verdict: str, findings: str = "", inspector: str = "") -> SupervisionCheck:
    """An inspector's on-site verdict on a drone finding."""
    if user is not None:
        policy.require_write(user, check, "只有监管单位可以核实无人机发现")
    if not check.candidate:
        raise Conflict("该检查不是待核实的无人机发现", code="not_candidate")
    if verdict not in SupervisionCheck.Verdict.values:
        raise Invalid("“verdict”应为 compliant、rectify 或 violation", code="bad_verdict", detail={"field": "verdict"})
    values = {"verdict": verdict, "candidate": False}
    if findings.strip():
        values["findings"] = f"{check.findings}\n现场核实：{findings.strip()}"
    if inspector.strip():
        values["inspector"] = inspector.strip()[:60]
    with transaction.atomic():
        audit.save_changes(check, values, verb="check.confirm")
    return check


def escalate(user: Any, check: SupervisionCheck, *, to: str, deadline: dt.date | None = None) -> SupervisionCheck:
    """A violation becomes a case (to="case") or a key task (to="task"); once."""
    if user is not None:
        policy.require_write(user, check, "只有监管单位可以转办违法违规问题")
    if check.verdict != SupervisionCheck.Verdict.VIOLATION:
        raise Conflict("只有“违法违规”的检查结论可以转办", code="not_violation")
    if check.case_number or check.task_code:
        raise Conflict("该问题已转办", code="already_escalated")
    project = check.project
    text = f"【水土保持监督】{project.name}（{project.code}，建设单位 {project.developer}）：{check.findings}"
    with transaction.atomic():
        if to == "case":
            from chengyun.cases import services as cases

            case = cases.report(None, source="ops_grid_worker", category_code=CASE_CATEGORY, lng=project.lng, lat=project.lat,
                                description=text, address=project.name, external_id=f"watershed.check:{check.pk}",
                                reporter_name=check.inspector, extra={"erosion_project": project.code})
            audit.save_changes(check, {"case_number": str(case.number)}, verb="check.to_case")
        elif to == "task":
            from chengyun.supervision import services as supervision

            if not isinstance(deadline, dt.date) or deadline < dt.date.today():
                raise Invalid("“deadline”办理期限应为今天或以后的日期", code="bad_deadline", detail={"field": "deadline"})
            task = supervision.create_task(user, title=f"{project.name}水土保持违法违规整改", source="rectification", category="river",
                                           lead_unit=project.supervisor, deadline=deadline, description=text,
                                           links=[("watershed.project", project.code)])
            audit.save_changes(check, {"task_code": task.code}, verb="check.to_task")
        else:
            raise Invalid("转办去向应为 case（案件）或 task（督办任务）", code="bad_target", detail={"field": "to"})
    return check


def collect_drone_findings(user: Any = None) -> int:
    """Drone-reported bare earth or spoil inside an open project's disturbed area → a candidate
    finding on that project (once per drone case). Returns how many were added."""
    if user is not None:
        policy.require_role(user, SUPERVISORS, "只有监管单位可以归集无人机发现")
    from django.apps import apps

    if not apps.is_installed("chengyun.cases"):
        return 0
    from chengyun.cases import standard
    from chengyun.cases.models import Case

    projects = [(p, shape(json.loads(p.disturbed_area))) for p in ErosionProject.objects.filter(state__in=workflow.PROJECT_OPEN).exclude(disturbed_area="")]
    if not projects:
        return 0
    seen = set(SupervisionCheck.objects.exclude(drone_case_id=None).values_list("drone_case_id", flat=True))
    added = 0
    cases = Case.objects.filter(source="drone", category__kind=standard.KIND_EVENT, category__code__in=DRONE_CATEGORIES).exclude(pk__in=seen).select_related("category")
    with transaction.atomic():
        for case in cases:
            pt = Point(case.lng, case.lat)
            hit = next((p for p, area in projects if area.buffer(0.0002).contains(pt)), None)
            if hit is None:
                continue
            c = SupervisionCheck.objects.create(project=hit, checked_on=case.reported_at.date(), inspector="无人机巡查", source=SupervisionCheck.Source.DRONE,
                                                candidate=True, drone_case_id=case.pk, case_number=str(case.number),
                                                findings=f"无人机识别：{case.category.name}（案件 {case.number}），位于项目扰动范围内，待现场核实")
            audit.created(c)
            added += 1
    return added
