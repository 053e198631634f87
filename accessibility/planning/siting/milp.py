"""The siting models as sparse mixed-integer programmes (HiGHS through :func:`scipy.optimize.milp`)."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from ...errors import InvalidValueError

if TYPE_CHECKING:  # pragma: no cover
    pass

from .instance import Instance, unreachable

logger = logging.getLogger(__name__)


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
class Built:
    model: _Model
    y0: int  # start of site variables
    x0: int | None = None  # start of pair variables (capacitated / assignment models)
    xmask: np.ndarray | None = None  # which pairs have x variables
    sign: float = 1.0  # +1 minimise, -1 the model minimises the negative of the objective


def _site_vars(model: _Model, inst: Instance, open_mask: np.ndarray | None, cost: Any) -> int:
    lb = inst.fixed.astype(float)
    ub = np.ones(inst.m)
    if open_mask is not None:
        lb = ub = open_mask.astype(float)
    return model.var(inst.m, c=cost, lb=lb, ub=ub, integer=True)


def _count_new(model: _Model, inst: Instance, y0: int, p: int) -> None:
    free = np.flatnonzero(~inst.fixed)
    model.rows_(np.zeros(len(free)), y0 + free, 1.0, p, p, 1)


def _assignment_block(
    model: _Model,
    inst: Instance,
    y0: int,
    xmask: np.ndarray,
    *,
    cost: np.ndarray | float,
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


def build(
    problem: str,
    inst: Instance,
    prm: dict,
    open_mask: np.ndarray | None = None,
) -> Built:
    model = _Model()
    capacitated = inst.cap is not None
    integer_x = capacitated and prm.get("assignment", "single") == "single"
    if problem == "maximal_covering":
        within = inst.t <= prm["standard_min"]
        y0 = _site_vars(model, inst, open_mask, 0.0)
        if not capacitated:
            # cov_i <= sum_{j in N_i} y_j, maximise sum w_i cov_i
            reach = ~unreachable(inst, within)
            c0 = model.var(inst.n, c=-inst.w, lb=0.0, ub=reach.astype(float), integer=False)
            _cover_rows(model, inst, c0, y0, within)
            built = Built(model, y0, sign=-1.0)
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
            built = Built(model, y0, x0, within, sign=-1.0)
        if open_mask is None:
            _count_new(model, inst, y0, prm["p"])
        return built
    if problem == "set_covering":
        within = inst.t <= prm["standard_min"]
        y0 = _site_vars(model, inst, open_mask, (~inst.fixed).astype(float))
        if not capacitated:
            k = np.flatnonzero(within)
            model.rows_(inst.pi[k], y0 + inst.pj[k], 1.0, 1.0, np.inf, inst.n)
            return Built(model, y0)
        x0 = _assignment_block(
            model, inst, y0, within, cost=0.0, integer=integer_x, demand_lo=1.0, demand_hi=1.0
        )
        return Built(model, y0, x0, within)
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
        return Built(model, y0, x0, allp)
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
        return Built(model, y0, x0, allp)
    if problem == "equity_covering":
        within = inst.t <= prm["standard_min"]
        codes, wg = prm["_codes"], prm["_wg"]
        y0 = _site_vars(model, inst, open_mask, 0.0)
        reach = ~unreachable(inst, within)
        tie = prm.get("_stage2_floor")
        total = max(float(inst.w.sum()), 1e-12)
        c_cov = -inst.w / total if tie is not None else 0.0
        c0 = model.var(inst.n, c=c_cov, lb=0.0, ub=reach.astype(float), integer=False)
        _cover_rows(model, inst, c0, y0, within)
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
        return Built(model, y0, sign=-1.0)
    raise InvalidValueError(f"unknown problem {problem!r}")  # pragma: no cover


def _cover_rows(model: _Model, inst: Instance, c0: int, y0: int, within: np.ndarray) -> None:
    """``cov_i <= sum_{j in N_i} y_j`` for every village ``i`` (``N_i``: the sites within)."""
    k = np.flatnonzero(within)
    model.rows_(
        np.concatenate([np.arange(inst.n), inst.pi[k]]),
        np.concatenate([c0 + np.arange(inst.n), y0 + inst.pj[k]]),
        np.concatenate([np.ones(inst.n), -np.ones(len(k))]),
        -np.inf,
        0.0,
        inst.n,
    )
