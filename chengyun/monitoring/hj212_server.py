"""HJ 212 receiver: an asyncio TCP server for many device connections at once.

The event loop only reads, frames, parses and answers; every database access happens on
one database thread (``DatabaseWorker``) that takes whatever has queued up since its last
write and stores it in one transaction. A slow write therefore delays nobody's reading —
frames keep arriving and queue up — and the batch after a slow write is simply larger.

The 9014 reply is sent only after the packet's readings are committed: a device that gets
no reply resends, and the upsert on (device, CN, data time, factor) makes the resend
harmless. So a packet is either stored or resent, never lost.
"""
from __future__ import annotations

import asyncio
import logging
import queue
import re
import threading
import time
from collections import Counter
from concurrent.futures import Future
from dataclasses import dataclass, field
from typing import Any

from django.db import DatabaseError, InterfaceError, OperationalError, close_old_connections, connection
from django.utils import timezone

from chengyun.standards import hj212

from . import hooks, services
from .models import Device, IngestLog, RawFrame

logger = logging.getLogger("chengyun.monitoring.hj212")

_MN = re.compile(rb"(?:^|;)MN=([\x21-\x7e]{1,24}?)(?:;|$)")
_PW = re.compile(rb"(?:^|;)PW=([\x21-\x7e]{1,32}?)(?:;|$)")


def printable(frame: bytes) -> str:
    """Frame bytes as storable text: control and non-ASCII bytes as \\xNN (PostgreSQL text refuses NUL)."""
    return "".join(chr(b) if 0x20 <= b < 0x7F else f"\\x{b:02x}" for b in frame)


def sniff_mn(frame: bytes) -> str:
    match = _MN.search(frame)
    return match.group(1).decode("ascii") if match else ""


# ---------------------------------------------------------------- database thread


@dataclass
class _Lookup:
    mns: list[str]
    future: Future


@dataclass
class _Accepted:
    incoming: services.Incoming
    future: Future | None


@dataclass
class _Refused:
    log: dict[str, Any] | None
    raw: dict[str, Any] | None


_STOP = object()


