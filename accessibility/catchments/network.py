"""Catchments over the road network: the reached roads and the isochrone polygons."""

from __future__ import annotations

import logging
import math
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from .._deprecate import renamed_keywords
from ..errors import InvalidValueError
from ..network import Network
from ..snapping import MAX_SNAP_M
from .pieces import (
    WALK_SPEED_KMH,
    edge_arrays,
    facility_pieces,
    merge_intervals,
    prepare,
    substrings,
)
from .polygons import band_polygons, quad_segs

_log = logging.getLogger(__name__)


#: Default largest amount (m) by which a catchment polygon may fall short of the exact region.
TOLERANCE_M = 10.0


#: Rebuild the growing polygon every this many minutes as well as at every band (None: bands only)
_SLICE_MIN: float | None = None


def _map(fn: Any, n: int, n_jobs: int | None, desc: str) -> list[Any]:
    from ..options import progress, resolve_n_jobs

    jobs = min(resolve_n_jobs(n_jobs), max(n, 1))
    if jobs == 1:
        return list(progress(map(fn, range(n)), desc=desc, total=n))
    with ThreadPoolExecutor(max_workers=jobs) as pool:
        return list(progress(pool.map(fn, range(n)), desc=desc, total=n))


@renamed_keywords(bands_min="thresholds_min")
def reached_roads(
    network: Network,
    facilities: gpd.GeoDataFrame,
    *,
    mode: str,
    thresholds_min: float | Sequence[float] = (5, 10, 15),
    direction: str = "to_facility",
    walk_speed_kmh: float = WALK_SPEED_KMH,
    max_snap_m: float = MAX_SNAP_M,
    service_column: str | None = None,
    n_jobs: int | None = None,
) -> gpd.GeoDataFrame:
    """The road pieces reached from (or reaching) each facility within each time band.

    This is the network skeleton of :func:`network_catchments` (what QGIS's service area tools
    draw as lines): whole edges where the band covers them, and partly reached edges cut at the
    exact point. A point at position ``x`` (fraction of the edge's length from ``u``) is reached
    when ``t(x) <= band``, with ``t(x) = min(t_u + x * a_u, t_v + (1 - x) * a_v)`` where ``t_u``,
    ``t_v`` are the search costs of the edge's end nodes (minutes) and ``a_u``, ``a_v`` the minutes
    to run the whole edge away from that end in the allowed direction (``inf`` against a one-way
    street). On the facility's own edge the snap point at ``f`` with its connector walk ``c``
    is one more start: ``c + |x - f| * a``. Travel times are assumed uniform along an edge.

    Parameters
    ----------
    network
        The road network.
    facilities
        Facility points (index = ids), any CRS.
    mode
        Travel mode (one of ``network.modes``).
    thresholds_min
        Time limits in minutes (cumulative: each band includes the smaller ones); the result's
        ``band_min`` column. (``bands_min=`` is the old name and works for one release.)
    direction
        ``"to_facility"`` (default: villagers travel to the facility; the search runs on the
        reversed graph, so one-way streets count in the direction people drive to it) or
        ``"from_facility"`` (e.g. an ambulance base).
    walk_speed_kmh
        Speed of the walk from the facility to its snap point (the connector leg).
    max_snap_m
        Facilities farther from every usable road get no road pieces.
    service_column
        Column labelling each facility's service; ``None``: every facility is ``"all"``.
    n_jobs
        Threads (default: the ``n_jobs`` option).

    Returns
    -------
    GeoDataFrame
        One row per facility, band and reached edge: ``facility``, ``service``, ``band_min``,
        ``edge``, ``fraction_from``, ``fraction_to`` (the reached part, ``0 <= from < to <= 1``
        along ``u -> v``; several disjoint parts of one edge are separate rows), ``length_m`` and
        the line geometry, in the facilities' CRS.

    Examples
    --------
    >>> import accessibility as acc
    >>> from accessibility.catchments import reached_roads
    >>> demo = acc.load_demo()
    >>> net = acc.network_from_roads(demo.roads)
    >>> roads = reached_roads(net, demo.facilities.head(2), mode="car", thresholds_min=[10])
    >>> sorted(roads.columns)[:3]
    ['band_min', 'edge', 'facility']
    """
    p = prepare(
        network, facilities, mode=mode, thresholds_min=thresholds_min, direction=direction,
        walk_speed_kmh=walk_speed_kmh, max_snap_m=max_snap_m, service_column=service_column,
    )  # fmt: skip
    bands = p["bands"]
    m = len(network.edges)

    def work(i: int) -> tuple[np.ndarray, ...]:
        pc = facility_pieces(p, i)
        lo = np.minimum(pc["x0"], pc["x1"])
        hi = np.maximum(pc["x0"], pc["x1"])
        g, a, b = merge_intervals(pc["band"] * m + pc["edge"], lo, hi)
        return np.full(len(g), i, np.int64), g // m, g % m, a, b

    res = _map(work, len(facilities), n_jobs, "reached roads")
    fac, band, edge, lo, hi = (
        np.concatenate([r[k] for r in res]) if res else np.zeros(0) for k in range(5)
    )
    fac, band, edge = fac.astype(np.int64), band.astype(np.int64), edge.astype(np.int64)
    ea = edge_arrays(network)
    coords, line, _ = substrings(ea, edge, lo, hi)
    lines = shapely.linestrings(coords, indices=line) if len(edge) else np.zeros(0, object)
    length = network.edges["length_m"].to_numpy(np.float64)[edge] * (hi - lo)
    out = gpd.GeoDataFrame(
        {
            "facility": facilities.index.to_numpy()[fac],
            "service": p["services"][fac],
            "band_min": bands[band],
            "edge": edge,
            "fraction_from": lo,
            "fraction_to": hi,
            "length_m": length,
        },
        geometry=gpd.GeoSeries(lines, crs=network.crs),
        crs=network.crs,
    )
    return out.to_crs(facilities.crs) if facilities.crs != network.crs else out


