"""HJ 212-2017 (and HJ/T 212-2005, HJ 212-2025) environmental data transmission frames.

Strict by default: an online monitor that sends a malformed frame should be
told so, not silently half-read.  The vendor deviations seen in the field are
accepted only when asked for, and each one accepted is named in
``Packet.deviations`` so a receiver can log it.  See ``docs/standards/hj212.md``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Literal, Mapping, Union

__all__ = [
    "CN",
    "DATA_FLAGS",
    "DEVIATIONS",
    "FLAG_REPLY",
    "FLAG_SPLIT",
    "Factor",
    "FrameReader",
    "MAX_DATA_LENGTH",
    "Packet",
    "ProtocolError",
    "REASONS",
    "ST",
    "VERSION_BITS",
    "build",
    "crc16",
    "crc16_modbus",
    "data_reply",
    "parse",
]

Version = Literal["2005", "2017", "2025"]

#: Flag bits V5..V0 (shifted left by 2) → protocol version.
VERSION_BITS: Mapping[Version, int] = {"2005": 0b000000, "2017": 0b000001, "2025": 0b000010}
_VERSION_OF_BITS = {bits: version for version, bits in VERSION_BITS.items()}
FLAG_REPLY = 0b01  # A: the sender wants a reply
FLAG_SPLIT = 0b10  # D: split packet, PNUM/PNO present

#: The four decimal digits of the length field cannot say more than this.
MAX_DATA_LENGTH = 9999

#: System codes (ST) this module names; any digits are accepted.
ST: Mapping[str, str] = {"21": "地表水质量监测", "32": "地表水体环境污染源", "91": "系统交互"}
#: Command codes (CN) this module names; any four digits are accepted.
CN: Mapping[str, str] = {
    "2011": "实时数据",
    "2051": "分钟数据",
    "2061": "小时数据",
    "2031": "日数据",
    "9011": "请求应答",
    "9012": "执行结果",
    "9013": "通知应答",
    "9014": "数据应答",
}
#: Per-factor data flags (``xxxxxx-Flag``).  Not enforced: later editions add flags.
DATA_FLAGS: Mapping[str, str] = {
    "N": "在线监控(监测)仪器仪表工作正常",
    "F": "停运",
    "M": "维护",
    "S": "手工输入/设定值",
    "D": "故障",
    "C": "校准",
    "T": "超测上限",
    "B": "通讯异常",
}

REASONS = frozenset(
    {"bad_header", "bad_length", "bad_trailer", "bad_crc", "bad_encoding", "bad_segment", "bad_cp", "bad_time"}
)

#: Vendor deviations ``parse`` can be told to accept; an accepted one is listed in ``Packet.deviations``.
DEVIATIONS: Mapping[str, str] = {
    "lowercase_crc": "CRC printed in lower-case hex",
    "swapped_modbus_crc": "CRC-16/MODBUS printed low byte first instead of the Appendix A CRC",
    "time_milliseconds": "DataTime or SampleTime with milliseconds (YYYYMMDDhhmmsszzz, 17 digits)",
}


class ProtocolError(ValueError):
    """A frame that does not follow the standard; ``reason`` is for machines, the message for people."""

    def __init__(self, reason: str, message: str) -> None:
        assert reason in REASONS, reason
        super().__init__(f"{reason}: {message}")
        self.reason = reason

    def __eq__(self, other: object) -> bool:  # lets tests compare error streams
        return isinstance(other, ProtocolError) and (self.reason, str(self)) == (other.reason, str(other))

    def __hash__(self) -> int:
        return hash((self.reason, str(self)))


def _shift8(value: int) -> int:
    """Eight rounds of the reflected 0xA001 shift-and-XOR on an 8-bit value."""
    for _ in range(8):
        value = (value >> 1) ^ 0xA001 if value & 1 else value >> 1
    return value


# After "drop the high byte, XOR in the data byte" the register holds at most 8 bits, so the
# eight rounds that follow are a function of one byte: a 256-entry table does them at once
# (identical results, ~16x faster than bit by bit — the CRC is on every packet's hot path).
_TABLE: tuple[int, ...] = tuple(_shift8(i) for i in range(256))


def crc16(data: bytes) -> int:
    """HJ 212 Appendix A CRC.

    Unlike CRC-16/MODBUS the byte is XORed into the register *after* dropping
    its high byte, so the two give different results on the same data.
    """
    crc = 0xFFFF
    table = _TABLE
    for byte in data:
        crc = table[(crc >> 8) ^ byte]
    return crc


def crc16_modbus(data: bytes) -> int:
    """CRC-16/MODBUS, only to recognise vendors who used it by mistake."""
    crc = 0xFFFF
    table = _TABLE
    for byte in data:
        crc = (crc >> 8) ^ table[(crc ^ byte) & 0xFF]
    return crc


def _swap_bytes(value: int) -> int:
    return ((value & 0xFF) << 8) | (value >> 8)


@dataclass
class Factor:
    """One monitored factor's fields from CP, e.g. ``w01018-Rtd=12.5,w01018-Flag=N``."""

    code: str
    rtd: float | None = None
    avg: float | None = None
    min: float | None = None
    max: float | None = None
    cou: float | None = None
    flag: str | None = None
    #: ``xxxxxx-SampleTime``, China local time (naive).
    data_time: datetime | None = None
    #: Any other field (``ZsRtd``, ``EFlag``, ...) as sent.
    extra: dict[str, str] = field(default_factory=dict)


