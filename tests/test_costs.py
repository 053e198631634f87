"""Cost tables: hand-computed grids and a networkx oracle on random road layers."""

from __future__ import annotations

import itertools

import geopandas as gpd
import networkx as nx
import numpy as np
import pandas as pd
import pytest
import shapely
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from accessibility.costs import euclidean_costs, nearest_costs, read_costs, travel_costs
from accessibility.errors import CRSError, DuplicateIdError, GeometryError, InvalidValueError
from accessibility.network import network_from_roads
from accessibility.snapping import locate

CRS = "EPSG:32649"


def pts(coords, ids):
    return gpd.GeoDataFrame(geometry=[shapely.Point(c) for c in coords], index=ids, crs=CRS)


def line_layer(lines, classes, oneway=None):
    return gpd.GeoDataFrame(
        {"road_class": classes, "oneway": oneway if oneway is not None else [False] * len(lines)},
        geometry=[shapely.LineString(c) for c in lines],
        crs=CRS,
    )


# ------------------------------------------------------------------------------------------------
# hand-computed


def test_single_road_off_network_legs_exact():
    # county road (40 km/h) from x=0 to x=4000 along y=0
    roads = line_layer([[(0, 0), (4000, 0)]], ["county"])
    net = network_from_roads(roads, modes=("car",))
    v = pts([(500, 100)], ["v"])  # 100 m off the road -> 1.2 min walking at 5 km/h
    f = pts([(3500, -50)], ["f"])  # 50 m off the road -> 0.6 min
    costs = travel_costs(net, v, f, mode="car", max_time_min=60)
    # along the road: 3000 m at 40 km/h = 4.5 min
    assert len(costs) == 1
    assert costs["travel_time_min"].iloc[0] == pytest.approx(1.2 + 4.5 + 0.6, abs=1e-9)
    assert costs["distance_m"].iloc[0] == pytest.approx(100 + 3000 + 50, abs=1e-6)


def test_connector_speed_is_configurable():
    roads = line_layer([[(0, 0), (4000, 0)]], ["county"])
    net = network_from_roads(roads, modes=("car",))
    v = pts([(500, 100)], ["v"])
    f = pts([(3500, 0)], ["f"])
    costs = travel_costs(net, v, f, mode="car", connector_speed_kmh=3.0)
    assert costs["travel_time_min"].iloc[0] == pytest.approx(100 / 1000 / 3 * 60 + 4.5)


@pytest.mark.parametrize("more", ["origins", "destinations"])
def test_travel_costs_routes_with_ordinary_pages_and_restores_the_hint(more, monkeypatch):
    """Locating, contraction and searches make large arrays read once or twice: NumPy's
    huge-page hint is off while they run (both directions of search) and the caller's
    setting is back before the table is labelled and returned."""
    import accessibility.costs as costs_module
    from accessibility._arrays import _hugepage_setter

    setter = _hugepage_setter()
    if setter is None:
        pytest.skip("this NumPy has no huge-page setting")

    def hint() -> bool:
        now = bool(setter(True))
        setter(now)
        return now

    seen: dict[str, list[bool]] = {"routing": [], "labelling": []}
    for name, key in (("_same_edge_pairs", "routing"), ("_labelled_arrays", "labelling")):
        real = getattr(costs_module, name)

        def spy(*args, _real=real, _key=key, **kwargs):
            seen[_key].append(hint())
            return _real(*args, **kwargs)

        monkeypatch.setattr(costs_module, name, spy)
    roads = line_layer([[(0, 0), (4000, 0)], [(2000, 0), (2000, 3000)]], ["county", "county"])
    net = network_from_roads(roads, modes=("car",))
    many = pts([(500, 100), (1500, -80), (2100, 2500)], ["a", "b", "c"])
    one = pts([(3500, -50)], ["f"])
    origins, destinations = (many, one) if more == "origins" else (one, many)
    old = setter(True)
    try:
        costs = travel_costs(net, origins, destinations, mode="car")
        assert hint() is True
    finally:
        setter(old)
    assert len(costs) == 3
    assert seen == {"routing": [False], "labelling": [True]}


