"""Mixed load on the production layout (issue 15 §5): `chengyun serve` (gunicorn with several
workers, Huey, HJ 212 receivers) on PostgreSQL + Redis, with the demo district's data generated
into a scratch database, driven on loopback by a client in a separate process:

- dispatchers (50 % of users): signed in with a session; the case list, the dispatch queue,
  a case's page and the case API;
- grid workers (20 %): signed in; the phone report form POSTed with a photo;
- the public (20 %): Open311 GET of services and requests;
- devices (10 %): an HJ 212 real-time packet over TCP, timed until its 9014 reply.

Every user waits 0.5-1.5 s between requests (people, not a flood). The floor is the same client
fetching a static file (whitenoise) from the same gunicorn at the same concurrency: the ratio
p95/p95_floor says how much the application adds to what the stack costs anyway. The per-client
rate limits on report POSTs and Open311 are switched off for the run (CHENGYUN_RATE_LIMIT_REPORT=0,
CHENGYUN_RATE_LIMIT_OPEN311=0): every load user is 127.0.0.1. Goal: dispatcher p95 < 200 ms at
200 users, 0 errors; exits non-zero on any error or lost packet.

    .venv/bin/python bench/load.py [--users 50,100,200] [--seconds 30] [--web-workers 4]
"""
from __future__ import annotations

import argparse
import http.client
import io
import json
import os
import random
import re
import socket
import sys
import shutil
import threading
import time
from datetime import datetime, timedelta
from pathlib import Path
from urllib.parse import urlparse

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from bench.layout import Layout  # noqa: E402

DEMO_PASSWORD = "chengyun-demo"
DEVICE_PASSWORD = "load1234"


# ---------------------------------------------------------------- a minimal HTTP session


class Session:
    def __init__(self, port: int) -> None:
        self.port = port
        self.cookies: dict[str, str] = {}
        self.conn: http.client.HTTPConnection | None = None

    def request(self, method: str, path: str, body: bytes | None = None, headers: dict | None = None) -> tuple[int, bytes, dict]:
        for attempt in (1, 2):
            if self.conn is None:
                self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
            h = dict(headers or {})
            if self.cookies:
                h["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
            try:
                self.conn.request(method, path, body=body, headers=h)
                r = self.conn.getresponse()
                data = r.read()
            except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError):
                # A keep-alive connection the server closed between requests: reconnect once.
                self.conn.close()
                self.conn = None
                if attempt == 2:
                    raise
                continue
            for k, v in r.getheaders():
                if k.lower() == "set-cookie":
                    name, _, rest = v.partition("=")
                    self.cookies[name.strip()] = rest.split(";", 1)[0]
            if r.getheader("Connection", "").lower() == "close":
                self.conn.close()
                self.conn = None
            return r.status, data, dict(r.getheaders())
        raise RuntimeError("unreachable")

    def login(self, username: str) -> None:
        status, body, _ = self.request("GET", "/login/")
        token = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', body).group(1).decode()
        form = f"csrfmiddlewaretoken={token}&username={username}&password={DEMO_PASSWORD}".encode()
        status, body, headers = self.request("POST", "/login/", form, {"Content-Type": "application/x-www-form-urlencoded",
                                                                       "Referer": f"http://127.0.0.1:{self.port}/login/"})
        if status != 302 or "/login" in headers.get("Location", ""):
            raise RuntimeError(f"login as {username} failed: {status} {headers.get('Location')} {body[:300]!r}")

    def csrf(self) -> str:
        return self.cookies.get("csrftoken", "")


def multipart(fields: dict[str, str], files: dict[str, tuple[str, bytes, str]]) -> tuple[bytes, str]:
    boundary = f"----load{random.getrandbits(64):x}"
    out = io.BytesIO()
    for k, v in fields.items():
        out.write(f'--{boundary}\r\nContent-Disposition: form-data; name="{k}"\r\n\r\n{v}\r\n'.encode())
    for k, (name, data, ctype) in files.items():
        out.write(f'--{boundary}\r\nContent-Disposition: form-data; name="{k}"; filename="{name}"\r\nContent-Type: {ctype}\r\n\r\n'.encode())
        out.write(data + b"\r\n")
    out.write(f"--{boundary}--\r\n".encode())
    return out.getvalue(), f"multipart/form-data; boundary={boundary}"


def photo() -> bytes:
    from PIL import Image

    buf = io.BytesIO()
    Image.new("RGB", (640, 480), (120, 140, 90)).save(buf, "JPEG", quality=80)
    return buf.getvalue()


