"""MQTT ingestion against a real Mosquitto.

The broker tests use the local Mosquitto at 127.0.0.1:1883 (`.ci/run` starts it) and, for
the broker-restart test, a private Mosquitto started from the `mosquitto` binary on a free
port. Outside CI a missing broker skips them with a message saying so; in CI (CI=1 or
CHENGYUN_CI=1) a missing broker fails them.
"""
from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import tempfile
import time
import uuid
from datetime import datetime
from urllib.parse import urlparse

import pytest

from chengyun.monitoring import services
from chengyun.monitoring.models import IngestLog, RawFrame, Reading
from chengyun.monitoring.mqtt_ingest import Ingester, PayloadError, ack_topic, data_topic, packet_from_json
from chengyun.standards import hj212
from support import wait_until

_URL = urlparse(os.environ.get("CHENGYUN_TEST_MQTT_URL", "mqtt://127.0.0.1:1883"))
BROKER = (_URL.hostname or "127.0.0.1", _URL.port or 1883)
IN_CI = any(os.environ.get(v, "").strip().lower() in {"1", "true", "yes"} for v in ("CI", "CHENGYUN_CI"))


def _reachable(host: str, port: int) -> bool:
    try:
        socket.create_connection((host, port), 1).close()
        return True
    except OSError:
        return False


def _unavailable(message: str) -> None:
    if IN_CI:
        pytest.fail(f"{message} — in CI the broker must be running (.ci/run starts Mosquitto)")
    pytest.skip(f"SKIPPED, NOT TESTED: {message}. Start Mosquitto (e.g. `mosquitto -d`) or run .ci/run to test MQTT ingestion.")


@pytest.fixture
def broker():
    if not _reachable(*BROKER):
        _unavailable(f"no MQTT broker at {BROKER[0]}:{BROKER[1]}")
    return "mqtt://%s:%d" % BROKER


def _client(port: int = BROKER[1]):
    import paho.mqtt.client as mqtt

    client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id=f"test-{uuid.uuid4().hex[:8]}", protocol=mqtt.MQTTv311)
    client.connect(BROKER[0] if port == BROKER[1] else "127.0.0.1", port, keepalive=30)
    client.loop_start()
    return client


def _publish(client, topic: str, payload, qos: int = 1) -> None:
    info = client.publish(topic, payload if isinstance(payload, (bytes, str)) else json.dumps(payload), qos=qos)
    info.wait_for_publish(10)


def message(pw="pw123456", hour=10, **factors):
    return {"pw": pw, "cn": "2061", "data_time": f"2026-11-25T{hour:02d}:00:00+08:00", "qn": f"20261125{hour:02d}0000000",
            "factors": factors or {"w01018": {"value": 21.5, "flag": "N"}, "w21003": 0.8}}


# ---------------------------------------------------------------- payloads (no broker needed)


def test_json_payload_becomes_a_packet():
    p = packet_from_json("MN1", json.dumps(message(w00000={"value": 2.5, "min": 1, "max": 4, "cou": 120.5, "flag": "M"})).encode())
    assert (p.cn, p.mn, p.pw, p.qn) == ("2061", "MN1", "pw123456", "20261125100000000")
    assert p.data_time == datetime(2026, 11, 25, 10, 0)
    f = p.factors["w00000"]
    assert (f.avg, f.min, f.max, f.cou, f.flag) == (2.5, 1.0, 4.0, 120.5, "M")
    utc = packet_from_json("MN1", json.dumps({**message(), "data_time": "2026-11-25T02:00:00Z", "cn": "2011"}).encode())
    assert utc.data_time == datetime(2026, 11, 25, 10, 0) and utc.factors["w21003"].rtd == 0.8


@pytest.mark.parametrize("change,words", [
    ({"cn": "9014"}, "cn"), ({"pw": None}, "pw"), ({"data_time": "yesterday"}, "data_time"), ({"factors": {}}, "factors"),
    ({"factors": {"w01-018": 1}}, "factor code"), ({"factors": {"w01018": "abc"}}, "not a number"),
    ({"factors": {"w01018": {"value": 1, "flag": 5}}}, "flag"),
])
def test_bad_json_payloads_are_refused_with_the_reason(change, words):
    with pytest.raises(PayloadError, match=words):
        packet_from_json("MN1", json.dumps({**message(), **change}).encode())
    with pytest.raises(PayloadError, match="JSON"):
        packet_from_json("MN1", b"\xff not json")


