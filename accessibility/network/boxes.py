"""Pairs of boxes that meet, found on a uniform grid (numba), for the repairs of a road layer.

The repairs ask which segments' boxes meet other segments' boxes (crossings) and which lines pass
within the tolerance of a line end (T-junctions). A GEOS ``STRtree`` answers that with a geometry
per box, which at a million roads costs more than everything else the builder does; here the boxes
are plain coordinate arrays, hashed into the cells of a uniform grid (cell keys sorted once), and
each query box looks only at the cells it covers. A pair whose boxes share several cells is
reported once: in the cell holding the lower-left corner of the boxes' intersection.

Boxes meet when they intersect or touch (``lo_a <= hi_b`` and ``lo_b <= hi_a`` on both axes), as
GEOS envelopes do.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from .._arrays import unique_sorted

__all__ = ["crossing_segment_pairs", "lines_near_points", "point_pairs_within", "vertex_within"]


_CHUNK = 1 << 16  # query boxes per kernel call: bounds the memory of the raw pairs


class _Grid:
    """Item boxes in the cells of a uniform grid: cell ``cx * ny + cy`` holds
    ``items[starts[c]:starts[c + 1]]``.

    The items are held in the order of the cell of their lower-left corner (``order[k]`` is the
    caller's item at position ``k``; ``lo``, ``hi`` and the item ids the grid reports are in this
    order): the boxes of one cell and of the cells around it then lie together in memory, which
    on a layer whose rows are in no spatial order makes the search several times faster. Queries
    go fastest in the same order (:meth:`order_of`).
    """

    def __init__(self, lo: np.ndarray, hi: np.ndarray, qlo: np.ndarray, qhi: np.ndarray) -> None:
        x0 = min(float(lo[:, 0].min()), float(qlo[:, 0].min()))
        y0 = min(float(lo[:, 1].min()), float(qlo[:, 1].min()))
        width = max(float(hi[:, 0].max()), float(qhi[:, 0].max())) - x0
        height = max(float(hi[:, 1].max()), float(qhi[:, 1].max())) - y0
        n = len(lo) + len(qlo)
        side = np.maximum(hi[:, 0] - lo[:, 0], hi[:, 1] - lo[:, 1])
        # about the size of a typical box, and no more cells than boxes
        cell = max(
            float(np.median(side)), float(np.sqrt(width * height / n)), (width + height) / n, 1e-9
        )
        self.x0, self.y0, self.inv = x0, y0, 1.0 / cell
        self.nx = int(np.floor(width * self.inv)) + 1
        self.ny = int(np.floor(height * self.inv)) + 1
        self.order = self.order_of(lo)
        # np.take: a row gather of an (n, 2) array, several times faster than lo[order]
        self.lo, self.hi = np.take(lo, self.order, axis=0), np.take(hi, self.order, axis=0)
        self.starts, self.items = _index(self.lo, self.hi, x0, y0, self.inv, self.nx, self.ny)

    def order_of(self, lo: np.ndarray) -> np.ndarray:
        """The boxes with lower-left corners ``lo`` in the order of the cell of that corner
        (ties in input order): a permutation."""
        return _cell_order(lo, self.x0, self.y0, self.inv, self.nx, self.ny)

    def pairs(
        self,
        qlo: np.ndarray,
        qhi: np.ndarray,
        span: tuple[int, int],
        keys: tuple[np.ndarray, np.ndarray],
        ordered: bool,
    ) -> tuple[np.ndarray, np.ndarray]:
        """``(query, item)`` pairs, ``span[0] <= query < span[1]``, whose boxes meet, each once,
        of query and item keys ``qkey[query] < ikey[item]`` (``ordered``) or ``!=``."""
        return _pairs(
            qlo, qhi, span[0], span[1], self.lo, self.hi, self.starts, self.items,
            self.x0, self.y0, self.inv, self.ny, keys[0], keys[1], ordered,
        )  # fmt: skip


@njit(cache=True, nogil=True)
def _cell(v, v0, inv):
    return np.int64(np.floor((v - v0) * inv))


@njit(cache=True, nogil=True)
def _cell_order(lo, x0, y0, inv, nx, ny):
    """Counting sort of boxes by the cell of their lower-left corner: the permutation."""
    count = np.zeros(nx * ny + 1, np.int64)
    for i in range(lo.shape[0]):
        count[_cell(lo[i, 0], x0, inv) * ny + _cell(lo[i, 1], y0, inv) + 1] += 1
    for c in range(nx * ny):
        count[c + 1] += count[c]
    out = np.empty(lo.shape[0], np.int64)
    for i in range(lo.shape[0]):
        c = _cell(lo[i, 0], x0, inv) * ny + _cell(lo[i, 1], y0, inv)
        out[count[c]] = i
        count[c] += 1
    return out


@njit(cache=True, nogil=True)
def _index(lo, hi, x0, y0, inv, nx, ny):
    """Counting sort of the item boxes into the cells they cover: (starts, items)."""
    starts = np.zeros(nx * ny + 1, np.int64)
    items = np.empty(0, np.int64)
    for fill in range(2):  # count, then place
        for i in range(lo.shape[0]):
            cx0, cx1 = _cell(lo[i, 0], x0, inv), _cell(hi[i, 0], x0, inv)
            cy0, cy1 = _cell(lo[i, 1], y0, inv), _cell(hi[i, 1], y0, inv)
            for cx in range(cx0, cx1 + 1):
                for cy in range(cy0, cy1 + 1):
                    c = cx * ny + cy
                    if fill:
                        items[starts[c]] = i
                    starts[c] += 1  # counts into starts[c]; when filling, the next free slot
        if not fill:
            # starts[c] = the first slot of cell c, its count moved to the end
            total = 0
            for c in range(nx * ny + 1):
                total, starts[c] = total + starts[c], total
            items = np.empty(total, np.int64)
    # filling moved each start to the next cell's start: shift back
    for c in range(nx * ny, 0, -1):
        starts[c] = starts[c - 1]
    starts[0] = 0
    return starts, items


@njit(cache=True, nogil=True)
def _pairs(qlo, qhi, start, stop, lo, hi, starts, items, x0, y0, inv, ny, qkey, ikey, ordered):
    # written for a short compile: 1-D outputs, one test per condition group
    a = np.empty(1024, np.int64)
    b = np.empty(1024, np.int64)
    n = 0
    for q in range(start, stop):
        cx0, cx1 = _cell(qlo[q, 0], x0, inv), _cell(qhi[q, 0], x0, inv)
        cy0, cy1 = _cell(qlo[q, 1], y0, inv), _cell(qhi[q, 1], y0, inv)
        for cx in range(cx0, cx1 + 1):
            for cy in range(cy0, cy1 + 1):
                c = cx * ny + cy
                for k in range(starts[c], starts[c + 1]):
                    t = items[k]
                    d = qkey[q] - ikey[t]
                    if d == 0 or (ordered and d > 0):
                        continue
                    if (
                        qlo[q, 0] > hi[t, 0]
                        or lo[t, 0] > qhi[q, 0]
                        or qlo[q, 1] > hi[t, 1]
                        or lo[t, 1] > qhi[q, 1]
                    ):
                        continue
                    # reported in one cell only: the one with the intersection's lower-left corner
                    if (
                        _cell(max(qlo[q, 0], lo[t, 0]), x0, inv) != cx
                        or _cell(max(qlo[q, 1], lo[t, 1]), y0, inv) != cy
                    ):
                        continue
                    if n == a.shape[0]:
                        a = np.concatenate((a, a))
                        b = np.concatenate((b, b))
                    a[n] = q
                    b[n] = t
                    n += 1
    return a[:n], b[:n]


@njit(cache=True, nogil=True)
def _keep_crossing(p0, p1, s, t):
    """Rows ``(s, t)`` of segments that may meet other than at a shared end point."""
    keep = np.zeros(s.shape[0], np.bool_)
    for k in range(s.shape[0]):
        keep[k] = not _meet_only_at_shared_end(p0, p1, s[k], t[k])
    return keep


@njit(cache=True, nogil=True)
def _meet_only_at_shared_end(p0, p1, s, t):
    """Segments ``s`` and ``t`` share an end point P and are clearly not collinear (far above
    rounding), so they meet only at P. The first shared end in the order (s's first, s's last) x
    (t's first, t's last) decides."""
    for es in range(2):
        for et in range(2):
            ps = p0 if es == 0 else p1
            qs = p1 if es == 0 else p0
            pt = p0 if et == 0 else p1
            rt = p1 if et == 0 else p0
            if ps[s, 0] == pt[t, 0] and ps[s, 1] == pt[t, 1]:
                d1x = qs[s, 0] - ps[s, 0]
                d1y = qs[s, 1] - ps[s, 1]
                d2x = rt[t, 0] - ps[s, 0]
                d2y = rt[t, 1] - ps[s, 1]
                cross = d1x * d2y - d1y * d2x
                scale = np.hypot(d1x, d1y) * np.hypot(d2x, d2y)
                return abs(cross) > 1e-9 * scale
    return False


def crossing_segment_pairs(
    p0: np.ndarray, p1: np.ndarray, line: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Pairs of lines ``(a, b)``, ``a < b``, with a segment each whose boxes meet, except pairs of
    segments that share an end point and are clearly not collinear (they meet only there).

    ``p0``, ``p1`` are the segments' end points (``(n, 2)`` float arrays), ``line`` the line of
    each segment. A pair of lines comes once per pair of its segments that qualifies (not
    deduplicated).

    Examples
    --------
    >>> import numpy as np
    >>> p0 = np.array([[0.0, 0.0], [1.0, -1.0], [5.0, 5.0]])
    >>> p1 = np.array([[2.0, 0.0], [1.0, 1.0], [6.0, 6.0]])
    >>> a, b = crossing_segment_pairs(p0, p1, np.array([0, 1, 2]))
    >>> a.tolist(), b.tolist()
    ([0], [1])
    """
    p0 = np.ascontiguousarray(p0, dtype=np.float64)
    p1 = np.ascontiguousarray(p1, dtype=np.float64)
    line = np.ascontiguousarray(line, dtype=np.int64)
    if len(line) == 0:
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    lo, hi = np.minimum(p0, p1), np.maximum(p0, p1)
    grid = _Grid(lo, hi, lo, hi)
    # segments (queries and items alike) in the grid's order; the lines they report are the same
    lo, hi, line = grid.lo, grid.hi, line[grid.order]
    p0, p1 = np.take(p0, grid.order, axis=0), np.take(p1, grid.order, axis=0)
    a, b = [], []
    for start in range(0, len(lo), _CHUNK):
        s, t = grid.pairs(lo, hi, (start, min(start + _CHUNK, len(lo))), (line, line), True)
        keep = _keep_crossing(p0, p1, s, t)
        a.append(line[s[keep]])
        b.append(line[t[keep]])
    return np.concatenate(a), np.concatenate(b)


