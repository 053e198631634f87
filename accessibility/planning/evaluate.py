"""Evaluating a scenario: the baseline and the scenario per service, recomputing only what changed.

Every evaluation calls the one per-service evaluation
(:func:`accessibility.project.evaluate.evaluate_service`).

What is recomputed
------------------
------------------
* Facility changes re-route only the services whose facilities changed. For an **added** facility
  one search from the new facility is enough: the new nearest time is ``min(old, new)``. For a
  **closed** (or merged-away) facility, the villages whose nearest facility it was get a new
  nearest-facility search (the other villages keep theirs, the cost table loses the closed
  facility's rows). **Capacity** changes need no routing at all.
* Road changes (``change_road_speed``, ``add_road``) change travel times everywhere, so every
  service is re-routed on the new network.

"""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import geopandas as gpd
import numpy as np
import pandas as pd

from ..network import Network
from ..project.evaluate import evaluate_service, nearest_facility, road_mode
from ..project.specs import service_specs
from ..snapping import CONNECTOR_SPEED_KMH, MAX_SNAP_M, SnapOptions, locate
from ..standards import load_standards
from .apply import PlanningInputs, apply_scenario
from .compare import (
    State,
    catchment,
    compare_service,
    facility_change_layer,
    road_change_layer,
    standard_thresholds,
)

if TYPE_CHECKING:
    from ..transit.project import TransitSetup

__all__ = ["ScenarioResult", "compare_scenarios", "evaluate_scenario"]

_log = logging.getLogger(__name__)


def _empty_state(index: pd.Index) -> State:
    return State(
        pd.Series(np.inf, index=index),
        pd.Series(None, index=index, dtype=object),
        pd.Series(np.inf, index=index),
        pd.DataFrame({"origin": [], "destination": [], "travel_time_min": [], "distance_m": []}),
        None,
    )


def _supply_of(fac_s: pd.DataFrame, spec: Mapping[str, Any]) -> pd.Series | None:
    col = spec.get("supply")
    if not col or col not in fac_s.columns:
        return None
    return pd.to_numeric(fac_s[col], errors="coerce").fillna(0.0).astype(float)


def _set_nearest(state: State, near: pd.DataFrame) -> None:
    """Set the nearest facility of the villages of ``near`` (:func:`nearest_facility`)."""
    idx = near.index
    state.nearest_min.loc[idx] = near["nearest_min"].fillna(np.inf).to_numpy(np.float64)
    state.nearest_id.loc[idx] = near["nearest_id"].to_numpy(object)
    state.nearest_m.loc[idx] = near["nearest_m"].fillna(np.inf).to_numpy(np.float64)


class _Router:
    """Located villages per mode for one network, and the evaluations of the services on it."""

    def __init__(
        self,
        network: Network,
        villages: gpd.GeoDataFrame,
        *,
        max_snap_m: float,
        connector_speed_kmh: float,
        n_jobs: int | None,
    ) -> None:
        self.network = network
        self.villages = villages
        self.opts: SnapOptions = {
            "max_snap_m": max_snap_m,
            "connector_speed_kmh": connector_speed_kmh,
        }
        self.n_jobs = n_jobs
        self._lv: dict[str, pd.DataFrame] = {}

    def lv(self, mode: str) -> pd.DataFrame:
        if mode not in self._lv:
            self._lv[mode] = locate(
                self.network, self.villages, mode=road_mode(mode), what="villages", **self.opts
            )
        return self._lv[mode]

    def evaluate(self, s: str, fac: gpd.GeoDataFrame, spec: Mapping[str, Any]) -> State:
        """The service evaluated for every village (:func:`evaluate_service`) as a state."""
        # the before/after comparison needs the nearest facility and the cost table, not the
        # measures of the spec; supply is read by _supply_of (missing values count as none)
        ev = evaluate_service(
            self.network,
            self.villages,
            fac,
            {**spec, "measures": [], "supply": None},
            name=s,
            located_villages=self.lv(spec["mode"]),
            n_jobs=self.n_jobs,
            **self.opts,
        )
        st = _empty_state(self.villages.index)
        _set_nearest(st, ev.nearest)
        st.costs = ev.costs
        return st

    def full(self, s: str, fac_s: gpd.GeoDataFrame, spec: Mapping[str, Any]) -> State:
        if len(fac_s) == 0:
            st = _empty_state(self.villages.index)
        else:
            st = self.evaluate(s, fac_s, spec)
        st.supply = _supply_of(fac_s, spec)
        return st

    def incremental(
        self,
        s: str,
        base: State,
        fac_after: gpd.GeoDataFrame,
        added: Sequence[Any],
        closed: Sequence[Any],
        spec: Mapping[str, Any],
    ) -> tuple[State, str]:
        st = base.copy()
        st.supply = _supply_of(fac_after, spec)
        m = spec["mode"]
        notes = []
        if closed:
            st.costs = st.costs[~st.costs["destination"].isin(closed)].reset_index(drop=True)
            hit = st.nearest_id.isin(closed)
            st.nearest_min[hit] = np.inf
            st.nearest_id[hit] = None
            st.nearest_m[hit] = np.inf
            remaining = fac_after.drop(index=list(added))
            if hit.any() and len(remaining):
                lv = self.lv(m).loc[hit.to_numpy()]
                _set_nearest(st, nearest_facility(self.network, lv, remaining, mode=m, **self.opts))
            notes.append(
                f"closed {len(closed)}: nearest search again for the {int(hit.sum())} village(s) "
                "they served"
            )
        if added:
            new = self.evaluate(s, fac_after.loc[list(added)], spec)
            better = new.nearest_min < st.nearest_min
            st.nearest_min[better] = new.nearest_min[better]
            st.nearest_id[better] = new.nearest_id[better]
            st.nearest_m[better] = new.nearest_m[better]
            if len(new.costs):
                st.costs = pd.concat([st.costs, new.costs], ignore_index=True)
            notes.append(f"added {len(added)}: routed from the new facilities only")
        if not notes:
            notes.append("supply changed only: no routing")
        return st, "incremental (" + "; ".join(notes) + ")"


