"""Safe file output: staged writes, outputs replaced together, never over an input.

* :func:`atomic_outputs` hands out temporary names beside the targets and, when every file of the
  set is complete, swaps them into place together (one rename per file, Ctrl-C held back for those
  few milliseconds, the previous files restored if a rename fails). A run that fails or is
  interrupted before that leaves every previous output as it was.
* :func:`atomic_path` does the same for a single file.
* :func:`check_output_paths` refuses, before any work, a project whose outputs would write over a
  file it reads (or over one another); :func:`check_writable` checks one output path.
* A full disk is an :class:`~accessibility.errors.OutputError` naming the folder, whatever the
  writer (GDAL, SQLite, Python) reported.
* :func:`output_timestamp` is the timestamp written into files (``SOURCE_DATE_EPOCH`` wins).
"""

from __future__ import annotations

import contextlib
import datetime as _dt
import errno
import os
import re
import shutil
import signal
import sqlite3
import tempfile
import threading
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from .errors import OutputError

__all__ = [
    "StagedOutputs",
    "atomic_outputs",
    "atomic_path",
    "check_output_paths",
    "check_writable",
    "committed_outputs",
    "final_path",
    "output_timestamp",
    "project_inputs",
    "project_outputs",
]

#: temporary path -> target, for every staged file not yet moved into place
_STAGED: dict[str, Path] = {}
#: every output this process has moved into place, in order (the CLI says which ones on Ctrl-C)
_COMMITTED: list[Path] = []
_LOCK = threading.Lock()

#: what GDAL, SQLite and the C library say when the disk (or quota) is full
_DISK_FULL = re.compile(
    r"disk is full|disk full|no space left|not enough space|quota exceeded|"
    r"insufficient (disk )?space|SQLITE_FULL",
    re.IGNORECASE,
)
#: below this much free space a writer's failure is taken to be the full disk
LOW_SPACE_BYTES = 16 * 1024 * 1024

_SHAPEFILE_PARTS = (".shx", ".dbf", ".prj", ".cpg", ".qix", ".sbn", ".sbx", ".qmd")


def check_writable(path: str | os.PathLike, *, overwrite: bool = True) -> Path:
    """Check that ``path`` can be written before any work is done, and return it as a Path.

    Raises
    ------
    OutputError
        If the file exists and ``overwrite`` is false, if the folder cannot be created or is not
        writable.
    """
    path = Path(path)
    if path.exists() and path.is_dir():
        raise OutputError(f"output path {str(path)!r} is a folder; give a file name")
    if path.exists() and not overwrite:
        raise OutputError(
            f"output {str(path)!r} already exists; pass overwrite=True (or --overwrite) "
            "or choose another name"
        )
    folder = path.parent if str(path.parent) else Path(".")
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise OutputError(f"cannot create output folder {str(folder)!r}: {exc.strerror}") from exc
    if not os.access(folder, os.W_OK):
        raise OutputError(
            f"output folder {str(folder)!r} is not writable; choose another folder with --out"
        )
    if path.exists() and not os.access(path, os.W_OK):
        raise OutputError(f"output {str(path)!r} is read-only; remove it or choose another name")
    return path


# --------------------------------------------------------------------------------------------------
# outputs never over inputs


def project_inputs(cfg: Mapping[str, Any]) -> dict[str, Path]:
    """Every file a project reads, by the project-file key that names it.

    The ``[input]`` paths (every key but the ``*_layer`` names), ``[network] dem``, the
    ``[equity] standards`` file, the ``[transit]`` line table or GTFS feed and bus standards and the project file
    itself (recorded by :func:`accessibility.config.load_config`).
    """
    out: dict[str, Path] = {}
    for key, value in (cfg.get("input") or {}).items():
        if not key.endswith("_layer") and isinstance(value, str | os.PathLike) and value:
            out[f"[input] {key}"] = Path(value)
    dem = (cfg.get("network") or {}).get("dem")
    if isinstance(dem, str | os.PathLike) and dem:
        out["[network] dem"] = Path(dem)
    std = (cfg.get("equity") or {}).get("standards")
    if isinstance(std, str | os.PathLike) and std and std not in ("default", "none"):
        out["[equity] standards"] = Path(std)
    for key in ("lines", "lines_csv", "gtfs", "standards", "zones"):
        value = (cfg.get("transit") or {}).get(key)
        if isinstance(value, str | os.PathLike) and value:
            out[f"[transit] {key}"] = Path(value)
    project_file = cfg.get("_project_file")
    if project_file:
        out["the project file"] = Path(project_file)
    return out


