"""Outputs of a run: never over an input, replaced together, a full disk said plainly, and
byte-identical GeoPackages from identical runs (reliability issue #15, items 1-3 and 15).

Rows of the bad-input catalogue in docs/reliability.md (S).
"""

from __future__ import annotations

import datetime
import errno
import os
import shutil
import sqlite3
from collections import namedtuple
from pathlib import Path

import geopandas as gpd
import pytest
import shapely

from accessibility.cli import build_parser, main
from accessibility.errors import ConfigError, OutputError
from accessibility.pipeline import demo_project, run_project

REPO = Path(__file__).resolve().parents[1]
DATA = REPO / "data"
EPOCH = 1_700_000_000  # 2023-11-14T22:13:20Z


class WorkStarted(Exception):
    """Raised by a stand-in for the first step of real work."""


def _stop_work(*args, **kwargs):
    raise WorkStarted


def _quick_demo_config():
    cfg = demo_project()
    cfg["output"]["report"] = ""  # the report and the DEM are tested elsewhere; keep these quick
    cfg["network"]["dem"] = None
    return cfg


def _project(tmp_path, **output):
    """A demo project file in ``tmp_path`` reading a copy of the demo county there."""
    shutil.copy(DATA / "demo_county.gpkg", tmp_path / "county.gpkg")
    for name in ("demo_bus_lines.toml", "demo_bus_standards.toml"):
        shutil.copy(DATA / name, tmp_path / name)
    text = (DATA / "demo_project.toml").read_text(encoding="utf-8")
    text = text.replace('"demo_county.gpkg"', '"county.gpkg"')
    text = text.replace('dem = "demo_dem.tif"', "")
    for key, value in output.items():
        old = next(line for line in text.splitlines() if line.startswith(f"{key} = "))
        text = text.replace(old, f"{key} = {value}")
    path = tmp_path / "project.toml"
    path.write_text(text, encoding="utf-8")
    return path


# --------------------------------------------------------------------------------------------------
# item 1: no output over an input


@pytest.mark.parametrize(
    ("output", "message"),
    [
        ({"folder": '"."', "geopackage": '"county.gpkg"'}, r"\[output\] geopackage .*\[input\] "),
        # an output named like an input of another format is refused by its ending first
        ({"folder": '"."', "csv": '"county.gpkg"'}, r"\[output\] csv = 'county.gpkg': must end"),
        ({"folder": '"."', "report": '"project.toml"'}, r"\[output\] report = .*must end"),
        # same.csv is a symlink to out.gpkg: two outputs, one file
        ({"folder": '"."', "csv": '"same.csv"', "geopackage": '"out.gpkg"'}, r"same file"),
        (
            {"folder": '"link"', "geopackage": '"county.gpkg"'},
            r"\[output\] geopackage .*\[input\] ",
        ),
    ],
)
def test_output_over_an_input_is_refused_before_work(tmp_path, monkeypatch, output, message):
    (tmp_path / "link").symlink_to(tmp_path)  # the same folder under another name
    (tmp_path / "same.csv").symlink_to(tmp_path / "out.gpkg")
    path = _project(tmp_path, **output)
    before = (tmp_path / "county.gpkg").read_bytes()
    monkeypatch.setattr("accessibility.project.run.load_project_inputs", _stop_work)
    with pytest.raises((OutputError, ConfigError), match=message):
        run_project(path)
    assert (tmp_path / "county.gpkg").read_bytes() == before


def test_output_over_an_input_through_a_symlinked_file(tmp_path, monkeypatch):
    path = _project(tmp_path, folder='"out"')
    (tmp_path / "out").mkdir()
    (tmp_path / "out" / "demo_villages.csv").symlink_to(tmp_path / "county.gpkg")
    monkeypatch.setattr("accessibility.project.run.load_project_inputs", _stop_work)
    with pytest.raises(OutputError, match=r"\[output\] csv .*\[input\] roads"):
        run_project(path)


def test_check_command_refuses_output_over_input(tmp_path, capsys):
    path = _project(tmp_path, folder='"."', geopackage='"county.gpkg"')
    assert main(["check", str(path), "--quiet"]) == 2
    err = capsys.readouterr().err
    assert "[output] geopackage" in err and "[input] roads" in err
    assert main(["check", str(_project(tmp_path)), "--quiet"]) == 0


