"""Building networks: topology repair, speeds, one-way, components, OSM files, osmnx graphs."""

from __future__ import annotations

import contextlib
import subprocess
import sys

import geopandas as gpd
import numpy as np
import pytest
import shapely

from accessibility.errors import (
    ConfigError,
    CRSError,
    EmptyLayerError,
    GeometryError,
    InvalidValueError,
    MissingColumnError,
    NetworkError,
    NetworkWarning,
)
from accessibility.network import network_from_osm, network_from_osmnx, network_from_roads
from accessibility.speeds import speed_profile

CRS = "EPSG:32649"


def layer(lines, classes=None, **cols):
    classes = classes or ["county"] * len(lines)
    return gpd.GeoDataFrame(
        {"road_class": classes, **cols}, geometry=[shapely.LineString(c) for c in lines], crs=CRS
    )


def test_split_at_shared_vertices_and_t_junction_within_tolerance():
    roads = layer(
        [
            [(0, 0), (1000, 0), (2000, 0)],  # main road, vertex at x=1000
            [(1000, 0), (1000, 1000)],  # meets at the shared vertex
            [(1500, 0.6), (1500, 800)],  # ends 0.6 m from the main road's interior: a T-junction
            [(2000, 0.4), (3000, 0)],  # starts 0.4 m from the main road's end: snapped
        ]
    )
    net = network_from_roads(roads, tolerance_m=1.0, modes=("car",))
    assert net.report["n_t_junctions_joined"] == 1
    assert net.report["n_endpoints_snapped"] == 1
    assert net.report["n_components"] == 1
    # main road split at x=1000 and x=1500 and joined at 2000: 3 + 1 + 1 + 1 edges
    assert len(net.edges) == 6
    assert len(net.nodes) == 7  # 5 on the main road line, 2 dead ends
    assert net.edges["length_m"].sum() == pytest.approx(2000 + 1000 + 800 + 1000, abs=1.5)


def test_gap_larger_than_tolerance_keeps_components_and_reports_them():
    roads = layer([[(0, 0), (1000, 0)], [(1005, 0), (2000, 0)]])
    net = network_from_roads(roads, tolerance_m=1.0, modes=("car",))
    assert net.report["n_components"] == 2  # both kept, none dropped
    assert sorted(net.nodes["component"].unique()) == [0, 1]


def test_crossings_not_joined_unless_asked():
    roads = layer([[(0, 0), (1000, 0)], [(500, -500), (500, 500)]])
    bridge = network_from_roads(roads, modes=("car",))
    assert bridge.report["n_crossings_not_joined"] == 1
    assert bridge.report["n_components"] == 2
    noded = network_from_roads(roads, modes=("car",), split_crossings=True)
    assert noded.report["n_crossings_split"] == 1
    assert noded.report["n_components"] == 1
    assert len(noded.edges) == 4


def test_speeds_per_class_and_mode_and_overrides():
    roads = layer([[(0, 0), (1000, 0)], [(0, 0), (0, 1000)]], ["高速", "村道"])
    net = network_from_roads(roads)
    e = net.edges.set_index("road_class")
    assert e.loc["expressway", "car_speed_kmh"] == 100
    assert e.loc["village", "car_fwd_min"] == pytest.approx(1000 / 1000 / 20 * 60)
    assert np.isinf(e.loc["expressway", "walk_fwd_min"])  # no walking on expressways
    fast = network_from_roads(roads, speeds={"car": {"村道": 30}})
    assert fast.edges.set_index("road_class").loc["village", "car_speed_kmh"] == 30


def test_per_edge_speed_column_overrides_class_speed():
    roads = layer(
        [[(0, 0), (1000, 0)], [(0, 0), (0, 1000)]], ["county", "county"], limit=[60.0, np.nan]
    )
    net = network_from_roads(roads, speed_column="limit", modes=("car",))
    assert sorted(net.edges["car_speed_kmh"]) == [40.0, 60.0]
    bad = roads.assign(limit=[0.0, 10.0])
    with pytest.raises(InvalidValueError, match="zero or negative"):
        network_from_roads(bad, speed_column="limit")


