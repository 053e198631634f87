"""The interactive map (offline Leaflet): features as GeoJSON in a page rendered from a template.

The Python prepares data only (layers as GeoJSON with their colours, legend sections); the page
itself is ``templates/interactive.html`` (:class:`string.Template`), with Leaflet's JavaScript and
CSS inlined from ``static/``.
The examples run on the demo county with the setup of :mod:`accessibility.maps`.
"""

from __future__ import annotations

import html
import json
import logging
import math
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from string import Template
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

if TYPE_CHECKING:
    import geopandas as gpd

from ..errors import InvalidValueError, MissingColumnError, suggest
from .classes import (
    UNREACHABLE_COLOR,
    class_colors,
    column_classes,
    format_limit,
)
from .frame import check_layer
from .layers import band_colors, dissolved_bands

logger = logging.getLogger(__name__)


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
        from .._files import atomic_path

        with atomic_path(path, overwrite=overwrite) as tmp:
            with open(tmp, "w", encoding="utf-8") as fh:
                fh.write(self.html)
        return os.fspath(path)

    def __repr__(self) -> str:
        return f"<InteractiveMap {self.title!r}, {len(self.html) / 1e3:.0f} kB>"


def _static_text(name: str) -> str:
    from importlib import resources

    return (
        resources.files("accessibility.maps").joinpath("static", name).read_text(encoding="utf-8")
    )


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
    gdf: Any, columns: Sequence[str], extra: Mapping[str, Sequence[Any] | np.ndarray]
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


