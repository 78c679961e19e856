"""What both receivers (HJ 212 over TCP, MQTT) do with a frame before its packet is stored.

The receivers' parse policy (``parse_frame``). A vendor deviation that loses no meaning —
CRC printed in lower-case hex, a DataTime with milliseconds — is accepted from every device
by default: real installations start with devices nobody has configured yet, and refusing
their data would lose measurements that mean exactly what they say. Each accepted deviation
is counted, logged and recorded (``DeviationLog``). ``CHENGYUN_HJ212_STRICT`` refuses them
(lower-case CRC then only from devices set to tolerate it). A deviation that could hide an
error — a CRC that does not match, the byte-swapped MODBUS CRC — is accepted only from a
device configured for it. See docs/standards/hj212.md.

``sniff_mn`` / ``sniff_qn`` read the fields of a frame that does not parse, so that a refusal
can name its device and the request it answers.
"""
from __future__ import annotations

import logging
import re
import time
from collections import Counter
from typing import Any, Callable

from django.conf import settings

from chengyun.standards import hj212

from .models import Device, IngestLog

#: Deviations accepted from any device unless CHENGYUN_HJ212_STRICT is set.
ACCEPTED_BY_DEFAULT = ("lowercase_crc", "time_milliseconds")

#: What an accepted deviation is called in the IngestLog record (stored text, like other details).
DEVIATION_TEXT = {
    "lowercase_crc": "CRC 为小写十六进制（标准为大写，含义相同）",
    "swapped_modbus_crc": "CRC 按 CRC-16/MODBUS 计算且低字节在前（该设备已设置容忍）",
    "time_milliseconds": "数据时间带毫秒（17 位，按秒入库）",
}

_MN = re.compile(rb"(?:^|;)MN=([\x21-\x7e]{1,24}?)(?:;|&|$)")
_QN = re.compile(rb"(?:^|;|##\d{4})QN=([\x21-\x7e]{1,32}?)(?:;|&|$)")


def sniff_mn(frame: bytes) -> str:
    """The MN of a frame that may not parse, so a refusal can name its device."""
    match = _MN.search(frame)
    return match.group(1).decode("ascii") if match else ""


def sniff_qn(frame: bytes) -> str | None:
    """The QN of a frame that may not parse (as sent), or None when none can be read."""
    match = _QN.search(frame)
    return match.group(1).decode("ascii") if match else None


def strict() -> bool:
    return bool(getattr(settings, "HJ212_STRICT", False))


def parse_frame(frame: bytes, device_for: Callable[[str], Device | None], *, strict_mode: bool | None = None,
                ) -> tuple[hj212.Packet | None, Device | None, hj212.ProtocolError | None]:
    """Parse ``frame`` under the receivers' policy: (packet, its device, None) or (None, device if known, error)."""
    lenient = not (strict() if strict_mode is None else strict_mode)
    try:
        packet = hj212.parse(frame, tolerate_lowercase_crc=lenient, tolerate_time_milliseconds=lenient)
        return packet, device_for(packet.mn), None
    except hj212.ProtocolError as exc:
        error = exc
    # A frame refused for its CRC may still be good for a device configured for its vendor's CRC.
    device = device_for(sniff_mn(frame))
    if device is None or error.reason != "bad_crc":
        return None, device, error
    if not (device.tolerate_swapped_modbus_crc or (device.tolerate_lowercase_crc and not lenient)):
        return None, device, error
    try:
        packet = hj212.parse(frame, tolerate_lowercase_crc=lenient or device.tolerate_lowercase_crc,
                             tolerate_swapped_modbus_crc=device.tolerate_swapped_modbus_crc,
                             tolerate_time_milliseconds=lenient)
    except hj212.ProtocolError as exc:
        return None, device, exc
    if packet.mn != device.mn:  # the tolerance belongs to the device the frame claims to be
        return None, device, error
    return packet, device, None


def refusal_reason(error: hj212.ProtocolError) -> str:
    """The IngestLog reason for a frame the parser refused: a time that is not a time is bad_time."""
    return IngestLog.Reason.BAD_TIME if error.reason == "bad_time" else IngestLog.Reason.MALFORMED


class DeviationLog:
    """Accepted deviations: every one counted in ``stats``; a log line (WARNING) and an IngestLog
    record (reason ``deviation``) at most once per device and kind every ``EVERY`` seconds, the
    next one saying how many came meanwhile — a device sending every 30 s must not flood either."""

    EVERY = 3600.0
    _KEYS = 10_000

    def __init__(self, logger: logging.Logger, stats: Counter, clock: Callable[[], float] = time.monotonic) -> None:
        self.logger = logger
        self.stats = stats
        self.clock = clock
        self._seen: dict[tuple[str, str], list] = {}  # (MN, kind) → [last recorded, accepted since]

    def note(self, packet: hj212.Packet, device: Device, *, at: Any, channel: str, peer: str, raw: str) -> list[dict[str, Any]]:
        """Count ``packet.deviations``; returns the IngestLog entries due now (for the caller's transaction)."""
        entries: list[dict[str, Any]] = []
        for kind in packet.deviations:
            self.stats["deviations"] += 1
            self.stats[f"deviation_{kind}"] += 1
            key = (device.mn, kind)
            now = self.clock()
            last = self._seen.get(key)
            if last is not None and now - last[0] < self.EVERY:
                last[1] += 1
                continue
            since = last[1] if last is not None else 0
            if len(self._seen) >= self._KEYS:  # many devices: forget the oldest half
                for old in list(self._seen)[: self._KEYS // 2]:
                    del self._seen[old]
            self._seen[key] = [now, 0]
            meanwhile = f"（上次记录后又有 {since} 个）" if since else ""
            self.logger.warning("accepted %s frame from %s (MN %s) with a deviation from HJ 212: %s%s", channel, peer, device.mn,
                                hj212.DEVIATIONS.get(kind, kind), f" ({since} more since the last line)" if since else "")
            entries.append({"at": at, "channel": channel, "peer": peer, "mn": device.mn, "reason": IngestLog.Reason.DEVIATION,
                            "detail": f"已接受：{DEVIATION_TEXT.get(kind, kind)}{meanwhile}", "frame": raw})
        return entries
