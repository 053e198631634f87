"""The project file's [tiers], [audit] and [indicators] (accessibility.project.tiers)."""

from __future__ import annotations

import tomllib

import numpy as np
import pytest

from accessibility.datasets import demo_path
from accessibility.errors import ConfigError
from accessibility.project import validate_config


def _raw() -> dict:
    text = (demo_path().parent / "demo_project.toml").read_text(encoding="utf-8")
    return tomllib.loads(text)


def _validate(raw: dict) -> dict:
    return validate_config(raw, base_dir=demo_path().parent)


def test_demo_project_has_three_tier_groups_the_audit_and_indicators():
    cfg = _validate(_raw())
    assert set(cfg["tiers"]) == {"health", "school", "elder"}
    assert cfg["tiers"]["health"]["values"] == {"village": 1, "township": 2, "county": 3}
    assert cfg["tiers"]["elder"]["population"] == "pop_elderly"  # shares count old people
    assert cfg["tiers"]["health"]["population"] is None  # [columns] population
    assert cfg["audit"]["schools"].endswith("demo_county.gpkg")
    assert cfg["indicators"]["use"] == "default"


def test_a_project_without_the_sections_has_none():
    raw = _raw()
    for key in ("tiers", "audit", "indicators"):
        raw.pop(key)
    cfg = _validate(raw)
    assert cfg["tiers"] == {} and cfg["audit"] == {} and cfg["indicators"] == {}


@pytest.mark.parametrize(
    ("section", "change", "message"),
    [
        ("tiers", {"health": {"services": ["clinic"], "colum": "level"}}, "Did you mean"),
        ("tiers", {"health": {"column": "level"}}, "services"),
        ("tiers", {"health": {"services": ["clinic"], "values": {"village": 0}}}, ">= 1"),
        ("tiers", {"health": {"services": ["clinic"], "max_time_min": -5}}, "max_time_min"),
        ("audit", {"schools_layer": "schools"}, "needs schools"),
        ("audit", {"schools": "missing.gpkg"}, "does not exist"),
        ("indicators", {"x": {"kind": "per_1000", "services": ["elder_care"]}}, "supply"),
        ("indicators", {"use": "mine"}, "use"),
    ],
)
def test_bad_sections_are_refused_with_the_key(section, change, message):
    raw = _raw()
    raw[section] = change
    with pytest.raises(ConfigError, match=message):
        _validate(raw)


@pytest.mark.slow
def test_a_run_writes_tier_columns_layers_and_report(tmp_path):
    import geopandas as gpd

    from accessibility.project import run_project

    raw = _raw()
    raw["services"] = {k: raw["services"][k] for k in ("clinic", "health_centre", "hospital")}
    raw["analysis"]["services"] = None
    raw.pop("catchments")
    raw["tiers"] = {"health": raw["tiers"]["health"]}
    raw["output"]["folder"] = str(tmp_path)
    result = run_project(_validate(raw), out_dir=tmp_path)
    v = result.villages
    for col in ("health_tier1_min", "health_tier2_min", "health_tier3_min", "health_referral_min"):
        assert col in v.columns
    # the chain starts with the trip to the nearest clinic: never shorter than that leg
    assert (v["health_referral_min"] >= v["health_tier1_min"]).all()
    # the first leg of the chain is the village's own nearest clinic
    clinics = result.facilities.index[result.facilities["level"] == "village"]
    assert v["health_tier1_id"].dropna().isin(clinics).all()
    gpkg = result.files["geopackage"]
    layers = set(gpd.list_layers(gpkg)["name"])
    assert {"referrals", "tier_closure", "schools_audit", "named_indicators"} <= layers
    ups = gpd.read_file(gpkg, layer="tier_upgrades")
    assert set(ups["tier"]) == {1, 2} and (ups.groupby("tier")["rank"].min() == 1).all()
    assert (ups["person_min_saved"] >= 0).all()
    closure = gpd.read_file(gpkg, layer="tier_closure")
    assert closure["share_outside"].between(0, 1).all()
    schools = gpd.read_file(gpkg, layer="schools_audit")
    assert {"key_teachers_per_100_pupils_met", "meets_resource_rule"} <= set(schools.columns)
    assert schools.geometry.notna().all()
    refs = gpd.read_file(gpkg, layer="referrals")
    assert (refs["to_tier"] > refs["from_tier"]).all() and np.isfinite(refs["time_min"]).all()
    text = result.files["report"].read_text(encoding="utf-8")
    assert 'id="tiers"' in text and 'id="school-audit"' in text
    assert "社区卫生服务设施步行15分钟覆盖率" in text


def test_tier_and_audit_layers_get_their_own_styles():
    import geopandas as gpd
    from shapely.geometry import LineString, Point, box

    from accessibility.styles import default_qml

    refs = gpd.GeoDataFrame(
        {"population": [10.0, 80.0]}, geometry=[LineString([(0, 0), (1, 1)])] * 2
    )
    schools = gpd.GeoDataFrame(
        {"indicators_met": [7, 4], "name": ["a", "b"]}, geometry=[Point(0, 0)] * 2
    )
    closure = gpd.GeoDataFrame({"share_outside": [0.1]}, geometry=[box(0, 0, 1, 1)])
    assert 'attr="population"' in default_qml("referrals", refs)
    assert 'attr="indicators_met"' in default_qml("schools_audit", schools)
    assert 'attr="share_outside"' in default_qml("tier_closure", closure)


@pytest.mark.slow
def test_a_scenario_upgrade_gives_tier_times_before_and_after(tmp_path):
    from accessibility.planning import run_scenario

    raw = _raw()
    raw["services"] = {k: raw["services"][k] for k in ("clinic", "health_centre", "hospital")}
    raw.pop("catchments")
    raw["tiers"] = {"health": raw["tiers"]["health"]}
    raw.pop("audit")
    raw.pop("indicators")
    raw["output"]["folder"] = str(tmp_path)
    cfg = _validate(raw)
    scenario = {
        "scenario": {"name": "upgrade"},
        "upgrade_facility": [{"id": "CL061", "to": "township", "service": "health_centre"}],
    }
    res = run_scenario(cfg, scenario, out_dir=tmp_path)
    v = res.villages
    before, after = v["health_tier2_min_before"], v["health_tier2_min_after"]
    assert (after <= before + 1e-9).all() and (after < before - 1).any()
    assert "health_referral_saved_min" in v.columns
    # the per-service evaluation agrees: the health-centre times after are the tier-2 times after
    np.testing.assert_allclose(v["health_centre_nearest_min_after"].fillna(np.inf), after.to_numpy()
                               , rtol=0, atol=1e-6)  # fmt: skip


def test_a_facility_without_a_tier_is_left_out_with_a_warning():
    import geopandas as gpd
    from shapely.geometry import Point

    from accessibility.errors import InputWarning
    from accessibility.project.tiers import TIER_KEYS, group_tiers

    fac = gpd.GeoDataFrame(
        {"service": ["clinic", "health_centre"], "level": ["village", None]},
        geometry=[Point(0, 0), Point(1, 1)],
        index=["C1", "HC_NEW"],
    )
    group = {**TIER_KEYS, "services": ["clinic", "health_centre"], "column": "level",
             "values": {"village": 1, "township": 2}}  # fmt: skip
    with pytest.warns(InputWarning, match="HC_NEW"):
        tiers = group_tiers(fac, group, "service")
    assert tiers.to_dict() == {"C1": 1}
