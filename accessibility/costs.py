"""Cost tables: travel times between villages and facilities.

A cost table is a long DataFrame with columns ``origin``, ``destination``, ``travel_time_min`` and
(optionally) ``distance_m``. Values of ``origin``/``destination`` are the index labels of the layers
passed in; pairs beyond the time limit are **absent**, never NaN-filled. Every measure in
:mod:`accessibility.measures` consumes this table, so a table from any router (or a CSV from a
ministry, via :func:`read_costs`) works with all of them.

Examples
--------
The examples run on the bundled (synthetic) demo county and its village clinics:

>>> import accessibility as acc
>>> from accessibility.costs import *
>>> demo = acc.load_demo()
>>> villages = demo.villages
>>> clinics = demo.facilities[demo.facilities["service"] == "clinic"]
>>> net = acc.network_from_roads(demo.roads, tolerance_m=2.5)
>>> len(villages), len(clinics)
(354, 221)
"""

from __future__ import annotations

import logging
import os
from collections.abc import Hashable
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd

from ._arrays import short_lived_arrays
from ._crs import CRSLike, metric_crs
from .errors import ConfigError, InputFileError, InvalidValueError, MissingColumnError, suggest
from .network import Network
from .options import resolve_n_jobs
from .snapping import CONNECTOR_SPEED_KMH, MAX_SNAP_M, locate

__all__ = ["attachments", "euclidean_costs", "nearest_costs", "read_costs", "travel_costs"]

_log = logging.getLogger(__name__)

COST_COLUMNS = ("origin", "destination", "travel_time_min", "distance_m")


def attachments(
    located: pd.DataFrame, network: Network, mode: str, *, side: str
) -> dict[str, np.ndarray]:
    """How located points join the graph.

    ``side="leave"``: costs from each point to the ends of its edge (to ``v`` along the edge's
    direction, to ``u`` against it). ``side="arrive"``: costs from the ends of its edge to the point.
    Connector legs are included. Rows for directions the mode may not travel are dropped.

    Returns
    -------
    dict
        ``id`` (position of the point), ``node``, ``cost`` (min), ``cost2`` (m).

    Examples
    --------
    >>> from accessibility.snapping import locate
    >>> legs = attachments(locate(net, villages, mode="car"), net, "car", side="leave")
    >>> sorted(legs), bool((legs["cost"] >= 0).all())
    (['cost', 'cost2', 'id', 'node'], True)
    """
    ok = located["snapped"].to_numpy()
    pos = np.flatnonzero(ok)
    e = located["edge"].to_numpy()[ok]
    t = located["fraction"].to_numpy()[ok]
    c = located["connector_min"].to_numpy()[ok]
    cd = located["snap_distance_m"].to_numpy()[ok]
    edges = network.edges
    u = edges["u"].to_numpy()[e]
    v = edges["v"].to_numpy()[e]
    fwd = edges[f"{mode}_fwd_min"].to_numpy()[e]
    bwd = edges[f"{mode}_bwd_min"].to_numpy()[e]
    length = edges["length_m"].to_numpy()[e]
    with np.errstate(invalid="ignore"):  # 0 * inf where a direction is closed; dropped below
        return _attach(pos, c, cd, u, v, t, fwd, bwd, length, side)


def _attach(pos, c, cd, u, v, t, fwd, bwd, length, side) -> dict[str, np.ndarray]:
    if side == "leave":  # point -> v along the edge, point -> u against it
        parts = [(v, (1 - t) * fwd, (1 - t) * length, fwd), (u, t * bwd, t * length, bwd)]
    elif side == "arrive":  # u -> point along the edge, v -> point against it
        parts = [(u, t * fwd, t * length, fwd), (v, (1 - t) * bwd, (1 - t) * length, bwd)]
    else:  # pragma: no cover - internal
        raise ValueError(side)
    ids, nodes, costs, costs2 = [], [], [], []
    for node, along, along_m, full in parts:
        keep = np.isfinite(full)
        ids.append(pos[keep])
        nodes.append(node[keep])
        costs.append((c + along)[keep])
        costs2.append((cd + along_m)[keep])
    return {
        "id": np.concatenate(ids).astype(np.int64),
        "node": np.concatenate(nodes).astype(np.int64),
        "cost": np.concatenate(costs),
        "cost2": np.concatenate(costs2),
    }


