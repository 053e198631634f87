"""Greedy heuristics and vertex-substitution interchange for the siting models."""

from __future__ import annotations

import logging
import time
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:  # pragma: no cover
    pass

from .instance import Instance

logger = logging.getLogger(__name__)


def site_slices(inst: Instance) -> np.ndarray:
    return np.searchsorted(inst.pj, np.arange(inst.m + 1))


def _best_two(
    inst: Instance, open_mask: np.ndarray, wd: np.ndarray, unserved: np.ndarray, usable: np.ndarray
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


def greedy_sum(
    inst: Instance,
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
    sl = site_slices(inst)
    for j in np.flatnonzero(open_mask).tolist():
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
                best = (cand[c], int(r), c)
        if best[1] < 0:
            break
        open_mask[best[1]] = False
        open_mask[best[2]] = True
    logger.debug("interchange: %d pass(es)", passes)
    return open_mask


def _dense(inst: Instance, big: float) -> np.ndarray:
    from ...errors import MemoryEstimateError
    from ...options import OPTIONS

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


def greedy_center(inst: Instance, p: int, *, improve: bool, deadline: float) -> np.ndarray:
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
                best = (mx[c], sm[c], int(r), c)
        if best[2] < 0:
            break
        open_mask[best[2]] = False
        open_mask[best[3]] = True
    return open_mask


def greedy_cover(inst: Instance, within: np.ndarray) -> np.ndarray:
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


def greedy_equity(
    inst: Instance, p: int, within: np.ndarray, codes: np.ndarray, wg: np.ndarray
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
