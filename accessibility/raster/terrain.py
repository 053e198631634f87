"""Slope-aware walking on a DEM with Tobler's hiking function.

Per-edge walking times in both directions from elevations sampled along the edge geometry
(:func:`edge_walk_times`) and the off-network leg between a village and its snap point
(:func:`connector_walk_times`). DEMs may be GeoTIFFs or SRTM ``.hgt`` tiles, also zipped
(``N49E011.hgt.zip``) and several tiles at once.

References
----------
Tobler, W. (1993). Three presentations on geographical analysis and modeling. NCGIA Technical
Report 93-1.

The examples in this module run on the demo set up in the docstring of :mod:`accessibility.raster`.
"""

from __future__ import annotations

import logging
import math
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from .._crs import metric_crs, to_metric
from ..errors import GeometryError, InputWarning, InvalidValueError, warn
from ._cells import bilinear, check_crs, points_xy, speed_column, transform_xy
from .core import as_raster, read_raster

if TYPE_CHECKING:
    import geopandas as gpd

logger = logging.getLogger(__name__)


#: Tobler's hiking function: v = 6 exp(-3.5 |s + 0.05|) km/h; on flat ground 6 exp(-0.175) km/h.
TOBLER_FLAT_KMH = 6.0 * math.exp(-3.5 * 0.05)


def tobler_speed_kmh(grade: Any, *, flat_speed_kmh: Any | None = None) -> np.ndarray:
    """Walking speed on a slope by Tobler's hiking function.

    ``v = 6 exp(-3.5 |s + 0.05|)`` km/h, with s = dh/dx the grade in the direction of travel (rise over
    horizontal run; +0.1 = 10 % uphill). The speed peaks at 6 km/h going 5 % downhill and is
    6 exp(-0.175) = 5.04 km/h on the flat. With ``flat_speed_kmh`` the curve is scaled so that the
    flat speed equals it: ``v = flat_speed_kmh * exp(-3.5 (|s + 0.05| - 0.05))``.

    Parameters
    ----------
    grade
        Grade(s) dh/dx, dimensionless.
    flat_speed_kmh
        Speed on flat ground (a number or an array broadcasting with ``grade``); default Tobler's
        own 5.04 km/h.

    Returns
    -------
    numpy.ndarray
        Speeds in km/h.

    References
    ----------
    Tobler, W. (1993). Three presentations on geographical analysis and modeling. NCGIA TR 93-1.

    Examples
    --------
    >>> [round(float(v), 3) for v in tobler_speed_kmh([0.0, -0.05, 0.1])]
    [5.037, 6.0, 3.549]
    """
    s = np.asarray(grade, dtype=float)
    if flat_speed_kmh is None:
        return 6.0 * np.exp(-3.5 * np.abs(s + 0.05))
    flat = np.asarray(flat_speed_kmh, dtype=float)
    if not (flat > 0).all():
        raise InvalidValueError(f"flat_speed_kmh must be > 0; got {flat_speed_kmh}")
    return flat * np.exp(-3.5 * (np.abs(s + 0.05) - 0.05))


def _edges_of(network_or_edges: Any) -> gpd.GeoDataFrame:
    """The edges of a Network, or an edges layer checked to have a CRS."""
    import geopandas as gpd

    if isinstance(network_or_edges, gpd.GeoDataFrame):
        edges = network_or_edges
        check_crs(edges, "the edges")
        return edges
    if hasattr(network_or_edges, "edges") and hasattr(network_or_edges, "crs"):
        return network_or_edges.edges  # a Network's CRS is its edges'
    raise InvalidValueError(
        f"expected a Network or an edges GeoDataFrame; got {type(network_or_edges).__name__}"
    )


