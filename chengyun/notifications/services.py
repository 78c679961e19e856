"""Every write of the notification centre: a user marks their own notices read and sets their
own preferences. Nobody reads or changes another user's inbox."""
from __future__ import annotations

from typing import Any, Mapping

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from chengyun.core import audit
from chengyun.core.errors import Invalid, NotFound
from chengyun.core.models import Notification, NotificationPreference
from chengyun.core.notify import CHANNELS, KINDS


def inbox(user: Any, *, kind: str = "", unread: bool = False):
    qs = Notification.objects.filter(recipient=user)
    if kind:
        qs = qs.filter(kind=kind)
    if unread:
        qs = qs.filter(read_at__isnull=True)
    return qs.order_by("-created_at", "-id")


def unread_count(user: Any) -> int:
    if not getattr(user, "is_authenticated", False):
        return 0
    return Notification.objects.filter(recipient=user, read_at__isnull=True).count()


def own(user: Any, pk: Any) -> Notification:
    n = Notification.objects.filter(recipient=user, pk=pk).first() if str(pk).isdigit() else None
    if n is None:
        raise NotFound("通知不存在", code="notification_not_found")
    return n


def mark_read(user: Any, pk: Any) -> Notification:
    n = own(user, pk)
    if n.read_at is None:
        n.read_at = timezone.now()
        n.save(update_fields=["read_at"])
    return n


def mark_all_read(user: Any, *, kind: str = "") -> int:
    return inbox(user, kind=kind, unread=True).update(read_at=timezone.now())


def preference_rows(user: Any) -> list[dict[str, Any]]:
    """The default row and one row per kind, each with the channels as they apply now."""
    rows = {r.kind: r for r in NotificationPreference.objects.filter(user=user)}
    default = rows.get("")
    out = [{"kind": "", "label": str(_("默认（所有类型）")), "digest": bool(default and default.digest),
            **{c: getattr(default, c) if default else True for c in CHANNELS}, "own": default is not None}]
    for key, label in KINDS.items():
        row = rows.get(key) or default
        out.append({"kind": key, "label": str(label), "digest": False, **{c: getattr(row, c) if row else True for c in CHANNELS},
                    "own": key in rows})
    return out


def set_preference(user: Any, *, kind: str, values: Mapping[str, Any]) -> NotificationPreference:
    """Set the channels (and, for the default row, digest mode) of one kind for oneself."""
    if kind and kind not in KINDS:
        raise Invalid(f"未知的通知类型：{kind}", code="bad_kind", detail={"field": "kind", "known": sorted(KINDS)})
    unknown = sorted(set(values) - set(CHANNELS) - {"digest"})
    if unknown:
        raise Invalid(f"未知的通知渠道：{'、'.join(unknown)}", code="bad_channel", detail={"field": unknown[0], "known": sorted(CHANNELS)})
    if "digest" in values and kind:
        raise Invalid("每日汇总只能在默认设置中开启", code="digest_on_default_only", detail={"field": "digest"})
    for name, value in values.items():
        if not isinstance(value, bool):
            raise Invalid(f"{name} 应为 true 或 false", code="bad_value", detail={"field": name})
    with transaction.atomic():
        row, made = NotificationPreference.objects.get_or_create(user=user, kind=kind)
        before = audit.snapshot(row)
        for name, value in values.items():
            setattr(row, name, value)
        row.save()
        if made:
            audit.created(row, verb="set_notification_preference")
        else:
            audit.updated(row, before, verb="set_notification_preference")
    return row
