"""Compiled shortest-path kernels (numba) behind :mod:`accessibility.routing`.

Everything here works on plain int64 / float64 arrays of a CSR graph; nothing is geographic.
The functions are compiled lazily on first call and cached on disk (``cache=True``); they release
the GIL (``nogil=True``) so :mod:`accessibility.routing` can run them on several threads at once.

Ordering of labels is lexicographic on ``(cost, cost2)`` (and the source index in the k-nearest
search), so ties on the primary cost are broken by the secondary cost and results are deterministic.

Per-search scratch arrays are reused between searches: a node's state is an int32 "generation
stamp" (``2 * run`` reached, ``2 * run + 1`` settled, anything smaller unreached), so nothing
n-sized is cleared between searches. The single-source searches use a 4-ary heap with lazy deletion
stored as separate arrays; the multi-source nearest searches use binary heaps of rows (see the
comments at each kernel for why). Graph indices are int32 when they fit (see
``routing._graph_arrays``); the kernels are compiled for whichever integer type they get.
"""

from __future__ import annotations

import numpy as np
from numba import njit

_JIT = {"cache": True, "nogil": True}


# --------------------------------------------------------------------------------------------
# bounded single-source searches: 4-ary heap with lazy deletion, structure of arrays
# --------------------------------------------------------------------------------------------
#
# Layout (chosen by profiling on 1M-node road graphs, see bench/results/routing.md):
# * the graph's ``indptr``/``head`` are int32 when they fit (half the index traffic);
# * the per-node state is a separate int32 "generation stamp" (``2*run`` reached, ``2*run + 1``
#   settled, anything smaller unreached), so settled neighbours are skipped after touching only
#   4 bytes, and nothing n-sized is cleared between searches;
# * the heap is 4-ary (half the depth of a binary heap, the four children share a cache line)
#   and stored as separate key / secondary key / node arrays, so comparisons touch only keys.
# * :func:`_search1` carries no secondary cost; it is about 1.5x faster than :func:`_search2`
#   and is used whenever the secondary cost is not wanted or is zero everywhere.


@njit(**_JIT)
def _search2(
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
    dist,
    stamp,
    run,
    hk,
    hk2,
    hv,
    settled,
):
    """Bounded multi-seed Dijkstra on ``(cost, cost2)``; returns the number settled, -1 if the heap
    is full.

    Seeds are rows ``s0:s1`` of the seed arrays. Nodes with cost ``> bound`` are not settled. When
    ``n_target_nodes > 0`` the search stops once that many nodes flagged in ``is_target`` settled.
    ``dist[u] = (cost, cost2)`` of reached nodes; settled nodes are listed in ``settled``. On -1
    the caller grows the heap and runs the search again with a new ``run``.
    """
    reached = 2 * run
    done = reached + 1
    cap = hk.shape[0]
    size = 0
    for s in range(s0, s1):
        u = seed_node[s]
        c = seed_cost[s]
        c2 = seed_cost2[s]
        if c > bound:
            continue
        if stamp[u] == reached and not (c < dist[u, 0] or (c == dist[u, 0] and c2 < dist[u, 1])):
            continue
        dist[u, 0] = c
        dist[u, 1] = c2
        stamp[u] = reached
        if size == cap:
            return -1
        i = size
        size += 1
        while i > 0:
            p = (i - 1) >> 2
            pd = hk[p]
            if c < pd or (c == pd and c2 < hk2[p]):
                hk[i] = pd
                hk2[i] = hk2[p]
                hv[i] = hv[p]
                i = p
            else:
                break
        hk[i] = c
        hk2[i] = c2
        hv[i] = u
    nset = 0
    found = 0
    while size > 0:
        d = hk[0]
        d2 = hk2[0]
        u = hv[0]
        size -= 1
        if size > 0:
            ld = hk[size]
            ld2 = hk2[size]
            lu = hv[size]
            i = 0
            while True:
                c = 4 * i + 1
                if c >= size:
                    break
                e = min(c + 4, size)
                b = c
                bd = hk[c]
                for j in range(c + 1, e):
                    jd = hk[j]
                    if jd < bd or (jd == bd and hk2[j] < hk2[b]):
                        b = j
                        bd = jd
                if bd < ld or (bd == ld and hk2[b] < ld2):
                    hk[i] = bd
                    hk2[i] = hk2[b]
                    hv[i] = hv[b]
                    i = b
                else:
                    break
            hk[i] = ld
            hk2[i] = ld2
            hv[i] = lu
        if stamp[u] == done:
            continue  # a stale entry: u was settled by a better one
        stamp[u] = done
        settled[nset] = u
        nset += 1
        if n_target_nodes > 0 and is_target[u]:
            found += 1
            if found == n_target_nodes:
                break
        for a in range(indptr[u], indptr[u + 1]):
            v = head[a]
            sv = stamp[v]
            if sv == done:
                continue
            nd = d + cost[a]
            if nd > bound:
                continue
            nd2 = d2 + cost2[a]
            if sv == reached:
                dv = dist[v, 0]
                if nd > dv or (nd == dv and nd2 >= dist[v, 1]):
                    continue
            dist[v, 0] = nd
            dist[v, 1] = nd2
            stamp[v] = reached
            if size == cap:
                return -1
            i = size
            size += 1
            while i > 0:
                p = (i - 1) >> 2
                pd = hk[p]
                if nd < pd or (nd == pd and nd2 < hk2[p]):
                    hk[i] = pd
                    hk2[i] = hk2[p]
                    hv[i] = hv[p]
                    i = p
                else:
                    break
            hk[i] = nd
            hk2[i] = nd2
            hv[i] = v
    return nset


