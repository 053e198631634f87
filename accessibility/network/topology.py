"""Topology of a line layer: equal and near points, and lines split into edges at junctions."""

from __future__ import annotations

from typing import Any, TypeAlias

import numpy as np
import pandas as pd
import shapely
from numba import njit

from .._arrays import pair_keys
from .boxes import point_pairs_within

__all__ = [
    "HeldVertices",
    "cluster_points",
    "line_ends",
    "pair_keys",
    "split_lines",
    "strong_component_count",
    "unique_points",
    "vertices",
    "weak_components",
]


def unique_points(xy: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Distinct points of ``xy`` (``(n, 2)``), by one hash pass.

    Returns the index of each distinct point's first occurrence (distinct points in the order
    they first occur, so ``first`` is increasing) and, per point, the position of its distinct
    point: ``first[inverse]`` is the index of each point's first equal point. ``-0.0`` equals
    ``0.0``, as in comparisons.

    Examples
    --------
    >>> import numpy as np
    >>> first, inverse = unique_points(np.array([[1.0, 2.0], [0.0, 0.0], [1.0, 2.0], [-0.0, 0.0]]))
    >>> first.tolist(), inverse.tolist()
    ([0, 1], [0, 1, 0, 1])
    """
    n = len(xy)
    if n == 0:
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    xy = np.ascontiguousarray(xy, dtype=np.float64) + 0.0  # + 0.0 turns -0.0 into 0.0
    if n < 2**31 and np.isfinite(xy).all():
        # finite numbers are equal when their bits are: one pass of a hash table on the bits
        return _first_codes(xy.view(np.int64))
    # one complex number per point: pandas hashes it exactly (and NaN as missing)
    key = xy.view(np.complex128)
    inverse, _ = pd.factorize(key.ravel())
    inverse = inverse.astype(np.int64, copy=False)
    # codes number the distinct points in order of first occurrence: a point is new where its
    # code exceeds every code before it
    seen = np.maximum.accumulate(inverse)
    first = np.flatnonzero(np.r_[True, inverse[1:] > seen[:-1]])
    return first, inverse


@njit(cache=True, nogil=True)
def _first_codes(bits):
    """:func:`unique_points` of points given as the bits of their coordinates (``(n, 2)`` int64):
    an open-addressing hash table numbers the distinct rows in order of first occurrence."""
    n = bits.shape[0]
    size = 1
    while size < 2 * n:
        size *= 2
    mask = size - 1
    table = np.full(size, -1, np.int32)  # slot -> code of the row held there (n < 2**31)
    first = np.empty(n, np.int64)
    inverse = np.empty(n, np.int64)
    n_codes = 0
    for i in range(n):
        x = bits[i, 0]
        y = bits[i, 1]
        # mix both words (splitmix64 finaliser) into a slot
        h = np.uint64(x) ^ (np.uint64(y) * np.uint64(0x9E3779B97F4A7C15))
        h = (h ^ (h >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
        h = (h ^ (h >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
        h = h ^ (h >> np.uint64(31))
        slot = np.int64(h & np.uint64(mask))
        while True:
            code = table[slot]
            if code < 0:
                table[slot] = n_codes
                first[n_codes] = i
                inverse[i] = n_codes
                n_codes += 1
                break
            j = first[code]
            if bits[j, 0] == x and bits[j, 1] == y:
                inverse[i] = code
                break
            slot = (slot + 1) & mask
    return first[:n_codes].copy(), inverse


def cluster_points(
    xy: np.ndarray, tol: float, unique: tuple[np.ndarray, np.ndarray] | None = None
) -> np.ndarray:
    """Label points so that points closer than ``tol`` (transitively) share a label.

    Labels are the index of the cluster's first point, so they are deterministic. ``unique`` is
    :func:`unique_points` of ``xy`` when the caller has it already.
    """
    first, inverse = unique_points(xy) if unique is None else unique
    labels = first[inverse]
    if tol <= 0 or len(first) < 2:
        return labels
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import connected_components

    uniq = np.take(xy, first, axis=0)
    pairs = point_pairs_within(uniq, tol)
    if len(pairs) == 0:
        return labels
    n = len(uniq)
    mat = coo_matrix((np.ones(len(pairs)), (pairs[:, 0], pairs[:, 1])), shape=(n, n))
    _, comp = connected_components(mat, directed=False)
    # representative of each component: its smallest original point index
    rep = np.full(comp.max() + 1, np.iinfo(np.int64).max, dtype=np.int64)
    np.minimum.at(rep, comp, first)
    return rep[comp][inverse]


def line_ends(
    geoms: np.ndarray, held: HeldVertices | None = None
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """All vertices (``coords``, line of each) and each line's first and last vertex (the
    vertices taken out of ``held`` when it holds them)."""
    coords, line_of = vertices(geoms, held)
    start = np.searchsorted(line_of, np.arange(len(geoms)))
    end = np.r_[start[1:], len(coords)] - 1
    # np.take: a row gather, several times faster than coords[start]
    return coords, line_of, np.take(coords, start, axis=0), np.take(coords, end, axis=0)


#: The vertices of lines and the line of each, ``[xy, line_of]`` as ``shapely.get_coordinates(
#: lines, return_index=True)`` gives them, handed from step to step while the lines are unchanged
#: so that each step does not read them again. A step takes them out (the list is emptied, so the
#: step can free them when done) and may put them back; an empty list means "read them".
HeldVertices: TypeAlias = list[np.ndarray]


def vertices(geoms: np.ndarray, held: HeldVertices | None = None) -> tuple[np.ndarray, np.ndarray]:
    """``shapely.get_coordinates(geoms, return_index=True)``: taken out of ``held`` when it holds
    them (see :data:`HeldVertices`), else read."""
    if held:
        xy, line_of = held
        held.clear()
        return xy, line_of
    return shapely.get_coordinates(geoms, return_index=True)


def split_lines(
    geoms: np.ndarray,
    *,
    tol: float,
    vertex_keys: np.ndarray | None = None,
    held: HeldVertices | None = None,
) -> dict[str, Any]:
    """Split lines into edges at junctions.

    A vertex becomes a node when it is a line end or is shared (within ``tol``, or by equal
    ``vertex_keys`` such as OSM node ids) by two or more line vertices. The vertices are taken
    out of ``held`` when it holds them (and overwritten).
    """
    coords, line_of = vertices(geoms, held)
    n_snapped = 0
    if vertex_keys is None:
        first, inverse = unique_points(coords)
        keys = cluster_points(coords, tol, (first, inverse))
        if tol > 0:
            # clusters that merged different coordinates = endpoints / vertices snapped together:
            # every distinct coordinate is in one cluster, so this is (distinct coordinates) -
            # (clusters)
            n_snapped = int(len(first) - np.count_nonzero(np.bincount(keys, minlength=1)))
        del first, inverse
    else:
        keys = np.asarray(vertex_keys, dtype=np.int64)
    # drop consecutive repeated keys within a line (zero-length segments after snapping)
    same_line = line_of[1:] == line_of[:-1]
    dup = np.r_[False, same_line & (keys[1:] == keys[:-1])]
    n_dup_vertices = int(dup.sum())
    # lines that lost a vertex: their edges are not their own coordinates any more
    changed = np.zeros(len(geoms), np.bool_)
    if n_dup_vertices:
        changed[line_of[dup]] = True
        coords, line_of, keys = coords[~dup], line_of[~dup], keys[~dup]
        same_line = line_of[1:] == line_of[:-1]
    del dup
    n = len(keys)
    is_end = np.r_[~same_line, True]
    is_start = np.r_[True, ~same_line]
    del same_line
    _, inv, counts = _dense_unique(keys)
    del keys
    is_node = is_start | is_end | (counts[inv] >= 2)
    del counts
    # node coordinates: snapped vertices move to their key's representative:
    # the representative of each key: its lexicographically smallest vertex, so the junction's
    # position does not depend on the order of the input rows
    first_of_key = _smallest_vertex(inv, coords, int(inv.max()) + 1 if n else 0)
    pos = np.flatnonzero(is_node)
    node_at = np.take(coords, first_of_key[inv[pos]], axis=0)
    # a line whose end moved (bit for bit: -0.0 to 0.0 too) is not its own coordinates either
    was = np.take(coords, pos, axis=0).view(np.int64)
    bits = node_at.view(np.int64)
    moved = (bits[:, 0] != was[:, 0]) | (bits[:, 1] != was[:, 1])  # not .any(axis=1): slow
    del was, bits
    changed[line_of[pos[moved]]] = True
    coords[pos] = node_at
    del node_at, moved
    # edges between consecutive node vertices of the same line
    a, b = pos[:-1], pos[1:]
    ok = (line_of[a] == line_of[b]) & ~is_end[a]
    a, b = a[ok], b[ok]
    whole = is_start[a] & is_end[b]  # the edge is the whole line
    del ok, is_start, is_end, is_node
    edge_geoms = _edge_geometries(geoms, coords, line_of, a, b, whole & ~changed[line_of[a]])
    # compact node ids
    node_key_ids, node_idx, _ = _dense_unique(inv[pos])
    node_xy = np.take(coords, first_of_key[node_key_ids], axis=0)
    node_of_vertex = np.full(n, -1, dtype=np.int64)
    node_of_vertex[pos] = node_idx
    return {
        "node_xy": node_xy,
        "u": node_of_vertex[a],
        "v": node_of_vertex[b],
        "line": line_of[a],
        "geometry": edge_geoms,
        "n_endpoints_snapped": n_snapped,
        "n_duplicate_vertices_dropped": n_dup_vertices,
    }


def _dense_unique(values: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``np.unique(values, return_inverse=True, return_counts=True)`` of integer ``values``
    (inverse as int64); by counting when the values are small non-negative numbers (vertex
    positions), which takes no sort."""
    n = len(values)
    if n == 0 or values.min() < 0 or values.max() >= 4 * n + 1024:
        distinct, inverse, counts = np.unique(values, return_inverse=True, return_counts=True)
        return distinct, inverse.ravel().astype(np.int64, copy=False), counts
    counts = np.bincount(values)
    present = counts > 0
    rank = np.cumsum(present, dtype=np.int64) - 1
    return np.flatnonzero(present), rank[values], counts[present]


