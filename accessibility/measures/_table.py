"""The cost table as the measures read it (internal): checks, integer codes, decays, weights.

Every measure of the package starts with :func:`prepare` (check every input at once, encode the
cost table as integer codes into the demand and supply indexes) and, when it weighs pairs,
:func:`resolve_decay` and :func:`pair_weights`. :func:`check_reach` refuses a measure that looks
beyond what the cost table records.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal, TypeAlias

import numpy as np
import pandas as pd

from .._arrays import pair_keys
from ..errors import (
    CostUnitError,
    DuplicateIdError,
    InvalidValueError,
    MissingColumnError,
    suggest,
)
from . import decay as _decay
from .decay import Decay

log = logging.getLogger(__name__)

DEFAULT_COST = "travel_time_min"

DecayLike = Decay | Mapping[str, Any] | Callable[[np.ndarray], Any]
UnknownIds = Literal["raise", "drop"]
#: Demand or supply as a measure takes it: a Series of values indexed by id, or, where the measure
#: needs only the ids, a DataFrame (its index) or an Index.
IdsLike: TypeAlias = pd.Series | pd.DataFrame | pd.Index


@dataclass(frozen=True)
class Pairs:
    """A validated cost table as integer codes into the demand and supply indexes."""

    #: position of the origin in demand.index: a signed integer type of at most 32 bits (see
    #: :func:`code_dtype`; ``int64`` only beyond its range), possibly a read-only view of the cost
    #: table's categorical codes (then ``int8``/``int16`` too): never modify it in place, and
    #: widen it before arithmetic that could overflow
    o: np.ndarray
    d: np.ndarray  # position of the destination in supply.index (like ``o``)
    c: np.ndarray  # float64 cost (may be a read-only view of the cost table's column)
    demand: np.ndarray | None  # float64 per origin (None when values are not used)
    supply: np.ndarray | None  # float64 per destination
    origins: pd.Index
    destinations: pd.Index
    cost: str
    #: the table holds every pair with ``cost <= max_cost`` (``costs.attrs["max_time_min"]``, set
    #: by :func:`accessibility.costs.travel_costs`); None when the table does not say
    max_cost: float | None = None
    #: the unit of the cost column (``"min"``, ``"s"``, ``"h"``, ``"m"``, ``"km"``), from its
    #: name or ``costs.attrs["units"]``; None when neither says (see :func:`column_unit`)
    unit: str | None = None
    #: the pairs strictly increase by ``(o, d)`` (as :func:`accessibility.travel_costs` returns
    #: them): each origin's pairs are one run of rows
    by_origin: bool = False

    @property
    def demand_values(self) -> np.ndarray:
        """``demand``, for the measures that prepared their table with demand values."""
        if self.demand is None:
            raise RuntimeError("internal: the table was prepared without demand values")
        return self.demand

    @property
    def supply_values(self) -> np.ndarray:
        """``supply``, for the measures that prepared their table with supply values."""
        if self.supply is None:
            raise RuntimeError("internal: the table was prepared without supply values")
        return self.supply

    #: the number of origins (villages) and of destinations (facilities)
    n_o = property(lambda self: len(self.origins))
    n_d = property(lambda self: len(self.destinations))

    def per_origin(self, values: np.ndarray) -> np.ndarray:
        """Sum ``values`` (one per pair) by origin, 0 for origins without pairs."""
        return np.bincount(self.o, weights=values, minlength=self.n_o)

    def per_destination(self, values: np.ndarray) -> np.ndarray:
        return np.bincount(self.d, weights=values, minlength=self.n_d)

    def series(self, values: np.ndarray, name: str) -> pd.Series:
        return pd.Series(values, index=self.origins, name=name)

    def keep(self, mask: np.ndarray) -> Pairs:
        return Pairs(
            self.o[mask],
            self.d[mask],
            self.c[mask],
            self.demand,
            self.supply,
            self.origins,
            self.destinations,
            self.cost,
            self.max_cost,
            self.unit,
            self.by_origin,  # (a subset of sorted rows, in order, is sorted)
        )


def few(labels: Sequence[Any] | np.ndarray | pd.Index, n: int = 5) -> str:
    labels = list(labels)
    shown = ", ".join(repr(x) for x in labels[:n])
    return shown + (f" and {len(labels) - n} more" if len(labels) > n else "")


def check_layer(
    obj: IdsLike, what: str, unit: str, *, use_values: bool, example: str
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
            f"{what} has {len(dup)} duplicated {unit} ids ({few(dup)}); ids must be unique: "
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
            f"{what} is missing for {int(missing.sum())} {unit}(s) ({few(index[missing])}); "
            f"fill the gaps (e.g. .fillna(0) if they truly have none) or drop those {unit}s"
        )
    bad = ~np.isfinite(values) | (values < 0)
    if bad.any():
        raise InvalidValueError(
            f"{what} must be finite and >= 0, but {int(bad.sum())} {unit}(s) have "
            f"{few(np.unique(values[bad]))} ({few(index[bad])}); fix the data"
        )
    return index, values


def code_dtype(n: int) -> type[np.signedinteger]:
    """The integer type of positions into an index of ``n`` labels: ``int32`` (half the memory
    of ``int64`` on tables of millions of pairs), ``int64`` beyond its range."""
    return np.int32 if n < np.iinfo(np.int32).max else np.int64


def _codes(column: pd.Series, index: pd.Index) -> np.ndarray:
    """Positions of ``column``'s labels in ``index`` (-1 when absent), as :func:`code_dtype`,
    fast for categoricals: no copy at all when category ``k`` is label ``k`` of ``index`` (as in
    a table from :func:`accessibility.travel_costs`), then a read-only view of the categorical's
    codes, in their own signed integer type (``int8``/``int16`` for few categories)."""
    dtype = code_dtype(len(index))
    if isinstance(column.dtype, pd.CategoricalDtype):
        cat = column.array
        codes = np.asarray(cat.codes)
        found = index.get_indexer(cat.categories)
        if (found == np.arange(found.size)).all():  # category k is label k of the index
            view = codes.view()  # (int8/int16 when there are few categories: left as they are)
            view.flags.writeable = False  # the user's table: never written to
            return view
        # one extra slot at the end answers code -1 (missing) with -1
        lookup = np.append(found, -1).astype(dtype)
        return lookup[codes]
    if column.dtype.kind in "iub":
        return index.get_indexer(column).astype(dtype)
    if isinstance(column.array, pd.arrays.ArrowStringArray):
        found_arrow = _arrow_codes(column, index)
        if found_arrow is not None:
            return found_arrow.astype(dtype, copy=False)
    # other text ids: hash each distinct id once (factorize runs in C), then look the few
    # distinct ones up in the index
    factor, uniques = pd.factorize(column, use_na_sentinel=True)
    lookup = np.append(index.get_indexer(uniques), -1).astype(dtype)
    return lookup[factor]


#: text id columns of at least this many rows are looked up by :mod:`._text_ids`
COMPILED_LOOKUP_MIN_ROWS = 100_000


def _arrow_codes(column: pd.Series, index: pd.Index) -> np.ndarray | None:
    """Arrow-backed text ids looked up in one pass over the Arrow buffers (ids of up to 24 bytes,
    :mod:`._text_ids`) or of Arrow's hash lookup (``index_in``), or None when the index's labels
    are not all text (then the general path decides)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    values = pa.array(column.array)
    try:
        labels = pa.array(
            index.array if isinstance(index.array, pd.arrays.ArrowStringArray) else index
        )
        if isinstance(labels, pa.ChunkedArray):
            labels = labels.combine_chunks()
        if not (pa.types.is_string(labels.type) or pa.types.is_large_string(labels.type)):
            return None
        # short ids (the usual case) of a large table: a compiled lookup over the Arrow buffers,
        # faster than index_in (below COMPILED_LOOKUP_MIN_ROWS rows index_in takes a few ms, less
        # than loading the compiled code in a process that has not used numba yet)
        whole = values
        if isinstance(values, pa.ChunkedArray):
            whole = values.chunk(0) if values.num_chunks == 1 else values.combine_chunks()
        if len(whole) >= COMPILED_LOOKUP_MIN_ROWS and (
            pa.types.is_string(whole.type) or pa.types.is_large_string(whole.type)
        ):
            from ._text_ids import text_positions

            found_short = text_positions(whole, labels)
            if found_short is not None:
                return found_short
        found = pc.index_in(values, value_set=labels.cast(values.type))
    except (pa.ArrowInvalid, pa.ArrowTypeError, pa.ArrowNotImplementedError, TypeError):
        return None
    return found.fill_null(-1).to_numpy(zero_copy_only=False)


