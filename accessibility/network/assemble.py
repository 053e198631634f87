"""The shared back end of the builders: lines and per-line attributes -> :class:`Network`.

Repairs the topology (:mod:`accessibility.network.repair`), splits the lines into edges at
junctions (:mod:`accessibility.network.topology`), gives every edge a time per mode from its
class speed (:mod:`accessibility.speeds`), numbers the nodes along a space-filling curve and
labels the connected components.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pyproj import CRS

from .._arrays import unique_sorted
from ..errors import InvalidValueError, NetworkError, NetworkWarning, warn
from ..options import resolve_n_jobs
from ..speeds import check_speed_overrides, normalise_class, speed_profile
from .repair import crossings, join_t_junctions, segments
from .topology import HeldVertices, split_lines, strong_component_count, vertices
from .types import Network

__all__ = ["BuildOptions", "assemble"]

_log = logging.getLogger(__name__)

#: Layers of this many lines or more count their crossings on a second thread (below it the
#: thread's start-up is a large share of the count).
_THREADED_CROSSINGS_MIN_LINES = 20_000

_FORBID_COLUMN = {"car": "no_car", "bike": "no_bike", "ebike": "no_bike", "walk": "no_walk"}


@dataclass(frozen=True)
class BuildOptions:
    """What a builder asks of :func:`assemble` besides the lines and their attributes.

    ``speed_columns`` are per-edge speeds the user pointed to (they replace the class speed);
    ``maxspeed_column`` holds car speeds from tags in the data (OSM ``maxspeed``), used only for
    classes whose car speed the user did not set in ``overrides``. ``oneway=False`` routes every
    road both ways. ``tol``, ``join_t_junctions`` and ``split_crossings`` are the repairs of a
    road layer (an OSM file or osmnx graph has its junctions as node ids instead).
    """

    profile: str | Mapping[str, Mapping[str, float]]
    overrides: Mapping[str, Mapping[str, float]] | None
    modes: Sequence[str]
    oneway: bool = True
    speed_columns: Mapping[str, str] = field(default_factory=dict)
    maxspeed_column: str | None = None
    tol: float = 0.0
    join_t_junctions: bool = False
    split_crossings: bool = False
    oneway_ignored_by: Sequence[str] = ("walk",)


def assemble(
    geoms: np.ndarray,
    attrs: pd.DataFrame,
    crs: CRS,
    options: BuildOptions,
    *,
    vertex_keys: np.ndarray | None,
    report: dict[str, Any],
    held: HeldVertices | None = None,
) -> Network:
    """Shared back end: lines + per-line attributes -> Network (see :class:`BuildOptions`).

    ``vertex_keys`` (one per vertex, such as OSM node ids) say which vertices are the same
    junction; without them, vertices are joined by position (within ``options.tol``).
    ``held`` holds the vertices of ``geoms`` when the caller has read them
    (:data:`~accessibility.network.topology.HeldVertices`): the steps that leave the lines
    unchanged hand them on instead of reading them again.
    """
    modes = options.modes
    speeds = speed_profile(options.profile, overrides=options.overrides, modes=tuple(modes))
    # a key matching no class would be silently ignored: check before any work
    # the classes as codes into their distinct values: each distinct class is handled once
    class_code, class_values = pd.factorize(attrs["road_class"], use_na_sentinel=False)
    class_values = np.asarray(class_values, dtype=object)
    class_values[pd.isna(class_values)] = None  # pd.NA as well as NaN: "unknown"
    explicit = check_speed_overrides(
        options.overrides, profile=options.profile, data_classes=class_values
    )
    if not options.oneway:
        report["n_oneway_ignored"] = int(attrs["oneway"].astype(bool).sum())
        attrs = attrs.assign(oneway=False)
    line_length = shapely.length(geoms)
    crossings_done: Callable[[bool], None] = _nothing_pending
    if vertex_keys is None:
        geoms, crossings_done = _repair(geoms, options, report, held)
    tol = options.tol
    try:
        parts = split_lines(geoms, tol=tol, vertex_keys=vertex_keys, held=held)
    except BaseException:
        crossings_done(False)  # the count is dropped: this error is the one to see
        raise
    crossings_done(True)  # its warning first, as before; and its error, if it failed
    report["n_endpoints_snapped"] = parts["n_endpoints_snapped"]
    line = parts["line"]
    egeoms = parts["geometry"]
    length = shapely.length(egeoms)
    zero = length <= 0
    report["n_zero_length_dropped"] = int(zero.sum())
    u, v, node_xy = parts.pop("u"), parts.pop("v"), parts.pop("node_xy")
    del parts  # the edge arrays are held once (freed here as they are filtered and copied)
    if zero.any():
        u, v, line, egeoms, length = (x[~zero] for x in (u, v, line, egeoms, length))
    del zero
    report["n_self_loops"] = int((u == v).sum())
    _check_collapsed(line_length, line, len(u), tol, report)

    a = attrs.drop(columns="road_class").iloc[line].reset_index(drop=True)
    classes = _EdgeClasses.of(
        class_code[line],
        class_values,
        options.profile if isinstance(options.profile, str) else None,
    )
    edges = gpd.GeoDataFrame(
        {
            "u": u.astype(np.int64, copy=False),
            "v": v.astype(np.int64, copy=False),
            "length_m": length,
            "road_class": classes.column(),
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
        unknown_all |= {c for c in classes.present() if c not in table}
        sp, used[mode] = _mode_speeds(
            mode, table, classes, a, options, explicit.get(mode, set()), report
        )
        with np.errstate(divide="ignore"):
            t = np.where(sp > 0, length / 1000.0 / sp * 60.0, np.inf)
        oneway = edges["oneway"].to_numpy() & (mode not in options.oneway_ignored_by)
        edges[f"{mode}_speed_kmh"] = sp
        edges[f"{mode}_fwd_min"] = t
        edges[f"{mode}_bwd_min"] = np.where(oneway, np.inf, t)
        del sp, t, oneway
    report["class_speeds_kmh"] = used
    del a, u, v, line, egeoms, length, classes
    if unknown_all:
        report["unknown_classes"] = sorted(unknown_all)
        warn(
            NetworkWarning,
            _log,
            "road classes %s are not in the speed profile; they use its 'unknown' speed. Add them "
            "with speeds={...} or map them to known classes.",
            sorted(unknown_all)[:10],
        )
    return _finish(node_xy, edges, tuple(modes), report, crs)


def _repair(
    geoms: np.ndarray,
    options: BuildOptions,
    report: dict[str, Any],
    held: HeldVertices | None,
) -> tuple[np.ndarray, Callable[[bool], None]]:
    """Crossings found (and split when asked), then T-junctions joined, on a road layer (the
    steps take the vertices out of ``held``; unchanged lines get them back).

    Returns the lines and a function to call once, from :func:`assemble`, when the lines are
    split: ``done(True)`` reports the crossings (before any later warning), ``done(False)``
    (the build failed) waits for the count and drops it. Crossings that are only counted (not
    ``split_crossings``) are counted on a second thread while the lines are split into edges,
    when there are two cores and enough lines to gain from it; the report holds their key in
    the place it has when they are counted first. Nothing the count reads is changed meanwhile
    (the lines are immutable, the segments its own).
    """
    split = options.split_crossings

    def reported(n_cross: int) -> None:
        report["n_crossings_split" if split else "n_crossings_not_joined"] = n_cross
        if n_cross and not split:
            warn(
                NetworkWarning,
                _log,
                "%d place(s) where roads cross without a shared vertex were NOT joined (they "
                "may be bridges or underpasses). If your layer was digitised without nodes at "
                "junctions, pass split_crossings=True.",
                n_cross,
                stacklevel=5,  # reported, _repair or done, assemble, the builder: the caller's line
            )

    if split or len(geoms) < 2:
        geoms, n_cross = crossings(geoms, split=split, held=held)
        reported(n_cross)
        if options.join_t_junctions:
            geoms, report["n_t_junctions_joined"] = join_t_junctions(geoms, options.tol, held)
        return geoms, _nothing_pending
    # the segments once, for both steps; the vertices go back for the T-junctions
    coords, line_of = vertices(geoms, held)
    segs = segments(coords, line_of)
    if held is not None:
        held[:] = [coords, line_of]
    del coords, line_of
    if len(geoms) < _THREADED_CROSSINGS_MIN_LINES or resolve_n_jobs() < 2:
        reported(crossings(geoms, split=False, segs=segs)[1])
        done: Callable[[bool], None] = _nothing_pending
    else:
        report["n_crossings_not_joined"] = 0  # its place in the report; the count comes later
        pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="accessibility-crossings")
        counting = pool.submit(crossings, geoms, split=False, segs=segs)

        def done(ok: bool) -> None:
            if not ok:  # the build failed: no count, no warning, no thread left behind
                pool.shutdown(wait=True, cancel_futures=True)
                return
            try:
                n_cross = counting.result()[1]
            finally:
                pool.shutdown(wait=True)
            reported(n_cross)

    if options.join_t_junctions:
        try:
            geoms, report["n_t_junctions_joined"] = join_t_junctions(
                geoms, options.tol, held, segs=segs
            )
        except BaseException:
            done(False)
            raise
    return geoms, done


def _nothing_pending(ok: bool) -> None:
    """:func:`_repair`'s ``done`` when the crossings were counted on this thread."""


