"""``accessibility init FOLDER``: a commented project file from whatever data a folder holds.

The folder is scanned for GIS layers (Shapefiles, GeoPackages, GeoJSON), OpenStreetMap files
and rasters; each layer's role (roads, villages, facilities, townships) and columns (names,
population, road class, ...) are recognised by geometry, names and values (a Chinese road-class
column by its values 国道/省道/县道/乡道/村道); the project file says what it found, and what is
missing, in comments beside each key.
"""

from __future__ import annotations

import logging
import os
import re
import warnings
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from ..errors import AccessibilityError, ConfigError

__all__ = ["LayerInfo", "init_project", "project_file_text", "scan_folder"]

_log = logging.getLogger(__name__)

_VECTOR = (".shp", ".gpkg", ".geojson", ".json")
_OSM = (".osm.pbf", ".pbf", ".osm", ".osm.gz", ".osm.bz2")
_RASTER = (".tif", ".tiff", ".hgt", ".hgt.zip")
_CHINESE_CLASSES = {"高速", "高速公路", "国道", "省道", "县道", "乡道", "村道"}
_OSM_HIGHWAYS = {"motorway", "trunk", "primary", "secondary", "tertiary", "residential", "track"}
#: column-name patterns per [columns] key (matched case-insensitively, whole name)
_COLUMN_NAMES: dict[str, str] = {
    "population": r"population|pop|pop_total|总人口|人口|户籍人口|常住人口|人口数",
    "village_name": r"name|名称|村名|村庄名称|村名称|行政村",
    "village_id": r"village_id|vid|id|code|村编码|村代码|编码|代码",
    "township": r"township|town|乡镇|乡镇名称|所属乡镇",
    "area_type": r"area_type|urban_rural|城乡|城乡类型",
    "facility_name": r"name|名称|设施名称|单位名称",
    "facility_id": r"facility_id|fid|id|code|编码|代码",
    "service": r"service|services|type|category|amenity|类型|设施类型|类别",
    "capacity": r"capacity|beds|床位|床位数|学位|容量",
    "road_class": r"road_class|class|fclass|highway|kind|等级|道路等级|技术等级|行政等级",
    "oneway": r"oneway|one_way|单行|单向|是否单行",
    "road_name": r"name|名称|路名|道路名称",
}
_ROLE_NAMES: dict[str, str] = {
    "roads": r"road|street|highway|道路|路网|公路",
    "villages": r"village|settlement|place|村|居民点|聚落",
    "facilities": r"facilit|poi|service|school|hospital|clinic|设施|学校|医院|卫生",
    "townships": r"township|town|admin|boundary|乡镇|行政区",
}


@dataclass
class LayerInfo:
    """One layer found in the folder: where it is, its geometry, its columns, its role."""

    path: Path
    layer: str | None
    geometry: str
    n_features: int
    columns: list[str]
    crs: str | None
    encoding: str | None = None
    role: str | None = None
    found: dict[str, str] = field(default_factory=dict)  # [columns] key -> column
    classes: dict[str, int] = field(default_factory=dict)  # road class -> number of lines


def _name_match(columns: Iterable[str], pattern: str) -> str | None:
    rx = re.compile(rf"^(?:{pattern})$", re.IGNORECASE)
    return next((c for c in columns if rx.match(str(c).strip())), None)


def _text_values(gdf: pd.DataFrame, column: str) -> set[str]:
    return {str(v).strip() for v in gdf[column].dropna().unique()[:500]}


def _road_class_column(gdf: pd.DataFrame) -> str | None:
    """A text column whose values are Chinese road classes (or OSM highway values), else one
    named like a road-class column."""
    for col in gdf.columns:
        if col == "geometry" or (gdf[col].dtype.kind not in "OUS" and str(gdf[col].dtype) != "str"):
            continue
        values = _text_values(gdf, col)
        if values & _CHINESE_CLASSES or len(values & _OSM_HIGHWAYS) >= 2:
            return str(col)
    return _name_match(gdf.columns, _COLUMN_NAMES["road_class"])


