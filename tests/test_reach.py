"""A cost table reaches every time an output needs; `check` validates what does not need routing;
any service names work with the standards and the report (reliability issue #15, items 4, 12, 13).
"""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest

import accessibility as acc
from accessibility import measures
from accessibility.cli import main
from accessibility.errors import ConfigError, InvalidValueError, MissingColumnError
from accessibility.pipeline import accessibility_layer, demo_project, run_project
from accessibility.project import evaluate as ev
from accessibility.project import layer as pl
from accessibility.standards import load_standards
from accessibility.validate import InputWarning

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def demo():
    return acc.load_demo()


@pytest.fixture(scope="module")
def net(demo):
    return acc.network_from_roads(demo.roads, tolerance_m=2.5)


@pytest.fixture(scope="module")
def centres(demo):
    return demo.facilities[demo.facilities["service"] == "health_centre"]


@pytest.fixture(scope="module")
def uncut(net, demo, centres):
    """Car times to the health centres with no cut-off at all."""
    return acc.travel_costs(net, demo.villages, centres, mode="car", max_time_min=np.inf)


def _no_routing(monkeypatch):
    def boom(*args, **kwargs):
        raise AssertionError("routing was started")

    monkeypatch.setattr(pl, "travel_costs", boom)
    monkeypatch.setattr(ev, "travel_costs", boom)
    monkeypatch.setattr(ev, "nearest_costs", boom)


# ------------------------------------------------------------------------------------------
# item 4: a measure whose limit exceeds the largest threshold


SPECS = [
    {"measure": "2sfca", "limit_min": 30},
    {"measure": "gravity", "decay": {"kind": "exponential", "half_life_min": 20}},
    {"measure": "nearest"},
]


def test_measure_limit_beyond_thresholds_is_computed_on_a_table_that_reaches_it(
    net, demo, centres, uncut
):
    layer, costs = accessibility_layer(
        net,
        demo.villages,
        centres,
        services={"health_centre": {"supply": "doctors", "measures": SPECS}},
        thresholds_min=[15],
        return_costs=True,
    )
    pop, doctors = demo.villages["population"], centres["doctors"]
    ref = measures.two_sfca(uncut, pop, doctors, limit_min=30)
    np.testing.assert_allclose(layer["health_centre_2sfca_30min"], ref.reindex(layer.index))
    # the routing reached 30 min; the table says so
    assert costs["health_centre"]["travel_time_min"].max() > 15
    assert costs["health_centre"].attrs["max_time_min"] == 30
    # a decay that never reaches 0 is cut at the service's max_time_min (the largest threshold),
    # whatever other measures need, and the layer says so
    cut15 = uncut[uncut["travel_time_min"] <= 15]
    g = measures.gravity(cut15, pop, doctors, decay=acc.decay.exponential(half_life_min=20))
    np.testing.assert_allclose(layer["health_centre_gravity_exp_hl20min"], g.reindex(layer.index))
    cutoff = layer.attrs["measure_cutoff_min"]
    assert cutoff["health_centre_2sfca_30min"] == 30
    assert cutoff["health_centre_gravity_exp_hl20min"] == 15
    assert cutoff["health_centre_nearest_min"] == 15
    # counts stay those of their own threshold
    n15 = uncut[uncut["travel_time_min"] <= 15].groupby("origin").size()
    assert (layer["health_centre_n_15min"] == n15.reindex(layer.index, fill_value=0)).all()


def test_project_file_measure_beyond_thresholds_matches_an_uncut_table(
    tmp_path, demo, centres, uncut
):
    cfg = demo_project()
    cfg["analysis"]["thresholds_min"] = [15]
    cfg["services"] = {
        "health_centre": {
            **cfg["services"]["health_centre"],
            "thresholds_min": [15],
            "measures": [{"measure": "2sfca", "limit_min": 30}],
        }
    }
    cfg["catchments"]["services"] = []
    cfg["catchments"]["radii_m"] = {}
    cfg["equity"]["standards"] = "none"
    cfg["network"]["dem"] = None
    cfg["output"]["report"] = ""
    result = run_project(cfg, out_dir=tmp_path)
    ref = measures.two_sfca(uncut, demo.villages["population"], centres["doctors"], limit_min=30)
    got = result.villages["health_centre_2sfca_30min"]
    np.testing.assert_allclose(got, ref.reindex(got.index))


@pytest.mark.parametrize("where", ["argument", "service"])
def test_explicit_max_time_below_a_measure_limit_is_refused_before_routing(
    where, net, demo, centres, monkeypatch
):
    _no_routing(monkeypatch)
    spec = {"supply": "doctors", "measures": [{"measure": "2sfca", "limit_min": 30}]}
    kw = {"max_time_min": 15}
    if where == "service":
        spec, kw = {**spec, "max_time_min": 15}, {}
    with pytest.raises(ConfigError) as err:
        accessibility_layer(
            net, demo.villages, centres, services={"health_centre": spec}, thresholds_min=[15], **kw
        )
    msg = str(err.value)
    assert "health_centre" in msg and "2sfca" in msg and "15" in msg and "30" in msg
    assert "max_time_min" in msg


