"""QGIS Processing algorithm: per-village accessibility of public services, from the QGIS toolbox.

Load it in QGIS in either way:

* Processing Toolbox -> Scripts (Python icon) -> "Add Script to Toolbox..." and pick this file;
  the algorithm appears under Scripts -> Accessibility as "Village accessibility to services".
* Python console: ``exec(open("/path/to/accessibility_algorithm.py").read());
  register_provider()`` -> provider "Accessibility", algorithm id
  ``accessibility:accessibility_run`` (usable with ``processing.run``).

QGIS runs under its own Python (on Debian the system Python with Debian's NumPy and GDAL), which
must not import the ``accessibility`` package from another environment. So the algorithm does not
import it: it exports the picked layers to a temporary GeoPackage, writes a project file (TOML)
and runs the package's command line, ``accessibility run project.toml``, in a subprocess with a
clean environment, then loads the styled output layers.

The command is found, in this order, from: the algorithm's "accessibility command" parameter; the
environment variable ``ACCESSIBILITY_CLI``; the QGIS setting ``accessibility/cli_path``
(Settings -> Options -> Advanced, or ``QgsSettings().setValue("accessibility/cli_path", path)``);
``accessibility`` on the PATH. ``python -m accessibility.qgis`` prints the path to use.

This file uses only the standard library and QGIS; the helpers above the QGIS part also import
without QGIS (they are tested from the package's own environment).
"""

from __future__ import annotations

import json
import os
import queue
import shutil
import subprocess
import sys
import tempfile
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any

MODES = ["walk", "bike", "ebike", "car"]
PROFILES = ["china", "osm"]
SETTING_KEY = "accessibility/cli_path"
ENV_KEY = "ACCESSIBILITY_CLI"
#: Environment variables of QGIS's own Python/GDAL/PROJ that must not leak into the package's
#: Python (they would make it load QGIS's modules or mismatched GDAL/PROJ data).
_LEAKY_ENV = (
    "PYTHONPATH",
    "PYTHONHOME",
    "PYTHONSTARTUP",
    "PYTHONEXECUTABLE",
    "PYTHONNOUSERSITE",
    "GDAL_DATA",
    "GDAL_DRIVER_PATH",
    "PROJ_LIB",
    "PROJ_DATA",
    "QGIS_PREFIX_PATH",
    "QT_PLUGIN_PATH",
    "LD_LIBRARY_PATH",
    "DYLD_LIBRARY_PATH",
    "DYLD_FALLBACK_LIBRARY_PATH",
)


# --------------------------------------------------------------------------------------------------
# helpers without QGIS
# --------------------------------------------------------------------------------------------------


def parse_thresholds(text: str) -> list[float]:
    """``"15, 30, 60"`` -> ``[15, 30, 60]`` (positive minutes, increasing).

    >>> parse_thresholds("15; 30 60")
    [15, 30, 60]
    """
    parts = [p for p in text.replace(";", ",").replace(" ", ",").split(",") if p.strip()]
    try:
        values = [float(p) for p in parts]
    except ValueError:
        raise ValueError(f"thresholds must be minutes separated by commas, got {text!r}") from None
    if not values or any(v <= 0 for v in values):
        raise ValueError(f"thresholds must be positive minutes, got {text!r}")
    values = sorted(set(values))
    return [int(v) if v.is_integer() else v for v in values]


def build_project(
    *,
    inputs_gpkg: str,
    columns: dict[str, str | None],
    mode: str,
    thresholds_min: list[float],
    output_gpkg: str,
    output_csv: str | None = None,
    max_time_min: float | None = None,
    profile: str = "china",
    max_snap_m: float | None = None,
    name: str = "QGIS run",
    tolerance_m: float | None = None,
    language: str | None = None,
) -> dict[str, Any]:
    """The project configuration (as the TOML file will hold it) for one run from QGIS.

    Layers are read from ``inputs_gpkg`` (layers ``roads``, ``villages``, ``facilities``);
    ``columns`` maps the package's column keys (``village_id``, ``population``, ``service``,
    ``road_class``...) to the picked fields, ``None`` meaning "not given" (the key is left out,
    so the package's default applies). Outputs go to ``output_gpkg`` (its folder and file name)
    and ``output_csv`` (same folder). ``tolerance_m`` joins road ends closer than that (the
    project file's ``[network] tolerance_m``); ``language`` is ``"zh"``/``"en"`` or None.
    """
    out = Path(output_gpkg)
    output: dict[str, Any] = {
        "folder": str(out.parent),
        "geopackage": out.name,
        "csv": Path(output_csv).name if output_csv else "",
        "report": "",
        "overwrite": True,
        "roads": True,
    }
    analysis: dict[str, Any] = {"mode": mode, "thresholds_min": list(thresholds_min)}
    if max_time_min:
        analysis["max_time_min"] = float(max_time_min)
    network: dict[str, Any] = {"profile": profile}
    if max_snap_m:
        network["max_snap_m"] = float(max_snap_m)
    if tolerance_m is not None:
        network["tolerance_m"] = float(tolerance_m)
    project: dict[str, Any] = {"name": name}
    if language:
        project["language"] = language
    return {
        "project": project,
        "input": {
            "roads": inputs_gpkg,
            "roads_layer": "roads",
            "villages": inputs_gpkg,
            "villages_layer": "villages",
            "facilities": inputs_gpkg,
            "facilities_layer": "facilities",
        },
        "columns": {k: v for k, v in columns.items() if v},
        "network": network,
        "analysis": analysis,
        "output": output,
    }


