"""The floating-catchment family (2SFCA, E2SFCA, M2SFCA, 3SFCA, KD2SFCA, BFCA), spatial
availability and Huff probabilities: supply shared among the demand that can reach it."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Literal

import numpy as np
import pandas as pd

from .._deprecate import renamed_keywords
from ..errors import InvalidValueError, suggest
from . import decay as _decay
from ._numbers import positive
from ._table import (
    DEFAULT_COST,
    DecayLike,
    IdsLike,
    Pairs,
    UnknownIds,
    check_reach,
    pair_weights,
    prepare,
    resolve_decay,
    safe_ratio,
)
from .decay import Decay

__all__ = [
    "bfca",
    "e2sfca",
    "huff_probabilities",
    "kd2sfca",
    "m2sfca",
    "spatial_availability",
    "three_sfca",
    "two_sfca",
]

log = logging.getLogger(__name__)

#: Luo & Qi (2009) E2SFCA zones and weights (minutes).
E2SFCA_BREAKS_MIN = (10.0, 20.0, 30.0)
E2SFCA_WEIGHTS = (1.0, 0.68, 0.22)
#: Wan, Zou & Sternberg (2012) 3SFCA zones and weights (minutes), PySAL access's default.
THREE_SFCA_BREAKS_MIN = (10.0, 20.0, 30.0, 60.0)
THREE_SFCA_WEIGHTS = (0.962, 0.704, 0.377, 0.042)


#: tables of at least this many pairs take the compiled sums (:mod:`._sums`); below, numpy's
#: take a few ms, less than loading numba in a process that has not used it yet (~0.4 s)
COMPILED_SUMS_MIN_PAIRS = 100_000


def _fca(p: Pairs, f: Decay, *, second_step_power: int = 1) -> tuple[np.ndarray, np.ndarray]:
    """Supply-to-demand ratio per facility and the accessibility per village (2SFCA core) with
    decay ``f``; large tables take the compiled sums, which make a step decay's weights on the
    fly (no array of them)."""
    if p.o.size >= COMPILED_SUMS_MIN_PAIRS and max(p.o.itemsize, p.d.itemsize) <= 4:
        from ._sums import fca_sums

        ratio, a = np.zeros(p.n_d), np.zeros(p.n_o)
        # (codes narrower than int32, views of a categorical's, are widened for the kernel)
        o, d = (np.ascontiguousarray(x, np.int32) for x in (p.o, p.d))
        c = np.ascontiguousarray(p.c, np.float64)
        dem, sup = (np.ascontiguousarray(x, np.float64) for x in (p.demand_values, p.supply_values))
        limit = f.step_cutoff_min
        if limit is not None:  # 1.0 up to the limit, 0.0 beyond: also its own square
            none = np.zeros(0)
            fca_sums(o, d, none, none, c, limit, dem, sup, ratio, a)
            return ratio, a
        w = pair_weights(p, f)
        w2 = w if second_step_power == 1 else w**second_step_power
        fca_sums(o, d, w, w2, c, 0.0, dem, sup, ratio, a)
        return ratio, a
    w = pair_weights(p, f)
    w2 = w if second_step_power == 1 else w**second_step_power
    x = np.take(p.demand_values, p.o)  # one scratch array for both steps (w stays as it is)
    x *= w
    ratio = safe_ratio(p.supply_values, p.per_destination(x))
    np.take(ratio, p.d, out=x)
    x *= w2
    return ratio, p.per_origin(x)


@renamed_keywords(limit_min="catchment_min")
def two_sfca(
    costs: pd.DataFrame,
    demand: pd.Series,
    supply: pd.Series,
    *,
    decay: DecayLike | None = None,
    catchment_min: float | None = None,
    catchment_m: float | None = None,
    cost: str = DEFAULT_COST,
    unknown_ids: UnknownIds = "raise",
) -> pd.Series:
    """Two-step floating catchment area (2SFCA): supply per head that a village can reach.

    Step 1, for each facility, the supply-to-demand ratio of its catchment; step 2, for each
    village, the sum of the ratios of the facilities it reaches, both weighted by the decay:

    .. math:: R_j = \\frac{S_j}{\\sum_k P_k f(c_{kj})}, \\qquad A_i = \\sum_j R_j f(c_{ij})

    With ``catchment_min=L`` (a step decay) this is Luo & Wang's original 2SFCA; any other decay
    gives the generalised 2SFCA (a zone decay is E2SFCA, see :func:`e2sfca`). Units: supply per
    person (e.g. doctors per resident; multiply by 1,000 for "per 1,000 residents").

    Properties: :math:`\\sum_i P_i A_i = \\sum_j S_j` over the facilities reached by someone with
    demand (the population-weighted mean equals the overall ratio). Facilities whose catchment
    has no demand get ``R_j = 0`` (their supply is unused), so villages that reach nothing get
    0. Equals PySAL ``access``'s ``two_stage_fca`` with the same weight function (releases since
    February 2022: pysal/access PR #26 made it sum the *weighted* ratios; older releases differ
    whenever the weight is not a plain cut-off).

    Reference: Luo, W. & Wang, F. (2003). Measures of spatial accessibility to health care in a
    GIS environment: synthesis and a case study in the Chicago region. *Environment and
    Planning B* 30(6), 865-884.

    Examples
    --------
    >>> a = two_sfca(costs, villages["population"], clinics["doctors"], catchment_min=30)
    >>> a.name, (a[two] * 1000).round(3).tolist()  # doctors per 1,000 residents
    ('2sfca', [1.204, 0.0])
    >>> round(float((a * villages["population"]).sum()), 6)  # = the county's 402 doctors
    402.0
    """
    p = prepare(costs, demand, supply, cost=cost, unknown_ids=unknown_ids)
    f = resolve_decay(decay, p, fn="two_sfca", catchment_min=catchment_min, catchment_m=catchment_m)
    _, a = _fca(p, f)
    return p.series(a, "2sfca")


def e2sfca(
    costs: pd.DataFrame,
    demand: pd.Series,
    supply: pd.Series,
    *,
    breaks_min: Sequence[float] = E2SFCA_BREAKS_MIN,
    weights: Sequence[float] = E2SFCA_WEIGHTS,
    decay: DecayLike | None = None,
    cost: str = DEFAULT_COST,
    unknown_ids: UnknownIds = "raise",
) -> pd.Series:
    """Enhanced 2SFCA (E2SFCA): 2SFCA with stepped travel-time zone weights.

    .. math:: R_j = \\frac{S_j}{\\sum_{r}\\sum_{k \\in D_r} P_k W_r}, \\qquad
       A_i = \\sum_{r}\\sum_{j \\in D_r} R_j W_r

    where :math:`D_r` is zone ``r`` (``breaks_min[r-1] < c <= breaks_min[r]``) and
    :math:`W_r` its weight. Defaults are Luo & Qi's zones 0-10, 10-20, 20-30 min with weights
    1, 0.68, 0.22 (PySAL ``access``'s ``enhanced_two_stage_fca`` default). Pass ``decay=`` to
    use a continuous decay instead. Units: supply per person.

    Reference: Luo, W. & Qi, Y. (2009). An enhanced two-step floating catchment area (E2SFCA)
    method for measuring spatial accessibility to primary care physicians. *Health & Place*
    15(4), 1100-1107.

    Examples
    --------
    >>> a = e2sfca(costs, villages["population"], clinics["doctors"])  # 10/20/30 min zones
    >>> a.name, (a[two] * 1000).round(3).tolist()  # doctors per 1,000 residents
    ('e2sfca', [1.257, 0.0])
    """
    p = prepare(costs, demand, supply, cost=cost, unknown_ids=unknown_ids)
    f = (
        resolve_decay(decay, p, fn="e2sfca")
        if decay is not None
        else _decay.zones(breaks_min, weights)
    )
    check_reach(p, f.limit_min, f"e2sfca() with zones {f!r}")
    _, a = _fca(p, f)
    return p.series(a, "e2sfca")


@renamed_keywords(limit_min="catchment_min")
def m2sfca(
    costs: pd.DataFrame,
    demand: pd.Series,
    supply: pd.Series,
    *,
    decay: DecayLike | None = None,
    catchment_min: float | None = None,
    catchment_m: float | None = None,
    cost: str = DEFAULT_COST,
    unknown_ids: UnknownIds = "raise",
) -> pd.Series:
    """Modified 2SFCA (M2SFCA): the decay applied once more in step 2.

    .. math:: R_j = \\frac{S_j}{\\sum_k P_k f(c_{kj})}, \\qquad A_i = \\sum_j R_j f(c_{ij})^2

    Unlike 2SFCA, a village far from every facility is not credited with the full ratio of a
    facility it can barely reach: :math:`\\sum_i P_i A_i \\le \\sum_j S_j`, with equality only
    when every weight is 1, and the shortfall measures how suboptimally facilities are placed.
    With a step decay (all weights 0 or 1) it equals 2SFCA. Units: supply per person.

    Reference: Delamater, P. L. (2013). Spatial accessibility in suboptimally configured health
    care systems: a modified two-step floating catchment area (M2SFCA) metric. *Health & Place*
    24, 30-43.

    Examples
    --------
    >>> a = m2sfca(costs, villages["population"], clinics["doctors"], decay=decay.gaussian(20))
    >>> a.name, (a[two] * 1000).round(3).tolist()  # doctors per 1,000 residents
    ('m2sfca', [0.638, 0.003])
    >>> round(float((a * villages["population"]).sum()), 1)  # < 402 doctors: suboptimal placement
    197.2
    """
    p = prepare(costs, demand, supply, cost=cost, unknown_ids=unknown_ids)
    f = resolve_decay(decay, p, fn="m2sfca", catchment_min=catchment_min, catchment_m=catchment_m)
    _, a = _fca(p, f, second_step_power=2)
    return p.series(a, "m2sfca")


@renamed_keywords(limit_min="catchment_min")
def three_sfca(
    costs: pd.DataFrame,
    demand: pd.Series,
    supply: pd.Series,
    *,
    decay: DecayLike | None = None,
    catchment_min: float | None = None,
    catchment_m: float | None = None,
    selection_decay: DecayLike | None = None,
    cost: str = DEFAULT_COST,
    unknown_ids: UnknownIds = "raise",
) -> pd.Series:
    """Three-step floating catchment area (3SFCA): 2SFCA with selection weights.

    Step 0 shares each village's demand among the facilities it reaches in proportion to a
    selection weight (by default the decay itself), so a village near several facilities does
    not count in full at each:

    .. math:: G_{ij} = \\frac{T(c_{ij})}{\\sum_k T(c_{ik})}, \\quad
       R_j = \\frac{S_j}{\\sum_k G_{kj} P_k f(c_{kj})}, \\quad
       A_i = \\sum_j G_{ij} R_j f(c_{ij})

    Defaults are Wan et al.'s zones 0-10, 10-20, 20-30, 30-60 min with weights 0.962, 0.704,
    0.377, 0.042 (PySAL ``access``'s ``three_stage_fca`` default). Units: supply per person.
    Equals PySAL ``access``'s ``three_stage_fca``, which normalises ``G`` over every pair of the
    cost table (here: every pair the decay does not weigh 0).

    Reference: Wan, N., Zou, B. & Sternberg, T. (2012). A three-step floating catchment area
    method for analyzing spatial access to health services. *International Journal of
    Geographical Information Science* 26(6), 1073-1089.

    Examples
    --------
    >>> a = three_sfca(costs, villages["population"], clinics["doctors"])
    >>> a.name, (a[two] * 1000).round(3).tolist()  # doctors per 1,000 residents
    ('3sfca', [0.832, 0.067])
    """
    p = prepare(costs, demand, supply, cost=cost, unknown_ids=unknown_ids)
    default = _decay.zones(THREE_SFCA_BREAKS_MIN, THREE_SFCA_WEIGHTS)
    f = resolve_decay(
        decay,
        p,
        fn="three_sfca",
        catchment_min=catchment_min,
        catchment_m=catchment_m,
        default=default,
    )
    w = pair_weights(p, f)
    t = (
        w
        if selection_decay is None
        else pair_weights(p, resolve_decay(selection_decay, p, fn="three_sfca"))
    )
    g = t / np.maximum(p.per_origin(t), np.finfo(float).tiny)[p.o]
    served = p.per_destination(g * w * p.demand_values[p.o])
    ratio = safe_ratio(p.supply_values, served)
    return p.series(p.per_origin(g * w * ratio[p.d]), "3sfca")


def kd2sfca(
    costs: pd.DataFrame,
    demand: pd.Series,
    supply: pd.Series,
    *,
    bandwidth_min: float,
    kernel: Literal["gaussian", "quartic"] = "gaussian",
    cost: str = DEFAULT_COST,
    unknown_ids: UnknownIds = "raise",
) -> pd.Series:
    """Kernel-density 2SFCA (KD2SFCA): 2SFCA with a kernel that reaches 0 at the bandwidth.

    .. math:: R_j = \\frac{S_j}{\\sum_k P_k K(c_{kj}/h)}, \\qquad A_i = \\sum_j R_j K(c_{ij}/h)

    with ``K`` Dai's Gaussian kernel (:func:`accessibility.decay.gaussian_kernel`) or the quartic
    kernel (:func:`accessibility.decay.quartic_kernel`). Constant kernel factors cancel. Units:
    supply per person.

    References: Dai, D. (2010). *Health & Place* 16(5), 1038-1052; Dai, D. & Wang, F. (2011).
    Geographic disparities in accessibility to food stores in southwest Mississippi.
    *Environment and Planning B* 38(4), 659-677; Polzin, P., Borges, J. & Coelho, A. (2014). An
    extended kernel density two-step floating catchment area method to analyze access to health
    care. *Environment and Planning B* 41(4), 717-735.

    Examples
    --------
    >>> a = kd2sfca(costs, villages["population"], clinics["doctors"], bandwidth_min=30)
    >>> a.name, (a[two] * 1000).round(3).tolist()  # doctors per 1,000 residents
    ('kd2sfca', [1.151, 0.0])
    """
    kernels = {"gaussian": _decay.gaussian_kernel, "quartic": _decay.quartic_kernel}
    if kernel not in kernels:
        raise InvalidValueError(
            f"kernel must be 'gaussian' or 'quartic', got {kernel!r}."
            f"{suggest(str(kernel), kernels)}"
        )
    f = kernels[kernel](bandwidth_min)
    p = prepare(costs, demand, supply, cost=cost, unknown_ids=unknown_ids)
    check_reach(p, f.limit_min, f"kd2sfca(bandwidth_min={f.limit_min:g})")
    _, a = _fca(p, f)
    return p.series(a, "kd2sfca")


@renamed_keywords(limit_min="catchment_min")
def bfca(
    costs: pd.DataFrame,
    demand: pd.Series,
    supply: pd.Series,
    *,
    decay: DecayLike | None = None,
    catchment_min: float | None = None,
    catchment_m: float | None = None,
    cost: str = DEFAULT_COST,
    unknown_ids: UnknownIds = "raise",
) -> pd.Series:
    """Balanced floating catchment area (BFCA): 2SFCA without demand or service inflation.

    The decay weights are balanced twice: by origin (each village's demand is split among the
    facilities it reaches, shares summing to 1) and by destination (each facility's level of
    service is split among the villages that reach it):

    .. math:: W^i_{ij} = \\frac{f(c_{ij})}{\\sum_k f(c_{ik})}, \\quad
       W^j_{ij} = \\frac{f(c_{ij})}{\\sum_k f(c_{kj})}, \\quad
       L_j = \\frac{S_j}{\\sum_i P_i W^i_{ij}}, \\quad A_i = \\sum_j L_j W^j_{ij}

    Conservation: the demand allocated to facilities sums to the total demand of villages that
    reach one (no demand inflation), :math:`\\sum_i A_i = \\sum_j L_j` (no service inflation),
    and :math:`\\sum_j L_j \\sum_i P_i W^i_{ij} = \\sum_j S_j`: the supply handed out equals the
    total supply of reached facilities. Units: supply per person. Same as the R package
    *accessibility* ``floating_catchment_area(method = "bfca")``.

    Reference: Paez, A., Higgins, C. D. & Vivona, S. F. (2019). Demand and level of service
    inflation in floating catchment area (FCA) methods. *PLOS ONE* 14(6), e0218773.

    Examples
    --------
    >>> a = bfca(costs, villages["population"], clinics["doctors"], catchment_min=30)
    >>> a.name, (a[two] * 1000).round(3).tolist()
    ('bfca', [1.063, 0.0])
    """
    p = prepare(costs, demand, supply, cost=cost, unknown_ids=unknown_ids)
    f = resolve_decay(decay, p, fn="bfca", catchment_min=catchment_min, catchment_m=catchment_m)
    w = pair_weights(p, f)
    wi = safe_ratio(w, p.per_origin(w)[p.o])
    wj = safe_ratio(w, p.per_destination(w)[p.d])
    level = safe_ratio(p.supply_values, p.per_destination(wi * p.demand_values[p.o]))
    return p.series(p.per_origin(level[p.d] * wj), "bfca")


@renamed_keywords(limit_min="catchment_min")
def spatial_availability(
    costs: pd.DataFrame,
    demand: pd.Series,
    supply: pd.Series,
    *,
    decay: DecayLike | None = None,
    catchment_min: float | None = None,
    catchment_m: float | None = None,
    alpha: float = 1.0,
    per_capita: bool = False,
    cost: str = DEFAULT_COST,
    unknown_ids: UnknownIds = "raise",
) -> pd.Series:
    """Spatial availability: each facility's supply shared out among the villages that reach it.

    Supply is allocated in proportion to both population (raised to ``alpha``) and the decay,
    a single (singly-constrained) balancing:

    .. math:: V_i = \\sum_j S_j \\frac{P_i^{\\alpha} f(c_{ij})}{\\sum_k P_k^{\\alpha} f(c_{kj})},
       \\qquad v_i = V_i / P_i

    Conservation: :math:`\\sum_i V_i = \\sum_j S_j` over the facilities reached by someone with
    demand (unlike gravity accessibility, nothing is counted twice). With ``alpha=1`` the per
    capita value :math:`v_i` equals the 2SFCA value with the same decay. Units: supply units
    (``per_capita=False``) or supply per person (``per_capita=True``; NaN for villages with no
    demand, where a per-person share is undefined). Same as the R package *accessibility*
    ``spatial_availability()``.

    Reference: Soukhov, A., Paez, A., Higgins, C. D. & Mohamed, M. (2023). Introducing spatial
    availability, a singly-constrained measure of competitive accessibility. *PLOS ONE* 18(1),
    e0278468.

    Parameters
    ----------
    alpha
        Population exponent (>= 0); below 1 favours small villages, above 1 large ones.
    per_capita
        Divide by demand.

    Examples
    --------
    >>> v = spatial_availability(costs, villages["population"], clinics["doctors"],
    ...                          decay=decay.exponential(half_life_min=15))
    >>> v.name, v[two].round(3).tolist()  # doctors allotted to each village
    ('spatial_availability', [6.49, 0.091])
    >>> round(float(v.sum()), 6)  # every one of the 402 doctors is allotted once
    402.0
    """
    a = positive("alpha", alpha, kind="spatial_availability", allow_zero=True)
    p = prepare(costs, demand, supply, cost=cost, unknown_ids=unknown_ids)
    f = resolve_decay(
        decay, p, fn="spatial_availability", catchment_min=catchment_min, catchment_m=catchment_m
    )
    w = pair_weights(p, f)
    num = np.power(p.demand_values, a)[p.o] * w
    share = safe_ratio(num, p.per_destination(num)[p.d])
    v = p.per_origin(share * p.supply_values[p.d])
    unreached = (p.per_destination(num) <= 0) & (p.supply_values > 0)
    if unreached.any():
        log.info(
            "spatial_availability: %d facilities (supply %g) are reached by no demand; their "
            "supply is not allocated",
            int(unreached.sum()),
            float(p.supply_values[unreached].sum()),
        )
    if per_capita:
        with np.errstate(invalid="ignore", divide="ignore"):
            v = np.where(
                p.demand_values > 0, v / np.where(p.demand_values > 0, p.demand_values, 1.0), np.nan
            )
        return p.series(v, "spatial_availability_per_capita")
    return p.series(v, "spatial_availability")


def huff_probabilities(
    costs: pd.DataFrame,
    demand: IdsLike,
    supply: pd.Series,
    *,
    decay: DecayLike | None = None,
    alpha: float = 1.0,
    cost: str = DEFAULT_COST,
    unknown_ids: UnknownIds = "raise",
) -> pd.DataFrame:
    """Huff model: the probability that a village's residents choose each facility.

    .. math:: P_{ij} = \\frac{S_j^{\\alpha} f(c_{ij})}{\\sum_k S_k^{\\alpha} f(c_{ik})}

    Huff's original model is ``alpha=1`` with ``decay=decay.power(lambda)`` (attractiveness
    over travel time to the power lambda); the default here is ``power(2)``. Units: probability
    (0 to 1, dimensionless).

    Returns
    -------
    DataFrame
        Long table with columns ``origin``, ``destination``, ``probability`` (and the cost
        column), one row per pair with a positive probability, in cost-table order. For every
        village that reaches an attractive facility the probabilities sum to 1; villages that
        reach none have no rows.

    Reference: Huff, D. L. (1963). A probabilistic analysis of shopping center trade areas.
    *Land Economics* 39(1), 81-90.

    Examples
    --------
    >>> p = huff_probabilities(costs, villages["population"], clinics["doctors"])
    >>> p.columns.tolist()
    ['origin', 'destination', 'probability', 'travel_time_min']
    >>> print(p[p.origin == "V216"].nlargest(2, "probability").round(3).to_string(index=False))
    origin destination  probability  travel_time_min
      V216       CL152        0.039           39.677
      V216       CL164        0.036           41.143
    >>> round(float(p.groupby("origin")["probability"].sum().max()), 12)
    1.0
    """
    a = positive("alpha", alpha, kind="huff_probabilities", allow_zero=True)
    p = prepare(costs, demand, supply, cost=cost, unknown_ids=unknown_ids, use_demand=False)
    f = resolve_decay(decay, p, fn="huff_probabilities", default=_decay.power(2.0))
    num = np.power(p.supply_values, a)[p.d] * pair_weights(p, f)
    prob = safe_ratio(num, p.per_origin(num)[p.o])
    keep = prob > 0
    return pd.DataFrame(
        {
            "origin": p.origins[p.o[keep]],
            "destination": p.destinations[p.d[keep]],
            "probability": prob[keep],
            p.cost: p.c[keep],
        }
    )
