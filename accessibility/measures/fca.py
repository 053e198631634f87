"""Accessibility measures: functions of a cost table, demand and supply, one value per village.

Every measure takes

* ``costs``: the long cost table (columns ``origin``, ``destination`` and a cost column, by default
  ``travel_time_min``; pairs beyond the routing limit are absent),
* ``demand``: a Series indexed by village id (population, school-age children, elderly, ...),
* ``supply``: a Series indexed by facility id (beds, doctors, seats, or 1 per facility),

and returns a named Series indexed exactly like ``demand`` (or, for :func:`huff_probabilities`, a
long table). Villages that reach nothing get 0 where 0 is the honest answer (counts, sums, ratios
of supply per person) and ``inf`` where a cost is asked for (:func:`nearest_cost`).

All computation is vectorised over the pairs (``numpy.bincount`` over integer codes), so a cost
table of millions of rows takes seconds.

References for each measure are in its docstring and in ``docs/measures.md``.

Examples
--------
The examples of this module run on the bundled (synthetic) demo county: 354 villages, its 221
village clinics, and the cost table of car travel times up to 60 minutes. Two villages are shown:
``V001`` (an urban community in the county seat) and ``V216`` (a mountain village of Taoyuan
township, the second farthest from a clinic).

>>> import accessibility as acc
>>> from accessibility import decay
>>> from accessibility.measures import *
>>> demo = acc.load_demo()
>>> villages = demo.villages
>>> clinics = demo.facilities[demo.facilities["service"] == "clinic"]
>>> net = acc.network_from_roads(demo.roads, tolerance_m=2.5)
>>> costs = acc.travel_costs(net, villages, clinics, mode="car", max_time_min=60)
>>> len(villages), len(clinics), len(costs)
(354, 221, 65779)
>>> two = ["V001", "V216"]
>>> villages.loc[two, "name_pinyin"].tolist()
['Jiefang Shequ', 'Dongchong Cun']
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any, Literal

import numpy as np
import pandas as pd

from . import decay as _decay
from .decay import Decay
from .errors import (
    ConfigError,
    DuplicateIdError,
    InvalidValueError,
    MissingColumnError,
    suggest,
)

__all__ = [
    "bfca",
    "cumulative",
    "cumulative_intervals",
    "e2sfca",
    "gravity",
    "huff_probabilities",
    "kd2sfca",
    "m2sfca",
    "mean_nearest_cost",
    "measure_reaches",
    "measure_table",
    "nearest_cost",
    "nearest_facility",
    "spatial_availability",
    "three_sfca",
    "two_sfca",
]

log = logging.getLogger(__name__)

DEFAULT_COST = "travel_time_min"
#: Luo & Qi (2009) E2SFCA zones and weights (minutes).
E2SFCA_BREAKS_MIN = (10.0, 20.0, 30.0)
E2SFCA_WEIGHTS = (1.0, 0.68, 0.22)
#: Wan, Zou & Sternberg (2012) 3SFCA zones and weights (minutes), PySAL access's default.
THREE_SFCA_BREAKS_MIN = (10.0, 20.0, 30.0, 60.0)
THREE_SFCA_WEIGHTS = (0.962, 0.704, 0.377, 0.042)

DecayLike = Decay | Mapping[str, Any] | Callable[[np.ndarray], Any]
UnknownIds = Literal["raise", "drop"]


# =========================================================================== input checks


@dataclass(frozen=True)
class _Pairs:
    """A validated cost table as integer codes into the demand and supply indexes."""

    o: np.ndarray  # int64 position of the origin in demand.index
    d: np.ndarray  # int64 position of the destination in supply.index
    c: np.ndarray  # float64 cost
    demand: np.ndarray | None  # float64 per origin (None when values are not used)
    supply: np.ndarray | None  # float64 per destination
    origins: pd.Index
    destinations: pd.Index
    cost: str
    #: the table holds every pair with ``cost <= max_cost`` (``costs.attrs["max_time_min"]``, set
    #: by :func:`accessibility.costs.travel_costs`); None when the table does not say
    max_cost: float | None = None

    @property
    def n_o(self) -> int:
        return len(self.origins)

    @property
    def n_d(self) -> int:
        return len(self.destinations)

    def per_origin(self, values: np.ndarray) -> np.ndarray:
        """Sum ``values`` (one per pair) by origin, 0 for origins without pairs."""
        return np.bincount(self.o, weights=values, minlength=self.n_o)

    def per_destination(self, values: np.ndarray) -> np.ndarray:
        return np.bincount(self.d, weights=values, minlength=self.n_d)

    def series(self, values: np.ndarray, name: str) -> pd.Series:
        return pd.Series(values, index=self.origins, name=name)

    def keep(self, mask: np.ndarray) -> _Pairs:
        return _Pairs(
            self.o[mask],
            self.d[mask],
            self.c[mask],
            self.demand,
            self.supply,
            self.origins,
            self.destinations,
            self.cost,
            self.max_cost,
        )


def _few(labels: Sequence[Any] | np.ndarray | pd.Index, n: int = 5) -> str:
    labels = list(labels)
    shown = ", ".join(repr(x) for x in labels[:n])
    return shown + (f" and {len(labels) - n} more" if len(labels) > n else "")


def _layer(
    obj: Any, what: str, unit: str, *, use_values: bool, example: str
) -> tuple[pd.Index, np.ndarray | None]:
    """Validate demand or supply and return its index and (optionally) its float values."""
    if isinstance(obj, pd.Series):
        index = obj.index
    elif not use_values and isinstance(obj, pd.DataFrame | pd.Index):
        index = obj if isinstance(obj, pd.Index) else obj.index
    else:
        raise InvalidValueError(
            f"{what} must be a pandas Series indexed by {unit} id (e.g. {example}); "
            f"got {type(obj).__name__}"
        )
    if index.has_duplicates:
        dup = index[index.duplicated()].unique()
        raise DuplicateIdError(
            f"{what} has {len(dup)} duplicated {unit} ids ({_few(dup)}); ids must be unique: "
            "drop or merge the duplicates first"
        )
    if index.hasnans:
        raise DuplicateIdError(f"{what} has missing {unit} ids in its index; give every row an id")
    if not use_values:
        return index, None
    if not (pd.api.types.is_numeric_dtype(obj.dtype) or pd.api.types.is_bool_dtype(obj.dtype)):
        raise InvalidValueError(
            f"{what} must be numeric, got dtype {obj.dtype}; convert it with "
            "pd.to_numeric(..., errors='coerce') and deal with the failures"
        )
    values = obj.to_numpy(dtype=np.float64, na_value=np.nan)
    missing = np.isnan(values)
    if missing.any():
        raise InvalidValueError(
            f"{what} is missing for {int(missing.sum())} {unit}(s) ({_few(index[missing])}); "
            f"fill the gaps (e.g. .fillna(0) if they truly have none) or drop those {unit}s"
        )
    bad = ~np.isfinite(values) | (values < 0)
    if bad.any():
        raise InvalidValueError(
            f"{what} must be finite and >= 0, but {int(bad.sum())} {unit}(s) have "
            f"{_few(np.unique(values[bad]))} ({_few(index[bad])}); fix the data"
        )
    return index, values


def _codes(column: pd.Series, index: pd.Index) -> np.ndarray:
    """Positions of ``column``'s labels in ``index`` (-1 when absent), fast for categoricals."""
    if isinstance(column.dtype, pd.CategoricalDtype):
        cat = column.cat
        lookup = index.get_indexer(cat.categories)
        codes = cat.codes.to_numpy()
        return np.where(codes >= 0, lookup[np.maximum(codes, 0)], -1).astype(np.int64)
    return index.get_indexer(column).astype(np.int64, copy=False)


