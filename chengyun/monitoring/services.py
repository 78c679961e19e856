"""Every write of monitoring devices and their data, and the queries other apps use.

Device data arrives from three channels (HJ 212 over TCP, MQTT, laboratory upload); all
of them end in ``store_packets`` / ``store_values``, which upsert on (device, CN, data
time, factor) so that a resent packet changes nothing and no value is ever dropped.
"""
from __future__ import annotations

import hmac
import math
import os
import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Iterable, Mapping, Sequence
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.utils import timezone

from chengyun.core import audit, stamps
from chengyun.core.errors import Conflict, Invalid, NotFound
from chengyun.people import policy
from chengyun.standards import hj212

from . import bulk, catalogue, hooks
from .models import Device, IngestLog, RawFrame, Reading
from .rules import DEVICE_MANAGERS

CHINA = ZoneInfo("Asia/Shanghai")
DATA_CNS = ("2011", "2051", "2061", "2031")
READING_KEY = ("device", "cn", "data_time", "factor")
_UPSERT_FIELDS = ["value", "min", "max", "cou", "flag", "received_at", "source"]

# Same rule the HJ 212 builder applies: these characters would change a frame's structure.
_WIRE_TEXT = re.compile(r"[\x21-\x7e]+", re.ASCII)
_FORBIDDEN = set(";,=&")
_FACTOR_CODE = re.compile(r"[A-Za-z0-9]{1,16}", re.ASCII)
_SITE_CODE = re.compile(r"[A-Za-z0-9_\-]{1,32}", re.ASCII)
_FLAG = re.compile(r"[A-Za-z]{0,4}", re.ASCII)


def raw_frame_days() -> int:
    """How long raw frames are kept for audit (CHENGYUN_RAW_FRAME_DAYS, default 30)."""
    return int(getattr(settings, "CHENGYUN_RAW_FRAME_DAYS", os.environ.get("CHENGYUN_RAW_FRAME_DAYS", "30")))


# ---------------------------------------------------------------- the registry


def _require_manager(user: Any, message: str) -> None:
    # user None is the system itself (demo generator, other apps' jobs).
    if user is not None:
        policy.require_role(user, DEVICE_MANAGERS, message)


def _wire_text(field_name: str, label: str, value: Any, max_length: int) -> str:
    text = str(value or "").strip()
    if not text:
        raise Invalid(f"{label}不能为空", code=f"bad_{field_name}", detail={"field": field_name})
    if len(text) > max_length or not _WIRE_TEXT.fullmatch(text) or _FORBIDDEN & set(text):
        raise Invalid(f"{label}须为不超过 {max_length} 位的可见 ASCII 字符，且不含 ; , = &", code=f"bad_{field_name}",
                      detail={"field": field_name, "value": text})
    return text


_ST = re.compile(r"[0-9]{2}", re.ASCII)


def _clean_st(st: Any) -> str:
    """HJ 212 system code: two ASCII digits (21 surface-water quality, 32 pollution source …)."""
    text = str(st if st is not None else "").strip()
    if not _ST.fullmatch(text):
        raise Invalid(f"系统编码 ST {text!r} 有误（两位数字，如 21 地表水质量监测、32 地表水体环境污染源）", code="bad_st",
                      detail={"field": "st", "value": text})
    return text


def _clean_name(name: Any) -> str:
    text = str(name if name is not None else "").strip()
    limit = Device._meta.get_field("name").max_length
    if not text or len(text) > limit:
        raise Invalid(f"设备名称不能为空且不超过 {limit} 字", code="bad_name", detail={"field": "name", "max_length": limit})
    return text


def _clean_factors(factors: Iterable[Any]) -> list[dict[str, str]]:
    cleaned: list[dict[str, str]] = []
    seen: set[str] = set()
    for i, item in enumerate(factors or ()):
        if isinstance(item, str):
            item = {"code": item}
        if not isinstance(item, Mapping):
            raise Invalid(f"第 {i + 1} 个监测因子格式有误，应为 {{code, unit}}", code="bad_factors", detail={"index": i})
        code = str(item.get("code", "")).strip()
        if not _FACTOR_CODE.fullmatch(code):
            raise Invalid(f"监测因子编码 {code!r} 有误（1–16 位字母数字，如 w01018）", code="bad_factors", detail={"index": i, "code": code})
        if code in seen:
            raise Invalid(f"监测因子 {code} 重复", code="bad_factors", detail={"index": i, "code": code})
        seen.add(code)
        unit = str(item.get("unit") or catalogue.default_unit(code))[:16]
        cleaned.append({"code": code, "unit": unit})
    return cleaned


