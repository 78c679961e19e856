"""GCJ-02 / BD-09 conversions.

Reference numbers are copied from public test suites and fixtures:
- wandergis/coordtransform test/app.js (Beijing, 116.404 / 39.915),
- googollee/eviltransform go/transform_test.go (Shanghai, Shenzhen, Beijing),
- hujiulong/gcoord test/fixtures/china-cities.json (Beijing, Xining; 7 decimals).
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from chengyun.standards.coords import (
    bd09_to_gcj02,
    bd09_to_wgs84,
    gcj02_to_bd09,
    gcj02_to_wgs84,
    out_of_china,
    to_wgs84,
    to_wgs84_array,
    wgs84_to_bd09,
    wgs84_to_gcj02,
)

# (lng, lat) pairs.  coordtransform and eviltransform print full doubles from
# the same forward formula, so these must agree to rounding noise.
EXACT_WGS_GCJ = [
    ((116.404, 39.915), (116.41024449916938, 39.91640428150164)),  # coordtransform, Beijing
    ((121.5272106, 31.1774276), (121.531541859215, 31.17530398364597)),  # eviltransform, Shanghai
    ((113.912316, 22.543847), (113.9171764808363, 22.540796131694766)),  # eviltransform, Shenzhen
    ((116.377817, 39.911954), (116.38404722455657, 39.91334545536069)),  # eviltransform, Beijing
]

# gcoord city fixtures: WGS84, GCJ02, BD09, rounded to 7 decimals.  Their
# WGS84 column was sampled independently and gcoord itself only checks it to
# 4 decimals; GCJ02 -> BD09 is checked to 6 decimals there.
GCOORD_CITIES = {
    "beijing": ((116.4011517, 39.9028057), (116.4074002, 39.9042136), (116.4137852, 39.9105355)),
    "xining": ((101.7762857, 36.6172138), (101.7782262, 36.6171381), (101.7846774, 36.62332)),
}


def close(p: tuple[float, float], q: tuple[float, float], tol: float) -> bool:
    return abs(p[0] - q[0]) <= tol and abs(p[1] - q[1]) <= tol


@pytest.mark.parametrize(("wgs", "gcj"), EXACT_WGS_GCJ)
def test_wgs84_to_gcj02_reference_vectors(wgs, gcj):
    assert close(wgs84_to_gcj02(*wgs), gcj, 1e-12)


@pytest.mark.parametrize(("wgs", "gcj"), EXACT_WGS_GCJ)
def test_gcj02_to_wgs84_inverts_reference_vectors(wgs, gcj):
    # The reference suites only check their approximate inverses to metres;
    # ours must land on the original WGS84 point.
    assert close(gcj02_to_wgs84(*gcj), wgs, 1e-9)


def test_gcj02_to_bd09_reference_vector():
    assert close(gcj02_to_bd09(116.404, 39.915), (116.41036949371029, 39.92133699351021), 1e-12)


def test_bd09_to_gcj02_reference_vector():
    # coordtransform's figure comes from the one-step inverse, which is off by
    # a few 1e-7 degrees; our iterated inverse is within 1e-6 of it and exact
    # against the forward formula.
    got = bd09_to_gcj02(116.404, 39.915)
    assert close(got, (116.39762729119315, 39.90865673957631), 1e-6)
    assert close(gcj02_to_bd09(*got), (116.404, 39.915), 1e-10)


def test_one_step_gcj_inverse_is_not_what_we_do():
    # coordtransform's gcj02towgs84(116.404, 39.915) is the one-step
    # approximation: pushed forward again it misses the input by ~5e-7
    # degrees (~5 cm), while the iterated answer hits it to rounding noise.
    approx = (116.39775550083061, 39.91359571849836)
    exact = gcj02_to_wgs84(116.404, 39.915)
    assert close(exact, approx, 1e-6)
    assert not close(wgs84_to_gcj02(*approx), (116.404, 39.915), 1e-7)
    assert close(wgs84_to_gcj02(*exact), (116.404, 39.915), 1e-12)


@pytest.mark.parametrize("city", sorted(GCOORD_CITIES))
def test_gcoord_city_fixtures(city):
    wgs, gcj, bd = GCOORD_CITIES[city]
    assert close(gcj02_to_bd09(*gcj), bd, 1e-6)
    assert close(bd09_to_gcj02(*bd), gcj, 1e-6)
    assert close(wgs84_to_gcj02(*wgs), gcj, 1e-5)
    assert close(bd09_to_wgs84(*bd), wgs, 1e-5)
    assert close(to_wgs84(*gcj, "GCJ02"), wgs, 1e-5)


def test_xining_offset_magnitude():
    # Near 36.6N 101.8E the GCJ-02 shift is ~200 m east and ~10 m south.
    lng, lat = wgs84_to_gcj02(101.8, 36.6)
    assert 0.0015 < lng - 101.8 < 0.0025
    assert -0.0005 < lat - 36.6 < 0.0


# -- out of China -----------------------------------------------------------

@pytest.mark.parametrize(
    "pt",
    [(0.0, 0.0), (-0.1276, 51.5072), (139.6917, 35.6895), (151.2093, -33.8688), (72.0, 30.0), (100.0, 55.9)],
)
def test_out_of_china_is_identity(pt):
    assert out_of_china(*pt)
    assert wgs84_to_gcj02(*pt) == pt
    assert gcj02_to_wgs84(*pt) == pt
    assert to_wgs84(*pt, "gcj02") == pt


def test_bd09_is_offset_even_outside_china():
    # Baidu's twist is applied everywhere; only the GCJ step is bounded.
    lng, lat = wgs84_to_bd09(0.5, 0.5)
    assert (lng, lat) != (0.5, 0.5)
    assert close(bd09_to_wgs84(lng, lat), (0.5, 0.5), 1e-10)


# -- round trips ------------------------------------------------------------

# China's land bounding box, kept ~1 km inside the GCJ rectangle so both ends
# of a round trip fall on the same side of its edge.
china_lng = st.floats(min_value=73.5, max_value=135.1, allow_nan=False)
china_lat = st.floats(min_value=3.8, max_value=53.6, allow_nan=False)


@settings(max_examples=400, deadline=None)
@given(china_lng, china_lat)
def test_gcj_round_trip(lng, lat):
    assert close(gcj02_to_wgs84(*wgs84_to_gcj02(lng, lat)), (lng, lat), 1e-6)
    assert close(wgs84_to_gcj02(*gcj02_to_wgs84(lng, lat)), (lng, lat), 1e-6)


@settings(max_examples=400, deadline=None)
@given(china_lng, china_lat)
def test_bd_round_trip(lng, lat):
    assert close(bd09_to_wgs84(*wgs84_to_bd09(lng, lat)), (lng, lat), 1e-6)
    assert close(bd09_to_gcj02(*gcj02_to_bd09(lng, lat)), (lng, lat), 1e-6)
    assert close(to_wgs84(*wgs84_to_bd09(lng, lat), "bd09"), (lng, lat), 1e-6)


# -- to_wgs84 dispatch and validation ---------------------------------------

@pytest.mark.parametrize("crs", ["wgs84", "WGS84", "cgcs2000", "CGCS2000"])
def test_wgs_aliases_are_identity(crs):
    assert to_wgs84(116.4, 39.9, crs) == (116.4, 39.9)


@pytest.mark.parametrize("crs", ["gcj02", "GCJ02", "gcj-02", "bd09", "BD09", "bd-09"])
def test_crs_names_case_insensitive(crs):
    lng, lat = to_wgs84(116.4, 39.9, crs)
    assert (lng, lat) != (116.4, 39.9)


def test_unknown_crs_names_it():
    with pytest.raises(ValueError, match="epsg3857"):
        to_wgs84(116.4, 39.9, "epsg3857")
    with pytest.raises(ValueError, match="mars"):
        to_wgs84_array(np.array([116.4]), np.array([39.9]), "mars")


@pytest.mark.parametrize(
    "pt",
    [(math.nan, 39.9), (116.4, math.inf), (-math.inf, 0.0), (180.1, 0.0), (0.0, -90.5), (116.4, 91.0)],
)
def test_invalid_points_rejected(pt):
    for fn in (wgs84_to_gcj02, gcj02_to_wgs84, gcj02_to_bd09, bd09_to_gcj02, bd09_to_wgs84, wgs84_to_bd09):
        with pytest.raises(ValueError):
            fn(*pt)
    with pytest.raises(ValueError):
        to_wgs84(*pt, "wgs84")


def test_non_numbers_rejected():
    with pytest.raises(ValueError):
        wgs84_to_gcj02("east", 39.9)  # type: ignore[arg-type]


# -- vectorised -------------------------------------------------------------

@pytest.mark.parametrize("crs", ["wgs84", "cgcs2000", "gcj02", "bd09"])
def test_array_equals_scalar(crs):
    rng = np.random.default_rng(20240601)
    lng = np.concatenate([rng.uniform(73.5, 135.0, 500), [0.0, -0.1276, 139.6917, 116.404]])
    lat = np.concatenate([rng.uniform(4.0, 53.5, 500), [0.0, 51.5072, 35.6895, 39.915]])
    got_lng, got_lat = to_wgs84_array(lng, lat, crs)
    assert got_lng.shape == lng.shape and got_lat.dtype == np.float64
    for i in range(lng.size):
        want = to_wgs84(float(lng[i]), float(lat[i]), crs)
        assert close((float(got_lng[i]), float(got_lat[i])), want, 1e-11)


def test_array_does_not_alias_input():
    lng, lat = np.array([116.4]), np.array([39.9])
    out_lng, _ = to_wgs84_array(lng, lat, "wgs84")
    out_lng[0] = 0.0
    assert lng[0] == 116.4


def test_array_keeps_shape_and_accepts_lists():
    lng = np.full((3, 4), 116.4)
    lat = np.full((3, 4), 39.9)
    out_lng, out_lat = to_wgs84_array(lng, lat, "gcj02")
    assert out_lng.shape == (3, 4) and out_lat.shape == (3, 4)
    out_lng, _ = to_wgs84_array([116.4, 0.0], [39.9, 0.0], "bd09")  # type: ignore[arg-type]
    assert out_lng.shape == (2,)


def test_array_validation():
    with pytest.raises(ValueError, match="shape"):
        to_wgs84_array(np.zeros(3), np.zeros(4), "gcj02")
    with pytest.raises(ValueError, match="index 2"):
        to_wgs84_array(np.array([116.0, 116.0, np.nan]), np.array([39.0, 39.0, 39.0]), "gcj02")
    with pytest.raises(ValueError, match="index 0"):
        to_wgs84_array(np.array([200.0]), np.array([39.0]), "wgs84")


def test_array_is_fast_enough_for_100k_points():
    import time

    rng = np.random.default_rng(7)
    lng = rng.uniform(73.5, 135.0, 100_000)
    lat = rng.uniform(4.0, 53.5, 100_000)
    t0 = time.perf_counter()
    out_lng, out_lat = to_wgs84_array(lng, lat, "bd09")
    elapsed = time.perf_counter() - t0
    assert elapsed < 5.0  # ~0.3 s on a laptop; generous for loaded CI
    back_lng, back_lat = wgs84_to_bd09(float(out_lng[123]), float(out_lat[123]))
    assert close((back_lng, back_lat), (float(lng[123]), float(lat[123])), 1e-9)
