"""The outputs for the people who read the results: the per-village CSV with headers in the
project's language, the report, the QGIS project (``.qgz``) beside the GeoPackage and the Excel
workbook beside the CSV (:func:`write_reader_outputs`, called by
:func:`accessibility.project.outputs.write_outputs` inside its staged atomic swap)."""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd

from .. import io
from .._files import atomic_path
from .._fork import forked
from ..i18n import column_labels, project_language, text
from ..report.page import report_html
from ..report.tables import report_tables
from ..report.words import word
from ..report.workbook import workbook_sheets, write_workbook
from ..styles.project import write_qgis_project
from .config import group_key
from .result import RunResult
from .standards import standard_modes
from .tiers import report_sections

__all__ = ["reader_paths", "reader_report", "write_reader_outputs"]


def reader_paths(
    cfg: Mapping[str, Any], paths: tuple[Path | None, Path | None, Path | None]
) -> dict[str, Path]:
    """The QGIS project and workbook paths, in the folder of the other outputs (the QGIS project
    only with a GeoPackage to read).

    Examples
    --------
    >>> from pathlib import Path
    >>> out = {"qgis_project": "a.qgz", "workbook": "a.xlsx"}
    >>> sorted(reader_paths({"output": out}, (Path("o/a.gpkg"), None, None)).items())
    [('qgis_project', PosixPath('o/a.qgz')), ('workbook', PosixPath('o/a.xlsx'))]
    """
    folder = next((p.parent for p in paths if p is not None), None)
    outc = cfg["output"]
    out: dict[str, Path] = {}
    if folder is None:
        return out
    if outc.get("qgis_project") and paths[0] is not None:
        out["qgis_project"] = folder / outc["qgis_project"]
    if outc.get("workbook"):
        out["workbook"] = folder / outc["workbook"]
    return out


@contextlib.contextmanager
def reader_report(
    result: RunResult,
    cfg: Mapping[str, Any],
    paths: tuple[Path | None, Path | None, Path | None],
    standards: pd.DataFrame | None,
) -> Iterator[tuple[dict[str, Any] | None, Callable[[], str] | None]]:
    """The report's tables (also the workbook's; None without standards or without a report and
    a workbook) and ``html()``, which gives the report's HTML (None: no report). The HTML is made
    in a forked process on the second core while the block writes the other outputs
    (:func:`accessibility._fork.forked`; the same text, warnings and errors as made here)."""
    report_path = paths[2]
    lang = project_language(cfg)
    tables = None
    if standards is not None and (
        report_path is not None or "workbook" in reader_paths(cfg, paths)
    ):
        tables = report_tables(result.villages, **_report_options(result, cfg, standards))
    if report_path is None or tables is None:
        yield tables, None
        return
    kw = {
        "townships": result.townships,
        "title": word("report_title", lang, project=cfg["project"]["name"]),
        "lang": lang,
    }
    with forked(_report_page, tables, result, cfg, kw) as html:
        yield tables, html


def _report_page(
    tables: dict[str, Any], result: RunResult, cfg: Mapping[str, Any], kw: dict[str, Any]
) -> str:
    lang = kw["lang"]
    return report_html(
        tables,
        result.villages,
        methods=_methods(result, cfg, lang),
        extra_sections=report_sections(result, cfg, lang),  # [tiers], [audit], [indicators]
        **kw,
    )


