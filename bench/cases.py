"""Case benchmarks.

1. p50/p95 of the filtered case-list query (what GET /api/v1/cases/ runs: count + one page of
   50 through the shared CaseFilter and the policy scope, serialised as the API does) over N cases (default 200,000), for a
   mix of filters an ops centre uses. Target: p95 < 100 ms.
2. A drone flight of D detections (default 10,000) located, de-duplicated and routed by
   services.import_drone_flight (target ≥ 2,000 detections/s), against posting detections one
   by one through POST /api/v1/cases/ (a sample, extrapolated) — the ratio is printed.

Each database runs in its own process on a fresh data directory (demo district + people).

    .venv/bin/python bench/cases.py [--db sqlite|postgres|both] [--cases 200000] [--detections 10000]
        [--api-sample 300] [--pg-url postgresql://postgres@127.0.0.1:5432/cy_cases_bench]
"""
from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
FILTERS = [
    {}, {"status": "open"}, {"status": "closed"}, {"street": "STREET"}, {"street": "STREET", "status": "open"},
    {"category": "0110"}, {"category": "0110", "street": "STREET"}, {"unit": "UNIT"}, {"unit": "UNIT", "status": "handling"},
    {"clock": "overdue"}, {"source": "hotline"}, {"grid": "GRID"}, {"community": "COMMUNITY"},
    {"start": "START", "end": "END"}, {"street": "STREET", "start": "START", "end": "END"}, {"q": "2026"}, {"kind": "component"},
    {"status": "open", "clock": "warning"}, {"source": "public", "status": "closed", "street": "STREET"},
]


def percentile(values: list[float], p: float) -> float:
    values = sorted(values)
    k = (len(values) - 1) * p
    lo, hi = int(k), min(int(k) + 1, len(values) - 1)
    return values[lo] + (values[hi] - values[lo]) * (k - lo)


def setup_django(data_dir: str, db_url: str | None) -> None:
    os.environ["CHENGYUN_DATA_DIR"] = data_dir  # the key is generated there (production refuses a made-up one)
    os.environ["CHENGYUN_HUEY_IMMEDIATE"] = "1"
    if db_url:
        os.environ["CHENGYUN_DATABASE_URL"] = db_url
    os.environ["DJANGO_SETTINGS_MODULE"] = "chengyun.settings"
    sys.path.insert(0, ROOT)
    import django

    django.setup()
    from django.conf import settings

    settings.ALLOWED_HOSTS.append("testserver")


def build(n_cases: int) -> None:
    from django.core.management import call_command
    from django.db import transaction

    from chengyun.cases import bulk, services, workflow as W
    from chengyun.cases.models import Case, Category
    from chengyun.core import current
    from chengyun.demo.context import DemoContext
    from chengyun.geo import demo as geo_demo
    from chengyun.geo import index
    from chengyun.geo.models import Unit
    from chengyun.people import demo as people_demo

    call_command("migrate", verbosity=0)
    ctx = DemoContext(log=lambda m: None)
    with current.acting(None, source="cli"):
        with transaction.atomic():
            geo_demo.generate(ctx)
            people_demo.generate(ctx)
        if Case.objects.count() >= n_cases:
            analyze()
            return
        services.load_seed_catalogue()
        t0 = time.monotonic()
        rng = random.Random(7)
        idx = index.get_index()
        centroids = [geom.centroid for geom in idx.geometries]
        cats = list(Category.objects.all())
        units = list(Unit.objects.filter(active=True))
        now = services._now()
        statuses = [(W.CLOSED, 80), (W.REJECTED, 5), (W.MERGED, 2), (W.VOIDED, 1), (W.HANDLING, 4), (W.DISPATCHED, 2), (W.CHECKING, 2),
                    (W.FILED, 1), (W.REPORTED, 1), (W.VERIFYING, 1), (W.SUSPENDED, 1)]
        names, weights = zip(*statuses)
        sources = list(W.SOURCES)
        start_id = (Case.objects.order_by("-id").values_list("id", flat=True).first() or 0) + 1
        rows = []
        for k in range(n_cases):
            gi = rng.randrange(len(idx.grids))
            g, c = idx.grids[gi], centroids[gi]
            reported = now - __import__("datetime").timedelta(minutes=rng.uniform(0, 365 * 24 * 60))
            status = rng.choices(names, weights)[0]
            unit = rng.choice(units) if status not in (W.REPORTED, W.VERIFYING, W.FILED, W.REJECTED) else None
            rows.append(Case(id=start_id + k, number=f"B{k:011d}", category=rng.choice(cats), source=rng.choice(sources), status=status,
                             description="基准测试案件", lng=c.x + rng.uniform(-0.0005, 0.0005), lat=c.y + rng.uniform(-0.0005, 0.0005),
                             street_id=g.street_id, community_id=g.community_id, grid_id=g.id, occurred_at=reported, reported_at=reported,
                             unit=unit, clock_status=rng.choices(["normal", "warning", "overdue"], [88, 4, 8])[0], updated_at=reported))
            if len(rows) == 20000:
                with transaction.atomic():
                    bulk.fast_insert(Case, rows)
                rows = []
        if rows:
            with transaction.atomic():
                bulk.fast_insert(Case, rows)
        bulk.reset_sequences(Case)
        analyze()
        print(f"  built {n_cases} cases in {time.monotonic() - t0:.1f} s", flush=True)


