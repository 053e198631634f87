"""An independent road-graph generator for the user-path benchmark (issue 17).

Unlike ``bench/graphs.py`` (a thinned Delaunay graph tuned for the routing kernel), this writes a
*road layer*, as a user has one, so the benchmark can time the public functions from the file on:

1. A ``side x side`` grid at :data:`SPACING_M` (200 m), every junction moved by up to
   :data:`JITTER_M` in x and y (a perturbed grid), in UTM zone 50N (EPSG:32650).
2. A road hierarchy by grid line: every 25th line (5 km) is an arterial (``national``, 60 km/h),
   every 5th (1 km) a collector (``county``, 40 km/h), the rest local roads (``village``,
   25 km/h). 30 % of the local road pieces are removed (dead ends, missing links), and 15 % of
   the remaining ones are tracks (``track``, 12 km/h).
3. Road lines run along grid lines over 1-8 junctions (broken where a piece is removed or the
   class changes), so lines must be split at shared vertices, as in a real layer; 2 % of the
   lines are one-way (``oneway="yes"``, in the digitised direction).
4. The rows are shuffled and, in the PBF, node ids are a random permutation: node order carries
   no locality.

Speeds are passed with ``speeds=`` overrides of the ``china`` profile (:data:`CAR_SPEEDS`) or,
in the PBF, as ``maxspeed`` tags on ``highway`` = primary / tertiary / unclassified / track.

Usage::

    python bench/road_graphs.py 1000000        # writes bench/_cache/roads_1000000.{parquet,osm.pbf}
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import numpy as np

CACHE = Path(__file__).resolve().parent / "_cache"
SPACING_M = 200.0
JITTER_M = 50.0
ORIGIN = (300_000.0, 3_300_000.0)  # EPSG:32650, central China
CRS = "EPSG:32650"
#: class -> (car km/h, OSM highway value)
CLASSES = {
    "national": (60.0, "primary"),
    "county": (40.0, "tertiary"),
    "village": (25.0, "unclassified"),
    "track": (12.0, "track"),
}
CAR_SPEEDS = {"car": {c: s for c, (s, _) in CLASSES.items()}}
REMOVED_LOCAL = 0.30
TRACK_SHARE = 0.15
ONEWAY_SHARE = 0.02
GENERATOR_VERSION = 1


def _grid_pieces(side: int, rng: np.random.Generator) -> dict[str, np.ndarray]:
    """Grid pieces (between neighbouring junctions) with class codes; removed ones dropped."""
    idx = np.arange(side * side, dtype=np.int64).reshape(side, side)
    line_cls = np.where(np.arange(side) % 25 == 0, 0, np.where(np.arange(side) % 5 == 0, 1, 2))
    # horizontal pieces: row r, between columns c and c+1; class of row r
    h_a, h_b = idx[:, :-1].ravel(), idx[:, 1:].ravel()
    h_cls = np.repeat(line_cls, side - 1)
    h_line = np.repeat(np.arange(side), side - 1)
    v_a, v_b = idx[:-1, :].T.ravel(), idx[1:, :].T.ravel()
    v_cls = np.repeat(line_cls, side - 1)
    v_line = side + np.repeat(np.arange(side), side - 1)
    a = np.concatenate([h_a, v_a])
    b = np.concatenate([h_b, v_b])
    cls = np.concatenate([h_cls, v_cls])
    line = np.concatenate([h_line, v_line])
    local = cls == 2
    keep = ~local | (rng.random(len(a)) >= REMOVED_LOCAL)
    track = local & (rng.random(len(a)) < TRACK_SHARE)
    cls = np.where(track, 3, cls)
    return {"a": a, "b": b, "cls": cls, "line": line, "keep": keep}


def generate(n_nodes: int, seed: int = 0) -> dict:
    """Road lines as coordinate runs: ``xy`` (per vertex), ``node`` (grid id per vertex),
    ``offsets`` (line starts), ``cls``, ``oneway``; rows shuffled."""
    rng = np.random.default_rng(seed)
    side = int(np.ceil(np.sqrt(n_nodes)))
    p = _grid_pieces(side, rng)
    n = side * side
    gx, gy = np.meshgrid(np.arange(side), np.arange(side))
    x = ORIGIN[0] + gx.ravel() * SPACING_M + rng.uniform(-JITTER_M, JITTER_M, n)
    y = ORIGIN[1] + gy.ravel() * SPACING_M + rng.uniform(-JITTER_M, JITTER_M, n)
    # pieces are ordered along each grid line; start a new road line where a piece is missing,
    # the class changes, or at random (lines of 1-8 pieces, mean ~4)
    a, b, cls, line, keep = p["a"], p["b"], p["cls"], p["line"], p["keep"]
    brk = np.r_[True, (line[1:] != line[:-1]) | (cls[1:] != cls[:-1]) | ~keep[:-1]]
    brk |= rng.random(len(a)) < 0.25
    a, b, cls, brk = a[keep], b[keep], cls[keep], brk[keep]
    road = np.cumsum(brk) - 1
    n_roads = int(road[-1]) + 1
    starts = np.flatnonzero(brk)
    counts = np.diff(np.r_[starts, len(a)])
    # vertices of road r: a of each piece, then b of its last piece
    last = np.r_[starts[1:], len(a)] - 1
    vert_piece = np.concatenate([np.arange(len(a)), last])
    vert_node = np.concatenate([a, b[last]])
    vert_road = np.concatenate([road, road[last]])
    vert_rank = np.concatenate([np.arange(len(a)), np.full(len(last), np.iinfo(np.int64).max)])
    order = np.lexsort((vert_rank, vert_road))
    vert_node, vert_road = vert_node[order], vert_road[order]
    del vert_piece
    road_cls = cls[starts]
    oneway = rng.random(n_roads) < ONEWAY_SHARE
    # shuffle the rows
    perm = rng.permutation(n_roads)
    sizes = counts + 1
    off = np.r_[0, np.cumsum(sizes)]
    new_sizes = sizes[perm]
    gather = np.repeat(off[perm], new_sizes) + (
        np.arange(new_sizes.sum()) - np.repeat(np.cumsum(new_sizes) - new_sizes, new_sizes)
    )
    vert_node = vert_node[gather]
    used = np.unique(vert_node)
    return {
        "x": x,
        "y": y,
        "node": vert_node,
        "sizes": new_sizes,
        "cls": road_cls[perm],
        "oneway": oneway[perm],
        "n_junctions": len(used),
        "side": side,
    }


def roads_frame(g: dict):
    """The road layer as a GeoDataFrame: ``road_class``, ``oneway``, ``name``, line geometry."""
    import geopandas as gpd
    import shapely

    names = np.array(list(CLASSES))
    geom = shapely.linestrings(
        np.column_stack([g["x"][g["node"]], g["y"][g["node"]]]),
        indices=np.repeat(np.arange(len(g["sizes"])), g["sizes"]),
    )
    return gpd.GeoDataFrame(
        {
            "road_class": names[g["cls"]],
            "oneway": np.where(g["oneway"], "yes", "no"),
            "name": None,
        },
        geometry=geom,
        crs=CRS,
    )


def write_pbf(g: dict, path: Path, seed: int = 0) -> None:
    """The same roads as an OSM PBF (pyosmium), node ids a random permutation."""
    import osmium
    from pyproj import Transformer

    rng = np.random.default_rng(seed + 1)
    used = np.unique(g["node"])
    osm_id = np.zeros(len(g["x"]), dtype=np.int64)
    osm_id[used] = rng.permutation(len(used)) + 1
    lon, lat = Transformer.from_crs(CRS, "EPSG:4326", always_xy=True).transform(
        g["x"][used], g["y"][used]
    )
    hw = [CLASSES[c][1] for c in CLASSES]
    sp = [f"{CLASSES[c][0]:g}" for c in CLASSES]
    # write beside and rename when complete: an interrupted run must not leave a truncated file
    # that the next run would take for the cached one
    tmp = path.with_name(path.name + ".part.osm.pbf")
    if tmp.exists():
        tmp.unlink()
    w = osmium.SimpleWriter(str(tmp))
    try:
        order = np.argsort(osm_id[used])
        for i in order:
            w.add_node(
                osmium.osm.mutable.Node(
                    id=int(osm_id[used[i]]), location=(float(lon[i]), float(lat[i]))
                )
            )
        off = np.r_[0, np.cumsum(g["sizes"])]
        ids = osm_id[g["node"]].tolist()
        for r in range(len(g["sizes"])):
            tags = {"highway": hw[g["cls"][r]], "maxspeed": sp[g["cls"][r]]}
            if g["oneway"][r]:
                tags["oneway"] = "yes"
            w.add_way(osmium.osm.mutable.Way(id=r + 1, nodes=ids[off[r] : off[r + 1]], tags=tags))
    finally:
        w.close()
    tmp.replace(path)


def points(g: dict, n: int, seed: int, what: str):
    """``n`` random points over the grid's extent (off the roads: edge-snapped), with weights."""
    import geopandas as gpd

    rng = np.random.default_rng(seed)
    span = (g["side"] - 1) * SPACING_M
    x = ORIGIN[0] + rng.uniform(0, span, n)
    y = ORIGIN[1] + rng.uniform(0, span, n)
    col = "population" if what == "villages" else "capacity"
    w = rng.integers(100, 3000, n) if what == "villages" else rng.integers(5, 100, n)
    prefix = "V" if what == "villages" else "F"
    return gpd.GeoDataFrame(
        {col: w.astype(np.float64)},
        index=pd_index([f"{prefix}{i}" for i in range(n)], f"{what[:-1]}_id"),
        geometry=gpd.points_from_xy(x, y),
        crs=CRS,
    )


