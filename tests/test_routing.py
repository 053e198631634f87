"""Tests of the routing engine against scipy.sparse.csgraph, networkx and a brute-force oracle.

Random graphs come from hypothesis and include one-way arcs, zero-cost arcs, parallel arcs,
self-loops and disconnected parts. Primary costs are multiples of 1/4 in most tests so that sums are
exact in binary and ties (which decide ``cost2``) really happen; one test uses arbitrary floats.
"""

from __future__ import annotations

import heapq
import itertools
import math
import os
from pathlib import Path

import networkx as nx
import numpy as np
import pytest
import scipy.sparse as sp
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from scipy.sparse.csgraph import dijkstra

from accessibility import set_options
from accessibility.errors import InvalidValueError, MemoryEstimateError, NetworkError
from accessibility.routing import (
    CSRGraph,
    csr_from_arcs,
    distances_from,
    estimate_pairs_bytes,
    iter_many_to_many,
    many_to_many,
    nearest_k,
    opportunities_within,
    permute_graph,
    spatial_order,
)

SETTINGS = settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow], derandomize=True
)


# ------------------------------------------------------------------------------------------
# strategies and oracles
# ------------------------------------------------------------------------------------------


@st.composite
def graphs(draw, max_nodes=14, dyadic=True):
    """Arc lists (n, tail, head, cost, cost2); about a third of the nodes may be isolated."""
    n = draw(st.integers(1, max_nodes))
    m = draw(st.integers(0, 3 * n))
    node = st.integers(0, n - 1)
    tail = np.array(draw(st.lists(node, min_size=m, max_size=m)), np.int64)
    head = np.array(draw(st.lists(node, min_size=m, max_size=m)), np.int64)
    if dyadic:
        cost = np.array(draw(st.lists(st.integers(0, 12), min_size=m, max_size=m)), float) / 4
    else:
        # bounded away from 0: a zero or subnormal cost makes two paths tie exactly
        # (1 + 2e-309 == 1), and then cost2 depends on the tie-break, not on the path
        fl = st.floats(0.01, 10, allow_nan=False, allow_infinity=False)
        cost = np.array(draw(st.lists(fl, min_size=m, max_size=m)), float)
    cost2 = np.array(draw(st.lists(st.integers(0, 50), min_size=m, max_size=m)), float) * 10.0
    return n, tail, head, cost, cost2


@st.composite
def rows(draw, n, max_ids=4, max_rows=7):
    """Seed / attachment rows: id, node, cost, cost2 (ids may repeat: several rows per id)."""
    r = draw(st.integers(1, max_rows))
    ids = draw(st.lists(st.integers(0, max_ids), min_size=r, max_size=r))
    nodes = draw(st.lists(st.integers(0, n - 1), min_size=r, max_size=r))
    costs = draw(st.lists(st.integers(0, 6), min_size=r, max_size=r))
    costs2 = draw(st.lists(st.integers(0, 9), min_size=r, max_size=r))
    return (
        np.array(ids, np.int64) * 3 + 1,  # sparse, non-contiguous ids
        np.array(nodes, np.int64),
        np.array(costs, float) / 4,
        np.array(costs2, float),
    )


def scipy_matrix(n, tail, head, cost):
    """Sparse matrix keeping the cheapest of parallel arcs (scipy would sum duplicates)."""
    best = {}
    for t, h, c in zip(tail.tolist(), head.tolist(), cost.tolist(), strict=True):
        if (t, h) not in best or c < best[(t, h)]:
            best[(t, h)] = c
    if not best:
        return sp.csr_matrix((n, n))
    keys = list(best)
    r = [k[0] for k in keys]
    c = [k[1] for k in keys]
    # explicit zeros are edges for scipy's csgraph when given as a sparse matrix
    return sp.csr_matrix((np.array([best[k] for k in keys]), (r, c)), shape=(n, n))


def lex_dijkstra(n, tail, head, cost, cost2, seeds):
    """Independent oracle: heapq Dijkstra on (cost, cost2) tuples from seeds [(node, c, c2)]."""
    adj = [[] for _ in range(n)]
    for t, h, c, c2 in zip(
        tail.tolist(), head.tolist(), cost.tolist(), cost2.tolist(), strict=True
    ):
        if math.isfinite(c):
            adj[t].append((h, c, c2))
    best = {}
    heap = [(c, c2, u) for u, c, c2 in seeds]
    heapq.heapify(heap)
    while heap:
        c, c2, u = heapq.heappop(heap)
        if u in best:
            continue
        best[u] = (c, c2)
        for v, a, a2 in adj[u]:
            if v not in best:
                heapq.heappush(heap, (c + a, c2 + a2, v))
    return best


def brute_pairs(n, tail, head, cost, cost2, src, tgt, max_cost):
    """Every (source, target) -> (cost, cost2) by the lexicographic oracle."""
    sid, snode, scost, scost2 = src
    tid, tnode, tcost, tcost2 = tgt
    out = {}
    for s in np.unique(sid):
        m = sid == s
        seeds = list(zip(snode[m].tolist(), scost[m].tolist(), scost2[m].tolist(), strict=True))
        best = lex_dijkstra(n, tail, head, cost, cost2, seeds)
        for j in range(tid.shape[0]):
            u = int(tnode[j])
            if u not in best:
                continue
            cand = (best[u][0] + tcost[j], best[u][1] + tcost2[j])
            if cand[0] > max_cost:
                continue
            key = (int(s), int(tid[j]))
            if key not in out or cand < out[key]:
                out[key] = cand
    return out


def as_dict(res):
    return {
        (int(s), int(t)): (c, c2)
        for s, t, c, c2 in zip(res["source"], res["target"], res["cost"], res["cost2"], strict=True)
    }


