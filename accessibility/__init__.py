"""accessibility: geospatial accessibility analysis of public services.

Travel times from every village to schools, clinics and elder care over the real road network;
what each village can reach; floating-catchment and coverage measures; equity against planning
standards; GeoPackages that open styled in QGIS.

Importing the package does nothing but define names: submodules load on first use.
"""

from __future__ import annotations

import importlib
import logging
from typing import Any

__version__ = "0.1.0"

logging.getLogger(__name__).addHandler(logging.NullHandler())

# public name -> submodule that defines it (loaded lazily, PEP 562)
_LAZY: dict[str, str] = {
    # options and errors
    "set_options": "options",
    "get_options": "options",
    "AccessibilityError": "errors",
    # networks
    "Network": "network",
    "network_from_roads": "network",
    "network_from_osm": "network",
    "network_from_osmnx": "network",
    "speed_profile": "speeds",
    "with_uniform_speed": "uniform_speed",
    "read_osm_places": "osm",
    "read_osm_pois": "osm",
    # locating points
    "locate": "snapping",
    "to_points": "snapping",
    # costs
    "travel_costs": "costs",
    "nearest_costs": "costs",
    "euclidean_costs": "costs",
    "read_costs": "costs",
    # measures
    "cumulative": "measures",
    "cumulative_intervals": "measures",
    "gravity": "measures",
    "nearest_cost": "measures",
    "nearest_facility": "measures",
    "mean_nearest_cost": "measures",
    "two_sfca": "measures",
    "e2sfca": "measures",
    "m2sfca": "measures",
    "three_sfca": "measures",
    "kd2sfca": "measures",
    "bfca": "measures",
    "spatial_availability": "measures",
    "huff_probabilities": "measures",
    "measure_table": "measures",
    "capacity_coverage": "coverage",
    # per-village layer and the whole job
    "accessibility_layer": "project",
    "accessibility_layer_with_costs": "project",
    "LayerWithCosts": "project",
    "run_project": "project",
    "run_demo": "project",
    "demo_project": "project",
    "load_config": "config",
    # data
    "load_demo": "datasets",
    # input checks and Chinese coordinates
    "validate_locations": "validate",
    "validate_roads": "validate",
    "convert_points": "chinacrs",
    "detect_datum_offset": "chinacrs",
    # equity
    "standards_compliance": "equity",
    "coverage_rates": "equity",
    "gini": "equity",
    "theil_t": "equity",
    "theil_l": "equity",
    "theil_decomposition": "equity",
    "coefficient_of_variation": "equity",
    "palma": "equity",
    "concentration_index": "equity",
    "lorenz_curve": "equity",
    "fgt": "equity",
    "morans_i": "equity",
    "local_clusters": "equity",
    "underserved": "equity",
    "unit_summary": "equity",
    "load_standards": "standards",
    # terrain and rasters
    "edge_walk_times": "raster",
    "travel_time_surface": "raster",
    "zonal_population": "raster",
    "allocate_population": "raster",
    # planning
    "load_scenario": "planning",
    "apply_scenario": "planning",
    "evaluate_scenario": "planning",
    "run_scenario": "planning",
    "run_siting": "planning",
    # facility siting
    "maximal_covering": "siting",
    "p_median": "siting",
    "set_covering": "siting",
    "p_center": "siting",
    "equity_covering": "siting",
    "grid_candidates": "siting",
    # catchments
    "network_catchments": "catchments",
    "reached_roads": "catchments",
    "coverage_radii": "catchments",
    "compare_coverage": "catchments",
    "population_covered": "catchments",
    "uncovered_villages": "catchments",
    # maps
    "village_map": "maps",
    "catchment_map": "maps",
    "interactive_map": "maps",
    # output
    "write_geopackage": "io",
    "write_table": "io",
    "read_layer": "io",
    "write_report": "report",
}

# submodules reachable as attributes (``acc.decay.step(30)``)
_SUBMODULES = {
    "catchments",
    "charts",
    "chinacrs",
    "config",
    "costs",
    "coverage",
    "datasets",
    "decay",
    "equity",
    "errors",
    "io",
    "maps",
    "measures",
    "network",
    "options",
    "osm",
    "pipeline",
    "planning",
    "raster",
    "report",
    "routing",
    "siting",
    "snapping",
    "speeds",
    "styles",
    "validate",
}

__all__ = ["__version__", *sorted(_LAZY)]


def __getattr__(name: str) -> Any:
    if name in _SUBMODULES:
        return importlib.import_module(f".{name}", __name__)
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'accessibility' has no attribute {name!r}")
    value = getattr(importlib.import_module(f".{module}", __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_LAZY) | _SUBMODULES)