def prepare(
    costs: pd.DataFrame,
    demand: IdsLike,
    supply: IdsLike,
    *,
    use_demand: bool = True,
    use_supply: bool = True,
    cost: str = DEFAULT_COST,
    unknown_ids: UnknownIds = "raise",
) -> Pairs:
    """Check every input at once and turn the cost table into integer codes.

    An already prepared :class:`Pairs` passes through (used by :func:`measure_table` to
    validate and encode a cost table once for many measures).
    """
    if isinstance(costs, Pairs):
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
    origins, dem = check_layer(
        demand, "demand", "village", use_values=use_demand, example="villages['population']"
    )
    destinations, sup = check_layer(
        supply, "supply", "facility", use_values=use_supply, example="facilities['capacity']"
    )
    if not pd.api.types.is_numeric_dtype(costs[cost].dtype):
        raise InvalidValueError(f"cost column {cost!r} must be numeric, got {costs[cost].dtype}")
    c = costs[cost].to_numpy(dtype=np.float64, na_value=np.nan)
    if c.size and not (c >= 0).all():  # NaN or negative: say which
        _refuse_costs(c, cost)
    o = _codes(costs["origin"], origins)
    d = _codes(costs["destination"], destinations)
    if (o.size and o.min() < 0) or (d.size and d.min() < 0):  # (one pass each when none is)
        bad_o, bad_d = o < 0, d < 0
        if unknown_ids == "raise":
            parts = []
            if bad_o.any():
                ids = pd.unique(costs["origin"].to_numpy()[bad_o])
                parts.append(f"{len(ids)} origin id(s) not in demand's index ({few(ids)})")
            if bad_d.any():
                ids = pd.unique(costs["destination"].to_numpy()[bad_d])
                parts.append(f"{len(ids)} destination id(s) not in supply's index ({few(ids)})")
            raise InvalidValueError(
                "the cost table has " + " and ".join(parts) + ". Pass the same layers the "
                "costs were computed for, filter the table first (e.g. "
                "costs[costs.destination.isin(supply.index)]), or pass unknown_ids='drop'"
            )
        keep = ~(bad_o | bad_d)
        log.info("dropping %d cost-table rows whose ids are not in the layers", (~keep).sum())
        o, d, c = o[keep], d[keep], c[keep]
    by_origin = bool(o.size) and _sorted_distinct(o, d)  # a table from travel_costs
    if o.size and not by_origin and _has_duplicate_pairs(o, d, len(origins), len(destinations)):
        dup = pd.Index(pair_keys(o, d, len(destinations))).duplicated()
        if dup.any():
            first = int(np.flatnonzero(dup)[0])
            raise DuplicateIdError(
                f"the cost table lists {int(dup.sum())} origin-destination pair(s) more than "
                f"once (e.g. {origins[o[first]]!r} -> {destinations[d[first]]!r}); keep one "
                "row per pair, e.g. costs.groupby(['origin', 'destination'], as_index=False)"
                f"[{cost!r}].min()"
            )
    reach = _table_reach(costs, cost, c)
    unit = column_unit(costs, cost)
    return Pairs(o, d, c, dem, sup, origins, destinations, cost, reach, unit, by_origin)


