"""Running a project's scenarios and siting end to end: the ``accessibility scenario`` and
``accessibility site`` commands."""

from __future__ import annotations

import logging
import math
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from .._files import atomic_outputs, check_output_paths
from ..costs import travel_costs
from ..errors import ConfigError, MissingColumnError, suggest
from ..io import read_layer, write_table
from ..network import Network
from ..project.config import load_config
from ..project.evaluate import road_mode
from ..project.inputs import load_project_inputs
from ..project.specs import analysis_defaults, service_specs
from ..project.tiers import scenario_tier_columns
from ..snapping import locate
from ..standards import load_standards
from .apply import PlanningInputs
from .compare import standard_thresholds
from .evaluate import ScenarioResult, evaluate_scenario
from .outputs import write_scenario_outputs
from .scenario import is_number, load_scenario, scenario_toml
from .siting import (
    SitingResult,
    equity_covering,
    grid_candidates,
    maximal_covering,
    p_center,
    p_median,
    set_covering,
)

__all__ = ["run_scenario", "run_siting", "scenario_from_sites"]

_log = logging.getLogger(__name__)


@dataclass
class _Project:
    cfg: dict[str, Any]
    inputs: PlanningInputs
    specs: dict[str, dict[str, Any]]
    townships: gpd.GeoDataFrame | None
    standards: Any
    folder: Path


def _load_project(project: str | os.PathLike | Mapping[str, Any]) -> _Project:
    """Read a project's inputs and build its network exactly as :func:`run_project` does."""

    loaded = load_project_inputs(project)
    cfg, net_cfg = loaded.config, loaded.config["network"]
    profile_name = net_cfg["profile"]
    if cfg["input"]["osm"] and profile_name == "china":
        profile_name = "osm"
    inputs = PlanningInputs(
        loaded.network,
        loaded.villages,
        loaded.facilities,
        service_column=cfg["columns"]["service"],
        profile=profile_name,
        speeds=net_cfg.get("speeds"),
        transit=loaded.transit,
    )
    std = cfg.get("equity", {}).get("standards", "default")
    return _Project(
        cfg, inputs, loaded.specs or {}, loaded.townships, std, Path(cfg["output"]["folder"])
    )


def _eval_kwargs(proj: _Project, n_jobs: int | None) -> dict[str, Any]:
    cfg = proj.cfg
    net_cfg, cols = cfg["network"], cfg["columns"]
    return {
        "services": proj.specs or None,
        **analysis_defaults(cfg),
        "standards": proj.standards,
        "area_type": cols.get("area_type") or "area_type",
        "profile": proj.inputs.profile,
        "speeds": proj.inputs.speeds,
        "max_snap_m": net_cfg["max_snap_m"],
        "connector_speed_kmh": net_cfg["connector_speed_kmh"],
        "n_jobs": n_jobs,
        "transit": proj.inputs.transit,
    }


def _slug(text: str) -> str:
    s = re.sub(r"[^\w\-]+", "_", text.strip(), flags=re.U).strip("_")
    return s or "scenario"


