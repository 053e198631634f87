"""The QGIS Processing algorithm (accessibility/qgis/accessibility_algorithm.py).

The helpers (project TOML, finding and running the command) are tested here in the package's own
Python; the algorithm itself runs headless through QGIS's processing framework under the system
Python, on the demo county, calling the real ``accessibility run`` command.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
import tomllib
from pathlib import Path

import pytest
from qgis_helpers import run_qgis_script

from accessibility import io
from accessibility.qgis import accessibility_algorithm as alg
from accessibility.qgis import cli_path, script_path

# real QGIS in subprocesses: the full suite runs these, the fast lane does not
pytestmark = pytest.mark.slow

SCRIPT = script_path()


@pytest.fixture(scope="module")
def demo_gpkg() -> Path:
    from accessibility.datasets import demo_path

    path = demo_path()
    if not path.exists():
        pytest.skip("demo county GeoPackage not built")
    return path


# --------------------------------------------------------------------------------------------------
# helpers, without QGIS
# --------------------------------------------------------------------------------------------------


def test_project_toml_loads_in_the_package(tmp_path, demo_gpkg):
    """What the algorithm writes is a valid project file for `accessibility run`."""
    from accessibility.config import load_config

    odd = tmp_path / '输出 "结果"'
    config = alg.build_project(
        inputs_gpkg=str(demo_gpkg),
        columns={
            "road_class": "road_class",
            "oneway": None,
            "village_id": "village_id",
            "village_name": "名称",
            "population": "population",
            "facility_id": "facility_id",
            "service": "service",
            "capacity": None,
        },
        mode="walk",
        thresholds_min=[10, 20.5],
        output_gpkg=str(odd / "out.gpkg"),
        output_csv=str(odd / "out_villages.csv"),
        max_time_min=45,
        max_snap_m=1500,
    )
    path = alg.write_project_toml(tmp_path / "project.toml", config)
    raw = tomllib.loads(path.read_text(encoding="utf-8"))
    assert raw["output"]["folder"] == str(odd)  # quotes and Chinese survive
    assert raw["columns"]["village_name"] == "名称"
    assert "oneway" not in raw["columns"] and "capacity" not in raw["columns"]

    cfg = load_config(path)
    assert cfg["input"]["villages"] == str(demo_gpkg)
    assert cfg["input"]["villages_layer"] == "villages"
    assert cfg["analysis"] == {**cfg["analysis"], "mode": "walk", "thresholds_min": [10, 20.5]}
    assert cfg["analysis"]["max_time_min"] == 45.0
    assert cfg["network"]["max_snap_m"] == 1500.0
    assert cfg["output"]["geopackage"] == "out.gpkg"
    assert cfg["output"]["csv"] == "out_villages.csv"
    assert cfg["columns"]["oneway"] == "oneway"  # left to the package's default


def test_project_toml_rejects_what_toml_cannot_hold():
    with pytest.raises(TypeError, match="cannot write"):
        alg.project_toml({"a": {"b": object()}})


def test_parse_thresholds():
    assert alg.parse_thresholds("60, 15,30") == [15, 30, 60]
    assert alg.parse_thresholds("7.5") == [7.5]
    for bad in ("", "15, abc", "0, 15", "-5"):
        with pytest.raises(ValueError, match="minutes"):
            alg.parse_thresholds(bad)


def test_find_cli_order(tmp_path, monkeypatch):
    exe = tmp_path / "accessibility"
    exe.write_text("#!/bin/sh\n")
    exe.chmod(0o755)
    other = tmp_path / "other"
    other.write_text("#!/bin/sh\n")
    other.chmod(0o755)
    monkeypatch.delenv(alg.ENV_KEY, raising=False)
    monkeypatch.setenv("PATH", str(tmp_path))
    assert alg.find_cli() == str(exe)  # PATH
    assert alg.find_cli(None, str(other)) == str(other)  # QGIS setting beats PATH
    monkeypatch.setenv(alg.ENV_KEY, str(other))
    assert alg.find_cli(None, "/nowhere") == str(other)  # environment beats the setting
    assert alg.find_cli(str(exe), "/nowhere") == str(exe)  # the parameter beats everything
    with pytest.raises(FileNotFoundError, match="does not exist"):
        alg.find_cli(str(tmp_path / "missing"))
    monkeypatch.delenv(alg.ENV_KEY)
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    with pytest.raises(FileNotFoundError, match="ACCESSIBILITY_CLI"):
        alg.find_cli()


def test_clean_env_drops_qgis_python_and_gdal(monkeypatch):
    monkeypatch.setenv("PYTHONPATH", "/usr/share/qgis/python")
    monkeypatch.setenv("GDAL_DATA", "/usr/share/gdal")
    monkeypatch.setenv("PROJ_LIB", "/usr/share/proj")
    monkeypatch.setenv("KEEP_ME", "1")
    env = alg.clean_env()
    assert not {"PYTHONPATH", "GDAL_DATA", "PROJ_LIB"} & set(env)
    assert env["KEEP_ME"] == "1" and env["PYTHONUTF8"] == "1"


def test_run_cli_streams_lines_and_exit_code():
    seen = []
    code, lines = alg.run_cli(
        [sys.executable, "-c", "print('上河村'); import sys; print('error: boom'); sys.exit(3)"],
        on_line=seen.append,
    )
    assert code == 3
    assert lines == seen == ["上河村", "error: boom"]
    assert "error: boom" in alg._error_lines(lines)


def test_run_cli_cancels():
    start = time.monotonic()
    code, _ = alg.run_cli(
        [sys.executable, "-c", "import time; time.sleep(60)"], is_canceled=lambda: True
    )
    assert code == -1
    assert time.monotonic() - start < 30  # killed, not waited for


# --------------------------------------------------------------------------------------------------
# in QGIS
# --------------------------------------------------------------------------------------------------


def _params(demo_gpkg: Path, output: Path, cli: str) -> dict[str, object]:
    return {
        "ROADS": f"{demo_gpkg}|layername=roads",
        "ROAD_CLASS": "road_class",
        "ONEWAY": "oneway",
        "VILLAGES": f"{demo_gpkg}|layername=villages",
        "VILLAGE_ID": "village_id",
        "VILLAGE_NAME": "name",
        "POPULATION": "population",
        "FACILITIES": f"{demo_gpkg}|layername=facilities",
        "FACILITY_ID": "facility_id",
        "SERVICE": "service",
        "CAPACITY": "capacity",
        "MODE": alg.MODES.index("car"),
        "THRESHOLDS": "15, 30, 60",
        "OUTPUT": str(output),
        "CLI": cli,
    }


@pytest.mark.slow
def test_processing_algorithm_runs_the_package(qgis, tmp_path, demo_gpkg):
    cli = cli_path()
    if cli is None:
        pytest.skip("the accessibility command is not installed in this environment")
    output = tmp_path / "out" / "result.gpkg"
    report = run_qgis_script(
        "run_processing.py",
        {"script": str(SCRIPT), "params": _params(demo_gpkg, output, cli)},
        tmp_path,
    )
    assert report["script_algorithm"] == "accessibility_run"  # loads as a toolbox script
    assert "VILLAGES" in report["parameters"] and "OUTPUT" in report["parameters"]
    assert report["provider_algorithms"] == ["accessibility:accessibility_run"]
    assert report["exception"] is None, "\n".join(report["log"][-20:])
    assert report["result"]["OUTPUT"] == str(output)
    assert output.exists()
    assert (tmp_path / "out" / "result_villages.csv").exists()

    villages_in = io.read_layer(demo_gpkg, "villages")
    facilities_in = io.read_layer(demo_gpkg, "facilities")
    layers = report["layers"]
    assert set(layers) == {"villages", "facilities", "roads"}
    v = layers["villages"]
    assert v["valid"] and v["feature_count"] == len(villages_in)
    assert v["crs"] == f"EPSG:{villages_in.crs.to_epsg()}"
    assert v["renderer_type"] == "graduatedSymbol"  # loaded with its default style
    assert v["class_attribute"].startswith('coalesce("') and "_nearest_min" in v["class_attribute"]
    for service in set(facilities_in["service"]):
        assert f"{service}_nearest_min" in v["fields"]
    f = layers["facilities"]
    assert (f["feature_count"], f["renderer_type"], f["class_attribute"]) == (
        len(facilities_in),
        "categorizedSymbol",
        "service",
    )
    assert layers["roads"]["class_attribute"] == "road_class"

    # the result is the package's: same villages, times present where reachable
    out = io.read_layer(output, "villages", index_col="village_id")
    assert set(out.index) == set(villages_in["village_id"])
    reachable = out["clinic_reachable"].astype(bool)
    assert out.loc[reachable, "clinic_nearest_min"].notna().all()
    assert out.loc[~reachable, "clinic_nearest_min"].isna().all()
    assert any("project file" in line for line in report["log"])


@pytest.fixture
def failing_cli(tmp_path) -> Path:
    stub = tmp_path / "bin" / "accessibility"
    stub.parent.mkdir()
    stub.write_text(
        "#!/bin/sh\n"
        'echo "INFO: reading $2"\n'
        "echo \"error: the villages layer has no column 'populaton'. Did you mean 'population'?\"\n"
        "exit 2\n"
    )
    stub.chmod(0o755)
    return stub


def test_processing_reports_a_failing_command(qgis, tmp_path, demo_gpkg, failing_cli):
    """The command's error reaches the QGIS user; the command comes from the QGIS setting."""
    params = _params(demo_gpkg, tmp_path / "out.gpkg", "")
    report = run_qgis_script(
        "run_processing.py",
        {
            "script": str(SCRIPT),
            "params": params,
            "settings": {alg.SETTING_KEY: str(failing_cli)},
        },
        tmp_path,
        extra_env={"PATH": "/usr/bin:/bin"},
    )
    assert report["result"] is None
    assert "exit code 2" in report["exception"]
    assert "no column 'populaton'" in report["exception"]
    assert report["layers"] == {}
    assert not (tmp_path / "out.gpkg").exists()


