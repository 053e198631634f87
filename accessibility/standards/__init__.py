"""Planning standards: how far (in minutes or metres) each service may be, by urban/rural area.

A standards table is a plain :class:`pandas.DataFrame`, one row per (standard, area type), with the
columns listed in :data:`STANDARD_COLUMNS`. The built-in table (``default.toml`` beside this file)
holds Chinese national norms (GB 50180-2018 life circles, the State Council's half-hour rule for
young rural pupils, the county "15-minute medical service circle") and typical county practice
values, each with its source and a ``level`` that says whether it is a national number or not.

Users edit a copy of the TOML file (:func:`write_default_standards`) or write their own and load it
with :func:`load_standards`; every key and type is validated, with "Did you mean" hints.

Examples
--------
>>> from accessibility.standards import load_standards
>>> table = load_standards()
>>> table.loc[table["name"] == "primary_school", ["area_type", "mode", "threshold"]]
... # doctest: +NORMALIZE_WHITESPACE +SKIP
"""

from __future__ import annotations

import difflib
import logging
import math
import os
import re
import tomllib
from collections.abc import Iterable, Mapping
from importlib import resources
from pathlib import Path
from typing import Any

import pandas as pd

from .._files import atomic_path
from ..errors import ConfigError, suggest

__all__ = [
    "AREA_TYPES",
    "KNOWN_MODES",
    "KNOWN_SERVICES",
    "LEVELS",
    "OPTIONAL_COLUMNS",
    "STANDARD_COLUMNS",
    "default_standards",
    "load_standards",
    "standards_from_dict",
    "write_default_standards",
]

logger = logging.getLogger(__name__)

#: Services of the demo county's facilities layer (and of the built-in table).
KNOWN_SERVICES: tuple[str, ...] = (
    "hospital",
    "health_centre",
    "clinic",
    "primary_school",
    "junior_school",
    "elder_care",
    "day_care",
)
#: Area types a standard can apply to; ``"all"`` applies to every village.
AREA_TYPES: tuple[str, ...] = ("urban", "rural", "all")
#: How trustworthy a number is: national standard, national policy goal, typical practice, local.
LEVELS: tuple[str, ...] = ("national", "policy", "typical", "local")
#: Travel modes used in hints (other modes are accepted unless they look like a typo of these).
KNOWN_MODES: tuple[str, ...] = ("walk", "bike", "ebike", "motorbike", "car", "bus", "transit")
#: Columns of a standards table, in order.
STANDARD_COLUMNS: tuple[str, ...] = (
    "name",
    "area_type",
    "services",
    "mode",
    "threshold",
    "unit",
    "population",
    "level",
    "source",
    "note",
)

_ENTRY_KEYS: tuple[str, ...] = (
    "mode",
    "threshold_min",
    "threshold_m",
    "population",
    "level",
    "source",
    "note",
    "services",
    "source_zh",
)
_TOP_KEYS: tuple[str, ...] = ("schema", "title", "standards", "indicators", "names")
#: Optional columns: the source in Chinese (with the standard's official title); filled with "".
OPTIONAL_COLUMNS: tuple[str, ...] = ("source_zh",)
_NAME_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


def default_standards() -> pd.DataFrame:
    """Return the built-in standards table (a new DataFrame each call).

    Returns
    -------
    pandas.DataFrame
        One row per (standard name, area type); columns :data:`STANDARD_COLUMNS`.

    Examples
    --------
    >>> from accessibility.standards import default_standards
    >>> sorted(default_standards()["name"].unique())[:3]
    ['clinic', 'day_care', 'elder_care']
    """
    text = resources.files(__name__).joinpath("default.toml").read_text(encoding="utf-8")
    return standards_from_dict(tomllib.loads(text), origin="built-in default.toml")


