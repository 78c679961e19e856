"""`chengyun hj212-server --workers 2` as deployed: a supervisor process and two receivers on a real SQLite file."""
from __future__ import annotations

import os
import re
import signal
import socket
import sqlite3
import subprocess
import sys
import time
from datetime import datetime, timedelta

from chengyun.standards import hj212

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
CODES = ["w01018", "w21003"]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _env(data_dir) -> dict:
    env = dict(os.environ, CHENGYUN_DATA_DIR=str(data_dir), DJANGO_SETTINGS_MODULE="chengyun.settings", CHENGYUN_LOG_LEVEL="WARNING")
    env.pop("CHENGYUN_DATABASE_URL", None)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (ROOT, env.get("PYTHONPATH", "")) if p)
    return env


def test_two_receivers_behind_one_port_store_everything_and_stop_together(tmp_path):
    env = _env(tmp_path)
    setup = ("import django; django.setup()\n"
             "from django.core.management import call_command; call_command('migrate', verbosity=0)\n"
             "from chengyun.monitoring import services\n"
             f"[services.create_device(None, mn=f'W{{k:03d}}', password='pw123456', st='21', name=f'站{{k}}', factors={CODES!r}) for k in range(8)]\n")
    subprocess.run([sys.executable, "-c", setup], env=env, check=True, cwd=ROOT, timeout=120)
    port = _free_port()
    server = subprocess.Popen([sys.executable, "-m", "chengyun.cli", "hj212-server", "--port", str(port), "--workers", "2"],
                              env=env, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, start_new_session=True)
    replies = 0
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                conns = [socket.create_connection(("127.0.0.1", port), 2) for _ in range(8)]
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.2)
        t0 = datetime(2026, 11, 26, 8, 0)
        for k, conn in enumerate(conns):
            conn.sendall(b"".join(hj212.build(st="21", cn="2061", pw="pw123456", mn=f"W{k:03d}", flag=5, qn=f"20261126080000{i:03d}",
                                              data_time=t0 + timedelta(hours=i), factors={c: {"Avg": 1.0 + i} for c in CODES})
                                  for i in range(3)))
        for conn in conns:
            conn.settimeout(30)
            framer, got = hj212.FrameReader(), 0
            while got < 3:
                got += sum(1 for f in framer.feed(conn.recv(4096)) if isinstance(f, bytes))
            replies += got
            conn.close()
    finally:
        server.send_signal(signal.SIGTERM)
        _, err = server.communicate(timeout=60)
    assert server.returncode == 0, err.decode(errors="replace")[-2000:]
    assert replies == 24
    # Eight connections at once, least-connections hand-off: four each.
    handed = re.search(r"connections handed \[(\d+), (\d+)\]", err.decode(errors="replace"))
    assert handed and handed.groups() == ("4", "4"), err.decode(errors="replace")[-2000:]
    with sqlite3.connect(tmp_path / "chengyun.sqlite3") as db:
        assert db.execute("SELECT COUNT(*) FROM monitoring_reading").fetchone()[0] == 8 * 3 * len(CODES)
        assert db.execute("SELECT COUNT(*) FROM monitoring_rawframe WHERE outcome = 'stored'").fetchone()[0] == 8 * 3
