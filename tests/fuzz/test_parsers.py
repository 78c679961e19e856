"""Hypothesis over the payload parsers: HJ 212 frames and MQTT JSON messages. Whatever arrives,
the parser raises only its documented error (ProtocolError / PayloadError), never another."""
from __future__ import annotations

import itertools
from datetime import datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from chengyun.standards import hj212
from fuzzing import DERANDOMIZE, files_like

pytestmark = pytest.mark.fuzz

FRAME = hj212.build(st="32", cn="2061", pw="123456", mn="MN0001", qn="20261125100000000",
                    data_time=datetime(2026, 11, 25, 10), factors={"w01018": {"Avg": 21.5, "Flag": "N"}, "w21003": {"Avg": 0.8}})
FLAGS = [dict(zip(("tolerate_lowercase_crc", "tolerate_swapped_modbus_crc", "tolerate_time_milliseconds", "require_crlf"), combo))
         for combo in itertools.product((False, True), repeat=4)]


def test_the_seed_frame_parses():
    assert hj212.parse(FRAME).mn == "MN0001"


@settings(max_examples=300, derandomize=DERANDOMIZE)
@given(frame=files_like(FRAME), flags=st.sampled_from(FLAGS))
def test_hj212_parse_raises_only_protocol_errors(frame, flags):
    try:
        hj212.parse(frame, **flags)
    except hj212.ProtocolError:
        pass


@settings(max_examples=100, derandomize=DERANDOMIZE)
@given(text=st.text(max_size=300))
def test_hj212_parse_of_any_text(text):
    try:
        hj212.parse(text, require_crlf=False)
    except hj212.ProtocolError:
        pass


@settings(max_examples=100, derandomize=DERANDOMIZE)
@given(chunks=st.lists(files_like(FRAME + FRAME), max_size=4))
def test_hj212_stream_reader_reports_rather_than_raises(chunks):
    """The reader returns frames and ProtocolErrors as values; each frame it returns goes to parse."""
    reader = hj212.FrameReader()
    out = [item for chunk in chunks for item in reader.feed(chunk)] + reader.close()
    for item in out:
        assert isinstance(item, (bytes, hj212.ProtocolError))
        if isinstance(item, bytes):
            try:
                hj212.parse(item)
            except hj212.ProtocolError:
                pass


MESSAGE = (b'{"pw": "pw123456", "cn": "2061", "data_time": "2026-11-25T10:00:00+08:00", "qn": "20261125100000000",'
           b' "factors": {"w01018": {"value": 21.5, "flag": "N"}, "w21003": 0.8}}')

json_values = st.recursive(st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20),
                           lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3), max_leaves=10)


def test_the_seed_message_parses():
    from chengyun.monitoring.mqtt_ingest import packet_from_json

    assert packet_from_json("MN1", MESSAGE).cn == "2061"


@settings(max_examples=300, derandomize=DERANDOMIZE)
@given(payload=files_like(MESSAGE))
def test_mqtt_payload_raises_only_payload_errors(payload):
    from chengyun.monitoring.mqtt_ingest import PayloadError, packet_from_json

    try:
        packet_from_json("MN1", payload)
    except PayloadError:
        pass


@settings(max_examples=200, derandomize=DERANDOMIZE)
@given(change=st.dictionaries(st.sampled_from(("pw", "cn", "data_time", "qn", "factors")), json_values, min_size=1))
def test_mqtt_payload_fields_of_any_type(change):
    import json

    from chengyun.monitoring.mqtt_ingest import PayloadError, packet_from_json

    message = {**json.loads(MESSAGE), **change}
    try:
        packet_from_json("MN1", json.dumps(message).encode())
    except PayloadError:
        pass


GPX = (b'<?xml version="1.0"?><gpx version="1.1" xmlns="http://www.topografix.com/GPX/1/1"><trk><trkseg>'
       b'<trkpt lat="36.65" lon="117.12"><time>2026-06-01T08:00:00Z</time></trkpt>'
       b'<trkpt lat="36.6501" lon="117.1201"><time>2026-06-01T08:00:05.5Z</time></trkpt></trkseg></trk></gpx>')


def test_the_seed_track_parses():
    from chengyun.geo import tracks

    assert len(tracks.parse_gpx(GPX)) == 2


@settings(max_examples=300, derandomize=DERANDOMIZE)
@given(data=files_like(GPX))
def test_gpx_raises_only_track_errors(data):
    """Patrol phones and imported files: a broken GPX is a TrackError naming the point, never a crash."""
    from chengyun.geo import tracks

    try:
        points = tracks.parse_gpx(data)
    except tracks.TrackError:
        return
    # What parses can be cleaned whatever it holds (impossible speeds, bad coordinates, reversed time).
    cleaned = tracks.clean(points, max_speed_mps=5)
    assert len(cleaned.points) + len(cleaned.dropped) == len(points)
