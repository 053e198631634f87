"""Coordinates of a layer: outside the expected extent, or latitude and longitude swapped."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from ..errors import CRSError, InvalidValueError
from .problems import MAX_EXAMPLES, Problems, examples

if TYPE_CHECKING:
    import geopandas as gpd
    import pyproj


def _xy(gdf: gpd.GeoDataFrame) -> tuple[np.ndarray, np.ndarray]:
    """x, y of point geometries (NaN for anything else)."""
    import shapely

    geoms = np.asarray(gdf.geometry.array, dtype=object)
    is_point = np.zeros(len(geoms), dtype=bool)
    present = ~(shapely.is_missing(geoms) | shapely.is_empty(geoms))
    is_point[present] = shapely.get_type_id(geoms[present]) == 0
    x = np.full(len(geoms), np.nan)
    y = np.full(len(geoms), np.nan)
    if is_point.any():
        x[is_point] = shapely.get_x(geoms[is_point])
        y[is_point] = shapely.get_y(geoms[is_point])
    return x, y


def _extent_bounds(reference: Any, crs: pyproj.CRS) -> tuple[float, float, float, float] | None:
    """Bounds of a reference extent (tuple in the layer CRS, or a GeoDataFrame/GeoSeries)."""
    if reference is None:
        return None
    if hasattr(reference, "total_bounds"):
        if reference.crs is not None and crs is not None and reference.crs != crs:
            reference = reference.to_crs(crs)
        x0, y0, x1, y1 = (float(v) for v in reference.total_bounds)
        return x0, y0, x1, y1
    return extent_tuple(reference)


def extent_tuple(reference: Any) -> tuple[float, float, float, float]:
    """``(minx, miny, maxx, maxy)`` as four finite floats, min <= max, else InvalidValueError."""
    bad = InvalidValueError(
        f"reference_extent={reference!r} must be a GeoDataFrame/GeoSeries or four finite numbers "
        "(minx, miny, maxx, maxy) in the layer's CRS, e.g. `roads.total_bounds`"
    )
    if isinstance(reference, str | bytes) or not hasattr(reference, "__iter__"):
        raise bad
    try:
        values = [float(v) for v in reference]
    except (TypeError, ValueError):
        raise bad from None
    if len(values) != 4 or not np.isfinite(values).all():
        raise bad
    minx, miny, maxx, maxy = values
    if minx > maxx or miny > maxy:
        raise bad
    return minx, miny, maxx, maxy


def _inside(x: np.ndarray, y: np.ndarray, bounds: tuple[float, float, float, float]) -> np.ndarray:
    minx, miny, maxx, maxy = bounds
    return (x >= minx) & (x <= maxx) & (y >= miny) & (y <= maxy)


SWAP_FIX = (
    "Swap them: `layer = layer.set_geometry(gpd.points_from_xy(layer.geometry.y, "
    "layer.geometry.x), crs=layer.crs)`, or rebuild the points with "
    "`gpd.points_from_xy(df['lon'], df['lat'])` (longitude first)."
)


def check_coordinates(
    gdf: gpd.GeoDataFrame,
    labels: pd.Index,
    reference_extent: Any,
    problems: Problems,
) -> None:
    """Swapped latitude/longitude, degrees outside their range, degrees labelled as metres."""
    crs = gdf.crs
    if crs is None:
        return
    x, y = _xy(gdf)
    ok = np.isfinite(x) & np.isfinite(y)
    if not ok.any():
        return
    x, y, lab = x[ok], y[ok], labels[ok]
    if crs.is_geographic:
        out_of_range = (np.abs(x) > 180) | (np.abs(y) > 90)
        if out_of_range.any():
            swapped_ok = (np.abs(y) <= 180) & (np.abs(x) <= 90)
            if swapped_ok[out_of_range].all():
                problems.add(
                    CRSError,
                    f"latitude and longitude look swapped: {int(out_of_range.sum())} point(s) "
                    "have a latitude (y) beyond +-90 "
                    f"({examples(lab[out_of_range], y[out_of_range])}) while their x values are "
                    f"valid latitudes. {SWAP_FIX}",
                )
            else:
                problems.add(
                    CRSError,
                    f"{int(out_of_range.sum())} point(s) have coordinates outside the range of "
                    f"degrees ({examples(lab[out_of_range])}) although the CRS is {crs.name!r} "
                    f"(EPSG:{crs.to_epsg()}). The layer is probably projected (metres): set its "
                    "real CRS with `layer = layer.set_crs(<epsg>, allow_override=True)`.",
                )
            return
        bounds = _extent_bounds(reference_extent, crs)
        if bounds is not None and np.all(np.abs(x) <= 90):
            inside = _inside(x, y, bounds)
            inside_swapped = _inside(y, x, bounds)
            if inside.mean() < 0.5 and inside_swapped.mean() >= 0.5:
                problems.add(
                    CRSError,
                    f"latitude and longitude look swapped: {int((~inside).sum())} of {len(x)} "
                    f"points fall outside the reference extent ({_fmt_bounds(bounds)}) but "
                    f"{int(inside_swapped.sum())} fall inside it with x and y exchanged "
                    f"(e.g. {examples(lab[~inside], _pairs(x[~inside], y[~inside]))}). "
                    f"{SWAP_FIX}",
                )
    elif crs.is_projected and np.all(np.abs(x) <= 180) and np.all(np.abs(y) <= 90):
        # metres this small are implausible only if, read as degrees, the points fall inside the
        # CRS's area of use (a hand-made test network at (0, 0)-(1000, 0) is not flagged)
        area = crs.area_of_use
        if area is not None and np.all(
            _inside(x, y, (area.west, area.south, area.east, area.north))
        ):
            problems.add(
                CRSError,
                f"the coordinates look like degrees (x {x.min():.4f}..{x.max():.4f}, "
                f"y {y.min():.4f}..{y.max():.4f}) but the CRS is projected ({crs.name!r}). "
                "Label them correctly: `layer = layer.set_crs(4326, allow_override=True)`.",
            )


def _pairs(x: np.ndarray, y: np.ndarray) -> list[str]:
    return [f"({a:.4f}, {b:.4f})" for a, b in zip(x[:MAX_EXAMPLES], y[:MAX_EXAMPLES], strict=True)]


def _fmt_bounds(bounds: tuple[float, float, float, float]) -> str:
    return f"x {bounds[0]:.4f}..{bounds[2]:.4f}, y {bounds[1]:.4f}..{bounds[3]:.4f}"
