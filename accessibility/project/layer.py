"""The per-village layer: roads + villages + facilities -> per-village accessibility columns.

:func:`accessibility_layer` is the notebook entry point (data in, new GeoDataFrame out;
:func:`accessibility_layer_with_costs` also gives the cost tables): every
service evaluated (:func:`accessibility.project.evaluate.evaluate_service`) on one routing per
mode; :func:`accessibility.project.run_project` runs it for a TOML project file.

Per-village columns (``{s}`` is a service name such as ``clinic``; ``{t}`` a threshold in minutes):

==============================  ==========================================================
``snap_distance_m``             distance from the village point to the road it was snapped to
``snapped``                     located on a usable road within ``max_snap_m``
``{s}_nearest_id``              id of the nearest facility of that service (empty if none)
``{s}_nearest_min``             travel time to it, minutes (NaN when unreachable)
``{s}_nearest_km``              route length to it, km
``{s}_reachable``               some facility of the service is reachable at all
``{s}_n_{t}min``                number of facilities reachable within ``t`` minutes
``{s}_{supply}_{t}min``         total supply (e.g. ``capacity``, ``doctors``) within ``t`` minutes
measure columns                 from ``[services.{s}] measures`` (see docs/measures.md)
==============================  ==========================================================
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any, Literal, NamedTuple

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from .._deprecate import warn_api_change
from ..costs import travel_costs
from ..errors import InputWarning, MissingColumnError, ResultWarning, suggest, warn
from ..network import Network
from ..snapping import CONNECTOR_SPEED_KMH, MAX_SNAP_M, SnapOptions, locate
from ..validate import validate_locations
from .evaluate import ServiceEvaluation, evaluate_service, nearest_facility, road_mode
from .specs import DEFAULT_THRESHOLDS_MIN, service_specs

if TYPE_CHECKING:
    from ..transit.project import TransitSetup

__all__ = [
    "LayerWithCosts",
    "accessibility_layer",
    "accessibility_layer_with_costs",
    "dropped_layer",
]

_log = logging.getLogger(__name__)


class LayerWithCosts(NamedTuple):
    """What :func:`accessibility_layer_with_costs` returns: the per-village layer and the cost
    table of each service."""

    layer: gpd.GeoDataFrame
    costs: dict[str, pd.DataFrame]


def accessibility_layer(
    network: Network,
    villages: gpd.GeoDataFrame,
    facilities: gpd.GeoDataFrame,
    *,
    service_column: str = "service",
    services: Mapping[str, Mapping[str, Any]] | Sequence[str] | None = None,
    mode: str = "car",
    thresholds_min: Sequence[float] = DEFAULT_THRESHOLDS_MIN,
    max_time_min: float | None = None,
    demand: str = "population",
    supply: str | None = "capacity",
    max_snap_m: float = MAX_SNAP_M,
    connector_speed_kmh: float = CONNECTOR_SPEED_KMH,
    n_jobs: int | None = None,
    nearest_modes: Mapping[str, Sequence[str]] | None = None,
    return_costs: Literal[False] = False,  # True is deprecated: accessibility_layer_with_costs
    transit: TransitSetup | None = None,
) -> gpd.GeoDataFrame:
    """Per-village accessibility to every service: nearest facility, counts and supply within
    thresholds, reachability flags, and any measures asked for.

    Parameters
    ----------
    network
        Road network (:func:`accessibility.network_from_roads` and friends).
    villages
        Village points (index = village id); polygons must be turned into points first
        (:func:`accessibility.to_points`).
    facilities
        Facility points with a service type column and a supply column.
    service_column
        Column of ``facilities`` naming the service type.
    services
        Which services, as a list, or ``{service: spec}`` where a spec may set ``mode``,
        ``thresholds_min``, ``max_time_min``, ``demand``, ``supply`` and ``measures`` (a list of
        measure specs for :func:`accessibility.measures.measure_table`). Default: every service
        present.
    mode, thresholds_min, max_time_min, demand, supply
        Defaults for services that do not set their own. Routing reaches every time an output
        needs: the largest threshold and the largest limit of any measure (a step or zone decay's
        limit, a kernel's bandwidth, ...). An explicit ``max_time_min`` smaller than one of them
        is refused (:class:`~accessibility.errors.ConfigError`, naming the service, the measure
        and both numbers). Measures with no bound of their own (decays that never reach 0,
        ``nearest``, ...) are computed over the pairs within ``max_time_min``, default the
        largest threshold; ``layer.attrs["measure_cutoff_min"]`` gives that cut-off per measure
        column. The nearest facility is found whatever its distance.
    max_snap_m, connector_speed_kmh
        See :func:`accessibility.locate`.
    nearest_modes
        ``{service: [mode, ...]}``: also give the nearest time in these modes as
        ``{s}_{mode}_nearest_min`` (planning standards are set per mode: a walking standard for
        urban clinics, a driving one for rural health centres).
    return_costs
        Deprecated (a FutureWarning; it goes in the next release): also return the cost table of
        each service, as a tuple. Use :func:`accessibility_layer_with_costs` instead.
    transit
        A :class:`~accessibility.transit.TransitSetup` (:func:`accessibility.transit.transit_setup`)
        for services and ``nearest_modes`` by bus (``mode = "transit"``; docs/transit.md).

    Returns
    -------
    GeoDataFrame
        A copy of ``villages`` (same index, CRS and columns) with the columns listed in this
        module's documentation. ``attrs["dropped"]`` lists the facilities left out (not within
        ``max_snap_m`` of a road the mode may use, or without geometry), each with ``id``,
        ``service``, ``mode``, ``reason`` and ``snap_distance_m`` (:func:`dropped_layer` makes
        it a point layer).

    Raises
    ------
    AccessibilityError
        The layers fail :func:`accessibility.validate.validate_locations`, run as a project
        file's layers are: ids, CRS, geometry, and demand and supply columns that are not
        non-negative numbers (``"25人"`` in a supply column names the facility, column and value).
        The caller's frames are never modified.

    Warns
    -----
    SnapWarning
        Villages or facilities too far from a usable road (flagged, see ``snapped``; facilities
        listed in ``attrs["dropped"]``).
    ResultWarning
        Villages that reach no facility of a service.

    Examples
    --------
    >>> import accessibility as acc
    >>> demo = acc.load_demo()
    >>> net = acc.network_from_roads(demo.roads, tolerance_m=2.5)
    >>> layer = acc.accessibility_layer(net, demo.villages, demo.facilities)
    >>> bool(layer["clinic_nearest_min"].notna().all())
    True
    >>> round(float(layer["clinic_nearest_min"].median()), 1) > 0
    True
    """
    result = accessibility_layer_with_costs(
        network, villages, facilities, service_column=service_column, services=services,
        mode=mode, thresholds_min=thresholds_min, max_time_min=max_time_min, demand=demand,
        supply=supply, max_snap_m=max_snap_m, connector_speed_kmh=connector_speed_kmh,
        n_jobs=n_jobs, nearest_modes=nearest_modes, transit=transit,
    )  # fmt: skip
    if return_costs:
        warn_api_change(
            "accessibility_layer(return_costs=True) is deprecated: it returns one type, a "
            "GeoDataFrame; use accessibility_layer_with_costs(...) for the layer and the cost "
            "tables (a named tuple: layer, costs)",
            stacklevel=3,  # the caller's line
        )
        return tuple(result)
    return result.layer


def accessibility_layer_with_costs(
    network: Network,
    villages: gpd.GeoDataFrame,
    facilities: gpd.GeoDataFrame,
    *,
    service_column: str = "service",
    services: Mapping[str, Mapping[str, Any]] | Sequence[str] | None = None,
    mode: str = "car",
    thresholds_min: Sequence[float] = DEFAULT_THRESHOLDS_MIN,
    max_time_min: float | None = None,
    demand: str = "population",
    supply: str | None = "capacity",
    max_snap_m: float = MAX_SNAP_M,
    connector_speed_kmh: float = CONNECTOR_SPEED_KMH,
    n_jobs: int | None = None,
    nearest_modes: Mapping[str, Sequence[str]] | None = None,
    transit: TransitSetup | None = None,
) -> LayerWithCosts:
    """:func:`accessibility_layer` and the cost table of each service it routed.

    Parameters and checks as :func:`accessibility_layer`.

    Returns
    -------
    LayerWithCosts
        ``layer``: the per-village GeoDataFrame of :func:`accessibility_layer`; ``costs``:
        ``{service: cost table}`` (columns ``origin``, ``destination``, ``travel_time_min``, ...:
        every pair within the service's routing limit).

    Examples
    --------
    >>> import accessibility as acc
    >>> demo = acc.load_demo()
    >>> net = acc.network_from_roads(demo.roads, tolerance_m=2.5)
    >>> layer, costs = acc.accessibility_layer_with_costs(
    ...     net, demo.villages, demo.facilities, services=["clinic"]
    ... )
    >>> list(costs), len(layer) == len(demo.villages)
    (['clinic'], True)
    >>> costs["clinic"].columns[:3].tolist()
    ['origin', 'destination', 'travel_time_min']
    """
    if service_column not in facilities.columns:
        raise MissingColumnError(
            f"facilities have no column {service_column!r} naming the service type."
            f"{suggest(service_column, facilities.columns)} Pass service_column=..."
        )
    specs = service_specs(
        facilities, services, service_column=service_column, mode=mode,
        thresholds_min=thresholds_min, max_time_min=max_time_min, demand=demand, supply=supply,
        transit=transit,
    )  # fmt: skip
    _check_spec_columns(specs, villages, facilities)
    villages, facilities = _validated_inputs(network, villages, facilities, specs, service_column)
    out = villages.copy()
    cost_tables: dict[str, pd.DataFrame] = {}
    cutoffs: dict[str, float] = {}
    dropped: list[dict[str, Any]] = []  # facilities left out (not located), with why
    snap: SnapOptions = {"max_snap_m": max_snap_m, "connector_speed_kmh": connector_speed_kmh}
    modes = list(dict.fromkeys(spec["mode"] for spec in specs.values()))
    for i, m in enumerate(modes):
        located = locate(network, villages, mode=road_mode(m), what="villages", **snap)
        if i == 0:
            out["snap_distance_m"] = located["snap_distance_m"].to_numpy()
            out["snapped"] = located["snapped"].to_numpy()
            out["on_main_network"] = (located["component"] == 0).to_numpy()
        if len(modes) > 1:
            out[f"snapped_{m}"] = located["snapped"].to_numpy()
        mode_services = [s for s, spec in specs.items() if spec["mode"] == m]
        fac = facilities[facilities[service_column].astype(str).isin(mode_services)]
        loc_fac = locate(network, fac, mode=road_mode(m), what="facilities", **snap)
        dropped += _left_out(loc_fac, fac[service_column], m, max_snap_m)
        evaluations = _evaluate_mode(
            network, villages, fac, specs, mode_services, service_column, located, loc_fac, n_jobs
        )
        for s, ev in evaluations.items():
            cost_tables[s] = ev.costs
            for col in ev.columns.columns:
                out[col] = ev.columns[col].to_numpy()
            cutoffs.update(ev.cutoffs)
        n_un = {s: int((~out[f"{s}_reachable"]).sum()) for s in mode_services}
        if any(n_un.values()):
            warn(ResultWarning, _log, "villages with no reachable facility (by service): %s", n_un)
    for col, values in _nearest_in_modes(
        network, villages, facilities, specs, service_column, nearest_modes or {}, snap, transit
    ).items():
        out[col] = values
    out.attrs["measure_cutoff_min"] = cutoffs
    out.attrs["dropped"] = dropped
    if transit is not None:  # for the report's bus section
        out.attrs["transit"] = {
            "window": list(transit.window),
            "max_time_min": transit.max_time_min,
        }
    return LayerWithCosts(out, cost_tables)


def _check_spec_columns(
    specs: Mapping[str, Mapping[str, Any]], villages: pd.DataFrame, facilities: pd.DataFrame
) -> None:
    """The demand and supply columns the services name exist."""
    for name, spec in specs.items():
        if spec["demand"] and spec["measures"] and spec["demand"] not in villages.columns:
            raise MissingColumnError(
                f"villages have no demand column {spec['demand']!r} (service {name!r})."
                + suggest(spec["demand"], villages.columns)
            )
        if spec["supply"] and spec["supply"] not in facilities.columns:
            raise MissingColumnError(
                f"facilities have no supply column {spec['supply']!r} (service {name!r})."
                + suggest(spec["supply"], facilities.columns)
            )


def _evaluate_mode(
    network: Network,
    villages: gpd.GeoDataFrame,
    facilities: gpd.GeoDataFrame,
    specs: Mapping[str, Mapping[str, Any]],
    services: Sequence[str],
    service_column: str,
    located: pd.DataFrame,
    located_facilities: pd.DataFrame,
    n_jobs: int | None,
) -> dict[str, ServiceEvaluation]:
    """Evaluate ``services`` (all of one mode) on one routing shared by them."""
    service_of = facilities[service_column].astype(str)
    mode = specs[services[0]]["mode"]
    limit = max(specs[s]["max_time_min"] for s in services)
    costs = None  # by bus each service is searched on its own (pupils, its facilities' egress)
    if mode != "transit":
        costs = travel_costs(
            network, located, located_facilities, mode=mode, max_time_min=limit, n_jobs=n_jobs
        )
    out = {}
    for s in services:
        ids = service_of.index[service_of == s]
        out[s] = evaluate_service(
            network,
            villages,
            facilities.loc[ids],
            specs[s],
            name=s,
            located_villages=located,
            located_facilities=located_facilities.loc[ids],
            costs=costs,
            n_jobs=n_jobs,
        )
    return out


def _left_out(
    located: pd.DataFrame, services: pd.Series, mode: str, max_snap_m: float
) -> list[dict[str, Any]]:
    """The facilities that could not be located for ``mode``, with why (``attrs["dropped"]``)."""
    left_out = ~located["snapped"].to_numpy()
    records = []
    for fid, svc, dist in zip(
        located.index[left_out],
        services.astype(str).to_numpy()[left_out],
        located["snap_distance_m"].to_numpy()[left_out],
        strict=True,
    ):
        records.append(
            {
                "layer": "facilities",
                "id": fid,
                "service": svc,
                "mode": mode,
                "reason": "no geometry"
                if not np.isfinite(dist)
                else f"more than {max_snap_m:g} m from any road usable by {mode}",
                "snap_distance_m": float(dist) if np.isfinite(dist) else None,
            }
        )
    return records


def _nearest_in_modes(
    network: Network,
    villages: gpd.GeoDataFrame,
    facilities: gpd.GeoDataFrame,
    specs: Mapping[str, Any],
    service_column: str,
    nearest_modes: Mapping[str, Sequence[str]],
    snap: SnapOptions,
    transit: TransitSetup | None = None,
) -> dict[str, np.ndarray]:
    """``{s}_{mode}_nearest_min`` for the extra modes of ``nearest_modes`` (``"transit"``: by bus
    within the setup's ``max_time_min``, with the pupils' runs for services that set
    ``pupils``)."""
    out: dict[str, np.ndarray] = {}
    located_villages: dict[str, pd.DataFrame] = {}
    for s, extra in nearest_modes.items():
        if s not in specs:
            continue
        ids = facilities.index[facilities[service_column].astype(str) == s]
        for m in dict.fromkeys(extra):
            if m == "transit":
                near = nearest_facility(
                    network, villages, facilities.loc[ids], mode=m, transit=transit,
                    pupils=bool(specs[s].get("pupils")), **snap,
                )  # fmt: skip
                out[f"{s}_{m}_nearest_min"] = near["nearest_min"].to_numpy(np.float64)
                continue
            if m not in located_villages:  # snap the villages once per mode
                located_villages[m] = locate(network, villages, mode=m, what="villages", **snap)
            near = nearest_facility(
                network, located_villages[m], facilities.loc[ids], mode=m, **snap
            )
            out[f"{s}_{m}_nearest_min"] = near["nearest_min"].to_numpy(np.float64)
    return out


def dropped_layer(layer: pd.DataFrame, facilities: gpd.GeoDataFrame) -> gpd.GeoDataFrame | None:
    """The facilities an :func:`accessibility_layer` result left out (``layer.attrs["dropped"]``)
    as a point layer with ``service``, ``mode``, ``reason`` and ``snap_distance_m``; ``None``
    when none was left out. :func:`run_project` writes it to the GeoPackage as ``dropped``."""
    records = layer.attrs.get("dropped") or []
    if not records:
        return None
    table = pd.DataFrame(records)
    geometry = facilities.geometry.reindex(pd.Index(table["id"])).to_numpy()
    return gpd.GeoDataFrame(table, geometry=geometry, crs=facilities.crs)


def _validated_inputs(
    network: Network,
    villages: gpd.GeoDataFrame,
    facilities: gpd.GeoDataFrame,
    specs: Mapping[str, Mapping[str, Any]],
    service_column: str,
) -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame]:
    """Validate the layers of :func:`accessibility_layer` as the project-file path does
    (:func:`accessibility.validate.validate_locations`, same checks and messages): ids, CRS,
    geometry, text, and the demand and supply columns as non-negative numbers. Returns validated
    copies; the caller's frames are not modified. Layers that were validated already (as
    :func:`run_project` does) pass again quickly and unchanged.

    A supply column is checked on the facilities of the services that use it (a ``doctors``
    column may be empty for schools); an empty supply value counts as 0 with an InputWarning (as
    scenarios treat a facility added without its capacity), where a project file's layer must be
    complete. A demand column is checked where it is present or a measure needs it. Numeric
    demand columns keep their dtype in the returned villages.
    """

    extent = gpd.GeoSeries([shapely.box(*network.edges.total_bounds)], crs=network.crs)
    demand = sorted(
        {
            spec["demand"]
            for spec in specs.values()
            if spec["demand"] and (spec["measures"] or spec["demand"] in villages.columns)
        }
    )
    clean_villages = validate_locations(
        villages, kind="villages", nonnegative_columns=demand, reference_extent=extent
    )
    for col in demand:  # numbers that were numbers stay as they were (ints stay ints)
        if pd.api.types.is_numeric_dtype(villages[col].dtype) and not pd.api.types.is_bool_dtype(
            villages[col].dtype
        ):
            clean_villages[col] = villages[col].to_numpy()
    users: dict[str, set[str]] = {}
    for name, spec in specs.items():
        if spec["supply"]:
            users.setdefault(spec["supply"], set()).add(name)
    checked = facilities
    service = facilities[service_column].astype(str)
    for col, names in users.items():
        if col not in facilities.columns:
            continue  # validate_locations names it
        values = facilities[col]
        other = ~service.isin(names).to_numpy()
        blank = values.isna() | values.map(lambda v: isinstance(v, str) and not v.strip())
        blank = blank.to_numpy(dtype=bool) & ~other
        if blank.any():  # e.g. a facility a scenario added without saying its capacity
            ids = list(facilities.index[blank])
            warn(
                InputWarning,
                _log,
                "facilities: %d row(s) of %s have no value in the supply column %r (%s); they "
                "count as 0 supply. Fill the column to count them.",
                len(ids),
                sorted(names),
                col,
                ", ".join(repr(i) for i in ids[:5]) + (" ..." if len(ids) > 5 else ""),
                stacklevel=3,
            )
        if other.any() or blank.any():
            if checked is facilities:
                checked = facilities.copy()
            # rows of other services are not this column's business; blanks count as 0
            checked[col] = values.astype(object).where(~(other | blank), 0)
    clean_facilities = validate_locations(
        checked,
        kind="facilities",
        required_columns=[service_column],
        nonnegative_columns=sorted(users),
        reference_extent=extent,
    )
    return clean_villages, clean_facilities
