"""Start the production layout (`chengyun serve`: gunicorn, Huey, HJ 212 receivers, MQTT ingest)
on a scratch PostgreSQL database, a scratch Huey queue name in Redis and free ports, the way
tests/ops/test_production_layout.py does; shared by bench/load.py and scripts/faults.py.

Also throwaway PostgreSQL and Mosquitto instances on free ports, for the faults that restart
them: the machine's own PostgreSQL and Mosquitto are shared and are never stopped here."""
from __future__ import annotations

import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from glob import glob
from pathlib import Path
from urllib.parse import urlparse

REPO = Path(__file__).resolve().parents[1]
PG_URL = os.environ.get("CHENGYUN_BENCH_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
REDIS_URL = os.environ.get("CHENGYUN_BENCH_REDIS_URL", "redis://127.0.0.1:6379/0")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def http_get(url: str, timeout: float = 10) -> tuple[int, bytes]:
    try:
        with urllib.request.urlopen(url, timeout=timeout) as r:
            return r.status, r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.read()


def _wait_port(port: int, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), 1).close()
            return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError(f"port {port} did not open within {timeout:.0f} s")


class ThrowawayPostgres:
    """A private PostgreSQL cluster in a temporary directory (trust auth, loopback, a free port),
    run as the postgres user because initdb refuses root."""

    def __init__(self) -> None:
        self.dir = Path(tempfile.mkdtemp(prefix="cy-pg-"))
        self.port = free_port()
        self.url = f"postgresql://postgres@127.0.0.1:{self.port}/postgres"
        self.bin = Path(sorted(glob("/usr/lib/postgresql/*/bin"))[-1])

    def _as_postgres(self, argv: list[str], **kw) -> subprocess.CompletedProcess:
        prefix = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
        return subprocess.run(prefix + argv, check=True, capture_output=True, text=True, **kw)

    def start(self) -> "ThrowawayPostgres":
        shutil.chown(self.dir, "postgres") if os.geteuid() == 0 else None
        self._as_postgres([str(self.bin / "initdb"), "-D", str(self.dir / "data"), "-A", "trust", "-U", "postgres", "-E", "UTF8"],
                          timeout=120)
        self._pg_ctl("start")
        return self

    def _pg_ctl(self, action: str, *extra: str) -> None:
        self._as_postgres([str(self.bin / "pg_ctl"), "-D", str(self.dir / "data"), "-l", str(self.dir / "log"), "-w", "-t", "60",
                           "-o", f"-p {self.port} -k {self.dir} -c listen_addresses=127.0.0.1 -c max_connections=200", action, *extra],
                          timeout=120)

    def restart(self, mode: str = "fast") -> None:
        self._pg_ctl("restart", "-m", mode)

    def stop(self) -> None:
        try:
            self._pg_ctl("stop", "-m", "fast")
        except subprocess.CalledProcessError:
            pass
        shutil.rmtree(self.dir, ignore_errors=True)


class ThrowawayMosquitto:
    """A private Mosquitto broker with persistence (QoS 1 sessions survive its restart)."""

    def __init__(self) -> None:
        self.dir = Path(tempfile.mkdtemp(prefix="cy-mqtt-"))
        self.port = free_port()
        self.url = f"mqtt://127.0.0.1:{self.port}"
        self.proc: subprocess.Popen | None = None
        (self.dir / "mosquitto.conf").write_text(
            f"listener {self.port} 127.0.0.1\nallow_anonymous true\npersistence true\npersistence_location {self.dir}/\n"
            "autosave_interval 1\nmax_queued_messages 100000\n")
        if os.geteuid() == 0:
            shutil.chown(self.dir, "mosquitto") if _user_exists("mosquitto") else None

    def start(self) -> "ThrowawayMosquitto":
        self.proc = subprocess.Popen(["mosquitto", "-c", str(self.dir / "mosquitto.conf")], stdout=subprocess.DEVNULL,
                                     stderr=open(self.dir / "log", "a"), start_new_session=True)
        _wait_port(self.port, 20)
        return self

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()  # SIGTERM: mosquitto saves its persistence file on the way out
            self.proc.wait(timeout=30)
        self.proc = None

    def restart(self) -> None:
        self.stop()
        self.start()

    def cleanup(self) -> None:
        self.stop()
        shutil.rmtree(self.dir, ignore_errors=True)


def _user_exists(name: str) -> bool:
    import pwd

    try:
        pwd.getpwnam(name)
        return True
    except KeyError:
        return False


