"""Deterministic generator of road-like planar graphs for the routing benchmark.

Recipe (all from one seed, so a graph is identical on every machine):

1. ``n`` points uniform in a square at :data:`DENSITY_PER_KM2` (25 nodes/km², the intersection
   density of a dense rural road network, so the 1M graph is 200 km square); the generation order
   is random, so node ids carry no locality.
2. Delaunay triangulation (``scipy.spatial.Delaunay``), thinned to a road-like mean degree of about
   2.8: the Euclidean minimum spanning tree keeps it connected, then the shortest of the remaining
   (randomly jittered) edges are added back until there are ``1.4 n`` edges.
3. A road hierarchy: for each class (national, provincial, county, township) towns are spread
   at a class-specific spacing, neighbouring towns (their Delaunay edges) are joined by the shortest
   path on the graph, and the edges on those paths are upgraded to that class. The other edges are
   village roads, 10 % of them unpaved tracks. 2 % of the non-expressway edges are one-way.
4. Expressways are limited-access: cities at :data:`EXPRESSWAY_CITY_SPACING_KM` (about 5 km of
   expressway per 100 km², the density of China's eastern provinces) are joined along their Delaunay
   edges by nearly straight links between interchanges every :data:`INTERCHANGE_SPACING_KM`; an
   interchange is an existing node, so the node count is unchanged and expressways cross the other
   roads without junctions, as real ones do.
5. Travel time in minutes from the length (Euclidean x a wiggle factor: 1.0-1.3 on village roads
   and tracks, 1.0-1.1 on the engineered corridor classes, 1.02-1.08 on expressway links) and the
   class speed.

Calibration (issue 3): on the 1M-node graph a 60-minute search must reach about as many nodes as
the issue's baseline implies (scipy's Dijkstra ~53 ms per facility, i.e. ~10^5 settled nodes at
~2M nodes/s); ``python bench/graphs.py 1000000 --reach`` prints the reach and scipy's time.

Generated graphs are cached in ``bench/_cache/`` (git-ignored).

Usage::

    python bench/graphs.py 100000        # builds and caches, prints a summary
"""

from __future__ import annotations

import itertools
import sys
import time
from pathlib import Path

import numpy as np

CACHE = Path(__file__).resolve().parent / "_cache"

#: class name, speed (km/h), town spacing (km) for the corridor classes; None = not a corridor.
#: Free-flow speeds at the upper end of each class's range (120 is the legal limit on expressways);
#: they were chosen, with the density, so that a 60-minute search on the 1M graph settles about
#: 10^5 nodes and scipy needs about 53 ms per search, as in issue 3 (see the module docstring).
CLASSES: list[tuple[str, float, float | None]] = [
    ("expressway", 120.0, None),
    ("national", 90.0, 30.0),
    ("provincial", 80.0, 15.0),
    ("county", 60.0, 6.0),
    ("township", 50.0, 3.0),
    ("village", 40.0, None),
    ("track", 20.0, None),
]
#: bump when the recipe changes (names the cache file)
GENERATOR_VERSION = 3
DENSITY_PER_KM2 = 25.0
MEAN_DEGREE = 2.8
#: spacing of the cities joined by expressways (km); Delaunay links at this spacing give about
#: 3 / spacing km of expressway per km², i.e. 5 km per 100 km² at 60 km
EXPRESSWAY_CITY_SPACING_KM = 45.0
#: distance between expressway interchanges (km)
INTERCHANGE_SPACING_KM = 8.0


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


