"""The ``k`` nearest distinct sources of every target, in one multi-source search.

Examples
--------
The examples build tiny graphs by hand:

>>> from accessibility.routing import csr_from_arcs
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from ..errors import InvalidValueError
from .checks import check_memory
from .graph import CSRGraph, kernel_arrays
from .labels import nearest_k_labels, nearest_one
from .query import Prepared, prepare

__all__ = ["nearest_k"]


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
    k = int(k)
    if k < 1:
        raise InvalidValueError(f"k must be >= 1, got {k}")
    sources = (source_id, source_node, source_cost, source_cost2)
    p = prepare(graph, sources, (target_id, target_node, target_cost, target_cost2), max_cost)
    # k = 1: labels (up to 20 bytes a node) and a queue pool of up to one entry per arc (24
    # bytes; the pages the search touches are far fewer: settled entries are reused)
    need = graph.n_nodes * 20 + graph.n_arcs * 24 if k == 1 else graph.n_nodes * (k * 24 + 8)
    check_memory(need, f"k-nearest labels ({graph.n_nodes} nodes x k={k})", "use a smaller k")
    if p.src_ids.shape[0] >= 2**31 - 1:
        raise InvalidValueError(f"at most 2**31 - 2 sources, got {p.src_ids.shape[0]}")
    seed_src = np.repeat(np.arange(p.src_ids.shape[0], dtype=np.int64), np.diff(p.src_ptr))
    seeds = (p.seed_node, p.seed_cost, p.seed_cost2)
    if k == 1:
        return _nearest_one(graph, p, seed_src, seeds, secondary)
    stop = (p.is_target, p.n_target_nodes)
    lab_src, lab_d, lab_d2, lab_cnt = nearest_k_labels(
        *kernel_arrays(graph), seed_src, *seeds, k, p.bound, *stop
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


def _nearest_one(
    graph: CSRGraph, p: Prepared, seed_src: np.ndarray, seeds: tuple, secondary: bool
) -> dict[str, np.ndarray]:
    """:func:`nearest_k` with ``k=1``: the dedicated one-label kernel."""
    zero2 = not (graph.cost2.any() or p.seed_cost2.any() or p.att_cost2.any())
    with2 = bool(secondary) and not zero2
    fill2 = 0.0 if zero2 else math.nan
    targets = (p.att_ptr, p.att_tid, p.att_cost, p.att_cost2, p.tgt_ids.shape[0])
    best_s, best_c, best_c2 = nearest_one(  # type: ignore[call-arg]  # numba's stubs: *args
        *kernel_arrays(graph), seed_src, *seeds, p.bound, p.is_target, p.n_target_nodes,
        *targets, p.max_cost, with2,
    )  # fmt: skip
    hit = np.flatnonzero(best_s >= 0)
    if hit.shape[0] == best_s.shape[0]:  # every target reached: no gathers of the kernel's arrays
        source, cost = best_s, best_c
    else:
        source, cost = best_s[hit], best_c[hit]
    return {
        "target": p.tgt_ids[hit],
        "source": p.src_ids[source],
        "cost": cost,
        "cost2": best_c2[hit] if with2 else np.full(hit.shape[0], fill2),
        "rank": np.zeros(hit.shape[0], np.int64),
    }
