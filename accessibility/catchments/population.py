"""Who the catchments cover: population per catchment and the villages left out."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any, Literal

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from .._crs import metric_crs
from .._deprecate import keyword_only, renamed_keywords
from ..errors import InputWarning, InvalidValueError, MissingColumnError, suggest, warn
from .checks import check_layer

_log = logging.getLogger(__name__)


def _catchment_keys(catchments: gpd.GeoDataFrame) -> list[str]:
    keys = [
        c
        for c in ("facility", "service", "band_from_min", "band_min", "radius_m", "n_facilities")
        if c in catchments.columns
    ]
    return keys


def _points_in(catchments: gpd.GeoDataFrame, villages: gpd.GeoDataFrame) -> tuple[np.ndarray, ...]:
    """Pairs (village position, catchment position) with the village inside (or on) the polygon."""
    pts = villages.geometry
    if villages.crs != catchments.crs:
        pts = pts.to_crs(catchments.crs)
    tree = shapely.STRtree(catchments.geometry.to_numpy())
    v, c = tree.query(pts.to_numpy(), predicate="intersects")
    return v, c


@keyword_only("population_column")
def population_covered(
    catchments: gpd.GeoDataFrame,
    villages: gpd.GeoDataFrame,
    *,
    population_column: str = "population",
    population_raster: Any | None = None,
    raster_method: Literal["centre", "area"] = "area",
) -> pd.DataFrame:
    """People inside each catchment (per facility, or per service when dissolved, and band).

    From village points: the villages whose point lies inside (or on the edge of) the polygon,
    counted and summed. Overlapping catchments of different facilities each count a village (use
    dissolved catchments for people covered by a service without double counting).

    From a population raster (``population_raster``, e.g. WorldPop): zonal sums over each polygon
    with :func:`accessibility.raster.zonal_population` -- ``raster_method="area"`` (default)
    shares each cell by the part of it the polygon covers, so overlapping and nested catchments
    each get their full count; ``"centre"`` counts a cell in one polygon only and is wrong for
    overlapping polygons.

    Parameters
    ----------
    catchments
        Output of :func:`network_catchments` or :func:`coverage_radii`.
    villages
        Village points with ``population_column``.
    population_column
        Numeric column with the people of each village (NaN counts as 0, with a warning).
    population_raster
        Optional population GeoTIFF path or :class:`accessibility.raster.Raster`.
    raster_method
        ``"area"`` or ``"centre"`` (see above).

    Returns
    -------
    DataFrame
        Indexed like ``catchments``: its key columns (``facility``, ``service``,
        ``band_from_min``, ``band_min``, ``radius_m`` where present), ``n_villages``,
        ``population`` and, with a raster, ``population_raster``.

    Examples
    --------
    >>> import accessibility as acc
    >>> from accessibility.catchments import coverage_radii, population_covered
    >>> demo = acc.load_demo()
    >>> c = coverage_radii(demo.facilities.head(3), 2000)
    >>> bool(population_covered(c, demo.villages)["n_villages"].ge(0).all())
    True
    """
    check_layer(catchments, "catchments", points=False)
    check_layer(villages, "villages")
    if population_column not in villages.columns:
        raise MissingColumnError(
            f"the villages have no column {population_column!r}."
            f"{suggest(population_column, villages.columns)} Columns: {list(villages.columns)}"
        )
    pop = pd.to_numeric(villages[population_column], errors="coerce")
    bad = pop.isna() & villages[population_column].notna()
    if bad.any():
        raise InvalidValueError(
            f"{int(bad.sum())} values of {population_column!r} are not numbers, e.g. "
            f"{villages.loc[bad, population_column].head(3).tolist()}"
        )
    if pop.isna().any():
        warn(
            InputWarning,
            _log,
            "%d villages have no %s; counted as 0",
            int(pop.isna().sum()),
            population_column,
        )
    w = pop.fillna(0.0).to_numpy(np.float64)
    v, c = _points_in(catchments, villages)
    n = len(catchments)
    out = catchments[_catchment_keys(catchments)].copy()
    out["n_villages"] = np.bincount(c, minlength=n).astype(np.int64)
    out["population"] = np.bincount(c, weights=w[v], minlength=n)
    if population_raster is not None:
        from ..raster import zonal_population

        geoms = catchments.geometry
        ok = ~(geoms.is_empty | geoms.isna())
        sums = np.zeros(n)
        if ok.any():
            sums[ok.to_numpy()] = zonal_population(
                population_raster, catchments.loc[ok], method=raster_method
            ).to_numpy()
        out["population_raster"] = sums
    return out


@renamed_keywords(band_min="threshold_min")
def uncovered_villages(
    catchments: gpd.GeoDataFrame,
    villages: gpd.GeoDataFrame,
    *,
    threshold_min: float | None = None,
    service: str | Sequence[str] | None = None,
) -> gpd.GeoDataFrame:
    """Villages outside every catchment of a service (the planning gaps).

    Parameters
    ----------
    catchments
        Output of :func:`network_catchments` (per facility or dissolved) or
        :func:`coverage_radii`.
    villages
        Village points.
    threshold_min
        Which band (``band_min`` value) to test (default: the largest); ignored for radius
        circles. (``band_min=`` is the old name and works for one release.)
    service
        Service(s) to test (default: every service in ``catchments``).

    Returns
    -------
    GeoDataFrame
        The villages' rows (index = village id, their columns and geometry, their CRS) that no
        catchment of the service contains, with ``service`` and ``distance_m`` (straight line to
        the nearest catchment of the service, metres in a metric CRS). One row per uncovered
        (village, service); sorted by service, then in the villages' order.

    Examples
    --------
    >>> import accessibility as acc
    >>> from accessibility.catchments import coverage_radii, uncovered_villages
    >>> demo = acc.load_demo()
    >>> c = coverage_radii(demo.facilities, 1500)
    >>> gaps = uncovered_villages(c, demo.villages)
    >>> bool((gaps["distance_m"] > 0).all())
    True
    """

    check_layer(catchments, "catchments", points=False)
    check_layer(villages, "villages")
    cat = catchments
    if "band_min" in cat.columns:
        bands = np.unique(cat["band_min"].to_numpy(np.float64))
        b = float(bands.max()) if threshold_min is None else float(threshold_min)
        if not np.isclose(bands, b).any():
            raise InvalidValueError(
                f"threshold_min={threshold_min} is not a band of the catchments {bands}"
            )
        cat = cat[np.isclose(cat["band_min"].to_numpy(np.float64), b)]
        if "band_from_min" in cat.columns:
            raise InvalidValueError(
                "these catchments are rings (band_from_min); build them with rings=False to find "
                "villages outside every catchment"
            )
    names = list(pd.unique(cat["service"])) if "service" in cat.columns else ["all"]
    if service is not None:
        wanted = [service] if isinstance(service, str) else list(service)
        missing = [s for s in wanted if s not in names]
        if missing:
            raise InvalidValueError(
                f"service {missing[0]!r} has no catchment; services: {names}"
                + suggest(missing[0], names)
            )
        names = wanted
    work = metric_crs(villages)
    pts = villages.geometry.to_crs(work).to_numpy()
    parts = []
    for s in names:
        sub = cat[cat["service"] == s] if "service" in cat.columns else cat
        polys = sub.geometry.to_crs(work).to_numpy()
        tree = shapely.STRtree(polys)
        inside = np.zeros(len(villages), bool)
        vi, _ = tree.query(pts, predicate="intersects")
        inside[vi] = True
        out_idx = np.flatnonzero(~inside)
        if len(out_idx) == 0:
            continue
        _, dist = tree.query_nearest(pts[out_idx], return_distance=True, all_matches=False)
        rows = villages.iloc[out_idx].copy()
        rows["service"] = s
        rows["distance_m"] = dist
        parts.append(rows)
    if not parts:
        empty = villages.iloc[:0].copy()
        empty["service"] = pd.Series(dtype=object)
        empty["distance_m"] = pd.Series(dtype=np.float64)
        return empty
    return pd.concat(parts)
