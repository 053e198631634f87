"""QGIS layer styles (QML) built as text, without QGIS.

The functions here return a QML document (a ``str``) that QGIS 3.22 and later read as a layer's
style. :func:`accessibility.io.write_geopackage` stores them in the GeoPackage's ``layer_styles``
table so the layers open styled in QGIS.

Symbol-layer properties are written both as ``<Option>`` maps (read by QGIS >= 3.16, including
3.40) and as legacy ``<prop k= v=>`` elements (read by older versions), exactly as QGIS 3.22 itself
saves them.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from typing import Any
from xml.sax.saxutils import quoteattr

__all__ = [
    "Color",
    "categorized_qml",
    "graduated_qml",
    "single_qml",
    "symbol_type",
]

#: A colour: ``"#rrggbb"``, ``"#rrggbbaa"``, ``(r, g, b)`` or ``(r, g, b, a)`` with 0-255 ints.
Color = str | tuple[int, int, int] | tuple[int, int, int, int]

_SYMBOL_TYPES = {
    "marker": "marker",
    "point": "marker",
    "multipoint": "marker",
    "line": "line",
    "linestring": "line",
    "multilinestring": "line",
    "fill": "fill",
    "polygon": "fill",
    "multipolygon": "fill",
}
_GEOMETRY_CODE = {"marker": 0, "line": 1, "fill": 2}

# A value no travel time reaches: NULL (unreachable) features are mapped to it by the graduated
# renderer's expression so that they fall into their own, explicitly labelled class.
NULL_SENTINEL = 1e15
# Upper bound written for an open-ended last class (QGIS cannot read "inf" back reliably).
OPEN_UPPER = 1e12


def symbol_type(geometry_type: str) -> str:
    """Map a geometry type name (``"Point"``, ``"MultiLineString"``, ``"fill"``...) to a QGIS
    symbol type (``"marker"``, ``"line"`` or ``"fill"``).

    Raises
    ------
    ValueError
        For an unknown geometry type.

    Examples
    --------
    >>> symbol_type("MultiPolygon")
    'fill'
    """
    from ..errors import InvalidValueError, suggest

    key = str(geometry_type).strip().lower().replace(" ", "")
    key = re.sub(r"(z|m|zm)$", "", key) if key not in _SYMBOL_TYPES else key
    try:
        return _SYMBOL_TYPES[key]
    except KeyError:
        raise InvalidValueError(
            f"unknown geometry type {geometry_type!r}; use one of Point, LineString, Polygon "
            f"(or marker, line, fill).{suggest(key, _SYMBOL_TYPES)}"
        ) from None


def _rgba(color: Color, alpha: float | None = None) -> str:
    """Return QGIS's ``"r,g,b,a"`` for a colour; ``alpha`` (0-1) overrides its alpha."""
    from ..errors import InvalidValueError

    if isinstance(color, str):
        text = color.strip().lstrip("#")
        if not re.fullmatch(r"[0-9a-fA-F]{6}([0-9a-fA-F]{2})?", text):
            raise InvalidValueError(
                f"colour {color!r} is not '#rrggbb' or '#rrggbbaa'; write e.g. '#1a9850'"
            )
        parts = [int(text[i : i + 2], 16) for i in range(0, len(text), 2)]
    else:
        parts = [int(c) for c in color]
        if len(parts) not in (3, 4) or not all(0 <= c <= 255 for c in parts):
            raise InvalidValueError(
                f"colour {color!r} must be 3 or 4 integers between 0 and 255 (r, g, b[, a])"
            )
    if len(parts) == 3:
        parts.append(255)
    if alpha is not None:
        parts[3] = round(255 * float(alpha))
    return ",".join(str(p) for p in parts)


def _num(value: float) -> str:
    """A number as QGIS writes it (fixed point, no exponent)."""
    return f"{float(value):.15f}"


def _options(props: Mapping[str, Any], indent: str) -> str:
    keys = sorted(props)
    opts = "".join(
        f'{indent}  <Option type="QString" name={quoteattr(k)} value={quoteattr(str(props[k]))}/>\n'
        for k in keys
    )
    legacy = "".join(
        f"{indent}<prop k={quoteattr(k)} v={quoteattr(str(props[k]))}/>\n" for k in keys
    )
    return f'{indent}<Option type="Map">\n{opts}{indent}</Option>\n{legacy}'


