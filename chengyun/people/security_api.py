"""/api/v1/people/security/: my sessions, a person's sessions, lockouts, audit export and verify."""
from __future__ import annotations

from datetime import datetime
from typing import Optional

from django.contrib.auth import get_user_model
from django.http import HttpResponse
from ninja import Query, Router, Schema, Status

from chengyun.core.errors import Invalid, NotFound

from . import lockout, policy, sessions
from . import roles as R
from .filters import AuditFilter
from .models import Lockout, UserSession

router = Router(tags=["账号安全"])
SECURITY_ROLES = frozenset({R.SECURITY_ADMIN, R.SYSADMIN})


class SessionOut(Schema):
    id: int
    device: str
    ip: Optional[str]
    created_at: datetime
    last_seen_at: datetime
    current: bool


def _session_out(request, s: UserSession) -> dict:
    return {"id": s.pk, "device": s.user_agent, "ip": s.ip, "created_at": s.created_at, "last_seen_at": s.last_seen_at,
            "current": bool(getattr(request, "session", None)) and s.session_key == request.session.session_key}


@router.get("/sessions", response=list[SessionOut], summary="我的登录会话")
def my_sessions(request):
    return [_session_out(request, s) for s in sessions.open_sessions(request.user)]


@router.delete("/sessions/{int:session_id}", response={204: None}, summary="结束一个会话（本人的，或安全管理员结束任何人的）")
def revoke_session(request, session_id: int):
    tracked = UserSession.objects.select_related("user").filter(pk=session_id, ended_at__isnull=True).first()
    if tracked is None or (tracked.user_id != request.user.pk and not policy.principal(request.user).has(SECURITY_ROLES)):
        raise NotFound("会话不存在或已结束", code="no_such_session")
    sessions.revoke(request.user, tracked)
    return Status(204, None)


def _target(username: str):
    user = get_user_model().objects.filter(username=username).first()
    if user is None:
        raise NotFound(f"用户 {username} 不存在", code="no_such_user")
    return user


@router.get("/users/{username}/sessions", response=list[SessionOut], summary="某人的登录会话（安全管理员）")
def user_sessions(request, username: str):
    policy.require_role(request.user, SECURITY_ROLES, "只有安全管理员可以查看他人的会话")
    return [_session_out(request, s) for s in sessions.open_sessions(_target(username))]


class CountOut(Schema):
    count: int


@router.post("/users/{username}/sessions/revoke", response=CountOut, summary="结束某人的全部会话（安全管理员）")
def revoke_user_sessions(request, username: str):
    policy.require_role(request.user, SECURITY_ROLES, "只有安全管理员可以结束他人的会话")
    return {"count": sessions.revoke_all(request.user, _target(username))}


class LockOut(Schema):
    id: int
    kind: str
    subject: str
    failures: int
    locked_until: Optional[datetime]


@router.get("/lockouts", response=list[LockOut], summary="当前的登录锁定（安全管理员）")
def lockouts(request):
    policy.require_role(request.user, SECURITY_ROLES, "只有安全管理员可以查看登录锁定")
    return [{"id": lk.pk, "kind": lk.kind, "subject": lk.subject, "failures": lk.failures, "locked_until": lk.locked_until}
            for lk in lockout.active_locks()[:500]]


@router.post("/lockouts/{int:lock_id}/unlock", response={204: None}, summary="解除锁定（安全管理员）")
def unlock(request, lock_id: int):
    policy.require_role(request.user, SECURITY_ROLES, "只有安全管理员可以解除锁定")
    lock = Lockout.objects.filter(pk=lock_id).first()
    if lock is None:
        raise NotFound("锁定记录不存在", code="no_such_lock")
    lockout.unlock(request.user, lock)
    return Status(204, None)


@router.get("/audit/export", summary="导出审计日志（csv 或 xlsx，审计员）")
def audit_export(request, filters: AuditFilter = Query(...), format: str = "csv"):
    from chengyun.core import auditlog
    from chengyun.core.models import AuditEntry

    if format not in ("csv", "xlsx"):
        raise Invalid("format 应为 csv 或 xlsx", code="bad_format")
    policy.require_role(request.user, policy.rule_for(AuditEntry).wide_read, "只有审计员和系统管理员可以导出审计日志")
    qs = filters.filter(policy.visible(request.user, AuditEntry.objects.all()))
    data = auditlog.export(qs, format)
    from chengyun.core import audit

    audit.action(None, "audit_export", otype="core.auditentry", object_repr=format, after={"format": format})
    ctype = "text/csv; charset=utf-8" if format == "csv" else "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    resp = HttpResponse(data, content_type=ctype)
    resp["Content-Disposition"] = f'attachment; filename="audit.{format}"'
    return resp


class VerifyOut(Schema):
    ok: bool
    checked: int
    problem: Optional[dict]


@router.get("/audit/verify", response=VerifyOut, summary="校验审计日志哈希链（审计员）")
def audit_verify(request):
    from chengyun.core import auditlog
    from chengyun.core.models import AuditEntry

    policy.require_role(request.user, policy.rule_for(AuditEntry).wide_read, "只有审计员和系统管理员可以校验审计日志")
    result = auditlog.verify()
    return {"ok": result.ok, "checked": result.checked, "problem": result.problem_dict()}
