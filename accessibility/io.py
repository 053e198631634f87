"""Reading input layers and writing results: one styled GeoPackage, CSV tables.

Output files are written under a temporary name and moved into place when complete
(:func:`accessibility._files.atomic_path`), so an interrupted run leaves any previous file intact.

Values that not every client can store
--------------------------------------
* ``inf`` / ``-inf`` (for example the travel time of a village that reaches nothing within the
  limit) are written as NULL (an empty cell in CSV), and a boolean column ``<column>_is_inf`` is
  added next to every float column that held an infinity, so nothing is lost. SQLite could store
  ``inf``, but QGIS styles, Excel, GeoJSON and many GIS clients cannot classify or even parse it.
* NaN is written as NULL.
* Booleans are GeoPackage booleans (``BOOLEAN``, read back as ``bool``); a boolean column with
  missing values is read back by :func:`read_layer` as pandas' nullable ``"boolean"``.
* Text is UTF-8; Chinese names round-trip. CSVs carry a byte-order mark by default so that Excel
  opens them with the right encoding.

GeoTIFFs are written by :func:`accessibility.raster.write_raster`.
"""

from __future__ import annotations

import codecs
import contextlib
import datetime
import logging
import os
import re
import sqlite3
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from .errors import (
    ConfigError,
    CRSError,
    InputFileError,
    InvalidValueError,
    MissingColumnError,
    suggest,
)

if TYPE_CHECKING:
    import geopandas as gpd
    import pandas as pd

__all__ = [
    "LAYER_STYLES_DDL",
    "InputFileError",
    "list_layers",
    "read_layer",
    "read_styles",
    "write_geopackage",
    "write_table",
]

logger = logging.getLogger(__name__)

#: QGIS's own DDL for the GeoPackage table of layer styles.
LAYER_STYLES_DDL = (
    "CREATE TABLE layer_styles (id INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL, "
    "f_table_catalog TEXT(256), f_table_schema TEXT(256), f_table_name TEXT(256), "
    "f_geometry_column TEXT(256), styleName TEXT(30), styleQML TEXT, styleSLD TEXT, "
    "useAsDefault BOOLEAN, description TEXT, owner TEXT(30), ui TEXT(30), "
    "update_time DATETIME DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')))"
)

_RESERVED_PREFIXES = ("gpkg_", "rtree_", "sqlite_")
_SUFFIX_INF = "_is_inf"
_SURROGATE = re.compile("[\ud800-\udfff]")


# --------------------------------------------------------------------------------------------------
# preparing frames for storage
# --------------------------------------------------------------------------------------------------


def _prepare_frame(
    frame: pd.DataFrame, name: str, *, inf_flags: bool, keep_index: bool | None
) -> pd.DataFrame:
    """A copy of ``frame`` ready to be stored: index as a column, no infinities, plain dtypes."""
    import geopandas as gpd
    import numpy as np
    import pandas as pd

    out = frame.copy()
    geom_name = out.geometry.name if isinstance(out, gpd.GeoDataFrame) else None

    # the index (ids) becomes a column unless it is a plain 0..n-1 RangeIndex without a name
    index = out.index
    default_index = isinstance(index, pd.RangeIndex) and index.name is None
    if keep_index or (keep_index is None and not default_index):
        names = [
            n if n is not None else ("id" if index.nlevels == 1 else f"level_{i}")
            for i, n in enumerate(index.names)
        ]
        clash = [n for n in names if n in out.columns]
        if clash:
            raise InvalidValueError(
                f"layer {name!r}: the index name {clash[0]!r} is also a column; rename one "
                "(e.g. frame.rename_axis('village_id'))"
            )
        out.index = _index_without_surrogates(out.index.set_names(names), name)
        out = out.reset_index()
        if geom_name is not None:
            out = gpd.GeoDataFrame(out, geometry=geom_name, crs=frame.crs)

    # column names must be unique non-empty strings (case-insensitive in GeoPackage)
    cols = [str(c) for c in out.columns]
    lower = [c.lower() for c in cols]
    dup = sorted({c for c, low in zip(cols, lower, strict=True) if lower.count(low) > 1})
    if dup:
        raise InvalidValueError(
            f"layer {name!r} has columns that differ only by case or type: {dup}; "
            "GeoPackage column names are case-insensitive, rename them"
        )
    if any(not c.strip() for c in cols):
        raise InvalidValueError(f"layer {name!r} has an empty column name; rename it")
    out.columns = cols

    for col in cols:
        if col == geom_name:
            continue
        s = out[col]
        if pd.api.types.is_float_dtype(s.dtype):
            values = s.to_numpy(dtype=float, na_value=np.nan)
            inf = np.isinf(values)
            if inf.any():
                if inf_flags:
                    flag = f"{col}{_SUFFIX_INF}"
                    if flag in out.columns:
                        raise InvalidValueError(
                            f"layer {name!r}: cannot add flag column {flag!r} for the "
                            f"infinite values of {col!r}: a column of that name exists"
                        )
                    out[flag] = inf
                out[col] = np.where(inf, np.nan, values)
                logger.info(
                    "layer %s: %d infinite values of %s written as NULL%s",
                    name,
                    int(inf.sum()),
                    col,
                    f" (flag column {col}{_SUFFIX_INF})" if inf_flags else "",
                )
        elif s.dtype == object:
            nonnull = s.dropna()
            if len(nonnull) and nonnull.map(lambda v: isinstance(v, bool | np.bool_)).all():
                out[col] = s.astype("boolean")
                continue
        if s.dtype == object or pd.api.types.is_string_dtype(s.dtype):
            out[col] = _replace_surrogates(out[col], name, col)
    return out


