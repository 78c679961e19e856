"""/healthz (liveness: the process answers) and /readyz (readiness: it can do its work).

Readiness checks the database, Redis when configured, the job queue's depth and every
receiver's heartbeat; any failing check makes it 503 so a load balancer or systemd watchdog
stops sending traffic. Both answer JSON without authentication and reveal no data."""
from __future__ import annotations

import time

from django.conf import settings
from django.db import connection
from django.http import JsonResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from chengyun import __version__


@never_cache
@require_GET
def healthz(request):
    return JsonResponse({"status": "ok", "version": __version__})


def _timed(fn):
    started = time.perf_counter()
    try:
        detail = fn() or {}
        ok = detail.pop("ok", True)
    except Exception as exc:  # any failure of a dependency is "not ready", with its reason
        ok, detail = False, {"error": f"{type(exc).__name__}: {exc}"[:300]}
    detail["ok"] = ok
    detail["ms"] = round((time.perf_counter() - started) * 1000, 1)
    return detail


def check_database() -> dict:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()
    return {"vendor": connection.vendor}


def check_redis() -> dict:
    import redis

    client = redis.Redis.from_url(settings.REDIS_URL, socket_connect_timeout=2, socket_timeout=2)
    try:
        client.ping()
    finally:
        client.close()
    return {}


def queue_depth() -> int:
    from huey.contrib.djhuey import HUEY

    return HUEY.pending_count()


def check_queue() -> dict:
    depth = queue_depth()
    return {"depth": depth, "limit": settings.READY_MAX_QUEUE, "ok": depth <= settings.READY_MAX_QUEUE}


def receiver_states() -> list[dict]:
    """Every receiver that has not stopped cleanly, fresh or stale; required kinds that never beat."""
    from .models import Heartbeat

    now = timezone.now()
    states = []
    for hb in Heartbeat.objects.filter(stopped_at__isnull=True):
        age = (now - hb.beat_at).total_seconds()
        # A beat that comes once a minute (the job worker's) is stale only after missing two.
        limit = max(settings.HEARTBEAT_STALE_SECONDS, 2.5 * float((hb.detail or {}).get("interval") or 0))
        states.append({"name": hb.name, "kind": hb.kind, "age_seconds": round(age, 1), "ok": age <= limit})
    seen = {s["kind"] for s in states if s["ok"]}
    for kind in settings.REQUIRED_RECEIVERS:
        if kind not in seen and not any(s["kind"] == kind for s in states):
            states.append({"name": kind, "kind": kind, "age_seconds": None, "ok": False, "missing": True})
    return states


def check_receivers() -> dict:
    states = receiver_states()
    return {"receivers": states, "ok": all(s["ok"] for s in states)}


def readiness() -> tuple[bool, dict]:
    checks = {"database": _timed(check_database)}
    if settings.REDIS_URL:
        checks["redis"] = _timed(check_redis)
    checks["queue"] = _timed(check_queue)
    checks["receivers"] = _timed(check_receivers) if checks["database"]["ok"] else {"ok": False, "error": _("数据库不可用")}
    return all(c["ok"] for c in checks.values()), checks


@never_cache
@require_GET
def readyz(request):
    ready, checks = readiness()
    return JsonResponse({"status": "ready" if ready else "not_ready", "checks": checks},
                        status=200 if ready else 503, json_dumps_params={"ensure_ascii": False})