def _clean_site(site_kind: str, site_code: str) -> tuple[str, str]:
    site_kind = (site_kind or "").strip()
    site_code = (site_code or "").strip()
    if site_kind not in Device.SiteKind.values:
        raise Invalid(f"站点类型 {site_kind!r} 有误，应为 section（断面）或 outfall（排污口）", code="bad_site_kind",
                      detail={"field": "site_kind"})
    if bool(site_kind) != bool(site_code):
        raise Invalid("站点类型与站点编码须同时填写或同时留空", code="bad_site", detail={"field": "site_code"})
    if site_code and not _SITE_CODE.fullmatch(site_code):
        raise Invalid(f"站点编码 {site_code!r} 有误", code="bad_site", detail={"field": "site_code"})
    return site_kind, site_code


def _require_site(site_kind: str, site_code: str) -> None:
    """422 unknown_site unless the site exists (asked through ``hooks.site_exists``: water owns sites)."""
    if site_code and not hooks.site_exists(site_kind, site_code):
        label = Device.SiteKind(site_kind).label
        raise Invalid(f"{label} {site_code} 不存在", code="unknown_site",
                      detail={"field": "site_code", "site_kind": site_kind, "site_code": site_code})


def create_device(user: Any, *, mn: str, password: str, st: str, name: str, factors: Iterable[Any] = (),
                  site_kind: str = "", site_code: str = "", kind: str = Device.Kind.ONLINE,
                  tolerate_lowercase_crc: bool = False, tolerate_swapped_modbus_crc: bool = False,
                  active: bool = True) -> Device:
    """Register a device (ops center / administrator; user None = the system). 409 when the MN exists."""
    _require_manager(user, "只有城运中心或系统管理员可以登记监测设备")
    mn = _wire_text("mn", "设备编码 MN", mn, 24)
    password = _wire_text("password", "访问密码 PW", password, 32)
    st = _clean_st(st)
    name = _clean_name(name)
    if kind not in Device.Kind.values:
        raise Invalid(f"设备类型 {kind!r} 有误", code="bad_kind", detail={"field": "kind"})
    site_kind, site_code = _clean_site(site_kind, site_code)
    _require_site(site_kind, site_code)
    factors = _clean_factors(factors)
    if Device.objects.filter(mn=mn).exists():
        raise Conflict(f"设备编码 {mn} 已登记", code="mn_exists", detail={"mn": mn})
    try:
        with transaction.atomic():
            device = Device.objects.create(
                mn=mn, password=password, st=st, name=name, kind=kind, factors=factors,
                site_kind=site_kind, site_code=site_code, active=active,
                tolerate_lowercase_crc=bool(tolerate_lowercase_crc), tolerate_swapped_modbus_crc=bool(tolerate_swapped_modbus_crc),
            )
            audit.created(device)
            stamps.bump(DEVICES_STAMP)
    except IntegrityError:  # registered by someone else between the check and the insert
        raise Conflict(f"设备编码 {mn} 已登记", code="mn_exists", detail={"mn": mn}) from None
    return device


DEVICE_EDITABLE = {"password", "st", "name", "factors", "active", "tolerate_lowercase_crc", "tolerate_swapped_modbus_crc"}


def update_device(user: Any, device: Device, **changes: Any) -> Device:
    _require_manager(user, "只有城运中心或系统管理员可以修改监测设备")
    refused = set(changes) - DEVICE_EDITABLE
    if refused:
        raise Invalid(f"不能修改字段：{'、'.join(sorted(refused))}", code="bad_field", detail={"fields": sorted(refused)})
    if "password" in changes:
        changes["password"] = _wire_text("password", "访问密码 PW", changes["password"], 32)
    if "factors" in changes:
        changes["factors"] = _clean_factors(changes["factors"])
    if "name" in changes:
        changes["name"] = _clean_name(changes["name"])
    if "st" in changes:
        changes["st"] = _clean_st(changes["st"])
    with transaction.atomic():
        device = Device.objects.select_for_update().get(pk=device.pk)
        before = audit.snapshot(device)
        for key, value in changes.items():
            setattr(device, key, value)
        device.save()
        audit.updated(device, before)
        stamps.bump(DEVICES_STAMP)
    return device


def link_device(user: Any, mn: str, site_kind: str, site_code: str, *, judge_history: bool = False) -> Device:
    """Link a device to a section or outfall by code (empty kind and code unlink it); 422
    unknown_site when the site does not exist. ``judge_history`` (monitoring's own page and API)
    hands the linked device to the ``on_device_linked`` hooks after the commit, so the site's
    owner judges the data the device already has (water's own link does that itself)."""
    _require_manager(user, "只有城运中心或系统管理员可以关联监测设备")
    site_kind, site_code = _clean_site(site_kind, site_code)
    _require_site(site_kind, site_code)
    with transaction.atomic():
        device = Device.objects.select_for_update().filter(mn=mn).first()
        if device is None:
            raise NotFound(f"设备 {mn} 未登记", code="unknown_mn", detail={"mn": mn})
        before = audit.snapshot(device)
        device.site_kind, device.site_code = site_kind, site_code
        device.save(update_fields=["site_kind", "site_code"])
        audit.updated(device, before, verb="link_device")
        stamps.bump(DEVICES_STAMP)
        if judge_history and site_code:
            transaction.on_commit(lambda: hooks.device_linked(device))
    return device