def test_geographic_input_gets_local_utm():
    roads = gpd.GeoDataFrame(
        {"road_class": ["county"]},
        geometry=[shapely.LineString([(111.0, 27.0), (111.01, 27.0)])],
        crs="EPSG:4490",
    )
    net = network_from_roads(roads, modes=("car",))
    assert net.crs.is_projected
    assert net.crs.utm_zone == "49N"
    assert net.edges["length_m"].iloc[0] == pytest.approx(992, rel=0.01)


def test_unknown_class_warns_and_uses_unknown_speed(caplog):
    roads = layer([[(0, 0), (1000, 0)]], ["spaceway"])
    net = network_from_roads(roads, modes=("car",))
    assert net.report["unknown_classes"] == ["spaceway"]
    assert net.edges["car_speed_kmh"].iloc[0] == speed_profile("china")["car"]["unknown"]
    assert "not in the speed profile" in caplog.text


def test_bad_road_layers():
    with pytest.raises(EmptyLayerError):
        network_from_roads(layer([]).iloc[:0])
    with pytest.raises(MissingColumnError, match="highway"):
        network_from_roads(layer([[(0, 0), (1, 0)]]).rename(columns={"road_class": "highway"}))
    with pytest.raises(CRSError, match="no CRS"):
        network_from_roads(layer([[(0, 0), (1, 0)]]).set_crs(None, allow_override=True))
    pts = gpd.GeoDataFrame({"road_class": ["x"]}, geometry=[shapely.Point(0, 0)], crs=CRS)
    with pytest.raises(GeometryError, match="lines"):
        network_from_roads(pts)
    with pytest.raises(ConfigError, match="Did you mean 'osm'"):
        network_from_roads(layer([[(0, 0), (1, 0)]]), profile="osn")


def test_self_loop_and_multipart_and_3d():
    loop = shapely.LineString([(0, 0), (100, 0), (100, 100), (0, 0)])
    multi = shapely.MultiLineString([[(0, 0), (-100, 0)], [(-100, 0), (-200, 0)]])
    z = shapely.LineString([(0, 0, 5), (0, -100, 7)])
    roads = gpd.GeoDataFrame({"road_class": ["village"] * 3}, geometry=[loop, multi, z], crs=CRS)
    net = network_from_roads(roads, modes=("car",))
    assert net.report["n_self_loops"] == 1
    assert net.report["n_multipart_exploded"] == 1
    assert net.report["n_components"] == 1


def test_mode_errors_and_with_edge_times():
    net = network_from_roads(layer([[(0, 0), (1000, 0)]]), modes=("car",))
    with pytest.raises(NetworkError, match="Did you mean 'car'"):
        net.graph("cars")
    slow = net.with_edge_times("car", [10.0], [20.0])
    assert slow.edges["car_fwd_min"].iloc[0] == 10.0
    assert net.edges["car_fwd_min"].iloc[0] == pytest.approx(1.5)  # the input is unchanged
    with pytest.raises(InvalidValueError):
        net.with_edge_times("car", [-1.0], [1.0])


