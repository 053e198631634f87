"""The one priority queue of the compiled kernels: a 4-ary min-heap with lazy deletion (numba).

The heap lives in arrays the calling kernel owns (keys ``hk``, secondary keys ``hk2``, values
``hv``), with its size kept by the caller; these functions only move entries. Entries are ordered
lexicographically on ``(key, value)`` (:func:`push` / :func:`pop`) or ``(key, key2, value)``
(:func:`push2` / :func:`pop2`), so the order in which equal keys leave the heap is fixed by the
values and results never depend on the heap's history. The caller keeps room for one more entry
before a push (see :func:`accessibility.routing.grow.grow`).

Every function is inlined into its caller by numba (``inline="always"``, at the level of numba's
IR), so the kernels run as if the heap were written out in each of them: calling the same
functions without inlining measured 1.4-2x slower (see docs/architecture.md for the figures).

Why 4-ary and separate arrays: half the depth of a binary heap, the four children of an entry
share a cache line, and comparisons touch only the keys; on 1M-node road graphs this is the
fastest layout measured for both the single-source and the multi-source searches.

Examples
--------
>>> import numpy as np
>>> hk, hv = np.empty(8), np.empty(8, np.int64)
>>> size = 0
>>> for key, value in ((3.0, 30), (1.0, 10), (2.0, 21), (2.0, 20)):
...     size = push(hk, hv, size, key, value)
>>> out = []
>>> while size:
...     key, value, size = pop(hk, hv, size)
...     out.append((key, int(value)))
>>> out
[(1.0, 10), (2.0, 20), (2.0, 21), (3.0, 30)]
"""

from __future__ import annotations

from numba import njit

__all__ = ["pop", "pop2", "push", "push2"]


@njit(cache=True, nogil=True, inline="always")
def push(hk, hv, size, key, value):  # pragma: no cover - compiled
    """Add ``(key, value)`` to the heap of ``size`` entries (room for one more); return the new
    size."""
    i = size
    while i > 0:
        p = (i - 1) >> 2
        pk = hk[p]
        if key < pk or (key == pk and value < hv[p]):
            hk[i] = pk
            hv[i] = hv[p]
            i = p
        else:
            break
    hk[i] = key
    hv[i] = value
    return size + 1


@njit(cache=True, nogil=True, inline="always")
def pop(hk, hv, size):  # pragma: no cover - compiled
    """Remove the smallest entry of a heap of ``size > 0`` entries; return ``(key, value, new
    size)``."""
    key = hk[0]
    value = hv[0]
    size -= 1
    if size > 0:
        lk = hk[size]
        lv = hv[size]
        i = 0
        while True:
            c = 4 * i + 1
            if c >= size:
                break
            e = min(c + 4, size)
            b = c
            bk = hk[c]
            for j in range(c + 1, e):
                jk = hk[j]
                if jk < bk or (jk == bk and hv[j] < hv[b]):
                    b = j
                    bk = jk
            if bk < lk or (bk == lk and hv[b] < lv):
                hk[i] = bk
                hv[i] = hv[b]
                i = b
            else:
                break
        hk[i] = lk
        hv[i] = lv
    return key, value, size


@njit(cache=True, nogil=True, inline="always")
def push2(hk, hk2, hv, size, key, key2, value):  # pragma: no cover - compiled
    """:func:`push` ordered on ``(key, key2, value)``."""
    i = size
    while i > 0:
        p = (i - 1) >> 2
        pk = hk[p]
        if key < pk or (
            key == pk and (key2 < hk2[p] or (key2 == hk2[p] and value < hv[p]))
        ):  # fmt: skip
            hk[i] = pk
            hk2[i] = hk2[p]
            hv[i] = hv[p]
            i = p
        else:
            break
    hk[i] = key
    hk2[i] = key2
    hv[i] = value
    return size + 1


@njit(cache=True, nogil=True, inline="always")
def pop2(hk, hk2, hv, size):  # pragma: no cover - compiled
    """:func:`pop` ordered on ``(key, key2, value)``; returns ``(key, key2, value, new
    size)``."""
    key = hk[0]
    key2 = hk2[0]
    value = hv[0]
    size -= 1
    if size > 0:
        lk = hk[size]
        lk2 = hk2[size]
        lv = hv[size]
        i = 0
        while True:
            c = 4 * i + 1
            if c >= size:
                break
            e = min(c + 4, size)
            b = c
            bk = hk[c]
            for j in range(c + 1, e):
                jk = hk[j]
                if jk < bk or (
                    jk == bk and (hk2[j] < hk2[b] or (hk2[j] == hk2[b] and hv[j] < hv[b]))
                ):  # fmt: skip
                    b = j
                    bk = jk
            if bk < lk or (bk == lk and (hk2[b] < lk2 or (hk2[b] == lk2 and hv[b] < lv))):
                hk[i] = bk
                hk2[i] = hk2[b]
                hv[i] = hv[b]
                i = b
            else:
                break
        hk[i] = lk
        hk2[i] = lk2
        hv[i] = lv
    return key, key2, value, size
