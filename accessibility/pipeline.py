"""The whole job: kept importable here; it lives in :mod:`accessibility.project`
(:func:`~accessibility.project.accessibility_layer`, :func:`~accessibility.project.run_project`,
...)."""

from typing import Any

_NAMES = (
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
)
__all__ = list(_NAMES)  # defined lazily by __getattr__


def __getattr__(name: str) -> Any:
    if name not in _NAMES:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    from . import project

    return getattr(project, name)  # loaded on first use, like accessibility.project's names