# ------------------------------------------------------------------------------------------
# graph construction
# ------------------------------------------------------------------------------------------


def test_csr_from_arcs_drops_non_finite_and_is_stable():
    g = csr_from_arcs(
        3, [1, 0, 0, 1], [2, 2, 1, 0], [1.0, np.inf, 3.0, np.nan], arc_edge=[10, 11, 12, 13]
    )
    assert g.indptr.tolist() == [0, 1, 2, 2]
    assert g.head.tolist() == [1, 2]
    assert g.arc_edge.tolist() == [12, 10]
    assert g.cost.dtype == np.float64 and g.head.dtype == np.int64
    assert g.cost2.tolist() == [0.0, 0.0]


@pytest.mark.parametrize(
    ("tail", "head", "cost", "match"),
    [
        ([0], [1], [-1.0], "negative"),
        ([0], [3], [1.0], "outside"),
        ([-1], [1], [1.0], "outside"),
        ([0, 1], [1], [1.0, 1.0], "one length"),
        ([0.5], [1], [1.0], "integers"),
    ],
)
def test_csr_from_arcs_rejects_bad_input(tail, head, cost, match):
    with pytest.raises(NetworkError, match=match):
        csr_from_arcs(3, tail, head, cost)


def test_reversed_flips_arcs_and_is_cached():
    g = csr_from_arcs(3, [0, 1, 1], [1, 2, 0], [1.0, 2.0, 5.0], cost2=[1, 2, 3], arc_edge=[4, 5, 6])
    r = g.reversed()
    assert r is g.reversed() and r.reversed() is g
    arcs = set(
        zip(r.tails().tolist(), r.head.tolist(), r.cost.tolist(), r.arc_edge.tolist(), strict=True)
    )
    assert arcs == {(1, 0, 1.0, 4), (2, 1, 2.0, 5), (0, 1, 5.0, 6)}


def test_spatial_order_hilbert_and_permute_graph_keeps_distances():
    # the first-order Hilbert curve visits (0,0), (0,1), (1,1), (1,0)
    order = spatial_order(np.array([0.0, 1.0, 1.0, 0.0]), np.array([0.0, 0.0, 1.0, 1.0]))
    assert order.tolist() == [0, 3, 2, 1]
    rng = np.random.default_rng(1)
    x, y = rng.random(200), rng.random(200)
    order = spatial_order(x, y)
    assert np.array_equal(np.sort(order), np.arange(200))
    # consecutive points along the curve are much closer than random pairs
    step = np.hypot(np.diff(x[order]), np.diff(y[order])).mean()
    assert step < 0.5 * np.hypot(np.diff(x), np.diff(y)).mean()
    tail, head = rng.integers(0, 200, 600), rng.integers(0, 200, 600)
    c = rng.random(600)
    g2, new_id = permute_graph(csr_from_arcs(200, tail, head, c), order)
    d1 = dijkstra(scipy_matrix(200, tail, head, c))
    nodes, cost = distances_from(g2, seed_node=[new_id[5]], max_cost=np.inf)
    finite = np.isfinite(d1[5])
    assert np.array_equal(np.sort(new_id[np.flatnonzero(finite)]), nodes)
    np.testing.assert_allclose(cost, d1[5][order][nodes], rtol=0, atol=1e-9)


# ------------------------------------------------------------------------------------------
# searches against references
# ------------------------------------------------------------------------------------------


@SETTINGS
@given(data=st.data())
def test_distances_from_equals_scipy(data):
    n, tail, head, cost, cost2 = data.draw(graphs(dyadic=False))
    g = csr_from_arcs(n, tail, head, cost, cost2)
    seed = data.draw(st.integers(0, n - 1))
    limit = data.draw(st.sampled_from([np.inf, 0.0, 3.0, 7.5]))
    ref = dijkstra(scipy_matrix(n, tail, head, cost), indices=seed, limit=limit)
    nodes, dist = distances_from(g, seed_node=[seed], seed_cost=[0.0], max_cost=limit)
    expect = np.flatnonzero(np.isfinite(ref) & (ref <= limit))
    assert nodes.tolist() == expect.tolist()
    np.testing.assert_allclose(dist, ref[expect], rtol=0, atol=1e-9)


@SETTINGS
@given(data=st.data())
def test_many_to_many_equals_oracle_and_scipy(data):
    n, tail, head, cost, cost2 = data.draw(graphs())
    g = csr_from_arcs(n, tail, head, cost, cost2)
    src = data.draw(rows(n))
    tgt = data.draw(rows(n, max_ids=6))
    max_cost = data.draw(st.sampled_from([np.inf, 0.0, 1.0, 2.5, 4.0]))
    contract = data.draw(st.booleans())
    res = many_to_many(
        g,
        source_id=src[0],
        source_node=src[1],
        source_cost=src[2],
        source_cost2=src[3],
        target_id=tgt[0],
        target_node=tgt[1],
        target_cost=tgt[2],
        target_cost2=tgt[3],
        max_cost=max_cost,
        n_jobs=1,
        contract=contract,
    )
    got = as_dict(res)
    # sorted by source, then target
    keys = list(zip(res["source"].tolist(), res["target"].tolist(), strict=True))
    assert keys == sorted(keys) and len(set(keys)) == len(keys)
    # lexicographic oracle: same pairs, same cost and cost2 (tie-break on cost2)
    expect = brute_pairs(n, tail, head, cost, cost2, src, tgt, max_cost)
    assert set(got) == set(expect)
    for key, (c, c2) in expect.items():
        assert got[key][0] == pytest.approx(c, abs=1e-9)
        assert got[key][1] == pytest.approx(c2, abs=1e-9)
    # scipy: node-to-node distances plus offsets give the same primary costs
    dmat = dijkstra(scipy_matrix(n, tail, head, cost))
    for (s, t), (c, _) in got.items():
        ms, mt = src[0] == s, tgt[0] == t
        ref = np.min(src[2][ms][:, None] + dmat[np.ix_(src[1][ms], tgt[1][mt])] + tgt[2][mt])
        assert c == pytest.approx(ref, abs=1e-9)


