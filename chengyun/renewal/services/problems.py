"""The problem ledger's writes: transitions, remedies, acceptance (闭环销号).

Every function takes the acting user first (None = the platform itself, e.g. a demo or a job),
checks it, writes in one transaction and audits. States and transitions are declared once in
``renewal.workflow``.
"""
from __future__ import annotations

import re
from typing import Any, Callable

from django.db import transaction
from django.utils import timezone

from chengyun.core import audit
from chengyun.core.errors import Conflict, DomainError, Forbidden, Invalid
from chengyun.people import policy

from .. import workflow
from ..models import Problem, ProblemEvent, ProblemRemedy
from .access import is_office, require_office, require_write

PROJECT_KEY = re.compile(r"^renewal\.project:(\d+)$")

# The portfolio says what a project key is: resolver(key) -> ProjectInfo | None.
_project_resolver: Callable[[str], Any] | None = None


def register_project_resolver(resolver: Callable[[str], Any]) -> None:
    """The portfolio registers ``resolver(key)`` returning None for an unknown project, else an
    object with ``label`` (str), ``url`` (str) and ``completed`` (bool: passed 竣工验收)."""
    global _project_resolver
    _project_resolver = resolver


def resolve_project(key: str) -> Any:
    return _project_resolver(key) if _project_resolver is not None else None


def _user(actor: Any) -> Any:
    return actor if getattr(actor, "is_authenticated", False) else None


def _record(problem: Problem, actor: Any, action: str, before: str, note: str = "") -> None:
    ProblemEvent.objects.create(problem=problem, action=action, from_state=before, to_state=problem.state,
                                actor=_user(actor), note=note[:300])
    audit.action(problem, action, before={"state": before}, after={"state": problem.state, "note": note})


def _move(problem: Problem, actor: Any, action: str, note: str = "") -> Problem:
    t = workflow.TRANSITIONS[action]
    if problem.state not in t.sources:
        raise Conflict(f"问题当前状态为“{workflow.STATES[problem.state]}”，不能{t.label}", code="bad_transition",
                       detail={"state": problem.state, "action": action})
    before = problem.state
    problem.state = t.target
    fields = ["state"]
    if t.target == workflow.CLOSED:
        problem.closed_at = timezone.now()
        fields.append("closed_at")
    problem.save(update_fields=fields)
    _record(problem, actor, action, before, note)
    return problem


def allowed_actions(user: Any, problem: Problem) -> list[workflow.Transition]:
    """The transitions the user may start from the problem's state (what the page offers)."""
    out = []
    for t in workflow.allowed_from(problem.state):
        if t.internal:
            continue
        try:
            _check_transition_role(user, problem, t)
        except DomainError:
            continue
        out.append(t)
    return out


def _check_transition_role(user: Any, problem: Problem, t: workflow.Transition) -> None:
    if user is None or is_office(user):
        return
    policy.require_write(user, problem, "您无权处理该问题")
    if not policy.principal(user).has(t.roles):
        raise Forbidden(f"您的角色不能{t.label}", code="role_not_allowed")


def accepted_remedy(problem: Problem) -> ProblemRemedy | None:
    return problem.remedies.filter(accepted_at__isnull=False, returned_at__isnull=True).order_by("-accepted_at").first()


def transition(actor: Any, problem: Problem, action: str, *, note: str = "") -> Problem:
    """start (开始整改), close (复核销号) or return (复核退回); 409 when the state does not allow it."""
    t = workflow.TRANSITIONS.get(action)
    if t is None or t.internal:
        raise Invalid(f"未知的操作：{action}", code="unknown_action", detail={"action": action})
    _check_transition_role(actor, problem, t)
    note = (note or "").strip()
    if t.note_required and not note:
        raise Invalid(f"{t.label}需要填写说明", code="note_required", detail={"field": "note"})
    with transaction.atomic():
        problem = Problem.objects.select_for_update().get(pk=problem.pk)
        if action == "close" and problem.state in t.sources and accepted_remedy(problem) is None:
            raise Conflict("问题没有已验收的整改措施，不能销号", code="no_accepted_remedy")
        _move(problem, actor, action, note)
        if action == "return":
            now = timezone.now()
            for r in problem.remedies.filter(accepted_at__isnull=False, returned_at__isnull=True):
                before = audit.snapshot(r)
                r.returned_at = now
                r.save(update_fields=["returned_at"])
                audit.updated(r, before, verb="return")
    return problem


