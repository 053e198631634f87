"""Partitioned runs on a local Dask cluster equal the single-machine run, and resume after a
worker dies without recomputing finished partitions.

The region: three copies of the synthetic demo county in a row, joined by inter-county roads, so
trips and catchments cross county borders. Services are cycled to (bike, 15/30 min: buffer reach
7 km) so each county's partition holds only part of the region; the hospital is sparse, so many
villages find their nearest hospital beyond the first buffer and go through the widening
fallback.
"""

from __future__ import annotations

import os
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest

pytest.importorskip("distributed")

from accessibility.config import load_config
from accessibility.distributed import (
    PartitionError,
    buffer_radius_m,
    make_region,
    max_speeds_kmh,
    run_partitioned,
    write_region_project,
)
from accessibility.errors import ConfigError, MissingColumnError
from accessibility.options import set_options

# Dask clusters and whole demo runs: the full suite runs these, the fast lane does not
pytestmark = pytest.mark.slow

SERVICES = {
    "clinic": {
        "mode": "bike",
        "thresholds_min": [15, 30],
        "supply": "doctors",
        "measures": [{"measure": "2sfca", "limit_min": 30}],
    },
    "primary_school": {"mode": "bike", "thresholds_min": [15, 30], "demand": "pop_school_age"},
    "hospital": {"mode": "bike", "thresholds_min": [30], "supply": "doctors"},
}


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> dict:
    folder = tmp_path_factory.mktemp("region")
    region = make_region(3)
    path = write_region_project(
        region, folder, services=SERVICES, mode="bike", thresholds_min=[15, 30], max_snap_m=500.0
    )
    return {"region": region, "path": path, "folder": folder, "config": load_config(path)}


@pytest.fixture(scope="module")
def reference(project: dict) -> pd.DataFrame:
    """The single-machine run (run_project) of the same project."""
    from accessibility.pipeline import run_project

    with set_options(progress=False):
        return run_project(project["config"], out_dir=project["folder"] / "single").villages


@pytest.fixture(scope="module")
def client():
    import dask
    from distributed import Client, LocalCluster

    # a task whose worker dies fails at once (instead of being retried elsewhere), as a crashed
    # machine would leave a real run
    with dask.config.set({"distributed.scheduler.allowed-failures": 0}):
        cluster = LocalCluster(
            n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
        )
        c = Client(cluster)
    yield c
    c.close()
    cluster.close()


def test_buffer_radius_is_reach_plus_snap() -> None:
    # 30 min at 100 km/h = 50 km, plus the 1 km connector
    assert buffer_radius_m({"car": 30.0}, {"car": 100.0}, max_snap_m=1000.0) == 51_000.0
    # the widest mode wins: 60 min walking at 4.5 km/h (4.5 km) < 15 min by car (25 km)
    r = buffer_radius_m({"walk": 60.0, "car": 15.0}, {"walk": 4.5, "car": 100.0}, max_snap_m=0.0)
    assert r == pytest.approx(25_000.0)
    v = max_speeds_kmh("china", modes=["walk", "car"], dem=True)
    assert v["car"] == 100.0
    assert v["walk"] == pytest.approx(4.5 * np.exp(0.175))


def test_region_counties_are_joined(project: dict) -> None:
    region = project["region"]
    assert sorted(region.villages["county"].unique()) == ["C00", "C01", "C02"]
    assert region.villages.index.is_unique and region.facilities.index.is_unique
    links = region.roads[region.roads["county"] == "link"]
    assert len(links) == 4  # two per border
    import accessibility as acc

    net = acc.network_from_roads(region.roads, tolerance_m=2.5)
    assert net.report["n_components"] == 1  # the three counties form one network


