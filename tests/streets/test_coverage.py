"""Coverage against hand-built tracks: pure geometry, no database."""
import pytest

from chengyun.streets import coverage as cov

Y = 36.505
SEG = [[101.70, Y], [101.71, Y]]  # ~894 m along latitude 36.505
LENGTH = cov.segment_length_m(SEG)
DLAT_10M = 10 / 111_320.0


def test_length_is_metres():
    assert LENGTH == pytest.approx(894.9, abs=1.0)


def test_half_walked_on_the_pavement():
    track = [[101.70, Y + DLAT_10M], [101.705, Y + DLAT_10M]]
    got = cov.patrol_coverage(track, {1: SEG}, 25)
    # The corridor's round cap reaches ~25 m past the track's end along the segment.
    assert cov.total(got[1]) == pytest.approx(LENGTH / 2 + (25 ** 2 - 10 ** 2) ** 0.5, abs=1.5)


def test_parallel_street_too_far_is_not_covered():
    track = [[101.70, Y + 4 * DLAT_10M], [101.71, Y + 4 * DLAT_10M]]  # 40 m away
    assert cov.patrol_coverage(track, {1: SEG}, 25) == {}


def test_crossing_covers_only_the_crossing():
    x = 101.705
    track = [[x, Y - 20 * DLAT_10M], [x, Y + 20 * DLAT_10M]]
    got = cov.patrol_coverage(track, {1: SEG}, 25)
    assert cov.total(got[1]) == pytest.approx(50, abs=1)


def test_two_patrols_over_the_same_half_count_once():
    first = cov.patrol_coverage([[101.70, Y], [101.705, Y]], {1: SEG}, 5)[1]
    again = cov.patrol_coverage([[101.70, Y], [101.705, Y]], {1: SEG}, 5)[1]
    other = cov.patrol_coverage([[101.705, Y], [101.71, Y]], {1: SEG}, 5)[1]
    assert cov.total(first + again) == pytest.approx(LENGTH / 2 + 5, abs=1)
    assert cov.total(first + other) == pytest.approx(LENGTH, abs=0.5)


def test_merge_joins_touching_intervals():
    assert cov.merge([[5, 10], [0, 5], [20, 30], [25, 28]]) == [[0, 10], [20, 30]]