def test_edge_times_changed_in_place_are_refused_not_silently_ignored():
    """Issue #16: doubling ``net.edges["car_fwd_min"]`` after routing used to leave the cached
    graph on the old times. Now every cached result checks the times it was built from and
    refuses, naming ``with_edge_times``; that function adopts the changed columns."""
    from accessibility.snapping import locate

    net = network_from_roads(layer([[(0, 0), (1000, 0)], [(1000, 0), (2000, 0)]]), modes=("car",))
    before = net.graph("car").cost.copy()
    net.edges["car_fwd_min"] = net.edges["car_fwd_min"] * 2  # replaces the column
    with pytest.raises(NetworkError, match=r"car_fwd_min.*with_edge_times"):
        net.graph("car")
    village = gpd.GeoDataFrame(geometry=[shapely.Point(500, 10)], crs=CRS)
    with pytest.raises(NetworkError, match="with_edge_times"):
        locate(village, net, mode="car")
    # the documented way: the new network routes on the new times
    slow = net.with_edge_times("car", net.edges["car_fwd_min"], net.edges["car_bwd_min"])
    assert sorted(slow.graph("car").cost) == sorted(np.r_[before[:2] * 2, before[2:]])

    other = network_from_roads(layer([[(0, 0), (1000, 0)]]), modes=("car", "walk"))
    other.graph("car")
    other.edges.loc[0, "walk_bwd_min"] = 99.0  # written in place
    with pytest.raises(NetworkError, match=r"walk_bwd_min.*with_edge_times"):
        other.graph("walk")
    with pytest.raises(NetworkError, match="walk_bwd_min"):
        other.with_edge_times("car", [1.0], [1.0])  # would carry the changed walk times along
    with pytest.raises(NetworkError, match="walk_bwd_min"):
        other.graph("car")  # the network as a whole is no longer the one built


def test_network_caches_are_private_and_built_once():
    net = network_from_roads(layer([[(0, 0), (1000, 0)]]), modes=("car",))
    calls = []
    first = net.cached("test:thing", lambda: calls.append(1) or object())
    assert net.cached("test:thing", lambda: calls.append(1) or object()) is first
    assert calls == [1]
    assert net.with_edge_times("car", [1.0], [1.0]).cached("test:thing", object) is not first


def test_one_way_trap_shows_in_strong_components():
    roads = layer([[(0, 0), (1000, 0)], [(1000, 0), (2000, 0)]], oneway=[False, True])
    net = network_from_roads(roads, modes=("car", "walk"))
    assert net.report["car_strong_components"] == 2
    assert net.report["walk_strong_components"] == 1


def test_to_networkx_matches_edges():
    roads = layer([[(0, 0), (1000, 0)], [(1000, 0), (2000, 0)]], oneway=[False, True])
    net = network_from_roads(roads, modes=("car",))
    g = net.to_networkx("car")
    assert g.number_of_edges() == 3  # two-way edge twice, one-way once
    assert g.graph["crs"] == net.crs


@pytest.mark.slow
@pytest.mark.shared_data
def test_osm_files_keep_all_components(shared_data):
    net = network_from_osm(shared_data / "osm" / "north-bayreuth.osm.gz")
    assert net.report["n_components"] > 1  # fragments are kept, not silently dropped
    assert net.report["n_nodes"] > 700
    pbf = network_from_osm(shared_data / "osm" / "imperial-county.osm.pbf", modes=("car",))
    assert pbf.crs.utm_zone == "11N"
    assert pbf.edges["length_m"].sum() / 1000 > 6000  # the data README: ~6,470 km drive graph


@pytest.mark.slow
@pytest.mark.shared_data
def test_osmnx_graph_round_trip(shared_data):
    import osmnx as ox

    g = ox.graph_from_xml(shared_data / "osm" / "north-bayreuth.osm.gz", retain_all=True)
    net = network_from_osmnx(g, modes=("car", "walk"))
    direct = network_from_osm(shared_data / "osm" / "north-bayreuth.osm.gz", modes=("car", "walk"))
    # the same roads: total length within 1 %
    assert net.edges["length_m"].sum() == pytest.approx(direct.edges["length_m"].sum(), rel=0.01)


def _random_layer(seed: int) -> np.ndarray:
    """Lines on a coarse lattice (shared vertices, collinear overlaps, T-ends) plus a few free
    diagonals (true crossings without a shared vertex) and repeated vertices."""
    rng = np.random.default_rng(seed)
    lines = []
    for _ in range(60):
        k = int(rng.integers(2, 5))
        pts = rng.integers(0, 6, size=(k, 2)).astype(float) * 100
        if rng.random() < 0.2:
            pts = rng.uniform(0, 500, size=(k, 2))
        if rng.random() < 0.1:
            pts = np.vstack([pts[:1], pts])  # a repeated vertex
        if len(np.unique(pts, axis=0)) >= 2:
            lines.append(shapely.LineString(pts))
    return np.array(lines, dtype=object)


