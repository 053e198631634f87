"""Partitioned runs on Dask: kept importable here; they live in :mod:`accessibility.project.dask`."""

from .project.dask import *  # noqa: F403  (every public name)
from .project.dask import __all__ as __all__
