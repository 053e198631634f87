"""The answer of a siting model: :class:`SitingResult`."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

if TYPE_CHECKING:  # pragma: no cover
    pass


__all__ = ["SitingResult"]


@dataclass(frozen=True)
class SitingResult:
    """The answer of a siting model, as data.

    Attributes
    ----------
    problem
        ``"maximal_covering"``, ``"p_median"``, ``"set_covering"``, ``"p_center"`` or
        ``"equity_covering"``.
    selected
        Ids of every open site: the fixed ones first, then the new ones.
    new_sites
        Ids of the sites opened by the model (``selected`` minus ``fixed``).
    fixed
        Ids of the fixed (existing) sites.
    assignment
        One row per village, indexed exactly like the demand, with columns

        - ``site``: the site serving the village (missing, NaN/None, when none does);
        - ``travel_time_min``: time to that site (``inf`` when none);
        - ``covered``: bool, served within the standard (for the p-median and p-center,
          which have no standard: served at all);
        - ``served_share``: 0..1, share of the village's demand allocated (1 or 0 except for
          split capacitated assignment);
        - ``nearest_site``, ``nearest_time_min``: the nearest open site, whatever capacities;
        - ``demand``: the village's demand.
    objective
        Objective value of the solution in the model's own unit (see each function).
    bound
        Best proven bound on the optimum (a lower bound when minimising, an upper bound when
        maximising), from the MILP branch-and-bound or from the LP relaxation for heuristics.
    gap
        Relative optimality gap ``|objective - bound| / max(|objective|, 1e-9)``, >= 0; 0 means
        proven optimal. ``nan`` when no bound was computed.
    status
        ``"optimal"``, ``"time_limit"`` (best solution found when the time ran out) or
        ``"heuristic"``.
    method
        ``"milp-highs"``, ``"greedy"`` or ``"greedy+interchange"``.
    time_s
        Wall time of the solve in seconds.
    allocation
        Long table of the demand allocation: columns ``origin``, ``destination``, ``share``
        (of the village's demand), ``demand`` and ``travel_time_min``.
    params
        The parameters of the run (p, standard, assignment mode, ...).
    """

    problem: str
    selected: list
    new_sites: list
    fixed: list
    assignment: pd.DataFrame
    objective: float
    bound: float
    gap: float
    status: str
    method: str
    time_s: float
    allocation: pd.DataFrame
    params: dict = field(default_factory=dict)

    def summary(self) -> pd.Series:
        """Key figures of the solution as a named Series (for tables of several runs)."""
        a = self.assignment
        pop = float((a["demand"] * a["served_share"] * a["covered"]).sum())
        finite = a["travel_time_min"][np.isfinite(a["travel_time_min"])]
        return pd.Series(
            {
                "problem": self.problem,
                "n_selected": len(self.selected),
                "n_new": len(self.new_sites),
                "objective": self.objective,
                "bound": self.bound,
                "gap": self.gap,
                "status": self.status,
                "method": self.method,
                "time_s": self.time_s,
                "villages_covered": int(a["covered"].sum()),
                "population_covered": pop,
                "max_time_min": float(finite.max()) if len(finite) else float("nan"),
            },
            name=self.problem,
        )
