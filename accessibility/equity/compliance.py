"""Whether each village meets the planning standard that applies to it.

The examples run on the demo county with the setup of :mod:`accessibility.equity`.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any, Literal

import numpy as np
import pandas as pd

from ..errors import InputWarning, InvalidValueError, MissingColumnError, suggest, warn
from .inputs import align, require_column

logger = logging.getLogger(__name__)


def standards_table(standards: pd.DataFrame | None) -> pd.DataFrame:
    """The standards table to use: ``standards`` as given, or the built-in Chinese standards."""

    from ..standards import load_standards

    return load_standards(standards)


def standards_compliance(
    villages: pd.DataFrame,
    standards: pd.DataFrame | None = None,
    *,
    time_column: str | Mapping[str, str] = "{service}_nearest_min",
    distance_column: str | Mapping[str, str] = "{service}_nearest_km",
    area_type: str = "area_type",
    mode: str | None = None,
    missing: Literal["raise", "skip"] = "raise",
) -> pd.DataFrame:
    """Whether each village meets the standard that applies to it, per standard.

    For each standard (row group of the table, e.g. ``primary_school`` with an urban and a rural
    entry) the village's value is read from ``time_column`` (minutes) or ``distance_column``
    (metres), formatted with ``{service}`` and ``{mode}``; a standard listing several services
    takes the nearest of them. A village meets the standard when ``value <= threshold``.
    Unreachable villages (NaN or inf) do not meet it and have an infinite shortfall. Villages whose
    area type has no entry (e.g. an urban-only standard for a rural village, or an unknown area
    type) get ``<NA>``.

    Parameters
    ----------
    villages
        Per-village layer (index = village id) with the value columns and ``area_type``.
    standards
        Standards table (:func:`accessibility.standards.load_standards`); ``None`` = built-in.
    time_column, distance_column
        Column patterns with ``{service}`` and optionally ``{mode}`` placeholders, e.g.
        ``"{service}_{mode}_nearest_min"``; or a mapping mode -> pattern such as
        ``{"car": "{service}_nearest_min", "walk": "{service}_walk_nearest_min"}`` (standards for
        modes not in the mapping are skipped with a warning). A distance pattern ending in
        ``_km`` is read as kilometres and converted to metres.
    area_type
        Column with "urban"/"rural" (case and spaces ignored).
    mode
        The travel mode of the layer's times when a pattern has no ``{mode}``: standards for
        other modes are then skipped with a warning (a walking standard compared with car times
        would be meaningless). ``None`` compares every standard with the columns as they are.
    missing
        ``"raise"`` (default) a :class:`MissingColumnError` when a value column is absent, or
        ``"skip"`` that standard with a warning.

    Returns
    -------
    pandas.DataFrame
        Indexed like ``villages``; per standard ``n`` with unit ``u`` ("min" or "m"):
        ``{n}_meets`` (nullable boolean), ``{n}_value_{u}``, ``{n}_threshold_{u}``,
        ``{n}_shortfall_{u}`` (0 when met, inf when unreachable, NaN when no standard applies).

    Examples
    --------
    >>> from accessibility.equity import standards_compliance
    >>> c = standards_compliance(layer, standards, mode="car", missing="skip")
    >>> c.columns[:4].tolist()
    ['hospital_meets', 'hospital_value_min', 'hospital_threshold_min', 'hospital_shortfall_min']
    >>> c.loc[["V001", "V216"], ["hospital_meets", "hospital_shortfall_min"]].round(1)
                hospital_meets  hospital_shortfall_min
    village_id
    V001                  True                     0.0
    V216                 False                    21.6
    """
    table = standards_table(standards)
    if missing not in ("raise", "skip"):
        raise InvalidValueError(f"missing must be 'raise' or 'skip', got {missing!r}")
    area = None
    if (table["area_type"] != "all").any():
        area = _area_types(villages, area_type)
    columns: dict[str, pd.Series] = {}
    for name, rows in table.groupby("name", sort=False):
        unit = rows["unit"].iloc[0]
        patterns = time_column if unit == "min" else distance_column
        meets = pd.Series(pd.NA, index=villages.index, dtype="boolean")
        value_out = pd.Series(np.nan, index=villages.index)
        threshold_out = pd.Series(np.nan, index=villages.index)
        shortfall_out = pd.Series(np.nan, index=villages.index)
        used = False
        for row in rows.itertuples(index=False):
            pattern = _column_pattern(name, row, patterns, mode)
            if pattern is None:
                continue
            value = _nearest_value(villages, name, row, pattern, unit=unit, missing=missing)
            if value is None:
                continue
            if row.area_type == "all":
                applies = pd.Series(True, index=villages.index)
            else:
                applies = (area == row.area_type).fillna(False).astype(bool)
            if not applies.any():
                continue
            used = True
            v = value[applies]
            reachable = np.isfinite(v)
            ok = reachable & (v <= row.threshold)
            meets[applies] = ok.to_numpy()
            value_out[applies] = v.where(reachable, np.inf)
            threshold_out[applies] = row.threshold
            shortfall_out[applies] = np.where(
                reachable, np.clip(v - row.threshold, 0.0, None), np.inf
            )
            n_unreach = int((~reachable).sum())
            if n_unreach:
                logger.info(
                    "%s/%s: %d village(s) unreachable (no value), counted as not meeting",
                    name,
                    row.area_type,
                    n_unreach,
                )
        if not used:
            continue
        columns[f"{name}_meets"] = meets
        columns[f"{name}_value_{unit}"] = value_out
        columns[f"{name}_threshold_{unit}"] = threshold_out
        columns[f"{name}_shortfall_{unit}"] = shortfall_out
    return pd.DataFrame(columns, index=villages.index)


def _area_types(villages: pd.DataFrame, area_type: str) -> pd.Series:
    """The villages' area types, lower-case; a warning for those neither urban nor rural."""
    area = require_column(villages, area_type, what="standards_compliance", role="area-type column")
    area = area.astype("string").str.strip().str.lower()
    odd = area.isna() | ~area.isin(["urban", "rural"])
    if odd.any():
        warn(
            InputWarning,
            logger,
            "%d village(s) have an area type other than 'urban'/'rural' (e.g. %s); only "
            "standards for 'all' apply to them",
            int(odd.sum()),
            list(area[odd].astype(object).unique()[:3]),
            stacklevel=3,  # the caller of standards_compliance
        )
    return area


