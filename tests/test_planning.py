"""Tests for accessibility.planning: scenarios, incremental evaluation, outputs, project runs.

Most tests run on a tiny synthetic grid (6 x 6 junctions, 1 km apart, in UTM 50N) whose answers
are checked against a full recomputation with :func:`accessibility.pipeline.accessibility_layer`
(the package's own reference path) and, for travel times, against networkx Dijkstra.
"""

from __future__ import annotations

import functools
import sqlite3
import tomllib
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from accessibility.errors import ConfigError
from accessibility.network import network_from_roads
from accessibility.pipeline import accessibility_layer
from accessibility.planning import (
    PlanningInputs,
    apply_scenario,
    compare_scenarios,
    evaluate_scenario,
    load_scenario,
    scenario_toml,
    write_scenario_outputs,
)

CRS = "EPSG:32650"
X0, Y0, STEP, N = 500_000.0, 3_000_000.0, 1000.0, 6
SERVICES = ["clinic", "school"]
DEMO_SCENARIOS = Path(__file__).resolve().parents[1] / "data" / "demo_scenarios"


@functools.cache
def _grid() -> tuple:
    """Road grid + one isolated road east of it; villages; facilities of two services."""
    lines, classes, names = [], [], []
    for j in range(N):
        for i in range(N - 1):
            a = (X0 + i * STEP, Y0 + j * STEP)
            b = (X0 + (i + 1) * STEP, Y0 + j * STEP)
            lines.append(shapely.LineString([a, b]))
            classes.append("county" if j % 2 == 0 else "township")
            names.append(f"row {j}")
    for i in range(N):
        for j in range(N - 1):
            a = (X0 + i * STEP, Y0 + j * STEP)
            b = (X0 + i * STEP, Y0 + (j + 1) * STEP)
            lines.append(shapely.LineString([a, b]))
            classes.append("village")
            names.append(f"col {i}")
    # an isolated road 2.5 km east of the grid: its village is cut off
    lines.append(shapely.LineString([(X0 + 7500, Y0), (X0 + 8500, Y0)]))
    classes.append("village")
    names.append("island road")
    roads = gpd.GeoDataFrame(
        {"road_class": classes, "name": names, "oneway": False}, geometry=lines, crs=CRS
    )
    net = network_from_roads(roads)
    rng = np.random.default_rng(7)
    n = 24
    xy = np.column_stack([rng.uniform(X0, X0 + 5 * STEP, n), rng.uniform(Y0, Y0 + 5 * STEP, n)])
    xy = np.vstack([xy, [X0 + 8000, Y0 + 50]])
    vid = [f"V{i:02d}" for i in range(n + 1)]
    villages = gpd.GeoDataFrame(
        {
            "population": rng.integers(100, 3000, n + 1).astype(float),
            "area_type": ["urban" if i < 6 else "rural" for i in range(n + 1)],
        },
        geometry=shapely.points(xy),
        crs=CRS,
        index=pd.Index(vid, name="village_id"),
    )
    fxy = [
        (X0 + 200, Y0 + 300),
        (X0 + 4100, Y0 + 900),
        (X0 + 2500, Y0 + 4000),
        (X0 + 900, Y0 + 3100),
        (X0 + 3000, Y0 + 2000),
        (X0 + 4800, Y0 + 4700),
        (X0 + 600, Y0 + 4900),
    ]
    facilities = gpd.GeoDataFrame(
        {
            "service": ["clinic"] * 4 + ["school"] * 3,
            "name": [f"f{i}" for i in range(7)],
            "capacity": [10, 20, 15, 5, 300, 200, 100],
            "doctors": [1, 2, 2, 1, 0, 0, 0],
        },
        geometry=[shapely.Point(p) for p in fxy],
        crs=CRS,
        index=pd.Index(["C1", "C2", "C3", "C4", "S1", "S2", "S3"], name="facility_id"),
    )
    return net, villages, facilities


KW = {
    "services": SERVICES,
    "thresholds_min": (5, 10),
    "standard_min": {"clinic": 5.0, "school": 8.0},
}


def _eval(scenario, **more):
    net, villages, facilities = _grid()
    return evaluate_scenario(net, villages, facilities, scenario, **{**KW, **more})


