"""The :class:`Network` type: a built road network, fixed once built, and what is derived from it.

The builders are in :mod:`accessibility.network.roads` (road layers) and
:mod:`accessibility.network.osm` (OSM files, osmnx graphs).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from numba import njit
from pyproj import CRS

from ..errors import InvalidValueError, NetworkError, suggest

if TYPE_CHECKING:
    import networkx as nx

    from ..routing import CSRGraph

__all__ = ["Network"]


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
    _fixed: dict[str, tuple[str, int, int]] = field(
        default_factory=dict, init=False, repr=False, compare=False
    )

    def __post_init__(self) -> None:
        # a fingerprint of the columns everything cached is derived from, to detect changes in
        # place (a copy of them would cost as much memory as the columns)
        for col in self._fixed_columns(self.modes):
            if col in self.edges.columns:
                self._fixed[col] = _fingerprint(self.edges[col].to_numpy())

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
            if now is None or _fingerprint(now) != kept:
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

    def check_mode(self, mode: str) -> None:
        """Raise a :class:`~accessibility.errors.NetworkError` if the network has no times for
        ``mode`` (naming the modes it has).

        Examples
        --------
        >>> net.check_mode("car")
        """
        if mode not in self.modes:
            raise NetworkError(
                f"the network has no travel times for mode {mode!r}; it has {list(self.modes)}."
                + suggest(mode, self.modes)
            )

    def graph(self, mode: str) -> CSRGraph:
        """CSR arrays for routing in ``mode`` (cached); arc costs in minutes, cost2 in metres."""
        self.check_mode(mode)
        return self.cached(f"graph:{mode}", lambda: self._build_graph(mode))

    def _build_graph(self, mode: str) -> CSRGraph:
        from ..routing import csr_from_arcs

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

        from .topology import weak_components

        n = len(self.nodes)
        if mode is None:
            labels = weak_components(n, self.edges["u"].to_numpy(), self.edges["v"].to_numpy())
        elif not strong:
            g = self.graph(mode)
            labels = weak_components(n, np.repeat(np.arange(n), np.diff(g.indptr)), g.head)
        else:
            g = self.graph(mode)
            # the CSR arrays as they are (no copy into coordinate form)
            mat = csr_matrix((np.ones(len(g.head), np.float64), g.head, g.indptr), shape=(n, n))
            mat.sum_duplicates()  # parallel arcs: SciPy's strong components never return on repeats
            _, labels = connected_components(mat, directed=True, connection="strong")
        return pd.Series(_relabel_by_size(labels), index=self.nodes.index, name="component")

    def to_networkx(self, mode: str) -> nx.MultiDiGraph:
        """An osmnx-style ``MultiDiGraph`` for ``mode``.

        Node attributes ``x``, ``y``; edge attributes ``length`` (m), ``travel_time`` (s),
        ``travel_time_min``, ``edge_id``, ``road_class``, ``geometry``; graph attribute ``crs``.
        """
        import networkx as nx

        self.check_mode(mode)
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


def _fingerprint(values: np.ndarray) -> tuple[str, int, int]:
    """The dtype, length and a 64-bit hash of the bits of a column, in order: equal for equal
    columns, and (but for a chance of about 2**-64) different for columns whose dtype, length,
    order or any value's bits differ (``-0.0`` and ``0.0`` too, and NaNs of other payloads)."""
    a = np.ascontiguousarray(values)
    if a.dtype.kind not in "iufb" or a.dtype.itemsize not in (1, 2, 4, 8):
        # not a numeric column (a user's replacement): pandas' hash of each value (the same in
        # every process, unlike Python's salted hash of text)
        a = pd.util.hash_array(np.asarray(a, dtype=object))
    if len(a) < _KERNEL_HASH_MIN:
        # small columns (a county's network): hashlib, no kernel to compile on a fresh install
        digest = hashlib.blake2b(a.tobytes(), digest_size=8).digest()  # under 800 kB
        return a.dtype.str, len(a), int.from_bytes(digest, "little")
    words = a.view(f"u{a.dtype.itemsize}").astype(np.uint64, copy=False).view()
    words.flags.writeable = False  # one kernel signature, whether the column's array is or not
    return a.dtype.str, len(a), int(_hash_words(words))


#: Columns of this many values or more are hashed by a kernel (several times faster than
#: hashlib's BLAKE2); shorter ones by hashlib, which needs no compiling.
_KERNEL_HASH_MIN = 100_000


@njit(cache=True, nogil=True)
def _hash_words(words):
    """A position-dependent 64-bit hash of ``words`` (multiply-xorshift, one step per word)."""
    h = np.uint64(0x9E3779B97F4A7C15) ^ np.uint64(words.shape[0])
    for i in range(words.shape[0]):
        h = (h ^ words[i]) * np.uint64(0xBF58476D1CE4E5B9)
        h ^= h >> np.uint64(31)
    return h
