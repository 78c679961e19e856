"""Signed-in sessions on the server side (GB/T 22239-2019 8.1.4.1 b: 登录连接超时自动退出).

Every browser sign-in gets a UserSession row; the middleware ends it after
SESSION_IDLE_TIMEOUT_SECONDS without a request or SESSION_ABSOLUTE_SECONDS after sign-in, and a
revoked or ended row ends the Django session at once (the session is deleted from the store, so
a copied cookie stops working too).
"""
from __future__ import annotations

import datetime as dt
from importlib import import_module
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from chengyun.core import audit
from chengyun.core.middleware import client_ip

from .models import UserSession

TOUCH_EVERY = dt.timedelta(seconds=30)


def _store(key: str):
    return import_module(settings.SESSION_ENGINE).SessionStore(session_key=key)


def started(request, user) -> UserSession | None:
    """Called on sign-in (user_logged_in): record the new session."""
    session = getattr(request, "session", None)
    if session is None:
        return None
    if session.session_key is None:
        session.save()
    now = timezone.now()
    ua = (request.META.get("HTTP_USER_AGENT") or "")[:300]
    try:
        with transaction.atomic():
            return UserSession.objects.create(session_key=session.session_key, user=user, user_agent=ua, ip=client_ip(request),
                                              created_at=now, last_seen_at=now)
    except IntegrityError:
        return UserSession.objects.filter(session_key=session.session_key).first()


def end(tracked: UserSession, reason: str, *, delete_store: bool = True) -> None:
    if tracked.ended_at is None:
        UserSession.objects.filter(pk=tracked.pk, ended_at__isnull=True).update(ended_at=timezone.now(), end_reason=reason)
        tracked.ended_at, tracked.end_reason = timezone.now(), reason
    if delete_store:
        _store(tracked.session_key).delete()


def expired_reason(tracked: UserSession, now: dt.datetime) -> str | None:
    if tracked.ended_at is not None:
        return tracked.end_reason or "ended"
    if now - tracked.last_seen_at > dt.timedelta(seconds=settings.SESSION_IDLE_TIMEOUT_SECONDS):
        return "idle"
    if now - tracked.created_at > dt.timedelta(seconds=settings.SESSION_ABSOLUTE_SECONDS):
        return "absolute"
    return None


def current(request) -> tuple[UserSession | None, str | None]:
    """This request's tracked session and, when it must end, why (idle, absolute, revoked…)."""
    key = request.session.session_key
    if not key:
        return None, "missing"
    tracked = UserSession.objects.filter(session_key=key).first()
    if tracked is None:  # a session from before tracking, or a test's force_login
        tracked = started(request, request.user)
    if tracked is None or tracked.user_id != request.user.pk:
        return tracked, "mismatch"
    now = timezone.now()
    reason = expired_reason(tracked, now)
    if reason is None and now - tracked.last_seen_at > TOUCH_EVERY:
        UserSession.objects.filter(pk=tracked.pk).update(last_seen_at=now)
        tracked.last_seen_at = now
    return tracked, reason


def mark_verified(tracked: UserSession) -> None:
    UserSession.objects.filter(pk=tracked.pk).update(mfa_verified=True)
    tracked.mfa_verified = True


def open_sessions(user) -> list[UserSession]:
    now = timezone.now()
    return [s for s in UserSession.objects.filter(user=user, ended_at__isnull=True).order_by("-last_seen_at")
            if expired_reason(s, now) is None]


def revoke(actor: Any, tracked: UserSession) -> None:
    """End a session: one's own, or anyone's for the security administrator. Audited."""
    from . import policy
    from . import roles as R

    if actor is not None and tracked.user_id != actor.pk:
        policy.require_role(actor, {R.SECURITY_ADMIN, R.SYSADMIN}, "只有安全管理员可以结束他人的会话")
    with transaction.atomic():
        end(tracked, "revoked")
        audit.action(tracked.user, "session_revoke", otype="auth.user", object_id=str(tracked.user_id),
                     object_repr=tracked.user.get_username(), after={"session": tracked.pk, "ip": tracked.ip, "device": tracked.user_agent})


def revoke_all(actor: Any, user) -> int:
    sessions = list(UserSession.objects.filter(user=user, ended_at__isnull=True))
    for s in sessions:
        revoke(actor, s)
    return len(sessions)


def forget_ended(now: dt.datetime | None = None) -> int:
    """Remove records of sessions that ended longer ago than the audit retention."""
    from chengyun.core.auditlog import retention_days

    cutoff = (now or timezone.now()) - dt.timedelta(days=retention_days())
    return UserSession.objects.filter(ended_at__lt=cutoff).delete()[0]