def load_standards(
    source: str | os.PathLike | Mapping[str, Any] | pd.DataFrame | None = None,
    *,
    extend_default: bool = False,
) -> pd.DataFrame:
    """Load and validate a standards table.

    Parameters
    ----------
    source
        ``None`` for the built-in table; a path to a TOML file; an already parsed mapping (the whole
        file, or just its ``standards`` table, e.g. from a project file); or a DataFrame with
        :data:`STANDARD_COLUMNS` (validated and copied).
    extend_default
        If true, the entries of ``source`` are laid over the built-in table: a standard name in
        ``source`` replaces all built-in rows of that name; other built-in standards are kept.

    Returns
    -------
    pandas.DataFrame
        Columns :data:`STANDARD_COLUMNS`; ``threshold`` is a float in ``unit`` ("min" or "m");
        ``services`` is a tuple of service names.

    Raises
    ------
    ConfigError
        Unknown keys or area types (with "Did you mean" hints), wrong types, missing ``source``,
        both or neither of ``threshold_min``/``threshold_m``, mixed units within one standard,
        a missing or unreadable file.

    Examples
    --------
    >>> from accessibility.standards import load_standards
    >>> t = load_standards({"standards": {"clinic": {"all": {
    ...     "mode": "walk", "threshold_min": 20, "source": "county plan 2024"}}}},
    ...     extend_default=True)
    >>> t.loc[t["name"] == "clinic", "threshold"].tolist()
    [20.0]
    """
    if source is None:
        table = default_standards()
    elif isinstance(source, pd.DataFrame):
        table = _validate_frame(source)
    elif isinstance(source, Mapping):
        table = standards_from_dict(source, origin="mapping")
    else:
        path = Path(source)
        if not path.is_file():
            hint = " It is a folder." if path.is_dir() else ""
            raise ConfigError(
                f"standards file {str(path)!r} not found.{hint} Pass a TOML file, or None for "
                "the built-in table (write a copy to edit with write_default_standards(path))."
            )
        try:
            data = tomllib.loads(path.read_text(encoding="utf-8"))
        except tomllib.TOMLDecodeError as exc:
            raise ConfigError(f"standards file {str(path)!r} is not valid TOML: {exc}") from exc
        except (OSError, UnicodeDecodeError) as exc:
            raise ConfigError(f"cannot read standards file {str(path)!r}: {exc}") from exc
        table = standards_from_dict(data, origin=str(path))
    if extend_default and source is not None:
        base = default_standards()
        names = {**base.attrs.get("names", {}), **table.attrs.get("names", {})}
        base = base[~base["name"].isin(set(table["name"]))]
        table = pd.concat([base, table], ignore_index=True)
        table.attrs["names"] = names
    return table


def write_default_standards(path: str | os.PathLike, *, overwrite: bool = False) -> Path:
    """Write a copy of the built-in standards TOML to ``path`` for editing.

    Raises
    ------
    OutputError
        If ``path`` exists and ``overwrite`` is false, or cannot be written.

    Examples
    --------
    >>> from accessibility.standards import write_default_standards
    >>> write_default_standards("my_standards.toml")  # doctest: +SKIP
    """
    text = resources.files(__name__).joinpath("default.toml").read_text(encoding="utf-8")
    with atomic_path(path, overwrite=overwrite) as tmp:
        tmp.write_text(text, encoding="utf-8")
    return Path(path)


