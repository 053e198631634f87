"""Reading input layers: GeoPackage, Shapefile (encodings detected), GeoJSON, with clear errors."""

from __future__ import annotations

import codecs
import os
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..errors import ConfigError, InputFileError, InvalidValueError, MissingColumnError, suggest
from .encodings import shapefile_dbf, shapefile_encoding, undecodable

if TYPE_CHECKING:
    import geopandas as gpd


def existing(path: str | os.PathLike) -> Path:
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

    p = existing(path)
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
        p = existing(source)
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
        dbf = shapefile_dbf(p, layer)
        if dbf is not None:
            encoding = shapefile_encoding(dbf, encoding)
        try:
            info = pyogrio.read_info(p, layer=layer, encoding=encoding)
        except UnicodeDecodeError as exc:
            raise undecodable(p, encoding, exc) from exc
        fields = [str(f) for f in info["fields"]]
        if columns is not None:
            _check_columns(columns, fields, f"layer {layer!r} of {str(p)!r}")
        try:
            gdf = pyogrio.read_dataframe(p, layer=layer, columns=columns, encoding=encoding)
        except UnicodeDecodeError as exc:
            raise undecodable(p, encoding, exc) from exc
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
