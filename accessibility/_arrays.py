"""Small array helpers shared by the network builder, the routing drivers and the measures.

Examples
--------
>>> import numpy as np
>>> unique_sorted(np.array([5, 1, 5, 3])).tolist()
[1, 3, 5]
"""

from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
import functools
import threading
from collections.abc import Iterator

import numpy as np

__all__ = ["pair_keys", "release_free_memory", "short_lived_arrays", "unique_sorted"]


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


def pair_keys(a: np.ndarray, b: np.ndarray, n_b: int) -> np.ndarray:
    """One int64 key per pair ``(a, b)``, ``0 <= b < n_b``, for fast membership tests and
    duplicate checks (made in int64 before the product: ``a`` may be int8 to int32 codes, and
    NumPy 1.x keeps a narrow array's type for a product with a scalar that fits it).

    >>> pair_keys(np.array([0, 2], np.int8), np.array([1, 0]), 1000).tolist()
    [1, 2000]
    """
    key = a.astype(np.int64) * max(n_b, 1)
    key += b
    return key


def unique_sorted(values: np.ndarray) -> np.ndarray:
    """``np.unique(values)`` of a 1-D array by one sort: numpy 2's hash-based ``unique`` takes
    seconds on millions of int64 keys where a sort takes a tenth of a second."""
    a = np.sort(np.asarray(values).ravel())
    if a.size == 0:
        return a
    return a[np.r_[True, a[1:] != a[:-1]]]


_hint_lock = threading.Lock()
_hint_users = [0, True]  # steps inside short_lived_arrays, and NumPy's hint before the first


def _hugepage_setter() -> object:
    """NumPy's ``_set_madvise_hugepage`` (returns the previous setting), or None."""
    for core in ("_core", "core"):  # NumPy 2, then 1.x (which may also have a ``_core`` stub)
        multiarray = getattr(getattr(np, core, None), "multiarray", None)
        setter = getattr(multiarray, "_set_madvise_hugepage", None)
        if setter is not None:
            return setter
    return None


@contextlib.contextmanager
def short_lived_arrays() -> Iterator[None]:
    """NumPy's transparent-huge-page hint off while a step makes many large, short-lived arrays.

    On Linux NumPy asks the kernel for 2 MB pages (``madvise(MADV_HUGEPAGE)``) for every array
    of 4 MB or more. For an array made, read once and freed that buys little and costs a fresh
    huge page each time, which is expensive on virtual machines that hand free memory back to
    their host (free page reporting, as on this project's benchmark machines); the network
    builders and ``travel_costs`` make hundreds of such arrays (``docs/routing.md``, "Huge
    pages"; ``python bench/bench_user_path.py --huge-pages-ab 5`` times both ways). The hint is
    restored when the last step using this leaves it (it is one setting per process; threads
    share it). Does nothing where NumPy has no such setting.

    Examples
    --------
    >>> with short_lived_arrays():
    ...     a = np.ones(1_000_000)
    """
    setter = _hugepage_setter()
    if setter is None:
        yield
        return
    with _hint_lock:
        if _hint_users[0] == 0:
            _hint_users[1] = bool(setter(False))  # type: ignore[operator]
        _hint_users[0] += 1
    try:
        yield
    finally:
        with _hint_lock:
            _hint_users[0] -= 1
            if _hint_users[0] == 0:
                setter(_hint_users[1])  # type: ignore[operator]
