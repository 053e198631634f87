"""A siting problem read from a cost table: the villages, sites, pairs and checks of the options."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from ...errors import (
    DuplicateIdError,
    EmptyLayerError,
    GeometryError,
    InfeasibleError,
    InvalidValueError,
    MissingColumnError,
    suggest,
)

if TYPE_CHECKING:  # pragma: no cover
    pass


_COST_COLUMNS = ("origin", "destination", "travel_time_min")


@dataclass
class Instance:
    villages: pd.Index
    sites: pd.Index
    w: np.ndarray  # demand per village
    pi: np.ndarray  # village position of each pair
    pj: np.ndarray  # site position of each pair
    t: np.ndarray  # travel time of each pair (min)
    fixed: np.ndarray  # bool per site
    cap: np.ndarray | None  # capacity per site

    @property
    def n(self) -> int:
        return len(self.villages)

    @property
    def m(self) -> int:
        return len(self.sites)


def _as_index(obj: Any, what: str) -> pd.Index:
    if obj is None:
        return pd.Index([])
    if isinstance(obj, pd.DataFrame | pd.Series):
        if isinstance(obj, pd.DataFrame) and "geometry" in obj and len(obj):
            kinds = set(obj.geometry.geom_type.unique())
            if not kinds <= {"Point"}:
                raise GeometryError(
                    f"{what} must be points; found {sorted(kinds)}. Use "
                    "`.representative_point()` (or centroids) before siting."
                )
        idx = pd.Index(obj.index)
    elif isinstance(obj, str | bytes):
        idx = pd.Index([obj])
    else:
        idx = pd.Index(list(obj))
    if idx.has_duplicates:
        dup = idx[idx.duplicated()].unique().tolist()[:10]
        raise DuplicateIdError(f"{what} contains duplicate ids {dup}; ids must be unique.")
    return idx


def prepare(
    costs: pd.DataFrame,
    demand: pd.Series,
    *,
    candidates: Any = None,
    fixed: Any = None,
    capacities: pd.Series | None = None,
) -> Instance:
    problems: list[str] = []
    if not isinstance(costs, pd.DataFrame):
        raise InvalidValueError(
            f"costs must be a pandas DataFrame (a long cost table), got {type(costs).__name__}."
        )
    missing = [c for c in _COST_COLUMNS if c not in costs.columns]
    if missing:
        hint = suggest(missing[0], costs.columns)
        raise MissingColumnError(
            f"cost table lacks column(s) {missing}; it needs {list(_COST_COLUMNS)}.{hint}"
        )
    if not isinstance(demand, pd.Series):
        raise InvalidValueError(
            f"demand must be a pandas Series (village id -> population), got "
            f"{type(demand).__name__}; pass e.g. villages['population']."
        )
    if len(demand) == 0:
        raise EmptyLayerError("demand is empty: there are no villages to serve.")
    if demand.index.has_duplicates:
        dup = demand.index[demand.index.duplicated()].unique().tolist()[:10]
        raise DuplicateIdError(f"demand index has duplicate village ids {dup}.")
    w = pd.to_numeric(demand, errors="coerce").to_numpy(dtype=float)
    bad = ~np.isfinite(w) | (w < 0)
    if bad.any():
        problems.append(
            f"demand must be finite and >= 0; bad values at villages "
            f"{demand.index[bad].tolist()[:10]} ({int(bad.sum())} in all)"
        )

    if candidates is None:
        sites = pd.Index(pd.unique(costs["destination"]))
    else:
        sites = _as_index(candidates, "candidates")
    fixed_idx = _as_index(fixed, "fixed")
    extra = fixed_idx.difference(sites, sort=False)
    if len(extra):
        sites = sites.append(extra)
    if len(sites) == 0:
        raise EmptyLayerError("there are no candidate sites (the cost table has no destinations).")
    is_fixed = sites.isin(fixed_idx)

    cap = None
    if capacities is not None:
        if not isinstance(capacities, pd.Series):
            raise InvalidValueError("capacities must be a Series indexed by candidate site id.")
        absent = sites.difference(capacities.index, sort=False)
        if len(absent):
            problems.append(
                f"capacities lack {len(absent)} candidate site(s), e.g. {absent.tolist()[:10]}; "
                "give a capacity for every candidate and fixed site"
            )
        else:
            cap = pd.to_numeric(capacities.reindex(sites), errors="coerce").to_numpy(dtype=float)
            badc = ~np.isfinite(cap) | (cap < 0)
            if badc.any():
                problems.append(
                    f"capacities must be finite and >= 0; bad at sites {sites[badc].tolist()[:10]}"
                )

    pi = demand.index.get_indexer(costs["origin"])
    pj = sites.get_indexer(costs["destination"])
    keep = (pi >= 0) & (pj >= 0)
    t = pd.to_numeric(costs["travel_time_min"], errors="coerce").to_numpy(dtype=float)
    badt = keep & (~np.isfinite(t) | (t < 0))
    if badt.any():
        rows = costs.loc[badt, ["origin", "destination"]].head(5).to_dict("records")
        problems.append(
            f"travel_time_min must be finite and >= 0 ({int(badt.sum())} bad rows, e.g. {rows}); "
            "pairs beyond the limit must be absent from the table, not NaN/inf"
        )
    if problems:
        raise InvalidValueError("cannot site facilities:\n- " + "\n- ".join(problems))
    pi, pj, t = pi[keep], pj[keep], t[keep]
    key = pi.astype(np.int64) * len(sites) + pj
    if len(np.unique(key)) != len(key):
        _, first = np.unique(key, return_index=True)
        dup_mask = np.ones(len(key), bool)
        dup_mask[first] = False
        ex = [(demand.index[pi[k]], sites[pj[k]]) for k in np.flatnonzero(dup_mask)[:5]]
        raise DuplicateIdError(
            f"the cost table has {int(dup_mask.sum())} duplicated (origin, destination) pairs, "
            f"e.g. {ex}; keep one row per pair (e.g. costs.groupby(['origin', 'destination'])"
            "['travel_time_min'].min().reset_index())."
        )
    order = np.lexsort((pi, pj))  # pairs sorted by site, then village
    return Instance(
        villages=demand.index,
        sites=sites,
        w=w,
        pi=pi[order].astype(np.int64),
        pj=pj[order].astype(np.int64),
        t=t[order],
        fixed=np.asarray(is_fixed, bool),
        cap=cap,
    )


def check_p(inst: Instance, p: int) -> int:
    if isinstance(p, bool) or not isinstance(p, int | np.integer) or p < 0:
        raise InvalidValueError(f"p (number of new sites) must be an integer >= 0, got {p!r}.")
    free = int((~inst.fixed).sum())
    if p > free:
        raise InfeasibleError(
            f"p={p} new sites were asked for but there are only {free} candidate sites that are "
            "not fixed; lower p or add candidates."
        )
    return int(p)


def check_standard(standard_min: float) -> float:
    s = float(standard_min)
    if not math.isfinite(s) or s < 0:
        raise InvalidValueError(f"standard_min must be a finite number >= 0, got {standard_min!r}.")
    return s


def check_common(method: str, assignment: str, time_limit_s: float) -> None:
    if method not in ("exact", "greedy"):
        raise InvalidValueError(
            f"method must be 'exact' or 'greedy', got {method!r}."
            + suggest(method, ["exact", "greedy"])
        )
    if assignment not in ("single", "split"):
        raise InvalidValueError(
            f"assignment must be 'single' (all-or-nothing) or 'split', got {assignment!r}."
        )
    if not (time_limit_s > 0):
        raise InvalidValueError(f"time_limit_s must be > 0, got {time_limit_s!r}.")


def unreachable(inst: Instance, pair_mask: np.ndarray) -> np.ndarray:
    """Bool per village: no usable pair at all."""
    has = np.zeros(inst.n, bool)
    has[inst.pi[pair_mask]] = True
    return ~has


def raise_unreachable(inst: Instance, bad: np.ndarray, why: str) -> None:
    ids = inst.villages[bad].tolist()
    shown = ", ".join(map(str, ids[:20])) + (" ..." if len(ids) > 20 else "")
    raise InfeasibleError(
        f"{len(ids)} village(s) cannot be served by any candidate site {why}: {shown}. Add "
        "candidate sites near them, raise the standard / the cost table's time limit, or drop "
        "them from the demand.",
        villages=ids,
    )
