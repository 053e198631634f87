"""Benchmark of accessibility.planning: incremental scenario evaluation vs a full recomputation,
and the numbers of the demo planning story (docs/planning.md).

Timing: for one added facility and for one closed facility, the incremental evaluation (the
baseline computed once and reused, as when comparing options) against a full recomputation of
the scenario's inputs with :func:`accessibility.pipeline.accessibility_layer` for the same service
(the reference path). Both give identical nearest times (checked here and in the tests).

Inputs: the demo county (354 villages, 619 nodes) and a synthetic 120 x 120 road grid (14,400
junctions, 300 m apart) with 3,000 villages and 400 clinics.

Run:  /work/venv/bin/python bench/bench_planning.py [--quick]
Writes bench/results/planning.md.
"""

from __future__ import annotations

import argparse
import os
import pathlib
import platform
import sys
import time

import numpy as np
import pandas as pd

ROOT = pathlib.Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import accessibility as acc  # noqa: E402
from accessibility._files import atomic_path  # noqa: E402
from accessibility.pipeline import accessibility_layer  # noqa: E402
from accessibility.planning import evaluate_scenario, run_scenario, run_siting  # noqa: E402


def grid_county(n: int, step: float, n_villages: int, n_fac: int, seed: int = 1):
    import geopandas as gpd
    import shapely

    x0, y0 = 500_000.0, 3_000_000.0
    lines, cls = [], []
    for j in range(n):
        for i in range(n - 1):
            lines.append(((x0 + i * step, y0 + j * step), (x0 + (i + 1) * step, y0 + j * step)))
            cls.append("county" if j % 10 == 0 else "village")
    for i in range(n):
        for j in range(n - 1):
            lines.append(((x0 + i * step, y0 + j * step), (x0 + i * step, y0 + (j + 1) * step)))
            cls.append("township" if i % 10 == 0 else "village")
    roads = gpd.GeoDataFrame(
        {"road_class": cls}, geometry=shapely.linestrings(lines), crs="EPSG:32650"
    )
    net = acc.network_from_roads(roads, modes=["car"], name_column=None, oneway_column=None)
    rng = np.random.default_rng(seed)
    span = (n - 1) * step

    def pts(k):
        return shapely.points(rng.uniform(x0, x0 + span, k), rng.uniform(y0, y0 + span, k))

    villages = gpd.GeoDataFrame(
        {"population": rng.integers(100, 3000, n_villages).astype(float), "area_type": "rural"},
        geometry=pts(n_villages),
        crs="EPSG:32650",
        index=pd.Index([f"V{i}" for i in range(n_villages)], name="village_id"),
    )
    fac = gpd.GeoDataFrame(
        {"service": "clinic", "capacity": rng.integers(1, 10, n_fac)},
        geometry=pts(n_fac),
        crs="EPSG:32650",
        index=pd.Index([f"C{i}" for i in range(n_fac)], name="facility_id"),
    )
    return net, villages, fac


def markdown(df: pd.DataFrame) -> str:
    def cell(v):
        return f"{v:.3f}" if isinstance(v, float) else str(v)

    head = "| " + " | ".join(map(str, df.columns)) + " |"
    sep = "|" + "|".join("---" for _ in df.columns) + "|"
    body = ["| " + " | ".join(cell(v) for v in row) + " |" for row in df.itertuples(index=False)]
    return "\n".join([head, sep, *body])


def best_of(fn, repeat):
    best, out = float("inf"), None
    for _ in range(repeat):
        t = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - t)
    return best, out


def timing(label, net, villages, fac, service, mode, add_at, close_id, repeat, **kw):
    rows = []
    svc = {service: {"mode": mode}}
    scenarios = (
        ("add 1 facility", {"add_facility": {"id": "NEW", "service": service, **add_at}}),
        ("close 1 facility", {"close_facility": {"id": close_id}}),
    )
    # the first evaluation computes the baseline, which the timed ones reuse; one untimed run of
    # each scenario compiles the routing kernels' code paths
    base = evaluate_scenario(net, villages, fac, scenarios[0][1], services=svc, **kw)
    for _, sc in scenarios:
        evaluate_scenario(net, villages, fac, sc, services=svc, baseline=base.baseline, **kw)
    for what, sc in scenarios:
        t_inc, res = best_of(
            lambda sc=sc: evaluate_scenario(
                net, villages, fac, sc, services=svc, baseline=base.baseline, **kw
            ),
            repeat,
        )
        after = res.inputs.facilities
        t_full, full = best_of(
            lambda after=after: accessibility_layer(
                net, villages, after[after["service"] == service], services=svc, **kw
            ),
            repeat,
        )
        a = res.villages[f"{service}_nearest_min_after"].to_numpy()
        b = full[f"{service}_nearest_min"].to_numpy()
        same = bool(np.array_equal(a, b, equal_nan=True))
        rows.append(
            {
                "inputs": label,
                "change": what,
                "incremental_s": t_inc,
                "full_s": t_full,
                "speed-up": t_full / t_inc,
                "identical": same,
                "recomputed": res.recomputed[service],
            }
        )
    return rows


