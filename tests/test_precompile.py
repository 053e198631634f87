"""The kernels compiled on the second core on a fresh install (issue 17, cold start).

``accessibility demo`` and ``accessibility run`` start one helper process when numba's cache
lacks kernels; it compiles the kernels of ``accessibility._precompile`` into the cache, last
first, while the run compiles from the front. The list must be what a run compiles (a kernel
missing from it, or a stale signature, compiles in the run as before: slower, not wrong).
"""

from __future__ import annotations

import importlib
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from accessibility import _precompile as pre

ROOT = Path(__file__).resolve().parent.parent

# the demo with numba's compile events: the kernels compiled at the top (not as callees), in order
RECORD = """
import json, sys
import numba.core.event as ev
from accessibility.cli import main

top, depth = [], [0]


class Compiles(ev.Listener):
    def on_start(self, event):
        if depth[0] == 0:
            f = event.data["dispatcher"].py_func
            top.append([f.__module__ + ":" + f.__name__, str(tuple(event.data["args"]))])
        depth[0] += 1

    def on_end(self, event):
        depth[0] -= 1


ev.register("numba:compile", Compiles())
assert main(["demo", "--out", sys.argv[1], "--quiet"]) == 0
print(json.dumps(top))
"""

STARTS = """
import sys
from accessibility import _precompile as pre

print(pre.start_background() is not None)
"""


def _env(cache: Path, **extra: str) -> dict[str, str]:
    env = {**os.environ, "NUMBA_CACHE_DIR": str(cache), **extra}
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(ROOT), env.get("PYTHONPATH")) if p)
    env.pop("NUMBA_DISABLE_JIT", None)
    return env


def _python(code: str, *args: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-c", code, *args], env=env, capture_output=True, text=True, check=True
    )


def test_every_listed_kernel_is_a_cached_numba_kernel_of_that_name():
    for name, dispatcher, arg_types in pre.kernels():
        module, _, func = name.partition(":")
        assert dispatcher is getattr(importlib.import_module(module), func)
        assert dispatcher.py_func.__name__ == func
        assert dispatcher.targetoptions.get("cache") or dispatcher._cache.cache_path
        assert len(arg_types) == dispatcher.py_func.__code__.co_argcount, name


def test_the_helper_starts_after_the_first_search_and_meets_the_run():
    names, order = pre.kernel_names(), pre.helper_order()
    assert sorted(order) == sorted(names) and len(set(order)) == len(names)
    first = names.index(pre.HELPER_FIRST)
    assert names[first - 1] == "accessibility.routing.order:_slots"  # the first search's last
    # from its first kernel on, in the run's order: the run finds the next one ready first
    assert order[: len(names) - first] == names[first:]
    # then back towards the run's front, where the two meet
    assert order[len(names) - first :] == names[:first][::-1]


def test_no_helper_when_switched_off_or_without_the_jit(monkeypatch):
    started = []
    monkeypatch.setattr(pre.subprocess, "Popen", lambda *a, **k: started.append(a))
    monkeypatch.setattr(pre, "missing", lambda names=None: ["a:b"])
    for value in ("0", "no", "false", "off"):
        monkeypatch.setenv(pre.ENV_SWITCH, value)
        assert pre.start_background() is None
    monkeypatch.delenv(pre.ENV_SWITCH)
    from numba.core import config

    monkeypatch.setattr(config, "DISABLE_JIT", True, raising=False)
    assert pre.start_background() is None
    assert started == []


def test_a_helper_that_cannot_start_does_not_fail_the_run(monkeypatch):
    def fails(*args, **kwargs):
        raise OSError("no such interpreter")

    monkeypatch.delenv(pre.ENV_SWITCH, raising=False)
    monkeypatch.setattr(pre, "_wanted", lambda: True)
    monkeypatch.setattr(pre, "missing", lambda names=None: ["a:b"])
    monkeypatch.setattr(pre.subprocess, "Popen", fails)
    assert pre.start_background() is None
    pre.stop_background()


def _state(pid: int) -> str:
    """A process's state letter (``Z`` zombie), ``""`` when it is gone (Linux ``/proc``)."""
    try:
        text = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return ""
    return next(line.split()[1] for line in text.splitlines() if line.startswith("State:"))


@pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="reads /proc (Linux)")
def test_the_helper_ends_with_its_parent_and_writes_nothing_to_the_terminal(tmp_path):
    # a parent that exits at once, and one killed outright (no atexit)
    code = """
import os, sys, time
from accessibility import _precompile as pre

pre.missing = lambda names=None: ["a:b"]  # a cold cache, without compiling anything
pre._wanted = lambda: True
proc = pre.start_background()
print(proc.pid, pre._CHILD[-1][1], flush=True)
if sys.argv[1] == "hang":
    time.sleep(60)
"""
    env = _env(tmp_path / "cache")
    done = _python(code, "exit", env=env)
    assert done.stderr == ""
    child, claims = int(done.stdout.split()[0]), Path(done.stdout.split()[1])
    assert _state(child) in ("", "Z")  # stopped and reaped by its parent (or by init)
    assert not claims.exists()
    parent = subprocess.Popen(
        [sys.executable, "-c", code, "hang"], env=env, stdout=subprocess.PIPE, text=True
    )
    assert parent.stdout is not None
    child_text, claims_text = parent.stdout.readline().split()
    child, claims = int(child_text), Path(claims_text)
    assert _state(child) not in ("", "Z")
    parent.kill()
    parent.wait()
    for _ in range(100):
        if _state(child) in ("", "Z"):
            break
        time.sleep(0.1)
    assert _state(child) in ("", "Z"), "the helper outlived its killed parent"