def _index_without_surrogates(index: pd.Index, name: str) -> pd.Index:
    """The index with lone surrogates replaced (as :func:`_replace_surrogates`), before it becomes
    a column: pandas' Arrow-backed strings cannot hold them, so ``reset_index`` would fail."""
    import pandas as pd

    arrays = []
    for level in range(index.nlevels):
        values = index.get_level_values(level)
        if values.dtype == object:
            fixed = _replace_surrogates(pd.Series(values, dtype=object), name, str(values.name))
            values = pd.Index(fixed.to_numpy(), dtype=object, name=values.name)
        arrays.append(values)
    if index.nlevels == 1:
        return arrays[0]
    return pd.MultiIndex.from_arrays(arrays, names=index.names)


def _replace_surrogates(s: pd.Series, name: str, col: str) -> pd.Series:
    """Text with lone surrogates (undecodable bytes kept by ``errors="surrogateescape"``) cannot
    be stored as UTF-8: replace them with U+FFFD and warn, naming the layer and column."""
    bad = s.map(lambda v: isinstance(v, str) and _SURROGATE.search(v) is not None)
    if not bad.any():
        return s
    logger.warning(
        "layer %s, column %s: %d value(s) hold characters that are not valid Unicode (bytes "
        "decoded with the wrong encoding?); written with U+FFFD in their place, e.g. %r",
        name,
        col,
        int(bad.sum()),
        s[bad].iloc[0],
    )
    fixed = s.copy()
    fixed[bad] = s[bad].map(lambda v: re.sub(_SURROGATE, "\ufffd", v))
    return fixed


def _check_layer_name(name: object) -> str:
    if not isinstance(name, str) or not name.strip():
        raise InvalidValueError(f"layer names must be non-empty strings, got {name!r}")
    low = name.lower()
    if low == "layer_styles" or low.startswith(_RESERVED_PREFIXES):
        raise InvalidValueError(
            f"layer name {name!r} is reserved in a GeoPackage; choose another name"
        )
    return name


# --------------------------------------------------------------------------------------------------
# GeoPackage
# --------------------------------------------------------------------------------------------------


