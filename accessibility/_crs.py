"""The metric-CRS policy: the one place that decides which CRS distances are computed in.

Every path that measures metres (networks, snapping, radii, rasters, checks, maps) asks this module,
so the rule is the same everywhere:

* an explicit ``crs=`` is used when it is a projected CRS in metres; a geographic CRS (degrees) or a
  projected CRS in another unit (US feet, EPSG:2227) is refused with a :class:`~accessibility.errors.CRSError`;
* otherwise the layer's own CRS is used when it is projected in metres;
* a layer in degrees, or projected in another unit (feet), is computed in its local UTM zone;
* a layer without a CRS, or one that says degrees while its coordinates are not longitudes and
  latitudes, is a :class:`~accessibility.errors.CRSError`: geographic coordinates are never used as
  metres, and neither are feet.

Examples
--------
>>> import accessibility as acc
>>> from accessibility._crs import *
>>> demo = acc.load_demo()
>>> villages = demo.villages
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any, TypeAlias

from pyproj import CRS

from .errors import CRSError

#: A coordinate reference system as the functions take it: anything ``pyproj.CRS.from_user_input``
#: reads (``"EPSG:4546"``, ``4546``, a WKT string, a ``pyproj.CRS``).
CRSLike: TypeAlias = str | int | CRS

if TYPE_CHECKING:
    import geopandas as gpd

__all__ = ["CRSLike", "is_projected_metric", "local_utm_crs", "metric_crs", "to_metric"]

_log = logging.getLogger(__name__)


def is_projected_metric(crs: Any) -> bool:
    """Whether ``crs`` is a projected CRS whose coordinates are metres.

    Parameters
    ----------
    crs
        Anything :meth:`pyproj.CRS.from_user_input` accepts; ``None`` gives False.

    Returns
    -------
    bool
        True for a projected CRS in metres; False for degrees, feet and other units.

    Examples
    --------
    >>> is_projected_metric("EPSG:4546"), is_projected_metric(4326), is_projected_metric(2227)
    (True, False, False)
    """
    if crs is None:
        return False
    own = CRS.from_user_input(crs)
    if not own.is_projected:
        return False
    if not own.axis_info:  # no axis description: proj strings default to metres
        return True
    return all(abs(a.unit_conversion_factor - 1.0) < 1e-12 for a in own.axis_info[:2])


def _given_crs(crs: Any) -> CRS:
    """An explicit ``crs=`` checked: known to pyproj, projected and in metres."""
    try:
        out = CRS.from_user_input(crs)
    except Exception as exc:  # pyproj raises its own CRSError for unknown codes
        raise CRSError(
            f"crs={crs!r} is not a CRS pyproj knows ({exc}); give an EPSG code such as "
            "'EPSG:4546' (CGCS2000 / 3-degree Gauss-Kruger CM 111E) or a UTM zone"
        ) from exc
    if not out.is_projected:
        raise CRSError(
            f"crs={out.to_string()} is geographic (degrees); give a projected CRS in metres, "
            "e.g. the local UTM zone or a CGCS2000 Gauss-Kruger zone"
        )
    if not is_projected_metric(out):
        unit = out.axis_info[0].unit_name
        raise CRSError(
            f"crs={out.to_string()} ({out.name}) is projected in {unit}, not metres, so distances "
            "in metres cannot be computed in it; give a projected CRS in metres, e.g. the local "
            "UTM zone, or leave crs unset to use it automatically"
        )
    return out


#: Margin (degrees) from every edge of a WGS 84 UTM zone's area of use inside which the zone is
#: computed rather than looked up: the areas are 6° by 84° (north) or 80° (south), zone 29N's
#: reaches 0.01° further west and some reach 84.01°N, so within this margin exactly one area
#: holds the centre.
_UTM_MARGIN_DEG = 0.05


def local_utm_crs(gdf: gpd.GeoDataFrame | gpd.GeoSeries) -> CRS:
    """The WGS 84 UTM zone of the layer's centre: the same CRS as geopandas'
    ``estimate_utm_crs()``, without its query of PROJ's database (a tenth of a second in a new
    process) when the centre lies well inside one zone.

    Parameters
    ----------
    gdf
        The layer; its CRS must be set.

    Returns
    -------
    pyproj.CRS
        ``EPSG:326zz`` (north) or ``EPSG:327zz`` (south).

    Raises
    ------
    RuntimeError
        As geopandas: no UTM zone holds the centre (beyond 84°N or 80°S).

    Examples
    --------
    >>> local_utm_crs(demo.villages.to_crs(4326)).to_epsg()
    32649
    """
    import numpy as np

    own = CRS.from_user_input(gdf.crs) if gdf.crs is not None else None
    if own is not None and own.is_geographic and len(gdf):
        # geopandas' centre for a geographic CRS: the middle of the bounds, read as lon/lat
        minx, miny, maxx, maxy = gdf.total_bounds
        lon, lat = float(np.mean([minx, maxx])), float(np.mean([miny, maxy]))
        if -180.0 <= lon < 180.0:
            zone = int((lon + 180.0) // 6.0) + 1
            west = -180.0 + 6.0 * (zone - 1)
            m = _UTM_MARGIN_DEG
            if west + m < lon < west + 6.0 - m:
                if m < lat < 84.0 - m:
                    return CRS.from_epsg(32600 + zone)
                if -80.0 + m < lat < -m:
                    return CRS.from_epsg(32700 + zone)
    return gdf.estimate_utm_crs()


def metric_crs(gdf: gpd.GeoDataFrame | gpd.GeoSeries, crs: CRSLike | None = None) -> CRS:
    """The projected metric CRS to compute in: ``crs`` if given, the layer's own if projected in
    metres, otherwise the local UTM zone of the layer's centre.

    Parameters
    ----------
    gdf
        The layer (GeoDataFrame or GeoSeries) whose CRS and extent decide.
    crs
        An explicit projected CRS in metres; it wins when given.

    Returns
    -------
    pyproj.CRS
        A projected CRS in metres.

    Raises
    ------
    CRSError
        If the layer has no CRS; if ``crs`` is unknown, geographic or not in metres; if the layer
        says degrees but its coordinates are not longitudes and latitudes.

    Examples
    --------
    >>> metric_crs(demo.villages).to_epsg()  # already projected in metres: kept
    4546
    >>> metric_crs(demo.villages.to_crs(4326)).name  # degrees: the local UTM zone
    'WGS 84 / UTM zone 49N'
    """
    if crs is not None:
        return _given_crs(crs)
    if gdf.crs is None:
        raise CRSError(
            "the layer has no CRS, so distances in metres cannot be measured; set it with "
            "`layer.set_crs(...)` (e.g. 'EPSG:4490' for CGCS2000 longitude/latitude)"
        )
    own = CRS.from_user_input(gdf.crs)
    if is_projected_metric(own):
        return own
    if not own.is_projected:
        minx, miny, maxx, maxy = gdf.total_bounds
        if not (-180.0 <= minx <= maxx <= 180.0 and -90.0 <= miny <= maxy <= 90.0):
            raise CRSError(
                f"the layer says its CRS is {own.name} (degrees) but its coordinates span "
                f"x {minx:.6g}..{maxx:.6g}, y {miny:.6g}..{maxy:.6g}, which are not longitudes "
                "and latitudes; they look like metres. Set the CRS the coordinates are really "
                "in, e.g. `layer.set_crs('EPSG:4546', allow_override=True)`"
            )
    try:
        utm = local_utm_crs(gdf)
    except RuntimeError as exc:  # pragma: no cover - pyproj finds no zone
        raise CRSError(f"no UTM zone found for the layer ({exc}); pass crs=...") from exc
    _log.info("computing in %s (local UTM) because the input CRS is %s", utm.name, own.name)
    return utm


def to_metric(
    gdf: gpd.GeoDataFrame | gpd.GeoSeries, crs: CRSLike | None = None
) -> tuple[gpd.GeoDataFrame | gpd.GeoSeries, CRS]:
    """The layer in its metric CRS (see :func:`metric_crs`), and that CRS.

    The layer is returned as is when it already is in that CRS, else as a reprojected copy; the
    caller's layer is never modified.

    Parameters
    ----------
    gdf
        The layer.
    crs
        An explicit projected CRS in metres.

    Returns
    -------
    tuple of (GeoDataFrame or GeoSeries, pyproj.CRS)
        The layer in metres and its CRS.

    Examples
    --------
    A layer in US survey feet is not used as metres:

    >>> feet = villages.to_crs("+proj=tmerc +lon_0=111 +x_0=500000 +ellps=GRS80 +units=us-ft")
    >>> work, work_crs = to_metric(feet)
    >>> work_crs.name, work.crs == work_crs
    ('WGS 84 / UTM zone 49N', True)
    """
    work = metric_crs(gdf, crs)
    if CRS.from_user_input(gdf.crs) == work:
        return gdf, work
    return gdf.to_crs(work), work
