"""Styles shared by the default layer styles and the QGIS project: time classes, catchment
bands, township coverage classes, and field aliases in the readers' language."""

from __future__ import annotations

import itertools
from collections.abc import Mapping, Sequence
from typing import Any
from xml.sax.saxutils import quoteattr

from ..i18n import text
from .qml import graduated_qml

__all__ = [
    "BAND_COLORS",
    "COVERAGE_BREAKS",
    "COVERAGE_COLORS",
    "catchment_style",
    "coverage_style",
    "layer_fields",
    "time_labels",
    "with_aliases",
]

#: Colours of catchment bands, nearest first (distinct hues, read as a sequence).
BAND_COLORS: tuple[str, ...] = ("#2c7bb6", "#abd9e9", "#fdae61", "#d7191c", "#7b3294", "#008837")
#: Township coverage classes (share of people meeting the standard) and their colours.
COVERAGE_BREAKS: tuple[float, ...] = (0.0, 0.6, 0.9, 1.0)
COVERAGE_COLORS: tuple[str, ...] = ("#f4a582", "#fddbc7", "#92c5de")


def with_aliases(qml: str, aliases: Mapping[str, str]) -> str:
    """Add field aliases (``{column: alias}``) to a QML document, so QGIS shows readers' names in
    the attribute table and forms while the GeoPackage keeps its stable column names.

    Examples
    --------
    >>> from accessibility.styles import single_qml
    >>> 'alias field="population" index="0" name="人口"' in with_aliases(
    ...     single_qml("Point"), {"population": "人口"})
    True
    """
    if not aliases:
        return qml
    rows = "".join(
        f'    <alias field={quoteattr(c)} index="{i}" name={quoteattr(a)}/>\n'
        for i, (c, a) in enumerate(aliases.items())
    )
    return qml.replace("</qgis>", f"  <aliases>\n{rows}  </aliases>\n</qgis>", 1)


def layer_fields(gdf: Any) -> list[str]:
    """The fields a layer has once written: its named index levels, then its columns (without
    the geometry)."""
    index = [str(n) for n in getattr(gdf.index, "names", []) if n is not None]
    geom = gdf.geometry.name if hasattr(gdf, "geometry") else None
    return index + [str(c) for c in gdf.columns if c != geom and str(c) not in index]


def time_labels(breaks: Sequence[float], lang: str) -> list[str]:
    """Legend labels of time classes (``inf`` as the last break: an open class).

    Examples
    --------
    >>> time_labels([0, 15, 30, float("inf")], "zh")
    ['0–15分钟', '15–30分钟', '30分钟以上']
    """
    out = []
    for lo, hi in itertools.pairwise(breaks):
        out.append(
            text("time_open", lang, lo=f"{lo:g}")
            if hi == float("inf")
            else text("time_class", lang, lo=f"{lo:g}", hi=f"{hi:g}")
        )
    return out


def catchment_style(
    bands: Sequence[float],
    lang: str,
    *,
    field: str = "band_min",
    colors: Sequence[Any] | None = None,
    fill_alpha: float = 0.22,
) -> str:
    """QML for catchments: one class and colour per band ("within 10 min"), a light fill, the
    widest band drawn first so the nearer ones lie over it.

    Examples
    --------
    >>> catchment_style([10, 20, 30], "zh").count("<range ")
    3
    """
    bands = sorted({float(b) for b in bands})
    breaks = [0.0, *bands]
    labels = [text("band_label", lang, band=f"{b:g}") for b in bands]
    palette = list(colors) if colors else list(BAND_COLORS)
    picks = [palette[i % len(palette)] for i in range(len(bands))]
    qml = graduated_qml(
        field, breaks, picks, "Polygon", labels, fill_alpha=fill_alpha, outline=(90, 90, 90)
    )
    return qml.replace(
        'enableorderby="0">',
        'enableorderby="1">\n    <orderby>\n      <orderByClause asc="0" nullsFirst="0">'
        f'"{field}"</orderByClause>\n    </orderby>',
        1,
    )


def coverage_style(geometry: str, column: str, lang: str, label_field: str | None) -> str:
    """QML for a township coverage column (share 0-1): percent classes below 60 %, 60-90 %,
    90-100 % (the report's red / amber / green), and "no data".

    Examples
    --------
    >>> 'label="90%–100%"' in coverage_style("Polygon", "clinic_coverage", "zh", None)
    True
    """
    b = COVERAGE_BREAKS
    labels = [
        text("pct_class", lang, lo=f"{100 * lo:g}", hi=f"{100 * hi:g}")
        for lo, hi in itertools.pairwise(b)
    ]
    return graduated_qml(
        column,
        b,
        COVERAGE_COLORS,
        geometry,
        labels,
        null_class=((255, 255, 255), text("no_data", lang)),
        outline=(80, 80, 80),
        label_field=label_field,
    )
