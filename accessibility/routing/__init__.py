"""Fast routing engine: bounded shortest-path searches on a CSR graph, nothing geographic.

Plain arrays in, plain arrays out. :mod:`accessibility.network` builds a :class:`CSRGraph` per
travel mode and :mod:`accessibility.costs` turns the results into cost tables; everything here
only knows nodes ``0..n-1``, directed arcs with a non-negative primary cost (minutes) and a
secondary cost that is carried along the chosen path (metres, say).

Semantics shared by every search
--------------------------------
* A path's cost is the pair ``(cost, cost2)``; paths are compared lexicographically, so among
  paths of equal primary cost the one with the smallest secondary cost wins. Results are exact
  (plain float64 sums along one path) and deterministic whatever ``n_jobs`` is.
* A *source* has one or more seed rows ``(node, cost, cost2)``: an edge-based location seeds both
  ends of its edge with the offsets along the edge plus its off-network leg. A *target* has one or
  more attachment rows the same way. The cost of a (source, target) pair is the minimum over seeds
  ``s`` and attachments ``t`` of ``seed_cost[s] + shortest(node[s] -> node[t]) + target_cost[t]``.
* Bounds are inclusive: pairs with cost ``<= max_cost`` are kept, the rest are absent.

The compiled kernels live in :mod:`accessibility.routing.search`, ``labels``, ``contract`` and
``sweep`` (numba, cached on disk, GIL released so searches from different sources run on several
threads).

Contraction
-----------
Large many-to-many tables and opportunity sums first *contract* the graph
(:mod:`accessibility.routing.contract`): every node that is not a source or target node of the query is
replaced by shortcut arcs between its neighbours, as long as that adds only a few arcs.
On the benchmark road graphs this leaves a core of 4-8 % of the nodes, with the same costs between
the query's nodes, so each search settles several times fewer nodes. Opportunity sums at every node then
recover the contracted nodes by a downward sweep, shared by groups of nearby sources. Costs are
the same as without contraction up to float rounding (a shortcut's cost is summed before the
path's, ~1e-13 minutes). ``contract=None`` (the default) contracts when the searches are expected
to settle many times the graph's nodes (and at least two million in all), estimated from a few
sample searches; ``True``/``False``
force it. See ``docs/routing.md``.

Layout
------
One job per module; the public names are re-exported here.

============================  ==================================================================
``graph``                     :class:`CSRGraph`, building, renumbering, the kernels' arrays
``checks``                    checks of query arrays and memory estimates
``query``                     a query's seeds and attachments laid out for the kernels
``distances``                 :func:`distances_from` (one search)
``tables``                    :func:`many_to_many`, :func:`iter_many_to_many`
``nearest``                   :func:`nearest_k`
``opportunities``             :func:`opportunities_within`
``core``                      when to contract, and the contracted core kept with the graph
``grow``                      growing the kernels' arrays (numba)
``search``                    bounded single-source searches and their batch drivers (numba)
``labels``                    multi-source label-setting searches for nearest sources (numba)
``contract``                  node contraction (numba)
``sweep``                     the contracted opportunity sweep (numba)
============================  ==================================================================
"""

from __future__ import annotations

from .checks import estimate_pairs_bytes
from .distances import distances_from
from .graph import CSRGraph, csr_from_arcs, permute_graph, spatial_order
from .nearest import nearest_k
from .opportunities import opportunities_within
from .tables import iter_many_to_many, many_to_many

__all__ = [
    "CSRGraph",
    "csr_from_arcs",
    "distances_from",
    "estimate_pairs_bytes",
    "iter_many_to_many",
    "many_to_many",
    "nearest_k",
    "opportunities_within",
    "permute_graph",
    "spatial_order",
]
