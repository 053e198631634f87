"""Partitioned runs on Dask, the driver: a province or the whole country, one county per task.

:func:`run_partitioned` runs a project file like :func:`accessibility.project.run_project`, but
splits the villages by an administrative unit (a column such as ``county``, or given polygons) and
computes each unit as a Dask task on a local cluster or on a cluster whose scheduler address is
given. Every task gets the villages of its unit plus the roads and facilities within a buffer wide
enough that no catchment is cut, writes its rows to a checkpoint file, and the driver merges the
rows (each village once), links road components across partitions, and writes the same GeoPackage,
CSV and report as a single-machine run. The merged per-village layer equals the single-machine
layer exactly (every column, bit for bit); see :func:`buffer_radius_m` for why.

A failed run (a worker killed, the machine rebooted) is resumed by running the same command again:
partitions whose checkpoint file exists are read back, only the missing ones are computed.

:func:`make_region` builds a synthetic multi-county region (copies of the demo county side by side,
joined by inter-county roads) for tests and benchmarks.

Requires the ``[dask]`` extra (``pip install "accessibility[dask]"``).
"""

from __future__ import annotations

import dataclasses
import logging
import os
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

import geopandas as gpd
import pandas as pd

from ...errors import ConfigError
from ...network import metric_crs
from ..check import check_project
from ..inputs import (
    project_transit,
    read_project_layer,
    read_validated_layers,
    road_network_options,
)
from ..outputs import checked_outputs
from ..result import RunResult
from ..specs import analysis_defaults, service_specs
from ..standards import project_standards, standard_modes
from ..steps import finish_run
from .checkpoints import FORMAT
from .execute import client_for, execute
from .merge import merge_rows
from .plan import Plan, buffer_radius_m, check_measures, max_speeds_kmh, partition_labels
from .tasks import build_network

if TYPE_CHECKING:
    from distributed import Client

__all__ = ["PartitionedRunResult", "run_partitioned"]

_log = logging.getLogger(__name__)


@dataclasses.dataclass(repr=False)
class PartitionedRunResult(RunResult):
    """What :func:`run_partitioned` produced: a :class:`~accessibility.project.RunResult` plus a
    table of the partition tasks.

    ``network`` is None (no machine holds the whole network); the ``roads`` output layer holds the
    input road lines. ``costs`` holds empty cost tables (one per service): cost tables stay in the
    partitions. ``partitions`` has one row per task: ``partition``, ``level`` (0 = first pass,
    higher = a wider buffer for villages whose nearest facility lay beyond the first one),
    ``n_villages``, ``n_roads``, ``n_facilities``, ``computed`` (False = read from a checkpoint),
    ``seconds``, ``peak_rss_mb`` (of the worker process) and ``checkpoint``.
    """

    partitions: pd.DataFrame = dataclasses.field(default_factory=pd.DataFrame)

    def __repr__(self) -> str:
        n = len(self.partitions)
        c = int(self.partitions["computed"].sum()) if n else 0
        return (
            f"<PartitionedRunResult {len(self.villages)} villages, {n} partition tasks "
            f"({c} computed, {n - c} from checkpoints)>"
        )


def _prepare_project(cfg: Mapping[str, Any]) -> dict[str, Any]:
    """Read and validate the inputs exactly as :func:`run_project` does."""

    cols = cfg["columns"]
    inp = cfg["input"]
    if inp["osm"] or not inp["roads"]:
        raise ConfigError(
            'partitioned runs read a road layer ([input] roads = "roads.gpkg"); an OSM file '
            "([input] osm) is not supported yet: convert it to a road layer first, e.g. with "
            "accessibility.osm or ogr2ogr"
        )
    if cfg["network"].get("uniform_speed_kmh"):
        raise ConfigError(
            "[network] uniform_speed_kmh is not supported by partitioned runs (--dask) yet; "
            "run without --dask"
        )
    specs, roads, villages, facilities = read_validated_layers(cfg)
    townships = None
    if inp["townships"]:
        townships = read_project_layer(inp, "townships")

    # what the run needs that does not need routing, as `accessibility check` and run_project
    check_project(cfg, villages, facilities, townships=townships)
    standards = project_standards(cfg)
    nearest_modes = (
        standard_modes(standards, list(facilities[cols["service"]].astype(str).unique()))
        if standards is not None
        else None
    )
    return {
        "roads": roads,
        "villages": villages,
        "facilities": facilities,
        "townships": townships,
        "specs": specs,
        "standards": standards,
        "nearest_modes": nearest_modes,
    }