_NUMERIC_FIELDS = {"Rtd": "rtd", "Avg": "avg", "Min": "min", "Max": "max", "Cou": "cou"}
# Order fields are written in by ``build``; anything else follows in insertion order.
_FIELD_ORDER = ("SampleTime", "Rtd", "Cou", "Min", "Avg", "Max", "Flag")


@dataclass(kw_only=True)
class Packet:
    """A parsed data segment.  Times are naive China local time, as on the wire."""

    qn: str | None = None
    st: str
    cn: str
    pw: str
    mn: str
    flag: int | None = None
    pnum: int | None = None
    pno: int | None = None
    cp: dict[str, str] = field(default_factory=dict)
    factors: dict[str, Factor] = field(default_factory=dict)
    #: The frame as received (ASCII text, including ``##`` and CRC).
    raw: str = ""
    #: Keys of ``DEVIATIONS`` this frame needed (each at most once, in the order met).
    deviations: list[str] = field(default_factory=list)

    @property
    def version(self) -> Version:
        if self.flag is None:
            return "2005"
        bits = self.flag >> 2
        if bits not in _VERSION_OF_BITS:
            raise ValueError(f"Flag={self.flag} has unknown version bits {bits:06b}")
        return _VERSION_OF_BITS[bits]

    @property
    def reply_wanted(self) -> bool:
        return self.flag is not None and bool(self.flag & FLAG_REPLY)

    @property
    def is_split(self) -> bool:
        return self.pnum is not None

    @property
    def data_time(self) -> datetime | None:
        text = self.cp.get("DataTime")
        # parse() already refused a 17-digit time unless it was told to accept one.
        return None if text is None else _parse_time(text, milliseconds_ok=True)


# ---------------------------------------------------------------- parsing

_QN = re.compile(r"\d{17}", re.ASCII)
_ST = re.compile(r"\d+", re.ASCII)
_CN = re.compile(r"\d{4}", re.ASCII)
_INT = re.compile(r"\d{1,9}", re.ASCII)
_DIGITS = re.compile(r"\d+", re.ASCII)
_NUMBER = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?", re.ASCII)
_HEX4 = re.compile(rb"[0-9A-Fa-f]{4}")
_PRINTABLE = re.compile(rb"[\x20-\x7e]*")
_CP_START = re.compile(r"(?<![^;])CP=&&")  # at the start or right after ';'
_HEADER_KEYS = ("QN", "ST", "CN", "PW", "MN", "Flag", "PNUM", "PNO")


class _TimeError(ValueError):
    """A DataTime/SampleTime that is not a time (``bad_time``)."""


