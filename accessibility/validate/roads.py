"""Road lines: :func:`validate_roads`."""

from __future__ import annotations

from collections.abc import Collection
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from .._deprecate import keyword_only
from ..errors import (
    CRSError,
    EmptyLayerError,
    GeometryError,
    InvalidValueError,
    MissingColumnError,
    suggest,
)
from .geometry import TYPE_NAMES, nonfinite_rows
from .numeric import check_numeric
from .problems import (
    Problems,
    crs_hint,
    examples,
    missing_column_message,
    require_geodataframe,
    warn_input,
)

if TYPE_CHECKING:
    import geopandas as gpd


#: Column names that usually hold a road class, in the order they are suggested.
ROAD_CLASS_COLUMN_CANDIDATES: tuple[str, ...] = (
    "road_class",
    "highway",
    "fclass",
    "class",
    "roadclass",
    "road_type",
    "type",
    "kind",
    "grade",
    "level",
    "等级",
    "道路等级",
    "公路等级",
    "技术等级",
    "行政等级",
    "类型",
    "道路类型",
)


# Road classes known without being told: the Chinese administrative and urban classes (English
# keys, Chinese names, pinyin, route letters), OSM highway=* values and Geofabrik fclass values.
_KNOWN_ROAD_CLASSES: frozenset[str] = frozenset(
    {
        # Chinese classes, English keys
        "expressway",
        "national",
        "provincial",
        "county",
        "township",
        "village",
        "track",
        "urban_expressway",
        "urban_arterial",
        "urban_secondary",
        "urban_branch",
        "path",
        # Chinese names, pinyin, route-number letters
        "高速",
        "高速公路",
        "国道",
        "省道",
        "县道",
        "乡道",
        "村道",
        "专用公路",
        "机耕路",
        "土路",
        "快速路",
        "主干路",
        "次干路",
        "支路",
        "步道",
        "人行道",
        "gaosu",
        "guodao",
        "shengdao",
        "xiandao",
        "xiangdao",
        "cundao",
        "g",
        "s",
        "x",
        "y",
        "c",
        "z",
        "unpaved",
        # OSM highway=*
        "motorway",
        "trunk",
        "primary",
        "secondary",
        "tertiary",
        "unclassified",
        "residential",
        "living_street",
        "service",
        "road",
        "motorway_link",
        "trunk_link",
        "primary_link",
        "secondary_link",
        "tertiary_link",
        "footway",
        "cycleway",
        "bridleway",
        "steps",
        "pedestrian",
        "corridor",
        "busway",
        # Geofabrik fclass
        "track_grade1",
        "track_grade2",
        "track_grade3",
        "track_grade4",
        "track_grade5",
        "unknown",
    }
)


def _norm_class(value: Any) -> str:
    return str(value).strip().lower().replace(" ", "_").replace("-", "_")