# ---------------------------------------------------------------- users


class Recorder:
    def __init__(self) -> None:
        self.samples: dict[str, list[float]] = {}
        self.errors: dict[str, list[str]] = {}
        self.lock = threading.Lock()

    def add(self, kind: str, seconds: float, error: str | None = None) -> None:
        with self.lock:
            self.samples.setdefault(kind, []).append(seconds)
            if error:
                self.errors.setdefault(kind, []).append(error)


def timed(rec: Recorder, kind: str, fn) -> None:
    started = time.perf_counter()
    try:
        err = fn()
    except Exception as exc:
        err = f"{type(exc).__name__}: {exc}"[:200]
    rec.add(kind, time.perf_counter() - started, err)


# Each user is set up first (signed in, socket open) and then takes turns of one request and a
# think time. Set-up is outside the measured window: dispatchers sign in once a shift, not all
# in the same second (Argon2 makes each sign-in cost real CPU on purpose).

# Think time between one user's requests, seconds, in the "people" model: a dispatcher reads a
# page before the next click, a grid worker walks between the problems they photograph, a
# citizen's app polls now and then, a station sends its real-time data.
THINK_PEOPLE = {"dispatcher": (3.0, 10.0), "grid worker": (30.0, 90.0), "public": (5.0, 15.0), "device": (5.0, 15.0),
                "static floor": (3.0, 10.0)}


def think_range(model: str, kind: str) -> tuple[float, float]:
    if model == "none":
        return (0.0, 0.0)
    if model == "people":
        return THINK_PEOPLE[kind]
    lo, _, hi = model.partition("-")
    return (float(lo), float(hi or lo))


def signed_in(ctx, username: str) -> "Session":
    """A signed-in session from the run's pool (kept across levels), or a new sign-in."""
    with ctx["lock"]:
        pool = ctx["sessions"].setdefault(username, [])
        if pool:
            return pool.pop()
    s = Session(ctx["port"])
    s.login(username)
    return s


def give_back(ctx, username: str, s: "Session") -> None:
    with ctx["lock"]:
        ctx["sessions"][username].append(s)


def dispatcher(ctx):
    s = signed_in(ctx, "dispatcher")
    pages = ["/cases/", "/cases/queue/", "/api/v1/cases/?status=open", None]

    def step():
        path = random.choice(pages) or f"/cases/{random.choice(ctx['case_ids'])}/"
        st = s.request("GET", path)[0]
        return None if st == 200 else f"{path} → {st}"

    return step, lambda: give_back(ctx, "dispatcher", s)


def grid_worker(ctx):
    s = signed_in(ctx, "gridworker")
    s.request("GET", "/cases/report/")
    jpeg = ctx["photo"]

    def report():
        lng, lat = ctx["point"]
        body, ctype = multipart({"csrfmiddlewaretoken": s.csrf(), "category_code": ctx["category"], "category_kind": "event",
                                 "lng": f"{lng + random.uniform(-1e-4, 1e-4):.6f}", "lat": f"{lat + random.uniform(-1e-4, 1e-4):.6f}",
                                 "description": "负载测试：道路破损", "address": "负载测试路 1 号"},
                                {"photos": ("photo.jpg", jpeg, "image/jpeg")})
        status, data, headers = s.request("POST", "/cases/report/", body, {"Content-Type": ctype, "X-CSRFToken": s.csrf(),
                                                                           "Referer": f"http://127.0.0.1:{ctx['port']}/cases/report/"})
        if status != 302:
            msg = re.search(rb'class="error[^"]*"[^>]*>([^<]+)', data)
            return f"report → {status} {msg.group(1).decode()[:120] if msg else ''}"
        with ctx["lock"]:
            ctx["reports_ok"] += 1

    return report, lambda: give_back(ctx, "gridworker", s)


def public(ctx):
    s = Session(ctx["port"])
    paths = ["/open311/v2/services.json", "/open311/v2/requests.json", "/open311/v2/requests.json?status=open"]

    def step():
        path = random.choice(paths)
        st = s.request("GET", path)[0]
        return None if st == 200 else f"{path} → {st}"

    return step, lambda: None


