"""Speed overrides, maxspeed tags, one-way and the snapping tolerance (reliability issue #15).

- a speed override naming no road class (or no mode) is an error, not silently ignored;
- the user's class speeds win over OSM ``maxspeed`` tags; ``use_maxspeed`` and ``oneway`` are
  settings of the builders and of ``[network]``, and the log says which speeds were used;
- a ``tolerance_m`` that collapses the roads is an error naming ``tolerance_m``.
"""

from __future__ import annotations

import logging

import geopandas as gpd
import numpy as np
import pytest
import shapely

from accessibility.config import validate_config
from accessibility.errors import ConfigError, InvalidValueError, NetworkError
from accessibility.network import network_from_osm, network_from_roads

CRS = "EPSG:32649"

# three ways along a street: a residential with maxspeed=50, a one-way residential without
# maxspeed, a tertiary with maxspeed=70 (and a footway nobody drives on)
OSM_XML = """<?xml version='1.0' encoding='UTF-8'?>
<osm version="0.6" generator="test">
  <node id="1" lat="49.000" lon="11.000"/>
  <node id="2" lat="49.000" lon="11.010"/>
  <node id="3" lat="49.000" lon="11.020"/>
  <node id="4" lat="49.000" lon="11.030"/>
  <node id="5" lat="49.010" lon="11.030"/>
  <way id="101"><nd ref="1"/><nd ref="2"/>
    <tag k="highway" v="residential"/><tag k="maxspeed" v="50"/></way>
  <way id="102"><nd ref="2"/><nd ref="3"/>
    <tag k="highway" v="residential"/><tag k="oneway" v="yes"/></way>
  <way id="103"><nd ref="3"/><nd ref="4"/>
    <tag k="highway" v="tertiary"/><tag k="maxspeed" v="70"/></way>
  <way id="104"><nd ref="4"/><nd ref="5"/><tag k="highway" v="footway"/></way>
</osm>
"""


@pytest.fixture
def osm_file(tmp_path):
    path = tmp_path / "street.osm"
    path.write_text(OSM_XML, encoding="utf-8")
    return path


def layer(lines, classes, **cols):
    return gpd.GeoDataFrame(
        {"road_class": classes, **cols}, geometry=[shapely.LineString(c) for c in lines], crs=CRS
    )


def by_way(net, column):
    return net.edges.groupby("source_id")[column].first().to_dict()


# --- item 6: overrides naming no class / no mode ---------------------------------------------------


def test_unknown_class_in_speed_overrides_is_an_error_naming_the_classes():
    roads = layer([[(0, 0), (1000, 0)], [(0, 0), (0, 1000)]], ["county", "village"])
    with pytest.raises(InvalidValueError) as info:
        network_from_roads(roads, speeds={"car": {"country": 45}}, modes=("car",))
    msg = str(info.value)
    assert "'country'" in msg and "Did you mean 'county'" in msg
    assert "in the data: county, village" in msg  # the classes present in the layer
    assert "national" in msg and "县道" in msg  # the profile's classes and their Chinese names


def test_unknown_class_in_chinese_is_an_error_and_aliases_are_accepted():
    roads = layer([[(0, 0), (1000, 0)]], ["县道"])
    with pytest.raises(InvalidValueError, match="'县路'"):
        network_from_roads(roads, speeds={"car": {"县路": 45}}, modes=("car",))
    for key in ("县道", "county", "xiandao", "County"):
        net = network_from_roads(roads, speeds={"car": {key: 45}}, modes=("car",))
        assert net.edges["car_speed_kmh"].iloc[0] == 45
    # a profile class absent from the data is fine; so is a class only the data has
    net = network_from_roads(roads, speeds={"car": {"expressway": 110}}, modes=("car",))
    assert net.edges["car_speed_kmh"].iloc[0] == 40
    own = layer([[(0, 0), (1000, 0)]], ["forest_road"])
    net = network_from_roads(own, speeds={"car": {"forest_road": 15}}, modes=("car",))
    assert net.edges["car_speed_kmh"].iloc[0] == 15