def _check_collapsed(
    line_length: np.ndarray, line: np.ndarray, n_edges: int, tol: float, report: dict[str, Any]
) -> None:
    """Count the lines that the tolerance merged into points; refuse when it ate the network."""
    # lines of positive length that left no edge: joining vertices within tol merged them away
    collapsed = line_length > 0
    collapsed[unique_sorted(line)] = False
    n_collapsed, n_lines = int(collapsed.sum()), int((line_length > 0).sum())
    lost_km = float(line_length[collapsed].sum()) / 1000.0
    report["n_lines_collapsed"] = n_collapsed
    if tol > 0 and n_collapsed and (n_edges == 0 or 2 * lost_km * 1000 >= line_length.sum()):
        raise NetworkError(
            f"tolerance_m = {tol:g}: joining line ends and vertices closer than {tol:g} m collapsed "
            f"{n_collapsed} of {n_lines} road line(s) ({lost_km:.3g} of "
            f"{float(line_length.sum()) / 1000:.3g} km) into single points (lines shorter than the "
            "tolerance, and chains of vertices each within the tolerance of the next, merge into "
            f"one junction), leaving {n_edges} edge(s). The tolerance is meant to close digitising "
            "gaps: use about the precision of the layer, typically 0.5-5 m and rarely more than "
            "20 m ([network] tolerance_m in a project file, tolerance_m= in network_from_roads)."
        )
    if tol > 0 and n_collapsed:
        import warnings

        from ..errors import InputWarning

        warnings.warn(
            f"tolerance_m = {tol:g}: joining line ends and vertices closer than {tol:g} m collapsed "
            f"{n_collapsed} of {n_lines} road line(s) ({lost_km:.3g} km) into single points; they "
            "are not in the "
            "network (report['n_lines_collapsed']). If they are real roads, use a smaller "
            "tolerance (typically 0.5-5 m).",
            InputWarning,
            stacklevel=4,  # this function, assemble, the builder, the user
        )


