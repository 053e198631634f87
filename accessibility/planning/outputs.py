"""Writing a scenario's result: styled GeoPackage layers (QGIS styles for time saved and changes)."""

from __future__ import annotations

import math
import os
import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import geopandas as gpd
import pandas as pd

if TYPE_CHECKING:  # pragma: no cover
    pass
from .evaluate import ScenarioResult

__all__ = [
    "CHANGE_STYLES",
    "ROAD_CHANGE_STYLES",
    "SAVED_BREAKS_MIN",
    "SAVED_COLORS",
    "SAVED_LABELS",
    "scenario_styles",
    "write_scenario_outputs",
]

SAVED_BREAKS_MIN: tuple[float, ...] = (-math.inf, -0.05, 0.05, 2.0, 5.0, 15.0, math.inf)
SAVED_COLORS: tuple[str, ...] = ("#d73027", "#e0e0e0", "#d9f0d3", "#a6dba0", "#5aae61", "#1b7837")
SAVED_LABELS: tuple[str, ...] = (
    "worse 变差",
    "no change 不变",
    "0-2 min saved",
    "2-5 min saved",
    "5-15 min saved",
    "> 15 min saved",
)
CHANGE_STYLES: dict[str, tuple[str, str, float, str]] = {
    "added": ("#e31a1c", "new site 新建", 7.0, "star"),
    "merged_into": ("#ff7f00", "merged into 合并后", 5.0, "circle"),
    "capacity_changed": ("#fdbf6f", "capacity changed 扩容", 4.0, "circle"),
    "closed": ("#636363", "closed 撤并", 4.0, "cross2"),
    "merged_away": ("#969696", "merged away 并入他处", 4.0, "cross2"),
    "unchanged": ("#9ecae1", "unchanged 不变", 2.2, "circle"),
}
ROAD_CHANGE_STYLES: dict[str, tuple[str, str, float]] = {
    "new": ("#e31a1c", "new road 新建道路", 1.6),
    "speed": ("#ff7f00", "upgraded 提速", 1.4),
}


def _marker_shapes(qml: str, shapes: Sequence[str]) -> str:
    """Give symbol ``i`` of a categorised QML the marker shape ``shapes[i]``."""

    def fix(match: re.Match[str]) -> str:
        i = int(match.group(1))
        shape = shapes[i] if i < len(shapes) else "circle"
        body = match.group(0)
        return body.replace('value="circle"', f'value="{shape}"').replace(
            'v="circle"', f'v="{shape}"'
        )

    return re.sub(r'<symbol type="marker" name="(\d+)".*?</symbol>', fix, qml, flags=re.S)


def scenario_styles(result: ScenarioResult, *, service: str | None = None) -> dict[str, str]:
    """QGIS styles of the scenario layers: time saved (graduated, green = faster, red = slower,
    grey = no change) for ``service`` (default: the one improving the most people), facilities by
    change with new sites as big red stars, changed roads thick."""
    from ..styles import categorized_qml, geometry_type_of, graduated_qml

    styles: dict[str, str] = {}
    summ = result.summary
    if service is None and len(summ):
        service = str(summ["population_improved"].idxmax())
    col = f"{service}_saved_min"
    if service is not None and col in result.villages.columns:
        styles["villages"] = graduated_qml(
            col,
            SAVED_BREAKS_MIN,
            SAVED_COLORS,
            geometry_type_of(result.villages),
            SAVED_LABELS,
            null_class=("#762a83", "unreachable before or after 不可达"),
            size_mm=2.4,
        )
    present = set(result.facilities["change"])
    cats = {k: v for k, v in CHANGE_STYLES.items() if k in present or k == "added"}
    qml = categorized_qml(
        "change",
        {k: (v[0], v[1]) for k, v in cats.items()},
        "Point",
        sizes_mm={k: v[2] for k, v in cats.items()},
        size_mm=2.2,
        outline=(255, 255, 255),
    )
    styles["facilities"] = _marker_shapes(qml, [v[3] for v in cats.values()])
    if result.roads is not None:
        styles["roads_changed"] = categorized_qml(
            "change",
            {k: (v[0], v[1]) for k, v in ROAD_CHANGE_STYLES.items()},
            "LineString",
            sizes_mm={k: v[2] for k, v in ROAD_CHANGE_STYLES.items()},
        )
    return styles


def write_scenario_outputs(
    path: str | os.PathLike,
    result: ScenarioResult,
    *,
    extra_layers: Mapping[str, pd.DataFrame] | None = None,
    style_service: str | None = None,
    overwrite: bool = True,
) -> Path:
    """Write a scenario's layers to one GeoPackage with QGIS styles.

    Layers: ``villages`` (before/after per village, styled by the time saved), ``facilities``
    (after the scenario plus the closed ones, styled by ``change``: new sites are big red stars,
    closed ones grey crosses), ``roads_changed`` (new and upgraded roads, when any), and the
    attribute tables ``summary`` and ``equity``.

    Parameters
    ----------
    path
        Output ``.gpkg`` (written atomically).
    result
        From :func:`evaluate_scenario`.
    extra_layers
        More layers to write (unstyled unless they are of a known kind).
    style_service
        Service whose time saved colours the villages (default: the one improving most people).
    overwrite
        Replace an existing file.

    Returns
    -------
    Path
        The file written.
    """
    from ..io import write_geopackage
    from ..styles import default_qml, geometry_type_of

    crs = result.villages.crs
    layers: dict[str, pd.DataFrame] = {"villages": result.villages}
    layers["facilities"] = (
        result.facilities.to_crs(crs) if result.facilities.crs != crs else result.facilities
    )
    if result.roads is not None:
        layers["roads_changed"] = result.roads.to_crs(crs)
    layers["summary"] = result.summary.reset_index()
    layers["equity"] = result.equity
    styles: dict[str, str | None] = dict(scenario_styles(result, service=style_service))
    for name, frame in (extra_layers or {}).items():
        layers[name] = frame
        if isinstance(frame, gpd.GeoDataFrame):
            if (
                "change" in frame.columns
                and "facilities" in styles
                and geometry_type_of(frame) == "Point"
            ):
                styles.setdefault(name, styles["facilities"])  # new sites as big stars
            styles.setdefault(name, default_qml(name, frame))
    written = write_geopackage(path, layers, styles=styles, overwrite=overwrite)
    result.files["geopackage"] = written
    return written
