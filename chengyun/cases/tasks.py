from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from chengyun.core import current


@db_periodic_task(crontab(minute="*/5"))
def refresh_case_clocks() -> dict:
    """Keep 正常/预警/超期 current and notify the people concerned (once per stage and status)."""
    from .services import refresh_clocks

    with current.acting(None, source="job"):
        return refresh_clocks()


@db_periodic_task(crontab(hour="3", minute="41"))
def anonymize_expired_reporters() -> int:
    """Daily: blank citizens' names and phones on closed cases past CITIZEN_DATA_RETENTION_DAYS."""
    from .privacy import anonymize_expired

    with current.acting(None, source="job"):
        return anonymize_expired()
