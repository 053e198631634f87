"""Maps of per-village layers and catchments: static (matplotlib) and interactive (offline Leaflet).

Static maps
-----------
:func:`village_map` draws one per-village column as graduated points (or polygons) with a legend
of class ranges and an *unreachable* class for NaN/inf, a scale bar in kilometres, a north arrow,
and optionally roads by class underneath, catchment bands, facilities by service on top and village
names. :func:`catchment_map` draws isochrone bands (from :mod:`accessibility.catchments`) the same
way. Both return a :class:`matplotlib.figure.Figure` (never ``plt.show()``); in Jupyter the figure
displays itself, elsewhere save it with ``fig.savefig("map.png", dpi=150)``.

Maps are drawn in a projected metric CRS: the layer's own when it is in metres, otherwise the local
UTM zone. The scale bar's length is the true ground distance at the centre of the map (measured on
the WGS-84 ellipsoid), so it stays right in Web Mercator too; the north arrow points to true north
(grid convergence included).

Chinese names (village labels, bilingual legend entries) need a CJK font. The font logic is shared
with :mod:`accessibility.charts`: when no CJK font is installed, names fall back to pinyin
(``name_pinyin``) and one warning is logged. Debian/Ubuntu: ``apt install fonts-wqy-microhei``
(1.6 MB) or ``fonts-noto-cjk``.

Interactive maps
----------------
:func:`interactive_map` returns an :class:`InteractiveMap` that shows itself in Jupyter and
:meth:`InteractiveMap.save` writes ONE self-contained HTML file: Leaflet 1.9.4's JavaScript and CSS
are inlined (vendored in ``accessibility/static``, BSD-2-Clause), the features are embedded as
GeoJSON in EPSG:4326, and there is no background tile layer unless you pass your own ``tiles=`` URL.
The page works with no network at all: on a planning office's intranet, from a USB stick, in a
notebook on a laptop in the field.

Examples
--------
>>> import accessibility as acc
>>> from accessibility import maps
>>> demo = acc.load_demo()
>>> net = acc.network_from_roads(demo.roads)
>>> layer = acc.accessibility_layer(net, demo.villages, demo.facilities,
...                                 services=["health_centre"])
>>> fig = maps.village_map(layer, "health_centre_nearest_min", roads=demo.roads,
...                        facilities=demo.facilities[demo.facilities.service == "health_centre"])
>>> fig.savefig("health_centres.png", dpi=150)
>>> m = maps.interactive_map(layer, "health_centre_nearest_min")
>>> m.save("map.html")
'map.html'
"""

from __future__ import annotations

import html
import json
import logging
import math
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from .errors import CRSError, EmptyLayerError, InvalidValueError, MissingColumnError, suggest

__all__ = [
    "InteractiveMap",
    "catchment_map",
    "class_breaks",
    "class_labels",
    "classify",
    "interactive_map",
    "village_map",
]

logger = logging.getLogger(__name__)

#: Nice class limits (minutes) that time classes snap to.
NICE_MINUTES: tuple[float, ...] = (1, 2, 3, 5, 10, 15, 20, 30, 45, 60, 90, 120, 180, 240, 360)
#: Facility markers per service (matplotlib marker codes); other services cycle through _MARKERS.
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
#: Colour of the "unreachable" class (the same purple as the QGIS style).
UNREACHABLE_COLOR = "#762a83"
_UNREACHABLE_LABEL = ("unreachable 不可达", "unreachable")
_MM_TO_PT = 72.0 / 25.4


# --------------------------------------------------------------------------------------------------
# classes


def class_breaks(
    values: Sequence[float] | pd.Series | np.ndarray,
    *,
    classes: int = 5,
    scheme: str = "quantiles",
) -> list[float]:
    """Class limits for a graduated map: ``classes + 1`` increasing edges from the smallest to the
    largest finite value (fewer when values repeat).

    Parameters
    ----------
    values
        The values to classify; NaN and inf (unreachable) are ignored.
    classes
        Number of classes wanted (2-9).
    scheme
        ``"quantiles"`` (equal counts, inner limits rounded to 2 significant digits),
        ``"equal"`` (equal widths) or ``"time"`` (quantile limits snapped to the nice minutes of
        :data:`NICE_MINUTES`: 5, 10, 15, 20, 30, 45, 60 ...; the scheme for ``*_min`` columns).

    Returns
    -------
    list of float
        Edges ``b0 < b1 < ... < bk``; class ``i`` is ``(b[i-1], b[i]]`` (the first includes
        ``b0``).

    Examples
    --------
    >>> class_breaks([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], classes=2, scheme="equal")
    [1.0, 5.5, 10.0]
    >>> class_breaks([3, 8, 12, 14, 22, 35, 41, 58], classes=4, scheme="time")
    [0.0, 10.0, 20.0, 30.0, 58.0]
    """
    if not 2 <= int(classes) <= 9:
        raise InvalidValueError(f"classes={classes} is out of range; use 2 to 9 classes")
    if scheme not in ("quantiles", "equal", "time"):
        raise InvalidValueError(
            f"scheme={scheme!r} is unknown; use 'quantiles', 'equal' or 'time'."
            + suggest(scheme, ["quantiles", "equal", "time"])
        )
    v = pd.to_numeric(pd.Series(np.asarray(values).ravel()), errors="coerce").to_numpy(float)
    v = v[np.isfinite(v)]
    if v.size == 0:
        return [0.0, 1.0]
    lo, hi = float(v.min()), float(v.max())
    if hi <= lo:
        return [lo, lo + 1.0] if scheme != "time" else [0.0, max(lo, 1.0)]
    k = int(classes)
    if scheme == "equal":
        edges = list(np.linspace(lo, hi, k + 1))
    else:
        inner = np.quantile(v, np.arange(1, k) / k)
        if scheme == "time":
            nice = np.asarray(NICE_MINUTES, dtype=float)
            inner = nice[np.abs(nice[None, :] - inner[:, None]).argmin(axis=1)]
            lo = min(lo, 0.0)
        else:
            inner = np.array([_round_sig(x, 2) for x in inner])
        inner = [float(x) for x in inner if lo < x < hi]
        edges = [lo, *sorted(set(inner)), hi]
    return [float(_round_sig(e, 6)) for e in edges]


def _round_sig(x: float, digits: int) -> float:
    if x == 0 or not np.isfinite(x):
        return float(x)
    return float(round(x, -math.floor(math.log10(abs(x))) + digits - 1))


def _check_breaks(breaks: Sequence[float]) -> np.ndarray:
    b = np.asarray(list(breaks), dtype=float)
    if b.size < 2 or np.isnan(b).any() or (np.diff(b) <= 0).any():
        raise InvalidValueError(
            f"breaks={list(breaks)} must be at least two strictly increasing numbers, e.g. "
            "[0, 15, 30, 60, inf]"
        )
    return b


