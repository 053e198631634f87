"""Catchments on hand-made networks, checked against geometry the tests compute themselves.

The model (``accessibility.catchments.network_catchments``): a place ``x`` is in the band-``B``
catchment when ``f(x) = min over road points p of t(p) + |x - p| / w <= B`` (``t`` the network
time of ``p``, ``w`` the walking speed), or it is within ``w B`` of the facility itself. The tests
evaluate ``f`` by brute force on densely sampled road points, with node times from networkx, and
check that the polygons

* cover every point with ``f(x) <= B - tolerance / w`` (the stated shortfall bound) and every road
  point reached within ``B``,
* never cover a point with ``f(x) > B + sampling error`` (nothing farther than the reach),
* cut a partly reached edge at the exact fraction, and honour one-way streets in both directions.
"""

from __future__ import annotations

import math

import geopandas as gpd
import networkx as nx
import numpy as np
import pandas as pd
import pytest
import shapely
from shapely.geometry import LineString, Point

from accessibility.catchments import (
    CATEGORIES,
    compare_coverage,
    coverage_radii,
    network_catchments,
    network_catchments_and_dissolved,
    population_covered,
    reached_roads,
    uncovered_villages,
)
from accessibility.errors import (
    GeometryError,
    InvalidValueError,
    MissingColumnError,
)
from accessibility.network import network_from_roads

CRS = "EPSG:32650"  # UTM 50N, metres
WALK_KMH = 5.0
W = WALK_KMH * 1000 / 60  # walking metres per minute


# ------------------------------------------------------------------------------------ helpers


def make_network(lines, *, speed_kmh, oneway=None):
    """A network with mode ``drive``: uniform speed per line, ``oneway`` lines only u -> v."""
    n = len(lines)
    speed = np.broadcast_to(np.asarray(speed_kmh, float), (n,))
    roads = gpd.GeoDataFrame(
        {
            "road_class": ["county"] * n,
            "oneway": [False] * n if oneway is None else list(oneway),
            "kmh": speed,
        },
        geometry=lines,
        crs=CRS,
    )
    net = network_from_roads(roads, modes=("car",), speed_column="kmh", join_t_junctions=False)
    e = net.edges
    fwd = e["car_fwd_min"].to_numpy()
    bwd = e["car_bwd_min"].to_numpy()
    return net.with_edge_times("drive", fwd, bwd)


def points_gdf(xy, ids=None, **cols):
    xy = np.asarray(xy, float)
    ids = ids if ids is not None else [f"p{i}" for i in range(len(xy))]
    return gpd.GeoDataFrame(cols, geometry=shapely.points(xy), index=pd.Index(ids), crs=CRS)


def oracle_times(net, mode, facility_xy, direction):
    """Node times and the facility's edge/fraction/connector, computed with networkx on a graph
    where the facility's edge is split at the facility's nearest road point."""
    e = net.edges
    pt = Point(facility_xy)
    dist = e.geometry.distance(pt).to_numpy().copy()
    usable = np.isfinite(e[f"{mode}_fwd_min"]) | np.isfinite(e[f"{mode}_bwd_min"])
    dist[~usable.to_numpy()] = np.inf
    fe = int(np.argmin(dist))
    line = e.geometry.iloc[fe]
    f = line.project(pt) / line.length
    c = dist[fe] / W
    g = nx.DiGraph()
    fwd = e[f"{mode}_fwd_min"].to_numpy()
    bwd = e[f"{mode}_bwd_min"].to_numpy()
    for i, (u, v) in enumerate(zip(e["u"], e["v"], strict=True)):
        arcs = []
        if i == fe:
            arcs += [(u, "F", f * fwd[i]), ("F", v, (1 - f) * fwd[i])]
            arcs += [(v, "F", (1 - f) * bwd[i]), ("F", u, f * bwd[i])]
        else:
            arcs += [(u, v, fwd[i]), (v, u, bwd[i])]
        for a, b, t in arcs:
            if np.isfinite(t) and (not g.has_edge(a, b) or g[a][b]["weight"] > t):
                g.add_edge(a, b, weight=t)
    if direction == "to_facility":
        g = g.reverse()
    t = nx.single_source_dijkstra_path_length(g, "F", weight="weight")
    node_t = np.full(len(net.nodes), np.inf)
    for k, val in t.items():
        if k != "F":
            node_t[k] = val + c
    return node_t, fe, f, c


