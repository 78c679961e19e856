"""HJ 212 ingestion throughput: N concurrent devices on loopback sending real-time packets
(CN 2011) of 8 factors to `chengyun hj212-server`, each keeping a few packets in flight and
counting the 9014 replies (sent only after the readings are committed).

The server runs as deployed: `--workers 0`, its default of one receiver process per core.

Reports sustained packets/s and factor values/s stored, checks zero loss by count (readings
and raw frames in the database against packets sent), and compares with a raw bulk insert
of the same rows into the same table of the same database, 5,000 rows per transaction, no
conflict handling, measured two ways (DB-API executemany, and the receiver's own multi-row
statements) — the faster is the storage limit the ratio uses. Targets: ≥ 5,000 values/s on
SQLite and at least half the raw-insert rate.

    .venv/bin/python bench/ingest.py [--db sqlite|postgres|both] [--devices 50] [--seconds 20]
        [--window 8] [--workers 0] [--verbose]
        [--pg-url postgresql://postgres@127.0.0.1:5432/cy_monitoring_bench]
"""
from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timedelta

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CODES = ["w01001", "w01009", "w01019", "w21003", "w21011", "w01018", "w01010", "w01014"]
BASE = [7.5, 8.2, 3.1, 0.42, 0.08, 14.0, 16.5, 420.0]
PASSWORD = "bench123"


# ---------------------------------------------------------------- frames (fast, checked against the library)

def _crc_table() -> list[int]:
    table = []
    for n in range(256):
        crc = n
        for _ in range(8):
            crc = (crc >> 1) ^ 0xA001 if crc & 1 else crc >> 1
        table.append(crc)
    return table


_TABLE = _crc_table()


def crc16(data: bytes) -> int:
    """HJ 212 Appendix A CRC, table-driven (the library's bitwise one is the reference; see check below)."""
    # The register's high byte is dropped before the byte goes in, so each step is one lookup.
    crc = 0xFFFF
    for byte in data:
        crc = _TABLE[(crc >> 8) ^ byte]
    return crc


def make_frame(mn: str, seq: int, t0: datetime) -> bytes:
    when = t0 + timedelta(seconds=seq)
    qn = when.strftime("%Y%m%d%H%M%S") + f"{seq % 1000:03d}"
    cp = ";".join(f"{c}-Rtd={b * (1 + (seq % 17) / 100):.3f},{c}-Flag=N" for c, b in zip(CODES, BASE))
    segment = f"QN={qn};ST=21;CN=2011;PW={PASSWORD};MN={mn};Flag=5;CP=&&DataTime={when:%Y%m%d%H%M%S};{cp}&&".encode()
    return b"##%04d%s%04X\r\n" % (len(segment), segment, crc16(segment))


# ---------------------------------------------------------------- load generator

async def device(port: int, mn: str, t0: datetime, deadline: float, window: int, counters: dict) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    in_flight = 0
    seq = 0
    buffer = b""
    stop_sending = False
    while True:
        while not stop_sending and in_flight < window:
            writer.write(make_frame(mn, seq, t0))
            seq += 1
            in_flight += 1
            counters["sent"] += 1
        await writer.drain()
        if in_flight == 0:
            break
        data = await asyncio.wait_for(reader.read(65536), 120)
        if not data:
            raise RuntimeError(f"{mn}: server closed the connection")
        buffer += data
        replies = buffer.count(b"\r\n")
        buffer = buffer[buffer.rfind(b"\r\n") + 2:] if replies else buffer
        in_flight -= replies
        counters["replies"] += replies
        counters["last_reply"] = time.monotonic()
        if time.monotonic() >= deadline:
            stop_sending = True
    writer.close()


async def load(port: int, mns: list[str], seconds: float, window: int) -> dict:
    counters = {"sent": 0, "replies": 0, "last_reply": 0.0}
    t0 = datetime(2026, 1, 1)
    started = time.monotonic()
    await asyncio.gather(*(device(port, mn, t0, started + seconds, window, counters) for mn in mns))
    counters["elapsed"] = counters["last_reply"] - started
    return counters


# ---------------------------------------------------------------- one database

def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_port(port: int, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), 0.5).close()
            return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError(f"server did not listen on {port}")


