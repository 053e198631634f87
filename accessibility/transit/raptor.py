"""Range RAPTOR over a departure window, compiled with numba.

The engine works on plain arrays made from a :class:`~accessibility.transit.Timetable` by
:func:`compile_timetable`: routes (stop sequences whose trips never overtake each other), their
trips' times, the routes at every stop, foot transfers between stops, and per-origin access and
per-stop egress walks. :func:`range_raptor` returns the travel time for every origin ×
destination × departure time of a window (seconds; ``UNREACHED`` when none within the limits).

A journey is: walk from the origin to a stop (access), ride, then any number of times (up to
``max_transfers``) walk one transfer between stops (or stay) and ride again, then walk from the
stop where the last ride ends to the destination (egress). Walking straight from the origin to
the destination (``direct``) is also a journey. Boarding needs arrival at the stop no later than
the departure.

Wait semantics (``wait=``):

``"schedule"``
    Vehicles run at their timetabled times (frequency periods expanded to single vehicles); the
    travel time runs from the departure time at the origin, waits included.
``"half_headway"``
    Vehicles of frequency-based trips are boarded half a headway (the headway of the period in
    force) after reaching the stop, at every boarding; before a period starts, the first vehicle
    of the period is waited for. Trips with a timetable keep it.
``"planned"``
    No initial wait: the traveller leaves the origin as late as possible while still arriving as
    early as possible, i.e. the time is ``A(t) - t*`` with ``A(t)`` the earliest arrival by transit
    for departure ``t`` and ``t* >= t`` the latest departure arriving at ``A(t)``; or the direct
    walk if that is shorter. ``t*`` is exact: besides the window's departures the search runs at
    every time a first boarding stops being possible (a departure at a stop minus the access walk).
"""

from __future__ import annotations

import logging
import math
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, fields
from typing import Any

import numpy as np
from numba import njit

from ..errors import InvalidValueError
from ..options import resolve_n_jobs
from .timetable import Timetable

__all__ = ["UNREACHED", "WAITS", "CompiledTimetable", "compile_timetable", "range_raptor"]

log = logging.getLogger(__name__)

UNREACHED = np.iinfo(np.int32).max
_INF = np.int64(2**62)
WAITS = ("schedule", "half_headway", "planned")


@dataclass(frozen=True, eq=False)
class CompiledTimetable:
    """Routing arrays of a timetable for one wait semantics and rider group (see module doc)."""

    n_stops: int
    r_stop_ptr: np.ndarray
    r_stops: np.ndarray
    r_ntrips: np.ndarray
    r_base: np.ndarray
    r_freq: np.ndarray
    r_per_ptr: np.ndarray
    per_start: np.ndarray
    per_last: np.ndarray
    per_head: np.ndarray
    t_arr: np.ndarray
    t_dep: np.ndarray
    s_r_ptr: np.ndarray
    s_r_route: np.ndarray
    s_r_pos: np.ndarray
    wait: str
    pupils: bool

    @property
    def n_routes(self) -> int:
        return len(self.r_ntrips)


def _fifo_chains(arr: np.ndarray, dep: np.ndarray) -> list[list[int]]:
    """Split trips (rows, sorted by first departure) into chains where no trip overtakes."""
    chains: list[list[int]] = []
    for j in range(arr.shape[0]):
        for ch in chains:
            last = ch[-1]
            if np.all(arr[j] >= arr[last]) and np.all(dep[j] >= dep[last]):
                ch.append(j)
                break
        else:
            chains.append([j])
    return chains


