"""Transit in projects: ``[transit]``, ``mode = "transit"`` services and bus standards through the
one project path, catchments by bus, scenario edits of line tables, and the demo county's buses.

The hand-worked county: one straight road along y = 0 from x = 0 to x = 10 km. Village ``VA`` at
x = 0 and the health centre ``HC`` at x = 10 km stand on the road, with bus stops exactly there,
so every walk is 0 minutes. Line ``1`` runs A -> B in 10 minutes every 30 minutes from 07:00.
Village ``VM`` at x = 5 km is an hour's walk from any stop: no usable bus.

Leaving at 07:00 + k minutes (k = 0..59) the wait is ``(30 - k mod 30) mod 30``: the 60 waits are
0, 29, 28, ..., 1 twice; sorted, the 30th (the median, nearest rank) is 14, so the median travel
time is 10 + 14 = 24 minutes; the 80th percentile (48th) is 23 + 10 = 33 minutes.
"""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely

from accessibility.errors import ConfigError
from accessibility.project import load_config, run_project

CRS = "EPSG:4546"
X0, Y0 = 500000.0, 3000000.0

LINES = f"""
crs = "{CRS}"

[[line]]
id = "1"
name = "A-B"
stops = [
  {{ name = "A", x = {X0}, y = {Y0}, run_min = 10 }},
  {{ name = "B", x = {X0 + 10000}, y = {Y0} }},
]
[[line.service]]
day_type = "weekday"
first = "07:00"
last = "08:30"
headway_min = 30

[[line]]
id = "S1"
name = "A-B school run"
riders = "pupils"
stops = [
  {{ name = "A", x = {X0}, y = {Y0}, run_min = 12 }},
  {{ name = "B", x = {X0 + 10000}, y = {Y0} }},
]
[[line.service]]
day_type = "weekday"
departures = "07:05"
"""


BUS_STANDARDS = """
schema = 1
[standards.health_centre_bus.all]
services = ["health_centre"]
mode = "transit"
threshold_min = 60
level = "local"
source = "test: township health centre within 60 min by bus"
"""


def _county(tmp_path: Path, extra: str = "", services: str = "") -> Path:
    roads = gpd.GeoDataFrame(
        {"road_class": ["county"], "name": ["r"], "oneway": [False]},
        geometry=[shapely.LineString([(X0, Y0), (X0 + 10000, Y0)])],
        crs=CRS,
    )
    villages = gpd.GeoDataFrame(
        {
            "village_id": ["VA", "VM"],
            "name": ["A", "M"],
            "population": [100, 50],
            "pop_school_age": [10, 5],
            "township": ["T", "T"],
            "area_type": ["rural", "rural"],
        },
        geometry=[shapely.Point(X0, Y0), shapely.Point(X0 + 5000, Y0)],
        crs=CRS,
    )
    facilities = gpd.GeoDataFrame(
        {
            "facility_id": ["HC", "PS"],
            "name": ["hc", "ps"],
            "service": ["health_centre", "primary_school"],
            "capacity": [10, 100],
            "township": ["T", "T"],
        },
        geometry=[shapely.Point(X0 + 10000, Y0), shapely.Point(X0 + 10000, Y0)],
        crs=CRS,
    )
    gpkg = tmp_path / "county.gpkg"
    roads.to_file(gpkg, layer="roads")
    villages.to_file(gpkg, layer="villages")
    facilities.to_file(gpkg, layer="facilities")
    (tmp_path / "lines.toml").write_text(LINES, encoding="utf-8")
    (tmp_path / "bus_standards.toml").write_text(BUS_STANDARDS, encoding="utf-8")
    toml = f"""
[input]
roads = "county.gpkg"
roads_layer = "roads"
villages = "county.gpkg"
villages_layer = "villages"
facilities = "county.gpkg"
facilities_layer = "facilities"

[columns]
village_id = "village_id"
facility_id = "facility_id"

[analysis]
mode = "car"
thresholds_min = [15, 30, 60]

{
        services
        or '''
[services.health_centre]
mode = "transit"
thresholds_min = [20, 30]
'''
    }

[transit]
lines = "lines.toml"
day_type = "weekday"
window = ["07:00", "08:00"]
percentiles = [50, 80]
standards = "bus_standards.toml"
{extra}

[equity]
standards = "default"

[output]
folder = "out"
report = ""
"""
    path = tmp_path / "project.toml"
    path.write_text(toml, encoding="utf-8")
    return path


