"""Each search kernel compiles ONE version on a fresh install (issue 17, cold start).

Numba compiles a separate version of a kernel for every distinct set of argument types, and a
constant passed from one kernel to another (``0``, ``True``) is typed as a literal, so callers
that pass constants compiled extra copies of the inner searches (three of each, seconds apiece
on a fresh install). The check runs in a fresh process with an empty numba cache, so every
kernel is compiled (a kernel loaded from the cache does not type its callees).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

SCRIPT = """
import json
import numba.core.event as ev
import numpy as np
from accessibility.routing import contract, labels, search

compiled = []


class Compiles(ev.Listener):
    def on_start(self, event):
        compiled.append(event.data["dispatcher"].py_func.__module__)

    def on_end(self, event):
        pass


ev.register("numba:compile", Compiles())

# a 4-node path 0 - 1 - 2 - 3 (both directions), int32 indices as routing.graph makes them
indptr = np.array([0, 1, 3, 5, 6], np.int32)
head = np.array([1, 0, 2, 1, 3, 2], np.int32)
cost = np.ones(6)
seed = np.array([0, 3], np.int64)
zero = np.zeros(2)
search.distances(indptr, head, cost, cost, seed, zero, zero, 10.0)
is_target = np.ones(4, np.bool_)
att_ptr = np.arange(5, dtype=np.int64)
att_tid = np.arange(4, dtype=np.int64)
att_cost = np.zeros(4)
src_ptr = np.array([0, 1, 2], np.int64)
inv, n_buckets, _ = labels.queue_plan(cost, 10.0)
for with2 in (True, False):
    search.many_to_many_chunk(
        indptr, head, cost, cost, src_ptr, seed, zero, zero, 0, 2,
        att_ptr, att_tid, att_cost, att_cost, is_target, 4, 4, 10.0, 10.0, with2,
        np.arange(2), np.arange(4),
    )
    search.many_to_many_chunk_lifo(
        indptr, head, cost, cost, src_ptr, seed, zero, zero, 0, 2,
        att_ptr, att_tid, att_cost, att_cost, is_target, 4, 4, 10.0, 10.0, with2,
        np.arange(2), np.arange(4), inv, n_buckets,
    )
search.opportunities_chunk(indptr, head, cost, seed, np.ones(2), 0, 2, 10.0, np.zeros(4))
labels.nearest_one(
    indptr, head, cost, cost, np.arange(2), seed, zero, zero, 10.0, is_target, 4,
    att_ptr, att_tid, att_cost, att_cost, 4, 10.0, True,
)
contract.contract(
    indptr, head, cost, cost, np.zeros(4, np.bool_), 10.0, np.array([0.0, 2.0]), 36, 4, 0.7
)
counts = {
    name: len(getattr(search, name).signatures)
    for name in ("_search1", "_search2", "_search_lifo", "_record_source", "bounded_search", "buffers")
}
counts["string formatting"] = sum(m.startswith("numba.cpython.unicode") for m in compiled)
counts["sort"] = sorted({m for m in compiled if "sort" in m.rsplit(".", 1)[-1]})
# a constant 0 handed to a helper (``cnt = 0`` ... ``resized(out, cnt, cap)``) compiles a second
# copy of the helper for ``Literal[int](0)``
from numba.core import types
from numba.core.registry import CPUDispatcher
from accessibility.routing import grow

counts["literal"] = [
    f"{mod.__name__}.{name}{sig}"
    for mod in (search, labels, contract, grow)
    for name, obj in vars(mod).items()
    if isinstance(obj, CPUDispatcher)
    for sig in obj.signatures
    if any(isinstance(a, types.Literal) for a in sig)
]
print(json.dumps(counts))
"""


@pytest.mark.slow
def test_inner_searches_compile_once(tmp_path):
    env = {**os.environ, "NUMBA_CACHE_DIR": str(tmp_path), "PYTHONPATH": str(ROOT)}
    out = subprocess.run(
        [sys.executable, "-c", SCRIPT], capture_output=True, text=True, env=env, check=True
    )
    counts = json.loads(out.stdout.strip().splitlines()[-1])
    # and no kernel compiles numba's string formatting (a slice copy between arrays does, for
    # its shape-mismatch message: seconds on a fresh install) or numba's own sort (``np.sort``
    # compiles a quicksort, about 2 s)
    assert counts == {
        "_search1": 1,
        "_search2": 1,
        "_search_lifo": 1,
        "_record_source": 1,
        "bounded_search": 1,
        "buffers": 1,
        "string formatting": 0,
        "sort": [],
        "literal": [],
    }
