"""Running a project file end to end (:func:`run_project`), and the embedded demo county's
(:func:`run_demo`, :func:`demo_project`)."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from ..datasets import demo_path
from .config import load_config
from .inputs import load_project_inputs
from .layer import accessibility_layer_with_costs
from .outputs import checked_outputs
from .result import RunResult
from .specs import analysis_defaults
from .standards import project_standards, standard_modes
from .steps import finish_run

__all__ = ["demo_project", "run_demo", "run_project"]


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
        (:func:`accessibility.project.load_config`).
    out_dir
        Overrides ``[output] folder``.
    overwrite
        Overrides ``[output] overwrite`` (the CLI's ``--overwrite`` / ``--no-overwrite``).
    """
    cfg, (gpkg_path, csv_path, report_path) = checked_outputs(config, out_dir, overwrite)
    cols = cfg["columns"]

    project = load_project_inputs(cfg, check=True)  # fails before routing, as `check` does
    cfg = project.config  # supply columns nothing needs and the facilities lack left out
    villages, facilities, network = project.villages, project.facilities, project.network
    specs, net_cfg = project.specs, cfg["network"]
    standards = project_standards(cfg)
    layer, costs = accessibility_layer_with_costs(
        network,
        villages,
        facilities,
        services=specs,
        **analysis_defaults(cfg),
        max_snap_m=net_cfg["max_snap_m"],
        connector_speed_kmh=net_cfg["connector_speed_kmh"],
        n_jobs=n_jobs,
        nearest_modes=standard_modes(
            standards, list(facilities[cols["service"]].astype(str).unique())
        )
        if standards is not None
        else None,
        transit=project.transit,
    )
    result = RunResult(
        villages=layer, facilities=facilities, network=network, costs=costs, config=cfg
    )
    result.transit = project.transit
    finish_run(
        result,
        cfg,
        specs=specs,
        standards=standards,
        townships=project.townships,
        paths=(gpkg_path, csv_path, report_path),
        folder=Path(out_dir) if out_dir is not None else None,
    )
    return result


def run_demo(out_dir: str | os.PathLike = "demo_output", *, n_jobs: int | None = None) -> RunResult:
    """Run the whole job on the embedded synthetic demo county and write its outputs to ``out_dir``.

    Examples
    --------
    >>> import accessibility as acc
    >>> result = acc.run_demo("demo_output")
    >>> sorted(result.files)
    ['csv', 'geopackage', 'qgis_project', 'report', 'workbook']
    """
    return run_project(demo_project(), out_dir=out_dir, n_jobs=n_jobs)


def demo_project() -> dict[str, Any]:
    """The validated project configuration of the embedded demo county (``data/demo_project.toml``)."""

    return load_config(demo_path().parent / "demo_project.toml")