def _refuse_costs(c: np.ndarray, cost: str) -> None:
    """Raise for the missing or negative values of cost column ``cost`` (values ``c``)."""
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


def prepare_ids(
    costs: pd.DataFrame,
    demand: IdsLike,
    supply: IdsLike,
    cost: str,
    unknown_ids: UnknownIds,
    sums: bool,
) -> Pairs:
    """:func:`prepare` for a measure that reads no demand values (only demand's index), and
    supply values only when it ``sums`` them."""
    return prepare(
        costs,
        demand,
        supply,
        cost=cost,
        unknown_ids=unknown_ids,
        use_demand=False,
        use_supply=sums,
    )


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


def check_reach(p: Pairs, need: float | None, what: str) -> None:
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


#: rows per slice when checking the order of a table (bounds the temporary flags)
_ORDER_CHECK_ROWS = 1 << 20


def _sorted_distinct(o: np.ndarray, d: np.ndarray) -> bool:
    """True when the pairs strictly increase by ``(o, d)`` (sorted by origin, then destination,
    as :func:`accessibility.travel_costs` returns them): then no pair occurs twice."""
    for a in range(0, max(o.size - 1, 0), _ORDER_CHECK_ROWS):
        b = min(a + _ORDER_CHECK_ROWS, o.size - 1)
        o0, o1 = o[a:b], o[a + 1 : b + 1]
        if not ((o1 > o0) | ((o1 == o0) & (d[a + 1 : b + 1] > d[a:b]))).all():
            return False
    return True


