"""Catchments: network isochrone polygons, Euclidean coverage radii, and who they cover.

A *network catchment* of a facility for a time band ``B`` is the land from which the facility can be
reached (or which can be reached from it) within ``B`` minutes by travelling on the road network and
walking the rest of the way off the road. It is built from the parts of edges the bounded search
reaches (whole edges, and partly reached edges cut at the exact point), each widened by the distance
a person can still walk in the time left. Unlike a convex hull it never covers land that is only
close to the facility "as the crow flies" behind a river or a mountain without a road.

*Coverage radii* are the circles planning norms speak of (e.g. GB 50180's 5-, 10- and 15-minute
life circles drawn as 300 / 500 / 1000 m). :func:`compare_coverage` puts both side by side for every
village: the circle may claim a village that the road takes 45 minutes to reach.

Catchment layers follow the package's contract: a GeoDataFrame with columns ``facility``,
``service``, ``band_min`` (or ``radius_m``) and polygon geometry, in the caller's CRS.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Literal

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from ._crs import metric_crs
from .errors import (
    CRSError,
    EmptyLayerError,
    GeometryError,
    InputWarning,
    InvalidValueError,
    MissingColumnError,
    SnapWarning,
    suggest,
    warn,
)
from .network import Network
from .snapping import MAX_SNAP_M

__all__ = [
    "compare_coverage",
    "coverage_radii",
    "network_catchments",
    "population_covered",
    "reached_roads",
    "uncovered_villages",
]

_log = logging.getLogger(__name__)

#: Default walking speed off the road (km/h).
WALK_SPEED_KMH = 5.0
#: Default largest amount (m) by which a catchment polygon may fall short of the exact region.
TOLERANCE_M = 10.0
#: Rebuild the growing polygon every this many minutes as well as at every band (None: bands only)
_SLICE_MIN: float | None = None
#: Categories of :func:`compare_coverage`.
CATEGORIES = ("both", "radius_only", "network_only", "neither")
_DIRECTIONS = ("to_facility", "from_facility")


# ------------------------------------------------------------------------------------------ checks


def _check_layer(layer: Any, what: str, *, points: bool = True) -> None:
    if not isinstance(layer, gpd.GeoDataFrame):
        raise InvalidValueError(f"{what} must be a GeoDataFrame, got {type(layer).__name__}")
    if len(layer) == 0:
        raise EmptyLayerError(f"the {what} layer is empty")
    if layer.crs is None:
        raise CRSError(
            f"the {what} layer has no CRS; set it with `.set_crs(...)` (e.g. 'EPSG:4490' for "
            "CGCS2000 longitude/latitude)"
        )
    if not layer.index.is_unique:
        dups = layer.index[layer.index.duplicated()].unique()[:5].tolist()
        raise InvalidValueError(
            f"the {what} ids (the index) are not unique, e.g. {dups}; make them unique first"
        )
    if points:
        types = layer.geometry.geom_type.dropna()
        bad = ~types.isin(["Point"])
        if bad.any():
            raise GeometryError(
                f"the {what} layer must hold points; found {types[bad].value_counts().to_dict()}. "
                "Turn polygons into points with `accessibility.to_points(layer)`"
            )


def _bands(bands_min: float | Sequence[float]) -> np.ndarray:
    arr = np.atleast_1d(np.asarray(bands_min, dtype=np.float64))
    if arr.ndim != 1 or arr.size == 0:
        raise InvalidValueError(
            f"bands_min must hold at least one time in minutes, got {bands_min}"
        )
    if not (np.isfinite(arr).all() and (arr > 0).all()):
        raise InvalidValueError(f"bands_min must be finite and > 0 minutes, got {arr.tolist()}")
    out = np.unique(arr)
    if out.size != arr.size or not np.array_equal(out, arr):
        _log.info("bands_min %s used sorted and without repeats: %s", arr.tolist(), out.tolist())
    return out


def _services(facilities: gpd.GeoDataFrame, service_column: str | None) -> np.ndarray:
    """Service of every facility: the values of ``service_column``, or ``"all"`` when None."""
    if service_column is None:
        return np.full(len(facilities), "all", dtype=object)
    if service_column not in facilities.columns:
        raise MissingColumnError(
            f"the facilities have no column {service_column!r}."
            f"{suggest(service_column, facilities.columns)} Columns: {list(facilities.columns)}"
        )
    values = facilities[service_column]
    if values.isna().any():
        bad = facilities.index[values.isna()][:5].tolist()
        raise InvalidValueError(
            f"{int(values.isna().sum())} facilities have no {service_column!r} (e.g. {bad}); "
            "fill it in or drop them"
        )
    return values.astype(str).to_numpy(dtype=object)


def _per_service(
    value: float | Mapping[str, float], services: np.ndarray, what: str, unit: str
) -> np.ndarray:
    """A per-facility array from one number or a ``{service: number}`` mapping."""
    if isinstance(value, Mapping):
        missing = sorted(set(services) - set(map(str, value)))
        if missing:
            raise InvalidValueError(
                f"{what} has no value for service(s) {missing}; give one for every service "
                f"({sorted(set(services))}) or a single number"
                + suggest(missing[0], list(map(str, value)))
            )
        lookup = {str(k): float(v) for k, v in value.items()}
        out = np.array([lookup[s] for s in services], dtype=np.float64)
    else:
        out = np.full(len(services), float(value))
    if not (np.isfinite(out).all() and (out > 0).all()):
        raise InvalidValueError(f"{what} must be finite and > 0 {unit}, got {value}")
    return out


def _check_direction(direction: str) -> None:
    if direction not in _DIRECTIONS:
        raise InvalidValueError(
            f"direction={direction!r}; use 'to_facility' (people travel to the facility, the "
            "usual case) or 'from_facility' (e.g. an ambulance or a mobile clinic going out)"
            + suggest(direction, _DIRECTIONS)
        )


# ---------------------------------------------------------------------------- geometry on edges


def _edge_arrays(network: Network) -> dict[str, np.ndarray]:
    """Vertices of every edge with their position along it (fraction of the length, 0..1)."""
    return network.cached("catchments:edge_arrays", lambda: _build_edge_arrays(network))


def _build_edge_arrays(network: Network) -> dict[str, np.ndarray]:
    geoms = network.edges.geometry.to_numpy()
    coords, owner = shapely.get_coordinates(geoms, return_index=True)
    m = len(geoms)
    ptr = np.zeros(m + 1, np.int64)
    np.cumsum(np.bincount(owner, minlength=m), out=ptr[1:])
    step = np.zeros(len(coords))
    if len(coords) > 1:
        step[1:] = np.hypot(*(coords[1:] - coords[:-1]).T)
    step[ptr[:-1][ptr[:-1] < len(coords)]] = 0.0  # first vertex of each edge
    cum = np.cumsum(step)
    cum -= np.repeat(cum[ptr[:-1]], np.diff(ptr))
    total = np.repeat(cum[ptr[1:] - 1], np.diff(ptr))
    with np.errstate(invalid="ignore", divide="ignore"):
        frac = np.where(total > 0, cum / total, 0.0)
    frac[ptr[1:] - 1] = 1.0
    # people can leave a road on foot only where walking is allowed: not from an expressway
    # between its interchanges (its end junctions still count through the roads meeting there)
    e = network.edges
    if "walk_fwd_min" in e.columns:
        exit_ok = np.isfinite(e["walk_fwd_min"].to_numpy()) | np.isfinite(
            e["walk_bwd_min"].to_numpy()
        )
    else:
        exit_ok = np.ones(m, dtype=bool)
    return {
        "coords": coords,
        "ptr": ptr,
        "frac": frac,
        "key": 2.0 * owner + frac,
        "exit": exit_ok,
    }


def _points_on_edges(ea: dict[str, np.ndarray], edge: np.ndarray, s: np.ndarray) -> np.ndarray:
    """Coordinates of the points at fraction ``s`` along edges ``edge`` (vectorised)."""
    ptr, frac, c = ea["ptr"], ea["frac"], ea["coords"]
    j = np.searchsorted(ea["key"], 2.0 * edge + s, side="right") - 1
    j = np.clip(j, ptr[edge], ptr[edge + 1] - 2)
    span = frac[j + 1] - frac[j]
    with np.errstate(invalid="ignore", divide="ignore"):
        w = np.clip(np.where(span > 0, (s - frac[j]) / span, 0.0), 0.0, 1.0)
    return c[j] + w[:, None] * (c[j + 1] - c[j])


def _substrings(
    ea: dict[str, np.ndarray], edge: np.ndarray, s0: np.ndarray, s1: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The parts ``s0 <= s <= s1`` of edges (``s0 < s1``) as coordinate runs, vectorised.

    Returns ``coords`` (P, 2), ``line`` (P,) the row each coordinate belongs to and ``frac`` (P,)
    the position of each coordinate along its edge.
    """
    key, frac, c = ea["key"], ea["frac"], ea["coords"]
    lo = np.searchsorted(key, 2.0 * edge + s0, side="right")  # first vertex beyond s0
    hi = np.searchsorted(key, 2.0 * edge + s1, side="left")  # first vertex at or beyond s1
    inner = np.maximum(hi - lo, 0)
    n = inner + 2
    total = int(n.sum())
    line = np.repeat(np.arange(len(edge)), n)
    pos = np.arange(total) - np.repeat(np.cumsum(n) - n, n)
    out = np.empty((total, 2))
    fr = np.empty(total)
    first = pos == 0
    last = pos == n[line] - 1
    mid = ~(first | last)
    out[first] = _points_on_edges(ea, edge, s0)
    out[last] = _points_on_edges(ea, edge, s1)
    fr[first] = s0
    fr[last] = s1
    vidx = lo[line[mid]] + pos[mid] - 1
    out[mid] = c[vidx]
    fr[mid] = frac[vidx]
    return out, line, fr


