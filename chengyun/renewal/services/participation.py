"""老旧小区改造: which compounds are eligible, and the residents' part in a project —
三问于民 (needs survey before, plan publicity during, satisfaction after), resident
supervisors during construction. Acceptance with resident representatives is a project
transition (services.portfolio.transition "accept").
"""
from __future__ import annotations

import datetime as dt
from typing import Any

from django.conf import settings
from django.db import transaction

from chengyun.core import audit
from chengyun.core.errors import Conflict, Invalid

from .. import project_types as pt
from .. import project_workflow as pw
from ..models import Project, ResidentConsultation, ResidentSupervisor
from .access import is_office


def _require_local(user: Any, project: Project, model: type, message: str) -> None:
    """Residents' participation is run by the community and street of the project and its
    responsible unit (the model's policy Rule), or the renewal office."""
    if user is None or is_office(user):
        return
    from chengyun.people import policy

    policy.require_create(user, model, community_id=project.community_id, street_id=project.street_id,
                          unit_id=project.responsible_unit_id, message=message)


def eligible_built_before() -> int:
    """Compounds completed up to the end of this year are 老旧小区 (国办发〔2020〕23号: 2000)."""
    return int(getattr(settings, "RENEWAL_OLD_COMPOUND_BUILT_BY", 2000))


def is_eligible(compound: Any) -> bool:
    return compound.built_year is not None and compound.built_year <= eligible_built_before()


def eligible_compounds():
    from chengyun.geo.models import Compound

    return Compound.objects.filter(active=True, built_year__isnull=False, built_year__lte=eligible_built_before())


def _old_compound(project: Project) -> None:
    if project.type != pt.OLD_COMPOUND:
        raise Conflict("只有老旧小区改造项目开展三问于民和居民监督", code="not_old_compound")


# Which lifecycle stages each consultation belongs to: asking needs before construction,
# the plan while it is decided, satisfaction once the work is accepted.
STAGE_STATES = {
    "needs_survey": frozenset({pw.RESERVE, pw.APPROVED}),
    "plan_publicity": frozenset({pw.APPROVED, pw.FUNDED, pw.TENDERING}),
    "satisfaction": pw.COMPLETED_STATES,
}


def record_consultation(user: Any, project: Project, *, stage: str, held_on: dt.date, households_reached: Any, responses: Any,
                        favourable: Any, summary: str = "") -> ResidentConsultation:
    _require_local(user, project, ResidentConsultation, "您无权记录该项目的居民征询")
    _old_compound(project)
    if stage not in pt.CONSULTATION_STAGES:
        raise Invalid(f"未知的征询环节：{stage}", code="bad_stage", detail={"field": "stage"})
    if project.state not in STAGE_STATES[stage]:
        raise Conflict(f"项目处于“{pw.STATES[project.state]}”阶段，不能开展“{pt.CONSULTATION_STAGES[stage]}”", code="bad_stage_for_state",
                       detail={"state": project.state, "stage": stage})
    try:
        reached, resp, fav = int(households_reached), int(responses), int(favourable)
    except (TypeError, ValueError):
        raise Invalid("户数应为整数", code="bad_number", detail={"field": "households_reached"}) from None
    if not 0 <= fav <= resp <= reached or reached == 0:
        raise Invalid("户数应满足 0 ≤ 赞成/满意 ≤ 反馈 ≤ 征询，且征询户数大于 0", code="bad_counts", detail={"field": "responses"})
    if not isinstance(held_on, dt.date):
        raise Invalid("日期格式有误", code="bad_date", detail={"field": "held_on"})
    with transaction.atomic():
        c = ResidentConsultation.objects.create(project=project, stage=stage, held_on=held_on, households_reached=reached, responses=resp,
                                                favourable=fav, summary=str(summary or "")[:2000],
                                                recorded_by=user if getattr(user, "is_authenticated", False) else None)
        audit.created(c)
    return c


def appoint_supervisor(user: Any, project: Project, *, name: str, appointed_on: dt.date, phone: str = "", building: str = "") -> ResidentSupervisor:
    _require_local(user, project, ResidentSupervisor, "您无权为该项目聘任居民监督员")
    _old_compound(project)
    name = str(name or "").strip()
    if not name:
        raise Invalid("请填写监督员姓名", code="missing_name", detail={"field": "name"})
    if project.state in pw.COMPLETED_STATES or project.state == pw.WITHDRAWN:
        raise Conflict("项目已验收或撤销，不再聘任居民监督员", code="bad_state")
    with transaction.atomic():
        s = ResidentSupervisor.objects.create(project=project, name=name[:40], phone=str(phone)[:20], building=str(building)[:40],
                                              appointed_on=appointed_on)
        audit.created(s)
    return s


def satisfaction_rate(project: Project) -> float | None:
    last = project.consultations.filter(stage="satisfaction").order_by("-held_on", "-id").first()
    return last.favourable_rate if last else None