def _parse_time(text: str, *, milliseconds_ok: bool = False) -> datetime:
    """``YYYYMMDDhhmmss``, or with ``milliseconds_ok`` also ``YYYYMMDDhhmmsszzz`` (QN's layout).

    The milliseconds are dropped: a data time names the period the values belong to, which
    the standard gives to the second, and the stored reading is keyed on it — the same upload
    sent with and without ``zzz`` must stay one reading.  The text itself stays in ``Packet.cp``.
    """
    if not _DIGITS.fullmatch(text):
        raise _TimeError(f"time {text!r} is not YYYYMMDDhhmmss (digits only)")
    if len(text) == 17:
        if not milliseconds_ok:
            raise _TimeError(f"time {text!r} has milliseconds (17 digits); the standard gives YYYYMMDDhhmmss")
    elif len(text) != 14:
        # 12 (no seconds), 15 or 16 digits could be read more than one way: refused.
        raise _TimeError(f"time {text!r} has {len(text)} digits, not YYYYMMDDhhmmss (14) or YYYYMMDDhhmmsszzz (17)")
    # ASCII digits (checked above): slicing is several times faster than strptime, and
    # datetime() still refuses impossible dates such as month 13 with a ValueError.
    try:
        return datetime(int(text[0:4]), int(text[4:6]), int(text[6:8]), int(text[8:10]), int(text[10:12]), int(text[12:14]))
    except ValueError as exc:
        raise _TimeError(f"time {text!r} is not a calendar time ({exc})") from None


def _unframe(
    raw: bytes, *, lowercase_ok: bool, swapped_modbus_ok: bool, require_crlf: bool, deviations: list[str]
) -> bytes:
    """Check everything outside the data segment and return the segment (deviations met go to ``deviations``)."""
    if not raw.startswith(b"##"):
        raise ProtocolError("bad_header", "frame does not start with '##'")
    if not raw[2:6].isdigit() or len(raw) < 6:
        raise ProtocolError("bad_length", f"length field {raw[2:6]!r} is not 4 decimal digits")
    declared = int(raw[2:6])
    has_crlf = raw.endswith(b"\r\n")
    if require_crlf and not has_crlf:
        raise ProtocolError("bad_trailer", "frame does not end with CR LF")
    core = raw[:-2] if has_crlf else raw
    actual = len(core) - 10
    if actual != declared:
        raise ProtocolError("bad_length", f"length field says {declared} bytes, data segment has {actual}")
    segment, crc_text = core[6:-4], core[-4:]
    if not _HEX4.fullmatch(crc_text):
        raise ProtocolError("bad_crc", f"CRC field {crc_text!r} is not 4 hex digits")
    if crc_text != crc_text.upper():
        if not lowercase_ok:
            raise ProtocolError("bad_crc", f"CRC {crc_text.decode()} is lower-case; the standard prints upper-case")
        deviations.append("lowercase_crc")
    sent = int(crc_text, 16)
    expected = crc16(segment)
    if sent == expected:
        return segment
    if swapped_modbus_ok and sent == _swap_bytes(crc16_modbus(segment)):
        deviations.append("swapped_modbus_crc")
        return segment
    raise ProtocolError("bad_crc", f"CRC {crc_text.decode()} does not match computed {expected:04X}")


def _header(text: str) -> dict[str, str]:
    if not text.endswith(";"):
        raise ProtocolError("bad_segment", "fields before CP must each end with ';'")
    fields: dict[str, str] = {}
    for item in text[:-1].split(";"):
        key, eq, value = item.partition("=")
        if not eq or not value or "=" in value:
            raise ProtocolError("bad_segment", f"field {item!r} is not KEY=VALUE")
        if key not in _HEADER_KEYS:
            raise ProtocolError("bad_segment", f"unknown field {key!r} before CP")
        if key in fields:
            raise ProtocolError("bad_segment", f"field {key} given twice")
        fields[key] = value
    return fields


def _check(fields: dict[str, str], key: str, pattern: re.Pattern[str]) -> None:
    if key in fields and not pattern.fullmatch(fields[key]):
        raise ProtocolError("bad_segment", f"{key}={fields[key]!r} is malformed")


def _int_field(fields: dict[str, str], key: str) -> int | None:
    _check(fields, key, _INT)
    return int(fields[key]) if key in fields else None


def _time_field(what: str, value: str, milliseconds_ok: bool, deviations: list[str]) -> datetime:
    try:
        when = _parse_time(value, milliseconds_ok=milliseconds_ok)
    except _TimeError as exc:
        raise ProtocolError("bad_time", f"{what}: {exc}") from None
    if len(value) == 17 and "time_milliseconds" not in deviations:
        deviations.append("time_milliseconds")
    return when


