"""Writing the report file (atomically)."""

from __future__ import annotations

import logging
import os
from collections.abc import Sequence
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
    title: str = "Accessibility and equity of public services",
    subtitle: str | None = None,
    overwrite: bool = True,
    charts: bool = True,
    sections: Sequence[str] = (),
    **options: Any,
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
        Headings.
    overwrite
        Replace an existing file.
    charts
        Embed charts (PNG, base64); False gives a tables-only report quickly.
    sections
        HTML lines appended at the end of the page (e.g. :mod:`accessibility.report.tiers`).
    **options
        Passed to :func:`report_tables` (``standards``, ``services``, ``time_column``,
        ``standard_columns``, ``mode``, ``unit``, ``population``, ``area_type``, ``rank_by``,
        ``unreachable_fill_min``, ``top``, ``clusters``, ``k``, ``permutations``).

    Returns
    -------
    pathlib.Path
        The file written.

    Examples
    --------
    >>> from accessibility.report import write_report
    >>> write_report("out/report.html", layer, townships=demo.townships)  # doctest: +SKIP
    """
    tables = report_tables(villages, **options)
    text = report_html(
        tables, villages, townships=townships, title=title, subtitle=subtitle, charts=charts
    )
    if sections:  # appended before the end of the page's main part
        text = text.replace("</main>", "\n".join(sections) + "\n</main>", 1)
    with atomic_path(path, overwrite=overwrite) as tmp:
        tmp.write_text(text, encoding="utf-8")
    logger.info("report written to %s", final_path(path))
    return final_path(path)
