"""Timetables: county line tables and GTFS feeds as plain arrays.

A :class:`Timetable` holds stops (ids, names, x/y in one projected metric CRS), trips (the stops
each trip serves in order with arrival and departure times in seconds after midnight, the line it
belongs to, whether only pupils may ride it) and the frequency periods of frequency-based trips.
It is built from

* a county **line table** (:func:`timetable_from_line_table`, :func:`read_line_table`): one row
  per line × stop and one row per line × day type, as CSV, GeoPackage or TOML (see
  ``docs/transit.md``);
* a **GTFS** zip (:func:`timetable_from_gtfs`, read with ``gtfs-kit``, the optional extra
  ``accessibility[transit]``), ``frequencies.txt`` included.

Frequency-based trips are kept as a template trip plus periods ``(start, end, headway)``; the
search expands them to single vehicles (``start, start + headway, ... < end``, GTFS
``exact_times`` semantics) or, with ``wait="half_headway"``, boards them after half the headway.
"""

from __future__ import annotations

import itertools
import logging
import os
import re
import tomllib
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pyproj import CRS

from ..errors import (
    CRSError,
    DuplicateIdError,
    EmptyLayerError,
    InputFileError,
    InvalidValueError,
    MissingColumnError,
    suggest,
)
from ..validate import InputWarning

__all__ = [
    "Timetable",
    "parse_time_s",
    "read_line_table",
    "read_line_tables",
    "road_run_times",
    "timetable_from_gtfs",
    "timetable_from_line_table",
]

log = logging.getLogger(__name__)

RIDERS = ("all", "pupils")


@dataclass(frozen=True, eq=False)
class Timetable:
    """Stops, trips and frequency periods of a transit service, as plain arrays.

    Attributes
    ----------
    stop_ids, stop_names
        One entry per stop (object arrays); ``stop_ids`` are unique.
    stop_x_m, stop_y_m
        Stop coordinates in ``crs`` (projected, metres).
    crs
        The projected metric CRS of the coordinates.
    trip_ids, trip_line_ids, trip_line_names
        One entry per trip.
    trip_pupils_only
        True for school runs only pupils may ride (``riders = "pupils"`` in a line table).
    trip_ptr
        CSR pointer: the stop events of trip ``t`` are ``trip_ptr[t]:trip_ptr[t + 1]``.
    event_stop, event_arr_s, event_dep_s
        Stop index, arrival and departure (seconds after midnight) of each stop event.
    freq_trip, freq_start_s, freq_end_s, freq_headway_s
        Frequency periods: trip ``freq_trip[i]`` is a template whose vehicles leave its first stop
        at ``start, start + headway, ...`` while ``< end`` (seconds after midnight). A trip with
        periods runs only as its periods say; its own times give the running times.
    description
        Where the timetable came from (file, day type or service date).
    """

    stop_ids: np.ndarray
    stop_names: np.ndarray
    stop_x_m: np.ndarray
    stop_y_m: np.ndarray
    crs: CRS
    trip_ids: np.ndarray
    trip_line_ids: np.ndarray
    trip_line_names: np.ndarray
    trip_pupils_only: np.ndarray
    trip_ptr: np.ndarray
    event_stop: np.ndarray
    event_arr_s: np.ndarray
    event_dep_s: np.ndarray
    freq_trip: np.ndarray
    freq_start_s: np.ndarray
    freq_end_s: np.ndarray
    freq_headway_s: np.ndarray
    description: str = ""

    def __post_init__(self) -> None:
        _check_timetable(self)

    @property
    def n_stops(self) -> int:
        """Number of stops."""
        return len(self.stop_ids)

    @property
    def n_trips(self) -> int:
        """Number of trips (a frequency template counts once)."""
        return len(self.trip_ids)

    def stops(self) -> gpd.GeoDataFrame:
        """The stops as points indexed by stop id (columns ``name``), in :attr:`crs`.

        Feed it to :func:`accessibility.travel_costs` (``mode="walk"``) to get road-network access
        and egress walks.
        """
        return gpd.GeoDataFrame(
            {"name": self.stop_names},
            geometry=shapely.points(self.stop_x_m, self.stop_y_m),
            index=pd.Index(self.stop_ids, name="stop_id"),
            crs=self.crs,
        )

    def trips(self) -> pd.DataFrame:
        """One row per trip: ``trip_id``, ``line_id``, ``line_name``, ``pupils_only``,
        ``n_stops``, ``first_dep_s`` and ``frequency`` (True for a frequency template)."""
        first = self.event_dep_s[self.trip_ptr[:-1]] if self.n_trips else np.zeros(0, np.int64)
        return pd.DataFrame(
            {
                "trip_id": self.trip_ids,
                "line_id": self.trip_line_ids,
                "line_name": self.trip_line_names,
                "pupils_only": self.trip_pupils_only,
                "n_stops": np.diff(self.trip_ptr),
                "first_dep_s": first,
                "frequency": np.isin(np.arange(self.n_trips), self.freq_trip),
            }
        )

    def __repr__(self) -> str:
        return (
            f"Timetable({self.n_stops} stops, {self.n_trips} trips, "
            f"{len(self.freq_trip)} frequency periods, crs={self.crs.to_string()!r}"
            + (f", {self.description}" if self.description else "")
            + ")"
        )