@keyword_only("speed_column")
def validate_roads(
    gdf: gpd.GeoDataFrame,
    class_column: str,
    *,
    speed_column: str | None = None,
    known_classes: Collection[str] | None = None,
    fill_class: str | None = None,
    name: str = "roads",
) -> gpd.GeoDataFrame:
    """Check a road layer and return a cleaned copy.

    ============================  ==================================================================
    input                         behaviour
    ============================  ==================================================================
    no rows                       EmptyLayerError
    no CRS                        CRSError with a hint from the coordinates
    no class column               MissingColumnError listing candidate columns present (highway,
                                  fclass, road_class, 等级, ...)
    roads with no class           InvalidValueError (or filled with ``fill_class`` + warning)
    unknown classes               InputWarning listing them with counts (they get the profile's
                                  "unknown" speed downstream)
    speed column missing          MissingColumnError
    zero / negative / text speed  InvalidValueError naming rows (NaN speeds are allowed: the
                                  class default applies)
    speeds above 200 km/h         InputWarning (units?)
    missing / empty geometry      dropped, InputWarning
    zero-length lines             dropped, InputWarning
    NaN coordinates               GeometryError
    3D lines                      Z dropped, InputWarning
    MultiLineString               split into parts (index repeated), InputWarning
    points / polygons             GeometryError
    self-loops (closed lines)     kept, InputWarning listing them, ``attrs["validation"]``
    ============================  ==================================================================

    Parameters
    ----------
    gdf
        Road lines.
    class_column
        Column holding the road class.
    speed_column
        Optional column of speeds in km/h.
    known_classes
        Classes accepted without a warning; ``None`` accepts the Chinese administrative and urban
        classes (English keys, Chinese names, pinyin, G/S/X/Y/C letters), OSM ``highway=*`` and
        Geofabrik ``fclass`` values. Compared case-insensitively.
    fill_class
        Class given to roads without one (with a warning); ``None`` makes them an error.
    name
        Name of the layer in messages.

    Returns
    -------
    geopandas.GeoDataFrame
        A cleaned copy, same index (repeated for split multi-part lines), with
        ``attrs["validation"]`` = ``{"self_loops": [...], "dropped": [...],
        "unknown_classes": {...}, "split_multipart": [...]}``.

    Examples
    --------
    >>> import geopandas as gpd
    >>> from shapely.geometry import LineString
    >>> roads = gpd.GeoDataFrame({"等级": ["县道", "乡道"]},
    ...     geometry=[LineString([(0, 0), (100, 0)]), LineString([(100, 0), (100, 50)])],
    ...     crs=32650)
    >>> len(validate_roads(roads, "等级"))
    2
    """
    require_geodataframe(gdf, name)
    if len(gdf) == 0:
        raise EmptyLayerError(
            f"{name}: the road layer has no features (0 rows). Check the file path and layer name "
            "(`pyogrio.list_layers(path)`)."
        )
    problems = Problems(name)
    out = gdf.copy()
    labels = pd.Index(gdf.index)
    report: dict[str, Any] = {
        "self_loops": [],
        "dropped": [],
        "unknown_classes": {},
        "split_multipart": [],
    }
    if gdf.crs is None:
        problems.add(CRSError, f"the layer has no CRS.{crs_hint(gdf)}")

    columns = [str(c) for c in gdf.columns]
    if class_column not in gdf.columns:
        problems.add(MissingColumnError, _missing_class_message(gdf, class_column, columns))
    else:
        report["unknown_classes"] = _check_classes(
            out, class_column, known_classes, fill_class, name, labels, problems
        )
    if speed_column is not None:
        if speed_column not in gdf.columns:
            problems.add(
                MissingColumnError,
                missing_column_message(speed_column, columns, "speed in km/h"),
            )
        else:
            _check_speeds(out, speed_column, name, labels, problems)
    geoms, drop, multi = _check_lines(out, name, labels, problems, report)

    problems.raise_if_any()

    out[out.geometry.name] = geoms
    out = out[~drop]
    if multi.any():
        report["split_multipart"] = list(labels[multi])
        warn_input(
            f"{name}: {int(multi.sum())} multi-part lines were split into their parts "
            f"(the index label repeats for each part): {examples(labels[multi])}."
        )
        out = out.explode(index_parts=False)
    out.attrs["validation"] = report
    return out


def _missing_class_message(gdf: gpd.GeoDataFrame, class_column: str, columns: list[str]) -> str:
    lower = {c.lower(): c for c in columns}
    present = [lower[c] for c in ROAD_CLASS_COLUMN_CANDIDATES if c in lower]
    cand = (
        f" Columns that may hold the road class: {', '.join(map(repr, present))}."
        if present
        else ""
    )
    return (
        f"road class column {class_column!r} is missing.{suggest(class_column, columns)}{cand}"
        f" Available columns: {', '.join(repr(c) for c in columns if c != gdf.geometry.name)}."
        " Pass the right column name (e.g. class_column='highway' for OSM data, 'fclass' for "
        "Geofabrik shapefiles)."
    )


def _check_classes(
    out: gpd.GeoDataFrame,
    class_column: str,
    known_classes: Collection[str] | None,
    fill_class: str | None,
    name: str,
    labels: pd.Index,
    problems: Problems,
) -> dict[str, int]:
    """Roads without a class (an error, or filled in ``out``) and the classes not known, with
    their counts (a warning)."""
    cls = out[class_column]
    no_class = cls.isna().to_numpy() | np.asarray(
        [isinstance(v, str) and not v.strip() for v in cls]
    )
    if no_class.any():
        if fill_class is None:
            problems.add(
                InvalidValueError,
                f"{int(no_class.sum())} road(s) have no class in {class_column!r}: "
                f"{examples(labels[no_class])}. Fill them in the source data or pass "
                "fill_class='village' (or another class) to give them one.",
            )
        else:
            out.loc[no_class, class_column] = fill_class
            warn_input(
                f"{name}: {int(no_class.sum())} road(s) had no class and were given "
                f"{fill_class!r}: {examples(labels[no_class])}."
            )
    known = (
        _KNOWN_ROAD_CLASSES
        if known_classes is None
        else frozenset(_norm_class(c) for c in known_classes)
    )
    values = out[class_column][~no_class] if fill_class is None else out[class_column]
    flat: list[Any] = []
    for v in values:
        if isinstance(v, list | tuple | np.ndarray):  # osmnx merged edges: ['primary', ...]
            flat.extend(v)
        else:
            flat.append(v)
    counts = pd.Series([str(v) for v in flat], dtype=object).value_counts()
    unknown = {
        k: int(n)
        for k, n in counts.items()
        if _norm_class(k) not in known and str(k).strip() not in known
    }
    if unknown:
        listed = ", ".join(f"{k!r} ({n})" for k, n in list(unknown.items())[:10])
        more = f" and {len(unknown) - 10} more" if len(unknown) > 10 else ""
        warn_input(
            f"{name}: {len(unknown)} road class(es) in {class_column!r} are not known: "
            f"{listed}{more}. They get the profile's 'unknown' speed; map them to known "
            "classes or give their speeds in the speed profile."
        )
    return unknown


