"""Whether to contract a graph for a query, and the contracted core (kept with the graph).

See :mod:`accessibility.routing.contract` for the contraction itself and the package docstring
for when it pays.
"""

from __future__ import annotations

import hashlib
import logging
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .._arrays import release_free_memory
from ..options import OPTIONS, resolve_n_jobs
from .checks import check_memory
from .contract import contract as contract_nodes
from .contract import down_csr, junctions, level_slots, levels
from .graph import CSRGraph, kernel_arrays
from .search import distances

__all__ = ["Core", "contract_bytes", "contracted_core", "want_core"]

_log = logging.getLogger(__name__)

#: contraction passes: in pass ``p`` a node is contracted when the arcs it adds minus the arcs it
#: removes is at most ``CONTRACT_THRESHOLDS[p]`` (dead ends and chains first, then degree 3, ...)
CONTRACT_THRESHOLDS = np.array([0.0, 0.0, 2.0, 4.0, 8.0, 16.0])
#: never contract a node with in-degree x out-degree above this (its shortcuts would be many)
CONTRACT_MAX_PRODUCT = 36
#: a shortcut is not added when a path of at most this many arcs is as good without the
#: contracted node (a "witness", see :func:`accessibility.routing.contract.contract`) ...
CONTRACT_WITNESS_HOPS = 4
#: ... for cost tables where at least this share of the nodes to contract are junctions (3 or
#: more distinct neighbours; the kernel counts them before contracting, so the graph is contracted
#: once). Dead ends and chains go without witnesses anyway; where they are many the core is small
#: without them. On grid-like roads (the independent graph of ``bench/road_graphs.py``: 79 %
#: junctions) the core keeps 14 % of the nodes instead of 34 %, the searches settle 2.5x fewer
#: nodes and the table takes 1.7x less CPU; on the routing benchmark's graph (60 % junctions,
#: core 8 % without witnesses, 6 % with) they saved as much search CPU as they added to the
#: contraction (then on one thread), so they lost wall time. The opportunity sums (whose downward
#: sweep visits every node anyway) never use them.
CONTRACT_WITNESS_JUNCTIONS = 0.7
#: ``contract=None`` contracts when the searches should settle at least this many times the
#: number of nodes (contracting costs about as much as settling every node a few times)
CONTRACT_MIN_WORK = 8.0
#: ... and at least this many node settlements in all: below, the whole query takes a fraction of
#: a second on the graph itself, and contracting (with, on a fresh install, compiling the
#: contraction kernels: several seconds) would cost more than it saves
CONTRACT_MIN_SETTLED = 2_000_000
#: graphs of at least this many nodes are contracted in ``CONTRACT_PARTS`` parts, on as many
#: threads as ``n_jobs`` allows (see :func:`contract_in_parts`); smaller ones in one run of the
#: kernel (their contraction takes a fraction of a second). The number of parts does not depend
#: on the threads, so neither does the core.
CONTRACT_PARALLEL_NODES = 200_000
CONTRACT_PARTS = 2


@dataclass(frozen=True, eq=False)
class Sweep:
    """What the downward sweep over the contracted nodes reads (see
    :mod:`accessibility.routing.contract`)."""

    d_ptr: np.ndarray  # down arcs by tail (node ids)
    d_head: np.ndarray
    d_cost: np.ndarray
    level: np.ndarray
    slot_ptr: np.ndarray


