"""The case lifecycle: the actions a user may take on a case, and each transition of the workflow table."""
from __future__ import annotations

import datetime as dt
from typing import Any, Callable

from django.db import transaction

from chengyun.core import audit, notify
from chengyun.core.calendar import get_calendar
from chengyun.core.errors import Conflict, Forbidden, Invalid, NotFound
from chengyun.core.workcalendar import UNITS
from chengyun.geo.models import Unit
from chengyun.people import policy
from chengyun.people import roles as R
from chengyun.people.lookup import referenced

from .. import workflow
from ..models import Attachment, Case, CaseEvent, FilingCondition
from . import clocks
from .actors import _actor_name, _person_id, _users_with_roles
from .attachments import _check_upload, _store_attachment
from .clocks import WARNING_FRACTION, _shift_after_pause, _start_stage, clock_status_at


def _in_scope(p: policy.Principal, t: workflow.Transition, case: Case, user: Any) -> bool:
    if not t.scope:
        return True
    if t.scope == "unit":
        return p.unit_id is not None and p.unit_id == case.unit_id
    in_grid = case.grid_id in p.grid_ids
    if t.scope == "grid":
        return in_grid
    if t.scope == "grid_or_reporter":
        return in_grid or (case.reporter_id is not None and case.reporter_id == getattr(user, "pk", None))
    return False


def _guard(name: str, case: Case, fields: dict[str, Any]) -> None:
    if not name:
        return
    if name == "verified_if_needed":
        if case.needs_verification and not case.verified:
            raise Conflict("该来源的案件须经网格员现场核实属实后才能立案", code="not_verified")
    elif name == "feedback_photo":
        has_photo = case.attachments.filter(stage=Attachment.Stage.FEEDBACK, uploaded_at__gte=case.stage_started_at).exists()
        if not has_photo and not fields.get("attachments"):
            raise Invalid("处置反馈须附处置后照片", code="feedback_photo_required", detail={"field": "attachments"})
    elif name == "no_pending_request":
        if case.pending_request:
            raise Conflict("已有待审批的延期或挂账申请", code="request_pending")
    elif name == "pending_postpone":
        if not case.pending_request or case.pending_request.get("kind") != "postpone":
            raise Conflict("没有待审批的延期申请", code="no_postpone_request")
    elif name == "pending_suspend":
        if not case.pending_request or case.pending_request.get("kind") != "suspend":
            raise Conflict("没有待审批的挂账申请", code="no_suspend_request")
    else:
        raise LookupError(f"unknown guard {name}")


FIELD_NAMES = {"verified": "是否属实", "note": "说明", "reason": "理由", "condition_id": "立案条件", "unit_id": "责任单位",
               "amount": "延期时长", "time_unit": "时长单位", "target": "合并到的案件编号"}


def allowed_actions(user: Any, case: Case) -> list[workflow.Transition]:
    """The transitions this user could fire on this case now (for the detail page's buttons)."""
    if user is None or not policy.can_read(user, case):
        return []
    p = policy.principal(user)
    out = []
    for t in workflow.allowed_from(case.status):
        if not p.has(t.roles) or not _in_scope(p, t, case, user):
            continue
        try:
            if t.guard not in ("feedback_photo",):
                _guard(t.guard, case, {})
        except (Conflict, Invalid):
            continue
        out.append(t)
    return out


# Other apps follow the lifecycle without cases knowing them (property turns a closed complaint
# about a managed compound into a bad credit record): each listener is called, inside the
# transition's transaction, with the case after the move, the action fired and the state it left.
# Registered from the listening app's ``ready()``.
TransitionListener = Callable[[Case, str, str], None]
_transition_listeners: list[TransitionListener] = []


def on_transition(listener: TransitionListener) -> None:
    if listener not in _transition_listeners:
        _transition_listeners.append(listener)


def transition(user: Any, case: Case | int, action: str, **fields: Any) -> Case:
    """Fire one transition of the workflow table on a case."""
    t = workflow.BY_ACTION.get(action)
    if t is None:
        raise Invalid(f"未知的案件操作：{action}", code="unknown_action")
    case_id = case.pk if isinstance(case, Case) else case
    with transaction.atomic():
        qs = Case.objects.select_for_update(of=("self",)).select_related("category", "condition", "unit")
        if user is not None:
            case = policy.get_visible(user, qs, pk=case_id)
        else:
            try:
                case = qs.get(pk=case_id)
            except Case.DoesNotExist:
                raise NotFound() from None
        if case.status not in t.sources:
            raise Conflict(f"案件当前状态为“{case.status_label}”，不能执行“{t.label}”", code="illegal_transition",
                           detail={"status": case.status, "action": action, "allowed": [x.action for x in workflow.allowed_from(case.status)]})
        if user is not None:
            p = policy.principal(user)
            if not p.has(t.roles):
                raise Forbidden(f"您的角色不能对案件执行“{t.label}”", code="role_not_allowed")
            if not _in_scope(p, t, case, user):
                scope = {"unit": "派遣给本单位的案件", "grid": "本人负责网格内的案件", "grid_or_reporter": "本人负责网格内或本人上报的案件"}[t.scope]
                raise Forbidden(f"只能对{scope}执行“{t.label}”", code="out_of_scope")
        missing = [f for f in t.required if fields.get(f) in (None, "")]
        if missing:
            raise Invalid("缺少必填项：" + "、".join(FIELD_NAMES.get(f, f) for f in missing), code="missing_fields", detail={"fields": missing})
        _guard(t.guard, case, fields)
        return _apply(user, case, t, fields)


