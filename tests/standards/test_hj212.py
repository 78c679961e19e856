"""HJ 212 frame tests: worked example, strictness, tolerant modes, fuzzing, streams."""

from __future__ import annotations

from datetime import datetime

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from chengyun.standards import hj212
from chengyun.standards.hj212 import (
    MAX_DATA_LENGTH,
    Factor,
    FrameReader,
    Packet,
    ProtocolError,
    build,
    crc16,
    crc16_modbus,
    data_reply,
    parse,
)

# HJ 212-2017 §6.3 worked example.  The prose prints its CRC as 1C08; the
# algorithm of Appendix A gives 1C80, which is what real receivers accept.
EXAMPLE_SEGMENT = (
    b"QN=20160801085857223;ST=32;CN=1062;PW=100000;"
    b"MN=010000A8900016F000169DC0;Flag=5;CP=&&RtdInterval=30&&"
)
EXAMPLE = b"##0101" + EXAMPLE_SEGMENT + b"1C80\r\n"

# A second public vector (a 2011 upload with an empty CP) seen in the wild.
EMPTY_CP_SEGMENT = b"QN=20181111151745000;ST=21;CN=2011;PW=123456;MN=YSRDWQGQ1000001001;Flag=5;CP=&&&&"


def frame_of(segment: bytes, crc: str | None = None, crlf: bool = True) -> bytes:
    """Wrap a data segment by hand, independently of ``build``."""
    crc_text = crc if crc is not None else f"{crc16(segment):04X}"
    return b"##%04d" % len(segment) + segment + crc_text.encode() + (b"\r\n" if crlf else b"")


def swapped_modbus(segment: bytes) -> str:
    m = crc16_modbus(segment)
    return f"{m & 0xFF:02X}{m >> 8:02X}"


# ---------------------------------------------------------------- CRC


def test_worked_example_crc_and_length() -> None:
    assert len(EXAMPLE_SEGMENT) == 101
    assert crc16(EXAMPLE_SEGMENT) == 0x1C80
    assert crc16(b"QN=20181111151745000;ST=21;CN=2011;PW=123456;MN=YSRDWQGQ1000001001;Flag=5;CP=&&&&") == 0x7580


def test_modbus_differs() -> None:
    assert crc16_modbus(EXAMPLE_SEGMENT) != crc16(EXAMPLE_SEGMENT)
    assert crc16_modbus(b"123456789") == 0x4B37  # the CRC-16/MODBUS check value
    assert crc16(b"123456789") != 0x4B37


def test_crc_of_empty_is_initial_register() -> None:
    assert crc16(b"") == 0xFFFF


def test_crc_table_formulation_agrees() -> None:
    """Appendix A leaves only 8 live bits after the XOR, so a 256-entry table must agree."""
    table = []
    for v in range(256):
        for _ in range(8):
            v = (v >> 1) ^ 0xA001 if v & 1 else v >> 1
        table.append(v)

    def by_table(data: bytes) -> int:
        crc = 0xFFFF
        for b in data:
            crc = table[(crc >> 8) ^ b]
        return crc

    for data in (EXAMPLE_SEGMENT, EMPTY_CP_SEGMENT, bytes(range(256))):
        assert by_table(data) == crc16(data)


# ---------------------------------------------------------------- parsing


def test_parse_worked_example() -> None:
    p = parse(EXAMPLE)
    assert (p.qn, p.st, p.cn, p.pw, p.mn, p.flag) == (
        "20160801085857223", "32", "1062", "100000", "010000A8900016F000169DC0", 5,
    )
    assert p.cp == {"RtdInterval": "30"} and p.factors == {}
    assert p.version == "2017" and p.reply_wanted and not p.is_split
    assert p.pnum is None and p.pno is None
    assert p.raw == EXAMPLE.decode()
    assert p.data_time is None


def test_parse_str_and_stripped_crlf() -> None:
    assert parse(EXAMPLE.decode()).qn == "20160801085857223"
    with pytest.raises(ProtocolError) as err:
        parse(EXAMPLE[:-2])
    assert err.value.reason == "bad_trailer"
    assert parse(EXAMPLE[:-2], require_crlf=False).mn == "010000A8900016F000169DC0"
    assert parse(EXAMPLE, require_crlf=False).cn == "1062"


REALISTIC_SEGMENT = (
    b"QN=20240315103000123;ST=32;CN=2011;PW=123456;MN=33010600000001;Flag=5;"
    b"CP=&&DataTime=20240315103000;"
    b"w01001-Rtd=7.21,w01001-Flag=N;"
    b"w01018-Rtd=24.6,w01018-Flag=N;"
    b"w21003-Rtd=0.852,w21003-Flag=N;"
    b"w21011-Rtd=0.182,w21011-Flag=N;"
    b"w21001-Rtd=9.34,w21001-Flag=C;"
    b"w00000-Rtd=12.75,w00000-Flag=N;"
    b"w01009-SampleTime=20240315102900,w01009-Rtd=6.4,w01009-Flag=M;"
    b"w01010-Rtd=-0.5,w01010-Flag=T,w01010-EFlag=A01&&"
)


def test_realistic_2011_packet_with_8_factors() -> None:
    frame = frame_of(REALISTIC_SEGMENT)
    assert frame.startswith(b"##%04d" % len(REALISTIC_SEGMENT))
    p = parse(frame)
    assert p.cn == "2011" and p.st == "32"
    assert p.data_time == datetime(2024, 3, 15, 10, 30)
    assert list(p.factors) == ["w01001", "w01018", "w21003", "w21011", "w21001", "w00000", "w01009", "w01010"]
    assert p.factors["w01018"].rtd == 24.6
    assert p.factors["w21001"].flag == "C"
    assert p.factors["w01009"].data_time == datetime(2024, 3, 15, 10, 29)
    assert p.factors["w01010"].rtd == -0.5
    assert p.factors["w01010"].extra == {"EFlag": "A01"}
    assert p.factors["w01001"].avg is None


