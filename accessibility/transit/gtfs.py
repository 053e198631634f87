"""GTFS feeds (``frequencies.txt`` included) as a :class:`~accessibility.transit.timetable.Timetable`
(:func:`timetable_from_gtfs`), read with ``gtfs-kit`` (the optional extra ``accessibility[transit]``).
"""

from __future__ import annotations

import logging
import os
import warnings
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pyproj import CRS

from ..errors import (
    EmptyLayerError,
    InputFileError,
    InvalidValueError,
)
from ..validate import InputWarning
from .timetable import Timetable, point_xy

__all__ = ["timetable_from_gtfs"]

log = logging.getLogger(__name__)


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
    sx, sy = point_xy(pts, work)
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
