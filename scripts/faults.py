"""Fault injection against the production layout (issue 15 §5): each fault is a scripted run that
prints what was sent, acknowledged, stored and lost, and exits non-zero when anything
acknowledged was lost (or the layout did not recover).

    .venv/bin/python scripts/faults.py kill      # kill -9 each HJ 212 receiver process, the MQTT ingester
                                                 # and the Huey worker mid-stream; the supervisor restarts them
    .venv/bin/python scripts/faults.py mqtt      # restart Mosquitto mid-stream (QoS 1 readings resume)
    .venv/bin/python scripts/faults.py postgres  # restart PostgreSQL mid-stream (web reconnects, jobs retry)
    .venv/bin/python scripts/faults.py disk      # read-only and full data directory (one clear line, no corruption)
    .venv/bin/python scripts/faults.py diskfill  # the disk fills up mid-stream and is freed (nothing acked lost, intact)
    .venv/bin/python scripts/faults.py job       # a job that raises: retried with backoff, then visible as failed
    .venv/bin/python scripts/faults.py all

The layout runs on a scratch database of the machine's PostgreSQL and a scratch Redis queue
(bench/layout.py); the PostgreSQL and Mosquitto that get restarted are throwaway instances on
free ports, never the machine's shared ones. "Lost" counts only what the platform acknowledged
(a 9014 reply, an MQTT PUBACK from the broker, an enqueued job) and did not keep: a device that
got no reply resends, as HJ 212 devices do, and a resent packet is stored once (the upsert).
"""
from __future__ import annotations

import argparse
import json
import os
import secrets
import socket
import subprocess
import sys
import threading
import time
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from bench.layout import Layout, ThrowawayMosquitto, ThrowawayPostgres, free_port, http_get  # noqa: E402
from chengyun.standards import hj212  # noqa: E402

CHINA = ZoneInfo("Asia/Shanghai")
PASSWORD = "fault123"
FACTORS = ["w01001", "w01009"]
BASE_TIME = datetime(2026, 1, 1, 0, 0)


