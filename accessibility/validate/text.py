"""Text repair: undecodable bytes and stray characters in the text columns of a layer."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import pandas as pd

from .problems import examples, warn_input

if TYPE_CHECKING:
    import geopandas as gpd


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


def repair_text_columns(
    out: gpd.GeoDataFrame, columns: Sequence[str], labels: pd.Index, what: str
) -> dict[str, list]:
    repaired_ids: dict[str, list] = {}
    for col in columns:
        series = out[col]
        if not (pd.api.types.is_object_dtype(series.dtype) or pd.api.types.is_string_dtype(series)):
            continue
        if isinstance(series.dtype, pd.StringDtype) and series.dtype.storage == "pyarrow":
            continue  # Arrow strings are valid UTF-8: they hold neither bytes nor lone surrogates
        cleaned = series.map(_clean_text)
        repaired = cleaned.map(lambda t: t[1]).to_numpy(dtype=bool)
        has_bytes = series.map(lambda v: isinstance(v, bytes | bytearray)).to_numpy(dtype=bool)
        if has_bytes.any() or repaired.any():
            out[col] = cleaned.map(lambda t: t[0])
        if repaired.any():
            repaired_ids[str(col)] = list(labels[repaired])
            warn_input(
                f"{what}: {int(repaired.sum())} value(s) in column {col!r} are not valid UTF-8 "
                f"(rows {examples(labels[repaired])}); undecodable bytes were replaced with "
                "'\ufffd'. Re-read the file with its real encoding, e.g. "
                "`accessibility.read_layer(path, encoding='gbk')` for older Chinese shapefiles "
                f'(in a project file: `[input] {what}_encoding = "gbk"`).'
            )
    return repaired_ids
