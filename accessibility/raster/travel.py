"""Friction-surface travel time: minutes to the nearest source, and which source that is.

Multi-source cumulative travel time on the 8- or 16-neighbour grid graph, anisotropic on slopes
when a DEM is given (:func:`travel_time_surface`), and the cost allocation (:func:`catchment_surface`).
Rasters in a geographic CRS (degrees) are handled exactly: step lengths between cell centres are
geodesic distances computed row by row on the CRS's ellipsoid.

References
----------
Ray, N., Ebener, S. (2008). AccessMod 3.0: computing geographic coverage and accessibility to health
care services using anisotropic movement of patients. International Journal of Health Geographics 7:63.
Weiss, D. J. et al. (2020). Global maps of travel time to healthcare facilities. Nature Medicine 26.

The examples in this module run on the demo set up in the docstring of :mod:`accessibility.raster`.
"""

from __future__ import annotations

import os
from typing import Any, Literal

import numpy as np
import pandas as pd

from ._search import SearchOptions, cost_distance
from .core import Raster, as_raster


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
    (or 16, adding knight moves). A move between cells a and b of horizontal length d metres costs::

        t = d (f_a + f_b) / 2                     (8-neighbour moves; f in minutes per metre)
        t = d (f_a + f_b + f_1 + f_2) / 4         (knight moves, f_1, f_2 the two cells crossed)

    which is the cost model of scikit-image's ``MCP_Geometric`` and of GRASS ``r.cost``. Step
    lengths are exact geodesic distances in geographic rasters (per row) and d = sqrt((dc a)^2 +
    (dr e)^2) in projected ones. With a DEM the move is anisotropic (AccessMod-style): the
    friction speed is treated as the speed on flat ground and scaled by Tobler's function::

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
    fr = as_raster(friction)
    options = SearchOptions(connectivity, dem, direction, max_time_min, slope_max_speed_kmh)
    cost, _ = cost_distance(fr, sources, options)
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
    fr = as_raster(friction)
    _, label = cost_distance(fr, sources, SearchOptions(**kwargs))
    index = sources.index if hasattr(sources, "index") else pd.RangeIndex(len(np.asarray(sources)))
    return fr.replace(label, "catchment"), index
