"""The in-memory network index: node and pipe arrays plus the flow graph.

Rebuilt lazily when the network's ChangeStamp moves (an import or edit in any process),
checked at most every few seconds (core/stamps.py); a trace is then memory work only.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from chengyun.core.stamps import StampedCache

from .graph import FlowGraph

STAMP = "drainage.network"


@dataclass
class NetworkIndex:
    node_ids: np.ndarray
    node_codes: np.ndarray  # object array of str
    node_kind: np.ndarray
    node_lng: np.ndarray
    node_lat: np.ndarray
    pipe_ids: np.ndarray
    pipe_codes: np.ndarray
    pipe_type: np.ndarray
    pipe_length: np.ndarray
    graph: FlowGraph
    node_pos: dict[str, int]
    # Connected dischargers: node position and (code, name, kind) per source.
    source_node: np.ndarray
    source_info: list[tuple[str, str, str]]

    @classmethod
    def from_rows(cls, nodes: list[tuple], pipes: list[tuple], sources: list[tuple] = ()) -> "NetworkIndex":
        """nodes: (id, code, kind, lng, lat); pipes: (id, code, type, length, from_id, to_id);
        sources: (code, name, kind, node_id)."""
        node_ids = np.array([n[0] for n in nodes], dtype=np.int64)
        pos_by_id = {nid: i for i, nid in enumerate(node_ids.tolist())}
        node_codes = np.array([n[1] for n in nodes], dtype=object)
        src = np.array([pos_by_id[p[4]] for p in pipes], dtype=np.int64)
        dst = np.array([pos_by_id[p[5]] for p in pipes], dtype=np.int64)
        srcs = [s for s in sources if s[3] in pos_by_id]
        return cls(
            node_ids=node_ids,
            node_codes=node_codes,
            node_kind=np.array([n[2] for n in nodes], dtype=object),
            node_lng=np.array([n[3] for n in nodes], dtype=float),
            node_lat=np.array([n[4] for n in nodes], dtype=float),
            pipe_ids=np.array([p[0] for p in pipes], dtype=np.int64),
            pipe_codes=np.array([p[1] for p in pipes], dtype=object),
            pipe_type=np.array([p[2] for p in pipes], dtype=object),
            pipe_length=np.array([p[3] for p in pipes], dtype=float),
            graph=FlowGraph(len(nodes), src, dst),
            node_pos={c: i for i, c in enumerate(node_codes.tolist())},
            source_node=np.array([pos_by_id[s[3]] for s in srcs], dtype=np.int64),
            source_info=[(s[0], s[1], s[2]) for s in srcs],
        )


def build() -> NetworkIndex:
    from .models import Node, Pipe, Source

    nodes = list(Node.objects.order_by("id").values_list("id", "code", "kind", "lng", "lat"))
    pipes = list(Pipe.objects.order_by("id").values_list("id", "code", "type", "length_m", "from_node_id", "to_node_id"))
    sources = list(Source.objects.order_by("code").values_list("code", "name", "kind", "node_id"))
    idx = NetworkIndex.from_rows(nodes, pipes, sources)
    if nodes:
        # The first search loads scipy and builds the sparse tables: pay that here, not in a request.
        idx.graph.reach(0, "upstream")
        idx.graph.reach(0, "downstream")
    return idx


_cache: StampedCache[NetworkIndex] = StampedCache(STAMP, build)
get_index = _cache.get
invalidate = _cache.invalidate
bump = _cache.bump  # tell every process that the network changed
