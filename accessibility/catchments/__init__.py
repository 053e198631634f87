"""Catchments: network isochrone polygons, Euclidean coverage radii, and who they cover.

A *network catchment* of a facility for a time band ``B`` is the land from which the facility can be
reached (or which can be reached from it) within ``B`` minutes by travelling on the road network and
walking the rest of the way off the road. It is built from the parts of edges the bounded search
reaches (whole edges, and partly reached edges cut at the exact point), each widened by the distance
a person can still walk in the time left. Unlike a convex hull it never covers land that is only
close to the facility "as the crow flies" behind a river or a mountain without a road.

*Coverage radii* are the circles planning norms speak of (e.g. GB 50180's 5-, 10- and 15-minute
life circles drawn as 300 / 500 / 1000 m). :func:`compare_coverage` puts both side by side for every
village: the circle may claim a village that the road takes 45 minutes to reach.

Catchment layers follow the package's contract: a GeoDataFrame with columns ``facility``,
``service``, ``band_min`` (or ``radius_m``) and polygon geometry, in the caller's CRS.
"""

from .network import TOLERANCE_M as TOLERANCE_M
from .network import network_catchments, network_catchments_and_dissolved, reached_roads
from .pieces import WALK_SPEED_KMH as WALK_SPEED_KMH
from .population import population_covered, uncovered_villages
from .radii import CATEGORIES as CATEGORIES
from .radii import compare_coverage, coverage_radii

__all__ = [
    "compare_coverage",
    "coverage_radii",
    "network_catchments",
    "network_catchments_and_dissolved",
    "population_covered",
    "reached_roads",
    "uncovered_villages",
]