@dataclass(frozen=True, eq=False)
class Core:
    """A contracted graph (see :mod:`accessibility.routing.contract`) and how to map back to the
    graph; :meth:`sweep` for the contracted nodes."""

    core_of: np.ndarray  # node -> core id (-1: contracted)
    core_nodes: np.ndarray  # core id -> node
    arrays: tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]  # core CSR
    seconds: float
    # the contraction order and down arcs (tail, head, cost), until sweep() turns them into a Sweep
    _down: dict[str, Any] = field(repr=False)

    @property
    def n_core(self) -> int:
        """Number of nodes left in the core."""
        return int(self.core_nodes.shape[0])

    def sweep(self) -> Sweep:
        """The down arcs by tail and the levels (made on the first call: cost tables never need
        them)."""
        # shared by threads (the core is cached with the graph): no lock is needed as long as
        # the arcs go only after the sweep is set
        down = self._down
        built = down.get("sweep")
        if built is None:
            arcs = down.get("arcs")
            if arcs is None:  # another thread has just made it
                return down["sweep"]
            order, d_tail, d_head, d_cost = arcs
            n = self.core_of.shape[0]
            level = levels(n, order, d_tail, d_head)
            d_ptr, d_head, d_cost = down_csr(n, d_tail, d_head, d_cost)
            built = down.setdefault(
                "sweep", Sweep(d_ptr, d_head, d_cost, level, level_slots(level))
            )
            down.pop("arcs", None)
        return built


def contract_bytes(graph: CSRGraph) -> int:
    """Peak working memory of contracting ``graph``: adjacency pools (20 bytes per entry, both
    directions, room to grow), the down arcs and per-node arrays."""
    return int(1.5 * 20 * (2 * graph.n_arcs + 4 * graph.n_nodes) + 24 * graph.n_arcs)


def contracted_core(
    graph: CSRGraph, keep: np.ndarray, bound: float, witness_hops: int | None = None
) -> Core:
    """``graph`` with every node not flagged in ``keep`` contracted (the last one is kept with the
    graph, see :meth:`CSRGraph.cached`). ``witness_hops`` is the longest witness path looked
    for (0: none); ``None``: ``CONTRACT_WITNESS_HOPS`` when at least
    ``CONTRACT_WITNESS_JUNCTIONS`` of the nodes to contract are junctions, else none."""
    digest = hashlib.blake2b(np.packbits(keep).tobytes(), digest_size=16).hexdigest()
    if witness_hops is None:
        args = (CONTRACT_WITNESS_HOPS, CONTRACT_WITNESS_JUNCTIONS)
    else:
        args = (int(witness_hops), 0.0)
    key = (digest, float(bound), args)
    return graph.cached("core", lambda: _contract(graph, keep, bound, *args), version=key)


def _contract(
    graph: CSRGraph,
    keep: np.ndarray,
    bound: float,
    witness_hops: int,
    min_junctions: float = 0.0,
) -> Core:
    check_memory(contract_bytes(graph), "contracting the graph", "pass contract=False")
    arrays = kernel_arrays(graph)
    keep = np.ascontiguousarray(keep, np.bool_)
    t0 = time.perf_counter()
    n_parts = CONTRACT_PARTS if graph.n_nodes >= CONTRACT_PARALLEL_NODES else 1
    if n_parts > 1:
        threads = min(resolve_n_jobs(), n_parts)
        out = contract_in_parts(arrays, keep, bound, witness_hops, min_junctions, n_parts, threads)
    else:
        out = contract_nodes(
            *arrays, keep, float(bound), CONTRACT_THRESHOLDS, CONTRACT_MAX_PRODUCT,
            witness_hops, float(min_junctions),
        )  # fmt: skip
    core_of, core_nodes, c_indptr, c_head, c_cost, c_cost2, d_tail, d_head, d_cost, _, order = out
    del out
    # the contraction's working memory, freed, back to the system before the searches pile up
    # their pieces (a worker thread's heap would keep it resident)
    release_free_memory()
    core = Core(
        core_of=core_of,
        core_nodes=core_nodes,
        arrays=(c_indptr, c_head, c_cost, c_cost2),
        seconds=time.perf_counter() - t0,
        _down={"arcs": (order, d_tail, d_head, d_cost)},
    )
    _log.debug(
        "contracted %d nodes / %d arcs to a core of %d nodes / %d arcs in %.2f s (%d parts)",
        graph.n_nodes,
        graph.n_arcs,
        core.n_core,
        c_head.shape[0],
        core.seconds,
        n_parts,
    )
    return core


