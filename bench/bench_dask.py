"""Scale simulation: a synthetic province of many counties, single process vs a local Dask cluster.

Builds a province of ``--counties`` synthetic demo counties (a grid of 40 x 35 km counties joined
by inter-county roads; ``accessibility.distributed.make_region``), writes it with a project file,
and runs the same project

* single-process: ``accessibility.pipeline.run_project`` (one process, routing on one thread);
* on a local Dask cluster of 1 and of 2 worker processes (one thread each):
  ``accessibility.distributed.run_partitioned``, one task per county;
* the 2-worker run again, resumed entirely from its checkpoints.

It checks that the partitioned layers equal the single-process layer, reports throughput (villages
per second), peak memory per worker process (RSS), and projects the national case (~500,000
villages in ~2,800 counties) with its assumptions. Prints a table and writes
``bench/results/dask.md``.

Run: ``/work/venv/bin/python bench/bench_dask.py [--counties 12] [--columns 4] [--distinct 4]``
"""

from __future__ import annotations

import argparse
import logging
import multiprocessing as mp
import platform
import resource
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd

SERVICES = {
    "clinic": {
        "mode": "walk",
        "thresholds_min": [15, 30, 60],
        "supply": "doctors",
        "measures": [{"measure": "2sfca", "catchment_min": 30}],
    },
    "primary_school": {
        "mode": "walk",
        "thresholds_min": [15, 30, 60],
        "demand": "pop_school_age",
        "supply": "capacity",
    },
    "health_centre": {
        "mode": "car",
        "thresholds_min": [15, 30],
        "supply": "doctors",
        "measures": [{"measure": "2sfca", "catchment_min": 30}],
    },
    "hospital": {"mode": "car", "thresholds_min": [15, 30], "supply": "doctors"},
    "elder_care": {"mode": "car", "thresholds_min": [15, 30], "demand": "pop_elderly"},
}
NATIONAL_VILLAGES = 500_000
NATIONAL_COUNTIES = 2_800


def _single(project: str, out: str, queue: mp.Queue) -> None:
    """Single-process run in a fresh process (so its peak RSS is its own)."""
    from accessibility.options import set_options
    from accessibility.pipeline import run_project

    with set_options(progress=False, n_jobs=1):
        run_project(project, out_dir=out)  # warm-up: numba cache load, file reads
        t0 = time.perf_counter()
        result = run_project(project, out_dir=out)
        seconds = time.perf_counter() - t0
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0
    layer = pd.DataFrame(result.villages.drop(columns="geometry"))
    queue.put((seconds, rss, layer))


