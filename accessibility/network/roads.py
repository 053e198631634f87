"""Networks from a road line layer (GeoDataFrame, GeoPackage, Shapefile, GeoJSON)."""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from .._arrays import short_lived_arrays
from .._crs import CRSLike, metric_crs
from ..errors import CRSError, EmptyLayerError, GeometryError, MissingColumnError, suggest
from ..speeds import MODES
from .assemble import BuildOptions, assemble
from .types import Network

__all__ = ["CLASS_COLUMN_CANDIDATES", "network_from_roads"]

_TRUE = {"1", "true", "yes", "y", "t", "是", "单行"}
_REVERSE = {"-1", "reverse"}

#: Columns commonly holding a road class, offered when the asked-for one is missing.
CLASS_COLUMN_CANDIDATES = (
    "road_class",
    "highway",
    "fclass",
    "class",
    "type",
    "等级",
    "道路等级",
    "kind",
)


def network_from_roads(
    roads: gpd.GeoDataFrame | str | os.PathLike,
    *,
    layer: str | None = None,
    class_column: str = "road_class",
    oneway_column: str | None = "oneway",
    name_column: str | None = "name",
    speed_column: str | Mapping[str, str] | None = None,
    profile: str | Mapping[str, Mapping[str, float]] = "china",
    speeds: Mapping[str, Mapping[str, float]] | None = None,
    modes: Sequence[str] = MODES,
    tolerance_m: float = 1.0,
    join_t_junctions: bool = True,
    split_crossings: bool = False,
    oneway: bool = True,
    crs: CRSLike | None = None,
) -> Network:
    """Build a routable network from a road line layer.

    Lines are split where they meet (shared vertices, and ends within ``tolerance_m`` of another line
    are joined to it), one-way streets are honoured for vehicles, and each edge gets a travel time
    per mode from the speed table of its class.

    Parameters
    ----------
    roads
        Line layer (GeoDataFrame, or a GeoPackage / Shapefile / GeoJSON path).
    layer
        Layer name inside a multi-layer file.
    class_column
        Column with the road class (Chinese classes 高速/国道/省道/县道/乡道/村道 or English names
        for the ``"china"`` profile; OSM ``highway`` values for ``"osm"``).
    oneway_column
        Column with one-way flags (True/1/"yes"/"是"; "-1" = against the digitised direction);
        ``None`` = no such column, all two-way. Walking ignores one-way restrictions.
    name_column
        Road names, kept on the edges.
    speed_column
        Per-edge speed (km/h) replacing the class speed for ``car``; or ``{mode: column}``.
    profile
        ``"china"``, ``"osm"`` or a full ``{mode: {class: km/h}}`` table.
    speeds
        Overrides of the profile, e.g. ``{"car": {"county": 45}}`` (Chinese names accepted). A
        mode or class that neither the profile nor the layer has is an error
        (:class:`~accessibility.errors.SpeedOverrideError`); a class only the layer has extends
        the profile.
    modes
        Modes to compute times for (default walk, bike, ebike, car).
    tolerance_m
        Ends and vertices closer than this are joined; about the digitising precision of the layer
        (typically 0.5-5 m). A tolerance that collapses half the lines or more is a
        :class:`~accessibility.errors.NetworkError`.
    join_t_junctions
        Join dangling ends lying within ``tolerance_m`` of another line's interior.
    split_crossings
        Also join lines where they cross without a shared vertex. Off by default because such
        crossings are often bridges; the report counts them (``n_crossings_not_joined``) and a
        warning says when there are any.
    oneway
        ``True`` honours ``oneway_column``; ``False`` makes every road two-way (for comparison),
        the same as ``oneway_column=None``. The report counts the ignored one-way lines
        (``n_oneway_ignored``).
    crs
        Projected metric CRS to compute in; default: the layer's if metric, else local UTM.

    Returns
    -------
    Network
        In the metric CRS; ``network.report`` says what was repaired and how many connected
        components there are (all are kept).

    Examples
    --------
    >>> net = network_from_roads(demo.roads, class_column="road_class", tolerance_m=2.5)
    >>> net.report["n_components"]
    1
    """
    with short_lived_arrays():  # the builder's arrays live for a step or two
        if isinstance(roads, gpd.GeoDataFrame):
            gdf = roads
        else:
            from ..io import read_layer

            gdf = read_layer(roads, layer=layer)
        speed_columns = _check_columns(gdf, class_column, oneway_column, name_column, speed_column)
        work_crs = metric_crs(gdf, crs)
        report: dict[str, Any] = {"n_input_lines": len(gdf)}
        src, xy, row = _road_lines(gdf, report)
        attrs, rev = _road_attrs(src, class_column, oneway_column, name_column, speed_columns)
        g = src.geometry
        if src.crs != work_crs:
            g = g.to_crs(work_crs)
            xy, row = shapely.get_coordinates(g.to_numpy(), return_index=True)
        g = g.force_2d() if g.has_z.any() else g  # the x and y of the vertices are the same
        arr = g.to_numpy()
        span = np.abs(xy).max()
        # no projected coordinate on Earth is a million kilometres from the origin
        if not span < 1e9:
            raise CRSError(
                f"road coordinates reach {span:.3g} m in {work_crs.name}: not a place on Earth. The "
                "layer's CRS is probably wrong; set the CRS its coordinates are in"
            )
        # the vertices read above serve the builder while the lines are these
        held = [xy, row]
        del xy, row
        if rev.any():
            held.clear()
            arr = arr.copy()
            arr[rev] = shapely.reverse(arr[rev])
        # explode multi-lines, keeping each part's attributes
        if (shapely.get_type_id(arr) == shapely.GeometryType.LINESTRING).all():
            parts, part_idx = arr, np.arange(len(arr))
        else:
            held.clear()
            parts, part_idx = shapely.get_parts(arr, return_index=True)
        report["n_multipart_exploded"] = int(len(parts) - len(arr))
        attrs = attrs.iloc[part_idx] if len(parts) != len(arr) else attrs
        attrs = attrs.reset_index(drop=True)
        options = BuildOptions(
            profile,
            speeds,
            modes,
            oneway,
            speed_columns,
            tol=float(tolerance_m),
            join_t_junctions=join_t_junctions,
            split_crossings=split_crossings,
        )
        return assemble(parts, attrs, work_crs, options, vertex_keys=None, report=report, held=held)


