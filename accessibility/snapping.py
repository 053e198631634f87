"""Turning villages and facilities into routable points.

Points are snapped to the nearest **edge** (not node) that the travel mode may use; the walk from the
point to the road (the connector) is part of every travel time. Points farther from any road than
``max_snap_m`` are flagged and left out of routing rather than snapped across a river into another
valley.

Examples
--------
The examples run on the bundled (synthetic) demo county:

>>> import accessibility as acc
>>> from accessibility.snapping import locate, to_points
>>> demo = acc.load_demo()
>>> net = acc.network_from_roads(demo.roads, tolerance_m=2.5)
>>> len(demo.villages), len(demo.townships)
(354, 11)
"""

from __future__ import annotations

import logging
from typing import Any, TypedDict

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from ._deprecate import network_first
from .errors import (
    InvalidValueError,
    SnapWarning,
    warn,
)
from .network import Network
from .validate.points import check_point_layer

__all__ = ["SnapOptions", "locate", "to_points"]

_log = logging.getLogger(__name__)

#: Default walking speed on the off-network leg (km/h); Tobler's hiking function on flat ground.
CONNECTOR_SPEED_KMH = 5.0


class SnapOptions(TypedDict):
    """The options of :func:`locate` that every step of a run passes on unchanged."""

    max_snap_m: float
    connector_speed_kmh: float


#: Default largest accepted distance from a point to the road it is snapped to (m).
MAX_SNAP_M = 1000.0
#: Edges whose distance from a point is within this of the nearest edge's (m, 10 micrometres) are
#: a tie, broken by the edges' own coordinates, so floating noise (a round trip through EPSG:4326
#: moves coordinates by nanometres to micrometres) cannot flip the choice; a real difference of a
#: tenth of a millimetre still decides (the demo county has one at 0.19 mm).
SNAP_TIE_M = 1e-5


def to_points(
    layer: gpd.GeoDataFrame,
    *,
    method: str = "representative",
    population_raster: Any | None = None,
) -> gpd.GeoDataFrame:
    """Turn polygons (village boundaries) into points, explicitly.

    Parameters
    ----------
    layer
        Points, polygons or a mix; points are kept as they are.
    method
        ``"representative"`` (a point guaranteed inside the polygon), ``"centroid"`` (computed in
        a local metric CRS; may fall outside a concave polygon), or ``"population"``
        (population-weighted mean of the ``population_raster`` cells inside the polygon, a
        GeoTIFF path; the representative point where a polygon holds nobody).

    Returns
    -------
    GeoDataFrame
        A copy with point geometries, same index and columns.

    Examples
    --------
    >>> points = to_points(demo.townships, method="representative")
    >>> points.geom_type.unique().tolist()
    ['Point']
    >>> weighted = to_points(demo.townships, method="population",
    ...                      population_raster=demo.population_path)
    >>> round(float(weighted.distance(points).max()))  # metres moved towards the people
    4102
    """
    from .validate.geometry import polygon_points

    how = {"representative": "representative", "centroid": "centroid", "population": "weighted"}
    if method not in how:
        raise InvalidValueError(
            f"method={method!r}; use 'representative', 'centroid' or 'population'"
        )
    if method == "population" and population_raster is None:
        raise InvalidValueError("method='population' needs population_raster=<GeoTIFF path>")
    out = layer.copy()
    geom = out.geometry
    poly = geom.geom_type.isin(["Polygon", "MultiPolygon"]).to_numpy()
    if not poly.any():
        return out
    values = geom.to_numpy().copy()
    values[poly] = polygon_points(values[poly], out.crs, how[method], population_raster)
    return out.set_geometry(gpd.GeoSeries(values, index=out.index, crs=out.crs))


def _edge_tree(network: Network, mode: str) -> tuple[np.ndarray, shapely.STRtree, float]:
    """The edges ``mode`` may use, a spatial index of them and a first search radius (m): half
    the spacing the edges would have if spread evenly over the nodes' bounding box."""
    edges = network.edges
    usable = np.flatnonzero(
        np.isfinite(edges[f"{mode}_fwd_min"].to_numpy())
        | np.isfinite(edges[f"{mode}_bwd_min"].to_numpy())
    )
    if len(usable) == 0:
        raise InvalidValueError(f"no edge of the network may be used by mode {mode!r}")
    xy = network.nodes[["x", "y"]].to_numpy(np.float64)
    area_m2 = float(np.prod(xy.max(axis=0) - xy.min(axis=0)))
    radius_m = 0.5 * float(np.sqrt(max(area_m2, 1.0) / len(usable)))
    return usable, shapely.STRtree(edges.geometry.to_numpy()[usable]), radius_m


