"""The TOML project file: inputs, column mapping, network, services, measures, outputs.

Every key is checked: an unknown key is an error that names it and suggests the closest valid key;
paths are resolved relative to the project file. See ``docs/project_file.md`` for the reference and
``data/demo_project.toml`` for a complete example.
"""

from __future__ import annotations

import copy
import math
import os
import re
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from .._deprecate import warn_api_change
from ..errors import ConfigError, suggest

__all__ = ["DEFAULTS", "load_config", "validate_config"]

_ANY = object()

#: The schema: allowed keys with their default values (types are checked against the defaults;
#: ``None`` defaults accept any scalar of the documented type).
DEFAULTS: dict[str, Any] = {
    "project": {"name": "accessibility project", "crs": None, "language": None},
    "input": {
        "roads": None,
        "roads_layer": None,
        "osm": None,
        "villages": None,
        "villages_layer": None,
        "facilities": None,
        "facilities_layer": None,
        "townships": None,
        "townships_layer": None,
        # text encoding of a Shapefile (e.g. "gbk"); default: detected (see read_layer)
        "roads_encoding": None,
        "villages_encoding": None,
        "facilities_encoding": None,
        "townships_encoding": None,
        # population when the villages have no column: a raster (WorldPop) or one number each
        "population_raster": None,
        "population_constant": None,
    },
    # villages and facilities read from [input] osm when [input] villages / facilities are absent
    "osm": {"places": _ANY, "name_pattern": None, "services": _ANY},
    "columns": {
        "village_id": None,
        "village_name": "name",
        "population": "population",
        "township": "township",
        "area_type": "area_type",
        "facility_id": None,
        "facility_name": "name",
        "service": "service",
        "capacity": "capacity",
        "road_class": "road_class",
        "oneway": "oneway",
        "road_name": "name",
        "road_speed": None,
    },
    "network": {
        "profile": "china",
        "modes": ["walk", "bike", "ebike", "car"],
        "tolerance_m": 1.0,
        "split_crossings": False,
        "use_maxspeed": True,
        "oneway": True,
        "max_snap_m": 1000.0,
        "connector_speed_kmh": 5.0,
        "dem": None,
        "speeds": _ANY,
        "uniform_speed_kmh": _ANY,  # {mode = km/h}: one speed on every road the mode may use
    },
    "analysis": {
        "mode": "car",
        "thresholds_min": [15, 30, 60],
        "max_time_min": None,
        "services": None,
        "village_polygons": "representative",
    },
    "services": _ANY,  # per-service tables, checked by _check_service
    "catchments": {
        "services": [],
        "thresholds_min": [5, 10, 15],
        "rings": False,
        "direction": "to_facility",
        "walk_speed_kmh": 5.0,
        "simplify_m": 5.0,
        "radii_m": _ANY,
        "compare_band_min": None,
    },
    "equity": {
        "standards": "default",
        "groups": ["area_type", "township"],
        "income": None,
    },
    # buses: a county line table or a GTFS feed and how to search it (docs/transit.md)
    "transit": {
        "lines": None,
        "lines_csv": None,
        "gtfs": None,
        "gtfs_date": None,
        "crs": None,
        "day_type": None,
        "window": ["07:00", "09:00"],
        "step_min": 1,
        "percentiles": [50, 80],
        "wait": "schedule",
        "max_walk_min": 20.0,
        "transfer_m": 400.0,
        "max_transfers": 2,
        "max_time_min": 120.0,
        "bus_speed_factor": 0.8,
        "walk": "network",
        "walk_speed_kmh": 4.8,
        "standards": None,  # a standards TOML of bus rows (mode = "transit") added to [equity]'s
        "zones": None,  # demand-responsive zones: a polygon layer with lead_min and speed_kmh
    },
    # [tiers.<group>], [audit], [indicators]: checked by accessibility.project.tiers
    "tiers": _ANY,
    "audit": _ANY,
    "indicators": _ANY,
    "output": {
        "folder": "accessibility_output",
        "geopackage": "accessibility.gpkg",
        "csv": "villages.csv",
        "report": "report.html",
        "qgis_project": "accessibility.qgz",
        "workbook": "villages.xlsx",
        "overwrite": True,
        "roads": True,
        # national-size outputs (accessibility.project.parquet): folder names / a CSV name
        "parquet": "",
        "county_geopackages": "",
        "county_summary": "",
    },
}

