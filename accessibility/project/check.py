"""Checks of a project that need its layers but no routing: run by ``accessibility check`` and by
:func:`accessibility.project.run_project` before any routing, so both fail on the same problems.

What is checked (every problem is reported at once, each naming the project-file key):

* service names of ``[services.*]``, ``[analysis] services``, ``[catchments] services`` and
  ``[catchments] radii_m`` have facilities (with "Did you mean");
* thresholds, ``max_time_min`` and every measure spec, parsed and dry-run exactly as the run
  parses them (unknown keys, decay specs, limits beyond an explicit ``max_time_min``);
* the standards table loads, and the columns the standards and the report need are in the
  villages: ``[columns] area_type`` when a standard that applies has urban/rural entries,
  ``[columns] township`` when a townships layer is given, ``[equity] income`` when set.

The layers' own columns (ids, population, demand and supply columns) are checked when they are
read (:func:`accessibility.project.read_validated_layers`).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pandas as pd

from ..errors import AccessibilityError, ConfigError, MissingColumnError, suggest
from ..measures import measure_table
from ..validate import Problems
from .specs import analysis_defaults, service_specs
from .standards import project_standards

__all__ = ["applicable_standards", "check_project"]


def applicable_standards(standards: pd.DataFrame, services: list[str]) -> pd.DataFrame:
    """The rows of a standards table whose services are all among ``services``.

    Parameters
    ----------
    standards
        A standards table (:func:`accessibility.standards.load_standards`).
    services
        The services analysed.

    Returns
    -------
    DataFrame
        The rows that can be checked, with a fresh index (possibly none).

    Examples
    --------
    >>> from accessibility.standards import load_standards
    >>> rows = applicable_standards(load_standards(), ["clinic"])
    >>> sorted(set(rows["name"]))
    ['clinic']
    >>> len(applicable_standards(load_standards(), ["school_a"]))
    0
    """
    keep = [all(s in services for s in row) for row in standards["services"]]
    return standards.loc[keep].reset_index(drop=True)


def _column_problem(
    villages: pd.DataFrame, column: str, key: str, why: str, fix: str
) -> str | None:
    if column in villages.columns:
        return None
    return (
        f"villages have no column {column!r} (set by {key}), needed {why}."
        f"{suggest(column, villages.columns)} Columns found: "
        f"{', '.join(map(str, villages.columns))}. {fix}"
    )


def check_project(
    cfg: Mapping[str, Any],
    villages: pd.DataFrame,
    facilities: pd.DataFrame,
    *,
    townships: pd.DataFrame | None = None,
) -> dict[str, dict[str, Any]]:
    """Check everything a run needs that does not need routing; report every problem at once.

    Parameters
    ----------
    cfg
        A validated project configuration (:func:`accessibility.project.load_config`).
    villages, facilities
        The project's layers as read and validated
        (:func:`accessibility.project.read_validated_layers`).
    townships
        The townships layer, when the project has one.

    Returns
    -------
    dict
        The normalised service specs (:func:`accessibility.project.service_specs`), with the
        travel time each service's routing must reach (``max_time_min``).

    Raises
    ------
    ConfigError, MissingColumnError
        Listing every problem found (an instance of each class when there are several kinds),
        each with the project-file key to change and how.

    Examples
    --------
    >>> from accessibility.project import demo_project, read_validated_layers
    >>> cfg = demo_project()
    >>> _, _, villages, facilities = read_validated_layers(cfg)
    >>> specs = check_project(cfg, villages, facilities)
    >>> specs["clinic"]["max_time_min"]
    60.0
    >>> cfg["columns"]["area_type"] = "urban_rural"
    >>> check_project(cfg, villages, facilities)
    Traceback (most recent call last):
    ...
    accessibility.errors.MissingColumnError: project: villages have no column 'urban_rural' (set by [columns] area_type), ...
    """
    problems = Problems("project")
    present = sorted(set(facilities[cfg["columns"]["service"]].dropna().astype(str)))
    _check_service_names(cfg, present, problems)
    specs = _check_specs(cfg, facilities, present, problems)
    _check_standards(cfg, villages, townships, list(specs) or present, problems)
    _check_income(cfg, villages, problems)
    problems.raise_if_any()
    return specs


def _check_service_names(cfg: Mapping[str, Any], present: list[str], problems: Problems) -> None:
    """Every service a project names has facilities; radii are given for catchment services."""
    ana, cc = cfg["analysis"], cfg["catchments"]
    scol = cfg["columns"]["service"]

    def no_facilities(name: str, key: str) -> None:
        problems.add(
            ConfigError,
            f"{key}: service {name!r} has no facilities (the facilities' column {scol!r} holds "
            f"{present}).{suggest(name, present)}",
        )

    given = dict(cfg.get("services") or {})
    for name in given:
        if name not in present:
            no_facilities(name, f"[services.{name}]")
    if not given:
        for name in ana.get("services") or []:
            if name not in present:
                no_facilities(name, "[analysis] services")
    for name in cc.get("services") or []:
        if name not in present:
            no_facilities(name, "[catchments] services")
    # with no [catchments] services the section is off and its radii are not used
    for name in (cc.get("radii_m") or {}) if cc.get("services") else {}:
        if name not in present:
            no_facilities(name, "[catchments] radii_m")
        elif name not in cc["services"]:
            problems.add(
                ConfigError,
                f"[catchments] radii_m: a radius is given for {name!r}, which is not in "
                f"[catchments] services {list(cc.get('services') or [])}, so it would be "
                f"ignored; add {name!r} to [catchments] services or remove its radius",
            )


def _check_specs(
    cfg: Mapping[str, Any], facilities: pd.DataFrame, present: list[str], problems: Problems
) -> dict[str, dict[str, Any]]:
    """Thresholds, ``max_time_min`` and measures, exactly as the run parses them: the specs."""
    ana = cfg["analysis"]
    given = dict(cfg.get("services") or {})
    if given:
        wanted: dict[str, Mapping[str, Any]] = given
    elif ana.get("services"):
        wanted = {s: {} for s in ana["services"]}
    else:
        wanted = {s: {} for s in present}
    specs: dict[str, dict[str, Any]] = {}
    dummy = pd.DataFrame(
        {"origin": ["v"], "destination": ["f"], "travel_time_min": [0.0], "distance_m": [0.0]}
    )
    for name, spec in wanted.items():
        if name not in present:
            continue
        key = f"[services.{name}]" if given else "[analysis]"
        try:
            one = service_specs(facilities, {name: spec}, **analysis_defaults(cfg))[name]
            if one["measures"]:
                if not one["supply"]:
                    raise ConfigError(
                        f"service {name!r} has measures but no supply column; set "
                        f"[services.{name}] supply or [columns] capacity"
                    )
                measure_table(  # a dry run on one pair: every parameter checked as in the run
                    dummy,
                    pd.Series([1.0], index=["v"]),
                    pd.Series([1.0], index=["f"]),
                    specs=one["measures"],
                    prefix=name,
                    unbounded_limit_min=one["unbounded_limit_min"],
                )
            specs[name] = one
        except AccessibilityError as exc:
            text = str(exc) if f"[services.{name}]" in str(exc) else f"{key}: {exc}"
            problems.add(
                type(exc) if isinstance(exc, ConfigError | MissingColumnError) else ConfigError,
                text,
            )
    return specs


def _check_standards(
    cfg: Mapping[str, Any],
    villages: pd.DataFrame,
    townships: pd.DataFrame | None,
    services: list[str],
    problems: Problems,
) -> None:
    """The standards load, and the villages have the columns they and the township summary need."""
    cols, eq = cfg["columns"], cfg["equity"]
    standards = None
    try:
        standards = project_standards(cfg)
    except AccessibilityError as exc:
        problems.add(ConfigError, f"[equity] standards: {exc}")
    if standards is not None:
        rows = applicable_standards(standards, services)
        local = rows.loc[rows["area_type"] != "all"]
        if len(local):
            names = ", ".join(dict.fromkeys(local["name"]))
            msg = _column_problem(
                villages,
                cols["area_type"],
                "[columns] area_type",
                f"by the urban/rural standards of [equity] standards = {eq['standards']!r} "
                f"({names})",
                "Add a column with 'urban'/'rural' per village and name it in [columns] "
                'area_type, or set [equity] standards = "none" (or a standards file with '
                "'all' entries only)",
            )
            if msg:
                problems.add(MissingColumnError, msg)
        if townships is not None:
            by = cols["township"]
            msg = _column_problem(
                villages,
                by,
                "[columns] township",
                "to sum the villages up by the townships of [input] townships",
                "Name the villages' township column in [columns] township, or remove [input] "
                "townships",
            )
            if msg:
                problems.add(MissingColumnError, msg)
            elif by not in townships.columns:
                problems.add(
                    MissingColumnError,
                    f"the townships layer has no column {by!r} (set by [columns] township) to "
                    f"join the villages' summary on.{suggest(by, townships.columns)} Columns "
                    f"found: {', '.join(map(str, townships.columns))}. Give the townships layer "
                    "the same township code as the villages",
                )


def _check_income(cfg: Mapping[str, Any], villages: pd.DataFrame, problems: Problems) -> None:
    """The income column ``[equity] income`` names (for the concentration index) exists."""
    income = cfg["equity"].get("income")
    if income:
        msg = _column_problem(
            villages,
            income,
            "[equity] income",
            "to rank the villages for the concentration index",
            "Name the income column in [equity] income, or remove the key",
        )
        if msg:
            problems.add(MissingColumnError, msg)
