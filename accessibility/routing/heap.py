"""The priority queue of every compiled search: min-heaps with lazy deletion (numba).

The heap lives in arrays the calling kernel owns (keys ``hk``, secondary keys ``hk2``, values
``hv``), with its size kept by the caller; these functions only move entries, and the caller keeps
room for one more entry before a push (:func:`accessibility.routing.grow.grow`).

* :func:`push` / :func:`pop`: 4-ary, ordered on ``(key, value)``; :func:`push2` / :func:`pop2`:
  4-ary, ordered on ``(key, key2, value)``. Used by the network searches (``routing.search``,
  ``routing.labels``). 4-ary: half the depth of a binary heap and the four children of an entry
  share a cache line; separate arrays: comparisons touch only the keys.
* :func:`binary_push` / :func:`binary_pop`: binary, ordered on the key alone; the raster search's
  queue (its heap holds up to half the grid, where the binary heap measured faster, and its tie
  order decides which source a cell on an exact tie is labelled with, so it is kept as it was).

Every function is inlined into its caller by numba (``inline="always"``, at the level of numba's
IR). :func:`pop` returns only the new size: the caller reads ``hk[0]``, ``hv[0]`` first (a pop
returning the popped entry as a tuple measured 10-20 % slower in ``nearest_one``). In the
single-source searches (``routing.search._search1`` / ``_search2``) even that inlined pop
measured 1.5x / 1.08x slower than the same lines written in the kernel (CPU time, 300k-node
road graph, 40 sources, side-by-side run documented in docs/architecture.md), so
those two kernels keep their pop written out and use :func:`push` / :func:`push2` only.

Examples
--------
>>> import numpy as np
>>> hk, hv = np.empty(8), np.empty(8, np.int64)
>>> size = 0
>>> for key, value in ((3.0, 30), (1.0, 10), (2.0, 21), (2.0, 20)):
...     size = push(hk, hv, size, key, value)
>>> out = []
>>> while size:
...     out.append((float(hk[0]), int(hv[0])))
...     size = pop(hk, hv, size)
>>> out
[(1.0, 10), (2.0, 20), (2.0, 21), (3.0, 30)]
"""

from __future__ import annotations

from numba import njit

__all__ = ["binary_pop", "binary_push", "pop", "pop2", "push", "push2"]


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
    """Remove the smallest entry (``hk[0]``, ``hv[0]``, which the caller reads first) of a heap
    of ``size > 0`` entries; return the new size."""
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
    return size


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
    """:func:`pop` ordered on ``(key, key2, value)``."""
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
    return size


@njit(cache=True, nogil=True, inline="always")
def binary_push(hk, hv, size, key, value):  # pragma: no cover - compiled
    """Push ``(key, value)`` onto a binary heap ordered on the key alone (ties in the order the
    heap gives them; the raster search's queue); return the new size."""
    i = size
    while i > 0:
        p = (i - 1) >> 1
        if hk[p] <= key:
            break
        hk[i] = hk[p]
        hv[i] = hv[p]
        i = p
    hk[i] = key
    hv[i] = value
    return size + 1


@njit(cache=True, nogil=True, inline="always")
def binary_pop(hk, hv, size):  # pragma: no cover - compiled
    """Pop the smallest key of a :func:`binary_push` heap; return ``(key, value, new size)``."""
    key = hk[0]
    value = hv[0]
    size -= 1
    lk = hk[size]
    lv = hv[size]
    i = 0
    while True:
        ch = 2 * i + 1
        if ch >= size:
            break
        if ch + 1 < size and hk[ch + 1] < hk[ch]:
            ch += 1
        if hk[ch] >= lk:
            break
        hk[i] = hk[ch]
        hv[i] = hv[ch]
        i = ch
    if size > 0:
        hk[i] = lk
        hv[i] = lv
    return key, value, size