def _set_factor_field(factor: Factor, name: str, value: str, milliseconds_ok: bool, deviations: list[str]) -> None:
    attribute = _NUMERIC_FIELDS.get(name)
    if attribute is not None:
        number = float(value) if _NUMBER.fullmatch(value) else None
        if number is None or number in (float("inf"), float("-inf")):
            raise ProtocolError("bad_cp", f"{factor.code}-{name}={value!r} is not a number")
        setattr(factor, attribute, number)
    elif name == "Flag":
        factor.flag = value
    elif name == "SampleTime":
        factor.data_time = _time_field(f"{factor.code}-{name}", value, milliseconds_ok, deviations)
    else:
        factor.extra[name] = value


def _cp(body: str, milliseconds_ok: bool, deviations: list[str]) -> tuple[dict[str, str], dict[str, Factor]]:
    cp: dict[str, str] = {}
    factors: dict[str, Factor] = {}
    seen: set[str] = set()
    if "&&" in body:
        raise ProtocolError("bad_cp", "'&&' inside CP")
    for item in body.split(";") if body else ():
        if not item:
            raise ProtocolError("bad_cp", "empty item in CP")
        for pair in item.split(","):
            key, eq, value = pair.partition("=")
            if not eq or not key or "=" in value:
                raise ProtocolError("bad_cp", f"CP field {pair!r} is not KEY=VALUE")
            if key in seen:
                raise ProtocolError("bad_cp", f"CP field {key} given twice")
            seen.add(key)
            code, dash, name = key.partition("-")
            if not dash:
                cp[key] = value
            elif not code or not name:
                raise ProtocolError("bad_cp", f"CP field {key!r} is not CODE-FIELD")
            else:
                factor = factors.get(code)
                if factor is None:  # not setdefault: that would build a Factor for every field
                    factor = factors[code] = Factor(code)
                _set_factor_field(factor, name, value, milliseconds_ok, deviations)
    if "DataTime" in cp:
        _time_field("DataTime", cp["DataTime"], milliseconds_ok, deviations)
    return cp, factors


def _segment(text: str, milliseconds_ok: bool, deviations: list[str]) -> Packet:
    match = _CP_START.search(text)
    if match is None:
        raise ProtocolError("bad_segment", "no 'CP=&&' in the data segment")
    rest = text[match.end():]
    if not rest.endswith("&&"):
        raise ProtocolError("bad_cp", "CP does not end with '&&' at the end of the data segment")
    fields = _header(text[: match.start()])
    for required in ("ST", "CN", "PW", "MN"):
        if required not in fields:
            raise ProtocolError("bad_segment", f"{required} is missing")
    _check(fields, "QN", _QN)
    _check(fields, "ST", _ST)
    _check(fields, "CN", _CN)
    flag, pnum, pno = (_int_field(fields, k) for k in ("Flag", "PNUM", "PNO"))
    if flag is not None:
        if flag > 0xFF:
            raise ProtocolError("bad_segment", f"Flag={flag} does not fit in 8 bits")
        if flag >> 2 not in _VERSION_OF_BITS:
            raise ProtocolError("bad_segment", f"Flag={flag} has unknown version bits {flag >> 2:06b}")
        if flag >> 2 and "QN" not in fields:
            raise ProtocolError("bad_segment", "QN is missing (required since HJ 212-2017)")
        if bool(flag & FLAG_SPLIT) != (pnum is not None or pno is not None):
            raise ProtocolError("bad_segment", f"Flag={flag} D bit disagrees with PNUM/PNO presence")
    if (pnum is None) != (pno is None):
        raise ProtocolError("bad_segment", "PNUM and PNO must come together")
    if pnum is not None and pno is not None and not 1 <= pno <= pnum:
        raise ProtocolError("bad_segment", f"PNO={pno} is not within 1..PNUM={pnum}")
    cp, factors = _cp(rest[:-2], milliseconds_ok, deviations)
    return Packet(
        qn=fields.get("QN"),
        st=fields["ST"],
        cn=fields["CN"],
        pw=fields["PW"],
        mn=fields["MN"],
        flag=flag,
        pnum=pnum,
        pno=pno,
        cp=cp,
        factors=factors,
        deviations=deviations,
    )


