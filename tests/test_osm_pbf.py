"""The direct PBF reader (``accessibility._pbf``) gives what pyosmium gives.

The reference is the reader as it was before the direct decoder: a pyosmium ``FileProcessor``
with locations and one Python object per way and way node (kept here, unchanged), and the network
built from its lines projected with ``GeoSeries.to_crs``.
"""

from __future__ import annotations

import logging
import math
import os
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely

from accessibility._pbf import read_pbf_ways
from accessibility.network import network_from_osm
from accessibility.network.assemble import BuildOptions, assemble
from accessibility.osm import EXCLUDED_HIGHWAYS, parse_maxspeed, read_osm_roads

osmium = pytest.importorskip("osmium")
_log = logging.getLogger(__name__)


def reference_read_osm_roads(path: str | os.PathLike) -> dict[str, Any]:
    """The reader before the direct PBF decoder (pyosmium objects, one tuple per way node)."""
    highway_ways = osmium.filter.KeyFilter("highway")
    highway_ways.enable_for(osmium.osm.WAY)
    fp = (
        osmium.FileProcessor(os.fspath(path), osmium.osm.NODE | osmium.osm.WAY)
        .with_locations()
        .with_filter(highway_ways)
        .with_filter(osmium.filter.EntityFilter(osmium.osm.WAY))
    )
    chunks: list[list[tuple[int, int, int]]] = []
    rows: list[tuple[Any, ...]] = []
    skipped: dict[str, int] = {}
    for w in fp:
        if not isinstance(w, osmium.osm.Way):
            continue
        tags = w.tags
        hw = tags.get("highway")
        if hw is None:
            continue
        if hw in EXCLUDED_HIGHWAYS or tags.get("area") == "yes":
            why = f"highway={hw} (not a road)" if hw in EXCLUDED_HIGHWAYS else "area=yes (a square)"
            skipped[why] = skipped.get(why, 0) + 1
            continue
        n_rows = len(rows)
        oneway_tag = tags.get("oneway", "")
        rev = oneway_tag == "-1"
        oneway = (
            rev
            or oneway_tag in ("yes", "true", "1")
            or (tags.get("junction") in ("roundabout", "circular") and oneway_tag != "no")
            or (hw in ("motorway", "motorway_link") and oneway_tag != "no")
        )
        access = tags.get("access", "")
        private = access in ("no", "private")
        mv = tags.get("motor_vehicle", tags.get("motorcar", ""))
        no_car = (private and mv not in ("yes", "designated", "destination")) or mv in (
            "no",
            "private",
        )
        bicycle = tags.get("bicycle", "")
        no_bike = (private and bicycle not in ("yes", "designated")) or bicycle in ("no", "private")
        foot = tags.get("foot", "")
        no_walk = (private and foot not in ("yes", "designated")) or foot in ("no", "private")
        speed = tags.get("maxspeed")
        row = (
            hw,
            oneway,
            rev,
            tags.get("name"),
            parse_maxspeed(speed) if speed is not None else math.nan,
            no_car,
            no_bike,
            no_walk,
            w.id,
        )
        piece: list[tuple[int, int, int]] = []
        for r in w.nodes:
            loc = r.location
            if loc.valid():
                piece.append((r.ref, loc.x, loc.y))
                continue
            if len(piece) >= 2:
                chunks.append(piece)
                rows.append(row)
            piece = []
        if len(piece) >= 2:
            chunks.append(piece)
            rows.append(row)
        if len(rows) == n_rows:
            why = "fewer than 2 of its nodes in the extract"
            skipped[why] = skipped.get(why, 0) + 1
    attrs = pd.DataFrame(
        rows,
        columns=[
            "road_class",
            "oneway",
            "reverse",
            "name",
            "maxspeed_kmh",
            "no_car",
            "no_bike",
            "no_walk",
            "source_id",
        ],
    )
    sizes = np.fromiter((len(c) for c in chunks), dtype=np.int64, count=len(chunks))
    flat = np.array([v for c in chunks for v in c], dtype=np.int64).reshape(-1, 3)
    keys = flat[:, 0].copy()
    coords = flat[:, 1:].astype(np.float64) / 1e7
    line_index = np.repeat(np.arange(len(sizes)), sizes)
    rev = attrs["reverse"].to_numpy(bool)
    if rev.any():
        starts = np.concatenate([[0], np.cumsum(sizes)[:-1]])
        order = np.arange(len(keys))
        for i in np.flatnonzero(rev):
            s, n = starts[i], sizes[i]
            order[s : s + n] = order[s : s + n][::-1]
        coords, keys = coords[order], keys[order]
    geoms = (
        shapely.linestrings(coords, indices=line_index)
        if len(sizes)
        else np.array([], dtype=object)
    )
    return {
        "geometry": np.asarray(geoms),
        "attrs": attrs.drop(columns="reverse"),
        "vertex_keys": keys,
        "skipped": skipped,
    }