def _near_edges(
    tree: shapely.STRtree, pts: np.ndarray, radius_m: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Every (point, tree edge, distance) with the edge within :data:`SNAP_TIE_M` of the point's
    nearest edge.

    Exact by construction: the edges whose bounding box meets a square of half-side ``r`` around
    a point hold every edge within ``r`` of it, so where the nearest of them plus the tie margin is
    within ``r`` (less a margin for rounding the square) they hold the whole tie set. A
    bounding-box query and one vectorised distance are much cheaper than a nearest-neighbour
    search; the few points not settled by ``r`` or ``4 r`` get the nearest-neighbour search
    (``query_nearest``, then ``dwithin``)."""
    n = len(pts)
    xy = shapely.get_coordinates(pts)
    todo = np.arange(n)
    parts: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = []
    for r in (radius_m, 4.0 * radius_m):
        if not len(todo):
            break
        x, y = xy[todo, 0], xy[todo, 1]
        pi, ti = tree.query(shapely.box(x - r, y - r, x + r, y + r))
        d = shapely.distance(pts[todo[pi]], tree.geometries[ti])
        near = np.full(len(todo), np.inf)
        np.minimum.at(near, pi, d)
        done = near + 2.0 * SNAP_TIE_M <= r
        keep = done[pi] & (d <= near[pi] + SNAP_TIE_M)
        parts.append((todo[pi[keep]], ti[keep], d[keep]))
        todo = todo[~done]
    if len(todo):
        rest = pts[todo]
        (p0, _), d0 = tree.query_nearest(rest, return_distance=True, all_matches=False)
        near = np.full(len(rest), np.inf)
        near[p0] = d0
        pi, ti = tree.query(rest, predicate="dwithin", distance=near + SNAP_TIE_M)
        d = shapely.distance(rest[pi], tree.geometries[ti])
        keep = d <= near[pi] + SNAP_TIE_M
        parts.append((todo[pi[keep]], ti[keep], d[keep]))
    pi, ti, d = (np.concatenate(a) for a in zip(*parts, strict=True))
    return pi, ti, d


def _tie_keys(network: Network, mode: str, edge: np.ndarray) -> np.ndarray:
    """Per edge in ``edge``: end coordinates, length, second vertex and the mode's times, to break
    ties between equidistant edges the same way in every network that holds them. Coordinates and
    lengths are rounded to the millimetre and times to 1e-6 min, so the order does not depend on
    the micrometres a reprojection moves them (two nodes with the same x keep the same x). Only
    the candidate edges of a query are keyed, not the whole network."""
    edges = network.edges
    xy = network.nodes[["x", "y"]].to_numpy(np.float64)
    coords, line = shapely.get_coordinates(edges.geometry.to_numpy()[edge], return_index=True)
    second = coords[np.searchsorted(line, np.arange(len(edge))) + 1]
    metres = np.column_stack(
        [
            xy[edges["u"].to_numpy()[edge]],
            xy[edges["v"].to_numpy()[edge]],
            edges["length_m"].to_numpy(np.float64)[edge],
            second,
        ]
    )
    minutes = np.column_stack(
        [
            edges[f"{mode}_fwd_min"].to_numpy(np.float64)[edge],
            edges[f"{mode}_bwd_min"].to_numpy(np.float64)[edge],
        ]
    )
    return np.column_stack([np.round(metres, 3), np.round(minutes, 6)])


@network_first("locate(network, points)")
def locate(
    network: Network,
    points: gpd.GeoDataFrame,
    *,
    mode: str = "car",
    max_snap_m: float = MAX_SNAP_M,
    connector_speed_kmh: float = CONNECTOR_SPEED_KMH,
    what: str = "points",
) -> pd.DataFrame:
    """Snap points to the nearest edge usable by ``mode``.

    The connector leg (from the point straight to its snap point) is walked at
    ``connector_speed_kmh`` and added to every travel time from or to the point.

    Ties: every edge within :data:`SNAP_TIE_M` (10 micrometres) of the nearest distance is
    equally near (a point nearest to a junction is exactly as near every edge there; a point
    midway between two roads is within floating noise of both). Among them the edge with the
    smallest key (its end coordinates, length and second vertex rounded to the millimetre, then
    its times) is chosen, so the choice depends only on the edges themselves: not on the spatial
    index's order, not on the other edges in the network (a partition snaps as the whole network
    does), and not on the micrometres a reprojection (e.g. a round trip through EPSG:4326) moves
    the data.

    Parameters
    ----------
    network
        The road network.
    points
        Point layer, index = ids, any CRS (reprojected to the network's). (The old order
        ``locate(points, network)`` still works for one release, with a FutureWarning.)
    mode
        Only edges this mode may use (in at least one direction) are candidates.
    max_snap_m
        Points farther than this from every candidate edge are flagged (``snapped`` False) and get
        no travel times.
    connector_speed_kmh
        Walking speed on the off-network leg.

    Returns
    -------
    DataFrame
        Indexed like ``points``: ``edge``, ``fraction`` (position along the edge from ``u``, 0-1),
        ``snap_x``, ``snap_y`` (in the network CRS), ``snap_distance_m``, ``connector_min``,
        ``component`` (connected component of the edge, 0 = largest) and ``snapped``.

    Examples
    --------
    >>> snap = locate(net, demo.villages, mode="car")
    >>> snap.loc[["V216"], ["snap_distance_m", "connector_min", "snapped"]].round(1)
                snap_distance_m  connector_min  snapped
    village_id
    V216                  249.7            3.0     True
    >>> int(snap["snapped"].sum()), round(float(snap["snap_distance_m"].max()), 1)
    (354, 272.7)
    """
    check_point_layer(points, what)
    network.check_mode(mode)
    if not connector_speed_kmh > 0:
        raise InvalidValueError(f"connector_speed_kmh must be > 0, got {connector_speed_kmh}")
    if not max_snap_m > 0:
        raise InvalidValueError(f"max_snap_m must be > 0, got {max_snap_m}")
    geom = points.geometry
    if points.crs != network.crs:
        geom = geom.to_crs(network.crs)
    edges = network.edges
    usable, tree, radius_m = network.cached(f"tree:{mode}", lambda: _edge_tree(network, mode))
    arr = geom.to_numpy()
    valid = ~(shapely.is_missing(arr) | shapely.is_empty(arr))
    # NaN or infinite coordinates are on no road: left unsnapped (flagged), like missing points
    valid[valid] = np.isfinite(shapely.get_coordinates(arr[valid]).reshape(-1, 2)).all(axis=1)
    n = len(arr)
    edge = np.full(n, -1, dtype=np.int64)
    dist = np.full(n, np.inf)
    if valid.any():
        # all edges within SNAP_TIE_M of the nearest (a point nearest to a junction is equally
        # near every edge there; a reprojection moves points and edges by micrometres), then the
        # one with the smallest key: the choice depends only on the edges themselves, not on the
        # index's internal order nor on floating noise, so a network built from a part of the
        # roads (a partition) or from reprojected layers snaps every point as the whole one does
        pi, ti, d = _near_edges(tree, arr[valid], radius_m)
        vi = np.flatnonzero(valid)
        # most points have one edge in their tie set: only the others need the keys
        tied = np.bincount(pi, minlength=len(vi))[pi] > 1
        edge[vi[pi[~tied]]] = usable[ti[~tied]]
        dist[vi[pi[~tied]]] = d[~tied]
        pi, ti, d = pi[tied], ti[tied], d[tied]
        cand, cand_pos = np.unique(ti, return_inverse=True)
        k = _tie_keys(network, mode, usable[cand])[cand_pos.ravel()]
        order = np.lexsort((*(k[:, j] for j in range(k.shape[1] - 1, -1, -1)), pi))
        pi, ti, d = pi[order], ti[order], d[order]
        first = np.r_[True, pi[1:] != pi[:-1]] if len(pi) else np.zeros(0, dtype=bool)
        pi, ti, d = pi[first], ti[first], d[first]
        edge[vi[pi]] = usable[ti]
        dist[vi[pi]] = d
    has = edge >= 0
    frac = np.zeros(n)
    snap = np.full((n, 2), np.nan)
    if has.any():
        lines = edges.geometry.to_numpy()[edge[has]]
        frac[has] = shapely.line_locate_point(lines, arr[has], normalized=True)
        snap[has] = shapely.get_coordinates(
            shapely.line_interpolate_point(lines, frac[has], normalized=True)
        )
    snapped = has & (dist <= max_snap_m)
    comp = np.full(n, -1, dtype=np.int64)
    if has.any():
        comp[has] = network.nodes["component"].to_numpy()[edges["u"].to_numpy()[edge[has]]]
    out = pd.DataFrame(
        {
            "edge": edge,
            "fraction": frac,
            "snap_x": snap[:, 0],
            "snap_y": snap[:, 1],
            "snap_distance_m": dist,
            "connector_min": np.where(has, dist / 1000.0 / connector_speed_kmh * 60.0, np.inf),
            "component": comp,
            "snapped": snapped,
        },
        index=points.index,
    )
    n_far = int((has & ~snapped).sum())
    if n_far:
        far = points.index[has & ~snapped][:5].tolist()
        warn(
            SnapWarning,
            _log,
            "%d of %d %s are more than %.0f m from any road usable by %s (e.g. %s); they are "
            "flagged (snapped=False) and get no travel times. Check their coordinates or raise "
            "max_snap_m.",
            n_far,
            n,
            what,
            max_snap_m,
            mode,
            far,
        )
    if (~valid).any():
        warn(
            SnapWarning,
            _log,
            "%d %s have empty geometry and are not located",
            int((~valid).sum()),
            what,
        )
    return out
