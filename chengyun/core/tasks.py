from huey.contrib.djhuey import db_task

from .models import Notification


@db_task(retries=3, retry_delay=30)
def deliver(notification_ids: list[int]) -> None:
    from .notify import send_to_channels

    for n in Notification.objects.filter(pk__in=notification_ids).select_related("recipient"):
        send_to_channels(n)