SERVICE_KEYS: dict[str, Any] = {
    "mode": "car",
    "thresholds_min": [15, 30, 60],
    "max_time_min": None,
    "demand": "population",
    "supply": "capacity",
    "label": None,
    "measures": [],
    "pupils": False,  # by bus: school runs only pupils may ride count (school services)
}


def _type_ok(value: Any, default: Any) -> bool:
    if default is None or default is _ANY:
        return True
    if isinstance(default, bool):
        return isinstance(value, bool)
    if isinstance(default, int | float):
        return isinstance(value, int | float) and not isinstance(value, bool)
    if isinstance(default, str):
        return isinstance(value, str)
    if isinstance(default, list):
        return isinstance(value, list)
    if isinstance(default, dict):
        return isinstance(value, dict)
    return True


def _check_table(table: Mapping[str, Any], schema: Mapping[str, Any], where: str) -> None:
    for key, value in table.items():
        if key not in schema:
            raise ConfigError(
                f"unknown key {key!r} in [{where}].{suggest(key, schema)} "
                f"Valid keys: {', '.join(sorted(schema))}"
            )
        default = schema[key]
        if isinstance(default, dict) and default is not _ANY:
            if not isinstance(value, dict):
                raise ConfigError(f"[{where}] {key} must be a table, got {value!r}")
            _check_table(value, default, f"{where}.{key}" if where else key)
        elif not _type_ok(value, default):
            raise ConfigError(
                f"[{where}] {key} = {value!r} has the wrong type; expected "
                f"{type(default).__name__} like {default!r}"
            )


#: old key names that keep working for one release: (table, old key) -> new key
RENAMED_KEYS = {("catchments", "bands_min"): "thresholds_min"}


def _renamed_keys(raw: Mapping[str, Any]) -> Mapping[str, Any]:
    """``raw`` with the old keys of :data:`RENAMED_KEYS` renamed (with a FutureWarning)."""
    out = dict(raw)
    for (table, old), new in RENAMED_KEYS.items():
        section = out.get(table)
        if not isinstance(section, dict) or old not in section:
            continue
        if new in section:
            raise ConfigError(f"[{table}] give {new} only ({old} is its old name)")
        _check_minutes(section[old], f"[{table}] {old}")  # named as written (all are minutes)
        warn_api_change(
            f"[{table}] {old} is now called {new} (same meaning); {old} will stop working in "
            "the next release",
            stacklevel=4,
        )
        out[table] = {(new if k == old else k): v for k, v in section.items()}
    return out


def _defaults(schema: Mapping[str, Any]) -> dict[str, Any]:
    """The schema's default values, leaving out free-form entries (``_ANY``)."""
    return {
        k: (_defaults(v) if isinstance(v, dict) else v) for k, v in schema.items() if v is not _ANY
    }


def _merge(base: dict[str, Any], over: Mapping[str, Any]) -> dict[str, Any]:
    out = copy.deepcopy(base)
    for k, v in over.items():
        if isinstance(v, dict) and isinstance(out.get(k), dict):
            out[k] = _merge(out[k], v)
        else:
            out[k] = copy.deepcopy(v)
    return out


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _check_number(value: Any, where: str, *, allow_zero: bool = False) -> None:
    """A finite number > 0 (or >= 0 with ``allow_zero``), else a ConfigError naming the key."""
    ok = _is_number(value) and math.isfinite(value) and (value >= 0 if allow_zero else value > 0)
    if not ok:
        want = "a finite number >= 0" if allow_zero else "a finite number > 0"
        raise ConfigError(f"{where} = {value!r}: must be {want}")