def write_geopackage(
    path: str | os.PathLike,
    layers: Mapping[str, pd.DataFrame],
    *,
    styles: Mapping[str, str | None] | None = None,
    overwrite: bool = True,
    inf_flags: bool = True,
    index: bool | None = None,
    timestamp: datetime.datetime | None = None,
) -> Path:
    """Write several layers into one GeoPackage, each with an embedded QGIS default style.

    The whole file is built under a temporary name and moved into place at the end: readers never
    see a half-written GeoPackage and a failed run leaves the previous file intact. The file is a
    GeoPackage 1.2 (readable without warnings by the GDAL of QGIS 3.22); styles go into QGIS's
    ``layer_styles`` table (one default style per layer), so each layer opens styled in QGIS.

    Parameters
    ----------
    path
        Output ``.gpkg`` file. An existing file is replaced (not appended to).
    layers
        ``{layer name: GeoDataFrame}`` in the order to write them. A plain DataFrame (no
        geometry) becomes an attribute table (for example a cost table).
    styles
        ``{layer name: QML}``; ``None`` (the default) embeds :func:`accessibility.styles.
        default_styles` for every spatial layer; a ``None`` value or a missing key writes no style
        for that layer; ``{}`` writes none at all.
    overwrite
        Replace an existing file; when false an existing file is an error.
    inf_flags
        Add a boolean ``<column>_is_inf`` column next to every float column that holds
        infinities (which are written as NULL either way).
    index
        Write the index as a column (named after the index, ``"id"`` when unnamed). ``None``
        writes it unless it is an unnamed ``RangeIndex``.
    timestamp
        The time recorded in the file (``gpkg_contents.last_change``, ``layer_styles.
        update_time``); default: now. The environment variable ``SOURCE_DATE_EPOCH`` (seconds
        since 1970, UTC) wins over both, so that identical data give byte-identical files.

    Returns
    -------
    Path
        The path written.

    Raises
    ------
    CRSError
        A spatial layer has no CRS.
    InvalidValueError
        A layer name is reserved or repeated, a style is not a QML document, column names clash.
    OutputError
        The file cannot be written (read-only folder, full disk, exists and ``overwrite=False``).

    Examples
    --------
    >>> import geopandas as gpd
    >>> from shapely.geometry import Point
    >>> v = gpd.GeoDataFrame(
    ...     {"name": ["上村"], "clinic_nearest_min": [12.5]},
    ...     geometry=[Point(500000, 3300000)], crs="EPSG:4547",
    ... ).rename_axis("village_id")
    >>> write_geopackage("/tmp/_acc_doc.gpkg", {"villages": v})  # doctest: +SKIP
    PosixPath('/tmp/_acc_doc.gpkg')
    """
    import geopandas as gpd
    import pyogrio

    from ._files import atomic_path, check_writable, final_path, output_timestamp
    from .styles import default_qml

    check_writable(path, overwrite=overwrite)
    stamp = output_timestamp(timestamp)
    when = None if stamp is None else stamp.astimezone(datetime.UTC).strftime(_GPKG_TIME)
    if not layers:
        raise InvalidValueError("write_geopackage needs at least one layer")
    seen: dict[str, str] = {}
    for name in layers:
        _check_layer_name(name)
        if name.lower() in seen:
            raise InvalidValueError(
                f"layer names {seen[name.lower()]!r} and {name!r} clash: GeoPackage table names "
                "are case-insensitive"
            )
        seen[name.lower()] = name
    if styles is not None:
        unknown = [k for k in styles if k not in layers]
        if unknown:
            raise InvalidValueError(
                f"styles given for {unknown[0]!r}, which is not among the layers "
                f"{list(layers)}.{suggest(unknown[0], layers)}"
            )

    prepared: dict[str, pd.DataFrame] = {}
    qml: dict[str, str] = {}
    for name, frame in layers.items():
        spatial = isinstance(frame, gpd.GeoDataFrame)
        if spatial and frame.crs is None:
            raise CRSError(
                f"layer {name!r} has no CRS; set it with .set_crs('EPSG:...') before writing "
                "(QGIS would not know where to draw it)"
            )
        prepared[name] = _prepare_frame(frame, name, inf_flags=inf_flags, keep_index=index)
        style = default_qml(name, frame) if styles is None and spatial else (styles or {}).get(name)
        if style is not None:
            if not spatial:
                raise InvalidValueError(
                    f"layer {name!r} has no geometry; QGIS styles apply to spatial layers only"
                )
            _check_qml(style, name)
            qml[name] = style

    with atomic_path(path, overwrite=overwrite) as tmp, _gdal_current_date(when):
        for i, (name, frame) in enumerate(prepared.items()):
            kwargs: dict[str, object] = {}
            if i == 0:
                kwargs["dataset_options"] = {"VERSION": "1.2"}
            if isinstance(frame, gpd.GeoDataFrame) and (len(frame) == 0):
                kwargs["geometry_type"] = "Unknown"
            pyogrio.write_dataframe(
                frame,
                tmp,
                layer=name,
                driver="GPKG",
                layer_options={"SPATIAL_INDEX": "YES"},
                **kwargs,
            )
            logger.debug("wrote layer %s (%d rows)", name, len(frame))
        if qml:
            _write_layer_styles(tmp, qml, when=when)
    logger.info("wrote %s (%d layers, %d styles)", final_path(path), len(prepared), len(qml))
    return final_path(path)


_GPKG_TIME = "%Y-%m-%dT%H:%M:%S.000Z"


@contextlib.contextmanager
def _gdal_current_date(when: str | None) -> Iterator[None]:
    """Have GDAL record ``when`` instead of the clock in ``gpkg_contents.last_change``."""
    if when is None:
        yield
        return
    import pyogrio

    previous = pyogrio.get_gdal_config_option("OGR_CURRENT_DATE")
    pyogrio.set_gdal_config_options({"OGR_CURRENT_DATE": when})
    try:
        yield
    finally:
        pyogrio.set_gdal_config_options({"OGR_CURRENT_DATE": previous})


def _check_qml(qml: str, name: str) -> None:
    import xml.etree.ElementTree as ET

    try:
        root = ET.fromstring(qml.encode("utf-8") if isinstance(qml, str) else qml)
    except (ET.ParseError, AttributeError, TypeError) as exc:
        raise InvalidValueError(
            f"style for layer {name!r} is not a valid QML document: {exc}"
        ) from exc
    if root.tag != "qgis":
        raise InvalidValueError(
            f"style for layer {name!r} is not a QML document (root element <{root.tag}>, "
            "expected <qgis>)"
        )


