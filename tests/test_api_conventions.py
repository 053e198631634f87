"""The API conventions (docs/architecture.md, "API conventions"): cut-offs named by role with the
unit last and checked against the cost column, old names and orders kept for one release with a
FutureWarning, one return type per function."""

from __future__ import annotations

import pickle
import warnings

import numpy as np
import pandas as pd
import pytest

from accessibility import measures as M
from accessibility.errors import APIChangeWarning, ConfigError, CostUnitError, InvalidValueError


@pytest.fixture
def small() -> tuple[pd.DataFrame, pd.Series, pd.Series]:
    costs = pd.DataFrame(
        {
            "origin": ["A", "A", "B", "B", "C"],
            "destination": ["X", "Y", "X", "Y", "Y"],
            "travel_time_min": [5.0, 20.0, 15.0, 10.0, 25.0],
            "distance_m": [4000.0, 15000.0, 12000.0, 8000.0, 21000.0],
        }
    )
    demand = pd.Series({"A": 100.0, "B": 200.0, "C": 300.0})
    supply = pd.Series({"X": 10.0, "Y": 6.0})
    return costs, demand, supply


CATCHMENT_MEASURES = [
    M.two_sfca,
    M.m2sfca,
    M.three_sfca,
    M.bfca,
    M.gravity,
    M.cumulative,
    M.spatial_availability,
    M.capacity_coverage,
]


@pytest.mark.parametrize("fn", CATCHMENT_MEASURES, ids=lambda f: f.__name__)
def test_minutes_on_a_distance_column_is_refused(fn, small):
    # regression: limit_min=30 used to be applied to distance_m as 30 metres, silently
    costs, demand, supply = small
    with pytest.raises(CostUnitError, match=r"'distance_m'.*metres.*catchment_m="):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", FutureWarning)
            fn(costs, demand, supply, limit_min=30, cost="distance_m")
    with pytest.raises(CostUnitError, match=r"catchment_min=30.*'distance_m'"):
        fn(costs, demand, supply, catchment_min=30, cost="distance_m")


@pytest.mark.parametrize("fn", CATCHMENT_MEASURES, ids=lambda f: f.__name__)
def test_metres_on_a_time_column_is_refused(fn, small):
    costs, demand, supply = small
    with pytest.raises(CostUnitError, match=r"'travel_time_min'.*minutes.*catchment_min="):
        fn(costs, demand, supply, catchment_m=10_000)


@pytest.mark.parametrize("fn", CATCHMENT_MEASURES, ids=lambda f: f.__name__)
def test_old_name_warns_and_gives_the_same_result(fn, small):
    costs, demand, supply = small
    new = fn(costs, demand, supply, catchment_min=20)
    with pytest.warns(APIChangeWarning, match=r"limit_min= is now called catchment_min="):
        old = fn(costs, demand, supply, limit_min=20)
    if isinstance(new, pd.Series):
        pd.testing.assert_series_equal(old, new)
    else:
        pd.testing.assert_frame_equal(old.villages, new.villages)
    with pytest.raises(TypeError, match="both"):
        fn(costs, demand, supply, limit_min=20, catchment_min=20)


def test_distance_catchment_is_a_step_in_metres(small):
    costs, demand, supply = small
    by_m = M.two_sfca(costs, demand, supply, catchment_m=12_000, cost="distance_m")
    # the same pairs are inside 12 km as inside 15 min here
    by_min = M.two_sfca(costs, demand, supply, catchment_min=15)
    pd.testing.assert_series_equal(by_m, by_min)
    assert M.cumulative(costs, demand, supply, catchment_m=12_000, cost="distance_m").name == (
        "count_12000m"
    )


@pytest.mark.parametrize("fn", CATCHMENT_MEASURES, ids=lambda f: f.__name__)
def test_a_cutoff_is_converted_to_the_columns_unit_of_the_same_kind(fn, small):
    # 15 minutes on a column in seconds (or hours) is 900 s (0.25 h); 12,000 m on a column in
    # kilometres is 12 km: the same pairs, the same result as on the minute and metre columns
    costs, demand, supply = small
    same = costs.assign(
        time_s=costs["travel_time_min"] * 60.0,
        time_h=costs["travel_time_min"] / 60.0,
        distance_km=costs["distance_m"] / 1000.0,
    )
    ref_min = fn(costs, demand, supply, catchment_min=15)
    ref_m = fn(costs, demand, supply, catchment_m=12_000, cost="distance_m")
    pairs = [
        (fn(same, demand, supply, catchment_min=15, cost="time_s"), ref_min),
        (fn(same, demand, supply, catchment_min=15, cost="time_h"), ref_min),
        (fn(same, demand, supply, catchment_m=12_000, cost="distance_km"), ref_m),
    ]
    for got, ref in pairs:
        if isinstance(ref, pd.Series):
            np.testing.assert_allclose(got.to_numpy(), ref.to_numpy(), rtol=1e-12)
        else:
            pd.testing.assert_frame_equal(got.villages, ref.villages, check_exact=False)
    with pytest.raises(CostUnitError, match=r"'time_s' is in seconds; use catchment_min="):
        fn(same, demand, supply, catchment_m=12_000, cost="time_s")


