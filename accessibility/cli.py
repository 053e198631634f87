"""The ``accessibility`` command.

``accessibility demo [--out DIR]`` runs the whole job on the embedded synthetic demo county;
``accessibility run project.toml`` runs it on your data. The command only calls public functions.
"""

from __future__ import annotations

import argparse
import logging
import sys
import warnings
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from . import __version__
from .errors import WARNED, AccessibilityWarning

_log = logging.getLogger("accessibility")


def _setup_logging(verbose: int, quiet: bool) -> None:
    level = logging.WARNING if quiet else (logging.DEBUG if verbose > 1 else logging.INFO)
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(levelname)s: %(message)s"))
    root = logging.getLogger("accessibility")
    root.handlers[:] = [h for h in root.handlers if isinstance(h, logging.NullHandler)]
    # a message emitted both as a warning and as a log record is shown once, as the warning
    handler.addFilter(lambda record: not getattr(record, WARNED, False))
    root.addHandler(handler)
    root.setLevel(level)
    if verbose < 2:
        logging.getLogger("numba").setLevel(logging.WARNING)


def _warnings_as_log(original: Callable[..., None]) -> Callable[..., None]:
    """A ``warnings.showwarning`` that shows the package's warnings as log lines
    (``WARNING: ...``, once each) and other warnings as ``original`` does."""

    def show(
        message: Warning | str,
        category: type[Warning],
        filename: str,
        lineno: int,
        file: Any = None,
        line: str | None = None,
    ) -> None:
        if issubclass(category, AccessibilityWarning):
            _log.warning("%s", message)
        else:
            original(message, category, filename, lineno, file, line)

    return show


def _common(p: argparse.ArgumentParser, *, top: bool = False) -> None:
    """The global options, on the main parser (``top``) and again on every subcommand, so that
    they work before or after it (``accessibility -q run p.toml`` = ``accessibility run p.toml
    -q``). The subcommands' copies default to SUPPRESS so that they do not reset a value given
    before the subcommand."""
    # on the subcommands, SUPPRESS: an option not given there leaves the main parser's value
    unset: object = None if top else argparse.SUPPRESS
    p.add_argument(
        "-q",
        "--quiet",
        action="store_true",
        help="no progress bars, warnings only",
        default=False if top else argparse.SUPPRESS,
    )
    p.add_argument(
        "-v",
        "--verbose",
        action="count",
        help="more log output (-vv: debug)",
        default=0 if top else argparse.SUPPRESS,
    )
    p.add_argument("--n-jobs", type=int, help="routing threads (default: all cores)", default=unset)


def _overwrite(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--overwrite",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="replace existing outputs, or (--no-overwrite) refuse before any work if one exists "
        "(default: [output] overwrite of the project file, which defaults to true)",
    )


def _lang(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--lang",
        choices=["zh", "en"],
        default=None,
        help="language of the report, QGIS project, table headers and these lines (default: "
        "[project] language, else zh for the Chinese road profile)",
    )


