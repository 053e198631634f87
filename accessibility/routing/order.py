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

from concurrent.futures import ThreadPoolExecutor

import numpy as np
from numba import njit

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
def _scatter(key, other, cost, cost2, k0, k1, nxt, out_key, out_other, out_cost, out_cost2):
    """Rows with ``k0 <= key < k1`` to their slots ``nxt[key]`` (advanced)."""
    for i in range(key.shape[0]):
        k = key[i]
        if k < k0 or k >= k1:
            continue
        j = nxt[k]
        nxt[k] = j + 1
        out_key[j] = k
        out_other[j] = other[i]
        out_cost[j] = cost[i]
        out_cost2[j] = cost2[i]


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
    and one gather per column. ``n_jobs`` threads each fill the rows of a range of keys.
    ``parts`` is emptied. The id columns come back as int32 when every id fits.

    ``extra``: more rows (the same columns; no ``(key, other)`` pair of theirs among the pieces')
    merged in among the rows of their key by the other column, in which the pieces' rows of each
    key must then increase (as when the pieces come sorted by the other column, then the key).
    """
    other = "target" if key == "source" else "source"
    counts = np.zeros(n_keys + 1, np.int64)
    top, low = n_keys, 0
    if extra is not None:
        order = np.lexsort((extra[other], extra[key]))
        extra = {c: np.asarray(extra[c])[order] for c in (key, other, "cost", "cost2")}
        parts = [*parts, extra]  # (counted and checked with the pieces; placed last)
    for p in parts:
        k = p[key]
        if k.size and (k.min() < 0 or k.max() >= n_keys):
            raise ValueError(f"keys must lie in 0..{n_keys - 1}")
        counts[1:] += np.bincount(k, minlength=n_keys)
        if p[other].size:
            top = max(top, int(p[other].max()) + 1)
            low = min(low, int(p[other].min()))
    np.cumsum(counts, out=counts)
    m = int(counts[-1])
    ids = np.int32 if top < 2**31 and low >= 0 else np.int64
    out = {
        key: np.empty(m, ids),
        other: np.empty(m, ids),
        "cost": np.empty(m, np.float64),
        "cost2": np.empty(m, np.float64),
    }
    nxt = counts[:-1].copy()
    cols = [
        tuple(
            np.ascontiguousarray(p[c], t)
            for c, t in (
                (key, np.int64),
                (other, np.int64),
                ("cost", np.float64),
                ("cost2", np.float64),
            )
        )
        for p in parts
    ]
    if extra is not None:
        extra_cols = cols.pop()
        parts.pop()
    parts.clear()
    # key ranges of about equal rows, one per thread
    n_jobs = max(1, min(int(n_jobs), n_keys))
    cuts = np.searchsorted(counts, np.linspace(0, m, n_jobs + 1)[1:-1]).tolist()
    ranges = list(zip([0, *cuts], [*cuts, n_keys], strict=True))

    def fill(r: tuple[int, int]) -> None:
        for ck, co, cc, cc2 in cols:
            _scatter(
                ck, co, cc, cc2, r[0], r[1], nxt, out[key], out[other], out["cost"], out["cost2"]
            )

    if len(ranges) == 1:
        fill(ranges[0])
    else:
        with ThreadPoolExecutor(max_workers=len(ranges)) as pool:
            list(pool.map(fill, ranges))
    if extra is not None:
        # the extra rows at the end of their key's rows, then those few keys' rows in order
        ek, eo, ec, ec2 = extra_cols
        _scatter(ek, eo, ec, ec2, 0, n_keys, nxt, out[key], out[other], out["cost"], out["cost2"])
        for k in np.unique(ek).tolist():
            seg = slice(int(counts[k]), int(counts[k + 1]))
            by = np.argsort(out[other][seg], kind="stable")
            for c in out.values():
                c[seg] = c[seg][by]
    return out
