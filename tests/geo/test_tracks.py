from datetime import datetime, timedelta, timezone

import pytest

from chengyun.geo import tracks

T0 = datetime(2026, 6, 1, 8, 0, tzinfo=timezone.utc)


def pt(sec, lng, lat):
    return tracks.TrackPoint(T0 + timedelta(seconds=sec), lng, lat)


def test_distance_one_degree_of_latitude():
    assert tracks.distance_m(117.0, 36.0, 117.0, 37.0) == pytest.approx(111_195, rel=1e-3)


def test_jump_out_of_order_and_duplicate_are_dropped_with_reasons():
    # Walking east at ~1.1 m/s (0.00001° ≈ 0.9 m at 36°N), one 5 km jump, one late point.
    pts = [pt(0, 117.0, 36.0), pt(10, 117.0001, 36.0), pt(20, 117.05, 36.0), pt(30, 117.0003, 36.0),
           pt(25, 117.0002, 36.0), pt(30, 117.0003, 36.0), pt(40, 117.0004, 36.0), pt(50, 0, 0)]
    out = tracks.clean(pts, max_speed_mps=5)
    assert [p.lng for p in out.points] == [117.0, 117.0001, 117.0003, 117.0004]
    assert [(d.index, d.reason) for d in out.dropped] == [
        (2, "speed"), (4, "out_of_order"), (5, "duplicate_time"), (7, "bad_coordinate")]
    assert out.dropped_summary() == {"speed": 1, "out_of_order": 1, "duplicate_time": 1, "bad_coordinate": 1}


def test_stale_first_fix_does_not_drop_the_real_track():
    pts = [pt(0, 116.0, 35.0), pt(10, 117.0, 36.0), pt(20, 117.0001, 36.0), pt(30, 117.0002, 36.0)]
    out = tracks.clean(pts, max_speed_mps=5)
    assert [d.index for d in out.dropped] == [0]
    assert len(out.points) == 3
    assert tracks.length_m(out.points) == pytest.approx(18, rel=0.05)


GPX = b"""<?xml version="1.0" encoding="UTF-8"?>
<gpx version="1.1" creator="t" xmlns="http://www.topografix.com/GPX/1/1"><trk><trkseg>
<trkpt lat="36.0" lon="117.0"><time>2026-06-01T08:00:00Z</time></trkpt>
<trkpt lat="36.0" lon="117.0001"><time>2026-06-01T08:00:10.500Z</time></trkpt>
</trkseg></trk></gpx>"""


def test_parse_gpx():
    pts = tracks.parse_gpx(GPX)
    assert [(p.lng, p.lat) for p in pts] == [(117.0, 36.0), (117.0001, 36.0)]
    assert pts[1].t == T0 + timedelta(seconds=10.5)


@pytest.mark.parametrize("data, words", [
    (b"not xml", "XML"),
    (b"<kml/>", "<gpx>"),
    (b'<gpx xmlns="http://www.topografix.com/GPX/1/1"/>', "没有轨迹点"),
    (b'<gpx><trk><trkseg><trkpt lat="x" lon="1"><time>2026-06-01T08:00:00Z</time></trkpt></trkseg></trk></gpx>', "第 1 个轨迹点"),
    (b'<gpx><trk><trkseg><trkpt lat="1" lon="1"/></trkseg></trk></gpx>', "缺少时间"),
    (b'<!DOCTYPE gpx [<!ENTITY a "b">]><gpx/>', "DOCTYPE"),
])
def test_bad_gpx_names_the_problem(data, words):
    with pytest.raises(tracks.TrackError, match=words):
        tracks.parse_gpx(data)