def link_remedy(actor: Any, problem: Problem, *, case: Any = None, project_key: str | None = None) -> ProblemRemedy:
    """Link what fixes the problem: a ``cases.Case`` or a renewal project ("renewal.project:<id>").

    Exactly one of ``case`` / ``project_key``. Linking the same target twice returns the existing
    link. A problem still 待整改 moves to 整改中. 409 on a closed problem; 422 on a bad key.
    """
    if actor is not None:
        require_write(actor, problem, "您无权为该问题关联整改措施")
    if (case is None) == (not project_key):
        raise Invalid("请指定一个案件或一个更新项目", code="remedy_target", detail={"field": "case"})
    if project_key is not None:
        project_key = str(project_key).strip()
        if not PROJECT_KEY.match(project_key):
            raise Invalid(f"项目标识“{project_key}”应形如 renewal.project:<编号>", code="bad_project_key", detail={"field": "project_key"})
        if _project_resolver is not None and resolve_project(project_key) is None:
            raise Invalid(f"更新项目 {project_key} 不存在", code="unknown_project", detail={"field": "project_key"})
    if problem.state == workflow.CLOSED:
        raise Conflict("问题已销号，不能再关联整改措施", code="problem_closed")
    with transaction.atomic():
        if case is not None:
            existing = problem.remedies.filter(kind=ProblemRemedy.Kind.CASE, case=case).first()
        else:
            existing = problem.remedies.filter(kind=ProblemRemedy.Kind.PROJECT, project_key=project_key).first()
        if existing is not None:
            return existing
        remedy = ProblemRemedy.objects.create(problem=problem, kind=ProblemRemedy.Kind.CASE if case is not None else ProblemRemedy.Kind.PROJECT,
                                              case=case, project_key=project_key or "", linked_by=_user(actor))
        audit.created(remedy)
        if problem.state == workflow.PENDING:
            _move(problem, actor, "start", f"关联整改措施 {remedy}")
    return remedy


def accept_remedy(actor: Any, remedy: ProblemRemedy) -> ProblemRemedy:
    """整改验收 by the health-check office: the remedy counts, the problem goes to 待复核.

    A case must be closed (结案) first; a project must have passed 竣工验收 when the portfolio
    says so through its resolver. 409 when already accepted or the problem is not open for it.
    """
    if actor is not None:
        require_office(actor, "只有城市体检办公室可以验收整改")
    with transaction.atomic():
        remedy = ProblemRemedy.objects.select_for_update(of=("self",)).select_related("problem", "case").get(pk=remedy.pk)
        problem = remedy.problem
        if remedy.accepted:
            raise Conflict("该整改措施已验收", code="already_accepted")
        if remedy.kind == ProblemRemedy.Kind.CASE:
            from chengyun.cases import workflow as case_workflow

            if remedy.case.status != case_workflow.CLOSED:
                raise Conflict("案件尚未结案，不能验收", code="case_not_closed", detail={"case": remedy.case.number})
        else:
            info = resolve_project(remedy.project_key)
            if _project_resolver is not None and (info is None or not getattr(info, "completed", False)):
                raise Conflict("更新项目尚未竣工验收，不能验收", code="project_not_completed", detail={"project": remedy.project_key})
        if problem.state not in workflow.TRANSITIONS["accept_remedy"].sources:
            raise Conflict(f"问题当前状态为“{workflow.STATES[problem.state]}”，不能验收整改", code="bad_transition",
                           detail={"state": problem.state, "action": "accept_remedy"})
        before = audit.snapshot(remedy)
        remedy.accepted_at = timezone.now()
        remedy.accepted_by = _user(actor)
        remedy.returned_at = None
        remedy.save(update_fields=["accepted_at", "accepted_by", "returned_at"])
        audit.updated(remedy, before, verb="accept")
        _move(problem, actor, "accept_remedy", f"验收 {remedy}")
    return remedy