def classify(
    values: pd.Series | Sequence[float] | np.ndarray, breaks: Sequence[float]
) -> np.ndarray:
    """Class number of every value for the given class edges: ``0`` for ``[b0, b1]``, ``i`` for
    ``(b[i], b[i+1]]``; values below ``b0`` go to the first class and above the last edge to the
    last class; ``-1`` for NaN and inf (unreachable).

    Examples
    --------
    >>> classify([0, 15, 15.1, 70, float("nan")], [0, 15, 30, 60])
    array([ 0,  0,  1,  2, -1])
    """
    b = _check_breaks(breaks)
    v = pd.to_numeric(pd.Series(np.asarray(values, dtype=object).ravel()), errors="coerce")
    x = v.to_numpy(float)
    k = b.size - 1
    out = np.searchsorted(b[1:-1], x, side="left").astype(np.int64)
    out = np.clip(out, 0, k - 1)
    out[~np.isfinite(x)] = -1
    return out


def _fmt(x: float) -> str:
    if not np.isfinite(x):
        return "∞"
    if float(x).is_integer():
        return f"{int(x)}"
    return f"{x:.3g}" if abs(x) < 100 else f"{x:,.0f}"


def class_labels(breaks: Sequence[float], *, unit: str = "") -> list[str]:
    """Legend labels of the classes: ``"≤ 15 min"``, ``"15–30 min"``, ..., ``"> 60 min"``.

    Examples
    --------
    >>> class_labels([0, 15, 30, 60, float("inf")], unit="min")
    ['≤ 15 min', '15–30 min', '30–60 min', '> 60 min']
    """
    b = _check_breaks(breaks)
    u = f" {unit}" if unit else ""
    k = b.size - 1
    labels = []
    for i in range(k):
        if i == 0 and b[0] <= 0 < b[1] and k > 1:
            labels.append(f"≤ {_fmt(b[1])}{u}")
        elif i == k - 1 and (not np.isfinite(b[-1])) and k > 1:
            labels.append(f"> {_fmt(b[i])}{u}")
        else:
            labels.append(f"{_fmt(b[i])}–{_fmt(b[i + 1])}{u}")
    return labels


def _class_colors(cmap: str | Sequence[str], k: int) -> list[str]:
    import matplotlib as mpl
    from matplotlib.colors import to_hex

    if not isinstance(cmap, str):
        colors = [to_hex(c) for c in cmap]
        if len(colors) < k:
            raise InvalidValueError(f"{len(colors)} colours given for {k} classes")
        return colors[:k]
    cm = mpl.colormaps[cmap]
    if k == 1:
        return [to_hex(cm(0.5))]
    return [to_hex(cm(x)) for x in np.linspace(0.08, 0.92, k)]


def _unit_of(column: str) -> str:
    for suffix, unit in (("_min", "min"), ("_km", "km"), ("_m", "m"), ("_kmh", "km/h")):
        if column.endswith(suffix) or f"{suffix}_" in column:
            return unit
    return ""


# --------------------------------------------------------------------------------------------------
# geometry helpers


def _check_layer(layer: Any, what: str) -> None:
    import geopandas as gpd

    if not isinstance(layer, gpd.GeoDataFrame):
        raise InvalidValueError(
            f"{what} must be a GeoDataFrame, got {type(layer).__name__}; build one with "
            "geopandas.GeoDataFrame(df, geometry=..., crs=...)"
        )
    if layer.crs is None:
        raise CRSError(
            f"{what} have no CRS, so distances (the scale bar) cannot be measured; set it with "
            f"`{what}.set_crs(...)` (e.g. 'EPSG:4490' for CGCS2000 longitude/latitude)"
        )


def _draw_crs(layer: Any) -> Any:
    from ._crs import metric_crs

    return metric_crs(layer)


def _to(gdf: Any, crs: Any, what: str) -> Any:
    if gdf is None:
        return None
    _check_layer(gdf, what)
    return gdf if gdf.crs == crs else gdf.to_crs(crs)


def _map_units_per_metre(crs: Any, x: float, y: float, dx: float) -> float:
    """Map units per metre on the ground, east-west at (x, y) (Geod on WGS-84)."""
    from pyproj import Geod, Transformer

    tr = Transformer.from_crs(crs, "EPSG:4326", always_xy=True)
    lon0, lat0 = tr.transform(x - dx / 2, y)
    lon1, lat1 = tr.transform(x + dx / 2, y)
    _, _, ground = Geod(ellps="WGS84").inv(lon0, lat0, lon1, lat1)
    return dx / ground if ground > 0 else 1.0


def _north_angle(crs: Any, x: float, y: float) -> float:
    """Angle (radians, clockwise from map-up) of true north at (x, y)."""
    from pyproj import Transformer

    to_ll = Transformer.from_crs(crs, "EPSG:4326", always_xy=True)
    from_ll = Transformer.from_crs("EPSG:4326", crs, always_xy=True)
    lon, lat = to_ll.transform(x, y)
    x2, y2 = from_ll.transform(lon, min(lat + 0.01, 89.9))
    return math.atan2(x2 - x, y2 - y)


def _nice_length_km(target_km: float) -> float:
    if target_km <= 0:
        return 1.0
    exp = math.floor(math.log10(target_km))
    for m in (5, 2, 1):
        if m * 10**exp <= target_km:
            return float(m * 10**exp)
    return float(10**exp)


def _add_scale_bar(ax: Any, crs: Any, *, fraction: float = 0.22, loc: str = "lower right") -> Any:
    from matplotlib.font_manager import FontProperties
    from mpl_toolkits.axes_grid1.anchored_artists import AnchoredSizeBar

    x0, x1 = ax.get_xlim()
    y0, y1 = ax.get_ylim()
    width = x1 - x0
    ratio = _map_units_per_metre(crs, (x0 + x1) / 2, (y0 + y1) / 2, width / 4)
    ground_km = width / ratio / 1000.0
    length_km = _nice_length_km(ground_km * fraction)
    size = length_km * 1000.0 * ratio
    label = f"{_fmt(length_km)} km" if length_km >= 1 else f"{_fmt(length_km * 1000)} m"
    bar = AnchoredSizeBar(
        ax.transData,
        size,
        label,
        loc=loc,
        pad=0.5,
        borderpad=0.6,
        sep=3,
        frameon=True,
        size_vertical=(y1 - y0) * 0.008,
        color="black",
        fontproperties=FontProperties(size=7.5),
    )
    bar.patch.set_alpha(0.75)
    bar.patch.set_edgecolor("none")
    bar.set_gid("scale_bar")
    bar.length_km = length_km  # type: ignore[attr-defined]
    bar.size_map_units = size  # type: ignore[attr-defined]
    ax.add_artist(bar)
    return bar


def _add_north_arrow(ax: Any, crs: Any, *, xy: tuple[float, float] = (0.95, 0.93)) -> Any:
    x0, x1 = ax.get_xlim()
    y0, y1 = ax.get_ylim()
    theta = _north_angle(crs, (x0 + x1) / 2, (y0 + y1) / 2)
    length_pt = 26.0
    dx, dy = math.sin(theta) * length_pt, math.cos(theta) * length_pt
    arrow = ax.annotate(
        "",
        xy=xy,
        xycoords="axes fraction",
        xytext=(-dx, -dy),
        textcoords="offset points",
        arrowprops={"arrowstyle": "-|>,head_length=0.9,head_width=0.45", "lw": 1.6, "color": "k"},
        zorder=20,
    )
    arrow.set_gid("north_arrow")
    arrow.north_angle_rad = theta  # type: ignore[attr-defined]
    label = ax.annotate(
        "N",
        xy=xy,
        xycoords="axes fraction",
        xytext=(-dx - 9 * math.cos(theta), -dy - 7),
        textcoords="offset points",
        ha="center",
        va="center",
        fontsize=9,
        fontweight="bold",
        fontfamily="DejaVu Sans",
        zorder=20,
    )
    label.set_gid("north_arrow_label")
    return arrow


