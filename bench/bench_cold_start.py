"""What a user waits for in a NEW process: the first demo on a fresh install, and a real county.

Rows (issue 17), each a fresh Python process timed from the outside (interpreter start,
imports, numba cache loads and everything the command does are included):

``demo cold``  ``python -m accessibility demo --out DIR`` with an EMPTY numba cache
               (``NUMBA_CACHE_DIR`` = a new temporary folder), as on a fresh install: every
               kernel the demo uses compiles.
``demo warm``  the same command again with that cache filled.
``imperial``   Imperial County's OSM file to the styled GeoPackage and CSV of
               ``bench/bench_county.py`` (network, places and facilities, per-village layer,
               export) with the kernels cached (one untimed run first fills the cache).

The package's bytecode is compiled first (untimed, into a temporary ``PYTHONPYCACHEPREFIX``), as
an installed package has it.

A further demo run with an empty cache and without the background compile
(``ACCESSIBILITY_PRECOMPILE=0``, so that every kernel compiles in it) lists the kernels that
compiled and the seconds each took (numba's compile events, time spent in the kernel's own
compilation, callees excluded); ``--no-kernels`` skips it.

``--precompile-ab N`` instead runs the first demo (empty cache) N times without and N times with
the background compile, interleaved, and prints the median wall and CPU seconds of each.

    python bench/bench_cold_start.py      # prints a table, writes bench/results/cold_start.md
    python bench/bench_cold_start.py --from-log LOG   # the report again from a run's printout
    python bench/bench_cold_start.py --precompile-ab 3
    python bench/bench_cold_start.py --precompile-ab 3 --against ../main   # two checkouts

``--against CHECKOUT`` with ``--precompile-ab N`` runs the first demo of this checkout and of
another one (e.g. a ``git worktree`` of main), interleaved, N times each.
"""

from __future__ import annotations

import argparse
import ast
import os
import platform
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
PBF = Path(os.environ.get("ACCESSIBILITY_SHARED_DATA", ROOT.parent / "shared" / "data"))
PBF = PBF / "osm" / "imperial-county.osm.pbf"

KERNELS_CHILD = """
import sys, time
import numba.core.event as ev

stack, rows = [], []


class Compiles(ev.Listener):
    def on_start(self, event):
        stack.append([time.perf_counter(), 0.0])

    def on_end(self, event):
        t0, inner = stack.pop()
        dt = time.perf_counter() - t0
        if stack:
            stack[-1][1] += dt
        f = event.data["dispatcher"].py_func
        rows.append((dt - inner, f.__module__ + "." + f.__name__))


ev.register("numba:compile", Compiles())
from accessibility.cli import main

main(["demo", "--out", sys.argv[1]])
by = {}
for s, name in rows:
    n, t = by.get(name, (0, 0.0))
    by[name] = (n + 1, t + s)
print(repr(sorted(((t, n, k) for k, (n, t) in by.items()), reverse=True)), file=sys.stderr)
"""

COUNTY_CHILD = """
import sys
from pathlib import Path

sys.path.insert(0, sys.argv[1])
import bench_county

bench_county.run(Path(sys.argv[2]), Path(sys.argv[3]))
"""


#: fresh processes of the county job timed (the row gives the median by wall time, and the best)
IMPERIAL_RUNS = 5


def _wall(r: dict) -> float:
    return r["wall_s"]