def test_bus_service_hand_worked(tmp_path):
    res = run_project(_county(tmp_path))
    v = res.villages
    assert v.loc["VA", "health_centre_nearest_min"] == pytest.approx(24.0)
    assert v.loc["VA", "health_centre_nearest_id"] == "HC"
    assert bool(v.loc["VA", "health_centre_reachable"])
    assert v.loc["VA", "health_centre_n_20min"] == 0
    assert v.loc["VA", "health_centre_n_30min"] == 1
    assert np.isnan(v.loc["VM", "health_centre_nearest_min"])  # no usable bus
    assert not bool(v.loc["VM", "health_centre_reachable"])
    costs = res.costs["health_centre"]
    assert costs.attrs["max_time_min"] == 30
    assert costs["travel_time_min"].tolist() == [24.0]


def test_bus_wait_semantics_in_the_project_file(tmp_path):
    # half a headway at every boarding: 15 + 10; a planned departure: the ride only
    for wait, want in (("half_headway", 25.0), ("planned", 10.0)):
        res = run_project(_county(tmp_path, extra=f'wait = "{wait}"'))
        assert res.villages.loc["VA", "health_centre_nearest_min"] == pytest.approx(want)


def test_bus_standard_and_pupils(tmp_path):
    # a bus standard from [transit] standards (township health centre within 60 min by bus) and
    # a school by bus: the 07:05 pupils' run counts only because the service sets pupils = true
    services = """
[services.health_centre]
mode = "car"
[services.primary_school]
mode = "transit"
pupils = true
thresholds_min = [30, 60]
"""
    res = run_project(_county(tmp_path, services=services))
    v = res.villages
    # car is the service's mode; the bus standard adds the bus time
    assert v.loc["VA", "health_centre_transit_nearest_min"] == pytest.approx(24.0)
    assert bool(v.loc["VA", "health_centre_bus_meets"])
    assert pd.isna(v.loc["VM", "health_centre_bus_meets"]) or not bool(
        v.loc["VM", "health_centre_bus_meets"]
    )
    # pupils: leaving at 07:0k, k = 1..5, the 07:05 school run (12 min) arrives at 07:17, 17 - k
    # minutes later, instead of 40 - k by line 1. The 60 times are then 10, 11 twice, 12..16
    # three times, 17..39 twice less one each of 35..39: the 30th (median) is 22
    assert v.loc["VA", "primary_school_nearest_min"] == pytest.approx(22.0)
    public = run_project(_county(tmp_path, services=services.replace("pupils = true", "")))
    assert public.villages.loc["VA", "primary_school_nearest_min"] == pytest.approx(24.0)


def test_transit_without_timetable_is_refused(tmp_path):
    path = _county(tmp_path)
    text = path.read_text(encoding="utf-8").replace('lines = "lines.toml"', "")
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError, match="needs a timetable"):
        load_config(path)


def test_transit_config_typo(tmp_path):
    path = _county(tmp_path, extra='wiat = "planned"')
    with pytest.raises(ConfigError, match="wait"):
        load_config(path)