def build_parser() -> argparse.ArgumentParser:
    """The argument parser (exposed for documentation and tests)."""
    parser = argparse.ArgumentParser(
        prog="accessibility",
        description="Accessibility of public services for every village: travel times, "
        "floating catchments, coverage and equity, written as a styled GeoPackage for QGIS.",
    )
    parser.add_argument("--version", action="version", version=f"accessibility {__version__}")
    _common(parser, top=True)
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    demo = sub.add_parser("demo", help="run the whole job on the embedded synthetic demo county")
    demo.add_argument("--out", default="demo_output", help="output folder (default: demo_output)")
    _lang(demo)
    _common(demo)

    run = sub.add_parser("run", help="run a project file (TOML)")
    run.add_argument("project", help="project file, see docs/project_file.md")
    run.add_argument("--out", default=None, help="output folder (overrides [output] folder)")
    run.add_argument(
        "--dask",
        nargs="?",
        const="local",
        default=None,
        metavar="ADDRESS",
        help="run county by county on Dask: a local cluster, or the scheduler at ADDRESS "
        "(checkpoints let a re-run compute only what is missing; see docs/dask.md)",
    )
    run.add_argument(
        "--partition-column",
        default=None,
        help="village column to split by with --dask (default: county, or the whole study "
        "area as one partition when villages have no county column)",
    )
    _overwrite(run)
    _lang(run)
    _common(run)

    scen = sub.add_parser(
        "scenario", help="evaluate a planning scenario (new or closed facilities, road upgrades)"
    )
    scen.add_argument("project", help="project file (TOML)")
    scen.add_argument("scenario", help="scenario file (TOML), see docs/planning.md")
    scen.add_argument("--out", default=None, help="output folder (default: [output] folder)")
    _overwrite(scen)
    _common(scen)

    site = sub.add_parser("site", help="where to build next: optimal sites for new facilities")
    site.add_argument("project", help="project file (TOML)")
    site.add_argument("--service", required=True, help="service to site (e.g. health_centre)")
    site.add_argument(
        "--objective",
        default="mclp",
        choices=["mclp", "p_median", "lscp", "p_center", "equity"],
        help="maximal covering (default), p-median, set covering, p-center, or equity (max-min "
        "share within the standard across groups)",
    )
    site.add_argument("--p", type=int, default=1, help="number of new sites (default 1)")
    site.add_argument(
        "--candidates",
        default="villages",
        help="'villages' (default), a point layer path, or a grid spacing in metres (e.g. 2000)",
    )
    site.add_argument("--standard-min", type=float, default=None, help="coverage standard (min)")
    site.add_argument("--method", default="exact", choices=["exact", "greedy"])
    site.add_argument("--time-limit", type=float, default=60.0, help="solver time limit (s)")
    site.add_argument("--out", default=None, help="output folder (default: [output] folder)")
    _overwrite(site)
    _common(site)

    init = sub.add_parser("init", help="write a commented project file for the data in a folder")
    init.add_argument("folder", help="folder with Shapefiles, GeoPackages, a PBF, rasters")
    init.add_argument("--out", default=None, help="project file (default: FOLDER/project.toml)")
    init.add_argument("--force", action="store_true", help="replace an existing project file")
    _common(init)

    check = sub.add_parser("check", help="check a project file and its inputs without running")
    check.add_argument("project")
    _common(check)

    comp = sub.add_parser(
        "compile",
        help="compile the routing kernels into numba's cache now (for a Docker image, a shared "
        "server, or before a demonstration), so that the first run does not",
    )
    _common(comp)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``accessibility`` command; returns the exit code."""
    from ._files import committed_outputs
    from .errors import AccessibilityError
    from .options import set_options

    already = len(committed_outputs())
    args = build_parser().parse_args(argv)
    _setup_logging(args.verbose, args.quiet)
    try:
        with (
            warnings.catch_warnings(),
            set_options(progress=not args.quiet and sys.stderr.isatty()),
        ):
            warnings.showwarning = _warnings_as_log(warnings.showwarning)
            _compile_ahead(args)
            return _dispatch(args)
    except AccessibilityError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except FileNotFoundError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(_interrupted(committed_outputs()[already:]), file=sys.stderr)
        return 130
    finally:
        if args.command in ("demo", "run"):
            from ._precompile import stop_background

            stop_background()


def _compile_ahead(args: argparse.Namespace) -> None:
    """On a fresh install (numba's cache empty), compile the kernels on the second core while
    the run starts (``accessibility._precompile``); a run on a remote Dask cluster compiles
    there."""
    if args.command in ("demo", "run") and getattr(args, "dask", None) in (None, "local"):
        from ._precompile import start_background

        start_background()


def _interrupted(written: Sequence[Path]) -> str:
    """What an interruption left on disk: outputs are only ever replaced as complete sets."""
    if not written:
        return "interrupted before any output was written; existing files were left as they were"
    names = ", ".join(str(p) for p in written[:6])
    if len(written) > 6:
        names += f" and {len(written) - 6} more"
    return (
        f"interrupted after these outputs were written: {names}; they are complete, and the "
        "outputs not yet written were left as they were"
    )


def _dispatch(args: argparse.Namespace) -> int:
    from .project import run_demo, run_project

    if args.command in ("demo", "run") and getattr(args, "lang", None):
        from .project import demo_project, load_config

        cfg = demo_project() if args.command == "demo" else load_config(Path(args.project))
        cfg["project"] = {**cfg["project"], "language": args.lang}
        args.project = cfg  # the configuration with the language, instead of its file
    if args.command == "demo" and getattr(args, "lang", None):
        result = run_project(args.project, out_dir=args.out, n_jobs=args.n_jobs)
    elif args.command == "demo":
        result = run_demo(args.out, n_jobs=args.n_jobs)
    elif args.command == "run" and args.dask is not None:
        from .project.dask import run_partitioned

        result = run_partitioned(
            _project(args.project),
            partition_column=args.partition_column,
            scheduler=None if args.dask == "local" else args.dask,
            out_dir=args.out,
            overwrite=args.overwrite,
        )
    elif args.command == "run":
        result = run_project(
            _project(args.project), out_dir=args.out, n_jobs=args.n_jobs, overwrite=args.overwrite
        )
    elif args.command == "scenario":
        from .planning import run_scenario

        res = run_scenario(
            Path(args.project),
            Path(args.scenario),
            out_dir=args.out,
            n_jobs=args.n_jobs,
            overwrite=args.overwrite,
        )
        print(res.summary.to_string())
        for kind, path in getattr(res, "files", {}).items():
            print(f"{kind}: {path}")
        return 0
    elif args.command == "site":
        from .planning import run_siting

        candidates: str | float = args.candidates
        try:
            candidates = float(args.candidates)
        except ValueError:
            pass
        siting, res = run_siting(
            Path(args.project), service=args.service, objective=args.objective, p=args.p,
            candidates=candidates, standard_min=args.standard_min, method=args.method,
            time_limit_s=args.time_limit, out_dir=args.out, n_jobs=args.n_jobs,
            overwrite=args.overwrite,
        )  # fmt: skip
        print(siting.summary())
        for kind, path in getattr(res, "files", {}).items():
            print(f"{kind}: {path}")
        return 0
    elif args.command == "init":
        from .project.init import init_project

        path, missing = init_project(args.folder, path=args.out, overwrite=args.force)
        print(f"wrote {path}")
        for item in missing:
            print(f"missing: {item}")
        print(f"next: check it, then `accessibility run {path}`")
        return 0
    elif args.command == "check":
        from ._files import check_output_paths
        from .project import check_project, load_config, read_validated_layers
        from .project.inputs import read_project_layer

        cfg = load_config(Path(args.project))
        check_output_paths(cfg, writable=False)  # no output over an input or another output
        _, roads, villages, facilities = read_validated_layers(cfg)
        inp = cfg["input"]
        townships = read_project_layer(inp, "townships") if inp["townships"] else None
        # everything the run needs that does not need routing (the run calls it too)
        check_project(cfg, villages, facilities, townships=townships)
        road_text = f"{len(roads)} road lines, " if roads is not None else ""
        print(
            f"{args.project}: OK — {road_text}{len(villages)} villages, {len(facilities)} "
            f"facilities, {len(cfg['services'])} service table(s)"
        )
        return 0
    elif args.command == "compile":
        from ._precompile import compile_all

        n, where = compile_all()
        print(f"{n} kernels compiled into numba's cache ({where})")
        return 0
    else:  # pragma: no cover - argparse enforces the choices
        raise SystemExit(2)
    from .project.summary import run_summary

    for line in run_summary(result):
        print(line)
    return 0


def _project(project: Any) -> Any:
    """A project file's path, or the configuration ``--lang`` changed."""
    return project if isinstance(project, dict) else Path(project)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
