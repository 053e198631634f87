"""A QGIS project (``.qgz``) beside the GeoPackage: one click opens the whole analysis.

The project is written as QGIS project XML (zipped, as QGIS does), from Python: QGIS is not needed
to write it. It holds

- one group per service: the villages coloured by the time to that service (classes from the
  service's own thresholds, the legend titled with service, mode and unit), the facilities of that
  service, its catchments (classes from the data's bands, a light fill beneath the villages) and
  the townships' coverage of its standard (percent classes);
- a base map group beneath them: roads and township outlines;
- a print layout (A4 landscape: title, map, legend, scale bar, north arrow, data source and date)
  ready to export as a PDF map.

Layer names, legends and field aliases are in the project's language (:mod:`accessibility.i18n`).
The layers read the GeoPackage by a relative path, so the folder can be moved or shared as a whole.
"""

from __future__ import annotations

import datetime as _dt
import os
import re
import uuid
import zipfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape, quoteattr

from .._files import atomic_path, final_path
from ..i18n import MESSAGES, column_labels, mode_name, service_name, text
from . import (
    ROAD_STYLES,
    SERVICE_STYLES,
    TIME_COLORS,
    geometry_type_of,
    road_qml,
    single_qml,
)
from .qml import graduated_qml
from .themes import (
    catchment_style,
    coverage_style,
    layer_fields,
    time_labels,
    with_aliases,
)

__all__ = [
    "ProjectLayer",
    "catchment_style",
    "coverage_style",
    "layer_fields",
    "project_layers",
    "qgis_project_xml",
    "time_labels",
    "with_aliases",
    "write_qgis_project",
]


@dataclass
class ProjectLayer:
    """One layer of the project: a GeoPackage layer (optionally filtered), its name and style."""

    table: str
    name: str
    qml: str
    geometry: str
    subset: str = ""
    visible: bool = True
    aliases: dict[str, str] = field(default_factory=dict)
    id: str = ""


def _village_qml(geometry: str, column: str, thresholds: Sequence[float], lang: str) -> str:
    breaks = [0.0, *sorted({float(t) for t in thresholds if t > 0}), float("inf")]
    n = len(breaks) - 1
    picks = [round(i * (len(TIME_COLORS) - 1) / max(n - 1, 1)) for i in range(n)]
    return graduated_qml(
        column,
        breaks,
        [TIME_COLORS[i] for i in picks],
        geometry,
        time_labels(breaks, lang),
        null_class=("#762a83", text("unreachable", lang)),
        size_mm=2.2,
        outline=(255, 255, 255),
    )