def device(ctx):
    from chengyun.standards import hj212

    with ctx["lock"]:
        mn = ctx["free_mns"].pop()
    # Each station's packets go one minute apart from 2026-02-01, continuing where the station
    # stopped at the previous level (a time is stored once per station; the receiver refuses
    # times in the future, so no jumps ahead).
    sock = socket.create_connection(("127.0.0.1", ctx["hj212_port"]), timeout=30)
    reader = hj212.FrameReader()

    def send():
        with ctx["lock"]:
            minute = ctx["next_minute"].get(mn, 0)
            ctx["next_minute"][mn] = minute + 1
        at = datetime(2026, 2, 1) + timedelta(minutes=minute)
        qn = at.strftime("%Y%m%d%H%M%S000")
        frame = hj212.build(st="21", cn="2011", pw=DEVICE_PASSWORD, mn=mn, flag=5, qn=qn, data_time=at,
                            factors={"w01001": {"Rtd": 7.1, "Flag": "N"}, "w01009": {"Rtd": 6.3, "Flag": "N"}})
        with ctx["lock"]:
            ctx["sent"] += 1
        sock.sendall(frame)
        while True:
            chunk = sock.recv(4096)
            if not chunk:
                return "connection closed before 9014"
            for f in reader.feed(chunk):
                if isinstance(f, bytes) and hj212.parse(f).qn == qn:
                    with ctx["lock"]:
                        ctx["acked"].append((mn, at))
                    return None

    def close():
        sock.close()
        with ctx["lock"]:
            ctx["free_mns"].append(mn)

    return send, close


def static_floor(ctx):
    s = Session(ctx["port"])

    def step():
        st = s.request("GET", ctx["static"])[0]
        return None if st == 200 else f"static → {st}"

    return step, lambda: None


MIX = [(dispatcher, 0.5), (grid_worker, 0.2), (public, 0.2), (device, 0.1)]


def run_level(ctx, users: int, seconds: float, roles, think: str) -> Recorder:
    rec, go, stop, threads = Recorder(), threading.Event(), threading.Event(), []
    ready = threading.Semaphore(0)
    plan = []
    for fn, share in roles:
        plan += [fn] * round(users * share)
    for fn in plan[:users]:
        t = threading.Thread(target=_user, args=(fn, ctx, rec, go, stop, think, ready), daemon=True)
        threads.append(t)
        t.start()
    for _ in threads:
        ready.acquire(timeout=300)
    go.set()
    time.sleep(seconds)
    stop.set()
    for t in threads:
        t.join(timeout=90)
    return rec


def _user(fn, ctx, rec, go, stop, think, ready):
    kind = fn.__name__.replace("_", " ")
    try:
        step, close = fn(ctx)
    except Exception as exc:  # a user that cannot even start (sign-in refused) is an error too
        rec.add(kind, 0.0, f"start: {type(exc).__name__}: {exc}"[:200])
        ready.release()
        return
    ready.release()
    go.wait()
    lo, hi = think_range(think, kind)
    time.sleep(random.uniform(0, hi))  # people don't all click in the same second
    try:
        while not stop.is_set():
            timed(rec, kind, step)
            time.sleep(random.uniform(lo, hi))
    finally:
        close()


def pct(values: list[float], p: float) -> float:
    if not values:
        return float("nan")
    values = sorted(values)
    return values[min(len(values) - 1, int(round(p / 100 * (len(values) - 1))))] * 1000


# ---------------------------------------------------------------- setup


# The demo generator; on PostgreSQL its renewal step currently stops with "FOR UPDATE cannot be
# applied to the nullable side of an outer join" (renewal.services.problems.accept_remedy), after
# the people, the district, the cases and the monitoring data are in: the load uses what is there.
SEED = """
from chengyun.demo.context import DemoContext
from chengyun.demo.generator import generate
try:
    generate(DemoContext(log=lambda *a, **k: None))
except Exception as exc:
    print('SEED-PARTIAL', type(exc).__name__, str(exc)[:200])
"""

FACTS = f"PASSWORD = {DEVICE_PASSWORD!r}\n" + """
import json
from chengyun.cases.models import Case
from chengyun.geo.models import Grid
from chengyun.people.models import Person
from chengyun.monitoring import services
worker = Person.objects.get(user__username='gridworker')
grid = worker.grids.first() or Grid.objects.first()
c = grid.shape.representative_point()
from chengyun.cases.models import Category
cat = Category.objects.filter(kind=Category.Kind.EVENT).order_by('code').values_list('code', flat=True).first()
mns = ['LOAD' + str(i).zfill(4) for i in range(40)]
for mn in mns:
    services.create_device(None, mn=mn, password=PASSWORD, st='21', name='负载测试站 ' + mn, factors=['w01001', 'w01009'])
print(json.dumps({'case_ids': list(Case.objects.order_by('-id').values_list('id', flat=True)[:300]), 'point': [c.x, c.y],
                  'category': cat, 'mns': mns}))
"""


