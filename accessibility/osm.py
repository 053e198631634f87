"""Reading OpenStreetMap files offline with pyosmium: roads, places (villages) and facilities.

Works on ``.osm``, ``.osm.gz``, ``.osm.bz2`` XML and ``.osm.pbf``. Nothing is downloaded.
"""

from __future__ import annotations

import functools
import logging
import os
import re
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any, Literal

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from .errors import InvalidValueError

__all__ = [
    "parse_maxspeed",
    "read_osm_places",
    "read_osm_pois",
    "read_osm_road_vertices",
    "read_osm_roads",
]

_log = logging.getLogger(__name__)

#: highway=* values that are not usable roads.
EXCLUDED_HIGHWAYS = frozenset(
    {
        "construction",
        "proposed",
        "abandoned",
        "disused",
        "razed",
        "platform",
        "raceway",
        "bus_stop",
        "elevator",
        "rest_area",
        "services",
        "no",
        "bus_guideway",
        "escape",
        "emergency_bay",
        "via_ferrata",
        "street_lamp",
        "traffic_signals",
        "crossing",
    }
)

_MPH = re.compile(r"^\s*([\d.]+)\s*mph\s*$", re.IGNORECASE)
_NUM = re.compile(r"^\s*([\d.]+)\s*(km/h|kmh|kph)?\s*$", re.IGNORECASE)


def parse_maxspeed(value: Any) -> float:
    """km/h from an OSM ``maxspeed`` value ("50", "30 mph", "50 km/h"); NaN when not a number."""
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return float("nan")
    text = str(value).split(";")[0]
    m = _MPH.match(text)
    if m:
        return float(m.group(1)) * 1.609344
    m = _NUM.match(text)
    if m:
        return float(m.group(1))
    return float("nan")


@functools.lru_cache(maxsize=4096)
def _maxspeed_text(text: str) -> float:
    """:func:`parse_maxspeed` of a tag's text, remembered (a file has few distinct values)."""
    return parse_maxspeed(text)


def _check_path(path: str | os.PathLike) -> str:
    p = Path(path)
    if not p.exists():
        raise FileNotFoundError(f"OSM file {str(p)!r} does not exist")
    name = p.name.lower()
    if not name.endswith((".osm", ".osm.gz", ".osm.bz2", ".pbf", ".xml", ".xml.gz", ".xml.bz2")):
        raise InvalidValueError(
            f"{str(p)!r} is not an OSM file; give .osm, .osm.gz, .osm.bz2 or .osm.pbf"
        )
    return os.fspath(p)


_WAY_TAGS = (
    "area",
    "oneway",
    "junction",
    "access",
    "motor_vehicle",
    "motorcar",
    "bicycle",
    "foot",
    "name",
    "maxspeed",
)


def read_osm_roads(path: str | os.PathLike) -> dict[str, Any]:
    """Every way with a usable ``highway`` tag, as lon/lat lines with OSM node ids per vertex.

    ``.osm.pbf`` files are decoded into arrays directly (:mod:`accessibility._pbf`); XML files,
    and PBF files using features that decoder leaves out, are read with pyosmium. Both give the
    same result.

    Returns
    -------
    dict
        ``geometry`` (array of LineStrings, EPSG:4326), ``attrs`` (DataFrame: road_class, oneway,
        name, maxspeed_kmh, no_car, no_bike, no_walk, source_id = way id), ``vertex_keys`` (OSM
        node id of every vertex, in ``shapely.get_coordinates`` order) and ``skipped`` (ways with a
        ``highway`` tag that were not read, counted by reason; also logged). Ways that run through
        nodes missing from the extract are split there.
    """
    roads = read_osm_road_vertices(path)
    sizes = roads["sizes"]
    geoms = (
        shapely.linestrings(roads["lonlat"], indices=np.repeat(np.arange(len(sizes)), sizes))
        if len(sizes)
        else np.array([], dtype=object)
    )
    return {
        "geometry": np.asarray(geoms),
        "attrs": roads["attrs"],
        "vertex_keys": roads["vertex_keys"],
        "skipped": roads["skipped"],
    }