def test_one_way_street_forces_detour():
    # a square: bottom edge one-way eastwards (village road 20 km/h); the rest two-way
    lines = [
        [(0, 0), (1000, 0)],
        [(1000, 0), (1000, 1000)],
        [(1000, 1000), (0, 1000)],
        [(0, 1000), (0, 0)],
    ]
    roads = line_layer(lines, ["village"] * 4, oneway=[True, False, False, False])
    net = network_from_roads(roads, modes=("car", "walk"))
    a = pts([(800, 0)], ["a"])
    b = pts([(200, 0)], ["b"])
    # car from a (x=800) to b (x=200) cannot go west on the bottom edge: 200 up to the corner,
    # 1000 north, 1000 west, 1000 south, 200 east = 3400 m at 20 km/h = 10.2 min
    car = travel_costs(net, a, b, mode="car")
    assert car["travel_time_min"].iloc[0] == pytest.approx(3400 / 1000 / 20 * 60)
    # the other way round it is direct: 600 m
    back = travel_costs(net, b, a, mode="car")
    assert back["travel_time_min"].iloc[0] == pytest.approx(600 / 1000 / 20 * 60)
    # walking ignores one-way: 600 m at 4.5 km/h
    walk = travel_costs(net, a, b, mode="walk")
    assert walk["travel_time_min"].iloc[0] == pytest.approx(600 / 1000 / 4.5 * 60)


def test_reversed_digitisation_minus_one():
    lines = [
        [(1000, 0), (0, 0)],
        [(1000, 0), (1000, 1000)],
        [(1000, 1000), (0, 1000)],
        [(0, 1000), (0, 0)],
    ]
    roads = line_layer(lines, ["village"] * 4, oneway=["-1", "no", "no", "no"])
    net = network_from_roads(roads, modes=("car",))
    a, b = pts([(800, 0)], ["a"]), pts([(200, 0)], ["b"])
    # "-1": one-way against the digitised direction (1000,0)->(0,0), i.e. eastwards
    assert travel_costs(net, b, a)["travel_time_min"].iloc[0] == pytest.approx(1.8)


def test_limit_excludes_pairs_and_unsnapped_points_are_flagged():
    roads = line_layer([[(0, 0), (10000, 0)]], ["county"])
    net = network_from_roads(roads, modes=("car",))
    v = pts([(0, 0), (9000, 0), (5000, 5000)], ["near", "far", "off"])
    f = pts([(0, 10)], ["f"])
    costs = travel_costs(net, v, f, max_time_min=5, max_snap_m=1000)
    assert set(costs["origin"]) == {"near"}  # far is 13.5 min away; off is 5 km from the road
    loc = locate(v, net, mode="car", max_snap_m=1000)
    assert loc.loc["off", "snapped"] == np.False_
    assert loc.loc["off", "snap_distance_m"] == pytest.approx(5000)


def test_nearest_costs_k():
    roads = line_layer([[(0, 0), (10000, 0)]], ["county"])
    net = network_from_roads(roads, modes=("car",))
    v = pts([(0, 0)], ["v"])
    f = pts([(1000, 0), (3000, 0), (2000, 0)], ["f1", "f3", "f2"])
    near = nearest_costs(net, v, f, k=2)
    assert near["destination"].tolist() == ["f1", "f2"]
    assert near["rank"].tolist() == [1, 2]
    assert near["travel_time_min"].tolist() == pytest.approx([1.5, 3.0])


def test_euclidean_costs_in_metres_from_degrees():
    a = gpd.GeoDataFrame(geometry=[shapely.Point(111.0, 27.0)], index=["a"], crs="EPSG:4326")
    b = gpd.GeoDataFrame(
        geometry=[shapely.Point(111.01, 27.0), shapely.Point(112, 27)],
        index=["near", "far"],
        crs="EPSG:4326",
    )
    e = euclidean_costs(a, b, max_distance_m=5000)
    assert e["destination"].tolist() == ["near"]
    assert e["distance_m"].iloc[0] == pytest.approx(992, rel=0.01)  # 0.01 deg lon at 27N
    same = euclidean_costs(a, a.rename(index={"a": "here"}), max_distance_m=10)
    assert same["distance_m"].tolist() == [0.0]  # coincident points are kept


