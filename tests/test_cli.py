"""The command line and the whole job on the demo county."""

from __future__ import annotations

import itertools
import sqlite3
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest

from accessibility.cli import main
from accessibility.config import load_config
from accessibility.errors import ConfigError
from accessibility.pipeline import demo_project, run_demo

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def demo_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("demo")
    return run_demo(out), out


@pytest.mark.slow
def test_demo_writes_geopackage_and_csv(demo_run):
    result, out = demo_run
    gpkg = out / "demo_accessibility.gpkg"
    assert gpkg.exists() and (out / "demo_villages.csv").exists()
    layers = set(gpd.list_layers(gpkg)["name"])
    assert {"villages", "facilities", "roads", "townships"} <= layers
    with sqlite3.connect(gpkg) as con:
        styled = {r[0] for r in con.execute("select f_table_name from layer_styles")}
    assert {"villages", "facilities", "roads", "townships"} <= styled
    villages = gpd.read_file(gpkg, layer="villages")
    assert len(villages) == len(result.villages) == 354


@pytest.mark.slow
def test_every_village_has_a_time_or_an_unreachable_flag(demo_run):
    result, _ = demo_run
    v = result.villages
    for s in (
        "hospital",
        "health_centre",
        "clinic",
        "primary_school",
        "junior_school",
        "elder_care",
        "day_care",
    ):
        t = v[f"{s}_nearest_min"]
        assert (np.isfinite(t) | ~v[f"{s}_reachable"]).all()
        assert (t.notna() == v[f"{s}_reachable"]).all()
        # counts grow with the threshold
        cols = sorted(
            (c for c in v.columns if c.startswith(f"{s}_n_")),
            key=lambda c: int(c.split("_")[-1][:-3]),
        )
        for a, b in itertools.pairwise(cols):
            assert (v[a] <= v[b]).all()


@pytest.mark.slow
def test_demo_shows_urban_rural_gap(demo_run):
    result, _ = demo_run
    med = result.villages.groupby("area_type")["health_centre_nearest_min"].median()
    assert med["rural"] > med["urban"]


@pytest.mark.slow
def test_csv_matches_layer(demo_run):
    result, out = demo_run
    from accessibility.i18n import column_labels

    csv = pd.read_csv(out / "demo_villages.csv", encoding="utf-8-sig")
    # the demo speaks Chinese: the CSV's header is the readers' (the GeoPackage keeps the names)
    table = result.villages.reset_index()
    labels = column_labels(table.columns, "zh", result.standards_table, list(result.costs))
    # infinite minutes (no bus within reach) are an empty cell and a flag column beside it
    flags = [c for c in csv.columns if c.endswith("（不可达）")]
    assert flags and all(c[: -len("（不可达）")] in set(labels.values()) for c in flags)
    assert [c for c in csv.columns if c not in flags] == [
        labels[c] for c in table.columns if c != "geometry"
    ]
    assert not any(c.endswith("_is_inf") for c in csv.columns)
    csv = csv.rename(columns={v: k for k, v in labels.items()})
    assert csv["village_id"].tolist() == result.villages.index.tolist()
    np.testing.assert_allclose(csv["clinic_nearest_min"], result.villages["clinic_nearest_min"])
    assert csv["name"].str.contains("村").any()  # Chinese names survive


@pytest.mark.slow
def test_cli_demo_and_errors(tmp_path, capsys):
    assert main(["demo", "--out", str(tmp_path / "d"), "--quiet"]) == 0
    assert (tmp_path / "d" / "demo_accessibility.gpkg").exists()
    bad = tmp_path / "bad.toml"
    bad.write_text('[input]\nroads = "x.gpkg"\n[analysys]\nmode = "car"\n', encoding="utf-8")
    assert main(["run", str(bad), "--quiet"]) == 2
    err = capsys.readouterr().err
    assert "unknown key 'analysys'" in err and "Did you mean 'analysis'" in err


