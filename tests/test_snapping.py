"""Polygons to points, explicitly."""

from __future__ import annotations

import warnings

import geopandas as gpd
import numpy as np
import pytest
import rasterio
import shapely
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from rasterio.transform import from_origin

import accessibility as acc
from accessibility.errors import InvalidValueError, SnapWarning

CRS = "EPSG:32649"


def layer(lines, classes):
    return gpd.GeoDataFrame(
        {"road_class": classes}, geometry=[shapely.LineString(c) for c in lines], crs=CRS
    )


def test_to_points_methods(tmp_path):
    # an L-shaped village whose centroid lies outside it
    ell = shapely.Polygon([(0, 0), (1000, 0), (1000, 100), (100, 100), (100, 1000), (0, 1000)])
    layer = gpd.GeoDataFrame({"population": [10]}, geometry=[ell], index=["v"], crs="EPSG:32649")
    rep = acc.to_points(layer, method="representative")
    assert rep.geometry.iloc[0].within(ell)
    cen = acc.to_points(layer, method="centroid")
    assert not cen.geometry.iloc[0].within(ell)
    # a raster with all people in the cell at x 900-1000, y 0-100
    data = np.zeros((10, 10), dtype="float32")
    data[9, 9] = 500
    path = tmp_path / "pop.tif"
    with rasterio.open(
        path,
        "w",
        driver="GTiff",
        width=10,
        height=10,
        count=1,
        dtype="float32",
        crs="EPSG:32649",
        transform=from_origin(0, 1000, 100, 100),
    ) as dst:
        dst.write(data, 1)
    pop = acc.to_points(layer, method="population", population_raster=path)
    assert pop.geometry.iloc[0].equals_exact(shapely.Point(950, 50), 1e-6)
    assert layer.geometry.iloc[0].geom_type == "Polygon"  # input unchanged
    with pytest.raises(InvalidValueError, match="representative"):
        acc.to_points(layer, method="middle")
    with pytest.raises(InvalidValueError, match="population_raster"):
        acc.to_points(layer, method="population")


def test_snapping_is_stable_under_a_round_trip_through_epsg4326():
    """The demo's layers written to EPSG:4326 and back to the project CRS move by nanometres;
    village V001 lies (to 1e-10 m) equally far from two edges, and the near-tie used to flip to the
    other edge (its hospital time 4.60 -> 5.20 min). Edges within SNAP_TIE_M of the nearest are a
    tie broken by the edges' own (rounded) coordinates, so every time agrees."""
    from accessibility.options import set_options
    from accessibility.snapping import SNAP_TIE_M, locate

    demo = acc.load_demo()
    crs = demo.crs
    with set_options(progress=False):
        net = acc.network_from_roads(demo.roads, tolerance_m=2.5, crs=crs)
        net_rt = acc.network_from_roads(demo.roads.to_crs(4326), tolerance_m=2.5, crs=crs)
        villages_rt = demo.villages.to_crs(4326)
        a = locate(demo.villages, net, mode="car")
        b = locate(villages_rt, net_rt, mode="car")
        # the near-tie: two edges within a nanometre of V001's nearest distance
        p = demo.villages.geometry.loc["V001"]
        d = np.sort(shapely.distance(net.edges.geometry.to_numpy(), p))
        assert d[1] - d[0] < 1e-6 < SNAP_TIE_M
        assert (a["edge"] == b["edge"]).all()
        np.testing.assert_allclose(a["snap_distance_m"], b["snap_distance_m"], rtol=0, atol=1e-6)
        la = acc.accessibility_layer(net, demo.villages, demo.facilities)
        lb = acc.accessibility_layer(net_rt, villages_rt, demo.facilities.to_crs(4326))
    times = [c for c in la.columns if c.endswith("_nearest_min")]
    assert len(times) >= 7
    for col in times:
        np.testing.assert_allclose(lb[col], la[col], rtol=0, atol=1e-6, err_msg=col)


def test_points_with_nan_or_infinite_coordinates_are_left_unsnapped():
    # found in review: the tie-breaking query crashed with an empty GEOSException on them
    import geopandas as gpd
    import numpy as np
    from shapely.geometry import LineString, Point

    from accessibility.network import network_from_roads
    from accessibility.snapping import locate

    roads = gpd.GeoDataFrame(
        {"road_class": ["县道"]}, geometry=[LineString([(0, 0), (1000, 0)])], crs=32650
    )
    net = network_from_roads(roads)
    pts = gpd.GeoDataFrame(
        geometry=[Point(10, 10), Point(np.nan, np.nan), Point(np.inf, 5)], crs=32650
    )
    got = locate(pts, net, mode="car")
    assert got["snapped"].tolist() == [True, False, False]