def _expressway_links(
    x: np.ndarray, y: np.ndarray, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Limited-access expressway links ``(u, v, length_km)`` between interchanges (existing nodes)."""
    from scipy.spatial import cKDTree

    n = x.shape[0]
    side = max(x.max() - x.min(), y.max() - y.min())
    n_cities = max(4, round((side / EXPRESSWAY_CITY_SPACING_KM) ** 2))
    cities = rng.choice(n, size=min(n_cities, n), replace=False)
    cx, cy = x[cities], y[cities]
    pairs = _delaunay_edges(cx, cy)
    pair_km = np.hypot(cx[pairs[:, 0]] - cx[pairs[:, 1]], cy[pairs[:, 0]] - cy[pairs[:, 1]])
    # drop the long sliver edges along the hull of the triangulation
    pairs = pairs[pair_km <= 1.6 * EXPRESSWAY_CITY_SPACING_KM]
    tree = cKDTree(np.column_stack([x, y]))
    links: set[tuple[int, int]] = set()
    for a, b in pairs.tolist():
        dx, dy = cx[b] - cx[a], cy[b] - cy[a]
        dist = float(np.hypot(dx, dy))
        k = max(1, round(dist / INTERCHANGE_SPACING_KM))
        t = np.linspace(0.0, 1.0, k + 1)
        # a gentle curve: the interchanges between the ends drift sideways by up to ~3 % of dist
        bend = rng.normal(0.0, 0.03 * dist) * np.sin(np.pi * t)
        px = cx[a] + t * dx - bend * dy / dist
        py = cy[a] + t * dy + bend * dx / dist
        _, nodes = tree.query(np.column_stack([px, py]))
        nodes = [int(v) for v in nodes]
        nodes[0], nodes[-1] = int(cities[a]), int(cities[b])
        for p, q in itertools.pairwise(nodes):
            if p != q:
                links.add((min(p, q), max(p, q)))
    if not links:
        return np.zeros(0, np.int64), np.zeros(0, np.int64), np.zeros(0)
    arr = np.array(sorted(links), np.int64)
    u, v = arr[:, 0], arr[:, 1]
    length = np.hypot(x[u] - x[v], y[u] - y[v]) * rng.uniform(1.02, 1.08, u.shape[0])
    return u, v, length


def road_graph(n: int, seed: int = 0, *, cache: bool = True) -> dict[str, np.ndarray]:
    """A road-like directed graph with ``n`` nodes (deterministic for a given ``n`` and ``seed``).

    Returns arrays: ``x``, ``y`` (km), ``tail``, ``head`` (arcs), ``cost_min``, ``length_m``,
    ``road_class`` (index into :data:`CLASSES`, per arc), ``edge`` (edge id per arc).
    """
    path = CACHE / f"road_v{GENERATOR_VERSION}_{n}_{seed}.npz"
    if cache and path.exists():
        with np.load(path) as f:
            return _with_times({k: f[k] for k in f.files})
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
    wiggle = rng.uniform(0.0, 1.0, elen.shape[0])
    length_km = elen * (1.0 + 0.3 * wiggle)

    village = next(i for i, c in enumerate(CLASSES) if c[0] == "village")
    road_class = np.full(u.shape[0], village, np.int64)
    _upgrade_corridors(n, x, y, u, v, length_km, road_class, rng)
    # engineered corridors are straighter than village roads
    corridor = road_class < village
    length_km[corridor] = elen[corridor] * (1.0 + 0.1 * wiggle[corridor])
    track = (road_class == village) & (rng.random(u.shape[0]) < 0.10)
    road_class[track] = village + 1
    xu, xv, xlen = _expressway_links(x, y, rng)
    # a link that coincides with a road edge upgrades that edge instead (no parallel edges)
    base_key = u * n + v
    pos = np.minimum(np.searchsorted(base_key, xu * n + xv), base_key.shape[0] - 1)
    dup = base_key[pos] == xu * n + xv
    road_class[pos[dup]] = 0
    length_km[pos[dup]] = np.minimum(length_km[pos[dup]], xlen[dup])
    xu, xv, xlen = xu[~dup], xv[~dup], xlen[~dup]
    u = np.concatenate([u, xu])
    v = np.concatenate([v, xv])
    length_km = np.concatenate([length_km, xlen])
    road_class = np.concatenate([road_class, np.zeros(xu.shape[0], np.int64)])
    oneway = (road_class > 0) & (rng.random(u.shape[0]) < 0.02)

    edge = np.arange(u.shape[0], dtype=np.int64)
    back = ~oneway
    out = {
        "x": x,
        "y": y,
        "tail": np.concatenate([u, v[back]]),
        "head": np.concatenate([v, u[back]]),
        "length_m": np.concatenate([length_km, length_km[back]]) * 1000.0,
        "road_class": np.concatenate([road_class, road_class[back]]),
        "edge": np.concatenate([edge, edge[back]]),
    }
    if cache:
        CACHE.mkdir(exist_ok=True)
        tmp = path.with_suffix(".tmp.npz")
        np.savez(tmp, **out)
        tmp.replace(path)
    return _with_times(out)


def _with_times(g: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """Add ``cost_min`` (length / class speed) to the cached topology, so speeds can be re-tuned
    without regenerating the graph."""
    speed_kmh = np.array([c[1] for c in CLASSES])[g["road_class"]]
    g["cost_min"] = g["length_m"] / 1000.0 / speed_kmh * 60.0
    return g


def summary(g: dict[str, np.ndarray]) -> str:
    """One line: size, degree, extent and the share of road length per class."""
    n = g["x"].shape[0]
    m = int(g["edge"].max()) + 1
    first = np.unique(g["edge"], return_index=True)[1]  # one arc per edge
    km = np.bincount(
        g["road_class"][first], weights=g["length_m"][first] / 1000.0, minlength=len(CLASSES)
    )
    side = float(max(np.ptp(g["x"]), np.ptp(g["y"])))
    cls = ", ".join(f"{c[0]} {s:.1%}" for c, s in zip(CLASSES, km / km.sum(), strict=True))
    # node degree = distinct neighbours (dead ends 1, chain nodes 2)
    lo, hi = np.minimum(g["tail"], g["head"]), np.maximum(g["tail"], g["head"])
    pairs = np.unique(lo.astype(np.int64) * n + hi)
    deg = np.bincount(np.concatenate([pairs // n, pairs % n]), minlength=n)
    share = [np.mean(deg == 1), np.mean(deg == 2), np.mean(deg >= 3)]
    return (
        f"{n:,} nodes, {m:,} edges, {g['tail'].shape[0]:,} arcs, mean degree {2 * m / n:.2f} "
        f"(degree 1 / 2 / 3+: {share[0]:.1%} / {share[1]:.1%} / {share[2]:.1%}); "
        f"{side:.0f} km square; expressways {100 * km[0] / side**2:.1f} km per 100 km²; "
        f"road length by class: {cls}"
    )


def reach(
    g: dict[str, np.ndarray], limit_min: float = 60.0, sample: int = 30, seed: int = 1
) -> dict[str, float]:
    """Mean nodes settled by a ``limit_min`` search (scipy, reversed graph) and scipy's CPU ms each.

    The sources are random nodes; CPU time (``time.process_time``), so a busy machine inflates it
    less than wall time.
    """
    import scipy.sparse as sp
    from scipy.sparse.csgraph import dijkstra

    n = g["x"].shape[0]
    mat = sp.csr_matrix((g["cost_min"], (g["head"], g["tail"])), shape=(n, n))
    src = np.random.default_rng(seed).choice(n, min(sample, n), replace=False)
    settled = 0
    t0 = time.process_time()
    for s in src:
        settled += int(np.isfinite(dijkstra(mat, indices=int(s), limit=limit_min)).sum())
    cpu = time.process_time() - t0
    return {
        "limit_min": limit_min,
        "settled_mean": settled / len(src),
        "scipy_cpu_ms": 1000.0 * cpu / len(src),
        "sample": float(len(src)),
    }


if __name__ == "__main__":
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    for arg in args or ["100000"]:
        t0 = time.perf_counter()
        graph = road_graph(int(arg))
        print(f"{summary(graph)}  ({time.perf_counter() - t0:.1f} s)", flush=True)
        if "--reach" in sys.argv:
            for lim in (30.0, 60.0):
                print(f"  reach {reach(graph, lim)}", flush=True)