def project_layers(
    layers: Mapping[str, Any],
    *,
    services: Mapping[str, Mapping[str, Any]],
    lang: str,
    standards: Any = None,
    catchment_services: Sequence[str] = (),
    further_styles: Mapping[str, str] | None = None,
) -> list[tuple[str, list[ProjectLayer]]]:
    """The project's groups, top first: ``[(group name, [layers, top first]), ...]``.

    ``layers`` are the GeoPackage's layers (``{table: GeoDataFrame}``); ``services`` is
    ``{service: {"mode": ..., "thresholds_min": [...]}}`` (the project's ``[services]``).
    ``further_styles`` (``{table: QML}``, e.g. the GeoPackage's default styles) adds every other
    map layer it names (tiers, referrals, the schools audit, buses ...) in a group of its own,
    switched off, so the one project opens the whole analysis.

    Examples
    --------
    >>> import geopandas as gpd
    >>> from shapely.geometry import Point
    >>> v = gpd.GeoDataFrame({"clinic_nearest_min": [5.0]}, geometry=[Point(0, 0)])
    >>> groups = project_layers({"villages": v}, lang="en",
    ...                         services={"clinic": {"mode": "walk", "thresholds_min": [15]}})
    >>> [(g, [m.name for m in members]) for g, members in groups]
    [('village clinic', ['Villages: time to nearest village clinic (on foot, min)'])]
    """
    villages = layers["villages"]
    vgeom = geometry_type_of(villages)
    valiases = column_labels(layer_fields(villages), lang, standards, services)
    groups: list[tuple[str, list[ProjectLayer]]] = []
    present = [s for s in services if f"{s}_nearest_min" in villages.columns]
    catch = layers.get("catchments_by_service")
    towns = layers.get("townships")
    for i, s in enumerate(present):
        spec = services[s]
        sname = service_name(s, lang, standards)
        mode = mode_name(spec.get("mode"), lang)
        members = [
            ProjectLayer(
                "villages",
                text("village_layer", lang, service=sname, mode=mode),
                with_aliases(
                    _village_qml(vgeom, f"{s}_nearest_min", spec.get("thresholds_min") or [], lang),
                    valiases,
                ),
                vgeom,
            )
        ]
        fac = layers.get("facilities")
        if fac is not None and "service" in fac.columns and (fac["service"] == s).any():
            color = SERVICE_STYLES.get(s, ("#636363", s))[0]
            members.insert(
                0,
                ProjectLayer(
                    "facilities",
                    text("facility_layer", lang, service=sname),
                    single_qml(geometry_type_of(fac), color, size_mm=3.6, outline=(40, 40, 40)),
                    geometry_type_of(fac),
                    subset=f"\"service\" = '{s}'",
                    aliases=column_labels(layer_fields(fac), lang, standards),
                ),
            )
        if catch is not None and s in catchment_services and (catch["service"] == s).any():
            bands = catch.loc[catch["service"] == s, "band_min"].dropna().unique().tolist()
            members.append(
                ProjectLayer(
                    "catchments_by_service",
                    text("catchment_layer", lang, service=sname, mode=mode),
                    catchment_style(bands, lang),
                    "Polygon",
                    subset=f"\"service\" = '{s}'",
                )
            )
        if towns is not None and f"{s}_coverage" in towns.columns:
            label = next((c for c in ("name", "township") if c in towns.columns), None)
            members.append(
                ProjectLayer(
                    "townships",
                    text("township_layer", lang, standard=sname),
                    coverage_style(geometry_type_of(towns), f"{s}_coverage", lang, label),
                    geometry_type_of(towns),
                    visible=False,
                    aliases=column_labels(layer_fields(towns), lang, standards),
                )
            )
        for m in members:
            m.visible = m.visible and i == 0
        groups.append((sname, members))
    base = []
    if towns is not None:
        base.append(
            ProjectLayer(
                "townships",
                text("townships", lang),
                single_qml(geometry_type_of(towns), (0, 0, 0, 0), outline=(110, 110, 110)),
                geometry_type_of(towns),
            )
        )
    if "roads" in layers:
        roads = layers["roads"]
        table = {
            k: (c, label.split(" ", 1)[-1] if lang == "zh" else label.split(" ", 1)[0], w)
            for k, (c, label, w) in ROAD_STYLES.items()
        }
        base.append(
            ProjectLayer(
                "roads",
                text("roads", lang),
                road_qml(roads, styles=table, other_label=text("other", lang)),
                "Line",
            )
        )
    further = _further_layers(layers, further_styles or {}, lang)
    if further:
        groups.append((text("further_layers", lang), further))
    if base:
        groups.append((text("basemap", lang), base))
    return groups


#: the layers the service groups and the base map already show
_PLACED = frozenset({"villages", "facilities", "catchments_by_service", "townships", "roads"})


def _further_layers(
    layers: Mapping[str, Any], styles: Mapping[str, str], lang: str
) -> list[ProjectLayer]:
    """The other map layers with a style, switched off, named in ``lang`` where the catalogue
    knows them (else by their table name)."""
    out = []
    for table, qml in styles.items():
        gdf = layers.get(table)
        if table in _PLACED or gdf is None or not hasattr(gdf, "geometry") or not len(gdf):
            continue
        key = f"layer_{table}"
        name = text(key, lang) if key in MESSAGES[lang] else table
        out.append(ProjectLayer(table, name, qml, geometry_type_of(gdf), visible=False))
    return out


