"""The tables of the report, computed from the per-village layer (also written to CSV by the CLI)."""

from __future__ import annotations

import logging
import math
import os
from collections.abc import Iterable, Mapping
from typing import Any

import numpy as np
import pandas as pd

from .. import equity as eq
from ..errors import InvalidValueError, MissingColumnError
from ..standards import KNOWN_SERVICES

logger = logging.getLogger(__name__)

_SERVICE_ORDER = KNOWN_SERVICES


def _services(villages: pd.DataFrame, time_column: str, services: Iterable[str] | None) -> list:
    if services is not None:
        found = list(services)
        missing = [s for s in found if time_column.format(service=s, mode="") not in villages]
        if missing:
            raise MissingColumnError(
                f"report: no time column for service(s) {missing} (pattern {time_column!r})"
            )
        return found
    prefix, _, suffix = time_column.partition("{service}")
    found = [
        c[len(prefix) : len(c) - len(suffix)]
        for c in villages.columns
        if isinstance(c, str)
        and c.startswith(prefix)
        and c.endswith(suffix)
        and len(c) > len(prefix + suffix)
    ]
    known = [s for s in found if s in _SERVICE_ORDER]
    # "clinic_walk" from "clinic_walk_nearest_min" is a variant of "clinic", not a service
    found = known + [
        s for s in found if s not in known and not any(s.startswith(k + "_") for k in found)
    ]
    if not found:
        raise MissingColumnError(
            f"report: the villages have no columns matching {time_column!r}; pass time_column= "
            "to match your per-village layer (e.g. '{service}_nearest_min')"
        )
    order = {s: i for i, s in enumerate(_SERVICE_ORDER)}
    return sorted(set(found), key=lambda s: (order.get(s, 99), s))


def report_tables(
    villages: pd.DataFrame,
    *,
    standards: pd.DataFrame | str | os.PathLike | None = None,
    services: Iterable[str] | None = None,
    time_column: str = "{service}_nearest_min",
    standard_columns: str | Mapping[str, str] | None = None,
    mode: str | None = "car",
    unit: str = "township",
    population: str = "population",
    area_type: str = "area_type",
    rank_by: str | None = "income_yuan",
    unreachable_fill_min: float | None = None,
    top: int = 15,
    clusters: bool = True,
    k: int = 8,
    permutations: int = 499,
) -> dict[str, Any]:
    """Compute every table of the report.

    Parameters
    ----------
    villages
        Per-village layer (index = village id) with ``time_column`` per service, ``area_type``,
        the population column(s), optionally ``unit`` (township), ``rank_by`` (income) and
        ``name``/``name_pinyin``.
    standards
        Standards table or TOML path (``None``: the built-in Chinese standards).
    services
        Services to report; default: every service with a ``time_column``.
    time_column
        Pattern of the main travel-time columns (minutes), used for inequality, distributions,
        maps and clusters.
    standard_columns
        Column pattern(s) for checking standards (see
        :func:`accessibility.equity.standards_compliance`); default ``time_column`` with the
        layer's ``mode``, so standards for other modes are listed as not evaluated.
    mode
        Travel mode of ``time_column`` ("car"); ``None`` compares every standard with it.
    unit
        Admin-unit column for the per-unit tables (skipped if absent).
    unreachable_fill_min
        Time given to unreachable villages in inequality indices and clusters; default: the
        longest reachable time of that service (a lower bound: they are at least that far).
    top
        Villages per service in the underserved list.
    clusters, k, permutations
        Whether to compute Moran's I / LISA (needs esda and libpysal), neighbours, permutations.

    Returns
    -------
    dict
        Keys ``services``, ``standards``, ``compliance``, ``coverage`` (stacked
        overall/area/unit), ``gap``, ``inequality``, ``unit_summary`` (or None),
        ``underserved``, ``clusters`` (per-service Moran table or None), ``lisa`` (service ->
        per-village LISA frame), ``fills`` (service -> fill used), ``skipped`` (standards not
        evaluated, with reasons), ``populations`` (service -> population column), ``counts``.
    """
    from ..standards import load_standards

    if len(villages) == 0:
        raise InvalidValueError("report: the villages layer is empty")
    table = load_standards(standards)
    svc = _services(villages, time_column, services)
    cols = {s: time_column.format(service=s, mode=mode or "") for s in svc}
    table, standard_services = _applicable_standards(table, svc)
    pattern = standard_columns if standard_columns is not None else time_column
    check_mode = mode if standard_columns is None else None
    evaluated, compliance, skipped = _evaluate(villages, table, pattern, check_mode, area_type)
    populations = _populations(villages, table, svc, population)
    has_unit = unit in villages.columns and villages[unit].notna().all()
    groupings = ["area_type"] if area_type == "area_type" else [area_type]
    if has_unit:
        groupings.append(unit)
    has_rules = any(c.endswith("_meets") for c in compliance.columns)
    coverage = (
        eq.coverage_table(
            villages, compliance, groupings=groupings, population=population, standards=evaluated
        )
        if has_rules
        else pd.DataFrame()
    )
    gap = (
        eq.urban_rural_gap(
            villages,
            compliance,
            column=time_column.replace("{mode}", mode or ""),
            area_type=area_type,
            population=population,
            standards=evaluated,
        )
        if has_rules
        else pd.DataFrame()
    )
    fills = _fills(villages, cols, unreachable_fill_min)
    inequality = _inequality(
        villages,
        cols,
        fills,
        populations,
        area_type=area_type,
        rank_by=rank_by,
        unit=unit if has_unit else None,
    )
    summary = (
        eq.unit_summary(
            villages,
            compliance,
            by=unit,
            population=population,
            standards=evaluated,
            value_columns=list(cols.values()),
        )
        if has_unit and has_rules
        else None
    )
    under = (
        eq.underserved(
            villages,
            compliance,
            population=population,
            standards=evaluated,
            top=top,
            columns=("name", "name_pinyin", unit, area_type),
        )
        if has_rules
        else pd.DataFrame()
    )
    moran_rows: dict[str, Any] = {}
    lisa: dict[str, Any] = {}
    if clusters and len(villages) >= 5 and hasattr(villages, "geometry"):
        moran_rows, lisa = _clusters(
            villages, cols, fills, populations, k=k, permutations=permutations
        )
    counts = _counts(villages, population, area_type, unit if has_unit else None, mode)
    return {
        "services": svc,
        "columns": cols,
        "standards": table,
        "evaluated": evaluated,
        "compliance": compliance,
        "coverage": coverage,
        "gap": gap,
        "inequality": inequality,
        "unit_summary": summary,
        "underserved": under,
        "clusters": pd.DataFrame.from_dict(moran_rows, orient="index") if moran_rows else None,
        "lisa": lisa,
        "fills": fills,
        "skipped": pd.DataFrame(skipped, columns=["standard", "area_type", "reason"]),
        "populations": populations,
        "counts": counts,
        "unit": unit if has_unit else None,
        "area_type": area_type,
        "standard_services": standard_services,
    }