def road_samples(net, mode, facility_xy, direction, step_m=2.0):
    """Dense road points with their exact network time t(p) (inf = not reachable)."""
    node_t, fe, f, c = oracle_times(net, mode, facility_xy, direction)
    e = net.edges
    fwd = e[f"{mode}_fwd_min"].to_numpy()
    bwd = e[f"{mode}_bwd_min"].to_numpy()
    a_u, a_v = (fwd, bwd) if direction == "from_facility" else (bwd, fwd)
    xy, ts, edges, xs = [], [], [], []
    for i, line in enumerate(e.geometry):
        n = max(2, math.ceil(line.length / step_m) + 1)
        x = np.linspace(0, 1, n)
        with np.errstate(invalid="ignore"):
            t = np.minimum(
                node_t[e["u"].iloc[i]] + x * a_u[i], node_t[e["v"].iloc[i]] + (1 - x) * a_v[i]
            )
            if i == fe:
                own = np.where(x >= f, c + (x - f) * a_u[i], c + (f - x) * a_v[i])
                t = np.fmin(t, own)
        t = np.where(np.isnan(t), np.inf, t)
        pts = shapely.line_interpolate_point(line, x, normalized=True)
        xy.append(shapely.get_coordinates(pts))
        ts.append(t)
        edges.append(np.full(n, i))
        xs.append(x)
    return np.concatenate(xy), np.concatenate(ts), np.concatenate(edges), np.concatenate(xs)


def reach_cost(points_xy, road_xy, road_t, facility_xy):
    """f(x) = min(|x - facility| / w, min over road points p of t(p) + |x - p| / w)."""
    ok = np.isfinite(road_t)
    rxy, rt = road_xy[ok], road_t[ok]
    out = np.hypot(*(points_xy - np.asarray(facility_xy)).T) / W
    for s in range(0, len(points_xy), 200):
        p = points_xy[s : s + 200]
        d = np.hypot(p[:, None, 0] - rxy[None, :, 0], p[:, None, 1] - rxy[None, :, 1])
        out[s : s + 200] = np.minimum(out[s : s + 200], (rt[None, :] + d / W).min(axis=1))
    return out


def check_against_oracle(net, facility_xy, bands, direction, tolerance_m, step_m=2.0, seed=0):
    fac = points_gdf([facility_xy], ["F1"])
    cat = network_catchments(
        net,
        fac,
        mode="drive",
        bands_min=bands,
        direction=direction,
        walk_speed_kmh=WALK_KMH,
        tolerance_m=tolerance_m,
        n_jobs=1,
    )
    road_xy, road_t, _, _ = road_samples(net, "drive", facility_xy, direction, step_m)
    max_rate = np.nanmax(
        np.where(
            np.isfinite(net.edges["drive_fwd_min"]),
            net.edges["drive_fwd_min"] / net.edges["length_m"],
            0,
        )
    )
    sampling = step_m / 2 * (1 / W + max_rate) + 1e-9  # minutes f_sampled may exceed f
    rng = np.random.default_rng(seed)
    minx, miny, maxx, maxy = net.edges.total_bounds
    pad = W * max(bands)
    probe = rng.uniform([minx - pad, miny - pad], [maxx + pad, maxy + pad], size=(4000, 2))
    f = reach_cost(probe, road_xy, road_t, facility_xy)
    for band, poly in zip(bands, cat.geometry, strict=True):
        assert poly.is_valid
        shapely.prepare(poly)
        covered = shapely.covers(poly, shapely.points(probe))
        inner = f <= band - tolerance_m / W
        outer = f > band + sampling
        assert inner.sum() > 50 and outer.sum() > 50
        assert covered[inner].all(), f"{(~covered[inner]).sum()} points well inside not covered"
        assert not covered[outer].any(), f"{covered[outer].sum()} points beyond reach covered"
        # every reached road point is covered
        on = road_t < band - 1e-9
        d = shapely.distance(poly, shapely.points(road_xy[on]))
        assert d.max() < 1e-6
        # every polygon vertex lies within the reach (f <= band), up to the sampling error
        verts = shapely.get_coordinates(poly)
        fv = reach_cost(verts, road_xy, road_t, facility_xy)
        assert fv.max() <= band + sampling
    return cat