def _toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, str):
        # JSON string escapes (backslash, quote, \n, \t, \u four-hex-digit) are valid TOML escapes
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, list | tuple):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    raise TypeError(f"cannot write {value!r} ({type(value).__name__}) to TOML")


def project_toml(config: dict[str, Any]) -> str:
    """Serialise a project configuration (tables of scalars and lists) as TOML text.

    >>> print(project_toml({"analysis": {"mode": "car", "thresholds_min": [15, 30]}}))
    # project file written by the QGIS algorithm "Village accessibility to services"
    <BLANKLINE>
    [analysis]
    mode = "car"
    thresholds_min = [15, 30]
    <BLANKLINE>
    """
    lines = ['# project file written by the QGIS algorithm "Village accessibility to services"']

    def table(prefix: str, items: dict[str, Any]) -> None:
        scalars = {k: v for k, v in items.items() if not isinstance(v, dict)}
        tables = {k: v for k, v in items.items() if isinstance(v, dict)}
        if prefix and (scalars or not tables):
            lines.extend(["", f"[{prefix}]"])
        for key, value in scalars.items():
            if value is None:
                continue
            lines.append(f"{key} = {_toml_value(value)}")
        for key, sub in tables.items():
            table(f"{prefix}.{key}" if prefix else key, sub)

    table("", config)
    return "\n".join(lines) + "\n"


def write_project_toml(path: str | os.PathLike, config: dict[str, Any]) -> Path:
    """Write :func:`project_toml` of ``config`` to ``path`` (UTF-8) and return the path."""
    path = Path(path)
    path.write_text(project_toml(config), encoding="utf-8")
    return path


def find_cli(explicit: str | None = None, setting: str | None = None) -> str:
    """Path of the ``accessibility`` command (see the module docstring for the search order).

    Raises
    ------
    FileNotFoundError
        With a message saying how to point QGIS at the command.
    """
    for candidate in (explicit, os.environ.get(ENV_KEY), setting):
        if candidate and str(candidate).strip():
            found = shutil.which(str(candidate).strip())
            if found:
                return found
            raise FileNotFoundError(
                f"the accessibility command {candidate!r} does not exist or is not executable"
            )
    found = shutil.which("accessibility")
    if found:
        return found
    raise FileNotFoundError(
        "cannot find the 'accessibility' command. Install the package (pip install "
        "accessibility) and give the path of its command in the algorithm's 'accessibility "
        f"command' field, the environment variable {ENV_KEY}, or the QGIS setting "
        f"{SETTING_KEY!r}. Run `python -m accessibility.qgis` in the package's environment to "
        "print the path."
    )


def clean_env() -> dict[str, str]:
    """The environment for the command: QGIS's own Python/GDAL/PROJ variables removed."""
    env = {k: v for k, v in os.environ.items() if k not in _LEAKY_ENV}
    env["PYTHONIOENCODING"] = "utf-8"
    env["PYTHONUTF8"] = "1"
    return env