def test_partitioned_equals_single_machine(project: dict, reference: pd.DataFrame, client) -> None:
    with set_options(progress=False):
        result = run_partitioned(
            project["config"],
            scheduler=client,
            out_dir=project["folder"] / "part",
            checkpoint_dir=project["folder"] / "ck-equal",
        )
    layer = result.villages
    # every per-village column, bit for bit, same order, same dtypes
    pd.testing.assert_frame_equal(layer, reference, check_exact=True)
    parts = result.partitions
    first = parts[parts["level"] == 0]
    n_roads = len(project["region"].roads)
    # partitions really are parts of the region, and the hospital search needed wider buffers
    assert sorted(first["partition"]) == ["C00", "C01", "C02"]
    assert (first["n_roads"] < n_roads).all()
    assert (parts["level"] > 0).any()
    assert first["n_context_villages"].gt(0).all()  # 2SFCA competitors from the next county
    # catchments cross county borders: some villages' nearest hospital lies in another county
    nearest_county = layer["hospital_nearest_id"].str[:3]
    assert (nearest_county.notna() & (nearest_county != layer["county"])).any()
    # the files are written like a single-machine run's
    assert set(result.files) == {"geopackage", "csv", "qgis_project", "workbook"}
    assert result.files["geopackage"].exists()


def test_resume_after_worker_dies(project: dict, reference: pd.DataFrame, client, tmp_path) -> None:
    from distributed.diagnostics.plugin import WorkerPlugin

    marker = tmp_path / "killed-once"

    class KillOnce(WorkerPlugin):
        """Kill the worker process the first time it starts the C02 task."""

        def __init__(self, marker: str) -> None:
            self.marker = marker

        def transition(self, key, start, finish, **kwargs) -> None:
            if finish == "executing" and "partition-C02-L0" in str(key):
                if not os.path.exists(self.marker):
                    open(self.marker, "w").close()
                    os._exit(1)

    ck = tmp_path / "checkpoints"
    client.register_plugin(KillOnce(str(marker)), name="kill-once")
    try:
        with set_options(progress=False), pytest.raises(PartitionError, match="run again"):
            run_partitioned(
                project["config"], scheduler=client, out_dir=tmp_path / "out", checkpoint_dir=ck
            )
    finally:
        client.unregister_worker_plugin("kill-once")
    assert marker.exists()
    done = {p.name: p.stat().st_mtime_ns for p in ck.glob("*.gpkg")}
    assert done, "partitions that finished before the failure are checkpointed"
    assert not any(name.startswith("C02-L0") for name in done)

    with set_options(progress=False):
        result = run_partitioned(
            project["config"], scheduler=client, out_dir=tmp_path / "out", checkpoint_dir=ck
        )
    pd.testing.assert_frame_equal(result.villages, reference, check_exact=True)
    parts = result.partitions
    reused = parts[~parts["computed"]]
    # every file from the first run was reused, untouched; only the missing ones were computed
    assert {os.path.basename(p) for p in reused["checkpoint"]} == set(done)
    for name, mtime in done.items():
        assert (ck / name).stat().st_mtime_ns == mtime
    assert parts.loc[parts["computed"], "partition"].eq("C02").any()


def test_partition_checks(project: dict, client) -> None:
    with pytest.raises(MissingColumnError, match="partition_column"):
        run_partitioned(project["config"], scheduler=client, partition_column="prefecture")
    cfg = load_config(project["path"])
    cfg["services"]["clinic"]["measures"] = [{"measure": "3sfca", "limit_min": 30}]
    with pytest.raises(ConfigError, match="3sfca"):
        run_partitioned(cfg, scheduler=client)


def test_cli_run_with_dask(project: dict, reference: pd.DataFrame, client, tmp_path) -> None:
    """`accessibility run project.toml --dask ADDRESS` uses the given scheduler, same numbers."""
    from accessibility.cli import main

    out = tmp_path / "cli"
    assert (
        main(
            [
                "run",
                str(project["path"]),
                "--dask",
                client.scheduler.address,
                "--out",
                str(out),
                "-q",
            ]
        )
        == 0
    )
    from accessibility.i18n import column_labels

    got = pd.read_csv(next(out.glob("*.csv")), encoding="utf-8-sig")
    want = reference.reset_index()
    # the CSV speaks the project's language (Chinese for the Chinese road profile)
    got = got.rename(columns={v: k for k, v in column_labels(want.columns, "zh").items()})
    np.testing.assert_allclose(
        got.set_index(want.columns[0])["clinic_nearest_min"].reindex(want[want.columns[0]]),
        want["clinic_nearest_min"],
    )


# --------------------------------------------------------------------------------------------------
# the shipped demo project, default configuration (equity, catchments, report): --dask must give
# every output of the plain run


