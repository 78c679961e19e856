"""The job worker's own heartbeat: a periodic job proves a consumer is taking jobs from the
queue (readiness lists it beside the receivers); the deployment smoke test enqueues it too."""
from __future__ import annotations

from huey import crontab
from huey.contrib.djhuey import db_periodic_task, db_task

from .heartbeat import beat


@db_periodic_task(crontab(minute="*/5"))
def recover_abandoned_jobs() -> int:
    """Jobs whose worker died mid-run, put back on the queue (chengyun.ops.inflight)."""
    from .inflight import recover

    return recover()


@db_task()
def worker_beat(token: str = "") -> None:
    beat("huey-worker", "queue", detail={"token": token, "interval": 60} if token else {"interval": 60})


@db_periodic_task(crontab(minute="*"))
def worker_beat_periodic() -> None:
    beat("huey-worker", "queue", detail={"interval": 60})


@db_task(retries=6, retry_delay=1, retry_backoff=2)
def worker_probe(token: str, hold: float = 0.0) -> None:
    """A job whose completion leaves a mark: scripts/faults.py enqueues many and counts how many
    came back after killing the worker or restarting the database (retried while it is away).
    ``hold`` keeps it running that many seconds first, so a kill finds it in flight.
    The row is born stopped, so readiness and metrics ignore it."""
    import time

    from django.utils import timezone

    if hold:
        time.sleep(hold)
    from .models import Heartbeat

    now = timezone.now()
    Heartbeat.objects.get_or_create(name=f"huey-probe {token}", defaults={
        "kind": "huey-probe", "started_at": now, "beat_at": now, "stopped_at": now})
