"""Routing benchmark: our engine vs scipy csgraph, networkx and pandana on road-like graphs.

Every case runs in its own subprocess so that its peak memory (``ru_maxrss``) is its own. The
graphs come from :mod:`bench.graphs` (deterministic, cached under ``bench/_cache/``). Facilities and
villages are random nodes with a random off-network leg (0-5 min), capacities and populations.

Usage::

    python bench/bench_routing.py --quick          # 100k graph only, a couple of minutes
    python bench/bench_routing.py                  # 100k and 1M graphs (generation ~2 min once)
    python bench/bench_routing.py --cases ours_table,scipy_min_only --sizes 1000000

Writes ``bench/results/routing.md`` (``--out``) and prints the same table.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent))

from graphs import road_graph, summary  # noqa: E402

ALL_CASES = [
    "ours_table",
    "ours_table_hilbert",
    "scipy_dense",
    "ours_nearest",
    "ours_nearest_hilbert",
    "scipy_min_only",
    "networkx",
    "ours_opportunities",
    "pandana_aggregate",
]


# ------------------------------------------------------------------------------------------
# inputs
# ------------------------------------------------------------------------------------------


def _inputs(n: int, n_fac: int, n_vil: int) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(42)
    return {
        "fac_node": rng.choice(n, n_fac, replace=False).astype(np.int64),
        "fac_leg": rng.uniform(0, 5, n_fac),
        "fac_cap": rng.integers(10, 200, n_fac).astype(np.float64),
        "vil_node": rng.choice(n, n_vil, replace=False).astype(np.int64),
        "vil_leg": rng.uniform(0, 5, n_vil),
        "vil_pop": rng.integers(100, 3000, n_vil).astype(np.float64),
    }


def _graph(n: int, hilbert: bool = False):
    from accessibility.routing import csr_from_arcs, permute_graph, spatial_order

    g = road_graph(n)
    csr = csr_from_arcs(n, g["tail"], g["head"], g["cost_min"], g["length_m"], g["edge"])
    new_id = np.arange(n, dtype=np.int64)
    t_renumber = 0.0
    if hilbert:
        t0 = time.perf_counter()
        csr, new_id = permute_graph(csr, spatial_order(g["x"], g["y"]))
        t_renumber = time.perf_counter() - t0
    return g, csr, new_id, t_renumber


def _warmup() -> float:
    """Load (or compile) the numba kernels on a tiny graph; returns seconds."""
    from accessibility.routing import csr_from_arcs, many_to_many, nearest_k, opportunities_within

    t0 = time.perf_counter()
    g = csr_from_arcs(3, [0, 1], [1, 2], [1.0, 1.0])
    many_to_many(g, source_id=[0], source_node=[0], target_id=[0], target_node=[2], n_jobs=1)
    nearest_k(g, source_id=[0], source_node=[0], target_id=[0], target_node=[2], k=1)
    opportunities_within(g, source_node=[0], weight=[1.0], max_cost=5.0, n_jobs=1)
    return time.perf_counter() - t0


def _two_sfca(fac, vil, cost, pop, cap, n_fac, n_vil, d0):
    """2SFCA (Luo & Wang 2003) with a step decay at d0 minutes, from a long cost table."""
    within = cost <= d0
    f, v = fac[within], vil[within]
    demand = np.bincount(f, weights=pop[v], minlength=n_fac)
    ratio = np.divide(cap, demand, out=np.zeros(n_fac), where=demand > 0)
    return np.bincount(v, weights=ratio[f], minlength=n_vil)


# ------------------------------------------------------------------------------------------
# cases (each returns a dict of figures)
# ------------------------------------------------------------------------------------------


def case_ours_table(a, hilbert=False):
    from accessibility.routing import many_to_many

    compile_s = _warmup()
    n, limit = a.n, 60.0
    t0 = time.perf_counter()
    _, csr, new_id, t_ren = _graph(n, hilbert)
    rev = csr.reversed()
    t_graph = time.perf_counter() - t0
    x = _inputs(n, a.facilities, a.villages)
    t0 = time.perf_counter()
    # village -> facility times: search from each facility on the reversed graph
    res = many_to_many(
        rev,
        source_id=np.arange(a.facilities),
        source_node=new_id[x["fac_node"]],
        source_cost=x["fac_leg"],
        target_id=np.arange(a.villages),
        target_node=new_id[x["vil_node"]],
        target_cost=x["vil_leg"],
        max_cost=limit,
        n_jobs=a.threads,
    )
    t_table = time.perf_counter() - t0
    fac, vil, cost = res["source"], res["target"], res["cost"]
    nearest = np.full(a.villages, np.inf)
    np.minimum.at(nearest, vil, cost)
    acc = _two_sfca(fac, vil, cost, x["vil_pop"], x["fac_cap"], a.facilities, a.villages, 30.0)
    t_total = time.perf_counter() - t0
    np.save(a.scratch / f"nearest_{n}_{'h' if hilbert else 'r'}.npy", nearest)
    return {
        "wall_s": t_total,
        "table_s": t_table,
        "graph_s": t_graph,
        "renumber_s": t_ren,
        "jit_load_s": compile_s,
        "pairs": int(cost.size),
        "reachable_villages": int(np.isfinite(nearest).sum()),
        "acc_sum": float(acc.sum()),
    }


def case_ours_table_hilbert(a):
    return case_ours_table(a, hilbert=True)


def case_scipy_dense(a):
    """scipy dijkstra per facility with limit (dense n-wide rows); a sample, extrapolated."""
    import scipy.sparse as sp
    from scipy.sparse.csgraph import dijkstra

    g = road_graph(a.n)
    mat = sp.csr_matrix((g["cost_min"], (g["head"], g["tail"])), shape=(a.n, a.n))  # reversed
    mat.sum_duplicates()  # no parallel arcs in the generator, so summing is safe
    x = _inputs(a.n, a.facilities, a.villages)
    sample = x["fac_node"][: a.scipy_sample]
    t0 = time.perf_counter()
    settled = 0
    for s in sample:
        d = dijkstra(mat, indices=int(s), limit=60.0)
        settled += int(np.isfinite(d).sum())
    dt = time.perf_counter() - t0
    return {
        "per_source_ms": 1000 * dt / len(sample),
        "extrapolated_s": dt / len(sample) * a.facilities,
        "settled_per_source": settled / len(sample),
        "dense_bytes_all": a.n * 8 * a.facilities,
        "sample": len(sample),
    }


def case_ours_nearest(a, hilbert=False):
    from accessibility.routing import nearest_k

    compile_s = _warmup()
    _, csr, new_id, _ = _graph(a.n, hilbert)
    rev = csr.reversed()
    x = _inputs(a.n, a.facilities, a.villages)
    t0 = time.perf_counter()
    res = nearest_k(
        rev,
        source_id=np.arange(a.facilities),
        source_node=new_id[x["fac_node"]],
        target_id=np.arange(a.villages),
        target_node=new_id[x["vil_node"]],
        k=1,
        max_cost=60.0,
    )
    dt = time.perf_counter() - t0
    nearest = np.full(a.villages, np.inf)
    nearest[res["target"]] = res["cost"]
    np.save(a.scratch / f"nearest_nodes_{a.n}_{'h' if hilbert else 'r'}.npy", nearest)
    return {"wall_s": dt, "jit_load_s": compile_s, "found": int(res["target"].size)}


def case_ours_nearest_hilbert(a):
    return case_ours_nearest(a, hilbert=True)


def case_scipy_min_only(a):
    import scipy.sparse as sp
    from scipy.sparse.csgraph import dijkstra

    g = road_graph(a.n)
    mat = sp.csr_matrix((g["cost_min"], (g["head"], g["tail"])), shape=(a.n, a.n))
    x = _inputs(a.n, a.facilities, a.villages)
    t0 = time.perf_counter()
    d = dijkstra(mat, indices=x["fac_node"], min_only=True, limit=60.0)
    nearest = d[x["vil_node"]]
    dt = time.perf_counter() - t0
    np.save(a.scratch / f"nearest_scipy_{a.n}.npy", nearest)
    return {"wall_s": dt, "found": int(np.isfinite(nearest).sum())}


def case_networkx(a):
    import networkx as nx

    from accessibility.routing import many_to_many

    g = road_graph(a.n)
    G = nx.DiGraph()
    G.add_weighted_edges_from(
        zip(g["head"].tolist(), g["tail"].tolist(), g["cost_min"].tolist(), strict=True)
    )
    x = _inputs(a.n, a.facilities, a.villages)
    sample = x["fac_node"][: a.nx_sample]
    t0 = time.perf_counter()
    for s in sample:
        nx.single_source_dijkstra_path_length(G, int(s), cutoff=60.0)
    dt = time.perf_counter() - t0
    # ours on the first 200 facilities, one thread, for the per-source ratio
    _warmup()
    _, csr, _, _ = _graph(a.n)
    rev = csr.reversed()
    ours_sample = x["fac_node"][:200]
    t1 = time.perf_counter()
    many_to_many(
        rev,
        source_id=np.arange(len(ours_sample)),
        source_node=ours_sample,
        target_id=np.arange(a.villages),
        target_node=x["vil_node"],
        max_cost=60.0,
        n_jobs=1,
    )
    ours = time.perf_counter() - t1
    return {
        "per_source_ms": 1000 * dt / len(sample),
        "extrapolated_s": dt / len(sample) * a.facilities,
        "ours_per_source_ms_1thread": 1000 * ours / len(ours_sample),
        "sample": len(sample),
    }


def case_ours_opportunities(a):
    from accessibility.routing import opportunities_within

    compile_s = _warmup()
    _, csr, _, _ = _graph(a.n)
    rev = csr.reversed()
    x = _inputs(a.n, a.facilities, a.villages)
    t0 = time.perf_counter()
    acc = opportunities_within(
        rev, source_node=x["fac_node"], weight=x["fac_cap"], max_cost=30.0, n_jobs=a.threads
    )
    dt = time.perf_counter() - t0
    np.save(a.scratch / f"opp_ours_{a.n}.npy", acc)
    return {"wall_s": dt, "jit_load_s": compile_s}


def case_pandana_aggregate(a):
    import pandana
    import pandas as pd

    g = road_graph(a.n)
    x = _inputs(a.n, a.facilities, a.villages)
    nodes = pd.DataFrame({"x": g["x"], "y": g["y"]})
    edges = pd.DataFrame({"from": g["tail"], "to": g["head"], "w": g["cost_min"]})
    t0 = time.perf_counter()
    net = pandana.Network(
        nodes["x"], nodes["y"], edges["from"], edges["to"], edges[["w"]], twoway=False
    )
    net.precompute(30.0)
    t_build = time.perf_counter() - t0
    net.set(pd.Series(x["fac_node"]), variable=pd.Series(x["fac_cap"]), name="cap")
    t0 = time.perf_counter()
    res = net.aggregate(30.0, type="sum", decay="flat", name="cap")
    dt = time.perf_counter() - t0
    np.save(a.scratch / f"opp_pandana_{a.n}.npy", res.reindex(range(a.n)).to_numpy(float))
    return {"wall_s": dt, "build_s": t_build}


# ------------------------------------------------------------------------------------------
# runner
# ------------------------------------------------------------------------------------------


def _run_case(name: str, a: argparse.Namespace) -> dict:
    cmd = [
        sys.executable,
        __file__,
        "--case",
        name,
        "--n",
        str(a.n),
        "--facilities",
        str(a.facilities),
        "--villages",
        str(a.villages),
        "--threads",
        str(a.threads),
        "--scipy-sample",
        str(a.scipy_sample),
        "--nx-sample",
        str(a.nx_sample),
    ]
    t0 = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=a.timeout)
    wall = time.perf_counter() - t0
    start = proc.stdout.rfind('{"')  # pandana prints progress on the same line
    if proc.returncode != 0 or start < 0:
        err = (proc.stderr.strip().splitlines() or ["no output"])[-1]
        return {"error": err[:200], "process_s": wall}
    out = json.loads(proc.stdout[start:].splitlines()[0])
    out["process_s"] = wall
    return out


def _child(a: argparse.Namespace) -> None:
    a.scratch = HERE / "_cache"
    base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    out = globals()[f"case_{a.case}"](a)
    ru = resource.getrusage(resource.RUSAGE_SELF)
    out["peak_rss_mb"] = ru.ru_maxrss / 1024
    out["cpu_s_process"] = ru.ru_utime + ru.ru_stime
    out["load_avg_1min"] = os.getloadavg()[0]
    out["start_rss_mb"] = base / 1024
    print(json.dumps(out))


def _versions() -> str:
    import numba
    import scipy

    parts = [f"Python {platform.python_version()}", f"numpy {np.__version__}"]
    parts += [f"scipy {scipy.__version__}", f"numba {numba.__version__}"]
    for mod in ("networkx", "pandana"):
        try:
            parts.append(f"{mod} {__import__(mod).__version__}")
        except Exception as exc:  # report, do not fail
            parts.append(f"{mod} unavailable ({type(exc).__name__})")
    return ", ".join(parts)


def _machine() -> str:
    cpu = platform.processor() or "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 1024**3
    return f"{cpu}, {os.cpu_count()} cores, {mem:.0f} GB RAM, {platform.system()}"


def _fmt(v, unit="s"):
    if v is None:
        return "—"
    return f"{v:.2f} {unit}" if v >= 0.1 else f"{v * 1000:.1f} ms" if unit == "s" else f"{v}"


def _report(results: dict, a: argparse.Namespace, graphs_info: dict) -> str:
    lines = [
        "# Routing benchmark",
        "",
        f"Machine: {_machine()}  ",
        f"Versions: {_versions()}  ",
        f"Threads for our engine: {a.threads}. Facilities: {a.facilities}, villages: "
        f"{a.villages}, random off-network legs 0-5 min. Command: `{' '.join(a.argv)}`",
        "",
        "Graphs (bench/graphs.py, deterministic): ",
    ]
    lines += [f"- {k:,} nodes: {v}" for k, v in graphs_info.items()]
    lines += ["", "| graph | case | wall | ratio | peak RSS | notes |", "|---|---|---|---|---|---|"]
    targets = []
    for n, res in results.items():

        def get(name, key="wall_s", res=res):
            r = res.get(name, {})
            return r.get(key)

        def row(name, wall, ratio="", notes="", res=res, n=n):
            r = res.get(name, {})
            if "error" in r:
                lines.append(f"| {n:,} | {name} | failed | | | {r['error']} |")
                return
            if not r:
                return
            rss = f"{r.get('peak_rss_mb', 0):.0f} MB"
            lines.append(f"| {n:,} | {name} | {_fmt(wall)} | {ratio} | {rss} | {notes} |")

        t = res.get("ours_table", {})
        if t and "error" not in t:
            row(
                "ours_table",
                t["wall_s"],
                "",
                f"table {t['table_s']:.2f} s + nearest + 2SFCA; {t['pairs']:,} pairs; "
                f"random numbering; CSR build {t['graph_s']:.2f} s, JIT load "
                f"{t['jit_load_s']:.2f} s not included",
            )
        else:
            row("ours_table", None)
        th = res.get("ours_table_hilbert", {})
        if th and "error" not in th:
            ratio = f"{t['wall_s'] / th['wall_s']:.2f}x vs random" if t and "wall_s" in t else ""
            row(
                "ours_table_hilbert",
                th["wall_s"],
                ratio,
                f"Hilbert renumbered (renumbering {th['renumber_s']:.2f} s, once per network)",
            )
        else:
            row("ours_table_hilbert", None)
        sd = res.get("scipy_dense", {})
        if sd and "error" not in sd:
            best = (
                min(x for x in (get("ours_table"), get("ours_table_hilbert")) if x) if t else None
            )
            ratio = f"ours {sd['extrapolated_s'] / best:.1f}x scipy speed" if best else ""
            row(
                "scipy_dense",
                sd["extrapolated_s"],
                ratio,
                f"EXTRAPOLATED from {sd['sample']} sources ({sd['per_source_ms']:.1f} ms each, "
                f"{sd['settled_per_source']:.0f} nodes within 60 min); dense rows for all "
                f"sources would need {sd['dense_bytes_all'] / 1e9:.1f} GB",
            )
        else:
            row("scipy_dense", None)
        sm = get("scipy_min_only")
        for name in ("ours_nearest", "ours_nearest_hilbert"):
            w = get(name)
            ratio = f"{sm / w:.2f}x scipy min_only" if w and sm else ""
            row(name, w, ratio, "nearest_k k=1, one pass, one thread")
        row("scipy_min_only", sm, "", "dijkstra(indices=facilities, min_only=True, limit=60)")
        nxr = res.get("networkx", {})
        if nxr and "error" not in nxr:
            row(
                "networkx",
                nxr["extrapolated_s"],
                f"{nxr['per_source_ms'] / nxr['ours_per_source_ms_1thread']:.0f}x slower than ours "
                "(1 thread each)",
                f"EXTRAPOLATED from {nxr['sample']} sources ({nxr['per_source_ms']:.0f} ms vs ours "
                f"{nxr['ours_per_source_ms_1thread']:.1f} ms per source)",
            )
        else:
            row("networkx", None)
        po, pp = get("ours_opportunities"), get("pandana_aggregate")
        pb = get("pandana_aggregate", "build_s")
        same = res.get("_opp_compare", "")
        row(
            "ours_opportunities",
            po,
            f"{pp / po:.2f}x pandana aggregate alone; {(pp + pb) / po:.0f}x incl. its build"
            if po and pp and pb is not None
            else "",
            f"capacity within 30 min at every node; {same}",
        )
        pb = get("pandana_aggregate", "build_s")
        row(
            "pandana_aggregate",
            pp,
            "",
            f"aggregate(30, sum, flat); build+precompute {_fmt(pb)}" if pb is not None else "",
        )
        # targets
        best_table = [x for x in (get("ours_table"), get("ours_table_hilbert")) if x]
        rss = [
            res[c]["peak_rss_mb"]
            for c in ("ours_table", "ours_table_hilbert")
            if c in res and "peak_rss_mb" in res[c]
        ]
        if n >= 1_000_000 and best_table:
            ok = min(best_table) <= 10 and max(rss) <= 2048
            targets.append(
                f"- 1M table + nearest + 2SFCA ≤ 10 s and ≤ 2 GB: **{'met' if ok else 'NOT met'}** "
                f"({min(best_table):.2f} s best numbering, peak RSS {max(rss):.0f} MB)"
            )
            near = [x for x in (get("ours_nearest"), get("ours_nearest_hilbert")) if x]
            if near and sm:
                ok = min(near) <= sm
                targets.append(
                    f"- 1M nearest no slower than scipy min_only: **{'met' if ok else 'NOT met'}** "
                    f"(ours {min(near):.2f} s vs scipy {sm:.2f} s)"
                )
        if n < 1_000_000 and po and pp:
            ok = pp / po >= 100
            targets.append(
                f"- {n:,}-node opportunities ≥ 100x faster than pandana: "
                f"**{'met' if ok else 'NOT met'}** ({pp / po:.2f}x against `aggregate` alone, "
                f"{(pp + (pb or 0)) / po:.0f}x counting pandana's network build + precompute; "
                f"{same})"
            )
        elif n < 1_000_000 and po and "error" in res.get("pandana_aggregate", {}):
            targets.append(f"- {n:,}-node opportunities vs pandana: pandana failed to run")
    lines += ["", "Targets (issue 3):", *targets, ""]
    lines += [
        "Cases run in separate processes; peak RSS is each process's `ru_maxrss` (includes the "
        "interpreter, numpy/scipy and the graph arrays). 'wall' excludes loading the cached graph "
        "and the numba JIT load, which are reported in the notes. EXTRAPOLATED rows ran a sample "
        "of sources and scale linearly.",
        "",
    ]
    return "\n".join(lines)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--quick", action="store_true", help="100k graph only")
    p.add_argument("--sizes", default=None, help="comma-separated node counts")
    p.add_argument("--cases", default=",".join(ALL_CASES))
    p.add_argument("--facilities", type=int, default=2000)
    p.add_argument("--villages", type=int, default=50000)
    p.add_argument("--threads", type=int, default=os.cpu_count() or 1)
    p.add_argument("--scipy-sample", type=int, default=50)
    p.add_argument("--nx-sample", type=int, default=10)
    p.add_argument("--timeout", type=float, default=1800)
    p.add_argument("--out", default=str(HERE / "results" / "routing.md"))
    p.add_argument("--case", help=argparse.SUPPRESS)
    p.add_argument("--n", type=int, help=argparse.SUPPRESS)
    a = p.parse_args()
    if a.case:
        _child(a)
        return
    a.argv = ["python", "bench/bench_routing.py", *sys.argv[1:]]
    sizes = [100_000] if a.quick else [100_000, 1_000_000]
    if a.sizes:
        sizes = [int(s) for s in a.sizes.split(",")]
    cases = a.cases.split(",")
    results: dict[int, dict] = {}
    info = {}
    for n in sizes:
        t0 = time.perf_counter()
        info[n] = summary(road_graph(n))
        print(f"graph {n:,}: {info[n]} ({time.perf_counter() - t0:.1f} s)", flush=True)
        a.n = n
        res: dict = {}
        for name in cases:
            if name in ("ours_opportunities", "pandana_aggregate", "networkx") and n > 100_000:
                continue  # issue targets these on the 100k graph (networkx on 1M: minutes)
            r = _run_case(name, a)
            res[name] = r
            print(f"  {name}: {json.dumps(r)}", flush=True)
        cache = HERE / "_cache"
        fo, fp = cache / f"opp_ours_{n}.npy", cache / f"opp_pandana_{n}.npy"
        if "wall_s" in res.get("pandana_aggregate", {}) and fo.exists() and fp.exists():
            o, q = np.load(fo), np.load(fp)
            diff = np.abs(o - q)
            res["_opp_compare"] = (
                f"{int((diff > 1e-6).sum())} of {n:,} nodes differ from pandana "
                f"(max abs diff {diff.max():.3g})"
            )
        near = [cache / f"nearest_nodes_{n}_r.npy", cache / f"nearest_scipy_{n}.npy"]
        if all(f.exists() for f in near):
            d = np.abs(np.load(near[0]) - np.load(near[1]))
            d = d[np.isfinite(d)]
            print(f"  nearest ours vs scipy min_only: max abs diff {d.max() if d.size else 0:.3g}")
        results[n] = res
    text = _report(results, a, info)
    print(text)
    out = Path(a.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    from accessibility._files import atomic_path

    with atomic_path(out) as tmp:
        Path(tmp).write_text(text, encoding="utf-8")


if __name__ == "__main__":
    main()