def _numeric(gdf: pd.DataFrame, column: str | None) -> bool:
    if column is None:
        return False
    values = pd.to_numeric(gdf[column], errors="coerce")
    return bool(values.notna().mean() > 0.9)


def _read(path: Path, layer: str | None) -> tuple[Any, str | None]:
    """The layer and the encoding read_layer detected (when it had to guess GB18030)."""
    from ..io import read_layer

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        gdf = read_layer(path, layer=layer)
    encoding = "gb18030" if any("GB18030" in str(w.message) for w in caught) else None
    return gdf, encoding


def _classify(info: LayerInfo, gdf: Any) -> None:
    """Set the layer's role and the columns recognised in it."""
    cols = [c for c in gdf.columns if c != "geometry"]
    label = f"{info.path.stem} {info.layer or ''}"
    if "Line" in info.geometry:
        info.role = "roads"
        for key in ("road_class", "oneway", "road_name"):
            col = _road_class_column(gdf) if key == "road_class" else None
            col = col or _name_match(cols, _COLUMN_NAMES[key])
            if col:
                info.found[key] = col
        if "road_class" in info.found:
            counts = gdf[info.found["road_class"]].astype(str).value_counts()
            info.classes = {str(k): int(v) for k, v in counts.items()}
        return
    named = {r for r, rx in _ROLE_NAMES.items() if re.search(rx, label, re.IGNORECASE)}
    service = _name_match(cols, _COLUMN_NAMES["service"])
    population = _name_match(cols, _COLUMN_NAMES["population"])
    keys: tuple[str, ...]
    if "Polygon" in info.geometry and ("townships" in named or not (named or population)):
        info.role = "townships"
        keys = ("township",)
    elif "facilities" in named or (service and "villages" not in named):
        info.role = "facilities"
        keys = ("facility_id", "facility_name", "service", "capacity")
    else:
        info.role = "villages"
        keys = ("village_id", "village_name", "population", "township", "area_type")
    for key in keys:
        col = _name_match(cols, _COLUMN_NAMES[key])
        if key in ("population", "capacity") and not _numeric(gdf, col):
            col = None
        if key.endswith("_id") and col is not None and not gdf[col].is_unique:
            col = None
        if key == "area_type" and col is not None:
            if not _text_values(gdf, col) <= {"urban", "rural"}:
                col = None
        if col:
            info.found[key] = col


def _skipped(path: Path, root: Path) -> bool:
    """Hidden files and folders, and outputs of earlier runs (``*output*`` folders)."""
    parts = path.relative_to(root).parts
    return any(p.startswith(".") for p in parts) or any("output" in p for p in parts[:-1])


