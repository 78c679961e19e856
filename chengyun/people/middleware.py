"""Enforces, for every browser (session) request: the session's idle and absolute timeouts and
revocation, the second factor for the roles that need it, and a forced password change (first
sign-in of an account an administrator created, or an expired password)."""
from __future__ import annotations

from urllib.parse import quote

from django.contrib import auth
from django.http import JsonResponse
from django.shortcuts import redirect
from django.urls import reverse

from . import mfa, passwords, sessions
from .models import AccountSecurity

# Paths a gated session may still open: signing out, assets, language — and the page of the step
# it owes, only that one (a session that still owes its second factor cannot change the password).
_ALWAYS_OPEN = ("/static/", "/i18n/", "/jsi18n/", "/logout/")
_STEP_PREFIX = {"people:mfa_verify": "/people/account/mfa/", "people:mfa_enrol": "/people/account/mfa/",
                "people:password_change": "/people/account/password/"}

_MESSAGES = {
    "mfa_required": "请先完成双因素认证（动态验证码）",
    "password_change_required": "请先修改密码",
    "session_expired": "会话已过期或已被结束，请重新登录",
}


def _is_api(request) -> bool:
    return request.path.startswith("/api/")


def _refuse(request, code: str, to: str):
    if _is_api(request):
        return JsonResponse({"code": code, "message": _MESSAGES[code], "detail": None},
                            status=401 if code == "session_expired" else 403, json_dumps_params={"ensure_ascii": False})
    return redirect(to)


def gate(user, tracked) -> str | None:
    """Which step this signed-in session still owes, as a URL name, or None."""
    if mfa.required(user) and not tracked.mfa_verified:
        return "people:mfa_verify" if mfa.security_of(user).totp_enabled else "people:mfa_enrol"
    sec = AccountSecurity.objects.filter(user=user).first()
    if (sec is not None and sec.must_change_password) or passwords.password_expired(sec, user):
        return "people:password_change"
    return None


class AccountSecurityMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated or not hasattr(request, "session"):
            return self.get_response(request)
        tracked, reason = sessions.current(request)
        if reason is not None:
            if tracked is not None and reason in ("idle", "absolute"):
                from chengyun.core import audit

                sessions.end(tracked, reason, delete_store=False)
                audit.action(user, "session_timeout", otype="auth.user", object_repr=user.get_username(), after={"reason": reason})
            auth.logout(request)
            return _refuse(request, "session_expired", f"{reverse('login')}?next={quote(request.path)}")
        request.tracked_session = tracked
        step = gate(user, tracked)
        if step is not None and not request.path.startswith((*_ALWAYS_OPEN, _STEP_PREFIX[step])):
            code = "password_change_required" if step == "people:password_change" else "mfa_required"
            return _refuse(request, code, reverse(step))
        return self.get_response(request)
