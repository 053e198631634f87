"""Open layers in headless QGIS and report what QGIS sees; run with the SYSTEM Python.

    /usr/bin/python3 check_layers.py spec.json result.json

spec.json: {"layers": [{"name": "villages", "uri": "out.gpkg|layername=villages",
                         "provider": "ogr", "png": "villages.png"}, ...],
            "size": [480, 480], "background": [255, 255, 255]}
result.json: {"qgis_version": "...", "layers": {name: {...}}, "log": [...]}

Never import the accessibility package here: this runs under Debian's Python and NumPy.
"""

from __future__ import annotations

import array
import json
import sys


def _image_stats(img, background):
    from qgis.PyQt.QtGui import QImage

    img = img.convertToFormat(QImage.Format_ARGB32)
    ptr = img.constBits()
    ptr.setsize(img.sizeInBytes() if hasattr(img, "sizeInBytes") else img.byteCount())
    pixels = array.array("I")
    pixels.frombytes(bytes(ptr))
    bg = 0xFF000000 | (background[0] << 16) | (background[1] << 8) | background[2]
    counts = {}
    for value in pixels:
        if value != bg:
            counts[value] = counts.get(value, 0) + 1
    colors = sorted(counts.items(), key=lambda kv: -kv[1])[:60]
    return {
        "total_pixels": len(pixels),
        "non_background_pixels": sum(counts.values()),
        "colors": {f"{(v >> 16) & 255},{(v >> 8) & 255},{v & 255}": n for v, n in colors},
    }


def _render(layer, png, size, background):
    from qgis.core import QgsMapRendererParallelJob, QgsMapSettings, QgsRectangle
    from qgis.PyQt.QtCore import QSize
    from qgis.PyQt.QtGui import QColor

    settings = QgsMapSettings()
    settings.setLayers([layer])
    settings.setDestinationCrs(layer.crs())
    extent = layer.extent()
    # a square a little larger than the layer (and never degenerate: one point, one row)
    half = 0.55 * max(extent.width(), extent.height()) or 500.0
    centre = extent.center()
    settings.setExtent(
        QgsRectangle(centre.x() - half, centre.y() - half, centre.x() + half, centre.y() + half)
    )
    settings.setOutputSize(QSize(*size))
    settings.setBackgroundColor(QColor(*background))
    job = QgsMapRendererParallelJob(settings)
    job.start()
    job.waitForFinished()
    img = job.renderedImage()
    img.save(png, "PNG")
    return _image_stats(img, background)


def _vector_info(layer):
    from qgis.core import QgsWkbTypes

    info = {
        "feature_count": layer.featureCount(),
        "geometry_type": QgsWkbTypes.geometryDisplayString(layer.geometryType()),
        "fields": [f.name() for f in layer.fields()],
        "labels_enabled": bool(layer.labelsEnabled()),
        "label_field": None,
        "renderer_type": None,
        "class_attribute": None,
        "legend": [],
    }
    renderer = layer.renderer()
    if renderer is not None:
        info["renderer_type"] = renderer.type()
        if hasattr(renderer, "classAttribute"):
            info["class_attribute"] = renderer.classAttribute()
        info["legend"] = [item.label() for item in renderer.legendSymbolItems()]
    labeling = layer.labeling()
    if labeling is not None and hasattr(labeling, "settings"):
        info["label_field"] = labeling.settings().fieldName
    try:
        names = layer.listStylesInDatabase()[2]
        info["styles_in_database"] = list(names)
    except Exception as exc:  # pragma: no cover - diagnostics only
        info["styles_in_database"] = f"error: {exc}"
    # first features' attributes, as strings, for round-trip checks
    rows = []
    for i, feature in enumerate(layer.getFeatures()):
        if i >= 5:
            break
        rows.append({f.name(): str(feature[f.name()]) for f in layer.fields()})
    info["first_rows"] = rows
    return info


def main(spec_path, result_path):
    from qgis.core import Qgis, QgsApplication, QgsRasterLayer, QgsVectorLayer

    with open(spec_path, encoding="utf-8") as fh:
        spec = json.load(fh)
    size = spec.get("size", [480, 480])
    background = spec.get("background", [255, 255, 255])
    log = []

    def on_message(message, tag, level):
        log.append(f"[{tag}] {message}")

    QgsApplication.messageLog().messageReceived.connect(on_message)
    result = {"qgis_version": Qgis.QGIS_VERSION, "layers": {}, "log": log}
    for item in spec["layers"]:
        provider = item.get("provider", "ogr")
        if provider == "gdal":
            layer = QgsRasterLayer(item["uri"], item["name"], "gdal")
        else:
            layer = QgsVectorLayer(item["uri"], item["name"], provider)
        info = {
            "valid": layer.isValid(),
            "crs": layer.crs().authid(),
            # QgsError.summary() crashes on an empty error in QGIS 3.22: test isEmpty() first
            "error": "" if layer.error().isEmpty() else layer.error().message(),
        }
        if layer.isValid():
            if provider == "gdal":
                info["width"] = layer.width()
                info["height"] = layer.height()
                info["band_count"] = layer.bandCount()
                info["renderer_type"] = layer.renderer().type() if layer.renderer() else None
            else:
                info.update(_vector_info(layer))
            if item.get("png"):
                info.update(_render(layer, item["png"], size, background))
        result["layers"][item["name"]] = info
        del layer
    with open(result_path, "w", encoding="utf-8") as fh:
        json.dump(result, fh, ensure_ascii=False, indent=1)


if __name__ == "__main__":
    from qgis.core import QgsApplication

    app = QgsApplication([], False)
    app.initQgis()
    try:
        main(sys.argv[1], sys.argv[2])
    finally:
        app.exitQgis()
