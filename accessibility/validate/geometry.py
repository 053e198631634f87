"""Location geometry: points from polygons, 3D and multi-part points, empty geometry."""

from __future__ import annotations

import logging
import os
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from .._crs import metric_crs
from ..errors import CRSError, GeometryError, InvalidValueError
from .problems import Problems, examples, warn_input

if TYPE_CHECKING:
    import geopandas as gpd
    import pyproj

log = logging.getLogger(__name__)


def _geographic(crs: pyproj.CRS | None) -> bool:
    return crs is not None and crs.is_geographic


def polygon_points(
    geoms: np.ndarray,
    crs: pyproj.CRS | None,
    how: str,
    population_raster: str | os.PathLike | None,
) -> np.ndarray:
    """Points standing for polygons: centroid, representative point or population-weighted."""
    import geopandas as gpd
    import shapely

    if how == "representative":
        return shapely.point_on_surface(geoms)
    if how == "weighted":
        return _population_weighted_points(geoms, crs, population_raster)
    # centroid, computed in a local metric CRS when the layer is geographic
    series = gpd.GeoSeries(geoms, crs=crs)
    if _geographic(crs):
        minx, miny, maxx, maxy = series.total_bounds
        if np.isfinite([minx, miny, maxx, maxy]).all() and (
            max(abs(minx), abs(maxx)) <= 180 and max(abs(miny), abs(maxy)) <= 90
        ):
            try:
                metric = metric_crs(series)
            except CRSError as exc:  # pyproj found no UTM zone
                log.warning("no local UTM zone for the polygons (%s); planar centroids", exc)
            else:
                return np.asarray(series.to_crs(metric).centroid.to_crs(crs).array, dtype=object)
        # outside the range of degrees (metres labelled as degrees): planar centroids, and the
        # coordinate check reports the CRSError with its fix
    return shapely.centroid(geoms)


def _population_weighted_points(
    geoms: np.ndarray, crs: pyproj.CRS | None, raster: str | os.PathLike | None
) -> np.ndarray:
    """Population-weighted mean of raster cell centres inside each polygon.

    Polygons with no population (or whose weighted point falls outside them, possible for
    concave shapes) get their representative point instead.
    """
    import geopandas as gpd
    import rasterio
    import rasterio.mask
    import shapely

    if raster is None:
        raise InvalidValueError(
            "polygons='weighted' needs a population raster: pass population_raster='pop.tif'"
        )
    fallback = shapely.point_on_surface(geoms)
    out = fallback.copy()
    with rasterio.open(raster) as src:
        if crs is None or src.crs is None:
            raise CRSError("population-weighted points need a CRS on both layer and raster")
        in_raster = np.asarray(
            gpd.GeoSeries(geoms, crs=crs).to_crs(src.crs).array,
            dtype=object,
        )
        nodata = src.nodata
        for i, poly in enumerate(in_raster):
            try:
                data, transform = rasterio.mask.mask(src, [poly], crop=True, filled=False)
            except ValueError:  # polygon outside the raster
                continue
            band = data[0]
            weights = np.ma.filled(band.astype("float64"), 0.0)
            if nodata is not None:
                weights[band.data == nodata] = 0.0
            weights[~np.isfinite(weights) | (weights < 0)] = 0.0
            total = weights.sum()
            if total <= 0:
                continue
            rows, cols = np.nonzero(weights)
            xs, ys = rasterio.transform.xy(transform, rows, cols, offset="center")
            w = weights[rows, cols]
            point = shapely.Point(np.dot(xs, w) / total, np.dot(ys, w) / total)
            if poly.contains(point):
                out[i] = point
        back = gpd.GeoSeries(out, crs=src.crs)
    # points that came from the raster are in its CRS; fallbacks are in the layer's CRS
    from_raster = np.array([p is not f for p, f in zip(out, fallback, strict=True)])
    result = fallback.copy()
    if from_raster.any():
        result[from_raster] = np.asarray(back[from_raster].to_crs(crs).array, dtype=object)
    return result


def nonfinite_rows(geoms: np.ndarray, where: np.ndarray) -> np.ndarray:
    """Which of the geometries selected by the mask ``where`` have a NaN or infinite coordinate.

    Examples
    --------
    >>> import shapely
    >>> geoms = np.array([shapely.Point(0, 0), shapely.Point(float("nan"), 1)], dtype=object)
    >>> nonfinite_rows(geoms, np.array([True, True])).tolist()
    [False, True]
    """
    import shapely

    bad = np.zeros(len(geoms), dtype=bool)
    idx = np.flatnonzero(where)
    coords, which = shapely.get_coordinates(geoms[where], return_index=True)
    bad[idx[np.unique(which[~np.isfinite(coords).all(axis=1)])]] = True
    return bad


