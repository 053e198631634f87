"""Package-wide options, settable globally or for a block (like :func:`xarray.set_options`).

Examples
--------
>>> import accessibility as acc
>>> with acc.set_options(progress=False):
...     pass
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Iterable, Iterator
from typing import Any, TypeVar

from .errors import ConfigError, suggest

__all__ = ["get_options", "progress", "set_options"]

_log = logging.getLogger("accessibility")

OPTIONS: dict[str, Any] = {
    # show tqdm progress bars on long steps
    "progress": True,
    # threads used by the routing kernel; None = all cores
    "n_jobs": None,
    # refuse results larger than this many bytes (estimated before allocating)
    "max_memory_bytes": 8 * 1024**3,
}

_VALIDATORS = {
    "progress": lambda v: isinstance(v, bool),
    "n_jobs": lambda v: v is None or (isinstance(v, int) and v != 0),
    "max_memory_bytes": lambda v: isinstance(v, int | float) and v > 0,
}


class set_options:
    """Set options globally, or temporarily inside a ``with`` block.

    Parameters
    ----------
    progress : bool
        Show progress bars on long steps (default True) where someone watches them: in a
        terminal or a notebook, not when the error stream goes to a file or a pipe.
    n_jobs : int or None
        Threads for routing; ``None`` uses every core, negative counts back from that.
    max_memory_bytes : int
        Results estimated larger than this are refused (or chunked where possible).
    """

    def __init__(self, **kwargs: Any) -> None:
        self.old: dict[str, Any] = {}
        for key, value in kwargs.items():
            if key not in OPTIONS:
                raise ConfigError(f"unknown option {key!r}.{suggest(key, OPTIONS)}")
            if not _VALIDATORS[key](value):
                raise ConfigError(f"option {key!r} got an invalid value {value!r}")
            self.old[key] = OPTIONS[key]
        OPTIONS.update(kwargs)

    def __enter__(self) -> set_options:
        return self

    def __exit__(self, *exc: object) -> None:
        OPTIONS.update(self.old)


def get_options() -> dict[str, Any]:
    """Return a copy of the current options."""
    return dict(OPTIONS)


def resolve_n_jobs(n_jobs: int | None = None) -> int:
    """Turn an ``n_jobs`` argument (or the option) into a positive thread count."""
    import os

    n = OPTIONS["n_jobs"] if n_jobs is None else n_jobs
    cores = os.cpu_count() or 1
    if n is None:
        return cores
    if n < 0:
        return max(1, cores + 1 + n)
    return max(1, int(n))


T = TypeVar("T")


def progress(iterable: Iterable[T], *, desc: str, total: int | None = None) -> Iterator[T]:
    """Wrap ``iterable`` in a tqdm bar when the ``progress`` option is on and someone can watch
    it (a notebook, or the error stream is a terminal: a log file or a pipe gets no bar)."""
    notebook = "IPython" in sys.modules
    if not OPTIONS["progress"] or not (notebook or _stderr_is_terminal()):
        yield from iterable
        return
    if notebook:  # maybe a notebook: tqdm.auto picks the widget bar
        from tqdm.auto import tqdm
    else:  # a terminal: the plain bar, without tqdm.auto's asyncio import
        from tqdm.std import tqdm

    yield from tqdm(iterable, desc=desc, total=total, leave=False)


def _stderr_is_terminal() -> bool:
    """Whether ``sys.stderr`` (where tqdm draws) is a terminal."""
    try:
        return bool(sys.stderr is not None and sys.stderr.isatty())
    except (AttributeError, ValueError):  # replaced by an object without it, or closed
        return False
