"""The nearest source of every node (``nearest_k`` with ``k=1``) against SciPy's multi-source
Dijkstra (``scipy.sparse.csgraph.dijkstra(indices=..., min_only=True)``) on graphs made by
generators that know nothing of the engine: networkx random geometric graphs (float lengths),
``scipy.sparse.random`` (integer costs: exact ties, zero-cost arcs), disconnected parts, limits,
seed costs beyond the queue's window of buckets. Costs must be equal bit for bit; the source is
one that reaches the node at that cost, the smallest such source where costs are exact."""

from __future__ import annotations

import networkx as nx
import numpy as np
import pytest
import scipy.sparse as sp
from scipy.sparse.csgraph import dijkstra

from accessibility.routing import csr_from_arcs, nearest_k
from accessibility.routing.graph import kernel_arrays
from accessibility.routing.labels import queue_plan


def geometric_arcs(n, radius, seed):
    """Both directions of every edge of a random geometric graph, cost = length x 1.37."""
    g = nx.random_geometric_graph(n, radius, seed=seed)
    pos = nx.get_node_attributes(g, "pos")
    tail, head, cost = [], [], []
    for u, v in g.edges():
        length = float(np.hypot(pos[u][0] - pos[v][0], pos[u][1] - pos[v][1])) * 1.37
        tail += [u, v]
        head += [v, u]
        cost += [length, length]
    return np.array(tail, np.int64), np.array(head, np.int64), np.array(cost)


def random_arcs(n, density, seed, low):
    """Arcs of a ``scipy.sparse.random`` pattern, integer costs ``low..5`` (exact sums, ties)."""
    rng = np.random.default_rng(seed)
    m = sp.random(n, n, density=density, format="coo", random_state=seed)
    keep = m.row != m.col
    cost = rng.integers(low, 6, keep.sum()).astype(float)
    return m.row[keep].astype(np.int64), m.col[keep].astype(np.int64), cost


def ours_and_scipy(n, tail, head, cost, fac, limit, seed_cost=None):
    """(our cost and source index per node, scipy's cost and source index per node,
    scipy's cost from every source separately), unreached: inf and -1."""
    g = csr_from_arcs(n, tail, head, cost)
    every = np.arange(n)
    r = nearest_k(
        g,
        source_id=np.arange(fac.shape[0]),
        source_node=fac,
        source_cost=seed_cost,
        target_id=every,
        target_node=every,
        k=1,
        max_cost=limit,
        secondary=False,
    )
    mine_c = np.full(n, np.inf)
    mine_s = np.full(n, -1)
    mine_c[r["target"]] = r["cost"]
    mine_s[r["target"]] = r["source"]
    # the same CSR arrays for scipy (csr_from_arcs keeps parallel arcs: the matrix sums
    # duplicates, so give it the cheapest of each pair); seed costs: arcs from a super source
    t, h, c = g.tails(), g.head, g.cost
    if seed_cost is not None:
        t = np.r_[t, np.full(fac.shape[0], n)]
        h = np.r_[h, fac]
        c = np.r_[c, seed_cost]
    order = np.lexsort((c, h, t))
    first = np.r_[True, (np.diff(t[order]) != 0) | (np.diff(h[order]) != 0)]
    t, h, c = t[order][first], h[order][first], c[order][first]
    size = n + (seed_cost is not None)
    mat = sp.csr_matrix((c, (t, h)), shape=(size, size))
    starts = fac if seed_cost is None else np.array([n])
    d, _, src = dijkstra(mat, indices=starts, min_only=True, limit=limit, return_predecessors=True)
    each = dijkstra(mat, indices=starts if seed_cost is None else fac, limit=limit)
    d, src = d[:n], src[:n]
    index = {int(node): i for i, node in enumerate(fac)}
    theirs_s = np.array([index.get(int(s), -1) for s in src])
    return mine_c, mine_s, d, theirs_s, each[:, :n]


def check(mine_c, mine_s, d, theirs_s, each, exact):
    assert np.array_equal(mine_c, d)  # bit for bit, unreached as inf
    reached = np.isfinite(d)
    assert np.array_equal(mine_s >= 0, reached)
    nodes = np.flatnonzero(reached)
    # our source reaches the node at that cost (as scipy's does)
    assert np.array_equal(each[mine_s[nodes], nodes], d[nodes])
    if exact:  # integer costs: the smallest source of those at that cost
        tie = each[:, nodes] == d[nodes]
        assert np.array_equal(mine_s[nodes], tie.argmax(axis=0))