def _check_timetable(tt: Timetable) -> None:
    n_s, n_t = len(tt.stop_ids), len(tt.trip_ids)
    if pd.Index(tt.stop_ids).has_duplicates:
        dup = pd.Index(tt.stop_ids)[pd.Index(tt.stop_ids).duplicated()][:5].tolist()
        raise DuplicateIdError(f"stop ids are not unique: {dup}")
    if pd.Index(tt.trip_ids).has_duplicates:
        dup = pd.Index(tt.trip_ids)[pd.Index(tt.trip_ids).duplicated()][:5].tolist()
        raise DuplicateIdError(f"trip ids are not unique: {dup}")
    if not tt.crs.is_projected:
        raise CRSError(f"a Timetable needs a projected metric CRS, got {tt.crs.name}")
    if len(tt.trip_ptr) != n_t + 1 or tt.trip_ptr[0] != 0 or tt.trip_ptr[-1] != len(tt.event_stop):
        raise InvalidValueError("trip_ptr does not match the trips and stop events")
    if n_t and np.diff(tt.trip_ptr).min() < 2:
        bad = tt.trip_ids[np.diff(tt.trip_ptr) < 2][:5].tolist()
        raise InvalidValueError(f"trips need at least two stops; these have fewer: {bad}")
    if len(tt.event_stop) and (tt.event_stop.min() < 0 or tt.event_stop.max() >= n_s):
        raise InvalidValueError("a stop event refers to a stop index out of range")
    arr, dep = tt.event_arr_s, tt.event_dep_s
    if len(arr) and (np.any(dep < arr)):
        i = int(np.flatnonzero(dep < arr)[0])
        t = int(np.searchsorted(tt.trip_ptr, i, side="right") - 1)
        raise InvalidValueError(
            f"trip {tt.trip_ids[t]!r} leaves stop {tt.stop_ids[tt.event_stop[i]]!r} before it "
            "arrives there (departure < arrival); check the times"
        )
    nxt = np.ones(len(arr), bool)
    nxt[tt.trip_ptr[1:] - 1] = False  # last event of each trip has no next
    later = np.flatnonzero(nxt)
    if len(later) and np.any(arr[later + 1] < dep[later]):
        i = int(later[arr[later + 1] < dep[later]][0])
        t = int(np.searchsorted(tt.trip_ptr, i, side="right") - 1)
        raise InvalidValueError(
            f"trip {tt.trip_ids[t]!r} arrives at stop {tt.stop_ids[tt.event_stop[i + 1]]!r} "
            f"before it leaves the previous stop {tt.stop_ids[tt.event_stop[i]]!r}; "
            "running times must not be negative"
        )
    if len(tt.freq_trip):
        if tt.freq_trip.min() < 0 or tt.freq_trip.max() >= n_t:
            raise InvalidValueError("a frequency period refers to a trip out of range")
        if np.any(tt.freq_headway_s <= 0):
            raise InvalidValueError("frequency headways must be positive")
        if np.any(tt.freq_end_s <= tt.freq_start_s):
            raise InvalidValueError("a frequency period ends before it starts")


# --------------------------------------------------------------------------------------------
# times
# --------------------------------------------------------------------------------------------

_TIME = re.compile(r"^\s*(\d{1,2}):(\d{2})(?::(\d{2}))?\s*$")


def parse_time_s(value: Any) -> int:
    """Seconds after midnight of ``"HH:MM"`` or ``"HH:MM:SS"`` (hours may pass 24).

    Examples
    --------
    >>> parse_time_s("07:30")
    27000
    >>> parse_time_s("25:00:30")
    90030
    """
    m = _TIME.match(str(value))
    if not m or int(m.group(2)) > 59 or int(m.group(3) or 0) > 59:
        raise InvalidValueError(
            f"{value!r} is not a time of day; write it as HH:MM or HH:MM:SS (e.g. '06:30')"
        )
    return int(m.group(1)) * 3600 + int(m.group(2)) * 60 + int(m.group(3) or 0)


# --------------------------------------------------------------------------------------------
# county line tables
# --------------------------------------------------------------------------------------------

STOP_COLUMNS = ("line_id", "stop_seq", "stop_name", "run_min")
LINE_COLUMNS = ("line_id", "line_name", "day_type")


def _require(df: pd.DataFrame, cols: tuple[str, ...], what: str) -> None:
    missing = [c for c in cols if c not in df.columns]
    if missing:
        hints = "".join(suggest(c, df.columns) for c in missing)
        raise MissingColumnError(
            f"the {what} table has no column(s) {missing} (it has {list(df.columns)}).{hints}"
        )


def _point_xy(geom: gpd.GeoSeries, crs_metric: CRS) -> tuple[np.ndarray, np.ndarray]:
    g = geom.to_crs(crs_metric)
    if not g.geom_type.eq("Point").all():
        raise InvalidValueError("stop geometries must be points")
    return shapely.get_x(g.to_numpy()), shapely.get_y(g.to_numpy())


