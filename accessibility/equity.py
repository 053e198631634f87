"""Balance and equity: coverage against planning standards, inequality indices, the urban-rural gap.

Three groups of functions, all taking the per-village layer (one row per village, indexed by village
id) and returning new pandas objects aligned to it:

* **Standards** -- :func:`standards_compliance` says for every village whether it meets the
  standard that applies to its area type (urban / rural); :func:`coverage_rates` turns that into
  the population share meeting each standard (达标率) overall, by urban/rural or by township;
  :func:`underserved` ranks villages by population x shortfall; :func:`unit_summary` and
  :func:`join_units` make a township table/layer.
* **Inequality** of any per-village measure, population-weighted: :func:`gini`, :func:`theil_t`,
  :func:`theil_l`, :func:`theil_decomposition`, :func:`coefficient_of_variation`, :func:`palma`,
  :func:`concentration_index`, :func:`lorenz_curve`, :func:`fgt`; :func:`inequality_table` and
  :func:`urban_rural_gap` gather them for a report.
* **Spatial clustering** of poor access: :func:`morans_i` and :func:`local_clusters` (PySAL
  ``esda`` with k-nearest-neighbour weights from ``libpysal``).

Weights are populations: an index computed with weights equals the index computed on a list where
every village is repeated once per resident. Inputs are checked once, with errors that say what was
found and how to fix it: weights that do not match the values, negative or missing values, all-zero
measures, groups with missing labels (see :func:`_prepare`).

References
----------
Cowell, F. (2011). *Measuring Inequality*, 3rd ed. Oxford University Press (Gini, Theil, Palma).
Shorrocks, A. (1980). The class of additively decomposable inequality measures. *Econometrica* 48.
O'Donnell, O. et al. (2008). *Analyzing Health Equity Using Household Survey Data*, ch. 8
(concentration index). Foster, J., Greer, J., Thorbecke, E. (1984). A class of decomposable poverty
measures. *Econometrica* 52. Anselin, L. (1995). Local indicators of spatial association - LISA.
*Geographical Analysis* 27.

Examples
--------
The examples run on the bundled (synthetic) demo county: the per-village layer of car travel
times to every service, checked against the built-in Chinese planning standards.

>>> import accessibility as acc
>>> from accessibility.equity import *
>>> from accessibility.standards import load_standards
>>> demo = acc.load_demo()
>>> net = acc.network_from_roads(demo.roads, tolerance_m=2.5)
>>> layer = acc.accessibility_layer(net, demo.villages, demo.facilities)  # car times
>>> standards = load_standards()
>>> compliance = standards_compliance(layer, standards, mode="car", missing="skip")
>>> clinic = fill_unreachable(layer["clinic_nearest_min"], 60)  # minutes to the nearest clinic
>>> pop = layer["population"]
>>> len(layer), round(float(clinic.max()), 1)
(354, 44.4)
"""

from __future__ import annotations

import logging
import math
from collections.abc import Hashable, Iterable, Mapping, Sequence
from typing import Any, Literal

import numpy as np
import pandas as pd

from .errors import InputWarning, InvalidValueError, MissingColumnError, suggest, warn

__all__ = [
    "CV_LIMIT_JUNIOR",
    "CV_LIMIT_PRIMARY",
    "coefficient_of_variation",
    "concentration_index",
    "coverage_rates",
    "coverage_table",
    "fgt",
    "fill_unreachable",
    "gini",
    "inequality_table",
    "join_units",
    "local_clusters",
    "lorenz_curve",
    "morans_i",
    "palma",
    "standards_compliance",
    "theil_decomposition",
    "theil_l",
    "theil_t",
    "underserved",
    "unit_summary",
    "urban_rural_gap",
]

logger = logging.getLogger(__name__)

#: Largest school-level coefficient of variation (校际差异系数) allowed for primary schools by the
#: Ministry of Education's audit for high-quality balanced compulsory education in a county
#: (《县域义务教育优质均衡发展督导评估办法》, 教督〔2017〕6号). The audit applies it to resource
#: indicators across schools (weighted by pupils); applied to per-village access it is a yardstick,
#: not a legal limit.
CV_LIMIT_PRIMARY: float = 0.50
#: Same audit, junior middle schools (初中).
CV_LIMIT_JUNIOR: float = 0.45

ArrayLike = pd.Series | np.ndarray | Sequence[float]


# --------------------------------------------------------------------------------------------
# input checks (one place)
# --------------------------------------------------------------------------------------------


def _prepare(
    values: ArrayLike,
    weights: ArrayLike | None = None,
    *,
    what: str = "index",
    allow_zero_total: bool = False,
) -> tuple[np.ndarray, np.ndarray]:
    """Return (values, weights) as checked, aligned float arrays; villages with weight 0 dropped.

    Rules: if both are Series their indexes must hold the same labels (weights are aligned to the
    values' order); arrays must have the same length. Values must be finite and >= 0; weights
    finite and >= 0 with a positive total. Unless ``allow_zero_total``, values must not all be 0.
    """
    x, w, _ = _prepare_with_index(values, weights, what=what, allow_zero_total=allow_zero_total)
    return x, w


def _prepare_with_index(
    values: ArrayLike,
    weights: ArrayLike | None,
    *,
    what: str,
    allow_zero_total: bool = False,
    allow_negative: bool = False,
) -> tuple[np.ndarray, np.ndarray, pd.Index]:
    vals = values if isinstance(values, pd.Series) else pd.Series(np.asarray(values, dtype=float))
    name = f"{vals.name!r}" if vals.name is not None else "values"
    if len(vals) == 0:
        raise InvalidValueError(f"{what}: {name} is empty; there is nothing to measure")
    if weights is None:
        wts = pd.Series(1.0, index=vals.index)
    elif isinstance(weights, pd.Series) and isinstance(values, pd.Series):
        wts = _align(weights, vals.index, what=what, left=name, right="weights")
    else:
        arr = np.asarray(weights, dtype=float).ravel()
        if arr.shape[0] != len(vals):
            raise InvalidValueError(
                f"{what}: weights have {arr.shape[0]} entries but {name} has {len(vals)}; pass "
                "one weight (population) per village, e.g. villages['population']"
            )
        wts = pd.Series(arr, index=vals.index)
    try:
        x = vals.to_numpy(dtype=float, na_value=np.nan)
    except (TypeError, ValueError) as exc:
        raise InvalidValueError(f"{what}: {name} must be numbers ({exc})") from exc
    w = wts.to_numpy(dtype=float, na_value=np.nan)
    bad_w = ~np.isfinite(w) | (w < 0)
    if bad_w.any():
        raise InvalidValueError(
            f"{what}: {int(bad_w.sum())} weight(s) are missing, infinite or negative (e.g. at "
            f"{list(vals.index[bad_w][:3])}); weights are populations, fill missing ones with 0 "
            "to leave a village out"
        )
    keep = w > 0
    if not keep.any():
        raise InvalidValueError(f"{what}: all weights are 0; there is no population to measure")
    bad_x = ~np.isfinite(x) & keep
    if bad_x.any():
        raise InvalidValueError(
            f"{what}: {name} has {int(bad_x.sum())} missing or infinite value(s) (e.g. at "
            f"{list(vals.index[bad_x][:3])}), usually villages that reach no facility within the "
            "search limit; fill them with a cap first (fill_unreachable(values, fill=...)) or "
            "drop them (values.dropna())"
        )
    if not allow_negative and (x[keep] < 0).any():
        n = int((x[keep] < 0).sum())
        raise InvalidValueError(
            f"{what}: {name} has {n} negative value(s); inequality indices need values >= 0 "
            "(travel times, counts, supply ratios)"
        )
    if not allow_zero_total and not (np.abs(x[keep]) > 0).any():
        raise InvalidValueError(
            f"{what}: every value of {name} is 0, so the index is undefined (0/0). If no village "
            "reaches the service, report the coverage rate (0%) instead of an inequality index"
        )
    return x[keep], w[keep], vals.index[keep]


def _align(series: pd.Series, index: pd.Index, *, what: str, left: str, right: str) -> pd.Series:
    """``series`` reindexed to ``index``; every id of ``index`` must be in ``series`` (extra ids in
    ``series`` are ignored, e.g. full populations with ``values.dropna()``)."""
    if series.index.has_duplicates:
        raise InvalidValueError(f"{what}: {right} has duplicate index labels; ids must be unique")
    if series.index.equals(index):
        return series
    missing = index.difference(series.index)
    if len(missing):
        extra = series.index.difference(index)
        raise InvalidValueError(
            f"{what}: {right} do not match {left}: {len(missing)} village id(s) of {left} are "
            f"not in {right} (e.g. {list(missing[:3])}; {right} have {len(extra)} other id(s), "
            f"e.g. {list(extra[:3])}). Pass both from the same villages layer"
        )
    return series.reindex(index)


