"""Speed profiles: travel speed per road class and mode.

Two built-in profiles:

``"china"``
    Chinese administrative road classes (高速 expressway, 国道 national, 省道 provincial, 县道 county,
    乡道 township, 村道 village, unpaved tracks 机耕路) and urban street classes (快速路, 主干路, 次干路,
    支路). Car speeds start from the design speeds of the highway technical grades in JTG B01-2014
    (*Technical Standard of Highway Engineering*, table 3.6.1: expressway 120/100/80 km/h, class I
    100/80/60, class II 80/60, class III 40/30, class IV 30/20) and take the grade a road of that
    administrative class usually has in rural counties (national ≈ class I/II, provincial ≈ class II,
    county ≈ class III, township ≈ class III/IV, village ≈ class IV), discounted to typical operating
    speeds below the design speed. E-bike speeds are capped at 25 km/h (GB 17761-2018).
``"osm"``
    OpenStreetMap ``highway=*`` values, with speeds in the range osmnx and OSRM use as defaults for
    rural roads.

Both are plain nested dicts ``{mode: {road_class: speed_kmh}}``; a speed of 0 or a missing class means
the mode may not use roads of that class. Users override any entry with
:func:`speed_profile(..., overrides=...) <speed_profile>`, or per edge with a speed column when the
network is built.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Iterable, Mapping

from .errors import ConfigError, InvalidValueError, SpeedOverrideError, suggest

__all__ = [
    "CHINA_CLASS_ALIASES",
    "MODES",
    "PROFILES",
    "check_speed_overrides",
    "normalise_class",
    "speed_profile",
]

#: Modes known to the built-in profiles.
MODES: tuple[str, ...] = ("walk", "bike", "ebike", "car")

_CHINA: dict[str, dict[str, float]] = {
    "car": {
        "expressway": 100.0,  # JTG B01-2014: 80-120 design
        "national": 70.0,  # class I/II: 60-100 design
        "provincial": 60.0,  # class II: 60-80 design
        "county": 40.0,  # class III: 30-40 design
        "township": 30.0,  # class III/IV: 20-40 design
        "village": 20.0,  # class IV: 20-30 design
        "track": 10.0,  # unpaved, below class IV
        "urban_expressway": 60.0,  # 快速路 CJJ 37: 60-100 design
        "urban_arterial": 35.0,  # 主干路 40-60 design, with signals
        "urban_secondary": 25.0,  # 次干路 30-50 design
        "urban_branch": 15.0,  # 支路 20-40 design
        "path": 0.0,
        "unknown": 20.0,
    },
    "ebike": {
        "expressway": 0.0,
        "national": 20.0,
        "provincial": 20.0,
        "county": 20.0,
        "township": 20.0,
        "village": 18.0,
        "track": 12.0,
        "urban_expressway": 0.0,
        "urban_arterial": 18.0,
        "urban_secondary": 18.0,
        "urban_branch": 15.0,
        "path": 10.0,
        "unknown": 15.0,
    },
    "bike": {
        "expressway": 0.0,
        "national": 14.0,
        "provincial": 14.0,
        "county": 14.0,
        "township": 14.0,
        "village": 12.0,
        "track": 9.0,
        "urban_expressway": 0.0,
        "urban_arterial": 13.0,
        "urban_secondary": 13.0,
        "urban_branch": 12.0,
        "path": 8.0,
        "unknown": 12.0,
    },
    "walk": {
        "expressway": 0.0,
        "national": 4.5,
        "provincial": 4.5,
        "county": 4.5,
        "township": 4.5,
        "village": 4.5,
        "track": 4.0,
        "urban_expressway": 0.0,
        "urban_arterial": 4.5,
        "urban_secondary": 4.5,
        "urban_branch": 4.5,
        "path": 4.0,
        "unknown": 4.5,
    },
}

#: Names accepted for the Chinese classes (Chinese, pinyin, common GIS codes).
CHINA_CLASS_ALIASES: dict[str, str] = {
    "高速": "expressway",
    "高速公路": "expressway",
    "gaosu": "expressway",
    "motorway": "expressway",
    "国道": "national",
    "guodao": "national",
    "g": "national",
    "省道": "provincial",
    "shengdao": "provincial",
    "s": "provincial",
    "县道": "county",
    "xiandao": "county",
    "x": "county",
    "乡道": "township",
    "xiangdao": "township",
    "y": "township",
    "村道": "village",
    "cundao": "village",
    "c": "village",
    "机耕路": "track",
    "土路": "track",
    "unpaved": "track",
    "快速路": "urban_expressway",
    "主干路": "urban_arterial",
    "次干路": "urban_secondary",
    "支路": "urban_branch",
    "步道": "path",
    "人行道": "path",
}

_OSM_CAR = {
    "motorway": 100.0,
    "trunk": 80.0,
    "primary": 65.0,
    "secondary": 55.0,
    "tertiary": 45.0,
    "unclassified": 35.0,
    "residential": 25.0,
    "living_street": 10.0,
    "service": 15.0,
    "road": 30.0,
    "track": 15.0,
    "motorway_link": 60.0,
    "trunk_link": 50.0,
    "primary_link": 45.0,
    "secondary_link": 40.0,
    "tertiary_link": 35.0,
    "unknown": 25.0,
}
_NO_BIKE_WALK = {"motorway", "motorway_link", "trunk", "trunk_link"}
_PATHS = ("path", "footway", "cycleway", "bridleway", "steps", "pedestrian", "corridor")

_OSM: dict[str, dict[str, float]] = {
    "car": {**_OSM_CAR, **dict.fromkeys(_PATHS, 0.0)},
    "ebike": {
        **{k: (0.0 if k in _NO_BIKE_WALK else min(20.0, v)) for k, v in _OSM_CAR.items()},
        "track": 12.0,
        "path": 10.0,
        "cycleway": 20.0,
        "footway": 0.0,
        "bridleway": 0.0,
        "steps": 0.0,
        "pedestrian": 8.0,
        "corridor": 0.0,
    },
    "bike": {
        **{k: (0.0 if k in _NO_BIKE_WALK else 14.0) for k in _OSM_CAR},
        "track": 9.0,
        "living_street": 10.0,
        "path": 8.0,
        "cycleway": 15.0,
        "footway": 0.0,
        "bridleway": 0.0,
        "steps": 0.0,
        "pedestrian": 6.0,
        "corridor": 0.0,
    },
    "walk": {
        **{k: (0.0 if k in _NO_BIKE_WALK else 4.5) for k in _OSM_CAR},
        "track": 4.0,
        "path": 4.0,
        "footway": 4.5,
        "cycleway": 4.5,
        "bridleway": 4.0,
        "steps": 2.0,
        "pedestrian": 4.5,
        "corridor": 4.0,
    },
}

#: Built-in profiles by name.
PROFILES: dict[str, dict[str, dict[str, float]]] = {"china": _CHINA, "osm": _OSM}


def normalise_class(value: object, profile_name: str | None = "china") -> str:
    """Map a road class as found in a layer to the profile's key (aliases, case, spaces)."""
    if value is None or (isinstance(value, float) and value != value):
        return "unknown"
    text = str(value).strip()
    low = text.lower().replace(" ", "_").replace("-", "_")
    if profile_name == "china":
        return CHINA_CLASS_ALIASES.get(text, CHINA_CLASS_ALIASES.get(low, low))
    return low


