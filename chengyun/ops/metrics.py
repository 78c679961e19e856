"""Prometheus metrics at /metrics (prometheus_client, pinned).

Request latency is observed in every web process. Under gunicorn with several workers,
`chengyun serve` (and the systemd unit) set PROMETHEUS_MULTIPROC_DIR so each worker writes
its samples to files there and any worker's /metrics aggregates all of them
(prometheus_client's multiprocess mode; gunicorn_conf.py removes a dead worker's files).
Queue depth, ingest rate and refused frames are read at scrape time from the queue and the
database, so they are the same whichever process answers.

Access: callers from METRICS_ALLOWED_IPS, or with ``Authorization: Bearer <METRICS_TOKEN>``."""
from __future__ import annotations

import hmac
import os
from datetime import timedelta

from django.conf import settings
from django.http import HttpResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from prometheus_client import CollectorRegistry, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.exposition import CONTENT_TYPE_LATEST

from chengyun.core.errors import error_response
from chengyun.core.middleware import client_ip


METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
REQUEST_LATENCY = Histogram(
    "chengyun_http_request_duration_seconds", "Time to answer an HTTP request",
    ["method", "route", "status"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.2, 0.3, 0.5, 0.75, 1, 2, 5, 10),
)
INGEST_WINDOW = timedelta(minutes=5)


def observe_request(method: str, route: str, status: int, seconds: float) -> None:
    REQUEST_LATENCY.labels(method, route, str(status)).observe(seconds)


class PlatformCollector:
    """Gauges and counters read at scrape time (shared state, not per-process counters)."""

    def collect(self):
        from .health import queue_depth

        depth = GaugeMetricFamily("chengyun_queue_depth", "Jobs waiting in the Huey queue")
        try:
            depth.add_metric([], queue_depth())
        except Exception:
            depth.add_metric([], float("nan"))
        yield depth
        yield from _ingest_metrics()
        yield from _heartbeat_metrics()
        yield from _job_failure_metrics()


def _ingest_metrics():
    """Frames per second over the last five minutes by channel and outcome (from the raw-frame
    log, indexed by time; receivers started with --no-raw are not counted), and refusals in the
    same window by channel and reason. Both are range scans of five minutes, never the history."""
    from django.apps import apps
    from django.db.models import Count

    if not apps.is_installed("chengyun.monitoring"):
        return
    from chengyun.monitoring.models import IngestLog, RawFrame

    since = timezone.now() - INGEST_WINDOW
    seconds = INGEST_WINDOW.total_seconds()
    rate = GaugeMetricFamily("chengyun_ingest_frames_per_second",
                             "Frames received per second over the last 5 minutes", labels=["channel", "outcome"])
    counts = {(r["channel"], r["outcome"]): r["n"] for r in
              RawFrame.objects.filter(received_at__gte=since).values("channel", "outcome").annotate(n=Count("id")).order_by()}
    for channel in sorted({"hj212", "mqtt"} | {c for c, _ in counts}):
        for outcome in RawFrame.Outcome.values:
            rate.add_metric([channel, outcome], counts.get((channel, outcome), 0) / seconds)
    yield rate
    refused = GaugeMetricFamily("chengyun_ingest_refused_frames", "Packets and messages refused in the last 5 minutes",
                                labels=["channel", "reason"])
    for row in IngestLog.objects.filter(at__gte=since).values("channel", "reason").annotate(n=Count("id")).order_by():
        refused.add_metric([row["channel"], row["reason"]], row["n"])
    yield refused


def _heartbeat_metrics():
    from .models import Heartbeat

    age = GaugeMetricFamily("chengyun_receiver_heartbeat_age_seconds", "Seconds since each running receiver last beat",
                            labels=["name", "kind"])
    now = timezone.now()
    for hb in Heartbeat.objects.filter(stopped_at__isnull=True):
        age.add_metric([hb.name, hb.kind], (now - hb.beat_at).total_seconds())
    yield age


def _job_failure_metrics():
    """Jobs that used up their retries in the last 24 hours, per task (chengyun.ops.jobs)."""
    from django.db.models import Count

    from .models import JobFailure

    failed = GaugeMetricFamily("chengyun_jobs_failed", "Background jobs failed after all retries in the last 24 hours",
                               labels=["task"])
    since = timezone.now() - timedelta(hours=24)
    for row in JobFailure.objects.filter(final=True, failed_at__gte=since).values("task").annotate(n=Count("id")).order_by():
        failed.add_metric([row["task"]], row["n"])
    yield failed


def registry() -> CollectorRegistry:
    reg = CollectorRegistry()
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        multiprocess.MultiProcessCollector(reg)
    else:
        reg.register(REQUEST_LATENCY)
    reg.register(PlatformCollector())
    return reg


def allowed(request) -> bool:
    token = settings.METRICS_TOKEN
    header = request.headers.get("Authorization", "")
    if token and header.startswith("Bearer ") and hmac.compare_digest(header[7:].strip().encode(), token.encode()):
        return True
    return client_ip(request) in settings.METRICS_ALLOWED_IPS


def metrics_view(request):
    if not allowed(request):
        return error_response(403, "forbidden", _("无权读取运行指标（允许的地址或令牌见 CHENGYUN_METRICS_ALLOWED_IPS / CHENGYUN_METRICS_TOKEN）"))
    return HttpResponse(generate_latest(registry()), content_type=CONTENT_TYPE_LATEST)
