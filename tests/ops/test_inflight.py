"""At-least-once jobs (chengyun.ops.inflight): a job whose worker died is run again, once."""
import os
import subprocess
import sys
from datetime import timedelta

import pytest
from django.utils import timezone
from huey.contrib.djhuey import HUEY

from chengyun.ops import inflight
from chengyun.ops.models import Heartbeat, JobInFlight
from chengyun.ops.tasks import worker_beat_periodic, worker_probe

pytestmark = pytest.mark.django_db


def dead_pid() -> int:
    p = subprocess.Popen([sys.executable, "-c", "pass"])
    p.wait()
    return p.pid


def written_down(token: str, *, pid: int, started_at=None) -> JobInFlight:
    task = worker_probe.s(token)
    return JobInFlight.objects.create(task_id=str(task.id), task=task.name, message=HUEY.serialize_task(task),
                                      host=inflight.HOST, pid=pid, started_at=started_at or timezone.now())


def probe_ran(token: str) -> bool:
    return Heartbeat.objects.filter(name=f"huey-probe {token}").exists()


def test_a_running_job_is_written_down_and_crossed_off_when_done():
    seen = []

    def look(signal, task, *args):
        seen.append(list(JobInFlight.objects.values_list("task_id", "pid")))

    HUEY.signal("executing")(look)  # connected after ours: runs once the row is there
    try:
        result = worker_probe("written")
    finally:
        HUEY.disconnect_signal(look)
    assert seen == [[(str(result.id), os.getpid())]]
    assert probe_ran("written")
    assert not JobInFlight.objects.exists()


def test_a_failed_job_is_crossed_off_too(monkeypatch):
    from chengyun.ops.tasks import worker_beat

    monkeypatch.setattr("chengyun.ops.tasks.beat", lambda *a, **k: 1 / 0)
    worker_beat("boom")
    assert not JobInFlight.objects.exists()


def test_periodic_jobs_are_not_tracked():
    task = worker_beat_periodic.s()
    inflight.started("executing", task)
    assert not JobInFlight.objects.exists()


def test_a_job_whose_worker_died_is_run_again_once():
    written_down("orphan", pid=dead_pid())
    assert inflight.recover() == 1
    assert probe_ran("orphan")
    assert not JobInFlight.objects.exists()
    assert inflight.recover() == 0


def test_a_job_of_a_live_worker_is_left_alone_until_its_lease_runs_out(settings):
    settings.JOB_LEASE_SECONDS = 600
    written_down("busy", pid=os.getppid())
    assert inflight.recover() == 0 and not probe_ran("busy")
    JobInFlight.objects.update(started_at=timezone.now() - timedelta(seconds=601))
    assert inflight.recover() == 1 and probe_ran("busy")


def test_a_job_on_another_host_waits_for_the_lease(settings):
    settings.JOB_LEASE_SECONDS = 600
    row = written_down("elsewhere", pid=dead_pid())
    JobInFlight.objects.filter(pk=row.pk).update(host="other-host")
    assert inflight.recover() == 0
    JobInFlight.objects.update(started_at=timezone.now() - timedelta(hours=2))
    assert inflight.recover() == 1


def test_two_sweepers_requeue_a_job_once(monkeypatch):
    written_down("raced", pid=dead_pid())
    rows = inflight.abandoned()
    # The other sweeper got there first: its delete wins, ours finds nothing to delete.
    JobInFlight.objects.all().delete()
    monkeypatch.setattr(inflight, "abandoned", lambda: rows)
    assert inflight.recover() == 0
    assert not probe_ran("raced")


def test_an_unreadable_message_is_dropped_with_a_log_line(caplog):
    JobInFlight.objects.create(task_id="x", task="broken", message=b"not a task", host=inflight.HOST, pid=dead_pid(),
                               started_at=timezone.now())
    assert inflight.recover() == 0
    assert "无法恢复" in caplog.text and not JobInFlight.objects.exists()


def test_the_worker_sweeps_at_start_up():
    assert HUEY._startup.get("chengyun_recover_jobs") is inflight.recover_at_startup
