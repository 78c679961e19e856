"""MQTT ingestion (`chengyun mqtt-ingest`).

Topic scheme (all QoS 1):

``chengyun/v1/devices/<MN>/data`` — one data packet as JSON, UTF-8::

    {"pw": "device password",            # required: the device's PW, as in HJ 212
     "cn": "2011",                       # 2011 real-time (default), 2051 minute, 2061 hour, 2031 day
     "data_time": "2026-11-25T10:00:00+08:00",   # ISO 8601; without offset = China time
     "qn": "20261125100000123",          # optional request number, echoed in the ack
     "factors": {"w01018": {"value": 21.5, "flag": "N"},      # value = Rtd (2011) or Avg
                 "w21003": 0.82,                               # a bare number: value, flag N
                 "w00000": {"value": 2.5, "min": 1.0, "max": 4.0, "cou": 120.5}}}

``chengyun/v1/devices/<MN>/hj212`` — one HJ 212 frame as sent over TCP (``##…\\r\\n``),
for data transfer units that wrap HJ 212 in MQTT.

``chengyun/v1/devices/<MN>/ack`` — published by the platform (QoS 1) after the packet is
stored: ``{"qn": …, "stored": <values>}``; or ``{"qn": …, "error": <reason>, "message": …}``
when it was refused. A refusal carries the offending message's ``qn`` (the JSON ``qn``, or the
frame's ``QN=``, as sent) so the device can match it to what it sent; when none can be read
(not JSON, no ``qn``) it is ``null`` and ``note`` says so.

The ingester holds a persistent session (clean_session false, fixed client id) and
acknowledges a message to the broker only after its readings are committed (manual
PUBACK): the broker keeps what arrived while the ingester or the broker itself was down
(Mosquitto with persistence) and delivers it on reconnect, so nothing is lost; the upsert
makes a redelivered message harmless.
"""
from __future__ import annotations

import json
import logging
import math
import queue
import threading
import time
from collections import Counter
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Callable
from urllib.parse import urlparse

from django.db import connection
from django.utils import timezone

from chengyun.standards import hj212

from . import hooks, intake, services
from .models import Device, IngestLog, RawFrame

logger = logging.getLogger("chengyun.monitoring.mqtt")

TOPIC_PREFIX = "chengyun/v1/devices"
DATA_TOPIC = TOPIC_PREFIX + "/+/data"
FRAME_TOPIC = TOPIC_PREFIX + "/+/hj212"


# Topics other modules serve over the same connection (sweeping vehicles' positions, …):
# filter -> handle(messages) -> [(message, reply topic or "", reply payload)]. The handler
# commits before it returns; the ingester then acknowledges and publishes the replies.
TopicHandler = Callable[[list["Message"]], list[tuple["Message", str, dict]]]
_extra_topics: dict[str, TopicHandler] = {}


def register_topic(topic_filter: str, handle: TopicHandler) -> None:
    _extra_topics[topic_filter] = handle


def extra_handler(topic: str) -> tuple[str, TopicHandler] | None:
    import paho.mqtt.client as mqtt

    for flt, handle in _extra_topics.items():
        if mqtt.topic_matches_sub(flt, topic):
            return flt, handle
    return None


def data_topic(mn: str) -> str:
    return f"{TOPIC_PREFIX}/{mn}/data"


def ack_topic(mn: str) -> str:
    return f"{TOPIC_PREFIX}/{mn}/ack"


class PayloadError(ValueError):
    """A message that is not a data packet; ``reason`` is the IngestLog reason (malformed by default);
    ``qn`` the message's request number when it could be read."""

    def __init__(self, message: str, reason: str = IngestLog.Reason.MALFORMED, qn: str | None = None) -> None:
        super().__init__(message)
        self.reason = reason
        self.qn = qn


#: Longest request number echoed back: a QN is 17 digits; anything much longer is not one.
QN_MAX = 64


def readable_qn(value: Any) -> str | None:
    """A JSON ``qn`` as echoed in acks: a string or an integer, as sent; None for anything else."""
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int):
        value = str(value)
    if isinstance(value, str) and 0 < len(value) <= QN_MAX and value.isprintable():
        return value
    return None


def _number(code: str, name: str, value: Any) -> float | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float, str)):
        raise PayloadError(f"{code}.{name}: {value!r} is not a number")
    try:
        number = float(value)
    except ValueError:
        raise PayloadError(f"{code}.{name}: {value!r} is not a number") from None
    if not math.isfinite(number):
        raise PayloadError(f"{code}.{name}: {value!r} is not finite")
    return number


