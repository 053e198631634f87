"""Opportunity counts: cumulative opportunities, by cost band, and gravity (Hansen) accessibility."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

import numpy as np
import pandas as pd

from .._deprecate import renamed_keywords
from ..errors import InvalidValueError, suggest
from ._numbers import positive, tag_number
from ._table import (
    DEFAULT_COST,
    DecayLike,
    IdsLike,
    UnknownIds,
    check_reach,
    pair_weights,
    prepare,
    prepare_ids,
    resolve_decay,
    unit_cutoff,
)

__all__ = ["cumulative", "cumulative_intervals", "gravity"]


def _check_weight(weight: str) -> None:
    if weight not in ("count", "supply"):
        raise InvalidValueError(
            f"weight must be 'count' or 'supply', got {weight!r}."
            f"{suggest(str(weight), ['count', 'supply'])}"
        )


@renamed_keywords(limit_min="catchment_min")
def cumulative(
    costs: pd.DataFrame,
    demand: IdsLike,
    supply: IdsLike,
    *,
    catchment_min: float | None = None,
    catchment_m: float | None = None,
    weight: Literal["count", "supply"] = "count",
    cost: str = DEFAULT_COST,
    unknown_ids: UnknownIds = "raise",
) -> pd.Series:
    """Cumulative opportunities: facilities (or their supply) reachable within the catchment.

    .. math:: A_i = \\sum_j a_j \\, [c_{ij} \\le L], \\qquad a_j = 1 \\text{ (count) or } S_j
       \\text{ (supply)}

    Units: facilities (count) or supply units (beds, seats). Villages that reach nothing get 0.

    Reference: Wachs, M. & Kumagai, T. G. (1973). Physical accessibility as a social indicator.
    *Socio-Economic Planning Sciences* 7(5), 437-456.

    Parameters
    ----------
    costs, demand, supply
        Cost table, demand Series (only its index is used) and supply Series (its values are
        used when ``weight="supply"``).
    catchment_min, catchment_m
        The cut-off ``L`` (inclusive), in minutes or in metres: the one that matches the unit of
        the cost column (give one; ``limit_min=`` is the old name of ``catchment_min=``).
    weight
        ``"count"`` counts facilities, ``"supply"`` sums their supply.
    cost
        Cost column of the table.
    unknown_ids
        ``"raise"`` (default) when the table has ids missing from the layers, ``"drop"`` to
        ignore those rows.

    Examples
    --------
    >>> n30 = cumulative(costs, villages["population"], clinics, catchment_min=30)
    >>> n30.name, n30[two].tolist()
    ('count_30min', [142.0, 0.0])
    >>> doctors = cumulative(costs, villages["population"], clinics["doctors"], catchment_min=30,
    ...                      weight="supply")
    >>> doctors.name, doctors[two].tolist()
    ('supply_30min', [271.0, 0.0])
    """
    _check_weight(weight)
    p = prepare_ids(costs, demand, supply, cost, unknown_ids, weight == "supply")
    given = unit_cutoff("cumulative", p, catchment_min=catchment_min, catchment_m=catchment_m)
    if given is None:
        raise InvalidValueError("cumulative() needs a cut-off: catchment_min= (or catchment_m=)")
    unit = "min" if catchment_m is None else "m"
    name = "catchment_min (formerly limit_min)" if unit == "min" else "catchment_m"
    lim = positive(name, given, kind="cumulative", allow_zero=True)
    check_reach(p, lim, f"cumulative(catchment_min={lim:g})")
    inside = p.c <= lim
    vals = (
        inside.astype(np.float64)
        if weight == "count"
        else np.where(inside, p.supply_values[p.d], 0.0)
    )
    return p.series(p.per_origin(vals), f"{weight}_{tag_number(lim)}{unit}")


def cumulative_intervals(
    costs: pd.DataFrame,
    demand: IdsLike,
    supply: IdsLike,
    *,
    breaks_min: Sequence[float] = (0, 15, 30, 60),
    weight: Literal["count", "supply"] = "count",
    cost: str = DEFAULT_COST,
    unknown_ids: UnknownIds = "raise",
) -> pd.DataFrame:
    """Facilities (or supply) reachable within each cost band ``[b0, b1], (b1, b2], ...``.

    .. math:: A_i^{(k)} = \\sum_j a_j \\, [b_{k-1} < c_{ij} \\le b_k]

    The first band includes its lower bound. Summing the columns gives
    :func:`cumulative` at the last break (when ``b0 = 0``). Units: facilities (count) or supply
    units (beds, seats) per band.

    Reference: Wachs, M. & Kumagai, T. G. (1973). Physical accessibility as a social indicator.
    *Socio-Economic Planning Sciences* 7(5), 437-456 (cumulative opportunities, here by band).

    Returns
    -------
    DataFrame
        Indexed like ``demand``, one column per band named ``"{lo}_{hi}min"`` (e.g.
        ``"0_15min"``, ``"15_30min"``); 0 where nothing falls in the band.

    Examples
    --------
    >>> bands = cumulative_intervals(costs, villages["population"], clinics,
    ...                              breaks_min=[0, 15, 30, 60])
    >>> bands.loc[two]
                0_15min  15_30min  30_60min
    village_id
    V001           33.0     109.0      76.0
    V216            0.0       0.0      62.0
    >>> bands.sum(axis=1).equals(cumulative(costs, villages["population"], clinics, catchment_min=60))
    True
    """
    _check_weight(weight)
    try:
        b = np.asarray(breaks_min, dtype=np.float64).ravel()
    except (TypeError, ValueError):
        raise InvalidValueError(
            f"breaks_min must be a list of numbers, got {breaks_min!r}"
        ) from None
    if b.size < 2 or not np.all(np.isfinite(b)) or b[0] < 0 or np.any(np.diff(b) <= 0):
        raise InvalidValueError(
            f"breaks_min must hold at least two finite, >= 0, strictly increasing numbers "
            f"(e.g. [0, 15, 30, 60]); got {b.tolist()}"
        )
    p = prepare_ids(costs, demand, supply, cost, unknown_ids, weight == "supply")
    check_reach(p, float(b[-1]), f"cumulative_intervals(breaks_min={b.tolist()})")
    k = np.searchsorted(b, p.c, side="left")  # b[k-1] < c <= b[k]
    k[p.c == b[0]] = 1
    ok = (k >= 1) & (k < b.size)
    vals = np.ones(ok.sum()) if weight == "count" else p.supply_values[p.d[ok]]
    n_bands = b.size - 1
    flat = np.bincount(
        p.o[ok].astype(np.int64) * n_bands + (k[ok] - 1), weights=vals, minlength=p.n_o * n_bands
    ).reshape(p.n_o, n_bands)
    tags = [tag_number(x) for x in b]
    cols = [f"{tags[i]}_{tags[i + 1]}min" for i in range(n_bands)]
    return pd.DataFrame(flat, index=p.origins, columns=cols)


@renamed_keywords(limit_min="catchment_min")
def gravity(
    costs: pd.DataFrame,
    demand: IdsLike,
    supply: pd.Series,
    *,
    decay: DecayLike | None = None,
    catchment_min: float | None = None,
    catchment_m: float | None = None,
    cost: str = DEFAULT_COST,
    unknown_ids: UnknownIds = "raise",
) -> pd.Series:
    """Gravity (Hansen) accessibility: supply weighted by the decay of the cost to reach it.

    .. math:: A_i = \\sum_j S_j \\, f(c_{ij})

    Units: supply units (weighted). Equals PySAL ``access``'s ``weighted_catchment`` with the
    same weight function. Villages that reach nothing get 0.

    Reference: Hansen, W. G. (1959). How accessibility shapes land use. *Journal of the American
    Institute of Planners* 25(2), 73-76.

    Parameters
    ----------
    decay
        A :mod:`accessibility.decay` function, a spec dict, or a vectorised callable.
    catchment_min, catchment_m
        Shorthand for a step decay at that cut-off (then this is cumulative supply), in the unit
        of the cost column (``limit_min=`` is the old name of ``catchment_min=``).

    Examples
    --------
    >>> g = gravity(costs, villages["population"], clinics["doctors"],
    ...             decay=decay.exponential(half_life_min=20))
    >>> g.name, g[two].round(2).tolist()
    ('gravity', [176.61, 21.3])
    """
    p = prepare(costs, demand, supply, cost=cost, unknown_ids=unknown_ids, use_demand=False)
    f = resolve_decay(decay, p, fn="gravity", catchment_min=catchment_min, catchment_m=catchment_m)
    w = pair_weights(p, f)
    return p.series(p.per_origin(w * p.supply_values[p.d]), "gravity")