# ---------------------------------------------------------------- the receivers' device cache

# Bumped by every device write above; the receivers compare it at most once a second.
DEVICES_STAMP = "monitoring.devices"


class DeviceCache:
    """The ingesters' devices by MN, kept honest across processes by the ``monitoring.devices`` stamp.

    Found devices are kept until a device service (in any process) bumps the stamp, checked at
    most every ``check_every`` seconds, or for at most ``max_age`` seconds (a change made
    outside the services); an MN that is not registered is never cached, so a device
    registered after its first packet is accepted from its next one. ``run`` wraps the queries
    (the ingesters retry while the database is away)."""

    def __init__(self, *, max_age: float = 300.0, check_every: float = 1.0, run=None) -> None:
        self.max_age = max_age
        self.check_every = check_every
        self._run = run or (lambda fn: fn())
        self._devices: dict[str, tuple[Device, float]] = {}
        self._version: int | None = None
        self._checked_at = -math.inf

    def _check_stamp(self, now: float) -> None:
        if now - self._checked_at < self.check_every:
            return
        current = self._run(lambda: stamps.version(DEVICES_STAMP))
        if current != self._version:
            self._devices.clear()
            self._version = current
        self._checked_at = now

    def load(self, mns: Iterable[str]) -> None:
        """Make sure the devices of these MNs are loaded (one query for those missing)."""
        import time

        now = time.monotonic()
        self._check_stamp(now)
        devices = self._devices
        wanted = [mn for mn in mns if mn and (mn not in devices or now - devices[mn][1] >= self.max_age)]
        if not wanted:
            return
        for device in self._run(lambda: list(Device.objects.filter(mn__in=wanted))):
            devices[device.mn] = (device, now)
        for mn in wanted:  # gone (deleted) since it was cached
            if mn in devices and devices[mn][1] != now:
                del devices[mn]

    def get(self, mn: str) -> Device | None:
        cached = self._devices.get(mn)
        return cached[0] if cached else None

    def lookup(self, mn: str) -> Device | None:
        self.load((mn,))
        return self.get(mn)


# ---------------------------------------------------------------- authentication of senders


class Rejected(Exception):
    """A packet from a sender that is not a known, active device with the right password."""

    def __init__(self, reason: str, message: str):
        super().__init__(message)
        self.reason = reason
        self.message = message


def check_sender(device: Device | None, mn: str, password: str) -> Device:
    if device is None:
        raise Rejected(IngestLog.Reason.UNKNOWN_MN, f"设备 {mn} 未登记")
    if not hmac.compare_digest(device.password.encode(), str(password).encode()):
        raise Rejected(IngestLog.Reason.WRONG_PASSWORD, f"设备 {mn} 密码错误")
    if not device.active:
        raise Rejected(IngestLog.Reason.INACTIVE, f"设备 {mn} 已停用")
    return device


def record_rejections(entries: Sequence[Mapping[str, Any]]) -> None:
    """Log refused packets: each entry has channel, reason, and optionally at, mn, peer, detail, frame."""
    now = timezone.now()
    IngestLog.objects.bulk_create([
        IngestLog(at=e.get("at") or now, channel=e.get("channel", "hj212"), peer=str(e.get("peer", ""))[:64],
                  mn=str(e.get("mn", ""))[:24], reason=e["reason"], detail=str(e.get("detail", ""))[:255],
                  frame=str(e.get("frame", ""))[:10000])
        for e in entries
    ])


# ---------------------------------------------------------------- storing data


@dataclass
class Incoming:
    """One accepted packet waiting to be stored."""

    device: Device
    packet: hj212.Packet
    received_at: datetime
    raw: str = ""
    peer: str = ""
    channel: str = "hj212"


@dataclass
class Stored:
    """What one batch stored for one device: its rows (``_COLUMNS`` tuples) and their (CN, data time) keys."""

    device: Device
    count: int = 0
    keys: set[tuple[str, datetime]] = field(default_factory=set)
    rows: list[tuple] = field(default_factory=list)

    @property
    def readings(self) -> list[Reading]:
        """The stored rows as saved Reading objects (queried)."""
        return stored_readings(self.device, self.keys)

    def unsaved_readings(self) -> list[Reading]:
        """The same values as Reading objects built in memory (no primary key; no query)."""
        latest: dict[tuple, tuple] = {}
        for r in self.rows:
            latest[(r[1], r[3], r[2])] = r
        # Positional construction in the model's field order (id first) skips Django's keyword
        # handling; this runs for every value received, on the ingest path.
        device_field = Reading._meta.get_field("device")
        readings = []
        for r in latest.values():
            reading = Reading(None, *r)
            device_field.set_cached_value(reading, self.device)
            readings.append(reading)
        return readings