def run_scenario(
    project_toml: str | os.PathLike,
    scenario_toml: str | os.PathLike | Mapping[str, Any],
    *,
    out_dir: str | os.PathLike | None = None,
    n_jobs: int | None = None,
    overwrite: bool | None = None,
) -> ScenarioResult:
    """Run a scenario on a project: ``accessibility scenario project.toml scenario.toml``.

    Reads the project's inputs and settings (services, thresholds, standards, speed profile),
    evaluates the scenario (a scenario that changes buses on a project whose services are not by
    bus evaluates by bus the services of the project's bus standards, ``[transit] standards``) (:func:`evaluate_scenario`) and writes
    ``scenario_<name>.gpkg`` (styled layers, see :func:`write_scenario_outputs`) and
    ``scenario_<name>_summary.csv`` to ``out_dir`` (default: the project's output folder), together:
    a failed or interrupted run leaves the previous pair as it was. Outputs that would write over an
    input are refused before any work. ``overwrite`` (default: the project's ``[output]
    overwrite``) says whether existing outputs may be replaced.

    Examples
    --------
    >>> res = run_scenario("data/demo_project.toml",
    ...                    "data/demo_scenarios/a_shimen_health_centre.toml",
    ...                    out_dir="planning_output")  # doctest: +SKIP
    >>> res.summary.loc["health_centre", "population_newly_meeting_standard"]  # doctest: +SKIP
    """

    sc = load_scenario(scenario_toml)
    name = _slug(sc["scenario"]["name"])
    cfg, (gpkg, csv), overwrite = _checked_outputs(
        project_toml,
        out_dir,
        {
            "scenario geopackage": f"scenario_{name}.gpkg",
            "scenario csv": f"scenario_{name}_summary.csv",
        },
        {"the scenario file": scenario_toml},
        overwrite,
    )
    proj = _load_project(cfg)
    inp = proj.inputs
    kw = {**_eval_kwargs(proj, n_jobs), **_by_bus(proj, sc)}
    res = evaluate_scenario(inp.network, inp.villages, inp.facilities, sc, **kw)
    tiered = scenario_tier_columns(inp, res.inputs, proj.cfg)  # [tiers] before/after
    res.villages = res.villages.join(tiered[tiered.columns.difference(res.villages.columns)])
    with atomic_outputs(overwrite=overwrite) as staged:
        write_scenario_outputs(staged.path(gpkg), res, overwrite=overwrite)
        write_table(staged.path(csv), res.summary.reset_index(), overwrite=overwrite)
    res.files["geopackage"] = gpkg
    res.files["csv"] = csv
    return res


def _by_bus(proj: _Project, sc: Mapping[str, Any]) -> dict[str, Any]:
    """A scenario that changes buses, on a project whose services are not by bus: evaluate by bus
    the services its bus standards name (``[transit] standards``), against those standards."""
    from ..project.standards import project_standards
    from ..transit import BUS_ACTIONS

    by_bus = any((spec or {}).get("mode") == "transit" for spec in proj.specs.values())
    if by_bus or not any(sc.get(a) for a in BUS_ACTIONS) or proj.inputs.transit is None:
        return {}
    table = project_standards(proj.cfg)
    if table is None:
        return {}
    rows = table[(table["mode"] == "transit") & (table["unit"] == "min")]
    rows = rows[rows["services"].map(len) == 1]
    limits: dict[str, float] = {}
    for services, thr in zip(rows["services"], rows["threshold"], strict=True):
        limits[services[0]] = min(float(thr), limits.get(services[0], math.inf))
    if not limits:
        return {}
    _log.info("the scenario changes buses: %s evaluated by bus", sorted(limits))
    services = {s: {**(proj.specs.get(s) or {}), "mode": "transit"} for s in limits}
    for spec in services.values():
        spec.pop("measures", None)  # the comparison needs times, not the services' measures
    return {"services": services, "standard_min": limits}


def _checked_outputs(
    project: str | os.PathLike | Mapping[str, Any],
    out_dir: str | os.PathLike | None,
    names: Mapping[str, str],
    inputs: Mapping[str, Any],
    overwrite: bool | None,
) -> tuple[dict[str, Any], list[Path], bool]:
    """The project's configuration, the output paths and the overwrite setting, checked before any
    work: no output over an input or another output, each writable."""

    cfg = load_config(project) if isinstance(project, str | os.PathLike) else dict(project)
    if overwrite is None:
        overwrite = bool(cfg["output"]["overwrite"])
    folder = Path(out_dir) if out_dir is not None else Path(cfg["output"]["folder"])
    paths = {key: folder / name for key, name in names.items()}
    files = {k: v for k, v in inputs.items() if isinstance(v, str | os.PathLike)}
    check_output_paths(cfg, outputs=paths, inputs=files, overwrite=overwrite)
    return cfg, list(paths.values()), overwrite


