"""Repairs of a road layer before it is split into edges: dangling ends joined to the line they
stop short of (T-junctions), and lines crossing without a shared vertex found (and split)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import shapely

from .._arrays import unique_sorted
from .boxes import crossing_segment_pairs, lines_near_points, vertex_within
from .topology import HeldVertices, line_ends, pair_keys, vertices

__all__ = ["crossing_candidates", "crossings", "join_t_junctions", "segments"]

#: Line ends from which the T-junction candidates at shared junctions are dropped in the grid's
#: kernel (``lines_near_points(off_vertices=True)``; the same pairs remain either way).
_OFF_VERTICES_MIN_ENDS = 100_000


def join_t_junctions(
    geoms: np.ndarray,
    tol: float,
    held: HeldVertices | None = None,
    *,
    segs: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None,
) -> tuple[np.ndarray, int]:
    """Move dangling line ends that lie within ``tol`` of another line's interior onto that line,
    inserting a vertex there so the two lines can be split at the junction.

    The vertices are taken out of ``held`` when it holds them, and put back when no line moved
    (the lines are then returned as given). ``segs`` are :func:`segments` of the lines when the
    caller has them (only read).
    """
    if tol <= 0 or len(geoms) < 2:
        return geoms, 0
    coords, cidx, starts, ends = line_ends(geoms, held)
    ends_xy = np.concatenate([starts, ends])
    owner = np.concatenate([np.arange(len(geoms)), np.arange(len(geoms))])
    which = np.concatenate([np.zeros(len(geoms), int), np.full(len(geoms), -1)])
    cand = np.arange(len(ends_xy))
    # lines with a segment whose box comes within tol of an end (cheap, on a grid), then the
    # exact distance test only for pairs not already joined
    hit_pt, hit_line = lines_near_points(
        ends_xy,
        tol,
        owner,
        *(segments(coords, cidx) if segs is None else segs),
        # the pairs at shared junctions are dropped below in any case: on large layers, in the
        # grid's kernel (on small ones the test below is quick and no kernel need compile)
        off_vertices=len(ends_xy) >= _OFF_VERTICES_MIN_ENDS,
    )
    # an end within tol of a vertex of a line is already joined to THAT line (decided per
    # (end, line): two side roads meeting on a through road's interior join each other AND it);
    # most ends touch only the lines that share their junction
    first = np.r_[np.searchsorted(cidx, np.arange(len(geoms))), len(coords)]
    keep = ~vertex_within(ends_xy, tol, hit_pt, hit_line, coords, first)
    hit_pt, hit_line = hit_pt[keep], hit_line[keep]
    # points only for the few candidate ends, not for every line end
    pts = shapely.points(ends_xy[hit_pt])
    keep = shapely.dwithin(pts, geoms[hit_line], tol)
    hit_pt, hit_line, pts = hit_pt[keep], hit_line[keep], pts[keep]
    if len(hit_pt) == 0:
        if held is not None:
            held[:] = [coords, cidx]  # the lines are unchanged: their vertices serve the next step
        return geoms, 0
    # one target per dangling end: the nearest line (ties: lowest index)
    d = shapely.distance(pts, geoms[hit_line])
    order = np.lexsort((hit_line, d, hit_pt))
    _, firsts = np.unique(hit_pt[order], return_index=True)
    sel = order[firsts]
    hit_pt, hit_line, pts = hit_pt[sel], hit_line[sel], pts[sel]
    geoms = geoms.copy()
    inserts: dict[int, list[float]] = {}
    moved: dict[tuple[int, int], np.ndarray] = {}
    for p, line, pt in zip(hit_pt, hit_line, pts, strict=True):
        end_i = cand[p]
        dist = float(shapely.line_locate_point(geoms[line], pt))
        inserts.setdefault(int(line), []).append(dist)
        proj = shapely.get_coordinates(shapely.line_interpolate_point(geoms[line], dist))[0]
        moved[(int(owner[end_i]), int(which[end_i]))] = proj
    for line, dists in inserts.items():
        geoms[line] = _insert_vertices(geoms[line], sorted(dists))
    for (line, pos), xy in moved.items():
        c = shapely.get_coordinates(geoms[line]).copy()
        c[pos] = xy
        geoms[line] = shapely.linestrings(c)
    return geoms, len(moved)


def segments(coords: np.ndarray, line_of: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The segments of lines given by their vertices (``coords``, the line of each, in line
    order): first and last points (new ``(n, 2)`` arrays) and the line of each segment.

    Examples
    --------
    >>> import numpy as np
    >>> p0, p1, line = segments(np.array([[0.0, 0], [1, 0], [2, 0], [5, 5], [6, 5]]),
    ...                         np.array([0, 0, 0, 1, 1]))
    >>> p0[:, 0].tolist(), p1[:, 0].tolist(), line.tolist()
    ([0.0, 1.0, 5.0], [1.0, 2.0, 6.0], [0, 0, 1])
    """
    seg = np.flatnonzero(line_of[1:] == line_of[:-1])
    return np.take(coords, seg, axis=0), np.take(coords, seg + 1, axis=0), line_of[seg]