def _write_layer_styles(
    gpkg: str | os.PathLike, qml: Mapping[str, str], *, when: str | None = None
) -> None:
    """Create QGIS's ``layer_styles`` table in ``gpkg`` and store one default style per layer
    (timestamped ``when``, default now)."""
    now = "strftime('%Y-%m-%dT%H:%M:%fZ','now')"
    con = sqlite3.connect(os.fspath(gpkg))
    try:
        with con:
            geom_cols = dict(
                con.execute("SELECT table_name, column_name FROM gpkg_geometry_columns")
            )
            exists = con.execute(
                "SELECT 1 FROM sqlite_master WHERE type='table' AND name='layer_styles'"
            ).fetchone()
            if not exists:
                con.execute(LAYER_STYLES_DDL)
                con.execute(
                    "INSERT INTO gpkg_contents (table_name, data_type, identifier, description, "
                    "last_change) VALUES ('layer_styles', 'attributes', 'layer_styles', "
                    f"'QGIS layer styles', coalesce(?, {now}))",
                    (when,),
                )
            for name, style in qml.items():
                con.execute(
                    "UPDATE layer_styles SET useAsDefault = 0 WHERE f_table_name = ?", (name,)
                )
                con.execute(
                    "INSERT INTO layer_styles (f_table_catalog, f_table_schema, f_table_name, "
                    "f_geometry_column, styleName, styleQML, styleSLD, useAsDefault, description, "
                    f"owner, update_time) VALUES ('', '', ?, ?, ?, ?, '', 1, ?, '', "
                    f"coalesce(?, {now}))",
                    (
                        name,
                        geom_cols.get(name, "geom"),
                        name,
                        style,
                        "default style written by the accessibility package",
                        when,
                    ),
                )
    finally:
        con.close()


def read_styles(path: str | os.PathLike) -> dict[str, str]:
    """The default QML of every layer in a GeoPackage's ``layer_styles`` table.

    Examples
    --------
    >>> read_styles("results.gpkg")["villages"][:5]  # doctest: +SKIP
    '<!DOC'
    """
    path = _existing(path)
    con = sqlite3.connect(f"file:{os.fspath(path)}?mode=ro", uri=True)
    try:
        has = con.execute(
            "SELECT 1 FROM sqlite_master WHERE type='table' AND name='layer_styles'"
        ).fetchone()
        if not has:
            return {}
        rows = con.execute(
            "SELECT f_table_name, styleQML FROM layer_styles WHERE useAsDefault ORDER BY id"
        ).fetchall()
    finally:
        con.close()
    return {name: style for name, style in rows}


# --------------------------------------------------------------------------------------------------
# CSV
# --------------------------------------------------------------------------------------------------


def write_table(
    path: str | os.PathLike,
    df: pd.DataFrame,
    *,
    bom: bool = True,
    index: bool | None = None,
    geometry: Literal["drop", "wkt", "xy"] = "drop",
    inf_flags: bool = True,
    overwrite: bool = True,
) -> Path:
    """Write a table (for example the per-village layer) as a UTF-8 CSV, atomically.

    Parameters
    ----------
    path
        Output ``.csv`` file.
    df
        The table; a GeoDataFrame's geometry is handled as ``geometry`` says.
    bom
        Start the file with a UTF-8 byte-order mark so that Excel shows Chinese text correctly
        (``pandas.read_csv(..., encoding="utf-8-sig")`` reads it back).
    index
        Write the index as the first column(s); ``None`` writes it unless it is an unnamed
        ``RangeIndex``.
    geometry
        ``"drop"`` the geometry, write it as ``"wkt"`` text, or as ``"xy"`` columns ``x`` and
        ``y`` (point coordinates, or representative points of other shapes, in the layer's CRS).
    inf_flags
        As in :func:`write_geopackage`: infinities become empty cells plus ``<column>_is_inf``.
    overwrite
        Replace an existing file.

    Returns
    -------
    Path
        The path written.

    Examples
    --------
    >>> import pandas as pd
    >>> t = pd.DataFrame({"name": ["上村"], "clinic_nearest_min": [float("inf")]})
    >>> write_table("/tmp/_acc_doc.csv", t)  # doctest: +SKIP
    PosixPath('/tmp/_acc_doc.csv')
    """
    import geopandas as gpd
    import pandas as pd

    from ._files import atomic_path, final_path

    if geometry not in ("drop", "wkt", "xy"):
        raise InvalidValueError(f"geometry must be 'drop', 'wkt' or 'xy', got {geometry!r}")
    frame = pd.DataFrame(df.copy())
    if isinstance(df, gpd.GeoDataFrame):
        geom = df.geometry
        frame = pd.DataFrame(df.drop(columns=geom.name))
        if geometry == "wkt":
            frame["wkt"] = geom.to_wkt()
        elif geometry == "xy":
            pts = geom.where(geom.geom_type == "Point", geom.representative_point())
            frame["x"] = pts.x
            frame["y"] = pts.y
    frame = _prepare_frame(frame, "table", inf_flags=inf_flags, keep_index=index)
    with atomic_path(path, overwrite=overwrite) as tmp:
        frame.to_csv(
            tmp, index=False, encoding="utf-8-sig" if bom else "utf-8", lineterminator="\n"
        )
    logger.info("wrote %s (%d rows)", final_path(path), len(frame))
    return final_path(path)