@SETTINGS
@given(data=st.data())
def test_many_to_many_arbitrary_floats_equal_networkx(data):
    """Random real costs: the shortest path is unique, so cost2 must equal networkx's path's."""
    n, tail, head, cost, cost2 = data.draw(graphs(dyadic=False))
    g = csr_from_arcs(n, tail, head, cost, cost2)
    G = nx.DiGraph()
    G.add_nodes_from(range(n))
    for t, h, c, c2 in zip(
        tail.tolist(), head.tolist(), cost.tolist(), cost2.tolist(), strict=True
    ):
        if not G.has_edge(t, h) or (c, c2) < (G[t][h]["w"], G[t][h]["w2"]):
            G.add_edge(t, h, w=c, w2=c2)
    res = many_to_many(
        g,
        source_id=np.arange(n),
        source_node=np.arange(n),
        target_id=np.arange(n),
        target_node=np.arange(n),
        max_cost=12.0,
        n_jobs=1,
        contract=data.draw(st.booleans()),
    )
    got = as_dict(res)
    expect = {}
    for s in range(n):
        dist, paths = nx.single_source_dijkstra(G, s, weight="w")
        for t, d in dist.items():
            if d <= 12.0:
                p = paths[t]
                expect[(s, t)] = (d, sum(G[a][b]["w2"] for a, b in itertools.pairwise(p)))
    assert set(got) == set(expect)
    for key, (c, c2) in expect.items():
        assert got[key][0] == pytest.approx(c, abs=1e-9)
        # with continuous costs ties have probability zero except through zero-cost arcs
        if not np.any(cost == 0):
            assert got[key][1] == pytest.approx(c2, abs=1e-9)


@pytest.mark.slow
@SETTINGS
@given(data=st.data())
def test_many_to_many_deterministic_across_threads_and_chunks(data):
    n, tail, head, cost, cost2 = data.draw(graphs(max_nodes=30))
    g = csr_from_arcs(n, tail, head, cost, cost2)
    src = data.draw(rows(n, max_ids=20, max_rows=30))
    tgt = data.draw(rows(n, max_ids=20, max_rows=30))
    kw = {
        "source_id": src[0],
        "source_node": src[1],
        "source_cost": src[2],
        "target_id": tgt[0],
        "target_node": tgt[1],
        "target_cost": tgt[2],
        "max_cost": 3.0,
    }
    one = many_to_many(g, **kw, n_jobs=1)
    two = many_to_many(g, **kw, n_jobs=2)
    parts = list(iter_many_to_many(g, **kw, n_jobs=2, sources_per_chunk=1))
    for key in ("source", "target", "cost", "cost2"):
        assert np.array_equal(one[key], two[key])
        joined = np.concatenate([p[key] for p in parts]) if parts else np.zeros(0)
        assert np.array_equal(one[key], joined)


@SETTINGS
@given(data=st.data())
def test_nearest_k_equals_brute_force(data):
    n, tail, head, cost, cost2 = data.draw(graphs())
    g = csr_from_arcs(n, tail, head, cost, cost2)
    src = data.draw(rows(n, max_ids=5))
    tgt = data.draw(rows(n, max_ids=6))
    k = data.draw(st.integers(1, 4))
    max_cost = data.draw(st.sampled_from([np.inf, 1.0, 3.0]))
    res = nearest_k(
        g,
        source_id=src[0],
        source_node=src[1],
        source_cost=src[2],
        source_cost2=src[3],
        target_id=tgt[0],
        target_node=tgt[1],
        target_cost=tgt[2],
        target_cost2=tgt[3],
        k=k,
        max_cost=max_cost,
    )
    pairs = brute_pairs(n, tail, head, cost, cost2, src, tgt, max_cost)
    expect = []
    for t in np.unique(tgt[0]).tolist():
        cands = sorted((c, c2, s) for (s, tt), (c, c2) in pairs.items() if tt == t)[:k]
        expect += [(t, r, s, c, c2) for r, (c, c2, s) in enumerate(cands)]
    got = list(
        zip(
            res["target"].tolist(),
            res["rank"].tolist(),
            res["source"].tolist(),
            res["cost"].tolist(),
            res["cost2"].tolist(),
            strict=True,
        )
    )
    assert [e[:3] for e in got] == [e[:3] for e in expect]
    np.testing.assert_allclose([e[3:] for e in got], [e[3:] for e in expect], atol=1e-9)


@SETTINGS
@given(data=st.data())
def test_many_to_many_without_secondary_cost_has_same_costs(data):
    """secondary=False skips cost2 (NaN); an all-zero cost2 takes the same fast path, exactly 0."""
    n, tail, head, cost, cost2 = data.draw(graphs(max_nodes=20))
    src = data.draw(rows(n, max_ids=6))
    tgt = data.draw(rows(n, max_ids=6))
    max_cost = data.draw(st.sampled_from([np.inf, 2.0]))
    kw = {
        "source_id": src[0],
        "source_node": src[1],
        "source_cost": src[2],
        "target_id": tgt[0],
        "target_node": tgt[1],
        "target_cost": tgt[2],
        "max_cost": max_cost,
    }
    g = csr_from_arcs(n, tail, head, cost, cost2)
    full = many_to_many(g, **kw)
    fast = many_to_many(g, **kw, secondary=False)
    for key in ("source", "target", "cost"):
        assert np.array_equal(full[key], fast[key])
    if cost2.any():
        assert np.isnan(fast["cost2"]).all()
    else:  # nothing to carry: exact zeros either way
        assert np.array_equal(fast["cost2"], full["cost2"])
    zero = many_to_many(csr_from_arcs(n, tail, head, cost), **kw)
    for key in ("source", "target", "cost"):
        assert np.array_equal(full[key], zero[key])
    assert np.array_equal(zero["cost2"], np.zeros(zero["cost"].shape[0]))