def project_outputs(
    cfg: Mapping[str, Any], out_dir: str | os.PathLike | None = None
) -> dict[str, Path]:
    """The files :func:`accessibility.pipeline.run_project` writes, by project-file key.

    The report is only listed when it is written (``[equity] standards`` is not ``"none"``).
    """
    outc = cfg["output"]
    folder = Path(out_dir) if out_dir is not None else Path(outc["folder"])
    out: dict[str, Path] = {}
    for key in ("geopackage", "csv", "report", "qgis_project", "workbook"):
        if not outc.get(key) or (key == "qgis_project" and not outc.get("geopackage")):
            continue
        if key == "report" and (cfg.get("equity") or {}).get("standards") in (None, "", "none"):
            continue
        out[f"[output] {key}"] = folder / outc[key]
    return out


def _same_file(a: Path, b: Path) -> bool:
    """Whether two paths name one file: equal real paths (symlinks resolved), or one inode (hard
    links, case-insensitive file systems)."""
    ra, rb = os.path.realpath(a), os.path.realpath(b)
    if os.path.normcase(ra) == os.path.normcase(rb):
        return True
    try:
        return os.path.samefile(a, b)
    except OSError:
        return False


def _with_parts(inputs: Mapping[str, Path]) -> dict[str, Path]:
    """Inputs plus the side files of Shapefiles (``.dbf``, ``.shx``, ...), which are read too."""
    out = dict(inputs)
    for key, p in inputs.items():
        if p.suffix.lower() == ".shp":
            for ext in _SHAPEFILE_PARTS:
                for side in (p.with_suffix(ext), p.with_suffix(ext.upper())):
                    if side.exists():
                        out[f"{key} (its {side.suffix} file)"] = side
    return out


def check_output_paths(
    cfg: Mapping[str, Any],
    out_dir: str | os.PathLike | None = None,
    *,
    outputs: Mapping[str, str | os.PathLike] | None = None,
    inputs: Mapping[str, str | os.PathLike | None] | None = None,
    overwrite: bool | None = None,
    writable: bool = True,
) -> dict[str, Path]:
    """Refuse, before any work, outputs that would write over an input or over one another.

    Paths are compared as real paths (symlinks resolved) and by file identity (hard links), so no
    spelling of a path gets around the check. Every command that writes files calls this first,
    and so does ``accessibility check``.

    Parameters
    ----------
    cfg
        A validated project configuration (:func:`accessibility.config.load_config`).
    out_dir
        Output folder overriding ``[output] folder``.
    outputs
        ``{name: path}`` of the files the command writes; default: those of
        :func:`accessibility.pipeline.run_project` (:func:`project_outputs`).
    inputs
        More files the command reads (a scenario file, a candidates layer), beside the project's
        own (:func:`project_inputs`).
    overwrite
        Whether existing outputs may be replaced; default ``[output] overwrite``.
    writable
        Also check that every output can be written (:func:`check_writable`, which creates the
        output folder). ``False`` only compares paths.

    Returns
    -------
    dict
        ``{name: Path}`` of the outputs.

    Raises
    ------
    OutputError
        An output is an input (naming both keys), two outputs are the same file, or an output
        cannot be written.
    """
    outs = (
        {k: Path(v) for k, v in outputs.items()}
        if outputs is not None
        else project_outputs(cfg, out_dir)
    )
    ins = project_inputs(cfg)
    ins.update({k: Path(v) for k, v in (inputs or {}).items() if v})
    ins = _with_parts(ins)
    names = list(outs)
    for i, name in enumerate(names):
        for other in names[:i]:
            if _same_file(outs[name], outs[other]):
                raise OutputError(
                    f"{other} and {name} are the same file {str(outs[name])!r}; one would "
                    "overwrite the other. Give them different names."
                )
        for key, path in ins.items():
            if _same_file(outs[name], path):
                raise OutputError(
                    f"{name} = {str(outs[name])!r} would write over {key} "
                    f"({str(path)!r}), which the run reads; a run never overwrites its inputs. "
                    "Choose another output name or folder (--out)."
                )
    if writable:
        if overwrite is None:
            overwrite = bool(cfg.get("output", {}).get("overwrite", True))
        for p in outs.values():
            check_writable(p, overwrite=overwrite)
    return outs


