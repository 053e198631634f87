"""Population rasters to demand (WorldPop and the like).

Zonal sums over village polygons (:func:`zonal_population`), allocation of every populated cell
to its nearest village by straight-line distance or travel time (:func:`assign_population_cells`,
:func:`allocate_population`), or every populated cell as its own demand point
(:func:`population_points`). Counts are conserved: rasters are never resampled; the vector side is
reprojected onto the raster instead.

The examples in this module run on the demo set up in the docstring of :mod:`accessibility.raster`.
"""

from __future__ import annotations

import logging
import math
import os
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
import pandas as pd

from .._crs import metric_crs
from ..errors import (
    DuplicateIdError,
    EmptyLayerError,
    GeometryError,
    InvalidValueError,
    MissingColumnError,
    ResultWarning,
    suggest,
    warn,
)
from ._cells import cell_centres, centre_ids, check_crs, onto, points_xy, rowcol, transform_xy
from ._search import SearchOptions, cost_distance
from .core import Raster, as_raster

if TYPE_CHECKING:
    import geopandas as gpd

logger = logging.getLogger(__name__)


def _population_values(pop: Raster) -> np.ndarray:
    v = pop.values.astype(np.float64, copy=False)
    if np.nanmin(v, initial=0.0) < 0:
        n = int((v < 0).sum())
        raise InvalidValueError(
            f"the population raster has {n} negative cells (min {np.nanmin(v)}); set its nodata "
            "value (gdal_edit.py -a_nodata) or clip it to >= 0"
        )
    return v


def population_points(
    population: Raster | str | os.PathLike,
    *,
    min_population: float = 0.0,
    within: Any | None = None,
    within_crs: Any | None = None,
    crs: Any | None = None,
    band: int = 1,
) -> gpd.GeoDataFrame:
    """Every populated cell of a population raster as a demand point at the cell centre.

    Parameters
    ----------
    population
        Population counts per cell (WorldPop and the like), a path or a :class:`Raster`. Nodata cells
        are skipped.
    min_population
        Keep cells with population strictly greater than this (default: every non-empty cell).
    within
        Keep only cells whose centre lies inside this (Multi)Polygon or polygon layer (the study
        area).
    within_crs
        CRS of ``within`` when it is a bare shapely geometry (default: the raster's CRS).
    crs
        Return the points in this CRS (default: the raster's). Only points are reprojected, so counts
        are unchanged.
    band
        Raster band.

    Returns
    -------
    geopandas.GeoDataFrame
        Index ``cell_id`` (row * width + column of the raster grid); columns ``row``, ``col``,
        ``population`` and the cell-centre ``geometry``. The population column sums to the raster's
        total over the kept cells.

    Examples
    --------
    >>> pts = population_points(pop)
    >>> len(pts), round(float(pts["population"].sum()))
    (80470, 526435)

    On a WorldPop raster in degrees (real data beside the project):

    >>> wpop = population_points("../shared/data/population/wpop_ahrvalley.tif")  # doctest: +SKIP
    >>> round(wpop["population"].sum())  # doctest: +SKIP
    191420
    """
    import geopandas as gpd

    pop = as_raster(population, band=band)
    v = _population_values(pop)
    keep = np.isfinite(v) & (v > min_population)
    if within is not None:
        keep &= _centre_mask(pop, within, within_crs)
    rows, cols = np.nonzero(keep)
    x, y = cell_centres(pop, rows, cols)
    ncols = pop.shape[1]
    index = pd.Index(rows.astype(np.int64) * ncols + cols, name="cell_id")
    out = gpd.GeoDataFrame(
        {"row": rows, "col": cols, "population": v[rows, cols]},
        geometry=gpd.points_from_xy(x, y),
        crs=pop.crs,
        index=index,
    )
    if crs is not None:
        out = out.to_crs(crs)
    return out


def _centre_mask(r: Raster, within: Any, within_crs: Any | None) -> np.ndarray:
    """True for cells whose centre falls inside ``within`` (reprojected onto the raster)."""
    import geopandas as gpd

    if isinstance(within, gpd.GeoDataFrame | gpd.GeoSeries):
        check_crs(within, "the 'within' area")
        geoms = onto(r, within)
    else:
        geoms = onto(r, gpd.GeoSeries([within], crs=within_crs or r.crs))
    return centre_ids(r, geoms) >= 0