def scan_folder(folder: str | os.PathLike) -> dict[str, Any]:
    """What a folder holds for a project: ``layers`` (:class:`LayerInfo`, with their roles and
    recognised columns), ``osm`` (OSM files), ``rasters`` (``population`` / ``dem`` /
    ``other`` -> paths) and ``unreadable`` (files that are not GIS layers, with the reason).

    Examples
    --------
    >>> from accessibility.datasets import write_county_shapefiles
    >>> _ = write_county_shapefiles("county_shp")
    >>> found = scan_folder("county_shp")
    >>> sorted((i.path.name, i.role) for i in found["layers"])
    [('乡镇.shp', 'townships'), ('村庄.shp', 'villages'), ('设施.shp', 'facilities'), ('道路.shp', 'roads')]
    >>> [i.found for i in found["layers"] if i.role == "roads"]
    [{'road_class': '道路等级', 'oneway': '单行', 'road_name': '名称'}]
    """
    from ..io import list_layers

    root = Path(folder)
    if not root.is_dir():
        raise ConfigError(f"{str(root)!r} is not a folder; give the folder holding your data")
    found: dict[str, Any] = {"layers": [], "osm": [], "rasters": {}, "unreadable": []}
    for path in sorted(p for p in root.rglob("*") if p.is_file() and not _skipped(p, root)):
        name = path.name.lower()
        if name.endswith(_OSM):
            found["osm"].append(path)
        elif name.endswith(_RASTER):
            kind = (
                "dem"
                if re.search(r"dem|srtm|elev|hgt|高程", name)
                else "population"
                if re.search(r"pop|worldpop|人口|ppp", name)
                else "other"
            )
            found["rasters"].setdefault(kind, []).append(path)
        elif name.endswith(_VECTOR):
            try:
                layers = list_layers(path)
            except AccessibilityError as exc:
                found["unreadable"].append(f"{path.name}: {exc}")
                continue
            for layer, geom in layers.items():
                if geom is None or layer == "layer_styles":
                    continue
                gdf, encoding = _read(path, layer if name.endswith(".gpkg") else None)
                info = LayerInfo(
                    path, layer if name.endswith(".gpkg") else None, str(geom), len(gdf),
                    [str(c) for c in gdf.columns if c != "geometry"],
                    gdf.crs.to_string() if gdf.crs else None, encoding,
                )  # fmt: skip
                _classify(info, gdf)
                found["layers"].append(info)
    return found


def _q(value: Any) -> str:
    """A TOML value."""
    if isinstance(value, str):
        return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return "[" + ", ".join(_q(v) for v in value) + "]"
    return repr(value)


def _rel(path: Path, base: Path) -> str:
    return Path(os.path.relpath(path.absolute(), base.absolute())).as_posix()


def _pick(layers: list[LayerInfo], role: str) -> tuple[LayerInfo | None, list[LayerInfo]]:
    """The layer with the most recognised columns for a role, and the others."""
    these = sorted((i for i in layers if i.role == role), key=lambda i: -len(i.found))
    return (these[0], these[1:]) if these else (None, [])


def _describe(info: LayerInfo) -> str:
    crs = info.crs or "no CRS"
    text = f"{info.geometry}, {info.n_features} features, {crs}"
    return text + (", text read as GB18030 (no .cpg)" if info.encoding else "")


def _input_lines(
    found: Mapping[str, Any], base: Path, chosen: dict[str, LayerInfo | None], missing: list[str]
) -> list[str]:
    lines = ["[input]"]
    # a road layer and an OSM file cannot both be [input]: the road layer wins
    osm = found["osm"][0] if found["osm"] and chosen["roads"] is None else None
    for role in ("roads", "villages", "facilities", "townships"):
        info = chosen[role]
        if info is None:
            continue
        lines.append(f"{role} = {_q(_rel(info.path, base))}  # {_describe(info)}")
        if info.layer is not None:
            lines.append(f"{role}_layer = {_q(info.layer)}")
        if info.encoding:
            lines.append(f"{role}_encoding = {_q(info.encoding)}")
    if osm is not None:
        from_osm = [r for r in ("roads", "villages", "facilities") if chosen[r] is None]
        lines.append(f"osm = {_q(_rel(osm, base))}  # OpenStreetMap: {', '.join(from_osm)}")
    elif chosen["roads"] is None:
        missing.append("a road network: a road line layer or an OSM file (.osm.pbf)")
        lines.append('# roads = "roads.shp"  # MISSING: a road line layer, or osm = "area.osm.pbf"')
    for role in ("villages", "facilities"):
        if chosen[role] is None and osm is None:
            how = (
                "or, to read them from the OSM file found, no road layer in [input] (roads, "
                "villages and facilities then all come from [input] osm)"
                if found["osm"]
                else "or an OSM file to read them from"
            )
            missing.append(f"{role}: a point layer ({how})")
            lines.append(f'# {role} = "{role}.shp"  # MISSING')
    villages = chosen["villages"]
    pop_rasters = found["rasters"].get("population", [])
    if villages is not None and "population" in villages.found:
        pass
    elif pop_rasters:
        lines.append(
            f"population_raster = {_q(_rel(pop_rasters[0], base))}  # people per cell (e.g. "
            "WorldPop); each populated cell goes to its nearest village"
        )
    else:
        missing.append(
            "population: no population column in the villages and no population raster; every "
            "village counts as 1 person until you set [input] population_raster (e.g. WorldPop) "
            "or a [columns] population column"
        )
        lines.append(
            "population_constant = 1  # MISSING population: every village counts the same. Set "
            'population_raster = "worldpop.tif" or [columns] population instead'
        )
    if found["rasters"].get("dem"):
        lines.append(
            f"# DEM found: set [network] dem = {_q(_rel(found['rasters']['dem'][0], base))}"
        )
    return lines


