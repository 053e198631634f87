"""Cell geometry shared by the raster modules: layers onto a raster's grid, cells of points,
bilinear sampling.

Internal: the functions are public within :mod:`accessibility.raster` only.
"""

from __future__ import annotations

import logging
import math
from typing import Any

import numpy as np

from ..errors import CRSError, GeometryError, MissingColumnError, suggest
from .core import Raster

logger = logging.getLogger(__name__)


def check_crs(gdf: Any, what: str) -> None:
    if getattr(gdf, "crs", None) is None:
        raise CRSError(f"{what} have no CRS; set one with .set_crs(...) (for example 'EPSG:4326')")


def onto(r: Raster, layer: Any) -> np.ndarray:
    """Geometries of a layer in the raster's CRS, densified first so edges stay true.

    Straight edges in one CRS are curves in another; vertices are added (every quarter cell) before
    reprojecting so that adjacent polygons which share an edge but not all its vertices do not open
    gaps or overlaps that swallow cell centres.
    """
    import pyproj

    gs = layer.geometry if hasattr(layer, "geometry") else layer
    src = pyproj.CRS.from_user_input(gs.crs)
    if src == r.crs:
        return np.asarray(gs)
    cell = min(r.res)
    if r.crs.is_geographic:
        cell_m = (
            cell * 111_320.0 * math.cos(math.radians(np.clip(np.mean(r.bounds[1::2]), -85, 85)))
        )
    else:
        cell_m = cell * (r.crs.axis_info[0].unit_conversion_factor or 1.0)
    if src.is_geographic:
        step = cell_m / 111_320.0 / 4
    else:
        step = cell_m / (src.axis_info[0].unit_conversion_factor or 1.0) / 4
    return np.asarray(gs.segmentize(step).to_crs(r.crs))


