"""Compiled shortest-path kernels (numba) behind :mod:`accessibility.routing`.

Everything here works on plain int64 / float64 arrays of a CSR graph; nothing is geographic.
The functions are compiled lazily on first call and cached on disk (``cache=True``); they release
the GIL (``nogil=True``) so :mod:`accessibility.routing` can run them on several threads at once.

Ordering of labels is lexicographic on ``(cost, cost2)`` (and the source index in the k-nearest
search), so ties on the primary cost are broken by the secondary cost and results are deterministic.

Per-search scratch arrays are reused between searches: a node's state is a "generation stamp"
(``2 * run`` reached, ``2 * run + 1`` settled, anything smaller unreached), so nothing n-sized is
cleared between searches. A node's cost, secondary cost and state sit side by side in one row of
``node`` (one cache line per node visit); the heap stores (cost, cost2, node) rows and uses lazy
deletion (no position array to keep up to date).
"""

from __future__ import annotations

import numpy as np
from numba import njit

_JIT = {"cache": True, "nogil": True}


# --------------------------------------------------------------------------------------------
# binary heap with lazy deletion; one row (d, d2, node) per entry so a level is one cache access
# --------------------------------------------------------------------------------------------


@njit(**_JIT)
def _push(heap, size, d, d2, u):
    """Push (d, d2, u) on a heap of ``size`` rows (capacity checked by the caller)."""
    i = size
    while i > 0:
        p = (i - 1) >> 1
        pd = heap[p, 0]
        if d < pd or (d == pd and d2 < heap[p, 1]):
            heap[i, 0] = pd
            heap[i, 1] = heap[p, 1]
            heap[i, 2] = heap[p, 2]
            i = p
        else:
            break
    heap[i, 0] = d
    heap[i, 1] = d2
    heap[i, 2] = u


@njit(**_JIT)
def _grow(heap):
    new = np.empty((2 * heap.shape[0], 3), np.float64)
    new[: heap.shape[0]] = heap
    return new


@njit(**_JIT)
def _search(
    indptr,
    head,
    cost,
    cost2,
    seed_node,
    seed_cost,
    seed_cost2,
    s0,
    s1,
    bound,
    is_target,
    n_target_nodes,
    node,
    run,
    heap,
    settled,
):
    """Bounded multi-seed Dijkstra; returns the number of settled nodes, or -1 if ``heap`` is full.

    Seeds are rows ``s0:s1`` of the seed arrays. Nodes with cost ``> bound`` are not settled. When
    ``n_target_nodes > 0`` the search stops once that many nodes flagged in ``is_target`` settled.
    ``node[u] = (cost, cost2, state)``: state ``2*run`` reached, ``2*run + 1`` settled, anything
    smaller unreached (so the array is never cleared). Settled nodes are listed in ``settled``.
    On -1 the caller grows the heap and runs the search again with a new ``run``.
    """
    reached = 2.0 * run
    done = reached + 1.0
    cap = heap.shape[0]
    size = 0
    for s in range(s0, s1):
        u = seed_node[s]
        c = seed_cost[s]
        c2 = seed_cost2[s]
        if c > bound:
            continue
        if node[u, 2] == reached and not (c < node[u, 0] or (c == node[u, 0] and c2 < node[u, 1])):
            continue
        node[u, 0] = c
        node[u, 1] = c2
        node[u, 2] = reached
        if size == cap:
            return -1
        _push(heap, size, c, c2, u)
        size += 1
    nset = 0
    found = 0
    while size > 0:
        d = heap[0, 0]
        d2 = heap[0, 1]
        u = np.int64(heap[0, 2])
        # pop: sift the last row down from the root
        size -= 1
        if size > 0:
            ld = heap[size, 0]
            ld2 = heap[size, 1]
            lu = heap[size, 2]
            i = 0
            while True:
                c = 2 * i + 1
                if c >= size:
                    break
                cd = heap[c, 0]
                cd2 = heap[c, 1]
                r = c + 1
                if r < size:
                    rd = heap[r, 0]
                    if rd < cd or (rd == cd and heap[r, 1] < cd2):
                        c = r
                        cd = rd
                        cd2 = heap[r, 1]
                if cd < ld or (cd == ld and cd2 < ld2):
                    heap[i, 0] = cd
                    heap[i, 1] = cd2
                    heap[i, 2] = heap[c, 2]
                    i = c
                else:
                    break
            heap[i, 0] = ld
            heap[i, 1] = ld2
            heap[i, 2] = lu
        if node[u, 2] == done:
            continue  # a stale entry: u was settled by a better one
        node[u, 2] = done
        settled[nset] = u
        nset += 1
        if n_target_nodes > 0 and is_target[u]:
            found += 1
            if found == n_target_nodes:
                break
        for a in range(indptr[u], indptr[u + 1]):
            nd = d + cost[a]
            if nd > bound:
                continue
            v = head[a]
            sv = node[v, 2]
            if sv == done:
                continue
            nd2 = d2 + cost2[a]
            if sv == reached:
                dv = node[v, 0]
                if nd > dv or (nd == dv and nd2 >= node[v, 1]):
                    continue
            node[v, 0] = nd
            node[v, 1] = nd2
            node[v, 2] = reached
            if size == cap:
                return -1
            # push: sift up from the end
            i = size
            size += 1
            while i > 0:
                p = (i - 1) >> 1
                pd = heap[p, 0]
                if nd < pd or (nd == pd and nd2 < heap[p, 1]):
                    heap[i, 0] = pd
                    heap[i, 1] = heap[p, 1]
                    heap[i, 2] = heap[p, 2]
                    i = p
                else:
                    break
            heap[i, 0] = nd
            heap[i, 1] = nd2
            heap[i, 2] = v
    return nset


