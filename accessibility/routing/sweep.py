"""The contracted opportunity sweep (numba): searches on the core, then a downward sweep.

For :func:`accessibility.routing.opportunities_within` on a contracted graph
(:mod:`accessibility.routing.contract`): each source is searched on the core, and the contracted
nodes are filled in by a downward sweep over the down arcs, level by level (no priority queue),
shared by a group of nearby sources.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from .search import bounded_search, buffers


@njit(cache=True, nogil=True)
def opportunities_group_chunk(
    c_indptr,
    c_head,
    c_cost,
    core_nodes,
    d_ptr,
    d_head,
    d_cost,
    level,
    slot_ptr,
    src_core,
    weight,
    group_ptr,
    g0,
    g1,
    bound,
):
    """Sum ``weight[i]`` at every node within ``bound`` of source ``i`` (core id ``src_core[i]``),
    for the groups of sources ``g0:g1`` (group ``g`` is rows ``group_ptr[g]:group_ptr[g + 1]``);
    returns the sums, one per node of the original graph.

    Each source of a group gets its own bounded search on the core; the downward sweep then visits
    the union of their balls once, carrying one cost per source (a row of ``D``), so the per-node
    work of the sweep -- the part that dominates -- is shared by the group. Sources close to each
    other (consecutive node ids on a spatially numbered graph) share most of their balls.
    """
    n = level.shape[0]
    nc = c_indptr.shape[0] - 1
    dist, stamp, hk, hk2, hv, settled = buffers(nc, c_head, np.bool_(False))
    n_levels = slot_ptr.shape[0] - 1
    kmax = 1
    for g in range(g0, g1):
        kmax = max(kmax, group_ptr[g + 1] - group_ptr[g])
    D = np.empty((n, kmax), np.float64)
    xstamp = np.zeros(n, np.int64)
    acc = np.zeros(n, np.float64)
    top = np.empty(n_levels, np.int64)
    stack = np.empty(max(n, 1), np.int64)
    wk = np.empty(kmax, np.float64)
    zero = np.zeros(src_core.shape[0], np.float64)
    no_targets = np.zeros(1, np.bool_)
    run = 0
    inf = np.inf
    for g in range(g0, g1):
        s0 = group_ptr[g]
        K = group_ptr[g + 1] - s0
        gen = g + 1
        for lv in range(n_levels):
            top[lv] = slot_ptr[lv]
        for k in range(K):
            wk[k] = weight[s0 + k]
            nset, run, hk, hk2, hv = bounded_search(
                c_indptr, c_head, c_cost, c_cost, src_core, zero, zero, s0 + k, s0 + k + 1,
                bound, no_targets, np.int64(0), np.bool_(False), dist, stamp, run + 1, hk, hk2, hv,
                settled,
            )  # fmt: skip
            for j in range(nset):
                cu = settled[j]
                u = core_nodes[cu]
                if xstamp[u] != gen:
                    xstamp[u] = gen
                    for q in range(K):
                        D[u, q] = inf
                    stack[top[0]] = u
                    top[0] += 1
                D[u, k] = dist[cu, 0]
        for lv in range(n_levels):
            p = slot_ptr[lv]
            while p < top[lv]:
                x = stack[p]
                p += 1
                s = 0.0
                xmin = inf
                for k in range(K):
                    d = D[x, k]
                    if d <= bound and d < inf:
                        s += wk[k]
                    xmin = min(xmin, d)
                acc[x] += s
                for a in range(d_ptr[x], d_ptr[x + 1]):
                    c = d_cost[a]
                    if xmin + c > bound:
                        continue
                    y = d_head[a]
                    if xstamp[y] != gen:
                        xstamp[y] = gen
                        for k in range(K):
                            D[y, k] = D[x, k] + c
                        ly = -level[y]
                        stack[top[ly]] = y
                        top[ly] += 1
                    else:
                        for k in range(K):
                            D[y, k] = min(D[y, k], D[x, k] + c)
    return acc
