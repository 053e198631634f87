"""Static charts for reports and notebooks (matplotlib, no pyplot state): Lorenz curves, coverage
gaps, urban vs rural distributions, per-village maps; plus the Chinese-font logic they share.

Chinese names need a CJK font. :func:`cjk_font` looks for one that matplotlib can use (Noto Sans /
Serif CJK, Source Han, WenQuanYi, Droid Sans Fallback, SimHei, Microsoft YaHei, PingFang, ...).
If none is installed, :func:`chart_text` falls back to the pinyin name given with it and logs one
warning (Debian/Ubuntu: ``apt install fonts-noto-cjk`` or ``fonts-wqy-microhei``).

Every function returns a :class:`matplotlib.figure.Figure`; :func:`figure_png` turns one into PNG
bytes (and closes nothing global: figures are not registered with pyplot).

Examples
--------
>>> from accessibility import charts
>>> from accessibility.equity import lorenz_curve
>>> fig = charts.lorenz_chart({"clinic": lorenz_curve([1, 2, 3, 10])})
>>> charts.figure_png(fig)[:4]
b'\\x89PNG'
"""

from __future__ import annotations

import base64
import contextlib
import functools
import io
import logging
import math
import re
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

__all__ = [
    "CJK_FONT_NAMES",
    "chart_text",
    "cjk_font",
    "cluster_map",
    "coverage_gap_chart",
    "distribution_chart",
    "figure_png",
    "figure_png_base64",
    "font_context",
    "has_cjk",
    "lorenz_chart",
    "village_map",
]

logger = logging.getLogger(__name__)

#: Font family names (substrings, case-insensitive) tried in order for Chinese text.
CJK_FONT_NAMES: tuple[str, ...] = (
    "Noto Sans CJK SC",
    "Noto Sans SC",
    "Noto Sans CJK",
    "Noto Serif CJK",
    "Source Han Sans",
    "Source Han Serif",
    "WenQuanYi Micro Hei",
    "WenQuanYi Zen Hei",
    "WenQuanYi",
    "Droid Sans Fallback",
    "SimHei",
    "Microsoft YaHei",
    "PingFang",
    "Heiti",
    "AR PL UMing",
    "AR PL UKai",
)

_CJK_RE = re.compile(r"[\u2e80-\u9fff\uf900-\ufaff\u3000-\u303f\uff00-\uffef]")
_warned: set[str] = set()


def has_cjk(text: Any) -> bool:
    """True if ``text`` contains Chinese/Japanese/Korean characters."""
    return bool(_CJK_RE.search(str(text)))


@functools.cache
def cjk_font() -> str | None:
    """Name of an installed font family that can draw Chinese, or None (result cached).

    Examples
    --------
    >>> from accessibility.charts import cjk_font
    >>> cjk_font()  # doctest: +SKIP
    'Noto Sans CJK JP'
    """
    from matplotlib import font_manager

    found = _match_cjk(font_manager.fontManager.ttflist)
    if found is None:
        # matplotlib's font cache predates a font installed later: register CJK files directly
        added = False
        try:
            paths = font_manager.findSystemFonts()
        except OSError:  # pragma: no cover - unreadable font folders
            paths = []
        for path in paths:
            if _CJK_FILE_RE.search(path.rsplit("/", 1)[-1]):
                try:
                    font_manager.fontManager.addfont(path)
                    added = True
                except (OSError, RuntimeError, ValueError):  # pragma: no cover - broken file
                    continue
        if added:
            found = _match_cjk(font_manager.fontManager.ttflist)
    return found


_CJK_FILE_RE = re.compile(
    r"(wqy|NotoSansCJK|NotoSerifCJK|NotoSansSC|SourceHan|DroidSansFallback|simhei|msyh|"
    r"PingFang|uming|ukai)",
    re.IGNORECASE,
)


def _match_cjk(fonts: Any) -> str | None:
    names = sorted({f.name for f in fonts})
    for wanted in CJK_FONT_NAMES:
        for name in names:
            if wanted.lower() in name.lower():
                return name
    return None