def speed_profile(
    profile: str | Mapping[str, Mapping[str, float]] = "china",
    *,
    overrides: Mapping[str, Mapping[str, float]] | None = None,
    modes: tuple[str, ...] | list[str] | None = None,
) -> dict[str, dict[str, float]]:
    """Return a speed table ``{mode: {road_class: speed_kmh}}``.

    Parameters
    ----------
    profile
        ``"china"``, ``"osm"``, or a complete table of your own.
    overrides
        Entries that replace or extend the profile, e.g. ``{"car": {"county": 45}}``.
        Chinese class names are accepted (``{"car": {"县道": 45}}``).
    modes
        Keep only these modes.

    Returns
    -------
    dict
        A new nested dict; speeds in km/h, 0 meaning "not allowed".

    Examples
    --------
    >>> from accessibility import speed_profile
    >>> speed_profile("china", overrides={"car": {"县道": 45}})["car"]["county"]
    45.0
    """
    if isinstance(profile, str):
        if profile not in PROFILES:
            raise ConfigError(
                f"unknown speed profile {profile!r}; use one of {sorted(PROFILES)} or pass a dict."
                + suggest(profile, PROFILES)
            )
        name: str | None = profile
        table = copy.deepcopy(PROFILES[profile])
    else:
        name = None
        table = {str(m): {str(k): float(v) for k, v in d.items()} for m, d in profile.items()}
    if overrides is not None and not isinstance(overrides, Mapping):
        raise ConfigError(
            f"speed overrides must be a table per mode like {{'car': {{'county': 45}}}}, got "
            f"{overrides!r}"
        )
    for mode, classes in (overrides or {}).items():
        if not isinstance(classes, Mapping):
            raise ConfigError(
                f"speed overrides for mode {mode!r} must be a table of road class -> km/h like "
                f"{{'county': 45}}, got {classes!r}"
            )
        for cls, speed in classes.items():
            if isinstance(speed, bool) or not isinstance(speed, int | float):
                raise ConfigError(
                    f"speed override {mode}.{cls} = {speed!r} is not a number of km/h"
                )
        if mode not in table:
            raise SpeedOverrideError(
                f"speed override for unknown mode {mode!r} ([network.speeds.{mode}] in a project "
                f"file); modes are {sorted(table)}." + suggest(mode, table)
            )
        for cls, speed in classes.items():
            table[mode][normalise_class(cls, name)] = float(speed)
    if modes is not None:
        missing = [m for m in modes if m not in table]
        if missing:
            raise ConfigError(
                f"mode(s) {missing} are not in the speed profile; it has {sorted(table)}."
                + suggest(missing[0], table)
            )
        table = {m: table[m] for m in modes}
    for mode, classes in table.items():
        bad = {k: v for k, v in classes.items() if not (v >= 0) or v != v}
        if bad:
            raise InvalidValueError(
                f"speeds must be >= 0 km/h (0 = not allowed); mode {mode!r} has {bad}"
            )
        if "unknown" not in classes:
            # roads of a class the table does not know travel at the slowest allowed speed
            allowed = [v for v in classes.values() if v > 0]
            classes["unknown"] = min(allowed) if allowed else 0.0
    return table