def _check_columns(
    gdf: gpd.GeoDataFrame,
    class_column: str,
    oneway_column: str | None,
    name_column: str | None,
    speed_column: str | Mapping[str, str] | None,
) -> dict[str, str]:
    """Refuse a layer without the columns asked for; the speed columns as ``{mode: column}``."""
    if len(gdf) == 0:
        raise EmptyLayerError("the road layer is empty; check the file and layer name")
    if class_column not in gdf.columns:
        cands = [c for c in gdf.columns if str(c).lower() in CLASS_COLUMN_CANDIDATES]
        hint = f" Columns that look like road classes: {cands}." if cands else ""
        raise MissingColumnError(
            f"the road layer has no column {class_column!r} for the road class.{hint}"
            f"{suggest(class_column, [str(c) for c in gdf.columns])} Pass class_column=... "
            f"(available: {[str(c) for c in gdf.columns if c != gdf.geometry.name][:12]})"
        )
    for col, what in ((oneway_column, "oneway_column"), (name_column, "name_column")):
        if col is not None and col not in gdf.columns and col not in ("oneway", "name"):
            raise MissingColumnError(
                f"the road layer has no column {col!r} ({what}).{suggest(col, gdf.columns)}"
            )
    speed_columns: dict[str, str] = (
        {"car": speed_column} if isinstance(speed_column, str) else dict(speed_column or {})
    )
    for mode, col in speed_columns.items():
        if col not in gdf.columns:
            raise MissingColumnError(
                f"the road layer has no speed column {col!r} (for mode {mode!r})."
                + suggest(col, gdf.columns)
            )
    return speed_columns


