"""Multi-source label-setting kernels (numba): the nearest ``k`` distinct sources of every node.

One search from all sources at once; every node keeps labels ``(cost, cost2, source)`` ordered
lexicographically, so ties on cost go to the smaller secondary cost, then to the smaller source
index, and results are deterministic. Both take their heap from :mod:`.heap` (4-ary, lazy
deletion): :func:`nearest_k_labels` orders it on ``(cost, cost2, source * n + node)``,
:func:`nearest_one` on the cost alone, settling ties by correction (see there).
"""

from __future__ import annotations

import numpy as np
from numba import njit

from .grow import grow, resized
from .heap import pop, pop2, push, push2


@njit(cache=True, nogil=True)
def nearest_k_labels(
    indptr,
    head,
    cost,
    cost2,
    seed_src,
    seed_node,
    seed_cost,
    seed_cost2,
    k,
    bound,
    is_target,
    n_target_nodes,
):
    """Multi-source label-setting search keeping up to ``k`` labels of distinct sources per node.

    Returns (lab_src, lab_d, lab_d2, lab_cnt): node ``u`` has ``lab_cnt[u]`` labels in rows
    ``u*k : u*k+lab_cnt[u]``, in increasing (cost, cost2, source) order.
    """
    n = indptr.shape[0] - 1
    lab_src = np.empty(n * k, np.int64)
    lab_d = np.empty(n * k, np.float64)
    lab_d2 = np.empty(n * k, np.float64)
    lab_cnt = np.zeros(n, np.int64)
    cap = max(1024, seed_node.shape[0] + 16)
    hk = np.empty(cap, np.float64)
    hk2 = np.empty(cap, np.float64)
    hv = np.empty(cap, np.int64)  # source * n + node: ties on (cost, cost2) go to the source
    size = 0
    for r in range(seed_node.shape[0]):
        if seed_cost[r] > bound:
            continue
        if size == hk.shape[0]:
            hk, hk2, hv = grow(hk), grow(hk2), grow(hv)
        size = push2(hk, hk2, hv, size, seed_cost[r], seed_cost2[r], seed_src[r] * n + seed_node[r])
    complete = 0
    while size > 0:
        d = hk[0]
        d2 = hk2[0]
        s = hv[0] // n
        u = hv[0] - s * n
        size = pop2(hk, hk2, hv, size)
        c = lab_cnt[u]
        if c >= k:
            continue
        base = u * k
        dup = False
        for j in range(base, base + c):
            if lab_src[j] == s:
                dup = True
                break
        if dup:
            continue
        lab_src[base + c] = s
        lab_d[base + c] = d
        lab_d2[base + c] = d2
        lab_cnt[u] = c + 1
        if c + 1 == k and n_target_nodes > 0 and is_target[u]:
            complete += 1
            if complete == n_target_nodes:
                break
        for a in range(indptr[u], indptr[u + 1]):
            v = head[a]
            cv = lab_cnt[v]
            if cv >= k:
                continue
            nd = d + cost[a]
            if nd > bound:
                continue
            vb = v * k
            dup = False
            for j in range(vb, vb + cv):
                if lab_src[j] == s:
                    dup = True
                    break
            if dup:
                continue
            if size == hk.shape[0]:
                hk, hk2, hv = grow(hk), grow(hk2), grow(hv)
            size = push2(hk, hk2, hv, size, nd, d2 + cost2[a], s * n + v)
    return lab_src, lab_d, lab_d2, lab_cnt


@njit(cache=True, nogil=True)
def _less3(a0, a1, a2, b0, b1, b2):
    return a0 < b0 or (a0 == b0 and (a1 < b1 or (a1 == b1 and a2 < b2)))


