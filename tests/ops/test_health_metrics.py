"""/healthz, /readyz (database, queue depth, receivers' heartbeats, Redis) and /metrics."""
from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from chengyun.ops import health
from chengyun.ops.heartbeat import beat, beating, receiver_name
from chengyun.ops.models import Heartbeat

pytestmark = pytest.mark.django_db


def test_liveness_answers_without_touching_anything(client, django_assert_num_queries):
    with django_assert_num_queries(0):
        r = client.get("/healthz")
    assert r.status_code == 200 and r.json()["status"] == "ok"


def test_ready_with_database_queue_and_fresh_receivers(client):
    beat("hj212-server", "0.0.0.0:9212")
    r = client.get("/readyz")
    body = r.json()
    assert r.status_code == 200 and body["status"] == "ready"
    assert body["checks"]["database"]["ok"] and body["checks"]["queue"]["depth"] == 0
    assert [x["kind"] for x in body["checks"]["receivers"]["receivers"]] == ["hj212-server"]
    assert "redis" not in body["checks"]  # only checked when CHENGYUN_REDIS_URL is set


def test_stale_receiver_makes_it_not_ready_and_a_clean_stop_does_not(client, settings):
    beat("mqtt-ingest", "chengyun-mqtt-ingest")
    Heartbeat.objects.update(beat_at=timezone.now() - timedelta(seconds=settings.HEARTBEAT_STALE_SECONDS + 5))
    r = client.get("/readyz")
    assert r.status_code == 503 and r.json()["status"] == "not_ready"
    assert r.json()["checks"]["receivers"]["receivers"][0]["ok"] is False
    Heartbeat.objects.update(stopped_at=timezone.now())  # stopped on purpose: not a failure
    assert client.get("/readyz").status_code == 200


def test_required_receiver_that_never_beat_is_not_ready(client, settings):
    settings.REQUIRED_RECEIVERS = ["hj212-server"]
    r = client.get("/readyz")
    assert r.status_code == 503 and r.json()["checks"]["receivers"]["receivers"] == [
        {"name": "hj212-server", "kind": "hj212-server", "age_seconds": None, "ok": False, "missing": True}]
    beat("hj212-server", "0.0.0.0:9212")
    assert client.get("/readyz").status_code == 200


def test_queue_too_deep_is_not_ready(client, settings, monkeypatch):
    monkeypatch.setattr(health, "queue_depth", lambda: 12)
    settings.READY_MAX_QUEUE = 10
    r = client.get("/readyz")
    assert r.status_code == 503 and r.json()["checks"]["queue"] == {"depth": 12, "limit": 10, "ok": False, "ms": pytest.approx(0, abs=1000)}


def test_unreachable_redis_is_not_ready(client, settings):
    settings.REDIS_URL = "redis://127.0.0.1:1/0"  # nothing listens on port 1
    r = client.get("/readyz")
    assert r.status_code == 503 and r.json()["checks"]["redis"]["ok"] is False
    assert "ConnectionError" in r.json()["checks"]["redis"]["error"]


@pytest.mark.django_db(transaction=True)
def test_beating_keeps_the_row_fresh_and_marks_a_clean_stop():
    with beating("hj212-server", "127.0.0.1:19212", interval=0.05):
        from support import wait_until

        assert wait_until(lambda: Heartbeat.objects.filter(name=receiver_name("hj212-server", "127.0.0.1:19212")).exists(), 5)
        first = Heartbeat.objects.get().beat_at
        assert wait_until(lambda: Heartbeat.objects.get().beat_at > first, 5)
    hb = Heartbeat.objects.get()
    assert hb.stopped_at is not None and hb.kind == "hj212-server"


def test_metrics_need_an_allowed_address_or_the_token(client, settings):
    settings.METRICS_ALLOWED_IPS = frozenset({"127.0.0.1"})
    settings.METRICS_TOKEN = "scrape-token-0123456789"
    assert client.get("/metrics", REMOTE_ADDR="10.1.2.3").status_code == 403
    assert client.get("/metrics", REMOTE_ADDR="10.1.2.3", HTTP_AUTHORIZATION="Bearer wrong").status_code == 403
    assert client.get("/metrics", REMOTE_ADDR="10.1.2.3", HTTP_AUTHORIZATION="Bearer scrape-token-0123456789").status_code == 200
    assert client.get("/metrics", REMOTE_ADDR="127.0.0.1").status_code == 200


def test_metrics_report_latency_queue_ingest_and_refusals(client):
    from chengyun.monitoring.models import IngestLog, RawFrame

    now = timezone.now()
    RawFrame.objects.create(received_at=now, mn="M1", channel="hj212", frame="##...", outcome="stored")
    RawFrame.objects.create(received_at=now, mn="M1", channel="mqtt", frame="{}", outcome="rejected")
    IngestLog.objects.create(at=now, channel="hj212", mn="BAD", reason="wrong_pw")
    IngestLog.objects.create(at=now, channel="hj212", mn="BAD", reason="wrong_pw")
    IngestLog.objects.create(at=now - timedelta(hours=1), channel="hj212", mn="OLD", reason="malformed")
    client.get("/login/")
    text = client.get("/metrics", REMOTE_ADDR="127.0.0.1").content.decode()
    assert 'chengyun_http_request_duration_seconds_bucket{le="0.2",method="GET",route="login/",status="200"}' in text
    assert "chengyun_queue_depth 0.0" in text
    assert 'chengyun_ingest_frames_per_second{channel="hj212",outcome="stored"} 0.00333' in text
    assert 'chengyun_ingest_frames_per_second{channel="mqtt",outcome="rejected"} 0.00333' in text
    assert 'chengyun_ingest_refused_frames{channel="hj212",reason="wrong_pw"} 2.0' in text
    assert 'reason="malformed"' not in text  # outside the five-minute window


def test_metrics_aggregate_gunicorn_workers_in_multiprocess_mode(tmp_path):
    """Each worker writes its samples to PROMETHEUS_MULTIPROC_DIR; any worker's /metrics sums them."""
    import os
    import subprocess
    import sys

    code = ("from prometheus_client import Histogram; h = Histogram('chengyun_http_request_duration_seconds', 'x', "
            "['method', 'route', 'status']); h.labels('GET', 'login/', '200').observe(0.01)")
    env = {**os.environ, "PROMETHEUS_MULTIPROC_DIR": str(tmp_path)}
    for _ in range(3):  # three "workers", each its own process
        subprocess.run([sys.executable, "-c", code], env=env, check=True, timeout=60)
    from prometheus_client import CollectorRegistry, generate_latest, multiprocess

    reg = CollectorRegistry()
    multiprocess.MultiProcessCollector(reg, path=str(tmp_path))
    text = generate_latest(reg).decode()
    assert 'chengyun_http_request_duration_seconds_count{method="GET",route="login/",status="200"} 3.0' in text
