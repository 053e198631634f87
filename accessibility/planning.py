"""Planning scenarios: what changes if we build, close, merge, enlarge or pave?

A **scenario** is plain data (a TOML file or a Python dict) listing changes to the facilities and
the roads of a project:

==========================  ======================================================================
``[[add_facility]]``        a new facility: ``id``, ``service`` and a place (``at_village``, or
                            ``x``/``y`` in the network's CRS, or ``lon``/``lat``), optional
                            ``name``, ``capacity``, ``doctors``, ``teachers``, ``township`` and
                            ``attributes = {column = value}``
``[[close_facility]]``      ``id`` (or ``ids = [...]``)
``[[merge_facilities]]``    ``from = [...]`` closed, their ``capacity`` / ``doctors`` /
                            ``teachers`` (or the columns in ``sum``) added to ``into``
``[[change_capacity]]``     ``id`` / ``ids`` and new values (``capacity``, ``doctors``,
                            ``teachers``) or ``scale`` (applied to ``column``, default capacity)
``[[change_road_speed]]``   roads chosen by ``road_class``, ``road_name`` or network ``edges``;
                            new ``speed_kmh`` or a ``scale`` for ``mode`` (default ``"car"``)
``[[add_road]]``            a new road: ``coordinates = [[x, y], ...]`` in the network's CRS
                            (or ``lonlat``), ``road_class``, optional ``name``, ``oneway``,
                            ``speed_kmh``; its ends are joined to the nearest road within
                            ``snap_m`` (default 100 m)
==========================  ======================================================================

:func:`apply_scenario` returns new inputs (the inputs are never modified);
:func:`evaluate_scenario` recomputes only what changed and returns before/after differences per
village (time saved, villages and population newly within the thresholds and the planning
standard, supply per head) with a summary table and the change of the inequality indices;
:func:`write_scenario_outputs` writes them to a styled GeoPackage. :func:`run_scenario` and
:func:`run_siting` run a TOML project file end to end (the ``accessibility scenario`` and
``accessibility site`` commands).

What is recomputed
------------------
* Facility changes re-route only the services whose facilities changed. For an **added** facility
  one search from the new facility is enough: the new nearest time is ``min(old, new)``. For a
  **closed** (or merged-away) facility, the villages whose nearest facility it was get a new
  nearest-facility search (the other villages keep theirs, the cost table loses the closed
  facility's rows). **Capacity** changes need no routing at all.
* Road changes (``change_road_speed``, ``add_road``) change travel times everywhere, so every
  service is re-routed on the new network.

The result's ``recomputed`` says what was done for each service, and it is logged.
"""

from __future__ import annotations

import copy
import difflib
import logging
import math
import os
import re
import tomllib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from .errors import (
    ConfigError,
    InvalidValueError,
    MissingColumnError,
    NetworkWarning,
    suggest,
    warn,
)
from .network import Network
from .project.evaluate import evaluate_service, nearest_facility, threshold_label
from .snapping import CONNECTOR_SPEED_KMH, MAX_SNAP_M, locate

if TYPE_CHECKING:  # pragma: no cover
    from .siting import SitingResult

__all__ = [
    "ACTIONS",
    "PlanningInputs",
    "ScenarioResult",
    "apply_scenario",
    "compare_scenarios",
    "evaluate_scenario",
    "load_scenario",
    "run_scenario",
    "run_siting",
    "scenario_from_sites",
    "scenario_toml",
    "write_scenario_outputs",
]

_log = logging.getLogger(__name__)

_REQUIRED = object()

#: The scenario schema: action -> {key: default}; ``_REQUIRED`` marks required keys.
ACTIONS: dict[str, dict[str, Any]] = {
    "add_facility": {
        "id": _REQUIRED,
        "service": _REQUIRED,
        "name": None,
        "at_village": None,
        "x": None,
        "y": None,
        "lon": None,
        "lat": None,
        "capacity": None,
        "doctors": None,
        "teachers": None,
        "township": None,
        "attributes": None,
    },
    "close_facility": {"id": None, "ids": None, "note": None},
    "merge_facilities": {"from": _REQUIRED, "into": _REQUIRED, "sum": None, "note": None},
    "change_capacity": {
        "id": None,
        "ids": None,
        "capacity": None,
        "doctors": None,
        "teachers": None,
        "scale": None,
        "column": "capacity",
        "note": None,
    },
    "change_road_speed": {
        "road_class": None,
        "road_name": None,
        "edges": None,
        "mode": "car",
        "speed_kmh": None,
        "scale": None,
        "note": None,
    },
    "add_road": {
        "coordinates": None,
        "lonlat": None,
        "road_class": _REQUIRED,
        "name": None,
        "oneway": False,
        "speed_kmh": None,
        "snap_m": 100.0,
        "note": None,
    },
}
_HEADER_KEYS = {"name": "scenario", "description": ""}
_TOP_KEYS = ("scenario", *ACTIONS)
_SUM_COLUMNS = ("capacity", "doctors", "teachers")
_EPS_MIN = 1e-9


# --------------------------------------------------------------------------------------------------
# scenario files


def _is_number(v: Any) -> bool:
    return isinstance(v, int | float) and not isinstance(v, bool) and math.isfinite(v)


def _check_entry(action: str, i: int, entry: Any, problems: list[str]) -> dict[str, Any]:
    where = f"[[{action}]] #{i + 1}"
    schema = ACTIONS[action]
    if not isinstance(entry, Mapping):
        problems.append(f"{where} must be a table of keys, got {entry!r}")
        return {}
    for key in entry:
        if key not in schema:
            problems.append(
                f"{where}: unknown key {key!r}.{suggest(key, schema)} Valid keys: "
                f"{', '.join(schema)}"
            )
    out = {k: copy.deepcopy(entry.get(k, None if d is _REQUIRED else d)) for k, d in schema.items()}
    for k, d in schema.items():
        if d is _REQUIRED and entry.get(k) in (None, ""):
            problems.append(f"{where} needs `{k} = ...`")

    def num(key: str, *, positive: bool = False, nonneg: bool = False) -> None:
        v = out.get(key)
        if v is None:
            return
        if not _is_number(v):
            problems.append(f"{where}: {key} = {v!r} must be a number")
        elif positive and v <= 0:
            problems.append(f"{where}: {key} = {v!r} must be > 0")
        elif nonneg and v < 0:
            problems.append(f"{where}: {key} = {v!r} must be >= 0")

    def ids(single: str = "id", many: str = "ids") -> list[str]:
        a, b = out.get(single), out.get(many)
        if (a is None) == (b is None):
            problems.append(f'{where} needs exactly one of `{single} = "..."` or `{many} = [...]`')
            return []
        got = [a] if a is not None else b
        if not isinstance(got, list) or not got:
            problems.append(f"{where}: {many} must be a non-empty list of ids")
            return []
        return [str(x) for x in got]

    if action == "add_facility":
        for key in ("capacity", "doctors", "teachers"):
            num(key, nonneg=True)
        places = [
            name
            for name, keys in (
                ("at_village", ("at_village",)),
                ("x/y", ("x", "y")),
                ("lon/lat", ("lon", "lat")),
            )
            if any(out.get(k) is not None for k in keys)
        ]
        if len(places) != 1:
            problems.append(
                f'{where} needs exactly one place: `at_village = "V123"`, or `x = ..., y = ...` '
                f"(network CRS), or `lon = ..., lat = ...`; got {places or 'none'}"
            )
        for a, b in (("x", "y"), ("lon", "lat")):
            if (out.get(a) is None) != (out.get(b) is None):
                problems.append(f"{where}: give both `{a}` and `{b}`")
            for k in (a, b):
                num(k)
        if out["attributes"] is not None and not isinstance(out["attributes"], Mapping):
            problems.append(f'{where}: attributes must be a table, e.g. {{ level = "central" }}')
        out["id"] = None if out["id"] is None else str(out["id"])
    elif action == "close_facility":
        out["ids"] = ids()
    elif action == "merge_facilities":
        src = out.get("from")
        if src is not None and (not isinstance(src, list) or not src):
            problems.append(
                f"{where}: from must be a non-empty list of facility ids, e.g. "
                f'from = ["PS001", "PS002"]; got {src!r}'
            )
            out["from"] = []  # keep checking the rest, report every problem at once
        else:
            out["from"] = [str(x) for x in src or []]
        out["into"] = None if out["into"] is None else str(out["into"])
        if out["into"] is not None and out["into"] in out["from"]:
            problems.append(f"{where}: `into` ({out['into']!r}) cannot also be in `from`")
        if out["sum"] is not None and not isinstance(out["sum"], list):
            problems.append(f"{where}: sum must be a list of column names")
    elif action == "change_capacity":
        out["ids"] = ids()
        for key in ("capacity", "doctors", "teachers"):
            num(key, nonneg=True)
        num("scale", nonneg=True)
        given = [k for k in ("capacity", "doctors", "teachers", "scale") if out.get(k) is not None]
        if not given:
            problems.append(f"{where} needs a new value (capacity, doctors, teachers) or a scale")
    elif action == "change_road_speed":
        sel = [k for k in ("road_class", "road_name", "edges") if out.get(k) is not None]
        if len(sel) != 1:
            problems.append(
                f"{where} needs exactly one selection: road_class, road_name or edges; got "
                f"{sel or 'none'}"
            )
        if (out.get("speed_kmh") is None) == (out.get("scale") is None):
            problems.append(f"{where} needs exactly one of speed_kmh or scale")
        num("speed_kmh", positive=True)
        num("scale", positive=True)
        for key in ("road_class", "road_name"):
            v = out.get(key)
            if v is not None:
                out[key] = [str(x) for x in v] if isinstance(v, list) else [str(v)]
        if out.get("edges") is not None and (
            not isinstance(out["edges"], list) or not all(isinstance(e, int) for e in out["edges"])
        ):
            problems.append(f"{where}: edges must be a list of network edge ids (integers)")
    elif action == "add_road":
        coords = [k for k in ("coordinates", "lonlat") if out.get(k) is not None]
        if len(coords) != 1:
            problems.append(
                f"{where} needs exactly one of `coordinates = [[x, y], ...]` (network CRS) or "
                "`lonlat = [[lon, lat], ...]`"
            )
        else:
            pts = out[coords[0]]
            ok = (
                isinstance(pts, list)
                and len(pts) >= 2
                and all(
                    isinstance(p, list) and len(p) == 2 and all(map(_is_number, p)) for p in pts
                )
            )
            if not ok:
                problems.append(f"{where}: {coords[0]} must be a list of at least two [x, y] pairs")
        num("snap_m", nonneg=True)
        if out.get("speed_kmh") is not None:
            sp = out["speed_kmh"]
            if isinstance(sp, Mapping):
                if not all(_is_number(v) and v >= 0 for v in sp.values()):
                    problems.append(f"{where}: speed_kmh values must be numbers >= 0")
            else:
                num("speed_kmh", positive=True)
        if not isinstance(out.get("oneway"), bool):
            problems.append(f"{where}: oneway must be true or false")
    return out


