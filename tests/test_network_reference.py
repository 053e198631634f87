"""``network_from_roads`` against independent constructions, on layers it was not written for.

Perturbed grids with shuffled rows, reversed lines, duplicate vertices, missing classes and
one-way flags of every kind: the split is compared to a plain Python split at shared vertices,
and every network is checked for the properties that define it (edge ends on their nodes, lengths
as shapely measures them, components as networkx finds them, attributes of the source rows).
"""

from __future__ import annotations

import warnings
from collections import Counter
from itertools import pairwise

import geopandas as gpd
import networkx as nx
import numpy as np
import pytest
import shapely

from accessibility.network import network_from_roads
from accessibility.network.topology import (
    split_lines,
    strong_component_count,
    unique_points,
    weak_components,
)
from accessibility.speeds import normalise_class

CRS = "EPSG:32649"
CLASSES = ["county", "县道", "village", "乡道", "national", None, "track", "provincial"]
ONEWAY = ["no", "yes", "-1", None, "no", "no", "是", "1"]


def _grid_layer(seed: int, n: int = 9, gap_m: float = 0.0) -> gpd.GeoDataFrame:
    """Lines along the rows and columns of a perturbed grid, 1-4 cells long, a midpoint vertex
    on some cells, some vertices doubled, rows shuffled, some lines reversed; ``gap_m`` pulls
    some line starts back from their junction (T-junctions and snapping to repair)."""
    rng = np.random.default_rng(seed)
    xy = np.stack(np.meshgrid(np.arange(n), np.arange(n), indexing="ij"), -1) * 200.0
    xy = xy + rng.uniform(-50, 50, xy.shape)
    lines = []
    for axis in (0, 1):
        for k in range(n):
            i = 0
            while i < n - 1:
                run = int(rng.integers(1, 5))
                stop = min(i + run, n - 1)
                pts = []
                for j in range(i, stop + 1):
                    p = xy[k, j] if axis == 0 else xy[j, k]
                    pts.append(p)
                    if j < stop and rng.random() < 0.3:
                        q = xy[k, j + 1] if axis == 0 else xy[j + 1, k]
                        pts.append((p + q) / 2 + rng.uniform(-5, 5, 2))
                    if rng.random() < 0.05:
                        pts.append(p)  # a repeated vertex
                if rng.random() < 0.3:
                    pts = pts[::-1]
                if gap_m and rng.random() < 0.3 and (pts[1] != pts[0]).any():
                    d = pts[1] - pts[0]
                    pts[0] = pts[0] + d / np.hypot(*d) * gap_m
                lines.append(shapely.LineString(np.array(pts)))
                i = stop
    order = rng.permutation(len(lines))
    m = len(lines)
    gdf = gpd.GeoDataFrame(
        {
            "road_class": [CLASSES[int(c)] for c in rng.integers(0, len(CLASSES), m)],
            "oneway": [ONEWAY[int(c)] for c in rng.integers(0, len(ONEWAY), m)],
            "name": [f"路{int(c)}" if c % 3 else None for c in rng.integers(0, 30, m)],
        },
        geometry=[lines[i] for i in order],
        crs=CRS,
    )
    gdf.index = rng.permutation(10 * m)[:m]  # row labels in no order
    return gdf


def _reference_edges(geoms: np.ndarray) -> Counter:
    """Split at every vertex that ends a line or that two or more vertex occurrences share
    (exact coordinates), repeated vertices dropped: each edge as its tuple of vertices."""
    lines = []
    for g in geoms:
        pts = [tuple(c) for c in shapely.get_coordinates(g)]
        lines.append([p for i, p in enumerate(pts) if i == 0 or p != pts[i - 1]])
    count = Counter(p for pts in lines for p in pts)
    edges = Counter()
    for pts in lines:
        cut = [i for i, p in enumerate(pts) if i in (0, len(pts) - 1) or count[p] >= 2]
        for a, b in pairwise(cut):
            edges[tuple(pts[a : b + 1])] += 1
    return edges