def _departures(row: pd.Series, line: str) -> list[int]:
    deps = row.get("departures")
    has_list = (
        deps is not None and not (np.isscalar(deps) and pd.isna(deps)) and str(deps).strip() != ""
    )
    has_freq = all(
        k in row.index and pd.notna(row[k]) and str(row[k]).strip() != ""
        for k in ("first", "last", "headway_min")
    )
    if has_list and has_freq:
        raise InvalidValueError(
            f"line {line!r} gives both `departures` and first/last/headway_min; give one of them"
        )
    if has_list:
        items = deps if isinstance(deps, list | tuple) else re.split(r"[\s,;]+", str(deps).strip())
        out = sorted(parse_time_s(d) for d in items if str(d).strip())
        if not out:
            raise InvalidValueError(f"line {line!r} has an empty departure list")
        return out
    if has_freq:
        return []  # a frequency line: see _frequency
    raise MissingColumnError(
        f"line {line!r} has no departures: give `departures` (e.g. '06:30 12:00 17:10') or "
        "`first`, `last` and `headway_min`"
    )


def _frequency(row: pd.Series, line: str) -> tuple[int, int, int]:
    first, last = parse_time_s(row["first"]), parse_time_s(row["last"])
    try:
        head = float(row["headway_min"])
    except (TypeError, ValueError) as exc:
        raise InvalidValueError(
            f"line {line!r}: headway_min={row['headway_min']!r} is not a number"
        ) from exc
    if not head > 0 or round(head * 60) != head * 60:
        raise InvalidValueError(
            f"line {line!r}: headway_min={head} must be positive (and a whole number of seconds)"
        )
    if last < first:
        raise InvalidValueError(f"line {line!r}: the last departure is before the first")
    return first, last, round(head * 60)


def timetable_from_line_table(
    stops: pd.DataFrame,
    lines: pd.DataFrame,
    *,
    day_type: str | None = None,
    stop_layer: gpd.GeoDataFrame | None = None,
    crs: Any | None = None,
    description: str = "",
) -> Timetable:
    """Build a :class:`Timetable` from a county line table.

    Parameters
    ----------
    stops
        One row per line × stop: ``line_id``, ``stop_seq`` (order along the line), ``stop_name``,
        ``run_min`` (minutes to the next stop; empty on the last stop), optional ``dwell_min``
        (minutes the bus stands at the stop, default 0), and where the stop is: a point geometry
        (a GeoDataFrame), or ``x``/``y`` columns in ``crs``, or a ``stop_id`` into ``stop_layer``.
    lines
        One row per line × day type: ``line_id``, ``line_name``, ``day_type`` and the departures
        from the first stop, either ``departures`` (``"06:30 12:00 17:10"`` or a list) or
        ``first``, ``last`` and ``headway_min`` (buses at ``first, first + headway, ...`` and at
        ``last``). Optional ``riders``: ``"all"`` (default) or ``"pupils"`` for school runs that
        only pupils may use. A line is one direction; the return run is another line.
    day_type
        Which day type to keep (``"weekday"``, ``"school_day"``...). May be omitted when the table
        has one day type only.
    stop_layer
        Point layer indexed by stop id, when ``stops`` has ``stop_id`` instead of geometry.
    crs
        The CRS of ``x``/``y`` columns (required with them), or the metric CRS to compute in.

    Returns
    -------
    Timetable
        Frequency lines (``first``/``last``/``headway_min``) become a template trip with one
        frequency period; a ``last`` departure off the headway grid is added as its own trip.

    Raises
    ------
    MissingColumnError, InvalidValueError, CRSError, DuplicateIdError
        With what is wrong and where.
    """
    _require(stops, STOP_COLUMNS, "line stops")
    _require(lines, LINE_COLUMNS, "lines")
    if len(lines) == 0 or len(stops) == 0:
        raise EmptyLayerError("the line table has no lines or no stops")
    lines, day_type = _day_type_lines(lines, day_type)
    by_stop_id = "stop_id" in stops.columns and stop_layer is not None
    st, work = _locate_line_stops(stops, stop_layer, crs)
    names = st.groupby("_key")["stop_name"].first()
    stop_keys = np.array(sorted(names.index), dtype=object)
    first_xy = st.groupby("_key")[["_x", "_y"]].first().loc[stop_keys]
    stop_ids = (
        stop_keys
        if by_stop_id
        else np.array(
            [f"{names[k]}" if (names == names[k]).sum() == 1 else k for k in stop_keys],
            dtype=object,
        )
    )

    missing_lines = sorted(set(lines["line_id"]) - set(st["line_id"]))
    if missing_lines:
        raise InvalidValueError(f"lines {missing_lines[:5]} have no stops in the line stops table")

    trips = _TripEvents()
    stop_pos = {k: i for i, k in enumerate(stop_keys)}
    for _, row in lines.sort_values("line_id").iterrows():
        _add_line_trips(trips, row, st[st["line_id"] == row["line_id"]], stop_pos)
    return Timetable(
        stop_ids=stop_ids,
        stop_names=names.loc[stop_keys].astype(str).to_numpy(dtype=object),
        stop_x_m=first_xy["_x"].to_numpy(np.float64),
        stop_y_m=first_xy["_y"].to_numpy(np.float64),
        crs=CRS.from_user_input(work),
        **trips.arrays(),
        description=description or f"line table, day type {day_type!r}",
    )


