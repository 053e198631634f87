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
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from .errors import (
    CRSError,
    DuplicateIdError,
    EmptyLayerError,
    GeometryError,
    InvalidValueError,
    SnapWarning,
    warn,
)
from .network import Network

__all__ = ["locate", "to_points"]

_log = logging.getLogger(__name__)

#: Default walking speed on the off-network leg (km/h); Tobler's hiking function on flat ground.
CONNECTOR_SPEED_KMH = 5.0
#: Default largest accepted distance from a point to the road it is snapped to (m).
MAX_SNAP_M = 1000.0


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
    from .validate import _polygon_points

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
    values[poly] = _polygon_points(values[poly], out.crs, how[method], population_raster)
    return out.set_geometry(gpd.GeoSeries(values, index=out.index, crs=out.crs))


def _tie_keys(network: Network, mode: str) -> np.ndarray:
    """Per edge: end coordinates, length, second vertex and the mode's times, to break ties
    between equidistant edges the same way in every network that holds them."""
    edges = network.edges
    xy = network.nodes[["x", "y"]].to_numpy(np.float64)
    second = shapely.get_coordinates(shapely.get_point(edges.geometry.to_numpy(), 1))
    return np.column_stack(
        [
            xy[edges["u"].to_numpy()],
            xy[edges["v"].to_numpy()],
            edges["length_m"].to_numpy(np.float64),
            second,
            edges[f"{mode}_fwd_min"].to_numpy(np.float64),
            edges[f"{mode}_bwd_min"].to_numpy(np.float64),
        ]
    )


def _check_points(points: gpd.GeoDataFrame, what: str) -> None:
    if not isinstance(points, gpd.GeoDataFrame):
        raise InvalidValueError(f"{what} must be a GeoDataFrame, got {type(points).__name__}")
    if len(points) == 0:
        raise EmptyLayerError(f"the {what} layer is empty")
    if points.crs is None:
        raise CRSError(
            f"the {what} layer has no CRS; set it with `.set_crs(...)` (e.g. 'EPSG:4326' or "
            "'EPSG:4490' for longitude/latitude)"
        )
    if not points.index.is_unique:
        dups = points.index[points.index.duplicated()].unique()[:5].tolist()
        raise DuplicateIdError(
            f"the {what} ids (the index) are not unique, e.g. {dups}; make them unique "
            "(e.g. `.reset_index(drop=True)` or set a unique id column as index)"
        )
    types = points.geometry.geom_type.dropna()
    bad = ~types.isin(["Point"])
    if bad.any():
        raise GeometryError(
            f"the {what} layer must hold points; found {types[bad].value_counts().to_dict()}. "
            "Turn polygons into points explicitly with `accessibility.to_points(layer, "
            "method='representative')`"
        )


def locate(
    points: gpd.GeoDataFrame,
    network: Network,
    *,
    mode: str = "car",
    max_snap_m: float = MAX_SNAP_M,
    connector_speed_kmh: float = CONNECTOR_SPEED_KMH,
    what: str = "points",
) -> pd.DataFrame:
    """Snap points to the nearest edge usable by ``mode``.

    The connector leg (from the point straight to its snap point) is walked at
    ``connector_speed_kmh`` and added to every travel time from or to the point.

    Parameters
    ----------
    points
        Point layer, index = ids, any CRS (reprojected to the network's).
    network
        The road network.
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
    >>> snap = locate(demo.villages, net, mode="car")
    >>> snap.loc[["V216"], ["snap_distance_m", "connector_min", "snapped"]].round(1)
                snap_distance_m  connector_min  snapped
    village_id
    V216                  249.7            3.0     True
    >>> int(snap["snapped"].sum()), round(float(snap["snap_distance_m"].max()), 1)
    (354, 272.7)
    """
    _check_points(points, what)
    network._check_mode(mode)
    if not connector_speed_kmh > 0:
        raise InvalidValueError(f"connector_speed_kmh must be > 0, got {connector_speed_kmh}")
    if not max_snap_m > 0:
        raise InvalidValueError(f"max_snap_m must be > 0, got {max_snap_m}")
    geom = points.geometry
    if points.crs != network.crs:
        geom = geom.to_crs(network.crs)
    edges = network.edges
    key = f"tree:{mode}"
    if key not in network._cache:
        usable = np.flatnonzero(
            np.isfinite(edges[f"{mode}_fwd_min"].to_numpy())
            | np.isfinite(edges[f"{mode}_bwd_min"].to_numpy())
        )
        if len(usable) == 0:
            raise InvalidValueError(f"no edge of the network may be used by mode {mode!r}")
        network._cache[key] = (
            usable,
            shapely.STRtree(edges.geometry.to_numpy()[usable]),
            _tie_keys(network, mode)[usable],
        )
    usable, tree, tie_key = network._cache[key]
    arr = geom.to_numpy()
    valid = ~(shapely.is_missing(arr) | shapely.is_empty(arr))
    n = len(arr)
    edge = np.full(n, -1, dtype=np.int64)
    dist = np.full(n, np.inf)
    if valid.any():
        # all equidistant edges (a point nearest to a junction is equally near every edge
        # there), then the one with the smallest key: the choice depends only on the edges
        # themselves, not on the index's internal order, so a network built from a part of the
        # roads (a partition) snaps every point exactly as the whole network does
        (pi, ti), d = tree.query_nearest(arr[valid], return_distance=True, all_matches=True)
        k = tie_key[ti]
        order = np.lexsort((*(k[:, j] for j in range(k.shape[1] - 1, -1, -1)), d, pi))
        pi, ti, d = pi[order], ti[order], d[order]
        first = np.r_[True, pi[1:] != pi[:-1]] if len(pi) else np.zeros(0, dtype=bool)
        pi, ti, d = pi[first], ti[first], d[first]
        vi = np.flatnonzero(valid)[pi]
        edge[vi] = usable[ti]
        dist[vi] = d
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
