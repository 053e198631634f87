"""The user's path, timed through the public functions on an independent road graph (issue 17).

Every step runs in a FRESH Python process (``subprocess``), so each row includes what a user pays
in a new session: imports, loading compiled kernels from numba's cache, building what the step
needs. The graph is ``bench/road_graphs.py`` (a perturbed 200 m grid with a road hierarchy, 30 %
of local roads removed, tracks, 2 % one-way, shuffled rows, random OSM node ids), not the routing
benchmark's ``bench/graphs.py``. References (SciPy, PySAL ``access``) run in the same child as
ours, side by side, so their ratios hold on a shared, noisy machine.

Steps (``--steps``, default all):

``chain``     read the road layer (GeoParquet), ``network_from_roads``, ``locate`` villages and
              facilities (edge-snapped), ``travel_costs`` (facilities x villages, 60 min),
              ``measures.nearest_cost`` and ``measures.two_sfca`` on the table: time per step and
              peak RSS of the whole chain.
``pbf``       ``network_from_osm`` on the same roads written as an OSM PBF.
``nearest``   nearest facility for every node: ``routing.nearest_k`` (k=1, time only) vs SciPy
              ``dijkstra(min_only=True)`` on the same CSR arrays (same node numbering).
``fca``       2SFCA / E2SFCA / 3SFCA on 1M pairs vs PySAL ``access`` (``bench/bench_measures.py``
              inputs), results compared.
``cold``      the 100k chain with an EMPTY numba cache (``NUMBA_CACHE_DIR`` = a new temporary
              folder: every kernel compiles), then again with that cache filled.

Usage::

    python bench/bench_user_path.py --sizes 100000,1000000
    python bench/bench_user_path.py --sizes 100000,300000,1000000 --runs 3   # chain: median of 3
    python bench/bench_user_path.py --huge-pages-ab 5   # network_from_roads, travel_costs with/without huge pages
    python bench/bench_user_path.py --sizes 3000000 --steps chain --facilities 5000 --villages 150000

Writes ``bench/results/user_path.md`` (``python bench/collect.py`` puts it in BENCHMARKS.md).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
STEPS = ("chain", "pbf", "nearest", "fca", "cold")


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def _load() -> float:
    return os.getloadavg()[0]


# ------------------------------------------------------------------------------------------------
# children (one fresh process each)


def child_chain(a: argparse.Namespace) -> dict:
    t_start = time.perf_counter()
    import geopandas as gpd

    sys.path.insert(0, str(HERE))
    import road_graphs as rg

    import accessibility as acc
    from accessibility import measures

    acc.set_options(progress=False)
    out: dict = {"import_s": time.perf_counter() - t_start}
    if a.huge_pages:  # the builder and travel_costs keep NumPy's huge-page hint (--huge-pages-ab)
        _keep_huge_pages()
    paths = rg.cached(a.n)
    g = rg.generate(a.n)
    villages = rg.points(g, a.villages, 1, "villages")
    facilities = rg.points(g, a.facilities, 2, "facilities")
    del g
    base = _peak_mb()
    times: dict[str, float] = {}
    cpu: dict[str, float] = {}
    sys_cpu: dict[str, float] = {}
    rss: dict[str, float] = {}

    def step(name, fn):
        t, c = time.perf_counter(), time.process_time()
        s0 = resource.getrusage(resource.RUSAGE_SELF).ru_stime
        res = fn()
        times[name] = time.perf_counter() - t
        cpu[name] = time.process_time() - c
        sys_cpu[name] = resource.getrusage(resource.RUSAGE_SELF).ru_stime - s0
        rss[name] = _peak_mb()
        return res

    roads = step("read", lambda: gpd.read_parquet(paths["parquet"]))
    net = step(
        "network_from_roads",
        lambda: acc.network_from_roads(roads, speeds=rg.CAR_SPEEDS, modes=("car",)),
    )
    roads = None
    lv = step("locate_villages", lambda: acc.locate(net, villages, mode="car"))
    lf = step("locate_facilities", lambda: acc.locate(net, facilities, mode="car"))
    costs = step(
        "travel_costs", lambda: acc.travel_costs(net, lv, lf, mode="car", max_time_min=60.0)
    )
    step(
        "nearest_cost",
        lambda: measures.nearest_cost(costs, villages["population"], facilities["capacity"]),
    )
    step(
        "two_sfca",
        lambda: measures.two_sfca(
            costs, villages["population"], facilities["capacity"], catchment_min=60.0
        ),
    )
    if a.again:  # a second table on the same network (its routing graph and core kept)
        chain_peak = _peak_mb()
        step(
            "travel_costs_again",
            lambda: acc.travel_costs(net, lv, lf, mode="car", max_time_min=60.0),
        )
        out["chain_peak_mb"] = chain_peak
    out.update(
        times=times,
        cpu=cpu,
        sys_cpu=sys_cpu,
        rss=rss,
        base_mb=base,
        peak_mb=_peak_mb(),
        n_nodes=len(net.nodes),
        n_edges=len(net.edges),
        n_pairs=len(costs),
    )
    return out


def child_pbf(a: argparse.Namespace) -> dict:
    sys.path.insert(0, str(HERE))
    import road_graphs as rg

    import accessibility as acc

    path = rg.cached(a.n, pbf=True)["pbf"]
    t, c = time.perf_counter(), time.process_time()
    net = acc.network_from_osm(path, modes=("car",))
    return {
        "wall_s": time.perf_counter() - t,
        "cpu_s": time.process_time() - c,
        "peak_mb": _peak_mb(),
        "n_nodes": len(net.nodes),
    }


def child_nearest(a: argparse.Namespace) -> dict:
    import geopandas as gpd
    import numpy as np
    import scipy.sparse as sp
    from scipy.sparse.csgraph import dijkstra

    sys.path.insert(0, str(HERE))
    import road_graphs as rg

    import accessibility as acc
    from accessibility.routing import nearest_k

    net = acc.network_from_roads(
        gpd.read_parquet(rg.cached(a.n)["parquet"]), speeds=rg.CAR_SPEEDS, modes=("car",)
    )
    g = net.graph("car")
    n = g.n_nodes
    fac = np.random.default_rng(3).choice(n, a.facilities, replace=False)
    every = np.arange(n)
    tails = np.repeat(np.arange(n), np.diff(g.indptr))
    mat = sp.csr_matrix((g.cost, (tails, g.head)), shape=(n, n))

    def ours():
        return nearest_k(
            g,
            source_id=np.arange(len(fac)),
            source_node=fac,
            target_id=every,
            target_node=every,
            k=1,
            max_cost=60.0,
            secondary=False,
        )

    def scipy():
        return dijkstra(mat, indices=fac, min_only=True, limit=60.0)

    ours()  # kernel load from the cache
    best = {"ours": np.inf, "scipy": np.inf}
    cpu = {"ours": np.inf, "scipy": np.inf}  # both run on one thread: CPU seconds suffer less
    for _ in range(5):  # from other jobs on the machine than wall seconds
        for name, fn in (("ours", ours), ("scipy", scipy)):
            t, c = time.perf_counter(), time.process_time()
            res = fn()
            best[name] = min(best[name], time.perf_counter() - t)
            cpu[name] = min(cpu[name], time.process_time() - c)
            if name == "ours":
                mine = np.full(n, np.inf)
                mine[res["target"]] = res["cost"]
            else:
                theirs = res
    fin = np.isfinite(theirs)
    same = bool((np.isfinite(mine) == fin).all())
    diff = float(np.abs(mine[fin] - theirs[fin]).max()) if fin.any() else 0.0
    return {
        "ours_s": best["ours"],
        "scipy_s": best["scipy"],
        "ours_cpu_s": cpu["ours"],
        "scipy_cpu_s": cpu["scipy"],
        "same_reach": same,
        "max_diff": diff,
    }


def _best_wall_cpu(fn, reps: int) -> tuple[float, float, object]:
    """Best wall and best CPU (``process_time``) seconds of ``reps`` calls, and the result."""
    wall, cpu, out = float("inf"), float("inf"), None
    for _ in range(reps):
        t, c = time.perf_counter(), time.process_time()
        out = fn()
        wall, cpu = min(wall, time.perf_counter() - t), min(cpu, time.process_time() - c)
    return wall, cpu, out


def child_fca(a: argparse.Namespace) -> dict:
    import numpy as np

    sys.path.insert(0, str(HERE))
    from bench_measures import case, pysal_runner

    from accessibility import measures

    costs, pop, sup = case(20_000, 100, 1_000_000)  # as bench/bench_measures.py
    make = pysal_runner(costs, pop, sup)
    rows = {}
    for name, ours, theirs in (
        (
            "2SFCA",
            lambda: measures.two_sfca(costs, pop, sup, catchment_min=30),
            lambda: make().two_stage_fca(name="x", max_cost=30),
        ),
        (
            "E2SFCA",
            lambda: measures.e2sfca(costs, pop, sup),
            lambda: make().enhanced_two_stage_fca(name="x"),
        ),
        (
            "3SFCA",
            lambda: measures.three_sfca(costs, pop, sup),
            lambda: make().three_stage_fca(name="x"),
        ),
    ):
        t_ours, cpu_ours, res = _best_wall_cpu(ours, 3)
        t_theirs, cpu_theirs, ref = _best_wall_cpu(theirs, 3)  # best of 3 for both
        mine = res.iloc[:, 0] if res.ndim == 2 else res
        ref = ref[next(c for c in ref.columns if "x" in str(c))] if ref.ndim == 2 else ref
        ref = ref.reindex(mine.index).fillna(0.0).to_numpy()
        got = np.nan_to_num(np.asarray(mine, dtype=float))
        rel = float(np.max(np.abs(got - ref) / np.maximum(np.abs(ref), 1e-12)))
        rows[name] = {
            "ours_s": t_ours,
            "pysal_s": t_theirs,
            "ours_cpu_s": cpu_ours,
            "pysal_cpu_s": cpu_theirs,
            "max_rel_diff": rel,
        }
        if name == "2SFCA":
            ref_2sfca, got_2sfca = ref, got
    # the same table with categorical ids, as travel_costs returns them (PySAL's time as above)
    import pandas as pd

    cat = costs.assign(
        origin=pd.Categorical(costs["origin"], categories=pop.index),
        destination=pd.Categorical(costs["destination"], categories=sup.index),
    )
    t_cat, cpu_cat, res = _best_wall_cpu(
        lambda: measures.two_sfca(cat, pop, sup, catchment_min=30), 3
    )
    got = np.nan_to_num(np.asarray(res, dtype=float))
    rows["2SFCA, categorical ids (as `travel_costs` returns them)"] = {
        "ours_s": t_cat,
        "pysal_s": rows["2SFCA"]["pysal_s"],
        "ours_cpu_s": cpu_cat,
        "pysal_cpu_s": rows["2SFCA"]["pysal_cpu_s"],
        "max_rel_diff": float(
            np.max(np.abs(got - ref_2sfca) / np.maximum(np.abs(ref_2sfca), 1e-12))
        ),
        "same_as_text_ids": bool(np.array_equal(got, got_2sfca)),
    }
    # the text-id lookup alone: ours (accessibility/measures/_text_ids.py) vs Arrow's index_in
    import pyarrow as pa
    import pyarrow.compute as pc

    from accessibility.measures._text_ids import text_positions

    lookup = {}
    for col, index in (("origin", pop.index), ("destination", sup.index)):
        values, labels = pa.array(costs[col].array), pa.array(index.array)
        if isinstance(values, pa.ChunkedArray):  # (as the measures do)
            values = values.combine_chunks()
        if isinstance(labels, pa.ChunkedArray):
            labels = labels.combine_chunks()
        t_ours, _, mine = _best_wall_cpu(lambda v=values, x=labels: text_positions(v, x), 5)
        t_arrow, _, ref = _best_wall_cpu(lambda v=values, x=labels: pc.index_in(v, value_set=x), 5)
        lookup[col] = {
            "ids": len(values),
            "labels": len(labels),
            "ours_s": t_ours,
            "arrow_s": t_arrow,
            "same": bool(np.array_equal(mine, ref.fill_null(-1).to_numpy(zero_copy_only=False))),
        }
    rows["lookup"] = lookup
    return rows


def _keep_huge_pages() -> None:
    """The steps that ask NumPy for ordinary pages (the network builder, ``travel_costs``) keep
    its huge-page hint instead: what they did before (``--huge-pages-ab``)."""
    import contextlib

    from accessibility import costs as costs_module
    from accessibility.network import roads as roads_module

    roads_module.short_lived_arrays = contextlib.nullcontext  # type: ignore[assignment]
    costs_module.short_lived_arrays = contextlib.nullcontext  # type: ignore[assignment]


def child_build(a: argparse.Namespace) -> dict:
    """``network_from_roads`` alone, after what the chain does before it; with ``--huge-pages``
    the builder keeps NumPy's huge-page hint (what it did before it asked for ordinary pages)."""
    import geopandas as gpd

    sys.path.insert(0, str(HERE))
    import road_graphs as rg

    import accessibility as acc
    from accessibility import measures  # noqa: F401  (imported before it, as in the chain)

    acc.set_options(progress=False)
    g = rg.generate(a.n)
    rg.points(g, a.villages, 1, "villages"), rg.points(g, a.facilities, 2, "facilities")
    del g
    roads = gpd.read_parquet(rg.cached(a.n)["parquet"])
    if a.huge_pages:
        _keep_huge_pages()
    r0 = resource.getrusage(resource.RUSAGE_SELF)
    t = time.perf_counter()
    acc.network_from_roads(roads, speeds=rg.CAR_SPEEDS, modes=("car",))
    wall = time.perf_counter() - t
    r1 = resource.getrusage(resource.RUSAGE_SELF)
    return {
        "wall_s": wall,
        "user_s": r1.ru_utime - r0.ru_utime,
        "sys_s": r1.ru_stime - r0.ru_stime,
        "page_faults": r1.ru_minflt - r0.ru_minflt,
    }