def stored_readings(device: Device, keys: Iterable[tuple[str, datetime]]) -> list[Reading]:
    keys = set(keys)
    if not keys:
        return []
    times = {t for _, t in keys}
    cns = {c for c, _ in keys}
    rows = Reading.objects.filter(device_id=device.pk, cn__in=cns, data_time__in=times).order_by("data_time", "cn", "factor")
    return [r for r in rows if (r.cn, r.data_time) in keys]


def china_time(naive: datetime) -> datetime:
    """HJ 212 times are China local time without an offset."""
    return naive.replace(tzinfo=CHINA) if naive.tzinfo is None else naive


_COLUMNS = ("device_id", "cn", "factor", "data_time", "value", "min", "max", "cou", "flag", "received_at", "source")


# Data times outside [EARLIEST_DATA_TIME, now + FUTURE_DATA_TIME] are refused (reason bad_time): a
# clock reset to 0001-01-01 or a logger a century ahead must not reach the readings, and year 1
# cannot even be converted to UTC.
EARLIEST_DATA_TIME = datetime(2000, 1, 1)
FUTURE_DATA_TIME = timedelta(days=1)


def latest_data_time(now: datetime | None = None) -> datetime:
    """The latest acceptable data time, as naive China time (computed once per batch)."""
    return ((now or timezone.now()).astimezone(CHINA) + FUTURE_DATA_TIME).replace(tzinfo=None)


def check_data_time(naive: datetime, latest: datetime) -> None:
    """Refuse an impossible or absurd data time (naive China time); a range check, no parsing."""
    if not EARLIEST_DATA_TIME <= naive <= latest:
        raise Rejected(IngestLog.Reason.BAD_TIME,
                       f"数据时间 {naive.isoformat(sep=' ')} 不可信（须在 2000 年之后且不晚于当前时间一天以上）")


def _packet_time(packet: hj212.Packet, received_at: datetime, latest: datetime) -> datetime:
    data_time = packet.data_time
    if data_time is None:
        return received_at.replace(microsecond=0)
    if data_time.tzinfo is not None:
        data_time = data_time.astimezone(CHINA).replace(tzinfo=None)
    check_data_time(data_time, latest)
    return data_time.replace(tzinfo=CHINA)


FACTOR_CODE_MAX = 16  # Reading.factor's max_length


def rows_from_packet(device_id: int, packet: hj212.Packet, data_time: datetime, received_at: datetime, source: str = "hj212",
                     refused: list[str] | None = None) -> list[tuple]:
    """Reading rows (as _COLUMNS tuples) of one data packet; CNs other than 2011/2051/2061/2031 carry none.

    ``value`` is Rtd for real-time data and Avg for the period data; each falls back on the other.
    A factor code longer than the column is left out (truncated, two codes could collide) and
    appended to ``refused``."""
    if packet.cn not in DATA_CNS:
        return []
    realtime = packet.cn == "2011"
    rows = []
    for code, f in packet.factors.items():
        if len(code) > FACTOR_CODE_MAX:
            if refused is not None:
                refused.append(code)
            continue
        value = (f.rtd if f.rtd is not None else f.avg) if realtime else (f.avg if f.avg is not None else f.rtd)
        flag = "N" if f.flag is None else f.flag[:4]
        rows.append((device_id, packet.cn, code, data_time, value, f.min, f.max, f.cou, flag, received_at, source))
    return rows


def _row_key(row: tuple) -> tuple:
    """A reading row's unique key (device, CN, data time, factor), adapted or not."""
    return (row[0], row[1], row[3], row[2])


def _adapted_rows(rows: Iterable[tuple], adapt) -> list[tuple]:
    """Unique-key reading rows with their datetimes adapted for the database (last value wins)."""
    unique = {_row_key(r): r for r in rows}
    adapted: dict[datetime, Any] = {}
    params = []
    for r in unique.values():
        dt, rt = r[3], r[9]
        if dt not in adapted:
            adapted[dt] = adapt(dt)
        if rt not in adapted:
            adapted[rt] = adapt(rt)
        params.append((r[0], r[1], r[2], adapted[dt], r[4], r[5], r[6], r[7], r[8], adapted[rt], r[10]))
    return params


