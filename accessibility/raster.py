"""Rasters: population surfaces, slope-aware walking on a DEM, friction-surface travel time.

Three jobs, all on top of :mod:`rasterio`:

* **Population rasters to demand** (WorldPop and the like): zonal sums over village polygons
  (:func:`zonal_population`), allocation of every populated cell to its nearest village by straight-line
  distance or travel time (:func:`assign_population_cells`, :func:`allocate_population`), or every
  populated cell as its own demand point (:func:`population_points`). Counts are conserved: rasters are
  never resampled; the vector side is reprojected onto the raster instead.
* **Slope-aware walking** with Tobler's hiking function (:func:`tobler_speed_kmh`): per-edge walking
  times in both directions from elevations sampled along the edge geometry (:func:`edge_walk_times`), and
  the off-network leg between a village and its snap point (:func:`connector_walk_times`). DEMs may be
  GeoTIFFs or SRTM ``.hgt`` tiles, also zipped (``N49E011.hgt.zip``) and several tiles at once.
* **Friction-surface travel time** as in WHO's AccessMod: a speed raster from land cover
  (:func:`speed_from_landcover`) or a given friction surface (minutes per metre, like the Malaria Atlas
  Project surfaces), roads burned in (:func:`burn_roads`), barriers made impassable
  (:func:`add_barriers`), multi-source cumulative travel time on the 8- or 16-neighbour grid graph,
  anisotropic on slopes when a DEM is given (:func:`travel_time_surface`, :func:`catchment_surface`),
  a QGIS-friendly GeoTIFF (:func:`write_raster`), per-village statistics (:func:`zonal_travel_time`) and
  a comparison with network travel times (:func:`compare_with_network`).

Rasters in a geographic CRS (degrees) are handled exactly: step lengths between cell centres are
geodesic distances computed row by row on the CRS's ellipsoid, so cells shrink towards the poles as
they should.

References
----------
Tobler, W. (1993). Three presentations on geographical analysis and modeling. NCGIA Technical
Report 93-1.
Ray, N., Ebener, S. (2008). AccessMod 3.0: computing geographic coverage and accessibility to health
care services using anisotropic movement of patients. International Journal of Health Geographics 7:63.
Weiss, D. J. et al. (2020). Global maps of travel time to healthcare facilities. Nature Medicine 26.

Examples
--------
The examples run on the bundled (synthetic) demo county and its two rasters,
``data/demo_dem.tif`` (elevation, metres) and ``data/demo_population.tif`` (people per cell), both
on the same grid of 100 m cells in EPSG:4546. The friction surface is walking at 4 km/h off the
roads, with the roads burned in at their car speeds:

>>> import numpy as np
>>> import accessibility as acc
>>> from accessibility.raster import *
>>> demo = acc.load_demo()
>>> villages = demo.villages
>>> clinics = demo.facilities[demo.facilities["service"] == "clinic"]
>>> net = acc.network_from_roads(demo.roads, tolerance_m=2.5)
>>> dem = read_raster(demo.dem_path)
>>> pop = demo.population_path
>>> offroad = Raster(np.full(dem.shape, 4.0), dem.transform, dem.crs)  # km/h everywhere
>>> fr = burn_roads(friction_from_speed(offroad), net.edges, speed_kmh="car_speed_kmh")
>>> tt = travel_time_surface(fr, clinics)  # minutes to the nearest clinic
>>> dem.shape, dem.res
((370, 420), (100.0, 100.0))
"""

from __future__ import annotations

import logging
import math
import os
import zipfile
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
import pandas as pd

from .errors import (
    CRSError,
    EmptyLayerError,
    GeometryError,
    InputWarning,
    InvalidValueError,
    MemoryEstimateError,
    MissingColumnError,
    ResultWarning,
    suggest,
    warn,
)

if TYPE_CHECKING:
    import geopandas as gpd
    import pyproj
    from affine import Affine

__all__ = [
    "Raster",
    "add_barriers",
    "allocate_population",
    "assign_population_cells",
    "burn_roads",
    "catchment_surface",
    "compare_with_network",
    "connector_walk_times",
    "edge_walk_times",
    "friction_from_speed",
    "population_points",
    "read_raster",
    "sample_raster",
    "speed_from_landcover",
    "tobler_speed_kmh",
    "travel_time_surface",
    "write_raster",
    "zonal_population",
    "zonal_travel_time",
]

logger = logging.getLogger(__name__)

#: Tobler's hiking function: v = 6 exp(-3.5 |s + 0.05|) km/h; on flat ground 6 exp(-0.175) km/h.
TOBLER_FLAT_KMH = 6.0 * math.exp(-3.5 * 0.05)

#: nodata value written into float GeoTIFFs (QGIS shows it as transparent)
NODATA = -9999.0

_RASTER_SUFFIXES = (".tif", ".tiff", ".hgt", ".asc", ".img", ".vrt", ".dem", ".bil", ".nc")


