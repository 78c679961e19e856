"""`chengyun serve` started as in production on this machine — PostgreSQL, Redis, gunicorn with
several workers, the Huey consumer and an HJ 212 receiver — and smoke-tested from outside:
the login page, API health, readiness, an HJ 212 packet acknowledged and stored, a job run by
the worker through Redis, and the metrics. A scratch database, a scratch queue name and free
ports keep it apart from anything else on the host. Without PostgreSQL or Redis it is skipped
with the reason, except under CI where it must run."""
from __future__ import annotations

import json
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from datetime import datetime
from pathlib import Path
from urllib.parse import urlparse

import pytest

from chengyun.standards import hj212

PG_URL = os.environ.get("CHENGYUN_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/chengyun")
REDIS_URL = os.environ.get("CHENGYUN_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
REPO = Path(__file__).resolve().parents[2]


def _reachable(url: str, default_port: int) -> bool:
    parsed = urlparse(url)
    try:
        socket.create_connection((parsed.hostname or "127.0.0.1", parsed.port or default_port), 1).close()
        return True
    except OSError:
        return False


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _get(url: str, timeout: float = 10):
    try:
        with urllib.request.urlopen(url, timeout=timeout) as r:
            return r.status, dict(r.headers), r.read()
    except urllib.error.HTTPError as e:
        return e.code, dict(e.headers), e.read()


@pytest.fixture
def production(tmp_path):
    missing = [name for name, url, port in (("PostgreSQL", PG_URL, 5432), ("Redis", REDIS_URL, 6379)) if not _reachable(url, port)]
    if missing:
        reason = f"生产布局测试需要 {'、'.join(missing)}（{PG_URL} / {REDIS_URL}）"
        if os.environ.get("CI"):
            pytest.fail(f"CI 中必须运行：{reason}")
        pytest.skip(reason)
    import psycopg

    base = urlparse(PG_URL)
    scratch = f"chengyun_serve_{os.getpid()}_{secrets.token_hex(3)}"
    admin_url = base._replace(path="/postgres").geturl()
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{scratch}"')
    web_port, hj_port = _free_port(), _free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CHENGYUN_", "DJANGO_", "PYTEST"))}
    env.update({
        "DJANGO_SETTINGS_MODULE": "chengyun.settings",
        "PYTHONPATH": str(REPO),
        "CHENGYUN_MODE": "production",
        "CHENGYUN_DATA_DIR": str(tmp_path / "data"),
        "CHENGYUN_DATABASE_URL": base._replace(path=f"/{scratch}").geturl(),
        "CHENGYUN_REDIS_URL": REDIS_URL,
        "CHENGYUN_HUEY_NAME": scratch,
        "CHENGYUN_SECRET_KEY": secrets.token_urlsafe(50),
        "CHENGYUN_SECURE_COOKIES": "0",  # plain HTTP on loopback; behind nginx with TLS this stays on
        "CHENGYUN_HEARTBEAT_INTERVAL": "1",
        "CHENGYUN_REQUIRED_RECEIVERS": "hj212-server",
    })
    log = open(tmp_path / "serve.log", "w+")
    proc = subprocess.Popen([sys.executable, "-m", "chengyun.cli", "serve", "--port", str(web_port), "--workers", "2",
                             "--hj212-host", "127.0.0.1", "--hj212-port", str(hj_port), "--hj212-workers", "2"],
                            env=env, cwd=tmp_path, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    base_url = f"http://127.0.0.1:{web_port}"
    try:
        deadline = time.monotonic() + 180
        status = None
        while time.monotonic() < deadline and proc.poll() is None:
            try:
                status, _, _ = _get(f"{base_url}/readyz", timeout=5)
            except OSError:
                status = None
            if status == 200:
                break
            time.sleep(1)
        if status != 200:
            log.seek(0)
            pytest.fail(f"chengyun serve 未就绪（/readyz {status}）：\n{log.read()[-4000:]}")
        yield {"url": base_url, "hj212_port": hj_port, "env": env, "cwd": tmp_path, "db_url": env["CHENGYUN_DATABASE_URL"],
               "proc": proc, "log": log}
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGTERM)
            try:
                proc.wait(timeout=60)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()
        log.close()
        import redis

        client = redis.Redis.from_url(REDIS_URL)
        for key in client.scan_iter(f"huey.*{scratch}*"):
            client.delete(key)
        client.close()
        with psycopg.connect(admin_url, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{scratch}" WITH (FORCE)')


def _manage(production, code: str) -> str:
    result = subprocess.run([sys.executable, "-m", "chengyun.cli", "shell", "-c", code], env=production["env"],
                            cwd=production["cwd"], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr[-2000:]
    return result.stdout


def _query(production, sql: str, params=()):
    import psycopg

    with psycopg.connect(production["db_url"]) as conn:
        return conn.execute(sql, params).fetchall()


def test_production_layout_serves_ingests_and_runs_jobs(production):
    url = production["url"]

    # The web app: login page with the hardening headers, API health, liveness, readiness.
    status, headers, body = _get(f"{url}/login/")
    assert status == 200 and "城运" in body.decode()
    assert "script-src 'self'" in headers["Content-Security-Policy"] and headers["X-Frame-Options"] == "DENY"
    status, _, body = _get(f"{url}/api/v1/health")
    assert status == 200 and json.loads(body)["database"] == "postgresql"
    assert _get(f"{url}/healthz")[0] == 200
    status, _, body = _get(f"{url}/readyz")
    ready = json.loads(body)
    assert status == 200 and set(ready["checks"]) == {"database", "redis", "queue", "receivers"}
    receivers = ready["checks"]["receivers"]["receivers"]
    assert "hj212-server" in {r["kind"] for r in receivers} and all(r["ok"] for r in receivers)

    # HJ 212: a registered device's packet is acknowledged (9014) and stored.
    _manage(production, "from chengyun.monitoring import services; services.create_device(None, mn='SMOKE0001', "
                        "password='pw123456', st='21', name='冒烟测试站', factors=['w01001', 'w01009'])")
    frame = hj212.build(st="21", cn="2011", pw="pw123456", mn="SMOKE0001", flag=5, qn="20261125000000001",
                        data_time=datetime(2026, 11, 25, 8, 0), factors={"w01001": {"Rtd": 7.2, "Flag": "N"}, "w01009": {"Rtd": 6.1, "Flag": "N"}})
    with socket.create_connection(("127.0.0.1", production["hj212_port"]), timeout=30) as conn:
        conn.sendall(frame)
        reader, replies, deadline = hj212.FrameReader(), [], time.monotonic() + 30
        while not replies and time.monotonic() < deadline:
            replies = [hj212.parse(f) for f in reader.feed(conn.recv(4096)) if isinstance(f, bytes)]
    assert [(r.cn, r.mn) for r in replies] == [("9014", "SMOKE0001")]
    rows = _query(production, "SELECT r.factor, r.value FROM monitoring_reading r JOIN monitoring_device d ON d.id = r.device_id "
                              "WHERE d.mn = %s ORDER BY r.factor", ("SMOKE0001",))
    assert [(f, float(v)) for f, v in rows] == [("w01001", 7.2), ("w01009", 6.1)]

    # A job enqueued into Redis by another process is executed by the worker.
    token = secrets.token_hex(8)
    _manage(production, f"from chengyun.ops.tasks import worker_beat; worker_beat('{token}')")
    deadline, seen = time.monotonic() + 60, []
    while time.monotonic() < deadline and not seen:
        seen = _query(production, "SELECT name FROM ops_heartbeat WHERE kind = 'huey-worker' AND detail::text LIKE %s", (f"%{token}%",))
        time.sleep(0.5)
    assert seen, "Huey 任务未被执行"

    # Metrics from loopback: request latency from the gunicorn workers, queue depth, ingest rate.
    status, headers, body = _get(f"{url}/metrics")
    text = body.decode()
    assert status == 200 and headers["Content-Type"].startswith("text/plain")
    assert 'chengyun_http_request_duration_seconds_count{method="GET",route="login/",status="200"}' in text
    assert "chengyun_queue_depth" in text
    assert 'chengyun_ingest_frames_per_second{channel="hj212",outcome="stored"}' in text
    assert "chengyun_receiver_heartbeat_age_seconds" in text


def test_production_start_refuses_debug_with_one_line(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CHENGYUN_", "DJANGO_"))}
    env.update({"CHENGYUN_MODE": "production", "CHENGYUN_DEBUG": "1", "CHENGYUN_DATA_DIR": str(tmp_path), "PYTHONPATH": str(REPO),
                "CHENGYUN_SECRET_KEY": secrets.token_urlsafe(50)})
    result = subprocess.run([sys.executable, "-m", "chengyun.cli", "serve"], env=env, capture_output=True, text=True, timeout=60)
    assert result.returncode == 2
    assert result.stderr.strip().count("\n") == 0 and "拒绝启动" in result.stderr and "CHENGYUN_DEBUG" in result.stderr
    env.update({"CHENGYUN_DEBUG": "0", "CHENGYUN_SECRET_KEY": "changeme"})
    result = subprocess.run([sys.executable, "-m", "chengyun.cli", "serve"], env=env, capture_output=True, text=True, timeout=60)
    assert result.returncode == 2 and "CHENGYUN_SECRET_KEY" in result.stderr and result.stderr.strip().count("\n") == 0
