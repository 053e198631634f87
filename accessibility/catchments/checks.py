"""Input checks of the catchment functions: layers, bands, services, direction."""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from typing import Any

import geopandas as gpd
import numpy as np

from ..errors import (
    InvalidValueError,
    MissingColumnError,
    suggest,
)
from ..validate.points import check_point_layer

_log = logging.getLogger(__name__)


_DIRECTIONS = ("to_facility", "from_facility")


def check_layer(layer: Any, what: str, *, points: bool = True) -> None:
    """A non-empty GeoDataFrame with a CRS and unique ids (of points, with ``points``)."""
    check_point_layer(layer, what, points_only=points)


def check_bands(thresholds_min: float | Sequence[float]) -> np.ndarray:
    arr = np.atleast_1d(np.asarray(thresholds_min, dtype=np.float64))
    if arr.ndim != 1 or arr.size == 0:
        raise InvalidValueError(
            f"thresholds_min (formerly bands_min) must hold at least one time in minutes, got "
            f"{thresholds_min}"
        )
    if not (np.isfinite(arr).all() and (arr > 0).all()):
        raise InvalidValueError(
            f"thresholds_min (formerly bands_min) must be finite and > 0 minutes, got {arr.tolist()}"
        )
    out = np.unique(arr)
    if out.size != arr.size or not np.array_equal(out, arr):
        _log.info(
            "thresholds_min %s used sorted and without repeats: %s", arr.tolist(), out.tolist()
        )
    return out


def facility_services(facilities: gpd.GeoDataFrame, service_column: str | None) -> np.ndarray:
    """Service of every facility: the values of ``service_column``, or ``"all"`` when None."""
    if service_column is None:
        return np.full(len(facilities), "all", dtype=object)
    if service_column not in facilities.columns:
        raise MissingColumnError(
            f"the facilities have no column {service_column!r}."
            f"{suggest(service_column, facilities.columns)} Columns: {list(facilities.columns)}"
        )
    values = facilities[service_column]
    if values.isna().any():
        bad = facilities.index[values.isna()][:5].tolist()
        raise InvalidValueError(
            f"{int(values.isna().sum())} facilities have no {service_column!r} (e.g. {bad}); "
            "fill it in or drop them"
        )
    return values.astype(str).to_numpy(dtype=object)


def per_service(
    value: float | Mapping[str, float], services: np.ndarray, what: str, unit: str
) -> np.ndarray:
    """A per-facility array from one number or a ``{service: number}`` mapping."""
    if isinstance(value, Mapping):
        missing = sorted(set(services) - set(map(str, value)))
        if missing:
            raise InvalidValueError(
                f"{what} has no value for service(s) {missing}; give one for every service "
                f"({sorted(set(services))}) or a single number"
                + suggest(missing[0], list(map(str, value)))
            )
        lookup = {str(k): float(v) for k, v in value.items()}
        out = np.array([lookup[s] for s in services], dtype=np.float64)
    else:
        out = np.full(len(services), float(value))
    if not (np.isfinite(out).all() and (out > 0).all()):
        raise InvalidValueError(f"{what} must be finite and > 0 {unit}, got {value}")
    return out


def check_direction(direction: str) -> None:
    if direction not in _DIRECTIONS:
        raise InvalidValueError(
            f"direction={direction!r}; use 'to_facility' (people travel to the facility, the "
            "usual case) or 'from_facility' (e.g. an ambulance or a mobile clinic going out)"
            + suggest(direction, _DIRECTIONS)
        )
