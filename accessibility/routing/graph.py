"""The routing graph: :class:`CSRGraph` (compressed sparse rows), how to build and renumber it,
and the arrays the compiled kernels read."""

from __future__ import annotations

from collections.abc import Callable, Hashable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numba import njit

from ..errors import InvalidValueError, NetworkError

__all__ = ["CSRGraph", "csr_from_arcs", "kernel_arrays", "permute_graph", "spatial_order"]


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

    def cached(self, key: str, build: Callable[[], Any], *, version: Hashable = None) -> Any:
        """The value kept under ``key``, made by ``build()`` when missing or kept for another
        ``version`` (which it then replaces: one value per key).

        Derived data (the reversed graph, the kernels' arrays, a contracted core) is kept with
        the graph it was derived from, so it lives and dies with it.
        """
        hit = self._cache.get(key)
        if hit is not None and hit[0] == version:
            return hit[1]
        value = build()
        self._cache[key] = (version, value)
        return value

    @property
    def n_arcs(self) -> int:
        """Number of arcs."""
        return int(self.head.shape[0])

    def tails(self) -> np.ndarray:
        """Tail node of every arc (int64, aligned to ``head``)."""
        return np.repeat(np.arange(self.n_nodes, dtype=np.int64), np.diff(self.indptr))

    def reversed(self) -> CSRGraph:
        """The same graph with every arc flipped (cached): searches on it measure node -> source."""
        return self.cached("reversed", self._build_reversed)

    def _build_reversed(self) -> CSRGraph:
        rev = csr_from_arcs(
            self.n_nodes, self.head, self.tails(), self.cost, self.cost2, self.arc_edge
        )
        rev._cache["reversed"] = (None, self)
        return rev


#: from this many arcs on, :func:`csr_from_arcs` orders arcs by a counting sort (2.9M arcs: 0.17
#: -> 0.03 s); below, by numpy's stable sort (the gain is a few milliseconds, less than compiling
#: the kernel on a fresh install, about a second)
_COUNTING_SORT_ARCS = 1 << 20


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
    if m >= _COUNTING_SORT_ARCS:
        from .order import counting_order  # (its small kernel compiles only for large graphs)

        order = counting_order(tail, n_nodes)  # the same stable order, in linear time
    else:
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
    return np.argsort(_hilbert_index(xi, yi, bits), kind="stable")


@njit(cache=True, nogil=True)
def _hilbert_index(xi, yi, bits):
    """Position of every cell ``(xi, yi)`` (``0 <= xi, yi < 2**bits``) along a Hilbert curve."""
    side = (1 << bits) - 1
    d = np.zeros(xi.shape[0], np.int64)
    for i in range(xi.shape[0]):
        x = xi[i]
        y = yi[i]
        s = 1 << (bits - 1)
        while s > 0:
            rx = 1 if x & s else 0
            ry = 1 if y & s else 0
            d[i] += s * s * ((3 * rx) ^ ry)
            if ry == 0:  # rotate the quadrant
                if rx == 1:
                    x = side - x
                    y = side - y
                x, y = y, x
            s >>= 1
    return d


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


def kernel_arrays(graph: CSRGraph) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The arrays the kernels read (cached): ``indptr`` and ``head`` as int32 when they fit,
    which halves the index traffic of a search."""
    return graph.cached("packed", lambda: _packed(graph))


def _packed(graph: CSRGraph) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    small = max(graph.n_nodes, graph.n_arcs) < 2**31 - 1
    dtype = np.int32 if small else np.int64
    return (
        np.ascontiguousarray(graph.indptr, dtype=dtype),
        np.ascontiguousarray(graph.head, dtype=dtype),
        graph.cost,
        graph.cost2,
    )