def _same_edge_pairs(
    lo: pd.DataFrame, ld: pd.DataFrame, network: Network, mode: str, max_time_min: float
) -> pd.DataFrame:
    """Direct travel along an edge between an origin and a destination snapped to the same edge.

    The pairs come in the order of an inner merge of the snapped origins with the snapped
    destinations on the edge: origins in order, each origin's destinations in order.
    """
    so, sd = lo["snapped"].to_numpy(dtype=bool), ld["snapped"].to_numpy(dtype=bool)
    o_pos, d_pos = np.flatnonzero(so), np.flatnonzero(sd)
    eo, ed = lo["edge"].to_numpy()[so], ld["edge"].to_numpy()[sd]
    by_edge = np.argsort(ed, kind="stable")
    first = np.searchsorted(ed[by_edge], eo, side="left")
    count = np.searchsorted(ed[by_edge], eo, side="right") - first
    n = int(count.sum())
    if n == 0:
        return pd.DataFrame({"o": [], "d": [], "cost": [], "cost2": []})
    oi = np.repeat(np.arange(len(eo)), count)  # the origin of each pair, then its destination:
    di = by_edge[
        np.repeat(first, count) + np.arange(n) - np.repeat(np.cumsum(count) - count, count)
    ]
    e = eo[oi]
    fwd = network.edges[f"{mode}_fwd_min"].to_numpy()[e]
    bwd = network.edges[f"{mode}_bwd_min"].to_numpy()[e]
    length = network.edges["length_m"].to_numpy()[e]

    def at(frame: pd.DataFrame, snapped: np.ndarray, column: str, i: np.ndarray) -> np.ndarray:
        return frame[column].to_numpy()[snapped][i]

    dt = at(ld, sd, "fraction", di) - at(lo, so, "fraction", oi)
    with np.errstate(invalid="ignore"):  # 0 * inf on a closed direction; masked below
        along = np.where(dt >= 0, dt * fwd, -dt * bwd)
    ok = np.isfinite(along)
    cost = (
        at(lo, so, "connector_min", oi) + np.where(ok, along, 0) + at(ld, sd, "connector_min", di)
    )
    cost2 = (
        at(lo, so, "snap_distance_m", oi) + np.abs(dt) * length + at(ld, sd, "snap_distance_m", di)
    )
    keep = ok & (cost <= max_time_min)
    return pd.DataFrame(
        {"o": o_pos[oi][keep], "d": d_pos[di][keep], "cost": cost[keep], "cost2": cost2[keep]}
    )