def _list(names: Iterable[str], limit: int = 30) -> str:
    names = list(names)
    more = f" and {len(names) - limit} more" if len(names) > limit else ""
    return (", ".join(names[:limit]) + more) if names else "(none)"


def check_speed_overrides(
    overrides: Mapping[str, Mapping[str, float]] | None,
    *,
    profile: str | Mapping[str, Mapping[str, float]],
    data_classes: Iterable[object],
) -> dict[str, set[str]]:
    """Check that every speed override names a mode of the profile and a road class that the
    data or the profile has; return the classes set explicitly, per mode.

    A class that only the data has extends the profile (``{"car": {"forest_road": 15}}``); a class
    only the profile has is allowed (it may simply be absent from this county). A key matching
    neither, such as ``country`` for ``county``, would be silently ignored, so it is an error.

    Parameters
    ----------
    overrides
        ``{mode: {road_class: km/h}}`` as given by the user (Chinese names and aliases allowed).
    profile
        ``"china"``, ``"osm"`` or a full table.
    data_classes
        Road classes as found in the data (before normalisation).

    Returns
    -------
    dict
        ``{mode: {normalised class, ...}}`` of the classes the user set explicitly.

    Raises
    ------
    SpeedOverrideError
        An :class:`~accessibility.errors.InvalidValueError` and a
        :class:`~accessibility.errors.ConfigError`, naming the unknown key, the classes in the data
        and in the profile, and the closest match.

    Examples
    --------
    >>> check_speed_overrides({"car": {"县道": 45}}, profile="china", data_classes=["县道"])
    {'car': {'county'}}
    """
    if not overrides:
        return {}
    name = profile if isinstance(profile, str) else None
    table = speed_profile(profile)
    data = sorted({normalise_class(c, name) for c in data_classes} - {"unknown"})
    known = {c for classes in table.values() for c in classes} - {"unknown"}
    explicit: dict[str, set[str]] = {}
    for mode, classes in overrides.items():
        if mode not in table:
            raise SpeedOverrideError(
                f"speed override for unknown mode {mode!r} ([network.speeds.{mode}] in a project "
                f"file); modes are {sorted(table)}." + suggest(mode, table)
            )
        for cls, speed in classes.items():
            key = normalise_class(cls, name)
            if key in known or key in data or key == "unknown":
                explicit.setdefault(mode, set()).add(key)
                continue
            what = f"the {name!r} profile" if name else "the speed table"
            aliases = (
                f" (also accepted: {_list(sorted(CHINA_CLASS_ALIASES), 40)})"
                if name == "china"
                else ""
            )
            candidates = [*data, *known, *(CHINA_CLASS_ALIASES if name == "china" else ())]
            hint = suggest(str(cls), candidates) or suggest(key, candidates)
            toml_key = cls if re.fullmatch(r"[A-Za-z0-9_-]+", str(cls)) else f'"{cls}"'
            raise SpeedOverrideError(
                f"speed override for road class {cls!r} (mode {mode!r}, {speed!r} km/h; "
                f"`[network.speeds.{mode}] {toml_key} = {speed!r}` in a project file) matches no "
                "road class, so it would be ignored. "
                f"Road classes in the data: {_list(data)}; in {what}: {_list(sorted(known))}"
                f"{aliases}.{hint} Correct the key, or remove it."
            )
    return explicit
