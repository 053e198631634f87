"""Report tables: every inequality index of several measures, and the urban-rural gap.

The examples run on the demo county with the setup of :mod:`accessibility.equity`.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Iterable, Mapping
from typing import Any

import numpy as np
import pandas as pd

from ..errors import InvalidValueError
from .compliance import population_for, standards_table
from .coverage import coverage_rates
from .inequality import (
    coefficient_of_variation,
    concentration_index,
    gini,
    palma,
    theil_decomposition,
    theil_l,
    theil_t,
)
from .inputs import fill_unreachable, require_column

logger = logging.getLogger(__name__)


def _safe(func: Any, *args: Any, notes: list[str], label: str, **kwargs: Any) -> float:
    try:
        return float(func(*args, **kwargs))
    except InvalidValueError as exc:
        notes.append(f"{label}: {exc}")
        return math.nan


def inequality_table(
    villages: pd.DataFrame,
    columns: Iterable[str],
    *,
    population: str | Mapping[str, str] = "population",
    groups: str | None = "area_type",
    rank_by: str | None = "income_yuan",
    unreachable_fill: float | None = None,
) -> pd.DataFrame:
    """All inequality indices for several per-village measures, one row per measure.

    An index that cannot be computed for a measure (all zeros, zeros for Theil L, missing ranking
    variable) is NaN and the reason is logged and kept in the ``notes`` column.

    Parameters
    ----------
    villages
        Per-village layer.
    columns
        Measures to describe, e.g. ``["clinic_nearest_min", "primary_school_nearest_min"]``.
    population
        Population column, or a mapping measure column -> population column (e.g. school-age
        population for school times).
    groups
        Column for the Theil T decomposition and the group means (``"area_type"``), or None.
    rank_by
        Ranking variable for the concentration index (``"income_yuan"``), or None.
    unreachable_fill
        Value for missing/infinite measures (unreachable villages); ``None`` leaves them and the
        indices of such a measure are NaN with a note.

    Returns
    -------
    pandas.DataFrame
        Index = measure; columns ``mean``, ``gini``, ``theil_t``, ``theil_t_between``,
        ``theil_t_within``, ``between_share``, ``theil_l``, ``cv``, ``palma``,
        ``concentration_index``, ``mean_<group>`` for each group, ``notes``.
    Examples
    --------
    >>> from accessibility.equity import inequality_table
    >>> t = inequality_table(layer, ["clinic_nearest_min", "primary_school_nearest_min"],
    ...                      groups="area_type", rank_by="income_yuan", unreachable_fill=60)
    >>> t[["mean", "gini", "theil_t", "cv"]].round(3)
                                 mean   gini  theil_t     cv
    measure
    clinic_nearest_min          3.937  0.404    0.297  0.922
    primary_school_nearest_min  6.991  0.357    0.215  0.704
    """
    rows = {}
    for col in columns:
        notes: list[str] = []
        pop_col = (
            population.get(col, "population") if isinstance(population, Mapping) else (population)
        )
        w = pd.to_numeric(
            require_column(villages, pop_col, what="inequality_table"), errors="coerce"
        )
        v = pd.to_numeric(require_column(villages, col, what="inequality_table"), errors="coerce")
        if unreachable_fill is not None:
            n_fill = int((~np.isfinite(v)).sum())
            if n_fill:
                notes.append(f"{n_fill} unreachable village(s) set to {unreachable_fill:g}")
            v = fill_unreachable(v, unreachable_fill)
        row: dict[str, Any] = {"population_column": pop_col}
        finite = np.isfinite(v) & (w > 0)
        row["mean"] = (
            float((v[finite] * w[finite]).sum() / w[finite].sum()) if finite.any() else math.nan
        )
        row["gini"] = _safe(gini, v, w, notes=notes, label="gini")
        row["theil_t"] = _safe(theil_t, v, w, notes=notes, label="theil_t")
        row["theil_l"] = _safe(theil_l, v, w, notes=notes, label="theil_l")
        row["cv"] = _safe(coefficient_of_variation, v, w, notes=notes, label="cv")
        row["palma"] = _safe(palma, v, w, notes=notes, label="palma")
        if groups is not None and groups in villages.columns:
            try:
                d = theil_decomposition(v, villages[groups], w)
                row["theil_t_between"] = d.loc["between", "theil"]
                row["theil_t_within"] = d.loc["within", "theil"]
                row["between_share"] = d.loc["total", "between_share"]
                for g in d.index.difference(["between", "within", "total"]):
                    row[f"mean_{g}"] = d.loc[g, "mean"]
            except InvalidValueError as exc:
                notes.append(f"decomposition: {exc}")
        if rank_by is not None and rank_by in villages.columns:
            row["concentration_index"] = _safe(
                concentration_index,
                v,
                villages[rank_by],
                w,
                notes=notes,
                label="concentration_index",
            )
        for n in notes:
            logger.info("inequality_table %s: %s", col, n)
        row["notes"] = "; ".join(notes)
        rows[col] = row
    order = [
        "population_column",
        "mean",
        "gini",
        "theil_t",
        "theil_t_between",
        "theil_t_within",
        "between_share",
        "theil_l",
        "cv",
        "palma",
        "concentration_index",
    ]
    out = pd.DataFrame.from_dict(rows, orient="index")
    cols = [c for c in order if c in out.columns]
    cols += [*sorted(c for c in out.columns if c.startswith("mean_")), "notes"]
    out = out[cols]
    out.index.name = "measure"
    return out


def urban_rural_gap(
    villages: pd.DataFrame,
    compliance: pd.DataFrame,
    *,
    column: str = "{service}_nearest_min",
    services: Iterable[str] | None = None,
    area_type: str = "area_type",
    population: str = "population",
    standards: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """The urban-rural gap per service: coverage rates and mean travel times side by side.

    Returns
    -------
    pandas.DataFrame
        Index = standard; columns ``coverage_urban``, ``coverage_rural``, ``coverage_gap_pp``
        (urban minus rural, percentage points), and, when the standard has one service with a
        ``column``, ``mean_urban``, ``mean_rural`` (population-weighted, reachable villages) and
        ``rural_to_urban_ratio``. Note the urban and rural rates are measured against their own
        (usually different) standards.
    Examples
    --------
    >>> from accessibility.equity import urban_rural_gap
    >>> gap = urban_rural_gap(layer, compliance, standards=standards)
    >>> gap.loc["hospital", ["coverage_urban", "coverage_rural", "mean_urban", "mean_rural"]].round(1)
    coverage_urban     1.0
    coverage_rural     0.7
    mean_urban         4.8
    mean_rural        24.6
    Name: hospital, dtype: float64
    """
    what = "urban_rural_gap"
    area = require_column(villages, area_type, what=what, role="area-type column")
    area = area.astype("string").str.strip().str.lower().fillna("unknown")
    rates = coverage_rates(
        villages, compliance, by=area.astype(object), population=population, standards=standards
    )
    table = standards_table(standards) if standards is not None else None
    rows = {}
    for name in rates.index.get_level_values("standard").unique():
        r = rates.xs(name, level="standard")["coverage_rate"]
        row = {
            "coverage_urban": r.get("urban", np.nan),
            "coverage_rural": r.get("rural", np.nan),
        }
        row["coverage_gap_pp"] = 100 * (row["coverage_urban"] - row["coverage_rural"])
        svc = [name]
        if table is not None:
            listed = table.loc[table["name"] == name, "services"]
            svc = list(listed.iloc[0]) if len(listed) else svc
        col = column.format(service=svc[0], mode="") if len(svc) == 1 else None
        if col is not None and col in villages.columns and (services is None or name in services):
            pop, _ = population_for(villages, name, population, standards, what=what)
            v = pd.to_numeric(villages[col], errors="coerce")
            for g in ("urban", "rural"):
                m = (area == g).fillna(False).astype(bool) & np.isfinite(v)
                wsum = pop[m].sum()
                row[f"mean_{g}"] = float((v[m] * pop[m]).sum() / wsum) if wsum > 0 else np.nan
            row["rural_to_urban_ratio"] = (
                row["mean_rural"] / row["mean_urban"]
                if (row["mean_urban"] and row["mean_urban"] > 0)
                else np.nan
            )
        rows[name] = row
    out = pd.DataFrame.from_dict(rows, orient="index")
    out.index.name = "standard"
    return out
