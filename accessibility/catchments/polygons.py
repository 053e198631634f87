"""Catchment polygons: tapered hulls of reached road pieces, grown band by band."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import shapely

from .pieces import substrings


def quad_segs(radius_m: float, tolerance_m: float) -> int:
    """Arc segments per quarter circle so that a chord lies within ``tolerance_m`` of the true
    circle of ``radius_m``: sagitta ``r (1 - cos(pi / (4 q)))``."""
    err = tolerance_m
    if radius_m <= err:
        return 4
    q = math.ceil(math.pi / (4.0 * math.acos(1.0 - err / radius_m)))
    return int(min(max(q, 4), 64))


def _tapered(
    a: np.ndarray, b: np.ndarray, ra: np.ndarray, rb: np.ndarray, q: int
) -> tuple[np.ndarray, np.ndarray]:
    """Convex hulls of disc(a, ra) and disc(b, rb) for straight segments ``a -> b``.

    The hull of two discs is exactly the union of the discs centred on the segment with linearly
    varying radius (a Minkowski combination of discs is a disc), i.e. the exact area reachable on
    foot from a straight road piece whose remaining time falls linearly. It is bounded by the two
    outer tangents and an arc of each circle; tangent points lie at angles ``theta +- beta`` on
    both circles (``theta`` the direction a -> b, ``cos beta = (ra - rb) / |ab|``). The arcs are
    drawn with the vertices of a regular ``4 q``-gon inscribed in the circle, so the polygon lies
    inside the exact shape. Where one disc contains the other the result is that disc. Returns the
    polygons and which segments gave one (zero radius at both ends gives none).
    """
    n4 = 4 * q
    step = 2.0 * np.pi / n4
    d = b - a
    length = np.hypot(d[:, 0], d[:, 1])
    theta = np.arctan2(d[:, 1], d[:, 0])
    with np.errstate(divide="ignore", invalid="ignore"):
        beta = np.arccos(np.clip((ra - rb) / length, -1.0, 1.0))
    nested = ~(length > np.abs(ra - rb))
    ok = (np.maximum(ra, rb) > 0) & ((length > 0) | nested)
    ok &= ~(nested & (np.maximum(ra, rb) <= 0))
    m = np.arange(n4)

    def arc(start: np.ndarray, span: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        k0 = np.floor(start / step).astype(np.int64) + 1
        ang = (k0[:, None] + m[None, :]) * step
        inside = (ang - start[:, None]) < span[:, None] - 1e-12
        return ang, inside

    out_coords = []
    out_index = []
    # nested: the larger disc
    big = np.flatnonzero(ok & nested)
    if len(big):
        rr = np.maximum(ra[big], rb[big])
        cc = np.where((ra[big] >= rb[big])[:, None], a[big], b[big])
        ang = m * step
        pts = cc[:, None, :] + rr[:, None, None] * np.stack([np.cos(ang), np.sin(ang)], -1)[None]
        out_coords.append(pts.reshape(-1, 2))
        out_index.append(np.repeat(big, n4))
    hull = np.flatnonzero(ok & ~nested)
    if len(hull):
        th, be = theta[hull], beta[hull]
        pa, pb, qa, qb = a[hull], b[hull], ra[hull], rb[hull]
        # front arc on b: from theta - beta to theta + beta; back arc on a: the rest
        ang_b, in_b = arc(th - be, 2.0 * be)
        ang_a, in_a = arc(th + be, 2.0 * np.pi - 2.0 * be)

        def on(c: np.ndarray, r: np.ndarray, ang: np.ndarray) -> np.ndarray:
            return c[:, None, :] + r[:, None, None] * np.stack([np.cos(ang), np.sin(ang)], -1)

        t1 = (th - be)[:, None]
        t2 = (th + be)[:, None]
        parts = [
            (on(pb, qb, t1), np.ones((len(hull), 1), bool)),
            (on(pb, qb, ang_b), in_b),
            (on(pb, qb, t2), np.ones((len(hull), 1), bool)),
            (on(pa, qa, t2), np.ones((len(hull), 1), bool)),
            (on(pa, qa, ang_a), in_a),
            (on(pa, qa, t1), np.ones((len(hull), 1), bool)),
        ]
        pts = np.concatenate([p for p, _ in parts], axis=1)
        mask = np.concatenate([k for _, k in parts], axis=1)
        out_coords.append(pts[mask])
        out_index.append(np.repeat(hull, mask.sum(axis=1)))
    if not out_coords:
        return np.zeros(0, object), ok
    coords = np.concatenate(out_coords)
    index = np.concatenate(out_index)
    order = np.argsort(index, kind="stable")
    coords, index = coords[order], index[order]
    # close the rings
    starts = np.flatnonzero(np.r_[True, index[1:] != index[:-1]])
    ends = np.r_[starts[1:], len(index)]
    closed = np.insert(coords, ends, coords[starts], axis=0)
    cindex = np.insert(index, ends, index[starts])
    _, dense = np.unique(cindex, return_inverse=True)
    rings = shapely.linearrings(closed, indices=dense)
    return shapely.polygons(rings), ok


def _slices(bands: np.ndarray, slice_min: float | None) -> np.ndarray:
    """Times at which the wavefront polygon is rebuilt: every band, plus steps of ``slice_min``."""
    if slice_min is None or slice_min <= 0:
        return bands
    grid = np.arange(slice_min, float(bands.max()), slice_min)
    return np.unique(np.concatenate([bands, grid]))


def band_polygons(
    pieces: dict[str, np.ndarray],
    ea: dict[str, np.ndarray],
    bands: np.ndarray,
    walk_m_per_min: float,
    q: int,
    centre: np.ndarray | None,
    slice_min: float | None = None,
) -> list[Any]:
    """One cumulative polygon per band from the pieces reached within the largest band.

    Every straight part of a reached piece gives the exact hull of the discs at its two ends
    (:func:`_tapered`). The polygon grows like a wavefront: with ``P(tau)`` the polygon at time
    ``tau``, ``P(tau') = buffer(P(tau), w (tau' - tau))  U  (hulls of the road reached in
    (tau, tau'])``, which is exact for the union of discs because ``disc(p, w (tau' - t)) =
    disc(p, w (tau - t)) (+) disc(0, w (tau' - tau))`` (Minkowski sum), and makes each band cost
    only its new road plus one polygon buffer.
    """
    w = walk_m_per_min
    taus = _slices(bands, slice_min)
    lo_t = np.r_[-np.inf, taus[:-1]]
    x0, x1, t0, rate = pieces["x0"], pieces["x1"], pieces["t0"], pieces["rate"]
    t_end = t0 + np.abs(x1 - x0) * rate
    # sub-pieces per slice: the part of each piece with time in (lo_t[s], taus[s]]
    pi, sl = np.nonzero((t0[:, None] <= taus[None, :]) & (t_end[:, None] > lo_t[None, :]))
    zero = rate[pi] <= 0  # reached whole at t0
    ta = np.maximum(t0[pi], lo_t[sl])
    tb = np.minimum(t_end[pi], taus[sl])
    sign = np.sign(x1[pi] - x0[pi])
    with np.errstate(divide="ignore", invalid="ignore"):
        xa = np.where(zero, x0[pi], x0[pi] + sign * (ta - t0[pi]) / rate[pi])
        xb = np.where(zero, x1[pi], x0[pi] + sign * (tb - t0[pi]) / rate[pi])
    xa, xb = np.clip(xa, 0.0, 1.0), np.clip(xb, 0.0, 1.0)
    good = (np.abs(xb - xa) > 0) & ea["exit"][pieces["edge"][pi]]
    pi, sl, xa, xb = pi[good], sl[good], xa[good], xb[good]
    polys = np.zeros(0, object)
    groups = np.zeros(0, np.int64)
    if len(pi):
        coords, line, fr = substrings(
            ea, pieces["edge"][pi], np.minimum(xa, xb), np.maximum(xa, xb)
        )
        pc = pi[line]
        t = t0[pc] + np.abs(fr - x0[pc]) * rate[pc]
        r = w * np.maximum(taus[sl[line]] - t, 0.0)
        same = np.flatnonzero(line[1:] == line[:-1])
        polys, ok = _tapered(coords[same], coords[same + 1], r[same], r[same + 1], q)
        groups = sl[line[same]][ok]
    order = np.argsort(groups, kind="stable")
    polys, groups = polys[order], groups[order]
    bounds = np.searchsorted(groups, np.arange(len(taus) + 1))
    out: list[Any] = []
    previous = None
    for s, tau in enumerate(taus):
        parts = polys[bounds[s] : bounds[s + 1]]
        if previous is not None and not previous.is_empty:
            grown = shapely.buffer(previous, w * (tau - taus[s - 1]), quad_segs=q)
            parts = np.append(parts, grown)
        elif centre is not None:
            parts = np.append(parts, shapely.buffer(shapely.points(centre), w * tau, quad_segs=q))
        poly = shapely.union_all(parts) if len(parts) else shapely.Polygon()
        previous = poly
        if np.isin(tau, bands):
            out.append(poly)
    return out