# ------------------------------------------------------------------------------ hand-made graphs


@pytest.fixture(scope="module")
def straight():
    """Two edges on the x axis, 0 -> 2000 -> 4000 m, 60 km/h (1 km per minute)."""
    lines = [LineString([(0, 0), (2000, 0)]), LineString([(2000, 0), (4000, 0)])]
    return make_network(lines, speed_kmh=60.0)


def test_partial_edge_cut_at_exact_fraction(straight):
    # facility on the road at x=500: in 1 minute the car reaches x=0 (dead end) and x=1500
    fac = points_gdf([(500, 0)], ["F"])
    roads = reached_roads(straight, fac, mode="drive", bands_min=[1.0, 2.5])
    e0 = straight.edges.index[straight.edges.geometry.centroid.x < 2000][0]
    b1 = roads[roads["band_min"] == 1.0]
    assert len(b1) == 1 and b1["edge"].iloc[0] == e0
    u_x = straight.nodes.loc[straight.edges.loc[e0, "u"], "x"]
    lo, hi = sorted([0.0, 0.75]) if u_x == 0 else sorted([0.25, 1.0])
    assert b1["fraction_from"].iloc[0] == pytest.approx(lo, abs=1e-12)
    assert b1["fraction_to"].iloc[0] == pytest.approx(hi, abs=1e-12)
    assert b1["length_m"].iloc[0] == pytest.approx(1500.0)
    geom = b1.geometry.iloc[0]
    assert sorted(shapely.get_coordinates(geom)[:, 0].tolist()) == pytest.approx([0.0, 1500.0])
    # 2.5 minutes: the whole first edge and 1000 m of the second (x = 3000)
    b2 = roads[roads["band_min"] == 2.5]
    assert b2["length_m"].sum() == pytest.approx(3000.0)
    assert shapely.union_all(b2.geometry.to_numpy()).bounds[2] == pytest.approx(3000.0)


def test_straight_road_polygon_exact(straight):
    fac = points_gdf([(500, 0)], ["F"])
    cat = network_catchments(straight, fac, mode="drive", bands_min=[1.0], tolerance_m=0.5)
    poly = cat.geometry.iloc[0]
    # the road up to the cut is covered, a point 1 m past it is not
    assert poly.covers(Point(1499.0, 0)) and poly.covers(Point(0, 0))
    assert not poly.covers(Point(1501.0, 0))
    # half-width: r(x) = w (1 - |x - 500| / 1000) of walking left at x; the envelope of discs
    # whose radius falls by k = w / 1000 per metre is a tangent line at height r / sqrt(1 - k^2),
    # except at the facility (x = 500), the crest, where it is the disc's top r
    k = W / 1000
    for x in (0.0, 250.0, 500.0, 1000.0, 1400.0):
        r = W * (1 - abs(x - 500) / 1000)
        half = r if x == 500 else r / math.sqrt(1 - k * k)
        assert poly.covers(Point(x, half - 0.01)) and poly.covers(Point(x, -(half - 0.01)))
        assert not poly.covers(Point(x, half + 0.01))
    # behind the dead end at x=0: 0.5 min left there, so a disc of radius w/2 around (0, 0)
    assert poly.covers(Point(-W / 2 + 0.5, 0)) and not poly.covers(Point(-W / 2 - 0.01, 0))
    # exact area of the region (discs of linearly shrinking radius along straight pieces)
    exact = shapely.union_all(
        [shapely.Point(x, 0).buffer(W * (1 - abs(x - 500) / 1000), 256) for x in range(0, 1501, 1)]
    )
    assert poly.area == pytest.approx(exact.area, rel=2e-3)
    assert poly.area <= exact.area * (1 + 1e-6)


