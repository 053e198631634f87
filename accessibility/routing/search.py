"""Compiled shortest-path kernels (numba) behind :mod:`accessibility.routing`.

Everything here works on plain int64 / float64 arrays of a CSR graph; nothing is geographic.
The functions are compiled lazily on first call and cached on disk (``cache=True``); they release
the GIL (``nogil=True``) so :mod:`accessibility.routing` can run them on several threads at once.

Ordering of labels is lexicographic on ``(cost, cost2)`` (and the source index in the k-nearest
search), so ties on the primary cost are broken by the secondary cost and results are deterministic.

Per-search scratch arrays are reused between searches: a node's state is an int32 "generation
stamp" (``2 * run`` reached, ``2 * run + 1`` settled, anything smaller unreached), so nothing
n-sized is cleared between searches. The heap is :mod:`accessibility.routing.heap` (4-ary, lazy
deletion, separate arrays); the pop is written out in :func:`_search1` and :func:`_search2`, where
the inlined one measured slower (see that module). Graph indices are int32 when they fit (see
``routing.graph.kernel_arrays``); the kernels are compiled for whichever integer type they get.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from .grow import grow, resized
from .heap import push, push2
from .labels import advance_queue, bucket_of, pool_push, prefetch

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


@njit(cache=True, nogil=True)
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
        size = push2(hk, hk2, hv, size, c, c2, u)
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
            size = push2(hk, hk2, hv, size, nd, nd2, v)
    return nset


@njit(cache=True, nogil=True)
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
        size = push(hk, hv, size, c, u)
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
            size = push(hk, hv, size, nd, v)
    return nset


@njit(cache=True, nogil=True)
def buffers(n, like, with2):
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


@njit(cache=True, nogil=True)
def bounded_search(
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
        hk = grow(hk)
        hk2 = grow(hk2)
        hv = grow(hv)
        run += 1


@njit(cache=True, nogil=True)
def _search_lifo(
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
    inv,
    pk,
    pv,
    pn,
    bh,
    q,
    settled,
):
    """:func:`_search2` (``with2``) or :func:`_search1` with the LIFO bucket queue of
    :func:`accessibility.routing.labels.nearest_one` instead of the heap: buckets as wide as the
    shortest arc (``inv``, from :func:`~accessibility.routing.labels.queue_plan` with ``lifo``),
    each a list in the pool ``pk`` (cost) / ``pv`` (node) / ``pn`` (next), settled last in,
    first out. A label lowered after its node was settled (a tie on cost with a smaller cost2, a
    rounding at a bucket edge) is corrected: the node is pushed again and relaxes its arcs again,
    so the labels end as the heap's (labels only decrease). ``settled`` lists each node once.
    Returns (number settled, pk, pv, pn): the pool grows when corrections need room.
    """
    reached = 2 * run
    done = reached + 1
    mask = bh.shape[0] - 1
    for b in range(bh.shape[0]):
        bh[b] = -1  # (after an early stop later buckets still hold entries)
    q[0], q[1], q[2], q[3], q[4] = -1, 0, -1, 0, 0
    top = np.int64(0)  # (not a literal 0: one compiled resized() per dtype)
    base_cap = head.shape[0] + (s1 - s0) + 1  # one push per seed and relaxed arc
    cb = wcount = lim = 0
    free = -1
    extra = 0  # arcs relaxed again by corrections
    nset = 0
    found = 0
    stop = np.inf  # after the early stop: drain the current bucket
    # The pool grows outside the search loop (before the seeds, and when a correction needs
    # room): an array replaced inside that loop made numba compile the whole loop to slower
    # code (see nearest_one).
    room = base_cap
    seeded = False
    finished = False
    while not finished:
        if room > pk.shape[0]:
            pk = resized(pk, top, room)
            pv = resized(pv, top, room)
            pn = resized(pn, top, room)
        if not seeded:
            seeded = True
            for s in range(s0, s1):
                u = seed_node[s]
                c = seed_cost[s]
                c2 = seed_cost2[s] if with2 else 0.0
                if c > bound:
                    continue
                if stamp[u] == reached and not (
                    c < dist[u, 0] or (with2 and c == dist[u, 0] and c2 < dist[u, 1])
                ):
                    continue
                dist[u, 0] = c
                if with2:
                    dist[u, 1] = c2
                stamp[u] = reached
                top = pool_push(pk, pv, pn, bh, q, top, c, u, bucket_of(c, inv))
            cb = q[0]
            wcount = q[1]
            lim = cb + mask
        while True:
            if bh[cb & mask] < 0:
                if stop < np.inf or (wcount == 0 and q[3] == 0):
                    finished = True
                    break
                q[1] = wcount
                advance_queue(q, pk, pn, bh, inv)
                cb = q[0]
                wcount = q[1]
                lim = cb + mask
                continue
            e = bh[cb & mask]
            bh[cb & mask] = pn[e]
            wcount -= 1
            d = pk[e]
            u = pv[e]
            pn[e] = free
            free = e
            i = bh[cb & mask]
            if i >= 0:
                prefetch(head, indptr[pv[i]])
                prefetch(cost, indptr[pv[i]])
                i = pn[i]
                if i >= 0:
                    prefetch(stamp, pv[i])
                    prefetch(indptr, pv[i])
            if d != dist[u, 0]:
                continue  # stale: u has a smaller cost
            if stamp[u] == done:
                # settled before: a label corrected, relax again (room for the arcs relaxed once
                # more: every push follows a relaxed arc)
                deg = indptr[u + 1] - indptr[u]
                if base_cap + extra + deg > pk.shape[0]:
                    # no room: the entry back at the head of its bucket, the pool grown outside
                    # this loop, and the entry taken again
                    free = pn[e]
                    pn[e] = bh[cb & mask]
                    bh[cb & mask] = e
                    wcount += 1
                    room = 2 * (base_cap + extra + deg)
                    break
                extra += deg
            else:
                stamp[u] = done
                settled[nset] = u
                nset += 1
                if n_target_nodes > 0 and is_target[u]:
                    found += 1
                    if found == n_target_nodes:
                        stop = d
            d2 = dist[u, 1] if with2 else 0.0
            for a in range(indptr[u], indptr[u + 1]):
                nd = d + cost[a]
                if nd > bound:
                    continue
                v = head[a]
                sv = stamp[v]
                nd2 = d2 + cost2[a] if with2 else 0.0
                if sv >= reached:
                    dv = dist[v, 0]
                    if nd > dv:
                        continue
                    if nd == dv and not (with2 and nd2 < dist[v, 1]):
                        continue
                else:
                    stamp[v] = reached
                dist[v, 0] = nd
                if with2:
                    dist[v, 1] = nd2
                bi = bucket_of(nd, inv)
                if bi <= lim:
                    j = free
                    if j >= 0:
                        free = pn[j]
                    else:
                        j = top
                        top += 1
                    pk[j] = nd
                    pv[j] = v
                    pn[j] = bh[bi & mask]
                    bh[bi & mask] = j
                    wcount += 1
                else:
                    top = pool_push(pk, pv, pn, bh, q, top, nd, v, bi)
    return nset, pk, pv, pn


@njit(cache=True, nogil=True)
def distances(indptr, head, cost, cost2, seed_node, seed_cost, seed_cost2, bound):
    """One bounded multi-seed search: (settled nodes, cost, cost2) in settling order."""
    n = indptr.shape[0] - 1
    dist, stamp, hk, hk2, hv, settled = buffers(n, head, np.bool_(True))
    nset, _, hk, hk2, hv = bounded_search(
        indptr,
        head,
        cost,
        cost2,
        seed_node,
        seed_cost,
        seed_cost2,
        np.int64(0),
        np.int64(seed_node.shape[0]),
        bound,
        np.zeros(1, np.bool_),
        np.int64(0),
        np.bool_(True),
        dist,
        stamp,
        np.int64(1),
        hk,
        hk2,
        hv,
        settled,
    )
    nodes = settled[:nset].astype(np.int64)
    return nodes, dist[nodes, 0], dist[nodes, 1]


#: bit index of a power of two ``b``: ``_DEBRUIJN[(b * 0x03F79D71B4CB0A89) >> 58]`` (mod 2**64)
_DEBRUIJN = np.array(
    [0, 1, 48, 2, 57, 49, 28, 3, 61, 58, 50, 42, 38, 29, 17, 4, 62, 55, 59, 36, 53, 51, 43, 22,
     45, 39, 33, 30, 24, 18, 12, 5, 63, 47, 56, 27, 60, 41, 37, 16, 54, 35, 52, 21, 44, 32, 23,
     11, 46, 26, 40, 15, 34, 20, 31, 10, 25, 14, 19, 9, 13, 8, 7, 6],
    np.int64,
)  # fmt: skip


@njit(cache=True, nogil=True)
def _heapsort(a, n):
    """Sort ``a[:n]`` in place (heapsort: no scratch, no recursion; numba's ``np.sort`` compiles
    a quicksort of its own, about 2 s on a fresh install, for the few sparse rows that need it)."""
    for start in range(n // 2 - 1, -1, -1):
        _sift_down(a, start, n)
    for end in range(n - 1, 0, -1):
        a[0], a[end] = a[end], a[0]
        _sift_down(a, np.int64(0), end)


@njit(cache=True, nogil=True, inline="always")
def _sift_down(a, i, n):
    x = a[i]
    while True:
        c = 2 * i + 1
        if c >= n:
            break
        if c + 1 < n and a[c + 1] > a[c]:
            c += 1
        if a[c] <= x:
            break
        a[i] = a[c]
        i = c
    a[i] = x


@njit(cache=True, nogil=True)
def _in_order(touched, nt, bits):
    """Sort ``touched[:nt]`` (distinct target indices, also set in the bit set ``bits``) in place
    and clear their bits. Reading the set bits in order visits every word of ``bits``, but a
    settled target is a few instructions instead of a comparison sort's ``log nt`` steps (2,000
    sources x 6,000 targets: 0.55 s -> 0.03 s); the sort is kept for sparse rows."""
    if nt == 0:
        return
    words = bits.shape[0]
    if words > 8 * nt:
        _heapsort(touched, nt)
        for j in range(nt):
            bits[touched[j] >> 6] = np.uint64(0)
        return
    k = 0
    for w in range(words):
        x = bits[w]
        if x == 0:
            continue
        bits[w] = np.uint64(0)
        while x != 0:
            low = x & (~x + np.uint64(1))
            touched[k] = (w << 6) + _DEBRUIJN[
                (low * np.uint64(0x03F79D71B4CB0A89)) >> np.uint64(58)
            ]
            k += 1
            x ^= low


@njit(cache=True, nogil=True)
def _record_source(
    g, g0, g1, nset, settled, dist, is_target, att_ptr, att_tid, att_cost, att_cost2, max_cost,
    with2, tstamp, best_c, best_c2, touched, bits, src_ids, tgt_ids, out_g, out_t, out_c, out_c2,
    cnt,
):  # fmt: skip
    """The pairs of source ``g`` (of the chunk ``g0:g1``) from the nodes its search settled: the
    best attachment of each target within ``max_cost``, in target order, appended to the output
    arrays (grown when full). Returns the output arrays and the new number of pairs."""
    cap = out_g.shape[0]
    nt = np.int64(0)  # (not a literal 0: one compiled _in_order)
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
                bits[t >> 6] |= np.uint64(1) << np.uint64(t & 63)
            elif c < best_c[t] or (c == best_c[t] and c2 < best_c2[t]):
                best_c[t] = c
                best_c2[t] = c2
    if cnt + nt > cap:
        # the first source sizes the buffers for the chunk (1.5x its pairs per source, up
        # to 2**23 rows): pages never written cost no memory, a regrowth copies the table
        cap = max(2 * cap, cnt + nt)
        if g == g0:
            cap = max(cap, min((3 * nt * (g1 - g0)) // 2, 2**23))
        out_g = resized(out_g, cnt, cap)
        out_t = resized(out_t, cnt, cap)
        out_c = resized(out_c, cnt, cap)
        out_c2 = resized(out_c2, cnt, cap)
    _in_order(touched, nt, bits)
    for j in range(nt):
        t = touched[j]
        out_g[cnt] = src_ids[g]
        out_t[cnt] = tgt_ids[t]
        out_c[cnt] = best_c[t]
        out_c2[cnt] = best_c2[t]
        cnt += 1
    return out_g, out_t, out_c, out_c2, cnt


@njit(cache=True, nogil=True)
def _table_scratch(n_tid):
    """Scratch of the many-to-many kernels for ``n_tid`` target ids: each target's best cost and
    cost2, the source that last touched it, the touched targets (a list and a bit set), and the
    first output arrays (source id, target id, cost, cost2; grown by :func:`_record_source`)."""
    best_c = np.empty(n_tid, np.float64)
    best_c2 = np.empty(n_tid, np.float64)
    tstamp = np.full(n_tid, -1, np.int64)
    touched = np.empty(n_tid, np.int64)
    bits = np.zeros((n_tid + 63) // 64, np.uint64)
    out_g = np.empty(1024, np.int64)
    out_t = np.empty(1024, np.int64)
    out_c = np.empty(1024, np.float64)
    out_c2 = np.empty(1024, np.float64)
    return best_c, best_c2, tstamp, touched, bits, out_g, out_t, out_c, out_c2


@njit(cache=True, nogil=True)
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
    src_ids,
    tgt_ids,
):
    """Sources ``g0:g1`` (seed rows ``src_ptr[g]:src_ptr[g+1]``) to every target id.

    Returns (source id, target id, cost, cost2, the number of pairs): the first arrays' first
    entries (the caller slices them; the rest was never written) are ``src_ids[g]``, ``tgt_ids[t]`` for source index
    ``g`` and target index ``t``, sorted by source then target index, only pairs with cost ``<=
    max_cost``. Without ``with2`` the secondary cost is not carried and ``cost2`` is NaN. (Writing
    the ids here spares the caller two passes over fresh memory the size of the table.)

    Every search is :func:`bounded_search` (a heap); :func:`many_to_many_chunk_lifo` is the same
    with a bucket queue. (Two kernels, not a flag: numba compiles every branch of a kernel, and a
    graph needs only one of them.)
    """
    n = indptr.shape[0] - 1
    dist, stamp, hk, hk2, hv, settled = buffers(n, head, with2)
    best_c, best_c2, tstamp, touched, bits, out_g, out_t, out_c, out_c2 = _table_scratch(n_tid)
    cnt = np.int64(0)  # (not a literal 0: one compiled resized() per dtype)
    run = 0
    for g in range(g0, g1):
        nset, run, hk, hk2, hv = bounded_search(
            indptr, head, cost, cost2, seed_node, seed_cost, seed_cost2, src_ptr[g],
            src_ptr[g + 1], bound, is_target, n_target_nodes, with2, dist, stamp, run + 1, hk,
            hk2, hv, settled,
        )  # fmt: skip
        out_g, out_t, out_c, out_c2, cnt = _record_source(
            g, g0, g1, nset, settled, dist, is_target, att_ptr, att_tid, att_cost, att_cost2,
            max_cost, with2, tstamp, best_c, best_c2, touched, bits, src_ids, tgt_ids, out_g,
            out_t, out_c, out_c2, cnt,
        )  # fmt: skip
    return out_g, out_t, out_c, out_c2, cnt


@njit(cache=True, nogil=True)
def many_to_many_chunk_lifo(
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
    src_ids,
    tgt_ids,
    inv,
    n_buckets,
):
    """:func:`many_to_many_chunk` with every search :func:`_search_lifo` (a LIFO bucket queue;
    ``inv``, ``n_buckets``: the plan of :func:`~accessibility.routing.labels.queue_plan` for the
    graph's costs, which must have come back with ``lifo``): the same pairs, costs and cost2."""
    n = indptr.shape[0] - 1
    dist, stamp, _, _, _, settled = buffers(n, head, with2)  # (no heap)
    best_c, best_c2, tstamp, touched, bits, out_g, out_t, out_c, out_c2 = _table_scratch(n_tid)
    cnt = np.int64(0)  # (not a literal 0: one compiled resized() per dtype)
    run = 0
    pk = np.empty(head.shape[0] + 1, np.float64)  # the bucket queue's pool
    pv = np.empty(pk.shape[0], np.int64)
    pn = np.empty(pk.shape[0], np.int64)
    bh = np.full(n_buckets, -1, np.int64)
    q = np.zeros(5, np.int64)
    for g in range(g0, g1):
        run += 1
        nset, pk, pv, pn = _search_lifo(
            indptr, head, cost, cost2, seed_node, seed_cost, seed_cost2, src_ptr[g],
            src_ptr[g + 1], bound, is_target, n_target_nodes, with2, dist, stamp, run, inv, pk,
            pv, pn, bh, q, settled,
        )  # fmt: skip
        out_g, out_t, out_c, out_c2, cnt = _record_source(
            g, g0, g1, nset, settled, dist, is_target, att_ptr, att_tid, att_cost, att_cost2,
            max_cost, with2, tstamp, best_c, best_c2, touched, bits, src_ids, tgt_ids, out_g,
            out_t, out_c, out_c2, cnt,
        )  # fmt: skip
    return out_g, out_t, out_c, out_c2, cnt


@njit(cache=True, nogil=True)
def opportunities_chunk(indptr, head, cost, src_node, weight, i0, i1, bound, acc):
    """Add ``weight[i]`` to ``acc[v]`` for every node ``v`` within ``bound`` of ``src_node[i]``."""
    n = indptr.shape[0] - 1
    dist, stamp, hk, hk2, hv, settled = buffers(n, head, np.bool_(False))
    zero = np.zeros(src_node.shape[0], np.float64)
    no_targets = np.zeros(1, np.bool_)
    run = 0
    for i in range(i0, i1):
        w = weight[i]
        nset, run, hk, hk2, hv = bounded_search(
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
            np.int64(0),
            np.bool_(False),
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