# --------------------------------------------------------------------------------------------------
# reading
# --------------------------------------------------------------------------------------------------


def _existing(path: str | os.PathLike) -> Path:
    p = Path(os.path.expanduser(os.fspath(path)))
    if p.exists():
        return p
    folder = p.parent if str(p.parent) else Path(".")
    message = f"input file {str(p)!r} does not exist"
    if folder.is_dir():
        message += "." + suggest(p.name, [c.name for c in folder.iterdir()])
    else:
        message += f" (nor does its folder {str(folder)!r})."
    raise InputFileError(message)


def list_layers(path: str | os.PathLike) -> dict[str, str | None]:
    """``{layer name: geometry type}`` of a GIS file (``None`` for attribute-only tables).

    Examples
    --------
    >>> list_layers("results.gpkg")  # doctest: +SKIP
    {'villages': 'Point', 'facilities': 'Point', 'roads': 'LineString', 'layer_styles': None}
    """
    import pyogrio

    p = _existing(path)
    try:
        rows = pyogrio.list_layers(p)
    except Exception as exc:  # pyogrio.errors.DataSourceError and GDAL errors
        raise ConfigError(
            f"cannot read {str(p)!r} as a GIS file ({_gdal_message(exc)}); give a GeoPackage "
            "(.gpkg), Shapefile (.shp with its .shx/.dbf/.prj) or GeoJSON (.geojson) file"
        ) from exc
    return {str(n): (None if t is None else str(t)) for n, t in rows}


def _gdal_message(exc: BaseException) -> str:
    return str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__


def read_layer(
    source: str | os.PathLike | gpd.GeoDataFrame,
    layer: str | None = None,
    *,
    index_col: str | None = None,
    columns: list[str] | None = None,
    encoding: str | None = None,
) -> gpd.GeoDataFrame:
    """Read one layer from a GeoPackage, Shapefile or GeoJSON file (or take a GeoDataFrame).

    Parameters
    ----------
    source
        A file path, or a GeoDataFrame (returned as a copy, so the caller's frame is never
        modified).
    layer
        Layer name inside a multi-layer file. May be omitted when the file holds one spatial
        layer.
    index_col
        Column to use as the index (the ids), for example ``"village_id"``.
    columns
        Read only these attribute columns (geometry is always read).
    encoding
        Text encoding of a Shapefile (Chinese Shapefiles are often ``"GBK"``/``"GB18030"``);
        given, it wins over the ``.cpg`` file. GeoPackage and GeoJSON are always UTF-8. When it
        is not given, a Shapefile's text (names of fields and values) is checked before it is
        read: text that is valid in the encoding its ``.cpg`` file (or ``.dbf`` header) declares
        is read so; undeclared text that is valid UTF-8 is read as UTF-8; otherwise text that is
        valid GB18030 is read as GB18030 with an :class:`~accessibility.errors.InputWarning`
        saying how to set the encoding. Text valid in none of these is read as Latin-1 with a
        warning when nothing was declared, and is an error when a ``.cpg`` file declared an
        encoding it is not valid in. Names are never garbled silently.

    Returns
    -------
    geopandas.GeoDataFrame
        The layer. Booleans with missing values come back as pandas ``"boolean"``, integers
        with missing values as ``"Int64"``.

    Raises
    ------
    InputFileError
        The file does not exist (a ``FileNotFoundError``; the message suggests a close name).
    ConfigError
        The file cannot be read, ``layer`` is not in it (the message lists the layers), or the
        file has several layers and ``layer`` was not given.
    MissingColumnError
        ``index_col`` or a name in ``columns`` is not in the layer.
    InvalidValueError
        ``encoding`` is unknown, or the Shapefile's text is not valid in the encoding given or
        declared by its ``.cpg`` file (the message says which encodings it is valid in).

    Examples
    --------
    >>> villages = read_layer("county.gpkg", "villages", index_col="village_id")  # doctest: +SKIP
    """
    import geopandas as gpd
    import pandas as pd
    import pyogrio

    if encoding is not None:
        try:
            codecs.lookup(encoding)
        except (LookupError, TypeError):
            raise InvalidValueError(
                f"encoding={encoding!r} is not a known text encoding; Chinese Shapefiles are "
                'usually "GBK" or "GB18030", others "UTF-8"'
            ) from None
    if isinstance(source, gpd.GeoDataFrame):
        if layer is not None:
            raise InvalidValueError("layer= only applies to files; a GeoDataFrame was given")
        gdf = source.copy()
        if columns is not None:
            _check_columns(columns, gdf.columns, "the GeoDataFrame")
            gdf = gdf[[*columns, gdf.geometry.name]]
    elif isinstance(source, pd.DataFrame):
        raise InvalidValueError(
            "a DataFrame without geometry was given; build a GeoDataFrame first, e.g. "
            "gpd.GeoDataFrame(df, geometry=gpd.points_from_xy(df.x, df.y), crs='EPSG:4326')"
        )
    else:
        p = _existing(source)
        available = list_layers(p)
        spatial = [n for n, t in available.items() if t is not None]
        if layer is None:
            if len(spatial) == 1:
                layer = spatial[0]
            elif not spatial:
                raise ConfigError(f"{str(p)!r} holds no spatial layer (layers: {list(available)})")
            else:
                raise ConfigError(
                    f"{str(p)!r} holds {len(spatial)} spatial layers {spatial}; say which one "
                    "with layer=..."
                )
        elif layer not in available:
            raise ConfigError(
                f"{str(p)!r} has no layer {layer!r}; its layers are {list(available)}."
                f"{suggest(layer, available)}"
            )
        elif available[layer] is None:
            raise ConfigError(
                f"layer {layer!r} of {str(p)!r} has no geometry; spatial layers: {spatial}"
            )
        dbf = _shapefile_dbf(p, layer)
        if dbf is not None:
            encoding = _shapefile_encoding(dbf, encoding)
        try:
            info = pyogrio.read_info(p, layer=layer, encoding=encoding)
        except UnicodeDecodeError as exc:
            raise _undecodable(p, encoding, exc) from exc
        fields = [str(f) for f in info["fields"]]
        if columns is not None:
            _check_columns(columns, fields, f"layer {layer!r} of {str(p)!r}")
        try:
            gdf = pyogrio.read_dataframe(p, layer=layer, columns=columns, encoding=encoding)
        except UnicodeDecodeError as exc:
            raise _undecodable(p, encoding, exc) from exc
        except Exception as exc:
            raise ConfigError(
                f"cannot read layer {layer!r} of {str(p)!r}: {_gdal_message(exc)}"
            ) from exc
        gdf = _restore_types(gdf, info)
    if index_col is not None:
        if index_col not in gdf.columns:
            raise MissingColumnError(
                f"column {index_col!r} (index_col) is not in the layer; columns are "
                f"{[c for c in gdf.columns if c != gdf.geometry.name]}."
                f"{suggest(index_col, map(str, gdf.columns))}"
            )
        gdf = gdf.set_index(index_col)
    return gdf


