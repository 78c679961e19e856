"""The two faults cheap enough for the suite (issue 15 §5); the others are in scripts/faults.py.

A background job that raises is retried with a growing delay and, once its retries are used up,
is visible as failed (a JobFailure row and the chengyun_jobs_failed metric). A read-only data
directory stops every command with one clear line and leaves the database as it was."""
from __future__ import annotations

import hashlib
import os
import secrets
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from huey.contrib.djhuey import HUEY

from chengyun.ops.models import JobFailure

REPO = Path(__file__).resolve().parents[2]


@HUEY.task(retries=2, retry_delay=10, retry_backoff=2)
def always_raises(marker: str) -> None:
    raise RuntimeError(f"故障注入 {marker}")


def _run_until_settled(task, result_id: str) -> list[float]:
    """What the consumer does: run the task (unless the queue ran it on enqueue, as the suite's
    immediate mode does), then each retry when its schedule comes due. Returns the delay Huey
    scheduled before each retry."""
    delays = []
    if task is not None:
        HUEY.execute(task)
    while True:
        due = [t for t in HUEY.scheduled() if t.id == result_id]
        if not due:
            return delays
        (retry,) = due
        delays.append((retry.eta - HUEY._get_timestamp()).total_seconds())
        assert result_id in [t.id for t in HUEY.read_schedule(retry.eta)]  # the scheduler hands it back when due
        HUEY.execute(retry, timestamp=retry.eta)


@pytest.mark.django_db
def test_a_job_that_raises_is_retried_with_backoff_then_visible_as_failed(client, settings):
    marker = secrets.token_hex(4)
    result = always_raises(marker)
    task = None if HUEY.immediate else HUEY.dequeue()  # the worker takes it from the queue
    delays = _run_until_settled(task, result.id)

    # Three attempts: the first, a retry 10 s later, the last 20 s after that (backoff ×2).
    assert [round(d) for d in delays] == [10, 20]
    rows = list(JobFailure.objects.filter(task_id=result.id).order_by("id"))
    assert [(r.retries_left, r.final) for r in rows] == [(2, False), (1, False), (0, True)]
    assert all(f"故障注入 {marker}" in r.error and r.task.endswith("always_raises") for r in rows)
    assert [round((r.next_attempt_at - r.failed_at).total_seconds()) for r in rows[:2]] == [10, 20]
    assert rows[-1].next_attempt_at is None
    assert not [t for t in HUEY.scheduled() + HUEY.pending() if t.id == result.id]

    settings.METRICS_ALLOWED_IPS = ["127.0.0.1"]
    text = client.get("/metrics", REMOTE_ADDR="127.0.0.1").content.decode()
    assert f'chengyun_jobs_failed{{task="{rows[-1].task}"}} 1.0' in text


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _read_only_mounts_possible() -> bool:
    if shutil.which("unshare") is None:
        return False
    probe = subprocess.run(["unshare", "--mount", "sh", "-c", "mount --bind / /mnt && mount -o remount,bind,ro /mnt"],
                           capture_output=True, timeout=30)
    return probe.returncode == 0


def _read_only(data: Path, argv: list[str]) -> list[str]:
    """argv run with the data directory remounted read-only in a private mount namespace,
    as after the kernel remounts a failing disk read-only (EROFS, which root cannot bypass)."""
    return ["unshare", "--mount", "sh", "-c", 'mount --bind "$0" "$0" && mount -o remount,bind,ro "$0" && exec "$@"',
            str(data), *argv]


@pytest.mark.skipif(not _read_only_mounts_possible(), reason="此环境不允许挂载命名空间（unshare --mount），无法模拟只读数据目录")
def test_a_read_only_data_directory_gives_one_clear_line_and_no_corruption(tmp_path):
    data = tmp_path / "data"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CHENGYUN_", "DJANGO_", "PYTEST"))}
    env.update({"CHENGYUN_MODE": "production", "CHENGYUN_DATA_DIR": str(data), "PYTHONPATH": str(REPO),
                "CHENGYUN_SECRET_KEY": secrets.token_urlsafe(50)})
    cli = [sys.executable, "-m", "chengyun.cli"]
    subprocess.run([*cli, "migrate", "--noinput", "-v", "0"], env=env, check=True, capture_output=True, timeout=300)
    db = data / "chengyun.sqlite3"
    before = _digest(db)

    for command in (["serve", "--no-hj212"], ["migrate", "--noinput"], ["check"]):
        result = subprocess.run(_read_only(data, [*cli, *command]), env=env, capture_output=True, text=True, timeout=120)
        assert result.returncode == 2, result.stderr[-2000:]
        line = result.stderr.strip()
        assert "\n" not in line and "Traceback" not in line
        assert f"拒绝启动：数据目录 {data} 不可写（只读文件系统）" in line and "CHENGYUN_DATA_DIR" in line

    assert _digest(db) == before
    with sqlite3.connect(db) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)