@dataclass(frozen=True)
class _EdgeClasses:
    """The normalised road class of every edge, as codes into the distinct classes.

    ``names[code[e]]`` is edge ``e``'s class (aliases such as 县道 -> county normalised); each
    distinct class of the layer is normalised and looked up once, not once per edge.
    """

    code: np.ndarray
    names: np.ndarray

    @classmethod
    def of(cls, code: np.ndarray, values: np.ndarray, profile_name: str | None) -> _EdgeClasses:
        names = np.array([normalise_class(c, profile_name) for c in values], dtype=object)
        return cls(np.asarray(code, dtype=np.int64), names)

    def column(self) -> pd.api.extensions.ExtensionArray:
        """The class of every edge as a string column."""
        return pd.Series(self.names, dtype=object).astype(str).array.take(self.code)

    def present(self) -> np.ndarray:
        """The distinct classes some edge has, in order of first code."""
        used = np.bincount(self.code, minlength=len(self.names)) > 0
        return pd.unique(self.names[used])

    def per_edge(self, per_class: np.ndarray) -> np.ndarray:
        """A value per distinct class (aligned to ``names``) spread to the edges."""
        return np.asarray(per_class)[self.code]


def _mode_speeds(
    mode: str,
    table: Mapping[str, float],
    classes: _EdgeClasses,
    a: pd.DataFrame,
    options: BuildOptions,
    mine: set[str],
    report: dict[str, Any],
) -> tuple[np.ndarray, dict[str, float]]:
    """Each edge's speed (km/h, 0 = not allowed) in ``mode``: the class speed, replaced by tags
    (``maxspeed``) and the user's speed columns, and 0 where a ``no_{mode}`` column forbids it.

    ``mine`` are the classes whose speed the user set explicitly for this mode. Also returns the
    class speeds used, for the report.
    """
    names = pd.Series(classes.names, dtype=object)
    sp = classes.per_edge(names.map(table).fillna(table.get("unknown", 0.0)).to_numpy(np.float64))
    used = {
        str(c): float(table.get(c, table.get("unknown", 0.0))) for c in sorted(classes.present())
    }
    _log.info(
        "%s speeds (km/h) by road class: %s",
        mode,
        ", ".join(
            f"{c} {v:g}" + (" (set in speeds)" if c in mine else "") for c, v in used.items()
        ),
    )
    maxspeed_column = options.maxspeed_column
    if mode == "car" and maxspeed_column is not None and maxspeed_column in a:
        tag = pd.to_numeric(a[maxspeed_column], errors="coerce").to_numpy(np.float64)
        # tags fill in the class speed, unless the user set this class's speed explicitly
        take = (
            np.isfinite(tag) & (tag > 0) & (sp > 0) & ~classes.per_edge(names.isin(mine).to_numpy())
        )
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
    col = options.speed_columns.get(mode)
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
    return sp, used


