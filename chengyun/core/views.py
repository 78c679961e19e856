from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.shortcuts import render


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