def _prepare(
    costs: pd.DataFrame,
    demand: Any,
    supply: Any,
    *,
    cost: str = DEFAULT_COST,
    unknown_ids: UnknownIds = "raise",
    use_demand: bool = True,
    use_supply: bool = True,
) -> _Pairs:
    """Check every input at once and turn the cost table into integer codes.

    An already prepared :class:`_Pairs` passes through (used by :func:`measure_table` to
    validate and encode a cost table once for many measures).
    """
    if isinstance(costs, _Pairs):
        if (use_demand and costs.demand is None) or (use_supply and costs.supply is None):
            raise InvalidValueError("internal: prepared pairs lack the values this measure needs")
        return costs
    if not isinstance(costs, pd.DataFrame):
        raise InvalidValueError(
            "costs must be a pandas DataFrame with columns origin, destination and "
            f"{cost} (a cost table from accessibility.costs); got {type(costs).__name__}"
        )
    for col in ("origin", "destination", cost):
        if col not in costs.columns:
            raise MissingColumnError(
                f"the cost table has no column {col!r}.{suggest(col, costs.columns)} "
                f"Columns found: {', '.join(map(str, costs.columns))}"
                + ("; pass cost='<column>' to use another cost column" if col == cost else "")
            )
    if unknown_ids not in ("raise", "drop"):
        raise InvalidValueError(f"unknown_ids must be 'raise' or 'drop', got {unknown_ids!r}")
    origins, dem = _layer(
        demand, "demand", "village", use_values=use_demand, example="villages['population']"
    )
    destinations, sup = _layer(
        supply, "supply", "facility", use_values=use_supply, example="facilities['capacity']"
    )
    if not pd.api.types.is_numeric_dtype(costs[cost].dtype):
        raise InvalidValueError(f"cost column {cost!r} must be numeric, got {costs[cost].dtype}")
    c = costs[cost].to_numpy(dtype=np.float64, na_value=np.nan)
    if np.isnan(c).any():
        raise InvalidValueError(
            f"cost column {cost!r} has {int(np.isnan(c).sum())} missing values; pairs that "
            f"cannot be reached must be absent from the cost table, not NaN: drop them with "
            f"costs.dropna(subset=[{cost!r}])"
        )
    if (c < 0).any():
        raise InvalidValueError(
            f"cost column {cost!r} has {int((c < 0).sum())} negative values (smallest "
            f"{c.min():g}); costs must be >= 0"
        )
    o = _codes(costs["origin"], origins)
    d = _codes(costs["destination"], destinations)
    bad_o, bad_d = o < 0, d < 0
    if bad_o.any() or bad_d.any():
        if unknown_ids == "raise":
            parts = []
            if bad_o.any():
                ids = pd.unique(costs["origin"].to_numpy()[bad_o])
                parts.append(f"{len(ids)} origin id(s) not in demand's index ({_few(ids)})")
            if bad_d.any():
                ids = pd.unique(costs["destination"].to_numpy()[bad_d])
                parts.append(f"{len(ids)} destination id(s) not in supply's index ({_few(ids)})")
            raise InvalidValueError(
                "the cost table has " + " and ".join(parts) + ". Pass the same layers the "
                "costs were computed for, filter the table first (e.g. "
                "costs[costs.destination.isin(supply.index)]), or pass unknown_ids='drop'"
            )
        keep = ~(bad_o | bad_d)
        log.info("dropping %d cost-table rows whose ids are not in the layers", (~keep).sum())
        o, d, c = o[keep], d[keep], c[keep]
    if o.size and _has_duplicate_pairs(o, d, len(origins), len(destinations)):
        key = o * np.int64(max(len(destinations), 1)) + d
        dup = pd.Index(key).duplicated()
        if dup.any():
            first = int(np.flatnonzero(dup)[0])
            raise DuplicateIdError(
                f"the cost table lists {int(dup.sum())} origin-destination pair(s) more than "
                f"once (e.g. {origins[o[first]]!r} -> {destinations[d[first]]!r}); keep one "
                "row per pair, e.g. costs.groupby(['origin', 'destination'], as_index=False)"
                f"[{cost!r}].min()"
            )
    return _Pairs(o, d, c, dem, sup, origins, destinations, cost, _table_reach(costs, cost, c))