def _symbol_props(
    stype: str,
    color: Color,
    *,
    size_mm: float | None,
    outline: Color,
    outline_width_mm: float | None,
    alpha: float | None,
) -> tuple[str, dict[str, Any]]:
    rgba = _rgba(color, alpha)
    if stype == "marker":
        return "SimpleMarker", {
            "angle": "0",
            "color": rgba,
            "name": "circle",
            "outline_color": _rgba(outline),
            "outline_style": "solid",
            "outline_width": f"{0.2 if outline_width_mm is None else outline_width_mm:g}",
            "outline_width_unit": "MM",
            "scale_method": "diameter",
            "size": f"{2.6 if size_mm is None else size_mm:g}",
            "size_unit": "MM",
            "offset": "0,0",
            "offset_unit": "MM",
            "joinstyle": "bevel",
            "horizontal_anchor_point": "1",
            "vertical_anchor_point": "1",
        }
    if stype == "line":
        return "SimpleLine", {
            "line_color": rgba,
            "line_style": "solid",
            "line_width": f"{0.4 if size_mm is None else size_mm:g}",
            "line_width_unit": "MM",
            "capstyle": "round",
            "joinstyle": "round",
            "offset": "0",
            "offset_unit": "MM",
            "use_custom_dash": "0",
        }
    return "SimpleFill", {
        "color": rgba,
        "style": "solid",
        "outline_color": _rgba(outline),
        "outline_style": "solid",
        "outline_width": f"{0.26 if outline_width_mm is None else outline_width_mm:g}",
        "outline_width_unit": "MM",
        "joinstyle": "bevel",
        "offset": "0,0",
        "offset_unit": "MM",
    }


def _symbol(
    name: str,
    stype: str,
    color: Color,
    *,
    size_mm: float | None = None,
    outline: Color = (50, 50, 50),
    outline_width_mm: float | None = None,
    alpha: float | None = None,
    render_pass: int = 0,
) -> str:
    cls, props = _symbol_props(
        stype,
        color,
        size_mm=size_mm,
        outline=outline,
        outline_width_mm=outline_width_mm,
        alpha=alpha,
    )
    ind = "        "
    return (
        f'      <symbol type="{stype}" name={quoteattr(name)} alpha="1" clip_to_extent="1" '
        'force_rhr="0">\n'
        f'{ind}<layer class="{cls}" enabled="1" locked="0" pass="{int(render_pass)}">\n'
        f"{_options(props, ind + '  ')}"
        f"{ind}</layer>\n"
        "      </symbol>\n"
    )


def _labeling(label_field: str | None, stype: str) -> str:
    if not label_field:
        return ""
    # placement: 1 = around point (markers), 2 = parallel/line, 0 = around centroid
    placement = {"marker": 1, "line": 2, "fill": 0}[stype]
    return (
        '  <labeling type="simple">\n'
        "    <settings>\n"
        f'      <text-style fieldName={quoteattr(label_field)} isExpression="0" '
        'fontFamily="Sans Serif" fontSize="8" fontSizeUnit="Point" textColor="30,30,30,255" '
        'textOpacity="1" namedStyle="Regular" fontWeight="50">\n'
        '        <text-buffer bufferDraw="1" bufferSize="0.8" bufferSizeUnits="MM" '
        'bufferColor="255,255,255,255" bufferOpacity="0.8" bufferJoinStyle="128"/>\n'
        "      </text-style>\n"
        '      <text-format wrapChar="" multilineAlign="3"/>\n'
        f'      <placement placement="{placement}" dist="1" distUnits="MM" priority="5" '
        'placementFlags="10" quadOffset="4"/>\n'
        '      <rendering drawLabels="1" obstacle="1" displayAll="0" scaleVisibility="0" '
        'upsidedownLabels="0" fontMaxPixelSize="10000" fontMinPixelSize="3" '
        'maxNumLabels="2000" limitNumLabels="0" mergeLines="0" labelPerPart="0"/>\n'
        "    </settings>\n"
        "  </labeling>\n"
    )


def _document(renderer: str, stype: str, label_field: str | None, opacity: float) -> str:
    labels = _labeling(label_field, stype)
    return (
        "<!DOCTYPE qgis PUBLIC 'http://mrcc.com/qgis.dtd' 'SYSTEM'>\n"
        f'<qgis version="3.22.0" styleCategories="AllStyleCategories" '
        f'labelsEnabled="{1 if labels else 0}" hasScaleBasedVisibilityFlag="0" '
        'minScale="100000000" maxScale="0">\n'
        f"{renderer}"
        f"{labels}"
        "  <blendMode>0</blendMode>\n"
        "  <featureBlendMode>0</featureBlendMode>\n"
        f"  <layerOpacity>{float(opacity):g}</layerOpacity>\n"
        f"  <layerGeometryType>{_GEOMETRY_CODE[stype]}</layerGeometryType>\n"
        "</qgis>\n"
    )


def _check_opacity(opacity: float) -> float:
    from ..errors import InvalidValueError

    if not 0.0 <= float(opacity) <= 1.0:
        raise InvalidValueError(f"opacity must be between 0 and 1, got {opacity!r}")
    return float(opacity)