def _full(network, villages, facilities) -> gpd.GeoDataFrame:
    """The reference: a full recomputation with the pipeline."""
    svc = [s for s in SERVICES if (facilities["service"] == s).any()]
    return accessibility_layer(network, villages, facilities, services=svc, thresholds_min=(5, 10))


def _same(a: pd.Series, b: pd.Series) -> None:
    np.testing.assert_array_equal(
        a.to_numpy(np.float64), b.reindex(a.index).to_numpy(np.float64), strict=True
    )


points = st.tuples(
    st.floats(X0 - 200, X0 + 5 * STEP + 200), st.floats(Y0 - 200, Y0 + 5 * STEP + 200)
)


# --------------------------------------------------------------------------------------------------
# properties


@pytest.mark.slow
@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(xy=points, service=st.sampled_from(SERVICES))
def test_adding_a_facility_never_makes_a_village_worse_and_equals_full_recomputation(xy, service):
    sc = {"add_facility": {"id": "NEW", "service": service, "x": xy[0], "y": xy[1]}}
    res = _eval(sc)
    v = res.villages
    before, after = v[f"{service}_nearest_min_before"], v[f"{service}_nearest_min_after"]
    reach_b = v[f"{service}_reachable_before"]
    assert (after[reach_b] <= before[reach_b]).all()
    assert not (reach_b & ~v[f"{service}_reachable_after"]).any()
    assert (v[f"{service}_saved_min"].dropna() >= 0).all()
    assert res.summary.loc[service, "villages_worse"] == 0
    assert res.recomputed[service].startswith("incremental")
    full = _full(res.inputs.network, v, res.inputs.facilities)
    _same(after, full[f"{service}_nearest_min"])


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(fid=st.sampled_from(["C1", "C2", "C3", "C4", "S1", "S2"]))
def test_closing_a_facility_never_improves_a_village_and_equals_full_recomputation(fid):
    res = _eval({"close_facility": {"id": fid}})
    service = "clinic" if fid.startswith("C") else "school"
    v = res.villages
    before, after = v[f"{service}_nearest_min_before"], v[f"{service}_nearest_min_after"]
    both = v[f"{service}_reachable_before"] & v[f"{service}_reachable_after"]
    assert (after[both] >= before[both]).all()
    assert not (~v[f"{service}_reachable_before"] & v[f"{service}_reachable_after"]).any()
    assert res.summary.loc[service, "villages_improved"] == 0
    # the villages that lost their nearest facility moved; others kept their time
    served = v[f"{service}_nearest_id_before"] == fid
    assert (after[~served].fillna(-1) == before[~served].fillna(-1)).all()
    assert res.summary.loc[service, "population_worse"] == pytest.approx(
        v.loc[served & (after > before), "population"].sum()
    )
    full = _full(res.inputs.network, v, res.inputs.facilities)
    _same(after, full[f"{service}_nearest_min"])


@pytest.mark.slow
@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    xy=st.lists(points, min_size=0, max_size=2),
    close=st.lists(st.sampled_from(["C1", "C2", "C3", "C4"]), max_size=3, unique=True),
    scale=st.floats(0.5, 3.0),
)
def test_incremental_equals_full_for_mixed_facility_changes(xy, close, scale):
    sc = {
        "add_facility": [
            {"id": f"N{i}", "service": "clinic", "x": p[0], "y": p[1], "doctors": 3}
            for i, p in enumerate(xy)
        ],
        "close_facility": [{"id": c} for c in close],
        "change_capacity": [{"ids": ["S1", "S2"], "scale": scale}],
    }
    res = _eval(sc)
    v = res.villages
    fac = res.inputs.facilities
    full = _full(res.inputs.network, v, fac)
    assert set(res.summary.index) == ({"clinic", "school"} if xy or close else {"school"})
    for s in res.summary.index:
        _same(v[f"{s}_nearest_min_after"], full[f"{s}_nearest_min"])
    assert "supply changed only" in res.recomputed["school"]
    # 2SFCA after the change equals 2SFCA on a full cost table of the new facilities
    from accessibility.costs import travel_costs
    from accessibility.measures import two_sfca

    for s, sup in (("clinic", "capacity"), ("school", "capacity")):
        f = fac[fac["service"] == s]
        if len(f) == 0 or s not in res.summary.index:
            continue
        limit = res.summary.loc[s, "catchment_min"]
        costs = travel_costs(res.inputs.network, v, f, max_time_min=10)
        ref = 1000 * two_sfca(costs, v["population"], f[sup].fillna(0.0), limit_min=limit).reindex(
            v.index
        )
        np.testing.assert_allclose(v[f"{s}_2sfca_after"], ref.fillna(0.0), rtol=1e-9, atol=1e-12)


