"""Regenerate the SYNTHETIC demo county in this folder (or in ``--out``).

Usage, from the repository root::

    python data/make_demo_county.py            # rewrites data/demo_county.gpkg, demo_dem.tif, ...
    python data/make_demo_county.py --out /tmp/demo

The generator is the package ``data/generator/`` next to this script (not shipped with the package;
run through :func:`accessibility.datasets.make_demo_county`; fixed seed, no network); running
this twice gives the same layer content, so the committed files only change when the generator does.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent


def main(argv: list[str] | None = None) -> int:
    """Parse the command line and write the demo files."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=HERE, help="folder to write (default: data/)")
    parser.add_argument("--seed", type=int, default=None, help="seed (default: the shipped one)")
    parser.add_argument(
        "--no-population", action="store_true", help="do not write demo_population.tif"
    )
    args = parser.parse_args(argv)
    try:
        from accessibility import datasets
    except ImportError:  # run from a checkout without installing: use the repository's package
        sys.path.insert(0, str(HERE.parent))
        from accessibility import datasets

    seed = datasets.DEMO_SEED if args.seed is None else args.seed
    demo = datasets.make_demo_county(args.out, seed=seed, population_raster=not args.no_population)
    print(f"wrote {demo!r} to {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