def write_reader_outputs(
    staged: Any,
    result: RunResult,
    cfg: Mapping[str, Any],
    layers: Mapping[str, gpd.GeoDataFrame],
    paths: tuple[Path | None, Path | None, Path | None],
    standards: pd.DataFrame | None,
    timestamp: Any,
    *,
    styles: Mapping[str, str] | None = None,
    report: tuple[dict[str, Any] | None, Callable[[], str] | None] | None = None,
) -> dict[str, Path]:
    """Write the CSV, report, QGIS project and workbook (each under ``staged``'s temporary name);
    returns ``{kind: final path}``. ``styles`` are the GeoPackage's layer styles: the QGIS
    project shows every styled layer the service groups do not (tiers, audits, buses ...).
    ``report`` is what :func:`reader_report` yields (default: made here)."""
    if report is None:
        with reader_report(result, cfg, paths, standards) as made:
            return write_reader_outputs(
                staged, result, cfg, layers, paths, standards, timestamp, styles=styles,
                report=made,
            )  # fmt: skip
    tables, html = report
    gpkg_path, csv_path, report_path = paths
    overwrite = bool(cfg["output"]["overwrite"])
    lang = project_language(cfg)
    files: dict[str, Path] = {}
    services = list(result.costs)
    if csv_path is not None:
        table = pd.DataFrame(result.villages.drop(columns=result.villages.geometry.name))
        table = table.reset_index()
        table = table.rename(columns=column_labels(table.columns, lang, standards, services))
        table = _unreachable_flags(table, lang)
        io.write_table(staged.path(csv_path), table, overwrite=overwrite)
        files["csv"] = csv_path
    extra = reader_paths(cfg, paths)
    if "qgis_project" in extra and gpkg_path is not None:  # reader_paths: only with a GeoPackage
        write_qgis_project(
            staged.path(extra["qgis_project"]),
            gpkg_path,
            layers,
            services={s: cfg["services"].get(s) or cfg["analysis"] for s in services},
            lang=lang,
            project_name=cfg["project"]["name"],
            standards=standards,
            catchment_services=cfg["catchments"]["services"],
            date=timestamp.date() if timestamp is not None else None,
            overwrite=overwrite,
            further_styles=styles,
        )
        files["qgis_project"] = extra["qgis_project"]
    if "workbook" in extra:
        sheets = workbook_sheets(result.villages, tables, townships=result.townships, lang=lang)
        write_workbook(staged.path(extra["workbook"]), sheets, overwrite=overwrite)
        files["workbook"] = extra["workbook"]
    if report_path is not None and html is not None:  # last: made beside the others
        with atomic_path(staged.path(report_path), overwrite=overwrite) as tmp:
            tmp.write_text(html(), encoding="utf-8")
        files["report"] = report_path
    return files


def _unreachable_flags(table: pd.DataFrame, lang: str) -> pd.DataFrame:
    """Infinite minutes (no facility, or no bus, within reach) as an empty cell plus a flag
    column named in the readers' language ("…（不可达）" / "… (unreachable)")."""
    out = table.copy()
    for col in list(table.columns):
        values = table[col]
        if not pd.api.types.is_float_dtype(values.dtype):
            continue
        inf = np.isinf(values.to_numpy(float))
        if inf.any():
            out[col] = values.where(~inf)
            flag = (
                f"{col}（{text('unreachable', lang)}）" if lang == "zh" else f"{col} (unreachable)"
            )
            out.insert(out.columns.get_loc(col) + 1, flag, inf)
    return out


def _report_options(
    result: RunResult, cfg: Mapping[str, Any], standards: pd.DataFrame
) -> dict[str, Any]:
    cols = cfg["columns"]
    modes = {m for ms in standard_modes(standards, list(result.costs)).values() for m in ms}
    rank_by = cfg["equity"]["income"]
    groups = {group_key(cfg, g) for g in cfg["equity"]["groups"]}
    return {
        "standards": standards,
        "services": list(result.costs),
        "time_column": "{service}_nearest_min",
        "standard_columns": {m: "{service}_" + m + "_nearest_min" for m in modes},
        "mode": None,
        # the township breakdown only when [equity] groups asks for it ("" is no column)
        "unit": cols["township"] if "township" in groups else "",
        "population": cols["population"],
        "area_type": cols["area_type"],
        "rank_by": rank_by if rank_by in result.villages.columns else None,
    }


def _methods(result: RunResult, cfg: Mapping[str, Any], lang: str) -> dict[str, Any]:
    """The data and the speeds for the report's methods section."""
    inp = cfg["input"]
    labels = {
        "zh": {"roads": "道路", "osm": "OpenStreetMap 道路", "villages": "村庄",
               "facilities": "设施", "townships": "乡镇", "dem": "数字高程模型"},
        "en": {"roads": "roads", "osm": "OpenStreetMap roads", "villages": "villages",
               "facilities": "facilities", "townships": "townships", "dem": "elevation model"},
    }[lang]  # fmt: skip
    data = []
    for key in ("roads", "osm", "villages", "facilities", "townships"):
        if inp.get(key):
            layer = inp.get(f"{key}_layer")
            name = Path(inp[key]).name + (f" ({layer})" if layer else "")
            data.append(f"{labels[key]}: {name}")
    if cfg["network"].get("dem"):
        data.append(f"{labels['dem']}: {Path(cfg['network']['dem']).name}")
    profile = cfg["network"]["profile"]
    data.append(("道路速度配置" if lang == "zh" else "road speed profile") + f": {profile}")
    edges = result.network.edges
    cols = [c for c in edges.columns if c.endswith("_speed_kmh")]
    speeds = None
    if cols and "road_class" in edges.columns:
        speeds = edges.groupby("road_class")[cols].median()
        speeds.columns = [c[: -len("_speed_kmh")] for c in cols]
        speeds = speeds.sort_values(speeds.columns[-1], ascending=False)
    return {"data": data, "speeds": speeds}
