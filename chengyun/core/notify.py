"""Notifications: an in-app record for each recipient, fanned out to outbound channels.

Channels are pluggable: CHENGYUN_NOTIFY_CHANNELS lists dotted paths of callables
``send(notification) -> None`` (e.g. an email or a webhook for SMS/WeCom gateways). They run
in the background worker so a slow gateway never holds up a request.
"""
from __future__ import annotations

from typing import Any, Iterable

from django.db import IntegrityError, transaction

from .channels import channel_paths
from .models import Notification
from .tasks import deliver


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
        ids = [n.pk for n in created]
        transaction.on_commit(lambda: deliver(ids))
    return created

