"""Classes of a per-village value: breaks, class of each village, labels, colours."""

from __future__ import annotations

import logging
import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from ..errors import InvalidValueError, suggest

logger = logging.getLogger(__name__)


#: Nice class limits (minutes) that time classes snap to.
NICE_MINUTES: tuple[float, ...] = (1, 2, 3, 5, 10, 15, 20, 30, 45, 60, 90, 120, 180, 240, 360)
#: Facility markers per service (matplotlib marker codes); other services cycle through _MARKERS.


#: Colour of the "unreachable" class (the same purple as the QGIS style).
UNREACHABLE_COLOR = "#762a83"
UNREACHABLE_LABEL = ("unreachable 不可达", "unreachable")


def class_breaks(
    values: Sequence[float] | pd.Series | np.ndarray,
    *,
    classes: int = 5,
    scheme: str = "quantiles",
) -> list[float]:
    """Class limits for a graduated map: ``classes + 1`` increasing edges from the smallest to the
    largest finite value (fewer when values repeat).

    Parameters
    ----------
    values
        The values to classify; NaN and inf (unreachable) are ignored.
    classes
        Number of classes wanted (2-9).
    scheme
        ``"quantiles"`` (equal counts, inner limits rounded to 2 significant digits),
        ``"equal"`` (equal widths) or ``"time"`` (quantile limits snapped to the nice minutes of
        :data:`NICE_MINUTES`: 5, 10, 15, 20, 30, 45, 60 ...; the scheme for ``*_min`` columns).

    Returns
    -------
    list of float
        Edges ``b0 < b1 < ... < bk``; class ``i`` is ``(b[i-1], b[i]]`` (the first includes
        ``b0``).

    Examples
    --------
    >>> class_breaks([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], classes=2, scheme="equal")
    [1.0, 5.5, 10.0]
    >>> class_breaks([3, 8, 12, 14, 22, 35, 41, 58], classes=4, scheme="time")
    [0.0, 10.0, 20.0, 30.0, 58.0]
    """
    if not 2 <= int(classes) <= 9:
        raise InvalidValueError(f"classes={classes} is out of range; use 2 to 9 classes")
    if scheme not in ("quantiles", "equal", "time"):
        raise InvalidValueError(
            f"scheme={scheme!r} is unknown; use 'quantiles', 'equal' or 'time'."
            + suggest(scheme, ["quantiles", "equal", "time"])
        )
    v = pd.to_numeric(pd.Series(np.asarray(values).ravel()), errors="coerce").to_numpy(float)
    v = v[np.isfinite(v)]
    if v.size == 0:
        return [0.0, 1.0]
    lo, hi = float(v.min()), float(v.max())
    if hi <= lo:
        return [lo, lo + 1.0] if scheme != "time" else [0.0, max(lo, 1.0)]
    k = int(classes)
    if scheme == "equal":
        edges = list(np.linspace(lo, hi, k + 1))
    else:
        inner = np.quantile(v, np.arange(1, k) / k)
        if scheme == "time":
            nice = np.asarray(NICE_MINUTES, dtype=float)
            inner = nice[np.abs(nice[None, :] - inner[:, None]).argmin(axis=1)]
            lo = min(lo, 0.0)
        else:
            inner = np.array([_round_sig(x, 2) for x in inner])
        inner = [float(x) for x in inner if lo < x < hi]
        edges = [lo, *sorted(set(inner)), hi]
    return [float(_round_sig(e, 6)) for e in edges]


def _round_sig(x: float, digits: int) -> float:
    if x == 0 or not np.isfinite(x):
        return float(x)
    return float(round(x, -math.floor(math.log10(abs(x))) + digits - 1))


def check_breaks(breaks: Sequence[float] | np.ndarray) -> np.ndarray:
    """Class edges as a float array; at least two strictly increasing numbers, else an error."""
    b = np.asarray(list(breaks), dtype=float)
    if b.size < 2 or np.isnan(b).any() or (np.diff(b) <= 0).any():
        raise InvalidValueError(
            f"breaks={list(breaks)} must be at least two strictly increasing numbers, e.g. "
            "[0, 15, 30, 60, inf]"
        )
    return b


