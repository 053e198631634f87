"""Every docstring example of the measure modules runs, on the demo county, as written.

Issue 4 asks for a runnable example on the demo in each measure's docstring, and the project rule is
that no number in a doc may be unreproducible. So the examples are doctests, run here:

* each module's own docstring holds the shared setup (``demo = acc.load_demo()``, the network, the
  cost table, ...) as doctest lines, so what a reader copies is exactly what runs; the modules of a
  sub-package share the setup in the package's docstring;
* that module docstring is run once per module and its names are handed to every function
  docstring of the module (a fresh copy of the pandas objects for each, so an example that adds a
  column cannot change the next one); a module of a package without a setup of its own gets the
  package's;
* each docstring is one test (id ``module.function``), run from a temporary folder, with
  ``ELLIPSIS`` and ``NORMALIZE_WHITESPACE``.

Examples that need a real file from outside the package (an OSM extract, SRTM tiles, a land-cover
raster) stay ``# doctest: +SKIP``; :func:`test_skipped_examples_name_an_outside_file` checks that no
other example is skipped.
"""

from __future__ import annotations

import copy
import doctest
import functools
import importlib
import re
from typing import Any

import pandas as pd
import pytest

MODULES = (
    "_fork",
    "_precompile",
    "measures",
    "measures.decay",
    "measures.nearest",
    "measures.cumulative",
    "measures.fca",
    "measures.coverage",
    "measures.table",
    "costs",
    "i18n",
    "styles.project",
    "styles.themes",
    "validate.points",
    "validate.geometry",
    "report.cells",
    "report.words",
    "report.workbook",
    "project.summary",
    "project.readers",
    "snapping",
    "network",
    "network.types",
    "network.roads",
    "network.osm",
    "network.boxes",
    "network.topology",
    "equity",
    "equity.inputs",
    "equity.inequality",
    "equity.spatial",
    "equity.compliance",
    "equity.coverage",
    "equity.units",
    "equity.summaries",
    "raster",
    "raster.core",
    "raster.population",
    "raster.terrain",
    "raster.friction",
    "raster.travel",
    "raster.zonal",
    "_crs",
    "planning.siting.models",
    "planning.siting.candidates",
    "project.evaluate",
    "project.layer",
    "project.run",
    "project.check",
    "project.dask.plan",
    "project.dask.region",
    "project.dask.national",
    "project.dask.cluster",
    "project.parquet",
    "maps",
    "maps.classes",
    "maps.interactive",
    "maps.static_maps",
    "routing.graph",
    "routing.distances",
    "routing.order",
    "routing.heap",
    "_arrays",
    "_deprecate",
    "routing.tables",
    "routing.nearest",
    "routing.opportunities",
    "transit.project",
    "transit.edits",
    "report.bus",
    "project.osm_inputs",
    "project.init",
    "project.requirements",
    "project.service_names",
    "datasets.export",
    "uniform_speed",
    "tiers.tiers",
    "tiers.closure",
    "tiers.indicators",
    "report.tiers",
    "report.audit",
    "styles.tiers",
)
FLAGS = doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE
# A skipped example must name one of these: real data outside the package (../shared/data or the
# user's own raster/extract), never the demo county.
OUTSIDE_FILE = re.compile(r"shared/data|\.osm|\.pbf|\.hgt|landcover|wpop|friction")


def _module(name: str) -> Any:
    return importlib.import_module(f"accessibility.{name}")


def _tests(name: str) -> list[doctest.DocTest]:
    module = _module(name)
    finder = doctest.DocTestFinder(exclude_empty=True)
    return [t for t in finder.find(module, module.__name__) if t.examples]


def _cases() -> list[Any]:
    cases = []
    for name in MODULES:
        for test in _tests(name):
            short = test.name.removeprefix("accessibility.")
            cases.append(pytest.param(name, test.name, id=short))
    return cases


def _run(test: doctest.DocTest) -> tuple[doctest.TestResults, str, dict[str, Any]]:
    out: list[str] = []
    runner = doctest.DocTestRunner(optionflags=FLAGS)
    result = runner.run(test, out=out.append, clear_globs=False)
    return result, "".join(out), test.globs


@functools.cache
def _module_globals(name: str) -> dict[str, Any]:
    """Names defined by the module docstring's examples (the shared demo setup), run once.

    The modules of a sub-package (``raster.travel``) start from the names of the package's own
    docstring (``raster``), so the setup is written once, in the package.
    """
    module = _module(name)
    base = dict(vars(module))
    if "." in name:
        base = {**_module_globals(name.rsplit(".", 1)[0]), **base}
    top = [t for t in _tests(name) if t.name == module.__name__]
    if not top:  # a module without its own setup (a package's module: the package's setup)
        return base
    test = top[0]
    test.globs = dict(base)
    result, report, globs = _run(test)
    if result.failed:
        raise AssertionError(f"the docstring of {module.__name__} fails:\n{report}")
    return globs


def _fresh(value: Any) -> Any:
    if isinstance(value, pd.DataFrame | pd.Series | pd.Index):
        return value.copy()
    if isinstance(value, list | dict | set):
        return copy.deepcopy(value)
    return value


@pytest.mark.slow
@pytest.mark.parametrize(("module", "test_name"), _cases())
def test_docstring_example(module, test_name, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # examples that write files write here
    globs = _module_globals(module)  # runs (and checks) the module docstring, once
    if test_name == _module(module).__name__:
        return
    test = next(t for t in _tests(module) if t.name == test_name)
    test.globs = {k: _fresh(v) for k, v in globs.items()}
    result, report, _ = _run(test)
    assert result.failed == 0, report


@pytest.mark.parametrize("module", MODULES)
def test_skipped_examples_name_an_outside_file(module):
    """A docstring may skip examples only when they work on a file from outside the package."""
    for test in _tests(module):
        skipped = [e.source for e in test.examples if e.options.get(doctest.SKIP)]
        if skipped:
            assert any(OUTSIDE_FILE.search(source) for source in skipped), (
                f"{test.name}: examples skipped although they need no outside file:\n"
                + "".join(skipped)
            )