def test_bad_points_errors():
    roads = line_layer([[(0, 0), (1000, 0)]], ["county"])
    net = network_from_roads(roads, modes=("car",))
    nocrs = gpd.GeoDataFrame(geometry=[shapely.Point(0, 0)])
    with pytest.raises(CRSError, match="no CRS"):
        locate(nocrs, net)
    dup = pts([(0, 0), (1, 1)], ["a", "a"])
    with pytest.raises(DuplicateIdError, match="not unique"):
        locate(dup, net)
    poly = gpd.GeoDataFrame(geometry=[shapely.box(0, 0, 1, 1)], crs=CRS)
    with pytest.raises(GeometryError, match="to_points"):
        locate(poly, net)
    with pytest.raises(InvalidValueError):
        travel_costs(net, pts([(0, 0)], ["a"]), pts([(1, 0)], ["b"]), max_time_min=0)


def test_read_costs_checks():
    df = pd.DataFrame({"from": ["a", "a"], "to": ["x", "y"], "minutes": [1.0, np.inf]})
    out = read_costs(df, origin="from", destination="to", cost="minutes")
    assert list(out.columns[:3]) == ["origin", "destination", "travel_time_min"]
    assert len(out) == 1  # inf = unreachable = absent
    with pytest.raises(KeyError, match="Did you mean 'minutes'"):
        read_costs(df, origin="from", destination="to", cost="minute")
    with pytest.raises(InvalidValueError, match="negative"):
        read_costs(pd.DataFrame({"origin": [1], "destination": [2], "travel_time_min": [-1]}))


# ------------------------------------------------------------------------------------------------
# oracle: networkx on a graph where every point splits its edge


def oracle_costs(net, lo, ld, mode, limit):
    """Independent computation: split each edge at every located point, Dijkstra in networkx."""
    e = net.edges
    g = nx.DiGraph()
    on_edge: dict[int, list[tuple[float, object]]] = {}
    for kind, loc in (("o", lo), ("d", ld)):
        for pid, row in loc[loc["snapped"]].iterrows():
            on_edge.setdefault(int(row["edge"]), []).append((row["fraction"], (kind, pid)))
            g.add_edge((kind, pid), ("snap", kind, pid), w=row["connector_min"])
            g.add_edge(("snap", kind, pid), (kind, pid), w=row["connector_min"])

    def add(a, b, w):
        if np.isfinite(w) and (not g.has_edge(a, b) or g[a][b]["w"] > w):
            g.add_edge(a, b, w=w)

    for eid, row in e.iterrows():
        chain = [(0.0, ("n", int(row["u"])))]
        for frac, p in sorted(on_edge.get(eid, []), key=lambda x: (x[0], str(x[1]))):
            chain.append((frac, ("snap", *p)))
        chain.append((1.0, ("n", int(row["v"]))))
        fwd, bwd = row[f"{mode}_fwd_min"], row[f"{mode}_bwd_min"]
        for (fa, a), (fb, b) in itertools.pairwise(chain):
            if fb == fa and a[0] == "snap" and b[0] == "snap":  # two points at the same spot
                add(a, b, 0.0)
                add(b, a, 0.0)
                continue
            add(a, b, (fb - fa) * fwd if np.isfinite(fwd) else np.inf)
            add(b, a, (fb - fa) * bwd if np.isfinite(bwd) else np.inf)
    rows = []
    for oid in lo.index[lo["snapped"]]:
        dist = nx.single_source_dijkstra_path_length(g, ("o", oid), cutoff=limit, weight="w")
        for did in ld.index[ld["snapped"]]:
            d = dist.get(("d", did))
            if d is not None and d <= limit:
                rows.append((oid, did, d))
    return pd.DataFrame(rows, columns=["origin", "destination", "travel_time_min"])


