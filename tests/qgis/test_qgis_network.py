"""QGIS's own network analysis reaches the same nodes as the package on a real OSM extract.

The package builds a Network from ``north-bayreuth.osm.gz`` (../shared/data) and exports its edge
lines to a GeoPackage. QGIS's ``native:serviceareafrompoint`` (shortest distance, planar lengths,
topology tolerance 0) runs on that line layer from a network node; the nodes it reaches within
the distance limit must be exactly the nodes the package's router reaches within the same limit,
both undirected (walking) and directed (driving, with one-way streets as a QGIS direction field).
networkx is a second, independent oracle.
"""

from __future__ import annotations

import math

import geopandas as gpd
import networkx as nx
import numpy as np
import pytest
from qgis_helpers import run_qgis_script

from accessibility import io

# real QGIS in subprocesses: the full suite runs these, the fast lane does not
pytestmark = pytest.mark.slow

WALK_CUTOFF_M = 3000.0
CAR_CUTOFF_M = 4000.0


def _allowed_arcs(edges: gpd.GeoDataFrame, mode: str | None) -> tuple[np.ndarray, ...]:
    """Directed arcs (tail, head, length_m) usable in ``mode`` (both directions when None)."""
    u = edges["u"].to_numpy(np.int64)
    v = edges["v"].to_numpy(np.int64)
    length = edges["length_m"].to_numpy(float)
    if mode is None:
        fwd = bwd = np.ones(len(edges), bool)
    else:
        fwd = np.isfinite(edges[f"{mode}_fwd_min"].to_numpy(float))
        bwd = np.isfinite(edges[f"{mode}_bwd_min"].to_numpy(float))
    tails = np.concatenate([u[fwd], v[bwd]])
    heads = np.concatenate([v[fwd], u[bwd]])
    return tails, heads, np.concatenate([length[fwd], length[bwd]])


def package_reached_nodes(
    network, start_node: int, cutoff_m: float, *, mode: str | None = None, edges=None
) -> dict[int, float]:
    """Nodes the package's router reaches within ``cutoff_m`` metres of road from ``start_node``.

    Edge costs are ``length_m``; arcs are those the mode may use (``{mode}_fwd_min`` /
    ``{mode}_bwd_min`` finite), every edge both ways when ``mode`` is None. ``edges`` replaces
    ``network.edges`` (a subset of them).
    """
    from accessibility.routing import csr_from_arcs, distances_from

    tails, heads, length = _allowed_arcs(network.edges if edges is None else edges, mode)
    graph = csr_from_arcs(len(network.nodes), tails, heads, length)
    nodes, dist = distances_from(graph, seed_node=[start_node], max_cost=cutoff_m)
    return dict(zip(nodes.tolist(), dist.tolist(), strict=True))


def networkx_reached_nodes(
    network, start_node: int, cutoff_m: float, *, mode: str | None = None
) -> dict[int, float]:
    """The same as :func:`package_reached_nodes`, computed with networkx's Dijkstra."""
    tails, heads, length = _allowed_arcs(network.edges, mode)
    g = nx.DiGraph()
    g.add_nodes_from(range(len(network.nodes)))
    for a, b, w in zip(tails.tolist(), heads.tolist(), length.tolist(), strict=True):
        if not g.has_edge(a, b) or g[a][b]["weight"] > w:
            g.add_edge(a, b, weight=w)
    return nx.single_source_dijkstra_path_length(g, start_node, cutoff=cutoff_m, weight="weight")


def qgis_reached_nodes(points: list, nodes_xy: np.ndarray) -> set[int]:
    """Network nodes whose coordinates QGIS reported as reached ("within") vertices."""
    within = {(round(x, 3), round(y, 3)) for x, y, kind in points if kind == "within"}
    return {i for i, (x, y) in enumerate(nodes_xy.tolist()) if (round(x, 3), round(y, 3)) in within}


def _comparable(reached: dict[int, float], cutoff_m: float) -> set[int]:
    """Reached nodes, leaving out those within a rounding error of the limit."""
    return {n for n, d in reached.items() if not math.isclose(d, cutoff_m, rel_tol=1e-9)}