def scenario_from_sites(
    sites: gpd.GeoDataFrame,
    *,
    service: str,
    name: str = "new sites",
    description: str = "",
    capacity: float | None = None,
    doctors: float | None = None,
    prefix: str = "NEW_",
) -> dict[str, Any]:
    """A scenario adding one facility of ``service`` at each site (e.g. siting results).

    Sites that are villages (a ``village_id`` column or the index of a village layer) are added
    ``at_village``; other points by their ``x``/``y`` in the sites' CRS (which must be the network
    CRS) — the returned dict can be saved with :func:`scenario_toml` and edited.
    """
    entries = []
    for sid, row in sites.iterrows():
        e: dict[str, Any] = {
            "id": f"{prefix}{sid}",
            "service": service,
            "name": f"new {service} {sid}",
        }
        vid = row.get("village_id") if "village_id" in sites.columns else None
        if vid is not None and pd.notna(vid):
            e["at_village"] = str(vid)
        else:
            e["x"], e["y"] = float(row.geometry.x), float(row.geometry.y)
        if capacity is not None:
            e["capacity"] = capacity
        if doctors is not None:
            e["doctors"] = doctors
        entries.append(e)
    return {"scenario": {"name": name, "description": description}, "add_facility": entries}


_OBJECTIVES = {
    "mclp": "maximal_covering",
    "maximal_covering": "maximal_covering",
    "p_median": "p_median",
    "pmedian": "p_median",
    "lscp": "set_covering",
    "set_covering": "set_covering",
    "p_center": "p_center",
    "pcenter": "p_center",
    "equity": "equity_covering",
    "equity_covering": "equity_covering",
}


