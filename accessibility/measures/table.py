"""Measure tables: many measures, given as plain dicts (the project file's specs), in one table."""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
import pandas as pd

from .._deprecate import warn_api_change
from ..errors import ConfigError, suggest
from . import decay as _decay
from ._numbers import positive, tag_number
from ._table import (
    DEFAULT_COST,
    IdsLike,
    Pairs,
    UnknownIds,
    check_layer,
    cost_unit,
    prepare,
    unit_cutoff,
)
from .coverage import capacity_coverage
from .cumulative import cumulative, cumulative_intervals, gravity
from .decay import Decay
from .fca import (
    E2SFCA_BREAKS_MIN,
    E2SFCA_WEIGHTS,
    THREE_SFCA_BREAKS_MIN,
    THREE_SFCA_WEIGHTS,
    bfca,
    kd2sfca,
    m2sfca,
    spatial_availability,
    three_sfca,
    two_sfca,
)
from .nearest import mean_nearest_cost, nearest_cost

__all__ = ["measure_reaches", "measure_table"]

log = logging.getLogger(__name__)

# =========================================================================== measure table

_DECAY_MEASURES = ("gravity", "2sfca", "m2sfca", "3sfca", "bfca", "spatial_availability")
_SPEC_KEYS: dict[str, tuple[str, ...]] = {
    "cumulative": ("catchment_min", "catchment_m", "weight"),
    "intervals": ("breaks_min", "weight"),
    "nearest": (),
    "mean_nearest": ("n",),
    "gravity": ("decay", "catchment_min", "catchment_m"),
    "2sfca": ("decay", "catchment_min", "catchment_m"),
    "e2sfca": ("breaks_min", "weights", "decay"),
    "m2sfca": ("decay", "catchment_min", "catchment_m"),
    "3sfca": ("decay", "catchment_min", "catchment_m", "selection_decay"),
    "kd2sfca": ("bandwidth_min", "kernel"),
    "bfca": ("decay", "catchment_min", "catchment_m"),
    "spatial_availability": ("decay", "catchment_min", "catchment_m", "alpha", "per_capita"),
    "coverage": ("catchment_min", "catchment_m", "order", "ascending", "split"),
    "huff": (),
}
_COMMON_KEYS = ("measure", "name", "cost")
#: the cut-off keys of a spec, by unit; a spec's ``limit_min`` is the old name of ``catchment_min``
_CUTOFF_KEYS = ("catchment_min", "catchment_m")
_REQUIRED_KEYS: dict[str, tuple[str, ...]] = {
    "intervals": ("breaks_min",),
    "mean_nearest": ("n",),
    "kd2sfca": ("bandwidth_min",),
}


def _spec_cutoff(spec: Mapping[str, Any]) -> tuple[str, Any] | None:
    """The cut-off key and value a spec gives (``catchment_min`` or ``catchment_m``), if any."""
    return next(((k, spec[k]) for k in _CUTOFF_KEYS if spec.get(k) is not None), None)


def _spec_decay(spec: Mapping[str, Any], where: str, *, key: str = "decay") -> Decay | None:
    cutoff = _spec_cutoff(spec)
    if key == "decay" and "decay" in spec and cutoff is not None:
        raise ConfigError(f"{where}: give 'decay' or '{cutoff[0]}' (a step decay), not both")
    if key in spec:
        value = spec[key]
        if isinstance(value, Decay):
            return value
        return _decay.decay_from_spec(value, where=f"{where} {key}")
    if key == "decay" and cutoff is not None:
        return _decay.step(cutoff[1])
    return None


def _renamed_keys(spec: Mapping[str, Any], where: str) -> Mapping[str, Any]:
    """``spec`` with the old key ``limit_min`` renamed ``catchment_min`` (with a warning)."""
    if "limit_min" not in spec:
        return spec
    if "catchment_min" in spec:
        raise ConfigError(f"{where}: give 'catchment_min' only ('limit_min' is its old name)")
    warn_api_change(
        f"{where}: the key 'limit_min' is now called 'catchment_min' (same meaning); "
        "'limit_min' will stop working in the next release",
        stacklevel=5,
    )
    return {("catchment_min" if k == "limit_min" else k): v for k, v in spec.items()}


def _column_name(prefix: str, body: str) -> str:
    return f"{prefix}_{body}" if prefix else body


