"""The HJ 212 TCP server on loopback with many concurrent simulated devices."""
from __future__ import annotations

import asyncio
import os
import time
from datetime import datetime, timedelta

import pytest

from chengyun.monitoring import hooks, services
from chengyun.monitoring.hj212_server import ServerOptions, ServerThread
from chengyun.monitoring.models import Device, IngestLog, RawFrame, Reading
from chengyun.standards import hj212
from support import wait_until

pytestmark = pytest.mark.django_db(transaction=True)

CODES = ["w01001", "w01009", "w01019", "w21003", "w21011", "w01018", "w01010", "w01014"]
T0 = datetime(2026, 11, 25, 0, 0, 0)


def frame(mn, pw="pw123456", i=0, cn="2011", flag=5, codes=CODES, **build):
    return hj212.build(st="21", cn=cn, pw=pw, mn=mn, flag=flag, qn=f"20261125000000{i % 1000:03d}",
                       data_time=T0 + timedelta(minutes=i), factors={c: {"Rtd": 7.0 + k / 10 + i / 1000, "Flag": "N"} for k, c in enumerate(codes)},
                       **build)


def register(n, prefix="DEV"):
    return [services.create_device(None, mn=f"{prefix}{k:04d}", password="pw123456", st="21", name=f"站{k}",
                                   factors=CODES) for k in range(n)]