def load_scenario(source: str | os.PathLike | Mapping[str, Any]) -> dict[str, Any]:
    """Read and check a scenario (a TOML file or a dict) and fill in defaults.

    Every problem is reported at once in one :class:`~accessibility.errors.ConfigError`: unknown
    sections and keys (with "Did you mean" hints), missing required keys, wrong types, several or
    no places for a new facility, ... Facility ids and road classes are checked against the data
    by :func:`apply_scenario`.

    Parameters
    ----------
    source
        Path of a TOML file, or a mapping with the same structure (each action a list of tables,
        or one table).

    Returns
    -------
    dict
        ``{"scenario": {"name", "description"}, "add_facility": [...], ...}`` with every action
        present (possibly empty) and every key of every entry filled in.

    Examples
    --------
    >>> sc = load_scenario({"close_facility": {"id": "PS017"}})
    >>> sc["close_facility"][0]["ids"], sc["add_facility"]
    (['PS017'], [])
    >>> load_scenario({"close_facility": {"idd": "PS017"}})  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    accessibility.errors.ConfigError: ...unknown key 'idd'. Did you mean 'id'?...
    """
    origin = "scenario"
    if isinstance(source, Mapping):
        raw: Mapping[str, Any] = source
    else:
        p = Path(source)
        origin = str(p)
        if not p.is_file():
            close = difflib.get_close_matches(p.name, [q.name for q in p.parent.glob("*.toml")], 1)
            hint = f" Did you mean '{close[0]}'?" if close else ""
            raise ConfigError(f"scenario file {str(p)!r} does not exist.{hint}")
        try:
            raw = tomllib.loads(p.read_text(encoding="utf-8"))
        except tomllib.TOMLDecodeError as exc:
            raise ConfigError(f"{str(p)!r} is not valid TOML: {exc}") from exc
        except UnicodeDecodeError as exc:
            raise ConfigError(f"{str(p)!r} is not UTF-8 text; save it as UTF-8") from exc
    problems: list[str] = []
    for key in raw:
        if key not in _TOP_KEYS:
            problems.append(
                f"unknown section {key!r}.{suggest(key, _TOP_KEYS)} Sections: "
                f"[scenario], {', '.join(f'[[{a}]]' for a in ACTIONS)}"
            )
    header = dict(_HEADER_KEYS)
    head = raw.get("scenario", {})
    if not isinstance(head, Mapping):
        problems.append("[scenario] must be a table with name and description")
        head = {}
    for key, value in head.items():
        if key not in _HEADER_KEYS:
            problems.append(f"[scenario]: unknown key {key!r}.{suggest(key, _HEADER_KEYS)}")
        elif not isinstance(value, str):
            problems.append(f"[scenario] {key} must be text")
        else:
            header[key] = value
    if header["name"] == "scenario" and not isinstance(source, Mapping):
        header["name"] = Path(source).stem
    out: dict[str, Any] = {"scenario": header}
    for action in ACTIONS:
        entries = raw.get(action, [])
        if isinstance(entries, Mapping):
            entries = [entries]
        if not isinstance(entries, list):
            problems.append(f"[[{action}]] must be a table or a list of tables")
            entries = []
        out[action] = [_check_entry(action, i, e, problems) for i, e in enumerate(entries)]
    ids = [e["id"] for e in out["add_facility"] if e.get("id")]
    dup = sorted({i for i in ids if ids.count(i) > 1})
    if dup:
        problems.append(f"[[add_facility]] ids must be unique; repeated: {dup}")
    if out["add_road"] and any(e.get("edges") for e in out["change_road_speed"]):
        problems.append(
            "[[change_road_speed]] edges = [...] cannot be combined with [[add_road]]: adding a "
            "road renumbers the network's edges. Select roads by road_class or road_name instead"
        )
    if problems:
        raise ConfigError(f"{origin}: {len(problems)} problem(s):\n  - " + "\n  - ".join(problems))
    return out


def _toml_value(v: Any) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int | float) and not isinstance(v, bool):
        return repr(float(v)) if isinstance(v, float) else str(v)
    if isinstance(v, list):
        return "[" + ", ".join(_toml_value(x) for x in v) + "]"
    if isinstance(v, Mapping):
        return "{ " + ", ".join(f"{k} = {_toml_value(x)}" for k, x in v.items()) + " }"
    text = str(v).replace("\\", "\\\\").replace('"', '\\"')
    return f'"{text}"'


def scenario_toml(scenario: Mapping[str, Any]) -> str:
    """A scenario as TOML text (only the keys that are set), e.g. to save one built in Python.

    Examples
    --------
    >>> print(scenario_toml({"close_facility": [{"ids": ["PS017"]}]}))  # doctest: +NORMALIZE_WHITESPACE
    [scenario]
    name = "scenario"
    description = ""
    <BLANKLINE>
    [[close_facility]]
    ids = ["PS017"]
    <BLANKLINE>
    """
    sc = load_scenario(scenario)
    lines = ["[scenario]"]
    lines += [f"{k} = {_toml_value(v)}" for k, v in sc["scenario"].items()]
    for action, schema in ACTIONS.items():
        for entry in sc[action]:
            lines += ["", f"[[{action}]]"]
            for k, v in entry.items():
                if v is None or (k in schema and schema[k] is not _REQUIRED and v == schema[k]):
                    continue
                if action in ("close_facility", "change_capacity") and k == "id":
                    continue
                lines.append(f"{k} = {_toml_value(v)}")
    return "\n".join(lines) + "\n"


# --------------------------------------------------------------------------------------------------
# applying a scenario


@dataclass(frozen=True)
class PlanningInputs:
    """The inputs a scenario changes, kept together.

    Attributes
    ----------
    network
        The road network.
    villages
        Village points (index = village id).
    facilities
        Facility points (index = facility id) with a service column.
    service_column
        Column of ``facilities`` naming the service.
    profile, speeds
        Speed profile (``"china"``, ``"osm"`` or a table) and overrides, used for the speeds of
        added roads (:func:`accessibility.network.speed_profile`).
    changes
        Filled in by :func:`apply_scenario`: what changed (``facility_change`` per facility id,
        ``added``/``closed``/``supply_changed`` ids per service, ``network_changed``,
        ``edge_change`` per edge of the new network).
    """

    network: Network
    villages: gpd.GeoDataFrame
    facilities: gpd.GeoDataFrame
    service_column: str = "service"
    profile: Any = "china"
    speeds: Mapping[str, Mapping[str, float]] | None = None
    changes: dict[str, Any] = field(default_factory=dict)


def _close_ids(word: str, ids: Iterable[Any], n: int = 3) -> str:
    close = difflib.get_close_matches(str(word), [str(i) for i in ids], n=n, cutoff=0.5)
    return f" Close ids: {close}." if close else ""


def _check_ids(
    wanted: Iterable[str], index: pd.Index, where: str, problems: list[str], what: str = "facility"
) -> None:
    known = set(map(str, index))
    for i in wanted:
        if str(i) not in known:
            problems.append(f"{where}: {what} id {i!r} does not exist.{_close_ids(i, index)}")


def _facility_row(
    entry: Mapping[str, Any],
    inputs: PlanningInputs,
    fac: gpd.GeoDataFrame,
    where: str,
    problems: list[str],
) -> dict[str, Any] | None:
    from pyproj import CRS, Transformer

    svc_col = inputs.service_column
    services = sorted(map(str, pd.unique(fac[svc_col].dropna().astype(str))))
    if entry["service"] not in services:
        problems.append(
            f"{where}: service {entry['service']!r} is not among the facilities' services "
            f"{services}.{suggest(entry['service'], services)}"
        )
    if entry["id"] in set(map(str, fac.index)):
        problems.append(f"{where}: facility id {entry['id']!r} already exists; choose a new id")
    fcrs = CRS.from_user_input(fac.crs)
    row: dict[str, Any] = {svc_col: entry["service"]}
    pt = None
    village = entry["at_village"]
    if village is not None:
        v = inputs.villages
        if str(village) not in set(map(str, v.index)):
            problems.append(
                f"{where}: village id {village!r} does not exist.{_close_ids(village, v.index)}"
            )
        else:
            key = v.index[list(map(str, v.index)).index(str(village))]
            geom = v.geometry.loc[[key]]
            pt = geom.to_crs(fcrs).iloc[0] if v.crs != fac.crs else geom.iloc[0]
            if "township" in v.columns and entry["township"] is None:
                row["township"] = v.at[key, "township"]
            if "village_id" in fac.columns:
                row["village_id"] = key
    elif entry["x"] is not None:
        t = Transformer.from_crs(inputs.network.crs, fcrs, always_xy=True)
        pt = shapely.Point(*t.transform(entry["x"], entry["y"]))
    elif entry["lon"] is not None:
        if not (-180 <= entry["lon"] <= 180 and -90 <= entry["lat"] <= 90):
            problems.append(f"{where}: lon/lat ({entry['lon']}, {entry['lat']}) are not degrees")
        else:
            t = Transformer.from_crs("EPSG:4326", fcrs, always_xy=True)
            pt = shapely.Point(*t.transform(entry["lon"], entry["lat"]))
    row["name"] = entry["name"] if entry["name"] is not None else entry["id"]
    for key in ("capacity", "doctors", "teachers", "township"):
        if entry.get(key) is not None:
            row[key] = entry[key]
    row.update(dict(entry["attributes"] or {}))
    for key in list(row):
        if key not in fac.columns:
            if key == "name" and entry["name"] is None:
                row.pop(key)
                continue
            problems.append(
                f"{where}: the facilities have no column {key!r}.{suggest(key, fac.columns)}"
            )
    if pt is None:
        return None
    row[fac.geometry.name] = pt
    return row


def _edge_selection(
    entry: Mapping[str, Any], edges: gpd.GeoDataFrame, where: str, problems: list[str]
) -> np.ndarray:
    if entry["road_class"] is not None:
        known = sorted(map(str, pd.unique(edges["road_class"].astype(str))))
        sel = np.zeros(len(edges), bool)
        for cls in entry["road_class"]:
            from .speeds import normalise_class

            norm = normalise_class(cls, "china")
            hit = edges["road_class"].astype(str).isin([cls, norm]).to_numpy()
            if not hit.any():
                problems.append(
                    f"{where}: no road of class {cls!r}; the network has {known}."
                    + suggest(cls, known)
                )
            sel |= hit
        return sel
    if entry["road_name"] is not None:
        names = edges["name"].astype("string").fillna("")
        known = sorted(set(names) - {""})
        sel = np.zeros(len(edges), bool)
        for name in entry["road_name"]:
            hit = (names == name).to_numpy()
            if not hit.any():
                close = difflib.get_close_matches(name, known, n=3, cutoff=0.4)
                problems.append(
                    f"{where}: no road named {name!r}."
                    + (f" Close names: {close}." if close else "")
                )
            sel |= hit
        return sel
    e = np.asarray(entry["edges"], dtype=np.int64)
    bad = e[(e < 0) | (e >= len(edges))]
    if len(bad):
        problems.append(
            f"{where}: edge ids {bad[:5].tolist()} are not in the network (0..{len(edges) - 1})"
        )
        e = e[(e >= 0) & (e < len(edges))]
    sel = np.zeros(len(edges), bool)
    sel[e] = True
    return sel


