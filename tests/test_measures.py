"""Measures: against PySAL access (to 1e-9), on a hand-worked example, and on published properties.

The hand-worked example (``small``) has four villages and two facilities::

    village  population      cost to X   cost to Y
    A        100             5           20
    B        200             15          10
    C        300             40          25
    D         50             (none)      (none)

    facility  supply
    X         10
    Y          6

D reaches nothing; C reaches X only beyond 30 minutes.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from accessibility import decay
from accessibility import measures as M
from accessibility.errors import (
    ConfigError,
    DuplicateIdError,
    InvalidValueError,
    MissingColumnError,
)
from accessibility.measures._table import prepare

# PySAL access (the reference) uses pandas' deprecated inplace= keyword
pytestmark = pytest.mark.filterwarnings("ignore:The inplace keyword:DeprecationWarning")

# --------------------------------------------------------------------------- fixtures


@pytest.fixture
def small():
    pop = pd.Series(
        [100.0, 200.0, 300.0, 50.0],
        index=pd.Index(["A", "B", "C", "D"], name="village_id"),
        name="population",
    )
    sup = pd.Series([10.0, 6.0], index=pd.Index(["X", "Y"], name="facility_id"), name="doctors")
    costs = pd.DataFrame(
        {
            "origin": ["A", "A", "B", "B", "C", "C"],
            "destination": ["X", "Y", "X", "Y", "X", "Y"],
            "travel_time_min": [5.0, 20.0, 15.0, 10.0, 40.0, 25.0],
            "distance_m": [4000.0, 15000.0, 11000.0, 9000.0, 35000.0, 21000.0],
        }
    )
    return costs, pop, sup


def random_case(seed: int, nv: int = 40, nf: int = 9, limit: float = 60.0, keep: float = 0.7):
    """Random villages/facilities, a sparse cost table with ids as strings and costs to 0.1 min."""
    rng = np.random.default_rng(seed)
    vid = np.array([f"v{i:03d}" for i in range(nv)])
    fid = np.array([f"f{j:02d}" for j in range(nf)])
    pop = pd.Series(rng.integers(20, 5000, nv).astype(float), index=pd.Index(vid, name="vid"))
    sup = pd.Series(rng.integers(1, 30, nf).astype(float), index=pd.Index(fid, name="fid"))
    o, d = np.meshgrid(np.arange(nv), np.arange(nf), indexing="ij")
    c = rng.uniform(0, limit * 1.3, o.size).round(1)
    mask = (c <= limit) & (rng.random(o.size) < keep)
    costs = pd.DataFrame(
        {
            "origin": vid[o.ravel()][mask],
            "destination": fid[d.ravel()][mask],
            "travel_time_min": c[mask],
        }
    )
    return costs.sample(frac=1.0, random_state=seed).reset_index(drop=True), pop, sup


def pysal(costs, pop, sup):
    from access import Access

    return Access(
        demand_df=pop.rename("pop").to_frame(),
        demand_index=True,
        demand_value="pop",
        supply_df=sup.rename("doc").to_frame(),
        supply_index=True,
        supply_value="doc",
        cost_df=costs.copy(),
        cost_origin="origin",
        cost_dest="destination",
        cost_name="travel_time_min",
    )


def aligned(ref: pd.Series, index: pd.Index) -> np.ndarray:
    """PySAL leaves villages without any pair out (NaN after its join); ours are 0 there."""
    return ref.reindex(index).fillna(0.0).to_numpy()


# --------------------------------------------------------------------------- PySAL access


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_two_sfca_equals_pysal_access(seed):
    costs, pop, sup = random_case(seed)
    acc = pysal(costs, pop, sup)
    ref = acc.two_stage_fca(name="r", max_cost=30)["r_doc"]
    ours = M.two_sfca(costs, pop, sup, limit_min=30)
    np.testing.assert_allclose(ours.to_numpy(), aligned(ref, pop.index), rtol=1e-9, atol=0)
    # a continuous decay is applied in both steps, as access does since the 2022 fix
    from access import weights

    ref = acc.two_stage_fca(name="g", max_cost=45, weight_fn=weights.gaussian(20))["g_doc"]
    ours = M.two_sfca(costs, pop, sup, decay=decay.gaussian(20, limit_min=45))
    np.testing.assert_allclose(ours.to_numpy(), aligned(ref, pop.index), rtol=1e-9, atol=0)


@pytest.mark.parametrize("seed", [3, 4])
def test_e2sfca_and_three_sfca_equal_pysal_access_defaults(seed):
    costs, pop, sup = random_case(seed)
    acc = pysal(costs, pop, sup)
    ref = acc.enhanced_two_stage_fca(name="e")["e_doc"]
    np.testing.assert_allclose(
        M.e2sfca(costs, pop, sup).to_numpy(), aligned(ref, pop.index), rtol=1e-9, atol=0
    )
    ref = acc.three_stage_fca(name="t")["t_doc"]
    np.testing.assert_allclose(
        M.three_sfca(costs, pop, sup).to_numpy(), aligned(ref, pop.index), rtol=1e-9, atol=0
    )


def test_three_sfca_with_custom_zones_equals_pysal_access():
    from access import weights

    costs, pop, sup = random_case(5)
    ref = pysal(costs, pop, sup).three_stage_fca(
        name="t", weight_fn=weights.step_fn({15: 1.0, 30: 0.5, 45: 0.1})
    )["t_doc"]
    ours = M.three_sfca(costs, pop, sup, decay=decay.zones([15, 30, 45], [1.0, 0.5, 0.1]))
    np.testing.assert_allclose(ours.to_numpy(), aligned(ref, pop.index), rtol=1e-9, atol=0)


@pytest.mark.parametrize(
    ("ours", "theirs"),
    [
        (decay.power(1.5, min_cost=1), ("gravity", {"scale": 1, "alpha": -1.5, "min_dist": 1})),
        (decay.gaussian(15), ("gaussian", {"sigma": 15})),
        (decay.step(30), ("step_fn", {"step_dict": {30: 1}})),
    ],
)
def test_gravity_equals_pysal_weighted_catchment(ours, theirs):
    from access import weights

    costs, pop, sup = random_case(6)
    fn = getattr(weights, theirs[0])(**theirs[1])
    ref = pysal(costs, pop, sup).weighted_catchment(name="g", weight_fn=fn)["g_doc"]
    got = M.gravity(costs, pop, sup, decay=ours)
    np.testing.assert_allclose(got.to_numpy(), aligned(ref, pop.index), rtol=1e-9, atol=0)


# --------------------------------------------------------------------------- hand-worked


def test_two_sfca_by_hand(small):
    costs, pop, sup = small
    # X's 30-min catchment: A (5) + B (15) -> 300 people, R_X = 10/300
    # Y's catchment: A (20) + B (10) + C (25) -> 600 people, R_Y = 6/600
    r_x, r_y = 10 / 300, 6 / 600
    got = M.two_sfca(costs, pop, sup, limit_min=30)
    np.testing.assert_allclose(got, [r_x + r_y, r_x + r_y, r_y, 0.0], rtol=1e-15)
    assert got.name == "2sfca" and got.index.equals(pop.index)
    # population-weighted sum = total supply reachable: 100*(1/30+1/100) + 200*(...) + 300/100
    assert (got * pop).sum() == pytest.approx(16.0)


def test_two_and_m2sfca_with_linear_decay_by_hand(small):
    costs, pop, sup = small
    # linear(40): w = 1 - c/40 -> A-X .875, A-Y .5, B-X .625, B-Y .75, C-X 0, C-Y .375
    # demand at X: 100*.875 + 200*.625 = 212.5;  at Y: 100*.5 + 200*.75 + 300*.375 = 312.5
    r_x, r_y = 10 / 212.5, 6 / 312.5
    two = M.two_sfca(costs, pop, sup, decay=decay.linear(40))
    np.testing.assert_allclose(
        two, [0.875 * r_x + 0.5 * r_y, 0.625 * r_x + 0.75 * r_y, 0.375 * r_y, 0], rtol=1e-14
    )
    m2 = M.m2sfca(costs, pop, sup, decay=decay.linear(40))  # weights squared in step 2
    np.testing.assert_allclose(
        m2,
        [0.875**2 * r_x + 0.5**2 * r_y, 0.625**2 * r_x + 0.75**2 * r_y, 0.375**2 * r_y, 0],
        rtol=1e-14,
    )


def test_three_sfca_by_hand(small):
    costs, pop, sup = small
    # step(30) selection weights: A and B split 1/2-1/2 between X and Y, C goes to Y only.
    # demand at X: .5*100 + .5*200 = 150; at Y: .5*100 + .5*200 + 300 = 450
    r_x, r_y = 10 / 150, 6 / 450
    got = M.three_sfca(costs, pop, sup, decay=decay.step(30))
    np.testing.assert_allclose(got, [0.5 * r_x + 0.5 * r_y] * 2 + [r_y, 0], rtol=1e-14)
    assert (got * pop).sum() == pytest.approx(16.0)


def test_bfca_by_hand_and_conservation(small):
    costs, pop, sup = small
    # step(30): row-balanced weights A: X .5, Y .5; B: .5/.5; C: Y 1.
    # column-balanced: X: A .5, B .5; Y: A 1/3, B 1/3, C 1/3.
    # balanced demand: X .5*100+.5*200 = 150, Y 50+100+300 = 450 (sum 600 = all who reach one)
    l_x, l_y = 10 / 150, 6 / 450
    got = M.bfca(costs, pop, sup, limit_min=30)
    np.testing.assert_allclose(got, [0.5 * l_x + l_y / 3] * 2 + [l_y / 3, 0], rtol=1e-14)
    # no service inflation: sum_i A_i = sum_j L_j; supply handed out: 150 L_X + 450 L_Y = 16
    assert got.sum() == pytest.approx(l_x + l_y)
    assert 150 * l_x + 450 * l_y == pytest.approx(sup.sum())


def test_spatial_availability_by_hand(small):
    costs, pop, sup = small
    # step(30): X's 10 split 100:200 between A and B -> 10/3, 20/3;
    #           Y's 6 split 100:200:300 between A, B, C -> 1, 2, 3
    got = M.spatial_availability(costs, pop, sup, limit_min=30)
    np.testing.assert_allclose(got, [10 / 3 + 1, 20 / 3 + 2, 3, 0], rtol=1e-14)
    assert got.sum() == pytest.approx(16.0)  # totals sum to the total supply
    pc = M.spatial_availability(costs, pop, sup, limit_min=30, per_capita=True)
    np.testing.assert_allclose(pc, M.two_sfca(costs, pop, sup, limit_min=30), rtol=1e-14)
    # alpha = 0: every village counts the same: X -> 5, 5; Y -> 2, 2, 2
    a0 = M.spatial_availability(costs, pop, sup, limit_min=30, alpha=0)
    np.testing.assert_allclose(a0, [7, 7, 2, 0], rtol=1e-14)


def test_gravity_cumulative_and_intervals_by_hand(small):
    costs, pop, sup = small
    # exponential half-life 10: weight 2**(-c/10)
    g = M.gravity(costs, pop, sup, decay=decay.exponential(half_life_min=10))
    expected = [
        10 * 2**-0.5 + 6 * 2**-2,
        10 * 2**-1.5 + 6 * 2**-1,
        10 * 2**-4 + 6 * 2**-2.5,
        0.0,
    ]
    np.testing.assert_allclose(g, expected, rtol=1e-14)
    # within 15 min (inclusive): A reaches X; B reaches X (15) and Y (10); C, D nothing
    assert M.cumulative(costs, pop, sup, limit_min=15).tolist() == [1, 2, 0, 0]
    assert M.cumulative(costs, pop, sup, limit_min=15, weight="supply").tolist() == [10, 16, 0, 0]
    bands = M.cumulative_intervals(costs, pop, sup, breaks_min=[0, 15, 30])
    assert list(bands.columns) == ["0_15min", "15_30min"]
    assert bands.to_numpy().tolist() == [[1, 1], [2, 0], [0, 1], [0, 0]]
    full = M.cumulative_intervals(costs, pop, sup, breaks_min=[0, 15, 30, 60], weight="supply")
    np.testing.assert_array_equal(
        full.sum(axis=1), M.cumulative(costs, pop, sup, limit_min=60, weight="supply")
    )


def test_nearest_measures_by_hand(small):
    costs, pop, sup = small
    near = M.nearest_cost(costs, pop, sup)
    assert near.tolist() == [5, 10, 25, math.inf]  # D reaches nothing: explicitly inf
    assert near.name == "nearest_min"
    fac = M.nearest_facility(costs, pop, sup)
    assert fac.iloc[:3].tolist() == ["X", "Y", "Y"] and pd.isna(fac.iloc[3])
    mean2 = M.mean_nearest_cost(costs, pop, sup, n=2)
    assert mean2.tolist() == [12.5, 12.5, 32.5, math.inf]
    assert M.mean_nearest_cost(costs, pop, sup, n=3).tolist() == [math.inf] * 4
    dist = M.nearest_cost(costs, pop, sup, cost="distance_m")
    assert dist.name == "nearest_m" and dist.tolist() == [4000, 9000, 21000, math.inf]


def test_huff_by_hand(small):
    costs, pop, sup = small
    out = M.huff_probabilities(costs, pop, sup, decay=decay.power(1, min_cost=1))
    # A: X 10/5 = 2, Y 6/20 = 0.3 -> P(X) = 2 / 2.3
    a = out[out.origin == "A"].set_index("destination").probability
    assert a["X"] == pytest.approx(2 / 2.3) and a["Y"] == pytest.approx(0.3 / 2.3)
    assert set(out.columns) == {"origin", "destination", "probability", "travel_time_min"}
    np.testing.assert_allclose(out.groupby("origin").probability.sum(), 1.0)
    assert "D" not in set(out.origin)


def test_kd2sfca_is_2sfca_with_the_kernel_and_scale_free():
    costs, pop, sup = random_case(7)
    got = M.kd2sfca(costs, pop, sup, bandwidth_min=30)
    k = decay.gaussian_kernel(30)
    pd.testing.assert_series_equal(
        got, M.two_sfca(costs, pop, sup, decay=k).rename("kd2sfca"), rtol=1e-14
    )
    # a kernel's constant factor cancels: 7 * K gives the same accessibility
    scaled = M.two_sfca(costs, pop, sup, decay=lambda c: 7.0 * k(c))
    np.testing.assert_allclose(scaled, got, rtol=1e-12)
    quartic = M.kd2sfca(costs, pop, sup, bandwidth_min=30, kernel="quartic")
    assert not np.allclose(quartic, got)


# --------------------------------------------------------------------------- properties


@pytest.mark.parametrize("seed", range(4))
def test_published_properties_on_random_cases(seed):
    costs, pop, sup = random_case(seed + 10)
    f = decay.gaussian(15, limit_min=50)
    w = f(costs.travel_time_min.to_numpy())
    reached = sup.index.isin(costs.destination[w > 0])
    # 2SFCA: population-weighted sum equals the total supply reachable (any decay)
    two = M.two_sfca(costs, pop, sup, decay=f)
    assert (two * pop).sum() == pytest.approx(sup[reached].sum(), rel=1e-12)
    # spatial availability: totals sum to the total supply; per capita (alpha=1) is 2SFCA
    sa = M.spatial_availability(costs, pop, sup, decay=f)
    assert sa.sum() == pytest.approx(sup[reached].sum(), rel=1e-12)
    pc = M.spatial_availability(costs, pop, sup, decay=f, per_capita=True)
    np.testing.assert_allclose(pc, two, rtol=1e-12)
    # M2SFCA never exceeds the supply (weights <= 1), equals 2SFCA for a step decay
    assert (M.m2sfca(costs, pop, sup, decay=f) * pop).sum() <= sup.sum() * (1 + 1e-12)
    np.testing.assert_allclose(
        M.m2sfca(costs, pop, sup, limit_min=30), M.two_sfca(costs, pop, sup, limit_min=30)
    )
    # BFCA: no service inflation (sum of A = sum of levels of service)
    b = M.bfca(costs, pop, sup, decay=f)
    wdf = costs.assign(w=w)[w > 0]
    wi = wdf.w / wdf.groupby("origin").w.transform("sum")
    served = (wi * pop.reindex(wdf.origin).to_numpy()).groupby(wdf.destination).sum()
    levels = sup.reindex(served.index) / served
    assert b.sum() == pytest.approx(levels.sum(), rel=1e-12)
    assert (levels * served).sum() == pytest.approx(sup[reached].sum(), rel=1e-12)
    assert served.sum() == pytest.approx(pop[pop.index.isin(wdf.origin)].sum(), rel=1e-12)


# --------------------------------------------------------------------------- alignment


def test_results_follow_the_demand_index_and_inputs_are_untouched(small):
    costs, pop, sup = small
    before = (costs.copy(), pop.copy(), sup.copy())
    shuffled = pop.iloc[[3, 1, 0, 2]]
    got = M.two_sfca(costs.iloc[::-1], shuffled, sup, limit_min=30)
    assert got.index.equals(shuffled.index) and got.index.name == "village_id"
    ref = M.two_sfca(costs, pop, sup, limit_min=30)
    pd.testing.assert_series_equal(got, ref.reindex(shuffled.index))
    pd.testing.assert_frame_equal(costs, before[0])
    pd.testing.assert_series_equal(pop, before[1])
    pd.testing.assert_series_equal(sup, before[2])


def test_categorical_and_integer_ids(small):
    costs, pop, sup = small
    cat = costs.astype({"origin": "category", "destination": "category"})
    pd.testing.assert_series_equal(
        M.two_sfca(cat, pop, sup, limit_min=30), M.two_sfca(costs, pop, sup, limit_min=30)
    )
    ipop = pop.set_axis([10, 20, 30, 40])
    icosts = costs.assign(origin=costs.origin.map({"A": 10, "B": 20, "C": 30}))
    np.testing.assert_array_equal(M.nearest_cost(icosts, ipop, sup).to_numpy(), [5, 10, 25, np.inf])


def test_empty_cost_table_gives_zeros_and_inf(small):
    _, pop, sup = small
    empty = pd.DataFrame({"origin": [], "destination": [], "travel_time_min": []})
    assert M.two_sfca(empty, pop, sup, limit_min=30).tolist() == [0, 0, 0, 0]
    assert M.nearest_cost(empty, pop, sup).tolist() == [math.inf] * 4


# --------------------------------------------------------------------------- validation


def test_negative_or_missing_demand_and_supply(small):
    costs, pop, sup = small
    with pytest.raises(InvalidValueError, match=r"demand must be finite and >= 0.*'B'"):
        M.two_sfca(costs, pop.replace(200.0, -1.0), sup, limit_min=30)
    with pytest.raises(InvalidValueError, match=r"supply is missing for 1 facility.*'Y'"):
        M.two_sfca(costs, pop, sup.replace(6.0, np.nan), limit_min=30)
    with pytest.raises(InvalidValueError, match="numeric"):
        M.two_sfca(costs, pop.astype(str), sup, limit_min=30)
    with pytest.raises(InvalidValueError, match="pandas Series"):
        M.two_sfca(costs, pop.to_numpy(), sup, limit_min=30)
    # values that a measure does not use are not checked
    assert M.nearest_cost(costs, pop, sup.replace(6.0, np.nan)).iloc[0] == 5


def test_ids_missing_from_the_layers(small):
    costs, pop, sup = small
    extra = pd.concat(
        [
            costs,
            pd.DataFrame(
                {"origin": ["Q", "A"], "destination": ["X", "Z"], "travel_time_min": [1.0, 2.0]}
            ),
        ]
    )
    with pytest.raises(
        InvalidValueError, match=r"origin id\(s\) not in demand.*'Q'.*'Z'.*unknown_ids='drop'"
    ):
        M.two_sfca(extra, pop, sup, limit_min=30)
    dropped = M.two_sfca(extra, pop, sup, limit_min=30, unknown_ids="drop")
    pd.testing.assert_series_equal(dropped, M.two_sfca(costs, pop, sup, limit_min=30))


def test_bad_cost_tables(small):
    costs, pop, sup = small
    with pytest.raises(MissingColumnError, match=r"Did you mean 'travel_time_mins'.*cost="):
        M.two_sfca(
            costs.rename(columns={"travel_time_min": "travel_time_mins"}), pop, sup, limit_min=30
        )
    with pytest.raises(InvalidValueError, match="dropna"):
        M.two_sfca(costs.assign(travel_time_min=[5, np.nan, 1, 1, 1, 1]), pop, sup, limit_min=30)
    with pytest.raises(InvalidValueError, match="negative"):
        M.two_sfca(costs.assign(travel_time_min=-1.0), pop, sup, limit_min=30)
    with pytest.raises(DuplicateIdError, match="'A' -> 'X'"):
        M.two_sfca(pd.concat([costs, costs.iloc[:1]]), pop, sup, limit_min=30)
    with pytest.raises(DuplicateIdError, match="duplicated village ids"):
        M.two_sfca(costs, pd.concat([pop, pop.iloc[:1]]), sup, limit_min=30)


def test_decay_problems(small):
    costs, pop, sup = small
    with pytest.raises(InvalidValueError, match="not decreasing"):
        M.two_sfca(costs, pop, sup, decay=lambda c: np.asarray(c) / 60.0)
    with pytest.raises(InvalidValueError, match="needs a decay"):
        M.gravity(costs, pop, sup)
    with pytest.raises(InvalidValueError, match="not both"):
        M.two_sfca(costs, pop, sup, decay=decay.step(30), limit_min=30)
    with pytest.raises(ConfigError, match="Did you mean 'step'"):
        M.two_sfca(costs, pop, sup, decay={"kind": "stpe", "limit_min": 30})
    got = M.two_sfca(costs, pop, sup, decay=lambda c: np.where(np.asarray(c) <= 30, 1.0, 0.0))
    pd.testing.assert_series_equal(got, M.two_sfca(costs, pop, sup, limit_min=30))


# --------------------------------------------------------------------------- measure_table

SPECS = [
    {"measure": "nearest"},
    {"measure": "mean_nearest", "n": 2},
    {"measure": "cumulative", "limit_min": 30},
    {"measure": "cumulative", "limit_min": 30, "weight": "supply"},
    {"measure": "intervals", "breaks_min": [0, 15, 30]},
    {"measure": "gravity", "decay": {"kind": "exponential", "half_life_min": 20}},
    {"measure": "2sfca", "decay": {"kind": "step", "limit_min": 30}},
    {"measure": "e2sfca"},
    {"measure": "m2sfca", "decay": {"kind": "linear", "limit_min": 40}},
    {"measure": "3sfca"},
    {"measure": "kd2sfca", "bandwidth_min": 30},
    {"measure": "bfca", "limit_min": 30},
    {"measure": "spatial_availability", "decay": {"kind": "power", "beta": 1.5}},
    {"measure": "coverage", "limit_min": 30},
    {"measure": "2sfca", "limit_min": 45, "name": "my_column"},
]


def test_measure_table_columns_and_values(small):
    costs, pop, sup = small
    t = M.measure_table(costs, pop, sup, specs=SPECS, prefix="clinic")
    assert list(t.columns) == [
        "clinic_nearest_min",
        "clinic_mean2_nearest_min",
        "clinic_count_30min",
        "clinic_supply_30min",
        "clinic_count_0_15min",
        "clinic_count_15_30min",
        "clinic_gravity_exp_hl20min",
        "clinic_2sfca_30min",
        "clinic_e2sfca_30min",
        "clinic_m2sfca_lin40min",
        "clinic_3sfca_60min",
        "clinic_kd2sfca_30min",
        "clinic_bfca_30min",
        "clinic_sa_pow1p5",
        "clinic_coverage_30min",
        "my_column",
    ]
    assert t.index.equals(pop.index)
    np.testing.assert_array_equal(t.clinic_nearest_min, M.nearest_cost(costs, pop, sup))
    np.testing.assert_array_equal(t.clinic_2sfca_30min, M.two_sfca(costs, pop, sup, limit_min=30))
    np.testing.assert_array_equal(t.my_column, M.two_sfca(costs, pop, sup, limit_min=45))
    np.testing.assert_array_equal(
        t.clinic_gravity_exp_hl20min,
        M.gravity(costs, pop, sup, decay=decay.exponential(half_life_min=20)),
    )
    np.testing.assert_array_equal(t.clinic_3sfca_60min, M.three_sfca(costs, pop, sup))
    np.testing.assert_array_equal(
        t.clinic_sa_pow1p5,
        M.spatial_availability(costs, pop, sup, decay=decay.power(1.5), per_capita=True),
    )
    assert M.measure_table(costs, pop, sup, specs=SPECS[:1]).columns.tolist() == ["nearest_min"]
    dist = M.measure_table(costs, pop, sup, specs=[{"measure": "nearest", "cost": "distance_m"}])
    assert dist.columns.tolist() == ["nearest_m"]


@pytest.mark.parametrize(
    ("spec", "match"),
    [
        ({"measure": "2sfac", "limit_min": 30}, "Did you mean '2sfca'"),
        ({"measure": "2sfca", "limit_mins": 30}, "Did you mean 'limit_min'"),
        ({"measure": "gravity", "decay": {"kind": "exponental", "beta": 0.1}}, "Did you mean"),
        ({"measure": "cumulative"}, "missing key"),
        ({"measure": "bfca"}, "needs 'decay'"),
        ({"measure": "huff"}, "huff_probabilities"),
        ({"limit_min": 30}, "no 'measure'"),
        ("2sfca", "must be a dict"),
    ],
)
def test_measure_table_spec_errors(small, spec, match):
    costs, pop, sup = small
    with pytest.raises(ConfigError, match=match):
        M.measure_table(costs, pop, sup, specs=[spec], prefix="x")


def test_measure_table_duplicate_columns(small):
    costs, pop, sup = small
    specs = [
        {"measure": "2sfca", "limit_min": 30},
        {"measure": "2sfca", "decay": {"kind": "step", "limit_min": 30}},
    ]
    with pytest.raises(ConfigError, match="produced twice"):
        M.measure_table(costs, pop, sup, specs=specs, prefix="x")


def test_k_nearest_sorting_and_linear_paths_agree_and_ties_follow_supply_order():
    costs, pop, sup = random_case(21, nv=30, nf=15, keep=0.9)
    costs = costs.assign(travel_time_min=costs.travel_time_min.round(-1))  # many ties
    # n <= 8 uses repeated linear passes, n > 8 one sort; both must pick the same pairs
    for n in (1, 3, 8):
        linear_path = M.mean_nearest_cost(costs, pop, sup, n=n)
        p = prepare(costs, pop, sup, use_demand=False, use_supply=False)
        order = np.lexsort((p.d, p.c, p.o))
        so = p.o[order]
        rank = np.arange(so.size) - np.searchsorted(so, so, side="left")
        keep = order[rank < n]
        count = np.bincount(p.o[keep], minlength=p.n_o)
        brute = np.where(count >= n, np.bincount(p.o[keep], p.c[keep], p.n_o) / n, np.inf)
        np.testing.assert_allclose(linear_path, brute, rtol=1e-12)
    many = M.mean_nearest_cost(costs, pop, sup, n=10)
    by_hand = costs.groupby("origin").travel_time_min.apply(
        lambda s: s.nsmallest(10).mean() if len(s) >= 10 else np.inf
    )
    np.testing.assert_allclose(many, by_hand.reindex(pop.index).fillna(np.inf), rtol=1e-12)
    tie = pd.DataFrame(
        {"origin": ["v000", "v000"], "destination": ["f03", "f01"], "travel_time_min": [7.0, 7.0]}
    )
    assert M.nearest_facility(tie, pop, sup).iloc[0] == "f01"  # f01 comes first in supply


def test_text_ids_coded_the_same_for_object_str_and_categorical_columns():
    # text id columns are hashed once per distinct id; unknown and missing ids stay -1
    from accessibility.measures._table import _codes

    index = pd.Index(["v1", "v2", "v3"])
    raw = ["v3", "v1", "zz", None, "v3", "v2"]
    expected = [2, 0, -1, -1, 2, 1]
    for col in (
        pd.Series(raw, dtype=object),
        pd.Series(raw, dtype="string"),
        pd.Series(raw, dtype="str"),
        pd.Series(raw, dtype="category"),
    ):
        assert _codes(col, index).tolist() == expected
    assert _codes(pd.Series([3, 1, 7]), pd.Index([1, 2, 3])).tolist() == [2, 0, -1]


def test_arrow_text_ids_looked_up_against_any_index():
    # Arrow-backed text ids take Arrow's one-pass lookup; indexes that are not all text fall
    # back to the general path, with the same answers
    from accessibility.measures._table import _codes

    raw = pd.Series(["v3", "v1", "zz", None, "v3", "v2"], dtype="str")
    labels = ["v1", "v2", "v3"]
    for index in (
        pd.Index(labels, dtype=object),
        pd.Index(labels, dtype="str"),
        pd.Index(labels, dtype="string"),
        pd.CategoricalIndex(labels),
    ):
        assert _codes(raw, index).tolist() == [2, 0, -1, -1, 2, 1]
    assert _codes(raw, pd.Index(["v1", 2, "v3"], dtype=object)).tolist() == [2, 0, -1, -1, 2, -1]
    assert _codes(raw, pd.Index([1, 2, 3])).tolist() == [-1] * 6
    assert _codes(raw.iloc[:0], pd.Index(labels)).tolist() == []


def test_duplicate_pairs_found_in_dense_and_sparse_tables():
    from accessibility.measures._table import _has_duplicate_pairs

    o = np.array([0, 1, 2, 1, 0])
    d = np.array([3, 3, 0, 2, 0])
    for n_o, n_d in ((3, 4), (3, 10**7)):  # a flag table, then a sort (too sparse for flags)
        assert not _has_duplicate_pairs(o, d, n_o, n_d)
        assert _has_duplicate_pairs(np.append(o, 1), np.append(d, 2), n_o, n_d)
    assert not _has_duplicate_pairs(o[:0], d[:0], 3, 4)


@pytest.mark.parametrize("seed", range(30))
def test_duplicate_pairs_in_sorted_tables_agree_with_pandas(seed, monkeypatch):
    # a table sorted by origin then destination (as travel_costs returns it) is checked by its
    # order, in slices (made tiny here so that duplicates fall on the slice borders); unsorted
    # tables go the general way: the answer is the same as pandas' either way
    from accessibility.measures import _table

    monkeypatch.setattr(
        _table, "_ORDER_CHECK_ROWS", int(np.random.default_rng(seed).integers(1, 5))
    )
    rng = np.random.default_rng(seed)
    n_o, n_d = int(rng.integers(1, 6)), int(rng.integers(1, 6))
    m = int(rng.integers(0, 25))
    o, d = rng.integers(0, n_o, m), rng.integers(0, n_d, m)
    order = np.lexsort((d, o))
    so, sd = o[order], d[order]
    first = np.r_[True, (so[1:] != so[:-1]) | (sd[1:] != sd[:-1])] if m else np.ones(0, bool)
    for oo, dd in ((o, d), (so, sd), (so[first], sd[first])):  # raw, sorted, sorted + distinct
        want = bool(pd.DataFrame({"o": oo, "d": dd}).duplicated().any())
        if oo is not o:  # sorted: the order alone answers (slice borders included)
            assert _table._sorted_distinct(oo, dd) == (not want)
        for space in (n_d, 10**7):  # a flag table, a sort
            assert _table._has_duplicate_pairs(oo, dd, n_o, space) == want
            # as prepare asks: the order first, the keys only for tables it did not clear
            assert (not _table._sorted_distinct(oo, dd) and _table._has_duplicate_pairs(
                oo, dd, n_o, space)) == want  # fmt: skip


def _bits(a):
    return np.ascontiguousarray(a, dtype=np.float64).view(np.uint64)


def test_pair_weights_zero_exactly_the_weights_below_the_smallest_normal_float():
    # the fast path (return the decay's weights when nothing needs zeroing) must give the same
    # bits as zeroing |w| < tiny on a copy, for every kind of float, and leave the decay's own
    # array alone
    from types import SimpleNamespace

    from accessibility.measures._table import pair_weights
    from accessibility.measures.decay import Decay

    tiny = np.finfo(np.float64).tiny
    specials = [0.0, -0.0, 1.0, 0.5, tiny, tiny / 2, -tiny / 2, 5e-324, -5e-324, -1.0]
    specials += [np.inf, -np.inf, np.nan, -np.nan, np.nextafter(tiny, 0), 1e300]
    rng = np.random.default_rng(0)
    cases = [np.array([1.0, 0.0, 0.25]), np.zeros(3), np.array([], dtype=float)]
    cases += [np.array([1.0, 0.0, x]) for x in specials]
    cases += [rng.choice(specials, 50) for _ in range(20)]
    for w in cases:
        before = w.copy()
        f = Decay("given", {}, lambda c, w=w: w, limit_min=None, tag="given")
        got = pair_weights(SimpleNamespace(c=np.zeros(w.size)), f)
        ref = np.array(w, dtype=np.float64)
        ref[np.abs(ref) < tiny] = 0.0
        assert np.array_equal(_bits(got), _bits(ref)), w
        assert np.array_equal(_bits(w), _bits(before))


def _fca_reference(costs, pop, sup, limit, power=1):
    """2SFCA / M2SFCA by the formula, with ids looked up through pandas (the old core)."""
    o = pop.index.get_indexer(costs["origin"].astype(object))
    d = sup.index.get_indexer(costs["destination"].astype(object))
    keep = (o >= 0) & (d >= 0)
    o, d, c = o[keep], d[keep], costs["travel_time_min"].to_numpy()[keep]
    w = np.where(c <= limit, np.ones_like(c), 0.0)
    served = np.bincount(d, weights=w * pop.to_numpy()[o], minlength=len(sup))
    ratio = np.zeros(len(sup))
    np.divide(sup.to_numpy(), served, out=ratio, where=served >= np.finfo(float).tiny)
    w2 = w if power == 1 else w**power
    return np.bincount(o, weights=w2 * ratio[d], minlength=len(pop))


@pytest.mark.parametrize("order", ["shuffled", "origin-major", "destination-major"])
@pytest.mark.parametrize("ids", ["str", "object", "category"])
def test_fca_results_identical_to_the_formula_for_any_row_order_and_id_type(
    order, ids, monkeypatch
):
    from accessibility.measures import _table

    monkeypatch.setattr(_table, "COMPILED_LOOKUP_MIN_ROWS", 1)  # the compiled lookup, too
    rng = np.random.default_rng(7)
    vid = pd.Index([f"v{i}" for i in range(300)], dtype="str")
    fid = pd.Index([f"f{j}" for j in range(12)], dtype="str")
    flat = rng.choice(300 * 12, 2000, replace=False)
    costs = pd.DataFrame(
        {
            "origin": np.asarray(vid)[flat // 12],
            "destination": np.asarray(fid)[flat % 12],
            "travel_time_min": rng.uniform(0, 60, flat.size),
        }
    )
    costs.loc[[5, 50], "origin"] = "unknown village"  # ids not in the layers, and missing ids
    costs.loc[[7], "destination"] = "unknown facility"
    costs.loc[[9], "origin"] = None
    if order != "shuffled":
        costs = costs.sort_values(order.split("-")[0], kind="stable").reset_index(drop=True)
    costs = costs.astype({"origin": ids, "destination": ids})
    pop = pd.Series(rng.integers(0, 900, vid.size).astype(float), index=vid)
    sup = pd.Series(rng.integers(1, 30, fid.size).astype(float), index=fid)
    with pytest.raises(InvalidValueError, match="2 origin id"):
        M.two_sfca(costs, pop, sup, catchment_min=30)
    for fn, power in ((M.two_sfca, 1), (M.m2sfca, 2)):
        got = fn(costs, pop, sup, catchment_min=30, unknown_ids="drop")
        ref = _fca_reference(costs, pop, sup, 30.0, power)
        assert got.index.equals(pop.index)
        assert np.array_equal(got.to_numpy(), ref)


def _random_texts(rng, n, alphabet=("a", "b", "\0", "村", "7", "é")):
    return ["".join(rng.choice(alphabet, rng.integers(0, 9))) for _ in range(n)]  # <= 24 bytes


@pytest.mark.parametrize("seed", range(3))
def test_text_ids_found_as_arrow_index_in_finds_them(seed, monkeypatch):
    # the compiled lookup over the Arrow buffers (ids of up to 24 bytes) against Arrow's
    # index_in: every length around the 8/16/24-byte words, NUL bytes ("a" vs "a\0"), the empty
    # id, unknown and missing ids, sliced and chunked arrays, string and large_string, labels
    # longer than any id, and ids too long (then index_in answers)
    import pyarrow as pa
    import pyarrow.compute as pc

    from accessibility.measures._text_ids import text_positions

    rng = np.random.default_rng(seed)
    labels = sorted(set(_random_texts(rng, 300)) | {"", "a", "a\0", "x" * 8, "x" * 9, "y" * 30})
    labels += ["p" * 8 + "a", "p" * 16 + "a", "q" * 24]  # equal but for the 2nd or 3rd word
    short = [x for x in labels if len(x.encode()) <= 24]
    rows = [*rng.choice(short, 3000), *_random_texts(rng, 300), None, None, "x" * 16, "x" * 24]
    rows += ["p" * 8 + "b", "p" * 16 + "b", "q" * 23 + "r", "p" * 8 + "a", "p" * 16 + "a"] * 5
    rows = list(np.asarray(rows, dtype=object)[rng.permutation(len(rows))])
    for typ in (pa.string(), pa.large_string()):
        lab = pa.array(labels, type=typ)
        for values in (pa.array(rows, type=typ), pa.array(rows, type=typ).slice(37, 2000)):
            ref = pc.index_in(values, value_set=lab).fill_null(-1).to_numpy(zero_copy_only=False)
            assert text_positions(values, lab).tolist() == ref.tolist()
    # ids equal but for their 2nd or 3rd word, many of them landing in a label's slot
    for head in ("p" * 8, "p" * 16):
        ab = [
            head + a + b for a in "abcdefghijklmnopqrstuvwxyz" for b in "abcdefghijklmnopqrstuvwxyz"
        ]
        values, lab = pa.array(ab), pa.array(ab[::3])
        ref = pc.index_in(values, value_set=lab).fill_null(-1).to_numpy(zero_copy_only=False)
        assert text_positions(values, lab).tolist() == ref.tolist()
    # a data buffer at an odd address (read through a copy) gives the same answers
    plain = pa.array(rows, type=pa.string())
    _, offsets, data = plain.buffers()
    odd = pa.py_buffer(b"?" + data.to_pybytes())[1:]
    assert odd.address % 8
    shifted = pa.Array.from_buffers(pa.string(), len(plain), [plain.buffers()[0], offsets, odd])
    lab = pa.array(labels)
    ref = pc.index_in(plain, value_set=lab).fill_null(-1).to_numpy(zero_copy_only=False)
    assert text_positions(shifted, lab).tolist() == ref.tolist()
    # a read-only buffer (as a memory-mapped file's) is read in place too
    frozen = pa.py_buffer(data.to_pybytes())
    readonly = pa.Array.from_buffers(pa.string(), len(plain), [plain.buffers()[0], offsets, frozen])
    assert text_positions(readonly, lab).tolist() == ref.tolist()
    long_rows = pa.array(["y" * 30, "a"])
    assert text_positions(long_rows, pa.array(labels)) is None  # more than 24 bytes
    assert text_positions(pa.array(["a"]), pa.array(["a", None])) is None  # labels with nulls
    assert text_positions(pa.array([], type=pa.string()), pa.array(labels)).tolist() == []
    assert text_positions(pa.array(["a", None]), pa.array([], type=pa.string())).tolist() == [
        -1,
        -1,
    ]
    # through the measures' lookup: a chunked column, and one with a too-long id
    from accessibility.measures import _table
    from accessibility.measures._table import _codes

    monkeypatch.setattr(_table, "COMPILED_LOOKUP_MIN_ROWS", 1)

    index = pd.Index(labels, dtype="str")
    chunked = pd.Series(pd.arrays.ArrowStringArray(pa.chunked_array([rows[:100], rows[100:]])))
    expected = index.get_indexer(pd.Series(rows, dtype=object)).tolist()
    assert _codes(chunked, index).tolist() == expected
    with_long = pd.Series([*rows, "z" * 40], dtype="str")
    assert _codes(with_long, index).tolist() == [*expected, -1]


@pytest.mark.parametrize("seed", range(3))
def test_compiled_fca_sums_equal_numpy_bit_for_bit(seed, monkeypatch):
    # the compiled sums of large tables against numpy's take + bincount: same products, same
    # order, so the same bits; facilities nobody reaches, villages with no people, weights
    # that underflow to subnormals (gaussian(1)), and the squared weights of M2SFCA
    from accessibility.measures import fca

    rng = np.random.default_rng(seed)
    vid, fid = pd.Index([f"v{i}" for i in range(400)]), pd.Index([f"f{j}" for j in range(30)])
    flat = rng.choice(400 * 29, 3000, replace=False)  # facility f29 is reached by no one
    costs = pd.DataFrame(
        {
            "origin": vid[flat // 29],
            "destination": fid[flat % 29],
            "travel_time_min": rng.uniform(0, 60, flat.size),
        }
    )
    pop = pd.Series(rng.integers(0, 5, vid.size) * 100.0, index=vid)  # many villages of 0
    sup = pd.Series(rng.integers(1, 30, fid.size).astype(float), index=fid)
    for f in (decay.step(30), decay.gaussian(1), decay.zones([10, 20, 30], [1, 0.68, 0.22])):
        for fn in (M.two_sfca, M.m2sfca, M.e2sfca):
            kw = {} if fn is M.e2sfca else {"decay": f}
            monkeypatch.setattr(fca, "COMPILED_SUMS_MIN_PAIRS", 10**9)
            ref = fn(costs, pop, sup, **kw).to_numpy()
            monkeypatch.setattr(fca, "COMPILED_SUMS_MIN_PAIRS", 1)
            got = fn(costs, pop, sup, **kw).to_numpy()
            assert np.array_equal(_bits(got), _bits(ref)), (fn.__name__, f)
