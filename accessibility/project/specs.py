"""A service's spec filled in: mode, thresholds, demand, supply, measures and how far its routing
must reach (:func:`service_specs`), as every run normalises the ``services`` argument."""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import pandas as pd

from ..errors import ConfigError, InvalidValueError, suggest
from ..measures import measure_reaches

__all__ = ["DEFAULT_THRESHOLDS_MIN", "analysis_defaults", "service_specs"]

_log = logging.getLogger(__name__)


DEFAULT_THRESHOLDS_MIN: tuple[float, ...] = (15, 30, 60)


def analysis_defaults(cfg: Mapping[str, Any]) -> dict[str, Any]:
    """The per-service defaults of a validated project configuration (``[analysis]`` and
    ``[columns]``), as the keyword arguments of :func:`service_specs` and
    :func:`accessibility.project.accessibility_layer`: ``service_column``, ``mode``,
    ``thresholds_min``, ``max_time_min``, ``demand`` and ``supply``."""
    cols, ana = cfg["columns"], cfg["analysis"]
    return {
        "service_column": cols["service"],
        "mode": ana["mode"],
        "thresholds_min": ana["thresholds_min"],
        "max_time_min": ana["max_time_min"],
        "demand": cols["population"],
        "supply": cols["capacity"],
    }


def service_specs(
    facilities: pd.DataFrame,
    services: Mapping[str, Mapping[str, Any]] | Sequence[str] | None,
    *,
    service_column: str,
    mode: str,
    thresholds_min: Sequence[float],
    max_time_min: float | None,
    demand: str,
    supply: str | None,
    transit: Any = None,
) -> dict[str, dict[str, Any]]:
    """Normalise the ``services`` argument to ``{service: spec}`` with every key filled in.

    A service by bus (``mode = "transit"``) gets ``transit`` (the
    :class:`~accessibility.transit.TransitSetup`, unless its spec has its own) and ``pupils``
    (default False: school runs only pupils may ride count only for services that set it)."""
    present = list(pd.unique(facilities[service_column].dropna().astype(str)))
    if services is None:
        names: list[str] = sorted(present)
        given: Mapping[str, Mapping[str, Any]] = {}
    elif isinstance(services, Mapping):
        names = list(services)
        given = services
    else:
        names = [str(s) for s in services]
        given = {}
    out: dict[str, dict[str, Any]] = {}
    for name in names:
        if name not in present:
            raise InvalidValueError(
                f"service {name!r} has no facilities (column {service_column!r} holds "
                f"{sorted(present)}).{suggest(name, present)}"
            )
        spec = {
            "mode": mode,
            "thresholds_min": list(thresholds_min),
            "max_time_min": max_time_min,
            "demand": demand,
            "supply": supply,
            "measures": [],
            "label": None,
        }
        spec.update({k: v for k, v in dict(given.get(name, {})).items() if v is not None})
        if spec["mode"] == "transit":
            spec.setdefault("pupils", False)
            if spec.get("transit") is None:  # evaluate_service says when none is given at all
                spec["transit"] = transit
        given_ts = spec["thresholds_min"]
        if isinstance(given_ts, str) or not isinstance(given_ts, Iterable):
            raise InvalidValueError(
                f"thresholds_min for {name!r} must be a list of minutes, e.g. [15, 30]; "
                f"got {given_ts!r}"
            )
        ts = sorted(float(t) for t in given_ts)
        if not ts or ts[0] <= 0:
            raise InvalidValueError(f"thresholds_min for {name!r} must be positive minutes")
        spec["thresholds_min"] = ts
        spec.update(_reach(name, spec, ts))
        out[name] = spec
    return out


def _reach(name: str, spec: Mapping[str, Any], ts: Sequence[float]) -> dict[str, Any]:
    """How far the cost table of a service must reach, from its thresholds and measures.

    ``max_time_min`` (the routing bound) becomes the largest of the thresholds and of every
    measure's own bound; an explicit ``max_time_min`` smaller than one of them is refused.
    ``unbounded_limit_min`` is where measures without a bound of their own are cut: the explicit
    ``max_time_min``, else the largest threshold.
    """

    explicit = spec["max_time_min"]
    if explicit is not None:
        ok = isinstance(explicit, int | float) and not isinstance(explicit, bool)
        if not ok or not float(explicit) > 0:
            raise InvalidValueError(
                f"max_time_min of service {name!r} must be a number of minutes > 0, got "
                f"{explicit!r}"
            )
        explicit = float(explicit)
    fix = (
        "Raise max_time_min ([services.{s}] max_time_min or [analysis] max_time_min in a "
        "project file) to at least {need:g}, or remove it so that routing reaches what the "
        "outputs need."
    )
    if explicit is not None and ts[-1] > explicit:
        raise ConfigError(
            f"service {name!r}: thresholds_min {ts[-1]:g} needs travel times up to {ts[-1]:g} "
            f"min, but max_time_min = {explicit:g} cuts routing there; the counts within "
            f"{ts[-1]:g} min would miss every facility beyond {explicit:g} min. "
            + fix.format(s=name, need=ts[-1])
        )
    try:
        reaches = measure_reaches(spec["measures"] or [])
    except (ConfigError, InvalidValueError) as exc:
        raise type(exc)(f"service {name!r} ([services.{name}] measures): {exc}") from exc
    base = explicit if explicit is not None else ts[-1]
    reach = base
    for where, need in reaches:
        if need is None:
            continue
        if explicit is not None and need > explicit:
            raise ConfigError(
                f"service {name!r}: {where} weighs travel times up to {need:g} min, but "
                f"max_time_min = {explicit:g} cuts routing there; the measure would be computed "
                f"on a table missing the pairs between {explicit:g} and {need:g} min. "
                + fix.format(s=name, need=need)
                + f" Or lower the measure's limit to {explicit:g} min."
            )
        reach = max(reach, float(need))
    if reach > base:
        _log.info(
            "service %s: routing to %g min (measures reach beyond the largest threshold, %g min)",
            name,
            reach,
            base,
        )
    return {"max_time_min": reach, "unbounded_limit_min": base}