def _has_duplicate_pairs(o: np.ndarray, d: np.ndarray, n_o: int, n_d: int) -> bool:
    """True when an (origin, destination) pair occurs twice; O(n), no hashing. (:func:`prepare`
    asks only for tables that :func:`_sorted_distinct` has not already cleared.)"""
    key = pair_keys(o, d, n_d)
    space = n_o * max(n_d, 1)
    if space <= 4 * key.size + 1_000_000:  # dense enough: mark in a table of flags
        # (one byte per possible pair: several times faster than counting with bincount)
        seen = np.zeros(space, np.bool_)
        seen[key] = True
        return int(np.count_nonzero(seen)) < key.size
    srt = np.sort(key)
    return bool((srt[1:] == srt[:-1]).any())


#: the units a cost column's name may end in, and what each measures
UNITS = {"min": "minutes", "s": "seconds", "h": "hours", "m": "metres", "km": "kilometres"}
#: Each unit as (what it measures, its size in minutes or metres): a cut-off is converted to the
#: cost column's unit within one kind (30 minutes on a column in seconds is 1,800).
_UNIT_SIZE = {"min": ("time", 1.0), "s": ("time", 1 / 60), "h": ("time", 60.0)} | {
    "m": ("distance", 1.0),
    "km": ("distance", 1000.0),
}


def column_unit(costs: pd.DataFrame, cost: str) -> str | None:
    """The unit of cost column ``cost``: its name's suffix (``travel_time_min`` -> ``"min"``,
    ``distance_m`` -> ``"m"``), else ``costs.attrs["units"][cost]``, else None (unknown)."""
    tail = cost.rsplit("_", 1)[-1] if "_" in cost else ""
    if tail in UNITS:
        return tail
    units = costs.attrs.get("units") if isinstance(costs.attrs, Mapping) else None
    unit = units.get(cost) if isinstance(units, Mapping) else None
    return unit if unit in UNITS else None


def unit_cutoff(fn: str, pairs: Pairs, **cutoffs: float | None) -> float | None:
    """The one cut-off given among ``cutoffs`` (keyword -> value, e.g. ``catchment_min=30,
    catchment_m=None``) in the unit of the cost column: converted when the column measures the
    same kind in another unit (``catchment_min=30`` on ``time_s`` is 1,800; ``catchment_m=2000``
    on ``distance_km`` is 2), as given when the column's unit is unknown; None when none is given.

    Raises :class:`~accessibility.errors.CostUnitError` for a cut-off in time on a column of
    distances (or the reverse), naming the column, its unit and the keyword to use.
    """
    given = {k: v for k, v in cutoffs.items() if v is not None}
    if len(given) > 1:
        raise InvalidValueError(f"{fn}(): give one of {'=, '.join(given)}=, not several")
    if not given:
        return None
    ((keyword, value),) = given.items()
    unit = keyword.rsplit("_", 1)[-1]
    if pairs.unit is None or pairs.unit == unit:
        return float(value)
    (kind, size), (col_kind, col_size) = _UNIT_SIZE[unit], _UNIT_SIZE[pairs.unit]
    if kind == col_kind:
        return float(value) * size / col_size
    fitting = [k for k in cutoffs if _UNIT_SIZE[k.rsplit("_", 1)[-1]][0] == col_kind]
    fix = (
        f"use {fitting[0]}= for a cut-off in {UNITS[fitting[0].rsplit('_', 1)[-1]]}"
        if fitting
        else f"convert the column to {UNITS[unit]} (a column named *_{unit}) or pass "
        f"cost= a column in {UNITS[unit]}"
    )
    raise CostUnitError(
        f"{fn}(): {keyword}={value!r} is in {UNITS[unit]}, but the cost column "
        f"{pairs.cost!r} is in {UNITS[pairs.unit]}; {fix}"
    )


