"""The whole job: roads + villages + facilities -> per-village accessibility layers and outputs.

:func:`accessibility_layer` is the notebook entry point (data in, new GeoDataFrame out);
:func:`run_project` runs a TOML project file end to end and writes the GeoPackage, CSV and report;
:func:`run_demo` does that on the embedded demo county.

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

import contextlib
import logging
import os
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd

from .costs import nearest_costs as nearest_costs  # kept importable from here (tests patch it)
from .costs import travel_costs
from .errors import (
    ConfigError,
    InputWarning,
    InvalidValueError,
    MissingColumnError,
    ResultWarning,
    suggest,
    warn,
)
from .network import Network
from .project.evaluate import (
    ServiceEvaluation,
    evaluate_service,
    nearest_facility,
    threshold_label,
)
from .snapping import CONNECTOR_SPEED_KMH, MAX_SNAP_M, locate

__all__ = [
    "ProjectInputs",
    "RunResult",
    "accessibility_layer",
    "demo_project",
    "dropped_layer",
    "load_project_inputs",
    "run_demo",
    "run_project",
    "service_specs",
]

_log = logging.getLogger(__name__)

DEFAULT_THRESHOLDS_MIN: tuple[float, ...] = (15, 30, 60)


def service_specs(
    facilities: pd.DataFrame,
    services: Mapping[str, Mapping[str, Any]] | Sequence[str] | None,
    *,
    service_column: str,
    mode: str,
    thresholds_min: Sequence[float],
    max_time_min: float | None,
    demand: str,
    supply: str | None,
) -> dict[str, dict[str, Any]]:
    """Normalise the ``services`` argument to ``{service: spec}`` with every key filled in."""
    present = list(pd.unique(facilities[service_column].dropna().astype(str)))
    if services is None:
        names: list[str] = sorted(present)
        given: Mapping[str, Mapping[str, Any]] = {}
    elif isinstance(services, Mapping):
        names = list(services)
        given = services
    else:
        names = [str(s) for s in services]
        given = {}
    out: dict[str, dict[str, Any]] = {}
    for name in names:
        if name not in present:
            raise InvalidValueError(
                f"service {name!r} has no facilities (column {service_column!r} holds "
                f"{sorted(present)}).{suggest(name, present)}"
            )
        spec = {
            "mode": mode,
            "thresholds_min": list(thresholds_min),
            "max_time_min": max_time_min,
            "demand": demand,
            "supply": supply,
            "measures": [],
            "label": None,
        }
        spec.update({k: v for k, v in dict(given.get(name, {})).items() if v is not None})
        ts = sorted(float(t) for t in spec["thresholds_min"])
        if not ts or ts[0] <= 0:
            raise InvalidValueError(f"thresholds_min for {name!r} must be positive minutes")
        spec["thresholds_min"] = ts
        spec.update(_reach(name, spec, ts))
        out[name] = spec
    return out


def _reach(name: str, spec: Mapping[str, Any], ts: Sequence[float]) -> dict[str, Any]:
    """How far the cost table of a service must reach, from its thresholds and measures.

    ``max_time_min`` (the routing bound) becomes the largest of the thresholds and of every
    measure's own bound; an explicit ``max_time_min`` smaller than one of them is refused.
    ``unbounded_limit_min`` is where measures without a bound of their own are cut: the explicit
    ``max_time_min``, else the largest threshold.
    """
    from .measures import measure_reaches

    explicit = spec["max_time_min"]
    if explicit is not None:
        ok = isinstance(explicit, int | float) and not isinstance(explicit, bool)
        if not ok or not float(explicit) > 0:
            raise InvalidValueError(
                f"max_time_min of service {name!r} must be a number of minutes > 0, got "
                f"{explicit!r}"
            )
        explicit = float(explicit)
    fix = (
        "Raise max_time_min ([services.{s}] max_time_min or [analysis] max_time_min in a "
        "project file) to at least {need:g}, or remove it so that routing reaches what the "
        "outputs need."
    )
    if explicit is not None and ts[-1] > explicit:
        raise ConfigError(
            f"service {name!r}: thresholds_min {ts[-1]:g} needs travel times up to {ts[-1]:g} "
            f"min, but max_time_min = {explicit:g} cuts routing there; the counts within "
            f"{ts[-1]:g} min would miss every facility beyond {explicit:g} min. "
            + fix.format(s=name, need=ts[-1])
        )
    try:
        reaches = measure_reaches(spec["measures"] or [])
    except (ConfigError, InvalidValueError) as exc:
        raise type(exc)(f"service {name!r} ([services.{name}] measures): {exc}") from exc
    base = explicit if explicit is not None else ts[-1]
    reach = base
    for where, need in reaches:
        if need is None:
            continue
        if explicit is not None and need > explicit:
            raise ConfigError(
                f"service {name!r}: {where} weighs travel times up to {need:g} min, but "
                f"max_time_min = {explicit:g} cuts routing there; the measure would be computed "
                f"on a table missing the pairs between {explicit:g} and {need:g} min. "
                + fix.format(s=name, need=need)
                + f" Or lower the measure's limit to {explicit:g} min."
            )
        reach = max(reach, float(need))
    if reach > base:
        _log.info(
            "service %s: routing to %g min (measures reach beyond the largest threshold, %g min)",
            name,
            reach,
            base,
        )
    return {"max_time_min": reach, "unbounded_limit_min": base}


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
    return_costs: bool = False,
) -> gpd.GeoDataFrame | tuple[gpd.GeoDataFrame, dict[str, pd.DataFrame]]:
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
        Also return the cost table of each service.

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
    if service_column not in facilities.columns:
        raise MissingColumnError(
            f"facilities have no column {service_column!r} naming the service type."
            f"{suggest(service_column, facilities.columns)} Pass service_column=..."
        )
    specs = service_specs(
        facilities,
        services,
        service_column=service_column,
        mode=mode,
        thresholds_min=thresholds_min,
        max_time_min=max_time_min,
        demand=demand,
        supply=supply,
    )
    _check_spec_columns(specs, villages, facilities)
    villages, facilities = _validated_inputs(network, villages, facilities, specs, service_column)
    out = villages.copy()
    cost_tables: dict[str, pd.DataFrame] = {}
    cutoffs: dict[str, float] = {}
    dropped: list[dict[str, Any]] = []  # facilities left out (not located), with why
    snap = {"max_snap_m": max_snap_m, "connector_speed_kmh": connector_speed_kmh}
    modes = list(dict.fromkeys(spec["mode"] for spec in specs.values()))
    for i, m in enumerate(modes):
        located = locate(villages, network, mode=m, what="villages", **snap)
        if i == 0:
            out["snap_distance_m"] = located["snap_distance_m"].to_numpy()
            out["snapped"] = located["snapped"].to_numpy()
            out["on_main_network"] = (located["component"] == 0).to_numpy()
        if len(modes) > 1:
            out[f"snapped_{m}"] = located["snapped"].to_numpy()
        mode_services = [s for s, spec in specs.items() if spec["mode"] == m]
        fac = facilities[facilities[service_column].astype(str).isin(mode_services)]
        loc_fac = locate(fac, network, mode=m, what="facilities", **snap)
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
        network, villages, facilities, specs, service_column, nearest_modes or {}, snap
    ).items():
        out[col] = values
    out.attrs["measure_cutoff_min"] = cutoffs
    out.attrs["dropped"] = dropped
    return (out, cost_tables) if return_costs else out


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
    snap: Mapping[str, float],
) -> dict[str, np.ndarray]:
    """``{s}_{mode}_nearest_min`` for the extra modes of ``nearest_modes``."""
    out: dict[str, np.ndarray] = {}
    located_villages: dict[str, pd.DataFrame] = {}
    for s, extra in nearest_modes.items():
        if s not in specs:
            continue
        ids = facilities.index[facilities[service_column].astype(str) == s]
        for m in dict.fromkeys(extra):
            if m not in located_villages:  # snap the villages once per mode
                located_villages[m] = locate(villages, network, mode=m, what="villages", **snap)
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
    import shapely

    from .validate import validate_locations

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


# --------------------------------------------------------------------------------------------------
# running a project


@dataclass
class RunResult:
    """What :func:`run_project` produced: the layers and where they were written."""

    villages: gpd.GeoDataFrame
    facilities: gpd.GeoDataFrame
    network: Network
    costs: dict[str, pd.DataFrame]
    townships: gpd.GeoDataFrame | None = None
    files: dict[str, Path] = field(default_factory=dict)
    config: dict[str, Any] = field(default_factory=dict)
    standards_table: pd.DataFrame | None = None
    extra_layers: dict[str, pd.DataFrame] = field(default_factory=dict)

    def __repr__(self) -> str:
        files = ", ".join(f"{k}={v.name}" for k, v in self.files.items())
        return (
            f"<RunResult {len(self.villages)} villages, {len(self.facilities)} facilities; {files}>"
        )


def _read(inp: Mapping[str, Any], key: str) -> gpd.GeoDataFrame:
    """Read the layer of ``[input] key`` with its ``{key}_layer`` and ``{key}_encoding``."""
    from .io import read_layer

    return read_layer(inp[key], layer=inp.get(f"{key}_layer"), encoding=inp.get(f"{key}_encoding"))


@contextlib.contextmanager
def _project_keys(keys: Mapping[str, list[str]]) -> Iterator[None]:
    """Add the project-file key that named a missing column to the error message."""
    try:
        yield
    except MissingColumnError as exc:
        named = [
            f"'{c}' is set by {' and '.join(k)}" for c, k in keys.items() if f"'{c}'" in str(exc)
        ]
        if not named:
            raise
        error = type(exc)(f"{exc} In the project file, {'; '.join(named)}.")
        error.__dict__.update(exc.__dict__)  # e.g. the `problems` of a multi-problem error
        raise error from exc


def _validated_locations(
    inp: Mapping[str, Any],
    cols: Mapping[str, Any],
    ana: Mapping[str, Any],
    demand_cols: set[str],
    supply_cols: set[str],
    roads: gpd.GeoDataFrame | None,
) -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame]:
    from .validate import validate_locations

    villages = validate_locations(
        _read(inp, "villages"),
        kind="villages",
        id_column=cols["village_id"],
        required_columns=sorted(demand_cols),
        nonnegative_columns=sorted(demand_cols),
        polygons=ana["village_polygons"],
        reference_extent=roads,
    )
    facilities = validate_locations(
        _read(inp, "facilities"),
        kind="facilities",
        id_column=cols["facility_id"],
        required_columns=[cols["service"], *sorted(supply_cols)],
        nonnegative_columns=sorted(supply_cols),
        reference_extent=roads,
    )
    return villages, facilities


@dataclass
class ProjectInputs:
    """A project's inputs, validated, and its network, exactly as :func:`run_project` uses them."""

    config: dict[str, Any]
    villages: gpd.GeoDataFrame
    facilities: gpd.GeoDataFrame
    network: Network
    specs: dict[str, dict[str, Any]] | None
    townships: gpd.GeoDataFrame | None = None