def test_unit_from_attrs_when_the_name_does_not_say(small):
    costs, demand, supply = small
    costs = costs.rename(columns={"distance_m": "length"})
    costs.attrs["units"] = {"length": "m"}
    with pytest.raises(CostUnitError, match="'length' is in metres"):
        M.gravity(costs, demand, supply, catchment_min=30, cost="length")
    # an unknown unit is not checked
    costs.attrs.clear()
    assert M.gravity(costs, demand, supply, catchment_min=12_000, cost="length").sum() > 0


def test_one_cutoff_at_a_time(small):
    costs, demand, supply = small
    with pytest.raises(InvalidValueError, match="not several"):
        M.two_sfca(costs, demand, supply, catchment_min=10, catchment_m=10)


def test_measure_specs_new_and_old_keys(small):
    costs, demand, supply = small
    new = M.measure_table(costs, demand, supply, specs=[{"measure": "2sfca", "catchment_min": 20}])
    with pytest.warns(APIChangeWarning, match="'limit_min' is now called 'catchment_min'"):
        old = M.measure_table(costs, demand, supply, specs=[{"measure": "2sfca", "limit_min": 20}])
    pd.testing.assert_frame_equal(old, new)
    assert new.columns.tolist() == ["2sfca_20min"]
    dist = M.measure_table(
        costs,
        demand,
        supply,
        specs=[{"measure": "cumulative", "catchment_m": 12_000, "cost": "distance_m"}],
    )
    assert dist.columns.tolist() == ["count_12000m"]
    with pytest.raises(ConfigError, match="catchment_m"):
        M.measure_table(
            costs,
            demand,
            supply,
            specs=[{"measure": "2sfca", "catchment_min": 20, "cost": "distance_m"}],
        )


def test_new_errors_and_warnings_pickle():
    for obj in (CostUnitError("x"), APIChangeWarning("y")):
        back = pickle.loads(pickle.dumps(obj))
        assert type(back) is type(obj) and back.args == obj.args
    assert issubclass(CostUnitError, ConfigError) and issubclass(CostUnitError, ValueError)
    assert issubclass(APIChangeWarning, FutureWarning)


# --------------------------------------------------------------------------- argument order


def test_locate_network_first_and_the_old_order_warns():
    import accessibility as acc

    demo = acc.load_demo()
    net = acc.network_from_roads(demo.roads, tolerance_m=2.5)
    pts = demo.villages.head(5)
    new = acc.locate(net, pts, mode="car")
    with pytest.warns(APIChangeWarning, match=r"write locate\(network, points\)"):
        old = acc.locate(pts, net, mode="car")
    pd.testing.assert_frame_equal(old, new)
    with pytest.warns(APIChangeWarning):
        by_name = acc.locate(pts, network=net, mode="car")
    pd.testing.assert_frame_equal(by_name, new)


def test_compare_coverage_network_first_and_standard_min():
    import accessibility as acc
    from accessibility.catchments import compare_coverage

    demo = acc.load_demo()
    net = acc.network_from_roads(demo.roads, tolerance_m=2.5)
    hc = demo.facilities[demo.facilities["service"] == "health_centre"]
    villages = demo.villages.head(40)
    new = compare_coverage(net, villages, hc, radius_m=5000, standard_min=15, mode="car")
    with pytest.warns(APIChangeWarning) as caught:
        old = compare_coverage(villages, hc, net, radius_m=5000, band_min=15, mode="car")
    messages = " ".join(str(w.message) for w in caught)
    assert "compare_coverage(network, villages, facilities)" in messages
    assert "band_min= is now called standard_min=" in messages
    pd.testing.assert_frame_equal(old, new)