def _quad_segs(radius_m: float, tolerance_m: float) -> int:
    """Arc segments per quarter circle so that a chord lies within ``tolerance_m`` of the true
    circle of ``radius_m``: sagitta ``r (1 - cos(pi / (4 q)))``."""
    err = tolerance_m
    if radius_m <= err:
        return 4
    q = math.ceil(math.pi / (4.0 * math.acos(1.0 - err / radius_m)))
    return int(min(max(q, 4), 64))


# ------------------------------------------------------------------------------ reached pieces


def _searches(
    network: Network,
    facilities: gpd.GeoDataFrame,
    mode: str,
    direction: str,
    max_band: float,
    max_snap_m: float,
    walk_speed_kmh: float,
) -> tuple[pd.DataFrame, Any, dict[str, np.ndarray]]:
    """Locate the facilities and prepare the search graph and seed rows."""
    from .costs import attachments
    from .snapping import locate

    located = locate(
        facilities,
        network,
        mode=mode,
        max_snap_m=max_snap_m,
        connector_speed_kmh=walk_speed_kmh,
        what="facilities",
    )
    graph = network.graph(mode)
    if direction == "to_facility":
        graph = graph.reversed()
        seeds = attachments(located, network, mode, side="arrive")
    else:
        seeds = attachments(located, network, mode, side="leave")
    return located, graph, seeds


def _rates(network: Network, mode: str, direction: str) -> tuple[np.ndarray, np.ndarray]:
    """Minutes to traverse each edge moving away from ``u`` (``a_u``) and away from ``v``
    (``a_v``), for the search direction (``inf`` where not allowed)."""
    fwd = network.edges[f"{mode}_fwd_min"].to_numpy(np.float64)
    bwd = network.edges[f"{mode}_bwd_min"].to_numpy(np.float64)
    # from the facility, leaving u towards v is travel u->v; to the facility, a point beyond u
    # travels back to u, i.e. v->u.
    return (fwd, bwd) if direction == "from_facility" else (bwd, fwd)


