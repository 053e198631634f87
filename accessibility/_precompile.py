"""Compile the numba kernels on the second core when numba's cache is empty (a fresh install).

The first run after an install compiles every kernel it calls, one after the other, in the one
process that also does the work. When the cache misses kernels, ``accessibility demo`` and
``accessibility run`` start ONE helper process (``python -m accessibility._precompile``) that
compiles the kernels of :func:`kernel_names` into numba's cache in the order of
:func:`helper_order` (from the kernel the run needs after its first search on, in the run's
order, then the earlier ones last first) while the run compiles from the front; they meet in
the middle. Each kernel is compiled by the process that
claims it first (an exclusive file in a folder the two share); a run that reaches a kernel the
helper is compiling waits for it and then loads it from the cache (numba looks in its cache
before it compiles a new signature), and numba's cache-index writes are made one at a time
across the two processes.

With the kernels cached no helper starts (the check reads one small index file per kernel).
Nothing happens at import time. ``ACCESSIBILITY_PRECOMPILE=0`` turns the helper off;
``NUMBA_DISABLE_JIT=1`` needs none; ``NUMBA_CACHE_DIR`` is honoured (the helper inherits the
environment). The helper writes nothing to the terminal; if it cannot start or fails, the run
compiles what it would have compiled anyway; it is stopped when the command ends and ends by
itself when its parent is killed. ``accessibility compile`` fills the cache ahead of a run, on
both cores (for an image, a shared server or before a demonstration).

    >>> kernel_names()[-1]
    'accessibility.routing.search:distances'
"""

from __future__ import annotations

import atexit
import contextlib
import hashlib
import importlib
import logging
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

_log = logging.getLogger(__name__)

#: the environment variable that turns the background compile off (``0``, ``no``, ``false``)
ENV_SWITCH = "ACCESSIBILITY_PRECOMPILE"


def _arg_types() -> dict[str, Any]:
    from numba.core import types

    def arr(dtype: Any, ndim: int = 1, readonly: bool = False) -> Any:
        return types.Array(dtype, ndim, "C", readonly=readonly)

    i32, i64, f64, b = types.int32, types.int64, types.float64, types.boolean
    a_i32, a_i64, a_f64, a_b = arr(i32), arr(i64), arr(f64), arr(b)
    r_i64, r_f64 = arr(i64, readonly=True), arr(f64, readonly=True)
    f2 = arr(f64, 2)
    return {
        "accessibility.network.boxes:_cell_order": (f2, f64, f64, f64, i64, i64),
        "accessibility.network.boxes:_index": (f2, f2, f64, f64, f64, i64, i64),
        "accessibility.network.boxes:_pairs": (
            (f2, f2, i64, i64, f2, f2, a_i64, a_i64, f64, f64, f64, i64, a_i64, a_i64, b)
        ),
        "accessibility.network.boxes:_keep_crossing": (f2, f2, a_i64, a_i64),
        "accessibility.network.boxes:_vertex_within": (f2, f64, a_i64, a_i64, f2, a_i64),
        "accessibility.network.topology:_first_codes": (arr(i64, 2),),
        "accessibility.network.topology:_smallest_vertex": (a_i64, f2, i64),
        "accessibility.routing.graph:_hilbert_index": (a_i64, a_i64, i64),
        "accessibility.network.topology:_union_find": (i64, r_i64, r_i64),
        "accessibility.network.topology:_directed_csr": (i64, r_i64, r_i64, r_f64, r_f64),
        "accessibility.routing.labels:queue_plan": (a_f64, f64),
        "accessibility.routing.search:many_to_many_chunk_lifo": (
            *(a_i32, a_i32, a_f64, a_f64, a_i64, a_i64, a_f64, a_f64, i64, i64, a_i64, a_i64),
            *(a_f64, a_f64, a_b, i64, i64, f64, f64, b, a_i64, a_i64, f64, i64),
        ),
        "accessibility.routing.order:_slots": (a_i64, a_i64, a_i32),
        "accessibility.routing.labels:nearest_one": (
            *(a_i32, a_i32, a_f64, a_f64, a_i64, a_i64, a_f64, a_f64, f64, a_b, i64, a_i64),
            *(a_i64, a_f64, a_f64, i64, f64, b),
        ),
        "accessibility.transit.raptor:_one_origin": (
            *(i64, a_i64, a_b, a_i64, i64, i64, b, i64, a_i64, a_i64, a_i64, a_i64, a_b),
            *(a_i64,) * 21,
            arr(i32, 2),
        ),
        "accessibility.routing.search:distances": (
            (a_i32, a_i32, a_f64, a_f64, a_i64, a_f64, a_f64, f64)
        ),
    }


