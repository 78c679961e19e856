"""`hj212-server --workers N`: one listening supervisor, N receiver processes.

One receiver process parses on one core (the interpreter lock), so a busy host runs
several. The supervisor owns the listening socket, accepts, and passes each connection's
file descriptor (SCM_RIGHTS over a Unix socket pair) to the worker with the fewest open
connections; each worker reports a finished connection with one byte. Sharing the port
with SO_REUSEPORT instead spreads connections by a hash of their addresses, and with a
few dozen long-lived device connections the split came out as uneven as 16 to 35 —
the busier worker then set the pace (docs/performance.md).

The supervisor touches no database; workers are ordinary `hj212-server` processes started
with ``--handoff-fd``. SIGINT/SIGTERM stop the supervisor, which stops the workers; they
store what they received before exiting. A worker that dies ends the whole service with
an error, so the process manager (systemd, the demo) restarts it.
"""
from __future__ import annotations

import logging
import os
import selectors
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass

from chengyun.core.ports import PortUnavailable

logger = logging.getLogger("chengyun.monitoring.hj212")


def default_workers() -> int:
    """One receiver per core, at most four (the database writes one batch at a time anyway)."""
    return max(1, min(os.cpu_count() or 1, 4))


@dataclass
class _Worker:
    process: subprocess.Popen
    channel: socket.socket
    open: int = 0
    handed: int = 0


def supervise(workers: int, host: str, port: int, worker_args: list[str]) -> int:
    """Listen on host:port and feed ``workers`` receiver processes until signalled; returns an exit status."""
    try:
        listener = socket.create_server((host, port), backlog=1024)
    except OSError as exc:  # before any worker exists: nothing to stop
        raise PortUnavailable(f"{host}:{port}") from exc
    listener.setblocking(False)
    pool: list[_Worker] = []
    for _ in range(workers):
        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
        # A worker too stuck to take a descriptor within this time loses that connection (the
        # device reconnects) rather than the supervisor stopping for everyone.
        ours.settimeout(5)
        argv = [sys.executable, "-m", "chengyun.cli", "hj212-server", "--workers", "1",
                "--handoff-fd", str(theirs.fileno()), *worker_args]
        process = subprocess.Popen(argv, env=os.environ.copy(), pass_fds=[theirs.fileno()])
        theirs.close()
        pool.append(_Worker(process, ours))

    stopping = False

    def stop(signum=None, frame=None):
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)

    selector = selectors.DefaultSelector()
    selector.register(listener, selectors.EVENT_READ, None)
    for worker in pool:
        selector.register(worker.channel, selectors.EVENT_READ, worker)
    failed = False
    try:
        while not stopping:
            if any(w.process.poll() is not None for w in pool):
                failed = True
                break
            for key, _ in selector.select(0.2):
                if key.data is None:
                    _accept_all(listener, pool)
                else:
                    _read_reports(key.data)
    finally:
        selector.close()
        listener.close()
        for worker in pool:
            worker.channel.close()  # a worker sees its channel close and stops like on SIGTERM
            if worker.process.poll() is None:
                worker.process.send_signal(signal.SIGTERM)
        for worker in pool:
            try:
                worker.process.wait(timeout=120)
            except subprocess.TimeoutExpired:
                worker.process.kill()
    logger.info("HJ 212 supervisor stopped: connections handed %s cpu_seconds=%.2f", [w.handed for w in pool], time.process_time())
    return 1 if failed else 0


def _accept_all(listener: socket.socket, pool: list[_Worker]) -> None:
    while True:
        try:
            conn, _ = listener.accept()
        except (BlockingIOError, InterruptedError):
            return
        worker = min(pool, key=lambda w: (w.open, w.handed))
        try:
            socket.send_fds(worker.channel, [b"+"], [conn.fileno()])
            worker.open += 1
            worker.handed += 1
        except OSError as exc:
            logger.warning("could not hand a connection to worker %d: %s", worker.process.pid, exc)
        finally:
            conn.close()  # the worker holds its own copy now


def _read_reports(worker: _Worker) -> None:
    try:
        data = worker.channel.recv(4096)
    except (BlockingIOError, InterruptedError):
        return
    except OSError:
        data = b""
    worker.open = max(0, worker.open - data.count(b"-"))
