"""Node contraction (numba) behind :mod:`accessibility.routing`: a smaller "core" graph that keeps
every shortest-path cost between the nodes a query uses.

A node that is not a terminal (a source or target node of the query) is *contracted*: its arcs are
removed and, for every in-neighbour ``a`` and out-neighbour ``b`` (``a != b``), a shortcut arc
``a -> b`` with the summed ``(cost, cost2)`` is added, or an existing ``a -> b`` arc is lowered to
it. Costs between the remaining nodes are unchanged (the classic argument of contraction
hierarchies), so a search on the core gives the same costs between terminals with fewer settled
nodes. A shortcut ``a -> b`` is left out when a *witness* exists: a path from ``a`` to ``b`` of a
few arcs (``witness_hops``) that avoids the contracted node and is no worse on ``(cost, cost2)``;
a witness missed only adds a shortcut that is not needed, which is still exact. A node is only
contracted when the shortcuts it adds exceed the arcs it removes by at most a small threshold that
grows pass by pass, and when in-degree x out-degree is small, so the core stays sparse: dead ends
(degree 1), chains of degree-2 nodes and junctions of a grid whose detours are witnesses go first,
then the rest. Without witnesses a grid's junctions could not go (each would add shortcuts for
every turn), so the core of the independent road graph of ``bench/road_graphs.py`` kept 34 % of
its nodes and 76 % of its arcs for a table of 2,000 facilities x 50,000 villages; with witnesses
of up to 4 arcs it keeps 14 % and 28 %.

For searches that must report every node (:func:`accessibility.routing.opportunities_within`), the
contracted nodes are evaluated after the core search by a downward sweep: a contracted node's cost
is the minimum over the arcs ``a -> x`` it had when it was contracted (``down`` arcs) of
``cost(a) + cost(a -> x)`` -- exact because every ``a`` was contracted later (or is in the core).
Nodes are grouped in *levels* (every down arc goes from a higher level to a lower one; the core is
level 0) so the sweep needs no priority queue; :func:`levels` numbers them from the contraction
order.

Large graphs are contracted in parts (:func:`accessibility.routing.core.contract_in_parts`): each
range of node ids is contracted on its own thread keeping every node with an arc to another range,
then what the ranges keep is contracted together. A node contracted inside its range has all its
arcs there, so it goes as it would in the whole graph, and a witness inside a range is one in the
whole graph: the core is as exact, and about as small.

Parallel arcs are merged keeping the lexicographically smallest ``(cost, cost2)``; self-loops are
dropped (they are never on a shortest path).
"""

from __future__ import annotations

import numpy as np
from numba import njit

from .grow import grow, resized

#: a node is not contracted next to a node with more arcs than this: every contraction scans its
#: neighbours' arc lists, so hubs (a virtual super-source, say) would make contraction quadratic
_MAX_SCAN = 256
#: ``diff`` of a node whose neighbours changed since it was last looked at (below any threshold)
_STALE = -(2**30)
#: the most in- or out-neighbours of a node that is contracted (the size of the scratch lists)
_MAX_LIST = 64
#: pool entries one neighbour's list may take while a node is contracted: a list of at most
#: ``_MAX_SCAN`` entries (no hub) gains at most ``_MAX_LIST`` (one per shortcut through the node),
#: moving to the pool's end each time it is full with twice the room (``2 * cap + 2``): the caps
#: it takes sum to at most twice the last, which is below ``2 * (its length) + 2``
_ROOM_PER_NEIGHBOUR = 4 * (_MAX_SCAN + _MAX_LIST) + 4


@njit(cache=True, nogil=True)
def _ensure(nb, pc, pc2, need):
    """The pool arrays, grown (doubled) to hold at least ``need`` entries."""
    cap = nb.shape[0]
    if need <= cap:
        return nb, pc, pc2
    while cap < need:
        cap *= 2
    k = nb.shape[0]
    return resized(nb, k, cap), resized(pc, k, cap), resized(pc2, k, cap)


@njit(cache=True, nogil=True)
def _remove(nb, pc, pc2, start, length, x, y):
    """Remove the entry for neighbour ``y`` from node ``x``'s list (swap with the last)."""
    s = start[x]
    e = s + length[x]
    for i in range(s, e):
        if nb[i] == y:
            last = e - 1
            nb[i] = nb[last]
            pc[i] = pc[last]
            pc2[i] = pc2[last]
            length[x] -= 1
            return