@SETTINGS
@given(data=st.data())
def test_nearest_k1_equals_scipy_and_k_label_search(data):
    """The dedicated k=1 kernel: costs equal scipy's (min over seeds of seed cost + Dijkstra);
    source, cost and cost2 (ties included) equal the general k-label search's first label."""
    n, tail, head, cost, cost2 = data.draw(graphs(max_nodes=25))
    g = csr_from_arcs(n, tail, head, cost, cost2)
    src = data.draw(rows(n, max_ids=8, max_rows=10))
    tgt = data.draw(rows(n, max_ids=10, max_rows=12))
    max_cost = data.draw(st.sampled_from([np.inf, 1.0, 2.5]))
    kw = {
        "source_id": src[0],
        "source_node": src[1],
        "source_cost": src[2],
        "source_cost2": src[3],
        "target_id": tgt[0],
        "target_node": tgt[1],
        "target_cost": tgt[2],
        "target_cost2": tgt[3],
        "max_cost": max_cost,
    }
    one = nearest_k(g, **kw, k=1)
    two = nearest_k(g, **kw, k=2)
    first = two["rank"] == 0
    for key in ("target", "source", "cost", "cost2", "rank"):
        assert np.array_equal(one[key], two[key][first])
    # scipy: min over seeds of seed cost + scipy's distance from the seed node
    dmat = dijkstra(scipy_matrix(n, tail, head, cost), indices=src[1])
    d = (dmat + src[2][:, None]).min(axis=0)
    expect = {}
    for t, node, c in zip(tgt[0].tolist(), tgt[1].tolist(), tgt[2].tolist(), strict=True):
        v = d[node] + c
        if v <= max_cost and v < expect.get(t, np.inf):
            expect[t] = v
    assert one["target"].tolist() == sorted(expect)
    np.testing.assert_allclose(one["cost"], [expect[t] for t in sorted(expect)], atol=1e-9)
    # without cost2: same targets and costs; ties on cost go to the smallest source id
    fast = nearest_k(g, **kw, k=1, secondary=False)
    assert np.array_equal(fast["target"], one["target"])
    assert np.array_equal(fast["cost"], one["cost"])
    pairs = brute_pairs(n, tail, head, cost, cost2, src, tgt, max_cost)
    tie_src = [
        min(s for (s, tt), (c, _) in pairs.items() if tt == t and c == one["cost"][i])
        for i, t in enumerate(one["target"].tolist())
    ]
    assert fast["source"].tolist() == tie_src
    zero2 = not (cost2.any() or src[3].any() or tgt[3].any())
    assert np.isnan(fast["cost2"]).all() or zero2


@SETTINGS
@given(data=st.data())
def test_opportunities_within_equals_scipy(data):
    n, tail, head, cost, _ = data.draw(graphs(max_nodes=20))
    g = csr_from_arcs(n, tail, head, cost)
    r = data.draw(st.integers(1, 8))
    src = np.array(data.draw(st.lists(st.integers(0, n - 1), min_size=r, max_size=r)))
    w = np.array(data.draw(st.lists(st.integers(1, 100), min_size=r, max_size=r)), float)
    limit = data.draw(st.sampled_from([0.0, 1.5, 4.0]))
    dmat = dijkstra(scipy_matrix(n, tail, head, cost))
    expect = ((np.isfinite(dmat[src]) & (dmat[src] <= limit)) * w[:, None]).sum(axis=0)
    for contract in (False, True):
        kw = {"source_node": src, "weight": w, "max_cost": limit, "contract": contract}
        got1 = opportunities_within(g, **kw, n_jobs=1)
        got2 = opportunities_within(g, **kw, n_jobs=2)
        np.testing.assert_allclose(got1, expect, rtol=0, atol=1e-9)
        assert np.array_equal(got1, got2)
        # node -> facility direction on the reversed graph
        back = opportunities_within(g.reversed(), **kw)
        np.testing.assert_allclose(back, ((dmat[:, src] <= limit) * w).sum(axis=1), atol=1e-9)


@st.composite
def road_like(draw, max_nodes=60):
    """A sparse connected-ish graph (a random tree plus extra edges, mostly two-way, some one-way,
    zero-cost and parallel arcs): chains, dead ends and degree-3 nodes for the contraction."""
    n = draw(st.integers(2, max_nodes))
    parent = [draw(st.integers(0, i - 1)) for i in range(1, n)]
    extra = draw(st.integers(0, n))
    node = st.integers(0, n - 1)
    pairs = list(zip(range(1, n), parent, strict=True))
    pairs += [(draw(node), draw(node)) for _ in range(extra)]
    tail, head, cost = [], [], []
    for a, b in pairs:
        c = draw(st.integers(0, 12)) / 4
        kind = draw(st.sampled_from(["two", "two", "two", "one", "back"]))
        if kind in ("two", "one"):
            tail.append(a), head.append(b), cost.append(c)
        if kind in ("two", "back"):
            tail.append(b), head.append(a), cost.append(c + draw(st.sampled_from([0, 0, 0.25])))
    t, h = np.array(tail, np.int64), np.array(head, np.int64)
    c = np.array(cost, float)
    c2 = np.array(draw(st.lists(st.integers(0, 9), min_size=len(c), max_size=len(c))), float)
    return n, t, h, c, c2


