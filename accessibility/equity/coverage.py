"""Coverage rates (达标率) against the standards, and the underserved villages.

The examples run on the demo county with the setup of :mod:`accessibility.equity`.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable

import numpy as np
import pandas as pd

from .compliance import group_labels, population_for, standard_names, unit_of
from .inputs import align_frame

logger = logging.getLogger(__name__)


def coverage_rates(
    villages: pd.DataFrame,
    compliance: pd.DataFrame,
    *,
    by: str | pd.Series | None = None,
    population: str = "population",
    standards: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Population share meeting each standard (达标率), overall or per group.

    .. math::
        rate_g = \\frac{\\sum_{i \\in g,\\ meets_i} pop_i}{\\sum_{i \\in g,\\ applies_i} pop_i}

    Only villages to which a standard applies count in its denominator.

    Parameters
    ----------
    villages
        Per-village layer with the population column(s) and the group column.
    compliance
        Output of :func:`standards_compliance` for these villages.
    by
        ``None`` (whole area), a column name (``"area_type"``, ``"township"``) or a Series of
        labels. Missing labels are an error.
    population
        Population column; a standard's own ``population`` (e.g. ``pop_school_age``) is used when
        ``standards`` is given and the villages have that column.
    standards
        The standards table used for ``compliance`` (for per-standard population columns).

    Returns
    -------
    pandas.DataFrame
        Index (standard, group); columns ``population``, ``population_meeting``,
        ``coverage_rate`` (0-1; NaN if nobody in the group is subject to the standard),
        ``villages``, ``villages_meeting``, ``population_column``.

    Examples
    --------
    >>> from accessibility.equity import coverage_rates
    >>> rates = coverage_rates(layer, compliance, by="area_type", standards=standards)
    >>> rates["coverage_rate"].round(3).head(4)
    standard       group
    hospital       rural    0.723
                   urban    1.000
    health_centre  rural    0.947
                   urban      NaN
    Name: coverage_rate, dtype: float64
    """
    what = "coverage_rates"
    compliance = align_frame(compliance, villages.index, what=what)
    groups = group_labels(villages, by, what=what)
    parts = []
    for name in standard_names(compliance):
        pop, col = population_for(villages, name, population, standards, what=what)
        meets = compliance[f"{name}_meets"]
        applies = meets.notna().to_numpy()
        ok = meets.fillna(False).astype(bool).to_numpy()
        frame = pd.DataFrame(
            {
                "group": groups.to_numpy(),
                "population": np.where(applies, pop.to_numpy(), 0.0),
                "population_meeting": np.where(ok, pop.to_numpy(), 0.0),
                "villages": applies.astype(int),
                "villages_meeting": ok.astype(int),
            }
        )
        agg = frame.groupby("group", sort=True).sum()
        agg["coverage_rate"] = agg["population_meeting"] / agg["population"].where(
            agg["population"] > 0
        )
        agg["population_column"] = col
        agg.insert(0, "standard", name)
        parts.append(agg.reset_index())
    out = pd.concat(parts, ignore_index=True).set_index(["standard", "group"])
    return out[
        [
            "population",
            "population_meeting",
            "coverage_rate",
            "villages",
            "villages_meeting",
            "population_column",
        ]
    ]


def coverage_table(
    villages: pd.DataFrame,
    compliance: pd.DataFrame,
    *,
    groupings: Iterable[str] = ("area_type", "township"),
    population: str = "population",
    standards: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Coverage rates overall and for each grouping, stacked with a ``grouping`` column.

    Returns
    -------
    pandas.DataFrame
        Columns ``grouping`` ("all", "area_type", "township", ...), ``standard``, ``group`` and
        the columns of :func:`coverage_rates`.
    Examples
    --------
    >>> from accessibility.equity import coverage_table
    >>> table = coverage_table(layer, compliance, standards=standards)
    >>> table["grouping"].unique().tolist()
    ['all', 'area_type', 'township']
    """
    parts = []
    for grouping in [None, *groupings]:
        rates = coverage_rates(
            villages, compliance, by=grouping, population=population, standards=standards
        ).reset_index()
        rates.insert(0, "grouping", grouping or "all")
        parts.append(rates)
    return pd.concat(parts, ignore_index=True)


def underserved(
    villages: pd.DataFrame,
    compliance: pd.DataFrame,
    *,
    population: str = "population",
    standards: pd.DataFrame | None = None,
    top: int | None = None,
    columns: Iterable[str] = ("name", "township", "area_type"),
) -> pd.DataFrame:
    """Villages that do not meet a standard, ranked by population affected x shortfall.

    The score is :math:`pop_i \\times (x_i - z)` in person-minutes (or person-metres): how much
    travel beyond the standard the village's residents bear. Unreachable villages have an infinite
    shortfall and come first (ordered by population).

    Parameters
    ----------
    villages, compliance
        The per-village layer and its :func:`standards_compliance` table.
    population, standards
        As in :func:`coverage_rates`.
    top
        Keep the first ``top`` villages per standard.
    columns
        Village columns to carry into the list when present (names, township, area type).

    Returns
    -------
    pandas.DataFrame
        Columns ``standard``, the villages' id (index name, default ``village_id``), the carried
        columns, ``population``, ``value``, ``threshold``, ``shortfall``, ``score``, ``unit`` and
        ``rank`` (1 = worst), sorted by standard then rank.

    Examples
    --------
    >>> from accessibility.equity import underserved
    >>> worst = underserved(layer, compliance, top=3, standards=standards)
    >>> worst.loc[worst["standard"] == worst["standard"].iloc[0],
    ...           ["village_id", "population", "shortfall", "rank"]].round(1)
      village_id  population  shortfall  rank
    0       V088      2788.0       17.0     1
    1       V346      1218.0       38.8     2
    2       V154      1601.0       27.7     3
    """
    what = "underserved"
    compliance = align_frame(compliance, villages.index, what=what)
    id_name = villages.index.name or "village_id"
    carry = [c for c in columns if c in villages.columns]
    parts = []
    for name in standard_names(compliance):
        unit = unit_of(compliance, name)
        pop, _ = population_for(villages, name, population, standards, what=what)
        meets = compliance[f"{name}_meets"]
        fail = (meets == False).fillna(False).astype(bool)  # noqa: E712 (nullable boolean)
        if not fail.any():
            continue
        sub = pd.DataFrame(
            {
                "standard": name,
                id_name: villages.index[fail],
                **{c: villages.loc[fail, c].to_numpy() for c in carry},
                "population": pop[fail].to_numpy(),
                "value": compliance.loc[fail, f"{name}_value_{unit}"].to_numpy(),
                "threshold": compliance.loc[fail, f"{name}_threshold_{unit}"].to_numpy(),
                "shortfall": compliance.loc[fail, f"{name}_shortfall_{unit}"].to_numpy(),
                "unit": unit,
            }
        )
        with np.errstate(invalid="ignore"):
            sub["score"] = np.where(
                sub["population"] > 0, sub["population"] * sub["shortfall"], 0.0
            )
        sub = sub.sort_values(["score", "population"], ascending=False, kind="stable")
        sub["rank"] = np.arange(1, len(sub) + 1)
        if top is not None:
            sub = sub.head(top)
        parts.append(sub)
    if not parts:
        return pd.DataFrame(
            columns=[
                "standard",
                id_name,
                *carry,
                "population",
                "value",
                "threshold",
                "shortfall",
                "unit",
                "score",
                "rank",
            ]
        )
    return pd.concat(parts, ignore_index=True)