def read_validated_layers(
    cfg: Mapping[str, Any],
) -> tuple[
    dict[str, dict[str, Any]] | None,
    gpd.GeoDataFrame | None,
    gpd.GeoDataFrame,
    gpd.GeoDataFrame,
]:
    """Read a validated configuration's layers and check them: ``(specs, roads, villages,
    facilities)``, every problem of a layer reported at once with the project-file key that named
    a missing column; extents, CRS and GCJ-02 offsets checked against the roads."""
    cols = cfg["columns"]
    inp = cfg["input"]
    from .validate import check_extent_overlap, validate_roads

    ana = cfg["analysis"]
    specs = cfg["services"] or None
    if specs is None and ana["services"]:
        specs = {s: {} for s in ana["services"]}
    demand_cols = {cols["population"]}
    supply_cols = {cols["capacity"]} if cols["capacity"] else set()
    for spec in (specs or {}).values():
        if spec.get("demand"):
            demand_cols.add(spec["demand"])
        if spec.get("supply"):
            supply_cols.add(spec["supply"])
    net_cfg = cfg["network"]
    roads = None
    if inp["roads"]:
        from .speeds import speed_profile

        roads = _read(inp, "roads")
        profile = speed_profile(net_cfg["profile"], overrides=net_cfg.get("speeds"))
        roads = validate_roads(
            roads,
            cols["road_class"],
            cols["road_speed"],
            known_classes={c for table in profile.values() for c in table},
        )
    # where each column name comes from in the project file, for error messages
    keys: dict[str, list[str]] = {}
    for key in ("village_id", "population", "facility_id", "service", "capacity"):
        if cols[key]:
            keys.setdefault(cols[key], []).append(f"[columns] {key}")
    for name, spec in (specs or {}).items():
        for key in ("demand", "supply"):
            if spec.get(key):
                keys.setdefault(spec[key], []).append(f"[services.{name}] {key}")
    # every problem of a layer is reported at once, each with its fix
    with _project_keys(keys):
        villages, facilities = _validated_locations(inp, cols, ana, demand_cols, supply_cols, roads)
    if roads is not None:
        from .chinacrs import detect_datum_offset

        check_extent_overlap(villages, roads, points_name="villages")
        check_extent_overlap(facilities, roads, points_name="facilities")
        detect_datum_offset(facilities, roads, layer_name="facilities")
        detect_datum_offset(villages, roads, layer_name="villages")
    return specs, roads, villages, facilities


