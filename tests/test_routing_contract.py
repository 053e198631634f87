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
    out = contraction.contract(*kernel_arrays(g), keep, np.inf, THRESHOLDS, 36, hops)
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
    monkeypatch.setattr(core_module, "CONTRACT_WITNESS_ABOVE", 0.0)  # witnesses whatever the core
    name, (n, tail, head, cost, cost2), limit = list(table_cases())[case]
    rng = np.random.default_rng(case)
    g = csr_from_arcs(n, tail, head, cost, cost2)
    src = rng.choice(n, 15, replace=False)
    tgt = rng.choice(n, n // 5, replace=False)
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
    if name == "grid-ties":
        for key in ("source", "target", "cost", "cost2"):
            assert np.array_equal(got[key], plain[key]), key
    else:
        np.testing.assert_allclose(got["cost2"], plain["cost2"], rtol=1e-9)


def test_witnesses_are_used_when_the_core_without_them_is_large(monkeypatch):
    """Cost tables contract again with witnesses only when the core without them keeps more than
    CONTRACT_WITNESS_ABOVE of the nodes."""
    n, tail, head, cost, cost2 = grid(30, 3, dyadic=False)
    g = csr_from_arcs(n, tail, head, cost, cost2)
    keep = np.zeros(n, np.bool_)
    keep[np.random.default_rng(4).choice(n, n // 10, replace=False)] = True
    plain = core_module.contracted_core(g, keep, np.inf, witness_hops=0).n_core
    witnessed = core_module.contracted_core(g, keep, np.inf, witness_hops=4).n_core
    assert witnessed < plain
    monkeypatch.setattr(core_module, "CONTRACT_WITNESS_ABOVE", plain / n - 0.01)
    assert core_module.contracted_core(g, keep, np.inf).n_core == witnessed
    monkeypatch.setattr(core_module, "CONTRACT_WITNESS_ABOVE", plain / n + 0.01)
    g._cache.clear()
    assert core_module.contracted_core(g, keep, np.inf).n_core == plain
