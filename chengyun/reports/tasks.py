"""The report scheduler's heartbeat: every quarter of an hour, whatever report is due is generated once."""
from huey import crontab
from huey.contrib.djhuey import db_periodic_task


@db_periodic_task(crontab(minute="*/15"))
def run_scheduled_reports() -> int:
    from .schedules import run_due

    return len(run_due())