def load_project_inputs(
    config: str | os.PathLike | Mapping[str, Any], *, check: bool = False
) -> ProjectInputs:
    """Read and validate a project's layers and build its network (with slope-aware walking when
    ``[network] dem`` is set). Shared by :func:`run_project`, scenarios and siting.

    With ``check=True`` everything :func:`run_project` needs that does not need routing is
    checked first (:func:`accessibility.projectcheck.check_project`, as ``accessibility check``
    does), before the network is built."""
    from .config import load_config
    from .network import network_from_osm, network_from_roads

    cfg = load_config(config) if isinstance(config, str | os.PathLike) else dict(config)
    cols = cfg["columns"]
    inp = cfg["input"]
    net_cfg = cfg["network"]
    specs, roads, villages, facilities = read_validated_layers(cfg)
    townships = None
    if inp["townships"]:
        townships = _read(inp, "townships")
    if check:
        from .projectcheck import check_project

        check_project(cfg, villages, facilities, townships=townships)

    if inp["osm"]:
        network = network_from_osm(
            inp["osm"],
            modes=net_cfg["modes"],
            profile=net_cfg["profile"] if net_cfg["profile"] != "china" else "osm",
            speeds=net_cfg.get("speeds"),
            use_maxspeed=net_cfg.get("use_maxspeed", True),
            oneway=net_cfg.get("oneway", True),
            crs=cfg["project"]["crs"],
        )
    else:
        network = network_from_roads(
            roads,
            class_column=cols["road_class"],
            oneway_column=cols["oneway"],
            name_column=cols["road_name"],
            speed_column=cols["road_speed"],
            profile=net_cfg["profile"],
            speeds=net_cfg.get("speeds"),
            modes=net_cfg["modes"],
            tolerance_m=net_cfg["tolerance_m"],
            split_crossings=net_cfg["split_crossings"],
            oneway=net_cfg.get("oneway", True),
            crs=cfg["project"]["crs"],
        )
    if net_cfg.get("dem") and "walk" in network.modes:
        from .raster import edge_walk_times

        # slope-aware walking (Tobler): uphill slower than downhill, flat edges unchanged
        times = edge_walk_times(network, net_cfg["dem"], flat_speed_kmh="walk_speed_kmh")
        network = network.with_edge_times("walk", times["walk_fwd_min"], times["walk_bwd_min"])
        network.report["walk_times_from_dem"] = net_cfg["dem"]
    _log.info("%s", network.summary())
    return ProjectInputs(cfg, villages, facilities, network, specs, townships)