class DatabaseWorker(threading.Thread):
    """Owns the server's database work: device lookups and batched writes.

    Lookups are served before each write so a device that connects during a long
    write waits at most one batch. Writes that fail because the database is away are
    retried with backoff and the batch is kept; a batch that fails for its content is
    split and stored packet by packet, so one bad packet cannot hold back the others.
    """

    def __init__(self, *, max_batch: int = 5000, keep_raw: bool = True) -> None:
        super().__init__(name="hj212-db", daemon=True)
        self.jobs: queue.SimpleQueue = queue.SimpleQueue()
        self.max_batch = max_batch
        self.keep_raw = keep_raw
        self.pending = 0  # accepted packets queued and not yet written (read by the loop for back-pressure)
        self.stats: Counter[str] = Counter()
        self._lock = threading.Lock()

    # -- called from the event loop
    def lookup(self, mns: list[str]) -> Future:
        fut: Future = Future()
        self.jobs.put(_Lookup(mns, fut))
        return fut

    def accept(self, incoming: services.Incoming, want_result: bool) -> Future | None:
        fut: Future | None = Future() if want_result else None
        with self._lock:
            self.pending += 1
        self.jobs.put(_Accepted(incoming, fut))
        return fut

    def refuse(self, log: dict[str, Any] | None, raw: dict[str, Any] | None) -> None:
        self.jobs.put(_Refused(log, raw))

    def stop(self) -> None:
        self.jobs.put(_STOP)

    # -- the thread
    def run(self) -> None:
        try:
            stopping = False
            while not stopping:
                first = self.jobs.get()
                items = [first]
                while len(items) < self.max_batch:
                    try:
                        items.append(self.jobs.get_nowait())
                    except queue.Empty:
                        break
                if any(i is _STOP for i in items):
                    stopping = True
                    items = [i for i in items if i is not _STOP]
                    # Write everything that came before the stop.
                    while True:
                        try:
                            items.append(self.jobs.get_nowait())
                        except queue.Empty:
                            break
                    items = [i for i in items if i is not _STOP]
                self._serve(items)
        finally:
            connection.close()

    def _serve(self, items: list) -> None:
        close_old_connections()
        lookups = [i for i in items if isinstance(i, _Lookup)]
        accepted = [i for i in items if isinstance(i, _Accepted)]
        refused = [i for i in items if isinstance(i, _Refused)]
        if lookups:
            self._lookups(lookups)
        if accepted:
            self._write(accepted)
        if refused:
            self._write_refusals(refused)

    def _lookups(self, lookups: list[_Lookup]) -> None:
        wanted = sorted({mn for job in lookups for mn in job.mns})
        try:
            found = {d.mn: d for d in self._retrying(lambda: list(Device.objects.filter(mn__in=wanted)))}
        except Exception as exc:  # noqa: BLE001 — handed to the waiting connection
            for job in lookups:
                job.future.set_exception(exc)
            return
        for job in lookups:
            job.future.set_result({mn: found.get(mn) for mn in job.mns})

    def _retrying(self, fn):
        delay = 0.5
        while True:
            try:
                return fn()
            except (OperationalError, InterfaceError) as exc:
                # Database away or locked: keep the work and try again; devices wait for replies meanwhile.
                logger.warning("database unavailable (%s); retrying in %.1f s", exc, delay)
                self.stats["db_retries"] += 1
                connection.close()
                time.sleep(delay)
                delay = min(delay * 2, 30.0)

    def _write(self, accepted: list[_Accepted]) -> None:
        entries = [a.incoming for a in accepted]
        started = time.monotonic()
        try:
            self._retrying(lambda: services.store_packets(entries, keep_raw=self.keep_raw))
            results = [(a, None) for a in accepted]
        except DatabaseError:
            logger.exception("batch of %d packets failed; storing them one by one", len(entries))
            results = [(a, self._write_one(a)) for a in accepted]
        elapsed = time.monotonic() - started
        with self._lock:
            self.pending -= len(accepted)
        stored = [a for a, err in results if err is None]
        self.stats["packets"] += len(stored)
        self.stats["values"] += sum(len(a.incoming.packet.factors) for a in stored if a.incoming.packet.cn in services.DATA_CNS)
        self.stats["batches"] += 1
        self.stats["max_batch"] = max(self.stats["max_batch"], len(accepted))
        if elapsed > 1.0:
            logger.warning("slow write: %d packets in %.1f s", len(accepted), elapsed)
        for a, err in results:
            if a.future is not None:
                if err is None:
                    a.future.set_result(True)
                else:
                    a.future.set_exception(err)

    def _write_one(self, a: _Accepted) -> Exception | None:
        try:
            self._retrying(lambda: services.store_packets([a.incoming], keep_raw=self.keep_raw))
            return None
        except DatabaseError as exc:
            self.stats["store_failed"] += 1
            inc = a.incoming
            services.record_rejections([{"at": inc.received_at, "channel": inc.channel, "peer": inc.peer, "mn": inc.device.mn,
                                         "reason": IngestLog.Reason.MALFORMED, "detail": f"无法入库：{exc}"[:255],
                                         "frame": inc.raw}])
            return exc

    def _write_refusals(self, refused: list[_Refused]) -> None:
        logs = [r.log for r in refused if r.log]
        raws = [r.raw for r in refused if r.raw and self.keep_raw]

        def write():
            from django.db import transaction

            with transaction.atomic():
                if logs:
                    services.record_rejections(logs)
                if raws:
                    services.record_raw_frames(raws)

        try:
            self._retrying(write)
        except DatabaseError:
            logger.exception("could not log %d refused frames", len(refused))
        self.stats["refused"] += len(refused)


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
                close_old_connections()
                job()
        finally:
            connection.close()

    def stop(self) -> None:
        self.jobs.put(_STOP)


# ---------------------------------------------------------------- the server