def lines_near_points(
    xy: np.ndarray,
    tol: float,
    owner: np.ndarray,
    p0: np.ndarray,
    p1: np.ndarray,
    seg_line: np.ndarray,
    *,
    off_vertices: bool = False,
) -> tuple[np.ndarray, np.ndarray]:
    """Pairs ``(point, line)``, distinct and sorted, where the box ``point ± tol`` meets the box of
    a segment of ``line``, other than the point's own line ``owner[point]``.

    A superset of the lines within ``tol`` of each point (test the distance on these). With
    ``off_vertices``, a segment whose first or last point lies within ``tol`` of the point
    (squared distance ``<= tol**2``, as :func:`vertex_within`) does not report it: for a caller
    that drops the pairs whose point is within ``tol`` of a vertex of the line, the same pairs
    remain, without the many at shared junctions.

    Examples
    --------
    >>> import numpy as np
    >>> xy = np.array([[1.0, 0.5], [9.0, 9.0]])
    >>> p0, p1 = np.array([[0.0, 0.0], [0.0, 3.0]]), np.array([[2.0, 0.0], [2.0, 3.0]])
    >>> pt, line = lines_near_points(xy, 1.0, np.array([5, 6]), p0, p1, np.array([0, 1]))
    >>> pt.tolist(), line.tolist()
    ([0], [0])
    """
    xy = np.ascontiguousarray(xy, dtype=np.float64)
    if len(xy) == 0 or len(p0) == 0:
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    lo = np.asarray(np.minimum(p0, p1), dtype=np.float64)  # no copy of float64 boxes
    hi = np.asarray(np.maximum(p0, p1), dtype=np.float64)
    qlo, qhi = xy - tol, xy + tol
    grid = _Grid(lo, hi, qlo, qhi)
    n = np.int64(max(int(seg_line.max()) + 1, 1))
    seg_line = np.ascontiguousarray(seg_line, dtype=np.int64)[grid.order]
    # the points in the grid's order too
    qorder = grid.order_of(qlo)
    qlo, qhi = np.take(qlo, qorder, axis=0), np.take(qhi, qorder, axis=0)
    owner = np.ascontiguousarray(owner, dtype=np.int64)[qorder]
    if off_vertices:
        p0 = np.ascontiguousarray(p0, dtype=np.float64)
        p1 = np.ascontiguousarray(p1, dtype=np.float64)
    tol2 = float(tol) * float(tol)
    keys = []
    for start in range(0, len(xy), _CHUNK):
        span = (start, min(start + _CHUNK, len(xy)))
        pt, seg = grid.pairs(qlo, qhi, span, (owner, seg_line), False)
        if off_vertices:
            keep = _off_ends(xy, qorder, p0, p1, grid.order, pt, seg, tol2)
            pt, seg = pt[keep], seg[keep]
        keys.append(unique_sorted(qorder[pt] * n + seg_line[seg]))
    key = unique_sorted(np.concatenate(keys))
    return key // n, key % n