def run_project(
    config: str | os.PathLike | Mapping[str, Any],
    *,
    out_dir: str | os.PathLike | None = None,
    n_jobs: int | None = None,
    overwrite: bool | None = None,
) -> RunResult:
    """Run a project end to end: read inputs, build the network, compute per-village layers, write
    the GeoPackage (with QGIS styles), the CSV and the report.

    The outputs are checked before any work (none may be an input or another output; each must be
    writable) and are replaced together at the end, so a failed or interrupted run leaves the
    previous set as it was.

    Parameters
    ----------
    config
        Path of a TOML project file, or an already validated configuration dict
        (:func:`accessibility.config.load_config`).
    out_dir
        Overrides ``[output] folder``.
    overwrite
        Overrides ``[output] overwrite`` (the CLI's ``--overwrite`` / ``--no-overwrite``).
    """
    cfg, (gpkg_path, csv_path, report_path) = _checked_outputs(config, out_dir, overwrite)
    cols = cfg["columns"]

    project = load_project_inputs(cfg, check=True)  # fails before routing, as `check` does
    villages, facilities, network = project.villages, project.facilities, project.network
    specs, ana, net_cfg = project.specs, cfg["analysis"], cfg["network"]
    standards = _standards(cfg)
    layer, costs = accessibility_layer(
        network,
        villages,
        facilities,
        service_column=cols["service"],
        services=specs,
        mode=ana["mode"],
        thresholds_min=ana["thresholds_min"],
        max_time_min=ana["max_time_min"],
        demand=cols["population"],
        supply=cols["capacity"],
        max_snap_m=net_cfg["max_snap_m"],
        connector_speed_kmh=net_cfg["connector_speed_kmh"],
        n_jobs=n_jobs,
        nearest_modes=_standard_modes(
            standards, list(facilities[cols["service"]].astype(str).unique())
        )
        if standards is not None
        else None,
        return_costs=True,
    )
    result = RunResult(
        villages=layer, facilities=facilities, network=network, costs=costs, config=cfg
    )
    _finish_run(
        result,
        cfg,
        specs=specs,
        standards=standards,
        townships=project.townships,
        paths=(gpkg_path, csv_path, report_path),
    )
    return result


