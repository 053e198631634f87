"""Helpers for the real-QGIS tests: run a script under the SYSTEM Python with headless QGIS.

QGIS lives in Debian's Python (/usr/bin/python3, NumPy 1.x); the project's venv has NumPy 2.x, so
QGIS code never runs in the test process: it runs in a subprocess with a clean environment and
temporary XDG/config folders (nothing is written to $HOME), and reports back through JSON files.

``ACCESSIBILITY_QGIS_PREFIX=/some/usr`` runs another QGIS unpacked there (for example 3.40 from
bookworm-backports, extracted with ``dpkg -x``; see docs/qgis.md) instead of the installed one.
"""

from __future__ import annotations

import functools
import json
import os
import subprocess
from pathlib import Path
from typing import Any

SYSTEM_PYTHON = os.environ.get("QGIS_PYTHON", "/usr/bin/python3")
SCRIPTS = Path(__file__).resolve().parent / "scripts"
TIMEOUT_S = 300


@functools.cache
def qgis_version() -> str | None:
    """QGIS version importable by the system Python, or None when QGIS is not installed."""
    if not Path(SYSTEM_PYTHON).exists():
        return None
    try:
        proc = subprocess.run(
            [SYSTEM_PYTHON, "-c", "from qgis.core import Qgis; print(Qgis.QGIS_VERSION)"],
            capture_output=True,
            text=True,
            timeout=60,
            env=_base_env(Path("/tmp")),
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    return proc.stdout.strip() if proc.returncode == 0 else None


def _base_env(home: Path) -> dict[str, str]:
    env = {
        "PATH": "/usr/local/bin:/usr/bin:/bin",
        "LANG": "C.UTF-8",
        "LC_ALL": "C.UTF-8",
        "QT_QPA_PLATFORM": "offscreen",
        "HOME": str(home),
    }
    prefix = os.environ.get("ACCESSIBILITY_QGIS_PREFIX")
    if prefix:
        env["QGIS_PREFIX_PATH"] = prefix
        env["LD_LIBRARY_PATH"] = f"{prefix}/lib/x86_64-linux-gnu:{prefix}/lib"
        env["PYTHONPATH"] = f"{prefix}/lib/python3/dist-packages:{prefix}/share/qgis/python"
    return env


def qgis_env(workdir: Path) -> dict[str, str]:
    """Environment for a headless QGIS subprocess with every writable folder under ``workdir``."""
    workdir = Path(workdir)
    env = _base_env(workdir / "home")
    for key, sub in (
        ("XDG_RUNTIME_DIR", "runtime"),
        ("QGIS_CUSTOM_CONFIG_PATH", "qgis-config"),
        ("TMPDIR", "tmp"),
        ("XDG_CACHE_HOME", "cache"),
        ("XDG_CONFIG_HOME", "config"),
        ("XDG_DATA_HOME", "data"),
    ):
        folder = workdir / sub
        folder.mkdir(parents=True, exist_ok=True)
        env[key] = str(folder)
    (workdir / "home").mkdir(exist_ok=True)
    os.chmod(workdir / "runtime", 0o700)
    return env


def run_qgis_script(
    script: str, spec: dict[str, Any], workdir: Path, *, extra_env: dict[str, str] | None = None
) -> dict[str, Any]:
    """Run ``scripts/<script>`` under the system Python with ``spec``; return its JSON result.

    Raises AssertionError with QGIS's output when the script fails or crashes.
    """
    workdir = Path(workdir)
    workdir.mkdir(parents=True, exist_ok=True)
    spec_path = workdir / f"{Path(script).stem}-spec.json"
    result_path = workdir / f"{Path(script).stem}-result.json"
    spec_path.write_text(json.dumps(spec, ensure_ascii=False), encoding="utf-8")
    result_path.unlink(missing_ok=True)
    env = qgis_env(workdir / "qgis-env")
    if extra_env:
        env.update(extra_env)
    proc = subprocess.run(
        [SYSTEM_PYTHON, str(SCRIPTS / script), str(spec_path), str(result_path)],
        capture_output=True,
        text=True,
        timeout=TIMEOUT_S,
        env=env,
        cwd=workdir,
    )
    if proc.returncode != 0 or not result_path.exists():
        raise AssertionError(
            f"QGIS script {script} failed (exit code {proc.returncode})\n"
            f"--- stdout ---\n{proc.stdout[-4000:]}\n--- stderr ---\n{proc.stderr[-4000:]}"
        )
    return json.loads(result_path.read_text(encoding="utf-8"))


def check_layers(
    layers: list[dict[str, str]], workdir: Path, *, size: tuple[int, int] = (480, 480)
) -> dict[str, Any]:
    """Open and render layers in QGIS (see scripts/check_layers.py); return the per-layer report."""
    return run_qgis_script("check_layers.py", {"layers": layers, "size": list(size)}, workdir)


def gpkg_layer_specs(gpkg: Path, names: list[str], png_dir: Path) -> list[dict[str, str]]:
    """Layer specs for the named layers of a GeoPackage, each rendered to ``png_dir/<name>.png``."""
    png_dir.mkdir(parents=True, exist_ok=True)
    return [
        {
            "name": name,
            "uri": f"{gpkg}|layername={name}",
            "provider": "ogr",
            "png": str(png_dir / f"{name}.png"),
        }
        for name in names
    ]


def assert_layer_ok(
    info: dict[str, Any],
    *,
    crs: str,
    feature_count: int | None = None,
    renderer_type: str | None = None,
    class_attribute: str | None = None,
    min_pixels: int = 30,
    colors: list[tuple[int, int, int]] = (),
) -> None:
    """The check every written layer must pass in QGIS: valid, CRS, count, style, not blank.

    ``colors`` are RGB fill colours of the style that must appear in the rendered image (exactly,
    on at least 4 pixels), which proves that the classes were drawn with the style's colours.
    """
    assert info["valid"], f"QGIS could not open the layer: {info.get('error')}"
    assert info["crs"] == crs, f"CRS {info['crs']} != {crs}"
    if feature_count is not None:
        assert info["feature_count"] == feature_count
    if renderer_type is not None:
        assert info["renderer_type"] == renderer_type, (
            f"renderer {info['renderer_type']!r} != {renderer_type!r}: the default style did not "
            f"load (styles in database: {info.get('styles_in_database')})"
        )
    if class_attribute is not None:
        assert info["class_attribute"] == class_attribute
    assert info["non_background_pixels"] >= min_pixels, (
        f"rendered image is blank: {info['non_background_pixels']} non-background pixels"
    )
    for rgb in colors:
        key = ",".join(str(c) for c in rgb)
        assert info["colors"].get(key, 0) >= 4, f"colour {key} not drawn; drawn: {info['colors']}"