def test_headway_scenario_hand_worked(tmp_path):
    # line 1 every 15 instead of 30 minutes: the 60 waits are 0, 14, ..., 1 four times; the 30th
    # is 7, so VA's median becomes 17 minutes; VM still has no bus
    from accessibility.planning import run_scenario

    project = _county(tmp_path)
    sc = tmp_path / "sc.toml"
    sc.write_text(
        '[scenario]\nname = "faster"\n[[change_headway]]\nline = "1"\nheadway_min = 15\n',
        encoding="utf-8",
    )
    res = run_scenario(project, sc, out_dir=tmp_path / "sc_out")
    v = res.villages
    assert v.loc["VA", "health_centre_nearest_min_before"] == pytest.approx(24.0)
    assert v.loc["VA", "health_centre_nearest_min_after"] == pytest.approx(17.0)
    assert np.isnan(v.loc["VM", "health_centre_nearest_min_after"])
    assert v["health_centre_saved_min"].fillna(0).gt(0).tolist() == [True, False]
    assert "lines changed: 1" in res.recomputed["health_centre"]


def test_add_run_and_extend_line_scenarios(tmp_path):
    from accessibility.planning import run_scenario

    project = _county(tmp_path)
    # a run at 07:01 shortens the wait of the 07:01 departure only... and of nothing else: the
    # median stays 24 (hand-worked: one 39 becomes 10)
    sc = {"scenario": {"name": "run"}, "add_run": {"line": "1", "departures": "07:01"}}
    res = run_scenario(project, sc, out_dir=tmp_path / "a")
    assert res.villages.loc["VA", "health_centre_nearest_min_after"] == pytest.approx(24.0)
    # extending line 1 back to VM (run 5 min from B): VM still cannot reach HC by bus (the line
    # ends at VM), but a new line from VM to B at 07:10 gives it a bus
    sc = {
        "scenario": {"name": "new line"},
        "add_line": {
            "id": "2",
            "name": "M-B",
            "stops": [{"at_village": "VM", "run_min": 6}, {"x": X0 + 10000, "y": Y0, "name": "B"}],
            "first": "07:00",
            "last": "08:30",
            "headway_min": 10,
        },
    }
    res = run_scenario(project, sc, out_dir=tmp_path / "b")
    # every 10 minutes, 6 minutes' ride: waits 0, 9..1 six times, the 30th is 4 -> 10 minutes
    assert res.villages.loc["VM", "health_centre_nearest_min_after"] == pytest.approx(10.0)
    assert res.villages.loc["VA", "health_centre_nearest_min_after"] == pytest.approx(24.0)
    with pytest.raises(ConfigError, match="line 'X'"):
        run_scenario(
            project,
            {"change_headway": {"line": "X", "headway_min": 5}},
            out_dir=tmp_path / "c",
        )


def test_catchments_by_bus(tmp_path):
    # catchment of HC within 30 min by bus: stop A reaches HC in 24 min (median), so a disc of
    # (30 - 24) min of walking (4.8 km/h / 1.3 detour: 369 m) around A, plus the disc of the
    # direct walk around HC
    from accessibility.transit import transit_catchments, transit_setup

    (tmp_path / "lines.toml").write_text(LINES, encoding="utf-8")
    setup = transit_setup(tmp_path / "lines.toml", window=("07:00", "08:00"), walk="straight")
    hc = gpd.GeoDataFrame(
        {"service": ["health_centre"]}, geometry=[shapely.Point(X0 + 10000, Y0)],
        index=["HC"], crs=CRS,
    )  # fmt: skip
    c = transit_catchments(None, hc, setup, bands_min=[20, 30])
    by = c.set_index("band_min")
    assert by.loc[20, "n_stops"] == 1  # only B itself (0 min) within 20
    assert by.loc[30, "n_stops"] == 2
    r = 4.8 / 3.6 * 60 / 1.3
    assert by.loc[30, "geometry"].contains(shapely.Point(X0 + 6 * r * 0.99, Y0))
    assert not by.loc[30, "geometry"].contains(shapely.Point(X0 + 6 * r * 1.01, Y0))
    assert not by.loc[20, "geometry"].contains(shapely.Point(X0, Y0))