def test_minute_packet_fields() -> None:
    seg = (
        b"QN=20240315103000123;ST=32;CN=2051;PW=123456;MN=X1;Flag=4;CP=&&DataTime=20240315102000;"
        b"w01018-Cou=1.5,w01018-Min=20.1,w01018-Avg=22.3,w01018-Max=25,w01018-Flag=N&&"
    )
    f = parse(frame_of(seg)).factors["w01018"]
    assert (f.cou, f.min, f.avg, f.max, f.flag) == (1.5, 20.1, 22.3, 25.0, "N")


def test_factor_fields_may_span_items() -> None:
    seg = b"QN=20240315103000123;ST=32;CN=2011;PW=1;MN=X1;Flag=4;CP=&&a05002-Rtd=7.11,a05002-Flag=N;a05002-SampleTime=20180531104100&&"
    f = parse(frame_of(seg)).factors["a05002"]
    assert f.rtd == 7.11 and f.data_time == datetime(2018, 5, 31, 10, 41)


def test_2005_packet_without_qn_and_flag() -> None:
    seg = b"ST=32;CN=2011;PW=123456;MN=88888880000001;CP=&&DataTime=20040516010101;B01-Rtd=50.5;011-Rtd=40.1,011-Flag=N&&"
    p = parse(frame_of(seg))
    assert p.qn is None and p.flag is None
    assert p.version == "2005" and not p.reply_wanted and not p.is_split
    assert p.factors["011"].rtd == 40.1 and p.factors["B01"].rtd == 50.5
    with pytest.raises(ValueError, match="reply"):
        data_reply(p)


def test_2005_split_packet_without_flag() -> None:
    seg = b"QN=20040516010101001;PNUM=2;PNO=1;ST=32;CN=2011;PW=123456;MN=8888;CP=&&&&"
    p = parse(frame_of(seg))
    assert p.version == "2005" and p.is_split and (p.pnum, p.pno) == (2, 1)


@pytest.mark.parametrize(
    ("flag", "version", "reply", "split"),
    [(0, "2005", False, False), (1, "2005", True, False), (4, "2017", False, False), (5, "2017", True, False),
     (7, "2017", True, True), (8, "2025", False, False), (9, "2025", True, False), (11, "2025", True, True)],
)
def test_flag_bits(flag: int, version: str, reply: bool, split: bool) -> None:
    extra = b"PNUM=3;PNO=2;" if split else b""
    seg = b"QN=20240315103000123;ST=21;CN=2011;PW=1;MN=X;Flag=%d;%sCP=&&&&" % (flag, extra)
    p = parse(frame_of(seg))
    assert (p.version, p.reply_wanted, p.is_split) == (version, reply, split)


def test_unknown_version_bits_rejected() -> None:
    seg = b"QN=20240315103000123;ST=21;CN=2011;PW=1;MN=X;Flag=12;CP=&&&&"
    with pytest.raises(ProtocolError) as err:
        parse(frame_of(seg))
    assert err.value.reason == "bad_segment"


def test_split_packets() -> None:
    frames = [
        build(st=32, cn=2011, pw="123456", mn="MN1", qn="20240315103000123", flag=7, pnum=2, pno=n,
              data_time=datetime(2024, 3, 15, 10, 30), factors={f"w0101{n}": {"Rtd": n, "Flag": "N"}})
        for n in (1, 2)
    ]
    assert b";Flag=7;PNUM=2;PNO=1;CP=&&" in frames[0]
    packets = [parse(f) for f in frames]
    assert [(p.pnum, p.pno, p.is_split) for p in packets] == [(2, 1, True), (2, 2, True)]
    replies = [data_reply(p) for p in packets]
    assert replies[0] == replies[1]  # one reply per packet, same QN
    assert b"PNUM" not in replies[0]


@pytest.mark.parametrize(
    "seg",
    [
        b"QN=20240315103000123;ST=21;CN=2011;PW=1;MN=X;Flag=6;CP=&&&&",  # D bit, no PNUM
        b"QN=20240315103000123;ST=21;CN=2011;PW=1;MN=X;Flag=4;PNUM=2;PNO=1;CP=&&&&",  # PNUM, no D
        b"QN=20240315103000123;ST=21;CN=2011;PW=1;MN=X;Flag=6;PNUM=2;CP=&&&&",
        b"QN=20240315103000123;ST=21;CN=2011;PW=1;MN=X;Flag=6;PNUM=2;PNO=3;CP=&&&&",
        b"QN=20240315103000123;ST=21;CN=2011;PW=1;MN=X;Flag=6;PNUM=2;PNO=0;CP=&&&&",
        b"ST=21;CN=2011;PW=1;MN=X;Flag=4;CP=&&&&",  # 2017 without QN
        b"QN=2024031510300012;ST=21;CN=2011;PW=1;MN=X;Flag=4;CP=&&&&",  # QN 16 digits
        b"QN=20240315103000123;ST=2a;CN=2011;PW=1;MN=X;Flag=4;CP=&&&&",
        b"QN=20240315103000123;ST=21;CN=201;PW=1;MN=X;Flag=4;CP=&&&&",
        b"QN=20240315103000123;ST=21;CN=2011;MN=X;Flag=4;CP=&&&&",  # no PW
        b"QN=20240315103000123;ST=21;CN=2011;PW=1;MN=X;Flag=256;CP=&&&&",
        b"QN=20240315103000123;ST=21;CN=2011;PW=1;MN=X;Flag=x;CP=&&&&",
        b"QN=20240315103000123;ST=21;ST=21;CN=2011;PW=1;MN=X;Flag=4;CP=&&&&",
        b"QN=20240315103000123;ST=21;CN=2011;PW=1;MN=X;Foo=1;Flag=4;CP=&&&&",
        b"QN=20240315103000123;ST=21;CN=2011;PW=1;MN=;Flag=4;CP=&&&&",
        b"QN=20240315103000123;ST=21;CN=2011;PW=1;MN=X;Flag=4CP=&&&&",
        b"QN=20240315103000123;ST=21;CN=2011;PW=1;MN=X;Flag=4;",
        b"",
    ],
)
def test_bad_segment(seg: bytes) -> None:
    with pytest.raises(ProtocolError) as err:
        parse(frame_of(seg))
    assert err.value.reason == "bad_segment"


