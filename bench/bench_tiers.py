"""Time of the tier step on the demo county: per tier group, routing villages and facilities
(village -> facility and facility -> facility tables) and the tier computations on them.

    python bench/bench_tiers.py        # prints a table, writes bench/results/tiers.md
"""

from __future__ import annotations

import platform
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
OUT = REPO / "bench" / "results" / "tiers.md"
GROUPS = {
    "health": ["clinic", "health_centre", "hospital"],
    "school": ["primary_school", "junior_school"],
    "elder": ["day_care", "elder_care"],
}
LEVELS = {"village": 1, "township": 2, "county": 3}


def main() -> None:
    import accessibility as acc
    from accessibility.costs import travel_costs
    from accessibility.tiers import (
        closure_by_village,
        facility_tiers,
        nearest_by_tier,
        referral_chain,
        referral_table,
        upgrade_gains,
    )

    demo = acc.load_demo()
    net = acc.network_from_roads(demo.roads, tolerance_m=2.5)
    v, f = demo.villages, demo.facilities
    rows = []
    for name, services in GROUPS.items():
        tiers = facility_tiers(f, column="level", values=LEVELS, services=services)
        members = f.loc[tiers.index]
        t0 = time.perf_counter()
        costs = travel_costs(net, v, members, mode="car", max_time_min=120)
        fac_costs = travel_costs(net, members, members, mode="car", max_time_min=120)
        t1 = time.perf_counter()
        near = nearest_by_tier(costs, v.index, tiers)
        chain = referral_chain(near, referral_table(fac_costs, tiers))
        closure_by_village(costs, near, v["township"], tiers, members["township"])
        for k in sorted(tiers.unique())[:-1]:
            upgrade_gains(costs, near, tiers, v["population"], tier=int(k))
        t2 = time.perf_counter()
        rows.append((name, len(members), len(costs), len(fac_costs), t1 - t0, t2 - t1))
        assert len(chain) == len(v)
    lines = [
        "# Tier step on the demo county",
        "",
        f"`python bench/bench_tiers.py` on {platform.machine()}, Python {platform.python_version()}"
        f"; {len(v)} villages, car, 120 min reach.",
        "",
        "| group | facilities | village pairs | facility pairs | routing (s) | tiers (s) |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    lines += [f"| {n} | {m} | {a} | {b} | {r:.2f} | {t:.2f} |" for n, m, a, b, r, t in rows]
    text = "\n".join(lines) + "\n"
    print(text)
    OUT.write_text(text, encoding="utf-8")


if __name__ == "__main__":
    main()