def test_processing_reports_a_missing_command(qgis, tmp_path, demo_gpkg):
    params = _params(demo_gpkg, tmp_path / "out.gpkg", str(tmp_path / "no" / "accessibility"))
    report = run_qgis_script(
        "run_processing.py", {"script": str(SCRIPT), "params": params}, tmp_path
    )
    assert report["result"] is None
    assert "does not exist" in report["exception"]
    assert os.fspath(tmp_path / "no" / "accessibility") in report["exception"]


# --------------------------------------------------------------------------------------------------
# qgis_process: defaults and parity with the command line
# --------------------------------------------------------------------------------------------------


def test_project_command_and_written_files():
    assert alg.project_command("acc", "p.toml", "/o", None) == [
        "acc",
        "run",
        "p.toml",
        "--out",
        "/o",
    ]
    lines = ["GeoPackage 数据：/o/a.gpkg", "QGIS project: /o/a.qgz", "共3个村庄，10人"]
    assert alg.written_files(lines, ".gpkg") == ["/o/a.gpkg"]
    assert alg.written_files(lines, ".qgz") == ["/o/a.qgz"]
    config = alg.build_project(
        inputs_gpkg="in.gpkg", columns={}, mode="car", thresholds_min=[15], output_gpkg="o.gpkg",
        tolerance_m=2.5, language="en",
    )  # fmt: skip
    assert config["network"]["tolerance_m"] == 2.5 and config["project"]["language"] == "en"


