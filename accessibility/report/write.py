"""Writing the report file (atomically)."""

from __future__ import annotations

import logging
import os
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

import pandas as pd

from .._files import atomic_path, final_path
from .page import report_html
from .tables import report_tables

logger = logging.getLogger(__name__)


def write_report(
    path: str | os.PathLike,
    villages: pd.DataFrame,
    *,
    townships: Any = None,
    title: str | None = None,
    subtitle: str | None = None,
    overwrite: bool = True,
    charts: bool = True,
    sections: Sequence[str] = (),
    lang: str = "en",
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
) -> Path:
    """Write the equity report as one self-contained HTML file (atomically).

    Parameters
    ----------
    path
        Output ``.html`` file.
    villages
        Per-village layer (see :func:`report_tables`).
    townships
        Optional GeoDataFrame of township polygons (outlines and labels on maps; Chinese names
        in tables from its ``name`` column).
    title, subtitle
        Headings (default title: "Access to public services and its fairness").
    lang
        ``"en"`` (default) or ``"zh"``: the language of the report.
    overwrite
        Replace an existing file.
    charts
        Embed charts (PNG, base64); False gives a tables-only report quickly.
    sections
        HTML lines appended at the end of the page (e.g. :mod:`accessibility.report.tiers`).
    standards, services, time_column, standard_columns, mode, unit, population, area_type, rank_by, unreachable_fill_min, top, clusters, k, permutations
        As in :func:`report_tables`.

    Returns
    -------
    pathlib.Path
        The file written.

    Examples
    --------
    >>> from accessibility.report import write_report
    >>> write_report("out/report.html", layer, townships=demo.townships)  # doctest: +SKIP
    """
    tables = report_tables(
        villages,
        standards=standards,
        services=services,
        time_column=time_column,
        standard_columns=standard_columns,
        mode=mode,
        unit=unit,
        population=population,
        area_type=area_type,
        rank_by=rank_by,
        unreachable_fill_min=unreachable_fill_min,
        top=top,
        clusters=clusters,
        k=k,
        permutations=permutations,
    )
    text = report_html(
        tables,
        villages,
        townships=townships,
        title=title,
        subtitle=subtitle,
        charts=charts,
        lang=lang,
        extra_sections=sections,
    )
    with atomic_path(path, overwrite=overwrite) as tmp:
        tmp.write_text(text, encoding="utf-8")
    logger.info("report written to %s", final_path(path))
    return final_path(path)