def _day_type_lines(lines: pd.DataFrame, day_type: str | None) -> tuple[pd.DataFrame, str]:
    """The lines of one day type (the only one when ``day_type`` is None), ids as text."""
    lines = lines.copy()
    lines["day_type"] = lines["day_type"].astype(str)
    kinds = sorted(lines["day_type"].unique())
    if day_type is None:
        if len(kinds) > 1:
            raise InvalidValueError(f"the line table has several day types {kinds}; pass day_type=")
        day_type = kinds[0]
    if day_type not in kinds:
        raise InvalidValueError(
            f"day_type={day_type!r} is not in the line table ({kinds}).{suggest(day_type, kinds)}"
        )
    lines = lines[lines["day_type"] == day_type]
    lines["line_id"] = lines["line_id"].astype(str)
    if lines["line_id"].duplicated().any():
        dup = lines.loc[lines["line_id"].duplicated(), "line_id"].tolist()[:5]
        raise DuplicateIdError(f"lines {dup} appear twice for day type {day_type!r}")
    return lines, day_type


def _locate_line_stops(
    stops: pd.DataFrame, stop_layer: gpd.GeoDataFrame | None, crs: Any | None
) -> tuple[pd.DataFrame, CRS]:
    """The line stops with where each is (``_x``, ``_y`` in the metric CRS to work in) and which
    stop it is (``_key``), and that CRS.

    A stop is found by ``stop_id`` in ``stop_layer``, by its point geometry or by ``x``/``y`` in
    ``crs``; without a stop id, the same name at the same place (to the metre) is one stop shared
    by several lines.
    """
    from ..network import metric_crs

    st = stops.copy()
    st["line_id"] = st["line_id"].astype(str)
    if "stop_id" in st.columns and stop_layer is not None:
        if stop_layer.crs is None:
            raise CRSError("the stop layer has no CRS; set it with `.set_crs(...)`")
        work = metric_crs(stop_layer, crs)
        sx, sy = _point_xy(stop_layer.geometry, work)
        where = pd.DataFrame({"x": sx, "y": sy}, index=stop_layer.index.astype(str))
        if where.index.has_duplicates:
            raise DuplicateIdError("the stop layer's index (stop ids) is not unique")
        key = st["stop_id"].astype(str)
        unknown = sorted(set(key) - set(where.index))
        if unknown:
            raise InvalidValueError(f"stop ids {unknown[:5]} are not in the stop layer")
        st["_key"] = key.to_numpy()
        st["_x"] = where.loc[key, "x"].to_numpy()
        st["_y"] = where.loc[key, "y"].to_numpy()
        return st, work
    if isinstance(st, gpd.GeoDataFrame):
        if st.crs is None:
            raise CRSError("the line stops layer has no CRS; set it with `.set_crs(...)`")
        work = metric_crs(st, crs)
        st["_x"], st["_y"] = _point_xy(st.geometry, work)
        st = pd.DataFrame(st.drop(columns=st.geometry.name))
    elif {"x", "y"} <= set(st.columns):
        if crs is None:
            raise CRSError(
                "the line stops have x/y columns but no CRS; pass crs= (e.g. 'EPSG:4490' for "
                "CGCS2000 longitude/latitude or 'EPSG:4546' for metres)"
            )
        pts = gpd.GeoSeries(shapely.points(st["x"].astype(float), st["y"].astype(float)), crs=crs)
        work = metric_crs(pts)
        st["_x"], st["_y"] = _point_xy(pts, work)
    else:
        raise MissingColumnError(
            "the line stops need a location: a point geometry, x/y columns with crs=, or a "
            "stop_id column with stop_layer="
        )
    st["_key"] = (
        st["stop_name"].astype(str)
        + "@"
        + st["_x"].round(0).astype(np.int64).astype(str)
        + ","
        + st["_y"].round(0).astype(np.int64).astype(str)
    )
    return st, work


def _stop_offsets_s(seq: pd.DataFrame, line: str) -> tuple[np.ndarray, np.ndarray]:
    """Arrival and departure at each stop of a line, in seconds after its first departure."""
    run = pd.to_numeric(seq["run_min"], errors="coerce").to_numpy()[:-1]
    if np.isnan(run).any() or (run < 0).any():
        bad = seq["stop_name"].to_numpy()[:-1][np.isnan(run) | (run < 0)][:3].tolist()
        raise InvalidValueError(
            f"line {line!r}: run_min (minutes to the next stop) is missing or negative at "
            f"stops {bad}; give it on every stop but the last"
        )
    dwell = (
        pd.to_numeric(seq["dwell_min"], errors="coerce").fillna(0).to_numpy()
        if "dwell_min" in seq.columns
        else np.zeros(len(seq))
    )
    off_arr = np.zeros(len(seq))
    off_dep = np.zeros(len(seq))
    for i in range(len(seq)):
        if i:
            off_arr[i] = off_dep[i - 1] + run[i - 1] * 60
        off_dep[i] = off_arr[i] + (dwell[i] * 60 if 0 < i < len(seq) - 1 else 0)
    return np.round(off_arr).astype(np.int64), np.round(off_dep).astype(np.int64)