def _line_profiles(
    geoms: np.ndarray,
    lengths_m: np.ndarray,
    crs: Any,
    dem: Any,
    *,
    spacing_m: float,
    flat_speed_kmh: float | np.ndarray | None,
) -> pd.DataFrame:
    """Walking times along lines (in a metric CRS) from DEM elevations sampled every ~spacing_m."""
    import shapely

    if not spacing_m > 0:
        raise InvalidValueError(f"spacing_m must be > 0; got {spacing_m}")
    n = len(geoms)
    geom_len = shapely.length(geoms)
    nseg = np.maximum(1, np.ceil(np.nan_to_num(lengths_m) / spacing_m)).astype(np.int64)
    nseg[~(geom_len > 0)] = 1
    npts = nseg + 1
    starts = np.concatenate([[0], np.cumsum(npts)[:-1]])
    total = int(npts.sum())
    owner = np.repeat(np.arange(n), npts)
    j = np.arange(total) - np.repeat(starts, npts)
    frac = j / np.repeat(nseg, npts)
    pts = shapely.line_interpolate_point(geoms[owner], frac, normalized=True)
    x, y = shapely.get_x(pts), shapely.get_y(pts)

    # read only the part of the DEM that the lines cover
    if n:
        b = (float(x.min()), float(y.min()), float(x.max()), float(y.max()))
        dem_r = read_raster(dem, bounds=b, bounds_crs=crs)
    else:
        dem_r = as_raster(dem)
    dx, dy = transform_xy(x, y, crs, dem_r.crs)
    z = bilinear(dem_r, dx, dy)

    # segments: consecutive samples of the same line
    seg_first = np.ones(total, bool)
    seg_first[starts] = False  # a sample that starts a line has no segment before it
    dz = np.diff(z, prepend=np.nan)[seg_first]
    seg_owner = owner[seg_first]
    seg_len = (lengths_m / nseg)[seg_owner]
    bad = ~np.isfinite(dz)
    if bad.any():
        warn(
            InputWarning,
            logger,
            "%d of %d segments have no DEM elevation (outside the DEM or nodata); "
            "they are walked as flat ground",
            int(bad.sum()),
            len(dz),
        )
        dz = np.where(bad, 0.0, dz)
    with np.errstate(invalid="ignore", divide="ignore"):
        grade = np.where(seg_len > 0, dz / seg_len, 0.0)
    flat = flat_speed_kmh
    if flat is not None and np.ndim(flat) == 1:
        flat = np.asarray(flat, dtype=float)[seg_owner]
    v_f = tobler_speed_kmh(grade, flat_speed_kmh=flat)
    v_b = tobler_speed_kmh(-grade, flat_speed_kmh=flat)
    t_f = seg_len / (v_f * 1000.0 / 60.0)
    t_b = seg_len / (v_b * 1000.0 / 60.0)
    return pd.DataFrame(
        {
            "walk_fwd_min": np.bincount(seg_owner, weights=t_f, minlength=n),
            "walk_bwd_min": np.bincount(seg_owner, weights=t_b, minlength=n),
            "climb_m": np.bincount(seg_owner, weights=np.clip(dz, 0, None), minlength=n),
            "descent_m": np.bincount(seg_owner, weights=np.clip(-dz, 0, None), minlength=n),
        }
    )


def edge_walk_times(
    network_or_edges: Any,
    dem_path: Any,
    *,
    spacing_m: float = 30.0,
    flat_speed_kmh: float | str | None = None,
    length_column: str | None = "length_m",
    mode: str = "walk",
) -> pd.DataFrame:
    """Slope-aware walking times along every network edge, in both directions.

    Each edge geometry is cut into n = ceil(L / spacing_m) equal pieces; elevations are interpolated
    bilinearly from the DEM at the n + 1 points; each piece k of horizontal length L/n and rise dz_k
    is walked at Tobler's speed for its grade s_k = dz_k / (L/n):

        t_fwd = sum_k (L/n) / v(s_k),   t_bwd = sum_k (L/n) / v(-s_k)   (v in m/min)

    where v is :func:`tobler_speed_kmh`. On flat ground this is L / v(0).

    Parameters
    ----------
    network_or_edges
        A :class:`~accessibility.network.Network` (its ``.edges`` and ``.crs`` are used) or an edges
        GeoDataFrame with LineStrings oriented u -> v (any CRS; geographic layers are measured in the
        local UTM zone).
    dem_path
        DEM: a GeoTIFF, an SRTM ``.hgt`` tile (zipped is fine), a list of tiles, or a
        :class:`Raster`. Any CRS.
    spacing_m
        Sampling interval along edges (30-50 m suits SRTM's 30-90 m cells).
    flat_speed_kmh
        Walking speed on flat ground (see :func:`tobler_speed_kmh`): a number, or the name of an
        edge column with per-edge speeds (``"walk_speed_kmh"`` of a Network keeps flat edges exactly
        at the network's times; edges with speed 0 or NaN come out closed, inf). Default: Tobler's
        5.04 km/h.
    length_column
        Column with the horizontal edge length in metres (as the network's ``length_m``); when absent
        the geometry length in the metric CRS is used.
    mode
        Where the edges have ``{mode}_fwd_min`` / ``{mode}_bwd_min`` columns, directions closed to
        the mode there (infinite time, e.g. a motorway) stay closed (inf) in the result.

    Returns
    -------
    pandas.DataFrame
        Indexed like the edges: ``walk_fwd_min`` (u -> v), ``walk_bwd_min`` (v -> u), ``climb_m`` and
        ``descent_m`` (total ascent and descent walking u -> v). Feed the first two to
        ``network.with_edge_times("walk", df["walk_fwd_min"], df["walk_bwd_min"])``.

    Examples
    --------
    >>> times = edge_walk_times(net, demo.dem_path, flat_speed_kmh="walk_speed_kmh")
    >>> times.columns.tolist()
    ['walk_fwd_min', 'walk_bwd_min', 'climb_m', 'descent_m']
    >>> hilly = net.with_edge_times("walk", times["walk_fwd_min"], times["walk_bwd_min"])
    >>> slower = hilly.edges["walk_fwd_min"] / net.edges["walk_fwd_min"]
    >>> round(float(slower[np.isfinite(slower)].max()), 2)  # steepest climb vs the flat time
    11.62
    """
    import shapely

    edges = _edges_of(network_or_edges)
    if len(edges) == 0:
        return pd.DataFrame(
            {c: pd.Series(dtype=float) for c in ("walk_fwd_min", "walk_bwd_min")},
            index=edges.index,
        )
    geoms = np.asarray(edges.geometry)
    if not np.isin(shapely.get_type_id(geoms), (1, 2)).all():
        raise GeometryError("edge geometries must be LineStrings oriented u -> v")
    gs, metric = to_metric(edges.geometry)
    geoms = np.asarray(gs)
    if length_column and length_column in edges.columns:
        lengths = edges[length_column].to_numpy(dtype=float)
    else:
        lengths = shapely.length(geoms)
    flat: float | np.ndarray | None
    no_speed = np.zeros(len(edges), dtype=bool)
    if isinstance(flat_speed_kmh, str):
        flat = speed_column(edges, flat_speed_kmh, "edges")
        no_speed = ~(flat > 0)
        flat = np.where(no_speed, 1.0, flat)
    else:
        flat = flat_speed_kmh
    out = _line_profiles(geoms, lengths, metric, dem_path, spacing_m=spacing_m, flat_speed_kmh=flat)
    out.index = edges.index
    out.loc[no_speed, ["walk_fwd_min", "walk_bwd_min"]] = np.inf
    for col, new in ((f"{mode}_fwd_min", "walk_fwd_min"), (f"{mode}_bwd_min", "walk_bwd_min")):
        if col in edges.columns:
            closed = ~np.isfinite(edges[col].to_numpy(dtype=float))
            out.loc[closed, new] = np.inf
    return out