@njit(**_JIT)
def _run(
    indptr,
    head,
    cost,
    cost2,
    seed_node,
    seed_cost,
    seed_cost2,
    s0,
    s1,
    bound,
    is_target,
    n_target_nodes,
    node,
    run,
    heap,
    settled,
):
    """:func:`_search`, growing the heap and repeating when it overflows.

    Returns (number settled, the run stamp used, the heap, possibly grown).
    """
    while True:
        nset = _search(
            indptr,
            head,
            cost,
            cost2,
            seed_node,
            seed_cost,
            seed_cost2,
            s0,
            s1,
            bound,
            is_target,
            n_target_nodes,
            node,
            run,
            heap,
            settled,
        )
        if nset >= 0:
            return nset, run, heap
        heap = _grow(heap)
        run += 1


@njit(**_JIT)
def _buffers(n):
    node = np.zeros((n, 3), np.float64)
    heap = np.empty((max(1024, n // 8), 3), np.float64)
    settled = np.empty(n, np.int64)
    return node, heap, settled


@njit(**_JIT)
def distances(indptr, head, cost, cost2, seed_node, seed_cost, seed_cost2, bound):
    """One bounded multi-seed search: (settled nodes, cost, cost2) in settling order."""
    n = indptr.shape[0] - 1
    node, heap, settled = _buffers(n)
    is_target = np.zeros(1, np.bool_)
    nset, _, heap = _run(
        indptr,
        head,
        cost,
        cost2,
        seed_node,
        seed_cost,
        seed_cost2,
        0,
        seed_node.shape[0],
        bound,
        is_target,
        0,
        node,
        1,
        heap,
        settled,
    )
    nodes = settled[:nset].copy()
    return nodes, node[nodes, 0], node[nodes, 1]


@njit(**_JIT)
def many_to_many_chunk(
    indptr,
    head,
    cost,
    cost2,
    src_ptr,
    seed_node,
    seed_cost,
    seed_cost2,
    g0,
    g1,
    att_ptr,
    att_tid,
    att_cost,
    att_cost2,
    is_target,
    n_target_nodes,
    n_tid,
    bound,
    max_cost,
):
    """Sources ``g0:g1`` (seed rows ``src_ptr[g]:src_ptr[g+1]``) to every target id.

    Returns (source index, target index, cost, cost2), sorted by source then target index, only
    pairs with cost ``<= max_cost``.
    """
    n = indptr.shape[0] - 1
    node, heap, settled = _buffers(n)
    best_c = np.empty(n_tid, np.float64)
    best_c2 = np.empty(n_tid, np.float64)
    stamp = np.full(n_tid, -1, np.int64)
    touched = np.empty(n_tid, np.int64)
    cap = 1024
    out_g = np.empty(cap, np.int64)
    out_t = np.empty(cap, np.int64)
    out_c = np.empty(cap, np.float64)
    out_c2 = np.empty(cap, np.float64)
    cnt = 0
    run = 0
    for g in range(g0, g1):
        nset, run, heap = _run(
            indptr,
            head,
            cost,
            cost2,
            seed_node,
            seed_cost,
            seed_cost2,
            src_ptr[g],
            src_ptr[g + 1],
            bound,
            is_target,
            n_target_nodes,
            node,
            run + 1,
            heap,
            settled,
        )
        nt = 0
        for j in range(nset):
            u = settled[j]
            if not is_target[u]:
                continue
            d = node[u, 0]
            d2 = node[u, 1]
            for a in range(att_ptr[u], att_ptr[u + 1]):
                c = d + att_cost[a]
                if c > max_cost:
                    continue
                c2 = d2 + att_cost2[a]
                t = att_tid[a]
                if stamp[t] != g:
                    stamp[t] = g
                    best_c[t] = c
                    best_c2[t] = c2
                    touched[nt] = t
                    nt += 1
                elif c < best_c[t] or (c == best_c[t] and c2 < best_c2[t]):
                    best_c[t] = c
                    best_c2[t] = c2
        if cnt + nt > cap:
            while cnt + nt > cap:
                cap *= 2
            tmp_g = np.empty(cap, np.int64)
            tmp_g[:cnt] = out_g[:cnt]
            out_g = tmp_g
            tmp_t = np.empty(cap, np.int64)
            tmp_t[:cnt] = out_t[:cnt]
            out_t = tmp_t
            tmp_c = np.empty(cap, np.float64)
            tmp_c[:cnt] = out_c[:cnt]
            out_c = tmp_c
            tmp_c2 = np.empty(cap, np.float64)
            tmp_c2[:cnt] = out_c2[:cnt]
            out_c2 = tmp_c2
        ts = np.sort(touched[:nt])
        for j in range(nt):
            t = ts[j]
            out_g[cnt] = g
            out_t[cnt] = t
            out_c[cnt] = best_c[t]
            out_c2[cnt] = best_c2[t]
            cnt += 1
    return out_g[:cnt].copy(), out_t[:cnt].copy(), out_c[:cnt].copy(), out_c2[:cnt].copy()


@njit(**_JIT)
def opportunities_chunk(indptr, head, cost, cost2, src_node, weight, i0, i1, bound, acc):
    """Add ``weight[i]`` to ``acc[v]`` for every node ``v`` within ``bound`` of ``src_node[i]``."""
    n = indptr.shape[0] - 1
    node, heap, settled = _buffers(n)
    zero = np.zeros(src_node.shape[0], np.float64)
    is_target = np.zeros(1, np.bool_)
    run = 0
    for i in range(i0, i1):
        w = weight[i]
        nset, run, heap = _run(
            indptr,
            head,
            cost,
            cost2,
            src_node,
            zero,
            zero,
            i,
            i + 1,
            bound,
            is_target,
            0,
            node,
            run + 1,
            heap,
            settled,
        )
        for j in range(nset):
            acc[settled[j]] += w
    return acc


# --------------------------------------------------------------------------------------------
# k nearest distinct sources per node: lazy heap keyed on (d, d2, source)
# --------------------------------------------------------------------------------------------


@njit(**_JIT)
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


@njit(**_JIT)
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


@njit(**_JIT)
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
                t1 = np.empty(cap, np.float64)
                t1[:size] = hd[:size]
                hd = t1
                t2 = np.empty(cap, np.float64)
                t2[:size] = hd2[:size]
                hd2 = t2
                t3 = np.empty(cap, np.int64)
                t3[:size] = hs[:size]
                hs = t3
                t4 = np.empty(cap, np.int64)
                t4[:size] = hn[:size]
                hn = t4
            _kpush(hd, hd2, hs, hn, size, nd, d2 + cost2[a], s, v)
            size += 1
    return lab_src, lab_d, lab_d2, lab_cnt
