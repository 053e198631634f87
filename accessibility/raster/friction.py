"""Friction surfaces (minutes per metre), as in WHO's AccessMod.

A speed raster from land cover (:func:`speed_from_landcover`) turned into friction
(:func:`friction_from_speed`), roads burned in at their speeds (:func:`burn_roads`) and barriers
made impassable (:func:`add_barriers`).

The examples in this module run on the demo set up in the docstring of :mod:`accessibility.raster`.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping
from typing import TYPE_CHECKING

import numpy as np

from ..errors import InputWarning, InvalidValueError, warn
from ._cells import burn_mask, check_crs, onto, speed_column
from .core import Raster, as_raster

if TYPE_CHECKING:
    import geopandas as gpd

logger = logging.getLogger(__name__)


def speed_from_landcover(
    landcover: Raster | str | os.PathLike,
    speed_table: Mapping[int, float],
    *,
    default_kmh: float | None = None,
    band: int = 1,
) -> Raster:
    """A speed raster (km/h) from land-cover classes and a speed table, as in AccessMod.

    Parameters
    ----------
    landcover
        Land-cover class codes (integers), a path or a :class:`Raster`.
    speed_table
        ``{class code: speed in km/h}``; 0 marks a class impassable (water, cliffs).
    default_kmh
        Speed for classes missing from the table; default None makes them impassable (and logs them).
    band
        Raster band.

    Returns
    -------
    Raster
        Speeds in km/h; NaN where impassable or nodata.

    Examples
    --------
    >>> speed = speed_from_landcover("landcover.tif", {10: 4.0, 20: 2.5, 80: 0})  # doctest: +SKIP
    >>> friction = friction_from_speed(speed)  # doctest: +SKIP
    """
    lc = as_raster(landcover, band=band)
    v = lc.values
    out = np.full(v.shape, np.nan if default_kmh is None else float(default_kmh))
    out[~np.isfinite(v)] = np.nan
    for code, speed in speed_table.items():
        if speed is None or not np.isfinite(speed) or speed < 0:
            raise InvalidValueError(f"speed for class {code!r} must be >= 0 km/h; got {speed!r}")
        out[v == code] = speed if speed > 0 else np.nan
    codes = np.unique(v[np.isfinite(v)])
    missing = sorted(set(codes.tolist()) - {float(k) for k in speed_table})
    if missing and default_kmh is None:
        warn(
            InputWarning,
            logger,
            "land-cover classes %s are not in the speed table and are treated as impassable; "
            "add them or pass default_kmh=",
            missing[:20],
        )
    return lc.replace(out, "speed_kmh")


def friction_from_speed(speed: Raster | str | os.PathLike) -> Raster:
    """Friction (minutes per metre) from speed (km/h): f = 60 / (1000 v) = 0.06 / v.

    Cells with speed 0, negative or NaN are impassable (NaN).

    Examples
    --------
    >>> import numpy as np
    >>> from affine import Affine
    >>> s = Raster(np.array([[6.0, 0.0]]), Affine(100, 0, 0, 0, -100, 0), "EPSG:32650")
    >>> friction_from_speed(s).values.tolist()
    [[0.01, nan]]
    """
    sp = as_raster(speed)
    v = sp.values.astype(float)
    with np.errstate(divide="ignore", invalid="ignore"):
        f = np.where(v > 0, 0.06 / v, np.nan)
    return sp.replace(f, "friction_min_per_m")


def burn_roads(
    friction: Raster | str | os.PathLike,
    roads: gpd.GeoDataFrame,
    *,
    speed_kmh: str | float = "car_speed_kmh",
    all_touched: bool = False,
) -> Raster:
    """Burn roads into a friction surface at their speeds (a cell keeps the faster of the two).

    Roads are reprojected onto the raster and rasterised with :func:`rasterio.features.rasterize`;
    where several roads cross a cell the fastest counts. A road over an impassable cell (a bridge)
    makes it passable.

    Parameters
    ----------
    friction
        Friction surface in minutes per metre.
    roads
        Road lines (for example ``network.edges``).
    speed_kmh
        Column with the road speed in km/h, or one speed for every road. Rows with speed <= 0 or NaN
        (roads closed to the mode) are skipped.
    all_touched
        Burn every cell a road touches (thicker roads) instead of the cells on its line
        (Bresenham; 8-connected, which suits 8-neighbour travel).

    Returns
    -------
    Raster
        The new friction surface, f = min(f_background, 0.06 / v_road).

    Examples
    --------
    >>> burned = burn_roads(friction_from_speed(offroad), net.edges, speed_kmh="car_speed_kmh")
    >>> round(float((burned.values < 1 / (4.0 * 1000 / 60)).mean()), 3)  # share of road cells
    0.044
    """
    from rasterio.features import rasterize

    fr = as_raster(friction)
    check_crs(roads, "the roads")
    if isinstance(speed_kmh, str):
        speeds = speed_column(roads, speed_kmh, "roads", hint=" Or pass speed_kmh=<number>.")
    else:
        speeds = np.full(len(roads), float(speed_kmh))
    ok = np.isfinite(speeds) & (speeds > 0)
    geoms = onto(fr, roads)[ok]
    speeds = speeds[ok]
    f = fr.values.astype(float, copy=True)
    if len(geoms):
        order = np.argsort(speeds, kind="stable")  # fastest drawn last wins
        burned = rasterize(
            ((geoms[i], 0.06 / speeds[i]) for i in order),
            out_shape=fr.shape,
            transform=fr.transform,
            fill=np.nan,
            dtype="float64",
            all_touched=all_touched,
        )
        hit = np.isfinite(burned)
        f[hit] = np.fmin(np.where(np.isfinite(f[hit]) & (f[hit] > 0), f[hit], np.inf), burned[hit])
        logger.info("burned %d roads into %d cells", len(geoms), int(hit.sum()))
    return fr.replace(f, "friction_min_per_m")


def add_barriers(
    friction: Raster | str | os.PathLike,
    barriers: gpd.GeoDataFrame,
    *,
    bridges: gpd.GeoDataFrame | None = None,
    all_touched: bool = True,
) -> Raster:
    """Make cells under barriers (rivers without bridges, lakes, borders) impassable.

    Lines are rasterised with ``all_touched=True`` by default: the barrier is then a 4-connected chain
    of cells that 8-neighbour moves cannot cut across diagonally (16-neighbour knight moves are
    blocked too: a knight move needs both cells it crosses to be passable).

    Parameters
    ----------
    friction
        Friction surface.
    barriers
        Lines or polygons.
    bridges
        Optional lines or points whose cells stay passable (where a road crosses a river).
    all_touched
        Rasterise every touched cell.

    Returns
    -------
    Raster
        The new friction surface with NaN under barriers.

    Examples
    --------
    A made-up river across the county (the demo has none), bridged where the roads cross it:

    >>> import geopandas as gpd
    >>> from shapely import LineString
    >>> left, bottom, right, top = dem.bounds
    >>> y = (bottom + top) / 2
    >>> river = gpd.GeoDataFrame(geometry=[LineString([(left, y), (right, y)])], crs=dem.crs)
    >>> bridges = gpd.GeoDataFrame(geometry=net.edges.intersection(river.geometry.iloc[0]),
    ...                            crs=dem.crs)
    >>> bridges = bridges[~bridges.is_empty]
    >>> blocked = add_barriers(fr, river, bridges=bridges)
    >>> int(np.isnan(blocked.values).sum() - np.isnan(fr.values).sum())  # impassable cells
    408
    """
    fr = as_raster(friction)
    check_crs(barriers, "the barriers")
    f = fr.values.astype(float, copy=True)
    geoms = [g for g in onto(fr, barriers) if g is not None and not g.is_empty]
    if not geoms:
        return fr.replace(f)
    mask = burn_mask(fr, geoms, all_touched=all_touched)
    if bridges is not None and len(bridges):
        check_crs(bridges, "the bridges")
        mask &= ~burn_mask(fr, onto(fr, bridges), all_touched=True)
    f[mask] = np.nan
    logger.info("barriers made %d cells impassable", int(mask.sum()))
    return fr.replace(f, "friction_min_per_m")