def parse(
    frame: bytes | bytearray | str,
    *,
    tolerate_lowercase_crc: bool = False,
    tolerate_swapped_modbus_crc: bool = False,
    tolerate_time_milliseconds: bool = False,
    require_crlf: bool = True,
) -> Packet:
    """Parse one frame; any defect raises :class:`ProtocolError`, never another exception.

    Each ``tolerate_*`` accepts one deviation of ``DEVIATIONS``; the ones this frame needed
    are listed in ``Packet.deviations``.  ``require_crlf=False`` is for frames whose CR LF a
    line reader already removed.
    """
    if isinstance(frame, str):
        try:
            raw = frame.encode("ascii")
        except UnicodeEncodeError:
            raise ProtocolError("bad_encoding", "frame text is not ASCII") from None
    elif isinstance(frame, (bytes, bytearray, memoryview)):
        raw = bytes(frame)
    else:
        raise TypeError(f"frame must be bytes or str, not {type(frame).__name__}")
    deviations: list[str] = []
    segment = _unframe(
        raw,
        lowercase_ok=tolerate_lowercase_crc,
        swapped_modbus_ok=tolerate_swapped_modbus_crc,
        require_crlf=require_crlf,
        deviations=deviations,
    )
    if not _PRINTABLE.fullmatch(segment):
        raise ProtocolError("bad_encoding", "data segment has a non-ASCII or control byte")
    text = segment.decode("ascii")
    packet = _segment(text, tolerate_time_milliseconds, deviations)
    packet.raw = raw.decode("ascii")
    return packet


# ---------------------------------------------------------------- building

_NAME = re.compile(r"[A-Za-z][A-Za-z0-9]*", re.ASCII)
_CODE = re.compile(r"[A-Za-z0-9]+", re.ASCII)
_TEXT = re.compile(r"[\x21-\x7e]*", re.ASCII)  # printable ASCII without space
_FORBIDDEN = set(";,=&")

Scalar = Union[str, int, float, Decimal, datetime]


def _text(what: str, value: object, *, allow_empty: bool = False) -> str:
    """Format one value; refuse anything that would change the frame's structure."""
    if isinstance(value, bool):
        raise ValueError(f"{what}: {value!r} is not a protocol value")
    if isinstance(value, datetime):
        return value.strftime("%Y%m%d%H%M%S")
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if value != value or value in (float("inf"), float("-inf")):
            raise ValueError(f"{what}: {value!r} is not finite")
        value = Decimal(repr(value))
    if isinstance(value, Decimal):
        if not value.is_finite():
            raise ValueError(f"{what}: {value!r} is not finite")
        return format(value, "f")  # plain decimal: receivers do not all read exponents
    if not isinstance(value, str):
        raise ValueError(f"{what}: {value!r} has unsupported type {type(value).__name__}")
    if not _TEXT.fullmatch(value) or _FORBIDDEN & set(value) or (not value and not allow_empty):
        raise ValueError(f"{what}: {value!r} must be non-empty printable ASCII without ; , = &")
    return value


def _factor_fields(code: str, data: Factor | Mapping[str, Scalar]) -> list[str]:
    items: dict[str, object]
    if isinstance(data, Factor):
        named: dict[str, object] = {
            "SampleTime": data.data_time,
            "Rtd": data.rtd,
            "Cou": data.cou,
            "Min": data.min,
            "Avg": data.avg,
            "Max": data.max,
            "Flag": data.flag,
        }
        items = {k: v for k, v in named.items() if v is not None}
        items.update(data.extra)
    else:
        items = dict(data)
    ordered = [k for k in _FIELD_ORDER if k in items] + [k for k in items if k not in _FIELD_ORDER]
    if not ordered:
        raise ValueError(f"factor {code} has no fields")
    fields = []
    for name in ordered:
        if not _NAME.fullmatch(name):
            raise ValueError(f"factor {code}: field name {name!r} is not alphanumeric")
        if name in _NUMERIC_FIELDS and isinstance(items[name], str):
            if not _NUMBER.fullmatch(str(items[name])):
                raise ValueError(f"{code}-{name}: {items[name]!r} is not a number")
        fields.append(f"{code}-{name}={_text(f'{code}-{name}', items[name], allow_empty=True)}")
    return fields