def _best_direct(
    direct: pd.DataFrame,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The best (cost, cost2) same-edge pair of each (origin, destination), sorted by origin then
    destination: its origin, destination, cost and cost2 arrays."""
    direct = direct.sort_values(["o", "d", "cost", "cost2"], kind="stable").drop_duplicates(
        ["o", "d"], keep="first"
    )
    return (
        direct["o"].to_numpy(np.int64),
        direct["d"].to_numpy(np.int64),
        direct["cost"].to_numpy(np.float64),
        direct["cost2"].to_numpy(np.float64),
    )


def _merge_direct(
    cols: dict[str, np.ndarray], direct: pd.DataFrame, n_d: int
) -> dict[str, np.ndarray]:
    """Merge the (few) same-edge pairs into the sorted routed pairs: the better (cost, cost2)
    of the two where both have a pair, inserted in order where only the direct one has."""
    do, dd, dc, dc2 = _best_direct(direct)
    # each pair's place among the routed ones: the origin's rows, then the destination among
    # them (no key column over the whole table: the direct pairs are few)
    o_col, d_col = cols["o"], cols["d"]
    o_key = do.astype(o_col.dtype)  # (the table's dtype: no converted copy of the table)
    d_key = dd.astype(d_col.dtype)
    lo = np.searchsorted(o_col, o_key, side="left")
    hi = np.searchsorted(o_col, o_key, side="right")
    at = np.array(
        [a + np.searchsorted(d_col[a:b], x) for a, b, x in zip(lo, hi, d_key, strict=True)],
        dtype=np.int64,
    )
    found = at < hi
    found[found] = d_col[at[found]] == dd[found]
    i = at[found]
    better = (dc[found] < cols["cost"][i]) | (
        (dc[found] == cols["cost"][i]) & (dc2[found] < cols["cost2"][i])
    )
    cols["cost"][i[better]] = dc[found][better]
    cols["cost2"][i[better]] = dc2[found][better]
    new = ~found
    if new.any():
        # one copy per column, in slices between the inserted rows (``at`` is non-decreasing)
        cuts = at[new].tolist()
        for name, values in (("o", do), ("d", dd), ("cost", dc), ("cost2", dc2)):
            col = cols[name]
            ins = values[new].astype(col.dtype)
            pieces = []
            prev = 0
            for j, c in enumerate(cuts):
                pieces.append(col[prev:c])
                pieces.append(ins[j : j + 1])
                prev = c
            pieces.append(col[prev:])
            cols[name] = np.concatenate(pieces)
    return cols


def _direct_into_parts(
    parts: list[dict[str, np.ndarray]], direct: pd.DataFrame
) -> dict[str, np.ndarray]:
    """Same-edge pairs against the pieces of a backward search (``source`` = destination,
    ``target`` = origin, sorted by source then target, each source in one piece, as the
    searches' chunks give them): where a piece has the pair, the better
    (cost, cost2) of the two is written into it; the other pairs are returned (as piece columns)."""
    do, dd, dc, dc2 = _best_direct(direct)
    full = [p for p in parts if p["source"].size]
    firsts = np.array([p["source"][0] for p in full], np.int64)
    new = np.ones(do.shape[0], np.bool_)
    for j in range(do.shape[0]):
        k = int(np.searchsorted(firsts, dd[j], side="right")) - 1  # the piece of source dd[j]
        if k < 0:
            continue
        p = full[k]
        a = int(np.searchsorted(p["source"], dd[j], side="left"))
        b = int(np.searchsorted(p["source"], dd[j], side="right"))
        i = a + int(np.searchsorted(p["target"][a:b], do[j]))
        if i < b and p["target"][i] == do[j]:
            new[j] = False
            if dc[j] < p["cost"][i] or (dc[j] == p["cost"][i] and dc2[j] < p["cost2"][i]):
                p["cost"][i] = dc[j]
                p["cost2"][i] = dc2[j]
    return {"source": dd[new], "target": do[new], "cost": dc[new], "cost2": dc2[new]}


def _labels(index: pd.Index, pos: np.ndarray) -> Any:
    """The labels of ``index`` at ``pos``: a categorical over the layer's ids (integer codes, no
    per-row Python objects) unless the ids are numbers, which are taken as they are."""
    if index.dtype.kind in "iuf" and not isinstance(index, pd.MultiIndex):
        return index.to_numpy()[pos]
    return pd.Categorical.from_codes(pos, categories=index, validate=False)


def _labelled_arrays(
    cols: dict[str, np.ndarray], lo: pd.DataFrame, ld: pd.DataFrame
) -> pd.DataFrame:
    """Positions ``o``/``d`` (arrays) -> the layers' id labels, as a cost table, without copies.

    ``cols`` is emptied: each position column is released once its labels are made."""
    origin = _labels(lo.index, cols.pop("o"))
    destination = _labels(ld.index, cols.pop("d"))
    return pd.DataFrame(
        {
            "origin": origin,
            "destination": destination,
            "travel_time_min": cols.pop("cost"),
            "distance_m": cols.pop("cost2"),
        },
        copy=False,
    )


def _endpoints(seeds: dict[str, np.ndarray], targets: dict[str, np.ndarray]) -> dict[str, Any]:
    """Keyword arguments of a routing search from ``seeds`` to ``targets`` (attachment dicts)."""
    return {
        "source_id": seeds["id"],
        "source_node": seeds["node"],
        "source_cost": seeds["cost"],
        "source_cost2": seeds["cost2"],
        "target_id": targets["id"],
        "target_node": targets["node"],
        "target_cost": targets["cost"],
        "target_cost2": targets["cost2"],
    }


def _labelled(table: pd.DataFrame, lo: pd.DataFrame, ld: pd.DataFrame) -> pd.DataFrame:
    """Positions ``o``/``d`` -> the layers' id labels, as a cost table."""
    return pd.DataFrame(
        {
            "origin": lo.index.to_numpy()[table["o"].to_numpy(np.int64)],
            "destination": ld.index.to_numpy()[table["d"].to_numpy(np.int64)],
            "travel_time_min": table["cost"].to_numpy(np.float64),
            "distance_m": table["cost2"].to_numpy(np.float64),
        }
    )


def _locate_both(
    network: Network,
    origins: Any,
    destinations: Any,
    mode: str,
    max_snap_m: float,
    connector_speed_kmh: float,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    def _loc(x: Any, what: str) -> pd.DataFrame:
        if isinstance(x, pd.DataFrame) and not isinstance(x, gpd.GeoDataFrame) and "edge" in x:
            return x  # already located
        return locate(
            network,
            x,
            mode=mode,
            max_snap_m=max_snap_m,
            connector_speed_kmh=connector_speed_kmh,
            what=what,
        )

    return _loc(origins, "origins"), _loc(destinations, "destinations")


def travel_costs(
    network: Network,
    origins: gpd.GeoDataFrame | pd.DataFrame,
    destinations: gpd.GeoDataFrame | pd.DataFrame,
    *,
    mode: str = "car",
    max_time_min: float = 60.0,
    max_snap_m: float = MAX_SNAP_M,
    connector_speed_kmh: float = CONNECTOR_SPEED_KMH,
    n_jobs: int | None = None,
) -> pd.DataFrame:
    """Travel times over the network from every origin to every destination within a limit.

    Each trip is: walk from the origin to its snap point on the nearest usable edge, drive (or walk,
    cycle) along the network, walk from the road to the destination. Snap points lie on edges, so the
    part of the edge between the snap point and the junction is counted exactly.

    Parameters
    ----------
    network
        The road network.
    origins, destinations
        Point layers (index = ids), or the output of :func:`accessibility.locate` for them.
    mode
        Travel mode (one of ``network.modes``).
    max_time_min
        Pairs slower than this are left out (``inf`` = no limit).
    max_snap_m, connector_speed_kmh
        See :func:`accessibility.locate`.
    n_jobs
        Routing threads (default: the ``n_jobs`` option, all cores).

    Returns
    -------
    DataFrame
        ``origin``, ``destination``, ``travel_time_min``, ``distance_m`` (along the fastest route,
        connector legs included), sorted by origin then destination (in the layers' order).
        ``attrs["max_time_min"]`` records the cut-off: the measures of
        :mod:`accessibility.measures` refuse a limit beyond it.

    Examples
    --------
    >>> costs = travel_costs(net, villages, clinics, mode="car", max_time_min=30)
    >>> list(costs.columns)
    ['origin', 'destination', 'travel_time_min', 'distance_m']
    >>> costs.iloc[0].tolist()[:2], round(float(costs["travel_time_min"].max()), 2)
    (['V001', 'CL001'], 30.0)
    """
    from .routing import many_to_many
    from .routing.order import regroup_pairs
    from .routing.tables import many_to_many_parts

    if not (max_time_min > 0):
        raise InvalidValueError(f"max_time_min must be > 0 minutes, got {max_time_min}")
    # the locating, contraction and searches make large arrays read once or twice and freed
    with short_lived_arrays():
        lo, ld = _locate_both(network, origins, destinations, mode, max_snap_m, connector_speed_kmh)
        graph = network.graph(mode)
        leave = attachments(lo, network, mode, side="leave")
        arrive = attachments(ld, network, mode, side="arrive")
        if len(ld) < len(lo):
            # search backwards from the (fewer) destinations, recording origins; the pieces come
            # sorted by destination, then origin: a stable counting sort on the origin, straight
            # from the pieces, gives origin, then destination
            parts = many_to_many_parts(
                graph.reversed(), **_endpoints(arrive, leave), max_cost=max_time_min, n_jobs=n_jobs
            )
            # same-edge pairs: the better one where the pieces have the pair, the rest placed by
            # the regrouping (no second copy of the table)
            direct = _same_edge_pairs(lo, ld, network, mode, max_time_min)
            extra = _direct_into_parts(parts, direct) if len(direct) else None
            res = regroup_pairs(
                parts, "target", len(lo), n_jobs=resolve_n_jobs(n_jobs), extra=extra
            )
            cols = {
                "o": res["target"],
                "d": res["source"],
                "cost": res["cost"],
                "cost2": res["cost2"],
            }
        else:
            res = many_to_many(
                graph, **_endpoints(leave, arrive), max_cost=max_time_min, n_jobs=n_jobs
            )
            cols = {
                "o": res["source"],
                "d": res["target"],
                "cost": res["cost"],
                "cost2": res["cost2"],
            }
            direct = _same_edge_pairs(lo, ld, network, mode, max_time_min)
            if len(direct):
                cols = _merge_direct(cols, direct, len(ld))
    del res
    out = _labelled_arrays(cols, lo, ld)
    # the cut-off travels with the table: measures refuse limits beyond it (a pair slower than
    # this is absent, not unreachable)
    out.attrs["max_time_min"] = float(max_time_min)
    _log.info(
        "cost table: %d pairs within %s min (%d origins, %d destinations, mode %s)",
        len(out),
        max_time_min,
        len(lo),
        len(ld),
        mode,
    )
    return out


def nearest_costs(
    network: Network,
    origins: gpd.GeoDataFrame | pd.DataFrame,
    destinations: gpd.GeoDataFrame | pd.DataFrame,
    *,
    k: int = 1,
    mode: str = "car",
    max_time_min: float = float("inf"),
    max_snap_m: float = MAX_SNAP_M,
    connector_speed_kmh: float = CONNECTOR_SPEED_KMH,
) -> pd.DataFrame:
    """The ``k`` nearest destinations of every origin, in one multi-source search.

    Returns
    -------
    DataFrame
        ``origin``, ``destination``, ``travel_time_min``, ``distance_m``, ``rank`` (1 = nearest);
        origins with nothing reachable are absent.

    Examples
    --------
    >>> near = nearest_costs(net, villages, clinics, k=2, mode="car")
    >>> print(near[near.origin == "V216"].round(1).to_string(index=False))
    origin destination  travel_time_min  distance_m  rank
      V216       CL158             34.1     12550.0     1
      V216       CL154             35.0     12651.2     2
    """
    from .routing import nearest_k

    if k < 1:
        raise InvalidValueError(f"k must be >= 1, got {k}")
    lo, ld = _locate_both(network, origins, destinations, mode, max_snap_m, connector_speed_kmh)
    graph = network.graph(mode).reversed()
    leave = attachments(lo, network, mode, side="leave")
    arrive = attachments(ld, network, mode, side="arrive")
    # searching backwards from destinations: each origin keeps its k nearest destinations
    res = nearest_k(graph, **_endpoints(arrive, leave), k=k, max_cost=max_time_min)
    table = pd.DataFrame(
        {"o": res["target"], "d": res["source"], "cost": res["cost"], "cost2": res["cost2"]}
    )
    direct = _same_edge_pairs(lo, ld, network, mode, max_time_min)
    if len(direct):
        table = pd.concat([table, direct], ignore_index=True)
    table = table.sort_values(["o", "cost", "d"], kind="stable").drop_duplicates(["o", "d"])
    table["rank"] = table.groupby("o").cumcount() + 1
    table = table[table["rank"] <= k]
    out = _labelled(table, lo, ld)
    out["rank"] = table["rank"].to_numpy(np.int64)
    return out


def euclidean_costs(
    origins: gpd.GeoDataFrame,
    destinations: gpd.GeoDataFrame,
    *,
    max_distance_m: float = float("inf"),
    crs: CRSLike | None = None,
) -> pd.DataFrame:
    """Straight-line distances (coverage radii) between two point layers, in a metric CRS.

    Returns
    -------
    DataFrame
        ``origin``, ``destination``, ``distance_m`` for pairs within ``max_distance_m``.

    Examples
    --------
    >>> radius = euclidean_costs(villages, clinics, max_distance_m=3000)
    >>> radius.columns.tolist(), int((radius.origin == "V001").sum())  # clinics within 3 km
    (['origin', 'destination', 'distance_m'], 10)
    """
    from scipy.spatial import cKDTree

    from .validate.points import check_point_layer

    check_point_layer(origins, "origins")
    check_point_layer(destinations, "destinations")
    work = metric_crs(origins, crs)
    a = origins.geometry.to_crs(work)
    b = destinations.geometry.to_crs(work)
    axy = np.column_stack([a.x.to_numpy(), a.y.to_numpy()])
    bxy = np.column_stack([b.x.to_numpy(), b.y.to_numpy()])
    if np.isfinite(max_distance_m):
        pairs = cKDTree(axy).sparse_distance_matrix(
            cKDTree(bxy), max_distance_m, output_type="ndarray"
        )
        oi, di, dist = pairs["i"], pairs["j"], pairs["v"]
    else:
        oi = np.repeat(np.arange(len(axy)), len(bxy))
        di = np.tile(np.arange(len(bxy)), len(axy))
        dist = np.hypot(axy[oi, 0] - bxy[di, 0], axy[oi, 1] - bxy[di, 1])
    t = pd.DataFrame({"o": oi, "d": di, "dist": dist}).drop_duplicates(["o", "d"])
    t = t.sort_values(["o", "d"])
    return pd.DataFrame(
        {
            "origin": origins.index.to_numpy()[t["o"].to_numpy()],
            "destination": destinations.index.to_numpy()[t["d"].to_numpy()],
            "distance_m": t["dist"].to_numpy(np.float64),
        }
    )


_BAD = object()  # marks cost cells that are not numbers or text


def _is_real_or_text(value: object) -> bool:
    """True for real numbers (not bool or complex) and text, the cost cells worth parsing."""
    if isinstance(value, bool | np.bool_):
        return False
    return isinstance(value, int | float | str | np.integer | np.floating)


def _read_cost_file(source: str | os.PathLike) -> pd.DataFrame:
    """Read a CSV/Parquet cost file; every reading problem becomes a named error."""
    try:
        path = os.fspath(source)
    except TypeError:
        raise InvalidValueError(
            f"a cost table must be a DataFrame or a CSV/Parquet path, got {type(source).__name__}"
        ) from None
    if not os.path.exists(path):
        raise InputFileError(f"cost table {path!r} does not exist; check the path")
    if os.path.isdir(path):
        raise InputFileError(f"cost table {path!r} is a folder; give the CSV/Parquet file in it")
    what = "Parquet" if path.endswith(".parquet") else "CSV"
    try:
        if what == "Parquet":
            return pd.read_parquet(path)
        return pd.read_csv(path, encoding="utf-8-sig")
    except pd.errors.EmptyDataError:
        raise ConfigError(
            f"cost table {path!r} is empty; it needs a header row "
            "(origin,destination,travel_time_min) and one row per pair"
        ) from None
    except UnicodeDecodeError as exc:
        raise ConfigError(
            f"cost table {path!r} is not UTF-8 text ({exc.reason} at byte {exc.start}); save it as "
            "UTF-8 (Excel: 'CSV UTF-8'), or read it yourself with "
            "pd.read_csv(path, encoding='gb18030') and pass the DataFrame"
        ) from None
    except OSError as exc:
        raise InputFileError(f"cannot read cost table {path!r}: {exc}") from None
    except Exception as exc:  # pandas/pyarrow parser errors of many types
        raise ConfigError(
            f"cannot read cost table {path!r} as {what}: {type(exc).__name__}: {exc}. Check that "
            f"it is a {what} file (quotes closed, one header row)"
        ) from None


def read_costs(
    source: str | os.PathLike | pd.DataFrame,
    *,
    origin: str = "origin",
    destination: str = "destination",
    cost: str = "travel_time_min",
) -> pd.DataFrame:
    """Read and check a cost table from a CSV/Parquet file or DataFrame made by any router.

    Columns are renamed to ``origin``, ``destination``, ``travel_time_min``; NaN or infinite costs
    are dropped (absent = unreachable); negative costs and duplicate pairs are errors.

    Examples
    --------
    A table from another router, with its own column names and an unreachable pair:

    >>> import pandas as pd
    >>> pd.DataFrame({"from": ["V001", "V001", "V216"], "to": ["CL001", "CL002", "CL001"],
    ...               "minutes": [5.3, 5.2, float("nan")]}).to_csv("od.csv", index=False)
    >>> read_costs("od.csv", origin="from", destination="to", cost="minutes")
      origin destination  travel_time_min
    0   V001       CL001              5.3
    1   V001       CL002              5.2
    """
    roles = {"origin": origin, "destination": destination, "cost": cost}
    for role, col in roles.items():
        if not isinstance(col, str | int):
            raise InvalidValueError(
                f"{role}= must be a column name (text), got {col!r} ({type(col).__name__})"
            )
    if len(set(roles.values())) < len(roles):
        raise InvalidValueError(
            f"origin=, destination= and cost= must name three different columns, got "
            f"origin={origin!r}, destination={destination!r}, cost={cost!r}"
        )
    df = source.copy() if isinstance(source, pd.DataFrame) else _read_cost_file(source)
    for col in (origin, destination, cost):
        if col not in df.columns:
            raise MissingColumnError(
                f"the cost table has no column {col!r}.{suggest(str(col), map(str, df.columns))} "
                f"Columns found: {list(df.columns)[:10]}"
            )
        if (df.columns == col).sum() > 1:
            raise InvalidValueError(
                f"the cost table has {(df.columns == col).sum()} columns named {col!r}; "
                "rename or drop the extra ones"
            )
    for target, col in zip(
        ("origin", "destination", "travel_time_min"), roles.values(), strict=True
    ):
        if target != col and target in df.columns and target not in roles.values():
            raise InvalidValueError(
                f"the cost table already has a column {target!r}, and renaming {col!r} to "
                f"{target!r} would give two; drop one of them first, or pass "
                f"{'cost' if target == 'travel_time_min' else target}={target!r}"
            )
    df = df.rename(columns={origin: "origin", destination: "destination", cost: "travel_time_min"})
    for col in ("origin", "destination"):
        unhashable = df[col].map(lambda v: not isinstance(v, Hashable))
        if unhashable.any():
            raise InvalidValueError(
                f"{int(unhashable.sum())} {col} id(s) in column {roles[col]!r} are lists or other "
                f"non-scalar values, e.g. {df.loc[unhashable, col].head(3).tolist()}; ids must "
                "be text or integers, one per row"
            )
    raw = df["travel_time_min"]
    if raw.dtype.kind in "mMc":
        raise InvalidValueError(
            f"cost column {cost!r} holds {raw.dtype} values; travel times must be real numbers "
            "in minutes"
            + (" (for durations use `.dt.total_seconds() / 60`)" if raw.dtype.kind == "m" else "")
        )
    if raw.dtype == object:
        raw = raw.map(lambda v: np.nan if v is None else v if _is_real_or_text(v) else _BAD)
    bad = raw.map(lambda v: v is _BAD) if raw.dtype == object else pd.Series(False, raw.index)
    values = pd.to_numeric(raw.mask(bad), errors="coerce")
    if values.dtype.kind == "c":
        raise InvalidValueError(f"cost column {cost!r} holds complex numbers; use real minutes")
    text = bad | (values.isna() & df["travel_time_min"].notna())
    if text.any():
        raise InvalidValueError(
            f"{int(text.sum())} cost value(s) are not numbers, e.g. "
            f"{df.loc[text, 'travel_time_min'].head(3).tolist()}"
        )
    df["travel_time_min"] = values.astype(float)
    if (df["travel_time_min"] < 0).any():
        raise InvalidValueError("cost table has negative travel times; costs must be >= 0")
    df = df[np.isfinite(df["travel_time_min"])]
    if df.duplicated(["origin", "destination"]).any():
        raise InvalidValueError(
            "cost table has duplicate origin-destination pairs; keep one row per pair (e.g. the "
            "minimum with `df.groupby(['origin','destination']).min()`)"
        )
    return df.reset_index(drop=True)
