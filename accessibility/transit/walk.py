"""Straight-line walking links: access, egress, direct walks and stop-to-stop transfers.

These are the simple stand-in for road-network walks: the distance between two points in a
metric CRS times a detour factor, at a walking speed, kept within a maximum distance. Road-network
walks come from :func:`accessibility.travel_costs` with ``mode="walk"`` (same cost-table columns).
"""

from __future__ import annotations

from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
from scipy.spatial import cKDTree

from ..errors import CRSError, InvalidValueError
from .timetable import Timetable

__all__ = ["stop_transfers", "straight_line_walk"]


def _xy(points: gpd.GeoDataFrame | gpd.GeoSeries, crs: Any) -> tuple[np.ndarray, np.ndarray]:
    if points.crs is None:
        raise CRSError("the points have no CRS; set it with `.set_crs(...)`")
    g = points.geometry.to_crs(crs) if hasattr(points, "geometry") else points.to_crs(crs)
    if not g.geom_type.eq("Point").all():
        g = g.representative_point()
    return g.x.to_numpy(), g.y.to_numpy()


def _pairs(
    xa: np.ndarray, ya: np.ndarray, xb: np.ndarray, yb: np.ndarray, max_walk_m: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    tree = cKDTree(np.column_stack([xb, yb])) if len(xb) else None
    if tree is None or len(xa) == 0:
        return np.zeros(0, np.int64), np.zeros(0, np.int64), np.zeros(0)
    sm = cKDTree(np.column_stack([xa, ya])).sparse_distance_matrix(
        tree, max_walk_m, output_type="coo_matrix"
    )
    # sparse_distance_matrix drops exact zeros; put coincident points back
    d0 = cKDTree(np.column_stack([xa, ya])).query_ball_tree(tree, 1e-9)
    zi = [i for i, js in enumerate(d0) for _ in js]
    zj = [j for js in d0 for j in js]
    i = np.concatenate([sm.row, np.array(zi, np.int64)]).astype(np.int64)
    j = np.concatenate([sm.col, np.array(zj, np.int64)]).astype(np.int64)
    d = np.concatenate([sm.data, np.zeros(len(zi))])
    keep = pd.DataFrame({"i": i, "j": j, "d": d}).drop_duplicates(["i", "j"], keep="first")
    return keep["i"].to_numpy(), keep["j"].to_numpy(), keep["d"].to_numpy()


def straight_line_walk(
    origins: gpd.GeoDataFrame | gpd.GeoSeries,
    destinations: gpd.GeoDataFrame | gpd.GeoSeries,
    *,
    max_walk_m: float = 800.0,
    walk_speed_kmh: float = 4.8,
    detour: float = 1.3,
    crs: Any | None = None,
) -> pd.DataFrame:
    """Walking cost table between two point layers by straight-line distance.

    ``travel_time_min = distance_m * detour / (walk_speed_kmh / 3.6) / 60`` for pairs whose
    straight-line distance is at most ``max_walk_m``.

    Parameters
    ----------
    origins, destinations
        Point layers (indexed by id) with a CRS; polygons use a representative point.
    max_walk_m
        Straight-line distance limit (metres).
    walk_speed_kmh, detour
        Walking speed and the ratio of walked to straight-line distance.
    crs
        Metric CRS to measure in; default that of the origins if projected, else local UTM.

    Returns
    -------
    pandas.DataFrame
        Cost table ``origin``, ``destination``, ``travel_time_min``, ``distance_m`` (walked).

    Examples
    --------
    >>> import geopandas as gpd, shapely
    >>> a = gpd.GeoDataFrame(geometry=[shapely.Point(0, 0)], index=["home"], crs=3857)
    >>> b = gpd.GeoDataFrame(geometry=[shapely.Point(300, 400)], index=["stop"], crs=3857)
    >>> straight_line_walk(a, b, detour=1.2, walk_speed_kmh=3.6).round(2)
      origin destination  travel_time_min  distance_m
    0   home        stop             10.0       600.0
    """
    from ..network import metric_crs

    if not walk_speed_kmh > 0 or not detour >= 1 or not max_walk_m >= 0:
        raise InvalidValueError(
            f"walk_speed_kmh={walk_speed_kmh} must be > 0, detour={detour} >= 1 and "
            f"max_walk_m={max_walk_m} >= 0"
        )
    work = metric_crs(origins, crs)
    xa, ya = _xy(origins, work)
    xb, yb = _xy(destinations, work)
    i, j, d = _pairs(xa, ya, xb, yb, max_walk_m)
    order = np.lexsort((j, i))
    i, j, d = i[order], j[order], d[order] * detour
    return pd.DataFrame(
        {
            "origin": origins.index.to_numpy()[i],
            "destination": destinations.index.to_numpy()[j],
            "travel_time_min": d / (walk_speed_kmh / 3.6) / 60.0,
            "distance_m": d,
        }
    )


def stop_transfers(
    timetable: Timetable,
    *,
    max_walk_m: float = 400.0,
    walk_speed_kmh: float = 4.8,
    detour: float = 1.3,
) -> pd.DataFrame:
    """Foot transfers between distinct stops of a timetable by straight-line distance.

    Returns a cost table (``origin`` and ``destination`` are stop ids) as
    :func:`straight_line_walk`, without a stop's link to itself (staying at a stop is always
    allowed and costs nothing).
    """
    stops = timetable.stops()
    out = straight_line_walk(
        stops,
        stops,
        max_walk_m=max_walk_m,
        walk_speed_kmh=walk_speed_kmh,
        detour=detour,
        crs=timetable.crs,
    )
    return out[out["origin"] != out["destination"]].reset_index(drop=True)