def _upsert_adapted(params: Sequence[tuple]) -> int:
    from django.db import connection

    return bulk.insert_rows(connection, Reading._meta.db_table, _COLUMNS, params,
                            conflict=("device_id", "cn", "data_time", "factor"), update=_UPSERT_FIELDS)


def write_rows(rows: Sequence[tuple]) -> int:
    """Upsert reading rows (``_COLUMNS`` tuples with aware datetimes) in the current transaction.

    Plain multi-row SQL rather than bulk_create: at ingestion rates the ORM's per-field
    preparation costs more than the database's insert (see ``bulk``). The statement is
    standard INSERT … ON CONFLICT (SQLite ≥ 3.24, PostgreSQL ≥ 9.5). A key repeated within
    the batch keeps its last value, as it would have one statement later.
    """
    from django.db import connection

    return _upsert_adapted(_adapted_rows(rows, connection.ops.adapt_datetimefield_value))


_RAW_COLUMNS = ("received_at", "device_id", "mn", "channel", "peer", "frame", "outcome")


@dataclass
class PreparedPackets:
    """Accepted packets turned into database rows, ready for ``write_packets``.

    Preparing (pure Python) and writing (mostly inside the database driver, which lets other
    threads run) are separate so the HJ 212 receiver can prepare one batch while the
    previous one is being written.
    """

    rows: list[tuple] = field(default_factory=list)  # adapted, unique reading rows
    raw_frames: list[tuple] = field(default_factory=list)  # adapted _RAW_COLUMNS rows
    last_seen: dict[int, datetime] = field(default_factory=dict)
    stored: list[Stored] = field(default_factory=list)
    # Entries refused while preparing, by their index in the entries given: (index, reason,
    # message). Nothing of them is written; the caller logs them (IngestLog + RawFrame).
    refused: list[tuple[int, str, str]] = field(default_factory=list)
    # Factors left out of packets that were stored: (index, code) — a code longer than the column.
    refused_factors: list[tuple[int, str]] = field(default_factory=list)

    def merge(self, other: PreparedPackets) -> None:
        """Append a later batch (its values win on a repeated key)."""
        if other.rows:
            self.rows = _dedupe(self.rows + other.rows) if self.rows else other.rows
        self.raw_frames.extend(other.raw_frames)
        for pk, seen in other.last_seen.items():
            if pk not in self.last_seen or seen > self.last_seen[pk]:
                self.last_seen[pk] = seen
        self.stored.extend(other.stored)


def _dedupe(params: list[tuple]) -> list[tuple]:
    unique = {_row_key(p): p for p in params}
    return list(unique.values()) if len(unique) != len(params) else params


def prepare_packets(entries: Sequence[Incoming], *, keep_raw: bool = True) -> PreparedPackets:
    """The rows that storing ``entries`` writes (no database access)."""
    from django.db import connection

    adapt = connection.ops.adapt_datetimefield_value
    by_device: dict[int, Stored] = {}
    rows: list[tuple] = []
    prepared = PreparedPackets()
    last_seen = prepared.last_seen
    latest = latest_data_time()
    long_codes: list[str] = []
    for index, e in enumerate(entries):
        pk = e.device.pk
        # One packet's defect (an absurd time, or anything unexpected) refuses that packet only.
        try:
            when = _packet_time(e.packet, e.received_at, latest)
            new = rows_from_packet(pk, e.packet, when, e.received_at, e.channel, long_codes)
            if long_codes:
                prepared.refused_factors.extend((index, code) for code in long_codes)
                long_codes.clear()
        except Rejected as rej:
            prepared.refused.append((index, rej.reason, rej.message))
            continue
        except Exception as exc:  # noqa: BLE001 — must not drop the rest of the batch
            prepared.refused.append((index, IngestLog.Reason.MALFORMED, f"无法处理：{type(exc).__name__}: {exc}"[:255]))
            continue
        rows.extend(new)
        stored = by_device.get(pk)
        if stored is None:
            stored = by_device[pk] = Stored(e.device)
        if new:
            stored.count += len(new)
            stored.keys.add((e.packet.cn, when))
            stored.rows.extend(new)
        if keep_raw and e.raw:
            prepared.raw_frames.append((adapt(e.received_at), pk, e.device.mn, e.channel, e.peer[:64], e.raw, RawFrame.Outcome.STORED.value))
        seen = last_seen.get(pk)
        if seen is None or e.received_at > seen:
            last_seen[pk] = e.received_at
    prepared.rows = _adapted_rows(rows, adapt)
    prepared.stored = list(by_device.values())
    return prepared


