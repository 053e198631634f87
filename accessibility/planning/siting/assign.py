"""A set of open sites evaluated: villages assigned to them, the objective, the result."""

from __future__ import annotations

import logging
import math
import time
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from ...errors import InvalidValueError

if TYPE_CHECKING:  # pragma: no cover
    pass

from .instance import Instance
from .milp import Built
from .result import SitingResult

logger = logging.getLogger(__name__)

_TOL = 1e-6


def nearest_open(inst: Instance, open_mask: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
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


def objective_value(
    problem: str,
    inst: Instance,
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


def finish(
    problem: str,
    inst: Instance,
    prm: dict,
    open_mask: np.ndarray,
    x: np.ndarray | None,
    built: Built | None,
    *,
    bound: float,
    status: str,
    method: str,
    t0: float,
) -> SitingResult:
    near_j, near_t = nearest_open(inst, open_mask)
    standard = prm.get("standard_min")
    pen = prm.get("penalty_min")
    x_alloc = None
    if x is not None and built is not None and built.x0 is not None and built.xmask is not None:
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
    objective = objective_value(problem, inst, prm, a_site, share, a_time, open_mask, x_alloc)
    site_labels = np.asarray(inst.sites, dtype=object)
    assignment = pd.DataFrame(
        {
            "site": pd.Series(
                np.where(a_site >= 0, site_labels[np.maximum(a_site, 0)], None),  # type: ignore[call-overload]  # numpy's stubs lack an object fill
                dtype=object,
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
