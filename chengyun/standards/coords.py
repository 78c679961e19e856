"""Chinese web-map coordinate systems: GCJ-02 (Amap, Tencent) and BD-09 (Baidu).

Phones report positions in whatever system their map SDK uses; the platform
stores WGS84/CGCS2000 (the two agree to well under a metre, far below GPS
noise, so they are treated as the same frame here).  Everything is (lng, lat)
in degrees, longitude first, matching GeoJSON and shapely.

See docs/standards/coords.md for the constants and accuracy figures.
"""

from __future__ import annotations

import math
from types import ModuleType
from typing import Any

import numpy as np

__all__ = [
    "bd09_to_gcj02",
    "bd09_to_wgs84",
    "gcj02_to_bd09",
    "gcj02_to_wgs84",
    "out_of_china",
    "to_wgs84",
    "to_wgs84_array",
    "wgs84_to_bd09",
    "wgs84_to_gcj02",
    "CRS_NAMES",
]

# Krasovsky 1940 semi-major axis and eccentricity squared: GCJ-02 computes its
# metre-to-degree scale on this ellipsoid, not on WGS84's.
A = 6378245.0
EE = 0.00669342162296594323

# BD-09 is GCJ-02 plus a small polar-coordinate twist around (0.0065, 0.006).
BD_X_PI = math.pi * 3000.0 / 180.0
BD_DLNG = 0.0065
BD_DLAT = 0.006
BD_DR = 0.00002
BD_DTHETA = 0.000003

# The rectangle the obfuscation is applied in; outside it GCJ-02 == WGS84.
CHINA_LNG_MIN, CHINA_LNG_MAX = 72.004, 137.8347
CHINA_LAT_MIN, CHINA_LAT_MAX = 0.8293, 55.8271

# The GCJ-02 offset changes by a few thousandths of a degree per degree, so
# fixed-point iteration gains 2-3 digits a step; 1e-12 degrees takes <= 5 steps.
_INVERSE_TOL = 1e-12
_INVERSE_MAX_ITER = 20

_WGS_ALIASES = frozenset({"wgs84", "cgcs2000"})
CRS_NAMES = ("wgs84", "cgcs2000", "gcj02", "bd09")


# --------------------------------------------------------------------------
# Validation
# --------------------------------------------------------------------------

def _check_point(lng: float, lat: float) -> tuple[float, float]:
    try:
        x, y = float(lng), float(lat)
    except (TypeError, ValueError):
        raise ValueError(f"coordinates must be numbers, got lng={lng!r}, lat={lat!r}") from None
    if not (math.isfinite(x) and math.isfinite(y)):
        raise ValueError(f"coordinates must be finite, got lng={lng!r}, lat={lat!r}")
    if not (-180.0 <= x <= 180.0 and -90.0 <= y <= 90.0):
        raise ValueError(f"coordinates out of range (lng in [-180, 180], lat in [-90, 90]): lng={x}, lat={y}")
    return x, y


def _check_arrays(lng: Any, lat: Any) -> tuple[np.ndarray, np.ndarray]:
    x = np.asarray(lng, dtype=np.float64)
    y = np.asarray(lat, dtype=np.float64)
    if x.shape != y.shape:
        raise ValueError(f"lng and lat arrays must have the same shape, got {x.shape} and {y.shape}")
    bad = ~(np.isfinite(x) & np.isfinite(y) & (np.abs(x) <= 180.0) & (np.abs(y) <= 90.0))
    if bad.any():
        idx = np.flatnonzero(bad)
        first = int(idx[0])
        raise ValueError(
            f"{idx.size} coordinate(s) non-finite or out of range; first at flat index {first}: "
            f"lng={x.flat[first]!r}, lat={y.flat[first]!r}"
        )
    return x, y


def _canonical_crs(crs: str) -> str:
    name = str(crs).strip().lower().replace("-", "").replace("_", "")
    if name not in CRS_NAMES:
        raise ValueError(f"unknown coordinate system {crs!r}; expected one of {', '.join(CRS_NAMES)}")
    return name


# --------------------------------------------------------------------------
# Core formulas, written once and evaluated with either `math` (scalars) or
# `numpy` (arrays) so the two paths cannot drift apart.
# --------------------------------------------------------------------------