@pytest.mark.parametrize("seed", [1, 2, 3])
@pytest.mark.parametrize("limit", [np.inf, 0.35])
def test_nearest_k1_equals_scipy_on_random_geometric_graphs(seed, limit):
    tail, head, cost = geometric_arcs(600, 0.06, seed)
    n = 620  # and 20 nodes without arcs
    assert queue_plan(cost, np.inf)[2]  # no zero-cost arc: buckets settled in any order
    fac = np.random.default_rng(seed).choice(600, 12, replace=False)
    mine_c, mine_s, d, theirs_s, each = ours_and_scipy(n, tail, head, cost, fac, limit)
    assert np.isinf(d).any() and np.isfinite(d).sum() > 100
    check(mine_c, mine_s, d, theirs_s, each, exact=False)
    reached = np.isfinite(d)
    assert np.array_equal(each[theirs_s[reached], reached], d[reached])


@pytest.mark.parametrize("seed", [4, 5, 6])
@pytest.mark.parametrize("low", [0, 1])
@pytest.mark.parametrize("limit", [np.inf, 7.0])
def test_nearest_k1_equals_scipy_with_ties_and_zero_costs(seed, low, limit):
    """Integer costs: many exact ties between sources; ``low=0`` adds zero-cost arcs (labels
    a bucket's entries improve within it, corrected)."""
    n = 400
    tail, head, cost = random_arcs(n, 0.006, seed, low)
    # zero-cost arcs: a heap per bucket (a last-in-first-out bucket could correct a chain of
    # them again and again)
    assert queue_plan(cost, np.inf)[2] == (low == 1)
    assert (cost == 0).any() == (low == 0)
    fac = np.random.default_rng(seed).choice(n, 25, replace=False)
    check(*ours_and_scipy(n, tail, head, cost, fac, limit), exact=True)


@pytest.mark.parametrize("low", [0, 1])
def test_nearest_k1_seed_costs_beyond_the_window(low):
    """Seed costs far beyond the window of buckets (the overflow list), as a super source."""
    n = 300
    tail, head, cost = random_arcs(n, 0.01, 7, low)
    rng = np.random.default_rng(7)
    fac = rng.choice(n, 20, replace=False)
    seed_cost = rng.choice([0.0, 3.0, 400.0, 1e5, 2e5], fac.shape[0])
    mine_c, mine_s, d, _, each = ours_and_scipy(n, tail, head, cost, fac, np.inf, seed_cost)
    assert np.array_equal(mine_c, d)
    nodes = np.flatnonzero(np.isfinite(d))
    with_seed = each + seed_cost[:, None]
    assert np.array_equal(with_seed[mine_s[nodes], nodes], d[nodes])
    tie = with_seed[:, nodes] == d[nodes]
    assert np.array_equal(mine_s[nodes], tie.argmax(axis=0))


def test_queue_plan_modes():
    """A heap per bucket when the arcs' cost ratio is too wide or every arc costs zero."""
    assert queue_plan(np.array([0.5, 1.0, 3.0]), np.inf) == (2.0, 16, True)
    assert not queue_plan(np.array([0.0, 0.5, 1.0]), np.inf)[2]  # a zero-cost arc
    assert queue_plan(np.array([0.5, 1.0]), np.inf) == (2.0, 8, True)
    assert not queue_plan(np.array([1e-6, 1.0]), np.inf)[2]
    assert queue_plan(np.array([1e-6, 1.0]), 0.5)[2]  # arcs beyond the bound do not count
    assert not queue_plan(np.zeros(3), np.inf)[2]
    assert not queue_plan(np.zeros(0), np.inf)[2]


def test_nearest_k1_wide_cost_ratio_equals_scipy():
    """Arc costs over eight orders of magnitude and zero: the heap-per-bucket queue."""
    n = 500
    tail, head, _ = random_arcs(n, 0.01, 8, 1)
    cost = np.random.default_rng(8).choice([0.0, 1e-7, 0.3, 1.0, 40.0], tail.shape[0])
    assert not queue_plan(cost, np.inf)[2]
    fac = np.random.default_rng(8).choice(n, 10, replace=False)
    mine_c, mine_s, d, _, each = ours_and_scipy(n, tail, head, cost, fac, np.inf)
    check(mine_c, mine_s, d, None, each, exact=False)


