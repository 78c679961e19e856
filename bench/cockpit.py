"""Cockpit benchmark (issue 14, speed).

1. First paint of all panels: GET /cockpit/ as the demo leader — the server renders every
   registered panel into the page, so the response is the screen with all its numbers (the map's
   boundaries and the charts are drawn from it by the browser). 20 sequential loads; p50/p95
   printed against the same page's first load in this process (nothing cached by the cockpit:
   the first load pays the cold database pages, template compilation and imports).
   Goal: p95 < 1 s.
2. A year of data per panel: each registered panel computed for the last 365 days, 10 times;
   p50/p95 per panel against its own first (cold) computation. Goal: < 500 ms each.

On the demo district: SQLite in a data directory prepared by `chengyun demo --prepare-only`
(prepared here when --data-dir has none), or PostgreSQL when CHENGYUN_DATABASE_URL is set.

    .venv/bin/python bench/cockpit.py [--data-dir var/bench-cockpit] [--loads 20] [--rounds 10]
"""
from __future__ import annotations

import argparse
import datetime as dt
import os
import statistics
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def percentile(values: list[float], p: float) -> float:
    values = sorted(values)
    k = (len(values) - 1) * p
    lo, hi = int(k), min(int(k) + 1, len(values) - 1)
    return values[lo] + (values[hi] - values[lo]) * (k - lo)


def setup(data_dir: str) -> None:
    os.environ["CHENGYUN_DATA_DIR"] = data_dir
    os.environ.setdefault("CHENGYUN_MODE", "demo")
    os.environ["CHENGYUN_2FA_ROLES"] = ""  # the demo leader signs in without an authenticator app
    os.environ["DJANGO_SETTINGS_MODULE"] = "chengyun.settings"
    sys.path.insert(0, ROOT)
    import django

    django.setup()
    from django.conf import settings

    settings.ALLOWED_HOSTS.append("testserver")


def prepare() -> None:
    from django.contrib.auth import get_user_model
    from django.core.management import call_command
    from django.db.utils import OperationalError, ProgrammingError

    try:
        if get_user_model().objects.filter(username="leader").exists():
            call_command("migrate", verbosity=0)
            return
    except (OperationalError, ProgrammingError):
        pass
    print("preparing the demo district (a few minutes) …", flush=True)
    call_command("demo", "--prepare-only")


def ms(seconds: float) -> str:
    return f"{seconds * 1000:,.0f} ms"


def bench_page(loads: int) -> None:
    from django.contrib.auth import get_user_model
    from django.test import Client

    client = Client()
    client.force_login(get_user_model().objects.get(username="leader"))
    times = []
    for i in range(loads + 1):
        started = time.perf_counter()
        r = client.get("/cockpit/")
        times.append(time.perf_counter() - started)
        assert r.status_code == 200 and b"cp-panel" in r.content, r.status_code
        assert b"cp-error" not in r.content, "a panel failed"
    first, rest = times[0], times[1:]
    p95 = percentile(rest, 0.95)
    print(f"\n/cockpit/ first paint, all panels ({loads} sequential loads after the first)")
    print(f"  first load (cold):  {ms(first)}")
    print(f"  p50:                {ms(statistics.median(rest))}")
    print(f"  p95:                {ms(p95)}   first/p95 = {first / p95:.1f}×   goal < 1,000 ms: {'met' if p95 < 1 else 'NOT met'}")


def bench_panels(rounds: int) -> None:
    from django.contrib.auth import get_user_model
    from django.utils import timezone

    from chengyun.cockpit.collect import compute, panels_for
    from chengyun.core.registry import PanelScope

    user = get_user_model().objects.get(username="leader")
    end = timezone.localdate()
    scope = PanelScope(user, end - dt.timedelta(days=364), end)
    print(f"\npanel data for a year ({scope.start} … {scope.end}), {rounds} rounds after the first")
    print(f"  {'panel':<24}{'first':>10}{'p50':>10}{'p95':>10}{'first/p95':>11}  goal < 500 ms")
    worst = 0.0
    for panel in panels_for(user):
        first = compute(panel, scope)
        assert not first.error, (panel.key, first.error)
        times = []
        for _ in range(rounds):
            started = time.perf_counter()
            compute(panel, scope)
            times.append(time.perf_counter() - started)
        p95 = percentile(times, 0.95)
        worst = max(worst, p95)
        print(f"  {panel.key:<24}{first.ms:>8.0f}ms{statistics.median(times) * 1000:>8.0f}ms{p95 * 1000:>8.0f}ms"
              f"{first.ms / 1000 / p95:>10.1f}×  {'met' if p95 < 0.5 else 'NOT met'}")
    print(f"  slowest panel p95: {ms(worst)}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", default=os.path.join(ROOT, "var", "bench-cockpit"))
    parser.add_argument("--loads", type=int, default=20)
    parser.add_argument("--rounds", type=int, default=10)
    args = parser.parse_args()
    os.makedirs(args.data_dir, exist_ok=True)
    setup(args.data_dir)
    prepare()
    from django.db import connection

    from chengyun.cases.models import Case

    print(f"database: {connection.vendor}; demo cases: {Case.objects.count():,}")
    bench_page(args.loads)
    bench_panels(args.rounds)


if __name__ == "__main__":
    main()
