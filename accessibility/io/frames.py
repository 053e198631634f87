"""Frames made ready for storage: infinities as NULL with an ``_is_inf`` column, lone surrogates replaced."""

from __future__ import annotations

import functools
import logging
import re
from typing import TYPE_CHECKING

from ..errors import InvalidValueError

if TYPE_CHECKING:
    import pandas as pd

logger = logging.getLogger(__name__)


_SUFFIX_INF = "_is_inf"


_SURROGATE = re.compile("[\ud800-\udfff]")


def prepare_frame(
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
    import pandas as pd

    if isinstance(s.dtype, pd.StringDtype) and s.dtype.storage == "pyarrow":
        return s  # Arrow strings are valid UTF-8: pandas refuses a lone surrogate in them
    text = [v for v in s.to_numpy(dtype=object) if isinstance(v, str)]
    if _SURROGATE.search("\n".join(text)) is None:  # one search instead of one per value
        return s
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


#: (not UInt64: GDAL's Arrow writer stores unsigned 64-bit integers as REAL, which rounds ids
#: beyond 2**53 such as H3 cells; the feature-by-feature writer stores them as INTEGER)
_NULLABLE_NUMBERS = frozenset(
    ("Int8", "Int16", "Int32", "Int64", "UInt8", "UInt16", "UInt32", "Float32", "Float64")
)


def arrow_columns(frame: pd.DataFrame) -> bool:
    """Whether ``frame`` (as :func:`prepare_frame` returns it) can be written through GDAL's Arrow
    path, which is faster than feature by feature and stores the same rows, types and metadata.

    True only when every column converts to Arrow exactly: NumPy booleans, integers (not
    unsigned 64-bit ones, which GDAL's Arrow writer stores as REAL), floats and datetimes,
    pandas' nullable booleans, integers (not UInt64), floats and strings, time-zone-aware
    datetimes.
    Anything else (object columns, which may mix types; categoricals; durations) and an
    environment without pyarrow or without GDAL's Arrow writer keep the feature-by-feature path.
    """
    import geopandas as gpd
    import numpy as np
    import pandas as pd

    if not _arrow_writer():
        return False
    geom = frame.geometry.name if isinstance(frame, gpd.GeoDataFrame) else None
    for col in frame.columns:
        if col == geom:
            continue
        dtype = frame[col].dtype
        if isinstance(dtype, np.dtype):
            if dtype.kind in "bifM" or (dtype.kind == "u" and dtype.itemsize < 8):
                continue
            return False
        if isinstance(dtype, pd.StringDtype | pd.BooleanDtype | pd.DatetimeTZDtype):
            continue
        if dtype.name not in _NULLABLE_NUMBERS:
            return False
    return True


@functools.cache
def _arrow_writer() -> bool:
    """pyarrow is installed and pyogrio writes Arrow batches (pyogrio 0.8, GDAL 3.8 and later)."""
    import importlib.util

    import pyogrio

    version = tuple(int(p) for p in pyogrio.__version__.split(".")[:2] if p.isdigit())
    return (
        importlib.util.find_spec("pyarrow") is not None
        and version >= (0, 8)
        and pyogrio.__gdal_version__ >= (3, 8)
    )