def _check_minutes(values: Any, where: str) -> None:
    if (
        not isinstance(values, list)
        or not values
        or any(not _is_number(t) or not math.isfinite(t) or t <= 0 for t in values)
    ):
        raise ConfigError(
            f"{where} must be a list of positive minutes like [15, 30], got {values!r}"
        )


def _check_text(value: Any, where: str, what: str = "a file path in quotes") -> None:
    if value is not None and not isinstance(value, str):
        raise ConfigError(f'{where} = {value!r}: must be {what}, e.g. "roads.gpkg"')


def _check_encoding(value: Any, where: str) -> None:
    """A text encoding Python knows (``"gbk"``, ``"gb18030"``, ``"utf-8"``, ``"cp936"``)."""
    if value is None:
        return
    import codecs

    try:
        if not isinstance(value, str):
            raise LookupError
        codecs.lookup(value)
    except LookupError:
        known = ["gbk", "gb18030", "gb2312", "utf-8", "big5", "latin1"]
        raise ConfigError(
            f"{where} = {value!r} is not a known text encoding.{suggest(str(value), known)} Chinese "
            'Shapefiles are usually "gbk" (also "gb18030", "cp936"), others "utf-8".'
        ) from None


def _check_speeds(speeds: Any) -> None:
    """``[network.speeds]``: mode -> road class -> km/h (finite, >= 0; 0 = not allowed)."""
    example = "[network.speeds.car] county = 45"
    if not isinstance(speeds, dict):
        raise ConfigError(
            f"[network] speeds = {speeds!r}: must be a table per mode, e.g. `{example}`"
        )
    for mode, classes in speeds.items():
        if not isinstance(classes, dict):
            raise ConfigError(
                f"[network.speeds] {mode} = {classes!r}: must be a table of road class -> km/h, "
                f"e.g. `{example}`"
            )
        for cls, kmh in classes.items():
            if not _is_number(kmh) or not math.isfinite(kmh) or kmh < 0:
                raise ConfigError(
                    f"[network.speeds.{mode}] {cls} = {kmh!r}: must be a speed in km/h, a finite "
                    "number >= 0 (0 = not allowed)"
                )


#: The file ending each output must have: GDAL chooses its driver by the ending, so a GeoPackage
#: named ``*.csv`` would be written as CSV (or fail half-way through the run).
OUTPUT_SUFFIXES: dict[str, tuple[str, ...]] = {
    "geopackage": (".gpkg",),
    "csv": (".csv",),
    "report": (".html", ".htm"),
    "qgis_project": (".qgz",),
    "workbook": (".xlsx",),
    "county_summary": (".csv",),
}


def _check_output_names(output: Mapping[str, Any]) -> None:
    """Each output is a plain file name (or ``""`` to skip it) with its format's ending."""
    for key, suffixes in OUTPUT_SUFFIXES.items():
        name = output.get(key)
        _check_text(name, f"[output] {key}", 'a file name in quotes (or "" to skip it)')
        if name and not str(name).lower().endswith(suffixes):
            stem = Path(str(name)).stem or "output"
            raise ConfigError(
                f"[output] {key} = {name!r}: must end with {' or '.join(suffixes)} (the "
                f'{key} format), e.g. {key} = "{stem}{suffixes[0]}"; "" skips it'
            )


def _check_groups(cfg: Mapping[str, Any]) -> None:
    """``[equity] groups`` names only the breakdowns the report can give: by the area-type column
    (urban/rural) and by the township column, each named by its key (``"area_type"``,
    ``"township"``) or by the column name set in ``[columns]``. Anything else would be ignored."""
    groups = cfg["equity"]["groups"]
    if not all(isinstance(g, str) for g in groups):
        raise ConfigError(f"[equity] groups must be a list of column names, got {groups!r}")
    unknown = [g for g in groups if group_key(cfg, g) is None]
    if unknown:
        cols = cfg["columns"]
        named = " and ".join(
            f"[columns] {k} ({cols[k]!r})" if cols.get(k) else k for k in ("area_type", "township")
        )
        choices = [
            "area_type",
            "township",
            *(c for c in (cols["area_type"], cols["township"]) if c),
        ]
        raise ConfigError(
            f"[equity] groups = {groups!r}: {unknown[0]!r} cannot be used; the report breaks "
            f"coverage and inequality down by {named} only.{suggest(unknown[0], choices)} "
            "Remove it, or name your column in [columns] area_type / township."
        )