# One dispatcher's pages in-process (Django test client), each timed with its SQL counted: what
# dominates a page when the load's p95 misses the goal.
PROFILE = """
import time
from django.conf import settings
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.contrib.auth import get_user_model
from chengyun.cases.models import Case
settings.ALLOWED_HOSTS = ['*']
c = Client()
c.force_login(get_user_model().objects.get(username='dispatcher'))
case = Case.objects.order_by('-id').first()
from chengyun.cases import freshness
from chengyun.core import pagecache
c.get('/login/')
for path in ['/cases/', '/cases/queue/', '/api/v1/cases/?status=open', f'/cases/{case.pk}/', '/open311/v2/requests.json']:
    for label in ('changed', 'again'):  # just after a write (the cache misses), then as the next viewer sees it
        if label == 'changed':
            pagecache.bump(freshness.STAMP)
        with CaptureQueriesContext(connection) as q:
            t = time.perf_counter(); r = c.get(path); ms = (time.perf_counter() - t) * 1000
        sql_ms = sum(float(x['time']) for x in q.captured_queries) * 1000
        print(f'PROFILE {path:<28} {label:<7} {r.status_code} {ms:7.1f} ms  {len(q.captured_queries):4d} queries  {sql_ms:7.1f} ms SQL')
if PROFILE_CPU:
    import cProfile, pstats
    for path in ('/cases/', '/cases/queue/'):
        pr = cProfile.Profile(); pr.enable()
        for _ in range(20):
            c.get(path)
        pr.disable()
        print(f'PROFILE cProfile, 20 × {path} from the cache, by cumulative time:')
        pstats.Stats(pr).sort_stats('cumulative').print_stats(25)
"""


def seed(layout: Layout) -> None:
    partial = [line for line in layout.manage(SEED, timeout=3000).splitlines() if line.startswith("SEED-PARTIAL")]
    if partial:
        print(f"demo generator stopped early: {partial[0]}", flush=True)