def huge_pages_ab(a: argparse.Namespace, n_runs: int) -> str:
    """``network_from_roads`` and the chain (for ``travel_costs``) at 1M nodes in fresh
    processes, the builder and ``travel_costs`` asking for ordinary pages (as shipped) and
    keeping NumPy's huge-page hint, interleaved: medians."""
    sys.path.insert(0, str(HERE))
    import road_graphs as rg

    n = a.n or 1_000_000
    rg.cached(n)
    labels = ("ordinary pages (as shipped)", "huge pages")
    out: dict[tuple[str, str], list[dict]] = {
        (c, x): [] for c in ("build", "chain") for x in labels
    }
    for _ in range(n_runs):
        for child in ("build", "chain"):
            for label, flag in zip(labels, ([], ["--huge-pages"]), strict=True):
                n_fac, n_vil = _points(n, a)
                cmd = [sys.executable, str(Path(__file__).resolve()), "--child", child]
                cmd += ["--again"] if child == "chain" else []
                cmd += ["--n", str(n), "--facilities", str(n_fac), "--villages", str(n_vil), *flag]
                env = {**os.environ, "PYTHONPATH": str(ROOT)}
                proc = subprocess.run(cmd, capture_output=True, text=True, env=env, check=False)
                if proc.returncode != 0:
                    raise RuntimeError(f"{' '.join(cmd)} failed:\n{proc.stderr[-3000:]}")
                out[child, label].append(json.loads(proc.stdout.strip().splitlines()[-1]))
    n_fac, n_vil = _points(n, a)
    lines = [
        "# Huge pages in the network builder and `travel_costs`",
        "",
        f"{n:,} nodes, {n_runs} fresh processes each way, interleaved "
        f"({time.strftime('%Y-%m-%d %H:%M')}, `python bench/bench_user_path.py --huge-pages-ab "
        f"{n_runs}"
        + (f" --n {a.n}" if a.n else "")
        + (f" --facilities {a.facilities} --villages {a.villages}" if a.facilities else "")
        + "`): median seconds. `network_from_roads` and `travel_costs` ask NumPy for ordinary "
        "pages while they run (`accessibility._arrays.short_lived_arrays`); the second row of "
        "each table keeps NumPy's default, 2 MB huge pages for every array of 4 MB or more.",
        "",
        "`network_from_roads` alone (`--child build`):",
        "",
        "| arrays | wall | user CPU | system CPU | page faults |",
        "|---|---|---|---|---|",
    ]
    for label in labels:
        rs = out["build", label]
        med = {k: statistics.median(r[k] for r in rs) for k in rs[0]}
        lines.append(
            f"| {label} | {med['wall_s']:.2f} s | {med['user_s']:.2f} s | {med['sys_s']:.2f} s "
            f"| {med['page_faults']:,.0f} |"
        )
    lines += [
        "",
        f"`travel_costs` in the chain ({n_fac:,} facilities × {n_vil:,} villages, 60 min, "
        "edge-snapped; `--child chain`; both the builder and `travel_costs` as the row says), "
        "then a second table on the same network (its routing graph and contracted core, made "
        "by the first, kept):",
        "",
        "| arrays | travel_costs wall | CPU (2 threads) | system CPU | chain peak RSS "
        "| second table wall | its CPU |",
        "|---|---|---|---|---|---|---|",
    ]
    for label in labels:
        rs = out["chain", label]

        def med(key: str, step: str = "travel_costs", rs: list[dict] = rs) -> float:
            return statistics.median(r[key][step] for r in rs)

        peak = statistics.median(r["chain_peak_mb"] for r in rs)
        lines.append(
            f"| {label} | {med('times'):.2f} s | {med('cpu'):.2f} s | {med('sys_cpu'):.2f} s "
            f"| {peak:,.0f} MB | {med('times', 'travel_costs_again'):.2f} s "
            f"| {med('cpu', 'travel_costs_again'):.2f} s |"
        )
    return "\n".join(lines) + "\n"