def run_siting(
    project_toml: str | os.PathLike,
    *,
    service: str,
    objective: str = "mclp",
    p: int = 1,
    candidates: str | os.PathLike | float | gpd.GeoDataFrame = "villages",
    standard_min: float | None = None,
    max_time_min: float | None = None,
    keep_existing: bool = True,
    new_attributes: Mapping[str, Any] | None = None,
    method: str = "exact",
    time_limit_s: float = 60.0,
    group_column: str = "township",
    out_dir: str | os.PathLike | None = None,
    n_jobs: int | None = None,
    overwrite: bool | None = None,
) -> tuple[SitingResult, ScenarioResult]:
    """Where to build next: ``accessibility site project.toml --service ... --objective mclp --p 2``.

    Computes a cost table from every village to the candidate sites and the existing facilities
    of ``service`` (:func:`accessibility.costs.travel_costs`), solves the siting model
    (:mod:`accessibility.siting`) with the existing facilities kept open (``keep_existing``),
    turns the chosen sites into a scenario and evaluates it, so the answer comes with the same
    before/after layers as any scenario. Writes ``site_<service>_<objective>.gpkg`` (new sites as
    big red stars, villages by time saved, the assignment, the summary) and
    ``site_<service>_<objective>.toml`` (the scenario, to edit and re-run with
    :func:`run_scenario`).

    Parameters
    ----------
    project_toml
        The project file.
    service
        Service to site (e.g. ``"health_centre"``).
    objective
        ``"mclp"`` (maximal covering), ``"p_median"``, ``"lscp"`` (set covering), ``"p_center"``
        or ``"equity"`` (max-min share within the standard over ``group_column`` groups).
    p
        Number of new sites (not used by ``"lscp"``).
    candidates
        ``"villages"`` (every village is a candidate), a point layer path, a GeoDataFrame, or a
        number: the spacing in metres of a grid over the townships (or the villages' extent).
        Candidates more than ``max_snap_m`` from a road are dropped.
    standard_min
        The standard for covering models; default: the rural standard of the standards table for
        the service's mode, else the service's largest threshold.
    max_time_min
        Routing limit of the cost table; default the standard for covering models and no limit
        for the p-median and p-center.
    keep_existing
        Keep the existing facilities of the service open (fixed sites).
    new_attributes
        Columns of every new facility in the evaluation, e.g. ``{"doctors": 4, "capacity": 10}``
        (otherwise the new sites add no supply to the 2SFCA columns).
    method, time_limit_s
        ``"exact"`` (MILP, HiGHS) or ``"greedy"``; solver time limit.
    group_column
        Village column of the groups of the equity objective.
    out_dir
        Output folder (default: the project's).
    overwrite
        Replace existing outputs (default: the project's ``[output] overwrite``). Outputs that
        would write over an input are refused before any work; the two files are replaced
        together.

    Returns
    -------
    (SitingResult, ScenarioResult)
        The siting answer and the evaluation of building the new sites.
    """

    key = _OBJECTIVES.get(str(objective).lower())
    if key is None:
        raise ConfigError(
            f"unknown objective {objective!r}; use one of {sorted(set(_OBJECTIVES))}."
            + suggest(str(objective), _OBJECTIVES)
        )
    stem = f"site_{_slug(service)}_{key}"
    cfg, (gpkg, toml_path), overwrite = _checked_outputs(
        project_toml,
        out_dir,
        {"site geopackage": f"{stem}.gpkg", "site scenario file": f"{stem}.toml"},
        {"the candidates layer": candidates if candidates != "villages" else None},
        overwrite,
    )
    proj = _load_project(cfg)
    inp = proj.inputs
    kw = _eval_kwargs(proj, n_jobs)
    spec = _siting_spec(proj, kw, service)
    villages = inp.villages
    if standard_min is None:
        standard_min = _siting_standard(proj, service, spec)
    covering = key in ("maximal_covering", "set_covering", "equity_covering")
    limit = max_time_min if max_time_min is not None else (standard_min if covering else math.inf)
    existing = inp.facilities[inp.facilities[inp.service_column].astype(str) == service]
    cand = _snapped(_candidate_sites(candidates, proj), inp.network, spec["mode"], kw)
    dest = _destinations(cand, existing, villages.crs)
    costs = _siting_costs(inp, villages, dest, spec, limit, kw)
    dcol = spec["demand"] if spec["demand"] in villages.columns else "population"
    demand = pd.to_numeric(villages[dcol], errors="coerce").fillna(0.0).astype(float)
    fixed = list(existing.index) if keep_existing else None
    sres = _solve_siting(
        key,
        costs,
        demand,
        villages,
        p=p,
        standard_min=standard_min,
        group_column=group_column,
        candidates=list(cand.index) + (fixed or []),
        fixed=fixed,
        method=method,
        time_limit_s=time_limit_s,
    )
    scenario = _siting_scenario(
        sres,
        cand,
        service=service,
        stem=stem,
        description=(
            f"{key} for {service}: {len(sres.new_sites)} new site(s), standard "
            f"{standard_min:g} min, objective {sres.objective:.6g} ({sres.status}, gap "
            f"{sres.gap:.3g})"
        ),
        new_attributes=new_attributes or {},
        network_crs=None if _is_villages(candidates) else inp.network.crs,
        villages_crs=villages.crs,
    )
    res = _evaluate_sites(proj, kw, service, scenario, sres)
    with atomic_outputs(overwrite=overwrite) as staged:
        write_scenario_outputs(
            staged.path(gpkg),
            res,
            extra_layers={
                "sites": _site_layer(dest, sres).to_crs(villages.crs),
                "siting_summary": sres.summary().to_frame("value").astype(str).reset_index(),
            },
            overwrite=overwrite,
        )
        staged.path(toml_path).write_text(scenario_toml(scenario), encoding="utf-8")
    res.files["geopackage"] = gpkg
    res.files["scenario"] = toml_path
    return sres, res


def _route_kwargs(kw: Mapping[str, Any]) -> dict[str, Any]:
    return {k: kw[k] for k in ("max_snap_m", "connector_speed_kmh", "n_jobs")}


