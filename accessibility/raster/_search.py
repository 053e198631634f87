"""Cost distance on a friction surface's grid graph: the set-up around the compiled search.

Checks the inputs, finds the source cells, the step lengths in metres (geodesic per row in
geographic rasters) and the DEM on the grid, then runs :func:`._grid_kernel.grid_dijkstra`.
Internal: :func:`cost_distance` is public within :mod:`accessibility.raster` only.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np

from ..errors import EmptyLayerError, InputWarning, InvalidValueError, MemoryEstimateError, warn
from ._cells import bilinear, cell_centres, check_crs, points_xy, rowcol, transform_xy
from .core import Raster, read_raster

logger = logging.getLogger(__name__)


OFFSETS_8 = ((-1, 0), (1, 0), (0, -1), (0, 1), (-1, -1), (-1, 1), (1, -1), (1, 1))


OFFSETS_16 = (*OFFSETS_8, (-1, -2), (-1, 2), (1, -2), (1, 2), (-2, -1), (-2, 1), (2, -1), (2, 1))


def _step_lengths_m(r: Raster, offsets: np.ndarray) -> np.ndarray:
    """Horizontal length (m) of each move (row r -> row r + dr), shape (rows, moves).

    Projected CRS: sqrt((dc a)^2 + (dr e)^2) times the unit factor. Geographic CRS: the geodesic
    distance on the CRS's ellipsoid between the centres of the two cells, per row.
    """
    import pyproj

    nrows, _ = r.shape
    crs = r.crs
    t = r.transform
    k = len(offsets)
    dr, dc = offsets[:, 0], offsets[:, 1]
    if crs.is_geographic:
        geod = crs.get_geod()
        rows = np.arange(nrows)
        lat = t.f + (rows + 0.5) * t.e
        out = np.full((nrows, k), np.nan)
        for j in range(k):
            r2 = rows + dr[j]
            ok = (r2 >= 0) & (r2 < nrows)
            lat2 = t.f + (r2[ok] + 0.5) * t.e
            _, _, d = geod.inv(np.zeros(ok.sum()), lat[ok], np.full(ok.sum(), dc[j] * t.a), lat2)
            out[ok, j] = d
        return out
    factor = 1.0
    if isinstance(crs, pyproj.CRS) and crs.axis_info:
        factor = crs.axis_info[0].unit_conversion_factor or 1.0
    d = np.hypot(dc * t.a, dr * t.e) * factor
    return np.broadcast_to(d, (nrows, k)).copy()


def _friction_values(fr: Raster) -> np.ndarray:
    f = fr.values.astype(np.float64, copy=True)
    f[~np.isfinite(f) | (f <= 0)] = np.inf  # impassable
    return f


def _source_cells(fr: Raster, sources: Any, f: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Flat cell indices of the sources and their positions in ``sources`` (valid ones only)."""
    import geopandas as gpd

    if isinstance(sources, gpd.GeoDataFrame | gpd.GeoSeries):
        check_crs(sources, "the sources (facilities)")
        if len(sources) == 0:
            raise EmptyLayerError("no sources (facilities) given")
        x, y = points_xy(sources.geometry)
        x, y = transform_xy(x, y, sources.crs, fr.crs)
    else:
        arr = np.asarray(sources, dtype=float).reshape(-1, 2)
        x, y = arr[:, 0], arr[:, 1]  # (x, y) in the raster CRS
    rows, cols, inside = rowcol(fr, x, y)
    passable = inside & np.isfinite(f[rows, cols])
    n_bad = int((~passable).sum())
    if n_bad:
        warn(
            InputWarning,
            logger,
            "%d of %d sources lie outside the raster or on impassable cells and are ignored",
            n_bad,
            len(x),
        )
    if not passable.any():
        raise InvalidValueError(
            "no source lies on a passable cell of the raster; check the CRS and the extent "
            f"(raster bounds {tuple(round(b, 4) for b in fr.bounds)} in {fr.crs.to_string()})"
        )
    pos = np.nonzero(passable)[0]
    return rows[pos] * fr.shape[1] + cols[pos], pos


