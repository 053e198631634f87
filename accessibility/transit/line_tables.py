"""County line tables: one row per line × stop (stop order, run minutes) and one row per line × day
type (departures as a list, or first/last/headway), as CSV, GeoPackage or TOML, turned into a
:class:`~accessibility.transit.timetable.Timetable` (:func:`timetable_from_line_table`,
:func:`read_line_table`, :func:`read_line_tables`); run times from the road network
(:func:`road_run_times`). See ``docs/transit.md``.
"""

from __future__ import annotations

import itertools
import logging
import os
import re
import tomllib
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
from .timetable import RIDERS, Timetable, parse_time_s, point_xy, require_columns

__all__ = [
    "read_line_table",
    "read_line_tables",
    "road_run_times",
    "timetable_from_line_table",
]

log = logging.getLogger(__name__)

STOP_COLUMNS = ("line_id", "stop_seq", "stop_name", "run_min")
LINE_COLUMNS = ("line_id", "line_name", "day_type")


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
    require_columns(stops, STOP_COLUMNS, "line stops")
    require_columns(lines, LINE_COLUMNS, "lines")
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
        sx, sy = point_xy(stop_layer.geometry, work)
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
        st["_x"], st["_y"] = point_xy(st.geometry, work)
        st = pd.DataFrame(st.drop(columns=st.geometry.name))
    elif {"x", "y"} <= set(st.columns):
        if crs is None:
            raise CRSError(
                "the line stops have x/y columns but no CRS; pass crs= (e.g. 'EPSG:4490' for "
                "CGCS2000 longitude/latitude or 'EPSG:4546' for metres)"
            )
        pts = gpd.GeoSeries(shapely.points(st["x"].astype(float), st["y"].astype(float)), crs=crs)
        work = metric_crs(pts)
        st["_x"], st["_y"] = point_xy(pts, work)
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
    require_columns(stops, ("line_id", "stop_seq", "stop_name"), "line stops")
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
