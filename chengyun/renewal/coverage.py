"""Service-radius coverage of residential land, computed from layers (no Django here).

Everything is projected to a local transverse-Mercator CRS centred on the data (metres; scale
error below 1e-5 across a district), then:

- Area coverage (公园绿化活动场地 / 消防站 / 中学服务半径覆盖率): the share of residential land
  area within a source's radius. Each source's service area is its geometry buffered by its
  radius (the same polygon a GIS buffer makes, ``quad_segs`` segments per quarter circle). An
  STRtree over the sources gives the candidate (parcel, source) pairs; one vectorised distance
  per pair from the parcel's centre, with the parcel's radius, settles most pairs as wholly
  inside or wholly outside (see area_coverage). Only the remaining, partly covered parcels are
  intersected with service-area polygons, and the pieces of a parcel cut by several of them are
  unioned in as many vectorised passes as the largest number of such pieces.
- Point coverage (十五分钟生活圈): a parcel is served when its representative point is within
  the radius of at least one facility of every required kind, by straight line (STRtree
  ``dwithin``) or by network distance over the road graph (one multi-source Dijkstra per kind,
  scipy.sparse.csgraph, facilities and parcels attached to their nearest road node).
- Park coverage by network: a park is a polygon, so its access points are points every few
  metres along its outer boundary (boundary_points), each attached to its nearest road node
  like a facility; one multi-source Dijkstra per park size class with that class's radius, and
  a parcel counts (whole) when its representative point's road node is within the radius.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import numpy as np
import shapely
from pyproj import CRS, Transformer
from shapely import STRtree

QUAD_SEGS = 16


def local_transformer(geoms: np.ndarray) -> Transformer:
    """lng/lat → metres in a transverse Mercator centred on the data's bounding box."""
    minx, miny, maxx, maxy = shapely.total_bounds(geoms)
    lon0, lat0 = (minx + maxx) / 2, (miny + maxy) / 2
    crs = CRS.from_proj4(f"+proj=tmerc +lat_0={lat0:.6f} +lon_0={lon0:.6f} +k=1 +x_0=0 +y_0=0 +ellps=GRS80 +units=m +no_defs")
    return Transformer.from_crs(CRS.from_epsg(4326), crs, always_xy=True)


def project(geoms: np.ndarray, transformer: Transformer) -> np.ndarray:
    def fn(xy: np.ndarray) -> np.ndarray:
        x, y = transformer.transform(xy[:, 0], xy[:, 1])
        return np.column_stack([x, y])

    return shapely.transform(np.asarray(geoms, dtype=object), fn)


