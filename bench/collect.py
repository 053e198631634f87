"""Assemble BENCHMARKS.md from the result files the benchmark scripts write.

Each script in bench/ prints its table and writes ``bench/results/<topic>.md``; this script puts
them together in a fixed order. Run the benchmarks first, then ``python bench/collect.py``.
"""

from __future__ import annotations

from pathlib import Path

HERE = Path(__file__).resolve().parent
ORDER = [
    "user_path",
    "user_path_3m",
    "huge_pages",
    "cold_start",
    "routing",
    "county",
    "measures",
    "catchments",
    "raster",
    "siting",
    "planning",
    "dask",
    "national",
    "transit",
]

HEADER = """# Benchmarks

Measured on this project's own 2-core machines (the same kind as CI's), which are shared and noisy:
read the **ratios** against the reference measured in the same run, not the absolute seconds.
Every figure below is reproduced by the command given in its section; `python bench/collect.py`
assembles this file from `bench/results/*.md`.

What is timed differs by section. **The user's path** (`bench/bench_user_path.py`) times the public
functions a user calls — reading the road layer, `network_from_roads` / `network_from_osm`,
`locate`, `travel_costs`, the measures — each group in a fresh process, on an independent road
graph (`bench/road_graphs.py`); `bench/bench_cold_start.py` times whole commands as fresh
processes (the first demo on an empty numba cache, a real county's OSM file to a GeoPackage).
**The routing benchmark** (`bench/bench_routing.py`) times only the
routing kernels on CSR arrays built by hand from its own generator (`bench/graphs.py`, an easy
graph: contraction keeps 8 % of its nodes); network building, snapping and renumbering are not
in its rows.

"""


def _as_section(text: str) -> str:
    """Each result file becomes a level-2 section: shift its headings down when it starts at 1."""
    first = next((line for line in text.splitlines() if line.startswith("#")), "")
    if not first.startswith("# "):
        return text
    out = []
    in_code = False
    for line in text.splitlines():
        if line.startswith("```"):
            in_code = not in_code
        out.append("#" + line if line.startswith("#") and not in_code else line)
    return "\n".join(out)


def main() -> None:
    parts = [HEADER]
    files = {p.stem: p for p in (HERE / "results").glob("*.md")}
    for name in [*ORDER, *sorted(set(files) - set(ORDER))]:
        if name in files:
            parts.append(_as_section(files[name].read_text(encoding="utf-8")).strip() + "\n\n")
    (HERE.parent / "BENCHMARKS.md").write_text("".join(parts), encoding="utf-8")


if __name__ == "__main__":
    main()
