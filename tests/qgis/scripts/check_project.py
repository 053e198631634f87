"""Open a .qgz project in headless QGIS, report its layers and legends, render its print layout
to PNG; run with the SYSTEM Python.

    /usr/bin/python3 check_project.py spec.json result.json

spec.json: {"project": "out/a.qgz", "png": "layout.png", "dpi": 60}
result.json: {"layers": [{"name", "valid", "renderer", "attr", "legend", "feature_count",
              "group", "visible", "source"}], "groups": [...], "layouts": [...],
              "layout_items": [...], "png": {...image stats...}}

Never import the accessibility package here: this runs under Debian's Python and NumPy.
"""

from __future__ import annotations

import json
import sys

from check_layers import _image_stats


def _inspect(spec):
    from qgis.core import QgsLayoutExporter, QgsProject

    project = QgsProject.instance()
    ok = project.read(spec["project"])
    root = project.layerTreeRoot()
    out = {"read": bool(ok), "layers": [], "groups": [], "layouts": [], "layout_items": []}
    for group in root.children():
        names = []
        for node in group.children() if hasattr(group, "children") else []:
            lyr = node.layer()
            names.append(node.name())
            renderer = lyr.renderer() if lyr is not None and lyr.isValid() else None
            legend = []
            attr = None
            if renderer is not None:
                legend = [item.label() for item in renderer.legendSymbolItems()]
                attr = getattr(renderer, "classAttribute", lambda: None)()
            out["layers"].append(
                {
                    "name": node.name(),
                    "group": group.name(),
                    "valid": bool(lyr is not None and lyr.isValid()),
                    "visible": bool(node.isVisible()),
                    "renderer": renderer.type() if renderer is not None else None,
                    "attr": attr,
                    "legend": legend,
                    "feature_count": int(lyr.featureCount()) if lyr is not None else -1,
                    "source": lyr.source() if lyr is not None else None,
                    "aliases": {f.name(): f.alias() for f in lyr.fields()} if lyr else {},
                }
            )
        out["groups"].append({"name": group.name(), "layers": names})
    manager = project.layoutManager()
    for layout in manager.layouts():
        out["layouts"].append(layout.name())
        for item in layout.items():
            kind = type(item).__name__
            if kind.startswith("QgsLayoutItem") and kind != "QgsLayoutItemPage":
                entry = {"type": kind}
                if hasattr(item, "text") and kind == "QgsLayoutItemLabel":
                    entry["text"] = item.text()
                out["layout_items"].append(entry)
    layouts = manager.layouts()
    if layouts and spec.get("png"):
        exporter = QgsLayoutExporter(layouts[0])
        settings = QgsLayoutExporter.ImageExportSettings()
        settings.dpi = spec.get("dpi", 60)
        out["export"] = int(exporter.exportToImage(spec["png"], settings))
        from qgis.PyQt.QtGui import QImage

        out["png"] = _image_stats(QImage(spec["png"]), (255, 255, 255))
        out["png"]["colors"] = dict(list(out["png"]["colors"].items())[:40])
    project.clear()
    return out


def main():
    spec_path, result_path = sys.argv[1], sys.argv[2]
    with open(spec_path, encoding="utf-8") as f:
        spec = json.load(f)
    from qgis.core import QgsApplication

    app = QgsApplication([], False)
    app.initQgis()
    try:
        result = _inspect(spec)
    finally:
        app.exitQgis()
    with open(result_path, "w", encoding="utf-8") as f:
        json.dump(result, f, ensure_ascii=False)


if __name__ == "__main__":
    main()
