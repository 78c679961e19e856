"""Upstream / downstream tracing from a node, with the catchment it drains and the dischargers it reaches."""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import shapely
from shapely.geometry import mapping

from chengyun.core.errors import Invalid, NotFound

from .. import index


@dataclass(frozen=True)
class TraceResult:
    node: str
    direction: str
    pipes: list[str]
    nodes: list[str]
    length_m: float
    catchment: dict | None  # GeoJSON geometry of the area drained (upstream traces)
    sources: list[dict]  # connected dischargers reached: code, name, kind, node
    ends: list[str]  # downstream: the outfalls, plants and dead ends the flow reaches

    def to_dict(self) -> dict[str, Any]:
        return {"node": self.node, "direction": self.direction, "pipe_count": len(self.pipes), "node_count": len(self.nodes),
                "length_m": round(self.length_m, 1), "pipes": self.pipes, "nodes": self.nodes, "catchment": self.catchment,
                "sources": self.sources, "ends": self.ends}


# Beyond this many points the concave hull is computed on an even sample: the outline barely
# changes and the hull's cost grows faster than linearly.
_HULL_SAMPLE = 1500


def trace(node_code: str, direction: str = "upstream", *, catchment: bool = True) -> TraceResult:
    """Every pipe and node upstream of (draining into) or downstream of (receiving flow from) a node."""
    if direction not in ("upstream", "downstream"):
        raise Invalid("direction 应为 upstream 或 downstream", code="bad_direction")
    idx = index.get_index()
    start = idx.node_pos.get(node_code)
    if start is None:
        raise NotFound(f"节点 {node_code} 不存在", code="unknown_node")
    reach = idx.graph.reach(start, direction)
    nodes = reach.nodes
    edges = reach.edges
    hull = None
    if catchment and direction == "upstream" and nodes.size:
        hull = _catchment(idx.node_lng[nodes], idx.node_lat[nodes])
    sources = []
    if len(idx.source_node):
        hit = np.isin(idx.source_node, nodes)
        sources = [{"code": c, "name": n, "kind": k, "node": idx.node_codes[idx.source_node[i]]}
                   for i, (c, n, k) in ((i, idx.source_info[i]) for i in np.flatnonzero(hit).tolist())]
    ends: list[str] = []
    if direction == "downstream":
        g = idx.graph
        outdeg = g.out_ptr[nodes + 1] - g.out_ptr[nodes]
        ends = idx.node_codes[nodes[outdeg == 0]].tolist()
    return TraceResult(
        node=node_code, direction=direction, pipes=idx.pipe_codes[edges].tolist(), nodes=idx.node_codes[nodes].tolist(),
        length_m=float(idx.pipe_length[edges].sum()), catchment=hull, sources=sources, ends=ends,
    )


def _catchment(lng: np.ndarray, lat: np.ndarray) -> dict:
    if lng.size > _HULL_SAMPLE:
        step = int(math.ceil(lng.size / _HULL_SAMPLE))
        lng, lat = lng[::step], lat[::step]
    pts = shapely.multipoints(np.column_stack([lng, lat]))
    if lng.size < 3:
        # One or two manholes drain a strip, not an area: about 30 m around them.
        geom = pts.buffer(0.0003)
    else:
        geom = shapely.concave_hull(pts, ratio=0.15)
        if geom.geom_type != "Polygon" or geom.area == 0:
            geom = pts.convex_hull.buffer(0.0002)
    return mapping(geom)
