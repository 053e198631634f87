"""Partitioned runs on Dask: a province or the whole country, one county per task.

:func:`run_partitioned` runs a project file like :func:`accessibility.pipeline.run_project`, but
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
import hashlib
import json
import logging
import math
import os
import time
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from .errors import AccessibilityError, ConfigError, MissingColumnError, suggest
from .pipeline import RunResult

if TYPE_CHECKING:
    from distributed import Client

__all__ = [
    "PartitionError",
    "PartitionedRunResult",
    "Region",
    "buffer_radius_m",
    "make_region",
    "max_speeds_kmh",
    "run_partitioned",
    "write_region_project",
]

_log = logging.getLogger(__name__)

#: Measures whose value for a village depends only on that village's own cost rows.
LOCAL_MEASURES = frozenset(
    {"cumulative", "intervals", "nearest", "mean_nearest", "gravity", "huff"}
)
#: Measures that also need the demand of every village competing for the same facilities (two
#: steps: village -> facility -> villages). Partitions then carry "context" villages.
TWO_STEP_MEASURES = frozenset({"2sfca", "e2sfca", "m2sfca", "kd2sfca", "spatial_availability"})
#: Measures not supported in partitioned runs: 3SFCA and BFCA normalise over every facility a
#: competing village reaches (three steps), capacity-filled coverage fills facilities in a global
#: order (unbounded chain of dependencies).
UNSUPPORTED_MEASURES = frozenset({"3sfca", "bfca", "coverage"})

#: Tobler's hiking function peaks at a grade of -5 %: exp(3.5 * 0.05) times the flat speed.
_TOBLER_PEAK = math.exp(3.5 * 0.05)
#: Segments per quarter circle of the buffer polygons; the radius is enlarged so the polygon
#: contains the true disc (a polygon inscribed in a circle lies inside it).
_QUAD_SEGS = 8
_FORMAT = 1  # checkpoint format version (part of the hash)


class PartitionError(AccessibilityError, RuntimeError):
    """One or more partitions failed; finished partitions are checkpointed, so run again."""


@dataclasses.dataclass(repr=False)
class PartitionedRunResult(RunResult):
    """What :func:`run_partitioned` produced: a :class:`~accessibility.pipeline.RunResult` plus a
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


# --------------------------------------------------------------------------------------------------
# buffer arithmetic


def max_speeds_kmh(
    profile: str | Mapping[str, Mapping[str, float]] = "china",
    *,
    modes: Sequence[str],
    speeds: Mapping[str, Mapping[str, float]] | None = None,
    speed_column_max_kmh: float | None = None,
    dem: bool = False,
) -> dict[str, float]:
    """Fastest speed (km/h) any edge can have, per mode: the largest class speed of the profile
    (with overrides), a per-edge car speed column's maximum, and for slope-aware walking Tobler's
    peak (flat speed x exp(0.175), downhill at 5 %)."""
    from .speeds import speed_profile

    table = speed_profile(profile, overrides=speeds) if speeds else speed_profile(profile)
    out: dict[str, float] = {}
    for m in modes:
        if m not in table:
            raise ConfigError(f"mode {m!r} has no speed table.{suggest(m, list(table))}")
        v = max(float(x) for x in table[m].values())
        if m == "car" and speed_column_max_kmh is not None and np.isfinite(speed_column_max_kmh):
            v = max(v, float(speed_column_max_kmh))
        if m == "walk" and dem:
            v *= _TOBLER_PEAK
        out[m] = v
    return out


def buffer_radius_m(
    max_time_min: Mapping[str, float],
    max_speed_kmh: Mapping[str, float],
    *,
    max_snap_m: float,
) -> float:
    """Radius (m) around a village beyond which no trip of the time limit can go.

    .. math:: r = \\max_m \\frac{T_m}{60} \\, v_m \\, 1000 + s

    with :math:`T_m` the routing time limit of mode :math:`m` (min), :math:`v_m` its fastest edge
    speed (km/h) and :math:`s` = ``max_snap_m``. Why it is an upper bound: a trip leaves the
    village along its connector (at most :math:`s` metres, villages farther from a road are not
    routed) and then runs along edges no faster than :math:`v_m`, so in :math:`T_m` minutes it
    covers at most :math:`T_m / 60 \\cdot v_m` km of road. Every road point a trip within the
    limit touches lies within :math:`r` of the village, and the facility at its end (itself up to
    :math:`s` from the road) within :math:`r + s`.

    A partition therefore takes (``D`` = the first term, ``R = D + s``):

    * facilities within ``R + s`` of its villages (everything they can reach);
    * roads within ``R + 2 s`` (every route, and the roads those facilities snap to, so each is
      snapped exactly as in the whole network);
    * with two-step measures (2SFCA family), also the "context" villages within ``2 (R + s)``
      that compete for the same facilities, and roads within ``2 R + 3 s``;
    * plus every road within a few snapping tolerances of those roads, so the selected roads are
      split at exactly the junctions they have in the whole network.

    Examples
    --------
    >>> buffer_radius_m({"car": 30.0}, {"car": 100.0}, max_snap_m=1000.0)
    51000.0
    """
    d = max(float(max_time_min[m]) / 60.0 * float(max_speed_kmh[m]) * 1000.0 for m in max_time_min)
    return d + float(max_snap_m)