# --------------------------------------------------------------------------------------------------
# staged outputs, replaced together


def committed_outputs() -> list[Path]:
    """Every output this process has moved into place so far, oldest first."""
    with _LOCK:
        return list(_COMMITTED)


def final_path(path: str | os.PathLike) -> Path:
    """The target of a staged temporary path (or ``path`` itself), for messages and results."""
    return _STAGED.get(os.fspath(path), Path(path))


def output_timestamp(default: _dt.datetime | None = None) -> _dt.datetime | None:
    """The timestamp to write into output files: ``SOURCE_DATE_EPOCH`` (seconds since 1970, UTC)
    when that environment variable is set, else ``default`` (``None``: the writer's clock).

    Raises
    ------
    OutputError
        ``SOURCE_DATE_EPOCH`` is set but is not a whole number of seconds.
    """
    value = os.environ.get("SOURCE_DATE_EPOCH", "").strip()
    if value:
        try:
            seconds = int(value)
        except ValueError:
            raise OutputError(
                f"SOURCE_DATE_EPOCH={value!r} is not a whole number of seconds since "
                "1970-01-01 UTC; set it like SOURCE_DATE_EPOCH=1700000000 or unset it"
            ) from None
        return _dt.datetime.fromtimestamp(seconds, _dt.UTC)
    if default is not None and default.tzinfo is None:
        default = default.replace(tzinfo=_dt.UTC)
    return default


def inputs_timestamp(cfg: Mapping[str, Any]) -> _dt.datetime | None:
    """The last modification time of a project's input files (UTC, whole seconds), or ``None``.

    Used as the timestamp of a project's GeoPackage when ``SOURCE_DATE_EPOCH`` is not set, so
    that running an unchanged project again writes the same bytes.
    """
    times = []
    for p in project_inputs(cfg).values():
        with contextlib.suppress(OSError):
            times.append(int(os.stat(p).st_mtime))
    return _dt.datetime.fromtimestamp(max(times), _dt.UTC) if times else None


