"""Facility siting on long cost tables: where to build next.

Every model reads the same data as the rest of the package:

* a **cost table** (``origin`` = village id, ``destination`` = candidate site id,
  ``travel_time_min``); pairs absent from the table are beyond the routing limit and can
  never serve each other;
* a **demand** Series (village id -> population), which also defines the set of villages;
* candidate site ids (default: every destination in the cost table), optional **fixed** sites
  (existing facilities that stay open and are always part of the answer) and optional
  **capacities** (candidate id -> capacity in the same unit as demand).

Models
------
========================  =================================================================
:func:`maximal_covering`  MCLP: open ``p`` new sites to maximise the population within the
                          standard (Church & ReVelle 1974); capacitated form optional
:func:`p_median`          open ``p`` new sites to minimise total population-weighted travel
                          time (Hakimi 1964; ReVelle & Swain 1970); capacitated form optional
:func:`set_covering`      LSCP: fewest new sites so that every village is within the standard
                          (Toregas et al. 1971); capacitated form optional (CLSCP)
:func:`p_center`          open ``p`` new sites to minimise the largest travel time of any
                          village (Hakimi 1964); capacitated form optional
:func:`equity_covering`   open ``p`` new sites to maximise the share of population within the
                          standard in the worst-off group (max-min over groups)
========================  =================================================================

Each model is solved exactly as a sparse mixed-integer programme with HiGHS
(:func:`scipy.optimize.milp`), with a time limit, or by a greedy heuristic (plus a Teitz-Bart
vertex-substitution interchange for the p-median, MCLP and p-center) whose optimality gap is
measured against the bound of the linear-programming relaxation. Only pairs present in the cost
table become variables, so the models stay small when the table was built with a time limit.

Results are :class:`SitingResult` objects: the selected site ids, a per-village assignment table
indexed like the demand, the objective, a bound, the relative gap, the solver status and the time.

Examples
--------
Besides the small hand-worked example in each docstring, every model runs on the bundled
(synthetic) demo county: candidate sites on a 3 km grid, the 11 township health centres kept open
(``fixed``), car travel times up to 60 minutes:

>>> import geopandas as gpd
>>> import pandas as pd
>>> import accessibility as acc
>>> from accessibility.siting import *
>>> demo = acc.load_demo()
>>> villages = demo.villages
>>> centres = demo.facilities[demo.facilities["service"] == "health_centre"]
>>> candidates = grid_candidates(demo.townships, spacing_m=3000)
>>> sites = gpd.GeoDataFrame(geometry=pd.concat([candidates.geometry, centres.geometry]),
...                          crs=demo.crs)
>>> net = acc.network_from_roads(demo.roads, tolerance_m=2.5)
>>> county_costs = acc.travel_costs(net, villages, sites, mode="car", max_time_min=60)
>>> pop = villages["population"]
>>> len(candidates), len(centres), len(county_costs)
(124, 11, 33504)
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Literal

import numpy as np
import pandas as pd

from ...errors import InvalidValueError

if TYPE_CHECKING:  # pragma: no cover
    pass

from .instance import (
    check_common,
    check_p,
    check_standard,
    prepare,
    raise_unreachable,
    unreachable,
)
from .result import SitingResult
from .solve import common_prm, solve

__all__ = ["equity_covering", "maximal_covering", "p_center", "p_median", "set_covering"]

Method = Literal["exact", "greedy"]
Assignment = Literal["single", "split"]


def maximal_covering(
    costs: pd.DataFrame,
    demand: pd.Series,
    *,
    p: int,
    standard_min: float,
    candidates: Any = None,
    fixed: Any = None,
    capacities: pd.Series | None = None,
    assignment: Assignment = "single",
    method: Method = "exact",
    improve: bool = True,
    time_limit_s: float = 60.0,
    mip_rel_gap: float = 1e-6,
    lp_bound: bool = True,
) -> SitingResult:
    r"""Maximal covering (MCLP): open ``p`` new sites to cover the most population.

    .. math::

       \max \sum_i w_i c_i \quad \text{s.t.}\quad c_i \le \sum_{j:\,t_{ij}\le S} y_j,\;
       \sum_{j \notin F} y_j = p,\; y_j = 1\ (j \in F),\; y_j \in \{0,1\},\; 0 \le c_i \le 1

    where :math:`w_i` is the demand (population) of village :math:`i`, :math:`t_{ij}` the travel
    time in minutes (pairs absent from the table cannot cover), :math:`S` the standard and
    :math:`F` the fixed (existing) sites (Church & ReVelle 1974).

    With ``capacities`` the capacitated MCLP is solved: assignment variables :math:`x_{ij}` for
    pairs within the standard, :math:`\sum_j x_{ij} \le 1`, :math:`\sum_i w_i x_{ij} \le C_j y_j`,
    :math:`x_{ij} \le y_j`, maximising :math:`\sum w_i x_{ij}`. ``assignment="single"`` makes
    :math:`x_{ij}` binary (all-or-nothing: a village is served wholly by one site or not at
    all); ``"split"`` lets a village's demand be split between sites (continuous :math:`x`).

    Units: the objective is population covered (demand units).

    Parameters
    ----------
    costs
        Long cost table (``origin`` village id, ``destination`` site id, ``travel_time_min``).
    demand
        Population per village, indexed by village id; defines the villages.
    p
        Number of *new* sites to open, in addition to ``fixed``.
    standard_min
        Service standard in minutes: a village is covered when an open site is within it.
    candidates
        Candidate site ids (list, Index, or a GeoDataFrame of points whose index is used);
        default: every destination of the cost table.
    fixed
        Ids of existing sites that stay open (always selected, not counted in ``p``).
    capacities
        Capacity per site id (same unit as demand); switches to the capacitated model.
    assignment
        ``"single"`` (all-or-nothing) or ``"split"`` assignment for the capacitated model.
    method
        ``"exact"`` (MILP with HiGHS) or ``"greedy"`` (greedy adding plus interchange).
    improve
        Run the Teitz-Bart interchange after the greedy adding (``method="greedy"``).
    time_limit_s
        Time limit of the solver in seconds; the best solution found is returned with
        ``status="time_limit"`` and the proven bound.
    mip_rel_gap
        Relative gap at which HiGHS stops.
    lp_bound
        With ``method="greedy"``, solve the LP relaxation to report a bound and gap (within
        the time limit, at most 30 s; otherwise ``bound`` and ``gap`` are ``nan``).

    Returns
    -------
    SitingResult
        ``objective`` = population covered within the standard; ``bound`` is an upper bound.

    References
    ----------
    Church, R. & ReVelle, C. (1974). The maximal covering location problem. *Papers of the
    Regional Science Association* 32, 101-118.

    Examples
    --------
    >>> import pandas as pd
    >>> costs = pd.DataFrame({"origin": ["a", "b", "c"], "destination": ["s1", "s1", "s2"],
    ...                       "travel_time_min": [5.0, 20.0, 10.0]})
    >>> demand = pd.Series({"a": 100.0, "b": 50.0, "c": 80.0})
    >>> r = maximal_covering(costs, demand, p=1, standard_min=15)
    >>> r.selected, r.objective
    (['s1'], 100.0)
    >>> r = maximal_covering(county_costs, pop, p=3, standard_min=15, fixed=centres.index)
    >>> r.new_sites, r.status, round(float(r.objective / pop.sum()), 4)  # share within 15 min
    (['g000005', 'g000068', 'g000076'], 'optimal', 0.773)
    """
    check_common(method, assignment, time_limit_s)
    inst = prepare(costs, demand, candidates=candidates, fixed=fixed, capacities=capacities)
    prm = common_prm(check_p(inst, p), assignment, inst, standard_min=check_standard(standard_min))
    return solve(
        "maximal_covering", inst, prm, method=method, improve=improve,
        time_limit_s=time_limit_s, mip_rel_gap=mip_rel_gap, lp_bound=lp_bound,
    )  # fmt: skip


def p_median(
    costs: pd.DataFrame,
    demand: pd.Series,
    *,
    p: int,
    candidates: Any = None,
    fixed: Any = None,
    capacities: pd.Series | None = None,
    assignment: Assignment = "single",
    penalty_min: float | None = None,
    method: Method = "exact",
    improve: bool = True,
    time_limit_s: float = 60.0,
    mip_rel_gap: float = 1e-6,
    lp_bound: bool = True,
) -> SitingResult:
    r"""p-median: open ``p`` new sites to minimise total population-weighted travel time.

    .. math::

       \min \sum_{(i,j)} w_i t_{ij} x_{ij} \quad\text{s.t.}\quad \sum_j x_{ij} = 1,\;
       x_{ij} \le y_j,\; \sum_{j\notin F} y_j = p,\; y_j = 1\ (j\in F),\; y_j\in\{0,1\}

    over the pairs present in the cost table (ReVelle & Swain 1970). Without capacities
    :math:`x` is continuous (each village goes to its nearest open site at the optimum); with
    ``capacities`` the constraint :math:`\sum_i w_i x_{ij} \le C_j y_j` is added and
    ``assignment="single"`` makes :math:`x` binary (all-or-nothing, as spopt's capacitated
    p-median) while ``"split"`` lets demand split between sites.

    Every village must be served by a site in the cost table; villages no candidate reaches
    raise :class:`InfeasibleError` naming them. With ``penalty_min`` a village may instead stay
    unserved at a cost of ``penalty_min`` minutes per person (then it is unserved whenever all
    open sites are farther than that).

    Units: the objective is population-weighted travel time (person-minutes).

    Parameters
    ----------
    costs, demand, candidates, fixed, capacities, assignment, method, improve, time_limit_s, mip_rel_gap, lp_bound
        As in :func:`maximal_covering`.
    p
        Number of new sites to open, in addition to ``fixed``.
    penalty_min
        Travel time charged (per person) for leaving a village unserved; ``None`` = forbidden.

    Returns
    -------
    SitingResult
        ``objective`` = sum of population x minutes (person-minutes); divide by the total
        demand for the mean travel time. ``bound`` is a lower bound.

    References
    ----------
    ReVelle, C. S. & Swain, R. W. (1970). Central facilities location. *Geographical Analysis*
    2, 30-42. Teitz, M. B. & Bart, P. (1968). Heuristic methods for estimating the generalized
    vertex median of a weighted graph. *Operations Research* 16, 955-961.

    Examples
    --------
    >>> import pandas as pd
    >>> costs = pd.DataFrame({"origin": ["a", "a", "b", "b"], "destination": ["s1", "s2"] * 2,
    ...                       "travel_time_min": [5.0, 9.0, 8.0, 2.0]})
    >>> demand = pd.Series({"a": 10.0, "b": 30.0})
    >>> p_median(costs, demand, p=1).selected
    ['s2']
    >>> r = p_median(county_costs, pop, p=3, fixed=centres.index)
    >>> r.new_sites, round(float(r.objective / pop.sum()), 2)  # mean minutes per resident
    (['g000005', 'g000068', 'g000076'], 10.86)
    """
    check_common(method, assignment, time_limit_s)
    inst = prepare(costs, demand, candidates=candidates, fixed=fixed, capacities=capacities)
    p = check_p(inst, p)
    if penalty_min is not None:
        penalty_min = check_standard(penalty_min)
    else:
        bad = unreachable(inst, np.ones(len(inst.t), bool))
        if bad.any():
            raise_unreachable(inst, bad, "(no pair in the cost table)")
    prm = common_prm(p, assignment, inst, penalty_min=penalty_min)
    return solve(
        "p_median", inst, prm, method=method, improve=improve,
        time_limit_s=time_limit_s, mip_rel_gap=mip_rel_gap, lp_bound=lp_bound,
    )  # fmt: skip


def set_covering(
    costs: pd.DataFrame,
    demand: pd.Series,
    *,
    standard_min: float,
    candidates: Any = None,
    fixed: Any = None,
    capacities: pd.Series | None = None,
    assignment: Assignment = "split",
    method: Method = "exact",
    time_limit_s: float = 60.0,
    mip_rel_gap: float = 1e-6,
    lp_bound: bool = True,
) -> SitingResult:
    r"""Set covering (LSCP): the fewest new sites so that every village is within the standard.

    .. math::

       \min \sum_{j\notin F} y_j \quad\text{s.t.}\quad \sum_{j:\,t_{ij}\le S} y_j \ge 1\ \forall i,
       \; y_j = 1\ (j\in F),\; y_j\in\{0,1\}

    (Toregas et al. 1971). With ``capacities`` the capacitated form (CLSCP-SO, as in spopt) is
    solved: :math:`\sum_j x_{ij} = 1`, :math:`\sum_i w_i x_{ij} \le C_j y_j` over pairs within
    the standard; ``assignment="split"`` (default, spopt's form) lets demand split between
    sites, ``"single"`` forces all-or-nothing assignment.

    Villages that no candidate reaches within the standard make the problem infeasible; they
    are named in the :class:`InfeasibleError` (``err.villages``). Every village in ``demand``
    must be covered, including zero-population ones (drop them from ``demand`` if unwanted).

    Units: the objective is the number of new sites.

    Parameters
    ----------
    costs, demand, standard_min, candidates, fixed, capacities, method, time_limit_s, mip_rel_gap, lp_bound
        As in :func:`maximal_covering`.
    assignment
        ``"split"`` (default) or ``"single"`` for the capacitated form.

    Returns
    -------
    SitingResult
        ``objective`` = number of new sites (fixed sites not counted); ``bound`` is a lower
        bound (the rounded-up LP bound for the greedy heuristic).

    References
    ----------
    Toregas, C., Swain, R., ReVelle, C. & Bergman, L. (1971). The location of emergency service
    facilities. *Operations Research* 19, 1363-1373.

    Examples
    --------
    >>> import pandas as pd
    >>> costs = pd.DataFrame({"origin": ["a", "b", "b", "c"],
    ...                       "destination": ["s1", "s1", "s2", "s2"],
    ...                       "travel_time_min": [5.0, 5.0, 5.0, 5.0]})
    >>> demand = pd.Series({"a": 1.0, "b": 1.0, "c": 1.0})
    >>> set_covering(costs, demand, standard_min=10).objective
    2.0
    >>> try:
    ...     set_covering(county_costs, pop, standard_min=20, fixed=centres.index)
    ... except InfeasibleError as err:
    ...     unreachable = err.villages  # no site, new or old, within 20 min
    >>> len(unreachable), unreachable[:3]
    (9, ['V186', 'V216', 'V247'])
    >>> r = set_covering(county_costs, pop.drop(unreachable), standard_min=20, fixed=centres.index)
    >>> r.objective, r.status
    (24.0, 'optimal')
    """
    check_common(method, assignment, time_limit_s)
    inst = prepare(costs, demand, candidates=candidates, fixed=fixed, capacities=capacities)
    s = check_standard(standard_min)
    bad = unreachable(inst, inst.t <= s)
    if bad.any():
        raise_unreachable(inst, bad, f"within {s:g} min")
    prm = common_prm(None, assignment, inst, standard_min=s)
    return solve(
        "set_covering", inst, prm, method=method, improve=False,
        time_limit_s=time_limit_s, mip_rel_gap=mip_rel_gap, lp_bound=lp_bound,
    )  # fmt: skip


def p_center(
    costs: pd.DataFrame,
    demand: pd.Series,
    *,
    p: int,
    candidates: Any = None,
    fixed: Any = None,
    capacities: pd.Series | None = None,
    assignment: Assignment = "single",
    method: Method = "exact",
    improve: bool = True,
    time_limit_s: float = 60.0,
    mip_rel_gap: float = 1e-6,
    lp_bound: bool = True,
) -> SitingResult:
    r"""p-center: open ``p`` new sites to minimise the largest travel time of any village.

    .. math::

       \min W \quad\text{s.t.}\quad W \ge \sum_j t_{ij} x_{ij},\; \sum_j x_{ij} = 1,\;
       x_{ij} \le y_j,\; \sum_{j\notin F} y_j = p,\; y_j=1\ (j\in F),\; y_j\in\{0,1\}

    (Hakimi 1964; Daskin 2013). This is the equity objective "minimise the worst travel time";
    it is unweighted (every village counts, whatever its population), as in spopt. With
    ``capacities``, :math:`\sum_i w_i x_{ij} \le C_j y_j` is added and ``assignment`` chooses
    all-or-nothing (``"single"``) or split assignment.

    Units: the objective is the largest travel time (minutes).

    Parameters
    ----------
    costs, demand, p, candidates, fixed, capacities, assignment, method, improve, time_limit_s, mip_rel_gap, lp_bound
        As in :func:`p_median`; ``demand`` defines the villages (and the loads for capacities).

    Returns
    -------
    SitingResult
        ``objective`` = the largest travel time (minutes) of any village to its site. ``bound``
        is a lower bound (for the heuristic, the larger of the LP bound and the largest
        nearest-candidate time).

    References
    ----------
    Hakimi, S. L. (1964). Optimum locations of switching centers and the absolute centers and
    medians of a graph. *Operations Research* 12, 450-459.

    Examples
    --------
    >>> import pandas as pd
    >>> costs = pd.DataFrame({"origin": ["a", "a", "b", "b"], "destination": ["s1", "s2"] * 2,
    ...                       "travel_time_min": [5.0, 9.0, 30.0, 12.0]})
    >>> demand = pd.Series({"a": 10.0, "b": 1.0})
    >>> r = p_center(costs, demand, p=1)
    >>> r.selected, r.objective
    (['s2'], 12.0)
    >>> r = p_center(county_costs, pop, p=3, fixed=centres.index)
    >>> r.new_sites, round(r.objective, 2)
    (['g000112', 'g000117', 'g000082'], 41.86)
    """
    check_common(method, assignment, time_limit_s)
    inst = prepare(costs, demand, candidates=candidates, fixed=fixed, capacities=capacities)
    p = check_p(inst, p)
    bad = unreachable(inst, np.ones(len(inst.t), bool))
    if bad.any():
        raise_unreachable(inst, bad, "(no pair in the cost table)")
    prm = common_prm(p, assignment, inst)
    return solve(
        "p_center", inst, prm, method=method, improve=improve,
        time_limit_s=time_limit_s, mip_rel_gap=mip_rel_gap, lp_bound=lp_bound,
    )  # fmt: skip


def equity_covering(
    costs: pd.DataFrame,
    demand: pd.Series,
    groups: pd.Series,
    *,
    p: int,
    standard_min: float,
    candidates: Any = None,
    fixed: Any = None,
    method: Method = "exact",
    tie_break: bool = True,
    time_limit_s: float = 60.0,
    mip_rel_gap: float = 1e-6,
    lp_bound: bool = True,
) -> SitingResult:
    r"""Max-min equity covering: raise the worst-off group's share within the standard.

    .. math::

       \max z \quad\text{s.t.}\quad z \le \frac{1}{W_g}\sum_{i\in g} w_i c_i\ \forall g,\;
       c_i \le \sum_{j:\,t_{ij}\le S} y_j,\; \sum_{j\notin F} y_j = p,\; y_j = 1\ (j\in F)

    where :math:`W_g` is the population of group :math:`g` (e.g. ``area_type`` urban/rural or
    ``township``). Groups with no population are ignored. With ``tie_break`` (default) a second
    MILP keeps :math:`z` at its optimum and maximises the total population covered, so the
    answer is not needlessly wasteful for the better-off groups. For the other equity objective,
    the smallest worst travel time, use :func:`p_center`.

    Units: the objective is a population share (0 to 1).

    Reference: Marsh, M. T. & Schilling, D. A. (1994). Equity measurement in facility location
    analysis: a review and framework. *European Journal of Operational Research* 74(1), 1-17
    (max-min objectives); the covering constraints are Church & ReVelle's (1974) MCLP.

    Parameters
    ----------
    costs, demand, p, standard_min, candidates, fixed, method, time_limit_s, mip_rel_gap, lp_bound
        As in :func:`maximal_covering`.
    groups
        Group label per village, indexed like ``demand`` (every village needs a label).
    tie_break
        Maximise total coverage among the max-min optimal answers (exact method).

    Returns
    -------
    SitingResult
        ``objective`` = the smallest share (0..1) of a group's population within the standard;
        ``bound`` is an upper bound. ``params["group_share"]`` holds every group's share.

    Examples
    --------
    >>> import pandas as pd
    >>> costs = pd.DataFrame({"origin": ["u1", "u2", "r1"], "destination": ["s1", "s3", "s2"],
    ...                       "travel_time_min": [5.0, 5.0, 5.0]})
    >>> demand = pd.Series({"u1": 1000.0, "u2": 500.0, "r1": 10.0})
    >>> groups = pd.Series({"u1": "urban", "u2": "urban", "r1": "rural"})
    >>> r = equity_covering(costs, demand, groups, p=1, standard_min=10, fixed=["s1"])
    >>> r.new_sites, round(r.objective, 3)
    (['s2'], 0.667)
    >>> maximal_covering(costs, demand, p=1, standard_min=10, fixed=["s1"]).new_sites
    ['s3']
    >>> r = equity_covering(county_costs, pop, villages["township"], p=3, standard_min=15,
    ...                     fixed=centres.index)
    >>> r.new_sites, round(r.objective, 4)  # the worst township's share within 15 min
    (['g000056', 'g000110', 'g000059'], 0.515)
    """
    check_common(method, "single", time_limit_s)
    inst = prepare(costs, demand, candidates=candidates, fixed=fixed)
    p = check_p(inst, p)
    s = check_standard(standard_min)
    if not isinstance(groups, pd.Series):
        raise InvalidValueError("groups must be a Series of group labels indexed like demand.")
    g = groups.reindex(inst.villages)
    if g.isna().any():
        miss = inst.villages[g.isna().to_numpy()].tolist()
        raise InvalidValueError(
            f"groups has no label for {len(miss)} village(s), e.g. {miss[:10]}; give every "
            "village in demand a group."
        )
    codes, labels = pd.factorize(g, sort=True)
    wg = np.bincount(codes, weights=inst.w, minlength=len(labels))
    prm = common_prm(
        p,
        "single",
        inst,
        standard_min=s,
        tie_break=tie_break,
        _codes=codes.astype(np.int64),
        _wg=wg,
    )
    res = solve(
        "equity_covering",
        inst,
        prm,
        method=method,
        improve=False,
        time_limit_s=time_limit_s,
        mip_rel_gap=mip_rel_gap,
        lp_bound=lp_bound,
    )
    cov = res.assignment["covered"].to_numpy() * inst.w
    share = np.bincount(codes, weights=cov, minlength=len(labels)) / np.where(wg > 0, wg, np.nan)
    res.params["group_share"] = pd.Series(
        share, index=pd.Index(labels, name="group"), name="share_within_standard"
    )
    return res
