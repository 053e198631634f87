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
    "speed_profile": "network",
    # locating points
    "locate": "locate",
    "to_points": "locate",
    # costs
    "travel_costs": "costs",
    "euclidean_costs": "costs",
    "read_costs": "costs",
    # per-village layer and the whole job
    "accessibility_layer": "pipeline",
    "run_project": "pipeline",
    "run_demo": "pipeline",
    # data
    "load_demo": "datasets",
    # output
    "write_geopackage": "io",
}

__all__ = ["__version__", *sorted(_LAZY)]


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'accessibility' has no attribute {name!r}")
    value = getattr(importlib.import_module(f".{module}", __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_LAZY))
