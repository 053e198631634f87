"""Reordering long pair tables in linear time (numba).

A many-to-many search from destinations returns pairs sorted by destination, then origin; a cost
table is sorted by origin, then destination. A stable counting sort on the origin turns one into
the other in one pass, where a general sort of tens of millions of rows takes seconds.

Examples
--------
>>> import numpy as np
>>> counting_order(np.array([2, 0, 2, 1, 0]), 3).tolist()
[1, 4, 3, 0, 2]
"""

from __future__ import annotations

import numpy as np
from numba import njit

__all__ = ["counting_order"]


@njit(cache=True, nogil=True)
def _counting_order(keys, n_keys):
    counts = np.zeros(n_keys + 1, np.int64)
    for i in range(keys.shape[0]):
        counts[keys[i] + 1] += 1
    for k in range(n_keys):
        counts[k + 1] += counts[k]
    out = np.empty(keys.shape[0], np.int64)
    for i in range(keys.shape[0]):
        k = keys[i]
        out[counts[k]] = i
        counts[k] += 1
    return out


def counting_order(keys: np.ndarray, n_keys: int) -> np.ndarray:
    """The stable sorting permutation of integer ``keys`` in ``0..n_keys-1`` (linear time).

    Equal keys keep their input order, so pairs sorted by ``(b, a)`` come out sorted by
    ``(a, b)`` when ordered by ``a``.
    """
    keys = np.ascontiguousarray(keys, dtype=np.int64)
    if keys.size and (keys.min() < 0 or keys.max() >= n_keys):
        raise ValueError(f"keys must lie in 0..{n_keys - 1}")
    return _counting_order(keys, int(n_keys))