def read_osm_road_vertices(path: str | os.PathLike) -> dict[str, Any]:
    """:func:`read_osm_roads` as arrays, before any geometry is made.

    Returns
    -------
    dict
        ``lonlat`` (``(n, 2)`` float64, every vertex of every line in order), ``sizes`` (vertices
        per line), ``vertex_keys``, ``attrs`` and ``skipped`` as in :func:`read_osm_roads`.

    Examples
    --------
    >>> read_osm_road_vertices("../shared/data/osm/imperial-county.osm.pbf")["sizes"].sum()  # doctest: +SKIP
    np.int64(197642)
    """
    from ._pbf import read_pbf_ways

    p = _check_path(path)
    ways = read_pbf_ways(p, "highway", _WAY_TAGS) if p.lower().endswith(".pbf") else None
    if ways is None:
        ways = _highway_ways_pyosmium(p)
    return _roads_from_ways(ways)


def _highway_ways_pyosmium(path: str) -> dict[str, Any]:
    """:func:`accessibility._pbf.read_pbf_ways`'s arrays, read with pyosmium (any OSM file)."""
    import osmium

    highway_ways = osmium.filter.KeyFilter("highway")
    highway_ways.enable_for(osmium.osm.WAY)
    fp = (
        osmium.FileProcessor(path, osmium.osm.NODE | osmium.osm.WAY)
        .with_locations()
        .with_filter(highway_ways)
        .with_filter(osmium.filter.EntityFilter(osmium.osm.WAY))
    )
    names = ("highway", *_WAY_TAGS)
    distinct: dict[str | None, int] = {None: -1}
    values: list[int] = []
    way_id: list[int] = []
    nref: list[int] = []
    nodes: list[tuple[int, int, int, bool]] = []
    for w in fp:
        if not isinstance(w, osmium.osm.Way):  # the entity filter passes only ways
            continue
        tags = w.tags
        values.extend(distinct.setdefault(tags.get(k), len(distinct) - 1) for k in names)
        way_id.append(w.id)
        size = 0
        for r in w.nodes:
            loc = r.location
            ok = loc.valid()
            nodes.append((r.ref, loc.x if ok else 0, loc.y if ok else 0, ok))
            size += 1
        nref.append(size)
    flat = np.array(nodes, dtype=np.int64).reshape(-1, 4)
    codes = np.array(values, dtype=np.int64).reshape(-1, len(names))
    del distinct[None]
    return {
        "way_id": np.array(way_id, dtype=np.int64),
        "nref": np.array(nref, dtype=np.int64),
        "ref": flat[:, 0].copy(),
        "x": flat[:, 1].copy(),
        "y": flat[:, 2].copy(),
        "valid": flat[:, 3].astype(bool),
        "strings": np.array([*distinct, None], dtype=object)[:-1],
        "tags": {k: codes[:, j].copy() for j, k in enumerate(names)},
    }


def _isin(codes: np.ndarray, code_of: Mapping[str, int], values: Iterable[str]) -> np.ndarray:
    """Per way: its tag (as a code into the distinct values, -1: absent) is one of ``values``."""
    return np.isin(codes, [code_of.get(v, -2) for v in values])


