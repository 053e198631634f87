"""One service evaluated for a set of villages: snap, route, nearest, counts, supply, measures.

:func:`evaluate_service` is the one place where a service's per-village columns and cost table
are made. :func:`accessibility.project.accessibility_layer` (and so a Dask partition) calls it
for every service, the scenario evaluation (:func:`accessibility.planning.evaluate_scenario`)
for the baseline, the scenario and the facilities a scenario adds or closes, and so the siting
runs, which evaluate their answer as a scenario. :func:`nearest_facility` is the one definition
of "the nearest facility".
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd

from ..costs import nearest_costs, travel_costs
from ..errors import ConfigError
from ..network import Network
from ..snapping import CONNECTOR_SPEED_KMH, MAX_SNAP_M, locate

__all__ = [
    "ServiceEvaluation",
    "evaluate_service",
    "nearest_facility",
    "road_mode",
    "threshold_label",
]

COST_COLUMNS = ["origin", "destination", "travel_time_min", "distance_m"]


def road_mode(mode: str) -> str:
    """The road-network mode villages and facilities are snapped for: ``"walk"`` for
    ``"transit"`` (walks to and from the stops), else the mode itself."""
    return "walk" if mode == "transit" else mode


def _transit_setup(transit: Any, what: str) -> Any:
    if transit is None:
        raise ConfigError(
            f"{what} uses mode = 'transit' but no timetable is given: add a [transit] section "
            'with `lines = "bus_lines.toml"` (or `gtfs = "feed.zip"`) to the project file, '
            "or pass transit=accessibility.transit.transit_setup(...)"
        )
    return transit


def _nearest_of(table: pd.DataFrame, index: pd.Index) -> pd.DataFrame:
    """``nearest_id``/``nearest_min``/``nearest_m`` of each origin from a cost table."""
    if len(table):
        best = table.sort_values(["travel_time_min", "destination"], kind="stable")
        near = best.drop_duplicates("origin").set_index("origin").reindex(index)
    else:
        near = pd.DataFrame({"destination": [], "travel_time_min": [], "distance_m": []})
        near = near.reindex(index)
    return _nearest_frame(near, index)


def _nearest_frame(near: pd.DataFrame, index: pd.Index) -> pd.DataFrame:
    """The nearest facility's columns from one cost-table row per village (indexed by village;
    missing villages unreachable)."""
    ids = near["destination"].astype(object)
    return pd.DataFrame(
        {
            "nearest_id": ids.where(ids.notna(), None).to_numpy(),
            "nearest_min": near["travel_time_min"].to_numpy(np.float64),
            "nearest_m": near["distance_m"].to_numpy(np.float64),
        },
        index=index,
    )


def threshold_label(t: float) -> str:
    """A threshold in minutes as it appears in column names: ``15`` -> ``"15"``, ``7.5`` ->
    ``"7_5"``."""
    return f"{int(t)}" if float(t).is_integer() else f"{t:g}".replace(".", "_")


@dataclass
class ServiceEvaluation:
    """One service evaluated for a set of villages (see :func:`evaluate_service`).

    Attributes
    ----------
    nearest
        Indexed like the villages: ``nearest_id`` (None when no facility is reachable),
        ``nearest_min`` and ``nearest_m`` (NaN when unreachable).
    costs
        ``origin``, ``destination``, ``travel_time_min``, ``distance_m`` for the pairs within the
        service's ``max_time_min`` (``attrs["max_time_min"]``).
    supply
        The facilities' supply (the spec's ``supply`` column as numbers), or None.
    columns
        The per-village output columns of :func:`accessibility.project.accessibility_layer` for
        this service, indexed like the villages, in their order.
    cutoffs
        Measure column -> the cut-off (minutes) it was computed over.
    """

    nearest: pd.DataFrame
    costs: pd.DataFrame
    supply: pd.Series | None
    columns: pd.DataFrame
    cutoffs: dict[str, float] = field(default_factory=dict)


def nearest_facility(
    network: Network,
    villages: pd.DataFrame,
    facilities: pd.DataFrame,
    *,
    mode: str,
    index: pd.Index | None = None,
    transit: Any = None,
    pupils: bool = False,
    max_snap_m: float = MAX_SNAP_M,
    connector_speed_kmh: float = CONNECTOR_SPEED_KMH,
) -> pd.DataFrame:
    """The nearest facility of every village, whatever its distance (by bus: within the
    transit setup's ``max_time_min``).

    Parameters
    ----------
    network
        The road network.
    villages, facilities
        Point layers, or the output of :func:`accessibility.locate` for them.
    mode
        Travel mode.
    index
        Index of the result (default the villages'); villages outside it are left out.
    transit, pupils
        For ``mode="transit"``: the :class:`~accessibility.transit.TransitSetup` (villages and
        facilities as point layers) and whether pupils' runs count.
    max_snap_m, connector_speed_kmh
        For layers not yet located (:func:`accessibility.locate`).

    Returns
    -------
    DataFrame
        ``nearest_id`` (object, None when no facility is reachable), ``nearest_min`` and
        ``nearest_m`` (NaN when unreachable), indexed by ``index``.
    """
    index = villages.index if index is None else index
    if mode == "transit":
        from ..transit import transit_costs

        setup = _transit_setup(transit, "the nearest facility")
        table = transit_costs(
            network, villages, facilities, setup, pupils=pupils, max_snap_m=max_snap_m,
            connector_speed_kmh=connector_speed_kmh,
        )  # fmt: skip
        return _nearest_of(table, index)
    if len(facilities) == 0 or len(villages) == 0:
        near = pd.DataFrame({"destination": [], "travel_time_min": [], "distance_m": []})
    else:
        near = nearest_costs(
            network, villages, facilities, k=1, mode=mode, max_snap_m=max_snap_m,
            connector_speed_kmh=connector_speed_kmh,
        )  # fmt: skip
        near = near.set_index("origin")
    return _nearest_frame(near.reindex(index), index)


def _service_costs(
    network: Network,
    villages: pd.DataFrame,
    facilities: pd.DataFrame,
    spec: Mapping[str, Any],
    costs: pd.DataFrame | None,
    n_jobs: int | None,
) -> pd.DataFrame:
    """The service's cost table: routed, or taken from a table routed for several services."""
    limit = float(spec["max_time_min"])
    if costs is None:
        if len(facilities) == 0 or len(villages) == 0:
            costs = pd.DataFrame({c: [] for c in COST_COLUMNS})
        else:
            costs = travel_costs(
                network, villages, facilities, mode=spec["mode"], max_time_min=limit, n_jobs=n_jobs
            )
    keep = costs["destination"].isin(facilities.index) & (costs["travel_time_min"] <= limit)
    out = costs.loc[keep, COST_COLUMNS].reset_index(drop=True)
    out.attrs = {"max_time_min": limit}
    return out


def _within_columns(
    name: str,
    spec: Mapping[str, Any],
    costs: pd.DataFrame,
    supply: pd.Series | None,
    index: pd.Index,
) -> dict[str, np.ndarray]:
    """Facilities (and their supply) within each threshold: per village of ``index``, the number
    of cost rows within it and the sum of their destinations' supply (missing supply adds 0)."""
    out: dict[str, np.ndarray] = {}
    at = index.get_indexer(costs["origin"])  # -1: an origin that is not among the villages
    minutes = costs["travel_time_min"].to_numpy(np.float64)
    if supply is not None:
        value = supply.reindex(costs["destination"]).to_numpy(np.float64)
        value = np.where(np.isnan(value), 0.0, value)
    for t in spec["thresholds_min"]:
        keep = (minutes <= t) & (at >= 0)
        pos = at[keep]
        out[f"{name}_n_{threshold_label(t)}min"] = np.bincount(pos, minlength=len(index)).astype(
            np.int64, copy=False
        )
        if supply is not None:
            out[f"{name}_{spec['supply']}_{threshold_label(t)}min"] = np.bincount(
                pos, weights=value[keep], minlength=len(index)
            )
    return out


def _measure_columns(
    name: str,
    spec: Mapping[str, Any],
    costs: pd.DataFrame,
    villages: pd.DataFrame,
    supply: pd.Series | None,
) -> tuple[dict[str, np.ndarray], dict[str, float]]:
    """The spec's measures (:func:`accessibility.measures.measure_table`)."""
    if not spec.get("measures"):
        return {}, {}
    from ..measures import measure_table

    if supply is None:
        raise ConfigError(f"service {name!r} has measures but no supply column")
    table = measure_table(
        costs,
        pd.to_numeric(villages[spec["demand"]], errors="coerce"),
        supply,
        specs=spec["measures"],
        prefix=name,
        unbounded_limit_min=spec.get("unbounded_limit_min"),
    )
    cols = {c: table[c].reindex(villages.index).to_numpy() for c in table.columns}
    return cols, dict(table.attrs.get("measure_cutoff_min", {}))


def evaluate_service(
    network: Network,
    villages: gpd.GeoDataFrame,
    facilities: gpd.GeoDataFrame,
    spec: Mapping[str, Any],
    *,
    name: str,
    located_villages: pd.DataFrame | None = None,
    located_facilities: pd.DataFrame | None = None,
    costs: pd.DataFrame | None = None,
    max_snap_m: float = MAX_SNAP_M,
    connector_speed_kmh: float = CONNECTOR_SPEED_KMH,
    n_jobs: int | None = None,
) -> ServiceEvaluation:
    """Evaluate one service for a set of villages: nearest facility, counts and supply within the
    thresholds, the measures, and the cost table.

    Parameters
    ----------
    network
        The road network.
    villages
        Village points (index = village id), already validated.
    facilities
        The facilities of this service (index = facility id).
    spec
        The service's spec (:func:`accessibility.project.service_specs`): ``mode``,
        ``thresholds_min``, ``max_time_min``, ``demand``, ``supply``, ``measures``,
        ``unbounded_limit_min``; for ``mode = "transit"`` also ``transit`` (a
        :class:`~accessibility.transit.TransitSetup`) and ``pupils`` (school runs count). By bus
        the cost table comes from :func:`accessibility.transit.transit_costs` (``distance_m``
        is NaN) and the nearest facility is the nearest within the setup's ``max_time_min``.
    name
        The service's name (the prefix of the column names).
    located_villages, located_facilities
        :func:`accessibility.locate` of the layers for the spec's mode, when already done (the
        villages are snapped once per mode); located here otherwise.
    costs
        A cost table routed to these facilities (and maybe others) with at least the spec's
        ``max_time_min``, to share one routing between the services of a mode; routed here
        otherwise.
    max_snap_m, connector_speed_kmh, n_jobs
        See :func:`accessibility.costs.travel_costs`.

    Returns
    -------
    ServiceEvaluation
        ``columns`` holds ``{name}_nearest_id``, ``{name}_nearest_min``, ``{name}_nearest_km``,
        ``{name}_reachable``, ``{name}_n_{t}min`` and ``{name}_{supply}_{t}min`` per threshold,
        then the measure columns.

    Examples
    --------
    >>> import accessibility as acc
    >>> from accessibility.project import service_specs
    >>> demo = acc.load_demo()
    >>> net = acc.network_from_roads(demo.roads, tolerance_m=2.5)
    >>> clinics = demo.facilities[demo.facilities["service"] == "clinic"]
    >>> spec = service_specs(clinics, ["clinic"], service_column="service", mode="car",
    ...     thresholds_min=(15, 30), max_time_min=None, demand="population",
    ...     supply="capacity")["clinic"]
    >>> ev = evaluate_service(net, demo.villages, clinics, spec, name="clinic")
    >>> list(ev.columns.columns)[:4]
    ['clinic_nearest_id', 'clinic_nearest_min', 'clinic_nearest_km', 'clinic_reachable']
    >>> bool((ev.costs["travel_time_min"] <= 30).all())
    True
    """
    mode = spec["mode"]
    snap = {"max_snap_m": max_snap_m, "connector_speed_kmh": connector_speed_kmh}
    if mode == "transit":  # one search gives the nearest (within the setup's limit) and the table
        from ..transit import transit_costs

        setup = _transit_setup(spec.get("transit"), f"service {name!r}")
        reach = max(float(spec["max_time_min"]), float(setup.max_time_min))
        full = transit_costs(
            network, villages, facilities, setup, pupils=bool(spec.get("pupils")),
            max_time_min=reach, n_jobs=n_jobs, **snap,
        )  # fmt: skip
        near = _nearest_of(full, villages.index)
        table = _service_costs(network, villages, facilities, spec, full, n_jobs)
    else:
        if located_villages is None:
            located_villages = locate(network, villages, mode=mode, what="villages", **snap)
        if located_facilities is None:
            located_facilities = locate(network, facilities, mode=mode, what="facilities", **snap)
        near = nearest_facility(
            network, located_villages, located_facilities, mode=mode, index=villages.index
        )
        table = _service_costs(network, located_villages, located_facilities, spec, costs, n_jobs)
    supply = (
        pd.to_numeric(facilities[spec["supply"]], errors="coerce") if spec.get("supply") else None
    )
    cols: dict[str, Any] = {
        f"{name}_nearest_id": near["nearest_id"].to_numpy(),
        f"{name}_nearest_min": near["nearest_min"].to_numpy(),
        f"{name}_nearest_km": (near["nearest_m"] / 1000.0).to_numpy(np.float64),
        f"{name}_reachable": near["nearest_min"].notna().to_numpy(),
    }
    cols.update(_within_columns(name, spec, table, supply, villages.index))
    measures, cutoffs = _measure_columns(name, spec, table, villages, supply)
    cols.update(measures)
    return ServiceEvaluation(
        nearest=near,
        costs=table,
        supply=supply,
        columns=pd.DataFrame(cols, index=villages.index),
        cutoffs=cutoffs,
    )