def packet_from_json(mn: str, payload: bytes) -> hj212.Packet:
    """A JSON data message as the Packet an HJ 212 frame with the same content would give."""
    try:
        data = json.loads(payload.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise PayloadError(f"payload is not UTF-8 JSON: {exc}") from None
    if not isinstance(data, dict):
        raise PayloadError("payload must be a JSON object")
    qn = readable_qn(data.get("qn"))
    try:
        return _packet_from_object(mn, data, qn)
    except PayloadError as exc:
        exc.qn = qn
        raise


def _packet_from_object(mn: str, data: dict, qn: str | None) -> hj212.Packet:
    cn = str(data.get("cn", "2011"))
    if cn not in services.DATA_CNS:
        raise PayloadError(f"cn {cn!r} is not one of {', '.join(services.DATA_CNS)}")
    pw = data.get("pw")
    if not isinstance(pw, str) or not pw:
        raise PayloadError("pw is missing")
    text = data.get("data_time")
    if not isinstance(text, str):
        raise PayloadError("data_time is missing")
    try:
        when = datetime.fromisoformat(text)
    except ValueError:
        raise PayloadError(f"data_time {text!r} is not ISO 8601") from None
    if when.tzinfo is not None:
        try:
            when = when.astimezone(services.CHINA).replace(tzinfo=None)
        except (OverflowError, ValueError):
            raise PayloadError(f"data_time {text!r} is out of range", IngestLog.Reason.BAD_TIME) from None
    factors_in = data.get("factors")
    if not isinstance(factors_in, dict) or not factors_in:
        raise PayloadError("factors must be a non-empty object")
    factors: dict[str, hj212.Factor] = {}
    for code, item in factors_in.items():
        if not isinstance(code, str) or not code.isascii() or not code.isalnum():  # a long code: refused per field when stored
            raise PayloadError(f"factor code {code!r} is malformed")
        if not isinstance(item, dict):
            item = {"value": item}
        value = _number(code, "value", item.get("value"))
        flag = item.get("flag", "N")
        if not isinstance(flag, str) or len(flag) > 4:
            raise PayloadError(f"{code}.flag {flag!r} is malformed")
        factor = hj212.Factor(code, min=_number(code, "min", item.get("min")), max=_number(code, "max", item.get("max")),
                              cou=_number(code, "cou", item.get("cou")), flag=flag)
        if cn == "2011":
            factor.rtd = value
        else:
            factor.avg = value
        factors[code] = factor
    return hj212.Packet(qn=qn, st=str(data.get("st", "21")), cn=cn, pw=pw, mn=mn,
                        cp={"DataTime": f"{when.year:04d}{when.month:02d}{when.day:02d}{when.hour:02d}{when.minute:02d}{when.second:02d}"},
                        factors=factors)  # zero-padded even for year 1: the time check in prepare_packets refuses it


@dataclass
class Message:
    topic: str
    payload: bytes
    mid: int
    qos: int
    received_at: datetime


def mn_of(topic: str) -> tuple[str, str]:
    parts = topic.split("/")
    if len(parts) != 5 or "/".join(parts[:3]) != TOPIC_PREFIX or parts[4] not in ("data", "hj212"):
        return "", ""
    return parts[3], parts[4]


class Ingester:
    """Subscribes, checks, stores in batches and acknowledges after the commit."""

    def __init__(self, url: str, *, client_id: str = "chengyun-mqtt-ingest", max_batch: int = 2000,
                 keep_raw: bool = True, cache_seconds: float = 300.0) -> None:
        import paho.mqtt.client as mqtt

        parsed = urlparse(url)
        if parsed.scheme not in ("mqtt", "tcp", ""):
            raise ValueError(f"unsupported MQTT URL {url!r} (use mqtt://host:port)")
        self.host = parsed.hostname or "127.0.0.1"
        self.port = parsed.port or 1883
        self.max_batch = max_batch
        self.keep_raw = keep_raw
        self.cache_seconds = cache_seconds
        self.jobs: queue.SimpleQueue = queue.SimpleQueue()
        self.stats: Counter[str] = Counter()
        self.connected = threading.Event()
        self._devices = services.DeviceCache(max_age=cache_seconds, run=self._retrying)
        self.deviations = intake.DeviationLog(logger, self.stats)
        self._stop = threading.Event()
        self.client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id=client_id, clean_session=False,
                                  protocol=mqtt.MQTTv311, manual_ack=True)
        if parsed.username:
            self.client.username_pw_set(parsed.username, parsed.password)
        self.client.reconnect_delay_set(min_delay=1, max_delay=30)
        self.client.on_connect = self._on_connect
        self.client.on_disconnect = self._on_disconnect
        self.client.on_message = self._on_message

    # -- paho callbacks (network thread)
    def _on_connect(self, client, userdata, flags, reason_code, properties) -> None:
        if reason_code.is_failure:
            logger.warning("MQTT connect refused: %s", reason_code)
            return
        # Subscribing again on every connect is harmless with a kept session and needed without one.
        client.subscribe([(DATA_TOPIC, 1), (FRAME_TOPIC, 1)] + [(flt, 1) for flt in _extra_topics])
        self.stats["connects"] += 1
        self.connected.set()
        logger.info("MQTT connected to %s:%d (session present: %s)", self.host, self.port, flags.session_present)

    def _on_disconnect(self, client, userdata, flags, reason_code, properties) -> None:
        self.connected.clear()
        if not self._stop.is_set():
            logger.warning("MQTT disconnected (%s); reconnecting", reason_code)

    def _on_message(self, client, userdata, msg) -> None:
        self.jobs.put(Message(msg.topic, bytes(msg.payload), msg.mid, msg.qos, timezone.now()))

    # -- lifecycle
    def start(self) -> None:
        self.client.connect_async(self.host, self.port, keepalive=30)
        self.client.loop_start()
        self._worker = threading.Thread(target=self._work, name="mqtt-ingest-db", daemon=True)
        self._worker.start()

    def stop(self) -> None:
        self._stop.set()
        self.jobs.put(None)
        self._worker.join(60)
        self.client.disconnect()
        self.client.loop_stop()

    # -- the database thread
    def _work(self) -> None:
        try:
            while True:
                items = [self.jobs.get()]
                while len(items) < self.max_batch:
                    try:
                        items.append(self.jobs.get_nowait())
                    except queue.Empty:
                        break
                stop = any(i is None for i in items)
                messages = [i for i in items if i is not None]
                if messages:
                    try:
                        self._handle(messages)
                    except Exception:  # noqa: BLE001 — unacknowledged messages come back after a reconnect
                        logger.exception("batch of %d MQTT messages failed; they stay unacknowledged", len(messages))
                if stop:
                    return
        finally:
            connection.close()

    def _retrying(self, fn):
        return services.retrying(fn, stopping=self._stop, log=logger)

    def _device(self, mn: str) -> Device | None:
        return self._devices.get(mn)

    def _handle(self, messages: list[Message]) -> None:
        if _extra_topics:
            messages = self._handle_extra(messages)
            if not messages:
                return
        accepted: list[tuple[Message, services.Incoming]] = []
        # message, mn, reason, detail, device, the message's qn (None when unreadable)
        refused: list[tuple[Message, str, str, str, Device | None, str | None]] = []
        deviation_logs: list[dict[str, Any]] = []
        self._devices.load({mn_of(m.topic)[0] for m in messages})  # one query for the batch's unknown MNs
        for m in messages:
            mn, kind = mn_of(m.topic)
            device = self._device(mn) if mn else None
            try:
                if not mn:
                    raise PayloadError(f"topic {m.topic!r} is not {TOPIC_PREFIX}/<MN>/data")
                if kind == "hj212":
                    packet, _, error = intake.parse_frame(m.payload, self._device)
                    if error is not None:
                        raise error
                    if packet.mn != mn:
                        raise PayloadError(f"frame MN {packet.mn} differs from topic MN {mn}", qn=packet.qn)
                else:
                    packet = packet_from_json(mn, m.payload)
            except PayloadError as exc:
                refused.append((m, mn, exc.reason, str(exc), device, exc.qn))
                continue
            except hj212.ProtocolError as exc:
                refused.append((m, mn, intake.refusal_reason(exc), str(exc), device, intake.sniff_qn(m.payload)))
                continue
            except Exception as exc:  # noqa: BLE001 — one message's surprise must not hold up the others
                logger.exception("MQTT message on %s could not be checked", m.topic)
                refused.append((m, mn, IngestLog.Reason.MALFORMED, f"无法处理：{type(exc).__name__}: {exc}"[:255], device, None))
                continue
            try:
                services.check_sender(device, mn, packet.pw)
            except services.Rejected as rej:
                refused.append((m, mn, rej.reason, rej.message, device, packet.qn))
                continue
            raw = m.payload.decode("utf-8", errors="replace").replace("\x00", "\\x00").rstrip("\r\n")
            if packet.deviations:
                deviation_logs.extend(self.deviations.note(packet, device, at=m.received_at, channel="mqtt", peer=m.topic, raw=raw))
            accepted.append((m, services.Incoming(device, packet, m.received_at, raw=raw, channel="mqtt")))
        prepared = services.prepare_packets([inc for _, inc in accepted], keep_raw=self.keep_raw)
        factor_logs = services.factor_refusals(prepared, [inc for _, inc in accepted])
        for entry in factor_logs:
            entry["peer"] = data_topic(entry["mn"])
        if prepared.refused:
            # Refused while preparing (an absurd data time, …): acknowledged with an error, never stored.
            dropped = {index for index, _, _ in prepared.refused}
            for index, reason, message in prepared.refused:
                m, inc = accepted[index]
                refused.append((m, inc.device.mn, reason, message, inc.device, inc.packet.qn))
            accepted = [a for i, a in enumerate(accepted) if i not in dropped]

        def write():
            from django.db import transaction

            with transaction.atomic():
                services.write_packets(prepared)
                if factor_logs or deviation_logs:
                    services.record_rejections(factor_logs + deviation_logs)
                if refused:
                    services.record_rejections([{"at": m.received_at, "channel": "mqtt", "peer": m.topic, "mn": mn, "reason": reason,
                                                 "detail": detail, "frame": m.payload.decode("utf-8", "replace").replace("\x00", "")}
                                                for m, mn, reason, detail, _, _ in refused])
                    if self.keep_raw:
                        services.record_raw_frames([{"received_at": m.received_at, "device_id": d.pk if d else None, "mn": mn,
                                                     "channel": "mqtt", "peer": m.topic,
                                                     "frame": m.payload.decode("utf-8", "replace").replace("\x00", "") or "(空)",
                                                     "outcome": RawFrame.Outcome.MALFORMED if reason == IngestLog.Reason.MALFORMED
                                                     else RawFrame.Outcome.REJECTED}
                                                    for m, mn, reason, detail, d, _ in refused])

        self._retrying(write)
        # Committed: now the broker may forget them.
        for m, inc in accepted:
            self._ack(m)
            if inc.packet.qn:
                self.client.publish(ack_topic(inc.device.mn), json.dumps({"qn": inc.packet.qn, "stored": len(inc.packet.factors)}), qos=1)
        for m, mn, reason, detail, _, qn in refused:
            self._ack(m)  # a refused message is logged; redelivering it would not change the answer
            if mn:
                self.client.publish(ack_topic(mn), json.dumps(error_ack(qn, reason, detail), ensure_ascii=False), qos=1)
        self.stats["stored"] += len(accepted)
        self.stats["refused"] += len(refused)

    def _handle_extra(self, messages: list[Message]) -> list[Message]:
        """Hand the registered topics' messages to their handlers; the monitoring messages are returned."""
        groups: dict[str, tuple[TopicHandler, list[Message]]] = {}
        rest = []
        for m in messages:
            found = extra_handler(m.topic)
            if found is None:
                rest.append(m)
            else:
                groups.setdefault(found[0], (found[1], []))[1].append(m)
        for handle, batch in groups.values():
            replies = self._retrying(lambda: handle(batch))
            for m in batch:
                self._ack(m)
            for _m, topic, payload in replies:
                if topic:
                    self.client.publish(topic, json.dumps(payload, ensure_ascii=False), qos=1)
            self.stats["extra"] += len(batch)
        return rest

    def _ack(self, m: Message) -> None:
        if m.qos > 0:
            self.client.ack(m.mid, m.qos)