def zonal_population(
    population: Raster | str | os.PathLike,
    zones: gpd.GeoDataFrame,
    *,
    method: Literal["centre", "area"] = "centre",
    band: int = 1,
) -> pd.Series:
    """Sum a population raster over polygons (village or township boundaries).

    The polygons are reprojected onto the raster (never the other way round), so no people are
    created or lost by resampling.

    * ``method="centre"``: a cell belongs to the polygon containing its centre. Every cell is counted
      at most once; where polygons overlap, the later polygon in the layer takes the cell.
    * ``method="area"``: a cell's population is shared in proportion to the part of the cell each
      polygon covers (population assumed uniform inside a cell): ``pop_i = sum_c P_c |c ∩ Z_i| / |c|``.
      Better for polygons not much larger than a cell. Overlapping polygons each get their share.
      In a geographic CRS the fractions are taken in degrees, which is exact to well below 1 % for
      cells of a few arc-seconds.

    Parameters
    ----------
    population
        Population counts per cell, a path or a :class:`Raster`.
    zones
        Polygon layer; its index labels the result.
    method
        ``"centre"`` or ``"area"``.
    band
        Raster band.

    Returns
    -------
    pandas.Series
        ``population`` per polygon, indexed like ``zones``; 0 for polygons with no populated cell.

    Examples
    --------
    >>> per_township = zonal_population(pop, demo.townships.set_index("township"))
    >>> per_township.round().astype(int).sort_values().tail(3)
    township
    Baisha        56893
    Hekou         71213
    Chengguan    112791
    Name: population, dtype: int64
    """
    import shapely

    check_crs(zones, "the zones")
    if len(zones) == 0:
        raise EmptyLayerError("the zones layer has no features")
    pop = as_raster(population, band=band)
    v = np.nan_to_num(_population_values(pop), nan=0.0)
    geoms = onto(pop, zones)
    types = shapely.get_type_id(geoms)
    if not np.isin(types, (3, 6)).all():
        raise GeometryError(
            "zonal_population needs polygons; for village points use allocate_population()"
        )
    if method == "centre":
        ids = centre_ids(pop, geoms)
        sel = ids >= 0
        sums = np.bincount(ids[sel], weights=v[sel], minlength=len(geoms))
    elif method == "area":
        sums = _area_shares(pop, v, geoms)
    else:
        raise InvalidValueError(f"method must be 'centre' or 'area'; got {method!r}")
    total = float(v.sum())
    logger.info(
        "zonal_population: %.1f of %.1f people (%.2f%%) fall inside the zones",
        sums.sum(),
        total,
        100 * sums.sum() / total if total else 0.0,
    )
    return pd.Series(sums, index=zones.index, name="population")


def _area_shares(pop: Raster, v: np.ndarray, geoms: np.ndarray) -> np.ndarray:
    """Population per polygon, each cell shared by the fraction of its area the polygon covers."""
    import shapely

    from ..options import progress

    sums = np.zeros(len(geoms))
    t = pop.transform
    nrows, ncols = pop.shape
    for i, g in progress(enumerate(geoms), desc="zonal population", total=len(geoms)):
        if g is None or g.is_empty:
            continue
        minx, miny, maxx, maxy = g.bounds
        c0 = max(0, math.floor((minx - t.c) / t.a))
        c1 = min(ncols, math.ceil((maxx - t.c) / t.a))
        r0 = max(0, math.floor((maxy - t.f) / t.e))
        r1 = min(nrows, math.ceil((miny - t.f) / t.e))
        if c1 <= c0 or r1 <= r0:
            continue
        rr, cc = np.mgrid[r0:r1, c0:c1]
        rr, cc = rr.ravel(), cc.ravel()
        vals = v[rr, cc]
        nz = vals > 0
        rr, cc, vals = rr[nz], cc[nz], vals[nz]
        if not len(vals):
            continue
        xa, ya = t.c + cc * t.a, t.f + rr * t.e
        boxes = shapely.box(xa, ya + t.e, xa + t.a, ya)
        shapely.prepare(g)
        frac = np.zeros(len(vals))
        inside = shapely.contains_properly(g, boxes)
        frac[inside] = 1.0
        edge = ~inside & shapely.intersects(g, boxes)
        if edge.any():
            frac[edge] = shapely.area(shapely.intersection(boxes[edge], g)) / abs(t.a * t.e)
        sums[i] = float(np.dot(vals, frac))
    return sums


