"""Contraction with witness paths (issue 17): the core is smaller, and cost tables through it equal
SciPy's ``dijkstra`` rows and the uncontracted search, on graphs the engine was not designed for
(grids with one-way streets and zero-cost arcs, random geometric graphs with arbitrary float
costs)."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp
from scipy.sparse.csgraph import dijkstra

from accessibility.routing import contract as contraction
from accessibility.routing import core as core_module
from accessibility.routing import csr_from_arcs, many_to_many
from accessibility.routing.graph import kernel_arrays

THRESHOLDS = np.array([0.0, 0.0, 2.0, 4.0, 8.0, 16.0])


def grid(side: int, seed: int, *, dyadic: bool) -> tuple[int, np.ndarray, ...]:
    """A ``side`` x ``side`` grid, both directions on most streets, 10 % one-way, a few zero-cost
    arcs; ``cost2`` is an independent small integer (ties on ``cost`` then decide it)."""
    rng = np.random.default_rng(seed)
    idx = np.arange(side * side).reshape(side, side)
    a = np.concatenate([idx[:, :-1].ravel(), idx[:-1, :].ravel()])
    b = np.concatenate([idx[:, 1:].ravel(), idx[1:, :].ravel()])
    one_way = rng.random(a.shape[0]) < 0.1
    tail = np.concatenate([a, b[~one_way]])
    head = np.concatenate([b, a[~one_way]])
    if dyadic:  # multiples of 1/4: sums are exact, so ties really happen
        cost = rng.integers(0, 8, tail.shape[0]) / 4
    else:
        cost = rng.uniform(0.5, 2.0, tail.shape[0])
        cost[rng.random(tail.shape[0]) < 0.03] = 0.0
    cost2 = rng.integers(0, 9, tail.shape[0]).astype(float)
    return side * side, tail, head, cost, cost2


def geometric(n: int, seed: int) -> tuple[int, np.ndarray, ...]:
    """Random points joined within a radius (both directions, 5 % one-way), Euclidean costs."""
    rng = np.random.default_rng(seed)
    xy = rng.random((n, 2))
    d = np.sqrt(((xy[:, None, :] - xy[None, :, :]) ** 2).sum(-1))
    a, b = np.nonzero(np.triu(d < 1.6 / np.sqrt(n), 1))
    one_way = rng.random(a.shape[0]) < 0.05
    tail = np.concatenate([a, b[~one_way]])
    head = np.concatenate([b, a[~one_way]])
    cost = d[tail, head] * rng.uniform(1.0, 1.5, tail.shape[0])
    return n, tail, head, cost, d[tail, head] * 1000.0


def scipy_matrix(n, tail, head, cost):
    """Sparse matrix keeping the cheapest of parallel arcs (explicit zeros are arcs for SciPy)."""
    order = np.lexsort((cost, head, tail))
    t, h, c = tail[order], head[order], cost[order]
    first = np.ones(t.shape[0], bool)
    first[1:] = (t[1:] != t[:-1]) | (h[1:] != h[:-1])
    return sp.csr_matrix((c[first], (t[first], h[first])), shape=(n, n))


def core_arcs(n, tail, head, cost, cost2, keep, hops):
    g = csr_from_arcs(n, tail, head, cost, cost2)
    out = contraction.contract(*kernel_arrays(g), keep, np.inf, THRESHOLDS, 36, hops, 0.0)
    return out[1].shape[0], out[3].shape[0]


def test_witnesses_make_the_core_of_a_grid_smaller():
    """Without witnesses a grid junction adds a shortcut for every turn and stays; with them most
    junctions go (the grid's detours are the witnesses)."""
    n, tail, head, cost, cost2 = grid(40, 1, dyadic=False)
    keep = np.zeros(n, np.bool_)
    keep[np.random.default_rng(2).choice(n, n // 10, replace=False)] = True
    nodes0, arcs0 = core_arcs(n, tail, head, cost, cost2, keep, 0)
    nodes4, arcs4 = core_arcs(n, tail, head, cost, cost2, keep, 4)
    assert nodes4 < 0.75 * nodes0 and arcs4 < 0.75 * arcs0


def table_cases():
    for seed in range(3):
        yield "grid", grid(25, seed, dyadic=False), 6.0
        yield "geometric", geometric(600, seed), 0.3
        yield "grid-ties", grid(25, seed, dyadic=True), 4.0


@pytest.mark.parametrize("case", range(9))
def test_contracted_table_equals_scipy_rows(case, monkeypatch):
    """many_to_many through the witnessed core equals SciPy's dijkstra rows (to 1e-9), and with
    exact costs its cost2 (the tie-break) equals the uncontracted search's bit for bit."""
    monkeypatch.setattr(core_module, "CONTRACT_WITNESS_JUNCTIONS", 0.0)  # witnesses on any graph
    name, (n, tail, head, cost, cost2), limit = list(table_cases())[case]
    rng = np.random.default_rng(case)
    src = rng.choice(n, 15, replace=False)
    tgt = rng.choice(n, n // 5, replace=False)
    check_contracted_table((n, tail, head, cost, cost2), src, tgt, limit, exact=name == "grid-ties")


def check_contracted_table(arcs, src, tgt, limit, *, exact, cost2_atol=0.0):
    """many_to_many with ``contract=True`` against SciPy's rows (to 1e-9) and, for its cost2
    tie-break, against the uncontracted search (bit for bit when the costs are ``exact``)."""
    n, tail, head, cost, cost2 = arcs
    g = csr_from_arcs(n, tail, head, cost, cost2)
    kw = {
        "source_id": np.arange(src.shape[0]),
        "source_node": src,
        "target_id": np.arange(tgt.shape[0]),
        "target_node": tgt,
        "max_cost": limit,
    }
    got = many_to_many(g, **kw, contract=True)
    plain = many_to_many(g, **kw, contract=False)
    ref = dijkstra(scipy_matrix(n, tail, head, cost), indices=src)[:, tgt]
    s, t = np.nonzero(ref <= limit)
    assert np.array_equal(got["source"], s) and np.array_equal(got["target"], t)
    np.testing.assert_allclose(got["cost"], ref[s, t], rtol=1e-9, atol=1e-12)
    if exact:
        for key in ("source", "target", "cost", "cost2"):
            assert np.array_equal(got[key], plain[key]), key
    else:
        np.testing.assert_allclose(got["cost2"], plain["cost2"], rtol=1e-9, atol=cost2_atol)


def subdivided(side: int, seed: int, pieces: int) -> tuple[int, np.ndarray, ...]:
    """:func:`grid` with every street cut into ``pieces`` arcs by degree-2 nodes (shape points)."""
    n, tail, head, cost, cost2 = grid(side, seed, dyadic=False)
    a, b = np.minimum(tail, head), np.maximum(tail, head)
    streets, inverse = np.unique(a * n + b, return_inverse=True)
    # node ids of the cut points of street s: n + s * (pieces - 1) + k
    mid = n + inverse[:, None] * (pieces - 1) + np.arange(pieces - 1)
    forward = (tail == a)[:, None]
    path = np.concatenate([tail[:, None], np.where(forward, mid, mid[:, ::-1]), head[:, None]], 1)
    t, h = path[:, :-1].ravel(), path[:, 1:].ravel()
    return (
        n + streets.shape[0] * (pieces - 1),
        t,
        h,
        np.repeat(cost / pieces, pieces),
        np.repeat(cost2 / pieces, pieces),
    )


def contraction_runs(monkeypatch, n, tail, head, cost, cost2):
    """The contraction kernel's runs (their witness hops and junction share) for a table's core."""
    calls = []

    def counted(*args):
        calls.append(args[8:])
        return contraction.contract(*args)

    monkeypatch.setattr(core_module, "contract_nodes", counted)
    g = csr_from_arcs(n, tail, head, cost, cost2)
    keep = np.zeros(n, np.bool_)
    keep[np.random.default_rng(4).choice(n, n // 10, replace=False)] = True
    core = core_module.contracted_core(g, keep, np.inf)
    return calls, core.n_core


def test_a_grid_is_contracted_once_with_witnesses(monkeypatch):
    """Most nodes of a grid are junctions: the table's core is built in ONE run of the kernel, with
    witnesses (not a run without, thrown away, then one with), and it is as small as asked with
    witnesses from the start."""
    n, tail, head, cost, cost2 = grid(30, 3, dyadic=False)
    calls, n_core = contraction_runs(monkeypatch, n, tail, head, cost, cost2)
    assert len(calls) == 1 and calls[0][0] == core_module.CONTRACT_WITNESS_HOPS
    keep = np.zeros(n, np.bool_)
    keep[np.random.default_rng(4).choice(n, n // 10, replace=False)] = True
    assert n_core == core_arcs(n, tail, head, cost, cost2, keep, 4)[0]
    assert n_core < core_arcs(n, tail, head, cost, cost2, keep, 0)[0]


def test_chains_are_contracted_without_witnesses(monkeypatch):
    """When most nodes to contract are chain nodes (a grid whose streets have shape points) the
    kernel counts too few junctions and contracts as without witnesses (one run, same core)."""
    n, tail, head, cost, cost2 = subdivided(12, 5, 3)
    calls, n_core = contraction_runs(monkeypatch, n, tail, head, cost, cost2)
    assert len(calls) == 1
    keep = np.zeros(n, np.bool_)
    keep[np.random.default_rng(4).choice(n, n // 10, replace=False)] = True
    g = csr_from_arcs(n, tail, head, cost, cost2)
    args = (keep, np.inf, THRESHOLDS, 36)
    auto = contraction.contract(*kernel_arrays(g), *args, 4, core_module.CONTRACT_WITNESS_JUNCTIONS)
    plain = contraction.contract(*kernel_arrays(g), *args, 0, 0.0)
    for got, want in zip(auto, plain, strict=True):
        assert np.array_equal(got, want)
    assert n_core == plain[1].shape[0]


@pytest.mark.parametrize("limit", [0.025, 0.08, 0.5])
def test_tables_come_sorted_by_target_whatever_the_share_reached(limit):
    """Each source's targets are put in order from a bit set when they are many and by sorting
    when few of many targets are reached (small ``limit``); both equal SciPy's rows, in order,
    with target indices on both sides of every 64-bit word boundary."""
    n, tail, head, cost, cost2 = geometric(2000, 7)
    g = csr_from_arcs(n, tail, head, cost, cost2)
    rng = np.random.default_rng(8)
    src = rng.choice(n, 12, replace=False)
    tgt = rng.permutation(n)  # target index i is the node tgt[i]: no spatial order
    kw = {"source_id": np.arange(12), "source_node": src, "target_id": np.arange(n)}
    got = many_to_many(g, **kw, target_node=tgt, max_cost=limit, contract=False, n_jobs=1)
    ref = dijkstra(scipy_matrix(n, tail, head, cost), indices=src)[:, tgt]
    s, t = np.nonzero(ref <= limit)
    assert np.array_equal(got["source"], s) and np.array_equal(got["target"], t)
    np.testing.assert_allclose(got["cost"], ref[s, t], rtol=1e-9, atol=1e-12)


def test_tables_grow_past_a_first_source_that_reaches_nothing():
    """A chunk's output buffers are sized from its first source; when that one reaches no target
    (here an isolated node) they grow as the other sources' pairs come, and the table still equals
    SciPy's rows."""
    n, tail, head, cost, cost2 = geometric(1500, 9)
    g = csr_from_arcs(n + 1, tail, head, cost, cost2)  # node n has no arcs
    rng = np.random.default_rng(10)
    src = np.concatenate([[n], rng.choice(n, 9, replace=False)])
    tgt = rng.permutation(n)
    got = many_to_many(
        g,
        source_id=np.arange(10),
        source_node=src,
        target_id=np.arange(n),
        target_node=tgt,
        max_cost=0.6,
        contract=False,
        n_jobs=1,
    )
    ref = dijkstra(scipy_matrix(n + 1, tail, head, cost), indices=src)[:, tgt]
    s, t = np.nonzero(ref <= 0.6)
    assert s.shape[0] > 4 * 1024 and s.min() == 1
    assert np.array_equal(got["source"], s) and np.array_equal(got["target"], t)
    np.testing.assert_allclose(got["cost"], ref[s, t], rtol=1e-9, atol=1e-12)


@pytest.mark.slow
def test_contraction_growth_stays_within_bounds(tmp_path):
    """The contraction grows its pool of adjacency lists and its down arcs outside its loop
    over the nodes, stopping before a node whose contraction might not fit: with numba's bounds
    checks (a fresh cache, so the kernels compile with them) the contracted tables still equal
    SciPy's (both arrays grow in these cases: the pool from its first contraction on, as it
    starts with little room on small graphs)."""
    import os
    import subprocess
    import sys
    from pathlib import Path

    code = f"""
import sys
sys.path.insert(0, {str(Path(__file__).parent)!r})
import pytest
sys.exit(pytest.main(["-q", "-p", "no:cacheprovider", {str(Path(__file__))!r},
                      "-k", "contracted_table_equals_scipy_rows or witnesses_make"]))
"""
    env = {**os.environ, "NUMBA_BOUNDSCHECK": "1", "NUMBA_CACHE_DIR": str(tmp_path)}
    out = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=900
    )
    assert out.returncode == 0, out.stdout[-2000:] + out.stderr[-2000:]
