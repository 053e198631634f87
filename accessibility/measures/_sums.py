"""The two weighted sums of the floating-catchment measures in one compiled pass each
(internal; used for large tables, see :func:`accessibility.measures.fca`).

They equal ``np.bincount`` over the same products bit for bit: they run in row order, as
``bincount``'s do, and each product is the same single multiplication.
"""

from __future__ import annotations

import numpy as np
from numba import njit, types

#: int32 codes, as :func:`accessibility.measures._table.prepare` makes them (writable arrays are
#: taken too)
_IN_INT = types.Array(types.int32, 1, "C", readonly=True)
_IN = types.Array(types.float64, 1, "C", readonly=True)
_OUT = types.Array(types.float64, 1, "C")


@njit(
    types.void(_IN_INT, _IN_INT, _IN, _IN, _IN, types.float64, _IN, _IN, _OUT, _OUT),
    cache=True,
    nogil=True,
)
def fca_sums(o, d, w, w2, cost, limit, demand, supply, ratio, access):
    """Step 1, the supply-to-demand ratio of each facility (``ratio``, 0 where the weighted
    demand is 0 or below the smallest normal float), and step 2, the accessibility of each
    village (``access``): ``sum_i demand[o] w`` per facility, then ``sum_j ratio[d] w2`` per
    village. ``ratio`` and ``access`` must hold zeros.

    With ``w`` empty the weights are a step decay's, made on the fly from ``cost`` (``w`` and
    ``w2`` are 1.0 where ``cost <= limit``, else 0.0: the same numbers as the step decay's
    weights, without an array of them); else ``cost`` and ``limit`` are not read."""
    tiny = np.finfo(np.float64).tiny
    step = w.size == 0
    if step:
        for i in range(o.size):
            ratio[d[i]] += demand[o[i]] * (1.0 if cost[i] <= limit else 0.0)
    else:
        for i in range(o.size):
            ratio[d[i]] += demand[o[i]] * w[i]
    for j in range(ratio.size):
        served = ratio[j]
        ratio[j] = supply[j] / served if served >= tiny else 0.0
    if step:
        for i in range(o.size):
            access[o[i]] += ratio[d[i]] * (1.0 if cost[i] <= limit else 0.0)
    else:
        for i in range(o.size):
            access[o[i]] += ratio[d[i]] * w2[i]
