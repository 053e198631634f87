"""Fault tolerance on a real Dask cluster: a ``dask scheduler`` and two ``dask worker`` processes
started here; a worker killed mid-run, the client killed mid-run and resumed from its checkpoints.
The merged layer equals the single-process run over the merged network (border villages
included), with every village exactly once.

The region: six demo counties in two provinces (``make_national``), joined by roads across their
borders, with hospitals at both ends of every border road, so many villages' nearest hospital lies
in the next county. Services are by bike (buffer reach about 7 km), so each county's partition
holds only part of the region.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest

pytest.importorskip("distributed")

from accessibility.config import load_config
from accessibility.distributed import (
    make_national,
    process_cluster,
    run_partitioned,
    write_region_project,
)
from accessibility.options import set_options

pytestmark = pytest.mark.slow

REPO = Path(__file__).resolve().parents[1]
SERVICES = {
    "clinic": {
        "mode": "bike",
        "thresholds_min": [15, 30],
        "supply": "doctors",
        "measures": [{"measure": "2sfca", "limit_min": 30}],
    },
    "hospital": {"mode": "bike", "thresholds_min": [30], "supply": "doctors"},
}
TIMEOUT_S = 600


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> dict:
    folder = tmp_path_factory.mktemp("national")
    region = make_national(6, columns=3, province_side=2)
    path = write_region_project(
        region, folder, services=SERVICES, mode="bike", thresholds_min=[15, 30], max_snap_m=500.0
    )
    return {"region": region, "path": path, "folder": folder, "config": load_config(path)}


@pytest.fixture(scope="module")
def reference(project: dict) -> pd.DataFrame:
    """One process over the merged network (run_project)."""
    from accessibility.pipeline import run_project

    with set_options(progress=False):
        return run_project(project["config"], out_dir=project["folder"] / "single").villages


@pytest.fixture()
def cluster(tmp_path: Path):
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(REPO), os.environ.get("PYTHONPATH", "")]),
    }
    with process_cluster(tmp_path / "cluster", 2, env=env) as c:
        yield c


def _first_checkpoint(folder: Path, alive, timeout_s: float = TIMEOUT_S) -> Path:
    """Wait until the first checkpoint file is in place (not a temporary one)."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        done = [p for p in folder.glob("*.gpkg") if not p.name.startswith(".")]
        if done:
            return done[0]
        assert alive(), "the run ended before any checkpoint was written"
        time.sleep(0.05)
    raise AssertionError("no checkpoint within the time limit")


def _check_against_reference(layer: pd.DataFrame, reference: pd.DataFrame) -> None:
    assert layer.index.is_unique, "a village appears twice"
    assert set(layer.index) == set(reference.index), "a village is missing"
    pd.testing.assert_frame_equal(layer, reference, check_exact=True)
    # border villages: the nearest hospital lies in another county; same times as one process
    other = reference["hospital_nearest_id"].str[:3] != reference["county"]
    border = reference.index[other & reference["hospital_nearest_id"].notna()]
    assert len(border) >= 10, len(border)
    pd.testing.assert_series_equal(
        layer.loc[border, "hospital_nearest_min"], reference.loc[border, "hospital_nearest_min"]
    )


def test_worker_killed_mid_run(project: dict, reference: pd.DataFrame, cluster, tmp_path) -> None:
    """SIGKILL one of the two worker processes after the first checkpoint: the scheduler moves its
    task to the other worker, the run completes and equals the single-process run."""
    ck = tmp_path / "ck"
    out: dict = {}
    cfg = load_config(project["path"])  # with the national-size outputs
    cfg["output"].update(parquet="pq", county_geopackages="counties", county_summary="summary.csv")

    def run() -> None:
        try:
            with set_options(progress=False):
                out["result"] = run_partitioned(
                    cfg,
                    scheduler=cluster.address,
                    checkpoint_dir=ck,
                    out_dir=tmp_path / "out",
                )
        except BaseException as exc:  # reported below
            out["error"] = exc

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    ck.mkdir(exist_ok=True)
    _first_checkpoint(ck, thread.is_alive)
    assert thread.is_alive()
    cluster.kill_worker(0)
    assert cluster.workers[0].poll() is not None
    thread.join(TIMEOUT_S)
    assert not thread.is_alive(), "the run did not finish after a worker died"
    assert "error" not in out, out.get("error")
    result = out["result"]
    _check_against_reference(result.villages, reference)
    parts = result.partitions
    assert sorted(parts.loc[parts["level"] == 0, "partition"]) == [f"C0{i}" for i in range(6)]
    assert not parts.duplicated(["partition", "level"]).any()
    # the GeoParquet output: one file per county in a folder per province, read back whole
    pq = tmp_path / "out" / "pq"
    files = sorted(p.relative_to(pq).as_posix() for p in pq.rglob("*.parquet"))
    assert files == [f"P0000/C0{i}.parquet" for i in (0, 1, 3, 4)] + [
        f"P0001/C0{i}.parquet" for i in (2, 5)
    ]
    back = gpd.read_parquet(pq)
    pd.testing.assert_frame_equal(back.loc[result.villages.index], result.villages)
    assert len(list((tmp_path / "out" / "counties").rglob("*.gpkg"))) == 6
    summary = pd.read_csv(tmp_path / "out" / "summary.csv", encoding="utf-8-sig")
    assert summary["villages"].sum() == len(reference)
    assert summary["county"].tolist() == ["C00", "C01", "C03", "C04", "C02", "C05"]


def test_client_killed_then_resumed(project: dict, reference: pd.DataFrame, cluster, tmp_path):
    """SIGKILL the client process after the first checkpoint; run again: finished partitions are
    read back, the rest computed, and the layer equals the single-process run."""
    ck, out_dir = tmp_path / "ck", tmp_path / "out"
    ck.mkdir()
    script = (
        "from accessibility.distributed import run_partitioned\n"
        "from accessibility.options import set_options\n"
        "with set_options(progress=False):\n"
        f"    run_partitioned({str(project['path'])!r}, scheduler={cluster.address!r}, "
        f"checkpoint_dir={str(ck)!r}, out_dir={str(out_dir)!r})\n"
    )
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    client = subprocess.Popen([sys.executable, "-c", script], env=env)
    try:
        _first_checkpoint(ck, lambda: client.poll() is None)
        assert client.poll() is None
        client.send_signal(signal.SIGKILL)
        client.wait(timeout=30)
    finally:
        if client.poll() is None:
            client.kill()
            client.wait(timeout=30)
    assert not (out_dir / "villages.csv").exists()  # no output from the killed run
    before = {p.name for p in ck.glob("*.gpkg") if not p.name.startswith(".")}

    with set_options(progress=False):
        result = run_partitioned(
            project["config"], scheduler=cluster.address, checkpoint_dir=ck, out_dir=out_dir
        )
    _check_against_reference(result.villages, reference)
    parts = result.partitions
    # (tasks running when the client died may finish and be read back too)
    reused = {os.path.basename(p) for p in parts.loc[~parts["computed"], "checkpoint"]}
    assert before and before <= reused  # every partition finished before the kill is read back
    assert not parts.duplicated(["partition", "level"]).any()
    assert (out_dir / "villages.csv").exists()