def _check_speeds(
    out: gpd.GeoDataFrame, speed_column: str, name: str, labels: pd.Index, problems: Problems
) -> None:
    """Speeds must be positive numbers (NaN allowed); those above 200 km/h are warned of."""
    speeds = check_numeric(
        out[speed_column],
        labels,
        column=speed_column,
        nonnegative=True,
        positive=True,
        allow_nan=True,
        problems=problems,
    )
    out[speed_column] = speeds.to_numpy()
    fast = (speeds > 200).to_numpy()
    if fast.any():
        warn_input(
            f"{name}: {int(fast.sum())} speed(s) in {speed_column!r} are above 200 km/h "
            f"({examples(labels[fast], speeds[fast])}); speeds must be in km/h."
        )


def _check_lines(
    out: gpd.GeoDataFrame,
    name: str,
    labels: pd.Index,
    problems: Problems,
    report: dict[str, Any],
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The road geometries checked: ``(geometries, Z dropped; rows to drop; multi-part rows)``.

    Points, polygons and NaN coordinates are problems; missing, empty and zero-length lines are
    dropped and self-loops kept, with warnings (listed in ``report``).
    """
    import shapely

    geoms = np.asarray(out.geometry.array, dtype=object)
    missing = shapely.is_missing(geoms) | shapely.is_empty(geoms)
    present = ~missing
    types = np.full(len(geoms), -1)
    types[present] = shapely.get_type_id(geoms[present])
    non_line = present & ~np.isin(types, [1, 2, 5])
    if non_line.any():
        kinds = ", ".join(sorted({TYPE_NAMES.get(t, str(t)) for t in types[non_line]}))
        problems.add(
            GeometryError,
            f"{int(non_line.sum())} geometries are {kinds}, not lines: "
            f"{examples(labels[non_line])}. A road layer must hold LineStrings; check that the "
            "right layer was read.",
        )
    lines = present & ~non_line
    bad_xy = nonfinite_rows(geoms, lines)
    if bad_xy.any():
        problems.add(
            GeometryError,
            f"{int(bad_xy.sum())} road(s) have NaN or infinite coordinates: "
            f"{examples(labels[bad_xy])}. Fix or delete them in the source data.",
        )
    lines &= ~bad_xy
    has_z = np.zeros(len(geoms), dtype=bool)
    has_z[lines] = shapely.has_z(geoms[lines])
    if has_z.any():
        geoms[has_z] = shapely.force_2d(geoms[has_z])
        warn_input(f"{name}: {int(has_z.sum())} road geometries have Z values; they were dropped.")
    degenerate = np.zeros(len(geoms), dtype=bool)
    degenerate[lines] = shapely.length(geoms[lines]) == 0
    drop = missing | degenerate
    if drop.any():
        report["dropped"] = list(labels[drop])
        parts = []
        if missing.any():
            parts.append(f"{int(missing.sum())} missing or empty")
        if degenerate.any():
            parts.append(f"{int(degenerate.sum())} of zero length")
        warn_input(
            f"{name}: dropped {' and '.join(parts)} road geometries: {examples(labels[drop])}."
        )
    keep_lines = lines & ~degenerate
    loops = np.zeros(len(geoms), dtype=bool)
    single = keep_lines & np.isin(types, [1, 2])
    if single.any():
        first = shapely.get_point(geoms[single], 0)
        last = shapely.get_point(geoms[single], -1)
        loops[single] = shapely.equals(first, last)
    if loops.any():
        report["self_loops"] = list(labels[loops])
        warn_input(
            f"{name}: {int(loops.sum())} road(s) start and end at the same point (self-loops, "
            f"e.g. roundabouts or drawing errors): {examples(labels[loops])}. They are kept; "
            "check them if they are not real loops."
        )
    multi = keep_lines & (types == 5)
    return geoms, drop, multi
