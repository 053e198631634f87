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
from ..i18n import project_language
from ..styles import default_styles
from .config import load_config
from .parquet import check_partitioned_outputs
from .readers import reader_report, write_reader_outputs
from .result import RunResult

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
    layers = {
        k: (v.to_crs(crs) if isinstance(v, gpd.GeoDataFrame) and v.crs != crs else v)
        for k, v in layers.items()
    }
    files: dict[str, Path] = {}
    styles = default_styles(
        {k: v for k, v in layers.items() if isinstance(v, gpd.GeoDataFrame)},
        lang=project_language(cfg),
        standards=standards,
    )
    # every output is written under a temporary name; the set replaces the previous one together
    paths = (gpkg_path, csv_path, report_path)
    with (
        atomic_outputs(overwrite=overwrite) as staged,
        reader_report(result, cfg, paths, standards) as report,  # made on the second core
    ):
        if gpkg_path is not None:
            io.write_geopackage(
                staged.path(gpkg_path),
                layers,
                styles=styles,
                overwrite=overwrite,
                timestamp=timestamp,
            )
            files["geopackage"] = gpkg_path
        files |= write_reader_outputs(
            staged, result, cfg, layers, paths, standards, timestamp, styles=styles, report=report
        )
    result.files.update(files)