def _pin_fonts(fig: Any) -> None:
    """Give every text of the figure the CJK-capable font family explicitly, so the figure renders
    the same when saved or shown outside :func:`accessibility.charts.font_context`."""
    from matplotlib.text import Text

    from .charts import cjk_font

    family = [f for f in (cjk_font(), "DejaVu Sans") if f]
    for t in fig.findobj(Text):
        if t.get_gid() != "north_arrow_label":  # Latin "N" in bold, which CJK fonts lack
            t.set_fontfamily(family)


def _halo() -> list[Any]:
    from matplotlib import patheffects

    return [patheffects.withStroke(linewidth=2.2, foreground="white")]


def _bilingual(label: str) -> str:
    """'health centre 卫生院' -> itself with a CJK font, else the English part."""
    from .charts import chart_text

    english = " ".join(w for w in label.split() if not _has_cjk(w))
    return chart_text(label, english or None)


def _has_cjk(text: str) -> bool:
    from .charts import has_cjk

    return has_cjk(text)


# --------------------------------------------------------------------------------------------------
# layers drawn under and over the villages


def _draw_roads(ax: Any, roads: Any, column: str) -> list[Any]:
    from matplotlib.collections import LineCollection
    from matplotlib.lines import Line2D

    from .styles import ROAD_STYLES

    lines = roads[roads.geometry.notna() & ~roads.geometry.is_empty]
    if column in lines.columns:
        cls = lines[column].astype("string").fillna("other").to_numpy()
    else:
        cls = np.full(len(lines), "other", dtype=object)
    order = list(ROAD_STYLES)
    present = list(dict.fromkeys(cls))
    present.sort(key=lambda c: -ROAD_STYLES[c][2] if c in ROAD_STYLES else 0.0, reverse=True)
    handles = []
    for k, c in enumerate(present):
        color, label, width_mm = ROAD_STYLES.get(c, ("#cccccc", "other roads", 0.25))
        segs = []
        for g in lines.geometry[cls == c]:
            parts = getattr(g, "geoms", [g])
            segs.extend(np.asarray(p.coords)[:, :2] for p in parts if not p.is_empty)
        lw = max(width_mm * _MM_TO_PT * 0.75, 0.35)
        ax.add_collection(
            LineCollection(segs, colors=color, linewidths=lw, zorder=1 + k * 0.01, capstyle="round")
        )
        if c in ROAD_STYLES or not any(h.get_label() == "other roads" for h in handles):
            handles.append(Line2D([], [], color=color, lw=lw, label=_bilingual(label)))
    handles.sort(key=lambda h: order.index(c) if (c := _road_key(h.get_label())) in order else 99)
    return handles


def _road_key(label: str) -> str:
    from .styles import ROAD_STYLES

    for key, (_, lab, _) in ROAD_STYLES.items():
        if label in (lab, lab.split()[0]):
            return key
    return label


def _draw_facilities(ax: Any, facilities: Any, column: str) -> list[Any]:
    from matplotlib.lines import Line2D

    from .styles import SERVICE_SIZES_MM, SERVICE_STYLES

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
            size_pt = SERVICE_SIZES_MM.get(s, 2.6) * _MM_TO_PT * 0.8
        else:
            color = mpl.colors.to_hex(tab(extra % 10))
            marker = _MARKERS[extra % len(_MARKERS)]
            label = str(s).replace("_", " ")
            size_pt = 2.8 * _MM_TO_PT * 0.8
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
                label=_bilingual(label),
            )
        )
    return handles


def _band_colors(bands: Sequence[float]) -> dict[float, str]:
    from .styles import CATCHMENT_BREAKS_MIN, CATCHMENT_COLORS

    out: dict[float, str] = {}
    if len(bands) <= len(CATCHMENT_COLORS) and all(b in CATCHMENT_BREAKS_MIN for b in bands):
        for b in bands:
            out[b] = CATCHMENT_COLORS[CATCHMENT_BREAKS_MIN.index(b) - 1]
        return out
    # dark (near) to light (far), readable under semi-transparent fills
    colors = _class_colors(["#2c7fb8", "#41b6c4", "#a1dab4", "#ffffcc", "#fdae61", "#d7191c"], 6)
    if len(bands) > 6:
        colors = _class_colors("YlGnBu_r", len(bands))
    return {b: colors[i] for i, b in enumerate(sorted(bands))}


def _dissolved_bands(catchments: Any, band_column: str) -> Any:
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


def _draw_bands(ax: Any, bands: Any, band_column: str, *, alpha: float, unit: str) -> list[Any]:
    from matplotlib.patches import Patch

    colors = _band_colors([float(b) for b in bands[band_column]])
    handles = []
    for _, row in bands.sort_values(band_column, ascending=False).iterrows():
        b = float(row[band_column])
        color = colors[b]
        gs = type(bands.geometry)([row.geometry], crs=bands.crs)
        gs.plot(ax=ax, color=color, alpha=alpha, linewidth=0, zorder=0.5)
        gs.boundary.plot(ax=ax, color=color, linewidth=0.6, alpha=min(1.0, alpha + 0.3), zorder=0.6)
        handles.append(
            Patch(facecolor=color, alpha=alpha, edgecolor=color, label=f"≤ {_fmt(b)} {unit}")
        )
    return handles[::-1]


