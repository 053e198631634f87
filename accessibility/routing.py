"""Fast routing engine: bounded shortest-path searches on a CSR graph, nothing geographic.

Plain arrays in, plain arrays out. :mod:`accessibility.network` builds a :class:`CSRGraph` per
travel mode and :mod:`accessibility.costs` turns the results into cost tables; everything here
only knows nodes ``0..n-1``, directed arcs with a non-negative primary cost (minutes) and a
secondary cost that is carried along the chosen path (metres, say).

Semantics shared by every search
--------------------------------
* A path's cost is the pair ``(cost, cost2)``; paths are compared lexicographically, so among
  paths of equal primary cost the one with the smallest secondary cost wins. Results are exact
  (plain float64 sums along one path) and deterministic whatever ``n_jobs`` is.
* A *source* has one or more seed rows ``(node, cost, cost2)``: an edge-based location seeds both
  ends of its edge with the offsets along the edge plus its off-network leg. A *target* has one or
  more attachment rows the same way. The cost of a (source, target) pair is the minimum over seeds
  ``s`` and attachments ``t`` of ``seed_cost[s] + shortest(node[s] -> node[t]) + target_cost[t]``.
* Bounds are inclusive: pairs with cost ``<= max_cost`` are kept, the rest are absent.

The compiled kernels live in :mod:`accessibility._kernel` (numba, cached on disk, GIL released so
searches from different sources run on several threads).

Contraction
-----------
Large many-to-many tables and opportunity sums first *contract* the graph
(:mod:`accessibility._contract`): every node that is not a source or target node of the query is
replaced by shortcut arcs between its neighbours, as long as that adds only a few arcs.
On the benchmark road graphs this leaves a core of 4-8 % of the nodes, with the same costs between
the query's nodes, so each search settles several times fewer nodes. Opportunity sums at every node then
recover the contracted nodes by a downward sweep, shared by groups of nearby sources. Costs are
the same as without contraction up to float rounding (a shortcut's cost is summed before the
path's, ~1e-13 minutes). ``contract=None`` (the default) contracts when the searches are expected
to settle many times the graph's nodes, estimated from a few sample searches; ``True``/``False``
force it. See ``docs/routing.md``.
"""

from __future__ import annotations

import hashlib
import logging
import math
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .errors import InvalidValueError, MemoryEstimateError, NetworkError
from .options import OPTIONS, progress, resolve_n_jobs

__all__ = [
    "CSRGraph",
    "csr_from_arcs",
    "distances_from",
    "estimate_pairs_bytes",
    "iter_many_to_many",
    "many_to_many",
    "nearest_k",
    "opportunities_within",
    "permute_graph",
    "spatial_order",
]

_log = logging.getLogger(__name__)

#: bytes per (source, target, cost, cost2) row of a many-to-many result
PAIR_BYTES = 32
#: bytes of scratch memory per node per search thread (cost, cost2, stamp, settled list, heap)
SCRATCH_BYTES_PER_NODE = 32
#: number of partial sums used by :func:`opportunities_within` (fixed, so results do not depend
#: on the number of threads)
_N_PARTIALS = 8
#: contraction passes: in pass ``p`` a node is contracted when the arcs it adds minus the arcs it
#: removes is at most ``_CONTRACT_THRESHOLDS[p]`` (dead ends and chains first, then degree 3, ...)
_CONTRACT_THRESHOLDS = np.array([0.0, 0.0, 2.0, 4.0, 8.0, 16.0])
#: never contract a node with in-degree x out-degree above this (its shortcuts would be many)
_CONTRACT_MAX_PRODUCT = 36
#: ``contract=None`` contracts when the searches should settle at least this many times the
#: number of nodes (contracting costs about as much as settling every node a few times)
_CONTRACT_MIN_WORK = 8.0
#: sources swept together by the contracted :func:`opportunities_within` (most)
_GROUP_SIZE = 16


# --------------------------------------------------------------------------------------------
# graph
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class CSRGraph:
    """A directed graph in compressed sparse row form.

    Arcs leaving node ``u`` are ``indptr[u]:indptr[u + 1]``; arc ``a`` goes to ``head[a]`` with
    primary cost ``cost[a]`` (minutes, ``>= 0``) and secondary cost ``cost2[a]`` (metres, say;
    zeros when unused). ``arc_edge[a]`` is the id of the edge the arc came from (``-1`` if none).
    Build one with :func:`csr_from_arcs`.
    """

    indptr: np.ndarray
    head: np.ndarray
    cost: np.ndarray
    cost2: np.ndarray
    arc_edge: np.ndarray
    n_nodes: int
    _cache: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)

    @property
    def n_arcs(self) -> int:
        """Number of arcs."""
        return int(self.head.shape[0])

    def tails(self) -> np.ndarray:
        """Tail node of every arc (int64, aligned to ``head``)."""
        return np.repeat(np.arange(self.n_nodes, dtype=np.int64), np.diff(self.indptr))

    def reversed(self) -> CSRGraph:
        """The same graph with every arc flipped (cached): searches on it measure node -> source."""
        rev = self._cache.get("reversed")
        if rev is None:
            rev = csr_from_arcs(
                self.n_nodes,
                self.head,
                self.tails(),
                self.cost,
                self.cost2,
                self.arc_edge,
            )
            rev._cache["reversed"] = self
            self._cache["reversed"] = rev
        return rev