@pytest.fixture(scope="module")
def bayreuth(qgis, shared_data, tmp_path_factory):
    from accessibility.network import network_from_osm

    work = tmp_path_factory.mktemp("qgis_network")
    net = network_from_osm(shared_data / "osm" / "north-bayreuth.osm.gz")
    edges = net.edges
    walk = edges[["u", "v", "length_m", "road_class", "geometry"]]
    fwd = np.isfinite(edges["car_fwd_min"].to_numpy(float))
    bwd = np.isfinite(edges["car_bwd_min"].to_numpy(float))
    car = edges.loc[fwd | bwd, ["u", "v", "length_m", "road_class", "geometry"]].copy()
    car["dir"] = np.where(fwd & bwd, "both", np.where(fwd, "forward", "backward"))[fwd | bwd]
    gpkg = io.write_geopackage(work / "bayreuth_network.gpkg", {"walk": walk, "car": car})

    nodes_xy = net.nodes[["x", "y"]].to_numpy()
    main = net.nodes.index[net.nodes["component"] == 0].to_numpy()
    centre = nodes_xy[main].mean(axis=0)
    central = int(main[np.argmin(((nodes_xy[main] - centre) ** 2).sum(axis=1))])
    oneway = edges[fwd & ~bwd]
    oneway_start = int(oneway["u"][oneway["u"].isin(main)].iloc[0])
    starts = {"central": central, "oneway": oneway_start}
    crs = f"EPSG:{net.crs.to_epsg()}"
    runs = []
    for label, node in starts.items():
        xy = nodes_xy[node].tolist()
        runs.append(
            {
                "name": f"walk-{label}",
                "uri": f"{gpkg}|layername=walk",
                "start": xy,
                "crs": crs,
                "travel_cost": WALK_CUTOFF_M,
            }
        )
        runs.append(
            {
                "name": f"car-{label}",
                "uri": f"{gpkg}|layername=car",
                "start": xy,
                "crs": crs,
                "travel_cost": CAR_CUTOFF_M,
                "direction_field": "dir",
            }
        )
    result = run_qgis_script("service_area.py", {"runs": runs}, work)
    return net, starts, result["runs"]


@pytest.mark.slow
@pytest.mark.parametrize("start", ["central", "oneway"])
@pytest.mark.parametrize(
    ("mode", "cutoff_m"), [(None, WALK_CUTOFF_M), ("car", CAR_CUTOFF_M)], ids=["walk", "car"]
)
def test_qgis_service_area_reaches_same_nodes(bayreuth, start, mode, cutoff_m):
    net, starts, runs = bayreuth
    run = runs[f"{'walk' if mode is None else 'car'}-{start}"]
    node = starts[start]
    ours = package_reached_nodes(net, node, cutoff_m, mode=mode)
    oracle = networkx_reached_nodes(net, node, cutoff_m, mode=mode)
    assert ours.keys() == oracle.keys()
    assert all(math.isclose(ours[n], oracle[n], rel_tol=1e-9, abs_tol=1e-6) for n in ours)

    theirs = qgis_reached_nodes(run["points"], net.nodes[["x", "y"]].to_numpy())
    expected = _comparable(ours, cutoff_m)
    assert len(expected) > 50  # a real neighbourhood, not a trivial one
    assert node in theirs
    print(f"{start} {mode}: package {len(ours)}, QGIS {len(theirs)} nodes")
    missing = expected - theirs
    extra = theirs - set(ours)
    assert not missing, f"QGIS did not reach {len(missing)} nodes the package reaches"
    assert not extra, f"QGIS reached {len(extra)} nodes beyond the limit for the package"


def test_direction_matters_on_this_extract(bayreuth):
    """The directed (car) comparison is not vacuous: one-way streets change what is reached."""
    net, starts, _ = bayreuth
    node = starts["oneway"]
    directed = package_reached_nodes(net, node, CAR_CUTOFF_M, mode="car")
    car_edges = net.edges[
        np.isfinite(net.edges["car_fwd_min"]) | np.isfinite(net.edges["car_bwd_min"])
    ]
    both = package_reached_nodes(net, node, CAR_CUTOFF_M, edges=car_edges)
    changed = {n for n in both if n not in directed or directed[n] > both[n] + 1e-6}
    assert changed, "no one-way street matters from this start; pick another start node"
