"""The compiled search of the raster package: multi-source Dijkstra on a grid graph (numba).

The grid is implicit (cell ``r * ncols + c``, moves given as row/column offsets), so nothing is
built per run. The priority queue is the binary heap of :mod:`accessibility.routing.heap` (keys
``hk``, cells ``hv``, lazy deletion, inlined). Compiled on first call, cached on disk by numba; the
module is imported only when a travel-time surface is computed.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from ..routing.heap import binary_pop, binary_push


@njit(cache=True, nogil=True)
def grid_dijkstra(
    fric, elev, exempt, use_elev, dr, dc, dist, src, max_cost, reverse
):  # pragma: no cover - compiled
    """Multi-source Dijkstra on the implicit grid graph; returns (cost, source label) per cell."""
    nrows, ncols = fric.shape
    n = nrows * ncols
    nk = dr.shape[0]
    cost = np.full(n, np.inf)
    label = np.full(n, -1, np.int32)
    done = np.zeros(n, np.bool_)
    cap = max(1024, 2 * src.shape[0] + n // 2)
    hk = np.empty(cap, np.float64)
    hv = np.empty(cap, np.int64)
    size = 0
    for i in range(src.shape[0]):
        s = src[i]
        if cost[s] > 0.0:
            cost[s] = 0.0
            label[s] = i
            hk[size] = 0.0  # every key is 0 here: appending keeps the heap order
            hv[size] = s
            size += 1
    while size > 0:
        key, v, size = binary_pop(hk, hv, size)
        if done[v] or key > cost[v]:
            continue
        done[v] = True
        r = v // ncols
        c = v - r * ncols
        fa = fric[r, c]
        if size + nk > cap:
            cap *= 2
            hk2 = np.empty(cap, np.float64)
            hv2 = np.empty(cap, np.int64)
            hk2[:size] = hk[:size]
            hv2[:size] = hv[:size]
            hk = hk2
            hv = hv2
        for j in range(nk):
            r2 = r + dr[j]
            c2 = c + dc[j]
            if r2 < 0 or r2 >= nrows or c2 < 0 or c2 >= ncols:
                continue
            w = r2 * ncols + c2
            if done[w]:
                continue
            fb = fric[r2, c2]
            if fb == np.inf:
                continue
            d = dist[r, j]
            adr = abs(dr[j])
            adc = abs(dc[j])
            if adr + adc == 3:
                # knight move: it crosses two more cells, which must be passable
                if adr == 1:
                    sc = 1 if dc[j] > 0 else -1
                    f1 = fric[r, c + sc]
                    f2 = fric[r2, c + sc]
                else:
                    sr = 1 if dr[j] > 0 else -1
                    f1 = fric[r + sr, c]
                    f2 = fric[r + sr, c2]
                if f1 == np.inf or f2 == np.inf:
                    continue
                t = d * (fa + fb + f1 + f2) * 0.25
            else:
                t = d * (fa + fb) * 0.5
            if use_elev and not (exempt[r, c] and exempt[r2, c2]):
                za = elev[r, c]
                zb = elev[r2, c2]
                if za == za and zb == zb:
                    s = (zb - za) / d
                    if reverse:
                        s = -s
                    # time scales with 1 / (Tobler speed relative to flat ground)
                    t *= np.exp(3.5 * (abs(s + 0.05) - 0.05))
            nc = key + t
            if nc < cost[w] and nc <= max_cost:
                cost[w] = nc
                label[w] = label[v]
                size = binary_push(hk, hv, size, nc, w)
    return cost.reshape(nrows, ncols), label.reshape(nrows, ncols)