def test_unknown_mode_in_speed_overrides_is_an_invalid_value_error():
    roads = layer([[(0, 0), (1000, 0)]], ["county"])
    with pytest.raises(InvalidValueError, match="Did you mean 'car'"):
        network_from_roads(roads, speeds={"cars": {"county": 45}}, modes=("car",))


def test_unknown_class_in_osm_speed_overrides(osm_file):
    with pytest.raises(InvalidValueError, match="Did you mean 'residential'"):
        network_from_osm(osm_file, speeds={"car": {"residental": 20}}, modes=("car",))


def test_unknown_class_in_the_project_file_is_a_config_error():
    from accessibility.pipeline import demo_project, load_project_inputs

    cfg = demo_project()
    cfg["network"].update(dem=None, modes=["car"], speeds={"car": {"country": 45}})
    with pytest.raises(ConfigError, match=r"\[network\.speeds\.car\] country.*Did you mean"):
        load_project_inputs(cfg)


# --- item 7: maxspeed tags, use_maxspeed and oneway ------------------------------------------------


def test_maxspeed_tags_fill_in_but_the_users_class_speed_wins(osm_file, caplog):
    with caplog.at_level(logging.INFO, logger="accessibility.network"):
        net = network_from_osm(osm_file, modes=("car", "walk"))
    assert by_way(net, "car_speed_kmh") == {101: 50.0, 102: 25.0, 103: 70.0, 104: 0.0}
    assert net.report["car_edges_speed_from_maxspeed"] == 2
    assert "2 of 3 car edge(s) took their speed from maxspeed tags" in caplog.text
    assert "residential 25" in caplog.text  # the speeds used, per mode and class

    caplog.clear()
    with caplog.at_level(logging.INFO, logger="accessibility.network"):
        net = network_from_osm(osm_file, modes=("car",), speeds={"car": {"residential": 20}})
    # the explicit class speed beats maxspeed=50; the tertiary keeps its maxspeed
    assert by_way(net, "car_speed_kmh") == {101: 20.0, 102: 20.0, 103: 70.0, 104: 0.0}
    assert net.report["car_edges_speed_from_maxspeed"] == 1
    assert "residential 20 (set in speeds)" in caplog.text

    net = network_from_osm(osm_file, modes=("car",), use_maxspeed=False)
    assert by_way(net, "car_speed_kmh") == {101: 25.0, 102: 25.0, 103: 45.0, 104: 0.0}
    assert net.report["car_edges_speed_from_maxspeed"] == 0


def test_oneway_false_makes_every_road_two_way(osm_file):
    net = network_from_osm(osm_file, modes=("car",))
    assert np.isinf(by_way(net, "car_bwd_min")[102])
    two = network_from_osm(osm_file, modes=("car",), oneway=False)
    assert np.isfinite(by_way(two, "car_bwd_min")[102])
    assert not two.edges["oneway"].any()
    assert two.report["n_oneway_ignored"] == 1

    roads = layer([[(0, 0), (1000, 0)]], ["county"], oneway=["yes"])
    assert np.isinf(network_from_roads(roads, modes=("car",)).edges["car_bwd_min"].iloc[0])
    for kw in ({"oneway": False}, {"oneway_column": None}):
        net = network_from_roads(roads, modes=("car",), **kw)
        assert np.isfinite(net.edges["car_bwd_min"].iloc[0]), kw


def test_network_keys_in_the_project_file():
    base = {"input": {"roads": __file__, "villages": __file__, "facilities": __file__}}
    cfg = validate_config(base)
    assert cfg["network"]["use_maxspeed"] is True and cfg["network"]["oneway"] is True
    for key in ("use_maxspeed", "oneway"):
        with pytest.raises(ConfigError, match=rf"\[network\] {key} = 'no'"):
            validate_config({**base, "network": {key: "no"}})


def test_project_file_oneway_false_reaches_the_network():
    from accessibility.pipeline import demo_project, load_project_inputs

    cfg = demo_project()
    cfg["network"].update(dem=None, modes=["car"])
    assert load_project_inputs(cfg).network.edges["oneway"].any()
    cfg["network"]["oneway"] = False
    assert not load_project_inputs(cfg).network.edges["oneway"].any()


