"""Growing the kernels' arrays (numba): one helper for every heap and output buffer."""

from __future__ import annotations

import numpy as np
from numba import njit

__all__ = ["grow"]


@njit(cache=True, nogil=True)
def grow(a):
    """``a`` in an array of twice the length (the first ``len(a)`` entries copied)."""
    new = np.empty(2 * a.shape[0], a.dtype)
    new[: a.shape[0]] = a
    return new
