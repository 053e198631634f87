"""Collected problems: every problem of a layer raised as one error, and how problems are worded."""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from ..errors import AccessibilityError, GeometryError, InputWarning, suggest, warn

if TYPE_CHECKING:
    import geopandas as gpd

log = logging.getLogger(__name__)


MAX_EXAMPLES = 5


_COMBINED: dict[tuple[type, ...], type] = {}


def _combined_class(classes: tuple[type[AccessibilityError], ...]) -> type[AccessibilityError]:
    """An error class that is a subclass of every class in ``classes`` (cached).

    Made at run time, it cannot be found by name when unpickled, so its instances pickle as
    "rebuild from these classes" (a Dask or multiprocessing caller gets the error back).
    """
    if len(classes) == 1:
        return classes[0]
    if classes not in _COMBINED:
        name = "And".join(c.__name__ for c in classes)
        _COMBINED[classes] = type(
            name, classes, {"__module__": __name__, "__reduce__": _reduce_combined}
        )
    return _COMBINED[classes]


def _reduce_combined(error: BaseException) -> tuple[Any, ...]:
    return (_rebuild_combined, (type(error).__bases__, error.args, dict(error.__dict__)))


def _rebuild_combined(
    classes: tuple[type[AccessibilityError], ...], args: tuple[Any, ...], state: dict[str, Any]
) -> BaseException:
    """Unpickle an error of a class made by :func:`_combined_class`."""
    error = _combined_class(classes)(*args)
    error.__dict__.update(state)
    return error


class Problems:
    """Collects (error class, message) pairs and raises them together."""

    def __init__(self, layer: str) -> None:
        self.layer = layer
        self.items: list[tuple[type[AccessibilityError], str]] = []

    def add(self, cls: type[AccessibilityError], message: str) -> None:
        self.items.append((cls, message))

    def __bool__(self) -> bool:
        return bool(self.items)

    def raise_if_any(self) -> None:
        if not self.items:
            return
        classes = tuple(dict.fromkeys(cls for cls, _ in self.items))
        if len(self.items) == 1:
            text = f"{self.layer}: {self.items[0][1]}"
        else:
            lines = "\n".join(f"  {i}. {msg}" for i, (_, msg) in enumerate(self.items, 1))
            text = f"{self.layer}: {len(self.items)} problems found:\n{lines}"
        error = _combined_class(classes)(text)
        error.problems = [(cls.__name__, msg) for cls, msg in self.items]
        raise error


def examples(labels: Iterable[Any], values: Iterable[Any] | None = None) -> str:
    """``'a', 'b', 'c' and 4 more`` (with ``=value`` when values are given)."""
    labels = list(labels)
    shown = labels[:MAX_EXAMPLES]
    if values is None:
        parts = [repr(_plain(x)) for x in shown]
    else:
        vals = list(values)[:MAX_EXAMPLES]
        parts = [f"{_plain(x)!r}={_plain(v)!r}" for x, v in zip(shown, vals, strict=False)]
    text = ", ".join(parts)
    if len(labels) > len(shown):
        text += f" and {len(labels) - len(shown)} more"
    return text


def _plain(value: Any) -> Any:
    """numpy scalars -> Python scalars, so reprs read ``3`` rather than ``np.int64(3)``."""
    return value.item() if isinstance(value, np.generic) else value


def warn_input(message: str) -> None:
    warn(InputWarning, log, message, stacklevel=3)


def require_geodataframe(gdf: Any, what: str) -> None:
    import geopandas as gpd

    if isinstance(gdf, gpd.GeoDataFrame):
        return
    if isinstance(gdf, pd.DataFrame):
        cols = {c.lower(): c for c in map(str, gdf.columns)}
        lon = next((cols[c] for c in ("lon", "lng", "longitude", "x", "经度") if c in cols), "lon")
        lat = next((cols[c] for c in ("lat", "latitude", "y", "纬度") if c in cols), "lat")
        raise GeometryError(
            f"{what}: got a pandas DataFrame without geometry. Build a GeoDataFrame, e.g. "
            f"`gpd.GeoDataFrame(df, geometry=gpd.points_from_xy(df[{lon!r}], df[{lat!r}]), "
            "crs=4326)` for longitude/latitude in degrees."
        )
    raise GeometryError(f"{what}: expected a GeoDataFrame, got {type(gdf).__name__}")


def crs_hint(gdf: gpd.GeoDataFrame) -> str:
    """Guess the CRS from the coordinates for the 'no CRS' message."""
    try:
        minx, miny, maxx, maxy = gdf.total_bounds
    except Exception:  # pragma: no cover - defensive: odd geometries
        return ""
    if not np.all(np.isfinite([minx, miny, maxx, maxy])):
        return ""
    if -180 <= minx and maxx <= 180 and -90 <= miny and maxy <= 90:
        return (
            " The coordinates look like longitude/latitude in degrees: "
            "`layer = layer.set_crs(4326)` (or 4490 for CGCS2000)."
        )
    return (
        " The coordinates look projected (metres): set the CRS of the source data, e.g. "
        "`layer = layer.set_crs(4547)` for CGCS2000 / 3-degree Gauss-Kruger CM 114E."
    )


def missing_column_message(column: str, columns: Sequence[str], purpose: str) -> str:
    available = ", ".join(repr(str(c)) for c in columns if str(c) != "geometry")
    lower = {str(c).lower(): str(c) for c in columns}
    hint = suggest(column, [str(c) for c in columns])
    if not hint and column.lower() in lower:
        hint = f" Did you mean {lower[column.lower()]!r}?"
    return (
        f"column {column!r} ({purpose}) is missing.{hint} "
        f"Available columns: {available or 'none'}. "
        f"Rename the column (`layer = layer.rename(columns={{'old': {column!r}}})`) or pass the "
        "right name."
    )