@renamed_keywords(bands_min="thresholds_min")
def network_catchments(
    network: Network,
    facilities: gpd.GeoDataFrame,
    *,
    mode: str,
    thresholds_min: float | Sequence[float] = (5, 10, 15),
    rings: bool = False,
    direction: str = "to_facility",
    walk_speed_kmh: float = WALK_SPEED_KMH,
    max_snap_m: float = MAX_SNAP_M,
    service_column: str | None = None,
    dissolve: bool = False,
    tolerance_m: float = TOLERANCE_M,
    simplify_m: float = 0.0,
    n_jobs: int | None = None,
) -> gpd.GeoDataFrame:
    """Network catchment polygons (isochrones) of every facility for several time bands.

    **Model.** A place ``x`` is in the band-``B`` catchment when some point ``p`` of the road
    network is reached within ``B`` minutes (see :func:`reached_roads`: whole edges, partly
    reached edges cut at the exact point, one-way streets and the facility's own edge handled)
    and ``x`` is within walking distance of ``p`` in the time left::

        x in C(B)  <=>  min over reached p of  t(p) + |x - p| / w  <=  B

    with ``w`` the walking speed (``walk_speed_kmh``, metres per minute ``w = 1000 v / 60``), i.e.
    ``C(B)`` is the union of discs of radius ``w (B - t(p))`` around every reached road point: a
    *variable-width buffer*. The straight walk from the facility itself (its connector leg) is
    included too, so ``C(B)`` contains the disc of radius ``w B`` around the facility. Land that
    is close to the facility but only reachable by a long detour is left out, unlike convex-hull
    isochrones.

    **Construction and error bound.** Reached pieces are cut into segments that take at most
    ``dt = 0.8 tolerance_m / w`` minutes to travel. A segment whose far end still has time to
    spare is buffered by the (smallest) radius at its far end, ``w (B - t_far)``; a segment that
    ends at the band's limit is covered exactly, straight part by straight part, by the convex
    hull of the discs at its two ends (which equals the union of the linearly shrinking discs
    between them). Discs and round buffers are polygons whose vertices lie on the true circles,
    with ``q`` arc segments per quarter circle chosen so that a chord falls short of the circle by
    at most ``0.2 tolerance_m`` at the largest radius ``w max(B)``. Hence

    * the polygon never claims land outside ``C(B)`` (up to floating point), and
    * every point of ``C(B)`` lies within ``tolerance_m`` of the polygon: a segment's far radius
      falls short of the radius anywhere on it by at most ``w dt = 0.8 tolerance_m``, and the
      polygonised circles by at most ``0.2 tolerance_m``.

    Every reached road point is covered (segments with time to spare get a radius of at least
    ``0.2 tolerance_m``; at the limit the exact hulls contain the road). Cumulative polygons are
    nested: band ``k`` includes band ``k-1``. Reaching a catchment does not guarantee the travel
    time of :func:`accessibility.travel_costs`, which walks from a village to *its nearest* road;
    the catchment lets people walk to any reached road (so a village across a river from a
    reached road but whose nearest road is another one is inside). Roads that pedestrians may
    not use (expressways: the network's ``walk`` times are infinite there) carry traffic but are
    not left on foot between their junctions, so they add no walking area of their own.

    Parameters
    ----------
    network
        The road network.
    facilities
        Facility points (index = ids), any CRS.
    mode
        Travel mode on the roads (one of ``network.modes``).
    thresholds_min
        Time limits in minutes, e.g. ``(5, 10, 15)`` (the 5-10-15-minute life circles); the
        result's ``band_min`` column. (``bands_min=`` is the old name and works for one release.)
    rings
        If True, each band's polygon is the band minus the previous band (``band_from_min`` to
        ``band_min``); the rings of a facility partition its largest catchment.
    direction
        ``"to_facility"`` (default: villagers travel to the facility; the search runs backwards
        from the facility on the reversed graph) or ``"from_facility"``.
    walk_speed_kmh
        Walking speed off the road and on the facility's connector leg (km/h).
    max_snap_m
        Facilities farther than this from a usable road get only the walking disc (a warning is
        logged).
    service_column
        Column with each facility's service; ``None``: every facility is service ``"all"``.
    dissolve
        If True, return one polygon per service and band: the union over that service's
        facilities (the area covered by the service), with ``n_facilities``.
    tolerance_m
        Largest shortfall of a polygon against the exact region (metres); smaller is slower.
    simplify_m
        If > 0, simplify the outlines afterwards (Douglas-Peucker, topology preserved): the
        polygons then deviate from the construction above by up to ``simplify_m`` either way
        (bands and rings are nested only up to it), for much smaller files (1 m halves the
        vertices, 5 m leaves a quarter).
    n_jobs
        Threads (default: the ``n_jobs`` option).

    Returns
    -------
    GeoDataFrame
        In the facilities' CRS, one row per facility and band (``dissolve``: per service and
        band): ``facility`` (not when dissolved), ``service``, ``band_from_min`` (rings only),
        ``band_min``, ``n_facilities`` (dissolved only), polygon geometry. Facilities with empty
        geometry are left out.

    Examples
    --------
    >>> import accessibility as acc
    >>> from accessibility.catchments import network_catchments
    >>> demo = acc.load_demo()
    >>> net = acc.network_from_roads(demo.roads)
    >>> clinics = demo.facilities[demo.facilities["service"] == "health_centre"]
    >>> c = network_catchments(net, clinics, mode="car", thresholds_min=(10, 20))
    >>> c[["facility", "band_min"]].shape
    (22, 2)
    """
    p, polys = _facility_polygons(
        network, facilities, mode=mode, thresholds_min=thresholds_min, direction=direction,
        walk_speed_kmh=walk_speed_kmh, max_snap_m=max_snap_m, service_column=service_column,
        tolerance_m=tolerance_m, simplify_m=simplify_m, n_jobs=n_jobs,
    )  # fmt: skip
    return _catchment_frame(network, facilities, p, polys, dissolve, rings, simplify_m)


