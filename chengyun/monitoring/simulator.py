"""A simulator of online monitors speaking HJ 212 over TCP (`chengyun hj212-simulate`).

Each device keeps one connection, sends a real-time packet (CN 2011, Flag asking for a
reply) every interval and, at each full hour, the hour data (CN 2061: Avg/Min/Max of the
hour's samples, Cou for flow); it reconnects with backoff when the server goes away and
resends a packet whose reply did not come. Values come from ``simulation`` (daily cycles,
occasional exceedance episodes); the demo device marked silent sends nothing.
"""
from __future__ import annotations

import asyncio
import logging
import random
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from chengyun.standards import hj212

from .simulation import Profile, Site, profile_for

logger = logging.getLogger("chengyun.monitoring.simulator")
CHINA_OFFSET = timedelta(hours=8)


@dataclass
class SimDevice:
    mn: str
    password: str
    st: str
    factors: list[str]
    profile: Profile
    silent: bool = False
    tolerate_lowercase_crc: bool = False
    hour_samples: dict[str, list[float]] = field(default_factory=dict)


def china_now() -> datetime:
    from datetime import timezone

    return (datetime.now(timezone.utc) + CHINA_OFFSET).replace(tzinfo=None)


class Simulator:
    def __init__(self, host: str, port: int, devices: list[SimDevice], *, interval: float = 30.0, seed: int = 212,
                 reply_timeout: float = 10.0, count: int | None = None) -> None:
        self.host, self.port = host, port
        self.devices = devices
        self.interval = interval
        self.reply_timeout = reply_timeout
        self.count = count  # real-time packets per device, then stop (tests); None = forever
        self.rng = random.Random(seed)
        self.stats = {"sent": 0, "replied": 0, "reconnects": 0}

    async def run(self) -> None:
        live = [d for d in self.devices if not d.silent]
        for d in self.devices:
            if d.silent:
                logger.info("device %s is silent (sends nothing)", d.mn)
        await asyncio.gather(*(self._guarded(d, k * self.interval / max(len(live), 1)) for k, d in enumerate(live)))

    async def _guarded(self, d: SimDevice, offset: float) -> None:
        # One device's fault must not stop the others: it is logged and that device goes quiet.
        try:
            await self._device(d, offset)
        except Exception:  # noqa: BLE001
            logger.exception("simulated device %s stopped", d.mn)

    def _frame(self, d: SimDevice, cn: str, when: datetime, factors: dict) -> bytes:
        frame = hj212.build(st=d.st, cn=cn, pw=d.password, mn=d.mn, flag=5, data_time=when, factors=factors)
        if d.tolerate_lowercase_crc:
            # This vendor prints its CRC in lower case; the server accepts it for this device only.
            frame = frame[:-6] + frame[-6:-2].lower() + b"\r\n"
        return frame

    def _realtime(self, d: SimDevice, site: Site, when: datetime) -> bytes:
        values = site.values(d.factors, when, hours_per_sample=self.interval / 3600)
        for code, (value, _) in values.items():
            d.hour_samples.setdefault(code, []).append(value)
        return self._frame(d, "2011", when.replace(microsecond=0), {c: {"Rtd": v, "Flag": f} for c, (v, f) in values.items()})

    def _hourly(self, d: SimDevice, hour: datetime) -> bytes | None:
        samples, d.hour_samples = d.hour_samples, {}
        if not samples:
            return None
        factors = {}
        for code, values in samples.items():
            avg = sum(values) / len(values)
            item = {"Min": round(min(values), 3), "Avg": round(avg, 3), "Max": round(max(values), 3), "Flag": "N"}
            if code == "w00000":
                item["Cou"] = round(avg * 3.6, 2)  # L/s over an hour → m³
            factors[code] = item
        return self._frame(d, "2061", hour, factors)

    async def _device(self, d: SimDevice, offset: float) -> None:
        site = Site(d.profile, random.Random(f"{d.mn}:{self.rng.random()}"))
        await asyncio.sleep(offset)
        sent = 0
        current_hour = china_now().replace(minute=0, second=0, microsecond=0)
        backoff = 1.0
        pending: list[bytes] = []
        while self.count is None or sent < self.count or pending:
            try:
                reader, writer = await asyncio.open_connection(self.host, self.port)
            except OSError:
                self.stats["reconnects"] += 1
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, 30)
                continue
            backoff = 1.0
            framer = hj212.FrameReader()
            try:
                while self.count is None or sent < self.count or pending:
                    if not pending:
                        now = china_now()
                        hour = now.replace(minute=0, second=0, microsecond=0)
                        if hour > current_hour:
                            hourly = self._hourly(d, current_hour)
                            current_hour = hour
                            if hourly:
                                pending.append(hourly)
                        pending.append(self._realtime(d, site, now))
                        sent += 1
                    frame = pending[0]
                    writer.write(frame)
                    await writer.drain()
                    self.stats["sent"] += 1
                    if await self._await_reply(reader, framer):
                        pending.pop(0)
                        self.stats["replied"] += 1
                        if not pending and (self.count is None or sent < self.count):
                            await asyncio.sleep(self.interval)
                    # No reply within the timeout: resend the same packet (HJ 212 §6.5 retry).
            except (OSError, asyncio.IncompleteReadError, ConnectionError):
                self.stats["reconnects"] += 1
                await asyncio.sleep(backoff)
            finally:
                writer.close()

    async def _await_reply(self, reader: asyncio.StreamReader, framer: hj212.FrameReader) -> bool:
        try:
            while True:
                data = await asyncio.wait_for(reader.read(4096), self.reply_timeout)
                if not data:
                    raise ConnectionError("server closed the connection")
                for item in framer.feed(data):
                    if not isinstance(item, bytes):
                        continue
                    try:
                        if hj212.parse(item).cn == "9014":
                            return True
                    except hj212.ProtocolError:
                        continue
        except asyncio.TimeoutError:
            return False


def devices_from_db() -> list[SimDevice]:
    from .demo import demo_entry
    from .models import Device

    out = []
    for d in Device.objects.filter(active=True, kind=Device.Kind.ONLINE).order_by("mn"):
        entry = demo_entry(d.mn) or {"site_kind": d.site_kind or ("section" if d.st == "21" else "outfall")}
        codes = d.factor_codes or list(entry.get("factors", []))
        if not codes:
            continue
        out.append(SimDevice(d.mn, d.password, d.st, codes, profile_for(entry), silent=bool(entry.get("silent")),
                             tolerate_lowercase_crc=d.tolerate_lowercase_crc))
    return out
