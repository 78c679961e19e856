"""Background jobs of core: delivering notifications to the outbound channels."""
from huey.contrib.djhuey import db_task

from .channels import send_to_channels
from .models import Notification


@db_task(retries=3, retry_delay=30)
def deliver(notification_ids: list[int]) -> None:
    for n in Notification.objects.filter(pk__in=notification_ids).select_related("recipient"):
        send_to_channels(n)
