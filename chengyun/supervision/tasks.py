"""Scheduled supervision work. One heartbeat every five minutes decides what is due in local
(Asia/Shanghai) time — reminders before the cut-off, flags after it, the evening brief,
the daily status refresh — so the schedule follows the configured cut-off and the working
calendar rather than fixed crontab lines."""
from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from chengyun.core import current


@db_periodic_task(crontab(minute="*/5"))
def supervision_tick():
    from . import services

    with current.acting(None, source="job"):
        return services.tick()
