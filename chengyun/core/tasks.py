"""Background jobs of core: delivering notifications to the outbound channels, purging the audit log."""
from huey import crontab
from huey.contrib.djhuey import db_periodic_task, db_task

from . import current
from .channels import send_to_channels
from .models import Notification


@db_task(retries=3, retry_delay=30, retry_backoff=2)
def deliver(notification_ids: list[int]) -> None:
    for n in Notification.objects.filter(pk__in=notification_ids).select_related("recipient"):
        send_to_channels(n)


@db_periodic_task(crontab(hour="3", minute="17"))
def purge_audit_log() -> int:
    """Daily: remove audit entries past CHENGYUN_AUDIT_RETENTION_DAYS, anchoring the chain."""
    from .auditlog import purge

    with current.acting(None, source="job"):
        return purge()


def bundle_digests(now=None) -> int:
    """Bundle each digest-mode user's held notices into one message for the outbound channels;
    the inbox already shows each notice, so the bundle is filed there as read."""
    from django.db import transaction
    from django.utils import timezone

    now = now or timezone.now()
    held = (Notification.objects.filter(held_for_digest=True, digested_at__isnull=True)
            .order_by("recipient_id", "created_at").select_related("recipient"))
    by_user: dict[int, list[Notification]] = {}
    for n in held:
        by_user.setdefault(n.recipient_id, []).append(n)
    sent = []
    with transaction.atomic():
        for items in by_user.values():
            lines = [f"{timezone.localtime(n.created_at):%m-%d %H:%M} {n.title}" for n in items]
            digest = Notification.objects.create(
                recipient=items[0].recipient, kind="digest", read_at=now, url="/notifications/",
                title=f"今日待办汇总：{len(items)}条通知", body="\n".join(lines)[:4000],
                level=max((n.level for n in items), key=[Notification.Level.INFO, Notification.Level.WARNING, Notification.Level.DANGER].index))
            Notification.objects.filter(pk__in=[n.pk for n in items]).update(digested_at=now)
            sent.append(digest.pk)
    if sent:
        transaction.on_commit(lambda: deliver(sent))
    return len(sent)


@db_periodic_task(crontab(hour="17", minute="45"))
def send_digests() -> int:
    """Daily before the end of the working day: leaders in digest mode get one message."""
    with current.acting(None, source="job"):
        return bundle_digests()
