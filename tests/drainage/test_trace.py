"""Tracing on small known networks, the API and page, and the speed on a 100,000-pipe network."""
from __future__ import annotations

import time

import numpy as np
import pytest
from drainage_net import POS, node, numbered, pipe

from chengyun.drainage import services
from chengyun.drainage.graph import FlowGraph


def test_graph_reach_on_a_known_tree():
    #   0 → 2 ← 1 ;  2 → 3 → 5 ← 4 ;  6 → 7 (separate)
    g = FlowGraph(8, [0, 1, 2, 3, 4, 6], [2, 2, 3, 5, 5, 7])
    up = g.reach(5, "upstream")
    assert sorted(up.nodes.tolist()) == [0, 1, 2, 3, 4, 5] and sorted(up.edges.tolist()) == [0, 1, 2, 3, 4]
    down = g.reach(1, "downstream")
    assert sorted(down.nodes.tolist()) == [1, 2, 3, 5] and sorted(down.edges.tolist()) == [1, 2, 3]
    assert g.reach(6, "upstream").edges.size == 0
    assert g.upstream_length(np.ones(6)).tolist() == [1, 1, 3, 4, 1, 1]
    with pytest.raises(ValueError):
        g.reach(0, "sideways")


def test_graph_reach_with_a_divergence_counts_each_pipe_once():
    # 0 → 1, 0 → 2 (a high point draining both ways), 1 → 3, 2 → 3
    g = FlowGraph(4, [0, 0, 1, 2], [1, 2, 3, 3])
    up = g.reach(3, "upstream")
    assert sorted(up.edges.tolist()) == [0, 1, 2, 3] and sorted(up.nodes.tolist()) == [0, 1, 2, 3]
    assert g.cycle_nodes().size == 0 and g.topological_order() is not None


def test_cycle_detection():
    g = FlowGraph(5, [0, 1, 2, 3, 2], [1, 2, 3, 1, 4])
    assert sorted(g.cycle_nodes().tolist()) == [1, 2, 3]
    assert g.topological_order() is None


def test_trace_service_upstream_and_downstream(network):
    from chengyun.drainage.models import Source

    services.add_sources(None, [{"code": "H1", "name": "阳光小区", "kind": "compound", "node": "R4"},
                                {"code": "H2", "name": "食品厂", "kind": "enterprise", "node": "W1"}])
    up = services.trace("OF-T1", "upstream")
    assert sorted(up.pipes) == ["P1", "P2", "P3", "P4"]
    assert sorted(up.nodes) == ["OF-T1", "R1", "R2", "R3", "R4"]
    assert [s["code"] for s in up.sources] == ["H1"]
    assert up.catchment["type"] == "Polygon"
    from chengyun.drainage.models import Pipe

    assert up.length_m == pytest.approx(sum(Pipe.objects.filter(code__in=["P1", "P2", "P3", "P4"]).values_list("length_m", flat=True)))
    down = services.trace("R4", "downstream")
    assert sorted(down.pipes) == ["P2", "P3", "P4"] and down.ends == ["OF-T1"] and down.catchment is None
    assert Source.objects.count() == 2


def test_trace_sees_a_new_import_at_once(network):
    services.import_network(numbered([node("R9", "manhole", (0, 4)), pipe("P9", "R9", "R4", ((0, 4), POS["R4"]))]))
    assert "P9" in services.trace("OF-T1").pipes


def test_trace_unknown_node_and_bad_direction(network):
    from chengyun.core.errors import Invalid, NotFound

    with pytest.raises(NotFound):
        services.trace("NOPE")
    with pytest.raises(Invalid):
        services.trace("R1", "sideways")


def test_trace_api_and_page(network, make_user, api_client, client):
    user = make_user("community_grid_worker", grids=["630109001001001"])
    resp = api_client.as_user(user).get("drainage/trace", {"node": "R2", "direction": "upstream"})
    assert resp.status_code == 200
    body = resp.json()
    assert sorted(body["pipes"]) == ["P1", "P3"] and body["pipe_count"] == 2 and sorted(body["nodes"]) == ["R1", "R2", "R4"]
    assert api_client.get("drainage/trace", {"node": "R2", "direction": "sideways"}).status_code == 422
    missing = api_client.get("drainage/trace", {"node": "ZZ"})
    assert missing.status_code == 404 and missing.json()["message"] == "节点 ZZ 不存在"
    page = client.get("/drainage/trace/?node=R2&direction=upstream")
    assert page.status_code == 200 and 'data-node="R2"' in page.content.decode()


def _synthetic_tree(n_pipes: int, seed: int = 7) -> tuple[np.ndarray, np.ndarray]:
    """A random in-tree: node i > 0 drains into a node with a smaller number (the outfall is 0)."""
    rng = np.random.default_rng(seed)
    child = np.arange(1, n_pipes + 1)
    # Mostly to a near neighbour (a sewer runs along a street), sometimes further (a trunk).
    parent = np.maximum(child - rng.integers(1, 40, size=n_pipes), 0)
    return child, parent


def test_upstream_trace_of_100k_pipes_under_100_ms():
    src, dst = _synthetic_tree(100_000)
    g = FlowGraph(100_001, src, dst)
    g.reach(0, "upstream")  # warm up
    times = []
    for _ in range(5):
        t = time.perf_counter()
        r = g.reach(0, "upstream")
        times.append(time.perf_counter() - t)
    assert r.edges.size == 100_000
    assert sorted(times)[2] < 0.1, times


def test_trace_service_on_100k_pipes_under_100_ms(monkeypatch):
    from chengyun.drainage import index

    src, dst = _synthetic_tree(100_000)
    nodes = [(i, f"N{i}", "outfall" if i == 0 else "manhole", 101.7 + (i % 300) * 1e-4, 36.5 + (i // 300) * 1e-4) for i in range(100_001)]
    pipes = [(e, f"P{e}", "rain", 30.0, int(s), int(d)) for e, (s, d) in enumerate(zip(src, dst))]
    idx = index.NetworkIndex.from_rows(nodes, pipes)
    monkeypatch.setattr(index, "get_index", lambda: idx)
    services.trace("N0", catchment=False)
    times = []
    for _ in range(5):
        t = time.perf_counter()
        r = services.trace("N0", catchment=False)
        times.append(time.perf_counter() - t)
    assert len(r.pipes) == 100_000
    # Best of five: the machines these tests run on are shared, and a busy neighbour can stall
    # any single run; the median on a quiet machine is in docs/performance.md.
    assert min(times) < 0.1, times


def test_numpy_fallback_agrees_with_scipy():
    src, dst = _synthetic_tree(5_000, seed=3)
    # Add a few divergences and parallel pipes so the graph is not a plain tree.
    src = np.concatenate([src, [100, 200, 300]])
    dst = np.concatenate([dst, [50, 199, 10]])
    g = FlowGraph(5_001, src, dst)
    for start, direction in ((0, "upstream"), (10, "upstream"), (4_000, "downstream")):
        a, b = g.reach(start, direction), g.reach_numpy(start, direction)
        assert sorted(a.nodes.tolist()) == sorted(b.nodes.tolist())
        assert sorted(a.edges.tolist()) == sorted(b.edges.tolist())
