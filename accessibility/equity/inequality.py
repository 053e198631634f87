"""Inequality indices of a per-village measure, population-weighted.

The examples run on the demo county with the setup of :mod:`accessibility.equity`.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Hashable, Iterable
from typing import Literal

import numpy as np
import pandas as pd

from ..errors import InvalidValueError
from .inputs import ArrayLike, group_codes, like_values, prepare, prepare_with_index

logger = logging.getLogger(__name__)


#: Largest school-level coefficient of variation (校际差异系数) allowed for primary schools by the
#: Ministry of Education's audit for high-quality balanced compulsory education in a county
#: (《县域义务教育优质均衡发展督导评估办法》, 教督〔2017〕6号). The audit applies it to resource
#: indicators across schools (weighted by pupils); applied to per-village access it is a yardstick,
#: not a legal limit.
CV_LIMIT_PRIMARY: float = 0.50
#: Same audit, junior middle schools (初中).
CV_LIMIT_JUNIOR: float = 0.45


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
    x, w = prepare(values, weights, what="gini")
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
    x, w = prepare(values, weights, what="lorenz_curve")
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
    x, w = prepare(values, weights, what="theil_t")
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
    x, w = prepare(values, weights, what="theil_l")
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
    x, w, idx = prepare_with_index(values, weights, what=what)
    g = group_codes(like_values(groups, values, what=what, right="groups"), idx, what=what)
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
    x, w = prepare(values, weights, what="coefficient_of_variation")
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
    x, w = prepare(values, weights, what="palma")
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
    x, w, idx = prepare_with_index(values, weights, what="concentration_index")
    r = like_values(rank_by, values, what="concentration_index", right="rank_by").loc[idx]
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
    x, w = prepare(values, weights, what="fgt", allow_zero_total=True)
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