def analyze() -> None:
    """Planner statistics, as a production database keeps them (autovacuum / a nightly ANALYZE)."""
    from django.db import connection

    with connection.cursor() as cur:
        cur.execute("VACUUM ANALYZE cases_case" if connection.vendor == "postgresql" else "ANALYZE")


def bench_list(rounds: int) -> dict:
    from django.contrib.auth import get_user_model

    from chengyun.cases.api import list_queryset, paginate_cases
    from chengyun.cases.filters import CaseFilter
    from chengyun.core.pagination import PageParams
    from chengyun.geo.models import Community, Grid, Street, Unit

    user = get_user_model().objects.get(username="acceptor")
    rng = random.Random(11)
    streets = list(Street.objects.values_list("code", flat=True))
    communities = list(Community.objects.values_list("code", flat=True))
    grids = list(Grid.objects.values_list("code", flat=True))
    units = list(Unit.objects.values_list("code", flat=True))
    timings, per_filter = [], {}
    for r in range(rounds):
        for spec in FILTERS:
            today = __import__("datetime").date.today()
            start = today - __import__("datetime").timedelta(days=rng.randrange(30, 300))
            values = {k: {"STREET": rng.choice(streets), "UNIT": rng.choice(units), "GRID": rng.choice(grids), "COMMUNITY": rng.choice(communities),
                          "START": start.isoformat(), "END": (start + __import__("datetime").timedelta(days=30)).isoformat()}.get(v, v) for k, v in spec.items()}
            offset = rng.choice([0, 0, 0, 50, 500])
            t = time.perf_counter()
            page = paginate_cases(list_queryset(user, CaseFilter(**values)), PageParams(limit=50, offset=offset))
            _ = [c["number"] for c in page["results"]]
            dt_ms = (time.perf_counter() - t) * 1000
            if r:  # the first round warms caches and the connection
                timings.append(dt_ms)
                per_filter.setdefault(",".join(sorted(spec)) or "(none)", []).append(dt_ms)
    slowest = sorted(((percentile(v, 0.95), k) for k, v in per_filter.items()), reverse=True)[:3]
    return {"queries": len(timings), "p50_ms": round(percentile(timings, 0.5), 1), "p95_ms": round(percentile(timings, 0.95), 1),
            "max_ms": round(max(timings), 1), "slowest_p95": [(k, round(v, 1)) for v, k in slowest]}


def bench_drone(n: int, api_sample: int) -> dict:
    from django.contrib.auth import get_user_model
    from django.test import Client

    from chengyun.cases import services
    from chengyun.cases.models import Case
    from chengyun.core import current
    from chengyun.geo import index

    user = get_user_model().objects.get(username="drone")
    idx = index.get_index()
    centroids = [g.centroid for g in idx.geometries]
    import shapely

    bounds = shapely.total_bounds(idx.geometries)
    from chengyun.cases.models import DroneFlight

    # A new flight each run (a repeated run would find its own detections as duplicates).
    rng = random.Random(DroneFlight.objects.count())
    codes = ["0110", "0111", "0406", "0201", "0136", "0113", "0182", "0130"]

    def detection(k):
        minx, miny, maxx, maxy = bounds
        return {"id": f"d{k}", "lng": rng.uniform(minx, maxx), "lat": rng.uniform(miny, maxy), "crs": "wgs84", "category_code": rng.choice(codes),
                "confidence": round(rng.uniform(0.5, 0.99), 2), "image": f"frames/{k:06d}.jpg", "time": "2026-11-25T10:00:00+08:00"}

    flight_id = f"BENCH-{int(time.time())}"
    payload = {"flight_id": flight_id, "detections": [detection(k) for k in range(n)]}
    before = Case.objects.count()
    from chengyun.geo import services as geo

    geo.locate(centroids[0].x, centroids[0].y)  # a running server has its locate index in memory already
    with current.acting(user, source="api"):
        t = time.perf_counter()
        res = services.import_drone_flight(user, payload)
        batch_s = time.perf_counter() - t
        t = time.perf_counter()
        again = services.import_drone_flight(user, payload)
        again_s = time.perf_counter() - t
    assert again.already_imported and Case.objects.count() == before + res.created
    client = Client()
    client.force_login(user)
    sample = []
    while len(sample) < api_sample:  # points inside the district only: an outside point is a 422, not a case
        d = detection(n + len(sample) + 10**6)
        if idx.locate(d["lng"], d["lat"]) is not None:
            sample.append(d)
    t = time.perf_counter()
    ok = 0
    for d in sample:
        r = client.post("/api/v1/cases/", json.dumps({"source": "drone", "category_code": d["category_code"], "lng": d["lng"], "lat": d["lat"],
                                                    "description": "无人机识别", "external_id": f"{flight_id}-api:{d['id']}"}), content_type="application/json")
        ok += r.status_code == 201
    api_s = time.perf_counter() - t
    per_api = api_s / api_sample
    return {"detections": n, "created": res.created, "duplicates": res.duplicates, "outside": res.outside, "batch_s": round(batch_s, 2),
            "batch_per_s": round(n / batch_s), "reimport_s": round(again_s, 3), "api_sample": api_sample, "api_ok": ok,
            "api_per_s": round(1 / per_api, 1), "api_extrapolated_s": round(per_api * n, 1), "ratio": round(per_api * n / batch_s, 1)}