@pytest.mark.slow
@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    cls=st.sampled_from(["county", "township", "village"]),
    factor=st.floats(1.0, 4.0),
)
def test_road_speed_upgrades_never_make_times_worse(cls, factor):
    res = _eval({"change_road_speed": {"road_class": cls, "mode": "car", "scale": factor}})
    v = res.villages
    for s in SERVICES:
        assert res.recomputed[s].startswith("full (roads changed)")
        b, a = v[f"{s}_nearest_min_before"], v[f"{s}_nearest_min_after"]
        ok = v[f"{s}_reachable_before"]
        assert (a[ok] <= b[ok] + 1e-9).all()
        full = _full(res.inputs.network, v, res.inputs.facilities)
        _same(a, full[f"{s}_nearest_min"])
    assert res.roads is not None and set(res.roads["change"]) == {"speed"}
    np.testing.assert_allclose(
        res.roads["car_speed_kmh_after"], res.roads["car_speed_kmh_before"] * factor
    )


def test_speed_kmh_sets_the_time_of_the_selected_roads():
    net, _, _ = _grid()
    new = apply_scenario(
        PlanningInputs(net, _grid()[1], _grid()[2]),
        {"change_road_speed": {"road_name": "row 0", "speed_kmh": 60}},
    )
    e = new.network.edges
    sel = (e["name"] == "row 0").to_numpy()
    np.testing.assert_allclose(e.loc[sel, "car_fwd_min"], e.loc[sel, "length_m"] / 1000 / 60 * 60)
    np.testing.assert_array_equal(e.loc[~sel, "car_fwd_min"], net.edges.loc[~sel, "car_fwd_min"])
    np.testing.assert_array_equal(e["walk_fwd_min"], net.edges["walk_fwd_min"])


def test_add_road_connects_a_cut_off_village_and_keeps_old_times():
    import networkx as nx

    net = _grid()[0]
    sc = {
        "add_road": {
            # the ends are 30 m and 100 m from the roads: they are joined to the nearest junctions
            "coordinates": [[X0 + 5 * STEP + 30, Y0], [X0 + 7400, Y0]],
            "road_class": "county",
            "name": "link",
        }
    }
    res = _eval(sc)
    v = res.villages
    for s in SERVICES:
        assert not v.at["V24", f"{s}_reachable_before"]
        assert v.at["V24", f"{s}_reachable_after"]
        assert res.summary.loc[s, "villages_newly_reachable"] == 1
        ok = v[f"{s}_reachable_before"]
        assert (v.loc[ok, f"{s}_nearest_min_after"] <= v.loc[ok, f"{s}_nearest_min_before"]).all()
    new = res.inputs.network
    assert new.report["n_components"] == 1 and net.report["n_components"] == 2
    # old edges keep their total time exactly (pieces of split edges add up)
    e = new.edges
    old = e[e["source_id"] >= 0]
    for col in ("car_fwd_min", "walk_bwd_min"):
        total = old.groupby("source_id")[col].sum()
        np.testing.assert_allclose(total, net.edges[col].reindex(total.index), rtol=1e-12)
    assert set(res.roads["change"]) == {"new"}
    # the new road's time: its length at the county car speed; check a route with networkx
    g = new.to_networkx("car")
    ends = new.nodes.geometry.distance(shapely.Point(X0 + 7500, Y0)).idxmin()
    start = new.nodes.geometry.distance(shapely.Point(X0 + 5 * STEP, Y0)).idxmin()
    t = nx.shortest_path_length(g, start, ends, weight="travel_time_min")
    new_len = e.loc[e["source_id"] < 0, "length_m"].sum()
    speed = e.loc[e["source_id"] < 0, "car_speed_kmh"].iloc[0]
    assert t == pytest.approx(new_len / 1000 / speed * 60, rel=1e-9)
    assert new_len == pytest.approx(2500, abs=1e-6)