def cell_centres(r: Raster, rows: np.ndarray, cols: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    t = r.transform
    x = t.c + (cols + 0.5) * t.a
    y = t.f + (rows + 0.5) * t.e
    return x, y


def rowcol(r: Raster, x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Row, column of the cell holding each point, and whether it lies on the raster."""
    t = r.transform
    cols = np.floor((np.asarray(x, float) - t.c) / t.a)
    rows = np.floor((np.asarray(y, float) - t.f) / t.e)
    nrows, ncols = r.shape
    inside = (rows >= 0) & (rows < nrows) & (cols >= 0) & (cols < ncols)
    rows = np.where(inside, rows, 0).astype(np.int64)
    cols = np.where(inside, cols, 0).astype(np.int64)
    return rows, cols, inside


def points_xy(geoms: Any) -> tuple[np.ndarray, np.ndarray]:
    """x, y of points (polygons and lines use a representative point)."""
    import shapely

    arr = np.asarray(geoms)
    if len(arr) and (shapely.is_empty(arr) | shapely.is_missing(arr)).any():
        raise GeometryError("some geometries are empty or missing; drop or fix them first")
    types = shapely.get_type_id(arr)
    pts = np.where(types == 0, arr, shapely.point_on_surface(arr))
    return shapely.get_x(pts), shapely.get_y(pts)


def transform_xy(x: np.ndarray, y: np.ndarray, src: Any, dst: Any) -> tuple[np.ndarray, np.ndarray]:
    import pyproj

    s, d = pyproj.CRS.from_user_input(src), pyproj.CRS.from_user_input(dst)
    if s == d:
        return np.asarray(x, float), np.asarray(y, float)
    tr = pyproj.Transformer.from_crs(s, d, always_xy=True)
    xx, yy = tr.transform(np.asarray(x, float), np.asarray(y, float))
    return np.asarray(xx), np.asarray(yy)


def bilinear(r: Raster, x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Bilinear interpolation between cell centres; NaN off the raster or next to nodata."""
    t = r.transform
    fc = (np.asarray(x, float) - t.c) / t.a - 0.5
    fr = (np.asarray(y, float) - t.f) / t.e - 0.5
    nrows, ncols = r.shape
    out = np.full(fc.shape, np.nan)
    inside = (fc >= -0.5) & (fc <= ncols - 0.5) & (fr >= -0.5) & (fr <= nrows - 0.5)
    if not inside.any():
        return out
    fc, fr = np.clip(fc[inside], 0, ncols - 1), np.clip(fr[inside], 0, nrows - 1)
    c0 = np.minimum(np.floor(fc).astype(np.int64), max(ncols - 2, 0))
    r0 = np.minimum(np.floor(fr).astype(np.int64), max(nrows - 2, 0))
    c1 = np.minimum(c0 + 1, ncols - 1)
    r1 = np.minimum(r0 + 1, nrows - 1)
    wx, wy = fc - c0, fr - r0
    v = r.values
    val = np.zeros(len(fc))
    bad = np.zeros(len(fc), dtype=bool)
    # a neighbour with weight 0 (exact hit on a cell centre row/column) must not spread its NaN
    for rr, cc, w in (
        (r0, c0, (1 - wx) * (1 - wy)),
        (r0, c1, wx * (1 - wy)),
        (r1, c0, (1 - wx) * wy),
        (r1, c1, wx * wy),
    ):
        z = v[rr, cc]
        used = w > 0
        bad |= used & np.isnan(z)
        val += np.where(used, w * np.nan_to_num(z), 0.0)
    val[bad] = np.nan
    out[inside] = val
    return out


def centre_ids(r: Raster, geoms: np.ndarray) -> np.ndarray:
    """Position of the polygon holding each cell centre (-1: none), shape of the raster.

    Cells whose centre is clearly inside are found by rasterising (GDAL's centre rule); cells the
    polygons' boundaries touch are then decided exactly with shapely, so a centre lying on a shared
    boundary (or in a zero-width crack left by reprojecting adjacent polygons) goes to one polygon
    and never to none. Where polygons overlap, the later one in the layer takes the cell.
    """
    import shapely
    from rasterio.features import rasterize

    ok = np.array([g is not None and not g.is_empty for g in geoms], dtype=bool)
    ids = np.full(r.shape, -1, dtype=np.int32)
    if not ok.any():
        return ids
    shapes = [(geoms[i], int(i)) for i in np.nonzero(ok)[0]]
    ids = rasterize(shapes, out_shape=r.shape, transform=r.transform, fill=-1, dtype="int32")
    boundary = burn_mask(r, [shapely.boundary(g) for g, _ in shapes], all_touched=True)
    rows, cols = np.nonzero(boundary)
    if len(rows):
        x, y = cell_centres(r, rows, cols)
        tree = shapely.STRtree(geoms[ok])
        p_idx, t_idx = tree.query(shapely.points(x, y), predicate="intersects")
        best = np.full(len(rows), -1, dtype=np.int64)
        np.maximum.at(best, p_idx, np.nonzero(ok)[0][t_idx])
        ids[rows, cols] = best
    return ids


def burn_mask(r: Raster, geoms: Any, *, all_touched: bool) -> np.ndarray:
    """True for the cells of ``r`` that the geometries (in ``r``'s CRS) cover; empty ones skipped."""
    from rasterio.features import rasterize

    shapes = [(g, 1) for g in geoms if g is not None and not g.is_empty]
    if not shapes:
        return np.zeros(r.shape, dtype=bool)
    return rasterize(
        shapes,
        out_shape=r.shape,
        transform=r.transform,
        fill=0,
        dtype="uint8",
        all_touched=all_touched,
    ).astype(bool)


def speed_column(layer: Any, column: str, what: str, *, hint: str = "") -> np.ndarray:
    """The values of a layer's speed column (km/h) as floats; an error naming the columns there are."""
    if column not in layer.columns:
        raise MissingColumnError(
            f"{what} have no speed column {column!r}; columns are {list(layer.columns)}."
            f"{suggest(column, layer.columns)}{hint}"
        )
    return layer[column].to_numpy(dtype=float)
