"""One speed for every road a mode may use: a comparison setting (e.g. to match another tool that
routes at a constant speed), not a model of travel.

In a project file: ``[network] uniform_speed_kmh = { car = 40 }``; with ``[network] oneway =
false`` and ``use_maxspeed = false`` it gives the simplest model to compare with.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Mapping

import numpy as np

from .errors import InvalidValueError
from .network import Network

__all__ = ["with_uniform_speed"]

_log = logging.getLogger(__name__)


def with_uniform_speed(network: Network, speeds_kmh: Mapping[str, float]) -> Network:
    """A new network where each given mode travels every edge it may use at one speed.

    Edges a mode may not use (and directions it may not take, one-way streets) stay closed to
    it; class speeds, ``maxspeed`` tags and per-edge speed columns are replaced. The network
    given is not changed.

    Parameters
    ----------
    network
        The network.
    speeds_kmh
        ``{mode: km/h}``, e.g. ``{"car": 40}``.

    Returns
    -------
    Network
        A new network; ``report["uniform_speed_kmh"]`` records the speeds.

    Examples
    --------
    >>> import accessibility as acc
    >>> net = acc.network_from_roads(acc.load_demo().roads, tolerance_m=2.5)
    >>> flat = with_uniform_speed(net, {"car": 40})
    >>> sorted(set(flat.edges["car_speed_kmh"].round(6)) - {0.0})
    [40.0]
    """
    out = dataclasses.replace(network, report=dict(network.report))  # never the one given
    for mode, kmh in speeds_kmh.items():
        if mode not in network.modes:
            raise InvalidValueError(
                f"uniform speed for mode {mode!r}: the network has modes {list(network.modes)}"
            )
        if not (np.isfinite(kmh) and kmh > 0):
            raise InvalidValueError(f"uniform speed for {mode!r} must be > 0 km/h, got {kmh!r}")
        minutes = network.edges["length_m"].to_numpy(np.float64) / 1000.0 / kmh * 60.0
        times = []
        for d in ("fwd", "bwd"):
            old = network.edges[f"{mode}_{d}_min"].to_numpy(np.float64)
            times.append(np.where(np.isfinite(old), minutes, np.inf))
        out = out.with_edge_times(mode, times[0], times[1])
        _log.info("%s: one speed, %g km/h, on every road it may use (uniform_speed_kmh)", mode, kmh)
    out.report["uniform_speed_kmh"] = dict(speeds_kmh)
    return out
