"""Coverage radii (the circles of planning norms) and how they compare with the road network."""

from __future__ import annotations

from collections.abc import Mapping

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from .._crs import CRSLike, metric_crs
from .._deprecate import network_first, renamed_keywords
from ..errors import InvalidValueError
from ..network import Network
from ..snapping import MAX_SNAP_M
from .checks import check_layer, facility_services, per_service
from .pieces import WALK_SPEED_KMH

#: Categories of :func:`compare_coverage`.
CATEGORIES = ("both", "radius_only", "network_only", "neither")


def coverage_radii(
    facilities: gpd.GeoDataFrame,
    radii_m: float | Mapping[str, float],
    *,
    service_column: str | None = None,
    crs: CRSLike | None = None,
    quad_segs: int = 32,
) -> gpd.GeoDataFrame:
    """Euclidean coverage circles around facilities (planning-norm service radii).

    Circles are drawn in a projected metric CRS (``crs``, else the facilities' own if metric,
    else the local UTM zone), so a 1000 m radius is 1000 m on the ground, then returned in the
    facilities' CRS. Polygon vertices lie on the circle (``quad_segs`` segments per quarter; the
    area falls short of ``pi r^2`` by 0.16 % at the default 32).

    Parameters
    ----------
    facilities
        Facility points (index = ids).
    radii_m
        One radius in metres for all, or ``{service: radius_m}`` for every service.
    service_column
        Column with each facility's service (needed for a mapping); ``None``: service ``"all"``.
    crs
        Projected metric CRS to draw in.

    Returns
    -------
    GeoDataFrame
        ``facility``, ``service``, ``radius_m``, polygon geometry; one row per facility (those with
        empty geometry left out), in the facilities' CRS.

    Examples
    --------
    >>> import accessibility as acc
    >>> from accessibility.catchments import coverage_radii
    >>> demo = acc.load_demo()
    >>> c = coverage_radii(demo.facilities, {"clinic": 1000, "primary_school": 500,
    ...     "junior_school": 1000, "day_care": 300, "health_centre": 3000, "hospital": 5000,
    ...     "elder_care": 1000}, service_column="service")
    >>> list(c.columns)
    ['facility', 'service', 'radius_m', 'geometry']
    """

    check_layer(facilities, "facilities")
    if isinstance(radii_m, Mapping) and service_column is None:
        raise InvalidValueError(
            "radii_m is a {service: radius} mapping but service_column is None; pass "
            "service_column='service' (the column naming each facility's service)"
        )
    services = facility_services(facilities, service_column)
    radius = per_service(radii_m, services, "radii_m", "metres")
    work = metric_crs(facilities, crs)
    geom = facilities.geometry.to_crs(work).to_numpy()
    ok = ~(shapely.is_missing(geom) | shapely.is_empty(geom))
    circles = shapely.buffer(geom[ok], radius[ok], quad_segs=int(quad_segs))
    out = gpd.GeoDataFrame(
        {
            "facility": facilities.index.to_numpy()[ok],
            "service": services[ok],
            "radius_m": radius[ok],
        },
        geometry=gpd.GeoSeries(circles, crs=work),
        crs=work,
    )
    return out.to_crs(facilities.crs)