def compile_timetable(
    tt: Timetable, *, wait: str = "schedule", pupils: bool = False
) -> CompiledTimetable:
    """Routing arrays for :func:`range_raptor`.

    Parameters
    ----------
    tt
        The timetable.
    wait
        ``"schedule"``, ``"half_headway"`` or ``"planned"``: with ``"half_headway"`` the
        frequency templates become frequency routes, otherwise their periods are expanded into
        single vehicles.
    pupils
        Keep school runs only pupils may ride (``pupils_only`` trips); dropped otherwise.
    """
    if wait not in WAITS:
        raise InvalidValueError(f"wait={wait!r}; use one of {list(WAITS)}")
    keep = np.ones(tt.n_trips, bool) if pupils else ~tt.trip_pupils_only
    freq_of: dict[int, list[int]] = {}
    for i, t in enumerate(tt.freq_trip.tolist()):
        freq_of.setdefault(t, []).append(i)

    patterns: dict[tuple[int, ...], list[tuple[np.ndarray, np.ndarray]]] = {}
    freq_routes: list[tuple[tuple[int, ...], np.ndarray, np.ndarray, list[int]]] = []
    for t in np.flatnonzero(keep).tolist():
        lo, hi = tt.trip_ptr[t], tt.trip_ptr[t + 1]
        stops = tuple(tt.event_stop[lo:hi].tolist())
        arr, dep = tt.event_arr_s[lo:hi], tt.event_dep_s[lo:hi]
        if t in freq_of:
            rel_a, rel_d = arr - dep[0], dep - dep[0]
            if wait == "half_headway":
                freq_routes.append((stops, rel_a, rel_d, freq_of[t]))
                continue
            for p in freq_of[t]:
                for t0 in range(
                    int(tt.freq_start_s[p]), int(tt.freq_end_s[p]), int(tt.freq_headway_s[p])
                ):
                    patterns.setdefault(stops, []).append((rel_a + t0, rel_d + t0))
        else:
            patterns.setdefault(stops, []).append((arr, dep))

    r_stops, r_ptr, r_nt, r_base, r_freq, r_pp = [], [0], [], [], [], [0]
    p_start, p_last, p_head = [], [], []
    t_arr, t_dep = [], []
    nbase = 0

    def add_route(stops, arr2d, dep2d, periods=None):
        nonlocal nbase
        r_stops.extend(stops)
        r_ptr.append(len(r_stops))
        r_nt.append(arr2d.shape[0])
        r_base.append(nbase)
        t_arr.append(arr2d.ravel())
        t_dep.append(dep2d.ravel())
        nbase += arr2d.size
        r_freq.append(periods is not None)
        for p in periods or []:
            start, end, head = (
                int(tt.freq_start_s[p]),
                int(tt.freq_end_s[p]),
                int(tt.freq_headway_s[p]),
            )
            p_start.append(start)
            p_last.append(start + (end - 1 - start) // head * head)
            p_head.append(head)
        r_pp.append(len(p_start))

    for stops, trips in patterns.items():
        arr = np.array([a for a, _ in trips], dtype=np.int64)
        dep = np.array([d for _, d in trips], dtype=np.int64)
        order = np.lexsort((arr[:, -1], dep[:, 0]))
        arr, dep = arr[order], dep[order]
        for ch in _fifo_chains(arr, dep):
            add_route(stops, arr[ch], dep[ch])
    for stops, rel_a, rel_d, periods in freq_routes:
        periods = sorted(periods, key=lambda p: tt.freq_start_s[p])
        add_route(stops, rel_a[None, :], rel_d[None, :], periods)

    n_r = len(r_nt)
    r_stops_a = np.array(r_stops, dtype=np.int64)
    r_ptr_a = np.array(r_ptr, dtype=np.int64)
    # routes at each stop, with the stop's (first) position in the route
    route_of = np.repeat(np.arange(n_r), np.diff(r_ptr_a))
    pos_of = np.arange(len(r_stops_a)) - r_ptr_a[route_of]
    order = np.lexsort((pos_of, route_of, r_stops_a))
    s_sorted, r_sorted, p_sorted = r_stops_a[order], route_of[order], pos_of[order]
    s_r_ptr = np.searchsorted(s_sorted, np.arange(tt.n_stops + 1)).astype(np.int64)
    return CompiledTimetable(
        n_stops=tt.n_stops,
        r_stop_ptr=r_ptr_a,
        r_stops=r_stops_a,
        r_ntrips=np.array(r_nt, dtype=np.int64),
        r_base=np.array(r_base, dtype=np.int64),
        r_freq=np.array(r_freq, dtype=np.bool_),
        r_per_ptr=np.array(r_pp, dtype=np.int64),
        per_start=np.array(p_start, dtype=np.int64),
        per_last=np.array(p_last, dtype=np.int64),
        per_head=np.array(p_head, dtype=np.int64),
        t_arr=np.concatenate(t_arr) if t_arr else np.zeros(0, np.int64),
        t_dep=np.concatenate(t_dep) if t_dep else np.zeros(0, np.int64),
        s_r_ptr=s_r_ptr,
        s_r_route=r_sorted.astype(np.int64),
        s_r_pos=p_sorted.astype(np.int64),
        wait=wait,
        pupils=pupils,
    )


# --------------------------------------------------------------------------------------------
# the compiled kernel
# --------------------------------------------------------------------------------------------


@njit(cache=True, nogil=True)
def _set_up(lab, k, s, a, K):
    """lab[k'][s] = min(lab[k'][s], a) for k' >= k (labels are 'at most k rides')."""
    for kk in range(k, K + 1):
        if a < lab[kk, s]:
            lab[kk, s] = a


@njit(cache=True, nogil=True)
def _by_vehicle(k, s, a, K, tv, tau, vmark, vlist, nv, mark, mlist, nmark):
    """Record arrival a at stop s by a vehicle in round k; returns the new list lengths."""
    _set_up(tv, k, s, a, K)
    if not vmark[s]:
        vmark[s] = True
        vlist[nv] = s
        nv += 1
    if a < tau[k, s]:
        _set_up(tau, k, s, a, K)
        if not mark[s]:
            mark[s] = True
            mlist[nmark] = s
            nmark += 1
    return nv, nmark


@njit(cache=True, nogil=True)
def _freq_board(x, p_lo, p_hi, per_start, per_last, per_head):
    """Virtual first-stop departure boarded by someone there at virtual time x (half headway)."""
    best = _INF
    for p in range(p_lo, p_hi):
        if x > per_last[p]:
            continue
        c = per_start[p] if x < per_start[p] else x + per_head[p] // 2
        if c < best:
            best = c
    return best


@njit(cache=True, nogil=True)
def _one_origin(
    o,
    deps,
    is_grid,
    g_index,
    K,
    max_time,
    planned,
    n_s,
    r_stop_ptr,
    r_stops,
    r_ntrips,
    r_base,
    r_freq,
    r_per_ptr,
    per_start,
    per_last,
    per_head,
    t_arr,
    t_dep,
    s_r_ptr,
    s_r_route,
    s_r_pos,
    tr_ptr,
    tr_to,
    tr_w,
    a_ptr,
    a_stop,
    a_w,
    e_ptr,
    e_dest,
    e_w,
    d_ptr,
    d_dest,
    d_w,
    out_o,
):
    n_r = len(r_ntrips)
    n_d = out_o.shape[0]
    tau = np.full((K + 1, n_s), _INF, np.int64)  # vehicle or vehicle + transfer walk
    tv = np.full((K + 1, n_s), _INF, np.int64)  # by vehicle
    q_pos = np.full(n_r, -1, np.int64)
    q_list = np.empty(n_r, np.int64)
    mark = np.zeros(n_s, np.bool_)
    mlist = np.empty(n_s, np.int64)
    nmark = np.int64(0)
    vmark = np.zeros(n_s, np.bool_)
    vlist = np.empty(n_s, np.int64)
    walk = np.full(n_d, _INF, np.int64)
    for i in range(d_ptr[o], d_ptr[o + 1]):
        if d_w[i] < walk[d_dest[i]]:
            walk[d_dest[i]] = d_w[i]
    arr_d = np.empty(n_d, np.int64)
    prev = np.full(n_d, _INF, np.int64)
    tstar = np.zeros(n_d, np.int64)

    for di in range(len(deps) - 1, -1, -1):
        t = deps[di]
        # planned times need the exact earliest arrival (the latest departure t* may be late)
        bound = _INF if planned else t + max_time
        nmark = np.int64(0)
        for i in range(a_ptr[o], a_ptr[o + 1]):
            s = a_stop[i]
            a = t + a_w[i]
            if a < tau[0, s]:
                tau[0, s] = a
                if not mark[s]:
                    mark[s] = True
                    mlist[nmark] = s
                    nmark += 1
        for k in range(1, K + 1):
            if nmark == 0:
                break
            nq = 0
            for mi in range(nmark):
                s = mlist[mi]
                mark[s] = False
                for e in range(s_r_ptr[s], s_r_ptr[s + 1]):
                    r = s_r_route[e]
                    p = s_r_pos[e]
                    if q_pos[r] < 0:
                        q_pos[r] = p
                        q_list[nq] = r
                        nq += 1
                    elif p < q_pos[r]:
                        q_pos[r] = p
            nmark = np.int64(0)
            nv = np.int64(0)
            for qi in range(nq):
                r = q_list[qi]
                p0 = r_stop_ptr[r]
                n = r_stop_ptr[r + 1] - p0
                base = r_base[r]
                if r_freq[r]:
                    T0 = _INF
                    for i in range(q_pos[r], n):
                        s = r_stops[p0 + i]
                        if T0 < _INF:
                            a = T0 + t_arr[base + i]
                            if a <= bound and a < tv[k, s]:
                                nv, nmark = _by_vehicle(
                                    k, s, a, K, tv, tau, vmark, vlist, nv, mark, mlist, nmark
                                )
                        tp = tau[k - 1, s]
                        if tp < _INF:
                            c = _freq_board(
                                tp - t_dep[base + i],
                                r_per_ptr[r],
                                r_per_ptr[r + 1],
                                per_start,
                                per_last,
                                per_head,
                            )
                            if c < T0:
                                T0 = c
                else:
                    nt = r_ntrips[r]
                    j = -1
                    for i in range(q_pos[r], n):
                        s = r_stops[p0 + i]
                        if j >= 0:
                            a = t_arr[base + j * n + i]
                            if a <= bound and a < tv[k, s]:
                                nv, nmark = _by_vehicle(
                                    k, s, a, K, tv, tau, vmark, vlist, nv, mark, mlist, nmark
                                )
                        tp = tau[k - 1, s]
                        if tp < _INF:
                            hi = j if j >= 0 else nt
                            lo = 0
                            while lo < hi:  # first trip leaving stop i at or after tp
                                mid = (lo + hi) // 2
                                if t_dep[base + mid * n + i] >= tp:
                                    hi = mid
                                else:
                                    lo = mid + 1
                            if lo < (j if j >= 0 else nt):
                                j = lo
                q_pos[r] = -1
            # one transfer walk from the stops reached by a vehicle in this round
            for vi in range(nv):
                s = vlist[vi]
                vmark[s] = False
                base_t = tv[k, s]
                for e in range(tr_ptr[s], tr_ptr[s + 1]):
                    s2 = tr_to[e]
                    b = base_t + tr_w[e]
                    if b <= bound and b < tau[k, s2]:
                        _set_up(tau, k, s2, b, K)
                        if not mark[s2]:
                            mark[s2] = True
                            mlist[nmark] = s2
                            nmark += 1
        for mi in range(nmark):
            mark[mlist[mi]] = False
        # destinations: egress from stops reached by a vehicle
        arr_d[:] = _INF
        for s in range(n_s):
            a = tv[K, s]
            if a < _INF:
                for e in range(e_ptr[s], e_ptr[s + 1]):
                    b = a + e_w[e]
                    if b < arr_d[e_dest[e]]:
                        arr_d[e_dest[e]] = b
        if planned:
            for d in range(n_d):
                if arr_d[d] != prev[d]:
                    prev[d] = arr_d[d]
                    tstar[d] = t
        if is_grid[di]:
            g = g_index[di]
            for d in range(n_d):
                if planned:
                    tt = prev[d] - tstar[d] if prev[d] < _INF else _INF
                else:
                    tt = arr_d[d] - t if arr_d[d] < _INF else _INF
                if walk[d] < tt:
                    tt = walk[d]
                out_o[d, g] = tt if tt <= max_time else 2147483647


@njit(cache=True, nogil=True)
def _planned_departures(
    o, grid, r_stop_ptr, r_ntrips, r_base, t_dep, s_r_ptr, s_r_route, s_r_pos, a_ptr, a_stop, a_w
):
    """The window's departures plus every later time at which a first boarding from origin o
    stops being possible (departure at the stop minus the access walk), sorted without repeats;
    with a flag and the window index of the window's own departures."""
    n = 0
    for i in range(a_ptr[o], a_ptr[o + 1]):
        for e in range(s_r_ptr[a_stop[i]], s_r_ptr[a_stop[i] + 1]):
            n += r_ntrips[s_r_route[e]]
    both = np.empty(len(grid) + n, np.int64)
    for i in range(len(grid)):  # a loop: numba's slice copy compiles string formatting
        both[i] = grid[i]
    n = len(grid)
    for i in range(a_ptr[o], a_ptr[o + 1]):
        s = a_stop[i]
        for e in range(s_r_ptr[s], s_r_ptr[s + 1]):
            r = s_r_route[e]
            p = s_r_pos[e]
            m = r_stop_ptr[r + 1] - r_stop_ptr[r]
            for j in range(r_ntrips[r]):
                c = t_dep[r_base[r] + j * m + p] - a_w[i]
                if c >= grid[0]:
                    both[n] = c
                    n += 1
    both = np.sort(both[:n])
    allt = np.empty(n, np.int64)
    n_all = 0
    for i in range(n):
        if n_all == 0 or both[i] != allt[n_all - 1]:
            allt[n_all] = both[i]
            n_all += 1
    allt = allt[:n_all]
    is_grid = np.zeros(n_all, np.bool_)
    g_index = np.zeros(n_all, np.int64)
    gi = 0
    for i in range(n_all):
        if gi < len(grid) and allt[i] == grid[gi]:
            is_grid[i] = True
            g_index[i] = gi
            gi += 1
    return allt, is_grid, g_index


def _int_arrays(pairs: Sequence[Any]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(from, to, seconds) of a walking leg table as int64 arrays."""
    a, b, w = pairs
    return np.asarray(a, np.int64), np.asarray(b, np.int64), np.asarray(w, np.int64)


def _csr(src: np.ndarray, dst: np.ndarray, w: np.ndarray, n_src: int) -> tuple[np.ndarray, ...]:
    order = np.lexsort((w, dst, src))
    src, dst, w = src[order], dst[order], w[order]
    ptr = np.searchsorted(src, np.arange(n_src + 1)).astype(np.int64)
    return ptr, dst.astype(np.int64), w.astype(np.int64)


def range_raptor(
    ct: CompiledTimetable,
    *,
    departures_s: np.ndarray,
    access: tuple[np.ndarray, np.ndarray, np.ndarray],
    egress: tuple[np.ndarray, np.ndarray, np.ndarray],
    transfers: tuple[np.ndarray, np.ndarray, np.ndarray],
    direct: tuple[np.ndarray, np.ndarray, np.ndarray],
    n_origins: int,
    n_destinations: int,
    max_transfers: int,
    max_time_s: int,
    n_jobs: int | None = None,
) -> np.ndarray:
    """Travel times (int32 seconds) for every origin × destination × departure.

    Parameters
    ----------
    ct
        From :func:`compile_timetable`.
    departures_s
        Departure times (seconds after midnight), strictly increasing.
    access, egress, transfers, direct
        ``(from, to, seconds)`` integer arrays: origin -> stop, stop -> destination, stop -> stop,
        origin -> destination (positional indices).
    n_origins, n_destinations
        Sizes of the origin and destination index ranges.
    max_transfers
        At most ``max_transfers + 1`` rides.
    max_time_s
        Longer travel times are :data:`UNREACHED`.
    n_jobs
        Threads (default: the ``n_jobs`` option, all cores). Results do not depend on it.

    Returns
    -------
    numpy.ndarray
        Shape ``(n_origins, n_destinations, len(departures_s))``, int32, :data:`UNREACHED` where
        the destination cannot be reached within ``max_time_s``.
    """
    grid = np.asarray(departures_s, dtype=np.int64)
    if grid.ndim != 1 or len(grid) == 0 or np.any(np.diff(grid) <= 0):
        raise InvalidValueError("departure times must be a non-empty, strictly increasing array")
    legs = {
        "transfer": _csr(*_int_arrays(transfers), ct.n_stops),
        "access": _csr(*_int_arrays(access), n_origins),
        "egress": _csr(*_int_arrays(egress), ct.n_stops),
        "direct": _csr(*_int_arrays(direct), n_origins),
    }
    for name, (_, _, w) in legs.items():
        if len(w) and w.min() < 0:
            raise InvalidValueError(f"{name} walking times must not be negative")
    out = np.empty((n_origins, n_destinations, len(grid)), np.int32)
    n_jobs = min(resolve_n_jobs(n_jobs), max(1, n_origins))
    planned = ct.wait == "planned"
    # the kernel's arguments after the departure grid: the timetable's arrays in field order,
    # then (ptr, to, seconds) of the transfer, access, egress and direct legs
    timetable = (getattr(ct, f.name) for f in fields(ct) if f.name not in ("wait", "pupils"))
    net = (*timetable, *(a for leg in legs.values() for a in leg))
    K, max_time = int(max_transfers) + 1, int(max_time_s)
    grid_flags = (grid, np.ones(len(grid), np.bool_), np.arange(len(grid), dtype=np.int64))

    def block(lo_hi: tuple[int, int]) -> None:
        # one compiled call per origin (the kernels release the GIL); kept apart rather than
        # nested in one kernel, which would make numba re-optimise them together (slow to compile)
        for o in range(*lo_hi):
            deps = (
                _planned_departures(
                    o,
                    grid,
                    ct.r_stop_ptr,
                    ct.r_ntrips,
                    ct.r_base,
                    ct.t_dep,
                    ct.s_r_ptr,
                    ct.s_r_route,
                    ct.s_r_pos,
                    *legs["access"],
                )
                if planned
                else grid_flags
            )
            _one_origin(o, *deps, K, max_time, planned, *net, out[o])  # type: ignore[call-arg]  # numba stubs

    per = max(1, min(16, math.ceil(n_origins / (4 * n_jobs))))
    blocks = [(lo, min(n_origins, lo + per)) for lo in range(0, n_origins, per)]
    if n_jobs == 1 or len(blocks) == 1:
        for b in blocks:
            block(b)
    else:
        with ThreadPoolExecutor(n_jobs) as pool:
            list(pool.map(block, blocks))
    return out