def _osm_lines() -> list[str]:
    from .osm_inputs import DEFAULT_OSM_PLACES, DEFAULT_OSM_SERVICES

    lines = [
        "",
        "# villages and facilities read from the OSM file (no layer of them was found)",
        "[osm]",
        f"places = {_q(list(DEFAULT_OSM_PLACES))}  # place=* values read as villages",
        '# name_pattern = "村$"  # keep only places whose name matches (a regular expression)',
        "",
        "# service name -> OSM tags (key -> values, or true for any); the first match wins",
        "[osm.services]",
    ]
    for name, tags in DEFAULT_OSM_SERVICES.items():
        inner = ", ".join(f"{k} = {_q(v)}" for k, v in tags.items())
        lines.append(f"{name} = {{ {inner} }}")
    return lines


def _road_profile(classes: Mapping[str, int]) -> str:
    """The speed table that knows more of the road lines: "osm" for OSM highway values (e.g. a
    Geofabrik ``fclass`` column), else "china"."""
    from ..speeds import normalise_class, speed_profile

    def known(profile: str) -> int:
        table = set(speed_profile(profile)["car"])
        return sum(n for c, n in classes.items() if normalise_class(c, profile) in table)

    return "osm" if known("osm") > known("china") else "china"


def _class_lines(classes: Mapping[str, int], profile: str) -> list[str]:
    """Comment lines: the road classes found, and those the speed table does not know."""
    from ..speeds import normalise_class, speed_profile

    known = set(speed_profile(profile)["car"])
    shown = ", ".join(f"{c} {n}" for c, n in list(classes.items())[:20])
    lines = [f"# road classes found (lines): {shown}"]
    unknown = [c for c in classes if normalise_class(c, profile) not in known]
    if unknown:
        example = unknown[0] if unknown[0].isascii() else f'"{unknown[0]}"'
        lines.append(
            f"# not in the {profile!r} speed table: {', '.join(unknown[:20])}; they get the "
            f"'unknown' speed unless set, e.g. [network.speeds.car] {example} = 30"
        )
    return lines


