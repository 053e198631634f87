"""Facility types as counties write them (卫生院, 敬老院, 村小 ...) read as the services the standards
name (``health_centre``, ``elder_care``, ``primary_school`` ...), by the ``[names]`` table of the
standards file: each service's Chinese and English name and its ``aliases``."""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from typing import Any

import geopandas as gpd

__all__ = ["recode_services", "service_aliases"]

_log = logging.getLogger(__name__)


def service_aliases(names: Mapping[str, Mapping[str, Any]]) -> dict[str, str]:
    """``{name as a layer may write it: service code}`` from a standards ``[names]`` table: the
    Chinese name, the English name (any case) and every alias of each service.

    Examples
    --------
    >>> names = {"health_centre": {"zh": "乡镇卫生院", "en": "township health centre",
    ...                            "aliases": ["卫生院"]}}
    >>> sorted(service_aliases(names).items())
    [('township health centre', 'health_centre'), ('乡镇卫生院', 'health_centre'), ('卫生院', 'health_centre')]
    """
    out: dict[str, str] = {}
    for code, entry in names.items():
        given = [entry.get("zh"), entry.get("en"), *(entry.get("aliases") or [])]
        for name in given:
            if isinstance(name, str) and name.strip():
                out.setdefault(name.strip().casefold(), str(code))
    return out


def recode_services(
    facilities: gpd.GeoDataFrame,
    column: str,
    names: Mapping[str, Mapping[str, Any]],
    *,
    keep: Iterable[str] = (),
) -> gpd.GeoDataFrame:
    """The facilities with every service value that is a reader's name or an alias of a service
    replaced by its code (a new frame; the input is not changed). Values that are codes already,
    values in ``keep`` (services the project names itself) and values no name matches stay as
    they are; the replacements are logged.

    Examples
    --------
    >>> import geopandas as gpd
    >>> from shapely.geometry import Point
    >>> f = gpd.GeoDataFrame({"类型": ["卫生院", "clinic", "药店"]}, geometry=[Point(0, 0)] * 3)
    >>> names = {"health_centre": {"zh": "乡镇卫生院", "aliases": ["卫生院"]},
    ...          "clinic": {"zh": "村卫生室"}}
    >>> recode_services(f, "类型", names)["类型"].tolist()
    ['health_centre', 'clinic', '药店']
    """
    if column not in facilities.columns or not names:
        return facilities
    aliases = service_aliases(names)
    kept = {str(k) for k in keep}
    values = facilities[column].astype("string").str.strip()
    found = {
        v: aliases[v.casefold()]
        for v in values.dropna().unique()
        if v not in names and v not in kept and v.casefold() in aliases
    }
    if not found:
        return facilities
    out = facilities.copy()
    mask = values.isin(list(found))
    out.loc[mask, column] = values[mask].map(found).astype(object)
    counts = values[mask].value_counts()
    _log.info(
        "facility types read as services: %s",
        ", ".join(f"{v} -> {found[v]} ({counts[v]})" for v in sorted(found)),
    )
    return out