def _check_network(net, roads: gpd.GeoDataFrame) -> None:
    nodes, edges = net.nodes, net.edges
    assert nodes.index.tolist() == list(range(len(nodes)))
    assert edges.index.tolist() == list(range(len(edges)))
    node_xy = nodes[["x", "y"]].to_numpy()
    assert (shapely.get_coordinates(nodes.geometry.to_numpy()) == node_xy).all()
    geoms = edges.geometry.to_numpy()
    u, v = edges["u"].to_numpy(), edges["v"].to_numpy()
    # every edge runs from its u node to its v node, and is as long as shapely measures it
    assert (shapely.get_coordinates(shapely.get_point(geoms, 0)) == node_xy[u]).all()
    assert (shapely.get_coordinates(shapely.get_point(geoms, -1)) == node_xy[v]).all()
    assert (edges["length_m"].to_numpy() == shapely.length(geoms)).all()
    assert (edges["length_m"] > 0).all()
    assert len({tuple(p) for p in node_xy}) == len(node_xy)  # one node per place
    # attributes of the source row
    src = roads.loc[edges["source_id"].to_numpy()]
    assert edges["road_class"].tolist() == [normalise_class(c) for c in src["road_class"]]
    assert edges["name"].tolist() == src["name"].tolist()
    one = src["oneway"].astype("string").str.strip().str.lower().fillna("")
    assert (
        edges["oneway"].tolist()
        == one.isin(["1", "true", "yes", "y", "t", "是", "单行", "-1"]).tolist()
    )
    for mode in net.modes:
        sp = edges[f"{mode}_speed_kmh"].to_numpy()
        t = edges["length_m"].to_numpy() / 1000.0 / sp * 60.0
        assert np.array_equal(edges[f"{mode}_fwd_min"].to_numpy(), t)
        bwd = np.where(edges["oneway"].to_numpy() & (mode != "walk"), np.inf, t)
        assert np.array_equal(edges[f"{mode}_bwd_min"].to_numpy(), bwd)
    # components as networkx finds them (0 = largest)
    g = nx.Graph()
    g.add_nodes_from(range(len(nodes)))
    g.add_edges_from(zip(u.tolist(), v.tolist(), strict=True))
    comps = sorted(nx.connected_components(g), key=lambda c: (-len(c), min(c)))
    expected = np.empty(len(nodes), np.int64)
    for k, c in enumerate(comps):
        expected[list(c)] = k
    assert nodes["component"].tolist() == expected.tolist()
    assert net.report["n_components"] == len(comps)
    for mode in net.modes:
        d = nx.DiGraph()
        d.add_nodes_from(range(len(nodes)))
        fwd = np.isfinite(edges[f"{mode}_fwd_min"].to_numpy())
        bwd = np.isfinite(edges[f"{mode}_bwd_min"].to_numpy())
        d.add_edges_from(zip(u[fwd].tolist(), v[fwd].tolist(), strict=True))
        d.add_edges_from(zip(v[bwd].tolist(), u[bwd].tolist(), strict=True))
        n_strong = nx.number_strongly_connected_components(d)
        assert net.report[f"{mode}_strong_components"] == n_strong
        strong = net.components(mode, strong=True)
        assert int(strong.max()) + 1 == n_strong


@pytest.mark.parametrize("seed", range(6))
def test_split_is_the_plain_split_at_shared_vertices(seed):
    roads = _grid_layer(seed)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        net = network_from_roads(
            roads, tolerance_m=0.0, join_t_junctions=False, modes=("car", "walk")
        )
    geoms = roads.geometry.to_numpy().copy()
    rev = roads["oneway"].isin(["-1"]).to_numpy()
    geoms[rev] = shapely.reverse(geoms[rev])
    got = Counter(tuple(map(tuple, shapely.get_coordinates(g))) for g in net.edges.geometry)
    assert got == _reference_edges(geoms)
    ends = {p for e in got for p in (e[0], e[-1])}
    assert ends == set(map(tuple, net.nodes[["x", "y"]].to_numpy()))
    _check_network(net, roads)