def _skip_reason(
    row: Any, villages: pd.DataFrame, pattern: str | Mapping[str, str], mode: str | None
) -> str | None:
    """Why a standard entry cannot be checked against this layer (None if it can)."""
    if row.unit == "m":
        p = "{service}_nearest_km"
    elif isinstance(pattern, Mapping):
        if row.mode not in pattern:
            return f"no {row.mode} times given"
        p = pattern[row.mode]
    else:
        if mode is not None and "{mode}" not in pattern and row.mode != mode:
            return f"needs {row.mode} times; the layer has {mode} times"
        p = pattern
    absent = [
        c
        for c in (p.format(service=s, mode=row.mode) for s in row.services)
        if c not in villages.columns
    ]
    return f"column(s) {absent} missing" if absent else None


def _evaluate(
    villages: pd.DataFrame,
    table: pd.DataFrame,
    pattern: str | Mapping[str, str],
    check_mode: str | None,
    area_type: str,
) -> tuple[pd.DataFrame, pd.DataFrame, list[dict[str, Any]]]:
    """The standard entries that can be checked against this layer, their compliance, and why
    the others cannot."""
    skipped = []
    keep = []
    for row in table.itertuples(index=False):
        reason = _skip_reason(row, villages, pattern, check_mode)
        if reason:
            skipped.append({"standard": row.name, "area_type": row.area_type, "reason": reason})
        keep.append(reason is None)
    evaluated = table.loc[np.array(keep, dtype=bool)].reset_index(drop=True)
    if len(evaluated):
        compliance = eq.standards_compliance(
            villages,
            evaluated,
            time_column=pattern,
            area_type=area_type,
            mode=check_mode,
            missing="skip",
        )
    else:
        compliance = pd.DataFrame(index=villages.index)
    return evaluated, compliance, skipped


def _fills(
    villages: pd.DataFrame, cols: Mapping[str, str], unreachable_fill_min: float | None
) -> dict[str, float]:
    """The time counted for unreachable villages, per service (default: the longest reached)."""
    fills = {}
    for s, c in cols.items():
        v = pd.to_numeric(villages[c], errors="coerce")
        finite = v[np.isfinite(v)]
        if unreachable_fill_min is not None:
            fills[s] = float(unreachable_fill_min)
        else:
            fills[s] = float(finite.max()) if len(finite) else math.nan
    return fills