def _evaluate_sites(
    proj: _Project,
    kw: Mapping[str, Any],
    service: str,
    scenario: Mapping[str, Any],
    sres: SitingResult,
) -> ScenarioResult:
    """The scenario of the new sites evaluated, with the siting assignment per village."""
    inp = proj.inputs
    services = {service: proj.specs.get(service, {})} if proj.specs else [service]
    res = evaluate_scenario(
        inp.network, inp.villages, inp.facilities, scenario, **{**kw, "services": services}
    )
    assign = sres.assignment.drop(columns=["demand"]).add_prefix("siting_")
    assign["siting_site"] = assign["siting_site"].astype(object)
    res.villages = res.villages.join(assign)
    return res


def _is_villages(candidates: Any) -> bool:
    return isinstance(candidates, str) and candidates == "villages"


def _siting_spec(proj: _Project, kw: Mapping[str, Any], service: str) -> dict[str, Any]:
    """The spec of the service to site, as the project sets it."""
    inp = proj.inputs
    specs = service_specs(
        inp.facilities,
        [service] if not proj.specs else {service: proj.specs.get(service, {})},
        service_column=inp.service_column,
        mode=kw["mode"],
        thresholds_min=kw["thresholds_min"],
        max_time_min=kw["max_time_min"],
        demand=kw["demand"],
        supply=kw["supply"],
        transit=kw.get("transit"),
    )
    return specs[service]


def _siting_standard(proj: _Project, service: str, spec: Mapping[str, Any]) -> float:
    """The rural standard of the standards table for the service's mode, else its largest
    threshold."""
    std = proj.standards
    table = load_standards(None if std == "default" else std) if std is not None else None
    thr, _ = standard_thresholds(
        proj.inputs.villages.assign(_a="rural"),
        service,
        spec["mode"],
        table,
        area_type="_a",
        override={},
    )
    standard_min = float(thr.iloc[0]) if thr.notna().any() else float(max(spec["thresholds_min"]))
    _log.info("siting %s: standard %g min", service, standard_min)
    return standard_min


def _candidate_sites(candidates: Any, proj: _Project) -> gpd.GeoDataFrame:
    """The candidate sites in the villages' CRS, indexed ``cand_<id>``."""
    villages = proj.inputs.villages
    if _is_villages(candidates):
        cand = villages[[villages.geometry.name]].copy()
        cand["village_id"] = villages.index
    elif isinstance(candidates, gpd.GeoDataFrame):
        cand = candidates.copy()
    elif is_number(candidates):
        area = proj.townships
        if area is None:
            area = gpd.GeoDataFrame(
                geometry=[villages.union_all().convex_hull.buffer(1000)], crs=villages.crs
            )
        cand = grid_candidates(area, spacing_m=float(candidates))
    else:
        cand = read_layer(candidates)
        for c in ("candidate_id", "id", "site_id"):
            if c in cand.columns:
                cand = cand.set_index(c)
                break
    if cand.crs != villages.crs:
        cand = cand.to_crs(villages.crs)
    cand.index = pd.Index([f"cand_{i}" for i in cand.index], name="candidate_id")
    return cand


def _siting_costs(
    inp: PlanningInputs,
    villages: gpd.GeoDataFrame,
    dest: gpd.GeoDataFrame,
    spec: Mapping[str, Any],
    limit: float,
    kw: Mapping[str, Any],
) -> pd.DataFrame:
    """Villages -> sites: over the roads, or by bus (``mode = "transit"``: the search of
    :func:`accessibility.transit.transit_costs`, within the limit or the setup's
    ``max_time_min``)."""
    if spec["mode"] != "transit":
        return travel_costs(
            inp.network, villages, dest, mode=spec["mode"], max_time_min=limit, **_route_kwargs(kw)
        )
    from ..transit import transit_costs

    setup = spec.get("transit")
    if setup is None:
        raise ConfigError("siting by bus needs the project's [transit] section (a line table)")
    reach = min(limit, setup.max_time_min)
    return transit_costs(
        inp.network, villages, dest, setup, pupils=bool(spec.get("pupils")), max_time_min=reach,
        **_route_kwargs(kw),
    )  # fmt: skip