def kernel_names() -> list[str]:
    """The kernels (``module:function``) a run calls, in the order a demo run first calls them.

    Examples
    --------
    >>> kernel_names()[0]
    'accessibility.network.boxes:_cell_order'
    """
    return list(_arg_types())


#: the kernel the helper compiles first. The run needs the road network's kernels and its first
#: search's at once, before the helper has even started, and compiles them itself; the helper
#: takes this one and the later ones in the order the run calls them, so that the kernel the
#: run needs next is the one the helper has had longest to compile (last first, it compiled the
#: catchments' kernel first and the one the run needed next last, and the run often had to
#: compile that one itself).
HELPER_FIRST = "accessibility.routing.labels:nearest_one"


def helper_order() -> list[str]:
    """The order in which the helper compiles the kernels: from :data:`HELPER_FIRST` to the end
    in the run's order, then the earlier ones last first (to meet the run).

    Examples
    --------
    >>> helper_order()[0]
    'accessibility.routing.labels:nearest_one'
    >>> helper_order()[-1] == kernel_names()[0]
    True
    """
    names = kernel_names()
    first = names.index(HELPER_FIRST)
    return names[first:] + names[:first][::-1]


def kernels(names: Sequence[str] | None = None) -> list[tuple[str, Any, tuple]]:
    """``(name, dispatcher, argument types)`` of the kernels ``names`` (default: all)."""
    table = _arg_types()
    out = []
    for name in kernel_names() if names is None else names:
        module, _, func = name.partition(":")
        out.append((name, getattr(importlib.import_module(module), func), table[name]))
    return out


def is_cached(dispatcher: Any, arg_types: tuple) -> bool:
    """Whether numba's cache holds the kernel for these argument types (and is fresh).

    Reads the kernel's small index file only; a cache numba cannot use counts as missing.
    """
    cache: Any = getattr(dispatcher, "_cache", None)  # None: a Python function (no JIT)
    if not hasattr(cache, "_index_key"):  # no cache (cache=False, or the JIT disabled)
        return True
    key = cache._index_key(arg_types, dispatcher.targetctx.codegen())
    return key in cache._cache_file._load_index()


def missing(names: Sequence[str] | None = None) -> list[str]:
    """The kernels of ``names`` (default: all) that numba's cache does not hold."""
    return [name for name, d, sig in kernels(names) if not is_cached(d, sig)]


def compile_kernels(
    names: Sequence[str] | None = None,
    *,
    claims: str | None = None,
    parent: int | None = None,
) -> int:
    """Compile the kernels ``names`` (in that order) into numba's cache; returns how many
    compiled. A kernel already cached is loaded, not compiled. With ``claims`` (the folder two
    processes share, see :func:`claim_compiles`), a kernel the other process has claimed is
    left to it; with ``parent``, stops when that process is gone."""
    done = 0
    for _, dispatcher, sig in kernels(names):
        if parent is not None and _parent_gone(parent):
            break
        if claims is not None and os.path.exists(_claim_path(claims, dispatcher, sig)):
            continue
        if not is_cached(dispatcher, sig):
            done += 1
        dispatcher.compile(sig)
    return done


def _claim_path(claims: str, dispatcher: Any, sig: Any) -> str:
    f = dispatcher.py_func
    text = f"{f.__module__}.{f.__qualname__}{tuple(sig)}"
    return os.path.join(claims, hashlib.sha1(text.encode()).hexdigest()[:20])


def _claim(path: str) -> bool:
    """Whether this process is the first to claim a compilation (an exclusive file); also when
    the folder is gone (the helper removed it when its parent thread ended): it compiles here."""
    try:
        os.close(os.open(path, os.O_CREAT | os.O_EXCL))
    except FileExistsError:
        return False
    except OSError:
        return True
    return True