def ensure_pg_database(url: str) -> None:
    import psycopg
    from urllib.parse import urlparse

    parsed = urlparse(url)
    name = parsed.path.lstrip("/")
    admin = parsed._replace(path="/postgres").geturl()
    with psycopg.connect(admin, autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone():
            conn.execute(f'CREATE DATABASE "{name}"')


def child(args) -> None:
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection, transaction

    from chengyun.monitoring import services
    from chengyun.monitoring.models import Device, IngestLog, RawFrame, Reading
    from chengyun.standards import hj212

    sample = make_frame("BENCH0000", 1, datetime(2026, 1, 1))
    assert hj212.parse(sample).factors.keys() == set(CODES)
    assert crc16(sample[6:-6]) == hj212.crc16(sample[6:-6])

    call_command("migrate", interactive=False, verbosity=0)
    Reading.objects.all().delete()
    RawFrame.objects.all().delete()
    IngestLog.objects.all().delete()
    Device.objects.filter(mn__startswith="BENCH").delete()
    mns = [f"BENCH{k:04d}" for k in range(args.devices)]
    for mn in mns:
        services.create_device(None, mn=mn, password=PASSWORD, st="21", name=f"压测设备 {mn}", factors=CODES)
    connection.close()

    port = free_port()
    server = subprocess.Popen([sys.executable, "-m", "chengyun.cli", "hj212-server", "--port", str(port), "--workers", str(args.workers)],
                              env=os.environ.copy(), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, start_new_session=True)
    try:
        wait_port(port)
        client_cpu = time.process_time()
        result = asyncio.run(load(port, mns, args.seconds, args.window))
        client_cpu = time.process_time() - client_cpu
    finally:
        server.send_signal(signal.SIGTERM)
        _, err = server.communicate(timeout=120)
    cpu = sum(float(m) for m in re.findall(r"cpu_seconds=([0-9.]+)", err.decode(errors="replace")))
    if args.verbose:  # the receivers' closing statistics and any warnings
        sys.stderr.write("\n".join(line for line in err.decode(errors="replace").splitlines() if "stopped" in line or "WARNING" in line or "slow" in line)[-3000:] + "\n")
    stored = Reading.objects.count()
    frames = RawFrame.objects.filter(outcome="stored").count()
    sent = result["sent"]
    packets_per_s = sent / result["elapsed"]
    out = {
        "db": args.which, "devices": args.devices, "window": args.window, "workers": args.workers, "seconds": round(result["elapsed"], 1),
        "packets_sent": sent, "replies": result["replies"], "readings_stored": stored, "raw_frames_stored": frames,
        "zero_loss": stored == sent * len(CODES) and frames == sent and result["replies"] == sent,
        "packets_per_s": round(packets_per_s), "values_per_s": round(packets_per_s * len(CODES)),
        # Load-independent: factor values stored per CPU-second of the server process(es).
        "server_cpu_s": round(cpu, 1), "client_cpu_s": round(client_cpu, 1), "values_per_cpu_s": round(sent * len(CODES) / cpu) if cpu else None,
    }

    # The same rows, inserted raw into the same (emptied) table.
    cols = ["device_id", "cn", "factor", "data_time", "value", "min", "max", "cou", "flag", "received_at", "source"]
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {', '.join(cols)} FROM monitoring_reading")
        rows = cursor.fetchall()
    Reading.objects.all().delete()
    table = connection.ops.quote_name(Reading._meta.db_table)
    placeholders = ", ".join(["%s"] * len(cols))
    sql = f"INSERT INTO {table} ({', '.join(cols)}) VALUES ({placeholders})"
    def executemany(chunk):
        with connection.cursor() as cursor:
            cursor.executemany(sql, chunk)

    def multirow(chunk):
        from chengyun.monitoring import bulk

        bulk.insert_rows(connection, Reading._meta.db_table, cols, chunk)

    # Two ways to insert the same rows; the faster one is the storage limit the ratio uses.
    for name, insert in (("executemany", executemany), ("multirow", multirow)):
        Reading.objects.all().delete()
        started = time.perf_counter()
        cpu_started = time.process_time()
        for start in range(0, len(rows), 5000):
            with transaction.atomic():
                insert(rows[start:start + 5000])
        raw_elapsed = time.perf_counter() - started
        raw_cpu = time.process_time() - cpu_started
        assert Reading.objects.count() == len(rows)
        out[f"raw_{name}_values_per_s"] = round(len(rows) / raw_elapsed)
        out[f"raw_{name}_values_per_cpu_s"] = round(len(rows) / raw_cpu) if raw_cpu else None
    best = max(("executemany", "multirow"), key=lambda n: out[f"raw_{n}_values_per_s"])
    out["raw_insert_method"] = best
    out["raw_insert_values_per_s"] = out[f"raw_{best}_values_per_s"]
    out["raw_insert_values_per_cpu_s"] = out[f"raw_{best}_values_per_cpu_s"]
    out["ratio"] = round(out["values_per_s"] / out["raw_insert_values_per_s"], 3)
    Reading.objects.all().delete()
    RawFrame.objects.all().delete()
    print(json.dumps(out))
    if not out["zero_loss"]:
        sys.stderr.write(err.decode(errors="replace")[-3000:])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--db", choices=["sqlite", "postgres", "both"], default="both")
    parser.add_argument("--devices", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--window", type=int, default=8, help="packets each device keeps in flight awaiting replies")
    parser.add_argument("--workers", type=int, default=0, help="hj212-server receiver processes (0: the server's default, one per core)")
    parser.add_argument("--pg-url", default=os.environ.get("CHENGYUN_BENCH_PG_URL", "postgresql://postgres@127.0.0.1:5432/cy_monitoring_bench"))
    parser.add_argument("--verbose", action="store_true", help="print the receivers' statistics and warnings")
    parser.add_argument("--child", choices=["sqlite", "postgres"], help=argparse.SUPPRESS)
    args = parser.parse_args()

    if args.child:
        args.which = args.child
        child(args)
        return

    results = []
    for which in (["sqlite", "postgres"] if args.db == "both" else [args.db]):
        env = dict(os.environ)
        env.setdefault("DJANGO_SETTINGS_MODULE", "chengyun.settings")
        env["CHENGYUN_LOG_LEVEL"] = "WARNING"
        env["PYTHONPATH"] = os.pathsep.join(p for p in (ROOT, env.get("PYTHONPATH", "")) if p)
        env.pop("CHENGYUN_DATABASE_URL", None)
        env["CHENGYUN_DATA_DIR"] = tempfile.mkdtemp(prefix=f"chengyun-bench-ingest-{which}-")
        if which == "postgres":
            ensure_pg_database(args.pg_url)
            env["CHENGYUN_DATABASE_URL"] = args.pg_url
        argv = [sys.executable, os.path.abspath(__file__), "--child", which, "--devices", str(args.devices),
                "--seconds", str(args.seconds), "--window", str(args.window), "--workers", str(args.workers)] + (["--verbose"] if args.verbose else [])
        try:
            proc = subprocess.run(argv, env=env, capture_output=True, text=True)
        finally:
            shutil.rmtree(env["CHENGYUN_DATA_DIR"], ignore_errors=True)
        if proc.returncode != 0:
            print(proc.stdout, proc.stderr, file=sys.stderr)
            raise SystemExit(f"{which}: benchmark failed")
        line = proc.stdout.strip().splitlines()[-1]
        results.append(json.loads(line))
        if proc.stderr.strip():
            print(proc.stderr[-2000:], file=sys.stderr)

    print(f"{'数据库':<10}{'设备':>5}{'包/秒':>9}{'因子值/秒':>11}{'原始插入 值/秒':>15}{'比值':>7}  零丢失")
    for r in results:
        print(f"{r['db']:<10}{r['devices']:>6}{r['packets_per_s']:>10}{r['values_per_s']:>12}{r['raw_insert_values_per_s']:>16}{r['ratio']:>8}  "
              f"{'是' if r['zero_loss'] else '否'}（发送 {r['packets_sent']} 包，入库 {r['readings_stored']} 值）")
    print(f"{'数据库':<10}{'接收进程 CPU 秒':>14}{'因子值/CPU 秒':>14}{'原始插入 值/CPU 秒':>18}")
    for r in results:
        print(f"{r['db']:<10}{r['server_cpu_s']:>16}{r['values_per_cpu_s'] or '-':>16}{r['raw_insert_values_per_cpu_s'] or '-':>20}")
    for r in results:
        print(json.dumps(r, ensure_ascii=False))
    if not all(r["zero_loss"] for r in results):
        raise SystemExit("有数据丢失")


if __name__ == "__main__":
    main()