def test_scenario_and_site_outputs_over_inputs_are_refused_before_work(tmp_path, monkeypatch):
    from accessibility.planning import run_scenario, run_siting

    monkeypatch.setattr("accessibility.planning.runs._load_project", _stop_work)
    scenario = tmp_path / "scenario_mine.gpkg"  # what run_scenario would write
    shutil.copy(DATA / "demo_county.gpkg", scenario)
    path = _project(tmp_path)
    text = path.read_text(encoding="utf-8").replace('"county.gpkg"', f'"{scenario.name}"')
    path.write_text(text, encoding="utf-8")
    plan = {"scenario": {"name": "mine"}, "close_facility": [{"id": "HC01"}]}
    with pytest.raises(OutputError, match=r"scenario geopackage .*\[input\] roads"):
        run_scenario(path, plan, out_dir=tmp_path)
    # the site command's scenario file over the project file
    site_toml = tmp_path / "site_clinic_maximal_covering.toml"
    shutil.copy(path, site_toml)
    with pytest.raises(OutputError, match=r"site scenario file .*project file"):
        run_siting(site_toml, service="clinic", objective="mclp", out_dir=tmp_path)


def test_partitioned_run_refuses_output_over_input(tmp_path, monkeypatch):
    pytest.importorskip("dask")
    from accessibility.distributed import run_partitioned

    monkeypatch.setattr("accessibility.project.dask.run._prepare_project", _stop_work)
    path = _project(tmp_path, folder='"."', geopackage='"county.gpkg"')
    with pytest.raises(OutputError, match=r"\[output\] geopackage .*\[input\] "):
        run_partitioned(path)


# --------------------------------------------------------------------------------------------------
# a demo run with SOURCE_DATE_EPOCH, twice (item 15); its outputs serve the other tests

Runs = namedtuple("Runs", "first second")


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("SOURCE_DATE_EPOCH", str(EPOCH))
        first = tmp_path_factory.mktemp("first")
        second = tmp_path_factory.mktemp("second")
        result = run_project(_quick_demo_config(), out_dir=first)
        run_project(_quick_demo_config(), out_dir=second)
    return Runs((result, first), second)


@pytest.mark.slow
def test_two_runs_with_source_date_epoch_give_identical_geopackages(runs):
    (_, first), second = runs
    name = "demo_accessibility.gpkg"
    assert (first / name).read_bytes() == (second / name).read_bytes()
    with sqlite3.connect(first / name) as con:
        stamps = {r[0] for r in con.execute("SELECT last_change FROM gpkg_contents")}
        stamps |= {r[0] for r in con.execute("SELECT update_time FROM layer_styles")}
    assert stamps == {"2023-11-14T22:13:20.000Z"}


@pytest.mark.slow
def test_geopackage_timestamp_without_source_date_epoch_is_the_inputs(runs, tmp_path, monkeypatch):
    # an unchanged project written again gives the same bytes: the timestamp is the inputs' newest
    # modification time, not the clock
    from accessibility.project.outputs import write_outputs

    monkeypatch.delenv("SOURCE_DATE_EPOCH", raising=False)
    (result, _), _ = runs
    cfg = _quick_demo_config()
    a, b = tmp_path / "a.gpkg", tmp_path / "b.gpkg"
    write_outputs(result, cfg, a, None, None)
    write_outputs(result, cfg, b, None, None)
    assert a.read_bytes() == b.read_bytes()
    county = Path(cfg["input"]["roads"])  # the installed demo data
    names = ("demo_project.toml", "demo_bus_lines.toml", "demo_bus_standards.toml")
    inputs = (county, *(county.parent / n for n in names))
    newest = max(int(os.stat(p).st_mtime) for p in inputs)
    expected = datetime.datetime.fromtimestamp(newest, datetime.UTC)
    with sqlite3.connect(a) as con:
        stamps = {r[0] for r in con.execute("SELECT last_change FROM gpkg_contents")}
    assert stamps == {expected.strftime("%Y-%m-%dT%H:%M:%S.000Z")}