@pytest.mark.parametrize(
    "cp",
    [
        b"CP=&&DataTime=20240315103000",  # no closing &&
        b"CP=&&w01018-Rtd=abc&&",
        b"CP=&&w01018-Rtd=nan&&",
        b"CP=&&w01018-Rtd=1e999&&",
        b"CP=&&w01018-Rtd=&&",
        b"CP=&&w01018-Rtd=1,w01018-Rtd=2&&",
        b"CP=&&w01018-Rtd=1;;w21003-Rtd=2&&",
        b"CP=&&w01018-Rtd=1;&&",
        b"CP=&&w01018-Rtd&&",
        b"CP=&&-Rtd=1&&",
        b"CP=&&w01018-=1&&",
        b"CP=&&a=b=c&&",
        b"CP=&&a=1&&b=2&&",
    ],
)
def test_bad_cp(cp: bytes) -> None:
    seg = b"QN=20240315103000123;ST=21;CN=2011;PW=1;MN=X;Flag=4;" + cp
    with pytest.raises(ProtocolError) as err:
        parse(frame_of(seg))
    assert err.value.reason == "bad_cp"
    assert "bad_cp" in str(err.value)


def test_bad_crc() -> None:
    with pytest.raises(ProtocolError) as err:
        parse(EXAMPLE.replace(b"1C80", b"1C08"))  # the typo in the standard's prose
    assert err.value.reason == "bad_crc" and "1C80" in str(err.value)
    tampered = EXAMPLE.replace(b"RtdInterval=30", b"RtdInterval=31")
    with pytest.raises(ProtocolError, match="bad_crc"):
        parse(tampered)
    with pytest.raises(ProtocolError, match="bad_crc"):
        parse(EXAMPLE.replace(b"1C80", b"1CZ0"))


@pytest.mark.parametrize(
    "frame",
    [
        EXAMPLE.replace(b"##0101", b"##0100"),
        EXAMPLE.replace(b"##0101", b"##0102"),
        EXAMPLE.replace(b"##0101", b"##01a1"),
        EXAMPLE.replace(b"##0101", b"##+101"),
        b"##01",
        b"##",
        b"##0101\r\n",
        EXAMPLE[:-3] + b"\r\n",
    ],
)
def test_bad_length(frame: bytes) -> None:
    with pytest.raises(ProtocolError) as err:
        parse(frame)
    assert err.value.reason == "bad_length"


@pytest.mark.parametrize("frame", [b"", b"#0101", b"$$0101", b" ##0101", b"\x00\xff", EXAMPLE[1:]])
def test_bad_header(frame: bytes) -> None:
    with pytest.raises(ProtocolError) as err:
        parse(frame)
    assert err.value.reason == "bad_header"


def test_bad_trailer() -> None:
    for frame in (EXAMPLE[:-1], EXAMPLE[:-2] + b"\n\r", EXAMPLE + b"\r\n", EXAMPLE[:-2] + b"\n"):
        with pytest.raises(ProtocolError) as err:
            parse(frame)
        assert err.value.reason in {"bad_trailer", "bad_length"}
    with pytest.raises(ProtocolError) as err:
        parse(EXAMPLE[:-1])
    assert err.value.reason == "bad_trailer"


def test_non_ascii() -> None:
    with pytest.raises(ProtocolError) as err:
        parse("##0003水CP1234\r\n")
    assert err.value.reason == "bad_encoding"
    seg = "QN=20240315103000123;ST=21;CN=2011;PW=1;MN=站点;Flag=4;CP=&&&&".encode("gbk")
    with pytest.raises(ProtocolError) as err:
        parse(frame_of(seg))
    assert err.value.reason == "bad_encoding"
    for control in (b"\r\n", b"\x00", b"\t"):
        seg = b"QN=20240315103000123;ST=21;CN=2011;PW=1;MN=A" + control + b"B;Flag=4;CP=&&&&"
        with pytest.raises(ProtocolError) as err:
            parse(frame_of(seg))
        assert err.value.reason == "bad_encoding"


def test_protocol_error_is_value_error() -> None:
    err = ProtocolError("bad_crc", "x")
    assert isinstance(err, ValueError) and err.reason == "bad_crc"


def test_type_error_for_non_frames() -> None:
    with pytest.raises(TypeError):
        parse(12345)  # type: ignore[arg-type]


# ---------------------------------------------------------------- tolerant modes