@njit(cache=True, nogil=True)
def _off_ends(xy, qorder, p0, p1, order, pt, seg, tol2):
    """Rows ``(pt, seg)`` (grid positions) whose point is farther than ``sqrt(tol2)`` from both
    ends of the segment."""
    keep = np.empty(pt.shape[0], np.bool_)
    for k in range(pt.shape[0]):
        p = qorder[pt[k]]
        s = order[seg[k]]
        dx = xy[p, 0] - p0[s, 0]
        dy = xy[p, 1] - p0[s, 1]
        near = dx * dx + dy * dy <= tol2
        dx = xy[p, 0] - p1[s, 0]
        dy = xy[p, 1] - p1[s, 1]
        keep[k] = not (near or dx * dx + dy * dy <= tol2)
    return keep


def point_pairs_within(xy: np.ndarray, tol: float) -> np.ndarray:
    """Pairs ``i < j`` of points no farther apart than ``tol`` (squared distance ``<= tol**2``,
    as SciPy's ``cKDTree.query_pairs`` decides it), as an ``(n, 2)`` array in no set order.

    Examples
    --------
    >>> import numpy as np
    >>> point_pairs_within(np.array([[0.0, 0.0], [3.0, 4.0], [9.0, 9.0]]), 5.0).tolist()
    [[0, 1]]
    """
    xy = np.ascontiguousarray(xy, dtype=np.float64)
    if len(xy) < 2:
        return np.zeros((0, 2), np.int64)
    grid = _Grid(xy, xy, xy - tol, xy + tol)
    # points (queries and items alike) in the grid's order; ``ids`` are their input positions
    xy, ids = grid.lo, grid.order
    qlo, qhi = xy - tol, xy + tol
    tol2 = float(tol) * float(tol)
    out = []
    for start in range(0, len(xy), _CHUNK):
        i, j = grid.pairs(qlo, qhi, (start, min(start + _CHUNK, len(xy))), (ids, ids), True)
        d = np.take(xy, i, axis=0) - np.take(xy, j, axis=0)
        near = d[:, 0] * d[:, 0] + d[:, 1] * d[:, 1] <= tol2
        out.append(np.stack([ids[i[near]], ids[j[near]]], axis=1))
    return np.concatenate(out)


