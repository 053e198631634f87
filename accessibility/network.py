"""Routable road networks from road layers, OSM files and osmnx graphs.

A :class:`Network` owns one projected metric CRS, the nodes and edges as GeoDataFrames (for maps
and catchments) and, per travel mode, compact CSR arrays for the routing kernel
(:mod:`accessibility.routing`).

Edges are undirected road pieces between two junctions, oriented ``u -> v`` along their geometry;
each mode has a travel time in each direction (``{mode}_fwd_min``, ``{mode}_bwd_min``; ``inf`` where
the mode may not go that way, e.g. against a one-way street by car or on an expressway on foot).

Examples
--------
The examples run on the bundled (synthetic) demo county:

>>> import accessibility as acc
>>> from accessibility.network import *
>>> demo = acc.load_demo()
>>> net = network_from_roads(demo.roads, tolerance_m=2.5)
>>> net.modes, net.crs.to_epsg()
(('walk', 'bike', 'ebike', 'car'), 4546)
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pyproj import CRS

from ._arrays import unique_sorted
from ._crs import metric_crs
from .errors import (
    CRSError,
    EmptyLayerError,
    GeometryError,
    InvalidValueError,
    MissingColumnError,
    NetworkError,
    NetworkWarning,
    suggest,
    warn,
)
from .speeds import MODES, check_speed_overrides, normalise_class, speed_profile

if TYPE_CHECKING:
    import networkx as nx

    from .routing import CSRGraph

__all__ = [
    "Network",
    "metric_crs",
    "network_from_osm",
    "network_from_osmnx",
    "network_from_roads",
    "speed_profile",
]

_log = logging.getLogger(__name__)

_FORBID_COLUMN = {"car": "no_car", "bike": "no_bike", "ebike": "no_bike", "walk": "no_walk"}
_TRUE = {"1", "true", "yes", "y", "t", "是", "单行"}
_REVERSE = {"-1", "reverse"}

#: Columns commonly holding a road class, offered when the asked-for one is missing.
CLASS_COLUMN_CANDIDATES = (
    "road_class",
    "highway",
    "fclass",
    "class",
    "type",
    "等级",
    "道路等级",
    "kind",
)


@dataclass(frozen=True, eq=False)
class Network:
    """A routable road network in a projected metric CRS.

    Attributes
    ----------
    nodes
        Junctions and dead ends: index ``0..n-1``, columns ``x``, ``y``, ``component`` (weakly
        connected component, 0 = largest) and point geometry.
    edges
        Road pieces between nodes: index ``0..m-1``, columns ``u``, ``v``, ``length_m``,
        ``road_class``, ``oneway``, ``name`` and per mode ``{mode}_speed_kmh``, ``{mode}_fwd_min``,
        ``{mode}_bwd_min``; line geometry oriented ``u -> v``.
    modes
        Travel modes with edge times.
    report
        What the builder found and repaired (snapped endpoints, joined T-junctions, dropped pieces,
        connected components).

    A network is fixed once built: what is derived from it (routing graphs, snapping trees,
    catchment arrays) is built once and kept (:meth:`cached`). Change edge times only with
    :meth:`with_edge_times`, which returns a new network; a time column (or ``u``, ``v``,
    ``length_m``) of ``edges`` changed in place is detected by the next use and refused with a
    :class:`~accessibility.errors.NetworkError`, never routed on with the old times.

    Examples
    --------
    >>> len(net.nodes), len(net.edges)
    (619, 722)
    >>> round(float(net.edges["length_m"].sum()) / 1000)  # km of road
    700
    >>> g = net.graph("car")  # CSR arrays for the routing kernel
    >>> slower = net.with_edge_times("car", net.edges["car_fwd_min"] * 2, net.edges["car_bwd_min"] * 2)
    >>> float(slower.edges["car_fwd_min"].iloc[0] / net.edges["car_fwd_min"].iloc[0])
    2.0
    """

    nodes: gpd.GeoDataFrame
    edges: gpd.GeoDataFrame
    modes: tuple[str, ...]
    report: dict[str, Any] = field(default_factory=dict)
    _cache: dict[str, Any] = field(default_factory=dict, init=False, repr=False, compare=False)
    _fixed: dict[str, np.ndarray] = field(
        default_factory=dict, init=False, repr=False, compare=False
    )

    def __post_init__(self) -> None:
        # a copy of the columns everything cached is derived from, to detect changes in place
        for col in self._fixed_columns(self.modes):
            if col in self.edges.columns:
                self._fixed[col] = self.edges[col].to_numpy(copy=True)

    @staticmethod
    def _fixed_columns(modes: Sequence[str]) -> list[str]:
        return ["u", "v", "length_m", *(f"{m}_{d}_min" for m in modes for d in ("fwd", "bwd"))]

    def _check_unchanged(self, modes: Sequence[str] | None = None) -> None:
        """Raise if a fixed column of ``edges`` (of ``modes``; all modes by default) changed."""
        for col in self._fixed_columns(self.modes if modes is None else modes):
            kept = self._fixed.get(col)
            if kept is None:
                continue
            now = self.edges[col].to_numpy() if col in self.edges.columns else None
            if now is None or not np.array_equal(now, kept, equal_nan=True):
                raise NetworkError(
                    f"network.edges[{col!r}] was changed after the network was built; a Network "
                    "is fixed (its routing graphs and snapping trees are built from these "
                    "columns once), so the change would be ignored. " + self._how_to_change(col)
                )

    @staticmethod
    def _how_to_change(col: str) -> str:
        if not col.endswith(("_fwd_min", "_bwd_min")):
            return "Build a new network from the changed road layer."
        mode = col.rsplit("_", 2)[0]
        return (
            f"Change edge times with `net = net.with_edge_times({mode!r}, fwd_min, bwd_min)`, which "
            f"returns a new network (to adopt times already written into net.edges: "
            f"`net.with_edge_times({mode!r}, net.edges['{mode}_fwd_min'], "
            f"net.edges['{mode}_bwd_min'])`)."
        )

    def cached(self, key: str, build: Callable[[], Any]) -> Any:
        """The value derived from this network under ``key``, made by ``build()`` on first use.

        Every use first checks that the edge times and topology are as built (see the class
        docstring), so nothing cached outlives a change. Keys are namespaced by their user
        (``"graph:car"``, ``"snapping:tree:car"``, ...).
        """
        self._check_unchanged()
        if key not in self._cache:
            self._cache[key] = build()
        return self._cache[key]

    @property
    def crs(self) -> CRS:
        """The network's projected metric CRS."""
        return self.edges.crs

    def __repr__(self) -> str:
        return (
            f"<Network {len(self.nodes):,} nodes, {len(self.edges):,} edges, "
            f"{self.report.get('n_components', '?')} component(s), modes {list(self.modes)}, "
            f"CRS {self.crs.to_string()}>"
        )

    def _check_mode(self, mode: str) -> None:
        if mode not in self.modes:
            raise NetworkError(
                f"the network has no travel times for mode {mode!r}; it has {list(self.modes)}."
                + suggest(mode, self.modes)
            )

    def graph(self, mode: str) -> CSRGraph:
        """CSR arrays for routing in ``mode`` (cached); arc costs in minutes, cost2 in metres."""
        self._check_mode(mode)
        return self.cached(f"graph:{mode}", lambda: self._build_graph(mode))

    def _build_graph(self, mode: str) -> CSRGraph:
        from .routing import csr_from_arcs

        e = self.edges
        u = e["u"].to_numpy(np.int64)
        v = e["v"].to_numpy(np.int64)
        ids = np.arange(len(e), dtype=np.int64)
        length = e["length_m"].to_numpy(np.float64)
        return csr_from_arcs(
            len(self.nodes),
            np.concatenate([u, v]),
            np.concatenate([v, u]),
            np.concatenate(
                [
                    e[f"{mode}_fwd_min"].to_numpy(np.float64),
                    e[f"{mode}_bwd_min"].to_numpy(np.float64),
                ]
            ),
            cost2=np.concatenate([length, length]),
            arc_edge=np.concatenate([ids, ids]),
        )

    def with_edge_times(
        self,
        mode: str,
        fwd_min: Sequence[float] | np.ndarray,
        bwd_min: Sequence[float] | np.ndarray,
    ) -> Network:
        """Return a new network whose ``mode`` edge times are replaced (arrays aligned to edges).

        Used for slope-aware walking (:mod:`accessibility.raster`) and scenarios (upgraded roads).
        A new mode name adds a mode. This is the one way to change edge times: the network itself
        is fixed (see the class docstring).

        Raises
        ------
        NetworkError
            When another mode's times (or ``u``, ``v``, ``length_m``) were changed in place in
            ``edges``: the new network would carry them along unnoticed.
        """
        self._check_unchanged([m for m in self.modes if m != mode])
        fwd = np.asarray(fwd_min, dtype=np.float64)
        bwd = np.asarray(bwd_min, dtype=np.float64)
        if fwd.shape != (len(self.edges),) or bwd.shape != (len(self.edges),):
            raise InvalidValueError(
                f"edge times must have one value per edge ({len(self.edges)}); got {fwd.shape} and "
                f"{bwd.shape}"
            )
        if np.any(fwd < 0) or np.any(bwd < 0) or np.isnan(fwd).any() or np.isnan(bwd).any():
            raise InvalidValueError("edge times must be >= 0 minutes (inf = not allowed), not NaN")
        edges = self.edges.copy()
        edges[f"{mode}_fwd_min"] = fwd
        edges[f"{mode}_bwd_min"] = bwd
        with np.errstate(divide="ignore", invalid="ignore"):
            t = np.fmin(fwd, bwd)
            edges[f"{mode}_speed_kmh"] = np.where(
                np.isfinite(t) & (t > 0), edges["length_m"].to_numpy() / 1000.0 / (t / 60.0), 0.0
            )
        modes = self.modes if mode in self.modes else (*self.modes, mode)
        return Network(self.nodes, edges, modes, dict(self.report))

    def components(self, mode: str | None = None, *, strong: bool = False) -> pd.Series:
        """Component label of every node (0 = largest).

        With ``mode`` and ``strong=True``, strongly connected components of that mode's directed
        graph: nodes outside the largest one are one-way traps (you can leave but not return, or
        the reverse).
        """
        from scipy.sparse import csr_matrix
        from scipy.sparse.csgraph import connected_components

        n = len(self.nodes)
        if mode is None:
            e = self.edges
            mat = csr_matrix(
                (np.ones(len(e)), (e["u"].to_numpy(), e["v"].to_numpy())), shape=(n, n)
            )
            _, labels = connected_components(mat, directed=False)
        else:
            g = self.graph(mode)
            tails = np.repeat(np.arange(n), np.diff(g.indptr))
            mat = csr_matrix((np.ones(len(g.head)), (tails, g.head)), shape=(n, n))
            _, labels = connected_components(
                mat, directed=True, connection="strong" if strong else "weak"
            )
        return pd.Series(_relabel_by_size(labels), index=self.nodes.index, name="component")

    def to_networkx(self, mode: str) -> nx.MultiDiGraph:
        """An osmnx-style ``MultiDiGraph`` for ``mode``.

        Node attributes ``x``, ``y``; edge attributes ``length`` (m), ``travel_time`` (s),
        ``travel_time_min``, ``edge_id``, ``road_class``, ``geometry``; graph attribute ``crs``.
        """
        import networkx as nx

        self._check_mode(mode)
        g = nx.MultiDiGraph(crs=self.crs)
        g.add_nodes_from(
            (int(i), {"x": float(x), "y": float(y)})
            for i, x, y in zip(self.nodes.index, self.nodes["x"], self.nodes["y"], strict=True)
        )
        e = self.edges
        geoms = e.geometry.to_numpy()
        rev = shapely.reverse(geoms)
        for col, reverse in ((f"{mode}_fwd_min", False), (f"{mode}_bwd_min", True)):
            t = e[col].to_numpy()
            ok = np.isfinite(t)
            src = e["v" if reverse else "u"].to_numpy()[ok]
            dst = e["u" if reverse else "v"].to_numpy()[ok]
            gg = (rev if reverse else geoms)[ok]
            for a, b, eid, tt, ln, cls, geom in zip(
                src,
                dst,
                e.index[ok],
                t[ok],
                e["length_m"].to_numpy()[ok],
                e["road_class"].to_numpy()[ok],
                gg,
                strict=True,
            ):
                g.add_edge(
                    int(a),
                    int(b),
                    edge_id=int(eid),
                    length=float(ln),
                    travel_time=float(tt) * 60.0,
                    travel_time_min=float(tt),
                    road_class=cls,
                    geometry=geom,
                    reversed=reverse,
                )
        return g

    def summary(self) -> str:
        """A few lines on size, repairs and connectivity, for logs and notebooks."""
        r = self.report
        lines = [repr(self)]
        for key in (
            "n_input_lines",
            "n_crossings_not_joined",
            "n_crossings_split",
            "n_endpoints_snapped",
            "n_t_junctions_joined",
            "n_zero_length_dropped",
            "n_empty_dropped",
            "n_self_loops",
            "n_lines_collapsed",
            "n_oneway_ignored",
            "car_edges_speed_from_maxspeed",
            "n_components",
            "largest_component_share",
            "unknown_classes",
        ):
            if key in r:
                lines.append(f"  {key}: {r[key]}")
        return "\n".join(lines)