@njit(cache=True, nogil=True)
def nearest_one(
    indptr,
    head,
    cost,
    cost2,
    seed_src,
    seed_node,
    seed_cost,
    seed_cost2,
    bound,
    is_target,
    n_target_nodes,
    att_ptr,
    att_tid,
    att_cost,
    att_cost2,
    n_tid,
    max_cost,
    with2,
):
    """Nearest source of every target id by one multi-source Dijkstra (k = 1).

    Every node keeps one label ``(cost, cost2, source)``, the lexicographic minimum over sources
    (ties on cost go to the smaller cost2, then to the smaller source index), which is what
    :func:`nearest_k_labels` keeps with ``k = 1``. Without ``with2`` the secondary cost is not
    carried (ties on cost go to the smaller source index) and ``cost2`` comes back as zeros.

    The heap (:mod:`.heap`) is ordered on the cost alone and holds nodes, with lazy deletion (an
    entry is stale when its cost is no longer its node's label). Ties on cost are settled by
    correction: a node whose label improves at an equal cost (smaller cost2 or source) is pushed
    again and relaxes its arcs again. Labels only decrease, so this ends at the labels a heap
    ordered on the whole label gives, and ties are rare enough to cost nothing measurable. A
    settled node's source index is stored as ``-2 - source`` (no separate state array). The
    heap holds at most one entry per arc and seed, so it is allocated once at that size (growing
    it on every push measured 10-20 % slower); a tie correction that relaxes a settled node's arcs
    again makes room for them (possible with zero-cost arcs). The early stop (every target node settled)
    first drains the entries of the last cost, which may still correct a tie.

    Returns (best source index or -1, cost, cost2) per target index; pairs beyond ``max_cost``
    are -1.
    """
    n = indptr.shape[0] - 1
    lab_d = np.full(n, np.inf)
    lab_d2 = np.zeros(n if with2 else 1)
    # the source index of u's label; -1: unreached; once u is settled, -2 - source (so the mark
    # costs no array of its own, nor a second random access per settled node)
    lab_s = np.full(n, -1, np.int32)  # (the caller checks the source indices fit)
    pushes_cap = head.shape[0] + seed_node.shape[0] + 1  # one push per seed and relaxed arc
    hk = np.empty(pushes_cap, np.float64)
    hv = np.empty(pushes_cap, head.dtype)
    extra = 0  # arcs relaxed again by tie corrections
    size = 0
    for r in range(seed_node.shape[0]):
        c = seed_cost[r]
        u = seed_node[r]
        c2 = seed_cost2[r] if with2 else 0.0
        s = seed_src[r]
        su = np.int64(lab_s[u])  # one type for _less3: one compiled version
        if c > bound or not _less3(c, c2, s, lab_d[u], lab_d2[u] if with2 else 0.0, su):
            continue
        lab_d[u] = c
        if with2:
            lab_d2[u] = c2
        lab_s[u] = s
        size = push(hk, hv, size, c, u)
    found = 0
    last = np.inf  # after the early stop: drain the entries of this cost
    while size > 0:
        d = hk[0]
        u = hv[0]
        if d > last:
            break
        size = pop(hk, hv, size)
        if d != lab_d[u]:
            continue  # stale: u has a smaller cost
        s = lab_s[u]
        if s < -1:
            s = -2 - s  # settled before: a tie corrected, relax again
            # every push follows a relaxed arc: room for the arcs relaxed once more (the check
            # lives here, on the rare path, not on every push)
            extra += indptr[u + 1] - indptr[u]
            if pushes_cap + extra > hk.shape[0]:
                hk = resized(hk, size, 2 * (pushes_cap + extra))
                hv = resized(hv, size, hk.shape[0])
        else:
            lab_s[u] = -2 - s
            if n_target_nodes > 0 and is_target[u]:
                found += 1
                if found == n_target_nodes:
                    last = d
        d2 = lab_d2[u] if with2 else 0.0
        for a in range(indptr[u], indptr[u + 1]):
            nd = d + cost[a]
            if nd > bound:
                continue
            v = head[a]
            dv = lab_d[v]
            if nd > dv:
                continue
            nd2 = d2 + cost2[a] if with2 else 0.0
            settled = False
            if nd == dv:  # a tie on cost: the smaller (cost2, source) wins
                sv = lab_s[v]
                settled = sv < -1
                if settled:
                    sv = -2 - sv
                w2 = lab_d2[v] if with2 else 0.0
                if not (nd2 < w2 or (nd2 == w2 and s < sv)):
                    continue
            lab_d[v] = nd
            if with2:
                lab_d2[v] = nd2
            lab_s[v] = -2 - s if settled else s
            size = push(hk, hv, size, nd, v)
    return _best_per_target(
        lab_d, lab_d2, lab_s, att_ptr, att_tid, att_cost, att_cost2, n_tid, max_cost, with2
    )


@njit(cache=True, nogil=True)
def _best_per_target(
    lab_d, lab_d2, lab_s, att_ptr, att_tid, att_cost, att_cost2, n_tid, max_cost, with2
):
    """The best label over the attachment rows of every target index (see :func:`nearest_one`)."""
    best_s = np.full(n_tid, -1, np.int64)
    best_c = np.full(n_tid, np.inf)
    best_c2 = np.zeros(n_tid)
    for u in range(lab_d.shape[0]):
        s = -2 - lab_s[u]  # settled nodes only (see nearest_one)
        if s < 0 or att_ptr[u] == att_ptr[u + 1]:
            continue
        d = lab_d[u]
        d2 = lab_d2[u] if with2 else 0.0
        for a in range(att_ptr[u], att_ptr[u + 1]):
            c = d + att_cost[a]
            if c > max_cost:
                continue
            c2 = d2 + att_cost2[a] if with2 else 0.0
            t = att_tid[a]
            if best_s[t] < 0 or _less3(c, c2, s, best_c[t], best_c2[t], best_s[t]):
                best_s[t] = s
                best_c[t] = c
                best_c2[t] = c2
    return best_s, best_c, best_c2