def _label_villages(
    ax: Any,
    villages: Any,
    geom: Any,
    labels: bool | Sequence[Any],
    label_column: str,
    label_fallback: str | None,
) -> int:
    from .charts import chart_text

    if labels is False or labels is None:
        return 0
    if label_column not in villages.columns:
        raise MissingColumnError(
            f"villages have no label column {label_column!r}."
            f"{suggest(label_column, villages.columns)} Pass label_column=..."
        )
    if labels is True:
        ids = villages.index
    else:
        ids = pd.Index(list(labels))
        missing = ids.difference(villages.index)
        if len(missing):
            raise InvalidValueError(
                f"labels name {len(missing)} id(s) that are not in the layer, e.g. "
                f"{list(missing[:3])}; pass ids from the layer's index"
            )
    fallback = villages[label_fallback] if label_fallback in villages.columns else None
    fontsize = 7.0
    to_pt = 72.0 / ax.figure.dpi
    placed: list[tuple[float, float, float, float]] = []
    # label positions tried in turn: (dx, dy) in points and the alignment that goes with them
    candidates = (
        (3, 3, "left", "bottom"),
        (3, -3, "left", "top"),
        (-3, 3, "right", "bottom"),
        (-3, -3, "right", "top"),
        (0, 6, "center", "bottom"),
        (0, -6, "center", "top"),
    )
    n = 0
    for vid in ids:
        p = geom.loc[vid]
        text = chart_text(
            villages.at[vid, label_column], None if fallback is None else fallback.loc[vid]
        )
        if not text:
            continue
        # approximate box of the text in points (CJK glyphs are square, Latin ones ~0.6 wide)
        w = 1.25 * fontsize * sum(1.0 if _has_cjk(ch) else 0.6 for ch in text)
        h = 1.25 * fontsize * 1.2
        px, py = (np.asarray(ax.transData.transform((p.x, p.y))) * to_pt).tolist()
        choice, box_ = candidates[0], None
        for cand in candidates:
            dx, dy, ha, va = cand
            x0 = px + dx - (w if ha == "right" else w / 2 if ha == "center" else 0.0)
            y0 = py + dy - (h if va == "top" else 0.0)
            b = (x0, y0, x0 + w, y0 + h)
            if box_ is None:
                box_ = b
            if not any(b[0] < q[2] and q[0] < b[2] and b[1] < q[3] and q[1] < b[3] for q in placed):
                choice, box_ = cand, b
                break
        placed.append(box_)
        dx, dy, ha, va = choice
        t = ax.annotate(
            text,
            (p.x, p.y),
            xytext=(dx, dy),
            textcoords="offset points",
            ha=ha,
            va=va,
            fontsize=fontsize,
            zorder=15,
            path_effects=_halo(),
        )
        t.set_gid("village_label")
        n += 1
    return n


def _new_axes(ax: Any, bounds: np.ndarray, *, legend_room_in: float = 2.3) -> tuple[Any, Any]:
    from matplotlib.figure import Figure

    if ax is not None:
        return ax.figure, ax
    xmin, ymin, xmax, ymax = bounds
    aspect = (ymax - ymin) / (xmax - xmin) if xmax > xmin else 1.0
    map_w = 6.0
    map_h = min(max(map_w * aspect, 3.5), 9.0)
    if map_h == 9.0:
        map_w = map_h / aspect
    fig = Figure(figsize=(map_w + legend_room_in, map_h + 0.5), layout="constrained")
    return fig, fig.add_subplot()


def _bounds(layer: Any, extra: Any = None) -> np.ndarray:
    """Extent of a layer, grown to include ``extra`` (facilities off the villages' extent)."""
    b = np.asarray(layer.total_bounds, dtype=float)
    if extra is not None and len(extra):
        e = np.asarray(extra.total_bounds, dtype=float)
        if np.isfinite(e).all():
            b = np.array([min(b[0], e[0]), min(b[1], e[1]), max(b[2], e[2]), max(b[3], e[3])])
    return b


def _frame(ax: Any, bounds: np.ndarray, pad: float = 0.05) -> None:
    xmin, ymin, xmax, ymax = bounds
    dx, dy = (xmax - xmin) * pad, (ymax - ymin) * pad
    ax.set_xlim(xmin - dx, xmax + dx)
    ax.set_ylim(ymin - dy, ymax + dy)
    ax.set_aspect("equal", adjustable="box")
    ax.set_xticks([])
    ax.set_yticks([])
    ax.set_xlabel("")
    ax.set_ylabel("")
    for side in ax.spines.values():
        side.set_visible(True)
        side.set_color("0.6")
        side.set_linewidth(0.6)


def _add_legends(
    ax: Any, first: list[Any], first_title: str | None, second: list[Any]
) -> list[Any]:
    legends = []
    if first:
        leg = ax.legend(
            handles=first,
            title=first_title,
            loc="upper left",
            bbox_to_anchor=(1.02, 1.0),
            fontsize=7.5,
            title_fontsize=8,
            frameon=False,
            alignment="left",
        )
        leg.set_gid("legend")
        legends.append(leg)
    if second:
        if legends:
            ax.add_artist(legends[0])
            # add_artist clips to the axes, which also hides it from constrained layout
            legends[0].set_clip_on(False)
        leg2 = ax.legend(
            handles=second,
            loc="lower left",
            bbox_to_anchor=(1.02, 0.0),
            fontsize=7.5,
            frameon=False,
            alignment="left",
        )
        leg2.set_gid("legend_layers")
        legends.append(leg2)
    return legends


# --------------------------------------------------------------------------------------------------
# static maps


