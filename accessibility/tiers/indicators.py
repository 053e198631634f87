"""Named indicators: outputs named exactly as an inspection form names them.

City health checks (城市体检) and county reviews ask for fixed indicators such as
社区卫生服务设施步行15分钟覆盖率 or 每千名老年人拥有养老床位数. The standards file (``[indicators]``,
see ``accessibility/standards/default.toml``) names each output as the form does and defines it;
:func:`named_indicators` computes them, ready to copy into the form.

Kinds of indicator (``kind``):

``population_share``
    The share of ``population`` (a village column) whose nearest facility of ``services`` by
    ``mode`` is within ``time_min`` minutes (or, with ``group`` and ``tier``, the nearest facility
    of that tier); a percentage. Villages are points: the share of *people*, not of area
    (``area_share`` is not supported).
``per_1000``
    The ``supply`` (a facility column, e.g. beds) of the facilities of ``services`` (or of
    ``group``/``tier``) per 1,000 of ``population`` (e.g. ``pop_elderly``).
``units_with_facility``
    The share of units (townships, by ``unit_column`` of the villages and the facilities) that
    have at least one facility of ``services`` (or ``group``/``tier``); a percentage.

Examples
--------
>>> import pandas as pd
>>> from accessibility.tiers.indicators import named_indicators
>>> villages = pd.DataFrame({"population": [300, 100], "clinic_walk_nearest_min": [10.0, 20.0]})
>>> table = named_indicators(villages, {"步行15分钟覆盖率": {"kind": "population_share",
...     "services": ["clinic"], "mode": "walk", "time_min": 15, "source": "example"}})
>>> table.loc[0, "value_text"]
'75.0%'
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Mapping
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ..errors import ConfigError, suggest

__all__ = ["INDICATOR_KEYS", "INDICATOR_KINDS", "load_indicators", "named_indicators"]

INDICATOR_KINDS: tuple[str, ...] = ("population_share", "per_1000", "units_with_facility")
#: Keys of one ``[indicators."<name>"]`` entry (``kind`` and ``source`` are required).
INDICATOR_KEYS: tuple[str, ...] = (
    "kind",
    "services",
    "group",
    "tier",
    "mode",
    "time_min",
    "population",
    "supply",
    "unit_column",
    "name_en",
    "source",
    "verified",
    "note",
    "target",
    "target_source",
)


def _check(name: str, entry: Any, problems: list[str]) -> dict[str, Any] | None:
    where = f'[indicators."{name}"]'
    if not isinstance(entry, Mapping):
        problems.append(f"{where} must be a table")
        return None
    for k in entry:
        if k not in INDICATOR_KEYS:
            problems.append(f"{where}: unknown key {k!r}.{suggest(k, INDICATOR_KEYS)}")
    kind = entry.get("kind")
    if kind not in INDICATOR_KINDS:
        if kind == "area_share":
            problems.append(
                f"{where}: kind 'area_share' is not supported (villages are points); use "
                "'population_share'"
            )
        else:
            problems.append(f"{where}: kind must be one of {list(INDICATOR_KINDS)}, got {kind!r}")
    if not entry.get("source") or not isinstance(entry.get("source"), str):
        problems.append(f"{where}: needs `source` (the document and clause, or 'own definition')")
    svc = entry.get("services")
    if svc is not None and (not isinstance(svc, list) or not all(isinstance(x, str) for x in svc)):
        problems.append(f"{where}: services must be a list of service names")
    for key in ("group", "mode", "population", "supply", "unit_column", "name_en", "note"):
        if entry.get(key) is not None and not isinstance(entry[key], str):
            problems.append(f"{where}: {key} must be text")
    tier = entry.get("tier")
    if tier is not None and (isinstance(tier, bool) or not isinstance(tier, int) or tier < 1):
        problems.append(f"{where}: tier must be a whole number >= 1")
    if not isinstance(entry.get("verified", False), bool):
        problems.append(f"{where}: verified must be true or false")
    has_services = bool(entry.get("services"))
    has_tier = entry.get("group") is not None and entry.get("tier") is not None
    if has_services == has_tier:
        problems.append(f"{where}: give either `services = [...]` or `group` and `tier`")
    if kind == "population_share":
        t = entry.get("time_min")
        if isinstance(t, bool) or not isinstance(t, int | float) or not t > 0:
            problems.append(f"{where}: population_share needs `time_min` > 0 minutes")
        if has_services and not entry.get("mode"):
            problems.append(f"{where}: population_share of services needs `mode` (e.g. 'walk')")
    if kind == "per_1000" and not entry.get("supply"):
        problems.append(f"{where}: per_1000 needs `supply` (a facility column, e.g. 'capacity')")
    out = {
        "population": "population",
        "verified": False,
        "note": "",
        "unit_column": "township",
        **dict(entry),
    }
    return out


def load_indicators(
    source: str | os.PathLike | Mapping[str, Any] | None = None,
) -> dict[str, dict[str, Any]]:
    """The named indicators of a standards file (``[indicators]``), checked.

    Parameters
    ----------
    source
        None or ``"default"`` for the built-in standards file; a TOML path; or a parsed mapping
        (the whole file, or its ``indicators`` table). A file without ``[indicators]`` gives the
        built-in ones.

    Returns
    -------
    dict
        ``{name as on the form: definition}``, in file order.

    Raises
    ------
    ConfigError
        Every problem found (unknown keys, kinds, missing sources), each with a hint.

    Examples
    --------
    >>> from accessibility.tiers.indicators import load_indicators
    >>> "社区卫生服务设施步行15分钟覆盖率" in load_indicators()
    True
    """
    if source is None or source == "default":
        text = resources.files("accessibility.standards").joinpath("default.toml")
        data: Any = tomllib.loads(text.read_text(encoding="utf-8"))
        origin = "built-in standards"
    elif isinstance(source, Mapping):
        data, origin = source, "mapping"
    else:
        path = Path(source)
        try:
            data = tomllib.loads(path.read_text(encoding="utf-8"))
        except (OSError, tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
            raise ConfigError(f"cannot read indicators from {str(path)!r}: {exc}") from exc
        origin = str(path)
    body = data.get("indicators", data if "standards" not in data else None)
    if body is None:
        return load_indicators(None)
    if not isinstance(body, Mapping):
        raise ConfigError(f"{origin}: [indicators] must be a table of named indicators")
    problems: list[str] = []
    out = {}
    for name, entry in body.items():
        checked = _check(str(name), entry, problems)
        if checked is not None:
            out[str(name)] = checked
    if problems:
        raise ConfigError(f"{origin}: " + "; ".join(problems))
    return out


def _time_column(
    villages: pd.DataFrame, service: str, mode: str | None, modes: Mapping[str, str]
) -> str | None:
    for col in (f"{service}_{mode}_nearest_min",):
        if col in villages.columns:
            return col
    if mode is None or modes.get(service) == mode:
        col = f"{service}_nearest_min"
        return col if col in villages.columns else None
    return None


def _facility_mask(
    entry: Mapping[str, Any],
    facilities: pd.DataFrame,
    service_column: str,
    tiers: Mapping[str, pd.Series],
) -> np.ndarray:
    if entry.get("services"):
        return facilities[service_column].astype(str).isin(entry["services"]).to_numpy()
    t = tiers.get(entry["group"])
    if t is None:
        raise ConfigError(f"indicator needs tier group {entry['group']!r}; groups: {list(tiers)}")
    ids = t.index[t.to_numpy() == int(entry["tier"])]
    return facilities.index.isin(ids)


def _value(
    entry: Mapping[str, Any],
    villages: pd.DataFrame,
    facilities: pd.DataFrame | None,
    service_column: str,
    modes: Mapping[str, str],
    tiers: Mapping[str, pd.Series],
) -> tuple[float, str]:
    """The value and what was missing ("" when computed)."""
    kind = entry["kind"]
    pop_col = entry["population"]
    if kind != "units_with_facility" and pop_col not in villages.columns:
        return np.nan, f"no village column {pop_col!r}"
    pop = (
        pd.to_numeric(villages[pop_col], errors="coerce").fillna(0.0).to_numpy(float)
        if pop_col in villages.columns
        else None
    )
    if kind == "population_share":
        if entry.get("services"):
            cols = [_time_column(villages, s, entry.get("mode"), modes) for s in entry["services"]]
            if any(c is None for c in cols):
                missing = [s for s, c in zip(entry["services"], cols, strict=True) if c is None]
                return np.nan, f"no {entry.get('mode')} travel times for {missing}"
        else:
            cols = [f"{entry['group']}_tier{int(entry['tier'])}_min"]
            if cols[0] not in villages.columns:
                return np.nan, f"no column {cols[0]!r} (tier group not computed)"
        times = np.min(
            np.column_stack([villages[c].to_numpy(float) for c in cols]), axis=1, initial=np.inf
        )
        within = np.nan_to_num(times, nan=np.inf) <= float(entry["time_min"])
        total = pop.sum()
        return (100.0 * pop[within].sum() / total if total > 0 else np.nan), ""
    if facilities is None:
        return np.nan, "no facilities given"
    mask = _facility_mask(entry, facilities, service_column, tiers)
    if kind == "per_1000":
        if entry["supply"] not in facilities.columns:
            return np.nan, f"no facility column {entry['supply']!r}"
        supply = pd.to_numeric(facilities.loc[mask, entry["supply"]], errors="coerce").sum()
        total = pop.sum()
        return (1000.0 * float(supply) / total if total > 0 else np.nan), ""
    unit = entry["unit_column"]
    if unit not in villages.columns or unit not in facilities.columns:
        return np.nan, f"no column {unit!r} in both the villages and the facilities"
    units = set(villages[unit].dropna().astype(str))
    have = set(facilities.loc[mask, unit].dropna().astype(str)) & units
    return (100.0 * len(have) / len(units) if units else np.nan), ""


def named_indicators(
    villages: pd.DataFrame,
    indicators: Mapping[str, Mapping[str, Any]],
    *,
    facilities: pd.DataFrame | None = None,
    service_column: str = "service",
    modes: Mapping[str, str] | None = None,
    tiers: Mapping[str, pd.Series] | None = None,
) -> pd.DataFrame:
    """Compute named indicators (see the module docs for the kinds).

    Parameters
    ----------
    villages
        The per-village layer: population columns and travel-time columns
        ``{service}_{mode}_nearest_min`` or ``{service}_nearest_min`` (with ``modes``), and
        ``{group}_tier{k}_min`` for tier indicators.
    indicators
        ``{name: definition}`` (:func:`load_indicators`); definitions are checked again here.
    facilities
        Facility table, for ``per_1000`` and ``units_with_facility``.
    service_column
        Column of the facilities' service names.
    modes
        The mode of each service's ``{service}_nearest_min`` column.
    tiers
        ``{group: tier per facility}`` (:func:`accessibility.tiers.facility_tiers`) for indicators
        by ``group`` and ``tier``.

    Returns
    -------
    pandas.DataFrame
        One row per indicator: ``indicator`` (the name as on the form), ``value``, ``unit``
        (``"%"`` or ``"per 1,000"``), ``value_text`` (ready to copy: ``"87.3%"``, ``"28.4"``),
        ``definition``, ``source``, ``verified``, ``target``, ``missing`` (why a value is NaN).
    """
    checked = load_indicators({"indicators": dict(indicators)})
    modes, tiers = dict(modes or {}), dict(tiers or {})
    rows = []
    for name, e in checked.items():
        value, missing = _value(e, villages, facilities, service_column, modes, tiers)
        pct = e["kind"] != "per_1000"
        what = ", ".join(e["services"]) if e.get("services") else f"{e['group']} tier {e['tier']}"
        if e["kind"] == "population_share":
            mode = f" by {e['mode']}" if e.get("mode") else ""
            definition = f"share of {e['population']} within {e['time_min']:g} min{mode} of {what}"
        elif e["kind"] == "per_1000":
            definition = f"{e['supply']} of {what} per 1,000 {e['population']}"
        else:
            definition = f"share of {e['unit_column']} units with a facility of {what}"
        rows.append(
            {
                "indicator": name,
                "value": value,
                "unit": "%" if pct else "per 1,000",
                "value_text": ""
                if not np.isfinite(value)
                else f"{value:.1f}" + ("%" if pct else ""),
                "definition": definition,
                "source": e["source"],
                "verified": bool(e["verified"]),
                "target": e.get("target"),
                "missing": missing,
            }
        )
    return pd.DataFrame(rows)