def _pieces(
    node_cost: np.ndarray,
    u: np.ndarray,
    v: np.ndarray,
    a_u: np.ndarray,
    a_v: np.ndarray,
    own: tuple[int, float, float] | None,
    bands: np.ndarray,
) -> dict[str, np.ndarray]:
    """Reached parts of edges for every band, as pieces ``(band, edge, x_near, x_far, t_near,
    rate)``: the piece runs from the reached position ``x_near`` (cost ``t_near``) to ``x_far``
    and a point at ``x`` on it costs ``t_near + |x - x_near| * rate``."""
    t_u = node_cost[u]
    t_v = node_cost[v]
    eu = np.flatnonzero(np.isfinite(t_u) & np.isfinite(a_u))
    ev = np.flatnonzero(np.isfinite(t_v) & np.isfinite(a_v))
    # Where an edge is reached from both ends, each point keeps only the end that reaches it
    # sooner (its disc contains the other's): the u side up to the crossing x*, where
    # t_u + x a_u = t_v + (1 - x) a_v, the v side beyond it.
    both_u = np.isfinite(t_v[eu]) & np.isfinite(a_v[eu])
    both_v = np.isfinite(t_u[ev]) & np.isfinite(a_u[ev])
    with np.errstate(divide="ignore", invalid="ignore"):
        xs_u = (t_v[eu] + a_v[eu] - t_u[eu]) / (a_u[eu] + a_v[eu])
        xs_v = (t_v[ev] + a_v[ev] - t_u[ev]) / (a_u[ev] + a_v[ev])
    lim_u = np.where(both_u & np.isfinite(xs_u), np.clip(xs_u, 0.0, 1.0), 1.0)
    lim_v = np.where(both_v & np.isfinite(xs_v), np.clip(xs_v, 0.0, 1.0), 0.0)
    edge = [eu, ev]
    x0 = [np.zeros(len(eu)), np.ones(len(ev))]
    t0 = [t_u[eu], t_v[ev]]
    rate = [a_u[eu], a_v[ev]]
    sign = [np.ones(len(eu)), -np.ones(len(ev))]
    lim = [lim_u, lim_v]
    if own is not None:
        e, f, c = own
        for r, sg in ((a_u[e], 1.0), (a_v[e], -1.0)):
            if math.isfinite(r):
                edge.append(np.array([e]))
                x0.append(np.array([f]))
                t0.append(np.array([c]))
                rate.append(np.array([r]))
                sign.append(np.array([sg]))
                lim.append(np.array([1.0 if sg > 0 else 0.0]))
    edge_a = np.concatenate(edge)
    x0_a = np.concatenate(x0)
    t0_a = np.concatenate(t0)
    rate_a = np.concatenate(rate)
    sign_a = np.concatenate(sign)
    lim_a = np.concatenate(lim)
    out: dict[str, list[np.ndarray]] = {k: [] for k in ("band", "edge", "x0", "x1", "t0", "rate")}
    for b, band in enumerate(bands):
        ok = t0_a <= band
        with np.errstate(divide="ignore", invalid="ignore"):
            reach = np.where(rate_a[ok] > 0, (band - t0_a[ok]) / rate_a[ok], np.inf)
        x1 = x0_a[ok] + sign_a[ok] * reach
        x1 = np.where(sign_a[ok] > 0, np.minimum(x1, lim_a[ok]), np.maximum(x1, lim_a[ok]))
        keep = np.abs(x1 - x0_a[ok]) > 0
        sel = np.flatnonzero(ok)[keep]
        out["band"].append(np.full(len(sel), b, np.int64))
        out["edge"].append(edge_a[sel])
        out["x0"].append(x0_a[sel])
        out["x1"].append(x1[keep])
        out["t0"].append(t0_a[sel])
        out["rate"].append(rate_a[sel])
    return {k: np.concatenate(vs) for k, vs in out.items()}