def say(text: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {text}", flush=True)


# ---------------------------------------------------------------- devices


def register_devices(layout: Layout, prefix: str, count: int) -> list[str]:
    mns = [f"{prefix}{i:04d}" for i in range(count)]
    layout.manage("from chengyun.monitoring import services\n"
                  f"for mn in {mns!r}:\n"
                  f"    services.create_device(None, mn=mn, password={PASSWORD!r}, st='21', name='故障测试站 ' + mn, factors={FACTORS!r})\n")
    return mns


class HJ212Device(threading.Thread):
    """One device on TCP: one packet in flight, resent until its 9014 reply comes (as devices do)."""

    def __init__(self, mn: str, port: int, stop: threading.Event, deadline_after_stop: float = 90) -> None:
        super().__init__(daemon=True)
        self.mn, self.port, self.stop = mn, port, stop
        self.sent = 0
        self.resends = 0
        self.acked: list[datetime] = []
        self.unacked: list[datetime] = []
        self.grace = deadline_after_stop

    def run(self) -> None:
        sock, reader, i = None, None, 0
        give_up = None
        while True:
            if self.stop.is_set():
                return
            data_time = BASE_TIME + timedelta(minutes=i)
            qn = data_time.strftime("%Y%m%d%H%M%S") + "000"
            frame = hj212.build(st="21", cn="2011", pw=PASSWORD, mn=self.mn, flag=5, qn=qn, data_time=data_time,
                                factors={f: {"Rtd": round(5 + i % 7 * 0.1, 2), "Flag": "N"} for f in FACTORS})
            self.sent += 1
            attempts = 0
            while True:
                if self.stop.is_set() and give_up is None:
                    give_up = time.monotonic() + self.grace
                if give_up is not None and time.monotonic() > give_up:
                    self.unacked.append(data_time)
                    return
                try:
                    if sock is None:
                        sock = socket.create_connection(("127.0.0.1", self.port), timeout=5)
                        sock.settimeout(10)
                        reader = hj212.FrameReader()
                    if attempts:
                        self.resends += 1
                    attempts += 1
                    sock.sendall(frame)
                    if self._await_reply(sock, reader, qn):
                        self.acked.append(data_time)
                        break
                    raise OSError("connection closed before the reply")
                except OSError:
                    if sock is not None:
                        sock.close()
                    sock = None
                    time.sleep(0.3)
            i += 1
            if self.stop.is_set():
                if sock is not None:
                    sock.close()
                return

    @staticmethod
    def _await_reply(sock, reader, qn: str) -> bool:
        while True:
            chunk = sock.recv(4096)
            if not chunk:
                return False
            for f in reader.feed(chunk):
                if isinstance(f, bytes):
                    reply = hj212.parse(f)
                    if reply.cn == "9014" and reply.qn == qn:
                        return True


def stored_times(layout: Layout, mns: list[str], source: str) -> dict[str, set[datetime]]:
    rows = layout.query("SELECT d.mn, r.data_time FROM monitoring_reading r JOIN monitoring_device d ON d.id = r.device_id "
                        "WHERE d.mn = ANY(%s) AND r.source = %s GROUP BY d.mn, r.data_time HAVING COUNT(*) = %s",
                        (mns, source, len(FACTORS)))
    out: dict[str, set[datetime]] = {mn: set() for mn in mns}
    for mn, at in rows:
        out[mn].add(at.astimezone(CHINA).replace(tzinfo=None))
    return out


def hj212_tally(layout: Layout, devices: list[HJ212Device]) -> dict:
    stored = stored_times(layout, [d.mn for d in devices], "hj212")
    sent = sum(d.sent for d in devices)
    acked = sum(len(d.acked) for d in devices)
    lost = sum(len(set(d.acked) - stored[d.mn]) for d in devices)
    return {"channel": "hj212", "sent": sent, "acked": acked, "stored": sum(len(s) for s in stored.values()), "lost": lost,
            "resent": sum(d.resends for d in devices), "unacked_at_end": sum(len(d.unacked) for d in devices)}


# ---------------------------------------------------------------- MQTT devices


class MQTTDevices:
    """Devices publishing JSON readings with QoS 1 on a persistent session; 'acked' is the
    broker's PUBACK. Messages published while the broker is away wait in the client's queue."""

    def __init__(self, url: str, mns: list[str], rate: float) -> None:
        import paho.mqtt.client as mqtt

        port = int(url.rsplit(":", 1)[1])
        self.client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id=f"fault-devices-{secrets.token_hex(3)}",
                                  clean_session=False)
        self.client.max_queued_messages_set(0)
        self.client.max_inflight_messages_set(50)
        self.client.reconnect_delay_set(0.2, 2)
        self.client.on_publish = self._on_publish
        self.client.connect("127.0.0.1", port)
        self.client.loop_start()
        self.mns, self.rate = mns, rate
        self.sent: dict[int, tuple[str, datetime]] = {}
        self.acked_mids: list[int] = []
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._publish_loop, daemon=True)

    def _on_publish(self, client, userdata, mid, reason_code, properties) -> None:
        # No lock of ours here: paho calls this holding its own, which publish() also takes.
        self.acked_mids.append(mid)

    def _publish_loop(self) -> None:
        i = 0
        while not self.stop.is_set():
            for mn in self.mns:
                at = BASE_TIME + timedelta(minutes=i)
                payload = json.dumps({"pw": PASSWORD, "cn": "2011", "data_time": at.isoformat(), "qn": at.strftime("%Y%m%d%H%M%S000"),
                                      "factors": {f: 5 + i % 7 * 0.1 for f in FACTORS}})
                info = self.client.publish(f"chengyun/v1/devices/{mn}/data", payload, qos=1)
                self.sent[info.mid] = (mn, at)
            i += 1
            time.sleep(1 / self.rate)

    def start(self) -> None:
        self.thread.start()

    def finish(self, timeout: float = 60) -> None:
        self.stop.set()
        self.thread.join()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and len(set(self.acked_mids)) < len(self.sent):
            time.sleep(0.5)
        self.client.loop_stop()
        self.client.disconnect()

    @property
    def acked(self) -> list[tuple[str, datetime]]:
        return [self.sent[m] for m in list(self.acked_mids) if m in self.sent]

    def tally(self, layout: Layout) -> dict:
        stored = stored_times(layout, self.mns, "mqtt")
        lost = sum(1 for mn, at in set(self.acked) if at not in stored[mn])
        return {"channel": "mqtt", "sent": len(self.sent), "acked": len(set(self.acked)),
                "stored": sum(len(s) for s in stored.values()), "lost": lost,
                "unacked_at_end": len(self.sent) - len(set(self.acked))}