@network_first("compare_coverage(network, villages, facilities)")
@renamed_keywords(band_min="standard_min")
def compare_coverage(
    network: Network,
    villages: gpd.GeoDataFrame,
    facilities: gpd.GeoDataFrame,
    *,
    radius_m: float | Mapping[str, float],
    standard_min: float | Mapping[str, float],
    mode: str,
    service_column: str | None = None,
    max_time_min: float | None = None,
    max_snap_m: float = MAX_SNAP_M,
    walk_speed_kmh: float = WALK_SPEED_KMH,
) -> pd.DataFrame:
    """Coverage by a radius versus coverage by network travel time, village by village.

    ``covered_by_radius``: some facility (of the service) lies within ``radius_m`` straight-line
    metres. ``covered_by_network``: the fastest trip over the network (walk to the nearest road,
    travel, walk to the facility; :func:`accessibility.travel_costs`) takes at most
    ``standard_min``.
    ``category``:

    * ``both`` -- the circle and the road agree the village is served;
    * ``radius_only`` -- the circle claims it, the road takes longer (the planning map is wrong);
    * ``network_only`` -- outside the circle but reachable in time (e.g. along a fast road);
    * ``neither``.

    Parameters
    ----------
    network
        The road network.
    villages, facilities
        Point layers (index = ids). (The old order ``compare_coverage(villages, facilities,
        network)`` and the old name ``band_min=`` of ``standard_min=`` still work for one
        release, with a FutureWarning.)
    radius_m, standard_min
        The planning radius (metres) and travel-time standard (minutes): one value, or
        ``{service: value}`` for every service.
    mode
        Travel mode.
    service_column
        Column with each facility's service; ``None``: all facilities together (service "all").
    max_time_min
        Longest trip measured for ``travel_time_min`` (default 4 x the largest band, at least
        60 min); longer trips are NaN.
    max_snap_m, walk_speed_kmh
        See :func:`accessibility.locate` (``walk_speed_kmh`` is the connector speed).

    Returns
    -------
    DataFrame
        With ``service_column=None``, indexed exactly like ``villages``; otherwise one row per
        village and service with a (village id, ``service``) MultiIndex. Columns ``distance_m``
        (straight line to the nearest facility), ``covered_by_radius``, ``travel_time_min``
        (fastest trip, NaN when longer than ``max_time_min`` or no road), ``covered_by_network``,
        ``category`` (categorical, the four values above).

    Examples
    --------
    >>> import accessibility as acc
    >>> from accessibility.catchments import compare_coverage
    >>> demo = acc.load_demo()
    >>> net = acc.network_from_roads(demo.roads)
    >>> hc = demo.facilities[demo.facilities["service"] == "health_centre"]
    >>> cmp = compare_coverage(net, demo.villages, hc, radius_m=5000, standard_min=15,
    ...                        mode="car")
    >>> sorted(cmp.columns)[:2]
    ['category', 'covered_by_network']
    """
    from scipy.spatial import cKDTree

    from ..costs import travel_costs

    check_layer(villages, "villages")
    check_layer(facilities, "facilities")
    services = facility_services(facilities, service_column)
    radius = per_service(radius_m, services, "radius_m", "metres")
    band = per_service(standard_min, services, "standard_min", "minutes")
    limit = max(4.0 * float(band.max()), 60.0) if max_time_min is None else float(max_time_min)
    if not limit >= band.max():
        raise InvalidValueError(f"max_time_min={limit} must be at least the largest standard_min")
    costs = travel_costs(
        network,
        villages,
        facilities,
        mode=mode,
        max_time_min=limit,
        max_snap_m=max_snap_m,
        connector_speed_kmh=walk_speed_kmh,
    )
    work = metric_crs(villages)
    vxy = shapely.get_coordinates(villages.geometry.to_crs(work).to_numpy())
    fgeom = facilities.geometry.to_crs(work).to_numpy()
    fok = ~(shapely.is_missing(fgeom) | shapely.is_empty(fgeom))
    fxy = np.full((len(fgeom), 2), np.nan)
    fxy[fok] = shapely.get_coordinates(fgeom[fok])
    fpos = pd.Series(np.arange(len(facilities)), index=facilities.index)
    vpos = pd.Series(np.arange(len(villages)), index=villages.index)
    d_fac = fpos.reindex(costs["destination"].to_numpy()).to_numpy()
    d_vil = vpos.reindex(costs["origin"].to_numpy()).to_numpy()
    t = costs["travel_time_min"].to_numpy()
    names = pd.unique(services)
    frames = []
    for s in names:
        sel = (services == s) & fok
        dist = np.full(len(villages), np.inf)
        if sel.any():
            dist, _ = cKDTree(fxy[sel]).query(vxy)
        r = float(radius[services == s][0])
        b = float(band[services == s][0])
        keep = services[d_fac] == s
        best = np.full(len(villages), np.inf)
        np.minimum.at(best, d_vil[keep], t[keep])
        by_radius = dist <= r
        by_network = best <= b
        cat = np.where(
            by_radius & by_network,
            "both",
            np.where(by_radius, "radius_only", np.where(by_network, "network_only", "neither")),
        )
        frames.append(
            pd.DataFrame(
                {
                    "service": s,
                    "distance_m": np.where(np.isfinite(dist), dist, np.nan),
                    "covered_by_radius": by_radius,
                    "travel_time_min": np.where(np.isfinite(best), best, np.nan),
                    "covered_by_network": by_network,
                    "category": pd.Categorical(cat, categories=CATEGORIES),
                },
                index=villages.index,
            )
        )
    if service_column is None:
        return frames[0].drop(columns="service")
    out = pd.concat(frames)
    name = villages.index.name or "village"
    out.index.name = name
    out = out.set_index("service", append=True)
    pos = vpos.reindex(out.index.get_level_values(0)).to_numpy()
    order = np.lexsort((out.index.get_level_values(1).astype(str), pos))
    out = out.iloc[order]
    out["category"] = pd.Categorical(out["category"], categories=CATEGORIES)
    return out