def run_cli(
    command: list[str],
    *,
    on_line: Any = None,
    is_canceled: Any = None,
    timeout_s: float | None = None,
) -> tuple[int, list[str]]:
    """Run ``command``, passing each output line to ``on_line``; stop early when ``is_canceled()``.

    Returns the exit code (``-1`` when cancelled) and all output lines.
    """
    proc = subprocess.Popen(
        command,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        stdin=subprocess.DEVNULL,
        env=clean_env(),
        text=True,
        encoding="utf-8",
        errors="replace",
        bufsize=1,
    )
    lines: list[str] = []
    q: queue.Queue[str | None] = queue.Queue()

    def reader() -> None:
        for line in proc.stdout or ():
            q.put(line.rstrip("\n"))
        q.put(None)

    thread = threading.Thread(target=reader, daemon=True)
    thread.start()
    waited = 0.0
    while True:
        try:
            line = q.get(timeout=0.2)
        except queue.Empty:
            waited += 0.2
            if (is_canceled is not None and is_canceled()) or (
                timeout_s is not None and waited > timeout_s
            ):
                proc.kill()
                proc.wait()
                if proc.stdout is not None:
                    proc.stdout.close()
                return -1, lines
            continue
        if line is None:
            break
        lines.append(line)
        if on_line is not None:
            on_line(line)
    code = proc.wait()
    thread.join(timeout=5)
    if proc.stdout is not None:
        proc.stdout.close()
    return code, lines


#: The language choices of the algorithm (index 0: the project file's / the profile's default).
LANGUAGES = ["project default", "zh", "en"]


def project_command(cli: str, project: str, out_dir: str, language: str | None) -> list[str]:
    """The command that runs a project file as ``accessibility run`` does, into ``out_dir``.

    >>> project_command("accessibility", "p.toml", "out", "zh")
    ['accessibility', 'run', 'p.toml', '--out', 'out', '--lang', 'zh']
    """
    command = [cli, "run", str(project), "--out", str(out_dir)]
    if language:
        command += ["--lang", language]
    return command


def written_files(lines: list[str], suffix: str) -> list[str]:
    """The files ending in ``suffix`` the command's closing lines name (``kind: path``, in
    either language).

    >>> written_files(["GeoPackage 数据：/o/a.gpkg", "report: /o/r.html"], ".gpkg")
    ['/o/a.gpkg']
    """
    out = []
    for line in lines:
        for sep in ("：", ": "):
            if sep in line:
                path = line.split(sep, 1)[1].strip()
                if path.lower().endswith(suffix):
                    out.append(path)
                break
    return out


def _error_lines(lines: list[str]) -> str:
    errors = [ln for ln in lines if ln.startswith("error:") or "Error" in ln]
    return "\n".join((errors or lines)[-8:])


# --------------------------------------------------------------------------------------------------
# the QGIS part
# --------------------------------------------------------------------------------------------------

try:
    from qgis.core import (
        QgsApplication,
        QgsProcessing,
        QgsProcessingAlgorithm,
        QgsProcessingContext,
        QgsProcessingException,
        QgsProcessingOutputFile,
        QgsProcessingOutputMultipleLayers,
        QgsProcessingParameterEnum,
        QgsProcessingParameterField,
        QgsProcessingParameterFile,
        QgsProcessingParameterFileDestination,
        QgsProcessingParameterNumber,
        QgsProcessingParameterString,
        QgsProcessingParameterVectorLayer,
        QgsProcessingProvider,
        QgsSettings,
        QgsVectorFileWriter,
        QgsVectorLayer,
    )

    _HAVE_QGIS = True
except ImportError:  # imported outside QGIS (tests of the helpers above, documentation)
    _HAVE_QGIS = False


