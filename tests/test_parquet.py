"""National-size outputs: partitioned GeoParquet (one file per county in a folder per province),
per-county GeoPackages and the county summary table."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely

from accessibility.errors import ConfigError, OutputError
from accessibility.project.parquet import (
    check_partitioned_outputs,
    county_summary,
    write_county_geopackages,
    write_geoparquet,
)


@pytest.fixture()
def villages() -> gpd.GeoDataFrame:
    rng = np.random.default_rng(3)
    n = 60
    county = np.array([f"县{i % 5}" for i in range(n)])
    province = np.where(np.isin(county, ["县0", "县1"]), "甲省", "乙/省")  # a slash in a name
    t = rng.uniform(0, 60, n)
    t[::7] = np.nan  # no facility reached
    note = np.array([None] * n, dtype=object)
    note[county != "县0"] = "x"  # all empty in one county: must keep its type there
    return gpd.GeoDataFrame(
        {
            "geometry": shapely.points(rng.uniform(0, 1e4, n), rng.uniform(0, 1e4, n)),
            "province": province,
            "county": county,
            "population": rng.integers(10, 1000, n),
            "clinic_nearest_min": t,
            "note": note,
        },
        index=pd.Index([f"V{i:03d}" for i in range(n)], name="village_id"),
        crs=32650,
    )


def test_geoparquet_one_file_per_county_round_trips(villages, tmp_path: Path) -> None:
    folder = tmp_path / "pq"
    files = write_geoparquet(villages, folder)
    rel = sorted(p.relative_to(folder).as_posix() for p in files)
    assert rel == [
        "乙_省/县2.parquet",
        "乙_省/县3.parquet",
        "乙_省/县4.parquet",
        "甲省/县0.parquet",
        "甲省/县1.parquet",
    ]
    assert all(p.exists() for p in files)
    back = gpd.read_parquet(folder)
    assert back.crs == villages.crs
    pd.testing.assert_frame_equal(back.loc[villages.index], villages, check_exact=True)
    one = gpd.read_parquet(folder / "甲省" / "县0.parquet")  # a single county on its own
    assert one["note"].isna().all() and len(one) == 12
    assert not list(tmp_path.glob(".*"))  # no temporary folder left


def test_geoparquet_read_in_place_by_duckdb(villages, tmp_path: Path) -> None:
    duckdb = pytest.importorskip("duckdb")
    write_geoparquet(villages, tmp_path / "pq")
    con = duckdb.connect()
    got = con.execute(
        "SELECT county, count(*) AS n, sum(population) AS pop, "
        "count(clinic_nearest_min) AS reached FROM read_parquet(?) GROUP BY county "
        "ORDER BY county",
        [str(tmp_path / "pq" / "*" / "*.parquet")],
    ).df()
    want = (
        pd.DataFrame(villages)
        .groupby("county")
        .agg(
            n=("population", "size"),
            pop=("population", "sum"),
            reached=("clinic_nearest_min", "count"),
        )
        .reset_index()
    )
    assert got["county"].tolist() == want["county"].tolist()
    np.testing.assert_array_equal(
        got[["n", "pop", "reached"]].to_numpy(), want[["n", "pop", "reached"]].to_numpy()
    )
    wkb = con.execute(
        "SELECT village_id, geometry FROM read_parquet(?) ORDER BY village_id",
        [str(tmp_path / "pq" / "*" / "*.parquet")],
    ).fetchall()
    geoms = shapely.from_wkb([bytes(g) for _, g in wkb])
    assert shapely.equals(geoms, villages.geometry.sort_index().to_numpy()).all()


def test_geoparquet_replaces_the_folder_only_when_complete(villages, tmp_path, monkeypatch):
    import pyarrow.parquet as pq

    folder = tmp_path / "pq"
    write_geoparquet(villages.iloc[:10], folder)
    before = sorted(p.relative_to(folder) for p in folder.rglob("*.parquet"))
    with pytest.raises(OutputError, match="exists"):
        write_geoparquet(villages, folder, overwrite=False)
    calls = []
    real = pq.write_table

    def failing(*args, **kwargs):
        calls.append(1)
        if len(calls) == 3:
            raise OSError("disk full")
        return real(*args, **kwargs)

    monkeypatch.setattr(pq, "write_table", failing)
    with pytest.raises(OSError, match="disk full"):
        write_geoparquet(villages, folder)
    assert sorted(p.relative_to(folder) for p in folder.rglob("*.parquet")) == before
    assert len(gpd.read_parquet(folder)) == 10
    assert not list(tmp_path.glob(".*"))


def test_county_geopackages(villages, tmp_path: Path) -> None:
    files = write_county_geopackages(villages, tmp_path / "gpkg")
    assert len(files) == 5
    back = pd.concat([gpd.read_file(p, layer="villages") for p in files])
    assert len(back) == len(villages)
    assert sorted(back["village_id"]) == sorted(villages.index)


def test_county_summary_coverage_and_gaps() -> None:
    v = pd.DataFrame(
        {
            "province": ["P", "P", "P", "Q"],
            "county": ["A", "A", "A", "B"],
            "population": [100, 200, 700, 50],
            "clinic_nearest_min": [5.0, 20.0, np.nan, 40.0],
        }
    )
    s = county_summary(v, {"clinic": [15, 30]})
    assert s[["province", "county"]].values.tolist() == [["P", "A"], ["Q", "B"]]
    a = s.iloc[0]
    assert a["villages"] == 3 and a["population"] == 1000
    assert a["clinic_within_15min_share"] == pytest.approx(1 / 3)
    assert a["clinic_within_30min_pop_share"] == pytest.approx(0.3)
    assert a["clinic_gap_villages"] == 1 and a["clinic_gap_population"] == 700
    assert a["clinic_median_min"] == pytest.approx(12.5) and a["clinic_max_min"] == 20.0
    b = s.iloc[1]
    assert b["clinic_within_30min_share"] == 0.0 and b["clinic_gap_population"] == 50


def test_output_folder_checks(tmp_path: Path) -> None:
    roads = tmp_path / "pq" / "roads.gpkg"
    roads.parent.mkdir()
    roads.write_bytes(b"")
    cfg = {
        "input": {"roads": str(roads)},
        "output": {
            "parquet": "pq",
            "county_geopackages": "",
            "county_summary": "",
            "overwrite": True,
        },
    }
    with pytest.raises(OutputError, match="roads"):
        check_partitioned_outputs(cfg, tmp_path)
    cfg["output"]["parquet"] = "../elsewhere"
    with pytest.raises(ConfigError, match="plain folder name"):
        check_partitioned_outputs(cfg, tmp_path)


@pytest.mark.slow
def test_run_project_writes_the_national_outputs(tmp_path: Path) -> None:
    """A plain (one-process) run with [output] parquet / county_geopackages / county_summary."""
    from accessibility.config import load_config
    from accessibility.distributed import make_national, write_region_project
    from accessibility.options import set_options
    from accessibility.pipeline import run_project

    region = make_national(2, columns=2, province_side=1)
    path = write_region_project(
        region,
        tmp_path,
        services={"clinic": {"mode": "walk"}},
        mode="walk",
        thresholds_min=[15, 30],
    )
    cfg = load_config(path)
    cfg["output"].update(parquet="pq", county_geopackages="gpkg", county_summary="counties.csv")
    with set_options(progress=False):
        result = run_project(cfg, out_dir=tmp_path / "out")
    out = tmp_path / "out"
    assert {"parquet", "county_geopackages", "county_summary"} <= set(result.files)
    back = gpd.read_parquet(out / "pq")
    pd.testing.assert_frame_equal(back.loc[result.villages.index], result.villages)
    assert sorted(p.relative_to(out / "pq").as_posix() for p in (out / "pq").rglob("*")) == [
        "P0000",
        "P0000/C00.parquet",
        "P0001",
        "P0001/C01.parquet",
    ]
    summary = pd.read_csv(out / "counties.csv", encoding="utf-8-sig")
    want = county_summary(result.villages, {"clinic": [15.0, 30.0]})
    pd.testing.assert_frame_equal(summary, want, check_dtype=False)
    assert len(list((out / "gpkg").rglob("*.gpkg"))) == 2