@pytest.mark.slow
@SETTINGS
@given(data=st.data())
def test_contraction_keeps_costs_between_kept_nodes_and_sweeps_the_rest(data):
    """The contracted core has scipy's costs between kept nodes; the downward sweep gives every
    node's opportunity sum (groups of sources larger than one group included)."""
    from accessibility.routing import contract as _contract

    n, tail, head, cost, cost2 = data.draw(road_like())
    g = csr_from_arcs(n, tail, head, cost, cost2)
    keep_nodes = np.unique(data.draw(st.lists(st.integers(0, n - 1), min_size=1, max_size=n)))
    keep = np.zeros(n, np.bool_)
    keep[keep_nodes] = True
    bound = data.draw(st.sampled_from([np.inf, 2.0, 5.0]))
    hops = data.draw(st.sampled_from([0, 1, 2, 3, 4]))  # witness paths of up to `hops` arcs
    core_of, core_nodes, ci, ch, cc, cc2, *_ = _contract.contract(
        g.indptr,
        g.head,
        g.cost,
        g.cost2,
        keep,
        bound,
        np.array([0.0, 0.0, 2.0, 8.0]),
        36,
        hops,
        0.0,
    )
    assert core_of[keep_nodes].min() >= 0 and np.array_equal(
        core_nodes[core_of[keep_nodes]], keep_nodes
    )
    assert (core_of >= 0).sum() == core_nodes.shape[0]
    core = csr_from_arcs(
        core_nodes.shape[0], np.repeat(np.arange(core_nodes.shape[0]), np.diff(ci)), ch, cc, cc2
    )
    full = dijkstra(scipy_matrix(n, tail, head, cost))[np.ix_(keep_nodes, keep_nodes)]
    small = dijkstra(scipy_matrix(core.n_nodes, core.tails(), core.head, core.cost))
    small = small[np.ix_(core_of[keep_nodes], core_of[keep_nodes])]
    within = full <= bound
    np.testing.assert_allclose(small[within], full[within], atol=1e-9)
    assert (small[~within] > bound).all()
    # the sweep, through the public function; up to 40 sources spans several groups
    r = data.draw(st.integers(1, 40))
    src = np.array(data.draw(st.lists(st.integers(0, n - 1), min_size=r, max_size=r)))
    w = np.array(data.draw(st.lists(st.integers(1, 9), min_size=r, max_size=r)), float)
    limit = data.draw(st.sampled_from([0.0, 1.5, 4.0, np.inf]))
    dmat = dijkstra(scipy_matrix(n, tail, head, cost))
    expect = ((np.isfinite(dmat[src]) & (dmat[src] <= limit)) * w[:, None]).sum(axis=0)
    got = opportunities_within(g, source_node=src, weight=w, max_cost=limit, contract=True)
    np.testing.assert_allclose(got, expect, rtol=0, atol=1e-9)
    # and the cost table between all pairs of a random subset, with cost2 ties
    ids = np.arange(keep_nodes.shape[0])
    kw = {"source_id": ids, "source_node": keep_nodes, "target_id": ids, "target_node": keep_nodes}
    a = many_to_many(g, **kw, max_cost=limit, contract=True)
    b = many_to_many(g, **kw, max_cost=limit, contract=False)
    # costs are multiples of 1/4, so every sum is exact: the tables are bit-identical
    for key in ("source", "target", "cost", "cost2"):
        assert np.array_equal(a[key], b[key])


def test_contraction_is_chosen_by_expected_work_and_cached(monkeypatch):
    """Auto mode contracts a big query on a chain-heavy graph, not a tiny one; the core of the
    last query is reused."""
    import accessibility.routing.core as core_module

    monkeypatch.setattr(core_module, "CONTRACT_MIN_SETTLED", 0)  # the relative rule alone
    n = 2000
    tail = np.arange(n - 1)
    g = csr_from_arcs(n, np.r_[tail, tail + 1], np.r_[tail + 1, tail], np.ones(2 * (n - 1)))
    big = {"source_id": np.arange(0, n, 100), "source_node": np.arange(0, n, 100)}
    tg = {"target_id": np.arange(0, n, 50), "target_node": np.arange(0, n, 50)}
    res = many_to_many(g, **big, **tg, max_cost=np.inf)
    assert "core" in g._cache
    _, core = g._cache["core"]
    assert core.n_core == 40  # only the source and target nodes remain on a path graph
    np.testing.assert_allclose(res["cost"], np.abs(res["source"] - res["target"]).astype(float))
    again = many_to_many(g, **big, **tg, max_cost=np.inf)
    assert g._cache["core"][1] is core  # same nodes and bound: the core is reused
    assert np.array_equal(again["cost"], res["cost"])
    many_to_many(g, **big, **tg, max_cost=500.0, contract=True)
    assert g._cache["core"][1] is not core  # another bound: contracted again
    h = csr_from_arcs(n, np.r_[tail, tail + 1], np.r_[tail + 1, tail], np.ones(2 * (n - 1)))
    many_to_many(h, source_id=[0], source_node=[0], **tg, max_cost=3.0)
    assert "core" not in h._cache  # one short search: not worth contracting


