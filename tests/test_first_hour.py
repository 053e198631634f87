"""The first hour (#19): OSM-only projects, population from a raster or a constant, ``init``,
the uniform-speed switch, typical Chinese county data, and the tutorials run as written."""

from __future__ import annotations

import tomllib
from typing import Any

import numpy as np
import pytest

import accessibility as acc
from accessibility.datasets.export import write_county_shapefiles, write_demo_osm
from accessibility.errors import ConfigError, InputWarning
from accessibility.io import read_layer
from accessibility.osm import read_osm_places
from accessibility.project import load_config, load_project_inputs, validate_config
from accessibility.project.init import init_project, scan_folder
from accessibility.project.osm_inputs import osm_facilities, osm_villages, project_villages
from accessibility.raster import read_raster


@pytest.fixture(scope="module")
def demo_osm(tmp_path_factory):
    """The demo county as an OSM PBF and a population raster, in a folder of their own."""
    folder = tmp_path_factory.mktemp("demo_osm")
    pbf, raster = write_demo_osm(folder)
    return folder, pbf, raster


def test_osm_alone_is_a_valid_project(demo_osm):
    folder, pbf, raster = demo_osm
    cfg = validate_config(
        {"input": {"osm": pbf.name, "population_raster": raster.name}}, base_dir=folder
    )
    assert cfg["input"]["population_raster"] == str(raster)
    assert cfg["network"]["profile"] == "osm"  # not the "china" default of road layers


def test_explicit_china_profile_with_osm_is_kept_with_a_warning(demo_osm):
    _, pbf, _ = demo_osm
    with pytest.warns(InputWarning, match='profile = "china" with \\[input\\] osm'):
        cfg = validate_config({"input": {"osm": str(pbf)}, "network": {"profile": "china"}})
    assert cfg["network"]["profile"] == "china"


def test_osm_villages_include_localities_and_can_be_filtered(demo_osm):
    _, pbf, _ = demo_osm
    villages = osm_villages(pbf)
    assert "locality" in set(villages["place"])
    assert len(villages) > len(read_osm_places(pbf))  # the reader's default leaves them out
    assert set(villages.loc[villages["place"] == "town", "area_type"]) == {"urban"}
    assert set(villages.loc[villages["place"] != "town", "area_type"]) == {"rural"}
    cun = osm_villages(pbf, places=["village", "locality"], name_pattern="村$")
    assert len(cun) and cun["name"].str.endswith("村").all()
    assert set(cun["place"]) <= {"village", "locality"}
    with pytest.raises(ConfigError, match="name_pattern"):
        validate_config({"input": {"osm": str(pbf)}, "osm": {"name_pattern": "("}})


def test_osm_facilities_follow_the_services_mapping(demo_osm):
    _, pbf, _ = demo_osm
    mapping = {
        "health": {"amenity": ["clinic", "doctors", "hospital"]},
        "other": {"amenity": True},  # anything else with an amenity tag; the first match wins
    }
    facilities = osm_facilities(pbf, mapping)
    demo = acc.load_demo().facilities
    n_health = int(demo["service"].isin(["clinic", "health_centre", "hospital"]).sum())
    assert facilities["service"].value_counts().to_dict() == {
        "health": n_health,
        "other": len(demo) - n_health,
    }
    with pytest.raises(ConfigError, match=r"osm\.services"):
        validate_config({"input": {"osm": str(pbf)}, "osm": {"services": {"x": {"amenity": "a"}}}})


def test_population_from_a_raster_keeps_every_person(demo_osm):
    _, pbf, raster = demo_osm
    cfg = validate_config({"input": {"osm": str(pbf), "population_raster": str(raster)}})
    villages = project_villages(cfg)
    values = read_raster(raster).values.astype(float)
    total = float(np.nansum(np.where(values > 0, values, 0)))
    assert 0.9 * total < villages["population"].sum() <= total * (1 + 1e-12)
    assert (villages["population"] > 0).mean() > 0.9