@st.composite
def random_layout(draw):
    seed = draw(st.integers(0, 2**31 - 1))
    rng = np.random.default_rng(seed)
    n = draw(st.integers(4, 25))
    xy = rng.uniform(0, 5000, size=(n, 2)).round(1)
    m = draw(st.integers(3, 40))
    lines, classes, oneway = [], [], []
    for _ in range(m):
        a, b = rng.choice(n, 2, replace=False)
        mid = (xy[a] + xy[b]) / 2 + rng.normal(0, 200, 2)
        k = rng.integers(0, 3)
        pts_ = [xy[a], mid, xy[b]] if k else [xy[a], xy[b]]
        lines.append(pts_)
        classes.append(rng.choice(["national", "county", "village", "track"]))
        oneway.append(bool(rng.random() < 0.25))
    n_o, n_d = draw(st.integers(1, 8)), draw(st.integers(1, 6))
    # some points lie exactly on a road vertex, some at the same spot as others
    o = rng.uniform(0, 5000, size=(n_o, 2))
    d = rng.uniform(0, 5000, size=(n_d, 2))
    if draw(st.booleans()):
        d[0] = o[0]
    return line_layer(lines, classes, oneway), o, d


@pytest.mark.slow
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(random_layout(), st.sampled_from(["car", "walk"]), st.sampled_from([5.0, 20.0, np.inf]))
def test_travel_costs_equal_networkx_oracle(layout, mode, limit):
    roads, o, d = layout
    net = network_from_roads(roads, modes=("car", "walk"), tolerance_m=0.5)
    origins = pts(o, [f"o{i}" for i in range(len(o))])
    dests = pts(d, [f"d{i}" for i in range(len(d))])
    lo = locate(origins, net, mode=mode, max_snap_m=10_000)
    ld = locate(dests, net, mode=mode, max_snap_m=10_000)
    ours = travel_costs(net, lo, ld, mode=mode, max_time_min=limit)
    ref = oracle_costs(net, lo, ld, mode, limit)
    merged = ours.merge(ref, on=["origin", "destination"], how="outer", suffixes=("", "_ref"))
    # pairs right at the limit may fall either side by rounding; everything else must match
    edge = (merged["travel_time_min"].fillna(merged["travel_time_min_ref"]) - limit).abs() < 1e-7
    merged = merged[~edge]
    assert merged["travel_time_min"].notna().all(), merged
    assert merged["travel_time_min_ref"].notna().all(), merged
    np.testing.assert_allclose(
        merged["travel_time_min"].to_numpy(float),
        merged["travel_time_min_ref"].to_numpy(float),
        atol=1e-9,
    )
    # the nearest destination agrees with the full table
    if len(ours):
        near = nearest_costs(net, lo, ld, k=1, mode=mode, max_time_min=limit)
        best = ours.sort_values(["origin", "travel_time_min"]).groupby("origin").first()
        got = near.set_index("origin")["travel_time_min"]
        np.testing.assert_allclose(got.reindex(best.index), best["travel_time_min"], atol=1e-9)


def test_cost_table_ids_are_codes_not_objects_and_same_edge_pairs_merge_in_order():
    # text ids: the id columns are categoricals over the layers' ids (integer codes, no per-row
    # Python strings); more origins than destinations routes backwards and reorders the pairs
    roads = line_layer([[(0, 0), (4000, 0)], [(4000, 0), (4000, 3000)]], ["county", "county"])
    net = network_from_roads(roads, modes=("car",))
    v = pts([(500, 10), (3900, 10), (4010, 2000), (100, 5)], ["a", "b", "c", "d"])
    f = pts([(3950, -10), (4005, 2500)], ["F1", "F2"])
    costs = travel_costs(net, v, f, mode="car", max_time_min=60)
    assert isinstance(costs["origin"].dtype, pd.CategoricalDtype)
    assert isinstance(costs["destination"].dtype, pd.CategoricalDtype)
    assert list(costs["origin"].cat.categories) == ["a", "b", "c", "d"]
    pairs = list(zip(costs["origin"].astype(str), costs["destination"].astype(str), strict=True))
    assert pairs == [(o, d) for o in "abcd" for d in ("F1", "F2")]  # origin, then destination
    # b and F1 share the first road: along it, 50 m at 40 km/h plus both connectors
    got = costs.set_index(["origin", "destination"])["travel_time_min"]
    walk = 60 / 1000 / 5
    assert got[("b", "F1")] == pytest.approx(10 * walk + 50 / 1000 / 40 * 60 + 10 * walk)
    # integer ids stay integers
    costs_int = travel_costs(net, v.reset_index(drop=True), f, mode="car", max_time_min=60)
    assert costs_int["origin"].dtype.kind == "i"
    assert costs_int["travel_time_min"].tolist() == costs["travel_time_min"].tolist()
