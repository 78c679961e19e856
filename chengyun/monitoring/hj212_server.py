"""HJ 212 receiver: an asyncio TCP server for many device connections at once.

Three threads, a pipeline: the event loop only reads sockets, cuts the byte streams into
frames and writes replies; the ingest thread (``IngestWorker``) takes every frame that
queued up since its last pass, checks it (CRC and content, MN and password) and turns the
accepted ones into database rows; the store thread (``StoreWorker``) writes each batch in
one transaction. While one batch is being written — inside the database driver, which
lets other threads run — the next one is being parsed. A slow write stops no one from
sending: frames keep arriving and queue up, and the next batch is simply larger. One
process still parses on one core; ``hj212_workers`` runs one per core behind one port.

(The writer issues a few multi-row statements per batch rather than a statement per row:
Python's sqlite3 re-takes the interpreter lock after every statement, and with the parser
busy on another thread each re-take can wait a whole switch interval — measured: 80
statements took four times as long with a busy thread beside them.)

The 9014 reply is sent only after the packet's readings are committed: a device that gets
no reply resends, and the upsert on (device, CN, data time, factor) makes the resend
harmless. So a packet is either stored or resent, never lost.
"""
from __future__ import annotations

import asyncio
import fcntl
import logging
import queue
import re
import socket
import threading
import time
from collections import Counter
from dataclasses import dataclass
from typing import Any, Callable

from django.db import DatabaseError, connection, transaction
from django.utils import timezone

from chengyun.core.ports import PortUnavailable
from chengyun.standards import hj212

from . import hooks, intake, services
from .intake import sniff_mn
from .models import Device, IngestLog, RawFrame

logger = logging.getLogger("chengyun.monitoring.hj212")

_PRINTABLE = re.compile(rb"[\x20-\x7e]*")


def printable(frame: bytes) -> str:
    """Frame bytes as storable text: control and non-ASCII bytes as \\xNN (PostgreSQL text refuses NUL)."""
    if _PRINTABLE.fullmatch(frame):
        return frame.decode("ascii")
    return "".join(chr(b) if 0x20 <= b < 0x7F else f"\\x{b:02x}" for b in frame)


# ---------------------------------------------------------------- the ingest thread


@dataclass
class _Frame:
    frame: bytes
    peer: str
    received_at: Any
    writer: Any  # the connection's StreamWriter, only handed back to the loop


@dataclass
class _Defect:
    """Bytes the frame reader had to skip (no frame to parse)."""

    error: hj212.ProtocolError
    peer: str
    received_at: Any


_STOP = object()


@dataclass
class _Batch:
    """One pass of the ingest thread, for the store thread to write."""

    size: int  # queue items it settles (frames and defects)
    accepted: list  # (_Frame, services.Incoming, reply bytes | None)
    prepared: services.PreparedPackets | None
    logs: list
    raws: list