def connector_walk_times(
    points: gpd.GeoDataFrame | gpd.GeoSeries,
    snap_points: gpd.GeoDataFrame | gpd.GeoSeries,
    dem_path: Any,
    *,
    spacing_m: float = 30.0,
    flat_speed_kmh: float | None = None,
) -> pd.DataFrame:
    """Walking time of the off-network leg between each point and its snap point, on the DEM.

    The leg is the straight line from the point (a village) to its snap point on the road; it is
    sampled and timed as in :func:`edge_walk_times`.

    Parameters
    ----------
    points
        Origin points (villages, facilities); the index labels the result.
    snap_points
        Their snap points, aligned by index (same labels); any CRS (reprojected to ``points``').
    dem_path
        DEM (GeoTIFF, ``.hgt``, ``.hgt.zip``, list of tiles, or :class:`Raster`).
    spacing_m
        Sampling interval along the leg.
    flat_speed_kmh
        Walking speed on flat ground; default Tobler's 5.04 km/h.

    Returns
    -------
    pandas.DataFrame
        Indexed like ``points``: ``distance_m`` (horizontal), ``walk_to_snap_min`` (point -> road),
        ``walk_from_snap_min`` (road -> point), ``climb_m`` (ascent walking to the road).

    Examples
    --------
    >>> import geopandas as gpd
    >>> from accessibility.snapping import locate
    >>> snap = locate(net, villages, mode="walk")
    >>> snapped = gpd.points_from_xy(snap["snap_x"], snap["snap_y"], crs=net.crs)
    >>> legs = connector_walk_times(villages, gpd.GeoSeries(snapped, index=villages.index),
    ...                             demo.dem_path)
    >>> legs.loc["V216"].round(1).tolist()
    [249.7, 3.3, 4.6, 0.0]
    """
    import geopandas as gpd
    import shapely

    check_crs(points, "the points")
    check_crs(snap_points, "the snap points")
    if not snap_points.index.equals(points.index):
        missing = points.index.difference(snap_points.index)
        if len(missing):
            raise InvalidValueError(
                f"snap_points lack {len(missing)} of the points' ids (e.g. {list(missing[:3])}); "
                "pass snap points indexed like the points"
            )
        snap_points = snap_points.loc[points.index]
    p = gpd.GeoSeries(points.geometry, crs=points.crs)
    metric = metric_crs(p)
    px, py = points_xy(p.to_crs(metric))
    sx, sy = points_xy(gpd.GeoSeries(snap_points.geometry, crs=snap_points.crs).to_crs(metric))
    lines = shapely.linestrings(
        np.stack([np.column_stack([px, sx]), np.column_stack([py, sy])], -1)
    )
    dist = np.hypot(sx - px, sy - py)
    out = _line_profiles(
        lines, dist, metric, dem_path, spacing_m=spacing_m, flat_speed_kmh=flat_speed_kmh
    )
    return pd.DataFrame(
        {
            "distance_m": dist,
            "walk_to_snap_min": out["walk_fwd_min"].to_numpy(),
            "walk_from_snap_min": out["walk_bwd_min"].to_numpy(),
            "climb_m": out["climb_m"].to_numpy(),
        },
        index=points.index,
    )
