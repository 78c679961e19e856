"""Map-matching and coverage against hand-built tracks, and the same answer as the naive loop."""
import datetime as dt

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from chengyun.geo import tracks as geo_tracks
from chengyun.sanitation import mapmatch as mm, trackcodec

LNG0, LAT0 = 101.78, 36.62
KX = 111_320.0 * np.cos(np.radians(LAT0))
KY = 110_950.0


def ll(x, y):
    return (LNG0 + x / KX, LAT0 + y / KY)


# A T: an east-west road of 1 km (0) and a north-south road of 500 m from its middle (1), and a
# parallel road 300 m north (2).
SEGMENTS = [[ll(0, 0), ll(1000, 0)], [ll(500, 0), ll(500, 500)], [ll(0, 300), ll(1000, 300)]]


@pytest.fixture(scope="module")
def index():
    return mm.SegmentIndex([10, 20, 30], SEGMENTS)


def drive(points_xy, step_s=5.0, start=0.0):
    x = np.array([p[0] for p in points_xy], dtype=float)
    y = np.array([p[1] for p in points_xy], dtype=float)
    lng, lat = LNG0 + x / KX, LAT0 + y / KY
    return start + np.arange(len(x)) * step_s, lng, lat


def along(x0, y0, x1, y1, step=20.0):
    n = int(np.hypot(x1 - x0, y1 - y0) / step)
    return [(x0 + (x1 - x0) * k / n, y0 + (y1 - y0) * k / n) for k in range(n + 1)]


def test_one_full_pass_along_a_road(index):
    t, lng, lat = drive(along(0, 5, 1000, 5))
    seg, cov = mm.match_and_cover(index, np.zeros(len(t), int), t, lng, lat)
    assert set(seg.tolist()) <= {0, 1}  # the middle point is as near the crossing road
    assert cov[0].passes == 1
    assert cov[0].covered_m == pytest.approx(index.lengths[0], rel=0.01)
    assert 2 not in cov


def test_there_and_back_is_two_passes_and_half_a_road_is_none(index):
    pts = along(0, 5, 1000, 5) + along(1000, -5, 0, -5)[1:]
    t, lng, lat = drive(pts)
    _, cov = mm.match_and_cover(index, np.zeros(len(t), int), t, lng, lat)
    assert cov[0].passes == 2 and cov[0].swept_m == pytest.approx(2 * index.lengths[0], rel=0.02)
    t, lng, lat = drive(along(0, 300, 500, 300))
    _, cov = mm.match_and_cover(index, np.zeros(len(t), int), t, lng, lat)
    assert cov[2].passes == 0 and cov[2].covered_m == pytest.approx(500, abs=25)  # the last fix is on the crossing road


def test_a_gap_in_time_splits_a_pass_and_far_points_match_nothing(index):
    pts = along(0, 5, 1000, 5)
    t, lng, lat = drive(pts)
    t[len(t) // 2:] += 600  # ten minutes lost half-way: two half runs, not one pass
    _, cov = mm.match_and_cover(index, np.zeros(len(t), int), t, lng, lat)
    assert cov[0].passes == 0 and cov[0].covered_m == pytest.approx(index.lengths[0], abs=50)
    t, lng, lat = drive(along(0, 150, 400, 150))  # 150 m from both east-west roads, 100 m from the other
    seg, cov = mm.match_and_cover(index, np.zeros(len(t), int), t, lng, lat)
    assert (seg == -1).all() and cov == {}


def test_two_vehicles_each_count(index):
    t, lng, lat = drive(along(0, 5, 1000, 5))
    v = np.concatenate([np.zeros(len(t), int), np.ones(len(t), int)])
    _, cov = mm.match_and_cover(index, v, np.concatenate([t, t]), np.concatenate([lng, lng]), np.concatenate([lat, lat]))
    assert cov[0].passes == 2


def test_same_answer_as_the_naive_loop_on_random_points(index):
    rng = np.random.default_rng(7)
    x, y = rng.uniform(-50, 1050, 400), rng.uniform(-50, 550, 400)
    seg_fast, along_fast = index.locate(x, y)
    seg_naive = mm.naive_match(index, x, y)
    assert (seg_fast == seg_naive).all() and (seg_fast >= 0).any()
    v, t = np.zeros(400, int), np.arange(400) * 5.0
    fast, naive = mm.cover(index, v, t, seg_fast, along_fast), mm.naive_cover(index, v, t, x, y, seg_naive)
    assert fast.keys() == naive.keys()
    for k in fast:
        assert fast[k].passes == naive[k].passes
        assert fast[k].swept_m == pytest.approx(naive[k].swept_m, abs=1e-6)


def test_ties_go_to_the_lowest_segment_whatever_the_tree_order():
    # The same road registered twice (e.g. both carriageways drawn on one line): equal distances.
    twice = mm.SegmentIndex([5, 6], [SEGMENTS[2], SEGMENTS[2]])
    x, y = twice.project(*np.array([ll(100, 310), ll(900, 290)]).T)
    assert twice.match(x, y).tolist() == [0, 0]
    assert mm.naive_match(twice, x, y).tolist() == [0, 0]


def test_codec_round_trip_is_compact():
    t = 1_764_000_000 + np.arange(4000) * 5
    lng = LNG0 + np.cumsum(np.full(4000, 2e-4))
    lat = LAT0 + np.sin(np.arange(4000) / 50) * 1e-3
    blob = trackcodec.encode(t, lng, lat)
    t2, x2, y2 = trackcodec.decode(blob)
    assert (t2 == t).all() and np.allclose(x2, lng, atol=1e-6) and np.allclose(y2, lat, atol=1e-6)
    assert len(blob) < 4000 * 4
    assert [len(a) for a in trackcodec.decode(trackcodec.encode([], [], []))] == [0, 0, 0]


points = st.lists(st.tuples(st.integers(-30, 400), st.floats(-0.01, 0.01), st.floats(-0.01, 0.01)), min_size=1, max_size=40)


@settings(max_examples=60)
@given(points)
def test_bulk_cleaning_equals_the_point_by_point_cleaning(steps):
    """clean_arrays keeps and drops exactly what geo.tracks.clean does, reasons included."""
    t0 = 1_764_000_000.0
    ts, lngs, lats = [], [], []
    t, x, y = t0, LNG0, LAT0
    for dt_s, dx, dy in steps:
        t, x, y = t + dt_s, x + dx, y + dy
        ts.append(t); lngs.append(x); lats.append(y)
    keep, dropped = mm.clean_arrays(np.array(ts), np.array(lngs), np.array(lats), 25.0)
    pts = [geo_tracks.TrackPoint(dt.datetime.fromtimestamp(a, dt.timezone.utc), b, c) for a, b, c in zip(ts, lngs, lats)]
    ref = geo_tracks.clean(pts, 25.0)
    assert [d.index for d in dropped] == [d.index for d in ref.dropped]
    assert [d.reason for d in dropped] == [d.reason for d in ref.dropped]
    assert keep.sum() == len(ref.points)