def network_catchments_and_dissolved(
    network: Network,
    facilities: gpd.GeoDataFrame,
    *,
    mode: str,
    thresholds_min: float | Sequence[float] = (5, 10, 15),
    rings: bool = False,
    direction: str = "to_facility",
    walk_speed_kmh: float = WALK_SPEED_KMH,
    max_snap_m: float = MAX_SNAP_M,
    service_column: str | None = None,
    tolerance_m: float = TOLERANCE_M,
    simplify_m: float = 0.0,
    n_jobs: int | None = None,
) -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame]:
    """:func:`network_catchments` per facility and dissolved per service, polygons built once.

    Equal to ``(network_catchments(..., dissolve=False), network_catchments(..., dissolve=True))``
    with the same arguments, in half the time: the per-facility polygons are computed once and
    the dissolved layer is their union per service and band.

    Returns
    -------
    tuple of GeoDataFrame
        The per-facility layer and the per-service layer (see :func:`network_catchments`).

    Examples
    --------
    >>> import accessibility as acc
    >>> from accessibility.catchments import network_catchments_and_dissolved
    >>> demo = acc.load_demo()
    >>> net = acc.network_from_roads(demo.roads)
    >>> clinics = demo.facilities[demo.facilities["service"] == "health_centre"]
    >>> each, union = network_catchments_and_dissolved(net, clinics, mode="car")
    >>> len(each), len(union)
    (33, 3)
    """
    p, polys = _facility_polygons(
        network, facilities, mode=mode, thresholds_min=thresholds_min, direction=direction,
        walk_speed_kmh=walk_speed_kmh, max_snap_m=max_snap_m, service_column=service_column,
        tolerance_m=tolerance_m, simplify_m=simplify_m, n_jobs=n_jobs,
    )  # fmt: skip
    return (
        _catchment_frame(network, facilities, p, polys, False, rings, simplify_m),
        _catchment_frame(network, facilities, p, polys, True, rings, simplify_m),
    )