def test_explicit_max_time_below_a_threshold_is_refused(net, demo, centres, monkeypatch):
    _no_routing(monkeypatch)
    with pytest.raises(ConfigError, match=r"health_centre.*60.*max_time_min.*30"):
        accessibility_layer(net, demo.villages, centres, thresholds_min=[15, 60], max_time_min=30)


def test_explicit_max_time_that_reaches_the_limits_is_used(net, demo, centres, uncut):
    layer, costs = accessibility_layer(
        net,
        demo.villages,
        centres,
        services={"health_centre": {"supply": "doctors", "measures": SPECS}},
        thresholds_min=[15],
        max_time_min=40,
        return_costs=True,
    )
    assert costs["health_centre"].attrs["max_time_min"] == 40
    assert layer.attrs["measure_cutoff_min"]["health_centre_gravity_exp_hl20min"] == 40


def test_standards_times_do_not_depend_on_the_routing_limit(net, demo, centres, uncut):
    # the standards are checked on nearest times, which are searched without any cut-off
    layer = accessibility_layer(
        net, demo.villages, centres, thresholds_min=[5], nearest_modes={"health_centre": ["car"]}
    )
    best = uncut.groupby("origin")["travel_time_min"].min().reindex(layer.index)
    np.testing.assert_allclose(layer["health_centre_car_nearest_min"], best)
    np.testing.assert_allclose(layer["health_centre_nearest_min"], best)
    assert (best > 5).sum() > 100


def test_travel_costs_records_its_cut_off_and_measures_refuse_a_shorter_table(net, demo, centres):
    cut = acc.travel_costs(net, demo.villages, centres, mode="car", max_time_min=15)
    assert cut.attrs["max_time_min"] == 15
    pop, doctors = demo.villages["population"], centres["doctors"]
    with pytest.raises(InvalidValueError, match=r"15 min.*30 min.*max_time_min=30"):
        measures.two_sfca(cut, pop, doctors, limit_min=30)
    with pytest.raises(InvalidValueError, match="30"):
        measures.cumulative(cut, pop, doctors, limit_min=30)
    with pytest.raises(InvalidValueError, match="60"):
        measures.three_sfca(cut, pop, doctors)  # default zones reach 60 min
    with pytest.raises(InvalidValueError, match="30"):
        measures.e2sfca(cut, pop, doctors)  # default zones reach 30 min
    with pytest.raises(InvalidValueError, match="30"):
        measures.cumulative_intervals(cut, pop, doctors, breaks_min=[0, 15, 30])
    with pytest.raises(InvalidValueError, match="30"):
        measures.kd2sfca(cut, pop, doctors, bandwidth_min=30)
    with pytest.raises(InvalidValueError, match="30"):
        measures.measure_table(cut, pop, doctors, specs=[{"measure": "bfca", "limit_min": 30}])
    with pytest.raises(InvalidValueError, match="30"):
        from accessibility.coverage import capacity_coverage

        capacity_coverage(cut, pop, doctors * 2500, limit_min=30)
    # within the cut-off, and decays that never reach 0, are fine
    ok = measures.two_sfca(cut, pop, doctors, limit_min=15)
    assert ok.notna().all()
    measures.gravity(cut, pop, doctors, decay=acc.decay.exponential(half_life_min=20))
    # a table without the record (e.g. read from a CSV) is taken as it is
    plain = pd.DataFrame(cut)
    plain.attrs = {}
    measures.two_sfca(plain, pop, doctors, limit_min=30)


# ------------------------------------------------------------------------------------------
# item 12: `check` validates everything that does not need routing


def _project(tmp_path: Path, text: str) -> Path:
    for name in (
        "demo_county.gpkg",
        "demo_dem.tif",
        "demo_bus_lines.toml",
        "demo_bus_standards.toml",
    ):
        text = text.replace(f'"{name}"', f'"{REPO / "data" / name}"')
    p = tmp_path / "p.toml"
    p.write_text(text, encoding="utf-8")
    return p


def _demo_text() -> str:
    return (REPO / "data" / "demo_project.toml").read_text(encoding="utf-8")