def write_packets(prepared: PreparedPackets) -> list[Stored]:
    """Write prepared packets in one transaction: readings (upsert), raw frames, last-seen times.

    The on_readings_stored hooks fire after the commit, once per device and batch, with the
    batch's values as Reading objects built in memory (they carry no primary key: reading
    them back would cost a query per device and batch on the ingest path).
    """
    from django.db import connection

    result = prepared.stored
    if not result:
        return []
    with transaction.atomic():
        _upsert_adapted(prepared.rows)
        bulk.insert_rows(connection, RawFrame._meta.db_table, _RAW_COLUMNS, prepared.raw_frames)
        _touch(prepared.last_seen)
        if hooks.callbacks():
            transaction.on_commit(lambda: [hooks.fire_lazy(s.device, _loader(s)) for s in result if s.count])
    for s in result:
        s.device.last_seen_at = prepared.last_seen.get(s.device.pk, s.device.last_seen_at)
    return result


def store_packets(entries: Sequence[Incoming], *, keep_raw: bool = True) -> list[Stored]:
    """Store accepted packets in one transaction (``prepare_packets`` then ``write_packets``).

    Raises ``Rejected`` for the first packet refused while preparing (e.g. bad_time) after
    nothing was written; the ingesters call ``prepare_packets`` themselves and log refusals."""
    if not entries:
        return []
    prepared = prepare_packets(entries, keep_raw=keep_raw)
    if prepared.refused:
        _, reason, message = prepared.refused[0]
        raise Rejected(reason, message)
    return write_packets(prepared)


def _loader(stored: Stored):
    return stored.unsaved_readings


def _touch(last_seen: Mapping[int, datetime]) -> None:
    if not last_seen:
        return
    # One statement for the whole batch: the batch spans a fraction of a second, so its
    # latest receive time is each device's last-seen time to well within a second.
    latest = max(last_seen.values())
    Device.objects.filter(pk__in=list(last_seen)).update(last_seen_at=latest)


def retrying(fn, *, stats: Any = None, stopping: Any = None, log: Any = None):
    """Run ``fn`` for a long-running ingester, retrying with backoff while the database is away.

    The ingesters keep what they received meanwhile (devices get no acknowledgement and
    resend). ``stats`` counts ``db_retries``; once ``stopping`` (an Event) is set the error
    goes up instead, so a stopping ingester is not held by a dead database. ``log``: the
    ingester's logger.
    """
    import logging
    import time

    from django.db import InterfaceError, OperationalError, connection

    delay = 0.5
    while True:
        try:
            return fn()
        except (OperationalError, InterfaceError) as exc:
            if stopping is not None and stopping.is_set():
                raise
            (log or logging.getLogger("chengyun.monitoring")).warning("database unavailable (%s); retrying in %.1f s", exc, delay)
            if stats is not None:
                stats["db_retries"] += 1
            connection.close()
            time.sleep(delay)
            delay = min(delay * 2, 30.0)


def store_packet(device: Device, packet: hj212.Packet, *, received_at: datetime | None = None, raw: str = "",
                 peer: str = "", channel: str = "hj212") -> list[Reading]:
    """Store one accepted packet (see store_packets); returns its stored readings."""
    received_at = received_at or timezone.now()
    stored = store_packets([Incoming(device, packet, received_at, raw or packet.raw, peer, channel)])
    return stored[0].readings if stored else []


def record_raw_frames(frames: Sequence[Mapping[str, Any]]) -> None:
    """Keep refused or malformed frames for audit too (device may be None)."""
    RawFrame.objects.bulk_create([
        RawFrame(received_at=f["received_at"], device_id=f.get("device_id"), mn=str(f.get("mn", ""))[:24],
                 channel=f.get("channel", "hj212"), peer=str(f.get("peer", ""))[:64], frame=f["frame"], outcome=f["outcome"])
        for f in frames
    ], batch_size=2000)


def purge_raw_frames(*, now: datetime | None = None, days: int | None = None) -> int:
    """Delete raw frames older than the retention period; returns how many went."""
    days = raw_frame_days() if days is None else days
    cutoff = (now or timezone.now()) - timedelta(days=days)
    deleted, _ = RawFrame.objects.filter(received_at__lt=cutoff).delete()
    return deleted


# ---------------------------------------------------------------- queries other apps use


def _aware(value: datetime | None) -> datetime | None:
    if value is None:
        return None
    return value.replace(tzinfo=CHINA) if value.tzinfo is None else value