def contract_in_parts(
    arrays: tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray],
    keep: np.ndarray,
    bound: float,
    witness_hops: int,
    min_junctions: float,
    n_parts: int,
    n_threads: int = 2,
) -> tuple[np.ndarray, ...]:
    """:func:`accessibility.routing.contract.contract` of the graph ``arrays`` (CSR) in
    ``n_parts`` parts on up to ``n_threads`` threads; the same outputs, the same costs between the
    kept nodes (the outputs do not depend on ``n_threads``).

    The nodes are cut into ``n_parts`` ranges of ids (about as many arcs each; road graphs are
    numbered along a space-filling curve, so few arcs cross). Each range's own graph (the arcs
    inside it) is contracted on its own (on a thread), keeping ``keep`` and every node with an arc to or from
    another range: a node contracted there has all its arcs in the range, so it is contracted as
    it would be in the whole graph (a witness inside a range is a witness in the graph too). Then
    what the ranges keep, with the arcs between ranges, is contracted again keeping ``keep``.
    Whether to look for witnesses is decided once, on the whole graph (``min_junctions``)."""
    indptr, head, cost, cost2 = arrays
    n = indptr.shape[0] - 1
    hops = int(witness_hops)
    if hops > 0 and min_junctions > 0.0:
        n_free, n_junction = junctions(indptr, head, keep)
        if n_junction < min_junctions * n_free:
            hops = 0
    m = int(indptr[-1])
    cuts = np.searchsorted(indptr, np.linspace(0, m, n_parts + 1)[1:-1]).astype(np.int64)
    bounds = np.concatenate([[0], cuts, [n]])
    cross = np.empty(m, np.bool_)  # arcs between parts
    for i in range(n_parts):
        lo, hi = bounds[i], bounds[i + 1]
        h = head[indptr[lo] : indptr[hi]]
        cross[indptr[lo] : indptr[hi]] = (h < lo) | (h >= hi)
    x_arcs = np.flatnonzero(cross)
    x_tail = np.searchsorted(indptr, x_arcs, side="right") - 1
    x_head = head[x_arcs]
    border = keep.copy()
    border[x_tail] = True
    border[x_head] = True

    def phase1(i: int) -> tuple[np.ndarray, ...]:
        lo, hi = int(bounds[i]), int(bounds[i + 1])
        s, e = int(indptr[lo]), int(indptr[hi])
        inner = ~cross[s:e]
        ptr = np.zeros(e - s + 1, np.int64)  # inner arcs before each arc
        np.cumsum(inner, out=ptr[1:])
        sub = (
            np.ascontiguousarray(ptr[indptr[lo : hi + 1] - s], indptr.dtype),
            np.ascontiguousarray(head[s:e][inner] - lo, head.dtype),
            cost[s:e][inner],
            cost2[s:e][inner],
        )
        del ptr, inner  # (not held while the part is contracted)
        return contract_nodes(
            *sub, border[lo:hi].copy(), float(bound), CONTRACT_THRESHOLDS,
            CONTRACT_MAX_PRODUCT, hops, 0.0,
        )  # fmt: skip

    # the first part on this thread: its working memory comes from (and goes back to) the main
    # heap, which malloc_trim empties; a worker thread's heap keeps its top (up to 64 MB) resident
    if n_threads < 2:
        parts = [phase1(i) for i in range(n_parts)]
    else:
        with ThreadPoolExecutor(max_workers=min(n_threads, n_parts) - 1) as pool:
            rest = pool.map(phase1, range(1, n_parts))
            parts = [phase1(0), *rest]
    # the graph of what the parts kept (ascending ids) with the arcs between parts, over ids in
    # ``kept``: a node's arcs kept by its part first, then its arcs to other parts
    kept = np.concatenate([p[1] + bounds[i] for i, p in enumerate(parts)])
    at = np.full(n, -1, np.int64)
    at[kept] = np.arange(kept.shape[0])
    n2 = kept.shape[0]
    deg = np.concatenate([np.diff(p[2]) for p in parts])
    c_ptr = np.zeros(n2 + 1, np.int64)
    np.cumsum(deg, out=c_ptr[1:])
    x_tail = at[x_tail]
    x_before = np.zeros(n2 + 1, np.int64)
    np.cumsum(np.bincount(x_tail, minlength=n2), out=x_before[1:])
    ptr2 = c_ptr + x_before
    at_core = np.repeat(x_before[:-1], deg) + np.arange(c_ptr[-1])
    at_cross = np.arange(x_tail.shape[0]) + c_ptr[x_tail + 1]
    offset = np.cumsum([0] + [p[1].shape[0] for p in parts])
    merged = []
    for k, cross_values in ((3, at[x_head]), (4, cost[x_arcs]), (5, cost2[x_arcs])):
        dtype = head.dtype if k == 3 else np.float64
        values = np.empty(ptr2[-1], dtype)
        shift = offset if k == 3 else np.zeros(n_parts + 1, np.int64)
        values[at_core] = np.concatenate([p[k] + shift[i] for i, p in enumerate(parts)])
        values[at_cross] = cross_values
        merged.append(values)
    m_head, m_cost, m_cost2 = merged
    last = contract_nodes(
        ptr2.astype(indptr.dtype), m_head, m_cost, m_cost2, keep[kept], float(bound),
        CONTRACT_THRESHOLDS, CONTRACT_MAX_PRODUCT, hops, 0.0,
    )  # fmt: skip
    core_nodes = kept[last[1]]
    core_of = np.full(n, -1, np.int64)
    core_of[core_nodes] = np.arange(core_nodes.shape[0])
    # down arcs and contraction order: the parts' first, then the last run's (in node ids)
    ids = [bounds[i] for i in range(n_parts)]
    d_tail, d_head, order = (
        np.concatenate([p[k] + ids[i] for i, p in enumerate(parts)] + [kept[last[k]]])
        for k in (6, 7, 10)
    )
    d_tail = d_tail.astype(head.dtype)
    d_head = d_head.astype(head.dtype)
    d_cost, d_cost2 = (np.concatenate([p[k] for p in parts] + [last[k]]) for k in (8, 9))
    return (core_of, core_nodes, *last[2:6], d_tail, d_head, d_cost, d_cost2, order)


