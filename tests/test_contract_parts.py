"""Contraction in parts on several threads (issue 17): the graph's node ranges are contracted
separately, then what they keep with the arcs between them. Costs between kept nodes, cost tables
and opportunity sums equal SciPy's ``dijkstra`` on graphs the engine was not designed for (grids
with one-way streets and zero-cost arcs, random geometric graphs, disconnected pieces, random node
ids where most arcs cross between parts), with the parallel path forced on small graphs."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.sparse.csgraph import dijkstra
from test_routing_contract import (
    check_contracted_table,
    geometric,
    grid,
    scipy_matrix,
    subdivided,
)

from accessibility.options import OPTIONS
from accessibility.routing import contract as contraction
from accessibility.routing import core as core_module
from accessibility.routing import csr_from_arcs, opportunities_within
from accessibility.routing.graph import kernel_arrays


def disconnected(seed: int) -> tuple[int, np.ndarray, ...]:
    """Two grids side by side with no arc between them, then a few isolated nodes."""
    n1, t1, h1, c1, d1 = grid(12, seed, dyadic=False)
    n2, t2, h2, c2, d2 = geometric(200, seed)
    return (
        n1 + n2 + 7,
        np.concatenate([t1, t2 + n1]),
        np.concatenate([h1, h2 + n1]),
        np.concatenate([c1, c2]),
        np.concatenate([d1, d2]),
    )


def shuffled(seed: int) -> tuple[int, np.ndarray, ...]:
    """A grid with its node ids drawn at random: no spatial order, most arcs cross parts."""
    n, tail, head, cost, cost2 = grid(20, seed, dyadic=False)
    perm = np.random.default_rng(seed).permutation(n)
    return n, perm[tail], perm[head], cost, cost2


CASES = {
    "grid": lambda s: grid(25, s, dyadic=False),
    "grid-ties": lambda s: grid(25, s, dyadic=True),
    "geometric": lambda s: geometric(600, s),
    "chains": lambda s: subdivided(10, s, 3),
    "disconnected": disconnected,
    "shuffled": shuffled,
}


def contracted(arcs, keep, bound, hops, n_parts):
    n, tail, head, cost, cost2 = arcs
    g = csr_from_arcs(n, tail, head, cost, cost2)
    return core_module.contract_in_parts(kernel_arrays(g), keep, bound, hops, 0.0, n_parts, 2)


@pytest.mark.parametrize("n_parts", [2, 3, 5])
@pytest.mark.parametrize("name", list(CASES))
def test_parts_keep_the_costs_between_kept_nodes(name, n_parts):
    """The core of a contraction in parts has SciPy's costs between the kept nodes (within the
    bound); every down arc goes from a higher level to a lower one, the core is level 0, and the
    contraction order lists each contracted node once."""
    arcs = CASES[name](n_parts)
    n, tail, head, cost = arcs[:4]
    rng = np.random.default_rng(n_parts)
    keep = np.zeros(n, np.bool_)
    keep[rng.choice(n, n // 8, replace=False)] = True
    full = dijkstra(scipy_matrix(n, tail, head, cost))
    for bound, hops in ((np.inf, 4), (4.0, 0), (0.3, 2)):
        out = contracted(arcs, keep, bound, hops, n_parts)
        core_of, core_nodes, ci, ch, cc, _, d_tail, d_head, _, _, order = out
        level = contraction.levels(n, order, d_tail, d_head)
        assert np.array_equal(core_nodes, np.flatnonzero(core_of >= 0))
        assert np.array_equal(core_of[core_nodes], np.arange(core_nodes.shape[0]))
        assert keep[core_of < 0].sum() == 0
        assert np.array_equal(np.sort(order), np.flatnonzero(core_of < 0))
        assert (level[core_nodes] == 0).all() and (level[order] < 0).all()
        assert (level[d_tail] > level[d_head]).all() and (core_of[d_head] < 0).all()
        nc = core_nodes.shape[0]
        small = dijkstra(scipy_matrix(nc, np.repeat(np.arange(nc), np.diff(ci)), ch, cc))
        k = np.flatnonzero(keep)
        want = full[np.ix_(k, k)]
        have = small[np.ix_(core_of[k], core_of[k])]
        within = want <= bound
        np.testing.assert_allclose(have[within], want[within], rtol=1e-9, atol=1e-12)
        assert (have[~within] > bound).all()


@pytest.fixture
def parts_forced(monkeypatch):
    """Contract every graph in 3 parts (on 2 threads) and record the kernel's runs."""
    runs = []

    def counted(*args):
        runs.append(args[8])  # witness hops
        return contraction.contract(*args)

    monkeypatch.setattr(core_module, "CONTRACT_PARALLEL_NODES", 40)
    monkeypatch.setattr(core_module, "CONTRACT_PARTS", 3)
    monkeypatch.setitem(OPTIONS, "n_jobs", 2)
    monkeypatch.setattr(core_module, "contract_nodes", counted)
    return runs