def reference_network(path, modes=("car", "walk")):
    """``network_from_osm`` as before: the reference reader, lines projected by ``to_crs``."""
    from accessibility._crs import metric_crs

    roads = reference_read_osm_roads(path)
    gs = gpd.GeoSeries(roads["geometry"], crs="EPSG:4326")
    work_crs = metric_crs(gs, None)
    proj = gs.to_crs(work_crs).to_numpy()
    report = {"n_input_lines": len(proj), "source": os.fspath(path)}
    if roads["skipped"]:
        report["n_osm_ways_skipped"] = dict(roads["skipped"])
    options = BuildOptions("osm", None, modes, True, maxspeed_column="maxspeed_kmh")
    return assemble(
        proj, roads["attrs"], work_crs, options, vertex_keys=roads["vertex_keys"], report=report
    )


def assert_same_roads(new: dict[str, Any], old: dict[str, Any]) -> None:
    assert new["skipped"] == old["skipped"]
    assert list(new["skipped"]) == list(old["skipped"])
    np.testing.assert_array_equal(new["vertex_keys"], old["vertex_keys"])
    pd.testing.assert_frame_equal(new["attrs"], old["attrs"])
    a_xy, a_line = shapely.get_coordinates(new["geometry"], return_index=True)
    b_xy, b_line = shapely.get_coordinates(old["geometry"], return_index=True)
    np.testing.assert_array_equal(a_line, b_line)
    np.testing.assert_array_equal(a_xy, b_xy)


def assert_same_network(new, old) -> None:
    pd.testing.assert_frame_equal(
        pd.DataFrame(new.nodes.drop(columns="geometry")),
        pd.DataFrame(old.nodes.drop(columns="geometry")),
    )
    pd.testing.assert_frame_equal(
        pd.DataFrame(new.edges.drop(columns="geometry")),
        pd.DataFrame(old.edges.drop(columns="geometry")),
    )
    np.testing.assert_array_equal(
        shapely.get_coordinates(new.edges.geometry.to_numpy()),
        shapely.get_coordinates(old.edges.geometry.to_numpy()),
    )
    assert new.edges.crs == old.edges.crs
    assert new.report == old.report


TAGS = [
    {"highway": "residential", "name": "村道一号"},
    {"highway": "primary", "oneway": "-1", "maxspeed": "30 mph"},
    {"highway": "secondary", "junction": "roundabout"},
    {"highway": "secondary", "junction": "roundabout", "oneway": "no"},
    {"highway": "motorway", "maxspeed": "120"},
    {"highway": "service", "access": "private", "foot": "yes"},
    {"highway": "track", "motor_vehicle": "", "motorcar": "no", "bicycle": "designated"},
    {"highway": "unclassified", "motorcar": "no", "maxspeed": "fast"},
    {"highway": "construction"},
    {"highway": "pedestrian", "area": "yes"},
    {"highway": "footway", "oneway": "yes", "foot": "private", "access": "no"},
    {"highway": ""},
    {"building": "yes"},
    {"highway": "tertiary", "oneway": "true", "maxspeed": "50;30", "name": "Main St"},
    {"highway": "living_street", "access": "no", "motor_vehicle": "destination"},
]