def _parse_specs(specs: Sequence[Mapping[str, Any]]) -> list[tuple[str, Mapping[str, Any], str]]:
    """Check measure specs (type, measure name, keys) and return ``(measure, spec, where)``."""
    if isinstance(specs, Mapping) or not isinstance(specs, Sequence):
        raise ConfigError(
            "specs must be a list of dicts like [{'measure': '2sfca', 'catchment_min': 30}], got "
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
        spec = _renamed_keys(spec, where)
        allowed = _SPEC_KEYS[measure] + _COMMON_KEYS
        # the old name is still accepted, so it is still a fair suggestion
        known_keys = allowed + (("limit_min",) if "catchment_min" in allowed else ())
        for key in spec:
            if key not in allowed:
                raise ConfigError(
                    f"{where}: unknown key {key!r}.{suggest(str(key), known_keys)} Allowed keys: "
                    f"{', '.join(allowed)}"
                )
        missing = [k for k in _REQUIRED_KEYS.get(measure, ()) if k not in spec]
        if measure == "cumulative" and _spec_cutoff(spec) is None:
            missing.append("catchment_min (or catchment_m)")
        if missing:
            raise ConfigError(f"{where}: missing key(s) {', '.join(missing)}")
        if sum(k in spec for k in _CUTOFF_KEYS) > 1:
            raise ConfigError(f"{where}: give 'catchment_min' or 'catchment_m', not both")
        if measure in _DECAY_MEASURES and measure != "3sfca":
            if "decay" not in spec and _spec_cutoff(spec) is None:
                raise ConfigError(
                    f"{where}: needs 'decay' (e.g. {{kind = 'step', limit_min = 30}}) or "
                    "'catchment_min'"
                )
        parsed.append((measure, spec, where))
    return parsed


def _spec_reach(measure: str, spec: Mapping[str, Any], where: str) -> float | None:
    """Largest travel time (min) a parsed spec weighs above 0; None when it has no bound."""
    if spec.get("cost", DEFAULT_COST) != DEFAULT_COST:
        return None  # read in another unit: routing is bounded in minutes only
    if "catchment_m" in spec:
        return None  # a distance: no bound in travel time
    if measure in ("cumulative", "coverage", "kd2sfca"):
        key = "bandwidth_min" if measure == "kd2sfca" else "catchment_min"
        if spec.get(key) is None:
            return None
        return positive(key, spec[key], kind=measure, allow_zero=measure != "kd2sfca")
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
        ``mean_nearest``, ``coverage`` without ``catchment_min``, and specs whose ``cost`` is not
        ``travel_time_min``. Those are computed on whatever the table reaches (see the
        ``unbounded_limit_min`` option of :func:`measure_table`).

    Raises
    ------
    ConfigError
        As :func:`measure_table` for a malformed spec or decay.

    Examples
    --------
    >>> measure_reaches([{"measure": "2sfca", "catchment_min": 30},
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
        {"measure": "2sfca", "catchment_min": 30}                              # same
        {"measure": "gravity", "decay": {"kind": "exponential", "half_life_min": 20}}
                                                              # -> {prefix}_gravity_exp_hl20min
        {"measure": "cumulative", "catchment_min": 30, "weight": "supply"}  # -> {prefix}_supply_30min
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
        ``nearest``, ``mean_nearest``, ``coverage`` without ``catchment_min`` and specs with another
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
    ...                              {"measure": "2sfca", "catchment_min": 30}])
    >>> table.columns.tolist()
    ['clinic_nearest_min', 'clinic_2sfca_30min']
    >>> table.loc[two].round(4)
                clinic_nearest_min  clinic_2sfca_30min
    village_id
    V001                    5.2051              0.0012
    V216                   34.0581              0.0000
    """
    parsed = _parse_specs(specs)
    cut = None
    if unbounded_limit_min is not None:
        cut = positive("unbounded_limit_min", unbounded_limit_min, kind="measure_table")
    encoded = _Encoded(costs, demand, supply, unknown_ids, *_values_needed(parsed))
    columns: dict[str, pd.Series] = {}
    cutoffs: dict[str, float] = {}
    for measure, spec, where in parsed:
        cost = spec.get("cost", DEFAULT_COST)
        reach = _spec_reach(measure, spec, where)
        truncate = reach is None and cut is not None
        p = encoded.pairs(cost, cut if truncate else None)
        cutoff = reach if reach is not None else p.max_cost if cost == DEFAULT_COST else cut
        out = _spec_columns(measure, spec, where, p, demand, supply, prefix=prefix)
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
    table = pd.DataFrame(columns, index=encoded.index())
    table.attrs["measure_cutoff_min"] = cutoffs
    return table


def _values_needed(parsed: Sequence[tuple[str, Mapping[str, Any], str]]) -> tuple[bool, bool]:
    """Whether any parsed spec reads the demand values, and whether any reads the supply values."""
    need_demand = any(
        m not in ("cumulative", "intervals", "nearest", "mean_nearest", "gravity")
        for m, _, _ in parsed
    )
    need_supply = any(
        m not in ("nearest", "mean_nearest", "cumulative", "intervals")
        or spec.get("weight", "count") == "supply"
        for m, spec, _ in parsed
    )
    return need_demand, need_supply


@dataclass
class _Encoded:
    """The cost table checked and encoded once per cost column (and once more per cut-off)."""

    costs: pd.DataFrame
    demand: IdsLike
    supply: IdsLike
    unknown_ids: UnknownIds
    use_demand: bool
    use_supply: bool
    done: dict[tuple[str, bool], Pairs] = field(default_factory=dict)

    def _encode(self, table: pd.DataFrame, cost: str) -> Pairs:
        return prepare(
            table,
            self.demand,
            self.supply,
            cost=cost,
            unknown_ids=self.unknown_ids,
            use_demand=self.use_demand,
            use_supply=self.use_supply,
        )

    def pairs(self, cost: str, cut: float | None) -> Pairs:
        """The pairs of cost column ``cost``, only those within ``cut`` minutes when given."""
        if (cost, False) not in self.done:
            self.done[cost, False] = self._encode(self.costs, cost)
        p = self.done[cost, False]
        if cut is None:
            return p
        if (cost, True) not in self.done:
            if cost == DEFAULT_COST:
                reach_cut = cut if p.max_cost is None else min(cut, p.max_cost)
                self.done[cost, True] = replace(p.keep(p.c <= cut), max_cost=reach_cut)
            else:  # keep the pairs within the cut-off in travel time, then read the other cost
                costs = self.costs
                inside = (
                    costs[costs[DEFAULT_COST] <= cut] if DEFAULT_COST in costs.columns else costs
                )
                self.done[cost, True] = self._encode(inside, cost)
        return self.done[cost, True]

    def index(self) -> pd.Index:
        """The villages' index (checked even when no spec was given)."""
        first = next(iter(self.done.values()), None)
        if first is not None:
            return first.origins
        example = "villages['population']"
        return check_layer(self.demand, "demand", "village", use_values=False, example=example)[0]


def _spec_columns(
    measure: str,
    spec: Mapping[str, Any],
    where: str,
    p: Pairs,
    demand: IdsLike,
    supply: IdsLike,
    *,
    prefix: str,
) -> dict[str, pd.Series]:
    """The column(s) of one parsed spec, computed on the encoded pairs ``p``."""
    unit = cost_unit(p.cost)
    out: dict[str, pd.Series] = {}
    cutoffs = {k: spec.get(k) for k in _CUTOFF_KEYS}
    # refuse minutes on a column in metres (and the reverse) with the spec's own name
    spec_cut = unit_cutoff(where, p, **cutoffs)
    if measure == "cumulative":
        weight = spec.get("weight", "count")
        s = cumulative(
            p,
            demand,
            supply,
            catchment_min=cutoffs["catchment_min"],
            catchment_m=cutoffs["catchment_m"],
            weight=weight,
        )
        body = f"{weight}_{tag_number(spec_cut or 0.0)}{unit}"  # required: never None here
        out[_column_name(prefix, body)] = s
    elif measure == "intervals":
        weight = spec.get("weight", "count")
        df = cumulative_intervals(p, demand, supply, breaks_min=spec["breaks_min"], weight=weight)
        for col in df.columns:
            out[_column_name(prefix, f"{weight}_{col.removesuffix('min')}{unit}")] = df[col]
    elif measure == "nearest":
        out[_column_name(prefix, f"nearest_{unit}")] = nearest_cost(p, demand, supply)
    elif measure == "mean_nearest":
        n = spec["n"]
        s = mean_nearest_cost(p, demand, supply, n=n)
        out[_column_name(prefix, f"mean{n}_nearest_{unit}")] = s
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
        tag = f"{tag_number(float(spec['bandwidth_min']))}{unit}"
        tag += "" if kernel == "gaussian" else f"_{kernel}"
        out[_column_name(prefix, f"kd2sfca_{tag}")] = s
    elif measure == "coverage":
        lim = spec_cut
        res = capacity_coverage(
            p,
            demand,
            supply,
            catchment_min=cutoffs["catchment_min"],
            catchment_m=cutoffs["catchment_m"],
            order=spec.get("order", "capacity"),
            ascending=spec.get("ascending"),
            split=spec.get("split", True),
        )
        tag = "" if lim is None else f"_{tag_number(float(lim))}{unit}"
        out[_column_name(prefix, f"coverage{tag}")] = res.villages["covered_share"]
    else:
        name, s = _decay_measure(measure, spec, where, p, demand, supply)
        out[_column_name(prefix, name)] = s
    return out


def _decay_measure(
    measure: str, spec: Mapping[str, Any], where: str, p: Pairs, demand: IdsLike, supply: IdsLike
) -> tuple[str, pd.Series]:
    """Column name (without prefix) and values of a measure weighted by a decay of the spec."""
    f = _spec_decay(spec, where)
    unit = cost_unit(p.cost)
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
    return f"{measure}_{tag}", s


def _zone_tag(f: Decay, unit: str) -> str:
    """Column tag of a decay; zone decays are named by their reach (e.g. ``30min``)."""
    if f.kind == "zones" and f.limit_min is not None:
        return f"{tag_number(f.limit_min)}{unit}"
    tag = f.tag
    return tag if unit == "min" else tag.replace("min", unit)
