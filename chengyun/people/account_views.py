"""Signing in and out, the forced password change, the second factor, and one's sessions."""
from __future__ import annotations

from django.conf import settings
from django.contrib import auth, messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.contrib.auth.forms import PasswordChangeForm
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from chengyun.core import audit, current
from chengyun.core.errors import DomainError
from chengyun.core.middleware import client_ip

from . import lockout, mfa, sessions
from .models import AccountSecurity, UserSession


def _login_subjects(request):
    return lockout.subjects_for_login(request.POST.get("username", ""), client_ip(request))


class LoginView(auth_views.LoginView):
    """Sign-in, locked per account and per client address after repeated failures."""

    template_name = "core/login.html"
    redirect_authenticated_user = True

    def post(self, request, *args, **kwargs):
        lock = lockout.locked(_login_subjects(request))
        if lock is not None:
            form = self.get_form()
            form.errors.clear()
            return render(request, self.template_name, {"form": form, "throttled": True,
                          "error": _("登录失败次数过多，请 %(m)s 分钟后再试。") % {"m": lockout.minutes_left(lock)}}, status=429)
        return super().post(request, *args, **kwargs)

    def form_invalid(self, form):
        username = (self.request.POST.get("username") or "")[:150]
        audit.action(None, "login_failed", otype="auth.user", object_repr=username, after={"username": username})
        lockout.record_failure(_login_subjects(self.request))
        return super().form_invalid(form)

    def form_valid(self, form):
        lockout.clear(_login_subjects(self.request))
        response = super().form_valid(form)
        current.set_user(self.request.user)
        audit.action(self.request.user, "login", otype="auth.user", object_repr=self.request.user.get_username())
        return response


def logout_view(request):
    """Ends the session on the server (the session row is deleted, the tracked session closed)."""
    if request.user.is_authenticated:
        audit.action(request.user, "logout", otype="auth.user", object_repr=request.user.get_username())
        tracked = UserSession.objects.filter(session_key=request.session.session_key).first()
        if tracked is not None:
            sessions.end(tracked, "logout", delete_store=False)
    auth.logout(request)
    return redirect("login")


@login_required
def password_change(request):
    sec = AccountSecurity.objects.filter(user=request.user).first()
    forced = bool(sec and sec.must_change_password)
    form = PasswordChangeForm(request.user, request.POST or None)
    if request.method == "POST" and form.is_valid():
        user = form.save()
        auth.update_session_auth_hash(request, user)  # a new session key; other sessions become invalid
        tracked = getattr(request, "tracked_session", None)
        if tracked is not None:
            UserSession.objects.filter(pk=tracked.pk).update(session_key=request.session.session_key)
            UserSession.objects.filter(user=user, ended_at__isnull=True).exclude(pk=tracked.pk).update(
                ended_at=timezone.now(), end_reason="password")
        sec, _created = AccountSecurity.objects.get_or_create(user=user)
        sec.must_change_password = False
        sec.password_changed_at = timezone.now()
        sec.save(update_fields=["must_change_password", "password_changed_at"])
        audit.action(user, "password_change", otype="auth.user", object_repr=user.get_username())
        messages.success(request, _("密码已修改。"))
        return redirect("home")
    return render(request, "people/password_change.html", {"form": form, "forced": forced})


@login_required
def mfa_enrol(request):
    sec = mfa.security_of(request.user)
    tracked = getattr(request, "tracked_session", None)
    if sec.totp_enabled and not (tracked is not None and tracked.mfa_verified):
        # Enrolling again (a new phone) shows the secret: only after this session passed the factor.
        return redirect("people:mfa_verify")
    if request.method == "POST":
        try:
            codes = mfa.confirm_enrolment(request.user, request.POST.get("code", ""))
        except DomainError as exc:
            sec = mfa.begin_enrolment(request.user)
            return render(request, "people/mfa_enrol.html", _enrol_context(request, sec, exc.message), status=exc.status)
        if tracked is not None:
            sessions.mark_verified(tracked)
        return render(request, "people/mfa_codes.html", {"codes": codes})
    if sec.totp_enabled and not request.GET.get("again"):
        return redirect("people:account")
    sec = mfa.begin_enrolment(request.user)
    return render(request, "people/mfa_enrol.html", _enrol_context(request, sec, ""))


def _enrol_context(request, sec, error: str) -> dict:
    uri = mfa.provisioning_uri(request.user, sec.totp_secret)
    return {"qr": mfa.qr_svg(uri), "secret": sec.totp_secret, "error": error}


@login_required
def mfa_verify(request):
    tracked = getattr(request, "tracked_session", None)
    error = ""
    if request.method == "POST":
        subjects = lockout.subjects_for_login(request.user.get_username(), client_ip(request))
        lock = lockout.locked(subjects)
        if lock is not None:
            auth.logout(request)
            return redirect("login")
        kind = mfa.verify(request.user, request.POST.get("code", ""))
        if kind is not None:
            if tracked is not None:
                sessions.mark_verified(tracked)
            audit.action(request.user, "mfa_verified", otype="auth.user", object_repr=request.user.get_username(), after={"by": kind})
            target = request.GET.get("next", "")
            if not url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}, require_https=request.is_secure()):
                target = settings.LOGIN_REDIRECT_URL
            return redirect(target)
        audit.action(request.user, "mfa_failed", otype="auth.user", object_repr=request.user.get_username())
        if lockout.record_failure(subjects) is not None:
            auth.logout(request)
            return redirect("login")
        error = _("动态验证码不正确。")
    return render(request, "people/mfa_verify.html", {"error": error}, status=422 if error else 200)


@login_required
def account(request):
    """My account: password, second factor, my signed-in sessions (with revoke)."""
    sec = AccountSecurity.objects.filter(user=request.user).first()
    tracked = getattr(request, "tracked_session", None)
    return render(request, "people/account.html", {
        "security": sec, "mfa_required": mfa.required(request.user),
        "sessions": sessions.open_sessions(request.user), "this_session": tracked.pk if tracked else None,
        "tokens": request.user.api_tokens.filter(revoked_at__isnull=True).order_by("-created_at"),
    })


@login_required
@require_POST
def session_revoke(request, pk: int):
    tracked = get_object_or_404(UserSession, pk=pk, ended_at__isnull=True)
    sessions.revoke(request.user, tracked)
    messages.success(request, _("会话已结束。"))
    return redirect("people:account")
