"""Point layers handed to a network search: :func:`check_point_layer`."""

from __future__ import annotations

from typing import Any

import geopandas as gpd

from ..errors import CRSError, DuplicateIdError, EmptyLayerError, GeometryError, InvalidValueError

__all__ = ["check_point_layer"]


def check_point_layer(points: Any, what: str, *, points_only: bool = True) -> None:
    """Raise if ``points`` is not a non-empty GeoDataFrame with a CRS and unique ids (and, with
    ``points_only``, point geometries).

    Parameters
    ----------
    points
        The layer to check.
    what
        Its name in messages (``"origins"``, ``"villages"``...).
    points_only
        Also refuse geometries other than points.

    Raises
    ------
    InvalidValueError, EmptyLayerError, CRSError, DuplicateIdError, GeometryError
        Saying what is wrong and how to fix it.

    Examples
    --------
    >>> import geopandas as gpd
    >>> from shapely.geometry import Point
    >>> check_point_layer(gpd.GeoDataFrame(geometry=[Point(0, 0)], crs=4326), "villages")
    >>> check_point_layer(gpd.GeoDataFrame(geometry=[Point(0, 0)]), "villages")
    Traceback (most recent call last):
    ...
    accessibility.errors.CRSError: the villages layer has no CRS; ...
    """
    if not isinstance(points, gpd.GeoDataFrame):
        raise InvalidValueError(f"{what} must be a GeoDataFrame, got {type(points).__name__}")
    if len(points) == 0:
        raise EmptyLayerError(f"the {what} layer is empty")
    if points.crs is None:
        raise CRSError(
            f"the {what} layer has no CRS; set it with `.set_crs(...)` (e.g. 'EPSG:4326' or "
            "'EPSG:4490' for longitude/latitude)"
        )
    if not points.index.is_unique:
        dups = points.index[points.index.duplicated()].unique()[:5].tolist()
        raise DuplicateIdError(
            f"the {what} ids (the index) are not unique, e.g. {dups}; make them unique "
            "(e.g. `.reset_index(drop=True)` or set a unique id column as index)"
        )
    if not points_only:
        return
    types = points.geometry.geom_type.dropna()
    bad = ~types.isin(["Point"])
    if bad.any():
        raise GeometryError(
            f"the {what} layer must hold points; found {types[bad].value_counts().to_dict()}. "
            "Turn polygons into points explicitly with `accessibility.to_points(layer, "
            "method='representative')`"
        )