def _apply(user: Any, case: Case, t: workflow.Transition, fields: dict[str, Any]) -> Case:
    now = clocks.current_time()
    before = audit.snapshot(case)
    from_status = case.status
    old_deadline = case.stage_deadline
    note = str(fields.get("note") or fields.get("reason") or "")[:2000]
    event = CaseEvent(case=case, at=now, action=t.action, from_status=from_status, actor=user, actor_person_id=_person_id(user), actor_name=_actor_name(user), note=note, unit_id=case.unit_id,
                      stage_deadline=old_deadline, on_time=(now <= old_deadline) if old_deadline else None)
    data: dict[str, Any] = {}
    extra_notify: list[tuple[list, str]] = []
    cal = get_calendar()
    uploads = fields.get("attachments") or ()
    stage_for_upload = {"feedback": Attachment.Stage.FEEDBACK, "verify": Attachment.Stage.VERIFY,
                        "check_pass": Attachment.Stage.CHECK, "rework": Attachment.Stage.CHECK}.get(t.action)
    checked_uploads = [_check_upload(u) for u in uploads] if uploads else []
    if checked_uploads and stage_for_upload is None:
        raise Invalid(f"“{t.label}”不接受照片", code="unexpected_attachments")

    a = t.action
    if a == "verify":
        verified = fields["verified"]
        if isinstance(verified, str):
            verified = verified.strip().lower() in ("1", "true", "yes", "属实", "是")
        case.verified = bool(verified)
        data["verified"] = case.verified
    elif a == "file":
        cond = referenced(FilingCondition.objects.filter(category=case.category), fields["condition_id"], what="该案件小类的立案条件",
                          field="condition_id", optional=False, code="bad_condition")
        case.condition = cond
        case.filed_at = now
        data["condition"] = cond.text
        data["limit"] = cond.limit_text
    elif a == "dispatch":
        unit = referenced(Unit.objects.filter(active=True), fields["unit_id"], what="在用的责任单位", field="unit_id", optional=False,
                          code="bad_unit")
        if case.condition is None:
            raise Conflict("案件尚未确定立案条件，不能派遣", code="no_condition")
        case.unit = unit
        event.unit = unit
        data["unit"] = unit.name
        if case.dispatched_at is None:
            case.dispatched_at = now
            case.overall_deadline = cal.add(now, case.condition.limit_amount, case.condition.limit_unit)
            case.overall_warning_at = cal.add(now, case.condition.limit_amount * WARNING_FRACTION, case.condition.limit_unit)
        extra_notify.append((_users_with_roles({R.DEPT_HANDLER}, person__unit_id=unit.pk), f"新派遣案件 {case.number}：{case.category.name}"))
    elif a == "send_back":
        event.unit = case.unit
        data["unit"] = case.unit.name if case.unit else ""
        case.unit = None
        case.returned_count += 1
        extra_notify.append((_users_with_roles(workflow.DISPATCH_DESK), f"案件 {case.number} 被回退，请重新派遣"))
    elif a == "feedback":
        case.fed_back_at = now
        event.unit = case.unit
        if case.overall_deadline:
            data["overall_on_time"] = now <= case.overall_deadline
        extra_notify.append((_users_with_roles(workflow.GRID_WORKERS, person__grids=case.grid_id), f"案件 {case.number} 已处置，请现场核查"))
    elif a == "rework":
        case.rework_count += 1
        extra_notify.append((_users_with_roles({R.DEPT_HANDLER}, person__unit_id=case.unit_id), f"案件 {case.number} 核查未通过，需返工"))
    elif a == "close":
        case.closed_at = now
    elif a == "request_postpone":
        try:
            amount = float(fields["amount"])
        except (TypeError, ValueError):
            raise Invalid("延期时长应为数字", code="bad_amount", detail={"field": "amount"}) from None
        if not (0 < amount <= 1000) or fields["time_unit"] not in UNITS:
            raise Invalid(f"延期时长应大于 0，单位为 {'、'.join(UNITS)} 之一", code="bad_amount", detail={"field": "amount"})
        case.pending_request = {"kind": "postpone", "amount": amount, "unit": fields["time_unit"], "reason": note, "by": _actor_name(user), "at": now.isoformat()}
        data.update(case.pending_request)
        extra_notify.append((_users_with_roles(workflow.APPROVERS), f"案件 {case.number} 申请延期，待审批"))
    elif a == "approve_postpone":
        req = case.pending_request
        amount, unit = req["amount"], req["unit"]
        if case.stage_deadline:
            case.stage_deadline = cal.add(case.stage_deadline, amount, unit)
            case.stage_warning_at = cal.add(case.stage_started_at, (cal.elapsed(case.stage_started_at, case.stage_deadline, unit)) * WARNING_FRACTION, unit)
        if case.overall_deadline:
            case.overall_deadline = cal.add(case.overall_deadline, amount, unit)
            case.overall_warning_at = cal.add(case.dispatched_at, cal.elapsed(case.dispatched_at, case.overall_deadline, unit) * WARNING_FRACTION, unit)
        case.postpone_count += 1
        case.pending_request = None
        data.update({"amount": amount, "unit": unit, "stage_deadline": case.stage_deadline, "overall_deadline": case.overall_deadline})
        case.clock_status = clock_status_at(case, now)
    elif a in ("deny_postpone", "deny_suspend"):
        data["request"] = case.pending_request
        case.pending_request = None
    elif a == "request_suspend":
        case.pending_request = {"kind": "suspend", "reason": note, "by": _actor_name(user), "at": now.isoformat()}
        data.update(case.pending_request)
        extra_notify.append((_users_with_roles(workflow.APPROVERS), f"案件 {case.number} 申请挂账，待审批"))
    elif a == "approve_suspend":
        case.pauses = list(case.pauses or []) + [[now.isoformat(), None]]
        data["request"] = case.pending_request
        case.pending_request = None
    elif a == "resume":
        pauses = list(case.pauses or [])
        start = dt.datetime.fromisoformat(pauses[-1][0])
        pauses[-1] = [pauses[-1][0], now.isoformat()]
        case.pauses = pauses
        case.stage_deadline = _shift_after_pause(case.stage_deadline, case.stage_limit_unit, start, now)
        case.stage_warning_at = _shift_after_pause(case.stage_warning_at, case.stage_limit_unit, start, now)
        if case.condition:
            unit = case.condition.limit_unit
            case.overall_deadline = _shift_after_pause(case.overall_deadline, unit, start, now)
            case.overall_warning_at = _shift_after_pause(case.overall_warning_at, unit, start, now)
        data["paused"] = [start.isoformat(), now.isoformat()]
    elif a == "escalate":
        case.escalation_level += 1
        data["level"] = case.escalation_level
        if case.unit_id:
            extra_notify.append((_users_with_roles({R.DEPT_HANDLER}, person__unit_id=case.unit_id), f"案件 {case.number} 被督办"))
    elif a == "merge":
        target = referenced(Case.objects.select_for_update().exclude(pk=case.pk), str(fields["target"]), what="合并目标案件", field="target",
                            lookup="number", optional=False, code="bad_target")
        if target.status in workflow.TERMINAL:
            raise Conflict(f"目标案件 {target.number} 已{target.status_label}，不能合并", code="target_closed")
        tbefore = audit.snapshot(target)
        target.reporter_count += case.reporter_count
        target.save(update_fields=["reporter_count", "updated_at"])
        CaseEvent.objects.create(case=target, at=now, action="duplicate_report", from_status=target.status, to_status=target.status,
                                 actor=user, actor_person_id=_person_id(user), actor_name=_actor_name(user), data={"merged": case.number, "reporter_count": target.reporter_count})
        audit.updated(target, tbefore, verb="merge_duplicate")
        case.merged_into = target
        data["target"] = target.number

    if t.target is not None:
        case.status = t.target
        if t.restarts_stage:
            _start_stage(case, t.target, now)
        if t.target in workflow.TERMINAL:
            case.stage_deadline = case.stage_warning_at = None
        # While suspended the clock status stays as it was when the clock stopped.
        if case.status != workflow.SUSPENDED:
            case.clock_status = clock_status_at(case, now)
    if case.clock_status == Case.Clock.OVERDUE:
        case.was_overdue = True
    event.to_status = case.status
    event.data = audit._jsonable(data)
    case.save()
    event.save()
    for d, info in checked_uploads:
        _store_attachment(case, d, info, stage_for_upload, user, now)
    changed = _changed(case, before)
    audit.action(case, t.action, before={k: before.get(k) for k in changed}, after=changed)
    for recipients, title in extra_notify:
        notify.notify(recipients, title, body=case.description[:120], url=case.get_absolute_url(), kind="case_assigned")
    if t.action == "send_verify":
        notify.notify(_users_with_roles(workflow.GRID_WORKERS, person__grids=case.grid_id), f"案件 {case.number} 待现场核实", url=case.get_absolute_url(), kind="case_assigned")
    for listener in list(_transition_listeners):
        listener(case, t.action, from_status)
    return case


def _changed(case: Case, before: dict[str, Any]) -> dict[str, Any]:
    after = audit.snapshot(case)
    return {k: v for k, v in after.items() if before.get(k) != v and k != "updated_at"}