def _facility_polygons(
    network: Network,
    facilities: gpd.GeoDataFrame,
    *,
    mode: str,
    thresholds_min: float | Sequence[float],
    direction: str,
    walk_speed_kmh: float,
    max_snap_m: float,
    service_column: str | None,
    tolerance_m: float,
    simplify_m: float,
    n_jobs: int | None,
) -> tuple[dict[str, Any], list[Any]]:
    """The searches' inputs and each facility's band polygons (empty list: not reached)."""
    if not (tolerance_m > 0 and math.isfinite(tolerance_m)):
        raise InvalidValueError(f"tolerance_m must be > 0 metres, got {tolerance_m}")
    if not (simplify_m >= 0 and math.isfinite(simplify_m)):
        raise InvalidValueError(f"simplify_m must be >= 0 metres, got {simplify_m}")
    p = prepare(
        network, facilities, mode=mode, thresholds_min=thresholds_min, direction=direction,
        walk_speed_kmh=walk_speed_kmh, max_snap_m=max_snap_m, service_column=service_column,
    )  # fmt: skip
    bands = p["bands"]
    walk = p["walk_m_per_min"]
    q = quad_segs(walk * float(bands.max()), tolerance_m)
    ea = edge_arrays(network)

    def work(i: int) -> list[Any]:
        if not p["valid"][i]:
            return []
        pieces = facility_pieces(p, i, bands[-1:])
        return band_polygons(pieces, ea, bands, walk, q, p["xy"][i], _SLICE_MIN)

    p["mode"], p["direction"], p["tolerance_m"] = mode, direction, tolerance_m
    return p, _map(work, len(facilities), n_jobs, "catchments")


def _catchment_frame(
    network: Network,
    facilities: gpd.GeoDataFrame,
    p: dict[str, Any],
    polys: list[Any],
    dissolve: bool,
    rings: bool,
    simplify_m: float,
) -> gpd.GeoDataFrame:
    """The catchment layer from the facilities' band polygons (per facility or dissolved)."""
    bands = p["bands"]
    keep = np.flatnonzero(p["valid"])
    nb = len(bands)
    geoms = np.array([g for i in keep for g in polys[i]], dtype=object)
    fac = np.repeat(keep, nb)
    band = np.tile(np.arange(nb), len(keep))
    if dissolve:
        services = p["services"][fac]
        names = pd.unique(p["services"][keep])
        rows = []
        for s in names:
            for b in range(nb):
                sel = (services == s) & (band == b)
                rows.append((s, b, int(sel.sum()), shapely.union_all(geoms[sel])))
        frame = pd.DataFrame(
            {
                "service": [r[0] for r in rows],
                "band_min": bands[[r[1] for r in rows]] if rows else [],
                "n_facilities": [r[2] for r in rows],
            }
        )
        geoms = np.array([r[3] for r in rows], dtype=object)
        group = np.repeat(np.arange(len(names)), nb)
    else:
        frame = pd.DataFrame(
            {
                "facility": facilities.index.to_numpy()[fac],
                "service": p["services"][fac],
                "band_min": bands[band],
            }
        )
        group = fac
    if rings and len(geoms):
        prev = np.r_[False, group[1:] == group[:-1]]
        inner = np.empty(len(geoms), dtype=object)
        inner[prev] = geoms[np.flatnonzero(prev) - 1]
        geoms = geoms.copy()
        geoms[prev] = shapely.difference(geoms[prev], inner[prev])
        band_from = np.where(prev, np.r_[0.0, frame["band_min"].to_numpy()[:-1]], 0.0)
        frame.insert(frame.columns.get_loc("band_min"), "band_from_min", band_from)
    if simplify_m > 0 and len(geoms):
        geoms = shapely.simplify(geoms, simplify_m, preserve_topology=True)
    out = gpd.GeoDataFrame(frame, geometry=gpd.GeoSeries(geoms, crs=network.crs), crs=network.crs)
    _log.info(
        "catchments: %d facilities x %d bands (%s, %s, tolerance %.0f m)",
        len(keep),
        nb,
        p["mode"],
        p["direction"],
        p["tolerance_m"],
    )
    return out.to_crs(facilities.crs) if facilities.crs != network.crs else out