@dataclass
class _TripEvents:
    """Trips, their stop events and frequency periods, gathered line by line."""

    trip_ids: list[str] = field(default_factory=list)
    line_ids: list[Any] = field(default_factory=list)
    line_names: list[Any] = field(default_factory=list)
    pupils_only: list[bool] = field(default_factory=list)
    ptr: list[int] = field(default_factory=lambda: [0])
    stop: list[int] = field(default_factory=list)
    arr_s: list[int] = field(default_factory=list)
    dep_s: list[int] = field(default_factory=list)
    periods: list[tuple[int, int, int, int]] = field(default_factory=list)

    def arrays(self) -> dict[str, np.ndarray]:
        """The trip, stop event and frequency arguments of :class:`Timetable`."""
        per = np.array(self.periods, dtype=np.int64).reshape(-1, 4)
        return {
            "trip_ids": np.array(self.trip_ids, dtype=object),
            "trip_line_ids": np.array(self.line_ids, dtype=object),
            "trip_line_names": np.array(self.line_names, dtype=object),
            "trip_pupils_only": np.array(self.pupils_only, dtype=bool),
            "trip_ptr": np.array(self.ptr, dtype=np.int64),
            "event_stop": np.array(self.stop, dtype=np.int64),
            "event_arr_s": np.array(self.arr_s, dtype=np.int64),
            "event_dep_s": np.array(self.dep_s, dtype=np.int64),
            "freq_trip": per[:, 0].copy(),
            "freq_start_s": per[:, 1].copy(),
            "freq_end_s": per[:, 2].copy(),
            "freq_headway_s": per[:, 3].copy(),
        }


def _add_line_trips(
    trips: _TripEvents, row: pd.Series, line_stops: pd.DataFrame, stop_pos: dict[Any, int]
) -> None:
    """Add the trips of one line (a row of the lines table) and its frequency period if any."""
    line = row["line_id"]
    seq = line_stops.sort_values("stop_seq")
    if seq["stop_seq"].duplicated().any():
        raise InvalidValueError(f"line {line!r} has two stops with the same stop_seq")
    if len(seq) < 2:
        raise InvalidValueError(f"line {line!r} has fewer than two stops")
    off_arr, off_dep = _stop_offsets_s(seq, line)
    sidx = [stop_pos[k] for k in seq["_key"]]
    riders = str(row.get("riders", "all") if pd.notna(row.get("riders", "all")) else "all")
    if riders not in RIDERS:
        raise InvalidValueError(f"line {line!r}: riders={riders!r}; use 'all' or 'pupils'")
    name = str(row["line_name"])

    deps = _departures(row, line)
    if deps:
        starts = [(t0, f"{line}#{k + 1}") for k, t0 in enumerate(deps)]
    else:
        first, last, head = _frequency(row, line)
        starts = [(first, f"{line}#freq")]
        # vehicles at first + k*head <= last
        trips.periods.append((len(trips.trip_ids), first, last + 1, head))
        if (last - first) % head:
            starts.append((last, f"{line}#last"))
    for t0, tid in starts:
        trips.trip_ids.append(tid)
        trips.line_ids.append(line)
        trips.line_names.append(name)
        trips.pupils_only.append(riders == "pupils")
        trips.stop.extend(sidx)
        trips.arr_s.extend((t0 + off_arr).tolist())
        trips.dep_s.extend((t0 + off_dep).tolist())
        trips.ptr.append(len(trips.stop))


def road_run_times(
    stops: pd.DataFrame,
    network: Any,
    *,
    bus_speed_factor: float = 0.8,
    mode: str = "car",
    crs: Any | None = None,
    max_segment_min: float = 180.0,
) -> pd.DataFrame:
    """Fill missing ``run_min`` of a line-stops table from the road network.

    The running time from a stop to the next is the fastest ``mode`` time between them over the
    network (:func:`accessibility.travel_costs`, the short walks between the stops and the road
    included) divided by ``bus_speed_factor`` (a bus at 0.8 of the car speed takes 1.25 times as
    long). Given ``run_min`` values are kept.

    Parameters
    ----------
    stops
        Line stops as for :func:`timetable_from_line_table`, with point geometry or ``x``/``y``
        columns (pass ``crs=`` with them).
    network
        The road network (:class:`accessibility.network.Network`).
    bus_speed_factor
        Bus speed as a share of the ``mode`` speed, in (0, 1.5].
    mode
        Network mode whose times are scaled.
    crs
        CRS of ``x``/``y`` columns.
    max_segment_min
        A segment slower than this (or not connected) is an error naming the line and stops.

    Returns
    -------
    pandas.DataFrame
        A copy of ``stops`` with ``run_min`` filled on every stop but each line's last.
    """
    from ..costs import travel_costs

    if not 0 < bus_speed_factor <= 1.5:
        raise InvalidValueError(f"bus_speed_factor={bus_speed_factor} must be in (0, 1.5]")
    _require(stops, ("line_id", "stop_seq", "stop_name"), "line stops")
    out = stops.copy()
    if "run_min" not in out.columns:
        out["run_min"] = np.nan
    if isinstance(out, gpd.GeoDataFrame):
        if out.crs is None:
            raise CRSError("the line stops layer has no CRS; set it with `.set_crs(...)`")
        geom = out.geometry
    elif {"x", "y"} <= set(out.columns):
        if crs is None:
            raise CRSError("the line stops have x/y columns but no CRS; pass crs=")
        geom = gpd.GeoSeries(
            shapely.points(out["x"].astype(float), out["y"].astype(float)), crs=crs
        )
    else:
        raise MissingColumnError("road_run_times needs point geometry or x/y columns (with crs=)")
    geom = np.asarray(geom.to_crs(network.crs).to_numpy())
    key = shapely.to_wkb(geom)  # positional: the same point is one network location
    uniq_keys, first = np.unique(key, return_index=True)
    pts = gpd.GeoDataFrame(geometry=geom[first], index=pd.Index(uniq_keys), crs=network.crs)
    costs = travel_costs(network, pts, pts, mode=mode, max_time_min=max_segment_min)
    time = dict(
        zip(
            zip(costs["origin"], costs["destination"], strict=True),
            costs["travel_time_min"],
            strict=True,
        )
    )
    run = pd.to_numeric(out["run_min"], errors="coerce").to_numpy(np.float64).copy()
    lines = out["line_id"].astype(str).to_numpy()
    order = np.lexsort((pd.to_numeric(out["stop_seq"]).to_numpy(), lines))
    names = out["stop_name"].astype(str).to_numpy()
    for a, b in itertools.pairwise(order):
        if lines[a] != lines[b] or not np.isnan(run[a]):
            continue
        t = 0.0 if key[a] == key[b] else time.get((key[a], key[b]), np.nan)
        if np.isnan(t):
            raise InvalidValueError(
                f"line {lines[a]!r}: no {mode} route within {max_segment_min} min from "
                f"{names[a]!r} to {names[b]!r}; give run_min for this segment or check the "
                "stops and the network"
            )
        run[a] = t / bus_speed_factor
    out["run_min"] = run
    return out