def build(
    *,
    st: str | int,
    cn: str | int,
    pw: str,
    mn: str,
    cp: Mapping[str, Scalar] | None = None,
    factors: Mapping[str, Factor | Mapping[str, Scalar]] | None = None,
    qn: str | None = None,
    flag: int | None = 4,
    pnum: int | None = None,
    pno: int | None = None,
    data_time: datetime | None = None,
    version: Version = "2017",
) -> bytes:
    """Build one frame.  ``flag`` is written as given and must agree with ``version``.

    A missing ``qn`` is made from the local clock for 2017/2025 (QN is required
    there) and left out for 2005.  Wrong input raises ``ValueError`` before any
    bytes exist, so a caller never sends a frame its own parser would refuse.
    """
    if version not in VERSION_BITS:
        raise ValueError(f"version must be one of {tuple(VERSION_BITS)}, not {version!r}")
    bits = VERSION_BITS[version]
    if flag is None:
        if version != "2005":
            raise ValueError(f"Flag is required for HJ 212-{version}")
    elif isinstance(flag, bool) or not isinstance(flag, int) or not 0 <= flag <= 0xFF:
        raise ValueError(f"flag must be an int 0..255, not {flag!r}")
    elif flag >> 2 != bits:
        raise ValueError(f"flag={flag} carries version bits {flag >> 2:06b}, version={version} needs {bits:06b}")
    if (pnum is None) != (pno is None):
        raise ValueError("pnum and pno must be given together")
    for name, number in (("pnum", pnum), ("pno", pno)):
        if number is not None and (isinstance(number, bool) or not isinstance(number, int)):
            raise ValueError(f"{name} must be an int, not {number!r}")
    if pnum is not None and pno is not None and not 1 <= pno <= pnum:
        raise ValueError(f"pno={pno} is not within 1..pnum={pnum}")
    if flag is not None and bool(flag & FLAG_SPLIT) != (pnum is not None):
        raise ValueError(f"flag={flag}: the D bit (2) must be set exactly when pnum/pno are given")
    if qn is None and version != "2005":
        qn = datetime.now().strftime("%Y%m%d%H%M%S%f")[:17]
    if qn is not None and not _QN.fullmatch(qn):
        raise ValueError(f"qn={qn!r} is not YYYYMMDDhhmmsszzz")
    st_text, cn_text = _text("st", st), _text("cn", cn)
    if not _ST.fullmatch(st_text) or not _CN.fullmatch(cn_text):
        raise ValueError(f"st={st!r} must be digits and cn={cn!r} four digits")

    head = [] if qn is None else [f"QN={qn}"]
    head += [f"ST={st_text}", f"CN={cn_text}", f"PW={_text('pw', pw)}", f"MN={_text('mn', mn)}"]
    if flag is not None:
        head.append(f"Flag={flag}")
    if pnum is not None:
        head += [f"PNUM={pnum}", f"PNO={pno}"]

    cp_items = dict(cp or {})
    if data_time is not None:
        if "DataTime" in cp_items:
            raise ValueError("DataTime given both in cp and as data_time")
        cp_items = {"DataTime": data_time, **cp_items}
    items = []
    for key, value in cp_items.items():
        if not _NAME.fullmatch(key):
            raise ValueError(f"cp key {key!r} must be alphanumeric (factor fields go in factors=)")
        items.append(f"{key}={_text(key, value, allow_empty=True)}")
    for code, data in (factors or {}).items():
        if not _CODE.fullmatch(code):
            raise ValueError(f"factor code {code!r} must be alphanumeric")
        items.append(",".join(_factor_fields(code, data)))

    segment = (";".join(head) + ";CP=&&" + ";".join(items) + "&&").encode("ascii")
    if len(segment) > MAX_DATA_LENGTH:
        raise ValueError(f"data segment of {len(segment)} bytes exceeds {MAX_DATA_LENGTH}")
    frame = _frame(segment)
    try:
        parse(frame)
    except ProtocolError as exc:  # e.g. DataTime text that is not a time
        raise ValueError(f"would build an invalid frame: {exc}") from None
    return frame


