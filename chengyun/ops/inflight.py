"""At-least-once background jobs: a job a worker took and never finished is run again.

Huey removes a job from the queue when a worker takes it. If that worker is killed (kill -9,
out of memory, the machine losing power) or shut down mid-job, the job is gone: the water
module's re-judging, an alert's notification or a report would silently not happen. So every
job a worker starts is written down here (its serialised message, host and process) and crossed
off when it completes or fails for good; a job still written down whose process is dead, or that
has run past the lease (``CHENGYUN_JOB_LEASE_SECONDS``, for a worker on another host), is put
back on the queue — at worker start-up and every few minutes. Chengyun's jobs are written to be
run twice safely (recomputations, upserts, notifications deduplicated by key), which is what
at-least-once asks of them. Periodic jobs are not tracked: their next run comes anyway.
"""
from __future__ import annotations

import logging
import os
import socket
from datetime import timedelta

from django.conf import settings
from django.db import DatabaseError
from django.utils import timezone
from huey.api import PeriodicTask
from huey.signals import (SIGNAL_CANCELED, SIGNAL_COMPLETE, SIGNAL_ERROR, SIGNAL_EXECUTING, SIGNAL_EXPIRED,
                          SIGNAL_LOCKED, SIGNAL_REVOKED)

logger = logging.getLogger("chengyun.jobs")

HOST = socket.gethostname()[:120]
# The signals after which a started job needs nothing more from us: Huey has either finished it
# or requeued it itself (an error with retries left is requeued right after the signal).
_SETTLED = (SIGNAL_COMPLETE, SIGNAL_ERROR, SIGNAL_CANCELED, SIGNAL_EXPIRED, SIGNAL_LOCKED, SIGNAL_REVOKED)


def lease() -> timedelta:
    return timedelta(seconds=int(getattr(settings, "JOB_LEASE_SECONDS", 3600)))


def _tracked(task) -> bool:
    return not isinstance(task, PeriodicTask)


def started(signal, task, *args) -> None:
    from huey.contrib.djhuey import HUEY

    from .models import JobInFlight

    if not _tracked(task):
        return
    try:
        JobInFlight.objects.update_or_create(task_id=str(task.id), defaults={
            "task": task.name[:200], "message": HUEY.serialize_task(task), "host": HOST, "pid": os.getpid(),
            "started_at": timezone.now()})
    except DatabaseError:
        # The database being away is a fault the job itself will meet and retry; the record of
        # it being in flight is then best effort, never a reason for the job not to run.
        logger.warning("无法记录进行中的任务 %s", task.id, exc_info=True)


def settled(signal, task, *args) -> None:
    from .models import JobInFlight

    if not _tracked(task):
        return
    try:
        JobInFlight.objects.filter(task_id=str(task.id)).delete()
    except DatabaseError:
        logger.warning("无法注销已结束的任务 %s", task.id, exc_info=True)


def _process_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # someone else's process holds the number: alive, just not ours to signal
    return True


def abandoned():
    """Jobs written down as running whose worker is gone."""
    from .models import JobInFlight

    cutoff = timezone.now() - lease()
    rows = []
    for row in JobInFlight.objects.order_by("started_at"):
        if row.started_at < cutoff:
            rows.append(row)
        elif row.host == HOST and row.pid != os.getpid() and not _process_alive(row.pid):
            rows.append(row)
    return rows


def recover() -> int:
    """Put abandoned jobs back on the queue; each one once, however many workers sweep at once."""
    from huey.contrib.djhuey import HUEY

    from .models import JobInFlight

    requeued = 0
    for row in abandoned():
        # Whoever deletes the row requeues the job: two workers starting together cannot both do it.
        if JobInFlight.objects.filter(pk=row.pk).delete()[0] != 1:
            continue
        try:
            task = HUEY.deserialize_task(bytes(row.message))
        except Exception:
            logger.exception("无法恢复中断的任务 %s（%s）：消息无法解析", row.task, row.task_id)
            continue
        HUEY.enqueue(task)
        requeued += 1
        logger.warning("重新排队中断的任务 %s（%s，原进程 %s@%s，开始于 %s）", row.task, row.task_id, row.pid, row.host,
                       row.started_at.isoformat())
    return requeued


def recover_at_startup() -> None:
    try:
        recover()
    except DatabaseError:
        logger.warning("启动时未能检查中断的任务（数据库不可用），将由定时检查补上", exc_info=True)


def connect() -> None:
    from huey.contrib.djhuey import HUEY

    HUEY.disconnect_signal(started)
    HUEY.disconnect_signal(settled)
    HUEY.signal(SIGNAL_EXECUTING)(started)
    HUEY.signal(*_SETTLED)(settled)
    HUEY.unregister_on_startup("chengyun_recover_jobs")
    HUEY.on_startup("chengyun_recover_jobs")(recover_at_startup)
