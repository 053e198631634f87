"""Supply–demand measures on large synthetic cost tables, side by side with PySAL ``access``.

python bench/bench_measures.py [--rows 1000000]   # prints a table, writes bench/results/measures.md
"""

from __future__ import annotations

import argparse
import platform
import time
import warnings
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd

HERE = Path(__file__).resolve().parent


def case(n_villages: int, n_facilities: int, rows: int, seed: int = 0):
    rng = np.random.default_rng(seed)
    vid = pd.Index([f"v{i}" for i in range(n_villages)], name="vid")
    fid = pd.Index([f"f{j}" for j in range(n_facilities)], name="fid")
    flat = rng.choice(n_villages * n_facilities, size=rows, replace=False)
    costs = pd.DataFrame(
        {
            "origin": vid[flat // n_facilities],
            "destination": fid[flat % n_facilities],
            "travel_time_min": rng.uniform(0, 60, rows),
        }
    )
    pop = pd.Series(rng.integers(50, 5000, n_villages).astype(float), index=vid)
    sup = pd.Series(rng.integers(1, 50, n_facilities).astype(float), index=fid)
    return costs, pop, sup


def best_of(fn: Callable[[], object], reps: int = 3) -> tuple[float, object]:
    best, out = np.inf, None
    for _ in range(reps):
        t = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - t)
    return best, out


def pysal_runner(costs, pop, sup):
    import access

    dem = pop.rename("pop").to_frame().reset_index()
    supf = sup.rename("cap").to_frame().reset_index()
    c = costs.rename(columns={"travel_time_min": "cost"})

    def make():
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return access.Access(
                demand_df=dem, demand_index="vid", demand_value="pop",
                supply_df=supf, supply_index="fid", supply_value="cap",
                cost_df=c, cost_origin="origin", cost_dest="destination", cost_name="cost",
            )  # fmt: skip

    return make


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--rows", type=int, default=1_000_000)
    args = ap.parse_args()
    from accessibility import decay, measures
    from accessibility.coverage import capacity_coverage

    n_v, n_f = 20_000, max(50, args.rows // 10_000)
    costs, pop, sup = case(n_v, n_f, args.rows)
    make = pysal_runner(costs, pop, sup)
    gauss = decay.gaussian(20.0)
    rows = []
    ours = {
        "2SFCA (step 30 min)": lambda: measures.two_sfca(costs, pop, sup, catchment_min=30),
        "E2SFCA (zones)": lambda: measures.e2sfca(costs, pop, sup),
        "3SFCA": lambda: measures.three_sfca(costs, pop, sup),
        "gravity (Gaussian)": lambda: measures.gravity(costs, pop, sup, decay=gauss),
        "capacity-filled coverage": lambda: capacity_coverage(costs, pop, sup, catchment_min=30),
    }

    def pysal_2sfca():
        a = make()
        a.two_stage_fca(name="x", max_cost=30)

    def pysal_e2sfca():
        make().enhanced_two_stage_fca(name="x")

    def pysal_3sfca():
        make().three_stage_fca(name="x")

    def pysal_gravity():
        import access

        make().weighted_catchment(name="x", weight_fn=access.weights.gaussian(20.0))

    theirs = {
        "2SFCA (step 30 min)": pysal_2sfca,
        "E2SFCA (zones)": pysal_e2sfca,
        "3SFCA": pysal_3sfca,
        "gravity (Gaussian)": pysal_gravity,
    }
    for name, fn in ours.items():
        t_ours, _ = best_of(fn)
        t_ref = best_of(theirs[name], reps=1)[0] if name in theirs else float("nan")
        rows.append((name, t_ours, t_ref))
    lines = [
        "## Supply–demand measures (issue 4)",
        "",
        f"{args.rows:,} cost-table rows ({n_v:,} villages × {n_f} facilities), {platform.machine()}, "
        f"Python {platform.python_version()}. Ours: best of 3; PySAL `access` (same inputs, results "
        "equal to 1e-9 in tests/test_measures.py): one run. Command: `python bench/bench_measures.py`.",
        "",
        "| measure | ours (s) | PySAL access (s) | speed-up |",
        "|---|---:|---:|---:|",
    ]
    for name, a, b in rows:
        ratio = f"{b / a:.1f}×" if np.isfinite(b) else "—"
        ref = f"{b:.2f}" if np.isfinite(b) else "—"
        lines.append(f"| {name} | {a:.2f} | {ref} | {ratio} |")
    text = "\n".join(lines) + "\n"
    print(text)
    (HERE / "results").mkdir(exist_ok=True)
    (HERE / "results" / "measures.md").write_text(text, encoding="utf-8")


if __name__ == "__main__":
    main()