def _merge_intervals(
    group: np.ndarray, lo: np.ndarray, hi: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Union of intervals ``[lo, hi]`` within each group (vectorised); returns merged rows."""
    if len(group) == 0:
        return group, lo, hi
    order = np.lexsort((lo, group))
    g, a, b = group[order], lo[order], hi[order]
    # running max of hi within a group
    run = b.copy()
    starts = np.r_[True, g[1:] != g[:-1]]
    seg_id = np.cumsum(starts) - 1
    offset = seg_id * 4.0  # fractions are in [0, 1]: offset groups so a global max works
    run = np.maximum.accumulate(b + offset) - offset
    new = starts.copy()
    new[1:] |= a[1:] > run[:-1]
    idx = np.flatnonzero(new)
    ends = np.r_[idx[1:], len(g)] - 1
    return g[idx], a[idx], run[ends]


# ------------------------------------------------------------------------------------- polygons


def _unit_circle(q: int) -> np.ndarray:
    ang = np.arange(4 * q) * (2.0 * np.pi / (4 * q))
    return np.column_stack([np.cos(ang), np.sin(ang)])


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


def _band_polygons(
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
        coords, line, fr = _substrings(
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


# ------------------------------------------------------------------------------ the searches


def _prepare(
    network: Network,
    facilities: gpd.GeoDataFrame,
    *,
    mode: str,
    bands_min: float | Sequence[float],
    direction: str,
    walk_speed_kmh: float,
    max_snap_m: float,
    service_column: str | None,
) -> dict[str, Any]:
    """Validate inputs, locate the facilities and set up one search per facility."""
    _check_layer(facilities, "facilities")
    if not isinstance(network, Network):
        raise InvalidValueError(f"network must be a Network, got {type(network).__name__}")
    network._check_mode(mode)
    _check_direction(direction)
    bands = _bands(bands_min)
    if not (walk_speed_kmh > 0 and math.isfinite(walk_speed_kmh)):
        raise InvalidValueError(f"walk_speed_kmh must be > 0, got {walk_speed_kmh}")
    services = _services(facilities, service_column)
    located, graph, seeds = _searches(
        network, facilities, mode, direction, float(bands.max()), max_snap_m, walk_speed_kmh
    )
    order = np.argsort(seeds["id"], kind="stable")
    ptr = np.zeros(len(facilities) + 1, np.int64)
    np.cumsum(np.bincount(seeds["id"], minlength=len(facilities)), out=ptr[1:])
    a_u, a_v = _rates(network, mode, direction)
    geom = facilities.geometry
    if facilities.crs != network.crs:
        geom = geom.to_crs(network.crs)
    arr = geom.to_numpy()
    valid = ~(shapely.is_missing(arr) | shapely.is_empty(arr))
    xy = np.full((len(arr), 2), np.nan)
    if valid.any():
        xy[valid] = shapely.get_coordinates(arr[valid])
    if (~valid).any():
        warn(
            SnapWarning,
            _log,
            "%d facilities have empty geometry and get no catchment (e.g. %s)",
            int((~valid).sum()),
            facilities.index[~valid][:5].tolist(),
        )
    return {
        "bands": bands,
        "services": services,
        "located": located,
        "graph": graph,
        "seed_node": seeds["node"][order],
        "seed_cost": seeds["cost"][order],
        "ptr": ptr,
        "u": network.edges["u"].to_numpy(np.int64),
        "v": network.edges["v"].to_numpy(np.int64),
        "a_u": a_u,
        "a_v": a_v,
        "xy": xy,
        "valid": valid,
        "n_nodes": len(network.nodes),
        "walk_m_per_min": walk_speed_kmh * 1000.0 / 60.0,
    }


def _facility_pieces(
    p: dict[str, Any], i: int, bands: np.ndarray | None = None
) -> dict[str, np.ndarray]:
    """Search from facility ``i`` and return its reached pieces for every band."""
    from .routing import distances_from

    bands = p["bands"] if bands is None else bands
    node_cost = np.full(p["n_nodes"], np.inf)
    s0, s1 = p["ptr"][i], p["ptr"][i + 1]
    if s1 > s0:
        nodes, cost = distances_from(
            p["graph"],
            seed_node=p["seed_node"][s0:s1],
            seed_cost=p["seed_cost"][s0:s1],
            max_cost=float(bands.max()),
        )
        node_cost[nodes] = cost
    row = p["located"].iloc[i]
    own = None
    if bool(row["snapped"]):
        own = (int(row["edge"]), float(row["fraction"]), float(row["connector_min"]))
    return _pieces(node_cost, p["u"], p["v"], p["a_u"], p["a_v"], own, bands)


def _map(fn: Any, n: int, n_jobs: int | None, desc: str) -> list[Any]:
    from .options import progress, resolve_n_jobs

    jobs = min(resolve_n_jobs(n_jobs), max(n, 1))
    if jobs == 1:
        return list(progress(map(fn, range(n)), desc=desc, total=n))
    with ThreadPoolExecutor(max_workers=jobs) as pool:
        return list(progress(pool.map(fn, range(n)), desc=desc, total=n))


# ---------------------------------------------------------------------------- public functions


def reached_roads(
    network: Network,
    facilities: gpd.GeoDataFrame,
    *,
    mode: str,
    bands_min: float | Sequence[float] = (5, 10, 15),
    direction: str = "to_facility",
    walk_speed_kmh: float = WALK_SPEED_KMH,
    max_snap_m: float = MAX_SNAP_M,
    service_column: str | None = None,
    n_jobs: int | None = None,
) -> gpd.GeoDataFrame:
    """The road pieces reached from (or reaching) each facility within each time band.

    This is the network skeleton of :func:`network_catchments` (what QGIS's service area tools
    draw as lines): whole edges where the band covers them, and partly reached edges cut at the
    exact point. A point at position ``x`` (fraction of the edge's length from ``u``) is reached
    when ``t(x) <= band``, with ``t(x) = min(t_u + x * a_u, t_v + (1 - x) * a_v)`` where ``t_u``,
    ``t_v`` are the search costs of the edge's end nodes (minutes) and ``a_u``, ``a_v`` the minutes
    to run the whole edge away from that end in the allowed direction (``inf`` against a one-way
    street). On the facility's own edge the snap point at ``f`` with its connector walk ``c``
    is one more start: ``c + |x - f| * a``. Travel times are assumed uniform along an edge.

    Parameters
    ----------
    network
        The road network.
    facilities
        Facility points (index = ids), any CRS.
    mode
        Travel mode (one of ``network.modes``).
    bands_min
        Time limits in minutes (cumulative: each band includes the smaller ones).
    direction
        ``"to_facility"`` (default: villagers travel to the facility; the search runs on the
        reversed graph, so one-way streets count in the direction people drive to it) or
        ``"from_facility"`` (e.g. an ambulance base).
    walk_speed_kmh
        Speed of the walk from the facility to its snap point (the connector leg).
    max_snap_m
        Facilities farther from every usable road get no road pieces.
    service_column
        Column labelling each facility's service; ``None``: every facility is ``"all"``.
    n_jobs
        Threads (default: the ``n_jobs`` option).

    Returns
    -------
    GeoDataFrame
        One row per facility, band and reached edge: ``facility``, ``service``, ``band_min``,
        ``edge``, ``fraction_from``, ``fraction_to`` (the reached part, ``0 <= from < to <= 1``
        along ``u -> v``; several disjoint parts of one edge are separate rows), ``length_m`` and
        the line geometry, in the facilities' CRS.

    Examples
    --------
    >>> import accessibility as acc
    >>> from accessibility.catchments import reached_roads
    >>> demo = acc.load_demo()
    >>> net = acc.network_from_roads(demo.roads)
    >>> roads = reached_roads(net, demo.facilities.head(2), mode="car", bands_min=[10])
    >>> sorted(roads.columns)[:3]
    ['band_min', 'edge', 'facility']
    """
    p = _prepare(
        network,
        facilities,
        mode=mode,
        bands_min=bands_min,
        direction=direction,
        walk_speed_kmh=walk_speed_kmh,
        max_snap_m=max_snap_m,
        service_column=service_column,
    )
    bands = p["bands"]
    m = len(network.edges)

    def work(i: int) -> tuple[np.ndarray, ...]:
        pc = _facility_pieces(p, i)
        lo = np.minimum(pc["x0"], pc["x1"])
        hi = np.maximum(pc["x0"], pc["x1"])
        g, a, b = _merge_intervals(pc["band"] * m + pc["edge"], lo, hi)
        return np.full(len(g), i, np.int64), g // m, g % m, a, b

    res = _map(work, len(facilities), n_jobs, "reached roads")
    fac, band, edge, lo, hi = (
        np.concatenate([r[k] for r in res]) if res else np.zeros(0) for k in range(5)
    )
    fac, band, edge = fac.astype(np.int64), band.astype(np.int64), edge.astype(np.int64)
    ea = _edge_arrays(network)
    coords, line, _ = _substrings(ea, edge, lo, hi)
    lines = shapely.linestrings(coords, indices=line) if len(edge) else np.zeros(0, object)
    length = network.edges["length_m"].to_numpy(np.float64)[edge] * (hi - lo)
    out = gpd.GeoDataFrame(
        {
            "facility": facilities.index.to_numpy()[fac],
            "service": p["services"][fac],
            "band_min": bands[band],
            "edge": edge,
            "fraction_from": lo,
            "fraction_to": hi,
            "length_m": length,
        },
        geometry=gpd.GeoSeries(lines, crs=network.crs),
        crs=network.crs,
    )
    return out.to_crs(facilities.crs) if facilities.crs != network.crs else out


def network_catchments(
    network: Network,
    facilities: gpd.GeoDataFrame,
    *,
    mode: str,
    bands_min: float | Sequence[float] = (5, 10, 15),
    rings: bool = False,
    direction: str = "to_facility",
    walk_speed_kmh: float = WALK_SPEED_KMH,
    max_snap_m: float = MAX_SNAP_M,
    service_column: str | None = None,
    dissolve: bool = False,
    tolerance_m: float = TOLERANCE_M,
    simplify_m: float = 0.0,
    n_jobs: int | None = None,
) -> gpd.GeoDataFrame:
    """Network catchment polygons (isochrones) of every facility for several time bands.

    **Model.** A place ``x`` is in the band-``B`` catchment when some point ``p`` of the road
    network is reached within ``B`` minutes (see :func:`reached_roads`: whole edges, partly
    reached edges cut at the exact point, one-way streets and the facility's own edge handled)
    and ``x`` is within walking distance of ``p`` in the time left::

        x in C(B)  <=>  min over reached p of  t(p) + |x - p| / w  <=  B

    with ``w`` the walking speed (``walk_speed_kmh``, metres per minute ``w = 1000 v / 60``), i.e.
    ``C(B)`` is the union of discs of radius ``w (B - t(p))`` around every reached road point: a
    *variable-width buffer*. The straight walk from the facility itself (its connector leg) is
    included too, so ``C(B)`` contains the disc of radius ``w B`` around the facility. Land that
    is close to the facility but only reachable by a long detour is left out, unlike convex-hull
    isochrones.

    **Construction and error bound.** Reached pieces are cut into segments that take at most
    ``dt = 0.8 tolerance_m / w`` minutes to travel. A segment whose far end still has time to
    spare is buffered by the (smallest) radius at its far end, ``w (B - t_far)``; a segment that
    ends at the band's limit is covered exactly, straight part by straight part, by the convex
    hull of the discs at its two ends (which equals the union of the linearly shrinking discs
    between them). Discs and round buffers are polygons whose vertices lie on the true circles,
    with ``q`` arc segments per quarter circle chosen so that a chord falls short of the circle by
    at most ``0.2 tolerance_m`` at the largest radius ``w max(B)``. Hence

    * the polygon never claims land outside ``C(B)`` (up to floating point), and
    * every point of ``C(B)`` lies within ``tolerance_m`` of the polygon: a segment's far radius
      falls short of the radius anywhere on it by at most ``w dt = 0.8 tolerance_m``, and the
      polygonised circles by at most ``0.2 tolerance_m``.

    Every reached road point is covered (segments with time to spare get a radius of at least
    ``0.2 tolerance_m``; at the limit the exact hulls contain the road). Cumulative polygons are
    nested: band ``k`` includes band ``k-1``. Reaching a catchment does not guarantee the travel
    time of :func:`accessibility.travel_costs`, which walks from a village to *its nearest* road;
    the catchment lets people walk to any reached road (so a village across a river from a
    reached road but whose nearest road is another one is inside). Roads that pedestrians may
    not use (expressways: the network's ``walk`` times are infinite there) carry traffic but are
    not left on foot between their junctions, so they add no walking area of their own.

    Parameters
    ----------
    network
        The road network.
    facilities
        Facility points (index = ids), any CRS.
    mode
        Travel mode on the roads (one of ``network.modes``).
    bands_min
        Time limits in minutes, e.g. ``(5, 10, 15)`` (the 5-10-15-minute life circles).
    rings
        If True, each band's polygon is the band minus the previous band (``band_from_min`` to
        ``band_min``); the rings of a facility partition its largest catchment.
    direction
        ``"to_facility"`` (default: villagers travel to the facility; the search runs backwards
        from the facility on the reversed graph) or ``"from_facility"``.
    walk_speed_kmh
        Walking speed off the road and on the facility's connector leg (km/h).
    max_snap_m
        Facilities farther than this from a usable road get only the walking disc (a warning is
        logged).
    service_column
        Column with each facility's service; ``None``: every facility is service ``"all"``.
    dissolve
        If True, return one polygon per service and band: the union over that service's
        facilities (the area covered by the service), with ``n_facilities``.
    tolerance_m
        Largest shortfall of a polygon against the exact region (metres); smaller is slower.
    simplify_m
        If > 0, simplify the outlines afterwards (Douglas-Peucker, topology preserved): the
        polygons then deviate from the construction above by up to ``simplify_m`` either way
        (bands and rings are nested only up to it), for much smaller files (1 m halves the
        vertices, 5 m leaves a quarter).
    n_jobs
        Threads (default: the ``n_jobs`` option).

    Returns
    -------
    GeoDataFrame
        In the facilities' CRS, one row per facility and band (``dissolve``: per service and
        band): ``facility`` (not when dissolved), ``service``, ``band_from_min`` (rings only),
        ``band_min``, ``n_facilities`` (dissolved only), polygon geometry. Facilities with empty
        geometry are left out.

    Examples
    --------
    >>> import accessibility as acc
    >>> from accessibility.catchments import network_catchments
    >>> demo = acc.load_demo()
    >>> net = acc.network_from_roads(demo.roads)
    >>> clinics = demo.facilities[demo.facilities["service"] == "health_centre"]
    >>> c = network_catchments(net, clinics, mode="car", bands_min=(10, 20))
    >>> c[["facility", "band_min"]].shape
    (22, 2)
    """
    if not (tolerance_m > 0 and math.isfinite(tolerance_m)):
        raise InvalidValueError(f"tolerance_m must be > 0 metres, got {tolerance_m}")
    if not (simplify_m >= 0 and math.isfinite(simplify_m)):
        raise InvalidValueError(f"simplify_m must be >= 0 metres, got {simplify_m}")
    p = _prepare(
        network,
        facilities,
        mode=mode,
        bands_min=bands_min,
        direction=direction,
        walk_speed_kmh=walk_speed_kmh,
        max_snap_m=max_snap_m,
        service_column=service_column,
    )
    bands = p["bands"]
    walk = p["walk_m_per_min"]
    q = _quad_segs(walk * float(bands.max()), tolerance_m)
    ea = _edge_arrays(network)

    def work(i: int) -> list[Any]:
        if not p["valid"][i]:
            return []
        pieces = _facility_pieces(p, i, bands[-1:])
        return _band_polygons(pieces, ea, bands, walk, q, p["xy"][i], _SLICE_MIN)

    polys = _map(work, len(facilities), n_jobs, "catchments")
    keep = np.flatnonzero(p["valid"])
    nb = len(bands)
    geoms = np.array([g for i in keep for g in polys[i]], dtype=object)
    fac = np.repeat(keep, nb)
    band = np.tile(np.arange(nb), len(keep))
    if dissolve:
        services = p["services"][fac]
        names = pd.unique(p["services"][keep])
        rows = []
        for s in names:
            for b in range(nb):
                sel = (services == s) & (band == b)
                rows.append((s, b, int(sel.sum()), shapely.union_all(geoms[sel])))
        frame = pd.DataFrame(
            {
                "service": [r[0] for r in rows],
                "band_min": bands[[r[1] for r in rows]] if rows else [],
                "n_facilities": [r[2] for r in rows],
            }
        )
        geoms = np.array([r[3] for r in rows], dtype=object)
        group = np.repeat(np.arange(len(names)), nb)
    else:
        frame = pd.DataFrame(
            {
                "facility": facilities.index.to_numpy()[fac],
                "service": p["services"][fac],
                "band_min": bands[band],
            }
        )
        group = fac
    if rings and len(geoms):
        prev = np.r_[False, group[1:] == group[:-1]]
        inner = np.empty(len(geoms), dtype=object)
        inner[prev] = geoms[np.flatnonzero(prev) - 1]
        geoms = geoms.copy()
        geoms[prev] = shapely.difference(geoms[prev], inner[prev])
        band_from = np.where(prev, np.r_[0.0, frame["band_min"].to_numpy()[:-1]], 0.0)
        frame.insert(frame.columns.get_loc("band_min"), "band_from_min", band_from)
    if simplify_m > 0 and len(geoms):
        geoms = shapely.simplify(geoms, simplify_m, preserve_topology=True)
    out = gpd.GeoDataFrame(frame, geometry=gpd.GeoSeries(geoms, crs=network.crs), crs=network.crs)
    _log.info(
        "catchments: %d facilities x %d bands (%s, %s, tolerance %.0f m)",
        len(keep),
        nb,
        mode,
        direction,
        tolerance_m,
    )
    return out.to_crs(facilities.crs) if facilities.crs != network.crs else out


def coverage_radii(
    facilities: gpd.GeoDataFrame,
    radii_m: float | Mapping[str, float],
    *,
    service_column: str | None = None,
    crs: Any | None = None,
    quad_segs: int = 32,
) -> gpd.GeoDataFrame:
    """Euclidean coverage circles around facilities (planning-norm service radii).

    Circles are drawn in a projected metric CRS (``crs``, else the facilities' own if metric,
    else the local UTM zone), so a 1000 m radius is 1000 m on the ground, then returned in the
    facilities' CRS. Polygon vertices lie on the circle (``quad_segs`` segments per quarter; the
    area falls short of ``pi r^2`` by 0.16 % at the default 32).

    Parameters
    ----------
    facilities
        Facility points (index = ids).
    radii_m
        One radius in metres for all, or ``{service: radius_m}`` for every service.
    service_column
        Column with each facility's service (needed for a mapping); ``None``: service ``"all"``.
    crs
        Projected metric CRS to draw in.

    Returns
    -------
    GeoDataFrame
        ``facility``, ``service``, ``radius_m``, polygon geometry; one row per facility (those with
        empty geometry left out), in the facilities' CRS.

    Examples
    --------
    >>> import accessibility as acc
    >>> from accessibility.catchments import coverage_radii
    >>> demo = acc.load_demo()
    >>> c = coverage_radii(demo.facilities, {"clinic": 1000, "primary_school": 500,
    ...     "junior_school": 1000, "day_care": 300, "health_centre": 3000, "hospital": 5000,
    ...     "elder_care": 1000}, service_column="service")
    >>> list(c.columns)
    ['facility', 'service', 'radius_m', 'geometry']
    """

    _check_layer(facilities, "facilities")
    if isinstance(radii_m, Mapping) and service_column is None:
        raise InvalidValueError(
            "radii_m is a {service: radius} mapping but service_column is None; pass "
            "service_column='service' (the column naming each facility's service)"
        )
    services = _services(facilities, service_column)
    radius = _per_service(radii_m, services, "radii_m", "metres")
    work = metric_crs(facilities, crs)
    geom = facilities.geometry.to_crs(work).to_numpy()
    ok = ~(shapely.is_missing(geom) | shapely.is_empty(geom))
    circles = shapely.buffer(geom[ok], radius[ok], quad_segs=int(quad_segs))
    out = gpd.GeoDataFrame(
        {
            "facility": facilities.index.to_numpy()[ok],
            "service": services[ok],
            "radius_m": radius[ok],
        },
        geometry=gpd.GeoSeries(circles, crs=work),
        crs=work,
    )
    return out.to_crs(facilities.crs)


def compare_coverage(
    villages: gpd.GeoDataFrame,
    facilities: gpd.GeoDataFrame,
    network: Network,
    *,
    radius_m: float | Mapping[str, float],
    band_min: float | Mapping[str, float],
    mode: str,
    service_column: str | None = None,
    max_time_min: float | None = None,
    max_snap_m: float = MAX_SNAP_M,
    walk_speed_kmh: float = WALK_SPEED_KMH,
) -> pd.DataFrame:
    """Coverage by a radius versus coverage by network travel time, village by village.

    ``covered_by_radius``: some facility (of the service) lies within ``radius_m`` straight-line
    metres. ``covered_by_network``: the fastest trip over the network (walk to the nearest road,
    travel, walk to the facility; :func:`accessibility.travel_costs`) takes at most ``band_min``.
    ``category``:

    * ``both`` -- the circle and the road agree the village is served;
    * ``radius_only`` -- the circle claims it, the road takes longer (the planning map is wrong);
    * ``network_only`` -- outside the circle but reachable in time (e.g. along a fast road);
    * ``neither``.

    Parameters
    ----------
    villages, facilities
        Point layers (index = ids).
    network
        The road network.
    radius_m, band_min
        One value, or ``{service: value}`` for every service.
    mode
        Travel mode.
    service_column
        Column with each facility's service; ``None``: all facilities together (service "all").
    max_time_min
        Longest trip measured for ``travel_time_min`` (default 4 x the largest band, at least
        60 min); longer trips are NaN.
    max_snap_m, walk_speed_kmh
        See :func:`accessibility.locate` (``walk_speed_kmh`` is the connector speed).

    Returns
    -------
    DataFrame
        With ``service_column=None``, indexed exactly like ``villages``; otherwise one row per
        village and service with a (village id, ``service``) MultiIndex. Columns ``distance_m``
        (straight line to the nearest facility), ``covered_by_radius``, ``travel_time_min``
        (fastest trip, NaN when longer than ``max_time_min`` or no road), ``covered_by_network``,
        ``category`` (categorical, the four values above).

    Examples
    --------
    >>> import accessibility as acc
    >>> from accessibility.catchments import compare_coverage
    >>> demo = acc.load_demo()
    >>> net = acc.network_from_roads(demo.roads)
    >>> hc = demo.facilities[demo.facilities["service"] == "health_centre"]
    >>> cmp = compare_coverage(demo.villages, hc, net, radius_m=5000, band_min=15, mode="car")
    >>> sorted(cmp.columns)[:2]
    ['category', 'covered_by_network']
    """
    from scipy.spatial import cKDTree

    from .costs import travel_costs

    _check_layer(villages, "villages")
    _check_layer(facilities, "facilities")
    services = _services(facilities, service_column)
    radius = _per_service(radius_m, services, "radius_m", "metres")
    band = _per_service(band_min, services, "band_min", "minutes")
    limit = max(4.0 * float(band.max()), 60.0) if max_time_min is None else float(max_time_min)
    if not limit >= band.max():
        raise InvalidValueError(f"max_time_min={limit} must be at least the largest band")
    costs = travel_costs(
        network,
        villages,
        facilities,
        mode=mode,
        max_time_min=limit,
        max_snap_m=max_snap_m,
        connector_speed_kmh=walk_speed_kmh,
    )
    work = metric_crs(villages)
    vxy = shapely.get_coordinates(villages.geometry.to_crs(work).to_numpy())
    fgeom = facilities.geometry.to_crs(work).to_numpy()
    fok = ~(shapely.is_missing(fgeom) | shapely.is_empty(fgeom))
    fxy = np.full((len(fgeom), 2), np.nan)
    fxy[fok] = shapely.get_coordinates(fgeom[fok])
    fpos = pd.Series(np.arange(len(facilities)), index=facilities.index)
    vpos = pd.Series(np.arange(len(villages)), index=villages.index)
    d_fac = fpos.reindex(costs["destination"].to_numpy()).to_numpy()
    d_vil = vpos.reindex(costs["origin"].to_numpy()).to_numpy()
    t = costs["travel_time_min"].to_numpy()
    names = pd.unique(services)
    frames = []
    for s in names:
        sel = (services == s) & fok
        dist = np.full(len(villages), np.inf)
        if sel.any():
            dist, _ = cKDTree(fxy[sel]).query(vxy)
        r = float(radius[services == s][0])
        b = float(band[services == s][0])
        keep = services[d_fac] == s
        best = np.full(len(villages), np.inf)
        np.minimum.at(best, d_vil[keep], t[keep])
        by_radius = dist <= r
        by_network = best <= b
        cat = np.where(
            by_radius & by_network,
            "both",
            np.where(by_radius, "radius_only", np.where(by_network, "network_only", "neither")),
        )
        frames.append(
            pd.DataFrame(
                {
                    "service": s,
                    "distance_m": np.where(np.isfinite(dist), dist, np.nan),
                    "covered_by_radius": by_radius,
                    "travel_time_min": np.where(np.isfinite(best), best, np.nan),
                    "covered_by_network": by_network,
                    "category": pd.Categorical(cat, categories=CATEGORIES),
                },
                index=villages.index,
            )
        )
    if service_column is None:
        return frames[0].drop(columns="service")
    out = pd.concat(frames)
    name = villages.index.name or "village"
    out.index.name = name
    out = out.set_index("service", append=True)
    pos = vpos.reindex(out.index.get_level_values(0)).to_numpy()
    order = np.lexsort((out.index.get_level_values(1).astype(str), pos))
    out = out.iloc[order]
    out["category"] = pd.Categorical(out["category"], categories=CATEGORIES)
    return out


def _catchment_keys(catchments: gpd.GeoDataFrame) -> list[str]:
    keys = [
        c
        for c in ("facility", "service", "band_from_min", "band_min", "radius_m", "n_facilities")
        if c in catchments.columns
    ]
    return keys


def _points_in(catchments: gpd.GeoDataFrame, villages: gpd.GeoDataFrame) -> tuple[np.ndarray, ...]:
    """Pairs (village position, catchment position) with the village inside (or on) the polygon."""
    pts = villages.geometry
    if villages.crs != catchments.crs:
        pts = pts.to_crs(catchments.crs)
    tree = shapely.STRtree(catchments.geometry.to_numpy())
    v, c = tree.query(pts.to_numpy(), predicate="intersects")
    return v, c


def population_covered(
    catchments: gpd.GeoDataFrame,
    villages: gpd.GeoDataFrame,
    population_column: str = "population",
    *,
    population_raster: Any | None = None,
    raster_method: Literal["centre", "area"] = "area",
) -> pd.DataFrame:
    """People inside each catchment (per facility, or per service when dissolved, and band).

    From village points: the villages whose point lies inside (or on the edge of) the polygon,
    counted and summed. Overlapping catchments of different facilities each count a village (use
    dissolved catchments for people covered by a service without double counting).

    From a population raster (``population_raster``, e.g. WorldPop): zonal sums over each polygon
    with :func:`accessibility.raster.zonal_population` -- ``raster_method="area"`` (default)
    shares each cell by the part of it the polygon covers, so overlapping and nested catchments
    each get their full count; ``"centre"`` counts a cell in one polygon only and is wrong for
    overlapping polygons.

    Parameters
    ----------
    catchments
        Output of :func:`network_catchments` or :func:`coverage_radii`.
    villages
        Village points with ``population_column``.
    population_column
        Numeric column with the people of each village (NaN counts as 0, with a warning).
    population_raster
        Optional population GeoTIFF path or :class:`accessibility.raster.Raster`.
    raster_method
        ``"area"`` or ``"centre"`` (see above).

    Returns
    -------
    DataFrame
        Indexed like ``catchments``: its key columns (``facility``, ``service``,
        ``band_from_min``, ``band_min``, ``radius_m`` where present), ``n_villages``,
        ``population`` and, with a raster, ``population_raster``.

    Examples
    --------
    >>> import accessibility as acc
    >>> from accessibility.catchments import coverage_radii, population_covered
    >>> demo = acc.load_demo()
    >>> c = coverage_radii(demo.facilities.head(3), 2000)
    >>> bool(population_covered(c, demo.villages)["n_villages"].ge(0).all())
    True
    """
    _check_layer(catchments, "catchments", points=False)
    _check_layer(villages, "villages")
    if population_column not in villages.columns:
        raise MissingColumnError(
            f"the villages have no column {population_column!r}."
            f"{suggest(population_column, villages.columns)} Columns: {list(villages.columns)}"
        )
    pop = pd.to_numeric(villages[population_column], errors="coerce")
    bad = pop.isna() & villages[population_column].notna()
    if bad.any():
        raise InvalidValueError(
            f"{int(bad.sum())} values of {population_column!r} are not numbers, e.g. "
            f"{villages.loc[bad, population_column].head(3).tolist()}"
        )
    if pop.isna().any():
        warn(
            InputWarning,
            _log,
            "%d villages have no %s; counted as 0",
            int(pop.isna().sum()),
            population_column,
        )
    w = pop.fillna(0.0).to_numpy(np.float64)
    v, c = _points_in(catchments, villages)
    n = len(catchments)
    out = catchments[_catchment_keys(catchments)].copy()
    out["n_villages"] = np.bincount(c, minlength=n).astype(np.int64)
    out["population"] = np.bincount(c, weights=w[v], minlength=n)
    if population_raster is not None:
        from .raster import zonal_population

        geoms = catchments.geometry
        ok = ~(geoms.is_empty | geoms.isna())
        sums = np.zeros(n)
        if ok.any():
            sums[ok.to_numpy()] = zonal_population(
                population_raster, catchments.loc[ok], method=raster_method
            ).to_numpy()
        out["population_raster"] = sums
    return out


def uncovered_villages(
    catchments: gpd.GeoDataFrame,
    villages: gpd.GeoDataFrame,
    *,
    band_min: float | None = None,
    service: str | Sequence[str] | None = None,
) -> gpd.GeoDataFrame:
    """Villages outside every catchment of a service (the planning gaps).

    Parameters
    ----------
    catchments
        Output of :func:`network_catchments` (per facility or dissolved) or
        :func:`coverage_radii`.
    villages
        Village points.
    band_min
        Which band to test (default: the largest); ignored for radius circles.
    service
        Service(s) to test (default: every service in ``catchments``).

    Returns
    -------
    GeoDataFrame
        The villages' rows (index = village id, their columns and geometry, their CRS) that no
        catchment of the service contains, with ``service`` and ``distance_m`` (straight line to
        the nearest catchment of the service, metres in a metric CRS). One row per uncovered
        (village, service); sorted by service, then in the villages' order.

    Examples
    --------
    >>> import accessibility as acc
    >>> from accessibility.catchments import coverage_radii, uncovered_villages
    >>> demo = acc.load_demo()
    >>> c = coverage_radii(demo.facilities, 1500)
    >>> gaps = uncovered_villages(c, demo.villages)
    >>> bool((gaps["distance_m"] > 0).all())
    True
    """

    _check_layer(catchments, "catchments", points=False)
    _check_layer(villages, "villages")
    cat = catchments
    if "band_min" in cat.columns:
        bands = np.unique(cat["band_min"].to_numpy(np.float64))
        b = float(bands.max()) if band_min is None else float(band_min)
        if not np.isclose(bands, b).any():
            raise InvalidValueError(f"band_min={band_min} is not a band of the catchments {bands}")
        cat = cat[np.isclose(cat["band_min"].to_numpy(np.float64), b)]
        if "band_from_min" in cat.columns:
            raise InvalidValueError(
                "these catchments are rings (band_from_min); build them with rings=False to find "
                "villages outside every catchment"
            )
    names = list(pd.unique(cat["service"])) if "service" in cat.columns else ["all"]
    if service is not None:
        wanted = [service] if isinstance(service, str) else list(service)
        missing = [s for s in wanted if s not in names]
        if missing:
            raise InvalidValueError(
                f"service {missing[0]!r} has no catchment; services: {names}"
                + suggest(missing[0], names)
            )
        names = wanted
    work = metric_crs(villages)
    pts = villages.geometry.to_crs(work).to_numpy()
    parts = []
    for s in names:
        sub = cat[cat["service"] == s] if "service" in cat.columns else cat
        polys = sub.geometry.to_crs(work).to_numpy()
        tree = shapely.STRtree(polys)
        inside = np.zeros(len(villages), bool)
        vi, _ = tree.query(pts, predicate="intersects")
        inside[vi] = True
        out_idx = np.flatnonzero(~inside)
        if len(out_idx) == 0:
            continue
        _, dist = tree.query_nearest(pts[out_idx], return_distance=True, all_matches=False)
        rows = villages.iloc[out_idx].copy()
        rows["service"] = s
        rows["distance_m"] = dist
        parts.append(rows)
    if not parts:
        empty = villages.iloc[:0].copy()
        empty["service"] = pd.Series(dtype=object)
        empty["distance_m"] = pd.Series(dtype=np.float64)
        return empty
    return pd.concat(parts)
