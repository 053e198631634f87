"""The checkpoint file of a partition task: named by a hash of everything the task's result
depends on (so a changed input or setting never reuses a stale file), written atomically, read
back on a rerun."""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from ..._files import atomic_path

__all__ = ["FORMAT", "checkpoint_path", "read_checkpoint", "task_key", "write_checkpoint"]

FORMAT = 1  # checkpoint format version (part of the hash)


def task_key(parts: Sequence[Any]) -> str:
    """A short hash of a task's inputs and settings (frames, arrays and JSON-able values)."""
    h = hashlib.sha256()
    for p in parts:
        if isinstance(p, gpd.GeoDataFrame):
            h.update(pd.util.hash_pandas_object(p.drop(columns=p.geometry.name), index=True).values)
            h.update(b"".join(shapely.to_wkb(p.geometry.to_numpy())))
            h.update(str(p.columns.tolist()).encode())
            h.update(str(p.crs.to_wkt() if p.crs else None).encode())
        elif isinstance(p, np.ndarray):
            h.update(p.tobytes())
        else:
            h.update(json.dumps(p, sort_keys=True, default=str).encode())
    return h.hexdigest()[:24]


def checkpoint_path(folder: Path, task: Mapping[str, Any]) -> Path:
    """The checkpoint file of a task: ``<partition>-L<level>-<key>.gpkg`` in ``folder``."""
    return folder / f"{task['partition']}-L{task['level']}-{task['key']}.gpkg"


def write_checkpoint(path: str | os.PathLike, table: pd.DataFrame, nodes: pd.DataFrame) -> None:
    """Write a task's rows (``villages``) and network nodes (``nodes``) under a temporary name,
    then move the file into place."""
    import pyogrio

    with atomic_path(path) as tmp:
        pyogrio.write_dataframe(table, tmp, layer="villages", driver="GPKG")
        pyogrio.write_dataframe(nodes, tmp, layer="nodes", driver="GPKG", append=False)


def read_checkpoint(path: str | os.PathLike) -> tuple[pd.DataFrame, pd.DataFrame]:
    """A task's rows and network nodes, as :func:`write_checkpoint` wrote them."""
    import pyogrio

    table = pyogrio.read_dataframe(path, layer="villages", read_geometry=False)
    nodes = pyogrio.read_dataframe(path, layer="nodes", read_geometry=False)
    return pd.DataFrame(table), pd.DataFrame(nodes)