# --------------------------------------------------------------------------------------------
# the demo county's buses

REPO = Path(__file__).resolve().parents[1]
DEMO = REPO / "data" / "demo_project.toml"
BUS_COLUMNS = ["health_centre_transit_nearest_min", "hospital_transit_nearest_min"]


def test_demo_bus_lines_match_the_generator(tmp_path):
    """If this fails after changing data/generator/buses.py, run python data/make_demo_county.py."""
    from accessibility.datasets import load_demo, load_generator

    buses = __import__(load_generator().__name__ + ".buses", fromlist=["buses"])
    demo = load_demo()
    text = buses.bus_lines_toml(
        buses.make_bus_lines(20240527, demo.villages.reset_index(), demo.facilities.reset_index())
    )
    assert text == (REPO / "data" / "demo_bus_lines.toml").read_text(encoding="utf-8")
    assert text == buses.bus_lines_toml(
        buses.make_bus_lines(20240527, demo.villages.reset_index(), demo.facilities.reset_index())
    )
    assert 'riders = "pupils"' in text and "村村通" in text


def test_demo_headway_scenario_changes_exactly_the_expected_villages():
    # K5 (county seat -> Baisha) every 20 instead of 90 minutes. Expected: recomputed from a
    # line table edited by hand (the TOML text), and only villages whose times change there
    from accessibility.planning import evaluate_scenario
    from accessibility.project import load_project_inputs
    from accessibility.transit import transit_costs, transit_setup

    p = load_project_inputs(DEMO)
    fac = p.facilities[p.facilities["service"] == "health_centre"]
    spec = {"health_centre": {"mode": "transit", "thresholds_min": [30, 60]}}
    text = (REPO / "data" / "demo_bus_lines.toml").read_text(encoding="utf-8")
    start = text.index('id = "K5"\n')
    head = text.index("headway_min = ", start)
    old = text[head : text.index("\n", head)]
    edited = text[:head] + "headway_min = 20" + text[head + len(old) :]
    path = Path(p.config["output"]["folder"]).parent / "_k5.toml"
    try:
        path.write_text(edited, encoding="utf-8")
        opts = {k: getattr(p.transit, k) for k in ("window", "day_type", "max_walk_min")}
        expected = transit_setup(path, network=p.network, **opts)
    finally:
        path.unlink(missing_ok=True)
    before = transit_costs(p.network, p.villages, fac, p.transit, max_time_min=120)
    after = transit_costs(p.network, p.villages, fac, expected, max_time_min=120)
    near = {
        k: t.groupby("origin")["travel_time_min"].min().reindex(p.villages.index)
        for k, t in (("before", before), ("after", after))
    }
    res = evaluate_scenario(
        p.network, p.villages, p.facilities,
        {"change_headway": {"line": "K5", "headway_min": 20}},
        services=spec, transit=p.transit, standards=None,
    )  # fmt: skip
    v = res.villages
    got = v["health_centre_nearest_min_after"]
    np.testing.assert_allclose(got.to_numpy(), near["after"].to_numpy(), equal_nan=True)
    changed = ~np.isclose(near["before"].fillna(-1), near["after"].fillna(-1))
    got_changed = ~np.isclose(v["health_centre_nearest_min_before"].fillna(-1), got.fillna(-1))
    assert 0 < changed.sum() < len(v) // 2
    assert (got_changed == changed).all()
    assert (got[changed] <= v["health_centre_nearest_min_before"][changed].fillna(np.inf)).all()


