"""accessibility._fork: one function run in a forked process, with the same result, warnings,
log records and errors as run here; and the demo's outputs with the report made that way."""

from __future__ import annotations

import logging
import os
import warnings
import zipfile

import pytest

from accessibility import _fork
from accessibility._fork import ENV_SWITCH, fork_wanted, forked

needs_fork = pytest.mark.usefixtures("no_other_threads")


@pytest.fixture
def no_other_threads(monkeypatch):
    """The tests of the forked child: skipped where no fork is made (one core, not Linux); threads
    that earlier tests of the suite left alive (Dask's, tqdm's monitor) are not counted, as a run
    has none of them (the gate itself: ``test_no_fork_while_another_thread_runs``)."""
    monkeypatch.setattr(_fork.threading, "active_count", lambda: 1)
    if not fork_wanted():
        pytest.skip("no fork here (one core, not Linux, or ACCESSIBILITY_FORK=0)")


def test_no_fork_while_another_thread_runs():
    """A lock held by another thread at the fork would stay held in the child: no fork then."""
    import threading

    stop = threading.Event()
    other = threading.Thread(target=stop.wait)
    other.start()
    try:
        assert not fork_wanted()
        with forked(_pid) as result:
            assert result() == os.getpid()  # run here
    finally:
        stop.set()
        other.join()


def _pid() -> int:
    return os.getpid()


@needs_fork
def test_the_function_runs_in_another_process_and_its_result_comes_back():
    with forked(_pid) as result:
        assert result() != os.getpid()
        assert result() == result()  # asked again: the same value, no second run
    with forked(sorted, [3, 1, 2], reverse=True) as result:
        assert result() == [3, 2, 1]


def test_switched_off_it_runs_here(monkeypatch):
    monkeypatch.setenv(ENV_SWITCH, "0")
    assert not fork_wanted()
    with forked(_pid) as result:
        assert result() == os.getpid()


def _warns_and_logs(x: int) -> int:
    warnings.warn(f"careful with {x}", UserWarning, stacklevel=1)
    logging.getLogger("accessibility.test_fork").warning("logged %d", x)
    logging.getLogger("accessibility.test_fork").debug("not shown %d", x)
    return x + 1


@pytest.mark.parametrize("switch", ["1", "0"])
def test_warnings_and_log_records_reach_this_process(monkeypatch, caplog, switch):
    monkeypatch.setenv(ENV_SWITCH, switch)
    caplog.set_level(logging.INFO, logger="accessibility.test_fork")
    with pytest.warns(UserWarning, match="careful with 4"), forked(_warns_and_logs, 4) as result:
        assert result() == 5
    assert [r.getMessage() for r in caplog.records if r.name.endswith("test_fork")] == ["logged 4"]


def _fails(kind: str) -> object:
    if kind == "error":
        raise ValueError("bad input 7")
    return lambda: os.getpid()  # cannot be pickled: made again here


@needs_fork
def test_an_error_or_an_unpicklable_result_is_made_again_here():
    with pytest.raises(ValueError, match="bad input 7"), forked(_fails, "error") as result:
        result()
    with forked(_fails, "lambda") as result:
        assert result()() == os.getpid()


def _slow() -> int:
    import time

    time.sleep(30)
    return 1


@needs_fork
def test_leaving_the_block_stops_the_child(monkeypatch):
    started = []
    start = _fork._start

    def spy(*args):
        started.append(start(*args))
        return started[-1]

    monkeypatch.setattr(_fork, "_start", spy)
    with forked(_slow):
        pass
    pid = started[0][0]
    with pytest.raises(ChildProcessError):
        os.waitpid(pid, os.WNOHANG)  # already reaped: not left as a zombie
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)


@needs_fork
def test_interrupted_while_waiting_the_child_is_stopped_once(monkeypatch):
    """Ctrl-C while ``result()`` waits: the child is stopped and reaped, the interruption goes
    on, and leaving the block neither signals the reaped pid (which may be another process's
    by then) nor closes the pipe's descriptor number again (review of #17)."""
    import signal

    started, calls = [], []
    start, kill, close = _fork._start, os.kill, os.close

    def spy(*args):
        started.append(start(*args))
        return started[-1]

    def spy_kill(pid, sig):
        calls.append(("kill", pid, sig))
        return kill(pid, sig)

    def spy_close(fd):
        calls.append(("close", fd))
        return close(fd)

    def interrupt(signum, frame):
        raise KeyboardInterrupt

    monkeypatch.setattr(_fork, "_start", spy)
    previous = signal.signal(signal.SIGALRM, interrupt)
    try:
        with pytest.raises(KeyboardInterrupt), forked(_slow) as result:
            monkeypatch.setattr(os, "kill", spy_kill)
            monkeypatch.setattr(os, "close", spy_close)
            signal.setitimer(signal.ITIMER_REAL, 0.3)
            result()
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
        monkeypatch.undo()
    pid = started[0][0]
    assert calls == [("kill", pid, signal.SIGKILL)]  # stopped once, while still ours
    with pytest.raises(ChildProcessError):
        os.waitpid(pid, os.WNOHANG)  # reaped: no zombie


def _death_signal() -> int:
    import ctypes

    sig = ctypes.c_int(0)
    ctypes.CDLL(None).prctl(2, ctypes.byref(sig))  # PR_GET_PDEATHSIG
    return sig.value


@needs_fork
def test_the_child_ends_with_the_run():
    """The child has asked the kernel to end it when the run ends (killed from QGIS, say), so it
    is not left rendering charts for nobody."""
    import signal

    with forked(_death_signal) as result:
        assert result() == signal.SIGKILL
    assert _death_signal() == 0  # (not asked here, in the run itself)


@pytest.mark.slow
@needs_fork
def test_demo_outputs_are_the_same_with_the_report_made_beside(tmp_path, monkeypatch):
    from accessibility.project import run_demo
    from accessibility.project.outputs import write_outputs

    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1780000000")
    result = run_demo(tmp_path / "forked")  # the report made in a forked process
    monkeypatch.setenv(ENV_SWITCH, "0")
    here = tmp_path / "here"
    out = result.config["output"]
    paths = [here / out[k] for k in ("geopackage", "csv", "report")]
    write_outputs(result, result.config, *paths, result.standards_table)
    names = sorted(p.name for p in (tmp_path / "forked").iterdir())
    assert names == sorted(p.name for p in here.iterdir())
    assert out["report"] in names
    for name in names:
        a, b = tmp_path / "forked" / name, here / name
        if name.endswith(".xlsx"):  # openpyxl writes the time it saved the file
            za, zb = zipfile.ZipFile(a), zipfile.ZipFile(b)
            assert za.namelist() == zb.namelist()
            for member in za.namelist():
                if member != "docProps/core.xml":
                    assert za.read(member) == zb.read(member), (name, member)
        else:
            assert a.read_bytes() == b.read_bytes(), name
