"""Candidate sites for the siting models: a regular grid over a study area."""

from __future__ import annotations

import logging
import math
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from ..._crs import metric_crs
from ..._deprecate import keyword_only
from ...errors import EmptyLayerError, GeometryError, InvalidValueError, ResultWarning, warn

if TYPE_CHECKING:  # pragma: no cover
    import geopandas as gpd


__all__ = ["grid_candidates"]

logger = logging.getLogger(__name__)


@keyword_only("spacing_m", "crs")
def grid_candidates(
    area: Any,
    *,
    spacing_m: float,
    crs: Any = None,
) -> gpd.GeoDataFrame:
    """Candidate sites on a regular square grid over a study area.

    Points are placed at the centres of ``spacing_m`` x ``spacing_m`` cells covering the area's
    bounds and kept where they fall inside the area (for polygons) or the bounds (for a bounds
    tuple). The grid is laid out in metres: in the area's CRS when it is projected in metres,
    otherwise (degrees, or feet) in the local UTM zone
    (:func:`accessibility._crs.metric_crs`); the points are returned in the area's CRS (or
    ``crs`` for bounds).

    Parameters
    ----------
    area
        A GeoDataFrame / GeoSeries of polygons (e.g. townships or the county outline), or a
        bounds tuple ``(minx, miny, maxx, maxy)`` in ``crs``.
    spacing_m
        Distance between neighbouring candidate points, in metres.
    crs
        CRS of a bounds tuple (required for bounds; ignored for layers, which carry their CRS).

    Returns
    -------
    geopandas.GeoDataFrame
        Points indexed by ``candidate_id`` (``"g000000"``, ...), columns ``row``, ``col``,
        ``geometry``, in the area's CRS. Compute a cost table to them, then pass it (or the
        frame itself as ``candidates=``) to the siting models.

    Examples
    --------
    >>> g = grid_candidates((0, 0, 1000, 500), spacing_m=250, crs="EPSG:32650")
    >>> len(g), g.index[0]
    (8, 'g000000')
    """
    import geopandas as gpd
    import shapely
    from pyproj import CRS

    from ...errors import CRSError

    spacing = float(spacing_m)
    if not math.isfinite(spacing) or spacing <= 0:
        raise InvalidValueError(
            f"spacing_m must be a positive number of metres, got {spacing_m!r}."
        )
    if isinstance(area, gpd.GeoDataFrame | gpd.GeoSeries):
        if area.crs is None:
            raise CRSError("the area layer has no CRS; set one with .set_crs(...).")
        if len(area) == 0:
            raise EmptyLayerError("the area layer is empty.")
        out_crs = CRS.from_user_input(area.crs)
        geom = area.geometry if isinstance(area, gpd.GeoDataFrame) else area
        if not set(geom.geom_type.unique()) <= {"Polygon", "MultiPolygon"}:
            raise GeometryError(
                f"the area must be polygons, found {sorted(set(geom.geom_type.unique()))}; pass "
                "a bounds tuple for a rectangle."
            )
        shape = geom.union_all()
        work_crs = metric_crs(geom)
        if work_crs != out_crs:
            shape = gpd.GeoSeries([shape], crs=out_crs).to_crs(work_crs).iloc[0]
    else:
        try:
            minx, miny, maxx, maxy = (float(v) for v in area)
        except (TypeError, ValueError) as err:
            raise InvalidValueError(
                "area must be a GeoDataFrame/GeoSeries of polygons or a (minx, miny, maxx, maxy) "
                f"tuple; got {type(area).__name__}."
            ) from err
        if crs is None:
            raise CRSError("a bounds tuple needs crs= (e.g. crs='EPSG:4547').")
        if not (maxx > minx and maxy > miny):
            raise InvalidValueError(
                f"bounds {area!r} are empty; expected minx < maxx, miny < maxy."
            )
        out_crs = CRS.from_user_input(crs)
        box = gpd.GeoSeries([shapely.box(minx, miny, maxx, maxy)], crs=out_crs)
        work_crs = metric_crs(box)
        shape = box.to_crs(work_crs).iloc[0] if work_crs != out_crs else box.iloc[0]
    x0, y0, x1, y1 = shape.bounds
    nx = max(1, math.ceil((x1 - x0) / spacing))
    ny = max(1, math.ceil((y1 - y0) / spacing))
    if nx * ny > 5_000_000:
        raise InvalidValueError(
            f"a {spacing:g} m grid over this area has {nx * ny:,} cells; use a larger spacing."
        )
    cols, rows = np.meshgrid(np.arange(nx), np.arange(ny))
    xs = x0 + (cols.ravel() + 0.5) * spacing
    ys = y0 + (rows.ravel() + 0.5) * spacing
    pts = shapely.points(xs, ys)
    inside = shapely.covers(shape, pts)
    gdf = gpd.GeoDataFrame(
        {"row": rows.ravel()[inside], "col": cols.ravel()[inside]},
        geometry=pts[inside],
        crs=work_crs,
    )
    if work_crs != out_crs:
        gdf = gdf.to_crs(out_crs)
    gdf.index = pd.Index([f"g{i:06d}" for i in range(len(gdf))], name="candidate_id")
    if len(gdf) == 0:
        warn(
            ResultWarning,
            logger,
            "grid_candidates: no grid point falls inside the area; use a smaller spacing",
        )
    return gdf
