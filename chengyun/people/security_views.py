"""The security administrator's page: active lockouts (unlock), a person's sessions (revoke),
resetting a lost second factor."""
from __future__ import annotations

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from . import lockout, mfa, policy, sessions
from . import roles as R
from .models import Lockout

SECURITY_ROLES = frozenset({R.SECURITY_ADMIN, R.SYSADMIN})


@login_required
def security_admin(request):
    policy.require_role(request.user, SECURITY_ROLES, "只有安全管理员可以管理登录锁定和会话")
    username = (request.GET.get("user") or "").strip()
    target = get_user_model().objects.filter(username=username).first() if username else None
    return render(request, "people/security_admin.html", {
        "locks": lockout.active_locks()[:200], "username": username, "target": target,
        "sessions": sessions.open_sessions(target) if target else [],
        "can_reset_mfa": policy.principal(request.user).has({R.SECURITY_ADMIN}),
    })


@login_required
@require_POST
def unlock(request, pk: int):
    lock = get_object_or_404(Lockout, pk=pk)
    lockout.unlock(request.user, lock)
    messages.success(request, _("已解除锁定：%(s)s") % {"s": lock.subject})
    return redirect("people:security")


@login_required
@require_POST
def revoke_user_sessions(request, username: str):
    target = get_object_or_404(get_user_model(), username=username)
    policy.require_role(request.user, SECURITY_ROLES, "只有安全管理员可以结束他人的会话")
    n = sessions.revoke_all(request.user, target)
    messages.success(request, _("已结束 %(n)d 个会话。") % {"n": n})
    return redirect(f"/people/security/?user={username}")


@login_required
@require_POST
def reset_mfa(request, username: str):
    target = get_object_or_404(get_user_model(), username=username)
    mfa.reset(request.user, target)
    messages.success(request, _("已重置双因素认证，该账号下次登录时重新绑定。"))
    return redirect(f"/people/security/?user={username}")
