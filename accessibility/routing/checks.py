"""Checks of the arrays a routing query gets (ids, nodes, costs, bounds) and of its memory
estimate; every failure is an :class:`~accessibility.errors.InvalidValueError` or a
:class:`~accessibility.errors.MemoryEstimateError` saying what to change."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from ..errors import InvalidValueError, MemoryEstimateError
from ..options import OPTIONS
from .graph import CSRGraph

__all__ = [
    "PAIR_BYTES",
    "SCRATCH_BYTES_PER_NODE",
    "check_costs",
    "check_ids",
    "check_max_cost",
    "check_memory",
    "check_nodes",
    "estimate_pairs_bytes",
]

#: bytes per (source, target, cost, cost2) row of a many-to-many result
PAIR_BYTES = 32
#: bytes of scratch memory per node per search thread (cost, cost2, stamp, settled list, heap)
SCRATCH_BYTES_PER_NODE = 32


def check_ids(values: Any, name: str, m: int | None = None) -> np.ndarray:
    arr = np.asarray(values)
    if arr.ndim != 1:
        raise InvalidValueError(f"{name} must be 1-D, got shape {arr.shape}")
    if m is not None and arr.shape[0] != m:
        raise InvalidValueError(f"{name} has {arr.shape[0]} rows, expected {m}")
    if arr.size and not np.issubdtype(arr.dtype, np.integer):
        raise InvalidValueError(f"{name} must hold integers, got dtype {arr.dtype}")
    arr = arr.astype(np.int64, copy=False)
    if arr.size and arr.min() < 0:
        raise InvalidValueError(f"{name} must be >= 0, found {arr.min()}")
    return np.ascontiguousarray(arr)


def check_nodes(values: Any, name: str, graph: CSRGraph, m: int | None = None) -> np.ndarray:
    arr = check_ids(values, name, m)
    if arr.size and arr.max() >= graph.n_nodes:
        raise InvalidValueError(
            f"{name} holds node {arr.max()} but the graph has {graph.n_nodes} nodes (0..n-1)"
        )
    return arr


def check_costs(values: Any, name: str, m: int) -> np.ndarray:
    arr = np.zeros(m) if values is None else np.asarray(values, dtype=np.float64)
    if arr.ndim == 0:
        arr = np.full(m, float(arr))
    if arr.shape != (m,):
        raise InvalidValueError(f"{name} has shape {arr.shape}, expected ({m},)")
    if arr.size and not (np.isfinite(arr).all() and arr.min() >= 0):
        raise InvalidValueError(f"{name} must be finite and >= 0 (found {arr[~(arr >= 0)][:3]})")
    return np.ascontiguousarray(arr)


def check_max_cost(max_cost: float) -> float:
    value = float(max_cost)
    if math.isnan(value) or value < 0:
        raise InvalidValueError(f"max_cost must be >= 0 (inf for no limit), got {max_cost!r}")
    return value


def estimate_pairs_bytes(n_pairs: int | float) -> int:
    """Bytes needed to hold ``n_pairs`` rows of a many-to-many result (4 x 8-byte columns)."""
    return math.ceil(float(n_pairs) * PAIR_BYTES)


def check_memory(estimate: int, what: str, hint: str) -> None:
    limit = OPTIONS["max_memory_bytes"]
    if estimate > limit:
        raise MemoryEstimateError(
            f"{what} needs about {estimate / 1e9:.2f} GB, more than max_memory_bytes="
            f"{limit / 1e9:.2f} GB; {hint}, or raise the limit with "
            "accessibility.set_options(max_memory_bytes=...)"
        )