def pd_index(values, name):
    import pandas as pd

    return pd.Index(values, name=name)


def cached(n_nodes: int, *, pbf: bool = False) -> dict[str, Path]:
    """Write (once) and return the paths of the road layer (GeoParquet) and, with ``pbf``, PBF."""
    CACHE.mkdir(exist_ok=True)
    stem = CACHE / f"roads_v{GENERATOR_VERSION}_{n_nodes}"
    paths = {"parquet": stem.with_suffix(".parquet"), "pbf": Path(f"{stem}.osm.pbf")}
    g = None
    if not paths["parquet"].exists():
        g = generate(n_nodes)
        part = paths["parquet"].with_suffix(".part")
        roads_frame(g).to_parquet(part)
        part.replace(paths["parquet"])
    if pbf and not paths["pbf"].exists():
        g = g if g is not None else generate(n_nodes)
        write_pbf(g, paths["pbf"])
    return paths


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 100_000
    t = time.perf_counter()
    g = generate(n)
    print(
        f"{n:,} asked: {g['n_junctions']:,} junctions used, {len(g['sizes']):,} road lines, "
        f"{int(g['sizes'].sum() - len(g['sizes'])):,} pieces, {time.perf_counter() - t:.1f} s"
    )
    paths = cached(n, pbf="--pbf" in sys.argv)
    print({k: str(v) for k, v in paths.items() if v.exists()})


if __name__ == "__main__":
    main()