def chart_text(text: Any, fallback: Any = None) -> str:
    """Text safe to draw: ``text`` itself, or ``fallback`` (pinyin) if it is Chinese and no CJK
    font is installed. Logs one warning per session when it falls back.

    Examples
    --------
    >>> from accessibility.charts import chart_text
    >>> chart_text("Chengguan")
    'Chengguan'
    """
    s = "" if text is None or (isinstance(text, float) and math.isnan(text)) else str(text)
    if not has_cjk(s) or cjk_font() is not None:
        return s
    if "font" not in _warned:
        _warned.add("font")
        logger.warning(
            "no Chinese (CJK) font found for charts; drawing pinyin names instead. Install one "
            "(e.g. apt install fonts-noto-cjk) to see Chinese names"
        )
    if fallback is not None and not (isinstance(fallback, float) and math.isnan(fallback)):
        return str(fallback)
    return _CJK_RE.sub("?", s)


@contextlib.contextmanager
def font_context() -> Iterator[None]:
    """Matplotlib settings for the charts of this module (CJK font first when installed)."""
    import matplotlib as mpl

    family = ["DejaVu Sans"]
    font = cjk_font()
    if font:
        family = [font, "DejaVu Sans"]
    with mpl.rc_context(
        {
            "font.family": "sans-serif",
            "font.sans-serif": family,
            "axes.unicode_minus": False,
            "font.size": 9,
            "axes.titlesize": 10,
            "axes.spines.top": False,
            "axes.spines.right": False,
            "figure.dpi": 100,
        }
    ):
        yield


def _figure(width_in: float, height_in: float) -> Any:
    from matplotlib.figure import Figure

    return Figure(figsize=(width_in, height_in), layout="constrained")


def figure_png(fig: Any, *, dpi: int = 110) -> bytes:
    """PNG bytes of a figure."""
    buf = io.BytesIO()
    with font_context():
        fig.savefig(buf, format="png", dpi=dpi)
    return buf.getvalue()


def figure_png_base64(fig: Any, *, dpi: int = 110) -> str:
    """Base64 text of a figure's PNG, ready for ``<img src="data:image/png;base64,...">``."""
    return base64.b64encode(figure_png(fig, dpi=dpi)).decode("ascii")


def _grid(n: int, ncols: int) -> tuple[int, int]:
    ncols = max(1, min(ncols, n))
    return math.ceil(n / ncols), ncols


def lorenz_chart(
    curves: Mapping[str, pd.DataFrame],
    *,
    title: str = "Lorenz curves",
    xlabel: str = "Cumulative share of population (shortest time first)",
    ylabel: str = "Cumulative share of person-minutes",
    equality_label: str = "equality",
) -> Any:
    """Lorenz curves (from :func:`accessibility.equity.lorenz_curve`) on one axes, with the
    line of equality. The further a curve sags below the diagonal, the more unequal.
    """
    with font_context():
        fig = _figure(5.6, 4.6)
        ax = fig.add_subplot()
        ax.plot([0, 1], [0, 1], color="0.4", lw=1, ls="--", label=equality_label)
        cmap = _cmap("tab10")
        for i, (name, lc) in enumerate(curves.items()):
            ax.plot(
                lc["population_share"],
                lc["value_share"],
                lw=1.8,
                color=cmap(i % 10),
                label=chart_text(name),
            )
        ax.set_xlim(0, 1)
        ax.set_ylim(0, 1)
        ax.set_aspect("equal")
        ax.set_xlabel(xlabel)
        ax.set_ylabel(ylabel)
        ax.set_title(title)
        ax.grid(alpha=0.3)
        ax.legend(loc="upper left", fontsize=8, frameon=False)
    return fig


def coverage_gap_chart(
    gap: pd.DataFrame, *, title: str = "Population meeting the standard: urban vs rural"
) -> Any:
    """Horizontal bars of coverage rates per standard, urban next to rural, from
    :func:`accessibility.equity.urban_rural_gap` (columns ``coverage_urban``, ``coverage_rural``).
    """
    data = gap[["coverage_urban", "coverage_rural"]].astype(float)
    with font_context():
        fig = _figure(6.4, 0.5 + 0.42 * max(len(data), 2))
        ax = fig.add_subplot()
        y = np.arange(len(data))[::-1]
        h = 0.38
        colors = {"coverage_urban": "#3b6ea5", "coverage_rural": "#d98c2b"}
        for offset, col in ((h / 2, "coverage_urban"), (-h / 2, "coverage_rural")):
            vals = 100 * data[col].to_numpy()
            bars = ax.barh(
                y + offset,
                np.nan_to_num(vals),
                height=h,
                color=colors[col],
                label=col.split("_")[1],
            )
            for bar, v in zip(bars, vals, strict=True):
                text = "n/a" if np.isnan(v) else f"{v:.0f}%"
                ax.text(bar.get_width() + 1, bar.get_y() + h / 2, text, va="center", fontsize=7)
        ax.set_yticks(y, [chart_text(s) for s in data.index])
        ax.set_xlim(0, 112)
        ax.set_xlabel("Population meeting its standard (%)")
        ax.set_title(title)
        ax.legend(loc="lower right", fontsize=8, frameon=False)
        ax.grid(axis="x", alpha=0.3)
    return fig


