"""The files of a run: their paths checked before any work (:func:`checked_outputs`), and the
GeoPackage (with QGIS styles), CSV and report written together (:func:`write_outputs`)."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import geopandas as gpd
import pandas as pd

from .. import io  # io.write_* looked up when called (tests interrupt them)
from .._files import atomic_outputs, check_output_paths, inputs_timestamp, output_timestamp
from ..report import write_report
from ..styles import default_styles
from .config import group_key, load_config
from .parquet import check_partitioned_outputs
from .result import RunResult
from .standards import standard_modes

__all__ = ["checked_outputs", "write_outputs"]


def checked_outputs(
    config: str | os.PathLike | Mapping[str, Any],
    out_dir: str | os.PathLike | None,
    overwrite: bool | None,
) -> tuple[dict[str, Any], tuple[Path | None, Path | None, Path | None]]:
    """The configuration (``overwrite`` applied) and the GeoPackage, CSV and report paths, checked
    before any work: never over an input or one another, writable (:func:`check_output_paths`)."""

    cfg = load_config(config) if isinstance(config, str | os.PathLike) else dict(config)
    if overwrite is not None:
        cfg["output"] = {**cfg["output"], "overwrite": bool(overwrite)}
    outc = cfg["output"]
    folder = Path(out_dir) if out_dir is not None else Path(outc["folder"])
    check_output_paths(cfg, folder)
    check_partitioned_outputs(cfg, folder)  # [output] parquet, county_geopackages, county_summary
    paths = tuple(folder / outc[k] if outc[k] else None for k in ("geopackage", "csv", "report"))
    return cfg, paths  # type: ignore[return-value]


def write_outputs(
    result: RunResult,
    cfg: Mapping[str, Any],
    gpkg_path: Path | None,
    csv_path: Path | None,
    report_path: Path | None,
    standards: pd.DataFrame | None = None,
) -> None:

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
            io.write_geopackage(
                staged.path(gpkg_path),
                layers,
                styles=default_styles(layers),
                overwrite=overwrite,
                timestamp=timestamp,
            )
            files["geopackage"] = gpkg_path
        if csv_path is not None:
            table = pd.DataFrame(result.villages.drop(columns=result.villages.geometry.name))
            io.write_table(staged.path(csv_path), table.reset_index(), overwrite=overwrite)
            files["csv"] = csv_path
        if report_path is not None and standards is not None:
            _write_report(result, cfg, staged.path(report_path), standards, overwrite)
            files["report"] = report_path
    result.files.update(files)


def _write_report(
    result: RunResult, cfg: Mapping[str, Any], path: Path, standards: pd.DataFrame, overwrite: bool
) -> None:

    cols = cfg["columns"]
    modes = {m for ms in standard_modes(standards, list(result.costs)).values() for m in ms}
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
        # the township breakdown only when [equity] groups asks for it ("" is no column)
        unit=cols["township"] if "township" in _groups(cfg) else "",
        population=cols["population"],
        area_type=cols["area_type"],
        rank_by=rank_by if rank_by in result.villages.columns else None,
    )


def _groups(cfg: Mapping[str, Any]) -> set[str | None]:
    """The ``[columns]`` keys of the breakdowns ``[equity] groups`` asks for."""
    return {group_key(cfg, g) for g in cfg["equity"]["groups"]}
