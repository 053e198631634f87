"""Layers drawn under and over the villages: roads by class, facilities by service, catchment bands."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from ..errors import EmptyLayerError, MissingColumnError, suggest
from .classes import class_colors, format_limit
from .frame import MM_TO_PT
from .labels import bilingual

logger = logging.getLogger(__name__)


SERVICE_MARKERS: dict[str, str] = {
    "hospital": "P",
    "health_centre": "D",
    "clinic": "o",
    "primary_school": "s",
    "junior_school": "^",
    "elder_care": "h",
    "day_care": "v",
}
_MARKERS = ("o", "s", "^", "D", "v", "h", "p", "*", "X", "<", ">")


def draw_roads(ax: Any, roads: Any, column: str) -> list[Any]:
    """Roads by class (QGIS style colours and widths); returns legend handles."""

    from matplotlib.collections import LineCollection
    from matplotlib.lines import Line2D

    from ..styles import ROAD_STYLES

    lines = roads[roads.geometry.notna() & ~roads.geometry.is_empty]
    if column in lines.columns:
        cls = lines[column].astype("string").fillna("other").to_numpy()
    else:
        cls = np.full(len(lines), "other", dtype=object)
    order = list(ROAD_STYLES)
    present = list(dict.fromkeys(cls))
    present.sort(key=lambda c: -ROAD_STYLES[c][2] if c in ROAD_STYLES else 0.0, reverse=True)
    handles: list[Line2D] = []
    for k, c in enumerate(present):
        color, label, width_mm = ROAD_STYLES.get(c, ("#cccccc", "other roads", 0.25))
        segs: list[np.ndarray] = []
        for g in lines.geometry[cls == c]:
            parts = getattr(g, "geoms", [g])
            segs.extend(np.asarray(p.coords)[:, :2] for p in parts if not p.is_empty)
        lw = max(width_mm * MM_TO_PT * 0.75, 0.35)
        ax.add_collection(
            LineCollection(segs, colors=color, linewidths=lw, zorder=1 + k * 0.01, capstyle="round")
        )
        if c in ROAD_STYLES or not any(h.get_label() == "other roads" for h in handles):
            handles.append(Line2D([], [], color=color, lw=lw, label=bilingual(label)))
    handles.sort(
        key=lambda h: order.index(c) if (c := _road_key(str(h.get_label()))) in order else 99
    )
    return handles


def _road_key(label: str) -> str:
    from ..styles import ROAD_STYLES

    for key, (_, lab, _) in ROAD_STYLES.items():
        if label in (lab, lab.split()[0]):
            return key
    return label


def draw_facilities(ax: Any, facilities: Any, column: str) -> list[Any]:
    """Facilities, one marker per service; returns legend handles."""

    from matplotlib.lines import Line2D

    from ..styles import SERVICE_SIZES_MM, SERVICE_STYLES

    pts = facilities[facilities.geometry.notna() & ~facilities.geometry.is_empty]
    geom = pts.geometry
    if not (geom.geom_type == "Point").all():
        geom = geom.representative_point()
    if column in pts.columns:
        svc = pts[column].astype("string").fillna("facility").to_numpy()
    else:
        svc = np.full(len(pts), "facility", dtype=object)
    import matplotlib as mpl

    tab = mpl.colormaps["tab10"]
    handles = []
    services = list(dict.fromkeys(svc))
    services.sort(key=lambda s: list(SERVICE_STYLES).index(s) if s in SERVICE_STYLES else 99)
    extra = 0
    for s in services:
        if s in SERVICE_STYLES:
            color, label = SERVICE_STYLES[s]
            marker = SERVICE_MARKERS[s] if s in SERVICE_MARKERS else "o"
            size_pt = SERVICE_SIZES_MM.get(s, 2.6) * MM_TO_PT * 0.8
        else:
            color = mpl.colors.to_hex(tab(extra % 10))
            marker = _MARKERS[extra % len(_MARKERS)]
            label = str(s).replace("_", " ")
            size_pt = 2.8 * MM_TO_PT * 0.8
            extra += 1
        m = svc == s
        z = 12 - (list(SERVICE_STYLES).index(s) * 0.1 if s in SERVICE_STYLES else 0.9)
        ax.scatter(
            geom.x.to_numpy()[m],
            geom.y.to_numpy()[m],
            s=size_pt**2,
            marker=marker,
            c=color,
            edgecolors="black",
            linewidths=0.6,
            zorder=z,
        )
        handles.append(
            Line2D(
                [],
                [],
                ls="",
                marker=marker,
                markersize=size_pt,
                markerfacecolor=color,
                markeredgecolor="black",
                markeredgewidth=0.6,
                label=bilingual(label),
            )
        )
    return handles


def band_colors(bands: Sequence[float]) -> dict[float, str]:
    """A colour per catchment band (the QGIS style colours for the usual bands)."""

    from ..styles import CATCHMENT_BREAKS_MIN, CATCHMENT_COLORS

    out: dict[float, str] = {}
    if len(bands) <= len(CATCHMENT_COLORS) and all(b in CATCHMENT_BREAKS_MIN for b in bands):
        for b in bands:
            out[b] = CATCHMENT_COLORS[CATCHMENT_BREAKS_MIN.index(b) - 1]
        return out
    # dark (near) to light (far), readable under semi-transparent fills
    colors = class_colors(["#2c7fb8", "#41b6c4", "#a1dab4", "#ffffcc", "#fdae61", "#d7191c"], 6)
    if len(bands) > 6:
        colors = class_colors("YlGnBu_r", len(bands))
    return {b: colors[i] for i, b in enumerate(sorted(bands))}


def dissolved_bands(catchments: Any, band_column: str) -> Any:
    """Catchments merged per band, so overlapping catchments do not darken the map."""

    import geopandas as gpd

    if band_column not in catchments.columns:
        raise MissingColumnError(
            f"catchments have no column {band_column!r}.{suggest(band_column, catchments.columns)}"
            " Pass band_column=... (network catchments have 'band_min', radii 'radius_m')"
        )
    if len(catchments) == 0:
        raise EmptyLayerError("the catchment layer is empty: there are no bands to draw")
    bands = sorted(pd.to_numeric(catchments[band_column], errors="coerce").dropna().unique())
    geoms = []
    for b in bands:
        sub = catchments.geometry[pd.to_numeric(catchments[band_column], errors="coerce") == b]
        geoms.append(sub.union_all())
    # bands are cumulative (30 min contains 15 min): make each a ring so colours do not mix
    return gpd.GeoDataFrame({band_column: bands}, geometry=geoms, crs=catchments.crs)


def draw_bands(ax: Any, bands: Any, band_column: str, *, alpha: float, unit: str) -> list[Any]:
    """Catchment bands, widest first, faint; returns legend handles narrowest first."""

    from matplotlib.patches import Patch

    colors = band_colors([float(b) for b in bands[band_column]])
    handles = []
    for _, row in bands.sort_values(band_column, ascending=False).iterrows():
        b = float(row[band_column])
        color = colors[b]
        gs = type(bands.geometry)([row.geometry], crs=bands.crs)
        gs.plot(ax=ax, color=color, alpha=alpha, linewidth=0, zorder=0.5)
        gs.boundary.plot(ax=ax, color=color, linewidth=0.6, alpha=min(1.0, alpha + 0.3), zorder=0.6)
        handles.append(
            Patch(
                facecolor=color, alpha=alpha, edgecolor=color, label=f"≤ {format_limit(b)} {unit}"
            )
        )
    return handles[::-1]