@pytest.mark.slow
def test_the_list_is_what_a_fresh_demo_compiles_and_the_helper_changes_no_result(tmp_path):
    # without the helper, from an empty cache: every kernel the demo compiles, in order
    plain = _python(
        RECORD,
        str(tmp_path / "plain"),
        env=_env(tmp_path / "cache_plain", **{pre.ENV_SWITCH: "0"}),
    )
    compiled = json.loads(plain.stdout.strip().splitlines()[-1])
    listed = [[name, str(tuple(sig))] for name, _, sig in pre.kernels()]
    assert compiled == listed, (
        "accessibility/_precompile.py's list is not what a fresh demo compiles; the demo "
        f"compiled, in this order:\n{json.dumps(compiled, indent=1)}"
    )
    # with the helper, from another empty cache: the same tables, and the kernels the helper
    # compiled (at least the one it claims first) are loaded, not compiled, by the run
    helped = _python(RECORD, str(tmp_path / "helped"), env=_env(tmp_path / "cache_helped"))
    assert "Traceback" not in helped.stderr
    compiled_helped = [name for name, _ in json.loads(helped.stdout.strip().splitlines()[-1])]
    assert pre.helper_order()[0] not in compiled_helped
    assert set(compiled_helped) < {name for name, _ in listed}
    for name in ("demo_villages.csv",):
        assert (tmp_path / "helped" / name).read_bytes() == (tmp_path / "plain" / name).read_bytes()
    # the cache is now full: no helper, and ``accessibility compile`` has nothing left to do
    assert _python(STARTS, env=_env(tmp_path / "cache_plain")).stdout.strip() == "False"
    out = subprocess.run(
        [sys.executable, "-m", "accessibility", "compile"],
        env=_env(tmp_path / "cache_plain"),
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert out.startswith("0 kernels compiled into numba's cache (")
    assert str(tmp_path / "cache_plain") in out


def test_compile_with_the_jit_disabled_says_so_and_does_not_fail(tmp_path):
    # NUMBA_DISABLE_JIT=1 turns every kernel into its Python function: nothing to compile
    env = {**_env(tmp_path / "cache"), "NUMBA_DISABLE_JIT": "1"}
    done = subprocess.run(
        [sys.executable, "-m", "accessibility", "compile"], env=env, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
    assert "JIT is disabled" in done.stdout
    assert not (tmp_path / "cache").exists()


def test_an_interruption_while_stopping_the_helper_still_restores_numba(tmp_path, monkeypatch):
    # a second Ctrl-C (in Jupyter) while the run waits for the helper to end: numba's cache
    # writes are restored and the claims folder removed all the same
    from numba.core.caching import IndexDataCacheFile

    original = IndexDataCacheFile.save
    monkeypatch.setattr(IndexDataCacheFile, "save", original)  # restored after the test
    claims = tmp_path / "claims"
    claims.mkdir()

    class Helper:
        def poll(self):
            return None

        def terminate(self):
            pass

        def wait(self, timeout=None):
            raise KeyboardInterrupt

        def kill(self):
            pass

    pre._lock_cache_writes(str(claims))
    monkeypatch.setattr(pre, "_CHILD", [(Helper(), str(claims), [])])
    with pytest.raises(KeyboardInterrupt):
        pre.stop_background()
    assert IndexDataCacheFile.save is original
    assert not claims.exists()


@pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="reads /proc (Linux)")
def test_the_claims_folder_goes_when_the_parent_thread_ends_and_the_run_goes_on(tmp_path):
    # Linux signals a child when the THREAD that started it ends; the child then has another
    # thread of the same process as its parent (the same pid), as when a run with several
    # threads is killed. The helper removes its claims folder all the same, and the process,
    # still running, compiles its kernels without it
    code = """
import os, sys, threading, time
import numpy as np
from accessibility import _precompile as pre
from accessibility.routing import order

pre.missing = lambda names=None: ["a:b"]  # a cold cache, without compiling anything
pre._wanted = lambda: True
started = []


def start():  # ends once the helper works (and so has asked to be told of its parent's end)
    started.append(pre.start_background())
    while len(os.listdir(pre._CHILD[-1][1])) < 2:
        time.sleep(0.01)


thread = threading.Thread(target=start)
thread.start()
thread.join()
proc, claims = started[0], pre._CHILD[-1][1]
proc.wait(timeout=60)
for _ in range(100):
    if not os.path.exists(claims):
        break
    time.sleep(0.05)
print(os.path.exists(claims), flush=True)
slots = np.empty(3, np.int32)
order._slots(np.array([1, 0, 1]), np.array([0, 1], np.int64), slots)  # a new signature
print(slots.tolist(), flush=True)
os._exit(0)  # (no atexit: as a killed run)
"""
    done = _python(code, env=_env(tmp_path / "cache"))
    assert done.stdout.split("\n")[:2] == ["False", "[1, 0, 2]"], done.stdout + done.stderr