# ---------------------------------------------------------------- against Mosquitto


@pytest.mark.django_db(transaction=True)
def test_ingest_from_the_local_broker_with_acks_and_refusals(broker):
    mn = f"MQ{uuid.uuid4().hex[:10]}"
    services.create_device(None, mn=mn, password="pw123456", st="21", name="MQTT 站")
    acks = []
    watcher = _client()
    watcher.on_message = lambda c, u, m: acks.append(json.loads(m.payload))
    watcher.subscribe(ack_topic(mn), qos=1)
    ingester = Ingester(broker, client_id=f"test-ingest-{uuid.uuid4().hex[:8]}")
    ingester.start()
    publisher = _client()
    try:
        assert ingester.connected.wait(10), "ingester did not connect"
        time.sleep(0.3)  # the subscription is in place
        frame = hj212.build(st="21", cn="2061", pw="pw123456", mn=mn, qn="20261125110000000", data_time=datetime(2026, 11, 25, 11),
                            factors={"w01018": {"Avg": 30.0, "Flag": "N"}})
        _publish(publisher, data_topic(mn), message())
        _publish(publisher, data_topic(mn), message())  # a redelivery changes nothing
        _publish(publisher, f"chengyun/v1/devices/{mn}/hj212", frame)
        _publish(publisher, data_topic(mn), message(pw="wrong", hour=12))
        _publish(publisher, data_topic(mn), b"{broken")
        _publish(publisher, data_topic("NOBODY"), message())
        assert wait_until(lambda: ingester.stats["stored"] + ingester.stats["refused"] >= 6), dict(ingester.stats)
        assert wait_until(lambda: len(acks) >= 5)
    finally:
        ingester.stop()
        publisher.loop_stop()
        watcher.loop_stop()
    assert sorted(Reading.objects.filter(device__mn=mn).values_list("factor", "value", "data_time__hour")) == [
        ("w01018", 21.5, 10), ("w01018", 30.0, 11), ("w21003", 0.8, 10)]  # China hours
    assert set(IngestLog.objects.filter(channel="mqtt").values_list("reason", flat=True)) == {"wrong_pw", "malformed", "unknown_mn"}
    assert RawFrame.objects.filter(channel="mqtt", outcome="stored").count() == 3
    assert {"qn": "20261125100000000", "stored": 2} in acks
    assert any(a.get("error") == "wrong_pw" for a in acks)


def _frame_with(segment: bytes, crc: str | None = None) -> bytes:
    return b"##%04d%s%s\r\n" % (len(segment), segment, (crc or f"{hj212.crc16(segment):04X}").encode())