def test_project_file_errors(tmp_path):
    cfg = demo_project()
    assert "clinic" in cfg["services"]
    p = tmp_path / "p.toml"
    p.write_text(
        '[input]\nroads = "nowhere.gpkg"\nvillages = "v"\nfacilities = "f"\n', encoding="utf-8"
    )
    with pytest.raises(ConfigError, match="does not exist"):
        load_config(p)
    p.write_text("[services.clinic]\nthreshold_min = [15]\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="Did you mean 'thresholds_min'"):
        load_config(p)
    p.write_text('[analysis]\nthresholds_min = "15"\n', encoding="utf-8")
    with pytest.raises(ConfigError, match="wrong type"):
        load_config(p)


def test_missing_column_names_key_and_fix(tmp_path):
    demo = REPO / "data" / "demo_project.toml"
    text = demo.read_text(encoding="utf-8").replace(
        'population = "population"', 'population = "pop"'
    )
    for name in (
        "demo_county.gpkg",
        "demo_dem.tif",
        "demo_bus_lines.toml",
        "demo_bus_standards.toml",
    ):
        text = text.replace(f'"{name}"', f'"{REPO / "data" / name}"')
    p = tmp_path / "p.toml"
    p.write_text(text, encoding="utf-8")
    with pytest.raises(KeyError, match=r"column .pop.*\[columns\] population"):
        from accessibility.pipeline import run_project

        run_project(p, out_dir=tmp_path / "o")
    assert not (tmp_path / "o" / "demo_accessibility.gpkg").exists()


@pytest.mark.slow
def test_demo_standards_and_report(demo_run):
    result, out = demo_run
    v = result.villages
    # nearest times in the mode each standard is set in, and compliance per village
    assert {"clinic_walk_nearest_min", "health_centre_car_nearest_min"} <= set(v.columns)
    meets = [c for c in v.columns if c.endswith("_meets")]
    assert meets, "no standards evaluated"
    # a walking standard is met only where the walking time is within it
    html = (out / "demo_report.html").read_text(encoding="utf-8")
    assert "<img" in html and "http://" not in html and "https://" not in html
    towns = result.townships
    assert len(towns) == 11 and towns.geometry.geom_type.isin(["Polygon", "MultiPolygon"]).all()


@pytest.mark.slow
def test_dem_makes_mountain_walks_slower(demo_run, tmp_path):
    result, _ = demo_run
    assert "walk_times_from_dem" in result.network.report
    from accessibility.pipeline import run_project

    cfg = demo_project()
    cfg["network"]["dem"] = None
    cfg["output"].update(geopackage="", csv="", report="")
    flat = run_project(cfg, out_dir=tmp_path).villages
    hilly = result.villages
    mountain = hilly["terrain"] == "mountain"
    plain = hilly["terrain"] == "plain"
    d = hilly["clinic_nearest_min"] - flat["clinic_nearest_min"]
    # walking over hills takes longer on average; on the plain little changes
    assert d[mountain].mean() > 0.5
    assert d[mountain].mean() > d[plain].mean() + 0.5
    assert d[plain].abs().median() < 0.5


@pytest.mark.slow
def test_cli_scenario_and_site(tmp_path, capsys):
    scenario = REPO / "data" / "demo_scenarios" / "a_yunfeng_health_centre.toml"
    project = REPO / "data" / "demo_project.toml"
    out = tmp_path / "scen"
    assert main(["scenario", str(project), str(scenario), "--out", str(out), "-q"]) == 0
    printed = capsys.readouterr().out
    assert "health_centre" in printed
    assert list(out.glob("scenario_*.gpkg"))
    site_out = tmp_path / "site"
    code = main(
        ["site", str(project), "--service", "health_centre", "--objective", "mclp", "--p", "1",
         "--standard-min", "30", "--out", str(site_out), "-q"]
    )  # fmt: skip
    assert code == 0
    assert list(site_out.glob("*.gpkg"))
    bad = main(["site", str(project), "--service", "helth_centre", "--out", str(site_out), "-q"])
    assert bad == 2
    assert "Did you mean 'health_centre'" in capsys.readouterr().err


@pytest.mark.slow
def test_demo_catchments_and_radii(demo_run):
    result, out = demo_run
    gpkg = out / "demo_accessibility.gpkg"
    layers = set(gpd.list_layers(gpkg)["name"])
    assert {"catchments", "catchments_by_service", "coverage_radii"} <= layers
    with sqlite3.connect(gpkg) as con:
        styled = {r[0] for r in con.execute("select f_table_name from layer_styles")}
    assert {"catchments", "catchments_by_service"} <= styled
    by_service = result.extra_layers["catchments_by_service"]
    hc = by_service[by_service["service"] == "health_centre"].sort_values("band_min")
    assert hc["population"].is_monotonic_increasing  # nested bands cover more people
    cats = set(result.villages["health_centre_radius_vs_network"])
    assert cats <= {"both", "radius_only", "network_only", "neither"} and "both" in cats


def test_cli_check_reads_and_validates_the_layers(tmp_path, capsys):
    project = REPO / "data" / "demo_project.toml"
    assert main(["check", str(project), "-q"]) == 0
    assert "354 villages" in capsys.readouterr().out
    text = project.read_text(encoding="utf-8").replace(
        'capacity = "capacity"', 'capacity = "beds_total"'
    )
    for name in (
        "demo_county.gpkg",
        "demo_dem.tif",
        "demo_bus_lines.toml",
        "demo_bus_standards.toml",
    ):
        text = text.replace(f'"{name}"', f'"{REPO / "data" / name}"')
    bad = tmp_path / "p.toml"
    bad.write_text(text, encoding="utf-8")
    assert main(["check", str(bad), "-q"]) == 2
    assert "beds_total" in capsys.readouterr().err