CHILDREN = {
    "chain": child_chain,
    "build": child_build,
    "pbf": child_pbf,
    "nearest": child_nearest,
    "fca": child_fca,
}


# ------------------------------------------------------------------------------------------------
# parent


#: facilities, villages per graph size: the issue's 2,000 x 50,000 at 1M and 5,000 x 150,000 at
#: 3M; smaller graphs get proportionally fewer (a 60-minute reach covers most of a 100k graph)
POINTS = {100_000: (200, 5_000), 300_000: (600, 15_000), 1_000_000: (2_000, 50_000)}


def _points(n: int, a: argparse.Namespace) -> tuple[int, int]:
    if a.facilities and a.villages:
        return a.facilities, a.villages
    if n >= 3_000_000:
        return 5_000, 150_000
    return POINTS.get(n, (max(10, n // 500), max(100, n // 20)))


def _run(step: str, a: argparse.Namespace, n: int, env: dict | None = None) -> dict:
    n_fac, n_vil = _points(n, a)
    cmd = [
        sys.executable,
        str(Path(__file__).resolve()),
        "--child",
        step,
        "--n",
        str(n),
        "--facilities",
        str(n_fac),
        "--villages",
        str(n_vil),
    ]
    full_env = {**os.environ, "PYTHONPATH": str(ROOT), **(env or {})}
    load0 = _load()
    t = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, text=True, env=full_env, check=False)
    wall = time.perf_counter() - t
    if proc.returncode != 0:
        print(proc.stderr[-3000:], file=sys.stderr)
        return {"error": proc.stderr.strip().splitlines()[-1] if proc.stderr else "failed"}
    res = json.loads(proc.stdout.strip().splitlines()[-1])
    res.update(process_s=wall, load=(load0, _load()), facilities=n_fac, villages=n_vil)
    return res


def _chain_s(r: dict) -> float:
    """The whole chain's wall seconds (reading the layer excluded, as in the targets)."""
    return sum(v for k, v in r["times"].items() if k != "read")


def _runs_of(results: dict, a: argparse.Namespace) -> int:
    """Chain processes per size: as the run printed them (``--from-log``), else as asked."""
    counts = [len(r["runs_chain_s"]) for r in results.values() if "runs_chain_s" in r]
    return max(counts) if counts else getattr(a, "runs", 1)


def _median_chain(runs: list[dict]) -> dict:
    """The run with the median chain time, with every run's chain, build and table seconds."""
    ok = sorted((r for r in runs if "times" in r), key=_chain_s)
    if not ok:
        return runs[0]
    return {
        **ok[len(ok) // 2],
        "runs_chain_s": [_chain_s(r) for r in ok],
        "runs_build_s": sorted(r["times"]["network_from_roads"] for r in ok),
        "runs_table_s": sorted(r["times"]["travel_costs"] for r in ok),
    }


def _fmt_load(r: dict) -> str:
    return f"load {r['load'][0]:.1f}→{r['load'][1]:.1f}" if "load" in r else ""


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--sizes", default="1000000")
    p.add_argument("--steps", default=",".join(STEPS))
    p.add_argument("--facilities", type=int, default=0, help="default: scaled to the graph")
    p.add_argument("--villages", type=int, default=0, help="default: scaled to the graph")
    p.add_argument("--child", default=None)
    p.add_argument("--n", type=int, default=0)
    p.add_argument("--out", default=str(HERE / "results" / "user_path.md"))
    p.add_argument("--from-log", default=None, help="re-render the report from a run's printout")
    p.add_argument(
        "--runs",
        type=int,
        default=1,
        help="fresh chain processes per size; the one with the median chain time is shown",
    )
    p.add_argument("--huge-pages", action="store_true", help=argparse.SUPPRESS)
    p.add_argument("--again", action="store_true", help=argparse.SUPPRESS)
    p.add_argument(
        "--huge-pages-ab",
        type=int,
        default=0,
        metavar="N",
        help="time network_from_roads and travel_costs (1M) N times with ordinary and with huge "
        "pages; writes "
        "bench/results/huge_pages.md",
    )
    a = p.parse_args()
    if a.huge_pages_ab:
        text = huge_pages_ab(a, a.huge_pages_ab)
        (HERE / "results" / "huge_pages.md").write_text(text, encoding="utf-8")
        print(text)
        return
    if a.child:
        print(json.dumps(CHILDREN[a.child](a)))
        return
    if a.from_log:
        results = _parse_log(Path(a.from_log).read_text(encoding="utf-8"))
        sizes = sorted({n for n, _ in results if _ != "cold" and _ != "warm"})
        steps = [
            s for s in STEPS if any(k == s or (s == "cold" and k == "cold") for _, k in results)
        ]
        text = report(results, a, sizes or [100_000], steps)
        Path(a.out).write_text(text, encoding="utf-8")
        print(text)
        return
    sizes = [int(s) for s in a.sizes.split(",")]
    steps = a.steps.split(",")
    sys.path.insert(0, str(HERE))
    import road_graphs as rg

    results: dict = {}
    # one untimed run of each graph step fills numba's kernel cache (a run right after the code
    # changed would otherwise time compilation in its first rows; the ``cold`` step times it)
    rg.cached(sizes[0], pbf="pbf" in steps)
    for step in ("chain", "pbf", "nearest"):
        if step in steps:
            print(f"warm-up {step}: fills the kernel cache, not timed", flush=True)
            _run(step, a, sizes[0])
    for n in sizes:
        rg.cached(n, pbf="pbf" in steps)
        for step in steps:
            if step == "cold" or (step == "fca" and n != sizes[0]):
                continue  # the measures do not depend on the graph: once
            print(f"{n:,} {step} ...", flush=True)
            if step == "chain" and a.runs > 1:
                r = _median_chain([_run(step, a, n) for _ in range(a.runs)])
            else:
                r = _run(step, a, n)
            results[(n, step)] = r
            print("   ", r, flush=True)
    if "cold" in steps:
        with tempfile.TemporaryDirectory() as tmp:
            for label in ("cold", "warm"):
                r = _run("chain", a, 100_000, env={"NUMBA_CACHE_DIR": tmp})
                results[(100_000, label)] = r
                print(label, r, flush=True)
    text = report(results, a, sizes, steps)
    Path(a.out).write_text(text, encoding="utf-8")
    print(text)


def _parse_log(text: str) -> dict:
    """The results printed by a run (``N step ...`` then the result dict; ``cold``/``warm`` ...)."""
    import ast

    results: dict = {}
    key = None
    for line in text.splitlines():
        head = line.strip()
        if head.endswith(" ..."):
            n, step = head[:-4].split()
            key = (int(n.replace(",", "")), step)
        elif head.startswith("{") and key is not None:
            results[key] = ast.literal_eval(head)
            key = None
        elif head.startswith(("cold {", "warm {")):
            results[(100_000, head[:4])] = ast.literal_eval(head[5:])
    return results


def _shown(path: str) -> str:
    """``path`` as a command in the repository would name it (relative to the repository)."""
    p = Path(path).resolve()
    return str(p.relative_to(ROOT)) if p.is_relative_to(ROOT) else p.name


def report(results: dict, a: argparse.Namespace, sizes: list[int], steps: list[str]) -> str:
    import numpy as np

    lines = [
        "# The user's path on an independent road graph (issue 17)"
        + ("" if len(sizes) > 1 else f": {sizes[0]:,} nodes"),
        "",
        f"Written by `bench/bench_user_path.py`; command `python bench/bench_user_path.py "
        f"--sizes {','.join(map(str, sizes))} --steps {','.join(steps)}"
        + (f" --facilities {a.facilities} --villages {a.villages}" if a.facilities else "")
        + (f" --runs {_runs_of(results, a)}" if _runs_of(results, a) > 1 else "")
        + (f" --out {_shown(a.out)}`" if Path(a.out).name != "user_path.md" else "`"),
        f"({time.strftime('%Y-%m-%d %H:%M')}, Python {platform.python_version()}, "
        f"numpy {np.__version__}, {os.cpu_count()} cores shared with other work).",
        "",
        "Graph: `bench/road_graphs.py` — a perturbed 200 m grid (junctions moved up to 50 m), "
        "arterials every 5 km (60 km/h), collectors every 1 km (40 km/h), local roads 25 km/h "
        "with 30 % removed, 15 % of the rest tracks (12 km/h), 2 % of lines one-way, rows "
        "shuffled, random OSM node ids; road lines span 1-8 junctions and are split by "
        "`network_from_roads`. Villages and facilities are random points off the roads "
        "(edge-snapped). Every step is timed through the public functions, each group in a fresh "
        "process; peak RSS is that process's `ru_maxrss` (interpreter and libraries included).",
        "",
    ]
    if any(s in steps for s in ("chain", "pbf")):
        lines += [
            "### Chain: facilities × villages, 60 min, car",
            "",
            "Wall seconds, with the process's CPU seconds in brackets (all threads: `travel_costs` "
            "routes on 2 threads). The machine is shared: when the load is well above 2 the wall "
            "time grows with it and the CPU time is the better measure of the work.",
            "",
            "| nodes | facilities × villages | read | network_from_roads | locate (villages + facilities) | travel_costs "
            "| nearest_cost | two_sfca | chain total | peak RSS | pairs | network_from_osm (PBF) "
            "| PBF peak | load |",
            "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|",
        ]
        for n in sizes:
            c = results.get((n, "chain"), {})
            pb = results.get((n, "pbf"), {})
            if "times" in c:
                t = c["times"]
                u = c.get("cpu", t)

                def wc(*keys, t=t, u=u, d=1):
                    w, p = sum(t[k] for k in keys), sum(u[k] for k in keys)
                    return f"{w:.{d}f} s ({p:.{d}f})"

                cells = [
                    f"{c['n_nodes']:,}",
                    f"{c['facilities']:,} × {c['villages']:,}",
                    wc("read"),
                    wc("network_from_roads"),
                    wc("locate_villages", "locate_facilities"),
                    wc("travel_costs"),
                    wc("nearest_cost", d=2),
                    wc("two_sfca", d=2),
                    wc(*t),
                    f"{c['peak_mb']:,.0f} MB",
                    f"{c['n_pairs']:,}",
                ]
            else:
                cells = [f"{n:,}", *(["—"] * 10)]
            cells += (
                [f"{pb['wall_s']:.1f} s ({pb.get('cpu_s', 0):.1f})", f"{pb['peak_mb']:,.0f} MB"]
                if "wall_s" in pb
                else ["—", "—"]
            )
            cells.append(_fmt_load(c))
            lines.append("| " + " | ".join(cells) + " |")
        lines.append("")
        for n in sizes:
            c = results.get((n, "chain"), {})
            if "runs_chain_s" in c:
                lines.append(
                    f"- {n:,} nodes: the chain ran in {len(c['runs_chain_s'])} fresh processes; "
                    "the row is the one with the median chain time. Chain "
                    + ", ".join(f"{x:.1f}" for x in c["runs_chain_s"])
                    + " s; `network_from_roads` "
                    + ", ".join(f"{x:.1f}" for x in c["runs_build_s"])
                    + " s; `travel_costs` "
                    + ", ".join(f"{x:.1f}" for x in c["runs_table_s"])
                    + " s."
                )
        lines.append("")
    if "nearest" in steps:
        lines += [
            "### Nearest facility for every node vs SciPy (same CSR arrays, same numbering)",
            "",
            "Best of 5, wall seconds with CPU seconds in brackets (both run on one thread, so the "
            "CPU ratio is the one other jobs on the machine disturb least).",
            "",
            "| nodes | ours `nearest_k` (k=1, time only) | SciPy `dijkstra(min_only=True)` "
            "| ours vs SciPy, wall | ours vs SciPy, CPU | same reach, max diff | load |",
            "|---|---|---|---|---|---|---|",
        ]
        for n in sizes:
            r = results.get((n, "nearest"), {})
            if "ours_s" in r:
                oc, sc = r.get("ours_cpu_s", np.nan), r.get("scipy_cpu_s", np.nan)
                lines.append(
                    f"| {n:,} | {r['ours_s']:.2f} s ({oc:.2f}) | {r['scipy_s']:.2f} s ({sc:.2f}) | "
                    f"{r['scipy_s'] / r['ours_s']:.2f}x | {sc / oc:.2f}x | "
                    f"{r['same_reach']}, {r['max_diff']:.1e} | {_fmt_load(r)} |"
                )
        lines.append("")
    if "fca" in steps:
        r = results.get((sizes[0], "fca"), {})
        lines += [
            "### FCA measures vs PySAL `access`, 1M pairs (20,000 villages × 100 facilities, as `bench/bench_measures.py`)",
            "",
            "| measure | ours (best of 3) | PySAL access (best of 3) | speed-up | speed-up, CPU seconds | max relative difference |",
            "|---|---|---|---|---|---|",
        ]
        for name, row in r.items():
            if isinstance(row, dict) and "ours_s" in row:
                cpu = row.get("pysal_cpu_s", float("nan")) / row.get("ours_cpu_s", float("nan"))
                lines.append(
                    f"| {name} | {row['ours_s']:.3f} s | {row['pysal_s']:.2f} s | "
                    f"{row['pysal_s'] / row['ours_s']:.1f}x | {cpu:.1f}x | "
                    f"{row['max_rel_diff']:.1e} |"
                )
        lookup = r.get("lookup", {})
        if lookup:
            lines += [
                "",
                "The text-id lookup alone (`accessibility/measures/_text_ids.py`) against Arrow's "
                "`pyarrow.compute.index_in`, best of 5: "
                + "; ".join(
                    f"{x['ids']:,} {col} ids among {x['labels']:,} labels {x['ours_s'] * 1e3:.1f} "
                    f"ms vs {x['arrow_s'] * 1e3:.1f} ms ({x['arrow_s'] / x['ours_s']:.1f}x, "
                    f"{'the same positions' if x['same'] else 'POSITIONS DIFFER'})"
                    for col, x in lookup.items()
                )
                + ".",
            ]
        lines.append("")
    if "cold" in steps:
        cold = results.get((100_000, "cold"), {})
        warm = results.get((100_000, "warm"), {})
        if "process_s" in cold and "process_s" in warm:
            cc, wc_ = sum(cold.get("cpu", {}).values()), sum(warm.get("cpu", {}).values())
            lines += [
                "### Cold start (100k chain, fresh process)",
                "",
                f"- Empty numba cache (every kernel compiles): {cold['process_s']:.1f} s for the "
                f"whole process, {cc:.1f} s CPU in the timed steps; the same with the cache "
                f"filled: {warm['process_s']:.1f} s, {wc_:.1f} s CPU. Compilation costs about "
                f"{cc - wc_:.0f} s CPU once per install, nearly all of it in `travel_costs` "
                f"(the search and contraction kernels) ({_fmt_load(cold)}).",
                "",
            ]
    lines += _targets(results)
    return "\n".join(lines) + "\n"


def _targets(results: dict) -> list[str]:
    """Issue 17's targets against this run (1M rows; wall seconds, CPU in brackets)."""
    c = results.get((1_000_000, "chain"), {})
    pb = results.get((1_000_000, "pbf"), {})
    nr = results.get((1_000_000, "nearest"), {})
    fca = next((r for (_, k), r in results.items() if k == "fca"), {})
    if not (c or pb or nr or fca):
        return []
    out = ["### Targets (issue 17), 1M-node rows of this run", ""]

    def verdict(ok: bool) -> str:
        return "**met**" if ok else "**NOT met**"

    if "times" in c:
        t, u, r = c["times"], c.get("cpu", c["times"]), c["rss"]
        runs = len(c.get("runs_build_s", [])) or 1
        # with several runs, each step's target is judged on its median over the runs
        build = statistics.median_high(c["runs_build_s"]) if runs > 1 else t["network_from_roads"]
        of = f"median of {runs} fresh processes, " if runs > 1 else ""
        out.append(
            f"- `network_from_roads` ≤ 5 s and ≤ 1.5 GB: {verdict(build <= 5 and r['network_from_roads'] <= 1536)} "
            f"({of}{build:.1f} s wall; the row's run {u['network_from_roads']:.1f} s CPU; peak "
            f"{r['network_from_roads']:,.0f} MB after it)"
        )
        tc = statistics.median_high(c["runs_table_s"]) if runs > 1 else t["travel_costs"]
        out.append(
            f"- `travel_costs` {c['facilities']:,} × {c['villages']:,}, 60 min, edge-snapped ≤ 8 s: "
            f"{verdict(tc <= 8)} ({of}{tc:.1f} s wall; the row's run {u['travel_costs']:.1f} s "
            f"CPU on 2 threads, {c['n_pairs']:,} pairs)"
        )
        chain = sum(t[k] for k in t if k != "read")
        out.append(
            f"- whole chain (build, locate, table, nearest, 2SFCA) ≤ 15 s, peak ≤ 2 GB: "
            f"{verdict(chain <= 15 and c['peak_mb'] <= 2048)} ({chain:.1f} s wall, "
            f"{sum(u[k] for k in u if k != 'read'):.1f} s CPU; peak {c['peak_mb']:,.0f} MB)"
        )
    if "wall_s" in pb:
        out.append(
            f"- reading a 1M-node PBF (`network_from_osm`) ≤ 10 s: {verdict(pb['wall_s'] <= 10)} "
            f"({pb['wall_s']:.1f} s wall, {pb.get('cpu_s', float('nan')):.1f} s CPU)"
        )
    if "ours_s" in nr:
        ratio = nr["scipy_s"] / nr["ours_s"]
        cpu = nr.get("scipy_cpu_s", float("nan")) / nr.get("ours_cpu_s", float("nan"))
        out.append(
            f"- nearest facility for every node ≥ 1.5× SciPy `min_only` (same numbering): "
            f"{verdict(min(ratio, cpu) >= 1.5)} ({ratio:.2f}× wall: ours {nr['ours_s']:.2f} s, "
            f"SciPy {nr['scipy_s']:.2f} s; {cpu:.2f}× CPU; same process)"
        )
    rows = {k: v for k, v in fca.items() if isinstance(v, dict) and "ours_s" in v}
    if rows:
        worst = min(v["pysal_s"] / v["ours_s"] for v in rows.values())
        out.append(
            f"- every FCA measure ≥ 10× PySAL `access` on 1M pairs, equal results: "
            f"{verdict(worst >= 10)} (slowest ratio {worst:.1f}×; "
            + ", ".join(f"{k} {v['pysal_s'] / v['ours_s']:.1f}×" for k, v in rows.items())
            + "; in CPU seconds "
            + ", ".join(
                f"{k} {v.get('pysal_cpu_s', float('nan')) / v.get('ours_cpu_s', float('nan')):.1f}×"
                for k, v in rows.items()
            )
            + ")"
        )
    cold = results.get((100_000, "cold"), {})
    warm = results.get((100_000, "warm"), {})
    if "process_s" in cold and "process_s" in warm:
        out.append(
            f"- first run on a fresh install: kernel compilation adds "
            f"{sum(cold['cpu'].values()) - sum(warm['cpu'].values()):.0f} s CPU "
            f"({cold['process_s'] - warm['process_s']:.0f} s wall under this load) to the 100k "
            "chain; the first `accessibility demo` (the issue's ≤ 30 s target) is timed by "
            "`bench/bench_cold_start.py` (section below)"
        )
    peak_load = max((max(r["load"]) for r in results.values() if "load" in r), default=0.0)
    out += [
        "",
        "Why (from the profiles behind this run):",
        "",
        f"- **Load.** The 1-minute load on the 2 cores reached {peak_load:.1f} during the run "
        "(other jobs share the machine); wall seconds grow with it, CPU seconds much less. "
        "Ratios against SciPy and PySAL come from the same process.",
    ]
    why = {
        "chain": [
            "- **`network_from_roads`.** Candidates for crossings and T-junctions come from "
            "uniform grids over segment boxes (numba, `accessibility/network/boxes.py`) holding "
            "items and queries in cell order (rows of a road layer come in any order); crossings "
            "that are only counted are counted on a second thread while the lines are split; "
            "T-junction candidates at shared junctions are dropped in the kernel; classes and "
            "one-way texts are coded once; node ranks by counting; components by union-find; "
            "each mode's routing graph is built when routing first asks; distinct vertices by a "
            "hash kernel on their coordinates' bits, the node order's Hilbert index by a kernel; "
            "the network keeps a fingerprint of its fixed columns, not a copy. The builder's "
            "arrays are made, read and freed within a step or two, so it asks NumPy for ordinary "
            "pages instead of 2 MB huge pages while it runs (fresh huge pages are expensive on "
            "this virtual machine: `python bench/bench_user_path.py --huge-pages-ab 5` times "
            "the build and the tables both ways). What is left is GEOS making 1.5M edge lines and 0.9M node "
            "points (holding the GIL), reading the coordinates, the box kernels and, in a fresh "
            "process, importing the network package and numba's first load (its registries and "
            "SciPy's `scipy.linalg`, imported by numba itself).",
            "- **`travel_costs`.** On this grid nearly every junction has degree 3–4: contracting "
            "without witness searches kept most junctions (every removed junction added a "
            "shortcut per turn). When at least 70 % of the nodes to contract are junctions, "
            "shortcuts with a witness path of up to four arcs (two forwards, two backwards) are "
            "left out and the core is much smaller; the routing benchmark's graph (60 % junctions) "
            "stays on the plain path. The searches use the nearest search's bucket queue (below) "
            "and the routed pieces are regrouped by origin into the table column by column; the "
            "searches and the contraction grow their arrays outside their loops (docs/routing.md) "
            "and ask NumPy for ordinary pages, as the builder does. "
            "Graphs of 200,000 nodes or more are contracted in two parts on two threads (node "
            "ranges contracted on their own, keeping their border, then together). What remains: "
            "the contraction (its witness searches most of it), the 2,000 searches on two "
            "threads and the regrouping on one.",
            "- **`locate`.** One box query of the edges' tree per point and one vectorised "
            "distance settle almost every point exactly; the rest take the nearest-edge query.",
            "- **Memory.** The process holds about 1.3 GB after `network_from_roads` (the "
            "network, its node and edge geometries above all); the car graph, its reverse and the contracted "
            "core and the 12.4M-pair table (int32 ids, time and distance) make the rest; the peak "
            "comes in `travel_costs`, in the contraction's working memory (its adjacency pools); "
            "the routed pieces hold int32 ids and the threads' freed buffers go back to the "
            "system after each piece. "
            "The measures add little above the table: they read the table's categorical codes and "
            "cost column as they are (read-only views), `nearest_cost` takes one minimum per "
            "origin's run of rows and the 2SFCA sums make a step decay's weights on the fly.",
        ],
        "pbf": [
            "- **`network_from_osm` (PBF).** The road ways are decoded by one numba kernel per "
            "PBF block into arrays (`accessibility/_pbf.py`; pyosmium reads what it does not "
            "decode, XML included, with the same result; old and new side by side: "
            "`python bench/bench_osm_pbf.py --sizes 300000,1000000 --peak`). The rest is the builder shared with `network_from_roads` "
            "(splitting, components, speeds) and, in a fresh process, imports and loading the "
            "kernels.",
        ],
        "nearest": [
            "- **Nearest for every node.** One multi-source Dijkstra from all facilities, its "
            "queue a bucket queue of cost: buckets as wide as the shortest arc of positive cost, "
            "settled last in, first out (a heap per bucket when arc costs span too wide a range), "
            "each bucket a list in a pool whose settled entries are reused, with a prefetch along "
            "the list; a label lowered after it was settled (ties, rounding at a bucket edge) is "
            "corrected and relaxed again, so costs equal SciPy's bit for bit (a graph with "
            "zero-cost arcs takes a heap per bucket). The 4-ary heap it replaced and a "
            "radix heap on the costs' bits were both slower than SciPy.",
        ],
        "fca": [
            "- **2SFCA vs PySAL.** The benchmark's table has text ids (Arrow-backed strings); "
            "looking 2 × 1M of them up in the layers' indexes is the largest part of our time: a "
            "compiled open-addressing table over the Arrow buffers (`accessibility/measures/"
            "_text_ids.py`, ids of up to 24 bytes, each read as three 8-byte words; the FCA section "
            "compares it with Arrow's `index_in`, which longer ids still use). The rest is a few passes over the 1M pairs (the decay, the "
            "duplicate check, the two weighted sums: one compiled pass each, "
            "`accessibility/measures/_sums.py`) and the page faults of their fresh arrays, which "
            "grow with the machine's load. Tables from `travel_costs` carry categorical ids and "
            "skip the lookup (the categorical row).",
        ],
    }
    run = {k for _, k in results}
    out += [line for step, lines in why.items() if step in run for line in lines]
    out.append("")

    return out


if __name__ == "__main__":
    main()
