from __future__ import annotations

from django.conf import settings
from django.urls import NoReverseMatch, reverse

from . import registry


def shell(request):
    """What every page's frame needs: the navigation this user may use, the basemap, the version."""
    items = []
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated:
        from chengyun.people.policy import principal

        roles = principal(user).roles
        for item in registry.nav_items():
            if item.roles is not None and not (roles & item.roles):
                continue
            try:
                url = reverse(item.url_name)
            except NoReverseMatch:
                continue
            items.append({"label": item.label, "url": url, "active": request.path.startswith(url)})
    return {
        "nav_items": items,
        "tile_url": settings.TILE_URL,
        "tile_attribution": settings.TILE_ATTRIBUTION,
        "chengyun_version": settings.VERSION,
    }