def csr_from_arcs(
    n_nodes: int,
    tail: np.ndarray,
    head: np.ndarray,
    cost: np.ndarray,
    cost2: np.ndarray | None = None,
    arc_edge: np.ndarray | None = None,
) -> CSRGraph:
    """Build a :class:`CSRGraph` from arc lists.

    Arcs with a non-finite primary cost (``inf`` = not allowed, ``nan``) are dropped. The order of
    arcs leaving a node is their input order (stable).

    Parameters
    ----------
    n_nodes
        Number of nodes; node ids are ``0..n_nodes-1``.
    tail, head
        Arc end nodes.
    cost
        Primary cost per arc (minutes), ``>= 0``.
    cost2
        Secondary cost per arc (metres, say), finite and ``>= 0``; zeros when omitted.
    arc_edge
        Edge id each arc came from; ``-1`` when omitted.

    Raises
    ------
    NetworkError
        On negative costs, nodes out of range, or arrays of different lengths.

    Examples
    --------
    >>> g = csr_from_arcs(3, [0, 1], [1, 2], [1.5, 2.0])
    >>> g.indptr.tolist(), g.head.tolist()
    ([0, 1, 2, 2], [1, 2])
    """
    n_nodes = int(n_nodes)
    if n_nodes < 0:
        raise NetworkError(f"n_nodes must be >= 0, got {n_nodes}")
    tail = np.asarray(tail)
    head = np.asarray(head)
    cost = np.asarray(cost, dtype=np.float64)
    m = tail.shape[0]
    cost2 = np.zeros(m) if cost2 is None else np.asarray(cost2, dtype=np.float64)
    arc_edge = np.full(m, -1, np.int64) if arc_edge is None else np.asarray(arc_edge)
    lengths = {len(a) for a in (tail, head, cost, cost2, arc_edge)}
    if len(lengths) != 1 or tail.ndim != 1:
        raise NetworkError(
            "tail, head, cost, cost2 and arc_edge must be 1-D arrays of one length; got lengths "
            f"{[len(a) for a in (tail, head, cost, cost2, arc_edge)]}"
        )
    for name, arr in (("tail", tail), ("head", head), ("arc_edge", arc_edge)):
        if m and not np.issubdtype(arr.dtype, np.integer):
            raise NetworkError(f"{name} must hold integers, got dtype {arr.dtype}")
    tail = tail.astype(np.int64, copy=False)
    head = head.astype(np.int64, copy=False)
    arc_edge = arc_edge.astype(np.int64, copy=False)
    keep = np.isfinite(cost)
    if not keep.all():
        tail, head, cost, cost2, arc_edge = (a[keep] for a in (tail, head, cost, cost2, arc_edge))
    if cost.size and cost.min() < 0:
        bad = int(np.flatnonzero(cost < 0)[0])
        raise NetworkError(
            f"{int((cost < 0).sum())} arcs have a negative cost (first: {tail[bad]}->{head[bad]} "
            f"cost {cost[bad]}); travel costs must be >= 0"
        )
    if cost2.size and not (np.isfinite(cost2).all() and cost2.min() >= 0):
        raise NetworkError("cost2 must be finite and >= 0 on every arc with a finite cost")
    for name, arr in (("tail", tail), ("head", head)):
        if arr.size and (arr.min() < 0 or arr.max() >= n_nodes):
            raise NetworkError(
                f"{name} holds node ids outside 0..{n_nodes - 1} "
                f"(min {arr.min()}, max {arr.max()}); pass the right n_nodes"
            )
    order = np.argsort(tail, kind="stable")
    indptr = np.zeros(n_nodes + 1, np.int64)
    np.cumsum(np.bincount(tail, minlength=n_nodes), out=indptr[1:])
    return CSRGraph(
        indptr=indptr,
        head=np.ascontiguousarray(head[order]),
        cost=np.ascontiguousarray(cost[order]),
        cost2=np.ascontiguousarray(cost2[order]),
        arc_edge=np.ascontiguousarray(arc_edge[order]),
        n_nodes=n_nodes,
    )


