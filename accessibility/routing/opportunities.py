"""Cumulative opportunities at every node: the weight of the sources within a cost bound.

Examples
--------
The examples build tiny graphs by hand:

>>> from accessibility.routing import csr_from_arcs
"""

from __future__ import annotations

import math
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import numpy as np

from ..errors import InvalidValueError
from ..options import resolve_n_jobs
from .checks import SCRATCH_BYTES_PER_NODE, check_max_cost, check_memory, check_nodes
from .core import contracted_core, want_core
from .graph import CSRGraph, kernel_arrays
from .search import opportunities_chunk
from .sweep import opportunities_group_chunk

__all__ = ["opportunities_within"]

#: number of partial sums (fixed, so results do not depend on the number of threads)
N_PARTIALS = 8
#: sources swept together on a contracted graph (most)
GROUP_SIZE = 16


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
    src = check_nodes(source_node, "source_node", graph)
    w = np.asarray(weight, dtype=np.float64)
    if w.shape != src.shape or not np.isfinite(w).all():
        raise InvalidValueError(f"weight must be finite with one value per source ({src.shape})")
    w = np.ascontiguousarray(w)
    bound = check_max_cost(max_cost)
    n_jobs = resolve_n_jobs(n_jobs)
    n = graph.n_nodes
    m = src.shape[0]
    keep = np.zeros(n, np.bool_)
    keep[src] = True
    picks: list[int] = (
        np.unique(np.linspace(0, m - 1, min(3, m)).astype(np.int64)).tolist() if m else []
    )
    sample = [(src[i : i + 1], np.zeros(1)) for i in picks]
    use_core = m > 0 and want_core(contract, graph, int(keep.sum()), m, sample, bound)

    if use_core:
        group = GROUP_SIZE
        n_groups = math.ceil(m / group)
        n_parts = min(N_PARTIALS, n_groups)
        check_memory(
            min(n_jobs, n_parts) * n * (8 * group + 32) + n_parts * n * 8,
            "opportunity sums",
            "use fewer threads",
        )
        core = contracted_core(graph, keep, bound, witness_hops=0)  # see CONTRACT_WITNESS_JUNCTIONS
        sweep = core.sweep()
        # sources with consecutive core ids (= node order) are swept together
        by_node = np.argsort(src, kind="stable")
        s_core = np.ascontiguousarray(core.core_of[src[by_node]])
        w_sorted = np.ascontiguousarray(w[by_node])
        group_ptr = np.minimum(np.arange(n_groups + 1, dtype=np.int64) * group, m)
        bounds = np.linspace(0, n_groups, n_parts + 1).astype(np.int64)
        c_indptr, c_head, c_cost, _ = core.arrays

        def run(i: int) -> np.ndarray:
            return opportunities_group_chunk(
                c_indptr,
                c_head,
                c_cost,
                core.core_nodes,
                sweep.d_ptr,
                sweep.d_head,
                sweep.d_cost,
                sweep.level,
                sweep.slot_ptr,
                s_core,
                w_sorted,
                group_ptr,
                int(bounds[i]),
                int(bounds[i + 1]),
                bound,
            )

    else:
        n_parts = min(N_PARTIALS, max(1, m))
        check_memory(
            n_parts * n * 8 + min(n_jobs, n_parts) * n * SCRATCH_BYTES_PER_NODE,
            "opportunity sums",
            "use fewer threads",
        )
        bounds = np.linspace(0, m, n_parts + 1).astype(np.int64)
        arrays = kernel_arrays(graph)

        def run(i: int) -> np.ndarray:
            acc = np.zeros(n, np.float64)
            return opportunities_chunk(
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
