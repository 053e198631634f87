"""The reached parts of the road network: geometry on edges and one bounded search per facility."""

from __future__ import annotations

import logging
import math
from collections.abc import Sequence
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from ..errors import InvalidValueError, SnapWarning, warn
from ..network import Network
from .checks import check_bands, check_direction, check_layer, facility_services

_log = logging.getLogger(__name__)


#: Default walking speed off the road (km/h).
WALK_SPEED_KMH = 5.0


def edge_arrays(network: Network) -> dict[str, np.ndarray]:
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


def substrings(
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
    from ..costs import attachments
    from ..snapping import locate

    located = locate(
        network,
        facilities,
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


def merge_intervals(
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


def prepare(
    network: Network,
    facilities: gpd.GeoDataFrame,
    *,
    mode: str,
    thresholds_min: float | Sequence[float],
    direction: str,
    walk_speed_kmh: float,
    max_snap_m: float,
    service_column: str | None,
) -> dict[str, Any]:
    """Validate inputs, locate the facilities and set up one search per facility."""
    check_layer(facilities, "facilities")
    if not isinstance(network, Network):
        raise InvalidValueError(f"network must be a Network, got {type(network).__name__}")
    network.check_mode(mode)
    check_direction(direction)
    bands = check_bands(thresholds_min)
    if not (walk_speed_kmh > 0 and math.isfinite(walk_speed_kmh)):
        raise InvalidValueError(f"walk_speed_kmh must be > 0, got {walk_speed_kmh}")
    services = facility_services(facilities, service_column)
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


def facility_pieces(
    p: dict[str, Any], i: int, bands: np.ndarray | None = None
) -> dict[str, np.ndarray]:
    """Search from facility ``i`` and return its reached pieces for every band."""
    from ..routing import distances_from

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
