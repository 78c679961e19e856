"""GPS tracks from phones and vehicles: reading GPX, cleaning, length.

Pure (no Django): street-chief patrols and sweeping vehicles both send tracks, and both must
report the points a cleaning dropped rather than store them silently. Coordinates are WGS84;
a track from a phone map in GCJ-02/BD-09 is converted before it gets here (standards.coords).
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Iterable, Sequence
from xml.etree import ElementTree

EARTH_RADIUS_M = 6_371_008.8

# Reasons a point is dropped, as codes (the page and the API name them in Chinese).
DROP_REASONS = {
    "bad_coordinate": "坐标无效",
    "out_of_order": "时间倒序",
    "duplicate_time": "时间重复",
    "speed": "速度超过上限（跳点）",
}


class TrackError(ValueError):
    """A track that cannot be read at all; ``where`` names the point or line."""

    def __init__(self, message: str, where: str = ""):
        super().__init__(f"{where}：{message}" if where else message)
        self.where = where


@dataclass(frozen=True)
class TrackPoint:
    t: datetime  # aware
    lng: float
    lat: float


@dataclass(frozen=True)
class DroppedPoint:
    index: int  # position in the track as received
    point: TrackPoint
    reason: str  # a DROP_REASONS key
    speed_mps: float | None = None


@dataclass
class CleanTrack:
    points: list[TrackPoint] = field(default_factory=list)
    dropped: list[DroppedPoint] = field(default_factory=list)

    def dropped_summary(self) -> dict[str, int]:
        counts: dict[str, int] = {}
        for d in self.dropped:
            counts[d.reason] = counts.get(d.reason, 0) + 1
        return counts


def distance_m(lng1: float, lat1: float, lng2: float, lat2: float) -> float:
    """Great-circle (haversine) distance; within 0.5 % of the ellipsoid at these scales."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lng2 - lng1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(min(1.0, math.sqrt(a)))


def length_m(points: Sequence[TrackPoint]) -> float:
    return sum(distance_m(a.lng, a.lat, b.lng, b.lat) for a, b in zip(points, points[1:]))


def _valid(p: TrackPoint) -> bool:
    return -180 <= p.lng <= 180 and -90 <= p.lat <= 90 and not (p.lng == 0 and p.lat == 0)


def _speed(a: TrackPoint, b: TrackPoint) -> float:
    dt = (b.t - a.t).total_seconds()
    return math.inf if dt <= 0 else distance_m(a.lng, a.lat, b.lng, b.lat) / dt


def clean(points: Iterable[TrackPoint], max_speed_mps: float) -> CleanTrack:
    """Keep the points a body or vehicle could have passed through, in time order.

    A point earlier than or at the same time as the last kept one, or reached from it faster
    than ``max_speed_mps``, is dropped with its reason. The first point is only trusted when
    the next valid point is reachable from it: a phone's first fix is often a stale one far
    away, and trusting it would drop the whole real track behind it.
    """
    received = list(points)
    result = CleanTrack()
    candidates: list[tuple[int, TrackPoint]] = []
    for i, p in enumerate(received):
        if _valid(p):
            candidates.append((i, p))
        else:
            result.dropped.append(DroppedPoint(i, p, "bad_coordinate"))
    start = 0
    while start + 1 < len(candidates) and _speed(candidates[start][1], candidates[start + 1][1]) > max_speed_mps \
            and candidates[start + 1][1].t > candidates[start][1].t:
        i, p = candidates[start]
        result.dropped.append(DroppedPoint(i, p, "speed", _speed(p, candidates[start + 1][1])))
        start += 1
    last: TrackPoint | None = None
    for i, p in candidates[start:]:
        if last is not None:
            if p.t < last.t:
                result.dropped.append(DroppedPoint(i, p, "out_of_order"))
                continue
            if p.t == last.t:
                result.dropped.append(DroppedPoint(i, p, "duplicate_time"))
                continue
            v = _speed(last, p)
            if v > max_speed_mps:
                result.dropped.append(DroppedPoint(i, p, "speed", v))
                continue
        result.points.append(p)
        last = p
    result.dropped.sort(key=lambda d: d.index)
    return result


_GPX_NS = {"gpx": "http://www.topografix.com/GPX/1/1", "gpx10": "http://www.topografix.com/GPX/1/0"}


def _parse_time(text: str | None, where: str) -> datetime:
    if not text:
        raise TrackError("缺少时间（<time>）", where)
    s = text.strip().replace("Z", "+00:00")
    try:
        t = datetime.fromisoformat(s)
    except ValueError:
        raise TrackError(f"时间格式无法识别：{text.strip()[:40]}", where) from None
    if t.tzinfo is None:
        # GPX 1.1 says times are UTC; a naive time in a file is read as UTC, not as local time.
        t = t.replace(tzinfo=timezone.utc)
    return t


def parse_gpx(data: bytes) -> list[TrackPoint]:
    """Every <trkpt> (and <rtept> of a route with times) of a GPX 1.0/1.1 file, in file order."""
    if b"<!DOCTYPE" in data[:2048].upper() or b"<!ENTITY" in data.upper():
        raise TrackError("GPX 文件不得包含 DOCTYPE 或实体声明")
    try:
        root = ElementTree.fromstring(data)
    except ElementTree.ParseError as exc:
        raise TrackError(f"不是有效的 GPX（XML 解析失败：第 {exc.position[0]} 行）") from None
    if not root.tag.endswith("gpx"):
        raise TrackError("不是 GPX 文件（根元素应为 <gpx>）")
    points: list[TrackPoint] = []
    elements = [e for e in root.iter() if e.tag.rsplit("}", 1)[-1] in ("trkpt", "rtept")]
    if not elements:
        raise TrackError("GPX 中没有轨迹点（<trkpt>）")
    for n, e in enumerate(elements, start=1):
        where = f"第 {n} 个轨迹点"
        try:
            lat, lng = float(e.attrib["lat"]), float(e.attrib["lon"])
        except (KeyError, ValueError):
            raise TrackError("缺少或无法识别 lat/lon", where) from None
        if not (math.isfinite(lat) and math.isfinite(lng)):
            raise TrackError("坐标不是有限数", where)
        time_el = next((c for c in e if c.tag.rsplit("}", 1)[-1] == "time"), None)
        points.append(TrackPoint(_parse_time(time_el.text if time_el is not None else None, where), lng, lat))
    return points
