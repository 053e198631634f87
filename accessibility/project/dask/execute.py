"""Running the partition tasks on a Dask cluster: tasks submitted a window at a time (those with a
checkpoint file are read back instead), levels of wider buffers for the villages a level could not
answer, failures collected into one :class:`PartitionError`."""

from __future__ import annotations

import logging
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from ...errors import AccessibilityError
from ...options import progress, resolve_n_jobs
from .checkpoints import checkpoint_path, read_checkpoint, task_key
from .plan import Plan
from .tasks import partition_task

if TYPE_CHECKING:
    from distributed import Client

__all__ = ["PartitionError", "client_for", "execute"]

_log = logging.getLogger(__name__)


class PartitionError(AccessibilityError, RuntimeError):
    """One or more partitions failed; finished partitions are checkpointed, so run again."""


def client_for(scheduler: Any, n_workers: int | None) -> tuple[Client, list[Any]]:
    try:
        from distributed import Client, LocalCluster
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise ImportError('partitioned runs need Dask: pip install "accessibility[dask]"') from exc
    if isinstance(scheduler, Client):
        return scheduler, []
    if scheduler is None:
        cluster = LocalCluster(
            n_workers=n_workers or resolve_n_jobs(None),
            threads_per_worker=1,
            processes=True,
            dashboard_address=None,
            silence_logs=logging.WARNING,
        )
        client = Client(cluster)
        return client, [client, cluster]
    client = Client(scheduler)
    return client, [client]


def _task_iter(
    plan: Plan, groups: Mapping[str, np.ndarray], level: int, settings: Mapping[str, Any]
) -> Iterator[dict[str, Any]]:
    for name, own in groups.items():
        sel = plan.select(own, level)
        roads = plan.roads.iloc[sel["roads"]]
        vil = plan.villages.iloc[sel["villages"]]
        fac = plan.facilities.iloc[sel["facilities"]]
        own_mask = np.isin(sel["villages"], own)
        t_bound = {
            m: sel["radii"]["d"] / (1000.0 * v) * 60.0 for m, v in settings["vmax_kmh"].items()
        }
        key = task_key(
            [
                settings,
                level,
                sel["whole"],
                sel["radii"],
                roads,
                vil,
                fac,
                sel["villages"].astype(np.int64),
                sel["facilities"].astype(np.int64),
                own_mask,
            ]
        )
        yield {
            "key": key,
            "partition": name,
            "level": level,
            "roads": roads,
            "villages": vil,
            "village_pos": sel["villages"].astype(np.int64),
            "facility_pos": sel["facilities"].astype(np.int64),
            "facilities": fac,
            "own": own_mask,
            "whole": sel["whole"],
            "t_bound_min": t_bound,
            "roads_radius_m": sel["radii"]["roads"],
        }


def _fill(
    client: Client,
    state: dict[str, Any],
    window: int,
    ckdir: Path,
    settings: Mapping[str, Any],
    n_jobs: int,
) -> None:
    """Submit tasks until ``window`` are in flight; tasks with a checkpoint file are not run."""
    pending, finished = state["pending"], state["finished"]
    while len(pending) < window:
        task = next(state["tasks"], None)
        if task is None:
            return
        path = checkpoint_path(ckdir, task)
        task["checkpoint"] = str(path)
        if path.exists():
            finished.append((task, {"computed": False, "seconds": 0.0, "peak_rss_mb": None}))
            continue
        fut = client.submit(
            partition_task,
            task,
            settings,
            n_jobs,
            key=f"partition-{task['partition']}-L{task['level']}-{task['key'][:8]}",
            pure=False,
        )
        pending[fut] = task
        state["ac"].add(fut)


def execute(
    client: Client,
    plan: Plan,
    labels: pd.Series,
    settings: dict[str, Any],
    ckdir: Path,
    n_jobs: int,
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Run every level of partition tasks; return resolved rows, the task table and node tables."""
    from distributed import as_completed

    codes, names = pd.factorize(labels, sort=True)
    groups = {str(n): np.flatnonzero(codes == i) for i, n in enumerate(names)}
    level = 0
    resolved: list[pd.DataFrame] = []
    node_tables: list[pd.DataFrame] = []
    records: list[dict[str, Any]] = []
    failures: list[tuple[str, BaseException]] = []
    window = max(2, 2 * len(client.scheduler_info().get("workers", {})) or 2)
    while groups:
        pending: dict[Any, dict[str, Any]] = {}
        finished: list[tuple[dict[str, Any], dict[str, Any]]] = []
        ac = as_completed()

        state = {
            "tasks": _task_iter(plan, groups, level, settings),
            "pending": pending,
            "finished": finished,
            "ac": ac,
        }
        _fill(client, state, window, ckdir, settings, n_jobs)
        for fut in progress(ac, desc=f"partitions (level {level})"):
            task = pending.pop(fut)
            if fut.status == "error":
                exc = fut.exception()
                _log.error("partition %s (level %d) failed: %r", task["partition"], level, exc)
                failures.append((task["partition"], exc))
            else:
                finished.append((task, fut.result()))
            fut.release()
            _fill(client, state, window, ckdir, settings, n_jobs)
        if failures:
            names_failed = sorted({n for n, _ in failures})
            raise PartitionError(
                f"{len(failures)} partition task(s) failed ({names_failed[:10]}): "
                f"{failures[0][1]!r}. Finished partitions are checkpointed in {str(ckdir)!r}; run "
                "again to compute only the missing ones."
            ) from failures[0][1]
        next_groups: dict[str, np.ndarray] = {}
        for task, info in finished:
            table, nodes = read_checkpoint(task["checkpoint"])
            ok = table["_resolved"].to_numpy(bool)
            resolved.append(table.loc[ok])
            nodes["_task"] = len(records)
            node_tables.append(nodes)
            n_un = int((~ok).sum())
            if n_un:
                next_groups[task["partition"]] = table.loc[~ok, "_village"].to_numpy(np.int64)
            records.append(
                {
                    "partition": task["partition"],
                    "level": task["level"],
                    "n_villages": int(task["own"].sum()),
                    "n_context_villages": int((~task["own"]).sum()),
                    "n_roads": len(task["roads"]),
                    "n_facilities": len(task["facilities"]),
                    "n_unresolved": n_un,
                    "whole_area": bool(task["whole"]),
                    "computed": bool(info["computed"]),
                    "seconds": info["seconds"],
                    "peak_rss_mb": info["peak_rss_mb"],
                    "checkpoint": task["checkpoint"],
                }
            )
            # the tables of this task carry its index so components can be linked
            resolved[-1] = resolved[-1].assign(_task=len(records) - 1)
            _log.info(
                "partition %s (level %d): %d villages, %d roads, %d facilities, %s%s",
                task["partition"],
                task["level"],
                records[-1]["n_villages"],
                records[-1]["n_roads"],
                records[-1]["n_facilities"],
                f"computed in {info['seconds']:.1f} s" if info["computed"] else "from checkpoint",
                f"; {n_un} villages need a wider buffer" if n_un else "",
            )
        groups = next_groups
        level += 1
    rows = pd.concat(resolved, ignore_index=True) if resolved else pd.DataFrame()
    nodes_all = pd.concat(node_tables, ignore_index=True) if node_tables else pd.DataFrame()
    return rows, pd.DataFrame(records), nodes_all