if _HAVE_QGIS:

    def _vector_type(name: str) -> Any:
        """QgsProcessing.TypeVectorLine (QGIS 3.22) or its newer enum equivalent."""
        old = getattr(QgsProcessing, f"Type{name}", None)
        if old is not None:
            return old
        from qgis.core import Qgis

        return getattr(Qgis.ProcessingSourceType, name)

    def _field_type(name: str) -> Any:
        old = getattr(QgsProcessingParameterField, name, None)
        if old is not None:
            return old
        from qgis.core import Qgis

        return getattr(Qgis.ProcessingFieldParameterDataType, name)

    def _export_layer(
        layer: QgsVectorLayer, path: str, name: str, first: bool, context: QgsProcessingContext
    ) -> None:
        options = QgsVectorFileWriter.SaveVectorOptions()
        options.driverName = "GPKG"
        options.layerName = name
        options.fileEncoding = "UTF-8"
        options.actionOnExistingFile = (
            QgsVectorFileWriter.CreateOrOverwriteFile
            if first
            else QgsVectorFileWriter.CreateOrOverwriteLayer
        )
        transform_context = context.transformContext()
        if hasattr(QgsVectorFileWriter, "writeAsVectorFormatV3"):
            result = QgsVectorFileWriter.writeAsVectorFormatV3(
                layer, path, transform_context, options
            )
        else:  # pragma: no cover - QGIS < 3.20
            result = QgsVectorFileWriter.writeAsVectorFormatV2(
                layer, path, transform_context, options
            )
        error, message = result[0], result[1]
        if error != QgsVectorFileWriter.NoError:
            raise QgsProcessingException(f"could not export layer {layer.name()!r}: {message}")

    class AccessibilityAlgorithm(QgsProcessingAlgorithm):
        """Per-village travel time to the nearest facility of each service, and what is reachable
        within the thresholds, computed by the ``accessibility`` package."""

        ROADS = "ROADS"
        ROAD_CLASS = "ROAD_CLASS"
        ONEWAY = "ONEWAY"
        VILLAGES = "VILLAGES"
        VILLAGE_ID = "VILLAGE_ID"
        VILLAGE_NAME = "VILLAGE_NAME"
        POPULATION = "POPULATION"
        FACILITIES = "FACILITIES"
        FACILITY_ID = "FACILITY_ID"
        SERVICE = "SERVICE"
        CAPACITY = "CAPACITY"
        MODE = "MODE"
        THRESHOLDS = "THRESHOLDS"
        MAX_TIME = "MAX_TIME"
        PROFILE = "PROFILE"
        MAX_SNAP = "MAX_SNAP"
        CLI = "CLI"
        OUTPUT = "OUTPUT"
        OUTPUT_LAYERS = "OUTPUT_LAYERS"
        PROJECT = "PROJECT"
        TOLERANCE = "TOLERANCE"
        LANGUAGE = "LANGUAGE"
        QGIS_PROJECT = "QGIS_PROJECT"

        def name(self) -> str:
            return "accessibility_run"

        def displayName(self) -> str:
            return "Village accessibility to services"

        def group(self) -> str:
            return "Accessibility"

        def groupId(self) -> str:
            return "accessibility"

        def shortHelpString(self) -> str:
            return (
                "Travel time over the road network from every village to the nearest facility of "
                "each service (hospital, clinic, school, elder care...), the number of facilities "
                "and total capacity reachable within each threshold, and a reachable flag. "
                "Runs the 'accessibility' package's command in its own Python environment and "
                "loads the result: a GeoPackage whose layers open styled. Unreachable villages "
                "have an empty (NULL) time and their own legend class. Give a project file "
                "(TOML) to run it exactly as `accessibility run` does (same tolerance, services, "
                "standards and language; the layers are then not needed); its QGIS project "
                "(.qgz) is returned as QGIS_PROJECT."
            )

        def createInstance(self) -> AccessibilityAlgorithm:
            return type(self)()

        def initAlgorithm(self, config: Any = None) -> None:
            any_field = _field_type("Any")
            numeric = _field_type("Numeric")
            line, point = _vector_type("VectorLine"), _vector_type("VectorPoint")
            polygon = _vector_type("VectorPolygon")
            # every parameter with a default is optional: qgis_process leaves unset parameters
            # out, and QGIS then refuses a "mandatory" one even when it has a default
            add = self.addParameter
            add(
                QgsProcessingParameterFile(
                    self.PROJECT,
                    "Project file (TOML; runs it as `accessibility run` does, layers below "
                    "are then not needed)",
                    extension="toml",
                    optional=True,
                )
            )

            def layer(key: str, label: str, types: list[Any]) -> None:
                add(QgsProcessingParameterVectorLayer(key, label, types, optional=True))

            def field(key: str, label: str, default: str | None, parent: str, kind: Any) -> None:
                add(QgsProcessingParameterField(key, label, default, parent, kind, optional=True))

            def enum(key: str, label: str, options: Sequence[str], default: int) -> None:
                add(
                    QgsProcessingParameterEnum(
                        key, label, options=options, defaultValue=default, optional=True
                    )
                )

            layer(self.ROADS, "Roads", [line])
            field(self.ROAD_CLASS, "Road class field", "road_class", self.ROADS, any_field)
            field(self.ONEWAY, "One-way field", None, self.ROADS, any_field)
            layer(self.VILLAGES, "Villages", [point, polygon])
            field(self.VILLAGE_ID, "Village id field", None, self.VILLAGES, any_field)
            field(self.VILLAGE_NAME, "Village name field", None, self.VILLAGES, any_field)
            field(self.POPULATION, "Population field", "population", self.VILLAGES, numeric)
            layer(self.FACILITIES, "Facilities", [point])
            field(self.FACILITY_ID, "Facility id field", None, self.FACILITIES, any_field)
            field(self.SERVICE, "Service type field", "service", self.FACILITIES, any_field)
            field(self.CAPACITY, "Capacity field", None, self.FACILITIES, numeric)
            enum(self.MODE, "Travel mode", MODES, MODES.index("car"))
            add(
                QgsProcessingParameterString(
                    self.THRESHOLDS, "Time thresholds (minutes)", defaultValue="15, 30, 60",
                    optional=True,
                )
            )  # fmt: skip
            double = QgsProcessingParameterNumber.Double
            for key, label, default in (
                (self.MAX_TIME, "Maximum travel time (minutes; 0 = the largest threshold)", 0.0),
                (self.TOLERANCE, "Join road ends closer than (m; as [network] tolerance_m)", 1.0),
                (self.MAX_SNAP, "Flag villages/facilities farther than this from a road "
                 "(m; 0 = default)", 0.0),
            ):  # fmt: skip
                add(
                    QgsProcessingParameterNumber(
                        key, label, double, defaultValue=default, minValue=0.0, optional=True
                    )
                )
            enum(self.PROFILE, "Speed profile (road classes)", PROFILES, 0)
            enum(self.LANGUAGE, "Language of the outputs", LANGUAGES, 0)
            cli = QgsProcessingParameterString(
                self.CLI,
                "accessibility command (empty: setting, ACCESSIBILITY_CLI or PATH)",
                defaultValue="",
                optional=True,
            )
            advanced = getattr(QgsProcessingParameterString, "FlagAdvanced", None)
            if advanced is not None:
                cli.setFlags(cli.flags() | advanced)
            add(cli)
            add(
                QgsProcessingParameterFileDestination(
                    self.OUTPUT, "Output GeoPackage (with a project file: its folder)",
                    "GeoPackage (*.gpkg)",
                )
            )  # fmt: skip
            self.addOutput(QgsProcessingOutputMultipleLayers(self.OUTPUT_LAYERS, "Output layers"))
            self.addOutput(QgsProcessingOutputFile(self.QGIS_PROJECT, "QGIS project (.qgz)"))

        def _field(self, parameters: dict[str, Any], name: str, context: Any) -> str | None:
            value = self.parameterAsFields(parameters, name, context)
            if value:
                return value[0]
            default = self.parameterDefinition(name).defaultValue()
            return str(default) if default else None

        def _layers_project(
            self, parameters: dict[str, Any], context: Any, work: Path, output: str, feedback: Any
        ) -> Path:
            """The project file of a run on the picked layers."""
            layers = {
                "roads": self.parameterAsVectorLayer(parameters, self.ROADS, context),
                "villages": self.parameterAsVectorLayer(parameters, self.VILLAGES, context),
                "facilities": self.parameterAsVectorLayer(parameters, self.FACILITIES, context),
            }
            for key, layer in layers.items():
                if layer is None or not layer.isValid():
                    raise QgsProcessingException(
                        f"the {key} layer cannot be read; pick roads, villages and facilities, or "
                        "give a project file"
                    )
            try:
                thresholds = parse_thresholds(
                    self.parameterAsString(parameters, self.THRESHOLDS, context) or "15, 30, 60"
                )
            except ValueError as exc:
                raise QgsProcessingException(str(exc)) from exc
            keys = {
                "road_class": self.ROAD_CLASS, "oneway": self.ONEWAY,
                "village_id": self.VILLAGE_ID, "village_name": self.VILLAGE_NAME,
                "population": self.POPULATION, "facility_id": self.FACILITY_ID,
                "service": self.SERVICE, "capacity": self.CAPACITY,
            }  # fmt: skip
            columns = {k: self._field(parameters, v, context) for k, v in keys.items()}
            inputs = str(work / "inputs.gpkg")
            feedback.pushInfo(f"exporting the picked layers to {inputs}")
            for i, (key, layer) in enumerate(layers.items()):
                _export_layer(layer, inputs, key, i == 0, context)
                feedback.setProgress(5 + 5 * i)
            language = LANGUAGES[self.parameterAsEnum(parameters, self.LANGUAGE, context)]
            config = build_project(
                inputs_gpkg=inputs,
                columns=columns,
                mode=MODES[self.parameterAsEnum(parameters, self.MODE, context)],
                thresholds_min=thresholds,
                output_gpkg=output,
                output_csv=str(Path(output).with_suffix("")) + "_villages.csv",
                max_time_min=self.parameterAsDouble(parameters, self.MAX_TIME, context) or None,
                profile=PROFILES[self.parameterAsEnum(parameters, self.PROFILE, context)],
                max_snap_m=self.parameterAsDouble(parameters, self.MAX_SNAP, context) or None,
                tolerance_m=self.parameterAsDouble(parameters, self.TOLERANCE, context),
                language=None if language == LANGUAGES[0] else language,
            )
            project = write_project_toml(work / "project.toml", config)
            feedback.pushInfo(f"project file {project}:\n{project.read_text(encoding='utf-8')}")
            return project

        def processAlgorithm(
            self, parameters: dict[str, Any], context: QgsProcessingContext, feedback: Any
        ) -> dict[str, Any]:
            setting = QgsSettings().value(SETTING_KEY, "")
            try:
                cli = find_cli(self.parameterAsString(parameters, self.CLI, context), setting)
            except FileNotFoundError as exc:
                raise QgsProcessingException(str(exc)) from exc
            output = self.parameterAsFileOutput(parameters, self.OUTPUT, context)
            if not output.lower().endswith(".gpkg"):
                output += ".gpkg"
            Path(output).parent.mkdir(parents=True, exist_ok=True)
            work = Path(tempfile.mkdtemp(prefix="accessibility_qgis_"))
            given = self.parameterAsFile(parameters, self.PROJECT, context)
            language = LANGUAGES[self.parameterAsEnum(parameters, self.LANGUAGE, context)]
            if given:
                # the project file as it is: the same answer as `accessibility run` gives
                lang = None if language == LANGUAGES[0] else language
                command = project_command(cli, given, str(Path(output).parent), lang)
            else:
                project = self._layers_project(parameters, context, work, output, feedback)
                command = [cli, "run", str(project)]
            feedback.pushInfo("running: " + " ".join(command))
            feedback.setProgress(20)
            code, lines = run_cli(
                command,
                on_line=feedback.pushConsoleInfo,
                is_canceled=feedback.isCanceled,
            )
            if code == -1 and feedback.isCanceled():
                raise QgsProcessingException("cancelled; the output was not changed")
            if given and code == 0:
                output = (written_files(lines, ".gpkg") or [output])[0]
            if code != 0 or not Path(output).exists():
                raise QgsProcessingException(
                    f"the accessibility command failed (exit code {code}):\n{_error_lines(lines)}"
                )
            feedback.setProgress(90)
            loaded = []
            for name in ("villages", "facilities", "roads", "townships"):
                uri = f"{output}|layername={name}"
                layer = QgsVectorLayer(uri, name, "ogr")
                if not layer.isValid():
                    continue
                context.temporaryLayerStore().addMapLayer(layer)
                context.addLayerToLoadOnCompletion(
                    layer.id(),
                    QgsProcessingContext.LayerDetails(name, context.project(), self.OUTPUT),
                )
                loaded.append(layer.id())
            feedback.setProgress(100)
            projects = written_files(lines, ".qgz")
            return {
                self.OUTPUT: output,
                self.OUTPUT_LAYERS: loaded,
                self.QGIS_PROJECT: projects[0] if projects else "",
            }

    class AccessibilityProvider(QgsProcessingProvider):
        """Processing provider "Accessibility" holding :class:`AccessibilityAlgorithm`."""

        def id(self) -> str:
            return "accessibility"

        def name(self) -> str:
            return "Accessibility"

        def longName(self) -> str:
            return "Accessibility of public services (accessibility package)"

        def loadAlgorithms(self) -> None:
            self.addAlgorithm(AccessibilityAlgorithm())

    _PROVIDERS: list[AccessibilityProvider] = []

    def register_provider() -> AccessibilityProvider:
        """Add the provider to QGIS's processing registry (once) and return it.

        A reference is kept here: PyQGIS loses the Python side of a provider whose Python object
        is garbage-collected (its algorithms then have empty names).
        """
        registry = QgsApplication.processingRegistry()
        existing = registry.providerById("accessibility")
        if existing is not None:
            return existing
        provider = AccessibilityProvider()
        registry.addProvider(provider)
        _PROVIDERS.append(provider)
        return provider


if __name__ == "__main__":  # pragma: no cover
    sys.stdout.write(__doc__ or "")
