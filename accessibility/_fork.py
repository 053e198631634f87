"""Run one function in a forked process beside this one (the second core), e.g. the report's
charts while the run writes its GeoPackage and workbook.

:func:`forked` starts ``fn(*args)`` in a child made by ``os.fork`` (it shares the data: nothing
is copied or pickled on the way in) and gives back a callable that returns the result. The
warnings and then the log records the child gives are passed on here, each in the order it
gave them, as if ``fn`` had run here. The child takes memory only for what it changes (copy on
write). Where a fork is not safe or useful (not Linux, one core, other Python threads running,
``ACCESSIBILITY_FORK=0``) or when anything goes wrong in the child (an exception, a result that
cannot be pickled, a killed child), ``fn`` runs here instead when the result is asked for, so
the result, warnings and errors are always the ones ``fn`` gives here.

    >>> with forked(sum, [1, 2, 3]) as result:
    ...     result()
    6
"""

from __future__ import annotations

import contextlib
import logging
import os
import pickle
import signal
import sys
import threading
import warnings
from collections.abc import Callable, Iterator
from typing import Any

#: the environment variable that turns forking off (``0``, ``no``, ``false``, ``off``)
ENV_SWITCH = "ACCESSIBILITY_FORK"


def fork_wanted() -> bool:
    """Whether :func:`forked` runs its function in a child process here."""
    if os.environ.get(ENV_SWITCH, "1").strip().lower() in ("0", "no", "false", "off"):
        return False
    if not sys.platform.startswith("linux") or not hasattr(os, "fork"):
        return False  # macOS: fork is unsafe with system frameworks; Windows: no fork
    if threading.active_count() > 1:  # a lock held by another thread would stay held
        return False
    try:
        return len(os.sched_getaffinity(0)) > 1
    except (AttributeError, OSError):
        return False


@contextlib.contextmanager
def forked(fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Iterator[Callable[[], Any]]:
    """Start ``fn(*args, **kwargs)`` in a forked process; yields ``result()``, which waits for it
    (or runs ``fn`` here, see the module docstring). Leaving the block without asking for the
    result stops the child."""
    pid, read_fd = _start(fn, args, kwargs) if fork_wanted() else (None, None)
    state: dict[str, Any] = {}

    def result() -> Any:
        if "value" not in state:
            state["reaped"] = True  # _collect reaps the child and closes the pipe, come what may
            got = _collect(pid, read_fd) if pid is not None else None
            if got is None:
                state["value"] = fn(*args, **kwargs)
            else:
                value, caught, records = got
                _replay(caught, records)
                state["value"] = value
        return state["value"]

    try:
        yield result
    finally:
        if pid is not None and not state.get("reaped"):
            with contextlib.suppress(OSError):
                os.kill(pid, signal.SIGKILL)
            with contextlib.suppress(OSError):
                os.close(read_fd)  # type: ignore[arg-type]
            with contextlib.suppress(OSError):
                os.waitpid(pid, 0)


def _start(fn: Any, args: tuple, kwargs: dict) -> tuple[int | None, int | None]:
    parent = os.getpid()
    try:
        read_fd, write_fd = os.pipe()
        with warnings.catch_warnings():  # Python >= 3.12 warns of forking with C threads
            warnings.simplefilter("ignore", DeprecationWarning)
            pid = os.fork()
    except OSError:
        return None, None
    if pid == 0:  # the child: never returns
        status = 1
        try:
            _die_with(parent)
            os.close(read_fd)
            data = pickle.dumps(_captured(fn, args, kwargs), protocol=pickle.HIGHEST_PROTOCOL)
            with os.fdopen(write_fd, "wb") as f:
                f.write(data)
            status = 0
        except BaseException:  # the parent runs fn itself and sees the error
            pass
        finally:
            os._exit(status)  # no atexit handlers, no flush of the parent's buffers
    os.close(write_fd)
    return pid, read_fd


def _captured(fn: Any, args: tuple, kwargs: dict) -> tuple[Any, list, list]:
    """``fn``'s result, with the warnings it gave and the log records it made (not emitted)."""
    records: list[logging.LogRecord] = []
    original = logging.Logger.callHandlers

    def keep(self: logging.Logger, record: logging.LogRecord) -> None:
        record.msg, record.args = record.getMessage(), None
        if record.exc_info:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
            record.exc_info = None
        records.append(record)

    logging.Logger.callHandlers = keep  # type: ignore[method-assign]
    try:
        with warnings.catch_warnings(record=True) as caught:
            value = fn(*args, **kwargs)
    finally:
        logging.Logger.callHandlers = original  # type: ignore[method-assign]
    shown = [(w.message, w.category, w.filename, w.lineno) for w in caught]
    return value, shown, records


def _die_with(parent: int) -> None:
    """In the child: ended by the kernel when the run ends (killed, say), not left rendering."""
    try:
        import ctypes

        ctypes.CDLL(None).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass
    if os.getppid() != parent:  # the run ended before the request was made
        os._exit(1)


def _collect(pid: int, read_fd: Any) -> tuple[Any, list, list] | None:
    """The child's result (None: it failed; the caller runs the function itself). Interrupted
    while waiting (Ctrl-C), the child is stopped before the interruption goes on."""
    status = 0
    try:
        with os.fdopen(read_fd, "rb") as f:
            data = f.read()
    except BaseException:
        with contextlib.suppress(OSError):
            os.kill(pid, signal.SIGKILL)
        raise
    finally:
        try:
            _, status = os.waitpid(pid, 0)
        except ChildProcessError:  # reaped already (SIGCHLD ignored by an embedding program):
            pass  # a child that failed wrote nothing, or less than a whole pickle
    if status != 0 or not data:
        return None
    try:
        return pickle.loads(data)
    except Exception:  # a result made of classes only this child knows
        return None


def _replay(caught: list, records: list) -> None:
    for message, category, filename, lineno in caught:
        warnings.warn_explicit(message, category, filename, lineno)
    for record in records:
        logger = logging.getLogger(record.name)
        if logger.isEnabledFor(record.levelno):
            logger.handle(record)