# --------------------------------------------------------------------------------------------------
# the driver


def _prepare_project(cfg: Mapping[str, Any]) -> dict[str, Any]:
    """Read and validate the inputs exactly as :func:`run_project` does."""
    from .pipeline import _read, _standard_modes, _standards, read_validated_layers

    cols = cfg["columns"]
    inp = cfg["input"]
    if inp["osm"] or not inp["roads"]:
        raise ConfigError(
            'partitioned runs read a road layer ([input] roads = "roads.gpkg"); an OSM file '
            "([input] osm) is not supported yet: convert it to a road layer first, e.g. with "
            "accessibility.osm or ogr2ogr"
        )
    specs, roads, villages, facilities = read_validated_layers(cfg)
    townships = None
    if inp["townships"]:
        townships = _read(inp, "townships")
    from .projectcheck import check_project

    # what the run needs that does not need routing, as `accessibility check` and run_project
    check_project(cfg, villages, facilities, townships=townships)
    standards = _standards(cfg)
    nearest_modes = (
        _standard_modes(standards, list(facilities[cols["service"]].astype(str).unique()))
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


def _check_measures(specs: Mapping[str, Mapping[str, Any]]) -> bool:
    """Raise for measures partitions cannot compute exactly; True if any is two-step."""
    two_step = False
    for name, spec in specs.items():
        for m in spec.get("measures") or []:
            kind = str(m.get("measure", "")) if isinstance(m, Mapping) else ""
            if kind in UNSUPPORTED_MEASURES:
                raise ConfigError(
                    f"[services.{name}] measure {kind!r} cannot be computed exactly in a "
                    "partitioned run (it depends on villages and facilities arbitrarily far "
                    "away); run it with `accessibility run` without --dask, or drop it"
                )
            if kind in TWO_STEP_MEASURES:
                two_step = True
    return two_step


#: The village column partitioned by when none is named (and villages have it).
DEFAULT_PARTITION_COLUMN = "county"
#: The name of the one partition of a study area without a ``county`` column (one county).
WHOLE_AREA = "all"


def _labels(
    villages: gpd.GeoDataFrame,
    partition_column: str | None,
    partitions: gpd.GeoDataFrame | None,
) -> pd.Series:
    if partitions is not None:
        if partitions.crs is None:
            raise ConfigError("the partition polygons have no CRS; set one with .set_crs(...)")
        polys = partitions.to_crs(villages.crs) if partitions.crs != villages.crs else partitions
        hit_v, hit_p = shapely.STRtree(polys.geometry.to_numpy()).query(
            villages.geometry.to_numpy(), predicate="within"
        )
        first = pd.Series(hit_p, index=hit_v).groupby(level=0).min()
        lab = pd.Series(polys.index.to_numpy()[first.to_numpy()], index=villages.index[first.index])
        missing = villages.index.difference(lab.index)
        if len(missing):
            raise ConfigError(
                f"{len(missing)} villages lie in no partition polygon (e.g. "
                f"{missing[:5].tolist()}); give polygons that cover every village"
            )
        return lab.reindex(villages.index).astype(str)
    if partition_column is None:
        if DEFAULT_PARTITION_COLUMN not in villages.columns:
            _log.info(
                "villages have no %r column: the study area is one partition (name a unit "
                "column with partition_column=... to split it)",
                DEFAULT_PARTITION_COLUMN,
            )
            return pd.Series(WHOLE_AREA, index=villages.index)
        partition_column = DEFAULT_PARTITION_COLUMN
    if partition_column not in villages.columns:
        raise MissingColumnError(
            f"villages have no column {partition_column!r} to partition by."
            f"{suggest(partition_column, [str(c) for c in villages.columns])} Pass "
            "partition_column=... (an administrative unit such as a county code), or partitions="
            "<polygons>"
        )
    lab = villages[partition_column]
    if lab.isna().any():
        raise ConfigError(
            f"{int(lab.isna().sum())} villages have no {partition_column!r} value (e.g. "
            f"{villages.index[lab.isna()][:5].tolist()}); fill it so each village belongs to one "
            "partition"
        )
    return lab.astype(str)


def _hash(parts: Sequence[Any]) -> str:
    h = hashlib.sha256()
    for p in parts:
        if isinstance(p, gpd.GeoDataFrame):
            h.update(pd.util.hash_pandas_object(p.drop(columns=p.geometry.name), index=True).values)
            h.update(b"".join(shapely.to_wkb(p.geometry.to_numpy())))
            h.update(str(p.columns.tolist()).encode())
            h.update(str(p.crs.to_wkt() if p.crs else None).encode())
        elif isinstance(p, np.ndarray):
            h.update(p.tobytes())
        else:
            h.update(json.dumps(p, sort_keys=True, default=str).encode())
    return h.hexdigest()[:24]


class _Plan:
    """Everything the driver needs to cut the study area into partition tasks."""

    def __init__(
        self,
        roads: gpd.GeoDataFrame,
        villages: gpd.GeoDataFrame,
        facilities: gpd.GeoDataFrame,
        work_crs: Any,
        *,
        d_m: float,
        snap_m: float,
        ring_m: float,
        two_step: bool,
    ) -> None:
        self.roads, self.villages, self.facilities = roads, villages, facilities
        rg = roads.geometry.to_crs(work_crs) if roads.crs != work_crs else roads.geometry
        self.road_geoms = rg.to_numpy()
        self.vil_xy = villages.geometry.to_crs(work_crs).to_numpy()
        self.fac_xy = facilities.geometry.to_crs(work_crs).to_numpy()
        self.road_tree = shapely.STRtree(self.road_geoms)
        self.vil_tree = shapely.STRtree(self.vil_xy)
        self.fac_tree = shapely.STRtree(self.fac_xy)
        self.d_m, self.snap_m, self.ring_m, self.two_step = d_m, snap_m, ring_m, two_step
        b = np.vstack([shapely.bounds(self.road_geoms), shapely.bounds(self.vil_xy)])
        self.diagonal_m = float(
            np.hypot(
                np.nanmax(b[:, 2]) - np.nanmin(b[:, 0]), np.nanmax(b[:, 3]) - np.nanmin(b[:, 1])
            )
        )

    def radii(self, level: int) -> dict[str, float]:
        d = self.d_m * 2.0**level
        r = d + self.snap_m
        s = self.snap_m
        out = {"d": d, "facilities": r + s, "roads": r + 2 * s, "context": 0.0}
        if self.two_step:
            out.update(context=2 * (r + s), roads=2 * r + 3 * s)
        return out

    def _region(self, hull: Any, radius: float) -> Any:
        grow = radius / math.cos(math.pi / (4 * _QUAD_SEGS)) + 1.0
        return shapely.buffer(hull, grow, quad_segs=_QUAD_SEGS)

    def select(self, own: np.ndarray, level: int) -> dict[str, Any]:
        rad = self.radii(level)
        hull = shapely.convex_hull(shapely.multipoints(self.vil_xy[own]))
        if level > 0 and rad["roads"] >= self.diagonal_m:
            roads = np.arange(len(self.road_geoms))
            fac = np.arange(len(self.fac_xy))
            vil = np.arange(len(self.vil_xy)) if self.two_step else np.sort(own)
        else:
            core = self.road_tree.query(self._region(hull, rad["roads"]), predicate="intersects")
            _, ring = self.road_tree.query(
                self.road_geoms[core], predicate="dwithin", distance=self.ring_m
            )
            roads = np.union1d(core, ring)
            fac = np.sort(
                self.fac_tree.query(self._region(hull, rad["facilities"]), predicate="intersects")
            )
            if self.two_step:
                ctx = self.vil_tree.query(
                    self._region(hull, rad["context"]), predicate="intersects"
                )
                vil = np.union1d(ctx, own)
            else:
                vil = np.sort(own)
        whole = (
            len(roads) == len(self.road_geoms)
            and len(fac) == len(self.fac_xy)
            and (not self.two_step or len(vil) == len(self.vil_xy))
        )
        return {"roads": roads, "facilities": fac, "villages": vil, "whole": whole, "radii": rad}


def _client(scheduler: Any, n_workers: int | None) -> tuple[Client, list[Any]]:
    try:
        from distributed import Client, LocalCluster
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise ImportError('partitioned runs need Dask: pip install "accessibility[dask]"') from exc
    if isinstance(scheduler, Client):
        return scheduler, []
    if scheduler is None:
        from .options import resolve_n_jobs

        cluster = LocalCluster(
            n_workers=n_workers or resolve_n_jobs(None),
            threads_per_worker=1,
            processes=True,
            dashboard_address=None,
            silence_logs=logging.WARNING,
        )
        client = Client(cluster)
        return client, [client, cluster]
    client = Client(scheduler)
    return client, [client]


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

    The result equals :func:`accessibility.pipeline.run_project` on the same project exactly
    (every per-village column), and the same files are written.

    Parameters
    ----------
    config_or_path
        Path of a TOML project file, or a validated configuration dict
        (:func:`accessibility.config.load_config`).
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
        The merged layers (as :class:`~accessibility.pipeline.RunResult`), the files written and
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
    >>> from accessibility.distributed import run_partitioned
    >>> result = run_partitioned("province.toml", partition_column="county")  # doctest: +SKIP
    >>> result.partitions[["partition", "computed", "seconds"]]  # doctest: +SKIP
    """
    from .network import metric_crs
    from .pipeline import _checked_outputs, _finish_run, service_specs

    # outputs checked before any work: never over an input or one another, writable
    cfg, (gpkg_path, csv_path, report_path) = _checked_outputs(config_or_path, out_dir, overwrite)
    cols = cfg["columns"]
    outc = cfg["output"]
    ana = cfg["analysis"]
    net_cfg = cfg["network"]
    folder = Path(out_dir) if out_dir is not None else Path(outc["folder"])
    ckdir = Path(checkpoint_dir) if checkpoint_dir is not None else folder / "checkpoints"
    ckdir.mkdir(parents=True, exist_ok=True)

    prep = _prepare_project(cfg)
    roads, villages, facilities = prep["roads"], prep["villages"], prep["facilities"]
    specs_in, nearest_modes = prep["specs"], prep["nearest_modes"]
    specs = service_specs(
        facilities,
        specs_in,
        service_column=cols["service"],
        mode=ana["mode"],
        thresholds_min=ana["thresholds_min"],
        max_time_min=ana["max_time_min"],
        demand=cols["population"],
        supply=cols["capacity"],
    )
    two_step = _check_measures(specs)
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
    work_crs = metric_crs(roads, cfg["project"]["crs"])
    speed_col_max = None
    if cols["road_speed"]:
        speed_col_max = float(pd.to_numeric(roads[cols["road_speed"]], errors="coerce").max())
    vmax = max_speeds_kmh(
        net_cfg["profile"],
        modes=all_modes,
        speeds=net_cfg.get("speeds"),
        speed_column_max_kmh=speed_col_max,
        dem=bool(net_cfg.get("dem")),
    )
    snap_m = float(net_cfg["max_snap_m"])
    d_m = buffer_radius_m(limit, vmax, max_snap_m=snap_m) - snap_m
    tol = float(net_cfg["tolerance_m"])
    ring_m = 4.0 * tol + 1.0
    labels = _labels(villages, partition_column, partitions)
    plan = _Plan(
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
    settings = {
        "format": _FORMAT,
        "network": {
            "class_column": cols["road_class"],
            "oneway_column": cols["oneway"],
            "name_column": cols["road_name"],
            "speed_column": cols["road_speed"],
            "profile": net_cfg["profile"],
            "speeds": net_cfg.get("speeds"),
            "modes": net_cfg["modes"],
            "tolerance_m": net_cfg["tolerance_m"],
            "split_crossings": net_cfg["split_crossings"],
            "crs": work_crs.to_wkt(),
        },
        "dem": net_cfg.get("dem"),
        "layer": {
            "service_column": cols["service"],
            "services": specs_in,
            "mode": ana["mode"],
            "thresholds_min": ana["thresholds_min"],
            "max_time_min": ana["max_time_min"],
            "demand": cols["population"],
            "supply": cols["capacity"],
            "max_snap_m": snap_m,
            "connector_speed_kmh": net_cfg["connector_speed_kmh"],
            "nearest_modes": nearest_modes,
        },
        "vmax_kmh": vmax,
        "first_mode": routing_modes[0],
        "service_modes": {s: spec["mode"] for s, spec in specs.items()},
        "extra_nearest": {
            s: list(dict.fromkeys(ms)) for s, ms in (nearest_modes or {}).items() if s in specs
        },
        "all_modes": all_modes,
    }
    if settings["dem"]:
        st = os.stat(settings["dem"])
        settings["dem_stamp"] = [st.st_size, st.st_mtime_ns]

    client, owned = _client(scheduler, n_workers)
    try:
        rows, task_table, nodes = _execute(client, plan, labels, settings, ckdir, n_jobs)
    finally:
        for obj in owned:
            obj.close()

    layer = _merge(villages, facilities, rows, nodes)
    shim = _RoadsShim(roads, cols)
    result = PartitionedRunResult(
        villages=layer,
        facilities=facilities,
        network=shim,  # type: ignore[arg-type]
        costs={
            s: pd.DataFrame(
                {
                    "origin": pd.Series([], dtype=object),
                    "destination": pd.Series([], dtype=object),
                    "travel_time_min": pd.Series([], dtype=float),
                    "distance_m": pd.Series([], dtype=float),
                }
            )
            for s in specs
        },
        config=cfg,
        partitions=task_table,
    )
    if cfg["catchments"]["services"]:
        # catchment polygons need the whole network: the driver builds it (as run_project does);
        # the roads output layer then holds its edges too, as in run_project
        _log.info("[catchments]: building the whole network on the driver")
        result.network = _build_network(roads, settings)
    _finish_run(
        result,
        cfg,
        specs=specs_in,
        standards=prep["standards"],
        townships=prep["townships"],
        paths=(gpkg_path, csv_path, report_path),
    )
    result.network = None  # type: ignore[assignment]
    return result


def _build_network(roads: gpd.GeoDataFrame, settings: Mapping[str, Any]) -> Any:
    """The network of ``roads`` as a partition task builds it (slope-aware walking with a DEM)."""
    from .network import network_from_roads

    net = network_from_roads(roads, **settings["network"])
    if settings["dem"] and "walk" in net.modes:
        from .raster import edge_walk_times

        times = edge_walk_times(net, settings["dem"], flat_speed_kmh="walk_speed_kmh")
        net = net.with_edge_times("walk", times["walk_fwd_min"], times["walk_bwd_min"])
    return net


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


def _task_iter(
    plan: _Plan, groups: Mapping[str, np.ndarray], level: int, settings: Mapping[str, Any]
) -> Iterator[dict[str, Any]]:
    for name, own in groups.items():
        sel = plan.select(own, level)
        roads = plan.roads.iloc[sel["roads"]]
        vil = plan.villages.iloc[sel["villages"]]
        fac = plan.facilities.iloc[sel["facilities"]]
        own_mask = np.isin(sel["villages"], own)
        t_bound = {
            m: sel["radii"]["d"] / (1000.0 * v) * 60.0 for m, v in settings["vmax_kmh"].items()
        }
        key = _hash(
            [
                settings,
                level,
                sel["whole"],
                sel["radii"],
                roads,
                vil,
                fac,
                sel["villages"].astype(np.int64),
                sel["facilities"].astype(np.int64),
                own_mask,
            ]
        )
        yield {
            "key": key,
            "partition": name,
            "level": level,
            "roads": roads,
            "villages": vil,
            "village_pos": sel["villages"].astype(np.int64),
            "facility_pos": sel["facilities"].astype(np.int64),
            "facilities": fac,
            "own": own_mask,
            "whole": sel["whole"],
            "t_bound_min": t_bound,
            "roads_radius_m": sel["radii"]["roads"],
        }


def _fill(
    client: Client,
    state: dict[str, Any],
    window: int,
    ckdir: Path,
    settings: Mapping[str, Any],
    n_jobs: int,
) -> None:
    """Submit tasks until ``window`` are in flight; tasks with a checkpoint file are not run."""
    pending, finished = state["pending"], state["finished"]
    while len(pending) < window:
        task = next(state["tasks"], None)
        if task is None:
            return
        path = ckdir / f"{task['partition']}-L{task['level']}-{task['key']}.gpkg"
        task["checkpoint"] = str(path)
        if path.exists():
            finished.append((task, {"computed": False, "seconds": 0.0, "peak_rss_mb": None}))
            continue
        fut = client.submit(
            _partition_task,
            task,
            settings,
            n_jobs,
            key=f"partition-{task['partition']}-L{task['level']}-{task['key'][:8]}",
            pure=False,
        )
        pending[fut] = task
        state["ac"].add(fut)


def _execute(
    client: Client,
    plan: _Plan,
    labels: pd.Series,
    settings: dict[str, Any],
    ckdir: Path,
    n_jobs: int,
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Run every level of partition tasks; return resolved rows, the task table and node tables."""
    from distributed import as_completed

    from .options import progress

    codes, names = pd.factorize(labels, sort=True)
    groups = {str(n): np.flatnonzero(codes == i) for i, n in enumerate(names)}
    level = 0
    resolved: list[pd.DataFrame] = []
    node_tables: list[pd.DataFrame] = []
    records: list[dict[str, Any]] = []
    failures: list[tuple[str, BaseException]] = []
    window = max(2, 2 * len(client.scheduler_info().get("workers", {})) or 2)
    while groups:
        pending: dict[Any, dict[str, Any]] = {}
        finished: list[tuple[dict[str, Any], dict[str, Any]]] = []
        ac = as_completed()

        state = {
            "tasks": _task_iter(plan, groups, level, settings),
            "pending": pending,
            "finished": finished,
            "ac": ac,
        }
        _fill(client, state, window, ckdir, settings, n_jobs)
        for fut in progress(ac, desc=f"partitions (level {level})"):
            task = pending.pop(fut)
            if fut.status == "error":
                exc = fut.exception()
                _log.error("partition %s (level %d) failed: %r", task["partition"], level, exc)
                failures.append((task["partition"], exc))
            else:
                finished.append((task, fut.result()))
            fut.release()
            _fill(client, state, window, ckdir, settings, n_jobs)
        if failures:
            names_failed = sorted({n for n, _ in failures})
            raise PartitionError(
                f"{len(failures)} partition task(s) failed ({names_failed[:10]}): "
                f"{failures[0][1]!r}. Finished partitions are checkpointed in {str(ckdir)!r}; run "
                "again to compute only the missing ones."
            ) from failures[0][1]
        next_groups: dict[str, np.ndarray] = {}
        for task, info in finished:
            table, nodes = _read_checkpoint(task["checkpoint"])
            ok = table["_resolved"].to_numpy(bool)
            resolved.append(table.loc[ok])
            nodes["_task"] = len(records)
            node_tables.append(nodes)
            n_un = int((~ok).sum())
            if n_un:
                next_groups[task["partition"]] = table.loc[~ok, "_village"].to_numpy(np.int64)
            records.append(
                {
                    "partition": task["partition"],
                    "level": task["level"],
                    "n_villages": int(task["own"].sum()),
                    "n_context_villages": int((~task["own"]).sum()),
                    "n_roads": len(task["roads"]),
                    "n_facilities": len(task["facilities"]),
                    "n_unresolved": n_un,
                    "whole_area": bool(task["whole"]),
                    "computed": bool(info["computed"]),
                    "seconds": info["seconds"],
                    "peak_rss_mb": info["peak_rss_mb"],
                    "checkpoint": task["checkpoint"],
                }
            )
            # the tables of this task carry its index so components can be linked
            resolved[-1] = resolved[-1].assign(_task=len(records) - 1)
            _log.info(
                "partition %s (level %d): %d villages, %d roads, %d facilities, %s%s",
                task["partition"],
                task["level"],
                records[-1]["n_villages"],
                records[-1]["n_roads"],
                records[-1]["n_facilities"],
                f"computed in {info['seconds']:.1f} s" if info["computed"] else "from checkpoint",
                f"; {n_un} villages need a wider buffer" if n_un else "",
            )
        groups = next_groups
        level += 1
    rows = pd.concat(resolved, ignore_index=True) if resolved else pd.DataFrame()
    nodes_all = pd.concat(node_tables, ignore_index=True) if node_tables else pd.DataFrame()
    return rows, pd.DataFrame(records), nodes_all


# --------------------------------------------------------------------------------------------------
# the task (runs on a worker)


def _peak_rss_mb() -> float | None:
    try:
        import resource
    except ImportError:  # pragma: no cover - Windows
        return None
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def _partition_task(task: Mapping[str, Any], settings: Mapping[str, Any], n_jobs: int) -> dict:
    """Compute one partition and write its checkpoint file; returns timing and memory."""
    from ._files import atomic_path
    from .errors import NetworkError
    from .options import set_options
    from .pipeline import accessibility_layer
    from .snapping import locate

    path = Path(task["checkpoint"])
    if path.exists():  # another attempt finished it
        return {"computed": False, "seconds": 0.0, "peak_rss_mb": _peak_rss_mb()}
    t0 = time.perf_counter()
    with set_options(progress=False):
        net = _build_network(task["roads"], settings)
        edges = net.edges
        for m, v in settings["vmax_kmh"].items():
            t = np.fmin(edges[f"{m}_fwd_min"].to_numpy(), edges[f"{m}_bwd_min"].to_numpy())
            with np.errstate(divide="ignore", invalid="ignore"):
                sp = edges["length_m"].to_numpy() / 1000.0 / (t / 60.0)
            fast = np.isfinite(sp) & (sp > v * (1 + 1e-9))
            if fast.any():
                raise NetworkError(
                    f"partition {task['partition']}: {int(fast.sum())} edge(s) allow {m} at "
                    f"{float(sp[fast].max()):.2f} km/h, faster than the {v:.2f} km/h the buffer "
                    "was sized for; set the speeds in [network.speeds]"
                )
        vil = task["villages"]
        layer = accessibility_layer(
            net, vil, task["facilities"], n_jobs=n_jobs, **settings["layer"]
        )
        own = np.asarray(task["own"], bool)
        out = layer.iloc[np.flatnonzero(own)]
        new_cols = [c for c in layer.columns if c not in vil.columns]
        table = pd.DataFrame(out[new_cols]).reset_index(drop=True)
        fac_index = task["facilities"].index
        fac_pos = np.asarray(task["facility_pos"], np.int64)
        for s in settings["service_modes"]:
            col = f"{s}_nearest_id"
            ids = out[col]
            pos = np.full(len(ids), -1, dtype=np.int64)
            has = ids.notna().to_numpy()
            pos[has] = fac_pos[fac_index.get_indexer(ids[has])]
            table[col] = pos
        own_v = vil.iloc[np.flatnonzero(own)]
        snapped: dict[str, np.ndarray] = {}
        comp = None
        for m in settings["all_modes"]:
            loc = locate(
                own_v,
                net,
                mode=m,
                max_snap_m=settings["layer"]["max_snap_m"],
                connector_speed_kmh=settings["layer"]["connector_speed_kmh"],
                what="villages",
            )
            snapped[m] = loc["snapped"].to_numpy()
            if m == settings["first_mode"]:
                comp = loc["component"].to_numpy(np.int64)
        if task["whole"]:
            ok = np.ones(len(out), bool)
        else:
            ok = out["snap_distance_m"].to_numpy() <= task["roads_radius_m"]
            checks = [(s, m, f"{s}_nearest_min") for s, m in settings["service_modes"].items()]
            checks += [
                (s, m, f"{s}_{m}_nearest_min")
                for s, ms in settings["extra_nearest"].items()
                for m in ms
            ]
            for _s, m, col in checks:
                within = out[col].to_numpy(np.float64) <= task["t_bound_min"][m]
                ok &= within | ~snapped[m]
        table["_village"] = np.asarray(task["village_pos"], np.int64)[own]
        table["_component"] = comp
        table["_resolved"] = ok
        nodes = pd.DataFrame(
            {
                "x": net.nodes["x"].to_numpy(np.float64),
                "y": net.nodes["y"].to_numpy(np.float64),
                "component": net.nodes["component"].to_numpy(np.int64),
            }
        )
    import pyogrio

    with atomic_path(path) as tmp:
        pyogrio.write_dataframe(table, tmp, layer="villages", driver="GPKG")
        pyogrio.write_dataframe(nodes, tmp, layer="nodes", driver="GPKG", append=False)
    return {
        "computed": True,
        "seconds": time.perf_counter() - t0,
        "peak_rss_mb": _peak_rss_mb(),
    }


def _read_checkpoint(path: str | os.PathLike) -> tuple[pd.DataFrame, pd.DataFrame]:
    import pyogrio

    table = pyogrio.read_dataframe(path, layer="villages", read_geometry=False)
    nodes = pyogrio.read_dataframe(path, layer="nodes", read_geometry=False)
    return pd.DataFrame(table), pd.DataFrame(nodes)


# --------------------------------------------------------------------------------------------------
# merging


def _main_component(rows: pd.DataFrame, nodes: pd.DataFrame) -> np.ndarray:
    """``on_main_network`` for every row: link the tasks' components through shared junctions
    (equal node coordinates) and take the global component with the most distinct junctions."""
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import connected_components

    if nodes.empty:
        return np.zeros(len(rows), bool)
    n_comp = nodes.groupby("_task")["component"].max() + 1
    offset = pd.Series(np.r_[0, np.cumsum(n_comp.to_numpy())[:-1]], index=n_comp.index)
    tc = offset.reindex(nodes["_task"]).to_numpy() + nodes["component"].to_numpy()
    n_tc = int(n_comp.sum())
    gid, uniq = pd.MultiIndex.from_arrays([nodes["x"], nodes["y"]]).factorize()
    n_g = len(uniq)
    mat = coo_matrix((np.ones(len(tc)), (tc, n_tc + gid)), shape=(n_tc + n_g, n_tc + n_g)).tocsr()
    _, lab = connected_components(mat, directed=False)
    sizes = np.bincount(lab[n_tc:], minlength=lab.max() + 1)
    main = int(np.argmax(sizes))
    comp = rows["_component"].to_numpy(np.int64)
    task = rows["_task"].to_numpy(np.int64)
    have = comp >= 0
    out = np.zeros(len(rows), bool)
    out[have] = lab[offset.reindex(task[have]).to_numpy() + comp[have]] == main
    return out


def _merge(
    villages: gpd.GeoDataFrame,
    facilities: gpd.GeoDataFrame,
    rows: pd.DataFrame,
    nodes: pd.DataFrame,
) -> gpd.GeoDataFrame:
    pos = rows["_village"].to_numpy(np.int64)
    if len(np.unique(pos)) != len(pos) or len(pos) != len(villages):
        raise PartitionError(  # pragma: no cover - internal consistency
            f"merged {len(pos)} rows for {len(villages)} villages ({len(pos) - len(np.unique(pos))}"
            " duplicates); delete the checkpoint folder and run again"
        )
    rows = rows.iloc[np.argsort(pos, kind="stable")].reset_index(drop=True)
    rows["on_main_network"] = _main_component(rows, nodes)
    out = villages.copy()
    fac_ids = facilities.index.to_numpy()
    for col in rows.columns:
        if col.startswith("_"):
            continue
        if col.endswith("_nearest_id"):
            p = rows[col].to_numpy(np.int64)
            ids = np.empty(len(p), dtype=object)
            ids[p >= 0] = fac_ids[p[p >= 0]]
            ids[p < 0] = None
            out[col] = ids
        else:
            out[col] = rows[col].to_numpy()
    return out


# --------------------------------------------------------------------------------------------------
# a synthetic region of several counties


@dataclasses.dataclass
class Region:
    """A synthetic multi-county region: layers like the demo county plus a ``county`` column."""

    roads: gpd.GeoDataFrame
    villages: gpd.GeoDataFrame
    facilities: gpd.GeoDataFrame
    townships: gpd.GeoDataFrame
    crs: Any

    def __repr__(self) -> str:
        return (
            f"<Region {self.villages['county'].nunique()} counties, {len(self.villages)} villages, "
            f"{len(self.facilities)} facilities, {len(self.roads)} roads>"
        )


def _link_roads(a: gpd.GeoDataFrame, b: gpd.GeoDataFrame, *, axis: int, n: int) -> list[Any]:
    """Straight roads joining road vertices of county ``a`` to those of ``b`` across their border
    (``b`` lies east of ``a`` for axis 0, north for axis 1); ends are existing vertices, so the new
    roads join both networks."""
    major = ("expressway", "national", "provincial", "county", "township")
    out = []

    def verts(g: gpd.GeoDataFrame) -> np.ndarray:
        sel = g[g["road_class"].isin(major)]
        return shapely.get_coordinates((sel if len(sel) else g).geometry.to_numpy())

    va, vb = verts(a), verts(b)
    other = 1 - axis
    lo = max(va[:, other].min(), vb[:, other].min())
    hi = min(va[:, other].max(), vb[:, other].max())
    edges = np.linspace(lo, hi, n + 1)
    for k in range(n):
        ina = va[(va[:, other] >= edges[k]) & (va[:, other] <= edges[k + 1])]
        inb = vb[(vb[:, other] >= edges[k]) & (vb[:, other] <= edges[k + 1])]
        if len(ina) == 0 or len(inb) == 0:
            continue
        pa = ina[np.argmax(ina[:, axis])]
        pb = inb[np.argmin(inb[:, axis])]
        out.append(shapely.LineString([pa, pb]))
    return out


def make_region(
    n_counties: int = 3,
    *,
    columns: int | None = None,
    seeds: Sequence[int] | None = None,
    links_per_border: int = 2,
    link_class: str = "national",
) -> Region:
    """Several synthetic demo counties side by side, joined by inter-county roads.

    County ``i`` is placed at column ``i % columns`` and row ``i // columns`` of a grid (40 x
    35 km cells, the demo county's extent), its ids prefixed with its code (``C00-``, ``C01-``, ...)
    and a ``county`` column added to villages, facilities, townships and roads. Neighbouring
    counties are joined by ``links_per_border`` straight roads of class ``link_class`` between
    their major roads' outermost vertices, so trips (and catchments) cross county borders.

    Parameters
    ----------
    n_counties
        Number of counties.
    columns
        Counties per row (default: all in one row).
    seeds
        Generator seeds (:func:`accessibility.datasets.make_demo_county`, about 6 s each); the
        default copies the shipped demo county (fast), each copy shifted.
    links_per_border
        Roads joining each pair of neighbouring counties.
    link_class
        Road class of the joining roads.

    Examples
    --------
    >>> from accessibility.distributed import make_region
    >>> region = make_region(2)
    >>> sorted(region.villages["county"].unique())
    ['C00', 'C01']
    """
    import tempfile

    from .datasets import DEMO_HEIGHT_M, DEMO_WIDTH_M, load_demo, make_demo_county

    cols_n = columns or n_counties
    cache: dict[Any, Any] = {}
    layers: dict[str, list[gpd.GeoDataFrame]] = {
        "roads": [],
        "villages": [],
        "facilities": [],
        "townships": [],
    }
    roads_of: dict[tuple[int, int], gpd.GeoDataFrame] = {}
    crs = None
    for i in range(n_counties):
        seed = None if seeds is None else int(seeds[i % len(seeds)])
        if seed not in cache:
            if seed is None:
                cache[seed] = load_demo()
            else:
                with tempfile.TemporaryDirectory() as tmp:
                    cache[seed] = make_demo_county(tmp, seed=seed, population_raster=False)
        demo = cache[seed]
        crs = demo.crs
        col, row = i % cols_n, i // cols_n
        dx, dy = col * DEMO_WIDTH_M, row * DEMO_HEIGHT_M
        code = f"C{i:02d}"
        for name in layers:
            g = getattr(demo, name).copy()
            g = g.set_geometry(g.geometry.translate(dx, dy))
            if name in ("villages", "facilities"):
                g.index = pd.Index([f"{code}-{v}" for v in g.index], name=g.index.name)
            if "township" in g.columns:
                g["township"] = code + "-" + g["township"].astype(str)
            if name == "facilities" and "village_id" in g.columns:
                g["village_id"] = code + "-" + g["village_id"].astype(str)
            if name == "roads" and "road_id" in g.columns:
                g["road_id"] = code + "-" + g["road_id"].astype(str)
            g["county"] = code
            layers[name].append(g)
        roads_of[(col, row)] = layers["roads"][-1]
    links = []
    for (col, row), g in roads_of.items():
        for axis, nb in ((0, (col + 1, row)), (1, (col, row + 1))):
            if nb in roads_of:
                for line in _link_roads(g, roads_of[nb], axis=axis, n=links_per_border):
                    links.append((line, f"link-{col}{row}-{nb[0]}{nb[1]}-{len(links)}"))
    roads = pd.concat(layers["roads"], ignore_index=True)
    if links:
        extra = gpd.GeoDataFrame(
            {
                "road_id": [name for _, name in links],
                "road_class": link_class,
                "name": "跨县公路",
                "oneway": False,
                "county": "link",
            },
            geometry=[line for line, _ in links],
            crs=crs,
        )
        roads = pd.concat([roads, extra], ignore_index=True)
    roads = gpd.GeoDataFrame(roads, geometry=roads.geometry.name, crs=crs)
    out = {k: gpd.GeoDataFrame(pd.concat(v), crs=crs) for k, v in layers.items() if k != "roads"}
    return Region(
        roads=roads,
        villages=out["villages"],
        facilities=out["facilities"],
        townships=out["townships"].reset_index(drop=True),
        crs=crs,
    )


def _toml_value(v: Any) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int | float):
        return repr(v)
    if isinstance(v, str):
        return json.dumps(v, ensure_ascii=False)
    if isinstance(v, Mapping):
        return "{ " + ", ".join(f"{k} = {_toml_value(x)}" for k, x in v.items()) + " }"
    if isinstance(v, Sequence):
        return "[" + ", ".join(_toml_value(x) for x in v) + "]"
    raise ConfigError(f"cannot write {v!r} to TOML")  # pragma: no cover


