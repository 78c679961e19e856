from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from .models import Notification


# Signing in and out: chengyun.people.account_views (lockout, sessions, second factor).


@login_required
def home(request):
    """Each role lands on its own work: the first app whose ``home_page`` answers for this user
    (chengyun.core.registry); the district's plain counts when none does."""
    from .registry import home_pages

    for page in home_pages():
        response = page(request)
        if response is not None:
            return response
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
