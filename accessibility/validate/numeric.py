"""Numeric columns: numbers stored as text, missing and negative values."""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..errors import InvalidValueError
from .problems import Problems, examples


def check_numeric(
    series: pd.Series,
    labels: pd.Index,
    *,
    column: str,
    nonnegative: bool,
    positive: bool,
    allow_nan: bool,
    problems: Problems,
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
            f"{examples(labels[text_bad.to_numpy()], series[text_bad])}. Clean them (remove "
            "thousands separators, units and notes such as '约', 'n/a') and convert with "
            f"`layer[{column!r}] = pd.to_numeric(layer[{column!r}])`.",
        )
    missing = values.isna() & ~text_bad
    if missing.any() and not allow_nan:
        problems.add(
            InvalidValueError,
            f"column {column!r} has {int(missing.sum())} missing value(s) (NaN/empty) in rows "
            f"{examples(labels[missing.to_numpy()])}. Fill them (`layer[{column!r}] = "
            f"layer[{column!r}].fillna(0)` if truly none) or drop those rows.",
        )
    infinite = np.isinf(values.to_numpy())
    if infinite.any():
        problems.add(
            InvalidValueError,
            f"column {column!r} has {int(infinite.sum())} infinite value(s) in rows "
            f"{examples(labels[infinite])}; replace them with real numbers.",
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
            f"{examples(labels[bad], values[bad])}. Correct them in the source data.",
        )
    return values