def _column_pattern(name: str, row: Any, patterns: Any, mode: str | None) -> str | None:
    """The column pattern for the standard's mode, or None (logged) when the layer has none."""
    if isinstance(patterns, Mapping):
        if row.mode not in patterns:
            logger.warning(
                "standard %s/%s is for mode %r but no columns are given for that mode "
                "(modes: %s); skipped",
                name,
                row.area_type,
                row.mode,
                list(patterns),
            )
            return None
        return patterns[row.mode]
    if mode is not None and "{mode}" not in patterns and row.mode != mode:
        logger.warning(
            "standard %s/%s is for mode %r but the layer's times are for %r; skipped "
            "(compute %s times too, or edit the standard's mode)",
            name,
            row.area_type,
            row.mode,
            mode,
            row.mode,
        )
        return None
    return patterns


def _nearest_value(
    villages: pd.DataFrame, name: str, row: Any, pattern: str, *, unit: str, missing: str
) -> pd.Series | None:
    """Per village, the nearest of the standard's services (NaN when none is reached).

    None when a column is absent and ``missing="skip"`` (logged); raises when ``"raise"``.
    """
    cols = [pattern.format(service=s, mode=row.mode) for s in row.services]
    absent = [c for c in cols if c not in villages.columns]
    if absent:
        msg = (
            f"standards_compliance: standard {name!r} ({row.area_type}) needs column(s) "
            f"{absent}, not in the villages layer.{suggest(absent[0], villages.columns)} "
            "Pass time_column=/distance_column= patterns that match your columns, or "
            "drop the standard"
        )
        if missing == "raise":
            raise MissingColumnError(msg)
        logger.warning("%s; skipped", msg)
        return None
    vals = villages[cols].apply(pd.to_numeric, errors="coerce").astype(float)
    if unit == "m" and pattern.endswith("_km"):
        vals = vals * 1000.0
    return vals.min(axis=1, skipna=True)  # nearest of the services; all-NaN stays NaN


def standard_names(compliance: pd.DataFrame) -> list[str]:
    """The standards of a compliance table (its ``<standard>_meets`` columns)."""
    names = [c[: -len("_meets")] for c in compliance.columns if c.endswith("_meets")]
    if not names:
        raise MissingColumnError(
            "the compliance table has no '<standard>_meets' columns; build it with "
            "standards_compliance(villages, standards)"
        )
    return names


def unit_of(compliance: pd.DataFrame, name: str) -> str:
    """The unit of a standard in a compliance table: ``"min"`` or ``"m"``."""
    return "min" if f"{name}_shortfall_min" in compliance.columns else "m"


def population_for(
    villages: pd.DataFrame,
    name: str,
    population: str,
    standards: pd.DataFrame | None,
    *,
    what: str,
) -> tuple[pd.Series, str]:
    """The population column a standard counts (school-age, elderly ...), else ``population``."""
    col = population
    if standards is not None:
        rows = standards[standards["name"] == name]
        wanted = [p for p in rows["population"].dropna().unique() if p]
        if wanted:
            if wanted[0] in villages.columns:
                col = wanted[0]
            else:
                logger.warning(
                    "standard %s asks for population column %r, not in the villages; using %r",
                    name,
                    wanted[0],
                    population,
                )
    pop = pd.to_numeric(
        require_column(villages, col, what=what, role="population column"), errors="coerce"
    )
    bad = pop.isna() | (pop < 0)
    if bad.any():
        raise InvalidValueError(
            f"{what}: population column {col!r} has {int(bad.sum())} missing or negative "
            f"value(s) (e.g. at {list(pop.index[bad][:3])}); fill them (0 leaves a village out)"
        )
    return pop.astype(float), col


def group_labels(villages: pd.DataFrame, by: str | pd.Series | None, *, what: str) -> pd.Series:
    """The group of each village (a column name, a Series, or ``None`` for one group ``"all"``)."""
    if by is None:
        return pd.Series("all", index=villages.index, dtype=object)
    if isinstance(by, str):
        g = require_column(villages, by, what=what, role="group column")
    else:
        g = align(by, villages.index, what=what, left="villages", right="groups")
    if g.isna().any():
        raise InvalidValueError(
            f"{what}: the group column has {int(g.isna().sum())} missing label(s) (e.g. at "
            f"{list(g.index[g.isna()][:3])}); fill them (e.g. .fillna('unknown')) or drop those "
            "villages"
        )
    return g
