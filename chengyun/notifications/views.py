from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from chengyun.core.errors import DomainError
from chengyun.core.notify import CHANNELS, KINDS

from . import services


@login_required
def inbox(request):
    kind = request.GET.get("kind", "")
    kind = kind if kind in KINDS else ""
    items = services.inbox(request.user, kind=kind)[:200]
    return render(request, "core/notifications.html", {
        "items": items, "kinds": [(k, v) for k, v in KINDS.items()], "kind": kind, "kind_labels": KINDS,
    })


@login_required
@require_POST
def read(request, pk: int):
    n = services.mark_read(request.user, pk)
    return redirect(n.url or "notifications")


@login_required
@require_POST
def read_all(request):
    services.mark_all_read(request.user, kind=request.POST.get("kind", ""))
    return redirect("notifications")


@login_required
def preferences(request):
    if request.method == "POST":
        try:
            for row in services.preference_rows(request.user):
                key = row["kind"] or "default"
                values = {c: request.POST.get(f"{key}-{c}") == "on" for c in CHANNELS}
                if not row["kind"]:
                    values["digest"] = request.POST.get("default-digest") == "on"
                changed = any(values[c] != row[c] for c in values)
                if changed:
                    services.set_preference(request.user, kind=row["kind"], values=values)
        except DomainError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, _("通知偏好已保存"))
        return redirect("notification_preferences")
    return render(request, "notifications/preferences.html", {"rows": services.preference_rows(request.user), "channels": CHANNELS})
