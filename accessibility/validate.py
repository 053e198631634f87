"""Input validation in one place: every problem of a layer reported at once.

Planning data is messy: village tables from spreadsheets with swapped latitude and longitude,
duplicated ids, text in the population column, road layers with no class column. The functions
here look at a whole layer, collect *every* problem they find and raise one error that lists them
all, each with what was found (counts and a few example ids) and how to fix it, in the manner of
osmnx's ``_validate.py``. Things that can be repaired safely (3D coordinates, single-part
multipoints, undecodable bytes in names, multi-part road lines) are repaired in the returned copy
with an :class:`InputWarning` saying so.

=========================  ===========================================================
function                   checks
=========================  ===========================================================
``validate_locations``     villages / facilities: CRS, ids, columns, numbers, geometry,
                           text encoding, swapped latitude/longitude
``validate_roads``         road lines: CRS, class column and values, speeds, geometry,
                           self-loops
``check_same_crs``         several layers share one CRS
``check_extent_overlap``   points lie within (a margin around) the road network
=========================  ===========================================================

When several problems of different kinds are found, the error raised is an instance of every
matching class at once (e.g. both :class:`~accessibility.errors.CRSError` and
:class:`~accessibility.errors.MissingColumnError`), so ``except CRSError`` still works; its
``problems`` attribute lists ``(error class name, message)`` pairs.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Collection, Iterable, Sequence
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
import pandas as pd

from ._crs import metric_crs
from .errors import (
    AccessibilityError,
    CRSError,
    DuplicateIdError,
    EmptyLayerError,
    GeometryError,
    InputWarning,
    InvalidValueError,
    MissingColumnError,
    SnapError,
    suggest,
    warn,
)

if TYPE_CHECKING:
    import geopandas as gpd
    import pyproj

__all__ = [
    "ROAD_CLASS_COLUMN_CANDIDATES",
    "InputWarning",
    "check_extent_overlap",
    "check_same_crs",
    "validate_locations",
    "validate_roads",
]

log = logging.getLogger(__name__)

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

_MAX_EXAMPLES = 5


# --- collecting problems -------------------------------------------------------------------------

_COMBINED: dict[tuple[type, ...], type] = {}


def _combined_class(classes: tuple[type[AccessibilityError], ...]) -> type[AccessibilityError]:
    """An error class that is a subclass of every class in ``classes`` (cached).

    Made at run time, it cannot be found by name when unpickled, so its instances pickle as
    "rebuild from these classes" (a Dask or multiprocessing caller gets the error back).
    """
    if len(classes) == 1:
        return classes[0]
    if classes not in _COMBINED:
        name = "And".join(c.__name__ for c in classes)
        _COMBINED[classes] = type(
            name, classes, {"__module__": __name__, "__reduce__": _reduce_combined}
        )
    return _COMBINED[classes]


def _reduce_combined(error: BaseException) -> tuple[Any, ...]:
    return (_rebuild_combined, (type(error).__bases__, error.args, dict(error.__dict__)))


def _rebuild_combined(
    classes: tuple[type[AccessibilityError], ...], args: tuple[Any, ...], state: dict[str, Any]
) -> BaseException:
    """Unpickle an error of a class made by :func:`_combined_class`."""
    error = _combined_class(classes)(*args)
    error.__dict__.update(state)
    return error


class _Problems:
    """Collects (error class, message) pairs and raises them together."""

    def __init__(self, layer: str) -> None:
        self.layer = layer
        self.items: list[tuple[type[AccessibilityError], str]] = []

    def add(self, cls: type[AccessibilityError], message: str) -> None:
        self.items.append((cls, message))

    def __bool__(self) -> bool:
        return bool(self.items)

    def raise_if_any(self) -> None:
        if not self.items:
            return
        classes = tuple(dict.fromkeys(cls for cls, _ in self.items))
        if len(self.items) == 1:
            text = f"{self.layer}: {self.items[0][1]}"
        else:
            lines = "\n".join(f"  {i}. {msg}" for i, (_, msg) in enumerate(self.items, 1))
            text = f"{self.layer}: {len(self.items)} problems found:\n{lines}"
        error = _combined_class(classes)(text)
        error.problems = [(cls.__name__, msg) for cls, msg in self.items]
        raise error


Problems = _Problems  # public within the package (accessibility.project.check)


def _examples(labels: Iterable[Any], values: Iterable[Any] | None = None) -> str:
    """``'a', 'b', 'c' and 4 more`` (with ``=value`` when values are given)."""
    labels = list(labels)
    shown = labels[:_MAX_EXAMPLES]
    if values is None:
        parts = [repr(_plain(x)) for x in shown]
    else:
        vals = list(values)[:_MAX_EXAMPLES]
        parts = [f"{_plain(x)!r}={_plain(v)!r}" for x, v in zip(shown, vals, strict=False)]
    text = ", ".join(parts)
    if len(labels) > len(shown):
        text += f" and {len(labels) - len(shown)} more"
    return text


def _plain(value: Any) -> Any:
    """numpy scalars -> Python scalars, so reprs read ``3`` rather than ``np.int64(3)``."""
    return value.item() if isinstance(value, np.generic) else value


def _warn(message: str) -> None:
    warn(InputWarning, log, message, stacklevel=3)


def _require_geodataframe(gdf: Any, what: str) -> None:
    import geopandas as gpd

    if isinstance(gdf, gpd.GeoDataFrame):
        return
    if isinstance(gdf, pd.DataFrame):
        cols = {c.lower(): c for c in map(str, gdf.columns)}
        lon = next((cols[c] for c in ("lon", "lng", "longitude", "x", "经度") if c in cols), "lon")
        lat = next((cols[c] for c in ("lat", "latitude", "y", "纬度") if c in cols), "lat")
        raise GeometryError(
            f"{what}: got a pandas DataFrame without geometry. Build a GeoDataFrame, e.g. "
            f"`gpd.GeoDataFrame(df, geometry=gpd.points_from_xy(df[{lon!r}], df[{lat!r}]), "
            "crs=4326)` for longitude/latitude in degrees."
        )
    raise GeometryError(f"{what}: expected a GeoDataFrame, got {type(gdf).__name__}")


def _crs_hint(gdf: gpd.GeoDataFrame) -> str:
    """Guess the CRS from the coordinates for the 'no CRS' message."""
    try:
        minx, miny, maxx, maxy = gdf.total_bounds
    except Exception:  # pragma: no cover - defensive: odd geometries
        return ""
    if not np.all(np.isfinite([minx, miny, maxx, maxy])):
        return ""
    if -180 <= minx and maxx <= 180 and -90 <= miny and maxy <= 90:
        return (
            " The coordinates look like longitude/latitude in degrees: "
            "`layer = layer.set_crs(4326)` (or 4490 for CGCS2000)."
        )
    return (
        " The coordinates look projected (metres): set the CRS of the source data, e.g. "
        "`layer = layer.set_crs(4547)` for CGCS2000 / 3-degree Gauss-Kruger CM 114E."
    )


def _missing_column_message(column: str, columns: Sequence[str], purpose: str) -> str:
    available = ", ".join(repr(str(c)) for c in columns if str(c) != "geometry")
    lower = {str(c).lower(): str(c) for c in columns}
    hint = suggest(column, [str(c) for c in columns])
    if not hint and column.lower() in lower:
        hint = f" Did you mean {lower[column.lower()]!r}?"
    return (
        f"column {column!r} ({purpose}) is missing.{hint} "
        f"Available columns: {available or 'none'}. "
        f"Rename the column (`layer = layer.rename(columns={{'old': {column!r}}})`) or pass the "
        "right name."
    )


# --- numbers ------------------------------------------------------------------------------------


def _check_numeric(
    series: pd.Series,
    labels: pd.Index,
    *,
    column: str,
    nonnegative: bool,
    positive: bool,
    allow_nan: bool,
    problems: _Problems,
) -> pd.Series:
    """Validate one numeric column; return it as float64 (text that parses is converted)."""
    if pd.api.types.is_bool_dtype(series.dtype):
        values = series.astype("float64")
        text_bad = pd.Series(False, index=series.index)
    elif pd.api.types.is_numeric_dtype(series.dtype):
        values = series.astype("float64")
        text_bad = pd.Series(False, index=series.index)
    else:
        stripped = series.map(lambda v: v.strip() if isinstance(v, str) else v)
        stripped = stripped.replace("", np.nan)
        values = pd.to_numeric(stripped, errors="coerce").astype("float64")
        text_bad = stripped.notna() & values.isna()
    if text_bad.any():
        problems.add(
            InvalidValueError,
            f"column {column!r} has {int(text_bad.sum())} value(s) that are not numbers: "
            f"{_examples(labels[text_bad.to_numpy()], series[text_bad])}. Clean them (remove "
            "thousands separators, units and notes such as '约', 'n/a') and convert with "
            f"`layer[{column!r}] = pd.to_numeric(layer[{column!r}])`.",
        )
    missing = values.isna() & ~text_bad
    if missing.any() and not allow_nan:
        problems.add(
            InvalidValueError,
            f"column {column!r} has {int(missing.sum())} missing value(s) (NaN/empty) in rows "
            f"{_examples(labels[missing.to_numpy()])}. Fill them (`layer[{column!r}] = "
            f"layer[{column!r}].fillna(0)` if truly none) or drop those rows.",
        )
    infinite = np.isinf(values.to_numpy())
    if infinite.any():
        problems.add(
            InvalidValueError,
            f"column {column!r} has {int(infinite.sum())} infinite value(s) in rows "
            f"{_examples(labels[infinite])}; replace them with real numbers.",
        )
    with np.errstate(invalid="ignore"):
        if positive:
            bad = (values <= 0).to_numpy()
            word = "zero or negative"
        elif nonnegative:
            bad = (values < 0).to_numpy()
            word = "negative"
        else:
            bad = np.zeros(len(values), dtype=bool)
            word = ""
    if bad.any():
        problems.add(
            InvalidValueError,
            f"column {column!r} has {int(bad.sum())} {word} value(s): "
            f"{_examples(labels[bad], values[bad])}. Correct them in the source data.",
        )
    return values


# --- text encoding ------------------------------------------------------------------------------


def _clean_text(value: Any) -> tuple[Any, bool]:
    """Return (clean value, whether it was repaired) for one cell."""
    if isinstance(value, bytes | bytearray):
        try:
            return bytes(value).decode("utf-8"), False
        except UnicodeDecodeError:
            return bytes(value).decode("utf-8", errors="replace"), True
    if isinstance(value, str):
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            # lone surrogates, e.g. from a file read with errors="surrogateescape"
            raw = value.encode("utf-8", errors="surrogateescape")
            return raw.decode("utf-8", errors="replace"), True
    return value, False


def _repair_text_columns(
    out: gpd.GeoDataFrame, columns: Sequence[str], labels: pd.Index, what: str
) -> dict[str, list]:
    repaired_ids: dict[str, list] = {}
    for col in columns:
        series = out[col]
        if not (pd.api.types.is_object_dtype(series.dtype) or pd.api.types.is_string_dtype(series)):
            continue
        cleaned = series.map(_clean_text)
        repaired = cleaned.map(lambda t: t[1]).to_numpy(dtype=bool)
        has_bytes = series.map(lambda v: isinstance(v, bytes | bytearray)).to_numpy(dtype=bool)
        if has_bytes.any() or repaired.any():
            out[col] = cleaned.map(lambda t: t[0])
        if repaired.any():
            repaired_ids[str(col)] = list(labels[repaired])
            _warn(
                f"{what}: {int(repaired.sum())} value(s) in column {col!r} are not valid UTF-8 "
                f"(rows {_examples(labels[repaired])}); undecodable bytes were replaced with "
                "'\ufffd'. Re-read the file with its real encoding, e.g. "
                "`accessibility.read_layer(path, encoding='gbk')` for older Chinese shapefiles "
                f'(in a project file: `[input] {what}_encoding = "gbk"`).'
            )
    return repaired_ids


# --- geometry -----------------------------------------------------------------------------------


def _geographic(crs: pyproj.CRS | None) -> bool:
    return crs is not None and crs.is_geographic


def _polygon_points(
    geoms: np.ndarray,
    crs: pyproj.CRS | None,
    how: str,
    population_raster: str | os.PathLike | None,
) -> np.ndarray:
    """Points standing for polygons: centroid, representative point or population-weighted."""
    import geopandas as gpd
    import shapely

    if how == "representative":
        return shapely.point_on_surface(geoms)
    if how == "weighted":
        return _population_weighted_points(geoms, crs, population_raster)
    # centroid, computed in a local metric CRS when the layer is geographic
    series = gpd.GeoSeries(geoms, crs=crs)
    if _geographic(crs):
        minx, miny, maxx, maxy = series.total_bounds
        if np.isfinite([minx, miny, maxx, maxy]).all() and (
            max(abs(minx), abs(maxx)) <= 180 and max(abs(miny), abs(maxy)) <= 90
        ):
            try:
                metric = metric_crs(series)
            except CRSError as exc:  # pyproj found no UTM zone
                log.warning("no local UTM zone for the polygons (%s); planar centroids", exc)
            else:
                return np.asarray(series.to_crs(metric).centroid.to_crs(crs).array, dtype=object)
        # outside the range of degrees (metres labelled as degrees): planar centroids, and the
        # coordinate check reports the CRSError with its fix
    return shapely.centroid(geoms)


def _population_weighted_points(
    geoms: np.ndarray, crs: pyproj.CRS | None, raster: str | os.PathLike | None
) -> np.ndarray:
    """Population-weighted mean of raster cell centres inside each polygon.

    Polygons with no population (or whose weighted point falls outside them, possible for
    concave shapes) get their representative point instead.
    """
    import geopandas as gpd
    import rasterio
    import rasterio.mask
    import shapely

    if raster is None:
        raise InvalidValueError(
            "polygons='weighted' needs a population raster: pass population_raster='pop.tif'"
        )
    fallback = shapely.point_on_surface(geoms)
    out = fallback.copy()
    with rasterio.open(raster) as src:
        if crs is None or src.crs is None:
            raise CRSError("population-weighted points need a CRS on both layer and raster")
        in_raster = np.asarray(
            gpd.GeoSeries(geoms, crs=crs).to_crs(src.crs).array,
            dtype=object,
        )
        nodata = src.nodata
        for i, poly in enumerate(in_raster):
            try:
                data, transform = rasterio.mask.mask(src, [poly], crop=True, filled=False)
            except ValueError:  # polygon outside the raster
                continue
            band = data[0]
            weights = np.ma.filled(band.astype("float64"), 0.0)
            if nodata is not None:
                weights[band.data == nodata] = 0.0
            weights[~np.isfinite(weights) | (weights < 0)] = 0.0
            total = weights.sum()
            if total <= 0:
                continue
            rows, cols = np.nonzero(weights)
            xs, ys = rasterio.transform.xy(transform, rows, cols, offset="center")
            w = weights[rows, cols]
            point = shapely.Point(np.dot(xs, w) / total, np.dot(ys, w) / total)
            if poly.contains(point):
                out[i] = point
        back = gpd.GeoSeries(out, crs=src.crs)
    # points that came from the raster are in its CRS; fallbacks are in the layer's CRS
    from_raster = np.array([p is not f for p, f in zip(out, fallback, strict=True)])
    result = fallback.copy()
    if from_raster.any():
        result[from_raster] = np.asarray(back[from_raster].to_crs(crs).array, dtype=object)
    return result


def _check_location_geometry(
    out: gpd.GeoDataFrame,
    labels: pd.Index,
    *,
    what: str,
    polygons: str,
    population_raster: str | os.PathLike | None,
    problems: _Problems,
    repairs: dict[str, Any],
) -> None:
    import shapely

    geoms = np.asarray(out.geometry.array, dtype=object)
    missing = shapely.is_missing(geoms) | shapely.is_empty(geoms)
    if missing.any():
        problems.add(
            GeometryError,
            f"{int(missing.sum())} row(s) have no geometry (missing or empty): "
            f"{_examples(labels[missing])}. Geocode them or drop them "
            "(`layer = layer[~(layer.geometry.isna() | layer.geometry.is_empty)]`).",
        )
    present = ~missing
    if not present.any():
        return
    # 3D -> 2D
    has_z = np.zeros(len(geoms), dtype=bool)
    has_z[present] = shapely.has_z(geoms[present])
    if has_z.any():
        geoms[has_z] = shapely.force_2d(geoms[has_z])
        repairs["dropped_z"] = list(labels[has_z])
        _warn(
            f"{what}: {int(has_z.sum())} geometries have Z (height) values; they were dropped "
            f"(rows {_examples(labels[has_z])}). Heights are not used for access."
        )
    types = np.full(len(geoms), -1)
    types[present] = shapely.get_type_id(geoms[present])
    # non-finite coordinates
    bad_xy = np.zeros(len(geoms), dtype=bool)
    idx = np.flatnonzero(present)
    coords, which = shapely.get_coordinates(geoms[present], return_index=True)
    bad_xy[idx[np.unique(which[~np.isfinite(coords).all(axis=1)])]] = True
    if bad_xy.any():
        problems.add(
            GeometryError,
            f"{int(bad_xy.sum())} geometries have NaN or infinite coordinates: "
            f"{_examples(labels[bad_xy])}. Fix the coordinates in the source table.",
        )
    ok = present & ~bad_xy
    # multipoints -> one point
    multi = ok & (types == 4)
    if multi.any():
        geoms[multi] = shapely.point_on_surface(geoms[multi])
        repairs["multipoint_to_point"] = list(labels[multi])
        _warn(
            f"{what}: {int(multi.sum())} multi-part point geometries were replaced by one of their "
            f"points (representative point): {_examples(labels[multi])}. Split them into separate "
            "rows first if each part is a separate place."
        )
    # polygons
    poly = ok & np.isin(types, [3, 6])
    if poly.any():
        how = polygons
        if population_raster is not None and how in ("error", "weighted"):
            how = "weighted"
        if how == "error":
            problems.add(
                GeometryError,
                f"{int(poly.sum())} geometries are polygons ({_examples(labels[poly])}); "
                "locations must be points. Pass polygons='representative' (a point guaranteed "
                "inside), polygons='centroid', or a population raster "
                "(population_raster='pop.tif') for population-weighted points.",
            )
        else:
            invalid = poly & ~shapely.is_valid(geoms)
            if invalid.any():
                geoms[invalid] = shapely.make_valid(geoms[invalid])
                _warn(
                    f"{what}: {int(invalid.sum())} invalid polygons were repaired with make_valid "
                    f"before taking their points: {_examples(labels[invalid])}."
                )
            geoms[poly] = _polygon_points(geoms[poly], out.crs, how, population_raster)
            repairs["polygon_to_point"] = {"method": how, "ids": list(labels[poly])}
            log.info("%s: %d polygons turned into points (%s)", what, int(poly.sum()), how)
    other = ok & ~np.isin(types, [0, 3, 4, 6])
    if other.any():
        names = sorted({shapely.get_type_id(g) for g in geoms[other]})
        kinds = ", ".join(_TYPE_NAMES.get(t, str(t)) for t in names)
        problems.add(
            GeometryError,
            f"{int(other.sum())} geometries are {kinds}, not points: "
            f"{_examples(labels[other])}. Locations must be points (or polygons with the "
            "polygons= option).",
        )
    out[out.geometry.name] = geoms


_TYPE_NAMES = {
    0: "Point",
    1: "LineString",
    2: "LinearRing",
    3: "Polygon",
    4: "MultiPoint",
    5: "MultiLineString",
    6: "MultiPolygon",
    7: "GeometryCollection",
}


def _xy(gdf: gpd.GeoDataFrame) -> tuple[np.ndarray, np.ndarray]:
    """x, y of point geometries (NaN for anything else)."""
    import shapely

    geoms = np.asarray(gdf.geometry.array, dtype=object)
    is_point = np.zeros(len(geoms), dtype=bool)
    present = ~(shapely.is_missing(geoms) | shapely.is_empty(geoms))
    is_point[present] = shapely.get_type_id(geoms[present]) == 0
    x = np.full(len(geoms), np.nan)
    y = np.full(len(geoms), np.nan)
    if is_point.any():
        x[is_point] = shapely.get_x(geoms[is_point])
        y[is_point] = shapely.get_y(geoms[is_point])
    return x, y


def _extent_bounds(reference: Any, crs: pyproj.CRS) -> tuple[float, float, float, float] | None:
    """Bounds of a reference extent (tuple in the layer CRS, or a GeoDataFrame/GeoSeries)."""
    if reference is None:
        return None
    if hasattr(reference, "total_bounds"):
        if reference.crs is not None and crs is not None and reference.crs != crs:
            reference = reference.to_crs(crs)
        x0, y0, x1, y1 = (float(v) for v in reference.total_bounds)
        return x0, y0, x1, y1
    return _extent_tuple(reference)


def _extent_tuple(reference: Any) -> tuple[float, float, float, float]:
    """``(minx, miny, maxx, maxy)`` as four finite floats, min <= max, else InvalidValueError."""
    bad = InvalidValueError(
        f"reference_extent={reference!r} must be a GeoDataFrame/GeoSeries or four finite numbers "
        "(minx, miny, maxx, maxy) in the layer's CRS, e.g. `roads.total_bounds`"
    )
    if isinstance(reference, str | bytes) or not hasattr(reference, "__iter__"):
        raise bad
    try:
        values = [float(v) for v in reference]
    except (TypeError, ValueError):
        raise bad from None
    if len(values) != 4 or not np.isfinite(values).all():
        raise bad
    minx, miny, maxx, maxy = values
    if minx > maxx or miny > maxy:
        raise bad
    return minx, miny, maxx, maxy


def _inside(x: np.ndarray, y: np.ndarray, bounds: tuple[float, float, float, float]) -> np.ndarray:
    minx, miny, maxx, maxy = bounds
    return (x >= minx) & (x <= maxx) & (y >= miny) & (y <= maxy)


_SWAP_FIX = (
    "Swap them: `layer = layer.set_geometry(gpd.points_from_xy(layer.geometry.y, "
    "layer.geometry.x), crs=layer.crs)`, or rebuild the points with "
    "`gpd.points_from_xy(df['lon'], df['lat'])` (longitude first)."
)


def _check_coordinates(
    gdf: gpd.GeoDataFrame,
    labels: pd.Index,
    reference_extent: Any,
    problems: _Problems,
) -> None:
    """Swapped latitude/longitude, degrees outside their range, degrees labelled as metres."""
    crs = gdf.crs
    if crs is None:
        return
    x, y = _xy(gdf)
    ok = np.isfinite(x) & np.isfinite(y)
    if not ok.any():
        return
    x, y, lab = x[ok], y[ok], labels[ok]
    if crs.is_geographic:
        out_of_range = (np.abs(x) > 180) | (np.abs(y) > 90)
        if out_of_range.any():
            swapped_ok = (np.abs(y) <= 180) & (np.abs(x) <= 90)
            if swapped_ok[out_of_range].all():
                problems.add(
                    CRSError,
                    f"latitude and longitude look swapped: {int(out_of_range.sum())} point(s) "
                    "have a latitude (y) beyond +-90 "
                    f"({_examples(lab[out_of_range], y[out_of_range])}) while their x values are "
                    f"valid latitudes. {_SWAP_FIX}",
                )
            else:
                problems.add(
                    CRSError,
                    f"{int(out_of_range.sum())} point(s) have coordinates outside the range of "
                    f"degrees ({_examples(lab[out_of_range])}) although the CRS is {crs.name!r} "
                    f"(EPSG:{crs.to_epsg()}). The layer is probably projected (metres): set its "
                    "real CRS with `layer = layer.set_crs(<epsg>, allow_override=True)`.",
                )
            return
        bounds = _extent_bounds(reference_extent, crs)
        if bounds is not None and np.all(np.abs(x) <= 90):
            inside = _inside(x, y, bounds)
            inside_swapped = _inside(y, x, bounds)
            if inside.mean() < 0.5 and inside_swapped.mean() >= 0.5:
                problems.add(
                    CRSError,
                    f"latitude and longitude look swapped: {int((~inside).sum())} of {len(x)} "
                    f"points fall outside the reference extent ({_fmt_bounds(bounds)}) but "
                    f"{int(inside_swapped.sum())} fall inside it with x and y exchanged "
                    f"(e.g. {_examples(lab[~inside], _pairs(x[~inside], y[~inside]))}). "
                    f"{_SWAP_FIX}",
                )
    elif crs.is_projected and np.all(np.abs(x) <= 180) and np.all(np.abs(y) <= 90):
        # metres this small are implausible only if, read as degrees, the points fall inside the
        # CRS's area of use (a hand-made test network at (0, 0)-(1000, 0) is not flagged)
        area = crs.area_of_use
        if area is not None and np.all(
            _inside(x, y, (area.west, area.south, area.east, area.north))
        ):
            problems.add(
                CRSError,
                f"the coordinates look like degrees (x {x.min():.4f}..{x.max():.4f}, "
                f"y {y.min():.4f}..{y.max():.4f}) but the CRS is projected ({crs.name!r}). "
                "Label them correctly: `layer = layer.set_crs(4326, allow_override=True)`.",
            )


def _pairs(x: np.ndarray, y: np.ndarray) -> list[str]:
    return [
        f"({a:.4f}, {b:.4f})" for a, b in zip(x[:_MAX_EXAMPLES], y[:_MAX_EXAMPLES], strict=True)
    ]


def _fmt_bounds(bounds: tuple[float, float, float, float]) -> str:
    return f"x {bounds[0]:.4f}..{bounds[2]:.4f}, y {bounds[1]:.4f}..{bounds[3]:.4f}"


# --- public: locations -------------------------------------------------------------------------


def validate_locations(
    gdf: gpd.GeoDataFrame,
    *,
    kind: str = "villages",
    required_columns: Sequence[str] = (),
    numeric_columns: Sequence[str] = (),
    nonnegative_columns: Sequence[str] = (),
    id_column: str | None = None,
    polygons: Literal["error", "centroid", "representative", "weighted"] = "error",
    population_raster: str | os.PathLike | None = None,
    reference_extent: Any = None,
    text_columns: Sequence[str] | None = None,
) -> gpd.GeoDataFrame:
    """Check a village or facility layer and return a cleaned copy indexed by id.

    All checks run before anything is raised, and one error lists every problem found:

    ===============================  ===============================================================
    input                            behaviour
    ===============================  ===============================================================
    not a GeoDataFrame               GeometryError with the ``points_from_xy`` recipe
    no rows                          EmptyLayerError (raised at once)
    no CRS                           CRSError; suggests EPSG:4326/4490 or a projected CRS from the
                                     coordinates
    missing column                   MissingColumnError naming it, with "Did you mean" and the
                                     available columns
    duplicate / missing ids          DuplicateIdError listing a few
    text in a numeric column         InvalidValueError naming rows and values (numbers stored as
                                     text, e.g. ``"1200"``, are converted)
    NaN / inf / negative numbers     InvalidValueError naming rows (negative only for
                                     ``nonnegative_columns``)
    missing / empty geometry         GeometryError naming rows
    NaN coordinates                  GeometryError naming rows
    3D geometry                      Z dropped, InputWarning
    MultiPoint                       representative point, InputWarning
    polygons                         GeometryError unless ``polygons=`` or ``population_raster=``
    lines, collections               GeometryError
    non-UTF-8 text                   undecodable bytes replaced, InputWarning with the fix
    latitude/longitude swapped       CRSError with the fix (latitudes beyond 90, or points outside
                                     ``reference_extent`` that fall inside it when swapped)
    degrees in a projected CRS       CRSError with the fix
    ===============================  ===============================================================

    Parameters
    ----------
    gdf
        The layer.
    kind
        ``"villages"`` or ``"facilities"`` (any name is accepted; it is used in messages).
    required_columns
        Columns that must exist.
    numeric_columns
        Columns that must hold finite numbers, no NaN.
    nonnegative_columns
        Columns that must hold finite numbers >= 0 (population, capacity); implies numeric.
    id_column
        Column holding the ids; ``None`` uses the existing index.
    polygons
        What to do with polygon geometries: ``"error"`` (default), ``"centroid"`` (computed in a
        local UTM zone for geographic layers), ``"representative"`` (a point guaranteed inside) or
        ``"weighted"`` (population-weighted mean of ``population_raster`` cells inside the polygon;
        the representative point where the polygon holds no population).
    population_raster
        GeoTIFF of population counts; given, polygons become population-weighted points.
    reference_extent
        A GeoDataFrame/GeoSeries (e.g. the roads) or ``(minx, miny, maxx, maxy)`` in the layer's
        CRS, used to detect swapped latitude/longitude.
    text_columns
        Columns checked for non-UTF-8 text; ``None`` checks every text column.

    Returns
    -------
    geopandas.GeoDataFrame
        A cleaned copy: index = ids (named ``id_column`` or as before), numeric columns as float64,
        point geometries. ``attrs["validation"]`` records the repairs.

    Raises
    ------
    AccessibilityError
        One error listing every problem; its class is every matching subclass (CRSError,
        MissingColumnError, DuplicateIdError, InvalidValueError, GeometryError).

    Examples
    --------
    >>> import geopandas as gpd
    >>> from shapely.geometry import Point
    >>> villages = gpd.GeoDataFrame(
    ...     {"village_id": ["a", "b"], "population": ["120", 80]},
    ...     geometry=[Point(113.0, 28.0), Point(113.1, 28.1)], crs=4326)
    >>> clean = validate_locations(villages, id_column="village_id",
    ...                            nonnegative_columns=["population"])
    >>> clean["population"].tolist(), clean.index.tolist()
    ([120.0, 80.0], ['a', 'b'])
    """
    what = str(kind)
    _require_geodataframe(gdf, what)
    if len(gdf) == 0:
        raise EmptyLayerError(
            f"{what}: the layer has no features (0 rows). Check the file path, the layer name "
            "(`pyogrio.list_layers(path)`) and any filter applied before."
        )
    if polygons not in ("error", "centroid", "representative", "weighted"):
        raise InvalidValueError(
            f"polygons={polygons!r} is not one of 'error', 'centroid', 'representative', "
            f"'weighted'.{suggest(str(polygons), ['centroid', 'representative', 'weighted'])}"
        )
    for name, names in (
        ("required_columns", required_columns),
        ("numeric_columns", numeric_columns),
        ("nonnegative_columns", nonnegative_columns),
        ("text_columns", () if text_columns is None else text_columns),
    ):
        if isinstance(names, str) or not all(isinstance(c, str) for c in list(names)):
            raise InvalidValueError(
                f"{name}={names!r} must be a list of column names (text), e.g. ['population']"
            )
    if id_column is not None and not isinstance(id_column, str):
        raise InvalidValueError(f"id_column={id_column!r} must be a column name (text) or None")
    if reference_extent is not None and not hasattr(reference_extent, "total_bounds"):
        _extent_tuple(reference_extent)
    problems = _Problems(what)
    out = gdf.copy()
    repairs: dict[str, Any] = {}

    if gdf.crs is None:
        problems.add(CRSError, f"the layer has no CRS.{_crs_hint(gdf)}")

    columns = [str(c) for c in gdf.columns]
    numeric_all = list(dict.fromkeys([*numeric_columns, *nonnegative_columns]))
    wanted = list(dict.fromkeys([*required_columns, *numeric_all]))
    missing_cols = [c for c in wanted if c not in gdf.columns]
    if id_column is not None and id_column not in gdf.columns:
        if gdf.index.name == id_column:
            id_column = None  # already the index
        else:
            problems.add(
                MissingColumnError,
                _missing_column_message(id_column, columns, "the id column"),
            )
    for col in missing_cols:
        purpose = "numeric" if col in numeric_all else "required"
        problems.add(MissingColumnError, _missing_column_message(col, columns, purpose))

    # ids
    positions = pd.Index([f"row {i}" for i in range(len(gdf))])
    if id_column is not None and id_column in gdf.columns:
        ids = pd.Index(gdf[id_column])
        id_name = id_column
    else:
        ids = gdf.index
        id_name = gdf.index.name
    ids_missing = pd.isna(ids) | np.asarray([isinstance(v, str) and not v.strip() for v in ids])
    if ids_missing.any():
        problems.add(
            DuplicateIdError,
            f"{int(ids_missing.sum())} row(s) have no id: {_examples(positions[ids_missing])}. "
            "Every location needs a unique id; fill them in the source table.",
        )
    dup = ids.duplicated(keep=False) & ~ids_missing
    if dup.any():
        counts = pd.Series(ids[dup]).value_counts()
        problems.add(
            DuplicateIdError,
            f"{len(counts)} id(s) occur more than once ({int(dup.sum())} rows): "
            f"{_examples(counts.index, [f'x{n}' for n in counts])}. Make them unique (e.g. prefix "
            "the township code) or drop repeated rows ("
            + (
                f"`layer = layer.drop_duplicates(subset={id_column!r})`"
                if id_column is not None and id_column in gdf.columns
                else "`layer = layer[~layer.index.duplicated()]`"
            )
            + ").",
        )
    labels = pd.Index([p if m else i for i, p, m in zip(ids, positions, ids_missing, strict=True)])

    # numbers
    for col in numeric_all:
        if col in gdf.columns:
            out[col] = _check_numeric(
                gdf[col],
                labels,
                column=col,
                nonnegative=col in nonnegative_columns,
                positive=False,
                allow_nan=False,
                problems=problems,
            ).to_numpy()

    # geometry
    _check_location_geometry(
        out,
        labels,
        what=what,
        polygons=polygons,
        population_raster=population_raster,
        problems=problems,
        repairs=repairs,
    )
    _check_coordinates(out, labels, reference_extent, problems)

    # text
    geom_name = gdf.geometry.name
    cols = (
        [c for c in gdf.columns if c != geom_name] if text_columns is None else list(text_columns)
    )
    text_fixed = _repair_text_columns(out, [c for c in cols if c in out.columns], labels, what)
    if text_fixed:
        repairs["text_repaired"] = text_fixed

    problems.raise_if_any()

    if id_column is not None:
        out = out.set_index(id_column)
    out.index.name = id_name
    out.attrs["validation"] = repairs
    return out


# --- public: roads -----------------------------------------------------------------------------


def _norm_class(value: Any) -> str:
    return str(value).strip().lower().replace(" ", "_").replace("-", "_")


def validate_roads(
    gdf: gpd.GeoDataFrame,
    class_column: str,
    speed_column: str | None = None,
    *,
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
    import shapely

    _require_geodataframe(gdf, name)
    if len(gdf) == 0:
        raise EmptyLayerError(
            f"{name}: the road layer has no features (0 rows). Check the file path and layer name "
            "(`pyogrio.list_layers(path)`)."
        )
    problems = _Problems(name)
    out = gdf.copy()
    labels = pd.Index(gdf.index)
    report: dict[str, Any] = {
        "self_loops": [],
        "dropped": [],
        "unknown_classes": {},
        "split_multipart": [],
    }
    if gdf.crs is None:
        problems.add(CRSError, f"the layer has no CRS.{_crs_hint(gdf)}")

    columns = [str(c) for c in gdf.columns]
    if class_column not in gdf.columns:
        lower = {c.lower(): c for c in columns}
        present = [lower[c] for c in ROAD_CLASS_COLUMN_CANDIDATES if c in lower]
        cand = (
            f" Columns that may hold the road class: {', '.join(map(repr, present))}."
            if present
            else ""
        )
        problems.add(
            MissingColumnError,
            f"road class column {class_column!r} is missing.{suggest(class_column, columns)}{cand}"
            f" Available columns: {', '.join(repr(c) for c in columns if c != gdf.geometry.name)}."
            " Pass the right column name (e.g. class_column='highway' for OSM data, 'fclass' for "
            "Geofabrik shapefiles).",
        )
    else:
        cls = gdf[class_column]
        no_class = cls.isna().to_numpy() | np.asarray(
            [isinstance(v, str) and not v.strip() for v in cls]
        )
        if no_class.any():
            if fill_class is None:
                problems.add(
                    InvalidValueError,
                    f"{int(no_class.sum())} road(s) have no class in {class_column!r}: "
                    f"{_examples(labels[no_class])}. Fill them in the source data or pass "
                    "fill_class='village' (or another class) to give them one.",
                )
            else:
                out.loc[no_class, class_column] = fill_class
                _warn(
                    f"{name}: {int(no_class.sum())} road(s) had no class and were given "
                    f"{fill_class!r}: {_examples(labels[no_class])}."
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
            report["unknown_classes"] = unknown
            listed = ", ".join(f"{k!r} ({n})" for k, n in list(unknown.items())[:10])
            more = f" and {len(unknown) - 10} more" if len(unknown) > 10 else ""
            _warn(
                f"{name}: {len(unknown)} road class(es) in {class_column!r} are not known: "
                f"{listed}{more}. They get the profile's 'unknown' speed; map them to known "
                "classes or give their speeds in the speed profile."
            )

    if speed_column is not None:
        if speed_column not in gdf.columns:
            problems.add(
                MissingColumnError,
                _missing_column_message(speed_column, columns, "speed in km/h"),
            )
        else:
            speeds = _check_numeric(
                gdf[speed_column],
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
                _warn(
                    f"{name}: {int(fast.sum())} speed(s) in {speed_column!r} are above 200 km/h "
                    f"({_examples(labels[fast], speeds[fast])}); speeds must be in km/h."
                )

    # geometry
    geoms = np.asarray(out.geometry.array, dtype=object)
    missing = shapely.is_missing(geoms) | shapely.is_empty(geoms)
    present = ~missing
    types = np.full(len(geoms), -1)
    types[present] = shapely.get_type_id(geoms[present])
    non_line = present & ~np.isin(types, [1, 2, 5])
    if non_line.any():
        kinds = ", ".join(sorted({_TYPE_NAMES.get(t, str(t)) for t in types[non_line]}))
        problems.add(
            GeometryError,
            f"{int(non_line.sum())} geometries are {kinds}, not lines: "
            f"{_examples(labels[non_line])}. A road layer must hold LineStrings; check that the "
            "right layer was read.",
        )
    lines = present & ~non_line
    bad_xy = np.zeros(len(geoms), dtype=bool)
    if lines.any():
        idx = np.flatnonzero(lines)
        coords, which = shapely.get_coordinates(geoms[lines], return_index=True)
        finite = np.isfinite(coords).all(axis=1)
        bad_xy[idx[np.unique(which[~finite])]] = True
    if bad_xy.any():
        problems.add(
            GeometryError,
            f"{int(bad_xy.sum())} road(s) have NaN or infinite coordinates: "
            f"{_examples(labels[bad_xy])}. Fix or delete them in the source data.",
        )
    lines &= ~bad_xy
    has_z = np.zeros(len(geoms), dtype=bool)
    has_z[lines] = shapely.has_z(geoms[lines])
    if has_z.any():
        geoms[has_z] = shapely.force_2d(geoms[has_z])
        _warn(f"{name}: {int(has_z.sum())} road geometries have Z values; they were dropped.")
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
        _warn(f"{name}: dropped {' and '.join(parts)} road geometries: {_examples(labels[drop])}.")
    keep_lines = lines & ~degenerate
    loops = np.zeros(len(geoms), dtype=bool)
    single = keep_lines & np.isin(types, [1, 2])
    if single.any():
        first = shapely.get_point(geoms[single], 0)
        last = shapely.get_point(geoms[single], -1)
        loops[single] = shapely.equals(first, last)
    if loops.any():
        report["self_loops"] = list(labels[loops])
        _warn(
            f"{name}: {int(loops.sum())} road(s) start and end at the same point (self-loops, "
            f"e.g. roundabouts or drawing errors): {_examples(labels[loops])}. They are kept; "
            "check them if they are not real loops."
        )
    multi = keep_lines & (types == 5)

    problems.raise_if_any()

    out[out.geometry.name] = geoms
    out = out[~drop]
    if multi.any():
        report["split_multipart"] = list(labels[multi])
        _warn(
            f"{name}: {int(multi.sum())} multi-part lines were split into their parts "
            f"(the index label repeats for each part): {_examples(labels[multi])}."
        )
        out = out.explode(index_parts=False)
    out.attrs["validation"] = report
    return out


# --- public: several layers ----------------------------------------------------------------------


def check_same_crs(
    *layers: gpd.GeoDataFrame | gpd.GeoSeries, names: Sequence[str] | None = None
) -> pyproj.CRS:
    """Check that layers share one CRS and return it.

    Parameters
    ----------
    *layers
        GeoDataFrames or GeoSeries.
    names
        Names for the messages (default ``layer 1``, ``layer 2``, ...).

    Returns
    -------
    pyproj.CRS
        The common CRS.

    Raises
    ------
    CRSError
        A layer has no CRS, or the CRSs differ (the message lists each layer's CRS and the fix).

    Examples
    --------
    >>> import geopandas as gpd
    >>> from shapely.geometry import Point
    >>> a = gpd.GeoDataFrame(geometry=[Point(0, 0)], crs=4326)
    >>> check_same_crs(a, a.copy(), names=["villages", "roads"]).to_epsg()
    4326
    """
    if not layers:
        raise InvalidValueError("check_same_crs needs at least one layer")
    names = list(names) if names is not None else [f"layer {i + 1}" for i in range(len(layers))]
    if len(names) != len(layers):
        raise InvalidValueError(f"got {len(layers)} layers but {len(names)} names")
    crss = [layer.crs for layer in layers]
    none = [n for n, c in zip(names, crss, strict=True) if c is None]
    if none:
        raise CRSError(
            f"{', '.join(none)} ha{'s' if len(none) == 1 else 've'} no CRS; set it with "
            "`.set_crs(...)` (the CRS the coordinates are in), then reproject with `.to_crs(...)`."
        )
    first = crss[0]
    differ = [(n, c) for n, c in zip(names, crss, strict=True) if not c.equals(first)]
    if differ:
        listing = "; ".join(f"{n}: {_crs_label(c)}" for n, c in zip(names, crss, strict=True))
        raise CRSError(
            f"the layers are in different CRSs ({listing}). Reproject them to one, e.g. "
            f"`{differ[0][0]} = {differ[0][0]}.to_crs({names[0]}.crs)`."
        )
    return first


def _crs_label(crs: pyproj.CRS) -> str:
    epsg = crs.to_epsg()
    return f"EPSG:{epsg} ({crs.name})" if epsg else crs.name


def check_extent_overlap(
    points: gpd.GeoDataFrame | gpd.GeoSeries,
    roads: gpd.GeoDataFrame | gpd.GeoSeries,
    *,
    margin_m: float = 10_000.0,
    points_name: str = "points",
) -> pd.Series:
    """Check that points lie within the road network's extent (plus a margin).

    The extent is the bounding box of the roads in a metric CRS (the roads' own if projected,
    else the local UTM zone). Points farther than ``margin_m`` outside it cannot be routed
    sensibly. When most points are outside, the cause is almost always swapped latitude/longitude
    or a wrong CRS, and the error says which fits; when only a few are, they are listed.

    Parameters
    ----------
    points
        Villages or facilities (CRS set).
    roads
        Road lines (CRS set; may differ from the points').
    margin_m
        Distance (m) beyond the roads' bounding box still accepted.
    points_name
        Name of the point layer in messages.

    Returns
    -------
    pandas.Series
        ``outside_extent_m`` per point, indexed like ``points``: 0 inside the box, else the
        distance (m) to it (inf for coordinates that cannot be projected).

    Raises
    ------
    CRSError
        More than half of the points are outside (swapped coordinates or wrong CRS).
    SnapError
        Some points are outside.

    Examples
    --------
    >>> import geopandas as gpd
    >>> from shapely.geometry import LineString, Point
    >>> roads = gpd.GeoSeries([LineString([(0, 0), (5000, 0)])], crs=32650)
    >>> pts = gpd.GeoSeries([Point(100, 50)], crs=32650)
    >>> check_extent_overlap(pts, roads).tolist()  # 50 m beside the box: within the margin
    [50.0]
    """
    import shapely
    from pyproj import Transformer

    if points.crs is None or roads.crs is None:
        which = "points" if points.crs is None else "roads"
        raise CRSError(f"the {which} layer has no CRS; set it with `.set_crs(...)`")
    road_geo = roads.geometry if hasattr(roads, "geometry") else roads
    road_geo = road_geo[~(road_geo.isna() | road_geo.is_empty)]
    if len(road_geo) == 0:
        raise EmptyLayerError("the road layer has no geometries")
    metric = metric_crs(road_geo)
    minx, miny, maxx, maxy = road_geo.to_crs(metric).total_bounds

    pgeo = points.geometry if hasattr(points, "geometry") else points
    reps = np.asarray(pgeo.array, dtype=object)
    present = ~(shapely.is_missing(reps) | shapely.is_empty(reps))
    px = np.full(len(reps), np.nan)
    py = np.full(len(reps), np.nan)
    if present.any():
        rp = shapely.point_on_surface(reps[present])
        px[present] = shapely.get_x(rp)
        py[present] = shapely.get_y(rp)
    tr = Transformer.from_crs(points.crs, metric, always_xy=True)

    def distance(x: np.ndarray, y: np.ndarray) -> np.ndarray:
        with np.errstate(invalid="ignore"):
            mx, my = tr.transform(x, y, errcheck=False)
        mx = np.asarray(mx, dtype=float)
        my = np.asarray(my, dtype=float)
        dx = np.maximum(np.maximum(minx - mx, mx - maxx), 0.0)
        dy = np.maximum(np.maximum(miny - my, my - maxy), 0.0)
        d = np.hypot(dx, dy)
        d[~np.isfinite(d)] = np.inf
        return d

    dist = distance(px, py)
    dist[~present] = np.nan
    result = pd.Series(dist, index=points.index, name="outside_extent_m")
    far = np.nan_to_num(dist, nan=0.0) > margin_m
    if not far.any():
        return result
    labels = pd.Index(points.index)
    n_far = int(far.sum())
    n = int(present.sum())
    worst = ["cannot be projected" if np.isinf(v) else f"{v / 1000:.0f} km out" for v in dist[far]]
    example = _examples(labels[far], worst)
    if n_far > n / 2:
        cause = "a wrong CRS"
        if points.crs.is_geographic:
            swapped = distance(py, px)
            if np.mean(np.nan_to_num(swapped[present], nan=np.inf) <= margin_m) >= 0.5:
                cause = "swapped latitude/longitude (they fit the roads when x and y are exchanged)"
        raise CRSError(
            f"{points_name}: {n_far} of {n} points lie more than {margin_m / 1000:g} km outside "
            f"the road network's extent ({example}). The likely cause is {cause}. "
            f"{_SWAP_FIX if 'swapped' in cause else ''}"
            f"Check the CRS of both layers (points: {_crs_label(points.crs)}, roads: "
            f"{_crs_label(roads.crs)}) and that they cover the same area."
        )
    raise SnapError(
        f"{points_name}: {n_far} of {n} points lie more than {margin_m / 1000:g} km outside the "
        f"road network's extent: {example}. Extend the road layer to cover them, drop them, or "
        "raise margin_m if they are reachable."
    )