def _inequality(
    villages: pd.DataFrame,
    cols: Mapping[str, str],
    fills: Mapping[str, float],
    populations: Mapping[str, str],
    *,
    area_type: str,
    rank_by: str | None,
    unit: str | None,
) -> pd.DataFrame:
    """Every inequality index per service, plus the between-township share when there are units."""
    inequality = pd.concat(
        [
            eq.inequality_table(
                villages,
                [c],
                population=populations[s],
                groups=area_type if area_type in villages.columns else None,
                rank_by=rank_by if rank_by and rank_by in villages.columns else None,
                unreachable_fill=fills[s] if math.isfinite(fills[s]) else None,
            )
            for s, c in cols.items()
        ]
    )
    inequality.index = list(cols)
    if unit is not None:
        shares = {}
        for s, c in cols.items():
            try:
                d = eq.theil_decomposition(
                    eq.fill_unreachable(villages[c], fills[s]),
                    villages[unit],
                    villages[populations[s]],
                )
                shares[s] = d.loc["total", "between_share"]
            except (InvalidValueError, ValueError) as exc:
                logger.info("report: no township decomposition for %s: %s", s, exc)
                shares[s] = math.nan
        inequality["between_share_unit"] = pd.Series(shares)
    return inequality


def _clusters(
    villages: Any,
    cols: Mapping[str, str],
    fills: Mapping[str, float],
    populations: Mapping[str, str],
    *,
    k: int,
    permutations: int,
) -> tuple[dict[str, dict[str, Any]], dict[str, pd.DataFrame]]:
    """Moran's I and the hot spots (local clusters) per service."""
    moran_rows: dict[str, dict[str, Any]] = {}
    lisa: dict[str, pd.DataFrame] = {}
    for s, c in cols.items():
        v = eq.fill_unreachable(villages[c], fills[s]) if math.isfinite(fills[s]) else None
        if v is None or v.nunique() < 2:
            continue
        m = eq.morans_i(v, villages, k=k, permutations=permutations)
        local = eq.local_clusters(v, villages, k=k, permutations=permutations)
        lisa[s] = local
        pop = pd.to_numeric(villages[populations[s]], errors="coerce").fillna(0)
        hot = local["poor_access_cluster"]
        moran_rows[s] = {
            "morans_i": m["I"],
            "p_sim": m["p_sim"],
            "hot_spot_villages": int(hot.sum()),
            "hot_spot_population": float(pop[hot].sum()),
            "k": int(m["k"]),
        }
    return moran_rows, lisa


def _counts(
    villages: pd.DataFrame, population: str, area_type: str, unit: str | None, mode: str | None
) -> dict[str, Any]:
    """Villages and residents, urban and rural, for the report's opening line."""
    pop_all = pd.to_numeric(villages[population], errors="coerce").fillna(0)
    area = (
        villages[area_type].astype("string").str.strip().str.lower()
        if (area_type in villages.columns)
        else pd.Series("unknown", index=villages.index)
    )
    counts = {
        "villages": len(villages),
        "population": float(pop_all.sum()),
        "urban_villages": int((area == "urban").sum()),
        "rural_villages": int((area == "rural").sum()),
        "urban_population": float(pop_all[(area == "urban").fillna(False)].sum()),
        "rural_population": float(pop_all[(area == "rural").fillna(False)].sum()),
        "units": int(villages[unit].nunique()) if unit is not None else 0,
        "mode": mode,
    }
    return counts


def _applicable_standards(table: pd.DataFrame, svc: list[str]) -> tuple[pd.DataFrame, list[str]]:
    """The standards whose services are all reported, and every service the table is written for."""
    # the services any standard is written for (to say so when none of them is reported)
    standard_services = sorted({x for row in table["services"] for x in row})
    # only standards whose services are all reported (a boolean mask: an empty list would
    # select no columns rather than no rows)
    mask = np.array([all(x in svc for x in row) for row in table["services"]], dtype=bool)
    table = table.loc[mask].reset_index(drop=True)
    if not len(table):
        logger.warning(
            "report: no standard applies to the services %s; the standards are written for %s",
            svc,
            standard_services,
        )
    return table, standard_services


def _populations(
    villages: pd.DataFrame, table: pd.DataFrame, svc: list[str], population: str
) -> dict[str, str]:
    """Per service, the population its standard counts (school-age, elderly), else ``population``."""
    populations = {}
    for s in svc:
        rows = table[table["name"] == s]
        wanted = [p for p in rows["population"].dropna().unique() if p in villages.columns]
        populations[s] = wanted[0] if wanted else population
    return populations
