"""The CLI's closing lines after a run, in the project's language: the villages and people, each
standard's coverage in plain words, and the files written."""

from __future__ import annotations

import math

import pandas as pd

from ..i18n import area_name, mode_name, project_language, service_name, text
from .result import RunResult

__all__ = ["run_summary"]


def run_summary(result: RunResult, lang: str | None = None) -> list[str]:
    """Lines summing up a run: villages and residents, each standard's coverage per area type
    (population-weighted, against the standard for that area type), and the files.

    Examples
    --------
    >>> import geopandas as gpd
    >>> from shapely.geometry import Point
    >>> from accessibility.project.result import RunResult
    >>> v = gpd.GeoDataFrame({"population": [1200, 800]}, geometry=[Point(0, 0), Point(1, 1)])
    >>> result = RunResult(villages=v, facilities=v, network=None, costs={},
    ...                    config={"project": {"language": "zh"}})
    >>> run_summary(result)
    ['共2个村庄，2,000人']
    """
    lang = lang or project_language(result.config)
    cfg = result.config
    v = result.villages
    pop_col = (cfg.get("columns") or {}).get("population", "population")
    people = (
        float(pd.to_numeric(v[pop_col], errors="coerce").fillna(0).sum()) if pop_col in v else 0
    )
    lines = [text("summary_villages", lang, n=len(v), people=f"{people:,.0f}")]
    table = result.standards_table
    area_col = (cfg.get("columns") or {}).get("area_type", "area_type")
    if table is not None and area_col in v.columns:
        area = v[area_col].astype("string").str.strip().str.lower()
        for row in table.itertuples(index=False):
            meets = f"{row.name}_meets"
            if meets not in v.columns or row.unit != "min":
                continue
            sel = area.isin([row.area_type]) if row.area_type != "all" else area.notna()
            sel = sel.fillna(False).to_numpy(dtype=bool)
            pcol = (
                row.population
                if isinstance(row.population, str) and row.population in v
                else pop_col
            )
            w = pd.to_numeric(v.loc[sel, pcol], errors="coerce").fillna(0)
            ok = v.loc[sel, meets].astype("boolean").fillna(False).to_numpy(dtype=bool)
            rate = float(w[ok].sum() / w.sum()) if w.sum() > 0 else math.nan
            if math.isnan(rate):
                continue
            name = service_name(row.name, lang, table)
            if row.area_type != "all":
                name += (
                    f"（{area_name(row.area_type, lang)}）"
                    if lang == "zh"
                    else (f" ({area_name(row.area_type, lang)})")
                )
            rule = (
                f"{mode_name(row.mode, lang)}{row.threshold:g}分钟"
                if lang == "zh"
                else f"{mode_name(row.mode, lang)} ≤ {row.threshold:g} min"
            )
            lines.append(
                text(
                    "summary_standard",
                    lang,
                    standard=name,
                    rate=f"{100 * rate:.1f}%",
                    threshold=rule,
                )
            )
    for kind, path in result.files.items():
        key = f"file_{kind}"
        label = text(key, lang) if key in _known(lang) else kind
        lines.append(text("summary_file", lang, kind=label, path=path))
    return lines


def _known(lang: str) -> set[str]:
    from ..i18n import MESSAGES

    return set(MESSAGES[lang])
