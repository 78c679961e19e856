"""Outbound notification channels for core.notify.

List the ones to use in CHENGYUN_NOTIFY_CHANNELS (comma-separated dotted paths):

- ``chengyun.core.channels.email`` — sends each notification to the recipient's e-mail address
  with Django's mail (EMAIL_HOST etc. from the environment: CHENGYUN_EMAIL_HOST, _PORT, _USER,
  _PASSWORD, _USE_TLS, CHENGYUN_EMAIL_FROM). Recipients without an address are skipped.
- ``chengyun.core.channels.webhook`` — POSTs the notification as JSON to
  CHENGYUN_NOTIFY_WEBHOOK_URL: the district's SMS gateway or a WeCom (企业微信) relay turns it
  into a message. With CHENGYUN_NOTIFY_WEBHOOK_TOKEN the request carries
  ``Authorization: Bearer <token>``; CHENGYUN_NOTIFY_WEBHOOK_TIMEOUT (seconds, default 10).

Channels run in the background worker (core.tasks.deliver), never in a request. A failing
gateway raises ChannelError here; send_to_channels logs it and goes on with the other channels,
and the in-app notification is there either way.

Payload of the webhook:
    {"id", "title", "body", "url" (absolute when CHENGYUN_PUBLIC_URL is set), "level",
     "created_at" (ISO 8601 with offset), "recipient": {"username", "name", "phone", "email"}}
"""
from __future__ import annotations

import json
import logging
import os
import urllib.error
import urllib.request
from typing import Any, Iterable

from django.utils import timezone
from django.utils.module_loading import import_string
from django.utils.translation import gettext_lazy as _

from .models import Notification, NotificationPreference


log = logging.getLogger(__name__)


class ChannelError(RuntimeError):
    pass


def channel_paths() -> list[str]:
    return [p.strip() for p in os.environ.get("CHENGYUN_NOTIFY_CHANNELS", "").split(",") if p.strip()]


CHANNELS: dict[str, Any] = {"in_app": _("站内"), "email": _("邮件"), "webhook": _("短信/企业微信")}


def channel_of(path: str) -> str:
    """The preference field a configured channel path answers to (…channels.email → email)."""
    name = path.rsplit(".", 1)[-1]
    return name if name in CHANNELS else "webhook"


class Preferences:
    """One user's preferences, looked up the way notify needs them: the row for the kind, else the default row."""

    def __init__(self, rows: Iterable[NotificationPreference]):
        self.rows = {r.kind: r for r in rows}

    def allows(self, kind: str, channel: str) -> bool:
        row = self.rows.get(kind) or self.rows.get("")
        return True if row is None else bool(getattr(row, channel))

    @property
    def digest(self) -> bool:
        default = self.rows.get("")
        return bool(default and default.digest)


def preferences_for(user_ids: Iterable[int]) -> dict[int, Preferences]:
    rows: dict[int, list[NotificationPreference]] = {}
    for r in NotificationPreference.objects.filter(user_id__in=list(user_ids)):
        rows.setdefault(r.user_id, []).append(r)
    return {uid: Preferences(rs) for uid, rs in rows.items()}


def send_to_channels(notification: Notification) -> None:
    """Fan one notification out to every configured channel the recipient has not switched off
    for its kind (run by core.tasks.deliver)."""
    pref = preferences_for([notification.recipient_id]).get(notification.recipient_id) or Preferences(())
    for path in channel_paths():
        if not pref.allows(notification.kind, channel_of(path)):
            continue
        try:
            import_string(path)(notification)
        except Exception:  # one broken gateway must not stop the others
            log.exception("notification channel %s failed for notification %s", path, notification.pk)


def _public_url(path: str) -> str:
    base = os.environ.get("CHENGYUN_PUBLIC_URL", "").rstrip("/")
    if not path or path.startswith(("http://", "https://")) or not base:
        return path
    return f"{base}{path if path.startswith('/') else '/' + path}"


def _recipient(n: Notification) -> dict[str, str]:
    user = n.recipient
    person = getattr(user, "person", None) if hasattr(user, "person") else None
    return {
        "username": user.get_username(),
        "name": (person.name if person else "") or user.get_full_name() or user.get_username(),
        "phone": person.phone if person else "",
        "email": user.email or "",
    }


def payload(n: Notification) -> dict[str, Any]:
    return {
        "id": n.pk,
        "title": n.title,
        "body": n.body,
        "url": _public_url(n.url),
        "level": n.level,
        "created_at": timezone.localtime(n.created_at).isoformat() if n.created_at else None,
        "recipient": _recipient(n),
    }


def webhook(n: Notification) -> None:
    url = os.environ.get("CHENGYUN_NOTIFY_WEBHOOK_URL", "")
    if not url:
        raise ChannelError("CHENGYUN_NOTIFY_WEBHOOK_URL is not set")
    data = json.dumps(payload(n), ensure_ascii=False).encode("utf-8")
    request = urllib.request.Request(url, data=data, method="POST", headers={"Content-Type": "application/json; charset=utf-8"})
    token = os.environ.get("CHENGYUN_NOTIFY_WEBHOOK_TOKEN", "")
    if token:
        request.add_header("Authorization", f"Bearer {token}")
    timeout = float(os.environ.get("CHENGYUN_NOTIFY_WEBHOOK_TIMEOUT", "10"))
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            if not 200 <= response.status < 300:
                raise ChannelError(f"webhook answered {response.status}")
    except urllib.error.HTTPError as exc:
        raise ChannelError(f"webhook answered {exc.code}") from exc
    except (urllib.error.URLError, TimeoutError, OSError) as exc:
        raise ChannelError(f"webhook unreachable: {exc}") from exc


def email(n: Notification) -> None:
    from django.conf import settings
    from django.core.mail import EmailMessage, get_connection

    address = n.recipient.email
    if not address:
        return
    connection = get_connection(
        host=os.environ.get("CHENGYUN_EMAIL_HOST", getattr(settings, "EMAIL_HOST", "localhost")),
        port=int(os.environ.get("CHENGYUN_EMAIL_PORT", getattr(settings, "EMAIL_PORT", 25))),
        username=os.environ.get("CHENGYUN_EMAIL_USER", getattr(settings, "EMAIL_HOST_USER", "")),
        password=os.environ.get("CHENGYUN_EMAIL_PASSWORD", getattr(settings, "EMAIL_HOST_PASSWORD", "")),
        use_tls=os.environ.get("CHENGYUN_EMAIL_USE_TLS", "").lower() in {"1", "true", "yes", "on"},
    )
    level = dict(Notification.Level.choices).get(n.level, "")
    body = n.body
    link = _public_url(n.url)
    if link:
        body = f"{body}\n\n{link}" if body else link
    EmailMessage(subject=f"【城运·{level}】{n.title}", body=body or n.title,
                 from_email=os.environ.get("CHENGYUN_EMAIL_FROM", getattr(settings, "DEFAULT_FROM_EMAIL", "chengyun@localhost")),
                 to=[address], connection=connection).send()