def test_population_raster_elsewhere_is_an_error_and_a_larger_one_is_cut(demo_osm, tmp_path):
    """A raster covering only another area, or a whole country: the villages get the people of
    their own area only."""
    from accessibility.raster import Raster, write_raster

    _, pbf, raster = demo_osm
    r = read_raster(raster)
    far = tmp_path / "far.tif"
    write_raster(Raster(r.values, r.transform * r.transform.translation(0, -5000), r.crs), far)
    cfg = validate_config({"input": {"osm": str(pbf), "population_raster": str(far)}})
    with pytest.raises(ConfigError, match="does it cover the study area"):
        project_villages(cfg)
    values = np.where(r.values > 0, r.values, 0.0)
    big = np.zeros((r.shape[0] * 3, r.shape[1]))
    big[: r.shape[0]] = values
    big[2 * r.shape[0] :] = 1000.0  # a populous region 37 km south of the county
    wide = tmp_path / "wide.tif"
    write_raster(Raster(big, r.transform, r.crs), wide)
    cfg = validate_config({"input": {"osm": str(pbf), "population_raster": str(wide)}})
    assert project_villages(cfg)["population"].sum() <= values.sum() * (1 + 1e-12)


def test_population_constant_and_its_conflicts(demo_osm, tmp_path):
    _, pbf, raster = demo_osm
    cfg = validate_config({"input": {"osm": str(pbf), "population_constant": 250}})
    assert set(project_villages(cfg)["population"]) == {250.0}
    with pytest.raises(ConfigError, match="both population_raster and population_constant"):
        validate_config(
            {"input": {"osm": str(pbf), "population_raster": str(raster), "population_constant": 1}}
        )
    demo = acc.load_demo()
    path = tmp_path / "villages.gpkg"
    demo.villages.to_file(path)
    cfg = validate_config(
        {"input": {"osm": str(pbf), "villages": str(path), "population_constant": 1}}
    )
    with pytest.raises(ConfigError, match="already have a 'population' column"):
        project_villages(cfg)


def test_uniform_speed_replaces_every_speed_but_keeps_closed_edges():
    net = acc.network_from_roads(acc.load_demo().roads, tolerance_m=2.5)
    flat = acc.with_uniform_speed(net, {"car": 40})
    e, f = net.edges, flat.edges
    expected = f["length_m"] / 1000 / 40 * 60
    for d in ("fwd", "bwd"):
        closed = ~np.isfinite(e[f"car_{d}_min"])
        assert np.array_equal(closed, ~np.isfinite(f[f"car_{d}_min"]))
        assert np.allclose(f.loc[~closed, f"car_{d}_min"], expected[~closed])
        assert f[f"walk_{d}_min"].equals(e[f"walk_{d}_min"])
    assert e["car_speed_kmh"].nunique() > 1  # the network given is unchanged


def test_uniform_speed_in_the_project_file(demo_osm):
    _, pbf, _ = demo_osm
    raw = {
        "input": {"osm": str(pbf), "population_constant": 1},
        "network": {"modes": ["car"], "uniform_speed_kmh": {"car": 30}},
    }
    net = load_project_inputs(validate_config(raw)).network
    speeds = net.edges["car_speed_kmh"]
    assert np.allclose(speeds[speeds > 0], 30)
    for bad in ({"car": 0}, {"boat": 10}):
        raw["network"]["uniform_speed_kmh"] = bad
        with pytest.raises(ConfigError, match="uniform_speed_kmh"):
            validate_config(raw)


def test_gbk_place_names_beyond_gb2312_are_detected(tmp_path):
    """塅 (GBK 89 46) is outside GB2312: such a Shapefile was read as Latin-1 before."""
    paths = write_county_shapefiles(tmp_path)
    assert not (tmp_path / "村庄.cpg").exists()
    with pytest.warns(InputWarning, match="GB18030"):
        villages = read_layer(paths["villages"])
    assert villages["村名"].str.contains("塅").any()
    assert set(read_layer(paths["roads"])["道路等级"]) >= {"国道", "省道", "县道", "乡道", "村道"}


def test_init_on_chinese_county_shapefiles(tmp_path):
    write_county_shapefiles(tmp_path)
    path, missing = init_project(tmp_path)
    assert missing == []
    text = path.read_text(encoding="utf-8")
    for line in (
        'road_class = "道路等级"',
        'population = "户籍人口"',
        'village_name = "村名"',
        'roads_encoding = "gb18030"',
        'profile = "china"',
    ):
        assert line in text
    cfg = load_config(path)
    assert cfg["input"]["villages"].endswith("村庄.shp")
    with pytest.raises(ConfigError, match="exists"):
        init_project(tmp_path)