@dataclass
class _Baseline:
    network: Network
    villages: gpd.GeoDataFrame
    facilities: gpd.GeoDataFrame
    specs: dict[str, dict[str, Any]]
    # (service, mode, max_time_min, supply column) -> the service's state before any change
    states: dict[tuple[str, Any, Any, Any], State] = field(default_factory=dict)

    def matches(self, network: Network, villages: pd.DataFrame, facilities: pd.DataFrame) -> bool:
        return (
            network is self.network
            and villages.index.equals(self.villages.index)
            and facilities.index.equals(self.facilities.index)
            and facilities.equals(self.facilities)
        )


@dataclass
class ScenarioResult:
    """What a scenario changes.

    Attributes
    ----------
    name
        The scenario's name.
    villages
        Per-village before/after layer (a copy of the villages with, per evaluated service ``s``:
        ``{s}_nearest_id_before/_after``, ``{s}_nearest_min_before/_after`` (NaN =
        unreachable), ``{s}_reachable_before/_after``, ``{s}_saved_min`` (before - after;
        NaN when unreachable before or after), ``{s}_newly_within_{t}min`` and
        ``{s}_lost_within_{t}min`` per threshold, ``{s}_standard_min``,
        ``{s}_meets_standard_before/_after``, ``{s}_newly_meets_standard``,
        ``{s}_loses_standard`` and, when the service has a supply column, ``{s}_2sfca_before``,
        ``{s}_2sfca_after``, ``{s}_2sfca_change`` (supply per 1,000 people)).
    summary
        One row per evaluated service (see :func:`evaluate_scenario`).
    equity
        Inequality indices of the nearest time before and after: one row per (service, group,
        index) with ``before``, ``after``, ``change``.
    facilities
        The facilities after the scenario plus the closed ones, with a ``change`` column
        (``added``, ``closed``, ``merged_away``, ``merged_into``, ``capacity_changed`` or
        ``unchanged``).
    roads
        Changed and new network edges with ``change`` (``new``/``speed``) and the speed before
        and after per mode, or None when the roads did not change.
    recomputed
        Service -> what was recomputed and how.
    inputs
        The inputs after the scenario (for chaining scenarios).
    files
        Files written by :func:`write_scenario_outputs` / :func:`run_scenario`.
    """

    name: str
    villages: gpd.GeoDataFrame
    summary: pd.DataFrame
    equity: pd.DataFrame
    facilities: gpd.GeoDataFrame
    roads: gpd.GeoDataFrame | None
    recomputed: dict[str, str]
    inputs: PlanningInputs
    description: str = ""
    baseline: Any = field(default=None, repr=False)
    files: dict[str, Path] = field(default_factory=dict)

    def __repr__(self) -> str:
        return (
            f"<ScenarioResult {self.name!r}: services {list(self.summary.index)}, "
            f"{len(self.villages)} villages>"
        )


