"""One bounded search from a set of seeds: the nodes reached and their costs.

Examples
--------
The examples build tiny graphs by hand:

>>> from accessibility.routing import csr_from_arcs
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from .checks import check_costs, check_max_cost, check_nodes
from .graph import CSRGraph, kernel_arrays
from .search import distances

__all__ = ["distances_from"]


def distances_from(
    graph: CSRGraph, *, seed_node: Any, seed_cost: Any = None, max_cost: float = math.inf
) -> tuple[np.ndarray, np.ndarray]:
    """One bounded multi-seed search: the nodes reached within ``max_cost`` and their costs.

    ``cost(v) = min over seeds s of seed_cost[s] + shortest(seed_node[s] -> v)``.

    Returns
    -------
    (nodes, cost)
        Node ids (ascending) with ``cost <= max_cost`` and their costs (minutes).

    Examples
    --------
    >>> g = csr_from_arcs(3, [0, 1], [1, 2], [1.5, 2.0])
    >>> nodes, cost = distances_from(g, seed_node=[0], seed_cost=[0.5], max_cost=3)
    >>> nodes.tolist(), cost.tolist()
    ([0, 1], [0.5, 2.0])
    """
    seed_node = check_nodes(seed_node, "seed_node", graph)
    seed_cost = check_costs(seed_cost, "seed_cost", seed_node.shape[0])
    bound = check_max_cost(max_cost)
    nodes, dist, _ = distances(
        *kernel_arrays(graph), seed_node, seed_cost, np.zeros(seed_node.shape[0]), bound
    )
    order = np.argsort(nodes)
    return nodes[order], dist[order]
