"""The API conventions (docs/architecture.md, "API conventions"): cut-offs named by role with the
unit last and checked against the cost column, old names and orders kept for one release with a
FutureWarning, one return type per function."""

from __future__ import annotations

import pickle
import warnings

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