def _toml_tables(raw: dict[str, Any], path: Path) -> tuple[pd.DataFrame, pd.DataFrame, Any]:
    unknown = sorted(set(raw) - {"crs", "line"})
    if unknown:
        raise InvalidValueError(
            f"{path}: unknown top-level key(s) {unknown}; expected 'crs' and [[line]]"
        )
    if not raw.get("line"):
        raise EmptyLayerError(f"{path}: no [[line]] tables")
    srows, lrows = [], []
    for i, line in enumerate(raw["line"]):
        for key in ("id", "stops", "service"):
            if key not in line:
                raise MissingColumnError(f"{path}: [[line]] number {i + 1} has no `{key}`")
        lid = str(line["id"])
        for j, stop in enumerate(line["stops"]):
            if "name" not in stop or "x" not in stop or "y" not in stop:
                raise MissingColumnError(f"{path}: line {lid!r} stop {j + 1} needs name, x and y")
            srows.append(
                {
                    "line_id": lid,
                    "stop_seq": j + 1,
                    "stop_name": stop["name"],
                    "x": stop["x"],
                    "y": stop["y"],
                    "run_min": stop.get("run_min", np.nan),
                    "dwell_min": stop.get("dwell_min", 0.0),
                }
            )
        for svc in line["service"]:
            lrows.append(
                {
                    "line_id": lid,
                    "line_name": line.get("name", lid),
                    "riders": line.get("riders", "all"),
                    "day_type": svc.get("day_type", "all"),
                    "departures": svc.get("departures"),
                    "first": svc.get("first"),
                    "last": svc.get("last"),
                    "headway_min": svc.get("headway_min"),
                }
            )
    return pd.DataFrame(srows), pd.DataFrame(lrows), raw.get("crs")


def read_line_tables(
    path: str | os.PathLike,
    *,
    lines: str | os.PathLike | None = None,
    crs: Any | None = None,
) -> tuple[pd.DataFrame, pd.DataFrame, Any]:
    """Read a county line table's two tables without building a timetable.

    Returns ``(line_stops, lines, crs)`` as :func:`timetable_from_line_table` takes them (the
    line stops of a GeoPackage keep their point geometry; ``crs`` is the file's or the given
    one), e.g. to edit them (a scenario adds a run) before building the timetable. Arguments as
    :func:`read_line_table`.
    """
    p = Path(path)
    if not p.exists():
        raise InputFileError(f"line table {p} does not exist")
    suffix = p.suffix.lower()
    if suffix == ".toml":
        try:
            raw = tomllib.loads(p.read_text(encoding="utf-8"))
        except tomllib.TOMLDecodeError as exc:
            raise InvalidValueError(f"{p} is not valid TOML: {exc}") from exc
        stops, line_df, file_crs = _toml_tables(raw, p)
        if crs is None and file_crs is None:
            raise CRSError(f"{p}: say the CRS of the stop coordinates with crs = 'EPSG:...'")
        return stops, line_df, crs or file_crs
    if suffix == ".gpkg":
        import pyogrio

        layers = {name for name, _ in pyogrio.list_layers(p)}
        for need in ("line_stops", "lines"):
            if need not in layers:
                raise MissingColumnError(f"{p} has no layer {need!r} (it has {sorted(layers)})")
        stops = gpd.read_file(p, layer="line_stops")
        line_df = pd.DataFrame(gpd.read_file(p, layer="lines", ignore_geometry=True))
        return stops, line_df, crs
    if suffix == ".csv":
        if lines is None:
            raise MissingColumnError(
                "a CSV line table needs lines= (the CSV of lines and departures)"
            )
        lp = Path(lines)
        if not lp.exists():
            raise InputFileError(f"lines file {lp} does not exist")
        stops = pd.read_csv(p, encoding="utf-8-sig")
        line_df = pd.read_csv(
            lp, encoding="utf-8-sig", dtype={"departures": str, "first": str, "last": str}
        )
        return stops, line_df, crs
    raise InvalidValueError(f"{p}: a line table is .toml, .gpkg or .csv, not {suffix!r}")


