"""Atomic file output: write to a temporary name beside the target, then move it into place.

A run that fails or is interrupted half-way leaves any previous output untouched.
"""

from __future__ import annotations

import contextlib
import errno
import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

from .errors import OutputError

__all__ = ["atomic_path", "check_writable"]


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


@contextlib.contextmanager
def atomic_path(path: str | os.PathLike, *, overwrite: bool = True) -> Iterator[Path]:
    """Yield a temporary path beside ``path``; on success move it onto ``path``.

    If the body raises (or the process is interrupted), the temporary file is removed and any
    existing file at ``path`` is left as it was.

    Examples
    --------
    >>> from accessibility._files import atomic_path
    >>> with atomic_path("/tmp/_acc_doc.csv") as tmp:  # doctest: +SKIP
    ...     frame.to_csv(tmp)
    """
    target = check_writable(path, overwrite=overwrite)
    fd, tmp_name = tempfile.mkstemp(
        prefix=f".{target.name}.", suffix=".part" + target.suffix, dir=target.parent or "."
    )
    os.close(fd)
    tmp = Path(tmp_name)
    tmp.unlink()  # writers (GDAL) prefer to create the file themselves
    try:
        yield tmp
        if not tmp.exists():
            raise OutputError(f"nothing was written for {str(target)!r}")
        os.replace(tmp, target)
    except OSError as exc:
        _cleanup(tmp)
        if isinstance(exc, OutputError):
            raise
        if exc.errno == errno.ENOSPC:
            raise OutputError(
                f"disk full while writing {str(target)!r}; the previous file (if any) is intact. "
                "Free some space or write elsewhere with --out."
            ) from exc
        raise OutputError(f"could not write {str(target)!r}: {exc}") from exc
    except BaseException:
        _cleanup(tmp)
        raise


def _cleanup(tmp: Path) -> None:
    for p in (tmp, Path(str(tmp) + "-journal"), Path(str(tmp) + "-wal"), Path(str(tmp) + "-shm")):
        with contextlib.suppress(OSError):
            if p.is_dir():
                shutil.rmtree(p)
            else:
                p.unlink()