def evaluate_scenario(
    network: Network,
    villages: gpd.GeoDataFrame,
    facilities: gpd.GeoDataFrame,
    scenario: str | os.PathLike | Mapping[str, Any],
    *,
    services: Mapping[str, Mapping[str, Any]] | Sequence[str] | None = None,
    service_column: str = "service",
    mode: str = "car",
    thresholds_min: Sequence[float] = (15, 30, 60),
    max_time_min: float | None = None,
    demand: str = "population",
    supply: str | None = "capacity",
    standards: Any = "default",
    standard_min: Mapping[str, float] | None = None,
    catchment_min: float | Mapping[str, float] | None = None,
    area_type: str = "area_type",
    profile: Any = "china",
    speeds: Mapping[str, Mapping[str, float]] | None = None,
    max_snap_m: float = MAX_SNAP_M,
    connector_speed_kmh: float = CONNECTOR_SPEED_KMH,
    n_jobs: int | None = None,
    baseline: Any = None,
    transit: TransitSetup | None = None,
) -> ScenarioResult:
    """Evaluate a scenario: before/after nearest times, coverage and equity, recomputing only what
    changed.

    The baseline (every service's nearest facility and cost table) is computed once (or taken
    from ``baseline=``, e.g. ``result.baseline`` of an earlier scenario on the same inputs). Then
    only the services whose facilities changed are re-routed, and only from the changed
    facilities (see the module documentation); road changes re-route every service on the new
    network. Exactly the same numbers as a full recomputation (tests check this).

    Definitions (``s`` a service, ``w`` the service's demand column, e.g. ``pop_school_age`` for
    schools):

    * time saved ``= nearest_before - nearest_after`` in minutes (negative = worse);
    * *newly within t*: ``nearest_before > t`` (or unreachable) and ``nearest_after <= t``;
    * the standard is the row of the standards table named ``s`` whose area type fits the
      village and whose mode is the service's mode (``standard_min`` overrides it per service);
    * 2SFCA supply per 1,000 people with a step catchment of ``catchment_min`` minutes (default:
      the ``2sfca`` measure's ``catchment_min`` of the service spec, else its ``max_time_min``);
    * inequality of the nearest time, weighted by ``w``: Gini, coefficient of variation, Theil T
      (:mod:`accessibility.equity`), overall and per ``area_type``; unreachable villages count
      at the cap ``max(max_time_min, largest finite time)``, the same before and after.

    Parameters
    ----------
    network, villages, facilities
        The current inputs (not modified).
    scenario
        A scenario file or dict (:func:`load_scenario`).
    services, service_column, mode, thresholds_min, max_time_min, demand, supply
        As in :func:`accessibility.pipeline.accessibility_layer` (per-service specs).
    standards
        ``"default"`` (the built-in table), a standards table or TOML path
        (:func:`accessibility.standards.load_standards`), or None for no standard.
    standard_min
        ``{service: minutes}``: one standard for every village, replacing the table's.
    catchment_min
        2SFCA catchment in minutes (a number or ``{service: minutes}``).
    area_type
        Village column with urban/rural, for standards and the equity groups.
    profile, speeds
        Speed profile for added roads.
    max_snap_m, connector_speed_kmh, n_jobs
        See :func:`accessibility.costs.travel_costs`.
    baseline
        ``result.baseline`` of an earlier evaluation on the same network, villages and
        facilities, to skip recomputing the baseline.
    transit
        The :class:`~accessibility.transit.TransitSetup` of services by bus (``mode =
        "transit"``); the bus actions (``[[change_headway]]``, ``[[add_run]]``,
        ``[[add_line]]``, ``[[extend_line]]``) change its line table. Services by bus are
        evaluated in full before and after (no incremental shortcut).

    Returns
    -------
    ScenarioResult
        ``summary`` (index = service) has ``recomputed``, ``n_facilities_before/_after``,
        ``villages_improved``, ``villages_worse``, ``population_improved``,
        ``population_worse``, ``mean_saved_min`` (population-weighted over villages reachable
        before and after), ``mean_saved_min_improved``, ``max_saved_min``, ``max_lost_min``,
        ``mean_nearest_min_before/_after``, ``population_newly_within_{t}min`` and
        ``population_lost_within_{t}min`` per threshold, ``standard``,
        ``villages_newly_meeting_standard``, ``population_newly_meeting_standard``,
        ``population_losing_standard``, ``standard_coverage_before/_after`` (population share
        meeting the standard among those it applies to), ``mean_2sfca_before/_after`` and
        ``gini``/``cv``/``theil_t`` ``_before/_after``.

    Examples
    --------
    >>> import accessibility as acc
    >>> demo = acc.load_demo()
    >>> net = acc.network_from_roads(demo.roads, tolerance_m=2.5)
    >>> res = evaluate_scenario(net, demo.villages, demo.facilities,
    ...     {"add_facility": {"id": "HC_NEW", "service": "health_centre", "at_village": "V300",
    ...                       "doctors": 5}}, services=["health_centre"])
    >>> bool((res.villages["health_centre_saved_min"] >= 0).all())
    True
    """
    inputs = PlanningInputs(
        network, villages, facilities, service_column=service_column, profile=profile,
        speeds=speeds, transit=transit,
    )  # fmt: skip
    after = apply_scenario(inputs, scenario)
    ch = after.changes
    sc = ch["scenario"]
    both = pd.concat([facilities[[service_column]], after.facilities[[service_column]]])
    specs = service_specs(
        both, services, service_column=service_column, mode=mode,
        thresholds_min=thresholds_min, max_time_min=max_time_min, demand=demand, supply=supply,
        transit=transit,
    )  # fmt: skip
    evaluated, touched, ignored = _services_to_evaluate(ch, specs)
    table = _standards_table(standards)
    base = _baseline_for(baseline, network, villages, facilities, specs)
    router = _Router(
        network,
        villages,
        max_snap_m=max_snap_m,
        connector_speed_kmh=connector_speed_kmh,
        n_jobs=n_jobs,
    )
    routers = (
        router,
        _Router(
            after.network,
            villages,
            max_snap_m=max_snap_m,
            connector_speed_kmh=connector_speed_kmh,
            n_jobs=n_jobs,
        )
        if ch["network_changed"]
        else router,
    )
    out: dict[str, Any] = {}
    rows, eq_rows, recomputed = {}, [], {}
    for s in evaluated:
        fb = facilities[facilities[service_column].astype(str) == s]
        fa = after.facilities[after.facilities[service_column].astype(str) == s]
        b, a, how = _before_after(s, specs[s], base, routers, fb, fa, ch, after.transit)
        recomputed[s] = how
        _log.info("scenario %r, %s: %s", sc["scenario"]["name"], s, how)
        limit = catchment(specs[s], catchment_min, s)
        row, eq = _compare(
            s,
            specs[s],
            b,
            a,
            villages,
            out,
            catchment_min=limit,
            area_type=area_type,
            standard_min=standard_min or {},
            table=table,
        )
        rows[s] = {"recomputed": how, "n_facilities_before": len(fb), "n_facilities_after": len(fa)}
        rows[s].update(row)
        eq_rows += eq
    for s in touched - set(evaluated) - set(ignored):
        recomputed[s] = "unchanged"
    return ScenarioResult(
        name=sc["scenario"]["name"],
        description=sc["scenario"]["description"],
        villages=_with_columns(villages, out),
        summary=pd.DataFrame.from_dict(rows, orient="index").rename_axis("service"),
        equity=pd.DataFrame(
            eq_rows, columns=["service", "group", "index", "before", "after", "change"]
        ),
        facilities=facility_change_layer(facilities, after.facilities, ch["facility_change"]),
        roads=road_change_layer(network, after.network, ch["edge_change"])
        if ch["network_changed"]
        else None,
        recomputed=recomputed,
        inputs=after,
        baseline=base,
    )