def test_inputs_are_not_modified():
    net, villages, facilities = _grid()
    v0, f0, e0 = villages.copy(), facilities.copy(), net.edges.copy()
    _eval(
        {
            "add_facility": {"id": "N", "service": "clinic", "at_village": "V03"},
            "merge_facilities": {"from": ["C1"], "into": "C2"},
            "change_road_speed": {"road_class": "village", "scale": 2},
        }
    )
    pd.testing.assert_frame_equal(villages, v0)
    pd.testing.assert_frame_equal(facilities, f0)
    pd.testing.assert_frame_equal(net.edges, e0)


def test_merge_sums_capacity_and_closes_the_sources():
    res = _eval({"merge_facilities": {"from": ["C1", "C4"], "into": "C2"}})
    f = res.inputs.facilities
    assert "C1" not in f.index and "C4" not in f.index
    assert f.at["C2", "capacity"] == 10 + 5 + 20
    assert f.at["C2", "doctors"] == 1 + 1 + 2
    ch = res.facilities.set_index(res.facilities.index)["change"]
    assert ch["C1"] == ch["C4"] == "merged_away" and ch["C2"] == "merged_into"
    assert ch["S1"] == "unchanged"
    assert list(res.summary.index) == ["clinic"]


def test_standards_and_thresholds_columns_by_hand():
    # a village at a junction with a facility: moving the clinic next to it
    res = _eval({"add_facility": {"id": "N", "service": "clinic", "at_village": "V10"}})
    v = res.villages
    b, a = v["clinic_nearest_min_before"], v["clinic_nearest_min_after"]
    newly = (b > 5) & (a <= 5)
    assert (v["clinic_newly_within_5min"] == newly).all()
    assert (v["clinic_newly_meets_standard"] == newly).all()  # standard_min = 5 for everyone
    pop = v["population"]
    s = res.summary.loc["clinic"]
    assert s["population_newly_within_5min"] == pytest.approx(pop[newly].sum())
    assert s["population_newly_meeting_standard"] == pytest.approx(pop[newly].sum())
    assert s["standard_coverage_after"] == pytest.approx(pop[a <= 5].sum() / pop.sum())
    saved = (b - a).dropna()
    assert s["max_saved_min"] == pytest.approx(saved.max())
    assert s["mean_saved_min"] == pytest.approx(
        (saved * pop[saved.index]).sum() / pop[saved.index].sum()
    )
    # equity rows: the overall Gini of nearest times with the cap for the unreachable village
    from accessibility.equity import gini

    cap = max(10.0, np.nanmax(np.r_[b.to_numpy(), a.to_numpy()]))
    eq = res.equity.set_index(["service", "group", "index"])
    assert eq.loc[("clinic", "all", "gini"), "before"] == pytest.approx(gini(b.fillna(cap), pop))
    assert eq.loc[("clinic", "all", "gini"), "after"] == pytest.approx(gini(a.fillna(cap), pop))
    assert {"all", "urban", "rural"} <= set(eq.index.get_level_values("group"))


def test_standards_table_applies_by_area_type_and_mode():
    from accessibility.standards import load_standards

    table = load_standards(
        {
            "standards": {
                "clinic": {
                    "urban": {"mode": "car", "threshold_min": 3, "source": "test"},
                    "rural": {"mode": "walk", "threshold_min": 30, "source": "test"},
                }
            }
        }
    )
    res = _eval(
        {"add_facility": {"id": "N", "service": "clinic", "at_village": "V10"}},
        standards=table,
        standard_min=None,
    )
    v = res.villages
    urban = v["area_type"] == "urban"
    assert (v.loc[urban, "clinic_standard_min"] == 3).all()
    assert v.loc[~urban, "clinic_standard_min"].isna().all()  # walking standard, car times
    assert v.loc[~urban, "clinic_meets_standard_after"].isna().all()


def test_baseline_is_reused_and_compare_stacks_summaries():
    table, results = compare_scenarios(
        *_grid(),
        {
            "a": {"add_facility": {"id": "N", "service": "clinic", "at_village": "V05"}},
            "b": {"close_facility": {"id": "S2"}},
        },
        **KW,
    )
    assert list(table.index) == [("a", "clinic"), ("b", "school")]
    assert results["a"].baseline is results["b"].baseline


