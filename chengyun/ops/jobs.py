"""Where a background job that raises becomes visible. Huey retries a job declared with
``retries``/``retry_delay``/``retry_backoff`` by itself (the delay multiplied by the backoff after
each attempt); this records every failed attempt as a JobFailure row, the last one ``final``,
and /metrics counts the final ones per task (``chengyun_jobs_failed``) so an alert can fire."""
from __future__ import annotations

import logging
from datetime import timedelta

from django.utils import timezone
from huey.signals import SIGNAL_ERROR

logger = logging.getLogger("chengyun.jobs")


def record_failure(signal, task, exc=None) -> None:
    from .models import JobFailure

    final = not task.retries
    # Huey emits the error before it requeues: the delay now is the one before the next attempt.
    next_at = None if final or not task.retry_delay else timezone.now() + timedelta(seconds=task.retry_delay)
    try:
        JobFailure.objects.create(task=task.name, task_id=str(task.id), arguments=repr((task.args, task.kwargs))[:2000],
                                  error=f"{type(exc).__name__}: {exc}"[:4000], retries_left=task.retries,
                                  next_attempt_at=next_at, final=final)
    except Exception:  # the database itself may be what failed; the consumer log still has it
        logger.exception("无法记录任务 %s 的失败", task.id)
    if final:
        logger.error("后台任务 %s（%s）重试用尽，最终失败：%s", task.name, task.id, exc)


def connect() -> None:
    from huey.contrib.djhuey import HUEY

    HUEY.disconnect_signal(record_failure)
    HUEY.signal(SIGNAL_ERROR)(record_failure)