def test_lowercase_crc_only_in_tolerant_mode() -> None:
    lower = EXAMPLE.replace(b"1C80", b"1c80")
    with pytest.raises(ProtocolError) as err:
        parse(lower)
    assert err.value.reason == "bad_crc" and "lower-case" in str(err.value)
    assert parse(lower, tolerate_lowercase_crc=True).qn == "20160801085857223"
    with pytest.raises(ProtocolError, match="bad_crc"):
        parse(EXAMPLE.replace(b"1C80", b"1c81"), tolerate_lowercase_crc=True)


def test_swapped_modbus_crc_only_in_tolerant_mode() -> None:
    vendor = frame_of(EXAMPLE_SEGMENT, crc=swapped_modbus(EXAMPLE_SEGMENT))
    assert vendor != EXAMPLE and vendor.endswith(b"5907\r\n")
    with pytest.raises(ProtocolError, match="bad_crc"):
        parse(vendor)
    assert parse(vendor, tolerate_swapped_modbus_crc=True).cp == {"RtdInterval": "30"}
    # unswapped Modbus is not a deviation we accept
    plain = frame_of(EXAMPLE_SEGMENT, crc=f"{crc16_modbus(EXAMPLE_SEGMENT):04X}")
    with pytest.raises(ProtocolError, match="bad_crc"):
        parse(plain, tolerate_swapped_modbus_crc=True)
    # both deviations at once need both flags
    both = frame_of(REALISTIC_SEGMENT, crc=swapped_modbus(REALISTIC_SEGMENT).lower())
    assert both.endswith(b"2cb1\r\n")
    with pytest.raises(ProtocolError, match="lower-case"):
        parse(both, tolerate_swapped_modbus_crc=True)
    assert parse(both, tolerate_swapped_modbus_crc=True, tolerate_lowercase_crc=True).cn == "2011"


# ---------------------------------------------------------------- build & reply


def test_data_reply_exact_bytes() -> None:
    reply = data_reply(parse(EXAMPLE))
    assert reply == (
        b"##0087QN=20160801085857223;ST=91;CN=9014;PW=100000;"
        b"MN=010000A8900016F000169DC0;Flag=4;CP=&&&&71C0\r\n"
    )
    r = parse(reply)
    assert (r.st, r.cn, r.flag, r.cp, r.factors) == ("91", "9014", 4, {}, {})


def test_reply_to_2025_packet_keeps_version() -> None:
    seg = b"QN=20250101000000000;ST=21;CN=2011;PW=1;MN=X;Flag=9;CP=&&&&"
    reply = parse(data_reply(parse(frame_of(seg))))
    assert reply.flag == 8 and reply.version == "2025" and reply.qn == "20250101000000000"


def test_no_reply_when_not_asked() -> None:
    with pytest.raises(ValueError, match="reply"):
        data_reply(parse(frame_of(EXAMPLE_SEGMENT.replace(b"Flag=5", b"Flag=4"))))


def test_build_worked_example_exactly() -> None:
    frame = build(st="32", cn="1062", pw="100000", mn="010000A8900016F000169DC0",
                  qn="20160801085857223", flag=5, cp={"RtdInterval": 30})
    assert frame == EXAMPLE


def test_build_realistic_packet_exactly() -> None:
    frame = build(
        st=32, cn=2011, pw="123456", mn="33010600000001", qn="20240315103000123", flag=5,
        data_time=datetime(2024, 3, 15, 10, 30),
        factors={
            "w01001": {"Rtd": 7.21, "Flag": "N"},
            "w01018": {"Rtd": 24.6, "Flag": "N"},
            "w21003": {"Rtd": 0.852, "Flag": "N"},
            "w21011": {"Rtd": 0.182, "Flag": "N"},
            "w21001": {"Rtd": 9.34, "Flag": "C"},
            "w00000": {"Rtd": 12.75, "Flag": "N"},
            "w01009": Factor("w01009", rtd=6.4, flag="M", data_time=datetime(2024, 3, 15, 10, 29)),
            "w01010": Factor("w01010", rtd=-0.5, flag="T", extra={"EFlag": "A01"}),
        },
    )
    assert frame == frame_of(REALISTIC_SEGMENT)


def test_build_2005_without_qn_flag() -> None:
    frame = build(st=32, cn=2011, pw="123456", mn="8888", flag=None, version="2005",
                  factors={"011": {"Rtd": 40.1}})
    assert frame.startswith(b"##") and b"QN=" not in frame and b"Flag" not in frame
    assert parse(frame).version == "2005"


def test_build_generates_qn_for_2017() -> None:
    p = parse(build(st=21, cn=2011, pw="1", mn="X"))
    assert p.qn is not None and len(p.qn) == 17 and p.flag == 4
    datetime.strptime(p.qn[:14], "%Y%m%d%H%M%S")


def test_build_2025() -> None:
    p = parse(build(st=21, cn=2011, pw="1", mn="X", flag=9, version="2025", qn="20250101000000000"))
    assert p.version == "2025" and p.reply_wanted


def test_build_writes_plain_decimals() -> None:
    frame = build(st=21, cn=2011, pw="1", mn="X", qn="20250101000000000", factors={"w20111": {"Rtd": 1e-7}})
    assert b"w20111-Rtd=0.0000001" in frame
    assert parse(frame).factors["w20111"].rtd == 1e-7


