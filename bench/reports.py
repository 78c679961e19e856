"""Report centre benchmark: reports of a year's data generated live on the demo district.

On the full demo (a year of cases, supervision, water, renewal, research), each measured
report is generated the way the report centre does it (build + archive: .docx with charts and
.xlsx) and timed; goal < 2 s each:

- district-monthly for the month a year ago (the year-old month of the issue),
- district-monthly for every one of the last twelve months (a year of data, month by month),
- district-weekly and district-daily for a day a year ago,
- health-check (a year's indicators) and research-report.

Named baseline, measured in the same run: **the pages the monthly report replaces**, each
rendered once uncached (the view with its templates, as the district leader) — the cases
evaluation page for that month (/cases/evaluation/?period=month&start=…), the key-task list
(/supervision/) and the water alert list (/water/alerts/). The ratio report ÷ pages is printed:
what it costs to have the document written against what it costs to look the figures up.

    .venv/bin/python bench/reports.py [--data-dir DIR] [--runs 3]

The data directory keeps the generated demo between runs (first run: several minutes).
"""
from __future__ import annotations

import argparse
import datetime as dt
import os
import statistics
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
GOAL = 2.0


def setup_django(data_dir: str) -> None:
    os.environ["CHENGYUN_DATA_DIR"] = data_dir
    os.environ["CHENGYUN_HUEY_IMMEDIATE"] = "1"
    os.environ.pop("CHENGYUN_DATABASE_URL", None)
    os.environ["DJANGO_SETTINGS_MODULE"] = "chengyun.settings"
    sys.path.insert(0, ROOT)
    import django

    django.setup()
    from django.conf import settings

    settings.ALLOWED_HOSTS.append("testserver")


def ensure_demo() -> None:
    from django.core.management import call_command

    from chengyun.demo.generator import generate
    from chengyun.demo.context import DemoContext

    call_command("migrate", verbosity=0)
    started = time.monotonic()
    generate(DemoContext(log=lambda m: print("   ", m, flush=True)))
    print(f"demo ready in {time.monotonic() - started:.0f} s", flush=True)


def timed(fn, runs: int) -> tuple[float, float]:
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times), max(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", default=os.path.join(tempfile.gettempdir(), "chengyun-bench-reports"))
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    os.makedirs(args.data_dir, exist_ok=True)
    setup_django(args.data_dir)
    ensure_demo()

    from django.contrib.messages.storage.fallback import FallbackStorage
    from django.contrib.sessions.backends.db import SessionStore
    from django.core.cache import cache
    from django.test import RequestFactory
    from django.urls import resolve
    from django.utils import timezone

    from chengyun.core import current
    from chengyun.people import roles as R
    from chengyun.people.models import Person
    from chengyun.reports import services
    from chengyun.research.models import ResearchPlan

    leader = Person.objects.filter(roles__code=R.DISTRICT_LEADER, user__isnull=False).select_related("user").order_by("id").first().user
    today = timezone.localdate()
    year_ago = today.replace(day=1) - dt.timedelta(days=365)
    month = f"{year_ago.year}-{year_ago.month:02d}"
    day = (today - dt.timedelta(days=365)).isoformat()

    def gen(kind: str, options: dict):
        with current.acting(leader, source="web"):
            services.generate_for(leader, kind, options)

    # Charts load matplotlib and the CJK font once per process: warm that up outside the timings.
    gen("district-daily", {"date": today.isoformat()})

    factory = RequestFactory()

    def load(url: str):
        # The view itself with its templates and context processors, as the leader; the sign-in
        # middleware (session tracking, second factor) is left out so the figure is the page's own work.
        request = factory.get(url)
        request.user, request.session = leader, SessionStore()
        request._messages = FallbackStorage(request)
        match = resolve(request.path)
        return match.func(request, *match.args, **match.kwargs)

    def pages():
        cache.clear()
        for url in (f"/cases/evaluation/?period=month&start={year_ago.replace(day=1).isoformat()}", "/supervision/", "/water/alerts/"):
            resp = load(url)
            assert resp.status_code == 200, (url, resp.status_code)

    base_median, base_max = timed(pages, args.runs)
    print(f"\nbaseline — the pages the monthly report replaces, uncached (median of {args.runs}): {base_median:.3f} s (max {base_max:.3f})")
    rows = [
        (f"district-monthly {month} (a year-old month)", "district-monthly", {"month": month}),
        (f"district-weekly {day}", "district-weekly", {"date": day}),
        (f"district-daily {day}", "district-daily", {"date": day}),
    ]
    from chengyun.renewal.models import IndicatorSet

    checked = IndicatorSet.objects.order_by("-year").values_list("year", flat=True).first()
    if checked:
        rows.append((f"health-check {checked}", "health-check", {"year": str(checked)}))
    plan = ResearchPlan.objects.exclude(report_title="").order_by("id").first()
    if plan is not None:
        rows.append((f"research-report {plan.code}", "research-report", {"plan": plan.code}))
    print(f"{'report':52} {'median s':>9} {'max s':>7} {'÷ pages':>8}  goal < {GOAL:.0f} s")
    worst = 0.0
    for label, kind, options in rows:
        median, worst_run = timed(lambda: gen(kind, options), args.runs)
        worst = max(worst, worst_run)
        print(f"{label:52} {median:9.3f} {worst_run:7.3f} {median / base_median:8.2f}  {'met' if worst_run < GOAL else 'NOT met'}")
    first = today.replace(day=1)
    months = []
    for _ in range(12):
        first = (first - dt.timedelta(days=1)).replace(day=1)
        months.append(f"{first.year}-{first.month:02d}")
    year_times = []
    for m in months:
        t0 = time.perf_counter()
        gen("district-monthly", {"month": m})
        year_times.append(time.perf_counter() - t0)
    worst = max(worst, max(year_times))
    print(f"{'district-monthly × the last 12 months (each)':52} {statistics.median(year_times):9.3f} {max(year_times):7.3f} "
          f"{statistics.median(year_times) / base_median:8.2f}  {'met' if max(year_times) < GOAL else 'NOT met'}")
    print(f"\nslowest single report: {worst:.3f} s — goal < {GOAL:.0f} s {'met' if worst < GOAL else 'NOT met'}")


if __name__ == "__main__":
    main()