def _out_of_china(m: ModuleType, lng: Any, lat: Any) -> Any:
    if m is math:
        return not (CHINA_LNG_MIN <= lng <= CHINA_LNG_MAX and CHINA_LAT_MIN <= lat <= CHINA_LAT_MAX)
    return ~((lng >= CHINA_LNG_MIN) & (lng <= CHINA_LNG_MAX) & (lat >= CHINA_LAT_MIN) & (lat <= CHINA_LAT_MAX))


def _gcj_offset(m: ModuleType, lng: Any, lat: Any) -> tuple[Any, Any]:
    """GCJ-02 minus WGS84 at a WGS84 point, in degrees, without the China check."""
    pi = math.pi
    x = lng - 105.0
    y = lat - 35.0
    ripple = (20.0 * m.sin(6.0 * x * pi) + 20.0 * m.sin(2.0 * x * pi)) * 2.0 / 3.0
    root = m.sqrt(abs(x))

    d_lat = -100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * root + ripple
    d_lat = d_lat + (20.0 * m.sin(y * pi) + 40.0 * m.sin(y / 3.0 * pi)) * 2.0 / 3.0
    d_lat = d_lat + (160.0 * m.sin(y / 12.0 * pi) + 320.0 * m.sin(y * pi / 30.0)) * 2.0 / 3.0

    d_lng = 300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * root + ripple
    d_lng = d_lng + (20.0 * m.sin(x * pi) + 40.0 * m.sin(x / 3.0 * pi)) * 2.0 / 3.0
    d_lng = d_lng + (150.0 * m.sin(x / 12.0 * pi) + 300.0 * m.sin(x / 30.0 * pi)) * 2.0 / 3.0

    # The polynomial above is in metres-ish units; scale by the local radii of
    # curvature (meridional and prime-vertical) of the Krasovsky ellipsoid.
    rad_lat = lat / 180.0 * pi
    s = m.sin(rad_lat)
    w2 = 1.0 - EE * s * s
    w = m.sqrt(w2)
    d_lat = (d_lat * 180.0) / ((A * (1.0 - EE)) / (w2 * w) * pi)
    d_lng = (d_lng * 180.0) / (A / w * m.cos(rad_lat) * pi)
    return d_lng, d_lat


def _wgs_to_gcj(m: ModuleType, lng: Any, lat: Any) -> tuple[Any, Any]:
    d_lng, d_lat = _gcj_offset(m, lng, lat)
    if m is math:
        if _out_of_china(m, lng, lat):
            return lng, lat
        return lng + d_lng, lat + d_lat
    outside = _out_of_china(m, lng, lat)
    return np.where(outside, lng, lng + d_lng), np.where(outside, lat, lat + d_lat)


def _gcj_to_wgs(m: ModuleType, lng: Any, lat: Any) -> tuple[Any, Any]:
    # Solve wgs + offset(wgs) == gcj by fixed-point iteration, starting from
    # the usual one-step guess.  The China check is made once, on the input:
    # iterating with the checked forward function would oscillate for points
    # within ~1 km of the rectangle's edge.
    if m is math and _out_of_china(m, lng, lat):
        return lng, lat
    d_lng, d_lat = _gcj_offset(m, lng, lat)
    w_lng, w_lat = lng - d_lng, lat - d_lat
    for _ in range(_INVERSE_MAX_ITER):
        d_lng, d_lat = _gcj_offset(m, w_lng, w_lat)
        r_lng = lng - (w_lng + d_lng)
        r_lat = lat - (w_lat + d_lat)
        w_lng, w_lat = w_lng + r_lng, w_lat + r_lat
        if m is math:
            if abs(r_lng) < _INVERSE_TOL and abs(r_lat) < _INVERSE_TOL:
                break
        elif np.all(np.abs(r_lng) < _INVERSE_TOL) and np.all(np.abs(r_lat) < _INVERSE_TOL):
            break
    if m is math:
        return w_lng, w_lat
    outside = _out_of_china(m, lng, lat)
    return np.where(outside, lng, w_lng), np.where(outside, lat, w_lat)


def _gcj_to_bd(m: ModuleType, lng: Any, lat: Any) -> tuple[Any, Any]:
    atan2 = math.atan2 if m is math else np.arctan2
    r = m.sqrt(lng * lng + lat * lat) + BD_DR * m.sin(lat * BD_X_PI)
    theta = atan2(lat, lng) + BD_DTHETA * m.cos(lng * BD_X_PI)
    return r * m.cos(theta) + BD_DLNG, r * m.sin(theta) + BD_DLAT