def story() -> tuple[pd.DataFrame, list[str]]:
    project = ROOT / "data" / "demo_project.toml"
    out = ROOT / "bench" / "_cache" / "planning_output"
    lines = []
    rows = []
    cols = [
        "villages_improved",
        "villages_worse",
        "population_improved",
        "population_worse",
        "mean_saved_min_improved",
        "max_saved_min",
        "max_lost_min",
        "population_newly_meeting_standard",
        "population_losing_standard",
        "standard_coverage_before",
        "standard_coverage_after",
        "gini_before",
        "gini_after",
    ]
    for f in sorted((ROOT / "data" / "demo_scenarios").glob("*.toml")):
        res = run_scenario(project, f, out_dir=out)
        for s, r in res.summary.iterrows():
            if r["villages_improved"] or r["villages_worse"]:
                rows.append({"option": res.name, "service": s, **r[cols].to_dict()})
        eq = res.equity[(res.equity["group"] == "rural") & (res.equity["index"] == "cv")]
        for _, r in eq.iterrows():
            if abs(r["change"]) > 0:
                lines.append(
                    f"{res.name}: {r['service']} rural CV {r['before']:.3f} -> {r['after']:.3f}"
                )
    for objective, p in (("mclp", 1), ("mclp", 2), ("equity", 1)):
        sres, res = run_siting(
            project,
            service="health_centre",
            objective=objective,
            p=p,
            out_dir=out,
            new_attributes={"doctors": 4, "capacity": 10},
        )
        r = res.summary.loc["health_centre"]
        ids = [str(i)[len("cand_") :] for i in sres.new_sites]
        rows.append(
            {
                "option": f"site {objective} p={p}: {', '.join(ids)}",
                "service": "health_centre",
                **r[cols].to_dict(),
            }
        )
        if objective == "equity":
            share = sres.params["group_share"]
            lines.append(
                f"equity siting: worst township share {sres.objective:.3f} "
                f"({share.idxmin()}); shares {share.round(3).to_dict()}"
            )
    return pd.DataFrame(rows), lines


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true")
    args = ap.parse_args()
    acc.set_options(progress=False)
    repeat = 1 if args.quick else 3
    demo = acc.load_demo()
    net = acc.network_from_roads(demo.roads, tolerance_m=2.5)
    kw = {"max_snap_m": 2000.0}
    rows = timing(
        "demo county (354 villages)",
        net,
        demo.villages,
        demo.facilities,
        "clinic",
        "walk",
        {"at_village": "V345"},
        "CL001",
        repeat,
        **kw,
    )
    n = 60 if args.quick else 120
    g = grid_county(n, 300.0, 1000 if args.quick else 3000, 400)
    gx = 500_000.0 + 0.37 * (n - 1) * 300
    rows += timing(
        f"grid {n}x{n} ({len(g[1])} villages, 400 clinics)",
        *g,
        "clinic",
        "car",
        {"x": gx, "y": 3_000_000.0 + 0.61 * (n - 1) * 300},
        "C7",
        repeat,
        **kw,
    )
    table = pd.DataFrame(rows)
    print(table.to_string(index=False, float_format=lambda v: f"{v:.3f}"))
    st, notes = story()
    print(st.to_string(index=False, float_format=lambda v: f"{v:.3f}"))
    for line in notes:
        print(line)
    res_dir = ROOT / "bench" / "results"
    res_dir.mkdir(parents=True, exist_ok=True)
    text = [
        "# Planning: incremental scenario evaluation",
        "",
        f"Machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cores "
        f"(shared), Python {platform.python_version()}. Best of {repeat}.",
        "",
        "Incremental = `evaluate_scenario(..., baseline=...)` (baseline computed once); full = "
        "`accessibility_layer` on the changed facilities (reference). `identical`: the nearest "
        "times agree exactly.",
        "",
        markdown(table),
        "",
        "## Demo planning story (docs/planning.md)",
        "",
        markdown(st),
        "",
        *[f"- {line}" for line in notes],
        "",
    ]
    with atomic_path(res_dir / "planning.md") as tmp:
        pathlib.Path(tmp).write_text("\n".join(text), encoding="utf-8")
    print(f"wrote {res_dir / 'planning.md'}")


if __name__ == "__main__":
    main()