# --------------------------------------------------------------------------------------------------
# the in-memory raster
# --------------------------------------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class Raster:
    """A single-band raster in memory: values, georeferencing and a band description.

    Missing cells (nodata, impassable, unreachable) are NaN in float rasters. Build one with
    :func:`read_raster`, or directly from an array for tests.

    Attributes
    ----------
    values
        2-D array (rows, columns); row 0 is the northern edge for north-up rasters.
    transform
        Affine transform from (column, row) to (x, y) of cell corners, as in rasterio.
    crs
        Coordinate reference system.
    description
        Band description written into GeoTIFFs (for example ``"travel_time_min"``).

    Examples
    --------
    >>> import numpy as np
    >>> from affine import Affine
    >>> r = Raster(np.ones((2, 3)), Affine(100, 0, 0, 0, -100, 200), "EPSG:32650")
    >>> r.shape, r.res
    ((2, 3), (100.0, 100.0))
    """

    values: np.ndarray
    transform: Affine
    crs: Any
    description: str = ""

    def __post_init__(self) -> None:
        import pyproj

        values = np.asarray(self.values)
        if values.ndim != 2:
            raise InvalidValueError(f"a Raster needs a 2-D array; got shape {values.shape}")
        object.__setattr__(self, "values", values)
        if self.crs is None:
            raise CRSError("a Raster needs a CRS; pass crs= (for example 'EPSG:32650')")
        crs = self.crs
        if not isinstance(crs, pyproj.CRS):
            crs = pyproj.CRS.from_user_input(crs.to_wkt() if hasattr(crs, "to_wkt") else crs)
        object.__setattr__(self, "crs", crs)
        t = self.transform
        if t.b != 0 or t.d != 0:
            raise InvalidValueError(
                "rotated or sheared rasters are not supported; warp the raster to a north-up "
                "grid first (gdalwarp)"
            )

    @property
    def shape(self) -> tuple[int, int]:
        """(rows, columns)."""
        return self.values.shape  # type: ignore[return-value]

    @property
    def res(self) -> tuple[float, float]:
        """Cell size (x, y) in CRS units, positive."""
        return abs(self.transform.a), abs(self.transform.e)

    @property
    def bounds(self) -> tuple[float, float, float, float]:
        """(left, bottom, right, top) in CRS units."""
        rows, cols = self.shape
        x0, y0 = self.transform @ (0, 0)
        x1, y1 = self.transform @ (cols, rows)
        return min(x0, x1), min(y0, y1), max(x0, x1), max(y0, y1)

    def replace(self, values: np.ndarray, description: str | None = None) -> Raster:
        """Return a new Raster on the same grid with other values."""
        return Raster(
            values,
            self.transform,
            self.crs,
            self.description if description is None else description,
        )


def _gdal_path(path: str | os.PathLike) -> str:
    """Turn ``x.hgt.zip`` / ``x.tif.gz`` into GDAL virtual paths; leave others untouched."""
    p = str(path)
    if p.startswith("/vsi"):
        return p
    low = p.lower()
    if low.endswith(".zip"):
        if not os.path.exists(p):
            raise FileNotFoundError(f"raster file {p!r} does not exist")
        with zipfile.ZipFile(p) as zf:
            members = [n for n in zf.namelist() if n.lower().endswith(_RASTER_SUFFIXES)]
        if not members:
            raise InvalidValueError(
                f"zip file {p!r} holds no raster ({', '.join(_RASTER_SUFFIXES)}); "
                "unpack it and pass the raster file"
            )
        return f"/vsizip/{os.path.abspath(p)}/{members[0]}"
    if low.endswith(".gz"):
        return f"/vsigzip/{os.path.abspath(p)}"
    return p


def read_raster(
    source: str | os.PathLike | Sequence[str | os.PathLike] | Raster,
    *,
    band: int = 1,
    bounds: tuple[float, float, float, float] | None = None,
    bounds_crs: Any | None = None,
    pad_cells: int = 2,
) -> Raster:
    """Read one band of a raster (or a mosaic of tiles) into memory, nodata as NaN.

    Parameters
    ----------
    source
        A GeoTIFF or any GDAL raster; SRTM ``.hgt`` tiles, also zipped (``N49E011.hgt.zip`` is read
        through ``/vsizip/``); or a list of tiles, mosaicked; or a :class:`Raster` (returned as is,
        cropped to ``bounds`` if given).
    band
        Band number (1-based).
    bounds
        Read only the window covering (left, bottom, right, top), plus ``pad_cells`` cells around.
    bounds_crs
        CRS of ``bounds`` if not the raster's.
    pad_cells
        Cells added around ``bounds`` (so bilinear sampling at the edge has neighbours).

    Returns
    -------
    Raster
        float64 values with NaN where the file has nodata.

    Examples
    --------
    >>> dem = read_raster(demo.dem_path)
    >>> dem.shape, dem.crs.to_epsg(), round(float(np.nanmax(dem.values)))
    ((370, 420), 4546, 1016)

    SRTM tiles, zipped, are read the same way (real data beside the project):

    >>> srtm = read_raster("../shared/data/dem/N49E011.hgt.zip")  # doctest: +SKIP
    >>> srtm.shape  # doctest: +SKIP
    (1201, 1201)
    """
    import rasterio
    from rasterio.windows import Window, from_bounds

    if isinstance(source, Raster):
        if bounds is None:
            return source
        return _crop(source, bounds, bounds_crs, pad_cells)
    if isinstance(source, str | os.PathLike):
        paths = [_gdal_path(source)]
    else:
        paths = [_gdal_path(p) for p in source]
        if not paths:
            raise EmptyLayerError("no raster files given")
    for p in paths:
        if not p.startswith("/vsi") and not os.path.exists(p):
            raise FileNotFoundError(f"raster file {p!r} does not exist")

    if len(paths) > 1:
        from rasterio.merge import merge

        srcs = [rasterio.open(p) for p in paths]
        try:
            crs = srcs[0].crs
            merge_bounds = None
            if bounds is not None:
                b = _bounds_to(bounds, bounds_crs, crs)
                rx, ry = srcs[0].res
                full = [s.bounds for s in srcs]
                # snap to the first tile's grid so no cell is shifted (merge aligns the output
                # grid on the bounds it is given)
                x0, y0 = srcs[0].bounds.left, srcs[0].bounds.top
                left = max(b[0] - pad_cells * rx, min(f.left for f in full))
                bottom = max(b[1] - pad_cells * ry, min(f.bottom for f in full))
                right = min(b[2] + pad_cells * rx, max(f.right for f in full))
                top = min(b[3] + pad_cells * ry, max(f.top for f in full))
                merge_bounds = (
                    x0 + math.floor(round((left - x0) / rx, 9)) * rx,
                    y0 - math.ceil(round((y0 - bottom) / ry, 9)) * ry,
                    x0 + math.ceil(round((right - x0) / rx, 9)) * rx,
                    y0 - math.floor(round((y0 - top) / ry, 9)) * ry,
                )
            arr, transform = merge(
                srcs, bounds=merge_bounds, indexes=[band], dtype="float64", nodata=np.nan
            )
        finally:
            for s in srcs:
                s.close()
        values = arr[0]
        return Raster(values, transform, crs, f"{Path(paths[0]).name} (+{len(paths) - 1} tiles)")

    with rasterio.open(paths[0]) as src:
        if band < 1 or band > src.count:
            raise InvalidValueError(f"band {band} asked for; {paths[0]!r} has {src.count} band(s)")
        window = None
        if bounds is not None:
            b = _bounds_to(bounds, bounds_crs, src.crs)
            w = from_bounds(*b, transform=src.transform)
            col0 = max(0, math.floor(w.col_off) - pad_cells)
            row0 = max(0, math.floor(w.row_off) - pad_cells)
            col1 = min(src.width, math.ceil(w.col_off + w.width) + pad_cells)
            row1 = min(src.height, math.ceil(w.row_off + w.height) + pad_cells)
            if col1 <= col0 or row1 <= row0:
                raise InvalidValueError(
                    f"the area {tuple(round(v, 6) for v in b)} does not overlap raster "
                    f"{paths[0]!r} with bounds {tuple(src.bounds)}"
                )
            window = Window(col0, row0, col1 - col0, row1 - row0)
        arr = src.read(band, window=window, masked=True)
        transform = src.window_transform(window) if window is not None else src.transform
        values = np.ma.filled(arr.astype(np.float64), np.nan)
        desc = src.descriptions[band - 1] or Path(paths[0]).name
        crs = src.crs
    if crs is None:
        raise CRSError(f"raster {paths[0]!r} has no CRS; assign one with gdal_edit.py -a_srs")
    return Raster(values, transform, crs, desc)


