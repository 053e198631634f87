"""A network from whatever the user has: a Network, a road layer or file, an OSM file, an osmnx
graph."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import geopandas as gpd

from ..errors import NetworkError
from .osm import network_from_osm, network_from_osmnx
from .roads import network_from_roads
from .types import Network

__all__ = ["read_network_input"]


def read_network_input(source: Any, **kwargs: Any) -> Network:
    """Build a network from whatever the user has: a Network, GeoDataFrame, road file, OSM file or
    osmnx graph."""
    if isinstance(source, Network):
        return source
    if isinstance(source, gpd.GeoDataFrame):
        return network_from_roads(source, **kwargs)
    if isinstance(source, str | os.PathLike):
        name = Path(source).name.lower()
        if name.endswith((".osm", ".osm.gz", ".osm.bz2", ".pbf", ".osm.pbf")):
            return network_from_osm(source, **kwargs)
        return network_from_roads(source, **kwargs)
    try:
        import networkx as nx

        if isinstance(source, nx.MultiDiGraph):
            return network_from_osmnx(source, **kwargs)
    except ImportError:  # pragma: no cover
        pass
    raise NetworkError(
        f"cannot build a network from {type(source).__name__}; give a road GeoDataFrame, a "
        "GeoPackage/Shapefile path, an OSM file (.osm, .osm.gz, .osm.bz2, .osm.pbf) or an osmnx graph"
    )