def _like_values(other: ArrayLike, values: ArrayLike, *, what: str, right: str) -> pd.Series:
    """``other`` as a Series like ``values`` (by label if both are Series, else by position)."""
    if isinstance(values, pd.Series):
        index = values.index
    else:
        index = pd.RangeIndex(len(np.asarray(values)))
    if isinstance(other, pd.Series) and isinstance(values, pd.Series):
        return _align(other, index, what=what, left="values", right=right)
    arr = np.asarray(other, dtype=object).ravel()
    if arr.shape[0] != len(index):
        raise InvalidValueError(
            f"{what}: {right} has {arr.shape[0]} entries but there are {len(index)} values; "
            "pass one per village"
        )
    return pd.Series(arr, index=index)


def _groups(g: pd.Series, index: pd.Index, *, what: str) -> np.ndarray:
    g = g.loc[index]
    missing = g.isna()
    if missing.any():
        raise InvalidValueError(
            f"{what}: the group column has {int(missing.sum())} missing label(s) (e.g. at "
            f"{list(g.index[missing][:3])}); every village must belong to a group. Fill them "
            "(groups.fillna('unknown')) to keep those villages as their own group, or drop them"
        )
    return g.to_numpy(dtype=object)


def _column(frame: pd.DataFrame, column: str, *, what: str, role: str = "column") -> pd.Series:
    if column not in frame.columns:
        raise MissingColumnError(
            f"{what}: the villages have no {role} {column!r}.{suggest(column, frame.columns)} "
            f"Columns are: {list(frame.columns)[:20]}"
        )
    return frame[column]


# --------------------------------------------------------------------------------------------
# inequality indices
# --------------------------------------------------------------------------------------------