def _edge_geometries(
    geoms: np.ndarray,
    coords: np.ndarray,
    line_of: np.ndarray,
    a: np.ndarray,
    b: np.ndarray,
    same: np.ndarray,
) -> np.ndarray:
    """One line per edge ``(a, b)``: the input line itself where the edge is a whole line whose
    coordinates are unchanged (``same``) and that line is a plain 2-D LineString (no M, no SRID),
    which is what :func:`_edge_lines` would make of it; made from ``coords`` otherwise. Making
    the lines is the costliest part of a build; roads between two junctions need none."""
    same = same.copy()
    cand = np.flatnonzero(same)
    if len(cand):
        g = geoms[line_of[a[cand]]]
        plain = (shapely.get_type_id(g) == shapely.GeometryType.LINESTRING) & ~shapely.has_z(g)
        has_m = getattr(shapely, "has_m", None)  # shapely 2.1 and later read M coordinates
        if has_m is not None:
            plain &= ~has_m(g)
        plain &= shapely.get_srid(g) == 0
        same[cand[~plain]] = False
    out = np.empty(len(a), dtype=object)
    out[same] = geoms[line_of[a[same]]]
    made = ~same
    out[made] = _edge_lines(coords, a[made], b[made])
    return out


def _edge_lines(coords: np.ndarray, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """One line per pair ``(a, b)``: the vertices ``coords[a:b + 1]``."""
    sizes = b - a + 1
    offsets = np.zeros(len(a) + 1, np.int64)
    np.cumsum(sizes, out=offsets[1:])
    vidx = np.repeat(a - offsets[:-1], sizes)
    vidx += np.arange(offsets[-1])
    xy = np.take(coords, vidx, axis=0)  # row gather: several times faster than coords[vidx]
    return shapely.from_ragged_array(shapely.GeometryType.LINESTRING, xy, (offsets,))


@njit(cache=True, nogil=True)
def _smallest_vertex(key, coords, n_keys):
    """Per key, the position of its lexicographically smallest vertex (x, then y; ties: the
    first)."""
    best = np.full(n_keys, -1, np.int64)
    for i in range(key.shape[0]):
        b = best[key[i]]
        if (
            b < 0
            or coords[i, 0] < coords[b, 0]
            or (coords[i, 0] == coords[b, 0] and coords[i, 1] < coords[b, 1])
        ):
            best[key[i]] = i
    return best


def weak_components(n_nodes: int, u: np.ndarray, v: np.ndarray) -> np.ndarray:
    """Per node, the smallest node of its connected component (edges ``u[i] - v[i]``, direction
    ignored), by union-find: no sparse matrix, no sort.

    Examples
    --------
    >>> import numpy as np
    >>> weak_components(5, np.array([3, 1]), np.array([4, 3])).tolist()
    [0, 1, 2, 1, 1]
    """
    return _union_find(
        np.int64(n_nodes),
        np.ascontiguousarray(u, dtype=np.int64),
        np.ascontiguousarray(v, dtype=np.int64),
    )


@njit(cache=True, nogil=True)
def _root(parent, i):
    while parent[i] != i:
        parent[i] = parent[parent[i]]  # path halving
        i = parent[i]
    return i


@njit(cache=True, nogil=True)
def _union_find(n, u, v):
    parent = np.arange(n)
    for k in range(u.shape[0]):
        a = _root(parent, u[k])
        b = _root(parent, v[k])
        if a < b:
            parent[b] = a
        elif b < a:
            parent[a] = b
    for i in range(n):
        parent[i] = parent[parent[i]]  # roots are smaller than their members: one pass
    return parent


def strong_component_count(
    n_nodes: int, u: np.ndarray, v: np.ndarray, fwd: np.ndarray, bwd: np.ndarray
) -> int:
    """The number of strongly connected components of the directed graph with an arc ``u -> v``
    for every finite ``fwd`` and ``v -> u`` for every finite ``bwd`` (isolated nodes count).

    The arcs go straight into compact CSR arrays (no coordinate form, no sort).

    Examples
    --------
    >>> import numpy as np
    >>> inf = np.inf
    >>> strong_component_count(3, np.array([0, 1]), np.array([1, 2]), np.ones(2), np.array([1, inf]))
    2
    """
    from scipy.sparse import csr_matrix
    from scipy.sparse.csgraph import connected_components

    if n_nodes == 0:
        return 0
    if n_nodes >= 2**31 - 1 or 2 * len(u) >= 2**31 - 1:  # beyond 32-bit indices
        tail = np.r_[u[np.isfinite(fwd)], v[np.isfinite(bwd)]]
        head = np.r_[v[np.isfinite(fwd)], u[np.isfinite(bwd)]]
        mat = csr_matrix((np.ones(len(tail)), (tail, head)), shape=(n_nodes, n_nodes))
        return int(connected_components(mat, directed=True, connection="strong")[0])
    indptr, indices = _directed_csr(
        np.int64(n_nodes),
        np.ascontiguousarray(u, dtype=np.int64),
        np.ascontiguousarray(v, dtype=np.int64),
        np.ascontiguousarray(fwd, dtype=np.float64),
        np.ascontiguousarray(bwd, dtype=np.float64),
    )
    mat = csr_matrix((np.ones(len(indices), np.float64), indices, indptr), shape=(n_nodes, n_nodes))
    mat.sum_duplicates()  # parallel arcs: SciPy's strong components never return on repeats
    return int(connected_components(mat, directed=True, connection="strong")[0])


@njit(cache=True, nogil=True)
def _directed_csr(n, u, v, fwd, bwd):
    """CSR arrays (int32) of the arcs ``u -> v`` (finite ``fwd``) and ``v -> u`` (finite
    ``bwd``), by counting."""
    indptr = np.zeros(n + 1, np.int32)
    for e in range(u.shape[0]):
        if np.isfinite(fwd[e]):
            indptr[u[e] + 1] += 1
        if np.isfinite(bwd[e]):
            indptr[v[e] + 1] += 1
    for i in range(n):
        indptr[i + 1] += indptr[i]
    fill = indptr[:-1].copy()
    indices = np.empty(indptr[n], np.int32)
    for e in range(u.shape[0]):
        if np.isfinite(fwd[e]):
            indices[fill[u[e]]] = v[e]
            fill[u[e]] += 1
        if np.isfinite(bwd[e]):
            indices[fill[v[e]]] = u[e]
            fill[v[e]] += 1
    return indptr, indices
