"""Transit in projects: the ``[transit]`` settings, door-to-door cost tables over the road network
and catchments by bus.

A :class:`TransitSetup` is a timetable plus how to search it (departure window, percentiles, wait
semantics, walking and transfer limits). :func:`transit_costs` turns it into a cost table
(``origin``, ``destination``, ``travel_time_min``, ``attrs["max_time_min"]``) exactly like
:func:`accessibility.travel_costs`, so every measure, standard and scenario takes it unchanged:
the project path (:func:`accessibility.project.evaluate.evaluate_service`) calls it for every
service whose ``mode`` is ``"transit"``.

Walks (to the first stop, between stops, from the last stop, and straight to the facility without
a bus) are road-network walks (:func:`accessibility.travel_costs` with ``mode="walk"``, villages
and stops snapped to edges as for every mode), or straight-line walks with ``walk="straight"``.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from .._deprecate import renamed_keywords
from ..errors import ConfigError
from .gtfs import timetable_from_gtfs
from .line_tables import read_line_tables, road_run_times, timetable_from_line_table
from .raptor import WAITS
from .timetable import Timetable
from .travel import transit_travel_times
from .walk import stop_transfers, straight_line_walk

__all__ = [
    "TransitSetup",
    "transit_catchments",
    "transit_costs",
    "transit_layers",
    "transit_setup",
    "transit_setup_from_config",
    "with_line_tables",
    "zone_links",
]

log = logging.getLogger(__name__)

#: The mode of the road network that walks to, from and between stops use.
WALK_MODE = "walk"


@dataclass(frozen=True, eq=False)
class TransitSetup:
    """A timetable and how to search it, as a project's ``[transit]`` section says.

    Attributes
    ----------
    timetable
        The :class:`~accessibility.transit.Timetable` searched.
    line_stops, lines, crs
        The line table it was built from (None for a GTFS feed); scenarios edit these.
    day_type
        The day type of the line table kept.
    window, step_min
        Departures ``window[0]``, every ``step_min`` minutes, before ``window[1]``.
    percentiles
        Percentiles of the travel time over the window; the first is ``travel_time_min``.
    wait
        ``"schedule"``, ``"half_headway"`` or ``"planned"`` (see
        :func:`~accessibility.transit.transit_travel_times`).
    max_walk_min
        Longest single walk (to a stop, between stops, from a stop, or without a bus).
    transfer_m
        Straight-line radius of foot transfers between stops (their time is walked over the
        road network, or straight with ``walk="straight"``).
    max_transfers
        At most this many transfers.
    max_time_min
        Longest door-to-door time searched; the nearest facility by bus is found within it.
    bus_speed_factor
        Bus speed as a share of the car speed where the line table has no running times.
    walk
        ``"network"`` (road-network walks) or ``"straight"`` (straight line, ``detour`` 1.3).
    walk_speed_kmh
        Straight-line walking speed (``walk="straight"`` and the catchments' remaining walk).
    zones
        Demand-responsive zones (预约响应式公交): polygons with ``lead_min`` (the booking lead
        time) and ``speed_kmh``; any two points in one zone are linked by a ride of
        ``lead_min + distance × 1.3 / speed`` (to a stop, from a stop, or door to door).
    """

    timetable: Timetable
    line_stops: pd.DataFrame | None = None
    lines: pd.DataFrame | None = None
    crs: Any = None
    day_type: str | None = None
    window: tuple[str, str] = ("07:00", "09:00")
    step_min: int = 1
    percentiles: tuple[float, ...] = (50.0, 80.0)
    wait: str = "schedule"
    max_walk_min: float = 20.0
    transfer_m: float = 400.0
    max_transfers: int = 2
    max_time_min: float = 120.0
    bus_speed_factor: float = 0.8
    walk: str = "network"
    walk_speed_kmh: float = 4.8
    zones: gpd.GeoDataFrame | None = None
    source: str = ""
    cache: dict[Any, Any] = field(default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        if self.wait not in WAITS:
            raise ConfigError(f"[transit] wait = {self.wait!r}: use one of {list(WAITS)}")
        if self.walk not in ("network", "straight"):
            raise ConfigError(f'[transit] walk = {self.walk!r}: use "network" or "straight"')

    def __getstate__(self) -> dict[str, Any]:  # the walk cache stays behind (Dask, pickles)
        state = dict(self.__dict__)
        state["cache"] = {}
        return state


#: The ``[transit]`` options (and defaults) other than the source of the timetable.
OPTIONS = (
    "day_type",
    "window",
    "step_min",
    "percentiles",
    "wait",
    "max_walk_min",
    "transfer_m",
    "max_transfers",
    "max_time_min",
    "bus_speed_factor",
    "walk",
    "walk_speed_kmh",
    "zones",
)


def _options(options: Mapping[str, Any]) -> dict[str, Any]:
    out = {k: v for k, v in options.items() if v is not None}
    unknown = sorted(set(out) - set(OPTIONS))
    if unknown:
        raise ConfigError(f"unknown transit option(s) {unknown}; valid: {list(OPTIONS)}")
    if "window" in out:
        out["window"] = tuple(str(t) for t in out["window"])
    if "percentiles" in out:
        out["percentiles"] = tuple(float(p) for p in out["percentiles"])
    return out


def _build(
    line_stops: pd.DataFrame,
    lines: pd.DataFrame,
    crs: Any,
    day_type: str | None,
    network: Any,
    bus_speed_factor: float,
    source: str,
) -> Timetable:
    """A timetable from line tables, missing running times filled from the road network."""
    run = pd.to_numeric(line_stops["run_min"], errors="coerce")
    last = line_stops.groupby(line_stops["line_id"].astype(str))["stop_seq"].transform("max")
    missing = run.isna() & (line_stops["stop_seq"] != last)
    if missing.any():
        if network is None:
            raise ConfigError(
                f"{source}: {int(missing.sum())} stop(s) have no run_min; give the running "
                "times, or the road network to derive them (bus_speed_factor)"
            )
        line_stops = road_run_times(line_stops, network, bus_speed_factor=bus_speed_factor, crs=crs)
    return timetable_from_line_table(
        line_stops, lines, day_type=day_type, crs=crs, description=source
    )


def transit_setup(
    source: str | os.PathLike | None = None,
    *,
    network: Any = None,
    line_stops: pd.DataFrame | None = None,
    lines: pd.DataFrame | str | os.PathLike | None = None,
    crs: Any | None = None,
    gtfs_date: str | None = None,
    **options: Any,
) -> TransitSetup:
    """A :class:`TransitSetup` from a line table (TOML, GeoPackage, CSV, or two DataFrames) or a
    GTFS zip.

    Parameters
    ----------
    source
        Path of a line table (``.toml``, ``.gpkg``, ``.csv`` with ``lines=``) or a GTFS ``.zip``.
    network
        The road network: running times missing from the line table are the car time over it
        divided by ``bus_speed_factor``.
    line_stops, lines
        The two tables of a line table instead of ``source`` (``lines`` is the lines CSV with a
        CSV ``source``).
    crs
        CRS of ``x``/``y`` stop columns.
    gtfs_date
        Service date of a GTFS feed (``"20240902"``; default its busiest date).
    **options
        The fields of :class:`TransitSetup` (``window``, ``percentiles``, ``wait``,
        ``max_walk_min``, ``max_transfers``, ``max_time_min``, ``day_type``, ...).

    Examples
    --------
    >>> import pandas as pd
    >>> stops = pd.DataFrame({"line_id": ["1", "1"], "stop_seq": [1, 2],
    ...     "stop_name": ["A", "B"], "x": [0, 5000], "y": [0, 0], "run_min": [10, None]})
    >>> lines = pd.DataFrame({"line_id": ["1"], "line_name": ["A-B"], "day_type": ["weekday"],
    ...     "first": ["07:00"], "last": ["09:00"], "headway_min": [30]})
    >>> setup = transit_setup(line_stops=stops, lines=lines, crs="EPSG:32650", wait="planned")
    >>> setup.timetable.n_stops, setup.wait
    (2, 'planned')
    """
    opts = _options(options)
    factor = float(opts.get("bus_speed_factor", 0.8))
    if line_stops is not None:
        if not isinstance(lines, pd.DataFrame):
            raise ConfigError("line_stops= needs lines= (the DataFrame of lines and departures)")
        tables = (line_stops, lines, crs)
        name = "line table"
    elif source is None:
        raise ConfigError("transit_setup needs a line table or GTFS path, or line_stops=/lines=")
    elif Path(source).suffix.lower() == ".zip":
        tt = timetable_from_gtfs(source, date=gtfs_date)
        return TransitSetup(tt, source=Path(source).name, **opts)
    else:
        lines_path = None if isinstance(lines, pd.DataFrame) else lines
        tables = read_line_tables(source, lines=lines_path, crs=crs)
        name = Path(source).name
    stops_t, lines_t, crs_t = tables
    tt = _build(stops_t, lines_t, crs_t, opts.get("day_type"), network, factor, name)
    return TransitSetup(tt, stops_t, lines_t, crs_t, source=name, **opts)


def transit_setup_from_config(
    transit: Mapping[str, Any], network: Any = None
) -> TransitSetup | None:
    """The :class:`TransitSetup` of a validated project's ``[transit]`` table (None when it names
    no ``lines`` and no ``gtfs``)."""
    source = transit.get("lines") or transit.get("gtfs")
    if not source:
        return None
    opts = {k: transit.get(k) for k in OPTIONS}
    if opts.get("zones"):
        from ..io import read_layer

        opts["zones"] = read_layer(opts["zones"])
    return transit_setup(
        source,
        network=network,
        lines=transit.get("lines_csv"),
        crs=transit.get("crs"),
        gtfs_date=transit.get("gtfs_date"),
        **opts,
    )


def with_line_tables(
    setup: TransitSetup, line_stops: pd.DataFrame, lines: pd.DataFrame, network: Any = None
) -> TransitSetup:
    """The setup with new line tables (a scenario's), the timetable rebuilt; missing running
    times (a line extended to a village) come from the road network."""
    tt = _build(
        line_stops,
        lines,
        setup.crs,
        setup.day_type,
        network,
        setup.bus_speed_factor,
        setup.source + " (scenario)",
    )
    # the walk cache is shared: its keys hold the stops' places, so unchanged stops reuse walks
    return replace(setup, timetable=tt, line_stops=line_stops, lines=lines)


# --------------------------------------------------------------------------------------------
# walks and cost tables


def _key(frame: pd.DataFrame) -> int:
    cols = [c for c in ("snap_x", "snap_y", "edge", "fraction") if c in frame.columns]
    if cols:
        part = pd.DataFrame(frame[cols])
    else:
        g = frame.geometry.representative_point()
        part = pd.DataFrame({"x": g.x, "y": g.y}, index=frame.index)
    return int(pd.util.hash_pandas_object(part, index=True).sum())


def _walk_table(
    network: Any,
    a: pd.DataFrame,
    b: pd.DataFrame,
    setup: TransitSetup,
    limit_min: float,
    snap: Mapping[str, float],
    n_jobs: int | None,
    straight_m: float | None = None,
) -> pd.DataFrame:
    """A walking cost table a -> b within ``limit_min`` (network or straight line)."""
    if len(a) == 0 or len(b) == 0:
        return pd.DataFrame({"origin": [], "destination": [], "travel_time_min": []})
    if setup.walk == "straight":
        metres = setup.walk_speed_kmh / 3.6 * 60.0 * limit_min / 1.3
        t = straight_line_walk(
            a, b, max_walk_m=min(metres, straight_m or metres), walk_speed_kmh=setup.walk_speed_kmh
        )
        return t[t["travel_time_min"] <= limit_min]
    from ..costs import travel_costs

    t = travel_costs(network, a, b, mode=WALK_MODE, max_time_min=limit_min, n_jobs=n_jobs, **snap)
    return t[["origin", "destination", "travel_time_min"]]


def _stop_walks(
    network: Any,
    facilities: pd.DataFrame,
    setup: TransitSetup,
    snap: Mapping[str, float],
    n_jobs: int | None,
) -> tuple[Any, pd.DataFrame, pd.DataFrame]:
    """Located stops, egress (stop -> facility) and transfers (stop -> stop), cached per setup,
    network and facilities (a headway change reuses them)."""
    from ..snapping import locate

    stops = setup.timetable.stops()
    key = ("stops", id(network), _key(facilities), _key(stops), tuple(sorted(snap.items())))
    hit = setup.cache.get(key)
    if hit is not None:
        return hit
    if setup.walk == "network":
        stops_at = locate(network, stops, mode=WALK_MODE, what="stops", **snap)
        stops_at = stops_at[stops_at["snapped"]]
    else:
        stops_at = stops
    egress = _walk_table(network, stops_at, facilities, setup, setup.max_walk_min, snap, n_jobs)
    if setup.walk == "network":
        near = stop_transfers(setup.timetable, max_walk_m=setup.transfer_m)
        walked = _walk_table(
            network, stops_at, stops_at, setup, setup.max_walk_min, snap, n_jobs
        ).merge(near[["origin", "destination"]], on=["origin", "destination"])
        transfers = walked[walked["origin"] != walked["destination"]].reset_index(drop=True)
    else:
        transfers = stop_transfers(
            setup.timetable, max_walk_m=setup.transfer_m, walk_speed_kmh=setup.walk_speed_kmh
        )[["origin", "destination", "travel_time_min"]]
    out = (stops_at, egress, transfers)
    if len(setup.cache) > 16:
        setup.cache.clear()
    setup.cache[key] = out
    return out


def _village_walks(
    network: Any,
    villages: pd.DataFrame,
    facilities: pd.DataFrame,
    stops_at: Any,
    setup: TransitSetup,
    snap: Mapping[str, float],
    n_jobs: int | None,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Access (village -> stop) and direct walks (village -> facility), cached."""
    key = ("villages", id(network), _key(villages), _key(facilities), _key(stops_at))
    hit = setup.cache.get(key)
    if hit is None:
        lim = setup.max_walk_min
        access = _walk_table(network, villages, stops_at, setup, lim, snap, n_jobs)
        direct = _walk_table(network, villages, facilities, setup, lim, snap, n_jobs)
        hit = setup.cache[key] = (access, direct)
    return hit


def _fastest(*tables: pd.DataFrame) -> pd.DataFrame:
    both = pd.concat([t[["origin", "destination", "travel_time_min"]] for t in tables])
    return both.groupby(["origin", "destination"], as_index=False, sort=False)[
        "travel_time_min"
    ].min()


def zone_links(
    a: gpd.GeoDataFrame, b: gpd.GeoDataFrame, zones: gpd.GeoDataFrame, detour: float = 1.3
) -> pd.DataFrame:
    """Rides of demand-responsive zones between two point layers: for every zone and every pair
    of points both inside it, ``lead_min + distance_m × detour / speed``.

    Parameters
    ----------
    a, b
        Point layers (indexed by id) with a CRS.
    zones
        Polygons with ``lead_min`` (booking lead time, minutes) and ``speed_kmh``.

    Returns
    -------
    pandas.DataFrame
        Cost table ``origin``, ``destination``, ``travel_time_min`` (the fastest zone).

    Examples
    --------
    >>> import geopandas as gpd, shapely
    >>> z = gpd.GeoDataFrame({"lead_min": [30], "speed_kmh": [36]},
    ...     geometry=[shapely.box(-10, -10, 6010, 10)], crs="EPSG:32650")
    >>> v = gpd.GeoDataFrame(geometry=[shapely.Point(0, 0)], index=["V"], crs="EPSG:32650")
    >>> f = gpd.GeoDataFrame(geometry=[shapely.Point(6000, 0)], index=["F"], crs="EPSG:32650")
    >>> zone_links(v, f, z)
      origin destination  travel_time_min
    0      V           F             43.0
    """
    from ..network import metric_crs

    missing = [c for c in ("lead_min", "speed_kmh") if c not in zones.columns]
    if missing:
        raise ConfigError(f"demand-responsive zones need the columns {missing} (minutes, km/h)")
    crs = metric_crs(zones)
    z = zones.to_crs(crs)
    pa, pb = a.geometry.to_crs(crs), b.geometry.to_crs(crs)
    parts = []
    for geom, lead, speed in zip(z.geometry, z["lead_min"], z["speed_kmh"], strict=True):
        ia = np.flatnonzero(pa.intersects(geom).to_numpy())
        ib = np.flatnonzero(pb.intersects(geom).to_numpy())
        if not len(ia) or not len(ib):
            continue
        gi, gj = np.meshgrid(ia, ib, indexing="ij")
        i, j = gi.ravel(), gj.ravel()
        d = np.hypot(
            pa.x.to_numpy()[i] - pb.x.to_numpy()[j], pa.y.to_numpy()[i] - pb.y.to_numpy()[j]
        )
        minutes = float(lead) + d * detour / (float(speed) / 3.6) / 60.0
        parts.append(
            pd.DataFrame(
                {"origin": a.index[i], "destination": b.index[j], "travel_time_min": minutes}
            )
        )
    if not parts:
        return pd.DataFrame({"origin": [], "destination": [], "travel_time_min": []})
    return _fastest(*parts)


def transit_costs(
    network: Any,
    villages: pd.DataFrame,
    facilities: pd.DataFrame,
    setup: TransitSetup,
    *,
    pupils: bool = False,
    max_time_min: float | None = None,
    max_snap_m: float | None = None,
    connector_speed_kmh: float | None = None,
    n_jobs: int | None = None,
) -> pd.DataFrame:
    """Door-to-door travel times by bus (walk, wait, ride, transfer, walk) as a cost table.

    Parameters
    ----------
    network
        The road network (walks; ``walk="straight"`` does not use it).
    villages, facilities
        Point layers (indexed by id), or :func:`accessibility.locate` of them for
        ``mode="walk"``. Straight walks need point layers.
    setup
        :func:`transit_setup`.
    pupils
        Pupils may ride the school runs too (school services).
    max_time_min
        Longest travel time kept (default ``setup.max_time_min``).
    max_snap_m, connector_speed_kmh, n_jobs
        As in :func:`accessibility.travel_costs`.

    Returns
    -------
    pandas.DataFrame
        ``origin``, ``destination``, ``travel_time_min`` (the first percentile of
        ``setup.percentiles`` over the window), ``distance_m`` (NaN: no route length),
        ``travel_time_min_p{p}`` per percentile; ``attrs["max_time_min"]`` the cut-off.

    Examples
    --------
    >>> import geopandas as gpd, pandas as pd, shapely
    >>> stops = pd.DataFrame({"line_id": ["1", "1"], "stop_seq": [1, 2],
    ...     "stop_name": ["A", "B"], "x": [0, 5000], "y": [0, 0], "run_min": [10, None]})
    >>> lines = pd.DataFrame({"line_id": ["1"], "line_name": ["A-B"], "day_type": ["weekday"],
    ...     "first": ["07:00"], "last": ["09:00"], "headway_min": [30]})
    >>> setup = transit_setup(line_stops=stops, lines=lines, crs="EPSG:32650", wait="planned",
    ...     walk="straight", window=("07:00", "08:00"))
    >>> v = gpd.GeoDataFrame(geometry=[shapely.Point(0, 0)], index=["V1"], crs="EPSG:32650")
    >>> f = gpd.GeoDataFrame(geometry=[shapely.Point(5000, 0)], index=["HC"], crs="EPSG:32650")
    >>> transit_costs(None, v, f, setup)[["origin", "destination", "travel_time_min"]]
      origin destination  travel_time_min
    0     V1          HC             10.0
    """
    limit = float(setup.max_time_min if max_time_min is None else max_time_min)
    snap = {
        k: v
        for k, v in (("max_snap_m", max_snap_m), ("connector_speed_kmh", connector_speed_kmh))
        if v is not None
    }
    cols = ["origin", "destination", "travel_time_min", "distance_m"]
    if len(villages) == 0 or len(facilities) == 0:
        out = pd.DataFrame({c: [] for c in cols})
        out.attrs["max_time_min"] = limit
        return out
    stops_at, egress, transfers = _stop_walks(network, facilities, setup, snap, n_jobs)
    access, direct = _village_walks(network, villages, facilities, stops_at, setup, snap, n_jobs)
    if setup.zones is not None and len(setup.zones):
        stops = setup.timetable.stops()
        access = _fastest(access, zone_links(villages, stops, setup.zones))
        direct = _fastest(direct, zone_links(villages, facilities, setup.zones))
        egress = _fastest(egress, zone_links(stops, facilities, setup.zones))
    table = transit_travel_times(
        setup.timetable,
        access,
        egress,
        direct=direct,
        transfers=transfers,
        window=setup.window,
        step_min=setup.step_min,
        percentiles=setup.percentiles,
        max_transfers=setup.max_transfers,
        max_time_min=limit,
        wait=setup.wait,
        pupils=pupils,
        n_jobs=n_jobs,
    )
    table.insert(3, "distance_m", np.nan)
    table.attrs["max_time_min"] = limit
    return table


@renamed_keywords(bands_min="thresholds_min")
def transit_catchments(
    network: Any,
    facilities: gpd.GeoDataFrame,
    setup: TransitSetup,
    *,
    thresholds_min: Sequence[float] = (30, 60),
    service_column: str = "service",
    pupils: bool = False,
    dissolve: bool = False,
    n_jobs: int | None = None,
    **snap: float,
) -> gpd.GeoDataFrame:
    """Catchments by bus: where one can start and reach a facility within each band.

    For every stop, the time ``T`` to the facility by bus (from standing at the stop, over the
    departure window, the first of ``setup.percentiles``) is found with the same search as
    :func:`transit_costs`; the catchment of band ``b`` is the union of discs around every stop
    with ``T < b`` whose radius is the remaining walk ``(b - T)`` at ``setup.walk_speed_kmh``
    divided by a detour factor of 1.3, and the disc of the direct walk around the facility. It is
    the area a walker reaches within the band, in straight lines from the stops — an
    approximation of the road network's walk (the villages' own times come from
    :func:`transit_costs`).

    Returns
    -------
    geopandas.GeoDataFrame
        As :func:`accessibility.catchments.network_catchments`: ``facility`` (not when
        dissolved), ``service``, ``band_min``, ``n_facilities`` (dissolved), polygons; plus
        ``n_stops`` (stops from which the facility is reached within the band).
    """
    if not isinstance(setup, TransitSetup):
        raise ConfigError(
            "catchments by bus need a timetable: a [transit] section in the project file, or "
            "setup=accessibility.transit.transit_setup(...)"
        )
    bands = sorted(float(b) for b in thresholds_min)
    stops = setup.timetable.stops()
    limit = bands[-1]
    snap = {k: v for k, v in snap.items() if v is not None}
    _, egress, transfers = _stop_walks(network, facilities, setup, snap, n_jobs)
    ids = stops.index.astype(str)
    access = pd.DataFrame({"origin": ids, "destination": ids, "travel_time_min": 0.0})
    table = transit_travel_times(
        setup.timetable,
        access,
        egress,
        direct=egress,  # a stop near the facility: walk there
        transfers=transfers,
        window=setup.window,
        step_min=setup.step_min,
        percentiles=setup.percentiles[:1],
        max_transfers=setup.max_transfers,
        max_time_min=limit,
        wait=setup.wait,
        pupils=pupils,
        n_jobs=n_jobs,
    )
    fac = facilities.to_crs(setup.timetable.crs)
    speed_m_min = setup.walk_speed_kmh / 3.6 * 60.0 / 1.3
    xy = {s: (x, y) for s, x, y in zip(ids, stops.geometry.x, stops.geometry.y, strict=True)}
    rows = []
    for fid, geom in fac.geometry.items():
        if geom is None or geom.is_empty:
            continue
        mine = table[table["destination"] == fid]
        for b in bands:
            within = mine[mine["travel_time_min"] < b]
            discs = [
                shapely.Point(*xy[s]).buffer((b - t) * speed_m_min, 16)
                for s, t in zip(within["origin"], within["travel_time_min"], strict=True)
            ]
            discs.append(geom.buffer(b * speed_m_min, 16))
            rows.append(
                {
                    "facility": fid,
                    "service": str(fac.loc[fid, service_column])
                    if service_column in fac.columns
                    else "",
                    "band_min": b,
                    "n_stops": len(within),
                    "geometry": shapely.union_all(discs),
                }
            )
    out = gpd.GeoDataFrame(rows, geometry="geometry", crs=fac.crs)
    if dissolve and len(out):
        out = (
            out.dissolve(
                by=["service", "band_min"], aggfunc={"facility": "count", "n_stops": "sum"}
            )
            .rename(columns={"facility": "n_facilities"})
            .reset_index()
        )
    return out.to_crs(facilities.crs)


def transit_layers(setup: TransitSetup) -> dict[str, gpd.GeoDataFrame]:
    """The lines and stops of a setup's timetable as map layers.

    Returns
    -------
    dict
        ``bus_lines``: one line per line id through its stops in order (``line_id``,
        ``line_name``, ``kind`` = ``"school"`` for pupils' runs, ``"frequent"`` for lines with a
        headway, else ``"few_runs"``; ``runs`` per day, ``headway_min``, ``first``, ``last``);
        ``bus_stops``: ``stop_id``, ``name``, ``n_lines``, ``runs`` (departures per day).

    Examples
    --------
    >>> import pandas as pd
    >>> stops = pd.DataFrame({"line_id": ["1", "1"], "stop_seq": [1, 2],
    ...     "stop_name": ["A", "B"], "x": [0, 5000], "y": [0, 0], "run_min": [10, None]})
    >>> lines = pd.DataFrame({"line_id": ["1"], "line_name": ["A-B"], "day_type": ["weekday"],
    ...     "first": ["07:00"], "last": ["09:00"], "headway_min": [30]})
    >>> layers = transit_layers(transit_setup(line_stops=stops, lines=lines, crs="EPSG:32650"))
    >>> layers["bus_lines"][["line_id", "kind", "runs", "headway_min"]]
      line_id      kind  runs  headway_min
    0       1  frequent     5         30.0
    """
    tt = setup.timetable
    trips = tt.trips()
    runs = np.ones(tt.n_trips, np.int64)
    head = np.full(tt.n_trips, np.nan)
    for t, s0, s1, h in zip(
        tt.freq_trip, tt.freq_start_s, tt.freq_end_s, tt.freq_headway_s, strict=True
    ):
        n = int(np.ceil((s1 - s0) / h))
        runs[t] += n - 1 if runs[t] == 1 and np.isnan(head[t]) else n
        head[t] = h / 60.0
    first = np.asarray(tt.event_dep_s)[tt.trip_ptr[:-1]] if tt.n_trips else np.zeros(0)
    trips = trips.assign(runs=runs, headway_min=head, first_s=first)
    rows: list[dict[str, Any]] = []
    stop_runs = np.zeros(tt.n_stops, np.int64)
    stop_lines: dict[int, set[str]] = {}
    for lid, grp in trips.groupby("line_id", sort=False):
        t0 = int(grp.index[0])
        ev = np.arange(tt.trip_ptr[t0], tt.trip_ptr[t0 + 1])
        st = np.asarray(tt.event_stop)[ev]
        for t in grp.index:
            ids = np.asarray(tt.event_stop)[tt.trip_ptr[t] : tt.trip_ptr[t + 1]]
            np.add.at(stop_runs, ids, int(runs[t]))
        for s in set(st.tolist()):
            stop_lines.setdefault(s, set()).add(lid)
        pupils = bool(grp["pupils_only"].any())
        hw = grp["headway_min"].dropna()
        lo, hi = int(grp["first_s"].min()), int(grp["first_s"].max())
        last = max(
            [hi]
            + [
                int(e - (e - s) % h if (e - s) % h else e - h)
                for t, s, e, h in zip(
                    tt.freq_trip, tt.freq_start_s, tt.freq_end_s, tt.freq_headway_s, strict=True
                )
                if t in grp.index
            ]
        )
        rows.append(
            {
                "line_id": str(lid),
                "line_name": str(grp["line_name"].iloc[0]),
                "kind": "school" if pupils else ("frequent" if len(hw) else "few_runs"),
                "runs": int(grp["runs"].sum()),
                "headway_min": float(hw.iloc[0]) if len(hw) else np.nan,
                "first": f"{lo // 3600:02d}:{lo % 3600 // 60:02d}",
                "last": f"{last // 3600:02d}:{last % 3600 // 60:02d}",
                "geometry": shapely.LineString(np.column_stack([tt.stop_x_m[st], tt.stop_y_m[st]])),
            }
        )
    lines = gpd.GeoDataFrame(rows, geometry="geometry", crs=tt.crs)
    stops = tt.stops().reset_index()
    stops["n_lines"] = [len(stop_lines.get(i, ())) for i in range(tt.n_stops)]
    stops["runs"] = stop_runs
    return {"bus_lines": lines, "bus_stops": stops}