@pytest.mark.parametrize(
    "kwargs",
    [
        {"flag": 8},  # 2025 bits with version 2017
        {"flag": 4, "version": "2025"},
        {"flag": None},
        {"flag": 6},  # D bit without pnum
        {"flag": 4, "pnum": 2, "pno": 1},
        {"flag": 6, "pnum": 2},
        {"flag": 6, "pnum": 2, "pno": 3},
        {"flag": 6, "pnum": "2", "pno": 1},
        {"flag": 300},
        {"flag": True},
        {"version": "2019"},
        {"qn": "2024"},
        {"mn": "A;B"},
        {"pw": ""},
        {"mn": "站"},
        {"st": "x1"},
        {"cn": 20111},
        {"cp": {"a-b": 1}},
        {"cp": {"DataTime": "tomorrow"}},
        {"cp": {"DataTime": "20240101000000"}, "data_time": datetime(2024, 1, 1)},
        {"cp": {"x": float("nan")}},
        {"cp": {"x": True}},
        {"cp": {"x": [1]}},
        {"factors": {"w01018": {}}},
        {"factors": {"w-1": {"Rtd": 1}}},
        {"factors": {"w01018": {"Rtd": "abc"}}},
        {"factors": {"w01018": {"Rtd": float("inf")}}},
        {"factors": {"w01018": {"Flag": "N,O"}}},
        {"factors": {"w01018": {"Bad-Name": 1}}},
        {"cp": {"Info": "x" * 10000}},
    ],
)
def test_build_rejects(kwargs: dict[str, object]) -> None:
    base: dict[str, object] = {"st": 21, "cn": 2011, "pw": "1", "mn": "X", "qn": "20250101000000000"}
    base.update(kwargs)
    with pytest.raises(ValueError):
        build(**base)  # type: ignore[arg-type]


# ---------------------------------------------------------------- properties

_text = st.text(alphabet="0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz", min_size=1, max_size=24)
_qn = st.from_regex(r"[0-9]{17}", fullmatch=True)
_number = st.builds(lambda i, k: i / 10**k, st.integers(-10**9, 10**9), st.integers(0, 6))
_code = st.from_regex(r"[aw][0-9]{5}", fullmatch=True)
_factor = st.fixed_dictionaries(
    {},
    optional={
        "Rtd": _number, "Avg": _number, "Min": _number, "Max": _number, "Cou": _number,
        "Flag": st.sampled_from("NFMSDCTB"),
        "SampleTime": st.datetimes(datetime(2000, 1, 1), datetime(2099, 12, 31)).map(lambda d: d.replace(microsecond=0)),
        "ZsRtd": _number,
    },
).filter(bool)


@st.composite
def packets(draw: st.DrawFn) -> dict[str, object]:
    version = draw(st.sampled_from(["2005", "2017", "2025"]))
    bits = {"2005": 0, "2017": 1, "2025": 2}[version]
    split = draw(st.booleans())
    reply = draw(st.booleans())
    kwargs: dict[str, object] = {
        "st": draw(st.sampled_from(["21", "32", "91"])),
        "cn": draw(st.sampled_from(["2011", "2051", "2061", "2031", "1062"])),
        "pw": draw(_text.map(lambda s: s[:6])),
        "mn": draw(_text),
        "qn": draw(_qn),
        "version": version,
        "flag": bits << 2 | (2 if split else 0) | int(reply),
        "factors": draw(st.dictionaries(_code, _factor, max_size=6)),
        "cp": draw(st.dictionaries(st.sampled_from(["RtdInterval", "MinInterval", "Info"]), st.integers(0, 9999), max_size=2)),
    }
    if draw(st.booleans()):
        kwargs["data_time"] = draw(st.datetimes(datetime(2000, 1, 1), datetime(2099, 12, 31))).replace(microsecond=0)
    if split:
        pnum = draw(st.integers(1, 9999))
        kwargs.update(pnum=pnum, pno=draw(st.integers(1, pnum)))
    if version == "2005" and draw(st.booleans()):
        kwargs["flag"] = None
        kwargs.pop("pnum", None), kwargs.pop("pno", None)
    return kwargs


_ATTR = {"Rtd": "rtd", "Avg": "avg", "Min": "min", "Max": "max", "Cou": "cou", "Flag": "flag", "SampleTime": "data_time"}


@given(packets())
def test_build_parse_round_trip(kwargs: dict[str, object]) -> None:
    frame = build(**kwargs)  # type: ignore[arg-type]
    p = parse(frame)
    assert p.raw.encode() == frame
    assert (p.qn, p.st, p.cn, p.pw, p.mn, p.flag) == tuple(kwargs[k] for k in ("qn", "st", "cn", "pw", "mn", "flag"))
    assert (p.pnum, p.pno) == (kwargs.get("pnum"), kwargs.get("pno"))
    assert p.version == kwargs["version"]
    assert p.data_time == kwargs.get("data_time")
    factors = kwargs["factors"]
    assert isinstance(factors, dict)
    assert list(p.factors) == list(factors)
    for code, fields in factors.items():
        got = p.factors[code]
        for name, value in fields.items():
            if name in _ATTR:
                assert getattr(got, _ATTR[name]) == value
            else:
                assert float(got.extra[name]) == value
    # and the parsed packet rebuilds to the very same bytes
    again = build(st=p.st, cn=p.cn, pw=p.pw, mn=p.mn, qn=p.qn, flag=p.flag, pnum=p.pnum, pno=p.pno,
                  cp=p.cp, factors=p.factors, version=p.version)
    assert parse(again).factors == p.factors


@given(st.binary(max_size=300))
def test_arbitrary_bytes_never_crash(data: bytes) -> None:
    for strict in (True, False):
        try:
            result = parse(data, tolerate_lowercase_crc=not strict, tolerate_swapped_modbus_crc=not strict,
                           require_crlf=strict)
        except ProtocolError as err:
            assert type(err) is ProtocolError and err.reason in {
                "bad_header", "bad_length", "bad_trailer", "bad_crc", "bad_encoding", "bad_segment", "bad_cp", "bad_time"}
        else:
            assert isinstance(result, Packet)