def test_kernel_arrays_unchanged_by_a_search():
    """The search reads the graph's arrays and the caller's, it writes none of them."""
    tail, head, cost = random_arcs(200, 0.02, 9, 0)
    g = csr_from_arcs(200, tail, head, cost)
    before = [a.copy() for a in kernel_arrays(g)]
    fac = np.array([3, 50, 120])
    nearest_k(g, source_id=[0, 1, 2], source_node=fac, target_id=np.arange(200),
              target_node=np.arange(200), k=1, secondary=False)  # fmt: skip
    assert all(np.array_equal(a, b) for a, b in zip(before, kernel_arrays(g), strict=True))
    assert fac.tolist() == [3, 50, 120]


def test_early_stop_keeps_labels_a_zero_cost_arc_lowers():
    # 0->1 1.2, 0->2 1.1, 0->3 1.5, 1->3 0: the bucket holding 1.1, 1.2 and 1.5 is settled last
    # in, first out; the last target (2, at 1.1) used to stop the search before node 1 (1.2)
    # lowered target 3 from 1.5 to 1.2
    g = csr_from_arcs(4, [0, 0, 0, 1], [1, 2, 3, 3], [1.2, 1.1, 1.5, 0.0])
    for targets in ([2, 3], [1, 2, 3], [3, 2]):
        r = nearest_k(
            g, source_id=[0], source_node=[0], target_id=targets, target_node=targets, k=1
        )
        expected = {t: {1: 1.2, 2: 1.1, 3: 1.2}[t] for t in targets}
        assert dict(zip(r["target"].tolist(), r["cost"].tolist(), strict=True)) == expected


@pytest.mark.parametrize("seed", range(40))
def test_a_subset_of_targets_with_zero_cost_arcs_equals_scipy(seed):
    """The search stops once every target is settled: a strict subset of the nodes as targets,
    30 % zero-cost arcs, costs equal to SciPy's for every target."""
    rng = np.random.default_rng(seed)
    n = 60
    side = np.arange(n).reshape(6, 10)
    tail = np.concatenate([side[:, :-1].ravel(), side[:-1, :].ravel()])
    head = np.concatenate([side[:, 1:].ravel(), side[1:, :].ravel()])
    tail, head = np.concatenate([tail, head]), np.concatenate([head, tail])
    cost = rng.uniform(0.5, 2.0, tail.size).round(1)
    cost[rng.random(tail.size) < 0.3] = 0.0
    fac = rng.choice(n, 3, replace=False)
    targets = np.sort(rng.choice(n, int(rng.integers(1, 25)), replace=False))
    g = csr_from_arcs(n, tail, head, cost)
    r = nearest_k(
        g,
        source_id=np.arange(3),
        source_node=fac,
        target_id=targets,
        target_node=targets,
        k=1,
        secondary=False,
    )
    # SciPy drops explicit zeros: a tiny cost stands for them (below every sum's rounding)
    m = sp.csr_matrix((np.where(cost == 0, 1e-300, cost), (tail, head)), shape=(n, n))
    ref = dijkstra(m, indices=fac, min_only=True)
    ref[ref < 1e-200] = 0.0  # nodes reached from a facility through zero-cost arcs only
    got = dict(zip(r["target"].tolist(), r["cost"].tolist(), strict=True))
    assert got == {int(t): float(ref[t]) for t in targets if np.isfinite(ref[t])}


@pytest.mark.slow
def test_nearest_k1_pool_growth_stays_within_bounds(tmp_path):
    """A correction (a settled label improved by a tie or a zero-cost arc) relaxes a node's arcs
    again, so the pool of queue entries may need more room; the search leaves its loop for a
    larger pool before a node whose correction might not fit (the cases above take that path
    in both queue modes). With numba's bounds checks (a fresh cache, so the kernel compiles
    with them) the costs and sources still equal SciPy's. (The pushes of these graphs stay
    within the first pool; tests/test_routing.py's hub case outgrows it.)"""
    import os
    import subprocess
    import sys
    from pathlib import Path

    code = f"""
import sys
sys.path.insert(0, {str(Path(__file__).parent)!r})
import numpy as np
from test_nearest_scipy import check, ours_and_scipy, random_arcs
for low in (0, 1):
    for seed in (4, 5, 6):
        tail, head, cost = random_arcs(400, 0.006, seed, low)
        fac = np.random.default_rng(seed).choice(400, 25, replace=False)
        check(*ours_and_scipy(400, tail, head, cost, fac, np.inf), exact=True)
print("ok")
"""
    env = {**os.environ, "NUMBA_BOUNDSCHECK": "1", "NUMBA_CACHE_DIR": str(tmp_path)}
    out = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=900
    )
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.strip() == "ok"
