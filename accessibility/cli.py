"""The ``accessibility`` command.

``accessibility demo [--out DIR]`` runs the whole job on the embedded synthetic demo county;
``accessibility run project.toml`` runs it on your data. The command only calls public functions.
"""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Sequence
from pathlib import Path

from . import __version__

_log = logging.getLogger("accessibility")


def _setup_logging(verbose: int, quiet: bool) -> None:
    level = logging.WARNING if quiet else (logging.DEBUG if verbose > 1 else logging.INFO)
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(levelname)s: %(message)s"))
    root = logging.getLogger("accessibility")
    root.handlers[:] = [h for h in root.handlers if isinstance(h, logging.NullHandler)]
    root.addHandler(handler)
    root.setLevel(level)
    if verbose < 2:
        logging.getLogger("numba").setLevel(logging.WARNING)


def _common(p: argparse.ArgumentParser) -> None:
    p.add_argument("-q", "--quiet", action="store_true", help="no progress bars, warnings only")
    p.add_argument("-v", "--verbose", action="count", default=0, help="more log output (-vv: debug)")
    p.add_argument("--n-jobs", type=int, default=None, help="routing threads (default: all cores)")


def build_parser() -> argparse.ArgumentParser:
    """The argument parser (exposed for documentation and tests)."""
    parser = argparse.ArgumentParser(
        prog="accessibility",
        description="Accessibility of public services for every village: travel times, "
        "floating catchments, coverage and equity, written as a styled GeoPackage for QGIS.",
    )
    parser.add_argument("--version", action="version", version=f"accessibility {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    demo = sub.add_parser("demo", help="run the whole job on the embedded synthetic demo county")
    demo.add_argument("--out", default="demo_output", help="output folder (default: demo_output)")
    _common(demo)

    run = sub.add_parser("run", help="run a project file (TOML)")
    run.add_argument("project", help="project file, see docs/project_file.md")
    run.add_argument("--out", default=None, help="output folder (overrides [output] folder)")
    _common(run)

    check = sub.add_parser("check", help="check a project file and its inputs without running")
    check.add_argument("project")
    _common(check)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``accessibility`` command; returns the exit code."""
    from .errors import AccessibilityError
    from .options import set_options

    args = build_parser().parse_args(argv)
    _setup_logging(args.verbose, args.quiet)
    try:
        with set_options(progress=not args.quiet and sys.stderr.isatty()):
            return _dispatch(args)
    except AccessibilityError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except FileNotFoundError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted; outputs already in place were left untouched", file=sys.stderr)
        return 130


def _dispatch(args: argparse.Namespace) -> int:
    from .pipeline import run_demo, run_project

    if args.command == "demo":
        result = run_demo(args.out, n_jobs=args.n_jobs)
    elif args.command == "run":
        result = run_project(Path(args.project), out_dir=args.out, n_jobs=args.n_jobs)
    elif args.command == "check":
        from .config import load_config

        cfg = load_config(Path(args.project))
        print(f"{args.project}: OK ({len(cfg['services'])} service table(s))")
        return 0
    else:  # pragma: no cover - argparse enforces the choices
        raise SystemExit(2)
    for kind, path in result.files.items():
        print(f"{kind}: {path}")
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