class StagedOutputs:
    """A set of outputs written under temporary names and moved into place together.

    Get one from :func:`atomic_outputs`; :meth:`path` gives the temporary name to write each
    output to.
    """

    def __init__(self, *, overwrite: bool = True) -> None:
        self.overwrite = overwrite
        self._pairs: list[tuple[Path, Path]] = []

    @property
    def targets(self) -> list[Path]:
        """The final paths of the staged outputs."""
        return [t for _, t in self._pairs]

    def path(self, target: str | os.PathLike) -> Path:
        """A temporary path beside ``target`` to write it to (checked with :func:`check_writable`).

        The file does not exist yet: writers (GDAL) create it themselves.
        """
        target = check_writable(target, overwrite=self.overwrite)
        for t in self.targets:
            if _same_file(t, target):
                raise OutputError(f"{str(target)!r} is staged twice in one set of outputs")
        tmp = _temp_name(target, ".part")
        self._pairs.append((tmp, target))
        _STAGED[os.fspath(tmp)] = target
        return tmp

    def _discard(self) -> None:
        for tmp, _ in self._pairs:
            _cleanup(tmp)
            _STAGED.pop(os.fspath(tmp), None)

    def _commit(self) -> None:
        for tmp, target in self._pairs:
            if not tmp.exists():
                raise OutputError(f"nothing was written for {str(target)!r}")
        backups: list[tuple[Path, Path | None]] = []
        try:
            # the previous files stay in place and are kept under a second name (a hard link)
            for _tmp, target in self._pairs:
                backups.append((target, _backup(target) if os.path.lexists(target) else None))
            # the swap: one rename per file, Ctrl-C held back, undone if a rename fails
            with _sigint_deferred():
                done: list[int] = []
                try:
                    for i, (tmp, target) in enumerate(self._pairs):
                        os.replace(tmp, target)
                        done.append(i)
                except BaseException as exc:
                    failed = self._rollback(done, backups)
                    if failed:
                        raise OutputError(
                            f"could not move the new outputs into place ({exc}) nor restore "
                            f"every previous file: {'; '.join(failed)}"
                        ) from exc
                    raise
                for tmp, _ in self._pairs:
                    _STAGED.pop(os.fspath(tmp), None)
                with _LOCK:
                    _COMMITTED.extend(self.targets)
        finally:
            for _target, backup in backups:
                if backup is not None:
                    _cleanup(backup)

    def _rollback(self, done: list[int], backups: list[tuple[Path, Path | None]]) -> list[str]:
        failed = []
        for i in reversed(done):
            target, backup = backups[i]
            try:
                if backup is None:
                    os.unlink(target)
                else:
                    os.replace(backup, target)
            except OSError as exc:
                state = "the new file" if backup is None else f"the new file (old one at {backup})"
                failed.append(f"{str(target)!r} is {state}: {exc}")
                if backup is not None:  # keep the only copy of the old file
                    backups[i] = (target, None)
        return failed


@contextlib.contextmanager
def atomic_outputs(*, overwrite: bool = True) -> Iterator[StagedOutputs]:
    """Write several outputs under temporary names and replace the previous set together.

    Inside the block, ``staged.path(target)`` gives the temporary path to write each output to.
    When the block ends normally, every output is moved into place in one short swap (Ctrl-C is
    held back until it is over; if a rename fails the files already replaced are restored). If the
    block raises or is interrupted, the temporary files are removed and every previous output is
    left as it was.

    Raises
    ------
    OutputError
        An output cannot be written (checked when its path is asked for), the disk is full (the
        message names the folder; the previous outputs are intact), or the swap failed.

    Examples
    --------
    >>> from accessibility._files import atomic_outputs
    >>> with atomic_outputs() as staged:  # doctest: +SKIP
    ...     write_geopackage(staged.path("out/a.gpkg"), layers)
    ...     write_table(staged.path("out/a.csv"), table)
    """
    staged = StagedOutputs(overwrite=overwrite)
    try:
        yield staged
        staged._commit()
    except BaseException as exc:
        error = _output_error(exc, staged.targets)  # before cleanup: the free space is telling
        staged._discard()
        if error is not None:
            raise error from exc
        raise


@contextlib.contextmanager
def atomic_path(path: str | os.PathLike, *, overwrite: bool = True) -> Iterator[Path]:
    """Yield a temporary path beside ``path``; on success move it onto ``path``.

    If the body raises (or the process is interrupted), the temporary file is removed and any
    existing file at ``path`` is left as it was. A ``path`` that is itself a staged output of
    :func:`atomic_outputs` is written directly: the enclosing set moves it into place.

    Examples
    --------
    >>> from accessibility._files import atomic_path
    >>> with atomic_path("/tmp/_acc_doc.csv") as tmp:  # doctest: +SKIP
    ...     frame.to_csv(tmp)
    """
    if os.fspath(path) in _STAGED:
        tmp = Path(path)
        try:
            yield tmp
        except BaseException:
            _cleanup(tmp)
            raise
        return
    with atomic_outputs(overwrite=overwrite) as staged:
        yield staged.path(path)