def single_qml(
    geometry_type: str,
    color: Color = "#3182bd",
    *,
    size_mm: float | None = None,
    outline: Color = (50, 50, 50),
    fill_alpha: float | None = None,
    opacity: float = 1.0,
    label_field: str | None = None,
) -> str:
    """QML for one symbol drawn for every feature.

    Parameters
    ----------
    geometry_type
        ``"Point"``, ``"LineString"``, ``"Polygon"`` (multi-types too) or ``"marker"``/``"line"``/
        ``"fill"``.
    color
        Fill / line / marker colour.
    size_mm
        Marker diameter or line width in millimetres (QGIS defaults when ``None``).
    outline
        Outline colour of markers and polygons.
    fill_alpha
        Opacity (0-1) of the colour only (outlines stay opaque).
    opacity
        Opacity (0-1) of the whole layer.
    label_field
        Field to label features with; no labels when ``None``.

    Returns
    -------
    str
        A QML document.

    Examples
    --------
    >>> qml = single_qml("Polygon", "#cccccc", label_field="name")
    >>> 'type="singleSymbol"' in qml and 'fieldName="name"' in qml
    True
    """
    stype = symbol_type(geometry_type)
    renderer = (
        '  <renderer-v2 type="singleSymbol" symbollevels="0" forceraster="0" '
        'enableorderby="0">\n'
        "    <symbols>\n"
        + _symbol("0", stype, color, size_mm=size_mm, outline=outline, alpha=fill_alpha)
        + "    </symbols>\n"
        "  </renderer-v2>\n"
    )
    return _document(renderer, stype, label_field, _check_opacity(opacity))


def graduated_qml(
    field: str,
    breaks: Sequence[float],
    colors: Sequence[Color],
    geometry_type: str,
    labels: Sequence[str] | None = None,
    *,
    null_class: tuple[Color, str] | None = None,
    size_mm: float | None = None,
    outline: Color = (50, 50, 50),
    fill_alpha: float | None = None,
    opacity: float = 1.0,
    label_field: str | None = None,
) -> str:
    """QML for a graduated (classed) renderer on a numeric field.

    Class ``i`` holds values ``breaks[i] <= v <= breaks[i + 1]`` (QGIS takes the first class that
    matches, so a value on a break falls into the lower class). A last break of ``inf`` makes an
    open-ended class.

    Parameters
    ----------
    field
        Numeric field to classify.
    breaks
        ``n + 1`` increasing class limits for ``n`` classes.
    colors
        ``n`` colours, one per class.
    geometry_type
        Geometry type of the layer (see :func:`single_qml`).
    labels
        ``n`` legend labels; ``"a - b"`` when ``None``.
    null_class
        ``(colour, label)`` of an extra class for NULL values (for example unreachable villages,
        whose travel time is stored as NULL). The renderer then classifies the expression
        ``coalesce("field", 1e15)`` and the extra class holds exactly ``1e15``.
    size_mm, outline, fill_alpha, opacity, label_field
        As in :func:`single_qml`.

    Returns
    -------
    str
        A QML document.

    Examples
    --------
    >>> qml = graduated_qml("t_min", [0, 15, 30], ["#1a9850", "#fee08b"], "Point")
    >>> qml.count("<range ")
    2
    """
    from ..errors import InvalidValueError

    stype = symbol_type(geometry_type)
    edges = [float(b) for b in breaks]
    n = len(edges) - 1
    if n < 1:
        raise InvalidValueError(f"graduated_qml needs at least two breaks, got {list(breaks)!r}")
    if any(math.isnan(b) for b in edges) or any(edges[i] >= edges[i + 1] for i in range(n)):
        raise InvalidValueError(f"breaks must increase strictly, got {list(breaks)!r}")
    if len(colors) != n:
        raise InvalidValueError(f"{n} classes need {n} colours, got {len(colors)}")
    if labels is not None and len(labels) != n:
        raise InvalidValueError(f"{n} classes need {n} labels, got {len(labels)}")
    if labels is None:
        labels = [
            f"> {edges[i]:g}" if math.isinf(edges[i + 1]) else f"{edges[i]:g} - {edges[i + 1]:g}"
            for i in range(n)
        ]
    edges = [OPEN_UPPER if math.isinf(b) and b > 0 else b for b in edges]
    edges = [-OPEN_UPPER if math.isinf(b) else b for b in edges]

    ranges = []
    symbols = []
    for i in range(n):
        ranges.append(
            f'      <range symbol="{i}" lower="{_num(edges[i])}" upper="{_num(edges[i + 1])}" '
            f'label={quoteattr(str(labels[i]))} render="true"/>\n'
        )
        symbols.append(
            _symbol(str(i), stype, colors[i], size_mm=size_mm, outline=outline, alpha=fill_alpha)
        )
    attr = field
    if null_class is not None:
        null_color, null_label = null_class
        attr = f'coalesce("{field}", {NULL_SENTINEL:.0f})'
        ranges.append(
            f'      <range symbol="{n}" lower="{_num(NULL_SENTINEL)}" '
            f'upper="{_num(NULL_SENTINEL)}" label={quoteattr(str(null_label))} render="true"/>\n'
        )
        symbols.append(
            _symbol(str(n), stype, null_color, size_mm=size_mm, outline=outline, alpha=fill_alpha)
        )
    renderer = (
        f'  <renderer-v2 type="graduatedSymbol" attr={quoteattr(attr)} '
        'graduatedMethod="GraduatedColor" symbollevels="0" forceraster="0" enableorderby="0">\n'
        "    <ranges>\n" + "".join(ranges) + "    </ranges>\n"
        "    <symbols>\n" + "".join(symbols) + "    </symbols>\n"
        '    <classificationMethod id="Custom">\n'
        '      <labelFormat format="%1 - %2" labelprecision="1" trimtrailingzeroes="1"/>\n'
        "    </classificationMethod>\n"
        "  </renderer-v2>\n"
    )
    return _document(renderer, stype, label_field, _check_opacity(opacity))


