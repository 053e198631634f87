"""Package hygiene: nothing happens at import, every public name resolves."""

from __future__ import annotations

import subprocess
import sys

import pytest

import accessibility


def test_import_is_lazy_and_quiet():
    code = (
        "import sys, logging; import accessibility;"
        "heavy = [m for m in ('geopandas', 'numba', 'osmnx', 'rasterio') if m in sys.modules];"
        "print(heavy); print(logging.getLogger('accessibility').handlers)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.splitlines()[0] == "[]"
    assert "NullHandler" in out.stdout
    assert out.stderr == ""


def test_layer_job_imports_no_report_or_run_machinery():
    # a script that builds a per-village layer (bench/bench_county.py's job) loads only that path
    # (SciPy's linear algebra, sparse matrices and their numpy.f2py import cost a fresh process
    # ~0.3 s: only a kernel's first load, through numba, and the strong components may bring them)
    heavy = (
        "accessibility.report", "accessibility.project.check", "accessibility.project.run",
        "accessibility.project.steps", "matplotlib", "openpyxl", "tqdm.asyncio", "esda",
        "libpysal", "spopt", "sklearn", "dask", "distributed", "jinja2", "networkx", "osmnx",
        "rasterio", "duckdb", "gtfs_kit", "pyarrow.parquet", "IPython", "scipy.linalg",
        "scipy.sparse", "scipy.spatial", "numpy.f2py",
    )  # fmt: skip
    code = (
        "import sys, accessibility as acc; acc.accessibility_layer; acc.network_from_osm;"
        "import accessibility.io, accessibility.osm, accessibility.styles;"
        "from accessibility.options import progress; list(progress(range(2), desc='x'));"
        f"print(sorted(m for m in {heavy!r} if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_every_public_name_resolves():
    for name in accessibility.__all__:
        assert getattr(accessibility, name) is not None, name


def test_locate_is_the_function_even_after_submodules_load():
    import accessibility.costs

    assert callable(accessibility.locate)
    assert accessibility.locate.__module__ == "accessibility.snapping"


# --- the top-level names and the modules' ``__all__`` agree ------------------------------------


def _public_modules():
    """Every submodule the top level names, and every sub-package of the package."""
    import importlib
    import pkgutil

    names = set(accessibility._SUBMODULES) | set(accessibility._LAZY.values())
    for info in pkgutil.iter_modules(accessibility.__path__):
        if info.ispkg and not info.name.startswith("_"):
            names.add(info.name)
    return {name: importlib.import_module(f"accessibility.{name}") for name in sorted(names)}


def test_every_top_level_name_is_in_its_modules_all():
    modules = _public_modules()
    missing = [
        f"{name} (from accessibility.{module})"
        for name, module in accessibility._LAZY.items()
        if name not in getattr(modules[module], "__all__", ())
    ]
    assert not missing, f"top-level names not in their module's __all__: {missing}"


def test_every_public_module_declares_all_and_its_names_resolve():
    problems = []
    for name, module in _public_modules().items():
        exported = getattr(module, "__all__", None)
        if exported is None:
            problems.append(f"accessibility.{name} has no __all__")
            continue
        if len(set(exported)) != len(exported):
            problems.append(f"accessibility.{name}.__all__ repeats a name")
        problems += [
            f"accessibility.{name}.__all__ names {item!r}, which it does not define"
            for item in exported
            if not hasattr(module, item)
        ]
    assert not problems, "\n".join(problems)


def test_top_level_all_and_dir_agree():
    assert set(accessibility.__all__) == {"__version__", *accessibility._LAZY}
    assert set(accessibility._LAZY) <= set(dir(accessibility))
    assert accessibility._SUBMODULES <= set(dir(accessibility))


def test_lazy_names_are_imported_for_type_checkers():
    """``accessibility.project`` and ``accessibility.pipeline`` load their names on first use
    (``__getattr__``); an ``if TYPE_CHECKING:`` block imports each of them for real, or a type
    checker sees them all as ``Any`` and checks no call to them."""
    import ast

    import accessibility.pipeline as pipeline
    import accessibility.project as project

    for module, lazy in ((project, set(project._LAZY)), (pipeline, set(pipeline.__all__))):
        tree = ast.parse(open(str(module.__file__), encoding="utf-8").read())
        typed = {
            alias.asname or alias.name
            for node in tree.body
            if isinstance(node, ast.If) and ast.unparse(node.test) == "TYPE_CHECKING"
            for imp in node.body
            if isinstance(imp, ast.ImportFrom)
            for alias in imp.names
        }
        assert typed == lazy, module.__name__


class _Stream:
    """A stand-in for ``sys.stderr``: a terminal or not."""

    def __init__(self, terminal: bool) -> None:
        self.terminal, self.text = terminal, []

    def isatty(self) -> bool:
        return self.terminal

    def write(self, s: str) -> int:
        self.text.append(s)
        return len(s)

    def flush(self) -> None:
        pass


@pytest.mark.parametrize("terminal", [True, False])
def test_progress_bars_are_drawn_in_a_terminal_not_into_a_log_or_pipe(terminal, monkeypatch):
    """A bar in a log file or a pipe is noise (and a county job run as a script paid for
    importing and drawing it): bars are drawn where someone watches them."""
    from accessibility import set_options
    from accessibility.options import progress

    stream = _Stream(terminal)
    monkeypatch.setattr(sys, "stderr", stream)
    monkeypatch.delitem(sys.modules, "IPython", raising=False)
    with set_options(progress=True):
        assert list(progress(range(3), desc="routing")) == [0, 1, 2]
    assert ("routing" in "".join(stream.text)) is terminal
    with set_options(progress=False):
        assert list(progress(range(3), desc="quiet")) == [0, 1, 2]
    assert "quiet" not in "".join(stream.text)