def readings(*, mn: str | None = None, site_kind: str | None = None, site_code: str | None = None,
             factor: str | None = None, cn: str | None = None, start: datetime | None = None,
             end: datetime | None = None) -> QuerySet[Reading]:
    """Stored readings, oldest first. Naive start/end are China local time; end is exclusive.
    ``factor`` is an HJ 212 code or a GB 3838 key (COD → w01018; Hg → w20111 and w20142)."""
    qs = Reading.objects.select_related("device")
    if mn:
        qs = qs.filter(device__mn=mn)
    if site_kind:
        qs = qs.filter(device__site_kind=site_kind)
    if site_code:
        qs = qs.filter(device__site_code=site_code)
    if factor:
        codes = catalogue.codes_for(factor)  # a GB 3838 key (COD, Hg) means its HJ 212 codes
        qs = qs.filter(factor=codes[0]) if len(codes) == 1 else qs.filter(factor__in=codes)
    if cn:
        qs = qs.filter(cn=cn)
    if start:
        qs = qs.filter(data_time__gte=_aware(start))
    if end:
        qs = qs.filter(data_time__lt=_aware(end))
    return qs.order_by("data_time", "factor", "id")


def latest_values(site_kind: str, site_code: str) -> dict[str, Reading]:
    """The newest reading of each factor of the devices linked to a site (any CN, any flag)."""
    devices = list(Device.objects.filter(site_kind=site_kind, site_code=site_code))
    if not devices:
        return {}
    ids = [d.pk for d in devices]
    codes = list(dict.fromkeys(c for d in devices for c in d.factor_codes))
    if not codes:
        codes = list(Reading.objects.filter(device_id__in=ids).values_list("factor", flat=True).distinct())
    out: dict[str, Reading] = {}
    for code in codes:
        reading = (Reading.objects.filter(device_id__in=ids, factor=code).select_related("device")
                   .order_by("-data_time", "-received_at").first())
        if reading is not None:
            out[code] = reading
    return out


# ---------------------------------------------------------------- laboratory results (手工监测)


@dataclass
class LabImport:
    total: int = 0
    stored: int = 0
    errors: list[dict[str, Any]] = field(default_factory=list)
    devices_created: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors

    def to_dict(self) -> dict[str, Any]:
        return {"ok": self.ok, "total": self.total, "stored": self.stored, "errors": self.errors,
                "devices_created": self.devices_created}

    def error(self) -> Invalid:
        """The refusal in the project's error shape: code invalid_rows, detail {"rows": [{row, field, message}]}."""
        rows = sorted({e["row"] for e in self.errors})
        return Invalid(f"{len(self.errors)} 处错误，未入库（第 {'、'.join(map(str, rows[:10]))}{' 等' if len(rows) > 10 else ''} 行）",
                       code="invalid_rows", detail={"rows": self.errors, "total": self.total})


LAB_FIELDS = ("mn", "site_kind", "site_code", "factor", "data_time", "value", "flag")


def _parse_time(text: Any) -> datetime:
    if isinstance(text, datetime):
        return _aware(text)
    value = str(text or "").strip()
    if not value:
        raise ValueError("empty")
    for fmt in ("%Y-%m-%d %H:%M", "%Y-%m-%d %H:%M:%S", "%Y-%m-%d", "%Y%m%d%H%M%S"):
        try:
            return datetime.strptime(value, fmt).replace(tzinfo=CHINA)
        except ValueError:
            pass
    parsed = datetime.fromisoformat(value)
    return parsed.replace(tzinfo=CHINA) if parsed.tzinfo is None else parsed


def lab_device_mn(site_kind: str, site_code: str) -> str:
    return f"LAB-{'S' if site_kind == Device.SiteKind.SECTION else 'O'}-{site_code}"[:24]


