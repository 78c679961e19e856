"""The in-memory locate index: point → grid → community → street.

One STRtree over the unit grids; streets and communities follow from the grid. The index is
rebuilt lazily when the boundaries' ChangeStamp moves (any process may have imported new
boundaries; see core/stamps.py), checked at most every few seconds so locate stays a memory
operation.
"""
from __future__ import annotations

import json
from dataclasses import dataclass

import numpy as np
import shapely
from shapely import STRtree
from shapely.geometry import shape

from chengyun.core.stamps import StampedCache

STAMP = "geo.boundaries"


@dataclass(frozen=True)
class GridInfo:
    id: int
    code: str
    name: str
    community_id: int
    community_code: str
    community_name: str
    street_id: int
    street_code: str
    street_name: str


class LocateIndex:
    """Grid lookup in two steps. A raster over the district's bounding box answers most
    points by array indexing alone: a raster cell lying wholly in the interior of one grid
    names that grid, a cell touching no grid means "outside". Only points in cells crossed
    by a boundary are tested exactly against the STRtree — a few percent of the district's area."""

    # Raster cells per grid: enough that boundary cells are a small share of the area, few
    # enough that building the raster (on every boundary change) stays well under a second.
    CELLS_PER_GRID = 256
    MAX_CELLS = 400_000

    def __init__(self, grids: list[GridInfo], geometries: list):
        # Sorted by code so that a point on a shared edge resolves to the lowest code,
        # the same answer every time and in every process.
        order = sorted(range(len(grids)), key=lambda i: grids[i].code)
        self.grids = [grids[i] for i in order]
        self.geometries = np.array([geometries[i] for i in order], dtype=object)
        self.tree = STRtree(self.geometries)
        self._build_raster()

    def _build_raster(self) -> None:
        self.raster = None
        if len(self.grids) == 0:
            return
        minx, miny, maxx, maxy = shapely.total_bounds(self.geometries)
        area = (maxx - minx) * (maxy - miny)
        if area <= 0:
            return
        size = float(np.sqrt(area / min(self.MAX_CELLS, self.CELLS_PER_GRID * len(self.grids))))
        nx = int(np.ceil((maxx - minx) / size)) or 1
        ny = int(np.ceil((maxy - miny) / size)) or 1
        ix, iy = np.meshgrid(np.arange(nx), np.arange(ny), indexing="ij")
        x0 = minx + ix.ravel() * size
        y0 = miny + iy.ravel() * size
        eps = size * 1e-6  # grown a hair, so "within" below means strictly inside a grid
        cells = shapely.box(x0 - eps, y0 - eps, x0 + size + eps, y0 + size + eps)
        raster = np.full(len(cells), -1, dtype=np.int64)  # -1 outside every grid
        hit_cells, _ = self.tree.query(cells, predicate="intersects")
        raster[np.unique(hit_cells)] = -2  # -2: crossed by a boundary, test exactly
        inside_cells, inside_grids = self.tree.query(cells, predicate="within")
        raster[inside_cells] = inside_grids
        self.raster = raster.reshape(nx, ny)
        self._origin = (minx, miny)
        self._cell = size

    def __len__(self) -> int:
        return len(self.grids)

    def locate_many(self, lng: np.ndarray, lat: np.ndarray) -> np.ndarray:
        """Index into ``self.grids`` for each point, or -1 outside every grid."""
        lng = np.asarray(lng, dtype=float)
        lat = np.asarray(lat, dtype=float)
        result = np.full(len(lng), -1, dtype=np.int64)
        if len(self.grids) == 0 or len(lng) == 0:
            return result
        todo = np.arange(len(lng))
        if self.raster is not None:
            nx, ny = self.raster.shape
            ix = np.floor((lng - self._origin[0]) / self._cell).astype(np.int64)
            iy = np.floor((lat - self._origin[1]) / self._cell).astype(np.int64)
            inside = (ix >= 0) & (ix < nx) & (iy >= 0) & (iy < ny)
            answer = np.full(len(lng), -2, dtype=np.int64)
            answer[~inside] = -1
            answer[inside] = self.raster[ix[inside], iy[inside]]
            result = np.where(answer >= -1, answer, -1)
            # Points on the bounding box's far edges fall just past the raster: test them exactly.
            todo = np.flatnonzero((answer == -2) | (~inside & (lng >= self._origin[0]) & (lat >= self._origin[1])
                                  & (lng <= self._origin[0] + nx * self._cell) & (lat <= self._origin[1] + ny * self._cell)))
        if len(todo):
            result[todo] = self._exact(lng[todo], lat[todo])
        return result

    def _exact(self, lng: np.ndarray, lat: np.ndarray) -> np.ndarray:
        points = shapely.points(lng, lat)
        result = np.full(len(points), -1, dtype=np.int64)
        point_idx, tree_idx = self.tree.query(points, predicate="intersects")
        if len(point_idx):
            # Several hits only on shared edges: keep the lowest tree index (lowest code).
            order = np.lexsort((tree_idx, point_idx))
            point_idx, tree_idx = point_idx[order], tree_idx[order]
            first = np.ones(len(point_idx), dtype=bool)
            first[1:] = point_idx[1:] != point_idx[:-1]
            result[point_idx[first]] = tree_idx[first]
        return result

    def locate(self, lng: float, lat: float) -> GridInfo | None:
        hit = int(self.locate_many(np.array([lng]), np.array([lat]))[0])
        return self.grids[hit] if hit >= 0 else None


def build() -> LocateIndex:
    from .models import Grid

    rows = Grid.objects.select_related("community", "street").order_by("code")
    infos, geoms = [], []
    for g in rows:
        infos.append(GridInfo(g.id, g.code, g.name, g.community_id, g.community.code, g.community.name, g.street_id, g.street.code, g.street.name))
        geoms.append(shape(json.loads(g.geometry)))
    return LocateIndex(infos, geoms)


_cache: StampedCache[LocateIndex] = StampedCache(STAMP, build)
get_index = _cache.get
invalidate = _cache.invalidate
bump = _cache.bump
