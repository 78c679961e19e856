"""Notifications: an in-app record for each recipient, fanned out to outbound channels.

Channels are pluggable: CHENGYUN_NOTIFY_CHANNELS lists dotted paths of callables
``send(notification) -> None`` (e.g. an email or a webhook for SMS/WeCom gateways). They run
in the background worker so a slow gateway never holds up a request.
"""
from __future__ import annotations

import logging
import os
from typing import Any, Iterable

from django.db import IntegrityError, transaction
from django.utils.module_loading import import_string

from .models import Notification

log = logging.getLogger(__name__)


def channel_paths() -> list[str]:
    return [p.strip() for p in os.environ.get("CHENGYUN_NOTIFY_CHANNELS", "").split(",") if p.strip()]


def notify(recipients: Iterable[Any], title: str, *, body: str = "", url: str = "", level: str = Notification.Level.INFO,
           dedup_key: str = "") -> list[Notification]:
    """Notify each user once; with a dedup_key, a repeated call for the same user does nothing."""
    created = []
    for user in {u.pk: u for u in recipients if u is not None}.values():
        try:
            with transaction.atomic():
                n = Notification.objects.create(recipient=user, title=title[:200], body=body, url=url, level=level, dedup_key=dedup_key)
        except IntegrityError:
            continue  # already notified for this dedup_key
        created.append(n)
    if created and channel_paths():
        from .tasks import deliver

        ids = [n.pk for n in created]
        transaction.on_commit(lambda: deliver(ids))
    return created


def send_to_channels(notification: Notification) -> None:
    for path in channel_paths():
        try:
            import_string(path)(notification)
        except Exception:  # one broken gateway must not stop the others
            log.exception("notification channel %s failed for notification %s", path, notification.pk)
