"""The TOML project file and the whole job: per-village layers, project runs, Dask runs.

=====================  =============================================================================
``config``             the project file's schema: defaults, validation, loading
``specs``              a service's spec filled in (thresholds, measures, how far routing must reach)
``evaluate``           one service evaluated for a set of villages (every run calls it)
``layer``              :func:`accessibility_layer`: every service, data in, new GeoDataFrame out
``inputs``             a project's layers read and validated, its network built
``check``              the checks of a project that need no routing (``accessibility check``)
``standards``          the standards table a project names and the modes it asks for
``result``             :class:`RunResult`: what a run produced
``steps``              the steps after the layer: catchments, equity, outputs (:func:`finish_run`)
``outputs``            the output paths checked before work; GeoPackage, CSV and report written
``parquet``            national-size outputs: partitioned GeoParquet, per-county GeoPackages, summary
``run``                :func:`run_project`, :func:`run_demo`
``dask``               partitioned runs on Dask (:func:`accessibility.project.dask.run_partitioned`)
=====================  =============================================================================
"""

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # the real names for type checkers; at run time they load on first use
    from .check import applicable_standards, check_project
    from .config import load_config, validate_config
    from .evaluate import ServiceEvaluation, evaluate_service, nearest_facility, threshold_label
    from .inputs import ProjectInputs, load_project_inputs, read_validated_layers
    from .layer import (
        LayerWithCosts,
        accessibility_layer,
        accessibility_layer_with_costs,
        dropped_layer,
    )
    from .result import RunResult
    from .run import demo_project, run_demo, run_project
    from .specs import DEFAULT_THRESHOLDS_MIN, service_specs

# public name -> submodule that defines it, loaded on first use (PEP 562): a script that only
# builds a per-village layer does not import the report, the checks and the run machinery
_LAZY: dict[str, str] = {
    "applicable_standards": "check",
    "check_project": "check",
    "load_config": "config",
    "validate_config": "config",
    "ServiceEvaluation": "evaluate",
    "evaluate_service": "evaluate",
    "nearest_facility": "evaluate",
    "threshold_label": "evaluate",
    "ProjectInputs": "inputs",
    "load_project_inputs": "inputs",
    "read_validated_layers": "inputs",
    "LayerWithCosts": "layer",
    "accessibility_layer": "layer",
    "accessibility_layer_with_costs": "layer",
    "dropped_layer": "layer",
    "RunResult": "result",
    "demo_project": "run",
    "run_demo": "run",
    "run_project": "run",
    "DEFAULT_THRESHOLDS_MIN": "specs",
    "service_specs": "specs",
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f".{module}", __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_LAZY))


__all__ = [
    "DEFAULT_THRESHOLDS_MIN",
    "LayerWithCosts",
    "ProjectInputs",
    "RunResult",
    "ServiceEvaluation",
    "accessibility_layer",
    "accessibility_layer_with_costs",
    "applicable_standards",
    "check_project",
    "demo_project",
    "dropped_layer",
    "evaluate_service",
    "load_config",
    "load_project_inputs",
    "nearest_facility",
    "read_validated_layers",
    "run_demo",
    "run_project",
    "service_specs",
    "threshold_label",
    "validate_config",
]