@contextlib.contextmanager
def _locked(claims: str) -> Any:
    import fcntl

    try:
        f = open(os.path.join(claims, "lock"), "a")
    except OSError:  # the folder removed (a process forked from the run, after it)
        yield
        return
    with f:
        fcntl.flock(f, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(f, fcntl.LOCK_UN)


def _lock_cache_writes(claims: str | None) -> None:
    """Make the writes of numba's cache index one at a time across the two processes (numba
    reads the index, adds an entry and writes it back: two processes adding entries to the
    same function's index at once could lose one or give two the same data file);
    ``None`` restores numba's own."""
    from numba.core.caching import IndexDataCacheFile as cls

    original = getattr(cls.save, "__wrapped__", cls.save)
    if claims is None:
        cls.save = original  # type: ignore[method-assign]
        return

    def save(self: Any, key: Any, data: Any) -> None:
        with _locked(claims):
            original(self, key, data)

    save.__wrapped__ = original  # type: ignore[attr-defined]
    cls.save = save  # type: ignore[method-assign]


def _wanted() -> bool:
    if os.environ.get(ENV_SWITCH, "1").strip().lower() in ("0", "no", "false", "off"):
        return False
    from numba.core import config

    if getattr(config, "DISABLE_JIT", False):
        return False
    try:
        import fcntl  # noqa: F401 - the lock on numba's cache index (POSIX)
    except ImportError:
        return False
    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        cores = os.cpu_count() or 1
    return cores > 1


# the helper process, its claims folder, and the kernels whose ``compile`` waits for it
_CHILD: list[tuple[subprocess.Popen, str, list[Any]]] = []


def _checked_first(name: str) -> bool:
    # the kernels of modules every run imports anyway; importing the transit package only to
    # look at its kernel would cost a warm run without buses half a second
    return not name.startswith("accessibility.transit.")


def _claiming_compile(dispatcher: Any, claims: str, other_alive: Any) -> Any:
    """``dispatcher.compile`` that compiles a new signature only if this process claims it
    first; otherwise it waits until the other process has compiled it (or is gone) and then
    loads it from the cache."""
    own = type(dispatcher).compile

    def compile(sig: Any) -> Any:
        if tuple(sig) in dispatcher.overloads:
            return own(dispatcher, sig)
        path = _claim_path(claims, dispatcher, sig)
        if _claim(path):
            try:
                return own(dispatcher, sig)
            finally:
                with contextlib.suppress(OSError):
                    Path(path + ".done").touch()
        waited = 0.0
        while (
            os.path.exists(path)
            and not os.path.exists(path + ".done")
            and other_alive()
            and waited < 300
        ):
            time.sleep(0.02)
            waited += 0.02
        return own(dispatcher, sig)

    return compile


def claim_compiles(claims: str, other_alive: Any) -> list[Any]:
    """Make every cached kernel of the package's imported modules (callees included) claim
    its compilations in the folder ``claims``; returns the kernels, for :func:`unclaim`."""
    from numba.core.registry import CPUDispatcher

    hooked = []
    for module_name, module in list(sys.modules.items()):
        if not module_name.startswith("accessibility.") or module is None:
            continue
        for value in list(vars(module).values()):
            if (
                isinstance(value, CPUDispatcher)
                and value.py_func.__module__ == module_name
                and hasattr(getattr(value, "_cache", None), "_index_key")
                and "compile" not in vars(value)
            ):
                vars(value)["compile"] = _claiming_compile(value, claims, other_alive)
                hooked.append(value)
    return hooked


def unclaim(hooked: Sequence[Any]) -> None:
    """Undo :func:`claim_compiles`."""
    for dispatcher in hooked:
        vars(dispatcher).pop("compile", None)


def start_background() -> subprocess.Popen | None:
    """Start the background compile when numba's cache misses kernels; ``None`` when not.

    The cache is checked for the road-network and routing kernels (whose modules every run
    imports); when one is missing, the helper compiles every kernel of :func:`kernel_names`
    that is not cached in the order of :func:`helper_order` while this process compiles from
    the front: each kernel
    (and callee) is compiled by the process that claims it first, and a process that needs one
    the other is compiling waits for it, then loads it from the cache. The helper stops when
    this process is gone. Never raises: a helper that cannot start leaves the run to compile
    as it would anyway.
    """
    if _CHILD or not _wanted():
        return None
    claims = None
    try:
        first = [n for n in kernel_names() if _checked_first(n)]
        if not missing(first):
            return None
        claims = tempfile.mkdtemp(prefix="accessibility-compile-")
        root = str(Path(__file__).resolve().parent.parent)
        env = dict(os.environ)
        env["PYTHONPATH"] = os.pathsep.join(p for p in (root, env.get("PYTHONPATH")) if p)
        command = ["-m", "accessibility._precompile", "--claims", claims]
        proc = subprocess.Popen(
            [sys.executable, *command, "--parent", str(os.getpid())],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            env=env,
        )
    except Exception as exc:  # the helper is optional
        _log.debug("background compile not started: %s", exc)
        if claims is not None:
            shutil.rmtree(claims, ignore_errors=True)
        return None
    _log.debug("compiling numba kernels in process %d", proc.pid)
    hooked = claim_compiles(claims, lambda: proc.poll() is None)
    _lock_cache_writes(claims)
    _CHILD.append((proc, claims, hooked))
    atexit.register(stop_background)
    return proc


def stop_background() -> None:
    """Stop the background compile (if running), reap it and undo :func:`start_background`."""
    while _CHILD:
        proc, claims, hooked = _CHILD.pop()
        unclaim(hooked)
        try:
            if proc.poll() is None:
                proc.terminate()
                try:
                    proc.wait(timeout=2)
                except subprocess.TimeoutExpired:
                    proc.kill()
                    proc.wait()
        finally:  # (also after a second Ctrl-C while waiting: the process keeps numba's own)
            _lock_cache_writes(None)
            shutil.rmtree(claims, ignore_errors=True)


def compile_all() -> tuple[int, str]:
    """Compile every kernel of :func:`kernel_names` that numba's cache lacks, on two cores
    (``accessibility compile``); returns how many were missing and the cache folder."""
    from numba.core import config

    if getattr(config, "DISABLE_JIT", False):  # the kernels are Python functions
        return 0, "numba's JIT is disabled: nothing to compile"
    todo = missing()
    proc = start_background() if todo else None
    try:
        if proc is None:
            compile_kernels()
        else:
            compile_kernels(claims=_CHILD[-1][1])
            proc.wait()
    finally:
        stop_background()
    folders = [d._cache.cache_path for _, d, _ in kernels()]
    return len(todo), os.path.commonpath(folders)


class _Stop(Exception):
    """Raised in the helper by SIGTERM (or SIGUSR1: its parent ended), so that numba removes a
    half-written cache file."""


def _on_term(signum: int, frame: Any) -> None:
    raise _Stop


# set in the helper when the thread that started it has ended (its process ending, mostly)
_PARENT_ENDED: list[int] = []


def _on_parent_end(signum: int, frame: Any) -> None:
    _PARENT_ENDED.append(signum)
    raise _Stop


def _parent_gone(parent: int) -> bool:
    # (a process with several threads ends thread by thread: the helper is told when the
    # thread that started it ends, and has another thread of that process, same pid, as parent)
    return bool(_PARENT_ENDED) or os.getppid() != parent


def _die_with_parent() -> None:
    """On Linux, ask the kernel to end this process when its parent ends."""
    try:
        import ctypes

        ctypes.CDLL(None).prctl(1, signal.SIGUSR1)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m accessibility._precompile --claims DIR [--parent PID]``, the helper:
    compiles the kernels, in the order of :func:`helper_order`, that the other process has not
    claimed."""
    args = list(sys.argv[1:] if argv is None else argv)
    claims = args[args.index("--claims") + 1]
    parent = int(args[args.index("--parent") + 1]) if "--parent" in args else None
    signal.signal(signal.SIGTERM, _on_term)
    if parent is not None:
        signal.signal(signal.SIGUSR1, _on_parent_end)
        _die_with_parent()
    _lock_cache_writes(claims)
    try:
        names = helper_order()
        kernels(names)  # imports the modules, so that their kernels and callees claim
        claim_compiles(claims, lambda: parent is None or not _parent_gone(parent))
        compile_kernels(names, claims=claims, parent=parent)
    except _Stop:
        pass
    finally:
        if parent is not None and _parent_gone(parent):  # killed: nobody else cleans up
            shutil.rmtree(claims, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