def _finish_run(
    result: RunResult,
    cfg: Mapping[str, Any],
    *,
    specs: Mapping[str, Any] | None,
    standards: pd.DataFrame | None,
    townships: gpd.GeoDataFrame | None,
    paths: tuple[Path | None, Path | None, Path | None],
) -> None:
    """Every per-run step after the per-village layer is assembled: catchments, equity (with the
    township summary) and the outputs (GeoPackage, CSV, report). Shared by :func:`run_project` and
    :func:`accessibility.distributed.run_partitioned`, so a step added here reaches both.

    ``result.network`` must be a routable :class:`Network` when ``[catchments] services`` is set.
    ``paths`` are the GeoPackage, CSV and report paths (None = not written).
    """
    dropped = dropped_layer(result.villages, result.facilities)  # what was left out, and why
    if dropped is not None:
        result.extra_layers["dropped"] = dropped
    if cfg["catchments"]["services"]:
        _catchments(result, cfg, specs or {})
    if standards is not None:
        _equity(result, cfg, standards, townships)
    _write_outputs(result, cfg, *paths, standards)


def _checked_outputs(
    config: str | os.PathLike | Mapping[str, Any],
    out_dir: str | os.PathLike | None,
    overwrite: bool | None,
) -> tuple[dict[str, Any], tuple[Path | None, Path | None, Path | None]]:
    """The configuration (``overwrite`` applied) and the GeoPackage, CSV and report paths, checked
    before any work: never over an input or one another, writable (:func:`check_output_paths`)."""
    from ._files import check_output_paths
    from .config import load_config

    cfg = load_config(config) if isinstance(config, str | os.PathLike) else dict(config)
    if overwrite is not None:
        cfg["output"] = {**cfg["output"], "overwrite": bool(overwrite)}
    outc = cfg["output"]
    folder = Path(out_dir) if out_dir is not None else Path(outc["folder"])
    check_output_paths(cfg, folder)
    paths = tuple(folder / outc[k] if outc[k] else None for k in ("geopackage", "csv", "report"))
    return cfg, paths  # type: ignore[return-value]


