"""The steps of a run after the per-village layer: catchments, equity (standards compliance and the
township summary), then the outputs (:func:`finish_run`, shared by every kind of run)."""

from __future__ import annotations

import logging
import warnings
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import geopandas as gpd
import pandas as pd

from ..catchments import (
    compare_coverage,
    coverage_radii,
    network_catchments_and_dissolved,
    population_covered,
)
from ..equity import join_units, standards_compliance, unit_summary
from ..errors import ConfigError, ResultWarning, suggest, warn
from ..validate import InputWarning
from .check import applicable_standards
from .evaluate import threshold_label
from .layer import dropped_layer
from .outputs import write_outputs
from .result import RunResult
from .standards import standard_modes
from .tiers import tier_step

__all__ = ["finish_run"]

_log = logging.getLogger(__name__)


def finish_run(
    result: RunResult,
    cfg: Mapping[str, Any],
    *,
    specs: Mapping[str, Any] | None,
    standards: pd.DataFrame | None,
    townships: gpd.GeoDataFrame | None,
    paths: tuple[Path | None, Path | None, Path | None],
    folder: Path | None = None,
) -> None:
    """Every per-run step after the per-village layer is assembled: catchments, equity (with the
    township summary) and the outputs (GeoPackage, CSV, report). Shared by :func:`run_project` and
    :func:`accessibility.project.dask.run_partitioned`, so a step added here reaches both.

    ``result.network`` must be a routable :class:`Network` when ``[catchments] services`` is set.
    ``paths`` are the GeoPackage, CSV and report paths (None = not written); ``folder`` is the
    output folder of ``[output] parquet`` / ``county_geopackages`` / ``county_summary`` (default
    ``[output] folder``).
    """
    dropped = dropped_layer(result.villages, result.facilities)  # what was left out, and why
    if dropped is not None:
        result.extra_layers["dropped"] = dropped
    if getattr(result, "transit", None) is not None:  # bus_lines and bus_stops, styled
        from ..transit import transit_layers

        result.extra_layers.update(transit_layers(result.transit))
    if cfg["catchments"]["services"]:
        _catchments(result, cfg, specs or {})
    if standards is not None:
        _equity(result, cfg, standards, townships)
    tier_step(result, cfg, specs, townships)  # [tiers], [audit], [indicators]
    write_outputs(result, cfg, *paths, standards)
    if any(cfg["output"].get(k) for k in ("parquet", "county_geopackages", "county_summary")):
        _national_outputs(result, cfg, specs, folder)


def _national_outputs(
    result: RunResult, cfg: Mapping[str, Any], specs: Mapping[str, Any] | None, folder: Path | None
) -> None:
    """GeoParquet, per-county GeoPackages and the county summary (accessibility.project.parquet)."""
    from .parquet import write_partitioned_outputs
    from .specs import analysis_defaults, service_specs

    full = service_specs(result.facilities, specs, **analysis_defaults(cfg))
    written = write_partitioned_outputs(
        result.villages,
        cfg,
        folder if folder is not None else Path(cfg["output"]["folder"]),
        {s: spec["thresholds_min"] for s, spec in full.items()},
    )
    result.files.update(written)


def _catchments(result: RunResult, cfg: Mapping[str, Any], specs: Mapping[str, Any]) -> None:
    """Catchment polygons, coverage radii and the radius-vs-network comparison ([catchments])."""

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
            "thresholds_min": cc["thresholds_min"],
            "rings": cc["rings"],
            "direction": cc["direction"],
            "walk_speed_kmh": cc["walk_speed_kmh"],
            "max_snap_m": cfg["network"]["max_snap_m"],
            "service_column": scol,
            "simplify_m": cc["simplify_m"],
        }
        if mode == "transit":  # by bus: stops reached in time plus the remaining walk
            from ..transit import transit_catchments

            tkw = {"thresholds_min": cc["thresholds_min"], "service_column": scol,
                   "pupils": bool((specs.get(s) or {}).get("pupils"))}  # fmt: skip
            per_facility.append(transit_catchments(net, these, result.transit, **tkw))
            per_service.append(transit_catchments(net, these, result.transit, dissolve=True, **tkw))
        else:
            each, union = network_catchments_and_dissolved(net, these, **kw)
            per_facility.append(each)
            per_service.append(union)
        band = float(cc["compare_band_min"] or max(cc["thresholds_min"]))
        outside = (
            ~villages.geometry.within(
                per_service[-1].loc[per_service[-1]["band_min"] == band].geometry.union_all()
            )
            if len(per_service[-1])
            else villages.geometry.notna()
        )
        villages[f"{s}_outside_{threshold_label(band)}min_catchment"] = outside.to_numpy()
        if s in radii and mode != "transit":
            comp = compare_coverage(
                net, villages, these, radius_m=float(radii[s]), standard_min=band, mode=mode,
                max_snap_m=cfg["network"]["max_snap_m"], walk_speed_kmh=cc["walk_speed_kmh"],
            )  # fmt: skip
            villages[f"{s}_radius_vs_network"] = comp["category"].astype(str).to_numpy()
            comparisons.append(coverage_radii(these, float(radii[s]), service_column=scol))
    crs = villages.crs
    catch = pd.concat(per_facility, ignore_index=True).to_crs(crs)
    by_service = pd.concat(per_service, ignore_index=True).to_crs(crs)
    pop = population_covered(by_service, villages, population_column=cols["population"])
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


def _equity(
    result: RunResult,
    cfg: Mapping[str, Any],
    standards: pd.DataFrame,
    townships: gpd.GeoDataFrame | None,
) -> None:
    """Standards compliance per village and the township summary layer."""

    layer = result.villages
    cols = cfg["columns"]
    result.standards_table = standards
    services = list(result.costs)
    applicable = applicable_standards(standards, services)
    if not len(applicable):
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
    modes = {m for ms in standard_modes(applicable, services).values() for m in ms}
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