_INNER = re.compile(r"<qgis[^>]*>(?P<body>.*)</qgis>", re.S)
_WKB = {"marker": "Point", "line": "LineString", "fill": "Polygon"}


def _maplayer(layer: ProjectLayer, source: str, crs_wkt: str, extent: Sequence[float]) -> str:
    from .qml import symbol_type

    body = _INNER.search(with_aliases(layer.qml, layer.aliases))
    inner = body.group("body") if body else ""
    stype = symbol_type(layer.geometry)
    src = f"{source}|layername={layer.table}"
    if layer.subset:
        src += f"|subset={layer.subset}"
    x0, y0, x1, y1 = extent
    return (
        f'    <maplayer type="vector" geometry="{_WKB[stype]}" wkbType="{_WKB[stype]}" '
        'styleCategories="AllStyleCategories" hasScaleBasedVisibilityFlag="0" '
        'minScale="100000000" maxScale="0">\n'
        f"      <extent><xmin>{x0}</xmin><ymin>{y0}</ymin><xmax>{x1}</xmax><ymax>{y1}</ymax>"
        "</extent>\n"
        f"      <id>{layer.id}</id>\n"
        f"      <datasource>{escape(src)}</datasource>\n"
        f"      <layername>{escape(layer.name)}</layername>\n"
        f"      <srs><spatialrefsys><wkt>{escape(crs_wkt)}</wkt></spatialrefsys></srs>\n"
        '      <provider encoding="UTF-8">ogr</provider>\n'
        f"{inner}"
        "    </maplayer>\n"
    )


_COUNTER = [0]


def _uuid() -> str:
    """A layout item id, the same on every run (the project's bytes depend only on its data)."""
    _COUNTER[0] += 1
    return "{" + str(uuid.uuid5(uuid.NAMESPACE_URL, f"layout/{_COUNTER[0]}")) + "}"


def _font(size: int, bold: bool = False) -> str:
    # the CJK font the CI installs (fonts-wqy-microhei); QGIS falls back when it is missing
    return f"WenQuanYi Micro Hei,{size},-1,5,{75 if bold else 50},0,0,0,0,0"


def _label(text_: str, x: float, y: float, w: float, h: float, size: int, bold: bool) -> str:
    return (
        f'      <LayoutItem type="65641" uuid="{_uuid()}" id="" position="{x},{y},mm" '
        f'positionOnPage="{x},{y},mm" size="{w},{h},mm" zValue="6" visibility="1" frame="false" '
        f'background="false" labelText={quoteattr(text_)} htmlState="0" halign="1" valign="32" '
        'marginX="0" marginY="0" referencePoint="0" itemRotation="0" opacity="1" '
        'blendMode="0" excludeFromExports="0" positionLock="false" groupUuid="" '
        'templateUuid="" frameJoinStyle="miter" outlineWidthM="0.3,mm">\n'
        f'        <LabelFont style="" description="{_font(size, bold)}"/>\n'
        '        <FontColor red="0" green="0" blue="0" alpha="255"/>\n'
        "      </LayoutItem>\n"
    )


