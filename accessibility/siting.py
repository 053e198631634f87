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

import logging
import math
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
import pandas as pd

from .errors import (
    DuplicateIdError,
    EmptyLayerError,
    GeometryError,
    InfeasibleError,
    InvalidValueError,
    MissingColumnError,
    ResultWarning,
    suggest,
    warn,
)

if TYPE_CHECKING:  # pragma: no cover
    import geopandas as gpd

__all__ = [
    "InfeasibleError",
    "SitingResult",
    "equity_covering",
    "grid_candidates",
    "maximal_covering",
    "p_center",
    "p_median",
    "set_covering",
]

logger = logging.getLogger(__name__)

Method = Literal["exact", "greedy"]
Assignment = Literal["single", "split"]

_COST_COLUMNS = ("origin", "destination", "travel_time_min")
_TOL = 1e-6


# --------------------------------------------------------------------------------------------
# result
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SitingResult:
    """The answer of a siting model, as data.

    Attributes
    ----------
    problem
        ``"maximal_covering"``, ``"p_median"``, ``"set_covering"``, ``"p_center"`` or
        ``"equity_covering"``.
    selected
        Ids of every open site: the fixed ones first, then the new ones.
    new_sites
        Ids of the sites opened by the model (``selected`` minus ``fixed``).
    fixed
        Ids of the fixed (existing) sites.
    assignment
        One row per village, indexed exactly like the demand, with columns

        - ``site``: the site serving the village (missing, NaN/None, when none does);
        - ``travel_time_min``: time to that site (``inf`` when none);
        - ``covered``: bool, served within the standard (for the p-median and p-center,
          which have no standard: served at all);
        - ``served_share``: 0..1, share of the village's demand allocated (1 or 0 except for
          split capacitated assignment);
        - ``nearest_site``, ``nearest_time_min``: the nearest open site, whatever capacities;
        - ``demand``: the village's demand.
    objective
        Objective value of the solution in the model's own unit (see each function).
    bound
        Best proven bound on the optimum (a lower bound when minimising, an upper bound when
        maximising), from the MILP branch-and-bound or from the LP relaxation for heuristics.
    gap
        Relative optimality gap ``|objective - bound| / max(|objective|, 1e-9)``, >= 0; 0 means
        proven optimal. ``nan`` when no bound was computed.
    status
        ``"optimal"``, ``"time_limit"`` (best solution found when the time ran out) or
        ``"heuristic"``.
    method
        ``"milp-highs"``, ``"greedy"`` or ``"greedy+interchange"``.
    time_s
        Wall time of the solve in seconds.
    allocation
        Long table of the demand allocation: columns ``origin``, ``destination``, ``share``
        (of the village's demand), ``demand`` and ``travel_time_min``.
    params
        The parameters of the run (p, standard, assignment mode, ...).
    """

    problem: str
    selected: list
    new_sites: list
    fixed: list
    assignment: pd.DataFrame
    objective: float
    bound: float
    gap: float
    status: str
    method: str
    time_s: float
    allocation: pd.DataFrame
    params: dict = field(default_factory=dict)

    def summary(self) -> pd.Series:
        """Key figures of the solution as a named Series (for tables of several runs)."""
        a = self.assignment
        pop = float((a["demand"] * a["served_share"] * a["covered"]).sum())
        finite = a["travel_time_min"][np.isfinite(a["travel_time_min"])]
        return pd.Series(
            {
                "problem": self.problem,
                "n_selected": len(self.selected),
                "n_new": len(self.new_sites),
                "objective": self.objective,
                "bound": self.bound,
                "gap": self.gap,
                "status": self.status,
                "method": self.method,
                "time_s": self.time_s,
                "villages_covered": int(a["covered"].sum()),
                "population_covered": pop,
                "max_time_min": float(finite.max()) if len(finite) else float("nan"),
            },
            name=self.problem,
        )


# --------------------------------------------------------------------------------------------
# input preparation
# --------------------------------------------------------------------------------------------


@dataclass
class _Instance:
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


def _prepare(
    costs: pd.DataFrame,
    demand: pd.Series,
    *,
    candidates: Any = None,
    fixed: Any = None,
    capacities: pd.Series | None = None,
) -> _Instance:
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
    return _Instance(
        villages=demand.index,
        sites=sites,
        w=w,
        pi=pi[order].astype(np.int64),
        pj=pj[order].astype(np.int64),
        t=t[order],
        fixed=np.asarray(is_fixed, bool),
        cap=cap,
    )


def _check_p(inst: _Instance, p: int) -> int:
    if isinstance(p, bool) or not isinstance(p, int | np.integer) or p < 0:
        raise InvalidValueError(f"p (number of new sites) must be an integer >= 0, got {p!r}.")
    free = int((~inst.fixed).sum())
    if p > free:
        raise InfeasibleError(
            f"p={p} new sites were asked for but there are only {free} candidate sites that are "
            "not fixed; lower p or add candidates."
        )
    return int(p)


def _check_standard(standard_min: float) -> float:
    s = float(standard_min)
    if not math.isfinite(s) or s < 0:
        raise InvalidValueError(f"standard_min must be a finite number >= 0, got {standard_min!r}.")
    return s


def _check_common(method: str, assignment: str, time_limit_s: float) -> None:
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


def _unreachable(inst: _Instance, pair_mask: np.ndarray) -> np.ndarray:
    """Bool per village: no usable pair at all."""
    has = np.zeros(inst.n, bool)
    has[inst.pi[pair_mask]] = True
    return ~has


def _raise_unreachable(inst: _Instance, bad: np.ndarray, why: str) -> None:
    ids = inst.villages[bad].tolist()
    shown = ", ".join(map(str, ids[:20])) + (" ..." if len(ids) > 20 else "")
    raise InfeasibleError(
        f"{len(ids)} village(s) cannot be served by any candidate site {why}: {shown}. Add "
        "candidate sites near them, raise the standard / the cost table's time limit, or drop "
        "them from the demand.",
        villages=ids,
    )


# --------------------------------------------------------------------------------------------
# MILP building and solving (scipy.optimize.milp = HiGHS)
# --------------------------------------------------------------------------------------------


