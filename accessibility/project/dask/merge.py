"""Merging the partitions' rows into one per-village layer: each village once, facility ids
restored, and ``on_main_network`` found by linking the partitions' road components."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd

from .execute import PartitionError

__all__ = ["merge_rows"]


def _main_component(rows: pd.DataFrame, nodes: pd.DataFrame) -> np.ndarray:
    """``on_main_network`` for every row: link the tasks' components through shared junctions
    (equal node coordinates) and take the global component with the most distinct junctions."""
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import connected_components

    if nodes.empty:
        return np.zeros(len(rows), bool)
    n_comp = nodes.groupby("_task")["component"].max() + 1
    offset = pd.Series(np.r_[0, np.cumsum(n_comp.to_numpy())[:-1]], index=n_comp.index)
    tc = offset.reindex(nodes["_task"]).to_numpy() + nodes["component"].to_numpy()
    n_tc = int(n_comp.sum())
    gid, uniq = pd.MultiIndex.from_arrays([nodes["x"], nodes["y"]]).factorize()
    n_g = len(uniq)
    mat = coo_matrix((np.ones(len(tc)), (tc, n_tc + gid)), shape=(n_tc + n_g, n_tc + n_g)).tocsr()
    _, lab = connected_components(mat, directed=False)
    sizes = np.bincount(lab[n_tc:], minlength=lab.max() + 1)
    main = int(np.argmax(sizes))
    comp = rows["_component"].to_numpy(np.int64)
    task = rows["_task"].to_numpy(np.int64)
    have = comp >= 0
    out = np.zeros(len(rows), bool)
    out[have] = lab[offset.reindex(task[have]).to_numpy() + comp[have]] == main
    return out


def merge_rows(
    villages: gpd.GeoDataFrame,
    facilities: gpd.GeoDataFrame,
    rows: pd.DataFrame,
    nodes: pd.DataFrame,
) -> gpd.GeoDataFrame:
    pos = rows["_village"].to_numpy(np.int64)
    if len(np.unique(pos)) != len(pos) or len(pos) != len(villages):
        raise PartitionError(  # pragma: no cover - internal consistency
            f"merged {len(pos)} rows for {len(villages)} villages ({len(pos) - len(np.unique(pos))}"
            " duplicates); delete the checkpoint folder and run again"
        )
    rows = rows.iloc[np.argsort(pos, kind="stable")].reset_index(drop=True)
    rows["on_main_network"] = _main_component(rows, nodes)
    out = villages.copy()
    fac_ids = facilities.index.to_numpy()
    for col in rows.columns:
        if col.startswith("_"):
            continue
        if col.endswith("_nearest_id"):
            p = rows[col].to_numpy(np.int64)
            ids = np.empty(len(p), dtype=object)
            ids[p >= 0] = fac_ids[p[p >= 0]]
            ids[p < 0] = None
            out[col] = ids
        else:
            out[col] = rows[col].to_numpy()
    return out