@dataclass
class _CachedDevice:
    device: Device | None
    loaded_at: float


@dataclass
class ServerOptions:
    host: str = "127.0.0.1"
    port: int = 9212
    max_batch: int = 5000
    keep_raw: bool = True
    # Devices are looked up again after this many seconds, so password changes and
    # deactivation take effect without a restart; unknown MNs are retried as often.
    cache_seconds: float = 30.0
    # Stop reading from connections while this many accepted packets wait for the database.
    high_water: int = 50_000
    idle_timeout: float = 600.0
    run_hooks: bool = True
    extra: dict[str, Any] = field(default_factory=dict)


class HJ212Server:
    def __init__(self, options: ServerOptions | None = None) -> None:
        self.options = options or ServerOptions()
        self.db = DatabaseWorker(max_batch=self.options.max_batch, keep_raw=self.options.keep_raw)
        self.hooks = HookWorker() if self.options.run_hooks else None
        self._devices: dict[str, _CachedDevice] = {}
        self._server: asyncio.base_events.Server | None = None
        self.connections = 0
        self.stats: Counter[str] = Counter()
        self._handlers: set[asyncio.Task] = set()

    @property
    def port(self) -> int:
        assert self._server is not None
        return self._server.sockets[0].getsockname()[1]

    async def start(self) -> int:
        self.db.start()
        if self.hooks is not None:
            self.hooks.start()
            hooks.set_dispatcher(self.hooks.jobs.put)
        self._server = await asyncio.start_server(self._handle, self.options.host, self.options.port,
                                                  reuse_address=True, backlog=1024)
        logger.info("HJ 212 server listening on %s:%d", self.options.host, self.port)
        return self.port

    async def serve_forever(self) -> None:
        assert self._server is not None
        async with self._server:
            await self._server.serve_forever()

    async def stop(self, grace: float = 2.0) -> None:
        """Stop accepting; let open connections finish what they already sent (up to ``grace``
        seconds), then write everything queued and stop the threads."""
        if self._server is not None:
            self._server.close()
        if self._handlers:
            _, still_open = await asyncio.wait(set(self._handlers), timeout=grace)
            for task in still_open:
                task.cancel()
            if still_open:
                await asyncio.wait(still_open, timeout=grace)
        self.db.stop()
        await asyncio.get_running_loop().run_in_executor(None, self.db.join)
        if self.hooks is not None:
            self.hooks.stop()
            await asyncio.get_running_loop().run_in_executor(None, self.hooks.join)
            hooks.set_dispatcher(None)

    # -- devices
    async def _device(self, mn: str) -> Device | None:
        cached = self._devices.get(mn)
        now = time.monotonic()
        if cached is not None and now - cached.loaded_at < self.options.cache_seconds:
            return cached.device
        found = await asyncio.wrap_future(self.db.lookup([mn]))
        self._devices[mn] = _CachedDevice(found[mn], time.monotonic())
        return found[mn]

    # -- connections
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
                    data = await asyncio.wait_for(reader.read(65536), self.options.idle_timeout)
                except (asyncio.TimeoutError, ConnectionError):
                    break
                if not data:
                    break
                for item in framer.feed(data):
                    if isinstance(item, hj212.ProtocolError):
                        self._malformed(peer, b"", item)
                    else:
                        await self._frame(item, peer, writer)
                while self.db.pending > self.options.high_water:
                    await asyncio.sleep(0.01)
            for err in framer.close():
                self._malformed(peer, b"", err)
        finally:
            self.connections -= 1
            writer.close()
            try:
                await writer.wait_closed()
            except (ConnectionError, OSError):
                pass

    async def _frame(self, frame: bytes, peer: str, writer: asyncio.StreamWriter) -> None:
        received_at = timezone.now()
        self.stats["frames"] += 1
        try:
            packet = hj212.parse(frame)
            device = await self._device(packet.mn)
        except hj212.ProtocolError as exc:
            packet, device = await self._parse_tolerant(frame, exc)
            if packet is None:
                self._malformed(peer, frame, exc, device)
                return
        except Exception as exc:  # noqa: BLE001 — a database hiccup on lookup: refuse this frame, keep the connection
            logger.warning("device lookup failed: %s", exc)
            return
        try:
            services.check_sender(device, packet.mn, packet.pw)
        except services.Rejected as rej:
            self.stats["rejected"] += 1
            text = printable(frame.rstrip(b"\r\n"))
            self.db.refuse(
                {"at": received_at, "channel": "hj212", "peer": peer, "mn": packet.mn, "reason": rej.reason,
                 "detail": rej.message, "frame": text},
                {"received_at": received_at, "device_id": device.pk if device else None, "mn": packet.mn, "channel": "hj212",
                 "peer": peer, "frame": text, "outcome": RawFrame.Outcome.REJECTED},
            )
            return
        incoming = services.Incoming(device, packet, received_at, raw=printable(frame.rstrip(b"\r\n")), peer=peer)
        stored = self.db.accept(incoming, want_result=packet.reply_wanted)
        self.stats["accepted"] += 1
        if stored is not None:
            reply = hj212.data_reply(packet) if packet.qn else None
            if reply is not None:
                asyncio.wrap_future(stored).add_done_callback(lambda f: self._reply(f, writer, reply))

    def _reply(self, stored: asyncio.Future, writer: asyncio.StreamWriter, reply: bytes) -> None:
        if stored.cancelled() or stored.exception() is not None or writer.is_closing():
            return
        writer.write(reply)
        self.stats["replies"] += 1

    async def _parse_tolerant(self, frame: bytes, error: hj212.ProtocolError) -> tuple[hj212.Packet | None, Device | None]:
        """A frame the strict parser refused may still be good for a device with a tolerant mode."""
        mn = sniff_mn(frame)
        if not mn:
            return None, None
        try:
            device = await self._device(mn)
        except Exception:  # noqa: BLE001
            return None, None
        if device is None or error.reason != "bad_crc":
            return None, device
        if not (device.tolerate_lowercase_crc or device.tolerate_swapped_modbus_crc):
            return None, device
        try:
            packet = hj212.parse(frame, tolerate_lowercase_crc=device.tolerate_lowercase_crc,
                                 tolerate_swapped_modbus_crc=device.tolerate_swapped_modbus_crc)
        except hj212.ProtocolError:
            return None, device
        return (packet, device) if packet.mn == mn else (None, device)

    def _malformed(self, peer: str, frame: bytes, error: hj212.ProtocolError, device: Device | None = None) -> None:
        self.stats["malformed"] += 1
        now = timezone.now()
        text = printable(frame.rstrip(b"\r\n")) if frame else ""
        mn = sniff_mn(frame) if frame else ""
        self.db.refuse(
            {"at": now, "channel": "hj212", "peer": peer, "mn": mn, "reason": IngestLog.Reason.MALFORMED,
             "detail": str(error), "frame": text},
            {"received_at": now, "device_id": device.pk if device else None, "mn": mn, "channel": "hj212", "peer": peer,
             "frame": text or f"({error})", "outcome": RawFrame.Outcome.MALFORMED},
        )


def run(options: ServerOptions) -> None:
    """Serve until interrupted (the ``hj212-server`` command)."""

    async def main() -> None:
        server = HJ212Server(options)
        await server.start()
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        import signal

        for sig in (signal.SIGINT, signal.SIGTERM):
            try:
                loop.add_signal_handler(sig, stop.set)
            except (NotImplementedError, RuntimeError):
                pass
        serving = asyncio.create_task(server.serve_forever())
        await stop.wait()
        serving.cancel()
        await server.stop()
        logger.info("HJ 212 server stopped: %s", dict(server.db.stats))

    asyncio.run(main())


class ServerThread:
    """The server on its own event loop in a background thread (tests, benchmark, demo tools).

        with ServerThread(ServerOptions(port=0)) as server:
            ... connect to server.port ...
        # leaving the block writes everything queued and stops
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