def _skip_reasons(
    tags: Mapping[str, np.ndarray], code_of: Mapping[str, int], strings: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Ways that are not roads (an excluded highway value, or area=yes), and why, per way."""
    hw = tags["highway"]
    excluded = _isin(hw, code_of, EXCLUDED_HIGHWAYS)
    square = _isin(tags["area"], code_of, ["yes"]) & ~excluded
    why = np.full(len(hw), None, dtype=object)
    why[excluded] = [f"highway={v} (not a road)" for v in strings[hw[excluded]]]
    why[square] = "area=yes (a square)"
    return excluded | square, why


def _road_flags(
    tags: Mapping[str, np.ndarray], code_of: Mapping[str, int]
) -> dict[str, np.ndarray]:
    """oneway, reverse (oneway=-1) and the per-mode bans of every way, from its tag codes."""

    def isin(key: str | np.ndarray, values: Iterable[str]) -> np.ndarray:
        return _isin(tags[key] if isinstance(key, str) else key, code_of, values)

    rev = isin("oneway", ["-1"])
    not_no = ~isin("oneway", ["no"])
    oneway = (
        rev
        | isin("oneway", ("yes", "true", "1"))
        | (isin("junction", ("roundabout", "circular")) & not_no)
        | (isin("highway", ("motorway", "motorway_link")) & not_no)
    )
    private = isin("access", ("no", "private"))
    # motor_vehicle, or motorcar where motor_vehicle is absent
    mv = np.where(tags["motor_vehicle"] >= 0, tags["motor_vehicle"], tags["motorcar"])
    no_car = (private & ~isin(mv, ("yes", "designated", "destination"))) | isin(
        mv, ("no", "private")
    )
    out = {"oneway": oneway, "reverse": rev, "no_car": no_car}
    for mode, key in (("no_bike", "bicycle"), ("no_walk", "foot")):
        out[mode] = (private & ~isin(key, ("yes", "designated"))) | isin(key, ("no", "private"))
    return out


def _roads_from_ways(ways: dict[str, Any]) -> dict[str, Any]:
    """Roads (see :func:`read_osm_roads`) from the ways' arrays, without a loop over ways."""
    tags = ways["tags"]
    strings = ways["strings"]
    code_of = {v: i for i, v in enumerate(strings.tolist())}
    nref = ways["nref"]
    not_road, why = _skip_reasons(tags, code_of, strings)
    # pieces: runs of way nodes with a valid location; a missing node splits its way there
    valid = ways["valid"]
    way_of_ref = np.repeat(np.arange(len(nref)), nref)
    road_ref = ~not_road[way_of_ref]
    n_missing = int((~valid & road_ref).sum())
    starts = np.r_[0, np.cumsum(nref)[:-1]] if len(nref) else np.zeros(0, np.int64)
    new_way = np.zeros(len(valid), bool)
    new_way[starts[nref > 0]] = True
    prev_valid = np.r_[False, valid[:-1]]
    run_start = valid & (new_way | ~prev_valid) & road_ref
    run_of = np.cumsum(run_start) - 1
    in_run = valid & road_ref
    run_size = np.bincount(run_of[in_run], minlength=int(run_start.sum()))
    run_way = way_of_ref[run_start]
    kept = run_size >= 2
    short = ~not_road & (np.bincount(run_way[kept], minlength=len(nref)) == 0)
    why[short] = "fewer than 2 of its nodes in the extract"
    skipped: dict[str, int] = {}
    for reason in why[why != None]:  # noqa: E711 - object array
        skipped[reason] = skipped.get(reason, 0) + 1
    if n_missing:
        _log.info("%d way node(s) lie outside the extract; their ways were split there", n_missing)
    if skipped:
        _log.info(
            "%d way(s) with a highway tag were not read as roads: %s",
            sum(skipped.values()),
            "; ".join(f"{n} {why}" for why, n in sorted(skipped.items())),
        )
    row_way = run_way[kept]
    tags = {k: c[row_way] for k, c in tags.items()}
    flags = _road_flags(tags, code_of)
    with_none = np.append(strings, np.array([None], dtype=object))  # code -1: no such tag
    speed = tags["maxspeed"]
    kmh = np.full(len(strings) + 1, np.nan)
    for code in np.unique(speed[speed >= 0]):
        kmh[code] = _maxspeed_text(strings[code])
    columns = {
        "road_class": with_none[tags["highway"]],
        "oneway": flags["oneway"],
        "reverse": flags["reverse"],
        "name": with_none[tags["name"]],
        "maxspeed_kmh": kmh[speed],
        "no_car": flags["no_car"],
        "no_bike": flags["no_bike"],
        "no_walk": flags["no_walk"],
        "source_id": ways["way_id"][row_way],
    }
    attrs = pd.DataFrame(columns) if len(row_way) else pd.DataFrame([], columns=list(columns))
    # vertices of the kept pieces, in order; ways tagged oneway=-1 run against their node order
    vert = np.flatnonzero(in_run & kept[run_of]) if len(kept) else np.zeros(0, np.int64)
    sizes = run_size[kept]
    line_index = np.repeat(np.arange(len(sizes)), sizes)
    if flags["reverse"].any():
        first = np.r_[0, np.cumsum(sizes)[:-1]]
        k = np.arange(len(vert)) - first[line_index]
        back = np.repeat(flags["reverse"], sizes)
        order = np.where(back, first[line_index] + sizes[line_index] - 1 - k, np.arange(len(vert)))
        vert = vert[order]
    return {
        "lonlat": np.column_stack([ways["x"][vert], ways["y"][vert]]).astype(np.float64) / 1e7,
        "sizes": sizes,
        "vertex_keys": ways["ref"][vert],
        "attrs": attrs.drop(columns="reverse"),
        "skipped": skipped,
    }


def _same_key(hit: tuple[str, str], tags: Any) -> tuple[str, ...]:
    """Key telling two mappings of one feature apart: the name, or the tag when unnamed."""
    name = tags.get("name")
    return ("name", name) if name else ("tag", *hit)


def read_osm_pois(
    path: str | os.PathLike,
    tags: Mapping[str, Iterable[str] | Literal[True]],
    *,
    extra_tags: Iterable[str] = ("name", "capacity", "beds", "population"),
) -> gpd.GeoDataFrame:
    """Points of interest: nodes, ways and multipolygon relations, areas as a point inside them.

    A node is its own point; a closed way (an outline) and a multipolygon relation (assembled
    from its member ways, e.g. a hospital or a school campus mapped with inner courtyards) become
    their representative point, a point guaranteed to lie inside the area; an open way becomes
    the middle of the line. Nothing is dropped silently: features that cannot be placed
    (relations that are not areas, such as ``type=site``; multipolygons whose members are missing
    from the extract; ways without any node in the extract) and relation areas that only
    duplicate a node or way inside them with the same name (or, unnamed, the same tag value), such
    as a ``place=city`` boundary around the city's node, are counted in one
    :class:`~accessibility.validate.InputWarning` naming a few of them.

    Parameters
    ----------
    tags
        ``{key: [values]}`` to keep (``True`` keeps any value), e.g.
        ``{"amenity": ["school", "clinic", "hospital", "doctors"]}``.
    extra_tags
        Further tags copied into columns when present.

    Returns
    -------
    GeoDataFrame
        Index ``osm_id`` ("n123" / "w456" / "r789"), a column per requested key and extra tag,
        EPSG:4326.
    """
    import osmium

    want: dict[str, set[str] | None] = {}
    for k, v in tags.items():
        if v is not True and (isinstance(v, str | bool) or not isinstance(v, Iterable)):
            raise InvalidValueError(
                f"tags[{k!r}] = {v!r}: give True (any value) or a list of values, "
                f"e.g. {{{k!r}: ['school', 'kindergarten']}}"
            )
        want[k] = None if v is True else set(v)
    # locations are stored for every node before the key filter drops untagged objects; the area
    # handler assembles multipolygon relations from their (often untagged) member ways
    fp = (
        osmium.FileProcessor(
            _check_path(path), osmium.osm.NODE | osmium.osm.WAY | osmium.osm.RELATION
        )
        .with_locations()
        .with_areas(osmium.filter.KeyFilter(*want))
        .with_filter(osmium.filter.KeyFilter(*want))
    )
    keys = list(want)
    extras = [t for t in extra_tags if t not in want]
    wkb = osmium.geom.WKBFactory()

    def match(t: Any) -> tuple[str, str] | None:
        for k, vals in want.items():
            val = t.get(k)
            if val is not None and (vals is None or val in vals):
                return k, val
        return None

    recs: list[dict[str, Any]] = []
    geoms: list[Any] = []
    # name (or, unnamed, key and value) -> points of nodes and ways, to find areas that only
    # duplicate one of them (a place=city boundary around the city's node)
    points: dict[Any, list[Any]] = {}
    relations: dict[int, str] = {}  # tagged relations: id -> their type
    assembled: set[int] = set()
    areas: list[tuple[int, Any, Any]] = []
    skipped: dict[str, list[str]] = {}
    for obj in fp:
        t = obj.tags
        hit = match(t)
        if hit is None:
            continue
        if isinstance(obj, osmium.osm.Relation):
            relations[obj.id] = t.get("type") or ""
            continue
        if isinstance(obj, osmium.osm.Area):
            if obj.from_way():
                continue  # closed ways are read as ways below
            rid = obj.orig_id()
            assembled.add(rid)
            try:
                area = shapely.from_wkb(wkb.create_multipolygon(obj))
                geom = area.representative_point()
            except Exception:  # libosmium or GEOS: the outline is broken
                skipped.setdefault("outline could not be assembled", []).append(f"r{rid}")
                continue
            rec = {"osm_id": f"r{rid}", **{k: t.get(k) for k in keys + extras}}
            areas.append((len(recs), area, _same_key(hit, t)))
            recs.append(rec)
            geoms.append(geom)
            continue
        if isinstance(obj, osmium.osm.Node):
            geom = shapely.Point(obj.location.lon, obj.location.lat)
            oid = f"n{obj.id}"
        elif isinstance(obj, osmium.osm.Way):
            pts = [(r.lon, r.lat) for r in obj.nodes if r.location.valid()]
            if not pts:
                skipped.setdefault("no node in the extract", []).append(f"w{obj.id}")
                continue
            if len(pts) >= 4 and pts[0] == pts[-1]:
                geom = shapely.Polygon(pts).representative_point()
            else:
                geom = (
                    shapely.LineString(pts).interpolate(0.5, normalized=True)
                    if len(pts) > 1
                    else shapely.Point(pts[0])
                )
            oid = f"w{obj.id}"
        else:  # changesets are not in extracts
            continue
        points.setdefault(_same_key(hit, t), []).append(geom)
        rec = {"osm_id": oid}
        for k in keys + extras:
            rec[k] = t.get(k)
        recs.append(rec)
        geoms.append(geom)
    for rid, rtype in relations.items():
        if rid in assembled:
            continue
        if rtype in ("multipolygon", "boundary"):
            why = "area not assembled: member ways missing from the extract or not closed"
        else:
            why = f"type={rtype or '(none)'} is not an area"
        skipped.setdefault(why, []).append(f"r{rid}")
    # an area around a node or way of the same name is the same feature mapped twice
    drop = set()
    for pos, area, key in areas:
        if any(shapely.contains(area, p) for p in points.get(key, [])):
            drop.add(pos)
            skipped.setdefault(
                "area duplicates a node or way inside it with the same name (or, unnamed, the same "
                "tag)",
                [],
            ).append(recs[pos]["osm_id"])
    if drop:
        recs = [r for i, r in enumerate(recs) if i not in drop]
        geoms = [g for i, g in enumerate(geoms) if i not in drop]
    if skipped:
        import warnings

        from .errors import InputWarning

        n = sum(len(v) for v in skipped.values())
        parts = [
            f"{len(ids)} {why}: {', '.join(ids[:5])}"
            + (f" and {len(ids) - 5} more" if len(ids) > 5 else "")
            for why, ids in skipped.items()
        ]
        shown = {k: sorted(v) if v else True for k, v in want.items()}
        warnings.warn(
            f"{os.path.basename(os.fspath(path))}: {n} OSM feature(s) tagged {shown} were not "
            "read: "
            + "; ".join(parts)
            + ". A feature that is missing from the layer can be mapped as a node, a closed way or "
            "a multipolygon, or read from a larger extract.",
            InputWarning,
            stacklevel=2,
        )
    gdf = gpd.GeoDataFrame(
        recs, geometry=geoms, crs="EPSG:4326", columns=["osm_id", *keys, *extras]
    )
    return gdf.set_index("osm_id")


def read_osm_places(
    path: str | os.PathLike,
    *,
    places: Iterable[str] = (
        "city",
        "town",
        "village",
        "hamlet",
        "suburb",
        "neighbourhood",
        "isolated_dwelling",
    ),
) -> gpd.GeoDataFrame:
    """Settlements (``place=*`` nodes and areas) as points, with ``name``, ``place`` and
    ``population`` (numeric where tagged, NaN otherwise).

    The default ``places`` leave out ``locality``, under which many Chinese villages (…村) are
    mapped; projects read villages with
    :func:`accessibility.project.osm_inputs.osm_villages`, whose default includes it and leaves
    out ``suburb`` and ``neighbourhood``, and which can filter names (``name_pattern="村$"``)."""
    gdf = read_osm_pois(path, {"place": list(places)}, extra_tags=("name", "population"))
    gdf["population"] = pd.to_numeric(gdf["population"], errors="coerce")
    return gdf
