"""validate_config: value checks beyond the schema's types (paths, speeds, distances, minutes).

Found by the fuzz tests (tests/test_fuzz.py, bug 8 in docs/reliability.md): non-text paths crashed
with a TypeError, and NaN, negative or infinite distances and speeds were accepted silently.
"""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from accessibility.config import load_config, validate_config
from accessibility.errors import ConfigError

EXISTING = str(Path(__file__).resolve())
REPO = Path(__file__).resolve().parents[1]


def _raw(**sections) -> dict:
    raw = {"input": {"roads": EXISTING, "villages": EXISTING, "facilities": EXISTING}}
    for name, table in sections.items():
        raw.setdefault(name, {}).update(table)
    return raw


def test_a_minimal_project_is_valid_and_complete():
    cfg = validate_config(_raw())
    assert cfg["network"]["tolerance_m"] == 1.0 and cfg["input"]["roads"] == EXISTING


@pytest.mark.parametrize(
    "section,key,value",
    [
        ("input", "roads", 5),
        ("input", "villages", ["a.gpkg"]),
        ("input", "townships", True),
        ("input", "villages_layer", 1.5),
        ("network", "dem", 5),
        ("columns", "village_id", 3),
        ("equity", "standards", 7),
    ],
)
def test_paths_and_names_must_be_text(section, key, value):
    with pytest.raises(ConfigError, match=rf"\[{section}\] {key} = .*(must be|wrong type)"):
        validate_config(_raw(**{section: {key: value}}))


def test_a_layer_may_be_given_by_number():
    assert validate_config(_raw(input={"villages_layer": 0}))["input"]["villages_layer"] == 0


@pytest.mark.parametrize(
    "section,key,value",
    [
        ("network", "tolerance_m", math.nan),
        ("network", "tolerance_m", -1.0),
        ("network", "max_snap_m", 0.0),
        ("network", "max_snap_m", math.inf),
        ("network", "connector_speed_kmh", -5.0),
        ("catchments", "walk_speed_kmh", math.nan),
        ("catchments", "simplify_m", -1.0),
        ("catchments", "compare_band_min", 0),
        ("analysis", "max_time_min", math.inf),
    ],
)
def test_distances_speeds_and_minutes_must_be_finite_and_positive(section, key, value):
    with pytest.raises(ConfigError, match=rf"\[{section}\] {key} = .*finite number"):
        validate_config(_raw(**{section: {key: value}}))


def test_zero_tolerance_and_simplification_are_allowed():
    cfg = validate_config(_raw(network={"tolerance_m": 0}, catchments={"simplify_m": 0.0}))
    assert cfg["network"]["tolerance_m"] == 0 and cfg["catchments"]["simplify_m"] == 0.0


@pytest.mark.parametrize(
    "section,key,value",
    [
        ("analysis", "thresholds_min", [15, math.nan]),
        ("analysis", "thresholds_min", [True]),
        ("analysis", "thresholds_min", []),
        ("catchments", "bands_min", [5, -10]),
    ],
)
def test_minute_lists_must_be_positive_numbers(section, key, value):
    with pytest.raises(ConfigError, match=rf"\[{section}\] {key} must be a list of positive"):
        validate_config(_raw(**{section: {key: value}}))


def test_service_thresholds_are_checked_too():
    raw = _raw()
    raw["services"] = {"clinic": {"thresholds_min": [math.inf]}}
    with pytest.raises(ConfigError, match=r"\[services.clinic\] thresholds_min"):
        validate_config(raw)


@pytest.mark.parametrize(
    "speeds,match",
    [
        (5, r"\[network\] speeds = 5: must be a table per mode"),
        ({"car": 5}, r"\[network.speeds\] car = 5: must be a table of road class"),
        ({"car": {"county": "fast"}}, r"\[network.speeds.car\] county = 'fast'"),
        ({"car": {"county": -1}}, r"\[network.speeds.car\] county = -1"),
        ({"car": {"county": math.nan}}, r"\[network.speeds.car\] county = nan"),
        ({"car": {"county": True}}, r"\[network.speeds.car\] county = True"),
    ],
)
def test_speed_overrides_must_be_tables_of_km_per_hour(speeds, match):
    with pytest.raises(ConfigError, match=match):
        validate_config(_raw(network={"speeds": speeds}))


def test_valid_speed_overrides_pass_through():
    speeds = {"car": {"county": 45, "village": 0}, "walk": {"track": 4.5}}
    assert validate_config(_raw(network={"speeds": speeds}))["network"]["speeds"] == speeds