@pytest.mark.parametrize("direction", ["to_facility", "from_facility"])
def test_one_way_edges(direction):
    # a one-way road 0 -> 4000 (digitised direction) and a facility on it at x = 2000
    lines = [LineString([(0, 0), (2000, 0)]), LineString([(2000, 0), (4000, 0)])]
    net = make_network(lines, speed_kmh=60.0, oneway=[True, True])
    fac = points_gdf([(2000, 0)], ["F"])
    roads = reached_roads(net, fac, mode="drive", bands_min=[1.0], direction=direction)
    merged = shapely.union_all(roads.geometry.to_numpy())
    minx, _, maxx, _ = merged.bounds
    if direction == "from_facility":  # can drive on to x = 3000, not back
        assert (minx, maxx) == pytest.approx((2000.0, 3000.0))
    else:  # can be reached from upstream only
        assert (minx, maxx) == pytest.approx((1000.0, 2000.0))
    poly = network_catchments(net, fac, mode="drive", bands_min=[1.0], direction=direction)
    poly = poly.geometry.iloc[0]
    ahead, behind = Point(2900, 0), Point(1100, 0)
    assert poly.covers(ahead) == (direction == "from_facility")
    assert poly.covers(behind) == (direction == "to_facility")


@pytest.fixture(scope="module")
def grid():
    """3 x 3 grid, 1 km spacing, curved and one-way pieces, mixed speeds."""
    lines, speeds, oneway = [], [], []
    for i in range(3):
        for j in range(3):
            x, y = 1000.0 * i, 1000.0 * j
            if i < 2:
                mid = (x + 500, y + (120 if j == 1 else 0))  # a bend on the middle row
                lines.append(LineString([(x, y), mid, (x + 1000, y)]))
                speeds.append(60.0 if j == 0 else 30.0)
                oneway.append(i == 0 and j == 2)  # one-way eastwards on the top-left edge
            if j < 2:
                lines.append(LineString([(x, y), (x, y + 350), (x + 40, y + 700), (x, y + 1000)]))
                speeds.append(40.0)
                oneway.append(i == 2 and j == 0)  # one-way northwards
    return make_network(lines, speed_kmh=speeds, oneway=oneway)


@pytest.mark.parametrize("direction", ["to_facility", "from_facility"])
def test_grid_reached_roads_match_networkx(grid, direction):
    facility_xy = (1330.0, 1090.0)  # off-road, near the bent middle edge
    bands = [1.5, 3.0]
    fac = points_gdf([facility_xy], ["F"])
    roads = reached_roads(
        grid, fac, mode="drive", bands_min=bands, direction=direction, walk_speed_kmh=WALK_KMH
    )
    _, road_t, edges, xs = road_samples(grid, "drive", facility_xy, direction, step_m=1.0)
    for band in bands:
        r = roads[roads["band_min"] == band]
        # a sampled road point is reached iff it lies in one of the reported intervals
        inside = np.zeros(len(xs), bool)
        for e, a, b in zip(r["edge"], r["fraction_from"], r["fraction_to"], strict=True):
            inside |= (edges == e) & (xs >= a - 1e-9) & (xs <= b + 1e-9)
        reached = road_t <= band
        tight = np.abs(road_t - band) < 1e-6
        assert np.array_equal(inside[~tight], reached[~tight])
        assert reached.sum() > 100


@pytest.mark.parametrize("direction", ["to_facility", "from_facility"])
def test_grid_polygons_against_brute_force(grid, direction):
    check_against_oracle(grid, (1330.0, 1090.0), [1.5, 3.0], direction, tolerance_m=2.0)


def test_grid_polygons_coarse_tolerance(grid):
    # the bound holds at a coarse tolerance too (fewer arc vertices)
    check_against_oracle(grid, (620.0, 40.0), [2.0], "to_facility", tolerance_m=15.0, seed=1)


def test_directions_agree_on_two_way_roads(straight):
    fac = points_gdf([(700, 30)], ["F"])
    a = network_catchments(straight, fac, mode="drive", bands_min=[1, 2])
    b = network_catchments(straight, fac, mode="drive", bands_min=[1, 2], direction="from_facility")
    for pa, pb in zip(a.geometry, b.geometry, strict=True):
        assert pa.symmetric_difference(pb).area < 1e-6 * pa.area