async def send(port, frames, *, expect_replies=0, chunk=None, timeout=30):
    """One device connection: send frames (optionally in small chunks), collect the replies."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    data = b"".join(frames)
    if chunk:
        for start in range(0, len(data), chunk):
            writer.write(data[start:start + chunk])
            await writer.drain()
    else:
        writer.write(data)
        await writer.drain()
    replies = []
    framer = hj212.FrameReader()
    deadline = time.monotonic() + timeout
    while len(replies) < expect_replies and time.monotonic() < deadline:
        got = await asyncio.wait_for(reader.read(4096), timeout)
        if not got:
            break
        replies.extend(hj212.parse(f) for f in framer.feed(got) if isinstance(f, bytes))
    writer.close()
    await writer.wait_closed()
    return replies


def test_many_concurrent_devices_nothing_lost_and_every_reply_sent():
    devices = register(60)
    per_device = 20

    async def main(port):
        jobs = [send(port, [frame(d.mn, i=i) for i in range(per_device)], expect_replies=per_device, chunk=97 if k % 3 == 0 else None)
                for k, d in enumerate(devices)]
        return await asyncio.gather(*jobs)

    with ServerThread(ServerOptions(port=0)) as server:
        results = asyncio.run(main(server.port))
    assert Reading.objects.count() == len(devices) * per_device * len(CODES)
    for d, replies in zip(devices, results):
        assert len(replies) == per_device
        assert {(r.cn, r.mn, r.flag) for r in replies} == {("9014", d.mn, 4)}
        assert sorted(r.qn for r in replies) == sorted(f"20261125000000{i:03d}" for i in range(per_device))
    assert RawFrame.objects.filter(outcome="stored").count() == len(devices) * per_device
    assert server.db.stats["packets"] == len(devices) * per_device
    assert not IngestLog.objects.exists()
    assert Device.objects.filter(last_seen_at__isnull=True).count() == 0


def test_reply_bytes_are_exactly_data_reply():
    [d] = register(1)
    sent = frame(d.mn, i=7)

    async def main(port):
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(sent)
        await writer.drain()
        data = await asyncio.wait_for(reader.readuntil(b"\r\n"), 10)
        writer.close()
        return data

    with ServerThread(ServerOptions(port=0)) as server:
        got = asyncio.run(main(server.port))
    assert got == hj212.data_reply(hj212.parse(sent))


def test_no_reply_when_flag_does_not_ask_and_resends_are_idempotent():
    [d] = register(1)

    async def main(port):
        await send(port, [frame(d.mn, i=1, flag=4)] * 3)
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(frame(d.mn, i=2, flag=4))
        await writer.drain()
        with pytest.raises(asyncio.TimeoutError):
            await asyncio.wait_for(reader.read(100), 0.5)
        writer.close()

    with ServerThread(ServerOptions(port=0)) as server:
        asyncio.run(main(server.port))
        assert wait_until(lambda: server.stats["frames"] == 4)
    assert Reading.objects.count() == 2 * len(CODES)


def test_unknown_mn_wrong_password_and_malformed_are_logged_and_the_connection_kept():
    [d] = register(1)
    good = frame(d.mn, i=1)
    bad_crc = good[:-6] + b"0000\r\n"
    frames = [
        frame("UNKNOWN01", i=1),
        frame(d.mn, pw="wrongpw1", i=2),
        bad_crc,
        b"garbage without a frame",
        good,
    ]

    async def main(port):
        return await send(port, frames, expect_replies=1)

    with ServerThread(ServerOptions(port=0)) as server:
        replies = asyncio.run(main(server.port))
    assert [r.qn for r in replies] == ["20261125000000001"]  # the good frame after all the bad ones was served
    assert Reading.objects.count() == len(CODES)
    logs = {(log.reason, log.mn) for log in IngestLog.objects.all()}
    assert ("unknown_mn", "UNKNOWN01") in logs
    assert ("wrong_pw", d.mn) in logs
    assert ("malformed", d.mn) in logs  # bad CRC: MN read from the frame for the operator
    assert any(reason == "malformed" and "bad_header" in log for reason, log in IngestLog.objects.values_list("reason", "detail"))
    assert IngestLog.objects.filter(reason="malformed", detail__startswith="bad_crc").exists()
    assert RawFrame.objects.filter(outcome="rejected").count() == 2
    assert RawFrame.objects.filter(outcome="malformed").count() == 2


def test_inactive_device_is_refused():
    [d] = register(1)
    services.update_device(None, d, active=False)
    with ServerThread(ServerOptions(port=0)) as server:
        asyncio.run(send(server.port, [frame(d.mn, i=1)]))
        assert wait_until(lambda: server.worker.stats["rejected"] == 1)
    assert not Reading.objects.exists()
    assert IngestLog.objects.get().reason == "inactive"


def _lowercase_crc(frame_bytes):
    return frame_bytes[:-6] + frame_bytes[-6:-2].lower() + b"\r\n"


def _modbus_crc(frame_bytes):
    segment = frame_bytes[6:-6]
    crc = hj212.crc16_modbus(segment)
    swapped = ((crc & 0xFF) << 8) | (crc >> 8)
    return frame_bytes[:-6] + b"%04X\r\n" % swapped


def _with_milliseconds(frame_bytes):
    """The same packet with its DataTime written YYYYMMDDhhmmsszzz, as some vendors send it."""
    segment = frame_bytes[6:-6]
    at = segment.index(b"DataTime=") + len(b"DataTime=") + 14
    segment = segment[:at] + b"000" + segment[at:]
    return b"##%04d%s%04X\r\n" % (len(segment), segment, hj212.crc16(segment))


def _crc_frames(plain, lower, modbus, i):
    return {
        plain.mn: [_lowercase_crc(frame(plain.mn, i=i)), _modbus_crc(frame(plain.mn, i=i + 1)), _with_milliseconds(frame(plain.mn, i=i + 2))],
        lower.mn: [_lowercase_crc(frame(lower.mn, i=i)), _modbus_crc(frame(lower.mn, i=i + 1))],
        modbus.mn: [_modbus_crc(frame(modbus.mn, i=i + 1))],
    }


def _send_all(frames):
    async def main(port):
        await asyncio.gather(*(send(port, fs) for fs in frames.values()))

    with ServerThread(ServerOptions(port=0)) as server:
        asyncio.run(main(server.port))
        total = sum(len(fs) for fs in frames.values())
        assert wait_until(lambda: server.stats["frames"] == total)
    return server


def _three_devices():
    plain, lower, modbus = register(3)
    services.update_device(None, lower, tolerate_lowercase_crc=True)
    services.update_device(None, modbus, tolerate_swapped_modbus_crc=True)
    # A frame whose CRC has hex letters, so lower-casing changes it.
    i = next(i for i in range(100) if all(any(c in b"ABCDEF" for c in frame(d.mn, i=i)[-6:-2]) for d in (plain, lower)))
    return plain, lower, modbus, i


def test_deviations_that_lose_no_meaning_are_accepted_from_any_device_and_recorded():
    plain, lower, modbus, i = _three_devices()
    server = _send_all(_crc_frames(plain, lower, modbus, i))
    count = {mn: set(Reading.objects.filter(device__mn=mn).values_list("data_time", flat=True)) for mn in (plain.mn, lower.mn, modbus.mn)}
    # A device nobody configured: its lower-case CRC and its DataTime with milliseconds are stored
    # (the time truncated to the second), its byte-swapped MODBUS CRC is not (configured devices only).
    assert count[plain.mn] == {services.china_time(T0 + timedelta(minutes=i)), services.china_time(T0 + timedelta(minutes=i + 2))}
    assert len(count[lower.mn]) == 1 and len(count[modbus.mn]) == 1
    assert IngestLog.objects.filter(mn=plain.mn, reason="malformed").count() == 1
    assert IngestLog.objects.filter(mn=lower.mn, reason="malformed").count() == 1  # its Modbus frame is still refused
    # Each accepted deviation is counted and recorded (once per device and kind within the hour).
    recorded = sorted(IngestLog.objects.filter(reason="deviation").values_list("mn", "detail"))
    assert [mn for mn, _ in recorded] == sorted([plain.mn, plain.mn, lower.mn, modbus.mn])
    assert any("小写" in d for mn, d in recorded if mn == plain.mn) and any("毫秒" in d for mn, d in recorded if mn == plain.mn)
    assert "MODBUS" in dict((mn, d) for mn, d in recorded)[modbus.mn]
    stats = server.db.stats
    assert (stats["deviation_lowercase_crc"], stats["deviation_time_milliseconds"], stats["deviation_swapped_modbus_crc"]) == (2, 1, 1)


def test_strict_setting_refuses_them_unless_the_device_is_configured(settings):
    settings.HJ212_STRICT = True
    plain, lower, modbus, i = _three_devices()
    _send_all(_crc_frames(plain, lower, modbus, i))
    count = {mn: Reading.objects.filter(device__mn=mn).count() for mn in (plain.mn, lower.mn, modbus.mn)}
    assert count == {plain.mn: 0, lower.mn: len(CODES), modbus.mn: len(CODES)}
    assert IngestLog.objects.filter(mn=plain.mn, reason="malformed").count() == 2
    refused_time = IngestLog.objects.get(mn=plain.mn, reason="bad_time")
    assert "milliseconds" in refused_time.detail and "DataTime" in refused_time.detail
    assert RawFrame.objects.filter(mn=plain.mn, outcome="malformed").count() == 3
    assert IngestLog.objects.filter(mn=lower.mn, reason="malformed").count() == 1


def test_a_deviation_is_recorded_once_an_hour_per_device_and_kind():
    import logging
    from collections import Counter

    from chengyun.monitoring import intake

    class Clock:
        now = 0.0

    device = register(1)[0]
    log = intake.DeviationLog(logging.getLogger("test"), Counter(), clock=lambda: Clock.now)
    packet = hj212.Packet(st="21", cn="2011", pw="pw123456", mn=device.mn, deviations=["lowercase_crc"])
    first = log.note(packet, device, at=None, channel="hj212", peer="p", raw="r")
    assert [e["reason"] for e in first] == ["deviation"]
    Clock.now = 3599
    assert log.note(packet, device, at=None, channel="hj212", peer="p", raw="r") == []
    assert log.note(packet, device, at=None, channel="hj212", peer="p", raw="r") == []
    Clock.now = 3601
    later = log.note(packet, device, at=None, channel="hj212", peer="p", raw="r")
    assert len(later) == 1 and "又有 2 个" in later[0]["detail"]
    assert log.stats["deviation_lowercase_crc"] == 4


def test_a_slow_hook_does_not_hold_back_writes_or_replies():
    devices = register(5)
    calls = []

    def slow(device, readings):
        calls.append(device.mn)
        if len(calls) == 1:
            time.sleep(4.0)

    async def one_by_one(port, mn):
        # Each packet waits for its reply before the next, so the 5 packets are 5 separate writes.
        for i in range(5):
            assert len(await send(port, [frame(mn, i=i)], expect_replies=1)) == 1

    hooks.on_readings_stored(slow)
    try:
        async def main(port):
            started = time.monotonic()
            await asyncio.gather(*(one_by_one(port, d.mn) for d in devices))
            return time.monotonic() - started

        with ServerThread(ServerOptions(port=0)) as server:
            elapsed = asyncio.run(main(server.port))
            assert server.db.stats["batches"] >= 5
    finally:
        hooks.remove(slow)
    # Had the hook run on the write path, its 4 s would have held back every later reply.
    assert elapsed < 3.0
    assert calls  # the hooks did run, on their own thread
    assert Reading.objects.count() == 25 * len(CODES)


def test_split_packets_and_2005_frames_are_stored():
    [d] = register(1)
    split = [hj212.build(st="21", cn="2061", pw="pw123456", mn=d.mn, flag=7, pnum=2, pno=n, qn="20261125000000123",
                         data_time=T0, factors={code: {"Avg": 1.5}}) for n, code in ((1, "w01018"), (2, "w21003"))]
    old = hj212.build(st="21", cn="2061", pw="pw123456", mn=d.mn, flag=None, version="2005", data_time=T0 + timedelta(hours=1),
                      factors={"w01018": {"Avg": 3.0}})

    with ServerThread(ServerOptions(port=0)) as server:
        replies = asyncio.run(send(server.port, split + [old], expect_replies=2))
    assert len(replies) == 2 and all(r.qn == "20261125000000123" for r in replies)
    assert sorted(Reading.objects.values_list("factor", "value")) == [("w01018", 1.5), ("w01018", 3.0), ("w21003", 1.5)]


def test_a_database_outage_delays_replies_but_loses_nothing(monkeypatch):
    from django.db import OperationalError

    devices = register(3)
    real = services.write_packets
    failures = {"left": 2}

    def flaky(prepared):
        if failures["left"]:
            failures["left"] -= 1
            raise OperationalError("database is locked")
        return real(prepared)

    monkeypatch.setattr(services, "write_packets", flaky)

    async def main(port):
        return await asyncio.gather(*(send(port, [frame(d.mn, i=i) for i in range(4)], expect_replies=4) for d in devices))

    with ServerThread(ServerOptions(port=0)) as server:
        results = asyncio.run(main(server.port))
        assert server.worker.stats["db_retries"] == 2
    assert [len(r) for r in results] == [4, 4, 4]
    assert Reading.objects.count() == 12 * len(CODES)


def test_a_stalled_or_garbage_spewing_connection_blocks_no_one():
    devices = register(10)

    async def main(port):
        stalled_r, stalled = await asyncio.open_connection("127.0.0.1", port)
        stalled.write(frame(devices[0].mn, i=99)[:40])  # half a frame, then nothing
        noisy_r, noisy = await asyncio.open_connection("127.0.0.1", port)
        noisy.write(b"\x00\xff garbage ##12 " * 5000)
        await asyncio.gather(stalled.drain(), noisy.drain())
        started = time.monotonic()
        results = await asyncio.gather(*(send(port, [frame(d.mn, i=i) for i in range(3)], expect_replies=3) for d in devices))
        elapsed = time.monotonic() - started
        stalled.close()
        noisy.close()
        return results, elapsed

    with ServerThread(ServerOptions(port=0)) as server:
        results, elapsed = asyncio.run(main(server.port))
    assert [len(r) for r in results] == [3] * 10
    assert elapsed < 10
    assert Reading.objects.count() == 30 * len(CODES)
    assert IngestLog.objects.filter(reason="malformed").exists()  # the garbage was logged


# ---------------------------------------------------------------- `--workers N`: connections handed over by a supervisor


def test_a_worker_serves_connections_its_supervisor_hands_over_and_reports_them_closed():
    import socket

    from chengyun.monitoring import hj212_workers

    devices = register(6)
    ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
    listener = socket.create_server(("127.0.0.1", 0))
    listener.setblocking(False)
    port = listener.getsockname()[1]
    pool = [hj212_workers._Worker(process=None, channel=ours)]

    async def main():
        jobs = [asyncio.ensure_future(send(port, [frame(d.mn, i=i) for i in range(5)], expect_replies=5)) for d in devices]
        # The supervisor's side, done here by hand: accept what is waiting and pass it on.
        while not all(j.done() for j in jobs):
            await asyncio.sleep(0.02)
            hj212_workers._accept_all(listener, pool)
        return [j.result() for j in jobs]

    try:
        with ServerThread(ServerOptions(port=0, handoff_fd=theirs.detach())) as server:
            results = asyncio.run(main())
            assert wait_until(lambda: server.stats["connections"] == len(devices))
            ours.settimeout(5)
            reported = b""
            while reported.count(b"-") < len(devices):
                reported += ours.recv(64)
    finally:
        listener.close()
        ours.close()
    assert [len(r) for r in results] == [5] * len(devices)
    assert pool[0].handed == len(devices)
    assert Reading.objects.count() == len(devices) * 5 * len(CODES)


def test_the_supervisor_hands_each_connection_to_the_least_busy_worker():
    import socket

    from chengyun.monitoring import hj212_workers

    pairs = [socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM) for _ in range(2)]
    pool = [hj212_workers._Worker(process=None, channel=ours, open=open_) for (ours, _), open_ in zip(pairs, (3, 0))]
    listener = socket.create_server(("127.0.0.1", 0))
    listener.setblocking(False)
    clients = [socket.create_connection(listener.getsockname()) for _ in range(5)]
    try:
        assert wait_until(lambda: (hj212_workers._accept_all(listener, pool), sum(w.handed for w in pool) == 5)[1], 5)
        # 3 already open on the first: the idle one takes connections until they are level.
        assert [w.handed for w in pool] == [1, 4]
        assert [w.open for w in pool] == [4, 4]
        received = socket.recv_fds(pairs[1][1], 64, 16)
        assert len(received[1]) >= 1  # real descriptors went over the socket
        for fd in received[1]:
            os.close(fd)
        # A worker reports two finished connections.
        pairs[0][1].send(b"--")
        hj212_workers._read_reports(pool[0])
        assert pool[0].open == 2
    finally:
        listener.close()
        for c in clients:
            c.close()
        for a, b in pairs:
            a.close()
            b.close()


# ---------------------------------------------------------------- absurd data times are refused per packet


def _timed(mn, when_text, i=0):
    return hj212.build(st="21", cn="2011", pw="pw123456", mn=mn, flag=5, qn=f"20261125000000{i:03d}", cp={"DataTime": when_text},
                       factors={"w01018": {"Rtd": 7.0, "Flag": "N"}})


def test_an_absurd_data_time_refuses_that_packet_only_and_the_rest_of_the_batch_is_stored():
    good, year_one, future, old = register(4)
    far = (datetime.now() + timedelta(days=3)).strftime("%Y%m%d%H%M%S")
    frames = {
        good.mn: [frame(good.mn, i=1)],
        year_one.mn: [_timed(year_one.mn, "00010101000000", i=1), frame(year_one.mn, i=2)],
        future.mn: [_timed(future.mn, far, i=1)],
        old.mn: [_timed(old.mn, "19991231235959", i=1)],
    }

    async def main(port):
        # All four connections write at once, so the frames land in the same batches.
        return await asyncio.gather(*(send(port, fs, expect_replies=n, timeout=10) for fs, n in zip(frames.values(), (1, 1, 0, 0))))

    with ServerThread(ServerOptions(port=0)) as server:
        results = asyncio.run(main(server.port))
        assert wait_until(lambda: server.worker.stats["rejected"] == 3 and server.worker.pending == 0)
    assert [len(r) for r in results] == [1, 1, 0, 0]  # no reply for a refused packet
    assert Reading.objects.filter(device=good).count() == len(CODES)
    assert Reading.objects.filter(device=year_one).count() == len(CODES)  # its good frame is not lost
    assert not Reading.objects.filter(device__in=[future, old]).exists()
    assert set(IngestLog.objects.values_list("reason", "mn")) == {("bad_time", year_one.mn), ("bad_time", future.mn), ("bad_time", old.mn)}
    assert RawFrame.objects.filter(outcome="rejected").count() == 3
    assert RawFrame.objects.filter(outcome="stored").count() == 2


def test_a_device_registered_after_its_first_packet_is_accepted_from_the_next_and_a_password_change_applies_at_once():
    with ServerThread(ServerOptions(port=0)) as server:
        asyncio.run(send(server.port, [frame("LATE0001", i=1)]))
        # Waiting on the server's counters, not the database: in-memory SQLite locks a table being written.
        assert wait_until(lambda: server.worker.stats["rejected"] == 1 and server.worker.pending == 0)
        d = services.create_device(None, mn="LATE0001", password="pw123456", st="21", name="迟登记的站", factors=CODES)
        assert len(asyncio.run(send(server.port, [frame(d.mn, i=2)], expect_replies=1, timeout=10))) == 1
        services.update_device(None, d, password="newpass1")
        time.sleep(1.1)
        asyncio.run(send(server.port, [frame(d.mn, i=3)]))
        assert wait_until(lambda: server.worker.stats["rejected"] == 2)
    assert Reading.objects.filter(device=d).count() == len(CODES)
    assert IngestLog.objects.filter(mn=d.mn, reason="wrong_pw").exists()


def test_refusals_are_logged_at_most_once_a_minute_per_mn(caplog):
    import logging

    from chengyun.monitoring.hj212_server import IngestWorker

    worker = IngestWorker(lambda replies: None)
    with caplog.at_level(logging.WARNING, logger="chengyun.monitoring.hj212"):
        for _ in range(50):
            worker._refuse([], [], "10.0.0.5:4000", None, b"", "BADPW01", "wrong_pw", "设备 BADPW01 密码错误", None, "rejected")
        worker._refuse([], [], "10.0.0.6:4000", None, b"", "OTHER01", "unknown_mn", "设备 OTHER01 未登记", None, "rejected")
        worker._logged["BADPW01"][0] -= IngestWorker.LOG_EVERY  # a minute later
        worker._refuse([], [], "10.0.0.5:4000", None, b"", "BADPW01", "wrong_pw", "设备 BADPW01 密码错误", None, "rejected")
    lines = [r.getMessage() for r in caplog.records if r.name == "chengyun.monitoring.hj212"]
    assert len(lines) == 3
    assert "BADPW01" in lines[0] and "wrong_pw" in lines[0] and "OTHER01" in lines[1]
    assert "49 more" in lines[2]


def test_a_factor_code_longer_than_the_column_is_refused_per_field_not_truncated():
    [d] = register(1)
    long_a, long_b = "w0101800000000000001", "w0101800000000000002"  # equal in their first 16 characters
    sent = hj212.build(st="21", cn="2011", pw="pw123456", mn=d.mn, flag=5, qn="20261125000000001", data_time=T0,
                       factors={"w01018": {"Rtd": 1.0}, long_a: {"Rtd": 2.0}, long_b: {"Rtd": 3.0}})
    with ServerThread(ServerOptions(port=0)) as server:
        assert len(asyncio.run(send(server.port, [sent], expect_replies=1))) == 1
    assert list(Reading.objects.values_list("factor", "value")) == [("w01018", 1.0)]
    assert {log.detail.split()[1] for log in IngestLog.objects.filter(reason="bad_factor", mn=d.mn)} == {long_a, long_b}
    assert RawFrame.objects.get().outcome == "stored"