def test_project_file_osm_settings_reach_the_network(osm_file, tmp_path):
    from accessibility.config import load_config
    from accessibility.pipeline import load_project_inputs

    pts = gpd.GeoDataFrame(
        {"vid": ["a", "b"], "population": [100, 200]},
        geometry=[shapely.Point(11.001, 49.0005), shapely.Point(11.029, 49.0005)],
        crs="EPSG:4326",
    )
    fac = gpd.GeoDataFrame(
        {"fac_id": ["f"], "service": ["clinic"], "capacity": [1.0]},
        geometry=[shapely.Point(11.015, 49.0005)],
        crs="EPSG:4326",
    )
    pts.to_file(tmp_path / "in.gpkg", layer="villages")
    fac.to_file(tmp_path / "in.gpkg", layer="facilities")
    text = f"""
[input]
osm = "{osm_file.as_posix()}"
villages = "in.gpkg"
villages_layer = "villages"
facilities = "in.gpkg"
facilities_layer = "facilities"

[columns]
village_id = "vid"
facility_id = "fac_id"
township = ""
area_type = ""

[network]
profile = "osm"
modes = ["car"]
use_maxspeed = false
oneway = false

[network.speeds.car]
tertiary = 60
"""
    (tmp_path / "p.toml").write_text(text, encoding="utf-8")
    net = load_project_inputs(load_config(tmp_path / "p.toml")).network
    assert by_way(net, "car_speed_kmh") == {101: 25.0, 102: 25.0, 103: 60.0, 104: 0.0}
    assert np.isfinite(by_way(net, "car_bwd_min")[102])
    assert not net.edges["oneway"].any()


@pytest.mark.shared_data
def test_real_extract_class_speed_wins_over_maxspeed(shared_data):
    path = shared_data / "osm" / "north-bayreuth.osm.gz"
    if not path.exists():
        pytest.skip(f"{path} is absent")
    default = network_from_osm(path, modes=("car",))
    res = default.edges["road_class"] == "residential"
    assert default.report["car_edges_speed_from_maxspeed"] > 0
    assert (default.edges.loc[res, "car_speed_kmh"] != 25).any()  # maxspeed tags are used ...
    mine = network_from_osm(path, modes=("car",), speeds={"car": {"residential": 20}})
    # ... unless the user set the class (0 where cars may not go: access=private ...)
    assert mine.edges.loc[res, "car_speed_kmh"].isin([20.0, 0.0]).all()
    assert (
        mine.report["car_edges_speed_from_maxspeed"]
        < default.report["car_edges_speed_from_maxspeed"]
    )


# --- item 15: a tolerance that collapses the roads -------------------------------------------------


def test_a_tolerance_that_collapses_the_roads_names_tolerance_m():
    roads = layer(
        [[(0, 0), (1000, 0)], [(1000, 0), (1000, 800)], [(1000, 800), (2500, 800)]],
        ["county"] * 3,
    )
    with pytest.raises(NetworkError) as info:
        network_from_roads(roads, tolerance_m=3000, modes=("car",))
    msg = str(info.value)
    assert "tolerance_m = 3000" in msg
    assert "collapsed 3 of 3 road line(s)" in msg
    assert "0.5" in msg  # a sensible range


def test_demo_county_with_a_3_km_tolerance_names_tolerance_m():
    import accessibility as acc

    with pytest.raises(NetworkError, match=r"tolerance_m = 3000.*collapsed \d+ of 383"):
        network_from_roads(acc.load_demo().roads, tolerance_m=3000, modes=("car",))


def test_lines_collapsed_by_the_tolerance_are_warned_about():
    from accessibility.validate import InputWarning

    roads = layer(
        [[(0, 0), (1000, 0)], [(1000, 0), (1000, 800)], [(1000, 800), (1008, 800)]],
        ["county"] * 3,
    )
    with pytest.warns(InputWarning, match=r"tolerance_m = 10: .*collapsed 1 of 3 road line"):
        net = network_from_roads(roads, tolerance_m=10, modes=("car",))
    assert net.report["n_lines_collapsed"] == 1 and len(net.edges) == 2
