"""The checks of a project that need no routing: kept importable here; they live in
:mod:`accessibility.project.check`."""

from .project.check import applicable_standards, check_project

__all__ = ["applicable_standards", "check_project"]