def village_map(
    layer: Any,
    column: str,
    *,
    ax: Any = None,
    roads: Any = None,
    facilities: Any = None,
    catchments: Any = None,
    units: Any = None,
    breaks: Sequence[float] | None = None,
    classes: int = 5,
    scheme: str | None = None,
    cmap: str | Sequence[str] | None = None,
    title: str | None = None,
    legend_title: str | None = None,
    labels: bool | Sequence[Any] = False,
    label_column: str = "name",
    label_fallback: str | None = "name_pinyin",
    road_class_column: str = "road_class",
    service_column: str = "service",
    band_column: str = "band_min",
    marker_size_pt: float = 5.0,
    scale_bar: bool = True,
    north_arrow: bool = True,
) -> Any:
    """A graduated map of one per-village column, with legend, scale bar and north arrow.

    Parameters
    ----------
    layer
        Per-village GeoDataFrame (points, or polygons drawn filled), e.g. from
        :func:`accessibility.accessibility_layer`. Any CRS; drawn in a metric one.
    column
        Column to map, e.g. ``"health_centre_nearest_min"``. NaN and inf form the
        *unreachable* class (purple crosses / hatched polygons).
    ax
        Draw into this matplotlib axes instead of a new figure (legends go to its right).
    roads
        Road lines drawn underneath, styled by ``road_class_column`` (Chinese classes and OSM
        ``highway`` values, as in the QGIS styles).
    facilities
        Facility points drawn on top, one marker per ``service_column`` value.
    catchments
        Catchment polygons (``band_column``, e.g. from
        :func:`accessibility.catchments.network_catchments`) drawn faintly underneath.
    units
        Township (or county) polygons drawn as outlines.
    breaks
        Class edges, e.g. ``[0, 15, 30, 60, inf]`` (see :func:`classify`). Default: from
        :func:`class_breaks` with ``classes`` and ``scheme``.
    classes, scheme
        Used when ``breaks`` is not given; ``scheme`` defaults to ``"time"`` for ``*_min``
        columns and ``"quantiles"`` otherwise.
    cmap
        Matplotlib colormap name or a list of colours (one per class). Default ``"RdYlGn_r"``
        for times (green = near) and ``"viridis"`` otherwise.
    title, legend_title
        Map title (default: the column) and legend title (default: the column).
    labels
        ``True`` to name every village, or a list of village ids to name. Names come from
        ``label_column`` (Chinese); without a CJK font, from ``label_fallback`` (pinyin) with a
        logged warning.
    marker_size_pt
        Village marker diameter in points.
    scale_bar, north_arrow
        Draw them (both on by default).

    Returns
    -------
    matplotlib.figure.Figure
        The figure (``ax.figure`` when ``ax`` was given). Artists carry ``gid`` values
        ``"legend"``, ``"legend_layers"``, ``"scale_bar"``, ``"north_arrow"`` and
        ``"village_label"``.

    Notes
    -----
    The scale bar is ``L`` km long on the ground at the map centre: its length in map units is
    ``L * 1000 * r`` where ``r`` (map units per metre) is measured with :class:`pyproj.Geod` on
    WGS-84, so it is right in any projected CRS (``r`` ≈ 1 in UTM, ``1 / cos(latitude)`` in Web
    Mercator).

    Examples
    --------
    >>> import accessibility as acc
    >>> from accessibility.maps import village_map
    >>> demo = acc.load_demo()
    >>> net = acc.network_from_roads(demo.roads)
    >>> layer = acc.accessibility_layer(net, demo.villages, demo.facilities, services=["clinic"])
    >>> fig = village_map(layer, "clinic_nearest_min", roads=demo.roads, breaks=[0, 5, 10, 20, 30])
    >>> fig.savefig("clinics.png", dpi=150)
    """
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch

    from .charts import font_context

    _check_layer(layer, "villages")
    if column not in layer.columns:
        raise MissingColumnError(
            f"the layer has no column {column!r}.{suggest(column, layer.columns)}"
        )
    if len(layer) == 0:
        raise EmptyLayerError("the village layer is empty: nothing to map")
    crs = _draw_crs(layer)
    vil = layer.to_crs(crs) if layer.crs != crs else layer
    roads = _to(roads, crs, "roads")
    facilities = _to(facilities, crs, "facilities")
    catchments = _to(catchments, crs, "catchments")
    units = _to(units, crs, "units")

    values = pd.to_numeric(vil[column], errors="coerce").astype(float)
    unit = _unit_of(column)
    if breaks is None:
        scheme = scheme or ("time" if unit == "min" else "quantiles")
        breaks = class_breaks(values, classes=classes, scheme=scheme)
    b = _check_breaks(breaks)
    cls = classify(values, b)
    k = b.size - 1
    if cmap is None:
        cmap = "RdYlGn_r" if unit == "min" else "viridis"
    colors = _class_colors(cmap, k)
    names = class_labels(b, unit=unit)

    bounds = _bounds(units if units is not None else vil, None if units is not None else facilities)
    with font_context():
        fig, ax = _new_axes(ax, bounds)
        layer_handles: list[Any] = []
        if catchments is not None:
            bands = _dissolved_bands(catchments, band_column)
            layer_handles += _draw_bands(ax, bands, band_column, alpha=0.22, unit="min")
        if units is not None:
            units.boundary.plot(ax=ax, color="0.45", linewidth=0.7, linestyle="--", zorder=0.8)
        if roads is not None:
            layer_handles += _draw_roads(ax, roads, road_class_column)
        points = (vil.geometry.geom_type == "Point").all()
        geom = vil.geometry if points else vil.geometry.representative_point()
        x, y = geom.x.to_numpy(), geom.y.to_numpy()
        value_handles: list[Any] = []
        for i in range(k):
            m = cls == i
            if points:
                ax.scatter(
                    x[m],
                    y[m],
                    s=marker_size_pt**2,
                    c=colors[i],
                    edgecolors="0.25",
                    linewidths=0.4,
                    zorder=5,
                )
                value_handles.append(
                    Line2D(
                        [],
                        [],
                        ls="",
                        marker="o",
                        markersize=marker_size_pt + 1,
                        markerfacecolor=colors[i],
                        markeredgecolor="0.25",
                        markeredgewidth=0.4,
                        label=f"{names[i]} ({int(m.sum())})",
                    )
                )
            else:
                if m.any():
                    vil.loc[m].plot(
                        ax=ax, color=colors[i], edgecolor="0.4", linewidth=0.3, zorder=3
                    )
                value_handles.append(
                    Patch(
                        facecolor=colors[i], edgecolor="0.4", label=f"{names[i]} ({int(m.sum())})"
                    )
                )
        none = cls == -1
        if none.any():
            un_label = f"{_bilingual(_UNREACHABLE_LABEL[0])} ({int(none.sum())})"
            if points:
                ax.scatter(
                    x[none],
                    y[none],
                    s=(marker_size_pt * 1.3) ** 2,
                    marker="X",
                    c=UNREACHABLE_COLOR,
                    edgecolors="white",
                    linewidths=0.4,
                    zorder=6,
                )
                value_handles.append(
                    Line2D(
                        [],
                        [],
                        ls="",
                        marker="X",
                        markersize=marker_size_pt + 2,
                        markerfacecolor=UNREACHABLE_COLOR,
                        markeredgecolor="white",
                        label=un_label,
                    )
                )
            else:
                vil.loc[none].plot(
                    ax=ax,
                    color="white",
                    edgecolor=UNREACHABLE_COLOR,
                    hatch="xxx",
                    linewidth=0.5,
                    zorder=3,
                )
                value_handles.append(
                    Patch(
                        facecolor="white", edgecolor=UNREACHABLE_COLOR, hatch="xxx", label=un_label
                    )
                )
        if facilities is not None:
            layer_handles = _draw_facilities(ax, facilities, service_column) + layer_handles
        _frame(ax, bounds)
        _add_legends(ax, value_handles, legend_title or column, layer_handles)
        ax.set_title(title if title is not None else column, fontsize=10)
        # fix the final limits (aspect adjusts them at draw time) before measuring for the scale bar
        ax.apply_aspect()
        _label_villages(ax, vil, geom, labels, label_column, label_fallback)
        if scale_bar:
            _add_scale_bar(ax, crs)
        if north_arrow:
            _add_north_arrow(ax, crs)
        _pin_fonts(fig)
    return fig


