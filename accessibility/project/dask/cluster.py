"""A real Dask cluster on this machine: a ``dask scheduler`` process and separate ``dask worker``
processes (no nanny, so killing a worker's process really kills it), for fault-tolerance tests,
benchmarks and trying out a cluster before using a real one."""

from __future__ import annotations

import contextlib
import dataclasses
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping
from pathlib import Path

from ...errors import AccessibilityError

__all__ = ["ProcessCluster", "process_cluster"]


@dataclasses.dataclass
class ProcessCluster:
    """A running scheduler and its worker processes (see :func:`process_cluster`)."""

    address: str
    scheduler: subprocess.Popen
    workers: list[subprocess.Popen]
    scheduler_file: Path

    def kill_worker(self, i: int = 0) -> None:
        """Kill worker ``i`` at once (SIGKILL where there is one), as a crashed machine would."""
        proc = self.workers[i]
        proc.send_signal(getattr(signal, "SIGKILL", signal.SIGTERM))
        proc.wait(timeout=30)


def _wait_for(path: Path, proc: subprocess.Popen, timeout_s: float) -> str:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise AccessibilityError(f"the dask scheduler exited with code {proc.returncode}")
        if path.exists():
            try:
                return str(json.loads(path.read_text())["address"])
            except (ValueError, KeyError):
                pass  # being written
        time.sleep(0.1)
    raise AccessibilityError(f"the dask scheduler did not start within {timeout_s:.0f} s")


def _wait_workers(address: str, n: int, timeout_s: float) -> None:
    from distributed import Client

    with Client(address, timeout=timeout_s) as client:
        client.wait_for_workers(n, timeout=timeout_s)


def _stop(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)


@contextlib.contextmanager
def process_cluster(
    folder: str | os.PathLike,
    n_workers: int = 2,
    *,
    env: Mapping[str, str] | None = None,
    timeout_s: float = 120.0,
) -> Iterator[ProcessCluster]:
    """Start a ``dask scheduler`` and ``n_workers`` ``dask worker`` processes (one thread each,
    no nanny) on free ports; stop them all when the block ends, whatever happens.

    Parameters
    ----------
    folder
        Where the scheduler file and the processes' logs (``scheduler.log``, ``worker-<i>.log``)
        go.
    n_workers
        Worker processes.
    env
        Environment of the processes (default: this process's).
    timeout_s
        How long to wait for the scheduler and every worker to be up.

    Examples
    --------
    >>> from distributed import Client
    >>> from accessibility.project.dask import process_cluster
    >>> with process_cluster("cluster", 1) as cluster, Client(cluster.address) as client:
    ...     len(client.scheduler_info()["workers"])  # run_partitioned(..., scheduler=cluster.address)
    1
    """
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    sfile = folder / "scheduler.json"
    sfile.unlink(missing_ok=True)
    penv = dict(os.environ if env is None else env)
    procs: list[subprocess.Popen] = []
    logs = []

    def spawn(args: list[str], log_name: str) -> subprocess.Popen:
        log = open(folder / log_name, "wb")
        logs.append(log)
        proc = subprocess.Popen(
            [sys.executable, "-m", *args], stdout=log, stderr=subprocess.STDOUT, env=penv
        )
        procs.append(proc)
        return proc

    common = ["--no-dashboard", "--scheduler-file", str(sfile)]
    try:
        sched = spawn(
            ["distributed.cli.dask_scheduler", "--port", "0", "--host", "127.0.0.1", *common],
            "scheduler.log",
        )
        address = _wait_for(sfile, sched, timeout_s)
        workers = [
            spawn(
                [
                    "distributed.cli.dask_worker",
                    "--nworkers",
                    "1",
                    "--nthreads",
                    "1",
                    "--no-nanny",
                    "--host",
                    "127.0.0.1",
                    "--name",
                    f"worker-{i}",
                    *common,
                ],
                f"worker-{i}.log",
            )
            for i in range(n_workers)
        ]
        _wait_workers(address, n_workers, timeout_s)
        yield ProcessCluster(address, sched, workers, sfile)
    finally:
        for proc in reversed(procs):
            _stop(proc)
        for log in logs:
            log.close()