def project_file_text(
    found: Mapping[str, Any], base: str | os.PathLike, *, name: str | None = None
) -> tuple[str, list[str]]:
    """The commented project file for what :func:`scan_folder` found, with paths relative to
    ``base`` (the project file's folder), and the list of what is missing."""
    base = Path(base)
    missing: list[str] = []
    chosen: dict[str, LayerInfo | None] = {}
    others: list[LayerInfo] = []
    for role in ("roads", "villages", "facilities", "townships"):
        chosen[role], rest = _pick(found["layers"], role)
        others += rest
    head = [
        "# Project file written by `accessibility init`: check the keys, then",
        "#   accessibility run project.toml",
        "# Reference: docs/project_file.md. Paths are relative to this file.",
    ]
    head += [
        f"# also found, not used: {_rel(i.path, base)}"
        + (f", layer {i.layer!r}" if i.layer is not None else "")
        + f" ({i.role})"
        for i in others
    ]
    unused_osm = found["osm"] if chosen["roads"] is not None else found["osm"][1:]
    head += [
        f"# also found, not used: {_rel(p, base)} (OSM; [input] takes one road source)"
        for p in unused_osm
    ]
    head += [f"# could not read: {text}" for text in found.get("unreadable", [])]
    lines = ["", "[project]", f"name = {_q(name or base.resolve().name)}", ""]
    lines += _input_lines(found, base, chosen, missing)
    osm_used = bool(found["osm"]) and chosen["roads"] is None
    osm_used = osm_used and (chosen["villages"] is None or chosen["facilities"] is None)
    if osm_used:
        lines += _osm_lines()
    lines += ["", "[columns]"]
    written: set[str] = set()
    for role in ("villages", "facilities", "roads", "townships"):
        info = chosen[role]
        for key, col in (info.found if info else {}).items():
            if key in written:
                continue
            written.add(key)
            lines.append(f"{key} = {_q(col)}  # {role}: column {col!r}")
    fac = chosen["facilities"]
    if fac is not None and "service" not in fac.found:
        missing.append(f"the facilities' service column (one of {fac.columns})")
        lines.append('# service = "?"  # MISSING: the facilities column naming the service')
    if fac is None or "capacity" not in fac.found:
        lines.append('capacity = ""  # no capacity column: counts, times and coverage only')
    roads = chosen["roads"]
    if roads is not None and "road_class" not in roads.found:
        missing.append(f"the roads' class column (one of {roads.columns})")
    road_values = roads.found.get("road_class") if roads else None
    lines += ["", "[network]"]
    if roads is not None:
        profile = _road_profile(roads.classes) if road_values else "osm"
        lines.append(f"profile = {_q(profile)}  # speed table of the road classes")
    else:
        lines.append('profile = "osm"  # speed table of OSM highway classes')
    if roads is not None and roads.classes:
        lines += _class_lines(roads.classes, profile)
    lines += [
        "# comparison settings (e.g. to match another tool):",
        "# uniform_speed_kmh = { car = 40 }  # one speed on every road the mode may use",
        "# oneway = false  # ignore one-way tags",
        "# use_maxspeed = false  # ignore OSM maxspeed tags",
    ]
    villages = chosen["villages"]
    if villages is not None and "area_type" not in villages.found:
        lines += [
            "",
            "[equity]",
            'standards = "none"  # no urban/rural column: the Chinese standards need one',
            "groups = []",
        ]
    lines += ["", "[output]", 'folder = "accessibility_output"', ""]
    if missing:
        head += ["# MISSING:"] + [f"#   - {m}" for m in missing]
    return "\n".join(head + lines), missing


def init_project(
    folder: str | os.PathLike,
    *,
    path: str | os.PathLike | None = None,
    overwrite: bool = False,
) -> tuple[Path, list[str]]:
    """Scan ``folder`` and write a commented project file (default ``folder/project.toml``).

    Returns
    -------
    tuple
        The project file's path and what is missing (empty when the project can run as is).

    Raises
    ------
    ConfigError
        When the file exists and ``overwrite`` is false, or the folder holds no usable data.

    Examples
    --------
    >>> from accessibility.datasets import write_demo_osm
    >>> _ = write_demo_osm("demo_osm")
    >>> toml, missing = init_project("demo_osm", overwrite=True)
    >>> toml.name, missing
    ('project.toml', [])
    """
    target = Path(path) if path is not None else Path(folder) / "project.toml"
    if target.exists() and not overwrite:
        raise ConfigError(f"{str(target)!r} exists; give another path or overwrite it (--force)")
    found = scan_folder(folder)
    if not found["layers"] and not found["osm"]:
        raise ConfigError(
            f"{str(folder)!r} holds no GIS layer (.shp, .gpkg, .geojson) and no OSM file "
            "(.osm.pbf); put your data there or give another folder"
        )
    text, missing = project_file_text(found, target.parent)
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(text, encoding="utf-8")
    _log.info("wrote %s", target)
    return target, missing