def test_init_on_a_pbf_and_a_raster(demo_osm, tmp_path):
    folder, _, _ = demo_osm
    path, missing = init_project(folder, path=tmp_path / "p.toml")
    cfg = load_config(path)
    assert missing == []
    assert cfg["input"]["osm"].endswith("county.osm.pbf")
    assert cfg["input"]["population_raster"].endswith("population.tif")
    assert "elder_care" in cfg["osm"]["services"]


def test_init_says_what_is_missing(tmp_path):
    villages = acc.load_demo().villages[["name", "geometry"]]
    villages.to_file(tmp_path / "villages.gpkg")
    (tmp_path / "notes.json").write_text('{"not": "a layer"}', encoding="utf-8")
    path, missing = init_project(tmp_path)
    assert "# could not read: notes.json" in path.read_text(encoding="utf-8")
    text = " ".join(missing)
    assert "road network" in text and "population" in text and "facilities" in text
    assert "# MISSING:" in path.read_text(encoding="utf-8")
    found = scan_folder(tmp_path)
    assert [i.role for i in found["layers"]] == ["villages"]


def test_cli_init(demo_osm, tmp_path, capsys):
    from accessibility.cli import main

    folder, _, _ = demo_osm
    assert main(["init", str(folder), "--out", str(tmp_path / "p.toml")]) == 0
    assert f"wrote {tmp_path / 'p.toml'}" in capsys.readouterr().out
    assert main(["init", str(folder), "--out", str(tmp_path / "p.toml")]) == 2


def _demo_without_population(tmp_path, *, nan: bool) -> str:
    demo = acc.load_demo()
    villages = demo.villages.reset_index()
    if nan:
        villages["population"] = villages["population"].astype(float)
        villages.loc[:9, "population"] = np.nan
    else:
        villages = villages.drop(columns="population")
    path = tmp_path / "county.gpkg"
    villages.to_file(path, layer="villages")
    demo.roads.to_file(path, layer="roads")
    demo.facilities.reset_index().to_file(path, layer="facilities")
    return str(path)


def _raw(path: str, **output: Any) -> dict[str, Any]:
    layers = {k: path for k in ("roads", "villages", "facilities")}
    return {
        "input": {**layers, **{f"{k}_layer": k for k in layers}},
        "network": {"tolerance_m": 2.5},
        "output": output,
    }


@pytest.mark.parametrize("nan", [False, True])
def test_population_is_needed_only_where_used(tmp_path, nan):
    from accessibility.project import read_validated_layers

    path = _demo_without_population(tmp_path, nan=nan)
    _, _, villages, _ = read_validated_layers(validate_config(_raw(path, report="")))
    assert len(villages) == len(acc.load_demo().villages)
    with pytest.raises(acc.AccessibilityError, match=r"needed by \[output\] report"):
        read_validated_layers(validate_config(_raw(path)))
    raw = _raw(path, report="")
    raw["services"] = {"clinic": {"measures": [{"measure": "2sfca", "limit_min": 30}]}}
    with pytest.raises(
        acc.AccessibilityError, match=r"needed by the measures of \[services.clinic\]"
    ):
        read_validated_layers(validate_config(raw))


@pytest.mark.slow
@pytest.mark.shared_data
@pytest.mark.parametrize("extract", ["north-bayreuth.osm.gz", "imperial-county.osm.pbf"])
def test_init_and_run_from_a_bare_real_extract(shared_data, tmp_path, extract, capsys):
    """Done-when of #19: from a bare PBF, `init` + `run` write the styled GeoPackage and the
    report (no population source: `init` sets population_constant and says so)."""
    from accessibility.cli import main
    from accessibility.io import list_layers, read_styles

    folder = tmp_path / "county"
    folder.mkdir()
    (folder / extract).symlink_to(shared_data / "osm" / extract)
    assert main(["-q", "init", str(folder)]) == 0
    assert "missing: population" in capsys.readouterr().out
    assert main(["-q", "run", str(folder / "project.toml")]) == 0
    out = folder / "accessibility_output"
    gpkg = out / "accessibility.gpkg"
    assert {"villages", "facilities", "roads"} <= set(list_layers(gpkg))
    assert "villages" in read_styles(gpkg)
    assert (out / "report.html").stat().st_size > 10_000
    villages = read_layer(gpkg, layer="villages")
    nearest = [c for c in villages.columns if c.endswith("_nearest_min")]
    assert nearest and villages[nearest].notna().any().all()