def _table_reach(costs: pd.DataFrame, cost: str, c: np.ndarray) -> float | None:
    """The cut-off a cost table records (``attrs["max_time_min"]``), if it is believable."""
    if cost != DEFAULT_COST:
        return None
    value = costs.attrs.get("max_time_min") if isinstance(costs.attrs, Mapping) else None
    try:
        reach = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None
    if np.isnan(reach) or (c.size and float(c.max()) > reach):
        return None  # a stale record (the table was extended after it was cut): ignore it
    return reach


def _check_reach(p: _Pairs, need: float | None, what: str) -> None:
    """Refuse a measure that weighs pairs beyond the cost table's recorded cut-off."""
    if p.max_cost is None or need is None or not need > p.max_cost:
        return
    raise InvalidValueError(
        f"{what} weighs pairs up to {need:g} min, but the cost table stops at {p.max_cost:g} min "
        f"(costs.attrs['max_time_min'], recorded by travel_costs): the pairs between "
        f"{p.max_cost:g} and {need:g} min are missing and the result would be wrong. Recompute "
        f"the table with travel_costs(..., max_time_min={need:g}) or more, or use a limit of at "
        f"most {p.max_cost:g} min"
    )


def _has_duplicate_pairs(o: np.ndarray, d: np.ndarray, n_o: int, n_d: int) -> bool:
    """True when an (origin, destination) pair occurs twice; O(n), no hashing."""
    key = o * np.int64(max(n_d, 1)) + d
    space = n_o * max(n_d, 1)
    if space <= 4 * key.size + 1_000_000:  # dense enough: count in a table
        return bool(np.bincount(key, minlength=space).max(initial=0) > 1)
    srt = np.sort(key)
    return bool((srt[1:] == srt[:-1]).any())


def _resolve_decay(
    decay: DecayLike | None,
    limit_min: float | None,
    pairs: _Pairs,
    *,
    fn: str,
    default: Decay | None = None,
) -> Decay:
    f = _resolve_decay_fn(decay, limit_min, pairs, fn=fn, default=default)
    _check_reach(pairs, f.limit_min, f"{fn}() with decay {f!r}")
    return f


def _resolve_decay_fn(
    decay: DecayLike | None,
    limit_min: float | None,
    pairs: _Pairs,
    *,
    fn: str,
    default: Decay | None = None,
) -> Decay:
    if decay is not None and limit_min is not None:
        raise InvalidValueError(
            f"{fn}(): give decay= or limit_min= (shorthand for decay.step(limit_min)), not both"
        )
    if limit_min is not None:
        return _decay.step(limit_min)
    if decay is None:
        if default is not None:
            return default
        raise InvalidValueError(
            f"{fn}() needs a decay, e.g. decay=accessibility.decay.step(30) or limit_min=30"
        )
    if isinstance(decay, Decay):
        return decay
    if isinstance(decay, Mapping):
        return _decay.decay_from_spec(decay, where=f"{fn}() decay")
    if callable(decay):
        finite = pairs.c[np.isfinite(pairs.c)]
        _decay.check_decay(
            decay,
            max_cost=float(finite.max()) if finite.size else 240.0,
            name=f"{fn}() decay {getattr(decay, '__name__', '')}".rstrip(),
        )
        return _decay.as_decay(decay)
    return _decay.as_decay(decay)  # raises a clear error


def _weights(pairs: _Pairs, f: Decay) -> np.ndarray:
    w = f(pairs.c)
    if w.shape != pairs.c.shape:
        raise InvalidValueError(f"decay {f!r} returned {w.shape} weights for {pairs.c.size} costs")
    # weights below the smallest normal float (e.g. gaussian(1) at 38 min, ~1e-314) are noise, and
    # dividing supply by them overflows the catchment ratios to inf/NaN: count them as 0
    w = np.array(w, dtype=np.float64)
    w[np.abs(w) < np.finfo(np.float64).tiny] = 0.0
    return w


def _safe_ratio(num: np.ndarray, den: np.ndarray) -> np.ndarray:
    """num / den, 0 where den is 0 or subnormal (nothing to divide among; dividing by a
    subnormal overflows)."""
    out = np.zeros_like(num, dtype=np.float64)
    np.divide(num, den, out=out, where=den >= np.finfo(np.float64).tiny)
    return out


# =========================================================================== simple measures


def cumulative(
    costs: pd.DataFrame,
    demand: Any,
    supply: Any,
    *,
    limit_min: float,
    weight: Literal["count", "supply"] = "count",
    cost: str = DEFAULT_COST,
    unknown_ids: UnknownIds = "raise",
) -> pd.Series:
    """Cumulative opportunities: facilities (or their supply) reachable within ``limit_min``.

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
    limit_min
        The cut-off ``L`` (inclusive).
    weight
        ``"count"`` counts facilities, ``"supply"`` sums their supply.
    cost
        Cost column of the table.
    unknown_ids
        ``"raise"`` (default) when the table has ids missing from the layers, ``"drop"`` to
        ignore those rows.

    Examples
    --------
    >>> n30 = cumulative(costs, villages["population"], clinics, limit_min=30)
    >>> n30.name, n30[two].tolist()
    ('count_30min', [142.0, 0.0])
    >>> doctors = cumulative(costs, villages["population"], clinics["doctors"], limit_min=30,
    ...                      weight="supply")
    >>> doctors.name, doctors[two].tolist()
    ('supply_30min', [271.0, 0.0])
    """
    if weight not in ("count", "supply"):
        raise InvalidValueError(
            f"weight must be 'count' or 'supply', got {weight!r}."
            f"{suggest(str(weight), ['count', 'supply'])}"
        )
    lim = _decay._positive("limit_min", limit_min, kind="cumulative", allow_zero=True)
    p = _prepare(
        costs,
        demand,
        supply,
        cost=cost,
        unknown_ids=unknown_ids,
        use_demand=False,
        use_supply=weight == "supply",
    )
    _check_reach(p, lim, f"cumulative(limit_min={lim:g})")
    inside = p.c <= lim
    vals = inside.astype(np.float64) if weight == "count" else np.where(inside, p.supply[p.d], 0.0)
    return p.series(p.per_origin(vals), f"{weight}_{_decay._tag_number(lim)}min")


