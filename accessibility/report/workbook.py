"""The tables bureaus copy into their forms, as one Excel workbook (``.xlsx``, written with
openpyxl): per village, per township, per standard and the underserved villages.

Headers are in the report's language with units, the header row is frozen, numbers are stored as
numbers (an unreachable village's time is an empty cell, with "unreachable" in a note column).
"""

from __future__ import annotations

import logging
import math
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from .._files import atomic_path, final_path
from ..i18n import area_name, column_labels, level_name, mode_name, service_name, text

__all__ = ["workbook_sheets", "write_workbook"]

logger = logging.getLogger(__name__)


def workbook_sheets(
    villages: pd.DataFrame,
    tables: Mapping[str, Any] | None,
    *,
    townships: pd.DataFrame | None = None,
    lang: str = "zh",
) -> dict[str, pd.DataFrame]:
    """The sheets of the workbook, ``{sheet name: table with reader's headers}``.

    ``tables`` are :func:`accessibility.report.report_tables` (for the per-standard and
    underserved sheets; ``None`` leaves those out).

    Examples
    --------
    >>> import pandas as pd
    >>> v = pd.DataFrame({"population": [120], "clinic_nearest_min": [12.5]})
    >>> list(workbook_sheets(v, None, lang="zh")["村庄"].columns)
    ['人口', '到最近村卫生室时间（分钟）']
    """
    standards = tables.get("standards") if tables else None
    sheets: dict[str, pd.DataFrame] = {}
    frame = _plain(villages).reset_index()
    frame = frame.loc[:, ~frame.columns.astype(str).str.startswith("index")]
    sheets[text("sheet_villages", lang)] = frame.rename(
        columns=column_labels(frame.columns, lang, standards)
    )
    if townships is not None:
        t = _plain(townships)
        sheets[text("sheet_townships", lang)] = t.rename(
            columns=column_labels(t.columns, lang, standards)
        )
    if tables and len(tables.get("coverage", [])):
        sheets[text("sheet_standards", lang)] = _standards_sheet(tables, lang)
    if tables and len(tables.get("underserved", [])):
        sheets[text("sheet_underserved", lang)] = _underserved_sheet(tables, lang)
    return sheets


def _plain(df: pd.DataFrame) -> pd.DataFrame:
    geom = getattr(df, "geometry", None)
    out = pd.DataFrame(df.drop(columns=[geom.name])) if geom is not None else pd.DataFrame(df)
    return out


def _standards_sheet(tables: Mapping[str, Any], lang: str) -> pd.DataFrame:
    cov, ev = tables["coverage"], tables["evaluated"]
    std = tables["standards"]
    rows = []
    for r in cov.itertuples(index=False):
        if r.grouping not in ("all", "area_type"):
            continue
        area = "overall" if r.grouping == "all" else str(r.group)
        entry = ev[(ev["name"] == r.standard) & ev["area_type"].isin([area, "all"])]
        e = entry.iloc[0] if len(entry) else None
        rows.append(
            {
                text("col_standard", lang): service_name(r.standard, lang, std),
                text("col_area", lang): area_name(area, lang),
                text("col_mode", lang): mode_name(e["mode"], lang) if e is not None else None,
                text("col_threshold", lang): float(e["threshold"]) if e is not None else None,
                text("col_unit", lang): _unit(e["unit"], lang) if e is not None else None,
                text("col_coverage", lang): _percent(r.coverage_rate),
                text("col_people", lang): float(r.population),
                text("col_people_meeting", lang): float(r.population_meeting),
                text("col_villages_not_meeting", lang): int(r.villages - r.villages_meeting),
                text("col_level", lang): level_name(e["level"], lang) if e is not None else None,
                text("col_source", lang): _source(e, lang) if e is not None else None,
            }
        )
    return pd.DataFrame(rows)


def _underserved_sheet(tables: Mapping[str, Any], lang: str) -> pd.DataFrame:
    u, std = tables["underserved"], tables["standards"]
    out = pd.DataFrame(
        {
            text("col_standard", lang): [service_name(s, lang, std) for s in u["standard"]],
            text("col_rank", lang): u["rank"].astype(int),
        }
    )
    for c in ("name", "name_pinyin", tables.get("unit"), tables.get("area_type")):
        if c and c in u.columns:
            values = u[c]
            if c == tables.get("area_type"):
                values = values.map(lambda a: area_name(str(a), lang))
            out[column_labels([c], lang)[c]] = values.to_numpy()
    out[column_labels(["population"], lang)["population"]] = u["population"].to_numpy()
    out[text("col_value", lang)] = u["value"].to_numpy()
    out[text("col_threshold", lang)] = u["threshold"].to_numpy()
    out[text("col_shortfall", lang)] = u["shortfall"].to_numpy()
    out[text("col_score", lang)] = u["score"].to_numpy()
    return out


def _unit(unit: str, lang: str) -> str:
    return {"min": text("minutes", lang), "m": "米" if lang == "zh" else "m"}.get(unit, unit)


def _percent(rate: Any) -> float | None:
    try:
        v = float(rate)
    except (TypeError, ValueError):
        return None
    return None if math.isnan(v) else round(100 * v, 1)


def _source(entry: Any, lang: str) -> str:
    if lang == "zh" and entry.get("source_zh"):
        return str(entry["source_zh"])
    return str(entry["source"])


def _cell(value: Any) -> Any:
    """A value openpyxl stores as its type: numbers as numbers, NaN/inf/NA as an empty cell."""
    if value is None or value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, np.bool_ | bool):
        return bool(value)
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, np.floating | float):
        v = float(value)
        return v if math.isfinite(v) else None
    return value if isinstance(value, int | str) else str(value)


def write_workbook(
    path: str | os.PathLike,
    sheets: Mapping[str, pd.DataFrame],
    *,
    overwrite: bool = True,
) -> Path:
    """Write ``{sheet name: table}`` as one ``.xlsx`` workbook (atomically): bold, frozen header
    row, numbers as numbers, columns sized to their header.

    Examples
    --------
    >>> import pandas as pd
    >>> from accessibility.report.workbook import write_workbook
    >>> write_workbook("tables.xlsx", {"村庄": pd.DataFrame({"人口": [120]})}).name
    'tables.xlsx'
    """
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Alignment, Font
    from openpyxl.utils import get_column_letter

    book = Workbook(write_only=True)  # streamed row by row: a third less time than cell objects
    for name, table in sheets.items():
        sheet = book.create_sheet(title=str(name)[:31])
        sheet.freeze_panes = "A2"
        header = []
        for i, c in enumerate(table.columns, start=1):
            wide = sum(2 if ord(ch) > 0x2E80 else 1 for ch in str(c))
            sheet.column_dimensions[get_column_letter(i)].width = max(8, min(40, wide + 2))
        names: list[str | None] = [str(c) for c in table.columns]
        for c in names or [None]:  # no columns: a styled empty A1
            cell = WriteOnlyCell(sheet, value=c)
            cell.font = Font(bold=True)
            cell.alignment = Alignment(wrap_text=True, vertical="top")
            header.append(cell)
        sheet.append(header)
        for row in table.itertuples(index=False):
            sheet.append([_cell(v) for v in row])
    with atomic_path(path, overwrite=overwrite) as tmp:
        book.save(tmp)
    logger.info("workbook written to %s", final_path(path))
    return final_path(path)