def _road_lines(
    gdf: gpd.GeoDataFrame, report: dict[str, Any]
) -> tuple[gpd.GeoDataFrame, np.ndarray, np.ndarray]:
    """The rows with a line geometry (empty ones dropped and counted), their vertices and the
    row of each (``shapely.get_coordinates(..., return_index=True)``); refuse other geometries
    and coordinates that are not finite."""
    geom = gdf.geometry
    arr = geom.to_numpy()
    type_id = shapely.get_type_id(arr)
    is_line = (type_id == shapely.GeometryType.LINESTRING) | (
        type_id == shapely.GeometryType.MULTILINESTRING
    )
    empty = shapely.is_empty(arr)
    bad_type = ~is_line & (type_id >= 0) & ~empty
    if bad_type.any():
        raise GeometryError(
            f"the road layer must hold lines; found {geom[bad_type].geom_type.value_counts().to_dict()}"
            " — convert polygons to their boundaries or drop them"
        )
    keep = (type_id >= 0) & ~empty
    report["n_empty_dropped"] = int((~keep).sum())
    if not keep.any():
        raise EmptyLayerError(
            f"all {len(gdf)} road geometries are missing or empty; check the file and layer name"
        )
    src = gdf.loc[keep] if not keep.all() else gdf
    xy, row = shapely.get_coordinates(src.geometry.to_numpy(), return_index=True)
    bad = ~np.isfinite(xy).all(axis=1)
    if bad.any():
        rows = src.index[np.unique(row[bad])][:5].tolist()
        raise GeometryError(
            f"{len(np.unique(row[bad]))} road line(s) have NaN or infinite coordinates (e.g. rows "
            f"{rows}); repair or drop them (`roads = roads[roads.is_valid]`)"
        )
    return src, xy, row


def _road_attrs(
    src: gpd.GeoDataFrame,
    class_column: str,
    oneway_column: str | None,
    name_column: str | None,
    speed_columns: Mapping[str, str],
) -> tuple[pd.DataFrame, np.ndarray]:
    """The per-line attributes :func:`assemble` reads, and which lines run against one-way."""
    attrs = pd.DataFrame(index=src.index)
    # osmnx-style list values (["primary", "secondary"]) take their first class
    column = src[class_column]
    values = column.array
    if column.dtype == object and pd.api.types.infer_dtype(column, skipna=True) != "string":
        values = [
            (v[0] if len(v) else None) if isinstance(v, list | tuple) else v
            for v in column.to_numpy()
        ]
    attrs["road_class"] = values
    if oneway_column is not None and oneway_column in src.columns:
        one, rev = _parse_oneway(src[oneway_column])
    else:
        one, rev = np.zeros(len(src), bool), np.zeros(len(src), bool)
    attrs["oneway"] = one
    if name_column is not None and name_column in src.columns:
        attrs["name"] = src[name_column].to_numpy()
    for col in speed_columns.values():
        attrs[col] = src[col].to_numpy()
    attrs["source_id"] = src.index.to_numpy()
    return attrs, rev


def _parse_oneway(values: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """(oneway, reverse) flags from True/False, 1/0/-1, 'yes'/'no'/'-1', '是' ..."""
    code = None
    if isinstance(values.dtype, pd.StringDtype):  # parse each distinct text once
        code, distinct = pd.factorize(values, use_na_sentinel=False)
        values = pd.Series(distinct, dtype=values.dtype)
    text = values.astype("string").str.strip().str.lower().fillna("")
    rev = text.isin(_REVERSE).to_numpy()
    one = (text.isin(_TRUE) | rev).to_numpy()
    if code is not None:
        return one[code], rev[code]
    return one, rev