def check_location_geometry(
    out: gpd.GeoDataFrame,
    labels: pd.Index,
    *,
    what: str,
    polygons: str,
    population_raster: str | os.PathLike | None,
    problems: Problems,
    repairs: dict[str, Any],
) -> None:
    import shapely

    geoms = np.asarray(out.geometry.array, dtype=object)
    missing = shapely.is_missing(geoms) | shapely.is_empty(geoms)
    if missing.any():
        problems.add(
            GeometryError,
            f"{int(missing.sum())} row(s) have no geometry (missing or empty): "
            f"{examples(labels[missing])}. Geocode them or drop them "
            "(`layer = layer[~(layer.geometry.isna() | layer.geometry.is_empty)]`).",
        )
    present = ~missing
    if not present.any():
        return
    # 3D -> 2D
    has_z = np.zeros(len(geoms), dtype=bool)
    has_z[present] = shapely.has_z(geoms[present])
    if has_z.any():
        geoms[has_z] = shapely.force_2d(geoms[has_z])
        repairs["dropped_z"] = list(labels[has_z])
        warn_input(
            f"{what}: {int(has_z.sum())} geometries have Z (height) values; they were dropped "
            f"(rows {examples(labels[has_z])}). Heights are not used for access."
        )
    types = np.full(len(geoms), -1)
    types[present] = shapely.get_type_id(geoms[present])
    # non-finite coordinates
    bad_xy = nonfinite_rows(geoms, present)
    if bad_xy.any():
        problems.add(
            GeometryError,
            f"{int(bad_xy.sum())} geometries have NaN or infinite coordinates: "
            f"{examples(labels[bad_xy])}. Fix the coordinates in the source table.",
        )
    ok = present & ~bad_xy
    # multipoints -> one point
    multi = ok & (types == 4)
    if multi.any():
        geoms[multi] = shapely.point_on_surface(geoms[multi])
        repairs["multipoint_to_point"] = list(labels[multi])
        warn_input(
            f"{what}: {int(multi.sum())} multi-part point geometries were replaced by one of their "
            f"points (representative point): {examples(labels[multi])}. Split them into separate "
            "rows first if each part is a separate place."
        )
    # polygons
    poly = ok & np.isin(types, [3, 6])
    if poly.any():
        how = polygons
        if population_raster is not None and how in ("error", "weighted"):
            how = "weighted"
        if how == "error":
            problems.add(
                GeometryError,
                f"{int(poly.sum())} geometries are polygons ({examples(labels[poly])}); "
                "locations must be points. Pass polygons='representative' (a point guaranteed "
                "inside), polygons='centroid', or a population raster "
                "(population_raster='pop.tif') for population-weighted points.",
            )
        else:
            invalid = poly & ~shapely.is_valid(geoms)
            if invalid.any():
                geoms[invalid] = shapely.make_valid(geoms[invalid])
                warn_input(
                    f"{what}: {int(invalid.sum())} invalid polygons were repaired with make_valid "
                    f"before taking their points: {examples(labels[invalid])}."
                )
            geoms[poly] = polygon_points(geoms[poly], out.crs, how, population_raster)
            repairs["polygon_to_point"] = {"method": how, "ids": list(labels[poly])}
            log.info("%s: %d polygons turned into points (%s)", what, int(poly.sum()), how)
    other = ok & ~np.isin(types, [0, 3, 4, 6])
    if other.any():
        names = sorted({shapely.get_type_id(g) for g in geoms[other]})
        kinds = ", ".join(TYPE_NAMES.get(t, str(t)) for t in names)
        problems.add(
            GeometryError,
            f"{int(other.sum())} geometries are {kinds}, not points: "
            f"{examples(labels[other])}. Locations must be points (or polygons with the "
            "polygons= option).",
        )
    out[out.geometry.name] = geoms


TYPE_NAMES = {
    0: "Point",
    1: "LineString",
    2: "LinearRing",
    3: "Polygon",
    4: "MultiPoint",
    5: "MultiLineString",
    6: "MultiPolygon",
    7: "GeometryCollection",
}