@pytest.mark.parametrize("seed", range(8))
def test_crossing_candidates_hold_every_pair_meeting_off_a_shared_vertex(seed):
    # the fast segment filter must keep every pair of lines whose crossing the exact test reports
    from accessibility.network.repair import crossing_candidates
    from accessibility.network.topology import unique_points

    geoms = _random_layer(seed)
    a, b = crossing_candidates(geoms)
    kept = set(zip(a.tolist(), b.tolist(), strict=True))
    for i in range(len(geoms)):
        for j in range(i + 1, len(geoms)):
            if not shapely.crosses(geoms[i], geoms[j]):
                continue
            inter = shapely.get_parts(shapely.intersection(geoms[i], geoms[j]))
            vi = {tuple(c) for c in np.round(shapely.get_coordinates(geoms[i]), 6)}
            vj = {tuple(c) for c in np.round(shapely.get_coordinates(geoms[j]), 6)}
            for p in inter[shapely.get_type_id(inter) == 0]:
                c = tuple(np.round(shapely.get_coordinates(p)[0], 6))
                if not (c in vi and c in vj):
                    assert (i, j) in kept
    # and the hashed unique of points groups them as numpy's unique of rows does
    xy = shapely.get_coordinates(geoms)
    _, first, inverse = np.unique(xy, axis=0, return_index=True, return_inverse=True)
    got_first, got_inverse = unique_points(xy)
    assert got_first[got_inverse].tolist() == first[inverse.ravel()].tolist()
    assert got_first.tolist() == sorted(first.tolist())


@pytest.mark.parametrize("seed", range(4))
def test_crossings_counted_as_over_all_pairs(seed):
    # the report counts every point where two lines meet off a vertex both share, as a test of
    # every pair of lines does
    geoms = _random_layer(seed)
    expected = 0
    for i in range(len(geoms)):
        for j in range(i + 1, len(geoms)):
            if not shapely.crosses(geoms[i], geoms[j]):
                continue
            inter = shapely.get_parts(shapely.intersection(geoms[i], geoms[j]))
            vi = {tuple(c) for c in np.round(shapely.get_coordinates(geoms[i]), 6)}
            vj = {tuple(c) for c in np.round(shapely.get_coordinates(geoms[j]), 6)}
            for p in inter[shapely.get_type_id(inter) == 0]:
                c = tuple(np.round(shapely.get_coordinates(p)[0], 6))
                expected += not (c in vi and c in vj)
    roads = gpd.GeoDataFrame({"road_class": ["county"] * len(geoms)}, geometry=geoms, crs=CRS)
    with pytest.warns(NetworkWarning) if expected else contextlib.nullcontext():
        net = network_from_roads(roads, modes=("car",), tolerance_m=0.0, join_t_junctions=False)
    assert net.report["n_crossings_not_joined"] == expected


