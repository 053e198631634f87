"""Many-to-many cost tables: one bounded search per source, recording only target nodes, in
pieces (:func:`iter_many_to_many`) or whole under the memory limit (:func:`many_to_many`).

Examples
--------
The examples build tiny graphs by hand:

>>> from accessibility.routing import csr_from_arcs
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import numpy as np

from .._arrays import release_free_memory, unique_sorted
from ..options import OPTIONS, progress, resolve_n_jobs
from .checks import PAIR_BYTES, SCRATCH_BYTES_PER_NODE, check_memory, estimate_pairs_bytes
from .core import contracted_core, want_core
from .graph import CSRGraph, kernel_arrays
from .labels import queue_plan
from .query import prepare
from .search import many_to_many_chunk, many_to_many_chunk_lifo

__all__ = ["iter_many_to_many", "many_to_many", "many_to_many_parts"]


def _chunks(n_items: int, n_jobs: int, per_chunk: int | None) -> list[tuple[int, int]]:
    if n_items == 0:
        return []
    if per_chunk is None:
        per_chunk = max(1, min(256, math.ceil(n_items / (8 * n_jobs))))
    return [(i, min(i + per_chunk, n_items)) for i in range(0, n_items, per_chunk)]


def iter_many_to_many(
    graph: CSRGraph,
    *,
    source_id: Any,
    source_node: Any,
    source_cost: Any = None,
    target_id: Any,
    target_node: Any,
    target_cost: Any = None,
    max_cost: float = math.inf,
    source_cost2: Any = None,
    target_cost2: Any = None,
    n_jobs: int | None = None,
    sources_per_chunk: int | None = None,
    secondary: bool = True,
    contract: bool | None = None,
) -> Iterator[dict[str, np.ndarray]]:
    """Like :func:`many_to_many`, but yield the result in pieces (consecutive groups of sources).

    Use it to process results too large to hold at once (aggregate each piece, then drop it). The
    pieces, concatenated, equal :func:`many_to_many`'s result. No memory guard is applied here.
    """
    sources = (source_id, source_node, source_cost, source_cost2)
    p = prepare(graph, sources, (target_id, target_node, target_cost, target_cost2), max_cost)
    n_jobs = resolve_n_jobs(n_jobs)
    n_src = p.src_ids.shape[0]
    chunks = _chunks(n_src, n_jobs, sources_per_chunk)
    arrays = kernel_arrays(graph)
    seed_node, att_ptr, is_target = p.seed_node, p.att_ptr, p.is_target
    if n_src:
        keep = p.is_target.copy()
        keep[p.seed_node] = True
        picks = np.unique(np.linspace(0, n_src - 1, min(3, n_src)).astype(np.int64))
        sample = [
            (
                p.seed_node[p.src_ptr[g] : p.src_ptr[g + 1]],
                p.seed_cost[p.src_ptr[g] : p.src_ptr[g + 1]],
            )
            for g in picks
        ]
        if want_core(contract, graph, int(keep.sum()), n_src, sample, p.bound):
            core = contracted_core(graph, keep, p.bound)
            arrays = core.arrays
            # every source and target node is in the core; attachments keep their order
            seed_node = core.core_of[p.seed_node]
            att_ptr = np.append(p.att_ptr[core.core_nodes], p.att_ptr[-1])
            is_target = np.ascontiguousarray(p.is_target[core.core_nodes])
    # carrying cost2 costs about a third of the search time; skip it when it is not wanted, or
    # when it is zero everywhere (then every cost2 is exactly 0)
    zero2 = not (graph.cost2.any() or p.seed_cost2.any() or p.att_cost2.any())
    with2 = bool(secondary) and not zero2
    fill2 = 0.0 if zero2 else math.nan

    src_ids = np.ascontiguousarray(p.src_ids, np.int64)
    tgt_ids = np.ascontiguousarray(p.tgt_ids, np.int64)
    # a bucket queue where arcs are of similar length (road graphs and their cores), see
    # routing.search._search_lifo; else the heap
    inv, n_buckets, lifo = queue_plan(arrays[2], p.bound) if n_src else (1.0, 1, False)

    def run(chunk: tuple[int, int]) -> tuple[np.ndarray, ...]:
        kernel = many_to_many_chunk_lifo if lifo else many_to_many_chunk
        plan = (inv, n_buckets) if lifo else ()
        *cols, cnt = kernel(
            *arrays,
            p.src_ptr,
            seed_node,
            p.seed_cost,
            p.seed_cost2,
            chunk[0],
            chunk[1],
            att_ptr,
            p.att_tid,
            p.att_cost,
            p.att_cost2,
            is_target,
            p.n_target_nodes,
            p.tgt_ids.shape[0],
            p.bound,
            p.max_cost,
            with2,
            src_ids,
            tgt_ids,
            *plan,
        )
        # views: the buffers' pages past the pairs were never written, so they hold no memory
        return tuple(col[:cnt] for col in cols)

    def as_dict(res: tuple[np.ndarray, ...]) -> dict[str, np.ndarray]:
        g, t, c, c2 = res  # ids already
        if not with2:
            c2 = np.full(c.shape[0], fill2)
        return {"source": g, "target": t, "cost": c, "cost2": c2}

    if not chunks:
        return
    if n_jobs == 1 or len(chunks) == 1:
        for chunk in progress(chunks, desc="routing", total=len(chunks)):
            yield as_dict(run(chunk))
        return
    with ThreadPoolExecutor(max_workers=n_jobs) as pool:
        try:
            results = pool.map(run, chunks)
            for res in progress(results, desc="routing", total=len(chunks)):
                yield as_dict(res)
        finally:
            pool.shutdown(wait=True, cancel_futures=True)


def _empty_pairs() -> dict[str, np.ndarray]:
    return {
        "source": np.zeros(0, np.int64),
        "target": np.zeros(0, np.int64),
        "cost": np.zeros(0, np.float64),
        "cost2": np.zeros(0, np.float64),
    }


def many_to_many(
    graph: CSRGraph,
    *,
    source_id: Any,
    source_node: Any,
    source_cost: Any = None,
    target_id: Any,
    target_node: Any,
    target_cost: Any = None,
    max_cost: float = math.inf,
    source_cost2: Any = None,
    target_cost2: Any = None,
    n_jobs: int | None = None,
    secondary: bool = True,
    contract: bool | None = None,
) -> dict[str, np.ndarray]:
    """Sparse cost table: best cost from every source to every target within ``max_cost``.

    ``cost(s, t) = min over seed rows i of s and attachment rows j of t of
    source_cost[i] + shortest(source_node[i] -> target_node[j]) + target_cost[j]``, and ``cost2`` is
    the secondary cost of that same best combination (``source_cost2[i] + path cost2 +
    target_cost2[j]``; among equal costs the smallest ``cost2``). One bounded multi-seed Dijkstra
    per source id, recording only target nodes, so memory grows with the pairs found.

    Parameters
    ----------
    graph
        The routing graph.
    source_id, source_node, source_cost, source_cost2
        One row per seed: the source's id (integer ``>= 0``; repeated for several seeds), the node,
        the cost to reach it from the source (minutes, default 0) and the secondary cost.
    target_id, target_node, target_cost, target_cost2
        One row per attachment of a target, the same way.
    max_cost
        Keep pairs with ``cost <= max_cost`` (``inf``: no limit).
    n_jobs
        Threads (default: the ``n_jobs`` option, all cores). The result does not depend on it.
    secondary
        Carry ``cost2`` along the paths (default). ``False`` makes the searches about 1.5x faster
        and returns ``cost2`` as NaN; ``cost`` is the same either way.
    contract
        Search a contracted graph keeping only the source and target nodes (see the module
        docstring): ``None`` (default) decides from the expected work, ``True``/``False`` force
        it. Costs agree either way to float rounding (~1e-13).

    Returns
    -------
    dict
        ``source``, ``target`` (ids), ``cost``, ``cost2`` arrays sorted by source then target.

    Raises
    ------
    MemoryEstimateError
        When the result grows beyond the ``max_memory_bytes`` option (the message states the
        estimate); use :func:`iter_many_to_many` or a smaller ``max_cost``.

    Examples
    --------
    >>> g = csr_from_arcs(3, [0, 1], [1, 2], [1.0, 2.0], cost2=[100.0, 200.0])
    >>> r = many_to_many(g, source_id=[7], source_node=[0], target_id=[1, 2], target_node=[1, 2],
    ...                  target_cost=[0.0, 0.5], max_cost=10)
    >>> r["target"].tolist(), r["cost"].tolist(), r["cost2"].tolist()
    ([1, 2], [1.0, 3.5], [100.0, 300.0])
    """
    parts = many_to_many_parts(
        graph,
        source_id=source_id,
        source_node=source_node,
        source_cost=source_cost,
        target_id=target_id,
        target_node=target_node,
        target_cost=target_cost,
        max_cost=max_cost,
        source_cost2=source_cost2,
        target_cost2=target_cost2,
        n_jobs=n_jobs,
        secondary=secondary,
        contract=contract,
    )
    if not parts:
        return _empty_pairs()
    # one column at a time, dropping the pieces as we go: the peak is the pieces plus one column
    out = {}
    for key in list(parts[0]):
        # (ids as int64, whatever dtype the pieces hold them in)
        dtype = np.int64 if key in ("source", "target") else None
        out[key] = np.concatenate([p[key] for p in parts], dtype=dtype)
        for p in parts:
            del p[key]
    return out


def many_to_many_parts(
    graph: CSRGraph,
    *,
    source_id: Any,
    source_node: Any,
    source_cost: Any = None,
    target_id: Any,
    target_node: Any,
    target_cost: Any = None,
    max_cost: float = math.inf,
    source_cost2: Any = None,
    target_cost2: Any = None,
    n_jobs: int | None = None,
    secondary: bool = True,
    contract: bool | None = None,
) -> list[dict[str, np.ndarray]]:
    """:func:`many_to_many`'s result in pieces (those of :func:`iter_many_to_many`), under the
    same memory guard, for a caller that reorders them anyway
    (:func:`accessibility.routing.order.regroup_pairs`) and so needs no concatenated copy. The
    id columns come as int32 when every id fits (as int64 otherwise)."""
    src_unique = unique_sorted(source_id)
    tgt_unique = unique_sorted(target_id)
    n_src, n_tgt = len(src_unique), len(tgt_unique)
    fits = {
        c: len(u) == 0 or (int(u[0]) >= -(2**31) and int(u[-1]) < 2**31)
        for c, u in (("source", src_unique), ("target", tgt_unique))
    }
    n_jobs = resolve_n_jobs(n_jobs)
    limit = OPTIONS["max_memory_bytes"]
    scratch = SCRATCH_BYTES_PER_NODE * graph.n_nodes * n_jobs
    check_memory(scratch, "routing scratch space", "use fewer threads (n_jobs)")
    worst = estimate_pairs_bytes(float(n_src) * float(n_tgt))
    parts: list[dict[str, np.ndarray]] = []
    held = 0
    done_sources = 0
    for part in iter_many_to_many(
        graph,
        source_id=source_id,
        source_node=source_node,
        source_cost=source_cost,
        target_id=target_id,
        target_node=target_node,
        target_cost=target_cost,
        max_cost=max_cost,
        source_cost2=source_cost2,
        target_cost2=target_cost2,
        n_jobs=n_jobs,
        secondary=secondary,
        contract=contract,
    ):
        # the id columns as int32 when every id fits: 8 bytes a pair less while the pieces
        # pile up (the regrouping gives int32 ids anyway)
        for c in ("source", "target"):
            if fits[c]:
                part[c] = part[c].astype(np.int32)
        parts.append(part)
        release_free_memory()  # the searches' freed buffers, from the threads' heaps
        held += estimate_pairs_bytes(part["cost"].shape[0])
        done_sources += len(unique_sorted(part["source"]))
        # the final concatenation holds the pieces plus one column (a quarter) at a time
        if worst > limit and 1.25 * held + scratch > limit:
            frac = max(done_sources, 1) / max(n_src, 1)
            estimate = int(1.25 * held / frac) + scratch
            check_memory(
                max(estimate, limit + 1),
                f"the cost table ({n_src} sources x {n_tgt} targets; "
                f"{held // PAIR_BYTES} pairs found so far)",
                "lower max_cost, route fewer sources at a time (iter_many_to_many)",
            )
    return parts