def _temp_name(target: Path, kind: str) -> Path:
    fd, name = tempfile.mkstemp(
        prefix=f".{target.name}.", suffix=kind + target.suffix, dir=target.parent or "."
    )
    os.close(fd)
    os.unlink(name)
    return Path(name)


def _backup(target: Path) -> Path:
    """Keep ``target`` under a second name: a hard link if the file system allows, else a copy."""
    backup = _temp_name(target, ".old")
    try:
        os.link(target, backup, follow_symlinks=False)
    except OSError:
        try:
            shutil.copy2(target, backup, follow_symlinks=False)
        except BaseException:  # a half-written copy (disk full) is not left behind
            _cleanup(backup)
            raise
    return backup


@contextlib.contextmanager
def _sigint_deferred() -> Iterator[None]:
    """Hold back Ctrl-C (SIGINT) for the duration of the block, then deliver it."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    received: list[int] = []
    try:
        previous = signal.signal(signal.SIGINT, lambda signum, frame: received.append(signum))
    except (ValueError, OSError):  # pragma: no cover - no signals here (embedded interpreter)
        yield
        return
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)
        if received:
            if callable(previous):
                previous(signal.SIGINT, None)
            elif previous == signal.SIG_DFL:
                raise KeyboardInterrupt


def _free_bytes(folder: Path) -> int | None:
    try:
        return shutil.disk_usage(folder).free
    except OSError:
        return None


def _is_writer_error(exc: BaseException) -> bool:
    """An error of the file-writing layer (OS, SQLite, GDAL via pyogrio/rasterio)."""
    module = type(exc).__module__ or ""
    return isinstance(exc, OSError | sqlite3.Error) or module.split(".")[0] in (
        "pyogrio",
        "rasterio",
        "fiona",
    )


def _output_error(exc: BaseException, targets: list[Path]) -> OutputError | None:
    """The OutputError to raise instead of ``exc`` (a writer's failure), or ``None`` to re-raise."""
    if isinstance(exc, OutputError) or not isinstance(exc, Exception) or not targets:
        return None
    folder = targets[0].parent
    free = _free_bytes(folder)
    text = f"{exc}"
    disk_full = (
        (isinstance(exc, OSError) and exc.errno in (errno.ENOSPC, errno.EDQUOT))
        or (isinstance(exc, sqlite3.Error) and getattr(exc, "sqlite_errorcode", None) == 13)
        or (_is_writer_error(exc) and bool(_DISK_FULL.search(text)))
        or (_is_writer_error(exc) and free is not None and free < LOW_SPACE_BYTES)
    )
    names = ", ".join(repr(t.name) for t in targets)
    if disk_full:
        space = f" ({_size(free)} free)" if free is not None else ""
        return OutputError(
            f"disk full while writing {names} in folder {str(folder)!r}{space}: the previous "
            f"outputs (if any) are intact and nothing new was left there. Free some space or "
            f"write elsewhere with --out. (The writer said: {text or type(exc).__name__})"
        )
    if isinstance(exc, OSError):
        return OutputError(
            f"could not write {names} in folder {str(folder)!r}: {exc}; the previous outputs "
            "(if any) are intact"
        )
    return None


def _size(n_bytes: int) -> str:
    if n_bytes < 1024:
        return f"{n_bytes} bytes"
    value = float(n_bytes)
    for unit in ("kB", "MB", "GB", "TB"):
        value /= 1024
        if value < 1024 or unit == "TB":
            break
    return f"{value:.1f} {unit}"


def _cleanup(tmp: Path) -> None:
    for p in (tmp, Path(str(tmp) + "-journal"), Path(str(tmp) + "-wal"), Path(str(tmp) + "-shm")):
        with contextlib.suppress(OSError):
            if p.is_dir() and not p.is_symlink():
                shutil.rmtree(p)
            else:
                p.unlink()
