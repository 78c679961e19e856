"""Notifications: an in-app record for each recipient, fanned out to outbound channels.

Channels are pluggable: CHENGYUN_NOTIFY_CHANNELS lists dotted paths of callables
``send(notification) -> None`` (e.g. an email or a webhook for SMS/WeCom gateways). They run
in the background worker so a slow gateway never holds up a request.

Each notice has a kind (KINDS) — what it asks the recipient to do — and each user may say, per
kind, which channels carry it (NotificationPreference); a user with digest mode gets the outbound
copies bundled once a day (core.tasks.send_digests) while the inbox still shows each one at once.
"""
from __future__ import annotations

from typing import Any, Iterable

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .channels import CHANNELS, Preferences, channel_of, channel_paths, preferences_for  # noqa: F401  (re-exported)
from .models import Notification
from .tasks import deliver

# The kinds of notice the platform sends, in the order the preferences page lists them.
KINDS: dict[str, Any] = {
    "case_assigned": _("案件派遣/待办"),
    "public_report": _("群众新上报"),
    "deadline_near": _("期限临近"),
    "escalation": _("超期升级"),
    "daily_entry": _("日调度填报提醒"),
    "reach_alert": _("河段/水质告警"),
    "decision_assigned": _("议定事项交办"),
    "report_ready": _("报告已生成"),
    "research": _("调研任务"),
    "digest": _("每日汇总"),
}
def notify(recipients: Iterable[Any], title: str, *, body: str = "", url: str = "", level: str = Notification.Level.INFO,
           dedup_key: str = "", kind: str = "") -> list[Notification]:
    """Notify each user once; with a dedup_key, a repeated call for the same user does nothing.

    A user who switched off every channel for `kind` gets nothing; one who switched off only the
    inbox gets the outbound copies, and the inbox record is filed as read.
    """
    users = {u.pk: u for u in recipients if u is not None}
    prefs = preferences_for(users) if users else {}
    outbound = [channel_of(p) for p in channel_paths()]
    created = []
    now = timezone.now()
    for user in users.values():
        pref = prefs.get(user.pk) or Preferences(())
        in_app = pref.allows(kind, "in_app")
        wanted = [c for c in outbound if pref.allows(kind, c)]
        if not in_app and not wanted:
            continue
        try:
            with transaction.atomic():
                n = Notification.objects.create(recipient=user, title=title[:200], body=body, url=url, level=level, dedup_key=dedup_key,
                                                kind=kind, read_at=None if in_app else now, held_for_digest=bool(wanted) and pref.digest)
        except IntegrityError:
            continue  # already notified for this dedup_key
        created.append(n)
    due = [n.pk for n in created if not n.held_for_digest]
    if due and outbound:
        transaction.on_commit(lambda: deliver(due))
    return created
