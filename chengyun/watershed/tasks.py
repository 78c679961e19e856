"""Background jobs of the cross-boundary exchange: pushing our messages to a neighbour's platform
(retried with back-off; at least once, chengyun.ops.inflight) and the periodic pull of every
neighbour's feed (CHENGYUN_EXCHANGE_PULL_MINUTES). Both are safe to run twice: a message is
applied once by its id on either side."""
from __future__ import annotations

from huey import crontab
from huey.contrib.djhuey import db_periodic_task, db_task

from chengyun.core import current

from .services import exchange


# 30 s, 1, 2, 4, 8, 16 min and 32 min: about an hour of a neighbour being away before the job gives
# up (recorded as a final JobFailure); the neighbour's own pull still fetches the message later.
@db_task(retries=7, retry_delay=30, retry_backoff=2)
def push_message(message_pk: int) -> bool:
    with current.acting(None, source="job"):
        return exchange.push(message_pk)


exchange.set_push_job(push_message)


@db_periodic_task(crontab(minute="*"))
def pull_neighbours() -> dict:
    """Runs every minute; each neighbour is pulled when its interval has passed."""
    with current.acting(None, source="job"):
        return exchange.pull_due()
