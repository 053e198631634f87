"""The synthetic demo county shipped in ``data/``: load it, or regenerate it.

The demo county (青岚县, *Qinglan Xian*) is **synthetic**: it is not a real place. A deterministic
generator (:func:`make_demo_county`, a fixed-seed :class:`numpy.random.Generator`, no network)
builds a rural county of about 40 x 35 km around 111°E 27°N in EPSG:4546 (CGCS2000 / 3-degree
Gauss-Kruger CM 111E): a county seat with a street grid, eleven townships, a few hundred
administrative villages with population and age groups, a hierarchical road network in the Chinese
road classes, mountains in the north-west (DEM raster) and public facilities of every kind,
spread so that the urban-rural gap and the poorly served mountain townships are visible.

This package loads the shipped files (:mod:`.county` says what they are, :mod:`.load` reads them);
the generator itself is not shipped: it lives in the repository's ``data/generator/``, which
:mod:`.regenerate` runs from a source checkout (``python data/make_demo_county.py``).

Layers (see ``data/README.md`` and ``docs/demo_county.md`` for every column):

* ``roads`` — road_id, road_class, ref, name, oneway, gap_m, LineString;
* ``villages`` — index ``village_id``; name, name_pinyin, township, area_type, settlement, terrain,
  population, pop_school_age, pop_elderly, income_yuan, elevation_m, Point;
* ``facilities`` — index ``facility_id``; name, service, level, capacity, capacity_unit, doctors,
  teachers, township, village_id, Point;
* ``townships`` — township, name, name_pinyin, area_type, terrain, population, Polygon;
* ``county`` — name, name_pinyin, note, seed, Polygon.

Examples
--------
>>> from accessibility.datasets import load_demo
>>> demo = load_demo()
>>> demo.villages.index.name, demo.crs.to_epsg()
('village_id', 4546)
>>> sorted(demo.facilities["service"].unique())[:3]
['clinic', 'day_care', 'elder_care']
"""

from .county import (
    DEM_NAME,
    DEMO_CRS,
    DEMO_HEIGHT_M,
    DEMO_SEED,
    DEMO_WIDTH_M,
    GPKG_NAME,
    LAYERS,
    POPULATION_NAME,
    ROAD_CLASSES,
    SERVICES,
    Demo,
)
from .load import demo_path, load_demo
from .regenerate import load_generator, make_demo_county

__all__ = [
    "DEMO_CRS",
    "DEMO_HEIGHT_M",
    "DEMO_SEED",
    "DEMO_WIDTH_M",
    "DEM_NAME",
    "GPKG_NAME",
    "LAYERS",
    "POPULATION_NAME",
    "ROAD_CLASSES",
    "SERVICES",
    "Demo",
    "demo_path",
    "load_demo",
    "load_generator",
    "make_demo_county",
    "write_county_shapefiles",
    "write_demo_osm",
]


def __getattr__(name: str) -> object:
    """The exporters, imported on first use, so that ``python -m accessibility.datasets.export``
    does not find its module already imported (a runpy warning)."""
    if name in ("write_county_shapefiles", "write_demo_osm"):
        from . import export

        return getattr(export, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