def test_hand_worked_edge_based_source_and_target():
    """Village on edge 0-1 (2 min long) at 25 %, facility reached from node 3 or node 2.

    0 --2--> 1 --1--> 2 --4--> 3, plus 0 --9--> 3.  Seeds: node 0 at 0.5 + 1 (walk) = 1.5 min,
    node 1 at 1.5 + 1 = 2.5 min. Facility attached at node 2 with 3 min and at node 3 with 0.5 min.
    Via node 2: 2.5 + 1 + 3 = 6.5; via node 3: 2.5 + 1 + 4 + 0.5 = 8.0 or 1.5 + 9 + 0.5 = 11.0.
    """
    g = csr_from_arcs(
        4, [0, 1, 2, 0], [1, 2, 3, 3], [2.0, 1.0, 4.0, 9.0], cost2=[200, 100, 400, 900]
    )
    res = many_to_many(
        g,
        source_id=[0, 0],
        source_node=[0, 1],
        source_cost=[1.5, 2.5],
        source_cost2=[50, 150],
        target_id=[0, 0],
        target_node=[2, 3],
        target_cost=[3.0, 0.5],
        target_cost2=[10, 20],
        max_cost=60,
    )
    assert res["cost"].tolist() == [6.5]
    assert res["cost2"].tolist() == [150 + 100 + 10]
    # one-way: nothing goes back from node 3
    back = many_to_many(g, source_id=[0], source_node=[3], target_id=[1], target_node=[0])
    assert back["cost"].size == 0
    # the bound is inclusive
    res = many_to_many(
        g, source_id=[0], source_node=[0], target_id=[1], target_node=[2], max_cost=3
    )
    assert res["cost"].tolist() == [3.0]


# ------------------------------------------------------------------------------------------
# memory guard and validation
# ------------------------------------------------------------------------------------------


def test_memory_guard_refuses_with_estimate():
    rng = np.random.default_rng(0)
    n = 400
    tail = np.r_[np.arange(n - 1), np.arange(1, n)]
    head = np.r_[np.arange(1, n), np.arange(n - 1)]
    g = csr_from_arcs(n, tail, head, rng.random(tail.size))
    kw = {
        "source_id": np.arange(n),
        "source_node": np.arange(n),
        "target_id": np.arange(n),
        "target_node": np.arange(n),
    }
    assert estimate_pairs_bytes(n * n) == 32 * n * n
    full = many_to_many(g, **kw, n_jobs=1)
    assert full["cost"].size == n * n
    with (
        set_options(max_memory_bytes=SCRATCH_LIMIT),
        pytest.raises(MemoryEstimateError, match="GB"),
    ):
        many_to_many(g, **kw, n_jobs=1)
    # a bound small enough keeps the result small, so the same call passes
    with set_options(max_memory_bytes=SCRATCH_LIMIT):
        small = many_to_many(g, **kw, max_cost=0.5, n_jobs=1)
    assert 0 < small["cost"].size < n * n // 10
    with set_options(max_memory_bytes=1000), pytest.raises(MemoryEstimateError, match="scratch"):
        many_to_many(g, **kw, n_jobs=1)


SCRATCH_LIMIT = 400 * 64 + 200_000  # scratch fits, the full 400 x 400 table (5.1 MB) does not


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"source_id": [-1]}, ">= 0"),
        ({"source_node": [9]}, "nodes"),
        ({"source_cost": [np.nan]}, "finite"),
        ({"target_cost": [-1.0]}, "finite"),
        ({"max_cost": -1}, "max_cost"),
        ({"target_id": [0.5]}, "integers"),
    ],
)
def test_many_to_many_validates(kwargs, match):
    g = csr_from_arcs(3, [0], [1], [1.0])
    kw = {"source_id": [0], "source_node": [0], "target_id": [0], "target_node": [1]}
    kw.update(kwargs)
    with pytest.raises(InvalidValueError, match=match):
        many_to_many(g, **kw)


def test_empty_inputs():
    g = csr_from_arcs(2, [], [], [])
    assert isinstance(g, CSRGraph) and g.n_arcs == 0
    res = many_to_many(g, source_id=[], source_node=[], target_id=[], target_node=[])
    assert all(v.size == 0 for v in res.values())
    res = nearest_k(g, source_id=[1], source_node=[0], target_id=[2], target_node=[1], k=2)
    assert res["target"].size == 0


def test_a_small_query_is_not_contracted_however_many_sources():
    """A query settling fewer than CONTRACT_MIN_SETTLED nodes in all runs on the graph itself
    (contracting, and on a fresh install compiling the contraction, would cost more): the demo
    county's 619 nodes with 92 sources used to be contracted."""
    from accessibility.routing.core import CONTRACT_MIN_SETTLED

    n = 2000
    tail = np.arange(n - 1)
    g = csr_from_arcs(n, np.r_[tail, tail + 1], np.r_[tail + 1, tail], np.ones(2 * (n - 1)))
    src = np.arange(0, n, 20)  # 100 sources reaching every node: 50x the nodes, 200,000 settled
    assert src.size * n < CONTRACT_MIN_SETTLED
    tg = {"target_id": np.arange(0, n, 50), "target_node": np.arange(0, n, 50)}
    res = many_to_many(g, source_id=src, source_node=src, **tg, max_cost=np.inf)
    assert "core" not in g._cache
    np.testing.assert_array_equal(res["cost"], np.abs(res["source"] - res["target"]).astype(float))


def test_contraction_respects_the_memory_limit(monkeypatch):
    """Auto mode skips contraction that would not fit ``max_memory_bytes``; forcing it refuses
    with the estimate."""
    import accessibility.routing.core as core_module

    monkeypatch.setattr(core_module, "CONTRACT_MIN_SETTLED", 0)  # the relative rule alone
    n = 2000
    tail = np.arange(n - 1)
    kw = {
        "source_id": np.arange(0, n, 100),
        "source_node": np.arange(0, n, 100),
        "target_id": np.arange(0, n, 50),
        "target_node": np.arange(0, n, 50),
        "n_jobs": 1,
    }
    g = csr_from_arcs(n, np.r_[tail, tail + 1], np.r_[tail + 1, tail], np.ones(2 * (n - 1)))
    with set_options(max_memory_bytes=300_000):
        res = many_to_many(g, **kw)
        assert "core" not in g._cache
        assert res["cost"].shape[0] == 20 * 40
        with pytest.raises(MemoryEstimateError, match=r"contracting the graph.*contract=False"):
            many_to_many(g, **kw, contract=True)