def build_template(name: str, extra: dict) -> None:
    """The migrated demo district in database `name`, generated once (~8 min on this machine),
    so repeated runs copy it in seconds; each run still works on its own scratch copy."""
    import psycopg

    layout = Layout(extra_env=extra)
    with psycopg.connect(layout.pg_admin_url, autocommit=True) as conn:
        if conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone():
            return
        conn.execute(f'CREATE DATABASE "{name}"')
    print(f"building template database {name} (migrate + demo generator)…", flush=True)
    layout.db_url = urlparse(layout.db_url)._replace(path=f"/{name}").geturl()
    layout.env["CHENGYUN_DATABASE_URL"] = layout.db_url
    (layout.dir / "data").mkdir(parents=True, exist_ok=True)
    try:
        layout.manage("from django.core.management import call_command; call_command('migrate', verbosity=0)", timeout=1200)
        seed(layout)
    except BaseException:
        with psycopg.connect(layout.pg_admin_url, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        raise
    finally:
        shutil.rmtree(layout.dir, ignore_errors=True)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--users", default="50,100,200")
    parser.add_argument("--seconds", type=float, default=30)
    parser.add_argument("--web-workers", type=int, default=4)
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--think", default="people",
                        help="think time between one user's requests: people (per role, see THINK_PEOPLE), none (back to back), or A-B seconds for every role")
    parser.add_argument("--template", default="",
                        help="a PostgreSQL database holding the migrated demo data to copy instead of generating it (built first if missing)")
    parser.add_argument("--no-page-cache", action="store_true", help="render the case pages every time (CHENGYUN_PAGE_CACHE=0): the before")
    parser.add_argument("--profile-only", action="store_true", help="generate the data, profile the pages, stop")
    args = parser.parse_args(argv)
    levels = [int(x) for x in args.users.split(",")]
    started_at = datetime.now().strftime("%Y-%m-%d %H:%M")
    extra = {"CHENGYUN_RATE_LIMIT_REPORT": "0", "CHENGYUN_RATE_LIMIT_OPEN311": "0", "CHENGYUN_2FA_ROLES": ""}
    if args.no_page_cache:
        extra["CHENGYUN_PAGE_CACHE"] = "0"
    failed, missed = 0, False
    t = time.monotonic()
    if args.template:
        build_template(args.template, extra)
    with Layout(workers=args.web_workers, threads=args.threads, hj212_workers=1, extra_env=extra, template=args.template) as layout:
        if not args.template:
            seed(layout)
        facts = json.loads(layout.manage(FACTS).strip().splitlines()[-1])
        cases = layout.query("SELECT COUNT(*) FROM cases_case")[0][0]
        print(f"demo data ready in {time.monotonic() - t:.0f} s: {cases} cases; layout at {layout.url} "
              f"({args.web_workers} gunicorn workers × {args.threads} threads, Huey, 1 HJ 212 receiver); think time: {args.think}; page cache {'off' if args.no_page_cache else 'on'}", flush=True)
        out = layout.manage(f"PROFILE_CPU = {args.profile_only}\n" + PROFILE)
        for line in (out.splitlines()[out.splitlines().index(next(x for x in out.splitlines() if x.startswith("PROFILE"))):]
                     if args.profile_only else [x for x in out.splitlines() if x.startswith("PROFILE")]):
            print(line, flush=True)
        if args.profile_only:
            return 0
        static = "/static/cases/cases.css"
        ctx = {"port": layout.web_port, "hj212_port": layout.hj212_port, "case_ids": facts["case_ids"], "point": facts["point"],
               "category": facts["category"], "photo": photo(), "lock": threading.Lock(), "free_mns": list(facts["mns"]),
               "acked": [], "sent": 0, "reports_ok": 0, "static": static, "next_minute": {}, "sessions": {}}
        rows = []
        for users in levels:
            load1 = os.getloadavg()[0]
            floor = run_level(ctx, users, args.seconds / 2, [(static_floor, 1.0)], args.think)
            rec = run_level(ctx, users, args.seconds, MIX, args.think)
            fp95 = pct(floor.samples.get("static floor", []), 95)
            for kind in ["dispatcher", "grid worker", "public", "device"]:
                v = rec.samples.get(kind, [])
                errs = rec.errors.get(kind, [])
                rows.append((users, kind, len(v), pct(v, 50), pct(v, 95), pct(v, 99), len(errs), pct(v, 95) / fp95 if fp95 else 0, load1))
                if errs:
                    print(f"  {users} users, {kind}: {len(errs)} errors, e.g. {errs[:3]}", flush=True)
                failed += len(errs)
            fv = floor.samples.get("static floor", [])
            rows.append((users, "static floor", len(fv), pct(fv, 50), fp95, pct(fv, 99), len(floor.errors.get("static floor", [])), 1.0, load1))
            failed += len(floor.errors.get("static floor", []))
            print(f"{'users':>5} {'kind':<13} {'requests':>8} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8} {'errors':>6} {'p95/floor':>9} {'load1':>6}")
            for r in rows[-5:]:
                print(f"{r[0]:>5} {r[1]:<13} {r[2]:>8} {r[3]:>8.1f} {r[4]:>8.1f} {r[5]:>8.1f} {r[6]:>6} {r[7]:>9.1f} {r[8]:>6.2f}", flush=True)
        # Every packet that got its 9014 is stored.
        acked = set(ctx["acked"])
        stored = {(mn, at.replace(tzinfo=None)) for mn, at in layout.query(
            "SELECT d.mn, (r.data_time AT TIME ZONE 'Asia/Shanghai') FROM monitoring_reading r JOIN monitoring_device d "
            "ON d.id = r.device_id WHERE d.mn LIKE 'LOAD%%' GROUP BY 1, 2")}
        lost = len(acked - stored)
        reports = layout.query("SELECT COUNT(*) FROM cases_case WHERE description = %s", ("负载测试：道路破损",))[0][0]
        print(f"devices: sent {ctx['sent']}, acked {len(acked)}, stored {len(acked & stored)}, lost {lost}; "
              f"grid-worker reports accepted {ctx['reports_ok']}, cases stored {reports} (lost {ctx['reports_ok'] - reports})")
        failed += lost + max(0, ctx["reports_ok"] - reports)
        goal = [r for r in rows if r[1] == "dispatcher" and r[0] == 200]
        missed = bool(goal) and not goal[0][4] < 200
        if goal:
            print(f"goal: dispatcher p95 at 200 users {goal[0][4]:.0f} ms (< 200 ms: {'NOT met' if missed else 'met'})")
    print(f"run started {started_at}, {os.cpu_count()} cores; errors + lost: {failed}")
    return 1 if failed else (2 if missed else 0)


if __name__ == "__main__":
    sys.exit(main())