def _qgis_process(args: list[str], workdir: Path) -> subprocess.CompletedProcess:
    """``qgis_process run script:accessibility_run`` with the script in the Scripts folder of a
    throw-away QGIS profile (as the toolbox's "Add Script to Toolbox" puts it)."""
    from qgis_helpers import qgis_env

    exe = shutil.which("qgis_process.bin") or shutil.which("qgis_process")
    if exe is None:
        pytest.skip("qgis_process is not installed")
    env = qgis_env(workdir / "env")
    scripts = Path(env["QGIS_CUSTOM_CONFIG_PATH"]) / "profiles" / "default" / "processing"
    (scripts / "scripts").mkdir(parents=True, exist_ok=True)
    shutil.copy(SCRIPT, scripts / "scripts" / SCRIPT.name)
    cli = os.environ.get("ACCESSIBILITY_CLI") or cli_path()
    if cli is None:
        pytest.skip("the accessibility command is not installed in this environment")
    env["ACCESSIBILITY_CLI"] = cli
    cmd = [exe, "run", "script:accessibility_run", "--PROJECT_PATH=", "--", *args]
    return subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=900)


@pytest.mark.slow
def test_qgis_process_runs_with_defaults(qgis, tmp_path, demo_gpkg):
    """Only the layers and the output given: the fields, mode, thresholds and tolerance take their
    defaults (qgis_process used to refuse them as missing "mandatory" parameters)."""
    out = tmp_path / "out" / "result.gpkg"
    proc = _qgis_process(
        [f"ROADS={demo_gpkg}|layername=roads", f"VILLAGES={demo_gpkg}|layername=villages",
         f"FACILITIES={demo_gpkg}|layername=facilities", f"OUTPUT={out}"],
        tmp_path,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    assert "mandatory" not in proc.stdout + proc.stderr
    assert "tolerance_m = 1.0" in proc.stdout  # the project file it wrote
    villages = io.read_layer(out, "villages")
    assert len(villages) == len(io.read_layer(demo_gpkg, "villages"))


@pytest.mark.slow
def test_qgis_process_with_a_project_file_gives_the_cli_answer(qgis, tmp_path):
    """The demo's project file run by qgis_process and by the package: the same per-village
    table (the same network tolerance, services, standards and language)."""
    import numpy as np

    from accessibility.project import run_project

    project = Path(__file__).resolve().parents[2] / "data" / "demo_project.toml"
    proc = _qgis_process([f"PROJECT={project}", f"OUTPUT={tmp_path / 'qgis' / 'x.gpkg'}"], tmp_path)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    got_path = next((tmp_path / "qgis").glob("*.gpkg"))
    assert "QGIS_PROJECT:" in proc.stdout and ".qgz" in proc.stdout
    want = run_project(project, out_dir=tmp_path / "cli").villages
    got = io.read_layer(got_path, "villages", index_col="village_id").loc[want.index]
    for col in [c for c in want.columns if c.endswith("_nearest_min") or c.endswith("_meets")]:
        a = got[col].astype(float).to_numpy()
        b = want[col].astype(float).replace([np.inf], np.nan).to_numpy()
        np.testing.assert_allclose(a, b, rtol=1e-9, equal_nan=True, err_msg=col)