class _Model:
    """Sparse MILP in the form min c x, lo <= A x <= hi, lb <= x <= ub."""

    def __init__(self) -> None:
        self.nvar = 0
        self.c: list[np.ndarray] = []
        self.lb: list[np.ndarray] = []
        self.ub: list[np.ndarray] = []
        self.integer: list[np.ndarray] = []
        self.nrow = 0
        self.rows: list[np.ndarray] = []
        self.cols: list[np.ndarray] = []
        self.vals: list[np.ndarray] = []
        self.lo: list[np.ndarray] = []
        self.hi: list[np.ndarray] = []
        self.offset = 0.0

    def var(self, k: int, *, c: Any = 0.0, lb: Any = 0.0, ub: Any = 1.0, integer: bool) -> int:
        start = self.nvar
        self.c.append(np.broadcast_to(np.asarray(c, float), (k,)).copy())
        self.lb.append(np.broadcast_to(np.asarray(lb, float), (k,)).copy())
        self.ub.append(np.broadcast_to(np.asarray(ub, float), (k,)).copy())
        self.integer.append(np.full(k, 1 if integer else 0, np.uint8))
        self.nvar += k
        return start

    def rows_(self, r: np.ndarray, cols: np.ndarray, vals: Any, lo: Any, hi: Any, nr: int) -> None:
        self.rows.append(np.asarray(r, np.int64) + self.nrow)
        self.cols.append(np.asarray(cols, np.int64))
        self.vals.append(np.broadcast_to(np.asarray(vals, float), (len(cols),)).copy())
        self.lo.append(np.broadcast_to(np.asarray(lo, float), (nr,)).copy())
        self.hi.append(np.broadcast_to(np.asarray(hi, float), (nr,)).copy())
        self.nrow += nr

    def solve(self, *, relax: bool, time_limit_s: float, mip_rel_gap: float) -> Any:
        from scipy import sparse
        from scipy.optimize import Bounds, LinearConstraint, milp

        c = np.concatenate(self.c)
        integ = np.zeros(self.nvar, np.uint8) if relax else np.concatenate(self.integer)
        cons = []
        if self.nrow:
            a = sparse.csr_array(
                (np.concatenate(self.vals), (np.concatenate(self.rows), np.concatenate(self.cols))),
                shape=(self.nrow, self.nvar),
            )
            cons.append(LinearConstraint(a, np.concatenate(self.lo), np.concatenate(self.hi)))
        options = {"time_limit": float(time_limit_s), "disp": False}
        if not relax:
            options["mip_rel_gap"] = float(mip_rel_gap)
        logger.debug(
            "HiGHS %s: %d variables, %d constraints",
            "LP" if relax else "MILP",
            self.nvar,
            self.nrow,
        )
        return milp(
            c,
            constraints=cons,
            integrality=integ,
            bounds=Bounds(np.concatenate(self.lb), np.concatenate(self.ub)),
            options=options,
        )


@dataclass
class _Built:
    model: _Model
    y0: int  # start of site variables
    x0: int | None = None  # start of pair variables (capacitated / assignment models)
    xmask: np.ndarray | None = None  # which pairs have x variables
    sign: float = 1.0  # +1 minimise, -1 the model minimises the negative of the objective


def _site_vars(model: _Model, inst: _Instance, open_mask: np.ndarray | None, cost: Any) -> int:
    lb = inst.fixed.astype(float)
    ub = np.ones(inst.m)
    if open_mask is not None:
        lb = ub = open_mask.astype(float)
    return model.var(inst.m, c=cost, lb=lb, ub=ub, integer=True)


def _count_new(model: _Model, inst: _Instance, y0: int, p: int) -> None:
    free = np.flatnonzero(~inst.fixed)
    model.rows_(np.zeros(len(free)), y0 + free, 1.0, p, p, 1)


def _assignment_block(
    model: _Model,
    inst: _Instance,
    y0: int,
    xmask: np.ndarray,
    *,
    cost: np.ndarray,
    integer: bool,
    demand_lo: float,
    demand_hi: float,
    link: bool = True,
) -> int:
    """Pair variables x_k in [0, 1]: sum_k x_ik in [lo, hi]; x_ij <= y_j; capacity rows."""
    k_idx = np.flatnonzero(xmask)
    nk = len(k_idx)
    x0 = model.var(nk, c=cost, lb=0.0, ub=1.0, integer=integer)
    xi, xj = inst.pi[k_idx], inst.pj[k_idx]
    model.rows_(xi, x0 + np.arange(nk), 1.0, demand_lo, demand_hi, inst.n)
    if link:
        r = np.arange(nk)
        model.rows_(
            np.concatenate([r, r]),
            np.concatenate([x0 + r, y0 + xj]),
            np.concatenate([np.ones(nk), -np.ones(nk)]),
            -np.inf,
            0.0,
            nk,
        )
    if inst.cap is not None:
        model.rows_(
            np.concatenate([xj, np.arange(inst.m)]),
            np.concatenate([x0 + np.arange(nk), y0 + np.arange(inst.m)]),
            np.concatenate([inst.w[xi], -inst.cap]),
            -np.inf,
            0.0,
            inst.m,
        )
    return x0


