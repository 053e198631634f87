"""One partition task, as it runs on a worker: build the partition's network, compute its
villages' layer, keep the rows it can answer exactly, write its checkpoint file."""

from __future__ import annotations

import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd

from ...errors import NetworkError
from ...network import Network, network_from_roads
from ...options import set_options
from ...snapping import locate
from ..evaluate import road_mode
from ..layer import accessibility_layer
from .checkpoints import write_checkpoint

__all__ = ["build_network", "partition_task", "peak_rss_mb"]


def build_network(roads: gpd.GeoDataFrame, settings: Mapping[str, Any]) -> Network:
    """The network of ``roads`` as a partition task builds it (slope-aware walking with a DEM)."""

    net = network_from_roads(roads, **settings["network"])
    if settings["dem"] and "walk" in net.modes:
        from ...raster import edge_walk_times

        times = edge_walk_times(net, settings["dem"], flat_speed_kmh="walk_speed_kmh")
        net = net.with_edge_times("walk", times["walk_fwd_min"], times["walk_bwd_min"])
    return net


def peak_rss_mb() -> float | None:
    """The peak resident memory of this process (MB), None where unknown."""
    try:
        import resource
    except ImportError:  # pragma: no cover - Windows
        return None
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def partition_task(task: Mapping[str, Any], settings: Mapping[str, Any], n_jobs: int) -> dict:
    """Compute one partition and write its checkpoint file; returns timing and memory."""

    path = Path(task["checkpoint"])
    if path.exists():  # another attempt finished it
        return {"computed": False, "seconds": 0.0, "peak_rss_mb": peak_rss_mb()}
    t0 = time.perf_counter()
    with set_options(progress=False):
        net = build_network(task["roads"], settings)
        edges = net.edges
        for m, v in settings["vmax_kmh"].items():
            t = np.fmin(edges[f"{m}_fwd_min"].to_numpy(), edges[f"{m}_bwd_min"].to_numpy())
            with np.errstate(divide="ignore", invalid="ignore"):
                sp = edges["length_m"].to_numpy() / 1000.0 / (t / 60.0)
            fast = np.isfinite(sp) & (sp > v * (1 + 1e-9))
            if fast.any():
                raise NetworkError(
                    f"partition {task['partition']}: {int(fast.sum())} edge(s) allow {m} at "
                    f"{float(sp[fast].max()):.2f} km/h, faster than the {v:.2f} km/h the buffer "
                    "was sized for; set the speeds in [network.speeds]"
                )
        vil = task["villages"]
        transit = None
        if settings.get("transit"):
            from ...transit import transit_setup_from_config

            transit = transit_setup_from_config(settings["transit"], net)
        layer = accessibility_layer(
            net, vil, task["facilities"], n_jobs=n_jobs, transit=transit, **settings["layer"]
        )
        if isinstance(layer, tuple):  # settings never ask for the cost tables; the layer alone
            layer = layer[0]
        own = np.asarray(task["own"], bool)
        out = layer.iloc[np.flatnonzero(own)]
        new_cols = [c for c in layer.columns if c not in vil.columns]
        table = pd.DataFrame(out[new_cols]).reset_index(drop=True)
        fac_index = task["facilities"].index
        fac_pos = np.asarray(task["facility_pos"], np.int64)
        for s in settings["service_modes"]:
            col = f"{s}_nearest_id"
            ids = out[col]
            pos = np.full(len(ids), -1, dtype=np.int64)
            has = ids.notna().to_numpy()
            pos[has] = fac_pos[fac_index.get_indexer(ids[has])]
            table[col] = pos
        own_v = vil.iloc[np.flatnonzero(own)]
        snapped: dict[str, np.ndarray] = {}
        comp = None
        for m in settings["all_modes"]:
            loc = locate(
                net,
                own_v,
                mode=road_mode(m),
                max_snap_m=settings["layer"]["max_snap_m"],
                connector_speed_kmh=settings["layer"]["connector_speed_kmh"],
                what="villages",
            )
            snapped[m] = loc["snapped"].to_numpy()
            if m == settings["first_mode"]:
                comp = loc["component"].to_numpy(np.int64)
        if task["whole"]:
            ok = np.ones(len(out), bool)
        else:
            ok = out["snap_distance_m"].to_numpy() <= task["roads_radius_m"]
            checks = [(s, m, f"{s}_nearest_min") for s, m in settings["service_modes"].items()]
            checks += [
                (s, m, f"{s}_{m}_nearest_min")
                for s, ms in settings["extra_nearest"].items()
                for m in ms
            ]
            for _s, m, col in checks:
                within = out[col].to_numpy(np.float64) <= task["t_bound_min"][m]
                ok &= within | ~snapped[m]
        table["_village"] = np.asarray(task["village_pos"], np.int64)[own]
        table["_component"] = comp
        table["_resolved"] = ok
        nodes = pd.DataFrame(
            {
                "x": net.nodes["x"].to_numpy(np.float64),
                "y": net.nodes["y"].to_numpy(np.float64),
                "component": net.nodes["component"].to_numpy(np.int64),
            }
        )
    write_checkpoint(path, table, nodes)
    return {
        "computed": True,
        "seconds": time.perf_counter() - t0,
        "peak_rss_mb": peak_rss_mb(),
    }