def group_key(cfg: Mapping[str, Any], group: str) -> str | None:
    """The ``[columns]`` key (``"area_type"`` or ``"township"``) an ``[equity] groups`` entry
    names, by key or by column name; None for anything else."""
    keys = ("area_type", "township")
    by_column = [k for k in keys if group == cfg["columns"].get(k)]  # a column name wins
    return by_column[0] if by_column else (group if group in keys else None)


def _check_values(cfg: dict[str, Any]) -> None:
    """Value checks beyond the types: paths are text, distances and speeds finite and positive."""
    for key, value in cfg["input"].items():
        what = "a layer name in quotes" if key.endswith("_layer") else "a file path in quotes"
        if key == "population_constant":
            if value is not None:
                _check_number(value, "[input] population_constant", allow_zero=True)
            continue
        if key.endswith("_layer") and isinstance(value, int) and not isinstance(value, bool):
            continue  # a layer number
        if key.endswith("_encoding"):
            _check_encoding(value, f"[input] {key}")
            continue
        _check_text(value, f"[input] {key}", what)
    for key, value in cfg["columns"].items():
        _check_text(value, f"[columns] {key}", "a column name in quotes")
    net = cfg["network"]
    _check_text(net.get("dem"), "[network] dem")
    _check_number(net["tolerance_m"], "[network] tolerance_m", allow_zero=True)
    _check_number(net["max_snap_m"], "[network] max_snap_m")
    _check_number(net["connector_speed_kmh"], "[network] connector_speed_kmh")
    if not all(isinstance(m, str) for m in net["modes"]):
        raise ConfigError(f"[network] modes must be a list of mode names, got {net['modes']!r}")
    if "speeds" in net:
        _check_speeds(net["speeds"])
    ana = cfg["analysis"]
    _check_minutes(ana["thresholds_min"], "[analysis] thresholds_min")
    if ana.get("max_time_min") is not None:
        _check_number(ana["max_time_min"], "[analysis] max_time_min")
    for name, table in cfg["services"].items():
        _check_minutes(table["thresholds_min"], f"[services.{name}] thresholds_min")
        if table.get("max_time_min") is not None:
            _check_number(table["max_time_min"], f"[services.{name}] max_time_min")
    _check_output_names(cfg["output"])
    from .osm_inputs import check_osm_config

    check_osm_config(cfg)
    if cfg["project"].get("language") is not None:
        from ..i18n import check_language

        check_language(cfg["project"]["language"])
    _check_groups(cfg)
    _check_transit(cfg)
    cat = cfg["catchments"]
    _check_minutes(cat["thresholds_min"], "[catchments] thresholds_min")
    _check_number(cat["walk_speed_kmh"], "[catchments] walk_speed_kmh")
    _check_number(cat["simplify_m"], "[catchments] simplify_m", allow_zero=True)
    if cat.get("compare_band_min") is not None:
        _check_number(cat["compare_band_min"], "[catchments] compare_band_min")
    radii = cat.get("radii_m")
    if radii is not None:
        if not isinstance(radii, dict):
            raise ConfigError(
                f"[catchments] radii_m = {radii!r}: must be a table like {{ clinic = 1500 }}"
            )
        for service, metres in radii.items():
            _check_number(metres, f"[catchments.radii_m] {service}")


