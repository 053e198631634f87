"""Property test of whole runs: random project files over copies of the demo inputs.

Whatever a user writes in a project file, a run of ``accessibility run`` either succeeds or exits 2
with a message — never a traceback — and it never modifies any file it was given (checksums of every
input before and after). Outputs pointed at inputs, at each other, thresholds shorter than a measure's
limit, unknown keys, unknown road classes and refused overwrites are all drawn.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import shutil
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from accessibility.cli import main
from accessibility.datasets import demo_path

pytestmark = pytest.mark.slow

SERVICES = ["clinic", "health_centre", "hospital", "primary_school", "elder_care"]
DEMAND = {"primary_school": "pop_school_age", "elder_care": "pop_elderly"}
SUPPLY = {"clinic": "doctors", "health_centre": "doctors", "hospital": "doctors"}
INPUT_FILES = ["demo_county.gpkg", "demo_dem.tif"]


def _mostly(value: object, *others: object) -> st.SearchStrategy:
    """Mostly ``value``, sometimes one of ``others``: hazards are drawn, but most runs get far
    enough to do real work."""
    return st.sampled_from([value] * 6 + list(others))


def _toml(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return '"' + value + '"'
    if isinstance(value, list):
        return "[" + ", ".join(_toml(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{ " + ", ".join(f"{k} = {_toml(v)}" for k, v in value.items()) + " }"
    return repr(value)


@st.composite
def services_tables(draw: st.DrawFn) -> dict[str, dict[str, object]]:
    names = draw(st.lists(st.sampled_from(SERVICES), min_size=1, max_size=3, unique=True))
    tables: dict[str, dict[str, object]] = {}
    for name in names:
        table: dict[str, object] = {
            "mode": draw(st.sampled_from(["walk", "car"])),
            "thresholds_min": sorted(
                draw(
                    st.lists(st.sampled_from([10, 15, 30, 60]), min_size=1, max_size=3, unique=True)
                )
            ),
            "supply": SUPPLY.get(name, "capacity"),
        }
        if name in DEMAND:
            table["demand"] = DEMAND[name]
        if draw(st.booleans()):
            table["max_time_min"] = draw(st.sampled_from([15, 30, 90]))
        measures = []
        if draw(st.booleans()):
            measures.append({"measure": "2sfca", "limit_min": draw(st.sampled_from([10, 30, 75]))})
        if draw(st.booleans()):
            measures.append(
                {
                    "measure": "gravity",
                    "decay": {
                        "kind": "exponential",
                        "half_life_min": draw(st.sampled_from([10, 30])),
                    },
                }
            )
        if draw(st.integers(0, 9)) == 0:
            measures.append({"measure": "2sfcaa", "limit_min": 30})  # a typo
        table["measures"] = measures
        tables[name] = table
    return tables


@st.composite
def project_files(draw: st.DrawFn) -> tuple[str, bool]:
    """A project file's text, and whether it is written over existing outputs."""
    services = draw(services_tables())
    output = {
        "folder": draw(st.sampled_from(["out", ".", "out/deeper"])),
        # an input, an input through a symlink (made by the test), the wrong format's ending
        "geopackage": draw(_mostly("result.gpkg", "demo_county.gpkg", "link.gpkg", "v.csv")),
        "csv": draw(_mostly("villages.csv", "villages.gpkg")),
        "report": draw(_mostly("report.html", "", "project.toml")),
        "overwrite": draw(st.booleans()),
    }
    network: dict[str, object] = {"tolerance_m": 2.5, "max_snap_m": 2000.0}
    if draw(st.booleans()):
        network["dem"] = "demo_dem.tif"
    speeds = draw(_mostly(None, {"县道": 45}, {"country": 45}))
    lines = [
        "[input]",
        *(
            f'{k} = "demo_county.gpkg"\n{k}_layer = "{k}"'
            for k in ("roads", "villages", "facilities", "townships")
        ),
        "[columns]",
        'village_id = "village_id"',
        'facility_id = "facility_id"',
        "[network]",
        *(f"{k} = {_toml(v)}" for k, v in network.items()),
    ]
    if speeds is not None:
        lines.append("[network.speeds.car]")
        lines += [f'"{k}" = {v}' for k, v in speeds.items()]
    lines += ["[analysis]", "thresholds_min = [15, 30]"]
    for name, table in services.items():
        lines.append(f"[services.{name}]")
        lines += [f"{k} = {_toml(v)}" for k, v in table.items()]
    if draw(st.booleans()):
        catch = draw(st.sampled_from([s for s in ["clinic", "day_care"]]))
        lines += ["[catchments]", f'services = ["{catch}"]', "bands_min = [10]"]
    lines += ["[equity]", f"standards = {_toml(draw(st.sampled_from(['default', 'none'])))}"]
    lines += ["[output]", *(f"{k} = {_toml(v)}" for k, v in output.items())]
    if draw(_mostly(False, True)):
        lines.append("geopakage = 'x.gpkg'")  # an unknown key
    return "\n".join(lines) + "\n", draw(st.booleans())


def _checksums(folder: Path) -> dict[str, str]:
    return {
        str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def _run(project: Path) -> tuple[int, str]:
    err = io.StringIO()
    with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
        code = main(["run", str(project), "-q"])
    return code, err.getvalue()


@settings(
    max_examples=16,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    derandomize=True,
)
@given(project_files())
def test_random_projects_never_touch_inputs_and_fail_cleanly(case: tuple[str, bool]) -> None:
    text, rerun = case
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        for name in INPUT_FILES:
            shutil.copy(demo_path().parent / name, folder / name)
        (folder / "link.gpkg").symlink_to(folder / "demo_county.gpkg")
        project = folder / "project.toml"
        project.write_text(text, encoding="utf-8")
        inputs = _checksums(folder)
        code, err = _run(project)
        event(f"exit {code}" + (f": {err.splitlines()[-1][:60]}" if code else ""))
        if code == 0 and rerun:  # a second run over the outputs of the first
            written = _checksums(folder)
            code, err = _run(project)
            if code == 2:  # refused (overwrite = false): the first run's outputs are intact
                assert _checksums(folder) == written
        after = _checksums(folder)
        assert {k: after.get(k) for k in inputs} == inputs, f"an input was modified:\n{text}"
        assert code in (0, 2), f"exit {code}:\n{err}\n{text}"
        if code == 2:
            assert "\nerror: " in "\n" + err and "Traceback" not in err, err