def read_line_table(
    path: str | Path,
    *,
    lines: str | Path | None = None,
    day_type: str | None = None,
    crs: Any | None = None,
) -> Timetable:
    """Read a county line table from TOML, GeoPackage or CSV.

    Parameters
    ----------
    path
        ``.toml``: ``crs = "..."`` and ``[[line]]`` tables (``id``, ``name``, ``riders``,
        ``stops = [{name, x, y, run_min}, ...]``, ``[[line.service]]`` with ``day_type`` and
        ``departures`` or ``first``/``last``/``headway_min``). ``.gpkg``: layers ``line_stops``
        (points) and ``lines`` (no geometry). ``.csv``: the line stops with ``x``/``y`` columns
        (pass ``crs=``), and ``lines=`` the CSV of lines.
    lines
        The lines CSV, with a CSV ``path``.
    day_type, crs
        As in :func:`timetable_from_line_table`.
    """
    stops, line_df, table_crs = read_line_tables(path, lines=lines, crs=crs)
    return timetable_from_line_table(
        stops, line_df, day_type=day_type, crs=table_crs, description=Path(path).name
    )


# --------------------------------------------------------------------------------------------
# GTFS
# --------------------------------------------------------------------------------------------


def _gtfs_seconds(col: pd.Series) -> np.ndarray:
    s = col.astype("string")
    parts = s.str.extract(r"^\s*(\d+):(\d{2}):(\d{2})\s*$")
    bad = s.notna() & parts[0].isna()
    if bad.any():
        raise InvalidValueError(f"GTFS times {s[bad].head(3).tolist()} are not HH:MM:SS")
    out = parts.astype(float)
    return (out[0] * 3600 + out[1] * 60 + out[2]).to_numpy()


_WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")


def _busiest_date(feed: Any, p: Path) -> str:
    """The first date with the most trips running (calendar.txt and calendar_dates.txt)."""
    cal, cd = feed.calendar, feed.calendar_dates
    lo_hi = []
    if cal is not None and not cal.empty:
        lo_hi += [cal["start_date"].astype(str).min(), cal["end_date"].astype(str).max()]
    if cd is not None and not cd.empty:
        lo_hi += [cd["date"].astype(str).min(), cd["date"].astype(str).max()]
    if not lo_hi:
        raise InvalidValueError(f"{p} has no service dates (calendar.txt / calendar_dates.txt)")
    days = pd.date_range(pd.Timestamp(min(lo_hi)), pd.Timestamp(max(lo_hi)), freq="D")
    day_str = days.strftime("%Y%m%d").to_numpy()
    services = pd.Index(feed.trips["service_id"].astype(str).unique())
    active = np.zeros((len(services), len(days)), bool)
    if cal is not None and not cal.empty:
        for _, row in cal.iterrows():
            i = services.get_indexer([str(row["service_id"])])[0]
            if i < 0:
                continue
            on = np.array([int(row[d]) == 1 for d in _WEEKDAYS])[days.day_of_week]
            inside = (day_str >= str(row["start_date"])) & (day_str <= str(row["end_date"]))
            active[i] |= on & inside
    if cd is not None and not cd.empty:
        for _, row in cd.iterrows():
            i = services.get_indexer([str(row["service_id"])])[0]
            j = np.searchsorted(day_str, str(row["date"]))
            if i >= 0 and j < len(day_str) and day_str[j] == str(row["date"]):
                active[i, j] = int(row["exception_type"]) == 1
    per_service = feed.trips["service_id"].astype(str).value_counts().reindex(services).to_numpy()
    count = per_service @ active
    if count.max() == 0:
        raise EmptyLayerError(f"{p}: no trip runs on any date of its calendar")
    return str(day_str[int(np.argmax(count))])