def _check_transit(cfg: dict[str, Any]) -> None:
    """``[transit]``: one timetable source, a window, percentiles, limits, wait semantics."""
    tr = cfg["transit"]
    for key in ("lines", "lines_csv", "gtfs", "gtfs_date", "crs", "day_type", "standards", "zones"):
        _check_text(tr[key], f"[transit] {key}", "text in quotes")
    if tr["lines"] and tr["gtfs"]:
        raise ConfigError("[transit] has both `lines` and `gtfs`; keep one of them")
    win = tr["window"]
    if not (isinstance(win, list) and len(win) == 2 and all(isinstance(t, str) for t in win)):
        raise ConfigError(f'[transit] window = {win!r}: must be ["HH:MM", "HH:MM"]')
    _check_minutes(tr["percentiles"], "[transit] percentiles")
    if any(p > 100 for p in tr["percentiles"]):
        raise ConfigError(f"[transit] percentiles = {tr['percentiles']!r}: at most 100")
    for key in ("max_walk_min", "transfer_m", "max_time_min", "bus_speed_factor", "step_min"):
        _check_number(tr[key], f"[transit] {key}")
    _check_number(tr["max_transfers"], "[transit] max_transfers", allow_zero=True)
    waits = ("schedule", "half_headway", "planned")
    if tr["wait"] not in waits:
        raise ConfigError(
            f"[transit] wait = {tr['wait']!r}: use one of {list(waits)}.{suggest(tr['wait'], waits)}"
        )
    if tr["walk"] not in ("network", "straight"):
        raise ConfigError(f'[transit] walk = {tr["walk"]!r}: use "network" or "straight"')
    uses = [n for n, t in cfg["services"].items() if t["mode"] == "transit"]
    if (uses or cfg["analysis"]["mode"] == "transit") and not (tr["lines"] or tr["gtfs"]):
        raise ConfigError(
            f"mode = 'transit' ({', '.join(f'[services.{n}]' for n in uses) or '[analysis]'}) "
            'needs a timetable: [transit] lines = "bus_lines.toml" or gtfs = "feed.zip"'
        )


def validate_config(raw: Mapping[str, Any], *, base_dir: str | os.PathLike = ".") -> dict[str, Any]:
    """Check a project configuration (as parsed from TOML) and fill in defaults.

    Paths in ``[input]`` and ``[output] folder`` are resolved relative to ``base_dir``.

    Raises
    ------
    ConfigError
        Unknown keys (with a "Did you mean" hint), wrong types, paths that are not text, distances,
        speeds and minutes that are not finite and positive, ``[network.speeds]`` that is not a
        table of tables of km/h, missing required inputs.
    """
    raw = _renamed_keys(raw)
    _check_table(raw, DEFAULTS, "")
    cfg = _merge(_defaults(DEFAULTS), {k: v for k, v in raw.items() if k != "services"})
    services = raw.get("services", {})
    if not isinstance(services, dict):
        raise ConfigError(
            "[services] must be a table of per-service tables, e.g. [services.clinic]"
        )
    cfg["services"] = {}
    for name, table in services.items():
        if not isinstance(table, dict):
            raise ConfigError(f"[services.{name}] must be a table, got {table!r}")
        _check_table(table, SERVICE_KEYS, f"services.{name}")
        cfg["services"][name] = _merge(
            {
                **SERVICE_KEYS,
                "mode": cfg["analysis"]["mode"],
                "thresholds_min": cfg["analysis"]["thresholds_min"],
                "max_time_min": cfg["analysis"]["max_time_min"],
                # demand and supply default to the [columns] names (户籍人口, 床位数 ...)
                "demand": cfg["columns"]["population"] or SERVICE_KEYS["demand"],
                "supply": cfg["columns"]["capacity"] or SERVICE_KEYS["supply"],
            },
            table,
        )
    _check_values(cfg)
    from .tiers import check_tier_config

    check_tier_config(cfg, Path(base_dir))
    inp = cfg["input"]
    if not inp.get("roads") and not inp.get("osm"):
        raise ConfigError(
            '[input] needs `roads = "roads.gpkg"` (a road layer) or `osm = "area.osm.pbf"`'
        )
    if inp.get("roads") and inp.get("osm"):
        raise ConfigError("[input] has both `roads` and `osm`; keep one of them")
    for key in ("villages", "facilities"):
        if not inp.get(key) and not inp.get("osm"):
            raise ConfigError(
                f'[input] needs `{key} = "path"` (or `osm = "area.osm.pbf"` to read them from '
                "OpenStreetMap, see [osm] in docs/project_file.md)"
            )
    if inp.get("osm"):
        from .osm_inputs import osm_profile

        cfg["network"]["profile"] = osm_profile(raw.get("network", {}).get("profile"))
    base = Path(base_dir)
    std = cfg["equity"].get("standards")
    if std and std not in ("default", "none"):
        p = Path(os.path.expanduser(std))
        p = p if p.is_absolute() else base / p
        if not p.exists():
            raise ConfigError(
                f'[equity] standards = {std!r}: file {str(p)!r} does not exist; use "default" '
                "for the built-in Chinese standards or give the path of your own TOML table"
            )
        cfg["equity"]["standards"] = str(p)
    dem = cfg["network"].get("dem")
    if dem:
        p = Path(os.path.expanduser(dem))
        p = p if p.is_absolute() else base / p
        if not p.exists():
            raise ConfigError(f"[network] dem = {dem!r}: file {str(p)!r} does not exist")
        cfg["network"]["dem"] = str(p)
    for key in ("lines", "lines_csv", "gtfs", "standards", "zones"):
        if cfg["transit"].get(key):
            p = Path(os.path.expanduser(cfg["transit"][key]))
            p = p if p.is_absolute() else base / p
            if not p.exists():
                raise ConfigError(f"[transit] {key} = {cfg['transit'][key]!r}: no file {str(p)!r}")
            cfg["transit"][key] = str(p)
    for key in ("roads", "osm", "villages", "facilities", "townships", "population_raster"):
        if inp.get(key):
            p = Path(os.path.expanduser(inp[key]))
            p = p if p.is_absolute() else base / p
            if not p.exists():
                raise ConfigError(f"[input] {key} = {inp[key]!r}: file {str(p)!r} does not exist")
            inp[key] = str(p)
    folder = Path(os.path.expanduser(cfg["output"]["folder"]))
    cfg["output"]["folder"] = str(folder if folder.is_absolute() else base / folder)
    return cfg