BAD_PROJECTS = {
    "area_type": (
        ('area_type = "area_type"', 'area_type = "urban_rural"'),
        ["'urban_rural'", "[columns] area_type"],
    ),
    "income": (
        ('income = "income_yuan"', 'income = "income"'),
        ["'income'", "[equity] income", "income_yuan"],
    ),
    "township": (
        ('township = "township"', 'township = "town"'),
        ["'town'", "[columns] township"],
    ),
    "catchment service": (
        ('services = ["health_centre", "clinic"]', 'services = ["health_center", "clinic"]'),
        ["health_center", "[catchments] services", "Did you mean 'health_centre'"],
    ),
    "measure key": (
        ('{ measure = "2sfca", catchment_min = 60 }', '{ measure = "2sfca", limit = 60 }'),
        ["[services.hospital]", "'limit'", "limit_min"],
    ),
    "decay spec": (
        ('kind = "exponential", half_life_min = 30', 'kind = "exponential", halflife = 30'),
        ["[services.hospital]", "halflife", "half_life_min"],
    ),
    "radius service": (
        ("radii_m = { health_centre = 5000.0", "radii_m = { health_centr = 5000.0"),
        ["health_centr", "[catchments] radii_m"],
    ),
}


@pytest.mark.parametrize("case", sorted(BAD_PROJECTS))
def test_check_finds_what_the_run_would_fail_on(case, tmp_path, capsys):
    (old, new), expected = BAD_PROJECTS[case]
    text = _demo_text()
    assert old in text
    p = _project(tmp_path, text.replace(old, new))
    assert main(["check", str(p), "-q"]) == 2
    err = capsys.readouterr().err
    for part in expected:
        assert part in err, (part, err)


def test_check_and_run_agree_on_a_missing_area_type_column(tmp_path, monkeypatch, capsys):
    p = _project(tmp_path, _demo_text().replace('area_type = "area_type"', 'area_type = "ut"'))
    assert main(["check", str(p), "-q"]) == 2
    assert "[columns] area_type" in capsys.readouterr().err
    _no_routing(monkeypatch)
    with pytest.raises(MissingColumnError, match=r"'ut'.*\[columns\] area_type"):
        run_project(p, out_dir=tmp_path / "o")
    assert not (tmp_path / "o").exists() or not any((tmp_path / "o").iterdir())


def test_check_passes_the_demo(capsys):
    assert main(["check", str(REPO / "data" / "demo_project.toml"), "-q"]) == 0
    assert "OK" in capsys.readouterr().out


# ------------------------------------------------------------------------------------------
# item 13: services that no built-in standard knows


@pytest.mark.slow
def test_services_unknown_to_the_standards_run_and_the_report_says_so(tmp_path, demo):
    rename = {"health_centre": "clinic_x", "junior_school": "school_a"}
    fac = demo.facilities[demo.facilities["service"].isin(list(rename))].copy()
    fac["service"] = fac["service"].map(rename)
    gpkg = tmp_path / "renamed.gpkg"
    fac.reset_index().to_file(gpkg, layer="facilities")
    cfg = demo_project()
    cfg["input"]["facilities"] = str(gpkg)
    cfg["services"] = {new: {**cfg["services"][old], "mode": "car"} for old, new in rename.items()}
    cfg["catchments"]["services"] = []
    cfg["catchments"]["radii_m"] = {}
    cfg["network"]["dem"] = None
    with pytest.warns(InputWarning, match=r"no standard applies.*clinic_x.*health_centre"):
        result = run_project(cfg, out_dir=tmp_path / "out")
    html = (tmp_path / "out" / "demo_report.html").read_text(encoding="utf-8")
    assert "No standard applies" in html
    assert "clinic_x" in html and "school_a" in html
    assert "health_centre" in html  # the services the standards know are listed
    assert "[equity] standards" in html  # and how to give your own
    assert not [c for c in result.villages.columns if c.endswith("_meets")]


def test_report_of_services_no_standard_knows_says_so_instead_of_crashing():
    from accessibility.report import report_html, report_tables

    villages = pd.DataFrame(
        {
            "school_a_nearest_min": [5.0, 12.0, np.nan, 30.0],
            "population": [100.0, 200.0, 50.0, 80.0],
            "area_type": ["urban", "rural", "rural", "rural"],
        },
        index=pd.Index(["a", "b", "c", "d"], name="village_id"),
    )
    t = report_tables(villages, services=["school_a"], mode=None, clusters=False)
    html = report_html(t, villages)  # was KeyError: 'name' (the distributions chart)
    assert "No standard applies" in html and "school_a" in html
    assert "write_default_standards" in html and "primary_school" in html


def test_report_leaves_out_the_township_breakdown_when_groups_do(tmp_path):
    # [equity] groups = ["area_type"]: the report has no per-township tables
    from accessibility.project import readers

    cfg = demo_project()
    result = SimpleNamespace(
        villages=pd.DataFrame({"income_yuan": [1.0]}), townships=None, costs={}
    )
    assert readers._report_options(result, cfg, load_standards())["unit"] == "township"
    cfg["equity"]["groups"] = ["area_type"]
    assert readers._report_options(result, cfg, load_standards())["unit"] == ""
