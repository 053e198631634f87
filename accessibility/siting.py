"""Facility siting: where to build next (:mod:`accessibility.planning.siting`, kept importable as
``accessibility.siting``)."""

from .planning.siting import (
    InfeasibleError,
    SitingResult,
    equity_covering,
    grid_candidates,
    maximal_covering,
    p_center,
    p_median,
    set_covering,
)

__all__ = [
    "InfeasibleError",
    "SitingResult",
    "equity_covering",
    "grid_candidates",
    "maximal_covering",
    "p_center",
    "p_median",
    "set_covering",
]