def _build(
    problem: str,
    inst: _Instance,
    prm: dict,
    open_mask: np.ndarray | None = None,
) -> _Built:
    model = _Model()
    capacitated = inst.cap is not None
    integer_x = capacitated and prm.get("assignment", "single") == "single"
    if problem == "maximal_covering":
        within = inst.t <= prm["standard_min"]
        y0 = _site_vars(model, inst, open_mask, 0.0)
        if not capacitated:
            # cov_i <= sum_{j in N_i} y_j, maximise sum w_i cov_i
            reach = ~_unreachable(inst, within)
            c0 = model.var(inst.n, c=-inst.w, lb=0.0, ub=reach.astype(float), integer=False)
            k = np.flatnonzero(within)
            model.rows_(
                np.concatenate([np.arange(inst.n), inst.pi[k]]),
                np.concatenate([c0 + np.arange(inst.n), y0 + inst.pj[k]]),
                np.concatenate([np.ones(inst.n), -np.ones(len(k))]),
                -np.inf,
                0.0,
                inst.n,
            )
            built = _Built(model, y0, sign=-1.0)
        else:
            x0 = _assignment_block(
                model,
                inst,
                y0,
                within,
                cost=-inst.w[inst.pi[within]],
                integer=integer_x,
                demand_lo=0.0,
                demand_hi=1.0,
            )
            built = _Built(model, y0, x0, within, sign=-1.0)
        if open_mask is None:
            _count_new(model, inst, y0, prm["p"])
        return built
    if problem == "set_covering":
        within = inst.t <= prm["standard_min"]
        y0 = _site_vars(model, inst, open_mask, (~inst.fixed).astype(float))
        if not capacitated:
            k = np.flatnonzero(within)
            model.rows_(inst.pi[k], y0 + inst.pj[k], 1.0, 1.0, np.inf, inst.n)
            return _Built(model, y0)
        x0 = _assignment_block(
            model, inst, y0, within, cost=0.0, integer=integer_x, demand_lo=1.0, demand_hi=1.0
        )
        return _Built(model, y0, x0, within)
    if problem == "p_median":
        allp = np.ones(len(inst.t), bool)
        y0 = _site_vars(model, inst, open_mask, 0.0)
        pen = prm.get("penalty_min")
        x0 = _assignment_block(
            model,
            inst,
            y0,
            allp,
            cost=inst.w[inst.pi] * inst.t,
            integer=integer_x,
            demand_lo=0.0 if pen is not None else 1.0,
            demand_hi=1.0,
        )
        if pen is not None:
            # cost of the unserved share: penalty * w_i * (1 - sum_k x_ik)
            model.c[-1] = model.c[-1] - pen * inst.w[inst.pi]
            model.offset = pen * float(inst.w.sum())
        if open_mask is None:
            _count_new(model, inst, y0, prm["p"])
        return _Built(model, y0, x0, allp)
    if problem == "p_center":
        allp = np.ones(len(inst.t), bool)
        y0 = _site_vars(model, inst, open_mask, 0.0)
        x0 = _assignment_block(
            model, inst, y0, allp, cost=0.0, integer=integer_x, demand_lo=1.0, demand_hi=1.0
        )
        w0 = model.var(1, c=1.0, lb=0.0, ub=np.inf, integer=False)
        nk = len(inst.t)
        # W - sum_j t_ij x_ij >= 0 for every village
        model.rows_(
            np.concatenate([np.arange(inst.n), inst.pi]),
            np.concatenate([np.full(inst.n, w0), x0 + np.arange(nk)]),
            np.concatenate([np.ones(inst.n), -inst.t]),
            0.0,
            np.inf,
            inst.n,
        )
        if open_mask is None:
            _count_new(model, inst, y0, prm["p"])
        return _Built(model, y0, x0, allp)
    if problem == "equity_covering":
        within = inst.t <= prm["standard_min"]
        codes, wg = prm["_codes"], prm["_wg"]
        y0 = _site_vars(model, inst, open_mask, 0.0)
        reach = ~_unreachable(inst, within)
        tie = prm.get("_stage2_floor")
        total = max(float(inst.w.sum()), 1e-12)
        c_cov = -inst.w / total if tie is not None else 0.0
        c0 = model.var(inst.n, c=c_cov, lb=0.0, ub=reach.astype(float), integer=False)
        k = np.flatnonzero(within)
        model.rows_(
            np.concatenate([np.arange(inst.n), inst.pi[k]]),
            np.concatenate([c0 + np.arange(inst.n), y0 + inst.pj[k]]),
            np.concatenate([np.ones(inst.n), -np.ones(len(k))]),
            -np.inf,
            0.0,
            inst.n,
        )
        z0 = model.var(
            1,
            c=0.0 if tie is not None else -1.0,
            lb=tie if tie is not None else 0.0,
            ub=1.0,
            integer=False,
        )
        ok = wg[codes] > 0
        vi = np.flatnonzero(ok)
        groups_used = np.flatnonzero(wg > 0)
        gpos = np.full(len(wg), -1)
        gpos[groups_used] = np.arange(len(groups_used))
        # z - sum_{i in g} (w_i / W_g) cov_i <= 0
        model.rows_(
            np.concatenate([np.arange(len(groups_used)), gpos[codes[vi]]]),
            np.concatenate([np.full(len(groups_used), z0), c0 + vi]),
            np.concatenate([np.ones(len(groups_used)), -inst.w[vi] / wg[codes[vi]]]),
            -np.inf,
            0.0,
            len(groups_used),
        )
        if open_mask is None:
            _count_new(model, inst, y0, prm["p"])
        return _Built(model, y0, sign=-1.0)
    raise InvalidValueError(f"unknown problem {problem!r}")  # pragma: no cover


# --------------------------------------------------------------------------------------------
# evaluation of a set of open sites
# --------------------------------------------------------------------------------------------