def area_coverage(parcels: np.ndarray, sources: np.ndarray, radii: np.ndarray | float, *, quad_segs: int = QUAD_SEGS) -> np.ndarray:
    """Covered area (m²) of each parcel: its area within `radii` of any source (metric CRS).

    A parcel is bounded by the circle about its bounding-box centre c with radius ρ (its
    farthest vertex: a polygon lies in the hull of its vertices).
    Distance to a source is 1-Lipschitz, so with d = distance(c, source):
    d + ρ ≤ r·cos(π/4q) → the parcel lies wholly inside the source's buffer polygon (whose
    chords come no closer than r·cos(π/4q)); d − ρ > r → it cannot meet it. Only the pairs in
    between are intersected with the buffer polygon, so the result is the buffer-and-overlay
    answer without buffering or overlaying the rest.
    """
    parcels = np.asarray(parcels, dtype=object)
    covered = np.zeros(len(parcels))
    if len(parcels) == 0 or len(sources) == 0:
        return covered
    sources = np.asarray(sources, dtype=object)
    radii = np.broadcast_to(np.asarray(radii, dtype=float), (len(sources),))
    # The bounding-box centre serves as well as the centroid (ρ is measured from it) and is cheaper.
    bounds = shapely.bounds(parcels)
    cx, cy = (bounds[:, 0] + bounds[:, 2]) / 2, (bounds[:, 1] + bounds[:, 3]) / 2
    centres = shapely.points(cx, cy)
    coords, owner = shapely.get_coordinates(parcels, return_index=True)
    rho = np.zeros(len(parcels))
    np.maximum.at(rho, owner, np.hypot(coords[:, 0] - cx[owner], coords[:, 1] - cy[owner]))
    tree = STRtree(sources)
    pi, si = tree.query(centres, predicate="dwithin", distance=float(radii.max() + rho.max()))
    if len(pi) == 0:
        return covered
    d = shapely.distance(centres[pi], sources[si])
    r = radii[si]
    inner = r * np.cos(np.pi / (4 * quad_segs))
    whole = np.zeros(len(parcels), dtype=bool)
    whole[pi[d + rho[pi] <= inner]] = True
    covered[whole] = shapely.area(parcels[whole])
    keep = ~whole[pi] & (d - rho[pi] <= r)
    pi, si = pi[keep], si[keep]
    if len(pi) == 0:
        return covered
    used = np.unique(si)
    areas = np.empty(len(sources), dtype=object)
    areas[used] = shapely.buffer(sources[used], radii[used], quad_segs=quad_segs)
    order = np.argsort(pi, kind="stable")
    pi, si = pi[order], si[order]
    pieces = shapely.intersection(parcels[pi], areas[si])
    # Pass k unions each parcel's k-th piece into its accumulator.
    starts = np.r_[0, np.flatnonzero(np.diff(pi)) + 1]
    counts = np.diff(np.r_[starts, len(pi)])
    owners = pi[starts]
    acc = pieces[starts].copy()
    for k in range(1, int(counts.max())):
        sel = np.flatnonzero(counts > k)
        acc[sel] = shapely.union(acc[sel], pieces[starts[sel] + k])
    covered[owners] = shapely.area(acc)
    return covered


def park_radii(park_areas_m2: np.ndarray, tiers: Sequence[tuple[float, float]]) -> np.ndarray:
    """Service radius by park size; `tiers` (min area m², radius m) largest first; 0 = not counted."""
    out = np.zeros(len(park_areas_m2))
    assigned = np.zeros(len(park_areas_m2), dtype=bool)
    for min_area, radius in sorted(tiers, key=lambda t: -t[0]):
        sel = ~assigned & (np.asarray(park_areas_m2) >= min_area)
        out[sel] = radius
        assigned |= sel
    return out


def boundary_points(polygons: np.ndarray, spacing: float) -> np.ndarray:
    """Points at most `spacing` m apart along the outer boundary of each polygon (every part of a
    multipolygon; holes — a lake, a building — are not ways in). Every vertex is one of them."""
    polygons = np.asarray(polygons, dtype=object)
    if len(polygons) == 0:
        return np.array([], dtype=object)
    rings = shapely.segmentize(shapely.get_exterior_ring(shapely.get_parts(polygons)), spacing)
    return shapely.points(shapely.get_coordinates(rings))


def within_straight(points: np.ndarray, facilities: np.ndarray, radius: float) -> np.ndarray:
    """Whether each point lies within `radius` (m) of any facility, straight-line."""
    served = np.zeros(len(points), dtype=bool)
    if len(points) == 0 or len(facilities) == 0:
        return served
    tree = STRtree(np.asarray(facilities, dtype=object))
    pi, _ = tree.query(np.asarray(points, dtype=object), predicate="dwithin", distance=radius)
    served[pi] = True
    return served