def standards_from_dict(data: Mapping[str, Any], *, origin: str = "mapping") -> pd.DataFrame:
    """Validate a parsed standards mapping and return the table; all problems are reported at once.

    ``data`` is either a whole file (with a ``standards`` table) or the ``standards`` table itself:
    ``{name: {area_type: {mode, threshold_min | threshold_m, source, ...}}}``.

    Raises
    ------
    ConfigError
        Listing every problem found, each with a hint.
    """
    if not isinstance(data, Mapping):
        raise ConfigError(f"{origin}: standards must be a table, got {type(data).__name__}")
    if "standards" in data:
        problems = [
            f"unknown top-level key {k!r}.{suggest(k, _TOP_KEYS)}"
            for k in data
            if k not in _TOP_KEYS
        ]
        body = data["standards"]
    else:
        problems = []
        body = data
    if not isinstance(body, Mapping) or not body:
        raise ConfigError(
            f"{origin}: no standards found; expected tables like [standards.clinic.rural]"
        )
    rows: list[dict[str, Any]] = []
    for name, areas in body.items():
        where = f"[standards.{name}]"
        if not isinstance(name, str) or not _NAME_RE.match(name):
            problems.append(f"{where}: a name must be letters, digits and '_' (got {name!r})")
            continue
        if not isinstance(areas, Mapping) or not areas:
            problems.append(
                f"{where}: expected sub-tables per area type, e.g. [standards.{name}.rural]"
            )
            continue
        lists_services = any(isinstance(e, Mapping) and "services" in e for e in areas.values())
        if name not in KNOWN_SERVICES and not lists_services and suggest(name, KNOWN_SERVICES):
            problems.append(
                f"{where}: unknown service {name!r}.{suggest(name, KNOWN_SERVICES)} (if it "
                f"really is another service, add services = [{name!r}] to its entries)"
            )
            continue
        for area, entry in areas.items():
            if area not in AREA_TYPES:
                hint = suggest(area, AREA_TYPES)
                if not hint and area in _ENTRY_KEYS:
                    hint = f" Put '{area}' under an area type, e.g. [standards.{name}.all]."
                problems.append(
                    f"{where}: unknown area type {area!r}; use one of {list(AREA_TYPES)}.{hint}"
                )
                continue
            if not isinstance(entry, Mapping):
                problems.append(f"[standards.{name}.{area}] must be a table")
                continue
            row = _entry_row(name, area, entry, problems)
            if row is not None:
                rows.append(row)
    names = _names(data.get("names") if "standards" in data else None, problems)
    if problems:
        raise ConfigError(_format_problems(origin, problems))
    columns = [*STANDARD_COLUMNS, *OPTIONAL_COLUMNS]
    table = _validate_frame(pd.DataFrame(rows, columns=columns), origin=origin)
    table.attrs["names"] = names
    return table


def _names(names: Any, problems: list[str]) -> dict[str, dict[str, str]]:
    """``[names.<service or standard>] zh = "...", en = "..."``: the names readers see, and
    ``aliases = [...]``: other names a facility layer may give the service (卫生院, 敬老院 ...)."""
    if names is None:
        return {}

    def ok(key: str, value: Any) -> bool:
        if key == "aliases":
            return isinstance(value, list) and all(isinstance(a, str) for a in value)
        return key in ("zh", "en") and isinstance(value, str)

    if not isinstance(names, Mapping) or not all(
        isinstance(v, Mapping) and all(ok(k, t) for k, t in v.items()) for v in names.values()
    ):
        problems.append(
            '[names]: expected tables like [names.clinic] zh = "村卫生室", en = "village clinic", '
            'aliases = ["卫生室"]'
        )
        return {}
    return {str(k): dict(v) for k, v in names.items()}


def _entry_row(
    name: str, area: str, entry: Mapping[str, Any], problems: list[str]
) -> dict[str, Any] | None:
    where = f"[standards.{name}.{area}]"
    n_before = len(problems)
    for key in entry:
        if key not in _ENTRY_KEYS:
            problems.append(f"{where}: unknown key {key!r}.{suggest(key, _ENTRY_KEYS)}")
    has_min, has_m = "threshold_min" in entry, "threshold_m" in entry
    if has_min == has_m:
        problems.append(
            f"{where}: give exactly one of threshold_min (minutes) or threshold_m (metres)"
        )
        threshold, unit = math.nan, "min"
    else:
        key = "threshold_min" if has_min else "threshold_m"
        unit = "min" if has_min else "m"
        threshold = entry[key]
        if isinstance(threshold, bool) or not isinstance(threshold, int | float):
            problems.append(f"{where}: {key} must be a number, got {threshold!r}")
        elif not math.isfinite(threshold) or threshold <= 0:
            problems.append(f"{where}: {key} must be a positive number, got {threshold!r}")
    mode = entry.get("mode")
    if not isinstance(mode, str) or not mode.strip():
        problems.append(f"{where}: 'mode' is required, a text such as 'walk' or 'car'")
    elif mode not in KNOWN_MODES and difflib.get_close_matches(mode, KNOWN_MODES, cutoff=0.75):
        problems.append(f"{where}: unknown mode {mode!r}.{suggest(mode, KNOWN_MODES)}")
    for key, required in (
        ("source", True),
        ("note", False),
        ("population", False),
        ("source_zh", False),
    ):
        value = entry.get(key)
        if value is None or (required and isinstance(value, str) and not value.strip()):
            if required:
                problems.append(
                    f"{where}: 'source' is required: say where the number comes from "
                    "(a standard, a plan, or 'local practice')"
                )
        elif not isinstance(value, str):
            problems.append(f"{where}: {key!r} must be text, got {value!r}")
    level = entry.get("level", "local")
    if level not in LEVELS:
        problems.append(f"{where}: unknown level {level!r}; use one of {list(LEVELS)}.")
        problems[-1] += suggest(str(level), LEVELS)
    services = entry.get("services", [name])
    if isinstance(services, str):
        services = [services]
    if (
        not isinstance(services, list)
        or not services
        or not all(isinstance(s, str) and s for s in services)
    ):
        problems.append(f"{where}: 'services' must be a list of service names, got {services!r}")
        services = []
    for service in services if "services" in entry else []:
        if service not in KNOWN_SERVICES and suggest(service, KNOWN_SERVICES):
            problems.append(
                f"{where}: unknown service {service!r}.{suggest(service, KNOWN_SERVICES)} "
                "(other services are fine if they are not a typo)"
            )
    if len(problems) > n_before:
        return None
    return {
        "name": name,
        "area_type": area,
        "services": tuple(services),
        "mode": str(mode).strip(),
        "threshold": float(threshold),
        "unit": unit,
        "population": entry.get("population"),
        "level": level,
        "source": entry["source"].strip(),
        "note": entry.get("note", "") or "",
        "source_zh": (entry.get("source_zh") or "").strip(),
    }


