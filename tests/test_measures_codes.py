"""The cost table's integer codes as the measures make them (int32; a read-only view of a
categorical's codes, no copy) and the paths that read them: ``nearest_cost`` by one reduction per
origin on tables sorted by origin (as ``travel_costs`` returns them), the compiled 2SFCA sums.

References: pandas ``groupby`` and merges, and each measure's other code path (rows shuffled,
numpy sums), on tables the fast paths were not written for."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from accessibility import measures as M
from accessibility.errors import DuplicateIdError, InvalidValueError
from accessibility.measures import fca
from accessibility.measures._table import _codes, prepare


def _table(seed: int, n_o: int = 300, n_d: int = 40, per: int = 12, unreached: int = 7):
    """A table like travel_costs': categorical ids over the layers' indexes, sorted by origin
    then destination, some villages with no pairs, facilities nobody reaches."""
    rng = np.random.default_rng(seed)
    vid = pd.Index([f"v{i}" for i in range(n_o)])
    fid = pd.Index([f"f{j}" for j in range(n_d)])
    reached = np.sort(rng.choice(n_o, n_o - unreached, replace=False))
    o = np.repeat(reached, per)
    d = np.concatenate([np.sort(rng.choice(n_d - 3, per, replace=False)) for _ in reached])
    c = rng.uniform(0, 60, o.size).round(1)  # ties in cost
    c[rng.choice(o.size, 20, replace=False)] = 0.0
    costs = pd.DataFrame(
        {
            "origin": pd.Categorical.from_codes(o.astype(np.int32), categories=vid),
            "destination": pd.Categorical.from_codes(d.astype(np.int32), categories=fid),
            "travel_time_min": c,
        }
    )
    costs.attrs["max_time_min"] = 60.0
    pop = pd.Series(rng.integers(0, 5, n_o) * 100.0, index=vid)
    sup = pd.Series(rng.integers(1, 30, n_d).astype(float), index=fid)
    return costs, pop, sup


def _as_text(costs: pd.DataFrame) -> pd.DataFrame:
    out = costs.copy()
    for col in ("origin", "destination"):
        out[col] = out[col].astype(object)
    return out


def test_categorical_codes_over_the_layer_are_a_read_only_view():
    costs, pop, sup = _table(0)
    p = prepare(costs, pop, sup)
    # no copy of the table's codes, in their own type (300 villages: int16, 40 facilities: int8)
    assert p.o.dtype == np.int16 and p.d.dtype == np.int8
    assert np.shares_memory(p.o, costs["origin"].array.codes)
    assert np.shares_memory(p.d, costs["destination"].array.codes)
    assert not p.o.flags.writeable and not p.d.flags.writeable
    with pytest.raises(ValueError):
        p.o[0] = 1
    assert p.by_origin
    # text ids give the same codes (in their own int32 arrays)
    t = prepare(_as_text(costs), pop, sup)
    np.testing.assert_array_equal(t.o, p.o)
    np.testing.assert_array_equal(t.d, p.d)
    assert t.o.dtype == np.int32 and t.d.dtype == np.int32 and t.by_origin


def test_codes_of_categories_that_are_not_the_index_itself():
    index = pd.Index(["a", "b", "c", "d"])
    # categories a prefix of the index: the codes as they are; NaN stays -1
    prefix = pd.Series(pd.Categorical(["b", None, "a", "b"], categories=["a", "b"]))
    got = _codes(prefix, index)
    assert got.tolist() == [1, -1, 0, 1] and got.dtype == np.int8 and not got.flags.writeable
    # reordered categories, unknown ones, narrow (int8) codes: looked up
    other = pd.Series(pd.Categorical(["d", "z", "a", None], categories=["z", "d", "a"]))
    assert other.array.codes.dtype == np.int8
    got = _codes(other, index)
    assert got.tolist() == [3, -1, 0, -1] and got.dtype == np.int32
    # many categories over the index itself: int32 codes, a view
    big = pd.Index([f"v{i}" for i in range(40_000)])
    wide = pd.Series(pd.Categorical.from_codes(np.array([39_999, 0, -1]), categories=big))
    got = _codes(wide, big)
    assert got.tolist() == [39_999, 0, -1] and got.dtype == np.int32
    assert np.shares_memory(got, wide.array.codes) and not got.flags.writeable
    # integer ids and empty columns
    assert _codes(pd.Series([3, 1, 7]), pd.Index([1, 2, 3])).dtype == np.int32
    assert _codes(prefix.iloc[:0], index).tolist() == []


@pytest.mark.parametrize("seed", range(4))
def test_nearest_cost_by_origin_runs_equals_groupby_and_the_unsorted_path(seed):
    costs, pop, sup = _table(seed)
    got = M.nearest_cost(costs, pop, sup)
    ref = (
        _as_text(costs)
        .groupby("origin")["travel_time_min"]
        .min()
        .reindex(pop.index, fill_value=np.inf)
    )
    np.testing.assert_array_equal(got.to_numpy(), ref.to_numpy())
    assert got.index.equals(pop.index) and got.name == "nearest_min"
    # the same rows shuffled (not sorted by origin: minimum.at), and with text ids
    shuffled = costs.sample(frac=1.0, random_state=seed)
    assert not prepare(shuffled, pop, sup).by_origin
    pd.testing.assert_series_equal(M.nearest_cost(shuffled, pop, sup), got, check_exact=True)
    pd.testing.assert_series_equal(M.nearest_cost(_as_text(costs), pop, sup), got, check_exact=True)


def test_nearest_cost_edge_cases_on_sorted_tables():
    costs, pop, sup = _table(1)
    # ids missing from the layers, dropped: the kept rows are still sorted
    fewer_v, fewer_f = pop.iloc[::2], sup.iloc[5:]
    got = M.nearest_cost(costs, fewer_v, fewer_f, unknown_ids="drop")
    keep = costs["origin"].isin(fewer_v.index) & costs["destination"].isin(fewer_f.index)
    ref = (
        _as_text(costs[keep])
        .groupby("origin")["travel_time_min"]
        .min()
        .reindex(fewer_v.index, fill_value=np.inf)
    )
    np.testing.assert_array_equal(got.to_numpy(), ref.to_numpy())
    with pytest.raises(InvalidValueError, match="not in demand"):
        M.nearest_cost(costs, fewer_v, sup)
    # empty table: every village unreached
    assert np.isinf(M.nearest_cost(costs.iloc[:0], pop, sup)).all()
    # one row
    one = M.nearest_cost(costs.iloc[3:4], pop, sup)
    assert np.isfinite(one).sum() == 1 and one.min() == costs["travel_time_min"].iloc[3]
    # a duplicated pair (no longer strictly sorted) and NaN costs are refused
    dup = pd.concat([costs.iloc[:5], costs.iloc[4:]], ignore_index=True)
    with pytest.raises(DuplicateIdError):
        M.nearest_cost(dup, pop, sup)
    nan = costs.copy()
    nan.loc[3, "travel_time_min"] = np.nan
    with pytest.raises(InvalidValueError, match="missing values"):
        M.nearest_cost(nan, pop, sup)


def _two_sfca_reference(costs: pd.DataFrame, pop: pd.Series, sup: pd.Series, limit: float):
    t = _as_text(costs)
    t = t[t["travel_time_min"] <= limit]
    served = (t["origin"].map(pop)).groupby(t["destination"]).sum()
    ratio = (sup / served.reindex(sup.index)).fillna(0.0).where(lambda r: np.isfinite(r), 0.0)
    return t["destination"].map(ratio).groupby(t["origin"]).sum().reindex(pop.index, fill_value=0)


@pytest.mark.parametrize("seed", range(3))
def test_two_sfca_compiled_on_int32_codes_equals_numpy_and_pandas(seed, monkeypatch):
    costs, pop, sup = _table(seed)
    before = costs.copy()
    monkeypatch.setattr(fca, "COMPILED_SUMS_MIN_PAIRS", 10**9)
    ref = M.two_sfca(costs, pop, sup, catchment_min=30)
    monkeypatch.setattr(fca, "COMPILED_SUMS_MIN_PAIRS", 1)
    got = M.two_sfca(costs, pop, sup, catchment_min=30)
    assert np.array_equal(got.to_numpy().view(np.uint64), ref.to_numpy().view(np.uint64))
    for table in (_as_text(costs), costs.sample(frac=1.0, random_state=seed)):
        pd.testing.assert_series_equal(M.two_sfca(table, pop, sup, catchment_min=30), got)
    np.testing.assert_allclose(
        got.to_numpy(), _two_sfca_reference(costs, pop, sup, 30).to_numpy(), rtol=1e-12
    )
    pd.testing.assert_frame_equal(costs, before)  # the user's table is untouched
    assert M.two_sfca(costs.iloc[:0], pop, sup, catchment_min=30).eq(0).all()


def test_compiled_sums_make_step_weights_on_the_fly(monkeypatch):
    # a step decay (catchment_min=, decay.step, a spec) takes no array of weights on large
    # tables; other decays (zones, a callable that happens to be a step) still do; each equals
    # the numpy sums bit for bit, M2SFCA with a step equals 2SFCA
    from accessibility import decay

    costs, pop, sup = _table(5)
    made = []
    real = fca.pair_weights
    monkeypatch.setattr(fca, "pair_weights", lambda p, f: made.append(f) or real(p, f))
    cases = [
        {"catchment_min": 30},
        {"decay": decay.step(30)},
        {"decay": {"kind": "step", "limit_min": 30}},
        {"decay": decay.zones([10, 30], [1.0, 0.5])},
        {"decay": lambda c: (np.asarray(c) <= 30).astype(float)},
    ]
    for i, kw in enumerate(cases):
        for fn in (M.two_sfca, M.m2sfca):
            monkeypatch.setattr(fca, "COMPILED_SUMS_MIN_PAIRS", 10**9)
            ref = fn(costs, pop, sup, **kw).to_numpy()
            made.clear()
            monkeypatch.setattr(fca, "COMPILED_SUMS_MIN_PAIRS", 1)
            got = fn(costs, pop, sup, **kw).to_numpy()
            assert np.array_equal(got.view(np.uint64), ref.view(np.uint64)), (fn, kw)
            assert bool(made) == (i >= 3), (fn, kw)
    step = M.two_sfca(costs, pop, sup, catchment_min=30)
    pd.testing.assert_series_equal(
        M.m2sfca(costs, pop, sup, catchment_min=30), step.rename("m2sfca"), check_exact=True
    )


def test_duplicate_check_on_narrow_codes_does_not_wrap():
    """int8 / int16 codes (categorical views) times the number of destinations leave their type:
    the pair keys are made in int64 (NumPy 1.x keeps the array's narrow type for a product with
    a scalar that fits it, so 120 x 300 wrapped to a negative int16 key; review of #17)."""
    vid = pd.Index([f"v{i}" for i in range(121)])
    fid = pd.Index([f"f{j}" for j in range(300)])
    o, d = np.meshgrid(np.arange(121), np.arange(300), indexing="ij")
    rows = np.random.default_rng(0).permutation(o.size)  # unsorted: the keys are made
    costs = pd.DataFrame(
        {
            "origin": pd.Categorical.from_codes(o.ravel()[rows], categories=vid),
            "destination": pd.Categorical.from_codes(d.ravel()[rows], categories=fid),
            "travel_time_min": np.linspace(0, 50, o.size)[rows],
        }
    )
    assert costs["origin"].cat.codes.dtype == np.int8
    pop = pd.Series(1.0, index=vid)
    sup = pd.Series(1.0, index=fid)
    got = M.two_sfca(costs, pop, sup, catchment_min=30.0)
    assert got.notna().all()
    dup = pd.concat([costs, costs.iloc[[5]]], ignore_index=True)
    with pytest.raises(DuplicateIdError):
        M.two_sfca(dup, pop, sup, catchment_min=30.0)
