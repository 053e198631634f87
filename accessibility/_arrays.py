"""Small array helpers shared by the network builder, the routing drivers and the measures.

Examples
--------
>>> import numpy as np
>>> unique_sorted(np.array([5, 1, 5, 3])).tolist()
[1, 3, 5]
"""

from __future__ import annotations

import ctypes
import ctypes.util
import functools

import numpy as np

__all__ = ["release_free_memory", "unique_sorted"]


@functools.cache
def _malloc_trim() -> object:
    """glibc's ``malloc_trim``, or None on other C libraries (macOS, Windows, musl)."""
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        trim = libc.malloc_trim
    except (OSError, AttributeError):
        return None
    trim.argtypes = [ctypes.c_size_t]
    trim.restype = ctypes.c_int
    return trim


def release_free_memory() -> None:
    """Hand memory freed inside the C heap back to the system (glibc ``malloc_trim``).

    The routing threads' output buffers (a few MB each) live in per-thread malloc arenas: when
    they are freed the memory stays in the process (and in its resident size) until trimmed,
    however many hundred MB of them there are. Does nothing where ``malloc_trim`` is missing.
    """
    trim = _malloc_trim()
    if trim is not None:
        trim(0)  # type: ignore[operator]


def unique_sorted(values: np.ndarray) -> np.ndarray:
    """``np.unique(values)`` of a 1-D array by one sort: numpy 2's hash-based ``unique`` takes
    seconds on millions of int64 keys where a sort takes a tenth of a second."""
    a = np.sort(np.asarray(values).ravel())
    if a.size == 0:
        return a
    return a[np.r_[True, a[1:] != a[:-1]]]
