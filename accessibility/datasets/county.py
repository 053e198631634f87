"""What the demo county is: its CRS, seed, layers, road classes, services, file names and extent."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import TYPE_CHECKING

from ..standards import KNOWN_SERVICES

if TYPE_CHECKING:
    import geopandas as gpd
    import pyproj

#: CRS of every demo layer and raster: CGCS2000 / 3-degree Gauss-Kruger CM 111E.
DEMO_CRS = "EPSG:4546"
#: Seed of the committed demo county.
DEMO_SEED = 20240527
#: Layers of the demo GeoPackage, in writing order.
LAYERS = ("roads", "villages", "facilities", "townships", "county", "schools")
#: Chinese road classes used in the ``road_class`` column, fastest first.
ROAD_CLASSES = ("expressway", "national", "provincial", "county", "township", "village", "track")
#: Facility services used in the ``service`` column.
SERVICES = KNOWN_SERVICES

GPKG_NAME = "demo_county.gpkg"
DEM_NAME = "demo_dem.tif"
POPULATION_NAME = "demo_population.tif"

#: The repository's ``data/`` folder: the demo files and their generator in a source checkout (an
#: installed package ships the files as ``accessibility.data``, without the generator).
SOURCE_DATA_DIR = Path(__file__).resolve().parents[2] / "data"
#: Width and height of the county's rectangular extent (m): the cell of one county in a region.
DEMO_WIDTH_M, DEMO_HEIGHT_M = 40_000.0, 35_000.0


@dataclasses.dataclass(frozen=True, eq=False)
class Demo:
    """The demo county's layers, as loaded by :func:`load_demo`.

    Attributes
    ----------
    roads
        Road lines: road_id, road_class, ref, name, oneway, gap_m.
    villages
        Administrative villages and urban communities, indexed by ``village_id``.
    facilities
        Public facilities, indexed by ``facility_id``.
    townships
        Township polygons.
    county
        The county boundary (one polygon).
    schools
        The school table of the compulsory-education audit (one point per primary or junior
        school, indexed by its ``facility_id``; see :mod:`accessibility.audit`).
    dem_path
        Elevation GeoTIFF (100 m cells, float32, metres).
    population_path
        Population GeoTIFF (people per 100 m cell), or None when absent.
    crs
        The CRS of every layer (EPSG:4546).
    """

    roads: gpd.GeoDataFrame
    villages: gpd.GeoDataFrame
    facilities: gpd.GeoDataFrame
    townships: gpd.GeoDataFrame
    county: gpd.GeoDataFrame
    dem_path: Path
    population_path: Path | None
    crs: pyproj.CRS
    schools: gpd.GeoDataFrame | None = None

    def __repr__(self) -> str:
        return (
            f"Demo(SYNTHETIC county: {len(self.villages)} villages, "
            f"{len(self.facilities)} facilities, {len(self.roads)} roads, "
            f"{len(self.townships)} townships, crs={self.crs.to_string()}, "
            f"dem_path={str(self.dem_path)!r})"
        )