def import_lab_results(user: Any, rows: Sequence[Mapping[str, Any]], *, first_row: int = 1) -> LabImport:
    """Store laboratory results; all rows or none. Each row names a device (mn) or a site
    (site_kind + site_code; its 手工监测 device is created on first use), a factor (HJ 212 code
    or GB 3838 key), data_time, value, optional unit (default: GB 3838's unit for a GB 3838 key,
    the code's default unit for a code; stored converted to the code's default unit) and flag.
    Errors name the row (counted from ``first_row``: 2 for a CSV file, whose line 1 is the
    heading) and the field."""
    _require_manager(user, "只有城运中心或系统管理员可以上传手工监测结果")
    report = LabImport(total=len(rows))
    devices = {d.mn: d for d in Device.objects.filter(mn__in=[str(r.get("mn") or "").strip() for r in rows])}
    parsed: list[tuple[str | None, tuple[str, str] | None, str, datetime, float, str]] = []

    latest = latest_data_time()
    known_sites: set[tuple[str, str]] = set()

    def error(n: int, field_name: str, message: str) -> None:
        report.errors.append({"row": n, "field": field_name, "message": message})

    for n, row in enumerate(rows, start=first_row):
        if not isinstance(row, Mapping):
            error(n, "", "该行不是一个对象")
            continue
        if "__extra__" in row:
            error(n, "", "该行的单元格比表头多")
        unknown = sorted(set(row) - set(LAB_FIELDS) - {"unit", "note", "__extra__"})
        if unknown:
            error(n, unknown[0], f"未知的列：{'、'.join(unknown)}")
        mn = str(row.get("mn") or "").strip()
        site_kind = str(row.get("site_kind") or "").strip()
        site_code = str(row.get("site_code") or "").strip()
        site = None
        if mn:
            if mn not in devices:
                error(n, "mn", f"设备 {mn} 未登记")
        elif site_kind or site_code:
            try:
                site = _clean_site(site_kind, site_code)
                if site not in known_sites:
                    _require_site(*site)
                    known_sites.add(site)
            except Invalid as exc:
                error(n, (exc.detail or {}).get("field", "site_code"), exc.message)
                site = None
        else:
            error(n, "mn", "须填写设备编码 mn，或站点类型 site_kind 与站点编码 site_code")
        factor_text = str(row.get("factor") or "").strip()
        try:
            code = catalogue.code_for(factor_text)
        except ValueError:
            error(n, "factor", f"未知的监测因子 {row.get('factor')!r}（填 HJ 212 编码如 w01018，或 COD、NH3N 等）")
            code = ""
        try:
            when = _parse_time(row.get("data_time"))
        except (ValueError, TypeError, OverflowError):
            error(n, "data_time", f"时间 {row.get('data_time')!r} 有误（如 2026-11-25 10:00 或带时区的 ISO 8601）")
            when = None
        if when is not None:
            try:
                check_data_time(when.astimezone(CHINA).replace(tzinfo=None), latest)
            except (Rejected, OverflowError, ValueError) as exc:
                error(n, "data_time", getattr(exc, "message", None) or f"时间 {row.get('data_time')!r} 超出范围")
                when = None
        raw_value = row.get("value")
        try:
            if isinstance(raw_value, bool):
                raise ValueError
            value = float(str(raw_value).strip()) if raw_value not in (None, "") else None
            if value is None or not math.isfinite(value):
                raise ValueError
        except ValueError:
            error(n, "value", f"数值 {raw_value!r} 不是有效数字")
            value = None
        if code and value is not None:
            # A GB 3838 key's value is in GB 3838's unit, a code's in its default unit, unless the
            # unit column says otherwise; stored in the code's default unit.
            try:
                code, value = catalogue.convert_lab_value(factor_text, value, str(row.get("unit") or ""))
            except ValueError as exc:
                error(n, "unit", str(exc))
                value = None
        flag = str(row.get("flag") or "N").strip()
        if not _FLAG.fullmatch(flag):
            error(n, "flag", f"数据标记 {flag!r} 有误（如 N、S）")
        if code and when is not None and value is not None:
            parsed.append((mn or None, site, code, when, value, flag))
    if report.errors:
        return report

    now = timezone.now()
    with transaction.atomic():
        rows_out: list[tuple] = []
        keys: dict[int, set[tuple[str, datetime]]] = {}
        for mn, site, code, when, value, flag in parsed:
            if mn is None:
                lab_mn = lab_device_mn(*site)
                device = devices.get(lab_mn) or Device.objects.filter(mn=lab_mn).first()
                if device is None:
                    device = create_device(user, mn=lab_mn, password=os.urandom(8).hex(), st="21", name=f"手工监测 {site[1]}",
                                           kind=Device.Kind.MANUAL, site_kind=site[0], site_code=site[1])
                    report.devices_created.append(lab_mn)
                devices[lab_mn] = device
            else:
                device = devices[mn]
            rows_out.append((device.pk, Reading.LAB, code, when, value, None, None, None, flag, now, "lab"))
            keys.setdefault(device.pk, set()).add((Reading.LAB, when))
        report.stored = write_rows(rows_out)
        audit.action(None, "import_lab_results", otype="monitoring.reading", object_id="", object_repr="手工监测结果",
                     after={"rows": report.total, "stored": report.stored, "devices_created": report.devices_created})
        by_pk = {d.pk: d for d in devices.values()}
        transaction.on_commit(lambda: [hooks.fire_lazy(by_pk[pk], lambda d=by_pk[pk], k=k: stored_readings(d, k))
                                       for pk, k in keys.items()])
    return report


def factor_refusals(prepared: PreparedPackets, entries: Sequence[Incoming]) -> list[dict[str, Any]]:
    """IngestLog entries (reason bad_factor) for the factors ``prepare_packets`` left out of stored packets."""
    return [{"at": entries[i].received_at, "channel": entries[i].channel, "peer": entries[i].peer, "mn": entries[i].device.mn,
             "reason": IngestLog.Reason.BAD_FACTOR,
             "detail": f"因子编码 {code[:40]} 超过 {FACTOR_CODE_MAX} 位，该因子未入库（其余已入库）", "frame": entries[i].raw}
            for i, code in prepared.refused_factors]
