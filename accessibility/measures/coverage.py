"""Capacity-filled coverage: which villages each facility can actually serve, given its capacity.

This is AccessMod's *geographic coverage analysis* on a cost table: facilities are taken one at a
time in a chosen order; each absorbs the (still uncovered) population of the villages it reaches,
nearest first, until its capacity is used up or the time limit is reached. Population absorbed by
one facility is no longer available to the next.

Reference: Ray, N. & Ebener, S. (2008). AccessMod 3.0: computing geographic coverage and
accessibility to health care services using anisotropic movement of patients. *International
Journal of Health Geographics* 7, 63; WHO AccessMod 5 user manual, "Geographic coverage
analysis".

Examples
--------
The examples run on the demo county set up in :mod:`accessibility.measures` (its village clinics
reached by car within 60 minutes):

>>> from accessibility.measures import capacity_coverage
>>> len(costs)
65779
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import pandas as pd

from .._deprecate import renamed_keywords
from ..errors import InvalidValueError, suggest
from ._table import DEFAULT_COST, Pairs, UnknownIds, check_reach, prepare, unit_cutoff

__all__ = ["CoverageResult", "capacity_coverage"]

log = logging.getLogger(__name__)

_REL_TOL = 1e-12


@dataclass(frozen=True)
class CoverageResult:
    """Result of :func:`capacity_coverage`.

    Attributes
    ----------
    facilities
        Indexed like ``supply``: ``order`` (1 = processed first), ``capacity``,
        ``population_covered``, ``capacity_left``, ``filled`` (bool: the facility could take no
        more population before the time limit), ``filled_at_min`` (cost at which that happened,
        NaN when it never filled), ``farthest_min`` (cost of the farthest village it absorbed,
        NaN when none), ``n_villages``.
    villages
        Indexed like ``demand``: ``population``, ``covered``, ``residual``, ``covered_share``
        (0..1; NaN where the population is 0), ``facility`` (the facility that covered most of
        the village, missing when none), ``n_facilities``.
    assignments
        The catchment of each facility, one row per (village, facility) share: ``village``,
        ``facility``, the cost column, ``population`` (covered by that facility), ``step``
        (order of absorption, 0-based across the whole run).
    coverage_rate
        Total population covered / total population (0..1; NaN when the total is 0).
    """

    facilities: pd.DataFrame
    villages: pd.DataFrame
    assignments: pd.DataFrame
    coverage_rate: float


def _facility_order(
    supply: pd.Series, order: Any, ascending: bool | None
) -> tuple[np.ndarray, str]:
    """Positions of the facilities in processing order (stable: ties keep supply's order)."""
    n = len(supply)
    if isinstance(order, str):
        if order == "capacity":
            asc = False if ascending is None else ascending
            key = supply.to_numpy(dtype=np.float64)
            return np.argsort(key if asc else -key, kind="stable"), "capacity"
        if order == "given":
            return np.arange(n), "given"
        raise InvalidValueError(
            f"order must be 'capacity', 'given' or a Series of priorities indexed by facility "
            f"id; got {order!r}.{suggest(order, ['capacity', 'given'])}"
        )
    if isinstance(order, pd.Series):
        pri = order.reindex(supply.index)
        missing = pri.isna()
        if missing.any():
            raise InvalidValueError(
                f"the priority Series has no value for {int(missing.sum())} facilities "
                f"({', '.join(map(repr, supply.index[missing.to_numpy()][:5]))}); give every "
                "facility a priority"
            )
        asc = True if ascending is None else ascending
        ranks = pri.rank(method="first", ascending=asc).to_numpy()
        return np.argsort(ranks, kind="stable"), "priority"
    raise InvalidValueError(
        f"order must be 'capacity', 'given' or a pandas Series of priorities, got "
        f"{type(order).__name__}"
    )


@renamed_keywords(limit_min="catchment_min")
def capacity_coverage(
    costs: pd.DataFrame,
    demand: pd.Series,
    supply: pd.Series,
    *,
    catchment_min: float | None = None,
    catchment_m: float | None = None,
    order: Literal["capacity", "given"] | pd.Series = "capacity",
    ascending: bool | None = None,
    split: bool = True,
    cost: str = DEFAULT_COST,
    unknown_ids: UnknownIds = "raise",
) -> CoverageResult:
    """Capacity-filled coverage (AccessMod geographic coverage analysis).

    For each facility ``j`` in processing order, with remaining capacity :math:`K_j`, the villages
    it reaches within the catchment are taken nearest first (ties: villages in ``demand``'s
    order); village ``i`` with still-uncovered population :math:`r_i` gives

    .. math:: x_{ij} = \\min\\left(r_i,\\; K_j - \\sum_{i' \\text{ before } i} x_{i'j}\\right)

    (``split=True``), and :math:`r_i \\leftarrow r_i - x_{ij}`. The facility *fills* at the cost of
    the village that exhausts its capacity. With ``split=False`` a village is covered whole or
    not at all: the facility stops at the first village whose uncovered population exceeds
    what is left of its capacity (its catchment stays contiguous in time, as AccessMod's grows
    ring by ring), and that village's cost is its ``filled_at_min``.

    Units: population (demand units) and capacity (supply units, read as people served, e.g.
    patients per day or school seats; convert beds or doctors to people first).

    Parameters
    ----------
    costs, demand, supply
        Cost table, population per village, capacity per facility (all >= 0).
    catchment_min, catchment_m
        Maximum cost (inclusive), in the unit of the cost column; neither uses every pair of the
        table (``limit_min=`` is the old name of ``catchment_min=``).
    order
        ``"capacity"`` (largest first, the default), ``"given"`` (supply's order) or a Series of
        priorities indexed by facility id (lowest first unless ``ascending=False``).
    ascending
        Reverse the default direction of ``order``.
    split
        Let a village's population be shared between facilities (default) or not.
    cost, unknown_ids
        As in :mod:`accessibility.measures`.

    Returns
    -------
    CoverageResult
        Per-facility and per-village tables, the assignment table (catchments) and the overall
        coverage rate.

    Examples
    --------
    Each clinic doctor is taken to serve 1,000 residents (the national health-service planning
    outline's norm of at least one village doctor per 1,000 residents served), within 30 minutes
    by car:

    >>> res = capacity_coverage(costs, villages["population"], clinics["doctors"] * 1000,
    ...                         catchment_min=30)
    >>> round(res.coverage_rate, 4)
    0.7633
    >>> cols = ["capacity", "population_covered", "filled", "filled_at_min"]
    >>> res.facilities.loc[["CL001"], cols].round(2)
                 capacity  population_covered  filled  filled_at_min
    facility_id
    CL001          4000.0              4000.0    True           4.29
    >>> int(res.facilities["filled"].sum()), len(clinics)
    (220, 221)
    >>> res.villages.loc[["V001", "V216"], ["population", "covered", "residual", "facility"]]
                population  covered  residual facility
    village_id
    V001            5838.0     51.0    5787.0    CL205
    V216            1060.0      0.0    1060.0      NaN
    >>> res.assignments.columns.tolist()
    ['village', 'facility', 'travel_time_min', 'population', 'step']
    """
    if not isinstance(split, bool):
        raise InvalidValueError(f"split must be True or False, got {split!r}")
    p = prepare(costs, demand, supply, cost=cost, unknown_ids=unknown_ids)
    lim = unit_cutoff("capacity_coverage", p, catchment_min=catchment_min, catchment_m=catchment_m)
    if lim is not None:
        if not np.isfinite(lim) or lim < 0:
            kw = "catchment_min (formerly limit_min)" if catchment_m is None else "catchment_m"
            raise InvalidValueError(f"{kw} must be a finite number >= 0, got {lim!r}")
        check_reach(p, lim, f"capacity_coverage(catchment_min={lim:g})")
        p = p.keep(p.c <= lim)
    fac_order, order_kind = _facility_order(supply, order, ascending)
    run = _fill(p, fac_order, split=split)
    av, af, ac, ap = run.assigned()
    assignments = pd.DataFrame(
        {
            "village": p.origins[av],
            "facility": p.destinations[af],
            p.cost: ac,
            "population": ap,
            "step": np.arange(av.size),
        }
    )
    facilities = _facility_table(p, run, fac_order, af)
    villages = _village_table(p, run, av, af, ap)
    covered = p.demand - run.residual
    total_pop = float(p.demand_values.sum())
    rate = float(covered.sum() / total_pop) if total_pop > 0 else float("nan")
    log.info(
        "capacity coverage (%s order, %s): %.1f%% of demand covered by %d facilities",
        order_kind,
        "split" if split else "all-or-nothing",
        100 * rate if total_pop > 0 else float("nan"),
        int((run.covered_by > 0).sum()),
    )
    return CoverageResult(facilities, villages, assignments, rate)


@dataclass
class _Run:
    """The state of a coverage run: what is left of each village and facility, what was taken."""

    residual: np.ndarray  # uncovered population per village
    cap: np.ndarray  # capacity left per facility
    covered_by: np.ndarray  # population covered per facility
    filled: np.ndarray  # bool per facility
    filled_at: np.ndarray  # cost at which each facility filled (NaN: never)
    farthest: np.ndarray  # cost of the farthest village each facility absorbed (NaN: none)
    taken: list[tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]]  # (village, fac, cost, pop)

    def assigned(self) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """Village and facility positions, costs and population of every share, in order."""
        if not self.taken:
            return np.zeros(0, np.int64), np.zeros(0, np.int64), np.zeros(0), np.zeros(0)
        v, f, c, pop = zip(*self.taken, strict=True)
        return np.concatenate(v), np.concatenate(f), np.concatenate(c), np.concatenate(pop)