def _snapped(
    cand: gpd.GeoDataFrame, network: Network, mode: str, kw: Mapping[str, Any]
) -> gpd.GeoDataFrame:
    """The candidates within ``max_snap_m`` of a road usable by ``mode``."""
    loc = locate(
        network,
        cand,
        mode=road_mode(mode),
        max_snap_m=kw["max_snap_m"],
        connector_speed_kmh=kw["connector_speed_kmh"],
        what="candidates",
    )
    dropped = int((~loc["snapped"]).sum())
    if dropped:
        _log.info("%d candidate(s) are off the road network and were dropped", dropped)
    return cand[loc["snapped"].to_numpy()]


def _destinations(cand: gpd.GeoDataFrame, existing: gpd.GeoDataFrame, crs: Any) -> gpd.GeoDataFrame:
    """Candidates and existing facilities as one point layer indexed by ``site``."""
    dest = pd.concat(
        [
            gpd.GeoDataFrame(geometry=cand.geometry.to_numpy(), index=cand.index, crs=cand.crs),
            gpd.GeoDataFrame(
                geometry=existing.geometry.to_crs(crs).to_numpy(), index=existing.index, crs=crs
            ),
        ]
    ).rename_axis("site")
    return gpd.GeoDataFrame(dest, geometry="geometry", crs=crs)


def _solve_siting(
    key: str,
    costs: pd.DataFrame,
    demand: pd.Series,
    villages: gpd.GeoDataFrame,
    *,
    p: int,
    standard_min: float,
    group_column: str,
    **common: Any,
) -> SitingResult:
    """Solve the siting model named ``key``."""
    if key == "maximal_covering":
        return maximal_covering(costs, demand, p=p, standard_min=standard_min, **common)
    if key == "p_median":
        return p_median(costs, demand, p=p, **common)
    if key == "set_covering":
        return set_covering(costs, demand, standard_min=standard_min, **common)
    if key == "p_center":
        return p_center(costs, demand, p=p, **common)
    if group_column not in villages.columns:
        raise MissingColumnError(
            f"villages have no group column {group_column!r}.{suggest(group_column, villages.columns)}"
        )
    return equity_covering(
        costs, demand, villages[group_column], p=p, standard_min=standard_min, **common
    )


def _siting_scenario(
    sres: SitingResult,
    cand: gpd.GeoDataFrame,
    *,
    service: str,
    stem: str,
    description: str,
    new_attributes: Mapping[str, Any],
    network_crs: Any,
    villages_crs: Any,
) -> dict[str, Any]:
    """The scenario adding the new sites (x/y of sites that are not villages in the network's
    CRS when ``network_crs`` is given)."""
    sites = cand.loc[list(sres.new_sites)].copy()
    sites.index = pd.Index([str(i)[len("cand_") :] for i in sites.index], name="site")
    scenario = scenario_from_sites(sites, service=service, name=stem, description=description)
    for e in scenario["add_facility"]:
        for k, v in new_attributes.items():
            if k in ("capacity", "doctors", "teachers", "name", "township"):
                e[k] = v
            elif k not in ("id", "service"):
                e.setdefault("attributes", {})[k] = v
    if network_crs is not None:  # x/y of non-village sites are in the villages' CRS
        for e in scenario["add_facility"]:
            if "x" in e:
                pt = gpd.GeoSeries([shapely.Point(e["x"], e["y"])], crs=villages_crs).to_crs(
                    network_crs
                )
                e["x"], e["y"] = float(pt.x.iloc[0]), float(pt.y.iloc[0])
    return scenario


def _site_layer(dest: gpd.GeoDataFrame, sres: SitingResult) -> gpd.GeoDataFrame:
    """The open sites (new and existing) with the population each serves."""
    new_ids = set(sres.new_sites)
    layer = dest.loc[[*sres.selected]].copy()
    layer["status"] = ["new" if s in new_ids else "existing" for s in layer.index]
    layer["change"] = np.where(layer["status"] == "new", "added", "unchanged")
    layer["served_population"] = (
        sres.assignment.groupby("site")["demand"].sum().reindex(layer.index).fillna(0.0)
    )
    return layer
