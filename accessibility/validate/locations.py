"""Villages and facilities: :func:`validate_locations`."""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
import pandas as pd

from ..errors import (
    CRSError,
    DuplicateIdError,
    EmptyLayerError,
    InvalidValueError,
    MissingColumnError,
    suggest,
)
from .coordinates import check_coordinates, extent_tuple
from .geometry import check_location_geometry
from .numeric import check_numeric
from .problems import Problems, crs_hint, examples, missing_column_message, require_geodataframe
from .text import repair_text_columns

if TYPE_CHECKING:
    import geopandas as gpd


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
    require_geodataframe(gdf, what)
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
        extent_tuple(reference_extent)
    problems = Problems(what)
    out = gdf.copy()
    repairs: dict[str, Any] = {}

    if gdf.crs is None:
        problems.add(CRSError, f"the layer has no CRS.{crs_hint(gdf)}")

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
                missing_column_message(id_column, columns, "the id column"),
            )
    for col in missing_cols:
        purpose = "numeric" if col in numeric_all else "required"
        problems.add(MissingColumnError, missing_column_message(col, columns, purpose))

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
            f"{int(ids_missing.sum())} row(s) have no id: {examples(positions[ids_missing])}. "
            "Every location needs a unique id; fill them in the source table.",
        )
    dup = ids.duplicated(keep=False) & ~ids_missing
    if dup.any():
        counts = pd.Series(ids[dup]).value_counts()
        problems.add(
            DuplicateIdError,
            f"{len(counts)} id(s) occur more than once ({int(dup.sum())} rows): "
            f"{examples(counts.index, [f'x{n}' for n in counts])}. Make them unique (e.g. prefix "
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
            out[col] = check_numeric(
                gdf[col],
                labels,
                column=col,
                nonnegative=col in nonnegative_columns,
                positive=False,
                allow_nan=False,
                problems=problems,
            ).to_numpy()

    # geometry
    check_location_geometry(
        out,
        labels,
        what=what,
        polygons=polygons,
        population_raster=population_raster,
        problems=problems,
        repairs=repairs,
    )
    check_coordinates(out, labels, reference_extent, problems)

    # text
    geom_name = gdf.geometry.name
    cols = (
        [c for c in gdf.columns if c != geom_name] if text_columns is None else list(text_columns)
    )
    text_fixed = repair_text_columns(out, [c for c in cols if c in out.columns], labels, what)
    if text_fixed:
        repairs["text_repaired"] = text_fixed

    problems.raise_if_any()

    if id_column is not None:
        out = out.set_index(id_column)
    out.index.name = id_name
    out.attrs["validation"] = repairs
    return out
