"""The one priority queue of the routing kernels: a d-ary min-heap stored as separate arrays.

Every search kernel of :mod:`accessibility.routing` keeps its frontier in this heap. An entry is a
*key* -- a tuple of floats compared lexicographically, e.g. ``(cost,)``, ``(cost, cost2)`` or
``(cost, cost2, source)`` -- and a value (a node id). The keys live in a tuple of arrays, one array
per key component (``keys[q][i]`` is component ``q`` of entry ``i``), and the values in one more
array, so a comparison touches only the key arrays it needs (structure of arrays).

The heap has ``2 ** shift`` children per entry: ``shift=2`` (4-ary: half the depth of a binary
heap, the four children share a cache line) for the single-source searches, ``shift=1`` (binary)
for the multi-source searches whose heaps hold the fronts of many sources at once. Deletion is lazy:
the searches push a node again when its key improves and skip stale entries when they pop them.

The functions are inlined into the kernels that call them (``inline="always"``), so the tuple of
key arrays costs nothing at run time and ``shift`` becomes a constant. Ties are broken by position
only, deterministically, so results do not depend on anything but the input.

The caller owns capacity: it checks ``size < keys[0].shape[0]`` before :func:`push` and grows the
arrays with :func:`grow` (or restarts its search with larger arrays).

Note: numba's on-disk cache (``cache=True``) of a kernel is invalidated when the kernel's own source
file changes, not when this file does; after editing this file, delete the ``__pycache__`` folder
of this package (or touch the kernel files) before measuring.
"""

from __future__ import annotations

import numpy as np
from numba import njit

__all__ = ["grow", "pop", "push"]

_INLINE = {"inline": "always", "cache": True, "nogil": True}


@njit(**_INLINE)
def _key_before(key, keys, j):
    """Whether the key tuple ``key`` comes before entry ``j`` (lexicographic, strict)."""
    for q in range(len(key)):
        a = key[q]
        b = keys[q][j]
        if a < b:
            return True
        if a > b:
            return False
    return False


@njit(**_INLINE)
def _row_before(keys, i, j):
    """Whether entry ``i`` comes before entry ``j`` (lexicographic, strict)."""
    for q in range(len(keys)):
        a = keys[q][i]
        b = keys[q][j]
        if a < b:
            return True
        if a > b:
            return False
    return False


@njit(**_INLINE)
def _move(keys, values, src, dst):
    """Copy entry ``src`` to position ``dst``."""
    for q in range(len(keys)):
        keys[q][dst] = keys[q][src]
    values[dst] = values[src]


@njit(**_INLINE)
def push(keys, values, size, key, value, shift):
    """Insert ``(key, value)`` into the heap of ``size`` entries; returns the new size.

    ``keys`` is a tuple of arrays and ``key`` a tuple of as many floats; the arrays must have room
    for ``size + 1`` entries.
    """
    i = size
    while i > 0:
        p = (i - 1) >> shift
        if not _key_before(key, keys, p):
            break
        _move(keys, values, p, i)
        i = p
    for q in range(len(keys)):
        keys[q][i] = key[q]
    values[i] = value
    return size + 1


@njit(**_INLINE)
def pop(keys, values, size, shift):
    """Remove the first entry of the heap of ``size`` entries; returns the new size.

    Read the first entry (``keys[q][0]``, ``values[0]``) before calling. The last entry fills the
    hole: while it sinks, it stays at its old position ``size - 1``, outside the shrunk heap.
    """
    size -= 1
    if size == 0:
        return size
    i = 0
    while True:
        c = (i << shift) + 1
        if c >= size:
            break
        e = min(c + (1 << shift), size)
        b = c
        for j in range(c + 1, e):
            if _row_before(keys, j, b):
                b = j
        if not _row_before(keys, b, size):
            break
        _move(keys, values, b, i)
        i = b
    _move(keys, values, size, i)
    return size


@njit(cache=True, nogil=True)
def grow(a):
    """``a`` in an array of twice the length (the first ``len(a)`` entries copied)."""
    new = np.empty(2 * a.shape[0], a.dtype)
    new[: a.shape[0]] = a
    return new