_segment_alphabet = st.sampled_from(
    ["QN=", "ST=", "CN=", "PW=", "MN=", "Flag=", "PNUM=", "PNO=", "CP=&&", "&&", ";", ",", "=", "-",
     "DataTime=", "w01018-", "Rtd=", "Flag=", "SampleTime=", "1", "9", "20240315103000", "20240315103000123",
     "N", ".", "e", "x", "\xe9", "\x00", "#", "\r\n"]
)


@given(st.lists(_segment_alphabet, max_size=40).map("".join))
def test_well_framed_garbage_segments_never_crash(text: str) -> None:
    """Correct length and CRC around arbitrary structure, so the segment parser is exercised."""
    segment = text.encode("latin-1")
    try:
        result = parse(frame_of(segment))
    except ProtocolError as err:
        assert type(err) is ProtocolError
    else:
        assert isinstance(result, Packet)


@given(packets(), st.integers(min_value=0), st.integers(0, 255))
def test_mutated_frames_never_crash(kwargs: dict[str, object], where: int, byte: int) -> None:
    frame = bytearray(build(**kwargs))  # type: ignore[arg-type]
    frame[where % len(frame)] = byte
    try:
        parse(bytes(frame))
    except ProtocolError:
        pass


# ---------------------------------------------------------------- FrameReader


def _feed_in_chunks(reader: FrameReader, stream: bytes, cuts: list[int]) -> list[bytes | ProtocolError]:
    out: list[bytes | ProtocolError] = []
    last = 0
    for cut in sorted(c % (len(stream) + 1) for c in cuts) + [len(stream)]:
        out += reader.feed(stream[last:cut])
        last = cut
    return out + reader.close()


def test_reader_several_frames_in_one_read_and_split_reads() -> None:
    reader = FrameReader()
    stream = EXAMPLE + frame_of(REALISTIC_SEGMENT) + EXAMPLE
    assert reader.feed(stream[:50]) == []
    got = reader.feed(stream[50:300])
    assert got == [EXAMPLE]
    got = reader.feed(stream[300:])
    assert got == [frame_of(REALISTIC_SEGMENT), EXAMPLE]
    assert reader.buffered == 0 and reader.close() == []


def test_reader_resynchronises_on_garbage() -> None:
    reader = FrameReader()
    out = reader.feed(b"garbage\r\n#" + EXAMPLE + b"##12x" + b"##0999abc" + EXAMPLE + EXAMPLE)
    assert [x if isinstance(x, bytes) else (x.reason, str(x)) for x in out] == [
        ("bad_header", "bad_header: skipped 10 bytes that do not form a frame"),
        EXAMPLE,
        ("bad_length", "bad_length: skipped 14 bytes that do not form a frame"),
        EXAMPLE,
        EXAMPLE,
    ]
    assert reader.buffered == 0


def test_reader_false_header_does_not_hold_back_later_frames() -> None:
    """'##0999' cannot make the reader wait for 1011 bytes once a frame visibly ends inside them."""
    reader = FrameReader()
    assert reader.feed(b"##0999abc" + EXAMPLE) == []  # nothing proves it false yet
    out = reader.feed(EXAMPLE)
    assert [x for x in out if isinstance(x, bytes)] == [EXAMPLE, EXAMPLE]


def test_reader_truncated_frame_then_good_frame() -> None:
    reader = FrameReader()
    truncated = EXAMPLE[:60]
    out = reader.feed(truncated + EXAMPLE + EXAMPLE)
    frames = [x for x in out if isinstance(x, bytes)]
    errors = [x for x in out if isinstance(x, ProtocolError)]
    assert frames == [EXAMPLE, EXAMPLE]
    assert [e.reason for e in errors] == ["bad_trailer"]


def test_reader_bad_crc_frame_is_delivered_for_parse_to_reject() -> None:
    bad = EXAMPLE.replace(b"1C80", b"1C08")
    out = FrameReader().feed(bad)
    assert out == [bad]
    with pytest.raises(ProtocolError, match="bad_crc"):
        parse(out[0])  # type: ignore[arg-type]


def test_reader_caps_buffer() -> None:
    reader = FrameReader(max_data_length=200)
    reader.feed(b"x" * 100_000)
    assert reader.buffered == 0
    reader.feed(b"##0200" + b"y" * 100_000)
    assert reader.buffered <= reader.max_buffered
    reader.feed(b"##9999" + b"y" * 50)  # longer than allowed: a false start, not a wait
    assert reader.buffered <= reader.max_buffered
    default = FrameReader()
    default.feed(b"##9999" + b"z" * 20_000)
    assert default.buffered <= default.max_buffered == 6 + MAX_DATA_LENGTH + 6
    with pytest.raises(ValueError):
        FrameReader(max_data_length=10_000)


def test_reader_close_reports_incomplete_frame() -> None:
    reader = FrameReader()
    assert reader.feed(EXAMPLE[:40]) == []
    errors = reader.close()
    assert len(errors) == 1 and errors[0].reason == "bad_length" and "40 bytes" in str(errors[0])
    assert reader.close() == []


_garbage = st.binary(max_size=40).map(lambda b: b.replace(b"#", b"."))


