"""The map frame: drawing CRS, axes and extent, scale bar, north arrow, legends."""

from __future__ import annotations

import logging
import math
from typing import Any

import numpy as np

from ..errors import CRSError, InvalidValueError
from .classes import format_limit

logger = logging.getLogger(__name__)


MM_TO_PT = 72.0 / 25.4


def check_layer(layer: Any, what: str) -> None:
    """A GeoDataFrame with a CRS, else an error that says how to make one."""

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


def draw_crs(layer: Any) -> Any:
    """The CRS to draw in: the layer's own when it is in metres, else its local UTM zone."""
    from .._crs import metric_crs

    return metric_crs(layer)


def in_crs(gdf: Any, crs: Any, what: str) -> Any:
    """An optional layer (None stays None), checked and in ``crs``."""
    if gdf is None:
        return None
    check_layer(gdf, what)
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


def add_scale_bar(ax: Any, crs: Any, *, fraction: float = 0.22, loc: str = "lower right") -> Any:
    """A scale bar in kilometres, its length true on the ground at the map centre."""

    from matplotlib.font_manager import FontProperties
    from mpl_toolkits.axes_grid1.anchored_artists import AnchoredSizeBar

    x0, x1 = ax.get_xlim()
    y0, y1 = ax.get_ylim()
    width = x1 - x0
    ratio = _map_units_per_metre(crs, (x0 + x1) / 2, (y0 + y1) / 2, width / 4)
    ground_km = width / ratio / 1000.0
    length_km = _nice_length_km(ground_km * fraction)
    size = length_km * 1000.0 * ratio
    label = (
        f"{format_limit(length_km)} km" if length_km >= 1 else f"{format_limit(length_km * 1000)} m"
    )
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
    bar.length_km = length_km
    bar.size_map_units = size
    ax.add_artist(bar)
    return bar


def add_north_arrow(ax: Any, crs: Any, *, xy: tuple[float, float] = (0.95, 0.93)) -> Any:
    """A north arrow pointing to true north (grid convergence included)."""
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
    arrow.north_angle_rad = theta
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


def new_axes(ax: Any, bounds: np.ndarray, *, legend_room_in: float = 2.3) -> tuple[Any, Any]:
    """``ax`` and its figure, or a new figure sized to the map's bounds."""

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


def map_bounds(layer: Any, extra: Any = None) -> np.ndarray:
    """Extent of a layer, grown to include ``extra`` (facilities off the villages' extent)."""
    b = np.asarray(layer.total_bounds, dtype=float)
    if extra is not None and len(extra):
        e = np.asarray(extra.total_bounds, dtype=float)
        if np.isfinite(e).all():
            b = np.array([min(b[0], e[0]), min(b[1], e[1]), max(b[2], e[2]), max(b[3], e[3])])
    return b


def set_frame(ax: Any, bounds: np.ndarray, pad: float = 0.05) -> None:
    """The map's extent with a margin, at equal aspect, without ticks."""
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


def add_legends(ax: Any, first: list[Any], first_title: str | None, second: list[Any]) -> list[Any]:
    """The class legend and the layers legend, right of the map."""
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
