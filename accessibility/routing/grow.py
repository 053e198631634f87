"""Growing the kernels' arrays (numba): one helper for every heap and output buffer."""

from __future__ import annotations

import numpy as np
from numba import njit

__all__ = ["grow", "resized"]


@njit(cache=True, nogil=True)
def resized(a, n, cap):
    """A new array of length ``cap`` whose first ``n`` entries are ``a[:n]``.

    An explicit loop, not ``new[:n] = a[:n]``: numba's slice assignment between arrays compiles
    a shape check whose error message formats strings, about two seconds of compilation on a
    fresh install for a copy."""
    new = np.empty(cap, a.dtype)
    for i in range(n):
        new[i] = a[i]
    return new


@njit(cache=True, nogil=True)
def grow(a):
    """``a`` in an array of twice the length (the first ``len(a)`` entries copied)."""
    return resized(a, a.shape[0], 2 * a.shape[0])
