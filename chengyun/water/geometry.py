"""Lines on the ground: validated GeoJSON and geodesic lengths (WGS84 ellipsoid)."""
from __future__ import annotations

import json
import math
from typing import Any, Iterable

from pyproj import Geod

from chengyun.core.errors import Invalid

_GEOD = Geod(ellps="WGS84")
MAX_TRACK_POINTS = 20_000


def clean_geojson(text: str, allowed: Iterable[str]) -> str:
    if not text:
        return ""
    try:
        geom = json.loads(text) if isinstance(text, str) else text
    except ValueError:
        raise Invalid("几何不是有效的 GeoJSON", code="invalid_geometry", detail={"field": "geometry"}) from None
    if not isinstance(geom, dict) or geom.get("type") not in set(allowed):
        raise Invalid(f"几何类型应为 {'/'.join(allowed)}", code="invalid_geometry", detail={"field": "geometry"})
    return json.dumps(geom, separators=(",", ":"))


def clean_track(track: Any) -> dict[str, Any]:
    """A GPS track as a GeoJSON LineString: accepts the LineString or a bare list of [lng, lat]."""
    if isinstance(track, str):
        try:
            track = json.loads(track)
        except ValueError:
            raise Invalid("轨迹不是有效的 GeoJSON", code="invalid_track", detail={"field": "track"}) from None
    if isinstance(track, dict):
        if track.get("type") == "Feature":
            track = track.get("geometry") or {}
        if track.get("type") != "LineString":
            raise Invalid("轨迹应为 GeoJSON LineString", code="invalid_track", detail={"field": "track"})
        coords = track.get("coordinates")
    else:
        coords = track
    if not isinstance(coords, list) or len(coords) < 2:
        raise Invalid("轨迹至少需要 2 个点", code="invalid_track", detail={"field": "track"})
    if len(coords) > MAX_TRACK_POINTS:
        raise Invalid(f"轨迹点数超过 {MAX_TRACK_POINTS}", code="invalid_track", detail={"field": "track"})
    clean = []
    for i, pt in enumerate(coords):
        try:
            lng, lat = float(pt[0]), float(pt[1])
        except (TypeError, ValueError, IndexError):
            raise Invalid(f"轨迹第 {i + 1} 个点不是 [经度, 纬度]", code="invalid_track", detail={"field": "track", "index": i}) from None
        if not (math.isfinite(lng) and math.isfinite(lat) and -180 <= lng <= 180 and -90 <= lat <= 90):
            raise Invalid(f"轨迹第 {i + 1} 个点坐标超出范围", code="invalid_track", detail={"field": "track", "index": i})
        clean.append([round(lng, 7), round(lat, 7)])
    return {"type": "LineString", "coordinates": clean}


def line_length_m(coords: list[list[float]]) -> float:
    if len(coords) < 2:
        return 0.0
    lngs, lats = zip(*((c[0], c[1]) for c in coords))
    return float(_GEOD.line_length(lngs, lats))


def length_m(geojson_text: str) -> float:
    """Geodesic length of a (Multi)LineString; polygons (lakes) measure their shoreline."""
    if not geojson_text:
        return 0.0
    geom = json.loads(geojson_text)
    kind, coords = geom.get("type"), geom.get("coordinates", [])
    if kind == "LineString":
        return line_length_m(coords)
    if kind in ("MultiLineString", "Polygon"):
        return sum(line_length_m(part) for part in coords)
    if kind == "MultiPolygon":
        return sum(line_length_m(ring) for poly in coords for ring in poly)
    return 0.0


def _local_metres(lat: float) -> tuple[float, float]:
    return 111_320.0 * math.cos(math.radians(lat)), 110_950.0


def nearest_grid(lng: float, lat: float, tolerance_m: float):
    """The unit grid (geo's GridInfo) nearest to a point outside the district, if within `tolerance_m`."""
    from shapely.geometry import Point
    from shapely.ops import nearest_points

    from chengyun.geo import index

    idx = index.get_index()
    if len(idx) == 0:
        return None
    here = Point(lng, lat)
    i = int(idx.tree.nearest(here))
    p = nearest_points(idx.geometries[i], here)[0]
    mx, my = _local_metres(lat)
    return idx.grids[i] if math.hypot((p.x - lng) * mx, (p.y - lat) * my) <= tolerance_m else None


def point_in_grid(lng: float, lat: float, grid) -> tuple[float, float]:
    """The point itself if it lies in the grid, else the nearest point just inside it."""
    from shapely.geometry import Point
    from shapely.ops import nearest_points

    shape = grid.shape
    here = Point(lng, lat)
    if shape.contains(here):
        return lng, lat
    edge = nearest_points(shape, here)[0]
    c = shape.representative_point()
    # A tenth of the way from the edge towards an interior point: inside, and still close.
    return edge.x + (c.x - edge.x) * 0.1, edge.y + (c.y - edge.y) * 0.1