# --------------------------------------------------------------------------------------------------
# topology


def _relabel_by_size(labels: np.ndarray) -> np.ndarray:
    """Relabel component ids so that 0 is the largest, 1 the next, ... (ties by first node)."""
    if len(labels) == 0:
        return labels.astype(np.int64)
    counts = np.bincount(labels)
    first = np.full(len(counts), len(labels), dtype=np.int64)
    np.minimum.at(first, labels, np.arange(len(labels)))
    order = np.lexsort((first, -counts))
    rank = np.empty_like(order)
    rank[order] = np.arange(len(order))
    return rank[labels].astype(np.int64)


def _unique_points(xy: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``np.unique(xy, axis=0, return_index=True, return_inverse=True)[1:]`` by one lexsort.

    Returns the index of each distinct point's first occurrence (distinct points in x, then y
    order) and, per point, the position of its distinct point.
    """
    n = len(xy)
    if n == 0:
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    order = np.lexsort((xy[:, 1], xy[:, 0]))  # stable: the first of equal points comes first
    s = xy[order]
    new = np.r_[True, (s[1:, 0] != s[:-1, 0]) | (s[1:, 1] != s[:-1, 1])]
    first = order[new]
    inverse = np.empty(n, np.int64)
    inverse[order] = np.cumsum(new) - 1
    return first, inverse


def _cluster_points(
    xy: np.ndarray, tol: float, unique: tuple[np.ndarray, np.ndarray] | None = None
) -> np.ndarray:
    """Label points so that points closer than ``tol`` (transitively) share a label.

    Labels are the index of the cluster's first point, so they are deterministic. ``unique`` is
    :func:`_unique_points` of ``xy`` when the caller has it already.
    """
    first, inverse = _unique_points(xy) if unique is None else unique
    labels = first[inverse]
    if tol <= 0 or len(first) < 2:
        return labels
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import connected_components
    from scipy.spatial import cKDTree

    uniq = xy[first]
    pairs = cKDTree(uniq).query_pairs(tol, output_type="ndarray")
    if len(pairs) == 0:
        return labels
    n = len(uniq)
    mat = coo_matrix((np.ones(len(pairs)), (pairs[:, 0], pairs[:, 1])), shape=(n, n))
    _, comp = connected_components(mat, directed=False)
    # representative of each component: its smallest original point index
    rep = np.full(comp.max() + 1, np.iinfo(np.int64).max, dtype=np.int64)
    np.minimum.at(rep, comp, first)
    return rep[comp][inverse]


def _pair_keys(a: np.ndarray, b: np.ndarray, n_b: int) -> np.ndarray:
    """One int64 key per pair ``(a, b)``, ``b < n_b``, for fast membership tests."""
    return a.astype(np.int64) * np.int64(max(n_b, 1)) + b.astype(np.int64)


def _ends(geoms: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """All vertices (``coords``, line of each) and each line's first and last vertex."""
    coords, line_of = shapely.get_coordinates(geoms, return_index=True)
    start = np.searchsorted(line_of, np.arange(len(geoms)))
    end = np.r_[start[1:], len(coords)] - 1
    return coords, line_of, coords[start], coords[end]