def test_init_lists_the_road_classes_and_the_unknown_ones(tmp_path):
    roads = acc.load_demo().roads[["geometry"]].head(4)
    roads["等级"] = ["国道", "县道", "县道", "专用公路"]
    roads.to_file(tmp_path / "roads.gpkg")
    path, missing = init_project(tmp_path)
    text = path.read_text(encoding="utf-8")
    assert 'road_class = "等级"' in text and 'profile = "china"' in text
    assert "# road classes found (lines): 县道 2, 国道 1, 专用公路 1" in text
    assert "not in the 'china' speed table: 专用公路;" in text
    assert any("villages" in m for m in missing)


def test_init_gives_the_osm_profile_to_osm_highway_classes(tmp_path):
    """A road layer exported from OSM (e.g. a Geofabrik ``fclass`` column) is not in Chinese
    road classes: the "china" table would give most roads the 'unknown' speed."""
    roads = acc.load_demo().roads[["geometry"]].head(4)
    roads["fclass"] = ["primary", "residential", "track", "secondary"]
    roads.to_file(tmp_path / "gis_osm_roads_free_1.gpkg")
    path, _ = init_project(tmp_path)
    cfg = tomllib.loads(path.read_text(encoding="utf-8"))  # no villages: not a valid project
    assert cfg["columns"]["road_class"] == "fclass"
    assert cfg["network"]["profile"] == "osm"
    assert "not in the" not in path.read_text(encoding="utf-8")


def test_init_with_a_road_layer_and_a_pbf_says_villages_are_missing(demo_osm, tmp_path):
    """[input] cannot have both roads and osm, so the OSM file cannot supply the villages."""
    _, pbf, _ = demo_osm
    acc.load_demo().roads.to_file(tmp_path / "roads.gpkg")
    (tmp_path / pbf.name).write_bytes(pbf.read_bytes())
    path, missing = init_project(tmp_path)
    text = path.read_text(encoding="utf-8")
    assert any(m.startswith("villages") for m in missing)
    assert any(m.startswith("facilities") for m in missing)
    assert "[osm]" not in text and "\nosm =" not in text


def test_init_names_a_second_osm_file_it_does_not_use(demo_osm, tmp_path):
    _, pbf, _ = demo_osm
    for name in ("a.osm.pbf", "b.osm.pbf"):
        (tmp_path / name).write_bytes(pbf.read_bytes())
    path, _ = init_project(tmp_path)
    text = path.read_text(encoding="utf-8")
    assert 'osm = "a.osm.pbf"' in text
    assert "# also found, not used: b.osm.pbf" in text


OSM_WITHOUT_PLACES = """<?xml version="1.0" encoding="UTF-8"?>
<osm version="0.6" generator="test">
 <node id="1" lat="27.00" lon="111.00" version="1"/>
 <node id="2" lat="27.01" lon="111.00" version="1"/>
 <node id="3" lat="27.00" lon="111.01" version="1"><tag k="amenity" v="school"/></node>
 <way id="10" version="1"><nd ref="1"/><nd ref="2"/><tag k="highway" v="residential"/></way>
</osm>
"""


@pytest.mark.parametrize("population", ["constant", "raster"])
def test_osm_without_places_says_so(demo_osm, tmp_path, population):
    """Not a CRS error (raster) nor 'check the file path' (constant): say which [osm] keys."""
    _, _, raster = demo_osm
    osm = tmp_path / "roads_only.osm"
    osm.write_text(OSM_WITHOUT_PLACES, encoding="utf-8")
    inp: dict[str, Any] = {"osm": str(osm)}
    inp.update(
        {"population_constant": 1}
        if population == "constant"
        else {"population_raster": str(raster)}
    )
    cfg = validate_config({"input": inp})
    with pytest.raises(ConfigError, match=r"no villages.*\[osm\] places"):
        project_villages(cfg)


def test_osm_name_pattern_filtering_out_every_place_says_so(demo_osm):
    _, pbf, _ = demo_osm
    cfg = validate_config({"input": {"osm": str(pbf)}, "osm": {"name_pattern": "^nowhere$"}})
    with pytest.raises(ConfigError, match=r"no villages.*name_pattern = '\^nowhere\$'"):
        project_villages(cfg)


def test_osm_name_pattern_must_be_text(demo_osm):
    _, pbf, _ = demo_osm
    with pytest.raises(ConfigError, match="name_pattern = 5"):
        validate_config({"input": {"osm": str(pbf)}, "osm": {"name_pattern": 5}})


