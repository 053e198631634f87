"""Routing benchmark: our engine vs scipy csgraph, networkx and pandana on road-like graphs.

Every case runs in its own subprocess so that its peak memory (``ru_maxrss``) is its own. The
graphs come from :mod:`bench.graphs` (deterministic, cached under ``bench/_cache/``). Facilities and
villages are random nodes with a random off-network leg (0-5 min), capacities and populations.

Usage::

    python bench/bench_routing.py --quick          # 100k graph only, a few minutes
    python bench/bench_routing.py --max-load 1.5   # 100k and 1M graphs (generation ~4 min once);
                                                   # each case first waits for a quiet machine
    python bench/bench_routing.py --cases ours_table,scipy_min_only --sizes 1000000

Writes ``bench/results/routing.md`` (``--out``): the table, the targets and the notes, all
generated from the run's own figures (machine, load, versions, graph statistics, reach).
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
    "ours_table_hilbert_time_only",
    "ours_table_hilbert_no_contraction",
    "scipy_dense",
    "ours_nearest",
    "ours_nearest_hilbert",
    "ours_nearest_hilbert_time_only",
    "scipy_min_only",
    "networkx",
    "ours_opportunities",
    "ours_opportunities_no_contraction",
    "pandana_aggregate",
    "pandana_equality",
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
    for contract in (False, True):  # the contraction kernels too
        kw = {"source_node": [0], "n_jobs": 1, "contract": contract}
        many_to_many(g, source_id=[0], target_id=[0], target_node=[2], **kw)
        many_to_many(g, source_id=[0], target_id=[0], target_node=[2], secondary=False, **kw)
        opportunities_within(g, weight=[1.0], max_cost=5.0, **kw)
    nearest_k(g, source_id=[0], source_node=[0], target_id=[0], target_node=[2], k=1)
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


def _core_figures(graph) -> dict:
    """Size and build time of the contracted core the last query used (if any)."""
    cached = graph._cache.get("core")
    if cached is None:
        return {"contracted": False}
    core = cached[1]
    return {
        "contracted": True,
        "contract_s": core.seconds,
        "core_nodes": core.n_core,
        "core_arcs": int(core.arrays[1].shape[0]),
        "nodes": graph.n_nodes,
        "arcs": graph.n_arcs,
    }


def _core_note(r: dict) -> str:
    if not r.get("contracted"):
        return "no contraction"
    return (
        f"contraction {r['contract_s']:.2f} s included (core {r['core_nodes'] / r['nodes']:.1%} "
        f"of nodes, {r['core_arcs'] / r['arcs']:.1%} of arcs)"
    )


def case_ours_table(a, hilbert=False, secondary=True, contract=None):
    from accessibility.routing import many_to_many

    compile_s = _warmup()
    n, limit = a.n, 60.0
    t0 = time.perf_counter()
    _, csr, new_id, t_ren = _graph(n, hilbert)
    rev = csr.reversed()
    t_graph = time.perf_counter() - t0
    x = _inputs(n, a.facilities, a.villages)
    t0 = time.perf_counter()
    c0 = time.process_time()
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
        secondary=secondary,
        contract=contract,
    )
    t_table = time.perf_counter() - t0
    fac, vil, cost = res["source"], res["target"], res["cost"]
    nearest = np.full(a.villages, np.inf)
    np.minimum.at(nearest, vil, cost)
    acc = _two_sfca(fac, vil, cost, x["vil_pop"], x["fac_cap"], a.facilities, a.villages, 30.0)
    t_total = time.perf_counter() - t0
    tag = ("h" if hilbert else "r") + ("" if secondary else "t")
    np.save(a.scratch / f"nearest_{n}_{tag}.npy", nearest)
    return {
        "wall_s": t_total,
        "cpu_s": time.process_time() - c0,
        "table_s": t_table,
        "graph_s": t_graph,
        "renumber_s": t_ren,
        "jit_load_s": compile_s,
        "pairs": int(cost.size),
        "reachable_villages": int(np.isfinite(nearest).sum()),
        "acc_sum": float(acc.sum()),
        **_core_figures(rev),
    }


def case_ours_table_hilbert(a):
    return case_ours_table(a, hilbert=True)


def case_ours_table_hilbert_time_only(a):
    return case_ours_table(a, hilbert=True, secondary=False)


def case_ours_table_hilbert_no_contraction(a):
    return case_ours_table(a, hilbert=True, contract=False)


def case_scipy_dense(a):
    """scipy dijkstra per facility with limit (dense n-wide rows); a sample, extrapolated."""
    import scipy.sparse as sp
    from scipy.sparse.csgraph import dijkstra

    g = road_graph(a.n)
    mat = sp.csr_matrix((g["cost_min"], (g["head"], g["tail"])), shape=(a.n, a.n))  # reversed
    mat.sum_duplicates()  # the generator makes no parallel edges, so nothing is summed
    x = _inputs(a.n, a.facilities, a.villages)
    sample = x["fac_node"][: a.scipy_sample]
    t0 = time.perf_counter()
    c0 = time.process_time()
    settled = 0
    for s in sample:
        d = dijkstra(mat, indices=int(s), limit=60.0)
        settled += int(np.isfinite(d).sum())
    dt = time.perf_counter() - t0
    cpu = time.process_time() - c0
    return {
        "per_source_ms": 1000 * dt / len(sample),
        "per_source_cpu_ms": 1000 * cpu / len(sample),
        "extrapolated_s": dt / len(sample) * a.facilities,
        "settled_per_source": settled / len(sample),
        "dense_bytes_all": a.n * 8 * a.facilities,
        "sample": len(sample),
    }


def case_ours_nearest(a, hilbert=False, secondary=True):
    from accessibility.routing import nearest_k

    compile_s = _warmup()
    _, csr, new_id, _ = _graph(a.n, hilbert)
    rev = csr.reversed()
    x = _inputs(a.n, a.facilities, a.villages)
    t0 = time.perf_counter()
    c0 = time.process_time()
    res = nearest_k(
        rev,
        source_id=np.arange(a.facilities),
        source_node=new_id[x["fac_node"]],
        target_id=np.arange(a.villages),
        target_node=new_id[x["vil_node"]],
        k=1,
        max_cost=60.0,
        secondary=secondary,
    )
    dt = time.perf_counter() - t0
    nearest = np.full(a.villages, np.inf)
    nearest[res["target"]] = res["cost"]
    np.save(a.scratch / f"nearest_nodes_{a.n}_{'h' if hilbert else 'r'}.npy", nearest)
    return {
        "wall_s": dt,
        "cpu_s": time.process_time() - c0,
        "jit_load_s": compile_s,
        "found": int(res["target"].size),
    }


def case_ours_nearest_hilbert(a):
    return case_ours_nearest(a, hilbert=True)


def case_ours_nearest_hilbert_time_only(a):
    return case_ours_nearest(a, hilbert=True, secondary=False)


def case_scipy_min_only(a):
    import scipy.sparse as sp
    from scipy.sparse.csgraph import dijkstra

    g = road_graph(a.n)
    mat = sp.csr_matrix((g["cost_min"], (g["head"], g["tail"])), shape=(a.n, a.n))
    x = _inputs(a.n, a.facilities, a.villages)
    t0 = time.perf_counter()
    c0 = time.process_time()
    d = dijkstra(mat, indices=x["fac_node"], min_only=True, limit=60.0)
    nearest = d[x["vil_node"]]
    dt = time.perf_counter() - t0
    np.save(a.scratch / f"nearest_scipy_{a.n}.npy", nearest)
    return {
        "wall_s": dt,
        "cpu_s": time.process_time() - c0,
        "found": int(np.isfinite(nearest).sum()),
    }


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
    # ours on the first 100 facilities, one thread, same numbering, for the per-source ratio
    _warmup()
    _, csr, _, _ = _graph(a.n)
    rev = csr.reversed()
    ours_sample = x["fac_node"][:100]
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


# ------------------------------------------------------------------------------------------
# opportunities vs pandana on identical input
# ------------------------------------------------------------------------------------------
#
# pandana's aggregate() is not a contraction-hierarchy query: for every node it runs a plain
# Dijkstra range query (SimpleCHQuery::RangeQuery on the original graph) on INTEGER weights,
# max(int(weight * 1000), 1), and keeps nodes with integer distance <= int(radius * 1000). Fed
# float minutes it therefore truncates every edge to whole milliminutes, which shortens long paths
# by up to ~0.1 min and moves the 30-minute boundary: that was the 7,734-node discrepancy. So
# both engines get the same integer weights here: whole milliminutes (0.06 s resolution), given
# to pandana in milliminutes (its x1000 is then exact) with radius 30,000, and to ours as floats
# holding those integers (sums of integers are exact in float64) with max_cost 30,000.


def _milli(cost_min: np.ndarray) -> np.ndarray:
    """Edge costs in whole milliminutes, exactly as pandana stores them (truncated, at least 1)."""
    return np.maximum(np.floor(cost_min * 1000.0), 1.0)


def _opp_graph(n: int):
    """The Hilbert-renumbered graph with integer-milliminute weights, for both engines."""
    from accessibility.routing import csr_from_arcs, spatial_order

    g = road_graph(n)
    order = spatial_order(g["x"], g["y"])
    new_id = np.empty(n, np.int64)
    new_id[order] = np.arange(n)
    w = _milli(g["cost_min"])
    csr = csr_from_arcs(n, new_id[g["tail"]], new_id[g["head"]], w)
    return {
        "x": g["x"][order],
        "y": g["y"][order],
        "tail": new_id[g["tail"]],
        "head": new_id[g["head"]],
        "w": w,
        "csr": csr,
        "new_id": new_id,
    }


def _opp_inputs(n: int, n_fac: int, new_id: np.ndarray):
    x = _inputs(n, n_fac, 1)
    return new_id[x["fac_node"]], x["fac_cap"]


def _pandana_net(og):
    import pandana
    import pandas as pd

    return pandana.Network(
        pd.Series(og["x"]),
        pd.Series(og["y"]),
        pd.Series(og["tail"]),
        pd.Series(og["head"]),
        pd.DataFrame({"milli": og["w"]}),
        twoway=False,  # every arc is listed; two-way roads have both directions
    )


def _quiet(fn, *args, **kwargs):
    """Call ``fn`` with C-level stdout sent to /dev/null (pandana prints progress there)."""
    sys.stdout.flush()
    saved = os.dup(1)
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, 1)
        return fn(*args, **kwargs)
    finally:
        sys.stdout.flush()
        os.dup2(saved, 1)
        os.close(saved)
        os.close(devnull)


def case_ours_opportunities(a, contract=None):
    from accessibility.routing import opportunities_within

    compile_s = _warmup()
    og = _opp_graph(a.n)
    fac, cap = _opp_inputs(a.n, a.facilities, og["new_id"])
    rev = og["csr"].reversed()
    t0 = time.perf_counter()
    c0 = time.process_time()
    acc = opportunities_within(
        rev, source_node=fac, weight=cap, max_cost=30_000.0, n_jobs=a.threads, contract=contract
    )
    dt = time.perf_counter() - t0
    tag = "" if contract is None else "_no_contraction"
    np.save(a.scratch / f"opp_ours{tag}_{a.n}.npy", acc)
    return {
        "wall_s": dt,
        "cpu_s": time.process_time() - c0,
        "jit_load_s": compile_s,
        **_core_figures(rev),
    }


def case_ours_opportunities_no_contraction(a):
    return case_ours_opportunities(a, contract=False)


def case_pandana_aggregate(a):
    """pandana: network build (CH preprocessing), then aggregate() without precompute (each node's
    range query runs inside aggregate, as in the issue's setup); precompute() + aggregate() too
    when its cache (~8 bytes per reached node per node) fits in --pandana-precompute-gb."""
    import pandas as pd

    from accessibility.routing import distances_from

    og = _opp_graph(a.n)
    fac, cap = _opp_inputs(a.n, a.facilities, og["new_id"])
    t0 = time.perf_counter()
    net = _quiet(_pandana_net, og)
    t_build = time.perf_counter() - t0
    net.set(pd.Series(fac), variable=pd.Series(cap), name="cap")
    t0 = time.perf_counter()
    res = _quiet(net.aggregate, 30_000.0, type="sum", decay="flat", name="cap")
    t_agg = time.perf_counter() - t0
    got = res.to_numpy(float)
    np.save(a.scratch / f"opp_pandana_{a.n}.npy", got)
    out = {"wall_s": t_agg, "build_s": t_build}
    # reach of a 30-minute query (forward, as pandana searches), to size precompute's cache
    rng = np.random.default_rng(7)
    reach = np.mean(
        [
            distances_from(og["csr"], seed_node=[int(s)], max_cost=30_000.0)[0].size
            for s in rng.choice(a.n, 30, replace=False)
        ]
    )
    cache_gb = a.n * reach * 8 / 1e9
    out["reach_30min"] = float(reach)
    out["precompute_cache_gb"] = cache_gb
    if cache_gb <= a.pandana_precompute_gb:
        t0 = time.perf_counter()
        _quiet(net.precompute, 30_000.0)
        out["precompute_s"] = time.perf_counter() - t0
        t0 = time.perf_counter()
        res2 = _quiet(net.aggregate, 30_000.0, type="sum", decay="flat", name="cap")
        out["aggregate_after_precompute_s"] = time.perf_counter() - t0
        out["precompute_same"] = bool(np.array_equal(res2.to_numpy(float), got))
    return out


def case_pandana_equality(a):
    """Equality with pandana on a small generated graph: float minutes (pandana truncates every
    edge to whole milliminutes, so results differ) vs integer milliminutes for both (identical)."""
    import pandas as pd

    from accessibility.routing import csr_from_arcs, opportunities_within

    n, n_fac = a.small_n, 200
    g = road_graph(n)
    x = _inputs(n, n_fac, 1)
    out = {"n": n, "facilities": n_fac}
    for label, w, radius in (
        ("minutes", g["cost_min"], 30.0),
        ("milliminutes", _milli(g["cost_min"]), 30_000.0),
    ):
        og = {"x": g["x"], "y": g["y"], "tail": g["tail"], "head": g["head"], "w": w}
        net = _quiet(_pandana_net, og)
        net.set(pd.Series(x["fac_node"]), variable=pd.Series(x["fac_cap"]), name="cap")
        theirs = _quiet(net.aggregate, radius, type="sum", decay="flat", name="cap").to_numpy()
        rev = csr_from_arcs(n, g["head"], g["tail"], w)
        ours = opportunities_within(
            rev, source_node=x["fac_node"], weight=x["fac_cap"], max_cost=radius
        )
        out[f"differ_{label}"] = int((ours != theirs).sum())
    return out


# ------------------------------------------------------------------------------------------
# runner
# ------------------------------------------------------------------------------------------


def _wait_for_quiet(a: argparse.Namespace) -> float:
    """Wait (up to --wait-s) until the 1-minute load average is below --max-load; return it."""
    deadline = time.time() + a.wait_s
    load = os.getloadavg()[0]
    while a.max_load and load > a.max_load and time.time() < deadline:
        time.sleep(10)
        load = os.getloadavg()[0]
    return load


def _run_case(name: str, a: argparse.Namespace) -> dict:
    cmd = [sys.executable, __file__, "--case", name, "--n", str(a.n)]
    for opt in (
        "facilities",
        "villages",
        "threads",
        "scipy_sample",
        "nx_sample",
        "small_n",
        "pandana_precompute_gb",
    ):
        cmd += [f"--{opt.replace('_', '-')}", str(getattr(a, opt))]
    load0 = _wait_for_quiet(a)
    t0 = time.perf_counter()
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=a.timeout)
    except subprocess.TimeoutExpired:
        return {"error": f"timed out after {a.timeout:.0f} s", "load_before": load0}
    wall = time.perf_counter() - t0
    start = proc.stdout.rfind('{"')
    if proc.returncode != 0 or start < 0:
        err = (proc.stderr.strip().splitlines() or ["no output"])[-1]
        return {"error": err[:200], "process_s": wall, "load_before": load0}
    out = json.loads(proc.stdout[start:].splitlines()[0])
    out["process_s"] = wall
    out["load_before"] = load0
    return out


def _child(a: argparse.Namespace) -> None:
    a.scratch = HERE / "_cache"
    base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    out = globals()[f"case_{a.case}"](a)
    ru = resource.getrusage(resource.RUSAGE_SELF)
    out["peak_rss_mb"] = ru.ru_maxrss / 1024
    out["cpu_s_process"] = ru.ru_utime + ru.ru_stime
    out["load_after"] = os.getloadavg()[0]
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
    return f"{v:.2f} {unit}" if v >= 0.1 else f"{v * 1000:.1f} ms"


def _report(results: dict, a: argparse.Namespace, graphs_info: dict) -> str:
    """The whole results file: table, targets and notes, all from this run's figures."""
    loads = [
        x
        for res in results.values()
        for r in res.values()
        if isinstance(r, dict)
        for x in (r.get("load_before"), r.get("load_after"))
        if x is not None
    ]
    lines = [
        "# Routing benchmark",
        "",
        "Written by `bench/bench_routing.py` (do not edit by hand; re-run it).",
        "",
        f"- Machine: {_machine()}",
        f"- Versions: {_versions()}",
        f"- Run: {time.strftime('%Y-%m-%d %H:%M')}, command `{' '.join(a.argv)}`",
        "- Load average (1 min) around the cases: "
        + (
            f"min {min(loads):.2f}, median {np.median(loads):.2f}, max {max(loads):.2f}"
            if loads
            else "not recorded"
        )
        + f" on {os.cpu_count()} cores"
        + (
            f" (each case waited up to {a.wait_s:.0f} s for load < {a.max_load})"
            if a.max_load
            else ""
        ),
        f"- Our engine: {a.threads} threads. {a.facilities:,} facilities, {a.villages:,} villages "
        "(random nodes), random off-network legs 0-5 min on both ends for the table.",
        "",
        "Graphs (`bench/graphs.py`, deterministic, calibrated to the issue's baseline):",
    ]
    lines += [f"- {k:,} nodes: {v}" for k, v in graphs_info.items()]
    lines += ["", "| graph | case | wall | ratio | peak RSS | notes |", "|---|---|---|---|---|---|"]
    targets: list[str] = []
    notes: list[str] = []
    reach_notes: list[str] = []
    for n, res in results.items():

        def get(name, key="wall_s", res=res):
            r = res.get(name, {})
            return r.get(key)

        def row(name, wall, ratio="", note="", res=res, n=n):
            r = res.get(name, {})
            if "error" in r:
                lines.append(f"| {n:,} | {name} | failed | | | {r['error']} |")
                return
            if not r:
                return
            load = f"; load {r.get('load_before', 0):.1f}→{r.get('load_after', 0):.1f}"
            rss = f"{r.get('peak_rss_mb', 0):.0f} MB"
            lines.append(f"| {n:,} | {name} | {_fmt(wall)} | {ratio} | {rss} | {note}{load} |")

        t = res.get("ours_table", {})
        if "wall_s" in t:
            row(
                "ours_table",
                t["wall_s"],
                "",
                f"table {t['table_s']:.2f} s (+ nearest + 2SFCA), with distance (cost2); "
                f"{t['pairs']:,} pairs; random numbering; {_core_note(t)}; CPU {t['cpu_s']:.1f} s",
            )
        for name, what in (
            ("ours_table_hilbert", "with distance (cost2)"),
            ("ours_table_hilbert_time_only", "time only (`secondary=False`)"),
            ("ours_table_hilbert_no_contraction", "with distance (cost2), `contract=False`"),
        ):
            th = res.get(name, {})
            base = res.get("ours_table_hilbert", {})
            if "wall_s" in th and name.endswith("no_contraction"):
                ratio = (
                    f"{th['wall_s'] / base['wall_s']:.1f}x the time with contraction"
                    if base.get("contracted")
                    else ""
                )
            elif "wall_s" in th:
                ratio = f"{t['wall_s'] / th['wall_s']:.2f}x vs random" if "wall_s" in t else ""
            if "wall_s" in th:
                row(
                    name,
                    th["wall_s"],
                    ratio,
                    f"{what}; Hilbert numbering (renumbering {th['renumber_s']:.2f} s, once "
                    f"per network); {_core_note(th)}; CPU {th['cpu_s']:.1f} s",
                )
            else:
                row(name, None)
        sd = res.get("scipy_dense", {})
        if "settled_per_source" in sd:
            reach_notes.append(
                f"this run, {n:,} nodes: {sd['settled_per_source']:,.0f} nodes settled per "
                f"60-minute search, scipy {sd['per_source_cpu_ms']:.1f} ms CPU per facility"
            )
        best_table = [
            x
            for x in (
                get("ours_table"),
                get("ours_table_hilbert"),
                get("ours_table_hilbert_time_only"),
            )
            if x
        ]
        if "extrapolated_s" in sd:
            ratio = (
                f"ours {sd['extrapolated_s'] / min(best_table):.1f}x faster" if best_table else ""
            )
            row(
                "scipy_dense",
                sd["extrapolated_s"],
                ratio,
                f"EXTRAPOLATED from {sd['sample']} sources: {sd['per_source_ms']:.1f} ms wall, "
                f"{sd['per_source_cpu_ms']:.1f} ms CPU each; reach {sd['settled_per_source']:,.0f} "
                f"nodes per 60-min search; dense rows for all sources: "
                f"{sd['dense_bytes_all'] / 1e9:.1f} GB",
            )
        else:
            row("scipy_dense", None)
        sm = get("scipy_min_only")
        for name, what in (
            ("ours_nearest", "with distance (cost2), random numbering"),
            ("ours_nearest_hilbert", "with distance (cost2), Hilbert numbering"),
            ("ours_nearest_hilbert_time_only", "time only like scipy (`secondary=False`), Hilbert"),
        ):
            w = get(name)
            ratio = f"{sm / w:.2f}x scipy speed" if w and sm else ""
            row(
                name,
                w,
                ratio,
                f"nearest_k k=1, one multi-source search, one thread, {what}, nearest source "
                f"recorded; CPU {get(name, 'cpu_s') or 0:.2f} s",
            )
        row(
            "scipy_min_only",
            sm,
            "",
            "dijkstra(indices=facilities, min_only=True, limit=60); "
            f"CPU {get('scipy_min_only', 'cpu_s') or 0:.2f} s",
        )
        nxr = res.get("networkx", {})
        if "extrapolated_s" in nxr:
            row(
                "networkx",
                nxr["extrapolated_s"],
                f"{nxr['per_source_ms'] / nxr['ours_per_source_ms_1thread']:.0f}x slower than ours "
                "(1 thread each, random numbering)",
                f"EXTRAPOLATED from {nxr['sample']} sources ({nxr['per_source_ms']:.0f} ms vs ours "
                f"{nxr['ours_per_source_ms_1thread']:.1f} ms per source)",
            )
        po = get("ours_opportunities")
        pa = res.get("pandana_aggregate", {})
        pp, pb = pa.get("wall_s"), pa.get("build_s")
        same = res.get("_opp_compare", "")
        if po:
            ratio = (
                f"{pp / po:.0f}x vs aggregate alone; {(pp + pb) / po:.0f}x vs build + aggregate"
                if pp and pb is not None
                else ""
            )
            row(
                "ours_opportunities",
                po,
                ratio,
                f"capacity within 30 min at every node (integer milliminute weights, Hilbert "
                f"numbering, as pandana's); {_core_note(res['ours_opportunities'])}; {same}",
            )
        pn = get("ours_opportunities_no_contraction")
        if pn:
            row(
                "ours_opportunities_no_contraction",
                pn,
                f"{pp / pn:.0f}x vs aggregate alone" if pp else "",
                "the same with `contract=False`: one plain bounded search per facility"
                + (f"; contraction makes it {pn / po:.1f}x faster" if po else ""),
            )
        if pp:
            extra = ""
            if "precompute_s" in pa:
                extra = (
                    f"; precompute() {pa['precompute_s']:.1f} s then aggregate() "
                    f"{pa['aggregate_after_precompute_s']:.2f} s"
                )
            elif "precompute_cache_gb" in pa:
                extra = (
                    f"; precompute() skipped: its cache would need "
                    f"~{pa['precompute_cache_gb']:.1f} GB"
                )
            row(
                "pandana_aggregate",
                pp,
                "",
                f"aggregate(30 min, sum, flat) without precompute; network build (CH) "
                f"{pb:.1f} s; reach {pa.get('reach_30min', 0):,.0f} nodes per 30-min query"
                f"{extra}",
            )
        elif "error" in pa:
            row("pandana_aggregate", None)
        pe = res.get("pandana_equality", {})
        if "differ_minutes" in pe:
            lines.append(
                f"| {pe['n']:,} | pandana_equality | | | {pe.get('peak_rss_mb', 0):.0f} MB | "
                f"{pe['facilities']} facilities, 30 min: {pe['differ_minutes']} nodes differ with "
                f"float-minute weights, {pe['differ_milliminutes']} with integer milliminutes |"
            )
        # targets -------------------------------------------------------------------------
        rss = [
            res[c]["peak_rss_mb"]
            for c in ("ours_table_hilbert", "ours_table_hilbert_time_only")
            if "peak_rss_mb" in res.get(c, {})
        ]
        if n >= 1_000_000 and best_table:
            tb = min(best_table)
            ok = tb <= 10 and max(rss or [0]) <= 2048
            targets.append(
                f"- 1M table + nearest + 2SFCA ≤ 10 s and ≤ 2 GB: **{'met' if ok else 'NOT met'}** "
                f"({tb:.2f} s best variant, peak RSS {max(rss or [0]):.0f} MB)"
            )
            if "settled_per_source" in sd:
                work = a.facilities * sd["settled_per_source"]
                nc = res.get("ours_table_hilbert_no_contraction", {})
                th = res.get("ours_table_hilbert", {})
                ablation = (
                    f" Without contraction the same table takes {nc['wall_s']:.1f} s "
                    f"({nc['wall_s'] / th['wall_s']:.1f}x longer)."
                    if "wall_s" in nc and "wall_s" in th
                    else ""
                )
                notes.append(
                    f"- **Where the 1M table's time goes.** Plain bounded searches would settle "
                    f"{a.facilities:,} x {sd['settled_per_source']:,.0f} = {work / 1e6:.0f} M "
                    "nodes. Contraction first replaces every node that is not a facility or "
                    "village node by shortcuts between its neighbours (dead ends and chains, then "
                    "degree-3 nodes, adding only a few arcs per node; no witness search, so it "
                    "costs well under a second), and the searches run on the small core that is "
                    f"left.{ablation}"
                )
            near = [
                x
                for x in (
                    get("ours_nearest"),
                    get("ours_nearest_hilbert"),
                    get("ours_nearest_hilbert_time_only"),
                )
                if x
            ]
            if near and sm:
                ok = min(near) <= sm
                targets.append(
                    f"- 1M nearest no slower than scipy min_only: **{'met' if ok else 'NOT met'}** "
                    f"(ours {min(near):.2f} s vs scipy {sm:.2f} s)"
                )
        if n < 1_000_000 and po and pp and pa.get("reach_30min"):
            r30 = pa["reach_30min"]
            notes.append(
                f"- **Why opportunities are {pp / po:.0f}x faster than pandana.** pandana runs a "
                f"range query from each of the {n:,} nodes; we search from each of the "
                f"{a.facilities:,} facilities ({n / a.facilities:.0f}x fewer searches of the same "
                f"reach, ~{r30:,.0f} nodes) on the contracted core, and fill in the contracted "
                "nodes by a downward sweep that 16 neighbouring facilities share (one pass over "
                "the union of their reaches, one cost per facility per node). The results are "
                "identical at every node."
            )
        if n < 1_000_000 and po and pp:
            ok = pp / po >= 100
            ok_same = same.startswith("0 of")
            targets.append(
                f"- {n:,}-node opportunities ≥ 100x faster than pandana, identical results: "
                f"**{'met' if ok and ok_same else 'NOT met'}** ({pp / po:.0f}x against "
                f"`aggregate` alone, {(pp + pb) / po:.0f}x counting pandana's network build; "
                f"{same})"
            )
        elif n < 1_000_000 and po and "error" in pa:
            targets.append(f"- {n:,}-node opportunities vs pandana: pandana failed ({pa['error']})")
    lines += ["", "Targets (issue 3):", *targets, ""]
    lines += ["## Notes (generated from this run)", ""]
    lines += notes
    lines += [
        f"- Load: timings are wall-clock on a machine shared with other work; each row shows the "
        f"1-minute load average before → after the case. With load above {os.cpu_count()} the "
        "two threads compete with other processes and wall times grow; CPU times (in the notes "
        "column) are less affected.",
        "- Reach: the generator is calibrated to the issue's baseline (scipy ~53 ms per facility "
        "with a 60-minute limit on a 1M-node graph, i.e. ~10^5 settled nodes per search); "
        + "; ".join(reach_notes)
        + ". The first version of the generator settled only ~9k nodes per 60-minute search on "
        "1M nodes, which made every target about ten times easier.",
        "- pandana's `aggregate` runs a plain Dijkstra range query from every node (not a CH "
        "query) on integer weights `max(int(w * 1000), 1)`. Fed float minutes, it truncates each "
        "edge to whole milliminutes, so long paths come out shorter and the 30-minute boundary "
        "moves: that, not one-way handling, explains the earlier 7,734 differing nodes. The "
        "`pandana_equality` row shows it on a small graph; with integer milliminute weights for "
        "both engines the results are identical. Node ids passed to `set()` are used as they are "
        "(no snapping); `twoway=False` with every arc listed; the sum is over nodes reachable "
        "FROM each node, i.e. our `opportunities_within(graph.reversed(), ...)`.",
        "- Cases run in separate processes; peak RSS is each process's `ru_maxrss` (interpreter, "
        "numpy/scipy, graph arrays included). 'wall' excludes loading the cached graph and the "
        "numba JIT load. EXTRAPOLATED rows time a sample of sources and scale linearly.",
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
    p.add_argument("--nx-sample", type=int, default=5)
    p.add_argument("--small-n", type=int, default=5000, help="graph size for pandana_equality")
    p.add_argument("--pandana-precompute-gb", type=float, default=3.0)
    p.add_argument("--max-load", type=float, default=0.0, help="wait for a lower load first")
    p.add_argument("--wait-s", type=float, default=300.0)
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
            small_only = (
                "ours_opportunities",
                "ours_opportunities_no_contraction",
                "pandana_aggregate",
                "pandana_equality",
                "networkx",
            )
            if name in small_only and n > 100_000:
                continue  # the issue targets these on the 100k graph
            r = _run_case(name, a)
            res[name] = r
            print(f"  {name}: {json.dumps(r)}", flush=True)
        cache = HERE / "_cache"
        fo, fp = cache / f"opp_ours_{n}.npy", cache / f"opp_pandana_{n}.npy"
        if "wall_s" in res.get("pandana_aggregate", {}) and fo.exists() and fp.exists():
            o, q = np.load(fo), np.load(fp)
            res["_opp_compare"] = (
                f"{int((o != q).sum())} of {n:,} node sums differ from pandana's "
                f"(max abs diff {np.abs(o - q).max():.3g})"
            )
        near = [cache / f"nearest_nodes_{n}_r.npy", cache / f"nearest_scipy_{n}.npy"]
        ran = "wall_s" in res.get("ours_nearest", {}) and "wall_s" in res.get("scipy_min_only", {})
        if ran and all(f.exists() for f in near):
            ours, theirs = np.load(near[0]), np.load(near[1])
            same_set = bool(np.array_equal(np.isfinite(ours), np.isfinite(theirs)))
            d = np.abs(ours - theirs)[np.isfinite(ours) & np.isfinite(theirs)]
            res["_near_compare"] = (
                f"same villages reached: {same_set}; max abs diff {d.max() if d.size else 0:.3g} min"
            )
            print(f"  nearest ours vs scipy min_only: {res['_near_compare']}")
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