def resolve_decay(
    decay: DecayLike | None,
    pairs: Pairs,
    *,
    fn: str,
    default: Decay | None = None,
    **cutoffs: float | None,
) -> Decay:
    """The decay a measure was given (``decay``, a step at the unit-checked cut-off of
    ``cutoffs``, or ``default``), refused when it looks beyond the cost table's reach."""
    f = _pick_decay(decay, unit_cutoff(fn, pairs, **cutoffs), pairs, fn, default, list(cutoffs))
    check_reach(pairs, f.limit_min, f"{fn}() with decay {f!r}")
    return f


def _pick_decay(
    decay: DecayLike | None,
    cutoff: float | None,
    pairs: Pairs,
    fn: str,
    default: Decay | None,
    keywords: list[str],
) -> Decay:
    """The decay a measure was given: ``decay``, a step at ``cutoff``, or the default."""
    named = "=, ".join(keywords) + "=" if keywords else ""
    if decay is not None and cutoff is not None:
        raise InvalidValueError(
            f"{fn}(): give decay= or {named} (shorthand for a step decay), not both"
        )
    if cutoff is not None:
        return _decay.step(cutoff)
    if decay is None:
        if default is not None:
            return default
        raise InvalidValueError(
            f"{fn}() needs a decay, e.g. decay=accessibility.decay.step(30)"
            + (f" or {keywords[0]}=30" if keywords else "")
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


#: the bits of the smallest normal float, less one, and the sign bit (see :func:`pair_weights`)
_TINY_BITS_LESS_1 = np.uint64(np.array(np.finfo(np.float64).tiny).view(np.uint64) - 1)
_SIGN_BIT = np.uint64(1 << 63)


def pair_weights(pairs: Pairs, f: Decay) -> np.ndarray:
    """The decay's weight of every pair, with weights below the smallest normal float set to 0.

    The array may be the decay's own result: callers must not modify it in place.
    """
    w = f(pairs.c)
    if w.shape != pairs.c.shape:
        raise InvalidValueError(f"decay {f!r} returned {w.shape} weights for {pairs.c.size} costs")
    # weights below the smallest normal float (e.g. gaussian(1) at 38 min, ~1e-314) are noise, and
    # dividing supply by them overflows the catchment ratios to inf/NaN: count them as 0
    w = np.ascontiguousarray(w, dtype=np.float64)
    if w.size and _no_tiny_weights(w):
        return w  # (the usual case, checked in two cheap passes over the bits)
    w = np.array(w, dtype=np.float64)
    w[np.abs(w) < np.finfo(np.float64).tiny] = 0.0
    return w


def _no_tiny_weights(w: np.ndarray) -> bool:
    """True when no weight is negative (sign bit set: -0.0, negative numbers or NaN) and none
    is positive and below the smallest normal float: then zeroing ``|w| < tiny`` changes
    nothing. On the bits, a positive subnormal is ``1 <= bits < tiny``'s bits, so
    ``bits - 1`` (wrapping +0.0 to the largest integer) is below ``tiny``'s bits less one."""
    u = w.view(np.uint64)
    if not u.max() < _SIGN_BIT:
        return False
    step = 1 << 15  # in slices: a small scratch array, reused, instead of a new one of n words
    return all(
        (u[i : i + step] - np.uint64(1)).min() >= _TINY_BITS_LESS_1 for i in range(0, u.size, step)
    )


def safe_ratio(num: np.ndarray, den: np.ndarray) -> np.ndarray:
    """num / den, 0 where den is 0 or subnormal (nothing to divide among; dividing by a
    subnormal overflows)."""
    out = np.zeros_like(num, dtype=np.float64)
    np.divide(num, den, out=out, where=den >= np.finfo(np.float64).tiny)
    return out


def cost_unit(cost: str) -> str:
    """The unit at the end of a cost column's name (``travel_time_min`` -> ``min``)."""
    tail = cost.rsplit("_", 1)[-1]
    return tail if tail in {"min", "m", "km", "s", "h"} and tail != cost else cost