@njit(**_JIT)
def _search1(
    indptr,
    head,
    cost,
    seed_node,
    seed_cost,
    s0,
    s1,
    bound,
    is_target,
    n_target_nodes,
    dist,
    stamp,
    run,
    hk,
    hv,
    settled,
):
    """:func:`_search2` without a secondary cost (``dist[u, 0]`` only; ``dist[u, 1]`` untouched)."""
    reached = 2 * run
    done = reached + 1
    cap = hk.shape[0]
    size = 0
    for s in range(s0, s1):
        u = seed_node[s]
        c = seed_cost[s]
        if c > bound:
            continue
        if stamp[u] == reached and not c < dist[u, 0]:
            continue
        dist[u, 0] = c
        stamp[u] = reached
        if size == cap:
            return -1
        i = size
        size += 1
        while i > 0:
            p = (i - 1) >> 2
            if c < hk[p]:
                hk[i] = hk[p]
                hv[i] = hv[p]
                i = p
            else:
                break
        hk[i] = c
        hv[i] = u
    nset = 0
    found = 0
    while size > 0:
        d = hk[0]
        u = hv[0]
        size -= 1
        if size > 0:
            ld = hk[size]
            lu = hv[size]
            i = 0
            while True:
                c = 4 * i + 1
                if c >= size:
                    break
                e = min(c + 4, size)
                b = c
                bd = hk[c]
                for j in range(c + 1, e):
                    if hk[j] < bd:
                        b = j
                        bd = hk[j]
                if bd < ld:
                    hk[i] = bd
                    hv[i] = hv[b]
                    i = b
                else:
                    break
            hk[i] = ld
            hv[i] = lu
        if stamp[u] == done:
            continue
        stamp[u] = done
        settled[nset] = u
        nset += 1
        if n_target_nodes > 0 and is_target[u]:
            found += 1
            if found == n_target_nodes:
                break
        for a in range(indptr[u], indptr[u + 1]):
            v = head[a]
            sv = stamp[v]
            if sv == done:
                continue
            nd = d + cost[a]
            if nd > bound:
                continue
            if sv == reached and nd >= dist[v, 0]:
                continue
            dist[v, 0] = nd
            stamp[v] = reached
            if size == cap:
                return -1
            i = size
            size += 1
            while i > 0:
                p = (i - 1) >> 2
                if nd < hk[p]:
                    hk[i] = hk[p]
                    hv[i] = hv[p]
                    i = p
                else:
                    break
            hk[i] = nd
            hv[i] = v
    return nset


@njit(**_JIT)
def _buffers(n, like, with2):
    """Scratch for searches on an ``n``-node graph whose node ids have the dtype of ``like``.

    ``dist`` has one column (cost) without ``with2``, so a search touches half the memory."""
    dist = np.zeros((n, 2 if with2 else 1), np.float64)
    stamp = np.zeros(n, np.int32)
    m = max(1024, n // 8)
    hk = np.empty(m, np.float64)
    hk2 = np.empty(m, np.float64)
    hv = np.empty(m, like.dtype)
    settled = np.empty(n, like.dtype)
    return dist, stamp, hk, hk2, hv, settled


@njit(**_JIT)
def _grow(a):
    new = np.empty(2 * a.shape[0], a.dtype)
    new[: a.shape[0]] = a
    return new


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
    with2,
    dist,
    stamp,
    run,
    hk,
    hk2,
    hv,
    settled,
):
    """One search (:func:`_search2` if ``with2`` else :func:`_search1`), growing the heap and
    repeating when it overflows. Returns (number settled, run stamp used, hk, hk2, hv)."""
    while True:
        if with2:
            nset = _search2(
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
                dist,
                stamp,
                run,
                hk,
                hk2,
                hv,
                settled,
            )
        else:
            nset = _search1(
                indptr,
                head,
                cost,
                seed_node,
                seed_cost,
                s0,
                s1,
                bound,
                is_target,
                n_target_nodes,
                dist,
                stamp,
                run,
                hk,
                hv,
                settled,
            )
        if nset >= 0:
            return nset, run, hk, hk2, hv
        hk = _grow(hk)
        hk2 = _grow(hk2)
        hv = _grow(hv)
        run += 1


