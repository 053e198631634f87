"""The whole job: kept importable here; it lives in :mod:`accessibility.project`
(:func:`~accessibility.project.accessibility_layer`, :func:`~accessibility.project.run_project`,
...)."""

from .project import (
    DEFAULT_THRESHOLDS_MIN,
    LayerWithCosts,
    ProjectInputs,
    RunResult,
    accessibility_layer,
    accessibility_layer_with_costs,
    demo_project,
    dropped_layer,
    load_project_inputs,
    read_validated_layers,
    run_demo,
    run_project,
    service_specs,
)

__all__ = [
    "DEFAULT_THRESHOLDS_MIN",
    "LayerWithCosts",
    "ProjectInputs",
    "RunResult",
    "accessibility_layer",
    "accessibility_layer_with_costs",
    "demo_project",
    "dropped_layer",
    "load_project_inputs",
    "read_validated_layers",
    "run_demo",
    "run_project",
    "service_specs",
]