def _bd_to_gcj(m: ModuleType, lng: Any, lat: Any) -> tuple[Any, Any]:
    # Start from the widely published one-step inverse (it undoes the twist
    # using the BD coordinates in place of the unknown GCJ ones, leaving up to
    # ~2e-6 degrees of error), then polish by fixed-point iteration on the
    # forward formula so BD round trips are as tight as GCJ ones.
    atan2 = math.atan2 if m is math else np.arctan2
    x = lng - BD_DLNG
    y = lat - BD_DLAT
    r = m.sqrt(x * x + y * y) - BD_DR * m.sin(y * BD_X_PI)
    theta = atan2(y, x) - BD_DTHETA * m.cos(x * BD_X_PI)
    g_lng, g_lat = r * m.cos(theta), r * m.sin(theta)
    for _ in range(_INVERSE_MAX_ITER):
        f_lng, f_lat = _gcj_to_bd(m, g_lng, g_lat)
        r_lng, r_lat = lng - f_lng, lat - f_lat
        g_lng, g_lat = g_lng + r_lng, g_lat + r_lat
        if m is math:
            if abs(r_lng) < _INVERSE_TOL and abs(r_lat) < _INVERSE_TOL:
                break
        elif np.all(np.abs(r_lng) < _INVERSE_TOL) and np.all(np.abs(r_lat) < _INVERSE_TOL):
            break
    return g_lng, g_lat


# --------------------------------------------------------------------------
# Public scalar API
# --------------------------------------------------------------------------

def out_of_china(lng: float, lat: float) -> bool:
    """True where GCJ-02 is the identity (the conventional bounding-box test)."""
    x, y = _check_point(lng, lat)
    return bool(_out_of_china(math, x, y))


def wgs84_to_gcj02(lng: float, lat: float) -> tuple[float, float]:
    x, y = _check_point(lng, lat)
    return _wgs_to_gcj(math, x, y)


def gcj02_to_wgs84(lng: float, lat: float) -> tuple[float, float]:
    """Exact (iterative) inverse: wgs84_to_gcj02 of the result is within 1e-9 degrees of the input."""
    x, y = _check_point(lng, lat)
    return _gcj_to_wgs(math, x, y)


def gcj02_to_bd09(lng: float, lat: float) -> tuple[float, float]:
    x, y = _check_point(lng, lat)
    return _gcj_to_bd(math, x, y)


def bd09_to_gcj02(lng: float, lat: float) -> tuple[float, float]:
    x, y = _check_point(lng, lat)
    return _bd_to_gcj(math, x, y)


def wgs84_to_bd09(lng: float, lat: float) -> tuple[float, float]:
    x, y = _check_point(lng, lat)
    return _gcj_to_bd(math, *_wgs_to_gcj(math, x, y))


def bd09_to_wgs84(lng: float, lat: float) -> tuple[float, float]:
    x, y = _check_point(lng, lat)
    return _gcj_to_wgs(math, *_bd_to_gcj(math, x, y))


def to_wgs84(lng: float, lat: float, crs: str) -> tuple[float, float]:
    """Convert a point reported in `crs` ("wgs84", "cgcs2000", "gcj02", "bd09"; case-insensitive)."""
    name = _canonical_crs(crs)
    x, y = _check_point(lng, lat)
    if name in _WGS_ALIASES:
        return x, y
    if name == "gcj02":
        return _gcj_to_wgs(math, x, y)
    return _gcj_to_wgs(math, *_bd_to_gcj(math, x, y))


# --------------------------------------------------------------------------
# Public vectorised API
# --------------------------------------------------------------------------

def to_wgs84_array(lng: np.ndarray, lat: np.ndarray, crs: str) -> tuple[np.ndarray, np.ndarray]:
    """Vectorised `to_wgs84` for float arrays of equal shape; returns new float64 arrays.

    Any non-finite or out-of-range element raises ValueError for the whole
    batch (naming the count and the first offending index) rather than
    silently producing NaN that would be stored as a real location.
    """
    name = _canonical_crs(crs)
    x, y = _check_arrays(lng, lat)
    if name in _WGS_ALIASES:
        return x.copy(), y.copy()
    if name == "bd09":
        x, y = _bd_to_gcj(np, x, y)
    out_x, out_y = _gcj_to_wgs(np, x, y)
    return np.asarray(out_x, dtype=np.float64), np.asarray(out_y, dtype=np.float64)