def _new_road_line(
    entry: Mapping[str, Any], network: Network, where: str, problems: list[str]
) -> shapely.LineString | None:
    from pyproj import Transformer

    if entry["lonlat"] is not None:
        lon, lat = np.asarray(entry["lonlat"], dtype=float).T
        t = Transformer.from_crs("EPSG:4326", network.crs, always_xy=True)
        xy = np.column_stack(t.transform(lon, lat))
    else:
        xy = np.asarray(entry["coordinates"], dtype=float)
    if not np.isfinite(xy).all():
        problems.append(f"{where}: coordinates could not be transformed to the network CRS")
        return None
    e = network.edges
    x0, y0, x1, y1 = e.total_bounds
    span = max(x1 - x0, y1 - y0, 1.0)
    far = (xy[:, 0] < x0 - span) | (xy[:, 0] > x1 + span) | (xy[:, 1] < y0 - span)
    far |= xy[:, 1] > y1 + span
    if far.any():
        problems.append(
            f"{where}: coordinates {xy[far][:2].round(1).tolist()} are far outside the road "
            f"network (bounds {np.round([x0, y0, x1, y1], 1).tolist()} in {network.crs.to_string()}); "
            "give them in the network's CRS, or use lonlat = [[lon, lat], ...]"
        )
        return None
    coords = [tuple(p) for p in xy]
    snap = float(entry["snap_m"])
    if snap > 0:
        geoms = e.geometry.to_numpy()
        tree = shapely.STRtree(geoms)
        node_xy = network.nodes[["x", "y"]].to_numpy()
        for pos in (0, -1):
            p = shapely.Point(coords[pos])
            (_, j), d = tree.query_nearest([p], return_distance=True, all_matches=False)
            if len(j) == 0 or d[0] > snap:
                warn(
                    NetworkWarning,
                    _log,
                    "%s: the road end %s is more than %g m from any road; it stays unconnected",
                    where,
                    np.round(coords[pos], 1).tolist(),
                    snap,
                )
                continue
            line = geoms[j[0]]
            q = shapely.line_interpolate_point(line, shapely.line_locate_point(line, p))
            qxy = np.array([q.x, q.y])
            ends = node_xy[[e["u"].iat[j[0]], e["v"].iat[j[0]]]]
            dn = np.hypot(*(ends - qxy).T)
            if dn.min() <= 0.5:  # at a junction: join the node itself
                qxy = ends[int(np.argmin(dn))]
            if np.hypot(*(qxy - np.asarray(coords[pos]))) > 0:
                if pos == 0:
                    coords.insert(0, (float(qxy[0]), float(qxy[1])))
                else:
                    coords.append((float(qxy[0]), float(qxy[1])))
    line = shapely.LineString(coords)
    if line.length <= 0:
        problems.append(f"{where}: the new road has zero length")
        return None
    return line


def _splice_roads(
    network: Network,
    lines: Sequence[shapely.LineString],
    entries: Sequence[Mapping[str, Any]],
    profile: Any,
    speeds: Mapping[str, Mapping[str, float]] | None,
) -> tuple[Network, np.ndarray]:
    """Re-run the topology builder on the network's roads plus new lines; keep old edge times.

    Pieces of existing edges keep their time per mode and direction in proportion to their
    length (exact for the uniform speed along an edge); new roads get their class speed.
    """
    from .network import network_from_roads
    from .speeds import PROFILES, normalise_class, speed_profile

    e = network.edges
    base = gpd.GeoDataFrame(
        {
            "road_class": e["road_class"].astype(str).to_numpy(),
            "oneway": e["oneway"].to_numpy(bool),
            "name": e["name"].to_numpy(object) if "name" in e else None,
        },
        geometry=e.geometry.to_numpy(),
        crs=network.crs,
        index=pd.Index(np.arange(len(e), dtype=np.int64)),
    )
    new = gpd.GeoDataFrame(
        {
            "road_class": [str(x["road_class"]) for x in entries],
            "oneway": [bool(x["oneway"]) for x in entries],
            "name": [x["name"] or f"new road {i + 1}" for i, x in enumerate(entries)],
        },
        geometry=list(lines),
        crs=network.crs,
        index=pd.Index(-1 - np.arange(len(lines), dtype=np.int64)),
    )
    roads = pd.concat([base, new])
    table = speed_profile(profile, overrides=speeds)
    built_modes = [m for m in network.modes if m in table] or list(table)[:1]
    rebuilt = network_from_roads(
        roads,
        profile=profile,
        speeds=speeds,
        modes=built_modes,
        tolerance_m=1e-3,
        join_t_junctions=True,
    )
    ne = rebuilt.edges
    src = ne["source_id"].to_numpy(np.int64)
    old = src >= 0
    srcc = np.where(old, src, 0)
    frac = ne["length_m"].to_numpy() / e["length_m"].to_numpy()[srcc]
    out = ne[["u", "v", "length_m", "road_class", "oneway", "name", "geometry"]].copy()
    out["source_id"] = src
    length = out["length_m"].to_numpy()
    pname = profile if isinstance(profile, str) and profile in PROFILES else None
    for mode in network.modes:
        fwd = np.full(len(ne), np.inf)
        bwd = np.full(len(ne), np.inf)
        with np.errstate(invalid="ignore"):
            fwd[old] = e[f"{mode}_fwd_min"].to_numpy()[srcc[old]] * frac[old]
            bwd[old] = e[f"{mode}_bwd_min"].to_numpy()[srcc[old]] * frac[old]
        for k, entry in enumerate(entries):
            m = src == -1 - k
            sp = entry["speed_kmh"]
            if isinstance(sp, Mapping):
                v = float(
                    sp.get(
                        mode,
                        table.get(mode, {}).get(normalise_class(entry["road_class"], pname), 0.0),
                    )
                )
            elif sp is not None and mode == "car":
                v = float(sp)
            else:
                cls = normalise_class(entry["road_class"], pname)
                mt = table.get(mode, {})
                v = float(mt.get(cls, mt.get("unknown", 0.0)))
            t = length[m] / 1000.0 / v * 60.0 if v > 0 else np.full(int(m.sum()), np.inf)
            fwd[m] = t
            oneway = bool(entry["oneway"]) and mode != "walk"
            bwd[m] = np.inf if oneway else t
        out[f"{mode}_fwd_min"] = fwd
        out[f"{mode}_bwd_min"] = bwd
        with np.errstate(divide="ignore", invalid="ignore"):
            t = np.fmin(fwd, bwd)
            out[f"{mode}_speed_kmh"] = np.where(
                np.isfinite(t) & (t > 0), length / 1000.0 / (t / 60.0), 0.0
            )
    out.index.name = "edge"
    report = dict(rebuilt.report)
    report["n_roads_added"] = len(lines)
    return Network(rebuilt.nodes, out, network.modes, report), src


def apply_scenario(
    inputs: PlanningInputs, scenario: str | os.PathLike | Mapping[str, Any]
) -> PlanningInputs:
    """Apply a scenario to the inputs and return new inputs (the given ones are not modified).

    Facility changes are applied in this order: ``add_facility``, ``merge_facilities``,
    ``close_facility``, ``change_capacity``; road changes: ``add_road``, then
    ``change_road_speed``. All problems (unknown facility ids with the closest existing ones,
    unknown services, road classes or names, columns the facilities lack) are reported at once.

    Parameters
    ----------
    inputs
        The current network, villages and facilities.
    scenario
        A scenario file or dict (:func:`load_scenario`).

    Returns
    -------
    PlanningInputs
        New inputs. ``changes`` holds ``facility_change`` (facility id -> ``"added"``,
        ``"closed"``, ``"merged_away"``, ``"merged_into"``, ``"capacity_changed"``), per-service
        id lists ``added``, ``closed``, ``supply_changed``, ``network_changed`` (bool) and
        ``edge_change`` (per edge of the new network: ``""``, ``"new"`` or ``"speed"``).

    Examples
    --------
    >>> import accessibility as acc
    >>> demo = acc.load_demo()
    >>> net = acc.network_from_roads(demo.roads, tolerance_m=2.5)
    >>> base = PlanningInputs(net, demo.villages, demo.facilities)
    >>> new = apply_scenario(base, {"close_facility": {"id": "HC002"}})
    >>> "HC002" in new.facilities.index, "HC002" in base.facilities.index
    (False, True)
    """
    sc = load_scenario(scenario)
    svc_col = inputs.service_column
    fac = inputs.facilities
    if svc_col not in fac.columns:
        raise MissingColumnError(
            f"facilities have no service column {svc_col!r}.{suggest(svc_col, fac.columns)}"
        )
    problems: list[str] = []
    change: dict[Any, str] = {}
    added: dict[str, list[Any]] = {}
    closed: dict[str, list[Any]] = {}
    supply: dict[str, list[Any]] = {}
    id_of = {str(i): i for i in fac.index}

    def svc(fid: Any) -> str:
        return str(new_fac.at[fid, svc_col])

    # --- facilities
    rows = []
    for i, entry in enumerate(sc["add_facility"]):
        row = _facility_row(entry, inputs, fac, f"[[add_facility]] #{i + 1}", problems)
        if row is not None:
            rows.append((entry["id"], row))
    new_fac = fac.copy()
    if rows:
        add = gpd.GeoDataFrame(
            [r for _, r in rows],
            index=pd.Index([k for k, _ in rows], name=fac.index.name),
            geometry=fac.geometry.name,
            crs=fac.crs,
        )
        new_fac = pd.concat([new_fac, add])
        for k, _ in rows:
            change[k] = "added"
            id_of[str(k)] = k
    for i, entry in enumerate(sc["merge_facilities"]):
        where = f"[[merge_facilities]] #{i + 1}"
        _check_ids([*entry["from"], entry["into"]], new_fac.index, where, problems)
        if any(str(x) not in id_of for x in [*entry["from"], entry["into"]]):
            continue
        into = id_of[entry["into"]]
        srcs = [id_of[x] for x in entry["from"]]
        other = [s for s in srcs if svc(s) != svc(into)]
        if other:
            problems.append(
                f"{where}: {other} are not {svc(into)!r} facilities like {entry['into']!r}"
            )
            continue
        cols = (
            entry["sum"]
            if entry["sum"] is not None
            else [c for c in _SUM_COLUMNS if c in new_fac.columns]
        )
        for c in cols:
            if c not in new_fac.columns:
                problems.append(f"{where}: no column {c!r} to sum.{suggest(c, new_fac.columns)}")
                continue
            vals = pd.to_numeric(new_fac.loc[[into, *srcs], c], errors="coerce")
            total = vals.sum(min_count=1)
            if pd.api.types.is_integer_dtype(new_fac[c]) and pd.notna(total):
                total = int(total)
            new_fac.loc[into, c] = total
        new_fac = new_fac.drop(index=srcs)
        for s in srcs:
            change[s] = "merged_away"
            closed.setdefault(str(fac.at[s, svc_col]), []).append(s)
        change[into] = "merged_into"
        supply.setdefault(svc(into), []).append(into)
    for i, entry in enumerate(sc["close_facility"]):
        where = f"[[close_facility]] #{i + 1}"
        _check_ids(entry["ids"], new_fac.index, where, problems)
        gone = [id_of[x] for x in entry["ids"] if str(x) in id_of and id_of[x] in new_fac.index]
        for g in gone:
            s = svc(g)
            if change.get(g) == "added":
                added[s] = [a for a in added.get(s, []) if a != g]
                change.pop(g)
            else:
                change[g] = "closed"
                closed.setdefault(s, []).append(g)
        new_fac = new_fac.drop(index=gone)
    for i, entry in enumerate(sc["change_capacity"]):
        where = f"[[change_capacity]] #{i + 1}"
        _check_ids(entry["ids"], new_fac.index, where, problems)
        targets = [id_of[x] for x in entry["ids"] if str(x) in id_of and id_of[x] in new_fac.index]
        for key in ("capacity", "doctors", "teachers"):
            if entry[key] is not None:
                if key not in new_fac.columns:
                    problems.append(f"{where}: the facilities have no column {key!r}")
                    continue
                new_fac.loc[targets, key] = entry[key]
        if entry["scale"] is not None:
            col = entry["column"]
            if col not in new_fac.columns:
                problems.append(
                    f"{where}: no column {col!r} to scale.{suggest(col, new_fac.columns)}"
                )
            else:
                vals = pd.to_numeric(new_fac.loc[targets, col], errors="coerce") * entry["scale"]
                if pd.api.types.is_integer_dtype(new_fac[col]):
                    new_fac[col] = new_fac[col].astype(float)
                new_fac.loc[targets, col] = vals.to_numpy()
        for t in targets:
            change.setdefault(t, "capacity_changed")
            supply.setdefault(svc(t), []).append(t)
    for fid, what in change.items():
        if what == "added":
            added.setdefault(svc(fid), []).append(fid)

    # --- roads
    net = inputs.network
    edge_change = np.full(len(net.edges), "", dtype=object)
    lines, road_entries = [], []
    for i, entry in enumerate(sc["add_road"]):
        line = _new_road_line(entry, net, f"[[add_road]] #{i + 1}", problems)
        if line is not None:
            lines.append(line)
            road_entries.append(entry)
    speed_sel = [
        _edge_selection(entry, net.edges, f"[[change_road_speed]] #{i + 1}", problems)
        for i, entry in enumerate(sc["change_road_speed"])
    ]
    for i, entry in enumerate(sc["change_road_speed"]):
        if entry["mode"] not in net.modes:
            problems.append(
                f"[[change_road_speed]] #{i + 1}: mode {entry['mode']!r} is not a network mode "
                f"{list(net.modes)}.{suggest(entry['mode'], net.modes)}"
            )
    if problems:
        raise ConfigError(
            f"scenario {sc['scenario']['name']!r} does not fit the data: {len(problems)} "
            "problem(s):\n  - " + "\n  - ".join(problems)
        )
    if lines:
        net, src = _splice_roads(net, lines, road_entries, inputs.profile, inputs.speeds)
        edge_change = np.where(src < 0, "new", "").astype(object)
        # edge selections by class/name are re-evaluated on the new network
        speed_sel = [
            _edge_selection(entry, net.edges, f"[[change_road_speed]] #{i + 1}", problems)
            for i, entry in enumerate(sc["change_road_speed"])
        ]
        _log.info("added %d road(s); the network now has %d edges", len(lines), len(net.edges))
    for entry, sel in zip(sc["change_road_speed"], speed_sel, strict=True):
        mode = entry["mode"]
        e = net.edges
        fwd = e[f"{mode}_fwd_min"].to_numpy().copy()
        bwd = e[f"{mode}_bwd_min"].to_numpy().copy()
        length = e["length_m"].to_numpy()
        for arr in (fwd, bwd):
            ok = sel & np.isfinite(arr)
            if entry["speed_kmh"] is not None:
                arr[ok] = length[ok] / 1000.0 / float(entry["speed_kmh"]) * 60.0
            else:
                arr[ok] = arr[ok] / float(entry["scale"])
        net = net.with_edge_times(mode, fwd, bwd)
        edge_change = np.where(sel & (edge_change == ""), "speed", edge_change)
        _log.info(
            "changed the %s speed of %d edge(s) (%.1f km)",
            mode,
            int(sel.sum()),
            float(length[sel].sum()) / 1000,
        )
    changes = {
        "facility_change": change,
        "added": added,
        "closed": closed,
        "supply_changed": supply,
        "network_changed": bool(lines or sc["change_road_speed"]),
        "edge_change": edge_change,
        "scenario": sc,
    }
    return replace(inputs, network=net, facilities=new_fac, changes=changes)


