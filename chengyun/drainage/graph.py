"""Upstream/downstream traversal over a pipe network held as CSR arrays (no Django).

Nodes are 0..n-1, pipes are edges ``src[e] -> dst[e]`` in the direction of flow. Two CSR
tables are kept: pipes *leaving* each node (downstream) and pipes *entering* each node
(upstream). A trace is one breadth-first search in compiled code (scipy.sparse.csgraph) over
the matching table, then one vectorised gather of the pipes of the nodes reached. Without
scipy, a numpy search expands a whole frontier per call (fine for shallow networks; each
level costs a few array operations, so very deep chains are slower).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np


def _csr(keys: np.ndarray, n: int) -> tuple[np.ndarray, np.ndarray]:
    """(indptr, edge order) grouping edge ids by ``keys`` (a stable counting sort)."""
    order = np.argsort(keys, kind="stable").astype(np.int64)
    counts = np.bincount(keys, minlength=n)
    indptr = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(counts, out=indptr[1:])
    return indptr, order


@dataclass
class Reach:
    nodes: np.ndarray  # node ids reached, the start included
    edges: np.ndarray  # edge ids traversed


class FlowGraph:
    def __init__(self, n_nodes: int, src: np.ndarray, dst: np.ndarray):
        self.n = int(n_nodes)
        self.src = np.asarray(src, dtype=np.int64)
        self.dst = np.asarray(dst, dtype=np.int64)
        # Upstream: for node v, the pipes ending at v; walking them leads to their src.
        self.in_ptr, self.in_edges = _csr(self.dst, self.n)
        self.out_ptr, self.out_edges = _csr(self.src, self.n)
        self.in_nbr = self.src[self.in_edges]
        self.out_nbr = self.dst[self.out_edges]
        self._matrices: dict[str, object] = {}

    def _matrix(self, direction: str):
        m = self._matrices.get(direction)
        if m is None:
            from scipy.sparse import csr_matrix

            ptr, nbr = (self.in_ptr, self.in_nbr) if direction == "upstream" else (self.out_ptr, self.out_nbr)
            # float64 data and int32 indices are what csgraph works in: any other dtype is
            # converted (copied) on every call, which costs more than a small trace itself.
            m = csr_matrix((np.ones(len(nbr), dtype=np.float64), nbr.astype(np.int32), ptr.astype(np.int32)), shape=(self.n, self.n))
            self._matrices[direction] = m
        return m

    def _gather(self, ptr: np.ndarray, edges: np.ndarray, nodes: np.ndarray) -> np.ndarray:
        """The edge ids listed in the CSR rows of ``nodes``, in one array."""
        lo = ptr[nodes]
        counts = ptr[nodes + 1] - lo
        total = int(counts.sum())
        if total == 0:
            return np.empty(0, dtype=np.int64)
        offsets = np.repeat(lo - (np.cumsum(counts) - counts), counts)
        return edges[offsets + np.arange(total)]

    @property
    def n_edges(self) -> int:
        return len(self.src)

    def reach(self, start: int, direction: str = "upstream") -> Reach:
        if direction not in ("upstream", "downstream"):
            raise ValueError(f"direction must be upstream or downstream, not {direction!r}")
        try:
            from scipy.sparse.csgraph import breadth_first_order
        except ImportError:
            return self.reach_numpy(start, direction)
        nodes = breadth_first_order(self._matrix(direction), int(start), directed=True, return_predecessors=False).astype(np.int64)
        # Every pipe entering (upstream) or leaving (downstream) a reached node is itself reached.
        ptr, edges = (self.in_ptr, self.in_edges) if direction == "upstream" else (self.out_ptr, self.out_edges)
        return Reach(nodes=nodes, edges=self._gather(ptr, edges, nodes))

    def reach_numpy(self, start: int, direction: str = "upstream") -> Reach:
        if direction == "upstream":
            ptr, edges, nbr = self.in_ptr, self.in_edges, self.in_nbr
        elif direction == "downstream":
            ptr, edges, nbr = self.out_ptr, self.out_edges, self.out_nbr
        else:
            raise ValueError(f"direction must be upstream or downstream, not {direction!r}")
        seen = np.zeros(self.n, dtype=bool)
        seen[start] = True
        frontier = np.array([start], dtype=np.int64)
        node_parts = [frontier]
        edge_parts = []
        while frontier.size:
            lo = ptr[frontier]
            counts = ptr[frontier + 1] - lo
            total = int(counts.sum())
            if total == 0:
                break
            if frontier.size == 1:
                idx = np.arange(lo[0], lo[0] + total)
            else:
                # Positions lo[k] .. lo[k]+counts[k]-1 for every frontier node, in one array.
                offsets = np.repeat(lo - (np.cumsum(counts) - counts), counts)
                idx = offsets + np.arange(total)
            edge_parts.append(edges[idx])
            nxt = nbr[idx]
            nxt = nxt[~seen[nxt]]
            if nxt.size > 1:
                nxt = np.unique(nxt)
            seen[nxt] = True
            if nxt.size:
                node_parts.append(nxt)
            frontier = nxt
        return Reach(
            nodes=np.concatenate(node_parts),
            edges=np.concatenate(edge_parts) if edge_parts else np.empty(0, dtype=np.int64),
        )

    def topological_order(self) -> np.ndarray | None:
        """Nodes from the heads of the network to its ends, or None if a directed cycle exists."""
        indeg = np.bincount(self.dst, minlength=self.n)
        frontier = np.flatnonzero(indeg == 0)
        order = []
        remaining = indeg.copy()
        while frontier.size:
            order.append(frontier)
            lo = self.out_ptr[frontier]
            counts = self.out_ptr[frontier + 1] - lo
            total = int(counts.sum())
            if total == 0:
                break
            offsets = np.repeat(lo - (np.cumsum(counts) - counts), counts)
            targets = self.out_nbr[offsets + np.arange(total)]
            np.subtract.at(remaining, targets, 1)
            touched = np.unique(targets)
            frontier = touched[remaining[touched] == 0]
        out = np.concatenate(order) if order else np.empty(0, dtype=np.int64)
        return out if out.size == self.n else None

    def _peel(self, ptr: np.ndarray, nbr: np.ndarray, indeg: np.ndarray) -> np.ndarray:
        """Kahn's peeling: which nodes can be ordered starting from those with no inflow."""
        remaining = indeg.copy()
        placed = np.zeros(self.n, dtype=bool)
        frontier = np.flatnonzero(indeg == 0)
        while frontier.size:
            placed[frontier] = True
            lo = ptr[frontier]
            counts = ptr[frontier + 1] - lo
            total = int(counts.sum())
            if total == 0:
                break
            offsets = np.repeat(lo - (np.cumsum(counts) - counts), counts)
            targets = nbr[offsets + np.arange(total)]
            np.subtract.at(remaining, targets, 1)
            touched = np.unique(targets)
            frontier = touched[(remaining[touched] == 0) & ~placed[touched]]
        return placed

    def cycle_nodes(self) -> np.ndarray:
        """Nodes that lie on a directed cycle or between cycles: those that can be ordered neither
        from the heads of the network nor back from its ends."""
        forward = self._peel(self.out_ptr, self.out_nbr, np.bincount(self.dst, minlength=self.n))
        backward = self._peel(self.in_ptr, self.in_nbr, np.bincount(self.src, minlength=self.n))
        return np.flatnonzero(~forward & ~backward)

    def upstream_length(self, edge_length: np.ndarray) -> np.ndarray | None:
        """Per edge: its own length plus every length upstream of it (shared branches counted once
        per path, which on a dendritic network is exact). None when the graph has a cycle."""
        order = self.topological_order()
        if order is None:
            return None
        node_acc = np.zeros(self.n, dtype=float)
        edge_acc = np.zeros(self.n_edges, dtype=float)
        # Walk nodes in topological order: a node's inflow is final before it is passed on.
        out_ptr, out_edges = self.out_ptr, self.out_edges
        for v in order.tolist():
            a, b = out_ptr[v], out_ptr[v + 1]
            if a == b:
                continue
            es = out_edges[a:b]
            # Flow splitting at a node with several outlets is unknown; each outlet is credited
            # with the whole inflow, the conservative reading for "length served".
            vals = node_acc[v] + edge_length[es]
            edge_acc[es] = vals
            np.add.at(node_acc, self.dst[es], vals)
        return edge_acc

    def components(self) -> np.ndarray:
        """Weakly connected component label per node (union-find over the edges)."""
        # Min-label propagation with pointer jumping, until stable; fast on sparse networks.
        label = np.arange(self.n)
        while True:
            m = np.minimum(label[self.src], label[self.dst])
            new = label.copy()
            np.minimum.at(new, self.src, m)
            np.minimum.at(new, self.dst, m)
            new = new[new]
            if np.array_equal(new, label):
                break
            label = new
        return label
