"""/api/v1/notifications/: one's own inbox, marking read, preferences by kind and channel."""
from __future__ import annotations

import datetime as dt
from typing import Optional

from django.utils import timezone
from ninja import Query, Router, Schema

from chengyun.core.notify import KINDS
from chengyun.core.pagination import Page, PageParams, paginate

from . import services

router = Router(tags=["通知"])


class NotificationOut(Schema):
    id: int
    kind: str
    kind_label: str
    level: str
    title: str
    body: str
    url: str
    created_at: dt.datetime
    read_at: Optional[dt.datetime]


class NotificationCountOut(Schema):
    unread: int


class NotificationMarkedOut(Schema):
    marked: int


class NotificationPreferenceIn(Schema):
    kind: str = ""
    in_app: Optional[bool] = None
    email: Optional[bool] = None
    webhook: Optional[bool] = None
    digest: Optional[bool] = None


class NotificationPreferenceOut(Schema):
    kind: str
    label: str
    in_app: bool
    email: bool
    webhook: bool
    digest: bool
    own: bool


def _out(n) -> dict:
    return {"id": n.pk, "kind": n.kind, "kind_label": str(KINDS.get(n.kind, "")), "level": n.level, "title": n.title, "body": n.body,
            "url": n.url, "created_at": timezone.localtime(n.created_at), "read_at": timezone.localtime(n.read_at) if n.read_at else None}


@router.get("/", response=Page[NotificationOut], summary="我的通知")
def inbox(request, kind: str = "", unread: bool = False, page: PageParams = Query(...)):
    return paginate(services.inbox(request.user, kind=kind, unread=unread), page, _out)


@router.get("/unread-count", response=NotificationCountOut, summary="未读通知数")
def unread_count(request):
    return {"unread": services.unread_count(request.user)}


@router.post("/{notification_id}/read", response=NotificationOut, summary="标为已读")
def mark_read(request, notification_id: int):
    return _out(services.mark_read(request.user, notification_id))


@router.post("/read-all", response=NotificationMarkedOut, summary="全部标为已读")
def mark_all_read(request, kind: str = ""):
    return {"marked": services.mark_all_read(request.user, kind=kind)}


@router.get("/preferences", response=list[NotificationPreferenceOut], summary="通知偏好")
def preferences(request):
    return services.preference_rows(request.user)


@router.put("/preferences", response=list[NotificationPreferenceOut], summary="设置通知偏好")
def set_preferences(request, payload: NotificationPreferenceIn):
    values = {k: v for k, v in payload.dict().items() if k != "kind" and v is not None}
    services.set_preference(request.user, kind=payload.kind, values=values)
    return services.preference_rows(request.user)
