"""Facility siting: where to build next (:mod:`accessibility.planning.siting`, kept importable as
``accessibility.siting``)."""

from .planning.siting import *  # noqa: F403
from .planning.siting import __all__  # noqa: F401
