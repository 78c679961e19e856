from __future__ import annotations

from . import services


def unread(request):
    """The unread count the page header shows beside 通知."""
    user = getattr(request, "user", None)
    return {"unread_notifications": services.unread_count(user) if user is not None else 0}
