"""Multi-source label-setting kernels (numba): the nearest ``k`` distinct sources of every node.

One search from all sources at once; every node keeps labels ``(cost, cost2, source)`` ordered
lexicographically, so ties on cost go to the smaller secondary cost, then to the smaller source
index, and results are deterministic. :func:`nearest_k_labels` takes its heap from
:mod:`.heap` (4-ary, lazy deletion), ordered on ``(cost, cost2, source * n + node)``;
:func:`nearest_one` keeps its queue in buckets of cost (a heap of :mod:`.heap` per bucket only
when an arc is shorter than a bucket), settling ties by correction (see there).
"""

from __future__ import annotations

import numpy as np
from llvmlite import ir
from numba import njit, types
from numba.core import cgutils
from numba.extending import intrinsic

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


#: the most buckets of the queue of :func:`nearest_one` (a power of two)
MAX_BUCKETS = 1 << 16
#: buckets of the queue when it keeps a heap per bucket (a power of two)
HEAP_BUCKETS = 1 << 14


@njit(cache=True, nogil=True)
def queue_plan(cost, bound):
    """The bucket queue of :func:`nearest_one` for the arcs of ``cost`` within ``bound``:
    ``(inv, n_buckets, lifo)``, entry of cost ``c`` in bucket ``floor(c * inv)``.

    ``lifo``: the bucket width is the shortest arc of positive cost, and the longest arc spans at
    most ``MAX_BUCKETS // 2 - 2`` buckets; no entry of a bucket can then improve another one of
    it through an arc of positive cost, so its entries are settled in any order (last in, first
    out), and a label lowered after it was settled (a tie, rounding at a bucket edge) is
    corrected (see :func:`nearest_one`). Otherwise, and whenever an arc within the bound costs zero, the width
    is the longest arc over ``HEAP_BUCKETS // 4`` and a bucket's entries go through a heap
    (:mod:`.heap`), which settles them in cost order: a chain of zero-cost arcs within one
    last-in-first-out bucket could be corrected again and again (time quadratic in its length).
    """
    cmin = np.inf  # the shortest arc of positive cost
    cmax = 0.0
    zero = False
    for a in range(cost.shape[0]):
        c = cost[a]
        if c <= bound:
            if c > cmax:
                cmax = c
            if 0.0 < c < cmin:
                cmin = c
            elif c == 0.0:
                zero = True
    if not zero and cmin < np.inf and cmax <= cmin * (MAX_BUCKETS // 2 - 2):
        n_buckets = 4
        while n_buckets < 2 * (cmax / cmin + 2):
            n_buckets *= 2
        return 1.0 / cmin, n_buckets, True
    inv = (HEAP_BUCKETS // 4) / cmax if cmax > 0.0 else 1.0
    return min(inv, 1e300), HEAP_BUCKETS, False


@njit(cache=True, nogil=True, inline="always")
def bucket_of(key, inv):
    """The bucket index of ``key`` (non-decreasing in ``key``; huge keys share the last one)."""
    x = key * inv
    return np.int64(x) if x < 4e18 else np.int64(4e18)


@njit(cache=True, nogil=True)
def advance_queue(q, pk, pn, bh, inv):
    """Move the queue of :func:`nearest_one` to its next non-empty bucket.

    ``q`` holds the queue's counters ``[current bucket, entries in the window's lists, overflow
    list head, overflow entries, smallest overflow bucket]``."""
    mask = bh.shape[0] - 1
    cb, wcount, oh, ocount, omin = q[0], q[1], q[2], q[3], q[4]
    b = omin
    if wcount > 0:
        b = cb + 1
        while bh[b & mask] < 0 and not (ocount > 0 and b >= omin):
            b += 1
    cb = b
    if ocount > 0 and omin == cb:  # the overflow list into the window
        i = oh
        oh = -1
        ocount = 0
        while i >= 0:
            nx = pn[i]
            bi = bucket_of(pk[i], inv)
            if bi <= cb + mask:
                pn[i] = bh[bi & mask]
                bh[bi & mask] = i
                wcount += 1
            else:
                pn[i] = oh
                oh = i
                if ocount == 0 or bi < omin:
                    omin = bi
                ocount += 1
            i = nx
    q[0], q[1], q[2], q[3], q[4] = cb, wcount, oh, ocount, omin


@njit(cache=True, nogil=True)
def _list_to_heap(hk, hv, size, pk, pv, pn, bh, slot):
    """Move the list of bucket ``slot`` into the heap of :func:`nearest_one` (which has room
    for every entry of the pool); return the heap's new size. The one heap push of the kernel:
    each inlined copy of it costs compilation on a fresh install."""
    i = bh[slot]
    bh[slot] = -1
    while i >= 0:
        size = push(hk, hv, size, pk[i], pv[i])
        i = pn[i]
    return size


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

    The queue holds nodes, with lazy deletion (an entry is stale when its cost is no longer its
    node's label), in buckets of equal width (:func:`queue_plan`): a window of buckets, each a
    linked list in one pool of entries (one per seed and relaxed arc, allocated once; settled
    entries are reused first, which keeps the pool's working set in cache), and an overflow list
    for entries beyond the window (seeds of large cost). With buckets as wide as the shortest arc
    of positive cost the current bucket's entries are settled last in, first out, otherwise
    through a heap. On the 1M-node road graph of ``bench/bench_user_path.py`` this is 2.5-3x
    faster than the 4-ary heap it replaced (no sift-down; prefetching along the bucket's list).
    Labels that are not final when settled (an exact tie on cost, a zero-cost arc within a
    bucket, a rounding at a bucket edge) are corrected: a node whose label improves after it was settled
    (a smaller cost, or an equal cost with a smaller cost2 or source) is pushed again and relaxes
    its arcs again. Labels only decrease, so this ends at the labels a heap ordered on the whole
    label gives. A settled node's source index is stored as ``-2 - source`` (no separate state
    array). A correction makes room in the pool for the arcs it relaxes again. The early stop
    (every target node settled) first drains the current bucket, which may still correct a tie.

    Returns (best source index or -1, cost, cost2) per target index; pairs beyond ``max_cost``
    are -1; without ``with2`` cost2 is one zero (not one per target: 8 bytes a target less).
    """
    n = indptr.shape[0] - 1
    lab_d = np.full(n, np.inf)
    lab_d2 = np.zeros(n if with2 else 1)
    # the source index of u's label; -1: unreached; once u is settled, -2 - source (so the mark
    # costs no array of its own, nor a second random access per settled node)
    lab_s = np.full(n, -1, np.int32)  # (the caller checks the source indices fit)
    inv, n_buckets, lifo = queue_plan(cost, bound)
    pushes_cap = head.shape[0] + seed_node.shape[0] + 1  # one push per seed and relaxed arc
    # and room for one correction (see the search loop below)
    max_deg = 0
    for u in range(n):
        max_deg = max(max_deg, indptr[u + 1] - indptr[u])
    pk = np.empty(pushes_cap + max_deg, np.float64)  # the pool: cost, node, next entry of the list
    pv = np.empty(pk.shape[0], np.int64)  # (int64 as pn: one compiled resized() less)
    pn = np.empty(pk.shape[0], np.int64)
    bh = np.full(n_buckets, -1, np.int64)  # first entry of every bucket of the window
    # the current bucket's heap (not lifo): at most every push, as the pool
    hk = np.empty(1 if lifo else pk.shape[0], np.float64)
    hv = np.empty(hk.shape[0], np.int64)
    # current bucket, entries in the window, overflow head, entries, smallest bucket
    q = np.array([-1, 0, -1, 0, 0], np.int64)
    top = np.int64(0)  # (not a literal 0: one compiled resized() per dtype)
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
        top = pool_push(pk, pv, pn, bh, q, top, c, u, bucket_of(c, inv))
    mask = n_buckets - 1
    cb = q[0]
    wcount = q[1]  # (the hot counters in locals; q is written back around advance_queue)
    lim = cb + mask  # the last bucket of the window
    free = -1
    size = np.int64(0)  # (not a literal 0: one compiled version of its callees)
    extra = 0  # arcs relaxed again by corrections
    found = 0
    stop = np.inf  # after the early stop: drain the current bucket
    # The pool grows outside the search loop: an array replaced inside that loop made numba
    # compile the whole loop to slower code. Every push follows a seed or a relaxed arc, so the
    # pool needs pushes_cap + extra entries, and a correction adds at most max_deg to extra: the
    # loop leaves for a larger pool before a node is taken whose correction might not fit.
    done = False
    while not done:
        if pushes_cap + extra + max_deg > pk.shape[0]:
            cap = 2 * (pushes_cap + extra + max_deg)
            pk = resized(pk, top, cap)
            pv = resized(pv, top, cap)
            pn = resized(pn, top, cap)
            if not lifo:
                hk = resized(hk, size, cap)
                hv = resized(hv, size, cap)
        while True:
            if pushes_cap + extra + max_deg > pk.shape[0]:
                break
            if not lifo and bh[cb & mask] >= 0:  # entries of the current bucket into its heap
                before = size
                size = _list_to_heap(hk, hv, size, pk, pv, pn, bh, cb & mask)
                wcount -= size - before
            if (bh[cb & mask] < 0) if lifo else (size == 0):
                if stop < np.inf or (wcount == 0 and q[3] == 0):
                    done = True
                    break
                q[1] = wcount
                advance_queue(q, pk, pn, bh, inv)
                cb = q[0]
                wcount = q[1]
                lim = cb + mask
                continue
            if lifo:
                i = bh[cb & mask]
                bh[cb & mask] = pn[i]
                wcount -= 1
                d = pk[i]
                u = pv[i]
                pn[i] = free
                free = i
                # prefetch along the bucket's list: the arcs of the next node, the labels of the one
                # after, the pool entry after that (the list is scattered over the reused pool:
                # 1.8x faster at 1M nodes; written out: an inlined function measured slower)
                i = bh[cb & mask]
                if i >= 0:
                    prefetch(head, indptr[pv[i]])
                    prefetch(cost, indptr[pv[i]])
                    i = pn[i]
                    if i >= 0:
                        prefetch(lab_d, pv[i])
                        prefetch(lab_s, pv[i])
                        prefetch(indptr, pv[i])
                        i = pn[i]
                        if i >= 0:
                            prefetch(pv, i)
                            prefetch(pn, i)
                            prefetch(pk, i)
            else:
                d = hk[0]
                u = hv[0]
                size = pop(hk, hv, size)
            if d != lab_d[u] or (d > stop and not lifo):
                # stale: u has a smaller cost. After the last target is settled a heap stops at the
                # first larger cost; a LIFO bucket is not in cost order, so it is drained whole
                # (an entry above that cost may still lower a target through a zero-cost arc)
                continue
            s = lab_s[u]
            if s < -1:
                s = -2 - s  # settled before: a label corrected, relax again
                # every push follows a relaxed arc: room for the arcs relaxed once more (the check
                # lives here, on the rare path, not on every push)
                extra += indptr[u + 1] - indptr[u]
            else:
                lab_s[u] = -2 - s
                if n_target_nodes > 0 and is_target[u]:
                    found += 1
                    if found == n_target_nodes:
                        stop = d
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
                sv = lab_s[v]
                settled = sv < -1
                if nd == dv:  # a tie on cost: the smaller (cost2, source) wins
                    if settled:
                        sv = -2 - sv
                    w2 = lab_d2[v] if with2 else 0.0
                    if not (nd2 < w2 or (nd2 == w2 and s < sv)):
                        continue
                lab_d[v] = nd
                if with2:
                    lab_d2[v] = nd2
                lab_s[v] = -2 - s if settled else s
                bi = bucket_of(nd, inv)
                if bi <= lim:  # (written out: pool_push keeps its counters in q)
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
    return _best_per_target(
        lab_d, lab_d2, lab_s, att_ptr, att_tid, att_cost, att_cost2, n_tid, max_cost, with2
    )


@intrinsic
def prefetch(typingctx, arr, idx):
    """Hint the CPU to load ``arr[idx]`` into the cache (LLVM's ``prefetch``: read, high
    locality; no effect on results, no bounds check needed: a prefetch never faults)."""
    if not isinstance(arr, types.Array) or not isinstance(idx, types.Integer):
        return None

    def codegen(context, builder, sig, args):
        ary = context.make_array(sig.args[0])(context, builder, args[0])
        ptr = cgutils.get_item_pointer(
            context, builder, sig.args[0], ary, [args[1]], wraparound=False
        )
        i8p = ir.IntType(8).as_pointer()
        i32 = ir.IntType(32)
        fnty = ir.FunctionType(ir.VoidType(), [i8p, i32, i32, i32])
        fn = builder.module.declare_intrinsic("llvm.prefetch", [i8p], fnty)
        builder.call(fn, [builder.bitcast(ptr, i8p), i32(0), i32(3), i32(1)])
        return context.get_dummy_value()

    return types.none(arr, idx), codegen


@njit(cache=True, nogil=True, inline="always")
def pool_push(pk, pv, pn, bh, q, top, key, node, bi):
    """Add an entry to its bucket's list in the window, or to the overflow list (see
    :func:`advance_queue` for ``q``); return the next free entry of the pool."""
    pk[top] = key
    pv[top] = node
    if bi <= q[0] + bh.shape[0] - 1:
        slot = bi & (bh.shape[0] - 1)
        pn[top] = bh[slot]
        bh[slot] = top
        q[1] += 1
    else:
        pn[top] = q[2]
        q[2] = top
        if q[3] == 0 or bi < q[4]:
            q[4] = bi
        q[3] += 1
    return top + 1


@njit(cache=True, nogil=True)
def _best_per_target(
    lab_d, lab_d2, lab_s, att_ptr, att_tid, att_cost, att_cost2, n_tid, max_cost, with2
):
    """The best label over the attachment rows of every target index (see :func:`nearest_one`)."""
    best_s = np.full(n_tid, -1, np.int64)
    best_c = np.full(n_tid, np.inf)
    best_c2 = np.zeros(n_tid if with2 else 1)  # (without with2 the caller fills cost2)
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
            b2 = best_c2[t] if with2 else 0.0
            if best_s[t] < 0 or _less3(c, c2, s, best_c[t], b2, best_s[t]):
                best_s[t] = s
                best_c[t] = c
                if with2:
                    best_c2[t] = c2
    return best_s, best_c, best_c2