def test_rings_partition_cumulative(grid):
    fac = points_gdf([(1330.0, 1090.0), (200.0, 1900.0)], ["A", "B"])
    cum = network_catchments(grid, fac, mode="drive", bands_min=[1, 2, 3])
    rings = network_catchments(grid, fac, mode="drive", bands_min=[1, 2, 3], rings=True)
    assert list(rings.columns) == ["facility", "service", "band_from_min", "band_min", "geometry"]
    assert rings["band_from_min"].tolist() == [0, 1, 2, 0, 1, 2]
    for fid in ("A", "B"):
        r = rings[rings["facility"] == fid].geometry.to_numpy()
        c = cum[cum["facility"] == fid].geometry.to_numpy()
        # nested cumulative bands, disjoint rings whose union is the largest band
        for k in range(2):
            assert c[k].difference(c[k + 1]).area < 1e-6
        for i in range(3):
            for j in range(i + 1, 3):
                assert r[i].intersection(r[j]).area < 1e-6
        assert shapely.union_all(r).symmetric_difference(c[-1]).area < 1e-6 * c[-1].area
        assert r[0].symmetric_difference(c[0]).area < 1e-9


def test_dissolve_is_union_per_service(grid):
    fac = points_gdf(
        [(1330.0, 1090.0), (200.0, 1900.0), (1900.0, 100.0)],
        ["A", "B", "C"],
        service=["clinic", "clinic", "school"],
    )
    per = network_catchments(grid, fac, mode="drive", bands_min=[1, 2], service_column="service")
    dis = network_catchments(
        grid, fac, mode="drive", bands_min=[1, 2], service_column="service", dissolve=True
    )
    assert list(dis.columns) == ["service", "band_min", "n_facilities", "geometry"]
    assert dis[["service", "band_min", "n_facilities"]].values.tolist() == [
        ["clinic", 1.0, 2],
        ["clinic", 2.0, 2],
        ["school", 1.0, 1],
        ["school", 2.0, 1],
    ]
    for _, row in dis.iterrows():
        sel = per[(per["service"] == row["service"]) & (per["band_min"] == row["band_min"])]
        union = shapely.union_all(sel.geometry.to_numpy())
        assert union.symmetric_difference(row.geometry).area < 1e-6 * union.area


@pytest.mark.parametrize("rings", [False, True])
def test_catchments_and_dissolved_equal_two_calls(grid, rings):
    # one pass for both layers gives exactly what two network_catchments calls give
    fac = points_gdf(
        [(1330.0, 1090.0), (200.0, 1900.0), (1900.0, 100.0), (9e6, 9e6)],
        ["A", "B", "C", "far"],
        service=["clinic", "clinic", "school", "school"],
    )
    kw = {"mode": "drive", "thresholds_min": [1, 2.5], "service_column": "service",
          "rings": rings, "simplify_m": 0.5, "max_snap_m": 500}  # fmt: skip
    each, union = network_catchments_and_dissolved(grid, fac, **kw)
    for got, dissolve in ((each, False), (union, True)):
        ref = network_catchments(grid, fac, dissolve=dissolve, **kw)
        pd.testing.assert_frame_equal(got.drop(columns="geometry"), ref.drop(columns="geometry"))
        assert got.crs == ref.crs
        assert (
            shapely.to_wkb(got.geometry.to_numpy()).tolist()
            == shapely.to_wkb(ref.geometry.to_numpy()).tolist()
        )


def test_unsnapped_facility_gets_walking_disc(straight, caplog):
    fac = points_gdf([(500, 5000)], ["far"])  # 5 km from the road
    cat = network_catchments(straight, fac, mode="drive", bands_min=[10], max_snap_m=1000)
    poly = cat.geometry.iloc[0]
    # a polygon inscribed in the walking circle, falling short by at most the tolerance (10 m)
    d = np.hypot(*(shapely.get_coordinates(poly) - [500, 5000]).T)
    assert d == pytest.approx(10 * W, rel=1e-9)
    assert poly.covers(Point(500, 5000).buffer(10 * W - 10.0, 64))
    assert "flagged" in caplog.text


def test_result_in_callers_crs(straight):
    fac = points_gdf([(500, 0)], ["F"]).to_crs("EPSG:4326")
    cat = network_catchments(straight, fac, mode="drive", bands_min=[1])
    assert cat.crs == fac.crs
    back = cat.to_crs(CRS).geometry.iloc[0]
    assert back.covers(Point(1400, 0)) and not back.covers(Point(1600, 0))


