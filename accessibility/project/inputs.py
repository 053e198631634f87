"""A project's inputs: its layers read and validated (every problem of a layer at once, naming the
project-file key) and its network built, exactly as every run of the project uses them."""

from __future__ import annotations

import contextlib
import logging
import os
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

import geopandas as gpd

from ..chinacrs import detect_datum_offset
from ..errors import InvalidValueError, MissingColumnError
from ..io import read_layer
from ..network import Network, network_from_osm, network_from_roads
from ..speeds import CHINA_CLASS_ALIASES, speed_profile
from ..validate import check_extent_overlap, validate_locations, validate_roads
from .check import check_project
from .config import load_config
from .osm_inputs import project_facilities, project_villages
from .requirements import checked_columns, column_needs, without_unused_supply
from .service_names import recode_services

__all__ = [
    "ProjectInputs",
    "load_project_inputs",
    "project_transit",
    "read_project_layer",
    "read_validated_layers",
    "road_network_options",
]

_log = logging.getLogger(__name__)


def read_project_layer(inp: Mapping[str, Any], key: str) -> gpd.GeoDataFrame:
    """Read the layer of ``[input] key`` with its ``{key}_layer`` and ``{key}_encoding``."""

    return read_layer(inp[key], layer=inp.get(f"{key}_layer"), encoding=inp.get(f"{key}_encoding"))


def _known_classes(profile: Mapping[str, Mapping[str, float]], name: Any) -> set[str]:
    """The road classes that have a speed: the table's keys and, for "china", the Chinese names
    (国道, 县道, 村道, ...) that stand for them."""
    known = {c for table in profile.values() for c in table}
    if name == "china":
        known |= {alias for alias, key in CHINA_CLASS_ALIASES.items() if key in known}
    return known


@contextlib.contextmanager
def _project_keys(keys: Mapping[str, list[str]]) -> Iterator[None]:
    """Add the project-file key that named a missing column to the error message."""
    try:
        yield
    except (MissingColumnError, InvalidValueError) as exc:  # a column absent or its values
        named = [
            f"'{c}' is set by {' and '.join(k)}" for c, k in keys.items() if f"'{c}'" in str(exc)
        ]
        if not named:
            raise
        error = type(exc)(f"{exc} In the project file, {'; '.join(named)}.")
        error.__dict__.update(exc.__dict__)  # e.g. the `problems` of a multi-problem error
        raise error from exc


def _validated_locations(
    cfg: Mapping[str, Any],
    cols: Mapping[str, Any],
    ana: Mapping[str, Any],
    specs: Mapping[str, Mapping[str, Any]] | None,
    roads: gpd.GeoDataFrame | None,
) -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame]:
    raw_villages, raw_facilities = project_villages(cfg), project_facilities(cfg)
    demand, supply = checked_columns(cfg, specs, raw_facilities)
    villages = validate_locations(
        raw_villages,
        kind="villages",
        id_column=cols["village_id"],
        required_columns=demand,
        nonnegative_columns=demand,
        polygons=ana["village_polygons"],
        reference_extent=roads,
    )
    facilities = validate_locations(
        raw_facilities,
        kind="facilities",
        id_column=cols["facility_id"],
        required_columns=[cols["service"], *supply[0]],
        nonnegative_columns=supply[1],
        reference_extent=roads,
    )
    # 卫生院, 敬老院 ... read as the services the standards name (their [names] and aliases)
    named = [*(cfg["services"] or {}), *(ana["services"] or [])]  # the project's own names win
    facilities = recode_services(facilities, cols["service"], _service_names(cfg), keep=named)
    return villages, facilities


def _service_names(cfg: Mapping[str, Any]) -> dict[str, Any]:
    """The ``[names]`` table of the project's standards (the built-in one without standards)."""
    from ..standards import default_standards
    from .standards import project_standards

    table = project_standards(cfg) if cfg["equity"]["standards"] != "none" else None
    names = dict(default_standards().attrs.get("names", {}))
    if table is not None:
        names.update(table.attrs.get("names", {}))
    return names


