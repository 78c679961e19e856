from huey import crontab
from huey.contrib.djhuey import db_periodic_task


@db_periodic_task(crontab(hour="3", minute="29"))
def forget_stale_sign_in_records() -> dict:
    """Daily: drop failure counters whose window and lock have passed, and session records that
    ended longer ago than the audit log is kept (the audit log keeps the sign-ins themselves)."""
    from .lockout import forget_stale
    from .sessions import forget_ended

    return {"lockouts": forget_stale(), "sessions": forget_ended()}
