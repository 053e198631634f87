"""Transit cost tables: walk + ride + transfer travel times over a departure window."""

from __future__ import annotations

import logging
import math
from collections.abc import Sequence

import numpy as np
import pandas as pd

from ..errors import InvalidValueError, MissingColumnError
from .raptor import UNREACHED, WAITS, compile_timetable, range_raptor
from .timetable import Timetable, parse_time_s
from .walk import stop_transfers

__all__ = ["transit_travel_times"]

log = logging.getLogger(__name__)

_COST = ("origin", "destination", "travel_time_min")
_CHUNK_BYTES = 256 * 2**20


def _table(df: pd.DataFrame, what: str) -> pd.DataFrame:
    if not isinstance(df, pd.DataFrame):
        raise InvalidValueError(f"{what} must be a cost table (DataFrame), got {type(df).__name__}")
    missing = [c for c in _COST if c not in df.columns]
    if missing:
        raise MissingColumnError(
            f"the {what} table has no column(s) {missing}; a cost table has columns "
            f"{list(_COST)} (as accessibility.travel_costs or straight_line_walk return)"
        )
    t = pd.to_numeric(df["travel_time_min"], errors="coerce")
    if t.isna().any() or (t < 0).any() or np.isinf(t).any():
        raise InvalidValueError(
            f"the {what} table has missing, negative or infinite travel_time_min values; "
            "drop unreachable pairs instead"
        )
    return df


def _stop_codes(labels: pd.Series, stop_index: pd.Index, what: str) -> np.ndarray:
    codes = stop_index.get_indexer(labels.astype(str))
    if (codes < 0).any():
        bad = labels[codes < 0].astype(str).unique()[:5].tolist()
        raise InvalidValueError(
            f"the {what} table names stops {bad} that are not in the timetable; use the stop ids "
            "of `timetable.stops()`"
        )
    return codes


def _seconds(minutes: pd.Series) -> np.ndarray:
    return np.round(pd.to_numeric(minutes).to_numpy(np.float64) * 60.0).astype(np.int64)


def _minutes(seconds: np.ndarray) -> np.ndarray:
    return np.where(seconds == UNREACHED, np.inf, seconds / 60.0)


def _nearest_rank(sorted_s: np.ndarray, p: float) -> np.ndarray:
    n = sorted_s.shape[-1]
    idx = max(0, math.ceil(p / 100.0 * n) - 1)
    return sorted_s[..., idx]