def test_write_geopackage_honours_source_date_epoch(tmp_path, monkeypatch):
    from accessibility.io import write_geopackage

    monkeypatch.setenv("SOURCE_DATE_EPOCH", str(EPOCH))
    layer = gpd.GeoDataFrame({"a": [1]}, geometry=[shapely.Point(500000, 3300000)], crs=32649)
    write_geopackage(tmp_path / "a.gpkg", {"v": layer})
    write_geopackage(tmp_path / "b.gpkg", {"v": layer})
    assert (tmp_path / "a.gpkg").read_bytes() == (tmp_path / "b.gpkg").read_bytes()
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "yesterday")
    with pytest.raises(OutputError, match="SOURCE_DATE_EPOCH"):
        write_geopackage(tmp_path / "c.gpkg", {"v": layer})


# --------------------------------------------------------------------------------------------------
# item 2: the outputs of a run are replaced together


@pytest.mark.slow
def test_interrupt_between_geopackage_and_csv_keeps_the_old_set(runs, monkeypatch):
    (_, out), _ = runs
    gpkg, csv = out / "demo_accessibility.gpkg", out / "demo_villages.csv"
    before = gpkg.read_bytes(), csv.read_bytes()

    def interrupt(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr("accessibility.io.write_table", interrupt)
    monkeypatch.setenv("SOURCE_DATE_EPOCH", str(EPOCH + 1))  # a new GeoPackage would differ
    with pytest.raises(KeyboardInterrupt):
        run_project(_quick_demo_config(), out_dir=out)
    assert (gpkg.read_bytes(), csv.read_bytes()) == before
    assert not [p for p in os.listdir(out) if ".part" in p or ".old" in p]


def test_failed_rename_during_the_swap_restores_the_previous_set(tmp_path, monkeypatch):
    from accessibility._files import atomic_outputs

    a, b = tmp_path / "a.txt", tmp_path / "b.txt"
    a.write_text("old a")
    b.write_text("old b")
    real = os.replace
    calls = []

    def fail_second(src, dst):
        calls.append(dst)
        if len(calls) == 2:
            raise OSError(errno.EIO, "Input/output error")
        return real(src, dst)

    monkeypatch.setattr(os, "replace", fail_second)
    with pytest.raises(OutputError, match="could not write"), atomic_outputs() as staged:
        staged.path(a).write_text("new a")
        staged.path(b).write_text("new b")
    assert (a.read_text(), b.read_text()) == ("old a", "old b")
    assert sorted(os.listdir(tmp_path)) == ["a.txt", "b.txt"]


def test_a_backup_copy_cut_short_by_a_full_disk_is_not_left_behind(tmp_path, monkeypatch):
    # found in review: where hard links fail (FAT, some shares) the previous output is copied;
    # a copy cut short by a full disk stayed in the folder
    from accessibility._files import atomic_outputs

    a = tmp_path / "a.txt"
    a.write_text("old a")

    def no_link(*args, **kwargs):
        raise OSError(errno.EPERM, "Operation not permitted")

    def copy_then_full(src, dst, **kwargs):
        Path(dst).write_text("half")
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(os, "link", no_link)
    monkeypatch.setattr(shutil, "copy2", copy_then_full)
    with pytest.raises(OutputError), atomic_outputs() as staged:
        staged.path(a).write_text("new a")
    assert a.read_text() == "old a"
    assert sorted(os.listdir(tmp_path)) == ["a.txt"]


def test_cli_says_truthfully_what_an_interruption_left(tmp_path, monkeypatch, capsys):
    from accessibility._files import atomic_path

    written = tmp_path / "new.csv"

    def write_then_interrupt(*args, **kwargs):
        with atomic_path(written) as tmp:
            tmp.write_text("x")
        raise KeyboardInterrupt

    monkeypatch.setattr("accessibility.project.run_project", write_then_interrupt)
    assert main(["run", "p.toml", "--quiet"]) == 130
    err = capsys.readouterr().err
    assert "left untouched" not in err
    assert f"interrupted after these outputs were written: {written}" in err

    monkeypatch.setattr("accessibility.project.run_project", _interrupt)
    assert main(["run", "p.toml", "--quiet"]) == 130
    err = capsys.readouterr().err
    assert "interrupted before any output was written; existing files were left as they were" in err


def _interrupt(*args, **kwargs):
    raise KeyboardInterrupt


# --------------------------------------------------------------------------------------------------
# item 3: a full disk


def _small_layer():
    return gpd.GeoDataFrame({"a": [1, 2]}, geometry=shapely.points([(0, 0), (1, 1)]), crs=32649)


@pytest.mark.parametrize(
    "failure",
    ["Failed to commit transaction", "sqlite3_exec(COMMIT) failed: no such table: gpkg_contents"],
)
def test_full_disk_seen_by_gdal_is_an_output_error_naming_the_folder(
    tmp_path, monkeypatch, failure
):
    # what GDAL (through pyogrio) reports when the disk fills up during a GeoPackage write
    import pyogrio
    from pyogrio.errors import DataSourceError

    from accessibility.io import write_geopackage

    target = tmp_path / "out.gpkg"
    write_geopackage(target, {"v": _small_layer()})
    before = target.read_bytes()
    real = pyogrio.write_dataframe

    def fill_disk(df, path, **kwargs):
        real(df, path, **kwargs)  # part of the file is written, then the disk is full
        raise DataSourceError(failure)

    Usage = namedtuple("Usage", "total used free")
    monkeypatch.setattr(pyogrio, "write_dataframe", fill_disk)
    monkeypatch.setattr(shutil, "disk_usage", lambda p: Usage(10**6, 10**6 - 4096, 4096))
    with pytest.raises(OutputError, match=rf"disk full .*folder '{tmp_path}'.*4\.0 kB free"):
        write_geopackage(target, {"v": _small_layer()})
    assert target.read_bytes() == before
    assert os.listdir(tmp_path) == ["out.gpkg"]


def test_full_disk_seen_by_sqlite_is_an_output_error(tmp_path, monkeypatch):
    # the styles are written with sqlite3, which says "database or disk is full"
    from accessibility import io

    def full(*args, **kwargs):
        raise sqlite3.OperationalError("database or disk is full")

    monkeypatch.setattr(io, "_write_layer_styles", full)
    with pytest.raises(OutputError, match=rf"disk full .*folder '{tmp_path}'"):
        io.write_geopackage(tmp_path / "out.gpkg", {"villages": _small_layer()})
    assert os.listdir(tmp_path) == []


def test_other_writer_errors_are_not_called_a_full_disk(tmp_path, monkeypatch):
    import pyogrio
    from pyogrio.errors import FieldError

    from accessibility.io import write_geopackage

    def bad(*args, **kwargs):
        raise FieldError("unsupported field type")

    monkeypatch.setattr(pyogrio, "write_dataframe", bad)
    with pytest.raises(FieldError):
        write_geopackage(tmp_path / "out.gpkg", {"v": _small_layer()})


# --------------------------------------------------------------------------------------------------
# item 15: --overwrite / --no-overwrite


def test_overwrite_flags(tmp_path, monkeypatch, capsys):
    args = build_parser().parse_args(["run", "p.toml"])
    assert args.overwrite is None
    assert build_parser().parse_args(["run", "p.toml", "--overwrite"]).overwrite is True
    assert build_parser().parse_args(["scenario", "p", "s", "--no-overwrite"]).overwrite is False
    assert build_parser().parse_args(["site", "p", "--service", "x", "--overwrite"]).overwrite

    path = _project(tmp_path, folder='"out"')
    (tmp_path / "out").mkdir()
    (tmp_path / "out" / "demo_villages.csv").write_text("old")
    monkeypatch.setattr("accessibility.project.run.load_project_inputs", _stop_work)
    assert main(["run", str(path), "--no-overwrite", "--quiet"]) == 2
    assert "already exists" in capsys.readouterr().err
    assert (tmp_path / "out" / "demo_villages.csv").read_text() == "old"
    text = path.read_text(encoding="utf-8").replace("overwrite = true", "overwrite = false")
    path.write_text(text, encoding="utf-8")
    with pytest.raises(WorkStarted):  # the flag wins over [output] overwrite = false
        main(["run", str(path), "--overwrite", "--quiet"])