class IngestWorker(threading.Thread):
    """Checks frames in batches and turns the accepted ones into rows for the store thread.

    ``stats`` is shared with the store thread (each thread counts its own keys).
    """

    def __init__(self, deliver: Callable[[list[tuple[Any, bytes]]], None], *, max_batch: int = 5000,
                 keep_raw: bool = True, cache_seconds: float = 300.0, pause_parsing_while_writing: bool = False) -> None:
        super().__init__(name="hj212-ingest", daemon=True)
        self.jobs: queue.SimpleQueue = queue.SimpleQueue()
        self.max_batch = max_batch
        self.keep_raw = keep_raw
        self.cache_seconds = cache_seconds
        self.pending = 0  # frames queued and not yet stored (read by the loop for back-pressure)
        self.stats: Counter[str] = Counter()
        self._lock = threading.Lock()
        self._logged: dict[str, list] = {}  # sender → [last logged (monotonic), refusals not logged since]
        self._devices = services.DeviceCache(max_age=cache_seconds, run=lambda fn: services.retrying(fn, stats=self.stats, log=logger))
        self.deviations = intake.DeviationLog(logger, self.stats)
        self.store = StoreWorker(self, deliver, pause_parsing=pause_parsing_while_writing)

    # -- called from the event loop
    def submit(self, job: _Frame | _Defect) -> None:
        with self._lock:
            self.pending += 1
        self.jobs.put(job)

    def stop(self) -> None:
        self.jobs.put(_STOP)

    # -- called from the store thread
    def settled(self, count: int) -> None:
        with self._lock:
            self.pending -= count

    # -- the thread
    def run(self) -> None:
        self.store.start()
        try:
            stopping = False
            while not stopping:
                items = [self.jobs.get()]
                while len(items) < self.max_batch:
                    try:
                        items.append(self.jobs.get_nowait())
                    except queue.Empty:
                        break
                if any(i is _STOP for i in items):
                    stopping = True
                    items = [i for i in items if i is not _STOP]
                if not items:
                    continue
                try:
                    batch = self._handle(items)
                except Exception:  # noqa: BLE001 — the thread must outlive any one batch
                    logger.exception("batch of %d frames could not be handled", len(items))
                    self.settled(len(items))
                    continue
                self.store.jobs.put(batch)
        finally:
            # Everything handed over is written before the worker counts as stopped.
            self.store.jobs.put(_STOP)
            self.store.join()
            connection.close()

    def _load_devices(self, mns: set[str]) -> None:
        self._devices.load(mns)

    def _device(self, mn: str) -> Device | None:
        return self._devices.get(mn)

    def _parse(self, frame: bytes) -> tuple[hj212.Packet | None, Device | None, hj212.ProtocolError | None]:
        return intake.parse_frame(frame, self._device)

    def _handle(self, items: list) -> _Batch:
        frames = [i for i in items if isinstance(i, _Frame)]
        self._load_devices({sniff_mn(f.frame) for f in frames})
        accepted: list[tuple[_Frame, services.Incoming, bytes | None]] = []
        logs: list[dict[str, Any]] = []
        raws: list[dict[str, Any]] = []
        quiet = self.store.quiet
        for item in items:
            quiet.wait()
            if isinstance(item, _Defect):
                self._refuse(logs, raws, item.peer, item.received_at, b"", "", IngestLog.Reason.MALFORMED, str(item.error), None,
                             RawFrame.Outcome.MALFORMED)
                continue
            try:
                packet, device, error = self._parse(item.frame)
                if packet is None:
                    self._refuse(logs, raws, item.peer, item.received_at, item.frame, sniff_mn(item.frame), intake.refusal_reason(error),
                                 str(error), device, RawFrame.Outcome.MALFORMED)
                    continue
                try:
                    services.check_sender(device, packet.mn, packet.pw)
                except services.Rejected as rej:
                    self.stats["rejected"] += 1
                    self._refuse(logs, raws, item.peer, item.received_at, item.frame, packet.mn, rej.reason, rej.message, device,
                                 RawFrame.Outcome.REJECTED)
                    continue
                reply = hj212.data_reply(packet) if packet.reply_wanted and packet.qn else None
                text = item.frame[:-2].decode("ascii")  # a parsed frame is printable ASCII
                if packet.deviations:
                    logs.extend(self.deviations.note(packet, device, at=item.received_at, channel="hj212", peer=item.peer, raw=text))
            except Exception as exc:  # noqa: BLE001 — one frame's surprise must not drop the batch
                logger.exception("frame from %s could not be checked", item.peer)
                self._refuse(logs, raws, item.peer, item.received_at, item.frame, sniff_mn(item.frame), IngestLog.Reason.MALFORMED,
                             f"无法处理：{type(exc).__name__}: {exc}"[:255], None, RawFrame.Outcome.MALFORMED)
                continue
            accepted.append((item, services.Incoming(device, packet, item.received_at, raw=text, peer=item.peer), reply))
        prepared = services.prepare_packets([inc for _, inc, _ in accepted], keep_raw=self.keep_raw) if accepted else None
        if prepared is not None and prepared.refused_factors:
            # Stored packets with a factor left out (a code longer than the column): logged per field.
            for entry in services.factor_refusals(prepared, [inc for _, inc, _ in accepted]):
                self._log_refusal(entry["mn"], entry["peer"], entry["reason"], entry["detail"])
                logs.append(entry)
        if prepared is not None and prepared.refused:
            # Packets refused while preparing (an absurd data time, …): logged, not stored, no reply.
            dropped = set()
            for index, reason, message in prepared.refused:
                item, inc, _ = accepted[index]
                dropped.add(index)
                self.stats["rejected"] += 1
                outcome = RawFrame.Outcome.MALFORMED if reason == IngestLog.Reason.MALFORMED else RawFrame.Outcome.REJECTED
                self._refuse(logs, raws, item.peer, item.received_at, item.frame, inc.device.mn, reason, message, inc.device, outcome)
            accepted = [a for i, a in enumerate(accepted) if i not in dropped]
            if not accepted:
                prepared = None
        return _Batch(len(items), accepted, prepared, logs, raws)

    # Refusals also go to the log (journal), at most one line per MN (or peer address) per
    # LOG_EVERY seconds; the next line says how many were left out meanwhile.
    LOG_EVERY = 60.0
    _LOG_KEYS = 10_000

    def _log_refusal(self, mn: str, peer: str, reason: str, detail: str) -> None:
        key = mn or peer.rsplit(":", 1)[0]
        now = time.monotonic()
        last = self._logged.get(key)
        if last is not None and now - last[0] < self.LOG_EVERY:
            last[1] += 1
            return
        suppressed = last[1] if last is not None else 0
        if len(self._logged) >= self._LOG_KEYS:  # many distinct senders: forget the oldest half
            for k in list(self._logged)[: self._LOG_KEYS // 2]:
                del self._logged[k]
        self._logged[key] = [now, 0]
        logger.warning("refused frame from %s (MN %s): %s — %s%s", peer, mn or "?", reason, detail,
                       f" ({suppressed} more from this sender in the last {self.LOG_EVERY:.0f} s not logged)" if suppressed else "")

    def _refuse(self, logs, raws, peer, at, frame: bytes, mn: str, reason: str, detail: str, device, outcome) -> None:
        self._log_refusal(mn, peer, reason, detail)
        text = printable(frame[:-2] if frame.endswith(b"\r\n") else frame)
        if outcome == RawFrame.Outcome.MALFORMED:
            self.stats["malformed"] += 1
        logs.append({"at": at, "channel": "hj212", "peer": peer, "mn": mn, "reason": reason, "detail": detail, "frame": text})
        if self.keep_raw:
            raws.append({"received_at": at, "device_id": device.pk if device else None, "mn": mn, "channel": "hj212",
                         "peer": peer, "frame": text or f"({detail})", "outcome": outcome})


class WriterLock:
    """Serialises the write transactions of several receiver processes on one SQLite file.

    SQLite lets one writer in at a time; a second one polls with growing sleeps (its busy
    handler), which leaves the database idle between writes. A blocking file lock hands the
    turn over as soon as it is free. PostgreSQL takes concurrent inserts and needs none.
    """

    def __init__(self) -> None:
        self._file = None
        name = str(connection.settings_dict.get("NAME") or "")
        if connection.vendor == "sqlite" and name and ":memory:" not in name and "mode=memory" not in name:
            self._file = open(f"{name}-ingest.lock", "a+b")  # noqa: SIM115 — held for the thread's life

    def __enter__(self) -> None:
        if self._file is not None:
            fcntl.flock(self._file, fcntl.LOCK_EX)

    def __exit__(self, *exc_info) -> None:
        if self._file is not None:
            fcntl.flock(self._file, fcntl.LOCK_UN)

    def close(self) -> None:
        if self._file is not None:
            self._file.close()
            self._file = None


class StoreWorker(threading.Thread):
    """Writes the ingest thread's batches and hands the replies back to the event loop.

    Batches that queued up while one was being written go in together, in one transaction.
    With ``pause_parsing`` (a receiver among several) this process's parsing waits while it
    holds the shared write lock: the write then has the interpreter lock to itself and the
    turn passes sooner, while the other receivers parse (measured: +6 % stored; alone, a
    receiver does better parsing beside its writes).
    Writes that fail because the database is away are retried with backoff and the batch is
    kept (devices meanwhile get no replies and resend); a batch that fails for its content
    is stored packet by packet so one bad packet cannot hold back the others.
    """

    def __init__(self, ingest: IngestWorker, deliver: Callable[[list[tuple[Any, bytes]]], None], *,
                 pause_parsing: bool = False) -> None:
        super().__init__(name="hj212-store", daemon=True)
        self.ingest = ingest
        self.deliver = deliver
        self.stats = ingest.stats
        self.jobs: queue.SimpleQueue = queue.SimpleQueue()
        # Set while parsing may go on; see ``pause_parsing``.
        self.quiet = threading.Event()
        self.quiet.set()
        self.pause_parsing = pause_parsing

    def run(self) -> None:
        self.lock = WriterLock()
        try:
            stopping = False
            while not stopping:
                batches = [self.jobs.get()]
                while True:
                    try:
                        batches.append(self.jobs.get_nowait())
                    except queue.Empty:
                        break
                if any(b is _STOP for b in batches):
                    stopping = True
                    batches = [b for b in batches if b is not _STOP]
                if not batches:
                    continue
                try:
                    self._write(batches)
                except Exception:  # noqa: BLE001 — the thread must outlive any one batch
                    logger.exception("batch of %d frames could not be stored", sum(b.size for b in batches))
                finally:
                    self.ingest.settled(sum(b.size for b in batches))
        finally:
            self.lock.close()
            connection.close()

    def _write(self, batches: list[_Batch]) -> None:
        accepted = [a for b in batches for a in b.accepted]
        prepared = None
        for b in batches:
            if b.prepared is None:
                continue
            if prepared is None:
                prepared = b.prepared
            else:
                prepared.merge(b.prepared)
        stored = self._store(accepted, prepared)
        logs = [entry for b in batches for entry in b.logs]
        raws = [entry for b in batches for entry in b.raws]
        if logs or raws:
            self._write_refusals(logs, raws)
        replies = [(item.writer, reply) for (item, _, reply), ok in zip(accepted, stored) if ok and reply is not None]
        if replies:
            self.deliver(replies)

    def _store(self, accepted, prepared) -> list[bool]:
        if not accepted:
            return []
        entries = [inc for _, inc, _ in accepted]
        started = time.monotonic()
        try:
            with self.lock:
                writing = time.monotonic()
                if self.pause_parsing:
                    self.quiet.clear()
                try:
                    services.retrying(lambda: services.write_packets(prepared), stats=self.stats, log=logger)
                finally:
                    self.quiet.set()
            # Time spent waiting for another receiver process's write, and writing.
            self.stats["lock_wait_ms"] += int((writing - started) * 1000)
            self.stats["write_ms"] += int((time.monotonic() - writing) * 1000)
            ok = [True] * len(entries)
        except DatabaseError:
            logger.exception("batch of %d packets failed; storing them one by one", len(entries))
            ok = [self._store_one(inc) for inc in entries]
        elapsed = time.monotonic() - started
        done = [inc for inc, good in zip(entries, ok) if good]
        self.stats["packets"] += len(done)
        self.stats["values"] += sum(len(inc.packet.factors) for inc in done if inc.packet.cn in services.DATA_CNS)
        self.stats["batches"] += 1
        self.stats["max_batch"] = max(self.stats["max_batch"], len(entries))
        if elapsed > 1.0:
            logger.warning("slow write: %d packets in %.1f s", len(entries), elapsed)
        return ok

    def _store_one(self, inc: services.Incoming) -> bool:
        try:
            services.retrying(lambda: services.store_packets([inc], keep_raw=self.ingest.keep_raw), stats=self.stats, log=logger)
            return True
        except DatabaseError as exc:
            self.stats["store_failed"] += 1
            self._write_refusals([{"at": inc.received_at, "channel": inc.channel, "peer": inc.peer, "mn": inc.device.mn,
                                   "reason": IngestLog.Reason.MALFORMED, "detail": f"无法入库：{exc}"[:255], "frame": inc.raw}], [])
            return False

    def _write_refusals(self, logs, raws) -> None:
        def write():
            with transaction.atomic():
                if logs:
                    services.record_rejections(logs)
                if raws:
                    services.record_raw_frames(raws)

        try:
            services.retrying(write, stats=self.stats, log=logger)
        except DatabaseError:
            logger.exception("could not log %d refused frames", len(logs))


class HookWorker(threading.Thread):
    """Runs other apps' on_readings_stored callbacks (e.g. water's evaluation) off the write path."""

    def __init__(self) -> None:
        super().__init__(name="hj212-hooks", daemon=True)
        self.jobs: queue.SimpleQueue = queue.SimpleQueue()

    def run(self) -> None:
        try:
            while True:
                job = self.jobs.get()
                if job is _STOP:
                    return
                try:
                    job()
                except Exception:  # noqa: BLE001 — a subscriber's failure is logged, ingestion goes on
                    logger.exception("readings hook failed")
                    connection.close()  # in case the failure left it unusable
        finally:
            connection.close()

    def stop(self) -> None:
        self.jobs.put(_STOP)


# ---------------------------------------------------------------- the server


@dataclass
class ServerOptions:
    host: str = "127.0.0.1"
    port: int = 9212
    max_batch: int = 5000
    keep_raw: bool = True
    # Known devices are kept until a device service bumps the monitoring.devices stamp (checked
    # every second), and at most this many seconds; unknown MNs are never cached.
    cache_seconds: float = 300.0
    # Stop reading from connections while this many frames wait for the ingest thread.
    high_water: int = 50_000
    idle_timeout: float = 600.0
    run_hooks: bool = True
    # Set in a worker of `hj212-server --workers N`: connections arrive as file descriptors
    # over this Unix socket from the supervisor, which listens and balances them
    # (hj212_workers); the worker listens on nothing itself.
    handoff_fd: int | None = None


class HJ212Server:
    def __init__(self, options: ServerOptions | None = None) -> None:
        self.options = options or ServerOptions()
        self.worker = IngestWorker(self._deliver_threadsafe, max_batch=self.options.max_batch,
                                   keep_raw=self.options.keep_raw, cache_seconds=self.options.cache_seconds,
                                   pause_parsing_while_writing=self.options.handoff_fd is not None)
        self.hooks = HookWorker() if self.options.run_hooks else None
        self._server: asyncio.base_events.Server | None = None
        self._handoff: socket.socket | None = None
        self._handoff_closed: asyncio.Event | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._handlers: set[asyncio.Task] = set()
        self.connections = 0
        self.stats: Counter[str] = Counter()

    @property
    def db(self) -> IngestWorker:
        return self.worker

    @property
    def port(self) -> int:
        if self._server is None:
            return self.options.port
        return self._server.sockets[0].getsockname()[1]

    async def start(self) -> int:
        """Listen (or take the supervisor's connections), then start the threads; a port that
        cannot be had raises PortUnavailable before anything else has started."""
        self._loop = asyncio.get_running_loop()
        if self.options.handoff_fd is None:
            try:
                self._server = await asyncio.start_server(self._handle, self.options.host, self.options.port,
                                                          reuse_address=True, backlog=1024)
            except OSError as exc:
                raise PortUnavailable(f"{self.options.host}:{self.options.port}") from exc
        # Connections accepted meanwhile only queue frames for the ingest thread started here.
        self.worker.start()
        if self.hooks is not None:
            self.hooks.start()
            hooks.set_dispatcher(self.hooks.jobs.put)
        if self.options.handoff_fd is not None:
            self._handoff = socket.socket(fileno=self.options.handoff_fd)
            self._handoff.setblocking(False)
            self._loop.add_reader(self._handoff.fileno(), self._adopt_handed_over)
            logger.info("HJ 212 worker taking connections from its supervisor")
            return self.port
        logger.info("HJ 212 server listening on %s:%d", self.options.host, self.port)
        return self.port

    async def serve_forever(self) -> None:
        if self._server is None:
            self._handoff_closed = asyncio.Event() if self._handoff_closed is None else self._handoff_closed
            await self._handoff_closed.wait()
            return
        async with self._server:
            await self._server.serve_forever()

    def _adopt_handed_over(self) -> None:
        """Take the connections the supervisor passed (SCM_RIGHTS) and serve them like accepted ones."""
        assert self._handoff is not None and self._loop is not None
        try:
            message, fds, _, _ = socket.recv_fds(self._handoff, 1024, 256)
        except (BlockingIOError, InterruptedError):
            return
        except OSError:
            message, fds = b"", []
        for fd in fds:
            sock = socket.socket(fileno=fd)
            sock.setblocking(False)
            task = self._loop.create_task(self._serve_handed_over(sock))
            self._handlers.add(task)
            task.add_done_callback(self._handlers.discard)
        if not message:  # the supervisor is gone: stop like on SIGTERM
            self._loop.remove_reader(self._handoff.fileno())
            if self._handoff_closed is None:
                self._handoff_closed = asyncio.Event()
            self._handoff_closed.set()

    async def _serve_handed_over(self, sock: socket.socket) -> None:
        try:
            reader, writer = await asyncio.open_connection(sock=sock, limit=2 ** 16)
        except OSError:
            sock.close()
            self._report_closed()
            return
        try:
            await self._handle(reader, writer)
        finally:
            self._report_closed()

    def _report_closed(self) -> None:
        # One byte per finished connection keeps the supervisor's least-connections count true.
        if self._handoff is not None:
            try:
                self._handoff.send(b"-")
            except OSError:
                pass

    async def stop(self, grace: float = 2.0) -> None:
        """Stop accepting; let open connections finish what they already sent (up to ``grace``
        seconds), then store everything queued and stop the threads."""
        if self._server is not None:
            self._server.close()
        if self._handoff is not None and self._loop is not None:
            self._loop.remove_reader(self._handoff.fileno())
        if self._handlers:
            _, still_open = await asyncio.wait(set(self._handlers), timeout=grace)
            for task in still_open:
                task.cancel()
            if still_open:
                await asyncio.wait(still_open, timeout=grace)
        self.worker.stop()
        await asyncio.get_running_loop().run_in_executor(None, self.worker.join)
        if self.hooks is not None:
            self.hooks.stop()
            await asyncio.get_running_loop().run_in_executor(None, self.hooks.join)
            hooks.set_dispatcher(None)

    def _deliver_threadsafe(self, replies: list[tuple[Any, bytes]]) -> None:
        assert self._loop is not None
        try:
            self._loop.call_soon_threadsafe(self._deliver, replies)
        except RuntimeError:  # loop already closed at shutdown: the devices will resend
            pass

    def _deliver(self, replies: list[tuple[Any, bytes]]) -> None:
        # One write per connection and batch: a device with several packets in the batch
        # gets its replies in one segment (one system call instead of one per reply).
        by_writer: dict[Any, list[bytes]] = {}
        for writer, reply in replies:
            by_writer.setdefault(writer, []).append(reply)
        for writer, chunks in by_writer.items():
            if not writer.is_closing():
                writer.write(b"".join(chunks))
                self.stats["replies"] += len(chunks)

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        peername = writer.get_extra_info("peername")
        peer = f"{peername[0]}:{peername[1]}" if isinstance(peername, tuple) else str(peername or "")
        framer = hj212.FrameReader()
        task = asyncio.current_task()
        if task is not None:
            self._handlers.add(task)
            task.add_done_callback(self._handlers.discard)
        self.connections += 1
        self.stats["connections"] += 1
        try:
            while True:
                try:
                    # asyncio.timeout, not wait_for: wait_for wraps every read in a new task.
                    async with asyncio.timeout(self.options.idle_timeout):
                        data = await reader.read(65536)
                except (asyncio.TimeoutError, ConnectionError):
                    break
                if not data:
                    break
                now = timezone.now()
                for item in framer.feed(data):
                    if isinstance(item, hj212.ProtocolError):
                        self.worker.submit(_Defect(item, peer, now))
                    else:
                        self.stats["frames"] += 1
                        self.worker.submit(_Frame(item, peer, now, writer))
                while self.worker.pending > self.options.high_water:
                    await asyncio.sleep(0.01)
            for err in framer.close():
                self.worker.submit(_Defect(err, peer, timezone.now()))
        finally:
            self.connections -= 1
            # Replies still owed for this connection's last packets go out before it closes.
            deadline = time.monotonic() + 5
            while self.worker.pending and time.monotonic() < deadline and not writer.is_closing():
                await asyncio.sleep(0.01)
            writer.close()
            try:
                await writer.wait_closed()
            except (ConnectionError, OSError):
                pass


def run(options: ServerOptions) -> None:
    """Serve until interrupted (the ``hj212-server`` command)."""
    import signal

    async def main() -> None:
        server = HJ212Server(options)
        await server.start()
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            try:
                loop.add_signal_handler(sig, stop.set)
            except (NotImplementedError, RuntimeError):
                pass  # no signal handlers off the main thread or on this platform: Ctrl-C still ends the process
        serving = asyncio.create_task(server.serve_forever())
        signalled = asyncio.create_task(stop.wait())
        # A worker under `--workers N` also stops when its supervisor goes (serving returns).
        await asyncio.wait({serving, signalled}, return_when=asyncio.FIRST_COMPLETED)
        serving.cancel()
        signalled.cancel()
        await server.stop()
        logger.info("HJ 212 server stopped: %s %s cpu_seconds=%.2f", dict(server.stats), dict(server.worker.stats), time.process_time())

    asyncio.run(main())


class ServerThread:
    """The server on its own event loop in a background thread (tests, benchmark, tools).

        with ServerThread(ServerOptions(port=0)) as server:
            ... connect to server.port ...
        # leaving the block stores everything received and stops
    """

    def __init__(self, options: ServerOptions | None = None) -> None:
        self.server = HJ212Server(options or ServerOptions(port=0))
        self.loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._run, name="hj212-loop", daemon=True)
        self._started = threading.Event()
        self._error: BaseException | None = None

    def _run(self) -> None:
        asyncio.set_event_loop(self.loop)
        try:
            self.loop.run_until_complete(self.server.start())
        except BaseException as exc:  # noqa: BLE001 — reported to the starting thread
            self._error = exc
            self._started.set()
            return
        self._started.set()
        self.loop.run_forever()

    def __enter__(self) -> HJ212Server:
        self._thread.start()
        self._started.wait(30)
        if self._error is not None:
            raise self._error
        return self.server

    def __exit__(self, *exc_info) -> None:
        asyncio.run_coroutine_threadsafe(self.server.stop(), self.loop).result(120)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self._thread.join(10)
        self.loop.close()