def _dask(project: str, out: str, ckdir: str, n_workers: int) -> tuple[float, float, object]:
    import dask
    from distributed import Client, LocalCluster

    from accessibility.distributed import run_partitioned
    from accessibility.options import set_options

    with dask.config.set({"distributed.worker.daemon": True}):
        cluster = LocalCluster(
            n_workers=n_workers, threads_per_worker=1, processes=True, dashboard_address=None
        )
    client = Client(cluster)
    try:
        # warm the workers (numba cache load) so the timing is the run's own
        client.run(lambda: __import__("accessibility.routing"))
        with set_options(progress=False):
            t0 = time.perf_counter()
            result = run_partitioned(project, scheduler=client, out_dir=out, checkpoint_dir=ckdir)
            seconds = time.perf_counter() - t0
            t1 = time.perf_counter()
            again = run_partitioned(project, scheduler=client, out_dir=out, checkpoint_dir=ckdir)
            resumed = time.perf_counter() - t1
    finally:
        client.close()
        cluster.close()
    assert not again.partitions["computed"].any()
    return seconds, resumed, result


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--counties", type=int, default=12)
    ap.add_argument("--columns", type=int, default=4)
    ap.add_argument("--distinct", type=int, default=4, help="distinct generator seeds (6 s each)")
    ap.add_argument("--out", default=str(Path(__file__).parent / "results" / "dask.md"))
    args = ap.parse_args()
    logging.basicConfig(level=logging.WARNING)

    from accessibility.distributed import make_region, write_region_project

    work = Path(tempfile.mkdtemp(prefix="bench_dask_"))
    t0 = time.perf_counter()
    region = make_region(
        args.counties,
        columns=args.columns,
        seeds=[20240527 + 17 * i for i in range(args.distinct)],
    )
    project = str(
        write_region_project(
            region, work, services=SERVICES, mode="car", thresholds_min=[15, 30], max_snap_m=1000.0
        )
    )
    gen_s = time.perf_counter() - t0
    n_v = len(region.villages)
    print(f"province: {region} (generated in {gen_s:.0f} s) in {work}", flush=True)

    ctx = mp.get_context("spawn")
    q = ctx.Queue()
    p = ctx.Process(target=_single, args=(project, str(work / "single"), q))
    p.start()
    single_s, single_rss, single_layer = q.get()
    p.join()
    print(f"single process: {single_s:.1f} s, peak RSS {single_rss:.0f} MB", flush=True)

    rows = [
        {
            "run": "single process (run_project)",
            "workers": 1,
            "seconds": single_s,
            "villages_per_s": n_v / single_s,
            "peak_rss_per_process_mb": single_rss,
            "tasks": "",
            "equal": "reference",
        }
    ]
    results = {}
    for w in (1, 2):
        s, resumed, res = _dask(project, str(work / f"dask{w}"), str(work / f"ck{w}"), w)
        results[w] = (s, resumed, res)
        layer = pd.DataFrame(res.villages.drop(columns="geometry"))
        equal = layer.equals(single_layer)
        parts = res.partitions
        rows.append(
            {
                "run": f"Dask local cluster, {w} worker{'s' if w > 1 else ''}",
                "workers": w,
                "seconds": s,
                "villages_per_s": n_v / s,
                "peak_rss_per_process_mb": float(parts["peak_rss_mb"].max()),
                "tasks": f"{len(parts)} ({int((parts['level'] > 0).sum())} widened)",
                "equal": "yes" if equal else "NO",
            }
        )
        print(rows[-1], flush=True)
        rows.append(
            {
                "run": f"  same, resumed from checkpoints ({w} worker{'s' if w > 1 else ''})",
                "workers": w,
                "seconds": resumed,
                "villages_per_s": n_v / resumed,
                "peak_rss_per_process_mb": float("nan"),
                "tasks": "0 computed",
                "equal": "yes",
            }
        )
    table = pd.DataFrame(rows)
    print(table.to_string(index=False, float_format=lambda x: f"{x:.1f}"))

    parts = results[2][2].partitions
    first = parts[parts["level"] == 0]
    task_s = parts.groupby("partition")["seconds"].sum()  # all levels of a county
    per_county_s = float(task_s.median())
    rss_mb = float(parts["peak_rss_mb"].max())
    d_roads = float(first["n_roads"].median()) / (len(region.roads) / args.counties)
    scale_1_to_2 = results[1][0] / results[2][0]
    nat_cpu_h = NATIONAL_COUNTIES * per_county_s / 3600.0
    lines = [
        "# Partitioned runs on Dask: scale simulation",
        "",
        f"Machine: {platform.machine()}, {mp.cpu_count()} cores (shared), Python "
        f"{platform.python_version()}. Script: `bench/bench_dask.py --counties {args.counties} "
        f"--columns {args.columns} --distinct {args.distinct}`.",
        "",
        f"Province: {args.counties} synthetic counties ({args.columns} per row, 40 x 35 km each, "
        f"{args.distinct} distinct generator seeds), {n_v:,} villages, {len(region.facilities):,} "
        f"facilities, {len(region.roads):,} road lines. Services: clinic and primary school by "
        "walking (15/30/60 min, 2SFCA for clinics), health centre, hospital and elder care by car "
        "(15/30 min, 2SFCA for health centres); buffer reach "
        "30 min x 100 km/h = 50 km (+ 1 km snapping). Each Dask worker is one process with one "
        "thread; the single-process run routes on one thread too.",
        "",
        "| run | workers | seconds | villages / s | peak RSS per process (MB) | tasks | equal to "
        "single process |",
        "|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        rss = "" if pd.isna(r["peak_rss_per_process_mb"]) else f"{r['peak_rss_per_process_mb']:.0f}"
        lines.append(
            f"| {r['run']} | {r['workers']} | {r['seconds']:.1f} | {r['villages_per_s']:.0f} | "
            f"{rss} | {r['tasks']} | {r['equal']} |"
        )
    lines += [
        "",
        f"Ratios: 2 workers vs 1 worker {scale_1_to_2:.2f}x; 2 workers vs single process "
        f"{single_s / results[2][0]:.2f}x. A first-level partition holds a median "
        f"{d_roads:.1f} counties' worth of roads (the county plus everything within the buffer), "
        "so each partition repeats network building and searches over its buffer: in a province "
        "no wider than a few buffer widths the partitioned run does more total work than one "
        "process, and it pays off only through more workers and lower memory per worker.",
        "",
        "## Projection for the national case",
        "",
        f"Assumptions: {NATIONAL_VILLAGES:,} villages in {NATIONAL_COUNTIES:,} counties; a "
        "national partition costs what an interior county of this province costs (its buffer "
        "here is partly cut by the province edge, so this is optimistic for dense eastern "
        "provinces and pessimistic for sparse western ones); the measured median time per county "
        f"(all levels) {per_county_s:.1f} s; workers scale linearly (tasks are independent, the "
        "driver only merges small tables); the same services and time limits as above.",
        "",
        "| cluster | projected wall time | memory per worker |",
        "|---|---|---|",
    ]
    for workers in (2, 16, 64, 256):
        h = nat_cpu_h / workers
        lines.append(
            f"| {workers} worker processes | {h:.2f} h ({h * 60:.0f} min) | about {rss_mb:.0f} MB "
            "(peak RSS "
            "measured here) |"
        )
    lines += [
        "",
        f"Total compute: about {nat_cpu_h:.0f} worker-hours. The driver holds the village, "
        "facility and road layers of the whole study area (the national road layer is several "
        "GB) and the junction table used to link road components across partitions; it does no "
        "routing. Not measured here: reading the national layers, and villages whose nearest "
        "facility lies beyond the buffer in sparse regions (each needs a wider task; here "
        f"{int((parts['level'] > 0).sum())} of {len(parts)} tasks were such widenings).",
    ]
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text("\n".join(lines) + "\n", encoding="utf-8")
    print("\n".join(lines[-18:]))
    print(f"wrote {out}")


if __name__ == "__main__":
    sys.exit(main())
