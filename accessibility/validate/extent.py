"""Several layers together: one CRS, and points within the road network's extent."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from .._crs import metric_crs
from ..errors import CRSError, EmptyLayerError, InvalidValueError, SnapError
from .coordinates import SWAP_FIX
from .problems import examples

if TYPE_CHECKING:
    import geopandas as gpd
    import pyproj


def check_same_crs(
    *layers: gpd.GeoDataFrame | gpd.GeoSeries, names: Sequence[str] | None = None
) -> pyproj.CRS:
    """Check that layers share one CRS and return it.

    Parameters
    ----------
    *layers
        GeoDataFrames or GeoSeries.
    names
        Names for the messages (default ``layer 1``, ``layer 2``, ...).

    Returns
    -------
    pyproj.CRS
        The common CRS.

    Raises
    ------
    CRSError
        A layer has no CRS, or the CRSs differ (the message lists each layer's CRS and the fix).

    Examples
    --------
    >>> import geopandas as gpd
    >>> from shapely.geometry import Point
    >>> a = gpd.GeoDataFrame(geometry=[Point(0, 0)], crs=4326)
    >>> check_same_crs(a, a.copy(), names=["villages", "roads"]).to_epsg()
    4326
    """
    if not layers:
        raise InvalidValueError("check_same_crs needs at least one layer")
    names = list(names) if names is not None else [f"layer {i + 1}" for i in range(len(layers))]
    if len(names) != len(layers):
        raise InvalidValueError(f"got {len(layers)} layers but {len(names)} names")
    crss = [layer.crs for layer in layers]
    none = [n for n, c in zip(names, crss, strict=True) if c is None]
    if none:
        raise CRSError(
            f"{', '.join(none)} ha{'s' if len(none) == 1 else 've'} no CRS; set it with "
            "`.set_crs(...)` (the CRS the coordinates are in), then reproject with `.to_crs(...)`."
        )
    first = crss[0]
    differ = [(n, c) for n, c in zip(names, crss, strict=True) if not c.equals(first)]
    if differ:
        listing = "; ".join(f"{n}: {_crs_label(c)}" for n, c in zip(names, crss, strict=True))
        raise CRSError(
            f"the layers are in different CRSs ({listing}). Reproject them to one, e.g. "
            f"`{differ[0][0]} = {differ[0][0]}.to_crs({names[0]}.crs)`."
        )
    return first


def _crs_label(crs: pyproj.CRS) -> str:
    epsg = crs.to_epsg()
    return f"EPSG:{epsg} ({crs.name})" if epsg else crs.name


def check_extent_overlap(
    points: gpd.GeoDataFrame | gpd.GeoSeries,
    roads: gpd.GeoDataFrame | gpd.GeoSeries,
    *,
    margin_m: float = 10_000.0,
    points_name: str = "points",
) -> pd.Series:
    """Check that points lie within the road network's extent (plus a margin).

    The extent is the bounding box of the roads in a metric CRS (the roads' own if projected,
    else the local UTM zone). Points farther than ``margin_m`` outside it cannot be routed
    sensibly. When most points are outside, the cause is almost always swapped latitude/longitude
    or a wrong CRS, and the error says which fits; when only a few are, they are listed.

    Parameters
    ----------
    points
        Villages or facilities (CRS set).
    roads
        Road lines (CRS set; may differ from the points').
    margin_m
        Distance (m) beyond the roads' bounding box still accepted.
    points_name
        Name of the point layer in messages.

    Returns
    -------
    pandas.Series
        ``outside_extent_m`` per point, indexed like ``points``: 0 inside the box, else the
        distance (m) to it (inf for coordinates that cannot be projected).

    Raises
    ------
    CRSError
        More than half of the points are outside (swapped coordinates or wrong CRS).
    SnapError
        Some points are outside.

    Examples
    --------
    >>> import geopandas as gpd
    >>> from shapely.geometry import LineString, Point
    >>> roads = gpd.GeoSeries([LineString([(0, 0), (5000, 0)])], crs=32650)
    >>> pts = gpd.GeoSeries([Point(100, 50)], crs=32650)
    >>> check_extent_overlap(pts, roads).tolist()  # 50 m beside the box: within the margin
    [50.0]
    """
    import shapely
    from pyproj import Transformer

    if points.crs is None or roads.crs is None:
        which = "points" if points.crs is None else "roads"
        raise CRSError(f"the {which} layer has no CRS; set it with `.set_crs(...)`")
    road_geo = roads.geometry if hasattr(roads, "geometry") else roads
    road_geo = road_geo[~(road_geo.isna() | road_geo.is_empty)]
    if len(road_geo) == 0:
        raise EmptyLayerError("the road layer has no geometries")
    metric = metric_crs(road_geo)
    minx, miny, maxx, maxy = road_geo.to_crs(metric).total_bounds

    pgeo = points.geometry if hasattr(points, "geometry") else points
    reps = np.asarray(pgeo.array, dtype=object)
    present = ~(shapely.is_missing(reps) | shapely.is_empty(reps))
    px = np.full(len(reps), np.nan)
    py = np.full(len(reps), np.nan)
    if present.any():
        rp = shapely.point_on_surface(reps[present])
        px[present] = shapely.get_x(rp)
        py[present] = shapely.get_y(rp)
    tr = Transformer.from_crs(points.crs, metric, always_xy=True)

    def distance(x: np.ndarray, y: np.ndarray) -> np.ndarray:
        with np.errstate(invalid="ignore"):
            mx, my = tr.transform(x, y, errcheck=False)
        mx = np.asarray(mx, dtype=float)
        my = np.asarray(my, dtype=float)
        dx = np.maximum(np.maximum(minx - mx, mx - maxx), 0.0)
        dy = np.maximum(np.maximum(miny - my, my - maxy), 0.0)
        d = np.hypot(dx, dy)
        d[~np.isfinite(d)] = np.inf
        return d

    dist = distance(px, py)
    dist[~present] = np.nan
    result = pd.Series(dist, index=points.index, name="outside_extent_m")
    far = np.nan_to_num(dist, nan=0.0) > margin_m
    if not far.any():
        return result
    labels = pd.Index(points.index)
    n_far = int(far.sum())
    n = int(present.sum())
    worst = ["cannot be projected" if np.isinf(v) else f"{v / 1000:.0f} km out" for v in dist[far]]
    example = examples(labels[far], worst)
    if n_far > n / 2:
        cause = "a wrong CRS"
        if points.crs.is_geographic:
            swapped = distance(py, px)
            if np.mean(np.nan_to_num(swapped[present], nan=np.inf) <= margin_m) >= 0.5:
                cause = "swapped latitude/longitude (they fit the roads when x and y are exchanged)"
        raise CRSError(
            f"{points_name}: {n_far} of {n} points lie more than {margin_m / 1000:g} km outside "
            f"the road network's extent ({example}). The likely cause is {cause}. "
            f"{SWAP_FIX if 'swapped' in cause else ''}"
            f"Check the CRS of both layers (points: {_crs_label(points.crs)}, roads: "
            f"{_crs_label(roads.crs)}) and that they cover the same area."
        )
    raise SnapError(
        f"{points_name}: {n_far} of {n} points lie more than {margin_m / 1000:g} km outside the "
        f"road network's extent: {example}. Extend the road layer to cover them, drop them, or "
        "raise margin_m if they are reachable."
    )