def interactive_map(
    layer: gpd.GeoDataFrame,
    column: str,
    *,
    facilities: gpd.GeoDataFrame | None = None,
    roads: gpd.GeoDataFrame | None = None,
    catchments: gpd.GeoDataFrame | None = None,
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
    check_layer(layer, "villages")
    if column not in layer.columns:
        raise MissingColumnError(
            f"the layer has no column {column!r}.{suggest(column, layer.columns)}"
        )
    if popup_columns is None:
        popup_columns = [
            c for c in ("name", "name_pinyin", "township", "population") if c in layer.columns
        ]
        popup_columns.append(column)
    village_layer, village_legend = _village_layer(
        layer,
        column,
        breaks=breaks,
        classes=classes,
        scheme=scheme,
        cmap=cmap,
        popup_columns=popup_columns,
        tooltip_column=tooltip_column,
        title=title,
    )
    layers: list[dict[str, Any]] = []
    legend: list[dict[str, Any]] = [village_legend]
    if catchments is not None:
        catchment_layer, catchment_legend = _catchment_layer(catchments, band_column)
        layers.append(catchment_layer)
        legend.append(catchment_legend)
    if roads is not None:
        layers.append(_road_layer(roads, road_class_column))
    layers.append(village_layer)
    if facilities is not None:
        facility_layer, facility_legend = _facility_layer(facilities, service_column)
        layers.append(facility_layer)
        legend.append(facility_legend)
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
    page = render_page(config, title=the_title, background=background)
    return InteractiveMap(html=page, title=the_title, height_px=int(height_px))


def _village_layer(
    layer: Any,
    column: str,
    *,
    breaks: Sequence[float] | None,
    classes: int,
    scheme: str | None,
    cmap: str | Sequence[str] | None,
    popup_columns: Sequence[str],
    tooltip_column: str | None,
    title: str | None,
) -> tuple[dict[str, Any], dict[str, Any]]:
    """The villages coloured by class of ``column``, and their legend section (first)."""
    classes_ = column_classes(
        layer[column], column, breaks=breaks, classes=classes, scheme=scheme, cmap=cmap
    )
    b, cls, colors, names = classes_.breaks, classes_.cls, classes_.colors, classes_.names
    missing = [c for c in popup_columns if c not in layer.columns]
    if missing:
        raise MissingColumnError(
            f"popup_columns {missing} are not columns of the layer.{suggest(missing[0], layer.columns)}"
        )
    popup_columns = list(dict.fromkeys(popup_columns))
    color_of = np.array([colors[c] if c >= 0 else UNREACHABLE_COLOR for c in cls], dtype=object)
    data = {
        "data": _geojson(layer, popup_columns, {"_color": color_of}),
        "popup": popup_columns,
        "tooltip": tooltip_column if tooltip_column in layer.columns else None,
        "radius": 5,
        "fillOpacity": 0.85,
        "opacity": 1,
    }
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
    return data, {"title": title or column, "items": items}


def _catchment_layer(catchments: Any, band_column: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """Catchment bands, widest first, and their legend section."""
    check_layer(catchments, "catchments")
    bands = dissolved_bands(catchments, band_column)
    pal = band_colors([float(x) for x in bands[band_column]])
    bands = bands.sort_values(band_column, ascending=False)
    bcol = [pal[float(x)] for x in bands[band_column]]
    data = {
        "data": _geojson(bands, [band_column], {"_color": bcol}),
        "popup": [band_column],
        "tooltip": None,
        "radius": 4,
        "fillOpacity": 0.3,
        "opacity": 0.6,
    }
    legend = {
        "title": "catchment",
        "items": [
            {"label": f"≤ {format_limit(float(x))} min", "color": pal[float(x)], "shape": ""}
            for x in sorted(bands[band_column])
        ],
    }
    return data, legend


def _road_layer(roads: Any, road_class_column: str) -> dict[str, Any]:
    """Roads coloured and weighted by class, as in the QGIS styles."""
    from ..styles import ROAD_STYLES

    check_layer(roads, "roads")
    rc = (
        roads[road_class_column].astype("string").fillna("")
        if road_class_column in roads.columns
        else pd.Series("", index=roads.index)
    )
    style = [ROAD_STYLES.get(c, ("#bbbbbb", "", 0.25)) for c in rc]
    columns = [c for c in (road_class_column, "name") if c in roads.columns]
    return {
        "data": _geojson(
            roads,
            columns,
            {
                "_color": [s[0] for s in style],
                "_weight": [max(1.0, s[2] * 2.2) for s in style],
            },
        ),
        "popup": columns,
        "tooltip": None,
        "radius": 3,
        "fillOpacity": 0,
        "opacity": 0.9,
    }


def _facility_layer(facilities: Any, service_column: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """Facilities coloured by service, and their legend section."""
    from ..styles import SERVICE_STYLES

    check_layer(facilities, "facilities")
    svc = (
        facilities[service_column].astype("string").fillna("facility")
        if service_column in facilities.columns
        else pd.Series("facility", index=facilities.index)
    )
    extra_colors = class_colors("tab10", 10)
    pal_f: dict[str, str] = {}
    for s in dict.fromkeys(svc):
        pal_f[s] = SERVICE_STYLES[s][0] if s in SERVICE_STYLES else extra_colors[len(pal_f) % 10]
    fcols = [c for c in ("name", service_column, "capacity") if c in facilities.columns]
    data = {
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
    legend = {
        "title": "facilities",
        "items": [
            {
                "label": SERVICE_STYLES[s][1] if s in SERVICE_STYLES else str(s).replace("_", " "),
                "color": c,
                "shape": "pt",
            }
            for s, c in pal_f.items()
        ],
    }
    return data, legend


def render_page(config: Mapping[str, Any], *, title: str, background: str) -> str:
    """The whole HTML page: ``templates/interactive.html`` with Leaflet and the map's data inlined.

    Parameters
    ----------
    config
        What the page's script draws: ``title``, ``layers`` (GeoJSON and styles), ``legend``,
        ``tiles``, ``tileAttribution``, ``attribution``; embedded as JSON.
    title
        Page title (escaped here).
    background
        Page colour behind the features (escaped here).

    Returns
    -------
    str
        The self-contained HTML document.
    """
    import re

    css = _static_text("leaflet.css")
    # no image fetches from the page (Leaflet's default marker and layer-control icons are unused)
    css = re.sub(r"url\(images/[^)]*\)", "none", css)
    template = Template(_package_text("templates/interactive.html"))
    return template.substitute(
        title=html.escape(title),
        leaflet_css=css,
        leaflet_js=_static_text("leaflet.js"),
        config=_script_json(config),
        background=html.escape(background),
    )


def _package_text(name: str) -> str:
    from importlib import resources

    return resources.files("accessibility.maps").joinpath(name).read_text(encoding="utf-8")