@dataclass
class RoadGraph:
    """An undirected road graph in metres: nodes are line vertices (snapped to `snap` m), edges
    the segments between them weighted by length."""

    xy: np.ndarray  # (n, 2)
    matrix: object  # scipy.sparse csr (n, n)
    tree: STRtree

    @classmethod
    def from_lines(cls, lines: np.ndarray, snap: float = 1.0, densify: float = 50.0) -> "RoadGraph":
        """Lines are cut every `densify` m so that a parcel or facility joins the road near its
        foot point rather than at a far junction."""
        from scipy.sparse import coo_matrix, csr_matrix

        lines = shapely.segmentize(np.asarray(lines, dtype=object), densify) if densify else np.asarray(lines, dtype=object)
        coords, owner = shapely.get_coordinates(lines, return_index=True)
        keys = np.round(coords / snap).astype(np.int64)
        uniq, node = np.unique(keys, axis=0, return_inverse=True)
        node = node.ravel()
        same_line = owner[1:] == owner[:-1]
        a, b = node[:-1][same_line], node[1:][same_line]
        length = np.hypot(*(coords[1:][same_line] - coords[:-1][same_line]).T)
        keep = a != b
        a, b, length = a[keep], b[keep], length[keep]
        n = len(uniq)
        # Two lines may share a segment: keep the shortest edge between two nodes, not the sum.
        m = coo_matrix((np.r_[length, length], (np.r_[a, b], np.r_[b, a])), shape=(n, n))
        order = np.lexsort((m.data, m.col, m.row))
        row, col, data = m.row[order], m.col[order], m.data[order]
        first = np.r_[True, (row[1:] != row[:-1]) | (col[1:] != col[:-1])]
        matrix = csr_matrix((data[first], (row[first], col[first])), shape=(n, n))
        xy = uniq.astype(float) * snap
        return cls(xy=xy, matrix=matrix, tree=STRtree(shapely.points(xy)))

    def nearest(self, points: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Nearest road node of each point and the straight distance to it (m)."""
        idx = self.tree.nearest(np.asarray(points, dtype=object))
        d = np.hypot(shapely.get_x(points) - self.xy[idx, 0], shapely.get_y(points) - self.xy[idx, 1])
        return idx, d

    def distance_from(self, facilities: np.ndarray) -> np.ndarray:
        """Network distance (m) from the nearest facility to every node: one Dijkstra from a
        virtual source joined to each facility's road node by its access distance."""
        from scipy.sparse import bmat, csr_matrix
        from scipy.sparse.csgraph import dijkstra

        n = self.matrix.shape[0]
        if len(facilities) == 0:
            return np.full(n, np.inf)
        idx, access = self.nearest(facilities)
        # Several facilities (or a park's boundary points) can share a road node: keep the
        # shortest walk to it, as the sparse constructor would otherwise add them up.
        nodes = np.unique(idx)
        walk = np.full(n, np.inf)
        np.minimum.at(walk, idx, access)
        # Row n is the virtual source; access 0 would be dropped by the sparse format, so nudge it.
        row = csr_matrix((np.maximum(walk[nodes], 1e-9), (np.zeros(len(nodes), dtype=int), nodes)), shape=(1, n))
        full = bmat([[self.matrix, None], [row, csr_matrix((1, 1))]], format="csr")
        dist = dijkstra(full, directed=True, indices=n)
        return dist[:n]


def within_network(points: np.ndarray, facilities: np.ndarray, radius: float, graph: RoadGraph) -> np.ndarray:
    """Whether each point reaches a facility within `radius` m along the roads (walking to the
    nearest road node at each end counts)."""
    if len(points) == 0:
        return np.zeros(0, dtype=bool)
    dist = graph.distance_from(facilities)
    idx, access = graph.nearest(points)
    return dist[idx] + access <= radius


def parks_within(points: np.ndarray, parks: np.ndarray, radii: np.ndarray, graph: RoadGraph | None = None,
                 spacing: float = 25.0) -> np.ndarray:
    """Whether each point is within its size class's radius of a park (`radii` per park, from
    park_radii; 0 = does not count): straight-line, or — given a road graph — along the roads
    from the park's boundary points (`spacing` m apart), one multi-source Dijkstra per class."""
    parks, radii = np.asarray(parks, dtype=object), np.asarray(radii, dtype=float)
    served = np.zeros(len(points), dtype=bool)
    for radius in np.unique(radii[radii > 0]):
        members = parks[radii == radius]
        if graph is None:
            served |= within_straight(points, members, float(radius))
        else:
            served |= within_network(points, boundary_points(members, spacing), float(radius), graph)
    return served