def _finish(
    node_xy: np.ndarray,
    edges: gpd.GeoDataFrame,
    modes: tuple[str, ...],
    report: dict[str, Any],
    crs: CRS,
) -> Network:
    """Nodes numbered along a space-filling curve, the network made, its components reported."""
    # renumber nodes along a space-filling curve for memory locality in routing
    from ..routing import spatial_order

    order = np.asarray(spatial_order(node_xy[:, 0], node_xy[:, 1]), dtype=np.int64)
    new_id = np.empty_like(order)
    new_id[order] = np.arange(len(order))
    node_xy = np.take(node_xy, order, axis=0)
    edges["u"] = new_id[edges["u"].to_numpy()]
    edges["v"] = new_id[edges["v"].to_numpy()]
    nodes = gpd.GeoDataFrame(
        {"x": node_xy[:, 0], "y": node_xy[:, 1]},
        geometry=shapely.points(node_xy),
        crs=crs,
    )
    nodes.index.name = "node"
    edges.index.name = "edge"
    net = Network(nodes, edges, modes, report)
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
        # counted on the edges' arcs directly: the routing graph is built when routing asks
        report[f"{mode}_strong_components"] = strong_component_count(
            len(nodes),
            edges["u"].to_numpy(),
            edges["v"].to_numpy(),
            edges[f"{mode}_fwd_min"].to_numpy(),
            edges[f"{mode}_bwd_min"].to_numpy(),
        )
    _log.info("built %r", net)
    if n_comp > 1:
        _log.info(
            "the network has %d connected components; %d node(s) lie outside the largest. All are "
            "kept; points located on small components are flagged.",
            n_comp,
            report["nodes_outside_largest"],
        )
    return net