def _nearest_open(inst: _Instance, open_mask: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Nearest open site position (-1 if none) and its time (inf if none) per village."""
    k = np.flatnonzero(open_mask[inst.pj])
    best_t = np.full(inst.n, np.inf)
    best_j = np.full(inst.n, -1, np.int64)
    if len(k):
        order = k[np.lexsort((inst.pj[k], inst.t[k], inst.pi[k]))]
        first = np.ones(len(order), bool)
        first[1:] = inst.pi[order][1:] != inst.pi[order][:-1]
        sel = order[first]
        best_t[inst.pi[sel]] = inst.t[sel]
        best_j[inst.pi[sel]] = inst.pj[sel]
    return best_j, best_t


def _objective(
    problem: str,
    inst: _Instance,
    prm: dict,
    a_site: np.ndarray,
    share: np.ndarray,
    a_time: np.ndarray,
    open_mask: np.ndarray,
    x_alloc: pd.DataFrame | None,
) -> float:
    w = inst.w
    if problem == "maximal_covering":
        if x_alloc is not None:
            return float((x_alloc["share"] * x_alloc["demand"]).sum())
        return float((w * (a_time <= prm["standard_min"])).sum())
    if problem == "set_covering":
        return float((open_mask & ~inst.fixed).sum())
    if problem == "p_median":
        pen = prm.get("penalty_min")
        if x_alloc is not None:
            served = float(
                (x_alloc["share"] * x_alloc["demand"] * x_alloc["travel_time_min"]).sum()
            )
            unserved = float((w * (1.0 - share)).sum())
            return served + (pen * unserved if pen is not None else 0.0)
        cost = np.where(np.isfinite(a_time), a_time, 0.0)
        if pen is not None:
            cost = np.where(a_site >= 0, cost, pen)
        return float((w * cost).sum())
    if problem == "p_center":
        if x_alloc is not None and len(x_alloc):
            return float(x_alloc.loc[x_alloc["share"] > _TOL, "travel_time_min"].max())
        return float(np.max(a_time)) if len(a_time) else 0.0
    if problem == "equity_covering":
        cov = w * (a_time <= prm["standard_min"])
        codes, wg = prm["_codes"], prm["_wg"]
        got = np.bincount(codes, weights=cov, minlength=len(wg))
        used = wg > 0
        return float(np.min(got[used] / wg[used])) if used.any() else 1.0
    raise InvalidValueError(problem)  # pragma: no cover


def _finish(
    problem: str,
    inst: _Instance,
    prm: dict,
    open_mask: np.ndarray,
    x: np.ndarray | None,
    built: _Built | None,
    *,
    bound: float,
    status: str,
    method: str,
    t0: float,
) -> SitingResult:
    near_j, near_t = _nearest_open(inst, open_mask)
    standard = prm.get("standard_min")
    pen = prm.get("penalty_min")
    x_alloc = None
    if x is not None and built is not None and built.x0 is not None:
        k_idx = np.flatnonzero(built.xmask)
        xv = x[built.x0 : built.x0 + len(k_idx)]
        nz = xv > _TOL
        k_idx, xv = k_idx[nz], np.clip(xv[nz], 0.0, 1.0)
        x_alloc = alloc = pd.DataFrame(
            {
                "origin": inst.villages[inst.pi[k_idx]],
                "destination": inst.sites[inst.pj[k_idx]],
                "share": xv,
                "demand": inst.w[inst.pi[k_idx]],
                "travel_time_min": inst.t[k_idx],
            }
        )
        # main site = largest share (ties: nearest)
        pos_i = inst.pi[k_idx]
        order = np.lexsort((inst.t[k_idx], -xv, pos_i))
        first = np.ones(len(order), bool)
        first[1:] = pos_i[order][1:] != pos_i[order][:-1]
        sel = order[first]
        a_site = np.full(inst.n, -1, np.int64)
        a_time = np.full(inst.n, np.inf)
        a_site[pos_i[sel]] = inst.pj[k_idx[sel]]
        a_time[pos_i[sel]] = inst.t[k_idx[sel]]
        share = np.bincount(pos_i, weights=xv, minlength=inst.n).clip(0.0, 1.0)
        share = np.where(share > 1 - 1e-6, 1.0, share)
        covered = share > _TOL
        if standard is not None:
            covered &= a_time <= standard
    else:
        a_site, a_time = near_j.copy(), near_t.copy()
        if pen is not None:
            out = a_time > pen
            a_site[out], a_time[out] = -1, np.inf
        covered = a_site >= 0
        if standard is not None:
            covered &= a_time <= standard
        share = (a_site >= 0).astype(float)
        sel = np.flatnonzero(a_site >= 0)
        alloc = pd.DataFrame(
            {
                "origin": inst.villages[sel],
                "destination": inst.sites[a_site[sel]],
                "share": 1.0,
                "demand": inst.w[sel],
                "travel_time_min": a_time[sel],
            }
        )
    objective = _objective(problem, inst, prm, a_site, share, a_time, open_mask, x_alloc)
    site_labels = np.asarray(inst.sites, dtype=object)
    assignment = pd.DataFrame(
        {
            "site": pd.Series(
                np.where(a_site >= 0, site_labels[np.maximum(a_site, 0)], None), dtype=object
            ).to_numpy(),
            "travel_time_min": a_time,
            "covered": covered,
            "served_share": share,
            "nearest_site": pd.Series(
                np.where(near_j >= 0, site_labels[np.maximum(near_j, 0)], None), dtype=object
            ).to_numpy(),
            "nearest_time_min": near_t,
            "demand": inst.w,
        },
        index=inst.villages.copy(),
    )
    if math.isfinite(bound) and math.isfinite(objective):
        gap = abs(objective - bound) / max(abs(objective), 1e-9)
        if gap < 1e-9:
            gap = 0.0
    elif math.isfinite(objective) and bound == objective:
        gap = 0.0
    else:
        gap = float("nan")
    fixed_ids = inst.sites[inst.fixed].tolist()
    new_ids = inst.sites[open_mask & ~inst.fixed].tolist()
    params = {k: v for k, v in prm.items() if not k.startswith("_")}
    res = SitingResult(
        problem=problem,
        selected=fixed_ids + new_ids,
        new_sites=new_ids,
        fixed=fixed_ids,
        assignment=assignment,
        objective=objective,
        bound=float(bound),
        gap=float(gap),
        status=status,
        method=method,
        time_s=time.perf_counter() - t0,
        allocation=alloc.reset_index(drop=True),
        params=params,
    )
    logger.info(
        "%s: %d new site(s), objective %.6g, bound %.6g, gap %.3g%%, %s via %s in %.2f s",
        problem,
        len(new_ids),
        objective,
        bound,
        100 * gap if math.isfinite(gap) else float("nan"),
        status,
        method,
        res.time_s,
    )
    return res


# --------------------------------------------------------------------------------------------
# heuristics
# --------------------------------------------------------------------------------------------


def _site_slices(inst: _Instance) -> np.ndarray:
    return np.searchsorted(inst.pj, np.arange(inst.m + 1))


def _best_two(
    inst: _Instance, open_mask: np.ndarray, wd: np.ndarray, unserved: np.ndarray, usable: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Best and second-best weighted cost per village among open sites and 'unserved'."""
    k = np.flatnonzero(usable & open_mask[inst.pj])
    vi = np.concatenate([inst.pi[k], np.arange(inst.n)])
    val = np.concatenate([wd[k], unserved])
    site = np.concatenate([inst.pj[k], np.full(inst.n, -1)])
    order = np.lexsort((site, val, vi))
    vi, val, site = vi[order], val[order], site[order]
    start = np.flatnonzero(np.r_[True, vi[1:] != vi[:-1]])
    b1 = val[start]
    s1 = site[start]
    nxt = np.minimum(start + 1, len(vi) - 1)
    has2 = (start + 1 < len(vi)) & (vi[nxt] == vi[start])
    b2 = np.where(has2, val[nxt], np.inf)
    return b1, s1, b2


def _greedy_sum(
    inst: _Instance,
    p: int,
    d: np.ndarray,
    usable: np.ndarray,
    unserved_cost: np.ndarray,
    *,
    improve: bool,
    deadline: float,
    cap_gain: np.ndarray | None = None,
) -> np.ndarray:
    """Greedy adding + Teitz-Bart interchange for sum-of-weighted-costs objectives.

    Minimises ``sum_i min(unserved_i, min_{j open} w_i d_ij)`` over usable pairs.
    """
    wd = inst.w[inst.pi] * d
    open_mask = inst.fixed.copy()
    cur = unserved_cost.copy()
    sl = _site_slices(inst)
    for j in np.flatnonzero(open_mask):
        ks = np.arange(sl[j], sl[j + 1])
        ks = ks[usable[ks]]
        np.minimum.at(cur, inst.pi[ks], wd[ks])
    for _ in range(p):
        save = np.where(usable, np.maximum(0.0, cur[inst.pi] - wd), 0.0)
        gain = np.bincount(inst.pj, weights=save, minlength=inst.m)
        if cap_gain is not None:
            gain = np.minimum(gain, cap_gain)
        gain[open_mask] = -np.inf
        j = int(np.argmax(gain))
        open_mask[j] = True
        ks = np.arange(sl[j], sl[j + 1])
        ks = ks[usable[ks]]
        np.minimum.at(cur, inst.pi[ks], wd[ks])
    if not improve or p == 0:
        return open_mask
    passes = 0
    while time.perf_counter() < deadline and passes < 1000:
        passes += 1
        b1, s1, b2 = _best_two(inst, open_mask, wd, unserved_cost, usable)
        total = b1.sum()
        best = (total * (1 - 1e-12) - 1e-9, -1, -1)
        for r in np.flatnonzero(open_mask & ~inst.fixed):
            base = np.where(s1 == r, b2, b1)
            save = np.where(usable, np.maximum(0.0, base[inst.pi] - wd), 0.0)
            cand = base.sum() - np.bincount(inst.pj, weights=save, minlength=inst.m)
            cand[open_mask] = np.inf
            c = int(np.argmin(cand))
            if cand[c] < best[0]:
                best = (cand[c], r, c)
        if best[1] < 0:
            break
        open_mask[best[1]] = False
        open_mask[best[2]] = True
    logger.debug("interchange: %d pass(es)", passes)
    return open_mask


def _dense(inst: _Instance, big: float) -> np.ndarray:
    from .errors import MemoryEstimateError
    from .options import OPTIONS

    need = inst.n * inst.m * 8
    if need > OPTIONS["max_memory_bytes"]:
        raise MemoryEstimateError(
            f"the p-center heuristic needs a dense {inst.n} x {inst.m} matrix "
            f"(~{need / 1e9:.1f} GB), more than max_memory_bytes; use fewer candidates or "
            "raise the option with accessibility.set_options(max_memory_bytes=...)."
        )
    dm = np.full((inst.n, inst.m), big)
    dm[inst.pi, inst.pj] = inst.t
    return dm


def _greedy_center(inst: _Instance, p: int, *, improve: bool, deadline: float) -> np.ndarray:
    big = 1e9 * max(1.0, float(inst.t.max()) if len(inst.t) else 1.0)
    dm = _dense(inst, big)
    open_mask = inst.fixed.copy()
    cur = dm[:, open_mask].min(axis=1) if open_mask.any() else np.full(inst.n, big)
    chunk = max(1, int(4e6 // max(inst.n, 1)))

    def scores(base: np.ndarray, mask_out: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        mx = np.full(inst.m, np.inf)
        sm = np.full(inst.m, np.inf)
        for s in range(0, inst.m, chunk):
            blk = np.minimum(base[:, None], dm[:, s : s + chunk])
            mx[s : s + chunk] = blk.max(axis=0)
            sm[s : s + chunk] = blk.sum(axis=0)
        mx[mask_out] = np.inf
        sm[mask_out] = np.inf
        return mx, sm

    for _ in range(p):
        mx, sm = scores(cur, open_mask)
        j = int(np.lexsort((sm, mx))[0])
        open_mask[j] = True
        cur = np.minimum(cur, dm[:, j])
    if not improve or p == 0:
        return open_mask
    while time.perf_counter() < deadline:
        sub = dm[:, open_mask]
        pos = np.flatnonzero(open_mask)
        order = np.argsort(sub, axis=1)
        b1 = sub[np.arange(inst.n), order[:, 0]]
        s1 = pos[order[:, 0]]
        b2 = sub[np.arange(inst.n), order[:, 1]] if sub.shape[1] > 1 else np.full(inst.n, big)
        cur_key = (b1.max(), b1.sum())
        best = (cur_key[0], cur_key[1] * (1 - 1e-12) - 1e-9, -1, -1)
        for r in np.flatnonzero(open_mask & ~inst.fixed):
            base = np.where(s1 == r, b2, b1)
            mx, sm = scores(base, open_mask)
            c = int(np.lexsort((sm, mx))[0])
            if (mx[c], sm[c]) < best[:2]:
                best = (mx[c], sm[c], r, c)
        if best[2] < 0:
            break
        open_mask[best[2]] = False
        open_mask[best[3]] = True
    return open_mask


def _greedy_cover(inst: _Instance, within: np.ndarray) -> np.ndarray:
    open_mask = inst.fixed.copy()
    covered = np.zeros(inst.n, bool)
    covered[inst.pi[within & open_mask[inst.pj]]] = True
    while not covered.all():
        cnt = np.bincount(
            inst.pj, weights=(within & ~covered[inst.pi]).astype(float), minlength=inst.m
        )
        cnt[open_mask] = -1
        j = int(np.argmax(cnt))
        if cnt[j] <= 0:  # pragma: no cover - unreachable villages are rejected earlier
            break
        open_mask[j] = True
        covered[inst.pi[within & (inst.pj == j)]] = True
    # drop redundant new sites (last added first is not tracked; use largest index order)
    for j in np.flatnonzero(open_mask & ~inst.fixed)[::-1]:
        trial = open_mask.copy()
        trial[j] = False
        cov = np.zeros(inst.n, bool)
        cov[inst.pi[within & trial[inst.pj]]] = True
        if cov.all():
            open_mask = trial
    return open_mask


def _greedy_equity(
    inst: _Instance, p: int, within: np.ndarray, codes: np.ndarray, wg: np.ndarray
) -> np.ndarray:
    g = len(wg)
    open_mask = inst.fixed.copy()
    covered = np.zeros(inst.n, bool)
    covered[inst.pi[within & open_mask[inst.pj]]] = True
    used = wg > 0
    safe_wg = np.where(used, wg, 1.0)
    for _ in range(p):
        have = np.bincount(codes, weights=inst.w * covered, minlength=g)
        wgt = np.where(within & ~covered[inst.pi], inst.w[inst.pi], 0.0)
        gain = np.bincount(inst.pj * g + codes[inst.pi], weights=wgt, minlength=inst.m * g)
        gain = gain.reshape(inst.m, g)
        share = (have[None, :] + gain) / safe_wg[None, :]
        share[:, ~used] = np.inf
        worst = share.min(axis=1)
        total = gain.sum(axis=1)
        worst[open_mask] = -np.inf
        total[open_mask] = -np.inf
        j = int(np.lexsort((-total, -worst))[0])
        open_mask[j] = True
        covered[inst.pi[within & (inst.pj == j)]] = True
    return open_mask


# --------------------------------------------------------------------------------------------
# driver
# --------------------------------------------------------------------------------------------


def _decode_open(x: np.ndarray, built: _Built, inst: _Instance) -> np.ndarray:
    return x[built.y0 : built.y0 + inst.m] > 0.5


def _bound_from(res: Any, built: _Built) -> float:
    db = getattr(res, "mip_dual_bound", None)
    if db is None or not np.isfinite(db):
        db = res.fun if res.status == 0 and res.fun is not None else float("nan")
    return built.sign * (float(db) + built.model.offset)


def _lp_bound(problem: str, inst: _Instance, prm: dict, time_limit_s: float) -> float:
    built = _build(problem, inst, prm)
    res = built.model.solve(relax=True, time_limit_s=time_limit_s, mip_rel_gap=0.0)
    if res.status != 0 or res.fun is None:
        return float("nan")
    b = built.sign * (float(res.fun) + built.model.offset)
    if problem == "set_covering":
        b = math.ceil(b - 1e-7)
    if problem == "p_center":  # no village can be served faster than its nearest candidate
        _, t_all = _nearest_open(inst, np.ones(inst.m, bool))
        b = max(b, float(t_all.max()))
    return b


def _assign_fixed(
    problem: str, inst: _Instance, prm: dict, open_mask: np.ndarray, time_limit_s: float
) -> tuple[np.ndarray, _Built]:
    built = _build(problem, inst, prm, open_mask=open_mask)
    res = built.model.solve(relax=False, time_limit_s=time_limit_s, mip_rel_gap=1e-6)
    if res.x is None:
        raise InfeasibleError(
            f"the {problem} heuristic chose sites whose capacities cannot take the demand "
            f"({res.message}); use method='exact'."
        )
    return res.x, built


def _heuristic(
    problem: str, inst: _Instance, prm: dict, *, improve: bool, deadline: float
) -> np.ndarray:
    p = prm.get("p", 0)
    if problem == "maximal_covering":
        within = inst.t <= prm["standard_min"]
        cap_gain = inst.cap if inst.cap is not None else None
        return _greedy_sum(
            inst,
            p,
            np.zeros(len(inst.t)),
            within,
            inst.w.copy(),
            improve=improve,
            deadline=deadline,
            cap_gain=cap_gain,
        )
    if problem == "p_median":
        pen = prm.get("penalty_min")
        big = pen if pen is not None else 1e6 * max(1.0, float(inst.t.max()) if len(inst.t) else 1)
        usable = np.ones(len(inst.t), bool)
        if pen is not None:
            usable = inst.t <= pen
        return _greedy_sum(
            inst, p, inst.t, usable, inst.w * big, improve=improve, deadline=deadline
        )
    if problem == "p_center":
        return _greedy_center(inst, p, improve=improve, deadline=deadline)
    if problem == "set_covering":
        return _greedy_cover(inst, inst.t <= prm["standard_min"])
    if problem == "equity_covering":
        return _greedy_equity(inst, p, inst.t <= prm["standard_min"], prm["_codes"], prm["_wg"])
    raise InvalidValueError(problem)  # pragma: no cover


def _cover_within(
    inst: _Instance, radius: float, p: int, deadline: float
) -> np.ndarray | str | None:
    """Open mask using at most ``p`` new sites covering every village within ``radius``.

    Returns None when proven impossible, ``"unknown"`` when the time ran out.
    """
    within = inst.t <= radius
    if _unreachable(inst, within).any():
        return None
    built = _build("set_covering", inst, {"standard_min": radius})
    built.model.rows_(
        np.zeros(int((~inst.fixed).sum())),
        built.y0 + np.flatnonzero(~inst.fixed),
        1.0,
        -np.inf,
        float(p),
        1,
    )
    left = deadline - time.perf_counter()
    if left <= 0:
        return "unknown"
    res = built.model.solve(relax=False, time_limit_s=left, mip_rel_gap=0.0)
    if res.status == 2:
        return None
    if res.x is None:
        return "unknown"
    return _decode_open(res.x, built, inst)


def _fill_to_p(inst: _Instance, open_mask: np.ndarray, p: int) -> np.ndarray:
    """Add sites (largest cut in weighted travel time) until exactly ``p`` new sites are open."""
    open_mask = open_mask.copy()
    _, cur = _nearest_open(inst, open_mask)
    cur = np.where(np.isfinite(cur), cur, 1e12)
    sl = _site_slices(inst)
    while int((open_mask & ~inst.fixed).sum()) < p:
        save = inst.w[inst.pi] * np.maximum(0.0, cur[inst.pi] - inst.t) + 1e-12
        gain = np.bincount(inst.pj, weights=save, minlength=inst.m)
        gain[open_mask] = -np.inf
        j = int(np.argmax(gain))
        open_mask[j] = True
        ks = np.arange(sl[j], sl[j + 1])
        np.minimum.at(cur, inst.pi[ks], inst.t[ks])
    return open_mask


def _pcenter_search(
    inst: _Instance, p: int, *, improve: bool, deadline: float
) -> tuple[np.ndarray, float, str]:
    """Exact uncapacitated p-center by bisection over the distinct travel times.

    Each step solves a set-covering MILP "can at most p new sites cover every village within
    r?" (Minieka 1970; Daskin 2013, ch. 5). Returns (open mask, lower bound, status).
    """
    _, t_near = _nearest_open(inst, np.ones(inst.m, bool))
    lower = float(t_near.max())
    # a quick upper bound; the interchange would cost more than the bisection it saves
    best = _greedy_center(inst, p, improve=False, deadline=deadline)
    _, t_best = _nearest_open(inst, best)
    upper = float(t_best.max())
    levels = np.unique(inst.t)
    if not math.isfinite(upper):  # the greedy left villages unserved: is any answer feasible?
        got = _cover_within(inst, float(levels[-1]), p, deadline)
        if got is None:
            raise InfeasibleError(_infeasible_message("p_center", {}, "no cover with p sites"))
        if isinstance(got, str):
            raise InfeasibleError("p_center: no feasible answer found in time; raise time_limit_s.")
        best = got
        upper = float(levels[-1])
    levels = levels[(levels >= lower) & (levels <= upper)]
    lo, hi = 0, len(levels) - 1  # levels[hi] feasible (greedy); levels below lo are infeasible
    status = "optimal"
    while lo < hi:
        mid = (lo + hi) // 2
        got = _cover_within(inst, float(levels[mid]), p, deadline)
        if isinstance(got, str):
            status = "time_limit"
            break
        if got is None:
            lo = mid + 1
        else:
            best = got
            hi = mid
    bound = float(levels[lo]) if len(levels) else upper
    return _fill_to_p(inst, best, p), bound, status


def _solve(
    problem: str,
    inst: _Instance,
    prm: dict,
    *,
    method: str,
    improve: bool,
    time_limit_s: float,
    mip_rel_gap: float,
    lp_bound: bool,
) -> SitingResult:
    t0 = time.perf_counter()
    capacitated = inst.cap is not None
    if method == "greedy":
        if capacitated and problem in ("set_covering", "p_center"):
            raise InvalidValueError(
                f"the greedy heuristic does not handle capacities for {problem}; use "
                "method='exact' (with time_limit_s) instead."
            )
        open_mask = _heuristic(problem, inst, prm, improve=improve, deadline=t0 + time_limit_s)
        x = built = None
        if capacitated:
            x, built = _assign_fixed(problem, inst, prm, open_mask, time_limit_s)
        # the LP relaxation of a large p-median / p-center can take far longer than the
        # heuristic itself: give it what is left of the time limit, at most 30 s (gap = nan
        # when it does not finish)
        remaining = min(30.0, max(1.0, time_limit_s - (time.perf_counter() - t0)))
        bound = _lp_bound(problem, inst, prm, remaining) if lp_bound else float("nan")
        name = (
            "greedy+interchange"
            if improve and problem in ("maximal_covering", "p_median", "p_center")
            else "greedy"
        )
        res = _finish(
            problem,
            inst,
            prm,
            open_mask,
            x,
            built,
            bound=bound,
            status="heuristic",
            method=name,
            t0=t0,
        )
        _check_served(problem, res, inst, prm)
        return res

    if problem == "p_center" and not capacitated:
        open_mask, bound, status = _pcenter_search(
            inst, prm["p"], improve=improve, deadline=t0 + time_limit_s
        )
        return _finish(
            problem,
            inst,
            prm,
            open_mask,
            None,
            None,
            bound=bound,
            status=status,
            method="milp-highs (radius bisection)",
            t0=t0,
        )
    built = _build(problem, inst, prm)
    sol = built.model.solve(relax=False, time_limit_s=time_limit_s, mip_rel_gap=mip_rel_gap)
    if sol.status == 2 or (sol.x is None and sol.status != 1):
        raise InfeasibleError(_infeasible_message(problem, prm, sol.message))
    bound = _bound_from(sol, built)
    if sol.status == 0:
        status = "optimal"
    else:
        status = "time_limit"
        warn(
            ResultWarning,
            logger,
            "%s: time limit of %g s reached; keeping the best solution found",
            problem,
            time_limit_s,
        )
    if sol.x is None:
        if capacitated and problem in ("set_covering", "p_center"):
            raise InfeasibleError(
                f"{problem}: no feasible solution found within {time_limit_s} s; "
                "raise time_limit_s."
            )
        logger.warning("%s: no MILP solution within the time limit; using the heuristic", problem)
        res = _heuristic_result(problem, inst, prm, improve, time_limit_s, t0, bound=bound)
        return _replace(res, status="time_limit")
    open_mask = _decode_open(sol.x, built, inst)
    if problem == "equity_covering" and prm.get("tie_break", True):
        # stage 2: keep the best worst-group share, maximise total coverage among those answers
        z_star = _objective(problem, inst, prm, *_unc(inst, open_mask), open_mask, None)
        prm2 = dict(prm, _stage2_floor=max(0.0, z_star - 1e-9))
        b2 = _build(problem, inst, prm2)
        left = max(1.0, time_limit_s - (time.perf_counter() - t0))
        sol2 = b2.model.solve(relax=False, time_limit_s=left, mip_rel_gap=mip_rel_gap)
        if sol2.x is not None:
            open_mask = _decode_open(sol2.x, b2, inst)
            if sol2.status != 0:
                status = "time_limit"
    x = sol.x if capacitated else None
    res = _finish(
        problem,
        inst,
        prm,
        open_mask,
        x,
        built if capacitated else None,
        bound=bound,
        status=status,
        method="milp-highs",
        t0=t0,
    )
    if status == "time_limit" and not capacitated and problem != "set_covering":
        # the incumbent may be poor when time runs out: keep the heuristic answer if better
        alt = _heuristic_result(problem, inst, prm, improve, time_limit_s, t0, bound=bound)
        better = (
            alt.objective > res.objective
            if _sense(problem) < 0
            else (alt.objective < res.objective)
        )
        if better:
            res = _replace(alt, status="time_limit")
    return res


def _sense(problem: str) -> float:
    """-1 for maximisation problems, +1 for minimisation."""
    return -1.0 if problem in ("maximal_covering", "equity_covering") else 1.0


def _replace(res: SitingResult, **changes: Any) -> SitingResult:
    import dataclasses

    return dataclasses.replace(res, **changes)


def _heuristic_result(
    problem: str,
    inst: _Instance,
    prm: dict,
    improve: bool,
    time_limit_s: float,
    t0: float,
    *,
    bound: float,
) -> SitingResult:
    """Heuristic answer after a MILP timeout; the bound is the MILP's (or the LP's if none)."""
    open_mask = _heuristic(
        problem, inst, prm, improve=improve, deadline=time.perf_counter() + max(1.0, time_limit_s)
    )
    x = b2 = None
    if inst.cap is not None:
        x, b2 = _assign_fixed(problem, inst, prm, open_mask, time_limit_s)
    if not math.isfinite(bound):
        bound = _lp_bound(problem, inst, prm, max(1.0, time_limit_s))
    res = _finish(
        problem,
        inst,
        prm,
        open_mask,
        x,
        b2,
        bound=bound,
        status="time_limit",
        method="greedy+interchange" if improve else "greedy",
        t0=t0,
    )
    _check_served(problem, res, inst, prm)
    return res


def _unc(inst: _Instance, open_mask: np.ndarray) -> tuple:
    j, t = _nearest_open(inst, open_mask)
    return j, (j >= 0).astype(float), t


def _check_served(problem: str, res: SitingResult, inst: _Instance, prm: dict) -> None:
    """Heuristic answers to hard-coverage problems must serve everyone."""
    must = problem in ("set_covering", "p_center") or (
        problem == "p_median" and prm.get("penalty_min") is None
    )
    if must and not bool((res.assignment["served_share"] >= 1 - 1e-6).all()):
        bad = res.assignment.index[res.assignment["served_share"] < 1 - 1e-6]
        raise InfeasibleError(
            f"{problem}: the heuristic could not serve {len(bad)} village(s) "
            f"(e.g. {bad.tolist()[:10]}) with p={prm.get('p')} new sites within the cost "
            "table; raise p, use method='exact' to prove (in)feasibility, or give penalty_min.",
            villages=bad.tolist(),
        )


def _infeasible_message(problem: str, prm: dict, message: str) -> str:
    hints = {
        "p_median": "no choice of p sites reaches every village within the cost table's limit "
        "(and capacities, if given); raise p, add candidates, or pass penalty_min",
        "p_center": "no choice of p sites reaches every village within the cost table's limit "
        "(and capacities, if given); raise p or add candidates",
        "set_covering": "the capacities of all candidates within the standard cannot take "
        "the demand",
        "maximal_covering": "check p and the fixed sites",
        "equity_covering": "check p and the fixed sites",
    }
    return f"{problem} is infeasible: {hints.get(problem, '')} (HiGHS: {message})."


def _common_prm(p: int | None, assignment: str, inst: _Instance, **more: Any) -> dict:
    prm: dict[str, Any] = {"assignment": assignment if inst.cap is not None else None}
    if p is not None:
        prm["p"] = p
    prm.update(more)
    return prm


# --------------------------------------------------------------------------------------------
# public models
# --------------------------------------------------------------------------------------------


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
    _check_common(method, assignment, time_limit_s)
    inst = _prepare(costs, demand, candidates=candidates, fixed=fixed, capacities=capacities)
    prm = _common_prm(
        _check_p(inst, p), assignment, inst, standard_min=_check_standard(standard_min)
    )
    return _solve(
        "maximal_covering",
        inst,
        prm,
        method=method,
        improve=improve,
        time_limit_s=time_limit_s,
        mip_rel_gap=mip_rel_gap,
        lp_bound=lp_bound,
    )


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
    costs, demand, candidates, fixed, capacities, assignment, method, improve, time_limit_s,
    mip_rel_gap, lp_bound
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
    _check_common(method, assignment, time_limit_s)
    inst = _prepare(costs, demand, candidates=candidates, fixed=fixed, capacities=capacities)
    p = _check_p(inst, p)
    if penalty_min is not None:
        penalty_min = _check_standard(penalty_min)
    else:
        bad = _unreachable(inst, np.ones(len(inst.t), bool))
        if bad.any():
            _raise_unreachable(inst, bad, "(no pair in the cost table)")
    prm = _common_prm(p, assignment, inst, penalty_min=penalty_min)
    return _solve(
        "p_median",
        inst,
        prm,
        method=method,
        improve=improve,
        time_limit_s=time_limit_s,
        mip_rel_gap=mip_rel_gap,
        lp_bound=lp_bound,
    )


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
    costs, demand, standard_min, candidates, fixed, capacities, method, time_limit_s,
    mip_rel_gap, lp_bound
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
    _check_common(method, assignment, time_limit_s)
    inst = _prepare(costs, demand, candidates=candidates, fixed=fixed, capacities=capacities)
    s = _check_standard(standard_min)
    bad = _unreachable(inst, inst.t <= s)
    if bad.any():
        _raise_unreachable(inst, bad, f"within {s:g} min")
    prm = _common_prm(None, assignment, inst, standard_min=s)
    return _solve(
        "set_covering",
        inst,
        prm,
        method=method,
        improve=False,
        time_limit_s=time_limit_s,
        mip_rel_gap=mip_rel_gap,
        lp_bound=lp_bound,
    )


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
    costs, demand, p, candidates, fixed, capacities, assignment, method, improve, time_limit_s,
    mip_rel_gap, lp_bound
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
    _check_common(method, assignment, time_limit_s)
    inst = _prepare(costs, demand, candidates=candidates, fixed=fixed, capacities=capacities)
    p = _check_p(inst, p)
    bad = _unreachable(inst, np.ones(len(inst.t), bool))
    if bad.any():
        _raise_unreachable(inst, bad, "(no pair in the cost table)")
    prm = _common_prm(p, assignment, inst)
    return _solve(
        "p_center",
        inst,
        prm,
        method=method,
        improve=improve,
        time_limit_s=time_limit_s,
        mip_rel_gap=mip_rel_gap,
        lp_bound=lp_bound,
    )


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
    _check_common(method, "single", time_limit_s)
    inst = _prepare(costs, demand, candidates=candidates, fixed=fixed)
    p = _check_p(inst, p)
    s = _check_standard(standard_min)
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
    prm = _common_prm(
        p,
        "single",
        inst,
        standard_min=s,
        tie_break=tie_break,
        _codes=codes.astype(np.int64),
        _wg=wg,
    )
    res = _solve(
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


# --------------------------------------------------------------------------------------------
# candidate sites
# --------------------------------------------------------------------------------------------


def _metric_crs(geom: gpd.GeoSeries) -> Any:
    """The metric CRS to lay a grid out in: the layer's own when projected in metres, else the
    local UTM zone. :func:`accessibility.network.metric_crs` reads a projected CRS in feet as if in
    degrees, so such a layer is handed to it in longitude/latitude."""
    from .network import metric_crs

    own = geom.crs
    in_metres = own.is_projected and all(a.unit_conversion_factor == 1.0 for a in own.axis_info)
    return metric_crs(geom if in_metres or own.is_geographic else geom.to_crs("EPSG:4326"))


def grid_candidates(
    area: Any,
    spacing_m: float,
    crs: Any = None,
) -> gpd.GeoDataFrame:
    """Candidate sites on a regular square grid over a study area.

    Points are placed at the centres of ``spacing_m`` x ``spacing_m`` cells covering the area's
    bounds and kept where they fall inside the area (for polygons) or the bounds (for a bounds
    tuple). The grid is laid out in metres: in the area's CRS when it is projected in metres,
    otherwise (degrees, or feet) in the local UTM zone
    (:func:`accessibility.network.metric_crs`); the points are returned in the area's CRS (or
    ``crs`` for bounds).

    Parameters
    ----------
    area
        A GeoDataFrame / GeoSeries of polygons (e.g. townships or the county outline), or a
        bounds tuple ``(minx, miny, maxx, maxy)`` in ``crs``.
    spacing_m
        Distance between neighbouring candidate points, in metres.
    crs
        CRS of a bounds tuple (required for bounds; ignored for layers, which carry their CRS).

    Returns
    -------
    geopandas.GeoDataFrame
        Points indexed by ``candidate_id`` (``"g000000"``, ...), columns ``row``, ``col``,
        ``geometry``, in the area's CRS. Compute a cost table to them, then pass it (or the
        frame itself as ``candidates=``) to the siting models.

    Examples
    --------
    >>> g = grid_candidates((0, 0, 1000, 500), 250, crs="EPSG:32650")
    >>> len(g), g.index[0]
    (8, 'g000000')
    """
    import geopandas as gpd
    import shapely
    from pyproj import CRS

    from .errors import CRSError

    spacing = float(spacing_m)
    if not math.isfinite(spacing) or spacing <= 0:
        raise InvalidValueError(
            f"spacing_m must be a positive number of metres, got {spacing_m!r}."
        )
    if isinstance(area, gpd.GeoDataFrame | gpd.GeoSeries):
        if area.crs is None:
            raise CRSError("the area layer has no CRS; set one with .set_crs(...).")
        if len(area) == 0:
            raise EmptyLayerError("the area layer is empty.")
        out_crs = CRS.from_user_input(area.crs)
        geom = area.geometry if isinstance(area, gpd.GeoDataFrame) else area
        if not set(geom.geom_type.unique()) <= {"Polygon", "MultiPolygon"}:
            raise GeometryError(
                f"the area must be polygons, found {sorted(set(geom.geom_type.unique()))}; pass "
                "a bounds tuple for a rectangle."
            )
        shape = geom.union_all()
        work_crs = _metric_crs(geom)
        if work_crs != out_crs:
            shape = gpd.GeoSeries([shape], crs=out_crs).to_crs(work_crs).iloc[0]
    else:
        try:
            minx, miny, maxx, maxy = (float(v) for v in area)
        except (TypeError, ValueError) as err:
            raise InvalidValueError(
                "area must be a GeoDataFrame/GeoSeries of polygons or a (minx, miny, maxx, maxy) "
                f"tuple; got {type(area).__name__}."
            ) from err
        if crs is None:
            raise CRSError("a bounds tuple needs crs= (e.g. crs='EPSG:4547').")
        if not (maxx > minx and maxy > miny):
            raise InvalidValueError(
                f"bounds {area!r} are empty; expected minx < maxx, miny < maxy."
            )
        out_crs = CRS.from_user_input(crs)
        box = gpd.GeoSeries([shapely.box(minx, miny, maxx, maxy)], crs=out_crs)
        work_crs = _metric_crs(box)
        shape = box.to_crs(work_crs).iloc[0] if work_crs != out_crs else box.iloc[0]
    x0, y0, x1, y1 = shape.bounds
    nx = max(1, math.ceil((x1 - x0) / spacing))
    ny = max(1, math.ceil((y1 - y0) / spacing))
    if nx * ny > 5_000_000:
        raise InvalidValueError(
            f"a {spacing:g} m grid over this area has {nx * ny:,} cells; use a larger spacing."
        )
    cols, rows = np.meshgrid(np.arange(nx), np.arange(ny))
    xs = x0 + (cols.ravel() + 0.5) * spacing
    ys = y0 + (rows.ravel() + 0.5) * spacing
    pts = shapely.points(xs, ys)
    inside = shapely.covers(shape, pts)
    gdf = gpd.GeoDataFrame(
        {"row": rows.ravel()[inside], "col": cols.ravel()[inside]},
        geometry=pts[inside],
        crs=work_crs,
    )
    if work_crs != out_crs:
        gdf = gdf.to_crs(out_crs)
    gdf.index = pd.Index([f"g{i:06d}" for i in range(len(gdf))], name="candidate_id")
    if len(gdf) == 0:
        warn(
            ResultWarning,
            logger,
            "grid_candidates: no grid point falls inside the area; use a smaller spacing",
        )
    return gdf