def _timed(cmd: list[str], env: dict[str, str], cwd: Path | None = None) -> dict:
    """Wall and CPU seconds (user + system, all threads) of one child process (run in ``cwd``:
    ``python -m`` imports from its folder first)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    load0 = os.getloadavg()[0]
    t = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, text=True, env=env, check=False, cwd=cwd)
    wall = time.perf_counter() - t
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if proc.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} failed:\n{proc.stderr[-3000:]}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return {
        "wall_s": wall,
        "cpu_s": cpu,
        "load": (load0, os.getloadavg()[0]),
        "stderr": proc.stderr,
    }


def measure(kernels: bool) -> dict:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    res: dict = {}
    with tempfile.TemporaryDirectory() as tmp:
        # the package's bytecode compiled once, untimed, as ``pip install`` does (a checkout run
        # with PYTHONDONTWRITEBYTECODE would otherwise compile ~150 modules in every process)
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        env["PYTHONPYCACHEPREFIX"] = str(Path(tmp) / "pycache")
        subprocess.run(
            [sys.executable, "-m", "compileall", "-q", str(ROOT / "accessibility")],
            env=env,
            check=True,
            capture_output=True,
        )
        cache, out = Path(tmp) / "numba_cache", Path(tmp) / "out"
        demo = [sys.executable, "-m", "accessibility", "demo", "--out", str(out)]
        res["demo cold"] = _timed(demo, {**env, "NUMBA_CACHE_DIR": str(cache)})
        res["demo warm"] = _timed(demo, {**env, "NUMBA_CACHE_DIR": str(cache)})
        if kernels:
            k = _timed(
                [sys.executable, "-c", KERNELS_CHILD, str(out)],
                {
                    **env,
                    "NUMBA_CACHE_DIR": str(Path(tmp) / "numba_cache_2"),
                    "ACCESSIBILITY_PRECOMPILE": "0",
                },
            )
            k["kernels"] = ast.literal_eval(k["stderr"].strip().splitlines()[-1])
            res["kernels"] = k
        if PBF.exists():
            county = [sys.executable, "-c", COUNTY_CHILD, str(HERE), str(PBF), str(out)]
            _timed(county, env)  # fills the default numba cache
            runs = sorted((_timed(county, env) for _ in range(IMPERIAL_RUNS)), key=_wall)
            res["imperial"] = {  # a 3 s process on a shared machine: the median of several
                **runs[len(runs) // 2],
                "best_wall_s": runs[0]["wall_s"],
                "runs_wall_s": [r["wall_s"] for r in runs],
            }
    return res


def precompile_ab(n: int) -> str:
    """The first demo without and with the background compile, ``n`` times each, interleaved."""
    return first_demo_ab(
        n,
        {
            "without the background compile": (ROOT, {"ACCESSIBILITY_PRECOMPILE": "0"}),
            "with the background compile": (ROOT, {"ACCESSIBILITY_PRECOMPILE": "1"}),
        },
    )


def first_demo_ab(n: int, variants: dict[str, tuple[Path, dict[str, str]]]) -> str:
    """The first demo (empty numba cache) of each variant (a checkout and extra environment),
    ``n`` times each, interleaved (each round in the reverse order of the one before)."""
    import statistics

    env = dict(os.environ)
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    runs: dict[str, list[dict]] = {name: [] for name in variants}
    with tempfile.TemporaryDirectory() as tmp:
        env["PYTHONPYCACHEPREFIX"] = str(Path(tmp) / "pycache")
        for root in {root for root, _ in variants.values()}:
            subprocess.run(
                [sys.executable, "-m", "compileall", "-q", str(root / "accessibility")],
                env=env,
                check=True,
                capture_output=True,
            )
        for i in range(n):
            names = list(variants) if i % 2 == 0 else list(variants)[::-1]
            for k, name in enumerate(names):
                root, extra = variants[name]
                out = Path(tmp) / f"out_{i}_{k}"
                demo = [sys.executable, "-m", "accessibility", "demo", "--out", str(out)]
                cache = str(Path(tmp) / f"numba_cache_{i}_{k}")
                run_env = {**env, **extra, "PYTHONPATH": str(root), "NUMBA_CACHE_DIR": cache}
                r = _timed(demo, run_env, cwd=root)
                runs[name].append(r)
                print(name, {k: v for k, v in r.items() if k != "stderr"}, flush=True)
    lines = []
    for name, got in runs.items():
        wall = statistics.median(r["wall_s"] for r in got)
        cpu = statistics.median(r["cpu_s"] for r in got)
        lines.append(f"first demo {name}: median of {n}, {wall:.1f} s wall, {cpu:.1f} s CPU")
    return "\n".join(lines)


def report(res: dict) -> str:
    import numpy as np

    def row(name: str, what: str) -> str:
        r = res[name]
        return (
            f"| {what} | {r['wall_s']:.1f} s | {r['cpu_s']:.1f} s | "
            f"load {r['load'][0]:.1f}→{r['load'][1]:.1f} |"
        )

    lines = [
        "# Cold start and fresh processes (issue 17)",
        "",
        "Written by `bench/bench_cold_start.py`; command `python bench/bench_cold_start.py` "
        f"({time.strftime('%Y-%m-%d %H:%M')}, Python {platform.python_version()}, numpy "
        f"{np.__version__}, {os.cpu_count()} cores shared with other work).",
        "",
        "Each row is one fresh process timed from outside: interpreter start, imports, loading "
        "or compiling the numba kernels and the whole command. CPU is user + system of the "
        "process (all threads) and, on a fresh install, of the process it starts to compile "
        "kernels on the second core (`accessibility/_precompile.py`).",
        "",
        "| process | wall | CPU | load |",
        "|---|---|---|---|",
        row(
            "demo cold",
            "`python -m accessibility demo --out DIR`, empty numba cache (fresh install)",
        ),
        row("demo warm", "the same, kernels cached"),
    ]
    if "imperial" in res:
        lines.append(
            row(
                "imperial",
                "Imperial County PBF → styled GeoPackage + CSV (`bench/bench_county.py`'s job), "
                "kernels cached, median of "
                + (
                    f"{len(res['imperial']['runs_wall_s'])} fresh processes (best "
                    f"{res['imperial']['best_wall_s']:.1f} s)"
                    if "runs_wall_s" in res["imperial"]
                    else "1 fresh process"
                ),
            )
        )
    lines.append("")
    cold, warm = res["demo cold"], res["demo warm"]
    lines += [
        f"Compiling on a fresh install costs the demo {cold['cpu_s'] - warm['cpu_s']:.1f} s CPU "
        f"({cold['wall_s'] - warm['wall_s']:.1f} s wall).",
        "",
    ]
    if "kernels" in res:
        ks = res["kernels"]["kernels"]
        total = sum(t for t, _, _ in ks)
        lines += [
            f"Kernels compiled by the first demo (a separate run with an empty cache, without "
            "the second core's compile process): "
            f"{sum(n for _, n, _ in ks)} compilations, {total:.1f} s in all (numba's compile "
            "events, wall seconds: each kernel's own time, callees excluded; numba's library "
            "functions such as `np.sort` grouped under their names; that run's load, "
            f"{res['kernels']['load'][0]:.1f}→{res['kernels']['load'][1]:.1f}, inflates them: "
            "compare them with each other). The ten largest:",
            "",
            "| kernel | versions compiled | seconds |",
            "|---|---|---|",
            *(f"| `{k}` | {n} | {t:.2f} |" for t, n, k in ks[:10]),
            "",
        ]
    targets = [
        "### Targets (issue 17)",
        "",
        f"- first `accessibility demo` on a fresh install ≤ 30 s: "
        f"{'**met**' if cold['wall_s'] <= 30 else '**NOT met**'} ({cold['wall_s']:.1f} s wall, "
        f"{cold['cpu_s']:.1f} s CPU)",
    ]
    if "imperial" in res:
        im = res["imperial"]
        targets.append(
            f"- Imperial County PBF → styled GeoPackage as a fresh process ≤ 3 s: "
            f"{'**met**' if im['wall_s'] <= 3 else '**NOT met**'} ({im['wall_s']:.1f} s wall, "
            f"{im['cpu_s']:.1f} s CPU"
            + (
                f"; median of {len(im['runs_wall_s'])} fresh processes: "
                + ", ".join(f"{w:.1f}" for w in im["runs_wall_s"])
                + " s"
                if "runs_wall_s" in im
                else ""
            )
            + ")"
        )
        if im["wall_s"] > 3:
            targets.append(
                '  Where such a process spends its time (docs/routing.md, "The first run on a '
                'fresh install"): the interpreter, numba, geopandas/pandas/pyarrow/pyproj, '
                "pyogrio and pyosmium imports; numba's first kernel load, which imports "
                "`scipy.linalg` for numba's BLAS check (and with it `numpy.f2py`, through "
                "SciPy's array-API layer); then the job itself (the PBF, places and facilities, "
                "the per-village layer, the GeoPackage)."
            )
    return "\n".join(lines + targets) + "\n"


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--no-kernels", action="store_true", help="skip the per-kernel compile run")
    p.add_argument("--out", default=str(HERE / "results" / "cold_start.md"))
    p.add_argument("--from-log", default=None, help="re-render the report from a run's printout")
    p.add_argument(
        "--precompile-ab",
        type=int,
        default=0,
        metavar="N",
        help="only the first demo, N times without and with the background compile",
    )
    p.add_argument(
        "--against",
        default=None,
        metavar="CHECKOUT",
        help="with --precompile-ab N: the first demo of this checkout and of CHECKOUT instead",
    )
    a = p.parse_args()
    if a.precompile_ab and a.against:
        other = Path(a.against).resolve()
        print(
            first_demo_ab(a.precompile_ab, {"this checkout": (ROOT, {}), str(other): (other, {})})
        )
        return
    if a.precompile_ab:
        print(precompile_ab(a.precompile_ab))
        return
    if a.from_log:
        res = {}
        for line in Path(a.from_log).read_text(encoding="utf-8").splitlines():
            name, _, rest = line.partition(" {")
            if name in ("demo cold", "demo warm", "kernels", "imperial") and rest:
                res[name] = ast.literal_eval("{" + rest)
        text = report(res)
        Path(a.out).write_text(text, encoding="utf-8")
        print(text)
        return
    res = measure(kernels=not a.no_kernels)
    for name, r in res.items():
        print(name, {k: v for k, v in r.items() if k != "stderr"}, flush=True)
    text = report(res)
    Path(a.out).write_text(text, encoding="utf-8")
    print(text)


if __name__ == "__main__":
    main()
