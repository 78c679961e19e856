from __future__ import annotations

from django.conf import settings
from django.urls import NoReverseMatch, reverse

from . import registry


def shell(request):
    """What every page's frame needs: the navigation this user may use (flat, and grouped by
    domain), the basemap, the version."""
    allowed = []
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
            allowed.append((item, url))
    urls = {id(item): url for item, url in allowed}

    def entry(item):
        url = urls[id(item)]
        return {"label": item.label, "url": url, "active": request.path.startswith(url) and (url != "/" or request.path == "/")}

    groups = [{"key": key, "label": label, "items": [entry(i) for i in items]}
              for key, label, items in registry.nav_groups([item for item, _ in allowed])]
    return {
        "nav_items": [entry(item) for item, _ in allowed],
        "nav_groups": groups,
        "tile_url": settings.TILE_URL,
        "tile_attribution": settings.TILE_ATTRIBUTION,
        "chengyun_version": settings.VERSION,
    }
