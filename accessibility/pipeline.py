"""The whole job: kept importable here; it lives in :mod:`accessibility.project`
(:func:`~accessibility.project.accessibility_layer`, :func:`~accessibility.project.run_project`,
...)."""

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # the real names for type checkers; at run time they load on first use
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

__all__ = [  # defined lazily by __getattr__
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
_NAMES = frozenset(__all__)


def __getattr__(name: str) -> Any:
    if name not in _NAMES:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    from . import project

    return getattr(project, name)  # loaded on first use, like accessibility.project's names