def run_partitioned(
    config_or_path: str | os.PathLike | Mapping[str, Any],
    *,
    partition_column: str | None = None,
    partitions: gpd.GeoDataFrame | None = None,
    scheduler: str | Client | None = None,
    n_workers: int | None = None,
    checkpoint_dir: str | os.PathLike | None = None,
    out_dir: str | os.PathLike | None = None,
    n_jobs: int = 1,
    overwrite: bool | None = None,
) -> PartitionedRunResult:
    """Run a project split by administrative unit, one Dask task per unit, with checkpoints.

    The result equals :func:`accessibility.project.run_project` on the same project exactly
    (every per-village column), and the same files are written.

    Parameters
    ----------
    config_or_path
        Path of a TOML project file, or a validated configuration dict
        (:func:`accessibility.project.load_config`).
    partition_column
        Village column naming the unit each village belongs to (e.g. a county code). Default:
        ``county`` when the villages have that column, else the whole study area is one
        partition (a county-level project such as the demo county).
    partitions
        Instead of a column: unit polygons (index = unit name); villages are assigned to the
        polygon they lie in.
    scheduler
        ``None``: a local cluster of ``n_workers`` worker processes (one thread each, default one
        per core); a scheduler address such as ``"tcp://10.0.0.5:8786"`` for a real cluster; or a
        ``distributed.Client`` to use as is.
    n_workers
        Workers of the local cluster.
    checkpoint_dir
        Folder of the per-partition checkpoint files (default ``<output folder>/checkpoints``).
        A file is named by a hash of the partition's inputs and of the configuration, so a changed
        input or setting never reuses a stale file; rerunning after a failure computes only the
        partitions without a file.
    out_dir
        Overrides ``[output] folder``.
    n_jobs
        Routing threads inside each task.
    overwrite
        Overrides ``[output] overwrite``.

    Returns
    -------
    PartitionedRunResult
        The merged layers (as :class:`~accessibility.project.RunResult`), the files written and
        the table of partition tasks.

    Raises
    ------
    PartitionError
        When tasks failed (e.g. a worker died); finished partitions are kept, run again.

    Notes
    -----
    Exactness. Each partition takes the roads, facilities (and for the 2SFCA family the competing
    villages) within the radii of :func:`buffer_radius_m`, which bound every trip within the time
    limit, so counts, supply and measures within the limit are those of the whole network. The
    nearest facility has no time limit: a village keeps its partition's answer only when it is
    within the time the buffer guarantees (``D / v_m`` for mode ``m``, ``D`` the buffer's travel
    reach) - a nearer facility outside the buffer would need a longer trip. Villages whose
    nearest facility (of any service) is farther, or that reach none, go to a second task with
    twice the reach, and so on until the buffer covers the whole study area, where the answer is
    the whole network's by construction. ``on_main_network`` (largest connected component) is
    found by linking the partitions' components through the junctions they share; it can differ
    from the whole network only if roads farther than the buffer from every village are needed to
    connect two pieces of the network.

    Examples
    --------
    >>> from accessibility.project.dask import run_partitioned
    >>> result = run_partitioned("province.toml", partition_column="county")  # doctest: +SKIP
    >>> result.partitions[["partition", "computed", "seconds"]]  # doctest: +SKIP
    """

    # outputs checked before any work: never over an input or one another, writable
    cfg, paths = checked_outputs(config_or_path, out_dir, overwrite)
    folder = Path(out_dir) if out_dir is not None else Path(cfg["output"]["folder"])
    ckdir = Path(checkpoint_dir) if checkpoint_dir is not None else folder / "checkpoints"
    ckdir.mkdir(parents=True, exist_ok=True)

    prep = _prepare_project(cfg)
    plan, labels, settings = _plan(cfg, prep, partition_column, partitions)
    client, owned = client_for(scheduler, n_workers)
    try:
        rows, task_table, nodes = execute(client, plan, labels, settings, ckdir, n_jobs)
    finally:
        for obj in owned:
            obj.close()

    result = PartitionedRunResult(
        villages=merge_rows(prep["villages"], prep["facilities"], rows, nodes),
        facilities=prep["facilities"],
        network=_RoadsShim(prep["roads"], cfg["columns"]),  # type: ignore[arg-type]
        costs={s: _empty_costs() for s in settings["service_modes"]},
        config=cfg,
        partitions=task_table,
    )
    if cfg["catchments"]["services"] or cfg.get("tiers") or "transit" in settings:
        # catchment polygons, tier referrals and the bus layers need the whole network: the
        # driver builds it (as run_project does); the roads output layer then holds its edges too
        _log.info("[catchments]/[tiers]/[transit]: building the whole network on the driver")
        result.network = build_network(prep["roads"], settings)
        result.transit = project_transit(cfg, result.network)
    finish_run(
        result,
        cfg,
        specs=prep["specs"],
        standards=prep["standards"],
        townships=prep["townships"],
        paths=paths,
        folder=folder,
    )
    result.network = None  # type: ignore[assignment]
    return result


def _empty_costs() -> pd.DataFrame:
    """An empty cost table (cost tables stay in the partitions)."""
    return pd.DataFrame(
        {
            "origin": pd.Series([], dtype=object),
            "destination": pd.Series([], dtype=object),
            "travel_time_min": pd.Series([], dtype=float),
            "distance_m": pd.Series([], dtype=float),
        }
    )


