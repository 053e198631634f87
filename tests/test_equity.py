"""Tests for accessibility.equity and accessibility.standards.

References: PySAL ``inequality`` (Gini, Theil, TheilD) and ``esda`` (Moran, Moran_Local) on the
same data; ``inequality`` has no weights, so weighted forms are checked against the unweighted
reference on data where each village is repeated once per resident (integer weights). Other indices
are checked on small vectors worked by hand; the arithmetic is written next to each test.
"""

from __future__ import annotations

import logging
import math
import subprocess
import sys

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from shapely.geometry import Point, box

from accessibility import equity as eq
from accessibility.errors import ConfigError, InvalidValueError, MissingColumnError, OutputError
from accessibility.standards import (
    KNOWN_SERVICES,
    default_standards,
    load_standards,
    write_default_standards,
)

inequality = pytest.importorskip("inequality")
from inequality.gini import Gini  # noqa: E402
from inequality.theil import Theil, TheilD  # noqa: E402

# ----------------------------------------------------------------------------------------------
# fixtures
# ----------------------------------------------------------------------------------------------


@pytest.fixture
def rng():
    return np.random.default_rng(42)


@pytest.fixture
def weighted_sample(rng):
    """Positive values, integer weights, two groups; plus the replicated (unweighted) version."""
    x = rng.gamma(2.0, 10.0, size=40) + 0.5
    w = rng.integers(1, 6, size=40)
    g = np.where(rng.random(40) < 0.4, "urban", "rural")
    rep_x = np.repeat(x, w)
    rep_g = np.repeat(g, w)
    return x, w, g, rep_x, rep_g