@pytest.mark.parametrize("name", list(CASES))
def test_tables_through_parts_equal_scipy(name, parts_forced, monkeypatch):
    """many_to_many through a core contracted in 3 parts equals SciPy's rows; with exact costs
    (multiples of 1/4) its cost2 tie-break equals the uncontracted search's bit for bit."""
    monkeypatch.setattr(core_module, "CONTRACT_WITNESS_JUNCTIONS", 0.0)  # witnesses on any graph
    n, tail, head, cost, cost2 = CASES[name](7)
    rng = np.random.default_rng(7)
    src = rng.choice(n, 15, replace=False)
    tgt = rng.choice(n, n // 5, replace=False)
    limit = 0.3 if name == "geometric" else 6.0
    check_contracted_table(
        (n, tail, head, cost, cost2), src, tgt, limit, exact=name == "grid-ties", cost2_atol=1e-12
    )
    assert len(parts_forced) == 4 and set(parts_forced) == {core_module.CONTRACT_WITNESS_HOPS}


@pytest.mark.parametrize("name", list(CASES))
def test_opportunity_sums_through_parts_equal_scipy(name, parts_forced):
    """The downward sweep over the levels of a core contracted in parts gives SciPy's opportunity
    sums at every node (sources in several groups)."""
    n, tail, head, cost, cost2 = CASES[name](11)
    rng = np.random.default_rng(11)
    src = rng.choice(n, 40, replace=True)
    w = rng.integers(1, 9, src.shape[0]).astype(float)
    g = csr_from_arcs(n, tail, head, cost, cost2)
    dmat = dijkstra(scipy_matrix(n, tail, head, cost), indices=src)
    for limit in (0.0, 0.25, 3.0, np.inf):
        parts_forced.clear()
        got = opportunities_within(g, source_node=src, weight=w, max_cost=limit, contract=True)
        assert len(parts_forced) == 4
        expect = ((np.isfinite(dmat) & (dmat <= limit)) * w[:, None]).sum(axis=0)
        np.testing.assert_allclose(got, expect, rtol=0, atol=1e-9)


def test_the_witness_rule_is_decided_once_for_all_parts(parts_forced):
    """Parts decide witnesses on the whole graph's share of junctions, as one run would: a grid
    (most nodes junctions) is contracted with witnesses in every run, a grid whose streets have
    shape points (most nodes in chains) without; the junction count is SciPy-free arithmetic on
    the distinct neighbours of each node."""
    for name, hops in (("grid", core_module.CONTRACT_WITNESS_HOPS), ("chains", 0)):
        parts_forced.clear()
        n, tail, head, cost, cost2 = CASES[name](3)
        keep = np.zeros(n, np.bool_)
        keep[np.random.default_rng(3).choice(n, n // 10, replace=False)] = True
        g = csr_from_arcs(n, tail, head, cost, cost2)
        core_module.contracted_core(g, keep, np.inf)
        assert parts_forced == [hops] * 4
        loops = tail != head
        pairs = np.unique(np.sort(np.stack([tail[loops], head[loops]], 1), axis=1), axis=0).ravel()
        n_neighbours = np.bincount(pairs, minlength=n)
        free = ~keep
        got = contraction.junctions(*kernel_arrays(g)[:2], keep)
        assert got == (free.sum(), (free & (n_neighbours >= 3)).sum())


def test_the_core_does_not_depend_on_the_threads():
    """The parts are fixed by the graph, not by ``n_jobs``: one thread, two or three give the same
    core, down arcs and order, bit for bit."""
    n, tail, head, cost, cost2 = CASES["geometric"](5)
    g = csr_from_arcs(n, tail, head, cost, cost2)
    keep = np.zeros(n, np.bool_)
    keep[::9] = True
    runs = [
        core_module.contract_in_parts(kernel_arrays(g), keep, np.inf, 4, 0.0, 3, threads)
        for threads in (1, 2, 3)
    ]
    for other in runs[1:]:
        for got, want in zip(other, runs[0], strict=True):
            assert np.array_equal(got, want)


def test_the_sweep_is_made_once_when_threads_ask_together():
    """A core is cached with its graph and shared: threads asking for its sweep at once (user
    threads calling ``opportunities_within`` on one graph) all get it, not a ``KeyError`` for
    the down arcs another thread was turning into the sweep (review of #17)."""
    import threading

    n, tail, head, cost, cost2 = grid(120, 3, dyadic=False)
    g = csr_from_arcs(n, tail, head, cost, cost2)
    keep = np.zeros(n, np.bool_)
    keep[::50] = True
    for _ in range(3):
        core = core_module._contract(g, keep, np.inf, 0, 0.0)
        barrier = threading.Barrier(4)
        got: list[object] = []

        def ask(core=core, barrier=barrier, got=got):
            barrier.wait()
            try:
                got.append(core.sweep())
            except Exception as err:  # the test reports it
                got.append(err)

        threads = [threading.Thread(target=ask) for _ in range(4)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert all(isinstance(s, core_module.Sweep) for s in got), got
        assert all(s is got[0] for s in got)
