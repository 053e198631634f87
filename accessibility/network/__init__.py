"""Routable road networks from road layers, OSM files and osmnx graphs.

A :class:`Network` owns one projected metric CRS, the nodes and edges as GeoDataFrames (for maps
and catchments) and, per travel mode, compact CSR arrays for the routing kernel
(:mod:`accessibility.routing`).

Edges are undirected road pieces between two junctions, oriented ``u -> v`` along their geometry;
each mode has a travel time in each direction (``{mode}_fwd_min``, ``{mode}_bwd_min``; ``inf`` where
the mode may not go that way, e.g. against a one-way street by car or on an expressway on foot).

The package, by job: ``types`` the :class:`Network` type; ``roads`` :func:`network_from_roads`;
``osm`` :func:`network_from_osm` and :func:`network_from_osmnx`; ``inputs`` a network from
whatever the user has; ``assemble`` the shared back end (lines -> edges with times per mode);
``repair`` T-junctions and crossings; ``boxes`` the pairs of boxes that meet, on a grid;
``topology`` near points and lines split at junctions.

Examples
--------
The examples run on the bundled (synthetic) demo county:

>>> import accessibility as acc
>>> from accessibility.network import *
>>> demo = acc.load_demo()
>>> net = network_from_roads(demo.roads, tolerance_m=2.5)
>>> net.modes, net.crs.to_epsg()
(('walk', 'bike', 'ebike', 'car'), 4546)
"""

from __future__ import annotations

from .._crs import metric_crs
from ..speeds import speed_profile
from .inputs import read_network_input as read_network_input
from .osm import network_from_osm, network_from_osmnx
from .roads import CLASS_COLUMN_CANDIDATES as CLASS_COLUMN_CANDIDATES
from .roads import network_from_roads
from .types import Network

__all__ = [
    "Network",
    "metric_crs",
    "network_from_osm",
    "network_from_osmnx",
    "network_from_roads",
    "speed_profile",
]