def _villages(n_side: int = 6) -> gpd.GeoDataFrame:
    """A grid of villages 1 km apart; urban in the lower-left corner; times grow to the NE."""
    ids, pts, area, township, pop, time_p, time_c, inc = [], [], [], [], [], [], [], []
    for i in range(n_side):
        for j in range(n_side):
            k = i * n_side + j
            ids.append(f"v{k:02d}")
            pts.append(Point(i * 1000.0, j * 1000.0))
            urban = i < 2 and j < 2
            area.append("urban" if urban else "rural")
            township.append("north" if j >= n_side // 2 else "south")
            pop.append(100.0 + 10 * k)
            time_p.append(2.0 + 5.0 * (i + j))
            time_c.append(1.0 + 3.0 * (i + j))
            inc.append(20000.0 - 500.0 * (i + j) + k)
    gdf = gpd.GeoDataFrame(
        {
            "name": [f"村{k}" for k in range(len(ids))],
            "name_pinyin": [f"Cun {k}" for k in range(len(ids))],
            "township": township,
            "area_type": area,
            "population": pop,
            "pop_school_age": [p / 10 for p in pop],
            "income_yuan": inc,
            "primary_school_nearest_min": time_p,
            "clinic_nearest_min": time_c,
            "health_centre_nearest_min": [t * 1.5 for t in time_c],
        },
        geometry=pts,
        crs="EPSG:32650",
        index=pd.Index(ids, name="village_id"),
    )
    return gdf


def _table(d: dict) -> pd.DataFrame:
    return load_standards({"standards": d})


SIMPLE = {
    "primary_school": {
        "urban": {"mode": "walk", "threshold_min": 10, "source": "test", "level": "local"},
        "rural": {
            "mode": "walk",
            "threshold_min": 30,
            "source": "test",
            "population": "pop_school_age",
        },
    },
    "clinic": {"all": {"mode": "walk", "threshold_min": 15, "source": "test"}},
    "medical": {
        "urban": {
            "mode": "walk",
            "threshold_min": 5,
            "source": "test",
            "services": ["clinic", "health_centre"],
        }
    },
}

# ----------------------------------------------------------------------------------------------
# inequality indices against PySAL `inequality`
# ----------------------------------------------------------------------------------------------


def test_gini_equals_pysal_unweighted(rng):
    x = rng.gamma(2.0, 10.0, size=57)
    assert eq.gini(x) == pytest.approx(Gini(x).g, rel=1e-12)


def test_gini_weighted_equals_pysal_on_replicated_data(weighted_sample):
    x, w, _, rep_x, _ = weighted_sample
    assert eq.gini(x, w) == pytest.approx(Gini(rep_x).g, rel=1e-12)
    # a Series of weights aligned by label, in shuffled order, gives the same result
    xs = pd.Series(x, index=[f"v{i}" for i in range(len(x))])
    ws = pd.Series(w, index=xs.index).sample(frac=1.0, random_state=1)
    assert eq.gini(xs, ws) == pytest.approx(Gini(rep_x).g, rel=1e-12)


def test_theil_t_equals_pysal(weighted_sample):
    x, w, _, rep_x, _ = weighted_sample
    assert eq.theil_t(x) == pytest.approx(float(Theil(x).T), rel=1e-10)
    assert eq.theil_t(x, w) == pytest.approx(float(Theil(rep_x).T), rel=1e-10)


def test_theil_decomposition_equals_pysal_theild(weighted_sample):
    x, w, g, rep_x, rep_g = weighted_sample
    ref = TheilD(x, g)
    d = eq.theil_decomposition(x, g)
    assert d.loc["total", "theil"] == pytest.approx(float(ref.T), rel=1e-10)
    assert d.loc["between", "theil"] == pytest.approx(float(np.ravel(ref.bg)[0]), rel=1e-10)
    assert d.loc["within", "theil"] == pytest.approx(float(np.ravel(ref.wg)[0]), rel=1e-10)
    ref_w = TheilD(rep_x, rep_g)
    dw = eq.theil_decomposition(x, g, w)
    assert dw.loc["between", "theil"] == pytest.approx(float(np.ravel(ref_w.bg)[0]), rel=1e-10)
    assert dw.loc["within", "theil"] == pytest.approx(float(np.ravel(ref_w.wg)[0]), rel=1e-10)


@pytest.mark.parametrize("index", ["T", "L"])
def test_decomposition_parts_sum_to_total(weighted_sample, index):
    x, w, g, _, _ = weighted_sample
    townships = np.array(["a", "b", "c", "d"])[np.arange(len(x)) % 4]
    for groups in (g, townships):
        d = eq.theil_decomposition(x, groups, w, index=index)
        total = eq.theil_t(x, w) if index == "T" else eq.theil_l(x, w)
        assert d.loc["total", "theil"] == pytest.approx(total, rel=1e-12)
        assert d.loc["between", "theil"] + d.loc["within", "theil"] == pytest.approx(
            total, rel=1e-10
        )
        parts = d.drop(index=["between", "within", "total"])
        assert parts["population_share"].sum() == pytest.approx(1.0)
        assert parts["value_share"].sum() == pytest.approx(1.0)
        assert d.loc["total", "between_share"] == pytest.approx(d.loc["between", "theil"] / total)


def test_theil_l_hand_worked_and_replicated(weighted_sample):
    # [1, 4]: mean 2.5; L = (ln(2.5/1) + ln(2.5/4)) / 2 = (0.916291 - 0.470004) / 2 = 0.2231436
    assert eq.theil_l([1.0, 4.0]) == pytest.approx(0.2231436, abs=1e-7)
    x, w, _, rep_x, _ = weighted_sample
    assert eq.theil_l(x, w) == pytest.approx(np.mean(np.log(rep_x.mean() / rep_x)), rel=1e-12)


def test_theil_t_of_equal_values_is_zero_and_zeros_are_allowed():
    assert eq.theil_t([3.0, 3.0, 3.0]) == pytest.approx(0.0, abs=1e-15)
    # [0, 2]: mean 1; T = 1/2 * (0 + 2 ln 2) = ln 2
    assert eq.theil_t([0.0, 2.0]) == pytest.approx(math.log(2))


# ----------------------------------------------------------------------------------------------
# hand-worked indices
# ----------------------------------------------------------------------------------------------


def test_gini_hand_worked():
    # [1, 2, 3, 4]: sum over all ordered pairs |xi - xj| = 2 * (1+2+3+1+2+1) = 20;
    # G = 20 / (2 * n^2 * mean) = 20 / (2 * 16 * 2.5) = 0.25
    assert eq.gini([1, 2, 3, 4]) == pytest.approx(0.25)
    # weights [3, 1] on [1, 2] = [1, 1, 1, 2]: pairs |diff| = 2*3*1 = 6; mean 1.25;
    # G = 6 / (2 * 16 * 1.25) = 0.15
    assert eq.gini([1, 2], [3, 1]) == pytest.approx(0.15)


def test_cv_hand_worked():
    # [2,4,4,4,5,5,7,9]: mean 5, squared deviations 9+1+1+1+0+0+4+16 = 32, var 32/8 = 4, sd 2
    assert eq.coefficient_of_variation([2, 4, 4, 4, 5, 5, 7, 9]) == pytest.approx(0.4)
    # weights [3, 1] on [2, 6]: mean (6+6)/4 = 3; var (3*1 + 1*9)/4 = 3; CV = sqrt(3)/3
    assert eq.coefficient_of_variation([2, 6], [3, 1]) == pytest.approx(math.sqrt(3) / 3)


def test_cv_matches_education_audit_worked_example():
    # Worked example circulated with the county compulsory-education balance audit ("县域义务教育
    # 校际均衡指标计算方法, 以生均图书册数为例"): 5 primary schools, pupils and books
    # 45/279, 37/137, 89/935, 76/160, 55/402 -> county mean 1913/302 = 6.33 books per pupil;
    # sum of pupil-weighted squared deviations 10.65, sqrt 3.26, CV = 3.26 / 6.33 = 0.52.
    pupils = np.array([45, 37, 89, 76, 55])
    books = np.array([279, 137, 935, 160, 402])
    cv = eq.coefficient_of_variation(books / pupils, pupils)
    assert round(cv, 2) == 0.52
    assert cv > eq.CV_LIMIT_PRIMARY  # that county would fail the 0.50 primary-school limit
    assert (eq.CV_LIMIT_PRIMARY, eq.CV_LIMIT_JUNIOR) == (0.50, 0.45)


def test_palma_hand_worked():
    # nine people with 1, one with 10: total 19; bottom 40 % hold 4/19, top 10 % hold 10/19
    assert eq.palma([1] * 9 + [10]) == pytest.approx(2.5)
    # [1, 2] with equal weights = five people with 1, five with 2 (total 15): bottom 40 % (4
    # people) hold 4/15; top 10 % (1 person) holds 2/15 -> 0.5. The cut splits the villages.
    assert eq.palma([1, 2], [1, 1]) == pytest.approx(0.5)
    assert eq.palma([1, 2], [5, 5]) == pytest.approx(0.5)
    # bottom 40 % hold nothing -> documented: inf
    assert eq.palma([0, 0, 0, 0, 0, 1, 1, 1, 1, 1]) == math.inf


def test_concentration_index_hand_worked():
    # h = [1,2,3,4] ranked by income [1,2,3,4]: R = [1/8,3/8,5/8,7/8], mean 2.5;
    # C = 2/2.5 * 1/4 * sum (h-2.5)(R-0.5) = 0.2 * (0.5625+0.0625+0.0625+0.5625) = 0.25
    assert eq.concentration_index([1, 2, 3, 4], [1, 2, 3, 4]) == pytest.approx(0.25)
    assert eq.concentration_index([1, 2, 3, 4], [4, 3, 2, 1]) == pytest.approx(-0.25)
    # ties on the ranking variable share a rank: [1, 3] both ranked 0.5 -> C = 0
    assert eq.concentration_index([1, 3], [5, 5]) == pytest.approx(0.0)


def test_concentration_index_ranked_by_itself_is_gini_and_weights_replicate(weighted_sample):
    x, w, _, rep_x, _ = weighted_sample
    assert eq.concentration_index(x, x, w) == pytest.approx(eq.gini(x, w), rel=1e-10)
    income = np.linspace(1000, 5000, len(x))[::-1]
    rep_income = np.repeat(income, w)
    assert eq.concentration_index(x, income, w) == pytest.approx(
        eq.concentration_index(rep_x, rep_income), rel=1e-10
    )


def test_fgt_hand_worked():
    # times [10, 20, 45, 60] vs standard 30: gaps 0, 0, 0.5, 1
    # P0 = 2/4 = 0.5; P1 = (0.5 + 1)/4 = 0.375; P2 = (0.25 + 1)/4 = 0.3125
    out = eq.fgt([10, 20, 45, 60], 30)
    assert out.to_dict() == pytest.approx({"P0": 0.5, "P1": 0.375, "P2": 0.3125})
    # weights [1, 1, 2, 0]: P0 = 2/4, P1 = 2*0.5/4 = 0.25
    assert eq.fgt([10, 20, 45, 60], 30, [1, 1, 2, 0], alpha=1) == pytest.approx(0.25)
    # a "good" (supply ratio) [0.5, 1, 2] vs 1: gaps 0.5, 0, 0 -> P0 1/3, P1 1/6, P2 1/12
    good = eq.fgt([0.5, 1.0, 2.0], 1.0, higher_is_better=True)
    assert good.to_list() == pytest.approx([1 / 3, 1 / 6, 1 / 12])
    # all-zero counts are allowed for a shortfall: everyone falls short by 100 %
    assert eq.fgt([0, 0], 2, alpha=1, higher_is_better=True) == pytest.approx(1.0)


def test_fgt_p0_is_one_minus_coverage():
    v = _villages()
    c = eq.standards_compliance(v, _table({"clinic": SIMPLE["clinic"]}))
    rate = eq.coverage_rates(v, c).loc[("clinic", "all"), "coverage_rate"]
    p0 = eq.fgt(v["clinic_nearest_min"], 15, v["population"], alpha=0)
    assert p0 == pytest.approx(1 - rate)


def test_lorenz_curve_shape_and_gini(weighted_sample):
    x, w, *_ = weighted_sample
    lc = eq.lorenz_curve(x, w)
    assert list(lc.columns) == ["population_share", "value_share"]
    assert lc.iloc[0].tolist() == [0.0, 0.0]
    assert lc.iloc[-1].tolist() == pytest.approx([1.0, 1.0])
    assert (np.diff(lc["value_share"]) >= 0).all()
    assert (lc["value_share"] <= lc["population_share"] + 1e-12).all()  # below the diagonal
    area = np.trapezoid(lc["value_share"], lc["population_share"])
    assert 1 - 2 * area == pytest.approx(eq.gini(x, w), rel=1e-10)


def test_fill_unreachable():
    s = pd.Series([5.0, np.inf, np.nan], index=list("abc"))
    out = eq.fill_unreachable(s, 90)
    assert out.tolist() == [5.0, 90.0, 90.0]
    assert out.index.equals(s.index)
    assert s.isna().sum() == 1  # input untouched


# ----------------------------------------------------------------------------------------------
# bad input
# ----------------------------------------------------------------------------------------------


def test_weights_that_do_not_match():
    x = pd.Series([1.0, 2.0, 3.0], index=["a", "b", "c"])
    with pytest.raises(InvalidValueError, match="do not match"):
        eq.gini(x, pd.Series([1.0, 1.0, 1.0], index=["a", "b", "x"]))
    # extra ids in the weights are ignored (e.g. full populations with values.dropna())
    full = pd.Series([1.0, 2.0, 1.0, 5.0], index=["a", "b", "c", "d"])
    assert eq.gini(x, full) == pytest.approx(eq.gini([1.0, 2.0, 3.0], [1.0, 2.0, 1.0]))
    with pytest.raises(InvalidValueError, match="weights have 2 entries"):
        eq.theil_t([1.0, 2.0, 3.0], [1.0, 2.0])
    with pytest.raises(InvalidValueError, match="negative"):
        eq.gini([1.0, 2.0], [1.0, -1.0])
    with pytest.raises(InvalidValueError, match="all weights are 0"):
        eq.gini([1.0, 2.0], [0.0, 0.0])


def test_all_zero_measures():
    for func in (eq.gini, eq.theil_t, eq.coefficient_of_variation, eq.palma):
        with pytest.raises(InvalidValueError, match=r"every value .* is 0"):
            func([0.0, 0.0, 0.0])
    with pytest.raises(InvalidValueError, match="every value"):
        eq.theil_decomposition([0.0, 0.0], ["a", "b"])


def test_missing_or_bad_values():
    with pytest.raises(InvalidValueError, match="fill_unreachable"):
        eq.gini([1.0, np.nan, 3.0])
    with pytest.raises(InvalidValueError, match="fill_unreachable"):
        eq.gini(pd.Series([1.0, np.inf]))
    with pytest.raises(InvalidValueError, match="negative"):
        eq.theil_t([1.0, -2.0])
    with pytest.raises(InvalidValueError, match="undefined"):
        eq.theil_l([0.0, 2.0])
    with pytest.raises(InvalidValueError, match="empty"):
        eq.gini([])
    # a village with weight 0 is left out, so its missing value does not matter
    assert eq.gini([1.0, np.nan, 3.0], [1, 0, 1]) == pytest.approx(eq.gini([1.0, 3.0]))


def test_group_column_with_missing_values():
    with pytest.raises(InvalidValueError, match="missing label"):
        eq.theil_decomposition([1.0, 2.0, 3.0], ["a", None, "b"])
    v = _villages()
    v.loc["v03", "township"] = None
    c = eq.standards_compliance(v, _table({"clinic": SIMPLE["clinic"]}))
    with pytest.raises(InvalidValueError, match="missing label"):
        eq.coverage_rates(v, c, by="township")
    # documented workaround: fill them as their own group
    v["township"] = v["township"].fillna("unknown")
    rates = eq.coverage_rates(v, c, by="township")
    assert "unknown" in rates.index.get_level_values("group")


def test_groups_misaligned():
    x = pd.Series([1.0, 2.0], index=["a", "b"])
    with pytest.raises(InvalidValueError, match="do not match"):
        eq.theil_decomposition(x, pd.Series(["u", "r"], index=["a", "c"]))
    with pytest.raises(InvalidValueError, match="has 3 entries"):
        eq.theil_decomposition([1.0, 2.0], ["u", "r", "r"])


def test_fgt_bad_standard():
    with pytest.raises(InvalidValueError, match="positive"):
        eq.fgt([1.0], 0)
    with pytest.raises(InvalidValueError, match="number"):
        eq.fgt([1.0], "30")


# ----------------------------------------------------------------------------------------------
# spatial clustering against esda
# ----------------------------------------------------------------------------------------------


def test_morans_i_equals_esda_and_formula():
    from esda.moran import Moran
    from libpysal.weights import KNN

    v = _villages()
    y = v["primary_school_nearest_min"]
    out = eq.morans_i(y, v, k=4, permutations=99, seed=3)
    coords = np.column_stack([v.geometry.x, v.geometry.y])
    w = KNN.from_array(coords, k=4)
    ref = Moran(y.to_numpy(), w, transformation="r", permutations=0)
    assert out["I"] == pytest.approx(ref.I, rel=1e-12)
    assert out["expected_I"] == pytest.approx(-1 / (len(v) - 1))
    assert out["p_norm"] == pytest.approx(ref.p_norm, rel=1e-10)
    # formula with row-standardised weights (S0 = n): I = z'Wz / z'z
    w.transform = "r"
    z = y.to_numpy() - y.mean()
    assert out["I"] == pytest.approx(z @ (w.sparse @ z) / (z @ z), rel=1e-12)
    assert out["I"] > 0.5  # a smooth gradient is strongly clustered
    assert out["p_sim"] == pytest.approx(1 / 100)  # no permutation beats it
    assert eq.morans_i(y, v, k=4, permutations=99, seed=3).equals(out)  # reproducible


def test_morans_i_projects_geographic_coordinates():
    v = _villages()
    # jitter the grid so that nearest neighbours have no distance ties
    jitter = np.random.default_rng(5).uniform(-200, 200, size=(len(v), 2))
    v = v.set_geometry(gpd.points_from_xy(v.geometry.x + jitter[:, 0], v.geometry.y + jitter[:, 1]))
    v = v.set_crs("EPSG:32650", allow_override=True)
    y = v["clinic_nearest_min"]
    projected = eq.morans_i(y, v, k=4, permutations=0)
    geographic = eq.morans_i(y, v.to_crs(4326), k=4, permutations=0)
    assert geographic["I"] == pytest.approx(projected["I"], rel=1e-9)


def test_local_clusters_equal_esda_and_find_the_hot_spot():
    from esda.moran import Moran_Local
    from libpysal.weights import KNN

    v = _villages()
    y = pd.Series(10.0, index=v.index, name="t")
    rng = np.random.default_rng(0)
    y += rng.normal(0, 1, len(y))
    hot = [f"v{k:02d}" for k in (28, 29, 34, 35)]  # the NE corner (i, j >= 4)
    y[hot] += 30.0
    out = eq.local_clusters(y, v, k=4, permutations=199, seed=1)
    w = KNN.from_array(np.column_stack([v.geometry.x, v.geometry.y]), k=4)
    ref = Moran_Local(y.to_numpy(), w, transformation="r", permutations=0)
    assert np.allclose(out["local_i"], ref.Is)
    assert out.index.equals(v.index)
    assert (out.loc[hot, "quadrant"] == "High-High").all()
    assert out.loc[hot, "poor_access_cluster"].sum() >= 3
    assert not out.drop(index=hot)["poor_access_cluster"].any()


@pytest.mark.parametrize("k", [1, 4, 8])
def test_clustering_equals_esda_on_ties_and_coincident_villages(k):
    """Without importing esda/libpysal: the same neighbours (grid ties, more than k villages at
    one spot), moments, statistics, normal p-value and quadrants as esda on libpysal's KNN."""
    from esda.moran import Moran, Moran_Local
    from libpysal.weights import KNN

    rng = np.random.default_rng(k)
    grid = np.array([(100.0 * i, 100.0 * j) for i in range(6) for j in range(6)])
    stack = np.repeat([[250.0, 250.0], [420.0, 80.0]], [k + 2, 2], axis=0)  # coincident points
    xy = np.vstack([grid, stack, rng.uniform(0, 600, size=(40, 2))])
    v = gpd.GeoDataFrame(geometry=gpd.points_from_xy(xy[:, 0], xy[:, 1]), crs="EPSG:32650")
    v.index = [f"p{i}" for i in range(len(v))]
    y = pd.Series(rng.gamma(2.0, 10.0, len(v)) + xy[:, 0] / 50, index=v.index)
    w = KNN.from_array(xy, k=k)
    mine = eq.spatial._knn_weights(v, v.index, k)
    w.transform = "r"
    assert (mine.sparse != w.sparse).nnz == 0
    assert (mine.s0, mine.s1, mine.s2, mine.max_neighbors) == (w.s0, w.s1, w.s2, w.max_neighbors)
    ref = Moran(y.to_numpy(), w, transformation="r", permutations=0)
    out = eq.morans_i(y, v, k=k, permutations=0)
    for ours, theirs in (("I", ref.I), ("expected_I", ref.EI), ("z_norm", ref.z_norm),
                         ("p_norm", ref.p_norm)):  # fmt: skip
        assert out[ours] == pytest.approx(theirs, rel=1e-12, abs=0)
    for s in (y, -y):  # both signs of z_norm (sf and cdf branches)
        assert eq.morans_i(s, v, k=k, permutations=0)["p_norm"] == pytest.approx(
            Moran(s.to_numpy(), w, permutations=0).p_norm, rel=1e-12
        )
    lisa = Moran_Local(y.to_numpy(), w, transformation="r", permutations=0)
    local = eq.local_clusters(y, v, k=k, permutations=0)
    assert np.allclose(local["local_i"], lisa.Is, rtol=1e-12, atol=0)
    assert local["quadrant"].tolist() == pd.Series(lisa.q).map(eq.spatial._QUADRANTS).tolist()


def test_clustering_does_not_import_esda():
    code = (
        "import sys, numpy as np, pandas as pd, geopandas as gpd\n"
        "from accessibility.equity import morans_i, local_clusters\n"
        "xy = np.random.default_rng(0).uniform(0, 1000, (30, 2))\n"
        "v = gpd.GeoDataFrame(geometry=gpd.points_from_xy(xy[:, 0], xy[:, 1]), crs=32650)\n"
        "y = pd.Series(xy[:, 0], index=v.index)\n"
        "morans_i(y, v, permutations=9); local_clusters(y, v, permutations=9)\n"
        "print(sorted(m for m in ('esda', 'libpysal', 'sklearn') if m in sys.modules))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_clustering_bad_input():
    v = _villages()
    y = v["clinic_nearest_min"].copy()
    y.iloc[0] = np.inf
    with pytest.raises(InvalidValueError, match="fill_unreachable"):
        eq.morans_i(y, v)
    with pytest.raises(InvalidValueError, match="all values are equal"):
        eq.morans_i(pd.Series(1.0, index=v.index), v)
    with pytest.raises(InvalidValueError, match="do not match"):
        eq.local_clusters(v["clinic_nearest_min"], v.iloc[:-1])
    # a measure for some villages only is fine: its locations are looked up by id
    sub = eq.morans_i(v["clinic_nearest_min"].iloc[:-3], v, k=4, permutations=0)
    assert sub["n"] == len(v) - 3


# ----------------------------------------------------------------------------------------------
# standards: compliance, coverage, underserved, summaries
# ----------------------------------------------------------------------------------------------


def test_standards_compliance_by_area_type():
    v = _villages()
    v.loc["v00", "primary_school_nearest_min"] = np.nan  # urban, unreachable
    v.loc["v35", "primary_school_nearest_min"] = np.inf  # rural, unreachable
    c = eq.standards_compliance(v, _table(SIMPLE))
    assert c.index.equals(v.index)
    t = v["primary_school_nearest_min"]
    urban = v["area_type"] == "urban"
    expected = np.where(urban, t <= 10, t <= 30) & np.isfinite(t)
    assert c["primary_school_meets"].astype(bool).tolist() == expected.tolist()
    assert c.loc["v00", "primary_school_meets"] == False  # noqa: E712
    assert c.loc["v35", "primary_school_shortfall_min"] == math.inf
    assert c.loc["v01", "primary_school_threshold_min"] == 10  # urban
    assert c.loc["v20", "primary_school_threshold_min"] == 30  # rural
    ok = np.isfinite(t) & (c["primary_school_meets"] == False)  # noqa: E712
    shortfall = t - c["primary_school_threshold_min"]
    assert np.allclose(c.loc[ok, "primary_school_shortfall_min"], shortfall[ok])
    # an urban-only standard gives <NA> for rural villages; multi-service takes the nearest
    assert c.loc[~urban, "medical_meets"].isna().all()
    nearest = np.minimum(v["clinic_nearest_min"], v["health_centre_nearest_min"])
    assert (c.loc[urban, "medical_value_min"] == nearest[urban]).all()
    assert c.loc[urban, "medical_meets"].tolist() == (nearest[urban] <= 5).tolist()


def test_standards_compliance_distance_and_area_type_spelling(caplog):
    v = _villages()
    v["clinic_nearest_km"] = v["clinic_nearest_min"] * 0.1  # the pipeline writes kilometres
    v["area_type"] = v["area_type"].str.upper().str.pad(8)  # " URBAN", tolerated
    v.loc["v30", "area_type"] = "suburban"
    table = _table(
        {
            "clinic": {
                "urban": {"mode": "walk", "threshold_m": 500, "source": "t"},
                "rural": {"mode": "walk", "threshold_m": 2000, "source": "t"},
            }
        }
    )
    with caplog.at_level(logging.WARNING, logger="accessibility.equity"):
        c = eq.standards_compliance(v, table)
    assert "area type other than" in caplog.text
    assert pd.isna(c.loc["v30", "clinic_meets"])
    assert "clinic_threshold_m" in c.columns
    km = v["clinic_nearest_km"].drop("v30")
    assert c["clinic_value_m"].drop("v30").to_numpy() == pytest.approx(km.to_numpy() * 1000)
    assert c.loc["v00", "clinic_meets"] == (v.loc["v00", "clinic_nearest_km"] <= 0.5)
    assert c.loc["v35", "clinic_meets"] == (v.loc["v35", "clinic_nearest_km"] <= 2.0)
    v["clinic_nearest_m"] = v["clinic_nearest_km"] * 1000
    c_m = eq.standards_compliance(v, table, distance_column="{service}_nearest_m")
    assert c_m["clinic_meets"].equals(c["clinic_meets"])


def test_standards_compliance_mode_and_missing_columns(caplog):
    v = _villages()
    table = _table(
        {
            "clinic": {"all": {"mode": "car", "threshold_min": 15, "source": "t"}},
            "day_care": {"all": {"mode": "walk", "threshold_min": 15, "source": "t"}},
        }
    )
    with pytest.raises(MissingColumnError, match="day_care_nearest_min"):
        eq.standards_compliance(v, table)
    with caplog.at_level(logging.WARNING, logger="accessibility.equity"):
        c = eq.standards_compliance(v, table, missing="skip", mode="walk")
    assert "is for mode 'car'" in caplog.text
    assert list(c.columns) == []  # clinic skipped (mode), day_care skipped (missing)
    v["clinic_car_nearest_min"] = v["clinic_nearest_min"]
    c = eq.standards_compliance(
        v, table, time_column="{service}_{mode}_nearest_min", mode="walk", missing="skip"
    )
    assert "clinic_meets" in c.columns
    # a mapping mode -> pattern: walking standards read walking columns, car standards car ones
    v["day_care_walk_min"] = 3.0
    with caplog.at_level(logging.WARNING, logger="accessibility.equity"):
        c = eq.standards_compliance(
            v, table, time_column={"car": "{service}_nearest_min", "walk": "{service}_walk_min"}
        )
    assert c["day_care_meets"].all()
    assert c["clinic_value_min"].equals(v["clinic_nearest_min"])
    c = eq.standards_compliance(v, table, time_column={"walk": "{service}_walk_min"})
    assert list(c.columns[:1]) == ["day_care_meets"]
    assert "no columns are given for that mode" in caplog.text
    with pytest.raises(MissingColumnError, match="area-type column"):
        eq.standards_compliance(v.drop(columns="area_type"), _table(SIMPLE))


def test_default_standards_cover_the_demo_services():
    table = default_standards()
    single = {s for services in table["services"] for s in services}
    assert set(KNOWN_SERVICES) <= single
    assert table["source"].str.len().min() > 10
    assert set(table["level"]) <= {"national", "policy", "typical"}
    assert not table["source"].str.contains("http").any()  # citations, not links
    v = _villages()
    c = eq.standards_compliance(v, None, missing="skip")
    assert {"primary_school_meets", "clinic_meets", "health_centre_meets"} <= set(c.columns)


def test_coverage_rates_hand_checked():
    v = _villages()
    table = _table(SIMPLE)
    c = eq.standards_compliance(v, table)
    rates = eq.coverage_rates(v, c, by="area_type", standards=table)
    for area in ("urban", "rural"):
        m = v["area_type"] == area
        meets = c.loc[m, "primary_school_meets"].astype(bool)
        pop = v.loc[m, "pop_school_age"]  # the standard's own population column
        row = rates.loc[("primary_school", area)]
        assert row["coverage_rate"] == pytest.approx(pop[meets].sum() / pop.sum())
        assert row["villages"] == m.sum()
        assert row["population_column"] == "pop_school_age"
    # medical applies to urban villages only: the rural row has no population and rate NaN
    assert rates.loc[("medical", "rural"), "population"] == 0
    assert np.isnan(rates.loc[("medical", "rural"), "coverage_rate"])
    overall = eq.coverage_rates(v, c).loc[("clinic", "all")]
    meets = c["clinic_meets"].astype(bool)
    assert overall["coverage_rate"] == pytest.approx(
        v.loc[meets, "population"].sum() / v["population"].sum()
    )
    stacked = eq.coverage_table(v, c, groupings=("area_type", "township"), standards=table)
    assert set(stacked["grouping"]) == {"all", "area_type", "township"}


def test_underserved_ranking():
    v = _villages()
    v.loc["v35", "clinic_nearest_min"] = np.nan  # unreachable: comes first
    c = eq.standards_compliance(v, _table({"clinic": SIMPLE["clinic"]}))
    out = eq.underserved(v, c, top=5)
    assert out["rank"].tolist() == [1, 2, 3, 4, 5]
    assert out.iloc[0]["village_id"] == "v35"
    assert out.iloc[0]["score"] == math.inf
    finite = out[np.isfinite(out["score"])]
    assert (np.diff(finite["score"]) <= 0).all()
    row = finite.iloc[0]
    expected = v.loc[row["village_id"], "population"] * (
        v.loc[row["village_id"], "clinic_nearest_min"] - 15
    )
    assert row["score"] == pytest.approx(expected)
    assert {"name", "township", "area_type"} <= set(out.columns)
    full = eq.underserved(v, c)
    assert len(full) == int((c["clinic_meets"] == False).sum())  # noqa: E712


def test_unit_summary_and_join():
    v = _villages()
    table = _table(SIMPLE)
    c = eq.standards_compliance(v, table)
    s = eq.unit_summary(v, c, by="township", standards=table)
    assert set(s.index) == {"north", "south"}
    assert s["population"].sum() == pytest.approx(v["population"].sum())
    north = v[v["township"] == "north"]
    mean = np.average(north["clinic_nearest_min"], weights=north["population"])
    assert s.loc["north", "clinic_nearest_min_mean"] == pytest.approx(mean)
    assert "primary_school_coverage" in s.columns
    polys = gpd.GeoDataFrame(
        {"township": ["south", "north", "east"], "name": ["南", "北", "东"]},
        geometry=[box(0, 0, 1, 1), box(0, 1, 1, 2), box(1, 0, 2, 1)],
        crs="EPSG:32650",
    )
    layer = eq.join_units(s, polys)
    assert isinstance(layer, gpd.GeoDataFrame)
    assert layer.crs == polys.crs
    assert len(layer) == 3
    assert np.isnan(layer.loc[layer["township"] == "east", "population"]).all()
    assert layer.loc[layer["township"] == "north", "population"].item() == pytest.approx(
        s.loc["north", "population"]
    )


def test_inequality_table_and_urban_rural_gap():
    v = _villages()
    v.loc["v35", "clinic_nearest_min"] = np.inf
    cols = ["primary_school_nearest_min", "clinic_nearest_min"]
    t = eq.inequality_table(v, cols, rank_by="income_yuan")
    assert np.isnan(t.loc["clinic_nearest_min", "gini"])  # unreachable and no fill
    assert "fill_unreachable" in t.loc["clinic_nearest_min", "notes"]
    w = v["population"]
    y = v["primary_school_nearest_min"]
    row = t.loc["primary_school_nearest_min"]
    assert row["gini"] == pytest.approx(eq.gini(y, w))
    assert row["theil_t_between"] + row["theil_t_within"] == pytest.approx(row["theil_t"])
    assert row["concentration_index"] < 0  # poorer (higher-index) villages travel longer
    assert row["mean_rural"] > row["mean_urban"]
    filled = eq.inequality_table(v, cols, unreachable_fill=120.0)
    assert filled.loc["clinic_nearest_min", "gini"] == pytest.approx(
        eq.gini(eq.fill_unreachable(v["clinic_nearest_min"], 120.0), w)
    )
    table = _table(SIMPLE)
    c = eq.standards_compliance(v, table)
    gap = eq.urban_rural_gap(v, c, standards=table)
    assert gap.loc["primary_school", "coverage_gap_pp"] == pytest.approx(
        100
        * (
            gap.loc["primary_school", "coverage_urban"]
            - gap.loc["primary_school", "coverage_rural"]
        )
    )
    assert gap.loc["primary_school", "rural_to_urban_ratio"] > 1


# ----------------------------------------------------------------------------------------------
# standards loader
# ----------------------------------------------------------------------------------------------


def test_load_standards_errors_with_hints(tmp_path):
    with pytest.raises(ConfigError, match="Did you mean 'threshold_min'"):
        _table({"clinic": {"all": {"mode": "walk", "threshold_mins": 5, "source": "x"}}})
    with pytest.raises(ConfigError, match="Did you mean 'rural'"):
        _table({"clinic": {"rurl": {"mode": "walk", "threshold_min": 5, "source": "x"}}})
    with pytest.raises(ConfigError, match="Did you mean 'clinic'"):
        _table({"clinc": {"all": {"mode": "walk", "threshold_min": 5, "source": "x"}}})
    with pytest.raises(ConfigError, match="Did you mean 'walk'"):
        _table({"clinic": {"all": {"mode": "wlak", "threshold_min": 5, "source": "x"}}})
    with pytest.raises(ConfigError, match="must be a number"):
        _table({"clinic": {"all": {"mode": "walk", "threshold_min": "5", "source": "x"}}})
    with pytest.raises(ConfigError, match="positive"):
        _table({"clinic": {"all": {"mode": "walk", "threshold_min": -5, "source": "x"}}})
    with pytest.raises(ConfigError, match="'source' is required"):
        _table({"clinic": {"all": {"mode": "walk", "threshold_min": 5}}})
    with pytest.raises(ConfigError, match="exactly one"):
        _table(
            {
                "clinic": {
                    "all": {"mode": "walk", "threshold_min": 5, "threshold_m": 9, "source": "x"}
                }
            }
        )
    with pytest.raises(ConfigError, match="mixes minutes and metres"):
        _table(
            {
                "clinic": {
                    "urban": {"mode": "walk", "threshold_m": 300, "source": "x"},
                    "rural": {"mode": "walk", "threshold_min": 30, "source": "x"},
                }
            }
        )
    with pytest.raises(ConfigError, match="'all' cannot be combined"):
        _table(
            {
                "clinic": {
                    "all": {"mode": "walk", "threshold_min": 5, "source": "x"},
                    "rural": {"mode": "walk", "threshold_min": 30, "source": "x"},
                }
            }
        )
    # several problems are reported at once
    with pytest.raises(ConfigError, match=r"2 problem\(s\)"):
        _table({"clinic": {"all": {"mode": "walk", "threshold_mn": 5, "source": "x"}}})
    # other services and modes are fine when they are not typos
    t = _table({"pharmacy": {"all": {"mode": "boat", "threshold_min": 10, "source": "x"}}})
    assert t["services"].iloc[0] == ("pharmacy",)
    with pytest.raises(ConfigError, match="not found"):
        load_standards(tmp_path / "nope.toml")
    bad = tmp_path / "bad.toml"
    bad.write_text("[standards.clinic.all\nmode = 1", encoding="utf-8")
    with pytest.raises(ConfigError, match="not valid TOML"):
        load_standards(bad)


def test_write_edit_and_extend_standards(tmp_path):
    path = write_default_standards(tmp_path / "s.toml")
    assert load_standards(path).equals(default_standards())
    with pytest.raises(OutputError):
        write_default_standards(path)
    edited = path.read_text(encoding="utf-8").replace("threshold_min = 30", "threshold_min = 25")
    path.write_text(edited, encoding="utf-8")
    assert (load_standards(path)["threshold"] != 30).all()
    mine = tmp_path / "mine.toml"
    mine.write_text(
        '[standards.clinic.all]\nmode = "walk"\nthreshold_min = 20\nsource = "county plan"\n',
        encoding="utf-8",
    )
    merged = load_standards(mine, extend_default=True)
    assert merged.loc[merged["name"] == "clinic", "threshold"].tolist() == [20.0]
    assert set(default_standards()["name"]) == set(merged["name"])
    only = load_standards(mine)
    assert only["name"].tolist() == ["clinic"]
    assert only["level"].iloc[0] == "local"  # default level for user entries
    assert load_standards(only).equals(only)  # a table round-trips


@pytest.mark.slow
@pytest.mark.filterwarnings("ignore:The alternative hypothesis:DeprecationWarning")
def test_local_cluster_p_values_agree_with_esda_permutations():
    """Our numpy conditional permutation vs esda's numba one (different random draws): the
    pseudo p-values agree within Monte Carlo error. Slow: esda's kernel compiles for ~45 s."""
    from esda.moran import Moran_Local
    from libpysal.weights import KNN

    v = _villages(8)
    rng = np.random.default_rng(11)
    y = pd.Series(rng.normal(0, 1, len(v)), index=v.index)
    y[[f"v{k:02d}" for k in (0, 1, 8, 9)]] += 3.0
    ours = eq.local_clusters(y, v, k=4, permutations=999, seed=2)
    w = KNN.from_array(np.column_stack([v.geometry.x, v.geometry.y]), k=4)
    ref = Moran_Local(y.to_numpy(), w, transformation="r", permutations=999, seed=2)
    diff = np.abs(ours["p_sim"].to_numpy() - ref.p_sim)
    # binomial standard error of a p-value near 0.5 with 999 draws is ~0.016 per estimate
    assert diff.max() < 0.08
    assert np.mean(diff) < 0.02
    assert ((ours["p_sim"] <= 0.05) == (ref.p_sim <= 0.05)).mean() > 0.9
