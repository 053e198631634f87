"""Scenario changes of a line table: change a headway, add a run, add a line, extend a line.

:func:`edit_line_tables` applies the bus actions of a scenario (``[[change_headway]]``,
``[[add_run]]``, ``[[add_line]]``, ``[[extend_line]]``, see
:mod:`accessibility.planning.scenario`) to the line table of a
:class:`~accessibility.transit.TransitSetup` and returns a new setup with the timetable rebuilt;
the given setup is not modified. Running times of new segments without ``run_min`` come from
the road network at the setup's ``bus_speed_factor``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd

from ..errors import ConfigError
from .project import TransitSetup, with_line_tables
from .timetable import parse_time_s

__all__ = ["BUS_ACTIONS", "edit_line_tables"]

#: The scenario actions that change buses.
BUS_ACTIONS = ("change_headway", "add_run", "add_line", "extend_line")


def _hhmm(seconds: int) -> str:
    return f"{seconds // 3600:02d}:{seconds % 3600 // 60:02d}"


def _xy_stops(stops: pd.DataFrame, crs: Any) -> tuple[pd.DataFrame, Any]:
    """Line stops with ``x``/``y`` columns (a point layer's geometry made columns)."""
    if isinstance(stops, gpd.GeoDataFrame) and "x" not in stops.columns:
        crs = crs or stops.crs
        g = stops.geometry.to_crs(crs)
        stops = pd.DataFrame(stops.drop(columns=stops.geometry.name)).assign(x=g.x, y=g.y)
    return pd.DataFrame(stops).copy(), crs


def _departure_list(row: pd.Series) -> list[int]:
    deps = row.get("departures")
    if isinstance(deps, list | tuple) or (isinstance(deps, str) and deps.strip()):
        items = deps if isinstance(deps, list | tuple) else deps.replace(",", " ").split()
        return sorted(parse_time_s(d) for d in items)
    first, last = parse_time_s(row["first"]), parse_time_s(row["last"])
    step = round(float(row["headway_min"]) * 60)
    out = list(range(first, last + 1, step))
    return sorted({*out, last})


def _rows(lines: pd.DataFrame, line: str, day_type: Any, where: str) -> pd.Index:
    ids = lines["line_id"].astype(str)
    sel = ids == str(line)
    if not sel.any():
        known = sorted(set(ids))
        raise ConfigError(f"{where}: line {line!r} is not in the line table (lines: {known})")
    if day_type is not None:
        sel &= lines["day_type"].astype(str) == str(day_type)
        if not sel.any():
            raise ConfigError(f"{where}: line {line!r} has no service on day type {day_type!r}")
    return lines.index[sel]


def _place(entry: Mapping[str, Any], villages: pd.DataFrame | None, crs: Any, where: str) -> dict:
    """Name, x, y of a stop given ``at_village`` (or ``to_village``) or ``x``/``y``."""
    vid = entry.get("at_village") or entry.get("to_village")
    if vid is not None:
        if villages is None or str(vid) not in set(map(str, villages.index)):
            raise ConfigError(f"{where}: village {vid!r} does not exist")
        row = villages.loc[next(v for v in villages.index if str(v) == str(vid))]
        p = gpd.GeoSeries([row.geometry], crs=villages.crs).to_crs(crs).representative_point()
        name = entry.get("name") or (row["name"] if "name" in villages.columns else str(vid))
        return {"stop_name": str(name), "x": float(p.x.iloc[0]), "y": float(p.y.iloc[0])}
    if entry.get("x") is None or entry.get("y") is None:
        raise ConfigError(f'{where}: give the stop with at_village = "V123" or x = ..., y = ...')
    name = entry.get("name") or f"stop@{entry['x']:.0f},{entry['y']:.0f}"
    return {"stop_name": str(name), "x": float(entry["x"]), "y": float(entry["y"])}


def _change_headway(lines: pd.DataFrame, e: Mapping[str, Any], where: str) -> None:
    for i in _rows(lines, e["line"], e.get("day_type"), where):
        deps = _departure_list(lines.loc[i])
        lines.at[i, "first"] = e.get("first") or _hhmm(deps[0])
        lines.at[i, "last"] = e.get("last") or _hhmm(deps[-1])
        lines.at[i, "headway_min"] = float(e["headway_min"])
        lines.at[i, "departures"] = None


def _add_run(lines: pd.DataFrame, e: Mapping[str, Any], where: str) -> None:
    new = e["departures"]
    items = new if isinstance(new, list) else str(new).replace(",", " ").split()
    for i in _rows(lines, e["line"], e.get("day_type"), where):
        deps = sorted(set(_departure_list(lines.loc[i]) + [parse_time_s(d) for d in items]))
        lines.at[i, "departures"] = " ".join(_hhmm(d) for d in deps)
        for k in ("first", "last", "headway_min"):
            lines.at[i, k] = None


def _add_line(
    stops: pd.DataFrame,
    lines: pd.DataFrame,
    e: Mapping[str, Any],
    villages: pd.DataFrame | None,
    crs: Any,
    day_types: Sequence[str],
    where: str,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    lid = str(e["id"])
    if (lines["line_id"].astype(str) == lid).any():
        raise ConfigError(f"{where}: line {lid!r} exists already; give the new line another id")
    rows = []
    for j, s in enumerate(e["stops"]):
        place = _place(s, villages, crs, f"{where} stop {j + 1}")
        run = s.get("run_min") if j + 1 < len(e["stops"]) else None
        rows.append(
            {"line_id": lid, "stop_seq": j + 1, **place, "run_min": np.nan if run is None else run}
        )
    if len(rows) < 2:
        raise ConfigError(f"{where}: a line needs at least two stops")
    svc = {k: e.get(k) for k in ("departures", "first", "last", "headway_min")}
    if isinstance(svc["departures"], list):
        svc["departures"] = " ".join(map(str, svc["departures"]))
    kinds = [e["day_type"]] if e.get("day_type") else list(day_types)
    new_lines = [
        {"line_id": lid, "line_name": e.get("name") or lid, "riders": e.get("riders") or "all",
         "day_type": d, **svc}
        for d in kinds
    ]  # fmt: skip
    return (
        pd.concat([stops, pd.DataFrame(rows)], ignore_index=True),
        pd.concat([lines, pd.DataFrame(new_lines)], ignore_index=True),
    )


def _extend_line(
    stops: pd.DataFrame,
    e: Mapping[str, Any],
    villages: pd.DataFrame | None,
    crs: Any,
    where: str,
) -> pd.DataFrame:
    ids = stops["line_id"].astype(str)
    mine = stops[ids == str(e["line"])]
    if not len(mine):
        raise ConfigError(f"{where}: line {e['line']!r} is not in the line table")
    place = _place(e, villages, crs, where)
    last = mine["stop_seq"].idxmax()
    stops = stops.copy()
    stops.at[last, "run_min"] = np.nan if e.get("run_min") is None else float(e["run_min"])
    row = {**stops.loc[last].to_dict(), **place, "stop_seq": mine["stop_seq"].max() + 1}
    row["run_min"] = np.nan
    if e.get("return_line"):  # the return line starts there now
        back = stops[stops["line_id"].astype(str) == str(e["return_line"])]
        if not len(back):
            raise ConfigError(f"{where}: return_line {e['return_line']!r} is not in the table")
        first = back.loc[back["stop_seq"].idxmin()].to_dict()
        rb = {**first, **place, "stop_seq": back["stop_seq"].min() - 1}
        rb["run_min"] = np.nan if e.get("run_min") is None else float(e["run_min"])
        stops = pd.concat([stops, pd.DataFrame([rb])], ignore_index=True)
    return pd.concat([stops, pd.DataFrame([row])], ignore_index=True)


def edit_line_tables(
    setup: TransitSetup,
    actions: Mapping[str, Sequence[Mapping[str, Any]]],
    *,
    network: Any = None,
    villages: pd.DataFrame | None = None,
) -> tuple[TransitSetup, list[str]]:
    """Apply a scenario's bus actions to a setup's line table.

    Parameters
    ----------
    setup
        From a line table (a GTFS feed cannot be edited: a :class:`ConfigError` says so).
    actions
        ``{action: [entry, ...]}`` for the actions of :data:`BUS_ACTIONS` (others are ignored):

        * ``change_headway``: ``line``, ``headway_min``, optional ``day_type``, ``first``,
          ``last`` (default the line's first and last departures);
        * ``add_run``: ``line``, ``departures`` (``"07:40"`` or a list), optional ``day_type``;
          a headway line becomes a list of departures;
        * ``add_line``: ``id``, ``name``, ``stops`` (tables with ``at_village`` or ``x``/``y``,
          optional ``name`` and ``run_min``), ``departures`` or ``first``/``last``/
          ``headway_min``, optional ``riders``, ``day_type``;
        * ``extend_line``: ``line``, ``to_village`` or ``x``/``y`` (and ``name``), optional
          ``run_min`` and ``return_line`` (the line back, which then starts there).
    network
        The road network, for running times not given.
    villages
        Villages (index = id, ``name`` column) for ``at_village``/``to_village``.

    Returns
    -------
    (TransitSetup, list)
        The new setup and the ids of the lines changed or added.

    Examples
    --------
    >>> import pandas as pd
    >>> from accessibility.transit import transit_setup
    >>> stops = pd.DataFrame({"line_id": ["1", "1"], "stop_seq": [1, 2],
    ...     "stop_name": ["A", "B"], "x": [0, 5000], "y": [0, 0], "run_min": [10, None]})
    >>> lines = pd.DataFrame({"line_id": ["1"], "line_name": ["A-B"], "day_type": ["weekday"],
    ...     "first": ["07:00"], "last": ["09:00"], "headway_min": [30]})
    >>> setup = transit_setup(line_stops=stops, lines=lines, crs="EPSG:32650")
    >>> new, changed = edit_line_tables(setup, {"change_headway": [{"line": "1",
    ...     "headway_min": 15}]})
    >>> changed, new.lines["headway_min"].tolist(), setup.lines["headway_min"].tolist()
    (['1'], [15.0], [30])
    """
    if setup.line_stops is None or setup.lines is None:
        raise ConfigError(
            "bus scenario actions edit a county line table; this timetable comes from a GTFS "
            "feed. Convert the lines to a line table (docs/transit.md) to change them"
        )
    if not any(actions.get(a) for a in BUS_ACTIONS):
        return setup, []
    stops, crs = _xy_stops(setup.line_stops, setup.crs)
    lines = pd.DataFrame(setup.lines).copy()
    for col in ("departures", "first", "last", "headway_min"):
        if col not in lines.columns:
            lines[col] = None
        lines[col] = lines[col].astype(object)
    day_types = sorted(set(lines["day_type"].astype(str)))
    changed: list[str] = []
    for i, e in enumerate(actions.get("change_headway") or []):
        _change_headway(lines, e, f"[[change_headway]] #{i + 1}")
        changed.append(str(e["line"]))
    for i, e in enumerate(actions.get("add_run") or []):
        _add_run(lines, e, f"[[add_run]] #{i + 1}")
        changed.append(str(e["line"]))
    for i, e in enumerate(actions.get("add_line") or []):
        where = f"[[add_line]] #{i + 1}"
        stops, lines = _add_line(stops, lines, e, villages, crs, day_types, where)
        changed.append(str(e["id"]))
    for i, e in enumerate(actions.get("extend_line") or []):
        stops = _extend_line(stops, e, villages, crs, f"[[extend_line]] #{i + 1}")
        changed += [str(e["line"])] + ([str(e["return_line"])] if e.get("return_line") else [])
    if "geometry" in stops.columns:
        stops = stops.drop(columns="geometry")
    setup = _with_crs(setup, crs)
    return with_line_tables(setup, stops, lines, network), list(dict.fromkeys(changed))


def _with_crs(setup: TransitSetup, crs: Any) -> TransitSetup:
    """The setup with ``crs`` as the CRS of its line table's ``x``/``y`` columns."""
    from dataclasses import replace

    return setup if setup.crs == crs else replace(setup, crs=crs)