def _take(
    need: np.ndarray, cum: np.ndarray, t: np.ndarray, capacity: float, tol: float, *, split: bool
) -> tuple[np.ndarray, float | None]:
    """Population taken from each village (nearest first; ``cum`` the running sum of ``need``)
    and the cost at which the facility fills (None when it does not)."""
    if split:
        before = cum - need
        take = np.clip(capacity - before, 0.0, need)
        full = np.flatnonzero(cum >= capacity - tol)
        if not full.size:
            return take, None
        k = int(full[0])
        take[k + 1 :] = 0.0
        take[k] = capacity - before[k]
        take[k] = min(max(take[k], 0.0), need[k])
        return take, t[k]
    fits = cum <= capacity + tol
    stop = np.flatnonzero(~fits)
    take = np.where(fits, need, 0.0)
    if stop.size:
        k = int(stop[0])
        take[k:] = 0.0
        return take, t[k]
    return take, (t[-1] if cum[-1] >= capacity - tol else None)


def _fill(p: Pairs, fac_order: np.ndarray, *, split: bool) -> _Run:
    """Let each facility in turn absorb the uncovered population it reaches, nearest first."""
    rank = np.empty(p.n_d, dtype=np.int64)
    rank[fac_order] = np.arange(p.n_d)
    # one sort of all pairs: by facility rank, then cost, then village position
    srt = np.lexsort((p.o, p.c, rank[p.d]))
    so, sd, sc = p.o[srt], p.d[srt], p.c[srt]
    bounds = np.searchsorted(rank[sd], np.arange(p.n_d + 1), side="left")
    nan = np.full(p.n_d, np.nan)
    run = _Run(
        p.demand_values.copy(),
        p.supply_values.copy(),
        np.zeros(p.n_d),
        np.zeros(p.n_d, bool),
        nan,
        nan.copy(),
        [],
    )
    residual, cap = run.residual, run.cap
    for r in range(p.n_d):
        j = fac_order[r]
        lo, hi = bounds[r], bounds[r + 1]
        capacity = cap[j]
        if lo == hi or capacity <= 0:
            continue
        v, t = so[lo:hi], sc[lo:hi]
        need = residual[v]
        pos = need > 0
        if not pos.any():
            continue
        v, t, need = v[pos], t[pos], need[pos]
        cum = np.cumsum(need)
        tol = _REL_TOL * max(capacity, float(cum[-1]))
        take, filled_at = _take(need, cum, t, capacity, tol, split=split)
        if filled_at is not None:
            run.filled[j] = True
            run.filled_at[j] = filled_at
        got = take > 0
        if not got.any():
            continue
        v, t, take = v[got], t[got], take[got]
        residual[v] = np.maximum(residual[v] - take, 0.0)
        # a village whose residual is within rounding of 0 is fully covered
        residual[v[residual[v] <= _REL_TOL * p.demand_values[v]]] = 0.0
        total = float(take.sum())
        run.covered_by[j] = total
        cap[j] = max(capacity - total, 0.0)
        if cap[j] <= tol:
            cap[j] = 0.0
        run.farthest[j] = t[-1]
        run.taken.append((v, np.full(v.size, j), t, take))
    return run