def _validate_frame(table: pd.DataFrame, *, origin: str = "table") -> pd.DataFrame:
    missing = [c for c in STANDARD_COLUMNS if c not in table.columns]
    if missing:
        raise ConfigError(
            f"{origin}: standards table lacks columns {missing}; expected {list(STANDARD_COLUMNS)}"
        )
    names = dict(table.attrs.get("names", {}))
    table = table.copy()
    for c in OPTIONAL_COLUMNS:
        table[c] = table[c].fillna("").astype(object) if c in table.columns else ""
    table = table.loc[:, [*STANDARD_COLUMNS, *OPTIONAL_COLUMNS]].reset_index(drop=True)
    table.attrs["names"] = names
    table["services"] = [_as_tuple(s) for s in table["services"]]
    table["threshold"] = pd.to_numeric(table["threshold"], errors="coerce").astype(float)
    table["note"] = table["note"].fillna("").astype(object)
    table["population"] = table["population"].astype(object).where(table["population"].notna())
    problems: list[str] = []
    bad = table[~(table["threshold"] > 0)]
    problems += [f"{r.name}/{r.area_type}: threshold must be > 0" for r in bad.itertuples()]
    bad = table[~table["unit"].isin(["min", "m"])]
    problems += [f"{r.name}/{r.area_type}: unit must be 'min' or 'm'" for r in bad.itertuples()]
    bad = table[~table["area_type"].isin(AREA_TYPES)]
    problems += [
        f"{r.name}: unknown area type {r.area_type!r}.{suggest(r.area_type, AREA_TYPES)}"
        for r in bad.itertuples()
    ]
    for name, rows in table.groupby("name", sort=False):
        if rows["unit"].nunique() > 1:
            problems.append(
                f"{name}: mixes minutes and metres across area types; split it into two "
                "standards with different names"
            )
        areas = rows["area_type"].tolist()
        if len(set(areas)) < len(areas):
            problems.append(f"{name}: area type listed twice: {areas}")
        if "all" in areas and len(areas) > 1:
            problems.append(f"{name}: 'all' cannot be combined with 'urban'/'rural' entries")
    if problems:
        raise ConfigError(_format_problems(origin, problems))
    return table


def _as_tuple(value: Any) -> tuple[str, ...]:
    if isinstance(value, str):
        return (value,)
    if isinstance(value, Iterable):
        return tuple(str(v) for v in value)
    raise ConfigError(f"'services' must be a list of service names, got {value!r}")


def _format_problems(origin: str, problems: list[str]) -> str:
    head = f"{len(problems)} problem(s) in standards from {origin}:"
    return "\n  - ".join([head, *problems])
