"""Checking and aligning the per-village inputs of every equity function (one place).

The examples run on the demo county with the setup of :mod:`accessibility.equity`.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Sequence
from typing import TypeAlias

import numpy as np
import pandas as pd

from ..errors import InvalidValueError, MissingColumnError, suggest

logger = logging.getLogger(__name__)


ArrayLike: TypeAlias = pd.Series | np.ndarray | Sequence[float]


def prepare(
    values: ArrayLike,
    weights: ArrayLike | None = None,
    *,
    what: str = "index",
    allow_zero_total: bool = False,
) -> tuple[np.ndarray, np.ndarray]:
    """Return (values, weights) as checked, aligned float arrays; villages with weight 0 dropped.

    Rules: if both are Series their indexes must hold the same labels (weights are aligned to the
    values' order); arrays must have the same length. Values must be finite and >= 0; weights
    finite and >= 0 with a positive total. Unless ``allow_zero_total``, values must not all be 0.
    """
    x, w, _ = prepare_with_index(values, weights, what=what, allow_zero_total=allow_zero_total)
    return x, w


def prepare_with_index(
    values: ArrayLike,
    weights: ArrayLike | None,
    *,
    what: str,
    allow_zero_total: bool = False,
    allow_negative: bool = False,
) -> tuple[np.ndarray, np.ndarray, pd.Index]:
    """Checked values and weights as arrays, with the labels of the values kept (see :func:`prepare`)."""
    vals = values if isinstance(values, pd.Series) else pd.Series(np.asarray(values, dtype=float))
    name = f"{vals.name!r}" if vals.name is not None else "values"
    if len(vals) == 0:
        raise InvalidValueError(f"{what}: {name} is empty; there is nothing to measure")
    if weights is None:
        wts = pd.Series(1.0, index=vals.index)
    elif isinstance(weights, pd.Series) and isinstance(values, pd.Series):
        wts = align(weights, vals.index, what=what, left=name, right="weights")
    else:
        arr = np.asarray(weights, dtype=float).ravel()
        if arr.shape[0] != len(vals):
            raise InvalidValueError(
                f"{what}: weights have {arr.shape[0]} entries but {name} has {len(vals)}; pass "
                "one weight (population) per village, e.g. villages['population']"
            )
        wts = pd.Series(arr, index=vals.index)
    try:
        x = vals.to_numpy(dtype=float, na_value=np.nan)
    except (TypeError, ValueError) as exc:
        raise InvalidValueError(f"{what}: {name} must be numbers ({exc})") from exc
    w = wts.to_numpy(dtype=float, na_value=np.nan)
    bad_w = ~np.isfinite(w) | (w < 0)
    if bad_w.any():
        raise InvalidValueError(
            f"{what}: {int(bad_w.sum())} weight(s) are missing, infinite or negative (e.g. at "
            f"{list(vals.index[bad_w][:3])}); weights are populations, fill missing ones with 0 "
            "to leave a village out"
        )
    keep = w > 0
    if not keep.any():
        raise InvalidValueError(f"{what}: all weights are 0; there is no population to measure")
    bad_x = ~np.isfinite(x) & keep
    if bad_x.any():
        raise InvalidValueError(
            f"{what}: {name} has {int(bad_x.sum())} missing or infinite value(s) (e.g. at "
            f"{list(vals.index[bad_x][:3])}), usually villages that reach no facility within the "
            "search limit; fill them with a cap first (fill_unreachable(values, fill=...)) or "
            "drop them (values.dropna())"
        )
    if not allow_negative and (x[keep] < 0).any():
        n = int((x[keep] < 0).sum())
        raise InvalidValueError(
            f"{what}: {name} has {n} negative value(s); inequality indices need values >= 0 "
            "(travel times, counts, supply ratios)"
        )
    if not allow_zero_total and not (np.abs(x[keep]) > 0).any():
        raise InvalidValueError(
            f"{what}: every value of {name} is 0, so the index is undefined (0/0). If no village "
            "reaches the service, report the coverage rate (0%) instead of an inequality index"
        )
    return x[keep], w[keep], vals.index[keep]


def align(series: pd.Series, index: pd.Index, *, what: str, left: str, right: str) -> pd.Series:
    """``series`` reindexed to ``index``; every id of ``index`` must be in ``series`` (extra ids in
    ``series`` are ignored, e.g. full populations with ``values.dropna()``)."""
    if series.index.has_duplicates:
        raise InvalidValueError(f"{what}: {right} has duplicate index labels; ids must be unique")
    if series.index.equals(index):
        return series
    missing = index.difference(series.index)
    if len(missing):
        extra = series.index.difference(index)
        raise InvalidValueError(
            f"{what}: {right} do not match {left}: {len(missing)} village id(s) of {left} are "
            f"not in {right} (e.g. {list(missing[:3])}; {right} have {len(extra)} other id(s), "
            f"e.g. {list(extra[:3])}). Pass both from the same villages layer"
        )
    return series.reindex(index)


def like_values(other: ArrayLike, values: ArrayLike, *, what: str, right: str) -> pd.Series:
    """``other`` as a Series like ``values`` (by label if both are Series, else by position)."""
    if isinstance(values, pd.Series):
        index = values.index
    else:
        index = pd.RangeIndex(len(np.asarray(values)))
    if isinstance(other, pd.Series) and isinstance(values, pd.Series):
        return align(other, index, what=what, left="values", right=right)
    arr = np.asarray(other, dtype=object).ravel()
    if arr.shape[0] != len(index):
        raise InvalidValueError(
            f"{what}: {right} has {arr.shape[0]} entries but there are {len(index)} values; "
            "pass one per village"
        )
    return pd.Series(arr, index=index)


def group_codes(g: pd.Series, index: pd.Index, *, what: str) -> np.ndarray:
    """Group labels aligned to ``index`` as an array; missing labels are an error."""
    g = g.loc[index]
    missing = g.isna()
    if missing.any():
        raise InvalidValueError(
            f"{what}: the group column has {int(missing.sum())} missing label(s) (e.g. at "
            f"{list(g.index[missing][:3])}); every village must belong to a group. Fill them "
            "(groups.fillna('unknown')) to keep those villages as their own group, or drop them"
        )
    return g.to_numpy(dtype=object)


def require_column(
    frame: pd.DataFrame, column: str, *, what: str, role: str = "column"
) -> pd.Series:
    """``frame[column]``, or an error naming the function, the role and the columns there are."""
    if column not in frame.columns:
        raise MissingColumnError(
            f"{what}: the villages have no {role} {column!r}.{suggest(column, frame.columns)} "
            f"Columns are: {list(frame.columns)[:20]}"
        )
    return frame[column]


def fill_unreachable(values: pd.Series, fill: float) -> pd.Series:
    """Replace missing/infinite values (unreachable villages) by ``fill``, e.g. the search limit.

    Indices need finite values; a village that reaches no facility within the search limit gets
    *at least* the limit. Say which cap you used when you report the result.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> from accessibility.equity import fill_unreachable
    >>> fill_unreachable(pd.Series([5.0, np.inf, np.nan]), 60).tolist()
    [5.0, 60.0, 60.0]
    """
    if not math.isfinite(fill):
        raise InvalidValueError(f"fill_unreachable: fill must be a finite number, got {fill!r}")
    v = pd.to_numeric(values, errors="coerce").astype(float)
    return v.where(np.isfinite(v), float(fill))


def align_frame(frame: pd.DataFrame, index: pd.Index, *, what: str) -> pd.DataFrame:
    """``frame`` reindexed to ``index``; every id of ``index`` must be in ``frame``."""
    if frame.index.equals(index):
        return frame
    series = pd.Series(0, index=frame.index)
    align(series, index, what=what, left="villages", right="compliance")
    return frame.reindex(index)
