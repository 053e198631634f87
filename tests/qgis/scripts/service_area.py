"""Run QGIS's own network analysis (native:serviceareafrompoint) headless; SYSTEM Python only.

    /usr/bin/python3 service_area.py spec.json result.json

spec.json: {"runs": [{"name": "walk", "uri": "net.gpkg|layername=walk_edges",
                      "start": [x, y], "crs": "EPSG:32632", "travel_cost": 3000,
                      "direction_field": null | "dir"}]}
result.json: {"qgis_version": ..., "runs": {name: {"lines": [[[x, y], ...], ...],
              "points": [[x, y, type], ...]}}}

Costs are planar lengths in the layer's (metric) CRS: the processing context's ellipsoid is NONE.
Never import the accessibility package here.
"""

from __future__ import annotations

import json
import sys


def main(spec_path, result_path):
    from qgis.core import QgsApplication

    sys.path.append(QgsApplication.pkgDataPath() + "/python/plugins")
    import processing
    from processing.core.Processing import Processing
    from qgis.core import (
        Qgis,
        QgsProcessingContext,
        QgsProcessingFeedback,
        QgsProject,
        QgsVectorLayer,
    )

    Processing.initialize()
    with open(spec_path, encoding="utf-8") as fh:
        spec = json.load(fh)
    project = QgsProject.instance()
    project.setEllipsoid("NONE")
    result = {"qgis_version": Qgis.QGIS_VERSION, "runs": {}}
    for run in spec["runs"]:
        layer = QgsVectorLayer(run["uri"], run["name"], "ogr")
        if not layer.isValid():
            raise RuntimeError(f"cannot open {run['uri']}")
        context = QgsProcessingContext()
        context.setProject(project)
        context.setEllipsoid("NONE")
        params = {
            "INPUT": layer,
            "STRATEGY": 0,  # shortest (distance)
            "DEFAULT_DIRECTION": 2,  # both directions
            "DEFAULT_SPEED": 50,
            "TOLERANCE": 0,
            "START_POINT": f"{run['start'][0]!r},{run['start'][1]!r} [{run['crs']}]",
            "TRAVEL_COST": run["travel_cost"],
            "INCLUDE_BOUNDS": True,
            "OUTPUT_LINES": "memory:",
            "OUTPUT": "memory:",
        }
        if run.get("travel_cost2_param"):
            params["TRAVEL_COST2"] = run["travel_cost"]
        if run.get("direction_field"):
            params.update(
                DIRECTION_FIELD=run["direction_field"],
                VALUE_FORWARD="forward",
                VALUE_BACKWARD="backward",
                VALUE_BOTH="both",
            )
        out = processing.run(
            "native:serviceareafrompoint", params, context=context, feedback=QgsProcessingFeedback()
        )
        lines_layer = (
            context.getMapLayer(out["OUTPUT_LINES"])
            if isinstance(out["OUTPUT_LINES"], str)
            else out["OUTPUT_LINES"]
        )
        points_layer = (
            context.getMapLayer(out["OUTPUT"]) if isinstance(out["OUTPUT"], str) else out["OUTPUT"]
        )
        lines = []
        for feature in lines_layer.getFeatures():
            geom = feature.geometry()
            parts = geom.asMultiPolyline() if geom.isMultipart() else [geom.asPolyline()]
            for part in parts:
                lines.append([[p.x(), p.y()] for p in part])
        points = []
        for feature in points_layer.getFeatures():
            geom = feature.geometry()
            pts = geom.asMultiPoint() if geom.isMultipart() else [geom.asPoint()]
            kind = str(feature["type"]) if "type" in feature.fields().names() else ""
            points.extend([p.x(), p.y(), kind] for p in pts)
        result["runs"][run["name"]] = {
            "lines": lines,
            "points": points,
            "fields": points_layer.fields().names(),
        }
        del lines_layer, points_layer, layer, context
    with open(result_path, "w", encoding="utf-8") as fh:
        json.dump(result, fh)


if __name__ == "__main__":
    from qgis.core import QgsApplication

    app = QgsApplication([], False)
    app.initQgis()
    try:
        main(sys.argv[1], sys.argv[2])
    finally:
        app.exitQgis()