# --------------------------------------------------------------------------------------------------
# scenario files and errors


def test_unknown_key_gets_a_did_you_mean_hint():
    with pytest.raises(ConfigError, match=r"unknown key 'capacty'.*Did you mean 'capacity'"):
        load_scenario(
            {"add_facility": {"id": "X", "service": "clinic", "x": 1, "y": 2, "capacty": 3}}
        )
    with pytest.raises(ConfigError, match=r"unknown section 'close_facilities'.*close_facility"):
        load_scenario({"close_facilities": {"id": "C1"}})


def test_all_problems_are_reported_at_once():
    with pytest.raises(ConfigError) as err:
        load_scenario(
            {
                "add_facility": [{"id": "X", "service": "clinic"}],
                "change_road_speed": [{"road_class": "county", "speed_kmh": 40, "scale": 2}],
                "merge_facilities": [{"from": ["A"], "into": "A"}],
            }
        )
    msg = str(err.value)
    assert "3 problem(s)" in msg
    assert "exactly one place" in msg and "speed_kmh or scale" in msg and "cannot also be" in msg


def test_unknown_facility_id_lists_close_ones():
    net, villages, facilities = _grid()
    inp = PlanningInputs(net, villages, facilities)
    with pytest.raises(ConfigError, match=r"facility id 'C5' does not exist\. Close ids: \['C\d'"):
        apply_scenario(inp, {"close_facility": {"id": "C5"}})
    with pytest.raises(ConfigError, match=r"village id 'V99' does not exist"):
        apply_scenario(inp, {"add_facility": {"id": "N", "service": "clinic", "at_village": "V99"}})
    with pytest.raises(ConfigError, match=r"service 'clinc'.*Did you mean 'clinic'"):
        apply_scenario(inp, {"add_facility": {"id": "N", "service": "clinc", "x": X0, "y": Y0}})
    with pytest.raises(ConfigError, match=r"no road of class 'countyy'.*Did you mean 'county'"):
        apply_scenario(inp, {"change_road_speed": {"road_class": "countyy", "speed_kmh": 50}})
    with pytest.raises(ConfigError, match=r"already exists"):
        apply_scenario(inp, {"add_facility": {"id": "C1", "service": "clinic", "x": X0, "y": Y0}})
    with pytest.raises(ConfigError, match=r"not 'clinic' facilities"):
        apply_scenario(inp, {"merge_facilities": {"from": ["S1"], "into": "C1"}})


def test_scenario_file_round_trip(tmp_path):
    sc = {
        "scenario": {"name": "round trip", "description": "x"},
        "add_facility": [{"id": "N", "service": "clinic", "at_village": "V01", "doctors": 2}],
        "close_facility": [{"ids": ["C1", "C2"]}],
        "change_road_speed": [{"road_class": ["county", "township"], "scale": 1.5}],
    }
    path = tmp_path / "s.toml"
    path.write_text(scenario_toml(sc), encoding="utf-8")
    assert tomllib.loads(path.read_text(encoding="utf-8"))["close_facility"][0]["ids"] == [
        "C1",
        "C2",
    ]
    assert load_scenario(path) == load_scenario(sc)
    with pytest.raises(ConfigError, match=r"does not exist\. Did you mean 's\.toml'"):
        load_scenario(tmp_path / "ss.toml")


# --------------------------------------------------------------------------------------------------
# outputs


def _styles(path: Path) -> dict[str, str]:
    with sqlite3.connect(path) as con:
        return dict(con.execute("SELECT f_table_name, styleQML FROM layer_styles").fetchall())


def test_outputs_are_written_and_styled(tmp_path):
    import pyogrio

    res = _eval(
        {
            "add_facility": {"id": "N", "service": "clinic", "at_village": "V10"},
            "close_facility": {"id": "S3"},
            "change_road_speed": {"road_class": "village", "scale": 1.2},
        }
    )
    path = write_scenario_outputs(tmp_path / "out.gpkg", res)
    layers = dict(pyogrio.list_layers(path))
    assert {"villages", "facilities", "roads_changed", "summary", "equity"} <= set(layers)
    styles = _styles(path)
    assert {"villages", "facilities", "roads_changed"} <= set(styles)
    best = res.summary["population_improved"].idxmax()
    assert f'"{best}_saved_min"' in styles["villages"]
    # the new site is a big star, closed facilities are crosses
    fq = styles["facilities"]
    star = fq[fq.index('<symbol type="marker" name="0"') :].split("</symbol>")[0]
    assert 'value="star"' in star and 'name="size" value="7"' in star
    assert 'value="cross2"' in fq
    f = gpd.read_file(path, layer="facilities")
    assert dict(zip(f["facility_id"], f["change"], strict=True))["N"] == "added"
    assert dict(zip(f["facility_id"], f["change"], strict=True))["S3"] == "closed"