def _facility_table(p: Pairs, run: _Run, fac_order: np.ndarray, af: np.ndarray) -> pd.DataFrame:
    """Per facility: processing order, capacity, population covered, when it filled."""
    order_pos = np.empty(p.n_d, dtype=np.int64)
    order_pos[fac_order] = np.arange(1, p.n_d + 1)
    return pd.DataFrame(
        {
            "order": order_pos,
            "capacity": p.supply,
            "population_covered": run.covered_by,
            "capacity_left": run.cap,
            "filled": run.filled,
            "filled_at_min": run.filled_at,
            "farthest_min": run.farthest,
            "n_villages": np.bincount(af, minlength=p.n_d),
        },
        index=p.destinations,
    )


def _village_table(
    p: Pairs, run: _Run, av: np.ndarray, af: np.ndarray, ap: np.ndarray
) -> pd.DataFrame:
    """Per village: population, covered, residual, covered share, main facility."""
    covered = p.demand - run.residual
    main = pd.Series(pd.NA, index=p.origins, dtype=object)
    if av.size:
        best = np.lexsort((np.arange(av.size), -ap, av))  # per village: largest share, then first
        first = np.r_[True, av[best][1:] != av[best][:-1]]
        pick = best[first]
        main.iloc[av[pick]] = p.destinations[af[pick]].to_numpy()
    with np.errstate(invalid="ignore", divide="ignore"):
        share = np.where(
            p.demand_values > 0,
            covered / np.where(p.demand_values > 0, p.demand_values, 1.0),
            np.nan,
        )
    return pd.DataFrame(
        {
            "population": p.demand,
            "covered": covered,
            "residual": run.residual,
            "covered_share": share,
            "facility": main.to_numpy(),
            "n_facilities": np.bincount(av, minlength=p.n_o),
        },
        index=p.origins,
    )