@pytest.mark.parametrize(("seed", "gap_m"), [(0, 0.4), (1, 0.8), (2, 0.3)])
def test_repaired_networks_hold_their_defining_properties(seed, gap_m):
    roads = _grid_layer(seed, gap_m=gap_m)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        net = network_from_roads(roads, tolerance_m=1.0, modes=("car", "walk", "bike"))
    assert net.report["n_t_junctions_joined"] + net.report["n_endpoints_snapped"] > 0
    _check_network(net, roads)


def test_split_by_vertex_keys_is_the_same_for_any_key_values():
    # vertex keys of OSM size (sorted, not counted) and small keys (counted) split alike, and as
    # joining equal coordinates does (keys in the same order: nodes are numbered in key order)
    roads = _grid_layer(3)
    geoms = roads.geometry.to_numpy()
    _, small = unique_points(shapely.get_coordinates(geoms))  # by first occurrence
    rng = np.random.default_rng(0)
    big = np.cumsum(rng.integers(1, 2**30, small.max() + 1))[small] + 2**41
    a = split_lines(geoms, tol=0.0, vertex_keys=small)
    b = split_lines(geoms, tol=0.0, vertex_keys=big)
    c = split_lines(geoms, tol=0.0)
    for key in ("node_xy", "u", "v", "line"):
        assert np.array_equal(a[key], b[key]), key
        assert np.array_equal(a[key], c[key]), key
    assert (shapely.to_wkb(a["geometry"]) == shapely.to_wkb(b["geometry"])).all()


@pytest.mark.parametrize("seed", range(4))
def test_weak_and_strong_components_are_networkx_components(seed):
    rng = np.random.default_rng(seed)
    n, m = 300, 280
    u, v = rng.integers(0, n, m), rng.integers(0, n, m)
    # parallel edges, both ways and the same way, and self-loops
    u, v = np.r_[u, u[:20], v[20:40], 7, 7], np.r_[v, v[:20], u[20:40], 7, 7]
    m = len(u)
    fwd = np.where(rng.random(m) < 0.2, np.inf, 1.0)
    bwd = np.where(rng.random(m) < 0.5, np.inf, 1.0)
    labels = weak_components(n, u, v)
    g = nx.Graph()
    g.add_nodes_from(range(n))
    g.add_edges_from(zip(u.tolist(), v.tolist(), strict=True))
    expected = {frozenset(c) for c in nx.connected_components(g)}
    got = {}
    for node, lab in enumerate(labels.tolist()):
        got.setdefault(lab, set()).add(node)
    assert {frozenset(c) for c in got.values()} == expected
    assert all(lab == min(got[lab]) for lab in got)  # the smallest node names the component
    d = nx.DiGraph()
    d.add_nodes_from(range(n))
    d.add_edges_from((a, b) for a, b, t in zip(u, v, fwd, strict=True) if np.isfinite(t))
    d.add_edges_from((b, a) for a, b, t in zip(u, v, bwd, strict=True) if np.isfinite(t))
    assert strong_component_count(n, u, v, fwd, bwd) == nx.number_strongly_connected_components(d)


@pytest.mark.parametrize("dtype", ["string", "str", object])
def test_missing_classes_are_unknown_in_every_text_type(dtype):
    # pd.NA (the "string" type), NaN ("str") and None (object) are all a missing class
    roads = _grid_layer(4)
    roads["road_class"] = roads["road_class"].astype(dtype)
    assert roads["road_class"].isna().any()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        net = network_from_roads(roads, tolerance_m=0.0, modes=("car",))
    src = roads.loc[net.edges["source_id"].to_numpy(), "road_class"]
    assert (net.edges["road_class"][src.isna().to_numpy()] == "unknown").all()
    assert set(net.edges["road_class"]) == {
        "county",
        "township",
        "village",
        "national",
        "track",
        "provincial",
        "unknown",
    }
    assert "unknown_classes" not in net.report
