"""Reliability of whole runs: no lost work, determinism, memory refusal, unreachable made explicit.

Rows of the bad-input catalogue in docs/reliability.md that concern networks, routing and outputs.
"""

from __future__ import annotations

import errno
import os
import sqlite3
import stat

import geopandas as gpd
import numpy as np
import pytest
import shapely

import accessibility as acc
from accessibility.costs import travel_costs
from accessibility.errors import MemoryEstimateError, OutputError
from accessibility.network import network_from_roads
from accessibility.pipeline import accessibility_layer, demo_project, run_project

# whole demo runs (a module fixture): the full suite runs these, the fast lane does not
pytestmark = pytest.mark.slow

CRS = "EPSG:32649"


def _quick_demo_config():
    cfg = demo_project()
    cfg["output"]["report"] = ""  # the report and the DEM are tested elsewhere; keep these quick
    cfg["network"]["dem"] = None
    return cfg


@pytest.fixture(scope="module")
def first_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("run")
    result = run_project(_quick_demo_config(), out_dir=out)
    return result, out


def _gpkg_ok(path):
    layers = gpd.list_layers(path)
    counts = {n: len(gpd.read_file(path, layer=n)) for n in layers["name"]}
    with sqlite3.connect(path) as con:
        assert con.execute("pragma integrity_check").fetchone()[0] == "ok"
    return counts


def test_interrupted_run_leaves_previous_geopackage_intact(first_run, tmp_path, monkeypatch):
    _result, out = first_run
    gpkg = out / "demo_accessibility.gpkg"
    before_bytes = gpkg.read_bytes()
    before = _gpkg_ok(gpkg)
    import pyogrio

    real = pyogrio.write_dataframe
    calls = {"n": 0}

    def write_then_interrupt(*args, **kwargs):
        calls["n"] += 1
        if calls["n"] == 2:  # the first layer is written, then the user presses Ctrl-C
            raise KeyboardInterrupt
        return real(*args, **kwargs)

    monkeypatch.setattr(pyogrio, "write_dataframe", write_then_interrupt)
    with pytest.raises(KeyboardInterrupt):
        run_project(_quick_demo_config(), out_dir=out)
    assert gpkg.read_bytes() == before_bytes
    assert _gpkg_ok(gpkg) == before
    assert not [p for p in os.listdir(out) if ".part" in p]  # no temporary files left behind


def test_full_disk_is_an_output_error_and_keeps_old_file(first_run, monkeypatch):
    _, out = first_run
    gpkg = out / "demo_accessibility.gpkg"
    before = gpkg.read_bytes()
    import pyogrio

    def full(*args, **kwargs):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(pyogrio, "write_dataframe", full)
    with pytest.raises(OutputError, match="disk full"):
        run_project(_quick_demo_config(), out_dir=out)
    assert gpkg.read_bytes() == before


def test_existing_output_without_overwrite_fails_before_work(first_run, monkeypatch):
    _, out = first_run
    cfg = _quick_demo_config()
    cfg["output"]["overwrite"] = False
    called = []
    monkeypatch.setattr(
        "accessibility.project.run.accessibility_layer_with_costs", lambda *a, **k: called.append(1)
    )
    with pytest.raises(OutputError, match="already exists"):
        run_project(cfg, out_dir=out)
    assert not called


@pytest.mark.skipif(os.geteuid() == 0, reason="root can write into read-only folders")
def test_read_only_folder(tmp_path):
    ro = tmp_path / "ro"
    ro.mkdir()
    ro.chmod(stat.S_IREAD | stat.S_IEXEC)
    with pytest.raises(OutputError, match="not writable"):
        run_project(_quick_demo_config(), out_dir=ro)


def test_read_only_folder_checked_by_access(tmp_path, monkeypatch):
    # as root the permission bits do not stop us, so simulate what os.access reports for a user
    monkeypatch.setattr(os, "access", lambda path, mode: False)
    with pytest.raises(OutputError, match="not writable"):
        run_project(_quick_demo_config(), out_dir=tmp_path / "out")


def test_runs_are_deterministic(first_run, tmp_path):
    _, out = first_run
    run_project(_quick_demo_config(), out_dir=tmp_path)
    a = (out / "demo_villages.csv").read_bytes()
    b = (tmp_path / "demo_villages.csv").read_bytes()
    assert a == b


def test_memory_estimate_refuses_with_the_estimate():
    roads = gpd.GeoDataFrame(
        {"road_class": ["county"]}, geometry=[shapely.LineString([(0, 0), (10000, 0)])], crs=CRS
    )
    net = network_from_roads(roads, modes=("car",))
    rng = np.random.default_rng(0)
    pts = gpd.GeoDataFrame(
        geometry=shapely.points(rng.uniform(0, 10000, (300, 2)) * [1, 0]), crs=CRS
    )
    with (
        acc.set_options(max_memory_bytes=10_000),
        pytest.raises(MemoryEstimateError, match=r"GB|MB|bytes"),
    ):
        travel_costs(net, pts, pts, max_time_min=60)


def test_village_on_a_disconnected_fragment_is_flagged_not_dropped():
    roads = gpd.GeoDataFrame(
        {"road_class": ["county", "village"]},
        geometry=[
            shapely.LineString([(0, 0), (5000, 0)]),
            shapely.LineString([(0, 3000), (500, 3000)]),  # an island road, not connected
        ],
        crs=CRS,
    )
    net = network_from_roads(roads, modes=("car",))
    villages = gpd.GeoDataFrame(
        {"population": [100, 50]},
        geometry=[shapely.Point(100, 10), shapely.Point(250, 3010)],
        index=["main", "island"],
        crs=CRS,
    )
    facilities = gpd.GeoDataFrame(
        {"service": ["clinic"], "capacity": [1]},
        geometry=[shapely.Point(4000, 0)],
        index=["c"],
        crs=CRS,
    )
    layer = accessibility_layer(net, villages, facilities)
    assert layer.loc["main", "clinic_reachable"]
    assert not layer.loc["island", "clinic_reachable"]
    assert np.isnan(layer.loc["island", "clinic_nearest_min"])
    assert not layer.loc["island", "on_main_network"]
    assert len(layer) == 2  # nobody silently dropped


def test_one_way_trap_shows_in_times():
    # a village on a one-way spur it can leave but not get back into
    roads = gpd.GeoDataFrame(
        {"road_class": ["county", "village"], "oneway": [False, True]},
        geometry=[
            shapely.LineString([(0, 0), (5000, 0)]),
            shapely.LineString([(2000, 2000), (2000, 0)]),  # one-way towards the main road
        ],
        crs=CRS,
    )
    net = network_from_roads(roads, modes=("car",))
    trap = gpd.GeoDataFrame(geometry=[shapely.Point(2000, 1500)], index=["trap"], crs=CRS)
    town = gpd.GeoDataFrame(geometry=[shapely.Point(4000, 0)], index=["town"], crs=CRS)
    assert len(travel_costs(net, trap, town)) == 1  # leaving works
    assert len(travel_costs(net, town, trap)) == 0  # returning is impossible by car
    assert net.report["car_strong_components"] > 1