@settings(suppress_health_check=[HealthCheck.too_slow], deadline=None)
@given(st.lists(st.tuples(_garbage, packets()), max_size=6), _garbage, st.lists(st.integers(min_value=0), max_size=12))
def test_reader_recovers_every_frame_under_any_chunking(
    parts: list[tuple[bytes, dict[str, object]]], tail: bytes, cuts: list[int]
) -> None:
    frames = [build(**kwargs) for _, kwargs in parts]  # type: ignore[arg-type]
    stream = b"".join(g + f for (g, _), f in zip(parts, frames)) + tail
    out = _feed_in_chunks(FrameReader(), stream, cuts)
    assert [x for x in out if isinstance(x, bytes)] == frames
    expected_errors = sum(1 for g, _ in parts if g) + (1 if tail else 0)
    assert sum(isinstance(x, ProtocolError) for x in out) == expected_errors
    assert all(isinstance(parse(f), Packet) for f in frames)


@given(st.lists(st.one_of(st.binary(max_size=30), st.just(EXAMPLE), st.just(b"##"), st.just(b"##0101"),
                          st.just(b"\r\n")), max_size=12).map(b"".join),
       st.lists(st.integers(min_value=0), max_size=12))
def test_reader_output_does_not_depend_on_chunking(stream: bytes, cuts: list[int]) -> None:
    whole = _feed_in_chunks(FrameReader(), stream, [])
    chunked = _feed_in_chunks(FrameReader(), stream, cuts)
    assert chunked == whole
    consumed = sum(len(x) for x in whole if isinstance(x, bytes))
    assert consumed <= len(stream)


@given(st.binary(max_size=300))
def test_table_crc_equals_the_bit_by_bit_algorithm_of_appendix_a(data):
    def appendix_a(buf: bytes) -> int:
        crc = 0xFFFF
        for byte in buf:
            crc = (crc >> 8) ^ byte
            for _ in range(8):
                crc = (crc >> 1) ^ 0xA001 if crc & 1 else crc >> 1
        return crc

    def modbus(buf: bytes) -> int:
        crc = 0xFFFF
        for byte in buf:
            crc ^= byte
            for _ in range(8):
                crc = (crc >> 1) ^ 0xA001 if crc & 1 else crc >> 1
        return crc

    assert hj212.crc16(data) == appendix_a(data)
    assert hj212.crc16_modbus(data) == modbus(data)


@given(st.sampled_from(["2005", "2017", "2025"]), st.text(alphabet="0123456789ABCDEF", min_size=1, max_size=24))
def test_data_reply_is_what_build_would_make(version, mn):
    flag = (hj212.VERSION_BITS[version] << 2) | 1
    packet = hj212.parse(hj212.build(st="32", cn="2011", pw="123456", mn=mn, qn="20260101000000000", flag=flag, version=version))
    assert hj212.data_reply(packet) == hj212.build(st="91", cn="9014", pw="123456", mn=mn, qn="20260101000000000",
                                                  flag=hj212.VERSION_BITS[version] << 2, version=version)


@pytest.mark.parametrize("stamp", ["20261301000000", "20260230120000", "20260101246000", "20260101000060"])
def test_impossible_data_times_are_refused(stamp):
    segment = f"QN=20260101000000000;ST=21;CN=2011;PW=123456;MN=M1;Flag=4;CP=&&DataTime={stamp};w01018-Rtd=1.0&&".encode()
    frame = b"##%04d%s%04X\r\n" % (len(segment), segment, hj212.crc16(segment))
    for milliseconds_ok in (False, True):
        with pytest.raises(ProtocolError) as exc:
            hj212.parse(frame, tolerate_time_milliseconds=milliseconds_ok)
        assert exc.value.reason == "bad_time" and "DataTime" in str(exc.value) and "calendar" in str(exc.value)


# ---------------------------------------------------------------- data times with milliseconds

# Real packets from two public HJ 212 parsers (the facts, copied as test data): both put
# milliseconds in DataTime (17 digits, QN's layout) and have no QN or Flag (HJ/T 212-2005 style).
# xiaoyao9184/hj-t212-parser (its tests and benchmark); upper-case CRC, Appendix A correct.
XIAOYAO_MS = (b"##0139ST=32;CN=2011;PW=123456;MN=LD130133000015;CP=&&DataTime=20160824003817000;"
              b"B01-Rtd=36.91;011-Rtd=231.0,011-Flag=N;060-Rtd=1.803,060-Flag=N&&4980\r\n")
# chenqi92/alltobs-hj212 (README, "生成Hj212编码"): lower-case CRC as well.
ALLTOBS_MS = (b"##0109ST=32;CN=2011;PW=123456;MN=NJGDKYYC202101q0001w0001;CP=&&DataTime=20210305003817000;"
              b"ele01-Rtd=1;ele02-Rtd=0&&8c41\r\n")


def test_real_packets_with_millisecond_data_times() -> None:
    with pytest.raises(ProtocolError) as err:
        parse(XIAOYAO_MS)
    assert err.value.reason == "bad_time" and "milliseconds" in str(err.value)
    p = parse(XIAOYAO_MS, tolerate_time_milliseconds=True)
    assert p.deviations == ["time_milliseconds"]
    # Truncated to the second: the period the values belong to; the text is kept as sent.
    assert p.data_time == datetime(2016, 8, 24, 0, 38, 17) and p.cp["DataTime"] == "20160824003817000"
    assert (p.mn, p.version, p.factors["011"].rtd, p.factors["060"].flag) == ("LD130133000015", "2005", 231.0, "N")
    q = parse(ALLTOBS_MS, tolerate_time_milliseconds=True, tolerate_lowercase_crc=True)
    assert q.deviations == ["lowercase_crc", "time_milliseconds"]
    assert q.data_time == datetime(2021, 3, 5, 0, 38, 17) and q.factors["ele02"].rtd == 0.0
    with pytest.raises(ProtocolError, match="lower-case"):
        parse(ALLTOBS_MS, tolerate_time_milliseconds=True)