def assign_population_cells(
    population: Raster | str | os.PathLike,
    villages: gpd.GeoDataFrame,
    *,
    by: Literal["distance", "travel_time"] = "distance",
    friction: Raster | str | os.PathLike | None = None,
    cost_function: Callable[[gpd.GeoDataFrame, gpd.GeoDataFrame], pd.DataFrame] | None = None,
    max_distance_m: float | None = None,
    max_time_min: float | None = None,
    within: Any | None = None,
    connectivity: int = 8,
    dem: Any | None = None,
    band: int = 1,
) -> gpd.GeoDataFrame:
    """Assign every populated cell to its nearest village.

    Nearness is straight-line distance (``by="distance"``, in a local metric CRS: geodesic-accurate
    UTM for geographic rasters) or travel time (``by="travel_time"``), either over a friction surface
    (``friction=``: one multi-source cost-distance run from all villages, as in AccessMod; the cell's
    village is the one whose catchment holds the population cell's centre) or from any router
    (``cost_function=``, for example a lambda around the network cost table).

    Parameters
    ----------
    population
        Population counts per cell.
    villages
        Village points (polygons use a point on the surface); the index is the village id.
    by
        ``"distance"`` or ``"travel_time"``.
    friction
        Friction surface (minutes per metre) for ``by="travel_time"``.
    cost_function
        ``f(cells, villages) -> cost table`` with columns ``origin`` (cell id), ``destination``
        (village id) and ``travel_time_min``; pairs beyond the router's limit may be absent.
    max_distance_m, max_time_min
        Cells farther than this from every village stay unassigned (``village`` is missing).
    within
        Only cells whose centre falls in this polygon (layer) are considered.
    connectivity
        8 or 16, for ``friction``.
    dem
        Optional DEM making the friction travel anisotropic (see :func:`travel_time_surface`).
    band
        Population raster band.

    Returns
    -------
    geopandas.GeoDataFrame
        The populated cells (as :func:`population_points`) with columns ``village`` (the village id,
        missing if unassigned) and ``distance_m`` or ``travel_time_min``.

    Examples
    --------
    >>> cells = assign_population_cells(pop, villages, max_distance_m=5000)
    >>> cells.columns.tolist()
    ['row', 'col', 'population', 'geometry', 'village', 'distance_m']
    >>> len(cells), int(cells["village"].isna().sum())
    (80470, 0)
    """
    check_crs(villages, "the villages")
    if len(villages) == 0:
        raise EmptyLayerError("the villages layer has no features")
    if not villages.index.is_unique:
        raise DuplicateIdError("village ids (the index) are not unique; use a unique id column")
    pop = as_raster(population, band=band)
    cells = population_points(pop, within=within)
    if by == "distance":
        column = "distance_m"
        village, value = _nearest_by_distance(cells, villages, max_distance_m)
    elif by == "travel_time":
        column = "travel_time_min"
        if (friction is None) == (cost_function is None):
            raise InvalidValueError(
                "by='travel_time' needs exactly one of friction= (a friction surface) or "
                "cost_function= (a router returning a cost table)"
            )
        if friction is not None:
            options = SearchOptions(connectivity, dem, "to_sources", max_time_min)
            village, value = _nearest_on_friction(cells, villages, as_raster(friction), options)
        elif cost_function is not None:
            village, value = _nearest_in_cost_table(cells, villages, cost_function, max_time_min)
    else:
        raise InvalidValueError(f"by must be 'distance' or 'travel_time'; got {by!r}.")
    cells["village"] = village
    cells[column] = value
    n_un = int(cells["village"].isna().sum())
    if n_un:
        warn(
            ResultWarning,
            logger,
            "%d populated cells (%.1f people) were not assigned to any village",
            n_un,
            float(cells.loc[cells["village"].isna(), "population"].sum()),
        )
    return cells


def _nearest_by_distance(
    cells: gpd.GeoDataFrame, villages: gpd.GeoDataFrame, max_distance_m: float | None
) -> tuple[pd.Series, np.ndarray]:
    """Nearest village of each cell by straight line in a metric CRS, and the distance (m)."""
    from scipy.spatial import cKDTree

    labels = np.asarray(villages.index)
    metric = metric_crs(villages if villages.crs.is_projected else cells)
    vx, vy = points_xy(villages.to_crs(metric).geometry)
    cx, cy = points_xy(cells.to_crs(metric).geometry)
    tree = cKDTree(np.column_stack([vx, vy]))
    ub = np.inf if max_distance_m is None else float(max_distance_m)
    d, pos = tree.query(np.column_stack([cx, cy]), k=1, distance_upper_bound=ub)
    ok = np.isfinite(d)
    village = pd.Series(pd.NA, index=cells.index, dtype=object)
    village[ok] = labels[pos[ok]]
    return village, np.where(ok, d, np.nan)