def _layout(
    name: str,
    title: str,
    source_line: str,
    extent: Sequence[float],
    legend_layers: Sequence[ProjectLayer],
    lang: str,
) -> str:
    map_uuid = _uuid()
    mx, my, mw, mh = 10.0, 22.0, 200.0, 176.0
    x0, y0, x1, y1 = extent
    # the map's extent: the data with a margin, widened to the frame's proportions
    cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
    w, h = (x1 - x0) * 1.06 or 1.0, (y1 - y0) * 1.06 or 1.0
    if w / h < mw / mh:
        w = h * mw / mh
    else:
        h = w * mh / mw
    ext = (cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2)
    tree = "".join(
        f'          <layer-tree-layer id="{lyr.id}" name={quoteattr(lyr.name)} '
        f'checked="Qt::Checked" expanded="1" providerKey="ogr" source="">\n'
        "            <customproperties/>\n"
        "          </layer-tree-layer>\n"
        for lyr in legend_layers
    )
    common = (
        'visibility="1" referencePoint="0" itemRotation="0" opacity="1" blendMode="0" '
        'excludeFromExports="0" positionLock="false" groupUuid="" templateUuid="" '
        'frameJoinStyle="miter" outlineWidthM="0.3,mm"'
    )
    return (
        f'    <Layout name={quoteattr(name)} units="mm" printResolution="300" worldFileMap="">\n'
        "      <PageCollection>\n"
        f'        <LayoutItem type="65638" uuid="{_uuid()}" id="" position="0,0,mm" '
        f'positionOnPage="0,0,mm" size="297,210,mm" zValue="0" frame="false" background="true" '
        f"{common}/>\n"
        "      </PageCollection>\n"
        f'      <LayoutItem type="65639" uuid="{map_uuid}" id="map" position="{mx},{my},mm" '
        f'positionOnPage="{mx},{my},mm" size="{mw},{mh},mm" zValue="1" frame="true" '
        f'background="true" keepLayerSet="false" followPreset="false" followPresetName="" '
        f'drawCanvasItems="true" mapRotation="0" mapFlags="0" labelMargin="0,mm" isTemporal="0" '
        f"{common}>\n"
        '        <FrameColor red="0" green="0" blue="0" alpha="255"/>\n'
        '        <BackgroundColor red="255" green="255" blue="255" alpha="255"/>\n'
        f'        <Extent xmin="{ext[0]}" ymin="{ext[1]}" xmax="{ext[2]}" ymax="{ext[3]}"/>\n'
        "        <LayerSet/>\n"
        "      </LayoutItem>\n"
        f'      <LayoutItem type="65642" uuid="{_uuid()}" id="legend" position="214,{my},mm" '
        f'positionOnPage="214,{my},mm" size="75,120,mm" zValue="3" frame="false" '
        f'background="true" title={quoteattr("图例" if lang == "zh" else "Legend")} '
        f'map_uuid="{map_uuid}" resizeToContents="1" columnCount="1" symbolWidth="6" '
        'symbolHeight="4" wrapChar="" titleAlignment="1" legendFilterByAtlas="0" '
        f'splitLayer="0" equalColumnWidth="0" boxSpace="2" columnSpace="2" fontColor="#000000" {common}>\n'
        '        <BackgroundColor red="255" green="255" blue="255" alpha="255"/>\n'
        "        <styles>\n"
        f'          <style name="title" alignment="1" marginBottom="3"><styleFont style="" '
        f'description="{_font(12, True)}"/></style>\n'
        f'          <style name="group" alignment="1" marginTop="3"><styleFont style="" '
        f'description="{_font(10, True)}"/></style>\n'
        f'          <style name="subgroup" alignment="1" marginTop="2.5"><styleFont style="" '
        f'description="{_font(9, True)}"/></style>\n'
        f'          <style name="symbol" alignment="1" marginTop="1.5"><styleFont style="" '
        f'description="{_font(8)}"/></style>\n'
        f'          <style name="symbolLabel" alignment="1" marginLeft="2" marginTop="1.5">'
        f'<styleFont style="" description="{_font(8)}"/></style>\n'
        "        </styles>\n"
        '        <layer-tree-group checked="Qt::Checked" expanded="1" name="">\n'
        "          <customproperties/>\n"
        f"{tree}"
        "        </layer-tree-group>\n"
        "      </LayoutItem>\n"
        f'      <LayoutItem type="65646" uuid="{_uuid()}" id="scalebar" position="14,{my + mh - 16},mm" '
        f'positionOnPage="14,{my + mh - 16},mm" size="60,12,mm" zValue="4" frame="false" '
        f'background="true" mapUuid="{map_uuid}" style="Single Box" unitType="kilometers" '
        'unitLabel="km" numMapUnitsPerScaleBarUnit="1000" segmentSizeMode="1" numSegments="2" '
        'numSegmentsLeft="0" numSubdivisions="1" subdivisionsHeight="1.5" minBarWidth="20" '
        'maxBarWidth="45" numUnitsPerSegment="2000" height="2.5" labelBarSpace="2" '
        'boxContentSpace="1.5" alignment="0" labelVerticalPlacement="0" '
        f'labelHorizontalPlacement="0" {common}>\n'
        '        <BackgroundColor red="255" green="255" blue="255" alpha="200"/>\n'
        "      </LayoutItem>\n"
        f'      <LayoutItem type="65640" uuid="{_uuid()}" id="north" position="{mx + mw - 16},{my + 3},mm" '
        f'positionOnPage="{mx + mw - 16},{my + 3},mm" size="12,16,mm" zValue="5" frame="false" '
        'background="false" file=":/images/north_arrows/layout_default_north_arrow.svg" '
        f'mode="2" resizeMode="0" anchorPoint="0" northMode="0" northOffset="0" '
        f'mapUuid="{map_uuid}" pictureRotation="0" svgFillColor="0,0,0,255" '
        f'svgBorderColor="0,0,0,255" svgBorderWidth="0.2" {common}/>\n'
        + _label(title, 10, 6, 277, 13, 18, True)
        + _label(source_line, 10, 200, 277, 8, 8, False)
        + '      <Atlas enabled="0" coverageLayer="" hideCoverage="0" filenamePattern="" '
        'pageNameExpression="" sortFeatures="0" filterFeatures="0"/>\n'
        "    </Layout>\n"
    )


