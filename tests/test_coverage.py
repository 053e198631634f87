"""Capacity-filled coverage: a hand-worked example and a brute-force reference on random cases.

Hand-worked example::

    village  population   cost to X   cost to Y          facility  capacity
    A        100          5           20                 X         250
    B        200          15          10                 Y         400
    C        300          40          25
    D         50          -           -
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from accessibility.coverage import CoverageResult, capacity_coverage
from accessibility.errors import InvalidValueError


@pytest.fixture
def small():
    pop = pd.Series([100.0, 200.0, 300.0, 50.0], index=pd.Index(list("ABCD"), name="village_id"))
    cap = pd.Series([250.0, 400.0], index=pd.Index(["X", "Y"], name="facility_id"))
    costs = pd.DataFrame(
        {
            "origin": ["A", "A", "B", "B", "C", "C"],
            "destination": ["X", "Y", "X", "Y", "X", "Y"],
            "travel_time_min": [5.0, 20.0, 15.0, 10.0, 40.0, 25.0],
        }
    )
    return costs, pop, cap


def test_hand_worked_capacity_order_split(small):
    costs, pop, cap = small
    res = capacity_coverage(costs, pop, cap)
    assert isinstance(res, CoverageResult)
    f, v = res.facilities, res.villages
    # Y (400) goes first: B at 10 min (200), A at 20 (100), then C at 25 gets the last 100.
    # X (250) then finds A and B covered and takes the remaining 200 of C at 40 min.
    assert f.order.tolist() == [2, 1]
    assert f.population_covered.tolist() == [200, 400]
    assert f.capacity_left.tolist() == [50, 0]
    assert f.filled.tolist() == [False, True]
    assert f.filled_at_min.iloc[1] == 25 and math.isnan(f.filled_at_min.iloc[0])
    assert f.farthest_min.tolist() == [40, 25]
    assert v.covered.tolist() == [100, 200, 300, 0]
    assert v.residual.tolist() == [0, 0, 0, 50]
    assert v.covered_share.tolist() == [1, 1, 1, 0]
    # the facility that covered most of each village: C got 100 from Y but 200 from X
    assert v.facility.iloc[:3].tolist() == ["Y", "Y", "X"] and pd.isna(v.facility.iloc[3])
    assert v.n_facilities.tolist() == [1, 1, 2, 0]
    assert res.coverage_rate == pytest.approx(600 / 650)
    a = res.assignments
    assert a[["village", "facility", "population"]].values.tolist() == [
        ["B", "Y", 200.0],
        ["A", "Y", 100.0],
        ["C", "Y", 100.0],
        ["C", "X", 200.0],
    ]
    assert a.travel_time_min.tolist() == [10, 20, 25, 40]


def test_hand_worked_time_limit(small):
    costs, pop, cap = small
    res = capacity_coverage(costs, pop, cap, limit_min=30)
    # X can no longer reach C (40 min): it covers nobody
    assert res.facilities.population_covered.tolist() == [0, 400]
    assert res.villages.covered.tolist() == [100, 200, 100, 0]
    assert res.coverage_rate == pytest.approx(400 / 650)


def test_hand_worked_all_or_nothing(small):
    costs, pop, cap = small
    res = capacity_coverage(costs, pop, cap, split=False)
    # Y: B (200), A (100); C's 300 > 100 left -> Y stops at 25 min with 100 unused.
    # X: A and B are covered; C's 300 > 250 -> X stops at 40 min having covered nobody.
    f = res.facilities
    assert f.population_covered.tolist() == [0, 300]
    assert f.capacity_left.tolist() == [250, 100]
    assert f.filled.tolist() == [True, True] and f.filled_at_min.tolist() == [40, 25]
    assert res.villages.covered.tolist() == [100, 200, 0, 0]
    assert res.coverage_rate == pytest.approx(300 / 650)


def test_hand_worked_given_order_and_priorities(small):
    costs, pop, cap = small
    res = capacity_coverage(costs, pop, cap, order="given")
    # X first: A (5 min) 100, B (15 min) 150 of 200 -> full at 15 min.
    # Y: B's last 50 at 10 min, A done, C 300 at 25 min -> 350 of 400.
    f, v = res.facilities, res.villages
    assert f.population_covered.tolist() == [250, 350]
    assert f.filled_at_min.iloc[0] == 15 and not f.filled.iloc[1]
    assert v.covered.tolist() == [100, 200, 300, 0]
    assert v.facility.iloc[1] == "X"  # B: 150 from X, 50 from Y
    by_priority = capacity_coverage(costs, pop, cap, order=pd.Series({"X": 2, "Y": 1}))
    pd.testing.assert_frame_equal(by_priority.villages, capacity_coverage(costs, pop, cap).villages)
    smallest_first = capacity_coverage(costs, pop, cap, ascending=True)
    pd.testing.assert_frame_equal(smallest_first.villages, res.villages)


def brute_force(costs, pop, cap, *, order, split, limit=None):
    """Plain-Python AccessMod coverage: facility by facility, village by village."""
    residual = dict(pop.items())
    fac_ids = list(cap.index)
    if order == "capacity":
        fac_ids = sorted(fac_ids, key=lambda j: (-cap[j], list(cap.index).index(j)))
    position = {v: k for k, v in enumerate(pop.index)}
    rows = [r for r in costs.itertuples(index=False) if limit is None or r.travel_time_min <= limit]
    covered_by = {}
    for j in fac_ids:
        left = cap[j]
        mine = sorted(
            (r for r in rows if r.destination == j),
            key=lambda r: (r.travel_time_min, position[r.origin]),
        )
        got = 0.0
        for r in mine:
            need = residual[r.origin]
            if need <= 0:
                continue
            if left <= 1e-9:
                break
            if split:
                take = min(need, left)
            elif need <= left + 1e-9:
                take = need
            else:
                break
            residual[r.origin] -= take
            left -= take
            got += take
        covered_by[j] = got
    return pd.Series(residual).reindex(pop.index), pd.Series(covered_by).reindex(cap.index)


def random_case(seed):
    rng = np.random.default_rng(seed)
    nv, nf = rng.integers(5, 40), rng.integers(1, 8)
    pop = pd.Series(rng.integers(0, 500, nv).astype(float), index=[f"v{i}" for i in range(nv)])
    cap = pd.Series(rng.integers(0, 3000, nf).astype(float), index=[f"f{j}" for j in range(nf)])
    o, d = np.meshgrid(np.arange(nv), np.arange(nf), indexing="ij")
    keep = rng.random(o.size) < 0.6
    costs = pd.DataFrame(
        {
            "origin": pop.index[o.ravel()[keep]],
            "destination": cap.index[d.ravel()[keep]],
            "travel_time_min": rng.integers(0, 60, keep.sum()).astype(float),  # many ties
        }
    ).sample(frac=1.0, random_state=seed)
    return costs, pop, cap


@pytest.mark.parametrize("seed", range(12))
@pytest.mark.parametrize("split", [True, False])
def test_matches_brute_force(seed, split):
    costs, pop, cap = random_case(seed)
    order = "capacity" if seed % 2 else "given"
    limit = None if seed % 3 else 30.0
    res = capacity_coverage(costs, pop, cap, order=order, split=split, limit_min=limit)
    residual, covered = brute_force(costs, pop, cap, order=order, split=split, limit=limit)
    np.testing.assert_allclose(res.villages.residual, residual, atol=1e-9)
    np.testing.assert_allclose(res.facilities.population_covered, covered, atol=1e-9)
    # bookkeeping holds together
    v, f, a = res.villages, res.facilities, res.assignments
    np.testing.assert_allclose(v.covered + v.residual, pop)
    np.testing.assert_allclose(f.population_covered + f.capacity_left, cap)
    np.testing.assert_allclose(
        a.groupby("village").population.sum().reindex(pop.index, fill_value=0), v.covered
    )
    np.testing.assert_allclose(
        a.groupby("facility").population.sum().reindex(cap.index, fill_value=0),
        f.population_covered,
    )
    if limit is not None:
        assert (a.travel_time_min <= limit).all()
    if not split:
        assert set(a.groupby("village").size()) <= {1}  # whole villages only
        np.testing.assert_allclose(a.population, pop[a.village].to_numpy())
    total = pop.sum()
    assert res.coverage_rate == pytest.approx(v.covered.sum() / total) if total else True


def test_validation(small):
    costs, pop, cap = small
    with pytest.raises(InvalidValueError, match="Did you mean 'capacity'"):
        capacity_coverage(costs, pop, cap, order="capacty")
    with pytest.raises(InvalidValueError, match="no value for 1 facilities"):
        capacity_coverage(costs, pop, cap, order=pd.Series({"X": 1}))
    with pytest.raises(InvalidValueError, match=">= 0"):
        capacity_coverage(costs, pop, cap.replace(250.0, -1.0))
    with pytest.raises(InvalidValueError, match="limit_min"):
        capacity_coverage(costs, pop, cap, limit_min=-5)
