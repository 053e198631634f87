"""The in-memory :class:`Raster` and reading and writing it (GeoTIFF, SRTM tiles, zips).

Rasters are read with :mod:`rasterio` into float arrays with NaN for nodata (optionally only
the window a layer covers, or a mosaic of tiles) and written as tiled, compressed GeoTIFFs that
QGIS opens as they are, atomically.

The examples in this module run on the demo set up in the docstring of :mod:`accessibility.raster`.
"""

from __future__ import annotations

import logging
import math
import os
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from ..errors import CRSError, EmptyLayerError, InvalidValueError

if TYPE_CHECKING:
    from affine import Affine

logger = logging.getLogger(__name__)


#: nodata value written into float GeoTIFFs (QGIS shows it as transparent)
NODATA = -9999.0


_RASTER_SUFFIXES = (".tif", ".tiff", ".hgt", ".asc", ".img", ".vrt", ".dem", ".bil", ".nc")


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
        return self.values.shape

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
        return _read_mosaic(paths, band, bounds, bounds_crs, pad_cells)
    return _read_one(paths[0], band, bounds, bounds_crs, pad_cells)


def _read_mosaic(
    paths: list[str],
    band: int,
    bounds: tuple[float, float, float, float] | None,
    bounds_crs: Any | None,
    pad_cells: int,
) -> Raster:
    """Several tiles merged into one raster on the first tile's grid."""
    import rasterio
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


def _read_one(
    path: str,
    band: int,
    bounds: tuple[float, float, float, float] | None,
    bounds_crs: Any | None,
    pad_cells: int,
) -> Raster:
    """One file, or the window of it covering ``bounds`` plus ``pad_cells``."""
    import rasterio
    from rasterio.windows import Window

    with rasterio.open(path) as src:
        if band < 1 or band > src.count:
            raise InvalidValueError(f"band {band} asked for; {path!r} has {src.count} band(s)")
        window = None
        if bounds is not None:
            b = _bounds_to(bounds, bounds_crs, src.crs)
            col0, row0, col1, row1 = _padded_window(b, src.transform, src.shape, pad_cells)
            if col1 <= col0 or row1 <= row0:
                raise InvalidValueError(
                    f"the area {tuple(round(v, 6) for v in b)} does not overlap raster "
                    f"{path!r} with bounds {tuple(src.bounds)}"
                )
            window = Window(col0, row0, col1 - col0, row1 - row0)
        arr = src.read(band, window=window, masked=True)
        transform = src.window_transform(window) if window is not None else src.transform
        values = np.ma.filled(arr.astype(np.float64), np.nan)
        desc = src.descriptions[band - 1] or Path(path).name
        crs = src.crs
    if crs is None:
        raise CRSError(f"raster {path!r} has no CRS; assign one with gdal_edit.py -a_srs")
    return Raster(values, transform, crs, desc)


def _padded_window(
    b: tuple[float, float, float, float], transform: Any, shape: tuple[int, int], pad: int
) -> tuple[int, int, int, int]:
    """First column, first row, end column, end row of the cells covering ``b``, padded, clipped."""
    from rasterio.windows import from_bounds

    w = from_bounds(*b, transform=transform)
    rows, cols = shape
    c0 = max(0, math.floor(w.col_off) - pad)
    r0 = max(0, math.floor(w.row_off) - pad)
    c1 = min(cols, math.ceil(w.col_off + w.width) + pad)
    r1 = min(rows, math.ceil(w.row_off + w.height) + pad)
    return c0, r0, c1, r1


def _bounds_to(
    bounds: tuple[float, float, float, float], src_crs: Any | None, dst_crs: Any
) -> tuple[float, float, float, float]:
    if src_crs is None:
        return tuple(bounds)  # type: ignore[return-value]
    from rasterio.warp import transform_bounds

    return tuple(transform_bounds(_rio_crs(src_crs), _rio_crs(dst_crs), *bounds, densify_pts=21))


def _rio_crs(crs: Any) -> Any:
    from rasterio.crs import CRS as RioCRS

    if isinstance(crs, RioCRS):
        return crs
    return RioCRS.from_wkt(crs.to_wkt()) if hasattr(crs, "to_wkt") else RioCRS.from_user_input(crs)


def _crop(
    r: Raster, bounds: tuple[float, float, float, float], bounds_crs: Any | None, pad: int
) -> Raster:
    b = _bounds_to(bounds, bounds_crs, r.crs)
    c0, r0, c1, r1 = _padded_window(b, r.transform, r.shape, pad)
    if c1 <= c0 or r1 <= r0:
        raise InvalidValueError(f"the area {b} does not overlap the raster bounds {r.bounds}")
    t = r.transform @ r.transform.translation(c0, r0)
    return Raster(r.values[r0:r1, c0:c1], t, r.crs, r.description)


def as_raster(source: Any, *, band: int = 1) -> Raster:
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
        Replace an existing file at ``path``.

    Returns
    -------
    Path
        The path of the GeoTIFF written.

    Examples
    --------
    >>> path = write_raster(tt, "time_to_clinic.tif", description="minutes to the nearest clinic")
    >>> path.name, read_raster(path).shape
    ('time_to_clinic.tif', (370, 420))
    """
    import rasterio

    from .._files import atomic_path

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