def qgis_project_xml(
    groups: Sequence[tuple[str, Sequence[ProjectLayer]]],
    *,
    source: str,
    crs_wkt: str,
    extent: Sequence[float],
    title: str,
    source_line: str,
    lang: str,
) -> str:
    """The QGIS project XML (``.qgs``) of :func:`project_layers`' groups; ``source`` is the
    GeoPackage path as the project reads it (``./name.gpkg`` beside the project).

    Examples
    --------
    >>> import geopandas as gpd
    >>> from shapely.geometry import Point
    >>> v = gpd.GeoDataFrame({"clinic_nearest_min": [5.0]}, geometry=[Point(0, 0)])
    >>> groups = project_layers({"villages": v}, lang="zh",
    ...                         services={"clinic": {"mode": "walk", "thresholds_min": [15]}})
    >>> xml = qgis_project_xml(groups, source="./a.gpkg", crs_wkt="", extent=[0, 0, 1, 1],
    ...                        title="示范县", source_line="数据", lang="zh")
    >>> "<datasource>./a.gpkg|layername=villages</datasource>" in xml
    True
    """
    n = 0
    for _, members in groups:
        for lyr in members:
            n += 1
            key = uuid.uuid5(uuid.NAMESPACE_URL, f"{n}/{lyr.table}/{lyr.name}")
            lyr.id = f"{lyr.table}_{str(key).replace('-', '_')}"
    tree, maplayers, order = [], [], []
    for gname, members in groups:
        checked = "Qt::Checked" if any(m.visible for m in members) else "Qt::Unchecked"
        tree.append(
            f'    <layer-tree-group name={quoteattr(gname)} checked="{checked}" expanded="1">\n'
            "      <customproperties/>\n"
        )
        for lyr in members:
            state = "Qt::Checked" if lyr.visible else "Qt::Unchecked"
            tree.append(
                f'      <layer-tree-layer id="{lyr.id}" name={quoteattr(lyr.name)} '
                f'checked="{state}" expanded="1" providerKey="ogr" source="">\n'
                "        <customproperties/>\n"
                "      </layer-tree-layer>\n"
            )
            maplayers.append(_maplayer(lyr, source, crs_wkt, extent))
            order.append(f'    <layer id="{lyr.id}"/>\n')
        tree.append("    </layer-tree-group>\n")
    first = [m for m in (groups[0][1] if groups else []) if m.visible]
    base = [m for m in (groups[-1][1] if len(groups) > 1 else []) if m.table == "roads"]
    _COUNTER[0] = 0
    layout = _layout(title, title, source_line, extent, [*first, *base], lang)
    return (
        "<!DOCTYPE qgis PUBLIC 'http://mrcc.com/qgis.dtd' 'SYSTEM'>\n"
        f'<qgis version="3.22.0" projectname={quoteattr(title)}>\n'
        '  <homePath path=""/>\n'
        f"  <title>{escape(title)}</title>\n"
        f"  <projectCrs><spatialrefsys><wkt>{escape(crs_wkt)}</wkt></spatialrefsys></projectCrs>\n"
        "  <layer-tree-group>\n    <customproperties/>\n"
        + "".join(tree)
        + "  </layer-tree-group>\n"
        "  <projectlayers>\n" + "".join(maplayers) + "  </projectlayers>\n"
        "  <layerorder>\n" + "".join(order) + "  </layerorder>\n"
        "  <properties>\n"
        '    <Paths><Absolute type="bool">false</Absolute></Paths>\n'
        "  </properties>\n"
        f"  <projectMetadata><language>{lang}</language>"
        f"<title>{escape(title)}</title></projectMetadata>\n"
        "  <Layouts>\n" + layout + "  </Layouts>\n"
        "</qgis>\n"
    )


