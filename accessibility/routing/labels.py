"""Multi-source label-setting kernels (numba): the nearest ``k`` distinct sources of every node.

One search from all sources at once; every node keeps labels ``(cost, cost2, source)`` ordered
lexicographically, so ties on cost go to the smaller secondary cost, then to the smaller source
index, and results are deterministic. Both keep binary heaps of ``(cost, cost2, source)`` with
lazy deletion (:func:`nearest_k_labels` through :func:`_kpush`/:func:`_kpop`); see
:func:`nearest_one` for why its heap is stored as rows.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from .grow import resized


@njit(cache=True, nogil=True)
def _kpush(hd, hd2, hs, hn, size, d, d2, s, u):
    i = size
    while i > 0:
        p = (i - 1) >> 1
        pd = hd[p]
        if d < pd or (d == pd and (d2 < hd2[p] or (d2 == hd2[p] and s < hs[p]))):
            hd[i] = pd
            hd2[i] = hd2[p]
            hs[i] = hs[p]
            hn[i] = hn[p]
            i = p
        else:
            break
    hd[i] = d
    hd2[i] = d2
    hs[i] = s
    hn[i] = u


@njit(cache=True, nogil=True)
def _kpop(hd, hd2, hs, hn, size):
    """Remove the root of a heap of ``size`` entries (the caller read it before)."""
    size -= 1
    d = hd[size]
    d2 = hd2[size]
    s = hs[size]
    u = hn[size]
    i = 0
    while True:
        c = 2 * i + 1
        if c >= size:
            break
        r = c + 1
        if r < size:
            rd = hd[r]
            cd = hd[c]
            if rd < cd or (rd == cd and (hd2[r] < hd2[c] or (hd2[r] == hd2[c] and hs[r] < hs[c]))):
                c = r
        cd = hd[c]
        if cd < d or (cd == d and (hd2[c] < d2 or (hd2[c] == d2 and hs[c] < s))):
            hd[i] = cd
            hd2[i] = hd2[c]
            hs[i] = hs[c]
            hn[i] = hn[c]
            i = c
        else:
            break
    if size > 0:
        hd[i] = d
        hd2[i] = d2
        hs[i] = s
        hn[i] = u


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
    hd = np.empty(cap, np.float64)
    hd2 = np.empty(cap, np.float64)
    hs = np.empty(cap, np.int64)
    hn = np.empty(cap, np.int64)
    size = 0
    for r in range(seed_node.shape[0]):
        if seed_cost[r] > bound:
            continue
        _kpush(hd, hd2, hs, hn, size, seed_cost[r], seed_cost2[r], seed_src[r], seed_node[r])
        size += 1
    complete = 0
    while size > 0:
        d = hd[0]
        d2 = hd2[0]
        s = hs[0]
        u = hn[0]
        _kpop(hd, hd2, hs, hn, size)
        size -= 1
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
            if size == cap:
                cap *= 2
                hd = resized(hd, size, cap)
                hd2 = resized(hd2, size, cap)
                hs = resized(hs, size, cap)
                hn = resized(hn, size, cap)
            _kpush(hd, hd2, hs, hn, size, nd, d2 + cost2[a], s, v)
            size += 1
    return lab_src, lab_d, lab_d2, lab_cnt


@njit(cache=True, nogil=True)
def _less3(a0, a1, a2, b0, b1, b2):
    return a0 < b0 or (a0 == b0 and (a1 < b1 or (a1 == b1 and a2 < b2)))


@njit(cache=True, nogil=True)
def _grow_rows(heap, size, cap):
    """A ``(cap, 4)`` copy of the first ``size`` rows of ``heap``.

    An explicit loop, not ``tmp[:size] = heap[:size]``: numba's 2-D slice assignment compiles
    its shape-mismatch message (string formatting), about a second on a fresh install."""
    tmp = np.empty((cap, 4), np.float64)
    for i in range(size):
        for j in range(4):
            tmp[i, j] = heap[i, j]
    return tmp


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
    (so ties on cost go to the smaller cost2, then to the smaller source index), which is what
    :func:`nearest_k_labels` keeps with ``k = 1``. The heap holds rows ``(d, d2, source, node)``
    with lazy deletion. Targets then take the best of their attachment rows.

    Unlike the single-source searches this one keeps a binary heap of rows (array of
    structures): its heap holds the fronts of all sources at once (10^5 rows on a 1M-node graph),
    and there a 4-ary heap of separate arrays measured 1.3-1.6x slower (more cache lines per move).

    Without ``with2`` the secondary cost is not carried (ties on cost then go to the smaller
    source index) and ``cost2`` is NaN.

    Returns (best source index or -1, cost, cost2) per target index; pairs beyond ``max_cost``
    are -1.
    """
    n = indptr.shape[0] - 1
    # lab[u] = (d, d2, source, state): state 0 unreached, 1 reached, 2 settled
    lab = np.zeros((n, 4), np.float64)
    cap = max(1024, seed_node.shape[0] + 16, n // 16)
    heap = np.empty((cap, 4), np.float64)
    size = 0
    for r in range(seed_node.shape[0]):
        c = seed_cost[r]
        if c > bound:
            continue
        u = seed_node[r]
        c2 = seed_cost2[r] if with2 else 0.0
        s = float(seed_src[r])
        if lab[u, 3] == 1.0 and not _less3(c, c2, s, lab[u, 0], lab[u, 1], lab[u, 2]):
            continue
        lab[u, 0] = c
        lab[u, 1] = c2
        lab[u, 2] = s
        lab[u, 3] = 1.0
        if size == cap:
            cap *= 2
            heap = _grow_rows(heap, size, cap)
        i = size
        size += 1
        while i > 0:
            p = (i - 1) >> 1
            if _less3(c, c2, s, heap[p, 0], heap[p, 1], heap[p, 2]):
                heap[i, 0] = heap[p, 0]
                heap[i, 1] = heap[p, 1]
                heap[i, 2] = heap[p, 2]
                heap[i, 3] = heap[p, 3]
                i = p
            else:
                break
        heap[i, 0] = c
        heap[i, 1] = c2
        heap[i, 2] = s
        heap[i, 3] = u
    found = 0
    while size > 0:
        d = heap[0, 0]
        d2 = heap[0, 1]
        s = heap[0, 2]
        u = np.int64(heap[0, 3])
        size -= 1
        if size > 0:
            l0 = heap[size, 0]
            l1 = heap[size, 1]
            l2 = heap[size, 2]
            l3 = heap[size, 3]
            i = 0
            while True:
                c = 2 * i + 1
                if c >= size:
                    break
                r = c + 1
                if r < size and _less3(
                    heap[r, 0], heap[r, 1], heap[r, 2], heap[c, 0], heap[c, 1], heap[c, 2]
                ):
                    c = r
                if _less3(heap[c, 0], heap[c, 1], heap[c, 2], l0, l1, l2):
                    heap[i, 0] = heap[c, 0]
                    heap[i, 1] = heap[c, 1]
                    heap[i, 2] = heap[c, 2]
                    heap[i, 3] = heap[c, 3]
                    i = c
                else:
                    break
            heap[i, 0] = l0
            heap[i, 1] = l1
            heap[i, 2] = l2
            heap[i, 3] = l3
        if lab[u, 3] == 2.0:
            continue  # stale entry
        lab[u, 3] = 2.0
        if n_target_nodes > 0 and is_target[u]:
            found += 1
            if found == n_target_nodes:
                break
        for a in range(indptr[u], indptr[u + 1]):
            nd = d + cost[a]
            if nd > bound:
                continue
            v = head[a]
            sv = lab[v, 3]
            if sv == 2.0:
                continue
            nd2 = d2 + cost2[a] if with2 else 0.0
            if sv == 1.0 and not _less3(nd, nd2, s, lab[v, 0], lab[v, 1], lab[v, 2]):
                continue
            lab[v, 0] = nd
            lab[v, 1] = nd2
            lab[v, 2] = s
            lab[v, 3] = 1.0
            if size == cap:
                cap *= 2
                heap = _grow_rows(heap, size, cap)
            i = size
            size += 1
            while i > 0:
                p = (i - 1) >> 1
                if _less3(nd, nd2, s, heap[p, 0], heap[p, 1], heap[p, 2]):
                    heap[i, 0] = heap[p, 0]
                    heap[i, 1] = heap[p, 1]
                    heap[i, 2] = heap[p, 2]
                    heap[i, 3] = heap[p, 3]
                    i = p
                else:
                    break
            heap[i, 0] = nd
            heap[i, 1] = nd2
            heap[i, 2] = s
            heap[i, 3] = v
    best_s = np.full(n_tid, -1, np.int64)
    best_c = np.full(n_tid, np.inf)
    best_c2 = np.full(n_tid, np.inf)
    for u in range(n):
        if att_ptr[u] == att_ptr[u + 1] or lab[u, 3] != 2.0:
            continue
        d = lab[u, 0]
        d2 = lab[u, 1]
        s = lab[u, 2]
        for a in range(att_ptr[u], att_ptr[u + 1]):
            c = d + att_cost[a]
            if c > max_cost:
                continue
            c2 = d2 + att_cost2[a] if with2 else 0.0
            t = att_tid[a]
            if best_s[t] < 0 or _less3(c, c2, s, best_c[t], best_c2[t], float(best_s[t])):
                best_s[t] = np.int64(s)
                best_c[t] = c
                best_c2[t] = c2
    return best_s, best_c, best_c2