def classify(
    values: pd.Series | Sequence[float] | np.ndarray, breaks: Sequence[float] | np.ndarray
) -> np.ndarray:
    """Class number of every value for the given class edges: ``0`` for ``[b0, b1]``, ``i`` for
    ``(b[i], b[i+1]]``; values below ``b0`` go to the first class and above the last edge to the
    last class; ``-1`` for NaN and inf (unreachable).

    Examples
    --------
    >>> classify([0, 15, 15.1, 70, float("nan")], [0, 15, 30, 60])
    array([ 0,  0,  1,  2, -1])
    """
    b = check_breaks(breaks)
    v = pd.to_numeric(pd.Series(np.asarray(values, dtype=object).ravel()), errors="coerce")
    x = v.to_numpy(float)
    k = b.size - 1
    out = np.searchsorted(b[1:-1], x, side="left").astype(np.int64)
    out = np.clip(out, 0, k - 1)
    out[~np.isfinite(x)] = -1
    return out


def format_limit(x: float) -> str:
    """A class limit as legend text: whole numbers without decimals, inf as ∞."""
    if not np.isfinite(x):
        return "∞"
    if float(x).is_integer():
        return f"{int(x)}"
    return f"{x:.3g}" if abs(x) < 100 else f"{x:,.0f}"


def class_labels(breaks: Sequence[float] | np.ndarray, *, unit: str = "") -> list[str]:
    """Legend labels of the classes: ``"≤ 15 min"``, ``"15–30 min"``, ..., ``"> 60 min"``.

    Examples
    --------
    >>> class_labels([0, 15, 30, 60, float("inf")], unit="min")
    ['≤ 15 min', '15–30 min', '30–60 min', '> 60 min']
    """
    b = check_breaks(breaks)
    u = f" {unit}" if unit else ""
    k = b.size - 1
    labels = []
    for i in range(k):
        if i == 0 and b[0] <= 0 < b[1] and k > 1:
            labels.append(f"≤ {format_limit(b[1])}{u}")
        elif i == k - 1 and (not np.isfinite(b[-1])) and k > 1:
            labels.append(f"> {format_limit(b[i])}{u}")
        else:
            labels.append(f"{format_limit(b[i])}–{format_limit(b[i + 1])}{u}")
    return labels


def class_colors(cmap: str | Sequence[str], k: int) -> list[str]:
    """One hex colour per class, from a colormap name or a list of colours."""

    import matplotlib as mpl
    from matplotlib.colors import to_hex

    if not isinstance(cmap, str):
        colors = [to_hex(c) for c in cmap]
        if len(colors) < k:
            raise InvalidValueError(f"{len(colors)} colours given for {k} classes")
        return colors[:k]
    cm = mpl.colormaps[cmap]
    if k == 1:
        return [to_hex(cm(0.5))]
    return [to_hex(cm(x)) for x in np.linspace(0.08, 0.92, k)]


def unit_of(column: str) -> str:
    """The unit a column name ends in (``min``, ``km``, ``m``, ``km/h``), or ``""``."""
    for suffix, unit in (("_min", "min"), ("_km", "km"), ("_m", "m"), ("_kmh", "km/h")):
        if column.endswith(suffix) or f"{suffix}_" in column:
            return unit
    return ""


@dataclass(frozen=True)
class ColumnClasses:
    """The classes of one mapped column: edges, class per village (-1 unreachable), colours, labels."""

    breaks: np.ndarray
    cls: np.ndarray
    colors: list[str]
    names: list[str]


def column_classes(
    values: Any,
    column: str,
    *,
    breaks: Sequence[float] | None,
    classes: int,
    scheme: str | None,
    cmap: str | Sequence[str] | None,
) -> ColumnClasses:
    """Classes of a mapped column, with the defaults of the maps.

    Parameters
    ----------
    values
        The column's values (coerced to numbers; NaN and inf are *unreachable*).
    column
        Its name: a ``*_min`` column gets time classes and the green-to-red ramp.
    breaks, classes, scheme, cmap
        As in :func:`accessibility.maps.village_map`.

    Returns
    -------
    ColumnClasses
        Checked edges, the class of each value, one colour and one label per class.
    """
    values = pd.to_numeric(values, errors="coerce").astype(float)
    unit = unit_of(column)
    if breaks is None:
        scheme = scheme or ("time" if unit == "min" else "quantiles")
        breaks = class_breaks(values, classes=classes, scheme=scheme)
    b = check_breaks(breaks)
    if cmap is None:
        cmap = "RdYlGn_r" if unit == "min" else "viridis"
    return ColumnClasses(
        breaks=b,
        cls=classify(values, b),
        colors=class_colors(cmap, b.size - 1),
        names=class_labels(b, unit=unit),
    )
