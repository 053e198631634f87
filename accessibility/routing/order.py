"""Reordering long pair tables in linear time (numba).

A many-to-many search from destinations returns pairs sorted by destination, then origin; a cost
table is sorted by origin, then destination. A stable counting sort on the origin turns one into
the other in one pass, where a general sort of tens of millions of rows takes seconds.

Examples
--------
>>> import numpy as np
>>> counting_order(np.array([2, 0, 2, 1, 0]), 3).tolist()
[1, 4, 3, 0, 2]
>>> part = {"source": np.array([0, 0, 1]), "target": np.array([1, 0, 0]),
...         "cost": np.array([1.0, 2.0, 3.0]), "cost2": np.array([10.0, 20.0, 30.0])}
>>> out = regroup_pairs([part], "target", 2)
>>> out["target"].tolist(), out["source"].tolist(), out["cost"].tolist()
([0, 0, 1], [0, 1, 0], [2.0, 3.0, 1.0])
"""

from __future__ import annotations

import numpy as np
from numba import njit

from .._arrays import release_free_memory

__all__ = ["counting_order", "regroup_pairs"]


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


@njit(cache=True, nogil=True)
def _slots(keys, nxt, out):
    """Each row's slot in the regrouped table into ``out``: ``nxt[key]``, advanced (stable
    within a key)."""
    for i in range(keys.shape[0]):
        k = keys[i]
        out[i] = nxt[k]
        nxt[k] = nxt[k] + 1


def regroup_pairs(
    parts: list[dict[str, np.ndarray]],
    key: str,
    n_keys: int,
    n_jobs: int = 1,
    extra: dict[str, np.ndarray] | None = None,
) -> dict[str, np.ndarray]:
    """Pieces of a pair table (dicts of ``source``, ``target``, ``cost``, ``cost2`` arrays, as
    :func:`accessibility.routing.iter_many_to_many` yields them), concatenated and stably sorted
    by the column ``key`` (integers in ``0..n_keys-1``) in one pass: the same as concatenating
    them and ordering by :func:`counting_order`, without the concatenated copy, the order array
    and one gather per column. ``parts`` (and each piece's dict) is emptied: columns are released as
    soon as they are placed, so the pieces and the result are never both held in full (the
    peak is about that of the pieces). The id columns come back as int32 when every id
    fits. ``n_jobs`` is accepted for compatibility; the placement is one pass per column.

    ``extra``: more rows (the same columns; no ``(key, other)`` pair of theirs among the pieces')
    merged in among the rows of their key by the other column, in which the pieces' rows of each
    key must then increase (as when the pieces come sorted by the other column, then the key).
    """
    del n_jobs
    other = "target" if key == "source" else "source"
    counts = np.zeros(n_keys + 1, np.int64)
    top, low = n_keys, 0
    if extra is not None:
        order = np.lexsort((extra[other], extra[key]))
        extra = {c: np.asarray(extra[c])[order] for c in (key, other, "cost", "cost2")}
        parts.append(extra)  # (counted and checked with the pieces; placed last)
        extra_keys = np.unique(extra[key]).tolist()
    for p in parts:
        k = p[key]
        if k.size and (k.min() < 0 or k.max() >= n_keys):
            if extra is not None:
                parts.pop()
            raise ValueError(f"keys must lie in 0..{n_keys - 1}")
        counts[1:] += np.bincount(k, minlength=n_keys)
        if p[other].size:
            top = max(top, int(p[other].max()) + 1)
            low = min(low, int(p[other].min()))
    np.cumsum(counts, out=counts)
    m = int(counts[-1])
    ids = np.int32 if top < 2**31 and low >= 0 else np.int64
    # each piece's key column becomes its rows' slots (pieces in order: stable), then each
    # other column is placed piece by piece and released
    nxt = counts[:-1].copy()
    pieces = [{c: p.pop(c) for c in (other, "cost", "cost2")} for p in parts]
    slots = []  # (int32 when the table has fewer than 2**31 rows: 4 bytes a row less at peak)
    for p in parts:
        k = np.ascontiguousarray(p.pop(key), np.int64)
        slots.append(np.empty(k.shape[0], np.int32 if m < 2**31 else np.int64))
        _slots(k, nxt, slots[-1])
        del k
    parts.clear()
    release_free_memory()
    out: dict[str, np.ndarray] = {}
    for c, dtype in ((other, ids), ("cost", np.float64), ("cost2", np.float64)):
        col = np.empty(m, dtype)
        for s, piece in zip(slots, pieces, strict=True):
            col[s] = piece.pop(c)
        out[c] = col
        release_free_memory()
    del slots, pieces
    release_free_memory()
    out[key] = np.repeat(np.arange(n_keys, dtype=ids), np.diff(counts))
    if extra is not None:
        # the extra rows came last among their key's rows: sort those few keys' rows
        for k in extra_keys:
            seg = slice(int(counts[k]), int(counts[k + 1]))
            by = np.argsort(out[other][seg], kind="stable")
            for values in out.values():
                values[seg] = values[seg][by]
    return {c: out[c] for c in (key, other, "cost", "cost2")}