def _bounds_to(
    bounds: tuple[float, float, float, float], src_crs: Any | None, dst_crs: Any
) -> tuple[float, float, float, float]:
    if src_crs is None:
        return tuple(bounds)  # type: ignore[return-value]
    from rasterio.warp import transform_bounds

    return tuple(transform_bounds(_rio_crs(src_crs), _rio_crs(dst_crs), *bounds, densify_pts=21))  # type: ignore[return-value]


def _rio_crs(crs: Any) -> Any:
    from rasterio.crs import CRS as RioCRS

    if isinstance(crs, RioCRS):
        return crs
    return RioCRS.from_wkt(crs.to_wkt()) if hasattr(crs, "to_wkt") else RioCRS.from_user_input(crs)


def _crop(
    r: Raster, bounds: tuple[float, float, float, float], bounds_crs: Any | None, pad: int
) -> Raster:
    from rasterio.windows import from_bounds

    b = _bounds_to(bounds, bounds_crs, r.crs)
    w = from_bounds(*b, transform=r.transform)
    rows, cols = r.shape
    c0 = max(0, math.floor(w.col_off) - pad)
    r0 = max(0, math.floor(w.row_off) - pad)
    c1 = min(cols, math.ceil(w.col_off + w.width) + pad)
    r1 = min(rows, math.ceil(w.row_off + w.height) + pad)
    if c1 <= c0 or r1 <= r0:
        raise InvalidValueError(f"the area {b} does not overlap the raster bounds {r.bounds}")
    t = r.transform @ r.transform.translation(c0, r0)
    return Raster(r.values[r0:r1, c0:c1], t, r.crs, r.description)


def _as_raster(source: Any, *, band: int = 1) -> Raster:
    if isinstance(source, Raster):
        return source
    return read_raster(source, band=band)


def write_raster(
    raster: Raster,
    path: str | os.PathLike,
    *,
    description: str | None = None,
    dtype: str = "float32",
    nodata: float | None = NODATA,
    overwrite: bool = True,
) -> Path:
    """Write a raster as a QGIS-friendly GeoTIFF, atomically.

    The file is tiled (256 x 256), DEFLATE-compressed (floating-point predictor for float types), has
    the band description set (QGIS shows it as the band name) and a nodata value; NaN and infinite
    values are written as ``nodata``. It is written to a temporary name and moved into place, so an
    interrupted run leaves any previous file intact.

    Parameters
    ----------
    raster
        The raster to write.
    path
        Output ``.tif`` path.
    description
        Band description; default ``raster.description``.
    dtype
        Output data type (``"float32"`` for times, ``"int32"`` for catchment ids).
    nodata
        Value standing for missing cells.
    overwrite
        Replace an existing file.

    Returns
    -------
    Path
        The path written.

    Examples
    --------
    >>> path = write_raster(tt, "time_to_clinic.tif", description="minutes to the nearest clinic")
    >>> path.name, read_raster(path).shape
    ('time_to_clinic.tif', (370, 420))
    """
    import rasterio

    from ._files import atomic_path

    values = np.asarray(raster.values)
    out = values.astype(dtype, copy=True)
    if nodata is not None:
        if np.issubdtype(values.dtype, np.floating):
            bad = ~np.isfinite(values)
            out[bad] = nodata
    rows, cols = raster.shape
    profile: dict[str, Any] = {
        "driver": "GTiff",
        "width": cols,
        "height": rows,
        "count": 1,
        "dtype": dtype,
        "crs": _rio_crs(raster.crs),
        "transform": raster.transform,
        "nodata": nodata,
        "compress": "deflate",
        "predictor": 3 if np.issubdtype(np.dtype(dtype), np.floating) else 2,
        "tiled": True,
        "blockxsize": 256,
        "blockysize": 256,
        "BIGTIFF": "IF_SAFER",
    }
    with atomic_path(path, overwrite=overwrite) as tmp:
        with rasterio.open(tmp, "w", **profile) as dst:
            dst.write(out, 1)
            dst.set_band_description(1, description or raster.description or "value")
    logger.info("wrote %s (%d x %d cells)", path, rows, cols)
    return Path(path)


