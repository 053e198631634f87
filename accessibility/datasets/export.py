"""The demo county written as the data a new user typically has, for tutorials and tests.

* :func:`write_demo_osm`: an OpenStreetMap PBF (roads, ``place=*`` villages, amenities) and a
  population raster beside it, as from an OSM extract and WorldPop;
* :func:`write_county_shapefiles`: GBK Shapefiles (no ``.cpg``) in CGCS2000 / 3-degree
  Gauss–Krüger (EPSG:4546) with Chinese column names and road classes 国道/省道/县道/乡道/村道,
  as a Chinese county bureau's data.

Both are SYNTHETIC (the demo county). From the command line::

    python -m accessibility.datasets.export osm county_osm
    python -m accessibility.datasets.export shapefiles county_shp
"""

from __future__ import annotations

import os
import shutil
import sys
import warnings
from collections.abc import Sequence
from pathlib import Path

__all__ = ["write_county_shapefiles", "write_demo_osm"]

#: demo road classes -> OSM highway values
_HIGHWAY = {
    "expressway": "motorway",
    "national": "trunk",
    "provincial": "primary",
    "county": "secondary",
    "township": "tertiary",
    "village": "unclassified",
    "track": "track",
}
#: demo services -> OSM tags
_AMENITY = {
    "hospital": {"amenity": "hospital"},
    "health_centre": {"amenity": "clinic"},
    "clinic": {"amenity": "doctors"},
    "primary_school": {"amenity": "school"},
    "junior_school": {"amenity": "school"},
    "elder_care": {"amenity": "nursing_home"},
    "day_care": {"amenity": "social_facility", "social_facility": "outreach"},
}
#: demo road classes -> Chinese road classes (as a county's road layer names them)
_ROAD_CLASS_ZH = {
    "expressway": "高速",
    "national": "国道",
    "provincial": "省道",
    "county": "县道",
    "township": "乡道",
    "village": "村道",
    "track": "机耕路",
}


def write_demo_osm(folder: str | os.PathLike) -> tuple[Path, Path]:
    """Write the demo county as ``county.osm.pbf`` and ``population.tif`` into ``folder``.

    Roads become ``highway=*`` ways joined at shared nodes, villages ``place=village`` nodes
    (every third one ``place=locality``, as many Chinese villages are mapped; town seats
    ``place=town``), facilities ``amenity=*`` nodes. The population raster is the demo's
    (100 m cells, EPSG:4546), standing in for a WorldPop raster.

    Returns
    -------
    tuple of Path
        The PBF and the raster.

    Examples
    --------
    >>> pbf, raster = write_demo_osm("demo_osm")
    >>> pbf.name, raster.name
    ('county.osm.pbf', 'population.tif')
    """
    import osmium

    from ..network import network_from_roads
    from .load import load_demo

    out = Path(folder)
    _refuse_existing([out / "county.osm.pbf", out / "population.tif"])
    out.mkdir(parents=True, exist_ok=True)
    demo = load_demo()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the demo's crossings are bridges, as intended
        net = network_from_roads(demo.roads, tolerance_m=2.5, modes=["car"])
    nodes = net.nodes.to_crs("EPSG:4326")
    edges = net.edges.to_crs("EPSG:4326")
    pbf = out / "county.osm.pbf"
    pbf.unlink(missing_ok=True)
    node_loc = dict(
        zip(nodes.index, zip(nodes.geometry.x, nodes.geometry.y, strict=True), strict=False)
    )
    next_id = max(int(i) for i in node_loc) + 2
    ways = []
    inner: list[tuple[int, tuple[float, float]]] = []
    for i, e in enumerate(edges.itertuples()):
        coords = list(e.geometry.coords)
        ids = [int(e.u) + 1]
        for xy in coords[1:-1]:
            inner.append((next_id, xy))
            ids.append(next_id)
            next_id += 1
        ids.append(int(e.v) + 1)
        tags = {"highway": _HIGHWAY.get(str(e.road_class), "unclassified")}
        if isinstance(e.name, str) and e.name:
            tags["name"] = e.name
        if bool(e.oneway):
            tags["oneway"] = "yes"
        ways.append(osmium.osm.mutable.Way(id=i + 1, nodes=ids, tags=tags))
    villages = demo.villages.to_crs("EPSG:4326")
    facilities = demo.facilities.to_crs("EPSG:4326")
    with osmium.SimpleWriter(str(pbf)) as writer:
        for nid, (x, y) in sorted(node_loc.items()):
            writer.add_node(osmium.osm.mutable.Node(id=int(nid) + 1, location=(x, y)))
        for nid, (x, y) in inner:
            writer.add_node(osmium.osm.mutable.Node(id=nid, location=(x, y)))
        nid = next_id
        for k, v in enumerate(villages.itertuples()):
            seat = v.settlement != "village"
            place = "town" if seat else ("locality" if k % 3 == 2 else "village")
            tags = {"place": place, "name": v.name}
            loc = (v.geometry.x, v.geometry.y)
            writer.add_node(osmium.osm.mutable.Node(id=nid, location=loc, tags=tags))
            nid += 1
        for f in facilities.itertuples():
            tags = {**_AMENITY[f.service], "name": f.name}
            loc = (f.geometry.x, f.geometry.y)
            writer.add_node(osmium.osm.mutable.Node(id=nid, location=loc, tags=tags))
            nid += 1
        for w in ways:
            writer.add_way(w)
    raster = out / "population.tif"
    if demo.population_path is None:  # the shipped demo always has one
        raise FileNotFoundError("the demo county's population raster is missing from the package")
    shutil.copyfile(demo.population_path, raster)
    return pbf, raster


