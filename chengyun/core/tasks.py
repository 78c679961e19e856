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
