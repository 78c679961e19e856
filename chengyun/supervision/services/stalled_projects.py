"""Stalled projects (问题楼盘): the register, measures, mediations and judicial support, and
supervising one as a key task.
"""
from __future__ import annotations

import datetime as dt
from typing import Any, Iterable

from django.db import transaction

from chengyun.core import audit
from chengyun.core.errors import Conflict, Invalid
from chengyun.geo.models import Unit
from chengyun.people import policy
from chengyun.people.models import Person

from ..models import JudicialSupport, KeyTask, Mediation, ProjectMeasure, StalledProject
from .keytasks import check_fields, create_task


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
    check_fields(changes, PROJECT_FIELDS)
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