# --------------------------------------------------------------------------------------------------
# geometry helpers
# --------------------------------------------------------------------------------------------------


def _check_crs(gdf: Any, what: str) -> None:
    if getattr(gdf, "crs", None) is None:
        raise CRSError(f"{what} have no CRS; set one with .set_crs(...) (for example 'EPSG:4326')")


def _local_metric_crs(gdf: Any) -> pyproj.CRS:
    """The layer's own CRS if projected in metres, else the local UTM zone."""
    import pyproj

    crs = pyproj.CRS.from_user_input(gdf.crs)
    if crs.is_projected and abs(crs.axis_info[0].unit_conversion_factor - 1.0) < 1e-12:
        return crs
    return gdf.estimate_utm_crs()


def _onto(r: Raster, layer: Any) -> np.ndarray:
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


def _cell_centres(r: Raster, rows: np.ndarray, cols: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    t = r.transform
    x = t.c + (cols + 0.5) * t.a
    y = t.f + (rows + 0.5) * t.e
    return x, y


def _rowcol(r: Raster, x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Row, column of the cell holding each point, and whether it lies on the raster."""
    t = r.transform
    cols = np.floor((np.asarray(x, float) - t.c) / t.a)
    rows = np.floor((np.asarray(y, float) - t.f) / t.e)
    nrows, ncols = r.shape
    inside = (rows >= 0) & (rows < nrows) & (cols >= 0) & (cols < ncols)
    rows = np.where(inside, rows, 0).astype(np.int64)
    cols = np.where(inside, cols, 0).astype(np.int64)
    return rows, cols, inside


def _points_xy(geoms: Any) -> tuple[np.ndarray, np.ndarray]:
    """x, y of points (polygons and lines use a representative point)."""
    import shapely

    arr = np.asarray(geoms)
    if len(arr) and (shapely.is_empty(arr) | shapely.is_missing(arr)).any():
        raise GeometryError("some geometries are empty or missing; drop or fix them first")
    types = shapely.get_type_id(arr)
    pts = np.where(types == 0, arr, shapely.point_on_surface(arr))
    return shapely.get_x(pts), shapely.get_y(pts)


def _transform_xy(
    x: np.ndarray, y: np.ndarray, src: Any, dst: Any
) -> tuple[np.ndarray, np.ndarray]:
    import pyproj

    s, d = pyproj.CRS.from_user_input(src), pyproj.CRS.from_user_input(dst)
    if s == d:
        return np.asarray(x, float), np.asarray(y, float)
    tr = pyproj.Transformer.from_crs(s, d, always_xy=True)
    xx, yy = tr.transform(np.asarray(x, float), np.asarray(y, float))
    return np.asarray(xx), np.asarray(yy)


def _bilinear(r: Raster, x: np.ndarray, y: np.ndarray) -> np.ndarray:
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


# --------------------------------------------------------------------------------------------------
# population rasters to demand
# --------------------------------------------------------------------------------------------------


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

    pop = _as_raster(population, band=band)
    v = _population_values(pop)
    keep = np.isfinite(v) & (v > min_population)
    if within is not None:
        keep &= _centre_mask(pop, within, within_crs)
    rows, cols = np.nonzero(keep)
    x, y = _cell_centres(pop, rows, cols)
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
        _check_crs(within, "the 'within' area")
        geoms = _onto(r, within)
    else:
        geoms = _onto(r, gpd.GeoSeries([within], crs=within_crs or r.crs))
    return _centre_ids(r, geoms) >= 0


def _centre_ids(r: Raster, geoms: np.ndarray) -> np.ndarray:
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
    boundary = rasterize(
        [(shapely.boundary(g), 1) for g, _ in shapes],
        out_shape=r.shape,
        transform=r.transform,
        fill=0,
        dtype="uint8",
        all_touched=True,
    ).astype(bool)
    rows, cols = np.nonzero(boundary)
    if len(rows):
        x, y = _cell_centres(r, rows, cols)
        tree = shapely.STRtree(geoms[ok])
        p_idx, t_idx = tree.query(shapely.points(x, y), predicate="intersects")
        best = np.full(len(rows), -1, dtype=np.int64)
        np.maximum.at(best, p_idx, np.nonzero(ok)[0][t_idx])
        ids[rows, cols] = best
    return ids


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
      polygon covers (population assumed uniform inside a cell): pop_i = sum_c P_c |c ∩ Z_i| / |c|.
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

    from .options import progress

    _check_crs(zones, "the zones")
    if len(zones) == 0:
        raise EmptyLayerError("the zones layer has no features")
    pop = _as_raster(population, band=band)
    v = np.nan_to_num(_population_values(pop), nan=0.0)
    geoms = _onto(pop, zones)
    types = shapely.get_type_id(geoms)
    if not np.isin(types, (3, 6)).all():
        raise GeometryError(
            "zonal_population needs polygons; for village points use allocate_population()"
        )
    if method == "centre":
        ids = _centre_ids(pop, geoms)
        sel = ids >= 0
        sums = np.bincount(ids[sel], weights=v[sel], minlength=len(geoms))
    elif method == "area":
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
    from scipy.spatial import cKDTree

    _check_crs(villages, "the villages")
    if len(villages) == 0:
        raise EmptyLayerError("the villages layer has no features")
    if not villages.index.is_unique:
        from .errors import DuplicateIdError

        raise DuplicateIdError("village ids (the index) are not unique; use a unique id column")
    pop = _as_raster(population, band=band)
    cells = population_points(pop, within=within)
    labels = np.asarray(villages.index)
    if by == "distance":
        metric = _local_metric_crs(villages if villages.crs.is_projected else cells)
        vx, vy = _points_xy(villages.to_crs(metric).geometry)
        cx, cy = _points_xy(cells.to_crs(metric).geometry)
        tree = cKDTree(np.column_stack([vx, vy]))
        ub = np.inf if max_distance_m is None else float(max_distance_m)
        d, pos = tree.query(np.column_stack([cx, cy]), k=1, distance_upper_bound=ub)
        ok = np.isfinite(d)
        village = pd.Series(pd.NA, index=cells.index, dtype=object)
        village[ok] = labels[pos[ok]]
        cells["village"] = village
        cells["distance_m"] = np.where(ok, d, np.nan)
    elif by == "travel_time":
        if (friction is None) == (cost_function is None):
            raise InvalidValueError(
                "by='travel_time' needs exactly one of friction= (a friction surface) or "
                "cost_function= (a router returning a cost table)"
            )
        if friction is not None:
            fr = _as_raster(friction)
            times, alloc = _cost_distance(
                fr,
                villages,
                connectivity=connectivity,
                dem=dem,
                direction="to_sources",
                max_time_min=max_time_min,
            )
            x, y = _points_xy(cells.geometry)
            fx, fy = _transform_xy(x, y, pop.crs, fr.crs)
            rows, cols, inside = _rowcol(fr, fx, fy)
            a = np.where(inside, alloc[rows, cols], -1)
            t = np.where(inside & (a >= 0), times[rows, cols], np.nan)
            village = pd.Series(pd.NA, index=cells.index, dtype=object)
            village[a >= 0] = labels[a[a >= 0]]
            cells["village"] = village
            cells["travel_time_min"] = t
        else:
            table = cost_function(cells, villages)  # type: ignore[misc]
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
            cells["village"] = best["destination"].reindex(cells.index).astype(object)
            cells["travel_time_min"] = best["travel_time_min"].reindex(cells.index)
    else:
        raise InvalidValueError(f"by must be 'distance' or 'travel_time'; got {by!r}.")
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


def allocate_population(
    population: Raster | str | os.PathLike,
    villages: gpd.GeoDataFrame,
    **kwargs: Any,
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
    **kwargs
        Options of :func:`assign_population_cells` (``by``, ``friction``, ``cost_function``,
        ``max_distance_m``, ``max_time_min``, ``within``, ...).

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
    cells = assign_population_cells(population, villages, **kwargs)
    sums = cells.dropna(subset=["village"]).groupby("village")["population"].sum()
    return sums.reindex(villages.index, fill_value=0.0).astype(float).rename("population")


# --------------------------------------------------------------------------------------------------
# slope-aware walking (Tobler)
# --------------------------------------------------------------------------------------------------


def tobler_speed_kmh(grade: Any, *, flat_speed_kmh: Any | None = None) -> np.ndarray:
    """Walking speed on a slope by Tobler's hiking function.

    v = 6 exp(-3.5 |s + 0.05|) km/h, with s = dh/dx the grade in the direction of travel (rise over
    horizontal run; +0.1 = 10 % uphill). The speed peaks at 6 km/h going 5 % downhill and is
    6 exp(-0.175) = 5.04 km/h on the flat. With ``flat_speed_kmh`` the curve is scaled so that the
    flat speed equals it: v = flat_speed_kmh * exp(-3.5 (|s + 0.05| - 0.05)).

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


def _edges_of(network_or_edges: Any) -> tuple[gpd.GeoDataFrame, Any]:
    import geopandas as gpd

    if isinstance(network_or_edges, gpd.GeoDataFrame):
        edges = network_or_edges
        _check_crs(edges, "the edges")
        return edges, edges.crs
    if hasattr(network_or_edges, "edges") and hasattr(network_or_edges, "crs"):
        return network_or_edges.edges, network_or_edges.crs
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
        dem_r = _as_raster(dem)
    dx, dy = _transform_xy(x, y, crs, dem_r.crs)
    z = _bilinear(dem_r, dx, dy)

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

    edges, crs = _edges_of(network_or_edges)
    if len(edges) == 0:
        return pd.DataFrame(
            {c: pd.Series(dtype=float) for c in ("walk_fwd_min", "walk_bwd_min")},
            index=edges.index,
        )
    geoms = np.asarray(edges.geometry)
    if not np.isin(shapely.get_type_id(geoms), (1, 2)).all():
        raise GeometryError("edge geometries must be LineStrings oriented u -> v")
    gs = edges.geometry
    import pyproj

    if pyproj.CRS.from_user_input(crs).is_geographic:
        metric = gs.estimate_utm_crs()
        gs = gs.to_crs(metric)
    else:
        metric = crs
    geoms = np.asarray(gs)
    if length_column and length_column in edges.columns:
        lengths = edges[length_column].to_numpy(dtype=float)
    else:
        lengths = shapely.length(geoms)
        if pyproj.CRS.from_user_input(metric).is_projected:
            lengths = (
                lengths * pyproj.CRS.from_user_input(metric).axis_info[0].unit_conversion_factor
            )
    flat: float | np.ndarray | None
    no_speed = np.zeros(len(edges), dtype=bool)
    if isinstance(flat_speed_kmh, str):
        if flat_speed_kmh not in edges.columns:
            raise MissingColumnError(
                f"edges have no speed column {flat_speed_kmh!r}; columns are "
                f"{list(edges.columns)}.{suggest(flat_speed_kmh, edges.columns)}"
            )
        flat = edges[flat_speed_kmh].to_numpy(dtype=float)
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
    >>> snap = locate(villages, net, mode="walk")
    >>> snapped = gpd.points_from_xy(snap["snap_x"], snap["snap_y"], crs=net.crs)
    >>> legs = connector_walk_times(villages, gpd.GeoSeries(snapped, index=villages.index),
    ...                             demo.dem_path)
    >>> legs.loc["V216"].round(1).tolist()
    [249.7, 3.3, 4.6, 0.0]
    """
    import geopandas as gpd
    import shapely

    _check_crs(points, "the points")
    _check_crs(snap_points, "the snap points")
    if not snap_points.index.equals(points.index):
        missing = points.index.difference(snap_points.index)
        if len(missing):
            raise InvalidValueError(
                f"snap_points lack {len(missing)} of the points' ids (e.g. {list(missing[:3])}); "
                "pass snap points indexed like the points"
            )
        snap_points = snap_points.loc[points.index]
    p = gpd.GeoSeries(points.geometry, crs=points.crs)
    metric = _local_metric_crs(p)
    px, py = _points_xy(p.to_crs(metric))
    sx, sy = _points_xy(gpd.GeoSeries(snap_points.geometry, crs=snap_points.crs).to_crs(metric))
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


# --------------------------------------------------------------------------------------------------
# friction surfaces
# --------------------------------------------------------------------------------------------------


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
    lc = _as_raster(landcover, band=band)
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
    sp = _as_raster(speed)
    v = sp.values.astype(float)
    with np.errstate(divide="ignore", invalid="ignore"):
        f = np.where(v > 0, 0.06 / v, np.nan)
    return sp.replace(f, "friction_min_per_m")


def _friction_values(fr: Raster) -> np.ndarray:
    f = fr.values.astype(np.float64, copy=True)
    f[~np.isfinite(f) | (f <= 0)] = np.inf  # impassable
    return f


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

    fr = _as_raster(friction)
    _check_crs(roads, "the roads")
    if isinstance(speed_kmh, str):
        if speed_kmh not in roads.columns:
            raise MissingColumnError(
                f"roads have no speed column {speed_kmh!r}; columns are {list(roads.columns)}."
                f"{suggest(speed_kmh, roads.columns)} Or pass speed_kmh=<number>."
            )
        speeds = roads[speed_kmh].to_numpy(dtype=float)
    else:
        speeds = np.full(len(roads), float(speed_kmh))
    ok = np.isfinite(speeds) & (speeds > 0)
    geoms = _onto(fr, roads)[ok]
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
    from rasterio.features import rasterize

    fr = _as_raster(friction)
    _check_crs(barriers, "the barriers")
    f = fr.values.astype(float, copy=True)
    geoms = [g for g in _onto(fr, barriers) if g is not None and not g.is_empty]
    if not geoms:
        return fr.replace(f)
    mask = rasterize(
        ((g, 1) for g in geoms),
        out_shape=fr.shape,
        transform=fr.transform,
        fill=0,
        dtype="uint8",
        all_touched=all_touched,
    ).astype(bool)
    if bridges is not None and len(bridges):
        _check_crs(bridges, "the bridges")
        keep = rasterize(
            ((g, 1) for g in _onto(fr, bridges) if g is not None and not g.is_empty),
            out_shape=fr.shape,
            transform=fr.transform,
            fill=0,
            dtype="uint8",
            all_touched=True,
        ).astype(bool)
        mask &= ~keep
    f[mask] = np.nan
    logger.info("barriers made %d cells impassable", int(mask.sum()))
    return fr.replace(f, "friction_min_per_m")


# --------------------------------------------------------------------------------------------------
# cost distance on the grid graph
# --------------------------------------------------------------------------------------------------

_OFFSETS_8 = ((-1, 0), (1, 0), (0, -1), (0, 1), (-1, -1), (-1, 1), (1, -1), (1, 1))
_OFFSETS_16 = (*_OFFSETS_8, (-1, -2), (-1, 2), (1, -2), (1, 2), (-2, -1), (-2, 1), (2, -1), (2, 1))


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


def _grid_dijkstra(
    fric, elev, exempt, use_elev, dr, dc, dist, src, max_cost, reverse
):  # pragma: no cover
    """Multi-source Dijkstra on the implicit grid graph (compiled with numba by :func:`_kernel`).

    A lazy-deletion binary heap (keys ``hk``, cells ``hv``) is written out inline so the function is
    self-contained and numba can cache it on disk.
    """
    nrows, ncols = fric.shape
    n = nrows * ncols
    nk = dr.shape[0]
    cost = np.full(n, np.inf)
    label = np.full(n, -1, np.int32)
    done = np.zeros(n, np.bool_)
    cap = max(1024, 2 * src.shape[0] + n // 2)
    hk = np.empty(cap, np.float64)
    hv = np.empty(cap, np.int64)
    size = 0
    for i in range(src.shape[0]):
        s = src[i]
        if cost[s] > 0.0:
            cost[s] = 0.0
            label[s] = i
            hk[size] = 0.0  # every key is 0 here: appending keeps the heap order
            hv[size] = s
            size += 1
    while size > 0:
        # pop the smallest key
        key = hk[0]
        v = hv[0]
        size -= 1
        lk = hk[size]
        lv = hv[size]
        i = 0
        while True:
            ch = 2 * i + 1
            if ch >= size:
                break
            if ch + 1 < size and hk[ch + 1] < hk[ch]:
                ch += 1
            if hk[ch] >= lk:
                break
            hk[i] = hk[ch]
            hv[i] = hv[ch]
            i = ch
        if size > 0:
            hk[i] = lk
            hv[i] = lv
        if done[v] or key > cost[v]:
            continue
        done[v] = True
        r = v // ncols
        c = v - r * ncols
        fa = fric[r, c]
        if size + nk > cap:
            cap *= 2
            hk2 = np.empty(cap, np.float64)
            hv2 = np.empty(cap, np.int64)
            hk2[:size] = hk[:size]
            hv2[:size] = hv[:size]
            hk = hk2
            hv = hv2
        for j in range(nk):
            r2 = r + dr[j]
            c2 = c + dc[j]
            if r2 < 0 or r2 >= nrows or c2 < 0 or c2 >= ncols:
                continue
            w = r2 * ncols + c2
            if done[w]:
                continue
            fb = fric[r2, c2]
            if fb == np.inf:
                continue
            d = dist[r, j]
            adr = abs(dr[j])
            adc = abs(dc[j])
            if adr + adc == 3:
                # knight move: it crosses two more cells, which must be passable
                if adr == 1:
                    sc = 1 if dc[j] > 0 else -1
                    f1 = fric[r, c + sc]
                    f2 = fric[r2, c + sc]
                else:
                    sr = 1 if dr[j] > 0 else -1
                    f1 = fric[r + sr, c]
                    f2 = fric[r + sr, c2]
                if f1 == np.inf or f2 == np.inf:
                    continue
                t = d * (fa + fb + f1 + f2) * 0.25
            else:
                t = d * (fa + fb) * 0.5
            if use_elev and not (exempt[r, c] and exempt[r2, c2]):
                za = elev[r, c]
                zb = elev[r2, c2]
                if za == za and zb == zb:
                    s = (zb - za) / d
                    if reverse:
                        s = -s
                    # time scales with 1 / (Tobler speed relative to flat ground)
                    t *= np.exp(3.5 * (abs(s + 0.05) - 0.05))
            nc = key + t
            if nc < cost[w] and nc <= max_cost:
                cost[w] = nc
                label[w] = label[v]
                # push (nc, w)
                i = size
                while i > 0:
                    p = (i - 1) >> 1
                    if hk[p] <= nc:
                        break
                    hk[i] = hk[p]
                    hv[i] = hv[p]
                    i = p
                hk[i] = nc
                hv[i] = w
                size += 1
    return cost.reshape(nrows, ncols), label.reshape(nrows, ncols)


_KERNEL: dict[str, Any] = {}


def _kernel() -> Any:
    """Compile (once per process; cached on disk by numba) and return the grid-Dijkstra kernel."""
    if "grid" not in _KERNEL:
        import numba

        _KERNEL["grid"] = numba.njit(cache=True, nogil=True)(_grid_dijkstra)
    return _KERNEL["grid"]


def _source_cells(fr: Raster, sources: Any, f: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Flat cell indices of the sources and their positions in ``sources`` (valid ones only)."""
    import geopandas as gpd

    if isinstance(sources, gpd.GeoDataFrame | gpd.GeoSeries):
        _check_crs(sources, "the sources (facilities)")
        if len(sources) == 0:
            raise EmptyLayerError("no sources (facilities) given")
        x, y = _points_xy(sources.geometry)
        x, y = _transform_xy(x, y, sources.crs, fr.crs)
    else:
        arr = np.asarray(sources, dtype=float).reshape(-1, 2)
        x, y = arr[:, 0], arr[:, 1]  # (x, y) in the raster CRS
    rows, cols, inside = _rowcol(fr, x, y)
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


def _cost_distance(
    friction: Raster,
    sources: Any,
    *,
    connectivity: int = 8,
    dem: Any | None = None,
    direction: Literal["to_sources", "from_sources"] = "to_sources",
    max_time_min: float | None = None,
    slope_max_speed_kmh: float | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    from .options import OPTIONS

    if connectivity not in (8, 16):
        raise InvalidValueError(f"connectivity must be 8 or 16; got {connectivity}")
    if direction not in ("to_sources", "from_sources"):
        raise InvalidValueError(
            f"direction must be 'to_sources' or 'from_sources'; got {direction!r}"
        )
    nrows, ncols = friction.shape
    n = nrows * ncols
    est = n * (8 + 4 + 1 + 8 + 8 + 12 + (9 if dem is not None else 0))
    if est > OPTIONS["max_memory_bytes"]:
        raise MemoryEstimateError(
            f"a travel-time run on {nrows} x {ncols} cells needs about {est / 1e9:.1f} GB, above "
            f"max_memory_bytes={OPTIONS['max_memory_bytes']}; crop the raster or raise the limit "
            "with accessibility.set_options(max_memory_bytes=...)"
        )
    f = _friction_values(friction)
    src, pos = _source_cells(friction, sources, f)
    offsets = np.array(_OFFSETS_8 if connectivity == 8 else _OFFSETS_16, dtype=np.int64)
    dist = _step_lengths_m(friction, offsets)
    if dem is not None:
        elev = _dem_on_grid(friction, dem)
        use_elev = True
        if slope_max_speed_kmh is not None:
            with np.errstate(divide="ignore"):
                exempt = (0.06 / f) > slope_max_speed_kmh
        else:
            exempt = np.zeros(f.shape, bool)
    else:
        elev = np.zeros((1, 1))
        exempt = np.zeros((1, 1), bool)
        use_elev = False
    max_cost = np.inf if max_time_min is None else float(max_time_min)
    logger.info(
        "travel time on %d x %d cells, %d sources, %d-neighbour%s",
        nrows,
        ncols,
        len(src),
        connectivity,
        ", anisotropic (Tobler)" if use_elev else "",
    )
    cost, label = _kernel()(
        f,
        elev,
        exempt,
        use_elev,
        offsets[:, 0].copy(),
        offsets[:, 1].copy(),
        dist,
        src.astype(np.int64),
        max_cost,
        direction == "to_sources",
    )
    # positions among the valid sources -> positions in the caller's sources
    label = np.where(label >= 0, pos[np.maximum(label, 0)], -1).astype(np.int32)
    return cost, label


def _dem_on_grid(r: Raster, dem: Any) -> np.ndarray:
    """DEM elevations at the centres of ``r``'s cells (bilinear), NaN where unknown."""
    rows, cols = np.indices(r.shape)
    x, y = _cell_centres(r, rows.ravel(), cols.ravel())
    d = read_raster(dem, bounds=r.bounds, bounds_crs=r.crs)
    dx, dy = _transform_xy(x, y, r.crs, d.crs)
    z = _bilinear(d, dx, dy).reshape(r.shape)
    if np.isnan(z).any():
        warn(
            InputWarning,
            logger,
            "%d cells have no DEM elevation; moves touching them are treated as flat",
            int(np.isnan(z).sum()),
        )
    return z


def travel_time_surface(
    friction: Raster | str | os.PathLike,
    sources: Any,
    *,
    connectivity: int = 8,
    dem: Any | None = None,
    direction: Literal["to_sources", "from_sources"] = "to_sources",
    max_time_min: float | None = None,
    slope_max_speed_kmh: float | None = None,
) -> Raster:
    """Cumulative travel time (minutes) from every cell to the nearest source over a friction surface.

    Multi-source Dijkstra on the grid graph (numba): each cell is a node linked to its 8 neighbours
    (or 16, adding knight moves). A move between cells a and b of horizontal length d metres costs

        t = d (f_a + f_b) / 2                     (8-neighbour moves; f in minutes per metre)
        t = d (f_a + f_b + f_1 + f_2) / 4         (knight moves, f_1, f_2 the two cells crossed)

    which is the cost model of scikit-image's ``MCP_Geometric`` and of GRASS ``r.cost``. Step
    lengths are exact geodesic distances in geographic rasters (per row) and d = sqrt((dc a)^2 +
    (dr e)^2) in projected ones. With a DEM the move is anisotropic (AccessMod-style): the
    friction speed is treated as the speed on flat ground and scaled by Tobler's function,

        t = d (f_a + f_b) / 2 * exp(3.5 (|s + 0.05| - 0.05)),   s = (z_b - z_a) / d

    in the direction of travel, so a flat DEM gives exactly the isotropic result. Sources start at
    time 0 at the centre of the cell holding them.

    Parameters
    ----------
    friction
        Friction surface in minutes per metre (NaN, <= 0 or nodata = impassable), e.g. the MAP
        surfaces or :func:`friction_from_speed` output.
    sources
        Facility points (GeoDataFrame/GeoSeries, any CRS) or an (n, 2) array of x, y in the
        raster's CRS. Sources off the raster or on impassable cells are ignored (logged).
    connectivity
        8 or 16.
    dem
        DEM (any CRS, path, tiles or :class:`Raster`), sampled bilinearly at the cell centres.
    direction
        ``"to_sources"``: time to walk from each cell to the nearest source (the trip people make to
        a clinic); ``"from_sources"``: from the sources out. Only matters with a DEM.
    max_time_min
        Stop at this time; cells beyond are NaN.
    slope_max_speed_kmh
        With a DEM: cells faster than this on flat ground (burned-in roads, vehicles) are not slowed
        by slope where both cells of a move are such cells. Default: every cell is.

    Returns
    -------
    Raster
        ``travel_time_min`` on the friction grid; NaN where unreachable or impassable.

    References
    ----------
    Ray, N., Ebener, S. (2008). AccessMod 3.0. Int. J. Health Geogr. 7:63.

    Examples
    --------
    >>> tt = travel_time_surface(fr, clinics)
    >>> round(float(np.nanmedian(tt.values)), 1), round(float(np.nanmax(tt.values)), 1)
    (13.2, 179.1)
    >>> hilly = travel_time_surface(fr, clinics, dem=dem)  # anisotropic: Tobler off the roads
    >>> bool(np.nanmean(hilly.values) > np.nanmean(tt.values))
    True

    On a Malaria Atlas Project friction surface (real data beside the project):

    >>> sen = read_raster("../shared/data/friction/SEN_friction_surface.tif")  # doctest: +SKIP
    """
    fr = _as_raster(friction)
    cost, _ = _cost_distance(
        fr,
        sources,
        connectivity=connectivity,
        dem=dem,
        direction=direction,
        max_time_min=max_time_min,
        slope_max_speed_kmh=slope_max_speed_kmh,
    )
    cost[~np.isfinite(cost)] = np.nan
    return fr.replace(cost, "travel_time_min")


def catchment_surface(
    friction: Raster | str | os.PathLike,
    sources: Any,
    **kwargs: Any,
) -> tuple[Raster, pd.Index]:
    """Which source each cell reaches first (cost allocation), with the same model as
    :func:`travel_time_surface`.

    Parameters
    ----------
    friction
        Friction surface in minutes per metre.
    sources
        Facility points; their index labels the catchments.
    **kwargs
        Options of :func:`travel_time_surface`.

    Returns
    -------
    tuple of (Raster, pandas.Index)
        An int32 raster of positions into the sources (-1: unreachable), description
        ``"catchment"``, and the sources' labels, so ``labels[value]`` is the facility id.

    Examples
    --------
    >>> catch, labels = catchment_surface(fr, clinics)
    >>> len(labels), labels[0]
    (221, 'CL001')
    >>> path = write_raster(catch, "catchments.tif", dtype="int32", nodata=-1)
    """
    fr = _as_raster(friction)
    _, label = _cost_distance(fr, sources, **kwargs)
    index = sources.index if hasattr(sources, "index") else pd.RangeIndex(len(np.asarray(sources)))
    return fr.replace(label, "catchment"), index


# --------------------------------------------------------------------------------------------------
# per-village statistics and comparison
# --------------------------------------------------------------------------------------------------


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
    r = _as_raster(raster)
    _check_crs(points, "the points")
    x, y = _points_xy(points.geometry)
    x, y = _transform_xy(x, y, points.crs, r.crs)
    rows, cols, inside = _rowcol(r, x, y)
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

    r = _as_raster(surface)
    value = sample_raster(r, villages).rename("travel_time_min")
    out = pd.DataFrame({"travel_time_min": value})
    geoms = _onto(r, villages)
    polys = np.isin(shapely.get_type_id(geoms), (3, 6))
    if polys.any():
        ids = _centre_ids(r, np.where(polys, geoms, None))
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