def _catchments(result: RunResult, cfg: Mapping[str, Any], specs: Mapping[str, Any]) -> None:
    """Catchment polygons, coverage radii and the radius-vs-network comparison ([catchments])."""
    from .catchments import compare_coverage, coverage_radii, network_catchments, population_covered

    cc, cols = cfg["catchments"], cfg["columns"]
    scol = cols["service"]
    fac, villages, net = result.facilities, result.villages, result.network
    present = set(fac[scol].astype(str))
    unknown = [s for s in cc["services"] if s not in present]
    if unknown:
        raise ConfigError(
            f"[catchments] services {unknown} have no facilities; services present: "
            f"{sorted(present)}.{suggest(unknown[0], present)}"
        )
    per_facility, per_service, comparisons = [], [], []
    radii = dict(cc.get("radii_m") or {})
    for s in cc["services"]:
        mode = (specs.get(s) or {}).get("mode") or cfg["analysis"]["mode"]
        these = fac[fac[scol].astype(str) == s]
        kw = {
            "mode": mode,
            "bands_min": cc["bands_min"],
            "rings": cc["rings"],
            "direction": cc["direction"],
            "walk_speed_kmh": cc["walk_speed_kmh"],
            "max_snap_m": cfg["network"]["max_snap_m"],
            "service_column": scol,
            "simplify_m": cc["simplify_m"],
        }
        per_facility.append(network_catchments(net, these, **kw))
        per_service.append(network_catchments(net, these, dissolve=True, **kw))
        band = float(cc["compare_band_min"] or max(cc["bands_min"]))
        outside = (
            ~villages.geometry.within(
                per_service[-1].loc[per_service[-1]["band_min"] == band].geometry.union_all()
            )
            if len(per_service[-1])
            else villages.geometry.notna()
        )
        villages[f"{s}_outside_{threshold_label(band)}min_catchment"] = outside.to_numpy()
        if s in radii:
            comp = compare_coverage(
                villages, these, net, radius_m=float(radii[s]), band_min=band, mode=mode,
                max_snap_m=cfg["network"]["max_snap_m"], walk_speed_kmh=cc["walk_speed_kmh"],
            )  # fmt: skip
            villages[f"{s}_radius_vs_network"] = comp["category"].astype(str).to_numpy()
            comparisons.append(coverage_radii(these, float(radii[s]), service_column=scol))
    crs = villages.crs
    catch = pd.concat(per_facility, ignore_index=True).to_crs(crs)
    by_service = pd.concat(per_service, ignore_index=True).to_crs(crs)
    pop = population_covered(by_service, villages, cols["population"])
    by_service = by_service.merge(
        pop[["service", "band_min", "n_villages", "population"]],
        on=["service", "band_min"],
        how="left",
    )
    result.extra_layers["catchments"] = catch
    result.extra_layers["catchments_by_service"] = by_service
    if comparisons:
        result.extra_layers["coverage_radii"] = pd.concat(comparisons, ignore_index=True).to_crs(
            crs
        )


def _standards(cfg: Mapping[str, Any]) -> pd.DataFrame | None:
    from .standards import load_standards

    name = cfg["equity"]["standards"]
    if not name or name == "none":
        return None
    return load_standards(None if name == "default" else name)


def _standard_modes(standards: pd.DataFrame, services: Sequence[str]) -> dict[str, list[str]]:
    """The travel modes the standards ask for, per service."""
    out: dict[str, list[str]] = {}
    for _, row in standards.iterrows():
        if row.get("unit", "min") != "min":
            continue
        for s in row["services"]:
            if s in services:
                out.setdefault(s, [])
                if row["mode"] not in out[s]:
                    out[s].append(row["mode"])
    return out


def _equity(
    result: RunResult,
    cfg: Mapping[str, Any],
    standards: pd.DataFrame,
    townships: gpd.GeoDataFrame | None,
) -> None:
    """Standards compliance per village and the township summary layer."""
    from .equity import join_units, standards_compliance, unit_summary
    from .projectcheck import applicable_standards

    layer = result.villages
    cols = cfg["columns"]
    result.standards_table = standards
    services = list(result.costs)
    applicable = applicable_standards(standards, services)
    if not len(applicable):
        import warnings

        from .validate import InputWarning

        known = sorted({s for row in standards["services"] for s in row})
        warnings.warn(
            f"no standard applies to the services {services}: the standards table "
            f"([equity] standards = {cfg['equity']['standards']!r}) is written for {known}. "
            "No compliance is computed; to check these services write your own standards file "
            "(accessibility.standards.write_default_standards gives a copy to edit) and set "
            "[equity] standards to its path",
            InputWarning,
            stacklevel=3,
        )
        return
    modes = {m for ms in _standard_modes(applicable, services).values() for m in ms}
    time_column = {m: "{service}_" + m + "_nearest_min" for m in modes}
    compliance = standards_compliance(
        layer, applicable, time_column=time_column, area_type=cols["area_type"], missing="skip"
    )
    meets = [c for c in compliance.columns if c.endswith("_meets")]
    for c in meets:
        layer[c] = compliance[c].astype("boolean")
    for c in compliance.columns:
        if c.endswith("_shortfall_min"):
            layer[c] = compliance[c]
    by = cols["township"]
    if meets and by and by in layer.columns and townships is not None:
        summary = unit_summary(
            layer, compliance, by=by, population=cols["population"], standards=applicable
        )
        units = townships
        if by not in units.columns:
            warn(ResultWarning, _log, "townships layer has no %r column; no summary layer", by)
        else:
            result.townships = join_units(summary, units, on=by)


