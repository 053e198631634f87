"""The driver: exact (MILP) or greedy solution of a siting model, with its bound and gap."""

from __future__ import annotations

import logging
import math
import time
from typing import TYPE_CHECKING, Any

import numpy as np

from ...errors import InfeasibleError, InvalidValueError, ResultWarning, warn

if TYPE_CHECKING:  # pragma: no cover
    pass

from .assign import finish, nearest_open, objective_value
from .heuristics import greedy_center, greedy_cover, greedy_equity, greedy_sum, site_slices
from .instance import Instance, unreachable
from .milp import Built, build
from .result import SitingResult

logger = logging.getLogger(__name__)


def _decode_open(x: np.ndarray, built: Built, inst: Instance) -> np.ndarray:
    return x[built.y0 : built.y0 + inst.m] > 0.5


def _bound_from(res: Any, built: Built) -> float:
    db = getattr(res, "mip_dual_bound", None)
    if db is None or not np.isfinite(db):
        db = res.fun if res.status == 0 and res.fun is not None else float("nan")
    return built.sign * (float(db) + built.model.offset)


def _lp_bound(problem: str, inst: Instance, prm: dict, time_limit_s: float) -> float:
    built = build(problem, inst, prm)
    res = built.model.solve(relax=True, time_limit_s=time_limit_s, mip_rel_gap=0.0)
    if res.status != 0 or res.fun is None:
        return float("nan")
    b = built.sign * (float(res.fun) + built.model.offset)
    if problem == "set_covering":
        b = math.ceil(b - 1e-7)
    if problem == "p_center":  # no village can be served faster than its nearest candidate
        _, t_all = nearest_open(inst, np.ones(inst.m, bool))
        b = max(b, float(t_all.max()))
    return b


def _assign_fixed(
    problem: str, inst: Instance, prm: dict, open_mask: np.ndarray, time_limit_s: float
) -> tuple[np.ndarray, Built]:
    built = build(problem, inst, prm, open_mask=open_mask)
    res = built.model.solve(relax=False, time_limit_s=time_limit_s, mip_rel_gap=1e-6)
    if res.x is None:
        raise InfeasibleError(
            f"the {problem} heuristic chose sites whose capacities cannot take the demand "
            f"({res.message}); use method='exact'."
        )
    return res.x, built


def _heuristic(
    problem: str, inst: Instance, prm: dict, *, improve: bool, deadline: float
) -> np.ndarray:
    p = prm.get("p", 0)
    if problem == "maximal_covering":
        within = inst.t <= prm["standard_min"]
        cap_gain = inst.cap if inst.cap is not None else None
        return greedy_sum(
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
        return greedy_sum(inst, p, inst.t, usable, inst.w * big, improve=improve, deadline=deadline)
    if problem == "p_center":
        return greedy_center(inst, p, improve=improve, deadline=deadline)
    if problem == "set_covering":
        return greedy_cover(inst, inst.t <= prm["standard_min"])
    if problem == "equity_covering":
        return greedy_equity(inst, p, inst.t <= prm["standard_min"], prm["_codes"], prm["_wg"])
    raise InvalidValueError(problem)  # pragma: no cover


def _cover_within(
    inst: Instance, radius: float, p: int, deadline: float
) -> np.ndarray | str | None:
    """Open mask using at most ``p`` new sites covering every village within ``radius``.

    Returns None when proven impossible, ``"unknown"`` when the time ran out.
    """
    within = inst.t <= radius
    if unreachable(inst, within).any():
        return None
    built = build("set_covering", inst, {"standard_min": radius})
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


def _fill_to_p(inst: Instance, open_mask: np.ndarray, p: int) -> np.ndarray:
    """Add sites (largest cut in weighted travel time) until exactly ``p`` new sites are open."""
    open_mask = open_mask.copy()
    _, cur = nearest_open(inst, open_mask)
    cur = np.where(np.isfinite(cur), cur, 1e12)
    sl = site_slices(inst)
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
    inst: Instance, p: int, *, improve: bool, deadline: float
) -> tuple[np.ndarray, float, str]:
    """Exact uncapacitated p-center by bisection over the distinct travel times.

    Each step solves a set-covering MILP "can at most p new sites cover every village within
    r?" (Minieka 1970; Daskin 2013, ch. 5). Returns (open mask, lower bound, status).
    """
    _, t_near = nearest_open(inst, np.ones(inst.m, bool))
    lower = float(t_near.max())
    # a quick upper bound; the interchange would cost more than the bisection it saves
    best = greedy_center(inst, p, improve=False, deadline=deadline)
    _, t_best = nearest_open(inst, best)
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


def solve(
    problem: str,
    inst: Instance,
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
        res = finish(
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
        return finish(
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
    built = build(problem, inst, prm)
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
        z_star = objective_value(problem, inst, prm, *_unc(inst, open_mask), open_mask, None)
        prm2 = dict(prm, _stage2_floor=max(0.0, z_star - 1e-9))
        b2 = build(problem, inst, prm2)
        left = max(1.0, time_limit_s - (time.perf_counter() - t0))
        sol2 = b2.model.solve(relax=False, time_limit_s=left, mip_rel_gap=mip_rel_gap)
        if sol2.x is not None:
            open_mask = _decode_open(sol2.x, b2, inst)
            if sol2.status != 0:
                status = "time_limit"
    x = sol.x if capacitated else None
    res = finish(
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
    inst: Instance,
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
    res = finish(
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


def _unc(inst: Instance, open_mask: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    j, t = nearest_open(inst, open_mask)
    return j, (j >= 0).astype(float), t


def _check_served(problem: str, res: SitingResult, inst: Instance, prm: dict) -> None:
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


def common_prm(p: int | None, assignment: str, inst: Instance, **more: Any) -> dict:
    prm: dict[str, Any] = {"assignment": assignment if inst.cap is not None else None}
    if p is not None:
        prm["p"] = p
    prm.update(more)
    return prm