def catchment_map(
    catchments: Any,
    *,
    ax: Any = None,
    band_column: str = "band_min",
    service: str | None = None,
    service_column: str = "service",
    villages: Any = None,
    roads: Any = None,
    facilities: Any = None,
    units: Any = None,
    colors: Mapping[float, str] | None = None,
    alpha: float = 0.55,
    title: str | None = None,
    labels: bool | Sequence[Any] = False,
    label_column: str = "name",
    label_fallback: str | None = "name_pinyin",
    road_class_column: str = "road_class",
    scale_bar: bool = True,
    north_arrow: bool = True,
) -> Any:
    """A map of catchment (isochrone) bands: the land within 15 / 30 / 60 minutes of a facility.

    Catchments of all facilities are merged per band, so overlapping catchments do not darken the
    map, and bands are drawn from the widest to the narrowest. Villages, when given, are drawn as
    dots, and those outside every band as purple crosses ("outside all bands").

    Parameters
    ----------
    catchments
        Polygons with a band column (``band_min`` from
        :func:`accessibility.catchments.network_catchments`, or ``radius_m`` for coverage radii
        with ``band_column="radius_m"``) and optionally a ``service`` column.
    service
        Keep only this service's catchments (and facilities).
    villages, roads, facilities, units
        Optional layers drawn with the bands (any CRS).
    colors
        ``{band: colour}``; default: green/yellow/orange for 15/30/60 minutes as in the QGIS
        catchment style, otherwise blues (near) to pale green (far).
    alpha
        Opacity of the band fill.

    Returns
    -------
    matplotlib.figure.Figure

    Examples
    --------
    >>> import geopandas as gpd
    >>> from shapely.geometry import Point
    >>> from accessibility.maps import catchment_map
    >>> c = gpd.GeoDataFrame({"band_min": [15, 30]},
    ...                      geometry=[Point(0, 0).buffer(1000), Point(0, 0).buffer(2500)],
    ...                      crs="EPSG:32650")
    >>> fig = catchment_map(c)
    """
    from matplotlib.lines import Line2D

    from .charts import font_context

    _check_layer(catchments, "catchments")
    cat = catchments
    if service is not None:
        if service_column not in cat.columns:
            raise MissingColumnError(
                f"catchments have no column {service_column!r} to select service={service!r}"
                f"{suggest(service_column, cat.columns)}"
            )
        cat = cat[cat[service_column].astype(str) == service]
        if len(cat) == 0:
            raise EmptyLayerError(
                f"no catchments of service {service!r}; services present: "
                f"{sorted(catchments[service_column].astype(str).unique())}"
            )
        if facilities is not None and service_column in facilities.columns:
            facilities = facilities[facilities[service_column].astype(str) == service]
    crs = _draw_crs(cat)
    cat = cat.to_crs(crs) if cat.crs != crs else cat
    villages = _to(villages, crs, "villages")
    roads = _to(roads, crs, "roads")
    facilities = _to(facilities, crs, "facilities")
    units = _to(units, crs, "units")
    bands = _dissolved_bands(cat, band_column)
    unit = "m" if band_column.endswith("_m") else "min"
    bounds_layer = units if units is not None else (villages if villages is not None else bands)
    bounds = _bounds(bounds_layer, None if units is not None else facilities)
    with font_context():
        fig, ax = _new_axes(ax, bounds)
        if colors is not None:
            palette = {float(k): v for k, v in colors.items()}
        else:
            palette = _band_colors([float(b) for b in bands[band_column]])
        band_handles = []
        from matplotlib.patches import Patch

        for _, row in bands.sort_values(band_column, ascending=False).iterrows():
            bval = float(row[band_column])
            gs = type(bands.geometry)([row.geometry], crs=bands.crs)
            color = palette.get(bval, "#999999")
            gs.plot(ax=ax, color=color, alpha=alpha, linewidth=0, zorder=0.5)
            gs.boundary.plot(ax=ax, color=color, linewidth=0.8, zorder=0.6)
            band_handles.append(
                Patch(facecolor=color, alpha=alpha, edgecolor=color, label=f"≤ {_fmt(bval)} {unit}")
            )
        band_handles = band_handles[::-1]
        layer_handles: list[Any] = []
        if units is not None:
            units.boundary.plot(ax=ax, color="0.45", linewidth=0.7, linestyle="--", zorder=0.8)
        if roads is not None:
            layer_handles += _draw_roads(ax, roads, road_class_column)
        if villages is not None:
            geom = villages.geometry
            if not (geom.geom_type == "Point").all():
                geom = geom.representative_point()
            outer = bands.geometry.iloc[int(np.argmax(bands[band_column].to_numpy()))]
            inside = (
                geom.within(outer).to_numpy() if outer is not None else np.zeros(len(geom), bool)
            )
            ax.scatter(geom.x[inside], geom.y[inside], s=9, c="0.2", linewidths=0, zorder=5)
            band_handles.append(
                Line2D(
                    [],
                    [],
                    ls="",
                    marker="o",
                    markersize=4,
                    color="0.2",
                    label=f"village ({int(inside.sum())})",
                )
            )
            if (~inside).any():
                ax.scatter(
                    geom.x[~inside],
                    geom.y[~inside],
                    s=30,
                    marker="X",
                    c=UNREACHABLE_COLOR,
                    edgecolors="white",
                    linewidths=0.4,
                    zorder=6,
                )
                band_handles.append(
                    Line2D(
                        [],
                        [],
                        ls="",
                        marker="X",
                        markersize=6,
                        markerfacecolor=UNREACHABLE_COLOR,
                        markeredgecolor="white",
                        label=f"outside all bands ({int((~inside).sum())})",
                    )
                )
        if facilities is not None:
            layer_handles = _draw_facilities(ax, facilities, service_column) + layer_handles
        _frame(ax, bounds)
        _add_legends(ax, band_handles, "catchment" if unit == "min" else "radius", layer_handles)
        default_title = "Catchments" + (f": {service.replace('_', ' ')}" if service else "")
        ax.set_title(title if title is not None else default_title, fontsize=10)
        ax.apply_aspect()
        if villages is not None:
            _label_villages(ax, villages, geom, labels, label_column, label_fallback)
        if scale_bar:
            _add_scale_bar(ax, crs)
        if north_arrow:
            _add_north_arrow(ax, crs)
        _pin_fonts(fig)
    return fig


# --------------------------------------------------------------------------------------------------
# interactive maps (Leaflet, inlined: works offline)


@dataclass(frozen=True)
class InteractiveMap:
    """A self-contained Leaflet map page. Shows itself in Jupyter; :meth:`save` writes it.

    Attributes
    ----------
    html
        The whole HTML document (Leaflet's JS and CSS inlined, data as GeoJSON).
    title
        Page title.
    height_px
        Height of the map in a notebook.
    """

    html: str
    title: str = "map"
    height_px: int = 520

    def _repr_html_(self) -> str:
        # an iframe keeps Leaflet's CSS and script from touching the notebook page
        doc = html.escape(self.html, quote=True)
        return (
            f'<iframe srcdoc="{doc}" style="width:100%;height:{int(self.height_px)}px;border:1px '
            f'solid #ccc" title="{html.escape(self.title)}" loading="lazy"></iframe>'
        )

    def save(self, path: str | os.PathLike, *, overwrite: bool = True) -> str:
        """Write the page to one HTML file (UTF-8) and return its path.

        Examples
        --------
        >>> m = interactive_map(demo.villages, "population")
        >>> m.save("villages_map.html")
        'villages_map.html'
        """
        from ._files import atomic_path

        with atomic_path(path, overwrite=overwrite) as tmp:
            with open(tmp, "w", encoding="utf-8") as fh:
                fh.write(self.html)
        return os.fspath(path)

    def __repr__(self) -> str:
        return f"<InteractiveMap {self.title!r}, {len(self.html) / 1e3:.0f} kB>"


def _static_text(name: str) -> str:
    from importlib import resources

    return resources.files("accessibility").joinpath("static", name).read_text(encoding="utf-8")


def _json_value(v: Any) -> Any:
    if v is None:
        return None
    if isinstance(v, np.generic):
        v = v.item()
    if isinstance(v, float):
        if not math.isfinite(v):
            return None
        return round(v, 3)
    if isinstance(v, bool | int | str):
        return v
    try:
        if pd.isna(v):
            return None
    except (TypeError, ValueError):
        pass
    return str(v)