def write_roads(
    path,
    *,
    n_side: int = 60,
    seed: int = 0,
    locations_on_ways: bool = False,
    compression: str | None = None,
) -> None:
    """A small grid of ways over many blocks: random node ids, missing nodes, odd tags."""
    rng = np.random.default_rng(seed)
    n = n_side * n_side
    ids = rng.permutation(np.arange(1, 5 * n))[:n]
    lon = 11.0 + (np.arange(n) % n_side) * 0.002 + rng.normal(0, 1e-4, n)
    lat = 49.0 + (np.arange(n) // n_side) * 0.002 + rng.normal(0, 1e-4, n)
    missing = set(rng.choice(n, n // 50, replace=False).tolist())  # not written: ways split
    fname = str(path)
    if locations_on_ways:
        fname = osmium.io.File(fname, "pbf,locations_on_ways=true")
    elif compression is not None:
        fname = osmium.io.File(fname, f"pbf,pbf_compression={compression}")
    w = osmium.SimpleWriter(fname)
    try:
        for i in np.argsort(ids):
            if int(i) not in missing:
                w.add_node(osmium.osm.mutable.Node(id=int(ids[i]), location=(lon[i], lat[i])))
        # a node with a negative id: libosmium's location index does not keep it
        w.add_node(osmium.osm.mutable.Node(id=-5, location=(11.0, 49.0)))
        w.add_node(
            osmium.osm.mutable.Node(id=10 * n, location=(11.0, 49.0), tags={"highway": "stop"})
        )
        way = 0
        for r in range(n_side):
            for run in range(0, n_side - 1, 7):
                row = list(range(r * n_side + run, r * n_side + min(run + 8, n_side)))
                for nodes in (row, [c * n_side + r for c in range(run, min(run + 8, n_side))]):
                    way += 1
                    refs = [int(ids[i]) for i in nodes]
                    if way % 97 == 0:
                        refs.insert(1, -5)
                    if way % 89 == 0:
                        refs = refs[:1]
                    tags = TAGS[int(rng.integers(len(TAGS)))]
                    w.add_way(osmium.osm.mutable.Way(id=way, nodes=refs, tags=tags))
        w.add_relation(
            osmium.osm.mutable.Relation(id=1, members=[("w", 1, "")], tags={"type": "route"})
        )
    finally:
        w.close()


@pytest.fixture(scope="module")
def roads_pbf(tmp_path_factory):
    path = tmp_path_factory.mktemp("pbf") / "grid.osm.pbf"
    write_roads(path)
    return path


def test_direct_pbf_reader_reads_what_pyosmium_reads(roads_pbf):
    assert read_pbf_ways(str(roads_pbf), "highway", ("name",)) is not None  # not the fallback
    old = reference_read_osm_roads(roads_pbf)
    assert len(old["skipped"]) == 3 and len(old["geometry"]) > 500  # the odd cases are there
    assert_same_roads(read_osm_roads(roads_pbf), old)


def test_xml_and_unsupported_pbf_features_read_with_pyosmium(roads_pbf, tmp_path):
    xml = tmp_path / "grid.osm"
    write_roads(xml)
    assert_same_roads(read_osm_roads(xml), reference_read_osm_roads(xml))
    low = tmp_path / "grid_low.osm.pbf"
    write_roads(low, locations_on_ways=True)
    assert read_pbf_ways(str(low), "highway", ("name",)) is None  # left to pyosmium
    assert_same_roads(read_osm_roads(low), reference_read_osm_roads(low))
    # a way before its nodes: libosmium has no location for them yet, so the way is dropped
    unsorted = tmp_path / "unsorted.osm.pbf"
    w = osmium.SimpleWriter(str(unsorted))
    w.add_way(osmium.osm.mutable.Way(id=1, nodes=[1, 2], tags={"highway": "track"}))
    w.add_node(osmium.osm.mutable.Node(id=1, location=(11.0, 49.0)))
    w.add_node(osmium.osm.mutable.Node(id=2, location=(11.1, 49.0)))
    w.add_way(osmium.osm.mutable.Way(id=2, nodes=[1, 2], tags={"highway": "path"}))
    w.close()
    assert read_pbf_ways(str(unsorted), "highway", ("name",)) is None
    old = reference_read_osm_roads(unsorted)
    assert old["attrs"]["source_id"].tolist() == [2]
    assert_same_roads(read_osm_roads(unsorted), old)
    broken = tmp_path / "broken.osm.pbf"
    broken.write_bytes(roads_pbf.read_bytes()[:-100])
    assert read_pbf_ways(str(broken), "highway", ("name",)) is None


@pytest.mark.filterwarnings("ignore:road classes")
def test_network_from_pbf_equals_the_network_before(roads_pbf):
    new = network_from_osm(roads_pbf, modes=("car", "walk"))
    assert_same_network(new, reference_network(roads_pbf))


@pytest.mark.slow
@pytest.mark.parametrize("name", ["imperial-county.osm.pbf", "north-bayreuth.osm.gz"])
def test_real_extracts_read_and_built_as_before(shared_data, name):
    path = shared_data / "osm" / name
    if not path.exists():
        pytest.skip(f"{path} is absent")
    assert_same_roads(read_osm_roads(path), reference_read_osm_roads(path))
    assert_same_network(network_from_osm(path, modes=("car", "walk")), reference_network(path))


def test_damaged_pbf_blocks_fall_back_instead_of_crashing(tmp_path):
    # uncompressed blocks: every damaged byte reaches the decoder (not only zlib's checks)
    path = tmp_path / "raw.osm.pbf"
    write_roads(path, n_side=12, locations_on_ways=False, compression="none")
    data = path.read_bytes()
    assert read_pbf_ways(str(path), "highway", ("name",)) is not None
    rng = np.random.default_rng(1)
    outcomes = set()
    for _ in range(300):
        damaged = bytearray(data)
        for at in rng.integers(0, len(data), int(rng.integers(1, 4))):
            damaged[at] = int(rng.integers(0, 256))
        if rng.random() < 0.2:
            damaged = damaged[: int(rng.integers(len(data) // 2, len(data)))]
        path.write_bytes(bytes(damaged))
        out = read_pbf_ways(str(path), "highway", ("name",))
        outcomes.add(out is None)
        if out is not None:  # whatever was decoded is consistent
            assert out["nref"].sum() == len(out["ref"]) == len(out["x"]) == len(out["valid"])
    assert True in outcomes


# --- hand-made PBF blocks (protobuf written out), for what pyosmium's writer never produces ---


def _varint(x: int) -> bytes:
    out = bytearray()
    while True:
        b, x = x & 0x7F, x >> 7
        out.append(b | (0x80 if x else 0))
        if not x:
            return bytes(out)


def _ld(num: int, data: bytes) -> bytes:  # a length-delimited field
    return _varint((num << 3) | 2) + _varint(len(data)) + data


def _vi(num: int, x: int) -> bytes:  # a varint field
    return _varint(num << 3) + _varint(x)


def _packed(num: int, values: list[int]) -> bytes:
    return _ld(num, b"".join(_varint(v) for v in values))


def _deltas(v: list[int]) -> list[int]:
    return [((b - a) << 1) ^ ((b - a) >> 63) for a, b in zip([0, *v[:-1]], v, strict=True)]


def _strings(ss: list[str]) -> bytes:
    return _ld(1, b"".join(_ld(1, s.encode()) for s in ss))


def _dense(ids: list[int], lats: list[int], lons: list[int]) -> bytes:
    return _ld(2, _packed(1, _deltas(ids)) + _packed(8, _deltas(lats)) + _packed(9, _deltas(lons)))


def _way(wid: int, keys: list[int], vals: list[int], refs: list[int]) -> bytes:
    return _ld(3, _vi(1, wid) + _packed(2, keys) + _packed(3, vals) + _packed(8, _deltas(refs)))


def _blob(btype: str, body: bytes) -> bytes:
    header = _ld(1, btype.encode()) + _vi(3, len(body))
    return len(header).to_bytes(4, "big") + header + body


def _pbf(blocks: list[bytes]) -> bytes:
    head = _blob("OSMHeader", _ld(1, _ld(4, b"OsmSchema-V0.6") + _ld(4, b"DenseNodes")))
    return head + b"".join(_blob("OSMData", _ld(1, p)) for p in blocks)


_TWO_NODES = _dense([1, 2], [490000000, 490000000], [110000000, 110010000])

_READ_IN_A_CHILD = """
import sys
from accessibility._pbf import read_pbf_ways
print(read_pbf_ways(sys.argv[1], "highway", ("name",)) is None)
"""


@pytest.mark.parametrize(
    "block",
    [
        # a key whose varint runs off the end of the block (0x89: field 17, wire type 1, then
        # nothing) after a field of a 6-byte varint: parsing used to restart inside the block
        bytes([0x28, 0x80, 0x80, 0x80, 0x80, 0x80, 0x00, 0x89]),
        bytes([0x28, 0x80, 0x80, 0x80, 0x80, 0x80, 0x00])
        + _strings(["", "highway"])
        + _ld(2, _TWO_NODES)
        + bytes([0x89]),
        bytes([0x28, 0x80, 0x80, 0x80, 0x80, 0x80, 0x00]) + _strings([""]) + bytes([0x89]),
    ],
    ids=["alone", "before-nodes", "before-strings"],
)
def test_a_key_off_the_end_of_a_block_falls_back(tmp_path, block):
    """It used to hang or write past the decoder's arrays (a segmentation fault): run in a
    child process so that neither takes the test run down."""
    import subprocess
    import sys

    path = tmp_path / "bad.osm.pbf"
    path.write_bytes(_pbf([block]))
    out = subprocess.run(
        [sys.executable, "-c", _READ_IN_A_CHILD, str(path)],
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.strip().splitlines()[-1] == "True"  # left to pyosmium


def test_a_string_table_may_repeat_a_string(tmp_path):
    # "highway" twice in the block's strings, the way's key is the first one: the way used to be
    # dropped without a word (the format does not make a block's strings distinct)
    path = tmp_path / "dup.osm.pbf"
    ways = _strings(["", "highway", "residential", "highway"]) + _ld(2, _way(7, [1], [2], [1, 2]))
    path.write_bytes(_pbf([_strings([""]) + _ld(2, _TWO_NODES), ways]))
    got = read_pbf_ways(str(path), "highway", ("name",))
    assert got is not None and got["way_id"].tolist() == [7]
    assert_same_roads(read_osm_roads(path), reference_read_osm_roads(path))


def test_a_damaged_raw_size_falls_back(tmp_path):
    import zlib

    body = _vi(2, 2**64 - 1) + _ld(3, zlib.compress(_strings(["", "highway"]) + _ld(2, _TWO_NODES)))
    path = tmp_path / "rawsize.osm.pbf"
    head = _blob("OSMHeader", _ld(1, _ld(4, b"OsmSchema-V0.6") + _ld(4, b"DenseNodes")))
    path.write_bytes(head + _blob("OSMData", body))
    assert read_pbf_ways(str(path), "highway", ("name",)) is None
