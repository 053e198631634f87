"""Villages, facilities and population for a project that has only an OpenStreetMap file.

``[input] osm = "county.osm.pbf"`` supplies the roads and, when ``[input] villages`` or
``[input] facilities`` is not given, the villages (``place=*`` nodes and areas, filtered by
``[osm] places`` and ``[osm] name_pattern``) and the facilities (``[osm.services]``: a service
name -> OSM tags mapping, :data:`DEFAULT_OSM_SERVICES` when absent). Population comes from the
villages layer's column, or from ``[input] population_raster`` (every populated cell to its nearest
village, :func:`accessibility.raster.allocate_population`, within :data:`POPULATION_REACH_M` of
the villages' convex hull) or ``[input] population_constant``.
"""

from __future__ import annotations

import logging
import re
import warnings
from collections.abc import Iterable, Mapping
from typing import Any, Literal

import geopandas as gpd
import numpy as np
import pandas as pd

from ..errors import ConfigError
from ..io import read_layer
from ..osm import read_osm_places, read_osm_pois

__all__ = [
    "DEFAULT_OSM_PLACES",
    "DEFAULT_OSM_SERVICES",
    "POPULATION_REACH_M",
    "URBAN_PLACES",
    "check_osm_config",
    "osm_facilities",
    "osm_profile",
    "osm_villages",
    "project_facilities",
    "project_villages",
]

_log = logging.getLogger(__name__)

#: ``place=*`` values read as villages by default: settlements, ``locality`` included (in China
#: many villages, …村, are mapped as ``place=locality``); ``suburb`` and ``neighbourhood`` are
#: parts of a town and would count its people twice.
DEFAULT_OSM_PLACES: tuple[str, ...] = (
    "city",
    "town",
    "village",
    "hamlet",
    "isolated_dwelling",
    "locality",
)

#: ``place=*`` values whose villages are ``area_type = "urban"``; all others are ``"rural"``.
URBAN_PLACES: tuple[str, ...] = ("city", "town", "suburb", "neighbourhood")

#: Population cells are taken from the villages' convex hull grown by this many metres (a
#: WorldPop raster usually covers a whole country).
POPULATION_REACH_M = 1000.0

#: Service name -> OSM tags (key -> values, or ``True`` for any value) read as facilities by
#: default. A feature is given the first service whose tags it has.
DEFAULT_OSM_SERVICES: dict[str, dict[str, list[str] | bool]] = {
    "hospital": {"amenity": ["hospital"], "healthcare": ["hospital"]},
    "clinic": {"amenity": ["clinic"], "healthcare": ["clinic", "centre"]},
    "doctors": {"amenity": ["doctors"], "healthcare": ["doctor"]},
    "kindergarten": {"amenity": ["kindergarten", "childcare"]},
    "school": {"amenity": ["school"]},
    "elder_care": {
        "amenity": ["nursing_home"],
        "social_facility": ["nursing_home", "assisted_living"],
    },
    "social_facility": {"amenity": ["social_facility"]},
}


def osm_villages(
    path: Any,
    *,
    places: Iterable[str] = DEFAULT_OSM_PLACES,
    name_pattern: str | None = None,
) -> gpd.GeoDataFrame:
    """Villages from an OSM file: ``place=*`` features with the given values whose name matches
    ``name_pattern`` (a regular expression searched in the name, e.g. ``"村$"``; unnamed places
    are dropped when a pattern is given).

    The OSM ``population`` tag is kept as ``population_osm`` (it is rarely tagged);
    ``area_type`` is ``"urban"`` for :data:`URBAN_PLACES` (city, town, suburb, neighbourhood) and
    ``"rural"`` otherwise, for the urban/rural standards and the report.

    Examples
    --------
    >>> import accessibility as acc
    >>> from accessibility.datasets import write_demo_osm
    >>> pbf, _ = write_demo_osm("demo_osm")
    >>> v = osm_villages(pbf, name_pattern="村$")
    >>> bool(v["name"].str.endswith("村").all()), "population_osm" in v
    (True, True)
    """
    gdf = read_osm_places(path, places=list(places))
    if name_pattern:
        keep = gdf["name"].fillna("").str.contains(re.compile(name_pattern))
        _log.info(
            "%d of %d places match [osm] name_pattern = %r", int(keep.sum()), len(gdf), name_pattern
        )
        gdf = gdf[keep]
    _log.info("villages from OSM: %s", gdf["place"].value_counts().to_dict())
    urban = gdf["place"].isin(URBAN_PLACES)
    gdf = gdf.assign(area_type=np.where(urban, "urban", "rural"))
    return gdf.rename(columns={"population": "population_osm"})