# --------------------------------------------------------------------------------------------------
# evaluating a scenario


@dataclass
class _State:
    """Nearest facility and cost table of one service, aligned to the villages."""

    nearest_min: pd.Series
    nearest_id: pd.Series
    nearest_m: pd.Series
    costs: pd.DataFrame
    supply: pd.Series | None

    def copy(self) -> _State:
        return _State(
            self.nearest_min.copy(),
            self.nearest_id.copy(),
            self.nearest_m.copy(),
            self.costs.copy(),
            None if self.supply is None else self.supply.copy(),
        )


def _empty_state(index: pd.Index) -> _State:
    return _State(
        pd.Series(np.inf, index=index),
        pd.Series(None, index=index, dtype=object),
        pd.Series(np.inf, index=index),
        pd.DataFrame({"origin": [], "destination": [], "travel_time_min": [], "distance_m": []}),
        None,
    )


def _supply_of(fac_s: pd.DataFrame, spec: Mapping[str, Any]) -> pd.Series | None:
    col = spec.get("supply")
    if not col or col not in fac_s.columns:
        return None
    return pd.to_numeric(fac_s[col], errors="coerce").fillna(0.0).astype(float)


def _set_nearest(state: _State, near: pd.DataFrame) -> None:
    """Set the nearest facility of the villages of ``near`` (:func:`nearest_facility`)."""
    idx = near.index
    state.nearest_min.loc[idx] = near["nearest_min"].fillna(np.inf).to_numpy(np.float64)
    state.nearest_id.loc[idx] = near["nearest_id"].to_numpy(object)
    state.nearest_m.loc[idx] = near["nearest_m"].fillna(np.inf).to_numpy(np.float64)


class _Router:
    """Located villages per mode for one network, and the evaluations of the services on it."""

    def __init__(
        self,
        network: Network,
        villages: gpd.GeoDataFrame,
        *,
        max_snap_m: float,
        connector_speed_kmh: float,
        n_jobs: int | None,
    ) -> None:
        self.network = network
        self.villages = villages
        self.opts = {"max_snap_m": max_snap_m, "connector_speed_kmh": connector_speed_kmh}
        self.n_jobs = n_jobs
        self._lv: dict[str, pd.DataFrame] = {}

    def lv(self, mode: str) -> pd.DataFrame:
        if mode not in self._lv:
            self._lv[mode] = locate(
                self.villages, self.network, mode=mode, what="villages", **self.opts
            )
        return self._lv[mode]

    def evaluate(self, s: str, fac: gpd.GeoDataFrame, spec: Mapping[str, Any]) -> _State:
        """The service evaluated for every village (:func:`evaluate_service`) as a state."""
        # the before/after comparison needs the nearest facility and the cost table, not the
        # measures of the spec; supply is read by _supply_of (missing values count as none)
        ev = evaluate_service(
            self.network,
            self.villages,
            fac,
            {**spec, "measures": [], "supply": None},
            name=s,
            located_villages=self.lv(spec["mode"]),
            n_jobs=self.n_jobs,
            **self.opts,
        )
        st = _empty_state(self.villages.index)
        _set_nearest(st, ev.nearest)
        st.costs = ev.costs
        return st

    def full(self, s: str, fac_s: gpd.GeoDataFrame, spec: Mapping[str, Any]) -> _State:
        if len(fac_s) == 0:
            st = _empty_state(self.villages.index)
        else:
            st = self.evaluate(s, fac_s, spec)
        st.supply = _supply_of(fac_s, spec)
        return st

    def incremental(
        self,
        s: str,
        base: _State,
        fac_after: gpd.GeoDataFrame,
        added: Sequence[Any],
        closed: Sequence[Any],
        spec: Mapping[str, Any],
    ) -> tuple[_State, str]:
        st = base.copy()
        st.supply = _supply_of(fac_after, spec)
        m = spec["mode"]
        notes = []
        if closed:
            st.costs = st.costs[~st.costs["destination"].isin(closed)].reset_index(drop=True)
            hit = st.nearest_id.isin(closed)
            st.nearest_min[hit] = np.inf
            st.nearest_id[hit] = None
            st.nearest_m[hit] = np.inf
            remaining = fac_after.drop(index=list(added))
            if hit.any() and len(remaining):
                lv = self.lv(m).loc[hit.to_numpy()]
                _set_nearest(st, nearest_facility(self.network, lv, remaining, mode=m, **self.opts))
            notes.append(
                f"closed {len(closed)}: nearest search again for the {int(hit.sum())} village(s) "
                "they served"
            )
        if added:
            new = self.evaluate(s, fac_after.loc[list(added)], spec)
            better = new.nearest_min < st.nearest_min
            st.nearest_min[better] = new.nearest_min[better]
            st.nearest_id[better] = new.nearest_id[better]
            st.nearest_m[better] = new.nearest_m[better]
            if len(new.costs):
                st.costs = pd.concat([st.costs, new.costs], ignore_index=True)
            notes.append(f"added {len(added)}: routed from the new facilities only")
        if not notes:
            notes.append("supply changed only: no routing")
        return st, "incremental (" + "; ".join(notes) + ")"


@dataclass
class _Baseline:
    network: Network
    villages: gpd.GeoDataFrame
    facilities: gpd.GeoDataFrame
    specs: dict[str, dict[str, Any]]
    states: dict[str, _State] = field(default_factory=dict)

    def matches(self, network: Network, villages: pd.DataFrame, facilities: pd.DataFrame) -> bool:
        return (
            network is self.network
            and villages.index.equals(self.villages.index)
            and facilities.index.equals(self.facilities.index)
            and facilities.equals(self.facilities)
        )


@dataclass
class ScenarioResult:
    """What a scenario changes.

    Attributes
    ----------
    name
        The scenario's name.
    villages
        Per-village before/after layer (a copy of the villages with, per evaluated service ``s``:
        ``{s}_nearest_id_before/_after``, ``{s}_nearest_min_before/_after`` (NaN =
        unreachable), ``{s}_reachable_before/_after``, ``{s}_saved_min`` (before - after;
        NaN when unreachable before or after), ``{s}_newly_within_{t}min`` and
        ``{s}_lost_within_{t}min`` per threshold, ``{s}_standard_min``,
        ``{s}_meets_standard_before/_after``, ``{s}_newly_meets_standard``,
        ``{s}_loses_standard`` and, when the service has a supply column, ``{s}_2sfca_before``,
        ``{s}_2sfca_after``, ``{s}_2sfca_change`` (supply per 1,000 people)).
    summary
        One row per evaluated service (see :func:`evaluate_scenario`).
    equity
        Inequality indices of the nearest time before and after: one row per (service, group,
        index) with ``before``, ``after``, ``change``.
    facilities
        The facilities after the scenario plus the closed ones, with a ``change`` column
        (``added``, ``closed``, ``merged_away``, ``merged_into``, ``capacity_changed`` or
        ``unchanged``).
    roads
        Changed and new network edges with ``change`` (``new``/``speed``) and the speed before
        and after per mode, or None when the roads did not change.
    recomputed
        Service -> what was recomputed and how.
    inputs
        The inputs after the scenario (for chaining scenarios).
    files
        Files written by :func:`write_scenario_outputs` / :func:`run_scenario`.
    """

    name: str
    villages: gpd.GeoDataFrame
    summary: pd.DataFrame
    equity: pd.DataFrame
    facilities: gpd.GeoDataFrame
    roads: gpd.GeoDataFrame | None
    recomputed: dict[str, str]
    inputs: PlanningInputs
    description: str = ""
    baseline: Any = field(default=None, repr=False)
    files: dict[str, Path] = field(default_factory=dict)

    def __repr__(self) -> str:
        return (
            f"<ScenarioResult {self.name!r}: services {list(self.summary.index)}, "
            f"{len(self.villages)} villages>"
        )