def _segments(geoms: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    coords, line_of = shapely.get_coordinates(geoms, return_index=True)
    seg = np.flatnonzero(line_of[1:] == line_of[:-1])
    return coords[seg], coords[seg + 1], line_of[seg]


@pytest.mark.parametrize("seed", range(6))
def test_grid_segment_pairs_are_the_box_pairs_of_every_segment_pair(seed):
    # the grid must find exactly the pairs an all-pairs envelope test finds (touching boxes
    # included), minus segments meeting only at a shared end point, as the STRtree query did
    from accessibility.network.boxes import crossing_segment_pairs

    p0, p1, line = _segments(_random_layer(seed))
    lo, hi = np.minimum(p0, p1), np.maximum(p0, p1)
    expected = set()
    for s in range(len(p0)):
        for t in range(len(p0)):
            if line[s] >= line[t] or (lo[s] > hi[t]).any() or (lo[t] > hi[s]).any():
                continue
            shared = [
                (ps, qs, rt)
                for ps, qs in ((p0[s], p1[s]), (p1[s], p0[s]))
                for pt, rt in ((p0[t], p1[t]), (p1[t], p0[t]))
                if (ps == pt).all()
            ]
            if shared:
                ps, qs, rt = shared[0]
                d1, d2 = qs - ps, rt - ps
                if abs(d1[0] * d2[1] - d1[1] * d2[0]) > 1e-9 * np.hypot(*d1) * np.hypot(*d2):
                    continue
            expected.add((int(line[s]), int(line[t])))
    a, b = crossing_segment_pairs(p0, p1, line)
    assert set(zip(a.tolist(), b.tolist(), strict=True)) == expected
    assert len(expected) > 10  # the layers have crossings and overlaps to find


@pytest.mark.parametrize(("seed", "tol"), [(0, 0.5), (1, 40.0), (2, 100.0), (3, 150.0)])
def test_lines_near_points_holds_every_line_within_the_tolerance(seed, tol):
    from scipy.spatial import cKDTree

    from accessibility.network.boxes import lines_near_points, vertex_within

    geoms = _random_layer(seed)
    coords, line_of = shapely.get_coordinates(geoms, return_index=True)
    ends = shapely.get_coordinates(shapely.get_point(geoms, [[0], [-1]]).ravel())
    owner = np.tile(np.arange(len(geoms)), 2)
    pt, line = lines_near_points(ends, tol, owner, *_segments(geoms))
    found = set(zip(pt.tolist(), line.tolist(), strict=True))
    assert len(found) == len(pt)  # distinct
    within = shapely.dwithin(shapely.points(ends)[:, None], geoms[None, :], tol)
    within[np.arange(len(ends)), owner] = False
    assert {(int(i), int(j)) for i, j in zip(*np.nonzero(within), strict=True)} <= found
    # a vertex within the tolerance, as SciPy's KD-tree decides it
    near = cKDTree(ends).sparse_distance_matrix(cKDTree(coords), tol, output_type="ndarray")
    expected = {(int(i), int(line_of[j])) for i, j in zip(near["i"], near["j"], strict=True)}
    first = np.r_[np.searchsorted(line_of, np.arange(len(geoms))), len(coords)]
    got = vertex_within(ends, tol, pt, line, coords, first)
    pairs = list(zip(pt.tolist(), line.tolist(), strict=True))
    assert {p for p, g in zip(pairs, got, strict=True) if g} == expected & found
    # off_vertices: the pairs left after dropping those with a vertex within the tolerance are
    # the same, and none of those it leaves out had a vertex farther than that
    pt2, line2 = lines_near_points(ends, tol, owner, *_segments(geoms), off_vertices=True)
    found2 = set(zip(pt2.tolist(), line2.tolist(), strict=True))
    assert len(found2) == len(pt2) and found2 <= found
    assert {p for p, g in zip(pairs, got, strict=True) if not g} <= found2
    assert found - found2 <= expected


@pytest.mark.parametrize(("seed", "tol"), [(0, 1.0), (1, 100.0), (2, 150.0), (3, 0.0)])
def test_point_pairs_within_are_the_kd_tree_pairs(seed, tol):
    # joining vertices within the tolerance pairs points on a grid; the pairs must be SciPy's,
    # exact distances at the tolerance (a lattice) included
    from scipy.spatial import cKDTree

    from accessibility.network.boxes import point_pairs_within

    rng = np.random.default_rng(seed)
    xy = np.unique(
        np.vstack([rng.integers(0, 8, (60, 2)) * 100.0, rng.uniform(0, 700, (300, 2))]), axis=0
    )
    expected = {tuple(p) for p in cKDTree(xy).query_pairs(tol, output_type="ndarray").tolist()}
    got = point_pairs_within(xy, tol)
    assert {tuple(p) for p in got.tolist()} == expected
    assert len(got) == len(expected)


@pytest.mark.parametrize("seed", range(4))
def test_vertices_handed_between_steps_give_the_network_read_afresh(seed, monkeypatch):
    # the builder hands the vertices it read from step to step while the lines are unchanged;
    # the network must be the one built when every step reads them from the lines again: with
    # crossings split or not, T-junctions joined or not, reversed one-way lines, multi-lines,
    # 3-D lines and a layer in degrees
    import pandas as pd

    from accessibility.network import repair, topology

    rng = np.random.default_rng(seed)
    geoms = _random_layer(seed)
    n = len(geoms)
    oneway = rng.choice(["yes", "no", "-1"], n, p=[0.1, 0.8, 0.1])
    roads = gpd.GeoDataFrame(
        {"road_class": ["county"] * n, "oneway": oneway}, geometry=geoms, crs=CRS
    )
    variants = {
        "layer": (roads, {}),
        "split": (roads, {"split_crossings": True, "tolerance_m": 30.0}),
        "no_t": (roads, {"join_t_junctions": False}),
        "two_way": (roads.assign(oneway="no"), {"tolerance_m": 30.0}),
        "3d": (roads.assign(geometry=shapely.force_3d(geoms, 7.0), oneway="no"), {}),
        "multi": (
            roads.assign(oneway="no", geometry=[shapely.MultiLineString([g]) for g in geoms]),
            {},
        ),
        "degrees": (roads.to_crs(4326).assign(oneway="no"), {}),
    }
    built = {
        k: network_from_roads(r, oneway_column="oneway", **kw) for k, (r, kw) in variants.items()
    }

    def read_again(geoms, held=None):
        if held:
            held.clear()
        return shapely.get_coordinates(geoms, return_index=True)

    monkeypatch.setattr(topology, "vertices", read_again)
    monkeypatch.setattr(repair, "vertices", read_again)
    for k, (r, kw) in variants.items():
        ref = network_from_roads(r, oneway_column="oneway", **kw)
        pd.testing.assert_frame_equal(built[k].nodes.to_wkb(), ref.nodes.to_wkb(), obj=k)
        pd.testing.assert_frame_equal(built[k].edges.to_wkb(), ref.edges.to_wkb(), obj=k)
        assert built[k].report == ref.report, k


@pytest.mark.parametrize("seed", range(4))
def test_edges_that_are_whole_lines_are_the_lines_made_from_their_coordinates(seed, monkeypatch):
    # an edge that is a whole input line keeps that line's geometry instead of making a new one;
    # it must equal the line made from the edge's coordinates, as every other edge is: lines
    # with repeated vertices, ends snapped within the tolerance, -0.0 coordinates, an SRID, M
    import pandas as pd

    from accessibility.network import topology

    geoms = list(_random_layer(seed))
    geoms.append(shapely.LineString([(-0.0, 0.0), (0.0, 150.0)]))  # ends equal to (0, 0), (0, 150)
    geoms.append(shapely.LineString([(0.0, 0.0), (-150.0, -0.0)]))
    geoms.append(shapely.LineString([(700.0, 700.0), (800.0, 700.0), (800.0, 700.0)]))
    geoms.append(shapely.LineString([(703.0, 701.0), (703.0, 900.0)]))  # snapped within 5 m
    geoms.append(shapely.set_srid(shapely.LineString([(900.0, 0.0), (990.0, 10.0)]), 4326))
    if hasattr(shapely, "has_m"):
        geoms.append(shapely.from_wkt("LINESTRING M (1000 0 1, 1100 0 2)"))
    roads = gpd.GeoDataFrame(
        {"road_class": ["county"] * len(geoms)}, geometry=np.array(geoms, dtype=object), crs=CRS
    )
    kws = [{}, {"tolerance_m": 5.0}, {"tolerance_m": 0.0}, {"split_crossings": True}]
    built = [network_from_roads(roads, **kw) for kw in kws]
    given = {id(g) for g in roads.geometry.to_numpy()}
    assert any(id(g) in given for g in built[0].edges.geometry.to_numpy())  # lines were kept

    def made(geoms, coords, line_of, a, b, same):
        return topology._edge_lines(coords, a, b)

    monkeypatch.setattr(topology, "_edge_geometries", made)
    for kw, net in zip(kws, built, strict=True):
        ref = network_from_roads(roads, **kw)
        pd.testing.assert_frame_equal(net.edges.to_wkb(), ref.edges.to_wkb(), obj=str(kw))
        pd.testing.assert_frame_equal(net.nodes.to_wkb(), ref.nodes.to_wkb(), obj=str(kw))
        assert shapely.get_srid(net.edges.geometry.to_numpy()).max() == 0


def _same_network(a, b) -> None:
    import pandas as pd

    pd.testing.assert_frame_equal(a.nodes, b.nodes)
    pd.testing.assert_frame_equal(a.edges, b.edges)
    assert list(a.report.items()) == list(b.report.items())  # in the same order too


@pytest.mark.parametrize("seed", range(4))
def test_crossings_counted_on_a_second_thread_give_the_same_network_and_warning(seed, monkeypatch):
    """Crossings that are only counted are counted on a second thread while the lines are split
    (layers of 20,000 lines or more), and T-junction candidates at shared junctions are dropped
    in the grid's kernel (100,000 line ends or more): the same network, report and warning, the
    warning pointing at the caller's line, as when counted first on this thread and filtered
    afterwards only."""
    from accessibility import set_options
    from accessibility.network import assemble, repair

    geoms = _random_layer(seed)
    roads = gpd.GeoDataFrame({"road_class": ["county"] * len(geoms)}, geometry=geoms, crs=CRS)
    built = {}
    started = _threaded(monkeypatch)
    for threaded in (False, True):
        monkeypatch.setattr(assemble, "_THREADED_CROSSINGS_MIN_LINES", 0 if threaded else 10**9)
        monkeypatch.setattr(repair, "_OFF_VERTICES_MIN_ENDS", 0 if threaded else 10**9)
        started.clear()
        with set_options(n_jobs=2), pytest.warns(NetworkWarning, match="NOT joined") as rec:
            built[threaded] = network_from_roads(roads, modes=("car",), tolerance_m=0.5)
        assert len(started) == threaded
        assert {w.filename for w in rec if "NOT joined" in str(w.message)} == {__file__}
    assert built[True].report["n_crossings_not_joined"] > 0
    _same_network(built[False], built[True])


def test_crossings_on_one_core_or_split_are_counted_on_this_thread(monkeypatch):
    from accessibility import set_options
    from accessibility.network import assemble

    monkeypatch.setattr(assemble, "_THREADED_CROSSINGS_MIN_LINES", 0)
    monkeypatch.setattr(assemble, "ThreadPoolExecutor", None)  # any use fails
    roads = layer([[(0, 0), (1000, 0)], [(500, -500), (500, 500)]])
    with set_options(n_jobs=1), pytest.warns(NetworkWarning, match="NOT joined"):
        assert network_from_roads(roads).report["n_crossings_not_joined"] == 1
    with set_options(n_jobs=2):
        net = network_from_roads(roads, split_crossings=True)
    assert net.report["n_crossings_split"] == 1


def _crossings_threads() -> list:
    import threading

    return [t for t in threading.enumerate() if t.name.startswith("accessibility-crossings")]


def _threaded(monkeypatch) -> list[int]:
    """Crossings counted on the second thread whatever the layer; the pools started."""
    from accessibility.network import assemble

    started: list[int] = []
    real = assemble.ThreadPoolExecutor
    monkeypatch.setattr(assemble, "_THREADED_CROSSINGS_MIN_LINES", 0)
    monkeypatch.setattr(
        assemble, "ThreadPoolExecutor", lambda *a, **k: started.append(1) or real(*a, **k)
    )
    return started


def test_an_error_counting_crossings_on_the_second_thread_reaches_the_caller(monkeypatch):
    from accessibility import set_options
    from accessibility.network import assemble

    def fails(*args, **kwargs):
        raise MemoryError("no room for the grid")

    started = _threaded(monkeypatch)
    monkeypatch.setattr(assemble, "crossings", fails)
    roads = layer([[(0, 0), (1000, 0)], [(500, -500), (500, 500)]])
    with set_options(n_jobs=2), pytest.raises(MemoryError, match="no room"):
        network_from_roads(roads)
    assert started == [1] and not _crossings_threads()


@pytest.mark.parametrize("failing", ["split_lines", "join_t_junctions"])
def test_a_build_that_fails_while_crossings_are_counted_raises_its_own_error(failing, monkeypatch):
    """The build's own error reaches the caller, not the count's (which is dropped with its
    warning), and no counting thread is left behind."""
    import warnings

    from accessibility import set_options
    from accessibility.network import assemble

    def count_fails(*args, **kwargs):
        raise MemoryError("the count failed too")

    def build_fails(*args, **kwargs):
        raise ValueError(f"{failing} failed")

    started = _threaded(monkeypatch)
    monkeypatch.setattr(assemble, failing, build_fails)
    roads = layer([[(0, 0), (1000, 0)], [(500, -500), (500, 500)]])
    for count in (assemble.crossings, count_fails):
        monkeypatch.setattr(assemble, "crossings", count)
        with (
            set_options(n_jobs=2),
            warnings.catch_warnings(),
            pytest.raises(ValueError, match=f"{failing} failed"),
        ):
            warnings.simplefilter("error", NetworkWarning)  # no crossings warning either
            network_from_roads(roads)
        assert not _crossings_threads()
    assert started == [1, 1]


@pytest.mark.parametrize("n", [7, 150_000])  # hashlib, and the kernel for long columns
def test_the_network_keeps_fingerprints_not_copies_of_its_fixed_columns(n):
    """A built network used to hold a copy of u, v, length and every mode's times (as much
    memory as those columns) to detect changes in place; a fingerprint per column does."""
    from accessibility.network.types import _fingerprint

    net = network_from_roads(layer([[(0, 0), (1000, 0)], [(1000, 0), (2000, 5)]]))
    assert net._fixed and all(
        isinstance(v, tuple) and not any(isinstance(x, np.ndarray) for x in v)
        for v in net._fixed.values()
    )
    col = np.random.default_rng(n).uniform(0, 60, n)
    assert _fingerprint(col.copy()) == _fingerprint(col)
    assert _fingerprint(col[::-1].copy()) != _fingerprint(col)  # order counts
    assert _fingerprint(col.astype(np.float32)) != _fingerprint(col)  # dtype counts
    assert _fingerprint(col[:1]) != _fingerprint(col)
    bumped = col.copy()
    bumped[0] = np.nextafter(bumped[0], np.inf)  # one bit of one value
    assert _fingerprint(bumped) != _fingerprint(col)
    assert _fingerprint(np.array(["a", "b"], dtype=object)) == _fingerprint(
        np.array(["a", "b"], dtype=object)
    )
    ro = col.copy()
    ro.flags.writeable = False  # a read-only column (pandas' copy-on-write) hashes the same
    assert _fingerprint(ro) == _fingerprint(col)
    net.edges.loc[0, "car_fwd_min"] = net.edges.loc[0, "car_fwd_min"]  # the same value: no change
    net.graph("car")
    # a text column (a user's replacement) hashes the same in every process
    code = (
        "import numpy as np; from accessibility.network.types import _fingerprint; "
        "print(_fingerprint(np.array(['村道', 'b', None], dtype=object)))"
    )
    runs = {
        subprocess.run(
            [sys.executable, "-c", code], capture_output=True, text=True, check=True
        ).stdout.strip()
        for _ in range(2)
    }
    assert len(runs) == 1