def _write_outputs(
    result: RunResult,
    cfg: Mapping[str, Any],
    gpkg_path: Path | None,
    csv_path: Path | None,
    report_path: Path | None,
    standards: pd.DataFrame | None = None,
) -> None:
    from ._files import atomic_outputs, inputs_timestamp, output_timestamp
    from .io import write_geopackage, write_table
    from .styles import default_styles

    overwrite = bool(cfg["output"]["overwrite"])
    # an unchanged project written again gives the same bytes (SOURCE_DATE_EPOCH wins)
    timestamp = output_timestamp(inputs_timestamp(cfg))
    layers: dict[str, gpd.GeoDataFrame] = {"villages": result.villages}
    fac = result.facilities.copy()
    layers["facilities"] = fac
    if cfg["output"]["roads"]:
        # speeds per mode (0 = the mode may not use the road); times follow from length and speed
        keep = ["u", "v", "road_class", "name", "oneway", "length_m"]
        keep += [c for c in result.network.edges.columns if c.endswith("_speed_kmh")]
        layers["roads"] = result.network.edges[
            [c for c in keep if c in result.network.edges] + ["geometry"]
        ]
    if result.townships is not None:
        layers["townships"] = result.townships
    layers.update(result.extra_layers)
    crs = result.villages.crs
    layers = {k: (v.to_crs(crs) if v.crs != crs else v) for k, v in layers.items()}
    files: dict[str, Path] = {}
    # every output is written under a temporary name; the set replaces the previous one together
    with atomic_outputs(overwrite=overwrite) as staged:
        if gpkg_path is not None:
            write_geopackage(
                staged.path(gpkg_path),
                layers,
                styles=default_styles(layers),
                overwrite=overwrite,
                timestamp=timestamp,
            )
            files["geopackage"] = gpkg_path
        if csv_path is not None:
            table = pd.DataFrame(result.villages.drop(columns=result.villages.geometry.name))
            write_table(staged.path(csv_path), table.reset_index(), overwrite=overwrite)
            files["csv"] = csv_path
        if report_path is not None and standards is not None:
            _write_report(result, cfg, staged.path(report_path), standards, overwrite)
            files["report"] = report_path
    result.files.update(files)


def _write_report(
    result: RunResult, cfg: Mapping[str, Any], path: Path, standards: pd.DataFrame, overwrite: bool
) -> None:
    from .report import write_report

    cols = cfg["columns"]
    modes = {m for ms in _standard_modes(standards, list(result.costs)).values() for m in ms}
    rank_by = cfg["equity"]["income"]
    write_report(
        path,
        result.villages,
        townships=result.townships,
        title=f"{cfg['project']['name']}: accessibility and equity of public services",
        overwrite=overwrite,
        standards=standards,
        services=list(result.costs),
        time_column="{service}_nearest_min",
        standard_columns={m: "{service}_" + m + "_nearest_min" for m in modes},
        mode=None,
        unit=cols["township"],
        population=cols["population"],
        area_type=cols["area_type"],
        rank_by=rank_by if rank_by in result.villages.columns else None,
    )


def run_demo(out_dir: str | os.PathLike = "demo_output", *, n_jobs: int | None = None) -> RunResult:
    """Run the whole job on the embedded synthetic demo county and write its outputs to ``out_dir``.

    Examples
    --------
    >>> import accessibility as acc
    >>> result = acc.run_demo("demo_output")
    >>> sorted(result.files)
    ['csv', 'geopackage', 'report']
    """
    return run_project(demo_project(), out_dir=out_dir, n_jobs=n_jobs)


def demo_project() -> dict[str, Any]:
    """The validated project configuration of the embedded demo county (``data/demo_project.toml``)."""
    from .config import load_config
    from .datasets import demo_path

    return load_config(demo_path().parent / "demo_project.toml")