_BARE_KEY = re.compile(r"^\s*(?P<key>[^\s=\"'#\[][^=\"'#]*?)\s*=(?P<rest>.*)$")


def _bare_key_hint(text: str, exc: Exception) -> str:
    """When a TOML error comes from a bare key that is not ASCII (``县道 = 45``), say how to quote
    it; otherwise an empty string."""
    m = re.search(r"at line (\d+)", str(exc))
    lines = text.splitlines()
    if m is None or not 1 <= int(m.group(1)) <= len(lines):
        return ""
    n = int(m.group(1))
    hit = _BARE_KEY.match(lines[n - 1])
    if hit is None or hit.group("key").isascii():
        return ""
    key, rest = hit.group("key"), hit.group("rest").strip()
    quoted = ".".join(
        f'"{part.strip()}"' if not part.strip().isascii() else part.strip()
        for part in key.split(".")
    )
    return (
        f". Line {n} has the key {key!r}, which is not ASCII: TOML keys that are not plain ASCII "
        f"letters, digits, _ or - must be quoted. Write `{quoted} = {rest}`"
    )


def load_config(path: str | os.PathLike) -> dict[str, Any]:
    """Read and validate a TOML project file."""
    p = Path(path)
    if not p.exists():
        raise ConfigError(f"project file {str(p)!r} does not exist")
    try:
        text = p.read_text(encoding="utf-8")
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(
            f"{str(p)!r} is not valid TOML: {exc}{_bare_key_hint(text, exc)}"
        ) from exc
    except UnicodeDecodeError as exc:
        raise ConfigError(f"{str(p)!r} is not UTF-8 text; save it as UTF-8") from exc
    cfg = validate_config(raw, base_dir=p.resolve().parent)
    cfg["_project_file"] = str(p.resolve())  # an input too: no output may write over it
    return cfg