def timetable_from_gtfs(
    path: str | os.PathLike,
    *,
    date: str | None = None,
    crs: Any | None = None,
) -> Timetable:
    """Read a GTFS zip (or folder) with ``gtfs-kit`` into a :class:`Timetable`.

    Parameters
    ----------
    path
        The GTFS feed.
    date
        Service date ``"YYYYMMDD"``: only trips running that day are kept. Default: the feed's
        busiest date (most trips), which is logged and written into ``description``.
    crs
        Metric CRS to compute in; default the local UTM zone of the stops.

    Notes
    -----
    Stop times missing between timepoints are interpolated linearly along the trip's stops.
    ``frequencies.txt`` periods are kept on their template trips (times relative to the
    template's first departure); ``exact_times`` is read but both kinds run vehicles at
    ``start_time + k * headway_secs < end_time``.
    """
    try:
        import gtfs_kit as gk
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise ImportError(
            "reading GTFS needs gtfs-kit; install it with `pip install accessibility[transit]`"
        ) from exc
    from ..network import metric_crs

    p = Path(path)
    if not p.exists():
        raise InputFileError(f"GTFS feed {p} does not exist")
    feed = gk.read_feed(p, dist_units="km")
    if feed.stop_times is None or feed.trips is None or feed.stops is None:
        raise InvalidValueError(f"{p} lacks stops.txt, trips.txt or stop_times.txt")
    if date is None:
        date = _busiest_date(feed, p)
        log.info("GTFS %s: using the busiest service date %s", p.name, date)
    trips = feed.get_trips(date)
    if trips is None or trips.empty:
        raise EmptyLayerError(f"{p}: no trip runs on {date}")
    st = feed.stop_times[feed.stop_times["trip_id"].isin(trips["trip_id"])].copy()
    st = st.sort_values(["trip_id", "stop_sequence"])
    known = st["stop_id"].astype(str).isin(feed.stops["stop_id"].astype(str))
    if not known.all():
        bad = st.loc[~known, "stop_id"].astype(str).unique()[:5].tolist()
        raise InvalidValueError(f"{p}: stop_times.txt names stops {bad} that stops.txt lacks")
    size = st.groupby("trip_id")["stop_id"].transform("size")
    if (size < 2).any():
        short = st.loc[size < 2, "trip_id"].unique()
        warnings.warn(
            f"{p.name}: {len(short)} trip(s) with fewer than two stops are dropped "
            f"(e.g. {list(short[:3])})",
            InputWarning,
            stacklevel=2,
        )
        st = st[size >= 2]
        trips = trips[~trips["trip_id"].isin(short)]
    st["_arr"] = _gtfs_seconds(st["arrival_time"])
    st["_dep"] = _gtfs_seconds(st["departure_time"])
    st["_arr"] = st["_arr"].fillna(st["_dep"])
    st["_dep"] = st["_dep"].fillna(st["_arr"])
    if st["_arr"].isna().any():
        st["_pos"] = st.groupby("trip_id").cumcount()
        st["_arr"] = st.groupby("trip_id")["_arr"].transform(
            lambda s: s.interpolate(limit_area="inside")
        )
        st["_dep"] = st["_dep"].fillna(st["_arr"])
        if st["_arr"].isna().any():
            bad = st.loc[st["_arr"].isna(), "trip_id"].unique()[:3].tolist()
            raise InvalidValueError(f"trips {bad} have no time at their first or last stop")
    stops = feed.stops.copy()
    used = pd.Index(st["stop_id"].astype(str).unique())
    stops["stop_id"] = stops["stop_id"].astype(str)
    stops = stops.set_index("stop_id").loc[sorted(used)]
    pts = gpd.GeoSeries(shapely.points(stops["stop_lon"], stops["stop_lat"]), crs="EPSG:4326")
    work = metric_crs(pts, crs)
    sx, sy = _point_xy(pts, work)
    spos = pd.Series(np.arange(len(stops)), index=stops.index)

    routes = feed.routes.set_index("route_id") if feed.routes is not None else None
    trips = trips.set_index("trip_id").loc[st["trip_id"].unique()]
    sizes = st.groupby("trip_id", sort=False).size().loc[trips.index].to_numpy()
    ptr = np.concatenate([[0], np.cumsum(sizes)]).astype(np.int64)
    line_names = trips["route_id"].astype(str).to_numpy(dtype=object)
    if routes is not None:
        short = routes.get("route_short_name")
        long = routes.get("route_long_name")
        if short is not None and long is not None:
            short = short.fillna(long)
        nm = (short if short is not None else long).reindex(trips["route_id"]).astype(str)
        line_names = nm.to_numpy(dtype=object)

    tid_pos = pd.Series(np.arange(len(trips)), index=trips.index.astype(str))
    f_trip, f_start, f_end, f_head = (np.zeros(0, np.int64),) * 4
    freq = feed.frequencies
    if freq is not None and not freq.empty:
        fr = freq[freq["trip_id"].astype(str).isin(tid_pos.index)]
        f_trip = tid_pos.loc[fr["trip_id"].astype(str)].to_numpy(np.int64)
        f_start = _gtfs_seconds(fr["start_time"]).astype(np.int64)
        f_end = _gtfs_seconds(fr["end_time"]).astype(np.int64)
        f_head = fr["headway_secs"].astype(np.int64).to_numpy()
    return Timetable(
        stop_ids=stops.index.to_numpy(dtype=object),
        stop_names=stops["stop_name"].astype(str).to_numpy(dtype=object),
        stop_x_m=sx,
        stop_y_m=sy,
        crs=CRS.from_user_input(work),
        trip_ids=trips.index.astype(str).to_numpy(dtype=object),
        trip_line_ids=trips["route_id"].astype(str).to_numpy(dtype=object),
        trip_line_names=line_names,
        trip_pupils_only=np.zeros(len(trips), bool),
        trip_ptr=ptr,
        event_stop=spos.loc[st["stop_id"].astype(str)].to_numpy(np.int64),
        event_arr_s=np.round(st["_arr"].to_numpy()).astype(np.int64),
        event_dep_s=np.round(st["_dep"].to_numpy()).astype(np.int64),
        freq_trip=f_trip,
        freq_start_s=f_start,
        freq_end_s=f_end,
        freq_headway_s=f_head,
        description=f"GTFS {p.name}, service date {date}",
    )