def transit_travel_times(
    timetable: Timetable,
    access: pd.DataFrame,
    egress: pd.DataFrame,
    *,
    direct: pd.DataFrame | None = None,
    transfers: pd.DataFrame | None = None,
    window: tuple[str, str] = ("07:00", "09:00"),
    step_min: int = 1,
    percentiles: Sequence[float] = (50, 80),
    max_transfers: int = 2,
    max_walk_min: float | None = None,
    max_time_min: float = 120.0,
    wait: str = "schedule",
    pupils: bool = False,
    by_departure: bool = False,
    n_jobs: int | None = None,
) -> pd.DataFrame:
    """Door-to-door transit travel times (walk, wait, ride, transfer, walk) over a window.

    For every departure time ``t`` of the window (``window[0]``, every ``step_min`` minutes,
    before ``window[1]``) a range RAPTOR search (:mod:`accessibility.transit.raptor`) finds the
    earliest arrival at each destination; the travel time is ``arrival - t`` (waits included),
    or walking straight there if that is quicker. The times over the window are summarised by
    percentiles (nearest rank, unreachable departures counting as infinitely long), as r5 does.

    Parameters
    ----------
    timetable
        From :func:`~accessibility.transit.read_line_table`,
        :func:`~accessibility.transit.timetable_from_line_table` or
        :func:`~accessibility.transit.timetable_from_gtfs`.
    access
        Cost table origin -> stop (``destination`` holds stop ids): the walks to the stops, e.g.
        :func:`~accessibility.transit.straight_line_walk` or :func:`accessibility.travel_costs`
        with ``mode="walk"`` to ``timetable.stops()``.
    egress
        Cost table stop -> destination (``origin`` holds stop ids).
    direct
        Cost table origin -> destination of walking without transit; none if omitted.
    transfers
        Cost table stop -> stop of foot transfers; default
        :func:`~accessibility.transit.stop_transfers` (straight line within 400 m, 4.8 km/h,
        detour 1.3). Pass an empty table to allow only transfers at the same stop.
    window
        First and end departure time (``"HH:MM"``); the end is excluded.
    step_min
        Minutes between departures.
    percentiles
        Percentiles of the travel time over the window (0 < p <= 100). The first one is also
        returned as ``travel_time_min``.
    max_transfers
        At most this many transfers (``max_transfers + 1`` rides).
    max_walk_min
        Longest single walk (access, egress, transfer or direct); longer links are dropped.
    max_time_min
        Longest travel time; longer ones count as unreachable.
    wait
        ``"schedule"`` (timetabled vehicles; frequency periods expanded), ``"half_headway"``
        (frequency-based lines boarded half a headway after reaching the stop, every boarding) or
        ``"planned"`` (no initial wait: ``A(t) - t*`` with ``A(t)`` the earliest transit arrival
        departing at ``t`` and ``t* >= t`` the latest departure still arriving at ``A(t)``; or the
        direct walk if shorter).
    pupils
        Allow school runs only pupils may ride (``riders = "pupils"``), e.g. for school services.
    by_departure
        Return one row per origin × destination × departure (column ``departure``, ``"HH:MM"``)
        with its ``travel_time_min`` instead of percentiles.
    n_jobs
        Threads for the search (default: the ``n_jobs`` option); results do not depend on it.

    Returns
    -------
    pandas.DataFrame
        Cost table ``origin``, ``destination``, ``travel_time_min`` and one
        ``travel_time_min_p{p}`` column per percentile (``inf`` where that percentile is
        unreachable); pairs whose ``travel_time_min`` is unreachable are absent.
        ``attrs["max_time_min"]`` records the cut-off, ``attrs["wait"]`` the semantics.

    Examples
    --------
    One bus line A -> B (10 minutes), every 30 minutes from 07:00; the village is at stop A,
    the school 5 minutes' walk from B:

    >>> import pandas as pd
    >>> from accessibility.transit import timetable_from_line_table, transit_travel_times
    >>> stops = pd.DataFrame({"line_id": ["1", "1"], "stop_seq": [1, 2],
    ...     "stop_name": ["A", "B"], "x": [0, 5000], "y": [0, 0], "run_min": [10, None]})
    >>> lines = pd.DataFrame({"line_id": ["1"], "line_name": ["A-B"], "day_type": ["weekday"],
    ...     "first": ["07:00"], "last": ["09:00"], "headway_min": [30]})
    >>> tt = timetable_from_line_table(stops, lines, crs="EPSG:32650")
    >>> access = pd.DataFrame({"origin": ["village"], "destination": ["A"], "travel_time_min": [0.0]})
    >>> egress = pd.DataFrame({"origin": ["B"], "destination": ["school"], "travel_time_min": [5.0]})
    >>> for wait in ("schedule", "half_headway", "planned"):
    ...     r = transit_travel_times(tt, access, egress, window=("07:00", "08:00"), wait=wait)
    ...     print(wait, r[["travel_time_min_p50", "travel_time_min_p80"]].iloc[0].tolist())
    schedule [29.0, 38.0]
    half_headway [30.0, 30.0]
    planned [15.0, 15.0]
    """
    if wait not in WAITS:
        raise InvalidValueError(f"wait={wait!r}; use one of {list(WAITS)}")
    pcts = [float(p) for p in percentiles]
    if not pcts or any(not 0 < p <= 100 for p in pcts):
        raise InvalidValueError(f"percentiles={list(percentiles)} must be in (0, 100]")
    if int(max_transfers) != max_transfers or max_transfers < 0:
        raise InvalidValueError(f"max_transfers={max_transfers} must be a whole number >= 0")
    if not max_time_min > 0:
        raise InvalidValueError(f"max_time_min={max_time_min} must be positive")
    if int(step_min) != step_min or step_min < 1:
        raise InvalidValueError(f"step_min={step_min} must be a whole number of minutes >= 1")
    t0, t1 = parse_time_s(window[0]), parse_time_s(window[1])
    if t1 <= t0:
        raise InvalidValueError(f"window={tuple(window)}: the end must be after the start")
    grid = np.arange(t0, t1, int(step_min) * 60, dtype=np.int64)

    access = _table(access, "access")
    egress = _table(egress, "egress")
    direct = _table(direct, "direct") if direct is not None else pd.DataFrame(columns=list(_COST))
    if transfers is None:
        transfers = stop_transfers(timetable)
        log.info("transit: %d straight-line foot transfers between stops (400 m)", len(transfers))
    transfers = _table(transfers, "transfers")
    if max_walk_min is not None:
        access, egress, direct, transfers = (
            t[pd.to_numeric(t["travel_time_min"]) <= max_walk_min]
            for t in (access, egress, direct, transfers)
        )

    stop_index = pd.Index(timetable.stop_ids.astype(str))
    origins = pd.Index(pd.concat([access["origin"], direct["origin"]]).unique())
    dests = pd.Index(pd.concat([egress["destination"], direct["destination"]]).unique())
    a_o = origins.get_indexer(access["origin"])
    a_s = _stop_codes(access["destination"], stop_index, "access")
    e_s = _stop_codes(egress["origin"], stop_index, "egress")
    e_d = dests.get_indexer(egress["destination"])
    tr_a = _stop_codes(transfers["origin"], stop_index, "transfers")
    tr_b = _stop_codes(transfers["destination"], stop_index, "transfers")
    d_o = origins.get_indexer(direct["origin"])
    d_d = dests.get_indexer(direct["destination"])

    ct = compile_timetable(timetable, wait=wait, pupils=pupils)
    n_o, n_d, n_g = len(origins), len(dests), len(grid)
    chunk = max(1, _CHUNK_BYTES // max(1, n_d * n_g * 4))
    max_time_s = round(max_time_min * 60)
    log.info(
        "transit: %d origins x %d destinations x %d departures, %d routes, wait=%s",
        n_o,
        n_d,
        n_g,
        ct.n_routes,
        wait,
    )
    labels = [f"{s // 3600:02d}:{s % 3600 // 60:02d}" for s in grid]
    parts = []
    for lo in range(0, n_o, chunk):
        hi = min(n_o, lo + chunk)
        sel_a = (a_o >= lo) & (a_o < hi)
        sel_d = (d_o >= lo) & (d_o < hi)
        cube = range_raptor(
            ct,
            departures_s=grid,
            access=(a_o[sel_a] - lo, a_s[sel_a], _seconds(access["travel_time_min"])[sel_a]),
            egress=(e_s, e_d, _seconds(egress["travel_time_min"])),
            transfers=(tr_a, tr_b, _seconds(transfers["travel_time_min"])),
            direct=(d_o[sel_d] - lo, d_d[sel_d], _seconds(direct["travel_time_min"])[sel_d]),
            n_origins=hi - lo,
            n_destinations=n_d,
            max_transfers=int(max_transfers),
            max_time_s=max_time_s,
            n_jobs=n_jobs,
        )
        oi, di = np.meshgrid(np.arange(lo, hi), np.arange(n_d), indexing="ij")
        if by_departure:
            ok = cube != UNREACHED
            o3, d3, g3 = np.nonzero(ok)
            parts.append(
                pd.DataFrame(
                    {
                        "origin": origins[o3 + lo],
                        "destination": dests[d3],
                        "departure": pd.Categorical.from_codes(g3, categories=labels),
                        "travel_time_min": cube[ok] / 60.0,
                    }
                )
            )
            continue
        srt = np.sort(cube, axis=2)  # UNREACHED (the largest int32) sorts last
        cols = {f"travel_time_min_p{p:g}": _minutes(_nearest_rank(srt, p).ravel()) for p in pcts}
        first = cols[f"travel_time_min_p{pcts[0]:g}"]
        ok = np.isfinite(first)
        part = pd.DataFrame(
            {
                "origin": origins[oi.ravel()[ok]],
                "destination": dests[di.ravel()[ok]],
                "travel_time_min": first[ok],
                **{k: v[ok] for k, v in cols.items()},
            }
        )
        parts.append(part)
    columns = (
        ["origin", "destination", "departure", "travel_time_min"]
        if by_departure
        else [*_COST, *(f"travel_time_min_p{p:g}" for p in pcts)]
    )
    out = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=columns)
    out.attrs["max_time_min"] = float(max_time_min)
    out.attrs["wait"] = wait
    out.attrs["window"] = (str(window[0]), str(window[1]))
    return out
