"""Which demand and supply columns a project needs, and why: requirements follow use.

Population (or another demand column) is needed only by a supply–demand measure, by
``[catchments] services`` (population covered), by the report (population-weighted shares) and by
the township summary of the standards; a supply column only by a measure. A column nothing needs
may be absent (when left at its default name) or, for demand, incomplete; when one is needed,
the error names what needs it. A supply column that is present is always checked, so that the
supply sums within each threshold are right.
"""

from __future__ import annotations

import copy
import logging
from collections.abc import Mapping
from typing import Any

import pandas as pd

__all__ = ["checked_columns", "column_needs", "without_unused_supply"]

#: the default names of the demand and supply columns: a column left at its default may be
#: absent when nothing needs it; a name the project file gives must exist
DEFAULT_DEMAND, DEFAULT_SUPPLY = "population", "capacity"

_log = logging.getLogger(__name__)


def column_needs(
    cfg: Mapping[str, Any], specs: Mapping[str, Mapping[str, Any]] | None
) -> tuple[dict[str, list[str]], dict[str, list[str]]]:
    """``(demand, supply)``: column -> what in the project file needs it.

    Examples
    --------
    >>> from accessibility.project import demo_project
    >>> demand, supply = column_needs(demo_project(), demo_project()["services"])
    >>> demand["population"][-1]
    '[output] report (population-weighted shares; report = "" skips it)'
    """
    cols = cfg["columns"]
    demand: dict[str, list[str]] = {}
    supply: dict[str, list[str]] = {}

    def add(table: dict[str, list[str]], column: Any, why: str) -> None:
        if column:
            table.setdefault(str(column), []).append(why)

    for name, spec in (specs or {}).items():
        if spec.get("measures"):
            why = f"the measures of [services.{name}]"
            add(demand, spec.get("demand", cols["population"]), why)
            add(supply, spec.get("supply", cols["capacity"]), why)
    if cfg["catchments"]["services"]:
        add(demand, cols["population"], "[catchments] services (population covered)")
    if cfg["input"].get("townships") and cfg["equity"]["standards"] != "none":
        add(demand, cols["population"], "the township summary of [equity] standards")
    if cfg["output"]["report"]:
        why = '[output] report (population-weighted shares; report = "" skips it)'
        add(demand, cols["population"], why)
    return demand, supply


def without_unused_supply(
    cfg: Mapping[str, Any],
    specs: Mapping[str, Mapping[str, Any]] | None,
    facilities: pd.DataFrame,
) -> tuple[dict[str, Any], dict[str, dict[str, Any]] | None]:
    """The configuration and specs with supply columns that the facilities lack and nothing
    needs left out (no ``{s}_{supply}_{t}min`` sums), logged; copies, the inputs unchanged."""
    _, needed = column_needs(cfg, specs)
    out = copy.deepcopy(dict(cfg))
    out_specs: dict[str, dict[str, Any]] | None = (
        {k: dict(copy.deepcopy(v)) for k, v in specs.items()} if specs is not None else None
    )
    dropped = set()
    column = out["columns"]["capacity"]
    if column and column not in facilities.columns and column not in needed:
        out["columns"]["capacity"] = ""
        dropped.add(column)
    for spec in (out_specs or {}).values():
        col = spec.get("supply")
        if col and col not in facilities.columns and col not in needed:
            spec["supply"] = None
            dropped.add(col)
    if dropped:
        _log.info(
            "facilities have no %s column and no measure needs one: no supply sums",
            " / ".join(sorted(dropped)),
        )
    return out, out_specs


def checked_columns(
    cfg: Mapping[str, Any],
    specs: Mapping[str, Mapping[str, Any]] | None,
    facilities: pd.DataFrame,
) -> tuple[list[str], tuple[list[str], list[str]]]:
    """The demand columns the villages must have (complete, non-negative) and the supply
    columns the facilities must have and must have complete: ``(demand, (required, checked))``.

    Needed columns, and columns the project file names other than by their default name, are
    required; a present supply column is checked too."""
    demand_needs, supply_needs = column_needs(cfg, specs)
    cols = cfg["columns"]
    demand = set(demand_needs)
    supply = set(supply_needs)
    named_demand = {
        cols["population"],
        *((specs or {}).get(n, {}).get("demand") for n in specs or {}),
    }
    named_supply = {
        cols["capacity"],
        *((specs or {}).get(n, {}).get("supply") for n in specs or {}),
    }
    demand |= {c for c in named_demand if c and c != DEFAULT_DEMAND}
    supply |= {c for c in named_supply if c and c != DEFAULT_SUPPLY}
    checked = supply | {c for c in named_supply if c and c in facilities.columns}
    return sorted(demand), (sorted(supply), sorted(checked))