@pytest.mark.django_db(transaction=True)
def test_error_acks_carry_the_offending_messages_qn(broker):
    mn = f"MQ{uuid.uuid4().hex[:10]}"  # a topic of its own
    services.create_device(None, mn=mn, password="pw123456", st="21", name="MQTT 站")
    acks = []
    watcher = _client()
    watcher.on_message = lambda c, u, m: acks.append(json.loads(m.payload))
    watcher.subscribe(ack_topic(mn), qos=1)
    ingester = Ingester(broker, client_id=f"test-ingest-{uuid.uuid4().hex[:8]}")
    ingester.start()
    publisher = _client()
    frame_topic = f"chengyun/v1/devices/{mn}/hj212"
    head = f"QN={{qn}};ST=21;CN=2011;PW=pw123456;MN={mn};Flag=5;CP=&&DataTime={{time}};w01018-Rtd=1.5&&"
    # A QN whose frame's CRC has a hex letter, so that lower-casing it changes something.
    ms_frame = next(f for f in (_frame_with(head.format(qn=f"20261125150000{k:03d}", time="20261125150000123").encode())
                                for k in range(1000)) if f[-6:-2] != f[-6:-2].lower())
    sent = {
        "wrong pw": (data_topic(mn), {**message(pw="wrong", hour=12), "qn": "20261125120000001"}),
        "no factors": (data_topic(mn), {**message(hour=13), "qn": "20261125130000001", "factors": {}}),
        "absurd time": (data_topic(mn), {**message(hour=14), "qn": 20261125140000001, "data_time": "2999-01-01T00:00:00"}),
        "not json": (data_topic(mn), b"{broken"),
        "json without qn": (data_topic(mn), {k: v for k, v in message(hour=16).items() if k not in ("qn", "pw")}),
        "bad crc": (frame_topic, _frame_with(head.format(qn="20261125170000001", time="20261125170000").encode(), "0000")),
        "16-digit time": (frame_topic, _frame_with(head.format(qn="20261125180000001", time="2026112518000012").encode())),
        "ms time, lower-case crc": (frame_topic, ms_frame[:-6] + ms_frame[-6:-2].lower() + b"\r\n"),
    }
    try:
        assert ingester.connected.wait(10), "ingester did not connect"
        time.sleep(0.3)
        for topic, payload in sent.values():
            _publish(publisher, topic, payload)
        assert wait_until(lambda: len(acks) >= len(sent)), acks
    finally:
        ingester.stop()
        publisher.loop_stop()
        watcher.loop_stop()
    errors = {a["qn"]: a for a in acks if "error" in a}
    assert errors["20261125120000001"]["error"] == "wrong_pw"
    assert errors["20261125130000001"]["error"] == "malformed" and "factors" in errors["20261125130000001"]["message"]
    assert errors["20261125140000001"]["error"] == "bad_time"  # a numeric qn is echoed as text
    assert errors["20261125170000001"]["error"] == "malformed" and "bad_crc" in errors["20261125170000001"]["message"]
    assert errors["20261125180000001"]["error"] == "bad_time" and "16 digits" in errors["20261125180000001"]["message"]
    unreadable = [a for a in acks if "error" in a and a["qn"] is None]
    assert len(unreadable) == 2 and all(a["note"] == "无法从该消息读出 QN" for a in unreadable)
    assert {a["error"] for a in unreadable} == {"malformed"}
    assert all("note" not in a for a in acks if a.get("qn"))
    # The frame with a millisecond DataTime and a lower-case CRC is stored (and the deviations recorded).
    stored = [a for a in acks if "stored" in a]
    assert stored == [{"qn": hj212.parse(ms_frame, tolerate_time_milliseconds=True).qn, "stored": 1}]
    assert Reading.objects.get(device__mn=mn).value == 1.5
    assert IngestLog.objects.filter(mn=mn, reason="deviation", channel="mqtt").count() == 2


def test_readable_qn():
    from chengyun.monitoring.mqtt_ingest import readable_qn

    assert readable_qn("20261125100000000") == "20261125100000000" and readable_qn(20261125100000000) == "20261125100000000"
    assert [readable_qn(v) for v in (None, True, "", "x" * 65, {"a": 1}, [1], 1.5, "a\nb")] == [None] * 8


@pytest.mark.django_db(transaction=True)
def test_messages_sent_while_the_ingester_was_down_arrive_when_it_returns(broker):
    mn = f"MQ{uuid.uuid4().hex[:10]}"
    services.create_device(None, mn=mn, password="pw123456", st="21", name="MQTT 站")
    client_id = f"test-ingest-{uuid.uuid4().hex[:8]}"
    first = Ingester(broker, client_id=client_id)
    first.start()
    assert first.connected.wait(10)
    time.sleep(0.3)
    first.stop()  # the broker keeps the session and queues QoS 1 messages for it
    publisher = _client()
    try:
        for hour in range(5):
            _publish(publisher, data_topic(mn), message(hour=hour))
    finally:
        publisher.loop_stop()
    second = Ingester(broker, client_id=client_id)
    second.start()
    try:
        assert wait_until(lambda: second.stats["stored"] >= 5), dict(second.stats)
    finally:
        second.stop()
    assert Reading.objects.filter(device__mn=mn).count() == 10