def _plan(
    cfg: Mapping[str, Any],
    prep: Mapping[str, Any],
    partition_column: str | None,
    partitions: gpd.GeoDataFrame | None,
) -> tuple[Plan, pd.Series, dict[str, Any]]:
    """The plan of the partition tasks, each village's partition, and the settings every task
    gets (part of its checkpoint's hash)."""
    cols, net_cfg = cfg["columns"], cfg["network"]
    roads, villages, facilities = prep["roads"], prep["villages"], prep["facilities"]
    specs_in, nearest_modes = prep["specs"], prep["nearest_modes"]
    specs = service_specs(facilities, specs_in, **analysis_defaults(cfg))
    two_step = check_measures(specs)
    routing_modes = list(dict.fromkeys(spec["mode"] for spec in specs.values()))
    limit = {
        m: max(spec["max_time_min"] for spec in specs.values() if spec["mode"] == m)
        for m in routing_modes
    }
    extra_modes = sorted(
        {m for s, ms in (nearest_modes or {}).items() if s in specs for m in ms}
        - set(routing_modes)
    )
    all_modes = routing_modes + extra_modes
    by_bus = "transit" in all_modes  # buses go far: every partition routes the whole network
    speed_modes = [m for m in all_modes if m != "transit"] or ["walk"]
    limit = {m: t for m, t in limit.items() if m != "transit"} or {"walk": 60.0}
    work_crs = metric_crs(roads, cfg["project"]["crs"])
    speed_col_max = None
    if cols["road_speed"]:
        speed_col_max = float(pd.to_numeric(roads[cols["road_speed"]], errors="coerce").max())
    vmax = max_speeds_kmh(
        net_cfg["profile"],
        modes=speed_modes,
        speeds=net_cfg.get("speeds"),
        speed_column_max_kmh=speed_col_max,
        dem=bool(net_cfg.get("dem")),
    )
    snap_m = float(net_cfg["max_snap_m"])
    d_m = buffer_radius_m(limit, vmax, max_snap_m=snap_m) - snap_m
    if by_bus:
        x0, y0, x1, y1 = roads.to_crs(work_crs).total_bounds
        d_m = max(d_m, 2.0 * float(((x1 - x0) ** 2 + (y1 - y0) ** 2) ** 0.5))
    tol = float(net_cfg["tolerance_m"])
    ring_m = 4.0 * tol + 1.0
    labels = partition_labels(villages, partition_column, partitions)
    plan = Plan(
        roads,
        villages,
        facilities,
        work_crs,
        d_m=d_m,
        snap_m=snap_m,
        ring_m=ring_m,
        two_step=two_step,
    )
    _log.info(
        "partitioned run: %d villages in %d partitions; buffer reach %.1f km (limits %s min, "
        "fastest speeds %s km/h, max_snap_m %g)%s",
        len(villages),
        labels.nunique(),
        d_m / 1000.0,
        limit,
        {m: round(v, 2) for m, v in vmax.items()},
        snap_m,
        "; 2SFCA-family measures: competing villages are included" if two_step else "",
    )
    settings = _settings(cfg, specs_in, specs, nearest_modes, work_crs.to_wkt(), vmax)
    settings.update(first_mode=routing_modes[0], all_modes=all_modes)
    if by_bus:  # each task builds the setup of [transit] on its network
        settings["transit"] = dict(cfg["transit"])
        files = [cfg["transit"][k] for k in ("lines", "lines_csv", "gtfs") if cfg["transit"][k]]
        settings["transit_stamp"] = [[os.stat(f).st_size, os.stat(f).st_mtime_ns] for f in files]
    return plan, labels, settings


def _settings(
    cfg: Mapping[str, Any],
    specs_in: Mapping[str, Any] | None,
    specs: Mapping[str, Mapping[str, Any]],
    nearest_modes: Mapping[str, list[str]] | None,
    crs_wkt: str,
    vmax: Mapping[str, float],
) -> dict[str, Any]:
    """What every partition task is computed with: the network and layer settings."""
    net_cfg = cfg["network"]
    settings = {
        "format": FORMAT,
        "network": {**road_network_options(cfg), "crs": crs_wkt},
        "dem": net_cfg.get("dem"),
        "layer": {
            **analysis_defaults(cfg),
            "services": specs_in,
            "max_snap_m": float(net_cfg["max_snap_m"]),
            "connector_speed_kmh": net_cfg["connector_speed_kmh"],
            "nearest_modes": nearest_modes,
        },
        "vmax_kmh": vmax,
        "service_modes": {s: spec["mode"] for s, spec in specs.items()},
        "extra_nearest": {
            s: list(dict.fromkeys(ms)) for s, ms in (nearest_modes or {}).items() if s in specs
        },
    }
    if settings["dem"]:
        st = os.stat(settings["dem"])
        settings["dem_stamp"] = [st.st_size, st.st_mtime_ns]
    return settings


class _RoadsShim:
    """Stands in for a Network when writing the ``roads`` output layer (the input road lines)."""

    def __init__(self, roads: gpd.GeoDataFrame, cols: Mapping[str, Any]) -> None:
        ren = {
            cols["road_class"]: "road_class",
            **({cols["road_name"]: "name"} if cols["road_name"] else {}),
            **({cols["oneway"]: "oneway"} if cols["oneway"] else {}),
        }
        keep = [c for c in ren if c in roads.columns]
        self.edges = roads[[*keep, roads.geometry.name]].rename(columns=ren)
