from __future__ import annotations

from django.conf import settings
from django.contrib import auth
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.core.cache import cache
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from . import audit, current
from .middleware import client_ip
from .models import Notification


def _throttle_keys(request) -> list[str]:
    username = (request.POST.get("username") or "").strip().lower()[:150]
    return [f"login-fail:user:{username}", f"login-fail:ip:{client_ip(request)}"]


class LoginView(auth_views.LoginView):
    """Sign-in with a lock after repeated failures, per account and per client address."""

    template_name = "core/login.html"
    redirect_authenticated_user = True

    def post(self, request, *args, **kwargs):
        keys = _throttle_keys(request)
        if any((cache.get(k) or 0) >= settings.LOGIN_THROTTLE_ATTEMPTS for k in keys):
            minutes = settings.LOGIN_THROTTLE_WINDOW_SECONDS // 60
            form = self.get_form()
            form.errors.clear()
            return render(request, self.template_name, {"form": form, "throttled": True,
                          "error": _("登录失败次数过多，请 %(m)s 分钟后再试。") % {"m": minutes}}, status=429)
        return super().post(request, *args, **kwargs)

    def form_invalid(self, form):
        for key in _throttle_keys(self.request):
            try:
                cache.incr(key)
            except ValueError:
                cache.set(key, 1, settings.LOGIN_THROTTLE_WINDOW_SECONDS)
        return super().form_invalid(form)

    def form_valid(self, form):
        for key in _throttle_keys(self.request):
            cache.delete(key)
        response = super().form_valid(form)
        current.set_user(self.request.user)
        audit.action(self.request.user, "login", otype="auth.user", object_repr=self.request.user.get_username())
        return response


def logout_view(request):
    auth.logout(request)
    return redirect("login")


@login_required
def home(request):
    from chengyun.geo.models import Community, Grid, Street, Unit
    from chengyun.people.models import Person

    stats = {
        "streets": Street.objects.count(),
        "communities": Community.objects.count(),
        "grids": Grid.objects.count(),
        "units": Unit.objects.count(),
        "people": Person.objects.filter(active=True).count(),
    }
    return render(request, "core/home.html", {"stats": stats, "unread": request.user.notifications.filter(read_at__isnull=True).count()})


@login_required
def notifications(request):
    items = request.user.notifications.all()[:200]
    return render(request, "core/notifications.html", {"items": items})


@login_required
@require_POST
def notification_read(request, pk: int):
    n = get_object_or_404(Notification, pk=pk, recipient=request.user)
    if n.read_at is None:
        n.read_at = timezone.now()
        n.save(update_fields=["read_at"])
    return redirect(n.url or "notifications")