def write_county_shapefiles(folder: str | os.PathLike) -> dict[str, Path]:
    """Write the demo county as a Chinese county's Shapefiles into ``folder``.

    GBK text without a ``.cpg`` file, CGCS2000 / 3-degree Gauss–Krüger zone 37 (EPSG:4546),
    Chinese column names: ``道路.shp`` (``名称``, ``道路等级`` 国道/省道/县道/乡道/村道, ``单行``),
    ``村庄.shp`` (``村名``, ``乡镇``, ``户籍人口``, ``城乡``), ``设施.shp`` (``名称``, ``类型``: the
    service names of the standards, e.g. ``clinic``, ``床位``), ``乡镇.shp`` (``乡镇``, ``名称``).

    Returns
    -------
    dict
        Layer role -> path of the ``.shp``.

    Examples
    --------
    >>> paths = write_county_shapefiles("county_shp")
    >>> sorted(p.name for p in paths.values())
    ['乡镇.shp', '村庄.shp', '设施.shp', '道路.shp']
    """
    from .load import load_demo

    out = Path(folder)
    out.mkdir(parents=True, exist_ok=True)
    demo = load_demo()
    roads = demo.roads.assign(道路等级=demo.roads["road_class"].map(_ROAD_CLASS_ZH))
    roads = roads.rename(columns={"name": "名称", "oneway": "单行"})
    roads["单行"] = roads["单行"].map({True: "是", False: "否"})
    v = demo.villages.reset_index()
    villages = v.rename(
        columns={
            "village_id": "村编码",
            "name": "村名",
            "township": "乡镇",
            "population": "户籍人口",
            "area_type": "城乡",
        }
    )
    f = demo.facilities.reset_index()
    # facility types as county registers write them; the project reads them by the standards'
    # [names] aliases (卫生院 -> health_centre ...)
    f["service"] = f["service"].map(_SERVICE_ZH).fillna(f["service"])
    facilities = f.rename(
        columns={"facility_id": "编码", "name": "名称", "service": "类型", "capacity": "床位"}
    )
    townships = demo.townships.rename(columns={"township": "乡镇", "name": "名称"})
    layers = {
        "roads": ("道路", roads[["名称", "道路等级", "单行", "geometry"]]),
        "villages": ("村庄", villages[["村编码", "村名", "乡镇", "户籍人口", "城乡", "geometry"]]),
        "facilities": ("设施", facilities[["编码", "名称", "类型", "床位", "geometry"]]),
        "townships": ("乡镇", townships[["乡镇", "名称", "geometry"]]),
    }
    _refuse_existing(
        [out / f"{name}.{ext}" for name, _ in layers.values() for ext in _SHAPEFILE_PARTS]
    )
    paths = {}
    for role, (name, gdf) in layers.items():
        path = out / f"{name}.shp"
        gdf.to_file(path, encoding="gbk", engine="pyogrio")
        (out / f"{name}.cpg").unlink(missing_ok=True)  # as such files usually come: no .cpg
        paths[role] = path
    return paths


_SHAPEFILE_PARTS = ("shp", "shx", "dbf", "prj", "cpg")
#: The demo's services as a county's facility register names them.
_SERVICE_ZH = {
    "hospital": "县医院",
    "health_centre": "卫生院",
    "clinic": "村卫生室",
    "primary_school": "小学",
    "junior_school": "初级中学",
    "elder_care": "敬老院",
    "day_care": "日间照料中心",
}


def _refuse_existing(paths: Sequence[Path]) -> None:
    """The exporters write only into files that do not exist yet: never over the user's data."""
    from ..errors import OutputError

    there = [p for p in paths if p.exists()]
    if there:
        raise OutputError(
            f"{there[0]} already exists ({len(there)} file(s) the export would write are there); "
            "export into an empty or new folder."
        )


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m accessibility.datasets.export {osm,shapefiles} FOLDER``."""
    args = list(sys.argv[1:] if argv is None else argv)
    if len(args) != 2 or args[0] not in ("osm", "shapefiles"):
        print("usage: python -m accessibility.datasets.export {osm,shapefiles} FOLDER")
        return 2
    if args[0] == "osm":
        written = list(write_demo_osm(args[1]))
    else:
        written = list(write_county_shapefiles(args[1]).values())
    for path in written:
        print(path)
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