def spatial_order(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Permutation that puts points along a Hilbert curve (for memory locality).

    ``order[i]`` is the old id of the node that becomes node ``i``. Renumbering a road graph this
    way keeps nodes that are close on the ground close in memory, which makes searches on large
    graphs several times faster (fewer cache misses). Ties keep input order.

    Examples
    --------
    >>> spatial_order(np.array([0.0, 1.0, 1.0, 0.0]), np.array([0.0, 0.0, 1.0, 1.0])).tolist()
    [0, 3, 2, 1]
    """
    x = np.asarray(x, dtype=np.float64)
    y = np.asarray(y, dtype=np.float64)
    if x.shape != y.shape or x.ndim != 1:
        raise InvalidValueError(f"x and y must be 1-D of one length, got {x.shape} and {y.shape}")
    if x.size == 0:
        return np.zeros(0, np.int64)
    if not (np.isfinite(x).all() and np.isfinite(y).all()):
        raise InvalidValueError("x and y must be finite")
    bits = 16
    side = (1 << bits) - 1
    span = max(float(x.max() - x.min()), float(y.max() - y.min()), 1e-300)
    xi = np.floor((x - x.min()) / span * side).astype(np.int64)
    yi = np.floor((y - y.min()) / span * side).astype(np.int64)
    d = np.zeros(x.shape[0], np.int64)
    s = 1 << (bits - 1)
    while s > 0:
        rx = ((xi & s) > 0).astype(np.int64)
        ry = ((yi & s) > 0).astype(np.int64)
        d += s * s * ((3 * rx) ^ ry)
        # rotate the quadrant
        flip = ry == 0
        swap_flip = flip & (rx == 1)
        xi = np.where(swap_flip, side - xi, xi)
        yi = np.where(swap_flip, side - yi, yi)
        xi, yi = np.where(flip, yi, xi), np.where(flip, xi, yi)
        s >>= 1
    return np.argsort(d, kind="stable")


def permute_graph(graph: CSRGraph, order: np.ndarray) -> tuple[CSRGraph, np.ndarray]:
    """Renumber nodes so that new node ``i`` is old node ``order[i]``.

    Returns the renumbered graph and ``new_id`` (``new_id[old] = new``) to translate node ids of
    seeds and targets. Costs and ``arc_edge`` move with their arcs.
    """
    order = np.asarray(order, dtype=np.int64)
    n = graph.n_nodes
    if order.shape != (n,) or not np.array_equal(np.sort(order), np.arange(n)):
        raise InvalidValueError(f"order must be a permutation of 0..{n - 1}")
    new_id = np.empty(n, np.int64)
    new_id[order] = np.arange(n, dtype=np.int64)
    g = csr_from_arcs(
        n, new_id[graph.tails()], new_id[graph.head], graph.cost, graph.cost2, graph.arc_edge
    )
    return g, new_id


# --------------------------------------------------------------------------------------------
# input checks
# --------------------------------------------------------------------------------------------


def _ids(values: Any, name: str, m: int | None = None) -> np.ndarray:
    arr = np.asarray(values)
    if arr.ndim != 1:
        raise InvalidValueError(f"{name} must be 1-D, got shape {arr.shape}")
    if m is not None and arr.shape[0] != m:
        raise InvalidValueError(f"{name} has {arr.shape[0]} rows, expected {m}")
    if arr.size and not np.issubdtype(arr.dtype, np.integer):
        raise InvalidValueError(f"{name} must hold integers, got dtype {arr.dtype}")
    arr = arr.astype(np.int64, copy=False)
    if arr.size and arr.min() < 0:
        raise InvalidValueError(f"{name} must be >= 0, found {arr.min()}")
    return np.ascontiguousarray(arr)


def _nodes(values: Any, name: str, graph: CSRGraph, m: int | None = None) -> np.ndarray:
    arr = _ids(values, name, m)
    if arr.size and arr.max() >= graph.n_nodes:
        raise InvalidValueError(
            f"{name} holds node {arr.max()} but the graph has {graph.n_nodes} nodes (0..n-1)"
        )
    return arr


def _costs(values: Any, name: str, m: int) -> np.ndarray:
    arr = np.zeros(m) if values is None else np.asarray(values, dtype=np.float64)
    if arr.ndim == 0:
        arr = np.full(m, float(arr))
    if arr.shape != (m,):
        raise InvalidValueError(f"{name} has shape {arr.shape}, expected ({m},)")
    if arr.size and not (np.isfinite(arr).all() and arr.min() >= 0):
        raise InvalidValueError(f"{name} must be finite and >= 0 (found {arr[~(arr >= 0)][:3]})")
    return np.ascontiguousarray(arr)


def _max_cost(max_cost: float) -> float:
    value = float(max_cost)
    if math.isnan(value) or value < 0:
        raise InvalidValueError(f"max_cost must be >= 0 (inf for no limit), got {max_cost!r}")
    return value


def _graph_arrays(graph: CSRGraph) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The arrays the kernels read (cached): ``indptr`` and ``head`` as int32 when they fit,
    which halves the index traffic of a search."""
    packed = graph._cache.get("packed")
    if packed is None:
        small = max(graph.n_nodes, graph.n_arcs) < 2**31 - 1
        dtype = np.int32 if small else np.int64
        packed = (
            np.ascontiguousarray(graph.indptr, dtype=dtype),
            np.ascontiguousarray(graph.head, dtype=dtype),
            graph.cost,
            graph.cost2,
        )
        graph._cache["packed"] = packed
    return packed


def estimate_pairs_bytes(n_pairs: int | float) -> int:
    """Bytes needed to hold ``n_pairs`` rows of a many-to-many result (4 x 8-byte columns)."""
    return math.ceil(float(n_pairs) * PAIR_BYTES)


def _check_memory(estimate: int, what: str, hint: str) -> None:
    limit = OPTIONS["max_memory_bytes"]
    if estimate > limit:
        raise MemoryEstimateError(
            f"{what} needs about {estimate / 1e9:.2f} GB, more than max_memory_bytes="
            f"{limit / 1e9:.2f} GB; {hint}, or raise the limit with "
            "accessibility.set_options(max_memory_bytes=...)"
        )


# --------------------------------------------------------------------------------------------
# contraction
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class _Core:
    """A contracted graph (see :mod:`accessibility._contract`) and how to map back to the graph."""

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
        return int(self.core_nodes.shape[0])


def _contract_bytes(graph: CSRGraph) -> int:
    """Peak working memory of contracting ``graph``: adjacency pools (20 bytes per entry, both
    directions, room to grow), the down arcs and per-node arrays."""
    return int(1.5 * 20 * (2 * graph.n_arcs + 4 * graph.n_nodes) + 24 * graph.n_arcs)


def _core(graph: CSRGraph, keep: np.ndarray, bound: float) -> _Core:
    """``graph`` with every node not flagged in ``keep`` contracted (the last one is cached)."""
    from . import _contract

    key = (hashlib.blake2b(np.packbits(keep).tobytes(), digest_size=16).hexdigest(), float(bound))
    cached = graph._cache.get("core")
    if cached is not None and cached[0] == key:
        return cached[1]
    _check_memory(_contract_bytes(graph), "contracting the graph", "pass contract=False")
    indptr, head, cost, cost2 = _graph_arrays(graph)
    t0 = time.perf_counter()
    (core_of, core_nodes, c_indptr, c_head, c_cost, c_cost2, d_tail, d_head, d_cost, _,
     level) = _contract.contract(
        indptr, head, cost, cost2, np.ascontiguousarray(keep, np.bool_), float(bound),
        _CONTRACT_THRESHOLDS, _CONTRACT_MAX_PRODUCT,
    )  # fmt: skip
    d_ptr, d_head, d_cost = _contract.down_csr(graph.n_nodes, d_tail, d_head, d_cost)
    core = _Core(
        core_of=core_of,
        core_nodes=core_nodes,
        arrays=(c_indptr, c_head, c_cost, c_cost2),
        d_ptr=d_ptr,
        d_head=d_head,
        d_cost=d_cost,
        level=level,
        slot_ptr=_contract.level_slots(level),
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
    graph._cache["core"] = (key, core)
    return core


def _want_core(
    contract: bool | None,
    graph: CSRGraph,
    n_terminal_nodes: int,
    n_sources: int,
    sample: list[tuple[np.ndarray, np.ndarray]],
    bound: float,
) -> bool:
    """Whether to contract: forced by ``contract``, else when the expected number of settled nodes
    (sources x the mean reach of a few sample searches) is at least ``_CONTRACT_MIN_WORK`` x the
    nodes, and the query's own nodes are not most of the graph (they cannot be contracted)."""
    if contract is not None:
        return bool(contract)
    n = graph.n_nodes
    if n == 0 or n_sources == 0 or n_terminal_nodes > n // 2:
        return False
    if n_sources * n < _CONTRACT_MIN_WORK * n:  # even a search reaching everything is not enough
        return False
    if _contract_bytes(graph) > OPTIONS["max_memory_bytes"]:
        return False
    from . import _kernel

    arrays = _graph_arrays(graph)
    reach = []
    for nodes, costs in sample:
        found, _, _ = _kernel.distances(*arrays, nodes, costs, np.zeros(nodes.shape[0]), bound)
        reach.append(found.shape[0])
    work = n_sources * float(np.mean(reach)) if reach else 0.0
    return work >= _CONTRACT_MIN_WORK * n


# --------------------------------------------------------------------------------------------
# searches
# --------------------------------------------------------------------------------------------


def distances_from(
    graph: CSRGraph, *, seed_node: Any, seed_cost: Any = None, max_cost: float = math.inf
) -> tuple[np.ndarray, np.ndarray]:
    """One bounded multi-seed search: the nodes reached within ``max_cost`` and their costs.

    ``cost(v) = min over seeds s of seed_cost[s] + shortest(seed_node[s] -> v)``.

    Returns
    -------
    (nodes, cost)
        Node ids (ascending) with ``cost <= max_cost`` and their costs (minutes).

    Examples
    --------
    >>> g = csr_from_arcs(3, [0, 1], [1, 2], [1.5, 2.0])
    >>> nodes, cost = distances_from(g, seed_node=[0], seed_cost=[0.5], max_cost=3)
    >>> nodes.tolist(), cost.tolist()
    ([0, 1], [0.5, 2.0])
    """
    from . import _kernel

    seed_node = _nodes(seed_node, "seed_node", graph)
    seed_cost = _costs(seed_cost, "seed_cost", seed_node.shape[0])
    bound = _max_cost(max_cost)
    nodes, dist, _ = _kernel.distances(
        *_graph_arrays(graph), seed_node, seed_cost, np.zeros(seed_node.shape[0]), bound
    )
    order = np.argsort(nodes)
    return nodes[order], dist[order]


@dataclass
class _Prepared:
    src_ids: np.ndarray  # unique source ids (sorted)
    src_ptr: np.ndarray  # seed rows per source
    seed_node: np.ndarray
    seed_cost: np.ndarray
    seed_cost2: np.ndarray
    tgt_ids: np.ndarray  # unique target ids (sorted)
    att_ptr: np.ndarray  # attachment rows per node (n+1)
    att_tid: np.ndarray
    att_cost: np.ndarray
    att_cost2: np.ndarray
    is_target: np.ndarray
    n_target_nodes: int
    bound: float
    max_cost: float


def _prepare(
    graph: CSRGraph,
    source_id: Any,
    source_node: Any,
    source_cost: Any,
    target_id: Any,
    target_node: Any,
    target_cost: Any,
    max_cost: float,
    source_cost2: Any,
    target_cost2: Any,
) -> _Prepared:
    sid = _ids(source_id, "source_id")
    ms = sid.shape[0]
    snode = _nodes(source_node, "source_node", graph, ms)
    scost = _costs(source_cost, "source_cost", ms)
    scost2 = _costs(source_cost2, "source_cost2", ms)
    tid = _ids(target_id, "target_id")
    mt = tid.shape[0]
    tnode = _nodes(target_node, "target_node", graph, mt)
    tcost = _costs(target_cost, "target_cost", mt)
    tcost2 = _costs(target_cost2, "target_cost2", mt)
    max_cost = _max_cost(max_cost)

    order = np.argsort(sid, kind="stable")
    src_ids, counts = np.unique(sid[order], return_counts=True)
    src_ptr = np.zeros(src_ids.shape[0] + 1, np.int64)
    np.cumsum(counts, out=src_ptr[1:])

    tgt_ids, dense = np.unique(tid, return_inverse=True)
    torder = np.argsort(tnode, kind="stable")
    att_ptr = np.zeros(graph.n_nodes + 1, np.int64)
    np.cumsum(np.bincount(tnode, minlength=graph.n_nodes), out=att_ptr[1:])
    is_target = np.zeros(graph.n_nodes, np.bool_)
    is_target[tnode] = True
    # prune nodes that cannot give a pair within max_cost; the final test is exact, the bound is
    # loosened by a hair so float rounding of (max_cost - t) + t can never drop a pair
    bound = max_cost - (float(tcost.min()) if mt else 0.0)
    bound = bound + 1e-9 * max(abs(bound), 1.0)
    return _Prepared(
        src_ids=src_ids,
        src_ptr=src_ptr,
        seed_node=np.ascontiguousarray(snode[order]),
        seed_cost=np.ascontiguousarray(scost[order]),
        seed_cost2=np.ascontiguousarray(scost2[order]),
        tgt_ids=tgt_ids,
        att_ptr=att_ptr,
        att_tid=np.ascontiguousarray(dense[torder].astype(np.int64)),
        att_cost=np.ascontiguousarray(tcost[torder]),
        att_cost2=np.ascontiguousarray(tcost2[torder]),
        is_target=is_target,
        n_target_nodes=int(is_target.sum()),
        bound=bound,
        max_cost=max_cost,
    )


def _chunks(n_items: int, n_jobs: int, per_chunk: int | None) -> list[tuple[int, int]]:
    if n_items == 0:
        return []
    if per_chunk is None:
        per_chunk = max(1, min(256, math.ceil(n_items / (8 * n_jobs))))
    return [(i, min(i + per_chunk, n_items)) for i in range(0, n_items, per_chunk)]


def iter_many_to_many(
    graph: CSRGraph,
    *,
    source_id: Any,
    source_node: Any,
    source_cost: Any = None,
    target_id: Any,
    target_node: Any,
    target_cost: Any = None,
    max_cost: float = math.inf,
    source_cost2: Any = None,
    target_cost2: Any = None,
    n_jobs: int | None = None,
    sources_per_chunk: int | None = None,
    secondary: bool = True,
    contract: bool | None = None,
) -> Iterator[dict[str, np.ndarray]]:
    """Like :func:`many_to_many`, but yield the result in pieces (consecutive groups of sources).

    Use it to process results too large to hold at once (aggregate each piece, then drop it). The
    pieces, concatenated, equal :func:`many_to_many`'s result. No memory guard is applied here.
    """
    from . import _kernel

    p = _prepare(
        graph,
        source_id,
        source_node,
        source_cost,
        target_id,
        target_node,
        target_cost,
        max_cost,
        source_cost2,
        target_cost2,
    )
    n_jobs = resolve_n_jobs(n_jobs)
    n_src = p.src_ids.shape[0]
    chunks = _chunks(n_src, n_jobs, sources_per_chunk)
    arrays = _graph_arrays(graph)
    seed_node, att_ptr, is_target = p.seed_node, p.att_ptr, p.is_target
    if n_src:
        keep = p.is_target.copy()
        keep[p.seed_node] = True
        picks = np.unique(np.linspace(0, n_src - 1, min(3, n_src)).astype(np.int64))
        sample = [
            (
                p.seed_node[p.src_ptr[g] : p.src_ptr[g + 1]],
                p.seed_cost[p.src_ptr[g] : p.src_ptr[g + 1]],
            )
            for g in picks
        ]
        if _want_core(contract, graph, int(keep.sum()), n_src, sample, p.bound):
            core = _core(graph, keep, p.bound)
            arrays = core.arrays
            # every source and target node is in the core; attachments keep their order
            seed_node = core.core_of[p.seed_node]
            att_ptr = np.append(p.att_ptr[core.core_nodes], p.att_ptr[-1])
            is_target = np.ascontiguousarray(p.is_target[core.core_nodes])
    # carrying cost2 costs about a third of the search time; skip it when it is not wanted, or
    # when it is zero everywhere (then every cost2 is exactly 0)
    zero2 = not (graph.cost2.any() or p.seed_cost2.any() or p.att_cost2.any())
    with2 = bool(secondary) and not zero2
    fill2 = 0.0 if zero2 else math.nan

    def run(chunk: tuple[int, int]) -> tuple[np.ndarray, ...]:
        return _kernel.many_to_many_chunk(
            *arrays,
            p.src_ptr,
            seed_node,
            p.seed_cost,
            p.seed_cost2,
            chunk[0],
            chunk[1],
            att_ptr,
            p.att_tid,
            p.att_cost,
            p.att_cost2,
            is_target,
            p.n_target_nodes,
            p.tgt_ids.shape[0],
            p.bound,
            p.max_cost,
            with2,
        )

    def as_dict(res: tuple[np.ndarray, ...]) -> dict[str, np.ndarray]:
        g, t, c, c2 = res
        if not with2:
            c2 = np.full(c.shape[0], fill2)
        return {"source": p.src_ids[g], "target": p.tgt_ids[t], "cost": c, "cost2": c2}

    if not chunks:
        return
    if n_jobs == 1 or len(chunks) == 1:
        for chunk in progress(chunks, desc="routing", total=len(chunks)):
            yield as_dict(run(chunk))
        return
    with ThreadPoolExecutor(max_workers=n_jobs) as pool:
        try:
            results = pool.map(run, chunks)
            for res in progress(results, desc="routing", total=len(chunks)):
                yield as_dict(res)
        finally:
            pool.shutdown(wait=True, cancel_futures=True)


def _empty_pairs() -> dict[str, np.ndarray]:
    return {
        "source": np.zeros(0, np.int64),
        "target": np.zeros(0, np.int64),
        "cost": np.zeros(0, np.float64),
        "cost2": np.zeros(0, np.float64),
    }


def many_to_many(
    graph: CSRGraph,
    *,
    source_id: Any,
    source_node: Any,
    source_cost: Any = None,
    target_id: Any,
    target_node: Any,
    target_cost: Any = None,
    max_cost: float = math.inf,
    source_cost2: Any = None,
    target_cost2: Any = None,
    n_jobs: int | None = None,
    secondary: bool = True,
    contract: bool | None = None,
) -> dict[str, np.ndarray]:
    """Sparse cost table: best cost from every source to every target within ``max_cost``.

    ``cost(s, t) = min over seed rows i of s and attachment rows j of t of
    source_cost[i] + shortest(source_node[i] -> target_node[j]) + target_cost[j]``, and ``cost2`` is
    the secondary cost of that same best combination (``source_cost2[i] + path cost2 +
    target_cost2[j]``; among equal costs the smallest ``cost2``). One bounded multi-seed Dijkstra
    per source id, recording only target nodes, so memory grows with the pairs found.

    Parameters
    ----------
    graph
        The routing graph.
    source_id, source_node, source_cost, source_cost2
        One row per seed: the source's id (integer ``>= 0``; repeated for several seeds), the node,
        the cost to reach it from the source (minutes, default 0) and the secondary cost.
    target_id, target_node, target_cost, target_cost2
        One row per attachment of a target, the same way.
    max_cost
        Keep pairs with ``cost <= max_cost`` (``inf``: no limit).
    n_jobs
        Threads (default: the ``n_jobs`` option, all cores). The result does not depend on it.
    secondary
        Carry ``cost2`` along the paths (default). ``False`` makes the searches about 1.5x faster
        and returns ``cost2`` as NaN; ``cost`` is the same either way.
    contract
        Search a contracted graph keeping only the source and target nodes (see the module
        docstring): ``None`` (default) decides from the expected work, ``True``/``False`` force
        it. Costs agree either way to float rounding (~1e-13).

    Returns
    -------
    dict
        ``source``, ``target`` (ids), ``cost``, ``cost2`` arrays sorted by source then target.

    Raises
    ------
    MemoryEstimateError
        When the result grows beyond the ``max_memory_bytes`` option (the message states the
        estimate); use :func:`iter_many_to_many` or a smaller ``max_cost``.

    Examples
    --------
    >>> g = csr_from_arcs(3, [0, 1], [1, 2], [1.0, 2.0], cost2=[100.0, 200.0])
    >>> r = many_to_many(g, source_id=[7], source_node=[0], target_id=[1, 2], target_node=[1, 2],
    ...                  target_cost=[0.0, 0.5], max_cost=10)
    >>> r["target"].tolist(), r["cost"].tolist(), r["cost2"].tolist()
    ([1, 2], [1.0, 3.5], [100.0, 300.0])
    """
    n_src = len(np.unique(np.asarray(source_id)))
    n_tgt = len(np.unique(np.asarray(target_id)))
    n_jobs = resolve_n_jobs(n_jobs)
    limit = OPTIONS["max_memory_bytes"]
    scratch = SCRATCH_BYTES_PER_NODE * graph.n_nodes * n_jobs
    _check_memory(scratch, "routing scratch space", "use fewer threads (n_jobs)")
    worst = estimate_pairs_bytes(float(n_src) * float(n_tgt))
    parts: list[dict[str, np.ndarray]] = []
    held = 0
    done_sources = 0
    for part in iter_many_to_many(
        graph,
        source_id=source_id,
        source_node=source_node,
        source_cost=source_cost,
        target_id=target_id,
        target_node=target_node,
        target_cost=target_cost,
        max_cost=max_cost,
        source_cost2=source_cost2,
        target_cost2=target_cost2,
        n_jobs=n_jobs,
        secondary=secondary,
        contract=contract,
    ):
        parts.append(part)
        held += estimate_pairs_bytes(part["cost"].shape[0])
        done_sources += len(np.unique(part["source"])) if part["source"].size else 0
        # the final concatenation holds the pieces plus one column (a quarter) at a time
        if worst > limit and 1.25 * held + scratch > limit:
            frac = max(done_sources, 1) / max(n_src, 1)
            estimate = int(1.25 * held / frac) + scratch
            _check_memory(
                max(estimate, limit + 1),
                f"the cost table ({n_src} sources x {n_tgt} targets; "
                f"{held // PAIR_BYTES} pairs found so far)",
                "lower max_cost, route fewer sources at a time (iter_many_to_many)",
            )
    if not parts:
        return _empty_pairs()
    # one column at a time, dropping the pieces as we go: the peak is the pieces plus one column
    out = {}
    for key in list(parts[0]):
        out[key] = np.concatenate([p[key] for p in parts])
        for p in parts:
            del p[key]
    return out


def nearest_k(
    graph: CSRGraph,
    *,
    source_id: Any,
    source_node: Any,
    source_cost: Any = None,
    target_id: Any,
    target_node: Any,
    target_cost: Any = None,
    k: int = 1,
    max_cost: float = math.inf,
    source_cost2: Any = None,
    target_cost2: Any = None,
    secondary: bool = True,
) -> dict[str, np.ndarray]:
    """The ``k`` nearest distinct sources of every target, in one multi-source search.

    Costs are defined as in :func:`many_to_many`; every node keeps up to ``k`` labels from distinct
    sources (label-setting, in increasing ``(cost, cost2, source id)`` order), which is exact.
    ``k=1`` runs a dedicated kernel (one label per node: the classic multi-source Dijkstra).
    With ``k=1`` and ``secondary=False`` ``cost2`` is not carried (NaN, ties on cost go to the
    smaller source id), which is faster; for ``k > 1`` ``secondary`` is ignored.

    Returns
    -------
    dict
        ``target``, ``source``, ``cost``, ``cost2``, ``rank`` (0 = nearest), sorted by target then
        rank; targets with fewer than ``k`` sources within ``max_cost`` have fewer rows.

    Examples
    --------
    >>> g = csr_from_arcs(3, [0, 2], [1, 1], [1.0, 2.0])
    >>> r = nearest_k(g, source_id=[10, 20], source_node=[0, 2], target_id=[5], target_node=[1],
    ...               k=2)
    >>> r["source"].tolist(), r["cost"].tolist(), r["rank"].tolist()
    ([10, 20], [1.0, 2.0], [0, 1])
    """
    from . import _kernel

    k = int(k)
    if k < 1:
        raise InvalidValueError(f"k must be >= 1, got {k}")
    p = _prepare(
        graph,
        source_id,
        source_node,
        source_cost,
        target_id,
        target_node,
        target_cost,
        max_cost,
        source_cost2,
        target_cost2,
    )
    _check_memory(
        graph.n_nodes * k * 24 + graph.n_nodes * 8,
        f"k-nearest labels ({graph.n_nodes} nodes x k={k})",
        "use a smaller k",
    )
    seed_src = np.repeat(np.arange(p.src_ids.shape[0], dtype=np.int64), np.diff(p.src_ptr))
    if k == 1:
        zero2 = not (graph.cost2.any() or p.seed_cost2.any() or p.att_cost2.any())
        with2 = bool(secondary) and not zero2
        fill2 = 0.0 if zero2 else math.nan
        best_s, best_c, best_c2 = _kernel.nearest_one(
            *_graph_arrays(graph),
            seed_src,
            p.seed_node,
            p.seed_cost,
            p.seed_cost2,
            p.bound,
            p.is_target,
            p.n_target_nodes,
            p.att_ptr,
            p.att_tid,
            p.att_cost,
            p.att_cost2,
            p.tgt_ids.shape[0],
            p.max_cost,
            with2,
        )
        hit = np.flatnonzero(best_s >= 0)
        if not with2:
            best_c2 = np.full(best_c.shape[0], fill2)
        return {
            "target": p.tgt_ids[hit],
            "source": p.src_ids[best_s[hit]],
            "cost": best_c[hit],
            "cost2": best_c2[hit],
            "rank": np.zeros(hit.shape[0], np.int64),
        }
    lab_src, lab_d, lab_d2, lab_cnt = _kernel.nearest_k_labels(
        *_graph_arrays(graph),
        seed_src,
        p.seed_node,
        p.seed_cost,
        p.seed_cost2,
        k,
        p.bound,
        p.is_target,
        p.n_target_nodes,
    )
    # candidates: every attachment row x every label at its node
    att_node = np.repeat(np.arange(graph.n_nodes, dtype=np.int64), np.diff(p.att_ptr))
    cnt = lab_cnt[att_node]
    row = np.repeat(np.arange(att_node.shape[0]), cnt)
    first = np.repeat(np.cumsum(cnt) - cnt, cnt)
    lab = att_node[row] * k + (np.arange(row.shape[0]) - first)
    tid = p.att_tid[row]
    src = lab_src[lab]
    c = lab_d[lab] + p.att_cost[row]
    c2 = lab_d2[lab] + p.att_cost2[row]
    keep = c <= p.max_cost
    tid, src, c, c2 = tid[keep], src[keep], c[keep], c2[keep]
    # best per (target, source), then the k best per target
    o = np.lexsort((c2, c, src, tid))
    tid, src, c, c2 = tid[o], src[o], c[o], c2[o]
    first_of_pair = np.ones(tid.shape[0], bool)
    first_of_pair[1:] = (tid[1:] != tid[:-1]) | (src[1:] != src[:-1])
    tid, src, c, c2 = tid[first_of_pair], src[first_of_pair], c[first_of_pair], c2[first_of_pair]
    o = np.lexsort((src, c2, c, tid))
    tid, src, c, c2 = tid[o], src[o], c[o], c2[o]
    starts = np.flatnonzero(np.r_[True, tid[1:] != tid[:-1]]) if tid.size else np.zeros(0, int)
    rank = np.arange(tid.shape[0]) - np.repeat(starts, np.diff(np.r_[starts, tid.shape[0]]))
    keep = rank < k
    return {
        "target": p.tgt_ids[tid[keep]],
        "source": p.src_ids[src[keep]],
        "cost": c[keep],
        "cost2": c2[keep],
        "rank": rank[keep].astype(np.int64),
    }


def opportunities_within(
    graph: CSRGraph,
    *,
    source_node: Any,
    weight: Any,
    max_cost: float,
    n_jobs: int | None = None,
    contract: bool | None = None,
) -> np.ndarray:
    """Cumulative opportunities at every node: the weight of sources reachable within ``max_cost``.

    ``acc[v] = sum of weight[i] over sources i with shortest(source_node[i] -> v) <= max_cost``.
    To measure travel from nodes to facilities pass ``graph.reversed()``. The sum is done in a fixed
    number of partial sums, so the result does not depend on ``n_jobs``.

    With contraction (``contract``, see :func:`many_to_many`; the default decides from the
    expected work) each source is searched on the contracted core and the contracted nodes are
    filled in by a downward sweep shared by groups of up to 16 sources with consecutive node ids:
    on a spatially numbered graph (:func:`spatial_order`, as :mod:`accessibility.network` builds
    them) those are near each other and share most of the nodes they reach.

    Examples
    --------
    >>> g = csr_from_arcs(3, [0, 1], [1, 2], [1.0, 2.0])
    >>> opportunities_within(g, source_node=[0, 1], weight=[10.0, 1.0], max_cost=2).tolist()
    [10.0, 11.0, 1.0]
    """
    from . import _contract, _kernel

    src = _nodes(source_node, "source_node", graph)
    w = np.asarray(weight, dtype=np.float64)
    if w.shape != src.shape or not np.isfinite(w).all():
        raise InvalidValueError(f"weight must be finite with one value per source ({src.shape})")
    w = np.ascontiguousarray(w)
    bound = _max_cost(max_cost)
    n_jobs = resolve_n_jobs(n_jobs)
    n = graph.n_nodes
    m = src.shape[0]
    keep = np.zeros(n, np.bool_)
    keep[src] = True
    picks = np.unique(np.linspace(0, m - 1, min(3, m)).astype(np.int64)) if m else []
    sample = [(src[i : i + 1], np.zeros(1)) for i in picks]
    use_core = m > 0 and _want_core(contract, graph, int(keep.sum()), m, sample, bound)

    if use_core:
        group = _GROUP_SIZE
        n_groups = math.ceil(m / group)
        n_parts = min(_N_PARTIALS, n_groups)
        _check_memory(
            min(n_jobs, n_parts) * n * (8 * group + 32) + n_parts * n * 8,
            "opportunity sums",
            "use fewer threads",
        )
        core = _core(graph, keep, bound)
        # sources with consecutive core ids (= node order) are swept together
        by_node = np.argsort(src, kind="stable")
        s_core = np.ascontiguousarray(core.core_of[src[by_node]])
        w_sorted = np.ascontiguousarray(w[by_node])
        group_ptr = np.minimum(np.arange(n_groups + 1, dtype=np.int64) * group, m)
        bounds = np.linspace(0, n_groups, n_parts + 1).astype(np.int64)
        c_indptr, c_head, c_cost, _ = core.arrays

        def run(i: int) -> np.ndarray:
            return _contract.opportunities_group_chunk(
                c_indptr,
                c_head,
                c_cost,
                core.core_nodes,
                core.d_ptr,
                core.d_head,
                core.d_cost,
                core.level,
                core.slot_ptr,
                s_core,
                w_sorted,
                group_ptr,
                int(bounds[i]),
                int(bounds[i + 1]),
                bound,
            )

    else:
        n_parts = min(_N_PARTIALS, max(1, m))
        _check_memory(
            n_parts * n * 8 + min(n_jobs, n_parts) * n * SCRATCH_BYTES_PER_NODE,
            "opportunity sums",
            "use fewer threads",
        )
        bounds = np.linspace(0, m, n_parts + 1).astype(np.int64)
        arrays = _graph_arrays(graph)

        def run(i: int) -> np.ndarray:
            acc = np.zeros(n, np.float64)
            return _kernel.opportunities_chunk(
                arrays[0], arrays[1], arrays[2], src, w, int(bounds[i]), int(bounds[i + 1]), bound,
                acc,
            )  # fmt: skip

    if n_jobs == 1:
        partial = [run(i) for i in range(n_parts)]
    else:
        with ThreadPoolExecutor(max_workers=n_jobs) as pool:
            partial = list(pool.map(run, range(n_parts)))
    total = np.zeros(n, np.float64)
    for acc in partial:
        total += acc
    return total
