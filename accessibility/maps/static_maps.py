"""Static maps (matplotlib): a per-village column, and catchment bands."""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from ..errors import EmptyLayerError, MissingColumnError, suggest
from .classes import (
    UNREACHABLE_COLOR,
    UNREACHABLE_LABEL,
    ColumnClasses,
    column_classes,
    format_limit,
)
from .frame import (
    add_legends,
    add_north_arrow,
    add_scale_bar,
    check_layer,
    draw_crs,
    in_crs,
    map_bounds,
    new_axes,
    set_frame,
)
from .labels import bilingual, label_villages, pin_fonts
from .layers import band_colors, dissolved_bands, draw_bands, draw_facilities, draw_roads

if TYPE_CHECKING:
    import geopandas as gpd
    from matplotlib.axes import Axes

logger = logging.getLogger(__name__)


def village_map(
    layer: gpd.GeoDataFrame,
    column: str,
    *,
    ax: Axes | None = None,
    roads: gpd.GeoDataFrame | None = None,
    facilities: gpd.GeoDataFrame | None = None,
    catchments: gpd.GeoDataFrame | None = None,
    units: gpd.GeoDataFrame | None = None,
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
    from ..charts import font_context

    check_layer(layer, "villages")
    if column not in layer.columns:
        raise MissingColumnError(
            f"the layer has no column {column!r}.{suggest(column, layer.columns)}"
        )
    if len(layer) == 0:
        raise EmptyLayerError("the village layer is empty: nothing to map")
    crs, vil, others = _in_draw_crs(
        layer, roads=roads, facilities=facilities, catchments=catchments, units=units
    )
    roads, facilities, catchments, units = others.values()
    classes_ = column_classes(
        vil[column], column, breaks=breaks, classes=classes, scheme=scheme, cmap=cmap
    )
    bounds = map_bounds(
        units if units is not None else vil, None if units is not None else facilities
    )
    with font_context():
        fig, ax = new_axes(ax, bounds)
        layer_handles: list[Any] = []
        if catchments is not None:
            bands = dissolved_bands(catchments, band_column)
            layer_handles += draw_bands(ax, bands, band_column, alpha=0.22, unit="min")
        _draw_units_and_roads(ax, units, roads, road_class_column, layer_handles)
        geom, value_handles = _draw_classed_villages(ax, vil, classes_, marker_size_pt)
        if facilities is not None:
            layer_handles = draw_facilities(ax, facilities, service_column) + layer_handles
        _finish(
            fig,
            ax,
            crs,
            bounds,
            legend=(value_handles, legend_title or column, layer_handles),
            title=title if title is not None else column,
            labelled=(vil, geom, labels, label_column, label_fallback),
            scale_bar=scale_bar,
            north_arrow=north_arrow,
        )
    return fig


def _in_draw_crs(main: Any, **others: Any) -> tuple[Any, Any, dict[str, Any]]:
    """The drawing CRS of ``main``, and ``main`` and the other layers (None stays None) in it."""
    crs = draw_crs(main)
    main = main.to_crs(crs) if main.crs != crs else main
    return crs, main, {what: in_crs(gdf, crs, what) for what, gdf in others.items()}


def _draw_units_and_roads(
    ax: Any, units: Any, roads: Any, road_class_column: str, layer_handles: list[Any]
) -> None:
    """Unit outlines (dashed) and roads by class, under the villages; road handles appended."""
    if units is not None:
        units.boundary.plot(ax=ax, color="0.45", linewidth=0.7, linestyle="--", zorder=0.8)
    if roads is not None:
        layer_handles += draw_roads(ax, roads, road_class_column)


def _finish(
    fig: Any,
    ax: Any,
    crs: Any,
    bounds: Any,
    *,
    legend: tuple[list[Any], str, list[Any]],
    title: str,
    labelled: tuple[Any, Any, Any, str, str | None] | None,
    scale_bar: bool,
    north_arrow: bool,
) -> None:
    """Frame, legends, title, village labels, scale bar, north arrow and pinned fonts."""
    set_frame(ax, bounds)
    add_legends(ax, *legend)
    ax.set_title(title, fontsize=10)
    # fix the final limits (aspect adjusts them at draw time) before measuring for the scale bar
    ax.apply_aspect()
    if labelled is not None:
        label_villages(ax, *labelled)
    if scale_bar:
        add_scale_bar(ax, crs)
    if north_arrow:
        add_north_arrow(ax, crs)
    pin_fonts(fig)


def _draw_classed_villages(
    ax: Any, vil: Any, classes_: ColumnClasses, marker_size_pt: float
) -> tuple[Any, list[Any]]:
    """Villages coloured by class (points, or filled polygons), then the unreachable ones.

    Returns the label anchor points and the legend handles of the classes.
    """
    points = (vil.geometry.geom_type == "Point").all()
    geom = vil.geometry if points else vil.geometry.representative_point()
    x, y = geom.x.to_numpy(), geom.y.to_numpy()
    cls, colors, names = classes_.cls, classes_.colors, classes_.names
    handles: list[Any] = []
    for i in range(classes_.breaks.size - 1):
        m = cls == i
        label = f"{names[i]} ({int(m.sum())})"
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
            handles.append(
                _marker_handle(
                    "o", marker_size_pt + 1, colors[i], "0.25", label, markeredgewidth=0.4
                )
            )
        else:
            from matplotlib.patches import Patch

            if m.any():
                vil.loc[m].plot(ax=ax, color=colors[i], edgecolor="0.4", linewidth=0.3, zorder=3)
            handles.append(Patch(facecolor=colors[i], edgecolor="0.4", label=label))
    none = cls == -1
    if none.any():
        label = f"{bilingual(UNREACHABLE_LABEL[0])} ({int(none.sum())})"
        if points:
            _scatter_unreachable(ax, x[none], y[none], (marker_size_pt * 1.3) ** 2)
            handles.append(
                _marker_handle("X", marker_size_pt + 2, UNREACHABLE_COLOR, "white", label)
            )
        else:
            from matplotlib.patches import Patch

            vil.loc[none].plot(
                ax=ax,
                color="white",
                edgecolor=UNREACHABLE_COLOR,
                hatch="xxx",
                linewidth=0.5,
                zorder=3,
            )
            handles.append(
                Patch(facecolor="white", edgecolor=UNREACHABLE_COLOR, hatch="xxx", label=label)
            )
    return geom, handles


def _scatter_unreachable(ax: Any, x: Any, y: Any, size: float) -> None:
    """Purple crosses with a white edge: villages that reach nothing (or lie outside every band)."""
    ax.scatter(
        x,
        y,
        s=size,
        marker="X",
        c=UNREACHABLE_COLOR,
        edgecolors="white",
        linewidths=0.4,
        zorder=6,
    )


def _marker_handle(
    marker: str, size: float, face: str | None, edge: str | None, label: str, **kwargs: Any
) -> Any:
    """A legend entry showing one marker (face and edge None: the line colour)."""
    from matplotlib.lines import Line2D

    return Line2D(
        [],
        [],
        ls="",
        marker=marker,
        markersize=size,
        markerfacecolor=face,
        markeredgecolor=edge,
        label=label,
        **kwargs,
    )


def catchment_map(
    catchments: gpd.GeoDataFrame,
    *,
    ax: Axes | None = None,
    band_column: str = "band_min",
    service: str | None = None,
    service_column: str = "service",
    villages: gpd.GeoDataFrame | None = None,
    roads: gpd.GeoDataFrame | None = None,
    facilities: gpd.GeoDataFrame | None = None,
    units: gpd.GeoDataFrame | None = None,
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
    from ..charts import font_context

    check_layer(catchments, "catchments")
    cat, facilities = _select_service(catchments, facilities, service, service_column)
    crs, cat, others = _in_draw_crs(
        cat, villages=villages, roads=roads, facilities=facilities, units=units
    )
    villages, roads, facilities, units = others.values()
    bands = dissolved_bands(cat, band_column)
    unit = "m" if band_column.endswith("_m") else "min"
    bounds_layer = units if units is not None else (villages if villages is not None else bands)
    bounds = map_bounds(bounds_layer, None if units is not None else facilities)
    with font_context():
        fig, ax = new_axes(ax, bounds)
        if colors is not None:
            palette = {float(k): v for k, v in colors.items()}
        else:
            palette = band_colors([float(b) for b in bands[band_column]])
        band_handles = _draw_palette_bands(ax, bands, band_column, palette, alpha=alpha, unit=unit)
        layer_handles: list[Any] = []
        _draw_units_and_roads(ax, units, roads, road_class_column, layer_handles)
        labelled = None
        if villages is not None:
            geom = _draw_villages_in_bands(ax, villages, bands, band_column, band_handles)
            labelled = (villages, geom, labels, label_column, label_fallback)
        if facilities is not None:
            layer_handles = draw_facilities(ax, facilities, service_column) + layer_handles
        default_title = "Catchments" + (f": {service.replace('_', ' ')}" if service else "")
        _finish(
            fig,
            ax,
            crs,
            bounds,
            legend=(band_handles, "catchment" if unit == "min" else "radius", layer_handles),
            title=title if title is not None else default_title,
            labelled=labelled,
            scale_bar=scale_bar,
            north_arrow=north_arrow,
        )
    return fig


def _select_service(
    catchments: Any, facilities: Any, service: str | None, service_column: str
) -> tuple[Any, Any]:
    """The catchments (and facilities) of ``service``; all of them when it is None."""
    if service is None:
        return catchments, facilities
    if service_column not in catchments.columns:
        raise MissingColumnError(
            f"catchments have no column {service_column!r} to select service={service!r}"
            f"{suggest(service_column, catchments.columns)}"
        )
    cat = catchments[catchments[service_column].astype(str) == service]
    if len(cat) == 0:
        raise EmptyLayerError(
            f"no catchments of service {service!r}; services present: "
            f"{sorted(catchments[service_column].astype(str).unique())}"
        )
    if facilities is not None and service_column in facilities.columns:
        facilities = facilities[facilities[service_column].astype(str) == service]
    return cat, facilities


def _draw_palette_bands(
    ax: Any, bands: Any, band_column: str, palette: Mapping[float, str], *, alpha: float, unit: str
) -> list[Any]:
    """Bands from the widest to the narrowest in the given colours; legend handles narrowest first."""
    from matplotlib.patches import Patch

    handles = []
    for _, row in bands.sort_values(band_column, ascending=False).iterrows():
        bval = float(row[band_column])
        gs = type(bands.geometry)([row.geometry], crs=bands.crs)
        color = palette.get(bval, "#999999")
        gs.plot(ax=ax, color=color, alpha=alpha, linewidth=0, zorder=0.5)
        gs.boundary.plot(ax=ax, color=color, linewidth=0.8, zorder=0.6)
        handles.append(
            Patch(
                facecolor=color,
                alpha=alpha,
                edgecolor=color,
                label=f"≤ {format_limit(bval)} {unit}",
            )
        )
    return handles[::-1]


def _draw_villages_in_bands(
    ax: Any, villages: Any, bands: Any, band_column: str, handles: list[Any]
) -> Any:
    """Villages inside the widest band as dots, the others as purple crosses; returns the points."""
    geom = villages.geometry
    if not (geom.geom_type == "Point").all():
        geom = geom.representative_point()
    outer = bands.geometry.iloc[int(np.argmax(bands[band_column].to_numpy()))]
    inside = geom.within(outer).to_numpy() if outer is not None else np.zeros(len(geom), bool)
    ax.scatter(geom.x[inside], geom.y[inside], s=9, c="0.2", linewidths=0, zorder=5)
    handles.append(
        _marker_handle("o", 4, None, None, f"village ({int(inside.sum())})", color="0.2")
    )
    if (~inside).any():
        _scatter_unreachable(ax, geom.x[~inside], geom.y[~inside], 30)
        handles.append(
            _marker_handle(
                "X",
                6,
                UNREACHABLE_COLOR,
                "white",
                f"outside all bands ({int((~inside).sum())})",
            )
        )
    return geom
