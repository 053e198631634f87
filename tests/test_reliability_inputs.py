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
    for name in ("demo_county.gpkg", "demo_dem.tif"):
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
