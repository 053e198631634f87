"""Rasters: population surfaces, slope-aware walking on a DEM, friction-surface travel time.

Three jobs, all on top of :mod:`rasterio`, one module each (plus :mod:`.core` for the
:class:`Raster` itself and its files, and :mod:`.zonal` for per-village statistics):

* **Population rasters to demand** (WorldPop and the like): zonal sums over village polygons
  (:func:`zonal_population`), allocation of every populated cell to its nearest village by straight-line
  distance or travel time (:func:`assign_population_cells`, :func:`allocate_population`), or every
  populated cell as its own demand point (:func:`population_points`). Counts are conserved: rasters are
  never resampled; the vector side is reprojected onto the raster instead.
* **Slope-aware walking** with Tobler's hiking function (:func:`tobler_speed_kmh`): per-edge walking
  times in both directions from elevations sampled along the edge geometry (:func:`edge_walk_times`), and
  the off-network leg between a village and its snap point (:func:`connector_walk_times`). DEMs may be
  GeoTIFFs or SRTM ``.hgt`` tiles, also zipped (``N49E011.hgt.zip``) and several tiles at once.
* **Friction-surface travel time** as in WHO's AccessMod: a speed raster from land cover
  (:func:`speed_from_landcover`) or a given friction surface (minutes per metre, like the Malaria Atlas
  Project surfaces), roads burned in (:func:`burn_roads`), barriers made impassable
  (:func:`add_barriers`), multi-source cumulative travel time on the 8- or 16-neighbour grid graph,
  anisotropic on slopes when a DEM is given (:func:`travel_time_surface`, :func:`catchment_surface`),
  a QGIS-friendly GeoTIFF (:func:`write_raster`), per-village statistics (:func:`zonal_travel_time`) and
  a comparison with network travel times (:func:`compare_with_network`).

Rasters in a geographic CRS (degrees) are handled exactly: step lengths between cell centres are
geodesic distances computed row by row on the CRS's ellipsoid, so cells shrink towards the poles as
they should.

References
----------
Tobler, W. (1993). Three presentations on geographical analysis and modeling. NCGIA Technical
Report 93-1.
Ray, N., Ebener, S. (2008). AccessMod 3.0: computing geographic coverage and accessibility to health
care services using anisotropic movement of patients. International Journal of Health Geographics 7:63.
Weiss, D. J. et al. (2020). Global maps of travel time to healthcare facilities. Nature Medicine 26.

Examples
--------
The examples run on the bundled (synthetic) demo county and its two rasters,
``data/demo_dem.tif`` (elevation, metres) and ``data/demo_population.tif`` (people per cell), both
on the same grid of 100 m cells in EPSG:4546. The friction surface is walking at 4 km/h off the
roads, with the roads burned in at their car speeds:

>>> import numpy as np
>>> import accessibility as acc
>>> from accessibility.raster import *
>>> demo = acc.load_demo()
>>> dem = read_raster(demo.dem_path)
>>> pop = demo.population_path
>>> villages = demo.villages
>>> clinics = demo.facilities[demo.facilities["service"] == "clinic"]
>>> net = acc.network_from_roads(demo.roads, tolerance_m=2.5)
>>> offroad = Raster(np.full(dem.shape, 4.0), dem.transform, dem.crs)  # km/h everywhere
>>> fr = burn_roads(friction_from_speed(offroad), net.edges, speed_kmh="car_speed_kmh")
>>> tt = travel_time_surface(fr, clinics)  # minutes to the nearest clinic
>>> dem.shape, dem.res
((370, 420), (100.0, 100.0))
"""

from .core import NODATA as NODATA  # constants kept at accessibility.raster.*
from .core import Raster, read_raster, write_raster
from .friction import add_barriers, burn_roads, friction_from_speed, speed_from_landcover
from .population import (
    allocate_population,
    assign_population_cells,
    population_points,
    zonal_population,
)
from .terrain import TOBLER_FLAT_KMH as TOBLER_FLAT_KMH
from .terrain import connector_walk_times, edge_walk_times, tobler_speed_kmh
from .travel import catchment_surface, travel_time_surface
from .zonal import compare_with_network, sample_raster, zonal_travel_time

__all__ = [
    "Raster",
    "add_barriers",
    "allocate_population",
    "assign_population_cells",
    "burn_roads",
    "catchment_surface",
    "compare_with_network",
    "connector_walk_times",
    "edge_walk_times",
    "friction_from_speed",
    "population_points",
    "read_raster",
    "sample_raster",
    "speed_from_landcover",
    "tobler_speed_kmh",
    "travel_time_surface",
    "write_raster",
    "zonal_population",
    "zonal_travel_time",
]