def crossing_candidates(
    geoms: np.ndarray,
    held: HeldVertices | None = None,
    *,
    segs: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Pairs of lines ``a < b`` that may meet somewhere other than at a vertex both share.

    Segment by segment: two segments whose boxes are apart cannot meet, and two segments that
    share an end point and are not collinear meet only there (a vertex of both lines, which is
    never a crossing to report). Every other pair of lines is kept, so the exact predicates run
    on this superset and the result is the same as over all pairs; on road layers, where lines
    meet at shared vertices, it removes nearly every pair. The vertices are taken out of
    ``held`` when it holds them; ``segs`` (:func:`segments` of the lines) are used instead when
    given.
    """
    p0, p1, sl = segments(*vertices(geoms, held)) if segs is None else segs
    a, b = crossing_segment_pairs(p0, p1, sl)
    del p0, p1, sl
    pairs = unique_sorted(pair_keys(a, b, len(geoms)))
    n = np.int64(max(len(geoms), 1))
    return pairs // n, pairs % n


def crossings(
    geoms: np.ndarray,
    *,
    split: bool,
    held: HeldVertices | None = None,
    segs: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None,
) -> tuple[np.ndarray, int]:
    """Find lines that cross without a shared vertex (bridges, or digitising without nodes).

    With ``split``, a vertex is inserted into both lines at each such crossing so they are joined
    there; otherwise they are only counted (bridges and underpasses must not become junctions).
    The vertices are taken out of ``held`` when it holds them, unless ``segs`` (:func:`segments`
    of the lines) are given. Only reads its inputs, so with ``split=False`` it may run on
    another thread while the lines are used.
    """
    if len(geoms) < 2:
        return geoms, 0
    a, b = crossing_candidates(geoms, held, segs=segs)
    keep = shapely.crosses(geoms[a], geoms[b])
    a, b = a[keep], b[keep]
    if len(a) == 0:
        return geoms, 0
    inter = shapely.intersection(geoms[a], geoms[b])
    parts, pidx = shapely.get_parts(inter, return_index=True)
    is_pt = shapely.get_type_id(parts) == 0
    parts, pidx = parts[is_pt], pidx[is_pt]
    pxy = np.round(shapely.get_coordinates(parts), 6)
    la, lb = a[pidx], b[pidx]
    # the vertices of the lines involved only (not of the whole layer)
    involved = unique_sorted(np.r_[la, lb])
    coords, line_of = shapely.get_coordinates(geoms[involved], return_index=True)
    vkeys = pd.MultiIndex.from_arrays([involved[line_of], *np.round(coords, 6).T])
    in_a = pd.MultiIndex.from_arrays([la, pxy[:, 0], pxy[:, 1]]).isin(vkeys)
    in_b = pd.MultiIndex.from_arrays([lb, pxy[:, 0], pxy[:, 1]]).isin(vkeys)
    new = ~(in_a & in_b)
    n_new = int(new.sum())
    if not split or n_new == 0:
        return geoms, n_new
    geoms = geoms.copy()
    inserts: dict[int, list[float]] = {}
    for line, pt in zip(np.r_[la[new], lb[new]], np.r_[parts[new], parts[new]], strict=True):
        inserts.setdefault(int(line), []).append(float(shapely.line_locate_point(geoms[line], pt)))
    for line, dists in inserts.items():
        geoms[line] = _insert_vertices(geoms[line], sorted(dists))
    return geoms, n_new


def _insert_vertices(line: shapely.LineString, dists: list[float]) -> shapely.LineString:
    c = shapely.get_coordinates(line)
    seg = np.hypot(*np.diff(c, axis=0).T)
    cum = np.concatenate([[0.0], np.cumsum(seg)])
    out = [c[0]]
    j = 0
    for i in range(1, len(c)):
        while j < len(dists) and dists[j] < cum[i]:
            if dists[j] > cum[i - 1]:
                f = (dists[j] - cum[i - 1]) / seg[i - 1]
                out.append(c[i - 1] + f * (c[i] - c[i - 1]))
            j += 1
        out.append(c[i])
    return shapely.linestrings(np.asarray(out))