def join_all(threads, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    for t in threads:
        t.join(timeout=max(0.1, deadline - time.monotonic()))


def wait_until(predicate, timeout: float, step: float = 0.5) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(step)
    return False


def settle_stored(layout: Layout, count_fn, timeout: float = 60) -> None:
    """Wait until the stored count stops growing (receivers finish writing their last batches)."""
    last, stable_since = -1, time.monotonic()
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        now = count_fn()
        if now != last:
            last, stable_since = now, time.monotonic()
        elif time.monotonic() - stable_since > 3:
            return
        time.sleep(0.5)


# ---------------------------------------------------------------- jobs


def enqueue_probes(layout: Layout, tag: str, count: int) -> None:
    layout.manage(f"from chengyun.ops.tasks import worker_probe\nfor i in range({count}): worker_probe('{tag}-%05d' % i)\n")


def probes_done(layout: Layout, tag: str) -> int:
    return layout.query("SELECT COUNT(*) FROM ops_heartbeat WHERE kind = 'huey-probe' AND name LIKE %s", (f"huey-probe {tag}-%",))[0][0]


def kill9(pids: list[int], what: str) -> None:
    import signal

    for pid in pids:
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    say(f"kill -9 {what}: {pids}")


def restarted(layout: Layout, marker: str, old: list[int], timeout: float = 180) -> list[int]:
    """New processes of the service, none of them one that was there before the kill."""
    ok = wait_until(lambda: (p := layout.service_pids(marker)) and not set(p) & set(old), timeout)
    return layout.service_pids(marker) if ok else []


# ---------------------------------------------------------------- the faults


def fault_kill(args) -> list[dict]:
    mosquitto = ThrowawayMosquitto().start()
    results = []
    try:
        with Layout(hj212_workers=2, mqtt_url=mosquitto.url) as layout:
            say(f"layout ready at {layout.url}, HJ 212 on {layout.hj212_port}, MQTT {mosquitto.url}")
            mns = register_devices(layout, "KILLTCP", args.devices)
            mqtt_mns = register_devices(layout, "KILLMQT", 5)
            stop = threading.Event()
            devices = [HJ212Device(mn, layout.hj212_port, stop) for mn in mns]
            for d in devices:
                d.start()
            mqtt = MQTTDevices(mosquitto.url, mqtt_mns, rate=10)
            mqtt.start()
            recovered = {}
            enqueuer = threading.Thread(target=enqueue_probes, args=(layout, "kill", args.jobs))
            enqueuer.start()
            time.sleep(args.seconds / 4)
            # One HJ 212 worker process, then the listener that hands connections to the workers.
            before = layout.service_pids("hj212-server")
            workers = layout.service_pids("--handoff-fd")
            kill9(workers[:1], "one HJ 212 receiver worker")
            recovered["hj212 worker"] = bool(restarted(layout, "--handoff-fd", before))
            time.sleep(args.seconds / 4)
            before = layout.service_pids("hj212-server")
            listener = sorted(set(before) - set(layout.service_pids("--handoff-fd")))
            kill9(listener, "the HJ 212 listener (supervisor of its workers)")
            recovered["hj212 listener"] = bool(restarted(layout, "hj212-server", before))
            old = layout.service_pids("mqtt-ingest")
            kill9(old, "the MQTT ingester")
            recovered["mqtt-ingest"] = bool(restarted(layout, "mqtt-ingest", old))
            enqueuer.join()
            # One job held running, so the kill finds it in flight: Huey has already taken it off
            # the queue, and only chengyun.ops.inflight brings it back after the restart.
            layout.manage("from chengyun.ops.tasks import worker_probe\nworker_probe('held-0', hold=30)\n")
            held = wait_until(lambda: layout.query(
                "SELECT COUNT(*) FROM ops_jobinflight WHERE task LIKE %s", ("%worker_probe",))[0][0] > 0, 60)
            old = layout.service_pids("run_huey")
            say(f"probe jobs done before the worker is killed: {probes_done(layout, 'kill')} of {args.jobs}; "
                f"a held job {'is' if held else 'is NOT'} in flight")
            kill9(old, "the Huey worker")
            recovered["huey worker"] = bool(restarted(layout, "run_huey", old))
            time.sleep(args.seconds / 4)
            stop.set()
            join_all(devices, 120)
            mqtt.finish()
            settle_stored(layout, lambda: hj212_tally(layout, devices)["stored"] + mqtt.tally(layout)["stored"])
            wait_until(lambda: probes_done(layout, "kill") >= args.jobs, 60)
            results.append(hj212_tally(layout, devices))
            results.append(mqtt.tally(layout))
            wait_until(lambda: probes_done(layout, "held") >= 1, 120)
            done = probes_done(layout, "kill")
            results.append({"channel": "jobs", "sent": args.jobs, "acked": args.jobs, "stored": done, "lost": args.jobs - done})
            held_done = probes_done(layout, "held")
            requeued = sum("重新排队中断的任务" in line for line in layout.tail(20000).splitlines())
            results.append({"channel": "job in flight at the kill", "sent": 1, "acked": 1, "stored": held_done,
                            "requeued_after_restart": requeued, "lost": 1 - held_done if held and requeued else 1})
            ready = layout.wait_ready(60) is not None
            for line in layout.tail(20000).splitlines():
                if "已重启" in line or "已退出" in line:
                    say("supervisor: " + line.strip())
            results.append({"channel": "recovery", **{k: "restarted" if v else "NOT restarted" for k, v in recovered.items()},
                            "ready_after": ready, "lost": sum(not v for v in recovered.values())})
    finally:
        mosquitto.cleanup()
    return results


def fault_mqtt(args) -> list[dict]:
    mosquitto = ThrowawayMosquitto().start()
    try:
        with Layout(hj212_workers=1, mqtt_url=mosquitto.url) as layout:
            say(f"layout ready, private Mosquitto {mosquitto.url}")
            mns = register_devices(layout, "MQTTRS", 10)
            mqtt = MQTTDevices(mosquitto.url, mns, rate=10)
            mqtt.start()
            time.sleep(args.seconds / 3)
            say("restarting Mosquitto (SIGTERM, then start again on the same port and persistence file)")
            mosquitto.stop()
            time.sleep(3)  # devices keep publishing into their client queues meanwhile
            mosquitto.start()
            time.sleep(args.seconds / 3)
            say("killing Mosquitto with -9 (no persistence save) and starting it again")
            import signal

            os.kill(mosquitto.proc.pid, signal.SIGKILL)
            mosquitto.proc.wait()
            mosquitto.proc = None
            time.sleep(3)
            mosquitto.start()
            time.sleep(args.seconds / 3)
            mqtt.finish(timeout=90)
            settle_stored(layout, lambda: mqtt.tally(layout)["stored"])
            result = mqtt.tally(layout)
            result["ready_after"] = layout.wait_ready(60) is not None
            return [result]
    finally:
        mosquitto.cleanup()


def fault_postgres(args) -> list[dict]:
    pg = ThrowawayPostgres().start()
    try:
        with Layout(pg_url=pg.url, hj212_workers=2) as layout:
            say(f"layout ready on private PostgreSQL {pg.url}")
            mns = register_devices(layout, "PGRS", args.devices)
            stop = threading.Event()
            devices = [HJ212Device(mn, layout.hj212_port, stop) for mn in mns]
            for d in devices:
                d.start()
            web = {"ok": 0, "errors": 0}
            web_stop = threading.Event()

            def poll_web():
                while not web_stop.is_set():
                    try:
                        status, _ = http_get(f"{layout.url}/api/v1/health", timeout=5)
                    except OSError:
                        status = 0
                    web["ok" if status == 200 else "errors"] += 1
                    time.sleep(0.1)

            poller = threading.Thread(target=poll_web, daemon=True)
            poller.start()
            time.sleep(args.seconds / 3)
            enqueue_probes(layout, "pg", args.jobs)
            say("restarting PostgreSQL (pg_ctl restart -m fast: every connection is cut)")
            pg.restart("fast")
            time.sleep(args.seconds / 3)
            say("restarting PostgreSQL again (-m immediate: no checkpoint, crash recovery on start)")
            pg.restart("immediate")
            back = wait_until(lambda: http_get(f"{layout.url}/api/v1/health", timeout=5)[0] == 200, 60)
            errors_during = web["errors"]
            web.update(ok=0, errors=0)
            time.sleep(args.seconds / 3)
            stop.set()
            join_all(devices, 150)
            web_stop.set()
            poller.join()
            settle_stored(layout, lambda: hj212_tally(layout, devices)["stored"])
            wait_until(lambda: probes_done(layout, "pg") >= args.jobs, 90)
            done = probes_done(layout, "pg")
            return [hj212_tally(layout, devices),
                    {"channel": "jobs", "sent": args.jobs, "acked": args.jobs, "stored": done, "lost": args.jobs - done},
                    {"channel": "web", "reconnected": back, "errors_during_restarts": errors_during,
                     "errors_after": web["errors"], "ok_after": web["ok"], "lost": int(not back or web["errors"] > 0)}]
    finally:
        pg.stop()


def fault_disk(args) -> list[dict]:
    """Runs the read-only case from the suite and a full disk on a tiny tmpfs, both in a private
    mount namespace (unshare), against a SQLite data directory that was migrated first."""
    import hashlib
    import sqlite3
    import tempfile

    results = []
    tmp = Path(tempfile.mkdtemp(prefix="cy-disk-"))
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CHENGYUN_", "DJANGO_"))}
    env.update({"CHENGYUN_MODE": "production", "PYTHONPATH": str(REPO), "CHENGYUN_SECRET_KEY": secrets.token_urlsafe(50)})
    cli = [sys.executable, "-m", "chengyun.cli"]
    for case, setup in (("read-only", 'mount --bind "$0" "$0" && mount -o remount,bind,ro "$0"'),
                        ("disk full", 'cp -a "$0" "$0.orig" && mount -t tmpfs -o size=64m tmpfs "$0" && cp -a "$0.orig/." "$0/" '
                                      '&& (dd if=/dev/zero of="$0/filler" bs=1M 2>/dev/null; true)')):
        data = tmp / case.replace(" ", "-")
        e = dict(env, CHENGYUN_DATA_DIR=str(data))
        subprocess.run([*cli, "migrate", "--noinput", "-v", "0"], env=e, check=True, capture_output=True, timeout=300)
        db = data / "chengyun.sqlite3"
        before = hashlib.sha256(db.read_bytes()).hexdigest()
        lines = []
        for command in (["serve", "--no-hj212"], ["migrate", "--noinput"]):
            # After the failed start, the database is copied out of the namespace for the checks.
            inner = f'{setup} && "$@"; rc=$?; cp "$0/chengyun.sqlite3" "$0.after"; exit $rc'
            r = subprocess.run(["unshare", "--mount", "sh", "-c", inner, str(data), *cli, *command], env=e,
                               capture_output=True, text=True, timeout=180)
            lines.append((command[0], r.returncode, r.stderr.strip()))
        after = Path(f"{data}.after")
        unchanged = after.exists() and hashlib.sha256(after.read_bytes()).hexdigest() == before
        with sqlite3.connect(after if after.exists() else db) as conn:
            intact = conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        one_line = all(rc == 2 and "\n" not in err and "拒绝启动" in err for _, rc, err in lines)
        for command, rc, err in lines:
            say(f"{case}: chengyun {command} → exit {rc}: {err[-300:]}")
        results.append({"channel": case, "clear_one_line": one_line, "db_unchanged": unchanged, "integrity": intact,
                        "lost": int(not (one_line and unchanged and intact))})
    subprocess.run(["rm", "-rf", str(tmp)])
    return results


def fault_job(args) -> list[dict]:
    r = subprocess.run([sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-q",
                        "tests/ops/test_faults.py::test_a_job_that_raises_is_retried_with_backoff_then_visible_as_failed"],
                       cwd=REPO, capture_output=True, text=True, timeout=300)
    say(r.stdout.strip().splitlines()[-1] if r.stdout.strip() else r.stderr[-500:])
    return [{"channel": "job that raises", "retried_with_backoff_then_failed": r.returncode == 0, "lost": int(r.returncode != 0)}]


_FILL_CONTROLLER = r"""
set -u
D="$0"; CTL="$1"; shift
mount -t tmpfs -o size="$FILL_SIZE_MB"m tmpfs "$D" && cp -a "$D.orig/." "$D/" || exit 3
"$@" > "$CTL/serve.log" 2>&1 &
SERVE=$!
touch "$CTL/started"
while [ ! -e "$CTL/stop" ]; do
  if [ -e "$CTL/fill" ] && [ ! -e "$CTL/filled" ]; then dd if=/dev/zero of="$D/filler" bs=1M 2>/dev/null; touch "$CTL/filled"; fi
  if [ -e "$CTL/free" ] && [ ! -e "$CTL/freed" ]; then rm -f "$D/filler"; touch "$CTL/freed"; fi
  sleep 0.2
done
kill -TERM $SERVE; wait $SERVE
for f in chengyun.sqlite3 chengyun.sqlite3-wal chengyun.sqlite3-shm; do [ -e "$D/$f" ] && cp "$D/$f" "$CTL/$f"; done
exit 0
"""


def fault_diskfill(args) -> list[dict]:
    """The disk fills up while the platform runs: SQLite data directory on a small tmpfs in a private
    mount namespace, HJ 212 devices streaming, the tmpfs filled to the last byte mid-stream and
    freed again. Nothing acknowledged may be lost, the database must stay intact, and the
    receivers must say what ran out."""
    import sqlite3
    import tempfile

    tmp = Path(tempfile.mkdtemp(prefix="cy-fill-"))
    data, ctl = tmp / "data", tmp / "ctl"
    ctl.mkdir()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CHENGYUN_", "DJANGO_"))}
    env.update({"CHENGYUN_MODE": "production", "PYTHONPATH": str(REPO), "CHENGYUN_SECRET_KEY": secrets.token_urlsafe(50),
                "CHENGYUN_DATA_DIR": str(data)})
    cli = [sys.executable, "-m", "chengyun.cli"]
    subprocess.run([*cli, "migrate", "--noinput", "-v", "0"], env=env, check=True, capture_output=True, timeout=300)
    mns = [f"FILLTCP{i:04d}" for i in range(args.devices)]
    subprocess.run([*cli, "shell", "-c", "from chengyun.monitoring import services\n"
                    f"for mn in {mns!r}:\n"
                    f"    services.create_device(None, mn=mn, password={PASSWORD!r}, st='21', name='磁盘测试站 ' + mn, factors={FACTORS!r})\n"],
                   env=env, check=True, capture_output=True, timeout=300)
    subprocess.run(["cp", "-a", str(data), f"{data}.orig"], check=True)
    db_mb = sum(f.stat().st_size for f in data.iterdir()) // 2**20
    web_port, hj_port = free_port(), free_port()
    serve = [*cli, "serve", "--no-migrate", "--port", str(web_port), "--workers", "2", "--hj212-port", str(hj_port),
             "--hj212-workers", "1"]
    inner = subprocess.Popen(["unshare", "--mount", "sh", "-c", _FILL_CONTROLLER, str(data), str(ctl), *serve],
                             env=dict(env, FILL_SIZE_MB=str(db_mb + 48)))
    results = []
    try:
        def health() -> int:
            try:
                return http_get(f"http://127.0.0.1:{web_port}/healthz", timeout=30)[0]
            except OSError:
                return 0

        ready = wait_until(lambda: health() == 200, 180)
        say(f"serve on a {db_mb + 48} MB tmpfs: web {web_port}, HJ 212 {hj_port}, ready={ready}")
        stop = threading.Event()
        devices = [HJ212Device(mn, hj_port, stop) for mn in mns]
        for d in devices:
            d.start()
        time.sleep(args.seconds / 3)
        (ctl / "fill").touch()
        wait_until(lambda: (ctl / "filled").exists(), 60)
        acked_at_fill = sum(len(d.acked) for d in devices)
        say(f"data directory full; {acked_at_fill} packets acknowledged so far")
        time.sleep(args.seconds / 3)
        acked_while_full = sum(len(d.acked) for d in devices) - acked_at_fill
        health_full = health()
        (ctl / "free").touch()
        wait_until(lambda: (ctl / "freed").exists(), 60)
        say(f"space freed; {acked_while_full} packets acknowledged while the disk was full; /healthz answered {health_full}")
        time.sleep(args.seconds / 3)
        stop.set()
        join_all(devices, 120)
    finally:
        (ctl / "stop").touch()
        inner.wait(timeout=120)
    db = ctl / "chengyun.sqlite3"
    with sqlite3.connect(db) as conn:
        intact = conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        rows = conn.execute("SELECT d.mn, r.data_time FROM monitoring_reading r JOIN monitoring_device d ON d.id = r.device_id "
                            "WHERE d.mn LIKE 'FILLTCP%' AND r.source = 'hj212' GROUP BY d.mn, r.data_time HAVING COUNT(*) = ?",
                            (len(FACTORS),)).fetchall()
    stored: dict[str, set[str]] = {mn: set() for mn in mns}
    for mn, at in rows:
        stored[mn].add(str(at)[:19])
    log = (ctl / "serve.log").read_text(errors="replace")
    full_lines = [line for line in log.splitlines() if "database or disk is full" in line or "存储空间已满" in line]
    for line in full_lines[:3]:
        say("receiver: " + line.strip()[:200])
    sent = sum(d.sent for d in devices)
    acked = sum(len(d.acked) for d in devices)
    stored_n = sum(len(v) for v in stored.values())
    # Stored times are UTC in SQLite: compare counts per device, then the acknowledged set's size.
    lost = sum(max(0, len(d.acked) - len(stored[d.mn])) for d in devices)
    crashed = [line for line in log.splitlines() if "SIGBUS" in line or "已退出" in line]
    for line in crashed[:3]:
        say("supervisor: " + line.strip()[:200])
    results.append({"channel": "hj212 (disk filled mid-stream)", "sent": sent, "acked": acked, "stored": stored_n,
                    "acked_while_full": acked_while_full, "full_reported_in_log": len(full_lines), "integrity": intact,
                    "lost": lost + int(not intact)})
    # Liveness while full: the web process answers (a full data disk must not kill it).
    results.append({"channel": "web while the disk was full", "healthz": health_full, "processes_exited": len(crashed),
                    "lost": int(health_full != 200) + len(crashed)})
    subprocess.run(["rm", "-rf", str(tmp)])
    return results


FAULTS = {"kill": fault_kill, "mqtt": fault_mqtt, "postgres": fault_postgres, "disk": fault_disk, "diskfill": fault_diskfill, "job": fault_job}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("fault", choices=[*FAULTS, "all"])
    parser.add_argument("--devices", type=int, default=20, help="HJ 212 devices streaming during the fault")
    parser.add_argument("--jobs", type=int, default=2000, help="probe jobs enqueued during the fault")
    parser.add_argument("--seconds", type=float, default=24, help="length of the stream around the fault")
    args = parser.parse_args(argv)
    lost = 0
    for name in FAULTS if args.fault == "all" else [args.fault]:
        say(f"=== fault: {name}")
        try:
            rows = FAULTS[name](args)
        except Exception as exc:  # a fault that cannot even be run is a failure, not a pass
            say(f"{name}: could not run: {type(exc).__name__}: {exc}")
            lost += 1
            continue
        for row in rows:
            print("  " + "  ".join(f"{k}={v}" for k, v in row.items()), flush=True)
            lost += row.get("lost", 0)
    print(f"TOTAL lost/failed: {lost}", flush=True)
    return 1 if lost else 0


if __name__ == "__main__":
    sys.exit(main())