def _check_columns(columns: list[str], available: Iterable[Any], where: str) -> None:
    have = [str(c) for c in available]
    for c in columns:
        if c not in have:
            raise MissingColumnError(f"column {c!r} is not in {where}.{suggest(c, have)}")


def _restore_types(gdf: gpd.GeoDataFrame, info: Mapping[str, Any]) -> gpd.GeoDataFrame:
    """Give booleans and integers with NULLs nullable dtypes instead of float."""
    import pandas as pd

    fields = [str(f) for f in info["fields"]]
    ogr_types = list(info.get("ogr_types") or [None] * len(fields))
    subtypes = list(info.get("ogr_subtypes") or [None] * len(fields))
    for field, otype, sub in zip(fields, ogr_types, subtypes, strict=False):
        if field not in gdf.columns or not pd.api.types.is_float_dtype(gdf[field].dtype):
            continue
        if sub == "OFSTBoolean":
            gdf[field] = gdf[field].astype("boolean")
        elif otype in ("OFTInteger", "OFTInteger64"):
            gdf[field] = gdf[field].astype("Int64")
    return gdf


# --------------------------------------------------------------------------------------------------
# Shapefile text encodings
# --------------------------------------------------------------------------------------------------

#: dBase language driver ids (byte 29 of the .dbf header) of East Asian code pages, as GDAL reads
#: them when there is no .cpg file.
_LDID_CODEC = {0x4D: "cp936", 0x7A: "cp936", 0x4F: "cp950", 0x78: "cp950", 0x4E: "cp949",
               0x79: "cp949", 0x13: "cp932", 0x7B: "cp932"}  # fmt: skip

#: .dbf language drivers of Western code pages that Chinese data often carries wrongly: 0x57 is
#: "ANSI", the writing machine's code page (GBK on a Chinese Windows); GDAL reads them as Latin.
_WESTERN_LDID = {0x01: "cp437", 0x02: "cp850", 0x03: "cp1252", 0x57: "cp1252", 0x58: "cp1252",
                 0x59: "cp1252"}  # fmt: skip

_ENCODING_FIX = (
    'pass encoding="..." to read_layer (in a project file, the [input] key of the layer, e.g. '
    '`villages_encoding = "gbk"`; keys: roads_encoding, villages_encoding, facilities_encoding, '
    "townships_encoding), or put the encoding in a .cpg file next to the .shp"
)


def _shapefile_dbf(path: Path, layer: str | None) -> Path | None:
    """The .dbf of a Shapefile (a .shp path, or a folder of Shapefiles and a layer name)."""
    if path.is_dir():
        if layer is None:
            return None
        stem = path / layer
    elif path.suffix.lower() == ".shp":
        stem = path.with_suffix("")
    else:
        return None
    for suffix in (".dbf", ".DBF", ".Dbf"):
        candidate = stem.with_name(stem.name + suffix)
        if candidate.exists():
            return candidate
    return None