def osm_facilities(
    path: Any, services: Mapping[str, Mapping[str, Iterable[str] | bool]] | None = None
) -> gpd.GeoDataFrame:
    """Facilities from an OSM file: each feature with the tags of a service (first match wins)
    gets that service in the ``service`` column; the ``capacity`` and ``beds`` tags are numbers in
    ``capacity_osm`` and ``beds_osm`` where tagged (NaN otherwise).

    Examples
    --------
    >>> from accessibility.datasets import write_demo_osm
    >>> pbf, _ = write_demo_osm("demo_osm")
    >>> f = osm_facilities(pbf)
    >>> f["service"].value_counts().to_dict()
    {'doctors': 221, 'school': 92, 'social_facility': 77, 'clinic': 11, 'elder_care': 10, 'hospital': 1}
    """
    services = DEFAULT_OSM_SERVICES if services is None else services
    union: dict[str, set[str] | Literal[True]] = {}
    for tags in services.values():
        for key, values in tags.items():
            current = union.get(key)
            if values is True or current is True:
                union[key] = True
            elif values:  # a list of values
                union[key] = (current or set()) | set(values)
    gdf = read_osm_pois(path, union, extra_tags=("name", "capacity", "beds"))

    def service_of(row: pd.Series) -> str | None:
        for name, tags in services.items():
            for key, values in tags.items():
                v = row.get(key)
                if isinstance(v, str) and (values is True or (values and v in values)):
                    return name
        return None

    gdf["service"] = gdf.apply(service_of, axis=1) if len(gdf) else pd.Series(dtype=object)
    gdf = gdf[gdf["service"].notna()].copy()
    for col in ("capacity", "beds"):  # rarely tagged: name them in [columns] capacity to use
        gdf[f"{col}_osm"] = pd.to_numeric(gdf.pop(col), errors="coerce")
    _log.info("facilities from OSM: %s", gdf["service"].value_counts().to_dict())
    return gdf


def _read(inp: Mapping[str, Any], key: str) -> gpd.GeoDataFrame:
    return read_layer(inp[key], layer=inp.get(f"{key}_layer"), encoding=inp.get(f"{key}_encoding"))


def _add_population(villages: gpd.GeoDataFrame, cfg: Mapping[str, Any]) -> gpd.GeoDataFrame:
    """The ``[columns] population`` column from ``[input] population_raster`` or
    ``population_constant``, when one is set."""
    inp, column = cfg["input"], cfg["columns"]["population"]
    raster, constant = inp.get("population_raster"), inp.get("population_constant")
    if raster is None and constant is None:
        return villages
    if not column:
        raise ConfigError(
            "[input] population_raster / population_constant need a column name in "
            '[columns] population (e.g. "population")'
        )
    source = "population_raster" if raster is not None else "population_constant"
    if column in villages.columns:
        raise ConfigError(
            f"[input] {source} is set, but the villages already have a {column!r} column "
            "([columns] population). Remove the key to use the column, or name another column "
            'in [columns] population (e.g. "population_raster") to use the raster'
        )
    out = villages.copy()
    if constant is not None:
        out[column] = float(constant)
        _log.info("population: %g per village ([input] population_constant)", constant)
        return out
    from .._crs import metric_crs
    from ..raster import allocate_population

    points = out.reset_index(drop=True)
    # only the study area's cells: a WorldPop raster usually covers a whole country
    metric = points.geometry.to_crs(metric_crs(points))
    hull = metric.union_all().convex_hull.buffer(POPULATION_REACH_M)
    area = gpd.GeoSeries([hull], crs=metric.crs)
    pop = allocate_population(raster, points, within=area)
    if not pop.sum() > 0:
        raise ConfigError(
            f"[input] population_raster = {raster!r} has no population within "
            f"{POPULATION_REACH_M:g} m of the villages: does it cover the study area (check its "
            "extent and CRS)?"
        )
    out[column] = pop.to_numpy()
    _log.info(
        "population from %s: %.0f people over %d villages (each populated cell within %g m of "
        "the villages' convex hull to its nearest village)",
        raster,
        float(pop.sum()),
        len(out),
        POPULATION_REACH_M,
    )
    return out


def project_villages(cfg: Mapping[str, Any]) -> gpd.GeoDataFrame:
    """The villages of a validated project configuration: ``[input] villages`` or, without it,
    the places of ``[input] osm``; with the population of ``[input] population_raster`` or
    ``population_constant`` when set.

    Examples
    --------
    >>> from accessibility.datasets import write_demo_osm
    >>> from accessibility.project import validate_config
    >>> pbf, raster = write_demo_osm("demo_osm")
    >>> cfg = validate_config({"input": {"osm": str(pbf), "population_raster": str(raster)}})
    >>> villages = project_villages(cfg)
    >>> len(villages), round(float(villages["population"].sum()), -3)
    (354, 526000.0)
    """
    inp = cfg["input"]
    if inp.get("villages"):
        villages = _read(inp, "villages")
    else:
        osm = cfg.get("osm", {})
        places, pattern = osm.get("places", DEFAULT_OSM_PLACES), osm.get("name_pattern")
        villages = osm_villages(inp["osm"], places=places, name_pattern=pattern)
        if villages.empty:
            raise ConfigError(
                f"[input] osm = {inp['osm']!r} has no villages: no place=* feature of [osm] "
                f"places = {list(places)!r}"
                + (f" with a name matching [osm] name_pattern = {pattern!r}" if pattern else "")
                + ". Add to [osm] places the place=* values the villages are mapped with, loosen or "
                'remove name_pattern, or give a village layer in [input] villages = "villages.shp"'
            )
    return _add_population(villages, cfg)