def _lorenz_points(x: np.ndarray, w: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    order = np.argsort(x, kind="stable")
    xs, ws = x[order], w[order]
    p = np.concatenate([[0.0], np.cumsum(ws) / ws.sum()])
    ly = np.concatenate([[0.0], np.cumsum(xs * ws) / (xs * ws).sum()])
    return p, ly


def gini(values: ArrayLike, weights: ArrayLike | None = None) -> float:
    """Population-weighted Gini coefficient of a per-village measure.

    .. math:: G = \\frac{\\sum_i \\sum_j w_i w_j |x_i - x_j|}{2 W^2 \\mu}
              = 1 - \\sum_k (p_k - p_{k-1})(L_k + L_{k-1})

    with :math:`W = \\sum w`, :math:`\\mu = \\sum w x / W`, and :math:`(p_k, L_k)` the Lorenz
    curve points (cumulative population and value shares, villages sorted by value). 0 = everyone
    has the same value; values near 1 = one village holds everything. Unit-free.

    Reference: Gini, C. (1912). *Variabilità e mutabilità*. Bologna: Cuppini; the weighted form
    as in Cowell (2011), *Measuring Inequality*, 3rd ed., ch. 2.

    Parameters
    ----------
    values
        Measure per village, >= 0 and finite (travel time in minutes, supply ratio, ...).
    weights
        Population per village (same index or length); ``None`` weighs villages equally.

    Returns
    -------
    float

    Raises
    ------
    InvalidValueError
        Weights that do not match the values, missing/negative values, all values 0.

    Examples
    --------
    >>> from accessibility.equity import gini
    >>> gini([1, 2, 3, 4])
    0.25
    >>> round(gini(clinic, pop), 4)  # minutes to the nearest clinic, population-weighted
    0.4044
    """
    x, w = _prepare(values, weights, what="gini")
    p, ly = _lorenz_points(x, w)
    return float(1.0 - np.sum(np.diff(p) * (ly[1:] + ly[:-1])))


def lorenz_curve(values: ArrayLike, weights: ArrayLike | None = None) -> pd.DataFrame:
    """Lorenz curve: cumulative population share against cumulative share of the measure.

    Villages are sorted by value (lowest first); the first row is (0, 0) and the last (1, 1). For a
    travel time, the curve shows which share of all person-minutes the best-served people carry.

    Units: shares (0 to 1) of the population and of the measure.

    Reference: Lorenz, M. O. (1905). Methods of measuring the concentration of wealth.
    *Publications of the American Statistical Association* 9(70), 209-219.

    Returns
    -------
    pandas.DataFrame
        Columns ``population_share`` and ``value_share``, n + 1 rows.

    Examples
    --------
    >>> from accessibility.equity import lorenz_curve
    >>> lorenz_curve([1, 3], [1, 1])["value_share"].tolist()
    [0.0, 0.25, 1.0]
    >>> lorenz_curve(clinic, pop).iloc[[0, 177, -1]].round(4)
         population_share  value_share
    0              0.0000       0.0000
    177            0.4906       0.2126
    354            1.0000       1.0000
    """
    x, w = _prepare(values, weights, what="lorenz_curve")
    p, ly = _lorenz_points(x, w)
    return pd.DataFrame({"population_share": p, "value_share": ly})


def theil_t(values: ArrayLike, weights: ArrayLike | None = None) -> float:
    """Population-weighted Theil T index (GE(1)).

    .. math:: T = \\sum_i \\frac{w_i}{W} \\frac{x_i}{\\mu} \\ln \\frac{x_i}{\\mu}

    with :math:`0 \\ln 0 = 0`. 0 = perfect equality; the maximum is :math:`\\ln` of the population.
    Zeros are allowed. Same as PySAL ``inequality.theil.Theil`` on a list with each village repeated
    once per person.

    Unit-free (natural logarithms).

    Reference: Theil, H. (1967). *Economics and Information Theory*. Amsterdam: North-Holland.

    Examples
    --------
    >>> from accessibility.equity import theil_t
    >>> round(theil_t([1, 1, 1, 1]), 12)
    0.0
    >>> round(theil_t(clinic, pop), 4)
    0.2972
    """
    x, w = _prepare(values, weights, what="theil_t")
    return _theil_t(x, w)


def _theil_t(x: np.ndarray, w: np.ndarray) -> float:
    mu = np.sum(w * x) / np.sum(w)
    if mu == 0:
        return 0.0
    r = x / mu
    with np.errstate(divide="ignore", invalid="ignore"):
        terms = np.where(r > 0, r * np.log(r), 0.0)
    return float(np.sum(w * terms) / np.sum(w))


def theil_l(values: ArrayLike, weights: ArrayLike | None = None) -> float:
    """Population-weighted Theil L index (mean log deviation, GE(0)).

    .. math:: L = \\sum_i \\frac{w_i}{W} \\ln \\frac{\\mu}{x_i}

    More sensitive than T at the bottom of the distribution. Undefined when any value is 0.

    Unit-free (natural logarithms).

    Reference: Theil, H. (1967). *Economics and Information Theory*. Amsterdam: North-Holland.

    Raises
    ------
    InvalidValueError
        If a village with population has the value 0 (e.g. a facility in the village, time 0);
        use :func:`theil_t`, or add a small offset deliberately.

    Examples
    --------
    >>> from accessibility.equity import theil_l
    >>> round(theil_l([1, 4], [1, 1]), 6)  # ln(2.5) - (ln 1 + ln 4) / 2
    0.223144
    >>> round(theil_l(clinic, pop), 4)
    0.3152
    """
    x, w = _prepare(values, weights, what="theil_l")
    _require_positive(x, "theil_l")
    return _theil_l(x, w)


def _require_positive(x: np.ndarray, what: str) -> None:
    if (x <= 0).any():
        raise InvalidValueError(
            f"{what}: {int((x <= 0).sum())} village(s) have the value 0; Theil L (mean log "
            "deviation) is undefined there (ln 0). Use Theil T, which allows zeros"
        )


def _theil_l(x: np.ndarray, w: np.ndarray) -> float:
    mu = np.sum(w * x) / np.sum(w)
    return float(np.sum(w * np.log(mu / x)) / np.sum(w))


def theil_decomposition(
    values: ArrayLike,
    groups: ArrayLike,
    weights: ArrayLike | None = None,
    *,
    index: Literal["T", "L"] = "T",
) -> pd.DataFrame:
    """Split a Theil index into between-group and within-group parts (e.g. urban/rural, township).

    For Theil T, with group value shares :math:`s_g = Y_g / Y` and means :math:`\\mu_g`:

    .. math:: T = \\underbrace{\\sum_g s_g \\ln \\frac{\\mu_g}{\\mu}}_{between}
              + \\underbrace{\\sum_g s_g T_g}_{within}

    For Theil L, with population shares :math:`p_g = W_g / W`:

    .. math:: L = \\sum_g p_g \\ln \\frac{\\mu}{\\mu_g} + \\sum_g p_g L_g

    The between part is the inequality that would remain if everyone in a group had the group's
    mean: with urban/rural groups it is the urban-rural gap's share of all inequality.

    Unit-free (natural logarithms).

    Reference: Shorrocks, A. F. (1980). The class of additively decomposable inequality
    measures. *Econometrica* 48(3), 613-625.

    Parameters
    ----------
    values
        Measure per village (>= 0; > 0 for ``index="L"``).
    groups
        Group label per village (same index or length). Missing labels are an error: fill them
        (``groups.fillna("unknown")``) or drop those villages.
    weights
        Population per village.
    index
        ``"T"`` or ``"L"``.

    Returns
    -------
    pandas.DataFrame
        One row per group (columns ``population_share``, ``value_share``, ``mean``, ``theil``
        (within that group), ``contribution`` (its term of the within part), and
        ``between_term``), then rows ``"between"``, ``"within"`` and ``"total"`` in column
        ``theil``; ``between + within == total``. Column ``between_share`` on the total row gives
        between / total.

    Examples
    --------
    >>> from accessibility.equity import theil_decomposition
    >>> d = theil_decomposition([1, 1, 3, 3], ["a", "a", "b", "b"])
    >>> round(float(d.loc["between", "theil"]), 6), round(float(d.loc["within", "theil"]), 12)
    (0.130812, 0.0)
    >>> theil_decomposition(clinic, layer["area_type"], pop)["theil"].round(4)
    group
    rural      0.3478
    urban      0.0192
    between    0.0064
    within     0.2908
    total      0.2972
    Name: theil, dtype: float64
    """
    if index not in ("T", "L"):
        raise InvalidValueError(f"theil_decomposition: index must be 'T' or 'L', got {index!r}")
    what = f"theil_decomposition({index})"
    x, w, idx = _prepare_with_index(values, weights, what=what)
    g = _groups(_like_values(groups, values, what=what, right="groups"), idx, what=what)
    if index == "L":
        _require_positive(x, what)
    total_w, total_y = w.sum(), (w * x).sum()
    mu = total_y / total_w
    rows: dict[Hashable, dict[str, float]] = {}
    labels = pd.unique(g)
    for label in sorted(labels, key=str):
        m = g == label
        wg, yg = w[m].sum(), (w[m] * x[m]).sum()
        mu_g = yg / wg
        p_g, s_g = wg / total_w, yg / total_y
        if index == "T":
            t_g = _theil_t(x[m], w[m]) if yg > 0 else 0.0
            between = s_g * math.log(mu_g / mu) if s_g > 0 else 0.0
            contribution = s_g * t_g
        else:
            t_g = _theil_l(x[m], w[m])
            between = p_g * math.log(mu / mu_g)
            contribution = p_g * t_g
        rows[label] = {
            "population_share": p_g,
            "value_share": s_g,
            "mean": mu_g,
            "theil": t_g,
            "contribution": contribution,
            "between_term": between,
        }
    table = pd.DataFrame.from_dict(rows, orient="index")
    between = float(table["between_term"].sum())
    within = float(table["contribution"].sum())
    total = _theil_t(x, w) if index == "T" else _theil_l(x, w)
    summary = pd.DataFrame(
        {
            "theil": [between, within, total],
            "between_share": [np.nan, np.nan, between / total if total > 0 else np.nan],
        },
        index=["between", "within", "total"],
    )
    out = pd.concat([table, summary])
    out.index.name = "group"
    return out


def coefficient_of_variation(values: ArrayLike, weights: ArrayLike | None = None) -> float:
    """Population-weighted coefficient of variation (差异系数): weighted std / weighted mean.

    .. math:: CV = \\frac{1}{\\mu} \\sqrt{\\sum_i \\frac{w_i}{W} (x_i - \\mu)^2}

    This is the formula of China's compulsory-education balance audits (weights = pupils per
    school); compare with :data:`CV_LIMIT_PRIMARY` (0.50) and :data:`CV_LIMIT_JUNIOR` (0.45).

    Unit-free.

    Reference: Ministry of Education (2017), 《县域义务教育优质均衡发展督导评估办法》
    (教督〔2017〕6号), the audit's 差异系数.

    Examples
    --------
    >>> from accessibility.equity import coefficient_of_variation
    >>> coefficient_of_variation([2, 4, 4, 4, 5, 5, 7, 9])  # std 2, mean 5
    0.4
    >>> round(coefficient_of_variation(clinic, pop), 4)
    0.9222
    """
    x, w = _prepare(values, weights, what="coefficient_of_variation")
    mu = np.sum(w * x) / np.sum(w)
    return float(math.sqrt(np.sum(w * (x - mu) ** 2) / np.sum(w)) / mu)


def _lorenz_at(p: np.ndarray, ly: np.ndarray, share: float) -> float:
    # the curve is linear within a village (everyone there has the same value): interpolate
    return float(np.interp(share, p, ly))


def palma(values: ArrayLike, weights: ArrayLike | None = None) -> float:
    """Palma ratio: share held by the top 10 % of people over the share held by the bottom 40 %.

    .. math:: Palma = \\frac{1 - L(0.9)}{L(0.4)}

    with :math:`L` the Lorenz curve, interpolated linearly inside a village (a village's residents
    share its value, so the 10 % / 40 % cut may split a village). For a travel time the top 10 % are
    the people with the *longest* times. Returns ``inf`` when the bottom 40 % hold nothing (e.g.
    40 % of people have 0 facilities within reach).

    Unit-free (a ratio of shares).

    Reference: Palma, J. G. (2011). Homogeneity and heterogeneity in the distribution of income.
    *Development and Change* 42(1), 87-153; Cobham, A. & Sumner, A. (2013). Is it all about the
    tails? The Palma measure of income inequality. Center for Global Development, Working Paper 343.

    Examples
    --------
    >>> from accessibility.equity import palma
    >>> round(palma([1] * 9 + [10]), 6)  # top 10 % hold 10/19, bottom 40 % hold 4/19
    2.5
    >>> round(palma(clinic, pop), 4)  # the 10 % farthest carry this many times the 40 % nearest
    1.9737
    """
    x, w = _prepare(values, weights, what="palma")
    p, ly = _lorenz_points(x, w)
    bottom = _lorenz_at(p, ly, 0.4)
    top = 1.0 - _lorenz_at(p, ly, 0.9)
    if bottom <= 0:
        return math.inf
    return float(top / bottom)


def concentration_index(
    values: ArrayLike, rank_by: ArrayLike, weights: ArrayLike | None = None
) -> float:
    """Concentration index of a measure against a ranking variable (e.g. income per head).

    .. math:: C = \\frac{2}{\\mu} \\sum_i \\frac{w_i}{W} (x_i - \\mu)(R_i - \\tfrac12)

    where :math:`R_i` is the weighted fractional rank of village *i* by ``rank_by`` (poorest first):
    the midpoint of its population's interval, :math:`R_i = (\\sum_{j<i} w_j + w_i/2)/W`; villages
    tied on ``rank_by`` share the midpoint of their joint interval. C lies in [-1, 1]; C > 0 means
    the measure is concentrated among the better-off. For a *travel time* (a "bad"), C < 0 means
    poorer villages travel longer (pro-rich access). Ranking a measure by itself gives its Gini.

    Unit-free, in [-1, 1].

    Reference: Wagstaff, A., Paci, P. & van Doorslaer, E. (1991). On the measurement of
    inequalities in health. *Social Science & Medicine* 33(5), 545-557; O'Donnell, O. et al.
    (2008). *Analyzing Health Equity Using Household Survey Data*, ch. 8. World Bank.

    Examples
    --------
    >>> from accessibility.equity import concentration_index
    >>> concentration_index([4, 3, 2, 1], rank_by=[10, 20, 30, 40])
    -0.25
    >>> round(concentration_index(clinic, layer["income_yuan"], pop), 4)
    -0.0861
    """
    x, w, idx = _prepare_with_index(values, weights, what="concentration_index")
    r = _like_values(rank_by, values, what="concentration_index", right="rank_by").loc[idx]
    r = pd.to_numeric(r, errors="coerce")
    rank = r.to_numpy(dtype=float, na_value=np.nan)
    if not np.isfinite(rank).all():
        raise InvalidValueError(
            f"concentration_index: rank_by has {int((~np.isfinite(rank)).sum())} missing value(s); "
            "every village needs a ranking value (e.g. income_yuan)"
        )
    total = w.sum()
    order = np.argsort(rank, kind="stable")
    rs, ws = rank[order], w[order]
    cum = np.cumsum(ws)
    start = cum - ws
    # ties on the ranking variable share the midpoint of their joint interval
    frame = pd.DataFrame({"r": rs, "start": start, "end": cum})
    lo = frame.groupby("r")["start"].transform("min").to_numpy()
    hi = frame.groupby("r")["end"].transform("max").to_numpy()
    frac = np.empty_like(rs)
    frac[order] = (lo + hi) / 2.0 / total
    mu = np.sum(w * x) / total
    return float(2.0 / mu * np.sum(w / total * (x - mu) * (frac - 0.5)))


def fgt(
    values: ArrayLike,
    standard: float,
    weights: ArrayLike | None = None,
    *,
    alpha: float | Iterable[float] = (0, 1, 2),
    higher_is_better: bool = False,
) -> pd.Series | float:
    """Foster-Greer-Thorbecke shortfall indices below (or above) a standard.

    For a travel time (``higher_is_better=False``) a village falls short when :math:`x_i > z`, with
    relative gap :math:`g_i = (x_i - z)/z`; for a "good" such as a supply ratio, when
    :math:`x_i < z`, with :math:`g_i = (z - x_i)/z`. Then

    .. math:: P_\\alpha = \\sum_i \\frac{w_i}{W} g_i^\\alpha \\, [\\text{village } i
              \\text{ falls short}]

    :math:`P_0` is the population share not meeting the standard (1 - coverage rate), :math:`P_1`
    the mean relative shortfall (per person, in units of the standard), :math:`P_2` weighs large
    shortfalls more (severity). For times, gaps above 1 are possible (twice the standard = 1).

    Units: :math:`P_0` is a population share (0 to 1); :math:`P_1`, :math:`P_2` are unit-free
    (gaps in units of the standard).

    Reference: Foster, J., Greer, J. & Thorbecke, E. (1984). A class of decomposable poverty
    measures. *Econometrica* 52(3), 761-766.

    Parameters
    ----------
    values
        Measure per village, finite and >= 0 (cap unreachable villages first).
    standard
        The threshold :math:`z` (> 0), in the unit of ``values``.
    weights
        Population per village.
    alpha
        One exponent, or several (default 0, 1, 2).
    higher_is_better
        False for times and distances, True for supply ratios or counts.

    Returns
    -------
    pandas.Series or float
        Indexed by ``"P0"``, ``"P1"``, ... when several alphas are given; a float for one.

    Examples
    --------
    >>> from accessibility.equity import fgt
    >>> fgt([10, 20, 30, 60], 30).round(4).tolist()  # gaps 0, 0, 0, 1
    [0.25, 0.25, 0.25]
    >>> fgt(clinic, 15, pop).round(4).tolist()  # against a 15-minute standard
    [0.016, 0.0084, 0.0105]
    """
    if isinstance(standard, bool) or not isinstance(standard, int | float | np.number):
        raise InvalidValueError(f"fgt: standard must be a number, got {standard!r}")
    if not (math.isfinite(standard) and standard > 0):
        raise InvalidValueError(f"fgt: standard must be a positive number, got {standard!r}")
    x, w = _prepare(values, weights, what="fgt", allow_zero_total=True)
    if higher_is_better:
        gap = np.clip((standard - x) / standard, 0.0, None)
    else:
        gap = np.clip((x - standard) / standard, 0.0, None)
    short = gap > 0
    alphas = [alpha] if isinstance(alpha, int | float) else list(alpha)
    out = {}
    for a in alphas:
        if a < 0:
            raise InvalidValueError(f"fgt: alpha must be >= 0, got {a}")
        term = np.where(short, gap**a if a > 0 else 1.0, 0.0)
        out[f"P{a:g}"] = float(np.sum(w * term) / np.sum(w))
    if isinstance(alpha, int | float):
        return next(iter(out.values()))
    return pd.Series(out, name="fgt")


def fill_unreachable(values: pd.Series, fill: float) -> pd.Series:
    """Replace missing/infinite values (unreachable villages) by ``fill``, e.g. the search limit.

    Indices need finite values; a village that reaches no facility within the search limit gets
    *at least* the limit. Say which cap you used when you report the result.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> from accessibility.equity import fill_unreachable
    >>> fill_unreachable(pd.Series([5.0, np.inf, np.nan]), 60).tolist()
    [5.0, 60.0, 60.0]
    """
    if not math.isfinite(fill):
        raise InvalidValueError(f"fill_unreachable: fill must be a finite number, got {fill!r}")
    v = pd.to_numeric(values, errors="coerce").astype(float)
    return v.where(np.isfinite(v), float(fill))


# --------------------------------------------------------------------------------------------
# spatial clustering (esda, libpysal)
# --------------------------------------------------------------------------------------------


def _knn_weights(locations: Any, index: pd.Index, k: int) -> Any:
    try:
        from libpysal.weights import KNN
    except ImportError as exc:  # pragma: no cover - optional dependency
        raise ImportError(
            "spatial clustering needs libpysal and esda: pip install 'accessibility[equity]'"
        ) from exc
    geoms = getattr(locations, "geometry", None)
    if geoms is None:
        raise InvalidValueError("locations must be a GeoDataFrame/GeoSeries of village points")
    if not geoms.index.equals(index):
        geoms = _align(geoms, index, what="morans_i", left="values", right="locations")
    if geoms.crs is None:
        from .errors import CRSError

        raise CRSError("locations have no CRS; set it with .set_crs(...) before clustering")
    from ._crs import to_metric

    geoms, _ = to_metric(geoms)  # k nearest in metres, never in degrees
    pts = geoms.representative_point() if not (geoms.geom_type == "Point").all() else geoms
    coords = np.column_stack([pts.x.to_numpy(), pts.y.to_numpy()])
    n = len(coords)
    if n < 3:
        raise InvalidValueError(f"spatial clustering needs at least 3 villages, got {n}")
    if k >= n:
        logger.warning("k=%d neighbours but only %d villages; using k=%d", k, n, n - 1)
        k = n - 1
    w = KNN.from_array(coords, k=k, ids=list(range(n)))
    w.transform = "r"
    return w


def _finite_series(values: pd.Series, what: str) -> np.ndarray:
    y = pd.to_numeric(values, errors="coerce").to_numpy(dtype=float, na_value=np.nan)
    if not np.isfinite(y).all():
        raise InvalidValueError(
            f"{what}: {int((~np.isfinite(y)).sum())} missing or infinite value(s); fill them "
            "with fill_unreachable(values, fill=...) first"
        )
    if np.ptp(y) == 0:
        raise InvalidValueError(f"{what}: all values are equal; there is no pattern to test")
    return y


def morans_i(
    values: pd.Series,
    locations: Any,
    *,
    k: int = 8,
    permutations: int = 999,
    seed: int | None = 0,
) -> pd.Series:
    """Global Moran's I of a per-village measure with k-nearest-neighbour weights.

    .. math:: I = \\frac{n}{S_0} \\frac{\\sum_i \\sum_j w_{ij} z_i z_j}{\\sum_i z_i^2}

    with :math:`z` the deviations from the mean and row-standardised KNN weights (so
    :math:`S_0 = n`). I > E[I] = -1/(n-1): similar values cluster (poor access is concentrated in
    some areas); I < E[I]: neighbours differ. Computed with PySAL ``esda.Moran``; the permutation
    p-value uses a seeded generator so it is reproducible. Unit-free.

    Reference: Moran, P. A. P. (1950). Notes on continuous stochastic phenomena. *Biometrika*
    37(1/2), 17-23; Cliff, A. D. & Ord, J. K. (1981). *Spatial Processes*. London: Pion.

    Parameters
    ----------
    values
        Finite measure per village (fill unreachable villages first).
    locations
        GeoDataFrame/GeoSeries of the villages (same index); geographic CRSs are projected to
        local UTM for the neighbour search.
    k
        Number of nearest neighbours.
    permutations
        Random permutations for ``p_sim`` (0 to skip).
    seed
        Seed of the permutations.

    Returns
    -------
    pandas.Series
        ``I``, ``expected_I``, ``z_norm``, ``p_norm`` (two-sided, normality), ``p_sim``
        (pseudo p-value, one-sided in the direction of I, as esda), ``n``, ``k``.

    Examples
    --------
    >>> from accessibility.equity import morans_i
    >>> mi = morans_i(clinic, layer)
    >>> mi[["I", "expected_I", "p_sim"]].round(4).tolist()
    [0.3466, -0.0028, 0.001]
    """
    from esda.moran import Moran

    y = _finite_series(values, "morans_i")
    w = _knn_weights(locations, values.index, k)
    mi = Moran(y, w, transformation="r", permutations=0)
    p_sim = np.nan
    if permutations:
        rng = np.random.default_rng(seed)
        z = y - y.mean()
        sparse = w.sparse.tocsr()
        perms = np.stack([rng.permutation(z) for _ in range(permutations)])
        num = np.einsum("ij,ij->i", perms, (sparse @ perms.T).T)
        sims = len(y) / w.s0 * num / (z @ z)
        larger = int((sims >= mi.I).sum())
        larger = min(larger, permutations - larger)
        p_sim = (larger + 1.0) / (permutations + 1.0)
    return pd.Series(
        {
            "I": float(mi.I),
            "expected_I": float(mi.EI),
            "z_norm": float(mi.z_norm),
            "p_norm": float(mi.p_norm),
            "p_sim": float(p_sim),
            "n": len(y),
            "k": int(w.max_neighbors),
        },
        name=values.name,
    )


_QUADRANTS = {1: "High-High", 2: "Low-High", 3: "Low-Low", 4: "High-Low"}


def _local_moran_p_sim(y: np.ndarray, w: Any, permutations: int, seed: int | None) -> np.ndarray:
    """Conditional-permutation pseudo p-values of local Moran's I (Anselin 1995; as esda).

    For village *i* the other n - 1 values are shuffled and k_i of them become its neighbours;
    ``p = (min(larger, P - larger) + 1) / (P + 1)``, with ``larger`` the number of simulated
    statistics >= the observed one (a folded, "directed" test, esda's default). One table of
    random draws is shared by all villages (esda does the same).
    """
    z = (y - y.mean()) / y.std()
    n = len(z)
    sparse = w.sparse.tocsr()
    observed = (n - 1) * z * (sparse @ z) / (z @ z)
    counts = np.diff(sparse.indptr)
    k_max = int(counts.max())
    rng = np.random.default_rng(seed)
    draws = np.stack([rng.choice(n - 1, size=k_max, replace=False) for _ in range(permutations)])
    p = np.empty(n)
    scale = (n - 1) / (z @ z)
    chunk = max(1, 2_000_000 // max(1, permutations * k_max))
    for start in range(0, n, chunk):
        ids = np.arange(start, min(n, start + chunk))
        for k_i in np.unique(counts[ids]):
            sel = ids[counts[ids] == k_i]
            j = draws[None, :, :k_i]
            j = j + (j >= sel[:, None, None])  # skip village i itself
            wts = np.stack([sparse.data[sparse.indptr[i] : sparse.indptr[i + 1]] for i in sel])
            lag = np.einsum("npk,nk->np", z[j], wts)
            sims = scale * z[sel, None] * lag
            larger = (sims >= observed[sel, None]).sum(axis=1)
            larger = np.minimum(larger, permutations - larger)
            p[sel] = (larger + 1.0) / (permutations + 1.0)
    return p


def local_clusters(
    values: pd.Series,
    locations: Any,
    *,
    k: int = 8,
    permutations: int = 999,
    alpha: float = 0.05,
    seed: int | None = 0,
    poor: Literal["high", "low"] = "high",
) -> pd.DataFrame:
    """Local Moran's I (LISA) clusters: where poor access is concentrated.

    Each village gets its local statistic, its quadrant (High-High: high value among high
    neighbours, ...), a conditional-permutation pseudo p-value (``esda.Moran_Local``) and a cluster
    label that is ``"not significant"`` when ``p_sim > alpha``. Local statistics come from
    ``esda.Moran_Local``; the permutation p-values follow esda's conditional randomisation,
    computed with numpy. For travel times (``poor="high"``)
    High-High villages are hot spots of poor access; for supply ratios use ``poor="low"``.

    .. math:: I_i = (n - 1) \\frac{z_i \\sum_j w_{ij} z_j}{\\sum_k z_k^2}

    with :math:`z` the deviations from the mean and row-standardised k-nearest-neighbour weights
    (esda's form). Unit-free.

    Reference: Anselin, L. (1995). Local indicators of spatial association - LISA.
    *Geographical Analysis* 27(2), 93-115.

    Returns
    -------
    pandas.DataFrame
        Indexed like ``values``: ``local_i``, ``quadrant``, ``p_sim``, ``cluster``,
        ``poor_access_cluster`` (bool).

    Examples
    --------
    >>> from accessibility.equity import local_clusters
    >>> lisa = local_clusters(clinic, layer, permutations=99)
    >>> lisa["cluster"].value_counts().sort_index()
    cluster
    High-High           16
    High-Low             7
    Low-High             4
    Low-Low             66
    not significant    261
    Name: count, dtype: int64
    >>> lisa.loc["V216", "cluster"], bool(lisa.loc["V216", "poor_access_cluster"])
    ('High-High', True)
    """
    from esda.moran import Moran_Local

    if poor not in ("high", "low"):
        raise InvalidValueError(f"local_clusters: poor must be 'high' or 'low', got {poor!r}")
    y = _finite_series(values, "local_clusters")
    w = _knn_weights(locations, values.index, k)
    # esda gives the local statistics and quadrants; the permutation test below follows esda's
    # conditional randomisation but in numpy (esda's numba kernel takes ~45 s to compile)
    lisa = Moran_Local(y, w, transformation="r", permutations=0)
    p_values = _local_moran_p_sim(y, w, int(permutations), seed) if permutations else np.nan
    quadrant = pd.Series(lisa.q, index=values.index).map(_QUADRANTS)
    p_sim = pd.Series(p_values, index=values.index, dtype=float)
    cluster = quadrant.where(p_sim <= alpha, "not significant")
    target = "High-High" if poor == "high" else "Low-Low"
    return pd.DataFrame(
        {
            "local_i": np.asarray(lisa.Is, dtype=float),
            "quadrant": quadrant,
            "p_sim": p_sim,
            "cluster": cluster,
            "poor_access_cluster": cluster == target,
        },
        index=values.index,
    )


# --------------------------------------------------------------------------------------------
# standards: compliance, coverage rates, underserved villages, unit summaries
# --------------------------------------------------------------------------------------------


def _standards(standards: pd.DataFrame | None) -> pd.DataFrame:
    from .standards import load_standards

    return load_standards(standards)


def standards_compliance(
    villages: pd.DataFrame,
    standards: pd.DataFrame | None = None,
    *,
    time_column: str | Mapping[str, str] = "{service}_nearest_min",
    distance_column: str | Mapping[str, str] = "{service}_nearest_km",
    area_type: str = "area_type",
    mode: str | None = None,
    missing: Literal["raise", "skip"] = "raise",
) -> pd.DataFrame:
    """Whether each village meets the standard that applies to it, per standard.

    For each standard (row group of the table, e.g. ``primary_school`` with an urban and a rural
    entry) the village's value is read from ``time_column`` (minutes) or ``distance_column``
    (metres), formatted with ``{service}`` and ``{mode}``; a standard listing several services
    takes the nearest of them. A village meets the standard when ``value <= threshold``.
    Unreachable villages (NaN or inf) do not meet it and have an infinite shortfall. Villages whose
    area type has no entry (e.g. an urban-only standard for a rural village, or an unknown area
    type) get ``<NA>``.

    Parameters
    ----------
    villages
        Per-village layer (index = village id) with the value columns and ``area_type``.
    standards
        Standards table (:func:`accessibility.standards.load_standards`); ``None`` = built-in.
    time_column, distance_column
        Column patterns with ``{service}`` and optionally ``{mode}`` placeholders, e.g.
        ``"{service}_{mode}_nearest_min"``; or a mapping mode -> pattern such as
        ``{"car": "{service}_nearest_min", "walk": "{service}_walk_nearest_min"}`` (standards for
        modes not in the mapping are skipped with a warning). A distance pattern ending in
        ``_km`` is read as kilometres and converted to metres.
    area_type
        Column with "urban"/"rural" (case and spaces ignored).
    mode
        The travel mode of the layer's times when a pattern has no ``{mode}``: standards for
        other modes are then skipped with a warning (a walking standard compared with car times
        would be meaningless). ``None`` compares every standard with the columns as they are.
    missing
        ``"raise"`` (default) a :class:`MissingColumnError` when a value column is absent, or
        ``"skip"`` that standard with a warning.

    Returns
    -------
    pandas.DataFrame
        Indexed like ``villages``; per standard ``n`` with unit ``u`` ("min" or "m"):
        ``{n}_meets`` (nullable boolean), ``{n}_value_{u}``, ``{n}_threshold_{u}``,
        ``{n}_shortfall_{u}`` (0 when met, inf when unreachable, NaN when no standard applies).

    Examples
    --------
    >>> from accessibility.equity import standards_compliance
    >>> c = standards_compliance(layer, standards, mode="car", missing="skip")
    >>> c.columns[:4].tolist()
    ['hospital_meets', 'hospital_value_min', 'hospital_threshold_min', 'hospital_shortfall_min']
    >>> c.loc[["V001", "V216"], ["hospital_meets", "hospital_shortfall_min"]].round(1)
                hospital_meets  hospital_shortfall_min
    village_id
    V001                  True                     0.0
    V216                 False                    21.6
    """
    table = _standards(standards)
    if missing not in ("raise", "skip"):
        raise InvalidValueError(f"missing must be 'raise' or 'skip', got {missing!r}")
    area = None
    if (table["area_type"] != "all").any():
        area = _column(villages, area_type, what="standards_compliance", role="area-type column")
        area = area.astype("string").str.strip().str.lower()
        odd = area.isna() | ~area.isin(["urban", "rural"])
        if odd.any():
            warn(
                InputWarning,
                logger,
                "%d village(s) have an area type other than 'urban'/'rural' (e.g. %s); only "
                "standards for 'all' apply to them",
                int(odd.sum()),
                list(area[odd].astype(object).unique()[:3]),
            )
    columns: dict[str, pd.Series] = {}
    for name, rows in table.groupby("name", sort=False):
        unit = rows["unit"].iloc[0]
        patterns = time_column if unit == "min" else distance_column
        meets = pd.Series(pd.NA, index=villages.index, dtype="boolean")
        value_out = pd.Series(np.nan, index=villages.index)
        threshold_out = pd.Series(np.nan, index=villages.index)
        shortfall_out = pd.Series(np.nan, index=villages.index)
        used = False
        for row in rows.itertuples(index=False):
            if isinstance(patterns, Mapping):
                if row.mode not in patterns:
                    logger.warning(
                        "standard %s/%s is for mode %r but no columns are given for that mode "
                        "(modes: %s); skipped",
                        name,
                        row.area_type,
                        row.mode,
                        list(patterns),
                    )
                    continue
                pattern = patterns[row.mode]
            else:
                pattern = patterns
                if mode is not None and "{mode}" not in pattern and row.mode != mode:
                    logger.warning(
                        "standard %s/%s is for mode %r but the layer's times are for %r; skipped "
                        "(compute %s times too, or edit the standard's mode)",
                        name,
                        row.area_type,
                        row.mode,
                        mode,
                        row.mode,
                    )
                    continue
            cols = [pattern.format(service=s, mode=row.mode) for s in row.services]
            absent = [c for c in cols if c not in villages.columns]
            if absent:
                msg = (
                    f"standards_compliance: standard {name!r} ({row.area_type}) needs column(s) "
                    f"{absent}, not in the villages layer.{suggest(absent[0], villages.columns)} "
                    "Pass time_column=/distance_column= patterns that match your columns, or "
                    "drop the standard"
                )
                if missing == "raise":
                    raise MissingColumnError(msg)
                logger.warning("%s; skipped", msg)
                continue
            vals = villages[cols].apply(pd.to_numeric, errors="coerce").astype(float)
            if unit == "m" and pattern.endswith("_km"):
                vals = vals * 1000.0
            value = vals.min(axis=1, skipna=True)  # nearest of the services; all-NaN stays NaN
            if row.area_type == "all":
                applies = pd.Series(True, index=villages.index)
            else:
                applies = (area == row.area_type).fillna(False).astype(bool)
            if not applies.any():
                continue
            used = True
            v = value[applies]
            reachable = np.isfinite(v)
            ok = reachable & (v <= row.threshold)
            meets[applies] = ok.to_numpy()
            value_out[applies] = v.where(reachable, np.inf)
            threshold_out[applies] = row.threshold
            shortfall_out[applies] = np.where(
                reachable, np.clip(v - row.threshold, 0.0, None), np.inf
            )
            n_unreach = int((~reachable).sum())
            if n_unreach:
                logger.info(
                    "%s/%s: %d village(s) unreachable (no value), counted as not meeting",
                    name,
                    row.area_type,
                    n_unreach,
                )
        if not used:
            continue
        columns[f"{name}_meets"] = meets
        columns[f"{name}_value_{unit}"] = value_out
        columns[f"{name}_threshold_{unit}"] = threshold_out
        columns[f"{name}_shortfall_{unit}"] = shortfall_out
    return pd.DataFrame(columns, index=villages.index)


def _standard_names(compliance: pd.DataFrame) -> list[str]:
    names = [c[: -len("_meets")] for c in compliance.columns if c.endswith("_meets")]
    if not names:
        raise MissingColumnError(
            "the compliance table has no '<standard>_meets' columns; build it with "
            "standards_compliance(villages, standards)"
        )
    return names


def _unit_of(compliance: pd.DataFrame, name: str) -> str:
    return "min" if f"{name}_shortfall_min" in compliance.columns else "m"


def _population_for(
    villages: pd.DataFrame,
    name: str,
    population: str,
    standards: pd.DataFrame | None,
    *,
    what: str,
) -> tuple[pd.Series, str]:
    col = population
    if standards is not None:
        rows = standards[standards["name"] == name]
        wanted = [p for p in rows["population"].dropna().unique() if p]
        if wanted:
            if wanted[0] in villages.columns:
                col = wanted[0]
            else:
                logger.warning(
                    "standard %s asks for population column %r, not in the villages; using %r",
                    name,
                    wanted[0],
                    population,
                )
    pop = pd.to_numeric(
        _column(villages, col, what=what, role="population column"), errors="coerce"
    )
    bad = pop.isna() | (pop < 0)
    if bad.any():
        raise InvalidValueError(
            f"{what}: population column {col!r} has {int(bad.sum())} missing or negative "
            f"value(s) (e.g. at {list(pop.index[bad][:3])}); fill them (0 leaves a village out)"
        )
    return pop.astype(float), col


def _group_labels(villages: pd.DataFrame, by: str | pd.Series | None, *, what: str) -> pd.Series:
    if by is None:
        return pd.Series("all", index=villages.index, dtype=object)
    if isinstance(by, str):
        g = _column(villages, by, what=what, role="group column")
    else:
        g = _align(by, villages.index, what=what, left="villages", right="groups")
    if g.isna().any():
        raise InvalidValueError(
            f"{what}: the group column has {int(g.isna().sum())} missing label(s) (e.g. at "
            f"{list(g.index[g.isna()][:3])}); fill them (e.g. .fillna('unknown')) or drop those "
            "villages"
        )
    return g


def coverage_rates(
    villages: pd.DataFrame,
    compliance: pd.DataFrame,
    *,
    by: str | pd.Series | None = None,
    population: str = "population",
    standards: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Population share meeting each standard (达标率), overall or per group.

    .. math::
        rate_g = \\frac{\\sum_{i \\in g,\\ meets_i} pop_i}{\\sum_{i \\in g,\\ applies_i} pop_i}

    Only villages to which a standard applies count in its denominator.

    Parameters
    ----------
    villages
        Per-village layer with the population column(s) and the group column.
    compliance
        Output of :func:`standards_compliance` for these villages.
    by
        ``None`` (whole area), a column name (``"area_type"``, ``"township"``) or a Series of
        labels. Missing labels are an error.
    population
        Population column; a standard's own ``population`` (e.g. ``pop_school_age``) is used when
        ``standards`` is given and the villages have that column.
    standards
        The standards table used for ``compliance`` (for per-standard population columns).

    Returns
    -------
    pandas.DataFrame
        Index (standard, group); columns ``population``, ``population_meeting``,
        ``coverage_rate`` (0-1; NaN if nobody in the group is subject to the standard),
        ``villages``, ``villages_meeting``, ``population_column``.

    Examples
    --------
    >>> from accessibility.equity import coverage_rates
    >>> rates = coverage_rates(layer, compliance, by="area_type", standards=standards)
    >>> rates["coverage_rate"].round(3).head(4)
    standard       group
    hospital       rural    0.723
                   urban    1.000
    health_centre  rural    0.947
                   urban      NaN
    Name: coverage_rate, dtype: float64
    """
    what = "coverage_rates"
    compliance = _align_frame(compliance, villages.index, what=what)
    groups = _group_labels(villages, by, what=what)
    parts = []
    for name in _standard_names(compliance):
        pop, col = _population_for(villages, name, population, standards, what=what)
        meets = compliance[f"{name}_meets"]
        applies = meets.notna().to_numpy()
        ok = meets.fillna(False).astype(bool).to_numpy()
        frame = pd.DataFrame(
            {
                "group": groups.to_numpy(),
                "population": np.where(applies, pop.to_numpy(), 0.0),
                "population_meeting": np.where(ok, pop.to_numpy(), 0.0),
                "villages": applies.astype(int),
                "villages_meeting": ok.astype(int),
            }
        )
        agg = frame.groupby("group", sort=True).sum()
        agg["coverage_rate"] = agg["population_meeting"] / agg["population"].where(
            agg["population"] > 0
        )
        agg["population_column"] = col
        agg.insert(0, "standard", name)
        parts.append(agg.reset_index())
    out = pd.concat(parts, ignore_index=True).set_index(["standard", "group"])
    return out[
        [
            "population",
            "population_meeting",
            "coverage_rate",
            "villages",
            "villages_meeting",
            "population_column",
        ]
    ]


def coverage_table(
    villages: pd.DataFrame,
    compliance: pd.DataFrame,
    *,
    groupings: Iterable[str] = ("area_type", "township"),
    population: str = "population",
    standards: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Coverage rates overall and for each grouping, stacked with a ``grouping`` column.

    Returns
    -------
    pandas.DataFrame
        Columns ``grouping`` ("all", "area_type", "township", ...), ``standard``, ``group`` and
        the columns of :func:`coverage_rates`.
    Examples
    --------
    >>> from accessibility.equity import coverage_table
    >>> table = coverage_table(layer, compliance, standards=standards)
    >>> table["grouping"].unique().tolist()
    ['all', 'area_type', 'township']
    """
    parts = []
    for grouping in [None, *groupings]:
        rates = coverage_rates(
            villages, compliance, by=grouping, population=population, standards=standards
        ).reset_index()
        rates.insert(0, "grouping", grouping or "all")
        parts.append(rates)
    return pd.concat(parts, ignore_index=True)


def _align_frame(frame: pd.DataFrame, index: pd.Index, *, what: str) -> pd.DataFrame:
    if frame.index.equals(index):
        return frame
    series = pd.Series(0, index=frame.index)
    _align(series, index, what=what, left="villages", right="compliance")
    return frame.reindex(index)


def underserved(
    villages: pd.DataFrame,
    compliance: pd.DataFrame,
    *,
    population: str = "population",
    standards: pd.DataFrame | None = None,
    top: int | None = None,
    columns: Iterable[str] = ("name", "township", "area_type"),
) -> pd.DataFrame:
    """Villages that do not meet a standard, ranked by population affected x shortfall.

    The score is :math:`pop_i \\times (x_i - z)` in person-minutes (or person-metres): how much
    travel beyond the standard the village's residents bear. Unreachable villages have an infinite
    shortfall and come first (ordered by population).

    Parameters
    ----------
    villages, compliance
        The per-village layer and its :func:`standards_compliance` table.
    population, standards
        As in :func:`coverage_rates`.
    top
        Keep the first ``top`` villages per standard.
    columns
        Village columns to carry into the list when present (names, township, area type).

    Returns
    -------
    pandas.DataFrame
        Columns ``standard``, the villages' id (index name, default ``village_id``), the carried
        columns, ``population``, ``value``, ``threshold``, ``shortfall``, ``score``, ``unit`` and
        ``rank`` (1 = worst), sorted by standard then rank.

    Examples
    --------
    >>> from accessibility.equity import underserved
    >>> worst = underserved(layer, compliance, top=3, standards=standards)
    >>> worst.loc[worst["standard"] == worst["standard"].iloc[0],
    ...           ["village_id", "population", "shortfall", "rank"]].round(1)
      village_id  population  shortfall  rank
    0       V088      2788.0       17.0     1
    1       V346      1218.0       38.8     2
    2       V154      1601.0       27.7     3
    """
    what = "underserved"
    compliance = _align_frame(compliance, villages.index, what=what)
    id_name = villages.index.name or "village_id"
    carry = [c for c in columns if c in villages.columns]
    parts = []
    for name in _standard_names(compliance):
        unit = _unit_of(compliance, name)
        pop, _ = _population_for(villages, name, population, standards, what=what)
        meets = compliance[f"{name}_meets"]
        fail = (meets == False).fillna(False).astype(bool)  # noqa: E712 (nullable boolean)
        if not fail.any():
            continue
        sub = pd.DataFrame(
            {
                "standard": name,
                id_name: villages.index[fail],
                **{c: villages.loc[fail, c].to_numpy() for c in carry},
                "population": pop[fail].to_numpy(),
                "value": compliance.loc[fail, f"{name}_value_{unit}"].to_numpy(),
                "threshold": compliance.loc[fail, f"{name}_threshold_{unit}"].to_numpy(),
                "shortfall": compliance.loc[fail, f"{name}_shortfall_{unit}"].to_numpy(),
                "unit": unit,
            }
        )
        with np.errstate(invalid="ignore"):
            sub["score"] = np.where(
                sub["population"] > 0, sub["population"] * sub["shortfall"], 0.0
            )
        sub = sub.sort_values(["score", "population"], ascending=False, kind="stable")
        sub["rank"] = np.arange(1, len(sub) + 1)
        if top is not None:
            sub = sub.head(top)
        parts.append(sub)
    if not parts:
        return pd.DataFrame(
            columns=[
                "standard",
                id_name,
                *carry,
                "population",
                "value",
                "threshold",
                "shortfall",
                "unit",
                "score",
                "rank",
            ]
        )
    return pd.concat(parts, ignore_index=True)


def unit_summary(
    villages: pd.DataFrame,
    compliance: pd.DataFrame,
    *,
    by: str = "township",
    population: str = "population",
    standards: pd.DataFrame | None = None,
    value_columns: Iterable[str] | None = None,
) -> pd.DataFrame:
    """One row per township (or any admin unit): population, coverage rates, mean times.

    Parameters
    ----------
    villages, compliance, population, standards
        As in :func:`coverage_rates`.
    by
        Unit column of the villages (``"township"``).
    value_columns
        Per-village measures to average (population-weighted, reachable villages only), e.g.
        ``["clinic_nearest_min"]``; default: every column ending in ``_nearest_min``.

    Returns
    -------
    pandas.DataFrame
        Index = unit; columns ``villages``, ``population``, ``{standard}_coverage`` (0-1),
        ``{standard}_population_not_meeting``, ``{column}_mean`` and
        ``{column}_unreachable_population``.

    Examples
    --------
    >>> from accessibility.equity import unit_summary
    >>> units = unit_summary(layer, compliance, by="township", standards=standards)
    >>> len(units), units.columns[:4].tolist()
    (11, ['villages', 'population', 'hospital_coverage', 'hospital_population_not_meeting'])
    >>> units.loc[["Chengguan", "Taoyuan"], "clinic_nearest_min_mean"].round(1)
    township
    Chengguan    4.1
    Taoyuan      4.9
    Name: clinic_nearest_min_mean, dtype: float64
    """
    what = "unit_summary"
    groups = _group_labels(villages, by, what=what)
    pop = pd.to_numeric(
        _column(villages, population, what=what, role="population column"), errors="coerce"
    ).fillna(0.0)
    out = pd.DataFrame(
        {
            "villages": groups.groupby(groups).size(),
            "population": pop.groupby(groups).sum(),
        }
    )
    rates = coverage_rates(
        villages, compliance, by=groups, population=population, standards=standards
    )
    for name in rates.index.get_level_values("standard").unique():
        r = rates.xs(name, level="standard")
        out[f"{name}_coverage"] = r["coverage_rate"]
        out[f"{name}_population_not_meeting"] = r["population"] - r["population_meeting"]
    if value_columns is None:
        value_columns = [c for c in villages.columns if str(c).endswith("_nearest_min")]
    for col in value_columns:
        v = pd.to_numeric(_column(villages, col, what=what), errors="coerce")
        ok = np.isfinite(v)
        weighted = (v.where(ok, 0.0) * pop.where(ok, 0.0)).groupby(groups).sum()
        denom = pop.where(ok, 0.0).groupby(groups).sum()
        out[f"{col}_mean"] = weighted / denom.where(denom > 0)
        out[f"{col}_unreachable_population"] = pop.where(~ok, 0.0).groupby(groups).sum()
    out.index.name = by
    return out


def join_units(summary: pd.DataFrame, units: Any, *, on: str = "township") -> Any:
    """Join a :func:`unit_summary` table to unit polygons, giving a GeoDataFrame layer.

    Parameters
    ----------
    summary
        Output of :func:`unit_summary` (index = unit label).
    units
        GeoDataFrame of the units (e.g. ``demo.townships``) with column ``on``.
    on
        Column of ``units`` holding the same labels as ``summary``'s index.

    Returns
    -------
    geopandas.GeoDataFrame
        ``units`` with the summary columns added (NaN for units without villages), same CRS.
        Summary rows without a polygon are logged as a warning.

    Examples
    --------
    >>> from accessibility.equity import join_units
    >>> towns = join_units(unit_summary(layer, compliance), demo.townships)
    >>> type(towns).__name__, len(towns), towns.crs == demo.townships.crs
    ('GeoDataFrame', 11, True)
    """
    column = _column(units, on, what="join_units", role="unit column")
    unmatched = summary.index.difference(pd.Index(column.dropna().unique()))
    if len(unmatched):
        warn(
            InputWarning,
            logger,
            "join_units: %d unit(s) of the summary have no polygon (e.g. %s); check that the "
            "villages' %r labels match the polygons' %r",
            len(unmatched),
            list(unmatched[:3]),
            summary.index.name,
            on,
        )
    clash = [c for c in summary.columns if c in units.columns and c != on]
    right = summary.rename(columns={c: f"{c}_summary" for c in clash})
    joined = units.merge(right, how="left", left_on=on, right_index=True)
    return joined


# --------------------------------------------------------------------------------------------
# report tables
# --------------------------------------------------------------------------------------------


def _safe(func: Any, *args: Any, notes: list[str], label: str, **kwargs: Any) -> float:
    try:
        return float(func(*args, **kwargs))
    except InvalidValueError as exc:
        notes.append(f"{label}: {exc}")
        return math.nan


def inequality_table(
    villages: pd.DataFrame,
    columns: Iterable[str],
    *,
    population: str | Mapping[str, str] = "population",
    groups: str | None = "area_type",
    rank_by: str | None = "income_yuan",
    unreachable_fill: float | None = None,
) -> pd.DataFrame:
    """All inequality indices for several per-village measures, one row per measure.

    An index that cannot be computed for a measure (all zeros, zeros for Theil L, missing ranking
    variable) is NaN and the reason is logged and kept in the ``notes`` column.

    Parameters
    ----------
    villages
        Per-village layer.
    columns
        Measures to describe, e.g. ``["clinic_nearest_min", "primary_school_nearest_min"]``.
    population
        Population column, or a mapping measure column -> population column (e.g. school-age
        population for school times).
    groups
        Column for the Theil T decomposition and the group means (``"area_type"``), or None.
    rank_by
        Ranking variable for the concentration index (``"income_yuan"``), or None.
    unreachable_fill
        Value for missing/infinite measures (unreachable villages); ``None`` leaves them and the
        indices of such a measure are NaN with a note.

    Returns
    -------
    pandas.DataFrame
        Index = measure; columns ``mean``, ``gini``, ``theil_t``, ``theil_t_between``,
        ``theil_t_within``, ``between_share``, ``theil_l``, ``cv``, ``palma``,
        ``concentration_index``, ``mean_<group>`` for each group, ``notes``.
    Examples
    --------
    >>> from accessibility.equity import inequality_table
    >>> t = inequality_table(layer, ["clinic_nearest_min", "primary_school_nearest_min"],
    ...                      groups="area_type", rank_by="income_yuan", unreachable_fill=60)
    >>> t[["mean", "gini", "theil_t", "cv"]].round(3)
                                 mean   gini  theil_t     cv
    measure
    clinic_nearest_min          3.937  0.404    0.297  0.922
    primary_school_nearest_min  6.991  0.357    0.215  0.704
    """
    rows = {}
    for col in columns:
        notes: list[str] = []
        pop_col = (
            population.get(col, "population") if isinstance(population, Mapping) else (population)
        )
        w = pd.to_numeric(_column(villages, pop_col, what="inequality_table"), errors="coerce")
        v = pd.to_numeric(_column(villages, col, what="inequality_table"), errors="coerce")
        if unreachable_fill is not None:
            n_fill = int((~np.isfinite(v)).sum())
            if n_fill:
                notes.append(f"{n_fill} unreachable village(s) set to {unreachable_fill:g}")
            v = fill_unreachable(v, unreachable_fill)
        row: dict[str, Any] = {"population_column": pop_col}
        finite = np.isfinite(v) & (w > 0)
        row["mean"] = (
            float((v[finite] * w[finite]).sum() / w[finite].sum()) if finite.any() else math.nan
        )
        row["gini"] = _safe(gini, v, w, notes=notes, label="gini")
        row["theil_t"] = _safe(theil_t, v, w, notes=notes, label="theil_t")
        row["theil_l"] = _safe(theil_l, v, w, notes=notes, label="theil_l")
        row["cv"] = _safe(coefficient_of_variation, v, w, notes=notes, label="cv")
        row["palma"] = _safe(palma, v, w, notes=notes, label="palma")
        if groups is not None and groups in villages.columns:
            try:
                d = theil_decomposition(v, villages[groups], w)
                row["theil_t_between"] = d.loc["between", "theil"]
                row["theil_t_within"] = d.loc["within", "theil"]
                row["between_share"] = d.loc["total", "between_share"]
                for g in d.index.difference(["between", "within", "total"]):
                    row[f"mean_{g}"] = d.loc[g, "mean"]
            except InvalidValueError as exc:
                notes.append(f"decomposition: {exc}")
        if rank_by is not None and rank_by in villages.columns:
            row["concentration_index"] = _safe(
                concentration_index,
                v,
                villages[rank_by],
                w,
                notes=notes,
                label="concentration_index",
            )
        for n in notes:
            logger.info("inequality_table %s: %s", col, n)
        row["notes"] = "; ".join(notes)
        rows[col] = row
    order = [
        "population_column",
        "mean",
        "gini",
        "theil_t",
        "theil_t_between",
        "theil_t_within",
        "between_share",
        "theil_l",
        "cv",
        "palma",
        "concentration_index",
    ]
    out = pd.DataFrame.from_dict(rows, orient="index")
    cols = [c for c in order if c in out.columns]
    cols += [*sorted(c for c in out.columns if c.startswith("mean_")), "notes"]
    out = out[cols]
    out.index.name = "measure"
    return out


def urban_rural_gap(
    villages: pd.DataFrame,
    compliance: pd.DataFrame,
    *,
    column: str = "{service}_nearest_min",
    services: Iterable[str] | None = None,
    area_type: str = "area_type",
    population: str = "population",
    standards: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """The urban-rural gap per service: coverage rates and mean travel times side by side.

    Returns
    -------
    pandas.DataFrame
        Index = standard; columns ``coverage_urban``, ``coverage_rural``, ``coverage_gap_pp``
        (urban minus rural, percentage points), and, when the standard has one service with a
        ``column``, ``mean_urban``, ``mean_rural`` (population-weighted, reachable villages) and
        ``rural_to_urban_ratio``. Note the urban and rural rates are measured against their own
        (usually different) standards.
    Examples
    --------
    >>> from accessibility.equity import urban_rural_gap
    >>> gap = urban_rural_gap(layer, compliance, standards=standards)
    >>> gap.loc["hospital", ["coverage_urban", "coverage_rural", "mean_urban", "mean_rural"]].round(1)
    coverage_urban     1.0
    coverage_rural     0.7
    mean_urban         4.8
    mean_rural        24.6
    Name: hospital, dtype: float64
    """
    what = "urban_rural_gap"
    area = _column(villages, area_type, what=what, role="area-type column")
    area = area.astype("string").str.strip().str.lower().fillna("unknown")
    rates = coverage_rates(
        villages, compliance, by=area.astype(object), population=population, standards=standards
    )
    table = _standards(standards) if standards is not None else None
    rows = {}
    for name in rates.index.get_level_values("standard").unique():
        r = rates.xs(name, level="standard")["coverage_rate"]
        row = {
            "coverage_urban": r.get("urban", np.nan),
            "coverage_rural": r.get("rural", np.nan),
        }
        row["coverage_gap_pp"] = 100 * (row["coverage_urban"] - row["coverage_rural"])
        svc = [name]
        if table is not None:
            listed = table.loc[table["name"] == name, "services"]
            svc = list(listed.iloc[0]) if len(listed) else svc
        col = column.format(service=svc[0], mode="") if len(svc) == 1 else None
        if col is not None and col in villages.columns and (services is None or name in services):
            pop, _ = _population_for(villages, name, population, standards, what=what)
            v = pd.to_numeric(villages[col], errors="coerce")
            for g in ("urban", "rural"):
                m = (area == g).fillna(False).astype(bool) & np.isfinite(v)
                wsum = pop[m].sum()
                row[f"mean_{g}"] = float((v[m] * pop[m]).sum() / wsum) if wsum > 0 else np.nan
            row["rural_to_urban_ratio"] = (
                row["mean_rural"] / row["mean_urban"]
                if (row["mean_urban"] and row["mean_urban"] > 0)
                else np.nan
            )
        rows[name] = row
    out = pd.DataFrame.from_dict(rows, orient="index")
    out.index.name = "standard"
    return out
