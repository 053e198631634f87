"""Run the package's QGIS Processing algorithm headless; SYSTEM Python only.

    /usr/bin/python3 run_processing.py spec.json result.json

spec.json: {"script": ".../accessibility_algorithm.py", "params": {...},
            "settings": {"accessibility/cli_path": "..."}}
result.json: {"script_algorithm": id loaded through QGIS's script loader,
              "result": {...} or null, "exception": message or null,
              "log": [feedback lines], "layers": {name: {...}}}

Never import the accessibility package here.
"""

from __future__ import annotations

import importlib.util
import json
import sys


def main(spec_path, result_path):
    from qgis.core import QgsApplication

    sys.path.append(QgsApplication.pkgDataPath() + "/python/plugins")
    import processing
    from processing.core.Processing import Processing
    from qgis.core import (
        QgsProcessingContext,
        QgsProcessingException,
        QgsProcessingFeedback,
        QgsProject,
        QgsSettings,
    )

    Processing.initialize()
    with open(spec_path, encoding="utf-8") as fh:
        spec = json.load(fh)
    for key, value in spec.get("settings", {}).items():
        QgsSettings().setValue(key, value)

    out = {"log": [], "layers": {}, "result": None, "exception": None}
    # 1. the file loads as a Processing *script* (Toolbox -> Scripts -> Add Script to Toolbox)
    from processing.script import ScriptUtils

    alg = ScriptUtils.loadAlgorithm("accessibility_algorithm", spec["script"])
    out["script_algorithm"] = alg.name() if alg is not None else None
    if alg is not None:
        alg.initAlgorithm({})
        out["parameters"] = [p.name() for p in alg.parameterDefinitions()]

    # 2. the provider registers and runs through processing.run
    module_spec = importlib.util.spec_from_file_location("accessibility_qgis_alg", spec["script"])
    module = importlib.util.module_from_spec(module_spec)
    module_spec.loader.exec_module(module)
    module.register_provider()
    out["provider_algorithms"] = [
        a.id()
        for a in QgsApplication.processingRegistry().providerById("accessibility").algorithms()
    ]

    class Feedback(QgsProcessingFeedback):
        def pushInfo(self, info):
            out["log"].append(info)

        def pushConsoleInfo(self, info):
            out["log"].append(info)

        def reportError(self, error, fatalError=False):
            out["log"].append("ERROR: " + error)

    context = QgsProcessingContext()
    context.setProject(QgsProject.instance())
    feedback = Feedback()
    layers = []
    try:
        result = processing.run(
            "accessibility:accessibility_run", spec["params"], context=context, feedback=feedback
        )
        # processing.run hands back the loaded output layers themselves (taken from the context)
        layers = [x for x in result.get("OUTPUT_LAYERS", []) if not isinstance(x, str)]
        out["result"] = {
            k: [x if isinstance(x, str) else x.name() for x in v] if isinstance(v, list) else v
            for k, v in result.items()
            if isinstance(v, (str, list))
        }
        del result
    except QgsProcessingException as exc:
        out["exception"] = str(exc)
    for layer in layers:
        renderer = layer.renderer()
        out["layers"][layer.name()] = {
            "valid": layer.isValid(),
            "source": layer.source(),
            "feature_count": layer.featureCount(),
            "crs": layer.crs().authid(),
            "renderer_type": renderer.type() if renderer else None,
            "class_attribute": renderer.classAttribute()
            if renderer is not None and hasattr(renderer, "classAttribute")
            else None,
            "fields": [f.name() for f in layer.fields()],
        }
    del layers
    del context, feedback, alg, module
    with open(result_path, "w", encoding="utf-8") as fh:
        json.dump(out, fh, ensure_ascii=False, indent=1)


if __name__ == "__main__":
    from qgis.core import QgsApplication

    app = QgsApplication([], False)
    app.initQgis()
    try:
        main(sys.argv[1], sys.argv[2])
    finally:
        app.exitQgis()