def test_contraction_leaves_hubs_alone():
    """Nodes next to a hub (more than 256 arcs) are kept, so contraction stays linear; the costs
    through the hub are still right."""
    n = 2001
    leaves = np.arange(1, n)
    g = csr_from_arcs(
        n,
        np.r_[np.zeros(n - 1, int), leaves],
        np.r_[leaves, np.zeros(n - 1, int)],
        np.ones(2 * (n - 1)),
    )
    kw = {"source_id": [0, 1], "source_node": [1, 2], "target_id": [0, 1], "target_node": [3, 4]}
    res = many_to_many(g, **kw, contract=True)
    assert g._cache["core"][1].n_core == n
    assert res["cost"].tolist() == [2.0, 2.0, 2.0, 2.0]


@pytest.mark.parametrize("secondary", [False, True])
def test_nearest_k1_tie_reached_after_the_target_settled(secondary):
    """k=1 settles ties on cost by correction: node 2 is reached at cost 1 from source 20
    (0 -> 2) and, through a zero-cost arc popped after node 2, from source 10 (1 -> 3 -> 2)
    with a smaller cost2. Node 2 is the only target, so the search would stop when it first
    settles; the tie must still go to source 10, as the k-label search gives it."""
    g = csr_from_arcs(4, [0, 1, 3], [2, 3, 2], [1.0, 1.0, 0.0], cost2=[5.0, 1.0, 1.0])
    kw = {
        "source_id": [20, 10],
        "source_node": [0, 1],
        "target_id": [7],
        "target_node": [2],
        "secondary": secondary,
    }
    one = nearest_k(g, **kw, k=1)
    two = nearest_k(g, **kw, k=2)
    assert one["source"].tolist() == [10] == two["source"][:1].tolist()
    assert one["cost"].tolist() == [1.0]
    if secondary:
        assert one["cost2"].tolist() == [2.0] == two["cost2"][:1].tolist()


@pytest.mark.slow
def test_nearest_k1_tie_corrections_never_overflow_the_heap(tmp_path):
    """Regression: nearest_one's heap was sized at one entry per arc and seed, but a tie
    corrected after a node settled (a zero-cost arc) relaxes the node's arcs again; with five
    out-arcs the compiled kernel wrote past the heap. Run with numba's bounds checks (a fresh
    cache, so the kernel compiles with them) and compare with the expected labels."""
    import subprocess
    import sys

    code = """
import numpy as np
from accessibility.routing import csr_from_arcs, nearest_k
tail = [1] + [0] * 5
head = [0] + list(range(2, 7))
cost = [0.0] + [1.0] * 5
g = csr_from_arcs(7, tail, head, cost)
r = nearest_k(g, source_id=[10, 11], source_node=[1, 0], target_id=list(range(2, 7)),
              target_node=list(range(2, 7)), k=1, secondary=False)
print(sorted(set(r["source"].tolist())), sorted(set(r["cost"].tolist())), len(r["source"]))
"""
    env = {**os.environ, "NUMBA_BOUNDSCHECK": "1", "NUMBA_CACHE_DIR": str(tmp_path)}
    out = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=600
    )
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.split("\n")[0] == "[10] [1.0] 5"


def _chunk_both_queues(g, src, tgt, max_cost, with2):
    """The many-to-many kernel with the bucket queue and with the heap, on the same query."""
    from accessibility.routing.graph import kernel_arrays
    from accessibility.routing.labels import queue_plan
    from accessibility.routing.query import prepare
    from accessibility.routing.search import many_to_many_chunk, many_to_many_chunk_lifo

    p = prepare(g, src, tgt, max_cost)
    arrays = kernel_arrays(g)
    # the plan of the arcs of positive cost: the bucket queue also on graphs with zero-cost
    # arcs (where travel_costs takes the heap), to test its corrections
    inv, n_buckets, lifo = queue_plan(arrays[2][arrays[2] > 0], p.bound)
    out = []
    for kernel, plan in ((many_to_many_chunk, ()), (many_to_many_chunk_lifo, (inv, n_buckets))):
        *cols, cnt = kernel(
            *arrays, p.src_ptr, p.seed_node, p.seed_cost, p.seed_cost2, 0, p.src_ids.shape[0],
            p.att_ptr, p.att_tid, p.att_cost, p.att_cost2, p.is_target, p.n_target_nodes,
            p.tgt_ids.shape[0], p.bound, p.max_cost, with2, p.src_ids.astype(np.int64),
            p.tgt_ids.astype(np.int64), *plan,
        )  # fmt: skip
        out.append([c[:cnt] for c in cols])
    return out, lifo


@SETTINGS
@given(data=st.data())
def test_bucket_queue_search_equals_heap_search_bit_for_bit(data):
    """The LIFO bucket queue (corrections for ties, zero-cost arcs, bucket edges, the early stop
    when every target settled) gives exactly the heap's pairs, costs and cost2."""
    n, tail, head, cost, cost2 = data.draw(graphs(max_nodes=30, dyadic=data.draw(st.booleans())))
    if data.draw(st.booleans()):  # large seed costs: entries beyond the window of buckets
        cost = cost * data.draw(st.sampled_from([1.0, 1e-3, 1e3]))
    g = csr_from_arcs(n, tail, head, cost, cost2)
    src = data.draw(rows(n, max_ids=6))
    tgt = data.draw(rows(n, max_ids=6, max_rows=3))  # few target nodes: the early stop
    max_cost = data.draw(st.sampled_from([np.inf, 0.0, 1.0, 2.5, 40.0]))
    with2 = data.draw(st.booleans())
    (heap, lifo), _ = _chunk_both_queues(g, src, tgt, max_cost, with2)
    for a, b in zip(heap, lifo, strict=True):
        np.testing.assert_array_equal(a, b)