def _join_t_junctions(geoms: np.ndarray, tol: float) -> tuple[np.ndarray, int]:
    """Move dangling line ends that lie within ``tol`` of another line's interior onto that line,
    inserting a vertex there so the two lines can be split at the junction."""
    if tol <= 0 or len(geoms) < 2:
        return geoms, 0
    coords, cidx, starts, ends = _ends(geoms)
    ends_xy = np.concatenate([starts, ends])
    owner = np.concatenate([np.arange(len(geoms)), np.arange(len(geoms))])
    which = np.concatenate([np.zeros(len(geoms), int), np.full(len(geoms), -1)])
    # an end within tol of a vertex of a line is already joined to THAT line (decided per
    # (end, line): two side roads meeting on a through road's interior join each other AND it)
    from scipy.spatial import cKDTree

    # every (end, vertex) pair closer than tol, exact coincidences included
    near = cKDTree(ends_xy).sparse_distance_matrix(cKDTree(coords), tol, output_type="ndarray")
    joined = unique_sorted(_pair_keys(near["i"], cidx[near["j"]], len(geoms)))
    del near
    cand = np.arange(len(ends_xy))
    tree = shapely.STRtree(geoms)
    # lines whose box comes within tol of an end (cheap), then the exact distance test only for
    # pairs not already joined: most ends touch only the lines that share their junction
    boxes = _diagonals(ends_xy - tol, ends_xy + tol)
    hit_pt, hit_line = tree.query(boxes)
    del boxes
    keep = owner[hit_pt] != hit_line
    hit_pt, hit_line = hit_pt[keep], hit_line[keep]
    key = _pair_keys(hit_pt, hit_line, len(geoms))
    at = np.minimum(np.searchsorted(joined, key), max(len(joined) - 1, 0))
    keep = joined[at] != key if len(joined) else np.ones(len(key), bool)
    hit_pt, hit_line = hit_pt[keep], hit_line[keep]
    # points only for the few candidate ends, not for every line end
    pts = shapely.points(ends_xy[hit_pt])
    keep = shapely.dwithin(pts, geoms[hit_line], tol)
    hit_pt, hit_line, pts = hit_pt[keep], hit_line[keep], pts[keep]
    if len(hit_pt) == 0:
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