def error_ack(qn: str | None, reason: str, message: str) -> dict[str, Any]:
    """The ack of a refused message: its qn, so the device can match the refusal to what it sent."""
    ack: dict[str, Any] = {"qn": qn, "error": str(reason), "message": message}
    if qn is None:
        ack["note"] = "无法从该消息读出 QN"
    return ack


def run(url: str, *, client_id: str = "chengyun-mqtt-ingest") -> None:
    """Serve until SIGINT/SIGTERM (the ``mqtt-ingest`` command)."""
    import signal

    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    ingester = Ingester(url, client_id=client_id)
    ingester.start()
    hook_queue: queue.SimpleQueue = queue.SimpleQueue()

    def run_hooks() -> None:
        while True:
            job = hook_queue.get()
            if job is None:
                return
            try:
                job()
            except Exception:  # noqa: BLE001
                logger.exception("readings hook failed")

    hook_thread = threading.Thread(target=run_hooks, name="mqtt-hooks", daemon=True)
    hook_thread.start()
    hooks.set_dispatcher(hook_queue.put)
    try:
        while not stop.wait(1.0):
            pass
    finally:
        ingester.stop()
        hook_queue.put(None)
        hook_thread.join(30)
        hooks.set_dispatcher(None)
        logger.info("MQTT ingest stopped: %s", dict(ingester.stats))