@pytest.fixture
def private_broker(tmp_path):
    """A Mosquitto of our own (with persistence) that the test may stop and restart."""
    binary = shutil.which("mosquitto") or ("/usr/sbin/mosquitto" if os.path.exists("/usr/sbin/mosquitto") else None)
    if binary is None:
        _unavailable("the mosquitto binary is not installed, so the broker-restart test cannot start a broker")
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    # Started as root, Mosquitto drops to its own user before writing its store, so the
    # store must be reachable by that user (pytest's tmp_path sits under a private directory).
    store = tempfile.mkdtemp(prefix="chengyun-mqtt-")
    os.chmod(store, 0o777)
    conf = tmp_path / "mosquitto.conf"
    conf.write_text(f"listener {port} 127.0.0.1\nallow_anonymous true\npersistence true\npersistence_location {store}/\n"
                    "autosave_interval 1\n")
    state = {"proc": None}

    def start():
        state["proc"] = subprocess.Popen([binary, "-c", str(conf)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        assert wait_until(lambda: _reachable("127.0.0.1", port), 10), "private mosquitto did not start"

    def stop():
        state["proc"].terminate()  # SIGTERM: Mosquitto writes its persistence file on the way out
        state["proc"].wait(10)

    start()
    yield port, start, stop
    if state["proc"].poll() is None:
        stop()
    shutil.rmtree(store, ignore_errors=True)


@pytest.mark.django_db(transaction=True)
def test_ingester_resumes_after_a_broker_restart(private_broker):
    port, start, stop = private_broker
    mn = f"MQ{uuid.uuid4().hex[:10]}"
    services.create_device(None, mn=mn, password="pw123456", st="21", name="MQTT 站")
    ingester = Ingester(f"mqtt://127.0.0.1:{port}", client_id=f"test-ingest-{uuid.uuid4().hex[:8]}")
    ingester.start()
    try:
        assert ingester.connected.wait(10)
        time.sleep(0.3)
        publisher = _client(port)
        _publish(publisher, data_topic(mn), message(hour=1))
        publisher.loop_stop()
        publisher.disconnect()
        assert wait_until(lambda: ingester.stats["stored"] >= 1)
        stop()
        assert wait_until(lambda: not ingester.connected.is_set(), 10)
        start()
        # Published at once after the restart, most likely before the ingester is back:
        # the restored session (with its subscription) queues it for the ingester.
        publisher = _client(port)
        for hour in (2, 3):
            _publish(publisher, data_topic(mn), message(hour=hour))
        publisher.loop_stop()
        assert wait_until(lambda: ingester.stats["stored"] >= 3, 40), dict(ingester.stats)
        assert ingester.stats["connects"] >= 2
    finally:
        ingester.stop()
    assert Reading.objects.filter(device__mn=mn).count() == 6


# ---------------------------------------------------------------- one message's absurd time (no broker needed)


class _FakeClient:
    def __init__(self):
        self.acked, self.published = [], []

    def ack(self, mid, qos):
        self.acked.append(mid)

    def publish(self, topic, payload, qos=0):
        self.published.append((topic, json.loads(payload)))


@pytest.mark.django_db
def test_an_absurd_data_time_is_refused_acknowledged_with_an_error_and_the_batch_stored():
    from django.utils import timezone

    from chengyun.monitoring.mqtt_ingest import Message

    services.create_device(None, mn="MQT1", password="pw123456", st="21", name="MQTT 站")
    ingester = Ingester("mqtt://127.0.0.1:1", client_id="test-no-broker")
    ingester.client = fake = _FakeClient()
    payloads = [message(), {**message(hour=11), "data_time": "0001-01-01T00:00:00"},
                {**message(hour=12), "data_time": "0001-01-01T00:00:00+14:00"}, {**message(hour=13), "data_time": "2999-01-01T00:00:00"}]
    ingester._handle([Message(data_topic("MQT1"), json.dumps(p).encode(), mid, 1, timezone.now()) for mid, p in enumerate(payloads, 1)])
    assert sorted(fake.acked) == [1, 2, 3, 4]  # every message acknowledged: none is redelivered for ever
    assert Reading.objects.filter(device__mn="MQT1").count() == 2
    assert list(IngestLog.objects.values_list("reason", flat=True)) == ["bad_time"] * 3
    assert RawFrame.objects.filter(outcome="rejected").count() == 3
    errors = [p for _, p in fake.published if "error" in p]
    assert len(errors) == 3 and {e["error"] for e in errors} == {"bad_time"}


@pytest.mark.django_db
def test_a_long_factor_code_is_refused_per_field_over_mqtt():
    from django.utils import timezone

    from chengyun.monitoring.mqtt_ingest import Message

    services.create_device(None, mn="MQT2", password="pw123456", st="21", name="MQTT 站")
    ingester = Ingester("mqtt://127.0.0.1:1", client_id="test-no-broker")
    ingester.client = fake = _FakeClient()
    payload = message(w01018=1.5, w0101800000000000001=2.5)
    ingester._handle([Message(data_topic("MQT2"), json.dumps(payload).encode(), 1, 1, timezone.now())])
    assert fake.acked == [1]
    assert list(Reading.objects.values_list("factor", "value")) == [("w01018", 1.5)]
    log = IngestLog.objects.get()
    assert (log.reason, log.mn) == ("bad_factor", "MQT2") and "w0101800000000000001" in log.detail