def _diagonals(lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
    """Two-point lines from ``lo`` to ``hi``: their envelopes are the boxes, for STRtree queries
    on boxes (cheaper to make than box polygons)."""
    n = len(lo)
    xy = np.empty((2 * n, 2))
    xy[0::2], xy[1::2] = lo, hi
    return shapely.linestrings(xy, indices=np.repeat(np.arange(n), 2))


def _crossing_candidates(geoms: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Pairs of lines ``a < b`` that may meet somewhere other than at a vertex both share.

    Segment by segment: two segments whose boxes are apart cannot meet, and two segments that
    share an end point and are not collinear meet only there (a vertex of both lines, which is
    never a crossing to report). Every other pair of lines is kept, so the exact predicates run
    on this superset and the result is the same as over all pairs; on road layers, where lines
    meet at shared vertices, it removes nearly every pair.
    """
    coords, line_of = shapely.get_coordinates(geoms, return_index=True)
    seg = np.flatnonzero(line_of[1:] == line_of[:-1])
    p0, p1, sl = coords[seg], coords[seg + 1], line_of[seg]
    lo, hi = np.minimum(p0, p1), np.maximum(p0, p1)
    del coords, line_of, seg
    boxes = _diagonals(lo, hi)
    s, t = shapely.STRtree(boxes).query(boxes)
    del boxes
    keep = sl[s] < sl[t]
    s, t = s[keep], t[keep]
    # a shared end point: P = an end of s equal to an end of t; Q, R = their other ends
    shared = np.zeros(len(s), bool)
    q = np.empty((len(s), 2))
    r = np.empty((len(s), 2))
    pp = np.empty((len(s), 2))
    for es, os_ in ((p0, p1), (p1, p0)):
        for et, ot in ((p0, p1), (p1, p0)):
            eq = ~shared & (es[s] == et[t]).all(axis=1)
            shared |= eq
            pp[eq], q[eq], r[eq] = es[s[eq]], os_[s[eq]], ot[t[eq]]
    d1, d2 = q[shared] - pp[shared], r[shared] - pp[shared]
    cross = d1[:, 0] * d2[:, 1] - d1[:, 1] * d2[:, 0]
    scale = np.hypot(*d1.T) * np.hypot(*d2.T)
    # clearly not collinear (far above rounding): they meet only at P
    only_p = np.abs(cross) > 1e-9 * scale
    drop = np.zeros(len(s), bool)
    drop[np.flatnonzero(shared)[only_p]] = True
    s, t = s[~drop], t[~drop]
    pairs = unique_sorted(_pair_keys(sl[s], sl[t], len(geoms)))
    n = np.int64(max(len(geoms), 1))
    return pairs // n, pairs % n


def _crossings(geoms: np.ndarray, *, split: bool) -> tuple[np.ndarray, int]:
    """Find lines that cross without a shared vertex (bridges, or digitising without nodes).

    With ``split``, a vertex is inserted into both lines at each such crossing so they are joined
    there; otherwise they are only counted (bridges and underpasses must not become junctions).
    """
    if len(geoms) < 2:
        return geoms, 0
    a, b = _crossing_candidates(geoms)
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


def _split_lines(
    geoms: np.ndarray, *, tol: float, vertex_keys: np.ndarray | None = None
) -> dict[str, Any]:
    """Split lines into edges at junctions.

    A vertex becomes a node when it is a line end or is shared (within ``tol``, or by equal
    ``vertex_keys`` such as OSM node ids) by two or more line vertices.
    """
    coords, line_of = shapely.get_coordinates(geoms, return_index=True)
    uniq = _unique_points(coords) if vertex_keys is None else None
    if vertex_keys is None:
        keys = _cluster_points(coords, tol, uniq)
    else:
        keys = np.asarray(vertex_keys, dtype=np.int64)
    n_snapped = 0
    if vertex_keys is None and tol > 0:
        # clusters that merged different coordinates = endpoints / vertices snapped together
        exact = _cluster_points(coords, 0.0, uniq)
        pairs = unique_sorted(_pair_keys(keys, exact, len(coords)))
        n_snapped = int(len(pairs) - len(unique_sorted(pairs // max(len(coords), 1))))
    # drop consecutive repeated keys within a line (zero-length segments after snapping)
    same_line = np.r_[False, line_of[1:] == line_of[:-1]]
    dup = same_line & np.r_[False, keys[1:] == keys[:-1]]
    n_dup_vertices = int(dup.sum())
    coords, line_of, keys = coords[~dup], line_of[~dup], keys[~dup]
    n = len(keys)
    is_start = np.r_[True, line_of[1:] != line_of[:-1]]
    is_end = np.r_[line_of[1:] != line_of[:-1], True]
    _, inv, counts = np.unique(keys, return_inverse=True, return_counts=True)
    inv = inv.ravel()
    is_node = is_start | is_end | (counts[inv] >= 2)
    # node coordinates: snapped vertices move to their key's representative:
    # the representative of each key: its lexicographically smallest vertex, so the junction's
    # position does not depend on the order of the input rows
    order = np.lexsort((coords[:, 1], coords[:, 0], inv))
    head = np.r_[True, inv[order][1:] != inv[order][:-1]] if n else np.zeros(0, dtype=bool)
    first_of_key = np.empty(len(counts), dtype=np.int64)
    first_of_key[inv[order][head]] = order[head]
    node_keys_pos = first_of_key[inv]
    coords = np.where(is_node[:, None], coords[node_keys_pos], coords)
    pos = np.flatnonzero(is_node)
    # edges between consecutive node vertices of the same line
    a, b = pos[:-1], pos[1:]
    ok = (line_of[a] == line_of[b]) & ~is_end[a]
    a, b = a[ok], b[ok]
    sizes = b - a + 1
    vidx = np.repeat(a, sizes) + (
        np.arange(sizes.sum()) - np.repeat(np.cumsum(sizes) - sizes, sizes)
    )
    edge_geoms = shapely.linestrings(coords[vidx], indices=np.repeat(np.arange(len(a)), sizes))
    # compact node ids
    node_key_ids, node_idx = np.unique(inv[pos], return_inverse=True)
    node_xy = coords[first_of_key[node_key_ids]]
    node_of_vertex = np.full(n, -1, dtype=np.int64)
    node_of_vertex[pos] = node_idx.ravel()
    return {
        "node_xy": node_xy,
        "u": node_of_vertex[a],
        "v": node_of_vertex[b],
        "line": line_of[a],
        "geometry": edge_geoms,
        "n_endpoints_snapped": n_snapped,
        "n_duplicate_vertices_dropped": n_dup_vertices,
    }


def _parse_oneway(values: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """(oneway, reverse) flags from True/False, 1/0/-1, 'yes'/'no'/'-1', '是' ..."""
    text = values.astype("string").str.strip().str.lower().fillna("")
    rev = text.isin(_REVERSE).to_numpy()
    one = (text.isin(_TRUE) | rev).to_numpy()
    return one, rev


def _assemble(
    geoms: np.ndarray,
    attrs: pd.DataFrame,
    crs: CRS,
    *,
    profile: str | Mapping[str, Mapping[str, float]],
    overrides: Mapping[str, Mapping[str, float]] | None,
    modes: Sequence[str],
    speed_columns: Mapping[str, str],
    tol: float,
    vertex_keys: np.ndarray | None,
    report: dict[str, Any],
    join_t_junctions: bool,
    split_crossings: bool = False,
    oneway_ignored_by: Sequence[str] = ("walk",),
    maxspeed_column: str | None = None,
    oneway: bool = True,
) -> Network:
    """Shared back end: lines + per-line attributes -> Network.

    ``speed_columns`` are per-edge speeds the user pointed to (they replace the class speed);
    ``maxspeed_column`` holds car speeds from tags in the data (OSM ``maxspeed``), used only for
    classes whose car speed the user did not set in ``overrides``. ``oneway=False`` routes every
    road both ways.
    """
    profile_name = profile if isinstance(profile, str) else None
    speeds = speed_profile(profile, overrides=overrides, modes=tuple(modes))
    # a key matching no class would be silently ignored: check before any work
    explicit = check_speed_overrides(
        overrides, profile=profile, data_classes=pd.unique(attrs["road_class"].astype(object))
    )
    if not oneway:
        report["n_oneway_ignored"] = int(attrs["oneway"].astype(bool).sum())
        attrs = attrs.assign(oneway=False)
    line_length = shapely.length(geoms)
    if vertex_keys is None:
        geoms, n_cross = _crossings(geoms, split=split_crossings)
        report["n_crossings_split" if split_crossings else "n_crossings_not_joined"] = n_cross
        if n_cross and not split_crossings:
            warn(
                NetworkWarning,
                _log,
                "%d place(s) where roads cross without a shared vertex were NOT joined (they may be "
                "bridges or underpasses). If your layer was digitised without nodes at junctions, "
                "pass split_crossings=True.",
                n_cross,
            )
    if join_t_junctions and vertex_keys is None:
        geoms, n_t = _join_t_junctions(geoms, tol)
        report["n_t_junctions_joined"] = n_t
    parts = _split_lines(geoms, tol=tol, vertex_keys=vertex_keys)
    report["n_endpoints_snapped"] = parts["n_endpoints_snapped"]
    line = parts["line"]
    egeoms = parts["geometry"]
    length = shapely.length(egeoms)
    zero = length <= 0
    report["n_zero_length_dropped"] = int(zero.sum())
    u, v = parts["u"][~zero], parts["v"][~zero]
    line, egeoms, length = line[~zero], egeoms[~zero], length[~zero]
    report["n_self_loops"] = int((u == v).sum())
    # lines of positive length that left no edge: joining vertices within tol merged them away
    collapsed = line_length > 0
    collapsed[unique_sorted(line)] = False
    n_collapsed, n_lines = int(collapsed.sum()), int((line_length > 0).sum())
    lost_km = float(line_length[collapsed].sum()) / 1000.0
    report["n_lines_collapsed"] = n_collapsed
    if tol > 0 and n_collapsed and (len(u) == 0 or 2 * lost_km * 1000 >= line_length.sum()):
        raise NetworkError(
            f"tolerance_m = {tol:g}: joining line ends and vertices closer than {tol:g} m collapsed "
            f"{n_collapsed} of {n_lines} road line(s) ({lost_km:.3g} of "
            f"{float(line_length.sum()) / 1000:.3g} km) into single points (lines shorter than the "
            "tolerance, and chains of vertices each within the tolerance of the next, merge into "
            f"one junction), leaving {len(u)} edge(s). The tolerance is meant to close digitising "
            "gaps: use about the precision of the layer, typically 0.5-5 m and rarely more than "
            "20 m ([network] tolerance_m in a project file, tolerance_m= in network_from_roads)."
        )
    if tol > 0 and n_collapsed:
        import warnings

        from .validate import InputWarning

        warnings.warn(
            f"tolerance_m = {tol:g}: joining line ends and vertices closer than {tol:g} m collapsed "
            f"{n_collapsed} of {n_lines} road line(s) ({lost_km:.3g} km) into single points; they "
            "are not in the "
            "network (report['n_lines_collapsed']). If they are real roads, use a smaller "
            "tolerance (typically 0.5-5 m).",
            InputWarning,
            stacklevel=3,
        )

    a = attrs.iloc[line].reset_index(drop=True)
    # normalise each distinct class once (aliases such as 县道 -> county)
    raw = a["road_class"].astype(object)
    distinct = pd.unique(raw)
    lookup = {c: normalise_class(c, profile_name) for c in distinct}
    classes = (
        pd.Series(
            [lookup[c] for c in distinct], index=pd.Index(distinct, dtype=object), dtype=object
        )
        .reindex(raw.to_numpy())
        .reset_index(drop=True)
    )
    edges = gpd.GeoDataFrame(
        {
            "u": u.astype(np.int64),
            "v": v.astype(np.int64),
            "length_m": length,
            "road_class": classes.astype(str).to_numpy(),
            "oneway": a["oneway"].to_numpy(bool),
            "name": a["name"].to_numpy(object) if "name" in a else None,
        },
        geometry=egeoms,
        crs=crs,
    )
    for kept in ("source_id",):
        if kept in a:
            edges[kept] = a[kept].to_numpy()
    unknown_all: set[str] = set()
    used: dict[str, dict[str, float]] = {}
    for mode in modes:
        table = speeds[mode]
        known = classes.isin(list(table))
        unknown_all |= set(classes[~known])
        sp = classes.map(table).fillna(table.get("unknown", 0.0)).to_numpy(np.float64)
        present = pd.unique(classes)
        used[mode] = {
            str(c): float(table.get(c, table.get("unknown", 0.0))) for c in sorted(present)
        }
        mine = explicit.get(mode, set())
        _log.info(
            "%s speeds (km/h) by road class: %s",
            mode,
            ", ".join(
                f"{c} {v:g}" + (" (set in speeds)" if c in mine else "")
                for c, v in used[mode].items()
            ),
        )
        if mode == "car" and maxspeed_column is not None and maxspeed_column in a:
            tag = pd.to_numeric(a[maxspeed_column], errors="coerce").to_numpy(np.float64)
            # tags fill in the class speed, unless the user set this class's speed explicitly
            take = np.isfinite(tag) & (tag > 0) & (sp > 0) & ~classes.isin(mine).to_numpy()
            report["car_edges_speed_from_maxspeed"] = int(take.sum())
            _log.info(
                "%d of %d car edge(s) took their speed from maxspeed tags%s",
                int(take.sum()),
                int((sp > 0).sum()),
                f" (not on classes set in speeds: {sorted(mine)})" if mine else "",
            )
            sp = np.where(take, tag, sp)
        elif mode == "car" and maxspeed_column is not None:
            report["car_edges_speed_from_maxspeed"] = 0
        col = speed_columns.get(mode)
        if col is not None:
            given = pd.to_numeric(a[col], errors="coerce").to_numpy(np.float64)
            bad = np.isfinite(given) & (given <= 0)
            if bad.any():
                raise InvalidValueError(
                    f"speed column {col!r} has {int(bad.sum())} zero or negative speed(s) (e.g. "
                    f"{given[bad][:3].tolist()}); use a positive km/h value, or leave it empty to use "
                    "the class speed"
                )
            # a per-edge speed replaces the class speed where the mode may use the road at all
            take = np.isfinite(given) & (sp > 0)
            _log.info(
                "%d of %d %s edge(s) took their speed from column %r",
                int(take.sum()),
                int((sp > 0).sum()),
                mode,
                col,
            )
            sp = np.where(take, given, sp)
        forbid = _FORBID_COLUMN.get(mode)
        if forbid is not None and forbid in a:
            sp = np.where(a[forbid].to_numpy(bool), 0.0, sp)
        with np.errstate(divide="ignore"):
            t = np.where(sp > 0, length / 1000.0 / sp * 60.0, np.inf)
        oneway = edges["oneway"].to_numpy() & (mode not in oneway_ignored_by)
        edges[f"{mode}_speed_kmh"] = sp
        edges[f"{mode}_fwd_min"] = t
        edges[f"{mode}_bwd_min"] = np.where(oneway, np.inf, t)
    report["class_speeds_kmh"] = used
    if unknown_all:
        report["unknown_classes"] = sorted(unknown_all)
        warn(
            NetworkWarning,
            _log,
            "road classes %s are not in the speed profile; they use its 'unknown' speed. Add them "
            "with speeds={...} or map them to known classes.",
            sorted(unknown_all)[:10],
        )

    node_xy = parts["node_xy"]
    # renumber nodes along a space-filling curve for memory locality in routing
    from .routing import spatial_order

    order = np.asarray(spatial_order(node_xy[:, 0], node_xy[:, 1]), dtype=np.int64)
    new_id = np.empty_like(order)
    new_id[order] = np.arange(len(order))
    node_xy = node_xy[order]
    edges["u"] = new_id[edges["u"].to_numpy()]
    edges["v"] = new_id[edges["v"].to_numpy()]
    nodes = gpd.GeoDataFrame(
        {"x": node_xy[:, 0], "y": node_xy[:, 1]},
        geometry=shapely.points(node_xy),
        crs=crs,
    )
    nodes.index.name = "node"
    edges.index.name = "edge"
    net = Network(nodes, edges, tuple(modes), report)
    comp = net.components()
    nodes["component"] = comp.to_numpy()
    n_comp = int(comp.max()) + 1 if len(comp) else 0
    report.update(
        n_nodes=len(nodes),
        n_edges=len(edges),
        n_components=n_comp,
        largest_component_share=round(float((comp == 0).mean()), 4) if len(comp) else 0.0,
        nodes_outside_largest=int((comp != 0).sum()),
    )
    for mode in modes:
        strong = net.components(mode, strong=True)
        report[f"{mode}_strong_components"] = int(strong.max()) + 1 if len(strong) else 0
    _log.info("built %r", net)
    if n_comp > 1:
        _log.info(
            "the network has %d connected components; %d node(s) lie outside the largest. All are "
            "kept; points located on small components are flagged.",
            n_comp,
            report["nodes_outside_largest"],
        )
    return net


# --------------------------------------------------------------------------------------------------
# builders


def network_from_roads(
    roads: gpd.GeoDataFrame | str | os.PathLike,
    *,
    layer: str | None = None,
    class_column: str = "road_class",
    oneway_column: str | None = "oneway",
    name_column: str | None = "name",
    speed_column: str | Mapping[str, str] | None = None,
    profile: str | Mapping[str, Mapping[str, float]] = "china",
    speeds: Mapping[str, Mapping[str, float]] | None = None,
    modes: Sequence[str] = MODES,
    tolerance_m: float = 1.0,
    join_t_junctions: bool = True,
    split_crossings: bool = False,
    oneway: bool = True,
    crs: Any | None = None,
) -> Network:
    """Build a routable network from a road line layer.

    Lines are split where they meet (shared vertices, and ends within ``tolerance_m`` of another line
    are joined to it), one-way streets are honoured for vehicles, and each edge gets a travel time
    per mode from the speed table of its class.

    Parameters
    ----------
    roads
        Line layer (GeoDataFrame, or a GeoPackage / Shapefile / GeoJSON path).
    layer
        Layer name inside a multi-layer file.
    class_column
        Column with the road class (Chinese classes 高速/国道/省道/县道/乡道/村道 or English names
        for the ``"china"`` profile; OSM ``highway`` values for ``"osm"``).
    oneway_column
        Column with one-way flags (True/1/"yes"/"是"; "-1" = against the digitised direction);
        ``None`` = no such column, all two-way. Walking ignores one-way restrictions.
    name_column
        Road names, kept on the edges.
    speed_column
        Per-edge speed (km/h) replacing the class speed for ``car``; or ``{mode: column}``.
    profile
        ``"china"``, ``"osm"`` or a full ``{mode: {class: km/h}}`` table.
    speeds
        Overrides of the profile, e.g. ``{"car": {"county": 45}}`` (Chinese names accepted). A
        mode or class that neither the profile nor the layer has is an error
        (:class:`~accessibility.errors.SpeedOverrideError`); a class only the layer has extends
        the profile.
    modes
        Modes to compute times for (default walk, bike, ebike, car).
    tolerance_m
        Ends and vertices closer than this are joined; about the digitising precision of the layer
        (typically 0.5-5 m). A tolerance that collapses half the lines or more is a
        :class:`~accessibility.errors.NetworkError`.
    join_t_junctions
        Join dangling ends lying within ``tolerance_m`` of another line's interior.
    split_crossings
        Also join lines where they cross without a shared vertex. Off by default because such
        crossings are often bridges; the report counts them (``n_crossings_not_joined``) and a
        warning says when there are any.
    oneway
        ``True`` honours ``oneway_column``; ``False`` makes every road two-way (for comparison),
        the same as ``oneway_column=None``. The report counts the ignored one-way lines
        (``n_oneway_ignored``).
    crs
        Projected metric CRS to compute in; default: the layer's if metric, else local UTM.

    Returns
    -------
    Network
        In the metric CRS; ``network.report`` says what was repaired and how many connected
        components there are (all are kept).

    Examples
    --------
    >>> net = network_from_roads(demo.roads, class_column="road_class", tolerance_m=2.5)
    >>> net.report["n_components"]
    1
    """
    if isinstance(roads, gpd.GeoDataFrame):
        gdf = roads
    else:
        from .io import read_layer

        gdf = read_layer(roads, layer=layer)
    if len(gdf) == 0:
        raise EmptyLayerError("the road layer is empty; check the file and layer name")
    if class_column not in gdf.columns:
        cands = [c for c in gdf.columns if str(c).lower() in CLASS_COLUMN_CANDIDATES]
        hint = f" Columns that look like road classes: {cands}." if cands else ""
        raise MissingColumnError(
            f"the road layer has no column {class_column!r} for the road class.{hint}"
            f"{suggest(class_column, [str(c) for c in gdf.columns])} Pass class_column=... "
            f"(available: {[str(c) for c in gdf.columns if c != gdf.geometry.name][:12]})"
        )
    for col, what in ((oneway_column, "oneway_column"), (name_column, "name_column")):
        if col is not None and col not in gdf.columns and col not in ("oneway", "name"):
            raise MissingColumnError(
                f"the road layer has no column {col!r} ({what}).{suggest(col, gdf.columns)}"
            )
    speed_columns: dict[str, str] = (
        {"car": speed_column} if isinstance(speed_column, str) else dict(speed_column or {})
    )
    for mode, col in speed_columns.items():
        if col not in gdf.columns:
            raise MissingColumnError(
                f"the road layer has no speed column {col!r} (for mode {mode!r})."
                + suggest(col, gdf.columns)
            )
    work_crs = metric_crs(gdf, crs)
    report: dict[str, Any] = {"n_input_lines": len(gdf)}
    geom = gdf.geometry
    bad_type = (
        ~geom.geom_type.isin(["LineString", "MultiLineString"]) & ~geom.is_empty & geom.notna()
    )
    if bad_type.any():
        raise GeometryError(
            f"the road layer must hold lines; found {geom[bad_type].geom_type.value_counts().to_dict()}"
            " — convert polygons to their boundaries or drop them"
        )
    keep = geom.notna() & ~geom.is_empty
    report["n_empty_dropped"] = int((~keep).sum())
    if not keep.any():
        raise EmptyLayerError(
            f"all {len(gdf)} road geometries are missing or empty; check the file and layer name"
        )
    src = gdf.loc[keep]
    xy, row = shapely.get_coordinates(src.geometry.to_numpy(), return_index=True)
    bad = ~np.isfinite(xy).all(axis=1)
    if bad.any():
        rows = src.index[np.unique(row[bad])][:5].tolist()
        raise GeometryError(
            f"{len(np.unique(row[bad]))} road line(s) have NaN or infinite coordinates (e.g. rows "
            f"{rows}); repair or drop them (`roads = roads[roads.is_valid]`)"
        )
    attrs = pd.DataFrame(index=src.index)
    # osmnx-style list values (["primary", "secondary"]) take their first class
    attrs["road_class"] = [
        (v[0] if len(v) else None) if isinstance(v, list | tuple) else v
        for v in src[class_column].to_numpy()
    ]
    if oneway_column is not None and oneway_column in src.columns:
        one, rev = _parse_oneway(src[oneway_column])
    else:
        one, rev = np.zeros(len(src), bool), np.zeros(len(src), bool)
    attrs["oneway"] = one
    if name_column is not None and name_column in src.columns:
        attrs["name"] = src[name_column].to_numpy()
    for col in speed_columns.values():
        attrs[col] = src[col].to_numpy()
    attrs["source_id"] = src.index.to_numpy()
    g = src.geometry.to_crs(work_crs) if src.crs != work_crs else src.geometry
    g = g.force_2d() if g.has_z.any() else g
    arr = g.to_numpy()
    span = np.abs(shapely.get_coordinates(arr)).max()
    if not span < 1e9:  # no projected coordinate on Earth is a million kilometres from the origin
        raise CRSError(
            f"road coordinates reach {span:.3g} m in {work_crs.name}: not a place on Earth. The "
            "layer's CRS is probably wrong; set the CRS its coordinates are in"
        )
    arr = np.where(rev, shapely.reverse(arr), arr)
    # explode multi-lines, keeping each part's attributes
    parts, part_idx = shapely.get_parts(arr, return_index=True)
    report["n_multipart_exploded"] = int(len(parts) - len(arr))
    attrs = attrs.iloc[part_idx].reset_index(drop=True)
    return _assemble(
        parts,
        attrs,
        work_crs,
        profile=profile,
        overrides=speeds,
        modes=modes,
        speed_columns=speed_columns,
        tol=float(tolerance_m),
        vertex_keys=None,
        report=report,
        join_t_junctions=join_t_junctions,
        split_crossings=split_crossings,
        oneway=oneway,
    )


def network_from_osm(
    path: str | os.PathLike,
    *,
    modes: Sequence[str] = MODES,
    profile: str | Mapping[str, Mapping[str, float]] = "osm",
    speeds: Mapping[str, Mapping[str, float]] | None = None,
    use_maxspeed: bool = True,
    oneway: bool = True,
    crs: Any | None = None,
) -> Network:
    """Build a network from an OpenStreetMap file, offline.

    Reads ``.osm``, ``.osm.gz``, ``.osm.bz2`` XML and ``.osm.pbf`` with pyosmium. Every way with a
    ``highway`` tag that some mode may use is kept, and **all connected components are kept** (no
    silent "largest component only"); ``network.report`` says how many there are. Junctions are OSM
    nodes shared by ways, so no snapping tolerance is needed. ``oneway=yes/-1`` and roundabouts are
    honoured for vehicles (unless ``oneway=False``); ``maxspeed`` tags (km/h or mph) replace the
    class speed for cars when ``use_maxspeed``, except on classes whose car speed you set in
    ``speeds``: your explicit choice wins. The log (INFO) lists the speeds used per mode and class
    and how many edges took their speed from ``maxspeed`` tags
    (``report["car_edges_speed_from_maxspeed"]``).

    Parameters
    ----------
    path
        ``.osm``, ``.osm.gz``, ``.osm.bz2`` or ``.osm.pbf`` file.
    modes
        Modes to compute times for.
    profile
        ``"osm"`` (``highway=*`` classes), ``"china"`` or a full ``{mode: {class: km/h}}`` table.
    speeds
        Overrides of the profile, e.g. ``{"car": {"residential": 20}}``; a mode or class that
        neither the profile nor the file has is an error.
    use_maxspeed
        Use ``maxspeed`` tags for car speeds on classes you did not set in ``speeds``.
    oneway
        ``True`` honours one-way tags for vehicles; ``False`` makes every road two-way.
    crs
        Projected metric CRS to compute in; default: the local UTM zone.

    Examples
    --------
    >>> import accessibility as acc
    >>> net = acc.network_from_osm("../shared/data/osm/north-bayreuth.osm.gz")  # doctest: +SKIP
    """
    from .osm import read_osm_roads

    roads = read_osm_roads(path)
    if len(roads["geometry"]) == 0:
        raise EmptyLayerError(f"{os.fspath(path)!r} has no ways with a highway tag")
    lines = roads["geometry"]
    attrs = roads["attrs"]
    gs = gpd.GeoSeries(lines, crs="EPSG:4326")
    work_crs = metric_crs(gs, crs)
    proj = gs.to_crs(work_crs).to_numpy()
    report: dict[str, Any] = {"n_input_lines": len(lines), "source": os.fspath(path)}
    if roads.get("skipped"):
        report["n_osm_ways_skipped"] = dict(roads["skipped"])
    if not use_maxspeed:
        report["car_edges_speed_from_maxspeed"] = 0
        _log.info("maxspeed tags are not used (use_maxspeed=False): car speeds are class speeds")
    return _assemble(
        proj,
        attrs,
        work_crs,
        profile=profile,
        overrides=speeds,
        modes=modes,
        speed_columns={},
        tol=0.0,
        vertex_keys=roads["vertex_keys"],
        report=report,
        join_t_junctions=False,
        maxspeed_column="maxspeed_kmh" if use_maxspeed else None,
        oneway=oneway,
    )


def network_from_osmnx(
    graph: nx.MultiDiGraph,
    *,
    modes: Sequence[str] = MODES,
    profile: str | Mapping[str, Mapping[str, float]] = "osm",
    speeds: Mapping[str, Mapping[str, float]] | None = None,
    use_maxspeed: bool = True,
    oneway: bool = True,
    crs: Any | None = None,
) -> Network:
    """Build a network from an osmnx ``MultiDiGraph`` the user already has.

    Pairs of opposite directed edges of the same way become one two-way edge; a directed edge with no
    partner becomes a one-way edge (walkable both ways; ``oneway=False`` makes it two-way for every
    mode). Nodes keep their positions; components are all kept. ``maxspeed`` and ``speeds`` work
    as in :func:`network_from_osm`: a class speed set in ``speeds`` wins over ``maxspeed``.

    Examples
    --------
    On an OSM extract (real data beside the project):

    >>> import osmnx as ox  # doctest: +SKIP
    >>> graph = ox.graph_from_xml("../shared/data/osm/north-bayreuth.osm.gz")  # doctest: +SKIP
    >>> net = network_from_osmnx(graph, modes=("walk", "car"))  # doctest: +SKIP
    """
    import osmnx as ox

    if graph.number_of_edges() == 0:
        raise EmptyLayerError("the osmnx graph has no edges")
    _, edges = ox.graph_to_gdfs(graph, nodes=True, edges=True, fill_edge_geometry=True)
    edges = edges.reset_index()
    n_not_road = 0
    if "highway" in edges:
        # graph_from_xml turns every way into edges (landuse outlines too): keep roads only
        road = edges["highway"].notna().to_numpy()
        n_not_road = int((~road).sum())
        edges = edges.loc[road].reset_index(drop=True)
    if "length" in edges:
        lk = np.round(edges["length"].to_numpy(np.float64), 2)
    else:
        lk = np.round(shapely.length(edges.geometry.to_numpy()), 9)
    u = edges["u"].to_numpy()
    v = edges["v"].to_numpy()
    edges.geometry.to_numpy()
    # match each edge with an opposite partner of the same length (same way, other direction)
    key_fwd = pd.MultiIndex.from_arrays([u, v, lk])
    key_bwd = pd.MultiIndex.from_arrays([v, u, lk])
    has_partner = key_fwd.isin(key_bwd)
    canonical = (u < v) | ((u == v) & (edges["key"].to_numpy() % 2 == 0))
    keep = ~has_partner | (has_partner & canonical)
    # an edge u<v whose partner is kept instead: drop duplicates of the same pair/length
    e = edges.loc[keep].copy()
    e["oneway_flag"] = ~has_partner[keep]

    def _first(x: Any) -> Any:
        return x[0] if isinstance(x, list) and x else x

    hw = e["highway"].map(_first) if "highway" in e else pd.Series("unknown", index=e.index)
    attrs = pd.DataFrame(
        {
            "road_class": hw.to_numpy(),
            "oneway": e["oneway_flag"].to_numpy(bool),
            "name": e["name"].map(_first).to_numpy() if "name" in e else None,
        }
    )
    maxspeed_column = None
    if use_maxspeed and "maxspeed" in e:
        from .osm import parse_maxspeed

        attrs["maxspeed_kmh"] = e["maxspeed"].map(lambda s: parse_maxspeed(_first(s))).to_numpy()
        maxspeed_column = "maxspeed_kmh"
    node_ids = np.concatenate([e["u"].to_numpy(), e["v"].to_numpy()])
    gs = gpd.GeoSeries(e.geometry.to_numpy(), crs=graph.graph.get("crs", "EPSG:4326"))
    work_crs = metric_crs(gs, crs)
    proj = gs.to_crs(work_crs).to_numpy()
    # junctions are the osmnx nodes: give the end vertices their node id, interior vertices unique keys
    coords, line_of = shapely.get_coordinates(proj, return_index=True)
    keys = -1 - np.arange(len(coords), dtype=np.int64)
    starts = np.r_[True, line_of[1:] != line_of[:-1]]
    ends = np.r_[line_of[1:] != line_of[:-1], True]
    keys[starts] = node_ids[: len(e)]
    keys[ends] = node_ids[len(e) :]
    report: dict[str, Any] = {
        "n_input_lines": int(graph.number_of_edges()),
        "source": "osmnx",
        "n_non_road_edges_dropped": n_not_road,
    }
    return _assemble(
        proj,
        attrs,
        work_crs,
        profile=profile,
        overrides=speeds,
        modes=modes,
        speed_columns={},
        tol=0.0,
        vertex_keys=keys,
        report=report,
        join_t_junctions=False,
        maxspeed_column=maxspeed_column,
        oneway=oneway,
    )


def read_network_input(source: Any, **kwargs: Any) -> Network:
    """Build a network from whatever the user has: a Network, GeoDataFrame, road file, OSM file or
    osmnx graph."""
    if isinstance(source, Network):
        return source
    if isinstance(source, gpd.GeoDataFrame):
        return network_from_roads(source, **kwargs)
    if isinstance(source, str | os.PathLike):
        name = Path(source).name.lower()
        if name.endswith((".osm", ".osm.gz", ".osm.bz2", ".pbf", ".osm.pbf")):
            return network_from_osm(source, **kwargs)
        return network_from_roads(source, **kwargs)
    try:
        import networkx as nx

        if isinstance(source, nx.MultiDiGraph):
            return network_from_osmnx(source, **kwargs)
    except ImportError:  # pragma: no cover
        pass
    raise NetworkError(
        f"cannot build a network from {type(source).__name__}; give a road GeoDataFrame, a "
        "GeoPackage/Shapefile path, an OSM file (.osm, .osm.gz, .osm.bz2, .osm.pbf) or an osmnx graph"
    )