@njit(**_JIT)
def distances(indptr, head, cost, cost2, seed_node, seed_cost, seed_cost2, bound):
    """One bounded multi-seed search: (settled nodes, cost, cost2) in settling order."""
    n = indptr.shape[0] - 1
    dist, stamp, hk, hk2, hv, settled = _buffers(n, head, True)
    nset, _, hk, hk2, hv = _run(
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
        np.zeros(1, np.bool_),
        0,
        True,
        dist,
        stamp,
        1,
        hk,
        hk2,
        hv,
        settled,
    )
    nodes = settled[:nset].astype(np.int64)
    return nodes, dist[nodes, 0], dist[nodes, 1]


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
    with2,
):
    """Sources ``g0:g1`` (seed rows ``src_ptr[g]:src_ptr[g+1]``) to every target id.

    Returns (source index, target index, cost, cost2), sorted by source then target index, only
    pairs with cost ``<= max_cost``. Without ``with2`` the secondary cost is not carried and
    ``cost2`` is NaN.
    """
    n = indptr.shape[0] - 1
    dist, stamp, hk, hk2, hv, settled = _buffers(n, head, with2)
    best_c = np.empty(n_tid, np.float64)
    best_c2 = np.empty(n_tid, np.float64)
    tstamp = np.full(n_tid, -1, np.int64)
    touched = np.empty(n_tid, np.int64)
    cap = 1024
    out_g = np.empty(cap, np.int64)
    out_t = np.empty(cap, np.int64)
    out_c = np.empty(cap, np.float64)
    out_c2 = np.empty(cap, np.float64)
    cnt = 0
    run = 0
    for g in range(g0, g1):
        nset, run, hk, hk2, hv = _run(
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
            with2,
            dist,
            stamp,
            run + 1,
            hk,
            hk2,
            hv,
            settled,
        )
        nt = 0
        for j in range(nset):
            u = settled[j]
            if not is_target[u]:
                continue
            d = dist[u, 0]
            d2 = dist[u, 1] if with2 else np.nan
            for a in range(att_ptr[u], att_ptr[u + 1]):
                c = d + att_cost[a]
                if c > max_cost:
                    continue
                c2 = d2 + att_cost2[a] if with2 else np.nan
                t = att_tid[a]
                if tstamp[t] != g:
                    tstamp[t] = g
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
def opportunities_chunk(indptr, head, cost, src_node, weight, i0, i1, bound, acc):
    """Add ``weight[i]`` to ``acc[v]`` for every node ``v`` within ``bound`` of ``src_node[i]``."""
    n = indptr.shape[0] - 1
    dist, stamp, hk, hk2, hv, settled = _buffers(n, head, False)
    zero = np.zeros(src_node.shape[0], np.float64)
    no_targets = np.zeros(1, np.bool_)
    run = 0
    for i in range(i0, i1):
        w = weight[i]
        nset, run, hk, hk2, hv = _run(
            indptr,
            head,
            cost,
            cost,
            src_node,
            zero,
            zero,
            i,
            i + 1,
            bound,
            no_targets,
            0,
            False,
            dist,
            stamp,
            run + 1,
            hk,
            hk2,
            hv,
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


# --------------------------------------------------------------------------------------------
# nearest source per node (k = 1): one label per node, one heap keyed on (d, d2, source)
# --------------------------------------------------------------------------------------------


@njit(**_JIT)
def _less3(a0, a1, a2, b0, b1, b2):
    return a0 < b0 or (a0 == b0 and (a1 < b1 or (a1 == b1 and a2 < b2)))


@njit(**_JIT)
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
            tmp = np.empty((cap, 4), np.float64)
            tmp[:size] = heap[:size]
            heap = tmp
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
                tmp = np.empty((cap, 4), np.float64)
                tmp[:size] = heap[:size]
                heap = tmp
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