class Layout:
    """`chengyun serve` on a scratch database; use as a context manager."""

    def __init__(self, *, pg_url: str = PG_URL, redis_url: str = REDIS_URL, workers: int = 2, threads: int = 4,
                 job_workers: int = 2, hj212_workers: int = 2, mqtt_url: str = "", extra_env: dict | None = None,
                 keep_log: bool = False, template: str = "") -> None:
        self.pg_admin_url = urlparse(pg_url)._replace(path="/postgres").geturl()
        self.redis_url = redis_url
        self.scratch = f"chengyun_bench_{os.getpid()}_{secrets.token_hex(3)}"
        self.db_url = urlparse(pg_url)._replace(path=f"/{self.scratch}").geturl()
        self.dir = Path(tempfile.mkdtemp(prefix="cy-layout-"))
        self.web_port, self.hj212_port = free_port(), free_port()
        self.url = f"http://127.0.0.1:{self.web_port}"
        self.args = ["--port", str(self.web_port), "--workers", str(workers), "--threads", str(threads),
                     "--job-workers", str(job_workers), "--hj212-host", "127.0.0.1", "--hj212-port", str(self.hj212_port),
                     "--hj212-workers", str(hj212_workers)]
        if mqtt_url:
            self.args += ["--mqtt-url", mqtt_url]
        env = {k: v for k, v in os.environ.items() if not k.startswith(("CHENGYUN_", "DJANGO_", "PYTEST"))}
        env.update({
            "DJANGO_SETTINGS_MODULE": "chengyun.settings", "PYTHONPATH": str(REPO), "CHENGYUN_MODE": "production",
            "CHENGYUN_DATA_DIR": str(self.dir / "data"), "CHENGYUN_DATABASE_URL": self.db_url, "CHENGYUN_REDIS_URL": redis_url,
            "CHENGYUN_HUEY_NAME": self.scratch, "CHENGYUN_SECRET_KEY": secrets.token_urlsafe(50),
            "CHENGYUN_SECURE_COOKIES": "0", "CHENGYUN_HEARTBEAT_INTERVAL": "1",
            "CHENGYUN_REQUIRED_RECEIVERS": "hj212-server" + (",mqtt-ingest" if mqtt_url else ""),
        })
        env.update(extra_env or {})
        self.env = env
        self.keep_log = keep_log
        self.template = template  # a database to copy (CREATE DATABASE … TEMPLATE) instead of starting empty
        self.proc: subprocess.Popen | None = None
        self.log_path = self.dir / "serve.log"

    # ------------------------------------------------------------ lifecycle

    def create_database(self) -> None:
        import psycopg

        with psycopg.connect(self.pg_admin_url, autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{self.scratch}"' + (f' TEMPLATE "{self.template}"' if self.template else ""))

    def start(self, timeout: float = 240) -> "Layout":
        self.create_database()
        self.log = open(self.log_path, "w+")
        self.proc = subprocess.Popen([sys.executable, "-m", "chengyun.cli", "serve", *self.args], env=self.env, cwd=self.dir,
                                     stdout=self.log, stderr=subprocess.STDOUT, start_new_session=True)
        self.wait_ready(timeout)
        return self

    def wait_ready(self, timeout: float = 120) -> float:
        started = time.monotonic()
        deadline, status = started + timeout, None
        while time.monotonic() < deadline and self.proc.poll() is None:
            try:
                status, body = http_get(f"{self.url}/readyz", timeout=5)
            except OSError:
                status = None
            if status == 200:
                return time.monotonic() - started
            time.sleep(0.5)
        raise RuntimeError(f"chengyun serve not ready (/readyz {status}):\n{self.tail()}")

    def readiness(self) -> dict:
        try:
            return json.loads(http_get(f"{self.url}/readyz", timeout=5)[1])
        except (OSError, ValueError) as exc:
            return {"status": f"unreachable: {exc}"}

    def tail(self, chars: int = 4000) -> str:
        return self.log_path.read_text(errors="replace")[-chars:] if self.log_path.exists() else ""

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=60)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()
        # Services run in their own sessions; anything left of them goes with the data directory.
        for pid in self.descendants():
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        try:
            import redis

            client = redis.Redis.from_url(self.redis_url)
            for key in client.scan_iter(f"huey.*{self.scratch}*"):
                client.delete(key)
            client.close()
        except Exception:
            pass
        try:
            import psycopg

            with psycopg.connect(self.pg_admin_url, autocommit=True) as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{self.scratch}" WITH (FORCE)')
        except Exception as exc:
            print(f"warning: scratch database {self.scratch} not dropped: {exc}", file=sys.stderr)
        if not self.keep_log:
            shutil.rmtree(self.dir, ignore_errors=True)

    def __enter__(self) -> "Layout":
        try:
            return self.start()
        except BaseException:
            self.stop()
            raise

    def __exit__(self, *exc) -> None:
        self.stop()

    # ------------------------------------------------------------ processes

    def descendants(self) -> list[int]:
        """Every live process that `chengyun serve` started, however deep (by marker in the environment)."""
        pids = []
        for entry in Path("/proc").iterdir():
            if not entry.name.isdigit():
                continue
            try:
                environ = (entry / "environ").read_bytes()
            except OSError:
                continue
            if f"CHENGYUN_HUEY_NAME={self.scratch}".encode() in environ and int(entry.name) != os.getpid():
                pids.append(int(entry.name))
        return pids

    def service_pids(self, marker: str) -> list[int]:
        """Processes of the layout whose command line contains ``marker`` (e.g. 'run_huey', 'hj212-server')."""
        found = []
        for pid in self.descendants():
            try:
                cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
            except OSError:
                continue
            if marker in cmdline:
                found.append(pid)
        return sorted(found)

    # ------------------------------------------------------------ data

    def manage(self, code: str, timeout: float = 300) -> str:
        result = subprocess.run([sys.executable, "-m", "chengyun.cli", "shell", "-c", code], env=self.env, cwd=self.dir,
                                capture_output=True, text=True, timeout=timeout)
        if result.returncode != 0:
            raise RuntimeError(result.stderr[-3000:])
        return result.stdout

    def query(self, sql: str, params=()) -> list[tuple]:
        import psycopg

        with psycopg.connect(self.db_url) as conn:
            return conn.execute(sql, params).fetchall()