@njit(cache=True, nogil=True)
def _set_cost(nb, pc, pc2, start, length, x, y, c, c2):
    """Set the costs of neighbour ``y`` in node ``x``'s list to ``(c, c2)``."""
    s = start[x]
    for i in range(s, s + length[x]):
        if nb[i] == y:
            pc[i] = c
            pc2[i] = c2
            return


@njit(inline="always", cache=True, nogil=True)
def _append(nb, pc, pc2, start, length, cap, top, x, y, c, c2):
    """Append neighbour ``y`` with costs ``(c, c2)`` to node ``x``'s list; a full list first moves
    to the end of the pool with twice the room. Returns the pool's new top. The pool must have
    room (:data:`_ROOM_PER_NEIGHBOUR`): it grows outside the contraction loop, as an array
    replaced inside that loop makes numba compile the whole loop to slower code."""
    if length[x] == cap[x]:
        newcap = 2 * cap[x] + 2
        s = start[x]
        for k in range(length[x]):
            nb[top + k] = nb[s + k]
            pc[top + k] = pc[s + k]
            pc2[top + k] = pc2[s + k]
        start[x] = top
        cap[x] = newcap
        top += newcap
    k = start[x] + length[x]
    nb[k] = y
    pc[k] = c
    pc2[k] = c2
    length[x] += 1
    return top


@njit(cache=True, nogil=True)
def _witness_hops(nb, pc, pc2, ostart, olen, a, x, limit, hops, wst, wd, wd2, run, fa, fb):
    """Paths from ``a`` of at most ``hops`` arcs avoiding ``x`` and costing at most ``limit``:
    afterwards a node ``b`` with ``wst[b] == run`` has such a path of cost ``(wd[b], wd2[b])``
    (the best found, an upper bound on the best there is). ``fa``, ``fb``: frontier scratch."""
    wst[a] = run
    wd[a] = 0.0
    wd2[a] = 0.0
    fa[0] = a
    nf = 1
    cap = fb.shape[0]
    for _ in range(hops):
        nn = 0
        for k in range(nf):
            u = fa[k]
            d = wd[u]
            d2 = wd2[u]
            for i in range(ostart[u], ostart[u] + olen[u]):
                v = nb[i]
                if v == x:
                    continue
                nd = d + pc[i]
                if nd > limit:
                    continue
                nd2 = d2 + pc2[i]
                if wst[v] == run and (nd > wd[v] or (nd == wd[v] and nd2 >= wd2[v])):
                    continue
                wd[v] = nd
                wd2[v] = nd2
                wst[v] = run
                if nn < cap:
                    fb[nn] = v
                    nn += 1
        for k in range(nn):
            fa[k] = fb[k]
        nf = nn


@njit(cache=True, nogil=True)
def _needed(
    nb, pc, pc2, istart, ilen, ostart, olen, x, bound, hops, need, wst, wd, wd2, run, fa, fb
):
    """Flag in ``need[i, j]`` the shortcuts in-neighbour ``i`` -> out-neighbour ``j`` of ``x``
    that contracting ``x`` would add (no witness of up to ``hops`` arcs, not a loop, within
    ``bound``). Returns (their number, the last witness run stamp used)."""
    si = istart[x]
    so = ostart[x]
    n_short = 0
    for i in range(ilen[x]):
        a = nb[si + i]
        lim = -1.0
        for j in range(olen[x]):
            c = pc[si + i] + pc[so + j]
            need[i, j] = nb[so + j] != a and c <= bound
            if need[i, j] and c > lim:
                lim = c
        if lim < 0.0:
            continue
        run += 1
        # the last arc of a witness is looked up backwards, from b's in-list: a few entries,
        # where going forwards would scan every arc of the widest frontier
        back = 2 if hops >= 3 else 1
        _witness_hops(nb, pc, pc2, ostart, olen, a, x, lim, hops - back, wst, wd, wd2, run, fa, fb)
        for j in range(olen[x]):
            if not need[i, j]:
                continue
            b = nb[so + j]
            c = pc[si + i] + pc[so + j]
            c2 = pc2[si + i] + pc2[so + j]
            if wst[b] == run and (wd[b] < c or (wd[b] == c and wd2[b] <= c2)):
                need[i, j] = False
                continue
            for k in range(istart[b], istart[b] + ilen[b]):
                u = nb[k]
                if u == x:
                    continue
                if wst[u] == run:
                    d = wd[u] + pc[k]
                    if d < c or (d == c and wd2[u] + pc2[k] <= c2):
                        need[i, j] = False
                        break
                if back < 2 or pc[k] > c:
                    continue
                for q in range(istart[u], istart[u] + ilen[u]):
                    w = nb[q]
                    if w == x or wst[w] != run:
                        continue
                    d = wd[w] + pc[q] + pc[k]
                    if d < c or (d == c and wd2[w] + pc2[q] + pc2[k] <= c2):
                        need[i, j] = False
                        break
                if not need[i, j]:
                    break
            if need[i, j]:
                n_short += 1
    return n_short, run