def _nearest_on_friction(
    cells: gpd.GeoDataFrame, villages: gpd.GeoDataFrame, fr: Raster, options: SearchOptions
) -> tuple[pd.Series, np.ndarray]:
    """The village whose friction-surface catchment holds each cell's centre, and the minutes."""
    times, alloc = cost_distance(fr, villages, options)
    x, y = points_xy(cells.geometry)
    fx, fy = transform_xy(x, y, cells.crs, fr.crs)
    rows, cols, inside = rowcol(fr, fx, fy)
    a = np.where(inside, alloc[rows, cols], -1)
    t = np.where(inside & (a >= 0), times[rows, cols], np.nan)
    village = pd.Series(pd.NA, index=cells.index, dtype=object)
    village[a >= 0] = np.asarray(villages.index)[a[a >= 0]]
    return village, t


def _nearest_in_cost_table(
    cells: gpd.GeoDataFrame,
    villages: gpd.GeoDataFrame,
    cost_function: Callable[[gpd.GeoDataFrame, gpd.GeoDataFrame], pd.DataFrame],
    max_time_min: float | None,
) -> tuple[pd.Series, pd.Series]:
    """The nearest village of each cell in the cost table a router returns, and the minutes."""
    table = cost_function(cells, villages)
    for col in ("origin", "destination", "travel_time_min"):
        if col not in table.columns:
            raise MissingColumnError(
                f"cost_function returned no {col!r} column; columns are "
                f"{list(table.columns)}.{suggest(col, table.columns)}"
            )
    if max_time_min is not None:
        table = table[table["travel_time_min"] <= max_time_min]
    table = table[np.isfinite(table["travel_time_min"])]
    best = table.loc[table.groupby("origin")["travel_time_min"].idxmin()]
    best = best.set_index("origin")
    village = best["destination"].reindex(cells.index).astype(object)
    return village, best["travel_time_min"].reindex(cells.index)


def allocate_population(
    population: Raster | str | os.PathLike,
    villages: gpd.GeoDataFrame,
    *,
    by: Literal["distance", "travel_time"] = "distance",
    friction: Raster | str | os.PathLike | None = None,
    cost_function: Callable[[gpd.GeoDataFrame, gpd.GeoDataFrame], pd.DataFrame] | None = None,
    max_distance_m: float | None = None,
    max_time_min: float | None = None,
    within: Any | None = None,
    connectivity: int = 8,
    dem: Any | None = None,
    band: int = 1,
) -> pd.Series:
    """Population per village: the sum of the cells assigned to it (see :func:`assign_population_cells`).

    Every populated cell goes to exactly one village (or none, when beyond ``max_distance_m`` /
    ``max_time_min`` or unreachable), so the result sums to the raster total minus the unassigned
    population, which is logged.

    Parameters
    ----------
    population
        Population counts per cell.
    villages
        Village points; the index is the village id.
    by, friction, cost_function, max_distance_m, max_time_min, within, connectivity, dem, band
        As in :func:`assign_population_cells`.

    Returns
    -------
    pandas.Series
        ``population`` indexed like ``villages`` (0 where no cell was assigned).

    Examples
    --------
    >>> from_raster = allocate_population(pop, villages)
    >>> from_raster[["V001", "V216"]].round().tolist()
    [5587.0, 1060.0]
    >>> villages.loc[["V001", "V216"], "population"].tolist()  # the layer's own counts
    [5838, 1060]
    """
    cells = assign_population_cells(
        population,
        villages,
        by=by,
        friction=friction,
        cost_function=cost_function,
        max_distance_m=max_distance_m,
        max_time_min=max_time_min,
        within=within,
        connectivity=connectivity,
        dem=dem,
        band=band,
    )
    sums = cells.dropna(subset=["village"]).groupby("village")["population"].sum()
    return sums.reindex(villages.index, fill_value=0.0).astype(float).rename("population")