def _cpg_codec(dbf: Path) -> tuple[str | None, str | None]:
    """``(text of the .cpg file, Python codec it names)``; ``(None, None)`` without a .cpg."""
    for suffix in (".cpg", ".CPG", ".Cpg"):
        cpg = dbf.with_suffix(suffix)
        if cpg.exists():
            break
    else:
        return None, None
    text = cpg.read_bytes().decode("ascii", errors="replace").strip()
    name = text.upper().replace("_", "-")
    if name in ("UTF-8", "UTF8", "65001"):
        return text, "utf-8"
    if name.replace("-", "").startswith("8859"):  # "88591", "8859-1" as GDAL reads them
        name = "iso8859-" + name.replace("-", "")[4:]
    elif name.isdigit():
        name = f"cp{name}"
    elif name.startswith("ANSI ") and name[5:].strip().isdigit():
        name = f"cp{name[5:].strip()}"
    try:
        return text, codecs.lookup(name).name
    except LookupError:
        return text, None


def _dbf_text(dbf: Path) -> tuple[list[tuple[bytes, bool]], int]:
    """The distinct non-ASCII texts of a .dbf (field names and the values of its character
    fields), each with whether it fills its field (and so may end in a cut character), and the
    language driver id of its header."""
    import numpy as np

    with open(dbf, "rb") as f:
        head = f.read(32)
        if len(head) < 32:
            return [], 0
        n_records = int.from_bytes(head[4:8], "little")
        header_len = int.from_bytes(head[8:10], "little")
        record_len = int.from_bytes(head[10:12], "little")
        descriptors = f.read(max(header_len - 32, 0))
    texts: list[tuple[bytes, bool]] = []
    fields: list[tuple[int, int]] = []  # (offset in the record, width) of character fields
    offset = 1  # the deletion flag comes first
    for i in range(0, len(descriptors) - 31, 32):
        d = descriptors[i : i + 32]
        if d[0] == 0x0D:
            break
        name = d[:11].split(b"\x00", 1)[0]
        if any(b >= 0x80 for b in name):
            texts.append((name, False))
        width = d[16]
        if d[11:12] == b"C":
            width = d[16] + 256 * d[17]  # long character fields keep the high byte in "decimals"
            fields.append((offset, width))
        offset += width
    if not fields or n_records == 0 or record_len == 0:
        return texts, head[29]
    size = dbf.stat().st_size
    n_records = min(n_records, max((size - header_len) // record_len, 0))
    if n_records == 0:
        return texts, head[29]
    records = np.memmap(dbf, dtype=np.uint8, mode="r", offset=header_len,
                        shape=(n_records, record_len))  # fmt: skip
    for start, width in fields:
        if start + width > record_len:
            break
        block = np.ascontiguousarray(records[:, start : start + width])
        rows = block[(block >= 0x80).any(axis=1)]
        # distinct values through a bytes view: np.unique(axis=0) takes minutes on wide fields
        for value in set(rows.view(np.dtype((np.void, width))).ravel().tolist()):
            raw = bytes(value).rstrip(b" \x00")
            texts.append((raw, len(raw) == width))
    del records
    return texts, head[29]


def _valid_in(texts: list[tuple[bytes, bool]], codec: str) -> bool:
    """Whether every text decodes in ``codec`` (a character cut at the end of a full field, as
    writers that truncate by bytes leave it, is tolerated)."""
    for raw, full in texts:
        try:
            raw.decode(codec)
        except UnicodeDecodeError as exc:
            if not (full and exc.end == len(raw) and exc.start >= len(raw) - 3):
                return False
        except LookupError:
            return False
    return True


def _gbk_extension_pair(lead: int, trail: int) -> bool:
    """A GBK character outside GB2312 that Western (Latin-1) text does not look like: GBK/3
    (lead 0x81-0x9F, C1 control codes in Latin-1, with any trail byte) or GBK/4 with a trail
    byte 0x80-0xA0 (an accented letter followed by an ASCII letter stays Western)."""
    gbk3 = 0x81 <= lead <= 0x9F and 0x40 <= trail <= 0xFE and trail != 0x7F
    gbk4 = 0xAA <= lead <= 0xFE and 0x80 <= trail <= 0xA0
    return gbk3 or gbk4


def _double_byte_chinese(texts: list[tuple[bytes, bool]]) -> bool:
    """Whether every non-ASCII byte pairs up as a GB2312 character (both bytes 0xA1-0xFE), as in
    Chinese text, and unlike Western text, whose accented letters stand alone among ASCII."""
    for raw, full in texts:
        i, n = 0, len(raw)
        while i < n:
            if raw[i] < 0x80:
                i += 1
            elif i + 1 < n and 0xA1 <= raw[i] <= 0xFE and 0xA1 <= raw[i + 1] <= 0xFE:
                i += 2
            elif i + 1 < n and _gbk_extension_pair(raw[i], raw[i + 1]):
                i += 2  # a GBK character beyond GB2312, common in place names (塅 = 89 46)
            elif full and i == n - 1:  # a character cut at the end of a full field
                i += 1
            else:
                return False
    return True


def _shapefile_encoding(dbf: Path, encoding: str | None) -> str | None:
    """The encoding to read a Shapefile with (``None``: as its .cpg or .dbf header declares).

    See :func:`read_layer` for the rules. Raises InvalidValueError when the text is not valid in
    the encoding given or declared by a .cpg file, and warns when it guesses.
    """
    import warnings

    from .errors import InputWarning

    shp = str(dbf.with_suffix(".shp"))
    try:
        texts, ldid = _dbf_text(dbf)
    except (OSError, ValueError) as exc:  # not a dBase file GDAL could read either
        logger.debug("could not check the text encoding of %s: %s", dbf, exc)
        return encoding
    if not texts:  # plain ASCII: every encoding reads it alike
        return encoding
    valid = [c for c in ("utf-8", "gb18030") if _valid_in(texts, c)]
    example = texts[0][0]
    if encoding is not None:
        if _valid_in(texts, encoding):
            return encoding
        raise InvalidValueError(
            f"{shp!r}: the text is not valid {encoding} (e.g. the bytes {example[:24]!r}), the "
            f"encoding given. "
            + (
                f"It is valid {' and '.join(valid)}: use encoding={valid[0]!r}."
                if valid
                else "Find the encoding it was written in and give it: " + _ENCODING_FIX + "."
            )
        )
    cpg_text, declared = _cpg_codec(dbf)
    source = f"its .cpg file says {cpg_text!r}"
    if cpg_text is not None and declared is None:
        # a name GDAL may know and Python does not: GDAL decodes as declared
        logger.info("%s: .cpg %r is not a Python codec; GDAL decodes the text", shp, cpg_text)
        return None
    if cpg_text is None:
        declared = _LDID_CODEC.get(ldid)
        source = f"its .dbf header declares code page {declared}"
        if declared is None and ldid not in (0, *_WESTERN_LDID):
            return None  # another declared code page (Cyrillic, Greek, ...): GDAL reads it
        if ldid in _WESTERN_LDID and not (
            "gb18030" in valid and "utf-8" not in valid and _double_byte_chinese(texts)
        ):
            return "utf-8" if "utf-8" in valid else _WESTERN_LDID[ldid]
    if declared is not None and _valid_in(texts, declared):
        return None  # GDAL reads it as declared
    if cpg_text is None and declared is None:  # nothing declared: GDAL would read Latin-1
        if "utf-8" in valid:
            logger.info("%s: no .cpg file; the text is UTF-8 and is read as such", shp)
            return "utf-8"
        if "gb18030" in valid and _double_byte_chinese(texts):
            warnings.warn(
                f"{shp!r} has no .cpg file saying its text encoding; the text is not UTF-8 but "
                "is valid GB18030 (GBK), the usual encoding of Chinese Shapefiles, and was read "
                f"as GB18030. If the names look wrong, set the encoding explicitly: "
                f"{_ENCODING_FIX}.",
                InputWarning,
                stacklevel=3,
            )
            return "gb18030"
        warnings.warn(
            f"{shp!r} has no .cpg file saying its text encoding and its text is neither UTF-8 "
            f"nor GB18030 (e.g. the bytes {example[:24]!r}); it was read as Latin-1 "
            f"(ISO-8859-1), which may garble names. Set the real encoding: {_ENCODING_FIX}.",
            InputWarning,
            stacklevel=3,
        )
        return "latin1"
    if cpg_text is not None and declared is None:
        described = f"{shp!r}: its .cpg file names an unknown encoding {cpg_text!r}"
    else:
        described = f"{shp!r}: {source} but the text is not valid {declared}"
    choice = "gb18030" if "gb18030" in valid else (valid[0] if valid else None)
    if choice is None:
        raise InvalidValueError(
            f"{described} (e.g. the bytes {example[:24]!r}), nor UTF-8 or GB18030. Find the "
            f"encoding it was written in and give it: {_ENCODING_FIX}."
        )
    warnings.warn(
        f"{described}; it is valid {choice.upper()} and was read as {choice.upper()}. Correct "
        f"the .cpg file or set the encoding explicitly: {_ENCODING_FIX}.",
        InputWarning,
        stacklevel=3,
    )
    return choice


def _undecodable(path: Path, encoding: str | None, exc: UnicodeDecodeError) -> InvalidValueError:
    return InvalidValueError(
        f"{str(path)!r}: text cannot be decoded as {encoding or exc.encoding} ({exc.reason} at "
        f"the bytes {exc.object[exc.start : exc.start + 8]!r}). Set the encoding it was written "
        f"in: {_ENCODING_FIX}."
    )
