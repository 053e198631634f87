"""Reliability of inputs (issue #15): the Python API validates as the CLI does, Shapefile text
encodings (GBK/GB18030) are detected, warnings that change results reach notebook users and
leave a trace, errors pickle, and the command's global flags work before the subcommand."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from accessibility.cli import main

REPO = Path(__file__).resolve().parents[1]
PROJECT = REPO / "data" / "demo_project.toml"


# --- global flags before or after the subcommand -----------------------------------------------


@pytest.mark.parametrize(
    "argv",
    [
        ["-q", "check", str(PROJECT)],
        ["check", str(PROJECT), "-q"],
        ["-v", "--n-jobs", "1", "check", str(PROJECT)],
        ["--quiet", "check", str(PROJECT), "--n-jobs", "1"],
    ],
)
def test_global_flags_before_or_after_the_subcommand(argv, capsys):
    assert main(argv) == 0
    assert "354 villages" in capsys.readouterr().out


def test_global_flags_parse_to_the_same_options():
    from accessibility.cli import build_parser

    parser = build_parser()
    before = parser.parse_args(["-q", "--n-jobs", "3", "run", "p.toml"])
    after = parser.parse_args(["run", "p.toml", "-q", "--n-jobs", "3"])
    assert vars(before) == vars(after)
    assert before.quiet is True and before.n_jobs == 3
    plain = parser.parse_args(["run", "p.toml"])
    assert plain.quiet is False and plain.n_jobs is None and plain.verbose == 0
    assert parser.parse_args(["-vv", "run", "p.toml"]).verbose == 2


@pytest.mark.slow
def test_global_flag_before_the_subcommand_in_a_real_process():
    out = subprocess.run(
        [sys.executable, "-m", "accessibility", "-q", "check", str(PROJECT)],
        capture_output=True,
        text=True,
        cwd=REPO,
    )
    assert out.returncode == 0, out.stderr
    assert "354 villages" in out.stdout


# --- Shapefile text encodings --------------------------------------------------------------------

NAMES = ["河口镇", "李家村"]


def _gbk_shapefile(folder: Path, cpg: str | None, name: str = "v") -> Path:
    """A point Shapefile whose names (and a Chinese field name) are GBK bytes, with the given
    .cpg text (None: no .cpg, as many Chinese Shapefiles come)."""
    import geopandas as gpd
    import pyogrio
    from shapely.geometry import Point

    gdf = gpd.GeoDataFrame(
        {"name": NAMES, "乡镇": ["河口镇", "河口镇"], "population": [120, 80]},
        geometry=[Point(500_000, 3_300_000), Point(501_000, 3_300_500)],
        crs=32650,
    )
    path = folder / f"{name}.shp"
    pyogrio.write_dataframe(gdf, path, encoding="GBK")
    cpg_path = path.with_suffix(".cpg")
    cpg_path.unlink(missing_ok=True)
    if cpg is not None:
        cpg_path.write_text(cpg, encoding="ascii")
    assert "河口镇".encode("gbk") in path.with_suffix(".dbf").read_bytes()
    return path


def test_gbk_shapefile_without_cpg_is_detected_and_warned(tmp_path):
    from accessibility.errors import InputWarning
    from accessibility.io import read_layer

    path = _gbk_shapefile(tmp_path, None)
    with pytest.warns(InputWarning, match=r"GB18030.*encoding=.*villages_encoding"):
        got = read_layer(path)
    assert got["name"].tolist() == NAMES
    assert "乡镇" in got.columns and got["乡镇"].tolist() == ["河口镇", "河口镇"]


def test_gbk_shapefile_with_a_wrong_utf8_cpg_is_read_as_gb18030_with_a_warning(tmp_path):
    from accessibility.errors import InputWarning
    from accessibility.io import read_layer

    path = _gbk_shapefile(tmp_path, "UTF-8")
    with pytest.warns(InputWarning, match=r"\.cpg file says 'UTF-8' but the text is not valid"):
        got = read_layer(path)
    assert got["name"].tolist() == NAMES


@pytest.mark.parametrize("cpg", ["GBK", "936", "CP936", "GB18030"])
def test_gbk_shapefile_with_a_correct_cpg_reads_without_warning(tmp_path, cpg, recwarn):
    from accessibility.errors import AccessibilityWarning
    from accessibility.io import read_layer

    got = read_layer(_gbk_shapefile(tmp_path, cpg))
    assert got["name"].tolist() == NAMES
    assert not [w for w in recwarn if issubclass(w.category, AccessibilityWarning)]


def test_explicit_encoding_wins_and_a_wrong_one_is_a_clear_error(tmp_path, recwarn):
    from accessibility.errors import InvalidValueError
    from accessibility.io import read_layer

    path = _gbk_shapefile(tmp_path, "UTF-8")  # the explicit encoding beats the .cpg
    assert read_layer(path, encoding="gbk")["name"].tolist() == NAMES
    assert not recwarn.list
    with pytest.raises(InvalidValueError, match=r"not valid utf-8.*use encoding='gb18030'"):
        read_layer(path, encoding="utf-8")


def test_utf8_shapefile_without_cpg_is_read_as_utf8(tmp_path, recwarn):
    import geopandas as gpd
    import pyogrio
    from shapely.geometry import Point

    from accessibility.io import read_layer

    gdf = gpd.GeoDataFrame({"name": NAMES}, geometry=[Point(0, 0), Point(1, 1)], crs=32650)
    path = tmp_path / "u.shp"
    pyogrio.write_dataframe(gdf, path, encoding="UTF-8")
    path.with_suffix(".cpg").unlink(missing_ok=True)  # GDAL alone would read Latin-1 mojibake
    assert read_layer(path)["name"].tolist() == NAMES
    assert not recwarn.list


def test_text_in_no_known_encoding_with_a_utf8_cpg_is_an_error_naming_the_key(tmp_path):
    from accessibility.errors import InvalidValueError
    from accessibility.io import read_layer

    path = _gbk_shapefile(tmp_path, "UTF-8")
    dbf = path.with_suffix(".dbf")
    # a lone lead byte followed by a space: valid in neither UTF-8 nor GB18030
    dbf.write_bytes(dbf.read_bytes().replace("河口镇".encode("gbk"), b"\x81 \x81 \x81 "))
    with pytest.raises(InvalidValueError, match=r"not valid utf-8.*villages_encoding"):
        read_layer(path)


def test_latin1_fallback_is_never_silent(tmp_path):
    from accessibility.errors import InputWarning
    from accessibility.io import read_layer

    path = _gbk_shapefile(tmp_path, None)
    dbf = path.with_suffix(".dbf")
    dbf.write_bytes(dbf.read_bytes().replace("河口镇".encode("gbk"), b"Caf\xe9 \xe9 "))
    with pytest.warns(InputWarning, match="read as Latin-1"):
        read_layer(path)


def test_project_file_encoding_keys(tmp_path):
    import geopandas as gpd

    from accessibility.config import load_config
    from accessibility.errors import ConfigError
    from accessibility.pipeline import read_validated_layers

    demo = gpd.read_file(REPO / "data" / "demo_county.gpkg", layer="villages")
    demand = {"population", "pop_school_age", "pop_elderly"}
    demo = demo.rename(columns={c: c[:10] for c in demand})[
        ["village_id", "name", "township", "area_type", *(c[:10] for c in demand), "geometry"]
    ]
    text = PROJECT.read_text(encoding="utf-8")
    for c in demand:
        text = text.replace(f'"{c}"', f'"{c[:10]}"')
    demo["name"] = [f"{NAMES[i % 2]}{i}" for i in range(len(demo))]
    demo.to_file(tmp_path / "villages.shp", encoding="GBK")
    (tmp_path / "villages.cpg").unlink(missing_ok=True)
    for name in (
        "demo_county.gpkg",
        "demo_dem.tif",
        "demo_bus_lines.toml",
        "demo_bus_standards.toml",
    ):
        text = text.replace(f'"{name}"', f'"{REPO / "data" / name}"')
    lines = text.splitlines()
    start = lines.index("[input]")
    end = next(i for i in range(start + 1, len(lines)) if lines[i].startswith("["))
    body = [ln for ln in lines[start + 1 : end] if not ln.startswith("villages")]
    body += [f'villages = "{tmp_path / "villages.shp"}"', 'villages_encoding = "gbk"']
    p = tmp_path / "p.toml"
    p.write_text("\n".join([*lines[: start + 1], *body, *lines[end:]]), encoding="utf-8")
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("error")  # the key says the encoding: nothing is guessed
        _, _, villages, _ = read_validated_layers(load_config(p))
    assert villages["name"].tolist()[:2] == ["河口镇0", "李家村1"]
    p.write_text(p.read_text(encoding="utf-8").replace('"gbk"', '"gbx"'), encoding="utf-8")
    with pytest.raises(ConfigError, match=r"villages_encoding = 'gbx' is not a known text"):
        load_config(p)


# --- the Python API validates as the CLI does ---------------------------------------------------


@pytest.fixture(scope="module")
def demo_net():
    import accessibility as acc

    demo = acc.load_demo()
    return demo, acc.network_from_roads(demo.roads, tolerance_m=2.5)


def test_api_rejects_text_in_a_supply_column_and_leaves_the_inputs_alone(demo_net):
    import pandas as pd

    from accessibility.errors import InvalidValueError
    from accessibility.pipeline import accessibility_layer

    demo, net = demo_net
    villages = demo.villages.copy()
    facilities = demo.facilities.copy()
    facilities["doctors"] = facilities["doctors"].astype(object)
    clinic = facilities.index[facilities["service"] == "clinic"][0]
    facilities.loc[clinic, "doctors"] = "25人"
    before_v, before_f = villages.copy(), facilities.copy()
    with pytest.raises(InvalidValueError) as info:
        accessibility_layer(net, villages, facilities, services={"clinic": {"supply": "doctors"}})
    message = str(info.value)
    assert "facilities" in message and "'doctors'" in message
    assert f"{clinic!r}='25人'" in message
    pd.testing.assert_frame_equal(villages, before_v)
    pd.testing.assert_frame_equal(facilities, before_f)


def test_api_validates_demand_and_supply_like_the_cli(demo_net):
    import numpy as np
    import pandas as pd

    from accessibility.errors import InvalidValueError
    from accessibility.pipeline import accessibility_layer
    from accessibility.validate import validate_locations

    demo, net = demo_net
    villages = demo.villages.copy()
    villages.loc[villages.index[3], "population"] = -5
    with pytest.raises(InvalidValueError, match=r"villages: column 'population' has 1 negative"):
        accessibility_layer(net, villages, demo.facilities, services=["clinic"])
    # the message is validate_locations' own
    with pytest.raises(InvalidValueError) as direct:
        validate_locations(villages, kind="villages", nonnegative_columns=["population"])
    with pytest.raises(InvalidValueError) as api:
        accessibility_layer(net, villages, demo.facilities, services=["clinic"])
    assert str(api.value) == str(direct.value)
    # a supply column empty for the services that do not use it is fine
    fac = demo.facilities.copy()
    fac["beds"] = np.where(fac["service"] == "clinic", 3.0, np.nan)
    layer = accessibility_layer(net, demo.villages, fac, services={"clinic": {"supply": "beds"}})
    assert (layer["clinic_beds_30min"] >= 0).all()
    # an empty supply value (a facility added without its capacity) counts as 0, with a warning
    from accessibility.errors import InputWarning

    first = fac.index[fac["service"] == "clinic"][0]
    fac.loc[first, "beds"] = np.nan
    with pytest.warns(InputWarning, match=rf"no value in the supply column 'beds' \('{first}'\)"):
        blank = accessibility_layer(
            net, demo.villages, fac, services={"clinic": {"supply": "beds"}}
        )
    assert (blank["clinic_beds_30min"] <= layer["clinic_beds_30min"]).all()
    assert (blank["clinic_beds_30min"] < layer["clinic_beds_30min"]).any()
    # ids and dtypes of the villages are kept
    assert layer.index.equals(demo.villages.index)
    assert layer["population"].dtype == demo.villages["population"].dtype
    pd.testing.assert_series_equal(layer["population"], demo.villages["population"])


# --- warnings that change results reach notebook users and leave a trace ------------------------


def test_village_too_far_from_a_road_warns_in_a_notebook(demo_net):
    from shapely.geometry import Point

    from accessibility.errors import AccessibilityWarning, SnapWarning
    from accessibility.pipeline import accessibility_layer

    demo, net = demo_net
    villages = demo.villages.copy()
    far = villages.index[0]
    east = net.edges.total_bounds[2]
    villages.loc[far, "geometry"] = Point(east + 3000, villages.geometry.iloc[0].y)  # 3 km out
    with pytest.warns(SnapWarning, match=r"1 of \d+ villages are more than 1000 m") as record:
        layer = accessibility_layer(net, villages, demo.facilities, services=["clinic"])
    assert all(issubclass(w.category, AccessibilityWarning) for w in record.list)
    assert not layer.loc[far, "snapped"] and layer.loc[far, "snap_distance_m"] > 1000
    assert not layer.loc[far, "clinic_reachable"]


def test_facility_dropped_warns_and_is_recorded_and_written(demo_net, tmp_path):
    import pyogrio
    from shapely.geometry import Point

    from accessibility.errors import SnapWarning
    from accessibility.io import write_geopackage
    from accessibility.pipeline import accessibility_layer, dropped_layer

    demo, net = demo_net
    fac = demo.facilities.copy()
    gone = fac.index[fac["service"] == "clinic"][0]
    fac.loc[gone, "geometry"] = Point(net.edges.total_bounds[2] + 3000, fac.geometry.loc[gone].y)
    with pytest.warns(SnapWarning, match=rf"1 of \d+ facilities are more than.*{gone}"):
        layer = accessibility_layer(net, demo.villages, fac, services=["clinic"])
    assert [d["id"] for d in layer.attrs["dropped"]] == [gone]
    row = layer.attrs["dropped"][0]
    assert row["service"] == "clinic" and "more than 1000 m" in row["reason"]
    assert row["snap_distance_m"] > 1000
    assert gone not in set(layer["clinic_nearest_id"].dropna())
    table = dropped_layer(layer, fac)
    assert table.crs == fac.crs and table.geometry.iloc[0].equals(fac.geometry.loc[gone])
    write_geopackage(tmp_path / "o.gpkg", {"villages": layer, "dropped": table})
    back = pyogrio.read_dataframe(tmp_path / "o.gpkg", layer="dropped")
    assert back["id"].tolist() == [gone] and back["reason"].str.contains("more than").all()
    # nothing left out: no dropped layer
    assert dropped_layer(accessibility_layer(net, demo.villages, demo.facilities), fac) is None


@pytest.mark.slow
def test_run_project_writes_the_dropped_layer(tmp_path):
    import geopandas as gpd
    import pyogrio
    from shapely.geometry import Point

    from accessibility.config import load_config
    from accessibility.errors import SnapWarning
    from accessibility.pipeline import run_project

    fac = gpd.read_file(REPO / "data" / "demo_county.gpkg", layer="facilities")
    fac.loc[0, "geometry"] = Point(fac.total_bounds[2] + 3000, fac.geometry.iloc[0].y)
    fac.to_file(tmp_path / "facilities.gpkg", layer="facilities")
    cfg = load_config(PROJECT)
    cfg["input"]["facilities"] = str(tmp_path / "facilities.gpkg")
    cfg["equity"]["standards"] = "none"
    cfg["catchments"]["services"] = []
    cfg["network"]["dem"] = None
    cfg["output"]["report"] = None
    with pytest.warns(SnapWarning):
        result = run_project(cfg, out_dir=tmp_path / "out")
    back = pyogrio.read_dataframe(result.files["geopackage"], layer="dropped")
    assert back["id"].tolist() == [fac.loc[0, "facility_id"]]


@pytest.mark.slow
def test_cli_shows_each_warning_once(tmp_path, capsys):
    import geopandas as gpd
    from shapely.geometry import Point

    fac = gpd.read_file(REPO / "data" / "demo_county.gpkg", layer="facilities")
    x, y = fac.geometry.iloc[0].x, fac.geometry.iloc[0].y
    fac.loc[0, "geometry"] = Point(x, y, 5.0)  # 3D: repaired with an InputWarning
    fac.to_file(tmp_path / "facilities.gpkg", layer="facilities")
    text = PROJECT.read_text(encoding="utf-8")
    for name in (
        "demo_county.gpkg",
        "demo_dem.tif",
        "demo_bus_lines.toml",
        "demo_bus_standards.toml",
    ):
        text = text.replace(f'"{name}"', f'"{REPO / "data" / name}"')
    text = text.replace(
        f'facilities = "{REPO / "data" / "demo_county.gpkg"}"',
        f'facilities = "{tmp_path / "facilities.gpkg"}"',
    )
    p = tmp_path / "p.toml"
    p.write_text(text, encoding="utf-8")
    assert main(["-q", "check", str(p)]) == 0
    err = capsys.readouterr().err
    assert err.count("Z (height) values") == 1, err
    assert "WARNING: facilities: 1 geometries have Z" in err
    # as a user runs it: the warning is not shown a second time by the warnings module
    out = subprocess.run(
        [sys.executable, "-m", "accessibility", "check", str(p), "-q"],
        capture_output=True,
        text=True,
        cwd=REPO,
    )
    assert out.returncode == 0, out.stderr
    assert out.stderr.count("Z (height) values") == 1, out.stderr
    assert "InputWarning" not in out.stderr


# --- errors pickle; accessibility.errors is reachable ------------------------------------------


def _all_error_classes():
    import inspect

    import accessibility.errors as errors

    return [
        c
        for _, c in inspect.getmembers(errors, inspect.isclass)
        if issubclass(c, BaseException) and c.__module__ == errors.__name__
    ]


@pytest.mark.parametrize("cls", _all_error_classes(), ids=lambda c: c.__name__)
def test_every_error_class_pickles(cls):
    import pickle

    error = cls("something is wrong")
    back = pickle.loads(pickle.dumps(error))
    assert type(back) is cls and str(back) == str(error)


def test_multi_problem_validation_errors_pickle():
    import pickle

    import geopandas as gpd
    from shapely.geometry import Point

    from accessibility.errors import CRSError, InvalidValueError, MissingColumnError
    from accessibility.validate import validate_locations

    layer = gpd.GeoDataFrame(
        {"population": ["约500", 3]}, geometry=[Point(0, 0), Point(1, 1)]
    )  # no CRS, text in population, a missing column
    with pytest.raises(CRSError) as info:
        validate_locations(layer, required_columns=["name"], nonnegative_columns=["population"])
    error = info.value
    assert isinstance(error, MissingColumnError) and isinstance(error, InvalidValueError)
    back = pickle.loads(pickle.dumps(error))
    assert type(back) is type(error)
    assert str(back) == str(error) and back.problems == error.problems
    from accessibility.errors import InfeasibleError

    infeasible = pickle.loads(pickle.dumps(InfeasibleError("no site reaches", villages=["V1"])))
    assert infeasible.villages == ["V1"]


def test_errors_module_is_an_attribute_in_a_fresh_interpreter():
    code = (
        "import accessibility as acc; import warnings;"
        "assert acc.errors.InputWarning is acc.validate.InputWarning;"
        "assert issubclass(acc.errors.SnapWarning, acc.errors.AccessibilityWarning);"
        "print(acc.errors.AccessibilityError.__name__, acc.options.get_options() is not None)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO)
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == ["AccessibilityError", "True"]


def _dbf_with(folder: Path, values: list[str], codec: str, ldid: int, cpg: str | None) -> Path:
    """A Shapefile whose `name` values are ``codec`` bytes, with the .dbf language driver
    ``ldid`` and the given .cpg text (None: none)."""
    import geopandas as gpd
    import pyogrio
    from shapely.geometry import Point

    gdf = gpd.GeoDataFrame(
        {"name": values}, geometry=[Point(i, i) for i in range(len(values))], crs=32650
    )
    path = folder / "w.shp"
    pyogrio.write_dataframe(gdf, path, encoding=codec)
    path.with_suffix(".cpg").unlink(missing_ok=True)
    if cpg is not None:
        path.with_suffix(".cpg").write_text(cpg, encoding="ascii")
    dbf = path.with_suffix(".dbf")
    data = bytearray(dbf.read_bytes())
    data[29] = ldid
    dbf.write_bytes(bytes(data))
    return path


@pytest.mark.parametrize(
    ("values", "codec", "ldid", "cpg"),
    [
        (["Müller", "Straße"], "latin1", 0x57, None),  # a Western "ANSI" header, no .cpg
        (["Москва", "Тверь"], "cp1251", 0xC9, None),  # a declared Cyrillic code page
        (["Straße Café", "Müller"], "latin1", 0, "88591"),  # .cpg as some writers spell it
    ],
)
def test_western_shapefiles_are_read_as_declared(tmp_path, values, codec, ldid, cpg, recwarn):
    # found in review: only East Asian header code pages were honoured, so these were read as
    # GB18030 or Latin-1 (garbled), or refused
    from accessibility.io import read_layer

    assert read_layer(_dbf_with(tmp_path, values, codec, ldid, cpg))["name"].tolist() == values


def test_gbk_shapefile_with_an_ansi_header_is_read_as_gb18030(tmp_path):
    # 0x57 ("ANSI") is the writing machine's code page: GBK on a Chinese Windows
    from accessibility.errors import InputWarning
    from accessibility.io import read_layer

    with pytest.warns(InputWarning, match="GB18030"):
        got = read_layer(_dbf_with(tmp_path, NAMES, "gbk", 0x57, None))
    assert got["name"].tolist() == NAMES


def test_latin1_shapefile_without_anything_declared_is_not_read_as_chinese(tmp_path):
    from accessibility.errors import InputWarning
    from accessibility.io import read_layer

    with pytest.warns(InputWarning, match="Latin-1"):
        got = read_layer(_dbf_with(tmp_path, ["Müller", "Straße"], "latin1", 0, None))
    assert got["name"].tolist() == ["Müller", "Straße"]
