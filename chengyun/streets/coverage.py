"""How much of a road segment a patrol walked: pure geometry (Shapely 2), no Django.

Coordinates are projected to local metres (equirectangular about the track's latitude: within
0.1 % over a district), the track is buffered by the distance a walker on either pavement is
from the centre line, and the segment's covered stretches are kept as intervals along it
(metres from its start). Intervals of several patrols merge by plain interval union, so a
week's coverage is a merge of stored numbers, never a geometry job over weeks of tracks.
"""
from __future__ import annotations

import math
from typing import Iterable, Sequence

import shapely
from shapely.geometry import LineString
from shapely.strtree import STRtree

M_PER_DEG_LAT = 111_320.0


class LocalFrame:
    def __init__(self, lat0: float):
        self.kx = M_PER_DEG_LAT * math.cos(math.radians(lat0))
        self.ky = M_PER_DEG_LAT

    def line(self, coords: Sequence[Sequence[float]]) -> LineString:
        return LineString([(x * self.kx, y * self.ky) for x, y, *_ in coords])


def merge(intervals: Iterable[Sequence[float]]) -> list[list[float]]:
    """Union of [from, to] intervals, sorted; touching ones join."""
    out: list[list[float]] = []
    for a, b in sorted((min(i), max(i)) for i in intervals):
        if out and a <= out[-1][1] + 1e-6:
            out[-1][1] = max(out[-1][1], b)
        else:
            out.append([a, b])
    return out


def total(intervals: Iterable[Sequence[float]]) -> float:
    return sum(b - a for a, b in merge(intervals))


def covered_intervals(segment: LineString, corridor) -> list[list[float]]:
    """Stretches of ``segment`` (local metres) inside ``corridor`` (a buffered track), as
    [from_m, to_m] along the segment."""
    inside = segment.intersection(corridor)
    if inside.is_empty:
        return []
    parts = inside.geoms if hasattr(inside, "geoms") else [inside]
    found = []
    for part in parts:
        if part.geom_type != "LineString" or part.length < 0.5:
            continue  # a segment merely touching the corridor's edge at a point
        a, b = segment.project(shapely.Point(part.coords[0])), segment.project(shapely.Point(part.coords[-1]))
        found.append([round(min(a, b), 2), round(max(a, b), 2)])
    return merge(found)


def patrol_coverage(track: Sequence[Sequence[float]], segments: dict[int, Sequence[Sequence[float]]], buffer_m: float) -> dict[int, list[list[float]]]:
    """For a track ([[lng, lat], …]) and segments {id: [[lng, lat], …]}: the covered intervals of
    each segment the corridor reaches (segments it misses are absent)."""
    if len(track) < 2 or not segments:
        return {}
    frame = LocalFrame(sum(p[1] for p in track) / len(track))
    corridor = frame.line(track).buffer(buffer_m, cap_style="round")
    ids = list(segments)
    lines = [frame.line(segments[i]) for i in ids]
    tree = STRtree(lines)
    result = {}
    for k in tree.query(corridor, predicate="intersects"):
        intervals = covered_intervals(lines[int(k)], corridor)
        if intervals:
            result[ids[int(k)]] = intervals
    return result


def segment_length_m(coords: Sequence[Sequence[float]]) -> float:
    lat0 = sum(p[1] for p in coords) / len(coords)
    return LocalFrame(lat0).line(coords).length