def project_facilities(cfg: Mapping[str, Any]) -> gpd.GeoDataFrame:
    """The facilities of a validated project configuration: ``[input] facilities`` or, without it,
    the features of ``[input] osm`` with the tags of ``[osm.services]``.

    Examples
    --------
    >>> from accessibility.datasets import write_demo_osm
    >>> from accessibility.project import validate_config
    >>> pbf, _ = write_demo_osm("demo_osm")
    >>> services = {"health": {"amenity": ["clinic", "doctors", "hospital"]}}
    >>> cfg = validate_config({"input": {"osm": str(pbf)}, "osm": {"services": services}})
    >>> project_facilities(cfg)["service"].value_counts().to_dict()
    {'health': 233}
    """
    inp = cfg["input"]
    if inp.get("facilities"):
        return _read(inp, "facilities")
    return osm_facilities(inp["osm"], cfg.get("osm", {}).get("services"))


def check_osm_config(cfg: Mapping[str, Any]) -> None:
    """Check ``[osm]``, ``[input] population_raster`` / ``population_constant`` and
    ``[network] uniform_speed_kmh`` of a configuration (called by
    :func:`accessibility.project.validate_config`).

    Examples
    --------
    >>> cfg = {"osm": {"name_pattern": "("}, "input": {}, "network": {"modes": ["car"]}}
    >>> check_osm_config(cfg)
    Traceback (most recent call last):
    ...
    accessibility.errors.ConfigError: [osm] name_pattern = '(' is not a regular expression (missing ), unterminated subpattern at position 0); e.g. "村$"
    """
    osm = cfg.get("osm", {})
    places = osm.get("places", list(DEFAULT_OSM_PLACES))
    if not isinstance(places, list) or not places or not all(isinstance(p, str) for p in places):
        raise ConfigError(
            f'[osm] places = {places!r}: must be a list of place=* values like ["village", '
            '"hamlet", "locality"]'
        )
    pattern = osm.get("name_pattern")
    if pattern is not None:
        if not isinstance(pattern, str):
            raise ConfigError(
                f'[osm] name_pattern = {pattern!r}: must be a regular expression in quotes, e.g. "村$"'
            )
        try:
            re.compile(str(pattern))
        except re.error as exc:
            raise ConfigError(
                f'[osm] name_pattern = {pattern!r} is not a regular expression ({exc}); e.g. "村$"'
            ) from None
    services = osm.get("services", DEFAULT_OSM_SERVICES)
    example = '[osm.services] clinic = { amenity = ["clinic", "doctors"] }'
    if not isinstance(services, dict) or not services:
        raise ConfigError(f"[osm] services = {services!r}: must be a table like `{example}`")
    for name, tags in services.items():
        ok = bool(isinstance(tags, dict) and tags) and all(
            v is True or (isinstance(v, list) and v and all(isinstance(x, str) for x in v))
            for v in tags.values()
        )
        if not ok:
            raise ConfigError(
                f"[osm.services] {name} = {tags!r}: must be a table of OSM key -> list of values "
                f"(or true for any value), e.g. `{example}`"
            )
    inp = cfg["input"]
    if inp.get("population_raster") and inp.get("population_constant") is not None:
        raise ConfigError(
            "[input] has both population_raster and population_constant; keep one of them"
        )
    uniform = cfg["network"].get("uniform_speed_kmh")
    if uniform is not None:
        ok = isinstance(uniform, dict) and all(
            isinstance(v, int | float) and not isinstance(v, bool) and 0 < v < float("inf")
            for v in uniform.values()
        )
        if not ok:
            raise ConfigError(
                f"[network] uniform_speed_kmh = {uniform!r}: must be a table of mode -> km/h "
                "(a finite number > 0), e.g. `uniform_speed_kmh = { car = 40 }`"
            )
        unknown = [m for m in uniform if m not in cfg["network"]["modes"]]
        if unknown:
            raise ConfigError(
                f"[network] uniform_speed_kmh: mode {unknown[0]!r} is not in [network] modes "
                f"{cfg['network']['modes']}"
            )


def osm_profile(profile: Any) -> Any:
    """The speed table of a project with OSM input: ``"osm"`` when ``[network] profile`` is not
    set (the ``"china"`` default is for Chinese road layers); a ``"china"`` set explicitly is kept
    with an :class:`~accessibility.errors.InputWarning`, as OSM ``highway`` classes are not
    Chinese road classes.

    Examples
    --------
    >>> osm_profile(None)
    'osm'
    """
    if profile is None:
        return "osm"
    if profile == "china":
        from ..errors import InputWarning

        warnings.warn(
            '[network] profile = "china" with [input] osm: OSM highway classes (primary, '
            "residential, track, ...) are not Chinese road classes, so most roads take the "
            '"unknown" class speed. Remove the key (OSM input defaults to "osm") unless this is '
            "what you want",
            InputWarning,
            stacklevel=4,
        )
    return profile