def _standard_thresholds(
    villages: pd.DataFrame,
    service: str,
    mode: str,
    table: pd.DataFrame | None,
    *,
    area_type: str,
    override: Mapping[str, float],
) -> tuple[pd.Series, str]:
    """Threshold (minutes) applying to each village for ``service``, and where it comes from."""
    if service in override:
        return pd.Series(float(override[service]), index=villages.index), "given"
    out = pd.Series(np.nan, index=villages.index)
    if table is None:
        return out, "none"
    rows = table[
        (table["unit"] == "min")
        & table["services"].map(lambda s: tuple(s) == (service,))
        & (table["name"] == service)
    ]
    used = []
    area = (
        villages[area_type].astype("string").str.strip().str.lower()
        if area_type in villages.columns
        else pd.Series(pd.NA, index=villages.index, dtype="string")
    )
    for row in rows.itertuples(index=False):
        if row.mode != mode:
            _log.info(
                "standard %s/%s is for mode %r but %s is routed by %r: not applied",
                service,
                row.area_type,
                row.mode,
                service,
                mode,
            )
            continue
        applies = (
            pd.Series(True, index=villages.index)
            if row.area_type == "all"
            else (area == row.area_type).fillna(False).astype(bool)
        )
        out[applies] = float(row.threshold)
        used.append(f"{row.area_type} {row.threshold:g} min")
    return out, ", ".join(used) if used else "none"


def _safe_index(func: Any, values: pd.Series, weights: pd.Series) -> float:
    try:
        return float(func(values, weights))
    except InvalidValueError:
        return math.nan


def _equity_rows(
    service: str,
    before: pd.Series,
    after: pd.Series,
    weights: pd.Series,
    groups: pd.Series | None,
    cap: float,
) -> list[dict[str, Any]]:
    from .equity import coefficient_of_variation, gini, theil_t

    b = before.where(np.isfinite(before), cap)
    a = after.where(np.isfinite(after), cap)
    sets: dict[str, pd.Series] = {"all": pd.Series(True, index=before.index)}
    if groups is not None:
        for g in sorted(map(str, pd.unique(groups.dropna().astype(str)))):
            sets[g] = (groups.astype(str) == g).fillna(False)
    rows = []
    for gname, m in sets.items():
        w = weights[m]
        if not (w > 0).any():
            continue
        for iname, func in (("gini", gini), ("cv", coefficient_of_variation), ("theil_t", theil_t)):
            vb, va = _safe_index(func, b[m], w), _safe_index(func, a[m], w)
            rows.append(
                {
                    "service": service,
                    "group": gname,
                    "index": iname,
                    "before": vb,
                    "after": va,
                    "change": va - vb,
                }
            )
    return rows


def _wmean(values: pd.Series, weights: pd.Series) -> float:
    ok = np.isfinite(values) & (weights > 0)
    return float((values[ok] * weights[ok]).sum() / weights[ok].sum()) if ok.any() else math.nan