@dataclass(frozen=True)
class SearchOptions:
    """How the grid search moves: the options of :func:`.travel.travel_time_surface`, checked."""

    connectivity: int = 8
    dem: Any | None = None
    direction: Literal["to_sources", "from_sources"] = "to_sources"
    max_time_min: float | None = None
    slope_max_speed_kmh: float | None = None

    def __post_init__(self) -> None:
        if self.connectivity not in (8, 16):
            raise InvalidValueError(f"connectivity must be 8 or 16; got {self.connectivity}")
        if self.direction not in ("to_sources", "from_sources"):
            raise InvalidValueError(
                f"direction must be 'to_sources' or 'from_sources'; got {self.direction!r}"
            )


def _check_memory(friction: Raster, with_dem: bool) -> None:
    from ..options import OPTIONS

    nrows, ncols = friction.shape
    est = nrows * ncols * (8 + 4 + 1 + 8 + 8 + 12 + (9 if with_dem else 0))
    if est > OPTIONS["max_memory_bytes"]:
        raise MemoryEstimateError(
            f"a travel-time run on {nrows} x {ncols} cells needs about {est / 1e9:.1f} GB, above "
            f"max_memory_bytes={OPTIONS['max_memory_bytes']}; crop the raster or raise the limit "
            "with accessibility.set_options(max_memory_bytes=...)"
        )


def _slope_inputs(
    friction: Raster, f: np.ndarray, options: SearchOptions
) -> tuple[np.ndarray, np.ndarray, bool]:
    """Elevations on the grid, the cells exempt from slope, and whether slope applies at all."""
    if options.dem is None:
        return np.zeros((1, 1)), np.zeros((1, 1), bool), False
    elev = _dem_on_grid(friction, options.dem)
    if options.slope_max_speed_kmh is None:
        return elev, np.zeros(f.shape, bool), True
    with np.errstate(divide="ignore"):
        exempt = (0.06 / f) > options.slope_max_speed_kmh
    return elev, exempt, True


def cost_distance(
    friction: Raster, sources: Any, options: SearchOptions
) -> tuple[np.ndarray, np.ndarray]:
    """Minutes to (or from) the nearest source per cell and that source's position in ``sources``
    (-1: unreachable), by the compiled grid search."""
    from . import _grid_kernel  # numba is imported only when a surface is computed

    _check_memory(friction, options.dem is not None)
    f = _friction_values(friction)
    src, pos = _source_cells(friction, sources, f)
    offsets = np.array(OFFSETS_8 if options.connectivity == 8 else OFFSETS_16, dtype=np.int64)
    dist = _step_lengths_m(friction, offsets)
    elev, exempt, use_elev = _slope_inputs(friction, f, options)
    max_cost = np.inf if options.max_time_min is None else float(options.max_time_min)
    logger.info(
        "travel time on %d x %d cells, %d sources, %d-neighbour%s",
        *friction.shape,
        len(src),
        options.connectivity,
        ", anisotropic (Tobler)" if use_elev else "",
    )
    cost, label = _grid_kernel.grid_dijkstra(
        f,
        elev,
        exempt,
        use_elev,
        offsets[:, 0].copy(),
        offsets[:, 1].copy(),
        dist,
        src.astype(np.int64),
        max_cost,
        options.direction == "to_sources",
    )
    # positions among the valid sources -> positions in the caller's sources
    label = np.where(label >= 0, pos[np.maximum(label, 0)], -1).astype(np.int32)
    return cost, label


def _dem_on_grid(r: Raster, dem: Any) -> np.ndarray:
    """DEM elevations at the centres of ``r``'s cells (bilinear), NaN where unknown."""
    rows, cols = np.indices(r.shape)
    x, y = cell_centres(r, rows.ravel(), cols.ravel())
    d = read_raster(dem, bounds=r.bounds, bounds_crs=r.crs)
    dx, dy = transform_xy(x, y, r.crs, d.crs)
    z = bilinear(d, dx, dy).reshape(r.shape)
    if np.isnan(z).any():
        warn(
            InputWarning,
            logger,
            "%d cells have no DEM elevation; moves touching them are treated as flat",
            int(np.isnan(z).sum()),
        )
    return z