@njit(cache=True, nogil=True)
def _n_neighbours(nb, istart, ilen, ostart, olen, x):
    """Number of distinct neighbours of ``x`` (in or out)."""
    k = olen[x]
    so = ostart[x]
    for i in range(istart[x], istart[x] + ilen[x]):
        a = nb[i]
        new = True
        for j in range(so, so + olen[x]):
            if nb[j] == a:
                new = False
                break
        k += new
    return k


@njit(cache=True, nogil=True)
def contract(
    indptr, head, cost, cost2, keep, bound, thresholds, max_product, witness_hops, min_junctions
):  # fmt: skip
    """Contract the nodes not flagged in ``keep``.

    ``thresholds`` are the passes: in pass ``p`` a node is contracted when the shortcuts it adds
    minus the arcs it removes is ``<= thresholds[p]`` and in-degree x out-degree ``<=
    max_product``. Shortcuts and down arcs costing more than ``bound`` are not added (no search
    bounded by ``bound`` could use them). With ``witness_hops > 0`` a shortcut ``a -> b`` is
    not added either when a path from ``a`` to ``b`` of at most ``witness_hops`` arcs avoids the
    contracted node and is no worse on ``(cost, cost2)`` (a *witness*); only the shortcuts still
    needed count against the threshold. ``0``: every shortcut is added.

    Witnesses are only looked for when at least ``min_junctions`` of the nodes to contract are
    *junctions* (3 or more distinct neighbours, counted once the arcs are read): dead ends and
    chains go without them anyway, and where they are most of the graph the core is small without
    witnesses, which then only lengthen the contraction. ``0``: whenever ``witness_hops > 0``.

    Returns ``(core_of, core_nodes, c_indptr, c_head, c_cost, c_cost2, d_tail, d_head, d_cost,
    d_cost2, order)``: ``core_of[v]`` is v's id in the core graph (-1 if contracted),
    ``core_nodes`` the original ids of the core nodes (ascending), the core graph in CSR over core
    ids, the down arcs ``d_tail -> d_head`` in ORIGINAL ids (contracted nodes only as heads), and
    ``order``, the contracted nodes in the order they were contracted (:func:`levels` makes the
    sweep's levels from it).
    """
    n = indptr.shape[0] - 1
    # per-node counts as int32 (a node has far fewer than 2**31 arcs): 4 bytes a node less each
    outdeg = np.zeros(n, np.int32)
    indeg = np.zeros(n, np.int32)
    for u in range(n):
        for a in range(indptr[u], indptr[u + 1]):
            v = head[a]
            if v != u:
                outdeg[u] += 1
                indeg[v] += 1
    # pool of adjacency blocks: out-list and in-list per node, room to grow by 2 each
    ostart = np.empty(n, np.int64)
    ocap = np.empty(n, np.int32)
    olen = np.zeros(n, np.int32)
    istart = np.empty(n, np.int64)
    icap = np.empty(n, np.int32)
    ilen = np.zeros(n, np.int32)
    top = 0
    for u in range(n):
        ostart[u] = top
        ocap[u] = outdeg[u] + 2
        top += ocap[u]
        istart[u] = top
        icap[u] = indeg[u] + 2
        top += icap[u]
    size = max(1024, top + top // 2)
    nb = np.empty(size, head.dtype)
    pc = np.empty(size, np.float64)
    pc2 = np.empty(size, np.float64)
    for u in range(n):
        for a in range(indptr[u], indptr[u + 1]):
            v = head[a]
            if v == u:
                continue
            c = cost[a]
            c2 = cost2[a]
            # out-list of u: merge parallel arcs
            s = ostart[u]
            found = False
            for i in range(s, s + olen[u]):
                if nb[i] == v:
                    found = True
                    if c < pc[i] or (c == pc[i] and c2 < pc2[i]):
                        pc[i] = c
                        pc2[i] = c2
                        _set_cost(nb, pc, pc2, istart, ilen, v, u, c, c2)  # mirror in v's in-list
                    break
            if found:
                continue
            i = s + olen[u]
            nb[i] = v
            pc[i] = c
            pc2[i] = c2
            olen[u] += 1
            j = istart[v] + ilen[v]
            nb[j] = u
            pc[j] = c
            pc2[j] = c2
            ilen[v] += 1

    removed = np.zeros(n, np.bool_)
    order = np.empty(n, np.int64)  # the contracted nodes, in contraction order
    nrank = 0
    d_tail = np.empty(max(1024, n), head.dtype)
    d_head = np.empty(max(1024, n), head.dtype)
    d_cost = np.empty(max(1024, n), np.float64)
    d_cost2 = np.empty(max(1024, n), np.float64)
    nd = 0
    tmp_in = np.empty(_MAX_LIST, head.dtype)
    tmp_out = np.empty(_MAX_LIST, head.dtype)
    in_c = np.empty(64, np.float64)
    in_c2 = np.empty(64, np.float64)
    out_c = np.empty(64, np.float64)
    out_c2 = np.empty(64, np.float64)
    need = np.zeros((_MAX_LIST, _MAX_LIST), np.bool_)
    wst = np.zeros(n, np.int64)
    wd = np.empty(n, np.float64)
    wd2 = np.empty(n, np.float64)
    fa = np.empty(4096, head.dtype)
    fb = np.empty(4096, head.dtype)
    wrun = np.int64(0)  # (not a literal 0: one compiled _needed)
    # the last shortcuts-minus-arcs count of each node, and whether its neighbours changed since:
    # a node that failed a threshold is only looked at again when it could pass now (a choice of
    # order only; the shortcuts of a contraction are always worked out afresh)
    diff = np.full(n, _STALE, np.int32)
    hops = witness_hops
    if hops > 0 and min_junctions > 0.0:
        n_free = 0
        n_junction = 0
        for x in range(n):
            if not keep[x]:
                n_free += 1
                n_junction += _n_neighbours(nb, istart, ilen, ostart, olen, x) >= 3
        if n_junction < min_junctions * n_free:
            hops = 0
    for p in range(thresholds.shape[0]):
        thr = thresholds[p]
        # the pool and the down arcs grow here, outside the loop over the nodes (see _append):
        # that loop stops before a node whose contraction might not fit, and goes on from it
        x0 = 0
        grow_to = np.int64(0)  # (not a literal 0: one compiled _ensure)
        while x0 < n:
            if grow_to > nb.shape[0]:
                nb, pc, pc2 = _ensure(nb, pc, pc2, grow_to)
            while nd + _MAX_LIST > d_tail.shape[0]:
                d_tail = grow(d_tail)
                d_head = grow(d_head)
                d_cost = grow(d_cost)
                d_cost2 = grow(d_cost2)
            x_next = n
            for x in range(x0, n):
                if removed[x] or keep[x] or diff[x] > thr:
                    continue
                ni = ilen[x]
                no = olen[x]
                if ni * no > max_product or ni > _MAX_LIST or no > _MAX_LIST:
                    continue
                hub = False
                for i in range(istart[x], istart[x] + ni):
                    a = nb[i]
                    hub = hub or olen[a] > _MAX_SCAN or ilen[a] > _MAX_SCAN
                for j in range(ostart[x], ostart[x] + no):
                    b = nb[j]
                    hub = hub or olen[b] > _MAX_SCAN or ilen[b] > _MAX_SCAN
                if hub:
                    continue
                common = 0
                si = istart[x]
                so = ostart[x]
                for i in range(si, si + ni):
                    a = nb[i]
                    for j in range(so, so + no):
                        if nb[j] == a:
                            common += 1
                            break
                n_short = ni * no - common
                if hops > 0:
                    n_short, wrun = _needed(nb, pc, pc2, istart, ilen, ostart, olen, x, bound,
                                            hops, need, wst, wd, wd2, wrun, fa, fb)  # fmt: skip
                if n_short - ni - no > thr:
                    diff[x] = n_short - ni - no
                    continue
                room = top + (ni + no) * _ROOM_PER_NEIGHBOUR
                if room > nb.shape[0] or nd + ni > d_tail.shape[0]:
                    grow_to = room
                    x_next = x  # grow the arrays, then contract x
                    break
                # copy x's lists, then detach x from its neighbours
                for i in range(ni):
                    tmp_in[i] = nb[si + i]
                    in_c[i] = pc[si + i]
                    in_c2[i] = pc2[si + i]
                for j in range(no):
                    tmp_out[j] = nb[so + j]
                    out_c[j] = pc[so + j]
                    out_c2[j] = pc2[so + j]
                for i in range(ni):
                    _remove(nb, pc, pc2, ostart, olen, tmp_in[i], x)
                    diff[tmp_in[i]] = _STALE
                for j in range(no):
                    _remove(nb, pc, pc2, istart, ilen, tmp_out[j], x)
                    diff[tmp_out[j]] = _STALE
                ilen[x] = 0
                olen[x] = 0
                removed[x] = True
                order[nrank] = x
                nrank += 1
                # down arcs a -> x
                for i in range(ni):
                    if in_c[i] > bound:
                        continue
                    d_tail[nd] = tmp_in[i]
                    d_head[nd] = x
                    d_cost[nd] = in_c[i]
                    d_cost2[nd] = in_c2[i]
                    nd += 1
                # shortcuts a -> b
                for i in range(ni):
                    a = tmp_in[i]
                    for j in range(no):
                        b = tmp_out[j]
                        if a == b or (hops > 0 and not need[i, j]):
                            continue
                        c = in_c[i] + out_c[j]
                        if c > bound:
                            continue
                        c2 = in_c2[i] + out_c2[j]
                        s = ostart[a]
                        hit = -1
                        for k in range(s, s + olen[a]):
                            if nb[k] == b:
                                hit = k
                                break
                        if hit >= 0:
                            if c < pc[hit] or (c == pc[hit] and c2 < pc2[hit]):
                                pc[hit] = c
                                pc2[hit] = c2
                                _set_cost(nb, pc, pc2, istart, ilen, b, a, c, c2)
                            continue
                        # append to a's out-list and b's in-list (a full block moves to the pool's end)
                        top = _append(nb, pc, pc2, ostart, olen, ocap, top, a, b, c, c2)
                        top = _append(nb, pc, pc2, istart, ilen, icap, top, b, a, c, c2)

            x0 = x_next

    # core graph over core ids (original order kept, so locality is kept)
    core_of = np.full(n, -1, np.int64)
    nc = 0
    for u in range(n):
        if not removed[u]:
            core_of[u] = nc
            nc += 1
    core_nodes = np.empty(nc, np.int64)
    c_indptr = np.zeros(nc + 1, indptr.dtype)
    mc = 0
    for u in range(n):
        if not removed[u]:
            cu = core_of[u]
            core_nodes[cu] = u
            mc += olen[u]
            c_indptr[cu + 1] = mc
    c_head = np.empty(mc, head.dtype)
    c_cost = np.empty(mc, np.float64)
    c_cost2 = np.empty(mc, np.float64)
    for cu in range(nc):
        u = core_nodes[cu]
        s = ostart[u]
        k = c_indptr[cu]
        for i in range(olen[u]):
            c_head[k + i] = core_of[nb[s + i]]
            c_cost[k + i] = pc[s + i]
            c_cost2[k + i] = pc2[s + i]
    return (
        core_of,
        core_nodes,
        c_indptr,
        c_head,
        c_cost,
        c_cost2,
        d_tail[:nd].copy(),
        d_head[:nd].copy(),
        d_cost[:nd].copy(),
        d_cost2[:nd].copy(),
        order[:nrank].copy(),
    )


@njit(cache=True, nogil=True)
def junctions(indptr, head, keep):
    """``(nodes not in keep, those of them with 3 or more distinct neighbours)``: the count
    :func:`contract` makes for ``min_junctions``, for a graph contracted in parts (one decision
    for all of them)."""
    n = indptr.shape[0] - 1
    rptr = np.zeros(n + 1, np.int64)
    for a in range(indptr[n]):
        rptr[head[a] + 1] += 1
    for u in range(n):
        rptr[u + 1] += rptr[u]
    pos = rptr[:-1].copy()
    rtail = np.empty(indptr[n], head.dtype)
    for u in range(n):
        for a in range(indptr[u], indptr[u + 1]):
            rtail[pos[head[a]]] = u
            pos[head[a]] += 1
    mark = np.full(n, -1, np.int64)
    n_free = 0
    n_junction = 0
    for u in range(n):
        if keep[u]:
            continue
        n_free += 1
        k = 0
        mark[u] = u  # self-loops are no neighbours
        for a in range(indptr[u], indptr[u + 1]):
            if mark[head[a]] != u:
                mark[head[a]] = u
                k += 1
        for a in range(rptr[u], rptr[u + 1]):
            if mark[rtail[a]] != u:
                mark[rtail[a]] = u
                k += 1
        n_junction += k >= 3
    return n_free, n_junction


@njit(cache=True, nogil=True)
def levels(n, order, d_tail, d_head):
    """The level of each of ``n`` nodes from a contraction ``order`` (the contracted nodes, first
    contracted first) and its down arcs ``d_tail -> d_head``: 0 for the nodes not in ``order``
    (the core); a contracted node sits one below the lowest of its down arcs' tails, so every
    down arc goes from a higher level to a lower one. Each tail is contracted after its heads
    (or not at all), so going through ``order`` backwards meets every tail before its heads."""
    nd = d_tail.shape[0]
    level = np.zeros(n, np.int64)
    # down arcs grouped by head
    cnt = np.zeros(n + 1, np.int64)
    for e in range(nd):
        cnt[d_head[e] + 1] += 1
    for u in range(n):
        cnt[u + 1] += cnt[u]
    pos = cnt[:-1].copy()
    by_head = np.empty(nd, np.int64)
    for e in range(nd):
        h = d_head[e]
        by_head[pos[h]] = e
        pos[h] += 1
    for r in range(order.shape[0] - 1, -1, -1):
        x = order[r]
        lv = 0
        for k in range(cnt[x], cnt[x + 1]):
            t = level[d_tail[by_head[k]]]
            if t < lv:
                lv = t
        level[x] = lv - 1
    return level


@njit(cache=True, nogil=True)
def down_csr(n, d_tail, d_head, d_cost):
    """The down arcs as CSR over original node ids (grouped by tail): ``(ptr, head, cost)``. The
    sweep carries no secondary cost, so ``d_cost2`` is not needed here."""
    ptr = np.zeros(n + 1, np.int64)
    for e in range(d_tail.shape[0]):
        ptr[d_tail[e] + 1] += 1
    for u in range(n):
        ptr[u + 1] += ptr[u]
    pos = ptr[:-1].copy()
    hd = np.empty(d_tail.shape[0], d_head.dtype)
    c = np.empty(d_tail.shape[0], np.float64)
    for e in range(d_tail.shape[0]):
        k = pos[d_tail[e]]
        hd[k] = d_head[e]
        c[k] = d_cost[e]
        pos[d_tail[e]] += 1
    return ptr, hd, c


@njit(cache=True, nogil=True)
def level_slots(level):
    """Offsets of each level's slot range in a per-search stack (level ``-l`` at
    ``ptr[l]:ptr[l + 1]``)."""
    n_levels = 1 - level.min() if level.shape[0] > 0 else 1
    ptr = np.zeros(n_levels + 1, np.int64)
    for x in range(level.shape[0]):
        ptr[1 - level[x]] += 1
    for lv in range(n_levels):
        ptr[lv + 1] += ptr[lv]
    return ptr