def _compare_service(
    s: str,
    spec: Mapping[str, Any],
    before: _State,
    after: _State,
    villages: gpd.GeoDataFrame,
    thresholds: pd.Series,
    standard_note: str,
    out: dict[str, Any],
    *,
    area_type: str,
    catchment_min: float,
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    dcol = spec.get("demand") or "population"
    if dcol not in villages.columns:
        dcol = "population" if "population" in villages.columns else None
    pop = (
        pd.to_numeric(villages[dcol], errors="coerce").fillna(0.0).astype(float)
        if dcol
        else pd.Series(1.0, index=villages.index)
    )
    tb, ta = before.nearest_min.astype(float), after.nearest_min.astype(float)
    rb, ra = np.isfinite(tb), np.isfinite(ta)
    saved = (tb - ta).where(rb & ra)
    out[f"{s}_nearest_id_before"] = before.nearest_id.astype(object)
    out[f"{s}_nearest_id_after"] = after.nearest_id.astype(object)
    out[f"{s}_nearest_min_before"] = tb.where(rb)
    out[f"{s}_nearest_min_after"] = ta.where(ra)
    out[f"{s}_reachable_before"] = rb
    out[f"{s}_reachable_after"] = ra
    out[f"{s}_saved_min"] = saved
    improved = (saved > _EPS_MIN) | (~rb & ra)
    worse = (saved < -_EPS_MIN) | (rb & ~ra)
    row: dict[str, Any] = {
        "mode": spec["mode"],
        "population_column": dcol,
        "villages_improved": int(improved.sum()),
        "villages_worse": int(worse.sum()),
        "population_improved": float(pop[improved].sum()),
        "population_worse": float(pop[worse].sum()),
        "villages_newly_reachable": int((~rb & ra).sum()),
        "villages_newly_unreachable": int((rb & ~ra).sum()),
        "mean_saved_min": _wmean(saved, pop),
        "mean_saved_min_improved": _wmean(saved[improved], pop[improved]),
        "max_saved_min": float(saved.max()) if saved.notna().any() else math.nan,
        "max_lost_min": float(max(0.0, -saved.min())) if saved.notna().any() else math.nan,
        "mean_nearest_min_before": _wmean(tb, pop),
        "mean_nearest_min_after": _wmean(ta, pop),
    }
    for t in spec["thresholds_min"]:
        lab = threshold_label(t)
        inb, ina = tb <= t, ta <= t
        out[f"{s}_newly_within_{lab}min"] = ~inb & ina
        out[f"{s}_lost_within_{lab}min"] = inb & ~ina
        row[f"population_newly_within_{lab}min"] = float(pop[~inb & ina].sum())
        row[f"population_lost_within_{lab}min"] = float(pop[inb & ~ina].sum())
    applies = thresholds.notna()
    mb = pd.Series(pd.NA, index=villages.index, dtype="boolean")
    ma = mb.copy()
    mb[applies] = (tb <= thresholds)[applies]
    ma[applies] = (ta <= thresholds)[applies]
    out[f"{s}_standard_min"] = thresholds
    out[f"{s}_meets_standard_before"] = mb
    out[f"{s}_meets_standard_after"] = ma
    newly = (~mb & ma).fillna(False).astype(bool)
    loses = (mb & ~ma).fillna(False).astype(bool)
    out[f"{s}_newly_meets_standard"] = newly
    out[f"{s}_loses_standard"] = loses
    subject = float(pop[applies].sum())
    row.update(
        {
            "standard": standard_note,
            "villages_newly_meeting_standard": int(newly.sum()),
            "population_newly_meeting_standard": float(pop[newly].sum()),
            "population_losing_standard": float(pop[loses].sum()),
            "standard_coverage_before": float(pop[mb.fillna(False).astype(bool)].sum()) / subject
            if subject > 0
            else math.nan,
            "standard_coverage_after": float(pop[ma.fillna(False).astype(bool)].sum()) / subject
            if subject > 0
            else math.nan,
        }
    )
    if before.supply is not None or after.supply is not None:
        from .measures import two_sfca

        vals = {}
        for tag, st in (("before", before), ("after", after)):
            sup = st.supply if st.supply is not None else pd.Series(dtype=float)
            c = st.costs[st.costs["destination"].isin(sup.index)]
            if len(sup) == 0 or len(c) == 0 or not (pop > 0).any():
                vals[tag] = pd.Series(0.0, index=villages.index)
            else:
                vals[tag] = 1000.0 * two_sfca(
                    c, pop, sup, limit_min=catchment_min, unknown_ids="drop"
                ).reindex(villages.index).fillna(0.0)
        out[f"{s}_2sfca_before"] = vals["before"]
        out[f"{s}_2sfca_after"] = vals["after"]
        out[f"{s}_2sfca_change"] = vals["after"] - vals["before"]
        row["supply_column"] = spec.get("supply")
        row["catchment_min"] = catchment_min
        row["mean_2sfca_before"] = _wmean(vals["before"], pop)
        row["mean_2sfca_after"] = _wmean(vals["after"], pop)
    finite = pd.concat([tb[rb], ta[ra]])
    cap = max(float(spec["max_time_min"]), float(finite.max()) if len(finite) else 0.0)
    groups = villages[area_type] if area_type in villages.columns else None
    eq = _equity_rows(s, tb, ta, pop, groups, cap)
    for r in eq:
        if r["group"] == "all":
            row[f"{r['index']}_before"] = r["before"]
            row[f"{r['index']}_after"] = r["after"]
    return row, eq


def _catchment(spec: Mapping[str, Any], catchment_min: Any, service: str) -> float:
    if isinstance(catchment_min, Mapping) and service in catchment_min:
        return float(catchment_min[service])
    if _is_number(catchment_min):
        return float(catchment_min)
    for m in spec.get("measures") or []:
        if isinstance(m, Mapping) and str(m.get("measure", "")).lower() == "2sfca":
            if _is_number(m.get("limit_min")):
                return float(m["limit_min"])
    return float(spec["max_time_min"])


def _facility_change_layer(
    before: gpd.GeoDataFrame, after: gpd.GeoDataFrame, change: Mapping[Any, str]
) -> gpd.GeoDataFrame:
    gone = [k for k, v in change.items() if v in ("closed", "merged_away") and k in before.index]
    layer = pd.concat([after, before.loc[gone]]) if gone else after.copy()
    layer = gpd.GeoDataFrame(layer, geometry=after.geometry.name, crs=after.crs)
    layer["change"] = [change.get(k, "unchanged") for k in layer.index]
    return layer


def _road_change_layer(
    before: Network, after: Network, edge_change: np.ndarray
) -> gpd.GeoDataFrame | None:
    sel = edge_change != ""
    if not sel.any():
        return None
    e = after.edges
    cols = {"change": edge_change[sel], "road_class": e["road_class"].to_numpy()[sel]}
    if "name" in e:
        cols["name"] = e["name"].to_numpy()[sel]
    cols["length_m"] = e["length_m"].to_numpy()[sel]
    src = e["source_id"].to_numpy()[sel] if "source_id" in e else np.flatnonzero(sel)
    for mode in after.modes:
        old = before.edges[f"{mode}_speed_kmh"].to_numpy()
        has = src >= 0
        bsp = np.full(int(sel.sum()), np.nan)
        bsp[has] = old[np.where(has, src, 0)[has]] if len(old) else np.nan
        cols[f"{mode}_speed_kmh_before"] = bsp
        cols[f"{mode}_speed_kmh_after"] = e[f"{mode}_speed_kmh"].to_numpy()[sel]
    return gpd.GeoDataFrame(cols, geometry=e.geometry.to_numpy()[sel], crs=after.crs)


def evaluate_scenario(
    network: Network,
    villages: gpd.GeoDataFrame,
    facilities: gpd.GeoDataFrame,
    scenario: str | os.PathLike | Mapping[str, Any],
    *,
    services: Mapping[str, Mapping[str, Any]] | Sequence[str] | None = None,
    service_column: str = "service",
    mode: str = "car",
    thresholds_min: Sequence[float] = (15, 30, 60),
    max_time_min: float | None = None,
    demand: str = "population",
    supply: str | None = "capacity",
    standards: Any = "default",
    standard_min: Mapping[str, float] | None = None,
    catchment_min: float | Mapping[str, float] | None = None,
    area_type: str = "area_type",
    profile: Any = "china",
    speeds: Mapping[str, Mapping[str, float]] | None = None,
    max_snap_m: float = MAX_SNAP_M,
    connector_speed_kmh: float = CONNECTOR_SPEED_KMH,
    n_jobs: int | None = None,
    baseline: Any = None,
) -> ScenarioResult:
    """Evaluate a scenario: before/after nearest times, coverage and equity, recomputing only what
    changed.

    The baseline (every service's nearest facility and cost table) is computed once (or taken
    from ``baseline=``, e.g. ``result.baseline`` of an earlier scenario on the same inputs). Then
    only the services whose facilities changed are re-routed, and only from the changed
    facilities (see the module documentation); road changes re-route every service on the new
    network. Exactly the same numbers as a full recomputation (tests check this).

    Definitions (``s`` a service, ``w`` the service's demand column, e.g. ``pop_school_age`` for
    schools):

    * time saved ``= nearest_before - nearest_after`` in minutes (negative = worse);
    * *newly within t*: ``nearest_before > t`` (or unreachable) and ``nearest_after <= t``;
    * the standard is the row of the standards table named ``s`` whose area type fits the
      village and whose mode is the service's mode (``standard_min`` overrides it per service);
    * 2SFCA supply per 1,000 people with a step catchment of ``catchment_min`` minutes (default:
      the ``2sfca`` measure's ``limit_min`` of the service spec, else its ``max_time_min``);
    * inequality of the nearest time, weighted by ``w``: Gini, coefficient of variation, Theil T
      (:mod:`accessibility.equity`), overall and per ``area_type``; unreachable villages count
      at the cap ``max(max_time_min, largest finite time)``, the same before and after.

    Parameters
    ----------
    network, villages, facilities
        The current inputs (not modified).
    scenario
        A scenario file or dict (:func:`load_scenario`).
    services, service_column, mode, thresholds_min, max_time_min, demand, supply
        As in :func:`accessibility.pipeline.accessibility_layer` (per-service specs).
    standards
        ``"default"`` (the built-in table), a standards table or TOML path
        (:func:`accessibility.standards.load_standards`), or None for no standard.
    standard_min
        ``{service: minutes}``: one standard for every village, replacing the table's.
    catchment_min
        2SFCA catchment in minutes (a number or ``{service: minutes}``).
    area_type
        Village column with urban/rural, for standards and the equity groups.
    profile, speeds
        Speed profile for added roads.
    max_snap_m, connector_speed_kmh, n_jobs
        See :func:`accessibility.costs.travel_costs`.
    baseline
        ``result.baseline`` of an earlier evaluation on the same network, villages and
        facilities, to skip recomputing the baseline.

    Returns
    -------
    ScenarioResult
        ``summary`` (index = service) has ``recomputed``, ``n_facilities_before/_after``,
        ``villages_improved``, ``villages_worse``, ``population_improved``,
        ``population_worse``, ``mean_saved_min`` (population-weighted over villages reachable
        before and after), ``mean_saved_min_improved``, ``max_saved_min``, ``max_lost_min``,
        ``mean_nearest_min_before/_after``, ``population_newly_within_{t}min`` and
        ``population_lost_within_{t}min`` per threshold, ``standard``,
        ``villages_newly_meeting_standard``, ``population_newly_meeting_standard``,
        ``population_losing_standard``, ``standard_coverage_before/_after`` (population share
        meeting the standard among those it applies to), ``mean_2sfca_before/_after`` and
        ``gini``/``cv``/``theil_t`` ``_before/_after``.

    Examples
    --------
    >>> import accessibility as acc
    >>> demo = acc.load_demo()
    >>> net = acc.network_from_roads(demo.roads, tolerance_m=2.5)
    >>> res = evaluate_scenario(net, demo.villages, demo.facilities,
    ...     {"add_facility": {"id": "HC_NEW", "service": "health_centre", "at_village": "V300",
    ...                       "doctors": 5}}, services=["health_centre"])
    >>> bool((res.villages["health_centre_saved_min"] >= 0).all())
    True
    """
    from .pipeline import service_specs

    inputs = PlanningInputs(
        network, villages, facilities, service_column=service_column, profile=profile, speeds=speeds
    )
    after = apply_scenario(inputs, scenario)
    ch = after.changes
    sc = ch["scenario"]
    both = pd.concat([facilities[[service_column]], after.facilities[[service_column]]])
    specs = service_specs(
        both,
        services,
        service_column=service_column,
        mode=mode,
        thresholds_min=thresholds_min,
        max_time_min=max_time_min,
        demand=demand,
        supply=supply,
    )
    touched = set(ch["added"]) | set(ch["closed"]) | set(ch["supply_changed"])
    touched = {
        s
        for s in touched
        if ch["added"].get(s) or ch["closed"].get(s) or ch["supply_changed"].get(s)
    }
    ignored = sorted(touched - set(specs))
    if ignored:
        _log.warning(
            "the scenario changes %s facilities, which are not among the evaluated services %s",
            ignored,
            list(specs),
        )
    evaluated = list(specs) if ch["network_changed"] else [s for s in specs if s in touched]
    if not evaluated:
        _log.warning("scenario %r changes nothing that is evaluated", sc["scenario"]["name"])
    table = None
    if standards is not None:
        from .standards import load_standards

        table = load_standards(
            None if isinstance(standards, str) and standards == "default" else standards
        )
    opts = {"max_snap_m": max_snap_m, "connector_speed_kmh": connector_speed_kmh, "n_jobs": n_jobs}
    if isinstance(baseline, _Baseline) and baseline.matches(network, villages, facilities):
        base = baseline
    else:
        if baseline is not None:
            _log.warning("baseline= was computed on other inputs; computing a new baseline")
        base = _Baseline(network, villages, facilities, specs)
    base_router = _Router(network, villages, **opts)
    after_router = (
        _Router(after.network, villages, **opts) if ch["network_changed"] else base_router
    )
    svc_before = facilities[service_column].astype(str)
    svc_after = after.facilities[service_column].astype(str)
    out: dict[str, Any] = {}
    rows, eq_rows, recomputed = {}, [], {}
    for s in evaluated:
        spec = specs[s]
        key = (s, spec["mode"], spec["max_time_min"], spec.get("supply"))
        fb = facilities[svc_before == s]
        fa = after.facilities[svc_after == s]
        if key not in base.states:
            base.states[key] = base_router.full(s, fb, spec)
            _log.info("baseline %s: routed from %d facilities", s, len(fb))
        b = base.states[key]
        if ch["network_changed"]:
            a = after_router.full(s, fa, spec)
            how = f"full (roads changed): routed from all {len(fa)} facilities on the new network"
        else:
            a, how = base_router.incremental(
                s, b, fa, ch["added"].get(s, []), ch["closed"].get(s, []), spec
            )
        recomputed[s] = how
        _log.info("scenario %r, %s: %s", sc["scenario"]["name"], s, how)
        thr, note = _standard_thresholds(
            villages, s, spec["mode"], table, area_type=area_type, override=standard_min or {}
        )
        row, eq = _compare_service(
            s,
            spec,
            b,
            a,
            villages,
            thr,
            note,
            out,
            area_type=area_type,
            catchment_min=_catchment(spec, catchment_min, s),
        )
        row = {
            "recomputed": how,
            "n_facilities_before": len(fb),
            "n_facilities_after": len(fa),
            **row,
        }
        rows[s] = row
        eq_rows += eq
    for s in touched - set(evaluated) - set(ignored):
        recomputed[s] = "unchanged"
    layer = villages.copy()
    if out:
        layer = pd.concat([layer, pd.DataFrame(out, index=villages.index)], axis=1)
        layer = gpd.GeoDataFrame(layer, geometry=villages.geometry.name, crs=villages.crs)
    summary = pd.DataFrame.from_dict(rows, orient="index")
    summary.index.name = "service"
    equity = pd.DataFrame(
        eq_rows, columns=["service", "group", "index", "before", "after", "change"]
    )
    return ScenarioResult(
        name=sc["scenario"]["name"],
        description=sc["scenario"]["description"],
        villages=layer,
        summary=summary,
        equity=equity,
        facilities=_facility_change_layer(facilities, after.facilities, ch["facility_change"]),
        roads=_road_change_layer(network, after.network, ch["edge_change"])
        if ch["network_changed"]
        else None,
        recomputed=recomputed,
        inputs=after,
        baseline=base,
    )


def compare_scenarios(
    network: Network,
    villages: gpd.GeoDataFrame,
    facilities: gpd.GeoDataFrame,
    scenarios: Mapping[str, Any] | Sequence[Any],
    **kwargs: Any,
) -> tuple[pd.DataFrame, dict[str, ScenarioResult]]:
    """Evaluate several scenarios on the same inputs (the baseline is computed once).

    Parameters
    ----------
    scenarios
        ``{label: scenario}`` or a list of scenario files/dicts (labelled by their names).
    **kwargs
        Options of :func:`evaluate_scenario`.

    Returns
    -------
    (DataFrame, dict)
        The summaries stacked with a ``(scenario, service)`` index, and the results by label.
    """
    items = (
        list(scenarios.items())
        if isinstance(scenarios, Mapping)
        else [(None, s) for s in scenarios]
    )
    results: dict[str, ScenarioResult] = {}
    baseline = kwargs.pop("baseline", None)
    for label, sc in items:
        res = evaluate_scenario(network, villages, facilities, sc, baseline=baseline, **kwargs)
        baseline = res.baseline
        results[label or res.name] = res
    parts = [r.summary.assign(scenario=k) for k, r in results.items()]
    table = (
        pd.concat(parts).reset_index().set_index(["scenario", "service"])
        if parts
        else pd.DataFrame()
    )
    return table, results


# --------------------------------------------------------------------------------------------------
# outputs

SAVED_BREAKS_MIN: tuple[float, ...] = (-math.inf, -0.05, 0.05, 2.0, 5.0, 15.0, math.inf)
SAVED_COLORS: tuple[str, ...] = ("#d73027", "#e0e0e0", "#d9f0d3", "#a6dba0", "#5aae61", "#1b7837")
SAVED_LABELS: tuple[str, ...] = (
    "worse 变差",
    "no change 不变",
    "0-2 min saved",
    "2-5 min saved",
    "5-15 min saved",
    "> 15 min saved",
)
CHANGE_STYLES: dict[str, tuple[str, str, float, str]] = {
    "added": ("#e31a1c", "new site 新建", 7.0, "star"),
    "merged_into": ("#ff7f00", "merged into 合并后", 5.0, "circle"),
    "capacity_changed": ("#fdbf6f", "capacity changed 扩容", 4.0, "circle"),
    "closed": ("#636363", "closed 撤并", 4.0, "cross2"),
    "merged_away": ("#969696", "merged away 并入他处", 4.0, "cross2"),
    "unchanged": ("#9ecae1", "unchanged 不变", 2.2, "circle"),
}
ROAD_CHANGE_STYLES: dict[str, tuple[str, str, float]] = {
    "new": ("#e31a1c", "new road 新建道路", 1.6),
    "speed": ("#ff7f00", "upgraded 提速", 1.4),
}


def _marker_shapes(qml: str, shapes: Sequence[str]) -> str:
    """Give symbol ``i`` of a categorised QML the marker shape ``shapes[i]``."""

    def fix(match: re.Match[str]) -> str:
        i = int(match.group(1))
        shape = shapes[i] if i < len(shapes) else "circle"
        body = match.group(0)
        return body.replace('value="circle"', f'value="{shape}"').replace(
            'v="circle"', f'v="{shape}"'
        )

    return re.sub(r'<symbol type="marker" name="(\d+)".*?</symbol>', fix, qml, flags=re.S)


def scenario_styles(result: ScenarioResult, *, service: str | None = None) -> dict[str, str]:
    """QGIS styles of the scenario layers: time saved (graduated, green = faster, red = slower,
    grey = no change) for ``service`` (default: the one improving the most people), facilities by
    change with new sites as big red stars, changed roads thick."""
    from .styles import categorized_qml, geometry_type_of, graduated_qml

    styles: dict[str, str] = {}
    summ = result.summary
    if service is None and len(summ):
        service = str(summ["population_improved"].idxmax())
    col = f"{service}_saved_min"
    if service is not None and col in result.villages.columns:
        styles["villages"] = graduated_qml(
            col,
            SAVED_BREAKS_MIN,
            SAVED_COLORS,
            geometry_type_of(result.villages),
            SAVED_LABELS,
            null_class=("#762a83", "unreachable before or after 不可达"),
            size_mm=2.4,
        )
    present = set(result.facilities["change"])
    cats = {k: v for k, v in CHANGE_STYLES.items() if k in present or k == "added"}
    qml = categorized_qml(
        "change",
        {k: (v[0], v[1]) for k, v in cats.items()},
        "Point",
        sizes_mm={k: v[2] for k, v in cats.items()},
        size_mm=2.2,
        outline=(255, 255, 255),
    )
    styles["facilities"] = _marker_shapes(qml, [v[3] for v in cats.values()])
    if result.roads is not None:
        styles["roads_changed"] = categorized_qml(
            "change",
            {k: (v[0], v[1]) for k, v in ROAD_CHANGE_STYLES.items()},
            "LineString",
            sizes_mm={k: v[2] for k, v in ROAD_CHANGE_STYLES.items()},
        )
    return styles


def write_scenario_outputs(
    path: str | os.PathLike,
    result: ScenarioResult,
    *,
    extra_layers: Mapping[str, pd.DataFrame] | None = None,
    style_service: str | None = None,
    overwrite: bool = True,
) -> Path:
    """Write a scenario's layers to one GeoPackage with QGIS styles.

    Layers: ``villages`` (before/after per village, styled by the time saved), ``facilities``
    (after the scenario plus the closed ones, styled by ``change``: new sites are big red stars,
    closed ones grey crosses), ``roads_changed`` (new and upgraded roads, when any), and the
    attribute tables ``summary`` and ``equity``.

    Parameters
    ----------
    path
        Output ``.gpkg`` (written atomically).
    result
        From :func:`evaluate_scenario`.
    extra_layers
        More layers to write (unstyled unless they are of a known kind).
    style_service
        Service whose time saved colours the villages (default: the one improving most people).
    overwrite
        Replace an existing file.

    Returns
    -------
    Path
        The file written.
    """
    from .io import write_geopackage
    from .styles import default_qml, geometry_type_of

    crs = result.villages.crs
    layers: dict[str, pd.DataFrame] = {"villages": result.villages}
    layers["facilities"] = (
        result.facilities.to_crs(crs) if result.facilities.crs != crs else result.facilities
    )
    if result.roads is not None:
        layers["roads_changed"] = result.roads.to_crs(crs)
    layers["summary"] = result.summary.reset_index()
    layers["equity"] = result.equity
    styles: dict[str, str | None] = dict(scenario_styles(result, service=style_service))
    for name, frame in (extra_layers or {}).items():
        layers[name] = frame
        if isinstance(frame, gpd.GeoDataFrame):
            if (
                "change" in frame.columns
                and "facilities" in styles
                and geometry_type_of(frame) == "Point"
            ):
                styles.setdefault(name, styles["facilities"])  # new sites as big stars
            styles.setdefault(name, default_qml(name, frame))
    written = write_geopackage(path, layers, styles=styles, overwrite=overwrite)
    result.files["geopackage"] = written
    return written


# --------------------------------------------------------------------------------------------------
# project files


@dataclass
class _Project:
    cfg: dict[str, Any]
    inputs: PlanningInputs
    specs: dict[str, dict[str, Any]]
    townships: gpd.GeoDataFrame | None
    standards: Any
    folder: Path


def _load_project(project: str | os.PathLike | Mapping[str, Any]) -> _Project:
    """Read a project's inputs and build its network exactly as :func:`run_project` does."""
    from .pipeline import load_project_inputs

    loaded = load_project_inputs(project)
    cfg, net_cfg = loaded.config, loaded.config["network"]
    profile_name = net_cfg["profile"]
    if cfg["input"]["osm"] and profile_name == "china":
        profile_name = "osm"
    inputs = PlanningInputs(
        loaded.network,
        loaded.villages,
        loaded.facilities,
        service_column=cfg["columns"]["service"],
        profile=profile_name,
        speeds=net_cfg.get("speeds"),
    )
    std = cfg.get("equity", {}).get("standards", "default")
    return _Project(
        cfg, inputs, loaded.specs or {}, loaded.townships, std, Path(cfg["output"]["folder"])
    )


def _eval_kwargs(proj: _Project, n_jobs: int | None) -> dict[str, Any]:
    cfg = proj.cfg
    ana, net_cfg, cols = cfg["analysis"], cfg["network"], cfg["columns"]
    return {
        "services": proj.specs or None,
        "service_column": cols["service"],
        "mode": ana["mode"],
        "thresholds_min": ana["thresholds_min"],
        "max_time_min": ana["max_time_min"],
        "demand": cols["population"],
        "supply": cols["capacity"],
        "standards": proj.standards,
        "area_type": cols.get("area_type") or "area_type",
        "profile": proj.inputs.profile,
        "speeds": proj.inputs.speeds,
        "max_snap_m": net_cfg["max_snap_m"],
        "connector_speed_kmh": net_cfg["connector_speed_kmh"],
        "n_jobs": n_jobs,
    }


def _slug(text: str) -> str:
    s = re.sub(r"[^\w\-]+", "_", text.strip(), flags=re.U).strip("_")
    return s or "scenario"


def run_scenario(
    project_toml: str | os.PathLike,
    scenario_toml: str | os.PathLike | Mapping[str, Any],
    *,
    out_dir: str | os.PathLike | None = None,
    n_jobs: int | None = None,
    overwrite: bool | None = None,
) -> ScenarioResult:
    """Run a scenario on a project: ``accessibility scenario project.toml scenario.toml``.

    Reads the project's inputs and settings (services, thresholds, standards, speed profile),
    evaluates the scenario (:func:`evaluate_scenario`) and writes
    ``scenario_<name>.gpkg`` (styled layers, see :func:`write_scenario_outputs`) and
    ``scenario_<name>_summary.csv`` to ``out_dir`` (default: the project's output folder), together:
    a failed or interrupted run leaves the previous pair as it was. Outputs that would write over an
    input are refused before any work. ``overwrite`` (default: the project's ``[output]
    overwrite``) says whether existing outputs may be replaced.

    Examples
    --------
    >>> res = run_scenario("data/demo_project.toml",
    ...                    "data/demo_scenarios/a_shimen_health_centre.toml",
    ...                    out_dir="planning_output")  # doctest: +SKIP
    >>> res.summary.loc["health_centre", "population_newly_meeting_standard"]  # doctest: +SKIP
    """
    from ._files import atomic_outputs
    from .io import write_table

    sc = load_scenario(scenario_toml)
    name = _slug(sc["scenario"]["name"])
    cfg, (gpkg, csv), overwrite = _checked_outputs(
        project_toml,
        out_dir,
        {
            "scenario geopackage": f"scenario_{name}.gpkg",
            "scenario csv": f"scenario_{name}_summary.csv",
        },
        {"the scenario file": scenario_toml},
        overwrite,
    )
    proj = _load_project(cfg)
    inp = proj.inputs
    res = evaluate_scenario(
        inp.network, inp.villages, inp.facilities, sc, **_eval_kwargs(proj, n_jobs)
    )
    with atomic_outputs(overwrite=overwrite) as staged:
        write_scenario_outputs(staged.path(gpkg), res, overwrite=overwrite)
        write_table(staged.path(csv), res.summary.reset_index(), overwrite=overwrite)
    res.files["geopackage"] = gpkg
    res.files["csv"] = csv
    return res


def _checked_outputs(
    project: str | os.PathLike | Mapping[str, Any],
    out_dir: str | os.PathLike | None,
    names: Mapping[str, str],
    inputs: Mapping[str, Any],
    overwrite: bool | None,
) -> tuple[dict[str, Any], list[Path], bool]:
    """The project's configuration, the output paths and the overwrite setting, checked before any
    work: no output over an input or another output, each writable."""
    from ._files import check_output_paths
    from .config import load_config

    cfg = load_config(project) if isinstance(project, str | os.PathLike) else dict(project)
    if overwrite is None:
        overwrite = bool(cfg["output"]["overwrite"])
    folder = Path(out_dir) if out_dir is not None else Path(cfg["output"]["folder"])
    paths = {key: folder / name for key, name in names.items()}
    files = {k: v for k, v in inputs.items() if isinstance(v, str | os.PathLike)}
    check_output_paths(cfg, outputs=paths, inputs=files, overwrite=overwrite)
    return cfg, list(paths.values()), overwrite


def scenario_from_sites(
    sites: gpd.GeoDataFrame,
    *,
    service: str,
    name: str = "new sites",
    description: str = "",
    capacity: float | None = None,
    doctors: float | None = None,
    prefix: str = "NEW_",
) -> dict[str, Any]:
    """A scenario adding one facility of ``service`` at each site (e.g. siting results).

    Sites that are villages (a ``village_id`` column or the index of a village layer) are added
    ``at_village``; other points by their ``x``/``y`` in the sites' CRS (which must be the network
    CRS) — the returned dict can be saved with :func:`scenario_toml` and edited.
    """
    entries = []
    for sid, row in sites.iterrows():
        e: dict[str, Any] = {
            "id": f"{prefix}{sid}",
            "service": service,
            "name": f"new {service} {sid}",
        }
        vid = row.get("village_id") if "village_id" in sites.columns else None
        if vid is not None and pd.notna(vid):
            e["at_village"] = str(vid)
        else:
            e["x"], e["y"] = float(row.geometry.x), float(row.geometry.y)
        if capacity is not None:
            e["capacity"] = capacity
        if doctors is not None:
            e["doctors"] = doctors
        entries.append(e)
    return {"scenario": {"name": name, "description": description}, "add_facility": entries}


_OBJECTIVES = {
    "mclp": "maximal_covering",
    "maximal_covering": "maximal_covering",
    "p_median": "p_median",
    "pmedian": "p_median",
    "lscp": "set_covering",
    "set_covering": "set_covering",
    "p_center": "p_center",
    "pcenter": "p_center",
    "equity": "equity_covering",
    "equity_covering": "equity_covering",
}


def run_siting(
    project_toml: str | os.PathLike,
    *,
    service: str,
    objective: str = "mclp",
    p: int = 1,
    candidates: str | os.PathLike | float | gpd.GeoDataFrame = "villages",
    standard_min: float | None = None,
    max_time_min: float | None = None,
    keep_existing: bool = True,
    new_attributes: Mapping[str, Any] | None = None,
    method: str = "exact",
    time_limit_s: float = 60.0,
    group_column: str = "township",
    out_dir: str | os.PathLike | None = None,
    n_jobs: int | None = None,
    overwrite: bool | None = None,
) -> tuple[SitingResult, ScenarioResult]:
    """Where to build next: ``accessibility site project.toml --service ... --objective mclp --p 2``.

    Computes a cost table from every village to the candidate sites and the existing facilities
    of ``service`` (:func:`accessibility.costs.travel_costs`), solves the siting model
    (:mod:`accessibility.siting`) with the existing facilities kept open (``keep_existing``),
    turns the chosen sites into a scenario and evaluates it, so the answer comes with the same
    before/after layers as any scenario. Writes ``site_<service>_<objective>.gpkg`` (new sites as
    big red stars, villages by time saved, the assignment, the summary) and
    ``site_<service>_<objective>.toml`` (the scenario, to edit and re-run with
    :func:`run_scenario`).

    Parameters
    ----------
    project_toml
        The project file.
    service
        Service to site (e.g. ``"health_centre"``).
    objective
        ``"mclp"`` (maximal covering), ``"p_median"``, ``"lscp"`` (set covering), ``"p_center"``
        or ``"equity"`` (max-min share within the standard over ``group_column`` groups).
    p
        Number of new sites (not used by ``"lscp"``).
    candidates
        ``"villages"`` (every village is a candidate), a point layer path, a GeoDataFrame, or a
        number: the spacing in metres of a grid over the townships (or the villages' extent).
        Candidates more than ``max_snap_m`` from a road are dropped.
    standard_min
        The standard for covering models; default: the rural standard of the standards table for
        the service's mode, else the service's largest threshold.
    max_time_min
        Routing limit of the cost table; default the standard for covering models and no limit
        for the p-median and p-center.
    keep_existing
        Keep the existing facilities of the service open (fixed sites).
    new_attributes
        Columns of every new facility in the evaluation, e.g. ``{"doctors": 4, "capacity": 10}``
        (otherwise the new sites add no supply to the 2SFCA columns).
    method, time_limit_s
        ``"exact"`` (MILP, HiGHS) or ``"greedy"``; solver time limit.
    group_column
        Village column of the groups of the equity objective.
    out_dir
        Output folder (default: the project's).
    overwrite
        Replace existing outputs (default: the project's ``[output] overwrite``). Outputs that
        would write over an input are refused before any work; the two files are replaced
        together.

    Returns
    -------
    (SitingResult, ScenarioResult)
        The siting answer and the evaluation of building the new sites.
    """
    from . import siting
    from ._files import atomic_outputs
    from .costs import travel_costs
    from .pipeline import service_specs

    key = _OBJECTIVES.get(str(objective).lower())
    if key is None:
        raise ConfigError(
            f"unknown objective {objective!r}; use one of {sorted(set(_OBJECTIVES))}."
            + suggest(str(objective), _OBJECTIVES)
        )
    stem = f"site_{_slug(service)}_{key}"
    cfg, (gpkg, toml_path), overwrite = _checked_outputs(
        project_toml,
        out_dir,
        {"site geopackage": f"{stem}.gpkg", "site scenario file": f"{stem}.toml"},
        {"the candidates layer": candidates if candidates != "villages" else None},
        overwrite,
    )
    proj = _load_project(cfg)
    inp = proj.inputs
    kw = _eval_kwargs(proj, n_jobs)
    fac = inp.facilities
    specs = service_specs(
        fac,
        [service] if not proj.specs else {service: proj.specs.get(service, {})},
        service_column=inp.service_column,
        mode=kw["mode"],
        thresholds_min=kw["thresholds_min"],
        max_time_min=kw["max_time_min"],
        demand=kw["demand"],
        supply=kw["supply"],
    )
    spec = specs[service]
    villages = inp.villages
    if standard_min is None:
        from .standards import load_standards

        std = proj.standards
        table = load_standards(None if std == "default" else std) if std is not None else None
        thr, _ = _standard_thresholds(
            villages.assign(_a="rural"), service, spec["mode"], table, area_type="_a", override={}
        )
        standard_min = (
            float(thr.iloc[0]) if thr.notna().any() else float(max(spec["thresholds_min"]))
        )
        _log.info("siting %s: standard %g min", service, standard_min)
    covering = key in ("maximal_covering", "set_covering", "equity_covering")
    limit = max_time_min if max_time_min is not None else (standard_min if covering else math.inf)
    # candidate sites
    if isinstance(candidates, str) and candidates == "villages":
        cand = villages[[villages.geometry.name]].copy()
        cand["village_id"] = villages.index
    elif isinstance(candidates, gpd.GeoDataFrame):
        cand = candidates.copy()
    elif _is_number(candidates):
        from .siting import grid_candidates

        area = proj.townships
        if area is None:
            area = gpd.GeoDataFrame(
                geometry=[villages.union_all().convex_hull.buffer(1000)], crs=villages.crs
            )
        cand = grid_candidates(area, float(candidates))
    else:
        from .io import read_layer

        cand = read_layer(candidates)
        for c in ("candidate_id", "id", "site_id"):
            if c in cand.columns:
                cand = cand.set_index(c)
                break
    if cand.crs != villages.crs:
        cand = cand.to_crs(villages.crs)
    cand.index = pd.Index([f"cand_{i}" for i in cand.index], name="candidate_id")
    existing = fac[fac[inp.service_column].astype(str) == service]
    loc = locate(
        cand,
        inp.network,
        mode=spec["mode"],
        max_snap_m=kw["max_snap_m"],
        connector_speed_kmh=kw["connector_speed_kmh"],
        what="candidates",
    )
    dropped = int((~loc["snapped"]).sum())
    if dropped:
        _log.info("%d candidate(s) are off the road network and were dropped", dropped)
    cand = cand[loc["snapped"].to_numpy()]
    dest = pd.concat(
        [
            gpd.GeoDataFrame(geometry=cand.geometry.to_numpy(), index=cand.index, crs=cand.crs),
            gpd.GeoDataFrame(
                geometry=existing.geometry.to_crs(villages.crs).to_numpy(),
                index=existing.index,
                crs=villages.crs,
            ),
        ]
    ).rename_axis("site")
    dest = gpd.GeoDataFrame(dest, geometry="geometry", crs=villages.crs)
    costs = travel_costs(
        inp.network,
        villages,
        dest,
        mode=spec["mode"],
        max_time_min=limit,
        max_snap_m=kw["max_snap_m"],
        connector_speed_kmh=kw["connector_speed_kmh"],
        n_jobs=n_jobs,
    )
    dcol = spec["demand"] if spec["demand"] in villages.columns else "population"
    demand = pd.to_numeric(villages[dcol], errors="coerce").fillna(0.0).astype(float)
    fixed = list(existing.index) if keep_existing else None
    common = {
        "candidates": list(cand.index) + (list(existing.index) if keep_existing else []),
        "fixed": fixed,
        "method": method,
        "time_limit_s": time_limit_s,
    }
    if key == "maximal_covering":
        sres = siting.maximal_covering(costs, demand, p=p, standard_min=standard_min, **common)
    elif key == "p_median":
        sres = siting.p_median(costs, demand, p=p, **common)
    elif key == "set_covering":
        sres = siting.set_covering(costs, demand, standard_min=standard_min, **common)
    elif key == "p_center":
        sres = siting.p_center(costs, demand, p=p, **common)
    else:
        if group_column not in villages.columns:
            raise MissingColumnError(
                f"villages have no group column {group_column!r}.{suggest(group_column, villages.columns)}"
            )
        sres = siting.equity_covering(
            costs, demand, villages[group_column], p=p, standard_min=standard_min, **common
        )
    new_ids = list(sres.new_sites)
    sites = cand.loc[new_ids].copy()
    sites.index = pd.Index([str(i)[len("cand_") :] for i in sites.index], name="site")
    scenario = scenario_from_sites(
        sites,
        service=service,
        name=stem,
        description=(
            f"{key} for {service}: {len(new_ids)} new site(s), standard {standard_min:g} min, "
            f"objective {sres.objective:.6g} ({sres.status}, gap {sres.gap:.3g})"
        ),
    )
    for e in scenario["add_facility"]:
        for k, v in (new_attributes or {}).items():
            if k in ("capacity", "doctors", "teachers", "name", "township"):
                e[k] = v
            elif k not in ("id", "service"):
                e.setdefault("attributes", {})[k] = v
    if not (
        isinstance(candidates, str) and candidates == "villages"
    ):  # x/y of non-village sites are in the villages' CRS; make them network CRS
        for e in scenario["add_facility"]:
            if "x" in e:
                pt = gpd.GeoSeries([shapely.Point(e["x"], e["y"])], crs=villages.crs).to_crs(
                    inp.network.crs
                )
                e["x"], e["y"] = float(pt.x.iloc[0]), float(pt.y.iloc[0])
    res = evaluate_scenario(
        inp.network,
        villages,
        fac,
        scenario,
        **{**kw, "services": {service: proj.specs.get(service, {})} if proj.specs else [service]},
    )
    assign = sres.assignment.drop(columns=["demand"]).add_prefix("siting_")
    assign["siting_site"] = assign["siting_site"].astype(object)
    res.villages = res.villages.join(assign)
    site_layer = dest.loc[[*sres.selected]].copy()
    site_layer["status"] = ["new" if s in set(new_ids) else "existing" for s in site_layer.index]
    site_layer["change"] = np.where(site_layer["status"] == "new", "added", "unchanged")
    site_layer["served_population"] = (
        sres.assignment.groupby("site")["demand"].sum().reindex(site_layer.index).fillna(0.0)
    )
    with atomic_outputs(overwrite=overwrite) as staged:
        write_scenario_outputs(
            staged.path(gpkg),
            res,
            extra_layers={
                "sites": site_layer.to_crs(villages.crs),
                "siting_summary": sres.summary().to_frame("value").astype(str).reset_index(),
            },
            overwrite=overwrite,
        )
        staged.path(toml_path).write_text(scenario_toml(scenario), encoding="utf-8")
    res.files["geopackage"] = gpkg
    res.files["scenario"] = toml_path
    return sres, res