def _brute_force_snap(net, points, mode):
    """Reference for ``locate``'s edge and distance: every usable edge's distance to every point,
    the edges within SNAP_TIE_M of the nearest, the smallest key among them (written out here
    independently of the module: end coordinates, length, second vertex to the mm, then times).
    Returns the edge, its distance and the key of every usable edge (edges with equal keys, e.g.
    duplicated roads, are interchangeable: the rule does not order them)."""
    from accessibility.snapping import SNAP_TIE_M

    e = net.edges
    fwd, bwd = e[f"{mode}_fwd_min"].to_numpy(), e[f"{mode}_bwd_min"].to_numpy()
    usable = np.flatnonzero(np.isfinite(fwd) | np.isfinite(bwd))
    geoms = e.geometry.to_numpy()[usable]
    xy = net.nodes[["x", "y"]].to_numpy()
    keys = {}
    for i, g in zip(usable, geoms, strict=True):
        c = shapely.get_coordinates(g)
        metres = [*xy[e["u"].iat[i]], *xy[e["v"].iat[i]], e["length_m"].iat[i], *c[1]]
        keys[i] = (*np.round(metres, 3), *np.round([fwd[i], bwd[i]], 6))
    edge, dist = [], []
    for p in points.geometry:
        d = shapely.distance(p, geoms)
        tied = np.flatnonzero(d <= d.min() + SNAP_TIE_M)
        best = min(tied, key=lambda j: keys[usable[j]])
        edge.append(usable[best])
        dist.append(d[best])
    return np.array(edge), np.array(dist), keys


def _assert_same_snaps(got, edge, dist, keys):
    assert [keys[i] for i in got["edge"]] == [keys[i] for i in edge]
    np.testing.assert_array_equal(got["snap_distance_m"].to_numpy(), dist)


def test_locate_matches_a_brute_force_reference_on_adversarial_points():
    """Every point gets the edge and distance of an exhaustive search with the documented tie rule:
    points on nodes and vertices (equally near every edge there), midway between parallel roads,
    duplicated, far off the network (beyond max_snap_m and beyond any first search radius), and
    random ones at every scale; a footway the car may not use is never chosen."""
    from accessibility.snapping import locate

    rng = np.random.default_rng(7)
    lines, classes = [], []
    for k in range(6):  # a perturbed 6 x 6 grid, 300 m apart, with bent roads
        xs = np.arange(6) * 300.0
        jitter = rng.normal(0, 20, 6)
        lines.append(list(zip(xs, k * 300.0 + jitter, strict=True)))
        lines.append(list(zip(k * 300.0 + jitter, xs, strict=True)))
        classes += ["county", "village"]
    lines.append([(0, 1600), (1500, 1600)])  # parallel roads 40 m apart
    lines.append([(0, 1640), (1500, 1640)])
    lines.append([(100, 100), (1400, 1400)])  # a footway across the grid
    classes += ["county", "county", "footway"]
    speeds = {"car": {"county": 60.0, "village": 30.0, "footway": 0.0}}
    net = acc.network_from_roads(
        layer(lines, classes), speeds=speeds, modes=("car",), split_crossings=True
    )
    nodes = net.nodes[["x", "y"]].to_numpy()
    verts = shapely.get_coordinates(net.edges.geometry.to_numpy())
    pts = np.vstack(
        [
            nodes,
            verts[::3],
            [(x, 1620.0) for x in (0.0, 333.3, 750.0, 1500.0)],  # midway between the parallels
            nodes[:5],  # duplicates
            [(-9000.0, -9000.0), (20000.0, 700.0), (750.0, 9000.0)],  # far off the network
            rng.uniform(-200, 1900, (300, 2)),
            rng.uniform(-3000, 5000, (100, 2)),
            [(750.0, 750.0)],  # on the footway, between car roads
        ]
    )
    points = gpd.GeoDataFrame(geometry=shapely.points(pts), crs=CRS)
    with pytest.warns(SnapWarning, match="more than"):
        got = locate(net, points, mode="car", max_snap_m=500.0)
    edge, dist, keys = _brute_force_snap(net, points, "car")
    np.testing.assert_array_equal(got["edge"].to_numpy(), edge)  # no duplicated roads here
    _assert_same_snaps(got, edge, dist, keys)
    assert (got["snapped"].to_numpy() == (dist <= 500.0)).all()
    assert not net.edges["road_class"].to_numpy()[edge].tolist().count("footway")


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    seed=st.integers(0, 2**32 - 1),
    scale_m=st.sampled_from([50.0, 3000.0, 200_000.0]),
    n_roads=st.integers(1, 25),
)
def test_locate_matches_the_reference_on_random_roads(seed, scale_m, n_roads):
    """Random bent roads at any scale (crossing, overlapping, sometimes duplicated), with a far
    outlier road (uneven density: the first search radius fits neither part), and points on,
    between and far beyond them."""
    from accessibility.snapping import locate

    rng = np.random.default_rng(seed)
    lines = [rng.uniform(0, scale_m, (int(rng.integers(2, 5)), 2)) for _ in range(n_roads)]
    lines.append(np.array([[40.0, 0.0], [41.0, 0.5]]) * scale_m)
    net = acc.network_from_roads(
        layer(lines, ["county"] * len(lines)), modes=("car",), split_crossings=True
    )
    verts = shapely.get_coordinates(net.edges.geometry.to_numpy())
    pts = np.vstack(
        [verts, rng.uniform(-scale_m, 2 * scale_m, (60, 2)), rng.uniform(-50, 50, (5, 2)) * scale_m]
    )
    points = gpd.GeoDataFrame(geometry=shapely.points(pts), crs=CRS)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", SnapWarning)
        got = locate(net, points, mode="car", max_snap_m=scale_m)
    _assert_same_snaps(got, *_brute_force_snap(net, points, "car"))