@pytest.mark.slow
def test_demo_buses_through_the_api_and_dask(tmp_path):
    from accessibility.cli import main

    res = run_project(DEMO, out_dir=tmp_path / "api")
    v = res.villages
    for c in BUS_COLUMNS:
        has = v[c].notna()
        assert 0.1 < has.mean() < 0.9  # some villages by bus, many without a usable bus
        assert (v.loc[has, c] > 0).all() and (v.loc[has, c] <= 120).all()
    assert "health_centre_bus_meets" in v.columns
    # the nearest health centre by bus is never nearer than by car... in time it may be
    # farther; it is never reached when no stop is within the walk
    import pyogrio

    gpkg = res.files["geopackage"]
    names = [n for n, _ in pyogrio.list_layers(gpkg)]
    assert "bus_lines" in names and "bus_stops" in names
    import sqlite3

    with sqlite3.connect(gpkg) as con:
        styled = {r[0] for r in con.execute("select f_table_name from layer_styles")}
    assert {"bus_lines", "bus_stops"} <= styled
    report = res.files["report"].read_text(encoding="utf-8")
    assert '<h2 id="bus">' in report and "无可用公交的村" in report  # the demo speaks Chinese
    assert main([
        "run", str(DEMO), "--dask", "local", "--out", str(tmp_path / "dask"), "--quiet",
    ]) == 0  # fmt: skip
    # the GeoPackage keeps the stable English column names (the CSV speaks the demo's Chinese)
    dask = gpd.read_file(tmp_path / "dask" / "demo_accessibility.gpkg", layer="villages")
    dask = dask.set_index("village_id")
    for c in BUS_COLUMNS:
        np.testing.assert_allclose(
            dask[c].reindex(v.index).to_numpy(), v[c].to_numpy(), equal_nan=True
        )


def test_siting_by_bus(tmp_path):
    # one new health centre, by bus within 30 min: VA is covered by line 1 (24 min), VM has no
    # bus, so the new site is VM itself (a walk of 0 minutes there)
    from accessibility.planning import run_siting

    sres, res = run_siting(
        _county(tmp_path), service="health_centre", objective="mclp", p=1,
        candidates="villages", standard_min=30, out_dir=tmp_path / "site",
    )  # fmt: skip
    assert list(sres.new_sites) == ["cand_VM"]
    after = res.villages["health_centre_nearest_min_after"]
    assert after["VM"] == pytest.approx(0.0, abs=1e-6)
    assert after["VA"] == pytest.approx(24.0)


def test_demand_responsive_zone_hand_worked(tmp_path):
    # a zone around VM and HC (booking 30 min ahead, 36 km/h): VM -> HC, 5 km × 1.3 at 10 m/s,
    # 650 s, so 30 + 10.83 minutes door to door; VA (outside the zone) keeps its bus, 24 min
    zones = gpd.GeoDataFrame(
        {"name": ["M"], "lead_min": [30.0], "speed_kmh": [36.0]},
        geometry=[shapely.box(X0 + 4000, Y0 - 500, X0 + 10500, Y0 + 500)],
        crs=CRS,
    )
    zones.to_file(tmp_path / "zones.gpkg")
    res = run_project(_county(tmp_path, extra='zones = "zones.gpkg"'))
    v = res.villages
    assert v.loc["VM", "health_centre_nearest_min"] == pytest.approx(30 + 650 / 60)
    assert v.loc["VA", "health_centre_nearest_min"] == pytest.approx(24.0)


@pytest.mark.slow
def test_demo_bus_scenario_through_the_cli(tmp_path):
    # the demo's services are by car; a bus scenario evaluates the services of its bus standards
    # by bus, against those standards
    from accessibility.cli import main

    sc = REPO / "data" / "demo_scenarios" / "d_bus_timetable.toml"
    assert main(["scenario", str(DEMO), str(sc), "--out", str(tmp_path), "--quiet"]) == 0
    summary = pd.read_csv(tmp_path / "scenario_D_more_buses_summary.csv").set_index("service")
    assert set(summary.index) == {"health_centre", "hospital"}
    assert (summary["villages_improved"] > 0).all()
    assert (summary["villages_worse"] == 0).all()
    assert summary["recomputed"].str.contains("by bus; lines changed: K4, K4R, C1").all()
