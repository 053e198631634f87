"""Scenario files: the schema of the changes, reading and checking them, writing them back.

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
``[[upgrade_facility]]``    ``id`` / ``ids`` moved up a tier: ``column`` (default ``"level"``) set
                            to ``to`` (e.g. ``"township"``), optional new ``service`` (a clinic
                            that becomes a health centre) and ``capacity`` / ``doctors`` /
                            ``teachers``
``[[change_road_speed]]``   roads chosen by ``road_class``, ``road_name`` or network ``edges``;
                            new ``speed_kmh`` or a ``scale`` for ``mode`` (default ``"car"``)
``[[add_road]]``            a new road: ``coordinates = [[x, y], ...]`` in the network's CRS
                            (or ``lonlat``), ``road_class``, optional ``name``, ``oneway``,
                            ``speed_kmh``; its ends are joined to the nearest road within
                            ``snap_m`` (default 100 m)
``[[change_headway]]``      buses (``[transit]`` line table): ``line``, new ``headway_min``,
                            optional ``day_type``, ``first``, ``last``
``[[add_run]]``             ``line``, ``departures`` (``"07:40"`` or a list), optional ``day_type``
``[[add_line]]``            ``id``, ``name``, ``stops = [{ at_village = "V1" }, { x, y, name },
                            ...]`` (optional ``run_min`` each), ``departures`` or ``first``/
                            ``last``/``headway_min``, optional ``riders``, ``day_type``
``[[extend_line]]``         ``line``, ``to_village`` (or ``x``/``y`` and ``name``), optional
                            ``run_min`` (default: the road network at the bus speed factor) and
                            ``return_line`` (the line back starts there too)
==========================  ======================================================================

:func:`load_scenario` checks a scenario against :data:`ACTIONS` (every problem reported at once);
:func:`scenario_toml` writes one back as TOML.
"""

from __future__ import annotations

import copy
import difflib
import math
import os
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..errors import ConfigError, suggest

if TYPE_CHECKING:  # pragma: no cover
    pass


__all__ = ["ACTIONS", "load_scenario", "scenario_toml"]

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
    "upgrade_facility": {
        "id": None,
        "ids": None,
        "to": _REQUIRED,
        "column": "level",
        "service": None,
        "capacity": None,
        "doctors": None,
        "teachers": None,
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
    "change_headway": {
        "line": _REQUIRED,
        "headway_min": _REQUIRED,
        "day_type": None,
        "first": None,
        "last": None,
        "note": None,
    },
    "add_run": {"line": _REQUIRED, "departures": _REQUIRED, "day_type": None, "note": None},
    "add_line": {
        "id": _REQUIRED,
        "name": None,
        "stops": _REQUIRED,
        "departures": None,
        "first": None,
        "last": None,
        "headway_min": None,
        "riders": "all",
        "day_type": None,
        "note": None,
    },
    "extend_line": {
        "line": _REQUIRED,
        "to_village": None,
        "x": None,
        "y": None,
        "name": None,
        "run_min": None,
        "return_line": None,
        "note": None,
    },
}
_HEADER_KEYS = {"name": "scenario", "description": ""}
_TOP_KEYS = ("scenario", *ACTIONS)


# --------------------------------------------------------------------------------------------------
# scenario files


def is_number(v: Any) -> bool:
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
        if not is_number(v):
            problems.append(f"{where}: {key} = {v!r} must be a number")
        elif positive and v <= 0:
            problems.append(f"{where}: {key} = {v!r} must be > 0")
        elif nonneg and v < 0:
            problems.append(f"{where}: {key} = {v!r} must be >= 0")

    def ids(single: str = "id", many: str = "ids") -> list[str]:
        a, b = out.get(single), out.get(many)
        if a is not None and isinstance(b, list) and [str(x) for x in b] == [str(a)]:
            b = None  # a scenario loaded before: `id` was copied into `ids`
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
    elif action == "upgrade_facility":
        out["ids"] = ids()
        for key in ("capacity", "doctors", "teachers"):
            num(key, nonneg=True)
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
                and all(isinstance(p, list) and len(p) == 2 and all(map(is_number, p)) for p in pts)
            )
            if not ok:
                problems.append(f"{where}: {coords[0]} must be a list of at least two [x, y] pairs")
        num("snap_m", nonneg=True)
        if out.get("speed_kmh") is not None:
            sp = out["speed_kmh"]
            if isinstance(sp, Mapping):
                if not all(is_number(v) and v >= 0 for v in sp.values()):
                    problems.append(f"{where}: speed_kmh values must be numbers >= 0")
            else:
                num("speed_kmh", positive=True)
        if not isinstance(out.get("oneway"), bool):
            problems.append(f"{where}: oneway must be true or false")
    elif action in ("change_headway", "add_run", "add_line", "extend_line"):
        _check_bus_entry(action, where, out, problems, num)
    return out


def _check_bus_entry(
    action: str, where: str, out: dict[str, Any], problems: list[str], num: Any
) -> None:
    """The keys of a bus action (docs/transit.md): times, headways and stops."""
    for key in ("line", "id", "to_village", "return_line"):
        if out.get(key) is not None:
            out[key] = str(out[key])
    num("headway_min", positive=True)
    num("run_min", nonneg=True)
    num("x")
    num("y")
    for key in ("first", "last", "departures"):
        v = out.get(key)
        ok = (
            v is None
            or isinstance(v, str)
            or (isinstance(v, list) and all(isinstance(t, str) for t in v))
        )
        if not ok:
            problems.append(f'{where}: {key} must be times in quotes like "07:40", got {v!r}')
    if action == "add_line":
        stops = out.get("stops")
        if stops is not None and (
            not isinstance(stops, list)
            or len(stops) < 2
            or not all(isinstance(x, Mapping) for x in stops)
        ):
            problems.append(
                f'{where}: stops must be a list of at least two tables like {{ at_village = "V1" }}'
                " or { x = ..., y = ..., name = ... }"
            )
        else:
            for j, stop in enumerate(stops or []):
                bad = [k for k in ("x", "y", "run_min") if k in stop and not is_number(stop[k])]
                if bad or not ("at_village" in stop or ("x" in stop and "y" in stop)):
                    problems.append(
                        f'{where}: stop {j + 1} needs at_village = "V1" or numbers x and y '
                        f"(and a number run_min), got {dict(stop)!r}"
                    )
        freq = [k for k in ("first", "last", "headway_min") if out.get(k) is not None]
        if (out.get("departures") is not None) == (len(freq) == 3) or 0 < len(freq) < 3:
            problems.append(
                f'{where} needs departures = "06:30 12:00" or first, last and headway_min'
            )
        if out.get("riders") not in ("all", "pupils"):
            problems.append(f'{where}: riders must be "all" or "pupils"')
    if action == "extend_line" and (out.get("to_village") is None) == (
        out.get("x") is None or out.get("y") is None
    ):
        problems.append(f'{where} needs to_village = "V123" or x = ..., y = ...')


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
