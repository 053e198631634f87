"""QGIS styles for the layers the package writes.

Low-level builders (:func:`graduated_qml`, :func:`categorized_qml`, :func:`single_qml`) return a
QML document as text. The ``*_qml`` helpers below give the package's default look for each kind of
layer, and :func:`default_styles` picks one per layer of a dict, which is what
:func:`accessibility.io.write_geopackage` embeds when no styles are given.

Default looks
-------------
villages
    graduated on a nearest-time column (``*_nearest_min``): 0-15, 15-30, 30-60, > 60 minutes in
    green -> red, and a purple "unreachable" class for NULL (no facility within the time limit).
facilities
    categorised by ``service`` (hospital, health_centre, clinic, primary_school, junior_school,
    elder_care, day_care), bilingual legend, larger markers higher up the service hierarchy,
    hospitals drawn on top.
roads
    categorised by ``road_class`` with line width by class, higher classes drawn on top (Chinese
    classes and OSM ``highway`` values).
catchments
    graduated light fill on ``band_min``, one class and colour per band of the data.
townships
    graduated fill on a numeric summary column (quantile classes), or an outline when there is
    none.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

from .qml import (
    NULL_SENTINEL,
    Color,
    categorized_qml,
    graduated_qml,
    single_qml,
    symbol_type,
)
from .themes import catchment_style, coverage_style, layer_fields, time_labels, with_aliases

if TYPE_CHECKING:
    import geopandas as gpd

__all__ = [
    "BUS_LINE_STYLES",
    "NULL_SENTINEL",
    "ROAD_STYLES",
    "SERVICE_SIZES_MM",
    "SERVICE_STYLES",
    "TIME_BREAKS_MIN",
    "Color",
    "bus_qml",
    "catchment_qml",
    "categorized_qml",
    "default_qml",
    "default_styles",
    "facility_qml",
    "geometry_type_of",
    "graduated_qml",
    "road_qml",
    "single_qml",
    "symbol_type",
    "township_qml",
    "village_qml",
]

logger = logging.getLogger(__name__)

#: Class limits (minutes) of the default village travel-time style.
TIME_BREAKS_MIN: tuple[float, ...] = (0.0, 15.0, 30.0, 60.0, float("inf"))
TIME_COLORS: tuple[str, ...] = ("#1a9850", "#a6d96a", "#fdae61", "#d73027")
UNREACHABLE: tuple[str, str] = ("#762a83", "unreachable 不可达")

#: marker size (mm) per service: higher levels of the service hierarchy are larger
SERVICE_SIZES_MM: dict[str, float] = {
    "hospital": 4.6,
    "health_centre": 3.8,
    "junior_school": 3.4,
    "elder_care": 3.4,
    "primary_school": 3.0,
    "clinic": 2.6,
    "day_care": 2.6,
}

#: service -> (colour, legend label)
SERVICE_STYLES: dict[str, tuple[str, str]] = {
    "hospital": ("#e31a1c", "hospital 医院"),
    "health_centre": ("#fb9a99", "health centre 卫生院"),
    "clinic": ("#ff7f00", "clinic 村卫生室"),
    "primary_school": ("#1f78b4", "primary school 小学"),
    "junior_school": ("#a6cee3", "junior school 初中"),
    "elder_care": ("#6a3d9a", "elder care 养老院"),
    "day_care": ("#cab2d6", "day care 日间照料中心"),
}

#: road_class -> (colour, legend label, line width in mm); Chinese classes then OSM highway tags
ROAD_STYLES: dict[str, tuple[str, str, float]] = {
    "expressway": ("#e31a1c", "expressway 高速公路", 1.4),
    "national": ("#ff7f00", "national 国道", 1.1),
    "provincial": ("#fdbf6f", "provincial 省道", 0.9),
    "county": ("#b15928", "county 县道", 0.7),
    "township": ("#737373", "township 乡道", 0.5),
    "village": ("#969696", "village 村道", 0.35),
    "track": ("#bdbdbd", "track 机耕路", 0.25),
    "motorway": ("#e31a1c", "motorway", 1.4),
    "trunk": ("#ff7f00", "trunk", 1.2),
    "primary": ("#fdbf6f", "primary", 1.0),
    "secondary": ("#b15928", "secondary", 0.8),
    "tertiary": ("#737373", "tertiary", 0.6),
    "unclassified": ("#969696", "unclassified", 0.45),
    "residential": ("#969696", "residential", 0.4),
    "service": ("#bdbdbd", "service", 0.3),
}

CATCHMENT_BREAKS_MIN: tuple[float, ...] = (0.0, 15.0, 30.0, 60.0, float("inf"))
CATCHMENT_COLORS: tuple[str, ...] = ("#1a9850", "#fee08b", "#fc8d59", "#d73027")
TOWNSHIP_COLORS: tuple[str, ...] = ("#ffffcc", "#a1dab4", "#41b6c4", "#2c7fb8", "#253494")


def geometry_type_of(gdf: gpd.GeoDataFrame) -> str:
    """The geometry type of a layer (``"Point"``, ``"LineString"``, ``"Polygon"``...).

    Uses the first non-empty geometry; ``"Point"`` for a layer without any.

    Examples
    --------
    >>> import geopandas as gpd
    >>> from shapely.geometry import Point
    >>> geometry_type_of(gpd.GeoDataFrame(geometry=[Point(0, 0)]))
    'Point'
    """
    geoms = gdf.geometry
    types = geoms[~(geoms.isna() | geoms.is_empty)].geom_type
    return str(types.iloc[0]) if len(types) else "Point"


def village_qml(
    villages: gpd.GeoDataFrame,
    field: str | None = None,
    *,
    breaks_min: Sequence[float] = TIME_BREAKS_MIN,
    colors: Sequence[Color] = TIME_COLORS,
    labels: Sequence[str] | None = None,
    unreachable: tuple[Color, str] | None = UNREACHABLE,
    label_field: str | None = None,
) -> str:
    """Default village style: graduated colours on a nearest-time column (minutes).

    NULL times (the GeoPackage form of ``inf``/NaN: nothing reachable within the limit) get their
    own "unreachable" class.

    Parameters
    ----------
    villages
        The per-village layer.
    field
        Numeric column; the first column ending in ``_nearest_min`` when ``None``, and a single
        symbol when there is none.
    breaks_min, colors, labels
        Classes (see :func:`graduated_qml`); labels default to "0-15 min" etc.
    unreachable
        ``(colour, label)`` of the NULL class; ``None`` to leave unreachable villages undrawn.
    label_field
        Field to label villages with (for example ``"name"``); none by default.

    Examples
    --------
    >>> import geopandas as gpd
    >>> from shapely.geometry import Point
    >>> v = gpd.GeoDataFrame({"clinic_nearest_min": [5.0]}, geometry=[Point(0, 0)])
    >>> 'coalesce("clinic_nearest_min", 1000000000000000)' in village_qml(v)
    True
    """
    from ..errors import MissingColumnError, suggest

    gtype = geometry_type_of(villages)
    if field is None:
        candidates = [c for c in villages.columns if str(c).endswith("_nearest_min")]
        if not candidates:
            logger.info("villages have no *_nearest_min column; using a single symbol")
            return single_qml(gtype, "#636363", label_field=label_field)
        field = str(candidates[0])
    elif field not in villages.columns:
        raise MissingColumnError(
            f"villages have no column {field!r} to style.{suggest(field, villages.columns)}"
        )
    if labels is None:
        edges = [float(b) for b in breaks_min]
        labels = [
            f"> {edges[i]:g} min"
            if edges[i + 1] == float("inf")
            else f"{edges[i]:g}-{edges[i + 1]:g} min"
            for i in range(len(edges) - 1)
        ]
    return graduated_qml(
        field,
        breaks_min,
        colors,
        gtype,
        labels,
        null_class=unreachable,
        label_field=label_field,
    )


def facility_qml(
    facilities: gpd.GeoDataFrame | None = None,
    *,
    field: str = "service",
    styles: Mapping[str, tuple[Color, str]] | None = None,
    geometry_type: str | None = None,
    label_field: str | None = None,
) -> str:
    """Default facility style: categorised by service type with a bilingual legend.

    Services present in the layer but not in ``styles`` fall into a grey "other" class.

    Examples
    --------
    >>> 'value="hospital"' in facility_qml(geometry_type="Point")
    True
    """
    gtype = geometry_type or (geometry_type_of(facilities) if facilities is not None else "Point")
    cats = dict(SERVICE_STYLES if styles is None else styles)
    return categorized_qml(
        field,
        cats,
        gtype,
        sizes_mm=SERVICE_SIZES_MM,
        size_mm=3.0,
        outline=(255, 255, 255),
        label_field=label_field,
        first_on_top=True,
    )


def road_qml(
    roads: gpd.GeoDataFrame | None = None,
    *,
    field: str = "road_class",
    styles: Mapping[str, tuple[Color, str, float]] | None = None,
    label_field: str | None = None,
    other_label: str = "other",
) -> str:
    """Default road style: categorised by road class, wider lines for higher classes.

    When ``roads`` is given, only the classes it contains are listed (Chinese classes and OSM
    ``highway`` values are both known); others are drawn thin and grey.

    Examples
    --------
    >>> 'value="expressway"' in road_qml()
    True
    """
    table = dict(ROAD_STYLES if styles is None else styles)
    chinese = ["expressway", "national", "provincial", "county", "township", "village", "track"]
    if roads is not None and field in roads.columns:
        present = set(roads[field].dropna().astype(str).unique())
        keys = [k for k in table if k in present] or [k for k in chinese if k in table]
    else:
        keys = [k for k in chinese if k in table] if styles is None else list(table)
    cats = {k: (table[k][0], table[k][1]) for k in keys}
    widths = {k: table[k][2] for k in keys}
    return categorized_qml(
        field,
        cats,
        "LineString",
        sizes_mm=widths,
        size_mm=0.25,
        other=((190, 190, 190), other_label),
        label_field=label_field,
        first_on_top=True,
    )


def catchment_qml(
    catchments: gpd.GeoDataFrame | None = None,
    *,
    field: str = "band_min",
    breaks_min: Sequence[float] | None = None,
    colors: Sequence[Color] | None = None,
    fill_alpha: float = 0.3,
    lang: str = "en",
) -> str:
    """Default catchment (isochrone) style: one class and colour per band of the data
    (``band_min`` values, e.g. "within 10 min", "within 20 min"), a light fill, the widest band
    drawn first. Without data (or with ``breaks_min``) the classes are those limits.

    Examples
    --------
    >>> import geopandas as gpd
    >>> from shapely.geometry import box
    >>> c = gpd.GeoDataFrame({"band_min": [10.0, 20.0]}, geometry=[box(0, 0, 1, 1)] * 2)
    >>> qml = catchment_qml(c)
    >>> 'label="within 10 min"' in qml and 'label="within 20 min"' in qml
    True
    """

    if breaks_min is None and catchments is not None and field in catchments.columns:
        bands = [float(b) for b in catchments[field].dropna().unique()]
    else:
        edges = [float(b) for b in (breaks_min or CATCHMENT_BREAKS_MIN)]
        bands = [b for b in edges[1:] if b != float("inf")]
    return catchment_style(bands or [15.0], lang, field=field, colors=colors, fill_alpha=fill_alpha)


def township_qml(
    townships: gpd.GeoDataFrame,
    field: str | None = None,
    *,
    colors: Sequence[Color] = TOWNSHIP_COLORS,
    label_field: str | None = None,
    lang: str = "en",
) -> str:
    """Default township-summary style: graduated fill (quantile classes) on a numeric column.

    Parameters
    ----------
    townships
        Township polygons with summary columns.
    field
        Numeric column; when ``None`` the first numeric column whose name contains
        ``coverage``, ``share``, ``rate`` or ``_min`` (else the first numeric column). A layer
        without numeric columns gets an outline style.
    colors
        One colour per class; up to ``len(colors)`` quantile classes.
    label_field
        Field to label townships with; ``"name"`` or ``"township"`` when present.

    Examples
    --------
    >>> import geopandas as gpd
    >>> from shapely.geometry import box
    >>> t = gpd.GeoDataFrame({"rate": [0.2, 0.8]}, geometry=[box(0, 0, 1, 1), box(1, 0, 2, 1)])
    >>> 'type="graduatedSymbol"' in township_qml(t)
    True
    """
    import numpy as np
    import pandas as pd

    from ..errors import MissingColumnError, suggest

    if label_field is None:
        label_field = next((c for c in ("name", "township") if c in townships.columns), None)
    gtype = geometry_type_of(townships)
    numeric = [
        str(c)
        for c in townships.columns
        if c != townships.geometry.name
        and pd.api.types.is_numeric_dtype(townships[c])
        and not pd.api.types.is_bool_dtype(townships[c])
    ]
    if field is None:
        preferred = [c for c in numeric if re.search(r"coverage|share|rate|_min", c)]
        field = preferred[0] if preferred else numeric[0] if numeric else None
    elif field not in townships.columns:
        raise MissingColumnError(
            f"townships have no column {field!r} to style.{suggest(field, townships.columns)}"
        )
    values = (
        pd.to_numeric(townships[field], errors="coerce").replace([np.inf, -np.inf], np.nan)
        if field is not None
        else pd.Series(dtype=float)
    )
    values = values.dropna()
    if field is not None and field.endswith("_coverage") and not values.empty:
        return coverage_style(gtype, field, lang, label_field)
    if field is None or values.empty or values.min() == values.max():
        return single_qml(
            gtype, "#f0f0f0", fill_alpha=0.5, outline=(80, 80, 80), label_field=label_field
        )
    k = min(len(colors), values.nunique())
    edges = np.unique(np.quantile(values.to_numpy(), np.linspace(0, 1, k + 1)))
    edges[0], edges[-1] = values.min(), values.max()
    n = len(edges) - 1
    labels = [f"{edges[i]:.3g} - {edges[i + 1]:.3g}" for i in range(n)]
    picks = np.linspace(0, len(colors) - 1, n).round().astype(int)
    return graduated_qml(
        field,
        edges.tolist(),
        [colors[i] for i in picks],
        gtype,
        labels,
        null_class=((255, 255, 255), "no data"),
        label_field=label_field,
        outline=(80, 80, 80),
    )


_KINDS = ("villages", "facilities", "roads", "catchments", "townships")


def _kind(name: str, gdf: gpd.GeoDataFrame) -> str | None:
    lname = name.lower()
    for kind in _KINDS:
        if lname == kind or lname.startswith(kind) or lname.startswith(kind[:-1]):
            return kind
    cols = set(map(str, gdf.columns))
    stype = symbol_type(geometry_type_of(gdf)) if len(gdf) else None
    if "road_class" in cols and stype == "line":
        return "roads"
    if "band_min" in cols and stype == "fill":
        return "catchments"
    if "service" in cols and stype == "marker":
        return "facilities"
    if any(c.endswith("_nearest_min") for c in cols):
        return "villages"
    return None


def default_qml(name: str, gdf: gpd.GeoDataFrame, lang: str = "en") -> str:
    """The default style for one layer, chosen by its name (``villages``, ``facilities``,
    ``roads``, ``catchments``, ``townships``, or names starting so) or else by its columns; a
    single symbol for anything else.

    Examples
    --------
    >>> import geopandas as gpd
    >>> from shapely.geometry import LineString
    >>> r = gpd.GeoDataFrame({"road_class": ["county"]}, geometry=[LineString([(0, 0), (1, 1)])])
    >>> 'attr="road_class"' in default_qml("roads", r)
    True
    """
    if name.lower().startswith("bus_"):
        return bus_qml(name, gdf, lang)
    from .tiers import tier_layer_qml  # referrals, schools_audit, tier_closure

    tiered = tier_layer_qml(name, gdf)
    if tiered is not None:
        return tiered
    kind = _kind(name, gdf)
    if kind == "villages" and lang != "en":
        from ..i18n import text

        edges = [float(b) for b in TIME_BREAKS_MIN]
        return village_qml(
            gdf,
            labels=time_labels(edges, lang),
            unreachable=(UNREACHABLE[0], text("unreachable", lang)),
        )
    if kind == "villages":
        return village_qml(gdf)
    if kind == "facilities" and "service" in gdf.columns:
        return facility_qml(gdf)
    if kind == "roads" and "road_class" in gdf.columns:
        return road_qml(gdf)
    if kind == "catchments" and "band_min" in gdf.columns:
        return catchment_qml(gdf, lang=lang)
    if kind == "townships":
        return township_qml(gdf, lang=lang)
    return single_qml(geometry_type_of(gdf))


#: Bus line kinds (:func:`accessibility.transit.transit_layers`): colour, legend label, width.
BUS_LINE_STYLES: dict[str, tuple[Color, str, float]] = {
    "frequent": ((200, 30, 45), "county line with a headway (城乡公交)", 0.9),
    "few_runs": ((235, 140, 20), "a few runs a day (村村通客车)", 0.6),
    "school": ((120, 60, 170), "school run, pupils only (校车)", 0.6),
}
#: The legend labels of the bus line kinds in Chinese.
BUS_LINE_LABELS_ZH: dict[str, str] = {
    "frequent": "城乡公交（按发车间隔运营）",
    "few_runs": "村村通客车（每天几班）",
    "school": "校车（仅限学生乘坐）",
}


def bus_qml(name: str, gdf: gpd.GeoDataFrame, lang: str = "en") -> str:
    """Default style of the bus layers of a run: ``bus_lines`` by ``kind`` (county lines wide
    red, village runs orange, school runs purple), ``bus_stops`` as small white squares labelled
    by name.

    Examples
    --------
    >>> import geopandas as gpd
    >>> from shapely.geometry import LineString
    >>> b = gpd.GeoDataFrame({"kind": ["school"]}, geometry=[LineString([(0, 0), (1, 1)])])
    >>> 'value="school"' in bus_qml("bus_lines", b)
    True
    """
    if name.lower().startswith("bus_lines") and "kind" in gdf.columns:
        cats = {
            k: (c, BUS_LINE_LABELS_ZH[k] if lang == "zh" else label)
            for k, (c, label, _) in BUS_LINE_STYLES.items()
        }
        widths = {k: w for k, (_, _, w) in BUS_LINE_STYLES.items()}
        return categorized_qml(
            "kind", cats, "LineString", sizes_mm=widths, size_mm=0.5, label_field="line_name"
        )
    label = "name" if "name" in gdf.columns else None
    return single_qml(
        geometry_type_of(gdf) if len(gdf) else "Point",
        (255, 255, 255),
        size_mm=1.6,
        outline=(200, 30, 45),
        label_field=label,
    )


def default_styles(
    layers: Mapping[str, gpd.GeoDataFrame], *, lang: str | None = None, standards: object = None
) -> dict[str, str]:
    """Default QML for every layer of ``{name: GeoDataFrame}`` (see :func:`default_qml`); with
    ``lang`` (``"zh"``/``"en"``) legends are in that language and every style carries field
    aliases (readers' column names, :func:`accessibility.i18n.column_labels`).

    Examples
    --------
    >>> import geopandas as gpd
    >>> from shapely.geometry import Point
    >>> f = gpd.GeoDataFrame({"service": ["clinic"]}, geometry=[Point(0, 0)])
    >>> sorted(default_styles({"facilities": f}))
    ['facilities']
    """
    if lang is None:
        return {name: default_qml(name, gdf) for name, gdf in layers.items()}
    from ..i18n import column_labels

    out = {}
    for name, gdf in layers.items():
        labels = column_labels(layer_fields(gdf), lang, standards)
        out[name] = with_aliases(default_qml(name, gdf, lang), labels)
    return out