@dataclass
class ProjectInputs:
    """A project's inputs, validated, and its network, exactly as :func:`run_project` uses them."""

    config: dict[str, Any]
    villages: gpd.GeoDataFrame
    facilities: gpd.GeoDataFrame
    network: Network
    specs: dict[str, dict[str, Any]] | None
    townships: gpd.GeoDataFrame | None = None
    transit: Any = None  # the TransitSetup of [transit], or None


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

    ana = cfg["analysis"]
    specs = cfg["services"] or None
    if specs is None and ana["services"]:
        specs = {s: {} for s in ana["services"]}
    # requirements follow use: a demand or supply column is needed only where something uses it
    demand_needs, supply_needs = column_needs(cfg, specs)
    net_cfg = cfg["network"]
    roads = None
    if inp["roads"]:
        roads = read_project_layer(inp, "roads")
        profile = speed_profile(net_cfg["profile"], overrides=net_cfg.get("speeds"))
        roads = validate_roads(
            roads,
            cols["road_class"],
            speed_column=cols["road_speed"],
            known_classes=_known_classes(profile, net_cfg["profile"]),
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
    for column, needs in {**supply_needs, **demand_needs}.items():
        keys.setdefault(column, []).append(f"needed by {' and '.join(needs)}")
    # every problem of a layer is reported at once, each with its fix
    with _project_keys(keys):
        villages, facilities = _validated_locations(cfg, cols, ana, specs, roads)
    if roads is not None:
        check_extent_overlap(villages, roads, points_name="villages")
        check_extent_overlap(facilities, roads, points_name="facilities")
        detect_datum_offset(facilities, roads, layer_name="facilities")
        detect_datum_offset(villages, roads, layer_name="villages")
    return specs, roads, villages, facilities


def road_network_options(cfg: Mapping[str, Any]) -> dict[str, Any]:
    """The options of :func:`accessibility.network_from_roads` a validated project configuration
    sets (``[columns]`` road columns and ``[network]``), but ``oneway`` and ``crs``."""
    roads = {"class": "road_class", "oneway": "oneway", "name": "road_name", "speed": "road_speed"}
    options = {f"{arg}_column": cfg["columns"][key] for arg, key in roads.items()}
    net_cfg = cfg["network"]
    options.update({k: net_cfg[k] for k in ("profile", "modes", "tolerance_m", "split_crossings")})
    options["speeds"] = net_cfg.get("speeds")
    return options


def load_project_inputs(
    config: str | os.PathLike | Mapping[str, Any], *, check: bool = False
) -> ProjectInputs:
    """Read and validate a project's layers and build its network (with slope-aware walking when
    ``[network] dem`` is set). Shared by :func:`run_project`, scenarios and siting.

    With ``check=True`` everything :func:`run_project` needs that does not need routing is
    checked first (:func:`accessibility.project.check_project`, as ``accessibility check``
    does), before the network is built."""

    cfg = load_config(config) if isinstance(config, str | os.PathLike) else dict(config)
    inp = cfg["input"]
    net_cfg = cfg["network"]
    specs, roads, villages, facilities = read_validated_layers(cfg)
    cfg, specs = without_unused_supply(cfg, specs, facilities)
    townships = None
    if inp["townships"]:
        townships = read_project_layer(inp, "townships")
    if check:
        check_project(cfg, villages, facilities, townships=townships)

    if inp["osm"]:
        _log.info(
            "OSM input: speed table [network] profile = %r%s",
            net_cfg["profile"],
            "" if net_cfg["profile"] != "osm" else " (OSM highway classes; the default for OSM)",
        )
        network = network_from_osm(
            inp["osm"],
            modes=net_cfg["modes"],
            profile=net_cfg["profile"],
            speeds=net_cfg.get("speeds"),
            use_maxspeed=net_cfg.get("use_maxspeed", True),
            oneway=net_cfg.get("oneway", True),
            crs=cfg["project"]["crs"],
        )
    else:
        network = network_from_roads(
            roads,
            **road_network_options(cfg),
            oneway=net_cfg.get("oneway", True),
            crs=cfg["project"]["crs"],
        )
    if net_cfg.get("dem") and "walk" in network.modes:
        from ..raster import edge_walk_times

        # slope-aware walking (Tobler): uphill slower than downhill, flat edges unchanged
        times = edge_walk_times(network, net_cfg["dem"], flat_speed_kmh="walk_speed_kmh")
        network = network.with_edge_times("walk", times["walk_fwd_min"], times["walk_bwd_min"])
        network.report["walk_times_from_dem"] = net_cfg["dem"]
    if net_cfg.get("uniform_speed_kmh"):
        from ..uniform_speed import with_uniform_speed

        network = with_uniform_speed(network, net_cfg["uniform_speed_kmh"])
    _log.info("%s", network.summary())
    transit = project_transit(cfg, network)
    return ProjectInputs(cfg, villages, facilities, network, specs, townships, transit)


def project_transit(cfg: Mapping[str, Any], network: Network) -> Any:
    """The :class:`~accessibility.transit.TransitSetup` of ``[transit]`` (running times missing
    from the line table derived from ``network``), or None without a timetable."""
    tr = cfg.get("transit") or {}
    if not (tr.get("lines") or tr.get("gtfs")):
        return None
    from ..transit import transit_setup_from_config

    setup = transit_setup_from_config(tr, network)
    if setup is not None:
        _log.info("transit: %r", setup.timetable)
    return setup
