"""Deterministic generator of road-like planar graphs for the routing benchmark.

Recipe (all from one seed, so a graph is identical on every machine):

1. ``n`` points uniform in a square at about 6 nodes/km² (a Chinese province's drivable OSM graph
   has roughly that density); the generation order is random, so node ids carry no locality.
2. Delaunay triangulation (``scipy.spatial.Delaunay``), thinned to a road-like mean degree of about
   2.8: the Euclidean minimum spanning tree keeps it connected, then the shortest of the remaining
   (randomly jittered) edges are added back until there are ``1.4 n`` edges.
3. A road hierarchy: for each class (expressway, national, provincial, county, township) towns
   are spread at a class-specific spacing, neighbouring towns (their Delaunay edges) are joined by
   the shortest path on the graph, and the edges on those paths are upgraded to that class. The
   other edges are village roads, 10 % of them unpaved tracks. 2 % of the non-expressway edges are
   one-way.
4. Travel time in minutes from the length (Euclidean x a random 1.0-1.3 wiggle factor) and the
   class speed.

Generated graphs are cached in ``bench/_cache/`` (git-ignored).

Usage::

    python bench/graphs.py 100000        # builds and caches, prints a summary
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import numpy as np

CACHE = Path(__file__).resolve().parent / "_cache"

#: class name, speed (km/h), town spacing (km) for the corridor classes; None = not a corridor
CLASSES: list[tuple[str, float, float | None]] = [
    ("expressway", 100.0, 80.0),
    ("national", 80.0, 40.0),
    ("provincial", 60.0, 20.0),
    ("county", 45.0, 8.0),
    ("township", 40.0, 4.0),
    ("village", 30.0, None),
    ("track", 15.0, None),
]
DENSITY_PER_KM2 = 6.0
MEAN_DEGREE = 2.8


def _delaunay_edges(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    from scipy.spatial import Delaunay

    tri = Delaunay(np.column_stack([x, y])).simplices.astype(np.int64)
    e = np.concatenate([tri[:, [0, 1]], tri[:, [1, 2]], tri[:, [2, 0]]])
    e.sort(axis=1)
    return np.unique(e, axis=0)


def _upgrade_corridors(
    n: int,
    x: np.ndarray,
    y: np.ndarray,
    u: np.ndarray,
    v: np.ndarray,
    length: np.ndarray,
    road_class: np.ndarray,
    rng: np.random.Generator,
) -> None:
    """Upgrade edges on shortest paths between neighbouring towns, class by class (in place)."""
    import scipy.sparse as sp
    from scipy.sparse.csgraph import dijkstra

    side = max(x.max() - x.min(), y.max() - y.min())
    mat = sp.coo_matrix((length, (u, v)), shape=(n, n)).tocsr()
    key = u * n + v  # u < v, sorted (Delaunay edges are unique sorted pairs)
    for level, (_, _, spacing) in enumerate(CLASSES):
        if spacing is None:
            continue
        n_towns = max(4, round((side / spacing) ** 2))
        towns = rng.choice(n, size=min(n_towns, n), replace=False)
        pairs = _delaunay_edges(x[towns], y[towns])
        tx, ty = x[towns], y[towns]
        pair_km = np.hypot(tx[pairs[:, 0]] - tx[pairs[:, 1]], ty[pairs[:, 0]] - ty[pairs[:, 1]])
        limit = 1.6 * float(np.quantile(pair_km, 0.95))
        by_src: dict[int, list[int]] = {}
        for a, b in pairs.tolist():
            by_src.setdefault(a, []).append(b)
        srcs = sorted(by_src)
        lo_hi: list[tuple[int, int]] = []
        for start in range(0, len(srcs), 16):
            batch = srcs[start : start + 16]
            _, pred = dijkstra(
                mat, directed=False, indices=towns[batch], limit=limit, return_predecessors=True
            )
            for row, a in enumerate(batch):
                prow = pred[row]
                for b in by_src[a]:
                    node = int(towns[b])
                    p = int(prow[node])
                    while p >= 0:
                        lo_hi.append((p, node) if p < node else (node, p))
                        node = p
                        p = int(prow[node])
        if lo_hi:
            arr = np.array(lo_hi, np.int64)
            e = np.searchsorted(key, arr[:, 0] * n + arr[:, 1])
            road_class[e] = np.minimum(road_class[e], level)


def road_graph(n: int, seed: int = 0, *, cache: bool = True) -> dict[str, np.ndarray]:
    """A road-like directed graph with ``n`` nodes (deterministic for a given ``n`` and ``seed``).

    Returns arrays: ``x``, ``y`` (km), ``tail``, ``head`` (arcs), ``cost_min``, ``length_m``,
    ``road_class`` (index into :data:`CLASSES`, per arc), ``edge`` (edge id per arc).
    """
    path = CACHE / f"road_{n}_{seed}.npz"
    if cache and path.exists():
        with np.load(path) as f:
            return {k: f[k] for k in f.files}
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import minimum_spanning_tree

    rng = np.random.default_rng(seed)
    side = np.sqrt(n / DENSITY_PER_KM2)
    x = rng.random(n) * side
    y = rng.random(n) * side
    e = _delaunay_edges(x, y)
    elen = np.hypot(x[e[:, 0]] - x[e[:, 1]], y[e[:, 0]] - y[e[:, 1]])
    # minimum spanning tree keeps everything connected
    mst = minimum_spanning_tree(coo_matrix((elen + 1e-9, (e[:, 0], e[:, 1])), shape=(n, n)))
    mst = mst.tocoo()
    in_tree = np.zeros(e.shape[0], bool)
    key = e[:, 0] * n + e[:, 1]
    lo, hi = np.minimum(mst.row, mst.col), np.maximum(mst.row, mst.col)
    in_tree[np.searchsorted(key, lo.astype(np.int64) * n + hi)] = True
    n_extra = max(0, round(MEAN_DEGREE / 2 * n) - int(in_tree.sum()))
    rest = np.flatnonzero(~in_tree)
    score = elen[rest] * rng.uniform(0.5, 1.5, rest.shape[0])
    extra = rest[np.argsort(score, kind="stable")[:n_extra]]
    keep = np.sort(np.concatenate([np.flatnonzero(in_tree), extra]))
    u, v, elen = e[keep, 0], e[keep, 1], elen[keep]
    length_km = elen * rng.uniform(1.0, 1.3, elen.shape[0])

    village = next(i for i, c in enumerate(CLASSES) if c[0] == "village")
    road_class = np.full(u.shape[0], village, np.int64)
    _upgrade_corridors(n, x, y, u, v, length_km, road_class, rng)
    track = (road_class == village) & (rng.random(u.shape[0]) < 0.10)
    road_class[track] = village + 1
    oneway = (road_class > 0) & (rng.random(u.shape[0]) < 0.02)
    speed = np.array([c[1] for c in CLASSES])[road_class]
    minutes = length_km / speed * 60.0

    edge = np.arange(u.shape[0], dtype=np.int64)
    back = ~oneway
    out = {
        "x": x,
        "y": y,
        "tail": np.concatenate([u, v[back]]),
        "head": np.concatenate([v, u[back]]),
        "cost_min": np.concatenate([minutes, minutes[back]]),
        "length_m": np.concatenate([length_km, length_km[back]]) * 1000.0,
        "road_class": np.concatenate([road_class, road_class[back]]),
        "edge": np.concatenate([edge, edge[back]]),
    }
    if cache:
        CACHE.mkdir(exist_ok=True)
        tmp = path.with_suffix(".tmp.npz")
        np.savez(tmp, **out)
        tmp.replace(path)
    return out


def summary(g: dict[str, np.ndarray]) -> str:
    n = g["x"].shape[0]
    m = int(g["edge"].max()) + 1
    shares = np.bincount(g["road_class"], minlength=len(CLASSES)) / g["road_class"].shape[0]
    cls = ", ".join(f"{c[0]} {s:.1%}" for c, s in zip(CLASSES, shares, strict=True))
    return (
        f"{n} nodes, {m} edges, {g['tail'].shape[0]} arcs, mean degree {2 * m / n:.2f}; "
        f"side {g['x'].max():.0f} km; classes: {cls}"
    )


if __name__ == "__main__":
    for arg in sys.argv[1:] or ["100000"]:
        t0 = time.perf_counter()
        graph = road_graph(int(arg))
        print(f"{summary(graph)}  ({time.perf_counter() - t0:.1f} s)")