def _geojson(
    gdf: Any, columns: Sequence[str], extra: Mapping[str, Sequence[Any]]
) -> dict[str, Any]:
    import shapely

    g = gdf.to_crs("EPSG:4326") if gdf.crs is not None and gdf.crs != "EPSG:4326" else gdf
    geoms = shapely.set_precision(g.geometry.to_numpy(), 1e-6)
    feats = []
    for i, (idx, geom) in enumerate(zip(g.index, geoms, strict=True)):
        if geom is None or geom.is_empty:
            continue
        props = {"id": _json_value(idx)}
        for c in columns:
            props[c] = _json_value(g[c].iloc[i])
        for k, vals in extra.items():
            props[k] = _json_value(vals[i])
        feats.append(
            {"type": "Feature", "geometry": shapely.geometry.mapping(geom), "properties": props}
        )
    return {"type": "FeatureCollection", "features": feats}


def _script_json(obj: Any) -> str:
    # safe inside <script>: no "</script>", no HTML comment openers
    s = json.dumps(obj, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
    return s.replace("</", "<\\/").replace("<!--", "<\\!--")


_PAGE = """<!DOCTYPE html>
<html lang="zh-CN">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title}</title>
<style>
{leaflet_css}
</style>
<style>
html, body {{ height: 100%; margin: 0; }}
body {{ font: 13px/1.35 "Noto Sans CJK SC", "WenQuanYi Micro Hei", "Microsoft YaHei", "PingFang SC", sans-serif; }}
#map {{ position: absolute; top: 0; bottom: 0; left: 0; right: 0; background: {background}; }}
.acc-legend {{ background: rgba(255,255,255,.92); padding: 6px 9px; border-radius: 4px; box-shadow: 0 1px 4px rgba(0,0,0,.3); line-height: 1.5; max-height: 70vh; overflow: auto; }}
.acc-legend h4 {{ margin: 0 0 4px; font-size: 13px; }}
.acc-legend i {{ display: inline-block; width: 12px; height: 12px; margin-right: 6px; vertical-align: -2px; border: 1px solid #555; }}
.acc-legend i.pt {{ border-radius: 50%; }}
.acc-legend i.ln {{ height: 3px; border: 0; vertical-align: 3px; }}
.acc-title {{ background: rgba(255,255,255,.92); padding: 4px 9px; border-radius: 4px; font-weight: bold; font-size: 14px; box-shadow: 0 1px 4px rgba(0,0,0,.3); }}
.acc-popup table {{ border-collapse: collapse; }}
.acc-popup td {{ padding: 1px 6px 1px 0; vertical-align: top; }}
.acc-popup td:first-child {{ color: #555; }}
</style>
</head>
<body>
<div id="map"></div>
<script>
{leaflet_js}
</script>
<script>
(function () {{
  "use strict";
  var cfg = {config};
  var map = L.map("map", {{ preferCanvas: false, attributionControl: true }});
  map.attributionControl.setPrefix(false);
  if (cfg.tiles) {{
    L.tileLayer(cfg.tiles, {{ attribution: cfg.tileAttribution || "", maxZoom: 19 }}).addTo(map);
  }}
  if (cfg.attribution) {{ map.attributionControl.addAttribution(cfg.attribution); }}
  function esc(s) {{
    return String(s).replace(/[&<>"']/g, function (c) {{
      return {{ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" }}[c];
    }});
  }}
  function fmt(v) {{
    if (v === null || v === undefined) {{ return "–"; }}
    if (typeof v === "number") {{ return Math.abs(v) >= 100 ? v.toFixed(0) : String(Math.round(v * 100) / 100); }}
    return String(v);
  }}
  function popup(props, cols) {{
    var rows = cols.map(function (c) {{
      return "<tr><td>" + esc(c) + "</td><td>" + esc(fmt(props[c])) + "</td></tr>";
    }});
    return '<div class="acc-popup"><table>' + rows.join("") + "</table></div>";
  }}
  var all = L.featureGroup().addTo(map);
  cfg.layers.forEach(function (layer) {{
    var g = L.geoJSON(layer.data, {{
      style: function (f) {{
        var p = f.properties;
        return {{ color: p._stroke || p._color, weight: p._weight || 1, fillColor: p._color,
                 fillOpacity: layer.fillOpacity, opacity: layer.opacity }};
      }},
      pointToLayer: function (f, latlng) {{
        var p = f.properties;
        return L.circleMarker(latlng, {{ radius: p._radius || layer.radius, color: p._stroke || "#333",
          weight: p._weight || 1, fillColor: p._color, fillOpacity: 0.95 }});
      }},
      onEachFeature: function (f, l) {{
        if (layer.popup.length) {{ l.bindPopup(popup(f.properties, layer.popup)); }}
        if (layer.tooltip && f.properties[layer.tooltip] !== null) {{
          l.bindTooltip(esc(f.properties[layer.tooltip]));
        }}
      }}
    }});
    g.addTo(all);
  }});
  var b = all.getBounds();
  if (b.isValid()) {{ map.fitBounds(b, {{ padding: [12, 12] }}); }} else {{ map.setView([35, 105], 4); }}
  L.control.scale({{ metric: true, imperial: false, position: "bottomleft" }}).addTo(map);
  var legend = L.control({{ position: "bottomright" }});
  legend.onAdd = function () {{
    var d = L.DomUtil.create("div", "acc-legend");
    var h = "";
    cfg.legend.forEach(function (sec) {{
      h += "<h4>" + esc(sec.title) + "</h4>";
      sec.items.forEach(function (it) {{
        h += '<div><i class="' + it.shape + '" style="background:' + it.color + '"></i>' + esc(it.label) + "</div>";
      }});
    }});
    d.innerHTML = h;
    return d;
  }};
  legend.addTo(map);
  if (cfg.title) {{
    var t = L.control({{ position: "topright" }});
    t.onAdd = function () {{ var d = L.DomUtil.create("div", "acc-title"); d.textContent = cfg.title; return d; }};
    t.addTo(map);
  }}
  window.accessibilityMap = map;
}})();
</script>
</body>
</html>
"""


def interactive_map(
    layer: Any,
    column: str,
    *,
    facilities: Any = None,
    roads: Any = None,
    catchments: Any = None,
    breaks: Sequence[float] | None = None,
    classes: int = 5,
    scheme: str | None = None,
    cmap: str | Sequence[str] | None = None,
    popup_columns: Sequence[str] | None = None,
    tooltip_column: str | None = "name",
    service_column: str = "service",
    road_class_column: str = "road_class",
    band_column: str = "band_min",
    title: str | None = None,
    tiles: str | None = None,
    tile_attribution: str | None = None,
    attribution: str | None = None,
    background: str = "#f4f3ef",
    height_px: int = 520,
) -> InteractiveMap:
    """An interactive map that works offline: villages as coloured circles with popups, optional
    roads, catchments and facilities, a legend and a scale bar.

    Parameters
    ----------
    layer
        Per-village GeoDataFrame (points or polygons), any CRS (sent to the page in EPSG:4326).
    column
        Column that colours the villages (classes as in :func:`village_map`; NaN/inf are
        *unreachable*).
    facilities, roads, catchments
        Optional layers (same conventions as :func:`village_map`).
    breaks, classes, scheme, cmap
        Classes and colours, as in :func:`village_map`.
    popup_columns
        Columns shown when a village is clicked (default: ``name``, ``name_pinyin``,
        ``township``, ``population`` when present, and ``column``).
    tooltip_column
        Column shown on hover (``None`` for no tooltip).
    title
        Title box and page title (default: the column).
    tiles
        Optional background tile URL template of YOUR OWN tile server or a local folder
        (``"tiles/{z}/{x}/{y}.png"``); no tiles by default so the page needs no network.
    tile_attribution, attribution
        Attribution text for the tiles and for the data (e.g. ``"© OpenStreetMap contributors"``).
    background
        Page colour behind the features.
    height_px
        Height of the map in a notebook.

    Returns
    -------
    InteractiveMap
        ``._repr_html_()`` for Jupyter, ``.save(path)`` for one self-contained HTML file.

    Examples
    --------
    >>> import accessibility as acc
    >>> from accessibility.maps import interactive_map
    >>> demo = acc.load_demo()
    >>> m = interactive_map(demo.villages, "population")
    >>> "<script src=" in m.html
    False
    """
    _check_layer(layer, "villages")
    if column not in layer.columns:
        raise MissingColumnError(
            f"the layer has no column {column!r}.{suggest(column, layer.columns)}"
        )
    values = pd.to_numeric(layer[column], errors="coerce").astype(float)
    unit = _unit_of(column)
    if breaks is None:
        breaks = class_breaks(
            values, classes=classes, scheme=scheme or ("time" if unit == "min" else "quantiles")
        )
    b = _check_breaks(breaks)
    cls = classify(values, b)
    colors = _class_colors(
        cmap if cmap is not None else ("RdYlGn_r" if unit == "min" else "viridis"), b.size - 1
    )
    names = class_labels(b, unit=unit)
    if popup_columns is None:
        popup_columns = [
            c for c in ("name", "name_pinyin", "township", "population") if c in layer.columns
        ]
        popup_columns.append(column)
    missing = [c for c in popup_columns if c not in layer.columns]
    if missing:
        raise MissingColumnError(
            f"popup_columns {missing} are not columns of the layer.{suggest(missing[0], layer.columns)}"
        )
    popup_columns = list(dict.fromkeys(popup_columns))
    color_of = np.array([colors[c] if c >= 0 else UNREACHABLE_COLOR for c in cls], dtype=object)
    layers: list[dict[str, Any]] = []
    legend: list[dict[str, Any]] = []

    if catchments is not None:
        _check_layer(catchments, "catchments")
        bands = _dissolved_bands(catchments, band_column)
        pal = _band_colors([float(x) for x in bands[band_column]])
        bands = bands.sort_values(band_column, ascending=False)
        bcol = [pal[float(x)] for x in bands[band_column]]
        layers.append(
            {
                "data": _geojson(bands, [band_column], {"_color": bcol}),
                "popup": [band_column],
                "tooltip": None,
                "radius": 4,
                "fillOpacity": 0.3,
                "opacity": 0.6,
            }
        )
        legend.append(
            {
                "title": "catchment",
                "items": [
                    {"label": f"≤ {_fmt(float(x))} min", "color": pal[float(x)], "shape": ""}
                    for x in sorted(bands[band_column])
                ],
            }
        )
    if roads is not None:
        from .styles import ROAD_STYLES

        _check_layer(roads, "roads")
        rc = (
            roads[road_class_column].astype("string").fillna("")
            if road_class_column in roads.columns
            else pd.Series("", index=roads.index)
        )
        style = [ROAD_STYLES.get(c, ("#bbbbbb", "", 0.25)) for c in rc]
        layers.append(
            {
                "data": _geojson(
                    roads,
                    [c for c in (road_class_column, "name") if c in roads.columns],
                    {
                        "_color": [s[0] for s in style],
                        "_weight": [max(1.0, s[2] * 2.2) for s in style],
                    },
                ),
                "popup": [c for c in (road_class_column, "name") if c in roads.columns],
                "tooltip": None,
                "radius": 3,
                "fillOpacity": 0,
                "opacity": 0.9,
            }
        )
    layers.append(
        {
            "data": _geojson(layer, popup_columns, {"_color": color_of}),
            "popup": popup_columns,
            "tooltip": tooltip_column if tooltip_column in layer.columns else None,
            "radius": 5,
            "fillOpacity": 0.85,
            "opacity": 1,
        }
    )
    items = [
        {"label": f"{names[i]} ({int((cls == i).sum())})", "color": colors[i], "shape": "pt"}
        for i in range(b.size - 1)
    ]
    if (cls == -1).any():
        items.append(
            {
                "label": f"unreachable 不可达 ({int((cls == -1).sum())})",
                "color": UNREACHABLE_COLOR,
                "shape": "pt",
            }
        )
    legend.insert(0, {"title": title or column, "items": items})
    if facilities is not None:
        from .styles import SERVICE_STYLES

        _check_layer(facilities, "facilities")
        svc = (
            facilities[service_column].astype("string").fillna("facility")
            if service_column in facilities.columns
            else pd.Series("facility", index=facilities.index)
        )
        extra_colors = _class_colors("tab10", 10)
        pal_f: dict[str, str] = {}
        for s in dict.fromkeys(svc):
            pal_f[s] = (
                SERVICE_STYLES[s][0] if s in SERVICE_STYLES else extra_colors[len(pal_f) % 10]
            )
        fcols = [c for c in ("name", service_column, "capacity") if c in facilities.columns]
        layers.append(
            {
                "data": _geojson(
                    facilities,
                    fcols,
                    {
                        "_color": [pal_f[s] for s in svc],
                        "_stroke": ["#000"] * len(svc),
                        "_radius": [7] * len(svc),
                        "_weight": [2] * len(svc),
                    },
                ),
                "popup": fcols,
                "tooltip": "name" if "name" in facilities.columns else None,
                "radius": 5,
                "fillOpacity": 1,
                "opacity": 1,
            }
        )
        legend.append(
            {
                "title": "facilities",
                "items": [
                    {
                        "label": SERVICE_STYLES[s][1]
                        if s in SERVICE_STYLES
                        else str(s).replace("_", " "),
                        "color": c,
                        "shape": "pt",
                    }
                    for s, c in pal_f.items()
                ],
            }
        )
    the_title = title if title is not None else column
    config = {
        "title": the_title,
        "layers": layers,
        "legend": legend,
        "tiles": tiles,
        "tileAttribution": tile_attribution,
        "attribution": attribution,
    }
    if tiles is not None and not isinstance(tiles, str):
        raise InvalidValueError(
            "tiles must be a URL template string such as 'tiles/{z}/{x}/{y}.png'"
        )
    css = _static_text("leaflet.css")
    # no image fetches from the page (Leaflet's default marker and layer-control icons are unused)
    import re

    css = re.sub(r"url\(images/[^)]*\)", "none", css)
    page = _PAGE.format(
        title=html.escape(the_title),
        leaflet_css=css,
        leaflet_js=_static_text("leaflet.js"),
        config=_script_json(config),
        background=html.escape(background),
    )
    return InteractiveMap(html=page, title=the_title, height_px=int(height_px))