def _weighted_ecdf(values: np.ndarray, weights: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    order = np.argsort(values, kind="stable")
    v, w = values[order], weights[order]
    return v, np.cumsum(w) / w.sum()


def distribution_chart(
    villages: pd.DataFrame,
    columns: Mapping[str, str],
    *,
    area_type: str = "area_type",
    population: str | Mapping[str, str] = "population",
    thresholds: Mapping[str, Mapping[str, float]] | None = None,
    ncols: int = 3,
    xlabel: str = "Travel time (min)",
    title: str = "Share of people reaching the service within x minutes, urban vs rural",
    ylabel: str = "Population reached (%)",
    group_labels: Mapping[str, str] | None = None,
    dashed_note: str = "  (dashed: standard)",
) -> Any:
    """Population-weighted cumulative distributions, urban vs rural, one panel per service.

    Parameters
    ----------
    villages
        Per-village layer.
    columns
        Panel title -> measure column (e.g. ``{"clinic": "clinic_nearest_min"}``).
    area_type
        Column with "urban"/"rural".
    population
        Population column, or panel title -> column.
    thresholds
        Panel title -> {"urban": minutes, "rural": minutes}: drawn as dashed vertical lines in the
        group's colour (the standard that applies to that group).

    Reading: at x minutes the curve gives the share of (urban or rural) residents whose nearest
    facility is at most x minutes away; a curve further left is better served. Unreachable
    villages never reach the top, so a curve ending below 100 % shows people with no access.
    """
    colors = {"urban": "#3b6ea5", "rural": "#d98c2b"}
    n = len(columns)
    nrows, ncols = _grid(n, ncols)
    area = villages[area_type].astype("string").str.strip().str.lower()
    with font_context():
        fig = _figure(3.2 * ncols, 2.6 * nrows + 0.4)
        axes = fig.subplots(nrows, ncols, squeeze=False).ravel()
        for ax, (label, col) in zip(axes, columns.items(), strict=False):
            pop_col = (
                population.get(label, "population")
                if isinstance(population, Mapping)
                else (population)
            )
            v = pd.to_numeric(villages[col], errors="coerce").to_numpy(dtype=float)
            w = pd.to_numeric(villages[pop_col], errors="coerce").fillna(0).to_numpy(dtype=float)
            finite_max = (
                np.nanmax(np.where(np.isfinite(v), v, np.nan)) if np.isfinite(v).any() else 1.0
            )
            for group in ("urban", "rural"):
                m = (area == group).fillna(False).to_numpy(dtype=bool) & (w > 0)
                if not m.any():
                    continue
                reach = m & np.isfinite(v)
                xs, ys = (
                    _weighted_ecdf(v[reach], w[reach])
                    if reach.any()
                    else (np.array([]), np.array([]))
                )
                ys = ys * (w[reach].sum() / w[m].sum())  # unreachable people stay below 100 %
                ax.step(
                    np.r_[0.0, xs],
                    np.r_[0.0, ys] * 100,
                    where="post",
                    lw=1.6,
                    color=colors[group],
                    label=(group_labels or {}).get(group, group),
                )
                limit = (thresholds or {}).get(label, {}).get(group)
                if limit is not None and np.isfinite(limit):
                    ax.axvline(limit, color=colors[group], ls="--", lw=1)
            ax.set_title(chart_text(label))
            ax.set_xlim(0, max(finite_max * 1.02, 1.0))
            ax.set_ylim(0, 102)
            ax.set_xlabel(xlabel)
            ax.set_ylabel(ylabel)
            ax.grid(alpha=0.3)
        for ax in axes[n:]:
            ax.set_visible(False)
        handles, labels = axes[0].get_legend_handles_labels()
        if handles:
            fig.legend(handles, labels, loc="outside lower center", ncols=2, frameon=False)
        fig.suptitle(title + dashed_note, fontsize=10)
    return fig


def _cmap(name: str) -> Any:
    import matplotlib as mpl

    return mpl.colormaps[name]


def _map_frame(
    villages: Any, units: Any
) -> tuple[Any, np.ndarray, np.ndarray, tuple[float, float, float, float], float]:
    """The township outlines in the villages' CRS, the villages' x and y (representative points
    of polygons), the bounds of the area drawn (the townships', else the villages') and its
    height / width."""
    if units is not None and villages.crs is not None and units.crs is not None:
        units = units.to_crs(villages.crs)
    geom = villages.geometry
    if not (geom.geom_type == "Point").all():
        geom = geom.representative_point()
    xmin, ymin, xmax, ymax = (units if units is not None else villages).total_bounds
    aspect = (ymax - ymin) / (xmax - xmin) if xmax > xmin else 1.0
    return units, geom.x.to_numpy(), geom.y.to_numpy(), (xmin, ymin, xmax, ymax), aspect


def village_map(
    villages: Any,
    columns: Mapping[str, str],
    *,
    units: Any = None,
    unit_label: str | None = "name",
    unit_label_fallback: str | None = "name_pinyin",
    vmax: Mapping[str, float] | float | None = None,
    ncols: int = 3,
    cmap: str = "YlOrRd",
    title: str = "Travel time to the nearest facility (min)",
    colorbar_label: str = "min",
) -> Any:
    """Small-multiple maps of per-village values (e.g. nearest time per service).

    Parameters
    ----------
    villages
        GeoDataFrame of village points (or polygons; drawn at representative points).
    columns
        Panel title -> column.
    units
        Optional GeoDataFrame of township polygons drawn as outlines (in the villages' CRS).
    unit_label, unit_label_fallback
        Columns of ``units`` for labels: the Chinese name, and the pinyin used when no CJK font.
    vmax
        Colour-scale maximum (one for all or per panel); default: the 95th percentile of the
        reachable villages, so one remote village does not wash out the rest.

    Unreachable villages (NaN/inf) are drawn as black crosses.
    """
    n = len(columns)
    nrows, ncols = _grid(n, ncols)
    units, x, y, bounds, aspect = _map_frame(villages, units)
    panel_w = 3.3
    with font_context():
        fig = _figure(panel_w * ncols, (panel_w * aspect + 0.5) * nrows + 0.4)
        axes = fig.subplots(nrows, ncols, squeeze=False).ravel()
        for ax, (label, col) in zip(axes, columns.items(), strict=False):
            v = pd.to_numeric(villages[col], errors="coerce").to_numpy(dtype=float)
            ok = np.isfinite(v)
            if isinstance(vmax, Mapping):
                top = vmax.get(label)
            else:
                top = vmax
            if top is None:
                top = float(np.percentile(v[ok], 95)) if ok.any() else 1.0
            if units is not None:
                _draw_units(ax, units, unit_label, unit_label_fallback)
            sc = ax.scatter(
                x[ok],
                y[ok],
                c=v[ok],
                s=9,
                cmap=cmap,
                vmin=0,
                vmax=max(top, 1e-9),
                linewidths=0.2,
                edgecolors="0.3",
            )
            if (~ok).any():
                ax.scatter(
                    x[~ok], y[~ok], marker="x", s=14, color="black", lw=0.8, label="unreachable"
                )
                ax.legend(loc="upper left", bbox_to_anchor=(0.0, 0.0), fontsize=7, frameon=False)
            cb = fig.colorbar(sc, ax=ax, shrink=0.7, extend="max")
            cb.set_label(colorbar_label, fontsize=7)
            cb.ax.tick_params(labelsize=7)
            _map_panel(ax, chart_text(label), bounds)
        for ax in axes[n:]:
            ax.set_visible(False)
        fig.suptitle(title, fontsize=10)
    return fig


def _map_panel(ax: Any, title: str, bounds: tuple[float, float, float, float]) -> None:
    """Title, the extent at equal aspect, and no ticks or axis lines: one map of a small multiple."""
    xmin, ymin, xmax, ymax = bounds
    ax.set_title(title)
    ax.set_xlabel("")
    ax.set_ylabel("")
    ax.set_xlim(xmin, xmax)
    ax.set_ylim(ymin, ymax)
    ax.set_aspect("equal")
    ax.set_xticks([])
    ax.set_yticks([])
    for side in ("left", "bottom"):
        ax.spines[side].set_visible(False)


def _draw_units(ax: Any, units: Any, unit_label: str | None, fallback: str | None) -> None:
    units.boundary.plot(ax=ax, color="0.55", lw=0.6)
    if unit_label and unit_label in units.columns:
        alts = units[fallback] if fallback in units.columns else [None] * len(units)
        for p, name, alt in zip(
            units.geometry.representative_point(), units[unit_label], alts, strict=True
        ):
            ax.annotate(
                chart_text(name, alt),
                (p.x, p.y),
                fontsize=6,
                color="0.3",
                ha="center",
                va="center",
            )


def cluster_map(
    villages: Any,
    flags: Mapping[str, pd.Series],
    *,
    units: Any = None,
    unit_label: str | None = "name",
    unit_label_fallback: str | None = "name_pinyin",
    ncols: int = 3,
    title: str = "Hot spots of poor access (local Moran's I, High-High, p <= 0.05)",
    label: str = "hot spot",
) -> Any:
    """Small-multiple maps marking flagged villages (e.g. ``poor_access_cluster`` from
    :func:`accessibility.equity.local_clusters`) in dark red over grey villages.
    """
    n = len(flags)
    nrows, ncols = _grid(n, ncols)
    units, x, y, bounds, aspect = _map_frame(villages, units)
    with font_context():
        fig = _figure(3.0 * ncols, (3.0 * aspect + 0.45) * nrows + 0.5)
        axes = fig.subplots(nrows, ncols, squeeze=False).ravel()
        for ax, (name, flag) in zip(axes, flags.items(), strict=False):
            f = flag.reindex(villages.index).fillna(False).astype(bool).to_numpy()
            if units is not None:
                _draw_units(ax, units, unit_label, unit_label_fallback)
            ax.scatter(x[~f], y[~f], s=5, color="0.8", linewidths=0)
            ax.scatter(x[f], y[f], s=12, color="#a50f15", linewidths=0, label=label)
            _map_panel(ax, f"{chart_text(name)} ({int(f.sum())})", bounds)
        for ax in axes[n:]:
            ax.set_visible(False)
        fig.suptitle(title, fontsize=10)
    return fig


def standard_coverage_chart(
    rows: Sequence[tuple[str, float]],
    *,
    title: str = "",
    xlabel: str = "People meeting their own standard (%)",
) -> Any:
    """Horizontal bars, one per (standard, area type), each labelled with the standard it is
    measured against (e.g. "township health centre · rural: by car ≤ 30 min"), coloured by the
    report's classes (green ≥ 90 %, amber 60-90 %, red < 60 %): every bar compares an area type
    with its own standard, so an urban walking standard is never set beside a rural driving one.

    Examples
    --------
    >>> from accessibility.charts import standard_coverage_chart
    >>> fig = standard_coverage_chart([("clinic · rural: on foot ≤ 30 min", 0.95)])
    >>> len(fig.axes)
    1
    """
    with font_context():
        fig = _figure(7.2, 0.6 + 0.3 * max(len(rows), 2))
        ax = fig.add_subplot()
        y = np.arange(len(rows))[::-1]
        vals = np.array([100 * float(v) for _, v in rows])
        colors = [
            "#bbbbbb"
            if np.isnan(v)
            else ("#5aa469" if v >= 90 else "#e0a526" if v >= 60 else "#d0533f")
            for v in vals
        ]
        bars = ax.barh(y, np.nan_to_num(vals), height=0.62, color=colors)
        for bar, v in zip(bars, vals, strict=True):
            label = "–" if np.isnan(v) else f"{v:.0f}%"
            ax.text(bar.get_width() + 1, bar.get_y() + 0.31, label, va="center", fontsize=7)
        ax.set_yticks(y, [chart_text(name) for name, _ in rows], fontsize=7.5)
        ax.set_xlim(0, 110)
        ax.axvline(90, color="#5aa469", lw=0.8, ls="--")
        ax.axvline(60, color="#e0a526", lw=0.8, ls="--")
        ax.set_xlabel(xlabel)
        if title:
            ax.set_title(title)
        ax.grid(axis="x", alpha=0.3)
    return fig
