"""Small array helpers shared by the network builder, the routing drivers and the measures.

Examples
--------
>>> import numpy as np
>>> unique_sorted(np.array([5, 1, 5, 3])).tolist()
[1, 3, 5]
"""

from __future__ import annotations

import numpy as np

__all__ = ["unique_sorted"]


def unique_sorted(values: np.ndarray) -> np.ndarray:
    """``np.unique(values)`` of a 1-D array by one sort: numpy 2's hash-based ``unique`` takes
    seconds on millions of int64 keys where a sort takes a tenth of a second."""
    a = np.sort(np.asarray(values).ravel())
    if a.size == 0:
        return a
    return a[np.r_[True, a[1:] != a[:-1]]]