def test_a_strict_frame_has_no_deviations() -> None:
    assert parse(EXAMPLE).deviations == []
    assert parse(EXAMPLE, tolerate_lowercase_crc=True, tolerate_time_milliseconds=True).deviations == []
    assert parse(EXAMPLE.replace(b"1C80", b"1c80"), tolerate_lowercase_crc=True).deviations == ["lowercase_crc"]
    vendor = frame_of(EXAMPLE_SEGMENT, crc=swapped_modbus(EXAMPLE_SEGMENT))
    assert parse(vendor, tolerate_swapped_modbus_crc=True).deviations == ["swapped_modbus_crc"]


def test_sample_time_with_milliseconds_is_the_same_deviation_once() -> None:
    seg = (b"QN=20240315103000123;ST=21;CN=2061;PW=1;MN=X;Flag=4;CP=&&DataTime=20240315100000000;"
           b"w01018-SampleTime=20240315095959999,w01018-Avg=1;w21003-SampleTime=20240315100000&&")
    with pytest.raises(ProtocolError, match="bad_time"):
        parse(frame_of(seg))
    p = parse(frame_of(seg), tolerate_time_milliseconds=True)
    assert p.deviations == ["time_milliseconds"]
    assert p.factors["w01018"].data_time == datetime(2024, 3, 15, 9, 59, 59)
    assert p.factors["w21003"].data_time == datetime(2024, 3, 15, 10, 0, 0)


@pytest.mark.parametrize("stamp,words", [
    ("202403151030", "12 digits"),          # no seconds: ambiguous, refused
    ("202403151030001", "15 digits"),
    ("2024031510300012", "16 digits"),
    ("202403151030001234", "18 digits"),
    ("2024031510300", "13 digits"),
    ("2024-03-15 10:30:00", "digits only"),
    ("20240315103000.123", "digits only"),
    ("２０２４０３１５１０３０００", "digits only"),
    ("20241315103000000", "calendar"),       # month 13, with milliseconds
    ("20240230103000000", "calendar"),
    ("yesterday", "digits only"),
])
def test_other_time_shapes_are_refused_with_bad_time(stamp: str, words: str) -> None:
    for field in (f"DataTime={stamp}", f"w01018-SampleTime={stamp},w01018-Rtd=1"):
        seg = f"QN=20240315103000123;ST=21;CN=2011;PW=1;MN=X;Flag=4;CP=&&{field}&&".encode()
        with pytest.raises(ProtocolError) as err:
            parse(frame_of(seg), tolerate_time_milliseconds=True, tolerate_lowercase_crc=True)
        if stamp.isascii():
            assert err.value.reason == "bad_time" and words in str(err.value), str(err.value)
        else:  # full-width digits are not ASCII: refused before any field is read
            assert err.value.reason == "bad_encoding"


_moments = st.datetimes(datetime(1, 1, 1), datetime(9999, 12, 31))


@given(_moments, st.integers(0, 999))
def test_any_17_digit_time_is_its_14_digit_time(moment: datetime, millis: int) -> None:
    """With milliseconds accepted, YYYYMMDDhhmmsszzz reads as YYYYMMDDhhmmss for every calendar time."""
    plain = f"{moment.year:04d}{moment:%m%d%H%M%S}"
    seg = f"QN={plain}{millis:03d};ST=21;CN=2011;PW=1;MN=X;Flag=4;CP=&&DataTime={plain}{millis:03d};w01018-Rtd=1&&".encode()
    p = parse(frame_of(seg), tolerate_time_milliseconds=True)
    q = parse(frame_of(seg.replace(f"DataTime={plain}{millis:03d}".encode(), f"DataTime={plain}".encode())))
    assert p.data_time == q.data_time == moment.replace(microsecond=0)
    assert p.deviations == ["time_milliseconds"] and q.deviations == []
    assert p.qn == f"{plain}{millis:03d}"  # QN has the same layout and is kept as sent
    with pytest.raises(ProtocolError) as err:
        parse(frame_of(seg))
    assert err.value.reason == "bad_time"


@given(st.text(alphabet="0123456789", min_size=1, max_size=24).filter(lambda t: len(t) not in (14, 17)))
def test_digit_strings_of_other_lengths_are_never_times(stamp: str) -> None:
    seg = f"QN=20240315103000123;ST=21;CN=2011;PW=1;MN=X;Flag=4;CP=&&DataTime={stamp}&&".encode()
    with pytest.raises(ProtocolError) as err:
        parse(frame_of(seg), tolerate_time_milliseconds=True)
    assert err.value.reason == "bad_time" and f"{len(stamp)} digits" in str(err.value)


@given(packets(), st.integers(0, 999))
def test_round_trip_with_milliseconds_added_to_data_time(kwargs: dict[str, object], millis: int) -> None:
    """A built packet whose DataTime gains zzz parses to the same packet, plus the deviation."""
    frame = build(**kwargs)  # type: ignore[arg-type]
    original = parse(frame)
    if "DataTime" not in original.cp:
        return
    text = original.raw[6:-6].replace(f"DataTime={original.cp['DataTime']}", f"DataTime={original.cp['DataTime']}{millis:03d}")
    p = parse(frame_of(text.encode()), tolerate_time_milliseconds=True)
    assert p.data_time == original.data_time and p.factors == original.factors
    assert p.deviations == ["time_milliseconds"]