def data_reply(packet: Packet) -> bytes:
    """The CN=9014 data reply to an upload that set the A bit.

    The reply repeats QN, PW and MN and speaks the packet's protocol version
    (Flag=4 for HJ 212-2017); a split upload gets one reply per packet.
    """
    if not packet.reply_wanted:
        raise ValueError("packet did not ask for a reply (Flag A bit is 0)")
    if packet.qn is None:
        raise ValueError("packet has no QN to reply to")
    # Every field comes from a packet parse() accepted, so the frame is assembled directly:
    # this runs once per packet on the ingest path and need not re-parse its own output.
    flag = VERSION_BITS[packet.version] << 2
    segment = f"QN={packet.qn};ST=91;CN=9014;PW={packet.pw};MN={packet.mn};Flag={flag};CP=&&&&".encode("ascii")
    return _frame(segment)


def _frame(segment: bytes) -> bytes:
    return b"##%04d%s%04X\r\n" % (len(segment), segment, crc16(segment))


# ---------------------------------------------------------------- streams


class FrameReader:
    """Split a TCP byte stream into frames.

    Only framing is checked here (``##``, 4-digit length, CR LF where the
    length says); CRC and content are :func:`parse`'s job, so one policy for
    tolerant CRCs lives in one place.  Bytes that cannot start a frame are
    skipped one at a time until the next ``##``; a header is also taken for a
    false start when ``CR LF ##`` occurs before the end its length declares
    (a data segment is printable ASCII).  Each run of skipped bytes is
    reported once, as a :class:`ProtocolError`, just before the next frame
    (or by :meth:`close`).  The result does not depend on how the stream was
    chunked, and the buffer never holds more than one maximal frame.
    """

    def __init__(self, max_data_length: int = MAX_DATA_LENGTH) -> None:
        if not 0 <= max_data_length <= MAX_DATA_LENGTH:
            raise ValueError(f"max_data_length must be within 0..{MAX_DATA_LENGTH}")
        self.max_data_length = max_data_length
        self._buffer = bytearray()
        self._skipped = 0
        self._skip_reason = "bad_header"

    @property
    def buffered(self) -> int:
        return len(self._buffer)

    @property
    def max_buffered(self) -> int:
        return 6 + self.max_data_length + 6

    def _skip(self, count: int, reason: str) -> None:
        if count <= 0:
            return
        del self._buffer[:count]
        if not self._skipped:
            self._skip_reason = reason
        self._skipped += count

    def _report_skipped(self, out: list[bytes | ProtocolError]) -> None:
        if self._skipped:
            out.append(
                ProtocolError(self._skip_reason, f"skipped {self._skipped} bytes that do not form a frame")
            )
            self._skipped = 0

    def feed(self, data: bytes) -> list[bytes | ProtocolError]:
        buf = self._buffer
        buf += data
        out: list[bytes | ProtocolError] = []
        while True:
            start = buf.find(b"##")
            if start < 0:
                self._skip(len(buf) - (1 if buf.endswith(b"#") else 0), "bad_header")
                return out
            self._skip(start, "bad_header")
            if len(buf) < 6:
                return out
            digits = bytes(buf[2:6])
            if not digits.isdigit() or int(digits) > self.max_data_length:
                self._skip(1, "bad_length")
                continue
            total = 6 + int(digits) + 4 + 2
            if buf.find(b"\r\n##", 6, total) >= 0:
                # A frame ends and another begins inside the declared length:
                # this header lied.  Without this check a stray "##9999" would
                # hold back every good frame behind it for ~10 kB of traffic.
                self._skip(1, "bad_length")
                continue
            if len(buf) < total:
                return out
            if buf[total - 2 : total] != b"\r\n":
                self._skip(1, "bad_trailer")
                continue
            self._report_skipped(out)
            out.append(bytes(buf[:total]))
            del buf[:total]

    def close(self) -> list[ProtocolError]:
        """End of stream: report skipped bytes and any incomplete frame."""
        out: list[bytes | ProtocolError] = []
        self._skip(len(self._buffer), "bad_length")
        self._report_skipped(out)
        return [e for e in out if isinstance(e, ProtocolError)]  # only errors can be pending
