"""Whether to contract a graph for a query, and the contracted core (kept with the graph).

See :mod:`accessibility.routing.contract` for the contraction itself and the package docstring
for when it pays.
"""

from __future__ import annotations

import hashlib
import logging
import time
from dataclasses import dataclass

import numpy as np

from ..options import OPTIONS
from .checks import check_memory
from .contract import contract as contract_nodes
from .contract import down_csr, level_slots
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
#: (single-threaded) contraction, so they lost wall time. The opportunity sums (whose downward
#: sweep visits every node anyway) never use them.
CONTRACT_WITNESS_JUNCTIONS = 0.7
#: ``contract=None`` contracts when the searches should settle at least this many times the
#: number of nodes (contracting costs about as much as settling every node a few times)
CONTRACT_MIN_WORK = 8.0
#: ... and at least this many node settlements in all: below, the whole query takes a fraction of
#: a second on the graph itself, and contracting (with, on a fresh install, compiling the
#: contraction kernels: several seconds) would cost more than it saves
CONTRACT_MIN_SETTLED = 2_000_000


@dataclass(frozen=True, eq=False)
class Core:
    """A contracted graph (see :mod:`accessibility.routing.contract`) and how to map back to the
    graph."""

    core_of: np.ndarray  # node -> core id (-1: contracted)
    core_nodes: np.ndarray  # core id -> node
    arrays: tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]  # core CSR
    d_ptr: np.ndarray  # down arcs by tail (node ids)
    d_head: np.ndarray
    d_cost: np.ndarray
    level: np.ndarray
    slot_ptr: np.ndarray
    seconds: float

    @property
    def n_core(self) -> int:
        """Number of nodes left in the core."""
        return int(self.core_nodes.shape[0])


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
    indptr, head, cost, cost2 = kernel_arrays(graph)
    t0 = time.perf_counter()
    (core_of, core_nodes, c_indptr, c_head, c_cost, c_cost2, d_tail, d_head, d_cost, _,
     level) = contract_nodes(
        indptr, head, cost, cost2, np.ascontiguousarray(keep, np.bool_), float(bound),
        CONTRACT_THRESHOLDS, CONTRACT_MAX_PRODUCT, witness_hops, float(min_junctions),
    )  # fmt: skip
    d_ptr, d_head, d_cost = down_csr(graph.n_nodes, d_tail, d_head, d_cost)
    core = Core(
        core_of=core_of,
        core_nodes=core_nodes,
        arrays=(c_indptr, c_head, c_cost, c_cost2),
        d_ptr=d_ptr,
        d_head=d_head,
        d_cost=d_cost,
        level=level,
        slot_ptr=level_slots(level),
        seconds=time.perf_counter() - t0,
    )
    _log.debug(
        "contracted %d nodes / %d arcs to a core of %d nodes / %d arcs in %.2f s",
        graph.n_nodes,
        graph.n_arcs,
        core.n_core,
        c_head.shape[0],
        core.seconds,
    )
    return core


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