def test_input_errors(straight):
    fac = points_gdf([(500, 0)], ["F"])
    with pytest.raises(InvalidValueError, match="direction"):
        network_catchments(straight, fac, mode="drive", direction="towards")
    with pytest.raises(InvalidValueError, match="bands_min"):
        network_catchments(straight, fac, mode="drive", bands_min=[5, -1])
    with pytest.raises(MissingColumnError):
        network_catchments(straight, fac, mode="drive", service_column="kind")
    poly = gpd.GeoDataFrame(geometry=[Point(0, 0).buffer(10)], crs=CRS)
    with pytest.raises(GeometryError, match="points"):
        network_catchments(straight, poly, mode="drive")
    with pytest.raises(InvalidValueError, match="service"):
        coverage_radii(fac.assign(service="x"), {"y": 5}, service_column="service")


# ------------------------------------------------------------------------ radii and comparison


def test_coverage_radii_metric_circles():
    from pyproj import Geod

    # two facilities in longitude/latitude (near the centre of UTM zone 50)
    fac = points_gdf([(500000, 3000000), (505000, 3000000)], ["a", "b"], service=["c", "s"])
    geo = fac.to_crs("EPSG:4326")
    c = coverage_radii(geo, {"c": 1000, "s": 500}, service_column="service")
    assert list(c.columns) == ["facility", "service", "radius_m", "geometry"]
    assert c.crs == geo.crs
    assert c["radius_m"].tolist() == [1000.0, 500.0]
    geod = Geod(ellps="WGS84")
    for (_, row), centre in zip(c.iterrows(), geo.geometry, strict=True):
        xy = shapely.get_coordinates(row.geometry)
        _, _, d = geod.inv(
            np.full(len(xy), centre.x), np.full(len(xy), centre.y), xy[:, 0], xy[:, 1]
        )
        # metres on the ground, up to the local UTM scale factor (0.9996 at the central meridian)
        assert d == pytest.approx(row["radius_m"], rel=1e-3)


@pytest.fixture(scope="module")
def river():
    """Two parallel roads 1 km apart (a river between), joined only by a bridge at x = 5000."""
    lines = [
        LineString([(-5000, 0), (5000, 0)]),
        LineString([(-5000, 1000), (5000, 1000)]),
        LineString([(5000, 0), (5000, 1000)]),
    ]
    return make_network(lines, speed_kmh=60.0)


def test_compare_coverage_categories(river):
    fac = points_gdf([(0, 0)], ["H"])
    villages = points_gdf(
        [(200, 10), (0, 990), (3000, 5), (-4000, 995)],
        ["A_both", "B_radius_only", "C_network_only", "D_neither"],
    )
    cmp = compare_coverage(villages, fac, river, radius_m=1500, band_min=5, mode="drive")
    assert cmp.index.equals(villages.index)
    assert cmp["category"].tolist() == ["both", "radius_only", "network_only", "neither"]
    assert list(cmp["category"].cat.categories) == list(CATEGORIES)
    # hand-worked times: A 10 m walk + 200 m drive + 0 walk; B around the bridge: 5+1+5 km
    assert cmp.loc["A_both", "travel_time_min"] == pytest.approx(10 / W + 0.2)
    assert cmp.loc["B_radius_only", "travel_time_min"] == pytest.approx(10 / W + 11.0)
    assert cmp.loc["C_network_only", "travel_time_min"] == pytest.approx(5 / W + 3.0)
    assert cmp.loc["B_radius_only", "distance_m"] == pytest.approx(990.0)
    # D: 5 m walk, 9 km to the bridge, 1 km over it, 5 km back: within the 60-minute limit
    assert cmp.loc["D_neither", "travel_time_min"] == pytest.approx(5 / W + 15.0)


def test_compare_coverage_per_service(river):
    fac = points_gdf([(0, 0), (-4000, 1000)], ["H", "S"], service=["clinic", "school"])
    villages = points_gdf([(200, 10), (-4000, 995)], ["A", "D"])
    cmp = compare_coverage(
        villages,
        fac,
        river,
        radius_m={"clinic": 1500, "school": 300},
        band_min={"clinic": 5, "school": 2},
        mode="drive",
        service_column="service",
        max_time_min=8,
    )
    assert cmp.index.names == ["village", "service"]
    got = cmp["category"].astype(str).to_dict()
    assert got == {
        ("A", "clinic"): "both",
        ("A", "school"): "neither",
        ("D", "clinic"): "neither",
        ("D", "school"): "both",
    }
    assert math.isnan(cmp.loc[("D", "clinic"), "travel_time_min"])  # > max_time_min