def run_one(db: str, args) -> dict:
    data_dir = os.path.join(tempfile.gettempdir(), f"cy-cases-bench-{db}")
    os.makedirs(data_dir, exist_ok=True)
    setup_django(data_dir, args.pg_url if db == "postgres" else None)
    print(f"[{db}] preparing {args.cases} cases …", flush=True)
    build(args.cases)
    out = {"db": db, "list": bench_list(args.rounds) if args.only in ("all", "list") else None,
           "drone": bench_drone(args.detections, args.api_sample) if args.only in ("all", "drone") else None}
    return out


def ensure_pg_database(url: str) -> None:
    import psycopg
    from urllib.parse import urlparse

    parsed = urlparse(url)
    name = parsed.path.lstrip("/")
    admin = url.rsplit("/", 1)[0] + "/postgres"
    with psycopg.connect(admin, autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone():
            conn.execute(f'CREATE DATABASE "{name}"')


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--db", choices=["sqlite", "postgres", "both"], default="both")
    ap.add_argument("--cases", type=int, default=200_000)
    ap.add_argument("--detections", type=int, default=10_000)
    ap.add_argument("--api-sample", type=int, default=300)
    ap.add_argument("--rounds", type=int, default=6)
    ap.add_argument("--pg-url", default="postgresql://postgres@127.0.0.1:5432/cy_cases_bench")
    ap.add_argument("--only", choices=["all", "list", "drone"], default="all")
    ap.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        print("RESULT " + json.dumps(run_one(args.db, args), ensure_ascii=False), flush=True)
        return
    results = []
    for db in (["sqlite", "postgres"] if args.db == "both" else [args.db]):
        if db == "postgres":
            ensure_pg_database(args.pg_url)
        cmd = [sys.executable, __file__, "--child", "--db", db, "--cases", str(args.cases), "--detections", str(args.detections),
               "--api-sample", str(args.api_sample), "--rounds", str(args.rounds), "--pg-url", args.pg_url, "--only", args.only]
        proc = subprocess.run(cmd, capture_output=True, text=True)
        for line in proc.stdout.splitlines():
            if line.startswith("RESULT "):
                results.append(json.loads(line[7:]))
            else:
                print(line)
        if proc.returncode:
            print(proc.stderr[-3000:])
            sys.exit(proc.returncode)
    for r in results:
        ls, dr = r["list"], r["drone"]
        print(f"\n== {r['db']} ==")
        if ls:
            print(f"case list over {args.cases} cases: {ls['queries']} queries, p50 {ls['p50_ms']} ms, p95 {ls['p95_ms']} ms, max {ls['max_ms']} ms "
              f"(target p95 < 100 ms: {'OK' if ls['p95_ms'] < 100 else 'MISSED'}); slowest p95 by filter: {ls['slowest_p95']}")
        if dr:
            print(f"drone batch: {dr['detections']} detections in {dr['batch_s']} s = {dr['batch_per_s']} /s "
              f"(target ≥ 2000/s: {'OK' if dr['batch_per_s'] >= 2000 else 'MISSED'}); created {dr['created']}, duplicates {dr['duplicates']}, "
              f"outside {dr['outside']}; re-import {dr['reimport_s']} s")
            print(f"one by one through POST /api/v1/cases/: {dr['api_per_s']} /s ({dr['api_ok']}/{dr['api_sample']} ok) → "
              f"{dr['detections']} would take {dr['api_extrapolated_s']} s; batch is {dr['ratio']}× faster")


if __name__ == "__main__":
    main()
