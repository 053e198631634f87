"""``network_from_osm`` on a PBF: the direct PBF decoder against the pyosmium reader it replaced.

Both run in ONE process, interleaved, best of ``--repeat`` (wall and CPU seconds), on the PBFs of
``bench/road_graphs.py`` (the independent road graph of issue 17, random OSM node ids). "old" is
the reader kept in ``tests/test_osm_pbf.py`` (a pyosmium ``FileProcessor`` with locations, a Python
object per way and way node) followed by ``GeoSeries.to_crs`` and the same builder; "new" is
``accessibility.network_from_osm``. The two networks are compared (nodes, edges, geometry) once
per size. Peak RSS is measured in a fresh process per variant (``--peak``). ``--profile`` prints
the top of a cProfile of the new call.

Usage::

    python bench/bench_osm_pbf.py --sizes 300000,1000000 --repeat 2 --peak
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
MODES = ("car",)  # as the ``pbf`` step of bench/bench_user_path.py


def _variants():
    sys.path.insert(0, str(HERE))
    sys.path.insert(0, str(ROOT / "tests"))
    from test_osm_pbf import reference_network

    import accessibility as acc

    def old(path):
        return reference_network(path, modes=MODES)

    def new(path):
        return acc.network_from_osm(path, modes=MODES)

    return {"old": old, "new": new}


def _pbf(n: int) -> Path:
    sys.path.insert(0, str(HERE))
    import road_graphs as rg

    return rg.cached(n, pbf=True)["pbf"]


def _timed(f, path):
    t, c = time.perf_counter(), time.process_time()
    out = f(path)
    return out, time.perf_counter() - t, time.process_time() - c


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", default="300000,1000000")
    ap.add_argument("--repeat", type=int, default=2)
    ap.add_argument("--peak", action="store_true", help="peak RSS of each variant, fresh process")
    ap.add_argument("--profile", action="store_true")
    ap.add_argument("--one", choices=("old", "new"), help=argparse.SUPPRESS)
    a = ap.parse_args()
    sizes = [int(s) for s in a.sizes.split(",")]
    variants = _variants()
    if a.one:  # child of --peak: one call, then its peak RSS
        _, wall, cpu = _timed(variants[a.one], _pbf(sizes[0]))
        # VmHWM, not ru_maxrss: a child's ru_maxrss starts at its parent's size when forked
        status = Path("/proc/self/status").read_text().splitlines()
        hwm = [line.split()[1] for line in status if line.startswith("VmHWM:")]
        peak = (
            int(hwm[0]) / 1024.0
            if hwm
            else resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0
        )
        print(json.dumps({"wall_s": wall, "cpu_s": cpu, "peak_mb": peak}))
        return
    sys.path.insert(0, str(ROOT / "tests"))
    from test_osm_pbf import assert_same_network

    variants["new"](_pbf(100_000))  # kernels loaded from the numba cache before timing
    print(
        "| nodes | old wall s | old CPU s | new wall s | new CPU s | ratio (wall) | ratio (CPU) |"
    )
    print("|---|---|---|---|---|---|---|")
    for n in sizes:
        path = _pbf(n)
        best = {k: [float("inf"), float("inf")] for k in variants}
        nets = {}
        for _ in range(a.repeat):
            for name, f in variants.items():
                nets[name], wall, cpu = _timed(f, path)
                best[name] = [min(best[name][0], wall), min(best[name][1], cpu)]
        assert_same_network(nets["new"], nets["old"])
        del nets
        (ow, oc), (nw, nc) = best["old"], best["new"]
        print(
            f"| {n:,} | {ow:.2f} | {oc:.2f} | {nw:.2f} | {nc:.2f} | {ow / nw:.1f}x | {oc / nc:.1f}x |"
        )
        if a.peak:
            for name in variants:
                out = subprocess.run(
                    [sys.executable, __file__, "--sizes", str(n), "--one", name],
                    capture_output=True,
                    text=True,
                    check=True,
                )
                r = json.loads(out.stdout.strip().splitlines()[-1])
                print(
                    f"  {name}: fresh process {r['wall_s']:.2f} s, peak RSS {r['peak_mb']:.0f} MB"
                )
        if a.profile:
            import cProfile
            import pstats

            pr = cProfile.Profile()
            pr.enable()
            variants["new"](path)
            pr.disable()
            pstats.Stats(pr).sort_stats("cumulative").print_stats(25)


if __name__ == "__main__":
    main()