@njit(cache=True, nogil=True)
def _vertex_within(xy, tol2, pt, line, coords, first):
    out = np.zeros(pt.shape[0], np.bool_)
    for k in range(pt.shape[0]):
        p = pt[k]
        for v in range(first[line[k]], first[line[k] + 1]):
            dx = xy[p, 0] - coords[v, 0]
            dy = xy[p, 1] - coords[v, 1]
            if dx * dx + dy * dy <= tol2:
                out[k] = True
                break
    return out


def vertex_within(
    xy: np.ndarray,
    tol: float,
    pt: np.ndarray,
    line: np.ndarray,
    coords: np.ndarray,
    first: np.ndarray,
) -> np.ndarray:
    """For each pair ``(pt[k], line[k])``: whether a vertex of ``line`` lies within ``tol`` of
    point ``xy[pt]`` (squared distance ``<= tol**2``, as SciPy's ``cKDTree`` decides it).

    ``coords`` are all lines' vertices in line order, ``first`` the position of each line's first
    vertex (and the total count last).

    Examples
    --------
    >>> import numpy as np
    >>> coords = np.array([[0.0, 0.0], [2.0, 0.0], [5.0, 5.0], [6.0, 5.0]])
    >>> first = np.array([0, 2, 4])
    >>> xy = np.array([[2.0, 1.0]])
    >>> vertex_within(xy, 1.0, np.array([0, 0]), np.array([0, 1]), coords, first).tolist()
    [True, False]
    """
    return _vertex_within(
        np.ascontiguousarray(xy, dtype=np.float64),
        float(tol) * float(tol),
        np.ascontiguousarray(pt, dtype=np.int64),
        np.ascontiguousarray(line, dtype=np.int64),
        np.ascontiguousarray(coords, dtype=np.float64),
        np.ascontiguousarray(first, dtype=np.int64),
    )