def test_options_that_became_keyword_only_still_work_by_position():
    from accessibility.siting import grid_candidates

    new = grid_candidates((0, 0, 1000, 500), spacing_m=250, crs="EPSG:32650")
    with pytest.warns(APIChangeWarning, match="spacing_m=, crs= by name"):
        old = grid_candidates((0, 0, 1000, 500), 250, "EPSG:32650")
    pd.testing.assert_frame_equal(old, new)
    with pytest.raises(TypeError, match="at most"):
        grid_candidates((0, 0, 1000, 500), 250, "EPSG:32650", 1)


def test_validate_roads_takes_the_speed_column_by_name():
    import accessibility as acc
    from accessibility.validate import validate_roads

    roads = acc.load_demo().roads.head(50).assign(speed_kmh=30.0)
    new = validate_roads(roads, "road_class", speed_column="speed_kmh")
    with pytest.warns(APIChangeWarning, match="speed_column= by name"):
        old = validate_roads(roads, "road_class", "speed_kmh")
    pd.testing.assert_frame_equal(old, new)


# --------------------------------------------------------------------------- one return type


def test_accessibility_layer_returns_one_type_and_with_costs_gives_both():
    import geopandas as gpd

    import accessibility as acc

    demo = acc.load_demo()
    net = acc.network_from_roads(demo.roads, tolerance_m=2.5)
    villages = demo.villages.head(30)
    args = (net, villages, demo.facilities)
    layer = acc.accessibility_layer(*args, services=["clinic"])
    assert isinstance(layer, gpd.GeoDataFrame)
    both = acc.accessibility_layer_with_costs(*args, services=["clinic"])
    assert isinstance(both, acc.LayerWithCosts)
    pd.testing.assert_frame_equal(both.layer, layer)
    assert list(both.costs) == ["clinic"] and len(both.costs["clinic"]) > 0
    with pytest.warns(APIChangeWarning, match="accessibility_layer_with_costs") as caught:
        old_layer, old_costs = acc.accessibility_layer(
            *args, services=["clinic"], return_costs=True
        )
    # the warning names the caller's line, so a user can find it (and filter it by module)
    assert {w.filename for w in caught if w.category is APIChangeWarning} == {__file__}
    pd.testing.assert_frame_equal(old_layer, layer)
    pd.testing.assert_frame_equal(old_costs["clinic"], both.costs["clinic"])


# --------------------------------------------------------------------------- the repo itself


def test_project_file_old_keys_still_work():
    import tomllib
    from pathlib import Path

    from accessibility.project.config import validate_config

    path = Path(__file__).parent.parent / "data" / "demo_project.toml"
    raw = tomllib.loads(path.read_text(encoding="utf-8"))
    raw["catchments"] = {"services": ["clinic"], "bands_min": [10, 20]}
    with pytest.warns(APIChangeWarning, match=r"\[catchments\] bands_min is now called"):
        cfg = validate_config(raw, base_dir=path.parent)
    assert cfg["catchments"]["thresholds_min"] == [10, 20]
    raw["catchments"]["thresholds_min"] = [10]
    with pytest.raises(ConfigError, match="thresholds_min only"):
        validate_config(raw, base_dir=path.parent)


def test_the_demo_project_file_uses_no_old_name():
    import accessibility as acc
    from accessibility.measures import measure_reaches

    with warnings.catch_warnings():
        warnings.simplefilter("error", FutureWarning)
        cfg = acc.demo_project()
        for spec in cfg["services"].values():
            measure_reaches(spec["measures"] or [])


@pytest.mark.slow
def test_the_demo_runs_without_a_future_warning(tmp_path):
    import accessibility as acc

    with warnings.catch_warnings():
        warnings.simplefilter("error", FutureWarning)
        acc.run_demo(tmp_path)


def test_the_warning_points_at_the_callers_line(small):
    costs, demand, supply = small
    with pytest.warns(APIChangeWarning) as caught:
        M.two_sfca(costs, demand, supply, limit_min=20)
    assert caught[0].filename == __file__


def test_decorated_functions_keep_their_signature_and_pickle():
    import inspect

    import accessibility as acc

    for fn in (acc.two_sfca, acc.locate, acc.capacity_coverage, acc.network_catchments):
        assert pickle.loads(pickle.dumps(fn)) is fn
    assert "catchment_min" in inspect.signature(acc.two_sfca).parameters
    assert "limit_min" not in inspect.signature(acc.two_sfca).parameters
    assert list(inspect.signature(acc.locate).parameters)[:2] == ["network", "points"]
