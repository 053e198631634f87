"""Tables: CSV files that Excel opens with the right encoding."""

from __future__ import annotations

import logging
import os
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from ..errors import InvalidValueError
from .frames import prepare_frame

if TYPE_CHECKING:
    import pandas as pd

logger = logging.getLogger(__name__)


def write_table(
    path: str | os.PathLike,
    df: pd.DataFrame,
    *,
    bom: bool = True,
    index: bool | None = None,
    geometry: Literal["drop", "wkt", "xy"] = "drop",
    inf_flags: bool = True,
    overwrite: bool = True,
) -> Path:
    """Write a table (for example the per-village layer) as a UTF-8 CSV, atomically.

    Parameters
    ----------
    path
        Output ``.csv`` file.
    df
        The table; a GeoDataFrame's geometry is handled as ``geometry`` says.
    bom
        Start the file with a UTF-8 byte-order mark so that Excel shows Chinese text correctly
        (``pandas.read_csv(..., encoding="utf-8-sig")`` reads it back).
    index
        Write the index as the first column(s); ``None`` writes it unless it is an unnamed
        ``RangeIndex``.
    geometry
        ``"drop"`` the geometry, write it as ``"wkt"`` text, or as ``"xy"`` columns ``x`` and
        ``y`` (point coordinates, or representative points of other shapes, in the layer's CRS).
    inf_flags
        As in :func:`write_geopackage`: infinities become empty cells plus ``<column>_is_inf``.
    overwrite
        Replace an existing file.

    Returns
    -------
    Path
        The path written.

    Examples
    --------
    >>> import pandas as pd
    >>> t = pd.DataFrame({"name": ["上村"], "clinic_nearest_min": [float("inf")]})
    >>> write_table("/tmp/_acc_doc.csv", t)  # doctest: +SKIP
    PosixPath('/tmp/_acc_doc.csv')
    """
    import geopandas as gpd
    import pandas as pd

    from .._files import atomic_path, final_path

    if geometry not in ("drop", "wkt", "xy"):
        raise InvalidValueError(f"geometry must be 'drop', 'wkt' or 'xy', got {geometry!r}")
    frame = pd.DataFrame(df.copy())
    if isinstance(df, gpd.GeoDataFrame):
        geom = df.geometry
        frame = pd.DataFrame(df.drop(columns=geom.name))
        if geometry == "wkt":
            frame["wkt"] = geom.to_wkt()
        elif geometry == "xy":
            pts = geom.where(geom.geom_type == "Point", geom.representative_point())
            frame["x"] = pts.x
            frame["y"] = pts.y
    frame = prepare_frame(frame, "table", inf_flags=inf_flags, keep_index=index)
    with atomic_path(path, overwrite=overwrite) as tmp:
        frame.to_csv(
            tmp, index=False, encoding="utf-8-sig" if bom else "utf-8", lineterminator="\n"
        )
    logger.info("wrote %s (%d rows)", final_path(path), len(frame))
    return final_path(path)