# ------------------------------------------------------------------------ population, gaps


def test_population_covered_and_uncovered():
    circles = coverage_radii(
        points_gdf([(0, 0), (3000, 0)], ["a", "b"], service=["clinic", "clinic"]),
        1000,
        service_column="service",
    )
    villages = points_gdf(
        [(100, 0), (0, 999), (2500, 0), (1500, 0), (0, 5000)],
        ["v1", "v2", "v3", "v4", "v5"],
        population=[10.0, 20.0, 40.0, 80.0, np.nan],
    )
    pop = population_covered(circles, villages, "population")
    assert pop.index.equals(circles.index)
    assert pop["n_villages"].tolist() == [2, 1]
    assert pop["population"].tolist() == [30.0, 40.0]
    gaps = uncovered_villages(circles, villages)
    assert gaps.index.tolist() == ["v4", "v5"]
    assert gaps["distance_m"].tolist() == pytest.approx([500.0, 4000.0], abs=0.5)
    assert (gaps["service"] == "clinic").all()
    with pytest.raises(MissingColumnError):
        population_covered(circles, villages, "people")


def test_population_from_raster(tmp_path):
    rasterio = pytest.importorskip("rasterio")
    from affine import Affine

    # 10 people in every 100 m cell over 6 km x 6 km
    path = tmp_path / "pop.tif"
    data = np.full((60, 60), 10.0, dtype="float32")
    with rasterio.open(
        path,
        "w",
        driver="GTiff",
        height=60,
        width=60,
        count=1,
        dtype="float32",
        crs=CRS,
        transform=Affine(100.0, 0.0, -3000.0, 0.0, -100.0, 3000.0),
    ) as dst:
        dst.write(data, 1)
    circles = coverage_radii(points_gdf([(0, 0), (500, 0)], ["a", "b"]), 1000)
    villages = points_gdf([(0, 0)], ["v"], population=[5.0])
    pop = population_covered(circles, villages, population_raster=path)
    # overlapping circles each get their full share: density x area
    expected = 10.0 / 100**2 * circles.geometry.area.to_numpy()
    assert pop["population_raster"].to_numpy() == pytest.approx(expected, rel=1e-6)


def test_simplify_fewer_vertices_within_bound(grid):
    fac = points_gdf([(1330.0, 1090.0)], ["A"])
    exact = network_catchments(grid, fac, mode="drive", bands_min=[3]).geometry.iloc[0]
    simple = network_catchments(grid, fac, mode="drive", bands_min=[3], simplify_m=5.0)
    simple = simple.geometry.iloc[0]
    assert shapely.get_num_coordinates(simple) < 0.6 * shapely.get_num_coordinates(exact)
    assert simple.hausdorff_distance(exact) <= 5.0 + 1e-6
    with pytest.raises(InvalidValueError, match="simplify_m"):
        network_catchments(grid, fac, mode="drive", simplify_m=-1)


def test_no_walking_off_an_expressway_between_interchanges():
    import geopandas as gpd
    import shapely

    from accessibility.catchments import network_catchments
    from accessibility.network import network_from_roads

    # a 12 km expressway with junctions (interchanges) only at its ends, county roads at both
    roads = gpd.GeoDataFrame(
        {"road_class": ["expressway", "county", "county"]},
        geometry=[
            shapely.LineString([(0, 0), (12000, 0)]),
            shapely.LineString([(0, 0), (0, -1000)]),
            shapely.LineString([(12000, 0), (12000, -1000)]),
        ],
        crs="EPSG:32649",
    )
    net = network_from_roads(roads, modes=("car", "walk"))
    fac = gpd.GeoDataFrame(geometry=[shapely.Point(0, -1000)], index=["h"], crs="EPSG:32649")
    poly = network_catchments(net, fac, mode="car", bands_min=[10]).geometry.iloc[0]
    # 1 km of county road (1.5 min) + 12 km of expressway (7.2 min): the far interchange is
    # reached with 1.3 min to spare, and the county road there is partly reached
    assert poly.contains(shapely.Point(12000, -50))
    # ... but nobody gets out in the middle of the expressway: no walking area there
    assert not poly.contains(shapely.Point(6000, 100))
    assert not poly.contains(shapely.Point(6000, 0).buffer(1).centroid)
