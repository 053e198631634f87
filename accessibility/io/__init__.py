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

import contextlib
import datetime
import logging
import os
import sqlite3
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import TYPE_CHECKING

from ..errors import (
    CRSError,
    InputFileError,
    InvalidValueError,
    suggest,
)
from .frames import arrow_columns, prepare_frame
from .read import existing, list_layers, read_layer
from .tables import write_table

if TYPE_CHECKING:
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


def _check_layer_name(name: object) -> str:
    if not isinstance(name, str) or not name.strip():
        raise InvalidValueError(f"layer names must be non-empty strings, got {name!r}")
    low = name.lower()
    if low == "layer_styles" or low.startswith(_RESERVED_PREFIXES):
        raise InvalidValueError(
            f"layer name {name!r} is reserved in a GeoPackage; choose another name"
        )
    return name


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
    see a half-written GeoPackage and a failed run leaves the previous file intact. (It is built
    without a sync to disk at every commit and synced once, complete, before the move.) The file is a
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

    from .._files import atomic_path, check_writable, final_path, output_timestamp
    from ..styles import default_qml

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
        prepared[name] = prepare_frame(frame, name, inf_flags=inf_flags, keep_index=index)
        style = default_qml(name, frame) if styles is None and spatial else (styles or {}).get(name)
        if style is not None:
            if not spatial:
                raise InvalidValueError(
                    f"layer {name!r} has no geometry; QGIS styles apply to spatial layers only"
                )
            _check_qml(style, name)
            qml[name] = style

    build = dict(_BUILD_OPTIONS)
    unsynced = build.get("OGR_SQLITE_SYNCHRONOUS") == "OFF"
    if when is not None:
        build["OGR_CURRENT_DATE"] = when
    with atomic_path(path, overwrite=overwrite) as tmp, _gdal_options(build):
        for i, (name, frame) in enumerate(prepared.items()):
            kwargs: dict[str, object] = {}
            if i == 0:
                kwargs["dataset_options"] = {"VERSION": "1.2"}
            if isinstance(frame, gpd.GeoDataFrame) and (len(frame) == 0):
                kwargs["geometry_type"] = "Unknown"
            if arrow_columns(frame):
                kwargs["use_arrow"] = True  # same file, faster than feature by feature
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
            _write_layer_styles(tmp, qml, when=when, sync=not unsynced)
        if unsynced:
            _fsync(tmp)  # the finished file on disk before it is moved into place
    logger.info("wrote %s (%d layers, %d styles)", final_path(path), len(prepared), len(qml))
    return final_path(path)


_GPKG_TIME = "%Y-%m-%dT%H:%M:%S.000Z"

#: GDAL options while a GeoPackage is built under its temporary name: no sync to disk at every
#: commit (a layer, its spatial index and the metadata are several), as the finished file is
#: synced once before it is moved into place (:func:`_fsync`). The file's bytes are the same.
_BUILD_OPTIONS: dict[str, str] = {"OGR_SQLITE_SYNCHRONOUS": "OFF"}


@contextlib.contextmanager
def _gdal_options(options: Mapping[str, str]) -> Iterator[None]:
    """Set GDAL configuration ``options`` for the block (for example ``OGR_CURRENT_DATE``, the
    time GDAL records in ``gpkg_contents.last_change``), then restore the previous values."""
    if not options:
        yield
        return
    import pyogrio

    previous = {key: pyogrio.get_gdal_config_option(key) for key in options}
    pyogrio.set_gdal_config_options(dict(options))
    try:
        yield
    finally:
        pyogrio.set_gdal_config_options(previous)


def _fsync(path: str | os.PathLike) -> None:
    """Write ``path``'s data to disk (what SQLite's per-commit syncs would have done). Opened for
    writing: on Windows ``os.fsync`` (``FlushFileBuffers``) refuses a read-only descriptor."""
    fd = os.open(path, os.O_RDWR | getattr(os, "O_BINARY", 0))
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


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
    gpkg: str | os.PathLike, qml: Mapping[str, str], *, when: str | None = None, sync: bool = True
) -> None:
    """Create QGIS's ``layer_styles`` table in ``gpkg`` and store one default style per layer
    (timestamped ``when``, default now). ``sync=False``: no sync to disk at the commit (the
    caller syncs the file)."""
    now = "strftime('%Y-%m-%dT%H:%M:%fZ','now')"
    con = sqlite3.connect(os.fspath(gpkg))
    try:
        if not sync:
            con.execute("PRAGMA synchronous = OFF")
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
    path = existing(path)
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
