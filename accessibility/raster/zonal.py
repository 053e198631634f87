"""Per-village statistics of a raster and the comparison with network travel times.

The value under each village (:func:`sample_raster`), travel time per village point or polygon
(:func:`zonal_travel_time`) and raster against network times side by side
(:func:`compare_with_network`).

The examples in this module run on the demo set up in the docstring of :mod:`accessibility.raster`.
"""

from __future__ import annotations

import logging
import os
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from ..errors import MissingColumnError
from ._cells import centre_ids, check_crs, onto, points_xy, rowcol, transform_xy
from .core import Raster, as_raster

if TYPE_CHECKING:
    import geopandas as gpd

logger = logging.getLogger(__name__)


def sample_raster(raster: Raster | str | os.PathLike, points: Any) -> pd.Series:
    """Value of the cell holding each point (polygons: a point on their surface).

    Parameters
    ----------
    raster
        The raster.
    points
        GeoDataFrame/GeoSeries in any CRS; the index labels the result.

    Returns
    -------
    pandas.Series
        Indexed like ``points``, named after the raster's description; NaN off the raster.

    Examples
    --------
    >>> sample_raster(tt, villages)[["V001", "V216"]].round(1).tolist()
    [3.8, 33.5]
    """
    r = as_raster(raster)
    check_crs(points, "the points")
    x, y = points_xy(points.geometry)
    x, y = transform_xy(x, y, points.crs, r.crs)
    rows, cols, inside = rowcol(r, x, y)
    vals = np.where(inside, r.values[rows, cols].astype(float), np.nan)
    return pd.Series(vals, index=points.index, name=r.description or "value")


def zonal_travel_time(
    surface: Raster | str | os.PathLike,
    villages: gpd.GeoDataFrame,
) -> pd.DataFrame:
    """Per-village travel time from a travel-time raster.

    For each village: ``travel_time_min`` is the value of the cell holding the village point (for
    polygons, a point on the surface). For polygon villages also ``min_travel_time_min`` and
    ``mean_travel_time_min`` over the reachable cells whose centre lies in the polygon (if no
    centre does, the cell holding the point). ``reachable`` flags villages with a finite time.

    Parameters
    ----------
    surface
        Output of :func:`travel_time_surface` (or such a GeoTIFF).
    villages
        Points or polygons in any CRS.

    Returns
    -------
    pandas.DataFrame
        Indexed like ``villages``.

    Examples
    --------
    >>> zonal_travel_time(tt, villages).loc[["V001", "V216"]].round(1)
                travel_time_min  reachable
    village_id
    V001                    3.8       True
    V216                   33.5       True
    """
    import shapely

    r = as_raster(surface)
    value = sample_raster(r, villages).rename("travel_time_min")
    out = pd.DataFrame({"travel_time_min": value})
    geoms = onto(r, villages)
    polys = np.isin(shapely.get_type_id(geoms), (3, 6))
    if polys.any():
        ids = centre_ids(r, np.where(polys, geoms, None))  # type: ignore[call-overload]  # object fill
        v = r.values.astype(float)
        sel = (ids >= 0) & np.isfinite(v)
        n = len(geoms)
        cnt = np.bincount(ids[sel], minlength=n)
        tot = np.bincount(ids[sel], weights=v[sel], minlength=n)
        mn = np.full(n, np.inf)
        np.minimum.at(mn, ids[sel], v[sel])
        with np.errstate(invalid="ignore", divide="ignore"):
            mean = np.where(cnt > 0, tot / cnt, value.to_numpy())
        mn = np.where(cnt > 0, mn, value.to_numpy())
        out["min_travel_time_min"] = np.where(polys, mn, np.nan)
        out["mean_travel_time_min"] = np.where(polys, mean, np.nan)
    out["reachable"] = np.isfinite(out.to_numpy(float)).any(axis=1)
    return out


def compare_with_network(
    raster_times: pd.Series | pd.DataFrame,
    network_times: pd.Series | pd.DataFrame,
) -> pd.DataFrame:
    """Per-village table of friction-surface and network travel times side by side.

    Parameters
    ----------
    raster_times
        Series of minutes per village, or the output of :func:`zonal_travel_time` (its
        ``travel_time_min`` column is used).
    network_times
        Series of minutes per village (for example the nearest-facility measure), or a cost table
        (``origin``, ``destination``, ``travel_time_min``), reduced to the minimum per origin.

    Returns
    -------
    pandas.DataFrame
        Indexed by the union of villages: ``raster_travel_time_min``, ``network_travel_time_min``
        (NaN where a village is absent from the cost table, i.e. beyond its limit),
        ``difference_min`` (raster - network) and ``ratio`` (raster / network).

    Examples
    --------
    >>> costs = acc.travel_costs(net, villages, clinics, mode="car", max_time_min=60)
    >>> cmp = compare_with_network(zonal_travel_time(tt, villages), costs)
    >>> cmp.loc[["V001", "V216"]].round(1)
          raster_travel_time_min  network_travel_time_min  difference_min  ratio
    V001                     3.8                      5.2            -1.4    0.7
    V216                    33.5                     34.1            -0.6    1.0
    """
    if isinstance(raster_times, pd.DataFrame):
        if "travel_time_min" not in raster_times.columns:
            raise MissingColumnError("raster_times has no 'travel_time_min' column")
        rt = raster_times["travel_time_min"]
    else:
        rt = raster_times
    if isinstance(network_times, pd.DataFrame):
        for col in ("origin", "travel_time_min"):
            if col not in network_times.columns:
                raise MissingColumnError(
                    f"network_times is a DataFrame without {col!r}; pass a cost table "
                    "(origin, destination, travel_time_min) or a Series per village"
                )
        nt = network_times.groupby("origin")["travel_time_min"].min()
    else:
        nt = network_times
    index = rt.index.union(nt.index, sort=False)
    rt = rt.reindex(index).astype(float)
    nt = nt.reindex(index).astype(float)
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = rt / nt
    return pd.DataFrame(
        {
            "raster_travel_time_min": rt,
            "network_travel_time_min": nt,
            "difference_min": rt - nt,
            "ratio": ratio,
        },
        index=index,
    )