def want_core(
    contract: bool | None,
    graph: CSRGraph,
    n_terminal_nodes: int,
    n_sources: int,
    sample: list[tuple[np.ndarray, np.ndarray]],
    bound: float,
) -> bool:
    """Whether to contract: forced by ``contract``, else when the expected number of settled nodes
    (sources x the mean reach of a few sample searches) is at least ``CONTRACT_MIN_WORK`` x the
    nodes and at least ``CONTRACT_MIN_SETTLED``, and the query's own nodes are not most of the
    graph (they cannot be contracted)."""
    if contract is not None:
        return bool(contract)
    n = graph.n_nodes
    if n == 0 or n_sources == 0 or n_terminal_nodes > n // 2:
        return False
    if n_sources * n < max(CONTRACT_MIN_WORK * n, CONTRACT_MIN_SETTLED):
        return False  # even searches reaching everything would not be enough work
    if contract_bytes(graph) > OPTIONS["max_memory_bytes"]:
        return False
    arrays = kernel_arrays(graph)
    reach = []
    for nodes, costs in sample:
        found, _, _ = distances(*arrays, nodes, costs, np.zeros(nodes.shape[0]), bound)
        reach.append(found.shape[0])
    work = n_sources * float(np.mean(reach)) if reach else 0.0
    return work >= max(CONTRACT_MIN_WORK * n, CONTRACT_MIN_SETTLED)