def categorized_qml(
    field: str,
    categories: Mapping[Any, tuple[Color, str]],
    geometry_type: str,
    *,
    other: tuple[Color, str] | None = ((160, 160, 160), "other"),
    sizes_mm: Mapping[Any, float] | None = None,
    size_mm: float | None = None,
    outline: Color = (50, 50, 50),
    fill_alpha: float | None = None,
    opacity: float = 1.0,
    label_field: str | None = None,
    first_on_top: bool = False,
) -> str:
    """QML for a categorised renderer: one symbol per distinct value of a field.

    Parameters
    ----------
    field
        Field whose values pick the symbol.
    categories
        ``{value: (colour, legend label)}`` in legend order.
    geometry_type
        Geometry type of the layer (see :func:`single_qml`).
    other
        ``(colour, label)`` for every value not listed (QGIS's "all other values" category);
        ``None`` to leave such features undrawn.
    sizes_mm
        Marker size or line width per value (for example road width by class); values not listed
        use ``size_mm``.
    size_mm, outline, fill_alpha, opacity, label_field
        As in :func:`single_qml`.
    first_on_top
        Draw the categories in reverse order of ``categories`` (QGIS symbol levels), so that the
        first ones (hospitals, expressways) are drawn over the others.

    Returns
    -------
    str
        A QML document.

    Examples
    --------
    >>> qml = categorized_qml("service", {"clinic": ("#e41a1c", "村卫生室")}, "Point")
    >>> 'value="clinic"' in qml and 'attr="service"' in qml
    True
    """
    from ..errors import InvalidValueError

    stype = symbol_type(geometry_type)
    if not categories:
        raise InvalidValueError("categorized_qml needs at least one category")
    sizes = dict(sizes_mm or {})
    cats = []
    symbols = []
    items = list(categories.items())
    for i, (value, (color, label)) in enumerate(items):
        if value is None or value == "":
            raise InvalidValueError(
                "a category value cannot be None or ''; use other=(colour, label) for the rest"
            )
        value_text = "true" if value is True else "false" if value is False else str(value)
        cats.append(
            f'      <category symbol="{i}" value={quoteattr(value_text)} '
            f'label={quoteattr(str(label))} render="true"/>\n'
        )
        symbols.append(
            _symbol(
                str(i),
                stype,
                color,
                size_mm=sizes.get(value, size_mm),
                outline=outline,
                alpha=fill_alpha,
                render_pass=len(items) - i if first_on_top else 0,
            )
        )
    if other is not None:
        i = len(items)
        cats.append(
            f'      <category symbol="{i}" value="" label={quoteattr(str(other[1]))} '
            'render="true"/>\n'
        )
        symbols.append(
            _symbol(str(i), stype, other[0], size_mm=size_mm, outline=outline, alpha=fill_alpha)
        )
    renderer = (
        f'  <renderer-v2 type="categorizedSymbol" attr={quoteattr(field)} '
        f'symbollevels="{1 if first_on_top else 0}" '
        'forceraster="0" enableorderby="0">\n'
        "    <categories>\n" + "".join(cats) + "    </categories>\n"
        "    <symbols>\n" + "".join(symbols) + "    </symbols>\n"
        "  </renderer-v2>\n"
    )
    return _document(renderer, stype, label_field, _check_opacity(opacity))
