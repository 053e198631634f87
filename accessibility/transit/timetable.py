"""The timetable every transit search reads: :class:`Timetable` (stops, trips, frequency periods
as plain arrays), its checks, and times of day (:func:`parse_time_s`).

It is built from a county **line table** (:mod:`accessibility.transit.line_tables`:
:func:`~accessibility.transit.timetable_from_line_table`, :func:`~accessibility.transit.read_line_table`:
one row per line × stop and one row per line × day type, as CSV, GeoPackage or TOML, see
``docs/transit.md``) or a **GTFS** zip (:mod:`accessibility.transit.gtfs`:
:func:`~accessibility.transit.timetable_from_gtfs`, read with ``gtfs-kit``, the optional extra
``accessibility[transit]``), ``frequencies.txt`` included.

Frequency-based trips are kept as a template trip plus periods ``(start, end, headway)``; the
search expands them to single vehicles (``start, start + headway, ... < end``, GTFS
``exact_times`` semantics) or, with ``wait="half_headway"``, boards them after half the headway.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pyproj import CRS

from ..errors import (
    CRSError,
    DuplicateIdError,
    InvalidValueError,
    MissingColumnError,
    suggest,
)

__all__ = [
    "RIDERS",
    "Timetable",
    "parse_time_s",
    "point_xy",
    "require_columns",
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


def require_columns(df: pd.DataFrame, cols: tuple[str, ...], what: str) -> None:
    """Raise :class:`~accessibility.errors.MissingColumnError` naming the ``cols`` the ``what``
    table lacks (with "Did you mean")."""
    missing = [c for c in cols if c not in df.columns]
    if missing:
        hints = "".join(suggest(c, df.columns) for c in missing)
        raise MissingColumnError(
            f"the {what} table has no column(s) {missing} (it has {list(df.columns)}).{hints}"
        )


def point_xy(geom: gpd.GeoSeries, crs_metric: CRS) -> tuple[np.ndarray, np.ndarray]:
    """x and y of stop points in ``crs_metric`` (refusing other geometries)."""
    g = geom.to_crs(crs_metric)
    if not g.geom_type.eq("Point").all():
        raise InvalidValueError("stop geometries must be points")
    return shapely.get_x(g.to_numpy()), shapely.get_y(g.to_numpy())