def write_qgis_project(
    path: str | os.PathLike,
    geopackage: str | os.PathLike,
    layers: Mapping[str, Any],
    *,
    services: Mapping[str, Mapping[str, Any]],
    lang: str,
    project_name: str,
    standards: Any = None,
    catchment_services: Sequence[str] = (),
    date: _dt.date | None = None,
    overwrite: bool = True,
    further_styles: Mapping[str, str] | None = None,
) -> Path:
    """Write the QGIS project (``.qgz``) for the layers of ``geopackage`` (which it reads by a
    path relative to the project, so both must stay in one folder).

    Examples
    --------
    >>> import geopandas as gpd
    >>> from shapely.geometry import Point
    >>> from accessibility.styles.project import write_qgis_project
    >>> v = gpd.GeoDataFrame({"clinic_nearest_min": [5.0]}, geometry=[Point(0, 0)], crs=4547)
    >>> write_qgis_project("a.qgz", "a.gpkg", {"villages": v}, lang="zh", project_name="示范县",
    ...     services={"clinic": {"mode": "walk", "thresholds_min": [15, 30]}}).name
    'a.qgz'
    """
    villages = layers["villages"]
    groups = project_layers(
        layers,
        services=services,
        lang=lang,
        standards=standards,
        catchment_services=catchment_services,
        further_styles=further_styles,
    )
    first = next(iter(services), "")
    sname = service_name(first, lang, standards) if first else ""
    mode = mode_name((services.get(first) or {}).get("mode"), lang)
    day = (date or _dt.date.today()).isoformat()
    title = text("layout_title", lang, project=project_name, service=sname)
    xml = qgis_project_xml(
        groups,
        source=f"./{Path(geopackage).name}",
        crs_wkt=villages.crs.to_wkt() if villages.crs is not None else "",
        extent=[float(v) for v in villages.total_bounds],
        title=title,
        source_line=text("layout_source", lang, project=project_name, mode=mode, date=day),
        lang=lang,
    )
    inner = final_path(path).with_suffix(".qgs").name
    with atomic_path(path, overwrite=overwrite) as tmp:
        with zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED) as zf:
            stamp = (*_dt.date.fromisoformat(day).timetuple()[:3], 0, 0, 0)
            info = zipfile.ZipInfo(inner, date_time=stamp)
            info.compress_type = zipfile.ZIP_DEFLATED
            zf.writestr(info, xml.encode("utf-8"))
    return final_path(path)
