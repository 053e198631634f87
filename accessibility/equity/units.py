"""Township (or any unit) summaries of the per-village layer, as a table or a layer.

The examples run on the demo county with the setup of :mod:`accessibility.equity`.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from typing import Any

import numpy as np
import pandas as pd

from ..errors import InputWarning, warn
from .compliance import group_labels
from .coverage import coverage_rates
from .inputs import require_column

logger = logging.getLogger(__name__)


def unit_summary(
    villages: pd.DataFrame,
    compliance: pd.DataFrame,
    *,
    by: str = "township",
    population: str = "population",
    standards: pd.DataFrame | None = None,
    value_columns: Iterable[str] | None = None,
) -> pd.DataFrame:
    """One row per township (or any admin unit): population, coverage rates, mean times.

    Parameters
    ----------
    villages, compliance, population, standards
        As in :func:`coverage_rates`.
    by
        Unit column of the villages (``"township"``).
    value_columns
        Per-village measures to average (population-weighted, reachable villages only), e.g.
        ``["clinic_nearest_min"]``; default: every column ending in ``_nearest_min``.

    Returns
    -------
    pandas.DataFrame
        Index = unit; columns ``villages``, ``population``, ``{standard}_coverage`` (0-1),
        ``{standard}_population_not_meeting``, ``{column}_mean`` and
        ``{column}_unreachable_population``.

    Examples
    --------
    >>> from accessibility.equity import unit_summary
    >>> units = unit_summary(layer, compliance, by="township", standards=standards)
    >>> len(units), units.columns[:4].tolist()
    (11, ['villages', 'population', 'hospital_coverage', 'hospital_population_not_meeting'])
    >>> units.loc[["Chengguan", "Taoyuan"], "clinic_nearest_min_mean"].round(1)
    township
    Chengguan    4.1
    Taoyuan      4.9
    Name: clinic_nearest_min_mean, dtype: float64
    """
    what = "unit_summary"
    groups = group_labels(villages, by, what=what)
    pop = pd.to_numeric(
        require_column(villages, population, what=what, role="population column"), errors="coerce"
    ).fillna(0.0)
    out = pd.DataFrame(
        {
            "villages": groups.groupby(groups).size(),
            "population": pop.groupby(groups).sum(),
        }
    )
    rates = coverage_rates(
        villages, compliance, by=groups, population=population, standards=standards
    )
    for name in rates.index.get_level_values("standard").unique():
        r = rates.xs(name, level="standard")
        out[f"{name}_coverage"] = r["coverage_rate"]
        out[f"{name}_population_not_meeting"] = r["population"] - r["population_meeting"]
    if value_columns is None:
        value_columns = [c for c in villages.columns if str(c).endswith("_nearest_min")]
    for col in value_columns:
        v = pd.to_numeric(require_column(villages, col, what=what), errors="coerce")
        ok = np.isfinite(v)
        weighted = (v.where(ok, 0.0) * pop.where(ok, 0.0)).groupby(groups).sum()
        denom = pop.where(ok, 0.0).groupby(groups).sum()
        out[f"{col}_mean"] = weighted / denom.where(denom > 0)
        out[f"{col}_unreachable_population"] = pop.where(~ok, 0.0).groupby(groups).sum()
    out.index.name = by
    return out


def join_units(summary: pd.DataFrame, units: Any, *, on: str = "township") -> Any:
    """Join a :func:`unit_summary` table to unit polygons, giving a GeoDataFrame layer.

    Parameters
    ----------
    summary
        Output of :func:`unit_summary` (index = unit label).
    units
        GeoDataFrame of the units (e.g. ``demo.townships``) with column ``on``.
    on
        Column of ``units`` holding the same labels as ``summary``'s index.

    Returns
    -------
    geopandas.GeoDataFrame
        ``units`` with the summary columns added (NaN for units without villages), same CRS.
        Summary rows without a polygon are logged as a warning.

    Examples
    --------
    >>> from accessibility.equity import join_units
    >>> towns = join_units(unit_summary(layer, compliance), demo.townships)
    >>> type(towns).__name__, len(towns), towns.crs == demo.townships.crs
    ('GeoDataFrame', 11, True)
    """
    column = require_column(units, on, what="join_units", role="unit column")
    unmatched = summary.index.difference(pd.Index(column.dropna().unique()))
    if len(unmatched):
        warn(
            InputWarning,
            logger,
            "join_units: %d unit(s) of the summary have no polygon (e.g. %s); check that the "
            "villages' %r labels match the polygons' %r",
            len(unmatched),
            list(unmatched[:3]),
            summary.index.name,
            on,
        )
    clash = [c for c in summary.columns if c in units.columns and c != on]
    right = summary.rename(columns={c: f"{c}_summary" for c in clash})
    joined = units.merge(right, how="left", left_on=on, right_index=True)
    return joined