def cumulative_intervals(
    costs: pd.DataFrame,
    demand: Any,
    supply: Any,
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
    >>> bands.sum(axis=1).equals(cumulative(costs, villages["population"], clinics, limit_min=60))
    True
    """
    if weight not in ("count", "supply"):
        raise InvalidValueError(f"weight must be 'count' or 'supply', got {weight!r}")
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
    p = _prepare(
        costs,
        demand,
        supply,
        cost=cost,
        unknown_ids=unknown_ids,
        use_demand=False,
        use_supply=weight == "supply",
    )
    _check_reach(p, float(b[-1]), f"cumulative_intervals(breaks_min={b.tolist()})")
    k = np.searchsorted(b, p.c, side="left")  # b[k-1] < c <= b[k]
    k[p.c == b[0]] = 1
    ok = (k >= 1) & (k < b.size)
    vals = np.ones(ok.sum()) if weight == "count" else p.supply[p.d[ok]]
    n_bands = b.size - 1
    flat = np.bincount(
        p.o[ok] * n_bands + (k[ok] - 1), weights=vals, minlength=p.n_o * n_bands
    ).reshape(p.n_o, n_bands)
    tags = [_decay._tag_number(x) for x in b]
    cols = [f"{tags[i]}_{tags[i + 1]}min" for i in range(n_bands)]
    return pd.DataFrame(flat, index=p.origins, columns=cols)


def gravity(
    costs: pd.DataFrame,
    demand: Any,
    supply: pd.Series,
    *,
    decay: DecayLike | None = None,
    limit_min: float | None = None,
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
    limit_min
        Shorthand for ``decay=decay.step(limit_min)`` (then this is cumulative supply).

    Examples
    --------
    >>> g = gravity(costs, villages["population"], clinics["doctors"],
    ...             decay=decay.exponential(half_life_min=20))
    >>> g.name, g[two].round(2).tolist()
    ('gravity', [176.61, 21.3])
    """
    p = _prepare(costs, demand, supply, cost=cost, unknown_ids=unknown_ids, use_demand=False)
    f = _resolve_decay(decay, limit_min, p, fn="gravity")
    w = _weights(p, f)
    return p.series(p.per_origin(w * p.supply[p.d]), "gravity")


def _k_nearest(p: _Pairs, n: int) -> tuple[np.ndarray, np.ndarray]:
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
    demand: Any,
    supply: Any,
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
    p = _prepare(
        costs,
        demand,
        supply,
        cost=cost,
        unknown_ids=unknown_ids,
        use_demand=False,
        use_supply=False,
    )
    out = np.full(p.n_o, np.inf)
    if p.c.size:
        np.minimum.at(out, p.o, p.c)
    return p.series(out, "nearest_" + _unit(p.cost))


def nearest_facility(
    costs: pd.DataFrame,
    demand: Any,
    supply: Any,
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
    p = _prepare(
        costs,
        demand,
        supply,
        cost=cost,
        unknown_ids=unknown_ids,
        use_demand=False,
        use_supply=False,
    )
    rows, _ = _k_nearest(p, 1)
    values = pd.Series(pd.NA, index=p.origins, dtype=object, name="nearest_facility")
    values.iloc[p.o[rows]] = p.destinations[p.d[rows]].to_numpy()
    if rows.size == p.n_o:
        values = values.astype(p.destinations.dtype)
    return values


def mean_nearest_cost(
    costs: pd.DataFrame,
    demand: Any,
    supply: Any,
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
    p = _prepare(
        costs,
        demand,
        supply,
        cost=cost,
        unknown_ids=unknown_ids,
        use_demand=False,
        use_supply=False,
    )
    rows, _ = _k_nearest(p, n)
    total = np.bincount(p.o[rows], weights=p.c[rows], minlength=p.n_o)
    count = np.bincount(p.o[rows], minlength=p.n_o)
    out = np.where(count >= n, total / n, np.inf)
    return p.series(out, f"mean{n}_nearest_" + _unit(p.cost))


def _unit(cost: str) -> str:
    tail = cost.rsplit("_", 1)[-1]
    return tail if tail in {"min", "m", "km", "s", "h"} and tail != cost else cost


# =========================================================================== floating catchments


def _fca(p: _Pairs, w: np.ndarray, *, second_step_power: int = 1) -> tuple[np.ndarray, np.ndarray]:
    """Supply-to-demand ratio per facility and the accessibility per village (2SFCA core)."""
    served = p.per_destination(w * p.demand[p.o])
    ratio = _safe_ratio(p.supply, served)
    w2 = w if second_step_power == 1 else w**second_step_power
    return ratio, p.per_origin(w2 * ratio[p.d])


def two_sfca(
    costs: pd.DataFrame,
    demand: pd.Series,
    supply: pd.Series,
    *,
    decay: DecayLike | None = None,
    limit_min: float | None = None,
    cost: str = DEFAULT_COST,
    unknown_ids: UnknownIds = "raise",
) -> pd.Series:
    """Two-step floating catchment area (2SFCA): supply per head that a village can reach.

    Step 1, for each facility, the supply-to-demand ratio of its catchment; step 2, for each
    village, the sum of the ratios of the facilities it reaches, both weighted by the decay:

    .. math:: R_j = \\frac{S_j}{\\sum_k P_k f(c_{kj})}, \\qquad A_i = \\sum_j R_j f(c_{ij})

    With ``limit_min=L`` (a step decay) this is Luo & Wang's original 2SFCA; any other decay
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
    >>> a = two_sfca(costs, villages["population"], clinics["doctors"], limit_min=30)
    >>> a.name, (a[two] * 1000).round(3).tolist()  # doctors per 1,000 residents
    ('2sfca', [1.204, 0.0])
    >>> round(float((a * villages["population"]).sum()), 6)  # = the county's 402 doctors
    402.0
    """
    p = _prepare(costs, demand, supply, cost=cost, unknown_ids=unknown_ids)
    f = _resolve_decay(decay, limit_min, p, fn="two_sfca")
    _, a = _fca(p, _weights(p, f))
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
    p = _prepare(costs, demand, supply, cost=cost, unknown_ids=unknown_ids)
    f = (
        _resolve_decay(decay, None, p, fn="e2sfca")
        if decay is not None
        else _decay.zones(breaks_min, weights)
    )
    _check_reach(p, f.limit_min, f"e2sfca() with zones {f!r}")
    _, a = _fca(p, _weights(p, f))
    return p.series(a, "e2sfca")


def m2sfca(
    costs: pd.DataFrame,
    demand: pd.Series,
    supply: pd.Series,
    *,
    decay: DecayLike | None = None,
    limit_min: float | None = None,
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
    p = _prepare(costs, demand, supply, cost=cost, unknown_ids=unknown_ids)
    f = _resolve_decay(decay, limit_min, p, fn="m2sfca")
    _, a = _fca(p, _weights(p, f), second_step_power=2)
    return p.series(a, "m2sfca")


def three_sfca(
    costs: pd.DataFrame,
    demand: pd.Series,
    supply: pd.Series,
    *,
    decay: DecayLike | None = None,
    limit_min: float | None = None,
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
    p = _prepare(costs, demand, supply, cost=cost, unknown_ids=unknown_ids)
    default = _decay.zones(THREE_SFCA_BREAKS_MIN, THREE_SFCA_WEIGHTS)
    f = _resolve_decay(decay, limit_min, p, fn="three_sfca", default=default)
    w = _weights(p, f)
    t = (
        w
        if selection_decay is None
        else _weights(p, _resolve_decay(selection_decay, None, p, fn="three_sfca"))
    )
    g = t / np.maximum(p.per_origin(t), np.finfo(float).tiny)[p.o]
    served = p.per_destination(g * w * p.demand[p.o])
    ratio = _safe_ratio(p.supply, served)
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
    p = _prepare(costs, demand, supply, cost=cost, unknown_ids=unknown_ids)
    _check_reach(p, f.limit_min, f"kd2sfca(bandwidth_min={f.limit_min:g})")
    _, a = _fca(p, _weights(p, f))
    return p.series(a, "kd2sfca")


def bfca(
    costs: pd.DataFrame,
    demand: pd.Series,
    supply: pd.Series,
    *,
    decay: DecayLike | None = None,
    limit_min: float | None = None,
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
    >>> a = bfca(costs, villages["population"], clinics["doctors"], limit_min=30)
    >>> a.name, (a[two] * 1000).round(3).tolist()
    ('bfca', [1.063, 0.0])
    """
    p = _prepare(costs, demand, supply, cost=cost, unknown_ids=unknown_ids)
    f = _resolve_decay(decay, limit_min, p, fn="bfca")
    w = _weights(p, f)
    wi = _safe_ratio(w, p.per_origin(w)[p.o])
    wj = _safe_ratio(w, p.per_destination(w)[p.d])
    level = _safe_ratio(p.supply, p.per_destination(wi * p.demand[p.o]))
    return p.series(p.per_origin(level[p.d] * wj), "bfca")


def spatial_availability(
    costs: pd.DataFrame,
    demand: pd.Series,
    supply: pd.Series,
    *,
    decay: DecayLike | None = None,
    limit_min: float | None = None,
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
    a = _decay._positive("alpha", alpha, kind="spatial_availability", allow_zero=True)
    p = _prepare(costs, demand, supply, cost=cost, unknown_ids=unknown_ids)
    f = _resolve_decay(decay, limit_min, p, fn="spatial_availability")
    w = _weights(p, f)
    num = np.power(p.demand, a)[p.o] * w
    share = _safe_ratio(num, p.per_destination(num)[p.d])
    v = p.per_origin(share * p.supply[p.d])
    unreached = (p.per_destination(num) <= 0) & (p.supply > 0)
    if unreached.any():
        log.info(
            "spatial_availability: %d facilities (supply %g) are reached by no demand; their "
            "supply is not allocated",
            int(unreached.sum()),
            float(p.supply[unreached].sum()),
        )
    if per_capita:
        with np.errstate(invalid="ignore", divide="ignore"):
            v = np.where(p.demand > 0, v / np.where(p.demand > 0, p.demand, 1.0), np.nan)
        return p.series(v, "spatial_availability_per_capita")
    return p.series(v, "spatial_availability")


def huff_probabilities(
    costs: pd.DataFrame,
    demand: Any,
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
    a = _decay._positive("alpha", alpha, kind="huff_probabilities", allow_zero=True)
    p = _prepare(costs, demand, supply, cost=cost, unknown_ids=unknown_ids, use_demand=False)
    f = _resolve_decay(decay, None, p, fn="huff_probabilities", default=_decay.power(2.0))
    num = np.power(p.supply, a)[p.d] * _weights(p, f)
    prob = _safe_ratio(num, p.per_origin(num)[p.o])
    keep = prob > 0
    return pd.DataFrame(
        {
            "origin": p.origins[p.o[keep]],
            "destination": p.destinations[p.d[keep]],
            "probability": prob[keep],
            p.cost: p.c[keep],
        }
    )


# =========================================================================== measure table

_DECAY_MEASURES = ("gravity", "2sfca", "m2sfca", "3sfca", "bfca", "spatial_availability")
_SPEC_KEYS: dict[str, tuple[str, ...]] = {
    "cumulative": ("limit_min", "weight"),
    "intervals": ("breaks_min", "weight"),
    "nearest": (),
    "mean_nearest": ("n",),
    "gravity": ("decay", "limit_min"),
    "2sfca": ("decay", "limit_min"),
    "e2sfca": ("breaks_min", "weights", "decay"),
    "m2sfca": ("decay", "limit_min"),
    "3sfca": ("decay", "limit_min", "selection_decay"),
    "kd2sfca": ("bandwidth_min", "kernel"),
    "bfca": ("decay", "limit_min"),
    "spatial_availability": ("decay", "limit_min", "alpha", "per_capita"),
    "coverage": ("limit_min", "order", "ascending", "split"),
    "huff": (),
}
_COMMON_KEYS = ("measure", "name", "cost")
_REQUIRED_KEYS: dict[str, tuple[str, ...]] = {
    "cumulative": ("limit_min",),
    "intervals": ("breaks_min",),
    "mean_nearest": ("n",),
    "kd2sfca": ("bandwidth_min",),
}


def _spec_decay(spec: Mapping[str, Any], where: str, *, key: str = "decay") -> Decay | None:
    if key == "decay" and "decay" in spec and "limit_min" in spec:
        raise ConfigError(f"{where}: give 'decay' or 'limit_min' (a step decay), not both")
    if key in spec:
        value = spec[key]
        if isinstance(value, Decay):
            return value
        return _decay.decay_from_spec(value, where=f"{where} {key}")
    if key == "decay" and "limit_min" in spec:
        return _decay.step(spec["limit_min"])
    return None


def _column_name(prefix: str, body: str) -> str:
    return f"{prefix}_{body}" if prefix else body


def _parse_specs(specs: Sequence[Mapping[str, Any]]) -> list[tuple[str, Mapping[str, Any], str]]:
    """Check measure specs (type, measure name, keys) and return ``(measure, spec, where)``."""
    if isinstance(specs, Mapping) or not isinstance(specs, Sequence):
        raise ConfigError(
            "specs must be a list of dicts like [{'measure': '2sfca', 'limit_min': 30}], got "
            f"{type(specs).__name__}"
        )
    known = list(_SPEC_KEYS)
    parsed: list[tuple[str, Mapping[str, Any], str]] = []
    for i, spec in enumerate(specs):
        where = f"measure spec #{i + 1}"
        if not isinstance(spec, Mapping):
            raise ConfigError(f"{where} must be a dict like {{'measure': 'nearest'}}, got {spec!r}")
        measure = spec.get("measure")
        if measure is None:
            raise ConfigError(f"{where} has no 'measure'; choose one of {', '.join(known)}")
        measure = str(measure).lower()
        measure = {
            "spatial-availability": "spatial_availability",
            "sa": "spatial_availability",
        }.get(measure, measure)
        if measure not in _SPEC_KEYS:
            raise ConfigError(
                f"{where}: unknown measure {spec.get('measure')!r}."
                f"{suggest(str(measure), known)} Known measures: {', '.join(known)}"
            )
        if measure == "huff":
            raise ConfigError(
                f"{where}: 'huff' gives one probability per village-facility pair, not one "
                "column per village; call accessibility.measures.huff_probabilities() instead"
            )
        where = f"{where} ({measure})"
        allowed = _SPEC_KEYS[measure] + _COMMON_KEYS
        for key in spec:
            if key not in allowed:
                raise ConfigError(
                    f"{where}: unknown key {key!r}.{suggest(str(key), allowed)} Allowed keys: "
                    f"{', '.join(allowed)}"
                )
        missing = [k for k in _REQUIRED_KEYS.get(measure, ()) if k not in spec]
        if missing:
            raise ConfigError(f"{where}: missing key(s) {', '.join(missing)}")
        if measure in _DECAY_MEASURES and measure != "3sfca":
            if "decay" not in spec and "limit_min" not in spec:
                raise ConfigError(
                    f"{where}: needs 'decay' (e.g. {{kind = 'step', limit_min = 30}}) or "
                    "'limit_min'"
                )
        parsed.append((measure, spec, where))
    return parsed


def _spec_reach(measure: str, spec: Mapping[str, Any], where: str) -> float | None:
    """Largest travel time (min) a parsed spec weighs above 0; None when it has no bound."""
    if spec.get("cost", DEFAULT_COST) != DEFAULT_COST:
        return None  # read in another unit: routing is bounded in minutes only
    if measure in ("cumulative", "coverage", "kd2sfca"):
        key = "bandwidth_min" if measure == "kd2sfca" else "limit_min"
        if spec.get(key) is None:
            return None
        return _decay._positive(key, spec[key], kind=measure, allow_zero=measure != "kd2sfca")
    if measure == "intervals":
        try:
            return float(np.max(np.asarray(spec["breaks_min"], dtype=np.float64)))
        except (TypeError, ValueError):
            raise ConfigError(
                f"{where}: breaks_min must be a list of numbers, got {spec['breaks_min']!r}"
            ) from None
    if measure in ("nearest", "mean_nearest"):
        return None
    f = _spec_decay(spec, where)
    if f is None:
        if measure == "e2sfca":
            f = _decay.zones(
                spec.get("breaks_min", E2SFCA_BREAKS_MIN), spec.get("weights", E2SFCA_WEIGHTS)
            )
        else:  # 3sfca's default zones
            f = _decay.zones(THREE_SFCA_BREAKS_MIN, THREE_SFCA_WEIGHTS)
    reaches = [f.limit_min]
    if measure == "3sfca" and "selection_decay" in spec:
        sel = _spec_decay(spec, where, key="selection_decay")
        reaches.append(None if sel is None else sel.limit_min)
    if any(r is None for r in reaches):
        return None
    return max(float(r) for r in reaches)  # type: ignore[arg-type]


def measure_reaches(specs: Sequence[Mapping[str, Any]]) -> list[tuple[str, float | None]]:
    """How far in travel time each measure spec looks: what its cost table must reach.

    Parameters
    ----------
    specs
        Measure specs as for :func:`measure_table`.

    Returns
    -------
    list of (str, float or None)
        Per spec, a label (``"measure spec #1 (2sfca)"``) and the largest travel time in minutes
        that the measure weighs above 0 (a step or zone decay's limit, a kernel's bandwidth, the
        last interval break). ``None`` when the measure has no such bound: decays that never reach
        0 (exponential, Gaussian, power, logistic without ``limit_min``), ``nearest``,
        ``mean_nearest``, ``coverage`` without ``limit_min``, and specs whose ``cost`` is not
        ``travel_time_min``. Those are computed on whatever the table reaches (see the
        ``unbounded_limit_min`` option of :func:`measure_table`).

    Raises
    ------
    ConfigError
        As :func:`measure_table` for a malformed spec or decay.

    Examples
    --------
    >>> measure_reaches([{"measure": "2sfca", "limit_min": 30},
    ...                  {"measure": "gravity", "decay": {"kind": "exponential",
    ...                                                   "half_life_min": 20}}])
    [('measure spec #1 (2sfca)', 30.0), ('measure spec #2 (gravity)', None)]
    """
    return [(where, _spec_reach(m, spec, where)) for m, spec, where in _parse_specs(specs)]


def measure_table(
    costs: pd.DataFrame,
    demand: pd.Series,
    supply: pd.Series,
    *,
    specs: Sequence[Mapping[str, Any]],
    prefix: str = "",
    unknown_ids: UnknownIds = "raise",
    unbounded_limit_min: float | None = None,
) -> pd.DataFrame:
    """Run several measures, given as plain dicts, into one table indexed like ``demand``.

    Each spec names a ``measure`` and its parameters; decays are given as dicts for
    :func:`accessibility.decay.decay_from_spec`. Examples::

        {"measure": "2sfca", "decay": {"kind": "step", "limit_min": 30}}   # -> {prefix}_2sfca_30min
        {"measure": "2sfca", "limit_min": 30}                              # same
        {"measure": "gravity", "decay": {"kind": "exponential", "half_life_min": 20}}
                                                              # -> {prefix}_gravity_exp_hl20min
        {"measure": "cumulative", "limit_min": 30, "weight": "supply"}  # -> {prefix}_supply_30min
        {"measure": "nearest"}                                          # -> {prefix}_nearest_min

    Every spec may also give ``name`` (the column name, used as is) and ``cost`` (the cost
    column, default ``travel_time_min``). The measures, their keys and their column names are
    listed in ``docs/measures.md``. The cost table is validated and encoded once per cost
    column.

    Parameters
    ----------
    costs, demand, supply
        As for every measure.
    specs
        List of measure specs.
    prefix
        Prepended to every generated column name with an underscore (e.g. the service type,
        ``"clinic"``); ``""`` for none.
    unknown_ids
        As for every measure.
    unbounded_limit_min
        Travel time (minutes) at which measures without a bound of their own are cut: decays
        that never reach 0 (exponential, Gaussian, power, logistic without ``limit_min``),
        ``nearest``, ``mean_nearest``, ``coverage`` without ``limit_min`` and specs with another
        ``cost`` column see only the pairs with ``travel_time_min <= unbounded_limit_min``.
        ``None`` (default): the whole table. Measures with a bound (:func:`measure_reaches`)
        always see the whole table; a table that records a shorter cut-off
        (``costs.attrs["max_time_min"]``) is refused.

    Returns
    -------
    DataFrame
        Indexed like ``demand``; one column per spec (``intervals`` gives one per band).
        ``attrs["measure_cutoff_min"]`` gives, per column, the travel time up to which pairs
        were counted (the measure's own bound, or the cut-off of an unbounded measure; ``inf``
        when neither the measure nor the table has one).

    Raises
    ------
    ConfigError
        A spec is not a dict, names an unknown measure or key (with a "Did you mean" hint),
        misses a required key, or two specs produce the same column name.

    Examples
    --------
    >>> table = measure_table(costs, villages["population"], clinics["doctors"], prefix="clinic",
    ...                       specs=[{"measure": "nearest"},
    ...                              {"measure": "2sfca", "limit_min": 30}])
    >>> table.columns.tolist()
    ['clinic_nearest_min', 'clinic_2sfca_30min']
    >>> table.loc[two].round(4)
                clinic_nearest_min  clinic_2sfca_30min
    village_id
    V001                    5.2051              0.0012
    V216                   34.0581              0.0000
    """
    parsed = _parse_specs(specs)

    need_demand = any(
        m not in ("cumulative", "intervals", "nearest", "mean_nearest", "gravity")
        for m, _, _ in parsed
    )
    need_supply = any(
        m not in ("nearest", "mean_nearest", "cumulative", "intervals")
        or spec.get("weight", "count") == "supply"
        for m, spec, _ in parsed
    )
    cut = None
    if unbounded_limit_min is not None:
        cut = _decay._positive("unbounded_limit_min", unbounded_limit_min, kind="measure_table")
    prepared: dict[tuple[str, bool], _Pairs] = {}
    columns: dict[str, pd.Series] = {}
    cutoffs: dict[str, float] = {}
    for measure, spec, where in parsed:
        cost = spec.get("cost", DEFAULT_COST)
        reach = _spec_reach(measure, spec, where)
        truncate = reach is None and cut is not None
        if (cost, False) not in prepared:
            prepared[cost, False] = _prepare(
                costs,
                demand,
                supply,
                cost=cost,
                unknown_ids=unknown_ids,
                use_demand=need_demand,
                use_supply=need_supply,
            )
        p = prepared[cost, False]
        if truncate and (cost, True) not in prepared:
            if cost == DEFAULT_COST:
                reach_cut = cut if p.max_cost is None else min(cut, p.max_cost)
                prepared[cost, True] = replace(p.keep(p.c <= cut), max_cost=reach_cut)
            else:  # keep the pairs within the cut-off in travel time, then read the other cost
                inside = (
                    costs[costs[DEFAULT_COST] <= cut] if DEFAULT_COST in costs.columns else costs
                )
                prepared[cost, True] = _prepare(
                    inside,
                    demand,
                    supply,
                    cost=cost,
                    unknown_ids=unknown_ids,
                    use_demand=need_demand,
                    use_supply=need_supply,
                )
        if truncate:
            p = prepared[cost, True]
        cutoff = reach if reach is not None else p.max_cost if cost == DEFAULT_COST else cut
        unit = _unit(cost)
        out: dict[str, pd.Series] = {}
        if measure == "cumulative":
            weight = spec.get("weight", "count")
            s = cumulative(p, demand, supply, limit_min=spec["limit_min"], weight=weight)
            out[
                _column_name(
                    prefix, f"{weight}_{_decay._tag_number(float(spec['limit_min']))}{unit}"
                )
            ] = s
        elif measure == "intervals":
            weight = spec.get("weight", "count")
            df = cumulative_intervals(
                p, demand, supply, breaks_min=spec["breaks_min"], weight=weight
            )
            for col in df.columns:
                out[_column_name(prefix, f"{weight}_{col.removesuffix('min')}{unit}")] = df[col]
        elif measure == "nearest":
            out[_column_name(prefix, f"nearest_{unit}")] = nearest_cost(p, demand, supply)
        elif measure == "mean_nearest":
            n = spec["n"]
            out[_column_name(prefix, f"mean{n}_nearest_{unit}")] = mean_nearest_cost(
                p, demand, supply, n=n
            )
        elif measure == "e2sfca":
            f = _spec_decay(spec, where)
            if f is None:
                f = _decay.zones(
                    spec.get("breaks_min", E2SFCA_BREAKS_MIN), spec.get("weights", E2SFCA_WEIGHTS)
                )
            elif "breaks_min" in spec or "weights" in spec:
                raise ConfigError(f"{where}: give 'breaks_min'/'weights' or 'decay', not both")
            tag = _zone_tag(f, unit)
            out[_column_name(prefix, f"e2sfca_{tag}")] = two_sfca(p, demand, supply, decay=f)
        elif measure == "kd2sfca":
            kernel = spec.get("kernel", "gaussian")
            s = kd2sfca(p, demand, supply, bandwidth_min=spec["bandwidth_min"], kernel=kernel)
            tag = f"{_decay._tag_number(float(spec['bandwidth_min']))}{unit}"
            tag += "" if kernel == "gaussian" else f"_{kernel}"
            out[_column_name(prefix, f"kd2sfca_{tag}")] = s
        elif measure == "coverage":
            from .coverage import capacity_coverage

            lim = spec.get("limit_min")
            res = capacity_coverage(
                p,
                demand,
                supply,
                limit_min=lim,
                order=spec.get("order", "capacity"),
                ascending=spec.get("ascending"),
                split=spec.get("split", True),
            )
            tag = "" if lim is None else f"_{_decay._tag_number(float(lim))}{unit}"
            out[_column_name(prefix, f"coverage{tag}")] = res.villages["covered_share"]
        else:
            f = _spec_decay(spec, where)
            tag = (
                _zone_tag(f, unit)
                if f is not None
                else _zone_tag(_decay.zones(THREE_SFCA_BREAKS_MIN, THREE_SFCA_WEIGHTS), unit)
            )
            if measure == "gravity":
                s = gravity(p, demand, supply, decay=f)
            elif measure == "2sfca":
                s = two_sfca(p, demand, supply, decay=f)
            elif measure == "m2sfca":
                s = m2sfca(p, demand, supply, decay=f)
            elif measure == "3sfca":
                sel = _spec_decay(spec, where, key="selection_decay")
                s = three_sfca(p, demand, supply, decay=f, selection_decay=sel)
            elif measure == "bfca":
                s = bfca(p, demand, supply, decay=f)
            else:  # spatial_availability
                per_capita = bool(spec.get("per_capita", True))
                s = spatial_availability(
                    p, demand, supply, decay=f, alpha=spec.get("alpha", 1.0), per_capita=per_capita
                )
                measure = "sa" if per_capita else "sa_total"
            out[_column_name(prefix, f"{measure}_{tag}")] = s
        if "name" in spec:
            if len(out) != 1:
                raise ConfigError(
                    f"{where}: 'name' cannot be used with a measure giving {len(out)} columns"
                )
            out = {str(spec["name"]): next(iter(out.values()))}
        for col, values in out.items():
            if col in columns:
                raise ConfigError(
                    f"{where}: column {col!r} is produced twice; give one of the specs a "
                    "'name' (e.g. name = 'clinic_2sfca_custom')"
                )
            columns[col] = values.rename(col)
            cutoffs[col] = float("inf") if cutoff is None else float(cutoff)
            if truncate:
                log.info(
                    "%s: %s has no bound of its own; computed over the pairs within %g min",
                    col,
                    where,
                    cut,
                )
    first = next(iter(prepared.values()), None)
    index = (
        first.origins
        if first is not None
        else _layer(
            demand, "demand", "village", use_values=False, example="villages['population']"
        )[0]
    )
    table = pd.DataFrame(columns, index=index)
    table.attrs["measure_cutoff_min"] = cutoffs
    return table


def _zone_tag(f: Decay, unit: str) -> str:
    """Column tag of a decay; zone decays are named by their reach (e.g. ``30min``)."""
    if f.kind == "zones" and f.limit_min is not None:
        return f"{_decay._tag_number(f.limit_min)}{unit}"
    tag = f.tag
    return tag if unit == "min" else tag.replace("min", unit)
