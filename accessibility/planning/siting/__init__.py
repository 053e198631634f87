"""Facility siting on long cost tables: where to build next.

The location models (:mod:`~accessibility.planning.siting.models`: maximal covering, p-median,
set covering, p-center, equity covering) and candidate sites
(:mod:`~accessibility.planning.siting.candidates`). Inside: the problem read from a cost table
(``instance``), the mixed-integer programmes (``milp``), the heuristics (``heuristics``), the
driver (``solve``), the evaluation of a set of open sites (``assign``) and the answer
(``result``).
"""

from ...errors import InfeasibleError
from .candidates import grid_candidates
from .models import equity_covering, maximal_covering, p_center, p_median, set_covering
from .result import SitingResult

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