# --------------------------------------------------------------------------------------------------
# the demo county: scenario files, project runs


@pytest.fixture(scope="module")
def demo_inputs():
    from accessibility.datasets import load_demo

    demo = load_demo()
    return PlanningInputs(
        network_from_roads(demo.roads, tolerance_m=2.5), demo.villages, demo.facilities
    )


def test_demo_scenario_files_apply(demo_inputs):
    files = sorted(DEMO_SCENARIOS.glob("*.toml"))
    assert len(files) >= 3
    from dataclasses import replace

    from accessibility.project import demo_project
    from accessibility.project.inputs import project_transit

    buses = replace(demo_inputs, transit=project_transit(demo_project(), demo_inputs.network))
    for f in files:
        new = apply_scenario(buses if "bus" in f.name else demo_inputs, f)
        ch = new.changes
        assert ch["network_changed"] or ch["facility_change"] or ch["transit_changed"], f.name


def test_run_scenario_and_run_siting_on_the_demo_project(tmp_path):
    from accessibility.pipeline import demo_project  # noqa: F401  (the file it reads)
    from accessibility.planning import run_scenario, run_siting

    project = DEMO_SCENARIOS.parent / "demo_project.toml"
    sc = tmp_path / "one.toml"
    sc.write_text(
        '[scenario]\nname = "one centre"\n[[add_facility]]\nid = "HC_NEW"\n'
        'service = "health_centre"\nat_village = "V345"\ndoctors = 4\ncapacity = 10\n',
        encoding="utf-8",
    )
    res = run_scenario(project, sc, out_dir=tmp_path)
    assert res.files["geopackage"].exists() and res.files["csv"].exists()
    assert res.files["geopackage"].name == "scenario_one_centre.gpkg"
    assert list(res.summary.index) == ["health_centre"]
    assert res.summary.loc["health_centre", "villages_worse"] == 0
    sres, sres_eval = run_siting(
        project, service="health_centre", objective="mclp", p=1, out_dir=tmp_path
    )
    assert len(sres.new_sites) == 1
    # the evaluation of the chosen site agrees with the siting model's coverage
    v = sres_eval.villages
    covered = v["health_centre_nearest_min_after"] <= sres.params["standard_min"]
    assert v.loc[covered, "population"].sum() == pytest.approx(sres.objective)
    gpkg = tmp_path / "site_health_centre_maximal_covering.gpkg"
    assert "sites" in _styles(gpkg)
    scenario_back = load_scenario(tmp_path / "site_health_centre_maximal_covering.toml")
    assert len(scenario_back["add_facility"]) == 1


def test_add_road_ending_beside_a_road_splits_that_road_at_a_t_junction():
    net, villages, facilities = _grid()
    new = apply_scenario(
        PlanningInputs(net, villages, facilities),
        {
            "add_road": {
                "coordinates": [[X0 + 5030, Y0 + 400], [X0 + 7500, Y0]],
                "road_class": "village",
            }
        },
    ).network
    e = new.edges
    pieces = e[e["source_id"] >= 0].groupby("source_id").size()
    split = pieces[pieces > 1]
    assert len(split) == 1  # the vertical road at x = X0 + 5000 between Y0 and Y0 + 1000
    old = net.edges.loc[split.index[0]]
    assert old.geometry.bounds == (X0 + 5000, Y0, X0 + 5000, Y0 + 1000)
    part = e[e["source_id"] == split.index[0]]
    np.testing.assert_allclose(sorted(part["length_m"]), [400, 600])
    np.testing.assert_allclose(part["car_fwd_min"].sum(), old["car_fwd_min"], rtol=1e-12)
    assert new.report["n_components"] == 1