def test_init_names_the_unused_layer_of_a_geopackage(tmp_path):
    demo = acc.load_demo()
    path = tmp_path / "county.gpkg"
    demo.facilities.to_file(path, layer="facilities")
    demo.facilities.head(5).to_file(path, layer="schools")
    toml, _ = init_project(tmp_path)
    text = toml.read_text(encoding="utf-8")
    assert 'facilities_layer = "facilities"' in text
    assert "# also found, not used: county.gpkg, layer 'schools' (facilities)" in text


def test_export_command_runs_without_a_runpy_warning():
    """``python -m accessibility.datasets.export`` (the tutorials' first command): the package
    must not import the module before runpy runs it."""
    import subprocess
    import sys
    from pathlib import Path

    env_path = str(Path(acc.__file__).resolve().parents[1])
    done = subprocess.run(
        [sys.executable, "-m", "accessibility.datasets.export"],
        capture_output=True,
        text=True,
        env={"PYTHONPATH": env_path},
    )
    assert done.returncode == 2 and "usage:" in done.stdout
    assert "RuntimeWarning" not in done.stderr


def test_uniform_speed_with_no_mode_leaves_the_network_given_unchanged():
    net = acc.network_from_roads(acc.load_demo().roads, tolerance_m=2.5)
    before = dict(net.report)
    out = acc.with_uniform_speed(net, {})
    assert net.report == before  # not written into the network given
    assert out.report["uniform_speed_kmh"] == {}


def test_init_out_in_a_new_folder(demo_osm, tmp_path):
    folder, _, _ = demo_osm
    path, _ = init_project(folder, path=tmp_path / "projects" / "p.toml")
    assert load_config(path)["input"]["osm"].endswith("county.osm.pbf")


def test_chinese_road_classes_are_not_reported_unknown_when_they_have_a_speed(tmp_path):
    """国道/县道/村道 have "china" speeds (aliases): the run must not warn they get 'unknown'."""
    import warnings

    write_county_shapefiles(tmp_path)
    path, _ = init_project(tmp_path)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        net = load_project_inputs(load_config(path)).network
    unknown = [str(w.message) for w in caught if "are not known" in str(w.message)]
    assert unknown == []
    assert set(net.edges["road_class"]) >= {"national", "county", "village", "track"}


def test_exporters_never_write_over_files_already_there(tmp_path):
    from accessibility.errors import OutputError

    mine = tmp_path / "道路.cpg"
    mine.write_text("UTF-8")  # the user's own file
    with pytest.raises(OutputError, match="already exists"):
        write_county_shapefiles(tmp_path)
    assert mine.read_text() == "UTF-8" and not (tmp_path / "道路.shp").exists()
    pbf = tmp_path / "county.osm.pbf"
    pbf.write_bytes(b"mine")
    with pytest.raises(OutputError, match=r"county\.osm\.pbf already exists"):
        write_demo_osm(tmp_path)
    assert pbf.read_bytes() == b"mine"


def test_county_facility_types_are_read_as_the_standards_services(tmp_path, caplog):
    from accessibility.project import load_project_inputs

    write_county_shapefiles(tmp_path)
    path, _ = init_project(tmp_path)
    assert set(read_layer(tmp_path / "设施.shp")["类型"]) >= {"卫生院", "敬老院", "村卫生室"}
    with caplog.at_level("INFO", logger="accessibility.project.service_names"):
        project = load_project_inputs(path)
    services = set(project.facilities[project.config["columns"]["service"]])
    assert services == {"hospital", "health_centre", "clinic", "primary_school",
                        "junior_school", "elder_care", "day_care"}  # fmt: skip
    assert "卫生院 -> health_centre" in caplog.text
    # the file itself is untouched
    assert "卫生院" in set(read_layer(tmp_path / "设施.shp")["类型"])


def test_a_service_the_project_names_itself_is_not_recoded():
    import geopandas as gpd
    from shapely.geometry import Point

    from accessibility.project.service_names import recode_services

    f = gpd.GeoDataFrame({"s": ["卫生院", "敬老院"]}, geometry=[Point(0, 0)] * 2)
    names = {"health_centre": {"aliases": ["卫生院"]}, "elder_care": {"aliases": ["敬老院"]}}
    out = recode_services(f, "s", names, keep=["卫生院"])
    assert out["s"].tolist() == ["卫生院", "elder_care"] and f["s"].tolist() == ["卫生院", "敬老院"]