def _with_columns(villages: gpd.GeoDataFrame, out: Mapping[str, Any]) -> gpd.GeoDataFrame:
    """A copy of the villages with the columns of ``out``."""
    layer = villages.copy()
    if out:
        layer = pd.concat([layer, pd.DataFrame(out, index=villages.index)], axis=1)
        layer = gpd.GeoDataFrame(layer, geometry=villages.geometry.name, crs=villages.crs)
    return layer


def _compare(
    s: str,
    spec: Mapping[str, Any],
    before: State,
    after: State,
    villages: gpd.GeoDataFrame,
    out: dict[str, Any],
    *,
    table: pd.DataFrame | None,
    area_type: str,
    standard_min: Mapping[str, float],
    catchment_min: float,
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """The comparison of service ``s`` before and after, against its standard."""
    thr, note = standard_thresholds(
        villages, s, spec["mode"], table, area_type=area_type, override=standard_min
    )
    return compare_service(
        s,
        spec,
        before,
        after,
        villages,
        thr,
        note,
        out,
        area_type=area_type,
        catchment_min=catchment_min,
    )


def _standards_table(standards: Any) -> pd.DataFrame | None:
    if standards is None:
        return None
    return load_standards(
        None if isinstance(standards, str) and standards == "default" else standards
    )


def _services_to_evaluate(
    ch: Mapping[str, Any], specs: Mapping[str, Any]
) -> tuple[list[str], set[str], list[str]]:
    """The services to evaluate, the services whose facilities the scenario changes and those of
    them that are not evaluated."""
    touched = set(ch["added"]) | set(ch["closed"]) | set(ch["supply_changed"])
    touched = {
        s
        for s in touched
        if ch["added"].get(s) or ch["closed"].get(s) or ch["supply_changed"].get(s)
    }
    ignored = sorted(touched - set(specs))
    if ignored:
        _log.warning(
            "the scenario changes %s facilities, which are not among the evaluated services %s",
            ignored,
            list(specs),
        )
    evaluated = list(specs) if ch["network_changed"] else [s for s in specs if s in touched]
    if ch.get("transit_changed"):  # new buses change every service by bus
        evaluated += [s for s in specs if specs[s]["mode"] == "transit" and s not in evaluated]
    if not evaluated:
        _log.warning(
            "scenario %r changes nothing that is evaluated", ch["scenario"]["scenario"]["name"]
        )
    return evaluated, touched, ignored


def _baseline_for(
    baseline: Any,
    network: Network,
    villages: gpd.GeoDataFrame,
    facilities: gpd.GeoDataFrame,
    specs: dict[str, dict[str, Any]],
) -> _Baseline:
    """``baseline`` when it was computed on these inputs, else a new (empty) one."""
    if isinstance(baseline, _Baseline) and baseline.matches(network, villages, facilities):
        return baseline
    if baseline is not None:
        _log.warning("baseline= was computed on other inputs; computing a new baseline")
    return _Baseline(network, villages, facilities, specs)


def _before_after(
    s: str,
    spec: Mapping[str, Any],
    base: _Baseline,
    routers: Sequence[_Router],
    fb: gpd.GeoDataFrame,
    fa: gpd.GeoDataFrame,
    ch: Mapping[str, Any],
    transit_after: Any = None,
) -> tuple[State, State, str]:
    """Service ``s`` before (from the baseline, computed once) and after the scenario, and how
    the after state was computed."""
    key = (s, spec["mode"], spec["max_time_min"], spec.get("supply"))
    if key not in base.states:
        base.states[key] = routers[0].full(s, fb, spec)
        _log.info("baseline %s: routed from %d facilities", s, len(fb))
    b = base.states[key]
    if spec["mode"] == "transit":
        router = routers[1] if ch["network_changed"] else routers[0]
        a = router.full(s, fa, {**spec, "transit": transit_after or spec.get("transit")})
        lines = ch.get("bus_lines_changed") or []
        how = f"full (by bus{'; lines changed: ' + ', '.join(lines) if lines else ''})"
    elif ch["network_changed"]:
        a = routers[1].full(s, fa, spec)
        how = f"full (roads changed): routed from all {len(fa)} facilities on the new network"
    else:
        added, closed = ch["added"].get(s, []), ch["closed"].get(s, [])
        a, how = routers[0].incremental(s, b, fa, added, closed, spec)
    return b, a, how


def compare_scenarios(
    network: Network,
    villages: gpd.GeoDataFrame,
    facilities: gpd.GeoDataFrame,
    scenarios: Mapping[str, Any] | Sequence[Any],
    **kwargs: Any,
) -> tuple[pd.DataFrame, dict[str, ScenarioResult]]:
    """Evaluate several scenarios on the same inputs (the baseline is computed once).

    Parameters
    ----------
    scenarios
        ``{label: scenario}`` or a list of scenario files/dicts (labelled by their names).
    **kwargs
        Options of :func:`evaluate_scenario`.

    Returns
    -------
    (DataFrame, dict)
        The summaries stacked with a ``(scenario, service)`` index, and the results by label.
    """
    items = (
        list(scenarios.items())
        if isinstance(scenarios, Mapping)
        else [(None, s) for s in scenarios]
    )
    results: dict[str, ScenarioResult] = {}
    baseline = kwargs.pop("baseline", None)
    for label, sc in items:
        res = evaluate_scenario(network, villages, facilities, sc, baseline=baseline, **kwargs)
        baseline = res.baseline
        results[label or res.name] = res
    parts = [r.summary.assign(scenario=k) for k, r in results.items()]
    table = (
        pd.concat(parts).reset_index().set_index(["scenario", "service"])
        if parts
        else pd.DataFrame()
    )
    return table, results
