"""The job worker's own heartbeat: a periodic job proves a consumer is taking jobs from the
queue (readiness lists it beside the receivers); the deployment smoke test enqueues it too."""
from __future__ import annotations

from huey import crontab
from huey.contrib.djhuey import db_periodic_task, db_task

from .heartbeat import beat


@db_task()
def worker_beat(token: str = "") -> None:
    beat("huey-worker", "queue", detail={"token": token, "interval": 60} if token else {"interval": 60})


@db_periodic_task(crontab(minute="*"))
def worker_beat_periodic() -> None:
    beat("huey-worker", "queue", detail={"interval": 60})
