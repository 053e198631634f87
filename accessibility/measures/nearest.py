"""The nearest facilities: cost to the nearest, which one it is, mean cost to the n nearest."""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..errors import InvalidValueError
from ._table import DEFAULT_COST, IdsLike, Pairs, UnknownIds, cost_unit, prepare_ids

__all__ = ["mean_nearest_cost", "nearest_cost", "nearest_facility"]


def _k_nearest(p: Pairs, n: int) -> tuple[np.ndarray, np.ndarray]:
    """Row numbers of each origin's ``n`` cheapest pairs, and the rank (0 = nearest) of each.

    Ties go to the destination listed first in ``supply``. Small ``n`` uses ``n`` linear passes
    of ``ufunc.at`` (much faster than sorting millions of pairs); large ``n`` sorts.
    """
    if n > 8:
        order = np.lexsort((p.d, p.c, p.o))
        so = p.o[order]
        new = np.r_[True, so[1:] != so[:-1]] if so.size else np.zeros(0, bool)
        start = np.maximum.accumulate(np.where(new, np.arange(so.size), 0))
        rank = np.arange(so.size) - start
        keep = rank < n
        return order[keep], rank[keep]
    rows, ranks = [], []
    alive = np.ones(p.c.size, dtype=bool)
    big = np.iinfo(np.int64).max
    for k in range(n):
        best = np.full(p.n_o, np.inf)
        np.minimum.at(best, p.o[alive], p.c[alive])
        tie = alive & (p.c == best[p.o])
        first_d = np.full(p.n_o, big)
        np.minimum.at(first_d, p.o[tie], p.d[tie])
        chosen = np.flatnonzero(tie & (p.d == first_d[p.o]))
        if chosen.size == 0:
            break
        rows.append(chosen)
        ranks.append(np.full(chosen.size, k))
        alive[chosen] = False
    if not rows:
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    return np.concatenate(rows), np.concatenate(ranks)


def nearest_cost(
    costs: pd.DataFrame,
    demand: IdsLike,
    supply: IdsLike,
    *,
    cost: str = DEFAULT_COST,
    unknown_ids: UnknownIds = "raise",
) -> pd.Series:
    """Cost to the nearest facility.

    .. math:: A_i = \\min_j c_{ij}

    Units: those of the cost column (minutes). Villages that reach no facility get ``inf``
    (explicitly unreachable within the routing limit; never 0 and never dropped). Every facility
    in ``supply``'s index counts, whatever its supply value: filter ``supply`` first to ignore
    empty ones.

    Reference: Pereira, R. H. M. & Herszenhut, D. (2023). *Introduction to urban accessibility*,
    ch. 2 (minimum travel cost), Ipea.

    Examples
    --------
    >>> t = nearest_cost(costs, villages["population"], clinics)
    >>> t.name, t[two].round(1).tolist()
    ('nearest_min', [5.2, 34.1])
    """
    p = prepare_ids(costs, demand, supply, cost, unknown_ids, False)
    out = np.full(p.n_o, np.inf)
    if p.c.size and p.by_origin:  # each origin's pairs are one run of rows: reduce each run
        starts = np.flatnonzero(np.r_[True, p.o[1:] != p.o[:-1]])
        out[p.o[starts]] = np.minimum.reduceat(p.c, starts)
    elif p.c.size:
        np.minimum.at(out, p.o, p.c)
    return p.series(out, "nearest_" + cost_unit(p.cost))


def nearest_facility(
    costs: pd.DataFrame,
    demand: IdsLike,
    supply: IdsLike,
    *,
    cost: str = DEFAULT_COST,
    unknown_ids: UnknownIds = "raise",
) -> pd.Series:
    """Id of the nearest facility (ties go to the facility listed first in ``supply``).

    .. math:: j^*_i = \\arg\\min_j c_{ij}

    Units: a facility id (a label of ``supply``'s index). Villages that reach no facility get a
    missing value (``None``/NaN).

    Reference: Pereira, R. H. M. & Herszenhut, D. (2023). *Introduction to urban accessibility*,
    ch. 2 (minimum travel cost), Ipea.

    Examples
    --------
    >>> nearest_facility(costs, villages["population"], clinics)[two].tolist()
    ['CL002', 'CL158']
    """
    p = prepare_ids(costs, demand, supply, cost, unknown_ids, False)
    rows, _ = _k_nearest(p, 1)
    values = pd.Series(pd.NA, index=p.origins, dtype=object, name="nearest_facility")
    values.iloc[p.o[rows]] = p.destinations[p.d[rows]].to_numpy()
    if rows.size == p.n_o:
        values = values.astype(p.destinations.dtype)
    return values


def mean_nearest_cost(
    costs: pd.DataFrame,
    demand: IdsLike,
    supply: IdsLike,
    *,
    n: int = 3,
    cost: str = DEFAULT_COST,
    unknown_ids: UnknownIds = "raise",
) -> pd.Series:
    """Mean cost to the ``n`` nearest facilities (a measure of choice, not just proximity).

    .. math:: A_i = \\frac1n \\sum_{k=1}^{n} c_{i(k)}, \\quad c_{i(1)} \\le c_{i(2)} \\le \\dots

    Units: those of the cost column. Villages that reach fewer than ``n`` facilities within the
    routing limit get ``inf``: their mean is not known, only that it exceeds the limit.

    Reference: Apparicio, P. et al. (2008). Comparing alternative approaches to measuring the
    geographical accessibility of urban health services. *International Journal of Health
    Geographics* 7, 7.

    Examples
    --------
    >>> m3 = mean_nearest_cost(costs, villages["population"], clinics, n=3)
    >>> m3.name, m3[two].round(1).tolist()
    ('mean3_nearest_min', [6.0, 36.2])
    """
    if isinstance(n, bool) or not isinstance(n, int | np.integer) or n < 1:
        raise InvalidValueError(f"n must be a whole number >= 1, got {n!r}")
    p = prepare_ids(costs, demand, supply, cost, unknown_ids, False)
    rows, _ = _k_nearest(p, n)
    total = np.bincount(p.o[rows], weights=p.c[rows], minlength=p.n_o)
    count = np.bincount(p.o[rows], minlength=p.n_o)
    out = np.where(count >= n, total / n, np.inf)
    return p.series(out, f"mean{n}_nearest_" + cost_unit(p.cost))