def write_region_project(
    region: Region,
    folder: str | os.PathLike,
    *,
    services: Mapping[str, Mapping[str, Any]],
    mode: str = "car",
    thresholds_min: Sequence[float] = (15, 30, 60),
    max_snap_m: float = 1000.0,
    tolerance_m: float = 2.5,
    standards: str = "none",
    report: bool = False,
) -> Path:
    """Write a region's layers to ``folder/region.gpkg`` and a project file for them; returns the
    path of ``folder/project.toml`` (run it with :func:`run_partitioned` or ``run_project``).

    ``services`` is the ``[services]`` table, e.g. ``{"clinic": {"thresholds_min": [10, 20]}}``.
    """
    from ._files import atomic_path
    from .io import write_geopackage

    out = Path(folder)
    out.mkdir(parents=True, exist_ok=True)
    write_geopackage(
        out / "region.gpkg",
        {
            "roads": region.roads,
            "villages": region.villages,
            "facilities": region.facilities,
            "townships": region.townships,
        },
        overwrite=True,
    )
    lines = [
        "# SYNTHETIC multi-county region (accessibility.distributed.make_region)",
        "[project]",
        'name = "Synthetic region"',
        "[input]",
    ]
    for layer in ("roads", "villages", "facilities", "townships"):
        lines += [f'{layer} = "region.gpkg"', f'{layer}_layer = "{layer}"']
    lines += [
        "[columns]",
        'village_id = "village_id"',
        'facility_id = "facility_id"',
        "[network]",
        f"tolerance_m = {float(tolerance_m)!r}",
        f"max_snap_m = {float(max_snap_m)!r}",
        "[analysis]",
        f'mode = "{mode}"',
        f"thresholds_min = {_toml_value([float(t) for t in thresholds_min])}",
    ]
    for name, spec in services.items():
        lines.append(f"[services.{name}]")
        lines += [f"{k} = {_toml_value(v)}" for k, v in spec.items()]
    lines += [
        "[equity]",
        f'standards = "{standards}"',
        "[output]",
        'folder = "out"',
        'geopackage = "accessibility.gpkg"',
        'csv = "villages.csv"',
        f'report = "{"report.html" if report else ""}"',
    ]
    path = out / "project.toml"
    with atomic_path(path) as tmp:
        Path(tmp).write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path