def test_radii_must_be_positive_metres():
    with pytest.raises(ConfigError, match=r"\[catchments.radii_m\] clinic = -5"):
        validate_config(_raw(catchments={"radii_m": {"clinic": -5}}))
    with pytest.raises(ConfigError, match=r"\[catchments\] radii_m = 5"):
        validate_config(_raw(catchments={"radii_m": 5}))


def test_the_demo_project_file_is_valid():
    cfg = load_config(REPO / "data" / "demo_project.toml")
    assert cfg["network"]["tolerance_m"] > 0


@pytest.mark.parametrize(
    "key,name,fix",
    [
        ("geopackage", "villages.csv", 'geopackage = "villages.gpkg"'),
        ("geopackage", "project.toml", 'geopackage = "project.gpkg"'),
        ("csv", "result.gpkg", 'csv = "result.csv"'),
        ("report", "report.pdf", 'report = "report.html"'),
    ],
)
def test_output_names_must_have_their_formats_ending(key, name, fix):
    # found by tests/test_reliability_properties.py: GDAL picks the driver by the ending, so a
    # GeoPackage named *.csv was written as CSV and the run died after all the routing
    with pytest.raises(ConfigError, match=rf"\[output\] {key} = '{name}': must end with") as err:
        validate_config(_raw(output={key: name}))
    assert fix in str(err.value)


def test_output_names_may_be_empty_to_skip_and_any_case():
    cfg = validate_config(_raw(output={"report": "", "geopackage": "Result.GPKG"}))
    assert cfg["output"]["report"] == "" and cfg["output"]["geopackage"] == "Result.GPKG"


def test_bare_non_ascii_key_gets_the_quoted_fix(tmp_path):
    # TOML bare keys are ASCII only: `县道 = 45` is invalid, `"县道" = 45` is the fix
    p = tmp_path / "p.toml"
    p.write_text('[network]\nprofile = "china"\n\n[network.speeds.car]\n县道 = 45\n', "utf-8")
    with pytest.raises(ConfigError) as info:
        load_config(p)
    msg = str(info.value)
    assert "line 5" in msg and "must be quoted" in msg and '"县道" = 45' in msg
    # another TOML error keeps tomllib's message, without the hint
    p.write_text("[network]\nprofile = \n", "utf-8")
    with pytest.raises(ConfigError, match="is not valid TOML") as info:
        load_config(p)
    assert "quoted" not in str(info.value)


def test_equity_groups_other_than_area_type_and_township_are_refused():
    # [equity] groups was documented but never read: a column named there was silently ignored
    with pytest.raises(ConfigError, match=r"\[equity\] groups = .*'county' cannot be used") as err:
        validate_config(_raw(equity={"groups": ["area_type", "county"]}))
    assert "[columns] area_type ('area_type')" in str(err.value)
    # by key or by the column name set in [columns]; the defaults work with renamed columns
    for groups in (["area_type", "乡镇"], ["township"], ["area_type", "township"]):
        cfg = validate_config(_raw(equity={"groups": groups}, columns={"township": "乡镇"}))
        assert cfg["equity"]["groups"] == groups
    validate_config(_raw(columns={"area_type": "", "township": ""}))  # no such columns at all


@pytest.mark.parametrize("value", [30, "30"])
def test_a_service_threshold_that_is_not_a_list_is_an_error_naming_the_service(value):
    import pandas as pd

    from accessibility.errors import InvalidValueError
    from accessibility.project.specs import service_specs

    fac = pd.DataFrame({"service": ["clinic"]})
    with pytest.raises(InvalidValueError, match=r"thresholds_min for 'clinic' must be a list"):
        service_specs(
            fac, {"clinic": {"thresholds_min": value}}, service_column="service", mode="walk",
            thresholds_min=[15], max_time_min=None, demand="population", supply=None,
        )  # fmt: skip


def test_a_services_demand_and_supply_default_to_the_columns_names():
    # a county project names its columns in Chinese; a [services.X] table without demand/supply
    # must use them (it used the literal "population"/"capacity" and failed as soon as a
    # service had measures)
    cfg = validate_config(
        _raw(
            columns={"population": "户籍人口", "capacity": "床位数"},
            services={"clinic": {"measures": ["2sfca"]}, "school": {"demand": "学龄人口"}},
        )
    )
    assert cfg["services"]["clinic"]["demand"] == "户籍人口"
    assert cfg["services"]["clinic"]["supply"] == "床位数"
    assert cfg["services"]["school"]["demand"] == "学龄人口"
