"""A day's track as bytes: epoch seconds and micro-degrees, delta-encoded and zlib-compressed.

A vehicle reports a point every few seconds; a month of a fleet is millions of points. Deltas
of consecutive points are small integers that compress to a few bytes a point, and decoding is
one numpy call, so coverage can be recomputed from stored tracks without a points table.
Micro-degrees are about 0.1 m: below any GPS receiver's error.
"""
from __future__ import annotations

import struct
import zlib

import numpy as np

_MAGIC = b"CYT1"
_SCALE = 1_000_000


def encode(t: np.ndarray, lng: np.ndarray, lat: np.ndarray) -> bytes:
    t = np.asarray(t, dtype=np.int64)
    x = np.rint(np.asarray(lng, dtype=np.float64) * _SCALE).astype(np.int64)
    y = np.rint(np.asarray(lat, dtype=np.float64) * _SCALE).astype(np.int64)
    n = len(t)
    if n == 0:
        return _MAGIC + struct.pack("<I", 0)
    head = struct.pack("<Iqqq", n, int(t[0]), int(x[0]), int(y[0]))
    body = np.concatenate([np.diff(t), np.diff(x), np.diff(y)]).astype(np.int32).tobytes()
    return _MAGIC + head + zlib.compress(body, 6)


def decode(blob: bytes) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(epoch seconds int64, lng float64, lat float64)."""
    blob = bytes(blob)
    if blob[:4] != _MAGIC:
        raise ValueError("不是轨迹编码数据")
    (n,) = struct.unpack_from("<I", blob, 4)
    if n == 0:
        return np.zeros(0, np.int64), np.zeros(0), np.zeros(0)
    _, t0, x0, y0 = struct.unpack_from("<Iqqq", blob, 4)
    d = np.frombuffer(zlib.decompress(blob[4 + 28:]), dtype=np.int32).astype(np.int64)
    k = n - 1
    t = np.concatenate([[t0], t0 + np.cumsum(d[:k])])
    x = np.concatenate([[x0], x0 + np.cumsum(d[k:2 * k])])
    y = np.concatenate([[y0], y0 + np.cumsum(d[2 * k:])])
    return t, x / _SCALE, y / _SCALE
