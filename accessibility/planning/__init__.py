"""Planning scenarios: what changes if we build, close, merge, enlarge or pave?

A **scenario** is plain data (a TOML file or a Python dict) listing changes to the facilities and
the roads of a project: ``[[add_facility]]``, ``[[close_facility]]``, ``[[merge_facilities]]``,
``[[change_capacity]]``, ``[[change_road_speed]]`` and ``[[add_road]]`` (the keys of each are in
:mod:`accessibility.planning.scenario`).

:func:`apply_scenario` returns new inputs (the inputs are never modified);
:func:`evaluate_scenario` recomputes only what changed and returns before/after differences per
village (time saved, villages and population newly within the thresholds and the planning
standard, supply per head) with a summary table and the change of the inequality indices;
:func:`write_scenario_outputs` writes them to a styled GeoPackage. :func:`run_scenario` and
:func:`run_siting` run a TOML project file end to end (the ``accessibility scenario`` and
``accessibility site`` commands).

What is recomputed
------------------
* Facility changes re-route only the services whose facilities changed. For an **added** facility
  one search from the new facility is enough: the new nearest time is ``min(old, new)``. For a
  **closed** (or merged-away) facility, the villages whose nearest facility it was get a new
  nearest-facility search (the other villages keep theirs, the cost table loses the closed
  facility's rows). **Capacity** changes need no routing at all.
* Road changes (``change_road_speed``, ``add_road``) change travel times everywhere, so every
  service is re-routed on the new network.

The result's ``recomputed`` says what was done for each service, and it is logged.

Modules: :mod:`~accessibility.planning.scenario` (the schema, reading and writing scenario files),
:mod:`~accessibility.planning.apply` (applying one), :mod:`~accessibility.planning.evaluate` (before
and after, recomputing only what changed) with :mod:`~accessibility.planning.compare` (the
comparison of one service), :mod:`~accessibility.planning.outputs` (styled layers),
:mod:`~accessibility.planning.runs` (the ``scenario`` and ``site`` commands) and
:mod:`~accessibility.planning.siting` (location models and candidate sites).
"""

from .apply import PlanningInputs, apply_scenario
from .evaluate import ScenarioResult, compare_scenarios, evaluate_scenario
from .outputs import scenario_styles as scenario_styles  # public, not in __all__ (as before)
from .outputs import write_scenario_outputs
from .runs import run_scenario, run_siting, scenario_from_sites
from .scenario import ACTIONS, load_scenario, scenario_toml

__all__ = [
    "ACTIONS",
    "PlanningInputs",
    "ScenarioResult",
    "apply_scenario",
    "compare_scenarios",
    "evaluate_scenario",
    "load_scenario",
    "run_scenario",
    "run_siting",
    "scenario_from_sites",
    "scenario_toml",
    "write_scenario_outputs",
]