REPO = Path(__file__).resolve().parents[1]
DEMO_PROJECT = REPO / "data" / "demo_project.toml"


def _assert_same_table(got: pd.DataFrame, want: pd.DataFrame) -> None:
    """Same columns in the same order, same rows, every cell equal (floats to 1e-9 relative)."""
    assert list(got.columns) == list(want.columns)
    assert len(got) == len(want)
    for col in want.columns:
        a, b = got[col], want[col]
        if pd.api.types.is_float_dtype(b) or pd.api.types.is_float_dtype(a):
            np.testing.assert_allclose(
                a.to_numpy(np.float64), b.to_numpy(np.float64), rtol=1e-9, atol=0, err_msg=col
            )
        elif isinstance(b, gpd.GeoSeries):
            assert a.geom_equals_exact(b, tolerance=0).all(), col
        else:
            assert (
                a.astype(object).where(a.notna(), None).tolist()
                == b.astype(object).where(b.notna(), None).tolist()
            ), col


@pytest.fixture(scope="module")
def demo_plain(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """`accessibility run data/demo_project.toml` (one process)."""
    from accessibility.cli import main

    out = tmp_path_factory.mktemp("demo-plain")
    assert main(["run", str(DEMO_PROJECT), "--out", str(out), "-q"]) == 0
    return out


def test_cli_dask_on_the_demo_project_writes_every_output_of_the_plain_run(
    demo_plain: Path, tmp_path: Path
) -> None:
    """`accessibility run data/demo_project.toml --dask` on the shipped default configuration
    (equity with townships, catchments, report; no county column: one partition) writes the same
    per-village table, cell by cell, and the same GeoPackage layers as the plain run."""
    from accessibility.cli import main

    out = tmp_path / "dask"
    assert main(["run", str(DEMO_PROJECT), "--dask", "--out", str(out), "-q"]) == 0
    cfg = load_config(DEMO_PROJECT)
    names = cfg["output"]
    for key in ("geopackage", "csv", "report"):
        assert (out / names[key]).exists(), key
    csv_want = pd.read_csv(demo_plain / names["csv"], encoding="utf-8-sig")
    csv_got = pd.read_csv(out / names["csv"], encoding="utf-8-sig")
    _assert_same_table(csv_got, csv_want)
    from accessibility.i18n import column_label

    for col in ("clinic_outside_30min_catchment", "clinic_radius_vs_network"):
        assert column_label(col, "zh") in csv_got.columns  # the [catchments] columns
    assert column_label("clinic_meets", "zh") in csv_got.columns  # the equity columns
    gpkg_want, gpkg_got = demo_plain / names["geopackage"], out / names["geopackage"]
    layers = set(gpd.list_layers(gpkg_want)["name"])
    assert {"townships", "catchments", "catchments_by_service", "coverage_radii"} <= layers
    assert set(gpd.list_layers(gpkg_got)["name"]) == layers
    _assert_same_table(
        gpd.read_file(gpkg_got, layer="villages"), gpd.read_file(gpkg_want, layer="villages")
    )
    for layer in ("townships", "catchments_by_service"):
        _assert_same_table(
            gpd.read_file(gpkg_got, layer=layer), gpd.read_file(gpkg_want, layer=layer)
        )


def test_run_partitioned_on_the_demo_project_equals_the_plain_run(
    demo_plain: Path, client, tmp_path: Path
) -> None:
    """The Python API (run_partitioned) on the shipped demo project: same villages layer (every
    column), townships summary and catchment layers as the plain run's GeoPackage."""
    cfg = load_config(DEMO_PROJECT)
    with set_options(progress=False):
        result = run_partitioned(DEMO_PROJECT, scheduler=client, out_dir=tmp_path / "api")
    gpkg_want = demo_plain / cfg["output"]["geopackage"]
    want = gpd.read_file(gpkg_want, layer="villages")
    got = gpd.read_file(result.files["geopackage"], layer="villages")
    _assert_same_table(got, want)
    assert set(result.files) == {"geopackage", "csv", "report", "qgis_project", "workbook"}
    assert result.townships is not None
    assert {"catchments", "catchments_by_service", "coverage_radii"} <= set(result.extra_layers)
    assert result.partitions["partition"].tolist() == ["all"]