def test_bucket_queue_search_equals_heap_on_a_perturbed_grid():
    """A road-like grid with real-valued costs and many near ties, the one-way arcs of a
    hierarchy: thousands of pairs, identical with either queue, and the bucket queue is used."""
    rng = np.random.default_rng(7)
    side = 40
    idx = np.arange(side * side).reshape(side, side)
    pairs = np.concatenate(
        [
            np.column_stack([idx[:, :-1].ravel(), idx[:, 1:].ravel()]),
            np.column_stack([idx[:-1, :].ravel(), idx[1:, :].ravel()]),
        ]
    )
    pairs = pairs[rng.random(pairs.shape[0]) > 0.2]
    length = rng.uniform(150, 250, pairs.shape[0])
    speed = rng.choice([25.0, 40.0, 60.0], pairs.shape[0])
    minutes = length / 1000 / speed * 60
    one_way = rng.random(pairs.shape[0]) < 0.05
    tail = np.concatenate([pairs[:, 0], pairs[~one_way, 1]])
    head = np.concatenate([pairs[:, 1], pairs[~one_way, 0]])
    g = csr_from_arcs(
        side * side,
        tail,
        head,
        np.concatenate([minutes, minutes[~one_way]]),
        np.concatenate([length, length[~one_way]]),
    )
    src_nodes = rng.choice(side * side, 30, replace=False)
    src = (np.arange(30), src_nodes, rng.uniform(0, 1, 30), rng.uniform(0, 50, 30))
    tgt_nodes = rng.integers(0, side * side, 400)
    tgt = (np.arange(400), tgt_nodes, rng.uniform(0, 1, 400), rng.uniform(0, 50, 400))
    for with2 in (True, False):
        (heap, lifo), used = _chunk_both_queues(g, src, tgt, 8.0, with2)
        assert used and heap[0].shape[0] > 1000
        for a, b in zip(heap, lifo, strict=True):
            np.testing.assert_array_equal(a, b)


def test_bucket_queue_corrects_a_settled_tie_through_a_zero_cost_arc():
    """0 -> 1 and 0 -> 2 cost 1 (one bucket); 1 -> 2 costs 0 with a smaller cost2. The bucket
    settles 2 (pushed last) before 1 lowers its cost2, so 2 is corrected and relaxes 2 -> 3
    again: 3 gets the cost2 of 0 -> 1 -> 2 -> 3, as with the heap."""
    g = csr_from_arcs(
        4, [0, 0, 1, 2], [1, 2, 2, 3], [1.0, 1.0, 0.0, 1.0], cost2=[0.0, 100.0, 0.0, 5.0]
    )
    src = (np.array([0]), np.array([0]), np.zeros(1), np.zeros(1))
    tgt = (np.array([0, 1]), np.array([3, 2]), np.zeros(2), np.zeros(2))
    (heap, lifo), used = _chunk_both_queues(g, src, tgt, 10.0, True)
    assert used
    assert heap[3].tolist() == [5.0, 0.0]
    for a, b in zip(heap, lifo, strict=True):
        np.testing.assert_array_equal(a, b)


def test_bucket_queue_correction_of_a_hub_outgrows_the_pool():
    """As above, with node 2 a hub of 20 out-arcs: its correction relaxes them again while the
    first 20 entries still wait in their bucket, more entries than the pool was made for (one
    per arc and seed), so the pool grows during the search; the same pairs as the heap's."""
    leaves = list(range(3, 23))
    g = csr_from_arcs(
        23,
        [0, 0, 1] + [2] * len(leaves),
        [1, 2, 2, *leaves],
        [1.0, 1.0, 0.0] + [1.0] * len(leaves),
        cost2=[0.0, 100.0, 0.0] + [5.0] * len(leaves),
    )
    src = (np.array([0]), np.array([0]), np.zeros(1), np.zeros(1))
    tgt = (np.arange(len(leaves)), np.array(leaves), np.zeros(len(leaves)), np.zeros(len(leaves)))
    (heap, lifo), used = _chunk_both_queues(g, src, tgt, 10.0, True)
    assert used
    assert heap[3].tolist() == [5.0] * len(leaves)
    for a, b in zip(heap, lifo, strict=True):
        np.testing.assert_array_equal(a, b)


@pytest.mark.slow
def test_bucket_queue_pool_growth_stays_within_bounds(tmp_path):
    """A correction in the LIFO search needs room for the arcs it relaxes again: when the pool
    lacks it the entry goes back to its bucket, the pool grows outside the search loop and the
    entry is taken again. With numba's bounds checks (a fresh cache, so the kernels compile with
    them) the corrected searches above (the hub's outgrows the pool) and the perturbed grid still
    equal the heap's."""
    import subprocess
    import sys

    code = f"""
import sys
sys.path.insert(0, {str(Path(__file__).parent)!r})
import test_routing as t
t.test_bucket_queue_corrects_a_settled_tie_through_a_zero_cost_arc()
t.test_bucket_queue_correction_of_a_hub_outgrows_the_pool()
t.test_bucket_queue_search_equals_heap_on_a_perturbed_grid()
print("ok")
"""
    env = {**os.environ, "NUMBA_BOUNDSCHECK": "1", "NUMBA_CACHE_DIR": str(tmp_path)}
    out = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=900
    )
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.strip().splitlines()[-1] == "ok"
